//! `report.md`: what the runs measured, in tables, with the plots described.

use crate::{
	csv::{floor, hours, pct_of_block, ratio},
	plots::Plot,
	scenario::Scenario,
	variants::{Kind, Params},
	workload::Catalog,
	Finished,
};
use std::{fmt::Write as _, path::Path, time::Duration};

fn pct(x: f64) -> String {
	format!("{:.2} %", 100.0 * x)
}

/// The main comparison table: one row per main run.
pub fn main_table(runs: &[Finished]) -> String {
	let mut t = String::from(
		"| run | tasks created | locality (assigned ≤ floor+1 blocks) | mean wait (blocks) | failed: no holders | mean disk used (TB) | downloaded (TB) | GB/h | evictions | all-attacker tasks | appeals (disputed) | wrong results |\n\
		 |---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n",
	);
	for f in runs.iter().filter(|f| f.variant.kind != Kind::Sybil) {
		let s = f.metrics.total();
		let n = f.metrics.samples.len().max(1) as f64;
		let disk = f.metrics.samples.iter().map(|x| x.disk_used as f64).sum::<f64>() / n / 1e12;
		let _ = writeln!(
			t,
			"| {} | {} | {} | {:.2} | {} ({}) | {:.1} | {:.1} | {:.0} | {} | {} | {} ({}) | {} |",
			f.variant.label,
			s.created,
			pct(ratio(s.assigned_within(floor(f)), s.assigned)),
			ratio(s.wait_sum, s.assigned),
			s.failed_no_holders,
			pct(ratio(s.failed_no_holders, s.created)),
			disk,
			s.downloaded as f64 / 1e12,
			s.downloaded as f64 / 1e9 / hours(s.blocks),
			s.evictions,
			pct(ratio(s.all_attackers, s.assigned)),
			s.appeals.0,
			s.disputed,
			s.wrong,
		);
	}
	t
}

fn params_table(runs: &[Finished]) -> String {
	let mut t = String::from(
		"| run | initial | low watermark | refill | min | max | tasks/replica | headroom % | hysteresis % | executors |\n\
		 |---|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n",
	);
	for f in runs.iter().filter(|f| f.variant.kind != Kind::Sybil) {
		let p: &Params = &f.variant.params;
		let _ = writeln!(
			t,
			"| {} | {} | {} | {} | {} | {} | {} | {} | {} | {} |",
			f.variant.label,
			p.initial_replicas,
			p.low_watermark,
			p.refill_batch,
			p.min_replicas,
			p.max_replicas,
			p.tasks_per_replica,
			p.headroom_percent,
			p.scale_down_hysteresis_percent,
			p.executors_per_task
		);
	}
	t
}

/// Models of a run split into popularity deciles by their task count (decile 1: most tasks).
fn deciles(f: &Finished) -> Vec<Vec<usize>> {
	let mut order: Vec<usize> = (0..f.metrics.models.len()).collect();
	order.sort_by_key(|&i| std::cmp::Reverse(f.metrics.models[i].tasks));
	let n = order.len();
	(0..10).map(|d| order[d * n / 10..(d + 1) * n / 10].to_vec()).collect()
}

fn copies_table(runs: &[Finished]) -> String {
	let mut main: Vec<&Finished> = runs.iter().filter(|f| f.variant.kind != Kind::Sybil).collect();
	if main.is_empty() {
		main = runs.iter().collect();
	}
	let mut t = String::from("| decile | tasks per model |");
	for f in &main {
		let _ = write!(t, " {} copies | {} target |", f.variant.label, f.variant.label);
	}
	t.push_str("\n|---:|---:|");
	t.push_str(&"---:|---:|".repeat(main.len()));
	t.push('\n');
	let ds = deciles(main[0]);
	for (d, models) in ds.iter().enumerate() {
		let k = models.len().max(1) as f64;
		let tasks = models.iter().map(|&i| main[0].metrics.models[i].tasks).sum::<u64>() as f64;
		let _ = write!(t, "| {} | {:.0} |", d + 1, tasks / k);
		for f in &main {
			let copies: f64 = models.iter().map(|&i| f.metrics.models[i].mean_copies()).sum();
			let target: f64 = models
				.iter()
				.map(|&i| {
					let m = &f.metrics.models[i];
					m.target_sum as f64 / m.samples.max(1) as f64
				})
				.sum();
			let _ = write!(t, " {:.1} | {:.1} |", copies / k, target / k);
		}
		t.push('\n');
	}
	t
}

