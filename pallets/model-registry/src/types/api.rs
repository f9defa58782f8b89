//! Views of the registry returned by its runtime API (see [`crate::runtime_api`]).

use super::{ExecutorKind, ModelId, NodeCapacity, NodeStatus, PieceManifest, TaskId, TaskStatus};
use alloc::vec::Vec;
use codec::{Decode, Encode};
use scale_info::TypeInfo;
use sp_core::H256;

/// Phase of an assigned task, as reported to nodes.
#[derive(Clone, Copy, PartialEq, Eq, Encode, Decode, TypeInfo, Debug)]
pub enum TaskPhase {
	/// Executors commit to a result hash.
	Commit,
	/// Executors reveal result and salt.
	Reveal,
}

/// Replication view of a model (runtime API).
#[derive(Clone, PartialEq, Eq, Encode, Decode, TypeInfo, Debug)]
pub struct ModelStatus<AccountId, Balance, BlockNumber> {
	/// Owner of the model.
	pub owner: AccountId,
	/// Deposit held.
	pub deposit: Balance,
	/// File size in bytes.
	pub size_bytes: u64,
	/// GPU memory required.
	pub min_vram_bytes: u64,
	/// Source URLs.
	pub sources: Vec<Vec<u8>>,
	/// Current holders.
	pub holders: Vec<AccountId>,
	/// Holders that are active.
	pub available_holders: u32,
	/// Pending nominations.
	pub pending_nominations: u32,
	/// Nominations still to place.
	pub deficit: u32,
	/// Tasks created in the current demand window.
	pub demand_current: u32,
	/// Tasks created in the previous demand window.
	pub demand_previous: u32,
	/// Replication target.
	pub target: u32,
	/// Block of registration.
	pub registered_at: BlockNumber,
	/// Nominations declined in a row because of the sources; from `MAX_SOURCE_FAILURES` on
	/// the model gets no nominations until the owner replaces its sources.
	pub source_failures: u32,
	/// How the model's tasks are executed.
	pub executor: ExecutorKind,
}

/// Node view (runtime API).
#[derive(Clone, PartialEq, Eq, Encode, Decode, TypeInfo, Debug)]
pub struct NodeView<Balance> {
	/// Stake held.
	pub stake: Balance,
	/// Declared capacity.
	pub capacity: NodeCapacity,
	/// Bytes reserved by holdings and nominations.
	pub used_disk: u64,
	/// QoS on `0..=1000`.
	pub qos: u32,
	/// Active or paused.
	pub status: NodeStatus,
	/// Number of models held.
	pub holdings: u32,
	/// Number of pending nominations.
	pub nominations: u32,
	/// Tasks in flight.
	pub tasks_in_flight: u32,
}

/// Another node that can serve pieces of a model (runtime API).
#[derive(Clone, PartialEq, Eq, Encode, Decode, TypeInfo, Debug)]
pub struct PeerWork {
	/// The peer's declared endpoint (base URL).
	pub endpoint: Vec<u8>,
	/// `true` for a holder (has every piece), `false` for another nominee (has what it already
	/// verified).
	pub holder: bool,
}

/// A nomination the node should fetch.
#[derive(Clone, PartialEq, Eq, Encode, Decode, TypeInfo, Debug)]
pub struct NominationWork<BlockNumber> {
	/// Model to fetch.
	pub model: ModelId,
	/// Expected size.
	pub size_bytes: u64,
	/// Where to fetch it.
	pub sources: Vec<Vec<u8>>,
	/// Confirm before this block.
	pub deadline: BlockNumber,
	/// The model's piece manifest (`None` for a model registered without one).
	pub manifest: Option<PieceManifest>,
	/// Holders with an available copy and other nominees that declared an endpoint.
	pub peers: Vec<PeerWork>,
	/// `(index, count)`: this node's position among the model's `count` current nominees.
	/// Nominees fetching together take the pieces `i` with `i % count == index` from the
	/// registered sources and the others from each other, so the sources serve about one copy.
	pub source_share: (u32, u32),
	/// How the model's tasks are executed: a node that cannot run this kind declines the
	/// nomination ([`DeclineReason::UnsupportedExecutor`](super::DeclineReason)) instead of
	/// downloading.
	pub executor: ExecutorKind,
}

/// A model the node must keep.
#[derive(Clone, PartialEq, Eq, Encode, Decode, TypeInfo, Debug)]
pub struct HoldingWork {
	/// Model held.
	pub model: ModelId,
	/// Its size.
	pub size_bytes: u64,
	/// How the model's tasks are executed.
	pub executor: ExecutorKind,
}

/// A task the node must execute.
#[derive(Clone, PartialEq, Eq, Encode, Decode, TypeInfo, Debug)]
pub struct TaskWork<BlockNumber> {
	/// The task.
	pub task: TaskId,
	/// Its model.
	pub model: ModelId,
	/// Its input.
	pub input: Vec<u8>,
	/// The engine that runs it (the model's kind).
	pub executor: ExecutorKind,
	/// Challenge of the task: the executor computes the spot-check over
	/// `challenge (32 bytes) ‖ input` (see [`TaskInfo::challenge`]).
	pub challenge: H256,
	/// Current phase.
	pub phase: TaskPhase,
	/// Whether this node committed.
	pub committed: bool,
	/// Whether this node revealed.
	pub revealed: bool,
	/// End of the current phase.
	pub deadline: BlockNumber,
}

/// Everything a node's off-chain worker must act on (runtime API).
#[derive(Clone, PartialEq, Eq, Encode, Decode, TypeInfo, Debug)]
pub struct NodeWork<BlockNumber> {
	/// Models to fetch and confirm.
	pub nominations: Vec<NominationWork<BlockNumber>>,
	/// Models to keep (anything else on disk may be deleted).
	pub holdings: Vec<HoldingWork>,
	/// Tasks to commit or reveal.
	pub tasks: Vec<TaskWork<BlockNumber>>,
	/// Live models the node announced a copy of (`announce_stored`) and does not hold: the
	/// copy is to be kept on disk until a draw makes the node a holder or the announcement is
	/// gone.
	pub announced: Vec<ModelId>,
}

/// Task view (runtime API).
#[derive(Clone, PartialEq, Eq, Encode, Decode, TypeInfo, Debug)]
pub struct TaskView<AccountId, Balance, BlockNumber> {
	/// Model of the task.
	pub model: ModelId,
	/// Creator.
	pub creator: AccountId,
	/// Fee.
	pub fee: Balance,
	/// Block of creation.
	pub created_at: BlockNumber,
	/// Status.
	pub status: TaskStatus<BlockNumber>,
	/// Challenge mixed into the executors' computation (zero while waiting; see
	/// [`TaskInfo::challenge`]).
	pub challenge: H256,
	/// Executors (empty while waiting).
	pub executors: Vec<AccountId>,
	/// Executors that committed.
	pub commits: u32,
	/// Executors that revealed.
	pub reveals: u32,
	/// Agreed result once completed.
	pub result: Option<H256>,
}
