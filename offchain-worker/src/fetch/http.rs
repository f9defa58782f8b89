//! HTTP(S) client plumbing: connector, requests with `Range`, redirects, headers.

use std::time::Duration;

use bytes::Bytes;
use http_body_util::Empty;
use hyper::{
	body::Incoming,
	header::{ACCEPT_ENCODING, CONTENT_LENGTH, CONTENT_RANGE, LOCATION, RANGE, USER_AGENT},
	http::uri::{PathAndQuery, Scheme},
	HeaderMap, Request, Response, Uri,
};
use hyper_rustls::HttpsConnector;
use hyper_util::{
	client::legacy::{connect::HttpConnector, Client},
	rt::TokioExecutor,
};

use super::{AttemptError, FetchConfig};
use crate::error::FetchError;

/// The HTTP(S) client type used by the fetcher.
pub(super) type HttpClient = Client<HttpsConnector<HttpConnector>, Empty<Bytes>>;

/// Builds an HTTP/1.1 client for `http://` and `https://` (rustls, ring, webpki roots).
pub(super) fn build_client(config: &FetchConfig) -> Result<HttpClient, FetchError> {
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
		.wrap_connector(http);
	Ok(Client::builder(TokioExecutor::new())
		.pool_idle_timeout(Duration::from_secs(30))
		.pool_max_idle_per_host(2)
		.build(https))
}

/// Sends `GET url` asking for the bytes from `offset` on, following redirects.
pub(super) async fn get(
	client: &HttpClient,
	config: &FetchConfig,
	url: &str,
	offset: u64,
) -> Result<Response<Incoming>, AttemptError> {
	let mut uri: Uri = url.parse().map_err(|e| {
		AttemptError::Source(FetchError::SourceUnavailable(format!("invalid URL {url}: {e}")))
	})?;
	for _ in 0..=config.max_redirects {
		let scheme = uri.scheme();
		if scheme != Some(&Scheme::HTTP) && scheme != Some(&Scheme::HTTPS) {
			return Err(AttemptError::Source(FetchError::SourceUnavailable(format!(
				"unsupported URL {uri} (http or https only)"
			))));
		}
		let mut request = Request::get(uri.clone())
			.header(USER_AGENT, concat!("modelnet-node/", env!("CARGO_PKG_VERSION")))
			.header(ACCEPT_ENCODING, "identity");
		if offset > 0 {
			request = request.header(RANGE, format!("bytes={offset}-"));
		}
		let request = request
			.body(Empty::new())
			.map_err(|e| AttemptError::Source(FetchError::SourceUnavailable(e.to_string())))?;
		let wait = config.connect_timeout + config.read_timeout;
		let response = match tokio::time::timeout(wait, client.request(request)).await {
			Err(_) => {
				return Err(AttemptError::Retry(FetchError::SourceUnavailable(format!(
					"{uri}: no response within {wait:?}"
				))))
			}
			Ok(Err(e)) => {
				return Err(AttemptError::Retry(FetchError::SourceUnavailable(format!(
					"{uri}: {}",
					describe(&e)
				))))
			}
			Ok(Ok(response)) => response,
		};
		let location = response.headers().get(LOCATION).and_then(|l| l.to_str().ok());
		match (response.status().is_redirection(), location) {
			(true, Some(location)) => {
				let next = resolve(&uri, location).ok_or_else(|| {
					AttemptError::Source(FetchError::SourceUnavailable(format!(
						"{uri}: bad redirect to {location}"
					)))
				})?;
				log::debug!(target: "modelnet", "{uri} redirects to {next}");
				uri = next;
			}
			_ => return Ok(response),
		}
	}
	Err(AttemptError::Source(FetchError::SourceUnavailable(format!(
		"{url}: more than {} redirects",
		config.max_redirects
	))))
}

/// Resolves a `Location` header against the URI that returned it.
fn resolve(base: &Uri, location: &str) -> Option<Uri> {
	let parsed: Uri = location.parse().ok()?;
	if parsed.scheme().is_some() {
		return Some(parsed);
	}
	let path_and_query = if location.starts_with('/') {
		location.to_string()
	} else {
		let base_path = base.path();
		let dir = &base_path[..base_path.rfind('/').map_or(0, |i| i + 1)];
		format!("{}{location}", if dir.is_empty() { "/" } else { dir })
	};
	Uri::builder()
		.scheme(base.scheme()?.clone())
		.authority(base.authority()?.clone())
		.path_and_query(path_and_query.parse::<PathAndQuery>().ok()?)
		.build()
		.ok()
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
	fn resolves_redirects() {
		let base: Uri = "https://hf.example/org/model/resolve/main/w.bin".parse().unwrap();
		assert_eq!(
			resolve(&base, "https://cdn.example/x?sig=1").unwrap().to_string(),
			"https://cdn.example/x?sig=1"
		);
		assert_eq!(resolve(&base, "/y/z").unwrap().to_string(), "https://hf.example/y/z");
		assert_eq!(
			resolve(&base, "other.bin").unwrap().to_string(),
			"https://hf.example/org/model/resolve/main/other.bin"
		);
	}
}
