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

/// Opens the bitmap and allocates the partial file (blocking).
///
/// Nothing on disk is trusted without a check against the manifest's leaf hashes: a piece
/// the persisted bitmap marks as verified is hashed again (its bit may have reached the disk
/// before its bytes did, e.g. on power loss), and is fetched again if it does not match;
/// pieces it does not mark are fetched. Without a persisted bitmap, the full pieces of an
/// existing partial file (e.g. from an earlier whole-file download) are checked and kept if
/// they match. Only then is the bitmap returned, to be published to the model server, so no
/// unchecked byte is ever served.
///
/// The partial file is then allocated on disk to its full size ([`allocate`]), so that the
/// free space the store checks before other downloads accounts for the bytes still to come.
pub(super) fn prepare(
	partial: &Path,
	bitmap_path: &Path,
	size: u64,
	manifest: &PieceManifest,
) -> io::Result<PieceBitmap> {
	let count = manifest.pieces.len() as u64;
	let persisted = std::fs::metadata(bitmap_path).is_ok_and(|m| m.len() == count);
	let bitmap = PieceBitmap::open(bitmap_path, size)?;
	let file =
		OpenOptions::new().create(true).truncate(false).read(true).write(true).open(partial)?;
	let mut len = file.metadata()?.len();
	if len > size {
		file.set_len(0)?;
		len = 0;
	}
	let mut missing = Vec::new();
	for index in 0..bitmap.len() {
		let (offset, piece_len) = pieces::piece_range(size, index as u64);
		let marked = bitmap.has(index);
		let candidate = offset + piece_len <= len && (marked || !persisted);
		let keep = match manifest.pieces.get(index) {
			Some(leaf) if candidate => leaf_at(&file, offset, piece_len)? == *leaf,
			_ => false,
		};
		if marked && !keep {
			log::warn!(
				target: "modelnet",
				"{}: piece {index} was marked verified but does not match its hash on disk: \
				 fetching it again",
				partial.display(),
			);
		}
		if keep != marked {
			bitmap.set(index, keep)?;
		}
		if !keep {
			missing.push((offset, piece_len));
		}
	}
	file.set_len(size)?;
	allocate(&file, size, &missing)?;
	Ok(bitmap)
}

/// Allocates the blocks of `file` (of `size` bytes) with `posix_fallocate`, keeping its
/// contents. Where the file system cannot, the `missing` ranges (pieces not kept, whose bytes
/// are of no use) are written with zeros instead; a hole inside a kept piece then stays.
fn allocate(file: &File, size: u64, missing: &[(u64, u64)]) -> io::Result<()> {
	if size == 0 {
		return Ok(());
	}
	#[cfg(target_os = "linux")]
	{
		use std::os::fd::AsRawFd;
		let len = libc::off_t::try_from(size).map_err(|_| io::Error::other("file too large"))?;
		// SAFETY: `file` is an open descriptor for the call's duration; no memory is passed.
		match unsafe { libc::posix_fallocate(file.as_raw_fd(), 0, len) } {
			0 => return Ok(()),
			libc::EOPNOTSUPP | libc::EINVAL | libc::ENOSYS => {}
			errno => return Err(io::Error::from_raw_os_error(errno)),
		}
	}
	write_zeros(file, missing)
}

