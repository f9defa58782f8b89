//! Tasks: creation, executor assignment, commit and reveal, cancellation.
//!
//! A task is created with its fee held and waits in the pending-task ring (see
//! [`crate::queue::Ring`]); creating it writes the task, the fee hold and one queue value. In
//! the `on_initialize` of a later block, `executors_per_task` distinct executors are drawn
//! among the model's holders: a draw picks a random position of the model's holder list among
//! those not drawn yet for the task (see [`DrawOrder`]) and accepts the holder if its copy is
//! available, it executes fewer than `MaxTasksPerHolder` tasks of the model, its node is
//! active and it passes a QoS roll (probability `qos / 1000`); at most `DRAWS_PER_EXECUTOR`
//! draws per executor are spent. Places still open after the draws go to the drawn holders
//! that could take the task but lost their roll, first drawn first: the rolls favour high
//! scores, they never make a task wait while enough holders can serve it. The seed mixes the
//! block's randomness with the task id, so it is unknown when the task is submitted. The same
//! randomness gives the task's challenge ([`TaskInfo::challenge`]): the executors compute the
//! spot-check over `challenge ‖ input`, so a result published for an earlier task with the same
//! input does not answer this one.
//! The executors' tasks are recorded in the model's holder list, so assigning a task writes
//! the task and that list whatever the number of executors; the commit phases started in one
//! block share one deadline entry.
//! A task that cannot be served goes to the back of the ring and emits `TaskWaitingForHolders`
//! once. A task waiting longer than one demand window fails with `NoHolders` and is refunded.
//!
//! The ring holds exactly the waiting tasks: each task records its slot
//! ([`TaskInfo::queue_slot`], written with the task, so creating a task costs no extra write)
//! and cancelling a task frees its slot at once, the last waiting task moving into it. So
//! creating and cancelling tasks in a loop, with the fee refunded every time, occupies no place
//! of the queue. A task's input holds a storage deposit
//! (`TaskInputDepositPerByte` per byte) until its record is removed (cancelled or pruned).
//!
//! Committing a result counts as an open commitment of the node until the task resolves; a
//! node cannot leave while it has one, so a wrong answer cannot escape its slash.
//!
//! Results are committed, revealed, compared and published sealed
//! ([`crate::offchain::sealed_result`]: a hash of the task id and the result): a first-round
//! executor reveals only the seal, an appeal juror the result itself. So the first round's
//! reveals, public when a jury is drawn, give a juror without the file nothing to copy.

use crate::{pallet::*, types::*};
use crate::{
	placement::{BlockSeed, DistinctPositions},
	queue::Ring,
	randomness::BlockRandomness,
	weights::WeightInfo,
};
use alloc::vec::Vec;
use frame_support::{
	ensure,
	pallet_prelude::*,
	traits::{fungible::MutateHold, tokens::Precision},
};
use frame_system::pallet_prelude::BlockNumberFor;
use sp_core::H256;
use sp_runtime::traits::{Saturating, UniqueSaturatedInto, Zero};

/// Random draws spent per wanted executor in one examination of a task.
pub const DRAWS_PER_EXECUTOR: u32 = 2;

/// The holder positions a task's draws visit, in order, with the QoS roll of each: uniformly
/// random without repetition (see [`DistinctPositions`]). Ends when every position was drawn.
pub(crate) struct DrawOrder(DistinctPositions);

impl DrawOrder {
	/// The draws for task `id` among `count` holders.
	pub(crate) fn new(seed: &BlockSeed, id: TaskId, count: u32) -> Self {
		Self(DistinctPositions::new(seed.stream(b"modelnet/executors", id), count))
	}
}

impl Iterator for DrawOrder {
	type Item = (u32, u32);

	fn next(&mut self) -> Option<(u32, u32)> {
		self.0.next()
	}
}

/// The pending-task ring.
pub(crate) type Pending<T> = Ring<PendingTasks<T>, <T as Config>::MaxQueuedTasks, TaskId>;

impl<T: Config> Pallet<T> {
	/// Put task `id` at the back of the pending ring and record its slot in `task`, which the
	/// caller writes (nothing happens if the ring is full; callers check for room first).
	pub(crate) fn queue_pending(pending: &mut RingRange, id: TaskId, task: &mut TaskInfoOf<T>) {
		if let Some(slot) = Pending::<T>::push_slot(pending, id) {
			task.queue_slot = slot;
		}
	}

