//! Prometheus metrics, registered on the node's registry.
//!
//! Per-model series (`model` label: the first 8 bytes of the model id in hex) are bounded:
//! the coordinator drops the series of models the chain no longer names this node for
//! ([`Metrics::retain_models`]), and at most [`MAX_MODEL_LABELS`] models have series of their
//! own at once; bytes of further models are counted under the label [`OTHER_MODELS`].

use std::{
	collections::{HashMap, HashSet},
	sync::{Arc, Mutex, MutexGuard},
};

use substrate_prometheus_endpoint::{
	register, Counter, CounterVec, Gauge, Opts, PrometheusError, Registry, U64,
};

use crate::{
	error::DeclineReason,
	types::{short, ModelId},
};

/// Most models with series of their own (a node holds and is nominated for at most a few
/// dozen models per account).
pub const MAX_MODEL_LABELS: usize = 128;

/// The `model` label of bytes of models beyond [`MAX_MODEL_LABELS`].
pub const OTHER_MODELS: &str = "other";

/// The crate's metrics. Cloning shares the underlying series.
#[derive(Clone)]
pub struct Metrics {
	/// Bytes received from sources (`modelnet_fetch_bytes_total`).
	pub bytes_fetched: Counter<U64>,
	/// Downloads in progress (`modelnet_fetch_active`).
	pub active_downloads: Gauge<U64>,
	/// Failed downloads by decline reason (`modelnet_fetch_failed_total{reason}`).
	pub failed: CounterVec<U64>,
	/// Downloads whose SHA-256 was verified and stored (`modelnet_fetch_verified_total`).
	pub verified: Counter<U64>,
	/// Bytes of verified models on disk (`modelnet_store_bytes`).
	pub stored_bytes: Gauge<U64>,
	/// Verified models on disk (`modelnet_store_models`).
	pub stored_models: Gauge<U64>,
	/// Models deleted because the chain no longer wants them (`modelnet_store_evicted_total`).
	pub evicted: Counter<U64>,
	/// Task executions by result (`modelnet_tasks_executed_total{status}`).
	pub tasks_executed: CounterVec<U64>,
	/// Model bytes received by model and kind of sender: `source`, `holder` or `nominee`
	/// (`modelnet_model_bytes_received_total{model, kind}`).
	pub bytes_received: CounterVec<U64>,
	/// Model bytes served to other nodes by model (`modelnet_model_bytes_served_total{model}`).
	pub bytes_served: CounterVec<U64>,
	/// Pieces that failed verification by kind of sender (`modelnet_bad_pieces_total{kind}`).
	pub bad_pieces: CounterVec<U64>,
	/// The `model` label values in use, with the `kind` values recorded for each in
	/// `bytes_received`.
	labels: Arc<Mutex<HashMap<String, HashSet<String>>>>,
}

impl Metrics {
	/// Creates the metrics and registers them on `registry`.
	pub fn register(registry: &Registry) -> Result<Self, PrometheusError> {
		Ok(Self {
			bytes_fetched: register(
				Counter::new("modelnet_fetch_bytes_total", "Model bytes received from sources")?,
				registry,
			)?,
			active_downloads: register(
				Gauge::new("modelnet_fetch_active", "Model downloads in progress")?,
				registry,
			)?,
			failed: register(
				CounterVec::new(
					Opts::new("modelnet_fetch_failed_total", "Failed model downloads by reason"),
					&["reason"],
				)?,
				registry,
			)?,
			verified: register(
				Counter::new(
					"modelnet_fetch_verified_total",
					"Model downloads verified by SHA-256 and stored",
				)?,
				registry,
			)?,
			stored_bytes: register(
				Gauge::new("modelnet_store_bytes", "Bytes of verified models on disk")?,
				registry,
			)?,
			stored_models: register(
				Gauge::new("modelnet_store_models", "Verified models on disk")?,
				registry,
			)?,
			evicted: register(
				Counter::new("modelnet_store_evicted_total", "Models deleted on eviction")?,
				registry,
			)?,
			tasks_executed: register(
				CounterVec::new(
					Opts::new("modelnet_tasks_executed_total", "Task executions by status"),
					&["status"],
				)?,
				registry,
			)?,
			bytes_received: register(
				CounterVec::new(
					Opts::new(
						"modelnet_model_bytes_received_total",
						"Model bytes received by model and kind of sender",
					),
					&["model", "kind"],
				)?,
				registry,
			)?,
			bytes_served: register(
				CounterVec::new(
					Opts::new(
						"modelnet_model_bytes_served_total",
						"Model bytes served to other nodes by model",
					),
					&["model"],
				)?,
				registry,
			)?,
			bad_pieces: register(
				CounterVec::new(
					Opts::new(
						"modelnet_bad_pieces_total",
						"Model pieces that failed verification by kind of sender",
					),
					&["kind"],
				)?,
				registry,
			)?,
			labels: Arc::default(),
		})
	}

