//! Random sequences of calls and blocks, attacker moves included (announcing copies, withholding
//! reveals, forged answers, leaving with work in flight); every invariant is checked after every
//! block (by `run_to_block`), the held balances are compared with the records, and the events of
//! each step are checked against the rules (see [`Rules`]).

use super::*;
use sp_runtime::traits::Dispatchable;
use std::collections::{BTreeMap, BTreeSet};

/// Rules checked on the events of every step:
/// - a node becomes a holder (`ModelStored`) only of a model it was nominated for or announced
///   (and was then drawn for);
/// - executors are holders of the task's model when drawn;
/// - a completed task pays exactly the executors that revealed the winning result, and slashes
///   exactly those that committed and revealed another result or withheld their reveal (rule 7).
#[derive(Default)]
struct Rules {
	nominated: BTreeSet<(ModelId, AccountId)>,
	announced: BTreeSet<(ModelId, AccountId)>,
	counts: BTreeMap<String, u32>,
}

impl Rules {
	fn check_step(&mut self) {
		let events = take_events();
		let mut slashed: BTreeMap<TaskId, BTreeSet<AccountId>> = BTreeMap::new();
		let mut evicted: BTreeSet<(ModelId, AccountId)> = BTreeSet::new();
		for e in events.iter() {
			let name = format!("{e:?}");
			let name = name.split([' ', '{', '(']).next().unwrap_or("").to_string();
			*self.counts.entry(name).or_default() += 1;
			match e {
				Event::DownloadNominated { model, node, .. } => {
					self.nominated.insert((*model, *node));
				}
				Event::ModelAnnounced { model, node } => {
					self.announced.insert((*model, *node));
				}
				Event::ModelStored { model, node } => {
					let key = (*model, *node);
					assert!(
						self.nominated.contains(&key) || self.announced.contains(&key),
						"{node} holds {model:?} without nomination or announcement"
					);
				}
				Event::ExecutorSlashed { task, node, .. } => {
					slashed.entry(*task).or_default().insert(*node);
				}
				Event::ModelEvicted { model, node } | Event::ModelLost { model, node } => {
					evicted.insert((*model, *node));
				}
				_ => {}
			}
		}
		for e in events.iter() {
			match e {
				Event::ExecutorsAssigned { task, executors, .. } => {
					let Some(info) = Tasks::<Test>::get(task) else { continue };
					for who in executors.iter() {
						assert!(
							holders(info.model).contains(who)
								|| evicted.contains(&(info.model, *who)),
							"executor {who} of task {task} does not hold its model"
						);
					}
				}
				Event::TaskCompleted { task, result, paid } => {
					let slashed_here = slashed.remove(task).unwrap_or_default();
					// Pruned already (a short demand window): nothing left to compare with.
					let Some(info) = Tasks::<Test>::get(task) else { continue };
					let winners: BTreeSet<AccountId> = info
						.executors
						.iter()
						.filter(|e| e.result == Some(*result))
						.map(|e| e.node)
						.collect();
					let losers: BTreeSet<AccountId> = info
						.executors
						.iter()
						.filter(|e| e.commitment.is_some() && e.result != Some(*result))
						.map(|e| e.node)
						.collect();
					assert_eq!(paid.iter().copied().collect::<BTreeSet<_>>(), winners);
					assert_eq!(slashed_here, losers, "task {task}");
				}
				_ => {}
			}
		}
		assert!(slashed.is_empty(), "slashes outside a completed task: {slashed:?}");
	}
}

/// SplitMix64: a small seeded generator, enough for reproducible test sequences.
struct Rng(u64);

impl Rng {
	fn next(&mut self) -> u64 {
		self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
		let mut z = self.0;
		z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
		z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
		z ^ (z >> 31)
	}
	fn below(&mut self, n: u64) -> u64 {
		self.next() % n.max(1)
	}
	fn chance(&mut self, percent: u64) -> bool {
		self.below(100) < percent
	}
	fn pick<T: Clone>(&mut self, items: &[T]) -> Option<T> {
		if items.is_empty() {
			None
		} else {
			Some(items[self.below(items.len() as u64) as usize].clone())
		}
	}
}

