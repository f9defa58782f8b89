//! Piece-wise downloads from serving nodes and sources over real loopback HTTP.

mod common;

use std::{
	sync::Arc,
	time::{Duration, Instant},
};

use common::{
	fast_fetch_config,
	node::{serve_config, ServingNode},
	open_store, piece_nomination, serve_at,
	server::TestServer,
	sha256, test_data,
};
use modelnet_offchain_worker::{
	sha256_file, FetchConfig, FetchError, Fetcher, Metrics, ModelServer, Peer, PeerKind,
	ServeConfig,
};
use substrate_prometheus_endpoint::Registry;

const MIB: usize = 1 << 20;

fn swarm_config() -> FetchConfig {
	FetchConfig {
		stall_timeout: Duration::from_secs(2),
		peer_poll_interval: Duration::from_millis(100),
		..fast_fetch_config()
	}
}

fn holder(node: &ServingNode) -> Peer {
	Peer { url: node.url(), kind: PeerKind::Holder }
}

async fn source(data: &[u8]) -> TestServer {
	serve_at("/model.bin", data).await
}

fn new_fetcher(dir: &std::path::Path, config: FetchConfig) -> (Fetcher, Metrics) {
	let metrics = Metrics::register(&Registry::new()).unwrap();
	let fetcher = Fetcher::new(open_store(dir, 1 << 32), config, Some(metrics.clone())).unwrap();
	(fetcher, metrics)
}

fn received(metrics: &Metrics, model: &[u8; 32], kind: &str) -> u64 {
	metrics.bytes_received.with_label_values(&[&hex::encode(&model[..8]), kind]).get()
}

#[tokio::test]
async fn swarm_from_two_holders_spares_the_source() {
	let data = test_data(13 * MIB + 3, 41);
	let model = sha256(&data);
	let source = source(&data).await;
	let (a, b) = (
		ServingNode::holding(&data, serve_config()).await,
		ServingNode::holding(&data, serve_config()).await,
	);
	let dir = tempfile::tempdir().unwrap();
	let (fetcher, metrics) = new_fetcher(dir.path(), swarm_config());
	let n = piece_nomination(&data, vec![source.url("/model.bin")], vec![holder(&a), holder(&b)]);

	let path = fetcher.fetch_nomination(&n).await.unwrap();

	assert_eq!(path, fetcher.store().path_of(&model));
	assert_eq!(sha256_file(&path).unwrap(), model);
	assert!(!fetcher.store().pieces_path_of(&model).exists());
	assert!(!fetcher.store().partial_path_of(&model).exists());
	assert_eq!(source.bytes_served(), 0, "holders are preferred over the source");
	assert!(a.served(&model) > 0 && b.served(&model) > 0, "pieces are spread over holders");
	assert_eq!(a.served(&model) + b.served(&model), data.len() as u64);
	assert_eq!(received(&metrics, &model, "holder"), data.len() as u64);
	assert_eq!(metrics.verified.get(), 1);
}

#[tokio::test]
async fn lying_holder_is_dropped_without_blaming_the_sources() {
	let data = test_data(9 * MIB, 42);
	let model = sha256(&data);
	let source = source(&data).await;
	let liar = ServingNode::holding(&data, ServeConfig { corrupt: true, ..serve_config() }).await;
	let honest = ServingNode::holding(&data, serve_config()).await;
	let dir = tempfile::tempdir().unwrap();
	let (fetcher, metrics) = new_fetcher(dir.path(), swarm_config());
	let peers = vec![holder(&liar), holder(&honest)];
	let n = piece_nomination(&data, vec![source.url("/model.bin")], peers);

	let path = fetcher.fetch_nomination(&n).await.unwrap();

	assert_eq!(sha256_file(&path).unwrap(), model);
	// Dropped at its first bad piece: only the requests already in flight fail too.
	let bad = metrics.bad_pieces.with_label_values(&["holder"]).get();
	assert!((1..=2).contains(&bad), "{bad} bad pieces");
	assert_eq!(metrics.bad_pieces.with_label_values(&["source"]).get(), 0);
	assert_eq!(source.bytes_served(), 0);
	assert_eq!(metrics.failed.with_label_values(&["hash_mismatch"]).get(), 0);

	// A liar and the source only: the source delivers, and is not blamed.
	let dir = tempfile::tempdir().unwrap();
	let (fetcher, metrics) = new_fetcher(dir.path(), swarm_config());
	let n = piece_nomination(&data, vec![source.url("/model.bin")], vec![holder(&liar)]);
	fetcher.fetch_nomination(&n).await.unwrap();
	assert!(metrics.bad_pieces.with_label_values(&["holder"]).get() >= 1);
	assert_eq!(received(&metrics, &model, "source"), data.len() as u64);
}

