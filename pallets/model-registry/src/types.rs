//! Types stored by the model registry and exchanged with its runtime API.

use codec::{Decode, DecodeWithMemTracking, Encode, MaxEncodedLen};
use core::fmt::Debug;
use frame_support::{
	traits::{ConstU32, Get},
	BoundedVec,
};
use scale_info::TypeInfo;
use sp_core::H256;
use sp_runtime::Perbill;

/// Identifier of a model: the SHA-256 of the model file.
pub type ModelId = H256;

/// Identifier of a task, allocated sequentially from 0.
pub type TaskId = u64;

/// QoS scale maximum. Scores live on `0..=QOS_MAX`.
pub const QOS_MAX: u32 = 1000;

/// Source failures in a row (declines blaming the sources) after which a model gets no more
/// nominations until its owner replaces the sources.
pub const MAX_SOURCE_FAILURES: u32 = 3;

/// Replication passes in a row that place no nomination, after which a model is parked: it
/// gets no more nominations until node capacity changes (see [`CapacityWatermark`]).
pub const MAX_EMPTY_PASSES: u32 = 3;

/// Length of a punishment, in demand windows (`RegistryParams::demand_window`): a node slashed
/// on a model may not hold it again (be nominated, drawn or announce it) for this long, and the
/// QoS of a node that left or was kicked out is restored if it rejoins within this long.
pub const COOLDOWN_WINDOWS: u32 = 10;

/// Upper bound of `Config::MaxAssignmentsPerBlock` (the tasks of one
/// [`DeadlineItem::CommitPhases`] entry).
pub const MAX_ASSIGNMENTS_PER_BLOCK: u32 = 16;

/// Resources a node declares when joining.
#[derive(
	Clone,
	Copy,
	PartialEq,
	Eq,
	Default,
	Encode,
	Decode,
	DecodeWithMemTracking,
	MaxEncodedLen,
	TypeInfo,
	Debug,
)]
pub struct NodeCapacity {
	/// Disk space the node dedicates to model files, in bytes.
	pub disk_bytes: u64,
	/// GPU memory of the node, in bytes.
	pub vram_bytes: u64,
}

/// Why a node refuses a nomination.
#[derive(
	Clone,
	Copy,
	PartialEq,
	Eq,
	Encode,
	Decode,
	DecodeWithMemTracking,
	MaxEncodedLen,
	TypeInfo,
	Debug,
)]
pub enum DeclineReason {
	/// The downloaded file does not hash to the model id.
	HashMismatch,
	/// The downloaded file does not have the registered size.
	SizeMismatch,
	/// The node's local disk budget cannot take the file.
	DiskBudgetExceeded,
	/// No source could deliver the file.
	SourceUnavailable,
	/// The node's GPU cannot run the model.
	InsufficientVram,
	/// Any other reason.
	Other,
	/// The node could not reach any source (its own network failed: connection refused or
	/// reset, timeouts, name resolution). Not the sources' fault, so it does not count towards
	/// `ModelSourcesFailing`.
	NetworkUnreachable,
	/// The node cannot run the model's [`ExecutorKind`] (for an external engine: its operator
	/// configured no program of that name). Not the sources' fault.
	UnsupportedExecutor,
}

impl DeclineReason {
	/// Whether the reason points at the model's sources rather than at the node.
	pub fn blames_sources(&self) -> bool {
		matches!(self, Self::HashMismatch | Self::SizeMismatch | Self::SourceUnavailable)
	}

	/// Whether the reason is a lasting property of the node (its disk budget, its GPU, the
	/// engines it runs): asking it again soon would only bring the same answer, so the node
	/// cools down on the model (see `decline_nomination`).
	pub fn is_lasting(&self) -> bool {
		matches!(
			self,
			Self::DiskBudgetExceeded | Self::InsufficientVram | Self::UnsupportedExecutor
		)
	}
}

