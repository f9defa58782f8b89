//! The model worker's side of the bridge: writes the coordinator's outcomes into the node's
//! off-chain database, where the pallet's off-chain worker reads them.
//!
//! This sink is the only writer of the outcome and result keys, and the coordinator calls it
//! from one task, so a key is never written after it was removed. Every key it writes is listed
//! in an index (`modelnet/index`); at start-up whatever a previous run left is swept, so an old
//! `Stored` (say, of a model evicted while the node was down) can never confirm a later
//! nomination, and an old `Failed` is not declined again.

use codec::{Decode, Encode};
use modelnet_offchain_worker::{FetchOutcome, ModelId, OutcomeSink, TaskJob};
use modelnet_runtime::BlockNumber;
use pallet_model_registry::offchain::{
	fetch_outcome_key, task_result_key, FetchOutcome as ChainOutcome, OutcomeRecord, ENDPOINT_KEY,
};
use sp_core::{offchain::OffchainStorage, H256};
use std::{
	collections::{BTreeMap, BTreeSet},
	sync::Mutex,
};

use super::LOG_TARGET;

/// Key of the index of every key this sink wrote and has not removed.
const INDEX_KEY: &[u8] = b"modelnet/index";

/// Writes outcomes and results into the off-chain database (PERSISTENT kind).
pub(super) struct OffchainDbSink<S> {
	db: Mutex<S>,
	state: Mutex<SinkState>,
}

#[derive(Default)]
struct SinkState {
	/// Keys written and not removed (mirrors the index in the database).
	written: BTreeSet<Vec<u8>>,
	/// Deadlines of the local accounts' current nominations, per model (latest update).
	nominations: BTreeMap<ModelId, Vec<BlockNumber>>,
}

impl<S: OffchainStorage + 'static> OffchainDbSink<S> {
	/// Opens the sink and sweeps every key a previous run of the node left behind.
	pub(super) fn open(mut db: S) -> Self {
		let leftovers = db
			.get(sp_offchain::STORAGE_PREFIX, INDEX_KEY)
			.and_then(|raw| Vec::<Vec<u8>>::decode(&mut &raw[..]).ok())
			.unwrap_or_default();
		if !leftovers.is_empty() {
			log::info!(
				target: LOG_TARGET,
				"swept {} outcome(s) and result(s) left by the previous run",
				leftovers.len()
			);
		}
		for key in &leftovers {
			db.remove(sp_offchain::STORAGE_PREFIX, key);
		}
		db.remove(sp_offchain::STORAGE_PREFIX, INDEX_KEY);
		Self { db: Mutex::new(db), state: Mutex::new(SinkState::default()) }
	}

	/// Tells the pallet's off-chain worker the URL the node serves pieces at (`None`: it does
	/// not serve), which it declares on chain for each local account.
	pub(super) fn set_endpoint(&self, url: Option<&str>) {
		let value: Option<Vec<u8>> = url.map(|u| u.as_bytes().to_vec());
		if let Ok(mut db) = self.db.lock() {
			db.set(sp_offchain::STORAGE_PREFIX, ENDPOINT_KEY, &value.encode());
		}
	}

	/// Records the deadlines of the local nominations, which outcomes are bound to.
	pub(super) fn set_nominations(&self, nominations: BTreeMap<ModelId, Vec<BlockNumber>>) {
		if let Ok(mut state) = self.state.lock() {
			state.nominations = nominations;
		}
	}

	fn write(&self, key: Vec<u8>, value: &[u8]) {
		let (Ok(mut db), Ok(mut state)) = (self.db.lock(), self.state.lock()) else { return };
		if state.written.insert(key.clone()) {
			let index: Vec<&Vec<u8>> = state.written.iter().collect();
			db.set(sp_offchain::STORAGE_PREFIX, INDEX_KEY, &index.encode());
		}
		db.set(sp_offchain::STORAGE_PREFIX, &key, value);
	}

	fn remove(&self, key: &[u8]) {
		let (Ok(mut db), Ok(mut state)) = (self.db.lock(), self.state.lock()) else { return };
		db.remove(sp_offchain::STORAGE_PREFIX, key);
		if state.written.remove(key) {
			let index: Vec<&Vec<u8>> = state.written.iter().collect();
			db.set(sp_offchain::STORAGE_PREFIX, INDEX_KEY, &index.encode());
		}
	}

	fn nominations_of(&self, model: &ModelId) -> Vec<BlockNumber> {
		self.state
			.lock()
			.ok()
			.and_then(|state| state.nominations.get(model).cloned())
			.unwrap_or_default()
	}
}

impl<S: OffchainStorage + 'static> OutcomeSink for OffchainDbSink<S> {
	fn fetch_outcome(&self, model: ModelId, outcome: FetchOutcome, _round: u64) {
		let outcome = to_chain_outcome(outcome);
		let nominations = match outcome {
			ChainOutcome::Missing => Vec::new(),
			_ => self.nominations_of(&model),
		};
		log::info!(
			target: LOG_TARGET,
			"model 0x{}: {outcome:?} (nominations due at {nominations:?})",
			hex_prefix(&model)
		);
		self.write(
			fetch_outcome_key(&H256(model)),
			&OutcomeRecord { outcome, nominations }.encode(),
		);
	}

	fn task_result(&self, job: &TaskJob, result: [u8; 32]) {
		log::info!(target: LOG_TARGET, "task {}: result 0x{}", job.task, hex_prefix(&result));
		self.write(task_result_key(job.task, &H256(job.model), &job.input), &result);
	}

	fn forget_model(&self, model: ModelId) {
		self.remove(&fetch_outcome_key(&H256(model)));
	}

	fn forget_task(&self, job: &TaskJob) {
		self.remove(&task_result_key(job.task, &H256(job.model), &job.input));
	}
}

