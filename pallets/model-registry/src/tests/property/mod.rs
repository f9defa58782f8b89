//! Property test: random sequences of every call of the pallet and of blocks, with the moves of
//! a Sybil operator mixed in, run as a `proptest-state-machine` test so that a failure is
//! shrunk to a minimal call sequence (printed with the failing check).
//!
//! Every step (one call, or one block with its `on_initialize`) is checked against the rules
//! (see [`rules::check_step`]): holders only by nomination or a drawn announcement, executors
//! drawn among available holders, rule 7 payments and slashes, conservation of money (total
//! issuance falls only by slashes), no escape by leaving, and the storage invariants
//! (`do_try_state`) with the held balances of every account.
//!
//! The Sybil operator runs nodes 1..=5 and the application account 75: it announces every new
//! model in its registration block, forges an agreeing wrong answer for every task it is drawn
//! for, withholds reveals that the others already outvote, leaves and rejoins after being
//! slashed, and creates and cancels tasks in loops.
//!
//! Short run (CI): 8 cases of 1 to 40 steps. Longer runs:
//! `MODELNET_PROPTEST_CASES=2000 MODELNET_PROPTEST_STEPS=100 cargo test -p pallet-model-registry
//! --release property -- --nocapture` (`MODELNET_PROPTEST_SEED=<u64>` picks another random
//! sequence; the default seed 0 makes runs reproducible). The counts of calls (per outcome)
//! and events are printed at the end of the run.

use super::*;
use frame_support::traits::{Get, GetCallName};
use proptest::{
	prelude::*,
	sample::Index,
	test_runner::{Config as ProptestConfig, RngAlgorithm, TestError, TestRng, TestRunner},
};
use proptest_state_machine::{ReferenceStateMachine, StateMachineTest};
use sp_runtime::traits::Dispatchable;
use std::collections::BTreeMap;

mod rules;
mod stats;

/// Nodes run by the Sybil operator.
const ATTACKERS: core::ops::RangeInclusive<AccountId> = 1..=5;
/// First of the honest nodes created by the setup.
const FIRST_HONEST: AccountId = 6;
/// Application account of the Sybil operator (create-and-cancel loops).
const SPAMMER: AccountId = 75;
/// The right answer of every task, and the one the Sybil operator's nodes agree on.
const RIGHT: H256 = H256::repeat_byte(1);
const FORGED: H256 = H256::repeat_byte(2);
const DECLINE_REASONS: [DeclineReason; 7] = [
	DeclineReason::HashMismatch,
	DeclineReason::SizeMismatch,
	DeclineReason::DiskBudgetExceeded,
	DeclineReason::SourceUnavailable,
	DeclineReason::InsufficientVram,
	DeclineReason::Other,
	DeclineReason::NetworkUnreachable,
];

/// The network a case starts from (set up through checked calls and blocks).
#[derive(Clone, Debug)]
pub struct Setup {
	/// Seed of the mock's block randomness.
	seed: u64,
	/// Parameters set by root before anything else.
	params: Option<ParamsOf<Test>>,
	/// Honest nodes joined (accounts 6..).
	honest: u8,
	/// Sybil nodes joined (accounts 1..).
	sybils: u8,
	/// Models registered (ids 1..) and placed.
	models: u8,
	/// Whether the Sybil nodes announce each model in its registration block.
	sybils_announce: bool,
}

