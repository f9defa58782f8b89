#![doc = include_str!("../README.md")]
#![cfg_attr(not(feature = "std"), no_std)]

extern crate alloc;

pub use pallet::*;

#[cfg(feature = "runtime-benchmarks")]
pub mod benchmarking;
mod cleanup;
pub mod crypto;
mod demand;
mod holdings;
mod hooks;
mod models;
mod nodes;
pub mod offchain;
mod params;
mod placement;
mod qos;
mod queue;
mod randomness;
mod resolve;
pub mod runtime_api;
mod tasks;
pub mod types;
pub mod weights;

#[cfg(any(feature = "try-runtime", test))]
mod invariants;
#[cfg(test)]
mod mock;
#[cfg(test)]
mod tests;

#[cfg(feature = "runtime-benchmarks")]
pub use benchmarking::BenchmarkHelper;
pub use types::*;
pub use weights::WeightInfo;

#[frame_support::pallet]
pub mod pallet {
	use super::*;
	use frame_support::{
		pallet_prelude::*,
		traits::{
			fungible::{Inspect, Mutate, MutateHold},
			Randomness,
		},
	};
	use frame_system::{
		offchain::{AppCrypto, CreateSignedTransaction},
		pallet_prelude::*,
	};
	use sp_core::H256;

	#[pallet::pallet]
	pub struct Pallet<T>(_);

	/// Configuration of the pallet.
	#[pallet::config]
	pub trait Config:
		frame_system::Config<RuntimeEvent: From<Event<Self>>> + CreateSignedTransaction<Call<Self>>
	{
		/// Currency holding node stakes, model deposits and task fees.
		type Currency: Inspect<Self::AccountId>
			+ Mutate<Self::AccountId>
			+ MutateHold<Self::AccountId, Reason = Self::RuntimeHoldReason>;

		/// The overarching hold reason.
		type RuntimeHoldReason: From<HoldReason>;

		/// Source of randomness for nominations, executor draws and eviction samples: a random
		/// value (`None` while there is none yet) and the block since which it is known, e.g.
		/// BABE's `ParentBlockRandomness`. Draws only use randomness known since a block after
		/// the one that created what they serve (see `randomness.rs`).
		type Randomness: Randomness<Option<Self::Hash>, BlockNumberFor<Self>>;

		/// Key type the off-chain worker signs its transactions with.
		type AuthorityId: AppCrypto<Self::Public, Self::Signature>;

		/// Minimum stake a node must hold to join.
		#[pallet::constant]
		type MinNodeStake: Get<BalanceOf<Self>>;

		/// Deposit held from the owner of each registered model.
		#[pallet::constant]
		type ModelDeposit: Get<BalanceOf<Self>>;

		/// The least fee a task can offer. Fees of tasks that find no executors are refunded,
		/// so this is what it costs to keep a place of the bounded task queue busy.
		#[pallet::constant]
		type MinTaskFee: Get<BalanceOf<Self>>;

		/// Maximum number of registered nodes.
		#[pallet::constant]
		type MaxNodes: Get<u32>;

		/// Maximum number of registered models.
		#[pallet::constant]
		type MaxModels: Get<u32>;

		/// Maximum holders plus pending nominations of one model (bounds `max_replicas`).
		#[pallet::constant]
		type MaxHoldersPerModel: Get<u32>;

		/// Maximum holdings plus pending nominations of one node.
		#[pallet::constant]
		type MaxModelsPerNode: Get<u32>;

		/// Maximum number of source URLs of a model.
		#[pallet::constant]
		type MaxSources: Get<u32>;

		/// Maximum length of one source URL.
		#[pallet::constant]
		type MaxUrlLen: Get<u32>;

		/// Maximum length of a task input.
		#[pallet::constant]
		type MaxTaskInputLen: Get<u32>;

		/// Maximum executors per task (bounds `executors_per_task`).
		#[pallet::constant]
		type MaxExecutorsPerTask: Get<u32>;

		/// Maximum tasks of one model a holder executes at the same time.
		#[pallet::constant]
		type MaxTasksPerHolder: Get<u32>;

		/// Maximum tasks waiting for executors.
		#[pallet::constant]
		type MaxQueuedTasks: Get<u32>;

		/// Maximum deadline entries handled per block (entries due beyond it are handled in the
		/// following blocks).
		#[pallet::constant]
		type MaxDeadlinesPerBlock: Get<u32>;

		/// Maximum waiting tasks examined for assignment per block.
		#[pallet::constant]
		type MaxAssignmentsPerBlock: Get<u32>;

		/// Maximum random node draws spent on nominations per block.
		#[pallet::constant]
		type MaxNominationDrawsPerBlock: Get<u32>;

		/// Models whose demand and replication target are reviewed per block.
		#[pallet::constant]
		type ModelsReviewedPerBlock: Get<u32>;

		/// Steps of the cleanup queue per block: one step evicts one copy or nomination of a
		/// deregistered model or of a leaving node, or updates one holding's availability after
		/// a pause or resume.
		#[pallet::constant]
		type MaxCleanupStepsPerBlock: Get<u32>;

		/// Weight information of calls and hooks.
		type WeightInfo: WeightInfo;

		/// Prepares the runtime's state for the benchmarks.
		#[cfg(feature = "runtime-benchmarks")]
		type BenchmarkHelper: BenchmarkHelper;
	}

