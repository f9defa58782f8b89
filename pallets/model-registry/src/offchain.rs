//! The pallet's off-chain worker: turns what the node's native model worker found out into
//! signed transactions from the node's own accounts.
//!
//! The native worker (in the node, outside the Wasm runtime) downloads and verifies model files
//! and executes tasks. It leaves its outcomes in the node's off-chain database (PERSISTENT kind):
//!
//! | key | value |
//! | --- | --- |
//! | [`fetch_outcome_key`] `modelnet/fetch/<model: 32 bytes>` | SCALE [`OutcomeRecord`] |
//! | [`task_result_key`] `modelnet/result/<task: u64 LE><blake2_256((model, challenge ‖ input))>` | the 32-byte result hash |
//! | [`ENDPOINT_KEY`] `modelnet/endpoint` | SCALE `Option<Vec<u8>>`: the URL the node serves pieces at, `None` if it does not serve |
//!
//! An outcome names the nominations it answers (their deadlines): a `Stored` written for an
//! earlier nomination never confirms a later one. A result is keyed by the task *and* its model
//! and input, so a task id that means a different task after a re-organisation never reuses a
//! result. The native worker owns these keys: it writes and removes them, and sweeps what a
//! previous run left at start-up.
//!
//! After every imported block this worker reads them for each local key of the model registry's
//! key type that is a registered node and submits `confirm_stored`, `decline_nomination`,
//! `report_lost`, `commit_result`, `reveal_result`, and `set_endpoint` when the chain's endpoint
//! of the account differs from the node's:
//! - a transaction is not sent again while an earlier copy may still be in flight
//!   ([`RESEND_AFTER`] blocks); a submission that fails is forgotten at once, so the next block
//!   tries again; a resend reuses the earlier copy's nonce while the chain has not used it, so
//!   a copy lost from the pool leaves no gap that holds back the account's later transactions;
//! - nonces are handed out from a per-account counter in the off-chain database, so several
//!   transactions of one account in quick succession (several blocks before the first is
//!   included) do not reuse a nonce still in the pool;
//! - a failed download that blames the model's sources is declined with that reason by one local
//!   account only; the node's other accounts decline with [`DeclineReason::Other`], so that one
//!   machine with many keys counts as one witness against the sources;
//! - the result of a commitment is kept with its salt in this worker's own keys when it
//!   commits, and the reveal sends what was kept (submodule `kept`): a restart, after which the
//!   native worker sweeps its results and executes the task again, cannot make the reveal
//!   differ from the commitment;
//! - the keys this worker writes for itself are listed in an index and removed once the work
//!   they serve is over (submodule `tracking`).
//!
//! Its own keys:
//!
//! | key | value |
//! | --- | --- |
//! | `modelnet/sent/<account><kind><id>` | when a transaction was last sent, and its nonce |
//! | `modelnet/nonce/<account>` | the account's next nonce, and when it was handed out |
//! | `modelnet/commit/<account><task: u64 LE><digest>` | the result and salt of a commitment (digest as in [`task_result_key`]) |
//! | `modelnet/tracked` | the index of the keys above but the nonces, by the work they serve |
//!
//! (`modelnet/salt/<account><task: u64 LE>` held the salt alone in earlier versions; it is
//! still read for a reveal of a commitment made by one, and removed with the task's keys.)

mod kept;
mod tracking;

pub use tracking::{PRUNE_AFTER, PRUNE_CHECKS_PER_BLOCK};

use crate::{pallet::*, types::*};
use alloc::{
	collections::{BTreeMap, BTreeSet},
	vec::Vec,
};
use codec::{Decode, Encode};
use frame_system::{
	offchain::{Account, CreateSignedTransaction, SubmitTransaction},
	pallet_prelude::BlockNumberFor,
};
use sp_core::H256;
use sp_runtime::{
	offchain::storage::{MutateStorageError, StorageValueRef},
	traits::{One, Saturating},
};
use tracking::Subject;

/// Log target of the off-chain worker.
const LOG_TARGET: &str = "runtime::model-registry::ocw";

/// What the native model worker found out about a nominated or held model.
#[derive(Encode, Decode, Clone, Copy, PartialEq, Eq, Debug)]
pub enum FetchOutcome {
	/// The file is in the store and its SHA-256 matches.
	Stored,
	/// The download failed for good; the nomination should be declined for this reason.
	Failed(DeclineReason),
	/// The file was stored but is gone (e.g. deleted by hand): the copy is lost.
	Missing,
}

