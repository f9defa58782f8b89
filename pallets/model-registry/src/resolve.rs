//! Task phase ends and resolution: payments, slashes, QoS samples, pruning.
//!
//! Rules:
//! - At the commit deadline, executors that did not commit get a QoS sample of 0 and are
//!   released from the task. Without any commitment the task fails (`NoAnswers`); otherwise
//!   the reveal phase starts.
//! - A task resolves in the block after every committed executor revealed, or at the reveal
//!   deadline.
//! - Without any revealed result the task fails (`NoAnswers`) and the creator is refunded.
//! - Quorum of a jury: a result wins if strictly more than half of the jury's *assigned*
//!   executors revealed it. Ties and results short of that quorum fail the task (`NoQuorum`)
//!   and the creator is refunded; nobody is slashed then.
//! - A first round resolves at once only when every assigned executor revealed the same
//!   result. Any other first round with at least one revealed result (a split, a withheld
//!   reveal, an executor that never committed) is appealed first: a larger jury of other
//!   holders answers the same task and majority decides if that result also leads the count of
//!   both rounds' reveals; the rules below then apply to both rounds, against the jury's
//!   result (see [`crate::appeal`]).
//! - The winners share the fee equally (the indivisible remainder returns to the creator) and
//!   receive QoS samples by how promptly they committed (see [`crate::qos`]), never by the
//!   order of their reveals.
//! - Executors that revealed another result are slashed by `slash_fraction` of their held
//!   stake (the slashed amount is burnt), get a QoS sample of 0 and stop holding the model:
//!   their result shows they do not have the right file.
//! - Once a result wins, executors that committed but did not reveal are treated like the
//!   minority (slashed, QoS 0, dropped as holder): otherwise an executor that sees its
//!   committed result lose would simply not reveal. Without a winner they get a QoS sample of
//!   0.
//! - A slashed executor may not hold the model again for `COOLDOWN_WINDOWS` demand windows
//!   (no nomination, no draw, no announcement).
//! - A node kicked out while it has open commitments keeps its stake held until their tasks
//!   resolve, so it is slashed like any other executor; the rest is released then.
//! - QoS penalties are not applied when the model was deregistered meanwhile (its holders were
//!   told to delete it).
//! - A resolved task stays readable for one demand window, then it is pruned and the storage
//!   deposit of its input returned.

use crate::weights::WeightInfo;
use crate::{pallet::*, types::*};
use alloc::vec::Vec;
use frame_support::{
	pallet_prelude::*,
	traits::{
		fungible::MutateHold,
		tokens::{Fortitude, Precision, Restriction},
	},
};
use frame_system::pallet_prelude::BlockNumberFor;
use sp_core::H256;
use sp_runtime::traits::{Saturating, UniqueSaturatedInto, Zero};

impl<T: Config> Pallet<T> {
	/// Deadline handler: end the current phase of a task if `at` is its deadline.
	pub(crate) fn end_task_phase(
		id: TaskId,
		at: BlockNumberFor<T>,
		now: BlockNumberFor<T>,
		weight: &mut Weight,
	) {
		let Some(mut task) = Tasks::<T>::get(id) else {
			return;
		};
		match task.status {
			TaskStatus::Commit { deadline } if deadline == at => {
				weight.saturating_accrue(T::WeightInfo::end_commit_phase(
					task.executors.len() as u32
				));
				let model_exists = Self::model_is_live(task.model);
				let silent: Vec<T::AccountId> = task
					.current_round()
					.iter()
					.filter(|e| e.commitment.is_none())
					.map(|e| e.node.clone())
					.collect();
				Self::release_executors(task.model, id, &silent);
				if task.current_round().iter().all(|e| e.commitment.is_none()) {
					Self::resolve_task(id, task, now, weight);
				} else {
					Self::start_reveal(id, &mut task, now);
					Tasks::<T>::insert(id, task);
				}
				if model_exists {
					for who in silent.iter() {
						Self::record_qos(who, 0, weight);
					}
				}
			}
			TaskStatus::Reveal { deadline } if deadline == at => {
				Self::resolve_task(id, task, now, weight);
			}
			_ => {}
		}
	}

	/// Deadline handler: remove a resolved task record and return its storage deposit.
	pub(crate) fn prune_task(id: TaskId) {
		let pruned = Tasks::<T>::mutate_exists(id, |task| {
			let resolved = task.as_ref().is_some_and(|t| {
				matches!(t.status, TaskStatus::Completed { .. } | TaskStatus::Failed { .. })
			});
			if resolved {
				task.take()
			} else {
				None
			}
		});
		if let Some(task) = pruned {
			Self::release_task_deposit(&task.creator, task.deposit);
		}
	}