	/// Reasons for which the pallet holds funds.
	#[pallet::composite_enum]
	pub enum HoldReason {
		/// A node's stake.
		NodeStake,
		/// A model owner's deposit.
		ModelDeposit,
		/// A task creator's fee, until the task resolves.
		TaskFee,
	}

	/// Default registry parameters.
	#[pallet::type_value]
	pub fn DefaultParams<T: Config>() -> ParamsOf<T> {
		RegistryParams::default()
	}

	/// Governance-controlled parameters.
	#[pallet::storage]
	pub type Params<T: Config> = StorageValue<_, ParamsOf<T>, ValueQuery, DefaultParams<T>>;

	/// Registered nodes.
	#[pallet::storage]
	pub type Nodes<T: Config> = StorageMap<_, Blake2_128Concat, T::AccountId, NodeInfoOf<T>>;

	/// Dense node index: position -> node (positions `0..NodeCount`).
	#[pallet::storage]
	pub type NodeAt<T: Config> = StorageMap<_, Twox64Concat, u32, T::AccountId>;

	/// Number of registered nodes.
	#[pallet::storage]
	pub type NodeCount<T: Config> = StorageValue<_, u32, ValueQuery>;

	/// Models each node holds (confirmed copies).
	#[pallet::storage]
	pub type NodeHoldings<T: Config> =
		StorageMap<_, Blake2_128Concat, T::AccountId, NodeModelsOf<T>, ValueQuery>;

	/// Models each node is nominated to fetch.
	#[pallet::storage]
	pub type NodeNominations<T: Config> =
		StorageMap<_, Blake2_128Concat, T::AccountId, NodeModelsOf<T>, ValueQuery>;

	/// Registered models.
	#[pallet::storage]
	pub type Models<T: Config> = StorageMap<_, Blake2_128Concat, ModelId, ModelInfoOf<T>>;

	/// Source URLs of each model.
	#[pallet::storage]
	pub type ModelSources<T: Config> =
		StorageMap<_, Blake2_128Concat, ModelId, SourcesOf<T>, ValueQuery>;

	/// Dense model index: position -> model (positions `0..ModelCount`).
	#[pallet::storage]
	pub type ModelAt<T: Config> = StorageMap<_, Twox64Concat, u32, ModelId>;

	/// Number of registered models.
	#[pallet::storage]
	pub type ModelCount<T: Config> = StorageValue<_, u32, ValueQuery>;

	/// Holders of each model: a dense index (a random position gives a random holder with
	/// one read; removal moves the last holder into the freed position).
	#[pallet::storage]
	pub type Holders<T: Config> =
		StorageMap<_, Blake2_128Concat, ModelId, HoldersOf<T>, ValueQuery>;

	/// Pending nominations: (model, node) -> nomination.
	#[pallet::storage]
	pub type Nominations<T: Config> = StorageDoubleMap<
		_,
		Blake2_128Concat,
		ModelId,
		Blake2_128Concat,
		T::AccountId,
		Nomination<BlockNumberFor<T>>,
	>;

	/// Tasks, from creation until pruned a demand window after resolution.
	#[pallet::storage]
	pub type Tasks<T: Config> = StorageMap<_, Twox64Concat, TaskId, TaskInfoOf<T>>;

