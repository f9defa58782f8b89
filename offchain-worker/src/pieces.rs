//! Piece manifests: fixed-size pieces of a model file, their leaf hashes and Merkle root.
//!
//! The chain stores, for each model, the SHA-256 leaf hash of every piece of the file and
//! a Merkle root over them, so that a node can verify every piece as it arrives from any
//! peer. The rules match the pallet and the JS client bit for bit:
//!
//! - [`piece_size`]`(size) = clamp(next_power_of_two(ceil(size / 1024)), 4 MiB, 256 MiB)`;
//!   [`piece_count`]`(size) = ceil(size / piece_size)`; the last piece may be short.
//! - [`leaf_hash`]: `SHA-256(0x00 ‖ piece bytes)`.
//! - Inner nodes: `SHA-256(0x01 ‖ left ‖ right)`; at each level an odd last node is
//!   carried up unchanged; the root of a single leaf is that leaf ([`merkle_root`]).

use std::{
	fs::File,
	io::{self, Read},
	path::Path,
};

use sha2::{Digest, Sha256};

/// Smallest piece size (4 MiB).
pub const MIN_PIECE_SIZE: u64 = 4 << 20;
/// Largest piece size (256 MiB).
pub const MAX_PIECE_SIZE: u64 = 256 << 20;

/// A 32-byte SHA-256 digest.
pub type Hash = [u8; 32];

/// Piece size for a file of `size` bytes.
pub fn piece_size(size: u64) -> u64 {
	size.div_ceil(1024)
		.checked_next_power_of_two()
		.unwrap_or(MAX_PIECE_SIZE)
		.clamp(MIN_PIECE_SIZE, MAX_PIECE_SIZE)
}

/// Number of pieces of a file of `size` bytes (0 for an empty file).
pub fn piece_count(size: u64) -> u64 {
	size.div_ceil(piece_size(size))
}

/// Byte range `(offset, len)` of piece `index` of a file of `size` bytes.
pub fn piece_range(size: u64, index: u64) -> (u64, u64) {
	let piece = piece_size(size);
	let offset = index.saturating_mul(piece).min(size);
	(offset, piece.min(size - offset))
}

/// Leaf hash of one piece: `SHA-256(0x00 ‖ bytes)`.
pub fn leaf_hash(bytes: &[u8]) -> Hash {
	let mut hasher = Sha256::new();
	hasher.update([0u8]);
	hasher.update(bytes);
	hasher.finalize().into()
}

/// Inner node: `SHA-256(0x01 ‖ left ‖ right)`.
fn inner_hash(left: &Hash, right: &Hash) -> Hash {
	let mut hasher = Sha256::new();
	hasher.update([1u8]);
	hasher.update(left);
	hasher.update(right);
	hasher.finalize().into()
}

/// Merkle root over `leaves` (all zeros for no leaf).
pub fn merkle_root(leaves: &[Hash]) -> Hash {
	if leaves.is_empty() {
		return [0u8; 32];
	}
	let mut level = leaves.to_vec();
	while level.len() > 1 {
		level = level
			.chunks(2)
			.map(|pair| match pair {
				[left, right] => inner_hash(left, right),
				// An odd last node is carried up unchanged.
				_ => pair[0],
			})
			.collect();
	}
	level[0]
}

/// Leaf hashes of every piece of the first `size` bytes of the file at `path` (blocking;
/// reads them once).
pub fn manifest_of_file(path: &Path, size: u64) -> io::Result<Vec<Hash>> {
	let mut file = File::open(path)?;
	let piece = piece_size(size);
	let mut buf = vec![0u8; 1 << 20];
	let mut leaves = Vec::with_capacity(usize::try_from(piece_count(size)).unwrap_or(0));
	let mut left_in_file = size;
	while left_in_file > 0 {
		let mut hasher = Sha256::new();
		hasher.update([0u8]);
		let mut left = piece.min(left_in_file);
		left_in_file -= left;
		while left > 0 {
			let want = usize::try_from(left.min(buf.len() as u64)).unwrap_or(buf.len());
			let n = file.read(&mut buf[..want])?;
			if n == 0 {
				return Err(io::Error::new(
					io::ErrorKind::UnexpectedEof,
					"file shorter than expected",
				));
			}
			hasher.update(&buf[..n]);
			left -= n as u64;
		}
		leaves.push(hasher.finalize().into());
	}
	Ok(leaves)
}

/// What the chain records about a model's pieces.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct PieceManifest {
	/// Merkle root over `pieces`.
	pub root: Hash,
	/// Piece size in bytes ([`piece_size`] of the file's size).
	pub piece_size: u64,
	/// Leaf hash of every piece, in order.
	pub pieces: Vec<Hash>,
}

impl PieceManifest {
	/// The manifest of a file of `size` bytes whose pieces have these leaf hashes.
	pub fn new(size: u64, pieces: Vec<Hash>) -> Self {
		Self { root: merkle_root(&pieces), piece_size: piece_size(size), pieces }
	}

