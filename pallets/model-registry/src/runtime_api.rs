//! Runtime API of the model registry.
//!
//! The runtime implements it by calling [`crate::Pallet::model_status`],
//! [`crate::Pallet::node_info`], [`crate::Pallet::pending_work`],
//! [`crate::Pallet::task_status`] and [`crate::Pallet::required_stake`].

use crate::types::{ModelId, ModelStatus, NodeCapacity, NodeView, NodeWork, TaskId, TaskView};
use codec::Codec;

sp_api::decl_runtime_apis! {
	/// Read access to the registry for node software and applications.
	pub trait ModelRegistryApi<AccountId, Balance, BlockNumber>
	where
		AccountId: Codec,
		Balance: Codec,
		BlockNumber: Codec,
	{
		/// Replication status of a model (holders, pending nominations, demand, target).
		fn model_status(model: ModelId) -> Option<ModelStatus<AccountId, Balance, BlockNumber>>;
		/// A node's stake, capacity, QoS and counters.
		fn node_info(node: AccountId) -> Option<NodeView<Balance>>;
		/// What a node must fetch, keep and execute; `None` if not a registered node.
		fn pending_work(node: AccountId) -> Option<NodeWork<BlockNumber>>;
		/// Status, executors and result of a task.
		fn task_status(task: TaskId) -> Option<TaskView<AccountId, Balance, BlockNumber>>;
		/// The stake a node declaring `capacity` must hold to join, or to grow to it:
		/// `MinNodeStake` plus the price of its VRAM and disk.
		fn required_stake(capacity: NodeCapacity) -> Balance;
	}
}

use crate::{pallet::*, types::*};
use alloc::vec::Vec;
use frame_system::pallet_prelude::BlockNumberFor;

impl<T: Config> Pallet<T> {
	/// Runtime API: replication status of `model`.
	pub fn model_status(
		model: ModelId,
	) -> Option<ModelStatus<T::AccountId, BalanceOf<T>, BlockNumberFor<T>>> {
		let info = Models::<T>::get(model).filter(|m| !m.retiring)?;
		let holders = Holders::<T>::get(model).into_iter().map(|h| h.node).collect();
		let sources = ModelSources::<T>::get(model).into_iter().map(|u| u.into_inner()).collect();
		let deficit = Self::replication_deficit(&info, &Params::<T>::get());
		Some(ModelStatus {
			owner: info.owner,
			deposit: info.deposit,
			size_bytes: info.size_bytes,
			min_vram_bytes: info.min_vram_bytes,
			sources,
			holders,
			available_holders: info.available,
			pending_nominations: info.nominated,
			deficit,
			demand_current: info.demand_current,
			demand_previous: info.demand_previous,
			target: info.target,
			registered_at: info.registered_at,
			source_failures: info.source_failures,
			executor: info.executor,
		})
	}

	/// Runtime API: a node's record.
	pub fn node_info(node: T::AccountId) -> Option<NodeView<BalanceOf<T>>> {
		let info = Nodes::<T>::get(&node)?;
		Some(NodeView {
			stake: info.stake,
			capacity: info.capacity,
			used_disk: info.used_disk,
			qos: info.qos,
			status: info.status,
			holdings: NodeHoldings::<T>::decode_len(&node).unwrap_or(0) as u32,
			nominations: NodeNominations::<T>::decode_len(&node).unwrap_or(0) as u32,
			tasks_in_flight: Self::tasks_of(&node).len() as u32,
		})
	}

	/// The peers `node` may fetch `model`'s pieces from (holders with an available copy, then
	/// the other nominees, those with an endpoint), and `node`'s share among the nominees.
	///
	/// Accounts that declared `node`'s own endpoint (several accounts of one machine) are not
	/// peers of it, and count once among the nominees. An endpoint stored before `set_endpoint`
	/// checked the bare `scheme://host:port` form (see [`crate::endpoint`]) is not given out.
	fn peers_of(model: ModelId, node: &T::AccountId) -> (Vec<PeerWork>, (u32, u32)) {
		let own = NodeEndpoints::<T>::get(node);
		let mut peers: Vec<PeerWork> = Vec::new();
		let add = |url: UrlOf<T>, holder: bool, peers: &mut Vec<PeerWork>| {
			let known = peers.iter().any(|p| p.endpoint == url[..]);
			let bare = crate::endpoint::check_endpoint(&url).is_ok();
			if own.as_ref() != Some(&url) && !known && bare {
				peers.push(PeerWork { endpoint: url.into_inner(), holder });
			}
		};
		for holder in Holders::<T>::get(model) {
			if holder.available && &holder.node != node {
				if let Some(url) = NodeEndpoints::<T>::get(&holder.node) {
					add(url, true, &mut peers);
				}
			}
		}
		// The nominees, one per machine: accounts with the same endpoint count once.
		let mut machines: Vec<Result<UrlOf<T>, T::AccountId>> = Vec::new();
		let mut index = 0u32;
		for (nominee, _) in Nominations::<T>::iter_prefix(model) {
			let url = NodeEndpoints::<T>::get(&nominee);
			let machine = url.clone().ok_or_else(|| nominee.clone());
			let position = match machines.iter().position(|m| *m == machine) {
				Some(position) => position,
				None => {
					machines.push(machine);
					machines.len() - 1
				}
			};
			if &nominee == node {
				index = position as u32;
			} else if let Some(url) = url {
				add(url, false, &mut peers);
			}
		}
		let count = machines.len() as u32;
		(peers, (index, count.max(1)))
	}

