//! Coordinator: downloads, eviction, missing files, tasks and reporting.

mod common;

use std::{
	path::Path,
	sync::{Arc, Mutex},
	time::Duration,
};

use common::{
	fast_fetch_config, files_under,
	server::{Content, TestServer},
	sha256, test_data, wait_until,
};
use modelnet_offchain_worker::{
	executor::external, Coordinator, CoordinatorConfig, CoordinatorHandle, DeclineReason,
	DesiredState, ExecutorKind, Executors, ExternalConfig, FetchConfig, FetchOutcome, Holding,
	MlpConfig, ModelId, ModelStore, Nomination, OutcomeSink, StoreConfig, TaskId, TaskJob,
};
use sha2::{Digest, Sha256};
use substrate_prometheus_endpoint::Registry;

const MIB: usize = 1 << 20;
const WAIT: Duration = Duration::from_secs(10);

#[derive(Clone, Debug, PartialEq)]
enum Event {
	Fetch(ModelId, FetchOutcome),
	Task(TaskId, [u8; 32]),
	ForgetModel(ModelId),
}

#[derive(Default)]
struct Recorder(Mutex<Vec<Event>>);

impl Recorder {
	fn events(&self) -> Vec<Event> {
		self.0.lock().unwrap().clone()
	}
	fn count(&self, event: &Event) -> usize {
		self.events().iter().filter(|e| *e == event).count()
	}
}

impl OutcomeSink for Recorder {
	fn fetch_outcome(&self, model: ModelId, outcome: FetchOutcome, _round: u64) {
		self.0.lock().unwrap().push(Event::Fetch(model, outcome));
	}
	fn task_result(&self, job: &TaskJob, result: [u8; 32]) {
		self.0.lock().unwrap().push(Event::Task(job.task, result));
	}
	fn forget_model(&self, model: ModelId) {
		self.0.lock().unwrap().push(Event::ForgetModel(model));
	}
}

struct Node {
	handle: CoordinatorHandle,
	store: Arc<ModelStore>,
	sink: Arc<Recorder>,
	_task: tokio::task::JoinHandle<()>,
}

fn config(root: &Path, max_bytes: u64, fetch: FetchConfig) -> CoordinatorConfig {
	CoordinatorConfig {
		fetch,
		retry_failed_after: Duration::from_secs(3600),
		tick: Duration::from_millis(100),
		// Tests of the mass-deletion guard set their own delay.
		mass_eviction_delay: Duration::ZERO,
		..CoordinatorConfig::new(StoreConfig { root: root.to_path_buf(), max_bytes })
	}
}

fn start(config: CoordinatorConfig) -> Node {
	start_with(config, None)
}

fn start_with(config: CoordinatorConfig, registry: Option<&Registry>) -> Node {
	start_full(config, registry, Executors::default())
}

fn start_full(
	config: CoordinatorConfig,
	registry: Option<&Registry>,
	executors: Executors,
) -> Node {
	let sink = Arc::new(Recorder::default());
	let coordinator = Coordinator::new(config, executors, sink.clone(), registry).unwrap();
	let handle = coordinator.handle();
	let store = coordinator.store();
	let task = tokio::spawn(coordinator.run());
	Node { handle, store, sink, _task: task }
}

fn nomination(model: ModelId, data: &[u8], url: String) -> Nomination {
	Nomination { model, size: data.len() as u64, sources: vec![url], ..Default::default() }
}

/// Current value of a gauge in the registry.
fn gauge(registry: &Registry, name: &str) -> u64 {
	registry
		.gather()
		.iter()
		.find(|family| family.get_name() == name)
		.map_or(0, |family| family.get_metric()[0].get_gauge().get_value() as u64)
}

/// The spot check written out from the spec, independently of the crate.
fn expected_spot_check(file: &[u8], input: &[u8]) -> [u8; 32] {
	// A file of up to 1 GiB is read whole: the digest is that of the input and every byte.
	assert!(file.len() <= 1 << 30);
	let mut h = Sha256::new();
	h.update(b"modelnet-spot-check-v2");
	h.update((input.len() as u64).to_le_bytes());
	h.update(input);
	h.update(file);
	h.finalize().into()
}

