//! The model worker: the bridge between the chain and the native model store.
//!
//! On every new best block it asks the runtime (`ModelRegistryApi::pending_work`) what each
//! local account of the model registry's key type must fetch, keep and execute, and hands the
//! union to the [`Coordinator`] of `modelnet-offchain-worker`, which downloads, verifies, evicts
//! and executes natively — model bytes never enter the Wasm runtime. The coordinator's outcomes
//! are written to the node's off-chain database ([`sink`]), where the pallet's off-chain worker
//! picks them up and turns them into signed transactions (see `pallet_model_registry::offchain`).
//!
//! Safety rules of the bridge:
//! - nothing is updated while the node is major-syncing (an old state would evict models the
//!   chain wants and start downloads it no longer asks for);
//! - an update is skipped when the runtime API fails for any local account, or when the
//!   keystore has no model-registry key: an error is never read as "no work";
//! - work starts from the best block, but files are deleted only when the last finalized block
//!   no longer wants them either ([`DesiredState::retain`]), so a short fork deletes nothing.

use futures::{future, stream, StreamExt};
use modelnet_offchain_worker::{
	Coordinator, CoordinatorConfig, DesiredState, ExecutorKind, Executors, ExternalConfig,
	FetchConfig, Holding, MlpConfig, ModelId, Nomination, Peer, PeerKind, PieceManifest,
	ServeConfig, StoreConfig, TaskJob,
};
use modelnet_runtime::{opaque::Block, AccountId, Balance, BlockNumber, MILLI_SECS_PER_BLOCK};
use pallet_model_registry::{
	crypto::KEY_TYPE, offchain::executor_input, runtime_api::ModelRegistryApi, NodeWork,
};
use sc_client_api::BlockchainEvents;
use sp_api::ProvideRuntimeApi;
use sp_blockchain::HeaderBackend;
use sp_consensus::SyncOracle;
use sp_core::offchain::OffchainStorage;
use sp_keystore::KeystorePtr;
use sp_runtime::traits::Block as BlockT;
use std::{
	collections::{BTreeMap, BTreeSet},
	path::PathBuf,
	sync::Arc,
	time::{Duration, Instant},
};

mod sink;

use sink::OffchainDbSink;

const LOG_TARGET: &str = "model-worker";

/// Settings of the model worker, from the command line.
pub struct ModelWorkerConfig {
	/// Directory of the content-addressed store.
	pub store_dir: PathBuf,
	/// Disk budget in bytes.
	pub max_bytes: u64,
	/// Downloads at the same time.
	pub max_parallel_downloads: usize,
	/// Whether sources may point at loopback, private and link-local addresses.
	pub allow_private_sources: bool,
	/// Whether peers (holders and nominees) may be at loopback, private and link-local
	/// addresses.
	pub allow_private_peers: bool,
	/// The piece server, if the node serves.
	pub serve: Option<ServeConfig>,
	/// The URL declared on chain for the piece server (`None`: not serving).
	pub public_url: Option<String>,
	/// The engines tasks run on.
	pub executors: Executors,
	/// Models the operator pinned (`--model-pin`): never deleted by eviction.
	pub pinned: Vec<ModelId>,
}

/// The executors from the command line: the built-in engines and every `--model-executor`.
pub fn executors(params: &crate::cli::ModelStoreParams) -> Executors {
	let mlp = MlpConfig {
		max_params: params.model_mlp_max_params,
		max_memory: params.model_mlp_max_memory,
		..MlpConfig::default()
	};
	let external = params.model_executor.iter().map(|engine| {
		let config = ExternalConfig {
			args: engine.args.iter().map(Into::into).collect(),
			timeout: Duration::from_secs(params.model_executor_timeout),
			max_output: usize::try_from(params.model_executor_max_output).unwrap_or(usize::MAX),
			..ExternalConfig::new(engine.program.clone())
		};
		(engine.name.clone(), config)
	});
	Executors::new(mlp, external)
}

/// The worker's view of a model's executor kind.
fn kind_of(kind: &pallet_model_registry::ExecutorKind) -> ExecutorKind {
	use pallet_model_registry::ExecutorKind as Chain;
	match kind {
		Chain::SpotCheck => ExecutorKind::SpotCheck,
		Chain::SafetensorsMlp => ExecutorKind::SafetensorsMlp,
		// The chain admits only ASCII names.
		Chain::External(name) => ExecutorKind::External(String::from_utf8_lossy(name).into()),
	}
}

