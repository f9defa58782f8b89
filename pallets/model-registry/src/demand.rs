//! Demand measurement, replication targets and eviction.
//!
//! Demand is the number of tasks of a model that ended (completed or failed; cancelled ones do
//! not count) per window of `demand_window` blocks (windows are aligned: window index = block
//! / demand_window). The current and previous window counts are kept; the demand estimate is
//! the larger of the two.
//!
//! The *desired* replica count serves the estimated executions with headroom:
//! `ceil(demand * executors_per_task * headroom_percent / (100 * tasks_per_replica))`,
//! clamped to `min_replicas..=max_replicas`. The target rises as soon as the desired count
//! exceeds it (checked whenever a task ends and on every review). It falls only when the
//! desired count is at least `scale_down_hysteresis_percent` below the target or equals
//! `min_replicas` (so that a target of `min_replicas + 1` can fall to `min_replicas`), and not
//! before a full window has passed since registration (so a new model keeps its `initial_replicas` until
//! demand was measured).
//!
//! Models are reviewed round-robin, `ModelsReviewedPerBlock` per block, by a cursor over the
//! dense model index. A review updates the target and evicts surplus holders, agreeing with
//! refill (which looks at *available* holders): with `floor = max(target, min_replicas)`
//! (at least the refill trigger `max(low_watermark, executors_per_task)`, which the parameter
//! rules keep below `min_replicas`), holders are evicted only while there are more than
//! `floor`, and an available holder only while more than `floor` are available.
//!
//! Eviction choice (at most `EVICTION_SAMPLE` per review; holders executing a task of this
//! model are never evicted): unavailable (paused) holders first, found anywhere in the holder
//! list (the list carries the flag, no node is read); then available ones from a window of at
//! most `EVICTION_SAMPLE` consecutive positions starting at a random position: those scoring
//! below [`EVICTION_QOS_FLOOR`] first, lowest first, then the others at random. Above the
//! floor the score does not count: a party whose nodes outscore honest holders (say, by
//! answering first) could otherwise pump a model's demand, let the target fall again and have
//! the honest copies evicted. Remaining surplus is handled by later reviews.

use crate::{pallet::*, placement::BlockSeed, types::*, weights::WeightInfo};
use alloc::vec::Vec;
use frame_support::pallet_prelude::*;
use frame_system::pallet_prelude::BlockNumberFor;
use sp_runtime::{traits::Saturating, SaturatedConversion};

/// Holders examined per eviction pass.
pub const EVICTION_SAMPLE: u32 = 8;
/// Holders scoring below this QoS are evicted before the others; above it, at random.
pub const EVICTION_QOS_FLOOR: u32 = 500;

impl<T: Config> Pallet<T> {
	/// Move the demand counters to the window containing `now`.
	pub(crate) fn roll_demand(info: &mut ModelInfoOf<T>, p: &ParamsOf<T>, now: BlockNumberFor<T>) {
		let window = now / p.demand_window.max(1u32.into());
		if window == info.demand_window_index {
			return;
		}
		info.demand_previous = if window == info.demand_window_index.saturating_add(1u32.into()) {
			info.demand_current
		} else {
			0
		};
		info.demand_current = 0;
		info.demand_window_index = window;
	}

	/// Replica count wanted for the model's measured demand.
	pub fn desired_replicas(info: &ModelInfoOf<T>, p: &ParamsOf<T>) -> u32 {
		let demand = u128::from(info.demand_current.max(info.demand_previous));
		let executions = demand.saturating_mul(u128::from(p.executors_per_task));
		let numerator = executions.saturating_mul(u128::from(p.headroom_percent));
		let denominator = u128::from(p.tasks_per_replica.max(1)).saturating_mul(100);
		let needed: u32 = numerator.div_ceil(denominator).saturated_into();
		needed.clamp(p.min_replicas, p.max_replicas.max(p.min_replicas))
	}

	/// Re-evaluate the target; lowering it only if `allow_down`. Emits
	/// `ReplicationTargetChanged` on change.
	pub(crate) fn update_target(
		model: ModelId,
		info: &mut ModelInfoOf<T>,
		p: &ParamsOf<T>,
		now: BlockNumberFor<T>,
		allow_down: bool,
	) {
		let desired = Self::desired_replicas(info, p);
		let old = info.target;
		// Demand at the floor may always bring the target down to it: otherwise a target of
		// `min_replicas + 1` could never fall (the step is below the hysteresis).
		let may_lower = allow_down
			&& now >= info.registered_at.saturating_add(p.demand_window)
			&& (desired == p.min_replicas
				|| u64::from(desired) * 100
					<= u64::from(old)
						* u64::from(100u32.saturating_sub(p.scale_down_hysteresis_percent)));
		let new = if desired > old || (desired < old && may_lower) {
			desired
		} else {
			// Parameters may have changed under the model: keep the target in range.
			old.clamp(p.min_replicas, p.max_replicas.max(p.min_replicas))
		};
		if new != old {
			info.target = new;
			Self::deposit_event(Event::ReplicationTargetChanged { model, old, new });
		}
	}

