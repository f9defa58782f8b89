//! Tasks: creation, executor assignment, commit and reveal, cancellation.
//!
//! A task is created with its fee held and waits in the pending-task queue (a storage FIFO, see
//! [`crate::queue`]). In the `on_initialize` of a later block, `executors_per_task` distinct
//! executors are drawn among the model's available holders: a draw picks a random position of
//! the model's dense holder index (moving on to the next position if that holder was already
//! chosen) and accepts the holder if it is active, has room for another task and passes a QoS
//! roll (probability `qos / 1000`); at most `DRAWS_PER_EXECUTOR` draws per executor are spent.
//! The seed mixes the block's randomness with the task id, so it is unknown when the task is
//! submitted.
//! A task that cannot be served stays queued (at the back), emits `TaskWaitingForHolders`
//! once, and its model's replication is triggered. A task waiting longer than one demand
//! window fails with `NoHolders` and is refunded.

use crate::{pallet::*, types::*};
use crate::{placement::BlockSeed, queue::Fifo, weights::WeightInfo};
use alloc::vec::Vec;
use codec::Encode;
use frame_support::{
	ensure,
	pallet_prelude::*,
	traits::{fungible::MutateHold, tokens::Precision},
};
use frame_system::pallet_prelude::BlockNumberFor;
use sp_core::H256;
use sp_runtime::traits::{Saturating, Zero};

/// Random draws spent per wanted executor in one examination of a task.
pub const DRAWS_PER_EXECUTOR: u32 = 2;

/// The pending-task queue. A cancelled task leaves its entry behind (skipped when reached).
pub(crate) type Pending<T> = Fifo<PendingTasks<T>, PendingTasksRange<T>, TaskId>;

impl<T: Config> Pallet<T> {
	pub(crate) fn do_create_task(
		who: T::AccountId,
		model: ModelId,
		input: InputOf<T>,
		fee: BalanceOf<T>,
	) -> DispatchResult {
		ensure!(!fee.is_zero(), Error::<T>::ZeroFee);
		let mut info = Self::live_model(model)?;
		let id = NextTaskId::<T>::get();
		ensure!(Pending::<T>::len() < T::MaxQueuedTasks::get(), Error::<T>::TaskQueueFull);
		T::Currency::hold(&HoldReason::TaskFee.into(), &who, fee)
			.map_err(|_| Error::<T>::InsufficientBalance)?;
		Pending::<T>::push(id);
		let now = frame_system::Pallet::<T>::block_number();
		NextTaskId::<T>::put(id.saturating_add(1));
		Tasks::<T>::insert(
			id,
			TaskInfo {
				model,
				creator: who.clone(),
				fee,
				input,
				created_at: now,
				status: TaskStatus::Waiting,
				executors: BoundedVec::new(),
				waiting_notified: false,
			},
		);
		Self::note_demand(model, &mut info, now);
		Models::<T>::insert(model, info);
		Self::deposit_event(Event::TaskCreated { task: id, model, creator: who, fee });
		Ok(())
	}

	pub(crate) fn do_cancel_task(who: T::AccountId, id: TaskId) -> DispatchResult {
		let task = Tasks::<T>::get(id).ok_or(Error::<T>::TaskNotFound)?;
		ensure!(task.creator == who, Error::<T>::NotTaskCreator);
		ensure!(task.status == TaskStatus::Waiting, Error::<T>::TaskAlreadyAssigned);
		// The queue entry stays; it is skipped once it reaches the front.
		Self::refund_fee(&task.creator, task.fee);
		Tasks::<T>::remove(id);
		Self::deposit_event(Event::TaskCancelled { task: id });
		Ok(())
	}

	/// Return a task fee (or what is left of it) to its creator.
	pub(crate) fn refund_fee(creator: &T::AccountId, amount: BalanceOf<T>) {
		if amount.is_zero() {
			return;
		}
		let released = T::Currency::release(
			&HoldReason::TaskFee.into(),
			creator,
			amount,
			Precision::BestEffort,
		);
		debug_assert!(released.is_ok());
	}