/// The piece server's settings from the command line (`None` without `--model-public-url`).
pub fn serve_config(params: &crate::cli::ModelStoreParams) -> Option<ServeConfig> {
	let public = url::Url::parse(params.model_public_url.as_deref()?).ok()?;
	let listen = params.model_serve_addr.unwrap_or_else(|| {
		std::net::SocketAddr::from(([0, 0, 0, 0], public.port_or_known_default().unwrap_or(80)))
	});
	let defaults = ServeConfig::new(listen);
	let rate = params.model_serve_request_rate.unwrap_or(defaults.requests_per_second);
	Some(ServeConfig {
		upload_limit: params.model_upload_limit,
		per_peer_concurrency: params.model_serve_peer_concurrency as usize,
		max_connections: params.model_serve_max_connections as usize,
		per_ip_connections: params.model_serve_ip_connections as usize,
		requests_per_second: rate,
		request_burst: rate.saturating_mul(2),
		trusted_proxies: params.model_serve_trusted_proxy.clone(),
		corrupt: params.model_serve_corrupt,
		..defaults
	})
}

/// Least average rate of one transfer (a piece, a whole file) before the fetcher gives its
/// bytes to another sender: 1/64 of the rate the chain assumes when it sets download deadlines
/// (`MinDownloadBytesPerBlock` per block), so that a sender dripping bytes cannot hold a piece
/// until the nomination expires, while a sender at a small fraction of the assumed rate (up to
/// four transfers share the node's link) is kept.
fn min_transfer_rate() -> u64 {
	use modelnet_runtime::configs::model_registry::MinDownloadBytesPerBlock;
	let per_block = <MinDownloadBytesPerBlock as sp_core::Get<u64>>::get();
	per_block.saturating_mul(1000) / MILLI_SECS_PER_BLOCK.max(1) / 64
}

/// What the local accounts' work at one block asks of the node.
struct Work {
	desired: DesiredState,
	/// Deadlines of the local nominations per model (outcomes are bound to them).
	deadlines: BTreeMap<ModelId, Vec<BlockNumber>>,
}

/// Blocks kept in hand before a nomination's deadline: a download still failing then gives up,
/// so that its decline (or confirmation) is included before the nomination expires.
const DEADLINE_MARGIN_BLOCKS: BlockNumber = 3;

/// The local instant by which a download for a nomination due at block `deadline` must end,
/// seen from block `now`.
fn give_up_at(deadline: BlockNumber, now: BlockNumber) -> Instant {
	let blocks = deadline.saturating_sub(now).saturating_sub(DEADLINE_MARGIN_BLOCKS);
	Instant::now() + Duration::from_millis(u64::from(blocks) * MILLI_SECS_PER_BLOCK)
}

/// The union of what the chain wants from every local account, at block `now`.
fn union_of(works: impl IntoIterator<Item = NodeWork<BlockNumber>>, now: BlockNumber) -> Work {
	let mut nominations = BTreeMap::<ModelId, Nomination>::new();
	let mut deadlines = BTreeMap::<ModelId, Vec<BlockNumber>>::new();
	let mut holdings = BTreeMap::new();
	let mut tasks = BTreeSet::new();
	let mut announced = BTreeSet::new();
	for work in works {
		announced.extend(work.announced.iter().map(|model| model.0));
		for n in work.nominations {
			deadlines.entry(n.model.0).or_default().push(n.deadline);
			let entry = nominations.entry(n.model.0).or_insert_with(|| Nomination {
				model: n.model.0,
				size: n.size_bytes,
				sources: n
					.sources
					.iter()
					.filter_map(|url| String::from_utf8(url.clone()).ok())
					.collect(),
				round: 0,
				deadline: None,
				manifest: n.manifest.as_ref().map(|m| PieceManifest {
					root: m.root.0,
					piece_size: m.piece_size,
					pieces: m.pieces.iter().map(|leaf| leaf.0).collect(),
				}),
				peers: n
					.peers
					.iter()
					.filter_map(|peer| {
						let url = String::from_utf8(peer.endpoint.clone()).ok()?;
						let kind = if peer.holder { PeerKind::Holder } else { PeerKind::Nominee };
						Some(Peer { url, kind })
					})
					.collect(),
				source_share: n.source_share,
				executor: kind_of(&n.executor),
			});
			// Several local accounts nominated for one model: the latest deadline counts.
			if u64::from(n.deadline) >= entry.round {
				entry.round = u64::from(n.deadline);
				entry.deadline = Some(give_up_at(n.deadline, now));
			}
		}
		for h in work.holdings {
			holdings.insert(h.model.0, Holding { model: h.model.0, size: h.size_bytes });
		}
		for t in work.tasks {
			let input = executor_input(&t.challenge, &t.input);
			tasks.insert((t.task, t.model.0, input, kind_of(&t.executor)));
		}
	}
	Work {
		desired: DesiredState {
			nominations: nominations.into_values().collect(),
			holdings: holdings.into_values().collect(),
			tasks: tasks
				.into_iter()
				.map(|(task, model, input, executor)| TaskJob { task, model, input, executor })
				.collect(),
			retain: Vec::new(),
			announced: announced.into_iter().collect(),
		},
		deadlines,
	}
}

