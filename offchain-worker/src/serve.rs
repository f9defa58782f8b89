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
//! Bounds, per peer (an IPv4 address, or an IPv6 /64 network): at most
//! [`ServeConfig::per_ip_connections`] connections (more are closed at once when accepted),
//! [`ServeConfig::requests_per_second`] requests per second on average (more get `429` with
//! `Retry-After`) and [`ServeConfig::per_peer_concurrency`] requests at once (more get `503`
//! with `Retry-After: 1`). In all: at most [`ServeConfig::max_connections`] connections (more
//! wait to be accepted) and an optional upload budget in bytes per second shared by every
//! transfer. A client must send a request's headers within [`ServeConfig::header_timeout`]
//! (idle connections are closed then too) and take each chunk of a body within
//! [`ServeConfig::write_timeout`]; otherwise its connection is closed. Behind a reverse proxy
//! listed in [`ServeConfig::trusted_proxies`] the per-peer bounds on requests apply to the
//! client the proxy names in `X-Forwarded-For`. Bodies are read from disk and sent in chunks.
//! Paths are built only from a strictly parsed model id, never from the request.

mod body;
mod client;
mod limits;
mod stall;

use std::{
	convert::Infallible,
	io::{self, SeekFrom},
	net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr},
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
	net::{TcpListener, TcpStream},
	sync::{mpsc, OwnedSemaphorePermit, Semaphore},
	task::JoinSet,
};

pub(crate) use self::body::ServeBody;
use self::{
	client::{client_addr, is_listed},
	limits::{Bandwidth, PeerSlot, PerPeer, RequestRate},
	stall::WriteDeadline,
};
use crate::{
	availability::Availability,
	metrics::Metrics,
	pieces,
	store::ModelStore,
	types::{short, ModelId},
};

/// Chunk size of response bodies (what a client must take within the write deadline).
const CHUNK: usize = stall::PROGRESS;

/// Settings of the model server. A *peer* is an IPv4 address or an IPv6 /64 network.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ServeConfig {
	/// Address to listen on.
	pub listen: SocketAddr,
	/// Upload budget in bytes per second shared by every transfer; `None` is unlimited.
	pub upload_limit: Option<u64>,
	/// Requests served at once per peer; more get `503`.
	pub per_peer_concurrency: usize,
	/// Connections open at once in all; further connections wait to be accepted.
	pub max_connections: usize,
	/// Connections open at once per peer; a further one is closed as soon as it is accepted.
	/// Connections from [`ServeConfig::trusted_proxies`] are not counted (the proxy carries
	/// many clients).
	pub per_ip_connections: usize,
	/// Requests per second per peer on average; more get `429` with `Retry-After`.
	pub requests_per_second: u32,
	/// Requests a peer may send at once above its average rate.
	pub request_burst: u32,
	/// How long a client may take to send a request's headers; a connection idle for this
	/// long between requests is closed too.
	pub header_timeout: Duration,
	/// How long a client may leave a chunk of a response unread (64 KiB) before its
	/// connection is closed.
	pub write_timeout: Duration,
	/// Reverse proxies in front of this server: only on a connection from one of them is a
	/// request's client taken from `X-Forwarded-For` (the right-most address not itself a
	/// trusted proxy; a malformed header is ignored, the request is then the proxy's).
	pub trusted_proxies: Vec<IpAddr>,
	/// Client addresses the per-peer bounds do not apply to (the total connection cap, the
	/// upload budget and the timeouts do). Default: this host's loopback addresses
	/// `127.0.0.1` and `::1`, so that nodes sharing one host (a local test network) are not
	/// taken for one peer; other loopback addresses (`127.0.0.2`, …) are bounded.
	pub unlimited: Vec<IpAddr>,
	/// Test switch: flip a byte in every model body served (a lying node).
	pub corrupt: bool,
}

