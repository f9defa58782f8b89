//! Benchmarks of every call and every `on_initialize` path of the model registry, each at its
//! worst case.
//!
//! Set-ups write the state they need directly (or through the pallet's `do_*` and bookkeeping
//! functions) instead of running blocks. Where the code draws random nodes or holders, the
//! set-up makes every candidate equally costly (all eligible, or all rejected after the full
//! checks), so that the measured path does not depend on the draw.

mod setup;

use crate::*;
use crate::{
	cleanup::Cleanup,
	offchain::{commitment_of, sealed_result},
	placement::Replication,
	tasks::Pending,
};
use alloc::{vec, vec::Vec};
use frame_benchmarking::v2::*;
use frame_support::{
	traits::{
		fungible::{Inspect, Mutate},
		Get,
	},
	weights::Weight,
	BoundedVec,
};
use frame_system::RawOrigin;
use setup::*;
use sp_runtime::traits::{Saturating, Zero};

/// Runtime-specific preparation of the benchmarks.
pub trait BenchmarkHelper {
	/// Put `Config::Randomness` into a state in which it yields randomness (a fresh state may
	/// have none, e.g. BABE's before the first block's VRF output), at its costliest to read.
	fn prepare_randomness() {}
}

impl BenchmarkHelper for () {}

#[benchmarks]
mod benchmarks {
	use super::*;

	#[benchmark]
	fn join() {
		set_up_block::<T>();
		// Another node, so that the new one does not take the first index.
		node::<T>("other", 0);
		let caller: T::AccountId = whitelisted_caller();
		fund::<T>(&caller);
		let stake = Pallet::<T>::required_stake(&big_capacity());
		// A recent departure: its QoS is restored and the record taken.
		let until = now::<T>().saturating_add(1u32.into());
		Departures::<T>::insert(&caller, Departure { qos: 500, until, rejoin_at: now::<T>() });

		#[extrinsic_call]
		_(RawOrigin::Signed(caller.clone()), big_capacity(), stake);

		assert_last_event::<T>(Event::NodeJoined {
			node: caller.clone(),
			stake,
			capacity: big_capacity(),
		});
		assert!(Nodes::<T>::get(&caller).is_some_and(|n| n.qos == 500));
		assert!(Departures::<T>::get(&caller).is_none());
	}

	#[benchmark]
	fn update_capacity() {
		set_up_block::<T>();
		let caller = node::<T>("node", 0);
		// A full VRAM list: the check scans all of it.
		Nodes::<T>::mutate_extant(&caller, |n| {
			n.vram_needs = BoundedVec::truncate_from(vec![1; T::MaxModelsPerNode::get() as usize]);
		});
		let capacity = NodeCapacity { disk_bytes: 1 << 49, vram_bytes: 1 };

		#[extrinsic_call]
		_(RawOrigin::Signed(caller.clone()), capacity);

		assert_last_event::<T>(Event::NodeCapacityUpdated { node: caller, capacity });
	}

	/// A node declares the longest endpoint URL.
	#[benchmark]
	fn set_endpoint() {
		set_up_block::<T>();
		let caller = node::<T>("node", 0);
		let endpoint = setup::endpoint::<T>();
		assert!(crate::endpoint::check_endpoint(&endpoint).is_ok());

		#[extrinsic_call]
		_(RawOrigin::Signed(caller.clone()), Some(endpoint.clone()));

		assert_last_event::<T>(Event::NodeEndpointSet {
			node: caller.clone(),
			endpoint: Some(endpoint),
		});
		assert!(NodeEndpoints::<T>::contains_key(&caller));
	}

	#[benchmark]
	fn pause() {
		set_up_block::<T>();
		let caller = node::<T>("node", 0);
		fill_holdings::<T>(&caller, 0);

		#[extrinsic_call]
		_(RawOrigin::Signed(caller.clone()));

		assert_last_event::<T>(Event::NodePaused { node: caller.clone() });
		assert_eq!(Cleanup::<T>::peek(), Some(CleanupJob::Node(caller)));
	}

