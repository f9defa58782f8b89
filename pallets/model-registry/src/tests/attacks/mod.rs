//! Attacks on placement, QoS and result consensus (one test per attack), each asserting the
//! behaviour that defeats it.

use super::*;
use crate::qos::INITIAL_QOS;

mod capacity;
mod rounds;

/// Test externalities with `params` under the runtime's randomness rule (see
/// [`production_randomness`]): every attack is tried against the draws the chain makes.
pub(super) fn attack_ext_with(params: ParamsOf<Test>) -> sp_io::TestExternalities {
	let ext = new_test_ext_with(params);
	production_randomness();
	ext
}

/// [`attack_ext_with`] default parameters.
pub(super) fn attack_ext() -> sp_io::TestExternalities {
	attack_ext_with(Default::default())
}

/// Three nodes are enough for every copy and every executor.
pub(super) fn three_node_params() -> ParamsOf<Test> {
	RegistryParams {
		initial_replicas: 3,
		min_replicas: 3,
		low_watermark: 2,
		refill_batch: 1,
		..Default::default()
	}
}

/// Four holders: a first round of three executors and one holder left for an appeal jury.
fn four_node_params() -> ParamsOf<Test> {
	RegistryParams { initial_replicas: 4, min_replicas: 4, ..three_node_params() }
}

/// Create a task on `model` and run blocks until its executors are drawn.
pub(super) fn assigned(model: ModelId) -> TaskId {
	let task = create_task(model);
	for _ in 0..60 {
		if !executors(task).is_empty() {
			return task;
		}
		run_blocks(1);
	}
	panic!("task never assigned");
}

/// Nodes 1..=10 belong to an attacker, 11..=30 to others. Announcing every copy of a new model
/// in its registration block must not change which nodes are picked: the picks equal those of a
/// run without announcements, and an announcing node that is drawn is confirmed at once.
#[test]
fn front_running_placement_with_announce_stored() {
	let picks = |announce: bool| {
		attack_ext().execute_with(|| {
			join_all(1..=30);
			let model = register(1);
			if announce {
				for n in 1..=10 {
					let _ = ModelRegistry::announce_stored(RuntimeOrigin::signed(n), model);
				}
				// Nobody holds a copy yet: the ten copies are still to be drawn.
				assert!(holders(model).is_empty());
				let info = Models::<Test>::get(model).unwrap();
				assert_eq!(ModelRegistry::replication_deficit(&info, &Params::<Test>::get()), 10);
			}
			// The draw waits for randomness known only after the registration block.
			for _ in 0..10 {
				if !holders(model).is_empty() || !nominees(model).is_empty() {
					break;
				}
				run_blocks(1);
			}
			let mut picked = holders(model);
			picked.extend(nominees(model));
			picked.sort();
			(picked, holders(model), nominees(model))
		})
	};
	let (without, _, _) = picks(false);
	let (with, held_at_once, nominated) = picks(true);
	assert_eq!(with.len(), 10);
	assert_eq!(with, without, "announcing changed the draw");
	assert!(with.iter().any(|n| *n > 10), "the attacker holds every copy");
	// Drawn announcers skip the download; everyone else was nominated.
	assert!(held_at_once.iter().all(|n| *n <= 10));
	assert!(nominated.iter().all(|n| *n > 10));
}

/// Confirming in the block after the nomination proves nothing: it must not raise QoS.
#[test]
fn confirm_speed_is_a_free_qos_reward() {
	attack_ext().execute_with(|| {
		join_all(1..=2);
		let model = register(1);
		run_blocks(5);
		assert_eq!(nominees(model), vec![1, 2]);
		assert_ok!(ModelRegistry::confirm_stored(RuntimeOrigin::signed(1), model));
		assert_eq!(Nodes::<Test>::get(1).unwrap().qos, INITIAL_QOS);
		// A missed deadline still costs.
		run_blocks(Params::<Test>::get().download_deadline);
		assert!(Nodes::<Test>::get(2).unwrap().qos < INITIAL_QOS);
	});
}