/// Longest [`EngineName`], in bytes.
pub const MAX_ENGINE_NAME_LEN: u32 = 32;

/// Name of the external program a model's tasks run on (see [`ExecutorKind::External`]): 1 to
/// [`MAX_ENGINE_NAME_LEN`] bytes of `[a-z0-9-]`, not starting with `-`.
pub type EngineName = BoundedVec<u8, ConstU32<MAX_ENGINE_NAME_LEN>>;

/// Whether `name` is a well-formed [`EngineName`]: non-empty, at most [`MAX_ENGINE_NAME_LEN`]
/// bytes of lowercase ASCII letters, digits and `-`, not starting with `-`.
pub fn is_valid_engine_name(name: &[u8]) -> bool {
	!name.is_empty()
		&& name.len() <= MAX_ENGINE_NAME_LEN as usize
		&& name.first() != Some(&b'-')
		&& name.iter().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || *b == b'-')
}

/// How a model's tasks are executed: every executor of a task runs the same engine, so that
/// honest nodes agree on the result digest. A node that cannot run a model's kind declines its
/// nominations ([`DeclineReason::UnsupportedExecutor`]).
#[derive(
	Clone,
	PartialEq,
	Eq,
	Default,
	Encode,
	Decode,
	DecodeWithMemTracking,
	MaxEncodedLen,
	TypeInfo,
	Debug,
)]
pub enum ExecutorKind {
	/// The deterministic spot check over the model's bytes (every node runs it). The kind of
	/// models registered before kinds existed.
	#[default]
	SpotCheck,
	/// The built-in engine for feed-forward networks (dense layers and ReLU, f32) stored as
	/// safetensors files.
	SafetensorsMlp,
	/// An external program that node operators configure under this name: only nodes with a
	/// program of that name take the model.
	External(EngineName),
}

impl ExecutorKind {
	/// Whether the kind is well-formed (an external engine's name passes
	/// [`is_valid_engine_name`]).
	pub fn is_valid(&self) -> bool {
		match self {
			Self::External(name) => is_valid_engine_name(name),
			Self::SpotCheck | Self::SafetensorsMlp => true,
		}
	}
}

/// Whether a node takes new work.
#[derive(
	Clone,
	Copy,
	PartialEq,
	Eq,
	Encode,
	Decode,
	DecodeWithMemTracking,
	MaxEncodedLen,
	TypeInfo,
	Debug,
)]
pub enum NodeStatus {
	/// Eligible for nominations and task execution.
	Active,
	/// Keeps its holdings but receives no new nominations or tasks.
	Paused,
	/// Left or kicked out: its holdings and nominations are being cleared block by block. Its
	/// stake is released at once, or, for a node kicked out with open commitments, once the
	/// last of their tasks resolves (so that it can still be slashed). The record disappears
	/// once both are done.
	Leaving,
}

/// Governance-controlled parameters of the registry.
#[derive(
	Clone,
	PartialEq,
	Eq,
	Encode,
	Decode,
	DecodeWithMemTracking,
	MaxEncodedLen,
	TypeInfo,
	Debug,
	frame_support::Serialize,
	frame_support::Deserialize,
)]
#[serde(crate = "frame_support::__private::serde", rename_all = "camelCase", deny_unknown_fields)]
pub struct RegistryParams<BlockNumber> {
	/// Nodes nominated when a model is registered.
	pub initial_replicas: u32,
	/// Below this many available holders, `refill_batch` more nodes are nominated.
	pub low_watermark: u32,
	/// Nominations added when a model falls below `low_watermark` available holders.
	pub refill_batch: u32,
	/// Eviction floor: demand scaling never removes copies below this count.
	pub min_replicas: u32,
	/// Ceiling of the replication target.
	pub max_replicas: u32,
	/// Blocks a nominated node has to confirm the download.
	pub download_deadline: BlockNumber,
	/// Length of the demand measurement window, in blocks.
	pub demand_window: BlockNumber,
	/// Task executions one holder is expected to serve per window.
	pub tasks_per_replica: u32,
	/// Capacity provisioned relative to measured demand, in percent (>= 100).
	pub headroom_percent: u32,
	/// A target is lowered only when demand asks for at least this percentage fewer copies.
	pub scale_down_hysteresis_percent: u32,
	/// Executors drawn per task.
	pub executors_per_task: u32,
	/// Blocks the executors have to commit after assignment.
	pub commit_deadline: BlockNumber,
	/// Blocks the executors have to reveal after the commit phase.
	pub reveal_deadline: BlockNumber,
	/// Nodes whose QoS falls below this value (on `0..=1000`) are kicked out.
	pub qos_kick_threshold: u32,
	/// Part of the stake slashed from an executor whose revealed result disagrees with the
	/// majority.
	pub slash_fraction: Perbill,
}

