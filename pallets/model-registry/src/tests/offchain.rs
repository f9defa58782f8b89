//! The off-chain worker turns the native worker's outcomes into signed transactions, once each.

mod pruning;
mod restart;

use super::*;
use crate::{
	mock::{SIGNED_NONCES, SIGNING_FAILS},
	offchain::{
		commitment_of, fetch_outcome_key, task_result_key, FetchOutcome, OutcomeRecord,
		ENDPOINT_KEY, NONCE_TRUSTED_FOR, RESEND_AFTER,
	},
};
use codec::Decode;
use frame_support::traits::Hooks;
use sp_core::offchain::{
	testing::{PoolState, TestOffchainExt, TestTransactionPoolExt},
	OffchainDbExt, OffchainWorkerExt, StorageKind, TransactionPoolExt,
};
use sp_runtime::{generic::Preamble, testing::UintAuthorityId, traits::Dispatchable};
use std::sync::Arc;

type Pool = Arc<parking_lot::RwLock<PoolState>>;

const NODE_ENTROPY: [u8; 32] = [7; 32];

/// A test externality with off-chain storage and a transaction pool.
fn ocw_ext() -> (sp_io::TestExternalities, Pool) {
	let mut ext = new_test_ext();
	let (offchain, state) = TestOffchainExt::new();
	// The node's entropy, from which the worker draws commitment salts.
	state.write().seed = NODE_ENTROPY;
	let (pool, pool_state) = TestTransactionPoolExt::new();
	ext.register_extension(OffchainDbExt::new(offchain.clone()));
	ext.register_extension(OffchainWorkerExt::new(offchain));
	ext.register_extension(TransactionPoolExt::new(pool));
	(ext, pool_state)
}

/// The transactions submitted since the last call, as (signer, call); clears the pool.
/// The reasons of the transactions sent, which must all be `decline_nomination`.
fn take_declines(pool: &Pool) -> Vec<DeclineReason> {
	take_submitted(pool)
		.into_iter()
		.map(|(_, call)| match call {
			RuntimeCall::ModelRegistry(crate::Call::decline_nomination { reason, .. }) => reason,
			other => panic!("expected a decline, got {other:?}"),
		})
		.collect()
}

fn take_submitted(pool: &Pool) -> Vec<(AccountId, RuntimeCall)> {
	let raw = core::mem::take(&mut pool.write().transactions);
	raw.into_iter()
		.map(|bytes| {
			let xt = Extrinsic::decode(&mut &bytes[..]).expect("the pool holds extrinsics");
			match xt.preamble {
				Preamble::Signed(who, _, _) => (who, xt.function),
				_ => panic!("the off-chain worker only sends signed transactions"),
			}
		})
		.collect()
}

/// Leaves a value where the native worker would.
fn native_writes(key: &[u8], value: &impl Encode) {
	sp_io::offchain::local_storage_set(StorageKind::PERSISTENT, key, &value.encode());
}

/// The native worker's outcome for `model`, answering the current nominations of `nodes`.
fn native_outcome(model: ModelId, outcome: FetchOutcome, nodes: &[AccountId]) {
	let nominations = nodes
		.iter()
		.filter_map(|node| crate::Nominations::<Test>::get(model, node))
		.map(|n| n.deadline)
		.collect();
	native_writes(&fetch_outcome_key(&model), &OutcomeRecord { outcome, nominations });
}

/// The result the native worker leaves for `task`, keyed by the task's model and input.
fn native_result(task: TaskId, result: H256) {
	let info = crate::Tasks::<Test>::get(task).expect("the task exists");
	let input = crate::offchain::executor_input(&info.challenge, &info.input);
	native_writes(&task_result_key(task, &info.model, &input), &result.0);
}

fn run_ocw() {
	ModelRegistry::offchain_worker(System::block_number());
}

/// Makes `keys` the local keys of the node running the off-chain worker.
fn local_keys(keys: &[AccountId]) {
	UintAuthorityId::set_all_keys(keys.iter().copied());
}

