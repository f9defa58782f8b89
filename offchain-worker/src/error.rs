//! Errors, and the outcome enums shared with the chain.

use std::{io, path::PathBuf};

/// Why a node declines a nomination.
///
/// Mirrors the pallet's `DeclineReason`: same variants in the same order, so the
/// discriminant equals the SCALE variant index ([`DeclineReason::index`]).
///
/// [`HashMismatch`](Self::HashMismatch), [`SizeMismatch`](Self::SizeMismatch) and
/// [`SourceUnavailable`](Self::SourceUnavailable) blame the model's sources;
/// [`NetworkUnreachable`](Self::NetworkUnreachable) does not.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[repr(u8)]
pub enum DeclineReason {
	/// The downloaded bytes do not hash to the model id.
	HashMismatch = 0,
	/// The source served more or fewer bytes than the declared size.
	SizeMismatch = 1,
	/// Storing the model would exceed the node's disk budget.
	DiskBudgetExceeded = 2,
	/// The sources refused to serve the file: they answered with an HTTP error (404, 403,
	/// 410, persistent 5xx, ...), point at a non-public address or use an unsupported URL
	/// scheme. The sources' fault.
	SourceUnavailable = 3,
	/// The node's GPU lacks the VRAM the model needs (never produced by this crate).
	InsufficientVram = 4,
	/// Any other local failure (I/O error, ...).
	Other = 5,
	/// No source could be reached at all (DNS failure, connection refused or reset,
	/// timeouts on every source): most likely the node's own network. Not the sources'
	/// fault.
	NetworkUnreachable = 6,
	/// The node cannot run the model's executor kind (no external program of the model's
	/// engine name is configured). Not the sources' fault.
	UnsupportedExecutor = 7,
}

impl DeclineReason {
	/// SCALE variant index of this reason.
	pub fn index(self) -> u8 {
		self as u8
	}

	/// Short stable name, used as a metrics label.
	pub fn as_str(self) -> &'static str {
		match self {
			Self::HashMismatch => "hash_mismatch",
			Self::SizeMismatch => "size_mismatch",
			Self::DiskBudgetExceeded => "disk_budget_exceeded",
			Self::SourceUnavailable => "source_unavailable",
			Self::InsufficientVram => "insufficient_vram",
			Self::Other => "other",
			Self::NetworkUnreachable => "network_unreachable",
			Self::UnsupportedExecutor => "unsupported_executor",
		}
	}
}

/// What the node tells the chain about a model (written to the offchain database under
/// `b"modelnet/fetch/" ++ model`).
///
/// Variant order is the SCALE order of the spec: `Stored` (0), `Failed` (1), `Missing` (2).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum FetchOutcome {
	/// The file is stored and verified: confirm the nomination.
	Stored,
	/// The download failed: decline the nomination with this reason.
	Failed(DeclineReason),
	/// A held model's file is gone (or corrupt): report it lost.
	Missing,
}

impl FetchOutcome {
	/// SCALE encoding of this value (`[0]`, `[1, reason]` or `[2]`), identical to what
	/// `parity-scale-codec` produces for the spec's enum.
	pub fn to_scale_bytes(&self) -> Vec<u8> {
		match self {
			Self::Stored => vec![0],
			Self::Failed(reason) => vec![1, reason.index()],
			Self::Missing => vec![2],
		}
	}
}

/// Errors of the [`ModelStore`](crate::ModelStore).
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
	/// Reserving space for a download would exceed the disk budget.
	#[error("disk budget exceeded: {needed} bytes needed, {available} of {max} bytes available")]
	BudgetExceeded {
		/// Bytes the download needs.
		needed: u64,
		/// Bytes still free in the budget.
		available: u64,
		/// The budget.
		max: u64,
	},
	/// The model is already being downloaded.
	#[error("model {0} is already being downloaded")]
	Busy(String),
	/// The disk holding the store has less free space than the download needs (even
	/// though the budget allows it).
	#[error("not enough free disk space in {path}: {needed} bytes needed, {free} bytes free")]
	DiskFull {
		/// Store root.
		path: PathBuf,
		/// Bytes still to be written: this download plus the unfinished ones.
		needed: u64,
		/// Free bytes on the file system (for unprivileged users).
		free: u64,
	},
	/// Another process (another node) holds the store's lock file.
	#[error("model store {path} is in use by another process (lock file held)")]
	Locked {
		/// The lock file.
		path: PathBuf,
	},
	/// A file-system operation failed.
	#[error("I/O error on {path}: {source}")]
	Io {
		/// Path involved.
		path: PathBuf,
		/// Underlying error.
		#[source]
		source: io::Error,
	},
}

