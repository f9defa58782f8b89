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
			result: right,
			paid: BoundedVec::truncate_from(jury)
		}));
		// Silence cost the silenced node a QoS sample, not its stake or its copy.
		assert_eq!(Nodes::<Test>::get(silenced).unwrap().stake, 1_000);
		assert!(holders(model).contains(&silenced));
		assert_ok!(ModelRegistry::do_try_state());
	});
}