fn sybil_tables(runs: &[Finished]) -> String {
	let sybil: Vec<&Finished> = runs.iter().filter(|f| f.variant.kind == Kind::Sybil).collect();
	if sybil.is_empty() {
		return "No Sybil sweep in this scenario.\n".into();
	}
	let mut shares: Vec<f64> = sybil.iter().map(|f| f.variant.attacker_share).collect();
	shares.sort_by(f64::total_cmp);
	shares.dedup();
	let mut mins: Vec<u32> = sybil.iter().map(|f| f.variant.params.min_replicas).collect();
	mins.sort();
	mins.dedup();
	let find = |share: f64, min: u32| {
		sybil
			.iter()
			.find(|f| f.variant.attacker_share == share && f.variant.params.min_replicas == min)
	};
	let mut t = String::from(
		"Share of assigned tasks whose executors were all attackers (wrong results that won in \
		 brackets; f³ is the chance for three executors drawn independently from the nodes):\n\n\
		 | attacker share | f³ |",
	);
	for m in &mins {
		let _ = write!(t, " min_replicas = {m} |");
	}
	t.push_str("\n|---:|---:|");
	t.push_str(&"---:|".repeat(mins.len()));
	t.push('\n');
	for &share in &shares {
		let _ = write!(t, "| {:.0} % | {} |", share * 100.0, pct(share.powi(3)));
		for &m in &mins {
			match find(share, m) {
				Some(f) => {
					let s = f.metrics.total();
					let _ = write!(
						t,
						" {} of {} ({}) |",
						pct(ratio(s.all_attackers, s.assigned)),
						s.assigned,
						s.wrong
					);
				}
				None => t.push_str(" – |"),
			}
		}
		t.push('\n');
	}
	let default_min = Params::default().min_replicas;
	let min = if mins.contains(&default_min) { default_min } else { mins[0] };
	let _ = write!(
		t,
		"\nBy popularity decile (decile 1: the 10 % of models with most tasks), min_replicas = \
		 {min}:\n\n| decile |"
	);
	for &share in &shares {
		let _ = write!(t, " {:.0} % attackers |", share * 100.0);
	}
	t.push_str("\n|---:|");
	t.push_str(&"---:|".repeat(shares.len()));
	t.push('\n');
	for d in 0..10 {
		let _ = write!(t, "| {} |", d + 1);
		for &share in &shares {
			match find(share, min) {
				Some(f) => {
					let models = &deciles(f)[d];
					let (bad, all) = models.iter().fold((0, 0), |(b, a), &i| {
						let m = &f.metrics.models[i];
						(b + m.all_attackers, a + m.assigned)
					});
					let _ = write!(t, " {} of {} |", pct(ratio(bad, all)), all);
				}
				None => t.push_str(" – |"),
			}
		}
		t.push('\n');
	}
	t
}

