//! Fetcher against a real loopback HTTP server.

mod common;

use std::{
	sync::Arc,
	time::{Duration, Instant},
};

use common::{
	fast_fetch_config, files_under, open_store, server::Content, server::TestServer, sha256,
	test_data,
};
use modelnet_offchain_worker::{
	sha256_file, DeclineReason, FetchConfig, FetchError, Fetcher, Metrics,
};
use substrate_prometheus_endpoint::Registry;

const MIB: usize = 1 << 20;

async fn serve(data: &[u8]) -> TestServer {
	let server = TestServer::start().await.unwrap();
	server.add("/model.bin", Content::Memory(Arc::new(data.to_vec())));
	server
}

#[tokio::test]
async fn verified_download_lands_in_store() {
	let data = test_data(3 * MIB + 123, 1);
	let model = sha256(&data);
	let server = serve(&data).await;
	let dir = tempfile::tempdir().unwrap();
	let store = open_store(dir.path(), 1 << 30);
	let registry = Registry::new();
	let metrics = Metrics::register(&registry).unwrap();
	let fetcher = Fetcher::new(store.clone(), fast_fetch_config(), Some(metrics.clone())).unwrap();

	let path =
		fetcher.fetch(model, data.len() as u64, &[server.url("/model.bin")], None).await.unwrap();

	assert_eq!(path, store.path_of(&model));
	assert_eq!(path, dir.path().join("models").join(hex::encode(model)));
	assert_eq!(sha256_file(&path).unwrap(), model);
	assert!(store.is_stored(&model));
	assert_eq!(files_under(&dir.path().join("partial")), Vec::<std::path::PathBuf>::new());
	assert_eq!(metrics.verified.get(), 1);
	assert_eq!(metrics.bytes_fetched.get(), data.len() as u64);
	assert_eq!(metrics.active_downloads.get(), 0);
	assert_eq!(server.requests().len(), 1);
	assert_eq!(server.requests()[0].range, None);

	// Already stored: no second request.
	fetcher.fetch(model, data.len() as u64, &[server.url("/model.bin")], None).await.unwrap();
	assert_eq!(server.requests().len(), 1);
}

#[tokio::test]
async fn tampered_file_is_rejected_and_partial_deleted() {
	let data = test_data(2 * MIB, 2);
	let model = sha256(&data);
	let server = serve(&data).await;
	server.set(|b| b.tamper = true);
	let dir = tempfile::tempdir().unwrap();
	let store = open_store(dir.path(), 1 << 30);
	let registry = Registry::new();
	let metrics = Metrics::register(&registry).unwrap();
	let fetcher = Fetcher::new(store.clone(), fast_fetch_config(), Some(metrics.clone())).unwrap();

	let err = fetcher
		.fetch(model, data.len() as u64, &[server.url("/model.bin")], None)
		.await
		.unwrap_err();

	assert!(matches!(err, FetchError::HashMismatch { .. }), "{err}");
	assert_eq!(err.reason(), DeclineReason::HashMismatch);
	assert!(files_under(dir.path()).is_empty(), "left behind: {:?}", files_under(dir.path()));
	assert!(!store.is_stored(&model));
	assert_eq!(store.used_bytes(), 0);
	assert_eq!(metrics.failed.with_label_values(&["hash_mismatch"]).get(), 1);
	assert_eq!(metrics.verified.get(), 0);
}

#[tokio::test]
async fn resumes_when_server_dies_mid_download_and_returns() {
	let data = test_data(8 * MIB, 3);
	let model = sha256(&data);
	let server = serve(&data).await;
	server.set(|b| b.die_after = Some((3 * MIB as u64, Duration::from_millis(400))));
	let dir = tempfile::tempdir().unwrap();
	let store = open_store(dir.path(), 1 << 30);
	let fetcher = Fetcher::new(store.clone(), fast_fetch_config(), None).unwrap();
	// Retried until the server is back, however long the (randomised) pauses add up to.
	let deadline = Instant::now() + Duration::from_secs(60);

	let path = fetcher
		.fetch(model, data.len() as u64, &[server.url("/model.bin")], Some(deadline))
		.await
		.unwrap();

	assert_eq!(sha256_file(&path).unwrap(), model);
	let requests = server.requests();
	assert!(requests.len() >= 2, "{requests:?}");
	assert_eq!(requests[0].range, None);
	let last = requests.last().unwrap().range.clone().expect("the retry asked for a range");
	let offset: u64 = last.trim_start_matches("bytes=").trim_end_matches('-').parse().unwrap();
	assert_eq!(offset, 3 * MIB as u64, "every byte received before the drop is kept");
	let served = server.bytes_served();
	assert!(served < data.len() as u64 * 11 / 10, "served {served} for {}", data.len());
}