	/// The id of the next task and the range of [`PendingTasks`], in one value: creating a
	/// task writes it once.
	#[pallet::storage]
	pub type TaskQueue<T: Config> = StorageValue<_, TaskQueueState, ValueQuery>;

	/// Tasks waiting for executors, oldest first: slot (position modulo `MaxQueuedTasks`) ->
	/// task (see [`queue::Ring`]). Cancelled tasks leave their entry behind; it is skipped.
	#[pallet::storage]
	pub type PendingTasks<T: Config> = StorageMap<_, Twox64Concat, u32, TaskId>;

	/// Models that need more nominations, served in `on_initialize`: position -> model.
	#[pallet::storage]
	pub type ReplicationQueue<T: Config> =
		StorageMap<_, Twox64Concat, u32, (ModelId, BlockNumberFor<T>)>;

	/// Positions of the first and next entry of [`ReplicationQueue`].
	#[pallet::storage]
	pub type ReplicationQueueRange<T: Config> = StorageValue<_, QueueRange, ValueQuery>;

	/// Deadline entries: (block, number) -> entry, handled from the block on.
	#[pallet::storage]
	pub type Deadlines<T: Config> =
		StorageDoubleMap<_, Twox64Concat, BlockNumberFor<T>, Twox64Concat, u32, DeadlineItemOf<T>>;

	/// Number of deadline entries scheduled for each block.
	#[pallet::storage]
	pub type DeadlineCount<T: Config> =
		StorageMap<_, Twox64Concat, BlockNumberFor<T>, u32, ValueQuery>;

	/// Next deadline entry to handle: (block, number).
	#[pallet::storage]
	pub type DeadlineCursor<T: Config> = StorageValue<_, (BlockNumberFor<T>, u32), ValueQuery>;

	/// Nodes and models whose removal (or availability update) is done block by block:
	/// position -> job.
	#[pallet::storage]
	pub type CleanupQueue<T: Config> = StorageMap<_, Twox64Concat, u32, CleanupJobOf<T>>;

	/// Positions of the first and next entry of [`CleanupQueue`].
	#[pallet::storage]
	pub type CleanupQueueRange<T: Config> = StorageValue<_, QueueRange, ValueQuery>;

	/// Next position of the round-robin demand review over the dense model index.
	#[pallet::storage]
	pub type ReviewCursor<T: Config> = StorageValue<_, u32, ValueQuery>;

	/// Genesis configuration.
	#[pallet::genesis_config]
	#[derive(frame_support::DefaultNoBound)]
	pub struct GenesisConfig<T: Config> {
		/// Initial registry parameters.
		pub params: ParamsOf<T>,
	}

	#[pallet::genesis_build]
	impl<T: Config> BuildGenesisConfig for GenesisConfig<T> {
		fn build(&self) {
			assert!(
				Pallet::<T>::validate_params(&self.params).is_ok(),
				"invalid model registry genesis parameters"
			);
			Params::<T>::put(self.params.clone());
		}
	}

