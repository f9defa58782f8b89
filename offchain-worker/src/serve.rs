//! The model server: other nodes fetch model pieces from this node (plain HTTP/1.1).
//!
//! - `GET /v1/models/{sha256-hex}` with `Range: bytes=a-b` (or `bytes=a-`) answers `206`
//!   with exactly those bytes; without `Range`, `200` with the whole file, only for a
//!   model held completely. A model is served only if it is *allowed* (the chain says
//!   this node holds it or is nominated for it, see [`Availability::set_allowed`]) and
//!   either stored and verified, or the range lies entirely within pieces this node has
//!   already verified of its download in progress. Otherwise `404` (not served) or `416`
//!   (range not satisfiable or not verified yet).
//! - `GET /v1/models/{sha256-hex}/pieces` answers `200` with one byte per piece (1 = this
//!   node has it verified), all 1 for a stored model; `404` if not served.
//!
//! Bounds: at most [`ServeConfig::per_peer_concurrency`] requests at once per remote
//! address (more get `503` with `Retry-After: 1`), at most
//! [`ServeConfig::max_connections`] connections, and an optional upload budget in bytes
//! per second shared by every transfer. Bodies are read from disk and sent in chunks.
//! Paths are built only from a strictly parsed model id, never from the request.

mod body;
mod limits;

use std::{
	convert::Infallible,
	io::{self, SeekFrom},
	net::{IpAddr, SocketAddr},
	sync::Arc,
	time::Duration,
};

use bytes::Bytes;
use hyper::{
	body::Incoming,
	header::{
		HeaderValue, ACCEPT_RANGES, CONTENT_LENGTH, CONTENT_RANGE, CONTENT_TYPE, RANGE, RETRY_AFTER,
	},
	server::conn::http1,
	service::service_fn,
	Method, Request, Response, StatusCode,
};
use hyper_util::rt::{TokioIo, TokioTimer};
use tokio::{
	io::{AsyncReadExt, AsyncSeekExt},
	net::TcpListener,
	sync::{mpsc, Semaphore},
	task::JoinSet,
};

pub(crate) use self::body::ServeBody;
use self::limits::{Bandwidth, PeerSlot, PerPeer};
use crate::{
	availability::Availability,
	metrics::Metrics,
	pieces,
	store::ModelStore,
	types::{short, ModelId},
};

/// Chunk size of response bodies.
const CHUNK: usize = 64 * 1024;
/// Longest wait for a reader to take the next chunk of a body.
const SEND_TIMEOUT: Duration = Duration::from_secs(60);
/// How long a connection may take to send a request's headers.
const HEADER_TIMEOUT: Duration = Duration::from_secs(30);

/// Settings of the model server.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ServeConfig {
	/// Address to listen on.
	pub listen: SocketAddr,
	/// Upload budget in bytes per second shared by every transfer; `None` is unlimited.
	pub upload_limit: Option<u64>,
	/// Requests served at once per remote IP address; more get `503`.
	pub per_peer_concurrency: usize,
	/// Connections open at once; further connections wait to be accepted.
	pub max_connections: usize,
	/// Test switch: flip a byte in every model body served (a lying node).
	pub corrupt: bool,
}

impl ServeConfig {
	/// Default bounds (4 requests per peer, 64 connections, no upload budget) on `listen`.
	pub fn new(listen: SocketAddr) -> Self {
		Self {
			listen,
			upload_limit: None,
			per_peer_concurrency: 4,
			max_connections: 64,
			corrupt: false,
		}
	}
}

/// State shared by every connection.
struct Shared {
	config: ServeConfig,
	store: Arc<ModelStore>,
	availability: Arc<Availability>,
	metrics: Option<Metrics>,
	bandwidth: Option<Bandwidth>,
	per_peer: Arc<PerPeer>,
}

/// A bound model server; [`ModelServer::run`] serves until dropped.
pub struct ModelServer {
	listener: TcpListener,
	shared: Arc<Shared>,
}

impl ModelServer {
	/// Binds `config.listen` (port 0 picks a free port, see [`ModelServer::local_addr`]).
	/// Serves models from `store` as `availability` allows.
	pub async fn bind(
		config: ServeConfig,
		store: Arc<ModelStore>,
		availability: Arc<Availability>,
		metrics: Option<Metrics>,
	) -> io::Result<Self> {
		let listener = TcpListener::bind(config.listen).await?;
		let shared = Arc::new(Shared {
			bandwidth: config.upload_limit.map(Bandwidth::new),
			per_peer: Arc::new(PerPeer::new(config.per_peer_concurrency)),
			config,
			store,
			availability,
			metrics,
		});
		Ok(Self { listener, shared })
	}

	/// The bound address.
	pub fn local_addr(&self) -> io::Result<SocketAddr> {
		self.listener.local_addr()
	}

