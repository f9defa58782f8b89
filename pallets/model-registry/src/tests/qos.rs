use super::*;

#[test]
fn moving_average_and_rolls() {
	new_test_ext().execute_with(|| {
		assert_eq!(ModelRegistry::qos_average(700, 0), 560);
		assert_eq!(ModelRegistry::qos_average(700, 1000), 760);
		assert_eq!(ModelRegistry::qos_average(1000, 1000), 1000);
		assert_eq!(ModelRegistry::qos_average(5000, 5000), 1000);
		assert!(ModelRegistry::qos_accepts(1000, u32::MAX));
		assert!(!ModelRegistry::qos_accepts(0, 0));
	});
}

fn three_node_params() -> ParamsOf<Test> {
	RegistryParams {
		initial_replicas: 3,
		min_replicas: 3,
		low_watermark: 2,
		refill_batch: 1,
		..Default::default()
	}
}

#[test]
fn no_shows_are_penalised_until_kicked_out() {
	new_test_ext_with(three_node_params()).execute_with(|| {
		join_all(1..=3);
		let model = placed_model(1);
		assert_eq!(holders(model), vec![1, 2, 3]);
		let silent = 3;
		let mut rounds = 0;
		let r = H256::repeat_byte(7);
		while Nodes::<Test>::get(silent).is_some() {
			rounds += 1;
			assert!(rounds <= 10, "never kicked out");
			let task = create_task(model);
			take_events();
			let mut blocks = 0;
			while executors(task).is_empty() {
				run_blocks(1);
				blocks += 1;
				assert!(blocks < 60, "task never assigned");
			}
			let ex = executors(task);
			let answers: Vec<Option<H256>> =
				ex.iter().map(|n| if *n == silent { None } else { Some(r) }).collect();
			commit_all(task, &answers);
			let qos_before = Nodes::<Test>::get(silent).unwrap().qos;
			let deadline = match Tasks::<Test>::get(task).unwrap().status {
				TaskStatus::Commit { deadline } => deadline,
				_ => unreachable!(),
			};
			run_to_block(deadline);
			match Nodes::<Test>::get(silent) {
				Some(node) => {
					assert_eq!(node.qos, ModelRegistry::qos_average(qos_before, 0));
					reveal_all(task, &answers);
					run_blocks(1);
					// Silence is not a vote, and the model has no holder outside the round to
					// judge yet: the task waits for one; nobody is paid or slashed.
					let info = Tasks::<Test>::get(task).unwrap();
					assert!(info.appeal.is_some());
					assert_eq!(info.status, TaskStatus::Waiting);
				}
				None => {
					let events = take_events();
					let kicked = ModelRegistry::qos_average(qos_before, 0);
					assert!(kicked < 200);
					assert!(events.contains(&Event::NodeKickedOut {
						node: silent,
						qos: kicked,
						released: 1_000
					}));
					assert!(events.contains(&Event::ModelEvicted { model, node: silent }));
				}
			}
		}
		assert!(rounds >= 5);
		assert_eq!(held(HoldReason::NodeStake, silent), 0);
		assert_eq!(free(silent), INITIAL_BALANCE);
		assert!(!holders(model).contains(&silent));
		assert_eq!(NodeCount::<Test>::get(), 2);
		assert_ok!(ModelRegistry::do_try_state());
	});
}

#[test]
fn kick_out_releases_stake_minus_slashes() {
	new_test_ext_with(RegistryParams {
		initial_replicas: 4,
		min_replicas: 4,
		..three_node_params()
	})
	.execute_with(|| {
		join_all(1..=4);
		let model = placed_model(1);
		let task = create_task(model);
		run_blocks(5);
		let ex = executors(task);
		let (good, bad) = (H256::repeat_byte(1), H256::repeat_byte(2));
		let answers = [Some(good), Some(good), Some(bad)];
		commit_all(task, &answers);
		reveal_all(task, &answers);
		run_blocks(1);
		jury_answers(task, good);
		let odd = ex[2];
		assert_eq!(Nodes::<Test>::get(odd).unwrap().stake, 900);
		Nodes::<Test>::mutate(odd, |n| n.as_mut().unwrap().qos = 210);
		take_events();
		let mut weight = frame_support::weights::Weight::zero();
		ModelRegistry::record_qos(&odd, 0, &mut weight);
		assert_eq!(
			take_events(),
			vec![Event::NodeKickedOut { node: odd, qos: 168, released: 900 }]
		);
		assert!(weight.any_gt(frame_support::weights::Weight::zero()));
		assert_eq!(free(odd), INITIAL_BALANCE - 100);
	});
}

#[test]
fn commit_sample_rewards_an_allowance_then_falls_to_the_late_floor() {
	use crate::qos::{PROMPT_COMMIT_BLOCKS, QOS_FULL, QOS_LATE, READ_SPEEDUP};
	let window = 20;
	let sample =
		|latency: u32, size: u64| ModelRegistry::commit_sample(window - latency, window, size);
	// A small model: prompt within PROMPT_COMMIT_BLOCKS.
	for latency in 0..=PROMPT_COMMIT_BLOCKS {
		assert_eq!(sample(latency, 1), QOS_FULL);
	}
	assert!(sample(PROMPT_COMMIT_BLOCKS + 1, 1) < QOS_FULL);
	assert_eq!(sample(window, 1), QOS_LATE, "the last block of the window");
	// Monotone: later is never better.
	for latency in 1..=window {
		assert!(sample(latency, 1) <= sample(latency - 1, 1));
	}
	// A larger model gets the blocks a disk needs to read it.
	let per_block = MinDownloadBytesPerBlock::get() * READ_SPEEDUP;
	assert_eq!(sample(PROMPT_COMMIT_BLOCKS + 5, 5 * per_block), QOS_FULL);
	assert!(sample(PROMPT_COMMIT_BLOCKS + 6, 5 * per_block) < QOS_FULL);
	// Any margin, window and size: within the two samples, no panic.
	for (margin, window, size) in [(0, 0, 0), (u32::MAX, 1, u64::MAX), (5, u32::MAX, 0)] {
		let s = ModelRegistry::commit_sample(margin, window, size);
		assert!((QOS_LATE..=QOS_FULL).contains(&s));
	}
}
