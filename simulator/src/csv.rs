//! CSV output: every time series of every run, and the per-model totals.

use crate::{metrics::Sample, runtime::BLOCK_SECONDS, workload::Catalog, Finished};
use std::{fmt::Write as _, path::Path};

/// Hours at the end of block `block`.
pub fn hours(block: u64) -> f64 {
	(block * BLOCK_SECONDS) as f64 / 3600.0
}

/// Columns of `series.csv`, with how each is computed from a sample.
#[allow(clippy::type_complexity)]
pub const COLUMNS: &[(&str, fn(&Sample, usize) -> f64)] = &[
	("block", |s, _| s.block as f64),
	("hours", |s, _| hours(s.block)),
	("tasks_created", |s, _| s.created as f64),
	("tasks_refused", |s, _| s.refused as f64),
	("tasks_assigned", |s, _| s.assigned as f64),
	("assigned_at_floor_plus_1", |s, f| s.assigned_within(f) as f64),
	("locality_share", |s, f| ratio(s.assigned_within(f), s.assigned)),
	("mean_wait_blocks", |s, _| ratio(s.wait_sum, s.assigned)),
	("tasks_completed", |s, _| s.completed as f64),
	("tasks_wrong", |s, _| s.wrong as f64),
	("failed_no_holders", |s, _| s.failed_no_holders as f64),
	("failed_other", |s, _| s.failed_other as f64),
	("all_attacker_tasks", |s, _| s.all_attackers as f64),
	("all_attacker_share", |s, _| ratio(s.all_attackers, s.assigned)),
	("appeals", |s, _| s.appeals.0 as f64),
	("juries_drawn", |s, _| s.appeals.1 as f64),
	("failed_disputed", |s, _| s.disputed as f64),
	("downloaded_gb", |s, _| s.downloaded as f64 / 1e9),
	("downloaded_gb_per_hour", |s, _| s.downloaded as f64 / 1e9 / hours(s.blocks).max(1e-9)),
	("evictions", |s, _| s.evictions as f64),
	("nominations_expired", |s, _| s.expired as f64),
	("slashed_honest", |s, _| s.slashed.0 as f64),
	("slashed_attackers", |s, _| s.slashed.1 as f64),
	("kicked_out", |s, _| s.kicked as f64),
	("disk_used_tb", |s, _| s.disk_used as f64 / 1e12),
	("copies", |s, _| s.copies as f64),
	("nodes_registered", |s, _| s.nodes as f64),
	("hook_weight_max_pct", |s, _| pct_of_block(s.hook_max)),
	("hook_weight_mean_pct", |s, _| pct_of_block(s.hook_sum / s.blocks.max(1))),
	("call_weight_mean_pct", |s, _| pct_of_block(s.calls_sum / s.blocks.max(1))),
];

/// `a / b`, 0 when `b` is 0.
pub fn ratio(a: u64, b: u64) -> f64 {
	if b == 0 {
		0.0
	} else {
		a as f64 / b as f64
	}
}

/// A ref time as a percentage of the block's weight limit (2 s).
pub fn pct_of_block(ref_time: u64) -> f64 {
	let limit = crate::runtime::SimBlockWeights::get().max_block.ref_time();
	100.0 * ref_time as f64 / limit as f64
}

/// The wait floor of a run: the smallest wait observed in it (the randomness rule makes every
/// draw wait at least this long).
pub fn floor(f: &Finished) -> usize {
	f.metrics.total().min_wait().unwrap_or(0)
}

/// Write `series.csv` and `models.csv`.
pub fn write(out: &Path, runs: &[Finished], catalog: &Catalog) -> Result<(), String> {
	let mut text = String::from("run");
	for (name, _) in COLUMNS {
		let _ = write!(text, ",{name}");
	}
	text.push('\n');
	for f in runs {
		let fl = floor(f);
		for s in &f.metrics.samples {
			text.push_str(&f.variant.label);
			for (_, column) in COLUMNS {
				let _ = write!(text, ",{}", column(s, fl));
			}
			text.push('\n');
		}
	}
	std::fs::write(out.join("series.csv"), text).map_err(|e| format!("series.csv: {e}"))?;
	let mut text = String::from(
		"run,model,image,size_gb,vram_gb,launch_block,tasks,assigned,all_attacker_tasks,\
		 wrong_results,failed_no_holders,mean_copies,mean_target\n",
	);
	for f in runs {
		for (m, st) in catalog.models.iter().zip(&f.metrics.models) {
			let _ = writeln!(
				text,
				"{},{:?},{},{:.2},{:.2},{},{},{},{},{},{},{:.2},{:.2}",
				f.variant.label,
				m.id,
				m.image,
				m.size_bytes as f64 / 1e9,
				m.vram_bytes as f64 / 1e9,
				m.launch_block,
				st.tasks,
				st.assigned,
				st.all_attackers,
				st.wrong,
				st.failed_no_holders,
				st.mean_copies(),
				st.target_sum as f64 / st.samples.max(1) as f64,
			);
		}
	}
	std::fs::write(out.join("models.csv"), text).map_err(|e| format!("models.csv: {e}"))
}