/// A fetch outcome bound to the nominations it answers.
#[derive(Encode, Decode, Clone, PartialEq, Eq, Debug)]
pub struct OutcomeRecord<BlockNumber> {
	/// What happened.
	pub outcome: FetchOutcome,
	/// Deadlines of the local nominations this outcome answers (`Stored`, `Failed`). A
	/// nomination whose deadline is not listed is not answered by this record. Empty for
	/// `Missing`, which concerns holdings.
	pub nominations: Vec<BlockNumber>,
}

/// Prefix of the keys under which the native worker leaves fetch outcomes.
pub const FETCH_OUTCOME_PREFIX: &[u8] = b"modelnet/fetch/";
/// Prefix of the keys under which the native worker leaves task results.
pub const TASK_RESULT_PREFIX: &[u8] = b"modelnet/result/";
/// Key under which the native worker leaves the endpoint it serves pieces at.
pub const ENDPOINT_KEY: &[u8] = b"modelnet/endpoint";
/// Prefix of the keys recording when this worker sent a transaction.
const SENT_PREFIX: &[u8] = b"modelnet/sent/";
/// Prefix of the keys under which earlier versions kept the salt of a commitment (submodule
/// `kept`).
const SALT_PREFIX: &[u8] = b"modelnet/salt/";
/// Prefix of the keys keeping each local account's next nonce.
const NONCE_PREFIX: &[u8] = b"modelnet/nonce/";
/// A transaction not yet reflected in the chain's state after this many blocks is sent again
/// (with the same nonce while that is unused, see `send_once`): a reveal lost from the pool
/// is sent again well within a reveal phase.
pub const RESEND_AFTER: u32 = 2;
/// A locally counted nonce is trusted for this many blocks after its last use; after that the
/// chain's nonce is used again (a transaction that never made it leaves no gap for ever).
pub const NONCE_TRUSTED_FOR: u32 = 8;

/// The key of the fetch outcome of `model`.
pub fn fetch_outcome_key(model: &ModelId) -> Vec<u8> {
	[FETCH_OUTCOME_PREFIX, model.as_bytes()].concat()
}

/// The key of the result of `task`, which runs `model` on `input` (the input the executor
/// computes on: [`executor_input`]).
pub fn task_result_key(task: TaskId, model: &ModelId, input: &[u8]) -> Vec<u8> {
	let digest = sp_io::hashing::blake2_256(&(model, input).encode());
	[TASK_RESULT_PREFIX, &task.to_le_bytes()[..], &digest[..]].concat()
}

/// What an executor computes on: the task's challenge (drawn at assignment) followed by its
/// input, so that no result can be known before the task is assigned.
pub fn executor_input(challenge: &H256, input: &[u8]) -> Vec<u8> {
	[challenge.as_bytes(), input].concat()
}

/// The commitment an executor submits for `sealed` (its [`sealed_result`]): it binds the
/// executor's account so that no other executor can copy it.
pub fn commitment_of<AccountId: Encode>(who: &AccountId, sealed: &H256, salt: &H256) -> H256 {
	H256(sp_io::hashing::blake2_256(&(who, sealed, salt).encode()))
}

/// The sealed form of `result` for `task`, what the chain records, compares and publishes:
/// first-round executors reveal only this, which does not give the result away, so a juror
/// drawn after a dispute cannot answer by copying (it must reveal the result itself, whose
/// seal must match). Tasks that complete publish their sealed result: a creator checks it by
/// sealing the result it computes.
pub fn sealed_result(task: TaskId, result: &H256) -> H256 {
	H256(sp_io::hashing::blake2_256(&(b"modelnet/sealed", task, result).encode()))
}

/// Makes the call of a transaction, once its send is claimed.
type CallMaker<'a, T> = dyn Fn() -> Call<T> + 'a;

/// Claims the send of a transaction (for a subject, of a kind, for an id) and sends it.
type Sender<'a, T> = dyn Fn(Subject, &[u8], &[u8], &CallMaker<'_, T>) + 'a;

/// The key marking when `who` last sent the transaction `kind` for `id`.
fn sent_key<AccountId: Encode>(who: &AccountId, kind: &[u8], id: &[u8]) -> Vec<u8> {
	[SENT_PREFIX, &who.encode()[..], kind, id].concat()
}

/// When this worker last sent a transaction, and with which nonce (`None` while it is being
/// sent).
#[derive(Encode, Decode, Clone, Copy, PartialEq, Eq, Debug)]
struct SentRecord<BlockNumber, Nonce> {
	at: BlockNumber,
	nonce: Option<Nonce>,
}

type SentRecordOf<T> = SentRecord<BlockNumberFor<T>, <T as frame_system::Config>::Nonce>;

