use super::*;

#[test]
fn join_holds_stake_and_indexes_node() {
	new_test_ext().execute_with(|| {
		assert_ok!(ModelRegistry::join(RuntimeOrigin::signed(1), big(), 500));
		assert_eq!(held(HoldReason::NodeStake, 1), 500);
		assert_eq!(free(1), INITIAL_BALANCE - 500);
		let node = Nodes::<Test>::get(1).unwrap();
		assert_eq!(node.qos, crate::qos::INITIAL_QOS);
		assert_eq!(node.status, NodeStatus::Active);
		assert_eq!(NodeAt::<Test>::get(0), Some(1));
		assert_eq!(NodeCount::<Test>::get(), 1);
		assert_eq!(take_events(), vec![Event::NodeJoined { node: 1, stake: 500, capacity: big() }]);
	});
}

#[test]
fn join_errors() {
	new_test_ext().execute_with(|| {
		assert_noop!(
			ModelRegistry::join(RuntimeOrigin::signed(1), big(), 110),
			Error::<Test>::StakeTooLow
		);
		assert_noop!(
			ModelRegistry::join(RuntimeOrigin::signed(1), big(), INITIAL_BALANCE + 1),
			Error::<Test>::InsufficientBalance
		);
		assert_noop!(
			ModelRegistry::join(RuntimeOrigin::signed(200), big(), 111),
			Error::<Test>::InsufficientBalance
		);
		assert_ok!(ModelRegistry::join(RuntimeOrigin::signed(1), big(), 111));
		assert_noop!(
			ModelRegistry::join(RuntimeOrigin::signed(1), big(), 111),
			Error::<Test>::AlreadyJoined
		);
		join_all(2..=64);
		assert_noop!(
			ModelRegistry::join(RuntimeOrigin::signed(65), big(), 111),
			Error::<Test>::TooManyNodes
		);
	});
}

#[test]
fn update_capacity_respects_usage() {
	new_test_ext().execute_with(|| {
		assert_noop!(
			ModelRegistry::update_capacity(RuntimeOrigin::signed(1), big()),
			Error::<Test>::NotANode
		);
		join_all([1]);
		let small = NodeCapacity { disk_bytes: 5_000, vram_bytes: 500 };
		assert_ok!(ModelRegistry::update_capacity(RuntimeOrigin::signed(1), small));
		assert_eq!(Nodes::<Test>::get(1).unwrap().capacity, small);
		assert!(take_events().contains(&Event::NodeCapacityUpdated { node: 1, capacity: small }));

		let model = register(1);
		run_blocks(1);
		assert_eq!(nominees(model), vec![1]);
		assert_eq!(Nodes::<Test>::get(1).unwrap().used_disk, 1_000);
		// Disk below the reserved bytes.
		assert_noop!(
			ModelRegistry::update_capacity(
				RuntimeOrigin::signed(1),
				NodeCapacity { disk_bytes: 999, vram_bytes: 500 }
			),
			Error::<Test>::CapacityBelowUsage
		);
		confirm_all(model);
		// VRAM below the held model's requirement (100).
		assert_noop!(
			ModelRegistry::update_capacity(
				RuntimeOrigin::signed(1),
				NodeCapacity { disk_bytes: 5_000, vram_bytes: 99 }
			),
			Error::<Test>::CapacityBelowUsage
		);
		assert_ok!(ModelRegistry::update_capacity(
			RuntimeOrigin::signed(1),
			NodeCapacity { disk_bytes: 1_000, vram_bytes: 100 }
		));
	});
}

#[test]
fn pause_and_resume() {
	new_test_ext().execute_with(|| {
		assert_noop!(ModelRegistry::pause(RuntimeOrigin::signed(1)), Error::<Test>::NotANode);
		assert_noop!(ModelRegistry::resume(RuntimeOrigin::signed(1)), Error::<Test>::NotANode);
		join_all(1..=12);
		let model = placed_model(1);
		let holder = holders(model)[0];
		assert_eq!(Models::<Test>::get(model).unwrap().available, 10);
		assert_noop!(
			ModelRegistry::resume(RuntimeOrigin::signed(holder)),
			Error::<Test>::NotPaused
		);
		take_events();
		assert_ok!(ModelRegistry::pause(RuntimeOrigin::signed(holder)));
		assert_eq!(take_events(), vec![Event::NodePaused { node: holder }]);
		// The holding stops counting as available in the next block (cleanup queue).
		assert_eq!(Models::<Test>::get(model).unwrap().available, 10);
		run_blocks(1);
		assert_eq!(Models::<Test>::get(model).unwrap().available, 9);
		assert_eq!(Models::<Test>::get(model).unwrap().holders, 10);
		assert_noop!(
			ModelRegistry::pause(RuntimeOrigin::signed(holder)),
			Error::<Test>::AlreadyPaused
		);
		assert_ok!(ModelRegistry::resume(RuntimeOrigin::signed(holder)));
		assert_eq!(take_events(), vec![Event::NodeResumed { node: holder }]);
		run_blocks(1);
		assert_eq!(Models::<Test>::get(model).unwrap().available, 10);
	});
}

