//! Attacks on result rounds: silencing, racing and outvoting honest executors.

use super::*;

/// Two colluding executors of three forge one result and make sure the honest third never
/// commits (a colluding author leaves its transaction out, tipped transactions crowd it out,
/// its endpoint is flooded). Two of three used to be a quorum: the forgery was paid at once.
/// Silence is not a vote: the round goes to a jury of other holders, and the colluders lose.
#[test]
fn silencing_the_honest_third_executor() {
	attack_ext().execute_with(|| {
		join_all(1..=10);
		let model = placed_model(1);
		let task = assigned(model);
		let ex = executors(task);
		let (right, forged) = (H256::repeat_byte(1), H256::repeat_byte(2));
		let (colluders, silenced) = ([ex[0], ex[1]], ex[2]);
		let answers = [Some(forged), Some(forged), None];
		commit_all(task, &answers);
		take_events();
		// The honest executor's commitment never lands.
		run_to_block(commit_deadline(task));
		reveal_all(task, &answers);
		run_blocks(1);
		let events = take_events();
		assert!(
			!events.iter().any(|e| matches!(e, Event::TaskCompleted { .. })),
			"the forgery of two silencers was accepted: {events:?}"
		);
		assert!(events.contains(&Event::TaskAppealed { task, jury: 7 }));

		let jury = jury_answers(task, right);
		assert!(jury.iter().all(|j| !ex.contains(j)));
		let events = take_events();
		for c in colluders {
			assert!(events.contains(&Event::ExecutorSlashed { task, node: c, amount: 100 }));
			assert!(!holders(model).contains(&c));
		}
		assert!(events.contains(&Event::TaskCompleted {
			task,
			result: sealed(task, right),
			paid: BoundedVec::truncate_from(jury)
		}));
		// Silence cost the silenced node a QoS sample, not its stake or its copy.
		assert_eq!(Nodes::<Test>::get(silenced).unwrap().stake, 1_000);
		assert!(holders(model).contains(&silenced));
		assert_ok!(ModelRegistry::do_try_state());
	});
}

/// Commit `result` for `who` alone.
fn commit_one(task: TaskId, who: AccountId, result: H256) {
	assert_ok!(ModelRegistry::commit_result(
		RuntimeOrigin::signed(who),
		task,
		commitment(task, who, result, salt(who))
	));
}

/// Reveal `result` for `who` alone.
fn reveal_one(task: TaskId, who: AccountId, result: H256) {
	let result = opening(task, result);
	assert_ok!(ModelRegistry::reveal_result(RuntimeOrigin::signed(who), task, result, salt(who)));
}

/// Two colluders commit in the block of their assignment and reveal the moment the reveal phase
/// opens (a tip or their own block buys that); the honest executor's transactions land two
/// blocks later, as a node's usually do. All three answered right. Reveal order used to give
/// 1000, 900 and 600: the colluders always outscored honest holders, which the QoS rolls and
/// lowest-score evictions then turned into more of the model for them. Every executor that
/// committed within its allowance gets the same sample.
#[test]
fn racing_to_reveal_first() {
	attack_ext().execute_with(|| {
		join_all(1..=10);
		let model = placed_model(1);
		let task = assigned(model);
		let ex = executors(task);
		let right = H256::repeat_byte(1);
		let (colluders, honest) = ([ex[0], ex[1]], ex[2]);
		let qos_before: Vec<u32> = ex.iter().map(|n| Nodes::<Test>::get(n).unwrap().qos).collect();
		for c in colluders {
			commit_one(task, c, right);
		}
		run_blocks(2);
		commit_one(task, honest, right);
		for c in colluders {
			reveal_one(task, c, right);
		}
		run_blocks(2);
		reveal_one(task, honest, right);
		run_blocks(1);
		assert_eq!(
			Tasks::<Test>::get(task).unwrap().status,
			TaskStatus::Completed { result: sealed(task, right) }
		);
		let samples: Vec<u32> = ex
			.iter()
			.zip(qos_before)
			.map(|(n, before)| {
				let after = Nodes::<Test>::get(n).unwrap().qos;
				(0..=crate::qos::QOS_FULL)
					.find(|s| ModelRegistry::qos_average(before, *s) == after)
					.expect("a sample was recorded")
			})
			.collect();
		assert_eq!(samples[0], samples[2], "the racing colluder outscored the honest executor");
		assert_eq!(samples[1], samples[2], "the racing colluder outscored the honest executor");
	});
}