	/// Events of the pallet.
	#[pallet::event]
	#[pallet::generate_deposit(pub(super) fn deposit_event)]
	pub enum Event<T: Config> {
		/// A node joined.
		NodeJoined { node: T::AccountId, stake: BalanceOf<T>, capacity: NodeCapacity },
		/// A node changed its declared capacity.
		NodeCapacityUpdated { node: T::AccountId, capacity: NodeCapacity },
		/// A node stopped taking new work.
		NodePaused { node: T::AccountId },
		/// A node takes new work again.
		NodeResumed { node: T::AccountId },
		/// A node left; its stake was released and its holdings cleared.
		NodeLeft { node: T::AccountId, released: BalanceOf<T> },
		/// A node's QoS fell below the threshold; it was removed and its remaining stake
		/// released.
		NodeKickedOut { node: T::AccountId, qos: u32, released: BalanceOf<T> },
		/// A model was registered.
		ModelRegistered { model: ModelId, owner: T::AccountId, size_bytes: u64 },
		/// A model was deregistered; every copy is evicted.
		ModelDeregistered { model: ModelId },
		/// `failures` nominations in a row were declined because the model's sources did not
		/// deliver the registered file: the model gets no more nominations until its owner
		/// replaces the sources.
		ModelSourcesFailing { model: ModelId, failures: u32 },
		/// The owner replaced a model's sources; nominations resume.
		ModelSourcesUpdated { model: ModelId },
		/// A node must fetch a model and confirm before `deadline`.
		DownloadNominated { model: ModelId, node: T::AccountId, deadline: BlockNumberFor<T> },
		/// A node holds a model.
		ModelStored { model: ModelId, node: T::AccountId },
		/// A node declined a nomination.
		NominationDeclined { model: ModelId, node: T::AccountId, reason: DeclineReason },
		/// A nomination was not confirmed in time.
		NominationExpired { model: ModelId, node: T::AccountId },
		/// A holder reported its copy lost.
		ModelLost { model: ModelId, node: T::AccountId },
		/// A node no longer holds a model and must delete it.
		ModelEvicted { model: ModelId, node: T::AccountId },
		/// The replication target of a model changed.
		ReplicationTargetChanged { model: ModelId, old: u32, new: u32 },
		/// A task was created; executors are drawn in a later block.
		TaskCreated { task: TaskId, model: ModelId, creator: T::AccountId, fee: BalanceOf<T> },
		/// A task waits because too few available holders exist.
		TaskWaitingForHolders { task: TaskId, model: ModelId },
		/// Executors were drawn for a task.
		ExecutorsAssigned {
			task: TaskId,
			executors: ExecutorsOf<T>,
			commit_deadline: BlockNumberFor<T>,
		},
		/// An executor committed.
		ResultCommitted { task: TaskId, executor: T::AccountId },
		/// A task entered its reveal phase.
		RevealPhaseStarted { task: TaskId, reveal_deadline: BlockNumberFor<T> },
		/// An executor revealed its result.
		ResultRevealed { task: TaskId, executor: T::AccountId, result: H256 },
		/// A task resolved with a majority result; `paid` shared the fee.
		TaskCompleted { task: TaskId, result: H256, paid: ExecutorsOf<T> },
		/// A task ended without result; the fee was refunded.
		TaskFailed { task: TaskId, reason: TaskFailure },
		/// A task was cancelled by its creator.
		TaskCancelled { task: TaskId },
		/// An executor disagreeing with the majority was slashed (the amount is burnt).
		ExecutorSlashed { task: TaskId, node: T::AccountId, amount: BalanceOf<T> },
		/// Parameters were replaced.
		ParamsUpdated { params: ParamsOf<T> },
	}

	/// Errors of the pallet.
	#[pallet::error]
	pub enum Error<T> {
		/// The account already is a node.
		AlreadyJoined,
		/// The account is not a registered node.
		NotANode,
		/// The stake is below `MinNodeStake`.
		StakeTooLow,
		/// Not enough free balance for the stake, deposit or fee.
		InsufficientBalance,
		/// `MaxNodes` nodes are already registered.
		TooManyNodes,
		/// The new capacity is below what the node's holdings and nominations need.
		CapacityBelowUsage,
		/// The node is already paused.
		AlreadyPaused,
		/// The node is not paused.
		NotPaused,
		/// The node committed results to tasks that are not resolved yet; it may leave once
		/// they are.
		TasksInFlight,
		/// The node is leaving; it no longer commits results.
		NodeLeaving,
		/// The model is already registered.
		ModelAlreadyRegistered,
		/// No such model.
		ModelNotFound,
		/// `MaxModels` models are already registered.
		TooManyModels,
		/// A model needs at least one source.
		NoSources,
		/// A source URL is empty.
		EmptySource,
		/// Only the owner (or root) may do this.
		NotModelOwner,
		/// The node is not nominated for this model.
		NotNominated,
		/// The node does not hold this model.
		NotHolder,
		/// The node already holds this model.
		AlreadyHolder,
		/// The node is already nominated for this model.
		AlreadyNominated,
		/// The node lacks free disk or VRAM for the model.
		InsufficientCapacity,
		/// The node reached `MaxModelsPerNode`.
		TooManyModelsOnNode,
		/// The model reached `MaxHoldersPerModel` holders and nominations.
		HoldersFull,
		/// The model already has as many holders and nominations as its target.
		ReplicasSufficient,
		/// The fee is below `MinTaskFee`.
		FeeBelowMinimum,
		/// The task queue is full.
		TaskQueueFull,
		/// No such task.
		TaskNotFound,
		/// The caller is not an executor of the task.
		NotExecutor,
		/// The task is not in the phase this call belongs to.
		WrongPhase,
		/// The executor already committed.
		AlreadyCommitted,
		/// The executor did not commit.
		NotCommitted,
		/// The executor already revealed.
		AlreadyRevealed,
		/// Result and salt do not match the commitment.
		CommitmentMismatch,
		/// Only the task's creator may cancel it.
		NotTaskCreator,
		/// Executors are already assigned; the task can no longer be cancelled.
		TaskAlreadyAssigned,
		/// The parameter set is inconsistent.
		InvalidParams,
	}

