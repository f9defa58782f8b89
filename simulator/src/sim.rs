//! One simulation run: the chain, the nodes and the workload, block by block.

use crate::{
	actors::{population, Action, Agenda, Churn, Presence, SimNode, FIRST_NODE},
	chain,
	metrics::{ModelStats, RunMetrics, Sample},
	runtime::{set_random_seed, AccountId, Balance, ModelRegistry, Runtime, UNIT},
	scenario::{AttackStrategy, Scenario},
	variants::Variant,
	workload::{Arrivals, Catalog},
};
use codec::Encode;
use pallet_model_registry::{
	offchain::{commitment_of, sealed_result},
	pieces::piece_count,
	Call, Tasks,
};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use sp_core::H256;
use std::collections::HashMap;

/// Account that registers every model.
const OWNER: AccountId = 10_000_000;
/// First of the accounts that create tasks.
const FIRST_CREATOR: AccountId = 20_000_000;
/// Accounts that create tasks.
const CREATORS: u64 = 64;
/// Blocks between two compactions of the state.
const COMPACT_EVERY: u64 = 100;
/// Joins dispatched per block while the network starts.
const JOINS_PER_BLOCK: u64 = 100;

/// A task the simulation follows from creation to its end.
pub(crate) struct Tracked {
	pub(crate) model: usize,
	pub(crate) created: u64,
	pub(crate) correct: H256,
	pub(crate) executors: Vec<AccountId>,
	pub(crate) answers: Vec<(AccountId, H256, H256)>,
}

/// The failure of a run: the invariants broke after a block.
#[derive(Debug)]
pub struct InvariantBroken {
	/// The block after which they broke.
	pub block: u64,
	/// What broke.
	pub error: String,
}

/// State of one run.
pub(crate) struct Sim<'a> {
	pub(crate) variant: &'a Variant,
	pub(crate) catalog: &'a Catalog,
	pub(crate) nodes: Vec<SimNode>,
	pub(crate) churn: Churn,
	pub(crate) agenda: Agenda,
	pub(crate) rng: ChaCha8Rng,
	pub(crate) tasks: HashMap<u64, Tracked>,
	pub(crate) by_id: HashMap<H256, usize>,
	pub(crate) sample: Sample,
	pub(crate) metrics: RunMetrics,
	pub(crate) jitter: u64,
	pub(crate) rejoin_after: u64,
}