#[tokio::test]
async fn nomination_is_downloaded_reported_once_then_evicted() {
	let data = test_data(2 * MIB, 11);
	let model = sha256(&data);
	let server = TestServer::start().await.unwrap();
	server.add("/m", Content::Memory(Arc::new(data.clone())));
	let dir = tempfile::tempdir().unwrap();
	let node = start(config(dir.path(), 1 << 30, fast_fetch_config()));
	let nominated = DesiredState {
		nominations: vec![nomination(model, &data, server.url("/m"))],
		..Default::default()
	};

	assert!(node.handle.update(nominated.clone()));
	let stored = Event::Fetch(model, FetchOutcome::Stored);
	assert!(wait_until(WAIT, || node.sink.count(&stored) == 1).await, "{:?}", node.sink.events());
	assert_eq!(std::fs::read(node.store.path_of(&model)).unwrap(), data);

	// Further blocks with the same nomination do not repeat the report or the download.
	for _ in 0..5 {
		node.handle.update(nominated.clone());
		tokio::time::sleep(Duration::from_millis(50)).await;
	}
	assert_eq!(node.sink.events(), vec![stored.clone()]);
	assert_eq!(server.requests().len(), 1);

	// Confirmed: now a holding. Still kept, nothing reported.
	let held = DesiredState {
		holdings: vec![Holding { model, size: data.len() as u64 }],
		..Default::default()
	};
	node.handle.update(held);
	tokio::time::sleep(Duration::from_millis(300)).await;
	assert!(node.store.path_of(&model).exists());
	assert_eq!(node.sink.events(), vec![stored]);

	// Evicted: no longer held nor nominated -> deleted.
	node.handle.update(DesiredState::default());
	assert!(wait_until(WAIT, || !node.store.path_of(&model).exists()).await);
	assert!(files_under(dir.path()).is_empty(), "left: {:?}", files_under(dir.path()));
}

#[tokio::test]
async fn stray_files_and_unwanted_partials_are_deleted() {
	let dir = tempfile::tempdir().unwrap();
	let data = test_data(1000, 12);
	let model = sha256(&data);
	std::fs::create_dir_all(dir.path().join("models")).unwrap();
	std::fs::create_dir_all(dir.path().join("partial")).unwrap();
	std::fs::write(dir.path().join("models").join(hex::encode(model)), &data).unwrap();
	std::fs::write(dir.path().join("models/garbage.tmp"), b"x").unwrap();
	std::fs::write(
		dir.path().join("partial").join(format!("{}.part", hex::encode([5u8; 32]))),
		b"x",
	)
	.unwrap();
	let node = start(config(dir.path(), 1 << 30, fast_fetch_config()));
	// Not a store file: the start-up scan leaves it alone.
	assert!(dir.path().join("models/garbage.tmp").exists());

	node.handle.update(DesiredState {
		holdings: vec![Holding { model, size: 1000 }],
		..Default::default()
	});
	let partial = dir.path().join("partial").join(format!("{}.part", hex::encode([5u8; 32])));
	assert!(wait_until(WAIT, || !partial.exists()).await);
	assert!(node.store.path_of(&model).exists());
	assert!(dir.path().join("models/garbage.tmp").exists());
	assert!(node.sink.events().is_empty(), "{:?}", node.sink.events());
}

#[tokio::test]
async fn missing_held_file_is_reported_once() {
	let dir = tempfile::tempdir().unwrap();
	let data = test_data(4096, 13);
	let model = sha256(&data);
	let node = start(config(dir.path(), 1 << 30, fast_fetch_config()));
	std::fs::write(node.store.path_of(&model), &data).unwrap();
	let held = DesiredState {
		holdings: vec![Holding { model, size: data.len() as u64 }],
		..Default::default()
	};
	node.handle.update(held.clone());
	tokio::time::sleep(Duration::from_millis(300)).await;
	assert!(node.sink.events().is_empty());

	// The file disappears behind the node's back.
	std::fs::remove_file(node.store.path_of(&model)).unwrap();
	let missing = Event::Fetch(model, FetchOutcome::Missing);
	for _ in 0..5 {
		node.handle.update(held.clone());
		tokio::time::sleep(Duration::from_millis(100)).await;
	}
	assert!(wait_until(WAIT, || node.sink.count(&missing) == 1).await);
	tokio::time::sleep(Duration::from_millis(300)).await;
	assert_eq!(node.sink.events(), vec![missing]);
}

