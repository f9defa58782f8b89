//! Scenario files: the simulated network, models, workload and the runs to compare.

use serde::Deserialize;
use std::path::Path;

/// A whole scenario, read from a TOML file.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Scenario {
	/// Name shown in the report.
	pub name: String,
	/// Seed of every random choice (workload, actors and the chain's randomness).
	pub seed: u64,
	/// Simulated blocks of the main runs (modelnet and the baselines).
	pub blocks: u64,
	/// Blocks between two samples of the time series.
	pub sample_every: u64,
	/// Check the registry's invariants after every this many blocks (and after the last one).
	/// 1, the default, checks after every block.
	#[serde(default = "one")]
	pub invariants_every: u64,
	/// The nodes.
	pub nodes: NodeMix,
	/// The models.
	pub models: ModelMix,
	/// The task workload.
	pub tasks: Workload,
	/// The Sybil sweep.
	pub sybil: SybilSweep,
	/// Whether to run the Helium-like and Crynux-relay-like baselines.
	#[serde(default = "yes")]
	pub baselines: bool,
	/// Other parameter sets to try on the main workload beside modelnet's defaults
	/// (`[[candidates]]` tables), each a main run of the report.
	#[serde(default)]
	pub candidates: Vec<Candidate>,
}

/// A parameter set to compare with modelnet's defaults; fields not given keep the default.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Candidate {
	/// Name of the run in tables and file names.
	pub label: String,
	/// `RegistryParams::initial_replicas`.
	pub initial_replicas: Option<u32>,
	/// `RegistryParams::low_watermark`.
	pub low_watermark: Option<u32>,
	/// `RegistryParams::refill_batch`.
	pub refill_batch: Option<u32>,
	/// `RegistryParams::min_replicas`.
	pub min_replicas: Option<u32>,
	/// `RegistryParams::max_replicas`.
	pub max_replicas: Option<u32>,
	/// `RegistryParams::demand_window` (blocks).
	pub demand_window: Option<u64>,
	/// `RegistryParams::tasks_per_replica`.
	pub tasks_per_replica: Option<u32>,
	/// `RegistryParams::headroom_percent`.
	pub headroom_percent: Option<u32>,
	/// `RegistryParams::scale_down_hysteresis_percent`.
	pub scale_down_hysteresis_percent: Option<u32>,
}

fn one() -> u64 {
	1
}

fn yes() -> bool {
	true
}

/// Simulated GPU nodes.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NodeMix {
	/// Number of node accounts.
	pub count: u32,
	/// Share of attacker nodes in the main runs (0..1).
	pub attacker_share: f64,
	/// Disk sizes in GB, chosen with the weights in `disk_weights`.
	pub disk_gb: Vec<u64>,
	/// Weights of `disk_gb`.
	pub disk_weights: Vec<f64>,
	/// VRAM sizes in GB, chosen with the weights in `vram_weights`.
	pub vram_gb: Vec<u64>,
	/// Weights of `vram_gb`.
	pub vram_weights: Vec<f64>,
	/// Lowest download bandwidth in Mbit/s (log-uniform up to `max_mbps`).
	pub min_mbps: f64,
	/// Highest download bandwidth in Mbit/s.
	pub max_mbps: f64,
	/// Largest extra delay of a confirmation after the download, in blocks.
	pub confirm_jitter_blocks: u64,
	/// Graceful leaves per node and hour.
	pub leave_per_hour: f64,
	/// Crashes (the node stops answering) per node and hour.
	pub crash_per_hour: f64,
	/// Mean hours a node stays away after leaving or crashing.
	pub mean_offline_hours: f64,
}

/// The models and how their popularity changes.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ModelMix {
	/// Number of models.
	pub count: u32,
	/// Share of image models (2–7 GB); the rest are LLMs (4–140 GB, log-uniform).
	pub image_share: f64,
	/// Zipf exponent of the popularity ranking.
	pub zipf_exponent: f64,
	/// Share of models launched during the run instead of at the start.
	pub launched_share: f64,
	/// Popularity boost of a launched model at its launch (multiplies its Zipf weight).
	pub launch_boost: f64,
	/// Share of models whose popularity fades during the run.
	pub fading_share: f64,
	/// Hours over which launch boosts and fading models lose 1/e of their weight.
	pub fade_hours: f64,
	/// Popularity spike: start (fraction of the run), length (fraction), factor.
	pub spike_start: f64,
	/// Length of the spike as a fraction of the run.
	pub spike_length: f64,
	/// Factor of the spiking model's weight.
	pub spike_factor: f64,
	/// Mean execution time of an image model task, in seconds.
	pub image_exec_seconds: f64,
	/// Mean execution time of an LLM task, in seconds.
	pub llm_exec_seconds: f64,
}

/// Task arrivals.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Workload {
	/// Mean tasks per block over all models (Poisson arrivals split by popularity).
	pub per_block: f64,
	/// Block from which tasks arrive (models need time to be placed first).
	pub start_block: u64,
}

/// Sybil risk sweep: attacker shares against `min_replicas` values.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SybilSweep {
	/// Attacker shares of the nodes.
	pub attacker_shares: Vec<f64>,
	/// `min_replicas` values (the other parameters are modelnet's defaults).
	pub min_replicas: Vec<u32>,
	/// Blocks of each sweep run.
	pub blocks: u64,
	/// Attackers cheat only when they form a majority of a task's executors (`"majority"`,
	/// they see the executor list on chain), or on every task (`"always"`).
	pub strategy: AttackStrategy,
}

/// When attackers reveal their agreed wrong answer.
#[derive(Clone, Copy, Debug, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum AttackStrategy {
	/// Only when attackers are a strict majority of the executors.
	Majority,
	/// On every task.
	Always,
}

impl Scenario {
	/// Read and check a scenario file.
	pub fn load(path: &Path) -> Result<Self, String> {
		let text = std::fs::read_to_string(path)
			.map_err(|e| format!("cannot read {}: {e}", path.display()))?;
		let scenario: Scenario =
			toml::from_str(&text).map_err(|e| format!("{}: {e}", path.display()))?;
		scenario.check()?;
		Ok(scenario)
	}

	fn check(&self) -> Result<(), String> {
		let n = &self.nodes;
		if n.disk_gb.len() != n.disk_weights.len() || n.vram_gb.len() != n.vram_weights.len() {
			return Err("each size list needs as many weights".into());
		}
		if n.count == 0
			|| self.models.count == 0
			|| self.blocks == 0
			|| self.sample_every == 0
			|| self.invariants_every == 0
		{
			return Err("nodes, models, blocks and the intervals must be positive".into());
		}
		if !(0.0..1.0).contains(&n.attacker_share) || n.min_mbps <= 0.0 || n.max_mbps < n.min_mbps {
			return Err("attacker_share must be in [0, 1) and bandwidths positive".into());
		}
		Ok(())
	}
}
