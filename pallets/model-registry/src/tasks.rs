//! Tasks: creation, executor assignment, commit and reveal, cancellation.
//!
//! A task is created with its fee held and waits in `PendingTasks`. In the `on_initialize` of
//! a later block, `executors_per_task` distinct executors are drawn among the model's
//! available holders: a draw picks a random position of the model's dense holder index and
//! accepts the holder if it is active, has room for another task and passes a QoS roll
//! (probability `qos / 1000`); at most `DRAWS_PER_EXECUTOR` draws per executor are spent. The
//! seed mixes `T::Randomness` with the task id, so it is unknown when the task is submitted.
//! A task that cannot be served stays queued (at the back), emits `TaskWaitingForHolders`
//! once, and its model's replication is triggered. A task waiting longer than one demand
//! window fails with `NoHolders` and is refunded.

use crate::weights::WeightInfo;
use crate::{pallet::*, types::*};
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

/// Random draws spent per wanted executor.
pub const DRAWS_PER_EXECUTOR: u32 = 4;

impl<T: Config> Pallet<T> {
	pub(crate) fn do_create_task(
		who: T::AccountId,
		model: ModelId,
		input: InputOf<T>,
		fee: BalanceOf<T>,
	) -> DispatchResult {
		ensure!(!fee.is_zero(), Error::<T>::ZeroFee);
		let mut info = Models::<T>::get(model).ok_or(Error::<T>::ModelNotFound)?;
		let id = NextTaskId::<T>::get();
		ensure!(
			PendingTasks::<T>::decode_len().unwrap_or(0) < T::MaxQueuedTasks::get() as usize,
			Error::<T>::TaskQueueFull
		);
		T::Currency::hold(&HoldReason::TaskFee.into(), &who, fee)
			.map_err(|_| Error::<T>::InsufficientBalance)?;
		PendingTasks::<T>::try_mutate(|q| q.try_push(id)).map_err(|_| Error::<T>::TaskQueueFull)?;
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
		PendingTasks::<T>::mutate(|q| q.retain(|t| *t != id));
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

	/// Examine up to `MaxAssignmentsPerBlock` waiting tasks. Returns how many were examined.
	pub(crate) fn assign_waiting(now: BlockNumberFor<T>) -> u32 {
		let queue = PendingTasks::<T>::get();
		if queue.is_empty() {
			return 0;
		}
		let p = Params::<T>::get();
		let take = (T::MaxAssignmentsPerBlock::get() as usize).min(queue.len());
		let mut rest: Vec<TaskId> = queue.into_inner();
		let head: Vec<TaskId> = rest.drain(..take).collect();
		for id in head {
			let Some(mut task) = Tasks::<T>::get(id) else {
				continue;
			};
			if task.status != TaskStatus::Waiting {
				continue;
			}
			let Some(mut info) = Models::<T>::get(task.model) else {
				Self::fail_task(id, task, TaskFailure::ModelGone, now);
				continue;
			};
			if now.saturating_sub(task.created_at) > p.demand_window {
				Self::fail_task(id, task, TaskFailure::NoHolders, now);
				continue;
			}
			if Self::try_assign(id, &mut task, &info, &p, now) {
				Tasks::<T>::insert(id, task);
				continue;
			}
			if !task.waiting_notified {
				task.waiting_notified = true;
				Self::deposit_event(Event::TaskWaitingForHolders { task: id, model: task.model });
			}
			Self::ensure_replication(task.model, &mut info);
			Models::<T>::insert(task.model, info);
			Tasks::<T>::insert(id, task);
			rest.push(id);
		}
		// At most as many entries as before.
		PendingTasks::<T>::put(BoundedVec::truncate_from(rest));
		take as u32
	}

	/// Draw executors for a waiting task and start its commit phase. Returns `false` (with
	/// nothing changed) if not enough executors were found.
	fn try_assign(
		id: TaskId,
		task: &mut TaskInfoOf<T>,
		info: &ModelInfoOf<T>,
		p: &ParamsOf<T>,
		now: BlockNumberFor<T>,
	) -> bool {
		let k = p.executors_per_task;
		if info.available < k || info.holders == 0 {
			return false;
		}
		let model = task.model;
		let mut stream = Self::random_stream(b"modelnet/executors", id);
		let mut chosen: Vec<T::AccountId> = Vec::new();
		let mut draws = 0;
		while (chosen.len() as u32) < k && draws < k.saturating_mul(DRAWS_PER_EXECUTOR) {
			draws += 1;
			let (pick, roll) = stream.next_pair();
			let Some(who) = HolderAt::<T>::get(model, pick % info.holders) else {
				continue;
			};
			if chosen.contains(&who) {
				continue;
			}
			let Some(node) = Nodes::<T>::get(&who) else {
				continue;
			};
			if node.status != NodeStatus::Active
				|| NodeTasks::<T>::decode_len(&who).unwrap_or(0)
					>= T::MaxTasksPerNode::get() as usize
				|| !Self::qos_accepts(node.qos, roll)
			{
				continue;
			}
			chosen.push(who);
		}
		if (chosen.len() as u32) < k {
			return false;
		}
		let item = DeadlineItem::TaskPhase { task: id };
		let Some(deadline) = Self::schedule_deadline(now.saturating_add(p.commit_deadline), item)
		else {
			return false;
		};
		let executors: ExecutorsOf<T> = BoundedVec::truncate_from(chosen);
		for who in executors.iter() {
			NodeTasks::<T>::mutate(who, |list| {
				// Room was checked while drawing.
				let _ = list.try_push((id, model));
			});
		}
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
		true
	}

	pub(crate) fn do_commit_result(
		who: T::AccountId,
		id: TaskId,
		commitment: H256,
	) -> DispatchResult {
		let mut task = Tasks::<T>::get(id).ok_or(Error::<T>::TaskNotFound)?;
		ensure!(matches!(task.status, TaskStatus::Commit { .. }), Error::<T>::WrongPhase);
		let slot =
			task.executors.iter_mut().find(|e| e.node == who).ok_or(Error::<T>::NotExecutor)?;
		ensure!(slot.commitment.is_none(), Error::<T>::AlreadyCommitted);
		slot.commitment = Some(commitment);
		Self::deposit_event(Event::ResultCommitted { task: id, executor: who });
		if task.executors.iter().all(|e| e.commitment.is_some()) {
			let now = frame_system::Pallet::<T>::block_number();
			// If no deadline slot is free the commit phase simply runs to its deadline.
			Self::start_reveal(id, &mut task, now);
		}
		Tasks::<T>::insert(id, task);
		Ok(())
	}

	/// Enter the reveal phase. Returns `false` if no deadline slot could be scheduled.
	pub(crate) fn start_reveal(
		id: TaskId,
		task: &mut TaskInfoOf<T>,
		now: BlockNumberFor<T>,
	) -> bool {
		let p = Params::<T>::get();
		let item = DeadlineItem::TaskPhase { task: id };
		let Some(deadline) = Self::schedule_deadline(now.saturating_add(p.reveal_deadline), item)
		else {
			return false;
		};
		task.status = TaskStatus::Reveal { deadline };
		Self::deposit_event(Event::RevealPhaseStarted { task: id, reveal_deadline: deadline });
		true
	}

	pub(crate) fn do_reveal_result(
		who: T::AccountId,
		id: TaskId,
		result: H256,
		salt: H256,
	) -> DispatchResultWithPostInfo {
		let mut task = Tasks::<T>::get(id).ok_or(Error::<T>::TaskNotFound)?;
		ensure!(matches!(task.status, TaskStatus::Reveal { .. }), Error::<T>::WrongPhase);
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

		let mut weight = T::WeightInfo::reveal_result();
		let complete = task.executors.iter().all(|e| e.commitment.is_none() || e.result.is_some());
		if complete {
			let now = frame_system::Pallet::<T>::block_number();
			Self::resolve_task(id, task, now, &mut weight);
		} else {
			Tasks::<T>::insert(id, task);
		}
		Ok(Some(weight).into())
	}

	/// Declared weight of `reveal_result`: a resolution in which every executor is kicked out.
	pub fn reveal_weight_upper_bound() -> Weight {
		let k = Self::max_executors();
		T::WeightInfo::reveal_result()
			.saturating_add(T::WeightInfo::resolve_task(k))
			.saturating_add(
				T::WeightInfo::kick_out(T::MaxModelsPerNode::get()).saturating_mul(u64::from(k)),
			)
	}
}