/// A slashed node may not hold the model again before a cool-down, and leaving (or being
/// kicked out) and rejoining does not reset its QoS.
#[test]
fn re_entry_after_punishment() {
	attack_ext_with(four_node_params()).execute_with(|| {
		join_all(1..=4);
		let model = placed_model(1);
		let task = assigned(model);
		let (good, bad) = (H256::repeat_byte(1), H256::repeat_byte(2));
		let odd = executors(task)[2];
		let answers = [Some(good), Some(good), Some(bad)];
		commit_all(task, &answers);
		reveal_all(task, &answers);
		run_blocks(1);
		// The split vote goes to the fourth holder, which confirms the majority.
		jury_answers(task, good);
		assert_eq!(Nodes::<Test>::get(odd).unwrap().stake, 900);
		assert!(!holders(model).contains(&odd));
		// It cannot announce its way back, and the refill never draws it (it is the only
		// candidate) during the cool-down.
		assert!(ModelRegistry::announce_stored(RuntimeOrigin::signed(odd), model).is_err());
		for _ in 0..50 {
			run_blocks(1);
			assert!(!nominees(model).contains(&odd));
			assert!(!holders(model).contains(&odd));
		}
		// After the cool-down it is a candidate like any other.
		let cooldown = Params::<Test>::get().demand_window * u64::from(COOLDOWN_WINDOWS);
		let mut drawn = false;
		for _ in 0..cooldown + 100 {
			run_blocks(1);
			if nominees(model).contains(&odd) {
				drawn = true;
				break;
			}
		}
		assert!(drawn, "never drawn after the cool-down");

		// Its QoS survives leaving and rejoining.
		let qos = Nodes::<Test>::get(odd).unwrap().qos;
		assert!(qos < INITIAL_QOS);
		assert_ok!(ModelRegistry::leave(RuntimeOrigin::signed(odd)));
		run_blocks(2);
		assert!(Nodes::<Test>::get(odd).is_none());
		// Rejoining waits a demand window.
		run_blocks(Params::<Test>::get().demand_window);
		assert_ok!(ModelRegistry::join(RuntimeOrigin::signed(odd), big(), 1_000));
		assert_eq!(Nodes::<Test>::get(odd).unwrap().qos, qos);

		// So does a kicked-out node's.
		Nodes::<Test>::mutate(odd, |n| n.as_mut().unwrap().qos = 210);
		let mut weight = frame_support::weights::Weight::zero();
		ModelRegistry::record_qos(&odd, 0, &mut weight);
		run_blocks(2);
		assert!(Nodes::<Test>::get(odd).is_none());
		run_blocks(Params::<Test>::get().demand_window);
		assert_ok!(ModelRegistry::join(RuntimeOrigin::signed(odd), big(), 1_000));
		assert_eq!(Nodes::<Test>::get(odd).unwrap().qos, 168);
	});
}

/// An executor that committed a minority result and sees it lose must not escape the slash
/// by not revealing.
#[test]
fn withholding_the_reveal() {
	attack_ext_with(four_node_params()).execute_with(|| {
		join_all(1..=4);
		let model = placed_model(1);
		let task = assigned(model);
		let ex = executors(task);
		let (good, bad) = (H256::repeat_byte(1), H256::repeat_byte(2));
		commit_all(task, &[Some(good), Some(good), Some(bad)]);
		reveal_all(task, &[Some(good), Some(good), None]);
		take_events();
		run_to_block(reveal_deadline(task));
		// Withholding contradicts the majority: the fourth holder is asked and agrees.
		assert!(take_events().contains(&Event::TaskAppealed { task, jury: 1 }));
		jury_answers(task, good);
		let events = take_events();
		assert!(events.contains(&Event::ExecutorSlashed { task, node: ex[2], amount: 100 }));
		assert!(events.contains(&Event::ModelEvicted { model, node: ex[2] }));
		assert_eq!(Nodes::<Test>::get(ex[2]).unwrap().stake, 900);
		assert_eq!(held(HoldReason::NodeStake, ex[2]), 900);
		assert!(!holders(model).contains(&ex[2]));
		assert_eq!(
			Tasks::<Test>::get(task).unwrap().status,
			TaskStatus::Completed { result: sealed(task, good) }
		);
	});
}

