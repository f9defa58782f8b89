//! A small loopback HTTP/1.1 file server for tests and the fetch benchmark.
//!
//! Supports `Range: bytes=N-` / `bytes=N-M`, and misbehaviour on demand: serving tampered
//! bytes, ignoring `Range`, omitting `Content-Length`, dying after N body bytes (dropping
//! the connection and refusing connections for a while) and redirects. It counts body
//! bytes served (written to sockets) and delivered (acknowledged by the client's TCP
//! stack, from `TCP_INFO`; a response cut short only delivered part of what it wrote) and
//! logs every request. `GET /__stats` returns the counters as text.

use std::{
	collections::HashMap,
	io,
	net::SocketAddr,
	path::PathBuf,
	sync::{
		atomic::{AtomicU64, AtomicUsize, Ordering},
		Arc, Mutex,
	},
	time::Duration,
};

use tokio::{
	io::{AsyncBufReadExt, AsyncReadExt, AsyncSeekExt, AsyncWriteExt, BufReader},
	net::{TcpListener, TcpStream},
	task::AbortHandle,
};

/// Body writes are at most this large.
const SEND_CHUNK: usize = 256 * 1024;

/// What a path serves.
#[derive(Clone)]
pub enum Content {
	/// Bytes in memory.
	Memory(Arc<Vec<u8>>),
	/// A file on disk (read on each request).
	File(PathBuf),
	/// A `302 Found` to this location.
	Redirect(String),
	/// An empty response with this status code.
	Status(u16),
	/// An empty response with this status code and this `Retry-After` header.
	Refuse(u16, String),
}

/// Misbehaviour switches.
#[derive(Clone, Debug, Default)]
pub struct Behavior {
	/// Flip one byte in the middle of in-memory content.
	pub tamper: bool,
	/// Answer range requests with the whole file (200).
	pub ignore_range: bool,
	/// Send no `Content-Length` (body delimited by closing the connection).
	pub no_content_length: bool,
	/// One-shot: after this many body bytes of the next response, drop the connection and
	/// refuse connections for the given time.
	pub die_after: Option<(u64, Duration)>,
	/// Every response: drop the connection after this many body bytes.
	pub cut_after: Option<u64>,
	/// Pause after every body write (slows the transfer down).
	pub write_delay: Option<Duration>,
	/// Send the body one byte at a time with this pause after each (a sender that never
	/// falls silent for a read timeout, yet delivers next to nothing).
	pub drip: Option<Duration>,
	/// The next requests (count) get this status, with a `Retry-After` header if given,
	/// instead of the content.
	pub fail_next: Option<(usize, u16, Option<String>)>,
}

/// A request as received.
#[derive(Clone, Debug)]
pub struct LoggedRequest {
	/// Request path.
	pub path: String,
	/// `Range` header, if any.
	pub range: Option<String>,
}

struct Shared {
	addr: SocketAddr,
	files: Mutex<HashMap<String, Content>>,
	behavior: Mutex<Behavior>,
	requests: Mutex<Vec<LoggedRequest>>,
	bytes_served: AtomicU64,
	bytes_delivered: AtomicU64,
	concurrent: AtomicUsize,
	max_concurrent: AtomicUsize,
	accept: Mutex<Option<AbortHandle>>,
	conns: Mutex<Vec<AbortHandle>>,
}

/// A running server on 127.0.0.1.
pub struct TestServer {
	shared: Arc<Shared>,
}

impl TestServer {
	/// Starts on an ephemeral port.
	pub async fn start() -> io::Result<Self> {
		Self::start_on("127.0.0.1:0".parse().expect("valid address")).await
	}

	/// Starts on the given address.
	pub async fn start_on(addr: SocketAddr) -> io::Result<Self> {
		let listener = TcpListener::bind(addr).await?;
		let shared = Arc::new(Shared {
			addr: listener.local_addr()?,
			files: Mutex::new(HashMap::new()),
			behavior: Mutex::new(Behavior::default()),
			requests: Mutex::new(Vec::new()),
			bytes_served: AtomicU64::new(0),
			bytes_delivered: AtomicU64::new(0),
			concurrent: AtomicUsize::new(0),
			max_concurrent: AtomicUsize::new(0),
			accept: Mutex::new(None),
			conns: Mutex::new(Vec::new()),
		});
		Shared::spawn_accept(&shared, listener);
		Ok(Self { shared })
	}

