//! Set-up helpers of the benchmarks: funded nodes and models, holdings, nominations and tasks
//! written directly into storage.

use crate::*;
use crate::{offchain::commitment_of, placement::Replication};
use alloc::{vec, vec::Vec};
use frame_benchmarking::v2::*;
use frame_support::{
	traits::{
		fungible::{Inspect, Mutate, MutateHold},
		Get,
	},
	BoundedVec,
};
use frame_system::pallet_prelude::BlockNumberFor;
use sp_core::H256;
use sp_runtime::traits::Saturating;

pub(super) const SEED: u32 = 0;

/// The block the benchmarks run in (events are not kept in block 0).
pub(super) fn now<T: Config>() -> BlockNumberFor<T> {
	10u32.into()
}

/// A block before every block whose randomness the mix of `now` holds (see `set_up_block`):
/// what was created in it may be served in `now` (for a `RandomnessDepth` up to 3).
pub(super) fn earlier<T: Config>() -> BlockNumberFor<T> {
	now::<T>().saturating_sub(5u32.into())
}

/// Move to block `now`, give `Config::Randomness` a value (see
/// [`super::BenchmarkHelper::prepare_randomness`]) and leave a mix of the randomness of the
/// blocks before it, which the block's first read extends (its full cost).
pub(super) fn set_up_block<T: Config>() {
	let now = now::<T>();
	frame_system::Pallet::<T>::set_block_number(now);
	T::BenchmarkHelper::prepare_randomness();
	RandomnessMix::<T>::put(MixedRandomness {
		value: [3; 32],
		depth: 1_000,
		mixed_at: now.saturating_sub(1u32.into()),
		known_since: now.saturating_sub(2u32.into()),
	});
}

pub(super) fn assert_last_event<T: Config>(event: Event<T>) {
	frame_system::Pallet::<T>::assert_last_event(event.into());
}

pub(super) fn has_event<T: Config>(event: Event<T>) -> bool {
	let event: <T as frame_system::Config>::RuntimeEvent = event.into();
	frame_system::Pallet::<T>::events().iter().any(|r| r.event == event)
}

/// Enough for stakes, deposits and fees of every benchmark.
pub(super) fn fund<T: Config>(who: &T::AccountId) {
	let amount = Pallet::<T>::required_stake(&big_capacity())
		.saturating_add(Pallet::<T>::model_deposit(1_000, &Params::<T>::get()))
		.saturating_add(Pallet::<T>::task_deposit(T::MaxTaskInputLen::get() as usize))
		.saturating_mul(1_000u32.into())
		.saturating_add(T::Currency::minimum_balance());
	T::Currency::set_balance(who, amount);
}

/// A capacity no model of the benchmarks exceeds (1 PiB of disk, 1 TiB of VRAM), whose
/// stake an account can still afford.
pub(super) fn big_capacity() -> NodeCapacity {
	NodeCapacity { disk_bytes: 1 << 50, vram_bytes: 1 << 40 }
}

/// A joined, funded node.
pub(super) fn node<T: Config>(name: &'static str, i: u32) -> T::AccountId {
	let who: T::AccountId = account(name, i, SEED);
	fund::<T>(&who);
	let stake = Pallet::<T>::required_stake(&big_capacity());
	assert!(Pallet::<T>::do_join(who.clone(), big_capacity(), stake).is_ok());
	who
}

/// `n` joined nodes with QoS 1000 (always accepted by the QoS roll).
pub(super) fn nodes<T: Config>(name: &'static str, n: u32) -> Vec<T::AccountId> {
	(0..n)
		.map(|i| {
			let who = node::<T>(name, i);
			Nodes::<T>::mutate_extant(&who, |n| n.qos = QOS_MAX);
			who
		})
		.collect()
}

/// A hash whose last eight bytes are `n` (big endian).
fn h256(n: u64) -> H256 {
	let mut bytes = [0u8; 32];
	bytes[24..].copy_from_slice(&n.to_be_bytes());
	H256(bytes)
}

/// Id of benchmark model `i`.
pub(super) fn model_id(i: u32) -> ModelId {
	h256(u64::from(i) + 1)
}

/// Ids that stand for other models in a node's lists.
pub(super) fn other_models(n: u32) -> Vec<ModelId> {
	(0..n).map(|i| h256(u64::MAX - u64::from(i))).collect()
}

/// Sources of the maximum count (`s`) and length.
pub(super) fn sources<T: Config>(s: u32) -> SourcesOf<T> {
	let mut url = b"https://".to_vec();
	url.resize(T::MaxUrlLen::get() as usize, b'u');
	let url: UrlOf<T> = BoundedVec::truncate_from(url);
	BoundedVec::truncate_from(vec![url; s as usize])
}