fn dispatch(origin: RuntimeOrigin, call: crate::Call<Test>) {
	let _ = RuntimeCall::ModelRegistry(call).dispatch(origin);
}

fn signed(who: AccountId) -> RuntimeOrigin {
	RuntimeOrigin::signed(who)
}

fn random_params(rng: &mut Rng) -> ParamsOf<Test> {
	let max_replicas = 3 + rng.below(20) as u32;
	let min_replicas = 3 + rng.below(u64::from(max_replicas - 2)) as u32;
	RegistryParams {
		initial_replicas: 1 + rng.below(u64::from(max_replicas)) as u32,
		low_watermark: rng.below(u64::from(min_replicas)) as u32,
		refill_batch: 1 + rng.below(u64::from(max_replicas)) as u32,
		min_replicas,
		max_replicas,
		download_deadline: 1 + rng.below(15),
		demand_window: 1 + rng.below(30),
		tasks_per_replica: 1 + rng.below(5) as u32,
		headroom_percent: 100 + rng.below(200) as u32,
		scale_down_hysteresis_percent: rng.below(100) as u32,
		executors_per_task: 1 + rng.below(3) as u32,
		commit_deadline: 1 + rng.below(6),
		reveal_deadline: 1 + rng.below(6),
		qos_kick_threshold: rng.below(400) as u32,
		slash_fraction: sp_runtime::Perbill::from_percent(rng.below(101) as u32),
	}
}

/// Nodes run by one attacker.
const ATTACKERS: core::ops::RangeInclusive<AccountId> = 1..=5;

