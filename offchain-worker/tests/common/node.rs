//! Serving nodes for the piece tests: a store with a model server on a loopback port, and a
//! small HTTP client to talk to it.

use std::{net::SocketAddr, sync::Arc};

use bytes::Bytes;
use http_body_util::{BodyExt, Empty};
use hyper::{body::Incoming, header::RANGE, HeaderMap, Request, Response, StatusCode};
use hyper_util::{client::legacy::Client, rt::TokioExecutor};
use modelnet_offchain_worker::{
	leaf_hash, piece_size, Availability, Metrics, ModelServer, ModelStore, PieceManifest,
	ServeConfig,
};
use substrate_prometheus_endpoint::Registry;
use tokio::task::JoinHandle;

use super::{open_store, sha256};

/// The manifest of `data`.
pub fn manifest_of(data: &[u8]) -> PieceManifest {
	let piece = piece_size(data.len() as u64) as usize;
	PieceManifest::new(data.len() as u64, data.chunks(piece).map(leaf_hash).collect())
}

/// Serve settings on an ephemeral loopback port.
pub fn serve_config() -> ServeConfig {
	ServeConfig::new("127.0.0.1:0".parse().expect("valid address"))
}

/// A store with a running model server.
pub struct ServingNode {
	pub dir: tempfile::TempDir,
	pub store: Arc<ModelStore>,
	pub availability: Arc<Availability>,
	pub metrics: Metrics,
	pub addr: SocketAddr,
	task: JoinHandle<()>,
}

impl ServingNode {
	/// An empty store serving what `availability` allows.
	pub async fn start(config: ServeConfig, availability: Arc<Availability>) -> Self {
		let dir = tempfile::tempdir().unwrap();
		let store = open_store(dir.path(), 1 << 32);
		Self::start_with(dir, store, config, availability).await
	}

	/// A server over an existing store.
	pub async fn start_with(
		dir: tempfile::TempDir,
		store: Arc<ModelStore>,
		config: ServeConfig,
		availability: Arc<Availability>,
	) -> Self {
		let metrics = Metrics::register(&Registry::new()).unwrap();
		let server = ModelServer::bind(
			config,
			Arc::clone(&store),
			Arc::clone(&availability),
			Some(metrics.clone()),
		)
		.await
		.unwrap();
		let addr = server.local_addr().unwrap();
		let task = tokio::spawn(server.run());
		Self { dir, store, availability, metrics, addr, task }
	}

	/// A node holding `data` (stored and verified) and allowed to serve it.
	pub async fn holding(data: &[u8], config: ServeConfig) -> Self {
		let model = sha256(data);
		let node = Self::start(config, Arc::new(Availability::new())).await;
		std::fs::write(node.store.path_of(&model), data).unwrap();
		node.store.scan().unwrap();
		assert!(node.store.verify(&model).unwrap());
		node.availability.set_allowed([model]);
		node
	}

	/// Base URL of the server.
	pub fn url(&self) -> String {
		format!("http://{}", self.addr)
	}

	/// URL of a model's bytes.
	pub fn model_url(&self, model: &[u8; 32]) -> String {
		format!("{}/v1/models/{}", self.url(), hex::encode(model))
	}

	/// Bytes this node's server sent.
	pub fn served(&self, model: &[u8; 32]) -> u64 {
		self.metrics.bytes_served.with_label_values(&[&hex::encode(&model[..8])]).get()
	}

	/// Stops the server (closing its connections).
	pub fn stop(&self) {
		self.task.abort();
	}
}

impl Drop for ServingNode {
	fn drop(&mut self) {
		self.task.abort();
	}
}

/// Sends `GET url` (with `Range` if given) and returns the response, body unread.
pub async fn get_response(url: &str, range: Option<&str>) -> Response<Incoming> {
	let client = Client::builder(TokioExecutor::new()).build_http::<Empty<Bytes>>();
	let mut request = Request::get(url);
	if let Some(range) = range {
		request = request.header(RANGE, range);
	}
	client.request(request.body(Empty::new()).unwrap()).await.unwrap()
}

/// Sends `GET url` (with `Range` if given): status, headers and body.
pub async fn get(url: &str, range: Option<&str>) -> (StatusCode, HeaderMap, Vec<u8>) {
	let response = get_response(url, range).await;
	let status = response.status();
	let headers = response.headers().clone();
	let body = response.into_body().collect().await.unwrap().to_bytes().to_vec();
	(status, headers, body)
}