	#[pallet::hooks]
	impl<T: Config> Hooks<BlockNumberFor<T>> for Pallet<T> {
		fn on_initialize(now: BlockNumberFor<T>) -> Weight {
			Self::do_on_initialize(now)
		}

		fn offchain_worker(now: BlockNumberFor<T>) {
			Self::run_offchain_worker(now);
		}

		fn integrity_test() {
			Self::do_integrity_test();
		}

		#[cfg(feature = "try-runtime")]
		fn try_state(_now: BlockNumberFor<T>) -> Result<(), sp_runtime::TryRuntimeError> {
			Self::do_try_state()
		}
	}

	#[pallet::call]
	impl<T: Config> Pallet<T> {
		/// Join as a node with `stake` held (at least `MinNodeStake`) and the declared
		/// `capacity`. The node starts active with the initial QoS.
		#[pallet::call_index(0)]
		#[pallet::weight(T::WeightInfo::join())]
		pub fn join(
			origin: OriginFor<T>,
			capacity: NodeCapacity,
			stake: BalanceOf<T>,
		) -> DispatchResult {
			Self::do_join(ensure_signed(origin)?, capacity, stake)
		}

		/// Change the declared capacity. It may not drop below what current holdings and
		/// nominations need (disk) or require (VRAM).
		#[pallet::call_index(1)]
		#[pallet::weight(T::WeightInfo::update_capacity())]
		pub fn update_capacity(origin: OriginFor<T>, capacity: NodeCapacity) -> DispatchResult {
			Self::do_update_capacity(ensure_signed(origin)?, capacity)
		}

		/// Stop receiving nominations and tasks; holdings are kept. The node's holdings stop
		/// counting as available in the following blocks (cleanup queue).
		#[pallet::call_index(2)]
		#[pallet::weight(T::WeightInfo::pause())]
		pub fn pause(origin: OriginFor<T>) -> DispatchResult {
			Self::do_pause(ensure_signed(origin)?)
		}

		/// Receive nominations and tasks again. The node's holdings count as available again in
		/// the following blocks (cleanup queue).
		#[pallet::call_index(3)]
		#[pallet::weight(T::WeightInfo::resume())]
		pub fn resume(origin: OriginFor<T>) -> DispatchResult {
			Self::do_resume(ensure_signed(origin)?)
		}

		/// Leave: only while no committed result of the node awaits its task's resolution (so
		/// that a wrong answer cannot escape its slash). Tasks the node was drawn for but did
		/// not commit to go on without it. Releases the stake at once; the holdings and
		/// nominations are cleared (and replacements nominated) in the following blocks, after
		/// which the node's record is removed.
		#[pallet::call_index(4)]
		#[pallet::weight(T::WeightInfo::leave())]
		pub fn leave(origin: OriginFor<T>) -> DispatchResult {
			Self::do_leave(ensure_signed(origin)?)
		}

		/// Register `model` (the SHA-256 of the file) with its size, source URLs and VRAM
		/// requirement; holds `ModelDeposit`. `initial_replicas` nodes are nominated from the
		/// next block on.
		#[pallet::call_index(5)]
		#[pallet::weight(T::WeightInfo::register_model(sources.len() as u32))]
		pub fn register_model(
			origin: OriginFor<T>,
			model: ModelId,
			size_bytes: u64,
			sources: SourcesOf<T>,
			min_vram_bytes: u64,
		) -> DispatchResult {
			Self::do_register_model(
				ensure_signed(origin)?,
				model,
				size_bytes,
				sources,
				min_vram_bytes,
			)
		}

		/// Deregister a model (owner or root): the deposit is released at once; every copy and
		/// nomination is evicted in the following blocks, after which the record is removed.
		#[pallet::call_index(6)]
		#[pallet::weight(T::WeightInfo::deregister_model())]
		pub fn deregister_model(origin: OriginFor<T>, model: ModelId) -> DispatchResult {
			Self::do_deregister_model(ensure_signed_or_root(origin)?, model)
		}

