//! Holder and nomination bookkeeping, and the calls nodes use to report on their copies:
//! `confirm_stored`, `decline_nomination`, `report_lost`, `announce_stored`.
//!
//! An announcement (`announce_stored`) only records that the node has the file
//! ([`Announcements`]); it does not make the node a holder nor change its chance of being
//! drawn. When a nomination draw picks an announcing node, it becomes a holder at once (see
//! [`crate::placement`]). So announcing buys a faster confirmation, never a higher chance.
//!
//! Each model's holders are one storage value, a dense index (`Holders`, positions
//! `0..holders`): a random holder is found with one read and removal moves the last holder into
//! the freed position.

use crate::{pallet::*, types::*, weights::WeightInfo};
use frame_support::{ensure, pallet_prelude::*};
use frame_system::pallet_prelude::BlockNumberFor;
use sp_runtime::Saturating;

impl<T: Config> Pallet<T> {
	/// Add `who` as holder of `model` (node side included). The node's resources must already
	/// be reserved by the caller.
	pub(crate) fn attach_holder(model: ModelId, info: &mut ModelInfoOf<T>, who: &T::AccountId) {
		let available = Self::is_active(who);
		let added = Holders::<T>::mutate(model, |holders| {
			holders.try_push(HolderEntry::new(who.clone(), available)).is_ok()
		});
		// The bound was checked by the caller; a full index is left unchanged.
		if !added {
			return;
		}
		info.holders = info.holders.saturating_add(1);
		if available {
			info.available = info.available.saturating_add(1);
		}
		NodeHoldings::<T>::mutate(who, |held| {
			let _ = held.try_push(model);
		});
	}

	/// Remove `who` as holder of `model` and free its resources. Returns whether it was a
	/// holder.
	pub(crate) fn detach_holder(
		model: ModelId,
		info: &mut ModelInfoOf<T>,
		who: &T::AccountId,
	) -> bool {
		let removed = Holders::<T>::mutate_exists(model, |holders| {
			let list = holders.as_mut()?;
			let position = list.iter().position(|h| h.node == *who)?;
			let entry = list.swap_remove(position);
			if list.is_empty() {
				*holders = None;
			}
			Some(entry)
		});
		let Some(entry) = removed else {
			return false;
		};
		info.holders = info.holders.saturating_sub(1);
		if entry.available {
			info.available = info.available.saturating_sub(1);
		}
		NodeHoldings::<T>::mutate_exists(who, |l| Self::remove_from_node_list(l, &model));
		Self::free_resources(who, info);
		true
	}

	/// Whether `who` holds `model`.
	pub(crate) fn is_holder(model: ModelId, who: &T::AccountId) -> bool {
		Holders::<T>::get(model).iter().any(|h| h.node == *who)
	}

	/// Record a nomination of `who` for `model` with `deadline` and reserve its resources.
	pub(crate) fn attach_nomination(
		model: ModelId,
		info: &mut ModelInfoOf<T>,
		who: &T::AccountId,
		now: BlockNumberFor<T>,
		deadline: BlockNumberFor<T>,
	) {
		Nominations::<T>::insert(model, who, Nomination { nominated_at: now, deadline });
		NodeNominations::<T>::mutate(who, |list| {
			// Eligibility checked the bound; a full list is left unchanged.
			let _ = list.try_push(model);
		});
		Self::reserve_resources(who, info);
		info.nominated = info.nominated.saturating_add(1);
	}

	/// Drop the nomination of `who` for `model`; with `free` the reserved resources are
	/// released.
	pub(crate) fn detach_nomination(
		model: ModelId,
		info: &mut ModelInfoOf<T>,
		who: &T::AccountId,
		free: bool,
	) -> Option<Nomination<BlockNumberFor<T>>> {
		let nomination = Nominations::<T>::take(model, who)?;
		NodeNominations::<T>::mutate_exists(who, |l| Self::remove_from_node_list(l, &model));
		if free {
			Self::free_resources(who, info);
		}
		info.nominated = info.nominated.saturating_sub(1);
		Some(nomination)
	}

	/// Reserve the model's disk bytes and VRAM requirement on the node.
	pub(crate) fn reserve_resources(who: &T::AccountId, info: &ModelInfoOf<T>) {
		Nodes::<T>::mutate_extant(who, |node| {
			node.used_disk = node.used_disk.saturating_add(info.size_bytes);
			// The model count was checked against the same bound.
			let _ = node.vram_needs.try_push(info.min_vram_bytes);
		});
	}

	fn free_resources(who: &T::AccountId, info: &ModelInfoOf<T>) {
		Nodes::<T>::mutate_extant(who, |node| {
			node.used_disk = node.used_disk.saturating_sub(info.size_bytes);
			if let Some(i) = node.vram_needs.iter().position(|v| *v == info.min_vram_bytes) {
				node.vram_needs.swap_remove(i);
			}
		});
	}

	fn remove_from_node_list(list: &mut Option<NodeModelsOf<T>>, model: &ModelId) {
		if let Some(models) = list {
			models.retain(|m| m != model);
			if models.is_empty() {
				*list = None;
			}
		}
	}

	/// Whether `who` is a registered, active node.
	pub(crate) fn is_active(who: &T::AccountId) -> bool {
		Nodes::<T>::get(who).is_some_and(|n| n.status == NodeStatus::Active)
	}

	/// The record of a registered model that is not being deregistered.
	pub(crate) fn live_model(model: ModelId) -> Result<ModelInfoOf<T>, Error<T>> {
		Models::<T>::get(model).filter(|m| !m.retiring).ok_or(Error::<T>::ModelNotFound)
	}

