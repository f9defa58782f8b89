//! The off-chain worker turns the native worker's outcomes into signed transactions, once each.

use super::*;
use crate::offchain::{
	commitment_of, fetch_outcome_key, task_result_key, FetchOutcome, RESEND_AFTER,
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

fn run_ocw() {
	ModelRegistry::offchain_worker(System::block_number());
}

/// Makes `keys` the local keys of the node running the off-chain worker.
fn local_keys(keys: &[AccountId]) {
	UintAuthorityId::set_all_keys(keys.iter().copied());
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

#[test]
fn stored_outcome_confirms_once_then_again_after_resend_delay() {
	let (mut ext, pool) = ocw_ext();
	ext.execute_with(|| {
		let (model, node) = nominated_local_node();

		// Nothing known yet: nothing sent.
		run_ocw();
		assert!(take_submitted(&pool).is_empty());

		native_writes(&fetch_outcome_key(&model), &FetchOutcome::Stored);
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

		native_writes(
			&fetch_outcome_key(&model),
			&FetchOutcome::Failed(DeclineReason::HashMismatch),
		);
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
		native_writes(&fetch_outcome_key(&model), &FetchOutcome::Stored);
		run_ocw();
		assert!(take_submitted(&pool).is_empty());

		native_writes(&fetch_outcome_key(&model), &FetchOutcome::Missing);
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
		native_writes(&fetch_outcome_key(&model), &FetchOutcome::Stored);
		run_ocw();
		assert!(take_submitted(&pool).is_empty());
	});
}

#[test]
fn executors_commit_then_reveal_the_native_result_and_the_task_completes() {
	let (mut ext, pool) = ocw_ext();
	ext.execute_with(|| {
		join_all(1..=12);
		let model = placed_model(1);
		let task = create_task(model);
		run_blocks(1);
		let executors = executors(task);
		assert_eq!(executors.len(), 3);
		local_keys(&executors);

		// Until the native worker has a result, nothing is committed.
		run_ocw();
		assert!(take_submitted(&pool).is_empty());

		let result = H256::repeat_byte(0xab);
		native_writes(&task_result_key(task), &result.0);
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
			assert_eq!(commitment, commitment_of(&who, &result, &H256(NODE_ENTROPY)));
			assert_ok!(call.dispatch(RuntimeOrigin::signed(who)));
		}

		run_blocks(1);
		run_ocw();
		let reveals = take_submitted(&pool);
		assert_eq!(reveals.len(), 3);
		for (who, call) in reveals {
			assert!(matches!(
				call,
				RuntimeCall::ModelRegistry(crate::Call::reveal_result { result: r, .. }) if r == result
			));
			assert_ok!(call.dispatch(RuntimeOrigin::signed(who)));
		}
		// The last reveal queues the task for resolution in the next block's hook.
		run_blocks(1);
		assert!(take_events().iter().any(|e| matches!(
			e,
			crate::Event::TaskCompleted { task: t, result: r, .. } if *t == task && *r == result
		)));
	});
}
