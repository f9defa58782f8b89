//! Piece manifests: how a model file is cut into pieces that nodes verify one by one.
//!
//! Holders serve the models they keep to other nodes (built-in storage). So that a node can
//! check every piece the moment it arrives, from any peer it does not trust, the model is
//! registered with the SHA-256 of each fixed-size piece, and the chain keeps them with the
//! root of a hash tree over them ([`PieceManifest`]).
//!
//! - Piece size: `clamp(next_power_of_two(ceil(size / 1024)), 4 MiB, 256 MiB)`: 4 MiB up to a
//!   4 GiB model (a bad piece costs little, a 1 GiB model spreads over 256 pieces that many
//!   peers can serve in parallel), then growing so that no model has more than
//!   [`MAX_PIECES`] pieces (`MaxModelSize` is at most 256 GiB).
//! - Leaf: `SHA-256(0x00 ‖ piece)`; inner node: `SHA-256(0x01 ‖ left ‖ right)`; at each level
//!   an odd last node is carried up unchanged; the root of one leaf is that leaf. The prefixes
//!   keep a leaf from passing for an inner node. SHA-256 because the model id already is one
//!   (clients and nodes hash with the same code, accelerated by the CPU on current machines).
//! - The list of leaves is at most `32 * 1024` bytes (32 KiB) per model. Its on-chain bytes are
//!   covered by the model deposit, which grows by `ModelDepositPerByte` for every byte of the
//!   file and replica: at least 131 072 times the manifest's bytes.

use crate::{pallet::*, types::*};
use alloc::vec::Vec;
use frame_support::{ensure, pallet_prelude::*};
use sp_core::H256;

/// Smallest piece size (4 MiB).
pub const MIN_PIECE_SIZE: u64 = 4 << 20;
/// Largest piece size (256 MiB).
pub const MAX_PIECE_SIZE: u64 = 256 << 20;
/// Most pieces of one model.
pub const MAX_PIECES: u32 = 1024;

/// The piece size of a model of `size` bytes (see the module documentation).
pub fn piece_size(size: u64) -> u64 {
	size.div_ceil(u64::from(MAX_PIECES))
		.checked_next_power_of_two()
		.unwrap_or(MAX_PIECE_SIZE)
		.clamp(MIN_PIECE_SIZE, MAX_PIECE_SIZE)
}

/// Number of pieces of a model of `size` bytes.
pub fn piece_count(size: u64) -> u64 {
	size.div_ceil(piece_size(size))
}

/// Root of the hash tree over `leaves` (zero for no leaves).
pub fn merkle_root(leaves: &[H256]) -> H256 {
	let mut level: Vec<H256> = leaves.to_vec();
	if level.is_empty() {
		return H256::zero();
	}
	while level.len() > 1 {
		level = level
			.chunks(2)
			.map(|pair| match pair {
				[left, right] => {
					let mut buf = [0u8; 65];
					buf[0] = 1;
					buf[1..33].copy_from_slice(left.as_bytes());
					buf[33..].copy_from_slice(right.as_bytes());
					H256(sp_io::hashing::sha2_256(&buf))
				}
				[odd] => *odd,
				_ => H256::zero(),
			})
			.collect();
	}
	level.first().copied().unwrap_or_default()
}

/// The leaf hash of one piece.
pub fn leaf_hash(piece: &[u8]) -> H256 {
	let mut data = Vec::with_capacity(piece.len() + 1);
	data.push(0u8);
	data.extend_from_slice(piece);
	H256(sp_io::hashing::sha2_256(&data))
}

impl<T: Config> Pallet<T> {
	/// The manifest of a model of `size_bytes` with these leaves, or `PieceCountMismatch`.
	pub(crate) fn manifest_of(
		size_bytes: u64,
		pieces: PiecesOf,
	) -> Result<PieceManifest, DispatchError> {
		ensure!(pieces.len() as u64 == piece_count(size_bytes), Error::<T>::PieceCountMismatch);
		Ok(PieceManifest { root: merkle_root(&pieces), piece_size: piece_size(size_bytes), pieces })
	}
}
