//! The model worker: the bridge between the chain and the native model store.
//!
//! On every new best block it asks the runtime (`ModelRegistryApi::pending_work`) what each
//! local account of the model registry's key type must fetch, keep and execute, and hands the
//! union to the [`Coordinator`] of `modelnet-offchain-worker`, which downloads, verifies, evicts
//! and executes natively — model bytes never enter the Wasm runtime. The coordinator's outcomes
//! are written to the node's off-chain database, where the pallet's off-chain worker picks them
//! up and turns them into signed transactions (see `pallet_model_registry::offchain`).

use codec::Encode;
use futures::StreamExt;
use modelnet_offchain_worker::{
	Coordinator, CoordinatorConfig, DesiredState, Executor, FetchConfig, FetchOutcome, Holding,
	ModelId, Nomination, OutcomeSink, SpotCheckExecutor, StoreConfig, TaskJob,
};
use modelnet_runtime::{opaque::Block, AccountId, Balance, BlockNumber};
use pallet_model_registry::{
	crypto::KEY_TYPE,
	offchain::{fetch_outcome_key, task_result_key},
	runtime_api::ModelRegistryApi,
	NodeWork,
};
use sc_client_api::BlockchainEvents;
use sp_api::ProvideRuntimeApi;
use sp_core::{offchain::OffchainStorage, H256};
use sp_keystore::KeystorePtr;
use std::{
	collections::{BTreeMap, BTreeSet},
	path::PathBuf,
	sync::{Arc, Mutex},
};

const LOG_TARGET: &str = "model-worker";

/// Settings of the model worker, from the command line.
pub struct ModelWorkerConfig {
	/// Directory of the content-addressed store.
	pub store_dir: PathBuf,
	/// Disk budget in bytes.
	pub max_bytes: u64,
	/// Downloads at the same time.
	pub max_parallel_downloads: usize,
}

/// Writes the coordinator's outcomes into the node's off-chain database (PERSISTENT kind), where
/// the runtime's off-chain worker reads them.
struct OffchainDbSink<S> {
	db: Mutex<S>,
}

impl<S: OffchainStorage + 'static> OffchainDbSink<S> {
	fn set(&self, key: &[u8], value: &[u8]) {
		if let Ok(mut db) = self.db.lock() {
			db.set(sp_offchain::STORAGE_PREFIX, key, value);
		}
	}

	fn remove(&self, key: &[u8]) {
		if let Ok(mut db) = self.db.lock() {
			db.remove(sp_offchain::STORAGE_PREFIX, key);
		}
	}
}

impl<S: OffchainStorage + 'static> OutcomeSink for OffchainDbSink<S> {
	fn fetch_outcome(&self, model: ModelId, outcome: FetchOutcome) {
		log::info!(target: LOG_TARGET, "model 0x{}: {outcome:?}", hex_prefix(&model));
		self.set(&fetch_outcome_key(&H256(model)), &to_chain_outcome(outcome).encode());
	}

	fn task_result(&self, task: u64, result: [u8; 32]) {
		log::info!(target: LOG_TARGET, "task {task}: result 0x{}", hex_prefix(&result));
		self.set(&task_result_key(task), &result);
	}
}

/// The chain's encoding of a fetch outcome (the pallet's type, so the two cannot drift apart).
fn to_chain_outcome(outcome: FetchOutcome) -> pallet_model_registry::offchain::FetchOutcome {
	use modelnet_offchain_worker::DeclineReason as Native;
	use pallet_model_registry::{offchain::FetchOutcome as Chain, DeclineReason as Reason};
	match outcome {
		FetchOutcome::Stored => Chain::Stored,
		FetchOutcome::Missing => Chain::Missing,
		FetchOutcome::Failed(reason) => Chain::Failed(match reason {
			Native::HashMismatch => Reason::HashMismatch,
			Native::SizeMismatch => Reason::SizeMismatch,
			Native::DiskBudgetExceeded => Reason::DiskBudgetExceeded,
			Native::SourceUnavailable => Reason::SourceUnavailable,
			Native::InsufficientVram => Reason::InsufficientVram,
			Native::Other => Reason::Other,
		}),
	}
}

fn hex_prefix(bytes: &[u8; 32]) -> String {
	bytes[..6].iter().map(|b| format!("{b:02x}")).collect()
}