impl StoreError {
	pub(crate) fn io(path: impl Into<PathBuf>, source: io::Error) -> Self {
		Self::Io { path: path.into(), source }
	}
}

/// Errors of the [`Fetcher`](crate::Fetcher). Each maps to a [`DeclineReason`].
#[derive(Debug, thiserror::Error)]
pub enum FetchError {
	/// The downloaded bytes hash to something else than the model id.
	#[error("hash mismatch: expected {expected}, got {actual}")]
	HashMismatch {
		/// Expected SHA-256 (hex).
		expected: String,
		/// SHA-256 of the bytes received (hex).
		actual: String,
	},
	/// The source's file size differs from the declared size.
	#[error("size mismatch: declared {expected} bytes, source {detail}")]
	SizeMismatch {
		/// Declared size.
		expected: u64,
		/// What the source did (e.g. "sent more than 100 bytes").
		detail: String,
	},
	/// The store's disk budget (or the disk itself) has no room for the model.
	#[error("{0}")]
	DiskBudgetExceeded(String),
	/// No source could deliver the file (they answered with errors).
	#[error("no source available: {0}")]
	SourceUnavailable(String),
	/// A source URL or redirect leads to a non-public address (loopback, private,
	/// link-local, ...) and [`FetchConfig::allow_private_addresses`] is off.
	///
	/// [`FetchConfig::allow_private_addresses`]: crate::FetchConfig::allow_private_addresses
	#[error("refused to connect to {url}: {host} resolves to the non-public address {addr}")]
	ForbiddenAddress {
		/// The URL (source or redirect target).
		url: String,
		/// Its host.
		host: String,
		/// The refused address.
		addr: std::net::IpAddr,
	},
	/// A source URL or redirect is not an `http://` or `https://` URL.
	#[error("unsupported URL {0} (http and https only)")]
	UnsupportedUrl(String),
	/// No source could be reached at all (DNS, connect, reset, timeouts): most likely the
	/// node's own network, not the sources' fault.
	#[error("no source reachable: {0}")]
	NetworkUnreachable(String),
	/// Any other failure (local I/O, ...).
	#[error("{0}")]
	Other(String),
}

impl FetchError {
	/// The reason to give the chain when declining the nomination.
	pub fn reason(&self) -> DeclineReason {
		match self {
			Self::HashMismatch { .. } => DeclineReason::HashMismatch,
			Self::SizeMismatch { .. } => DeclineReason::SizeMismatch,
			Self::DiskBudgetExceeded(_) => DeclineReason::DiskBudgetExceeded,
			Self::SourceUnavailable(_)
			| Self::ForbiddenAddress { .. }
			| Self::UnsupportedUrl(_) => DeclineReason::SourceUnavailable,
			Self::NetworkUnreachable(_) => DeclineReason::NetworkUnreachable,
			Self::Other(_) => DeclineReason::Other,
		}
	}

	/// Maps a local I/O error; a full disk counts as [`FetchError::DiskBudgetExceeded`].
	pub(crate) fn local_io(context: &str, err: io::Error) -> Self {
		if err.kind() == io::ErrorKind::StorageFull {
			Self::DiskBudgetExceeded(format!("{context}: {err}"))
		} else {
			Self::Other(format!("{context}: {err}"))
		}
	}
}