/// An executor that gives up its copy while its minority result is open and is drawn again
/// for the model must not keep that nomination when the slash comes: the cool-down drops it.
#[test]
fn renominated_before_the_slash() {
	attack_ext_with(four_node_params()).execute_with(|| {
		join_all(1..=4);
		let model = placed_model(1);
		let task = assigned(model);
		let ex = executors(task);
		let odd = ex[2];
		let (good, bad) = (H256::repeat_byte(1), H256::repeat_byte(2));
		let answers = [Some(good), Some(good), Some(bad)];
		commit_all(task, &answers);
		// It reports its copy lost; the only node that can refill the model is itself.
		assert_ok!(ModelRegistry::report_lost(RuntimeOrigin::signed(odd), model));
		for _ in 0..20 {
			if nominees(model).contains(&odd) {
				break;
			}
			run_blocks(1);
		}
		assert_eq!(nominees(model), vec![odd]);
		reveal_all(task, &answers);
		take_events();
		run_blocks(1);
		jury_answers(task, good);
		let events = take_events();
		assert!(events.contains(&Event::ExecutorSlashed { task, node: odd, amount: 100 }));
		assert!(events.contains(&Event::ModelEvicted { model, node: odd }));
		assert!(nominees(model).is_empty());
		assert!(!holders(model).contains(&odd));
		assert!(NodeNominations::<Test>::get(odd).is_empty());
		assert_ok!(ModelRegistry::do_try_state());
		// Its confirmation is refused.
		assert_noop!(
			ModelRegistry::confirm_stored(RuntimeOrigin::signed(odd), model),
			Error::<Test>::NotNominated
		);
	});
}

/// A node kicked out while it has a committed result open keeps its stake held until the
/// task resolves, and is slashed if its result is in the minority.
#[test]
fn kick_out_with_open_commitments() {
	attack_ext_with(four_node_params()).execute_with(|| {
		join_all(1..=4);
		let model = placed_model(1);
		let task = assigned(model);
		let ex = executors(task);
		let odd = ex[2];
		let (good, bad) = (H256::repeat_byte(1), H256::repeat_byte(2));
		let answers = [Some(good), Some(good), Some(bad)];
		commit_all(task, &answers);
		// Kicked out (by another task's penalty) while its commitment is open.
		Nodes::<Test>::mutate(odd, |n| n.as_mut().unwrap().qos = 210);
		let mut weight = frame_support::weights::Weight::zero();
		take_events();
		ModelRegistry::record_qos(&odd, 0, &mut weight);
		assert_eq!(take_events(), vec![Event::NodeKickedOut { node: odd, qos: 168, released: 0 }]);
		assert_eq!(held(HoldReason::NodeStake, odd), 1_000);
		assert_eq!(free(odd), INITIAL_BALANCE - 1_000);
		// The cleanup runs; the stake stays.
		run_blocks(2);
		assert_eq!(held(HoldReason::NodeStake, odd), 1_000);
		assert!(ModelRegistry::join(RuntimeOrigin::signed(odd), big(), 1_000).is_err());
		reveal_all(task, &answers);
		run_blocks(1);
		// The appeal keeps its commitment open: the stake stays held until the jury decides.
		assert_eq!(held(HoldReason::NodeStake, odd), 1_000);
		jury_answers(task, good);
		let events = take_events();
		assert!(events.contains(&Event::ExecutorSlashed { task, node: odd, amount: 100 }));
		assert!(events.contains(&Event::StakeReleased { node: odd, amount: 900 }));
		assert_eq!(held(HoldReason::NodeStake, odd), 0);
		assert_eq!(free(odd), INITIAL_BALANCE - 100);
		assert!(Nodes::<Test>::get(odd).is_none());
	});
}

/// Two tasks with the same input get different challenges, so a past result is no answer.
#[test]
fn replaying_past_answers() {
	attack_ext_with(three_node_params()).execute_with(|| {
		join_all(1..=3);
		let model = placed_model(1);
		let first = create_task(model);
		let second = create_task(model);
		take_events();
		assert_eq!(Tasks::<Test>::get(first).unwrap().challenge, H256::zero());
		let mut events = Vec::new();
		while executors(first).is_empty() || executors(second).is_empty() {
			run_blocks(1);
			events.extend(take_events());
		}
		let a = Tasks::<Test>::get(first).unwrap();
		let b = Tasks::<Test>::get(second).unwrap();
		assert_eq!(a.input, b.input);
		assert_ne!(a.challenge, H256::zero());
		assert_ne!(a.challenge, b.challenge);
		assert!(events.iter().any(|e| matches!(
			e,
			Event::ExecutorsAssigned { task, challenge, .. }
				if *task == first && *challenge == a.challenge
		)));
		let work = ModelRegistry::pending_work(executors(first)[0]).unwrap();
		let item = work.tasks.iter().find(|t| t.task == first).unwrap();
		assert_eq!(item.challenge, a.challenge);
	});
}

