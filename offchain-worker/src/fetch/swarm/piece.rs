//! One piece over HTTP: a ranged request, written in place into the partial file while its
//! leaf hash is computed, then checked against the manifest.

use std::{
	io::SeekFrom,
	path::PathBuf,
	sync::{
		atomic::{AtomicU64, Ordering},
		Arc,
	},
};

use http_body_util::BodyExt;
use hyper::StatusCode;
use sha2::{Digest, Sha256};
use tokio::io::{AsyncSeekExt, AsyncWriteExt};

use super::super::{
	address::is_network_failure,
	http::{self, content_range, describe, retry_after, HttpClient},
	AttemptError, FetchConfig, CHUNK,
};
use crate::{error::FetchError, pieces::Hash};

/// What to fetch, from where and where to put it.
pub(super) struct PieceRequest {
	/// First byte of the piece in the file.
	pub offset: u64,
	/// Length of the piece.
	pub len: u64,
	/// Expected leaf hash.
	pub leaf: Hash,
	/// Full URL of the file at the sender.
	pub url: String,
	/// Size of the whole file.
	pub size: u64,
	/// The partial file.
	pub path: PathBuf,
}

/// Why a piece did not arrive.
#[derive(Debug)]
pub(super) enum PieceError {
	/// The request failed (transport, HTTP status, local I/O) as classified for sources.
	Attempt(AttemptError),
	/// The sender delivered wrong bytes: a leaf mismatch or the wrong length.
	Bad(FetchError),
}

/// Fetches one piece into the partial file. `received` counts body bytes as they arrive.
pub(super) async fn fetch_piece(
	client: HttpClient,
	config: Arc<FetchConfig>,
	req: PieceRequest,
	received: Arc<AtomicU64>,
) -> Result<(), PieceError> {
	let end = req.offset + req.len - 1;
	let response = http::get_range(&client, &config, &req.url, req.offset, end)
		.await
		.map_err(PieceError::Attempt)?;
	let status = response.status();
	let headers = response.headers();
	let wrong_size =
		|detail: String| PieceError::Bad(FetchError::SizeMismatch { expected: req.size, detail });
	// Bytes of the body to skip before the piece starts (a sender that ignores `Range`).
	let mut skip = 0u64;
	match status {
		StatusCode::PARTIAL_CONTENT => {
			let range = content_range(headers);
			if let Some(total) = range.as_ref().and_then(|r| r.total) {
				if total != req.size {
					return Err(wrong_size(format!("has {total} bytes")));
				}
			}
			if range.and_then(|r| r.start) != Some(req.offset) {
				return Err(PieceError::Bad(FetchError::SourceUnavailable(format!(
					"{}: unexpected Content-Range for bytes {}-{end}",
					req.url, req.offset
				))));
			}
		}
		StatusCode::OK => {
			if let Some(len) = http::content_length(headers).filter(|len| *len != req.size) {
				return Err(wrong_size(format!("has {len} bytes")));
			}
			skip = req.offset;
		}
		StatusCode::RANGE_NOT_SATISFIABLE => {
			if let Some(total) = content_range(headers).and_then(|r| r.total) {
				if total != req.size {
					return Err(wrong_size(format!("has {total} bytes")));
				}
			}
			return Err(PieceError::Attempt(AttemptError::Retry(FetchError::SourceUnavailable(
				format!("{}: range {}-{end} not satisfiable", req.url, req.offset),
			))));
		}
		s if s.is_server_error()
			|| s == StatusCode::TOO_MANY_REQUESTS
			|| s == StatusCode::REQUEST_TIMEOUT =>
		{
			let error = FetchError::SourceUnavailable(format!("{}: HTTP {s}", req.url));
			let throttled =
				s == StatusCode::TOO_MANY_REQUESTS || s == StatusCode::SERVICE_UNAVAILABLE;
			return Err(PieceError::Attempt(match retry_after(headers).filter(|_| throttled) {
				Some(after) => AttemptError::Throttled(error, after),
				None => AttemptError::Retry(error),
			}));
		}
		s => {
			return Err(PieceError::Attempt(AttemptError::Source(FetchError::SourceUnavailable(
				format!("{}: HTTP {s}", req.url),
			))))
		}
	}
	let fatal = |e: std::io::Error| {
		PieceError::Attempt(AttemptError::Fatal(FetchError::local_io("writing a piece", e)))
	};
	let mut file =
		tokio::fs::OpenOptions::new().write(true).open(&req.path).await.map_err(fatal)?;
	file.seek(SeekFrom::Start(req.offset)).await.map_err(fatal)?;
	let mut hasher = Sha256::new();
	hasher.update([0u8]);
	let mut got = 0u64;
	let mut buf = Vec::with_capacity(CHUNK);
	let mut body = response.into_body();
	while got < req.len {
		let frame = match tokio::time::timeout(config.read_timeout, body.frame()).await {
			Err(_) => {
				return Err(PieceError::Attempt(AttemptError::Retry(
					FetchError::NetworkUnreachable(format!(
						"{}: no data for {:?}",
						req.url, config.read_timeout
					)),
				)))
			}
			Ok(None) => break,
			Ok(Some(Err(e))) => {
				let detail = format!("{}: connection lost: {}", req.url, describe(&e));
				return Err(PieceError::Attempt(AttemptError::Retry(if is_network_failure(&e) {
					FetchError::NetworkUnreachable(detail)
				} else {
					FetchError::SourceUnavailable(detail)
				})));
			}
			Ok(Some(Ok(frame))) => frame,
		};
		let Ok(mut data) = frame.into_data() else {
			continue;
		};
		received.fetch_add(data.len() as u64, Ordering::Relaxed);
		if skip > 0 {
			let n = skip.min(data.len() as u64);
			skip -= n;
			let _ = data.split_to(n as usize);
		}
		if status == StatusCode::PARTIAL_CONTENT && got + data.len() as u64 > req.len {
			return Err(wrong_size(format!("sent more than the {} bytes asked for", req.len)));
		}
		// A whole-file answer is cut at the end of the piece.
		let take = (req.len - got).min(data.len() as u64) as usize;
		hasher.update(&data[..take]);
		buf.extend_from_slice(&data[..take]);
		got += take as u64;
		if buf.len() >= CHUNK {
			file.write_all(&buf).await.map_err(fatal)?;
			buf.clear();
		}
	}
	if got < req.len {
		return Err(PieceError::Attempt(AttemptError::Retry(FetchError::SourceUnavailable(
			format!("{}: body ended after {got} of {} bytes", req.url, req.len),
		))));
	}
	file.write_all(&buf).await.map_err(fatal)?;
	file.flush().await.map_err(fatal)?;
	let leaf: Hash = hasher.finalize().into();
	if leaf != req.leaf {
		return Err(PieceError::Bad(FetchError::HashMismatch {
			expected: hex::encode(req.leaf),
			actual: hex::encode(leaf),
		}));
	}
	Ok(())
}