/// A node that keeps no copy and fetches the file when drawn answers at the end of the commit
/// window; the nodes that keep it answer at once. The lazy node's answer is right, so it is
/// paid, but its QoS falls against theirs.
#[test]
fn fetching_on_demand_answers_late_and_loses_qos() {
	attack_ext().execute_with(|| {
		join_all(1..=10);
		let model = placed_model(1);
		let task = assigned(model);
		let ex = executors(task);
		let right = H256::repeat_byte(1);
		let lazy = ex[2];
		let qos_before: Vec<u32> = ex.iter().map(|n| Nodes::<Test>::get(n).unwrap().qos).collect();
		commit_one(task, ex[0], right);
		commit_one(task, ex[1], right);
		run_to_block(commit_deadline(task) - 1);
		commit_one(task, lazy, right);
		reveal_all(task, &[Some(right); 3]);
		run_blocks(1);
		assert_eq!(
			Tasks::<Test>::get(task).unwrap().status,
			TaskStatus::Completed { result: sealed(task, right) }
		);
		let qos = |i: usize| Nodes::<Test>::get(ex[i]).unwrap().qos;
		assert_eq!(qos(0), ModelRegistry::qos_average(qos_before[0], crate::qos::QOS_FULL));
		let late = ModelRegistry::commit_sample(1, Params::<Test>::get().commit_deadline as u32, 0);
		assert!(late < crate::qos::QOS_FULL);
		assert_eq!(qos(2), ModelRegistry::qos_average(qos_before[2], late));
	});
}

/// Ten holders of a model belong to an attacker whose nodes outscore the ten honest ones (1000
/// against 700). It pumps the model's demand until twenty copies are wanted, then stops: the
/// target falls and copies are evicted. Lowest QoS first evicted every honest copy and
/// left the model to the attacker; now the score above a floor does not count and the
/// evictions fall on both sides alike.
#[test]
fn demand_pump_evicting_honest_holders() {
	let mut honest_evicted = 0;
	let mut evicted_total = 0;
	let mut honest_held = 0.0;
	for run in 0..20u64 {
		let params =
			RegistryParams { initial_replicas: 20, refill_batch: 20, ..Default::default() };
		attack_ext_with(params).execute_with(|| {
			set_random_seed(run);
			join_all(1..=20);
			let model = placed_model(1);
			// (A QoS roll may leave a copy to a later refill.)
			let copies = holders(model);
			assert!(copies.len() >= 16);
			let attacker = |n: AccountId| n <= 10;
			honest_held +=
				copies.iter().filter(|n| !attacker(**n)).count() as f64 / copies.len() as f64;
			for n in 1..=10 {
				Nodes::<Test>::mutate(n, |node| node.as_mut().unwrap().qos = 1000);
			}
			let p = Params::<Test>::get();
			let mut info = Models::<Test>::get(model).unwrap();
			// Demand fell back: four copies too many.
			info.target = copies.len() as u32 - 4;
			take_events();
			let seed = crate::placement::BlockSeed(sp_io::hashing::blake2_256(&run.encode()));
			while ModelRegistry::evict_surplus(model, &mut info, &p, &seed) > 0 {}
			let evicted: Vec<AccountId> = take_events()
				.into_iter()
				.filter_map(|e| match e {
					Event::ModelEvicted { node, .. } => Some(node),
					_ => None,
				})
				.collect();
			evicted_total += evicted.len();
			honest_evicted += evicted.iter().filter(|n| !attacker(**n)).count();
		});
	}
	assert!(evicted_total > 0);
	let share = honest_evicted as f64 / evicted_total as f64;
	let held = honest_held / 20.0;
	// About half the holders are honest: so must be their share of the evictions, not all.
	assert!(
		(share - held).abs() < 0.2,
		"{honest_evicted} of {evicted_total} evictions fell on honest holders ({held:.2} of the copies)"
	);
}

