//! A piece-wise download resumed after a power loss: a piece whose bit reached the disk
//! before its bytes did is fetched again, and never served meanwhile.

mod common;

use std::{sync::Arc, time::Duration};

use common::{
	fast_fetch_config,
	node::{get, manifest_of, serve_config, ServingNode},
	open_store,
	server::{Content, TestServer},
	sha256, test_data, wait_until,
};
use hyper::StatusCode;
use modelnet_offchain_worker::{sha256_file, FetchConfig, Fetcher, Nomination};
use tokio::net::TcpListener;

const MIB: usize = 1 << 20;

fn config() -> FetchConfig {
	FetchConfig { stall_timeout: Duration::from_secs(2), ..fast_fetch_config() }
}

fn nomination(data: &[u8], source: String) -> Nomination {
	Nomination {
		model: sha256(data),
		size: data.len() as u64,
		sources: vec![source],
		manifest: Some(manifest_of(data)),
		..Default::default()
	}
}

/// A source that accepts connections and never answers: a download from it stays in
/// progress.
async fn silent_source() -> (String, tokio::task::JoinHandle<()>) {
	let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
	let url = format!("http://{}/model.bin", listener.local_addr().unwrap());
	let task = tokio::spawn(async move {
		let mut held = Vec::new();
		while let Ok((stream, _)) = listener.accept().await {
			held.push(stream);
		}
	});
	(url, task)
}

#[tokio::test]
async fn a_piece_zeroed_behind_its_bit_is_fetched_again_and_never_served() {
	let data = test_data(9 * MIB, 61);
	let model = sha256(&data);
	let dir = tempfile::tempdir().unwrap();
	let store = open_store(dir.path(), 1 << 32);
	// The power went out while pieces 0 and 2 were being written, and after piece 1's bit
	// reached the disk but before its bytes did.
	let mut on_disk = data.clone();
	on_disk[4 * MIB..8 * MIB].fill(0);
	std::fs::write(store.partial_path_of(&model), &on_disk).unwrap();
	std::fs::write(store.pieces_path_of(&model), [0u8, 1, 0]).unwrap();
	let fetcher = Arc::new(Fetcher::new(Arc::clone(&store), config(), None).unwrap());
	fetcher.availability().set_allowed([model]);
	let server = ServingNode::start_with(
		tempfile::tempdir().unwrap(),
		Arc::clone(&store),
		serve_config(),
		Arc::clone(fetcher.availability()),
	)
	.await;

	// Resumed against a source that never answers: the download stays in progress while
	// its bitmap is published.
	let (silent, _silent_task) = silent_source().await;
	let download = tokio::spawn({
		let (fetcher, n) = (Arc::clone(&fetcher), nomination(&data, silent));
		async move { fetcher.fetch_nomination(&n).await }
	});
	let published = || fetcher.availability().bitmap(&model).is_some();
	assert!(wait_until(Duration::from_secs(10), published).await, "never published");
	let piece_1 = format!("bytes={}-{}", 4 * MIB, 8 * MIB - 1);
	let (status, _, body) = get(&server.model_url(&model), Some(&piece_1)).await;
	assert_ne!(status, StatusCode::PARTIAL_CONTENT, "served {} unverified bytes", body.len());
	let (status, _, bits) = get(&format!("{}/pieces", server.model_url(&model)), None).await;
	assert_eq!((status, bits), (StatusCode::OK, vec![0, 0, 0]));
	download.abort();
	let _ = download.await;

	// Resumed again against a source that answers: the zeroed piece is fetched again.
	let source = TestServer::start().await.unwrap();
	source.add("/model.bin", Content::Memory(Arc::new(data.clone())));
	let path = fetcher.fetch_nomination(&nomination(&data, source.url("/model.bin"))).await;

	assert_eq!(sha256_file(&path.unwrap()).unwrap(), model);
	let ranges: Vec<String> = source.requests().into_iter().filter_map(|r| r.range).collect();
	assert!(ranges.contains(&piece_1), "{ranges:?}");
}