/// The chain's encoding of a fetch outcome (the pallet's type, so the two cannot drift apart).
fn to_chain_outcome(outcome: FetchOutcome) -> ChainOutcome {
	use modelnet_offchain_worker::DeclineReason as Native;
	use pallet_model_registry::DeclineReason as Reason;
	match outcome {
		FetchOutcome::Stored => ChainOutcome::Stored,
		FetchOutcome::Missing => ChainOutcome::Missing,
		FetchOutcome::Failed(reason) => ChainOutcome::Failed(match reason {
			Native::HashMismatch => Reason::HashMismatch,
			Native::SizeMismatch => Reason::SizeMismatch,
			Native::DiskBudgetExceeded => Reason::DiskBudgetExceeded,
			Native::SourceUnavailable => Reason::SourceUnavailable,
			Native::InsufficientVram => Reason::InsufficientVram,
			Native::Other => Reason::Other,
			Native::NetworkUnreachable => Reason::NetworkUnreachable,
			Native::UnsupportedExecutor => Reason::UnsupportedExecutor,
		}),
	}
}

/// The first bytes of a hash in hex, for logs.
fn hex_prefix(bytes: &[u8; 32]) -> String {
	bytes[..6].iter().map(|b| format!("{b:02x}")).collect()
}

#[cfg(test)]
mod tests {
	use super::*;
	use sp_core::offchain::storage::InMemOffchainStorage;

	impl<S> OffchainDbSink<S> {
		fn into_db(self) -> S {
			self.db.into_inner().expect("not poisoned")
		}
	}

	fn read(db: &mut InMemOffchainStorage, key: &[u8]) -> Option<Vec<u8>> {
		db.get(sp_offchain::STORAGE_PREFIX, key)
	}

	#[test]
	fn leftovers_of_a_previous_run_are_swept_at_start_up() {
		let model = [3u8; 32];
		let job = TaskJob {
			task: 4,
			model,
			input: b"x".to_vec(),
			executor: modelnet_offchain_worker::ExecutorKind::SpotCheck,
		};
		let sink = OffchainDbSink::open(InMemOffchainStorage::default());
		sink.set_nominations(BTreeMap::from([(model, vec![17])]));
		sink.fetch_outcome(model, FetchOutcome::Stored, 17);
		sink.task_result(&job, [9; 32]);
		let mut db = sink.into_db();
		assert!(read(&mut db, &fetch_outcome_key(&H256(model))).is_some());
		assert!(read(&mut db, &task_result_key(4, &H256(model), b"x")).is_some());

		// The node restarts: nothing of the previous run survives.
		let mut db = OffchainDbSink::open(db).into_db();
		assert_eq!(read(&mut db, &fetch_outcome_key(&H256(model))), None);
		assert_eq!(read(&mut db, &task_result_key(4, &H256(model), b"x")), None);
		assert_eq!(read(&mut db, INDEX_KEY), None);
	}

	#[test]
	fn outcomes_name_the_nominations_they_answer_and_are_removed_when_forgotten() {
		let model = [5u8; 32];
		let sink = OffchainDbSink::open(InMemOffchainStorage::default());
		sink.set_nominations(BTreeMap::from([(model, vec![40, 41])]));
		sink.fetch_outcome(model, FetchOutcome::Stored, 41);
		sink.fetch_outcome([6u8; 32], FetchOutcome::Missing, 0);
		sink.forget_model([6u8; 32]);
		let mut db = sink.into_db();
		let raw = read(&mut db, &fetch_outcome_key(&H256(model))).expect("written");
		let record = OutcomeRecord::<BlockNumber>::decode(&mut &raw[..]).expect("decodes");
		assert_eq!(
			record,
			OutcomeRecord { outcome: ChainOutcome::Stored, nominations: vec![40, 41] }
		);
		assert_eq!(read(&mut db, &fetch_outcome_key(&H256([6u8; 32]))), None);
		let index = Vec::<Vec<u8>>::decode(&mut &read(&mut db, INDEX_KEY).expect("index")[..])
			.expect("decodes");
		assert_eq!(index, vec![fetch_outcome_key(&H256(model))]);
	}

	#[test]
	fn every_native_outcome_encodes_as_the_chain_reads_it() {
		use modelnet_offchain_worker::DeclineReason as Native;
		let reasons = [
			Native::HashMismatch,
			Native::SizeMismatch,
			Native::DiskBudgetExceeded,
			Native::SourceUnavailable,
			Native::InsufficientVram,
			Native::Other,
			Native::NetworkUnreachable,
			Native::UnsupportedExecutor,
		];
		let outcomes = [FetchOutcome::Stored, FetchOutcome::Missing]
			.into_iter()
			.chain(reasons.into_iter().map(FetchOutcome::Failed));
		for outcome in outcomes {
			assert_eq!(to_chain_outcome(outcome).encode(), outcome.to_scale_bytes(), "{outcome:?}");
		}
		assert_eq!(
			to_chain_outcome(FetchOutcome::Failed(Native::UnsupportedExecutor)),
			ChainOutcome::Failed(pallet_model_registry::DeclineReason::UnsupportedExecutor)
		);
	}
}
