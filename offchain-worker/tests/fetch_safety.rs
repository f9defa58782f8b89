//! Fetcher safety: address checks, URL schemes, deadlines, `Retry-After` and blame.

mod common;

use std::{
	sync::Arc,
	time::{Duration, Instant},
};

use common::{
	fast_fetch_config, files_under, open_store, server::Content, server::TestServer, sha256,
	test_data,
};
use modelnet_offchain_worker::{DeclineReason, FetchConfig, FetchError, Fetcher};

async fn serve(data: &[u8]) -> TestServer {
	let server = TestServer::start().await.unwrap();
	server.add("/model.bin", Content::Memory(Arc::new(data.to_vec())));
	server
}

/// Test settings with the default address policy (non-public addresses refused).
fn strict_config() -> FetchConfig {
	FetchConfig { allow_private_addresses: false, ..fast_fetch_config() }
}

#[tokio::test]
async fn direct_loopback_url_is_refused_by_default() {
	let data = test_data(1000, 20);
	let model = sha256(&data);
	let server = serve(&data).await;
	let dir = tempfile::tempdir().unwrap();
	let store = open_store(dir.path(), 1 << 30);
	assert!(!FetchConfig::default().allow_private_addresses);
	let fetcher = Fetcher::new(store.clone(), strict_config(), None).unwrap();

	let err = fetcher.fetch(model, 1000, &[server.url("/model.bin")], None).await.unwrap_err();

	match &err {
		FetchError::ForbiddenAddress { addr, .. } => assert!(addr.is_loopback(), "{err}"),
		other => panic!("unexpected {other}"),
	}
	assert!(err.to_string().contains("127.0.0.1"), "{err}");
	assert_eq!(err.reason(), DeclineReason::SourceUnavailable);
	assert!(server.requests().is_empty(), "{:?}", server.requests());
	assert!(!store.is_stored(&model));
	assert!(files_under(&dir.path().join("models")).is_empty());
}

#[tokio::test]
async fn redirect_to_loopback_is_refused_unless_allowed() {
	let data = test_data(50_000, 21);
	let model = sha256(&data);
	// The "RPC port": a second service on loopback that the redirect points at.
	let internal = serve(&data).await;
	// A mirror the operator trusts explicitly, which redirects to the internal service.
	let mirror = TestServer::start().await.unwrap();
	mirror.add("/moved", Content::Redirect(internal.url("/model.bin")));
	let dir = tempfile::tempdir().unwrap();
	let store = open_store(dir.path(), 1 << 30);
	let config = FetchConfig { trusted_addresses: vec![mirror.addr()], ..strict_config() };
	let fetcher = Fetcher::new(store.clone(), config.clone(), None).unwrap();

	let err = fetcher.fetch(model, 50_000, &[mirror.url("/moved")], None).await.unwrap_err();

	match &err {
		FetchError::ForbiddenAddress { url, addr, .. } => {
			assert!(addr.is_loopback(), "{err}");
			assert_eq!(url, &internal.url("/model.bin"));
		}
		other => panic!("unexpected {other}"),
	}
	assert_eq!(err.reason(), DeclineReason::SourceUnavailable);
	assert_eq!(mirror.requests().len(), 1, "the refused source is not retried");
	assert!(internal.requests().is_empty(), "{:?}", internal.requests());
	assert!(!store.is_stored(&model));

	// Allowed: the same redirect is followed.
	let open = FetchConfig { allow_private_addresses: true, ..config };
	let fetcher = Fetcher::new(store.clone(), open, None).unwrap();
	let path = fetcher.fetch(model, 50_000, &[mirror.url("/moved")], None).await.unwrap();
	assert_eq!(std::fs::read(path).unwrap(), data);
	let paths: Vec<_> = internal.requests().into_iter().map(|r| r.path).collect();
	assert_eq!(paths, vec!["/model.bin"]);
}

#[tokio::test]
async fn redirect_to_a_non_http_scheme_is_refused() {
	let server = TestServer::start().await.unwrap();
	server.add("/moved", Content::Redirect("file:///etc/passwd".into()));
	let dir = tempfile::tempdir().unwrap();
	let store = open_store(dir.path(), 1 << 30);
	let fetcher = Fetcher::new(store, fast_fetch_config(), None).unwrap();

	let err = fetcher.fetch([3u8; 32], 10, &[server.url("/moved")], None).await.unwrap_err();
	assert!(matches!(&err, FetchError::UnsupportedUrl(u) if u.starts_with("file:")), "{err}");
	assert_eq!(err.reason(), DeclineReason::SourceUnavailable);

	let err = fetcher.fetch([3u8; 32], 10, &["file:///etc/passwd".into()], None).await;
	assert!(matches!(err, Err(FetchError::UnsupportedUrl(_))), "{err:?}");
	assert_eq!(server.requests().len(), 1);
}

