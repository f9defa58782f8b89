//! Reconciles the model store with what the chain wants, and runs tasks.
//!
//! The node hands every new [`DesiredState`] to a [`CoordinatorHandle`]; the
//! [`Coordinator::run`] future (spawned once on the node's tokio runtime) then:
//!
//! - downloads nominated models that are not stored (at most
//!   [`FetchConfig::max_parallel_downloads`] at once, never the same model twice at once)
//!   and reports [`FetchOutcome::Stored`] or [`FetchOutcome::Failed`];
//! - deletes stored files (and partial downloads) of models that are neither held nor
//!   nominated (eviction), and cancels downloads of models no longer nominated;
//! - reports [`FetchOutcome::Missing`] for held models whose file is gone or has the wrong
//!   size (or, with [`CoordinatorConfig::rehash_on_start`], the wrong hash); a file that
//!   appears in the store without being downloaded is re-hashed before it is used;
//! - serves the models it holds or is nominated for to other nodes, when
//!   [`CoordinatorConfig::serve`] is set (see [`serve`](crate::serve));
//! - declines nominations of models whose [`ExecutorKind`](crate::ExecutorKind) this node
//!   cannot run ([`DeclineReason::UnsupportedExecutor`](crate::DeclineReason), without
//!   downloading them);
//! - executes assigned tasks on stored models with the [`Executors`] of their kind, on a
//!   blocking thread, and reports each result once. A task whose executor fails (an external
//!   program that crashed or ran out of time, a model the engine rejects) reports nothing:
//!   no result is committed, and the chain treats the node like any executor that stays
//!   silent. It is tried again after [`CoordinatorConfig::retry_failed_after`] while the
//!   task is still assigned.
//!
//! Deletions are guarded: models in [`DesiredState::retain`] (what the finalized chain still
//! wants), in [`DesiredState::announced`] (copies a local account announced, kept until the
//! chain draws the node as their holder or drops the announcement) and in
//! [`CoordinatorConfig::pinned`] (the operator's pins) are never deleted, and an update that would delete more than
//! [`CoordinatorConfig::mass_eviction_percent`] of the store is held back for
//! [`CoordinatorConfig::mass_eviction_delay`].
//!
//! An outcome is reported once, and again only after
//! [`CoordinatorConfig::rereport_after`] if the chain still asks (or at once for a new
//! nomination round); a failed download is
//! retried after [`CoordinatorConfig::retry_failed_after`] if the model is still
//! nominated, or at once if its sources changed. A model both nominated and held (by
//! different local accounts) is handled as a nomination: downloaded if missing, then reported
//! `Stored`.

mod worker;

use std::{sync::Arc, time::Duration};

use substrate_prometheus_endpoint::Registry;
use tokio::sync::watch;

use self::worker::Worker;
use crate::{
	error::{FetchOutcome, InitError},
	executor::Executors,
	fetch::{FetchConfig, Fetcher},
	metrics::Metrics,
	serve::{ModelServer, ServeConfig},
	store::{ModelStore, StoreConfig},
	types::{DesiredState, ModelId, TaskJob},
};

/// Receives what the coordinator has to tell the chain.
///
/// Called from the coordinator's task only, one call at a time, so the implementation owns
/// the keys it writes: an outcome is never written after the coordinator forgot it.
/// Implementations should return quickly (the node writes to its off-chain database).
pub trait OutcomeSink: Send + Sync + 'static {
	/// A nomination's download finished (`Stored` / `Failed`), or a held model's file is
	/// `Missing`. `round` is the [`Nomination::round`](crate::Nomination::round) the outcome
	/// answers (0 for `Missing` of a holding).
	fn fetch_outcome(&self, model: ModelId, outcome: FetchOutcome, round: u64);
	/// A task's result digest, for exactly this job (task id, model and input).
	fn task_result(&self, job: &TaskJob, result: [u8; 32]);
	/// The chain no longer mentions `model`: remove any outcome written for it.
	fn forget_model(&self, _model: ModelId) {}
	/// The chain no longer assigns `job`: remove its result.
	fn forget_task(&self, _job: &TaskJob) {}
}

/// Coordinator settings.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CoordinatorConfig {
	/// Where the store lives and its disk budget.
	pub store: StoreConfig,
	/// Download settings.
	pub fetch: FetchConfig,
	/// Tasks executed at once.
	pub max_parallel_tasks: usize,
	/// Pause before a failed download (or task) is tried again while still asked for.
	pub retry_failed_after: Duration,
	/// Pause before an unchanged outcome is reported again while still relevant.
	pub rereport_after: Duration,
	/// Re-hash every stored file once after start-up before using or confirming it
	/// (one file at a time, in the background); corrupt files are deleted. Without it, only
	/// files whose verification record does not match (size or modification time changed
	/// since they were verified) are re-hashed, so a clean restart re-hashes nothing.
	pub rehash_on_start: bool,
	/// Interval of the periodic reconciliation (besides updates and finished work).
	pub tick: Duration,
	/// An update that would delete more than this share (in percent) of the stored models at
	/// once (and more than one) is held back: such a verdict more likely comes from a broken
	/// runtime API or a misconfigured node than from the chain.
	pub mass_eviction_percent: u8,
	/// How long a held-back mass deletion must stay wanted before it is carried out.
	pub mass_eviction_delay: Duration,
	/// Serve model pieces to other nodes ([`serve`](crate::serve)); `None` serves nothing.
	pub serve: Option<ServeConfig>,
	/// Models the operator pinned: their files are never deleted by eviction (a corrupt file
	/// still is), whatever the chain says, e.g. a copy pre-seeded before it is announced.
	/// Pinned files are not served and count against the store's budget.
	pub pinned: Vec<ModelId>,
}

