//! The model server over real loopback HTTP: what it serves and what it refuses.

mod common;

use std::{
	net::{IpAddr, SocketAddr},
	sync::Arc,
	time::Duration,
};

use bytes::Bytes;
use common::{
	node::{get, get_response, serve_config, ServingNode},
	sha256, test_data,
};
use http_body_util::{BodyExt, Empty};
use hyper::{
	header::{CONTENT_RANGE, RANGE, RETRY_AFTER},
	Request, StatusCode,
};
use hyper_util::{
	client::legacy::{connect::HttpConnector, Client},
	rt::TokioExecutor,
};
use modelnet_offchain_worker::{Availability, PieceBitmap, ServeConfig};
use tokio::{
	io::{AsyncReadExt, AsyncWriteExt},
	net::{TcpSocket, TcpStream},
	time::timeout,
};

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
	let config = ServeConfig {
		per_peer_concurrency: 1,
		upload_limit: Some(MIB as u64),
		unlimited: vec![],
		..serve_config()
	};
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

/// A connection from `from` (a loopback address) to `node` with a small receive buffer, so
/// that a response it does not read soon fills the sockets.
async fn connect_from(from: &str, node: &ServingNode) -> TcpStream {
	let socket = TcpSocket::new_v4().unwrap();
	socket.set_recv_buffer_size(4096).unwrap();
	socket.bind(SocketAddr::new(from.parse().unwrap(), 0)).unwrap();
	socket.connect(node.addr).await.unwrap()
}

/// Sends `GET path` on `stream`; a connection the server closed already may refuse it.
async fn send_get(stream: &mut TcpStream, path: &str) {
	let request = format!("GET {path} HTTP/1.1\r\nHost: modelnet\r\n\r\n");
	let _ = stream.write_all(request.as_bytes()).await;
}

/// Reads a response head: its status code, `None` if the connection closes first (within 5 s).
async fn read_status(stream: &mut TcpStream) -> Option<u16> {
	let read = async {
		let mut head = Vec::new();
		let mut byte = [0u8; 1];
		while !head.ends_with(b"\r\n\r\n") {
			match stream.read(&mut byte).await {
				Ok(1) => head.push(byte[0]),
				_ => return None,
			}
		}
		let head = String::from_utf8(head).ok()?;
		head.split(' ').nth(1)?.parse().ok()
	};
	timeout(Duration::from_secs(5), read).await.expect("a response or a closed connection")
}

/// Bytes `stream` still receives until the server closes it (within 5 s).
async fn read_until_closed(stream: &mut TcpStream) -> usize {
	let read = async {
		let mut buf = vec![0u8; 64 * 1024];
		let mut total = 0;
		while let Ok(n @ 1..) = stream.read(&mut buf).await {
			total += n;
		}
		total
	};
	timeout(Duration::from_secs(5), read).await.expect("the server closes the connection")
}

/// `GET url` for the first 100 bytes from the loopback address `from`, with these headers:
/// status and `Retry-After`.
async fn request_from(
	from: &str,
	url: &str,
	headers: &[(&str, &str)],
) -> (StatusCode, Option<String>) {
	let mut connector = HttpConnector::new();
	connector.set_local_address(Some(from.parse::<IpAddr>().unwrap()));
	let client = Client::builder(TokioExecutor::new()).build::<_, Empty<Bytes>>(connector);
	let mut request = Request::get(url).header(RANGE, "bytes=0-99");
	for (name, value) in headers {
		request = request.header(*name, *value);
	}
	let response = client.request(request.body(Empty::new()).unwrap()).await.unwrap();
	let status = response.status();
	let retry = response.headers().get(RETRY_AFTER).map(|v| v.to_str().unwrap().to_owned());
	response.into_body().collect().await.unwrap();
	(status, retry)
}

#[tokio::test]
async fn readers_that_never_read_are_cut_off_and_an_honest_peer_is_served() {
	let data = test_data(12 * MIB, 36);
	let model = sha256(&data);
	let config = ServeConfig {
		max_connections: 2,
		write_timeout: Duration::from_millis(300),
		..serve_config()
	};
	let node = ServingNode::holding(&data, config).await;
	let path = format!("/v1/models/{}", hex::encode(model));
	// Every connection the server has is taken by a client that asks for the whole file and
	// reads nothing of it.
	let mut hogs = Vec::new();
	for _ in 0..2 {
		let mut hog = connect_from("127.0.0.1", &node).await;
		send_get(&mut hog, &path).await;
		assert_eq!(read_status(&mut hog).await, Some(200));
		hogs.push(hog);
	}
	let url = node.model_url(&model);
	let honest = timeout(Duration::from_secs(5), get(&url, Some("bytes=0-99")));
	let (status, _, body) = honest.await.expect("an honest peer is served");
	assert_eq!(status, StatusCode::PARTIAL_CONTENT);
	assert_eq!(body, data[..100]);
	// The readers were cut off: what they can still read ends short of the file.
	for mut hog in hogs {
		assert!(read_until_closed(&mut hog).await < data.len());
	}
}

#[tokio::test]
async fn a_client_that_never_finishes_its_headers_is_cut_off() {
	let config = ServeConfig { header_timeout: Duration::from_millis(300), ..serve_config() };
	let node = ServingNode::start(config, Arc::new(Availability::new())).await;
	let mut slow = connect_from("127.0.0.2", &node).await;
	slow.write_all(b"GET /v1/models/00 HTTP/1.1\r\nHost: mod").await.unwrap();
	let mut idle = connect_from("127.0.0.2", &node).await;
	read_until_closed(&mut slow).await;
	read_until_closed(&mut idle).await;
}

