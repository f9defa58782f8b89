//! Storage migrations.
//!
//! - **v1**: a waiting task records its slot of the pending-task ring in its own record
//!   ([`TaskInfo::queue_slot`]) instead of the separate map `PendingTaskSlots`, so that creating
//!   a task writes one value less. Every task record gains the field (the slot from the old map
//!   for a waiting task, 0 otherwise) and the old map is removed. The number of task records is
//!   bounded by `MaxQueuedTasks` plus the tasks in flight and those awaiting pruning (one demand
//!   window), which one block's migration handles.
//!
//! - **v2**: task records gain [`TaskInfo::appeal`] (`None`: no task was appealed before
//!   appeals existed). Executor lists may grow to [`MaxTaskExecutors`]; the old bound is
//!   smaller, so old records decode unchanged.
//!
//! Models registered before built-in storage have no [`crate::ModelPieces`] entry: nodes fetch
//! them whole from their sources, as before, and peers do not serve them. No migration is
//! needed for that (the model record did not change).

use crate::{pallet::*, types::*};
use codec::{Decode, Encode};
use core::marker::PhantomData;
use frame_support::{
	pallet_prelude::*,
	storage_alias,
	traits::{Get, UncheckedOnRuntimeUpgrade},
	weights::Weight,
};
use frame_system::pallet_prelude::BlockNumberFor;
use sp_core::H256;

/// The version of the pallet's storage layout in this code.
pub const STORAGE_VERSION: StorageVersion = StorageVersion::new(2);

/// Migration to v1 (see the module documentation), run once by the runtime's `Executive`.
pub type MigrateV0ToV1<T> = frame_support::migrations::VersionedMigration<
	0,
	1,
	v1::MigrateToV1<T>,
	Pallet<T>,
	<T as frame_system::Config>::DbWeight,
>;

/// Migration to v2 (see the module documentation), run once by the runtime's `Executive`
/// after [`MigrateV0ToV1`].
pub type MigrateV1ToV2<T> = frame_support::migrations::VersionedMigration<
	1,
	2,
	v2::MigrateToV2<T>,
	Pallet<T>,
	<T as frame_system::Config>::DbWeight,
>;

/// Migration to v1: task records gain their queue slot.
pub mod v1 {
	use super::*;

	/// A task record before v1 (no `queue_slot`).
	#[derive(Encode, Decode)]
	pub struct TaskInfoV0<
		AccountId,
		Balance,
		BlockNumber,
		MaxInput: Get<u32>,
		MaxExecutors: Get<u32>,
	> {
		/// Model the task runs on.
		pub model: ModelId,
		/// Creator.
		pub creator: AccountId,
		/// Fee held.
		pub fee: Balance,
		/// Input deposit held.
		pub deposit: Balance,
		/// Input.
		pub input: BoundedVec<u8, MaxInput>,
		/// Challenge.
		pub challenge: H256,
		/// Block of creation.
		pub created_at: BlockNumber,
		/// Status.
		pub status: TaskStatus<BlockNumber>,
		/// Executors.
		pub executors: BoundedVec<Executor<AccountId>, MaxExecutors>,
		/// Whether `TaskWaitingForHolders` was emitted.
		pub waiting_notified: bool,
	}

	/// [`TaskInfoV0`] of a runtime.
	pub type TaskInfoV0Of<T> = TaskInfoV0<
		<T as frame_system::Config>::AccountId,
		BalanceOf<T>,
		BlockNumberFor<T>,
		<T as Config>::MaxTaskInputLen,
		<T as Config>::MaxExecutorsPerTask,
	>;

