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
//!   smaller, so old records decode unchanged. Model records gain [`ModelInfo::executor`]:
//!   models registered before executor kinds existed keep running on the spot check
//!   ([`ExecutorKind::SpotCheck`]). The number of model records is bounded by `MaxModels`
//!   plus the deregistered ones awaiting cleanup.
//!
//! Models registered before built-in storage have no [`crate::ModelPieces`] entry: nodes fetch
//! them whole from their sources, as before, and peers do not serve them. No migration is
//! needed for that.

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

/// Migration to v2: task records gain `appeal`, model records gain `executor`.
pub mod v2 {
	use super::*;
	use v1::TaskInfoV1Of;

	/// A model record before v2 (no `executor`).
	#[derive(Encode, Decode)]
	pub struct ModelInfoV1<AccountId, Balance, BlockNumber> {
		/// Owner.
		pub owner: AccountId,
		/// Deposit held.
		pub deposit: Balance,
		/// File size.
		pub size_bytes: u64,
		/// VRAM needed.
		pub min_vram_bytes: u64,
		/// Dense index position.
		pub index: u32,
		/// Holders.
		pub holders: u32,
		/// Available holders.
		pub available: u32,
		/// Pending nominations.
		pub nominated: u32,
		/// Replication target.
		pub target: u32,
		/// In the replication queue.
		pub queued: bool,
		/// Deregistered.
		pub retiring: bool,
		/// Demand window index.
		pub demand_window_index: BlockNumber,
		/// Tasks this window.
		pub demand_current: u32,
		/// Tasks last window.
		pub demand_previous: u32,
		/// Block of registration.
		pub registered_at: BlockNumber,
		/// Source failures in a row.
		pub source_failures: u32,
		/// Last clearing of the failures.
		pub sources_reset_at: Option<BlockNumber>,
		/// Empty replication passes in a row.
		pub empty_passes: u32,
		/// Parking epoch and block.
		pub parked_at: Option<(u32, BlockNumber)>,
	}

	/// [`ModelInfoV1`] of a runtime.
	pub type ModelInfoV1Of<T> =
		ModelInfoV1<<T as frame_system::Config>::AccountId, BalanceOf<T>, BlockNumberFor<T>>;

	/// The model map in the v1 layout.
	#[storage_alias]
	pub type Models<T: Config> = StorageMap<Pallet<T>, Blake2_128Concat, ModelId, ModelInfoV1Of<T>>;

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
			let mut models: u64 = 0;
			crate::Models::<T>::translate::<ModelInfoV1Of<T>, _>(|_, old| {
				models = models.saturating_add(1);
				Some(ModelInfo {
					owner: old.owner,
					deposit: old.deposit,
					size_bytes: old.size_bytes,
					min_vram_bytes: old.min_vram_bytes,
					index: old.index,
					holders: old.holders,
					available: old.available,
					nominated: old.nominated,
					target: old.target,
					queued: old.queued,
					retiring: old.retiring,
					demand_window_index: old.demand_window_index,
					demand_current: old.demand_current,
					demand_previous: old.demand_previous,
					registered_at: old.registered_at,
					source_failures: old.source_failures,
					sources_reset_at: old.sources_reset_at,
					empty_passes: old.empty_passes,
					parked_at: old.parked_at,
					// Models registered before kinds existed ran on the spot check.
					executor: ExecutorKind::SpotCheck,
				})
			});
			let records = tasks.saturating_add(models);
			T::DbWeight::get().reads_writes(records, records)
		}
	}
}