/// Twelve nodes hold a model and a task on it is assigned to three of them, whose keys are
/// made local. Returns the model, the task and its executors.
fn task_of_local_executors() -> (ModelId, TaskId, Vec<AccountId>) {
	join_all(1..=12);
	let model = placed_model(1);
	let task = create_task(model);
	run_blocks(1);
	let executors = executors(task);
	local_keys(&executors);
	(model, task, executors)
}

/// Three nodes join and a model is registered; returns the model and the first nominee, whose
/// key is made local.
fn nominated_local_node() -> (ModelId, AccountId) {
	join_all(1..=3);
	let model = register(1);
	run_blocks(1);
	let node = nominees(model)[0];
	local_keys(&[node]);
	(model, node)
}

/// Three nodes join and two models are registered; returns the models and a node nominated
/// for both (two nominees out of three nodes each: at least one has both), whose key is made
/// local. The nonces signed so far are forgotten.
fn node_nominated_for_two_models() -> (ModelId, ModelId, AccountId) {
	join_all(1..=3);
	let (a, b) = (register(1), register(2));
	run_blocks(1);
	let both: Vec<AccountId> =
		nominees(a).into_iter().filter(|n| nominees(b).contains(n)).collect();
	let node = *both.first().expect("a node nominated for both models");
	local_keys(&[node]);
	SIGNED_NONCES.with(|n| n.borrow_mut().clear());
	(a, b, node)
}

/// `node` has stored `a` (the worker confirms it in this block) and then `b` (confirmed in
/// the next); both transactions are taken out of the pool.
fn confirm_in_two_blocks(pool: &Pool, a: ModelId, b: ModelId, node: AccountId) {
	native_outcome(a, FetchOutcome::Stored, &[node]);
	run_ocw();
	run_blocks(1);
	native_outcome(b, FetchOutcome::Stored, &[node]);
	run_ocw();
	assert_eq!(take_submitted(pool).len(), 2);
}

#[test]
fn stored_outcome_confirms_once_then_again_after_resend_delay() {
	let (mut ext, pool) = ocw_ext();
	ext.execute_with(|| {
		let (model, node) = nominated_local_node();

		// Nothing known yet: nothing sent.
		run_ocw();
		assert!(take_submitted(&pool).is_empty());

		native_outcome(model, FetchOutcome::Stored, &[node]);
		run_ocw();
		assert_eq!(
			take_submitted(&pool),
			vec![(node, RuntimeCall::ModelRegistry(crate::Call::confirm_stored { model }))]
		);

		// The same block again, and the next blocks up to the resend delay: not sent twice.
		run_ocw();
		run_blocks(u64::from(RESEND_AFTER) - 1);
		run_ocw();
		assert!(take_submitted(&pool).is_empty());

		// Still nominated after the delay (the transaction was lost): sent again.
		run_blocks(1);
		run_ocw();
		assert_eq!(take_submitted(&pool).len(), 1);

		// Once the chain has the confirmation, nothing more is sent.
		assert_ok!(ModelRegistry::confirm_stored(RuntimeOrigin::signed(node), model));
		run_blocks(u64::from(RESEND_AFTER) + 1);
		run_ocw();
		assert!(take_submitted(&pool).is_empty());
		assert!(holders(model).contains(&node));
	});
}

#[test]
fn failed_download_is_declined_with_its_reason() {
	let (mut ext, pool) = ocw_ext();
	ext.execute_with(|| {
		let (model, node) = nominated_local_node();

		native_outcome(model, FetchOutcome::Failed(DeclineReason::HashMismatch), &[node]);
		run_ocw();
		let sent = take_submitted(&pool);
		assert_eq!(
			sent,
			vec![(
				node,
				RuntimeCall::ModelRegistry(crate::Call::decline_nomination {
					model,
					reason: DeclineReason::HashMismatch
				})
			)]
		);
		assert_ok!(sent[0].1.clone().dispatch(RuntimeOrigin::signed(node)));
		assert!(!nominees(model).contains(&node));
	});
}