#[tokio::test]
async fn truncated_held_file_is_reported_missing_and_deleted() {
	let dir = tempfile::tempdir().unwrap();
	let data = test_data(4096, 14);
	let model = sha256(&data);
	let node = start(config(dir.path(), 1 << 30, fast_fetch_config()));
	std::fs::write(node.store.path_of(&model), &data[..100]).unwrap();
	node.handle.update(DesiredState {
		holdings: vec![Holding { model, size: 4096 }],
		..Default::default()
	});
	let missing = Event::Fetch(model, FetchOutcome::Missing);
	assert!(wait_until(WAIT, || node.sink.count(&missing) == 1).await);
	assert!(!node.store.path_of(&model).exists());
}

#[tokio::test]
async fn corrupt_file_found_by_rehash_on_start_is_reported_missing() {
	let dir = tempfile::tempdir().unwrap();
	let data = test_data(100_000, 15);
	let model = sha256(&data);
	std::fs::create_dir_all(dir.path().join("models")).unwrap();
	let mut corrupt = data.clone();
	corrupt[5] ^= 1;
	std::fs::write(dir.path().join("models").join(hex::encode(model)), &corrupt).unwrap();
	let node = start(CoordinatorConfig {
		rehash_on_start: true,
		..config(dir.path(), 1 << 30, fast_fetch_config())
	});
	node.handle.update(DesiredState {
		holdings: vec![Holding { model, size: data.len() as u64 }],
		tasks: vec![TaskJob {
			task: 1,
			model,
			input: b"x".to_vec(),
			executor: ExecutorKind::SpotCheck,
		}],
		..Default::default()
	});
	let missing = Event::Fetch(model, FetchOutcome::Missing);
	assert!(wait_until(WAIT, || node.sink.count(&missing) == 1).await, "{:?}", node.sink.events());
	// No result was computed from the corrupt file.
	assert_eq!(node.sink.events(), vec![missing]);
}

#[tokio::test]
async fn tasks_run_once_with_the_spot_check_result() {
	let dir = tempfile::tempdir().unwrap();
	let a = test_data(3 * MIB + 7, 16);
	let b = test_data(3 * MIB + 7, 17);
	let (ma, mb) = (sha256(&a), sha256(&b));
	let node = start(config(dir.path(), 1 << 30, fast_fetch_config()));
	std::fs::write(node.store.path_of(&ma), &a).unwrap();
	std::fs::write(node.store.path_of(&mb), &b).unwrap();
	let input = b"prompt: a cat in a hat".to_vec();
	let state = DesiredState {
		holdings: vec![
			Holding { model: ma, size: a.len() as u64 },
			Holding { model: mb, size: b.len() as u64 },
		],
		tasks: vec![
			TaskJob { task: 7, model: ma, input: input.clone(), executor: ExecutorKind::SpotCheck },
			TaskJob { task: 8, model: mb, input: input.clone(), executor: ExecutorKind::SpotCheck },
			// The same task for a second local account: executed once.
			TaskJob { task: 7, model: ma, input: input.clone(), executor: ExecutorKind::SpotCheck },
		],
		..Default::default()
	};
	node.handle.update(state.clone());
	let ra = Event::Task(7, expected_spot_check(&a, &input));
	let rb = Event::Task(8, expected_spot_check(&b, &input));
	assert!(
		wait_until(WAIT, || node.sink.count(&ra) == 1 && node.sink.count(&rb) == 1).await,
		"{:?}",
		node.sink.events()
	);
	assert_ne!(expected_spot_check(&a, &input), expected_spot_check(&b, &input));
	for _ in 0..3 {
		node.handle.update(state.clone());
		tokio::time::sleep(Duration::from_millis(100)).await;
	}
	assert_eq!(node.sink.events().len(), 2, "{:?}", node.sink.events());
}

