use super::*;
use frame_support::traits::Get;

const R1: H256 = H256::repeat_byte(0xa1);
const R2: H256 = H256::repeat_byte(0xb2);
const R3: H256 = H256::repeat_byte(0xc3);

/// Ten nodes holding model 1.
fn setup() -> ModelId {
	join_all(1..=10);
	let model = placed_model(1);
	assert_eq!(holders(model).len(), 10);
	model
}

/// Create a task and run one block so that executors are drawn.
fn assigned_task(model: ModelId) -> TaskId {
	let task = create_task(model);
	run_blocks(1);
	assert_eq!(executors(task).len(), 3);
	task
}

#[test]
fn create_task_holds_fee_and_waits_for_a_later_block() {
	new_test_ext().execute_with(|| {
		let model = setup();
		take_events();
		let task = create_task(model);
		assert_eq!(task, 0);
		assert_eq!(held(HoldReason::TaskFee, 79), 300);
		assert_eq!(
			take_events(),
			vec![Event::TaskCreated { task, model, creator: 79, fee: 300, deposit: 0 }]
		);
		let info = Tasks::<Test>::get(task).unwrap();
		assert_eq!(info.status, TaskStatus::Waiting);
		assert!(info.executors.is_empty());
		assert_eq!(ModelRegistry::pending_tasks(), vec![task]);
		run_blocks(1);
		let now = System::block_number();
		let chosen = executors(task);
		let challenge = Tasks::<Test>::get(task).unwrap().challenge;
		assert_eq!(
			take_events(),
			vec![Event::ExecutorsAssigned {
				task,
				executors: BoundedVec::truncate_from(chosen.clone()),
				commit_deadline: now + 20,
				challenge
			}]
		);
		let mut distinct = chosen.clone();
		distinct.sort();
		distinct.dedup();
		assert_eq!(distinct.len(), 3);
		for n in chosen {
			assert!(holders(model).contains(&n));
			assert_eq!(node_tasks(n).to_vec(), vec![(task, model)]);
		}
		assert!(ModelRegistry::pending_tasks().is_empty());
	});
}

/// The executors drawn, sorted, for a task on a model held by nodes `1..=qos.len()` with
/// those QoS scores, in the first block after its creation with randomness `seed`.
fn executors_drawn_with_scores(qos: &[u32], seed: u64) -> Vec<AccountId> {
	new_test_ext().execute_with(|| {
		let nodes = 1..=qos.len() as AccountId;
		join_all(nodes.clone());
		let model = placed_model(1);
		assert_eq!(holders(model).len(), qos.len());
		for (n, score) in nodes.zip(qos) {
			Nodes::<Test>::mutate_extant(n, |node| node.qos = *score);
		}
		let task = create_task(model);
		set_random_seed(seed);
		run_blocks(1);
		let mut chosen = executors(task);
		chosen.sort();
		chosen
	})
}

/// A model held by exactly as many nodes as a task needs: every examination must serve the
/// task. Before, each holder had to win its QoS roll in the same block (0.5³ = 1 in 8 at QoS
/// 500), so the task waited block after block on dice although every holder could serve it.
#[test]
fn a_task_is_not_kept_waiting_by_qos_rolls_when_enough_holders_can_serve_it() {
	for seed in 0..20 {
		assert_eq!(executors_drawn_with_scores(&[500; 3], seed), vec![1, 2, 3], "seed {seed}");
	}
}

/// The places a roll leaves open go to holders that lost theirs only when the others cannot
/// fill them: three holders of full score take every task before a holder of score 0.
#[test]
fn holders_that_lost_their_roll_only_fill_open_places() {
	for seed in 0..20 {
		let drawn = executors_drawn_with_scores(&[1000, 1000, 1000, 0], seed);
		assert_eq!(drawn, vec![1, 2, 3], "seed {seed}");
	}
}

