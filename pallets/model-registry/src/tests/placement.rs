use super::*;

fn nominated_events(events: &[Event<Test>]) -> Vec<AccountId> {
	events
		.iter()
		.filter_map(|e| match e {
			Event::DownloadNominated { node, .. } => Some(*node),
			_ => None,
		})
		.collect()
}

#[test]
fn twenty_eligible_nodes_and_a_new_model_give_exactly_ten_nominations() {
	new_test_ext().execute_with(|| {
		join_all(1..=20);
		let model = register(1);
		take_events();
		// Nothing is drawn in the registration block.
		assert!(nominees(model).is_empty());
		let mut nominated = Vec::new();
		for _ in 0..20 {
			run_blocks(1);
			nominated.extend(nominated_events(&take_events()));
		}
		nominated.sort();
		nominated.dedup();
		assert_eq!(nominated.len(), 10);
		assert_eq!(nominees(model), nominated);
		let info = Models::<Test>::get(model).unwrap();
		assert_eq!(info.nominated, 10);
		assert!(!info.queued);
		for n in nominees(model) {
			assert_eq!(Nodes::<Test>::get(n).unwrap().used_disk, 1_000);
			assert_eq!(NodeNominations::<Test>::get(n).to_vec(), vec![model]);
		}
	});
}

#[test]
fn nomination_carries_deadline() {
	new_test_ext().execute_with(|| {
		join_all(1..=3);
		let model = register(1);
		take_events();
		run_blocks(1);
		let events = take_events();
		assert!(events.iter().any(|e| matches!(
			e,
			Event::DownloadNominated { model: m, deadline: 102, .. } if *m == model
		)));
		for n in nominees(model) {
			assert_eq!(Nominations::<Test>::get(model, n).unwrap().deadline, 102);
			assert!(Deadlines::<Test>::iter_prefix_values(102)
				.any(|i| i == DeadlineItem::Nomination { model, node: n }));
		}
	});
}

#[test]
fn only_eligible_nodes_are_nominated() {
	new_test_ext().execute_with(|| {
		// 1: too little disk, 2: too little VRAM, 3: eligible.
		assert_ok!(ModelRegistry::join(
			RuntimeOrigin::signed(1),
			NodeCapacity { disk_bytes: 999, vram_bytes: 1_000 },
			1_000
		));
		assert_ok!(ModelRegistry::join(
			RuntimeOrigin::signed(2),
			NodeCapacity { disk_bytes: 10_000, vram_bytes: 99 },
			1_000
		));
		join_all([3]);
		let model = register(1);
		run_blocks(30);
		assert_eq!(nominees(model), vec![3]);
		// No other node can take it: after its empty passes the model is parked with its
		// deficit, and burns no more draws.
		let info = Models::<Test>::get(model).unwrap();
		assert!(!info.queued && info.parked_at.is_some());
		assert_eq!(ModelRegistry::replication_deficit(&info, &Params::<Test>::get()), 9);
	});
}

#[test]
fn deficit_is_filled_when_nodes_appear() {
	new_test_ext().execute_with(|| {
		join_all(1..=4);
		let model = register(1);
		run_blocks(10);
		assert_eq!(nominees(model).len(), 4);
		join_all(5..=30);
		run_blocks(10);
		assert_eq!(nominees(model).len(), 10);
		assert!(!Models::<Test>::get(model).unwrap().queued);
	});
}

#[test]
fn node_at_model_limit_is_not_nominated() {
	new_test_ext().execute_with(|| {
		join_all([1]);
		for n in 1..=9 {
			register(n);
		}
		run_blocks(40);
		assert_eq!(NodeNominations::<Test>::get(1).len(), 8);
		assert_eq!(Nodes::<Test>::get(1).unwrap().model_count(), 8);
	});
}

#[test]
fn confirm_stored_makes_a_holder() {
	new_test_ext().execute_with(|| {
		join_all(1..=3);
		let model = register(1);
		assert_noop!(
			ModelRegistry::confirm_stored(RuntimeOrigin::signed(1), model),
			Error::<Test>::NotNominated
		);
		assert_noop!(
			ModelRegistry::confirm_stored(RuntimeOrigin::signed(50), model),
			Error::<Test>::NotANode
		);
		assert_noop!(
			ModelRegistry::confirm_stored(RuntimeOrigin::signed(1), model_id(9)),
			Error::<Test>::ModelNotFound
		);
		run_blocks(5);
		take_events();
		assert_ok!(ModelRegistry::confirm_stored(RuntimeOrigin::signed(1), model));
		assert_eq!(take_events(), vec![Event::ModelStored { model, node: 1 }]);
		assert_eq!(holders(model), vec![1]);
		assert_eq!(Holders::<Test>::get(model)[0].node, 1);
		assert_eq!(NodeHoldings::<Test>::get(1).to_vec(), vec![model]);
		assert!(NodeNominations::<Test>::get(1).is_empty());
		assert_eq!(Nodes::<Test>::get(1).unwrap().used_disk, 1_000);
		let info = Models::<Test>::get(model).unwrap();
		assert_eq!((info.holders, info.available), (1, 1));
	});
}

