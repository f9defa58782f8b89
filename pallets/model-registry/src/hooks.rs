//! `on_initialize`: deadlines, executor assignment, replication, demand review and the cleanup
//! queue, each with a per-block limit. The weight returned is computed from
//! [`crate::WeightInfo`] with the work actually done.

use crate::{pallet::*, weights::WeightInfo};
use frame_support::pallet_prelude::*;
use frame_system::pallet_prelude::BlockNumberFor;

impl<T: Config> Pallet<T> {
	pub(crate) fn do_on_initialize(now: BlockNumberFor<T>) -> Weight {
		let mut weight = T::WeightInfo::on_initialize_base();
		let randomness = Self::block_randomness();

		// 1. Deadlines due by this block (at most `MaxDeadlinesPerBlock`).
		Self::process_deadlines(now, &mut weight);

		// 2. Executors for waiting tasks, with randomness unknown when they were created.
		weight.saturating_accrue(Self::assign_waiting(now, &randomness));

		// 3. Nominations for models short of their goal, with randomness unknown when they
		//    were queued.
		weight.saturating_accrue(Self::process_replication_queue(now, &randomness));

		// 4. Demand review and eviction.
		weight.saturating_accrue(Self::review_models(now, &randomness.seed()));

		// 5. Evictions and availability updates of the cleanup queue.
		weight.saturating_accrue(Self::process_cleanup());

		weight
	}
}
