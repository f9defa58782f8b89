//! Unit tests of the model registry.

use crate::{mock::*, pallet::*, types::*};
use codec::Encode;
use frame_support::{
	assert_noop, assert_ok,
	traits::fungible::{Inspect, InspectHold},
	BoundedVec,
};
use sp_core::H256;

mod attacks;
mod demand;
mod draw_statistics;
mod endpoints;
mod migrations;
mod models;
mod nodes;
mod offchain;
mod params;
mod pieces;
mod placement;
mod priority;
mod property;
mod qos;
mod randomness;
mod runtime_api;
mod spam;
mod tasks;

/// Model id number `n`.
pub fn model_id(n: u8) -> ModelId {
	H256::repeat_byte(n)
}

/// One source URL.
pub fn sources() -> SourcesOf<Test> {
	let url: UrlOf<Test> =
		BoundedVec::truncate_from(b"https://huggingface.co/x/resolve/main/m".to_vec());
	BoundedVec::truncate_from(vec![url])
}

/// Capacity large enough for any test model.
pub fn big() -> NodeCapacity {
	NodeCapacity { disk_bytes: 1_000_000, vram_bytes: 1_000 }
}

/// Join `nodes` with stake 1000 and a big capacity.
pub fn join_all(nodes: impl IntoIterator<Item = AccountId>) {
	for n in nodes {
		assert_ok!(ModelRegistry::join(RuntimeOrigin::signed(n), big(), 1_000));
	}
}

/// Register model `n` (size 1000, VRAM 100) owned by account 80.
pub fn register(n: u8) -> ModelId {
	let model = model_id(n);
	assert_ok!(ModelRegistry::register_model(
		RuntimeOrigin::signed(80),
		model,
		1_000,
		sources(),
		100,
		pieces(1_000),
		ExecutorKind::SpotCheck
	));
	model
}

/// Piece hashes for a model of `size` bytes (right count, arbitrary values).
pub fn pieces(size: u64) -> PiecesOf {
	let count = crate::pieces::piece_count(size).min(crate::pieces::MAX_PIECES.into()) as usize;
	BoundedVec::truncate_from((0..count).map(|i| H256::repeat_byte(i as u8)).collect::<Vec<_>>())
}

/// Tasks node `who` executes (from the holder entries of its holdings), with their models.
pub fn node_tasks(who: AccountId) -> Vec<(TaskId, ModelId)> {
	ModelRegistry::tasks_of(&who)
}

/// Set the tasks node `who` executes on `model`.
pub fn set_node_tasks(who: AccountId, model: ModelId, tasks: Vec<TaskId>) {
	Holders::<Test>::mutate(model, |holders| {
		let entry = holders.iter_mut().find(|h| h.node == who).unwrap();
		entry.tasks = BoundedVec::truncate_from(tasks);
	});
}

/// Nodes currently nominated for `model`.
pub fn nominees(model: ModelId) -> Vec<AccountId> {
	let mut v: Vec<AccountId> = Nominations::<Test>::iter_key_prefix(model).collect();
	v.sort();
	v
}

/// Current holders of `model`.
pub fn holders(model: ModelId) -> Vec<AccountId> {
	let mut v: Vec<AccountId> = Holders::<Test>::get(model).into_iter().map(|h| h.node).collect();
	v.sort();
	v
}

/// Confirm every pending nomination of `model`.
pub fn confirm_all(model: ModelId) {
	for n in nominees(model) {
		assert_ok!(ModelRegistry::confirm_stored(RuntimeOrigin::signed(n), model));
	}
}

/// Register model `n` and run blocks until it has its initial holders confirmed.
pub fn placed_model(n: u8) -> ModelId {
	let model = register(n);
	for _ in 0..20 {
		run_blocks(1);
		confirm_all(model);
		if Models::<Test>::get(model).unwrap().nominated == 0
			&& !Models::<Test>::get(model).unwrap().queued
		{
			break;
		}
	}
	model
}

/// Commitment of `who` to `result` of `task` (sealed) with `salt`.
pub fn commitment(task: TaskId, who: AccountId, result: H256, salt: H256) -> H256 {
	crate::offchain::commitment_of(&who, &sealed(task, result), &salt)
}

/// The sealed form of `result` for `task`: what the chain records and publishes.
pub fn sealed(task: TaskId, result: H256) -> H256 {
	crate::offchain::sealed_result(task, &result)
}

/// What an executor of the task's current round reveals for `result`: the seal in a first
/// round, the result itself as an appeal juror.
pub fn opening(task: TaskId, result: H256) -> H256 {
	if Tasks::<Test>::get(task).is_some_and(|t| t.appeal.is_some()) {
		result
	} else {
		sealed(task, result)
	}
}

/// Salt used by executor `who` in tests.
pub fn salt(who: AccountId) -> H256 {
	H256::from_low_u64_be(who)
}

/// Create a task on `model` from account 79 with fee 300.
pub fn create_task(model: ModelId) -> TaskId {
	let id = TaskQueue::<Test>::get().next_task;
	assert_ok!(ModelRegistry::create_task(
		RuntimeOrigin::signed(79),
		model,
		BoundedVec::truncate_from(b"prompt".to_vec()),
		300
	));
	id
}

/// Executors of a task.
pub fn executors(task: TaskId) -> Vec<AccountId> {
	Tasks::<Test>::get(task).unwrap().executors.iter().map(|e| e.node).collect()
}

/// The executors of the task's current round (the appeal jury once there is one).
pub fn current_round(task: TaskId) -> Vec<AccountId> {
	Tasks::<Test>::get(task).unwrap().current_round().iter().map(|e| e.node).collect()
}

