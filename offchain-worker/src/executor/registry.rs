//! The executors a node can run, by kind.
//!
//! Every model names the [`ExecutorKind`] its tasks run on (the chain's
//! `pallet_model_registry::ExecutorKind`, which the node translates). A node holds one
//! [`Executors`] set: it answers [`can_run`](Executors::can_run), so that the node declines
//! nominations of models it cannot execute, and dispatches [`execute`](Executors::execute) by
//! kind. External programs are configured by name: a model of kind `External("llama")` runs
//! only on nodes whose operator configured a program named `llama`.

use std::{collections::BTreeMap, fmt, path::Path, sync::Arc};

use super::{
	Executor, ExternalConfig, ExternalExecutor, MlpConfig, MlpExecutor, SpotCheckExecutor,
};
use crate::error::ExecError;

/// How a model's tasks are executed.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum ExecutorKind {
	/// The spot check over the model's bytes ([`SpotCheckExecutor`]); every node runs it.
	#[default]
	SpotCheck,
	/// The safetensors feed-forward network engine ([`MlpExecutor`]).
	SafetensorsMlp,
	/// The operator's external program configured under this name ([`ExternalExecutor`]).
	External(String),
}

impl ExecutorKind {
	/// Short stable name of the kind, without the engine name (for metrics labels).
	pub fn as_str(&self) -> &'static str {
		match self {
			Self::SpotCheck => "spot_check",
			Self::SafetensorsMlp => "safetensors_mlp",
			Self::External(_) => "external",
		}
	}
}

impl fmt::Display for ExecutorKind {
	/// `spot_check`, `safetensors_mlp` or `external:<name>`.
	fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
		match self {
			Self::External(name) => write!(f, "external:{name}"),
			other => f.write_str(other.as_str()),
		}
	}
}

/// The executors available on this node: at most one per built-in kind, and one external
/// program per name.
#[derive(Clone)]
pub struct Executors {
	spot_check: Option<Arc<dyn Executor>>,
	mlp: Option<Arc<dyn Executor>>,
	external: BTreeMap<String, Arc<dyn Executor>>,
}

impl Executors {
	/// No executor at all.
	pub fn empty() -> Self {
		Self { spot_check: None, mlp: None, external: BTreeMap::new() }
	}

	/// What every node runs: the spot check and the MLP engine with `mlp` limits, plus the
	/// configured external programs, by name (the node cannot run
	/// [`ExecutorKind::External`] models of any other name).
	pub fn new(
		mlp: MlpConfig,
		external: impl IntoIterator<Item = (String, ExternalConfig)>,
	) -> Self {
		let mut set = Self::empty()
			.with(ExecutorKind::SpotCheck, Arc::new(SpotCheckExecutor))
			.with(ExecutorKind::SafetensorsMlp, Arc::new(MlpExecutor::new(mlp)));
		for (name, config) in external {
			set = set.with(ExecutorKind::External(name), Arc::new(ExternalExecutor::new(config)));
		}
		set
	}

	/// This set with `executor` serving `kind` (replacing any previous one).
	pub fn with(mut self, kind: ExecutorKind, executor: Arc<dyn Executor>) -> Self {
		match kind {
			ExecutorKind::SpotCheck => self.spot_check = Some(executor),
			ExecutorKind::SafetensorsMlp => self.mlp = Some(executor),
			ExecutorKind::External(name) => {
				self.external.insert(name, executor);
			}
		}
		self
	}

	/// This set without an executor for `kind`.
	pub fn without(mut self, kind: &ExecutorKind) -> Self {
		match kind {
			ExecutorKind::SpotCheck => self.spot_check = None,
			ExecutorKind::SafetensorsMlp => self.mlp = None,
			ExecutorKind::External(name) => {
				self.external.remove(name);
			}
		}
		self
	}

	/// Whether this node can run models of `kind`.
	pub fn can_run(&self, kind: &ExecutorKind) -> bool {
		self.get(kind).is_some()
	}

	/// The kinds this node can run: the built-in ones, then the external programs by name.
	pub fn kinds(&self) -> Vec<ExecutorKind> {
		let builtin = [ExecutorKind::SpotCheck, ExecutorKind::SafetensorsMlp];
		builtin
			.into_iter()
			.filter(|k| self.can_run(k))
			.chain(self.external.keys().cloned().map(ExecutorKind::External))
			.collect()
	}