impl<BlockNumber: From<u32>> Default for RegistryParams<BlockNumber> {
	fn default() -> Self {
		Self {
			initial_replicas: 10,
			low_watermark: 3,
			refill_batch: 10,
			min_replicas: 5,
			max_replicas: 32,
			download_deadline: 100u32.into(),
			demand_window: 100u32.into(),
			tasks_per_replica: 10,
			headroom_percent: 200,
			// Half, not a quarter: on the simulator's zipf-2000 workload it cuts the bytes
			// downloaded by 9 % and evictions by 16 % at the same locality
			// (`simulator/scenarios/zipf-2000-tuning.toml`).
			scale_down_hysteresis_percent: 50,
			executors_per_task: 3,
			commit_deadline: 20u32.into(),
			reveal_deadline: 20u32.into(),
			qos_kick_threshold: 200,
			slash_fraction: Perbill::from_percent(10),
		}
	}
}

/// A registered node.
#[derive(
	Clone, PartialEq, Eq, Encode, Decode, DecodeWithMemTracking, MaxEncodedLen, TypeInfo, Debug,
)]
#[scale_info(skip_type_params(MaxModels))]
pub struct NodeInfo<Balance, BlockNumber, MaxModels: Get<u32>> {
	/// Position of the node in the dense node index (meaningless once `Leaving`).
	pub index: u32,
	/// Stake currently held (already reduced by slashes).
	pub stake: Balance,
	/// Declared resources.
	pub capacity: NodeCapacity,
	/// Bytes reserved by holdings and pending nominations.
	pub used_disk: u64,
	/// VRAM requirements of the holdings and pending nominations (one entry per model), so
	/// that a capacity update is checked without reading the models.
	pub vram_needs: BoundedVec<u64, MaxModels>,
	/// QoS score on `0..=1000`.
	pub qos: u32,
	/// Active, paused or leaving.
	pub status: NodeStatus,
	/// Block of joining.
	pub joined_at: BlockNumber,
	/// Holdings (counted from the end of the holding list) whose availability flag still has
	/// to follow a pause or resume.
	pub sync_left: u32,
	/// Whether the node sits in the cleanup queue.
	pub in_cleanup: bool,
	/// Tasks the node committed a result to that are not resolved yet. The node cannot leave
	/// while there are any: it would take its stake out of reach of a slash.
	pub open_commitments: u32,
}

impl<Balance, BlockNumber, MaxModels: Get<u32>> NodeInfo<Balance, BlockNumber, MaxModels> {
	/// The largest VRAM requirement among the node's holdings and nominations.
	pub fn vram_needed(&self) -> u64 {
		self.vram_needs.iter().copied().max().unwrap_or(0)
	}

	/// Holdings plus nominations of the node (one VRAM entry each).
	pub fn model_count(&self) -> u32 {
		self.vram_needs.len() as u32
	}
}