#[test]
fn paused_nodes_are_not_nominated() {
	new_test_ext().execute_with(|| {
		join_all(1..=12);
		for n in 1..=10 {
			assert_ok!(ModelRegistry::pause(RuntimeOrigin::signed(n)));
		}
		let model = register(1);
		run_blocks(10);
		assert_eq!(nominees(model), vec![11, 12]);
	});
}

#[test]
fn leave_releases_stake_and_clears_work() {
	new_test_ext().execute_with(|| {
		assert_noop!(ModelRegistry::leave(RuntimeOrigin::signed(1)), Error::<Test>::NotANode);
		join_all(1..=10);
		let held_model = placed_model(1);
		let pending_model = register(2);
		run_blocks(8);
		// Nodes 1..=10 all hold model 1; each is nominated for model 2.
		assert_eq!(holders(held_model).len(), 10);
		assert!(nominees(pending_model).contains(&1));
		take_events();
		assert_ok!(ModelRegistry::leave(RuntimeOrigin::signed(1)));
		// The stake is released and the node leaves the dense index at once.
		assert_eq!(take_events(), vec![Event::NodeLeft { node: 1, released: 1_000 }]);
		assert_eq!(held(HoldReason::NodeStake, 1), 0);
		assert_eq!(free(1), INITIAL_BALANCE);
		assert_eq!(Nodes::<Test>::get(1).unwrap().status, NodeStatus::Leaving);
		assert_noop!(ModelRegistry::leave(RuntimeOrigin::signed(1)), Error::<Test>::NotANode);
		assert_noop!(
			ModelRegistry::join(RuntimeOrigin::signed(1), big(), 1_000),
			Error::<Test>::AlreadyJoined
		);
		// Its holdings and nominations are cleared in the next block.
		run_blocks(1);
		let events = take_events();
		assert!(events.contains(&Event::ModelEvicted { model: held_model, node: 1 }));
		assert!(!holders(held_model).contains(&1));
		assert!(!nominees(pending_model).contains(&1));
		assert!(Nodes::<Test>::get(1).is_none());
		assert!(NodeHoldings::<Test>::get(1).is_empty());
		assert!(NodeNominations::<Test>::get(1).is_empty());
		// The last node took the freed index slot.
		assert_eq!(NodeAt::<Test>::get(0), Some(10));
		assert_eq!(Nodes::<Test>::get(10).unwrap().index, 0);
		assert_eq!(NodeCount::<Test>::get(), 9);
		assert_ok!(ModelRegistry::do_try_state());
	});
}

#[test]
fn leave_refused_with_open_commitments_until_the_task_resolves() {
	new_test_ext().execute_with(|| {
		join_all(1..=10);
		let model = placed_model(1);
		let task = create_task(model);
		run_blocks(1);
		let ex = executors(task);
		let result = Some(H256::repeat_byte(9));
		commit_all(task, &[result, result, None]);
		assert_eq!(Nodes::<Test>::get(ex[0]).unwrap().open_commitments, 1);
		assert_noop!(
			ModelRegistry::leave(RuntimeOrigin::signed(ex[0])),
			Error::<Test>::TasksInFlight
		);
		// An executor that did not commit may leave; it can no longer commit.
		assert_ok!(ModelRegistry::leave(RuntimeOrigin::signed(ex[2])));
		let late = commitment(task, ex[2], H256::repeat_byte(9), salt(ex[2]));
		assert_noop!(
			ModelRegistry::commit_result(RuntimeOrigin::signed(ex[2]), task, late),
			Error::<Test>::NodeLeaving
		);
		// Once the task resolves, the commitment is closed and the node may leave.
		run_blocks(Params::<Test>::get().commit_deadline);
		reveal_all(task, &[result, result, None]);
		run_blocks(1);
		// Silence is not a vote: a jury decides, and the commitments stay open until then.
		assert_eq!(Nodes::<Test>::get(ex[0]).unwrap().open_commitments, 1);
		jury_answers(task, H256::repeat_byte(9));
		assert!(matches!(Tasks::<Test>::get(task).unwrap().status, TaskStatus::Completed { .. }));
		assert_eq!(Nodes::<Test>::get(ex[0]).unwrap().open_commitments, 0);
		assert_ok!(ModelRegistry::leave(RuntimeOrigin::signed(ex[0])));
		assert_ok!(ModelRegistry::do_try_state());
	});
}
