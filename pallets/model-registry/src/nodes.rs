//! Node lifecycle: join, capacity updates, pause/resume, leave, and retirement (shared with
//! kick-outs).
//!
//! Every call here touches a constant number of storage items. What depends on the number of
//! models a node holds (availability counts after a pause or resume, evictions after a leave or
//! kick-out) is done by the cleanup queue in the following blocks (see [`crate::cleanup`]).
//!
//! Churn is priced: a pause or resume is refused while the previous one is still being applied
//! (so a node has at most one availability job queued, and toggling cannot restart a job the
//! queue is working on), and an account that left may join again only one demand window after
//! leaving (each departure leaves a cleanup job and a departure record behind).

use crate::{pallet::*, qos::INITIAL_QOS, types::*};
use frame_support::{
	ensure,
	pallet_prelude::*,
	traits::{
		fungible::{InspectHold, MutateHold},
		tokens::Precision,
	},
};
use frame_system::pallet_prelude::BlockNumberFor;
use sp_runtime::{
	traits::{Saturating, Zero},
	SaturatedConversion,
};

/// Bytes per GiB, the unit capacity is priced in.
const GIB: u64 = 1 << 30;

impl<T: Config> Pallet<T> {
	/// The stake a node declaring `capacity` must hold: `MinNodeStake`, plus `StakePerVramGib`
	/// per started GiB of VRAM and `StakePerDiskGib` per started GiB of disk. A node claiming
	/// the VRAM that makes it eligible for rare models pays for that eligibility, so Sybils
	/// cannot declare `u64::MAX` and enter every pool for the price of one.
	pub fn required_stake(capacity: &NodeCapacity) -> BalanceOf<T> {
		let gib = |bytes: u64| -> BalanceOf<T> { bytes.div_ceil(GIB).saturated_into() };
		T::MinNodeStake::get()
			.saturating_add(T::StakePerVramGib::get().saturating_mul(gib(capacity.vram_bytes)))
			.saturating_add(T::StakePerDiskGib::get().saturating_mul(gib(capacity.disk_bytes)))
	}

	pub(crate) fn do_join(
		who: T::AccountId,
		capacity: NodeCapacity,
		stake: BalanceOf<T>,
	) -> DispatchResult {
		ensure!(!Nodes::<T>::contains_key(&who), Error::<T>::AlreadyJoined);
		ensure!(stake >= Self::required_stake(&capacity), Error::<T>::StakeTooLow);
		let index = NodeCount::<T>::get();
		ensure!(index < T::MaxNodes::get(), Error::<T>::TooManyNodes);
		let now = frame_system::Pallet::<T>::block_number();
		ensure!(
			Departures::<T>::get(&who).is_none_or(|d| now >= d.rejoin_at),
			Error::<T>::RejoinTooSoon
		);
		T::Currency::hold(&HoldReason::NodeStake.into(), &who, stake)
			.map_err(|_| Error::<T>::InsufficientBalance)?;
		// A recent departure's score is restored: leaving and rejoining resets nothing.
		let qos = Departures::<T>::take(&who).map_or(INITIAL_QOS, |d| d.qos);
		let node = NodeInfo {
			index,
			stake,
			capacity,
			used_disk: 0,
			vram_needs: BoundedVec::new(),
			qos,
			status: NodeStatus::Active,
			joined_at: frame_system::Pallet::<T>::block_number(),
			sync_left: 0,
			in_cleanup: false,
			open_commitments: 0,
		};
		Nodes::<T>::insert(&who, node);
		NodeAt::<T>::insert(index, &who);
		NodeCount::<T>::put(index.saturating_add(1));
		Self::note_capacity(&capacity);
		Self::deposit_event(Event::NodeJoined { node: who, stake, capacity });
		Ok(())
	}

	/// The record of a node that has not left.
	pub(crate) fn member(who: &T::AccountId) -> Result<NodeInfoOf<T>, Error<T>> {
		Nodes::<T>::get(who).filter(|n| n.status != NodeStatus::Leaving).ok_or(Error::<T>::NotANode)
	}

	pub(crate) fn do_set_endpoint(who: T::AccountId, endpoint: Option<UrlOf<T>>) -> DispatchResult {
		Self::member(&who)?;
		match &endpoint {
			Some(url) => {
				crate::endpoint::check_endpoint(url).map_err(|_| Error::<T>::InvalidEndpoint)?;
				NodeEndpoints::<T>::insert(&who, url);
			}
			None => NodeEndpoints::<T>::remove(&who),
		}
		Self::deposit_event(Event::NodeEndpointSet { node: who, endpoint });
		Ok(())
	}

