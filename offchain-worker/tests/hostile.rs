//! Downloads against hostile senders over real loopback HTTP: absurd `Retry-After` headers,
//! peers that claim every piece and refuse them, senders that drip a byte now and then. The
//! node must not panic, must not stall while another sender can deliver, and must not blame a
//! source for what a peer did.

mod common;

use std::{
	future::Future,
	sync::Arc,
	time::{Duration, Instant},
};

use common::{
	fast_fetch_config, model_path,
	node::manifest_of,
	open_store, piece_nomination, serve_at,
	server::{Content, TestServer},
	sha256, test_data,
};
use modelnet_offchain_worker::{FetchConfig, FetchError, Fetcher, Nomination, Peer, PeerKind};

const MIB: usize = 1 << 20;
/// `Retry-After` of `u64::MAX` seconds: `Instant::now()` plus it overflows.
const FOREVER: &str = "18446744073709551615";
/// Longest any of these downloads may take before the test calls it a hang.
const HANG: Duration = Duration::from_secs(60);

fn config() -> FetchConfig {
	FetchConfig {
		stall_timeout: Duration::from_secs(2),
		peer_poll_interval: Duration::from_millis(100),
		min_transfer_rate: 64 * 1024,
		rate_window: Duration::from_secs(1),
		..fast_fetch_config()
	}
}

fn fetcher(dir: &std::path::Path) -> Fetcher {
	Fetcher::new(open_store(dir, 1 << 32), config(), None).unwrap()
}

/// A server with `data` at `/model.bin`, and the URL of it.
async fn source(data: &[u8]) -> (TestServer, String) {
	let server = serve_at("/model.bin", data).await;
	let url = server.url("/model.bin");
	(server, url)
}

/// A server that refuses every request for `/model.bin` with `503` and `Retry-After`.
async fn refusing_source(after: &str) -> (TestServer, String) {
	let server = TestServer::start().await.unwrap();
	server.add("/model.bin", Content::Refuse(503, after.to_string()));
	let url = server.url("/model.bin");
	(server, url)
}

/// A piece-wise nomination with a deadline.
fn nomination(data: &[u8], sources: Vec<String>, peers: Vec<Peer>) -> Nomination {
	Nomination {
		deadline: Some(Instant::now() + Duration::from_secs(20)),
		..piece_nomination(data, sources, peers)
	}
}

/// A holder that sends `data`'s model one byte every 200 ms.
async fn dripping_holder(data: &[u8]) -> (TestServer, Peer) {
	let drip = serve_at(&model_path(data), data).await;
	drip.set(|b| b.drip = Some(Duration::from_millis(200)));
	let holder = Peer { url: drip.url(""), kind: PeerKind::Holder };
	(drip, holder)
}

async fn no_hang<T>(what: &str, future: impl Future<Output = T>) -> T {
	tokio::time::timeout(HANG, future)
		.await
		.unwrap_or_else(|_| panic!("{what}: no result within {HANG:?}"))
}

#[tokio::test]
async fn retry_after_of_u64_max_on_the_whole_file_path_is_no_panic() {
	let data = test_data(MIB, 1);
	let (_server, url) = refusing_source(FOREVER).await;
	let dir = tempfile::tempdir().unwrap();
	let deadline = Instant::now() + Duration::from_secs(5);
	let result = no_hang(
		"whole file",
		fetcher(dir.path()).fetch(sha256(&data), data.len() as u64, &[url], Some(deadline)),
	)
	.await;
	// The source refuses to serve: it is the one to blame, and nobody panics.
	assert!(matches!(result, Err(FetchError::SourceUnavailable(_))), "{result:?}");
}

#[tokio::test]
async fn retry_after_of_u64_max_on_the_piece_path_is_no_panic() {
	let data = test_data(3 * 4 * MIB + 1000, 2);
	let (_refusing, refusing) = refusing_source(FOREVER).await;
	let (_honest, honest) = source(&data).await;
	let dir = tempfile::tempdir().unwrap();
	let fetcher = fetcher(dir.path());
	let nomination = nomination(&data, vec![refusing, honest], vec![]);
	let path = no_hang("pieces", fetcher.fetch_nomination(&nomination)).await.unwrap();
	assert_eq!(std::fs::read(path).unwrap(), data);
}

#[tokio::test]
async fn a_nominee_that_claims_every_piece_and_refuses_them_does_not_block_the_sources() {
	let data = test_data(4 * 4 * MIB, 3);
	let pieces = manifest_of(&data).pieces.len();
	let liar = TestServer::start().await.unwrap();
	liar.add(&format!("{}/pieces", model_path(&data)), Content::Memory(Arc::new(vec![1; pieces])));
	liar.add(&model_path(&data), Content::Refuse(503, "1".into()));
	let (honest, url) = source(&data).await;
	let dir = tempfile::tempdir().unwrap();
	let fetcher = fetcher(dir.path());
	let mut nomination =
		nomination(&data, vec![url], vec![Peer { url: liar.url(""), kind: PeerKind::Nominee }]);
	// This node's share of the source is half the pieces: the other half would come from the
	// other nominee, the liar, which claims to have them all.
	nomination.source_share = (0, 2);
	let path = no_hang("pieces", fetcher.fetch_nomination(&nomination)).await.unwrap();
	assert_eq!(std::fs::read(path).unwrap(), data);
	let from_source = honest.requests().len();
	assert!(from_source >= pieces, "every piece came from the source: {from_source} requests");
}

#[tokio::test]
async fn a_dripping_source_loses_the_whole_file_to_the_next_source() {
	let data = test_data(MIB, 4);
	let (drip, dripping) = source(&data).await;
	drip.set(|b| b.drip = Some(Duration::from_millis(200)));
	let (_honest, honest) = source(&data).await;
	let dir = tempfile::tempdir().unwrap();
	let deadline = Instant::now() + Duration::from_secs(30);
	let path = no_hang(
		"whole file",
		fetcher(dir.path()).fetch(
			sha256(&data),
			data.len() as u64,
			&[dripping, honest],
			Some(deadline),
		),
	)
	.await
	.unwrap();
	assert_eq!(std::fs::read(path).unwrap(), data);
}

#[tokio::test]
async fn a_dripping_holder_loses_its_pieces_to_the_source() {
	let data = test_data(2 * 4 * MIB, 5);
	let (_drip, holder) = dripping_holder(&data).await;
	let (_honest, url) = source(&data).await;
	let dir = tempfile::tempdir().unwrap();
	let fetcher = fetcher(dir.path());
	let nomination = nomination(&data, vec![url], vec![holder]);
	let path = no_hang("pieces", fetcher.fetch_nomination(&nomination)).await.unwrap();
	assert_eq!(std::fs::read(path).unwrap(), data);
}

#[tokio::test]
async fn the_deadline_cancels_requests_in_flight() {
	let data = test_data(2 * 4 * MIB, 6);
	let (_drip, holder) = dripping_holder(&data).await;
	let dir = tempfile::tempdir().unwrap();
	// No floor: only the deadline can end the dripping requests.
	let config = FetchConfig { min_transfer_rate: 0, ..config() };
	let fetcher = Fetcher::new(open_store(dir.path(), 1 << 32), config, None).unwrap();
	let mut nomination = nomination(&data, vec![], vec![holder]);
	nomination.deadline = Some(Instant::now() + Duration::from_secs(3));
	let result = no_hang("pieces", fetcher.fetch_nomination(&nomination)).await;
	assert!(result.is_err(), "{result:?}");
}
