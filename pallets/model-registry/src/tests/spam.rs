//! Spam attacks on the shared queues, the deposits, registration and eviction (issue #11), one
//! test per attack, each asserting the behaviour that defeats it.

use super::*;
use frame_support::{traits::Get, weights::Weight};

/// Run up to `blocks` blocks until `done` holds (draws pass QoS rolls by chance); fails if it
/// never does.
fn run_until(blocks: u32, done: impl Fn() -> bool) {
	for _ in 0..blocks {
		if done() {
			return;
		}
		run_blocks(1);
	}
	assert!(done(), "not reached within {blocks} blocks");
}

fn url(s: &str) -> SourcesOf<Test> {
	BoundedVec::truncate_from(vec![BoundedVec::truncate_from(s.as_bytes().to_vec())])
}

/// Creating and cancelling tasks in a loop (the fee refunded each time) must not keep places
/// of the bounded task queue: a cancelled task frees its place at once.
#[test]
fn create_and_cancel() {
	new_test_ext().execute_with(|| {
		join_all(1..=3);
		let model = register(1);
		let cap = <Test as Config>::MaxQueuedTasks::get();
		for _ in 0..cap * 2 {
			let task = create_task(model);
			assert_ok!(ModelRegistry::cancel_task(RuntimeOrigin::signed(79), task));
		}
		assert_eq!(held(HoldReason::TaskFee, 79), 0);
		// The queue is empty: everybody can still queue `MaxQueuedTasks` tasks.
		assert!(ModelRegistry::pending_tasks().is_empty());
		let mut mine = Vec::new();
		for _ in 0..cap {
			mine.push(create_task(model));
		}
		// Cancelling one in the middle frees its place; the order of the others is kept but
		// for the last one, which moves into the freed place.
		assert_ok!(ModelRegistry::cancel_task(RuntimeOrigin::signed(79), mine[3]));
		assert_eq!(ModelRegistry::pending_tasks().len() as u32, cap - 1);
		assert!(!ModelRegistry::pending_tasks().contains(&mine[3]));
		create_task(model);
		assert_ok!(ModelRegistry::do_try_state());
	});
}

/// Models no node can host (VRAM above every node) must not burn the draw budget every block:
/// they are parked at registration, and a model whose passes find nobody is parked after
/// `MAX_EMPTY_PASSES` until node capacity changes.
#[test]
fn models_nobody_can_host() {
	new_test_ext().execute_with(|| {
		join_all(1..=5);
		// VRAM above every node's: parked at once.
		assert_ok!(ModelRegistry::register_model(
			RuntimeOrigin::signed(80),
			model_id(1),
			1_000,
			sources(),
			1_000_000,
			pieces(1_000),
			ExecutorKind::SpotCheck
		));
		let huge = model_id(1);
		assert!(take_events().contains(&Event::ReplicationParked { model: huge }));
		assert!(!Models::<Test>::get(huge).unwrap().queued);
		// Disk every node has, but all nodes paused: parked after the empty passes.
		let model = register(2);
		for n in 1..=5 {
			assert_ok!(ModelRegistry::pause(RuntimeOrigin::signed(n)));
		}
		run_blocks(MAX_EMPTY_PASSES as u64 + 1);
		assert!(take_events().contains(&Event::ReplicationParked { model }));
		let info = Models::<Test>::get(model).unwrap();
		assert!(!info.queued && info.parked_at.is_some());
		// Nothing is served any more.
		run_blocks(5);
		assert!(crate::placement::Replication::<Test>::items().is_empty());
		// A node resumes: the model is placed again (woken by its review).
		assert_ok!(ModelRegistry::resume(RuntimeOrigin::signed(1)));
		run_until(10, || nominees(model).contains(&1));
		// A node joining with enough VRAM wakes the big model.
		assert_ok!(ModelRegistry::join(
			RuntimeOrigin::signed(6),
			NodeCapacity { disk_bytes: 1_000_000, vram_bytes: 1_000_000 },
			1_000
		));
		run_until(10, || nominees(huge) == vec![6]);
	});
}

/// A model one copy short where most nodes already hold it is not "nobody can host": passes
/// that meet only its holders must not park it (over many seeds, where such passes are common).
#[test]
fn a_model_held_almost_everywhere_is_not_parked() {
	for seed in 0..20 {
		let params = RegistryParams { initial_replicas: 8, ..Default::default() };
		new_test_ext_with(params).execute_with(|| {
			set_random_seed(seed);
			join_all(1..=8);
			let model = placed_model(1);
			run_until(30, || {
				confirm_all(model);
				holders(model).len() == 8
			});
			assert!(
				!take_events().iter().any(|e| matches!(e, Event::ReplicationParked { .. })),
				"parked with seed {seed}"
			);
		});
	}
}

