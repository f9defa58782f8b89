//! The cleanup queue: work whose size depends on how many models a node holds or how many
//! holders a model has, done in `on_initialize` with at most `MaxCleanupStepsPerBlock` steps
//! per block, so that no call has to do it.
//!
//! Jobs, served in order (the front job keeps its place until it is done):
//! - a **node** job after a pause or resume walks the node's holding list from the end
//!   (`sync_left` entries) and brings each holding's availability flag in line with the node's
//!   status, adjusting the model's `available` count and queueing it for replication if it
//!   fell short. Walking from the end means a holding removed meanwhile can only make an entry
//!   be looked at twice, never skipped; a holding added meanwhile gets its flag right away.
//! - a node job for a `Leaving` node evicts its holdings (with `ModelEvicted`), then drops
//!   its nominations, replacements being queued for nomination, then removes its record —
//!   unless the node (kicked out) still has open commitments: the record, with the stake held,
//!   then stays until their tasks resolve.
//! - a **model** job for a deregistered model evicts its holders (last position first, with
//!   `ModelEvicted`), then its nominations, then removes its record (unless the model still
//!   sits in the replication queue; it is removed when it leaves it).
//!
//! One step is one eviction, one dropped nomination, one flag update or the final removal.

use crate::{pallet::*, queue::Fifo, types::*, weights::WeightInfo};
use codec::{Decode, DecodeWithMemTracking, Encode, MaxEncodedLen};
use frame_support::{pallet_prelude::*, traits::Get};
use scale_info::TypeInfo;

/// Work the cleanup queue does block by block.
#[derive(
	Clone, PartialEq, Eq, Encode, Decode, DecodeWithMemTracking, MaxEncodedLen, TypeInfo, Debug,
)]
pub enum CleanupJob<AccountId> {
	/// Bring a node's holder availability flags in line with its status, or clear a leaving
	/// node's holdings and nominations and remove its record.
	Node(AccountId),
	/// Evict every copy and nomination of a deregistered model and remove its record.
	Model(ModelId),
}

/// The cleanup queue.
pub(crate) type Cleanup<T> = Fifo<CleanupQueue<T>, CleanupQueueRange<T>, CleanupJobOf<T>>;

impl<T: Config> Pallet<T> {
	/// Queue `job` unless `queued` says it already is; sets `queued`.
	pub(crate) fn enqueue_cleanup(job: CleanupJobOf<T>, queued: &mut bool) {
		if !*queued {
			Cleanup::<T>::push(job);
			*queued = true;
		}
	}

	/// Work through the cleanup queue with the per-block step budget. Returns the weight.
	pub(crate) fn process_cleanup() -> Weight {
		let budget = T::MaxCleanupStepsPerBlock::get();
		let mut used = 0u32;
		let mut weight = Weight::zero();
		while used < budget {
			let Some(job) = Cleanup::<T>::peek() else {
				break;
			};
			let (steps, done) = match &job {
				CleanupJob::Node(who) => {
					let (steps, done) = Self::cleanup_node(who, budget - used);
					weight.saturating_accrue(T::WeightInfo::cleanup_node(steps));
					(steps, done)
				}
				CleanupJob::Model(model) => {
					let (steps, done) = Self::cleanup_model(*model, budget - used);
					weight.saturating_accrue(T::WeightInfo::cleanup_model(steps));
					(steps, done)
				}
			};
			used = used.saturating_add(steps.max(1));
			if done {
				Cleanup::<T>::pop();
			}
		}
		weight
	}