	pub(crate) fn do_update_capacity(who: T::AccountId, capacity: NodeCapacity) -> DispatchResult {
		let mut node = Self::member(&who)?;
		ensure!(capacity.disk_bytes >= node.used_disk, Error::<T>::CapacityBelowUsage);
		ensure!(capacity.vram_bytes >= node.vram_needed(), Error::<T>::CapacityBelowUsage);
		let grows = capacity.disk_bytes > node.capacity.disk_bytes
			|| capacity.vram_bytes > node.capacity.vram_bytes;
		ensure!(!grows || node.stake >= Self::required_stake(&capacity), Error::<T>::StakeTooLow);
		node.capacity = capacity;
		Nodes::<T>::insert(&who, node);
		Self::note_capacity(&capacity);
		Self::deposit_event(Event::NodeCapacityUpdated { node: who, capacity });
		Ok(())
	}

	pub(crate) fn do_pause(who: T::AccountId) -> DispatchResult {
		let mut node = Self::member(&who)?;
		ensure!(node.status == NodeStatus::Active, Error::<T>::AlreadyPaused);
		ensure!(node.sync_left == 0, Error::<T>::StatusChangePending);
		node.status = NodeStatus::Paused;
		Self::schedule_sync(&who, &mut node);
		Nodes::<T>::insert(&who, node);
		Self::deposit_event(Event::NodePaused { node: who });
		Ok(())
	}

	pub(crate) fn do_resume(who: T::AccountId) -> DispatchResult {
		let mut node = Self::member(&who)?;
		ensure!(node.status == NodeStatus::Paused, Error::<T>::NotPaused);
		ensure!(node.sync_left == 0, Error::<T>::StatusChangePending);
		node.status = NodeStatus::Active;
		Self::schedule_sync(&who, &mut node);
		let capacity = node.capacity;
		Nodes::<T>::insert(&who, node);
		Self::note_capacity(&capacity);
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

	/// Retire a node (leave or kick-out): free its slot in the dense node index so that it is
	/// no longer drawn, remember its QoS ([`Departures`]), mark it `Leaving` and release its
	/// stake — unless it has open commitments (only possible after a kick-out): then the stake
	/// stays held, within reach of a slash, until the last of their tasks resolves (see
	/// [`Self::settle_departed`]). The cleanup queue evicts its holdings (with `ModelEvicted`
	/// events), drops its nominations and removes the record (once the stake is released).
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

		let now = frame_system::Pallet::<T>::block_number();
		let until = now.saturating_add(Self::cooldown_length());
		let rejoin_at = now.saturating_add(Params::<T>::get().demand_window);
		Departures::<T>::insert(who, Departure { qos: node.qos, until, rejoin_at });
		Self::schedule_deadline(until, DeadlineItem::ForgetDeparture { node: who.clone() });

		node.status = NodeStatus::Leaving;
		node.sync_left = 0;
		Self::enqueue_cleanup(CleanupJob::Node(who.clone()), &mut node.in_cleanup);
		let keep = node.open_commitments > 0;
		if !keep {
			node.stake = Zero::zero();
		}
		Nodes::<T>::insert(who, node);
		if keep {
			return Zero::zero();
		}
		Self::release_stake(who)
	}

	/// Release everything held as `who`'s stake. Returns the amount.
	fn release_stake(who: &T::AccountId) -> BalanceOf<T> {
		let reason = HoldReason::NodeStake.into();
		let held = T::Currency::balance_on_hold(&reason, who);
		T::Currency::release(&reason, who, held, Precision::BestEffort).unwrap_or_default()
	}

	/// Length of a punishment: [`COOLDOWN_WINDOWS`] demand windows.
	pub(crate) fn cooldown_length() -> BlockNumberFor<T> {
		Params::<T>::get().demand_window.saturating_mul(COOLDOWN_WINDOWS.into())
	}

	/// After a task of `who` resolved: a node that was kicked out with open commitments gets
	/// its (possibly slashed) stake back once none is left (`StakeReleased`), and its record is
	/// removed if the cleanup queue is already done with it.
	pub(crate) fn settle_departed(who: &T::AccountId) {
		let Some(mut node) = Nodes::<T>::get(who) else {
			return;
		};
		if node.status != NodeStatus::Leaving || node.open_commitments > 0 {
			return;
		}
		if !node.stake.is_zero() {
			let amount = Self::release_stake(who);
			node.stake = Zero::zero();
			Self::deposit_event(Event::StakeReleased { node: who.clone(), amount });
		}
		if node.in_cleanup {
			Nodes::<T>::insert(who, node);
		} else {
			Self::remove_node_record(who);
		}
	}

	/// Remove the records of a leaving node whose holdings and nominations are cleared and
	/// whose stake is released.
	pub(crate) fn remove_node_record(who: &T::AccountId) {
		NodeHoldings::<T>::remove(who);
		NodeNominations::<T>::remove(who);
		Announcements::<T>::remove(who);
		NodeEndpoints::<T>::remove(who);
		Nodes::<T>::remove(who);
	}

	/// Deadline handler: forget a departure record if it ends at `at`.
	pub(crate) fn forget_departure(who: &T::AccountId, at: BlockNumberFor<T>) {
		if Departures::<T>::get(who).is_some_and(|d| d.until == at) {
			Departures::<T>::remove(who);
		}
	}
}