#[tokio::test]
async fn failed_downloads_are_declined_with_a_reason() {
	let good = test_data(MIB, 18);
	let big = test_data(3 * MIB, 19);
	let (mg, mbig) = (sha256(&good), sha256(&big));
	let server = TestServer::start().await.unwrap();
	server.add("/good", Content::Memory(Arc::new(good.clone())));
	server.add("/big", Content::Memory(Arc::new(big.clone())));
	server.set(|b| b.tamper = true);
	let dir = tempfile::tempdir().unwrap();
	let node = start(config(dir.path(), 2 * MIB as u64, fast_fetch_config()));
	node.handle.update(DesiredState {
		nominations: vec![
			nomination(mg, &good, server.url("/good")),
			nomination(mbig, &big, server.url("/big")),
		],
		..Default::default()
	});
	let hash = Event::Fetch(mg, FetchOutcome::Failed(DeclineReason::HashMismatch));
	let budget = Event::Fetch(mbig, FetchOutcome::Failed(DeclineReason::DiskBudgetExceeded));
	assert!(
		wait_until(WAIT, || node.sink.count(&hash) == 1 && node.sink.count(&budget) == 1).await,
		"{:?}",
		node.sink.events()
	);
	tokio::time::sleep(Duration::from_millis(300)).await;
	assert_eq!(node.sink.events().len(), 2, "no retry before retry_failed_after");
	assert!(files_under(dir.path()).is_empty(), "left: {:?}", files_under(dir.path()));
}

#[tokio::test]
async fn failed_download_is_retried_later_while_still_nominated() {
	let data = test_data(MIB, 20);
	let model = sha256(&data);
	let server = TestServer::start().await.unwrap();
	server.add("/m", Content::Memory(Arc::new(data.clone())));
	server.set(|b| b.tamper = true);
	let dir = tempfile::tempdir().unwrap();
	let node = start(CoordinatorConfig {
		retry_failed_after: Duration::from_millis(500),
		..config(dir.path(), 1 << 30, fast_fetch_config())
	});
	node.handle.update(DesiredState {
		nominations: vec![nomination(model, &data, server.url("/m"))],
		..Default::default()
	});
	let failed = Event::Fetch(model, FetchOutcome::Failed(DeclineReason::HashMismatch));
	assert!(wait_until(WAIT, || node.sink.count(&failed) == 1).await);
	server.set(|b| b.tamper = false);
	let stored = Event::Fetch(model, FetchOutcome::Stored);
	assert!(wait_until(WAIT, || node.sink.count(&stored) == 1).await, "{:?}", node.sink.events());
}

#[tokio::test]
async fn failed_download_is_retried_at_once_from_new_sources() {
	let data = test_data(MIB, 21);
	let model = sha256(&data);
	let server = TestServer::start().await.unwrap();
	server.add("/bad", Content::Memory(Arc::new(test_data(MIB, 22))));
	server.add("/good", Content::Memory(Arc::new(data.clone())));
	let dir = tempfile::tempdir().unwrap();
	// Without new sources, no retry within the hour.
	let node = start(config(dir.path(), 1 << 30, fast_fetch_config()));
	let bad = nomination(model, &data, server.url("/bad"));
	node.handle.update(DesiredState { nominations: vec![bad.clone()], ..Default::default() });
	let failed = Event::Fetch(model, FetchOutcome::Failed(DeclineReason::HashMismatch));
	assert!(wait_until(WAIT, || node.sink.count(&failed) == 1).await, "{:?}", node.sink.events());
	for _ in 0..3 {
		node.handle.update(DesiredState { nominations: vec![bad.clone()], ..Default::default() });
		tokio::time::sleep(Duration::from_millis(100)).await;
	}
	assert!(server.requests().iter().all(|r| r.path != "/good"));
	assert_eq!(node.sink.events().len(), 1, "{:?}", node.sink.events());
	// The owner replaced the sources: the node fetches from them at once.
	let good = nomination(model, &data, server.url("/good"));
	node.handle.update(DesiredState { nominations: vec![good], ..Default::default() });
	let stored = Event::Fetch(model, FetchOutcome::Stored);
	assert!(wait_until(WAIT, || node.sink.count(&stored) == 1).await, "{:?}", node.sink.events());
}