/// One step of a sequence. Nodes, models and tasks named by [`Index`] are picked among those
/// that exist when the step runs (sorted), so that a shrunk sequence stays meaningful.
#[derive(Clone, Debug)]
pub enum Step {
	/// Produce blocks (each runs the hooks and is checked).
	Blocks(u8),
	Join {
		who: AccountId,
		disk: u64,
		vram: u64,
		stake: Balance,
	},
	UpdateCapacity {
		who: AccountId,
		disk: u64,
		vram: u64,
	},
	Pause(AccountId),
	Resume(AccountId),
	Leave(AccountId),
	/// Register model `model`; the Sybil nodes may announce it in the same block.
	Register {
		owner: AccountId,
		model: u8,
		size: u64,
		vram: u64,
		sybils_announce: bool,
	},
	Deregister {
		root: bool,
		owner: AccountId,
		model: u8,
	},
	UpdateSources {
		root: bool,
		owner: AccountId,
		model: u8,
	},
	/// A node confirms its pending nominations, declining some.
	Answer {
		node: Index,
		decline: [bool; 8],
		reason: Index,
	},
	ReportLost {
		node: Index,
		model: Index,
	},
	Announce {
		node: Index,
		model: Index,
	},
	CreateTask {
		creator: AccountId,
		model: Index,
		fee: Balance,
		input: u8,
	},
	CancelTask {
		task: Index,
	},
	/// The executors of a task in its commit phase commit: honest ones mostly the right
	/// answer, Sybil ones always the forged one.
	Commit {
		task: Index,
		commit: [bool; 5],
		wrong: [bool; 5],
	},
	/// The executors of a task in its reveal phase reveal; Sybil ones withhold an outvoted
	/// answer.
	Reveal {
		task: Index,
		reveal: [bool; 5],
	},
	SetParams(Box<ParamsOf<Test>>),
	/// Every Sybil node announces a model.
	SybilAnnounce {
		model: Index,
	},
	/// Sybil nodes cooling down after a slash leave; Sybil accounts that are no nodes join.
	SybilCycle,
	/// The Sybil application creates `count` minimum-fee tasks, cancelling them if `cancel`.
	SybilSpam {
		model: Index,
		count: u8,
		cancel: bool,
	},
}

/// Valid, small parameter sets.
fn params() -> impl Strategy<Value = ParamsOf<Test>> {
	(3u32..=22)
		.prop_flat_map(|max| (Just(max), 3u32..=max))
		.prop_flat_map(|(max, min)| {
			(
				(1..=max, 0..min, 1..=max, Just(min), Just(max)),
				(1u64..=15, 1u64..=30, 1u32..=5, 100u32..300, 0u32..100),
				(1u32..=3, 1u64..=6, 1u64..=6, 0u32..400, 0u32..=100),
			)
		})
		.prop_map(|(a, b, c)| RegistryParams {
			initial_replicas: a.0,
			low_watermark: a.1,
			refill_batch: a.2,
			min_replicas: a.3,
			max_replicas: a.4,
			download_deadline: b.0,
			demand_window: b.1,
			tasks_per_replica: b.2,
			headroom_percent: b.3,
			scale_down_hysteresis_percent: b.4,
			executors_per_task: c.0,
			commit_deadline: c.1,
			reveal_deadline: c.2,
			qos_kick_threshold: c.3,
			slash_fraction: sp_runtime::Perbill::from_percent(c.4),
		})
}

