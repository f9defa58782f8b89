//! Plain-Rust view of what the chain wants from this node.
//!
//! The node builds a [`DesiredState`] from the `pending_work` runtime API of every local
//! key (the union over the node's accounts) and hands it to the
//! [`Coordinator`](crate::Coordinator).

/// A model's identifier: the SHA-256 of the model file (the chain's `ModelId`).
pub type ModelId = [u8; 32];

/// A task's identifier (the chain's `TaskId`).
pub type TaskId = u64;

/// A model this node was nominated to download.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Nomination {
	/// SHA-256 of the file.
	pub model: ModelId,
	/// Declared size in bytes.
	pub size: u64,
	/// Source URLs (`http://` or `https://`), tried in order.
	pub sources: Vec<String>,
	/// When the download must stop retrying: the nomination's on-chain deadline converted
	/// to a local instant, minus a safety margin to submit the outcome in time. `None`
	/// retries a bounded number of rounds ([`FetchConfig::retries`]).
	///
	/// [`FetchConfig::retries`]: crate::FetchConfig::retries
	pub deadline: Option<std::time::Instant>,
}

/// A model this node is recorded on chain as holding.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Holding {
	/// SHA-256 of the file.
	pub model: ModelId,
	/// Declared size in bytes.
	pub size: u64,
}

/// A task this node was assigned to execute.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TaskJob {
	/// Task identifier.
	pub task: TaskId,
	/// Model the task runs on.
	pub model: ModelId,
	/// Task input bytes.
	pub input: Vec<u8>,
}

/// Everything the chain currently wants from this node.
///
/// The store is reconciled to keep exactly the models in `holdings` ∪ `nominations`;
/// anything else on disk is deleted.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct DesiredState {
	/// Models to download (not yet confirmed).
	pub nominations: Vec<Nomination>,
	/// Models confirmed as stored on chain.
	pub holdings: Vec<Holding>,
	/// Tasks to execute.
	pub tasks: Vec<TaskJob>,
}

/// Short printable form of a model id (first 8 bytes in hex) for logs.
pub(crate) fn short(model: &ModelId) -> String {
	hex::encode(&model[..8])
}
