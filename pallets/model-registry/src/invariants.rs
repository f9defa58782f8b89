//! State invariants, checked by the `try_state` hook and after every block of the tests.

use crate::{cleanup::Cleanup, pallet::*, placement::Replication, tasks::Pending, types::*};
use alloc::{collections::btree_map::BTreeMap, vec::Vec};
use frame_support::{
	ensure,
	traits::{fungible::InspectHold, Get},
};
use sp_runtime::{traits::Zero, Saturating, TryRuntimeError};

impl<T: Config> Pallet<T> {
	/// Check every invariant of the pallet's storage.
	///
	/// - the dense node and model indices hold exactly the nodes that are not leaving and the
	///   models that are not retiring; the holder indices are consistent both ways;
	/// - holder and nomination counts match both the model and the node side;
	/// - a node's reserved disk and VRAM list match its holdings and nominations, the disk
	///   never exceeds its declared disk; its model count stays within `MaxModelsPerNode`;
	/// - a model's available count matches its holders' availability flags, which match the
	///   holders' status unless the node waits in the cleanup queue;
	/// - held balances equal the sum of stakes, deposits and fees of unresolved tasks;
	/// - no node holds or is nominated for a model it is cooling down on;
	/// - a leaving node is in the cleanup queue and holds no stake, unless it was kicked out
	///   with open commitments (it keeps its stake and record until they resolve);
	/// - queues hold exactly the waiting tasks / the models flagged as queued / the leaving
	///   nodes, retiring models and nodes flagged as in cleanup, without duplicates; no deadline
	///   entry lies before the deadline cursor.
	pub fn do_try_state() -> Result<(), TryRuntimeError> {
		Self::check_nodes()?;
		Self::check_models()?;
		Self::check_holds(Vec::new())?;
		Self::check_queues()?;
		Ok(())
	}

	fn check_nodes() -> Result<(), TryRuntimeError> {
		let count = NodeCount::<T>::get();
		let members = Nodes::<T>::iter().filter(|(_, n)| n.status != NodeStatus::Leaving).count();
		ensure!(members as u32 == count, "node count mismatch");
		ensure!(NodeAt::<T>::iter().count() as u32 == count, "node index size mismatch");
		for i in 0..count {
			let who = NodeAt::<T>::get(i).ok_or("node index gap")?;
			let node = Nodes::<T>::get(&who).ok_or("indexed node missing")?;
			ensure!(node.index == i, "node index not reciprocal");
			ensure!(node.status != NodeStatus::Leaving, "leaving node indexed");
		}
		let cleanup = Cleanup::<T>::items();
		// Open commitments per node, counted in one pass over the tasks.
		let mut open_commitments: BTreeMap<T::AccountId, u32> = BTreeMap::new();
		for task in Tasks::<T>::iter_values() {
			// Unresolved: in flight, or a first round waiting for its appeal jury.
			if matches!(
				task.status,
				TaskStatus::Waiting | TaskStatus::Commit { .. } | TaskStatus::Reveal { .. }
			) {
				for e in task.executors.iter().filter(|e| e.commitment.is_some()) {
					let count = open_commitments.entry(e.node.clone()).or_default();
					*count = count.saturating_add(1);
				}
			}
		}
		for (who, node) in Nodes::<T>::iter() {
			let held = NodeHoldings::<T>::get(&who);
			let nominated = NodeNominations::<T>::get(&who);
			ensure!(
				held.len().saturating_add(nominated.len()) <= T::MaxModelsPerNode::get() as usize,
				"node exceeds MaxModelsPerNode"
			);
			let mut used = 0u64;
			let mut vram = Vec::new();
			let synced = !node.in_cleanup;
			for model in held.iter() {
				let info = Models::<T>::get(model).ok_or("node holds unknown model")?;
				let holders = Holders::<T>::get(model);
				let entry = holders.iter().find(|h| h.node == who).ok_or("holding not indexed")?;
				ensure!(
					!synced || entry.available == (node.status == NodeStatus::Active),
					"availability flag out of sync"
				);
				used = used.saturating_add(info.size_bytes);
				vram.push(info.min_vram_bytes);
			}
			for model in nominated.iter() {
				let info = Models::<T>::get(model).ok_or("node nominated for unknown model")?;
				ensure!(Nominations::<T>::contains_key(model, &who), "nomination not recorded");
				used = used.saturating_add(info.size_bytes);
				vram.push(info.min_vram_bytes);
			}
			ensure!(used == node.used_disk, "used disk mismatch");
			let mut needs = node.vram_needs.to_vec();
			needs.sort();
			vram.sort();
			ensure!(needs == vram, "VRAM needs mismatch");
			let jobs = cleanup.iter().filter(|j| **j == CleanupJob::Node(who.clone())).count();
			ensure!(jobs == usize::from(node.in_cleanup), "cleanup flag mismatch");
			if node.status == NodeStatus::Leaving {
				// A node kicked out with open commitments keeps its stake (and its record)
				// until their tasks resolve.
				let open = node.open_commitments > 0;
				ensure!(
					node.in_cleanup || (open && held.is_empty() && nominated.is_empty()),
					"leaving node not in cleanup"
				);
				ensure!(open || node.stake.is_zero(), "leaving node keeps a stake");
			}
			ensure!(node.used_disk <= node.capacity.disk_bytes, "disk capacity exceeded");
			ensure!(node.qos <= QOS_MAX, "qos out of range");
			ensure!(
				node.model_count() as usize == held.len().saturating_add(nominated.len()),
				"VRAM needs mismatch"
			);
			let open = open_commitments.get(&who).copied().unwrap_or(0);
			ensure!(node.open_commitments == open, "open commitment count mismatch");
		}
		for who in NodeHoldings::<T>::iter_keys()
			.chain(NodeNominations::<T>::iter_keys())
			.chain(Announcements::<T>::iter_keys())
		{
			ensure!(Nodes::<T>::contains_key(&who), "work recorded for a non-node");
		}
		for announced in Announcements::<T>::iter_values() {
			for (i, model) in announced.iter().enumerate() {
				ensure!(!announced[..i].contains(model), "model announced twice");
			}
		}
		Ok(())
	}

