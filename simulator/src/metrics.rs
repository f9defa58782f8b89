//! What a run measures: per-interval samples (the time series) and per-model totals.

/// Longest task wait (in blocks) kept apart in the wait histograms; longer waits share the
/// last bucket.
pub const MAX_WAIT: usize = 64;

/// Counters of one sampling interval, and the state sampled at its end.
#[derive(Clone, Debug, Default)]
pub struct Sample {
	/// Block at the end of the interval.
	pub block: u64,
	/// Tasks created.
	pub created: u64,
	/// Task creations refused (queue full, model not placed yet…).
	pub refused: u64,
	/// Tasks assigned executors.
	pub assigned: u64,
	/// Histogram of assignment waits (blocks from creation to assignment).
	pub waits: Vec<u64>,
	/// Sum of assignment waits, in blocks.
	pub wait_sum: u64,
	/// Tasks completed with a majority result.
	pub completed: u64,
	/// Completed tasks whose result was wrong (the attackers' answer won).
	pub wrong: u64,
	/// Tasks failed because no holders were available for a demand window.
	pub failed_no_holders: u64,
	/// Tasks failed for other reasons (no answers, no quorum).
	pub failed_other: u64,
	/// Assigned tasks whose executors were all attackers.
	pub all_attackers: u64,
	/// First rounds appealed (contradicted results) and juries drawn for them.
	pub appeals: (u64, u64),
	/// Tasks failed `Disputed` (a contradicted first round without a jury, or a jury whose
	/// result did not lead the votes of both rounds).
	pub disputed: u64,
	/// Bytes downloaded by nominated nodes.
	pub downloaded: u64,
	/// Copies evicted.
	pub evictions: u64,
	/// Nominations expired unconfirmed.
	pub expired: u64,
	/// Executors slashed (honest ones, attackers).
	pub slashed: (u64, u64),
	/// Nodes kicked out for low QoS.
	pub kicked: u64,
	/// Disk used by all copies at the end of the interval, in bytes.
	pub disk_used: u64,
	/// Copies of all models at the end of the interval.
	pub copies: u64,
	/// Registered nodes at the end of the interval.
	pub nodes: u64,
	/// Highest `on_initialize` weight of a block (ref time, picoseconds).
	pub hook_max: u64,
	/// Sum of `on_initialize` weights (ref time).
	pub hook_sum: u64,
	/// Sum of the weights of dispatched calls (ref time).
	pub calls_sum: u64,
	/// Blocks in the interval.
	pub blocks: u64,
}

impl Sample {
	/// An empty interval.
	pub fn new() -> Self {
		Self { waits: vec![0; MAX_WAIT + 1], ..Default::default() }
	}

	/// Add another interval's counters (state fields take the other's values).
	pub fn add(&mut self, o: &Sample) {
		self.block = o.block;
		self.created += o.created;
		self.refused += o.refused;
		self.assigned += o.assigned;
		for (a, b) in self.waits.iter_mut().zip(&o.waits) {
			*a += b;
		}
		self.wait_sum += o.wait_sum;
		self.completed += o.completed;
		self.wrong += o.wrong;
		self.failed_no_holders += o.failed_no_holders;
		self.failed_other += o.failed_other;
		self.all_attackers += o.all_attackers;
		self.appeals.0 += o.appeals.0;
		self.appeals.1 += o.appeals.1;
		self.disputed += o.disputed;
		self.downloaded += o.downloaded;
		self.evictions += o.evictions;
		self.expired += o.expired;
		self.slashed.0 += o.slashed.0;
		self.slashed.1 += o.slashed.1;
		self.kicked += o.kicked;
		self.disk_used = o.disk_used;
		self.copies = o.copies;
		self.nodes = o.nodes;
		self.hook_max = self.hook_max.max(o.hook_max);
		self.hook_sum += o.hook_sum;
		self.calls_sum += o.calls_sum;
		self.blocks += o.blocks;
	}

	/// Tasks assigned within `floor + 1` blocks of creation.
	pub fn assigned_within(&self, floor: usize) -> u64 {
		self.waits.iter().take(floor + 2).sum()
	}

	/// Smallest wait observed (`None` without assignments).
	pub fn min_wait(&self) -> Option<usize> {
		self.waits.iter().position(|&c| c > 0)
	}
}

/// Totals of one model over a run.
#[derive(Clone, Debug, Default)]
pub struct ModelStats {
	/// Tasks created.
	pub tasks: u64,
	/// Tasks assigned.
	pub assigned: u64,
	/// Assigned tasks whose executors were all attackers.
	pub all_attackers: u64,
	/// Completed tasks with a wrong result.
	pub wrong: u64,
	/// Tasks failed for lack of holders.
	pub failed_no_holders: u64,
	/// Sum of sampled copy counts (divide by `samples`).
	pub copies_sum: u64,
	/// Sum of sampled replication targets.
	pub target_sum: u64,
	/// Samples taken while the model was registered.
	pub samples: u64,
}

impl ModelStats {
	/// Mean copies while registered.
	pub fn mean_copies(&self) -> f64 {
		self.copies_sum as f64 / self.samples.max(1) as f64
	}
}

/// Everything a run measured.
#[derive(Clone, Debug, Default)]
pub struct RunMetrics {
	/// One sample per interval.
	pub samples: Vec<Sample>,
	/// Per model (catalog order).
	pub models: Vec<ModelStats>,
	/// Calls that failed, by error.
	pub call_errors: std::collections::BTreeMap<String, u64>,
	/// Blocks simulated.
	pub blocks: u64,
	/// Blocks after which the invariants were checked (and held).
	pub blocks_checked: u64,
	/// Wall-clock seconds of the run.
	pub seconds: f64,
	/// Seconds spent in the hooks, the calls, the invariants and the simulation's own work.
	pub timing: [f64; 4],
}

impl RunMetrics {
	/// All intervals summed.
	pub fn total(&self) -> Sample {
		let mut t = Sample::new();
		for s in &self.samples {
			t.add(s);
		}
		t
	}
}