	/// Up to `budget` steps of a node job. Returns the steps taken and whether the job is done.
	pub(crate) fn cleanup_node(who: &T::AccountId, budget: u32) -> (u32, bool) {
		let Some(mut node) = Nodes::<T>::get(who) else {
			return (0, true);
		};
		let mut steps = 0;
		if node.status == NodeStatus::Leaving {
			while steps < budget {
				steps += 1;
				if let Some(model) = NodeHoldings::<T>::get(who).last().copied() {
					Self::evict_holding(model, who);
					continue;
				}
				if let Some(model) = NodeNominations::<T>::get(who).last().copied() {
					Self::drop_nomination(model, who);
					continue;
				}
				if node.open_commitments > 0 {
					// The stake stays held until the node's open tasks resolve; the record
					// is removed then (see `settle_departed`).
					Nodes::<T>::mutate_extant(who, |n| n.in_cleanup = false);
				} else {
					Self::remove_node_record(who);
				}
				return (steps, true);
			}
			return (steps, false);
		}
		let available = node.status == NodeStatus::Active;
		while steps < budget && node.sync_left > 0 {
			steps += 1;
			let holdings = NodeHoldings::<T>::get(who);
			node.sync_left = node.sync_left.min(holdings.len() as u32);
			let Some(i) = node.sync_left.checked_sub(1) else {
				break;
			};
			node.sync_left = i;
			if let Some(model) = holdings.get(i as usize) {
				Self::sync_holding(*model, who, available);
			}
		}
		let done = node.sync_left == 0;
		if done {
			node.in_cleanup = false;
		}
		Nodes::<T>::insert(who, node);
		(steps, done)
	}

	/// Evict `model` from the holdings of `who`.
	fn evict_holding(model: ModelId, who: &T::AccountId) {
		let mut found = false;
		Models::<T>::mutate_extant(model, |info| {
			found = Self::detach_holder(model, info, who);
			Self::ensure_replication(model, info);
		});
		if found {
			Self::deposit_event(Event::ModelEvicted { model, node: who.clone() });
		} else {
			// A holding without record cannot exist; drop it rather than loop on it.
			NodeHoldings::<T>::mutate_exists(who, |l| {
				if let Some(models) = l {
					models.retain(|m| *m != model);
				}
			});
		}
	}

	/// Drop the nomination of `who` for `model`.
	fn drop_nomination(model: ModelId, who: &T::AccountId) {
		let mut found = false;
		Models::<T>::mutate_extant(model, |info| {
			found = Self::detach_nomination(model, info, who, true).is_some();
			Self::ensure_replication(model, info);
		});
		if !found {
			NodeNominations::<T>::mutate_exists(who, |l| {
				if let Some(models) = l {
					models.retain(|m| *m != model);
				}
			});
		}
	}

	/// Set the availability flag of `who`'s copy of `model` to `available`.
	fn sync_holding(model: ModelId, who: &T::AccountId, available: bool) {
		let changed = Holders::<T>::mutate(model, |holders| {
			match holders.iter_mut().find(|h| h.node == *who) {
				Some(entry) if entry.available != available => {
					entry.available = available;
					true
				}
				_ => false,
			}
		});
		if !changed {
			return;
		}
		Models::<T>::mutate_extant(model, |info| {
			if available {
				info.available = info.available.saturating_add(1);
			} else {
				info.available = info.available.saturating_sub(1);
				Self::ensure_replication(model, info);
			}
		});
	}

	/// Up to `budget` steps of a model job. Returns the steps taken and whether the job is
	/// done.
	pub(crate) fn cleanup_model(model: ModelId, budget: u32) -> (u32, bool) {
		let Some(mut info) = Models::<T>::get(model) else {
			return (0, true);
		};
		let mut steps = 0;
		while steps < budget {
			steps += 1;
			if info.holders > 0 {
				let holder = Holders::<T>::get(model).last().map(|h| h.node.clone());
				match holder {
					Some(who) if Self::detach_holder(model, &mut info, &who) => {
						Self::deposit_event(Event::ModelEvicted { model, node: who });
					}
					// The count and the index cannot disagree; trust the index.
					_ => info.holders = 0,
				}
				continue;
			}
			if info.nominated > 0 {
				match Nominations::<T>::iter_key_prefix(model).next() {
					Some(who) => {
						Self::detach_nomination(model, &mut info, &who, true);
						Self::deposit_event(Event::ModelEvicted { model, node: who });
					}
					None => info.nominated = 0,
				}
				continue;
			}
			if info.queued {
				// Removed when it leaves the replication queue.
				Models::<T>::insert(model, info);
			} else {
				Self::remove_model_record(model);
			}
			return (steps, true);
		}
		Models::<T>::insert(model, info);
		(steps, false)
	}
}
