//! Simulated nodes: capacity, bandwidth, honest or attacker, and churn (leave, crash, rejoin).

use crate::{runtime::AccountId, scenario::NodeMix};
use pallet_model_registry::NodeCapacity;
use rand::{seq::SliceRandom, Rng};
use rand_chacha::ChaCha8Rng;
use rand_distr::{Distribution, Exp, WeightedIndex};
use std::collections::BTreeMap;

/// Whether a node answers.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Presence {
	/// Running and answering.
	Online,
	/// Crashed: registered (if it was) but silent.
	Crashed,
	/// Left the network on purpose.
	Away,
}

/// One simulated node.
#[derive(Clone, Debug)]
pub struct SimNode {
	/// Its account.
	pub id: AccountId,
	/// Declared disk and VRAM.
	pub capacity: NodeCapacity,
	/// Download bandwidth in bytes per block.
	pub bytes_per_block: f64,
	/// Whether it belongs to the attacker.
	pub attacker: bool,
	/// Whether it answers.
	pub presence: Presence,
	/// Whether it is a registered node on chain (joined and not left or kicked out).
	pub registered: bool,
}

/// Something a node (or the workload) does at a given block.
#[derive(Clone, Copy, Debug)]
pub enum Action {
	/// Join (or rejoin) the network.
	Join(AccountId),
	/// Confirm the download of a model (catalog position).
	Confirm(AccountId, usize),
	/// Commit the result of a task.
	Commit(AccountId, u64),
	/// Reveal the result of a task.
	Reveal(AccountId, u64),
	/// Leave the network on purpose.
	Leave(AccountId),
	/// Stop answering.
	Crash(AccountId),
	/// Come back after leaving or crashing.
	Return(AccountId),
	/// Register a model (catalog position).
	Register(usize),
}

/// Actions by block.
#[derive(Default)]
pub struct Agenda(BTreeMap<u64, Vec<Action>>);

impl Agenda {
	/// Do `action` at block `at`.
	pub fn at(&mut self, at: u64, action: Action) {
		self.0.entry(at).or_default().push(action);
	}

	/// Take the actions due at block `now`.
	pub fn take(&mut self, now: u64) -> Vec<Action> {
		self.0.remove(&now).unwrap_or_default()
	}
}

/// First account id of the nodes (ids `1..=count`).
pub const FIRST_NODE: AccountId = 1;

/// Draw the nodes. Attackers are the first `attacker_share` of a fixed random order, so that
/// the attacker sets of different shares are nested and the same nodes otherwise.
pub fn population(mix: &NodeMix, attacker_share: f64, rng: &mut ChaCha8Rng) -> Vec<SimNode> {
	let disk = WeightedIndex::new(&mix.disk_weights).expect("disk weights are valid");
	let vram = WeightedIndex::new(&mix.vram_weights).expect("VRAM weights are valid");
	let count = mix.count as usize;
	let mut order: Vec<usize> = (0..count).collect();
	order.shuffle(rng);
	let attackers = ((count as f64) * attacker_share).round() as usize;
	let mut attacker = vec![false; count];
	for &i in &order[..attackers] {
		attacker[i] = true;
	}
	(0..count)
		.map(|i| {
			let mbps = (mix.min_mbps.ln()
				+ rng.gen::<f64>() * (mix.max_mbps.ln() - mix.min_mbps.ln()))
			.exp();
			SimNode {
				id: FIRST_NODE + i as AccountId,
				capacity: NodeCapacity {
					disk_bytes: mix.disk_gb[disk.sample(rng)] * 1_000_000_000,
					vram_bytes: mix.vram_gb[vram.sample(rng)] * 1_000_000_000,
				},
				bytes_per_block: mbps * 125_000.0 * crate::runtime::BLOCK_SECONDS as f64,
				attacker: attacker[i],
				presence: Presence::Online,
				registered: false,
			}
		})
		.collect()
}

/// Churn of one node: when it next leaves or crashes, and how long it stays away.
pub struct Churn {
	leave_per_block: f64,
	crash_per_block: f64,
	offline_blocks: f64,
}

impl Churn {
	/// Churn rates of a node mix.
	pub fn new(mix: &NodeMix) -> Self {
		let per_hour = 3600.0 / crate::runtime::BLOCK_SECONDS as f64;
		Self {
			leave_per_block: mix.leave_per_hour / per_hour,
			crash_per_block: mix.crash_per_hour / per_hour,
			offline_blocks: mix.mean_offline_hours * per_hour,
		}
	}

	/// The next leave or crash of `node` after block `now`, if it ever happens.
	pub fn next_departure(
		&self,
		node: AccountId,
		now: u64,
		rng: &mut ChaCha8Rng,
	) -> Option<(u64, Action)> {
		let rate = self.leave_per_block + self.crash_per_block;
		let wait = Exp::new(rate).ok()?.sample(rng);
		let at = now + 1 + wait as u64;
		let action = if rng.gen::<f64>() * rate < self.leave_per_block {
			Action::Leave(node)
		} else {
			Action::Crash(node)
		};
		Some((at, action))
	}

	/// Blocks a node stays away after leaving or crashing.
	pub fn offline_for(&self, rng: &mut ChaCha8Rng) -> u64 {
		Exp::new(1.0 / self.offline_blocks.max(1.0)).map(|d| d.sample(rng) as u64).unwrap_or(1) + 1
	}
}
