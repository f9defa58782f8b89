//! Task records: a task's lifecycle, its executors' answers and its appeal (see
//! [`crate::tasks`], [`crate::resolve`] and [`crate::appeal`]).

use super::ModelId;
use codec::{Decode, DecodeWithMemTracking, Encode, MaxEncodedLen};
use frame_support::{traits::Get, BoundedVec};
use scale_info::TypeInfo;
use sp_core::H256;

/// Why a task ended without a result.
#[derive(
	Clone,
	Copy,
	PartialEq,
	Eq,
	Encode,
	Decode,
	DecodeWithMemTracking,
	MaxEncodedLen,
	TypeInfo,
	Debug,
)]
pub enum TaskFailure {
	/// Results were revealed but no result reached a strict majority of the executors.
	NoQuorum,
	/// No executor revealed a result.
	NoAnswers,
	/// The model was deregistered before executors were assigned.
	ModelGone,
	/// The task waited for holders longer than one demand window.
	NoHolders,
	/// The executors disagreed and no appeal jury could be drawn (the model had no other
	/// available holder, or none within one demand window of the task's creation), or the
	/// jury's majority result did not lead the count of both rounds' reveals: the result is
	/// not confirmed, nobody is slashed. See [`crate::appeal`].
	Disputed,
}

/// Lifecycle of a task.
#[derive(
	Clone,
	Copy,
	PartialEq,
	Eq,
	Encode,
	Decode,
	DecodeWithMemTracking,
	MaxEncodedLen,
	TypeInfo,
	Debug,
)]
pub enum TaskStatus<BlockNumber> {
	/// Waiting in the queue for executors.
	Waiting,
	/// Executors assigned; commitments accepted until `deadline`.
	Commit {
		/// End of the commit phase.
		deadline: BlockNumber,
	},
	/// Reveals accepted until `deadline`.
	Reveal {
		/// End of the reveal phase.
		deadline: BlockNumber,
	},
	/// Resolved with a majority result.
	Completed {
		/// The agreed result hash.
		result: H256,
	},
	/// Resolved without a result; the fee was refunded.
	Failed {
		/// Why.
		reason: TaskFailure,
	},
}

/// One executor of a task and its answers.
#[derive(
	Clone, PartialEq, Eq, Encode, Decode, DecodeWithMemTracking, MaxEncodedLen, TypeInfo, Debug,
)]
pub struct Executor<AccountId> {
	/// The node account.
	pub node: AccountId,
	/// Commitment, once committed.
	pub commitment: Option<H256>,
	/// Revealed result, once revealed.
	pub result: Option<H256>,
	/// Blocks left in the commit window when the commitment was accepted (how promptly the
	/// executor answered; see [`crate::qos`]), once committed.
	pub commit_margin: Option<u32>,
}

impl<AccountId> Executor<AccountId> {
	/// A drawn executor that has not answered yet.
	pub fn new(node: AccountId) -> Self {
		Self { node, commitment: None, result: None, commit_margin: None }
	}
}

/// A task record.
#[derive(
	Clone, PartialEq, Eq, Encode, Decode, DecodeWithMemTracking, MaxEncodedLen, TypeInfo, Debug,
)]
#[scale_info(skip_type_params(MaxInput, MaxExecutors))]
pub struct TaskInfo<AccountId, Balance, BlockNumber, MaxInput: Get<u32>, MaxExecutors: Get<u32>> {
	/// Model the task runs on.
	pub model: ModelId,
	/// Account that created the task and paid the fee.
	pub creator: AccountId,
	/// Fee held from the creator until resolution.
	pub fee: Balance,
	/// Storage deposit for the input, held from the creator until the record is removed.
	pub deposit: Balance,
	/// Task input.
	pub input: BoundedVec<u8, MaxInput>,
	/// Challenge drawn when the executors are assigned (zero while the task waits), from the
	/// same randomness as the executors. The executor computes the spot-check over
	/// `challenge (32 bytes) ‖ input`, i.e. `spot_check(model, challenge.0 ++ input)`, so that
	/// the public result of an earlier task with the same input is no answer.
	pub challenge: H256,
	/// Block of creation.
	pub created_at: BlockNumber,
	/// Current status.
	pub status: TaskStatus<BlockNumber>,
	/// Drawn executors (empty while waiting): the first round's, then, after an appeal, the
	/// jury's (from [`Appeal::jury_from`]).
	pub executors: BoundedVec<Executor<AccountId>, MaxExecutors>,
	/// Whether `TaskWaitingForHolders` was already emitted.
	pub waiting_notified: bool,
	/// While the task waits: its slot in [`crate::PendingTasks`], so that cancelling it frees
	/// the slot at once (meaningless once executors are assigned).
	pub queue_slot: u32,
	/// Once the first round's executors disagreed: the appeal (see [`crate::appeal`]).
	/// `None` in the first round.
	pub appeal: Option<Appeal<BlockNumber>>,
}

/// The appeal of a task whose first round was contradicted.
#[derive(
	Clone,
	Copy,
	PartialEq,
	Eq,
	Encode,
	Decode,
	DecodeWithMemTracking,
	MaxEncodedLen,
	TypeInfo,
	Debug,
)]
pub struct Appeal<BlockNumber> {
	/// Index in the task's executor list where the jury starts (the first round's size).
	pub jury_from: u32,
	/// Block in which the dispute arose: the jury is drawn with randomness unknown then, and
	/// the task fails `Disputed` if none is drawn within one demand window of it.
	pub disputed_at: BlockNumber,
}

impl<AccountId, Balance, BlockNumber, MaxInput: Get<u32>, MaxExecutors: Get<u32>>
	TaskInfo<AccountId, Balance, BlockNumber, MaxInput, MaxExecutors>
{
	/// The executors of the current round: the first round's, or the appeal jury.
	pub fn current_round(&self) -> &[Executor<AccountId>] {
		let from = self.appeal.as_ref().map_or(0, |a| a.jury_from) as usize;
		self.executors.get(from..).unwrap_or(&[])
	}

	/// Mutable [`Self::current_round`].
	pub fn current_round_mut(&mut self) -> &mut [Executor<AccountId>] {
		let from = self.appeal.as_ref().map_or(0, |a| a.jury_from) as usize;
		self.executors.get_mut(from..).unwrap_or(&mut [])
	}
}
