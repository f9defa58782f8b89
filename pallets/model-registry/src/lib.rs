#![doc = include_str!("../README.md")]
#![cfg_attr(not(feature = "std"), no_std)]

extern crate alloc;

pub use pallet::*;

pub mod appeal;
#[cfg(feature = "runtime-benchmarks")]
pub mod benchmarking;
mod cleanup;
pub mod crypto;
mod demand;
pub mod endpoint;
mod events;
mod holdings;
mod hooks;
pub mod migrations;
mod models;
mod nodes;
pub mod offchain;
mod params;
pub mod pieces;
mod placement;
pub mod priority;
mod qos;
mod queue;
mod randomness;
mod resolve;
pub mod runtime_api;
mod sources;
mod tasks;
pub mod types;
pub mod weights;

// Also compiled with `std`, so that native drivers (tests, the simulator) check the invariants
// after every block without `try-runtime`.
#[cfg(any(feature = "try-runtime", feature = "std", test))]
mod invariants;
#[cfg(test)]
mod mock;
#[cfg(test)]
mod tests;

#[cfg(feature = "runtime-benchmarks")]
pub use benchmarking::BenchmarkHelper;
pub(crate) use models::ModelSpec;
pub use priority::PrioritizeExecutors;
pub use types::*;
pub use weights::WeightInfo;

use frame_support::pallet_macros::import_section;