	#[benchmark]
	fn resume() {
		set_up_block::<T>();
		let caller = node::<T>("node", 0);
		fill_holdings::<T>(&caller, 0);
		Nodes::<T>::mutate_extant(&caller, |n| n.status = NodeStatus::Paused);

		#[extrinsic_call]
		_(RawOrigin::Signed(caller.clone()));

		assert_last_event::<T>(Event::NodeResumed { node: caller.clone() });
		assert_eq!(Cleanup::<T>::peek(), Some(CleanupJob::Node(caller)));
	}

	#[benchmark]
	fn leave() {
		set_up_block::<T>();
		// The leaving node has the first index: the last node moves into it.
		let caller = node::<T>("node", 0);
		node::<T>("other", 0);
		fill_holdings::<T>(&caller, 0);
		let stake = Pallet::<T>::required_stake(&big_capacity());

		#[extrinsic_call]
		_(RawOrigin::Signed(caller.clone()));

		assert_last_event::<T>(Event::NodeLeft { node: caller.clone(), released: stake });
		assert_eq!(NodeCount::<T>::get(), 1);
		assert_eq!(Cleanup::<T>::peek(), Some(CleanupJob::Node(caller)));
	}

	#[benchmark]
	fn register_model(
		s: Linear<1, { T::MaxSources::get() }>,
		p: Linear<1, { crate::pieces::MAX_PIECES }>,
	) {
		set_up_block::<T>();
		registered_model::<T>(1);
		let caller: T::AccountId = whitelisted_caller();
		// `p` pieces of the smallest size (up to 4 GiB), within `MaxModelSize`.
		let size = (u64::from(p) * crate::pieces::MIN_PIECE_SIZE).min(T::MaxModelSize::get());
		let p = crate::pieces::piece_count(size) as u32;
		let deposit = Pallet::<T>::model_deposit(size, &Params::<T>::get());
		T::Currency::set_balance(
			&caller,
			deposit.saturating_mul(2u32.into()).saturating_add(T::Currency::minimum_balance()),
		);
		let model = model_id(0);
		let pieces = pieces(p);
		let root = crate::pieces::merkle_root(&pieces);
		// The worst case: an external engine with the longest name.
		let executor = ExecutorKind::External(BoundedVec::truncate_from(vec![
			b'e';
			MAX_ENGINE_NAME_LEN
				as usize
		]));

		#[extrinsic_call]
		_(
			RawOrigin::Signed(caller.clone()),
			model,
			size,
			sources::<T>(s),
			1,
			pieces,
			executor.clone(),
		);

		assert_last_event::<T>(Event::ModelRegistered {
			model,
			owner: caller,
			size_bytes: size,
			deposit,
			piece_root: root,
			executor: executor.clone(),
		});
		assert_eq!(Models::<T>::get(model).map(|m| m.executor), Some(executor));
		assert_eq!(ModelSources::<T>::get(model).len() as u32, s);
		assert_eq!(ModelPieces::<T>::get(model).map(|m| m.pieces.len() as u32), Some(p));
	}

	/// The owner replaces the sources of a model stopped by source failures: it is queued for
	/// nominations again.
	#[benchmark]
	fn update_sources(s: Linear<1, { T::MaxSources::get() }>) {
		set_up_block::<T>();
		let model = registered_model::<T>(0);
		unqueue::<T>(model);
		// The last clearing lies a demand window back.
		Params::<T>::mutate(|p| p.demand_window = 1u32.into());
		Models::<T>::mutate_extant(model, |m| {
			m.source_failures = MAX_SOURCE_FAILURES;
			m.sources_reset_at = Some(0u32.into());
		});
		let owner = Models::<T>::get(model).expect("registered").owner;

		#[extrinsic_call]
		_(RawOrigin::Signed(owner), model, sources::<T>(s));

		assert_last_event::<T>(Event::ModelSourcesUpdated { model, failures_cleared: true });
		assert_eq!(ModelSources::<T>::get(model).len() as u32, s);
		assert!(Models::<T>::get(model).is_some_and(|m| m.source_failures == 0 && m.queued));
	}

