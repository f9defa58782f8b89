//! The model catalog and the task workload: realistic model sizes, Zipf popularity that shifts
//! over time (launches, fading, a spike) and Poisson task arrivals.

use crate::{runtime::BLOCK_SECONDS, scenario::Scenario};
use rand::{seq::SliceRandom, Rng};
use rand_chacha::ChaCha8Rng;
use rand_distr::{weighted_alias::WeightedAliasIndex, Distribution, Poisson};
use sp_core::H256;

const GB: f64 = 1e9;

/// One simulated model.
#[derive(Clone, Debug)]
pub struct Model {
	/// Its id on chain.
	pub id: H256,
	/// File size in bytes.
	pub size_bytes: u64,
	/// GPU memory needed, in bytes.
	pub vram_bytes: u64,
	/// Whether it is an image model (else an LLM).
	pub image: bool,
	/// Mean execution time of one task, in seconds.
	pub exec_seconds: f64,
	/// Block at which it is registered.
	pub launch_block: u64,
	/// Zipf weight of its rank.
	pub zipf_weight: f64,
	/// Whether it was launched during the run (its weight carries a fading boost).
	pub launched: bool,
	/// Whether its popularity fades during the run.
	pub fading: bool,
}

/// All models and the popularity changes of the run.
pub struct Catalog {
	/// The models, in registration order.
	pub models: Vec<Model>,
	launch_boost: f64,
	fade_blocks: f64,
	spike: Option<(usize, u64, u64, f64)>,
	start: u64,
}

/// Log-uniform draw in `[lo, hi]`.
fn log_uniform(rng: &mut ChaCha8Rng, lo: f64, hi: f64) -> f64 {
	(lo.ln() + rng.gen::<f64>() * (hi.ln() - lo.ln())).exp()
}

impl Catalog {
	/// Draw the catalog of a scenario. Models launched during the run come last and take a
	/// random rank among the top ten.
	pub fn new(s: &Scenario, blocks: u64, rng: &mut ChaCha8Rng) -> Self {
		let m = &s.models;
		let count = m.count as usize;
		let launched = ((count as f64) * m.launched_share).round() as usize;
		let mut ranks: Vec<usize> = (1..=count).collect();
		ranks.shuffle(rng);
		let start = s.tasks.start_block;
		let mut models = Vec::with_capacity(count);
		for (i, &base_rank) in ranks.iter().enumerate() {
			let image = rng.gen_bool(m.image_share.clamp(0.0, 1.0));
			let size = if image {
				(2.0 + rng.gen::<f64>() * 5.0) * GB
			} else {
				log_uniform(rng, 4.0, 140.0) * GB
			};
			// fp16 image pipelines and quantized LLMs need a bit more VRAM than the file size.
			let vram = if image { size * 1.6 } else { size * 1.15 };
			let exec = if image { m.image_exec_seconds } else { m.llm_exec_seconds };
			let is_launch = i >= count - launched;
			let launch_block = if is_launch {
				start + rng.gen_range(0..blocks.saturating_sub(start).max(1))
			} else {
				1 + (i as u64) / 20
			};
			let rank = if is_launch { rng.gen_range(1..=10) } else { base_rank };
			models.push(Model {
				id: H256(rng.gen()),
				size_bytes: size as u64,
				vram_bytes: vram as u64,
				image,
				exec_seconds: exec * (0.5 + rng.gen::<f64>()),
				launch_block,
				zipf_weight: 1.0 / (rank as f64).powf(m.zipf_exponent),
				launched: is_launch,
				fading: !is_launch && rng.gen_bool(m.fading_share.clamp(0.0, 1.0)),
			});
		}
		models.sort_by_key(|model| model.launch_block);
		let spike = (m.spike_factor > 1.0 && m.spike_length > 0.0).then(|| {
			let spike_start = start + ((blocks - start) as f64 * m.spike_start) as u64;
			let len = ((blocks - start) as f64 * m.spike_length) as u64;
			// A model from the long tail that was there from the start.
			let tail: Vec<usize> = (0..count)
				.filter(|&i| !models[i].launched && models[i].zipf_weight < 0.02)
				.collect();
			let chosen = tail.choose(rng).copied().unwrap_or(0);
			(chosen, spike_start, spike_start + len, m.spike_factor)
		});
		let fade_blocks = m.fade_hours * 3600.0 / BLOCK_SECONDS as f64;
		Self { models, launch_boost: m.launch_boost, fade_blocks, spike, start }
	}

	/// Popularity weight of model `i` at block `now` (0 before its launch).
	pub fn weight(&self, i: usize, now: u64) -> f64 {
		let m = &self.models[i];
		if now < m.launch_block {
			return 0.0;
		}
		let mut w = m.zipf_weight;
		if m.launched {
			let age = (now - m.launch_block) as f64;
			w *= 1.0 + self.launch_boost * (-age / self.fade_blocks).exp();
		}
		if m.fading {
			w *= (-(now.saturating_sub(self.start) as f64) / self.fade_blocks).exp();
		}
		if let Some((s, from, to, factor)) = self.spike {
			if s == i && (from..to).contains(&now) {
				w *= factor;
			}
		}
		w
	}

	/// Mean execution time over the catalog, weighted by the initial popularity.
	pub fn mean_exec_seconds(&self) -> f64 {
		let total: f64 = self.models.iter().map(|m| m.zipf_weight).sum();
		self.models.iter().map(|m| m.zipf_weight * m.exec_seconds).sum::<f64>() / total
	}
}

/// Draws the tasks of each block: Poisson arrivals, split by the current popularity.
pub struct Arrivals {
	per_block: f64,
	start: u64,
	picker: Option<WeightedAliasIndex<f64>>,
	refreshed_at: Option<u64>,
}

/// Blocks between two refreshes of the popularity weights.
const REFRESH_EVERY: u64 = 25;

impl Arrivals {
	/// Arrivals of `per_block` tasks per block on average from block `start` on.
	pub fn new(per_block: f64, start: u64) -> Self {
		Self { per_block, start, picker: None, refreshed_at: None }
	}

	/// The models (catalog positions) of the tasks created in block `now`.
	pub fn draw(&mut self, catalog: &Catalog, now: u64, rng: &mut ChaCha8Rng) -> Vec<usize> {
		if now < self.start || self.per_block <= 0.0 {
			return Vec::new();
		}
		if self.refreshed_at.is_none_or(|at| now >= at + REFRESH_EVERY) {
			let weights: Vec<f64> =
				(0..catalog.models.len()).map(|i| catalog.weight(i, now)).collect();
			self.picker = WeightedAliasIndex::new(weights).ok();
			self.refreshed_at = Some(now);
		}
		let Some(picker) = &self.picker else { return Vec::new() };
		let n = Poisson::new(self.per_block).map(|p| p.sample(rng) as usize).unwrap_or(0);
		(0..n).map(|_| picker.sample(rng)).collect()
	}
}