		/// Replace a model's source URLs (owner or root). Clears its count of source failures,
		/// so that a model stopped by `ModelSourcesFailing` is replicated again.
		#[pallet::call_index(16)]
		#[pallet::weight(T::WeightInfo::update_sources(sources.len() as u32))]
		pub fn update_sources(
			origin: OriginFor<T>,
			model: ModelId,
			sources: SourcesOf<T>,
		) -> DispatchResult {
			Self::do_update_sources(ensure_signed_or_root(origin)?, model, sources)
		}

		/// Confirm that the caller, nominated for `model`, stored and verified the file.
		#[pallet::call_index(7)]
		#[pallet::weight(T::WeightInfo::confirm_stored())]
		pub fn confirm_stored(origin: OriginFor<T>, model: ModelId) -> DispatchResult {
			Self::do_confirm_stored(ensure_signed(origin)?, model)
		}

		/// Refuse a nomination; another node is nominated.
		#[pallet::call_index(8)]
		#[pallet::weight(T::WeightInfo::decline_nomination())]
		pub fn decline_nomination(
			origin: OriginFor<T>,
			model: ModelId,
			reason: DeclineReason,
		) -> DispatchResult {
			Self::do_decline_nomination(ensure_signed(origin)?, model, reason)
		}

		/// Report that the caller lost its copy of `model`; it stops being a holder.
		#[pallet::call_index(9)]
		#[pallet::weight(T::WeightInfo::report_lost())]
		pub fn report_lost(origin: OriginFor<T>, model: ModelId) -> DispatchResult {
			Self::do_report_lost(ensure_signed(origin)?, model)
		}

		/// Announce an unrequested copy of `model`. Accepted only while the model has fewer
		/// holders and nominations than its target, and within the node's capacity.
		#[pallet::call_index(10)]
		#[pallet::weight(T::WeightInfo::announce_stored())]
		pub fn announce_stored(origin: OriginFor<T>, model: ModelId) -> DispatchResult {
			Self::do_announce_stored(ensure_signed(origin)?, model)
		}

		/// Create a task on `model` with `input`, holding `fee`. Executors are drawn in a later
		/// block.
		#[pallet::call_index(11)]
		#[pallet::weight(T::WeightInfo::create_task(input.len() as u32))]
		pub fn create_task(
			origin: OriginFor<T>,
			model: ModelId,
			input: InputOf<T>,
			fee: BalanceOf<T>,
		) -> DispatchResult {
			Self::do_create_task(ensure_signed(origin)?, model, input, fee)
		}

		/// Commit to a result: `commitment = blake2_256((executor, result, salt).encode())`.
		/// Until the task resolves, the node has an open commitment and cannot leave.
		#[pallet::call_index(12)]
		#[pallet::weight(T::WeightInfo::commit_result())]
		pub fn commit_result(
			origin: OriginFor<T>,
			task: TaskId,
			commitment: H256,
		) -> DispatchResult {
			Self::do_commit_result(ensure_signed(origin)?, task, commitment)
		}

		/// Reveal the committed result and salt. The last reveal ends the reveal phase: the
		/// task is resolved in the next block.
		#[pallet::call_index(13)]
		#[pallet::weight(T::WeightInfo::reveal_result())]
		pub fn reveal_result(
			origin: OriginFor<T>,
			task: TaskId,
			result: H256,
			salt: H256,
		) -> DispatchResult {
			Self::do_reveal_result(ensure_signed(origin)?, task, result, salt)
		}

		/// Cancel a task that has no executors yet; the fee is returned.
		#[pallet::call_index(14)]
		#[pallet::weight(T::WeightInfo::cancel_task())]
		pub fn cancel_task(origin: OriginFor<T>, task: TaskId) -> DispatchResult {
			Self::do_cancel_task(ensure_signed(origin)?, task)
		}

		/// Replace the parameter set (root). Inconsistent sets are refused.
		#[pallet::call_index(15)]
		#[pallet::weight(T::WeightInfo::set_params())]
		pub fn set_params(origin: OriginFor<T>, params: ParamsOf<T>) -> DispatchResult {
			ensure_root(origin)?;
			Self::do_set_params(params)
		}
	}
}