	#[benchmark]
	fn deregister_model() {
		set_up_block::<T>();
		// The model has the first index: the last model moves into it.
		let model = registered_model::<T>(0);
		registered_model::<T>(1);
		let owner = Models::<T>::get(model).expect("registered").owner;

		#[extrinsic_call]
		_(RawOrigin::Signed(owner), model);

		assert_last_event::<T>(Event::ModelDeregistered { model });
		assert!(Models::<T>::get(model).is_some_and(|m| m.retiring));
		assert_eq!(Cleanup::<T>::peek(), Some(CleanupJob::Model(model)));
	}

	#[benchmark]
	fn confirm_stored() {
		set_up_block::<T>();
		let model = registered_model::<T>(0);
		let caller = node::<T>("node", 0);
		let deadline = now::<T>().saturating_add(5u32.into());
		nominate::<T>(model, &caller, deadline);
		fill_holdings::<T>(&caller, 1);
		// A full holder list but for the caller's place.
		let others = T::MaxHoldersPerModel::get() - 1;
		for other in nodes::<T>("other", others) {
			hold::<T>(model, &other);
		}

		#[extrinsic_call]
		_(RawOrigin::Signed(caller.clone()), model);

		assert_last_event::<T>(Event::ModelStored { model, node: caller });
		assert!(Models::<T>::get(model).is_some_and(|m| m.holders == others + 1));
	}

	#[benchmark]
	fn decline_nomination() {
		set_up_block::<T>();
		let model = registered_model::<T>(0);
		let caller = node::<T>("node", 0);
		let deadline = now::<T>().saturating_add(5u32.into());
		nominate::<T>(model, &caller, deadline);
		fill_holdings::<T>(&caller, 1);
		let reason = DeclineReason::SourceUnavailable;

		#[extrinsic_call]
		_(RawOrigin::Signed(caller.clone()), model, reason);

		assert_last_event::<T>(Event::NominationDeclined { model, node: caller, reason });
		assert!(Models::<T>::get(model).is_some_and(|m| m.nominated == 0 && m.queued));
	}

	#[benchmark]
	fn report_lost() {
		set_up_block::<T>();
		let model = registered_model::<T>(0);
		// The caller holds the first position: the last holder moves into it.
		let caller = node::<T>("node", 0);
		hold::<T>(model, &caller);
		fill_holdings::<T>(&caller, 0);
		// A full holder list.
		let others = T::MaxHoldersPerModel::get() - 1;
		for other in nodes::<T>("other", others) {
			hold::<T>(model, &other);
		}

		#[extrinsic_call]
		_(RawOrigin::Signed(caller.clone()), model);

		assert_last_event::<T>(Event::ModelLost { model, node: caller });
		assert!(Models::<T>::get(model).is_some_and(|m| m.holders == others));
	}

	/// The announcement list is full but for one entry, and every entry is examined (one model
	/// read each) and pruned.
	#[benchmark]
	fn announce_stored() {
		set_up_block::<T>();
		let model = registered_model::<T>(0);
		let caller = node::<T>("node", 0);
		fill_holdings::<T>(&caller, 1);
		let stale = other_models(T::MaxModelsPerNode::get() - 1);
		Announcements::<T>::insert(&caller, BoundedVec::truncate_from(stale));
		// A full holder list, which the call scans for the caller.
		for other in nodes::<T>("other", T::MaxHoldersPerModel::get()) {
			hold::<T>(model, &other);
		}

		#[extrinsic_call]
		_(RawOrigin::Signed(caller.clone()), model);

		assert_last_event::<T>(Event::ModelAnnounced { model, node: caller.clone() });
		assert_eq!(Announcements::<T>::get(&caller).to_vec(), vec![model]);
	}

	#[benchmark]
	fn create_task(i: Linear<0, { T::MaxTaskInputLen::get() }>) {
		set_up_block::<T>();
		let model = registered_model::<T>(0);
		let caller: T::AccountId = whitelisted_caller();
		fund::<T>(&caller);
		let fee = T::MinNodeStake::get();
		let task = TaskQueue::<T>::get().next_task;

		#[extrinsic_call]
		_(RawOrigin::Signed(caller.clone()), model, input::<T>(i), fee);

		let deposit = Pallet::<T>::task_deposit(i as usize);
		assert_last_event::<T>(Event::TaskCreated { task, model, creator: caller, fee, deposit });
		assert_eq!(Pending::<T>::items(&TaskQueue::<T>::get().pending), vec![task]);
		assert!(Tasks::<T>::get(task).is_some_and(|t| t.input.len() as u32 == i));
	}