	/// The manifest of the first `size` bytes of the file at `path` (blocking).
	pub fn of_file(path: &Path, size: u64) -> io::Result<Self> {
		Ok(Self::new(size, manifest_of_file(path, size)?))
	}

	/// Whether the manifest is consistent for a file of `size` bytes: the piece size
	/// follows the rule, the number of pieces matches and the root is the Merkle root of the
	/// leaves.
	pub fn check(&self, size: u64) -> bool {
		self.piece_size == piece_size(size)
			&& self.pieces.len() as u64 == piece_count(size)
			&& self.root == merkle_root(&self.pieces)
	}
}

#[cfg(test)]
mod tests {
	use super::*;

	proptest::proptest! {
		/// A manifest from the chain is checked without panicking whatever it says: any size,
		/// any piece size, any number of leaves.
		#[test]
		fn any_manifest_is_checked_without_panic(
			size in proptest::prelude::any::<u64>(),
			piece_size in proptest::prelude::any::<u64>(),
			leaves in proptest::collection::vec(proptest::prelude::any::<[u8; 32]>(), 0..40),
			root in proptest::prelude::any::<[u8; 32]>(),
		) {
			let manifest = PieceManifest { root, piece_size, pieces: leaves.clone() };
			let _ = manifest.check(size);
			let _ = piece_count(size);
			let honest = PieceManifest::new(size, leaves);
			proptest::prop_assert_eq!(honest.check(size), honest.pieces.len() as u64 == piece_count(size));
		}
	}

	const MIB: u64 = 1 << 20;

	fn h(byte: u8) -> Hash {
		[byte; 32]
	}

	#[test]
	fn piece_size_rule() {
		assert_eq!(piece_size(0), 4 * MIB);
		assert_eq!(piece_size(1), 4 * MIB);
		assert_eq!(piece_size(4 * 1024 * MIB), 4 * MIB);
		assert_eq!(piece_size(4 * 1024 * MIB + 1), 8 * MIB);
		assert_eq!(piece_size(10 * 1024 * MIB), 16 * MIB);
		assert_eq!(piece_size(1 << 50), 256 * MIB);
		assert_eq!(piece_size(u64::MAX), 256 * MIB);
		assert_eq!(piece_count(0), 0);
		assert_eq!(piece_count(1), 1);
		assert_eq!(piece_count(4 * MIB), 1);
		assert_eq!(piece_count(4 * MIB + 1), 2);
		assert_eq!(piece_count(1024 * MIB), 256);
		assert_eq!(piece_range(10 * MIB, 2), (8 * MIB, 2 * MIB));
		assert_eq!(piece_range(10 * MIB, 0), (0, 4 * MIB));
	}

	#[test]
	fn leaf_is_domain_separated() {
		let expected: Hash = Sha256::digest([0u8, b'a', b'b']).into();
		assert_eq!(leaf_hash(b"ab"), expected);
		assert_ne!(leaf_hash(b"ab"), Sha256::digest(b"ab").as_slice());
	}

	#[test]
	fn merkle_vectors() {
		let (a, b, c) = (h(0xaa), h(0xbb), h(0xcc));
		assert_eq!(merkle_root(&[a]), a);
		let ab: Hash = Sha256::digest([&[1u8][..], &a, &b].concat()).into();
		assert_eq!(merkle_root(&[a, b]), ab);
		let abc: Hash = Sha256::digest([&[1u8][..], &ab, &c].concat()).into();
		assert_eq!(merkle_root(&[a, b, c]), abc);
		let d = h(0xdd);
		let cd: Hash = Sha256::digest([&[1u8][..], &c, &d].concat()).into();
		let abcd: Hash = Sha256::digest([&[1u8][..], &ab, &cd].concat()).into();
		assert_eq!(merkle_root(&[a, b, c, d]), abcd);
		// Five leaves: the fifth is carried up twice.
		let e = h(0xee);
		let abcde: Hash = Sha256::digest([&[1u8][..], &abcd, &e].concat()).into();
		assert_eq!(merkle_root(&[a, b, c, d, e]), abcde);
	}

	#[test]
	fn manifest_of_a_file() {
		let dir = tempfile::tempdir().unwrap();
		let path = dir.path().join("f");
		let data: Vec<u8> = (0..(9 * MIB as usize + 5)).map(|i| (i % 251) as u8).collect();
		std::fs::write(&path, &data).unwrap();
		let size = data.len() as u64;
		let manifest = PieceManifest::of_file(&path, size).unwrap();
		assert_eq!(manifest.pieces.len(), 3);
		let piece = 4 * MIB as usize;
		assert_eq!(manifest.pieces[0], leaf_hash(&data[..piece]));
		assert_eq!(manifest.pieces[2], leaf_hash(&data[2 * piece..]));
		assert!(manifest.check(size));
		assert!(!manifest.check(size + 4 * MIB));
		let mut wrong = manifest.clone();
		wrong.root[0] ^= 1;
		assert!(!wrong.check(size));
		assert!(manifest_of_file(&path, size + 1).is_err());
	}
}
