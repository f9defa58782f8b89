//! Coordinator: files kept through the eviction pass (announced copies, the operator's pins)
//! until the chain rules on them, and per-model metric series dropped with their model.

mod common;

use std::{path::Path, sync::Arc, time::Duration};

use common::{
	fast_fetch_config,
	server::{Content, TestServer},
	sha256, test_data, wait_until,
};
use modelnet_offchain_worker::{
	Coordinator, CoordinatorConfig, CoordinatorHandle, DesiredState, Executors, FetchOutcome,
	Holding, ModelId, ModelStore, Nomination, OutcomeSink, StoreConfig, TaskJob,
};
use substrate_prometheus_endpoint::Registry;

const WAIT: Duration = Duration::from_secs(10);

/// Records `Stored` outcomes only.
#[derive(Default)]
struct Sink(std::sync::Mutex<Vec<ModelId>>);

impl OutcomeSink for Sink {
	fn fetch_outcome(&self, model: ModelId, outcome: FetchOutcome, _round: u64) {
		if outcome == FetchOutcome::Stored {
			self.0.lock().unwrap().push(model);
		}
	}
	fn task_result(&self, _job: &TaskJob, _result: [u8; 32]) {}
}

struct Node {
	handle: CoordinatorHandle,
	store: Arc<ModelStore>,
	sink: Arc<Sink>,
	_task: tokio::task::JoinHandle<()>,
}

fn config(root: &Path) -> CoordinatorConfig {
	CoordinatorConfig {
		fetch: fast_fetch_config(),
		tick: Duration::from_millis(50),
		mass_eviction_delay: Duration::ZERO,
		..CoordinatorConfig::new(StoreConfig { root: root.to_path_buf(), max_bytes: 1 << 30 })
	}
}

fn start(config: CoordinatorConfig, registry: Option<&Registry>) -> Node {
	let sink = Arc::new(Sink::default());
	let coordinator =
		Coordinator::new(config, Executors::default(), sink.clone(), registry).unwrap();
	let (handle, store) = (coordinator.handle(), coordinator.store());
	Node { handle, store, sink, _task: tokio::spawn(coordinator.run()) }
}

/// Writes a model file of 1000 bytes into the store directory at `root` (an operator
/// pre-seeding the disk before the node starts), and returns its id.
fn pre_seed(root: &Path, seed: u64) -> ModelId {
	let data = test_data(1000, seed);
	let model = sha256(&data);
	std::fs::create_dir_all(root.join("models")).unwrap();
	std::fs::write(root.join("models").join(hex::encode(model)), &data).unwrap();
	model
}

/// The `announce_stored` workflow: pre-seed, announce, wait to be drawn. The eviction pass
/// used to delete the copy at the first update (it was neither held nor nominated).
#[tokio::test]
async fn an_announced_copy_is_kept_until_the_chain_rules_on_it() {
	let dir = tempfile::tempdir().unwrap();
	let (announced, drawn, stray) =
		(pre_seed(dir.path(), 1), pre_seed(dir.path(), 2), pre_seed(dir.path(), 3));
	let node = start(config(dir.path()), None);
	let path = |model: &ModelId| node.store.path_of(model);

	node.handle.update(DesiredState { announced: vec![announced, drawn], ..Default::default() });
	// The eviction pass ran (the stray copy is gone) and kept both announced copies.
	assert!(wait_until(WAIT, || !path(&stray).exists()).await, "the stray copy stays");
	assert!(path(&announced).exists() && path(&drawn).exists());
	// Kept copies are re-hashed in the background, ready for when the node is drawn.
	assert!(wait_until(WAIT, || !node.store.needs_verification(&drawn)).await);

	// A draw picks the node for `drawn` (a holder now, its announcement taken); the chain
	// drops the announcement of `announced` (the model was deregistered).
	let held =
		DesiredState { holdings: vec![Holding { model: drawn, size: 1000 }], ..Default::default() };
	node.handle.update(held);
	assert!(wait_until(WAIT, || !path(&announced).exists()).await, "a dropped announcement");
	assert!(path(&drawn).exists(), "the drawn copy is held");
}

#[tokio::test]
async fn a_pinned_copy_survives_every_eviction_pass() {
	let dir = tempfile::tempdir().unwrap();
	let (pinned, other, stray) =
		(pre_seed(dir.path(), 4), pre_seed(dir.path(), 5), pre_seed(dir.path(), 6));
	let node = start(CoordinatorConfig { pinned: vec![pinned], ..config(dir.path()) }, None);
	let path = |model: &ModelId| node.store.path_of(model);

	// Held along with another model, then neither is held: the pinned copy stays.
	let holdings = [pinned, other].map(|model| Holding { model, size: 1000 }).to_vec();
	node.handle.update(DesiredState { holdings, ..Default::default() });
	assert!(wait_until(WAIT, || !path(&stray).exists()).await);
	node.handle.update(DesiredState::default());
	assert!(wait_until(WAIT, || !path(&other).exists()).await);
	assert!(path(&pinned).exists());
	// Re-hashed like any kept copy.
	assert!(wait_until(WAIT, || !node.store.needs_verification(&pinned)).await);
}

#[tokio::test]
async fn a_corrupt_announced_copy_is_deleted_by_its_rehash() {
	let dir = tempfile::tempdir().unwrap();
	let model = pre_seed(dir.path(), 8);
	let path = dir.path().join("models").join(hex::encode(model));
	std::fs::write(&path, vec![0u8; 1000]).unwrap();
	let node = start(config(dir.path()), None);

	node.handle.update(DesiredState { announced: vec![model], ..Default::default() });

	assert!(wait_until(WAIT, || !path.exists()).await, "a corrupt copy is not kept");
}

/// Values of the `model` label of the per-model byte counters.
fn model_labels(registry: &Registry) -> Vec<String> {
	registry
		.gather()
		.iter()
		.filter(|f| f.get_name().starts_with("modelnet_model_bytes_"))
		.flat_map(|f| f.get_metric().to_vec())
		.flat_map(|m| m.get_label().to_vec())
		.filter(|l| l.get_name() == "model")
		.map(|l| l.get_value().to_string())
		.collect()
}

#[tokio::test]
async fn per_model_series_go_when_the_chain_no_longer_names_the_model() {
	let data = test_data(300_000, 9);
	let model = sha256(&data);
	let server = TestServer::start().await.unwrap();
	server.add("/m", Content::Memory(Arc::new(data.clone())));
	let dir = tempfile::tempdir().unwrap();
	let registry = Registry::new();
	let node = start(config(dir.path()), Some(&registry));
	let nomination = Nomination {
		model,
		size: data.len() as u64,
		sources: vec![server.url("/m")],
		..Default::default()
	};
	node.handle.update(DesiredState { nominations: vec![nomination], ..Default::default() });
	assert!(wait_until(WAIT, || node.sink.0.lock().unwrap().contains(&model)).await);
	let label = hex::encode(&model[..8]);
	assert!(model_labels(&registry).contains(&label), "{:?}", model_labels(&registry));

	node.handle.update(DesiredState::default());

	assert!(wait_until(WAIT, || model_labels(&registry).is_empty()).await);
	assert!(!node.store.path_of(&model).exists());
}
