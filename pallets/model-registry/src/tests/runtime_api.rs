use super::*;
use crate::crypto;
use frame_system::offchain::AppCrypto;
use sp_core::{sr25519, Pair};
use sp_runtime::{MultiSignature, MultiSigner};

#[test]
fn model_status_reports_replication() {
	new_test_ext().execute_with(|| {
		assert!(ModelRegistry::model_status(model_id(1)).is_none());
		join_all(1..=4);
		let model = register(1);
		run_blocks(10);
		let n = nominees(model);
		assert_ok!(ModelRegistry::confirm_stored(RuntimeOrigin::signed(n[0]), model));
		let status = ModelRegistry::model_status(model).unwrap();
		assert_eq!(status.owner, 80);
		assert_eq!(status.deposit, 50);
		assert_eq!(status.size_bytes, 1_000);
		assert_eq!(status.min_vram_bytes, 100);
		assert_eq!(status.sources, vec![sources()[0].to_vec()]);
		assert_eq!(status.holders, vec![n[0]]);
		assert_eq!(status.available_holders, 1);
		assert_eq!(status.pending_nominations, 3);
		assert_eq!(status.target, 10);
		// Refill: 1 holder + 10, minus the 4 taken.
		assert_eq!(status.deficit, 7);
		assert_eq!(status.registered_at, 1);
	});
}

#[test]
fn node_info_and_pending_work() {
	new_test_ext().execute_with(|| {
		assert!(ModelRegistry::node_info(1).is_none());
		assert!(ModelRegistry::pending_work(1).is_none());
		join_all(1..=3);
		let held_model = placed_model(1);
		let task = create_task(held_model);
		let pending_model = register(2);
		for _ in 0..30 {
			run_blocks(1);
			if !executors(task).is_empty() {
				break;
			}
		}
		let work = ModelRegistry::pending_work(1).unwrap();
		assert_eq!(
			work.holdings,
			vec![HoldingWork {
				model: held_model,
				size_bytes: 1_000,
				executor: ExecutorKind::SpotCheck
			}]
		);
		// Node 1 (a holder of the other model, with room) is nominated.
		let deadline = Nominations::<Test>::get(pending_model, 1).expect("nominated").deadline;
		let share = work.nominations.first().map(|n| n.source_share).expect("one nomination");
		assert_eq!(
			work.nominations,
			vec![NominationWork {
				model: pending_model,
				size_bytes: 1_000,
				sources: vec![sources()[0].to_vec()],
				deadline,
				manifest: ModelPieces::<Test>::get(pending_model),
				peers: vec![],
				source_share: share,
				executor: ExecutorKind::SpotCheck,
			}]
		);
		assert_eq!(share.1, nominees(pending_model).len() as u32);
		assert!(share.0 < share.1);
		let commit_deadline = match Tasks::<Test>::get(task).unwrap().status {
			TaskStatus::Commit { deadline } => deadline,
			s => panic!("{s:?}"),
		};
		assert_eq!(
			work.tasks,
			vec![TaskWork {
				task,
				model: held_model,
				input: b"prompt".to_vec(),
				executor: ExecutorKind::SpotCheck,
				challenge: Tasks::<Test>::get(task).unwrap().challenge,
				phase: TaskPhase::Commit,
				committed: false,
				revealed: false,
				deadline: commit_deadline
			}]
		);
		let r = H256::repeat_byte(3);
		commit_all(task, &[Some(r), Some(r), Some(r)]);
		let work = ModelRegistry::pending_work(2).unwrap();
		assert_eq!(work.tasks[0].phase, TaskPhase::Reveal);
		assert!(work.tasks[0].committed);
		let info = ModelRegistry::node_info(1).unwrap();
		assert_eq!(info.stake, 1_000);
		assert_eq!(info.holdings, 1);
		assert_eq!(info.tasks_in_flight, 1);
		assert_eq!(info.status, NodeStatus::Active);

		let view = ModelRegistry::task_status(task).unwrap();
		assert_eq!(view.commits, 3);
		assert_eq!(view.reveals, 0);
		assert_eq!(view.creator, 79);
		assert_eq!(view.fee, 300);
		assert_eq!(view.result, None);
		assert!(ModelRegistry::task_status(99).is_none());
	});
}

#[test]
fn offchain_key_type_and_signatures() {
	assert_eq!(crypto::KEY_TYPE.0, *b"mdln");
	let pair = sr25519::Pair::from_seed(&[7u8; 32]);
	let payload = b"confirm";
	let signature = pair.sign(payload);
	let signer = MultiSigner::from(pair.public());
	assert!(<crypto::AuthorityId as AppCrypto<MultiSigner, MultiSignature>>::verify(
		payload,
		signer.clone(),
		MultiSignature::from(signature)
	));
	assert!(!<crypto::AuthorityId as AppCrypto<MultiSigner, MultiSignature>>::verify(
		b"other",
		signer,
		MultiSignature::from(signature)
	));
	assert!(<crypto::AuthorityId as AppCrypto<sr25519::Public, sr25519::Signature>>::verify(
		payload,
		pair.public(),
		signature
	));
}

#[test]
fn hooks_charge_weight_for_their_work() {
	use crate::weights::WeightInfo;
	use frame_support::traits::Hooks;
	new_test_ext().execute_with(|| {
		System::set_block_number(2);
		let idle = ModelRegistry::on_initialize(2);
		assert!(idle.all_gte(<() as WeightInfo>::on_initialize_base()));
		join_all(1..=10);
		register(1);
		System::set_block_number(3);
		let busy = ModelRegistry::on_initialize(3);
		assert!(busy.all_gt(idle));
	});
}

#[test]
fn pending_work_names_the_executor_of_nominations_holdings_and_tasks() {
	new_test_ext().execute_with(|| {
		join_all(1..=3);
		let kind = ExecutorKind::External(BoundedVec::truncate_from(b"llama".to_vec()));
		assert_ok!(ModelRegistry::register_model(
			RuntimeOrigin::signed(80),
			model_id(5),
			1_000,
			sources(),
			100,
			pieces(1_000),
			kind.clone(),
		));
		run_blocks(5);
		let nominated = nominees(model_id(5));
		assert!(!nominated.is_empty());
		for who in &nominated {
			let work = ModelRegistry::pending_work(*who).expect("a node");
			assert_eq!(work.nominations.len(), 1);
			assert_eq!(work.nominations[0].executor, kind);
			assert_ok!(ModelRegistry::confirm_stored(RuntimeOrigin::signed(*who), model_id(5)));
			let work = ModelRegistry::pending_work(*who).expect("a node");
			assert_eq!(work.holdings.iter().map(|h| &h.executor).collect::<Vec<_>>(), vec![&kind]);
		}
		let task = create_task(model_id(5));
		for _ in 0..30 {
			run_blocks(1);
			if !executors(task).is_empty() {
				break;
			}
		}
		let executor = *executors(task).first().expect("executors drawn");
		let work = ModelRegistry::pending_work(executor).expect("a node");
		assert_eq!(
			work.tasks.iter().map(|t| (t.task, &t.executor)).collect::<Vec<_>>(),
			vec![(task, &kind)]
		);
	});
}
