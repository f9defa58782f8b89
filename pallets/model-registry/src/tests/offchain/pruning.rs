//! The keys the off-chain worker writes for itself are removed once the work they serve is
//! over (and kept while it is not).

use super::{
	restart::{committed_task, native_result_key},
	*,
};
use crate::offchain::PRUNE_AFTER;

/// The value under a persistent off-chain key, if any.
fn stored(key: &[u8]) -> Option<Vec<u8>> {
	sp_io::offchain::local_storage_get(StorageKind::PERSISTENT, key)
}

/// `modelnet/sent/<account><kind><id>`: when `who` last sent the transaction `kind` for `id`.
fn sent_key(who: AccountId, kind: &[u8], id: &[u8]) -> Vec<u8> {
	[&b"modelnet/sent/"[..], &who.encode(), kind, id].concat()
}

/// `modelnet/salt/<account><task>`: the salt of a commitment, as earlier versions kept it.
fn salt_key(who: AccountId, task: TaskId) -> Vec<u8> {
	[&b"modelnet/salt/"[..], &who.encode(), &task.to_le_bytes()].concat()
}

/// `modelnet/commit/<account><task><digest>`: the result and salt of a commitment.
fn kept_key(who: AccountId, task: TaskId) -> Vec<u8> {
	let result_key = native_result_key(task);
	[&b"modelnet/commit/"[..], &who.encode(), &result_key[b"modelnet/result/".len()..]].concat()
}

/// Every key the off-chain worker keeps for `who`'s part in `task`.
fn task_keys(who: AccountId, task: TaskId) -> Vec<Vec<u8>> {
	let id = task.to_le_bytes();
	vec![
		sent_key(who, b"commit", &id),
		sent_key(who, b"reveal", &id),
		salt_key(who, task),
		kept_key(who, task),
	]
}

/// Runs `blocks` blocks, with the off-chain worker after each; the transactions it sends are
/// dropped.
fn run_blocks_with_ocw(pool: &Pool, blocks: u32) {
	for _ in 0..blocks {
		run_blocks(1);
		run_ocw();
		take_submitted(pool);
	}
}

#[test]
fn keys_of_a_task_are_kept_until_it_resolves_then_pruned() {
	let (mut ext, pool) = ocw_ext();
	ext.execute_with(|| {
		let committed = H256::repeat_byte(0xab);
		let (task, executors) = committed_task(&pool, committed);
		// The salts an earlier version of the worker kept for these commitments (it drew them
		// from the node's entropy too).
		for who in &executors {
			native_writes(&salt_key(*who, task), &NODE_ENTROPY);
		}

		// A long reveal phase: the reveals are lost for longer than the pruning delay, and
		// nothing the reveal needs goes away meanwhile.
		run_blocks_with_ocw(&pool, PRUNE_AFTER + 2);
		let reveals = (0..RESEND_AFTER)
			.map(|_| {
				run_blocks(1);
				run_ocw();
				take_submitted(&pool)
			})
			.find(|sent| !sent.is_empty())
			.expect("the reveals are sent again");
		assert_eq!(reveals.len(), executors.len());
		for (who, call) in reveals {
			assert_ok!(call.dispatch(RuntimeOrigin::signed(who)));
		}
		for who in &executors {
			for key in task_keys(*who, task) {
				assert!(stored(&key).is_some(), "{key:?} kept while the task runs");
			}
		}

		// The task resolves; its keys go once the delay has passed.
		run_blocks(1);
		assert!(crate::Tasks::<Test>::get(task)
			.is_some_and(|t| !matches!(t.status, TaskStatus::Reveal { .. })));
		run_blocks_with_ocw(&pool, PRUNE_AFTER - 1);
		assert!(executors.iter().all(|who| stored(&kept_key(*who, task)).is_some()));
		run_blocks_with_ocw(&pool, 2);
		for who in &executors {
			for key in task_keys(*who, task) {
				assert_eq!(stored(&key), None, "{key:?} pruned");
			}
		}
	});
}

#[test]
fn marks_of_a_confirmed_nomination_and_a_declared_endpoint_are_pruned() {
	let (mut ext, pool) = ocw_ext();
	ext.execute_with(|| {
		let (model, node) = nominated_local_node();
		native_outcome(model, FetchOutcome::Stored, &[node]);
		let url = b"http://127.0.0.1:30401".to_vec();
		native_writes(ENDPOINT_KEY, &Some(url.clone()));
		run_ocw();
		let sent = take_submitted(&pool);
		assert_eq!(sent.len(), 2);
		for (who, call) in sent {
			assert_ok!(call.dispatch(RuntimeOrigin::signed(who)));
		}
		let confirmed = sent_key(node, b"confirm", model.as_bytes());
		// Keyed by the endpoint's encoding (a bounded vector encodes as a vector).
		let declared = sent_key(node, b"endpoint", &Some(url).encode());
		assert!(stored(&confirmed).is_some() && stored(&declared).is_some());

		run_blocks_with_ocw(&pool, PRUNE_AFTER + 1);
		assert_eq!(stored(&confirmed), None);
		assert_eq!(stored(&declared), None);
		// The node holds the model now: nothing was sent again.
		assert!(holders(model).contains(&node));
	});
}