	/// Runtime API: what `node` must fetch, keep and execute; `None` if it is not a node.
	pub fn pending_work(node: T::AccountId) -> Option<NodeWork<BlockNumberFor<T>>> {
		Nodes::<T>::get(&node)?;
		let nominations = NodeNominations::<T>::get(&node)
			.into_iter()
			.filter_map(|model| {
				let nomination = Nominations::<T>::get(model, &node)?;
				let info = Models::<T>::get(model).filter(|m| !m.retiring)?;
				let (peers, source_share) = Self::peers_of(model, &node);
				Some(NominationWork {
					model,
					size_bytes: info.size_bytes,
					sources: ModelSources::<T>::get(model)
						.into_iter()
						.map(|u| u.into_inner())
						.collect(),
					deadline: nomination.deadline,
					manifest: ModelPieces::<T>::get(model),
					peers,
					source_share,
					executor: info.executor,
				})
			})
			.collect();
		let holdings = NodeHoldings::<T>::get(&node)
			.into_iter()
			.filter_map(|model| {
				Models::<T>::get(model).filter(|m| !m.retiring).map(|info| HoldingWork {
					model,
					size_bytes: info.size_bytes,
					executor: info.executor,
				})
			})
			.collect();
		let tasks = Self::tasks_of(&node)
			.into_iter()
			.filter_map(|(id, _)| {
				let task = Tasks::<T>::get(id)?;
				let (phase, deadline) = match task.status {
					TaskStatus::Commit { deadline } => (TaskPhase::Commit, deadline),
					TaskStatus::Reveal { deadline } => (TaskPhase::Reveal, deadline),
					_ => return None,
				};
				let me = task.executors.iter().find(|e| e.node == node)?;
				// The node holds the model (the task is listed in its holder entry), so the
				// record exists; without it the engine is unknown and the task is not listed.
				let executor = Models::<T>::get(task.model)?.executor;
				Some(TaskWork {
					task: id,
					model: task.model,
					input: task.input.clone().into_inner(),
					executor,
					challenge: task.challenge,
					phase,
					committed: me.commitment.is_some(),
					revealed: me.result.is_some(),
					deadline,
				})
			})
			.collect::<Vec<_>>();
		let held = NodeHoldings::<T>::get(&node);
		let announced = Announcements::<T>::get(&node)
			.into_iter()
			.filter(|model| !held.contains(model) && Self::model_is_live(*model))
			.collect();
		Some(NodeWork { nominations, holdings, tasks, announced })
	}

	/// Tasks `node` executes, with their models, from the holder entries of its holdings.
	pub fn tasks_of(node: &T::AccountId) -> Vec<(TaskId, ModelId)> {
		NodeHoldings::<T>::get(node)
			.into_iter()
			.flat_map(|model| {
				let entry = Holders::<T>::get(model).into_iter().find(|h| h.node == *node);
				let tasks = entry.map(|h| h.tasks.into_inner()).unwrap_or_default();
				tasks.into_iter().map(move |task| (task, model))
			})
			.collect()
	}

	/// Waiting tasks, oldest first (reads the whole queue; for off-chain use and tests).
	pub fn pending_tasks() -> Vec<TaskId> {
		crate::tasks::Pending::<T>::items(&TaskQueue::<T>::get().pending)
			.into_iter()
			.filter(|id| Tasks::<T>::get(id).is_some_and(|t| t.status == TaskStatus::Waiting))
			.collect()
	}

	/// Models waiting for nominations, front first (reads the whole queue; for off-chain use
	/// and tests).
	pub fn replication_queue() -> Vec<ModelId> {
		crate::placement::Replication::<T>::items().into_iter().map(|(model, _)| model).collect()
	}

	/// Runtime API: status of a task (kept for one demand window after resolution).
	pub fn task_status(
		task: TaskId,
	) -> Option<TaskView<T::AccountId, BalanceOf<T>, BlockNumberFor<T>>> {
		let info = Tasks::<T>::get(task)?;
		let result = match info.status {
			TaskStatus::Completed { result } => Some(result),
			_ => None,
		};
		Some(TaskView {
			model: info.model,
			creator: info.creator,
			fee: info.fee,
			created_at: info.created_at,
			status: info.status,
			challenge: info.challenge,
			executors: info.executors.iter().map(|e| e.node.clone()).collect(),
			commits: info.executors.iter().filter(|e| e.commitment.is_some()).count() as u32,
			reveals: info.executors.iter().filter(|e| e.result.is_some()).count() as u32,
			result,
		})
	}
}