	fn labels(&self) -> MutexGuard<'_, HashMap<String, HashSet<String>>> {
		self.labels.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
	}

	/// The `model` label of `model`: its short id while fewer than [`MAX_MODEL_LABELS`]
	/// models have series, else [`OTHER_MODELS`]. Records `kind` as used with it.
	fn model_label(&self, model: &ModelId, kind: Option<&str>) -> String {
		let label = short(model);
		let mut labels = self.labels();
		if !labels.contains_key(&label) && labels.len() >= MAX_MODEL_LABELS {
			return OTHER_MODELS.to_owned();
		}
		let kinds = labels.entry(label.clone()).or_default();
		if let Some(kind) = kind {
			if !kinds.contains(kind) {
				kinds.insert(kind.to_owned());
			}
		}
		label
	}

	/// Drops the per-model series of every model not in `models` (the models the chain names
	/// this node for), so that series do not pile up as models come and go.
	pub fn retain_models(&self, models: impl IntoIterator<Item = ModelId>) {
		let keep: HashSet<String> = models.into_iter().map(|model| short(&model)).collect();
		self.labels().retain(|label, kinds| {
			if keep.contains(label) {
				return true;
			}
			// A series that was never written is absent: nothing to remove.
			let _ = self.bytes_served.remove_label_values(&[label]);
			for kind in kinds.iter() {
				let _ = self.bytes_received.remove_label_values(&[label, kind]);
			}
			false
		});
	}

	/// Counts a failed download.
	pub fn record_failure(&self, reason: DeclineReason) {
		self.failed.with_label_values(&[reason.as_str()]).inc();
	}

	/// Counts `bytes` of `model` received from a sender of `kind`.
	pub fn record_received(&self, model: &ModelId, kind: &str, bytes: u64) {
		let label = self.model_label(model, Some(kind));
		self.bytes_received.with_label_values(&[&label, kind]).inc_by(bytes);
		if kind == "source" {
			self.bytes_fetched.inc_by(bytes);
		}
	}

	/// Counts `bytes` of `model` served to another node.
	pub fn record_served(&self, model: &ModelId, bytes: u64) {
		let label = self.model_label(model, None);
		self.bytes_served.with_label_values(&[&label]).inc_by(bytes);
	}
}

#[cfg(test)]
mod tests {
	use super::*;

	#[test]
	fn registers_and_counts() {
		let registry = Registry::new();
		let metrics = Metrics::register(&registry).unwrap();
		metrics.bytes_fetched.inc_by(42);
		metrics.record_failure(DeclineReason::HashMismatch);
		let families = registry.gather();
		let names: Vec<_> = families.iter().map(|f| f.get_name().to_string()).collect();
		assert!(names.contains(&"modelnet_fetch_bytes_total".to_string()));
		assert!(names.contains(&"modelnet_fetch_failed_total".to_string()));
		assert_eq!(metrics.bytes_fetched.get(), 42);
		assert_eq!(metrics.failed.with_label_values(&["hash_mismatch"]).get(), 1);
		let model = [0xab; 32];
		metrics.record_received(&model, "source", 10);
		metrics.record_received(&model, "nominee", 5);
		metrics.record_served(&model, 7);
		metrics.bad_pieces.with_label_values(&["holder"]).inc();
		assert_eq!(metrics.bytes_fetched.get(), 52, "source bytes count as fetched");
		let label = "abababababababab";
		assert_eq!(metrics.bytes_received.with_label_values(&[label, "nominee"]).get(), 5);
		assert_eq!(metrics.bytes_served.with_label_values(&[label]).get(), 7);
		let names: Vec<_> = registry.gather().iter().map(|f| f.get_name().to_string()).collect();
		for name in [
			"modelnet_model_bytes_received_total",
			"modelnet_model_bytes_served_total",
			"modelnet_bad_pieces_total",
		] {
			assert!(names.contains(&name.to_string()), "{name}");
		}
		// A second registration of the same names is refused.
		assert!(Metrics::register(&registry).is_err());
	}

	/// Label values of the `model` label of a family.
	fn models_of(registry: &Registry, family: &str) -> HashSet<String> {
		registry
			.gather()
			.iter()
			.filter(|f| f.get_name() == family)
			.flat_map(|f| f.get_metric().to_vec())
			.filter_map(|m| {
				m.get_label().iter().find(|l| l.get_name() == "model").map(|l| l.get_value().into())
			})
			.collect()
	}

	#[test]
	fn model_series_are_bounded_and_dropped_with_their_model() {
		let registry = Registry::new();
		let metrics = Metrics::register(&registry).unwrap();
		let model = |i: u32| {
			let mut id = [0u8; 32];
			id[..4].copy_from_slice(&i.to_be_bytes());
			id
		};
		let count = MAX_MODEL_LABELS as u32 + 50;
		for i in 0..count {
			metrics.record_received(&model(i), "source", 1);
			metrics.record_received(&model(i), "holder", 1);
			metrics.record_served(&model(i), 1);
		}
		let received = models_of(&registry, "modelnet_model_bytes_received_total");
		let served = models_of(&registry, "modelnet_model_bytes_served_total");
		assert_eq!(received.len(), MAX_MODEL_LABELS + 1);
		assert_eq!(served.len(), MAX_MODEL_LABELS + 1);
		assert!(received.contains(OTHER_MODELS));
		let other = metrics.bytes_received.with_label_values(&[OTHER_MODELS, "source"]).get();
		assert_eq!(other, 50, "models beyond the cap share one series");

		// The chain names the node for two models only: the other series go.
		metrics.retain_models([model(0), model(1)]);
		let kept: HashSet<String> =
			[short(&model(0)), short(&model(1)), OTHER_MODELS.into()].into();
		assert_eq!(models_of(&registry, "modelnet_model_bytes_received_total"), kept);
		assert_eq!(models_of(&registry, "modelnet_model_bytes_served_total"), kept);
		assert_eq!(
			metrics.bytes_received.with_label_values(&[&short(&model(1)), "holder"]).get(),
			1
		);
		// A model that had no series before gets one again now that there is room.
		metrics.record_served(&model(count), 5);
		assert!(models_of(&registry, "modelnet_model_bytes_served_total")
			.contains(&short(&model(count))));
	}
}