/// Two colluding executors of three reveal the same wrong result; the honest one contradicts
/// them. Slashing the minority at once would evict the honest holder and let the colluders take
/// the model over; instead a jury of other holders is drawn, and it is the colluders who lose.
#[test]
fn colluding_majority_outvoting_the_honest_executor() {
	attack_ext().execute_with(|| {
		join_all(1..=10);
		let model = placed_model(1);
		let task = assigned(model);
		let ex = executors(task);
		let (right, forged) = (H256::repeat_byte(1), H256::repeat_byte(2));
		let (colluders, honest) = ([ex[0], ex[1]], ex[2]);
		let answers = [Some(forged), Some(forged), Some(right)];
		commit_all(task, &answers);
		reveal_all(task, &answers);
		take_events();
		run_blocks(1);
		let events = take_events();
		assert!(!events.iter().any(|e| matches!(e, Event::ExecutorSlashed { .. })));
		assert!(events.contains(&Event::TaskAppealed { task, jury: 7 }));
		assert!(holders(model).contains(&honest));

		let jury = jury_answers(task, right);
		let events = take_events();
		for c in colluders {
			assert!(events.contains(&Event::ExecutorSlashed { task, node: c, amount: 100 }));
			assert!(!holders(model).contains(&c));
			assert!(ModelRegistry::cooling_down(model, &c));
		}
		assert!(!events
			.iter()
			.any(|e| matches!(e, Event::ExecutorSlashed { node, .. } if *node == honest)));
		assert!(holders(model).contains(&honest));
		let mut paid = vec![honest];
		paid.extend(jury);
		assert!(events.contains(&Event::TaskCompleted {
			task,
			result: sealed(task, right),
			paid: BoundedVec::truncate_from(paid)
		}));
		assert_ok!(ModelRegistry::do_try_state());
	});
}

/// When a model's only holders are the executors, a split vote cannot be checked by anyone
/// else: the task waits for another holder, and without one within a demand window it fails
/// `Disputed`, the creator is refunded, and neither side is slashed.
#[test]
fn split_vote_among_a_models_only_holders() {
	attack_ext_with(three_node_params()).execute_with(|| {
		join_all(1..=3);
		let model = placed_model(1);
		let task = assigned(model);
		let ex = executors(task);
		let answers =
			[Some(H256::repeat_byte(2)), Some(H256::repeat_byte(2)), Some(H256::repeat_byte(1))];
		commit_all(task, &answers);
		reveal_all(task, &answers);
		take_events();
		run_blocks(1);
		// Nobody else can judge yet: the task waits for a holder outside the round.
		let events = take_events();
		assert!(events.contains(&Event::TaskAppealed { task, jury: 0 }));
		take_events();
		run_blocks(Params::<Test>::get().demand_window + 2);
		let events = take_events();
		assert!(events.contains(&Event::TaskFailed { task, reason: TaskFailure::Disputed }));
		assert!(!events
			.iter()
			.any(|e| matches!(e, Event::ExecutorSlashed { .. } | Event::ModelEvicted { .. })));
		assert_eq!(free(79), INITIAL_BALANCE);
		for n in ex {
			let node = Nodes::<Test>::get(n).unwrap();
			assert_eq!((node.stake, node.open_commitments), (1_000, 0));
			assert!(holders(model).contains(&n));
		}
		assert_ok!(ModelRegistry::do_try_state());
	});
}

/// Once a task is appealed only the jury answers: a first-round executor cannot commit or
/// reveal again to change sides, and the creator cannot cancel the task to spare a colluder.
#[test]
fn first_round_executors_answering_for_the_jury() {
	attack_ext().execute_with(|| {
		join_all(1..=10);
		let model = placed_model(1);
		let task = assigned(model);
		let first_round = executors(task);
		let (right, forged) = (H256::repeat_byte(1), H256::repeat_byte(2));
		commit_all(task, &[Some(forged), Some(forged), Some(right)]);
		reveal_all(task, &[Some(forged), Some(forged), Some(right)]);
		run_blocks(1);
		assert_noop!(
			ModelRegistry::cancel_task(RuntimeOrigin::signed(79), task),
			Error::<Test>::TaskAlreadyAssigned
		);
		let jury = jury_drawn(task);
		for n in first_round.iter() {
			assert_noop!(
				ModelRegistry::commit_result(
					RuntimeOrigin::signed(*n),
					task,
					commitment(task, *n, right, salt(*n))
				),
				Error::<Test>::NotExecutor
			);
		}
		commit_all(task, &vec![Some(right); jury.len()]);
		for n in first_round.iter() {
			assert_noop!(
				ModelRegistry::reveal_result(RuntimeOrigin::signed(*n), task, right, salt(*n)),
				Error::<Test>::NotExecutor
			);
		}
	});
}