#[tokio::test]
async fn http_errors_from_a_source_blame_it_without_retrying() {
	let server = TestServer::start().await.unwrap();
	for code in [403u16, 404, 410] {
		server.add(&format!("/{code}"), Content::Status(code));
	}
	let dir = tempfile::tempdir().unwrap();
	let store = open_store(dir.path(), 1 << 30);
	let fetcher = Fetcher::new(store, fast_fetch_config(), None).unwrap();
	let sources: Vec<String> = ["/403", "/404", "/410"].iter().map(|p| server.url(p)).collect();

	let err = fetcher.fetch([4u8; 32], 10, &sources, None).await.unwrap_err();

	assert!(matches!(err, FetchError::SourceUnavailable(_)), "{err}");
	let paths: Vec<_> = server.requests().into_iter().map(|r| r.path).collect();
	assert_eq!(paths, vec!["/403", "/404", "/410"]);
}

#[tokio::test]
async fn a_deadline_keeps_retrying_beyond_the_round_limit() {
	let data = test_data(10_000, 22);
	let model = sha256(&data);
	let server = serve(&data).await;
	let dir = tempfile::tempdir().unwrap();
	let store = open_store(dir.path(), 1 << 30);
	let config = FetchConfig {
		retries: 1,
		initial_backoff: Duration::from_millis(10),
		max_backoff: Duration::from_millis(40),
		..fast_fetch_config()
	};
	let fetcher = Fetcher::new(store.clone(), config, None).unwrap();
	let source = [server.url("/model.bin")];

	// Without a deadline: 1 + `retries` rounds, then the 503s are blamed on the source.
	server.set(|b| b.fail_next = Some((5, 503, None)));
	let err = fetcher.fetch(model, 10_000, &source, None).await.unwrap_err();
	assert_eq!(err.reason(), DeclineReason::SourceUnavailable, "{err}");
	assert_eq!(server.requests().len(), 2);

	// With a deadline far enough away: retried until the server recovers.
	server.set(|b| b.fail_next = Some((5, 503, None)));
	let deadline = Instant::now() + Duration::from_secs(60);
	let path = fetcher.fetch(model, 10_000, &source, Some(deadline)).await.unwrap();
	assert_eq!(std::fs::read(path).unwrap(), data);
	assert_eq!(server.requests().len(), 2 + 6);
}

#[tokio::test]
async fn retry_after_beyond_the_deadline_gives_up_instead_of_hammering() {
	let server = TestServer::start().await.unwrap();
	server.set(|b| b.fail_next = Some((1000, 503, Some("3600".into()))));
	let dir = tempfile::tempdir().unwrap();
	let store = open_store(dir.path(), 1 << 30);
	let config = FetchConfig {
		initial_backoff: Duration::from_millis(10),
		max_backoff: Duration::from_millis(20),
		..fast_fetch_config()
	};
	let fetcher = Fetcher::new(store, config, None).unwrap();
	let deadline = Instant::now() + Duration::from_secs(5);

	let err = fetcher.fetch([5u8; 32], 10, &[server.url("/x")], Some(deadline)).await.unwrap_err();

	assert_eq!(err.reason(), DeclineReason::SourceUnavailable, "{err}");
	assert_eq!(server.requests().len(), 1, "{:?}", server.requests());
}

#[tokio::test]
async fn retry_after_within_the_deadline_is_waited_for() {
	let data = test_data(2000, 23);
	let model = sha256(&data);
	let server = serve(&data).await;
	server.set(|b| b.fail_next = Some((1, 429, Some("1".into()))));
	let dir = tempfile::tempdir().unwrap();
	let store = open_store(dir.path(), 1 << 30);
	let fetcher =
		Fetcher::new(store, FetchConfig { retries: 0, ..fast_fetch_config() }, None).unwrap();
	let deadline = Instant::now() + Duration::from_secs(60);

	let path =
		fetcher.fetch(model, 2000, &[server.url("/model.bin")], Some(deadline)).await.unwrap();

	assert_eq!(std::fs::read(path).unwrap(), data);
	assert_eq!(server.requests().len(), 2);
}

#[tokio::test]
async fn unreachable_sources_with_a_past_deadline_are_network_unreachable() {
	let server = TestServer::start().await.unwrap();
	let url = server.url("/model.bin");
	server.stop();
	drop(server);
	let dir = tempfile::tempdir().unwrap();
	let store = open_store(dir.path(), 1 << 30);
	let fetcher = Fetcher::new(store.clone(), fast_fetch_config(), None).unwrap();

	let err = fetcher.fetch([6u8; 32], 10, &[url], Some(Instant::now())).await.unwrap_err();

	assert_eq!(err.reason(), DeclineReason::NetworkUnreachable, "{err}");
	assert_eq!(store.used_bytes(), 0);
}
