//! Model registration, source updates and deregistration.
//!
//! When [`MAX_SOURCE_FAILURES`] nominations in a row are declined because the sources did not
//! deliver the registered file, the model gets no more nominations (`ModelSourcesFailing`)
//! until its owner replaces the sources with `update_sources`: nodes stop downloading bytes
//! that cannot be verified.
//!
//! `update_sources` clears the failure count, but while the model has failures at most once
//! per demand window: each clearing costs the network up to [`MAX_SOURCE_FAILURES`] failed
//! downloads.
//!
//! Deregistration takes the model out of the dense model index at once; its copies and
//! nominations are evicted by the cleanup queue in the following blocks (see
//! [`crate::cleanup`]), so that the call touches a constant number of storage items whatever
//! the number of holders. The deposit is released when the record is removed, so that
//! register/deregister churn holds a deposit for every record and job it leaves behind.
//!
//! Sizes, sources, deposits and deadlines: see [`crate::sources`].

use crate::{pallet::*, types::*};
use frame_support::{
	ensure,
	pallet_prelude::*,
	traits::{fungible::MutateHold, tokens::Precision},
};
use sp_runtime::traits::{Saturating, Zero};

/// What `register_model` is given about a model besides its id.
pub(crate) struct ModelSpec<T: Config> {
	/// File size in bytes.
	pub size_bytes: u64,
	/// Source URLs.
	pub sources: SourcesOf<T>,
	/// GPU memory the model needs.
	pub min_vram_bytes: u64,
	/// Leaf hash of every piece (see [`crate::pieces`]).
	pub pieces: PiecesOf,
	/// How the model's tasks are executed.
	pub executor: ExecutorKind,
}

impl<T: Config> Pallet<T> {
	pub(crate) fn do_register_model(
		who: T::AccountId,
		model: ModelId,
		spec: ModelSpec<T>,
	) -> DispatchResult {
		let ModelSpec { size_bytes, sources, min_vram_bytes, pieces, executor } = spec;
		ensure!(!Models::<T>::contains_key(model), Error::<T>::ModelAlreadyRegistered);
		Self::check_model(Some(size_bytes), &sources)?;
		ensure!(executor.is_valid(), Error::<T>::InvalidEngineName);
		let manifest = Self::manifest_of(size_bytes, pieces)?;
		let piece_root = manifest.root;
		let index = ModelCount::<T>::get();
		ensure!(index < T::MaxModels::get(), Error::<T>::TooManyModels);
		let p = Params::<T>::get();
		let deposit = Self::model_deposit(size_bytes, &p);
		T::Currency::hold(&HoldReason::ModelDeposit.into(), &who, deposit)
			.map_err(|_| Error::<T>::InsufficientBalance)?;

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
			sources_reset_at: None,
			empty_passes: 0,
			parked_at: None,
			executor: executor.clone(),
		};
		// A model no node ever declared enough capacity for is parked at once: it burns no
		// draws. (Without any node yet, it is parked after its empty passes.)
		let seen = CapacityChanges::<T>::get();
		if NodeCount::<T>::get() > 0 && !Self::could_host(&info, &seen) {
			info.parked_at = Some((seen.epoch, now));
			Self::deposit_event(Event::ReplicationParked { model });
		}
		// Nominations are drawn from the next block on, with randomness unknown now.
		Self::ensure_replication(model, &mut info);
		Models::<T>::insert(model, info);
		ModelSources::<T>::insert(model, sources);
		ModelPieces::<T>::insert(model, manifest);
		ModelAt::<T>::insert(index, model);
		ModelCount::<T>::put(index.saturating_add(1));
		Self::deposit_event(Event::ModelRegistered {
			model,
			owner: who,
			size_bytes,
			deposit,
			piece_root,
			executor,
		});
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
		Self::check_model(None, &sources)?;
		let now = frame_system::Pallet::<T>::block_number();
		// New sources are always taken (fixing a URL is never refused); the count of failures
		// that stops nominations is cleared at most once per demand window, so that resetting
		// it in a loop cannot make honest nodes download a bad file over and over.
		let window = Params::<T>::get().demand_window;
		let failures_cleared = info.source_failures > 0
			&& info.sources_reset_at.is_none_or(|at| now >= at.saturating_add(window));
		if failures_cleared {
			info.sources_reset_at = Some(now);
			info.source_failures = 0;
		}
		ModelSources::<T>::insert(model, sources);
		Self::ensure_replication(model, &mut info);
		Models::<T>::insert(model, info);
		Self::deposit_event(Event::ModelSourcesUpdated { model, failures_cleared });
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

		info.retiring = true;
		Models::<T>::insert(model, info);
		let mut queued = false;
		Self::enqueue_cleanup(CleanupJob::Model(model), &mut queued);
		Self::deposit_event(Event::ModelDeregistered { model });
		Ok(())
	}
}

impl<T: Config> Pallet<T> {
	/// Remove the records of a deregistered model whose copies are all evicted, and release
	/// its deposit.
	pub(crate) fn remove_model_record(model: ModelId) {
		if let Some(info) = Models::<T>::take(model) {
			if !info.deposit.is_zero() {
				let amount = T::Currency::release(
					&HoldReason::ModelDeposit.into(),
					&info.owner,
					info.deposit,
					Precision::BestEffort,
				)
				.unwrap_or_default();
				Self::deposit_event(Event::ModelDepositReleased {
					model,
					owner: info.owner,
					amount,
				});
			}
		}
		ModelSources::<T>::remove(model);
		ModelPieces::<T>::remove(model);
	}
}