	fn check_models() -> Result<(), TryRuntimeError> {
		let count = ModelCount::<T>::get();
		let live = Models::<T>::iter().filter(|(_, m)| !m.retiring).count();
		ensure!(live as u32 == count, "model count mismatch");
		ensure!(ModelAt::<T>::iter().count() as u32 == count, "model index size mismatch");
		for i in 0..count {
			let model = ModelAt::<T>::get(i).ok_or("model index gap")?;
			let info = Models::<T>::get(model).ok_or("indexed model missing")?;
			ensure!(info.index == i, "model index not reciprocal");
			ensure!(!info.retiring, "retiring model indexed");
		}
		let cleanup = Cleanup::<T>::items();
		for (model, info) in Models::<T>::iter() {
			let mut available = 0u32;
			let holders = Holders::<T>::get(model);
			for (i, entry) in holders.iter().enumerate() {
				ensure!(!holders[..i].iter().any(|h| h.node == entry.node), "holder indexed twice");
				let who = &entry.node;
				ensure!(NodeHoldings::<T>::get(who).contains(&model), "holder lacks holding");
				for id in entry.tasks.iter() {
					let task = Tasks::<T>::get(id).ok_or("holder runs unknown task")?;
					ensure!(task.model == model, "holder task model mismatch");
					ensure!(
						matches!(
							task.status,
							TaskStatus::Commit { .. } | TaskStatus::Reveal { .. }
						),
						"holder runs a task that is not in flight"
					);
					ensure!(
						task.executors.iter().any(|e| e.node == *who),
						"holder is not executor"
					);
				}
				if entry.available {
					available += 1;
				}
			}
			if info.retiring {
				let job = cleanup.contains(&CleanupJob::Model(model));
				ensure!(
					job || (info.holders == 0 && info.nominated == 0 && info.queued),
					"retiring model not in cleanup"
				);
			}
			ensure!(holders.len() as u32 == info.holders, "holder count mismatch");
			ensure!(available == info.available, "available holder count mismatch");
			let nominated = Nominations::<T>::iter_prefix(model).count() as u32;
			ensure!(nominated == info.nominated, "nomination count mismatch");
			for (who, _) in Nominations::<T>::iter_prefix(model) {
				ensure!(NodeNominations::<T>::get(&who).contains(&model), "nomination not on node");
				ensure!(!holders.iter().any(|h| h.node == who), "nominated node holds");
			}
			ensure!(
				info.holders.saturating_add(info.nominated) <= T::MaxHoldersPerModel::get(),
				"model exceeds MaxHoldersPerModel"
			);
			ensure!(!ModelSources::<T>::get(model).is_empty(), "model without sources");
		}
		for model in Holders::<T>::iter_keys() {
			ensure!(Models::<T>::contains_key(model), "holder of unknown model");
		}
		for (model, who, _) in Cooldowns::<T>::iter() {
			if Self::cooling_down(model, &who) {
				ensure!(
					!Self::is_holder(model, &who) && !Nominations::<T>::contains_key(model, &who),
					"node holds a model it is cooling down on"
				);
			}
		}
		for (model, _, _) in Nominations::<T>::iter() {
			ensure!(Models::<T>::contains_key(model), "nomination of unknown model");
		}
		Ok(())
	}