	#[benchmark]
	fn commit_result() {
		set_up_block::<T>();
		// The longest executor list: a first round and its largest jury.
		let k = MaxTaskExecutors::<T>::get();
		let deadline = now::<T>().saturating_add(5u32.into());
		let (task, _, executors) = task_with_executors::<T>(k, TaskStatus::Commit { deadline });
		// Everybody but the last executor committed: the call starts the reveal phase.
		let last = executors.len() - 1;
		answer::<T>(task, &[last], false, |_| AGREED);
		let caller = executors[last].clone();
		let commitment = commitment_of(&caller, &AGREED, &salt(last));

		#[extrinsic_call]
		_(RawOrigin::Signed(caller), task, commitment);

		let reveal_deadline = now::<T>().saturating_add(Params::<T>::get().reveal_deadline);
		assert_last_event::<T>(Event::RevealPhaseStarted { task, reveal_deadline });
	}

	#[benchmark]
	fn reveal_result() {
		set_up_block::<T>();
		let k = MaxTaskExecutors::<T>::get();
		let deadline = now::<T>().saturating_add(5u32.into());
		let (task, _, executors) = task_with_executors::<T>(k, TaskStatus::Reveal { deadline });
		// The caller is an appeal juror: it reveals the result itself, which is sealed and
		// checked against the first round's seals (the dearer reveal).
		let block = now::<T>();
		Tasks::<T>::mutate(task, |t| {
			if let Some(t) = t {
				t.appeal = Some(Appeal { jury_from: k / 2, disputed_at: block });
			}
		});
		// Everybody committed to the seal; all but the last revealed: the call ends the phase.
		let sealed = sealed_result(task, &AGREED);
		let last = executors.len() - 1;
		answer::<T>(task, &[], false, |_| sealed);
		answer::<T>(task, &[last], true, |_| sealed);
		let caller = executors[last].clone();

		#[extrinsic_call]
		_(RawOrigin::Signed(caller.clone()), task, AGREED, salt(last));

		assert_last_event::<T>(Event::ResultRevealed { task, executor: caller, result: sealed });
		let next = now::<T>().saturating_add(1u32.into());
		assert!(Tasks::<T>::get(task)
			.is_some_and(|t| t.status == TaskStatus::Reveal { deadline: next }));
	}

	#[benchmark]
	fn cancel_task() {
		set_up_block::<T>();
		let model = registered_model::<T>(0);
		let caller: T::AccountId = whitelisted_caller();
		fund::<T>(&caller);
		let task = TaskQueue::<T>::get().next_task;
		let input = input::<T>(T::MaxTaskInputLen::get());
		assert!(Pallet::<T>::do_create_task(caller.clone(), model, input, T::MinNodeStake::get())
			.is_ok());

		#[extrinsic_call]
		_(RawOrigin::Signed(caller), task);

		assert_last_event::<T>(Event::TaskCancelled { task });
		assert!(Tasks::<T>::get(task).is_none());
	}

	#[benchmark]
	fn set_params() {
		set_up_block::<T>();
		let params = ParamsOf::<T> { executors_per_task: 1, ..RegistryParams::default() };

		#[extrinsic_call]
		_(RawOrigin::Root, params.clone());

		assert_last_event::<T>(Event::ParamsUpdated { params });
	}

	/// `on_initialize` with empty queues: the fixed reads and the block's randomness.
	#[benchmark]
	fn on_initialize_base() {
		set_up_block::<T>();
		let block = now::<T>();
		DeadlineCursor::<T>::put((block, 0));
		let weight;

		#[block]
		{
			weight = Pallet::<T>::do_on_initialize(block);
		}

		assert_eq!(DeadlineCursor::<T>::get(), (block.saturating_add(1u32.into()), 0));
		assert!(weight.any_gt(Weight::zero()));
	}