/// A node toggling pause/resume must not restart its cleanup job forever and block every job
/// behind it: a status change waits until the previous one is applied.
#[test]
fn cleanup_livelock_by_pause_resume() {
	new_test_ext().execute_with(|| {
		CleanupSteps::set(3);
		join_all(1..=10);
		let mut models = Vec::new();
		for n in 1..=6 {
			models.push(placed_model(n));
		}
		let toggler = 1;
		assert!(NodeHoldings::<Test>::get(toggler).len() > 3);
		assert_ok!(ModelRegistry::pause(RuntimeOrigin::signed(toggler)));
		// Another node leaves behind it.
		assert_ok!(ModelRegistry::leave(RuntimeOrigin::signed(2)));
		run_blocks(1);
		assert_noop!(
			ModelRegistry::resume(RuntimeOrigin::signed(toggler)),
			Error::<Test>::StatusChangePending
		);
		for _ in 0..20 {
			let _ = ModelRegistry::resume(RuntimeOrigin::signed(toggler));
			let _ = ModelRegistry::pause(RuntimeOrigin::signed(toggler));
			run_blocks(1);
		}
		// The leaving node's job finished.
		assert!(Nodes::<Test>::get(2).is_none());
		// Rejoining right away is refused: churn leaves a job and a record behind each time.
		assert_noop!(
			ModelRegistry::join(RuntimeOrigin::signed(2), big(), 1_000),
			Error::<Test>::RejoinTooSoon
		);
		run_blocks(Params::<Test>::get().demand_window);
		assert_ok!(ModelRegistry::join(RuntimeOrigin::signed(2), big(), 1_000));
	});
}

/// The model deposit grows with size and replicas; task inputs hold a storage deposit until the
/// task record is removed.
#[test]
fn deposits_that_price_the_harm() {
	new_test_ext().execute_with(|| {
		ModelDepositPerByte::set(2);
		TaskInputDepositPerByte::set(3);
		join_all(1..=3);
		let model = register(1);
		// 50 + 2 * 1000 bytes * 10 initial replicas.
		assert_eq!(held(HoldReason::ModelDeposit, 80), 50 + 2 * 1_000 * 10);
		let task = create_task(model);
		assert_eq!(held(HoldReason::TaskDeposit, 79), 3 * 6);
		assert_ok!(ModelRegistry::cancel_task(RuntimeOrigin::signed(79), task));
		assert_eq!(held(HoldReason::TaskDeposit, 79), 0);
		// A deregistered model's deposit stays held until its copies are evicted.
		assert_ok!(ModelRegistry::deregister_model(RuntimeOrigin::signed(80), model));
		assert_eq!(held(HoldReason::ModelDeposit, 80), 50 + 2 * 1_000 * 10);
		run_blocks(3);
		assert!(Models::<Test>::get(model).is_none());
		assert_eq!(held(HoldReason::ModelDeposit, 80), 0);
	});
}

/// Replacing the sources must not reset the count of source failures for free: an owner who
/// loops `update_sources` would make honest nodes download a bad file over and over. New
/// sources are always taken, but the count is cleared at most once per demand window after the
/// first clearing.
#[test]
fn free_source_failure_resets() {
	new_test_ext().execute_with(|| {
		join_all(1..=12);
		let model = register(1);
		run_blocks(1);
		let fail_three_times = || {
			for who in nominees(model)[..3].to_vec() {
				assert_ok!(ModelRegistry::decline_nomination(
					RuntimeOrigin::signed(who),
					model,
					DeclineReason::HashMismatch
				));
			}
			assert_eq!(Models::<Test>::get(model).unwrap().source_failures, MAX_SOURCE_FAILURES);
		};
		let update = |src: &str| {
			take_events();
			assert_ok!(ModelRegistry::update_sources(RuntimeOrigin::signed(80), model, url(src)));
			let cleared = take_events().into_iter().find_map(|e| match e {
				Event::ModelSourcesUpdated { failures_cleared, .. } => Some(failures_cleared),
				_ => None,
			});
			cleared.expect("ModelSourcesUpdated")
		};
		fail_three_times();
		// The first clearing is free.
		assert!(update("https://a/m"));
		run_blocks(2);
		fail_three_times();
		// In a loop within the window: the sources change, the failures stay, and the model
		// gets no new nomination.
		let nominated = nominees(model).len();
		for i in 0..5 {
			assert!(!update(if i % 2 == 0 { "https://b/m" } else { "https://c/m" }));
			run_blocks(1);
			assert_eq!(nominees(model).len(), nominated);
		}
		assert_eq!(ModelSources::<Test>::get(model), url("https://b/m"));
		assert_ok!(ModelRegistry::do_try_state());
	});
}

/// A pruned task returns its input deposit.
#[test]
fn task_input_deposit_returned_at_prune() {
	new_test_ext().execute_with(|| {
		TaskInputDepositPerByte::set(3);
		let model = register(1);
		create_task(model);
		assert_eq!(held(HoldReason::TaskDeposit, 79), 18);
		// No holders: it fails after a demand window, then is pruned a window later.
		run_blocks(2 * Params::<Test>::get().demand_window + 5);
		assert_eq!(held(HoldReason::TaskDeposit, 79), 0);
		assert_eq!(free(79), INITIAL_BALANCE);
	});
}

