use super::*;

fn info_with(target: u32, current: u32, previous: u32) -> ModelInfoOf<Test> {
	ModelInfo {
		owner: 1,
		deposit: 0,
		size_bytes: 1,
		min_vram_bytes: 0,
		index: 0,
		holders: 0,
		available: 0,
		nominated: 0,
		target,
		queued: false,
		retiring: false,
		demand_window_index: 0,
		demand_current: current,
		demand_previous: previous,
		registered_at: 0,
		source_failures: 0,
		sources_reset_at: None,
		empty_passes: 0,
		parked_at: None,
		executor: ExecutorKind::SpotCheck,
	}
}

#[test]
fn desired_replicas_follow_demand_within_bounds() {
	new_test_ext().execute_with(|| {
		let p = Params::<Test>::get();
		// ceil(tasks * 3 executors * 200% / 10 per replica), clamped to 5..=32.
		assert_eq!(ModelRegistry::desired_replicas(&info_with(10, 0, 0), &p), 5);
		assert_eq!(ModelRegistry::desired_replicas(&info_with(10, 13, 0), &p), 8);
		assert_eq!(ModelRegistry::desired_replicas(&info_with(10, 0, 17), &p), 11);
		assert_eq!(ModelRegistry::desired_replicas(&info_with(10, 1_000, 0), &p), 32);
	});
}

#[test]
fn target_has_hysteresis() {
	new_test_ext().execute_with(|| {
		let p = Params::<Test>::get();
		let now = 1_000;
		assert_eq!(p.scale_down_hysteresis_percent, 50);
		// Desired 14 is 30 % below 20: no change.
		let mut info = info_with(20, 23, 0);
		ModelRegistry::update_target(model_id(1), &mut info, &p, now, true);
		assert_eq!(info.target, 20);
		// Desired 10 is half of 20: lowered.
		let mut info = info_with(20, 16, 0);
		ModelRegistry::update_target(model_id(1), &mut info, &p, now, true);
		assert_eq!(info.target, 10);
		// Raising is immediate.
		let mut info = info_with(10, 17, 0);
		ModelRegistry::update_target(model_id(1), &mut info, &p, now, false);
		assert_eq!(info.target, 11);
		// Lowering waits for a full window after registration.
		let mut info = info_with(10, 0, 0);
		ModelRegistry::update_target(model_id(1), &mut info, &p, 50, true);
		assert_eq!(info.target, 10);
		assert_eq!(
			take_events(),
			vec![
				Event::ReplicationTargetChanged { model: model_id(1), old: 20, new: 10 },
				Event::ReplicationTargetChanged { model: model_id(1), old: 10, new: 11 },
			]
		);
	});
}

#[test]
fn demand_windows_roll() {
	new_test_ext().execute_with(|| {
		let p = Params::<Test>::get();
		let mut info = info_with(10, 4, 2);
		ModelRegistry::roll_demand(&mut info, &p, 99);
		assert_eq!((info.demand_current, info.demand_previous), (4, 2));
		ModelRegistry::roll_demand(&mut info, &p, 100);
		assert_eq!(
			(info.demand_current, info.demand_previous, info.demand_window_index),
			(0, 4, 1)
		);
		info.demand_current = 3;
		ModelRegistry::roll_demand(&mut info, &p, 350);
		assert_eq!(
			(info.demand_current, info.demand_previous, info.demand_window_index),
			(0, 0, 3)
		);
	});
}

#[test]
fn rising_demand_raises_target_and_nominations() {
	let params = RegistryParams { tasks_per_replica: 1, ..Default::default() };
	new_test_ext_with(params).execute_with(|| {
		join_all(1..=30);
		let model = placed_model(1);
		assert_eq!(holders(model).len(), 10);
		take_events();
		// Demand counts tasks that ended. One task: ceil(1 * 3 * 2 / 1) = 6 < 10, no change.
		let first = create_task(model);
		let second = create_task(model);
		assert_eq!(Models::<Test>::get(model).unwrap().demand_current, 0);
		assert_ok!(ModelRegistry::cancel_task(RuntimeOrigin::signed(79), second));
		let result = Some(H256::repeat_byte(3));
		run_blocks(1);
		commit_all(first, &[result; 3]);
		reveal_all(first, &[result; 3]);
		run_blocks(1);
		assert!(matches!(Tasks::<Test>::get(first).unwrap().status, TaskStatus::Completed { .. }));
		let info = Models::<Test>::get(model).unwrap();
		assert_eq!((info.demand_current, info.target), (1, 10));
		// Two tasks: 12. A cancelled task does not count.
		let third = create_task(model);
		run_blocks(1);
		commit_all(third, &[result; 3]);
		reveal_all(third, &[result; 3]);
		run_blocks(1);
		assert!(take_events().contains(&Event::ReplicationTargetChanged {
			model,
			old: 10,
			new: 12
		}));
		run_blocks(5);
		assert_eq!(Models::<Test>::get(model).unwrap().nominated, 2);
		assert_eq!(Models::<Test>::get(model).unwrap().demand_current, 2);
	});
}

