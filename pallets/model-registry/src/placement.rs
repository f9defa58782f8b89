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
//! or nominated, not cooling down after a slash on the model) and passes a QoS roll
//! (probability `qos / 1000`). At most `DRAWS_PER_SLOT` draws are spent per wanted nomination
//! in one pass. An accepted node that announced the model (`announce_stored`) becomes a holder
//! at once instead of being nominated; announcing never changes who is drawn.
//!
//! Back-off: a pass that finds no eligible node (QoS rolls aside) although it tried every node,
//! or spent every draw it could and met a node other than the model's own holders and
//! nominees, is *empty* (meeting only holders proves nothing: a model one copy short where
//! most nodes hold it is not unplaceable). After [`MAX_EMPTY_PASSES`] empty passes in a row the model is *parked*
//! (`ReplicationParked`): it leaves the queue and is not queued again until the largest disk
//! and VRAM ever declared can take it and either node capacity changed — a join, a capacity
//! update or a resume bumps [`CapacityWatermark::epoch`] — or a demand window has passed (other
//! changes, such as a cool-down ending or disk freed, are noticed that late). A model registered with needs above every
//! declared capacity is parked at once. Parked models are woken lazily: whenever their
//! replication is checked (demand review, a task ending, a holding lost), so that a node
//! joining touches no model. A pass that finds an eligible node resets the count.
//!
//! A nomination's deadline grows with the model's size (see [`crate::sources`]).

use crate::{pallet::*, queue::Fifo, randomness::BlockRandomness, types::*, weights::WeightInfo};
use alloc::vec::Vec;
use codec::Encode;
use frame_support::pallet_prelude::*;
use frame_system::pallet_prelude::BlockNumberFor;
use sp_core::H256;
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

/// Positions `0..count` in random order without repetition, each with an independent 32-bit
/// roll (for the QoS check): a lazy Fisher–Yates shuffle, so the `i`-th draw is uniform among
/// the positions not drawn yet, whatever was drawn before. (Moving on to the next untried
/// position after a repeat would favour a position that follows a run of tried ones.) The
/// only bias left is that of reducing a 32-bit number modulo the number of untried
/// positions: below `count / 2^32`. Costs O(draws²) comparisons, with draws bounded by the
/// callers' budgets.
pub(crate) struct DistinctPositions {
	stream: RandomStream,
	count: u32,
	drawn: u32,
	/// Untried slots `>= drawn` whose position is not the slot's own (the shuffle's swaps).
	moved: Vec<(u32, u32)>,
}

impl DistinctPositions {
	/// Random order of the positions `0..count`, from `stream`.
	pub(crate) fn new(stream: RandomStream, count: u32) -> Self {
		Self { stream, count, drawn: 0, moved: Vec::new() }
	}

	/// The position currently in shuffle slot `slot`.
	fn at(&self, slot: u32) -> u32 {
		self.moved.iter().find(|(s, _)| *s == slot).map_or(slot, |(_, p)| *p)
	}

	/// Number of positions drawn so far.
	pub(crate) fn drawn(&self) -> u32 {
		self.drawn
	}
}

impl Iterator for DistinctPositions {
	type Item = (u32, u32);

