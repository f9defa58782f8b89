//! The freshness rule: draws only use randomness that became known after the block that
//! created what they serve.

use super::*;

/// Ten nodes holding model 1 (placed with the default randomness).
fn setup() -> ModelId {
	join_all(1..=10);
	let model = placed_model(1);
	assert_eq!(holders(model).len(), 10);
	model
}

#[test]
fn a_task_is_not_served_with_randomness_known_at_its_creation() {
	new_test_ext().execute_with(|| {
		let model = setup();
		// BABE's `ParentBlockRandomness`: the randomness of a block is its parent's VRF output.
		set_random_lag(Some(1));
		let created = System::block_number();
		let task = create_task(model);
		take_events();

		// The next block's randomness is known since the creation block: the task waits,
		// without being reported as lacking holders.
		run_blocks(1);
		assert!(executors(task).is_empty());
		assert_eq!(Tasks::<Test>::get(task).unwrap().status, TaskStatus::Waiting);
		assert!(!Tasks::<Test>::get(task).unwrap().waiting_notified);
		assert_eq!(ModelRegistry::pending_tasks(), vec![task]);
		assert_eq!(take_events(), vec![]);

		// One block later the randomness is known since a block after the creation: served.
		run_blocks(1);
		assert_eq!(System::block_number(), created + 2);
		assert_eq!(executors(task).len(), 3);
		assert!(ModelRegistry::pending_tasks().is_empty());
	});
}

#[test]
fn a_task_is_not_served_with_older_randomness_however_long_it_waits() {
	new_test_ext().execute_with(|| {
		let model = setup();
		// Randomness that lags three blocks behind.
		set_random_lag(Some(3));
		let task = create_task(model);
		// The three blocks after the creation see randomness known since `created` or earlier.
		run_blocks(3);
		assert!(executors(task).is_empty());
		assert!(!Tasks::<Test>::get(task).unwrap().waiting_notified);
		// From the fourth block on the task is drawn for (and served once its draws succeed).
		for _ in 0..10 {
			run_blocks(1);
			if !executors(task).is_empty() {
				break;
			}
		}
		assert_eq!(executors(task).len(), 3);
	});
}

#[test]
fn without_randomness_tasks_and_nominations_wait() {
	new_test_ext().execute_with(|| {
		let model = setup();
		set_random_lag(None);
		let task = create_task(model);
		join_all(11..=12);
		let other = register(2);
		run_blocks(5);
		assert!(executors(task).is_empty());
		assert!(nominees(other).is_empty());
		assert!(Models::<Test>::get(other).unwrap().queued);

		// Randomness appears (known since the previous block): both are served.
		set_random_lag(Some(1));
		run_blocks(1);
		assert_eq!(executors(task).len(), 3);
		assert!(!nominees(other).is_empty());
	});
}

#[test]
fn a_new_model_is_not_placed_with_randomness_known_at_its_registration() {
	new_test_ext().execute_with(|| {
		join_all(1..=10);
		set_random_lag(Some(1));
		let registered = System::block_number();
		let model = register(1);
		assert_eq!(ModelRegistry::replication_queue(), vec![model]);

		run_blocks(1);
		assert!(nominees(model).is_empty());
		// Still queued, once.
		assert_eq!(ModelRegistry::replication_queue(), vec![model]);

		run_blocks(1);
		assert_eq!(System::block_number(), registered + 2);
		assert!(!nominees(model).is_empty());
	});
}

#[test]
fn a_shortfall_is_refilled_only_with_randomness_known_after_it() {
	new_test_ext().execute_with(|| {
		join_all(1..=20);
		let model = setup_placed();
		set_random_lag(Some(1));
		// A holder loses its copy: the model falls short of its goal in this block.
		let lost = holders(model)[0];
		assert!(nominees(model).is_empty());
		assert_ok!(ModelRegistry::report_lost(RuntimeOrigin::signed(lost), model));
		assert!(Models::<Test>::get(model).unwrap().queued);
		let shortfall = System::block_number();

		run_blocks(1);
		assert!(nominees(model).is_empty());
		run_blocks(1);
		assert_eq!(System::block_number(), shortfall + 2);
		assert!(!nominees(model).is_empty());
	});
}

/// Model 1 placed on ten of the joined nodes.
fn setup_placed() -> ModelId {
	let model = placed_model(1);
	assert_eq!(holders(model).len(), 10);
	model
}

/// With BABE a slot's author knows its VRF output early; the seed mixes the values of
/// `RandomnessDepth` blocks in a row and a task waits until all of them come after its block.
#[test]
fn a_task_waits_until_every_mixed_value_is_newer_than_it() {
	new_test_ext().execute_with(|| {
		let model = setup();
		set_random_lag(Some(1));
		Depth::set(2);
		let created = System::block_number();
		let task = create_task(model);
		// Blocks c+1 (value known since c) and c+2 (values of c and c+1): not served.
		run_blocks(2);
		assert!(executors(task).is_empty());
		assert_eq!(Tasks::<Test>::get(task).unwrap().status, TaskStatus::Waiting);
		// Block c+3 mixes the values of c+1 and c+2: served.
		run_blocks(1);
		assert_eq!(System::block_number(), created + 3);
		assert_eq!(executors(task).len(), 3);
		let mix = RandomnessMix::<Test>::get().unwrap();
		assert_eq!(mix.mixed_at, created + 3);
		assert_eq!(mix.known_since, created + 2);
	});
}

/// The mix is taken once per block: reading it again in the same block gives the same seed;
/// a block without randomness starts the count again, and nothing is fresh until it is full.
#[test]
fn the_mix_is_read_once_per_block_and_restarts_after_a_gap() {
	new_test_ext().execute_with(|| {
		let model = setup();
		Depth::set(2);
		set_random_lag(Some(1));
		run_blocks(1);
		let first = RandomnessMix::<Test>::get().unwrap();
		let again = ModelRegistry::block_randomness().seed().0;
		assert_eq!(again, first.value);
		assert_eq!(RandomnessMix::<Test>::get(), Some(first));
		// No randomness for a block: the mix is dropped.
		set_random_lag(None);
		run_blocks(1);
		assert!(RandomnessMix::<Test>::get().is_none());
		set_random_lag(Some(1));
		let task = create_task(model);
		run_blocks(1);
		assert_eq!(RandomnessMix::<Test>::get().unwrap().depth, 1);
		// One value only: not fresh for anything yet.
		assert!(executors(task).is_empty());
		run_blocks(2);
		assert_eq!(executors(task).len(), 3);
	});
}