	/// Count an ended task for the model and raise its target if demand asks for it. Counting
	/// at the end rather than at creation keeps `create_task` from writing the model record.
	pub(crate) fn note_demand(model: ModelId, info: &mut ModelInfoOf<T>, now: BlockNumberFor<T>) {
		let p = Params::<T>::get();
		Self::roll_demand(info, &p, now);
		info.demand_current = info.demand_current.saturating_add(1);
		Self::update_target(model, info, &p, now, false);
		Self::ensure_replication(model, info);
	}

	/// Review `ModelsReviewedPerBlock` models from the cursor. Returns the weight.
	pub(crate) fn review_models(now: BlockNumberFor<T>, seed: &BlockSeed) -> Weight {
		let count = ModelCount::<T>::get();
		let n = T::ModelsReviewedPerBlock::get().min(count);
		let mut weight = Weight::zero();
		if n == 0 {
			return weight;
		}
		let p = Params::<T>::get();
		let mut cursor = ReviewCursor::<T>::get() % count;
		for _ in 0..n {
			let mut evicted = 0;
			if let Some(model) = ModelAt::<T>::get(cursor) {
				if let Some(mut info) = Models::<T>::get(model) {
					Self::roll_demand(&mut info, &p, now);
					Self::update_target(model, &mut info, &p, now, true);
					evicted = Self::evict_surplus(model, &mut info, &p, seed);
					Self::ensure_replication(model, &mut info);
					Models::<T>::insert(model, info);
				}
			}
			weight.saturating_accrue(T::WeightInfo::review_model(evicted));
			cursor = (cursor + 1) % count;
		}
		ReviewCursor::<T>::put(cursor);
		weight
	}

	/// Evict surplus holders, unavailable ones first (see the module documentation).
	/// Returns the number of evicted holders.
	pub(crate) fn evict_surplus(
		model: ModelId,
		info: &mut ModelInfoOf<T>,
		p: &ParamsOf<T>,
		seed: &BlockSeed,
	) -> u32 {
		let floor = info.target.max(p.min_replicas).max(p.low_watermark.max(p.executors_per_task));
		if info.holders <= floor {
			return 0;
		}
		let surplus = (info.holders - floor).min(EVICTION_SAMPLE) as usize;
		let holders = Holders::<T>::get(model);
		let count = holders.len() as u32;
		if count == 0 {
			return 0;
		}
		// Unavailable holders first: they count for nothing in refill.
		let mut chosen: Vec<T::AccountId> = holders
			.iter()
			.filter(|h| !h.available && h.tasks.is_empty())
			.map(|h| h.node.clone())
			.take(surplus)
			.collect();
		// Then available ones, never below the floor of available holders.
		let available_surplus =
			(info.available.saturating_sub(floor) as usize).min(surplus - chosen.len());
		if available_surplus > 0 {
			let sample = count.min(EVICTION_SAMPLE);
			let mut stream = seed.stream(b"modelnet/evict", model);
			let (start, _) = stream.next_pair();
			let start = start % count;
			let mut candidates: Vec<(u32, T::AccountId)> = Vec::new();
			for offset in 0..sample {
				let Some(entry) = holders.get(((start + offset) % count) as usize) else {
					continue;
				};
				if !entry.available || !entry.tasks.is_empty() {
					continue;
				}
				let qos = Nodes::<T>::get(&entry.node).map_or(0, |n| n.qos);
				candidates.push((qos, entry.node.clone()));
			}
			let (mut poor, mut others): (Vec<_>, Vec<_>) =
				candidates.into_iter().partition(|(qos, _)| *qos < EVICTION_QOS_FLOOR);
			poor.sort_by_key(|c| c.0);
			let mut poor = poor.into_iter().map(|(_, who)| who);
			for _ in 0..available_surplus {
				if let Some(who) = poor.next() {
					chosen.push(who);
				} else if !others.is_empty() {
					let (pick, _) = stream.next_pair();
					let (_, who) = others.swap_remove(pick as usize % others.len());
					chosen.push(who);
				}
			}
		}
		let mut evicted = 0;
		for who in chosen {
			if Self::detach_holder(model, info, &who) {
				Self::deposit_event(Event::ModelEvicted { model, node: who });
				evicted += 1;
			}
		}
		evicted
	}
}