/// Writes zeros over the byte ranges `(offset, len)` of `file`.
fn write_zeros(file: &File, ranges: &[(u64, u64)]) -> io::Result<()> {
	let zeros = vec![0u8; 1 << 20];
	for &(offset, len) in ranges {
		let mut done = 0u64;
		while done < len {
			let n = (len - done).min(zeros.len() as u64) as usize;
			file.write_all_at(&zeros[..n], offset + done)?;
			done += n as u64;
		}
	}
	Ok(())
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

#[cfg(test)]
mod tests {
	use std::os::unix::fs::MetadataExt;

	use super::*;
	use crate::pieces::leaf_hash;

	const MIB: usize = 1 << 20;

	fn data(len: usize) -> Vec<u8> {
		(0..len).map(|i| (i * 7 + i / 4093) as u8).collect()
	}

	fn manifest_of(data: &[u8]) -> PieceManifest {
		let piece = pieces::piece_size(data.len() as u64) as usize;
		PieceManifest::new(data.len() as u64, data.chunks(piece).map(leaf_hash).collect())
	}

	#[test]
	fn a_piece_zeroed_behind_its_bit_is_not_trusted() {
		let dir = tempfile::tempdir().unwrap();
		let (partial, bitmap_path) = (dir.path().join("m.part"), dir.path().join("m.pieces"));
		let data = data(9 * MIB);
		let manifest = manifest_of(&data);
		assert_eq!(manifest.pieces.len(), 3);
		// Power lost after piece 1's bit reached the disk, before its bytes did.
		let mut on_disk = data.clone();
		on_disk[4 * MIB..8 * MIB].fill(0);
		std::fs::write(&partial, &on_disk).unwrap();
		std::fs::write(&bitmap_path, [1u8, 1, 1]).unwrap();

		let bitmap = prepare(&partial, &bitmap_path, data.len() as u64, &manifest).unwrap();

		assert_eq!(bitmap.to_bytes(), vec![1, 0, 1]);
		assert!(!bitmap.covers(4 * MIB as u64, 4 * MIB as u64), "the zeroed piece is not served");
		assert_eq!(std::fs::read(&bitmap_path).unwrap(), vec![1, 0, 1], "persisted too");
		assert_eq!(std::fs::read(&partial).unwrap()[..4 * MIB], data[..4 * MIB], "kept");
	}

	#[test]
	fn unmarked_pieces_are_not_trusted_either() {
		let dir = tempfile::tempdir().unwrap();
		let (partial, bitmap_path) = (dir.path().join("m.part"), dir.path().join("m.pieces"));
		let data = data(9 * MIB);
		std::fs::write(&partial, &data).unwrap();
		std::fs::write(&bitmap_path, [0u8, 1, 0]).unwrap();

		let bitmap = prepare(&partial, &bitmap_path, data.len() as u64, &manifest_of(&data));

		// Piece 1 re-checked and kept; pieces 0 and 2 may have been torn: fetched again.
		assert_eq!(bitmap.unwrap().to_bytes(), vec![0, 1, 0]);
	}

	#[test]
	fn the_partial_file_is_allocated_not_sparse() {
		let dir = tempfile::tempdir().unwrap();
		let (partial, bitmap_path) = (dir.path().join("m.part"), dir.path().join("m.pieces"));
		let data = data(9 * MIB);
		let size = data.len() as u64;
		// A resumed download: piece 0 on disk, the rest never written.
		std::fs::write(&partial, &data[..4 * MIB]).unwrap();

		let bitmap = prepare(&partial, &bitmap_path, size, &manifest_of(&data)).unwrap();

		assert_eq!(bitmap.to_bytes(), vec![1, 0, 0]);
		let meta = std::fs::metadata(&partial).unwrap();
		assert_eq!(meta.len(), size);
		assert!(meta.blocks() * 512 >= size, "{} of {size} bytes allocated", meta.blocks() * 512);
		assert_eq!(std::fs::read(&partial).unwrap()[..4 * MIB], data[..4 * MIB]);
	}

	#[test]
	fn zeros_are_written_only_over_the_missing_ranges() {
		let dir = tempfile::tempdir().unwrap();
		let path = dir.path().join("f");
		std::fs::write(&path, [7u8; 100]).unwrap();
		let file = OpenOptions::new().read(true).write(true).open(&path).unwrap();
		write_zeros(&file, &[(10, 5), (90, 10)]).unwrap();
		let bytes = std::fs::read(&path).unwrap();
		let zeroed: Vec<usize> = (0..100).filter(|i| bytes[*i] == 0).collect();
		assert_eq!(zeroed, (10..15).chain(90..100).collect::<Vec<_>>());
	}
}
