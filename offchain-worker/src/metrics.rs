//! Prometheus metrics, registered on the node's registry.

use substrate_prometheus_endpoint::{
	register, Counter, CounterVec, Gauge, Opts, PrometheusError, Registry, U64,
};

use crate::{
	error::DeclineReason,
	types::{short, ModelId},
};

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
		})
	}

	/// Counts a failed download.
	pub fn record_failure(&self, reason: DeclineReason) {
		self.failed.with_label_values(&[reason.as_str()]).inc();
	}

	/// Counts `bytes` of `model` received from a sender of `kind`.
	pub fn record_received(&self, model: &ModelId, kind: &str, bytes: u64) {
		self.bytes_received.with_label_values(&[&short(model), kind]).inc_by(bytes);
		if kind == "source" {
			self.bytes_fetched.inc_by(bytes);
		}
	}

	/// Counts `bytes` of `model` served to another node.
	pub fn record_served(&self, model: &ModelId, bytes: u64) {
		self.bytes_served.with_label_values(&[&short(model)]).inc_by(bytes);
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
}
