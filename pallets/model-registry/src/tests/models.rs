use super::*;

#[test]
fn register_holds_deposit_and_queues_placement() {
	new_test_ext().execute_with(|| {
		let model = register(1);
		assert_eq!(held(HoldReason::ModelDeposit, 80), 50);
		let info = Models::<Test>::get(model).unwrap();
		assert_eq!(info.owner, 80);
		assert_eq!(info.target, 10);
		assert!(info.queued);
		assert_eq!(ModelRegistry::replication_queue(), vec![model]);
		assert_eq!(ModelSources::<Test>::get(model), sources());
		assert_eq!(ModelAt::<Test>::get(0), Some(model));
		assert_eq!(
			take_events(),
			vec![Event::ModelRegistered {
				model,
				owner: 80,
				size_bytes: 1_000,
				deposit: 50,
				piece_root: crate::pieces::merkle_root(&pieces(1_000)),
				executor: ExecutorKind::SpotCheck,
			}]
		);
	});
}

#[test]
fn register_errors() {
	new_test_ext().execute_with(|| {
		let origin = || RuntimeOrigin::signed(80);
		assert_noop!(
			ModelRegistry::register_model(
				origin(),
				model_id(1),
				1,
				BoundedVec::new(),
				0,
				pieces(1),
				ExecutorKind::SpotCheck
			),
			Error::<Test>::NoSources
		);
		let empty: SourcesOf<Test> = BoundedVec::truncate_from(vec![BoundedVec::new()]);
		assert_noop!(
			ModelRegistry::register_model(
				origin(),
				model_id(1),
				1,
				empty,
				0,
				pieces(1),
				ExecutorKind::SpotCheck
			),
			Error::<Test>::EmptySource
		);
		assert_noop!(
			ModelRegistry::register_model(
				RuntimeOrigin::signed(200),
				model_id(1),
				1,
				sources(),
				0,
				pieces(1),
				ExecutorKind::SpotCheck
			),
			Error::<Test>::InsufficientBalance
		);
		register(1);
		assert_noop!(
			ModelRegistry::register_model(
				origin(),
				model_id(1),
				1,
				sources(),
				0,
				pieces(1),
				ExecutorKind::SpotCheck
			),
			Error::<Test>::ModelAlreadyRegistered
		);
		for n in 2..=16 {
			register(n);
		}
		assert_noop!(
			ModelRegistry::register_model(
				origin(),
				model_id(17),
				1,
				sources(),
				0,
				pieces(1),
				ExecutorKind::SpotCheck
			),
			Error::<Test>::TooManyModels
		);
	});
}

#[test]
fn deregister_evicts_every_copy_and_releases_deposit() {
	new_test_ext().execute_with(|| {
		join_all(1..=12);
		let model = placed_model(1);
		let other = register(2);
		// Model 2 is nominated but not confirmed.
		run_blocks(1);
		assert!(!nominees(other).is_empty());
		let copies = holders(model);
		assert_eq!(copies.len(), 10);
		take_events();
		assert_noop!(
			ModelRegistry::deregister_model(RuntimeOrigin::signed(1), model),
			Error::<Test>::NotModelOwner
		);
		assert_ok!(ModelRegistry::deregister_model(RuntimeOrigin::signed(80), model));
		// The deposit is released and the model leaves the dense index at once.
		assert_eq!(take_events(), vec![Event::ModelDeregistered { model }]);
		assert!(Models::<Test>::get(model).unwrap().retiring);
		assert!(ModelRegistry::model_status(model).is_none());
		assert_noop!(
			ModelRegistry::deregister_model(RuntimeOrigin::signed(80), model),
			Error::<Test>::ModelNotFound
		);
		// Its copies are evicted in the next block.
		run_blocks(1);
		let events = take_events();
		for n in copies {
			assert!(events.contains(&Event::ModelEvicted { model, node: n }));
			assert!(!NodeHoldings::<Test>::get(n).contains(&model));
		}
		assert!(Models::<Test>::get(model).is_none());
		assert!(Holders::<Test>::get(model).is_empty());
		assert_eq!(held(HoldReason::ModelDeposit, 80), 50);
		// Model 2 moved to index 0.
		assert_eq!(ModelAt::<Test>::get(0), Some(other));
		assert_eq!(Models::<Test>::get(other).unwrap().index, 0);

		// Root may deregister too; pending nominations are evicted.
		let nominated = nominees(other);
		assert_ok!(ModelRegistry::deregister_model(RuntimeOrigin::root(), other));
		run_blocks(1);
		let events = take_events();
		for n in nominated {
			assert!(events.contains(&Event::ModelEvicted { model: other, node: n }));
			assert!(NodeNominations::<Test>::get(n).is_empty());
			assert_eq!(Nodes::<Test>::get(n).unwrap().used_disk, 0);
		}
		assert_eq!(held(HoldReason::ModelDeposit, 80), 0);
		assert!(ModelRegistry::replication_queue().is_empty());
		assert_noop!(
			ModelRegistry::deregister_model(RuntimeOrigin::root(), other),
			Error::<Test>::ModelNotFound
		);
		assert_ok!(ModelRegistry::do_try_state());
	});
}