	/// Accepts and serves connections until the future is dropped (which closes every
	/// connection too).
	pub async fn run(self) {
		let permits = Arc::new(Semaphore::new(self.shared.config.max_connections.max(1)));
		let mut connections = JoinSet::new();
		loop {
			while connections.try_join_next().is_some() {}
			let Ok(permit) = Arc::clone(&permits).acquire_owned().await else {
				return;
			};
			let (stream, remote) = match self.listener.accept().await {
				Ok(accepted) => accepted,
				Err(e) => {
					log::debug!(target: "modelnet", "model server: accept failed: {e}");
					tokio::time::sleep(Duration::from_millis(100)).await;
					continue;
				}
			};
			let _ = stream.set_nodelay(true);
			let shared = Arc::clone(&self.shared);
			connections.spawn(async move {
				let service = service_fn(move |req| {
					let shared = Arc::clone(&shared);
					async move { Ok::<_, Infallible>(handle(&shared, remote.ip(), req).await) }
				});
				let served = http1::Builder::new()
					.timer(TokioTimer::new())
					.header_read_timeout(HEADER_TIMEOUT)
					.serve_connection(TokioIo::new(stream), service)
					.await;
				if let Err(e) = served {
					log::trace!(target: "modelnet", "model server: connection from {remote}: {e}");
				}
				drop(permit);
			});
		}
	}
}

/// A response with an empty body.
fn status(code: StatusCode) -> Response<ServeBody> {
	let mut response = Response::new(ServeBody::empty());
	*response.status_mut() = code;
	response.headers_mut().insert(CONTENT_LENGTH, 0.into());
	response
}

/// `416` naming the file's size.
fn unsatisfiable(size: u64) -> Response<ServeBody> {
	let mut response = status(StatusCode::RANGE_NOT_SATISFIABLE);
	if let Ok(value) = format!("bytes */{size}").parse() {
		response.headers_mut().insert(CONTENT_RANGE, value);
	}
	response
}

/// Parses a model id: exactly 64 lowercase hex digits.
fn parse_model(text: &str) -> Option<ModelId> {
	if text.len() != 64 || !text.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f')) {
		return None;
	}
	let mut model = [0u8; 32];
	hex::decode_to_slice(text, &mut model).ok()?;
	Some(model)
}

/// Parses `bytes=a-b` / `bytes=a-` into an inclusive range (the end clamped to the file).
/// `None` if malformed or not satisfiable.
fn parse_range(value: &str, size: u64) -> Option<(u64, u64)> {
	let spec = value.trim().strip_prefix("bytes=")?;
	let (start, end) = spec.split_once('-')?;
	let start: u64 = start.trim().parse().ok()?;
	let end = match end.trim() {
		"" => size.checked_sub(1)?,
		end => end.parse::<u64>().ok()?.min(size.checked_sub(1)?),
	};
	(start <= end).then_some((start, end))
}