impl ServeConfig {
	/// Default bounds on `listen`: per peer 8 connections, 4 requests at once and 20 requests
	/// per second (bursts of 40); 256 connections in all; 30 s to send headers (or to send the
	/// next request), 20 s to take a chunk; no upload budget, no trusted proxy, loopback
	/// unbounded per peer.
	pub fn new(listen: SocketAddr) -> Self {
		Self {
			listen,
			upload_limit: None,
			per_peer_concurrency: 4,
			max_connections: 256,
			per_ip_connections: 8,
			requests_per_second: 20,
			request_burst: 40,
			header_timeout: Duration::from_secs(30),
			write_timeout: Duration::from_secs(20),
			trusted_proxies: Vec::new(),
			unlimited: vec![IpAddr::V4(Ipv4Addr::LOCALHOST), IpAddr::V6(Ipv6Addr::LOCALHOST)],
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
	/// Requests in progress per peer.
	per_peer: Arc<PerPeer>,
	/// Connections open per peer.
	per_ip_connections: Arc<PerPeer>,
	requests: RequestRate,
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
			per_ip_connections: Arc::new(PerPeer::new(config.per_ip_connections)),
			requests: RequestRate::new(config.requests_per_second, config.request_burst),
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
			let Some(slot) = self.shared.connection_slot(remote.ip()) else {
				log::debug!(
					target: "modelnet",
					"model server: {remote} has {} connections already; closed",
					self.shared.config.per_ip_connections,
				);
				continue;
			};
			connections.spawn(serve_connection(
				Arc::clone(&self.shared),
				stream,
				remote,
				(permit, slot),
			));
		}
	}
}

impl Shared {
	/// Whether the per-peer bounds apply to requests from `client`.
	fn bounded(&self, client: IpAddr) -> bool {
		!is_listed(client, &self.config.unlimited)
	}

	/// A connection slot of `remote`'s peer (`Some(None)` if it is not bounded per peer),
	/// `None` if it has its cap of connections already.
	fn connection_slot(&self, remote: IpAddr) -> Option<Option<PeerSlot>> {
		if !self.bounded(remote) || is_listed(remote, &self.config.trusted_proxies) {
			return Some(None);
		}
		self.per_ip_connections.acquire(remote).map(Some)
	}
}

/// Serves one connection; `slots` (its place in the total and its peer's caps) are freed when
/// it closes.
async fn serve_connection(
	shared: Arc<Shared>,
	stream: TcpStream,
	remote: SocketAddr,
	slots: (OwnedSemaphorePermit, Option<PeerSlot>),
) {
	let _ = stream.set_nodelay(true);
	let header_timeout = shared.config.header_timeout;
	let stream = WriteDeadline::new(stream, shared.config.write_timeout);
	let service = service_fn(move |req| {
		let shared = Arc::clone(&shared);
		async move { Ok::<_, Infallible>(handle(&shared, remote.ip(), req).await) }
	});
	let served = http1::Builder::new()
		.timer(TokioTimer::new())
		.header_read_timeout(header_timeout)
		.serve_connection(TokioIo::new(stream), service)
		.await;
	if let Err(e) = served {
		log::trace!(target: "modelnet", "model server: connection from {remote}: {e}");
	}
	drop(slots);
}

/// Seconds to wait, rounded up, at least 1: a `Retry-After` value.
fn retry_after(wait: Duration) -> u64 {
	(wait.as_secs() + u64::from(wait.subsec_nanos() > 0)).max(1)
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

async fn handle(shared: &Arc<Shared>, peer: IpAddr, req: Request<Incoming>) -> Response<ServeBody> {
	let ip = client_addr(peer, req.headers(), &shared.config.trusted_proxies);
	let bounded = shared.bounded(ip);
	if bounded {
		if let Err(wait) = shared.requests.check(ip) {
			let mut response = status(StatusCode::TOO_MANY_REQUESTS);
			response.headers_mut().insert(RETRY_AFTER, retry_after(wait).into());
			return response;
		}
	}
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
	let slot = match bounded.then(|| shared.per_peer.acquire(ip)) {
		Some(None) => {
			let mut response = status(StatusCode::SERVICE_UNAVAILABLE);
			response.headers_mut().insert(RETRY_AFTER, 1.into());
			return response;
		}
		Some(Some(slot)) => Some(slot),
		None => None,
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
	_slot: Option<PeerSlot>,
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
		let timeout = shared.config.write_timeout;
		match tokio::time::timeout(timeout, tx.send(Ok(Bytes::from(buf)))).await {
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

	proptest::proptest! {
		/// A request's path and `Range` header are any text: the parsers give a model id of 32
		/// bytes and a range inside the file, or nothing, never a panic.
		#[test]
		fn request_parsers_take_any_text(
			text in ".{0,80}",
			size in proptest::prelude::any::<u64>(),
			a in proptest::prelude::any::<u64>(),
			b in proptest::prelude::any::<u64>(),
		) {
			let _ = parse_model(&text);
			for value in [text.clone(), format!("bytes={a}-{b}"), format!("bytes={a}-"), format!("bytes=-{b}")] {
				if let Some((start, end)) = parse_range(&value, size) {
					proptest::prop_assert!(start <= end && end < size);
				}
			}
		}
	}

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