/// The longest endpoint `set_endpoint` accepts within `MaxUrlLen`: `https://`, a DNS name of
/// 63-byte labels up to [`crate::endpoint::MAX_HOST_LEN`] bytes, `:65535`.
pub(super) fn endpoint<T: Config>() -> UrlOf<T> {
	let (scheme, port) = (b"https://", b":65535");
	let room = (T::MaxUrlLen::get() as usize).saturating_sub(scheme.len() + port.len());
	let budget = room.clamp(1, crate::endpoint::MAX_HOST_LEN);
	let mut host = Vec::with_capacity(budget);
	while budget - host.len() >= 2 || host.is_empty() {
		if !host.is_empty() {
			host.push(b'.');
		}
		let label = (budget - host.len()).min(63);
		host.resize(host.len() + label, b'u');
	}
	let url = [&scheme[..], &host, &port[..]].concat();
	BoundedVec::truncate_from(url)
}

/// `count` piece hashes (arbitrary values).
pub(super) fn pieces(count: u32) -> PiecesOf {
	BoundedVec::truncate_from((0..count).map(|i| h256(u64::from(i) + 1)).collect::<Vec<_>>())
}

/// Register model `i` owned by a funded account; the model is taken out of the replication
/// queue, so that the next change queues it again.
pub(super) fn registered_model<T: Config>(i: u32) -> ModelId {
	let owner: T::AccountId = account("owner", i, SEED);
	fund::<T>(&owner);
	let model = model_id(i);
	let spec = ModelSpec {
		size_bytes: 1_000,
		sources: sources::<T>(1),
		min_vram_bytes: 1,
		pieces: pieces(1),
		executor: ExecutorKind::SpotCheck,
	};
	assert!(Pallet::<T>::do_register_model(owner, model, spec).is_ok());
	unqueue::<T>(model);
	model
}

/// Take every model out of the replication queue.
pub(super) fn unqueue<T: Config>(model: ModelId) {
	while Replication::<T>::pop().is_some() {}
	Models::<T>::mutate_extant(model, |m| m.queued = false);
}

/// Make `who` a holder of `model`.
pub(super) fn hold<T: Config>(model: ModelId, who: &T::AccountId) {
	Models::<T>::mutate_extant(model, |info| {
		Pallet::<T>::reserve_resources(who, info);
		Pallet::<T>::attach_holder(model, info, who);
	});
}

/// Nominate `who` for `model`, expiring at `deadline`.
pub(super) fn nominate<T: Config>(model: ModelId, who: &T::AccountId, deadline: BlockNumberFor<T>) {
	Models::<T>::mutate_extant(model, |info| {
		Pallet::<T>::attach_nomination(model, info, who, now::<T>(), deadline);
	});
	Pallet::<T>::schedule_deadline(deadline, DeadlineItem::Nomination { model, node: who.clone() });
}

/// Fill the holding list of `who` up to `MaxModelsPerNode - room` entries (lists are decoded
/// and re-encoded by most paths).
pub(super) fn fill_holdings<T: Config>(who: &T::AccountId, room: u32) {
	let mut list = NodeHoldings::<T>::get(who).into_inner();
	let len = list.len() as u32;
	let want = T::MaxModelsPerNode::get().saturating_sub(room);
	list.extend(other_models(want.saturating_sub(len)));
	NodeHoldings::<T>::insert(who, NodeModelsOf::<T>::truncate_from(list));
}

/// `n` task ids that no task uses.
fn unused_task_ids<T: Config>(n: u32) -> BoundedVec<TaskId, T::MaxTasksPerHolder> {
	BoundedVec::truncate_from((0..n).map(|t| u64::from(t) + 1_000_000).collect::<Vec<_>>())
}

/// Reserve the id of a task written directly into storage.
fn next_task_id<T: Config>() -> TaskId {
	TaskQueue::<T>::mutate(|queue| {
		let id = queue.next_task;
		queue.next_task = id.saturating_add(1);
		id
	})
}

/// The worst case of one task's executor draw on a new model: the holder list is full, each
/// holder running `MaxTasksPerHolder - 1` tasks; the first `rejected` positions the draw
/// visits hold paused nodes whose copies are still counted available (so each costs a node
/// read before it is rejected), the next `accepted` ones hold active nodes with QoS 1000, and
/// every other position holds a copy that is not available (rejected without a read).
pub(super) fn draw_worst_case<T: Config>(
	i: u32,
	id: TaskId,
	rejected: u32,
	accepted: u32,
) -> ModelId {
	let model = registered_model::<T>(i);
	let count = T::MaxHoldersPerModel::get();
	// The seed `assign_waiting` draws with in `now` (the task is created before the block its
	// randomness is known since).
	let seed = Pallet::<T>::block_randomness().seed();
	let order: Vec<u32> = crate::tasks::DrawOrder::new(&seed, id, count)
		.map(|(position, _)| position)
		.take((rejected + accepted) as usize)
		.collect();
	let room = T::MaxTasksPerHolder::get().saturating_sub(1);
	let mut list: Vec<HolderEntryOf<T>> = (0..count)
		.map(|p| HolderEntry {
			node: account("filler", i * count + p, SEED),
			available: false,
			tasks: unused_task_ids::<T>(T::MaxTasksPerHolder::get()),
		})
		.collect();
	for (n, position) in order.iter().enumerate() {
		let who = node::<T>("drawn", i * count + n as u32);
		let paused = (n as u32) < rejected;
		Nodes::<T>::mutate_extant(&who, |node| {
			node.qos = QOS_MAX;
			if paused {
				node.status = NodeStatus::Paused;
			}
		});
		if let Some(entry) = list.get_mut(*position as usize) {
			*entry = HolderEntry { node: who, available: true, tasks: unused_task_ids::<T>(room) };
		}
	}
	Holders::<T>::insert(model, HoldersOf::<T>::truncate_from(list));
	Models::<T>::mutate_extant(model, |m| {
		m.holders = count;
		m.available = order.len() as u32;
	});
	model
}