/// The nomination deadline grows with the model's size.
#[test]
fn fixed_deadline_for_a_large_model() {
	new_test_ext().execute_with(|| {
		join_all(1..=3);
		assert_ok!(ModelRegistry::register_model(
			RuntimeOrigin::signed(80),
			model_id(1),
			500_000,
			sources(),
			100,
			pieces(500_000),
			ExecutorKind::SpotCheck
		));
		run_blocks(1);
		let now = System::block_number();
		let n = Nominations::<Test>::iter_prefix(model_id(1)).next().unwrap().1;
		// 100 blocks + 500_000 bytes / 10_000 bytes per block.
		assert_eq!(n.deadline, now + 100 + 50);
	});
}

/// Registration refuses what no node can serve.
#[test]
fn registration_of_unservable_models() {
	new_test_ext().execute_with(|| {
		let reg = |size: u64, src: &str| {
			ModelRegistry::register_model(
				RuntimeOrigin::signed(80),
				model_id(1),
				size,
				url(src),
				0,
				pieces(size),
				ExecutorKind::SpotCheck,
			)
		};
		assert_noop!(reg(0, "https://h/m"), Error::<Test>::InvalidSize);
		assert_noop!(reg(1 << 63, "https://h/m"), Error::<Test>::ModelTooLarge);
		assert_noop!(reg(1, "file:///etc/passwd"), Error::<Test>::UnsupportedSourceScheme);
		assert_noop!(reg(1, "not a url at all"), Error::<Test>::UnsupportedSourceScheme);
		assert_noop!(reg(1, "https:///m"), Error::<Test>::MalformedSource);
		assert_noop!(reg(1, "https://a b/m"), Error::<Test>::MalformedSource);
		assert_noop!(reg(1, "http://user@:80/m"), Error::<Test>::MalformedSource);
		assert_ok!(reg(1, "HTTPS://user@mirror.example:8080/m?x#y"));
		assert_noop!(
			ModelRegistry::update_sources(
				RuntimeOrigin::signed(80),
				model_id(1),
				url("ftp://mirror/m")
			),
			Error::<Test>::UnsupportedSourceScheme
		);
	});
}

/// Eviction counts available holders, never goes below the floor of available holders,
/// evicts paused holders first, and a target of `min_replicas + 1` can fall to `min_replicas`.
#[test]
fn eviction_disagrees_with_refill() {
	let params = RegistryParams { initial_replicas: 8, ..Default::default() };
	new_test_ext_with(params).execute_with(|| {
		join_all(1..=8);
		let model = placed_model(1);
		assert_eq!(holders(model).len(), 8);
		// Three holders pause: 5 available = min_replicas.
		let paused: Vec<AccountId> = holders(model)[..3].to_vec();
		for n in paused.iter() {
			assert_ok!(ModelRegistry::pause(RuntimeOrigin::signed(*n)));
		}
		run_blocks(1);
		let mut info = Models::<Test>::get(model).unwrap();
		assert_eq!(info.available, 5);
		info.target = 5;
		let p = Params::<Test>::get();
		take_events();
		ModelRegistry::evict_surplus(model, &mut info, &p, &crate::placement::BlockSeed([1; 32]));
		// Only the paused holders go; the 5 available ones stay.
		let evicted: Vec<AccountId> = take_events()
			.into_iter()
			.filter_map(|e| match e {
				Event::ModelEvicted { node, .. } => Some(node),
				_ => None,
			})
			.collect();
		let mut sorted = evicted.clone();
		sorted.sort();
		assert_eq!(sorted, paused);
		assert_eq!(info.available, 5);

		// A target of min_replicas + 1 falls to min_replicas without demand.
		let mut info = Models::<Test>::get(model).unwrap();
		info.target = p.min_replicas + 1;
		ModelRegistry::update_target(model, &mut info, &p, 10_000, true);
		assert_eq!(info.target, p.min_replicas);
	});
}

/// Stale deadline entries (a nomination already confirmed) are charged.
#[test]
fn stale_deadline_entries_are_free() {
	new_test_ext().execute_with(|| {
		join_all(1..=3);
		let model = register(1);
		run_blocks(1);
		confirm_all(model);
		let deadline = Params::<Test>::get().download_deadline + System::block_number();
		run_to_block(deadline - 1);
		let entries = u64::from(DeadlineCount::<Test>::get(deadline));
		assert!(entries >= 1);
		let mut weight = Weight::zero();
		System::set_block_number(deadline);
		ModelRegistry::process_deadlines(deadline, &mut weight);
		let per_entry = <Test as frame_system::Config>::DbWeight::get().reads_writes(2, 1);
		assert!(weight.all_gte(per_entry.saturating_mul(entries)), "{weight:?}");
	});
}