	fn next(&mut self) -> Option<(u32, u32)> {
		let left = self.count.checked_sub(self.drawn).filter(|l| *l > 0)?;
		let (pick, roll) = self.stream.next_pair();
		let slot = self.drawn.saturating_add(pick % left);
		let position = self.at(slot);
		// The position in the front slot takes the drawn one's place among the untried.
		let front = self.at(self.drawn);
		self.moved.retain(|(s, _)| *s != slot && *s != self.drawn);
		if slot != self.drawn {
			self.moved.push((slot, front));
		}
		self.drawn = self.drawn.saturating_add(1);
		Some((position, roll))
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

impl BlockSeed {
	/// The challenge of task `id` assigned in this block (see [`TaskInfo::challenge`]).
	pub(crate) fn challenge(&self, id: TaskId) -> H256 {
		H256(sp_io::hashing::blake2_256(&(self.0, b"modelnet/challenge", id).encode()))
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
			// Taking the entry, and the record read that tells whether it is still due (a
			// nomination confirmed or a phase ended early leaves a stale entry, handled here
			// at this cost only). Work beyond it is charged by the handlers.
			weight.saturating_accrue(T::DbWeight::get().reads_writes(2, 1));
			match item {
				Some(DeadlineItem::Nomination { model, node }) => {
					Self::expire_nomination(model, &node, block, weight)
				}
				Some(DeadlineItem::TaskPhase { task }) => {
					Self::end_task_phase(task, block, now, weight)
				}
				Some(DeadlineItem::CommitPhases { tasks }) => {
					// Each task counts as one step and costs a record read.
					weight.saturating_accrue(T::DbWeight::get().reads(tasks.len() as u64));
					steps = steps.saturating_add((tasks.len() as u32).saturating_sub(1));
					for task in tasks {
						Self::end_task_phase(task, block, now, weight);
					}
				}
				Some(DeadlineItem::Prune { task }) => {
					weight.saturating_accrue(T::WeightInfo::prune_task());
					Self::prune_task(task)
				}
				Some(DeadlineItem::CooldownEnd { model, node }) => {
					weight.saturating_accrue(T::DbWeight::get().reads_writes(1, 1));
					Self::end_cooldown(model, &node, block)
				}
				Some(DeadlineItem::ForgetDeparture { node }) => {
					weight.saturating_accrue(T::DbWeight::get().reads_writes(1, 1));
					Self::forget_departure(&node, block)
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

	/// Whether the largest capacities seen could take the model.
	pub(crate) fn could_host(info: &ModelInfoOf<T>, seen: &CapacityWatermark) -> bool {
		seen.max_vram_bytes >= info.min_vram_bytes && seen.max_disk_bytes >= info.size_bytes
	}

	/// Record a node's declared capacity: parked models may be placed again.
	pub(crate) fn note_capacity(capacity: &NodeCapacity) {
		CapacityChanges::<T>::mutate(|seen| {
			seen.epoch = seen.epoch.wrapping_add(1);
			seen.max_disk_bytes = seen.max_disk_bytes.max(capacity.disk_bytes);
			seen.max_vram_bytes = seen.max_vram_bytes.max(capacity.vram_bytes);
		});
	}

	/// Queue the model for nominations if it is short of its goal (and not parked; a parked
	/// model is woken up if node capacity changed since and could take it).
	pub(crate) fn ensure_replication(model: ModelId, info: &mut ModelInfoOf<T>) {
		if info.queued || info.retiring || Self::replication_deficit(info, &Params::<T>::get()) == 0
		{
			return;
		}
		let now = frame_system::Pallet::<T>::block_number();
		if let Some((epoch, since)) = info.parked_at {
			let seen = CapacityChanges::<T>::get();
			let waited = now >= since.saturating_add(Params::<T>::get().demand_window);
			if !Self::could_host(info, &seen) || (seen.epoch == epoch && !waited) {
				return;
			}
			info.parked_at = None;
			info.empty_passes = 0;
		}
		Replication::<T>::push((model, now));
		info.queued = true;
	}

	/// Whether `who` already holds the model (whose holders are `holders`) or is nominated for it.
	fn holds_or_nominated(model: ModelId, holders: &HoldersOf<T>, who: &T::AccountId) -> bool {
		holders.iter().any(|h| h.node == *who) || Nominations::<T>::contains_key(model, who)
	}

	/// Whether `who` (with record `node`), neither holder nor nominee of the model, may be
	/// nominated for it: active, with room for the model, and not cooling down after a slash on
	/// the model.
	fn can_take(
		model: ModelId,
		info: &ModelInfoOf<T>,
		who: &T::AccountId,
		node: &NodeInfoOf<T>,
	) -> bool {
		node.status == NodeStatus::Active
			&& node.capacity.vram_bytes >= info.min_vram_bytes
			&& node.capacity.disk_bytes.saturating_sub(node.used_disk) >= info.size_bytes
			&& node.model_count() < T::MaxModelsPerNode::get()
			&& !Self::cooling_down(model, who)
	}

	/// Nominate random eligible nodes for the model's deficit, spending at most `max_draws`
	/// draws. Returns the draws spent and whether the pass was empty: `Some(true)` if it found no
	/// eligible node although it tried every node, or spent every draw it may spend per wanted
	/// nomination and met at least one node that is not already a holder or nominee of the
	/// model; `Some(false)` if it found one; `None` if the pass says nothing (cut short by the
	/// budget, or it met only the model's own holders and nominees).
	pub(crate) fn nominate(
		model: ModelId,
		info: &mut ModelInfoOf<T>,
		p: &ParamsOf<T>,
		now: BlockNumberFor<T>,
		seed: &BlockSeed,
		max_draws: u32,
	) -> (u32, Option<bool>) {
		let node_count = NodeCount::<T>::get();
		let mut wanted = Self::replication_deficit(info, p);
		if wanted == 0 {
			return (0, None);
		}
		if node_count == 0 {
			return (0, Some(true));
		}
		let initially_wanted = wanted;
		let mut found_eligible = false;
		let mut met_other = false;
		let limit = max_draws.min(wanted.saturating_mul(DRAWS_PER_SLOT));
		let mut order =
			DistinctPositions::new(seed.stream(b"modelnet/nominate", model), node_count);
		let holders = Holders::<T>::get(model);
		let mut draws = 0;
		while wanted > 0 && draws < limit {
			let Some((position, roll)) = order.next() else {
				break;
			};
			draws += 1;
			let Some(who) = NodeAt::<T>::get(position) else {
				continue;
			};
			let Some(node) = Nodes::<T>::get(&who) else {
				continue;
			};
			// A node that already holds or is nominated for the model says nothing about
			// whether anybody else could take it.
			if Self::holds_or_nominated(model, &holders, &who) {
				continue;
			}
			if !Self::can_take(model, info, &who, &node) {
				met_other = true;
				continue;
			}
			found_eligible = true;
			if !Self::qos_accepts(node.qos, roll) {
				continue;
			}
			wanted -= 1;
			if Self::take_announcement(model, &who) {
				// The node said it has the file: it holds the model at once.
				Self::reserve_resources(&who, info);
				Self::attach_holder(model, info, &who);
				Self::deposit_event(Event::ModelStored { model, node: who });
				continue;
			}
			let deadline = now.saturating_add(Self::download_time(info.size_bytes, p));
			Self::schedule_deadline(
				deadline,
				DeadlineItem::Nomination { model, node: who.clone() },
			);
			Self::attach_nomination(model, info, &who, now, deadline);
			Self::deposit_event(Event::DownloadNominated { model, node: who, deadline });
		}
		let tried_all = order.drawn() >= node_count;
		let spent_all = draws >= initially_wanted.saturating_mul(DRAWS_PER_SLOT);
		if found_eligible {
			(draws, Some(false))
		} else if tried_all || (spent_all && met_other) {
			(draws, Some(true))
		} else {
			(draws, None)
		}
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
			let (draws, empty) = if info.retiring {
				(0, None)
			} else {
				Self::nominate(model, &mut info, &p, now, seed, budget - spent)
			};
			spent = spent.saturating_add(draws.max(1));
			weight.saturating_accrue(T::WeightInfo::replicate_model(draws));
			match empty {
				Some(true) => info.empty_passes = info.empty_passes.saturating_add(1),
				Some(false) => info.empty_passes = 0,
				None => {}
			}
			if info.empty_passes >= MAX_EMPTY_PASSES && !info.retiring {
				// Nobody could take it: park it until node capacity changes.
				info.parked_at = Some((CapacityChanges::<T>::get().epoch, now));
				info.queued = false;
				Self::deposit_event(Event::ReplicationParked { model });
			} else if !info.retiring && Self::replication_deficit(&info, &p) > 0 {
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