impl From<StoreError> for FetchError {
	fn from(err: StoreError) -> Self {
		match err {
			StoreError::BudgetExceeded { .. } | StoreError::DiskFull { .. } => {
				Self::DiskBudgetExceeded(err.to_string())
			}
			StoreError::Io { ref source, .. } if source.kind() == io::ErrorKind::StorageFull => {
				Self::DiskBudgetExceeded(err.to_string())
			}
			other => Self::Other(other.to_string()),
		}
	}
}

/// Errors of [`Coordinator::new`](crate::Coordinator::new).
#[derive(Debug, thiserror::Error)]
pub enum InitError {
	/// The model store could not be opened.
	#[error("cannot open the model store: {0}")]
	Store(#[from] StoreError),
	/// The HTTP client could not be built.
	#[error("cannot create the fetcher: {0}")]
	Fetch(#[from] FetchError),
}

/// Errors of an [`Executor`](crate::Executor).
#[derive(Debug, thiserror::Error)]
pub enum ExecError {
	/// The model file could not be read.
	#[error("model file I/O error: {0}")]
	Io(#[from] io::Error),
	/// The model file's size differs from the declared size.
	#[error("model file has {actual} bytes, declared {expected}")]
	SizeMismatch {
		/// Declared size.
		expected: u64,
		/// Size on disk.
		actual: u64,
	},
	/// The inference engine failed.
	#[error("engine error: {0}")]
	Engine(String),
	/// The model file is not a valid model for the engine.
	#[error("invalid model: {0}")]
	Model(#[from] ModelError),
	/// The external program failed.
	#[error("external program: {0}")]
	Process(#[from] ProcessError),
	/// This node has no executor of the kind the model needs.
	#[error("this node cannot run {0} models")]
	Unsupported(crate::executor::ExecutorKind),
}

/// Why a model file is rejected by the safetensors MLP engine
/// ([`MlpExecutor`](crate::executor::MlpExecutor)).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ModelError {
	/// The file is not a well-formed safetensors file.
	#[error("not a safetensors file: {0}")]
	Format(String),
	/// The file has no `layers.0.weight` tensor.
	#[error("the model has no layers")]
	NoLayers,
	/// The file has more layers than the engine accepts.
	#[error("the model has {layers} layers, at most {max} are accepted")]
	TooManyLayers {
		/// Layers in the file.
		layers: usize,
		/// The limit.
		max: usize,
	},
	/// A tensor the format requires is absent.
	#[error("tensor {0} is missing")]
	MissingTensor(String),
	/// The file holds a tensor the format does not define.
	#[error("unexpected tensor {0}")]
	UnexpectedTensor(String),
	/// A tensor is not `F32`.
	#[error("tensor {name} has dtype {dtype}, expected F32")]
	WrongDtype {
		/// Tensor name.
		name: String,
		/// Its dtype, as named in the file.
		dtype: String,
	},
	/// A tensor's shape does not fit the network.
	#[error("tensor {name} has shape {actual:?}, expected {expected}")]
	ShapeMismatch {
		/// Tensor name.
		name: String,
		/// What the format requires here (e.g. `[2048, 1024]` or `[*, 1024]`).
		expected: String,
		/// The shape in the file.
		actual: Vec<usize>,
	},
	/// The network has more parameters (or its data more bytes) than the configured limit.
	#[error("the model has {params} parameters, at most {max} are accepted")]
	TooManyParameters {
		/// Parameters in the file (data bytes / 4 when the header was not read yet).
		params: u64,
		/// The limit.
		max: u64,
	},
	/// Running the model would take more memory at its peak than the configured limit
	/// ([`MlpConfig::max_memory`](crate::MlpConfig::max_memory)).
	#[error("running the model takes up to {needed} bytes of memory, at most {max} are allowed")]
	TooMuchMemory {
		/// The model's peak memory bound ([`peak_memory`](crate::executor::mlp::peak_memory)).
		needed: u64,
		/// The limit.
		max: u64,
	},
}

/// How an external program ([`ExternalExecutor`](crate::executor::ExternalExecutor)) failed.
#[derive(Debug, thiserror::Error)]
pub enum ProcessError {
	/// The program could not be started.
	#[error("cannot start {program}: {source}")]
	Spawn {
		/// The program.
		program: PathBuf,
		/// Underlying error.
		#[source]
		source: io::Error,
	},
	/// The program ran longer than the time limit and was killed.
	#[error("killed after the time limit of {limit:?}")]
	Timeout {
		/// The limit.
		limit: std::time::Duration,
	},
	/// The program wrote more than the output limit to stdout and was killed.
	#[error("killed for writing more than {limit} bytes to stdout")]
	OutputTooLarge {
		/// The limit in bytes.
		limit: usize,
	},
	/// The program exited unsuccessfully (non-zero status or a signal).
	#[error("exited with {status}; stderr tail: {stderr_tail:?}")]
	Failed {
		/// The exit status, as printed by the platform (`exit status: 3`, `signal: 9`).
		status: String,
		/// Exit code, if the program exited normally.
		code: Option<i32>,
		/// The last bytes the program wrote to stderr (lossy UTF-8, bounded).
		stderr_tail: String,
	},
	/// The program exited, but its stdout stayed open (a process it started outside its
	/// process group still holds it).
	#[error("stdout still open after the program exited")]
	OutputNotClosed,
	/// Supervising the program failed (starting a helper thread, waiting, reading a pipe).
	#[error("I/O error supervising the program: {0}")]
	Io(#[source] io::Error),
}

#[cfg(test)]
mod tests {
	use super::*;

	#[test]
	fn scale_encoding_matches_spec_order() {
		assert_eq!(FetchOutcome::Stored.to_scale_bytes(), vec![0]);
		assert_eq!(FetchOutcome::Failed(DeclineReason::HashMismatch).to_scale_bytes(), vec![1, 0]);
		assert_eq!(
			FetchOutcome::Failed(DeclineReason::SourceUnavailable).to_scale_bytes(),
			vec![1, 3]
		);
		assert_eq!(FetchOutcome::Failed(DeclineReason::Other).to_scale_bytes(), vec![1, 5]);
		assert_eq!(
			FetchOutcome::Failed(DeclineReason::UnsupportedExecutor).to_scale_bytes(),
			vec![1, 7]
		);
		assert_eq!(
			FetchOutcome::Failed(DeclineReason::NetworkUnreachable).to_scale_bytes(),
			vec![1, 6]
		);
		assert_eq!(FetchOutcome::Missing.to_scale_bytes(), vec![2]);
	}

	#[test]
	fn store_budget_error_maps_to_budget_reason() {
		let err: FetchError =
			StoreError::BudgetExceeded { needed: 10, available: 5, max: 5 }.into();
		assert_eq!(err.reason(), DeclineReason::DiskBudgetExceeded);
		let err: FetchError =
			StoreError::DiskFull { path: "/m".into(), needed: 10, free: 5 }.into();
		assert_eq!(err.reason(), DeclineReason::DiskBudgetExceeded);
		let err: FetchError = StoreError::Busy("x".into()).into();
		assert_eq!(err.reason(), DeclineReason::Other);
	}
}

#[cfg(test)]
mod reason_tests {
	use super::*;

	#[test]
	fn only_source_faults_blame_sources() {
		let forbidden = FetchError::ForbiddenAddress {
			url: "http://x/".into(),
			host: "x".into(),
			addr: "127.0.0.1".parse().unwrap(),
		};
		assert_eq!(forbidden.reason(), DeclineReason::SourceUnavailable);
		assert!(forbidden.to_string().contains("127.0.0.1"), "{forbidden}");
		let scheme = FetchError::UnsupportedUrl("file:///etc/passwd".into());
		assert_eq!(scheme.reason(), DeclineReason::SourceUnavailable);
		let network = FetchError::NetworkUnreachable("connection refused".into());
		assert_eq!(network.reason(), DeclineReason::NetworkUnreachable);
		assert_eq!(DeclineReason::NetworkUnreachable.as_str(), "network_unreachable");
	}
}