/// A locally counted nonce: the next one to use, and the block it was last handed out in.
#[derive(Encode, Decode, Clone, Copy, PartialEq, Eq, Debug)]
struct NonceRecord<Nonce, BlockNumber> {
	next: Nonce,
	at: BlockNumber,
}

impl<T: Config> Pallet<T> {
	/// Runs the off-chain worker for every local key that is a registered node.
	pub(crate) fn run_offchain_worker(now: BlockNumberFor<T>) {
		// Models whose sources one local account already blamed in this run.
		let mut blamed = BTreeSet::<ModelId>::new();
		let endpoint = Self::local_endpoint();
		// The keys written in this run, for the index, and the work of each local account.
		let notes = tracking::Notes::<T::AccountId>::default();
		let mut works = BTreeMap::new();
		for account in frame_system::offchain::Signer::<T, T::AuthorityId>::keystore_accounts() {
			let Some(work) = Self::pending_work(account.id.clone()) else { continue };
			let send = |subject: Subject, kind: &[u8], id: &[u8], call: &CallMaker<'_, T>| {
				notes.note(&account.id, subject, sent_key(&account.id, kind, id));
				Self::send_once(&account, now, kind, id, call)
			};

			if let Some(wanted) = &endpoint {
				let current = NodeEndpoints::<T>::get(&account.id);
				if current.as_ref() != wanted.as_ref() {
					// Keyed by the value, so that a changed endpoint is sent at once.
					let value = wanted.encode();
					send(Subject::Endpoint(value.clone()), b"endpoint", &value, &|| {
						Call::set_endpoint { endpoint: wanted.clone() }
					});
				}
			}

			for nomination in work.nominations.iter() {
				let Some(record) = Self::outcome_of(&nomination.model) else { continue };
				if !record.nominations.contains(&nomination.deadline) {
					continue;
				}
				let model = nomination.model;
				match record.outcome {
					FetchOutcome::Stored => {
						send(Subject::Nomination(model), b"confirm", model.as_bytes(), &|| {
							Call::confirm_stored { model }
						})
					}
					FetchOutcome::Failed(reason) => {
						let reason = if reason.blames_sources() && !blamed.insert(model) {
							DeclineReason::Other
						} else {
							reason
						};
						send(Subject::Nomination(model), b"decline", model.as_bytes(), &|| {
							Call::decline_nomination { model, reason }
						})
					}
					FetchOutcome::Missing => {}
				}
			}

			for holding in work.holdings.iter() {
				if let Some(FetchOutcome::Missing) =
					Self::outcome_of(&holding.model).map(|r| r.outcome)
				{
					let model = holding.model;
					send(Subject::Holding(model), b"lost", model.as_bytes(), &|| {
						Call::report_lost { model }
					});
				}
			}

			for task in work.tasks.iter() {
				Self::answer_task(&account, task, &notes, &send);
			}
			works.insert(account.id.clone(), work);
		}