#[test]
fn executors_are_not_fixed_at_submission() {
	// Identical chains up to the task's submission; only the randomness of the next block
	// differs. The drawn executors differ for some seeds, so they were not determined when
	// the task was submitted.
	let draw = |seed: u64| {
		new_test_ext().execute_with(|| {
			let model = setup();
			let task = create_task(model);
			set_random_seed(seed);
			run_blocks(1);
			executors(task)
		})
	};
	let base = draw(0);
	let differing = (1..10).filter(|s| draw(*s) != base).count();
	assert!(differing > 0);
}

#[test]
fn create_task_errors() {
	new_test_ext().execute_with(|| {
		let input = || BoundedVec::truncate_from(b"x".to_vec());
		for fee in [0, 4] {
			assert_noop!(
				ModelRegistry::create_task(RuntimeOrigin::signed(79), model_id(1), input(), fee),
				Error::<Test>::FeeBelowMinimum
			);
		}
		assert_noop!(
			ModelRegistry::create_task(RuntimeOrigin::signed(79), model_id(1), input(), 5),
			Error::<Test>::ModelNotFound
		);
		let model = register(1);
		assert_noop!(
			ModelRegistry::create_task(RuntimeOrigin::signed(200), model, input(), 5),
			Error::<Test>::InsufficientBalance
		);
		for _ in 0..16 {
			create_task(model);
		}
		assert_noop!(
			ModelRegistry::create_task(RuntimeOrigin::signed(79), model, input(), 5),
			Error::<Test>::TaskQueueFull
		);
	});
}

#[test]
fn task_waits_for_holders_and_triggers_replication() {
	new_test_ext().execute_with(|| {
		join_all(1..=2);
		let model = placed_model(1);
		assert_eq!(holders(model).len(), 2);
		let task = create_task(model);
		take_events();
		run_blocks(1);
		assert_eq!(take_events(), vec![Event::TaskWaitingForHolders { task, model }]);
		run_blocks(3);
		// Notified once only; still queued.
		assert!(take_events().is_empty());
		assert_eq!(ModelRegistry::pending_tasks(), vec![task]);
		// Queued, or parked after its empty passes until a node joins.
		let info = Models::<Test>::get(model).unwrap();
		assert!(info.queued || info.parked_at.is_some());
		// A third holder appears: the task is served.
		join_all([3]);
		run_blocks(5);
		confirm_all(model);
		run_blocks(5);
		assert_eq!(executors(task).len(), 3);
		assert!(ModelRegistry::pending_tasks().is_empty());
	});
}

#[test]
fn task_waiting_longer_than_a_window_fails() {
	new_test_ext().execute_with(|| {
		let model = register(1);
		let task = create_task(model);
		run_to_block(101);
		assert_eq!(Tasks::<Test>::get(task).unwrap().status, TaskStatus::Waiting);
		take_events();
		run_to_block(102);
		assert_eq!(take_events(), vec![Event::TaskFailed { task, reason: TaskFailure::NoHolders }]);
		assert_eq!(held(HoldReason::TaskFee, 79), 0);
		assert_eq!(free(79), INITIAL_BALANCE);
	});
}

