//! The priority of awaited answers (`PrioritizeExecutors`).

use super::*;
use crate::priority::{PrioritizeExecutors, EXECUTOR_PRIORITY};
use frame_support::dispatch::DispatchInfo;
use sp_runtime::{traits::DispatchTransaction, transaction_validity::TransactionSource};

/// The priority the extension gives `call` signed by `who`.
fn priority(who: AccountId, call: crate::Call<Test>) -> u64 {
	let call: RuntimeCall = call.into();
	let origin = RuntimeOrigin::signed(who);
	let (validity, _, _) = PrioritizeExecutors::<Test>::new()
		.validate_only(origin, &call, &DispatchInfo::default(), 0, TransactionSource::External, 0)
		.expect("the extension never refuses");
	validity.priority
}

fn commit_call(task: TaskId) -> crate::Call<Test> {
	crate::Call::commit_result { task, commitment: H256::repeat_byte(1) }
}

fn reveal_call(task: TaskId) -> crate::Call<Test> {
	crate::Call::reveal_result { task, result: H256::repeat_byte(1), salt: H256::zero() }
}

#[test]
fn only_answers_the_task_waits_for_get_priority() {
	new_test_ext().execute_with(|| {
		join_all(1..=10);
		let model = placed_model(1);
		let task = create_task(model);
		// Waiting: nobody is expected to answer.
		assert_eq!(priority(1, commit_call(task)), 0);
		run_blocks(1);
		let ex = executors(task);
		let outsider = (1..=10).find(|n| !ex.contains(n)).unwrap();
		assert_eq!(priority(ex[0], commit_call(task)), EXECUTOR_PRIORITY);
		assert_eq!(priority(outsider, commit_call(task)), 0, "not an executor");
		assert_eq!(priority(ex[0], reveal_call(task)), 0, "not the reveal phase");
		assert_eq!(priority(ex[0], commit_call(task + 1)), 0, "no such task");
		let other = crate::Call::pause {};
		assert_eq!(priority(ex[0], other), 0, "another call");

		let r = H256::repeat_byte(1);
		commit_all(task, &[Some(r), Some(r), None]);
		assert_eq!(priority(ex[0], commit_call(task)), 0, "already committed");
		assert_eq!(priority(ex[2], commit_call(task)), EXECUTOR_PRIORITY);
		commit_all(task, &[None, None, Some(r)]);
		// The reveal phase: committed executors that have not revealed.
		assert_eq!(priority(ex[0], reveal_call(task)), EXECUTOR_PRIORITY);
		assert_eq!(priority(ex[0], commit_call(task)), 0, "not the commit phase");
		assert_eq!(priority(outsider, reveal_call(task)), 0);
		reveal_all(task, &[Some(r), None, None]);
		assert_eq!(priority(ex[0], reveal_call(task)), 0, "already revealed");
		assert_eq!(priority(ex[1], reveal_call(task)), EXECUTOR_PRIORITY);
	});
}
