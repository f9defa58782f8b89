//! Peers (other nodes at the endpoints the chain lists) have an address policy of their own:
//! allowing sources on private addresses does not let a declared endpoint point the node at
//! its own machine or LAN, and allowing peers there does not open it to such sources.

mod common;

use common::{
	fast_fetch_config, model_path, open_store, piece_nomination, serve_at, server::TestServer,
	sha256, test_data,
};
use modelnet_offchain_worker::{FetchConfig, FetchError, Fetcher, Nomination, Peer, PeerKind};

const MIB: usize = 1 << 20;

/// A "holder" on loopback (as a hostile node could declare, e.g. `http://127.0.0.1:PORT`) that
/// serves the model's bytes where nodes ask peers for them, and a source on loopback.
async fn loopback_holder_and_source(data: &[u8]) -> (TestServer, TestServer) {
	let peer_path = model_path(data);
	(serve_at(&peer_path, data).await, serve_at("/model.bin", data).await)
}

fn nomination(data: &[u8], sources: Vec<String>, peer: &TestServer) -> Nomination {
	piece_nomination(data, sources, vec![Peer { url: peer.url(""), kind: PeerKind::Holder }])
}

fn new_fetcher(dir: &std::path::Path, config: FetchConfig) -> Fetcher {
	Fetcher::new(open_store(dir, 1 << 32), config, None).unwrap()
}

#[tokio::test]
async fn private_sources_do_not_allow_private_peers() {
	let data = test_data(5 * MIB, 61);
	let (peer, source) = loopback_holder_and_source(&data).await;
	let config = FetchConfig { allow_private_peers: false, ..fast_fetch_config() };
	assert!(config.allow_private_addresses);
	let dir = tempfile::tempdir().unwrap();
	let fetcher = new_fetcher(dir.path(), config);

	let n = nomination(&data, vec![source.url("/model.bin")], &peer);
	let path = fetcher.fetch_nomination(&n).await.unwrap();

	assert_eq!(std::fs::read(path).unwrap(), data);
	assert!(peer.requests().is_empty(), "the loopback peer was asked: {:?}", peer.requests());
	assert_eq!(source.bytes_served(), data.len() as u64, "the source delivered it all");
}

#[tokio::test]
async fn private_peers_are_allowed_by_their_own_setting_only() {
	let data = test_data(5 * MIB, 62);
	let (peer, source) = loopback_holder_and_source(&data).await;
	let config = FetchConfig {
		allow_private_addresses: false,
		allow_private_peers: true,
		..fast_fetch_config()
	};
	let dir = tempfile::tempdir().unwrap();
	let fetcher = new_fetcher(dir.path(), config.clone());

	let n = nomination(&data, vec![source.url("/model.bin")], &peer);
	let path = fetcher.fetch_nomination(&n).await.unwrap();

	assert_eq!(std::fs::read(path).unwrap(), data);
	assert_eq!(peer.bytes_served(), data.len() as u64, "the loopback peer delivered it all");
	assert!(source.requests().is_empty(), "{:?}", source.requests());

	// The same loopback source alone is still refused.
	let dir = tempfile::tempdir().unwrap();
	let err = new_fetcher(dir.path(), config)
		.fetch(sha256(&data), data.len() as u64, &[source.url("/model.bin")], None)
		.await
		.unwrap_err();
	assert!(
		matches!(&err, FetchError::ForbiddenAddress { addr, .. } if addr.is_loopback()),
		"{err}"
	);
	assert!(source.requests().is_empty(), "{:?}", source.requests());
}
