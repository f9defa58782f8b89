//! The runs of a scenario: modelnet's default parameters, the baselines expressed as parameter
//! sets of the same pallet, and the Sybil sweep.

use crate::scenario::{AttackStrategy, Candidate, Scenario};
use pallet_model_registry::RegistryParams;

/// Registry parameters of the simulation runtime.
pub type Params = RegistryParams<u64>;

/// What a run is for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
	/// modelnet's default parameters on the main workload.
	Modelnet,
	/// A baseline on the main workload.
	Baseline,
	/// Another parameter set of modelnet on the main workload (a scenario's `candidates`).
	Candidate,
	/// One cell of the Sybil sweep.
	Sybil,
}

/// One simulation run.
#[derive(Clone, Debug)]
pub struct Variant {
	/// Short name, used in file names and tables.
	pub label: String,
	/// What the run is for.
	pub kind: Kind,
	/// The registry parameters at genesis.
	pub params: Params,
	/// Share of attacker nodes.
	pub attacker_share: f64,
	/// When attackers cheat.
	pub strategy: AttackStrategy,
	/// Simulated blocks.
	pub blocks: u64,
}

/// Helium-like: 10 copies at once, refilled when fewer than 3 remain, never scaled by demand.
///
/// The pallet places copies at registration, not at first use; it tops a model up to its
/// target whenever a copy is lost, so `min_replicas = max_replicas = 10` keeps 10 copies
/// (Helium's "+10 below 3" can reach 12; the pallet caps refill at `max_replicas`).
pub fn helium(mut p: Params) -> Params {
	p.initial_replicas = 10;
	p.low_watermark = 3;
	p.refill_batch = 10;
	p.min_replicas = 10;
	p.max_replicas = 10;
	p
}

/// Crynux-relay-like: target `clamp(ceil(rate * mean exec time * 2), 1, 10)`, never removing.
///
/// The pallet's desired count is `ceil(demand * executors * headroom / (100 *
/// tasks_per_replica))` with demand in tasks per window, so `headroom = 200` and
/// `tasks_per_replica = executors * window seconds / mean exec seconds` give the same formula.
/// The floor is 3, not 1 (`min_replicas >= executors_per_task`, kept at 3 so that results are
/// still cross-checked); scale-down needs a 99 % drop in demand, or demand at the floor.
pub fn crynux(mut p: Params, mean_exec_seconds: f64) -> Params {
	let window_seconds = p.demand_window as f64 * crate::runtime::BLOCK_SECONDS as f64;
	p.initial_replicas = 3;
	p.low_watermark = 2;
	p.refill_batch = 3;
	p.min_replicas = 3;
	p.max_replicas = 10;
	p.headroom_percent = 200;
	p.tasks_per_replica =
		((p.executors_per_task as f64 * window_seconds / mean_exec_seconds).round() as u32).max(1);
	p.scale_down_hysteresis_percent = 99;
	p
}

/// `defaults` with the fields a candidate sets.
pub fn candidate(mut p: Params, c: &Candidate) -> Params {
	let set = |field: &mut u32, value: Option<u32>| {
		if let Some(v) = value {
			*field = v;
		}
	};
	set(&mut p.initial_replicas, c.initial_replicas);
	set(&mut p.low_watermark, c.low_watermark);
	set(&mut p.refill_batch, c.refill_batch);
	set(&mut p.min_replicas, c.min_replicas);
	set(&mut p.max_replicas, c.max_replicas);
	set(&mut p.tasks_per_replica, c.tasks_per_replica);
	set(&mut p.headroom_percent, c.headroom_percent);
	set(&mut p.scale_down_hysteresis_percent, c.scale_down_hysteresis_percent);
	if let Some(window) = c.demand_window {
		p.demand_window = window;
	}
	p
}

/// modelnet's defaults with another `min_replicas` (the watermark kept below it).
pub fn with_min_replicas(mut p: Params, min: u32) -> Params {
	p.min_replicas = min.max(p.executors_per_task);
	p.low_watermark = p.low_watermark.min(p.min_replicas - 1);
	p.max_replicas = p.max_replicas.max(p.min_replicas);
	p.initial_replicas = p.initial_replicas.max(p.min_replicas);
	p
}

/// Every run of a scenario, main runs first.
pub fn variants(s: &Scenario, mean_exec_seconds: f64) -> Vec<Variant> {
	let defaults = Params::default();
	let main = |label: &str, kind, params| Variant {
		label: label.into(),
		kind,
		params,
		attacker_share: s.nodes.attacker_share,
		strategy: s.sybil.strategy,
		blocks: s.blocks,
	};
	let mut runs = vec![main("modelnet", Kind::Modelnet, defaults.clone())];
	if s.baselines {
		runs.push(main("helium", Kind::Baseline, helium(defaults.clone())));
		runs.push(main("crynux", Kind::Baseline, crynux(defaults.clone(), mean_exec_seconds)));
	}
	for c in &s.candidates {
		runs.push(main(&c.label, Kind::Candidate, candidate(defaults.clone(), c)));
	}
	for &min in &s.sybil.min_replicas {
		for &share in &s.sybil.attacker_shares {
			runs.push(Variant {
				label: format!("sybil-{:02}pct-min{}", (share * 100.0).round(), min),
				kind: Kind::Sybil,
				params: with_min_replicas(defaults.clone(), min),
				attacker_share: share,
				strategy: s.sybil.strategy,
				blocks: s.sybil.blocks,
			});
		}
	}
	runs
}