/// A registered model.
#[derive(
	Clone, PartialEq, Eq, Encode, Decode, DecodeWithMemTracking, MaxEncodedLen, TypeInfo, Debug,
)]
pub struct ModelInfo<AccountId, Balance, BlockNumber> {
	/// Account that registered the model and pays its deposit.
	pub owner: AccountId,
	/// Deposit held from the owner.
	pub deposit: Balance,
	/// File size in bytes.
	pub size_bytes: u64,
	/// GPU memory a node needs to run the model.
	pub min_vram_bytes: u64,
	/// Position of the model in the dense model index.
	pub index: u32,
	/// Number of holders (entries of the holder index).
	pub holders: u32,
	/// Holders whose node is active (not paused).
	pub available: u32,
	/// Pending nominations.
	pub nominated: u32,
	/// Replication target (holders wanted).
	pub target: u32,
	/// Whether the model sits in the replication queue.
	pub queued: bool,
	/// Deregistered: its copies and nominations are being evicted block by block; the record
	/// disappears once they are (and it left the replication queue).
	pub retiring: bool,
	/// Window index (block / demand_window) the demand counters refer to.
	pub demand_window_index: BlockNumber,
	/// Tasks created in the current window.
	pub demand_current: u32,
	/// Tasks created in the previous window.
	pub demand_previous: u32,
	/// Block of registration.
	pub registered_at: BlockNumber,
	/// Nominations declined in a row because the sources did not deliver the registered file
	/// (see [`DeclineReason::blames_sources`]). Reset when a node confirms a copy or the owner
	/// replaces the sources; from [`MAX_SOURCE_FAILURES`] on the model gets no nominations.
	pub source_failures: u32,
	/// Block at which the source failures were last cleared by `update_sources` (`None`:
	/// never): they may be cleared again one demand window later. The first clearing is
	/// free, so that an owner can fix a broken URL at once after registration.
	pub sources_reset_at: Option<BlockNumber>,
	/// Replication passes in a row that placed no nomination (see [`MAX_EMPTY_PASSES`]).
	pub empty_passes: u32,
	/// While parked: the [`CapacityWatermark::epoch`] and the block at which the model was
	/// parked. A parked model is not queued for nominations until the largest capacity seen can
	/// take it and either the epoch moved on or a demand window has passed.
	pub parked_at: Option<(u32, BlockNumber)>,
	/// How the model's tasks are executed.
	pub executor: ExecutorKind,
}

/// What the registry knows about node capacity changes, to wake parked models up without
/// visiting them: a counter bumped by every join, capacity update and resume, and the largest
/// disk and VRAM any node declared (never lowered).
#[derive(
	Clone,
	Copy,
	PartialEq,
	Eq,
	Default,
	Encode,
	Decode,
	DecodeWithMemTracking,
	MaxEncodedLen,
	TypeInfo,
	Debug,
)]
pub struct CapacityWatermark {
	/// Bumped by every join, capacity update and resume.
	pub epoch: u32,
	/// Largest disk any node declared.
	pub max_disk_bytes: u64,
	/// Largest VRAM any node declared.
	pub max_vram_bytes: u64,
}

/// One holder of a model.
#[derive(
	Clone, PartialEq, Eq, Encode, Decode, DecodeWithMemTracking, MaxEncodedLen, TypeInfo, Debug,
)]
#[scale_info(skip_type_params(MaxTasks))]
pub struct HolderEntry<AccountId, MaxTasks: Get<u32>> {
	/// The holding node.
	pub node: AccountId,
	/// Whether the holder is counted in the model's `available` holders. It follows the
	/// node's status, with the delay of the cleanup queue after a pause or resume.
	pub available: bool,
	/// Tasks of this model the holder executes. Kept beside the holder so that assigning a
	/// task's executors writes one storage item (the model's holder list), not one per
	/// executor.
	pub tasks: BoundedVec<TaskId, MaxTasks>,
}

