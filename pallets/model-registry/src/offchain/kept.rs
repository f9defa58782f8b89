//! Commitments kept for their reveal.
//!
//! The native worker's result of a task does not outlive the node: at start-up the native
//! worker sweeps what its previous run left and executes the task again. A second run may give
//! another result (a slow or flaky engine, an engine updated in between), and revealing that
//! instead of the committed one is a mismatch, punished as a withheld result. So when this
//! worker commits, it keeps the result *and* its salt under its own key; the commitment is made
//! from what is kept, and the reveal sends what is kept, whatever the native worker's key holds
//! by then (or if it holds nothing).
//!
//! The key is bound to the account, the task id and the digest of the task's model and input
//! (as the native worker's result key is): after a re-organisation in which a task id names
//! another task, the kept result of the first task is not revealed for the second.

use super::{
	commitment_of, executor_input, sealed_result, task_result_key, tracking::Notes, Sender,
	Subject, LOG_TARGET, SALT_PREFIX, TASK_RESULT_PREFIX,
};
use crate::{
	pallet::*,
	types::{TaskId, TaskPhase, TaskWork},
};
use alloc::vec::Vec;
use codec::{Decode, Encode};
use frame_system::{offchain::Account, pallet_prelude::BlockNumberFor};
use sp_core::H256;
use sp_runtime::offchain::storage::StorageValueRef;

/// Prefix of the keys keeping a commitment's result and salt until its reveal.
pub(crate) const KEPT_PREFIX: &[u8] = b"modelnet/commit/";

/// The result a commitment was made to, and its salt.
#[derive(Encode, Decode, Clone, Copy, PartialEq, Eq, Debug)]
pub(crate) struct KeptCommitment {
	/// The committed result.
	pub result: H256,
	/// The salt hiding it.
	pub salt: H256,
}

/// The key keeping `who`'s commitment for the task whose native result key is `result_key`
/// (see [`super::task_result_key`]): `modelnet/commit/<account><task id><digest>`.
pub(crate) fn kept_key<AccountId: Encode>(who: &AccountId, result_key: &[u8]) -> Vec<u8> {
	let task_and_digest = result_key.get(TASK_RESULT_PREFIX.len()..).unwrap_or_default();
	[KEPT_PREFIX, &who.encode()[..], task_and_digest].concat()
}

/// The key under which earlier versions of this worker kept only the salt of `who`'s commitment
/// for `task` (the result was read again from the native worker at the reveal).
pub(crate) fn legacy_salt_key<AccountId: Encode>(who: &AccountId, task: TaskId) -> Vec<u8> {
	[SALT_PREFIX, &who.encode()[..], &task.to_le_bytes()[..]].concat()
}

impl<T: Config> Pallet<T> {
	/// Commits `account`'s result of `task` in its commit phase (the kept result if an earlier
	/// attempt kept one, else the native worker's), or reveals the kept result in its reveal
	/// phase; the keys it may write are noted in `notes`.
	pub(crate) fn answer_task(
		account: &Account<T>,
		task: &TaskWork<BlockNumberFor<T>>,
		notes: &Notes<T::AccountId>,
		send: &Sender<'_, T>,
	) {
		let input = executor_input(&task.challenge, &task.input);
		let result_key = task_result_key(task.task, &task.model, &input);
		let kept_key = kept_key(&account.id, &result_key);
		let subject = Subject::Task(task.task);
		let id = task.task.to_le_bytes();
		let note_keys = || {
			notes.note(&account.id, subject.clone(), kept_key.clone());
			notes.note(&account.id, subject.clone(), legacy_salt_key(&account.id, task.task));
		};
		match task.phase {
			TaskPhase::Commit if !task.committed => {
				let native = || StorageValueRef::persistent(&result_key).get().ok().flatten();
				let kept = Self::kept_commitment(&kept_key).map(|k| k.result);
				let Some(result) = kept.or_else(|| native().map(H256)) else { return };
				note_keys();
				// The salt is drawn (and kept with the result) only once the send is claimed,
				// so that concurrent runs cannot commit with one salt and keep another.
				send(subject.clone(), b"commit", &id, &|| {
					let kept = Self::keep_commitment(&kept_key, result);
					let sealed = sealed_result(task.task, &kept.result);
					let commitment = commitment_of(&account.id, &sealed, &kept.salt);
					Call::commit_result { task: task.task, commitment }
				});
			}
			TaskPhase::Reveal if task.committed && !task.revealed => {
				let opening = Self::opening_of(&account.id, task.task, &kept_key, &result_key);
				let Some((result, salt)) = opening else { return };
				note_keys();
				send(subject.clone(), b"reveal", &id, &|| Call::reveal_result {
					task: task.task,
					result,
					salt,
				});
			}
			_ => {}
		}
	}

	/// The commitment kept under `key`, if any.
	pub(crate) fn kept_commitment(key: &[u8]) -> Option<KeptCommitment> {
		StorageValueRef::persistent(key).get().ok().flatten()
	}

	/// The commitment to make under `key`: the one kept there, or `result` with a salt drawn
	/// now from the node's entropy, which is kept. Concurrent runs agree on one.
	pub(crate) fn keep_commitment(key: &[u8], result: H256) -> KeptCommitment {
		let store = StorageValueRef::persistent(key);
		let fresh = KeptCommitment { result, salt: H256(sp_io::offchain::random_seed()) };
		match store.mutate(|kept: Result<Option<KeptCommitment>, _>| -> Result<_, ()> {
			Ok(kept.ok().flatten().unwrap_or(fresh))
		}) {
			Ok(kept) => kept,
			// Another run kept one at the same moment: use it.
			Err(_) => Self::kept_commitment(key).unwrap_or(fresh),
		}
	}

	/// What `who` reveals for `task`, with the salt: the kept result's seal in a first round,
	/// the result itself as an appeal juror (see `reveal_result`). The result is the kept one,
	/// or (for a commitment an earlier version of this worker made) the native worker's with
	/// the kept salt. `None` if neither opens the commitment on chain, which is then not
	/// revealed (the transaction would fail).
	pub(crate) fn opening_of(
		who: &T::AccountId,
		task: TaskId,
		kept_key: &[u8],
		result_key: &[u8],
	) -> Option<(H256, H256)> {
		let info = Tasks::<T>::get(task)?;
		let on_chain =
			info.current_round().iter().find(|e| e.node == *who).and_then(|e| e.commitment)?;
		let juror = info.appeal.is_some();
		let kept = Self::kept_commitment(kept_key).map(|k| (k.result, k.salt));
		let legacy = || {
			let salt = StorageValueRef::persistent(&legacy_salt_key(who, task)).get().ok()??;
			let result = StorageValueRef::persistent(result_key).get().ok()??;
			Some((H256(result), H256(salt)))
		};
		let opens = |(result, salt): &(H256, H256)| {
			commitment_of(who, &sealed_result(task, result), salt) == on_chain
		};
		let opening = kept.filter(opens).or_else(|| legacy().filter(opens));
		let opening = opening.map(|(result, salt)| {
			(if juror { result } else { sealed_result(task, &result) }, salt)
		});
		if opening.is_none() {
			log::warn!(
				target: LOG_TARGET,
				"task {task}: no kept result opens the commitment on chain; not revealed"
			);
		}
		opening
	}
}