#[tokio::test]
async fn resumes_a_partial_file_left_by_a_previous_run() {
	let data = test_data(6 * MIB, 4);
	let model = sha256(&data);
	let server = serve(&data).await;
	server.set(|b| b.die_after = Some((2 * MIB as u64, Duration::from_secs(1))));
	let dir = tempfile::tempdir().unwrap();
	let config = fast_fetch_config();
	{
		let store = open_store(dir.path(), 1 << 30);
		let no_retry = FetchConfig { retries: 0, ..config.clone() };
		let fetcher = Fetcher::new(store, no_retry, None).unwrap();
		let err = fetcher.fetch(model, data.len() as u64, &[server.url("/model.bin")], None).await;
		// The connection dropped, then was refused: not blamed on the source.
		assert_eq!(err.unwrap_err().reason(), DeclineReason::NetworkUnreachable);
	}
	let partial = dir.path().join("partial").join(format!("{}.part", hex::encode(model)));
	let kept = std::fs::metadata(&partial).unwrap().len();
	assert_eq!(kept, 2 * MIB as u64);
	tokio::time::sleep(Duration::from_millis(1200)).await;

	// "Restart": a new store and fetcher over the same directory.
	let store = open_store(dir.path(), 1 << 30);
	let fetcher = Fetcher::new(store, config, None).unwrap();
	let path =
		fetcher.fetch(model, data.len() as u64, &[server.url("/model.bin")], None).await.unwrap();

	assert_eq!(sha256_file(&path).unwrap(), model);
	assert!(!partial.exists());
	let requests = server.requests();
	assert_eq!(requests.last().unwrap().range.as_deref(), Some(&*format!("bytes={kept}-")));
	assert!(server.bytes_served() < data.len() as u64 * 11 / 10);
}

#[tokio::test]
async fn corrupt_partial_file_from_an_earlier_run_is_not_blamed_on_the_source() {
	let data = test_data(3 * MIB, 10);
	let model = sha256(&data);
	let server = serve(&data).await;
	let dir = tempfile::tempdir().unwrap();
	let store = open_store(dir.path(), 1 << 30);
	std::fs::write(store.partial_path_of(&model), vec![0u8; MIB]).unwrap();
	let fetcher = Fetcher::new(store, fast_fetch_config(), None).unwrap();

	let path =
		fetcher.fetch(model, data.len() as u64, &[server.url("/model.bin")], None).await.unwrap();

	assert_eq!(std::fs::read(path).unwrap(), data);
	let ranges: Vec<_> = server.requests().into_iter().map(|r| r.range).collect();
	assert_eq!(ranges, vec![Some(format!("bytes={MIB}-")), None]);
}

#[tokio::test]
async fn server_ignoring_range_restarts_from_zero() {
	let data = test_data(3 * MIB, 5);
	let model = sha256(&data);
	let server = serve(&data).await;
	server.set(|b| b.ignore_range = true);
	let dir = tempfile::tempdir().unwrap();
	let store = open_store(dir.path(), 1 << 30);
	// A previous run left the first MiB.
	std::fs::write(store.partial_path_of(&model), &data[..MIB]).unwrap();
	let fetcher = Fetcher::new(store, fast_fetch_config(), None).unwrap();

	let path =
		fetcher.fetch(model, data.len() as u64, &[server.url("/model.bin")], None).await.unwrap();

	assert_eq!(std::fs::read(path).unwrap(), data);
	assert_eq!(server.requests()[0].range.as_deref(), Some(&*format!("bytes={MIB}-")));
	assert_eq!(server.bytes_served(), data.len() as u64);
}

#[tokio::test]
async fn server_ignoring_range_and_always_dropping_is_given_up() {
	let data = test_data(3 * MIB, 9);
	let model = sha256(&data);
	let server = serve(&data).await;
	server.set(|b| {
		b.ignore_range = true;
		b.cut_after = Some(2 * MIB as u64);
	});
	let dir = tempfile::tempdir().unwrap();
	let store = open_store(dir.path(), 1 << 30);
	let fetcher = Fetcher::new(store, fast_fetch_config(), None).unwrap();

	let err = fetcher.fetch(model, data.len() as u64, &[server.url("/model.bin")], None).await;

	assert_eq!(err.unwrap_err().reason(), DeclineReason::SourceUnavailable);
	// One attempt that got 2 MiB, then 1 + `retries` (3) rounds that only got the same
	// 2 MiB again (no progress beyond it).
	assert_eq!(server.requests().len(), 5, "{:?}", server.requests());
}