impl<AccountId, MaxTasks: Get<u32>> HolderEntry<AccountId, MaxTasks> {
	/// A holder without tasks.
	pub fn new(node: AccountId, available: bool) -> Self {
		Self { node, available, tasks: BoundedVec::new() }
	}
}

/// A pending nomination of one node for one model.
#[derive(
	Clone,
	Copy,
	PartialEq,
	Eq,
	Encode,
	Decode,
	DecodeWithMemTracking,
	MaxEncodedLen,
	TypeInfo,
	Debug,
)]
pub struct Nomination<BlockNumber> {
	/// Block of the nomination.
	pub nominated_at: BlockNumber,
	/// Block at which the nomination expires unless confirmed.
	pub deadline: BlockNumber,
}

/// How a model file is cut into pieces, each verifiable on its own (see [`crate::pieces`]).
#[derive(
	Clone, PartialEq, Eq, Encode, Decode, DecodeWithMemTracking, MaxEncodedLen, TypeInfo, Debug,
)]
pub struct PieceManifest {
	/// Root of the hash tree over the leaves.
	pub root: H256,
	/// Bytes per piece (the last piece may be shorter).
	pub piece_size: u64,
	/// `SHA-256(0x00 ‖ piece)` of every piece, in file order.
	pub pieces: PiecesOf,
}

/// An entry of a per-block deadline queue.
#[derive(
	Clone, PartialEq, Eq, Encode, Decode, DecodeWithMemTracking, MaxEncodedLen, TypeInfo, Debug,
)]
pub enum DeadlineItem<AccountId> {
	/// A nomination expires unless confirmed.
	Nomination {
		/// The model.
		model: ModelId,
		/// The nominated node.
		node: AccountId,
	},
	/// The current phase (commit or reveal) of a task ends.
	TaskPhase {
		/// The task.
		task: TaskId,
	},
	/// The commit phase of the tasks assigned in one block ends (one entry per block, so that
	/// assigning a task adds no deadline write of its own).
	CommitPhases {
		/// The tasks, at most `MaxAssignmentsPerBlock`.
		tasks: BoundedVec<TaskId, ConstU32<MAX_ASSIGNMENTS_PER_BLOCK>>,
	},
	/// A resolved task record is removed.
	Prune {
		/// The task.
		task: TaskId,
	},
	/// A node's cool-down on a model ends (see [`COOLDOWN_WINDOWS`]).
	CooldownEnd {
		/// The model.
		model: ModelId,
		/// The node that was slashed.
		node: AccountId,
	},
	/// The departure record of a node that left or was kicked out is forgotten.
	ForgetDeparture {
		/// The former node.
		node: AccountId,
	},
}

/// What the chain remembers of a node that left or was kicked out, so that rejoining does not
/// reset its QoS.
#[derive(
	Clone,
	Copy,
	PartialEq,
	Eq,
	Encode,
	Decode,
	DecodeWithMemTracking,
	MaxEncodedLen,
	TypeInfo,
	Debug,
)]
pub struct Departure<BlockNumber> {
	/// QoS at departure, lowered by penalties of tasks resolved after it.
	pub qos: u32,
	/// Block at which the record is forgotten; a node rejoining before starts with `qos`.
	pub until: BlockNumber,
	/// First block at which the account may join again (one demand window after leaving).
	pub rejoin_at: BlockNumber,
}

/// The randomness of consecutive blocks, mixed (see `randomness.rs`).
#[derive(
	Clone,
	Copy,
	PartialEq,
	Eq,
	Encode,
	Decode,
	DecodeWithMemTracking,
	MaxEncodedLen,
	TypeInfo,
	Debug,
)]
pub struct MixedRandomness<BlockNumber> {
	/// Hash chain of the random values read so far: `blake2(previous mix, value)`.
	pub value: [u8; 32],
	/// How many values of consecutive blocks it holds (counting stops at `u32::MAX`).
	pub depth: u32,
	/// Block in which the last value was mixed in.
	pub mixed_at: BlockNumber,
	/// Block since which that value was known.
	pub known_since: BlockNumber,
}