	/// The listening address.
	pub fn addr(&self) -> SocketAddr {
		self.shared.addr
	}

	/// `http://127.0.0.1:PORT{path}`.
	pub fn url(&self, path: &str) -> String {
		format!("http://{}{path}", self.shared.addr)
	}

	/// Serves `content` at `path`.
	pub fn add(&self, path: &str, content: Content) {
		self.shared.files.lock().unwrap().insert(path.to_string(), content);
	}

	/// Changes the misbehaviour switches.
	pub fn set(&self, f: impl FnOnce(&mut Behavior)) {
		f(&mut self.shared.behavior.lock().unwrap());
	}

	/// Requests received so far (excluding `/__stats`).
	pub fn requests(&self) -> Vec<LoggedRequest> {
		self.shared.requests.lock().unwrap().clone()
	}

	/// Body bytes written to sockets so far.
	pub fn bytes_served(&self) -> u64 {
		self.shared.bytes_served.load(Ordering::SeqCst)
	}

	/// Body bytes the client's TCP stack acknowledged so far.
	pub fn bytes_delivered(&self) -> u64 {
		self.shared.bytes_delivered.load(Ordering::SeqCst)
	}

	/// Most responses in progress at once.
	pub fn max_concurrent(&self) -> usize {
		self.shared.max_concurrent.load(Ordering::SeqCst)
	}

	/// Stops listening and drops every connection.
	pub fn stop(&self) {
		self.shared.stop();
	}

	/// Listens again on the same address.
	pub async fn restart(&self) -> io::Result<()> {
		let listener = TcpListener::bind(self.shared.addr).await?;
		Shared::spawn_accept(&self.shared, listener);
		Ok(())
	}
}

impl Drop for TestServer {
	fn drop(&mut self) {
		self.shared.stop();
	}
}

impl Shared {
	fn spawn_accept(shared: &Arc<Self>, listener: TcpListener) {
		let me = Arc::clone(shared);
		let handle = tokio::spawn(async move {
			while let Ok((stream, _)) = listener.accept().await {
				let conn = Arc::clone(&me);
				let handle = tokio::spawn(async move {
					let _ = conn.serve(stream).await;
				});
				let mut conns = me.conns.lock().unwrap();
				conns.retain(|c| !c.is_finished());
				conns.push(handle.abort_handle());
			}
		});
		*shared.accept.lock().unwrap() = Some(handle.abort_handle());
	}

	fn stop(&self) {
		if let Some(accept) = self.accept.lock().unwrap().take() {
			accept.abort();
		}
		for conn in self.conns.lock().unwrap().drain(..) {
			conn.abort();
		}
	}

	/// Refuses connections for `down`, then listens again.
	fn go_down(self: &Arc<Self>, down: Duration) {
		if let Some(accept) = self.accept.lock().unwrap().take() {
			accept.abort();
		}
		let me = Arc::clone(self);
		tokio::spawn(async move {
			tokio::time::sleep(down).await;
			for _ in 0..50 {
				match TcpListener::bind(me.addr).await {
					Ok(listener) => return Shared::spawn_accept(&me, listener),
					Err(_) => tokio::time::sleep(Duration::from_millis(50)).await,
				}
			}
		});
	}