#[test]
fn missing_file_of_a_holding_is_reported_lost() {
	let (mut ext, pool) = ocw_ext();
	ext.execute_with(|| {
		join_all(1..=3);
		let model = placed_model(1);
		let node = holders(model)[0];
		local_keys(&[node]);

		// A stored outcome for a model already held asks for nothing.
		native_outcome(model, FetchOutcome::Stored, &[node]);
		run_ocw();
		assert!(take_submitted(&pool).is_empty());

		native_outcome(model, FetchOutcome::Missing, &[]);
		run_ocw();
		assert_eq!(
			take_submitted(&pool),
			vec![(node, RuntimeCall::ModelRegistry(crate::Call::report_lost { model }))]
		);
	});
}

#[test]
fn keys_of_unregistered_accounts_send_nothing() {
	let (mut ext, pool) = ocw_ext();
	ext.execute_with(|| {
		join_all(1..=3);
		let model = register(1);
		run_blocks(1);
		// Account 50 never joined; its key is local, and an outcome exists.
		local_keys(&[50]);
		native_outcome(model, FetchOutcome::Stored, &nominees(model));
		run_ocw();
		assert!(take_submitted(&pool).is_empty());
	});
}

#[test]
fn executors_commit_then_reveal_the_native_result_and_the_task_completes() {
	let (mut ext, pool) = ocw_ext();
	ext.execute_with(|| {
		let (_, task, executors) = task_of_local_executors();
		assert_eq!(executors.len(), 3);

		// Until the native worker has a result, nothing is committed.
		run_ocw();
		assert!(take_submitted(&pool).is_empty());

		let result = H256::repeat_byte(0xab);
		native_result(task, result);
		run_ocw();
		let commits = take_submitted(&pool);
		assert_eq!(commits.len(), 3);
		for (who, call) in commits {
			let RuntimeCall::ModelRegistry(crate::Call::commit_result { task: t, commitment }) =
				call.clone()
			else {
				panic!("expected a commitment, got {call:?}");
			};
			assert_eq!(t, task);
			// The commitment hides the result behind the salt drawn from the node's entropy
			// and binds the executor.
			assert_eq!(commitment, commitment_of(&who, &sealed(task, result), &H256(NODE_ENTROPY)));
			assert_ok!(call.dispatch(RuntimeOrigin::signed(who)));
		}

		run_blocks(1);
		run_ocw();
		let reveals = take_submitted(&pool);
		assert_eq!(reveals.len(), 3);
		for (who, call) in reveals {
			assert!(matches!(
				call,
				RuntimeCall::ModelRegistry(crate::Call::reveal_result { result: r, .. }) if r == sealed(task, result)
			));
			assert_ok!(call.dispatch(RuntimeOrigin::signed(who)));
		}
		// The last reveal queues the task for resolution in the next block's hook.
		run_blocks(1);
		assert!(take_events().iter().any(|e| matches!(
			e,
			crate::Event::TaskCompleted { task: t, result: r, .. } if *t == task && *r == sealed(task, result)
		)));
	});
}

#[test]
fn stored_outcome_of_an_earlier_nomination_never_confirms_a_later_one() {
	let (mut ext, pool) = ocw_ext();
	ext.execute_with(|| {
		let (model, node) = nominated_local_node();
		let deadline = crate::Nominations::<Test>::get(model, node).unwrap().deadline;

		// Left behind for a nomination that ended (another deadline): it answers nothing now.
		native_writes(
			&fetch_outcome_key(&model),
			&OutcomeRecord { outcome: FetchOutcome::Stored, nominations: vec![deadline - 1] },
		);
		run_ocw();
		assert!(take_submitted(&pool).is_empty());

		// An outcome without a nomination (as older nodes wrote it) answers nothing either.
		native_writes(&fetch_outcome_key(&model), &FetchOutcome::Stored);
		run_ocw();
		assert!(take_submitted(&pool).is_empty());

		native_outcome(model, FetchOutcome::Stored, &[node]);
		run_ocw();
		assert_eq!(
			take_submitted(&pool),
			vec![(node, RuntimeCall::ModelRegistry(crate::Call::confirm_stored { model }))]
		);
	});
}

