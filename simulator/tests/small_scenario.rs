//! Runs `scenarios/small.toml` through the built binary and checks its outputs.

use std::{path::Path, process::Command};

fn scenario() -> std::path::PathBuf {
	Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios/small.toml")
}

#[test]
fn small_scenario_writes_report_plots_and_csv() {
	let out = tempfile::tempdir().expect("temporary directory");
	let status = Command::new(env!("CARGO_BIN_EXE_modelnet-simulator"))
		.arg("--scenario")
		.arg(scenario())
		.arg("--out")
		.arg(out.path())
		.status()
		.expect("simulator runs");
	assert!(status.success(), "simulator failed: {status}");

	let report = std::fs::read_to_string(out.path().join("report.md")).expect("report.md");
	assert!(report.contains("`do_try_state` held after every block"), "{report}");
	for heading in ["modelnet beside the baselines", "Sybil risk", "Cost", "Plots"] {
		assert!(report.contains(heading), "report lacks {heading}");
	}
	for run in ["| modelnet |", "| helium |", "| crynux |", "| initial-5 |"] {
		assert!(report.contains(run), "report lacks the row {run}");
	}

	let plots = [
		"locality.png",
		"wait.png",
		"disk.png",
		"download.png",
		"evictions.png",
		"failed.png",
		"hook_weight.png",
		"copies_vs_demand.png",
		"sybil.png",
	];
	for plot in plots {
		let bytes = std::fs::read(out.path().join(plot)).expect(plot);
		assert!(bytes.starts_with(b"\x89PNG"), "{plot} is not a PNG");
		assert!(bytes.len() > 2_000, "{plot} is nearly empty ({} bytes)", bytes.len());
		assert!(report.contains(plot), "report does not describe {plot}");
	}

	let series = std::fs::read_to_string(out.path().join("series.csv")).expect("series.csv");
	let rows: Vec<&str> = series.lines().collect();
	assert!(rows[0].starts_with("run,block,hours,tasks_created"), "{}", rows[0]);
	let modelnet: Vec<&str> = rows.iter().copied().filter(|r| r.starts_with("modelnet,")).collect();
	assert!(modelnet.len() >= 10, "too few samples: {}", modelnet.len());
	let created: f64 = modelnet
		.iter()
		.map(|r| r.split(',').nth(3).and_then(|v| v.parse::<f64>().ok()).expect("number"))
		.sum();
	assert!(created > 100.0, "too few tasks created: {created}");
	let models = std::fs::read_to_string(out.path().join("models.csv")).expect("models.csv");
	assert!(models.lines().count() > 12, "models.csv too short");
}

#[test]
fn broken_invariants_stop_the_run() {
	let out = tempfile::tempdir().expect("temporary directory");
	let output = Command::new(env!("CARGO_BIN_EXE_modelnet-simulator"))
		.arg("--scenario")
		.arg(scenario())
		.arg("--out")
		.arg(out.path())
		.args(["--break-at", "30", "--jobs", "1"])
		.output()
		.expect("simulator runs");
	assert!(!output.status.success(), "a corrupted state went unnoticed");
	let stderr = String::from_utf8_lossy(&output.stderr);
	assert!(stderr.contains("invariants broken after block 30"), "{stderr}");
	assert!(!out.path().join("report.md").exists(), "a report was written");
}
