//! Task execution on stored models.
//!
//! An [`Executor`] turns (model file, task input) into a 32-byte result digest. Nodes
//! assigned the same task commit to their digests and the majority wins, so an executor
//! must be deterministic: every honest node with the right file must return the same
//! digest, whatever its CPU, operating system or thread count.
//!
//! On modelnet the task input an executor receives starts with the task's challenge (32
//! bytes the chain draws when it assigns the executors, see
//! [`TaskJob::input`](crate::TaskJob::input)), and every executor here makes its digest
//! depend on the whole input, so no result can be known before the task is assigned.
//!
//! Executors, by [`ExecutorKind`]:
//!
//! - [`SpotCheckExecutor`] ([`mod@spot_check`]): the spec's spot check, a digest over samples of
//!   the model's bytes at offsets derived from the input. Runs any file.
//! - [`MlpExecutor`] ([`mlp`]): a deterministic CPU inference engine for feed-forward
//!   networks (dense layers and ReLU, f32) stored as safetensors files.
//! - [`ExternalExecutor`] ([`external`]): runs an operator-configured program on the model
//!   and hashes what it prints.
//!
//! [`Executors`] ([`registry`]) holds the executors a node can run and dispatches by kind.

pub mod external;
pub mod mlp;
pub mod registry;
pub mod spot_check;

use std::path::Path;

use crate::error::ExecError;

pub use external::{ExternalConfig, ExternalExecutor, EXTERNAL_DOMAIN};
pub use mlp::{MlpConfig, MlpExecutor, MlpModel, MLP_DOMAIN, MLP_INPUT_DOMAIN};
pub use registry::{ExecutorKind, Executors};
pub use spot_check::{
	spot_check, spot_check_windows, SpotCheckExecutor, SPOT_CHECK_DOMAIN, SPOT_CHECK_MAX_WINDOW,
	SPOT_CHECK_STRIPES,
};

/// Runs a task on a stored model and returns the digest of its deterministic output.
///
/// Called on a blocking thread (never on the async runtime), one call per task.
pub trait Executor: Send + Sync + 'static {
	/// Executes `input` on the model at `model_path` (verified, `model_size` bytes) and
	/// returns a 32-byte digest of the output.
	fn execute(
		&self,
		model_path: &Path,
		model_size: u64,
		input: &[u8],
	) -> Result<[u8; 32], ExecError>;
}

/// Fails with [`ExecError::SizeMismatch`] unless the file at `path` has `expected` bytes.
pub(crate) fn check_size(file: &std::fs::File, expected: u64) -> Result<(), ExecError> {
	let actual = file.metadata()?.len();
	if actual != expected {
		return Err(ExecError::SizeMismatch { expected, actual });
	}
	Ok(())
}
