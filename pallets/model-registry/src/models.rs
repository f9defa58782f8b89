//! Model registration, source updates and deregistration.
//!
//! When [`MAX_SOURCE_FAILURES`] nominations in a row are declined because the sources did not
//! deliver the registered file, the model gets no more nominations (`ModelSourcesFailing`)
//! until its owner replaces the sources with `update_sources`: nodes stop downloading bytes
//! that cannot be verified.
//!
//! Deregistration releases the deposit and takes the model out of the dense model index at
//! once; its copies and nominations are evicted by the cleanup queue in the following blocks
//! (see [`crate::cleanup`]), so that the call touches a constant number of storage items
//! whatever the number of holders.

use crate::{pallet::*, types::*};
use frame_support::{
	ensure,
	pallet_prelude::*,
	traits::{fungible::MutateHold, tokens::Precision},
};
use sp_runtime::traits::Zero;

impl<T: Config> Pallet<T> {
	pub(crate) fn do_register_model(
		who: T::AccountId,
		model: ModelId,
		size_bytes: u64,
		sources: SourcesOf<T>,
		min_vram_bytes: u64,
	) -> DispatchResult {
		ensure!(!Models::<T>::contains_key(model), Error::<T>::ModelAlreadyRegistered);
		ensure!(!sources.is_empty(), Error::<T>::NoSources);
		ensure!(sources.iter().all(|url| !url.is_empty()), Error::<T>::EmptySource);
		let index = ModelCount::<T>::get();
		ensure!(index < T::MaxModels::get(), Error::<T>::TooManyModels);
		let deposit = T::ModelDeposit::get();
		T::Currency::hold(&HoldReason::ModelDeposit.into(), &who, deposit)
			.map_err(|_| Error::<T>::InsufficientBalance)?;

		let p = Params::<T>::get();
		let now = frame_system::Pallet::<T>::block_number();
		let mut info = ModelInfo {
			owner: who.clone(),
			deposit,
			size_bytes,
			min_vram_bytes,
			index,
			holders: 0,
			available: 0,
			nominated: 0,
			target: p.initial_replicas.clamp(p.min_replicas, p.max_replicas.max(p.min_replicas)),
			queued: false,
			retiring: false,
			demand_window_index: now / p.demand_window.max(1u32.into()),
			demand_current: 0,
			demand_previous: 0,
			registered_at: now,
			source_failures: 0,
		};
		// Nominations are drawn from the next block on, with randomness unknown now.
		Self::ensure_replication(model, &mut info);
		Models::<T>::insert(model, info);
		ModelSources::<T>::insert(model, sources);
		ModelAt::<T>::insert(index, model);
		ModelCount::<T>::put(index.saturating_add(1));
		Self::deposit_event(Event::ModelRegistered { model, owner: who, size_bytes });
		Ok(())
	}

	pub(crate) fn do_update_sources(
		who: Option<T::AccountId>,
		model: ModelId,
		sources: SourcesOf<T>,
	) -> DispatchResult {
		let mut info = Self::live_model(model)?;
		if let Some(who) = who {
			ensure!(who == info.owner, Error::<T>::NotModelOwner);
		}
		ensure!(!sources.is_empty(), Error::<T>::NoSources);
		ensure!(sources.iter().all(|url| !url.is_empty()), Error::<T>::EmptySource);
		ModelSources::<T>::insert(model, sources);
		info.source_failures = 0;
		Self::ensure_replication(model, &mut info);
		Models::<T>::insert(model, info);
		Self::deposit_event(Event::ModelSourcesUpdated { model });
		Ok(())
	}

	pub(crate) fn do_deregister_model(who: Option<T::AccountId>, model: ModelId) -> DispatchResult {
		let mut info = Self::live_model(model)?;
		if let Some(who) = who {
			ensure!(who == info.owner, Error::<T>::NotModelOwner);
		}
		let last = ModelCount::<T>::get().saturating_sub(1);
		if info.index != last {
			if let Some(moved) = ModelAt::<T>::get(last) {
				ModelAt::<T>::insert(info.index, moved);
				Models::<T>::mutate_extant(moved, |m| m.index = info.index);
			}
		}
		ModelAt::<T>::remove(last);
		ModelCount::<T>::put(last);

		let released = T::Currency::release(
			&HoldReason::ModelDeposit.into(),
			&info.owner,
			info.deposit,
			Precision::BestEffort,
		);
		debug_assert!(released.is_ok());
		info.deposit = Zero::zero();
		info.retiring = true;
		Models::<T>::insert(model, info);
		let mut queued = false;
		Self::enqueue_cleanup(CleanupJob::Model(model), &mut queued);
		Self::deposit_event(Event::ModelDeregistered { model });
		Ok(())
	}
}
