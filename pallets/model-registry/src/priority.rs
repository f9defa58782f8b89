//! Priority of awaited answers: the transaction extension [`PrioritizeExecutors`].
//!
//! A result round settles only when every assigned executor answered (see [`crate::appeal`]),
//! and an executor whose commitment or reveal never lands is sampled 0. Crowding such a
//! transaction out of the blocks of a commit window must therefore cost more than a few tipped
//! transactions: a `commit_result` or `reveal_result` that the chain is waiting for — signed
//! by an executor of the task's current round, in the phase that expects its answer, not yet
//! given — gets [`EXECUTOR_PRIORITY`] on top of its fee-based priority. Anyone else's call of
//! the same functions gets nothing extra (it fails when dispatched and pays its fee).
//!
//! The extension carries no data: an extrinsic encodes and signs nothing more for it.

use crate::{pallet::*, types::TaskStatus, TaskId};
use codec::{Decode, DecodeWithMemTracking, Encode};
use core::marker::PhantomData;
use frame_support::{
	pallet_prelude::{TransactionSource, Weight},
	traits::{Get, IsSubType, OriginTrait},
	CloneNoBound, DefaultNoBound, EqNoBound, PartialEqNoBound,
};
use scale_info::TypeInfo;
use sp_runtime::{
	impl_tx_ext_default,
	traits::{DispatchInfoOf, TransactionExtension, ValidateResult},
	transaction_validity::ValidTransaction,
};

/// Priority added to an awaited `commit_result` or `reveal_result`: half of the priority
/// range, so that a transaction must pay a tip worth about that much priority under
/// `ChargeTransactionPayment`'s scale to come before an executor's answer.
pub const EXECUTOR_PRIORITY: u64 = u64::MAX / 2;

/// Transaction extension that raises the priority of the answers a task is waiting for (see
/// the module documentation).
#[derive(
	Encode,
	Decode,
	DecodeWithMemTracking,
	DefaultNoBound,
	CloneNoBound,
	EqNoBound,
	PartialEqNoBound,
	TypeInfo,
)]
#[scale_info(skip_type_params(T))]
pub struct PrioritizeExecutors<T>(PhantomData<T>);

impl<T> core::fmt::Debug for PrioritizeExecutors<T> {
	fn fmt(&self, f: &mut core::fmt::Formatter) -> core::fmt::Result {
		write!(f, "PrioritizeExecutors")
	}
}

impl<T: Config + Send + Sync> PrioritizeExecutors<T> {
	/// The extension (it has no data).
	pub fn new() -> Self {
		Self(PhantomData)
	}
}

/// The answer a call gives, if it is one.
enum Answer {
	Commit(TaskId),
	Reveal(TaskId),
}

impl<T: Config> Pallet<T> {
	/// Whether task `id` is waiting for `answer` from `who`: `who` is an executor of its
	/// current round that has not given it yet, in the phase that expects it.
	fn awaits(who: &T::AccountId, answer: &Answer) -> bool {
		let (Answer::Commit(id) | Answer::Reveal(id)) = answer;
		let Some(task) = Tasks::<T>::get(id) else {
			return false;
		};
		let Some(slot) = task.current_round().iter().find(|e| e.node == *who) else {
			return false;
		};
		match (answer, task.status) {
			(Answer::Commit(_), TaskStatus::Commit { .. }) => slot.commitment.is_none(),
			(Answer::Reveal(_), TaskStatus::Reveal { .. }) => {
				slot.commitment.is_some() && slot.result.is_none()
			}
			_ => false,
		}
	}
}

impl<T: Config + Send + Sync> TransactionExtension<<T as frame_system::Config>::RuntimeCall>
	for PrioritizeExecutors<T>
where
	<T as frame_system::Config>::RuntimeCall: IsSubType<Call<T>>,
{
	const IDENTIFIER: &'static str = "PrioritizeExecutors";
	type Implicit = ();
	type Val = ();
	type Pre = ();

	fn weight(&self, call: &<T as frame_system::Config>::RuntimeCall) -> Weight {
		match call.is_sub_type() {
			// The task record.
			Some(Call::commit_result { .. } | Call::reveal_result { .. }) => {
				T::DbWeight::get().reads(1)
			}
			_ => Weight::zero(),
		}
	}

	fn validate(
		&self,
		origin: <T as frame_system::Config>::RuntimeOrigin,
		call: &<T as frame_system::Config>::RuntimeCall,
		_info: &DispatchInfoOf<<T as frame_system::Config>::RuntimeCall>,
		_len: usize,
		_self_implicit: Self::Implicit,
		_inherited_implication: &impl Encode,
		_source: TransactionSource,
	) -> ValidateResult<Self::Val, <T as frame_system::Config>::RuntimeCall> {
		let answer = match call.is_sub_type() {
			Some(Call::commit_result { task, .. }) => Some(Answer::Commit(*task)),
			Some(Call::reveal_result { task, .. }) => Some(Answer::Reveal(*task)),
			_ => None,
		};
		let awaited = match (answer, origin.as_signer()) {
			(Some(answer), Some(who)) => Pallet::<T>::awaits(who, &answer),
			_ => false,
		};
		let validity = if awaited {
			ValidTransaction { priority: EXECUTOR_PRIORITY, ..Default::default() }
		} else {
			ValidTransaction::default()
		};
		Ok((validity, (), origin))
	}

	impl_tx_ext_default!(<T as frame_system::Config>::RuntimeCall; prepare);
}