	async fn serve(self: &Arc<Self>, stream: TcpStream) -> io::Result<()> {
		let mut reader = BufReader::new(stream);
		let mut line = String::new();
		reader.read_line(&mut line).await?;
		let path = line.split_whitespace().nth(1).unwrap_or("/").to_string();
		let mut range = None;
		loop {
			line.clear();
			if reader.read_line(&mut line).await? == 0 || line.trim().is_empty() {
				break;
			}
			if let Some((name, value)) = line.split_once(':') {
				if name.trim().eq_ignore_ascii_case("range") {
					range = Some(value.trim().to_string());
				}
			}
		}
		let mut stream = reader.into_inner();
		if path == "/__stats" {
			let body = format!(
				"bytes_served={} bytes_delivered={} requests={}\n",
				self.bytes_served.load(Ordering::SeqCst),
				self.bytes_delivered.load(Ordering::SeqCst),
				self.requests.lock().unwrap().len()
			);
			return respond(&mut stream, "200 OK", &[], body.as_bytes()).await;
		}
		self.requests
			.lock()
			.unwrap()
			.push(LoggedRequest { path: path.clone(), range: range.clone() });
		let content = self.files.lock().unwrap().get(&path).cloned();
		let behavior = {
			let mut b = self.behavior.lock().unwrap();
			let snapshot = b.clone();
			b.die_after = None;
			if let Some((left, _, _)) = &mut b.fail_next {
				*left -= 1;
				if *left == 0 {
					b.fail_next = None;
				}
			}
			snapshot
		};
		if let Some((_, status, retry_after)) = &behavior.fail_next {
			let headers: Vec<String> =
				retry_after.iter().map(|r| format!("Retry-After: {r}")).collect();
			return respond(&mut stream, &status_line(*status), &headers, b"").await;
		}
		let (content, len) = match content {
			None => return respond(&mut stream, "404 Not Found", &[], b"").await,
			Some(Content::Redirect(to)) => {
				return respond(&mut stream, "302 Found", &[format!("Location: {to}")], b"").await
			}
			Some(Content::Status(code)) => {
				return respond(&mut stream, &status_line(code), &[], b"").await
			}
			Some(Content::Refuse(code, after)) => {
				let headers = [format!("Retry-After: {after}")];
				return respond(&mut stream, &status_line(code), &headers, b"").await;
			}
			Some(Content::Memory(data)) => {
				let len = data.len() as u64;
				(Content::Memory(data), len)
			}
			Some(Content::File(file)) => {
				let len = tokio::fs::metadata(&file).await?.len();
				(Content::File(file), len)
			}
		};
		let requested = range.as_deref().and_then(parse_range).filter(|_| !behavior.ignore_range);
		let (status, start, end, mut headers) = match requested {
			Some((start, _)) if start >= len => {
				let headers = vec![format!("Content-Range: bytes */{len}")];
				return respond(&mut stream, "416 Range Not Satisfiable", &headers, b"").await;
			}
			Some((start, end)) => {
				let end = end.map_or(len, |e| (e + 1).min(len));
				let cr = format!("Content-Range: bytes {start}-{}/{len}", end - 1);
				("206 Partial Content", start, end, vec![cr])
			}
			None => ("200 OK", 0, len, Vec::new()),
		};
		if !behavior.no_content_length {
			headers.push(format!("Content-Length: {}", end - start));
		}
		let head = format!(
            "HTTP/1.1 {status}\r\nConnection: close\r\nContent-Type: application/octet-stream\r\n{}\r\n",
            headers.iter().map(|h| format!("{h}\r\n")).collect::<String>()
        );
		stream.write_all(head.as_bytes()).await?;
		let now = self.concurrent.fetch_add(1, Ordering::SeqCst) + 1;
		self.max_concurrent.fetch_max(now, Ordering::SeqCst);
		let result = self.send_body(&mut stream, &content, start, end, &behavior).await;
		self.concurrent.fetch_sub(1, Ordering::SeqCst);
		let delivered = match &result {
			Ok(()) => end - start,
			// Cut short: count what the client's TCP stack acknowledged.
			Err(_) => bytes_acked(&stream)
				.map_or(0, |acked| acked.saturating_sub(head.len() as u64).min(end - start)),
		};
		self.bytes_delivered.fetch_add(delivered, Ordering::SeqCst);
		result?;
		stream.shutdown().await
	}

