//! Appeals: a split vote is settled by a larger jury of other holders before anyone is slashed.
//!
//! Why: a task's executors are public once drawn, so a party running several holders of a
//! model knows when its nodes form a majority of a task's executors. If that majority's
//! result simply won and the minority were slashed, dropped as holders and barred from the
//! model, such a party could answer wrongly whenever it holds a majority, have every honest
//! executor that contradicts it removed, and take over the model's holders step by step (the
//! simulator's Sybil sweep shows it: with a tenth of the nodes colluding, the share of tasks
//! executed by colluders only grew from 15 % to 66 % within a simulated day). Now a split vote
//! is only a reason to ask more holders.
//!
//! Rules:
//! - A first round in which some result was revealed but not every assigned executor revealed
//!   the same one — an executor revealed another result, withheld its committed result, or
//!   never committed — is appealed (`TaskAppealed`): nobody is paid, slashed or sampled for
//!   QoS yet (an executor that never committed had its sample of 0 at the commit deadline).
//!   The first round's executors stop executing the task, but their commitments stay open:
//!   none of them can leave before the appeal resolves. Why silence counts: two colluders
//!   among three executors that forge one result need the honest third to say nothing, and
//!   silencing it (a colluding author leaves its commitment out, a flood of tipped
//!   transactions crowds it out, its endpoint is flooded) costs far less than outvoting it.
//!   Only a unanimous first round settles at once.
//! - The jury: up to `2k + 1` executors, `k` the size of the first round, drawn like
//!   first-round executors (available copy, room for the task, active node, QoS roll, places
//!   left open filled by holders that lost their roll; the same number of draws per wanted
//!   executor) among the model's holders **other than the first
//!   round's**, in a later block, with randomness unknown when the dispute arose. Any number
//!   from one up is accepted, so that small networks can appeal too. Until then the task waits
//!   in the pending ring like a new task, and its creator cannot cancel it.
//! - The jury answers the same task (same input, same challenge) through the usual commit and
//!   reveal phases.
//! - The jury decides: a result revealed by strictly more than half of the jury wins, if it
//!   also has more votes than any other result when the reveals of both rounds are counted
//!   together. The jury was drawn after the dispute arose from holders that took no side, so
//!   a party that held the first round's majority would need a majority of the jury as well;
//!   a full jury (`2k + 1`) that agrees with the first round's minority always leads the
//!   count. Jury and first round are both random samples of the model's holders: neither
//!   outweighs the other by its place in the procedure, only by its votes.
//! - A jury majority that does not lead the count of both rounds (one juror against two
//!   agreeing executors; four of seven jurors when the other three side with a first-round
//!   majority of two) decides nothing: the task fails
//!   `Disputed`, nobody is slashed or paid, silent committed executors get a QoS sample of 0.
//!   Otherwise one holder outside the first round — the only juror of a model with `k + 1`
//!   holders — could have two honest executors slashed and evicted by revealing a forgery,
//!   after its accomplice in the first round forged the same result or withheld its own.
//! - With a jury winner, the rules of a resolved first round apply to **both** rounds: everyone
//!   who revealed the winning result shares the fee and gains QoS by reveal order; everyone who
//!   revealed another result, or committed and withheld, is slashed, dropped as holder and
//!   cooled down; silent executors get a QoS sample of 0.
//! - Without a jury winner the task fails (`NoQuorum`, or `NoAnswers` when no juror revealed)
//!   and nobody is slashed.
//! - No jury: when the dispute arises and the model has no available holder outside the first
//!   round, the task waits for one (`TaskAppealed` with `jury` 0): a holder that fell silent
//!   is kicked out or evicted in time, and replication puts a new copy elsewhere. If the model
//!   is being deregistered or the pending ring is full, or no jury could be drawn within one
//!   demand window of the dispute, the task fails `Disputed`: its creator is refunded and
//!   nobody is paid or slashed. A majority of a model's only holders is not proof enough to
//!   settle a task, let alone to slash anyone.
//! - A jury is never appealed.
//!
//! Nothing a juror could copy is public before it commits: the first round revealed only
//! sealed results (see [`crate::offchain::sealed_result`]), and a juror must reveal the result
//! itself, whose seal is compared. A juror without the file that commits to a first-round
//! seal cannot open its commitment; once a result wins it is slashed like any executor that
//! withheld its result.

