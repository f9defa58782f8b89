//! The pallet's off-chain worker: turns what the node's native model worker found out into
//! signed transactions from the node's own accounts.
//!
//! The native worker (in the node, outside the Wasm runtime) downloads and verifies model files
//! and executes tasks. It leaves its outcomes in the node's off-chain database (PERSISTENT kind):
//!
//! | key | value |
//! | --- | --- |
//! | `modelnet/fetch/<model: 32 bytes>` | SCALE [`FetchOutcome`] |
//! | `modelnet/result/<task: u64 little endian>` | the 32-byte result hash |
//!
//! After every imported block this worker reads them for each local key of the model registry's
//! key type that is a registered node and submits `confirm_stored`, `decline_nomination`,
//! `report_lost`, `commit_result` and `reveal_result`. A transaction is not sent again while an
//! earlier copy may still be in flight ([`RESEND_AFTER`] blocks); the salt of a commitment is kept
//! in the off-chain database so that the reveal matches it, also across node restarts.

use crate::{pallet::*, types::*};
use alloc::{vec, vec::Vec};
use codec::{Decode, Encode};
use frame_system::{
	offchain::{ForAll, SendSignedTransaction, Signer},
	pallet_prelude::BlockNumberFor,
};
use sp_core::H256;
use sp_runtime::{
	offchain::storage::{MutateStorageError, StorageValueRef},
	traits::Saturating,
};

/// Log target of the off-chain worker.
const LOG_TARGET: &str = "runtime::model-registry::ocw";

/// What the native model worker found out about a nominated or held model.
#[derive(Encode, Decode, Clone, PartialEq, Eq, Debug)]
pub enum FetchOutcome {
	/// The file is in the store and its SHA-256 matches.
	Stored,
	/// The download failed for good; the nomination should be declined for this reason.
	Failed(DeclineReason),
	/// The file was stored but is gone (e.g. deleted by hand): the copy is lost.
	Missing,
}

/// Prefix of the keys under which the native worker leaves fetch outcomes.
pub const FETCH_OUTCOME_PREFIX: &[u8] = b"modelnet/fetch/";
/// Prefix of the keys under which the native worker leaves task results.
pub const TASK_RESULT_PREFIX: &[u8] = b"modelnet/result/";
/// Prefix of the keys recording when this worker sent a transaction.
const SENT_PREFIX: &[u8] = b"modelnet/sent/";
/// Prefix of the keys keeping the salt of a commitment until its reveal.
const SALT_PREFIX: &[u8] = b"modelnet/salt/";
/// A transaction not yet reflected in the chain's state after this many blocks is sent again.
pub const RESEND_AFTER: u32 = 8;

/// The key of the fetch outcome of `model`.
pub fn fetch_outcome_key(model: &ModelId) -> Vec<u8> {
	[FETCH_OUTCOME_PREFIX, model.as_bytes()].concat()
}

/// The key of the result of `task`.
pub fn task_result_key(task: TaskId) -> Vec<u8> {
	[TASK_RESULT_PREFIX, &task.to_le_bytes()[..]].concat()
}

/// The commitment an executor submits for `result`: it binds the executor's account so that no
/// other executor can copy it.
pub fn commitment_of<AccountId: Encode>(who: &AccountId, result: &H256, salt: &H256) -> H256 {
	H256(sp_io::hashing::blake2_256(&(who, result, salt).encode()))
}

