//! Node lifecycle: join, capacity updates, pause/resume, leave, and retirement (shared with
//! kick-outs).
//!
//! Every call here touches a constant number of storage items. What depends on the number of
//! models a node holds (availability counts after a pause or resume, evictions after a leave or
//! kick-out) is done by the cleanup queue in the following blocks (see [`crate::cleanup`]).

use crate::{pallet::*, qos::INITIAL_QOS, types::*};
use frame_support::{
	ensure,
	pallet_prelude::*,
	traits::{
		fungible::{InspectHold, MutateHold},
		tokens::Precision,
	},
};
use sp_runtime::traits::Zero;

impl<T: Config> Pallet<T> {
	pub(crate) fn do_join(
		who: T::AccountId,
		capacity: NodeCapacity,
		stake: BalanceOf<T>,
	) -> DispatchResult {
		ensure!(!Nodes::<T>::contains_key(&who), Error::<T>::AlreadyJoined);
		ensure!(stake >= T::MinNodeStake::get(), Error::<T>::StakeTooLow);
		let index = NodeCount::<T>::get();
		ensure!(index < T::MaxNodes::get(), Error::<T>::TooManyNodes);
		T::Currency::hold(&HoldReason::NodeStake.into(), &who, stake)
			.map_err(|_| Error::<T>::InsufficientBalance)?;
		let node = NodeInfo {
			index,
			stake,
			capacity,
			used_disk: 0,
			vram_needs: BoundedVec::new(),
			qos: INITIAL_QOS,
			status: NodeStatus::Active,
			joined_at: frame_system::Pallet::<T>::block_number(),
			sync_left: 0,
			in_cleanup: false,
			open_commitments: 0,
		};
		Nodes::<T>::insert(&who, node);
		NodeAt::<T>::insert(index, &who);
		NodeCount::<T>::put(index.saturating_add(1));
		Self::deposit_event(Event::NodeJoined { node: who, stake, capacity });
		Ok(())
	}

	/// The record of a node that has not left.
	pub(crate) fn member(who: &T::AccountId) -> Result<NodeInfoOf<T>, Error<T>> {
		Nodes::<T>::get(who).filter(|n| n.status != NodeStatus::Leaving).ok_or(Error::<T>::NotANode)
	}

	pub(crate) fn do_update_capacity(who: T::AccountId, capacity: NodeCapacity) -> DispatchResult {
		let mut node = Self::member(&who)?;
		ensure!(capacity.disk_bytes >= node.used_disk, Error::<T>::CapacityBelowUsage);
		ensure!(capacity.vram_bytes >= node.vram_needed(), Error::<T>::CapacityBelowUsage);
		node.capacity = capacity;
		Nodes::<T>::insert(&who, node);
		Self::deposit_event(Event::NodeCapacityUpdated { node: who, capacity });
		Ok(())
	}

	pub(crate) fn do_pause(who: T::AccountId) -> DispatchResult {
		let mut node = Self::member(&who)?;
		ensure!(node.status == NodeStatus::Active, Error::<T>::AlreadyPaused);
		node.status = NodeStatus::Paused;
		Self::schedule_sync(&who, &mut node);
		Nodes::<T>::insert(&who, node);
		Self::deposit_event(Event::NodePaused { node: who });
		Ok(())
	}

	pub(crate) fn do_resume(who: T::AccountId) -> DispatchResult {
		let mut node = Self::member(&who)?;
		ensure!(node.status == NodeStatus::Paused, Error::<T>::NotPaused);
		node.status = NodeStatus::Active;
		Self::schedule_sync(&who, &mut node);
		Nodes::<T>::insert(&who, node);
		Self::deposit_event(Event::NodeResumed { node: who });
		Ok(())
	}

	/// Have the cleanup queue bring every holding's availability flag in line with the node's
	/// (new) status.
	fn schedule_sync(who: &T::AccountId, node: &mut NodeInfoOf<T>) {
		node.sync_left = NodeHoldings::<T>::decode_len(who).unwrap_or(0) as u32;
		if node.sync_left > 0 {
			Self::enqueue_cleanup(CleanupJob::Node(who.clone()), &mut node.in_cleanup);
		}
	}

	pub(crate) fn do_leave(who: T::AccountId) -> DispatchResult {
		ensure!(Self::member(&who)?.open_commitments == 0, Error::<T>::TasksInFlight);
		let released = Self::retire_node(&who);
		Self::deposit_event(Event::NodeLeft { node: who, released });
		Ok(())
	}

	/// Retire a node (leave or kick-out): release its stake, free its slot in the dense node
	/// index so that it is no longer drawn, and mark it `Leaving`; the cleanup queue then evicts
	/// its holdings (with `ModelEvicted` events), drops its nominations and removes the record.
	/// Tasks the node was executing keep it as an executor. Returns the released amount.
	pub(crate) fn retire_node(who: &T::AccountId) -> BalanceOf<T> {
		let Some(mut node) = Nodes::<T>::get(who) else {
			return Zero::zero();
		};
		if node.status == NodeStatus::Leaving {
			return Zero::zero();
		}
		let last = NodeCount::<T>::get().saturating_sub(1);
		if node.index != last {
			if let Some(moved) = NodeAt::<T>::get(last) {
				NodeAt::<T>::insert(node.index, &moved);
				Nodes::<T>::mutate_extant(&moved, |n| n.index = node.index);
			}
		}
		NodeAt::<T>::remove(last);
		NodeCount::<T>::put(last);

		node.status = NodeStatus::Leaving;
		node.stake = Zero::zero();
		node.sync_left = 0;
		Self::enqueue_cleanup(CleanupJob::Node(who.clone()), &mut node.in_cleanup);
		Nodes::<T>::insert(who, node);

		let reason = HoldReason::NodeStake.into();
		let held = T::Currency::balance_on_hold(&reason, who);
		T::Currency::release(&reason, who, held, Precision::BestEffort).unwrap_or_default()
	}
}
