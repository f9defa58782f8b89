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
//! goal exceeds holders plus nominations into the replication queue (a storage FIFO, see
//! [`crate::queue`]). `on_initialize` serves the queue with at most `MaxNominationDrawsPerBlock`
//! random node draws per block, each model served counting as at least one draw; a model still
//! short of its goal goes to the back of the queue and is retried in a later block.
//!
//! A draw picks a uniformly random position of the dense node index (O(1)), moving on to the
//! next position if that one was already tried in this pass; the node is accepted if it is
//! eligible (active, enough free disk and VRAM, room for one more model, not already holding
//! or nominated) and passes a QoS roll (probability `qos / 1000`). At most `DRAWS_PER_SLOT`
//! draws are spent per wanted nomination in one pass.

use crate::{pallet::*, queue::Fifo, randomness::BlockRandomness, types::*, weights::WeightInfo};
use alloc::vec::Vec;
use codec::Encode;
use frame_support::pallet_prelude::*;
use frame_system::pallet_prelude::BlockNumberFor;
use sp_runtime::traits::Saturating;

/// Random draws spent per wanted nomination in one pass over a model.
pub const DRAWS_PER_SLOT: u32 = 4;

/// The replication queue: each model with the block it was queued in (kept when a model short
/// of its goal goes back to the queue), for the freshness rule of [`crate::randomness`].
pub(crate) type Replication<T> =
	Fifo<ReplicationQueue<T>, ReplicationQueueRange<T>, (ModelId, BlockNumberFor<T>)>;

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

/// The randomness of one block: read once per `on_initialize` from `Config::Randomness` (which
/// may be costly to compute; see [`crate::randomness`]), then mixed with a subject for each draw
/// sequence.
#[derive(Clone, Copy)]
pub(crate) struct BlockSeed(pub(crate) [u8; 32]);

impl BlockSeed {
	/// Random stream for `subject`, mixing the block's randomness with `salt`.
	pub(crate) fn stream(&self, subject: &[u8], salt: impl Encode) -> RandomStream {
		let seed = sp_io::hashing::blake2_256(&(self.0, subject, salt).encode());
		RandomStream { seed, counter: 0 }
	}
}

impl<T: Config> Pallet<T> {
	/// Schedule `item` for block `at` (which must lie after the current block). Entries are
	/// handled from that block on, at most `MaxDeadlinesPerBlock` per block, oldest first.
	pub(crate) fn schedule_deadline(at: BlockNumberFor<T>, item: DeadlineItemOf<T>) {
		let number = DeadlineCount::<T>::get(at);
		Deadlines::<T>::insert(at, number, item);
		DeadlineCount::<T>::insert(at, number.saturating_add(1));
	}

	/// Handle due deadline entries, at most `MaxDeadlinesPerBlock` (moving past a block counts
	/// as one). Returns how many steps were taken; their weight is added to `weight`.
	pub(crate) fn process_deadlines(now: BlockNumberFor<T>, weight: &mut Weight) -> u32 {
		let limit = T::MaxDeadlinesPerBlock::get();
		let (mut block, mut number) = DeadlineCursor::<T>::get();
		let mut steps = 0;
		while steps < limit && block <= now {
			steps += 1;
			let count = DeadlineCount::<T>::get(block);
			if number >= count {
				// Moving past a block: the base weight covers one such step per block.
				if steps > 1 {
					weight.saturating_accrue(T::DbWeight::get().reads_writes(1, 1));
				}
				DeadlineCount::<T>::remove(block);
				block = block.saturating_add(1u32.into());
				number = 0;
				continue;
			}
			let item = Deadlines::<T>::take(block, number);
			number = number.saturating_add(1);
			match item {
				Some(DeadlineItem::Nomination { model, node }) => {
					Self::expire_nomination(model, &node, block, weight)
				}
				Some(DeadlineItem::TaskPhase { task }) => {
					Self::end_task_phase(task, block, now, weight)
				}
				Some(DeadlineItem::CommitPhases { tasks }) => {
					// Each task counts as one step.
					steps = steps.saturating_add((tasks.len() as u32).saturating_sub(1));
					for task in tasks {
						Self::end_task_phase(task, block, now, weight);
					}
				}
				Some(DeadlineItem::Prune { task }) => {
					weight.saturating_accrue(T::WeightInfo::prune_task());
					Self::prune_task(task)
				}
				None => {}
			}
		}
		DeadlineCursor::<T>::put((block, number));
		steps
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
		if info.source_failures >= MAX_SOURCE_FAILURES {
			return 0;
		}
		Self::replication_goal(info, p).saturating_sub(info.holders.saturating_add(info.nominated))
	}