	/// The executor for `kind`, if this node has one.
	pub fn get(&self, kind: &ExecutorKind) -> Option<&Arc<dyn Executor>> {
		match kind {
			ExecutorKind::SpotCheck => self.spot_check.as_ref(),
			ExecutorKind::SafetensorsMlp => self.mlp.as_ref(),
			ExecutorKind::External(name) => self.external.get(name),
		}
	}

	/// Runs a task with the executor of `kind`; [`ExecError::Unsupported`] if there is none.
	pub fn execute(
		&self,
		kind: &ExecutorKind,
		model_path: &Path,
		model_size: u64,
		input: &[u8],
	) -> Result<[u8; 32], ExecError> {
		self.get(kind)
			.ok_or_else(|| ExecError::Unsupported(kind.clone()))?
			.execute(model_path, model_size, input)
	}
}

impl Default for Executors {
	/// [`Executors::new`] with the default MLP limits and no external program.
	fn default() -> Self {
		Self::new(MlpConfig::default(), [])
	}
}

impl fmt::Debug for Executors {
	fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
		let kinds: Vec<String> = self.kinds().iter().map(ToString::to_string).collect();
		f.debug_struct("Executors").field("kinds", &kinds).finish()
	}
}

#[cfg(test)]
mod tests {
	use super::*;

	fn external(name: &str) -> ExecutorKind {
		ExecutorKind::External(name.into())
	}

	#[test]
	fn kinds_print_with_the_engine_name() {
		assert_eq!(ExecutorKind::default(), ExecutorKind::SpotCheck);
		assert_eq!(ExecutorKind::SafetensorsMlp.to_string(), "safetensors_mlp");
		assert_eq!(external("llama").to_string(), "external:llama");
		assert_eq!(external("llama").as_str(), "external");
	}

	#[test]
	fn external_kinds_need_a_program_of_that_name() {
		let without = Executors::new(MlpConfig::default(), []);
		assert_eq!(without.kinds(), vec![ExecutorKind::SpotCheck, ExecutorKind::SafetensorsMlp]);
		assert!(!without.can_run(&external("llama")));
		let with = Executors::new(
			MlpConfig::default(),
			[("llama".to_string(), ExternalConfig::new("/bin/cat"))],
		);
		assert!(with.can_run(&external("llama")));
		assert!(!with.can_run(&external("sdxl")));
		assert_eq!(
			with.kinds(),
			vec![ExecutorKind::SpotCheck, ExecutorKind::SafetensorsMlp, external("llama")]
		);
		assert!(!with.clone().without(&ExecutorKind::SpotCheck).can_run(&ExecutorKind::SpotCheck));
		assert!(!with.without(&external("llama")).can_run(&external("llama")));
	}

	#[test]
	fn dispatches_by_kind_and_refuses_missing_kinds() {
		let dir = tempfile::tempdir().unwrap();
		let path = dir.path().join("m");
		std::fs::write(&path, b"not a safetensors file").unwrap();
		let set = Executors::new(
			MlpConfig::default(),
			[("echo".to_string(), ExternalConfig::new("/bin/cat"))],
		);
		let spot = set.execute(&ExecutorKind::SpotCheck, &path, 22, b"input").unwrap();
		assert_eq!(spot, SpotCheckExecutor.execute(&path, 22, b"input").unwrap());
		assert!(matches!(
			set.execute(&ExecutorKind::SafetensorsMlp, &path, 22, b"input"),
			Err(ExecError::Model(_))
		));
		// `cat <model path>` prints the model file.
		let printed = set.execute(&external("echo"), &path, 22, b"input").unwrap();
		let expected = super::super::external::output_digest(b"input", b"not a safetensors file");
		assert_eq!(printed, expected);
		let err = set.execute(&external("llama"), &path, 22, b"input").unwrap_err();
		assert!(
			matches!(&err, ExecError::Unsupported(kind) if *kind == external("llama")),
			"{err}"
		);
		assert!(err.to_string().contains("external:llama"), "{err}");
	}
}