#[tokio::test]
async fn holders_alone_suffice_when_the_sources_are_down() {
	let data = test_data(9 * MIB, 43);
	let model = sha256(&data);
	let down = source(&data).await;
	down.stop();
	let (a, b) = (
		ServingNode::holding(&data, serve_config()).await,
		ServingNode::holding(&data, serve_config()).await,
	);
	let dir = tempfile::tempdir().unwrap();
	let (fetcher, _) = new_fetcher(dir.path(), swarm_config());
	let sources = vec![down.url("/model.bin"), "http://127.0.0.1:1/model.bin".to_string()];
	let n = piece_nomination(&data, sources, vec![holder(&a), holder(&b)]);

	let path = fetcher.fetch_nomination(&n).await.unwrap();
	assert_eq!(sha256_file(&path).unwrap(), model);

	// With the holders gone as well, nothing blames the sources.
	a.stop();
	b.stop();
	let dir = tempfile::tempdir().unwrap();
	let (fetcher, _) = new_fetcher(dir.path(), swarm_config());
	let n = piece_nomination(&data, vec![down.url("/model.bin")], vec![holder(&a), holder(&b)]);
	let err = fetcher.fetch_nomination(&n).await.unwrap_err();
	assert_eq!(err.reason(), modelnet_offchain_worker::DeclineReason::NetworkUnreachable, "{err}");
}

#[tokio::test]
async fn interrupted_download_resumes_without_refetching_verified_pieces() {
	let data = test_data(13 * MIB, 44);
	let model = sha256(&data);
	let source = source(&data).await;
	source.set(|b| b.write_delay = Some(Duration::from_millis(15)));
	let dir = tempfile::tempdir().unwrap();
	let config = FetchConfig { piece_parallelism: 1, ..swarm_config() };
	let n = piece_nomination(&data, vec![source.url("/model.bin")], Vec::new());
	let bitmap_path = dir.path().join("partial").join(format!("{}.pieces", hex::encode(model)));
	{
		let (fetcher, _) = new_fetcher(dir.path(), config.clone());
		let download = fetcher.fetch_nomination(&n);
		tokio::pin!(download);
		let deadline = Instant::now() + Duration::from_secs(20);
		loop {
			tokio::select! {
				result = &mut download => panic!("finished too early: {result:?}"),
				_ = tokio::time::sleep(Duration::from_millis(20)) => {}
			}
			let verified = std::fs::read(&bitmap_path).unwrap_or_default();
			if verified.iter().filter(|b| **b == 1).count() >= 2 {
				break;
			}
			assert!(Instant::now() < deadline, "no progress");
		}
	}
	// The dropped download may have sent the request for its next piece just before: the
	// source (on this test's runtime) logs it only when it next runs. Let it run, so that the
	// request is not counted as one of the resumed download's.
	tokio::time::sleep(Duration::from_millis(300)).await;
	let verified = std::fs::read(&bitmap_path).unwrap();
	assert_eq!(verified.len(), 4);
	let done: Vec<usize> = (0..4).filter(|i| verified[*i] == 1).collect();
	let before = source.requests().len();
	source.set(|b| b.write_delay = None);

	let (fetcher, _) = new_fetcher(dir.path(), config);
	let path = fetcher.fetch_nomination(&n).await.unwrap();
	assert_eq!(sha256_file(&path).unwrap(), model);
	let piece = 4 * MIB;
	for request in &source.requests()[before..] {
		let range = request.range.clone().unwrap_or_default();
		for i in &done {
			assert!(
				!range.starts_with(&format!("bytes={}-", i * piece)),
				"verified piece {i} fetched again: {range}"
			);
		}
	}
	assert_eq!(source.requests().len() - before, 4 - done.len());
}