use crate::{pallet::*, tasks::Pending, types::*};
use alloc::vec::Vec;
use frame_support::{pallet_prelude::*, traits::Get};
use frame_system::pallet_prelude::BlockNumberFor;
use sp_core::H256;

/// The largest jury for a first round of `first_round` executors: `2k + 1`, within the bound
/// of a task's executor list.
pub fn jury_size<T: Config>(first_round: u32) -> u32 {
	first_round
		.saturating_mul(2)
		.saturating_add(1)
		.min(MaxTaskExecutors::<T>::get().saturating_sub(first_round))
}

impl<T: Config> Pallet<T> {
	/// Whether a first round must be appealed: some result was revealed, but not every
	/// assigned executor revealed the same one. An executor that revealed another result,
	/// withheld its committed result or never committed (it may have been censored, or its
	/// endpoint flooded) leaves the round unsettled: silence is not a vote.
	pub(crate) fn unsettled_first_round(task: &TaskInfoOf<T>) -> bool {
		let Some(first) = task.executors.first().and_then(|e| e.result) else {
			return task.appeal.is_none() && task.executors.iter().any(|e| e.result.is_some());
		};
		task.appeal.is_none() && task.executors.iter().any(|e| e.result != Some(first))
	}

	/// Whether the jury's winning result `result` may decide the appealed `task`: counting the
	/// reveals of both rounds, it has more votes than any other result. Always true for a task
	/// that was not appealed.
	pub(crate) fn jury_may_decide(task: &TaskInfoOf<T>, result: H256) -> bool {
		if task.appeal.is_none() {
			return true;
		}
		let votes_for = |r: H256| task.executors.iter().filter(|e| e.result == Some(r)).count();
		let votes = votes_for(result);
		task.executors
			.iter()
			.filter_map(|e| e.result)
			.filter(|r| *r != result)
			.all(|other| votes_for(other) < votes)
	}

	/// Appeal a contradicted first round (see the module documentation): queue the task for a
	/// jury, or fail it `Disputed` if no jury can be drawn.
	pub(crate) fn appeal(
		id: TaskId,
		mut task: TaskInfoOf<T>,
		now: BlockNumberFor<T>,
		weight: &mut Weight,
	) {
		// The queue, the holder list and the model record.
		weight.saturating_accrue(T::DbWeight::get().reads_writes(3, 2));
		let first_round: Vec<T::AccountId> =
			task.executors.iter().map(|e| e.node.clone()).collect();
		// Release the first round from the holder list and count who else could sit.
		let mut others = 0u32;
		Holders::<T>::mutate_exists(task.model, |holders| {
			for entry in holders.iter_mut().flatten() {
				if first_round.contains(&entry.node) {
					entry.tasks.retain(|t| *t != id);
				} else if entry.available {
					others = others.saturating_add(1);
				}
			}
		});
		let mut queue = TaskQueue::<T>::get();
		let room = Pending::<T>::len(&queue.pending) < T::MaxQueuedTasks::get();
		// Without another holder now, the task waits for one (replication replaces a holder
		// that fell silent) up to one demand window, like any jury.
		if !room || !Self::model_is_live(task.model) {
			Self::fail_task(id, task, TaskFailure::Disputed, now);
			return;
		}
		let jury = jury_size::<T>(first_round.len() as u32).min(others);
		task.appeal = Some(Appeal { jury_from: first_round.len() as u32, disputed_at: now });
		task.status = TaskStatus::Waiting;
		// The creator heard of the task when it was assigned: no "waiting for holders" notice.
		task.waiting_notified = true;
		Self::queue_pending(&mut queue.pending, id, &mut task);
		TaskQueue::<T>::put(queue);
		Tasks::<T>::insert(id, task);
		Self::deposit_event(Event::TaskAppealed { task: id, jury });
	}
}