#[test]
fn agreeing_executors_share_fee_and_gain_qos() {
	new_test_ext().execute_with(|| {
		let model = setup();
		let task = assigned_task(model);
		let ex = executors(task);
		let qos_before: Vec<u32> = ex.iter().map(|n| Nodes::<Test>::get(n).unwrap().qos).collect();
		let free_before: Vec<Balance> = ex.iter().map(|n| free(*n)).collect();
		take_events();
		commit_all(task, &[Some(R1), Some(R1), Some(R1)]);
		let events = take_events();
		assert!(events.contains(&Event::ResultCommitted { task, executor: ex[0] }));
		let deadline = reveal_deadline(task);
		assert!(events.contains(&Event::RevealPhaseStarted { task, reveal_deadline: deadline }));
		reveal_all(task, &[Some(R1), Some(R1), Some(R1)]);
		// The last reveal ends the reveal phase; the task resolves in the next block.
		run_blocks(1);
		let events = take_events();
		assert!(events.contains(&Event::ResultRevealed {
			task,
			executor: ex[2],
			result: sealed(task, R1)
		}));
		assert_eq!(
			events.last(),
			Some(&Event::TaskCompleted {
				task,
				result: sealed(task, R1),
				paid: BoundedVec::truncate_from(ex.clone())
			})
		);
		for (i, n) in ex.iter().enumerate() {
			assert_eq!(free(*n), free_before[i] + 100);
			// All committed in the block of their assignment: the same full sample, whatever
			// the order of their reveals.
			let expected = ModelRegistry::qos_average(qos_before[i], crate::qos::QOS_FULL);
			assert_eq!(Nodes::<Test>::get(n).unwrap().qos, expected);
			assert!(node_tasks(*n).is_empty());
		}
		assert_eq!(held(HoldReason::TaskFee, 79), 0);
		assert_eq!(free(79), INITIAL_BALANCE - 300);
		assert_eq!(
			Tasks::<Test>::get(task).unwrap().status,
			TaskStatus::Completed { result: sealed(task, R1) }
		);
		assert_eq!(ModelRegistry::task_status(task).unwrap().result, Some(sealed(task, R1)));
		// Pruned one demand window later.
		run_blocks(100);
		assert!(Tasks::<Test>::get(task).is_none());
	});
}

#[test]
fn two_to_one_disagreement_is_appealed_then_the_odd_one_is_slashed_and_dropped() {
	new_test_ext().execute_with(|| {
		let model = setup();
		let task = assigned_task(model);
		let ex = executors(task);
		let odd = ex[1];
		let issuance = Balances::total_issuance();
		commit_all(task, &[Some(R1), Some(R2), Some(R1)]);
		take_events();
		reveal_all(task, &[Some(R1), Some(R2), Some(R1)]);
		run_blocks(1);
		// Nobody is paid or slashed on a split vote: a jury of up to 2k + 1 = 7 is asked.
		let events = take_events();
		assert!(events.contains(&Event::TaskAppealed { task, jury: 7 }));
		assert!(!events.iter().any(|e| matches!(
			e,
			Event::ExecutorSlashed { .. } | Event::TaskCompleted { .. } | Event::TaskFailed { .. }
		)));
		assert_eq!(Tasks::<Test>::get(task).unwrap().status, TaskStatus::Waiting);
		for n in ex.iter() {
			assert_eq!(Nodes::<Test>::get(n).unwrap().open_commitments, 1, "still answerable");
			assert!(node_tasks(*n).is_empty(), "the first round no longer executes it");
		}
		assert_eq!(held(HoldReason::TaskFee, 79), 300);
		assert_ok!(ModelRegistry::do_try_state());

		let jury = jury_answers(task, R1);
		assert!(!jury.is_empty() && jury.iter().all(|j| !ex.contains(j)), "other holders judge");
		let events = take_events();
		assert!(events.contains(&Event::ExecutorSlashed { task, node: odd, amount: 100 }));
		assert!(events.contains(&Event::ModelEvicted { model, node: odd }));
		let mut paid = vec![ex[0], ex[2]];
		paid.extend(jury.iter().copied());
		assert!(events.contains(&Event::TaskCompleted {
			task,
			result: sealed(task, R1),
			paid: BoundedVec::truncate_from(paid.clone())
		}));
		assert_eq!(held(HoldReason::NodeStake, odd), 900);
		assert_eq!(Nodes::<Test>::get(odd).unwrap().stake, 900);
		assert!(!holders(model).contains(&odd));
		assert!(!NodeHoldings::<Test>::get(odd).contains(&model));
		let share = 300 / paid.len() as Balance;
		for n in paid.iter() {
			assert_eq!(free(*n), INITIAL_BALANCE - 1_000 + share);
		}
		assert_eq!(free(79), INITIAL_BALANCE - share * paid.len() as Balance);
		for n in ex.iter().chain(jury.iter()) {
			assert_eq!(Nodes::<Test>::get(n).map_or(0, |n| n.open_commitments), 0);
		}
		// The slash is burnt.
		assert_eq!(Balances::total_issuance(), issuance - 100);
		// A replacement holder is wanted.
		assert!(Models::<Test>::get(model).unwrap().queued);
	});
}