		tracking::update(now, notes, &|who: &T::AccountId, subject: &Subject| {
			let Some(work) = works.get(who) else { return false };
			match subject {
				Subject::Nomination(model) => work.nominations.iter().any(|n| n.model == *model),
				Subject::Holding(model) => work.holdings.iter().any(|h| h.model == *model),
				Subject::Task(id) => work.tasks.iter().any(|t| t.task == *id),
				Subject::Endpoint(value) => endpoint.as_ref().is_some_and(|wanted| {
					wanted.encode() == *value && NodeEndpoints::<T>::get(who) != *wanted
				}),
			}
		});
	}

	/// The endpoint the native worker serves pieces at (`Some(None)`: it does not serve; `None`:
	/// nothing known, or a URL too long for the chain).
	fn local_endpoint() -> Option<Option<UrlOf<T>>> {
		let value = StorageValueRef::persistent(ENDPOINT_KEY).get::<Option<Vec<u8>>>().ok()??;
		match value {
			None => Some(None),
			Some(url) => UrlOf::<T>::try_from(url).ok().map(Some),
		}
	}

	/// The native worker's outcome for `model`, if any (an undecodable value counts as none).
	fn outcome_of(model: &ModelId) -> Option<OutcomeRecord<BlockNumberFor<T>>> {
		StorageValueRef::persistent(&fetch_outcome_key(model)).get().ok().flatten()
	}

	/// Sends `call` from `account` unless the same transaction was sent less than
	/// [`RESEND_AFTER`] blocks ago. The check-and-mark is atomic, so concurrent runs do not both
	/// send; a failed first submission removes the mark again.
	///
	/// A resend whose earlier copy's nonce is still unused on chain reuses that nonce: if the
	/// copy was lost, the resend fills the gap it left (a fresh nonce would wait behind it for
	/// ever); if the copy is still in the pool, the pool refuses the second one and nothing is
	/// sent twice. The mark then stays, so the refusal is not repeated every block.
	fn send_once(
		account: &Account<T>,
		now: BlockNumberFor<T>,
		kind: &[u8],
		id: &[u8],
		make_call: &CallMaker<'_, T>,
	) {
		let key = sent_key(&account.id, kind, id);
		let mut marker = StorageValueRef::persistent(&key);
		let mut previous = None;
		let claimed = marker.mutate(|sent: Result<Option<SentRecordOf<T>>, _>| match sent {
			Ok(Some(record)) if now < record.at.saturating_add(RESEND_AFTER.into()) => Err(()),
			other => {
				previous = other.ok().flatten();
				Ok(SentRecord { at: now, nonce: None })
			}
		});
		if let Err(
			MutateStorageError::ValueFunctionFailed(())
			| MutateStorageError::ConcurrentModification(_),
		) = claimed
		{
			return;
		}
		let on_chain = frame_system::Pallet::<T>::account_nonce(&account.id);
		let unused = previous.and_then(|p| p.nonce).filter(|n| *n >= on_chain);
		let nonce = match unused {
			Some(nonce) => Ok(nonce),
			None => Self::reserve_nonce(&account.id, now),
		};
		let submitted = nonce.and_then(|n| Self::submit_signed(account, n, make_call()).map(|_| n));
		match submitted {
			Ok(nonce) => marker.set(&SentRecord { at: now, nonce: Some(nonce) }),
			Err(()) if unused.is_some() => {
				log::debug!(
					target: LOG_TARGET,
					"{} transaction not sent again: its earlier copy (nonce {unused:?}) is pending",
					core::str::from_utf8(kind).unwrap_or("model registry")
				);
				marker.set(&SentRecord { at: now, nonce: unused });
			}
			Err(()) => {
				log::warn!(
					target: LOG_TARGET,
					"could not submit a {} transaction; trying again next block",
					core::str::from_utf8(kind).unwrap_or("model registry")
				);
				if let Ok(n) = nonce {
					Self::return_nonce(&account.id, n);
				}
				// Give the claim back, unless another run took it meanwhile.
				if let Ok(Some(record)) = marker.get::<SentRecordOf<T>>() {
					if record.at == now {
						match previous {
							Some(before) => marker.set(&before),
							None => marker.clear(),
						}
					}
				}
			}
		}
	}

	/// Hands out the next nonce of `who`'s local counter (see [`NONCE_TRUSTED_FOR`]): the
	/// chain's nonce, or the counted one while it is ahead and recently used.
	fn reserve_nonce(who: &T::AccountId, now: BlockNumberFor<T>) -> Result<T::Nonce, ()> {
		let key = [NONCE_PREFIX, &who.encode()[..]].concat();
		let counter = StorageValueRef::persistent(&key);
		let on_chain = frame_system::Pallet::<T>::account_nonce(who);
		let mut nonce = on_chain;
		counter
			.mutate(|record: Result<Option<NonceRecord<T::Nonce, BlockNumberFor<T>>>, _>| {
				nonce = match record.ok().flatten() {
					Some(r)
						if r.next > on_chain
							&& now < r.at.saturating_add(NONCE_TRUSTED_FOR.into()) =>
					{
						r.next
					}
					_ => on_chain,
				};
				Ok::<_, ()>(NonceRecord { next: nonce.saturating_add(One::one()), at: now })
			})
			.map(|_| nonce)
			.map_err(|_| ())
	}

	/// Gives `nonce` back to `who`'s local counter if nobody took a later one meanwhile (its
	/// transaction could not be submitted).
	fn return_nonce(who: &T::AccountId, nonce: T::Nonce) {
		let key = [NONCE_PREFIX, &who.encode()[..]].concat();
		let counter = StorageValueRef::persistent(&key);
		if let Ok(Some(r)) = counter.get::<NonceRecord<T::Nonce, BlockNumberFor<T>>>() {
			if r.next == nonce.saturating_add(One::one()) {
				counter.set(&NonceRecord { next: nonce, at: r.at });
			}
		}
	}

	/// Signs `call` with `account`'s key and `nonce` and puts it into the transaction pool.
	fn submit_signed(account: &Account<T>, nonce: T::Nonce, call: Call<T>) -> Result<(), ()> {
		<T as CreateSignedTransaction<Call<T>>>::create_signed_transaction::<T::AuthorityId>(
			call.into(),
			account.public.clone(),
			account.id.clone(),
			nonce,
		)
		.ok_or(())
		.and_then(SubmitTransaction::<T, Call<T>>::submit_transaction)
	}
}