	/// Compare held balances with the records for every account appearing in the records and
	/// every account in `extra` (which must then hold nothing beyond its records).
	pub(crate) fn check_holds(extra: Vec<T::AccountId>) -> Result<(), TryRuntimeError> {
		let mut stakes: BTreeMap<T::AccountId, BalanceOf<T>> = BTreeMap::new();
		let mut deposits: BTreeMap<T::AccountId, BalanceOf<T>> = BTreeMap::new();
		let mut fees: BTreeMap<T::AccountId, BalanceOf<T>> = BTreeMap::new();
		let mut task_deposits: BTreeMap<T::AccountId, BalanceOf<T>> = BTreeMap::new();
		for (who, node) in Nodes::<T>::iter() {
			stakes.insert(who, node.stake);
		}
		for (_, info) in Models::<T>::iter() {
			let entry = deposits.entry(info.owner).or_insert_with(Zero::zero);
			*entry = entry.saturating_add(info.deposit);
		}
		for (_, task) in Tasks::<T>::iter() {
			let deposit = task_deposits.entry(task.creator.clone()).or_insert_with(Zero::zero);
			*deposit = deposit.saturating_add(task.deposit);
			let entry = fees.entry(task.creator).or_insert_with(Zero::zero);
			if matches!(
				task.status,
				TaskStatus::Waiting | TaskStatus::Commit { .. } | TaskStatus::Reveal { .. }
			) {
				*entry = entry.saturating_add(task.fee);
			}
		}
		let checks = [
			(HoldReason::NodeStake, &stakes),
			(HoldReason::ModelDeposit, &deposits),
			(HoldReason::TaskFee, &fees),
			(HoldReason::TaskDeposit, &task_deposits),
		];
		let accounts: Vec<T::AccountId> = stakes
			.keys()
			.chain(deposits.keys())
			.chain(fees.keys())
			.chain(task_deposits.keys())
			.cloned()
			.chain(extra)
			.collect();
		for (reason, expected) in checks {
			for who in accounts.iter() {
				let want = expected.get(who).copied().unwrap_or_else(Zero::zero);
				let held = T::Currency::balance_on_hold(&reason.into(), who);
				ensure!(held == want, "held balance does not match the records");
			}
		}
		Ok(())
	}

	fn check_queues() -> Result<(), TryRuntimeError> {
		let range = TaskQueue::<T>::get().pending;
		let pending = Pending::<T>::items(&range);
		let mut seen = Vec::new();
		for (offset, id) in pending.iter().enumerate() {
			let task = Tasks::<T>::get(id).ok_or("queued task missing")?;
			ensure!(!seen.contains(id), "task queued twice");
			let slot = (u64::from(range.front) + offset as u64)
				% u64::from(T::MaxQueuedTasks::get().max(1));
			ensure!(task.queue_slot == slot as u32, "task slot index mismatch");
			seen.push(*id);
			ensure!(task.status == TaskStatus::Waiting, "queued task not waiting");
		}
		for (id, task) in Tasks::<T>::iter() {
			if task.status == TaskStatus::Waiting {
				ensure!(pending.contains(&id), "waiting task not queued");
			}
		}
		let queue: Vec<ModelId> =
			Replication::<T>::items().into_iter().map(|(model, _)| model).collect();
		let mut seen = Vec::new();
		for model in queue.iter() {
			ensure!(!seen.contains(model), "model queued twice");
			seen.push(*model);
			let info = Models::<T>::get(model).ok_or("queued model missing")?;
			ensure!(info.queued, "queued model not flagged");
		}
		for (model, info) in Models::<T>::iter() {
			ensure!(info.queued == queue.contains(&model), "queued flag mismatch");
			ensure!(!(info.queued && info.parked_at.is_some()), "parked model queued");
		}
		let jobs = Cleanup::<T>::items();
		for (i, job) in jobs.iter().enumerate() {
			ensure!(!jobs[..i].contains(job), "cleanup job queued twice");
		}
		let now = frame_system::Pallet::<T>::block_number();
		let cursor = DeadlineCursor::<T>::get();
		ensure!(cursor.0 <= now.saturating_add(1u32.into()), "deadline cursor ahead");
		for (block, number, _) in Deadlines::<T>::iter() {
			ensure!((block, number) >= cursor, "deadline entry behind the cursor");
			ensure!(number < DeadlineCount::<T>::get(block), "deadline entry not counted");
		}
		Ok(())
	}
}