	/// A nomination expires: QoS penalty (no kick-out) and the model queued again.
	#[benchmark]
	fn expire_nomination() {
		set_up_block::<T>();
		let model = registered_model::<T>(0);
		let who = node::<T>("node", 0);
		let block = now::<T>();
		nominate::<T>(model, &who, block);
		fill_holdings::<T>(&who, 1);
		DeadlineCursor::<T>::put((block, 0));
		let mut weight = Weight::zero();

		#[block]
		{
			Pallet::<T>::process_deadlines(block, &mut weight);
		}

		assert_last_event::<T>(Event::NominationExpired { model, node: who });
		assert!(Models::<T>::get(model).is_some_and(|m| m.nominated == 0 && m.queued));
	}

	/// The commit phase of a task with `k` executors ends: one committed, the others are
	/// released and penalised; the reveal phase starts.
	#[benchmark]
	fn end_commit_phase(k: Linear<1, { MaxTaskExecutors::<T>::get() }>) {
		set_up_block::<T>();
		let block = now::<T>();
		let (task, _, _) = task_with_executors::<T>(k, TaskStatus::Commit { deadline: block });
		let silent: Vec<usize> = (1..k as usize).collect();
		answer::<T>(task, &silent, false, |_| AGREED);
		Pallet::<T>::schedule_deadline(block, DeadlineItem::TaskPhase { task });
		DeadlineCursor::<T>::put((block, 0));
		let mut weight = Weight::zero();

		#[block]
		{
			Pallet::<T>::process_deadlines(block, &mut weight);
		}

		let reveal_deadline = block.saturating_add(Params::<T>::get().reveal_deadline);
		assert_last_event::<T>(Event::RevealPhaseStarted { task, reveal_deadline });
	}

	/// A task with `k` executors resolves: a majority agrees and is paid, the minority (kicked
	/// out while its commitments were open) is slashed, drops the model, starts a cool-down and
	/// gets the rest of its stake back (no kick-out; see `kick_out`). The task is an appeal
	/// (a contradicted first round is appealed instead, which costs less), with every executor
	/// voting as a juror: the longest lists are a first round and its jury.
	#[benchmark]
	fn resolve_task(k: Linear<1, { MaxTaskExecutors::<T>::get() }>) {
		set_up_block::<T>();
		let block = now::<T>();
		let (task, model, _) = task_with_executors::<T>(k, TaskStatus::Reveal { deadline: block });
		Tasks::<T>::mutate(task, |t| {
			if let Some(t) = t {
				t.appeal = Some(Appeal { jury_from: 0, disputed_at: block });
			}
		});
		let majority = (k / 2 + 1) as usize;
		let nodes = answer::<T>(task, &[], true, |i| if i < majority { AGREED } else { ODD });
		// The minority was kicked out meanwhile: its stake is slashed, then released.
		for who in nodes.iter().skip(majority) {
			Pallet::<T>::retire_node(who);
		}
		Pallet::<T>::schedule_deadline(block, DeadlineItem::TaskPhase { task });
		DeadlineCursor::<T>::put((block, 0));
		let mut weight = Weight::zero();

		#[block]
		{
			Pallet::<T>::process_deadlines(block, &mut weight);
		}

		assert!(Tasks::<T>::get(task)
			.is_some_and(|t| t.status == TaskStatus::Completed { result: AGREED }));
		assert!(Models::<T>::get(model).is_some_and(|m| m.holders == majority as u32));
		for who in nodes.iter().skip(majority) {
			assert!(Cooldowns::<T>::contains_key(model, who));
			assert!(Nodes::<T>::get(who).is_some_and(|n| n.stake.is_zero()));
		}
	}

	/// A resolved task record (with the maximum input) is removed.
	#[benchmark]
	fn prune_task() {
		set_up_block::<T>();
		let block = now::<T>();
		let failed = TaskStatus::Failed { reason: TaskFailure::NoAnswers };
		let (task, _, _) = task_with_executors::<T>(MaxTaskExecutors::<T>::get(), failed);
		Pallet::<T>::schedule_deadline(block, DeadlineItem::Prune { task });
		DeadlineCursor::<T>::put((block, 0));
		let mut weight = Weight::zero();

		#[block]
		{
			Pallet::<T>::process_deadlines(block, &mut weight);
		}

		assert!(Tasks::<T>::get(task).is_none());
	}