#[test]
fn three_way_disagreement_is_appealed_and_a_split_jury_fails_without_quorum() {
	new_test_ext().execute_with(|| {
		let model = setup();
		let task = assigned_task(model);
		let ex = executors(task);
		commit_all(task, &[Some(R1), Some(R2), Some(R3)]);
		take_events();
		reveal_all(task, &[Some(R1), Some(R2), Some(R3)]);
		run_blocks(1);
		assert_eq!(take_events().last(), Some(&Event::TaskAppealed { task, jury: 7 }));
		// The jury splits as well: no result has a quorum of the jury.
		let jury = jury_drawn(task);
		let answers: Vec<_> = (0..jury.len()).map(|i| Some([R1, R2, R3][i % 3])).collect();
		commit_all(task, &answers);
		reveal_all(task, &answers);
		run_blocks(1);
		let events = take_events();
		assert_eq!(events.last(), Some(&Event::TaskFailed { task, reason: TaskFailure::NoQuorum }));
		assert!(!events.iter().any(|e| matches!(e, Event::ExecutorSlashed { .. })));
		assert_eq!(free(79), INITIAL_BALANCE);
		for n in ex.iter().chain(jury.iter()) {
			assert_eq!(Nodes::<Test>::get(n).unwrap().stake, 1_000);
			assert!(holders(model).contains(n));
		}
	});
}

#[test]
fn silent_executors_are_penalised_and_the_round_is_appealed() {
	new_test_ext().execute_with(|| {
		let model = setup();
		let task = assigned_task(model);
		let ex = executors(task);
		let qos_silent = Nodes::<Test>::get(ex[2]).unwrap().qos;
		commit_all(task, &[Some(R1), Some(R1), None]);
		run_to_block(commit_deadline(task));
		// The silent one is released and penalised; the reveal phase starts.
		assert_eq!(
			Nodes::<Test>::get(ex[2]).unwrap().qos,
			ModelRegistry::qos_average(qos_silent, 0)
		);
		assert!(node_tasks(ex[2]).is_empty());
		let deadline = reveal_deadline(task);
		assert_noop!(
			ModelRegistry::reveal_result(RuntimeOrigin::signed(ex[2]), task, R1, salt(ex[2])),
			Error::<Test>::NotCommitted
		);
		take_events();
		// Two reveals of three: silence is not a vote, the round goes to a jury.
		reveal_all(task, &[Some(R1), Some(R1), None]);
		run_blocks(1);
		let events = take_events();
		assert!(events.contains(&Event::TaskAppealed { task, jury: 7 }));
		assert!(!events.iter().any(|e| matches!(e, Event::TaskCompleted { .. })));
		assert!(deadline > System::block_number());
		// The jury agrees: both rounds' agreeing executors are paid, the silent one is not
		// slashed (it committed nothing).
		let jury = jury_answers(task, R1);
		let mut paid = vec![ex[0], ex[1]];
		paid.extend(jury.iter().copied());
		let events = take_events();
		assert!(events.contains(&Event::TaskCompleted {
			task,
			result: sealed(task, R1),
			paid: BoundedVec::truncate_from(paid)
		}));
		assert!(!events.iter().any(|e| matches!(e, Event::ExecutorSlashed { .. })));
		assert_eq!(Nodes::<Test>::get(ex[2]).unwrap().stake, 1_000);
	});
}