fn step() -> impl Strategy<Value = Step> {
	let node = 1u64..=30;
	let owner = 60u64..=64;
	prop_oneof![
		12 => (1u8..=4).prop_map(Step::Blocks),
		5 => (node.clone(), 500u64..5_500, 0u64..200, 50u64..2_050)
			.prop_map(|(who, disk, vram, stake)| Step::Join { who, disk, vram, stake }),
		1 => (node.clone(), 0u64..6_000, 0u64..200)
			.prop_map(|(who, disk, vram)| Step::UpdateCapacity { who, disk, vram }),
		1 => node.clone().prop_map(Step::Pause),
		1 => node.clone().prop_map(Step::Resume),
		1 => node.clone().prop_map(Step::Leave),
		4 => (owner.clone(), 1u8..=12, 0u64..2_000, 0u64..150, any::<bool>()).prop_map(
			|(owner, model, size, vram, sybils_announce)| Step::Register {
				owner, model, size, vram, sybils_announce
			}
		),
		1 => (any::<bool>(), owner.clone(), 1u8..=12)
			.prop_map(|(root, owner, model)| Step::Deregister { root, owner, model }),
		1 => (any::<bool>(), owner, 1u8..=12)
			.prop_map(|(root, owner, model)| Step::UpdateSources { root, owner, model }),
		12 => (any::<Index>(), proptest::array::uniform8(proptest::bool::weighted(0.15)), any::<Index>())
			.prop_map(|(node, decline, reason)| Step::Answer { node, decline, reason }),
		2 => (any::<Index>(), any::<Index>())
			.prop_map(|(node, model)| Step::ReportLost { node, model }),
		2 => (any::<Index>(), any::<Index>())
			.prop_map(|(node, model)| Step::Announce { node, model }),
		10 => (70u64..=74, any::<Index>(), 0u64..500, any::<u8>()).prop_map(
			|(creator, model, fee, input)| Step::CreateTask { creator, model, fee, input }
		),
		1 => any::<Index>().prop_map(|task| Step::CancelTask { task }),
		14 => (
			any::<Index>(),
			proptest::array::uniform5(proptest::bool::weighted(0.85)),
			proptest::array::uniform5(proptest::bool::weighted(0.2)),
		)
			.prop_map(|(task, commit, wrong)| Step::Commit { task, commit, wrong }),
		12 => (any::<Index>(), proptest::array::uniform5(proptest::bool::weighted(0.85)))
			.prop_map(|(task, reveal)| Step::Reveal { task, reveal }),
		1 => params().prop_map(|p| Step::SetParams(Box::new(p))),
		2 => any::<Index>().prop_map(|model| Step::SybilAnnounce { model }),
		2 => Just(Step::SybilCycle),
		1 => (any::<Index>(), 1u8..=16, proptest::bool::weighted(0.8))
			.prop_map(|(model, count, cancel)| Step::SybilSpam { model, count, cancel }),
	]
}

/// The reference model: the setup only. Steps pick their targets in the concrete state, so
/// every step is allowed in every state and a shrunk sequence needs no preconditions.
pub struct Reference;

impl ReferenceStateMachine for Reference {
	type State = Setup;
	type Transition = Step;

	fn init_state() -> BoxedStrategy<Setup> {
		(any::<u64>(), proptest::option::weighted(0.5, params()), 0u8..=12, 0u8..=5, 0u8..=3)
			.prop_flat_map(|(seed, params, honest, sybils, models)| {
				any::<bool>().prop_map(move |sybils_announce| Setup {
					seed,
					params: params.clone(),
					honest,
					sybils,
					models,
					sybils_announce,
				})
			})
			.boxed()
	}

	fn transitions(_: &Setup) -> BoxedStrategy<Step> {
		step().boxed()
	}

	fn apply(state: Setup, _: &Step) -> Setup {
		state
	}
}

/// The system under test: the registry's externalities and what each executor committed to.
pub struct Chain {
	ext: sp_io::TestExternalities,
	world: World,
}

#[derive(Default)]
struct World {
	answers: BTreeMap<(TaskId, AccountId), H256>,
}

fn error_name(e: &sp_runtime::DispatchError) -> String {
	match e {
		sp_runtime::DispatchError::Module(m) => m.message.unwrap_or("Module").to_string(),
		other => format!("{other:?}"),
	}
}

fn event_name(e: &Event<Test>) -> String {
	let name = format!("{e:?}");
	name.split([' ', '{', '(']).next().unwrap_or("").to_string()
}

fn count_events(events: &[Event<Test>]) {
	stats::with(|s| {
		for e in events {
			*s.events.entry(event_name(e)).or_default() += 1;
		}
	});
}