async fn handle(shared: &Arc<Shared>, ip: IpAddr, req: Request<Incoming>) -> Response<ServeBody> {
	if req.method() != Method::GET {
		return status(StatusCode::METHOD_NOT_ALLOWED);
	}
	let Some(rest) = req.uri().path().strip_prefix("/v1/models/") else {
		return status(StatusCode::NOT_FOUND);
	};
	let (id, bitmap_wanted) = match rest.strip_suffix("/pieces") {
		Some(id) => (id, true),
		None => (rest, false),
	};
	let Some(model) = parse_model(id) else {
		return status(StatusCode::NOT_FOUND);
	};
	let Some(slot) = shared.per_peer.acquire(ip) else {
		let mut response = status(StatusCode::SERVICE_UNAVAILABLE);
		response.headers_mut().insert(RETRY_AFTER, 1.into());
		return response;
	};
	if !shared.availability.is_allowed(&model) {
		return status(StatusCode::NOT_FOUND);
	}
	let held = shared.store.is_stored(&model) && !shared.store.needs_verification(&model);
	let bitmap = if held { None } else { shared.availability.bitmap(&model) };
	if bitmap_wanted {
		let bytes = match (held, &bitmap) {
			(true, _) => match std::fs::metadata(shared.store.path_of(&model)) {
				Ok(meta) => vec![1u8; pieces::piece_count(meta.len()) as usize],
				Err(_) => return status(StatusCode::NOT_FOUND),
			},
			(false, Some(bitmap)) => bitmap.to_bytes(),
			(false, None) => return status(StatusCode::NOT_FOUND),
		};
		let mut response = Response::new(ServeBody::full(bytes.clone()));
		response
			.headers_mut()
			.insert(CONTENT_TYPE, HeaderValue::from_static("application/octet-stream"));
		response.headers_mut().insert(CONTENT_LENGTH, bytes.len().into());
		return response;
	}
	let (path, size) = match (held, &bitmap) {
		(true, _) => {
			let path = shared.store.path_of(&model);
			match std::fs::metadata(&path) {
				Ok(meta) => (path, meta.len()),
				Err(_) => return status(StatusCode::NOT_FOUND),
			}
		}
		(false, Some(bitmap)) => (shared.store.partial_path_of(&model), bitmap.size()),
		(false, None) => return status(StatusCode::NOT_FOUND),
	};
	let range = match req.headers().get(RANGE) {
		None if held => None,
		None => return unsatisfiable(size),
		Some(value) => match value.to_str().ok().and_then(|v| parse_range(v, size)) {
			Some(range) => Some(range),
			None => return unsatisfiable(size),
		},
	};
	if let (Some((start, end)), Some(bitmap)) = (range, &bitmap) {
		if !bitmap.covers(start, end) {
			return unsatisfiable(size);
		}
	}
	let (start, end) = range.unwrap_or((0, size.saturating_sub(1)));
	let len = if size == 0 { 0 } else { end - start + 1 };
	let mut file = match tokio::fs::File::open(&path).await {
		Ok(file) => file,
		Err(_) => return status(StatusCode::NOT_FOUND),
	};
	if file.seek(SeekFrom::Start(start)).await.is_err() {
		return status(StatusCode::NOT_FOUND);
	}
	let (tx, rx) = mpsc::channel(body::QUEUE);
	tokio::spawn(stream_file(Arc::clone(shared), model, file, len, tx, slot));
	let mut response = Response::new(ServeBody::Stream(rx));
	let headers = response.headers_mut();
	headers.insert(CONTENT_LENGTH, len.into());
	headers.insert(ACCEPT_RANGES, HeaderValue::from_static("bytes"));
	headers.insert(CONTENT_TYPE, HeaderValue::from_static("application/octet-stream"));
	if range.is_some() {
		*response.status_mut() = StatusCode::PARTIAL_CONTENT;
		if let Ok(value) = format!("bytes {start}-{end}/{size}").parse() {
			response.headers_mut().insert(CONTENT_RANGE, value);
		}
	}
	log::debug!(
		target: "modelnet",
		"serving bytes {start}-{end} of model {} to {ip}",
		short(&model),
	);
	response
}

/// Reads `len` bytes from `file` in chunks into `tx`, within the upload budget.
async fn stream_file(
	shared: Arc<Shared>,
	model: ModelId,
	mut file: tokio::fs::File,
	len: u64,
	tx: mpsc::Sender<io::Result<Bytes>>,
	_slot: PeerSlot,
) {
	let mut left = len;
	let mut first = true;
	while left > 0 {
		let want = left.min(CHUNK as u64) as usize;
		let mut buf = vec![0u8; want];
		if let Err(e) = file.read_exact(&mut buf).await {
			let _ = tx.send(Err(e)).await;
			return;
		}
		if shared.config.corrupt && first {
			buf[0] ^= 0xff;
		}
		first = false;
		if let Some(bandwidth) = &shared.bandwidth {
			bandwidth.take(want as u64).await;
		}
		// A reader that stops reading is cut off instead of holding its slot forever.
		match tokio::time::timeout(SEND_TIMEOUT, tx.send(Ok(Bytes::from(buf)))).await {
			Ok(Ok(())) => {}
			Ok(Err(_)) => return,
			Err(_) => {
				log::debug!(target: "modelnet", "model server: a reader of {} stalled", short(&model));
				return;
			}
		}
		left -= want as u64;
		if let Some(metrics) = &shared.metrics {
			metrics.record_served(&model, want as u64);
		}
	}
}

#[cfg(test)]
mod tests {
	use super::*;

	#[test]
	fn parses_ids_and_ranges() {
		let hex = "ab".repeat(32);
		assert_eq!(parse_model(&hex), Some([0xab; 32]));
		assert_eq!(parse_model(&hex.to_uppercase()), None);
		assert_eq!(parse_model(&format!("{hex}0")), None);
		assert_eq!(parse_model("../../etc/passwd"), None);
		assert_eq!(parse_range("bytes=0-9", 100), Some((0, 9)));
		assert_eq!(parse_range("bytes=90-", 100), Some((90, 99)));
		assert_eq!(parse_range("bytes=90-200", 100), Some((90, 99)));
		assert_eq!(parse_range("bytes=100-", 100), None);
		assert_eq!(parse_range("bytes=5-4", 100), None);
		assert_eq!(parse_range("bytes=-5", 100), None);
		assert_eq!(parse_range("bytes=0-1,3-4", 100), None);
		assert_eq!(parse_range("bytes=0-", 0), None);
	}
}