/// All-attacker tasks and slashes in the first and last quarter of each main run.
fn sybil_trend(runs: &[Finished]) -> String {
	let mut t = String::from(
		"Over time in the main runs (first quarter → last quarter of the run): share of tasks \
		 whose executors were all attackers, and executors slashed (honest / attackers):\n\n\
		 | run | all-attacker tasks | slashed honest | slashed attackers | wrong results |\n|---|---:|---:|---:|---:|\n",
	);
	for f in runs.iter().filter(|f| f.variant.kind != Kind::Sybil) {
		let q = (f.metrics.samples.len() / 4).max(1);
		let sum = |part: &[crate::metrics::Sample]| {
			let mut total = crate::metrics::Sample::new();
			for s in part {
				total.add(s);
			}
			total
		};
		let first = sum(&f.metrics.samples[..q.min(f.metrics.samples.len())]);
		let last = sum(&f.metrics.samples[f.metrics.samples.len().saturating_sub(q)..]);
		let _ = writeln!(
			t,
			"| {} | {} → {} | {} → {} | {} → {} | {} → {} |",
			f.variant.label,
			pct(ratio(first.all_attackers, first.assigned)),
			pct(ratio(last.all_attackers, last.assigned)),
			first.slashed.0,
			last.slashed.0,
			first.slashed.1,
			last.slashed.1,
			first.wrong,
			last.wrong,
		);
	}
	t.push_str(
		"\nAttackers cheat only where they hold a majority of a task's executors (or of its \
		 jury). Were the outvoted honest executor slashed at once, it would also lose the model \
		 for `COOLDOWN_WINDOWS` windows while the attackers are never slashed, and their share \
		 of a busy model's holders would ratchet up. A contradicted result is appealed instead: \
		 a jury of up to 2k + 1 other holders answers the same task and its majority decides if \
		 its result also leads the votes of both rounds, so the attackers are slashed unless \
		 they also hold the jury's majority or tie the count (then the task fails `Disputed`; \
		 pallet module `appeal`).\n",
	);
	t
}

fn cost(f: &Finished) -> String {
	let s = f.metrics.total();
	format!(
		"`on_initialize` of the registry (weights of `SubstrateWeight` with ParityDB, returned by \
		 the hook and registered as the block's mandatory weight), run `{}`: mean {:.3} % and \
		 highest {:.3} % of the block weight limit (2 s of ref time; 75 % of it for normal \
		 calls). Dispatched calls added {:.3} % on average.\n",
		f.variant.label,
		pct_of_block(s.hook_sum / s.blocks.max(1)),
		pct_of_block(s.hook_max),
		pct_of_block(s.calls_sum / s.blocks.max(1)),
	)
}

