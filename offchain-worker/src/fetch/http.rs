//! HTTP(S) client plumbing: connector, requests with `Range`, redirects, headers.

use std::time::{Duration, SystemTime};

use bytes::Bytes;
use http_body_util::Empty;
use hyper::{
	body::Incoming,
	header::{
		ACCEPT_ENCODING, CONTENT_LENGTH, CONTENT_RANGE, LOCATION, RANGE, RETRY_AFTER, USER_AGENT,
	},
	HeaderMap, Request, Response, Uri,
};
use hyper_rustls::HttpsConnector;
use hyper_util::{
	client::legacy::{connect::HttpConnector, Client},
	rt::TokioExecutor,
};
use url::Url;

use super::{
	address::{find_forbidden, is_network_failure, AddressPolicy, GuardedConnector},
	AttemptError, FetchConfig,
};
use crate::error::FetchError;

/// The HTTP(S) client type used by the fetcher.
pub(super) type HttpClient = Client<HttpsConnector<GuardedConnector>, Empty<Bytes>>;

/// Builds an HTTP/1.1 client for `http://` and `https://` (rustls, ring, webpki roots)
/// that only connects to addresses `policy` allows.
pub(super) fn build_client(
	config: &FetchConfig,
	policy: AddressPolicy,
) -> Result<HttpClient, FetchError> {
	let mut http = HttpConnector::new();
	http.enforce_http(false);
	http.set_nodelay(true);
	http.set_connect_timeout(Some(config.connect_timeout));
	http.set_recv_buffer_size(config.recv_buffer_size);
	let https = hyper_rustls::HttpsConnectorBuilder::new()
		.with_provider_and_webpki_roots(rustls::crypto::ring::default_provider())
		.map_err(|e| FetchError::Other(format!("TLS set-up failed: {e}")))?
		.https_or_http()
		.enable_http1()
		.wrap_connector(GuardedConnector::new(http, policy));
	Ok(Client::builder(TokioExecutor::new())
		// Below the piece server's header timeout (30 s), so that a pooled connection is not
		// closed by the server just as it is reused.
		.pool_idle_timeout(Duration::from_secs(25))
		.pool_max_idle_per_host(2)
		.build(https))
}

/// Parses a source URL or redirect target; only `http` and `https` are accepted.
fn parse_http_url(url: Url) -> Result<(Url, Uri), AttemptError> {
	if !matches!(url.scheme(), "http" | "https") || url.host().is_none() {
		return Err(AttemptError::Source(FetchError::UnsupportedUrl(url.to_string())));
	}
	let mut url = url;
	url.set_fragment(None);
	let uri = url.as_str().parse::<Uri>().map_err(|e| {
		AttemptError::Source(FetchError::SourceUnavailable(format!("invalid URL {url}: {e}")))
	})?;
	Ok((url, uri))
}

/// Sends `GET url` asking for the bytes from `offset` on, following redirects.
pub(super) async fn get(
	client: &HttpClient,
	config: &FetchConfig,
	url: &str,
	offset: u64,
) -> Result<Response<Incoming>, AttemptError> {
	let range = (offset > 0).then(|| format!("bytes={offset}-"));
	get_with_range(client, config, url, range).await
}

/// Sends `GET url` for the bytes `start..=end`, following redirects.
pub(super) async fn get_range(
	client: &HttpClient,
	config: &FetchConfig,
	url: &str,
	start: u64,
	end: u64,
) -> Result<Response<Incoming>, AttemptError> {
	get_with_range(client, config, url, Some(format!("bytes={start}-{end}"))).await
}

/// Sends `GET url` with an optional `Range` header, following redirects.
async fn get_with_range(
	client: &HttpClient,
	config: &FetchConfig,
	url: &str,
	range: Option<String>,
) -> Result<Response<Incoming>, AttemptError> {
	let parsed = Url::parse(url).map_err(|e| {
		AttemptError::Source(FetchError::SourceUnavailable(format!("invalid URL {url}: {e}")))
	})?;
	let (mut current, mut uri) = parse_http_url(parsed)?;
	for _ in 0..=config.max_redirects {
		let mut request = Request::get(uri.clone())
			.header(USER_AGENT, concat!("modelnet-node/", env!("CARGO_PKG_VERSION")))
			.header(ACCEPT_ENCODING, "identity");
		if let Some(range) = &range {
			request = request.header(RANGE, range.as_str());
		}
		let request = request
			.body(Empty::new())
			.map_err(|e| AttemptError::Source(FetchError::SourceUnavailable(e.to_string())))?;
		let wait = config.connect_timeout + config.read_timeout;
		let response = match tokio::time::timeout(wait, client.request(request)).await {
			Err(_) => {
				return Err(AttemptError::Retry(FetchError::NetworkUnreachable(format!(
					"{uri}: no response within {wait:?}"
				))))
			}
			Ok(Err(e)) => return Err(request_error(&current, &e)),
			Ok(Ok(response)) => response,
		};
		let location = response.headers().get(LOCATION).and_then(|l| l.to_str().ok());
		match (response.status().is_redirection(), location) {
			(true, Some(location)) => {
				let next = current.join(location).map_err(|e| {
					AttemptError::Source(FetchError::SourceUnavailable(format!(
						"{current}: bad redirect to {location}: {e}"
					)))
				})?;
				log::debug!(target: "modelnet", "{current} redirects to {next}");
				(current, uri) = parse_http_url(next)?;
			}
			_ => return Ok(response),
		}
	}
	Err(AttemptError::Source(FetchError::SourceUnavailable(format!(
		"{url}: more than {} redirects",
		config.max_redirects
	))))
}

