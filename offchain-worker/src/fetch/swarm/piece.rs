//! One piece over HTTP: a ranged request, written in place into the partial file while its
//! leaf hash is computed, then checked against the manifest.

use std::{
	io::SeekFrom,
	path::PathBuf,
	sync::{
		atomic::{AtomicU64, Ordering},
		Arc,
	},
	time::Instant,
};

use bytes::Bytes;
use http_body_util::BodyExt;
use hyper::{body::Incoming, HeaderMap, StatusCode};
use sha2::{Digest, Sha256};
use tokio::io::{AsyncSeekExt, AsyncWriteExt};

use super::super::{
	address::is_network_failure,
	floor::RateFloor,
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
	/// The sender answered a range request with the whole file (`200`).
	NoRanges,
}

/// Classifies an error status (anything but `200` / `206`) like the whole-file download.
pub(super) fn status_error(url: &str, status: StatusCode, headers: &HeaderMap) -> PieceError {
	if status.is_server_error()
		|| status == StatusCode::TOO_MANY_REQUESTS
		|| status == StatusCode::REQUEST_TIMEOUT
	{
		let error = FetchError::SourceUnavailable(format!("{url}: HTTP {status}"));
		let throttled =
			status == StatusCode::TOO_MANY_REQUESTS || status == StatusCode::SERVICE_UNAVAILABLE;
		return PieceError::Attempt(match retry_after(headers).filter(|_| throttled) {
			Some(after) => AttemptError::Throttled(error, after),
			None => AttemptError::Retry(error),
		});
	}
	PieceError::Attempt(AttemptError::Source(FetchError::SourceUnavailable(format!(
		"{url}: HTTP {status}"
	))))
}

/// The next bytes of a body; `None` at its end. Fails when the sender falls below the
/// transfer's rate floor.
pub(super) async fn next_data(
	body: &mut Incoming,
	config: &FetchConfig,
	floor: &mut RateFloor,
	url: &str,
) -> Result<Option<Bytes>, PieceError> {
	loop {
		let wait = floor.wait(config.read_timeout, Instant::now());
		let frame = match tokio::time::timeout(wait, body.frame()).await {
			Err(_) if wait >= config.read_timeout => {
				return Err(PieceError::Attempt(AttemptError::Retry(
					FetchError::NetworkUnreachable(format!(
						"{url}: no data for {:?}",
						config.read_timeout
					)),
				)))
			}
			Err(_) => {
				floor.check(0, Instant::now()).map_err(|e| too_slow(url, e))?;
				continue;
			}
			Ok(None) => return Ok(None),
			Ok(Some(Err(e))) => {
				let detail = format!("{url}: connection lost: {}", describe(&e));
				return Err(PieceError::Attempt(AttemptError::Retry(if is_network_failure(&e) {
					FetchError::NetworkUnreachable(detail)
				} else {
					FetchError::SourceUnavailable(detail)
				})));
			}
			Ok(Some(Ok(frame))) => frame,
		};
		if let Ok(data) = frame.into_data() {
			floor.check(data.len() as u64, Instant::now()).map_err(|e| too_slow(url, e))?;
			return Ok(Some(data));
		}
	}
}

/// A sender below the rate floor: it did not deliver what it was asked for, so the piece
/// goes elsewhere (a source is blamed for it only if nothing else delivers).
fn too_slow(url: &str, detail: String) -> PieceError {
	PieceError::Attempt(AttemptError::Retry(FetchError::SourceUnavailable(format!(
		"{url}: too slow: {detail}"
	))))
}

/// A local I/O failure while writing pieces.
pub(super) fn fatal(e: std::io::Error) -> PieceError {
	PieceError::Attempt(AttemptError::Fatal(FetchError::local_io("writing a piece", e)))
}

/// Fetches one piece into the partial file, within a total time limit derived from the rate
/// floor. `received` counts body bytes as they arrive. On `Ok` the piece's bytes are durable
/// on disk (its bit may be set).
pub(super) async fn fetch_piece(
	client: HttpClient,
	config: Arc<FetchConfig>,
	req: PieceRequest,
	received: Arc<AtomicU64>,
) -> Result<(), PieceError> {
	let slack = config.connect_timeout.saturating_add(config.read_timeout);
	let Some(limit) = RateFloor::total_deadline(&config, req.len, slack) else {
		return fetch_piece_unlimited(client, config, req, received).await;
	};
	let url = req.url.clone();
	match tokio::time::timeout(limit, fetch_piece_unlimited(client, config, req, received)).await {
		Ok(result) => result,
		Err(_) => Err(too_slow(&url, format!("not delivered within {limit:?}"))),
	}
}

async fn fetch_piece_unlimited(
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
			// The whole file: fine for the first piece (cut at its end), not for the others.
			if req.offset > 0 {
				return Err(PieceError::NoRanges);
			}
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
		s => return Err(status_error(&req.url, s, headers)),
	}
	let mut file =
		tokio::fs::OpenOptions::new().write(true).open(&req.path).await.map_err(fatal)?;
	file.seek(SeekFrom::Start(req.offset)).await.map_err(fatal)?;
	let mut hasher = Sha256::new();
	hasher.update([0u8]);
	let mut got = 0u64;
	let mut buf = Vec::with_capacity(CHUNK);
	let mut body = response.into_body();
	let mut floor = RateFloor::new(&config);
	while got < req.len {
		let Some(data) = next_data(&mut body, &config, &mut floor, &req.url).await? else {
			break;
		};
		received.fetch_add(data.len() as u64, Ordering::Relaxed);
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
	// The caller sets the piece's bit next: its bytes must survive a power loss first, or a
	// restarted node would serve whatever the disk held behind a bit that says "verified".
	if config.sync_on_complete {
		file.sync_data().await.map_err(fatal)?;
	}
	Ok(())
}