	async fn send_body(
		self: &Arc<Self>,
		stream: &mut TcpStream,
		content: &Content,
		start: u64,
		end: u64,
		behavior: &Behavior,
	) -> io::Result<()> {
		let mut file = match content {
			Content::File(path) => {
				let mut file = tokio::fs::File::open(path).await?;
				file.seek(io::SeekFrom::Start(start)).await?;
				Some(file)
			}
			_ => None,
		};
		let mut buf = vec![0u8; SEND_CHUNK];
		let mut pos = start;
		let mut sent = 0u64;
		let limit = match (behavior.die_after, behavior.cut_after) {
			(Some((die, _)), Some(cut)) => Some(die.min(cut)),
			(die, cut) => die.map(|(d, _)| d).or(cut),
		};
		while pos < end {
			let chunk = if behavior.drip.is_some() { 1 } else { SEND_CHUNK as u64 };
			let mut n = (end - pos).min(chunk) as usize;
			if let Some(limit) = limit {
				n = n.min((limit - sent.min(limit)) as usize);
			}
			if n == 0 {
				break;
			}
			match (content, &mut file) {
				(Content::Memory(data), _) => {
					buf[..n].copy_from_slice(&data[pos as usize..pos as usize + n]);
					let flip = data.len() as u64 / 2;
					if behavior.tamper && (pos..pos + n as u64).contains(&flip) {
						buf[(flip - pos) as usize] ^= 0xff;
					}
				}
				(_, Some(file)) => file.read_exact(&mut buf[..n]).await.map(drop)?,
				_ => unreachable!("redirects carry no body"),
			}
			stream.write_all(&buf[..n]).await?;
			self.bytes_served.fetch_add(n as u64, Ordering::SeqCst);
			pos += n as u64;
			sent += n as u64;
			if let Some(delay) = behavior.write_delay.or(behavior.drip) {
				tokio::time::sleep(delay).await;
			}
		}
		if limit.is_some_and(|limit| sent >= limit) && pos < end {
			if let Some((_, down)) = behavior.die_after.filter(|(_, down)| !down.is_zero()) {
				self.go_down(down);
			}
			// Drop the connection before the declared end of the body.
			return Err(io::Error::other("dying on purpose"));
		}
		Ok(())
	}
}

/// Bytes of this connection acknowledged by the peer (`TCP_INFO.tcpi_bytes_acked`).
#[cfg(target_os = "linux")]
fn bytes_acked(stream: &TcpStream) -> Option<u64> {
	use std::os::fd::AsRawFd;
	// SAFETY: an all-zero `tcp_info` is a valid value (plain integers).
	let mut info: libc::tcp_info = unsafe { std::mem::zeroed() };
	let mut len = std::mem::size_of::<libc::tcp_info>() as libc::socklen_t;
	// SAFETY: `info` is writable for `len` bytes and the descriptor is a live TCP socket
	// owned by `stream` for the duration of the call.
	let rc = unsafe {
		libc::getsockopt(
			stream.as_raw_fd(),
			libc::IPPROTO_TCP,
			libc::TCP_INFO,
			(&mut info as *mut libc::tcp_info).cast(),
			&mut len,
		)
	};
	(rc == 0).then_some(info.tcpi_bytes_acked)
}

#[cfg(not(target_os = "linux"))]
fn bytes_acked(_: &TcpStream) -> Option<u64> {
	None
}

/// `"503 Service Unavailable"` and the like.
fn status_line(code: u16) -> String {
	let reason = match code {
		403 => "Forbidden",
		404 => "Not Found",
		410 => "Gone",
		429 => "Too Many Requests",
		500 => "Internal Server Error",
		503 => "Service Unavailable",
		_ => "Status",
	};
	format!("{code} {reason}")
}

/// Parses `bytes=N-` or `bytes=N-M`.
fn parse_range(value: &str) -> Option<(u64, Option<u64>)> {
	let (start, end) = value.strip_prefix("bytes=")?.split_once('-')?;
	let start = start.trim().parse().ok()?;
	let end = match end.trim() {
		"" => None,
		e => Some(e.parse().ok()?),
	};
	Some((start, end))
}

async fn respond(
	stream: &mut TcpStream,
	status: &str,
	headers: &[String],
	body: &[u8],
) -> io::Result<()> {
	let head = format!(
		"HTTP/1.1 {status}\r\nConnection: close\r\nContent-Length: {}\r\n{}\r\n",
		body.len(),
		headers.iter().map(|h| format!("{h}\r\n")).collect::<String>()
	);
	stream.write_all(head.as_bytes()).await?;
	stream.write_all(body).await?;
	stream.shutdown().await
}