	/// A node is kicked out: stake released, dense index updated, cleanup queued.
	#[benchmark]
	fn kick_out() {
		set_up_block::<T>();
		let who = node::<T>("node", 0);
		node::<T>("other", 0);
		fill_holdings::<T>(&who, 0);
		let mut weight = Weight::zero();

		#[block]
		{
			Pallet::<T>::kick_out(&who, 0, &mut weight);
		}

		let released = Pallet::<T>::required_stake(&big_capacity());
		assert_last_event::<T>(Event::NodeKickedOut { node: who.clone(), qos: 0, released });
		assert_eq!(Cleanup::<T>::peek(), Some(CleanupJob::Node(who)));
	}

	/// One assignment pass over `n` waiting tasks, each on its own model, each served at its
	/// worst case: `MaxExecutorsPerTask` executors accepted after as many rejected draws, every
	/// draw reading a node (see `draw_worst_case`).
	#[benchmark]
	fn assign_executors(n: Linear<1, { T::MaxAssignmentsPerBlock::get() }>) {
		set_up_block::<T>();
		let k = T::MaxExecutorsPerTask::get();
		set_executors_per_task::<T>(k);
		let first = TaskQueue::<T>::get().next_task;
		let tasks: Vec<TaskId> = (0..n)
			.map(|i| waiting_task::<T>(draw_worst_case::<T>(i, first + u64::from(i), k, k)))
			.collect();
		let randomness = Pallet::<T>::block_randomness();

		#[block]
		{
			Pallet::<T>::assign_waiting(now::<T>(), &randomness);
		}

		for task in tasks {
			assert!(Tasks::<T>::get(task).is_some_and(|t| t.executors.len() as u32 == k));
		}
		assert_eq!(Pending::<T>::len(&TaskQueue::<T>::get().pending), 0);
	}

	/// One assignment pass over `n` waiting tasks that all stay unserved: every draw of each
	/// (`DRAWS_PER_EXECUTOR * MaxExecutorsPerTask`) reads a paused node and rejects it; each
	/// task emits `TaskWaitingForHolders` and goes back to the queue.
	#[benchmark]
	fn assign_unserved(n: Linear<1, { T::MaxAssignmentsPerBlock::get() }>) {
		set_up_block::<T>();
		let k = T::MaxExecutorsPerTask::get();
		set_executors_per_task::<T>(k);
		let draws = k * crate::tasks::DRAWS_PER_EXECUTOR;
		let first = TaskQueue::<T>::get().next_task;
		let tasks: Vec<TaskId> = (0..n)
			.map(|i| waiting_task::<T>(draw_worst_case::<T>(i, first + u64::from(i), draws, 0)))
			.collect();
		let randomness = Pallet::<T>::block_randomness();

		#[block]
		{
			Pallet::<T>::assign_waiting(now::<T>(), &randomness);
		}

		assert_eq!(Pending::<T>::items(&TaskQueue::<T>::get().pending), tasks);
		for task in tasks {
			assert!(Tasks::<T>::get(task).is_some_and(|t| t.waiting_notified));
		}
	}

	/// A task waiting longer than a demand window fails: its fee is refunded, it counts as
	/// demand, which raises the model's target and queues it for nominations.
	#[benchmark]
	fn fail_waiting_task() {
		set_up_block::<T>();
		let model = registered_model::<T>(0);
		Models::<T>::mutate_extant(model, |m| {
			m.demand_current = 1_000;
			m.demand_window_index = now::<T>() / Params::<T>::get().demand_window;
		});
		let task = waiting_task::<T>(model);
		let late =
			now::<T>().saturating_add(Params::<T>::get().demand_window).saturating_add(1u32.into());
		let randomness = Pallet::<T>::block_randomness();

		#[block]
		{
			Pallet::<T>::assign_waiting(late, &randomness);
		}

		assert_last_event::<T>(Event::TaskFailed { task, reason: TaskFailure::NoHolders });
		assert!(Models::<T>::get(model).is_some_and(|m| m.queued));
	}

