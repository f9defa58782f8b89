//! Governance parameters: validation and update.

use crate::{pallet::*, qos::INITIAL_QOS, types::*};
use frame_support::{ensure, pallet_prelude::*};
use sp_runtime::traits::Zero;

impl<T: Config> Pallet<T> {
	/// Check that a parameter set is consistent with itself and with the pallet's bounds.
	///
	/// Rules: `1 <= initial_replicas <= max_replicas`; `low_watermark < min_replicas`;
	/// `1 <= refill_batch <= max_replicas`; `executors_per_task <= min_replicas <= max_replicas
	/// <= MaxHoldersPerModel`; `1 <= executors_per_task <= MaxExecutorsPerTask`; every deadline
	/// and window is at least one block; `tasks_per_replica >= 1`; `headroom_percent >= 100`;
	/// `scale_down_hysteresis_percent < 100`; `qos_kick_threshold` below the initial QoS (700).
	pub fn validate_params(p: &ParamsOf<T>) -> Result<(), Error<T>> {
		let ok = p.initial_replicas >= 1
			&& p.initial_replicas <= p.max_replicas
			&& p.low_watermark < p.min_replicas
			&& p.refill_batch >= 1
			&& p.refill_batch <= p.max_replicas
			&& p.min_replicas <= p.max_replicas
			&& p.max_replicas <= T::MaxHoldersPerModel::get()
			&& p.executors_per_task >= 1
			&& p.executors_per_task <= T::MaxExecutorsPerTask::get()
			&& p.executors_per_task <= p.min_replicas
			&& !p.download_deadline.is_zero()
			&& !p.demand_window.is_zero()
			&& !p.commit_deadline.is_zero()
			&& !p.reveal_deadline.is_zero()
			&& p.tasks_per_replica >= 1
			&& p.headroom_percent >= 100
			&& p.scale_down_hysteresis_percent < 100
			&& p.qos_kick_threshold < INITIAL_QOS;
		ensure!(ok, Error::<T>::InvalidParams);
		Ok(())
	}

	pub(crate) fn do_set_params(params: ParamsOf<T>) -> DispatchResult {
		Self::validate_params(&params)?;
		Params::<T>::put(params.clone());
		Self::deposit_event(Event::ParamsUpdated { params });
		Ok(())
	}

	pub(crate) fn do_integrity_test() {
		assert!(T::MaxExecutorsPerTask::get() >= 1, "MaxExecutorsPerTask must be at least 1");
		assert!(T::MaxHoldersPerModel::get() >= 1, "MaxHoldersPerModel must be at least 1");
		assert!(T::MaxModelsPerNode::get() >= 1, "MaxModelsPerNode must be at least 1");
		assert!(T::MaxTasksPerHolder::get() >= 1, "MaxTasksPerHolder must be at least 1");
		assert!(
			T::MaxAssignmentsPerBlock::get() <= MAX_ASSIGNMENTS_PER_BLOCK,
			"MaxAssignmentsPerBlock must be at most MAX_ASSIGNMENTS_PER_BLOCK"
		);
		assert!(T::MaxDeadlinesPerBlock::get() >= 1, "MaxDeadlinesPerBlock must be at least 1");
		assert!(
			T::MaxCleanupStepsPerBlock::get() >= 1,
			"MaxCleanupStepsPerBlock must be at least 1"
		);
		assert!(T::MaxSources::get() >= 1, "MaxSources must be at least 1");
		assert!(
			Self::validate_params(&RegistryParams::default()).is_ok(),
			"default parameters must fit the configured bounds"
		);
	}
}
