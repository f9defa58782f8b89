//! File work of a piece-wise download: preparing (and resuming) the partial file and the
//! final whole-file hash. Blocking; run off the async runtime.

use std::{
	fs::{File, OpenOptions},
	io,
	os::unix::fs::FileExt,
	path::Path,
};

use sha2::{Digest, Sha256};

use crate::{
	availability::PieceBitmap,
	pieces::{self, PieceManifest},
	store::hash_prefix,
	types::ModelId,
};

/// Opens the bitmap and preallocates the partial file (blocking).
///
/// A persisted bitmap is trusted (the final whole-file check catches a corrupted store).
/// Without one, the full pieces of an existing partial file (e.g. from an earlier
/// whole-file download) are checked against the manifest and kept if they match.
pub(super) fn prepare(
	partial: &Path,
	bitmap_path: &Path,
	size: u64,
	manifest: &PieceManifest,
) -> io::Result<PieceBitmap> {
	let count = manifest.pieces.len() as u64;
	let trusted = std::fs::metadata(bitmap_path).is_ok_and(|m| m.len() == count);
	let bitmap = PieceBitmap::open(bitmap_path, size)?;
	let file =
		OpenOptions::new().create(true).truncate(false).read(true).write(true).open(partial)?;
	let len = file.metadata()?.len();
	if len > size {
		file.set_len(0)?;
	}
	for index in 0..bitmap.len() {
		let (offset, piece_len) = pieces::piece_range(size, index as u64);
		let on_disk = len <= size && offset + piece_len <= len;
		let keep = if !on_disk {
			false
		} else if trusted {
			bitmap.has(index)
		} else {
			leaf_at(&file, offset, piece_len)? == manifest.pieces[index]
		};
		if keep != bitmap.has(index) {
			bitmap.set(index, keep)?;
		}
	}
	file.set_len(size)?;
	Ok(bitmap)
}

/// Leaf hash of `len` bytes of `file` at `offset`.
fn leaf_at(file: &File, offset: u64, len: u64) -> io::Result<[u8; 32]> {
	let mut buf = vec![0u8; (1 << 20).min(len as usize)];
	let mut hasher = Sha256::new();
	hasher.update([0u8]);
	let mut done = 0u64;
	while done < len {
		let n = (len - done).min(buf.len() as u64) as usize;
		file.read_exact_at(&mut buf[..n], offset + done)?;
		hasher.update(&buf[..n]);
		done += n as u64;
	}
	Ok(hasher.finalize().into())
}

/// SHA-256 of the complete partial file; synced to disk first if it matches and `sync`.
pub(super) fn whole_digest(
	path: &Path,
	size: u64,
	model: &ModelId,
	sync: bool,
) -> io::Result<[u8; 32]> {
	let mut file = File::open(path)?;
	let digest: [u8; 32] = hash_prefix(&mut file, size)?.finalize().into();
	if sync && &digest == model {
		file.sync_data()?;
	}
	Ok(digest)
}