	/// Remove task `id` from the holder entries of `nodes` for `model` (one write).
	pub(crate) fn release_executors(model: ModelId, id: TaskId, nodes: &[T::AccountId]) {
		if nodes.is_empty() {
			return;
		}
		Holders::<T>::mutate_exists(model, |holders| {
			for entry in holders.iter_mut().flatten().filter(|h| nodes.contains(&h.node)) {
				entry.tasks.retain(|t| *t != id);
			}
		});
	}

	/// Store a resolved task, count it in its model's demand and schedule its removal.
	fn store_resolved(id: TaskId, task: TaskInfoOf<T>, now: BlockNumberFor<T>) {
		let retention = Params::<T>::get().demand_window;
		Self::schedule_deadline(now.saturating_add(retention), DeadlineItem::Prune { task: id });
		Models::<T>::mutate_extant(task.model, |info| Self::note_demand(task.model, info, now));
		Tasks::<T>::insert(id, task);
	}

	/// Whether `model` is registered and not being deregistered.
	pub(crate) fn model_is_live(model: ModelId) -> bool {
		Models::<T>::get(model).is_some_and(|m| !m.retiring)
	}

	/// Fail a task without result, refund its creator and store it. Commitments still open
	/// (a first round waiting for its appeal jury) are closed; nobody is slashed.
	pub(crate) fn fail_task(
		id: TaskId,
		mut task: TaskInfoOf<T>,
		reason: TaskFailure,
		now: BlockNumberFor<T>,
	) {
		Self::refund_fee(&task.creator, task.fee);
		let executors: Vec<T::AccountId> = task.executors.iter().map(|e| e.node.clone()).collect();
		Self::release_executors(task.model, id, &executors);
		let committed = Self::close_commitments(&task);
		task.status = TaskStatus::Failed { reason };
		Self::store_resolved(id, task, now);
		Self::deposit_event(Event::TaskFailed { task: id, reason });
		for who in committed.iter() {
			Self::settle_departed(who);
		}
	}

	/// Count down the open commitments of the task's executors that committed (in either
	/// round); returns them.
	fn close_commitments(task: &TaskInfoOf<T>) -> Vec<T::AccountId> {
		let committed: Vec<T::AccountId> = task
			.executors
			.iter()
			.filter(|e| e.commitment.is_some())
			.map(|e| e.node.clone())
			.collect();
		for who in committed.iter() {
			Nodes::<T>::mutate_extant(who, |node| {
				node.open_commitments = node.open_commitments.saturating_sub(1)
			});
		}
		committed
	}