/// Dispatch a call of `who` (root if None) and check the rules on it. Returns whether it
/// succeeded.
fn call(who: Option<AccountId>, args: crate::Call<Test>) -> bool {
	let pre = rules::Snapshot::take();
	let name = args.get_call_name();
	let origin = who.map_or_else(RuntimeOrigin::root, RuntimeOrigin::signed);
	let result = RuntimeCall::ModelRegistry(args.clone()).dispatch(origin);
	let events = take_events();
	let outcome = match &result {
		Ok(_) => "ok".to_string(),
		Err(e) => error_name(&e.error),
	};
	if outcome == "TaskQueueFull" {
		let live = Tasks::<Test>::iter_values().filter(|t| t.status == TaskStatus::Waiting).count();
		if (live as u32) < <Test as crate::Config>::MaxQueuedTasks::get() {
			stats::with(|s| s.queue_full_by_dead_entries += 1);
		}
	}
	stats::with(|s| *s.calls.entry(name.to_string()).or_default().entry(outcome).or_default() += 1);
	count_events(&events);
	let kind = rules::Kind::Call { who, name, args: &args, ok: result.is_ok() };
	rules::check_step(&pre, &kind, &events);
	result.is_ok()
}

/// Produce one block and check the rules on it.
fn block() {
	let pre = rules::Snapshot::take();
	let next = System::block_number() + 1;
	System::set_block_number(next);
	<ModelRegistry as frame_support::traits::Hooks<u64>>::on_initialize(next);
	let events = take_events();
	count_events(&events);
	stats::with(|s| s.blocks += 1);
	rules::check_step(&pre, &rules::Kind::Block, &events);
	rules::check_invariants("a block", false);
}

fn sorted<T: Ord>(mut v: Vec<T>) -> Vec<T> {
	v.sort();
	v
}

fn pick<T: Clone>(index: &Index, items: &[T]) -> Option<T> {
	(!items.is_empty()).then(|| items[index.index(items.len())].clone())
}

fn nodes() -> Vec<AccountId> {
	sorted(Nodes::<Test>::iter_keys().collect())
}

fn models() -> Vec<ModelId> {
	sorted(Models::<Test>::iter_keys().collect())
}

fn tasks_in(phase: impl Fn(&TaskStatus<u64>) -> bool) -> Vec<(TaskId, TaskInfoOf<Test>)> {
	let mut v: Vec<_> = Tasks::<Test>::iter().filter(|(_, t)| phase(&t.status)).collect();
	v.sort_by_key(|(id, _)| *id);
	v
}

fn register_call(model: ModelId, size: u64, vram: u64) -> crate::Call<Test> {
	crate::Call::register_model {
		model,
		size_bytes: size,
		sources: sources(),
		min_vram_bytes: vram,
		pieces: pieces(size),
		executor: ExecutorKind::SpotCheck,
	}
}

fn join_call(disk: u64, vram: u64, stake: Balance) -> crate::Call<Test> {
	crate::Call::join { capacity: NodeCapacity { disk_bytes: disk, vram_bytes: vram }, stake }
}

fn other_sources(n: u8) -> SourcesOf<Test> {
	let url: UrlOf<Test> =
		BoundedVec::truncate_from(format!("https://example.org/m{n}").into_bytes());
	BoundedVec::truncate_from(vec![url])
}

impl World {
	fn setup(&mut self, setup: &Setup) {
		set_random_seed(setup.seed);
		if let Some(params) = &setup.params {
			assert!(call(None, crate::Call::set_params { params: params.clone() }));
		}
		let honest = FIRST_HONEST..FIRST_HONEST + AccountId::from(setup.honest);
		let sybils = 1..1 + AccountId::from(setup.sybils);
		for who in honest.chain(sybils.clone()) {
			assert!(call(Some(who), join_call(10_000, 1_000, 1_000)));
		}
		for n in 1..=setup.models {
			assert!(call(Some(60), register_call(model_id(n), 1_000, 100)));
			if setup.sybils_announce {
				for who in sybils.clone() {
					call(Some(who), crate::Call::announce_stored { model: model_id(n) });
				}
			}
		}
		for _ in 0..4 {
			block();
			for who in nodes() {
				for model in NodeNominations::<Test>::get(who) {
					call(Some(who), crate::Call::confirm_stored { model });
				}
			}
		}
	}