/// A nominee of `model`: a fetcher over its own store and a model server serving what it
/// verified; returns its directory, fetcher, metrics, base URL and server task.
async fn serving_nominee(
	model: [u8; 32],
) -> (tempfile::TempDir, Arc<Fetcher>, Metrics, String, tokio::task::JoinHandle<()>) {
	let dir = tempfile::tempdir().unwrap();
	// A stall timeout long enough that a nominee starved of CPU for a moment (tests run in
	// parallel on two cores) is not taken for a stuck one, which would send its share of the
	// pieces to the source.
	let config = FetchConfig { stall_timeout: Duration::from_secs(8), ..swarm_config() };
	let (fetcher, metrics) = new_fetcher(dir.path(), config);
	fetcher.availability().set_allowed([model]);
	let server = ModelServer::bind(
		serve_config(),
		Arc::clone(fetcher.store()),
		Arc::clone(fetcher.availability()),
		None,
	)
	.await
	.unwrap();
	let url = format!("http://{}", server.local_addr().unwrap());
	let task = tokio::spawn(server.run());
	(dir, Arc::new(fetcher), metrics, url, task)
}

/// `count` nominees download the model at once, each serving the others; returns the bytes
/// the source served and the bytes the nominees exchanged.
async fn nominees_at_once(data: &[u8], count: usize) -> (u64, u64) {
	let model = sha256(data);
	let source = source(data).await;
	// Each nominee has a model server over its own store.
	let mut nodes = Vec::new();
	for _ in 0..count {
		nodes.push(serving_nominee(model).await);
	}
	let mut downloads = Vec::new();
	for (i, (_, fetcher, ..)) in nodes.iter().enumerate() {
		let peers = (0..count)
			.filter(|j| *j != i)
			.map(|j| Peer { url: nodes[j].3.clone(), kind: PeerKind::Nominee })
			.collect();
		let mut n = piece_nomination(data, vec![source.url("/model.bin")], peers);
		n.source_share = (i as u32, count as u32);
		let fetcher = Arc::clone(fetcher);
		downloads.push(tokio::spawn(async move { fetcher.fetch_nomination(&n).await }));
	}
	for download in downloads {
		let path = download.await.unwrap().unwrap();
		assert_eq!(sha256_file(&path).unwrap(), model);
	}
	let exchanged = nodes.iter().map(|n| received(&n.2, &model, "nominee")).sum();
	for node in &nodes {
		node.4.abort();
	}
	(source.bytes_served(), exchanged)
}

#[tokio::test]
async fn nominees_share_the_source() {
	let data = test_data(17 * MIB, 45);
	let total = data.len() as u64;
	for count in [2, 4] {
		let (from_source, exchanged) = nominees_at_once(&data, count).await;
		eprintln!("{count} nominees: source {from_source}, exchanged {exchanged}, size {total}");
		assert!(
			from_source <= total * 3 / 2,
			"{count} nominees: the source served {from_source} bytes for a {total}-byte model",
		);
		assert!(exchanged >= total * (count as u64 - 2), "{count} nominees: {exchanged}");
	}
}

#[tokio::test]
async fn corrupted_verified_piece_is_fetched_again_once() {
	let data = test_data(9 * MIB, 46);
	let model = sha256(&data);
	let source = source(&data).await;
	let dir = tempfile::tempdir().unwrap();
	let (fetcher, _) = new_fetcher(dir.path(), swarm_config());
	// A resumable download whose bitmap says "all verified" but piece 1 rotted on disk.
	let mut rotten = data.clone();
	rotten[5 * MIB] ^= 1;
	std::fs::write(fetcher.store().partial_path_of(&model), &rotten).unwrap();
	std::fs::write(fetcher.store().pieces_path_of(&model), [1u8, 1, 1]).unwrap();
	let n = piece_nomination(&data, vec![source.url("/model.bin")], Vec::new());

	let path = fetcher.fetch_nomination(&n).await.unwrap();

	assert_eq!(sha256_file(&path).unwrap(), model);
	let ranges: Vec<_> = source.requests().into_iter().map(|r| r.range).collect();
	assert_eq!(ranges, vec![Some(format!("bytes={}-{}", 4 * MIB, 8 * MIB - 1))]);
}