	pub(crate) fn do_confirm_stored(who: T::AccountId, model: ModelId) -> DispatchResult {
		Self::member(&who)?;
		let mut info = Self::live_model(model)?;
		Self::detach_nomination(model, &mut info, &who, false).ok_or(Error::<T>::NotNominated)?;
		Self::attach_holder(model, &mut info, &who);
		info.source_failures = 0;
		Self::ensure_replication(model, &mut info);
		Models::<T>::insert(model, info);
		// No QoS sample: how fast a node claims to have downloaded is its own say. Only a
		// missed deadline costs QoS; task results, which prove the file, raise it.
		Self::deposit_event(Event::ModelStored { model, node: who });
		Ok(())
	}

	pub(crate) fn do_decline_nomination(
		who: T::AccountId,
		model: ModelId,
		reason: DeclineReason,
	) -> DispatchResult {
		Self::member(&who)?;
		let mut info = Self::live_model(model)?;
		Self::detach_nomination(model, &mut info, &who, true).ok_or(Error::<T>::NotNominated)?;
		if reason.blames_sources() {
			info.source_failures = info.source_failures.saturating_add(1);
		}
		// Before the replacement is drawn: a node that cannot take the model is not drawn again
		// at once (every block, while it is the only candidate).
		if reason.is_lasting() {
			Self::start_cooldown(model, &who, frame_system::Pallet::<T>::block_number());
		}
		Self::ensure_replication(model, &mut info);
		let failures = info.source_failures;
		Models::<T>::insert(model, info);
		Self::deposit_event(Event::NominationDeclined { model, node: who, reason });
		if failures == MAX_SOURCE_FAILURES {
			Self::deposit_event(Event::ModelSourcesFailing { model, failures });
		}
		Ok(())
	}

	pub(crate) fn do_report_lost(who: T::AccountId, model: ModelId) -> DispatchResult {
		Self::member(&who)?;
		let mut info = Self::live_model(model)?;
		ensure!(Self::detach_holder(model, &mut info, &who), Error::<T>::NotHolder);
		Self::ensure_replication(model, &mut info);
		Models::<T>::insert(model, info);
		Self::deposit_event(Event::ModelLost { model, node: who });
		Ok(())
	}

	pub(crate) fn do_announce_stored(who: T::AccountId, model: ModelId) -> DispatchResult {
		let node = Self::member(&who)?;
		let info = Self::live_model(model)?;
		ensure!(!Self::is_holder(model, &who), Error::<T>::AlreadyHolder);
		ensure!(!Nominations::<T>::contains_key(model, &who), Error::<T>::AlreadyNominated);
		ensure!(!Self::cooling_down(model, &who), Error::<T>::CoolingDown);
		ensure!(
			node.capacity.vram_bytes >= info.min_vram_bytes
				&& node.capacity.disk_bytes >= info.size_bytes,
			Error::<T>::InsufficientCapacity
		);
		let mut announced = Announcements::<T>::get(&who);
		ensure!(!announced.contains(&model), Error::<T>::AlreadyAnnounced);
		// Drop announcements of models that are gone or already held.
		let held = NodeHoldings::<T>::get(&who);
		announced.retain(|m| Self::model_is_live(*m) && !held.contains(m));
		announced.try_push(model).map_err(|_| Error::<T>::TooManyModelsOnNode)?;
		Announcements::<T>::insert(&who, announced);
		Self::deposit_event(Event::ModelAnnounced { model, node: who });
		Ok(())
	}

	/// Whether `who` is cooling down on `model` after a slash.
	pub(crate) fn cooling_down(model: ModelId, who: &T::AccountId) -> bool {
		let now = frame_system::Pallet::<T>::block_number();
		Cooldowns::<T>::get(model, who).is_some_and(|until| until > now)
	}

	/// Take `who`'s announcement of `model`, if any. Returns whether there was one.
	pub(crate) fn take_announcement(model: ModelId, who: &T::AccountId) -> bool {
		Announcements::<T>::mutate_exists(who, |list| {
			let Some(models) = list else {
				return false;
			};
			let Some(i) = models.iter().position(|m| *m == model) else {
				return false;
			};
			models.swap_remove(i);
			if models.is_empty() {
				*list = None;
			}
			true
		})
	}

	/// Start `who`'s cool-down on `model` at `now` ([`Self::cooldown_length`] blocks); its
	/// entry is removed by a deadline entry at its end.
	pub(crate) fn start_cooldown(model: ModelId, who: &T::AccountId, now: BlockNumberFor<T>) {
		let until = now.saturating_add(Self::cooldown_length());
		Cooldowns::<T>::insert(model, who, until);
		Self::schedule_deadline(until, DeadlineItem::CooldownEnd { model, node: who.clone() });
	}

	/// Deadline handler: end a cool-down if it ends at `at`.
	pub(crate) fn end_cooldown(model: ModelId, who: &T::AccountId, at: BlockNumberFor<T>) {
		if Cooldowns::<T>::get(model, who) == Some(at) {
			Cooldowns::<T>::remove(model, who);
		}
	}

	/// Deadline handler: expire a nomination if it is still pending with the deadline `at`.
	/// Nominations of a deregistered model are dropped without penalty.
	pub(crate) fn expire_nomination(
		model: ModelId,
		who: &T::AccountId,
		at: BlockNumberFor<T>,
		weight: &mut Weight,
	) {
		match Nominations::<T>::get(model, who) {
			Some(n) if n.deadline == at => {}
			_ => return,
		}
		weight.saturating_accrue(T::WeightInfo::expire_nomination());
		let mut live = false;
		Models::<T>::mutate_extant(model, |info| {
			Self::detach_nomination(model, info, who, true);
			Self::ensure_replication(model, info);
			live = !info.retiring;
		});
		if live {
			Self::deposit_event(Event::NominationExpired { model, node: who.clone() });
			Self::record_qos(who, 0, weight);
		}
	}
}