#[import_section(events::events)]
#[import_section(events::errors)]
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
	#[pallet::storage_version(crate::migrations::STORAGE_VERSION)]
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

		/// Number of consecutive blocks whose randomness every draw seed mixes (at least 1).
		/// A draw about something created in block `c` waits until the randomness of this
		/// many blocks after `c` is mixed in, so that knowing the seed in advance takes
		/// authoring all of them (with BABE a slot's author knows its VRF output early).
		#[pallet::constant]
		type RandomnessDepth: Get<u32>;

		/// Key type the off-chain worker signs its transactions with.
		type AuthorityId: AppCrypto<Self::Public, Self::Signature>;

		/// Minimum stake a node must hold to join, whatever its capacity.
		#[pallet::constant]
		type MinNodeStake: Get<BalanceOf<Self>>;

		/// Stake per GiB (started) of declared VRAM, on top of `MinNodeStake`: VRAM is what
		/// makes a node eligible for the models few nodes can run, so claiming it costs in
		/// proportion (see [`Pallet::required_stake`]).
		#[pallet::constant]
		type StakePerVramGib: Get<BalanceOf<Self>>;

		/// Stake per GiB (started) of declared disk, on top of `MinNodeStake`.
		#[pallet::constant]
		type StakePerDiskGib: Get<BalanceOf<Self>>;

		/// Base deposit held from the owner of each registered model.
		#[pallet::constant]
		type ModelDeposit: Get<BalanceOf<Self>>;

		/// Deposit per byte of a model and per initial replica: registering a model holds
		/// `ModelDeposit + ModelDepositPerByte * size_bytes * initial_replicas` (the bytes the
		/// network downloads to place it), until its copies are evicted after deregistration.
		#[pallet::constant]
		type ModelDepositPerByte: Get<BalanceOf<Self>>;

		/// Largest model size accepted by `register_model`, in bytes. Bounds the model deposit
		/// and the nomination deadline.
		#[pallet::constant]
		type MaxModelSize: Get<u64>;

		/// Bytes per block a nominated node is assumed to download at least: a nomination's
		/// deadline is `download_deadline + size_bytes / MinDownloadBytesPerBlock` blocks.
		#[pallet::constant]
		type MinDownloadBytesPerBlock: Get<u64>;

		/// Storage deposit per byte of task input, held with the fee and returned when the task
		/// is cancelled or its record is pruned.
		#[pallet::constant]
		type TaskInputDepositPerByte: Get<BalanceOf<Self>>;

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
		/// A task creator's storage deposit for the input, until the task record is removed.
		TaskDeposit,
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

	/// Piece manifest of each model: the hash of every piece and their root, so that nodes
	/// verify each piece they receive from a peer (see `pieces.rs`).
	#[pallet::storage]
	pub type ModelPieces<T: Config> = StorageMap<_, Blake2_128Concat, ModelId, PieceManifest>;

	/// Base URL at which each node serves pieces of the models it holds or is nominated for
	/// (`GET <endpoint>/v1/models/<sha256 hex>` with `Range`), declared by the node itself.
	/// Removed with the node's record.
	#[pallet::storage]
	pub type NodeEndpoints<T: Config> = StorageMap<_, Blake2_128Concat, T::AccountId, UrlOf<T>>;

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
	/// task (see [`queue::Ring`]). Each waiting task records its slot
	/// ([`TaskInfo::queue_slot`]): a cancelled task leaves the ring at once (the last task
	/// moves into its slot).
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

	/// Models each node announced to have a copy of (see `announce_stored`): when a random
	/// nomination draw picks the node for one of them, it becomes a holder at once instead of
	/// being nominated. An announcement never makes a node more likely to be drawn. At most
	/// `MaxModelsPerNode` per node; entries of models that are gone or already held are pruned
	/// by the node's next announcement, and the list is removed with the node's record.
	#[pallet::storage]
	pub type Announcements<T: Config> =
		StorageMap<_, Blake2_128Concat, T::AccountId, NodeModelsOf<T>, ValueQuery>;

	/// The mix of the randomness of consecutive blocks that draws use (see `randomness.rs`).
	#[pallet::storage]
	pub type RandomnessMix<T: Config> = StorageValue<_, MixedRandomnessOf<T>, OptionQuery>;

	/// Cool-downs: (model, node) -> block until which the node may not hold the model again
	/// (be nominated, drawn or announce it), set when it is slashed on the model or declines
	/// a nomination for a lasting reason of its own ([`DeclineReason::is_lasting`]). Each entry
	/// is removed by a deadline entry at its block ([`COOLDOWN_WINDOWS`] demand windows after
	/// it began); there are at most as many as slashes and declines in that period.
	#[pallet::storage]
	pub type Cooldowns<T: Config> = StorageDoubleMap<
		_,
		Blake2_128Concat,
		ModelId,
		Blake2_128Concat,
		T::AccountId,
		BlockNumberFor<T>,
	>;

	/// Nodes that left or were kicked out recently: their QoS, restored if they rejoin before
	/// the record is forgotten ([`COOLDOWN_WINDOWS`] demand windows after the departure, by a
	/// deadline entry). At most one per account; each departure needed a stake.
	#[pallet::storage]
	pub type Departures<T: Config> =
		StorageMap<_, Blake2_128Concat, T::AccountId, Departure<BlockNumberFor<T>>>;

	/// Changes of node capacity that may let a parked model be placed (see
	/// [`Event::ReplicationParked`]): a counter bumped by every join, capacity update and
	/// resume, and the largest disk and VRAM ever declared.
	#[pallet::storage]
	pub type CapacityChanges<T: Config> = StorageValue<_, CapacityWatermark, ValueQuery>;

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
		/// Join as a node with `stake` held and the declared `capacity`; the stake must cover
		/// the capacity (`MinNodeStake` plus a price per GiB of VRAM and of disk, see the
		/// runtime API's `required_stake`; `StakeTooLow`). The node starts active with the initial QoS. An account that left (or was
		/// kicked out) may join again only one demand window after leaving (`RejoinTooSoon`).
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
		/// nominations need (disk) or require (VRAM), and a larger capacity must be covered by
		/// the node's stake as it stands after any slashes (`StakeTooLow`).
		#[pallet::call_index(1)]
		#[pallet::weight(T::WeightInfo::update_capacity())]
		pub fn update_capacity(origin: OriginFor<T>, capacity: NodeCapacity) -> DispatchResult {
			Self::do_update_capacity(ensure_signed(origin)?, capacity)
		}

		/// Stop receiving nominations and tasks; holdings are kept. The node's holdings stop
		/// counting as available in the following blocks (cleanup queue). Refused while the
		/// previous resume is still being applied (`StatusChangePending`).
		#[pallet::call_index(2)]
		#[pallet::weight(T::WeightInfo::pause())]
		pub fn pause(origin: OriginFor<T>) -> DispatchResult {
			Self::do_pause(ensure_signed(origin)?)
		}

		/// Receive nominations and tasks again. The node's holdings count as available again in
		/// the following blocks (cleanup queue). Refused while the previous pause is still being
		/// applied (`StatusChangePending`).
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

		/// Register `model` (the SHA-256 of the file) with its size, source URLs, VRAM
		/// requirement and `pieces`: `SHA-256(0x00 ‖ piece)` of each piece of the file (piece
		/// size and tree in `pieces.rs`), against which nodes verify what peers serve them.
		/// Holds `ModelDeposit + ModelDepositPerByte * size_bytes * initial_replicas`;
		/// `initial_replicas` nodes are nominated from the next block on. Refused: a size of 0
		/// (`InvalidSize`) or above `MaxModelSize` (`ModelTooLarge`), a source that is not an
		/// `http://` or `https://` URL (`UnsupportedSourceScheme`) or has no host or contains
		/// spaces or control characters (`MalformedSource`), a wrong number of piece hashes
		/// (`PieceCountMismatch`), an `executor` naming an external engine whose name is empty
		/// or not `[a-z0-9-]` (`InvalidEngineName`). A model no node can take is accepted but
		/// parked (`ReplicationParked`).
		///
		/// `executor` is how the model's tasks run: `SpotCheck` (every node), `SafetensorsMlp`
		/// (the built-in engine for safetensors feed-forward networks) or `External(name)`, an
		/// external program that node operators configure under `name`; nodes that cannot run
		/// the kind decline their nominations (`UnsupportedExecutor`), which does not count
		/// against the sources.
		#[pallet::call_index(5)]
		#[pallet::weight(T::WeightInfo::register_model(sources.len() as u32, pieces.len() as u32))]
		pub fn register_model(
			origin: OriginFor<T>,
			model: ModelId,
			size_bytes: u64,
			sources: SourcesOf<T>,
			min_vram_bytes: u64,
			pieces: PiecesOf,
			executor: ExecutorKind,
		) -> DispatchResult {
			Self::do_register_model(
				ensure_signed(origin)?,
				model,
				ModelSpec { size_bytes, sources, min_vram_bytes, pieces, executor },
			)
		}

		/// Deregister a model (owner or root): every copy and nomination is evicted in the
		/// following blocks, after which the record is removed and the deposit released
		/// (`ModelDepositReleased`).
		#[pallet::call_index(6)]
		#[pallet::weight(T::WeightInfo::deregister_model())]
		pub fn deregister_model(origin: OriginFor<T>, model: ModelId) -> DispatchResult {
			Self::do_deregister_model(ensure_signed_or_root(origin)?, model)
		}

		/// Replace a model's source URLs (owner or root; same checks as `register_model`).
		/// The new sources are always taken. The model's count of source failures is cleared
		/// too (so that a model stopped by `ModelSourcesFailing` is replicated again) unless
		/// an earlier call cleared it less than one demand window ago: then the count stays,
		/// and a call after the window clears it (`ModelSourcesUpdated.failures_cleared` says
		/// which happened). The first clearing after registration is never refused.
		#[pallet::call_index(16)]
		#[pallet::weight(T::WeightInfo::update_sources(sources.len() as u32))]
		pub fn update_sources(
			origin: OriginFor<T>,
			model: ModelId,
			sources: SourcesOf<T>,
		) -> DispatchResult {
			Self::do_update_sources(ensure_signed_or_root(origin)?, model, sources)
		}

		/// Confirm that the caller, nominated for `model`, stored and verified the file. The
		/// confirmation earns no QoS (only a missed deadline costs QoS; task results raise it).
		#[pallet::call_index(7)]
		#[pallet::weight(T::WeightInfo::confirm_stored())]
		pub fn confirm_stored(origin: OriginFor<T>, model: ModelId) -> DispatchResult {
			Self::do_confirm_stored(ensure_signed(origin)?, model)
		}

		/// Refuse a nomination; another node is nominated. For a lasting reason of the node's
		/// own (`DiskBudgetExceeded`, `InsufficientVram`, `UnsupportedExecutor`) the node cools
		/// down on the model: it is not nominated for it, and cannot announce a copy of it, for
		/// `COOLDOWN_WINDOWS` demand windows. Source faults count towards `ModelSourcesFailing`.
		#[pallet::call_index(8)]
		// The benchmark measures a transient reason; a lasting one adds the cool-down entry
		// and its deadline entry (`start_cooldown`: one read, three writes).
		#[pallet::weight(T::WeightInfo::decline_nomination()
			.saturating_add(T::DbWeight::get().reads_writes(1, 3)))]
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

		/// Announce that the caller already has a copy of `model`. This only records the fact
		/// (`ModelAnnounced`): the node does not become a holder and its chance of being
		/// nominated does not change. When a random nomination draw later picks the node for
		/// the model, it becomes a holder at once (`ModelStored`, no download, no deadline)
		/// instead of being nominated. Refused for a holder, a nominee, a node cooling down
		/// after a slash on the model, a repeated announcement, or a node whose capacity
		/// cannot take the model; at most `MaxModelsPerNode` announcements per node.
		#[pallet::call_index(10)]
		#[pallet::weight(T::WeightInfo::announce_stored())]
		pub fn announce_stored(origin: OriginFor<T>, model: ModelId) -> DispatchResult {
			Self::do_announce_stored(ensure_signed(origin)?, model)
		}

		/// Create a task on `model` with `input`, holding `fee` and a storage deposit of
		/// `TaskInputDepositPerByte * input.len()` (returned when the task is cancelled or its
		/// record pruned). Executors are drawn in a later block.
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

		/// Commit to a result: `commitment = blake2_256((executor, sealed, salt).encode())`,
		/// `sealed` the task's sealed result (`blake2_256((b"modelnet/sealed", task,
		/// result).encode())`, see `offchain::sealed_result`). Until the task resolves, the
		/// node has an open commitment and cannot leave.
		#[pallet::call_index(12)]
		#[pallet::weight(T::WeightInfo::commit_result())]
		pub fn commit_result(
			origin: OriginFor<T>,
			task: TaskId,
			commitment: H256,
		) -> DispatchResult {
			Self::do_commit_result(ensure_signed(origin)?, task, commitment)
		}

		/// Open the commitment: a first-round executor reveals its *sealed* result (which does
		/// not give the result away), an appeal juror the result itself (whose seal must match
		/// its commitment), so that nothing a juror could copy is public before the jury
		/// commits. The chain records and compares sealed results. The last reveal ends the
		/// reveal phase: the task is resolved in the next block. Once a result wins, an
		/// executor that committed but did not reveal is slashed like one that revealed a
		/// minority result.
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

		/// Cancel a task that has no executors yet; the fee and deposit are returned and its
		/// place in the task queue is freed at once.
		#[pallet::call_index(14)]
		#[pallet::weight(T::WeightInfo::cancel_task())]
		pub fn cancel_task(origin: OriginFor<T>, task: TaskId) -> DispatchResult {
			Self::do_cancel_task(ensure_signed(origin)?, task)
		}

		/// Declare (or withdraw, with `None`) the base URL at which the calling node serves
		/// pieces of the models it holds or is nominated for to other nodes. The node's model
		/// worker sends it by itself when its `--model-public-url` differs from the chain's.
		/// Refused for an account that is not a node (`NotANode`) and for a URL that is not a
		/// bare `http://host[:port]` or `https://host[:port]` (`InvalidEndpoint`, see
		/// [`crate::endpoint`]).
		#[pallet::call_index(17)]
		#[pallet::weight(T::WeightInfo::set_endpoint())]
		pub fn set_endpoint(origin: OriginFor<T>, endpoint: Option<UrlOf<T>>) -> DispatchResult {
			Self::do_set_endpoint(ensure_signed(origin)?, endpoint)
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