	/// A task record of v1 (no `jury_from`).
	#[derive(Encode, Decode)]
	pub struct TaskInfoV1<
		AccountId,
		Balance,
		BlockNumber,
		MaxInput: Get<u32>,
		MaxExecutors: Get<u32>,
	> {
		/// Model the task runs on.
		pub model: ModelId,
		/// Creator.
		pub creator: AccountId,
		/// Fee held.
		pub fee: Balance,
		/// Input deposit held.
		pub deposit: Balance,
		/// Input.
		pub input: BoundedVec<u8, MaxInput>,
		/// Challenge.
		pub challenge: H256,
		/// Block of creation.
		pub created_at: BlockNumber,
		/// Status.
		pub status: TaskStatus<BlockNumber>,
		/// Executors.
		pub executors: BoundedVec<Executor<AccountId>, MaxExecutors>,
		/// Whether `TaskWaitingForHolders` was emitted.
		pub waiting_notified: bool,
		/// Slot in the pending ring.
		pub queue_slot: u32,
	}

	/// [`TaskInfoV1`] of a runtime.
	pub type TaskInfoV1Of<T> = TaskInfoV1<
		<T as frame_system::Config>::AccountId,
		BalanceOf<T>,
		BlockNumberFor<T>,
		<T as Config>::MaxTaskInputLen,
		<T as Config>::MaxExecutorsPerTask,
	>;

	/// The task map in the v1 layout.
	#[storage_alias]
	pub type Tasks<T: Config> = StorageMap<Pallet<T>, Twox64Concat, TaskId, TaskInfoV1Of<T>>;

	/// The map v1 removes: slot of each waiting task.
	#[storage_alias]
	pub type PendingTaskSlots<T: Config> = StorageMap<Pallet<T>, Twox64Concat, TaskId, u32>;

	/// The v0 → v1 step (wrapped in [`MigrateV0ToV1`], which checks and bumps the version).
	pub struct MigrateToV1<T>(PhantomData<T>);

	impl<T: Config> UncheckedOnRuntimeUpgrade for MigrateToV1<T> {
		fn on_runtime_upgrade() -> Weight {
			let mut tasks: u64 = 0;
			Tasks::<T>::translate::<TaskInfoV0Of<T>, _>(|id, old| {
				tasks = tasks.saturating_add(1);
				let queue_slot = PendingTaskSlots::<T>::get(id).unwrap_or(0);
				Some(TaskInfoV1 {
					model: old.model,
					creator: old.creator,
					fee: old.fee,
					deposit: old.deposit,
					input: old.input,
					challenge: old.challenge,
					created_at: old.created_at,
					status: old.status,
					executors: old.executors,
					waiting_notified: old.waiting_notified,
					queue_slot,
				})
			});
			let slots = PendingTaskSlots::<T>::clear(u32::MAX, None).unique;
			T::DbWeight::get()
				.reads_writes(tasks.saturating_mul(2), tasks.saturating_add(u64::from(slots)))
		}
	}
}

/// Migration to v2: task records gain `appeal`.
pub mod v2 {
	use super::*;
	use v1::TaskInfoV1Of;

	/// The v1 → v2 step (wrapped in [`MigrateV1ToV2`], which checks and bumps the version).
	pub struct MigrateToV2<T>(PhantomData<T>);

	impl<T: Config> UncheckedOnRuntimeUpgrade for MigrateToV2<T> {
		fn on_runtime_upgrade() -> Weight {
			let mut tasks: u64 = 0;
			Tasks::<T>::translate::<TaskInfoV1Of<T>, _>(|_, old| {
				tasks = tasks.saturating_add(1);
				Some(TaskInfo {
					model: old.model,
					creator: old.creator,
					fee: old.fee,
					deposit: old.deposit,
					input: old.input,
					challenge: old.challenge,
					created_at: old.created_at,
					status: old.status,
					// The v2 bound is larger: nothing is cut.
					executors: BoundedVec::truncate_from(old.executors.into_inner()),
					waiting_notified: old.waiting_notified,
					queue_slot: old.queue_slot,
					appeal: None,
				})
			});
			T::DbWeight::get().reads_writes(tasks, tasks)
		}
	}
}