#[test]
fn decline_frees_disk_and_nominates_another_node() {
	new_test_ext().execute_with(|| {
		join_all(1..=11);
		let model = register(1);
		run_blocks(10);
		let before = nominees(model);
		assert_eq!(before.len(), 10);
		let outsider = (1..=11).find(|n| !before.contains(n)).unwrap();
		let decliner = before[0];
		take_events();
		assert_ok!(ModelRegistry::decline_nomination(
			RuntimeOrigin::signed(decliner),
			model,
			DeclineReason::DiskBudgetExceeded
		));
		assert_eq!(
			take_events(),
			vec![Event::NominationDeclined {
				model,
				node: decliner,
				reason: DeclineReason::DiskBudgetExceeded
			}]
		);
		assert_eq!(Nodes::<Test>::get(decliner).unwrap().used_disk, 0);
		assert_noop!(
			ModelRegistry::decline_nomination(
				RuntimeOrigin::signed(decliner),
				model,
				DeclineReason::Other
			),
			Error::<Test>::NotNominated
		);
		assert_noop!(
			ModelRegistry::decline_nomination(
				RuntimeOrigin::signed(50),
				model,
				DeclineReason::Other
			),
			Error::<Test>::NotANode
		);
		assert_noop!(
			ModelRegistry::decline_nomination(
				RuntimeOrigin::signed(1),
				model_id(9),
				DeclineReason::Other
			),
			Error::<Test>::ModelNotFound
		);
		run_blocks(10);
		assert_eq!(nominees(model).len(), 10);
		// The node's disk budget is a lasting reason: the outsider replaces it, not itself.
		assert!(nominees(model).contains(&outsider));
		assert!(!nominees(model).contains(&decliner));
	});
}

#[test]
fn a_node_declining_for_a_lasting_reason_is_not_nominated_again_until_its_cooldown_ends() {
	// Ten nodes, none of which can run the model: without a cool-down each would be nominated
	// again as soon as it declined, every block, and pay a decline every block.
	new_test_ext().execute_with(|| {
		// A short demand window keeps the cool-down (ten windows) short.
		Params::<Test>::mutate(|p| p.demand_window = 20);
		join_all(1..=10);
		let model = register(1);
		run_blocks(10);
		assert_eq!(nominees(model).len(), 10);
		for node in 1..=10 {
			assert_ok!(ModelRegistry::decline_nomination(
				RuntimeOrigin::signed(node),
				model,
				DeclineReason::UnsupportedExecutor
			));
		}
		let start = System::block_number();
		let until = start + ModelRegistry::cooldown_length();
		assert!((1..=10).all(|n| Cooldowns::<Test>::get(model, n) == Some(until)));
		take_events();
		run_blocks(20);
		assert!(nominees(model).is_empty());
		assert!(!take_events().iter().any(|e| matches!(e, Event::DownloadNominated { .. })));
		// Nor can a cooling-down node slip in by announcing a copy.
		assert_noop!(
			ModelRegistry::announce_stored(RuntimeOrigin::signed(1), model),
			Error::<Test>::CoolingDown
		);
		// When the cool-down ends (the operator may have installed the engine), the nodes are
		// asked again: the parked model is woken by its demand review within a window.
		run_to_block(until + 1);
		assert!((1..=10).all(|n| Cooldowns::<Test>::get(model, n).is_none()));
		run_blocks(Params::<Test>::get().demand_window + 10);
		assert_eq!(nominees(model).len(), 10);
	});
}

#[test]
fn a_node_declining_for_a_passing_reason_may_be_nominated_again_at_once() {
	for reason in [DeclineReason::NetworkUnreachable, DeclineReason::Other] {
		new_test_ext().execute_with(|| {
			join_all(1..=10);
			let model = register(1);
			run_blocks(10);
			assert_ok!(ModelRegistry::decline_nomination(RuntimeOrigin::signed(3), model, reason));
			assert_eq!(Cooldowns::<Test>::get(model, 3), None, "{reason:?}");
			// The only node without the model is nominated again.
			run_blocks(10);
			assert!(nominees(model).contains(&3), "{reason:?}");
		});
	}
}