#[test]
fn failed_submission_is_tried_again_in_the_next_block() {
	let (mut ext, pool) = ocw_ext();
	ext.execute_with(|| {
		let (model, node) = nominated_local_node();
		native_outcome(model, FetchOutcome::Stored, &[node]);

		SIGNING_FAILS.with(|f| *f.borrow_mut() = true);
		run_ocw();
		assert!(take_submitted(&pool).is_empty());

		// The failed attempt did not claim the send: the next block sends it.
		SIGNING_FAILS.with(|f| *f.borrow_mut() = false);
		run_blocks(1);
		run_ocw();
		assert_eq!(
			take_submitted(&pool),
			vec![(node, RuntimeCall::ModelRegistry(crate::Call::confirm_stored { model }))]
		);
	});
}

#[test]
fn successive_transactions_of_one_account_use_successive_nonces() {
	let (mut ext, pool) = ocw_ext();
	ext.execute_with(|| {
		let (a, b, node) = node_nominated_for_two_models();

		// Block n: the first confirmation goes into the pool with the chain's nonce. Block n+1:
		// the first one is not included yet; the second must not reuse its nonce.
		confirm_in_two_blocks(&pool, a, b, node);
		let chain_nonce = System::account_nonce(node);
		assert_eq!(
			SIGNED_NONCES.with(|n| n.borrow().clone()),
			vec![(node, chain_nonce), (node, chain_nonce + 1)]
		);

		// Neither was ever included: once the local count is no longer trusted, the chain's
		// nonce is used again, so a lost transaction leaves no gap for ever.
		SIGNED_NONCES.with(|n| n.borrow_mut().clear());
		run_blocks(u64::from(NONCE_TRUSTED_FOR));
		run_ocw();
		let resent = SIGNED_NONCES.with(|n| n.borrow().clone());
		assert_eq!(resent.first(), Some(&(node, chain_nonce)));
	});
}

/// A transaction lost from the pool leaves a gap in its account's nonces: every later
/// transaction of the account waits behind it. Its resend must fill the gap (reuse the lost
/// copy's nonce), not take the next nonce and wait behind the gap too — a reveal resent that
/// way never lands, and its executor is punished as one that withheld its result.
#[test]
fn resend_of_a_lost_transaction_fills_its_nonce_gap() {
	let (mut ext, pool) = ocw_ext();
	ext.execute_with(|| {
		let (a, b, node) = node_nominated_for_two_models();
		let chain_nonce = System::account_nonce(node);

		// Block n sends the first confirmation, block n+1 the second; both are lost.
		confirm_in_two_blocks(&pool, a, b, node);

		// Each resend carries the nonce of its lost copy.
		SIGNED_NONCES.with(|n| n.borrow_mut().clear());
		run_blocks(u64::from(RESEND_AFTER) - 1);
		run_ocw();
		run_blocks(1);
		run_ocw();
		assert_eq!(
			take_submitted(&pool),
			vec![
				(node, RuntimeCall::ModelRegistry(crate::Call::confirm_stored { model: a })),
				(node, RuntimeCall::ModelRegistry(crate::Call::confirm_stored { model: b }))
			]
		);
		assert_eq!(
			SIGNED_NONCES.with(|n| n.borrow().clone()),
			vec![(node, chain_nonce), (node, chain_nonce + 1)]
		);

		// Once the chain used the nonce (by another transaction), a resend takes a fresh one.
		SIGNED_NONCES.with(|n| n.borrow_mut().clear());
		System::inc_account_nonce(node);
		System::inc_account_nonce(node);
		run_blocks(u64::from(RESEND_AFTER));
		run_ocw();
		assert_eq!(take_submitted(&pool).len(), 2);
		assert_eq!(
			SIGNED_NONCES.with(|n| n.borrow().clone()),
			vec![(node, chain_nonce + 2), (node, chain_nonce + 3)]
		);
	});
}

/// A resend that the pool refuses (its earlier copy is still pending there) keeps its mark:
/// it is tried again after the resend delay, not in every block.
#[test]
fn refused_resend_waits_for_the_resend_delay() {
	let (mut ext, pool) = ocw_ext();
	ext.execute_with(|| {
		let (model, node) = nominated_local_node();
		native_outcome(model, FetchOutcome::Stored, &[node]);
		run_ocw();
		assert_eq!(take_submitted(&pool).len(), 1);

		run_blocks(u64::from(RESEND_AFTER));
		SIGNING_FAILS.with(|f| *f.borrow_mut() = true);
		run_ocw();
		SIGNING_FAILS.with(|f| *f.borrow_mut() = false);
		run_blocks(1);
		run_ocw();
		assert!(take_submitted(&pool).is_empty());

		run_blocks(u64::from(RESEND_AFTER) - 1);
		run_ocw();
		assert_eq!(take_submitted(&pool).len(), 1);
	});
}