	fn apply(&mut self, step: Step) {
		stats::with(|s| s.steps += 1);
		match step {
			Step::Blocks(n) => (0..n).for_each(|_| block()),
			Step::Join { who, disk, vram, stake } => {
				call(Some(who), join_call(disk, vram, stake));
			}
			Step::UpdateCapacity { who, disk, vram } => {
				let capacity = NodeCapacity { disk_bytes: disk, vram_bytes: vram };
				call(Some(who), crate::Call::update_capacity { capacity });
			}
			Step::Pause(who) => {
				call(Some(who), crate::Call::pause {});
			}
			Step::Resume(who) => {
				call(Some(who), crate::Call::resume {});
			}
			Step::Leave(who) => {
				call(Some(who), crate::Call::leave {});
			}
			Step::Register { owner, model, size, vram, sybils_announce } => {
				let model = model_id(model);
				call(Some(owner), register_call(model, size, vram));
				if sybils_announce {
					for who in ATTACKERS {
						call(Some(who), crate::Call::announce_stored { model });
					}
				}
			}
			Step::Deregister { root, owner, model } => {
				let model = model_id(model);
				call((!root).then_some(owner), crate::Call::deregister_model { model });
			}
			Step::UpdateSources { root, owner, model } => {
				let sources = other_sources(model);
				let model = model_id(model);
				call((!root).then_some(owner), crate::Call::update_sources { model, sources });
			}
			Step::Answer { node, decline, reason } => {
				let with_work: Vec<AccountId> = nodes()
					.into_iter()
					.filter(|n| !NodeNominations::<Test>::get(n).is_empty())
					.collect();
				let Some(who) = pick(&node, &with_work) else { return };
				for (i, model) in NodeNominations::<Test>::get(who).into_iter().enumerate() {
					if decline[i % decline.len()] {
						let reason = DECLINE_REASONS[reason.index(DECLINE_REASONS.len())];
						call(Some(who), crate::Call::decline_nomination { model, reason });
					} else {
						call(Some(who), crate::Call::confirm_stored { model });
					}
				}
			}
			Step::ReportLost { node, model } => {
				let holding: Vec<AccountId> = nodes()
					.into_iter()
					.filter(|n| !NodeHoldings::<Test>::get(n).is_empty())
					.collect();
				let Some(who) = pick(&node, &holding) else { return };
				let held = sorted(NodeHoldings::<Test>::get(who).into_inner());
				let Some(model) = pick(&model, &held) else { return };
				call(Some(who), crate::Call::report_lost { model });
			}
			Step::Announce { node, model } => {
				if let (Some(who), Some(model)) = (pick(&node, &nodes()), pick(&model, &models())) {
					call(Some(who), crate::Call::announce_stored { model });
				}
			}
			Step::CreateTask { creator, model, fee, input } => {
				let Some(model) = pick(&model, &models()) else { return };
				let input = BoundedVec::truncate_from(vec![input]);
				call(Some(creator), crate::Call::create_task { model, input, fee });
			}
			Step::CancelTask { task } => {
				let all = tasks_in(|_| true);
				let Some((id, info)) = pick(&task, &all) else { return };
				call(Some(info.creator), crate::Call::cancel_task { task: id });
			}
			Step::Commit { task, commit, wrong } => {
				let open = tasks_in(|s| matches!(s, TaskStatus::Commit { .. }));
				let Some((id, info)) = pick(&task, &open) else { return };
				for (i, e) in info.executors.iter().enumerate() {
					if !commit[i % commit.len()] {
						continue;
					}
					// The Sybil nodes agree on a forged answer; honest ones mostly answer
					// right (a wrong honest answer is the forged one too).
					let forged = ATTACKERS.contains(&e.node) || wrong[i % wrong.len()];
					let result = if forged { FORGED } else { RIGHT };
					self.answers.insert((id, e.node), result);
					let commitment = commitment(id, e.node, result, salt(e.node));
					call(Some(e.node), crate::Call::commit_result { task: id, commitment });
				}
			}
			Step::Reveal { task, reveal } => {
				let open = tasks_in(|s| matches!(s, TaskStatus::Reveal { .. }));
				let Some((id, info)) = pick(&task, &open) else { return };
				for (i, e) in info.executors.iter().enumerate() {
					if !reveal[i % reveal.len()] {
						continue;
					}
					let result = self.answers.get(&(id, e.node)).copied().unwrap_or_default();
					// A Sybil node withholds an answer the others' reveals already outvote.
					let now = Tasks::<Test>::get(id).map(|t| t.executors).unwrap_or_default();
					let mine = sealed(id, result);
					let against = now.iter().filter(|x| x.result.is_some_and(|r| r != mine));
					if ATTACKERS.contains(&e.node) && against.count() * 2 > now.len() {
						continue;
					}
					let salt = salt(e.node);
					let result = opening(id, result);
					call(Some(e.node), crate::Call::reveal_result { task: id, result, salt });
				}
			}
			Step::SetParams(params) => {
				call(None, crate::Call::set_params { params: *params });
			}
			Step::SybilAnnounce { model } => {
				let Some(model) = pick(&model, &models()) else { return };
				for who in ATTACKERS {
					call(Some(who), crate::Call::announce_stored { model });
				}
			}
			Step::SybilCycle => {
				let punished: Vec<AccountId> = Cooldowns::<Test>::iter()
					.map(|(m, who, _)| (m, who))
					.filter(|(m, who)| ModelRegistry::cooling_down(*m, who))
					.map(|(_, who)| who)
					.collect();
				for who in ATTACKERS {
					match Nodes::<Test>::get(who) {
						Some(n) if n.status != NodeStatus::Leaving && punished.contains(&who) => {
							call(Some(who), crate::Call::leave {});
						}
						None => {
							call(Some(who), join_call(10_000, 1_000, 1_000));
						}
						_ => {}
					}
				}
			}
			Step::SybilSpam { model, count, cancel } => {
				let Some(model) = pick(&model, &models()) else { return };
				let mut created = Vec::new();
				for i in 0..count {
					let id = TaskQueue::<Test>::get().next_task;
					let input = BoundedVec::truncate_from(vec![i]);
					let fee = <Test as crate::Config>::MinTaskFee::get();
					if call(Some(SPAMMER), crate::Call::create_task { model, input, fee }) {
						created.push(id);
					}
				}
				if cancel {
					for task in created {
						call(Some(SPAMMER), crate::Call::cancel_task { task });
					}
				}
			}
		}
	}
}