impl CoordinatorConfig {
	/// Default settings for a store at `store`.
	pub fn new(store: StoreConfig) -> Self {
		Self {
			store,
			fetch: FetchConfig::default(),
			max_parallel_tasks: 1,
			retry_failed_after: Duration::from_secs(60),
			rereport_after: Duration::from_secs(300),
			rehash_on_start: false,
			tick: Duration::from_secs(5),
			mass_eviction_percent: 25,
			mass_eviction_delay: Duration::from_secs(600),
			serve: None,
			pinned: Vec::new(),
		}
	}
}

type Desired = Option<Arc<DesiredState>>;

/// Feeds new desired states to a running [`Coordinator`]. Cheap to clone.
#[derive(Clone)]
pub struct CoordinatorHandle {
	tx: Arc<watch::Sender<Desired>>,
}

impl CoordinatorHandle {
	/// Replaces the desired state (only the latest one matters). Returns `false` if the
	/// coordinator has stopped.
	pub fn update(&self, desired: DesiredState) -> bool {
		self.tx.send(Some(Arc::new(desired))).is_ok()
	}
}

/// The coordinator: build with [`Coordinator::new`], take a [`Coordinator::handle`],
/// then spawn [`Coordinator::run`].
pub struct Coordinator {
	config: CoordinatorConfig,
	store: Arc<ModelStore>,
	fetcher: Arc<Fetcher>,
	executors: Arc<Executors>,
	sink: Arc<dyn OutcomeSink>,
	metrics: Option<Metrics>,
	tx: Arc<watch::Sender<Desired>>,
	rx: watch::Receiver<Desired>,
}

impl Coordinator {
	/// Opens the store (running its start-up scan) and creates the fetcher. Tasks run on
	/// `executors`, by their model's kind.
	///
	/// Metrics are registered on `registry` if given; a registration failure is logged
	/// and the coordinator runs without metrics.
	pub fn new(
		config: CoordinatorConfig,
		executors: Executors,
		sink: Arc<dyn OutcomeSink>,
		registry: Option<&Registry>,
	) -> Result<Self, InitError> {
		let metrics = registry.and_then(|registry| match Metrics::register(registry) {
			Ok(metrics) => Some(metrics),
			Err(e) => {
				log::warn!(target: "modelnet", "model store metrics not registered: {e}");
				None
			}
		});
		let store = Arc::new(ModelStore::open(config.store.clone())?);
		let fetcher =
			Arc::new(Fetcher::new(Arc::clone(&store), config.fetch.clone(), metrics.clone())?);
		let (tx, rx) = watch::channel(None);
		let executors = Arc::new(executors);
		Ok(Self { config, store, fetcher, executors, sink, metrics, tx: Arc::new(tx), rx })
	}

	/// A handle to feed desired states. [`Coordinator::run`] ends once every handle is
	/// dropped, so take at least one before spawning it.
	pub fn handle(&self) -> CoordinatorHandle {
		CoordinatorHandle { tx: Arc::clone(&self.tx) }
	}

	/// What the node serves to other nodes (the coordinator keeps it up to date).
	pub fn availability(&self) -> Arc<crate::availability::Availability> {
		Arc::clone(self.fetcher.availability())
	}

	/// The model store (e.g. for [`ModelStore::path_of`]).
	pub fn store(&self) -> Arc<ModelStore> {
		Arc::clone(&self.store)
	}

	/// Runs until every [`CoordinatorHandle`] is dropped. Nothing is deleted or
	/// downloaded before the first desired state arrives. Feed it only once the node is
	/// not major-syncing: an outdated state evicts models the chain wants.
	pub async fn run(self) {
		let Coordinator { config, store, fetcher, executors, sink, metrics, tx, rx } = self;
		drop(tx);
		let server = match config.serve.clone() {
			Some(serve) => {
				let listen = serve.listen;
				let availability = Arc::clone(fetcher.availability());
				match ModelServer::bind(serve, Arc::clone(&store), availability, metrics.clone())
					.await
				{
					Ok(server) => {
						let addr = server.local_addr().map_or(listen, |addr| addr);
						log::info!(target: "modelnet", "model server listening on {addr}");
						Some(tokio::spawn(server.run()))
					}
					Err(e) => {
						log::error!(
							target: "modelnet",
							"cannot serve models on {listen}: {e}; running without serving",
						);
						None
					}
				}
			}
			None => None,
		};
		Worker::new(config, store, fetcher, executors, sink, metrics).run(rx).await;
		if let Some(server) = server {
			server.abort();
		}
	}
}