#[tokio::test]
async fn connections_per_ip_are_capped_at_accept() {
	let data = test_data(MIB, 37);
	let model = sha256(&data);
	let config = ServeConfig { per_ip_connections: 2, ..serve_config() };
	let node = ServingNode::holding(&data, config).await;
	let path = format!("/v1/models/{}/pieces", hex::encode(model));
	let mut held = Vec::new();
	for _ in 0..2 {
		let mut connection = connect_from("127.0.0.2", &node).await;
		send_get(&mut connection, &path).await;
		assert_eq!(read_status(&mut connection).await, Some(200));
		held.push(connection);
	}
	// A third connection from the same address is closed without an answer.
	let mut third = connect_from("127.0.0.2", &node).await;
	send_get(&mut third, &path).await;
	assert_eq!(read_status(&mut third).await, None);
	// Other addresses are served meanwhile.
	let mut other = connect_from("127.0.0.3", &node).await;
	send_get(&mut other, &path).await;
	assert_eq!(read_status(&mut other).await, Some(200));
	assert_eq!(
		get(&node.model_url(&model), Some("bytes=0-9")).await.0,
		StatusCode::PARTIAL_CONTENT
	);
	// Once its connections close, the address is served again.
	drop(held);
	let mut served = None;
	for _ in 0..50 {
		let mut again = connect_from("127.0.0.2", &node).await;
		send_get(&mut again, &path).await;
		served = read_status(&mut again).await;
		if served.is_some() {
			break;
		}
		tokio::time::sleep(Duration::from_millis(20)).await;
	}
	assert_eq!(served, Some(200));
}

#[tokio::test]
async fn requests_over_the_rate_are_answered_429() {
	let data = test_data(MIB, 38);
	let model = sha256(&data);
	let config = ServeConfig {
		requests_per_second: 1,
		request_burst: 3,
		unlimited: vec![],
		..serve_config()
	};
	let node = ServingNode::holding(&data, config).await;
	let url = node.model_url(&model);
	for _ in 0..3 {
		assert_eq!(request_from("127.0.0.1", &url, &[]).await.0, StatusCode::PARTIAL_CONTENT);
	}
	let (status, retry) = request_from("127.0.0.1", &url, &[]).await;
	assert_eq!(status, StatusCode::TOO_MANY_REQUESTS);
	assert_eq!(retry.as_deref(), Some("1"));
	// Any request counts, not only those served.
	let missing = node.model_url(&[9u8; 32]);
	assert_eq!(request_from("127.0.0.1", &missing, &[]).await.0, StatusCode::TOO_MANY_REQUESTS);
	// Another peer has its own rate.
	assert_eq!(request_from("127.0.0.2", &url, &[]).await.0, StatusCode::PARTIAL_CONTENT);
	// After the wait it was told, the peer is served again.
	tokio::time::sleep(Duration::from_secs(1)).await;
	assert_eq!(request_from("127.0.0.1", &url, &[]).await.0, StatusCode::PARTIAL_CONTENT);
}

#[tokio::test]
async fn behind_a_trusted_proxy_the_forwarded_client_is_the_peer() {
	let data = test_data(MIB, 39);
	let model = sha256(&data);
	let config = ServeConfig {
		trusted_proxies: vec!["127.0.0.1".parse().unwrap()],
		requests_per_second: 1,
		request_burst: 1,
		per_ip_connections: 2,
		unlimited: vec![],
		..serve_config()
	};
	let node = ServingNode::holding(&data, config).await;
	let url = node.model_url(&model);
	// The proxy carries many clients: its connections are not capped per IP.
	let mut idle = Vec::new();
	for _ in 0..3 {
		idle.push(connect_from("127.0.0.1", &node).await);
	}
	let via_proxy = |client: &'static str| [("x-forwarded-for", client)];
	let proxied = |client| {
		let url = url.clone();
		async move { request_from("127.0.0.1", &url, &via_proxy(client)).await.0 }
	};
	assert_eq!(proxied("203.0.113.7").await, StatusCode::PARTIAL_CONTENT);
	assert_eq!(proxied("203.0.113.7").await, StatusCode::TOO_MANY_REQUESTS);
	assert_eq!(proxied("203.0.113.8").await, StatusCode::PARTIAL_CONTENT);
	// The right-most address is the one the proxy saw; what the client wrote before it is
	// not believed.
	assert_eq!(proxied("203.0.113.7, 203.0.113.9").await, StatusCode::PARTIAL_CONTENT);
	assert_eq!(proxied("198.51.100.1, 203.0.113.9").await, StatusCode::TOO_MANY_REQUESTS);
	// A malformed header: the request is the proxy's own.
	assert_eq!(proxied("not an address").await, StatusCode::PARTIAL_CONTENT);
	assert_eq!(proxied("203.0.113.10, ?").await, StatusCode::TOO_MANY_REQUESTS);
	// From anyone else the header is ignored.
	let untrusted = |client: &'static str| {
		let url = url.clone();
		async move { request_from("127.0.0.2", &url, &via_proxy(client)).await.0 }
	};
	assert_eq!(untrusted("203.0.113.20").await, StatusCode::PARTIAL_CONTENT);
	assert_eq!(untrusted("203.0.113.21").await, StatusCode::TOO_MANY_REQUESTS);
}