/// Why an update was skipped.
enum Skip {
	/// The keystore holds no key of the model registry's key type.
	NoKeys,
	/// The runtime API failed.
	Api(String),
}

/// The work of every local account at `at`; any error skips the whole update.
fn work_at<C>(
	client: &C,
	keystore: &KeystorePtr,
	at: <Block as BlockT>::Hash,
	number: BlockNumber,
) -> Result<Work, Skip>
where
	C: ProvideRuntimeApi<Block>,
	C::Api: ModelRegistryApi<Block, AccountId, Balance, BlockNumber>,
{
	let keys = keystore.sr25519_public_keys(KEY_TYPE);
	if keys.is_empty() {
		return Err(Skip::NoKeys);
	}
	let api = client.runtime_api();
	let mut works = Vec::new();
	for public in keys {
		match api.pending_work(at, AccountId::from(public.0)) {
			Ok(Some(work)) => works.push(work),
			Ok(None) => {}
			Err(e) => return Err(Skip::Api(e.to_string())),
		}
	}
	Ok(union_of(works, number))
}

/// Starts the model worker as a task of the node.
pub fn spawn<C, S>(
	task_manager: &sc_service::TaskManager,
	client: Arc<C>,
	keystore: KeystorePtr,
	sync: Arc<dyn SyncOracle + Send + Sync>,
	offchain_db: S,
	config: ModelWorkerConfig,
	prometheus: Option<&substrate_prometheus_endpoint::Registry>,
) -> Result<(), sc_service::Error>
where
	C: ProvideRuntimeApi<Block>
		+ BlockchainEvents<Block>
		+ HeaderBackend<Block>
		+ Send
		+ Sync
		+ 'static,
	C::Api: ModelRegistryApi<Block, AccountId, Balance, BlockNumber>,
	S: OffchainStorage + 'static,
{
	let sink = Arc::new(OffchainDbSink::open(offchain_db));
	sink.set_endpoint(config.public_url.as_deref());
	log::info!(
		target: LOG_TARGET,
		"executors: {}",
		config.executors.kinds().iter().map(ToString::to_string).collect::<Vec<_>>().join(", ")
	);
	let coordinator_config = CoordinatorConfig {
		fetch: FetchConfig {
			max_parallel_downloads: config.max_parallel_downloads.max(1),
			allow_private_addresses: config.allow_private_sources,
			allow_private_peers: config.allow_private_peers,
			min_transfer_rate: min_transfer_rate(),
			..Default::default()
		},
		serve: config.serve.clone(),
		pinned: config.pinned.clone(),
		..CoordinatorConfig::new(StoreConfig {
			root: config.store_dir.clone(),
			max_bytes: config.max_bytes,
		})
	};
	let coordinator =
		Coordinator::new(coordinator_config, config.executors.clone(), sink.clone(), prometheus)
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
		// New best blocks start work; finalized blocks allow deletions.
		let imports = client
			.import_notification_stream()
			.filter_map(|b| future::ready(b.is_new_best.then_some(())));
		let finality = client.finality_notification_stream().map(|_| ());
		let mut blocks = stream::select(imports, finality);
		let mut said_no_keys = false;
		let mut said_syncing = false;
		while blocks.next().await.is_some() {
			if sync.is_major_syncing() {
				if !said_syncing {
					log::info!(target: LOG_TARGET, "major sync in progress: the model worker waits");
					said_syncing = true;
				}
				continue;
			}
			said_syncing = false;
			let info = client.info();
			let update =
				work_at(&*client, &keystore, info.best_hash, info.best_number).and_then(|best| {
					let finalized =
						work_at(&*client, &keystore, info.finalized_hash, info.finalized_number)?;
					Ok((best, finalized))
				});
			let (best, finalized) = match update {
				Ok(works) => works,
				Err(Skip::NoKeys) => {
					if !said_no_keys {
						log::warn!(
							target: LOG_TARGET,
							"no model-registry key (type `mdln`) in the keystore: the model worker \
							 is idle. Insert one (`author_insertKey` or `modelnet-node key insert \
							 --key-type mdln`) and join with its account."
						);
						said_no_keys = true;
					}
					continue;
				}
				Err(Skip::Api(e)) => {
					log::warn!(
						target: LOG_TARGET,
						"pending_work failed ({e}); the store is left as it is until it answers"
					);
					continue;
				}
			};
			if said_no_keys {
				log::info!(target: LOG_TARGET, "model-registry key found: the model worker runs");
				said_no_keys = false;
			}
			let Work { mut desired, deadlines } = best;
			desired.retain = finalized
				.desired
				.nominations
				.iter()
				.map(|n| n.model)
				.chain(finalized.desired.holdings.iter().map(|h| h.model))
				.collect();
			sink.set_nominations(deadlines);
			if !handle.update(desired) {
				log::warn!(target: LOG_TARGET, "the model store stopped; the model worker ends");
				break;
			}
		}
	});
	Ok(())
}