#[test]
fn holders_falling_to_two_trigger_a_refill_of_ten() {
	new_test_ext().execute_with(|| {
		join_all(1..=30);
		let model = placed_model(1);
		let copies = holders(model);
		assert_eq!(copies.len(), 10);
		assert_eq!(Models::<Test>::get(model).unwrap().nominated, 0);
		for n in &copies[..8] {
			assert_ok!(ModelRegistry::report_lost(RuntimeOrigin::signed(*n), model));
		}
		assert_eq!(holders(model).len(), 2);
		take_events();
		let mut nominated = Vec::new();
		for _ in 0..10 {
			run_blocks(1);
			nominated.extend(nominated_events(&take_events()));
		}
		// Refill: `refill_batch` (10) new nominations, not just the 8 missing copies.
		assert_eq!(nominated.len(), 10);
		assert_eq!(Models::<Test>::get(model).unwrap().nominated, 10);
		for n in nominated {
			assert!(!copies[8..].contains(&n));
		}
	});
}

#[test]
fn report_lost_drops_the_holder() {
	new_test_ext().execute_with(|| {
		join_all(1..=12);
		let model = placed_model(1);
		let n = holders(model)[3];
		take_events();
		assert_ok!(ModelRegistry::report_lost(RuntimeOrigin::signed(n), model));
		assert_eq!(take_events(), vec![Event::ModelLost { model, node: n }]);
		assert!(!holders(model).contains(&n));
		assert_eq!(Nodes::<Test>::get(n).unwrap().used_disk, 0);
		assert_noop!(
			ModelRegistry::report_lost(RuntimeOrigin::signed(n), model),
			Error::<Test>::NotHolder
		);
		assert_noop!(
			ModelRegistry::report_lost(RuntimeOrigin::signed(50), model),
			Error::<Test>::NotANode
		);
		assert_noop!(
			ModelRegistry::report_lost(RuntimeOrigin::signed(n), model_id(9)),
			Error::<Test>::ModelNotFound
		);
		// A replacement is nominated.
		run_blocks(5);
		assert_eq!(Models::<Test>::get(model).unwrap().nominated, 1);
	});
}

#[test]
fn missed_deadline_expires_costs_qos_and_is_replaced() {
	// A short deadline, so that the demand review (after one window) does not interfere.
	let params = RegistryParams { download_deadline: 20, ..Default::default() };
	new_test_ext_with(params).execute_with(|| {
		join_all(1..=15);
		let model = register(1);
		run_blocks(10);
		let first = nominees(model);
		assert_eq!(first.len(), 10);
		// Everyone but `late` confirms.
		let late = first[0];
		for n in &first[1..] {
			assert_ok!(ModelRegistry::confirm_stored(RuntimeOrigin::signed(*n), model));
		}
		let deadline = Nominations::<Test>::get(model, late).unwrap().deadline;
		run_to_block(deadline - 1);
		take_events();
		run_to_block(deadline);
		let events = take_events();
		assert!(events.contains(&Event::NominationExpired { model, node: late }));
		assert!(!events.contains(&Event::ModelStored { model, node: late }));
		assert_eq!(Nodes::<Test>::get(late).unwrap().qos, 560);
		let renominated = nominees(model).contains(&late);
		assert_eq!(
			Nodes::<Test>::get(late).unwrap().used_disk,
			if renominated { 1_000 } else { 0 }
		);
		// A replacement is nominated (in this block or a later one), and only one.
		run_blocks(10);
		assert_eq!(Models::<Test>::get(model).unwrap().nominated, 1);
		assert_eq!(nominees(model).len(), 1);
	});
}