	/// Examine up to `MaxAssignmentsPerBlock` waiting tasks from the front of the queue; tasks
	/// that cannot be served yet go to the back. Returns the weight.
	pub(crate) fn assign_waiting(now: BlockNumberFor<T>, seed: &BlockSeed) -> Weight {
		let mut weight = Weight::zero();
		let take = T::MaxAssignmentsPerBlock::get().min(Pending::<T>::len());
		if take == 0 {
			return weight;
		}
		let p = Params::<T>::get();
		let k = p.executors_per_task;
		for _ in 0..take {
			let Some(id) = Pending::<T>::pop() else {
				break;
			};
			let Some(mut task) = Tasks::<T>::get(id).filter(|t| t.status == TaskStatus::Waiting)
			else {
				// A cancelled task.
				weight.saturating_accrue(T::WeightInfo::assign_unserved(0));
				continue;
			};
			let Some(mut info) = Models::<T>::get(task.model).filter(|m| !m.retiring) else {
				weight.saturating_accrue(T::WeightInfo::assign_unserved(0));
				Self::fail_task(id, task, TaskFailure::ModelGone, now);
				continue;
			};
			if now.saturating_sub(task.created_at) > p.demand_window {
				weight.saturating_accrue(T::WeightInfo::assign_unserved(0));
				Self::fail_task(id, task, TaskFailure::NoHolders, now);
				continue;
			}
			let draws = Self::try_assign(id, &mut task, &info, &p, now, seed);
			if draws.1 {
				weight.saturating_accrue(T::WeightInfo::assign_executors(k));
				// Rejected draws cost what they cost in an unserved examination, which makes
				// `DRAWS_PER_EXECUTOR` draws per wanted executor.
				let rejected = draws.0.saturating_sub(k);
				weight.saturating_accrue(
					T::WeightInfo::assign_unserved(rejected)
						.saturating_sub(T::WeightInfo::assign_unserved(0))
						/ u64::from(DRAWS_PER_EXECUTOR),
				);
				Tasks::<T>::insert(id, task);
				continue;
			}
			weight.saturating_accrue(T::WeightInfo::assign_unserved(k));
			if !task.waiting_notified {
				task.waiting_notified = true;
				Self::deposit_event(Event::TaskWaitingForHolders { task: id, model: task.model });
			}
			Self::ensure_replication(task.model, &mut info);
			Models::<T>::insert(task.model, info);
			Tasks::<T>::insert(id, task);
			Pending::<T>::push(id);
		}
		weight
	}

	/// Draw executors for a waiting task and start its commit phase. Returns the draws spent
	/// and whether executors were assigned (if not, nothing changed).
	fn try_assign(
		id: TaskId,
		task: &mut TaskInfoOf<T>,
		info: &ModelInfoOf<T>,
		p: &ParamsOf<T>,
		now: BlockNumberFor<T>,
		seed: &BlockSeed,
	) -> (u32, bool) {
		let k = p.executors_per_task;
		if info.available < k {
			return (0, false);
		}
		let model = task.model;
		let holders = Holders::<T>::get(model);
		let count = holders.len() as u32;
		let mut stream = seed.stream(b"modelnet/executors", id);
		let mut tried: Vec<u32> = Vec::new();
		let mut chosen: Vec<(T::AccountId, NodeInfoOf<T>)> = Vec::new();
		let mut draws = 0;
		while (chosen.len() as u32) < k
			&& draws < k.saturating_mul(DRAWS_PER_EXECUTOR)
			&& (tried.len() as u32) < count
		{
			draws += 1;
			let (pick, roll) = stream.next_pair();
			// The first position from the drawn one on that was not tried yet.
			let mut position = pick % count;
			while tried.contains(&position) {
				position = (position + 1) % count;
			}
			tried.push(position);
			let Some(entry) = holders.get(position as usize) else {
				continue;
			};
			let Some(node) = Nodes::<T>::get(&entry.node) else {
				continue;
			};
			if node.status != NodeStatus::Active
				|| node.tasks.len() >= T::MaxTasksPerNode::get() as usize
				|| !Self::qos_accepts(node.qos, roll)
			{
				continue;
			}
			chosen.push((entry.node.clone(), node));
		}
		if (chosen.len() as u32) < k {
			return (draws, false);
		}
		let deadline = now.saturating_add(p.commit_deadline);
		Self::schedule_deadline(deadline, DeadlineItem::TaskPhase { task: id });
		let mut executors: Vec<T::AccountId> = Vec::new();
		for (who, mut node) in chosen {
			// Room was checked while drawing.
			let _ = node.tasks.try_push((id, model));
			Nodes::<T>::insert(&who, node);
			executors.push(who);
		}
		let executors: ExecutorsOf<T> = BoundedVec::truncate_from(executors);
		task.executors = BoundedVec::truncate_from(
			executors
				.iter()
				.map(|node| Executor {
					node: node.clone(),
					commitment: None,
					result: None,
					reveal_rank: None,
				})
				.collect::<Vec<_>>(),
		);
		task.status = TaskStatus::Commit { deadline };
		Self::deposit_event(Event::ExecutorsAssigned {
			task: id,
			executors,
			commit_deadline: deadline,
		});
		(draws, true)
	}

