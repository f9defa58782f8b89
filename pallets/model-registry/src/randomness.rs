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
//! **Depth.** With BABE, the VRF output of a slot is known to that slot's author from the
//! start of the epoch, long before anyone else. So the seed of a block mixes the randomness of
//! the last [`Config::RandomnessDepth`] blocks in a row (a hash chain kept in
//! [`RandomnessMix`](crate::pallet::RandomnessMix)), and counts as known only since the oldest
//! of them: a draw about something created in `c` waits until every one of those blocks lies
//! after `c`. Whoever would know the seed when creating a task must author all of those
//! blocks; an author can still withhold its own block (losing the slot) to re-roll one value.
//!
//! Eviction samples (see [`crate::demand`]) are not tied to a creation and use the block's
//! seed as it is.

use crate::{pallet::*, placement::BlockSeed, types::MixedRandomness};
use codec::Encode;
use frame_support::traits::{Get, Randomness};
use frame_system::pallet_prelude::BlockNumberFor;
use sp_runtime::traits::{One, Saturating, Zero};

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
	/// This block's randomness: the mix of the last `RandomnessDepth` blocks' values. The
	/// first call in a block mixes the block's value in (one read of the source, one read and
	/// one write of the mix); later calls in the same block return the same.
	pub(crate) fn block_randomness() -> BlockRandomness<BlockNumberFor<T>> {
		let now = frame_system::Pallet::<T>::block_number();
		let previous = RandomnessMix::<T>::get();
		let mix = match previous {
			Some(mix) if mix.mixed_at == now => Some(mix),
			_ => {
				let (random, known_since) = T::Randomness::random(b"modelnet/block");
				let mix = random.map(|value| {
					// Values of consecutive blocks only: a gap starts the count again.
					let (chain, depth) = match previous {
						Some(p) if p.mixed_at.saturating_add(One::one()) == now => {
							(p.value, p.depth.saturating_add(1))
						}
						_ => ([0; 32], 1),
					};
					MixedRandomness {
						value: sp_io::hashing::blake2_256(&(chain, value).encode()),
						depth,
						mixed_at: now,
						known_since,
					}
				});
				match mix {
					Some(m) => RandomnessMix::<T>::put(m),
					None => RandomnessMix::<T>::kill(),
				}
				mix
			}
		};
		let want = T::RandomnessDepth::get().max(1);
		match mix {
			Some(m) if m.depth >= want => {
				// Known since the oldest of the `want` values mixed in last.
				let oldest = m.known_since.saturating_sub((want - 1).into());
				BlockRandomness::new(Some(BlockSeed(m.value)), oldest)
			}
			// Too few values yet (or none): nothing is fresh; eviction samples still get one.
			Some(m) => BlockRandomness::new(Some(BlockSeed(m.value)), Zero::zero()),
			None => BlockRandomness::new(None, Zero::zero()),
		}
	}
}
