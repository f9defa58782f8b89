//! Helpers shared by the integration tests.
#![allow(dead_code)]

pub mod node;
pub mod server;

use std::{
	path::Path,
	sync::Arc,
	time::{Duration, Instant},
};

use modelnet_offchain_worker::{FetchConfig, ModelId, ModelStore, Nomination, Peer, StoreConfig};
use sha2::{Digest, Sha256};

/// Deterministic pseudo-random bytes (xorshift), different per `seed`.
pub fn test_data(len: usize, seed: u64) -> Vec<u8> {
	let mut x = seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
	let mut out = Vec::with_capacity(len + 8);
	while out.len() < len {
		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
		out.extend_from_slice(&x.to_le_bytes());
	}
	out.truncate(len);
	out
}

/// SHA-256 of `data`.
pub fn sha256(data: &[u8]) -> ModelId {
	Sha256::digest(data).into()
}

/// Fetch settings with short timeouts and back-off for tests.
pub fn fast_fetch_config() -> FetchConfig {
	FetchConfig {
		connect_timeout: Duration::from_secs(2),
		read_timeout: Duration::from_secs(2),
		retries: 3,
		initial_backoff: Duration::from_millis(50),
		max_backoff: Duration::from_millis(400),
		progress_interval: Duration::from_millis(100),
		sync_on_complete: false,
		// The test servers (sources and peers) listen on 127.0.0.1.
		allow_private_addresses: true,
		allow_private_peers: true,
		..FetchConfig::default()
	}
}

/// A nomination of `data`'s model with its piece manifest, these sources and peers.
pub fn piece_nomination(data: &[u8], sources: Vec<String>, peers: Vec<Peer>) -> Nomination {
	Nomination {
		model: sha256(data),
		size: data.len() as u64,
		sources,
		manifest: Some(node::manifest_of(data)),
		peers,
		..Default::default()
	}
}

/// A test server on 127.0.0.1 holding `data` at `path`.
pub async fn serve_at(path: &str, data: &[u8]) -> server::TestServer {
	let server = server::TestServer::start().await.unwrap();
	server.add(path, server::Content::Memory(Arc::new(data.to_vec())));
	server
}

/// The path a node's piece server serves `data`'s model at.
pub fn model_path(data: &[u8]) -> String {
	format!("/v1/models/{}", hex::encode(sha256(data)))
}

/// Opens a store in `dir` with a budget.
pub fn open_store(dir: &Path, max_bytes: u64) -> Arc<ModelStore> {
	Arc::new(ModelStore::open(StoreConfig { root: dir.to_path_buf(), max_bytes }).unwrap())
}

/// Polls `check` every 20 ms until it holds or `timeout` passes.
pub async fn wait_until(timeout: Duration, mut check: impl FnMut() -> bool) -> bool {
	let deadline = Instant::now() + timeout;
	while Instant::now() < deadline {
		if check() {
			return true;
		}
		tokio::time::sleep(Duration::from_millis(20)).await;
	}
	check()
}

/// The store's lock file, which stays in its root.
pub const LOCK_FILE: &str = ".modelnet-store.lock";

/// Files (not directories) under `dir`, recursively, except store lock files.
pub fn files_under(dir: &Path) -> Vec<std::path::PathBuf> {
	let mut out = Vec::new();
	if let Ok(entries) = std::fs::read_dir(dir) {
		for entry in entries.flatten() {
			let path = entry.path();
			if entry.file_name() == LOCK_FILE {
				continue;
			}
			if path.is_dir() {
				out.extend(files_under(&path));
			} else {
				out.push(path);
			}
		}
	}
	out
}
