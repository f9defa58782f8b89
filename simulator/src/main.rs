//! modelnet network simulator: runs the model registry pallet natively, block by block, against
//! simulated GPU nodes and a shifting workload, and writes a report, plots and CSV series.

mod actors;
mod chain;
mod csv;
mod metrics;
mod observe;
mod plots;
mod report;
mod runtime;
mod sabotage;
mod scenario;
mod sim;
mod variants;
mod workload;

use clap::Parser;
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use std::{path::PathBuf, process::ExitCode, sync::Mutex};

/// Command line.
#[derive(Parser, Debug)]
#[command(about = "Simulates a modelnet network on the model registry pallet")]
struct Cli {
	/// Scenario file (TOML).
	#[arg(long)]
	scenario: PathBuf,
	/// Output directory (report.md, plots, series.csv).
	#[arg(long)]
	out: PathBuf,
	/// Parallel runs (default: the number of cores).
	#[arg(long)]
	jobs: Option<usize>,
	/// Run only the runs whose label contains this text.
	#[arg(long)]
	only: Option<String>,
	/// Corrupt the registry's state at this block of every run (checks that broken invariants
	/// stop the simulation with an error).
	#[arg(long)]
	break_at: Option<u64>,
}

/// A finished run.
pub struct Finished {
	/// The run.
	pub variant: variants::Variant,
	/// What it measured.
	pub metrics: metrics::RunMetrics,
}

fn main() -> ExitCode {
	let cli = Cli::parse();
	match run(&cli) {
		Ok(()) => ExitCode::SUCCESS,
		Err(e) => {
			eprintln!("error: {e}");
			ExitCode::FAILURE
		}
	}
}

fn run(cli: &Cli) -> Result<(), String> {
	let started = std::time::Instant::now();
	let scenario = scenario::Scenario::load(&cli.scenario)?;
	let catalog = workload::Catalog::new(
		&scenario,
		scenario.blocks,
		&mut ChaCha8Rng::seed_from_u64(scenario.seed ^ 0x5eed),
	);
	let mut runs = variants::variants(&scenario, catalog.mean_exec_seconds());
	for v in runs.iter().filter(|v| v.kind == variants::Kind::Candidate) {
		pallet_model_registry::Pallet::<runtime::Runtime>::validate_params(&v.params).map_err(
			|e| format!("candidate {}: parameters refused by the pallet: {e:?}", v.label),
		)?;
	}
	if let Some(only) = &cli.only {
		runs.retain(|v| v.label.contains(only.as_str()));
	}
	if runs.is_empty() {
		return Err("no run left to do".into());
	}
	let jobs = cli
		.jobs
		.unwrap_or_else(|| std::thread::available_parallelism().map_or(1, |n| n.get()))
		.max(1);
	let queue = Mutex::new(runs.into_iter().enumerate().collect::<Vec<_>>());
	let done = Mutex::new(Vec::new());
	let failure = Mutex::new(None);
	std::thread::scope(|scope| {
		for _ in 0..jobs {
			scope.spawn(|| loop {
				let Some((i, variant)) = queue.lock().expect("queue lock").pop() else { break };
				eprintln!("run {}: {} blocks", variant.label, variant.blocks);
				match sim::run(&scenario, &variant, &catalog, cli.break_at) {
					Ok(metrics) => {
						let [h, c, inv, o] = metrics.timing;
						eprintln!(
							"run {}: done in {:.1} s (hooks {h:.1} s, calls {c:.1} s, invariants \
							 {inv:.1} s, simulation {o:.1} s)",
							variant.label, metrics.seconds
						);
						done.lock().expect("done lock").push((i, Finished { variant, metrics }));
					}
					Err(e) => {
						*failure.lock().expect("failure lock") = Some(format!(
							"run {}: invariants broken after block {}: {}",
							variant.label, e.block, e.error
						));
						queue.lock().expect("queue lock").clear();
					}
				}
			});
		}
	});
	if let Some(e) = failure.into_inner().expect("failure lock") {
		return Err(e);
	}
	let mut done = done.into_inner().expect("done lock");
	done.sort_by_key(|(i, _)| *i);
	let finished: Vec<Finished> = done.into_iter().map(|(_, f)| f).collect();
	std::fs::create_dir_all(&cli.out).map_err(|e| format!("{}: {e}", cli.out.display()))?;
	csv::write(&cli.out, &finished, &catalog)?;
	let plots = plots::draw(&cli.out, &finished, &catalog)?;
	report::write(&cli.out, &scenario, &catalog, &finished, &plots, started.elapsed())?;
	eprintln!("wrote {} in {:.1} s", cli.out.display(), started.elapsed().as_secs_f64());
	Ok(())
}