impl StateMachineTest for Chain {
	type SystemUnderTest = Chain;
	type Reference = Reference;

	fn init_test(setup: &Setup) -> Chain {
		let mut chain = Chain { ext: new_test_ext(), world: World::default() };
		let Chain { ext, world } = &mut chain;
		ext.execute_with(|| {
			world.setup(setup);
			rules::check_invariants("the setup", true);
		});
		stats::with(|s| s.cases += 1);
		chain
	}

	fn apply(mut chain: Chain, _: &Setup, step: Step) -> Chain {
		let Chain { ext, world } = &mut chain;
		ext.execute_with(|| {
			let name = format!("{step:?}");
			let calls = !matches!(step, Step::Blocks(_));
			world.apply(step);
			if calls {
				rules::check_invariants(&name, true);
			}
		});
		chain
	}

	fn teardown(mut chain: Chain, _: Setup) {
		// Let the tasks in flight resolve and the cleanups finish (at most 45 blocks: the
		// longest commit and reveal phases of the default parameters), then check once more.
		chain.ext.execute_with(|| {
			for _ in 0..45 {
				let busy = Tasks::<Test>::iter_values().any(|t| {
					matches!(t.status, TaskStatus::Commit { .. } | TaskStatus::Reveal { .. })
				}) || Nodes::<Test>::iter_values().any(|n| n.in_cleanup);
				if !busy {
					break;
				}
				block();
			}
			rules::check_invariants("the last block", true);
		});
	}
}