/// Four holders of a model; a task is assigned to three of them. Returns the model, the task
/// and its first round.
fn task_among_four_holders() -> (ModelId, TaskId, Vec<AccountId>) {
	join_all(1..=4);
	let model = placed_model(1);
	let task = assigned(model);
	(model, task, executors(task))
}

/// The first two executors of `task` reveal the right result, the third a forgery; the task is
/// appealed. Returns (right, forged).
fn two_against_one(task: TaskId) -> (H256, H256) {
	let (right, forged) = (H256::repeat_byte(1), H256::repeat_byte(2));
	let answers = [Some(right), Some(right), Some(forged)];
	commit_all(task, &answers);
	reveal_all(task, &answers);
	run_blocks(1);
	(right, forged)
}

/// The appealed task's jury is drawn; it must be a single holder, which reveals `result`, and
/// the task resolves. Returns the juror and the events of the resolution.
fn lone_juror_answers(task: TaskId, result: H256) -> (AccountId, Vec<Event<Test>>) {
	let jury = jury_drawn(task);
	assert_eq!(jury.len(), 1, "one holder is left outside the first round");
	take_events();
	commit_all(task, &[Some(result)]);
	reveal_all(task, &[Some(result)]);
	run_blocks(1);
	(jury[0], take_events())
}

/// A party with two of a model's four holders: one sits in the first round with two honest
/// holders and reveals a forged result, the other is the only holder left for the jury and
/// reveals the same forgery. If the lone juror decided, the two honest executors would be
/// slashed and evicted (and the colluder in the first round paid). A jury's result decides only
/// if it also leads the count of both rounds: one juror against two agreeing executors (two
/// votes each) leaves the task `Disputed`, and nobody is slashed.
#[test]
fn lone_juror_overturning_the_first_rounds_majority() {
	attack_ext_with(four_node_params()).execute_with(|| {
		let (model, task, ex) = task_among_four_holders();
		let (_, forged) = two_against_one(task);
		let (juror, events) = lone_juror_answers(task, forged);
		assert!(events.contains(&Event::TaskFailed { task, reason: TaskFailure::Disputed }));
		assert!(!events
			.iter()
			.any(|e| matches!(e, Event::ExecutorSlashed { .. } | Event::ModelEvicted { .. })));
		assert_eq!(free(79), INITIAL_BALANCE);
		for n in ex.iter().chain([&juror]) {
			let node = Nodes::<Test>::get(n).unwrap();
			assert_eq!((node.stake, node.open_commitments), (1_000, 0));
			assert!(holders(model).contains(n));
		}
		assert_ok!(ModelRegistry::do_try_state());
	});
}

/// The same lone juror after a first-round executor committed and withheld its result (it lost
/// its transaction, or it withholds on purpose to force an appeal): the two executors that
/// revealed the same result are not slashed on the word of one juror either.
#[test]
fn lone_juror_after_a_withheld_reveal() {
	attack_ext_with(four_node_params()).execute_with(|| {
		let (model, task, ex) = task_among_four_holders();
		let (right, forged) = (H256::repeat_byte(1), H256::repeat_byte(2));
		commit_all(task, &[Some(right), Some(right), Some(right)]);
		reveal_all(task, &[Some(right), Some(right), None]);
		run_blocks(reveal_deadline(task) - System::block_number() + 1);
		let (juror, events) = lone_juror_answers(task, forged);
		assert!(events.contains(&Event::TaskFailed { task, reason: TaskFailure::Disputed }));
		assert!(!events.iter().any(|e| matches!(e, Event::ExecutorSlashed { .. })));
		for n in ex.iter().chain([&juror]) {
			assert!(holders(model).contains(n));
		}
		assert_ok!(ModelRegistry::do_try_state());
	});
}

/// A lone juror that confirms the first round's majority is more evidence, not less: the
/// executor that contradicted it is slashed as usual.
#[test]
fn lone_juror_confirming_the_first_rounds_majority() {
	attack_ext_with(four_node_params()).execute_with(|| {
		let (model, task, ex) = task_among_four_holders();
		let (right, _) = two_against_one(task);
		let (juror, events) = lone_juror_answers(task, right);
		assert!(events.contains(&Event::ExecutorSlashed { task, node: ex[2], amount: 100 }));
		assert!(!holders(model).contains(&ex[2]));
		assert!(events.contains(&Event::TaskCompleted {
			task,
			result: sealed(task, right),
			paid: BoundedVec::truncate_from(vec![ex[0], ex[1], juror])
		}));
		assert_ok!(ModelRegistry::do_try_state());
	});
}