	pub(crate) fn do_commit_result(
		who: T::AccountId,
		id: TaskId,
		commitment: H256,
	) -> DispatchResult {
		let mut task = Tasks::<T>::get(id).ok_or(Error::<T>::TaskNotFound)?;
		let now = frame_system::Pallet::<T>::block_number();
		ensure!(
			matches!(task.status, TaskStatus::Commit { deadline } if now < deadline),
			Error::<T>::WrongPhase
		);
		let slot =
			task.executors.iter_mut().find(|e| e.node == who).ok_or(Error::<T>::NotExecutor)?;
		ensure!(slot.commitment.is_none(), Error::<T>::AlreadyCommitted);
		slot.commitment = Some(commitment);
		Self::deposit_event(Event::ResultCommitted { task: id, executor: who });
		if task.executors.iter().all(|e| e.commitment.is_some()) {
			Self::start_reveal(id, &mut task, now);
		}
		Tasks::<T>::insert(id, task);
		Ok(())
	}

	/// Enter the reveal phase.
	pub(crate) fn start_reveal(id: TaskId, task: &mut TaskInfoOf<T>, now: BlockNumberFor<T>) {
		let deadline = now.saturating_add(Params::<T>::get().reveal_deadline);
		Self::schedule_deadline(deadline, DeadlineItem::TaskPhase { task: id });
		task.status = TaskStatus::Reveal { deadline };
		Self::deposit_event(Event::RevealPhaseStarted { task: id, reveal_deadline: deadline });
	}

	pub(crate) fn do_reveal_result(
		who: T::AccountId,
		id: TaskId,
		result: H256,
		salt: H256,
	) -> DispatchResult {
		let mut task = Tasks::<T>::get(id).ok_or(Error::<T>::TaskNotFound)?;
		let now = frame_system::Pallet::<T>::block_number();
		ensure!(
			matches!(task.status, TaskStatus::Reveal { deadline } if now < deadline),
			Error::<T>::WrongPhase
		);
		let rank = task.executors.iter().filter(|e| e.result.is_some()).count() as u32;
		let slot =
			task.executors.iter_mut().find(|e| e.node == who).ok_or(Error::<T>::NotExecutor)?;
		let commitment = slot.commitment.ok_or(Error::<T>::NotCommitted)?;
		ensure!(slot.result.is_none(), Error::<T>::AlreadyRevealed);
		let expected = H256(sp_io::hashing::blake2_256(&(who.clone(), result, salt).encode()));
		ensure!(expected == commitment, Error::<T>::CommitmentMismatch);
		slot.result = Some(result);
		slot.reveal_rank = Some(rank);
		Self::deposit_event(Event::ResultRevealed { task: id, executor: who, result });

		let complete = task.executors.iter().all(|e| e.commitment.is_none() || e.result.is_some());
		if complete {
			// The reveal phase ends now; the resolution (payments, slashes, QoS) runs in the
			// next block's `on_initialize`, where its cost is bounded per block.
			let deadline = now.saturating_add(1u32.into());
			Self::schedule_deadline(deadline, DeadlineItem::TaskPhase { task: id });
			task.status = TaskStatus::Reveal { deadline };
		}
		Tasks::<T>::insert(id, task);
		Ok(())
	}
}
