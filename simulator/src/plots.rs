//! PNG plots of the main series. The bitmap backend is used without any font (no system
//! libraries), so plots carry no text: the report gives each plot's axes, ranges and colours.

use crate::{
	csv::{hours, ratio},
	variants::Kind,
	workload::Catalog,
	Finished,
};
use plotters::prelude::*;
use std::path::Path;

/// One written plot, described for the report.
pub struct Plot {
	/// File name in the output directory.
	pub file: String,
	/// What it shows.
	pub title: String,
	/// The x axis and its range.
	pub x: String,
	/// The y axis and its range.
	pub y: String,
	/// Colour of each line.
	pub legend: Vec<(String, &'static str)>,
}

const COLOURS: [(RGBColor, &str); 6] = [
	(RGBColor(31, 119, 180), "blue"),
	(RGBColor(214, 39, 40), "red"),
	(RGBColor(44, 160, 44), "green"),
	(RGBColor(255, 127, 14), "orange"),
	(RGBColor(148, 103, 189), "purple"),
	(RGBColor(140, 86, 75), "brown"),
];

type Series = (String, Vec<(f64, f64)>);

fn line_plot(
	out: &Path,
	file: &str,
	title: &str,
	(x_name, y_name): (&str, &str),
	series: &[Series],
) -> Result<Plot, String> {
	let points = series.iter().flat_map(|(_, p)| p.iter());
	let (mut x1, mut y1) = (f64::MIN, 0.0f64);
	let mut x0 = f64::MAX;
	for &(x, y) in points {
		x0 = x0.min(x);
		x1 = x1.max(x);
		y1 = y1.max(y);
	}
	if x0 >= x1 {
		x0 = 0.0;
		x1 = x1.max(1.0);
	}
	let y1 = if y1 <= 0.0 { 1.0 } else { y1 * 1.05 };
	let path = out.join(file);
	let draw = || -> Result<(), Box<dyn std::error::Error + '_>> {
		let root = BitMapBackend::new(&path, (900, 450)).into_drawing_area();
		root.fill(&WHITE)?;
		let mut chart = ChartBuilder::on(&root)
			.margin(20)
			.x_label_area_size(0)
			.y_label_area_size(0)
			.build_cartesian_2d(x0..x1, 0.0..y1)?;
		chart
			.configure_mesh()
			.x_labels(10)
			.y_labels(10)
			.light_line_style(WHITE.mix(0.0))
			.bold_line_style(BLACK.mix(0.15))
			.draw()?;
		for (i, (_, pts)) in series.iter().enumerate() {
			let colour = COLOURS[i % COLOURS.len()].0;
			chart.draw_series(LineSeries::new(pts.iter().copied(), colour.stroke_width(2)))?;
		}
		root.present()?;
		Ok(())
	};
	draw().map_err(|e| format!("{file}: {e}"))?;
	Ok(Plot {
		file: file.into(),
		title: title.into(),
		x: format!("{x_name}, {x0:.3}–{x1:.3}"),
		y: format!("{y_name}, 0–{y1:.3}"),
		legend: series
			.iter()
			.enumerate()
			.map(|(i, (name, _))| (name.clone(), COLOURS[i % COLOURS.len()].1))
			.collect(),
	})
}

fn over_time(
	runs: &[&Finished],
	value: impl Fn(&Finished, &crate::metrics::Sample) -> f64,
) -> Vec<Series> {
	runs.iter()
		.map(|f| {
			let pts = f.metrics.samples.iter().map(|s| (hours(s.block), value(f, s))).collect();
			(f.variant.label.clone(), pts)
		})
		.collect()
}