/// A model kept by exactly its three executors: one falls silent (it died). Its two peers may
/// be honest or may be the colluders that silenced it; nobody can tell, so the task waits. The
/// silent node leaves, replication puts a copy on another node, and that node, as the jury,
/// settles the task: the two agreeing executors and the juror are paid.
#[test]
fn silence_among_a_models_only_holders_waits_for_a_new_holder() {
	attack_ext_with(three_node_params()).execute_with(|| {
		join_all(1..=3);
		let model = placed_model(1);
		join_all([4]);
		let task = assigned(model);
		let ex = executors(task);
		let right = H256::repeat_byte(1);
		let answers = [Some(right), Some(right), None];
		commit_all(task, &answers);
		run_to_block(commit_deadline(task));
		reveal_all(task, &answers);
		take_events();
		run_blocks(1);
		let events = take_events();
		assert!(events.contains(&Event::TaskAppealed { task, jury: 0 }), "{events:?}");
		assert!(!events.iter().any(|e| matches!(e, Event::TaskCompleted { .. })));
		// The dead node's copy is replaced on node 4.
		assert_ok!(ModelRegistry::leave(RuntimeOrigin::signed(ex[2])));
		for _ in 0..10 {
			run_blocks(1);
			confirm_all(model);
			if holders(model).contains(&4) {
				break;
			}
		}
		assert!(holders(model).contains(&4), "replication never reached node 4");
		let jury = jury_answers(task, right);
		assert_eq!(jury, vec![4]);
		assert!(take_events().contains(&Event::TaskCompleted {
			task,
			result: sealed(task, right),
			paid: BoundedVec::truncate_from(vec![ex[0], ex[1], 4])
		}));
	});
}

/// Two forgers and one honest executor split the first round; of the seven jurors, three keep
/// no file and copy what the first round made public. When first-round reveals were results,
/// the copiers revealed the forgers' result: 3 + 2 against 4 + 1 tied the count of both
/// rounds, the task failed `Disputed` and nobody was slashed. Now the first round reveals
/// seals: a copier that reveals the forgers' seal as its result is refused, and without an
/// answer it is slashed with the forgers once the honest jurors' result wins.
#[test]
fn copying_jurors_siding_with_a_forgery() {
	attack_ext().execute_with(|| {
		join_all(1..=10);
		let model = placed_model(1);
		let task = assigned(model);
		let ex = executors(task);
		let (right, forged) = (H256::repeat_byte(1), H256::repeat_byte(2));
		let answers = [Some(forged), Some(forged), Some(right)];
		commit_all(task, &answers);
		reveal_all(task, &answers);
		run_blocks(1);
		let jury = jury_drawn(task);
		assert_eq!(jury.len(), 7);
		// What the first round made public: the forgers' revealed value.
		let public = Tasks::<Test>::get(task).unwrap().executors[0].result.unwrap();
		let (copiers, honest) = jury.split_at(3);
		for c in copiers {
			commit_one(task, *c, public);
		}
		for j in honest {
			commit_one(task, *j, right);
		}
		for c in copiers {
			assert_noop!(
				ModelRegistry::reveal_result(RuntimeOrigin::signed(*c), task, public, salt(*c)),
				Error::<Test>::CopiedSeal
			);
		}
		for j in honest {
			reveal_one(task, *j, right);
		}
		take_events();
		run_to_block(reveal_deadline(task));
		let events = take_events();
		let mut paid = vec![ex[2]];
		paid.extend(honest.iter().copied());
		assert!(
			events.contains(&Event::TaskCompleted {
				task,
				result: sealed(task, right),
				paid: BoundedVec::truncate_from(paid)
			}),
			"{events:?}"
		);
		for loser in [ex[0], ex[1]].iter().chain(copiers) {
			assert!(events.contains(&Event::ExecutorSlashed { task, node: *loser, amount: 100 }));
		}
	});
}