#[tokio::test]
async fn downloads_are_bounded_and_cancelled_when_no_longer_nominated() {
	let models: Vec<Vec<u8>> = (0..3).map(|i| test_data(2 * MIB, 30 + i)).collect();
	let server = TestServer::start().await.unwrap();
	let mut nominations = Vec::new();
	for (i, data) in models.iter().enumerate() {
		let path = format!("/m{i}");
		server.add(&path, Content::Memory(Arc::new(data.clone())));
		nominations.push(nomination(sha256(data), data, server.url(&path)));
	}
	server.set(|b| b.write_delay = Some(Duration::from_millis(20)));
	let dir = tempfile::tempdir().unwrap();
	let fetch = FetchConfig { max_parallel_downloads: 1, ..fast_fetch_config() };
	let registry = Registry::new();
	let node = start_with(config(dir.path(), 1 << 30, fetch), Some(&registry));
	node.handle.update(DesiredState { nominations: nominations.clone(), ..Default::default() });
	let mut most_active = 0;
	assert!(
		wait_until(WAIT, || {
			most_active = most_active.max(gauge(&registry, "modelnet_fetch_active"));
			node.store.stored().len() == 3
		})
		.await
	);
	assert_eq!(most_active, 1, "one download at a time");
	assert_eq!(gauge(&registry, "modelnet_store_models"), 3);
	let stored = node
		.sink
		.events()
		.iter()
		.filter(|e| matches!(e, Event::Fetch(_, FetchOutcome::Stored)))
		.count();
	assert_eq!(stored, 3);

	// A slow download withdrawn half way is cancelled and its partial file deleted.
	let slow = test_data(8 * MIB, 40);
	server.add("/slow", Content::Memory(Arc::new(slow.clone())));
	server.set(|b| b.write_delay = Some(Duration::from_millis(50)));
	let ms = sha256(&slow);
	node.handle.update(DesiredState {
		nominations: vec![nomination(ms, &slow, server.url("/slow"))],
		..Default::default()
	});
	let partial = dir.path().join("partial").join(format!("{}.part", hex::encode(ms)));
	assert!(wait_until(WAIT, || partial.exists()).await);
	node.handle.update(DesiredState::default());
	assert!(
		wait_until(WAIT, || files_under(dir.path()).is_empty()).await,
		"left: {:?}",
		files_under(dir.path())
	);
	tokio::time::sleep(Duration::from_millis(300)).await;
	assert!(files_under(dir.path()).is_empty());
	assert_eq!(node.store.used_bytes(), 0);
}

#[tokio::test]
async fn file_placed_behind_the_stores_back_is_rehashed_before_confirming() {
	let data = test_data(MIB, 50);
	let model = sha256(&data);
	let server = TestServer::start().await.unwrap();
	server.add("/m", Content::Memory(Arc::new(data.clone())));
	let dir = tempfile::tempdir().unwrap();
	let node = start(config(dir.path(), 1 << 30, fast_fetch_config()));
	// Right size, wrong bytes, appearing after the start-up scan.
	std::fs::write(node.store.path_of(&model), vec![0u8; MIB]).unwrap();
	node.handle.update(DesiredState {
		nominations: vec![nomination(model, &data, server.url("/m"))],
		..Default::default()
	});
	let stored = Event::Fetch(model, FetchOutcome::Stored);
	assert!(wait_until(WAIT, || node.sink.count(&stored) == 1).await, "{:?}", node.sink.events());
	// Confirmed only after the bad file was replaced by a verified download.
	assert_eq!(server.requests().len(), 1);
	assert_eq!(std::fs::read(node.store.path_of(&model)).unwrap(), data);
	assert_eq!(node.sink.events(), vec![stored]);
}

/// A coordinator holding `n` small models written straight into its store.
async fn node_holding(n: u64, config: CoordinatorConfig) -> (Node, Vec<Holding>) {
	let node = start(config);
	let holdings: Vec<Holding> = (0..n)
		.map(|i| {
			let data = test_data(1000, 100 + i);
			std::fs::write(node.store.path_of(&sha256(&data)), &data).unwrap();
			Holding { model: sha256(&data), size: data.len() as u64 }
		})
		.collect();
	node.handle.update(DesiredState { holdings: holdings.clone(), ..Default::default() });
	assert!(wait_until(WAIT, || node.store.stored().len() == n as usize).await);
	(node, holdings)
}

