//! What this node may serve to other nodes: the allowed models and the verified pieces of
//! downloads in progress.
//!
//! The [`Fetcher`](crate::Fetcher) registers a [`PieceBitmap`] for every piece-wise
//! download and marks pieces as they verify; the model server
//! ([`serve`](crate::serve)) reads it to serve those pieces to other nominees before the
//! download completes. The coordinator sets the allowed models (what the chain says this
//! node holds or is nominated for) from every desired state.

use std::{
	collections::{HashMap, HashSet},
	fs::{File, OpenOptions},
	io::{self, Read},
	os::unix::fs::FileExt,
	path::{Path, PathBuf},
	sync::{
		atomic::{AtomicBool, AtomicU64, Ordering},
		Arc, Mutex, MutexGuard,
	},
};

use crate::{pieces, types::ModelId};

/// Verified pieces of one download in progress, shared between the downloader and the
/// model server, persisted one byte per piece (1 = verified) next to the partial file.
///
/// Every change is written and synced to disk ([`File::sync_data`]) before it is visible
/// in memory, so a bit read back after a crash or power loss was set by this node; the
/// piece's own bytes must be durable before its bit is set. A resumed download still
/// re-checks the pieces the bitmap marks (see `fetch::swarm::disk::prepare`).
pub struct PieceBitmap {
	size: u64,
	piece_size: u64,
	bits: Vec<AtomicBool>,
	done: AtomicU64,
	file: Option<File>,
	path: PathBuf,
}

impl PieceBitmap {
	/// A bitmap for a file of `size` bytes persisted at `path`: loads it if the file there
	/// has one byte per piece, else starts empty (and creates the file). Blocking.
	pub fn open(path: &Path, size: u64) -> io::Result<Self> {
		let count = usize::try_from(pieces::piece_count(size))
			.map_err(|_| io::Error::other("too many pieces"))?;
		let mut saved = Vec::new();
		if let Ok(mut file) = File::open(path) {
			file.read_to_end(&mut saved)?;
		}
		if saved.len() != count {
			saved = vec![0u8; count];
		}
		let file = OpenOptions::new().create(true).truncate(false).write(true).open(path)?;
		file.set_len(count as u64)?;
		file.write_all_at(&saved, 0)?;
		file.sync_data()?;
		let bitmap = Self::build(size, &saved, Some(file), path.to_path_buf());
		Ok(bitmap)
	}

	/// A bitmap kept in memory only (nothing persisted), with the pieces set in `bits`.
	pub fn in_memory(size: u64, bits: &[bool]) -> Self {
		let bytes: Vec<u8> = bits.iter().map(|b| u8::from(*b)).collect();
		Self::build(size, &bytes, None, PathBuf::new())
	}

	fn build(size: u64, saved: &[u8], file: Option<File>, path: PathBuf) -> Self {
		let count = usize::try_from(pieces::piece_count(size)).unwrap_or(0);
		let bits: Vec<AtomicBool> =
			(0..count).map(|i| AtomicBool::new(saved.get(i).is_some_and(|b| *b == 1))).collect();
		let done = bits.iter().filter(|b| b.load(Ordering::Relaxed)).count() as u64;
		Self {
			size,
			piece_size: pieces::piece_size(size),
			bits,
			done: AtomicU64::new(done),
			file,
			path,
		}
	}

	/// Size of the file in bytes.
	pub fn size(&self) -> u64 {
		self.size
	}

	/// Number of pieces.
	pub fn len(&self) -> usize {
		self.bits.len()
	}

	/// Whether the file has no piece (an empty file).
	pub fn is_empty(&self) -> bool {
		self.bits.is_empty()
	}

	/// Number of verified pieces.
	pub fn done(&self) -> u64 {
		self.done.load(Ordering::Acquire)
	}

	/// Whether piece `index` is verified.
	pub fn has(&self, index: usize) -> bool {
		self.bits.get(index).is_some_and(|b| b.load(Ordering::Acquire))
	}