	/// Resolve a task (see the module documentation) and store it.
	pub(crate) fn resolve_task(
		id: TaskId,
		mut task: TaskInfoOf<T>,
		now: BlockNumberFor<T>,
		weight: &mut Weight,
	) {
		let assigned = task.executors.len() as u32;
		weight.saturating_accrue(T::WeightInfo::resolve_task(assigned));
		let model_info = Models::<T>::get(task.model);
		let model_exists = model_info.as_ref().is_some_and(|m| !m.retiring);
		let model_size = model_info.map_or(0, |m| m.size_bytes);

		// Tally the current round's revealed results (the jury's after an appeal).
		let round = task.current_round();
		let voters = round.len() as u32;
		let mut tally: Vec<(H256, u32)> = Vec::new();
		for result in round.iter().filter_map(|e| e.result) {
			match tally.iter_mut().find(|(r, _)| *r == result) {
				Some((_, n)) => *n += 1,
				None => tally.push((result, 1)),
			}
		}
		let best = tally.iter().map(|(_, n)| *n).max().unwrap_or(0);
		let leaders = tally.iter().filter(|(_, n)| *n == best).count();
		let mut winner = tally
			.iter()
			.find(|(_, n)| *n == best)
			.map(|(r, _)| *r)
			.filter(|_| leaders == 1 && best > voters / 2);
		if Self::unsettled_first_round(&task) {
			Self::appeal(id, task, now, weight);
			return;
		}
		// A jury result that does not also lead the count of both rounds decides nothing.
		let outweighed = winner.is_some_and(|result| !Self::jury_may_decide(&task, result));
		if outweighed {
			winner = None;
		}

		let executors: Vec<T::AccountId> = task.executors.iter().map(|e| e.node.clone()).collect();
		Self::release_executors(task.model, id, &executors);
		let committed = Self::close_commitments(&task);

		// QoS samples are applied last: a kick-out must not interfere with the bookkeeping.
		let mut samples: Vec<(T::AccountId, u32)> = Vec::new();
		match winner {
			Some(result) => {
				let majority: Vec<&Executor<T::AccountId>> =
					task.executors.iter().filter(|e| e.result == Some(result)).collect();
				let paid: Vec<T::AccountId> = majority.iter().map(|e| e.node.clone()).collect();
				Self::pay_executors(&task.creator, task.fee, &paid);
				let window: u32 = Params::<T>::get().commit_deadline.unique_saturated_into();
				for e in majority {
					let margin = e.commit_margin.unwrap_or(0);
					let sample = Self::commit_sample(margin, window, model_size);
					samples.push((e.node.clone(), sample));
				}
				for e in task.executors.iter() {
					// A committed executor that withheld its result loses what a revealed
					// minority loses: it saw the majority and had no better answer.
					let lost = match e.result {
						Some(r) => r != result,
						None => e.commitment.is_some(),
					};
					if lost {
						Self::slash_executor(id, &e.node, task.model, now);
						samples.push((e.node.clone(), 0));
					}
				}
				task.status = TaskStatus::Completed { result };
				Self::deposit_event(Event::TaskCompleted {
					task: id,
					result,
					paid: BoundedVec::truncate_from(paid),
				});
			}
			None => {
				Self::refund_fee(&task.creator, task.fee);
				for e in task.executors.iter() {
					if e.commitment.is_some() && e.result.is_none() {
						samples.push((e.node.clone(), 0));
					}
				}
				let reason = if outweighed {
					TaskFailure::Disputed
				} else if tally.is_empty() {
					TaskFailure::NoAnswers
				} else {
					TaskFailure::NoQuorum
				};
				task.status = TaskStatus::Failed { reason };
				Self::deposit_event(Event::TaskFailed { task: id, reason });
			}
		}
		Self::store_resolved(id, task, now);
		for (who, sample) in samples {
			if model_exists || sample > 0 {
				Self::record_qos(&who, sample, weight);
			}
		}
		for who in committed.iter() {
			Self::settle_departed(who);
		}
	}

	/// Share `fee` held from `creator` equally among `payees`; the remainder is refunded.
	fn pay_executors(creator: &T::AccountId, fee: BalanceOf<T>, payees: &[T::AccountId]) {
		let mut left = fee;
		if !payees.is_empty() {
			let share = fee / BalanceOf::<T>::from(payees.len() as u32);
			if !share.is_zero() {
				for who in payees {
					let moved = T::Currency::transfer_on_hold(
						&HoldReason::TaskFee.into(),
						creator,
						who,
						share,
						Precision::BestEffort,
						Restriction::Free,
						Fortitude::Force,
					)
					.unwrap_or_default();
					left = left.saturating_sub(moved);
				}
			}
		}
		Self::refund_fee(creator, left);
	}

	/// Slash `slash_fraction` of an executor's stake (burnt) — also when it was kicked out
	/// meanwhile (its stake stays held while it has open commitments) — drop it as holder of
	/// `model`, or as nominee if it gave up its copy and was drawn again meanwhile, and start
	/// its cool-down on the model.
	fn slash_executor(id: TaskId, who: &T::AccountId, model: ModelId, now: BlockNumberFor<T>) {
		Self::start_cooldown(model, who, now);
		if let Some(mut node) = Nodes::<T>::get(who) {
			let amount = Params::<T>::get().slash_fraction * node.stake;
			let burnt = if amount.is_zero() {
				Zero::zero()
			} else {
				T::Currency::burn_held(
					&HoldReason::NodeStake.into(),
					who,
					amount,
					Precision::BestEffort,
					Fortitude::Force,
				)
				.unwrap_or_default()
			};
			node.stake = node.stake.saturating_sub(burnt);
			Nodes::<T>::insert(who, node);
			Self::deposit_event(Event::ExecutorSlashed {
				task: id,
				node: who.clone(),
				amount: burnt,
			});
		}
		Models::<T>::mutate_extant(model, |info| {
			if Self::detach_holder(model, info, who)
				|| Self::detach_nomination(model, info, who, true).is_some()
			{
				Self::deposit_event(Event::ModelEvicted { model, node: who.clone() });
				Self::ensure_replication(model, info);
			}
		});
	}
}