#[test]
fn unrevealed_commitments_are_appealed_and_slashed_when_the_jury_decides() {
	new_test_ext().execute_with(|| {
		let model = setup();
		let task = assigned_task(model);
		let ex = executors(task);
		commit_all(task, &[Some(R1), Some(R1), Some(R1)]);
		reveal_all(task, &[Some(R1), None, None]);
		let qos_late = Nodes::<Test>::get(ex[1]).unwrap().qos;
		take_events();
		run_to_block(reveal_deadline(task));
		// One reveal of three: a jury decides.
		assert!(take_events().contains(&Event::TaskAppealed { task, jury: 7 }));
		let jury = jury_answers(task, R1);
		let events = take_events();
		let mut paid = vec![ex[0]];
		paid.extend(jury.iter().copied());
		assert!(events.contains(&Event::TaskCompleted {
			task,
			result: sealed(task, R1),
			paid: BoundedVec::truncate_from(paid)
		}));
		// Withholding a committed result loses like a wrong one.
		for late in [ex[1], ex[2]] {
			assert!(events.contains(&Event::ExecutorSlashed { task, node: late, amount: 100 }));
			assert!(!holders(model).contains(&late));
		}
		assert_eq!(Nodes::<Test>::get(ex[1]).unwrap().qos, ModelRegistry::qos_average(qos_late, 0));
	});
}

#[test]
fn nobody_commits_means_no_answers() {
	new_test_ext().execute_with(|| {
		let model = setup();
		let task = assigned_task(model);
		let ex = executors(task);
		take_events();
		run_to_block(commit_deadline(task));
		assert!(take_events().contains(&Event::TaskFailed { task, reason: TaskFailure::NoAnswers }));
		assert_eq!(free(79), INITIAL_BALANCE);
		for n in ex {
			assert!(Nodes::<Test>::get(n).unwrap().qos < 700);
			assert!(node_tasks(n).is_empty());
		}
	});
}

#[test]
fn commit_and_reveal_errors() {
	new_test_ext().execute_with(|| {
		let model = setup();
		let c = commitment(99, 1, R1, salt(1));
		assert_noop!(
			ModelRegistry::commit_result(RuntimeOrigin::signed(1), 99, c),
			Error::<Test>::TaskNotFound
		);
		assert_noop!(
			ModelRegistry::reveal_result(RuntimeOrigin::signed(1), 99, R1, salt(1)),
			Error::<Test>::TaskNotFound
		);
		let waiting = create_task(model);
		assert_noop!(
			ModelRegistry::commit_result(RuntimeOrigin::signed(1), waiting, c),
			Error::<Test>::WrongPhase
		);
		run_blocks(1);
		let task = waiting;
		let ex = executors(task);
		let outsider = (1..=10).find(|n| !ex.contains(n)).unwrap();
		assert_noop!(
			ModelRegistry::commit_result(RuntimeOrigin::signed(outsider), task, c),
			Error::<Test>::NotExecutor
		);
		assert_noop!(
			ModelRegistry::reveal_result(RuntimeOrigin::signed(ex[0]), task, R1, salt(ex[0])),
			Error::<Test>::WrongPhase
		);
		commit_all(task, &[Some(R1), None, None]);
		assert_noop!(
			ModelRegistry::commit_result(RuntimeOrigin::signed(ex[0]), task, c),
			Error::<Test>::AlreadyCommitted
		);
		commit_all(task, &[None, Some(R1), Some(R1)]);
		// Reveal phase now.
		assert_noop!(
			ModelRegistry::commit_result(RuntimeOrigin::signed(ex[0]), task, c),
			Error::<Test>::WrongPhase
		);
		assert_noop!(
			ModelRegistry::reveal_result(RuntimeOrigin::signed(outsider), task, R1, salt(outsider)),
			Error::<Test>::NotExecutor
		);
		assert_noop!(
			ModelRegistry::reveal_result(RuntimeOrigin::signed(ex[0]), task, R2, salt(ex[0])),
			Error::<Test>::CommitmentMismatch
		);
		// A first-round executor reveals the seal of its result, not the result.
		assert_noop!(
			ModelRegistry::reveal_result(RuntimeOrigin::signed(ex[0]), task, R1, salt(ex[0])),
			Error::<Test>::CommitmentMismatch
		);
		assert_ok!(ModelRegistry::reveal_result(
			RuntimeOrigin::signed(ex[0]),
			task,
			sealed(task, R1),
			salt(ex[0])
		));
		assert_noop!(
			ModelRegistry::reveal_result(RuntimeOrigin::signed(ex[0]), task, R1, salt(ex[0])),
			Error::<Test>::AlreadyRevealed
		);
	});
}