#[test]
fn falling_demand_evicts_down_to_target_never_below_floor() {
	new_test_ext().execute_with(|| {
		join_all(1..=12);
		let model = placed_model(1);
		assert_eq!(holders(model).len(), 10);
		take_events();
		// Without demand the desired count is the floor (5); lowering starts after a window.
		run_to_block(100);
		assert_eq!(holders(model).len(), 10);
		run_to_block(110);
		let events = take_events();
		assert!(events.contains(&Event::ReplicationTargetChanged { model, old: 10, new: 5 }));
		let evicted: Vec<AccountId> = events
			.iter()
			.filter_map(|e| match e {
				Event::ModelEvicted { node, .. } => Some(*node),
				_ => None,
			})
			.collect();
		assert_eq!(evicted.len(), 5);
		assert_eq!(holders(model).len(), 5);
		for n in evicted {
			assert!(!NodeHoldings::<Test>::get(n).contains(&model));
			assert_eq!(Nodes::<Test>::get(n).unwrap().used_disk, 0);
		}
		run_to_block(400);
		assert_eq!(holders(model).len(), 5);
		assert_eq!(Models::<Test>::get(model).unwrap().target, 5);
	});
}

fn seed(n: u8) -> crate::placement::BlockSeed {
	crate::placement::BlockSeed([n; 32])
}

#[test]
fn eviction_prefers_paused_then_low_qos_and_spares_busy_holders() {
	let params = RegistryParams { min_replicas: 3, low_watermark: 2, ..Default::default() };
	new_test_ext_with(params).execute_with(|| {
		join_all(1..=6);
		let model = placed_model(1);
		assert_eq!(holders(model).len(), 6);
		let copies = holders(model);
		let (paused, low, busy) = (copies[0], copies[1], copies[2]);
		assert_ok!(ModelRegistry::pause(RuntimeOrigin::signed(paused)));
		// The pause reaches the holder list's availability flags in the next block.
		run_blocks(1);
		Nodes::<Test>::mutate(low, |n| n.as_mut().unwrap().qos = 300);
		Nodes::<Test>::mutate(busy, |n| n.as_mut().unwrap().qos = 100);
		set_node_tasks(busy, model, vec![7]);
		let mut info = Models::<Test>::get(model).unwrap();
		info.target = 4;
		let p = Params::<Test>::get();
		take_events();
		let evicted = ModelRegistry::evict_surplus(model, &mut info, &p, &seed(50));
		assert_eq!(evicted, 2);
		assert_eq!(
			take_events(),
			vec![
				Event::ModelEvicted { model, node: paused },
				Event::ModelEvicted { model, node: low },
			]
		);
		assert_eq!(info.holders, 4);
		// Never below the floor (min_replicas = 3).
		info.target = 1;
		set_node_tasks(busy, model, vec![]);
		assert_eq!(ModelRegistry::evict_surplus(model, &mut info, &p, &seed(51)), 1);
		assert_eq!(info.holders, 3);
		assert_eq!(ModelRegistry::evict_surplus(model, &mut info, &p, &seed(52)), 0);
	});
}

#[test]
fn review_is_round_robin_and_bounded() {
	new_test_ext().execute_with(|| {
		for n in 1..=5 {
			register(n);
		}
		assert_eq!(ReviewCursor::<Test>::get(), 0);
		run_blocks(1);
		assert_eq!(ReviewCursor::<Test>::get(), 2);
		run_blocks(2);
		assert_eq!(ReviewCursor::<Test>::get(), 1);
	});
}