#[tokio::test]
async fn mass_deletion_is_held_back_until_it_persists() {
	let dir = tempfile::tempdir().unwrap();
	let held_back = CoordinatorConfig {
		mass_eviction_delay: Duration::from_secs(3600),
		..config(dir.path(), 1 << 30, fast_fetch_config())
	};
	let (node, holdings) = node_holding(4, held_back).await;

	// A broken runtime API answering "no work" must not wipe the store.
	node.handle.update(DesiredState::default());
	tokio::time::sleep(Duration::from_millis(500)).await;
	assert_eq!(node.store.stored().len(), 4);

	// One model going (a quarter of the store) is an ordinary eviction.
	node.handle.update(DesiredState { holdings: holdings[1..].to_vec(), ..Default::default() });
	assert!(wait_until(WAIT, || node.store.stored().len() == 3).await);
	assert!(!node.store.path_of(&holdings[0].model).exists());
}

#[tokio::test]
async fn mass_deletion_goes_ahead_once_the_delay_has_passed() {
	let dir = tempfile::tempdir().unwrap();
	let short_delay = CoordinatorConfig {
		mass_eviction_delay: Duration::from_millis(300),
		..config(dir.path(), 1 << 30, fast_fetch_config())
	};
	let (node, _) = node_holding(4, short_delay).await;
	node.handle.update(DesiredState::default());
	assert!(wait_until(WAIT, || node.store.stored().is_empty()).await);
}

#[tokio::test]
async fn models_the_finalized_chain_wants_are_never_deleted() {
	let dir = tempfile::tempdir().unwrap();
	let (node, holdings) = node_holding(1, config(dir.path(), 1 << 30, fast_fetch_config())).await;
	let model = holdings[0].model;

	// The best block (a fork) dropped the model; the finalized block still holds it.
	node.handle.update(DesiredState { retain: vec![model], ..Default::default() });
	tokio::time::sleep(Duration::from_millis(500)).await;
	assert!(node.store.path_of(&model).exists());

	// Finalized too: now it goes, and the sink is told to forget what it wrote.
	node.handle.update(DesiredState::default());
	assert!(wait_until(WAIT, || !node.store.path_of(&model).exists()).await);
}

#[tokio::test]
async fn results_are_kept_per_job_not_per_task_id() {
	let dir = tempfile::tempdir().unwrap();
	let (node, holdings) = node_holding(1, config(dir.path(), 1 << 30, fast_fetch_config())).await;
	let model = holdings[0].model;
	let data = test_data(1000, 100);
	let first = TaskJob {
		task: 9,
		model,
		input: b"first fork".to_vec(),
		executor: ExecutorKind::SpotCheck,
	};
	node.handle.update(DesiredState {
		holdings: holdings.clone(),
		tasks: vec![first.clone()],
		..Default::default()
	});
	let r1 = Event::Task(9, expected_spot_check(&data, &first.input));
	assert!(wait_until(WAIT, || node.sink.count(&r1) == 1).await, "{:?}", node.sink.events());

	// After a re-organisation task 9 is another task: it is executed afresh.
	let second = TaskJob {
		task: 9,
		model,
		input: b"second fork".to_vec(),
		executor: ExecutorKind::SpotCheck,
	};
	node.handle.update(DesiredState {
		holdings,
		tasks: vec![second.clone()],
		..Default::default()
	});
	let r2 = Event::Task(9, expected_spot_check(&data, &second.input));
	assert!(wait_until(WAIT, || node.sink.count(&r2) == 1).await, "{:?}", node.sink.events());
	assert_ne!(r1, r2);
}