/// Classifies a failed request: a refused address is the source's fault, a DNS,
/// connect or reset failure may be the node's network, anything else (TLS, protocol
/// errors) comes from the server and is retried.
fn request_error(url: &Url, err: &hyper_util::client::legacy::Error) -> AttemptError {
	if let Some(forbidden) = find_forbidden(err) {
		return AttemptError::Source(FetchError::ForbiddenAddress {
			url: url.to_string(),
			host: forbidden.host.clone(),
			addr: forbidden.addr,
		});
	}
	let detail = format!("{url}: {}", describe(err));
	if is_network_failure(err) {
		AttemptError::Retry(FetchError::NetworkUnreachable(detail))
	} else {
		AttemptError::Retry(FetchError::SourceUnavailable(detail))
	}
}

/// Longest delay taken from a `Retry-After` header. The header comes from a server this node
/// does not trust: a larger value (up to `u64::MAX` seconds) is cut to this one, so that no
/// instant computed from it can overflow and no source can park a download for days.
pub(super) const MAX_RETRY_AFTER: Duration = Duration::from_secs(3600);

/// The response's `Retry-After`, in seconds or as an HTTP date, as a delay from now, at most
/// [`MAX_RETRY_AFTER`].
pub(super) fn retry_after(headers: &HeaderMap) -> Option<Duration> {
	let value = headers.get(RETRY_AFTER)?.to_str().ok()?.trim();
	let delay = match value.parse::<u64>() {
		Ok(seconds) => Duration::from_secs(seconds),
		Err(_) => {
			let at = httpdate::parse_http_date(value).ok()?;
			at.duration_since(SystemTime::now()).unwrap_or(Duration::ZERO)
		}
	};
	Some(delay.min(MAX_RETRY_AFTER))
}

/// A parsed `Content-Range` header: `bytes START-END/TOTAL` or `bytes */TOTAL`.
#[derive(Debug, PartialEq, Eq)]
pub(super) struct ContentRange {
	/// First byte of the body, if given.
	pub start: Option<u64>,
	/// Full size of the resource, if known.
	pub total: Option<u64>,
}

/// Parses the response's `Content-Range` header.
pub(super) fn content_range(headers: &HeaderMap) -> Option<ContentRange> {
	let value = headers.get(CONTENT_RANGE)?.to_str().ok()?.trim();
	let rest = value.strip_prefix("bytes")?.trim_start();
	let (range, total) = rest.split_once('/')?;
	let total = match total.trim() {
		"*" => None,
		t => Some(t.parse().ok()?),
	};
	let start = match range.trim() {
		"*" => None,
		r => Some(r.split_once('-')?.0.trim().parse().ok()?),
	};
	Some(ContentRange { start, total })
}

/// The response's `Content-Length`, if present and valid.
pub(super) fn content_length(headers: &HeaderMap) -> Option<u64> {
	headers.get(CONTENT_LENGTH)?.to_str().ok()?.trim().parse().ok()
}

/// Formats an error with its chain of sources.
pub(super) fn describe(err: &dyn std::error::Error) -> String {
	let mut text = err.to_string();
	let mut source = err.source();
	while let Some(inner) = source {
		text.push_str(": ");
		text.push_str(&inner.to_string());
		source = inner.source();
	}
	text
}

#[cfg(test)]
mod tests {
	use super::*;
	use hyper::header::HeaderValue;

	#[test]
	fn parses_content_range() {
		let mut headers = HeaderMap::new();
		headers.insert(CONTENT_RANGE, HeaderValue::from_static("bytes 100-199/1000"));
		assert_eq!(
			content_range(&headers),
			Some(ContentRange { start: Some(100), total: Some(1000) })
		);
		headers.insert(CONTENT_RANGE, HeaderValue::from_static("bytes */1000"));
		assert_eq!(content_range(&headers), Some(ContentRange { start: None, total: Some(1000) }));
		headers.insert(CONTENT_RANGE, HeaderValue::from_static("bytes 5-9/*"));
		assert_eq!(content_range(&headers), Some(ContentRange { start: Some(5), total: None }));
		headers.insert(CONTENT_RANGE, HeaderValue::from_static("items 1-2/3"));
		assert_eq!(content_range(&headers), None);
	}