#[test]
fn waiting_task_of_deregistered_model_is_refunded() {
	new_test_ext().execute_with(|| {
		let model = register(1);
		let task = create_task(model);
		assert_eq!(held(HoldReason::TaskFee, 79), 300);
		assert_ok!(ModelRegistry::deregister_model(RuntimeOrigin::root(), model));
		take_events();
		run_blocks(1);
		assert_eq!(
			take_events(),
			vec![
				Event::TaskFailed { task, reason: TaskFailure::ModelGone },
				Event::ModelDepositReleased { model, owner: 80, amount: 50 },
			]
		);
		assert_eq!(held(HoldReason::TaskFee, 79), 0);
		assert_eq!(free(79), INITIAL_BALANCE);
	});
}

#[test]
fn failing_sources_stop_nominations_until_the_owner_replaces_them() {
	new_test_ext().execute_with(|| {
		join_all(1..=12);
		let model = register(1);
		run_blocks(5);
		let nominated = nominees(model);
		assert_eq!(nominated.len(), 10);
		take_events();
		// A decline that blames the node does not count.
		let decline = |who, reason| {
			assert_ok!(ModelRegistry::decline_nomination(
				RuntimeOrigin::signed(who),
				model,
				reason
			));
		};
		decline(nominated[0], DeclineReason::DiskBudgetExceeded);
		assert_eq!(Models::<Test>::get(model).unwrap().source_failures, 0);
		decline(nominated[1], DeclineReason::HashMismatch);
		decline(nominated[2], DeclineReason::SourceUnavailable);
		assert!(!take_events().iter().any(|e| matches!(e, Event::ModelSourcesFailing { .. })));
		decline(nominated[3], DeclineReason::SizeMismatch);
		assert_eq!(
			take_events().last(),
			Some(&Event::ModelSourcesFailing { model, failures: MAX_SOURCE_FAILURES })
		);
		// No replacement nominations while the sources fail.
		let info = Models::<Test>::get(model).unwrap();
		run_blocks(3);
		assert_eq!(nominees(model).len(), 6);
		assert!(!take_events().iter().any(|e| matches!(e, Event::DownloadNominated { .. })));
		assert_eq!(ModelRegistry::model_status(model).unwrap().deficit, 0);
		assert_eq!(info.source_failures, MAX_SOURCE_FAILURES);
		assert_ok!(ModelRegistry::do_try_state());

		// Only the owner (or root) may replace the sources, and not with nothing.
		let new_sources: SourcesOf<Test> =
			BoundedVec::truncate_from(vec![BoundedVec::truncate_from(b"http://mirror/m".to_vec())]);
		assert_noop!(
			ModelRegistry::update_sources(RuntimeOrigin::signed(1), model, new_sources.clone()),
			Error::<Test>::NotModelOwner
		);
		assert_noop!(
			ModelRegistry::update_sources(RuntimeOrigin::signed(80), model, BoundedVec::new()),
			Error::<Test>::NoSources
		);
		assert_noop!(
			ModelRegistry::update_sources(
				RuntimeOrigin::signed(80),
				model_id(9),
				new_sources.clone()
			),
			Error::<Test>::ModelNotFound
		);
		// The first replacement clears the failures at once (a broken URL can be fixed right
		// after registration): nominations resume, the four declined places are filled again.
		take_events();
		assert_ok!(ModelRegistry::update_sources(
			RuntimeOrigin::signed(80),
			model,
			new_sources.clone()
		));
		assert_eq!(
			take_events(),
			vec![Event::ModelSourcesUpdated { model, failures_cleared: true }]
		);
		assert_eq!(ModelSources::<Test>::get(model), new_sources);
		assert_eq!(Models::<Test>::get(model).unwrap().source_failures, 0);
		run_blocks(5);
		assert_eq!(nominees(model).len(), 10);
		// The sources fail again: within a demand window of the clearing, new sources are
		// taken but the failures stay (no free resets in a loop).
		for who in nominees(model)[..3].to_vec() {
			decline(who, DeclineReason::HashMismatch);
		}
		assert_eq!(Models::<Test>::get(model).unwrap().source_failures, MAX_SOURCE_FAILURES);
		let other_sources: SourcesOf<Test> =
			BoundedVec::truncate_from(vec![BoundedVec::truncate_from(b"http://other/m".to_vec())]);
		take_events();
		assert_ok!(ModelRegistry::update_sources(
			RuntimeOrigin::signed(80),
			model,
			other_sources.clone()
		));
		assert_eq!(
			take_events(),
			vec![Event::ModelSourcesUpdated { model, failures_cleared: false }]
		);
		assert_eq!(ModelSources::<Test>::get(model), other_sources);
		run_blocks(2);
		assert_eq!(nominees(model).len(), 7);
		// Once the window has passed, the next update clears them.
		run_to_block(Models::<Test>::get(model).unwrap().sources_reset_at.unwrap() + 100);
		take_events();
		assert_ok!(ModelRegistry::update_sources(
			RuntimeOrigin::signed(80),
			model,
			new_sources.clone()
		));
		assert_eq!(
			take_events(),
			vec![Event::ModelSourcesUpdated { model, failures_cleared: true }]
		);
		assert_eq!(Models::<Test>::get(model).unwrap().source_failures, 0);
		run_blocks(5);
		assert_eq!(nominees(model).len() + holders(model).len(), 10);
		// A confirmed copy also clears the count.
		decline(nominees(model)[0], DeclineReason::HashMismatch);
		assert_eq!(Models::<Test>::get(model).unwrap().source_failures, 1);
		assert_ok!(ModelRegistry::confirm_stored(RuntimeOrigin::signed(nominees(model)[0]), model));
		assert_eq!(Models::<Test>::get(model).unwrap().source_failures, 0);
		assert_ok!(ModelRegistry::do_try_state());
	});
}