#[tokio::test]
async fn outcomes_of_models_the_chain_dropped_are_forgotten() {
	let data = test_data(MIB, 21);
	let model = sha256(&data);
	let server = TestServer::start().await.unwrap();
	server.add("/m", Content::Memory(Arc::new(data.clone())));
	let dir = tempfile::tempdir().unwrap();
	let node = start(config(dir.path(), 1 << 30, fast_fetch_config()));
	let round = |round| DesiredState {
		nominations: vec![Nomination { round, ..nomination(model, &data, server.url("/m")) }],
		..Default::default()
	};
	node.handle.update(round(1));
	let stored = Event::Fetch(model, FetchOutcome::Stored);
	assert!(wait_until(WAIT, || node.sink.count(&stored) == 1).await, "{:?}", node.sink.events());

	// A new nomination round of a stored model is answered at once, without a download.
	node.handle.update(round(2));
	assert!(wait_until(WAIT, || node.sink.count(&stored) == 2).await, "{:?}", node.sink.events());
	assert_eq!(server.requests().len(), 1);

	node.handle.update(DesiredState::default());
	let forget = Event::ForgetModel(model);
	assert!(wait_until(WAIT, || node.sink.count(&forget) == 1).await, "{:?}", node.sink.events());
}

#[tokio::test]
async fn nominations_of_a_kind_the_node_cannot_run_are_declined_without_a_download() {
	let dir = tempfile::tempdir().unwrap();
	let server = TestServer::start().await.unwrap();
	let data = test_data(200_000, 31);
	let llama = sha256(&data);
	server.add("/m", Content::Memory(Arc::new(data.clone())));
	let node = start(config(dir.path(), 1 << 30, fast_fetch_config()));
	let external = ExecutorKind::External("llama".into());
	node.handle.update(DesiredState {
		nominations: vec![Nomination {
			executor: external,
			round: 5,
			..nomination(llama, &data, server.url("/m"))
		}],
		..Default::default()
	});
	let declined = Event::Fetch(llama, FetchOutcome::Failed(DeclineReason::UnsupportedExecutor));
	assert!(wait_until(WAIT, || node.sink.count(&declined) == 1).await, "{:?}", node.sink.events());
	tokio::time::sleep(Duration::from_millis(300)).await;
	assert!(server.requests().is_empty(), "nothing is downloaded");
	assert_eq!(node.sink.events(), vec![declined]);
	assert!(!node.store.is_stored(&llama));

	// The same file as an MLP model: every node runs the built-in engine, so it is fetched.
	node.handle.update(DesiredState {
		nominations: vec![Nomination {
			executor: ExecutorKind::SafetensorsMlp,
			round: 6,
			..nomination(llama, &data, server.url("/m"))
		}],
		..Default::default()
	});
	let stored = Event::Fetch(llama, FetchOutcome::Stored);
	assert!(wait_until(WAIT, || node.sink.count(&stored) == 1).await, "{:?}", node.sink.events());
}

#[tokio::test]
async fn tasks_run_on_their_kind_and_a_failing_program_reports_no_result() {
	let dir = tempfile::tempdir().unwrap();
	let data = test_data(50_000, 32);
	let model = sha256(&data);
	// `cat <model path>` prints the model; `false` fails.
	let executors = Executors::new(
		MlpConfig::default(),
		[
			("cat".to_string(), ExternalConfig::new("cat")),
			("broken".to_string(), ExternalConfig::new("false")),
		],
	);
	let node = start_full(config(dir.path(), 1 << 30, fast_fetch_config()), None, executors);
	std::fs::write(node.store.path_of(&model), &data).unwrap();
	let job = |task, kind: &str| TaskJob {
		task,
		model,
		input: b"challenge and input".to_vec(),
		executor: ExecutorKind::External(kind.into()),
	};
	node.handle.update(DesiredState {
		holdings: vec![Holding { model, size: data.len() as u64 }],
		tasks: vec![job(1, "cat"), job(2, "broken"), job(3, "missing")],
		..Default::default()
	});
	let printed = Event::Task(1, external::output_digest(b"challenge and input", &data));
	assert!(wait_until(WAIT, || node.sink.count(&printed) == 1).await, "{:?}", node.sink.events());
	tokio::time::sleep(Duration::from_millis(500)).await;
	// The failed and the unsupported task report nothing (no result is committed).
	assert_eq!(node.sink.events(), vec![printed]);
}