#[test]
fn cancel_task_rules() {
	new_test_ext().execute_with(|| {
		let model = setup();
		assert_noop!(
			ModelRegistry::cancel_task(RuntimeOrigin::signed(79), 5),
			Error::<Test>::TaskNotFound
		);
		let task = create_task(model);
		assert_noop!(
			ModelRegistry::cancel_task(RuntimeOrigin::signed(78), task),
			Error::<Test>::NotTaskCreator
		);
		take_events();
		assert_ok!(ModelRegistry::cancel_task(RuntimeOrigin::signed(79), task));
		assert_eq!(take_events(), vec![Event::TaskCancelled { task }]);
		assert_eq!(free(79), INITIAL_BALANCE);
		assert!(ModelRegistry::pending_tasks().is_empty());
		assert!(Tasks::<Test>::get(task).is_none());
		let task = assigned_task(model);
		assert_noop!(
			ModelRegistry::cancel_task(RuntimeOrigin::signed(79), task),
			Error::<Test>::TaskAlreadyAssigned
		);
	});
}

#[test]
fn busy_holders_are_not_drawn_beyond_their_task_limit() {
	let params = RegistryParams { executors_per_task: 3, ..Default::default() };
	new_test_ext_with(params).execute_with(|| {
		join_all(1..=3);
		let model = placed_model(1);
		assert_eq!(holders(model).len(), 3);
		// Each node runs at most 4 tasks: the fifth task waits.
		let tasks: Vec<TaskId> = (0..5).map(|_| create_task(model)).collect();
		run_blocks(10);
		let assigned = tasks.iter().filter(|t| executors(**t).len() == 3).count();
		assert_eq!(assigned, 4);
		assert_eq!(ModelRegistry::pending_tasks().len(), 1);
		for n in 1..=3 {
			assert_eq!(node_tasks(n).len(), 4);
		}
	});
}

#[test]
fn last_reveal_resolves_in_the_next_block() {
	new_test_ext().execute_with(|| {
		let model = setup();
		let task = assigned_task(model);
		let ex = executors(task);
		commit_all(task, &[Some(R1), Some(R1), Some(R1)]);
		let deadline = reveal_deadline(task);
		reveal_all(task, &[Some(R1), Some(R1), Some(R1)]);
		let now = System::block_number();
		// The reveal phase ends at once; the resolution waits for the next block.
		assert_eq!(reveal_deadline(task), now + 1);
		assert!(now + 1 < deadline);
		assert!(!take_events().iter().any(|e| matches!(e, Event::TaskCompleted { .. })));
		assert_eq!(node_tasks(ex[0]).len(), 1);
		run_blocks(1);
		assert!(take_events().iter().any(|e| matches!(e, Event::TaskCompleted { .. })));
		assert!(node_tasks(ex[0]).is_empty());
		// The entry of the original deadline finds the task resolved.
		run_to_block(deadline);
		assert_eq!(
			Tasks::<Test>::get(task).unwrap().status,
			TaskStatus::Completed { result: sealed(task, R1) }
		);
	});
}