/// Run `variant` of scenario `s` on `catalog`. `break_at` makes the run corrupt the registry's
/// state at that block (to check that broken invariants are caught).
pub fn run(
	s: &Scenario,
	variant: &Variant,
	catalog: &Catalog,
	break_at: Option<u64>,
) -> Result<RunMetrics, InvariantBroken> {
	let started = std::time::Instant::now();
	let mut rng = ChaCha8Rng::seed_from_u64(s.seed);
	let nodes = population(&s.nodes, variant.attacker_share, &mut rng);
	set_random_seed(s.seed);
	let endowed = nodes
		.iter()
		.map(|n| (n.id, 10_000 * UNIT))
		.chain(std::iter::once((OWNER, 1_000_000_000 * UNIT)))
		.chain((0..CREATORS).map(|i| (FIRST_CREATOR + i, 1_000_000_000 * UNIT)))
		.collect::<Vec<(AccountId, Balance)>>();
	let mut ext = chain::genesis(endowed.into_iter(), variant.params.clone());
	let mut sim = Sim {
		variant,
		catalog,
		churn: Churn::new(&s.nodes),
		agenda: Agenda::default(),
		rng,
		tasks: HashMap::new(),
		by_id: catalog.models.iter().enumerate().map(|(i, m)| (m.id, i)).collect(),
		sample: Sample::new(),
		metrics: RunMetrics {
			models: vec![ModelStats::default(); catalog.models.len()],
			..Default::default()
		},
		jitter: s.nodes.confirm_jitter_blocks,
		rejoin_after: variant.params.demand_window + 1,
		nodes,
	};
	for (i, node) in sim.nodes.iter().enumerate() {
		sim.agenda.at(1 + i as u64 / JOINS_PER_BLOCK, Action::Join(node.id));
	}
	let join_blocks = sim.nodes.len() as u64 / JOINS_PER_BLOCK + 1;
	for (i, m) in catalog.models.iter().enumerate() {
		sim.agenda.at(m.launch_block.max(join_blocks + 1), Action::Register(i));
	}
	let mut arrivals = Arrivals::new(s.tasks.per_block, s.tasks.start_block);
	let mut first = 1;
	while first <= variant.blocks {
		let last = (first + COMPACT_EVERY - 1).min(variant.blocks);
		ext.execute_with(|| {
			for n in first..=last {
				let clock = std::time::Instant::now();
				let hook = chain::begin_block(n);
				sim.metrics.timing[0] += clock.elapsed().as_secs_f64();
				let clock = std::time::Instant::now();
				sim.sample.hook_max = sim.sample.hook_max.max(hook.ref_time());
				sim.sample.hook_sum += hook.ref_time();
				sim.sample.blocks += 1;
				for action in sim.agenda.take(n) {
					sim.act(n, action);
				}
				for model in arrivals.draw(catalog, n, &mut sim.rng) {
					sim.create_task(model);
				}
				if break_at == Some(n) {
					crate::sabotage::corrupt();
				}
				sim.metrics.timing[1] += clock.elapsed().as_secs_f64();
				let clock = std::time::Instant::now();
				chain::end_block(n);
				if n % s.invariants_every == 0 || n == variant.blocks {
					chain::check_invariants()
						.map_err(|e| InvariantBroken { block: n, error: format!("{e:?}") })?;
					sim.metrics.blocks_checked += 1;
				}
				sim.metrics.timing[2] += clock.elapsed().as_secs_f64();
				let clock = std::time::Instant::now();
				sim.metrics.blocks = n;
				for event in chain::events() {
					sim.on_event(n, event);
				}
				if n % s.sample_every == 0 || n == variant.blocks {
					sim.take_sample(n);
				}
				sim.metrics.timing[3] += clock.elapsed().as_secs_f64();
			}
			Ok::<(), InvariantBroken>(())
		})?;
		ext = chain::compact(ext);
		first = last + 1;
	}
	sim.metrics.seconds = started.elapsed().as_secs_f64();
	Ok(sim.metrics)
}

