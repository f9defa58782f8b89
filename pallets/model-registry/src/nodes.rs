//! Node lifecycle: join, capacity updates, pause/resume, leave, and removal (shared with
//! kick-outs).

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
			qos: INITIAL_QOS,
			status: NodeStatus::Active,
			joined_at: frame_system::Pallet::<T>::block_number(),
		};
		Nodes::<T>::insert(&who, node);
		NodeAt::<T>::insert(index, &who);
		NodeCount::<T>::put(index.saturating_add(1));
		Self::deposit_event(Event::NodeJoined { node: who, stake, capacity });
		Ok(())
	}

	pub(crate) fn do_update_capacity(who: T::AccountId, capacity: NodeCapacity) -> DispatchResult {
		let mut node = Nodes::<T>::get(&who).ok_or(Error::<T>::NotANode)?;
		ensure!(capacity.disk_bytes >= node.used_disk, Error::<T>::CapacityBelowUsage);
		if capacity.vram_bytes < node.capacity.vram_bytes {
			let held = NodeHoldings::<T>::get(&who);
			let nominated = NodeNominations::<T>::get(&who);
			for model in held.iter().chain(nominated.iter()) {
				if let Some(info) = Models::<T>::get(model) {
					ensure!(
						info.min_vram_bytes <= capacity.vram_bytes,
						Error::<T>::CapacityBelowUsage
					);
				}
			}
		}
		node.capacity = capacity;
		Nodes::<T>::insert(&who, node);
		Self::deposit_event(Event::NodeCapacityUpdated { node: who, capacity });
		Ok(())
	}

	pub(crate) fn do_pause(who: T::AccountId) -> DispatchResult {
		let mut node = Nodes::<T>::get(&who).ok_or(Error::<T>::NotANode)?;
		ensure!(node.status == NodeStatus::Active, Error::<T>::AlreadyPaused);
		node.status = NodeStatus::Paused;
		Nodes::<T>::insert(&who, node);
		for model in NodeHoldings::<T>::get(&who) {
			Models::<T>::mutate_extant(model, |info| {
				info.available = info.available.saturating_sub(1);
				Self::ensure_replication(model, info);
			});
		}
		Self::deposit_event(Event::NodePaused { node: who });
		Ok(())
	}

	pub(crate) fn do_resume(who: T::AccountId) -> DispatchResult {
		let mut node = Nodes::<T>::get(&who).ok_or(Error::<T>::NotANode)?;
		ensure!(node.status == NodeStatus::Paused, Error::<T>::NotPaused);
		node.status = NodeStatus::Active;
		Nodes::<T>::insert(&who, node);
		for model in NodeHoldings::<T>::get(&who) {
			Models::<T>::mutate_extant(model, |info| {
				info.available = info.available.saturating_add(1);
			});
		}
		Self::deposit_event(Event::NodeResumed { node: who });
		Ok(())
	}

	pub(crate) fn do_leave(who: T::AccountId) -> DispatchResult {
		ensure!(Nodes::<T>::contains_key(&who), Error::<T>::NotANode);
		ensure!(NodeTasks::<T>::decode_len(&who).unwrap_or(0) == 0, Error::<T>::TasksInFlight);
		let released = Self::remove_node(&who);
		Self::deposit_event(Event::NodeLeft { node: who, released });
		Ok(())
	}

	/// Remove a node: evict its holdings (with `ModelEvicted` events), drop its nominations,
	/// forget its task list, free its slot in the dense node index and release its stake.
	/// Returns the released amount. Tasks the node was executing keep it as an executor; it
	/// simply no longer has a stake or a QoS record.
	pub(crate) fn remove_node(who: &T::AccountId) -> BalanceOf<T> {
		for model in NodeHoldings::<T>::get(who) {
			Models::<T>::mutate_extant(model, |info| {
				if Self::detach_holder(model, info, who) {
					Self::deposit_event(Event::ModelEvicted { model, node: who.clone() });
				}
				Self::ensure_replication(model, info);
			});
		}
		for model in NodeNominations::<T>::get(who) {
			Models::<T>::mutate_extant(model, |info| {
				Self::detach_nomination(model, info, who, true);
				Self::ensure_replication(model, info);
			});
		}
		NodeHoldings::<T>::remove(who);
		NodeNominations::<T>::remove(who);
		NodeTasks::<T>::remove(who);

		let Some(node) = Nodes::<T>::take(who) else {
			return Zero::zero();
		};
		let last = NodeCount::<T>::get().saturating_sub(1);
		if node.index != last {
			if let Some(moved) = NodeAt::<T>::get(last) {
				NodeAt::<T>::insert(node.index, &moved);
				Nodes::<T>::mutate_extant(&moved, |n| n.index = node.index);
			}
		}
		NodeAt::<T>::remove(last);
		NodeCount::<T>::put(last);

		let reason = HoldReason::NodeStake.into();
		let held = T::Currency::balance_on_hold(&reason, who);
		T::Currency::release(&reason, who, held, Precision::BestEffort).unwrap_or_default()
	}
}