#[test]
fn tasks_assigned_in_one_block_share_one_commit_deadline_entry() {
	new_test_ext().execute_with(|| {
		let model = setup();
		let (a, b) = (create_task(model), create_task(model));
		run_blocks(1);
		let deadline = commit_deadline(a);
		assert_eq!(commit_deadline(b), deadline);
		let entries: Vec<DeadlineItemOf<Test>> =
			Deadlines::<Test>::iter_prefix_values(deadline).collect();
		assert_eq!(
			entries,
			vec![DeadlineItem::CommitPhases { tasks: BoundedVec::truncate_from(vec![a, b]) }]
		);
		// Assigning wrote the tasks into the holder list, not into the node records.
		let ex = executors(a);
		assert!(node_tasks(ex[0]).contains(&(a, model)));
		// Nobody commits: both commit phases end at that entry.
		run_to_block(deadline - 1);
		assert!(matches!(Tasks::<Test>::get(a).unwrap().status, TaskStatus::Commit { .. }));
		run_to_block(deadline);
		let failed = TaskStatus::Failed { reason: TaskFailure::NoAnswers };
		assert_eq!(Tasks::<Test>::get(a).unwrap().status, failed);
		assert_eq!(Tasks::<Test>::get(b).unwrap().status, failed);
		assert!(node_tasks(ex[0]).iter().all(|(t, _)| *t != a));
		assert_ok!(ModelRegistry::do_try_state());
	});
}

#[test]
fn pending_ring_reuses_its_slots_in_order() {
	new_test_ext().execute_with(|| {
		// A model without holders: every task waits.
		let model = register(1);
		let cap: u32 = <Test as Config>::MaxQueuedTasks::get();
		let tasks: Vec<TaskId> = (0..cap).map(|_| create_task(model)).collect();
		assert_noop!(
			ModelRegistry::create_task(
				RuntimeOrigin::signed(79),
				model,
				BoundedVec::truncate_from(b"one more".to_vec()),
				300
			),
			Error::<Test>::TaskQueueFull
		);
		// Each block examines `MaxAssignmentsPerBlock` tasks and puts them back: after a full
		// round the ring has wrapped and holds the same tasks in the same order.
		let per_block: u32 = <Test as Config>::MaxAssignmentsPerBlock::get();
		run_blocks(u64::from(cap / per_block));
		assert_eq!(ModelRegistry::pending_tasks(), tasks);
		let queue = TaskQueue::<Test>::get();
		assert_eq!(queue.pending, RingRange { front: 0, len: cap });
		assert_eq!(PendingTasks::<Test>::iter_keys().count() as u32, cap);
		// Half a round more: the front moved half-way round the slots.
		run_blocks(u64::from(cap / per_block / 2));
		assert_eq!(TaskQueue::<Test>::get().pending, RingRange { front: cap / 2, len: cap });
		let half = (cap / 2) as usize;
		assert_eq!(ModelRegistry::pending_tasks(), [&tasks[half..], &tasks[..half]].concat());
		// A cancelled task leaves its entry, which is skipped.
		assert_ok!(ModelRegistry::cancel_task(RuntimeOrigin::signed(79), tasks[0]));
		let left: Vec<TaskId> = ModelRegistry::pending_tasks();
		assert_eq!(left.len(), tasks.len() - 1);
		assert!(!left.contains(&tasks[0]));
		assert_ok!(ModelRegistry::do_try_state());
	});
}

/// The seal clients recompute: `blake2_256(b"modelnet/sealed" ‖ task (u64 LE) ‖ result)`,
/// checked against an independent implementation (Python's hashlib.blake2b, 32 bytes).
#[test]
fn sealed_result_vector() {
	let sealed = crate::offchain::sealed_result(7, &H256::repeat_byte(0xab));
	let hex: String = sealed.as_bytes().iter().map(|b| format!("{b:02x}")).collect();
	assert_eq!(hex, "bb403425ca1cff4882a26a4ba4c155fe52ef83a530a1b6d70f6aa69e1de23b03");
}
