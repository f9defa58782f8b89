//! Placement: replication goals, refill, random nominations and the replication queue, plus
//! the randomness and deadline-queue helpers shared with task assignment.
//!
//! A model's *goal* is the number of holders plus pending nominations it should have:
//! - its replication target (see [`crate::demand`]);
//! - raised to `holders + refill_batch` while fewer than `max(low_watermark,
//!   executors_per_task)` of its holders are available (active);
//! - capped by `max_replicas` and `MaxHoldersPerModel`.
//!
//! Whenever holders or nominations change, [`Pallet::ensure_replication`] puts a model whose
//! goal exceeds holders plus nominations into the bounded replication queue. `on_initialize`
//! serves the queue with at most `MaxNominationDrawsPerBlock` random node draws per block; a
//! model still short of its goal goes to the back of the queue and is retried next block.
//!
//! A draw picks a uniformly random position of the dense node index (O(1)); the node is
//! accepted if it is eligible (active, enough free disk and VRAM, room for one more model, not
//! already holding or nominated) and passes a QoS roll (probability `qos / 1000`). At most
//! `DRAWS_PER_SLOT` draws are spent per wanted nomination in one pass.

use crate::{pallet::*, types::*};
use alloc::vec::Vec;
use codec::Encode;
use frame_support::{pallet_prelude::*, traits::Randomness};
use frame_system::pallet_prelude::BlockNumberFor;
use sp_runtime::traits::{One, Saturating};

/// Random draws spent per wanted nomination in one pass over a model.
pub const DRAWS_PER_SLOT: u32 = 4;
/// How many blocks past a full deadline queue an entry may be pushed.
pub const MAX_DEADLINE_SHIFT: u32 = 16;

/// A stream of pseudo-random numbers derived from one seed.
pub(crate) struct RandomStream {
	seed: [u8; 32],
	counter: u32,
}

impl RandomStream {
	/// Next pair of independent 32-bit numbers.
	pub(crate) fn next_pair(&mut self) -> (u32, u32) {
		let h = sp_io::hashing::blake2_256(&(self.seed, self.counter).encode());
		self.counter = self.counter.wrapping_add(1);
		let a = u32::from_le_bytes([h[0], h[1], h[2], h[3]]);
		let b = u32::from_le_bytes([h[4], h[5], h[6], h[7]]);
		(a, b)
	}
}

impl<T: Config> Pallet<T> {
	/// Random stream for `subject`, mixing the configured randomness with `salt`.
	pub(crate) fn random_stream(subject: &[u8], salt: impl Encode) -> RandomStream {
		let (random, _) = T::Randomness::random(subject);
		let seed = sp_io::hashing::blake2_256(&(random, salt).encode());
		RandomStream { seed, counter: 0 }
	}

	/// Push `item` into the deadline queue of block `at`, or of the first later block (up to
	/// `MAX_DEADLINE_SHIFT` blocks later) with room. Returns the block it was scheduled at.
	pub(crate) fn schedule_deadline(
		at: BlockNumberFor<T>,
		item: DeadlineItem<T::AccountId>,
	) -> Option<BlockNumberFor<T>> {
		let mut block = at;
		for _ in 0..MAX_DEADLINE_SHIFT {
			let pushed =
				Deadlines::<T>::mutate(block, |queue| queue.try_push(item.clone()).is_ok());
			if pushed {
				return Some(block);
			}
			block = block.saturating_add(One::one());
		}
		None
	}

	/// Holders plus nominations the model should have (see the module documentation).
	pub(crate) fn replication_goal(info: &ModelInfoOf<T>, p: &ParamsOf<T>) -> u32 {
		let mut goal = info.target;
		if info.available < p.low_watermark.max(p.executors_per_task) {
			goal = goal.max(info.holders.saturating_add(p.refill_batch));
		}
		goal.min(p.max_replicas).min(T::MaxHoldersPerModel::get())
	}