fn engine(name: &str) -> ExecutorKind {
	ExecutorKind::External(BoundedVec::truncate_from(name.as_bytes().to_vec()))
}

fn register_kind(n: u8, executor: ExecutorKind) -> sp_runtime::DispatchResult {
	ModelRegistry::register_model(
		RuntimeOrigin::signed(80),
		model_id(n),
		1_000,
		sources(),
		100,
		pieces(1_000),
		executor,
	)
}

#[test]
fn a_model_records_its_executor_kind() {
	new_test_ext().execute_with(|| {
		let longest = "a".repeat(MAX_ENGINE_NAME_LEN as usize);
		let kinds =
			[ExecutorKind::SafetensorsMlp, engine("llama-3-8b"), engine(&longest), engine("7")];
		for (n, kind) in (1u8..).zip(kinds) {
			take_events();
			assert_ok!(register_kind(n, kind.clone()));
			let model = model_id(n);
			assert_eq!(Models::<Test>::get(model).map(|m| m.executor), Some(kind.clone()));
			assert_eq!(ModelRegistry::model_status(model).map(|s| s.executor), Some(kind.clone()));
			assert!(matches!(
				take_events().last(),
				Some(Event::ModelRegistered { executor, .. }) if *executor == kind
			));
		}
		assert_ok!(ModelRegistry::do_try_state());
	});
}

#[test]
fn malformed_engine_names_are_refused() {
	new_test_ext().execute_with(|| {
		for bad in ["", "Llama", "-llama", "llama_3", "llama 3", "llama.cpp", "lläma"] {
			assert_noop!(register_kind(1, engine(bad)), Error::<Test>::InvalidEngineName);
		}
		assert!(is_valid_engine_name(&[b'x'; MAX_ENGINE_NAME_LEN as usize]));
		assert!(!is_valid_engine_name(&[b'x'; MAX_ENGINE_NAME_LEN as usize + 1]));
		assert!(is_valid_engine_name(b"a-"));
		assert_eq!(held(HoldReason::ModelDeposit, 80), 0);
		assert!(Models::<Test>::get(model_id(1)).is_none());
	});
}

#[test]
fn declines_for_an_unsupported_executor_do_not_blame_the_sources() {
	new_test_ext().execute_with(|| {
		join_all(1..=12);
		assert_ok!(register_kind(1, engine("llama")));
		let model = model_id(1);
		run_blocks(5);
		let nominated = nominees(model);
		assert_eq!(nominated.len(), 10);
		assert!(!DeclineReason::UnsupportedExecutor.blames_sources());
		take_events();
		for who in &nominated[..MAX_SOURCE_FAILURES as usize + 1] {
			assert_ok!(ModelRegistry::decline_nomination(
				RuntimeOrigin::signed(*who),
				model,
				DeclineReason::UnsupportedExecutor
			));
		}
		let events = take_events();
		assert!(events.contains(&Event::NominationDeclined {
			model,
			node: nominated[0],
			reason: DeclineReason::UnsupportedExecutor
		}));
		assert!(!events.iter().any(|e| matches!(e, Event::ModelSourcesFailing { .. })));
		assert_eq!(Models::<Test>::get(model).map(|m| m.source_failures), Some(0));
		// The declined places are nominated again (other nodes may run the engine).
		run_blocks(5);
		assert!(take_events().iter().any(|e| matches!(e, Event::DownloadNominated { .. })));
		assert_ok!(ModelRegistry::do_try_state());
	});
}
