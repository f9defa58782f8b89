//! Native side of the modelnet off-chain worker.
//!
//! A modelnet node keeps AI model files on disk because the chain asked it to, and
//! executes tasks on them. Model bytes never pass through the Wasm runtime: this crate
//! does the heavy lifting natively and knows nothing about the runtime. The node glues
//! it in: it reads what the chain wants from the `ModelRegistryApi::pending_work`
//! runtime API for each local key, hands the union to the [`Coordinator`] as a
//! [`DesiredState`], and writes what the coordinator reports through [`OutcomeSink`]
//! into the offchain database, where the pallet's `offchain_worker` hook picks it up and
//! submits signed transactions.
//!
//! # Parts
//!
//! - [`ModelStore`] ([`store`]): a content-addressed directory `<root>/models/<sha256-hex>`
//!   with partial downloads in `<root>/partial/<sha256-hex>.part`, a disk budget (checked
//!   against the disk's free space too), atomic promotion of verified files, records of
//!   verified files, deletion on eviction and a lock file; it never deletes files that
//!   are not its own.
//! - [`Fetcher`] ([`fetch`]): HTTP(S) download (rustls, webpki roots) that streams to the
//!   partial file while hashing with SHA-256, resumes with `Range`, retries with exponential
//!   backoff and jitter across source URLs until the nomination's deadline, caps the body
//!   at the declared size and verifies the hash before the file counts as stored. It
//!   refuses non-public addresses (after DNS resolution, on every redirect) and tells
//!   source faults from the node's own network failures.
//!   A nomination with a [`PieceManifest`] ([`pieces`]) is downloaded piece by piece
//!   instead, from other nodes ([`Peer`]s: holders and fellow nominees) and the sources,
//!   every piece verified against the chain's leaf hash as it arrives; the sources are
//!   asked only for this node's share of the pieces and for what no peer can provide.
//! - [`ModelServer`] ([`serve`]): serves the models this node holds or is nominated for
//!   (including the verified pieces of downloads in progress, published in
//!   [`Availability`]) to other nodes over HTTP, within per-peer, connection and
//!   bandwidth bounds. Run by the coordinator when [`CoordinatorConfig::serve`] is set.
//! - [`Executor`] ([`executor`]): runs a task on a stored model. The default
//!   [`SpotCheckExecutor`] computes the spec's deterministic spot-check digest;
//!   [`MlpExecutor`] runs safetensors feed-forward networks bit-exactly on the CPU;
//!   [`ExternalExecutor`] runs an operator-configured program. [`Executors`] holds the
//!   ones a node can run, by [`ExecutorKind`] (the kind the chain records for each model);
//!   the coordinator runs each task with its model's kind and declines nominations of
//!   kinds the node cannot run.
//! - [`Coordinator`] ([`coordinator`]): reconciles the store with a [`DesiredState`]:
//!   downloads nominations, evicts what the chain no longer wants, reports lost files and
//!   runs tasks; outcomes go to an [`OutcomeSink`].
//! - [`Metrics`] ([`metrics`]): Prometheus metrics on the node's registry.
//!
//! # Driving the coordinator from a tokio runtime
//!
//! ```no_run
//! use std::sync::Arc;
//! use modelnet_offchain_worker::{
//!     Coordinator, CoordinatorConfig, DesiredState, Executors, ExternalConfig, FetchOutcome,
//!     MlpConfig, ModelId, OutcomeSink, StoreConfig, TaskJob,
//! };
//!
//! struct Sink;
//! impl OutcomeSink for Sink {
//!     fn fetch_outcome(&self, model: ModelId, outcome: FetchOutcome, round: u64) {
//!         // The node writes the outcome, bound to the nominations of `round`, into its
//!         // off-chain database (see `node/src/model_worker/sink.rs`).
//!         let _ = (model, outcome, round);
//!     }
//!     fn task_result(&self, job: &TaskJob, result: [u8; 32]) {
//!         // Keyed by the task id, its model and the input the executor computed on.
//!         let _ = (job, result);
//!     }
//! }
//!
//! # async fn example() -> Result<(), Box<dyn std::error::Error>> {
//! let config = CoordinatorConfig::new(StoreConfig {
//!     root: "/var/lib/modelnet/models".into(),
//!     max_bytes: 500 << 30,
//! });
//! // The built-in engines, plus an external program for models of kind `External("llama")`.
//! let executors = Executors::new(
//!     MlpConfig::default(),
//!     [("llama".to_string(), ExternalConfig::new("/opt/llama/run"))],
//! );
//! let coordinator = Coordinator::new(config, executors, Arc::new(Sink), None)?;
//! let handle = coordinator.handle();
//! tokio::spawn(coordinator.run());
//! // On every new best block (once the node is not major-syncing):
//! handle.update(DesiredState::default());
//! # Ok(())
//! # }
//! ```
//!
//! # Plugging in a real inference engine
//!
//! [`MlpExecutor`] and [`ExternalExecutor`] are two ready engines; an operator plugs any
//! program in as an external engine under a name, and models registered with that name run
//! on it. For an engine inside the node, implement [`Executor`] and add it to the
//! [`Executors`] given to [`Coordinator::new`] ([`Executors::with`]). `execute` receives the path of the verified model file, its size
//! and the task input, and must return a 32-byte digest of the *deterministic* output
//! (for example the SHA-256 of the generated tokens with a fixed seed and greedy
//! decoding, or of the image produced with a fixed seed). Executors of the same task on
//! different nodes commit to this digest and the majority wins, so any non-determinism
//! (thread scheduling, GPU kernels that are not bit-exact) must be removed or rounded away
//! before hashing. `execute` runs on a blocking thread, so it may take as long as the
//! chain's commit deadline allows.

#![warn(missing_docs)]

pub mod availability;
pub mod coordinator;
pub mod error;
pub mod executor;
pub mod fetch;
pub mod metrics;
pub mod pieces;
pub mod serve;
pub mod store;
pub mod types;

pub use availability::{Availability, PieceBitmap};
pub use coordinator::{Coordinator, CoordinatorConfig, CoordinatorHandle, OutcomeSink};
pub use error::{
	DeclineReason, ExecError, FetchError, FetchOutcome, InitError, ModelError, ProcessError,
	StoreError,
};
pub use executor::{
	spot_check, Executor, ExecutorKind, Executors, ExternalConfig, ExternalExecutor, MlpConfig,
	MlpExecutor, SpotCheckExecutor,
};
pub use fetch::{FetchConfig, Fetcher};
pub use metrics::Metrics;
pub use pieces::{
	leaf_hash, manifest_of_file, merkle_root, piece_count, piece_size, PieceManifest,
};
pub use serve::{ModelServer, ServeConfig};
pub use store::{sha256_file, ModelStore, Reservation, ScanReport, StoreConfig};
pub use types::{DesiredState, Holding, ModelId, Nomination, Peer, PeerKind, TaskId, TaskJob};