#[test]
fn one_node_with_many_keys_blames_the_sources_once() {
	let (mut ext, pool) = ocw_ext();
	ext.execute_with(|| {
		join_all(1..=3);
		let model = register(1);
		run_blocks(1);
		let local = nominees(model);
		assert!(local.len() >= 2, "several local nominees: {local:?}");
		local_keys(&local);

		native_outcome(model, FetchOutcome::Failed(DeclineReason::HashMismatch), &local);
		run_ocw();
		let reasons = take_declines(&pool);
		let mut expected = vec![DeclineReason::Other; local.len()];
		expected[0] = DeclineReason::HashMismatch;
		assert_eq!(reasons, expected);
	});
}

#[test]
fn every_local_key_declines_a_kind_the_node_cannot_run() {
	let (mut ext, pool) = ocw_ext();
	ext.execute_with(|| {
		join_all(1..=3);
		let model = register(1);
		run_blocks(1);
		let local = nominees(model);
		assert!(local.len() >= 2, "several local nominees: {local:?}");
		local_keys(&local);

		native_outcome(model, FetchOutcome::Failed(DeclineReason::UnsupportedExecutor), &local);
		run_ocw();
		let reasons = take_declines(&pool);
		// Not the sources' fault: no need to count the machine once.
		assert_eq!(reasons, vec![DeclineReason::UnsupportedExecutor; local.len()]);
	});
}

#[test]
fn result_of_another_task_under_the_same_id_is_never_committed() {
	let (mut ext, pool) = ocw_ext();
	ext.execute_with(|| {
		let (model, task, _) = task_of_local_executors();

		// A result computed for task `task` of another fork: same id, other input.
		native_writes(&task_result_key(task, &model, b"another input"), &[0xab; 32]);
		run_ocw();
		assert!(take_submitted(&pool).is_empty());

		native_result(task, H256::repeat_byte(0xab));
		run_ocw();
		assert_eq!(take_submitted(&pool).len(), 3);
	});
}

/// The node declares the endpoint its worker serves pieces at, once, and withdraws it when
/// the worker stops serving; nothing is sent while the chain already agrees.
#[test]
fn the_serving_endpoint_is_declared_by_the_node_itself() {
	let (mut ext, pool) = ocw_ext();
	ext.execute_with(|| {
		join_all(1..=2);
		local_keys(&[1, 2]);
		// Nothing known from the native worker: nothing sent.
		run_ocw();
		assert!(take_submitted(&pool).is_empty());

		let url = b"http://127.0.0.1:30401".to_vec();
		native_writes(ENDPOINT_KEY, &Some(url.clone()));
		run_ocw();
		let endpoint = Some(BoundedVec::truncate_from(url.clone()));
		let call = RuntimeCall::ModelRegistry(crate::Call::set_endpoint { endpoint });
		let mut sent = take_submitted(&pool);
		sent.sort_by_key(|(who, _)| *who);
		assert_eq!(sent, vec![(1, call.clone()), (2, call)]);
		for who in [1, 2] {
			assert_ok!(ModelRegistry::set_endpoint(
				RuntimeOrigin::signed(who),
				Some(BoundedVec::truncate_from(url.clone()))
			));
		}
		run_blocks(u64::from(RESEND_AFTER) + 1);
		run_ocw();
		assert!(take_submitted(&pool).is_empty());

		// The worker stops serving: the endpoint is withdrawn.
		native_writes(ENDPOINT_KEY, &None::<Vec<u8>>);
		run_blocks(u64::from(RESEND_AFTER) + 1);
		run_ocw();
		let sent = take_submitted(&pool);
		assert_eq!(sent.len(), 2);
		assert!(sent.iter().all(|(_, call)| *call
			== RuntimeCall::ModelRegistry(crate::Call::set_endpoint { endpoint: None })));
	});
}