	#[test]
	fn parses_retry_after() {
		let mut headers = HeaderMap::new();
		assert_eq!(retry_after(&headers), None);
		headers.insert(RETRY_AFTER, HeaderValue::from_static("120"));
		assert_eq!(retry_after(&headers), Some(Duration::from_secs(120)));
		headers.insert(RETRY_AFTER, HeaderValue::from_static("Wed, 21 Oct 2015 07:28:00 GMT"));
		assert_eq!(retry_after(&headers), Some(Duration::ZERO));
		let later = SystemTime::now() + Duration::from_secs(3600);
		let date = httpdate::fmt_http_date(later);
		headers.insert(RETRY_AFTER, HeaderValue::from_str(&date).unwrap());
		let delay = retry_after(&headers).unwrap();
		assert!(delay > Duration::from_secs(3000) && delay <= Duration::from_secs(3600));
		headers.insert(RETRY_AFTER, HeaderValue::from_static("soon"));
		assert_eq!(retry_after(&headers), None);
	}

	#[test]
	fn retry_after_is_capped() {
		let mut headers = HeaderMap::new();
		for huge in ["18446744073709551615", "9999999999", "Fri, 31 Dec 9999 23:59:59 GMT"] {
			headers.insert(RETRY_AFTER, HeaderValue::from_static(huge));
			assert_eq!(retry_after(&headers), Some(MAX_RETRY_AFTER), "{huge}");
		}
		// Too large for a u64: not a number of seconds, not a date.
		headers.insert(RETRY_AFTER, HeaderValue::from_static("184467440737095516150"));
		assert_eq!(retry_after(&headers), None);
	}

	/// Any bytes a server may send as a header value.
	fn header_value() -> impl proptest::strategy::Strategy<Value = HeaderValue> {
		use proptest::prelude::*;
		prop_oneof![
			proptest::collection::vec(any::<u8>(), 0..64),
			"[ 0-9a-zA-Z*/,:-]{0,48}".prop_map(String::into_bytes),
			(any::<u64>(), any::<u64>(), any::<u64>())
				.prop_map(|(a, b, c)| format!("bytes {a}-{b}/{c}").into_bytes()),
		]
		// Control characters cannot be in a header value (hyper refuses them before the fetcher
		// sees the header): they become spaces, so every case is a value and none is rejected.
		.prop_map(|bytes| {
			let visible: Vec<u8> = bytes
				.into_iter()
				.map(|b| if (b < 0x20 && b != b'\t') || b == 0x7f { b' ' } else { b })
				.collect();
			HeaderValue::from_bytes(&visible).expect("visible bytes make a header value")
		})
	}

	proptest::proptest! {
		/// The header parsers take any value without panicking, and what they return is
		/// bounded: a `Retry-After` never exceeds [`MAX_RETRY_AFTER`], so adding it to an
		/// instant cannot overflow.
		#[test]
		fn header_parsers_take_any_value(value in header_value()) {
			let mut headers = HeaderMap::new();
			for name in [RETRY_AFTER, CONTENT_RANGE, CONTENT_LENGTH] {
				headers.insert(name, value.clone());
			}
			if let Some(delay) = retry_after(&headers) {
				proptest::prop_assert!(delay <= MAX_RETRY_AFTER);
				let _ = std::time::Instant::now() + delay;
			}
			let _ = content_range(&headers);
			let _ = content_length(&headers);
		}

		/// A redirect's `Location` is any string: joined to the current URL and parsed, it
		/// gives an HTTP(S) URL or an error, never a panic.
		#[test]
		fn redirect_targets_take_any_location(location in ".{0,80}") {
			let base = Url::parse("https://source.example/org/model.bin").unwrap();
			if let Ok(next) = base.join(&location) {
				if let Ok((url, _)) = parse_http_url(next) {
					proptest::prop_assert!(matches!(url.scheme(), "http" | "https"));
				}
			}
		}
	}

	#[test]
	fn only_http_urls_are_accepted() {
		for bad in ["file:///etc/passwd", "ftp://example.com/x", "gopher://h/", "data:,x"] {
			match parse_http_url(Url::parse(bad).unwrap()) {
				Err(AttemptError::Source(FetchError::UnsupportedUrl(u))) => {
					assert!(u.starts_with(&bad[..4]), "{u}")
				}
				other => panic!("{bad}: {other:?}"),
			}
		}
		let (url, uri) = parse_http_url(Url::parse("https://h.example/a#frag").unwrap()).unwrap();
		assert_eq!(url.as_str(), "https://h.example/a");
		assert_eq!(uri.to_string(), "https://h.example/a");
		// Odd IPv4 notations are normalised, so the address check sees the real address.
		let (url, _) = parse_http_url(Url::parse("http://0x7f.1:9944/").unwrap()).unwrap();
		assert_eq!(url.host_str(), Some("127.0.0.1"));
	}

	#[test]
	fn resolves_redirects_with_url_join() {
		let base = Url::parse("https://hf.example/org/model/resolve/main/w.bin").unwrap();
		let join = |l: &str| base.join(l).unwrap().to_string();
		assert_eq!(join("https://cdn.example/x?sig=1"), "https://cdn.example/x?sig=1");
		assert_eq!(join("/y/z"), "https://hf.example/y/z");
		assert_eq!(join("other.bin"), "https://hf.example/org/model/resolve/main/other.bin");
		assert_eq!(join("//cdn.example/p"), "https://cdn.example/p");
		assert_eq!(join("../x"), "https://hf.example/org/model/resolve/x");
	}
}
