//! Plain-Rust view of what the chain wants from this node.
//!
//! The node builds a [`DesiredState`] from the `pending_work` runtime API of every local
//! key (the union over the node's accounts) and hands it to the
//! [`Coordinator`](crate::Coordinator).

use crate::{executor::ExecutorKind, pieces::PieceManifest};

/// A model's identifier: the SHA-256 of the model file (the chain's `ModelId`).
pub type ModelId = [u8; 32];

/// A task's identifier (the chain's `TaskId`).
pub type TaskId = u64;

/// A model this node was nominated to download.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Nomination {
	/// SHA-256 of the file.
	pub model: ModelId,
	/// Declared size in bytes.
	pub size: u64,
	/// Source URLs (`http://` or `https://`), tried in order.
	pub sources: Vec<String>,
	/// Identifies the chain's nomination(s) an outcome answers (the node passes the latest
	/// nomination deadline of its accounts). When it changes, the outcome is reported again at
	/// once, so that a new nomination of a model already stored is confirmed without delay.
	pub round: u64,
	/// When the download must stop retrying: the nomination's on-chain deadline converted
	/// to a local instant, minus a safety margin to submit the outcome in time. `None`
	/// retries a bounded number of rounds ([`FetchConfig::retries`]).
	///
	/// [`FetchConfig::retries`]: crate::FetchConfig::retries
	pub deadline: Option<std::time::Instant>,
	/// The model's piece manifest from the chain. With it the file is downloaded piece by
	/// piece from peers and sources, every piece verified on arrival; `None` fetches the
	/// whole file from the sources.
	pub manifest: Option<PieceManifest>,
	/// Other nodes (not this one) that hold the model or are nominated for it too, to
	/// fetch pieces from. Used only with a manifest.
	pub peers: Vec<Peer>,
	/// This node's index among the model's current nominees and their number: the node
	/// fetches from the sources the pieces `p` with `p % count == index` (and those no peer
	/// can provide). `(0, 1)` if unknown; a count of 0 (the default) counts as 1.
	pub source_share: (u32, u32),
	/// How the model's tasks are executed. A node that cannot run this kind does not
	/// download the model and reports [`DeclineReason::UnsupportedExecutor`] instead.
	///
	/// [`DeclineReason::UnsupportedExecutor`]: crate::DeclineReason::UnsupportedExecutor
	pub executor: ExecutorKind,
}

/// Another node serving model pieces.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Peer {
	/// Base URL of the node's model server, e.g. `http://203.0.113.7:30401`.
	pub url: String,
	/// What the chain says the node has.
	pub kind: PeerKind,
}

/// Why a peer may have a model's pieces.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum PeerKind {
	/// Recorded on chain as holding the model: has every piece.
	Holder,
	/// Nominated for the model too: has the pieces its `/pieces` bitmap says.
	Nominee,
}

impl PeerKind {
	/// Short stable name, used as a metrics label.
	pub fn as_str(self) -> &'static str {
		match self {
			Self::Holder => "holder",
			Self::Nominee => "nominee",
		}
	}
}

/// A model this node is recorded on chain as holding.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Holding {
	/// SHA-256 of the file.
	pub model: ModelId,
	/// Declared size in bytes.
	pub size: u64,
}

/// A task this node was assigned to execute. Results are kept per job (task id, model and
/// input together), so a task id that names another task after a re-organisation of the
/// chain is executed afresh.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct TaskJob {
	/// Task identifier.
	pub task: TaskId,
	/// Model the task runs on.
	pub model: ModelId,
	/// The bytes the executor computes on. On modelnet the node passes the task's challenge
	/// (32 bytes drawn by the chain when it assigned the executors) followed by the task's
	/// input, so that no result can be known before the task is assigned.
	pub input: Vec<u8>,
	/// The engine that runs the task (its model's kind).
	pub executor: ExecutorKind,
}

/// Everything the chain currently wants from this node.
///
/// The store is reconciled to keep the models in `holdings` ∪ `nominations` ∪ `retain` ∪
/// `announced` (and the operator's [pins](crate::CoordinatorConfig::pinned)); anything else it
/// owns on disk is deleted (see [`CoordinatorConfig`](crate::CoordinatorConfig) for the guard
/// against mass deletion).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct DesiredState {
	/// Models to download (not yet confirmed).
	pub nominations: Vec<Nomination>,
	/// Models confirmed as stored on chain.
	pub holdings: Vec<Holding>,
	/// Tasks to execute.
	pub tasks: Vec<TaskJob>,
	/// Further models never to delete: what the last *finalized* block still wants. The node
	/// builds `nominations`, `holdings` and `tasks` from its best block (work starts early),
	/// but a fork that drops a model must not delete a file the finalized chain still wants.
	pub retain: Vec<ModelId>,
	/// Models a local account announced on chain (`announce_stored`) and the chain still
	/// records as announced: the file is kept (not served, not confirmed) until a nomination
	/// draw makes the node a holder, or the chain drops the announcement (model gone, node
	/// left). The node passes the chain's `Announcements` of its accounts.
	pub announced: Vec<ModelId>,
}

/// Short printable form of a model id (first 8 bytes in hex) for logs.
pub(crate) fn short(model: &ModelId) -> String {
	hex::encode(&model[..8])
}