/// A task input of `i` bytes.
pub(super) fn input<T: Config>(i: u32) -> InputOf<T> {
	BoundedVec::truncate_from(vec![7u8; i as usize])
}

/// Result revealed by the majority.
pub(super) const AGREED: H256 = H256::repeat_byte(1);
/// Result revealed by the minority.
pub(super) const ODD: H256 = H256::repeat_byte(2);

/// A task on a model held by `k` executors (QoS 1000, holding the model), in `status`, with
/// its fee held from a funded creator and the maximum input. Returns the task, model and
/// executors.
pub(super) fn task_with_executors<T: Config>(
	k: u32,
	status: TaskStatus<BlockNumberFor<T>>,
) -> (TaskId, ModelId, Vec<T::AccountId>) {
	let model = registered_model::<T>(0);
	let executors = nodes::<T>("executor", k);
	let id = next_task_id::<T>();
	let creator: T::AccountId = account("creator", 0, SEED);
	fund::<T>(&creator);
	let fee = T::MinNodeStake::get();
	assert!(T::Currency::hold(&HoldReason::TaskFee.into(), &creator, fee).is_ok());
	for who in executors.iter() {
		hold::<T>(model, who);
		fill_holdings::<T>(who, 0);
	}
	Holders::<T>::mutate(model, |holders| {
		for entry in holders.iter_mut() {
			let _ = entry.tasks.try_push(id);
		}
	});
	let task = TaskInfo {
		model,
		creator,
		fee,
		deposit: 0u32.into(),
		input: input::<T>(T::MaxTaskInputLen::get()),
		challenge: H256::zero(),
		created_at: now::<T>(),
		status,
		executors: BoundedVec::truncate_from(
			executors.iter().cloned().map(Executor::new).collect::<Vec<_>>(),
		),
		waiting_notified: false,
		queue_slot: 0,
		appeal: None,
	};
	Tasks::<T>::insert(id, task);
	(id, model, executors)
}

/// Salt of executor number `i`.
pub(super) fn salt(i: usize) -> H256 {
	h256(i as u64 + 1)
}

/// Record that every executor but those in `skip` committed to (and, with `reveal`, revealed)
/// `result(i)`.
pub(super) fn answer<T: Config>(
	id: TaskId,
	skip: &[usize],
	reveal: bool,
	result: impl Fn(usize) -> H256,
) -> Vec<T::AccountId> {
	let mut task = Tasks::<T>::get(id).expect("task set up");
	for (i, e) in task.executors.iter_mut().enumerate() {
		if skip.contains(&i) {
			continue;
		}
		if e.commitment.is_none() {
			Nodes::<T>::mutate_extant(&e.node, |n| n.open_commitments += 1);
		}
		e.commitment = Some(commitment_of(&e.node, &result(i), &salt(i)));
		if reveal {
			e.result = Some(result(i));
		}
	}
	let nodes = task.executors.iter().map(|e| e.node.clone()).collect();
	Tasks::<T>::insert(id, task);
	nodes
}

/// A waiting task on `model` in the pending queue, created by a funded account.
pub(super) fn waiting_task<T: Config>(model: ModelId) -> TaskId {
	let creator: T::AccountId = account("creator", 1, SEED);
	fund::<T>(&creator);
	let id = TaskQueue::<T>::get().next_task;
	// Created before the block whose randomness `now` sees, so that `now` may serve it.
	frame_system::Pallet::<T>::set_block_number(earlier::<T>());
	assert!(Pallet::<T>::do_create_task(
		creator,
		model,
		input::<T>(T::MaxTaskInputLen::get()),
		T::MinNodeStake::get()
	)
	.is_ok());
	frame_system::Pallet::<T>::set_block_number(now::<T>());
	id
}

/// Parameters with `executors_per_task = k` (within the bounds the benchmarks use).
pub(super) fn set_executors_per_task<T: Config>(k: u32) {
	Params::<T>::mutate(|p| {
		p.executors_per_task = k;
		p.min_replicas = p.min_replicas.max(k);
	});
}
