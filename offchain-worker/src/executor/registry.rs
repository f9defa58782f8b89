//! The executors a node can run, by kind.
//!
//! Every model will name the [`ExecutorKind`] its tasks run on (the chain stores the
//! kind's [`code`](ExecutorKind::code)). A node holds one [`Executors`] set: it answers
//! [`can_run`](Executors::can_run), so that the node can decline nominations of models it
//! cannot execute, and dispatches [`execute`](Executors::execute) by kind.

use std::{fmt, path::Path, sync::Arc};

use super::{
	Executor, ExternalConfig, ExternalExecutor, MlpConfig, MlpExecutor, SpotCheckExecutor,
};
use crate::error::ExecError;

/// The kinds of executor, with stable codes (stored on chain; never renumber).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[repr(u8)]
pub enum ExecutorKind {
	/// The spot check over the model's bytes ([`SpotCheckExecutor`]). Code 0.
	SpotCheck = 0,
	/// The safetensors feed-forward network engine ([`MlpExecutor`]). Code 1.
	SafetensorsMlp = 1,
	/// The operator's external program ([`ExternalExecutor`]). Code 2.
	External = 2,
}

impl ExecutorKind {
	/// Every kind, in code order.
	pub const ALL: [Self; 3] = [Self::SpotCheck, Self::SafetensorsMlp, Self::External];

	/// The stable code of this kind.
	pub fn code(self) -> u8 {
		self as u8
	}

	/// The kind with this code, if any.
	pub fn from_code(code: u8) -> Option<Self> {
		Self::ALL.into_iter().find(|k| k.code() == code)
	}

	/// Short stable name (for logs and metrics labels).
	pub fn as_str(self) -> &'static str {
		match self {
			Self::SpotCheck => "spot_check",
			Self::SafetensorsMlp => "safetensors_mlp",
			Self::External => "external",
		}
	}
}

impl fmt::Display for ExecutorKind {
	fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
		f.write_str(self.as_str())
	}
}

/// The executors available on this node, at most one per kind.
#[derive(Clone)]
pub struct Executors {
	slots: [Option<Arc<dyn Executor>>; 3],
}

impl Executors {
	/// No executor at all.
	pub fn empty() -> Self {
		Self { slots: [None, None, None] }
	}

	/// What every node runs: the spot check and the MLP engine with `mlp` limits, plus the
	/// external program if one is configured (otherwise the node cannot run
	/// [`ExecutorKind::External`]).
	pub fn new(mlp: MlpConfig, external: Option<ExternalConfig>) -> Self {
		let mut set = Self::empty()
			.with(ExecutorKind::SpotCheck, Arc::new(SpotCheckExecutor))
			.with(ExecutorKind::SafetensorsMlp, Arc::new(MlpExecutor::new(mlp)));
		if let Some(config) = external {
			set = set.with(ExecutorKind::External, Arc::new(ExternalExecutor::new(config)));
		}
		set
	}

	/// This set with `executor` serving `kind` (replacing any previous one).
	pub fn with(mut self, kind: ExecutorKind, executor: Arc<dyn Executor>) -> Self {
		self.slots[usize::from(kind.code())] = Some(executor);
		self
	}

	/// This set without an executor for `kind`.
	pub fn without(mut self, kind: ExecutorKind) -> Self {
		self.slots[usize::from(kind.code())] = None;
		self
	}

	/// Whether this node can run models of `kind`.
	pub fn can_run(&self, kind: ExecutorKind) -> bool {
		self.get(kind).is_some()
	}

	/// The kinds this node can run, in code order.
	pub fn kinds(&self) -> Vec<ExecutorKind> {
		ExecutorKind::ALL.into_iter().filter(|k| self.can_run(*k)).collect()
	}

	/// The executor for `kind`, if this node has one.
	pub fn get(&self, kind: ExecutorKind) -> Option<&Arc<dyn Executor>> {
		self.slots.get(usize::from(kind.code())).and_then(Option::as_ref)
	}

	/// Runs a task with the executor of `kind`; [`ExecError::Unsupported`] if there is none.
	pub fn execute(
		&self,
		kind: ExecutorKind,
		model_path: &Path,
		model_size: u64,
		input: &[u8],
	) -> Result<[u8; 32], ExecError> {
		self.get(kind).ok_or(ExecError::Unsupported(kind))?.execute(model_path, model_size, input)
	}
}

impl Default for Executors {
	/// [`Executors::new`] with the default MLP limits and no external program.
	fn default() -> Self {
		Self::new(MlpConfig::default(), None)
	}
}

impl fmt::Debug for Executors {
	fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
		f.debug_struct("Executors").field("kinds", &self.kinds()).finish()
	}
}

#[cfg(test)]
mod tests {
	use super::*;

	#[test]
	fn codes_are_stable_and_round_trip() {
		assert_eq!(ExecutorKind::SpotCheck.code(), 0);
		assert_eq!(ExecutorKind::SafetensorsMlp.code(), 1);
		assert_eq!(ExecutorKind::External.code(), 2);
		for kind in ExecutorKind::ALL {
			assert_eq!(ExecutorKind::from_code(kind.code()), Some(kind));
		}
		assert_eq!(ExecutorKind::from_code(3), None);
		assert_eq!(ExecutorKind::from_code(255), None);
		assert_eq!(ExecutorKind::SafetensorsMlp.to_string(), "safetensors_mlp");
	}

	#[test]
	fn external_needs_a_configured_program() {
		let without = Executors::new(MlpConfig::default(), None);
		assert_eq!(without.kinds(), vec![ExecutorKind::SpotCheck, ExecutorKind::SafetensorsMlp]);
		assert!(!without.can_run(ExecutorKind::External));
		let with = Executors::new(MlpConfig::default(), Some(ExternalConfig::new("/bin/cat")));
		assert!(with.can_run(ExecutorKind::External));
		assert_eq!(with.kinds(), ExecutorKind::ALL.to_vec());
		assert!(!with.without(ExecutorKind::SpotCheck).can_run(ExecutorKind::SpotCheck));
	}

	#[test]
	fn dispatches_by_kind_and_refuses_missing_kinds() {
		let dir = tempfile::tempdir().unwrap();
		let path = dir.path().join("m");
		std::fs::write(&path, b"not a safetensors file").unwrap();
		let set = Executors::default();
		let spot = set.execute(ExecutorKind::SpotCheck, &path, 22, b"input").unwrap();
		assert_eq!(spot, SpotCheckExecutor.execute(&path, 22, b"input").unwrap());
		assert!(matches!(
			set.execute(ExecutorKind::SafetensorsMlp, &path, 22, b"input"),
			Err(ExecError::Model(_))
		));
		let err = set.execute(ExecutorKind::External, &path, 22, b"input").unwrap_err();
		assert!(matches!(err, ExecError::Unsupported(ExecutorKind::External)), "{err}");
		assert!(err.to_string().contains("External"), "{err}");
	}
}