/// Write `report.md`.
pub fn write(
	out: &Path,
	s: &Scenario,
	catalog: &Catalog,
	runs: &[Finished],
	plots: &[Plot],
	elapsed: Duration,
) -> Result<(), String> {
	let mut r = String::new();
	let main = &runs[0];
	let blocks: u64 = runs.iter().map(|f| f.metrics.blocks).sum();
	let images = catalog.models.iter().filter(|m| m.image).count();
	let _ = writeln!(r, "# Simulation report: {}\n", s.name);
	let _ = writeln!(
		r,
		"{} nodes ({:.0} % attackers in the main runs, strategy {:?}), {} models ({} image, {} \
		 LLM), {:.1} tasks per block from block {}, {} blocks ({:.1} hours of 6 s blocks) per \
		 main run, seed {}. {} runs took {:.1} s.\n",
		s.nodes.count,
		s.nodes.attacker_share * 100.0,
		s.sybil.strategy,
		s.models.count,
		images,
		catalog.models.len() - images,
		s.tasks.per_block,
		s.tasks.start_block,
		s.blocks,
		hours(s.blocks),
		s.seed,
		runs.len(),
		elapsed.as_secs_f64(),
	);
	let checked: u64 = runs.iter().map(|f| f.metrics.blocks_checked).sum();
	let per_check: f64 =
		runs.iter().map(|f| f.metrics.timing[2]).sum::<f64>() / checked.max(1) as f64;
	if s.invariants_every == 1 {
		let _ = writeln!(
			r,
			"**Invariants:** `do_try_state` held after every block: {blocks} blocks in {} runs.\n",
			runs.len()
		);
	} else {
		let _ = writeln!(
			r,
			"**Invariants:** `do_try_state` held after every {}th block and the last one of each \
			 run: {checked} checks over {blocks} blocks in {} runs. One check took {:.1} ms at \
			 this size (it reads every node, model, holder list, task and hold), so checking \
			 every block would add about {:.0} s to the runs.\n",
			s.invariants_every,
			runs.len(),
			per_check * 1e3,
			per_check * (blocks - checked) as f64,
		);
	}
	let _ = writeln!(r, "## modelnet beside the baselines\n\n{}", main_table(runs));
	let _ = writeln!(
		r,
		"Locality: the share of assigned tasks drawn within one block of the earliest possible \
		 draw. A draw about a task created in block c mixes the randomness of \
		 `RandomnessDepth` blocks after c, so no task can be assigned sooner than the floor \
		 (the shortest wait observed: {} blocks in `{}`). Disk used is sampled every {} \
		 blocks; downloads count every completed download (confirmed or not). The chain draws \
		 executors for at most `MaxAssignmentsPerBlock` = 8 waiting tasks per block and queues \
		 at most 256: near that rate, waits are mostly queueing and creations are refused \
		 (`TaskQueueFull`).\n",
		floor(main),
		main.variant.label,
		s.sample_every
	);
	let _ = writeln!(r, "Parameters:\n\n{}", params_table(runs));
	let _ = writeln!(
		r,
		"Baselines are parameter sets of the same pallet, so placement is random, executors are \
		 drawn the same way and the numbers compare policies, not implementations:\n\n\
		 - **helium**: 10 copies on first use, refill +10 below 3, no scale-down. Copies are \
		 placed at registration (the pallet has no first-use trigger); `min_replicas = \
		 max_replicas = 10` keeps 10 copies and replaces lost ones at once (Helium waits until \
		 fewer than 3 remain and can reach 12).\n\
		 - **crynux**: target `clamp(ceil(rate × mean exec time × 2), 1, 10)`, never removing. \
		 `headroom = 200 %` and `tasks_per_replica = executors × window seconds / mean exec \
		 time` reproduce the formula; the floor is 3 (`min_replicas` may not be below the 3 \
		 executors per task); scale-down needs a 99 % demand drop or demand at the floor, which \
		 the pallet always allows.\n"
	);
	let _ = writeln!(r, "## Copies per model against demand\n\n{}", copies_table(runs));
	let _ = writeln!(r, "## Sybil risk\n\n{}", sybil_tables(runs));
	let _ = writeln!(r, "{}", sybil_trend(runs));
	let _ = writeln!(
		r,
		"Attackers reveal an agreed wrong answer ({:?}: {}); honest executors reveal the right \
		 one. Sweep runs last {} blocks each, with modelnet's other defaults.\n",
		s.sybil.strategy,
		match s.sybil.strategy {
			crate::scenario::AttackStrategy::Majority =>
				"only when they are a strict majority of the task's executors",
			crate::scenario::AttackStrategy::Always => "on every task",
		},
		s.sybil.blocks
	);
	let _ = writeln!(r, "## Cost\n\n{}", cost(main));
	let _ = writeln!(
		r,
		"## Plots\n\nPlots have no text (no font is linked in); grid lines sit at round values \
		 of each axis. Axes, ranges and colours:\n"
	);
	for p in plots {
		let legend: Vec<String> = p.legend.iter().map(|(n, c)| format!("{c}: {n}")).collect();
		let _ = writeln!(
			r,
			"- `{}`: {}. x: {}; y: {}. {}.\n\n  ![{}]({})\n",
			p.file,
			p.title,
			p.x,
			p.y,
			legend.join(", "),
			p.title,
			p.file
		);
	}
	let _ =
		writeln!(r, "## Refused calls ({})\n\n| error | calls |\n|---|---:|", main.variant.label);
	for (e, n) in &main.metrics.call_errors {
		let _ = writeln!(r, "| {e} | {n} |");
	}
	let _ = writeln!(
		r,
		"\nEvery series of every run is in `series.csv` (one row per run and sample), per-model \
		 totals in `models.csv`."
	);
	std::fs::write(out.join("report.md"), r).map_err(|e| format!("report.md: {e}"))
}