#[tokio::test]
async fn earlier_whole_file_prefix_is_reused() {
	let data = test_data(9 * MIB, 47);
	let model = sha256(&data);
	let source = source(&data).await;
	let dir = tempfile::tempdir().unwrap();
	let (fetcher, _) = new_fetcher(dir.path(), swarm_config());
	// A whole-file download stopped after 5 MiB: piece 0 is complete and reused.
	std::fs::write(fetcher.store().partial_path_of(&model), &data[..5 * MIB]).unwrap();
	let n = piece_nomination(&data, vec![source.url("/model.bin")], Vec::new());

	let path = fetcher.fetch_nomination(&n).await.unwrap();

	assert_eq!(sha256_file(&path).unwrap(), model);
	let mut ranges: Vec<_> = source.requests().into_iter().filter_map(|r| r.range).collect();
	ranges.sort();
	let expected = [format!("bytes={}-{}", 4 * MIB, 8 * MIB - 1), format!("bytes={}-", 8 * MIB)];
	assert_eq!(ranges.len(), 2, "{ranges:?}");
	assert_eq!(ranges[0], expected[0]);
	assert!(ranges[1].starts_with(&expected[1]), "{ranges:?}");
}

#[tokio::test]
async fn source_ignoring_range_is_read_once_whole() {
	let data = test_data(9 * MIB, 48);
	let model = sha256(&data);
	let source = source(&data).await;
	source.set(|b| b.ignore_range = true);
	let dir = tempfile::tempdir().unwrap();
	let (fetcher, metrics) = new_fetcher(dir.path(), swarm_config());
	let n = piece_nomination(&data, vec![source.url("/model.bin")], Vec::new());

	let path = fetcher.fetch_nomination(&n).await.unwrap();

	assert_eq!(sha256_file(&path).unwrap(), model);
	assert_eq!(metrics.bad_pieces.with_label_values(&["source"]).get(), 0);
	// The first ranged requests reveal it; then one request for the whole file.
	let whole = source.requests().iter().filter(|r| r.range.is_none()).count();
	assert_eq!(whole, 1, "{:?}", source.requests());
}

/// Nominees whose only source serves a tampered file lose the source at its bad piece and
/// have nothing to give each other: they fail with the source's fault soon after, not when
/// their nominations' deadlines come (which would cost them QoS and never blame the source).
#[tokio::test]
async fn nominees_of_a_tampered_source_blame_it_before_their_deadline() {
	let data = test_data(9 * MIB, 46);
	let model = sha256(&data);
	let mut tampered = data.clone();
	tampered[5 * MIB] ^= 0xff;
	let source = source(&tampered).await;
	let mut nodes = Vec::new();
	for _ in 0..2 {
		nodes.push(serving_nominee(model).await);
	}
	let mut downloads = Vec::new();
	for i in 0..2 {
		let peer = Peer { url: nodes[1 - i].3.clone(), kind: PeerKind::Nominee };
		let mut n = piece_nomination(&data, vec![source.url("/model.bin")], vec![peer]);
		n.source_share = (i as u32, 2);
		n.deadline = Some(Instant::now() + Duration::from_secs(600));
		let fetcher = Arc::clone(&nodes[i].1);
		downloads.push(tokio::spawn(async move { fetcher.fetch_nomination(&n).await }));
	}
	for download in downloads {
		let result = tokio::time::timeout(Duration::from_secs(60), download)
			.await
			.expect("the download ends long before its deadline")
			.unwrap();
		match result {
			Err(FetchError::HashMismatch { .. }) => {}
			other => panic!("expected the source to be blamed, got {other:?}"),
		}
	}
	for node in &nodes {
		node.4.abort();
	}
}