/// Draw every plot; returns their descriptions.
pub fn draw(out: &Path, runs: &[Finished], catalog: &Catalog) -> Result<Vec<Plot>, String> {
	let mut main: Vec<&Finished> = runs.iter().filter(|f| f.variant.kind != Kind::Sybil).collect();
	if main.is_empty() {
		main = runs.iter().collect();
	}
	let t = ("time (hours)", "");
	let mut plots = Vec::new();
	let floors: Vec<usize> = main.iter().map(|f| crate::csv::floor(f)).collect();
	let locality = over_time(&main, |f, s| {
		let i = main.iter().position(|g| std::ptr::eq(*g, f)).unwrap_or(0);
		ratio(s.assigned_within(floors[i]), s.assigned)
	});
	plots.push(line_plot(
		out,
		"locality.png",
		"Share of tasks assigned within one block of the earliest possible draw",
		(t.0, "share of assigned tasks"),
		&locality,
	)?);
	let wait = over_time(&main, |_, s| ratio(s.wait_sum, s.assigned));
	plots.push(line_plot(out, "wait.png", "Mean task wait", (t.0, "blocks"), &wait)?);
	let disk = over_time(&main, |_, s| s.disk_used as f64 / 1e12);
	plots.push(line_plot(out, "disk.png", "Disk used by all copies", (t.0, "TB"), &disk)?);
	let dl = over_time(&main, |_, s| s.downloaded as f64 / 1e9 / hours(s.blocks).max(1e-9));
	plots.push(line_plot(out, "download.png", "Bytes downloaded per hour", (t.0, "GB/h"), &dl)?);
	let ev = over_time(&main, |_, s| s.evictions as f64);
	plots.push(line_plot(out, "evictions.png", "Evictions per interval", (t.0, "copies"), &ev)?);
	let failed = over_time(&main, |_, s| s.failed_no_holders as f64);
	plots.push(line_plot(
		out,
		"failed.png",
		"Tasks failed for lack of holders per interval",
		(t.0, "tasks"),
		&failed,
	)?);
	let hook = over_time(&main[..1], |_, s| crate::csv::pct_of_block(s.hook_max));
	let hook_mean =
		over_time(&main[..1], |_, s| crate::csv::pct_of_block(s.hook_sum / s.blocks.max(1)));
	let hook_series = vec![
		(format!("{} max", hook[0].0), hook[0].1.clone()),
		(format!("{} mean", hook_mean[0].0), hook_mean[0].1.clone()),
	];
	plots.push(line_plot(
		out,
		"hook_weight.png",
		"on_initialize weight per block",
		(t.0, "% of the block weight limit"),
		&hook_series,
	)?);
	// Copies against demand: models ordered by tasks of the first run, most demanded first.
	let mut order: Vec<usize> = (0..catalog.models.len()).collect();
	order.sort_by_key(|&i| std::cmp::Reverse(main[0].metrics.models[i].tasks));
	let mut copies: Vec<Series> = main
		.iter()
		.map(|f| {
			let pts = order
				.iter()
				.enumerate()
				.map(|(rank, &i)| (rank as f64 + 1.0, f.metrics.models[i].mean_copies()))
				.collect();
			(format!("{} copies", f.variant.label), pts)
		})
		.collect();
	let max_tasks = main[0].metrics.models[order[0]].tasks.max(1) as f64;
	let scale = copies.iter().flat_map(|s| s.1.iter().map(|p| p.1)).fold(1.0, f64::max);
	copies.push((
		"demand (tasks, scaled to the largest copy count)".into(),
		order
			.iter()
			.enumerate()
			.map(|(r, &i)| {
				(r as f64 + 1.0, main[0].metrics.models[i].tasks as f64 / max_tasks * scale)
			})
			.collect(),
	));
	plots.push(line_plot(
		out,
		"copies_vs_demand.png",
		"Mean copies per model, models by demand rank",
		("demand rank (1 = most tasks)", "copies"),
		&copies,
	)?);
	let sybil: Vec<&Finished> = runs.iter().filter(|f| f.variant.kind == Kind::Sybil).collect();
	if !sybil.is_empty() {
		let mut mins: Vec<u32> = sybil.iter().map(|f| f.variant.params.min_replicas).collect();
		mins.sort();
		mins.dedup();
		let series: Vec<Series> = mins
			.iter()
			.map(|&min| {
				let pts = sybil
					.iter()
					.filter(|f| f.variant.params.min_replicas == min)
					.map(|f| {
						let t = f.metrics.total();
						(
							f.variant.attacker_share * 100.0,
							100.0 * ratio(t.all_attackers, t.assigned),
						)
					})
					.collect::<Vec<_>>();
				(format!("min_replicas = {min}"), sorted(pts))
			})
			.collect();
		plots.push(line_plot(
			out,
			"sybil.png",
			"Tasks whose executors were all attackers",
			("attacker share of nodes (%)", "% of assigned tasks"),
			&series,
		)?);
	}
	Ok(plots)
}

fn sorted(mut pts: Vec<(f64, f64)>) -> Vec<(f64, f64)> {
	pts.sort_by(|a, b| a.0.total_cmp(&b.0));
	pts
}
