//! Model registration and deregistration.

use crate::{pallet::*, types::*};
use alloc::vec::Vec;
use frame_support::{
	ensure,
	pallet_prelude::*,
	traits::{fungible::MutateHold, tokens::Precision},
};

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
			demand_window_index: now / p.demand_window.max(1u32.into()),
			demand_current: 0,
			demand_previous: 0,
			registered_at: now,
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

	pub(crate) fn do_deregister_model(who: Option<T::AccountId>, model: ModelId) -> DispatchResult {
		let mut info = Models::<T>::get(model).ok_or(Error::<T>::ModelNotFound)?;
		if let Some(who) = who {
			ensure!(who == info.owner, Error::<T>::NotModelOwner);
		}
		// Evict every copy: holders from the dense index, nominations from the model's prefix.
		while info.holders > 0 {
			let last = info.holders - 1;
			let Some(holder) = HolderAt::<T>::get(model, last) else {
				break;
			};
			if Self::detach_holder(model, &mut info, &holder) {
				Self::deposit_event(Event::ModelEvicted { model, node: holder });
			} else {
				break;
			}
		}
		let nominated: Vec<T::AccountId> = Nominations::<T>::iter_key_prefix(model)
			.take(T::MaxHoldersPerModel::get() as usize)
			.collect();
		for node in nominated {
			Self::detach_nomination(model, &mut info, &node, true);
			Self::deposit_event(Event::ModelEvicted { model, node });
		}
		if info.queued {
			ReplicationQueue::<T>::mutate(|q| q.retain(|m| *m != model));
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
		Models::<T>::remove(model);
		ModelSources::<T>::remove(model);

		let released = T::Currency::release(
			&HoldReason::ModelDeposit.into(),
			&info.owner,
			info.deposit,
			Precision::BestEffort,
		);
		debug_assert!(released.is_ok());
		Self::deposit_event(Event::ModelDeregistered { model });
		Ok(())
	}
}