/// The union of what the chain wants from every local account.
fn desired_state(works: impl IntoIterator<Item = NodeWork<BlockNumber>>) -> DesiredState {
	let mut nominations = BTreeMap::new();
	let mut holdings = BTreeMap::new();
	let mut tasks = BTreeMap::new();
	for work in works {
		for n in work.nominations {
			nominations.entry(n.model.0).or_insert_with(|| Nomination {
				model: n.model.0,
				size: n.size_bytes,
				sources: n
					.sources
					.iter()
					.filter_map(|url| String::from_utf8(url.clone()).ok())
					.collect(),
			});
		}
		for h in work.holdings {
			holdings.insert(h.model.0, Holding { model: h.model.0, size: h.size_bytes });
		}
		for t in work.tasks {
			tasks.insert(t.task, TaskJob { task: t.task, model: t.model.0, input: t.input });
		}
	}
	DesiredState {
		nominations: nominations.into_values().collect(),
		holdings: holdings.into_values().collect(),
		tasks: tasks.into_values().collect(),
	}
}

/// Starts the model worker as a task of the node.
pub fn spawn<C, S>(
	task_manager: &sc_service::TaskManager,
	client: Arc<C>,
	keystore: KeystorePtr,
	offchain_db: S,
	config: ModelWorkerConfig,
	prometheus: Option<&substrate_prometheus_endpoint::Registry>,
) -> Result<(), sc_service::Error>
where
	C: ProvideRuntimeApi<Block> + BlockchainEvents<Block> + Send + Sync + 'static,
	C::Api: ModelRegistryApi<Block, AccountId, Balance, BlockNumber>,
	S: OffchainStorage + 'static,
{
	let sink = Arc::new(OffchainDbSink { db: Mutex::new(offchain_db) });
	let executor: Arc<dyn Executor> = Arc::new(SpotCheckExecutor);
	let coordinator_config = CoordinatorConfig {
		fetch: FetchConfig {
			max_parallel_downloads: config.max_parallel_downloads.max(1),
			..Default::default()
		},
		..CoordinatorConfig::new(StoreConfig {
			root: config.store_dir.clone(),
			max_bytes: config.max_bytes,
		})
	};
	let coordinator = Coordinator::new(coordinator_config, executor, sink.clone(), prometheus)
		.map_err(|e| {
			sc_service::Error::Other(format!(
				"cannot open the model store at {}: {e}",
				config.store_dir.display()
			))
		})?;
	let handle = coordinator.handle();
	log::info!(
		target: LOG_TARGET,
		"📦 Model store at {} (budget {} bytes)",
		config.store_dir.display(),
		config.max_bytes
	);
	task_manager.spawn_handle().spawn("model-store", Some("model-worker"), coordinator.run());

	task_manager.spawn_handle().spawn("model-worker", Some("model-worker"), async move {
		let mut blocks = client.import_notification_stream();
		// What the previous update asked for; outcomes of models and tasks that dropped out are
		// cleared, so that a stale "stored" never confirms a later nomination of a deleted file.
		let mut known_models = BTreeSet::<ModelId>::new();
		let mut known_tasks = BTreeSet::<u64>::new();
		while let Some(block) = blocks.next().await {
			if !block.is_new_best {
				continue;
			}
			let api = client.runtime_api();
			let works = keystore
				.sr25519_public_keys(KEY_TYPE)
				.into_iter()
				.filter_map(|public| {
					api.pending_work(block.hash, AccountId::from(public.0))
						.map_err(|e| log::warn!(target: LOG_TARGET, "pending_work failed: {e}"))
						.ok()
						.flatten()
				})
				.collect::<Vec<_>>();
			let desired = desired_state(works);

			let models: BTreeSet<ModelId> = desired
				.nominations
				.iter()
				.map(|n| n.model)
				.chain(desired.holdings.iter().map(|h| h.model))
				.collect();
			let tasks: BTreeSet<u64> = desired.tasks.iter().map(|t| t.task).collect();
			for gone in known_models.difference(&models) {
				sink.remove(&fetch_outcome_key(&H256(*gone)));
			}
			for gone in known_tasks.difference(&tasks) {
				sink.remove(&task_result_key(*gone));
			}
			known_models = models;
			known_tasks = tasks;

			if !handle.update(desired) {
				log::warn!(target: LOG_TARGET, "the model store stopped; the model worker ends");
				break;
			}
		}
	});
	Ok(())
}