/// One random step; `answers` remembers what each executor committed to.
fn step(rng: &mut Rng, answers: &mut BTreeMap<(TaskId, AccountId), H256>) {
	let nodes: Vec<AccountId> = Nodes::<Test>::iter_keys().collect();
	let models: Vec<ModelId> = Models::<Test>::iter_keys().collect();
	let tasks: Vec<(TaskId, TaskInfoOf<Test>)> = Tasks::<Test>::iter().collect();
	let any_node = 1 + rng.below(30);
	let any_model = model_id(1 + rng.below(12) as u8);
	match rng.below(100) {
		0..=7 => {
			let capacity =
				NodeCapacity { disk_bytes: 500 + rng.below(5_000), vram_bytes: rng.below(200) };
			dispatch(
				signed(any_node),
				crate::Call::join { capacity, stake: 50 + rng.below(2_000) },
			);
		}
		8..=9 => {
			let capacity =
				NodeCapacity { disk_bytes: rng.below(6_000), vram_bytes: rng.below(200) };
			dispatch(signed(any_node), crate::Call::update_capacity { capacity });
		}
		10..=11 => dispatch(signed(any_node), crate::Call::pause {}),
		12..=13 => dispatch(signed(any_node), crate::Call::resume {}),
		14 => dispatch(signed(any_node), crate::Call::leave {}),
		15..=19 => {
			let call = crate::Call::register_model {
				model: any_model,
				size_bytes: rng.below(2_000),
				sources: sources(),
				min_vram_bytes: rng.below(150),
			};
			dispatch(signed(60 + rng.below(5)), call);
			// Attacker: nodes 1..=5 announce every new model in its registration block.
			if rng.chance(50) {
				for node in ATTACKERS {
					dispatch(signed(node), crate::Call::announce_stored { model: any_model });
				}
			}
		}
		20 => {
			let origin =
				if rng.chance(50) { RuntimeOrigin::root() } else { signed(60 + rng.below(5)) };
			dispatch(origin, crate::Call::deregister_model { model: any_model });
		}
		21..=35 => {
			// A node confirms (mostly) or declines its pending nominations.
			if let Some(node) = rng.pick(&nodes) {
				for model in NodeNominations::<Test>::get(node) {
					if rng.chance(85) {
						dispatch(signed(node), crate::Call::confirm_stored { model });
					} else {
						let reason = DeclineReason::SourceUnavailable;
						dispatch(signed(node), crate::Call::decline_nomination { model, reason });
					}
				}
			}
		}
		36..=38 => {
			if let Some(node) = rng.pick(&nodes) {
				if let Some(model) = rng.pick(&NodeHoldings::<Test>::get(node)) {
					dispatch(signed(node), crate::Call::report_lost { model });
				}
			}
		}
		39..=41 => {
			if let (Some(node), Some(model)) = (rng.pick(&nodes), rng.pick(&models)) {
				dispatch(signed(node), crate::Call::announce_stored { model });
			}
		}
		42..=55 => {
			let model = rng.pick(&models).unwrap_or(any_model);
			let input = BoundedVec::truncate_from(rng.next().to_le_bytes().to_vec());
			let call = crate::Call::create_task { model, input, fee: rng.below(500) };
			dispatch(signed(70 + rng.below(5)), call);
		}
		56..=75 => {
			// The executors of a task in its commit phase commit (mostly the right answer).
			let in_commit: Vec<_> = tasks
				.iter()
				.filter(|(_, t)| matches!(t.status, TaskStatus::Commit { .. }))
				.collect();
			if let Some((id, task)) = rng.pick(&in_commit) {
				for e in task.executors.iter() {
					if !rng.chance(85) {
						continue;
					}
					// Attackers agree on a forged answer; the others mostly answer right.
					let forged = ATTACKERS.contains(&e.node) || !rng.chance(80);
					let result = H256::repeat_byte(if forged { 2 } else { 1 });
					answers.insert((*id, e.node), result);
					let commitment = commitment(e.node, result, salt(e.node));
					dispatch(signed(e.node), crate::Call::commit_result { task: *id, commitment });
				}
			}
		}
		76..=92 => {
			let in_reveal: Vec<_> = tasks
				.iter()
				.filter(|(_, t)| matches!(t.status, TaskStatus::Reveal { .. }))
				.collect();
			if let Some((id, task)) = rng.pick(&in_reveal) {
				let revealed: Vec<H256> = task.executors.iter().filter_map(|e| e.result).collect();
				for e in task.executors.iter().filter(|_| rng.chance(85)) {
					let result = answers.get(&(*id, e.node)).copied().unwrap_or_default();
					// Attackers withhold a reveal that others' reveals already outvote.
					let outvoted = revealed.iter().filter(|r| **r != result).count() * 2
						> task.executors.len();
					if ATTACKERS.contains(&e.node) && outvoted {
						continue;
					}
					let call = crate::Call::reveal_result { task: *id, result, salt: salt(e.node) };
					dispatch(signed(e.node), call);
				}
			}
		}
		93..=94 => {
			if let Some((id, task)) = rng.pick(&tasks) {
				dispatch(signed(task.creator), crate::Call::cancel_task { task: id });
			}
		}
		95 => {
			let params = random_params(rng);
			dispatch(RuntimeOrigin::root(), crate::Call::set_params { params });
		}
		_ => run_blocks(1 + rng.below(4)),
	}
}

fn run_sequence(seed: u64, steps: usize) {
	new_test_ext().execute_with(|| {
		let mut rng = Rng(seed);
		if rng.chance(50) {
			let params = random_params(&mut rng);
			assert_ok!(ModelRegistry::set_params(RuntimeOrigin::root(), params));
		}
		let mut answers = BTreeMap::new();
		let mut rules = Rules::default();
		for _ in 0..steps {
			step(&mut rng, &mut answers);
			rules.check_step();
			// Every 8 steps a block is produced (each checks the invariants).
			if rng.chance(12) {
				run_blocks(1);
				assert_ok!(ModelRegistry::check_holds(ACCOUNTS.collect()));
			}
		}
		run_blocks(40);
		rules.check_step();
		if std::env::var("PROPERTY_STATS").is_ok() {
			eprintln!("seed {seed}: {:?}", rules.counts);
		}
		assert_ok!(ModelRegistry::check_holds(ACCOUNTS.collect()));
		// Money is conserved apart from burnt slashes: free + held of every account.
		let total: Balance = ACCOUNTS.map(|a| Balances::total_balance(&a)).sum();
		assert_eq!(total, Balances::total_issuance());
	});
}

#[test]
fn random_sequences_keep_invariants() {
	for seed in 0..16 {
		run_sequence(seed, 300);
	}
}