	/// Queue the model for nominations if it is short of its goal.
	pub(crate) fn ensure_replication(model: ModelId, info: &mut ModelInfoOf<T>) {
		if info.queued || info.retiring || Self::replication_deficit(info, &Params::<T>::get()) == 0
		{
			return;
		}
		Replication::<T>::push((model, frame_system::Pallet::<T>::block_number()));
		info.queued = true;
	}

	/// Whether `who` (with record `node`) may be nominated for the model, whose holders are
	/// `holders`.
	fn eligible_for(
		model: ModelId,
		info: &ModelInfoOf<T>,
		holders: &HoldersOf<T>,
		who: &T::AccountId,
		node: &NodeInfoOf<T>,
	) -> bool {
		node.status == NodeStatus::Active
			&& node.capacity.vram_bytes >= info.min_vram_bytes
			&& node.capacity.disk_bytes.saturating_sub(node.used_disk) >= info.size_bytes
			&& node.model_count() < T::MaxModelsPerNode::get()
			&& !holders.iter().any(|h| h.node == *who)
			&& !Nominations::<T>::contains_key(model, who)
	}

	/// Nominate random eligible nodes for the model's deficit, spending at most `max_draws`
	/// draws. Returns the draws spent.
	pub(crate) fn nominate(
		model: ModelId,
		info: &mut ModelInfoOf<T>,
		p: &ParamsOf<T>,
		now: BlockNumberFor<T>,
		seed: &BlockSeed,
		max_draws: u32,
	) -> u32 {
		let node_count = NodeCount::<T>::get();
		let mut wanted = Self::replication_deficit(info, p);
		if node_count == 0 || wanted == 0 {
			return 0;
		}
		let limit = max_draws.min(wanted.saturating_mul(DRAWS_PER_SLOT));
		let mut stream = seed.stream(b"modelnet/nominate", model);
		let holders = Holders::<T>::get(model);
		let mut tried: Vec<u32> = Vec::new();
		let mut draws = 0;
		while wanted > 0 && draws < limit && (tried.len() as u32) < node_count {
			draws += 1;
			let (pick, roll) = stream.next_pair();
			// The first position from the drawn one on that was not tried in this pass.
			let mut position = pick % node_count;
			while tried.contains(&position) {
				position = (position + 1) % node_count;
			}
			tried.push(position);
			let Some(who) = NodeAt::<T>::get(position) else {
				continue;
			};
			let Some(node) = Nodes::<T>::get(&who) else {
				continue;
			};
			if !Self::eligible_for(model, info, &holders, &who, &node)
				|| !Self::qos_accepts(node.qos, roll)
			{
				continue;
			}
			let deadline = now.saturating_add(p.download_deadline);
			Self::schedule_deadline(
				deadline,
				DeadlineItem::Nomination { model, node: who.clone() },
			);
			Self::attach_nomination(model, info, &who, now, deadline);
			Self::deposit_event(Event::DownloadNominated { model, node: who, deadline });
			wanted -= 1;
		}
		draws
	}

	/// Serve the replication queue with the per-block draw budget (each model served counts
	/// as at least one draw; a model queued too recently for this block's randomness goes
	/// back to the queue unserved). Returns the weight.
	pub(crate) fn process_replication_queue(
		now: BlockNumberFor<T>,
		randomness: &BlockRandomness<BlockNumberFor<T>>,
	) -> Weight {
		let budget = T::MaxNominationDrawsPerBlock::get();
		let mut weight = Weight::zero();
		let p = Params::<T>::get();
		let mut spent = 0u32;
		// Models put back in this block are not served again in it.
		let mut left = Replication::<T>::len();
		while spent < budget && left > 0 {
			left -= 1;
			let Some((model, queued_at)) = Replication::<T>::pop() else {
				break;
			};
			let Some(seed) = randomness.fresh_seed(queued_at) else {
				Replication::<T>::push((model, queued_at));
				spent = spent.saturating_add(1);
				weight.saturating_accrue(T::WeightInfo::replicate_model(0));
				continue;
			};
			let Some(mut info) = Models::<T>::get(model) else {
				spent = spent.saturating_add(1);
				weight.saturating_accrue(T::WeightInfo::replicate_model(0));
				continue;
			};
			let draws = if info.retiring {
				0
			} else {
				Self::nominate(model, &mut info, &p, now, seed, budget - spent)
			};
			spent = spent.saturating_add(draws.max(1));
			weight.saturating_accrue(T::WeightInfo::replicate_model(draws));
			if !info.retiring && Self::replication_deficit(&info, &p) > 0 {
				Replication::<T>::push((model, queued_at));
			} else {
				info.queued = false;
			}
			if info.retiring && info.holders == 0 && info.nominated == 0 {
				Self::remove_model_record(model);
			} else {
				Models::<T>::insert(model, info);
			}
		}
		weight
	}
}
