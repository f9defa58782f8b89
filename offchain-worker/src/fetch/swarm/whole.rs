//! The whole-file pass, for a source that ignores `Range`: one request for the whole file,
//! writing and verifying every piece not verified yet and skipping the others.

use std::{
	io::SeekFrom,
	path::PathBuf,
	sync::{
		atomic::{AtomicU64, Ordering},
		Arc,
	},
};

use hyper::StatusCode;
use sha2::{Digest, Sha256};
use tokio::io::{AsyncSeekExt, AsyncWriteExt};

use super::{
	super::{
		floor::RateFloor,
		http::{self, HttpClient},
		AttemptError, FetchConfig, CHUNK,
	},
	piece::{fatal, next_data, status_error, PieceError},
};
use crate::{availability::PieceBitmap, error::FetchError, pieces};

/// What the pass needs.
pub(super) struct WholePass {
	/// URL of the source.
	pub url: String,
	/// Size of the file.
	pub size: u64,
	/// Leaf hash of every piece.
	pub leaves: Arc<Vec<pieces::Hash>>,
	/// Verified pieces; the pass marks the pieces it verifies.
	pub bitmap: Arc<PieceBitmap>,
	/// The partial file.
	pub path: PathBuf,
}

/// A piece being received.
struct Current {
	index: usize,
	offset: u64,
	len: u64,
	got: u64,
	/// Hash state while the piece is written; `None` if it is verified already (skipped).
	hasher: Option<Sha256>,
}

impl Current {
	fn new(pass: &WholePass, index: usize) -> Self {
		let (offset, len) = pieces::piece_range(pass.size, index as u64);
		let hasher = (!pass.bitmap.has(index)).then(|| {
			let mut hasher = Sha256::new();
			hasher.update([0u8]);
			hasher
		});
		Self { index, offset, len, got: 0, hasher }
	}
}

/// Downloads the whole file once. Pieces verified before an error stay verified.
pub(super) async fn fetch_whole(
	client: HttpClient,
	config: Arc<FetchConfig>,
	pass: WholePass,
	received: Arc<AtomicU64>,
) -> Result<(), PieceError> {
	let response = http::get(&client, &config, &pass.url, 0).await.map_err(PieceError::Attempt)?;
	let status = response.status();
	if status != StatusCode::OK {
		return Err(status_error(&pass.url, status, response.headers()));
	}
	if let Some(len) = http::content_length(response.headers()).filter(|len| *len != pass.size) {
		return Err(PieceError::Bad(FetchError::SizeMismatch {
			expected: pass.size,
			detail: format!("has {len} bytes"),
		}));
	}
	let mut file =
		tokio::fs::OpenOptions::new().write(true).open(&pass.path).await.map_err(fatal)?;
	let count = pass.bitmap.len();
	let mut body = response.into_body();
	let mut buf = Vec::with_capacity(CHUNK);
	let mut current = (count > 0).then(|| Current::new(&pass, 0));
	let mut floor = RateFloor::new(&config);
	while let Some(mut data) = next_data(&mut body, &config, &mut floor, &pass.url).await? {
		received.fetch_add(data.len() as u64, Ordering::Relaxed);
		while !data.is_empty() {
			let Some(piece) = current.as_mut() else {
				return Err(PieceError::Bad(FetchError::SizeMismatch {
					expected: pass.size,
					detail: format!("sent more than {} bytes", pass.size),
				}));
			};
			let take = (piece.len - piece.got).min(data.len() as u64) as usize;
			let part = data.split_to(take);
			if let Some(hasher) = piece.hasher.as_mut() {
				if piece.got == 0 {
					file.seek(SeekFrom::Start(piece.offset)).await.map_err(fatal)?;
				}
				hasher.update(&part);
				buf.extend_from_slice(&part);
				if buf.len() >= CHUNK {
					file.write_all(&buf).await.map_err(fatal)?;
					buf.clear();
				}
			}
			piece.got += take as u64;
			if piece.got < piece.len {
				continue;
			}
			if let Some(hasher) = piece.hasher.take() {
				file.write_all(&buf).await.map_err(fatal)?;
				buf.clear();
				file.flush().await.map_err(fatal)?;
				let leaf: pieces::Hash = hasher.finalize().into();
				if leaf != pass.leaves[piece.index] {
					return Err(PieceError::Bad(FetchError::HashMismatch {
						expected: hex::encode(pass.leaves[piece.index]),
						actual: hex::encode(leaf),
					}));
				}
				// Durable before its bit says "verified" (see `fetch_piece`).
				if config.sync_on_complete {
					file.sync_data().await.map_err(fatal)?;
				}
				pass.bitmap.set(piece.index, true).map_err(fatal)?;
			}
			let next = piece.index + 1;
			current = (next < count).then(|| Current::new(&pass, next));
		}
	}
	match current {
		None => Ok(()),
		Some(piece) => {
			Err(PieceError::Attempt(AttemptError::Retry(FetchError::SourceUnavailable(format!(
				"{}: body ended in piece {} of {count}",
				pass.url, piece.index
			)))))
		}
	}
}