#[test]
fn announce_stored_rules() {
	let params = RegistryParams {
		initial_replicas: 2,
		min_replicas: 3,
		low_watermark: 0,
		refill_batch: 1,
		executors_per_task: 1,
		..Default::default()
	};
	new_test_ext_with(params).execute_with(|| {
		join_all(1..=6);
		assert_noop!(
			ModelRegistry::announce_stored(RuntimeOrigin::signed(50), model_id(1)),
			Error::<Test>::NotANode
		);
		assert_noop!(
			ModelRegistry::announce_stored(RuntimeOrigin::signed(1), model_id(1)),
			Error::<Test>::ModelNotFound
		);
		let model = register(1);
		// Announcing records the fact, nothing else.
		take_events();
		assert_ok!(ModelRegistry::announce_stored(RuntimeOrigin::signed(1), model));
		assert_eq!(take_events(), vec![Event::ModelAnnounced { model, node: 1 }]);
		assert_eq!(Announcements::<Test>::get(1).to_vec(), vec![model]);
		assert!(holders(model).is_empty());
		assert_eq!(Nodes::<Test>::get(1).unwrap().used_disk, 0);
		assert_noop!(
			ModelRegistry::announce_stored(RuntimeOrigin::signed(1), model),
			Error::<Test>::AlreadyAnnounced
		);
		// Target 3 (initial 2 raised to the floor).
		run_blocks(10);
		let picked: Vec<AccountId> = holders(model).into_iter().chain(nominees(model)).collect();
		assert_eq!(picked.len(), 3);
		// A drawn announcer holds at once; the others are nominated.
		assert_eq!(holders(model), if picked.contains(&1) { vec![1] } else { vec![] });
		if picked.contains(&1) {
			assert!(Announcements::<Test>::get(1).is_empty());
			assert_noop!(
				ModelRegistry::announce_stored(RuntimeOrigin::signed(1), model),
				Error::<Test>::AlreadyHolder
			);
		}
		let nominee = nominees(model)[0];
		assert_noop!(
			ModelRegistry::announce_stored(RuntimeOrigin::signed(nominee), model),
			Error::<Test>::AlreadyNominated
		);
	});
}

#[test]
fn announce_stored_capacity_rules() {
	new_test_ext().execute_with(|| {
		let model = register(1);
		assert_ok!(ModelRegistry::join(
			RuntimeOrigin::signed(1),
			NodeCapacity { disk_bytes: 999, vram_bytes: 1_000 },
			1_000
		));
		assert_noop!(
			ModelRegistry::announce_stored(RuntimeOrigin::signed(1), model),
			Error::<Test>::InsufficientCapacity
		);
		assert_ok!(ModelRegistry::join(
			RuntimeOrigin::signed(2),
			NodeCapacity { disk_bytes: 10_000, vram_bytes: 10 },
			1_000
		));
		assert_noop!(
			ModelRegistry::announce_stored(RuntimeOrigin::signed(2), model),
			Error::<Test>::InsufficientCapacity
		);
		// A node announces at most 8 models; announcements of deregistered models are pruned.
		join_all([3]);
		for n in 2..=9 {
			let m = model_id(n);
			assert_ok!(ModelRegistry::register_model(
				RuntimeOrigin::signed(80),
				m,
				10,
				sources(),
				0,
				pieces(10),
				ExecutorKind::SpotCheck
			));
			assert_ok!(ModelRegistry::announce_stored(RuntimeOrigin::signed(3), m));
		}
		assert_noop!(
			ModelRegistry::announce_stored(RuntimeOrigin::signed(3), model),
			Error::<Test>::TooManyModelsOnNode
		);
		assert_ok!(ModelRegistry::deregister_model(RuntimeOrigin::signed(80), model_id(9)));
		assert_ok!(ModelRegistry::announce_stored(RuntimeOrigin::signed(3), model));
		assert_eq!(Announcements::<Test>::get(3).len(), 8);
		assert!(!Announcements::<Test>::get(3).contains(&model_id(9)));
	});
}

#[test]
fn deadlines_beyond_the_per_block_limit_are_handled_in_the_next_block() {
	new_test_ext().execute_with(|| {
		// 40 resolved tasks to prune at block 5, while 32 entries are handled per block.
		for t in 0..40 {
			let task = TaskInfo {
				model: model_id(1),
				creator: 79,
				fee: 1,
				deposit: 0,
				input: BoundedVec::new(),
				challenge: H256::zero(),
				created_at: 1,
				status: TaskStatus::Failed { reason: TaskFailure::NoHolders },
				executors: BoundedVec::new(),
				waiting_notified: false,
				queue_slot: 0,
				appeal: None,
			};
			Tasks::<Test>::insert(t, task);
			ModelRegistry::schedule_deadline(5, DeadlineItem::Prune { task: t });
		}
		assert_eq!(DeadlineCount::<Test>::get(5), 40);
		run_to_block(5);
		assert_eq!(Tasks::<Test>::iter().count(), 8);
		assert_eq!(DeadlineCursor::<Test>::get(), (5, 32));
		run_to_block(6);
		assert_eq!(Tasks::<Test>::iter().count(), 0);
		assert_eq!(DeadlineCount::<Test>::get(5), 0);
		assert_eq!(Deadlines::<Test>::iter().count(), 0);
		assert_eq!(DeadlineCursor::<Test>::get(), (7, 0));
	});
}