	/// Nominations still to place for the model.
	pub(crate) fn replication_deficit(info: &ModelInfoOf<T>, p: &ParamsOf<T>) -> u32 {
		Self::replication_goal(info, p).saturating_sub(info.holders.saturating_add(info.nominated))
	}

	/// Queue the model for nominations if it is short of its goal.
	pub(crate) fn ensure_replication(model: ModelId, info: &mut ModelInfoOf<T>) {
		if info.queued || Self::replication_deficit(info, &Params::<T>::get()) == 0 {
			return;
		}
		// The queue holds each registered model at most once, so it cannot be full here.
		if ReplicationQueue::<T>::mutate(|q| q.try_push(model).is_ok()) {
			info.queued = true;
		}
	}

	/// Whether `who` (with record `node`) may be nominated for the model.
	fn eligible_for(
		model: ModelId,
		info: &ModelInfoOf<T>,
		who: &T::AccountId,
		node: &NodeInfoOf<T>,
	) -> bool {
		node.status == NodeStatus::Active
			&& node.capacity.vram_bytes >= info.min_vram_bytes
			&& node.capacity.disk_bytes.saturating_sub(node.used_disk) >= info.size_bytes
			&& !HolderIndex::<T>::contains_key(model, who)
			&& !Nominations::<T>::contains_key(model, who)
			&& Self::node_model_count(who) < T::MaxModelsPerNode::get()
	}

	/// Nominate random eligible nodes for the model's deficit, spending at most `max_draws`
	/// draws. Returns the draws spent.
	pub(crate) fn nominate(
		model: ModelId,
		info: &mut ModelInfoOf<T>,
		p: &ParamsOf<T>,
		now: BlockNumberFor<T>,
		max_draws: u32,
	) -> u32 {
		let node_count = NodeCount::<T>::get();
		let mut wanted = Self::replication_deficit(info, p);
		if node_count == 0 || wanted == 0 {
			return 0;
		}
		let limit = max_draws.min(wanted.saturating_mul(DRAWS_PER_SLOT));
		let mut stream = Self::random_stream(b"modelnet/nominate", (model, now));
		let mut draws = 0;
		while wanted > 0 && draws < limit {
			draws += 1;
			let (pick, roll) = stream.next_pair();
			let Some(who) = NodeAt::<T>::get(pick % node_count) else {
				continue;
			};
			let Some(node) = Nodes::<T>::get(&who) else {
				continue;
			};
			if !Self::eligible_for(model, info, &who, &node) || !Self::qos_accepts(node.qos, roll) {
				continue;
			}
			let item = DeadlineItem::Nomination { model, node: who.clone() };
			let Some(deadline) =
				Self::schedule_deadline(now.saturating_add(p.download_deadline), item)
			else {
				break;
			};
			Self::attach_nomination(model, info, &who, now, deadline);
			Self::deposit_event(Event::DownloadNominated { model, node: who, deadline });
			wanted -= 1;
		}
		draws
	}

	/// Serve the replication queue with the per-block draw budget. Returns the draws spent.
	pub(crate) fn process_replication_queue(now: BlockNumberFor<T>) -> u32 {
		let queue = ReplicationQueue::<T>::get();
		if queue.is_empty() {
			return 0;
		}
		let p = Params::<T>::get();
		let budget = T::MaxNominationDrawsPerBlock::get();
		let mut spent = 0u32;
		let mut served = 0usize;
		let mut retry = Vec::new();
		for model in queue.iter() {
			if spent >= budget {
				break;
			}
			served += 1;
			let Some(mut info) = Models::<T>::get(model) else {
				continue;
			};
			spent =
				spent.saturating_add(Self::nominate(*model, &mut info, &p, now, budget - spent));
			if Self::replication_deficit(&info, &p) > 0 {
				retry.push(*model);
			} else {
				info.queued = false;
			}
			Models::<T>::insert(model, info);
		}
		let mut rest: Vec<ModelId> = queue.into_inner().split_off(served);
		rest.extend(retry);
		// The new queue has at most as many entries as the old one.
		ReplicationQueue::<T>::put(BoundedVec::truncate_from(rest));
		spent
	}
}