#[tokio::test]
async fn more_bytes_than_declared_is_a_size_mismatch() {
	let data = test_data(2 * MIB, 6);
	let server = serve(&data).await;
	let dir = tempfile::tempdir().unwrap();
	let store = open_store(dir.path(), 1 << 30);
	let fetcher = Fetcher::new(store, fast_fetch_config(), None).unwrap();
	let declared = MIB as u64;
	let model = sha256(&data[..MIB]);

	// Content-Length reveals the size up front.
	let err = fetcher.fetch(model, declared, &[server.url("/model.bin")], None).await.unwrap_err();
	assert_eq!(err.reason(), DeclineReason::SizeMismatch, "{err}");

	// Without Content-Length the body is cut at the declared size.
	server.set(|b| b.no_content_length = true);
	let err = fetcher.fetch(model, declared, &[server.url("/model.bin")], None).await.unwrap_err();
	assert_eq!(err.reason(), DeclineReason::SizeMismatch, "{err}");
	assert!(files_under(dir.path()).is_empty(), "left behind: {:?}", files_under(dir.path()));
}

#[tokio::test]
async fn disk_budget_too_small_is_refused_leaving_nothing() {
	let data = test_data(2 * MIB, 7);
	let model = sha256(&data);
	let server = serve(&data).await;
	let dir = tempfile::tempdir().unwrap();
	let store = open_store(dir.path(), MIB as u64);
	// Even an older partial file is removed.
	std::fs::write(store.partial_path_of(&model), &data[..1000]).unwrap();
	let fetcher = Fetcher::new(store.clone(), fast_fetch_config(), None).unwrap();

	let err = fetcher
		.fetch(model, data.len() as u64, &[server.url("/model.bin")], None)
		.await
		.unwrap_err();

	assert!(matches!(err, FetchError::DiskBudgetExceeded(_)), "{err}");
	assert_eq!(err.reason(), DeclineReason::DiskBudgetExceeded);
	assert!(err.to_string().contains("disk budget exceeded"), "{err}");
	assert!(files_under(dir.path()).is_empty(), "left behind: {:?}", files_under(dir.path()));
	assert!(server.requests().is_empty());
	assert_eq!(store.used_bytes(), 0);
}

#[tokio::test]
async fn falls_back_across_sources_and_follows_redirects() {
	let data = test_data(MIB, 8);
	let model = sha256(&data);
	let server = serve(&data).await;
	server.add("/moved", Content::Redirect("/model.bin".into()));
	let dir = tempfile::tempdir().unwrap();
	let store = open_store(dir.path(), 1 << 30);
	let fetcher = Fetcher::new(store, fast_fetch_config(), None).unwrap();
	let sources = vec![
		"ftp://example.invalid/model.bin".to_string(),
		// TLS handshake against a plain-HTTP port fails: the rustls client is wired in.
		server.url("/model.bin").replace("http://", "https://"),
		server.url("/missing.bin"),
		server.url("/moved"),
	];

	let path = fetcher.fetch(model, data.len() as u64, &sources, None).await.unwrap();

	assert_eq!(std::fs::read(path).unwrap(), data);
	let paths: Vec<_> = server.requests().into_iter().map(|r| r.path).collect();
	assert_eq!(paths, vec!["/missing.bin", "/moved", "/model.bin"]);
}

#[tokio::test]
async fn unreachable_sources_are_network_unreachable_not_source_unavailable() {
	let server = TestServer::start().await.unwrap();
	let url = server.url("/model.bin");
	server.stop();
	drop(server);
	let dir = tempfile::tempdir().unwrap();
	let store = open_store(dir.path(), 1 << 30);
	let fetcher = Fetcher::new(store, fast_fetch_config(), None).unwrap();

	let err = fetcher.fetch([1u8; 32], 10, &[url.clone(), url.clone()], None).await.unwrap_err();
	assert!(matches!(err, FetchError::NetworkUnreachable(_)), "{err}");
	assert_eq!(err.reason(), DeclineReason::NetworkUnreachable);

	// One source answered (404): the node's network works, the sources are to blame.
	let live = TestServer::start().await.unwrap();
	let err = fetcher.fetch([1u8; 32], 10, &[url, live.url("/gone")], None).await.unwrap_err();
	assert_eq!(err.reason(), DeclineReason::SourceUnavailable, "{err}");
	assert_eq!(live.requests().len(), 1, "a 404 source is dropped, not retried");

	let err = fetcher.fetch([1u8; 32], 10, &[], None).await.unwrap_err();
	assert_eq!(err.reason(), DeclineReason::SourceUnavailable);
}
