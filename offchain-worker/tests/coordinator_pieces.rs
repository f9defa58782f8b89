//! Coordinator with piece manifests and its model server.

mod common;

use std::{
	sync::{Arc, Mutex},
	time::Duration,
};

use common::{
	fast_fetch_config,
	node::{get, manifest_of},
	server::{Content, TestServer},
	sha256, test_data, wait_until,
};
use hyper::StatusCode;
use modelnet_offchain_worker::{
	Coordinator, CoordinatorConfig, CoordinatorHandle, DesiredState, Executors, FetchConfig,
	FetchOutcome, ModelId, Nomination, OutcomeSink, Peer, PeerKind, ServeConfig, StoreConfig,
	TaskJob,
};

const MIB: usize = 1 << 20;
const WAIT: Duration = Duration::from_secs(30);

#[derive(Default)]
struct Recorder(Mutex<Vec<(ModelId, FetchOutcome)>>);

impl OutcomeSink for Recorder {
	fn fetch_outcome(&self, model: ModelId, outcome: FetchOutcome, _round: u64) {
		self.0.lock().unwrap().push((model, outcome));
	}
	fn task_result(&self, _job: &TaskJob, _result: [u8; 32]) {}
}

impl Recorder {
	fn has(&self, model: ModelId, outcome: FetchOutcome) -> bool {
		self.0.lock().unwrap().contains(&(model, outcome))
	}
}

fn start(
	dir: &std::path::Path,
	serve: Option<ServeConfig>,
) -> (CoordinatorHandle, Arc<Recorder>, tokio::task::JoinHandle<()>) {
	let config = CoordinatorConfig {
		fetch: FetchConfig {
			stall_timeout: Duration::from_secs(2),
			peer_poll_interval: Duration::from_millis(100),
			..fast_fetch_config()
		},
		tick: Duration::from_millis(100),
		serve,
		..CoordinatorConfig::new(StoreConfig { root: dir.to_path_buf(), max_bytes: 1 << 32 })
	};
	let sink = Arc::new(Recorder::default());
	let coordinator = Coordinator::new(config, Executors::default(), sink.clone(), None).unwrap();
	let handle = coordinator.handle();
	let task = tokio::spawn(coordinator.run());
	(handle, sink, task)
}

fn free_port() -> std::net::SocketAddr {
	let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
	listener.local_addr().unwrap()
}

#[tokio::test]
async fn nominee_downloads_by_pieces_serves_and_stops_serving_when_evicted() {
	let data = test_data(9 * MIB, 51);
	let model = sha256(&data);
	let source = TestServer::start().await.unwrap();
	source.add("/m", Content::Memory(Arc::new(data.clone())));
	let addr = free_port();
	let dir_a = tempfile::tempdir().unwrap();
	let (a, sink_a, _task_a) = start(dir_a.path(), Some(ServeConfig::new(addr)));
	let nomination = Nomination {
		model,
		size: data.len() as u64,
		sources: vec![source.url("/m")],
		manifest: Some(manifest_of(&data)),
		..Default::default()
	};
	a.update(DesiredState { nominations: vec![nomination.clone()], ..Default::default() });
	assert!(wait_until(WAIT, || sink_a.has(model, FetchOutcome::Stored)).await);
	let url = format!("http://{addr}/v1/models/{}", hex::encode(model));
	let (status, _, body) = get(&format!("{url}/pieces"), None).await;
	assert_eq!((status, body), (StatusCode::OK, vec![1, 1, 1]));

	// B cannot bind the same address: it runs without serving, and fetches from A alone.
	source.stop();
	let dir_b = tempfile::tempdir().unwrap();
	let (b, sink_b, _task_b) = start(dir_b.path(), Some(ServeConfig::new(addr)));
	let from_a = Nomination {
		peers: vec![Peer { url: format!("http://{addr}"), kind: PeerKind::Holder }],
		..nomination
	};
	b.update(DesiredState { nominations: vec![from_a], ..Default::default() });
	assert!(wait_until(WAIT, || sink_b.has(model, FetchOutcome::Stored)).await);

	// A no longer wanted: no longer served.
	a.update(DesiredState::default());
	let mut status = StatusCode::OK;
	for _ in 0..100 {
		status = get(&format!("{url}/pieces"), None).await.0;
		if status == StatusCode::NOT_FOUND {
			break;
		}
		tokio::time::sleep(Duration::from_millis(50)).await;
	}
	assert_eq!(status, StatusCode::NOT_FOUND);
}
