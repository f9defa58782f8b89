//! A committed result is revealed as it was committed, whatever the native worker's result key
//! holds by the reveal: after a restart the native worker sweeps its results and executes the
//! task again, and a second run of an engine may give another result (or none yet).

use super::*;

/// Twelve nodes hold a model and a task is assigned to three of them, whose keys are local;
/// the native worker's result is `result`, and the off-chain worker's commitments are
/// dispatched. Returns the task and its executors.
pub(super) fn committed_task(pool: &Pool, result: H256) -> (TaskId, Vec<AccountId>) {
	let (_, task, executors) = task_of_local_executors();
	native_result(task, result);
	run_ocw();
	let commits = take_submitted(pool);
	assert_eq!(commits.len(), executors.len());
	for (who, call) in commits {
		assert_ok!(call.dispatch(RuntimeOrigin::signed(who)));
	}
	(task, executors)
}

/// The native worker's result key of `task`, as the native worker writes it.
pub(super) fn native_result_key(task: TaskId) -> Vec<u8> {
	let info = crate::Tasks::<Test>::get(task).expect("the task exists");
	let input = crate::offchain::executor_input(&info.challenge, &info.input);
	task_result_key(task, &info.model, &input)
}

/// Runs the off-chain worker in the next block and dispatches the reveals it sends; returns
/// the results revealed.
fn reveals_dispatched(pool: &Pool) -> Vec<H256> {
	run_blocks(1);
	run_ocw();
	take_submitted(pool)
		.into_iter()
		.map(|(who, call)| {
			let RuntimeCall::ModelRegistry(crate::Call::reveal_result { result, .. }) = call else {
				panic!("expected a reveal, got {call:?}");
			};
			// The reveal opens the commitment made before the restart.
			assert_ok!(call.dispatch(RuntimeOrigin::signed(who)));
			result
		})
		.collect()
}

/// The task completed with `result`, nobody slashed.
fn completed_with(task: TaskId, result: H256) {
	run_blocks(1);
	let events = take_events();
	assert!(
		events.iter().any(|e| matches!(
			e,
			crate::Event::TaskCompleted { task: t, result: r, .. } if *t == task && *r == sealed(task, result)
		)),
		"{events:?}"
	);
	assert!(!events.iter().any(|e| matches!(e, crate::Event::ExecutorSlashed { .. })));
}

#[test]
fn after_a_restart_the_committed_result_is_revealed_not_the_new_one() {
	let (mut ext, pool) = ocw_ext();
	ext.execute_with(|| {
		let committed = H256::repeat_byte(0xab);
		let (task, executors) = committed_task(&pool, committed);

		// The node restarts: the native worker swept its result and executed the task again,
		// this time with another outcome.
		native_result(task, H256::repeat_byte(0xcd));

		assert_eq!(reveals_dispatched(&pool), vec![sealed(task, committed); executors.len()]);
		completed_with(task, committed);
	});
}

#[test]
fn after_a_restart_the_committed_result_is_revealed_before_the_task_ran_again() {
	let (mut ext, pool) = ocw_ext();
	ext.execute_with(|| {
		let committed = H256::repeat_byte(0xab);
		let (task, executors) = committed_task(&pool, committed);

		// The node restarts: the native worker swept its result and has no new one yet.
		sp_io::offchain::local_storage_clear(StorageKind::PERSISTENT, &native_result_key(task));

		assert_eq!(reveals_dispatched(&pool), vec![sealed(task, committed); executors.len()]);
		completed_with(task, committed);
	});
}

/// A commitment lost from the pool is sent again with the result it was made to, even if the
/// native worker has another one by then: the kept result is what will be revealed.
#[test]
fn a_commitment_sent_again_is_made_to_the_kept_result() {
	let (mut ext, pool) = ocw_ext();
	ext.execute_with(|| {
		let (_, task, _) = task_of_local_executors();
		let first = H256::repeat_byte(0xab);
		native_result(task, first);
		run_ocw();
		// The commitments are lost; the node restarts and gets another result.
		assert_eq!(take_submitted(&pool).len(), 3);
		native_result(task, H256::repeat_byte(0xcd));

		run_blocks(u64::from(RESEND_AFTER));
		run_ocw();
		let commits = take_submitted(&pool);
		assert_eq!(commits.len(), 3);
		for (who, call) in commits {
			let RuntimeCall::ModelRegistry(crate::Call::commit_result { commitment, .. }) =
				call.clone()
			else {
				panic!("expected a commitment, got {call:?}");
			};
			assert_eq!(commitment, commitment_of(&who, &sealed(task, first), &H256(NODE_ENTROPY)));
			assert_ok!(call.dispatch(RuntimeOrigin::signed(who)));
		}
		assert_eq!(reveals_dispatched(&pool), vec![sealed(task, first); 3]);
		completed_with(task, first);
	});
}
