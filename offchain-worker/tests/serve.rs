//! The model server over real loopback HTTP: what it serves and what it refuses.

mod common;

use std::{sync::Arc, time::Duration};

use common::{
	node::{get, get_response, serve_config, ServingNode},
	sha256, test_data,
};
use hyper::{
	header::{CONTENT_RANGE, RETRY_AFTER},
	StatusCode,
};
use modelnet_offchain_worker::{Availability, PieceBitmap, ServeConfig};

const MIB: usize = 1 << 20;

#[tokio::test]
async fn held_model_is_served_only_when_allowed() {
	let data = test_data(9 * MIB + 7, 31);
	let model = sha256(&data);
	let node = ServingNode::holding(&data, serve_config()).await;
	node.availability.set_allowed([]);

	let url = node.model_url(&model);
	assert_eq!(get(&url, Some("bytes=0-99")).await.0, StatusCode::NOT_FOUND);
	assert_eq!(get(&format!("{url}/pieces"), None).await.0, StatusCode::NOT_FOUND);
	// Malformed ids never reach the file system.
	let bad = format!("{}/v1/models/{}", node.url(), hex::encode(model).to_uppercase());
	assert_eq!(get(&bad, None).await.0, StatusCode::NOT_FOUND);
	let traversal = format!("{}/v1/models/..%2f..%2fetc%2fpasswd", node.url());
	assert_eq!(get(&traversal, None).await.0, StatusCode::NOT_FOUND);

	node.availability.set_allowed([model]);
	let (status, headers, body) = get(&url, Some("bytes=100-199")).await;
	assert_eq!(status, StatusCode::PARTIAL_CONTENT);
	assert_eq!(body, data[100..200]);
	let range = format!("bytes 100-199/{}", data.len());
	assert_eq!(headers.get(CONTENT_RANGE).unwrap().to_str().unwrap(), range);
	let (status, _, body) = get(&url, None).await;
	assert_eq!(status, StatusCode::OK);
	assert_eq!(body, data);
	let (status, _, body) = get(&format!("{url}/pieces"), None).await;
	assert_eq!(status, StatusCode::OK);
	assert_eq!(body, vec![1u8; 3]);
	let end = format!("bytes={}-", data.len());
	assert_eq!(get(&url, Some(&end)).await.0, StatusCode::RANGE_NOT_SATISFIABLE);
	assert_eq!(node.served(&model), 100 + data.len() as u64);
}

#[tokio::test]
async fn partial_download_serves_only_verified_pieces() {
	let data = test_data(10 * MIB, 32);
	let model = sha256(&data);
	let availability = Arc::new(Availability::new());
	let node = ServingNode::start(serve_config(), Arc::clone(&availability)).await;
	std::fs::write(node.store.partial_path_of(&model), &data).unwrap();
	let bitmap = PieceBitmap::in_memory(data.len() as u64, &[true, false, true]);
	availability.register(model, Arc::new(bitmap));
	let url = node.model_url(&model);
	// Not allowed yet.
	assert_eq!(get(&url, Some("bytes=0-9")).await.0, StatusCode::NOT_FOUND);
	availability.set_allowed([model]);

	let (status, _, body) = get(&url, Some(&format!("bytes=0-{}", 4 * MIB - 1))).await;
	assert_eq!(status, StatusCode::PARTIAL_CONTENT);
	assert_eq!(body, data[..4 * MIB]);
	let (status, _, body) = get(&url, Some(&format!("bytes={}-", 8 * MIB))).await;
	assert_eq!(status, StatusCode::PARTIAL_CONTENT);
	assert_eq!(body, data[8 * MIB..]);
	// Piece 1 is not verified: any range touching it is refused.
	let straddling = format!("bytes={}-{}", 4 * MIB - 10, 4 * MIB + 10);
	assert_eq!(get(&url, Some(&straddling)).await.0, StatusCode::RANGE_NOT_SATISFIABLE);
	let inside = format!("bytes={}-{}", 5 * MIB, 5 * MIB + 10);
	assert_eq!(get(&url, Some(&inside)).await.0, StatusCode::RANGE_NOT_SATISFIABLE);
	// No whole file from a partial download.
	assert_eq!(get(&url, None).await.0, StatusCode::RANGE_NOT_SATISFIABLE);
	let (status, _, body) = get(&format!("{url}/pieces"), None).await;
	assert_eq!(status, StatusCode::OK);
	assert_eq!(body, vec![1, 0, 1]);
	// Unknown model.
	let other = node.model_url(&[7u8; 32]);
	assert_eq!(get(&format!("{other}/pieces"), None).await.0, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn per_peer_concurrency_is_limited() {
	let data = test_data(8 * MIB, 33);
	let model = sha256(&data);
	// Slow enough that the first body cannot be buffered away by the sockets.
	let config =
		ServeConfig { per_peer_concurrency: 1, upload_limit: Some(MIB as u64), ..serve_config() };
	let node = ServingNode::holding(&data, config).await;
	let url = node.model_url(&model);
	// The first response stays open while its body is not read.
	let first = get_response(&url, None).await;
	assert_eq!(first.status(), StatusCode::OK);
	let (status, headers, _) = get(&url, Some("bytes=0-9")).await;
	assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE);
	assert_eq!(headers.get(RETRY_AFTER).unwrap(), "1");
	drop(first);
	let mut status = StatusCode::SERVICE_UNAVAILABLE;
	for _ in 0..50 {
		status = get(&url, Some("bytes=0-9")).await.0;
		if status == StatusCode::PARTIAL_CONTENT {
			break;
		}
		tokio::time::sleep(Duration::from_millis(20)).await;
	}
	assert_eq!(status, StatusCode::PARTIAL_CONTENT);
}

#[tokio::test]
async fn upload_limit_caps_the_rate() {
	let data = test_data(3 * MIB, 34);
	let model = sha256(&data);
	let config = ServeConfig { upload_limit: Some(2 * MIB as u64), ..serve_config() };
	let node = ServingNode::holding(&data, config).await;
	let started = std::time::Instant::now();
	let (status, _, body) = get(&node.model_url(&model), None).await;
	assert_eq!(status, StatusCode::OK);
	assert_eq!(body, data);
	// One second of burst, then 1 MiB at 2 MiB/s.
	assert!(started.elapsed() >= Duration::from_millis(400), "{:?}", started.elapsed());
}

#[tokio::test]
async fn corrupt_switch_flips_served_bytes() {
	let data = test_data(5 * MIB, 35);
	let model = sha256(&data);
	let config = ServeConfig { corrupt: true, ..serve_config() };
	let node = ServingNode::holding(&data, config).await;
	let (status, _, body) = get(&node.model_url(&model), Some("bytes=10-19")).await;
	assert_eq!(status, StatusCode::PARTIAL_CONTENT);
	assert_eq!(body.len(), 10);
	assert_ne!(body, data[10..20]);
}