impl Sim<'_> {
	pub(crate) fn is_attacker(&self, id: AccountId) -> bool {
		self.nodes[(id - FIRST_NODE) as usize].attacker
	}

	pub(crate) fn node(&mut self, id: AccountId) -> &mut SimNode {
		&mut self.nodes[(id - FIRST_NODE) as usize]
	}

	fn call(&mut self, who: AccountId, call: Call<Runtime>) -> bool {
		let out = chain::dispatch(Some(who), call);
		self.sample.calls_sum += out.weight.ref_time();
		match out.result {
			Ok(()) => true,
			Err(e) => {
				*self.metrics.call_errors.entry(chain::error_name(&e)).or_default() += 1;
				false
			}
		}
	}

	pub(crate) fn online(&mut self, id: AccountId) -> bool {
		self.node(id).presence == Presence::Online
	}

	fn act(&mut self, n: u64, action: Action) {
		match action {
			Action::Join(id) => {
				let node = self.node(id).clone();
				if node.presence != Presence::Online || node.registered {
					return;
				}
				let stake = ModelRegistry::required_stake(&node.capacity);
				let call = Call::join { capacity: node.capacity, stake };
				if self.call(id, call) {
					self.node(id).registered = true;
					if let Some((at, a)) = self.churn.next_departure(id, n, &mut self.rng) {
						self.agenda.at(at, a);
					}
				} else {
					// Too soon after leaving or being kicked out: try again later.
					self.agenda.at(n + 50, Action::Join(id));
				}
			}
			Action::Confirm(id, model) => {
				if !self.online(id) {
					return;
				}
				self.sample.downloaded += self.catalog.models[model].size_bytes;
				let model = self.catalog.models[model].id;
				self.call(id, Call::confirm_stored { model });
			}
			Action::Commit(id, task) => {
				if !self.online(id) {
					return;
				}
				let Some(answer) = self.answer(id, task) else { return };
				let commitment = commitment_of(&id, &sealed_result(task, &answer.0), &answer.1);
				if self.call(id, Call::commit_result { task, commitment }) {
					if let Some(t) = self.tasks.get_mut(&task) {
						t.answers.push((id, answer.0, answer.1));
					}
				}
			}
			Action::Reveal(id, task) => {
				if !self.online(id) {
					return;
				}
				let Some(&(_, result, salt)) =
					self.tasks.get(&task).and_then(|t| t.answers.iter().find(|a| a.0 == id))
				else {
					return;
				};
				// A first-round executor reveals its sealed result, an appeal juror the result.
				let juror = Tasks::<Runtime>::get(task).is_some_and(|t| t.appeal.is_some());
				let result = if juror { result } else { sealed_result(task, &result) };
				self.call(id, Call::reveal_result { task, result, salt });
			}
			Action::Leave(id) => {
				if !self.online(id) || !self.node(id).registered {
					return;
				}
				if self.call(id, Call::leave {}) {
					let node = self.node(id);
					node.registered = false;
					node.presence = Presence::Away;
					let back = self.churn.offline_for(&mut self.rng).max(self.rejoin_after);
					self.agenda.at(n + back, Action::Return(id));
				} else {
					// Open commitments: leave once they resolve.
					self.agenda.at(n + 5, Action::Leave(id));
				}
			}
			Action::Crash(id) => {
				if !self.online(id) {
					return;
				}
				self.node(id).presence = Presence::Crashed;
				let back = self.churn.offline_for(&mut self.rng);
				self.agenda.at(n + back, Action::Return(id));
			}
			Action::Return(id) => {
				self.node(id).presence = Presence::Online;
				if self.node(id).registered {
					if let Some((at, a)) = self.churn.next_departure(id, n, &mut self.rng) {
						self.agenda.at(at, a);
					}
				} else {
					self.act(n, Action::Join(id));
				}
			}
			Action::Register(i) => {
				let m = &self.catalog.models[i];
				let pieces = (0..piece_count(m.size_bytes))
					.map(|p| H256(sp_io::hashing::blake2_256(&(m.id, p).encode())))
					.collect::<Vec<_>>();
				let source = format!("https://models.example/{i}").into_bytes();
				let call = Call::register_model {
					model: m.id,
					size_bytes: m.size_bytes,
					sources: vec![source.try_into().expect("URL fits")]
						.try_into()
						.expect("one source fits"),
					min_vram_bytes: m.vram_bytes,
					pieces: pieces.try_into().expect("piece count fits"),
					executor: Default::default(),
				};
				self.call(OWNER, call);
			}
		}
	}

	fn create_task(&mut self, model: usize) {
		let creator = FIRST_CREATOR + self.rng.gen_range(0..CREATORS);
		let input: [u8; 32] = self.rng.gen();
		let call = Call::create_task {
			model: self.catalog.models[model].id,
			input: input.to_vec().try_into().expect("input fits"),
			fee: UNIT,
		};
		self.metrics.models[model].tasks += 1;
		if self.call(creator, call) {
			self.sample.created += 1;
		} else {
			self.sample.refused += 1;
		}
	}

	/// The result and salt `id` commits to: the right answer, or the attackers' agreed wrong
	/// one when they cheat on this task.
	fn answer(&mut self, id: AccountId, task: u64) -> Option<(H256, H256)> {
		let salt = H256(self.rng.gen());
		let correct = self.tasks.get(&task)?.correct;
		let cheat = self.node(id).attacker && self.cheats(task);
		let result = if cheat {
			H256(sp_io::hashing::blake2_256(&(b"forged", task).encode()))
		} else {
			correct
		};
		Some((result, salt))
	}

	fn cheats(&self, task: u64) -> bool {
		match self.variant.strategy {
			AttackStrategy::Always => true,
			AttackStrategy::Majority => {
				let Some(t) = self.tasks.get(&task) else { return false };
				let bad = t.executors.iter().filter(|e| self.is_attacker(**e)).count();
				bad * 2 > t.executors.len()
			}
		}
	}
}