	pub(crate) fn do_create_task(
		who: T::AccountId,
		model: ModelId,
		input: InputOf<T>,
		fee: BalanceOf<T>,
	) -> DispatchResult {
		ensure!(fee >= T::MinTaskFee::get() && !fee.is_zero(), Error::<T>::FeeBelowMinimum);
		Self::live_model(model)?;
		let mut queue = TaskQueue::<T>::get();
		let id = queue.next_task;
		ensure!(
			Pending::<T>::len(&queue.pending) < T::MaxQueuedTasks::get(),
			Error::<T>::TaskQueueFull
		);
		let deposit = Self::task_deposit(input.len());
		T::Currency::hold(&HoldReason::TaskFee.into(), &who, fee)
			.map_err(|_| Error::<T>::InsufficientBalance)?;
		if !deposit.is_zero() {
			T::Currency::hold(&HoldReason::TaskDeposit.into(), &who, deposit)
				.map_err(|_| Error::<T>::InsufficientBalance)?;
		}
		let mut task = TaskInfo {
			model,
			creator: who.clone(),
			fee,
			deposit,
			input,
			challenge: H256::zero(),
			created_at: frame_system::Pallet::<T>::block_number(),
			status: TaskStatus::Waiting,
			executors: BoundedVec::new(),
			waiting_notified: false,
			queue_slot: 0,
			appeal: None,
		};
		Self::queue_pending(&mut queue.pending, id, &mut task);
		queue.next_task = id.saturating_add(1);
		TaskQueue::<T>::put(queue);
		Tasks::<T>::insert(id, task);
		Self::deposit_event(Event::TaskCreated { task: id, model, creator: who, fee, deposit });
		Ok(())
	}