impl<T: Config> Pallet<T> {
	/// Runs the off-chain worker for every local key that is a registered node.
	pub(crate) fn run_offchain_worker(now: BlockNumberFor<T>) {
		for account in Signer::<T, T::AuthorityId>::keystore_accounts() {
			let Some(work) = Self::pending_work(account.id.clone()) else { continue };
			let signer = Signer::<T, T::AuthorityId>::all_accounts()
				.with_filter(vec![account.public.clone()]);
			let send = |kind: &[u8], id: &[u8], call: &dyn Fn() -> Call<T>| {
				Self::send_once(&signer, &account.id, now, kind, id, call)
			};

			for nomination in work.nominations.iter() {
				let key = fetch_outcome_key(&nomination.model);
				match StorageValueRef::persistent(&key).get::<FetchOutcome>() {
					Ok(Some(FetchOutcome::Stored)) => {
						send(b"confirm", nomination.model.as_bytes(), &|| Call::confirm_stored {
							model: nomination.model,
						})
					}
					Ok(Some(FetchOutcome::Failed(reason))) => {
						send(b"decline", nomination.model.as_bytes(), &|| {
							Call::decline_nomination { model: nomination.model, reason }
						})
					}
					_ => {}
				}
			}

			for holding in work.holdings.iter() {
				let key = fetch_outcome_key(&holding.model);
				if let Ok(Some(FetchOutcome::Missing)) =
					StorageValueRef::persistent(&key).get::<FetchOutcome>()
				{
					send(b"lost", holding.model.as_bytes(), &|| Call::report_lost {
						model: holding.model,
					});
				}
			}

			for task in work.tasks.iter() {
				let Ok(Some(result)) =
					StorageValueRef::persistent(&task_result_key(task.task)).get::<[u8; 32]>()
				else {
					continue;
				};
				let result = H256(result);
				let id = task.task.to_le_bytes();
				match task.phase {
					TaskPhase::Commit if !task.committed => {
						// The salt is drawn only once the send is claimed, so that concurrent
						// runs cannot commit with one salt and keep another.
						send(b"commit", &id, &|| {
							let salt = Self::salt_for(&account.id, task.task);
							let commitment = commitment_of(&account.id, &result, &salt);
							Call::commit_result { task: task.task, commitment }
						});
					}
					TaskPhase::Reveal if task.committed && !task.revealed => {
						send(b"reveal", &id, &|| {
							let salt = Self::salt_for(&account.id, task.task);
							Call::reveal_result { task: task.task, result, salt }
						});
					}
					_ => {}
				}
			}
		}
	}

	/// Sends `call` from `who` unless the same transaction was sent less than [`RESEND_AFTER`]
	/// blocks ago. The check-and-mark is atomic, so concurrent runs do not both send.
	fn send_once(
		signer: &Signer<T, T::AuthorityId, ForAll>,
		who: &T::AccountId,
		now: BlockNumberFor<T>,
		kind: &[u8],
		id: &[u8],
		make_call: &dyn Fn() -> Call<T>,
	) {
		let key = [SENT_PREFIX, &who.encode()[..], kind, id].concat();
		let marker = StorageValueRef::persistent(&key);
		let claimed = marker.mutate(|sent: Result<Option<BlockNumberFor<T>>, _>| match sent {
			Ok(Some(at)) if now < at.saturating_add(RESEND_AFTER.into()) => Err(()),
			_ => Ok(now),
		});
		if let Err(
			MutateStorageError::ValueFunctionFailed(())
			| MutateStorageError::ConcurrentModification(_),
		) = claimed
		{
			return;
		}
		let call = make_call();
		for (_, result) in signer.send_signed_transaction(|_| call.clone()) {
			if result.is_err() {
				log::warn!(
					target: LOG_TARGET,
					"could not submit a {} transaction",
					core::str::from_utf8(kind).unwrap_or("model registry")
				);
			}
		}
	}

	/// The salt of `who`'s commitment for `task`: drawn once from the node's entropy and kept.
	fn salt_for(who: &T::AccountId, task: TaskId) -> H256 {
		let key = [SALT_PREFIX, &who.encode()[..], &task.to_le_bytes()[..]].concat();
		let store = StorageValueRef::persistent(&key);
		let fresh = sp_io::offchain::random_seed();
		match store.mutate(|kept: Result<Option<[u8; 32]>, _>| -> Result<[u8; 32], ()> {
			Ok(kept.ok().flatten().unwrap_or(fresh))
		}) {
			Ok(salt) => H256(salt),
			// Another run wrote the salt at the same moment: use what it kept.
			Err(_) => H256(store.get::<[u8; 32]>().ok().flatten().unwrap_or(fresh)),
		}
	}
}
