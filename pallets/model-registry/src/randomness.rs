//! The block's randomness and the freshness rule of random draws.
//!
//! `Config::Randomness` is read once per `on_initialize`. It returns a random value — `None`
//! while none exists yet (with BABE's `ParentBlockRandomness`: in the first block, before any
//! VRF output was recorded) — and the block since which that value is known (with
//! `ParentBlockRandomness`: the parent block, whose author's VRF output it is).
//!
//! **Freshness rule.** A draw about something created in block `c` — the executors of a task
//! created in `c`, the nominations of a model queued for replication in `c` (on registration
//! or on a shortfall) — uses only randomness known since a block *later* than `c`. Otherwise
//! the draw is skipped in this block: the task or model stays queued and is served in a later
//! block, once fresher randomness exists. So whoever creates a task or causes a shortfall
//! (including the author of the block that includes the call) cannot know the randomness that
//! serves it. No randomness at all counts as "not fresh": everything waits.
//!
//! Eviction samples (see [`crate::demand`]) are not tied to a creation and use the block's
//! seed as it is.

use crate::{pallet::*, placement::BlockSeed};
use codec::Encode;
use frame_support::traits::Randomness;
use frame_system::pallet_prelude::BlockNumberFor;

/// The randomness of one block and the block since which it is known.
#[derive(Clone, Copy)]
pub(crate) struct BlockRandomness<BlockNumber> {
	/// The seed, if there is any randomness.
	seed: Option<BlockSeed>,
	/// The block since which the randomness is known.
	known_since: BlockNumber,
}

impl<BlockNumber: PartialOrd> BlockRandomness<BlockNumber> {
	/// Randomness known since `known_since`, with `seed` if there is any.
	pub(crate) fn new(seed: Option<BlockSeed>, known_since: BlockNumber) -> Self {
		Self { seed, known_since }
	}

	/// The seed for draws about something created in block `created_at`, if the randomness
	/// became known after that block.
	pub(crate) fn fresh_seed(&self, created_at: BlockNumber) -> Option<&BlockSeed> {
		self.seed.as_ref().filter(|_| self.known_since > created_at)
	}

	/// The seed whatever its freshness, for draws that no caller can time (eviction
	/// samples); a fixed seed while there is no randomness.
	pub(crate) fn seed(&self) -> BlockSeed {
		self.seed.unwrap_or(BlockSeed([0; 32]))
	}
}

impl<T: Config> Pallet<T> {
	/// This block's randomness.
	pub(crate) fn block_randomness() -> BlockRandomness<BlockNumberFor<T>> {
		let (random, known_since) = T::Randomness::random(b"modelnet/block");
		let seed = random.map(|r| BlockSeed(sp_io::hashing::blake2_256(&r.encode())));
		BlockRandomness::new(seed, known_since)
	}
}