	/// Marks piece `index` as verified (or not) and persists it durably (written and synced)
	/// before the model server can see it. Mark a piece only once its bytes are durable in
	/// the partial file (synced, not only flushed). On an error the bit is left unchanged
	/// in memory.
	pub fn set(&self, index: usize, verified: bool) -> io::Result<()> {
		let Some(bit) = self.bits.get(index) else {
			return Ok(());
		};
		if let Some(file) = &self.file {
			file.write_all_at(&[u8::from(verified)], index as u64)?;
			file.sync_data()?;
		}
		if bit.swap(verified, Ordering::AcqRel) != verified {
			if verified {
				self.done.fetch_add(1, Ordering::AcqRel);
			} else {
				self.done.fetch_sub(1, Ordering::AcqRel);
			}
		}
		Ok(())
	}

	/// One byte per piece: 1 if verified, else 0.
	pub fn to_bytes(&self) -> Vec<u8> {
		self.bits.iter().map(|b| u8::from(b.load(Ordering::Acquire))).collect()
	}

	/// Whether every piece overlapping the bytes `start..=end` is verified.
	pub fn covers(&self, start: u64, end: u64) -> bool {
		if start > end || end >= self.size {
			return false;
		}
		let (first, last) = (start / self.piece_size, end / self.piece_size);
		(first..=last).all(|i| usize::try_from(i).is_ok_and(|i| self.has(i)))
	}

	/// Where the bitmap is persisted (empty for an in-memory bitmap).
	pub fn path(&self) -> &Path {
		&self.path
	}
}

#[derive(Default)]
struct Inner {
	allowed: HashSet<ModelId>,
	partial: HashMap<ModelId, Arc<PieceBitmap>>,
}

/// What the node may serve. Cheap to share behind an [`Arc`].
#[derive(Default)]
pub struct Availability {
	inner: Mutex<Inner>,
}

impl Availability {
	/// Nothing allowed, no download in progress.
	pub fn new() -> Self {
		Self::default()
	}

	fn inner(&self) -> MutexGuard<'_, Inner> {
		self.inner.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
	}

	/// Replaces the models the node may serve (held ∪ nominated on chain).
	pub fn set_allowed(&self, models: impl IntoIterator<Item = ModelId>) {
		self.inner().allowed = models.into_iter().collect();
	}

	/// Whether the node may serve `model`.
	pub fn is_allowed(&self, model: &ModelId) -> bool {
		self.inner().allowed.contains(model)
	}

	/// Publishes the verified pieces of a download in progress.
	pub fn register(&self, model: ModelId, bitmap: Arc<PieceBitmap>) {
		self.inner().partial.insert(model, bitmap);
	}

	/// Withdraws a download's bitmap (finished, failed or cancelled).
	pub fn unregister(&self, model: &ModelId) {
		self.inner().partial.remove(model);
	}

	/// The bitmap of a download in progress.
	pub fn bitmap(&self, model: &ModelId) -> Option<Arc<PieceBitmap>> {
		self.inner().partial.get(model).cloned()
	}
}

#[cfg(test)]
mod tests {
	use super::*;

	const MIB: u64 = 1 << 20;

	#[test]
	fn persists_and_covers() {
		let dir = tempfile::tempdir().unwrap();
		let path = dir.path().join("m.pieces");
		let size = 10 * MIB;
		let bitmap = PieceBitmap::open(&path, size).unwrap();
		assert_eq!(bitmap.len(), 3);
		bitmap.set(1, true).unwrap();
		assert!(bitmap.covers(4 * MIB, 8 * MIB - 1));
		assert!(!bitmap.covers(4 * MIB - 1, 5 * MIB));
		assert!(!bitmap.covers(8 * MIB, 8 * MIB));
		assert!(!bitmap.covers(0, size));
		drop(bitmap);
		let again = PieceBitmap::open(&path, size).unwrap();
		assert_eq!(again.to_bytes(), vec![0, 1, 0]);
		assert_eq!(again.done(), 1);
		again.set(1, false).unwrap();
		assert_eq!(again.done(), 0);
		// A bitmap of another length is not trusted.
		assert_eq!(PieceBitmap::open(&path, 20 * MIB).unwrap().to_bytes(), vec![0; 5]);
	}
}
