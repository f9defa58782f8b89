//! `on_initialize`: deadlines, executor assignment, replication and demand review, each with a
//! per-block limit. The weight returned is computed from [`crate::WeightInfo`] with the work
//! actually done.

use crate::weights::WeightInfo;
use crate::{pallet::*, types::*};
use frame_support::pallet_prelude::*;
use frame_system::pallet_prelude::BlockNumberFor;

impl<T: Config> Pallet<T> {
	pub(crate) fn do_on_initialize(now: BlockNumberFor<T>) -> Weight {
		let mut weight = T::WeightInfo::on_initialize_base();

		// 1. Deadlines of this block (at most `MaxDeadlinesPerBlock`).
		let due = Deadlines::<T>::take(now);
		weight.saturating_accrue(T::WeightInfo::on_initialize_expire(due.len() as u32));
		for item in due {
			match item {
				DeadlineItem::Nomination { model, node } => {
					Self::expire_nomination(model, &node, now, &mut weight)
				}
				DeadlineItem::TaskPhase { task } => Self::end_task_phase(task, now, &mut weight),
				DeadlineItem::Prune { task } => Self::prune_task(task),
			}
		}

		// 2. Executors for waiting tasks, with randomness unknown when they were created.
		let examined = Self::assign_waiting(now);
		weight.saturating_accrue(T::WeightInfo::on_initialize_assign(examined));

		// 3. Nominations for models short of their goal.
		let draws = Self::process_replication_queue(now);
		weight.saturating_accrue(T::WeightInfo::on_initialize_replicate(draws));

		// 4. Demand review and eviction.
		let reviewed = Self::review_models(now);
		weight.saturating_accrue(T::WeightInfo::on_initialize_review(reviewed));

		weight
	}
}