	pub(crate) fn do_cancel_task(who: T::AccountId, id: TaskId) -> DispatchResult {
		let task = Tasks::<T>::get(id).ok_or(Error::<T>::TaskNotFound)?;
		ensure!(task.creator == who, Error::<T>::NotTaskCreator);
		// A task waiting for its appeal jury was assigned once: its executors' commitments
		// are open until the jury decides.
		ensure!(
			task.status == TaskStatus::Waiting && task.appeal.is_none(),
			Error::<T>::TaskAlreadyAssigned
		);
		// Free the task's place in the queue at once: the last waiting task moves into it.
		let mut queue = TaskQueue::<T>::get();
		let slot = task.queue_slot;
		let queued = PendingTasks::<T>::get(slot) == Some(id);
		if let Some(moved) =
			queued.then(|| Pending::<T>::remove(&mut queue.pending, slot)).flatten()
		{
			Tasks::<T>::mutate(moved, |moved| {
				if let Some(moved) = moved {
					moved.queue_slot = slot;
				}
			});
		}
		TaskQueue::<T>::put(queue);
		Self::refund_fee(&task.creator, task.fee);
		Self::release_task_deposit(&task.creator, task.deposit);
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

	/// Return a task's storage deposit to its creator.
	pub(crate) fn release_task_deposit(creator: &T::AccountId, amount: BalanceOf<T>) {
		if amount.is_zero() {
			return;
		}
		let released = T::Currency::release(
			&HoldReason::TaskDeposit.into(),
			creator,
			amount,
			Precision::BestEffort,
		);
		debug_assert!(released.is_ok());
	}

	/// Examine up to `MaxAssignmentsPerBlock` waiting tasks from the front of the queue; tasks
	/// that cannot be served yet go to the back. The commit phases started in this block end
	/// together, through one deadline entry. Returns the weight.
	pub(crate) fn assign_waiting(
		now: BlockNumberFor<T>,
		randomness: &BlockRandomness<BlockNumberFor<T>>,
	) -> Weight {
		let mut queue = TaskQueue::<T>::get();
		let take = T::MaxAssignmentsPerBlock::get().min(Pending::<T>::len(&queue.pending));
		if take == 0 {
			return Weight::zero();
		}
		// Every examined task is charged as the costlier of a served or an unserved
		// examination at their worst (all draws spent, each reading a node).
		let mut weight =
			T::WeightInfo::assign_executors(take).max(T::WeightInfo::assign_unserved(take));
		let p = Params::<T>::get();
		let deadline = now.saturating_add(p.commit_deadline);
		let mut assigned: Vec<TaskId> = Vec::new();
		for _ in 0..take {
			let Some(id) = Pending::<T>::pop(&mut queue.pending) else {
				break;
			};
			let Some(mut task) = Tasks::<T>::get(id).filter(|t| t.status == TaskStatus::Waiting)
			else {
				// Cannot happen: a cancelled task leaves the ring.
				continue;
			};
			let Some(info) = Models::<T>::get(task.model).filter(|m| !m.retiring) else {
				weight.saturating_accrue(T::WeightInfo::fail_waiting_task());
				Self::fail_task(id, task, TaskFailure::ModelGone, now);
				continue;
			};
			// A first round waits from the task's creation, a jury from the dispute.
			let (since, reason) = match task.appeal {
				None => (task.created_at, TaskFailure::NoHolders),
				Some(appeal) => (appeal.disputed_at, TaskFailure::Disputed),
			};
			if now.saturating_sub(since) > p.demand_window {
				weight.saturating_accrue(T::WeightInfo::fail_waiting_task());
				Self::fail_task(id, task, reason, now);
				continue;
			}
			// Randomness known when the task was created (or disputed) must not serve it: the
			// task waits.
			let Some(seed) = randomness.fresh_seed(since) else {
				// Room is certain: the entry was just popped.
				Self::queue_pending(&mut queue.pending, id, &mut task);
				Tasks::<T>::insert(id, task);
				continue;
			};
			if task.appeal.is_some() {
				// A jury of up to 2k + 1 costs at most two more examinations at their worst.
				weight.saturating_accrue(
					T::WeightInfo::assign_executors(2)
						.saturating_sub(T::WeightInfo::assign_executors(0)),
				);
			}
			if Self::try_assign(id, &mut task, &info, &p, deadline, seed) {
				Tasks::<T>::insert(id, task);
				assigned.push(id);
				continue;
			}
			if !task.waiting_notified {
				task.waiting_notified = true;
				Self::deposit_event(Event::TaskWaitingForHolders { task: id, model: task.model });
			}
			// Room is certain: the entry was just popped.
			Self::queue_pending(&mut queue.pending, id, &mut task);
			Tasks::<T>::insert(id, task);
		}
		TaskQueue::<T>::put(queue);
		if !assigned.is_empty() {
			let tasks = BoundedVec::truncate_from(assigned);
			Self::schedule_deadline(deadline, DeadlineItem::CommitPhases { tasks });
		}
		weight
	}

	/// Draw executors for a waiting task and start its commit phase, ending at `deadline`.
	/// Returns whether executors were assigned (if not, nothing changed).
	///
	/// A drawn holder can take the task if its copy is available, it has room for another task
	/// of this model and its node is active; it is accepted if it also passes the QoS roll.
	/// If the draws end with places open, the holders that could take the task but lost their
	/// roll fill them, in draw order: with as many such holders as places, the task is served
	/// now rather than after as many blocks as the rolls take. Only holders passing the first
	/// two checks (read from the holder list) cost a node read. A first round needs
	/// `executors_per_task` executors; an appeal jury (see [`crate::appeal`]) takes up to
	/// [`crate::appeal::jury_size`] holders outside the first round, at least one, and keeps
	/// the first round's challenge.
	pub(crate) fn try_assign(
		id: TaskId,
		task: &mut TaskInfoOf<T>,
		info: &ModelInfoOf<T>,
		p: &ParamsOf<T>,
		deadline: BlockNumberFor<T>,
		seed: &BlockSeed,
	) -> bool {
		let (wanted, needed) = match task.appeal {
			None => (p.executors_per_task, p.executors_per_task),
			Some(appeal) => (crate::appeal::jury_size::<T>(appeal.jury_from), 1),
		};
		if info.available < needed {
			return false;
		}
		let model = task.model;
		let mut holders = Holders::<T>::get(model);
		let mut draws = DrawOrder::new(seed, id, holders.len() as u32)
			.take(wanted.saturating_mul(DRAWS_PER_EXECUTOR) as usize);
		let mut chosen: Vec<usize> = Vec::new();
		// Holders that could take the task but lost their QoS roll, in draw order.
		let mut passed_over: Vec<usize> = Vec::new();
		while (chosen.len() as u32) < wanted {
			let Some((position, roll)) = draws.next() else {
				break;
			};
			let Some(entry) = holders.get(position as usize) else {
				continue;
			};
			if !entry.available
				|| entry.tasks.is_full()
				|| task.executors.iter().any(|e| e.node == entry.node)
			{
				continue;
			}
			let Some(qos) = Nodes::<T>::get(&entry.node)
				.filter(|node| node.status == NodeStatus::Active)
				.map(|node| node.qos)
			else {
				continue;
			};
			if Self::qos_accepts(qos, roll) {
				chosen.push(position as usize);
			} else {
				passed_over.push(position as usize);
			}
		}
		// The rolls order the draw, they do not make a task wait: places the accepted holders
		// leave open go to the passed-over ones, first drawn first.
		let open = (wanted as usize).saturating_sub(chosen.len());
		chosen.extend(passed_over.into_iter().take(open));
		if (chosen.len() as u32) < needed {
			return false;
		}
		let mut executors: Vec<T::AccountId> = Vec::new();
		for position in chosen {
			if let Some(entry) = holders.get_mut(position) {
				// Room was checked while drawing.
				let _ = entry.tasks.try_push(id);
				executors.push(entry.node.clone());
			}
		}
		Holders::<T>::insert(model, holders);
		for node in executors.iter() {
			// The bound leaves room for a first round and its largest jury.
			let _ = task.executors.try_push(Executor::new(node.clone()));
		}
		task.status = TaskStatus::Commit { deadline };
		if task.appeal.is_none() {
			task.challenge = seed.challenge(id);
		}
		Self::deposit_event(Event::ExecutorsAssigned {
			task: id,
			executors: BoundedVec::truncate_from(executors),
			commit_deadline: deadline,
			challenge: task.challenge,
		});
		true
	}

	pub(crate) fn do_commit_result(
		who: T::AccountId,
		id: TaskId,
		commitment: H256,
	) -> DispatchResult {
		let mut task = Tasks::<T>::get(id).ok_or(Error::<T>::TaskNotFound)?;
		let now = frame_system::Pallet::<T>::block_number();
		let deadline = match task.status {
			TaskStatus::Commit { deadline } if now < deadline => deadline,
			_ => return Err(Error::<T>::WrongPhase.into()),
		};
		let slot = task
			.current_round_mut()
			.iter_mut()
			.find(|e| e.node == who)
			.ok_or(Error::<T>::NotExecutor)?;
		ensure!(slot.commitment.is_none(), Error::<T>::AlreadyCommitted);
		let mut node = Nodes::<T>::get(&who).ok_or(Error::<T>::NotExecutor)?;
		ensure!(node.status != NodeStatus::Leaving, Error::<T>::NodeLeaving);
		node.open_commitments = node.open_commitments.saturating_add(1);
		Nodes::<T>::insert(&who, node);
		slot.commitment = Some(commitment);
		slot.commit_margin = Some(deadline.saturating_sub(now).unique_saturated_into());
		Self::deposit_event(Event::ResultCommitted { task: id, executor: who });
		if task.current_round().iter().all(|e| e.commitment.is_some()) {
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
		let appealed = task.appeal.is_some();
		// A first-round seal is public: revealed by a juror as its result, it is a copy.
		let first_round = task.appeal.map_or(0, |a| a.jury_from as usize);
		let copied = task.executors.iter().take(first_round).any(|e| e.result == Some(result));
		let slot = task
			.current_round_mut()
			.iter_mut()
			.find(|e| e.node == who)
			.ok_or(Error::<T>::NotExecutor)?;
		let commitment = slot.commitment.ok_or(Error::<T>::NotCommitted)?;
		ensure!(slot.result.is_none(), Error::<T>::AlreadyRevealed);
		// A juror must show the result itself; a first-round executor shows only its seal.
		ensure!(!copied, Error::<T>::CopiedSeal);
		let sealed = if appealed { crate::offchain::sealed_result(id, &result) } else { result };
		ensure!(
			crate::offchain::commitment_of(&who, &sealed, &salt) == commitment,
			Error::<T>::CommitmentMismatch
		);
		slot.result = Some(sealed);
		Self::deposit_event(Event::ResultRevealed { task: id, executor: who, result: sealed });

		let complete =
			task.current_round().iter().all(|e| e.commitment.is_none() || e.result.is_some());
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