/// Commit `results[i]` for the i-th executor of the current round (None = stays silent).
pub fn commit_all(task: TaskId, results: &[Option<H256>]) {
	for (who, result) in current_round(task).into_iter().zip(results) {
		if let Some(r) = result {
			assert_ok!(ModelRegistry::commit_result(
				RuntimeOrigin::signed(who),
				task,
				commitment(task, who, *r, salt(who))
			));
		}
	}
}

/// Reveal `results[i]` for the i-th executor of the current round (None = stays silent).
pub fn reveal_all(task: TaskId, results: &[Option<H256>]) {
	for (who, result) in current_round(task).into_iter().zip(results) {
		if let Some(r) = result {
			assert_ok!(ModelRegistry::reveal_result(
				RuntimeOrigin::signed(who),
				task,
				opening(task, *r),
				salt(who)
			));
		}
	}
}

/// The commit deadline of a task in its commit phase.
pub fn commit_deadline(task: TaskId) -> u64 {
	match Tasks::<Test>::get(task).unwrap().status {
		TaskStatus::Commit { deadline } => deadline,
		s => panic!("not in commit phase: {s:?}"),
	}
}

/// The reveal deadline of a task in its reveal phase.
pub fn reveal_deadline(task: TaskId) -> u64 {
	match Tasks::<Test>::get(task).unwrap().status {
		TaskStatus::Reveal { deadline } => deadline,
		s => panic!("not in reveal phase: {s:?}"),
	}
}

/// Run blocks until the appealed task's jury is drawn; returns the jurors.
pub fn jury_drawn(task: TaskId) -> Vec<AccountId> {
	for _ in 0..20 {
		let info = Tasks::<Test>::get(task).unwrap();
		if info.appeal.is_some() && matches!(info.status, TaskStatus::Commit { .. }) {
			return current_round(task);
		}
		run_blocks(1);
	}
	panic!("no jury drawn for task {task}");
}

/// The appealed task's jury is drawn, every juror answers `result`, and the task resolves in
/// the next block. Returns the jurors.
pub fn jury_answers(task: TaskId, result: H256) -> Vec<AccountId> {
	let jury = jury_drawn(task);
	let answers = vec![Some(result); jury.len()];
	commit_all(task, &answers);
	reveal_all(task, &answers);
	run_blocks(1);
	jury
}

/// Held amount of `who` for `reason`.
pub fn held(reason: HoldReason, who: AccountId) -> Balance {
	Balances::balance_on_hold(&reason.into(), &who)
}

/// Free balance of `who`.
pub fn free(who: AccountId) -> Balance {
	Balances::balance(&who)
}

#[test]
fn genesis_and_integrity() {
	new_test_ext().execute_with(|| {
		assert_eq!(Params::<Test>::get(), RegistryParams::default());
		use frame_support::traits::Hooks;
		ModelRegistry::integrity_test();
		assert_ok!(ModelRegistry::do_try_state());
	});
}

#[test]
fn genesis_config_json_round_trip() {
	use frame_support::__private::serde_json;
	let config = crate::GenesisConfig::<Test>::default();
	let json = serde_json::to_string(&config).unwrap();
	assert!(json.contains("\"initialReplicas\":10"), "{json}");
	assert!(json.contains("\"slashFraction\":100000000"), "{json}");
	let back: crate::GenesisConfig<Test> = serde_json::from_str(&json).unwrap();
	assert_eq!(back.params, RegistryParams::default());
}

#[test]
#[should_panic(expected = "invalid model registry genesis parameters")]
fn genesis_rejects_invalid_params() {
	let params = RegistryParams { min_replicas: 1, ..Default::default() };
	let _ = new_test_ext_with(params);
}

#[test]
fn invariant_checks_detect_corruption() {
	use frame_support::traits::fungible::MutateHold;
	type Corruption = (&'static str, fn(ModelId));
	let corruptions: Vec<Corruption> = vec![
		("holder indexed twice", |m| {
			Holders::<Test>::mutate(m, |h| {
				let first = h[0].clone();
				h.try_push(first).unwrap();
			});
		}),
		("used disk mismatch", |_| {
			Nodes::<Test>::mutate(1, |n| n.as_mut().unwrap().used_disk += 1);
		}),
		("disk capacity exceeded", |_| {
			Nodes::<Test>::mutate(1, |n| {
				let n = n.as_mut().unwrap();
				n.capacity.disk_bytes = n.used_disk - 1;
			});
		}),
		("available holder count mismatch", |m| {
			Models::<Test>::mutate(m, |i| i.as_mut().unwrap().available += 1);
		}),
		("held balance does not match the records", |_| {
			assert_ok!(Balances::hold(&HoldReason::NodeStake.into(), &1, 1));
		}),
		("task queued twice", |m| {
			let t = create_task(m);
			TaskQueue::<Test>::mutate(|q| {
				crate::tasks::Pending::<Test>::push_slot(&mut q.pending, t);
			});
		}),
		("queued flag mismatch", |m| {
			Models::<Test>::mutate(m, |i| i.as_mut().unwrap().queued = true);
		}),
		("node index not reciprocal", |_| {
			Nodes::<Test>::mutate(1, |n| n.as_mut().unwrap().index = 7);
		}),
	];
	for (expected, corrupt) in corruptions {
		new_test_ext().execute_with(|| {
			join_all(1..=10);
			let model = placed_model(1);
			assert_ok!(ModelRegistry::do_try_state());
			corrupt(model);
			let err = ModelRegistry::do_try_state().unwrap_err();
			assert_eq!(err, sp_runtime::DispatchError::Other(expected), "{expected}");
		});
	}
}