mod api;
mod tasks;
pub use api::*;
pub use tasks::*;

// Aliases bound to the pallet's configuration.

use crate::pallet::Config;
use frame_support::traits::fungible::Inspect;
use frame_system::pallet_prelude::BlockNumberFor;

/// Balance type of the configured currency.
pub type BalanceOf<T> =
	<<T as Config>::Currency as Inspect<<T as frame_system::Config>::AccountId>>::Balance;
/// Stored randomness mix.
pub type MixedRandomnessOf<T> = MixedRandomness<BlockNumberFor<T>>;
/// Stored node record.
pub type NodeInfoOf<T> = NodeInfo<BalanceOf<T>, BlockNumberFor<T>, <T as Config>::MaxModelsPerNode>;
/// One holder of a model.
pub type HolderEntryOf<T> =
	HolderEntry<<T as frame_system::Config>::AccountId, <T as Config>::MaxTasksPerHolder>;
/// The holders of a model, in the order of the dense holder index.
pub type HoldersOf<T> = BoundedVec<HolderEntryOf<T>, <T as Config>::MaxHoldersPerModel>;
/// Stored model record.
pub type ModelInfoOf<T> =
	ModelInfo<<T as frame_system::Config>::AccountId, BalanceOf<T>, BlockNumberFor<T>>;
/// Stored task record.
pub type TaskInfoOf<T> = TaskInfo<
	<T as frame_system::Config>::AccountId,
	BalanceOf<T>,
	BlockNumberFor<T>,
	<T as Config>::MaxTaskInputLen,
	MaxTaskExecutors<T>,
>;
/// Bound of a task's executor list: a first round of at most `MaxExecutorsPerTask` executors
/// and an appeal jury of at most `2 × MaxExecutorsPerTask + 1` (see [`crate::appeal`]).
#[derive(
	frame_support::CloneNoBound,
	frame_support::PartialEqNoBound,
	frame_support::EqNoBound,
	frame_support::DebugNoBound,
)]
pub struct MaxTaskExecutors<T>(core::marker::PhantomData<T>);

impl<T: Config> Get<u32> for MaxTaskExecutors<T> {
	fn get() -> u32 {
		T::MaxExecutorsPerTask::get().saturating_mul(3).saturating_add(1)
	}
}
/// Registry parameters with the chain's block number type.
pub type ParamsOf<T> = RegistryParams<BlockNumberFor<T>>;
/// One source URL.
pub type UrlOf<T> = BoundedVec<u8, <T as Config>::MaxUrlLen>;
/// The leaf hashes of a model's pieces (see [`crate::pieces`]).
pub type PiecesOf = BoundedVec<H256, ConstU32<{ crate::pieces::MAX_PIECES }>>;
/// The source URLs of a model.
pub type SourcesOf<T> = BoundedVec<UrlOf<T>, <T as Config>::MaxSources>;
/// Task input.
pub type InputOf<T> = BoundedVec<u8, <T as Config>::MaxTaskInputLen>;
/// Executor accounts of a task.
pub type ExecutorsOf<T> = BoundedVec<<T as frame_system::Config>::AccountId, MaxTaskExecutors<T>>;
/// Models held by (or nominated to) one node.
pub type NodeModelsOf<T> = BoundedVec<ModelId, <T as Config>::MaxModelsPerNode>;
pub use crate::{
	cleanup::CleanupJob,
	queue::{QueueRange, RingRange, TaskQueueState},
};

/// An entry of the deadline queues.
pub type DeadlineItemOf<T> = DeadlineItem<<T as frame_system::Config>::AccountId>;
/// An entry of the cleanup queue.
pub type CleanupJobOf<T> = CleanupJob<<T as frame_system::Config>::AccountId>;