	/// A model of the replication queue is served with `d` draws, the whole range it can be
	/// charged for: `d - 1` (at most `MaxHoldersPerModel - 1`) draws nominate an eligible node,
	/// the others read an eligible node and reject it by its QoS roll; the model stays short
	/// by one nomination and goes back to the queue.
	#[benchmark]
	fn replicate_model(
		d: Linear<
			1,
			{
				T::MaxNominationDrawsPerBlock::get()
					.min(T::MaxNodes::get())
					.min(T::MaxHoldersPerModel::get() * crate::placement::DRAWS_PER_SLOT)
			},
		>,
	) {
		set_up_block::<T>();
		let accepted = (d - 1).min(T::MaxHoldersPerModel::get() - 1);
		Params::<T>::mutate(|p| {
			p.refill_batch = 1;
			p.max_replicas = T::MaxHoldersPerModel::get();
		});
		let model = registered_model::<T>(0);
		for (i, who) in nodes::<T>("node", d).into_iter().enumerate() {
			fill_holdings::<T>(&who, 1);
			if i as u32 >= accepted {
				Nodes::<T>::mutate_extant(&who, |n| n.qos = 0);
			}
		}
		Models::<T>::mutate_extant(model, |m| {
			m.target = accepted + 1;
			m.queued = true;
		});
		Replication::<T>::push((model, earlier::<T>()));
		let randomness = Pallet::<T>::block_randomness();

		#[block]
		{
			Pallet::<T>::process_replication_queue(now::<T>(), &randomness);
		}

		assert!(Models::<T>::get(model).is_some_and(|m| m.nominated == accepted && m.queued));
	}

	/// A model's demand review evicts `e` of its holders (after scanning a full holder list and
	/// sampling the maximum).
	#[benchmark]
	fn review_model(e: Linear<1, { crate::demand::EVICTION_SAMPLE }>) {
		set_up_block::<T>();
		Params::<T>::mutate(|p| p.max_replicas = T::MaxHoldersPerModel::get());
		let model = registered_model::<T>(0);
		let count = T::MaxHoldersPerModel::get();
		for who in nodes::<T>("holder", count) {
			hold::<T>(model, &who);
			fill_holdings::<T>(&who, 0);
		}
		Models::<T>::mutate_extant(model, |m| m.target = count - e);
		let seed = Pallet::<T>::block_randomness().seed();

		#[block]
		{
			Pallet::<T>::review_models(now::<T>(), &seed);
		}

		assert!(Models::<T>::get(model).is_some_and(|m| m.holders == count - e));
	}

	/// `s` steps of a leaving node's cleanup, each evicting a holding (with a move in the
	/// model's holder index) and queueing the model for a replacement.
	#[benchmark]
	fn cleanup_node(s: Linear<1, { T::MaxModelsPerNode::get() }>) {
		set_up_block::<T>();
		let who = node::<T>("node", 0);
		let others = nodes::<T>("other", 1);
		for i in 0..s {
			let model = registered_model::<T>(i);
			hold::<T>(model, &who);
			hold::<T>(model, &others[0]);
		}
		Pallet::<T>::retire_node(&who);
		Cleanup::<T>::pop();

		#[block]
		{
			Pallet::<T>::cleanup_node(&who, s);
		}

		assert!(NodeHoldings::<T>::get(&who).is_empty());
		assert!(has_event::<T>(Event::ModelEvicted { model: model_id(0), node: who }));
		assert_eq!(Replication::<T>::len(), s);
	}

	/// `s` steps of a deregistered model's cleanup, each evicting a holder.
	#[benchmark]
	fn cleanup_model(s: Linear<1, { T::MaxHoldersPerModel::get() }>) {
		set_up_block::<T>();
		let model = registered_model::<T>(0);
		for who in nodes::<T>("holder", s) {
			hold::<T>(model, &who);
			fill_holdings::<T>(&who, 0);
		}
		assert!(Pallet::<T>::do_deregister_model(None, model).is_ok());
		Cleanup::<T>::pop();

		#[block]
		{
			Pallet::<T>::cleanup_model(model, s);
		}

		assert!(Models::<T>::get(model).is_some_and(|m| m.holders == 0));
	}

	impl_benchmark_test_suite!(Pallet, crate::mock::new_test_ext(), crate::mock::Test);
}