/// Two colluders hold the first round's majority of a model with five holders; the two holders
/// left form the jury. Both side with the honest executor: three votes against two over both
/// rounds, so the colluders are slashed although the jury (two) is no larger than their
/// majority.
#[test]
fn jury_of_two_siding_with_the_honest_minority() {
	let params = RegistryParams { initial_replicas: 5, min_replicas: 5, ..four_node_params() };
	attack_ext_with(params).execute_with(|| {
		join_all(1..=5);
		let model = placed_model(1);
		let task = assigned(model);
		let ex = executors(task);
		let (right, forged) = (H256::repeat_byte(1), H256::repeat_byte(2));
		let answers = [Some(forged), Some(forged), Some(right)];
		commit_all(task, &answers);
		reveal_all(task, &answers);
		run_blocks(1);
		take_events();
		let jury = jury_answers(task, right);
		assert_eq!(jury.len(), 2);
		let events = take_events();
		for colluder in [ex[0], ex[1]] {
			assert!(events.contains(&Event::ExecutorSlashed { task, node: colluder, amount: 100 }));
		}
		assert!(events.contains(&Event::TaskCompleted {
			task,
			result: sealed(task, right),
			paid: BoundedVec::truncate_from(vec![ex[2], jury[0], jury[1]])
		}));
		assert_ok!(ModelRegistry::do_try_state());
	});
}

/// A jury that cannot agree decides nothing: the task fails and nobody is slashed.
#[test]
fn jury_that_cannot_agree() {
	attack_ext().execute_with(|| {
		join_all(1..=10);
		let model = placed_model(1);
		let task = assigned(model);
		let answers =
			[Some(H256::repeat_byte(1)), Some(H256::repeat_byte(1)), Some(H256::repeat_byte(2))];
		commit_all(task, &answers);
		reveal_all(task, &answers);
		run_blocks(1);
		let jury = jury_drawn(task);
		// Every juror answers something different.
		let split: Vec<Option<H256>> =
			(0..jury.len()).map(|i| Some(H256::repeat_byte(10 + i as u8))).collect();
		commit_all(task, &split);
		reveal_all(task, &split);
		take_events();
		run_blocks(1);
		let events = take_events();
		assert!(events.contains(&Event::TaskFailed { task, reason: TaskFailure::NoQuorum }));
		assert!(!events.iter().any(|e| matches!(e, Event::ExecutorSlashed { .. })));
		assert_eq!(free(79), INITIAL_BALANCE);
		for n in executors(task) {
			assert_eq!(Nodes::<Test>::get(n).unwrap().open_commitments, 0);
		}
		assert_ok!(ModelRegistry::do_try_state());
	});
}

/// An appeal whose jury cannot be drawn (the only other holder paused) fails `Disputed` one
/// demand window after the dispute; the first round's commitments are closed, nobody slashed.
#[test]
fn appeal_left_without_a_jury() {
	attack_ext_with(four_node_params()).execute_with(|| {
		join_all(1..=4);
		let model = placed_model(1);
		let task = assigned(model);
		let ex = executors(task);
		let other = (1..=4).find(|n| !ex.contains(n)).unwrap();
		let answers =
			[Some(H256::repeat_byte(1)), Some(H256::repeat_byte(1)), Some(H256::repeat_byte(2))];
		commit_all(task, &answers);
		reveal_all(task, &answers);
		run_blocks(1);
		assert!(Tasks::<Test>::get(task).unwrap().appeal.is_some());
		assert_ok!(ModelRegistry::pause(RuntimeOrigin::signed(other)));
		take_events();
		run_blocks(Params::<Test>::get().demand_window + 2);
		let events = take_events();
		assert!(events.contains(&Event::TaskFailed { task, reason: TaskFailure::Disputed }));
		assert!(!events.iter().any(|e| matches!(e, Event::ExecutorSlashed { .. })));
		assert_eq!(free(79), INITIAL_BALANCE);
		for n in ex {
			assert_eq!(Nodes::<Test>::get(n).unwrap().open_commitments, 0);
		}
		assert_ok!(ModelRegistry::do_try_state());
	});
}
