use super::*;
use sp_runtime::{DispatchError, Perbill};

#[test]
fn set_params_by_root() {
	new_test_ext().execute_with(|| {
		let params = RegistryParams { executors_per_task: 5, ..Default::default() };
		assert_noop!(
			ModelRegistry::set_params(RuntimeOrigin::signed(1), params.clone()),
			DispatchError::BadOrigin
		);
		assert_ok!(ModelRegistry::set_params(RuntimeOrigin::root(), params.clone()));
		assert_eq!(Params::<Test>::get(), params);
		assert_eq!(take_events(), vec![Event::ParamsUpdated { params }]);
	});
}

#[test]
fn inconsistent_params_are_refused() {
	new_test_ext().execute_with(|| {
		let d = RegistryParams::<u64>::default;
		let invalid = vec![
			RegistryParams { initial_replicas: 0, ..d() },
			RegistryParams { initial_replicas: 33, ..d() },
			RegistryParams { low_watermark: 5, ..d() },
			RegistryParams { refill_batch: 0, ..d() },
			RegistryParams { refill_batch: 33, ..d() },
			RegistryParams { min_replicas: 33, ..d() },
			RegistryParams { max_replicas: 41, ..d() },
			RegistryParams { executors_per_task: 0, ..d() },
			RegistryParams { executors_per_task: 6, min_replicas: 6, ..d() },
			RegistryParams { executors_per_task: 5, min_replicas: 4, ..d() },
			RegistryParams { download_deadline: 0, ..d() },
			RegistryParams { demand_window: 0, ..d() },
			RegistryParams { commit_deadline: 0, ..d() },
			RegistryParams { reveal_deadline: 0, ..d() },
			RegistryParams { tasks_per_replica: 0, ..d() },
			RegistryParams { headroom_percent: 99, ..d() },
			RegistryParams { scale_down_hysteresis_percent: 100, ..d() },
			RegistryParams { qos_kick_threshold: 700, ..d() },
		];
		for params in invalid {
			assert_noop!(
				ModelRegistry::set_params(RuntimeOrigin::root(), params.clone()),
				Error::<Test>::InvalidParams
			);
		}
		let edge = RegistryParams {
			initial_replicas: 40,
			max_replicas: 40,
			min_replicas: 5,
			slash_fraction: Perbill::from_percent(100),
			..d()
		};
		assert_ok!(ModelRegistry::set_params(RuntimeOrigin::root(), edge));
	});
}

#[test]
fn lowered_ceiling_brings_targets_back_in_range() {
	new_test_ext().execute_with(|| {
		join_all(1..=3);
		let model = register(1);
		assert_eq!(Models::<Test>::get(model).unwrap().target, 10);
		let params = RegistryParams {
			initial_replicas: 6,
			max_replicas: 6,
			refill_batch: 6,
			..Default::default()
		};
		assert_ok!(ModelRegistry::set_params(RuntimeOrigin::root(), params));
		run_blocks(1);
		assert_eq!(Models::<Test>::get(model).unwrap().target, 6);
	});
}