fn env_u32(name: &str, default: u32) -> u32 {
	std::env::var(name).ok().and_then(|v| v.parse().ok()).unwrap_or(default)
}

#[test]
fn random_call_sequences_follow_the_rules() {
	let cases = env_u32("MODELNET_PROPTEST_CASES", 8);
	let steps = env_u32("MODELNET_PROPTEST_STEPS", 40).max(2) as usize;
	let seed: u64 =
		std::env::var("MODELNET_PROPTEST_SEED").ok().and_then(|v| v.parse().ok()).unwrap_or(0);
	let config = ProptestConfig {
		cases,
		failure_persistence: None,
		max_shrink_iters: 20_000,
		..ProptestConfig::default()
	};
	let mut seed_bytes = [0u8; 32];
	seed_bytes[..8].copy_from_slice(&seed.to_le_bytes());
	let rng = TestRng::from_seed(RngAlgorithm::ChaCha, &seed_bytes);
	let mut runner = TestRunner::new_with_rng(config.clone(), rng);
	let strategy = Reference::sequential_strategy(1..=steps);
	let started = std::time::Instant::now();
	let _ = stats::take();
	let result = runner.run(&strategy, |(setup, transitions, seen)| {
		Chain::test_sequential(config.clone(), setup, transitions, seen);
		Ok(())
	});
	let summary = stats::take();
	eprintln!(
		"model registry property test: seed {seed}, {cases} cases of 1..={steps} steps, {:.1?}\n{summary}",
		started.elapsed()
	);
	match result {
		Ok(()) => {}
		Err(TestError::Fail(reason, (setup, transitions, _))) => panic!(
			"{reason}\nminimal failing sequence (setup {setup:?}), {} steps:\n{}",
			transitions.len(),
			transitions.iter().map(|t| format!("  {t:?}")).collect::<Vec<_>>().join("\n")
		),
		Err(e) => panic!("{e}"),
	}
}

/// Rule 10 ("no sequence of its calls may ... block other users' queues cheaply"): a task
/// cancelled while waiting frees its place in the bounded queue of waiting tasks at once, so an
/// account that creates and cancels minimum-fee tasks in a loop (its fee refunded each time)
/// never keeps another application's `create_task` from finding a place.
#[test]
fn create_and_cancel_loops_do_not_block_the_task_queue() {
	new_test_ext().execute_with(|| {
		join_all(1..=10);
		let model = placed_model(1);
		let fee = <Test as crate::Config>::MinTaskFee::get();
		let capacity: u32 = <Test as crate::Config>::MaxQueuedTasks::get();
		for _ in 0..3 {
			// More create-and-cancel rounds than the queue has places, in one block.
			for _ in 0..2 * capacity {
				let id = TaskQueue::<Test>::get().next_task;
				let input = BoundedVec::truncate_from(vec![0]);
				assert_ok!(ModelRegistry::create_task(
					RuntimeOrigin::signed(SPAMMER),
					model,
					input,
					fee
				));
				assert_ok!(ModelRegistry::cancel_task(RuntimeOrigin::signed(SPAMMER), id));
			}
			let waiting = Tasks::<Test>::iter_values().filter(|t| t.status == TaskStatus::Waiting);
			assert_eq!(waiting.count(), 0);
			// An honest application still finds a place.
			let input = BoundedVec::truncate_from(b"honest".to_vec());
			assert_ok!(ModelRegistry::create_task(RuntimeOrigin::signed(79), model, input, 300));
			run_blocks(1);
		}
	});
}
