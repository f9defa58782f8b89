//! Storage migrations.

use super::*;
use crate::migrations::{
	v1::{PendingTaskSlots, TaskInfoV0Of},
	MigrateV0ToV1, STORAGE_VERSION,
};
use frame_support::traits::{GetStorageVersion, OnRuntimeUpgrade, StorageVersion};

fn v0_task(status: TaskStatus<u64>) -> TaskInfoV0Of<Test> {
	crate::migrations::v1::TaskInfoV0 {
		model: model_id(1),
		creator: 79,
		fee: 300,
		deposit: 6,
		input: BoundedVec::truncate_from(b"prompt".to_vec()),
		challenge: H256::zero(),
		created_at: 1,
		status,
		executors: BoundedVec::new(),
		waiting_notified: true,
	}
}

#[test]
fn v1_moves_the_queue_slots_into_the_task_records() {
	new_test_ext().execute_with(|| {
		// A chain whose storage predates v1.
		StorageVersion::new(0).put::<ModelRegistry>();
		let waiting = [(4u64, 7u32), (5, 2)];
		for (id, slot) in waiting {
			let key = Tasks::<Test>::hashed_key_for(id);
			frame_support::storage::unhashed::put(&key, &v0_task(TaskStatus::Waiting));
			PendingTaskSlots::<Test>::insert(id, slot);
		}
		let done = TaskStatus::Failed { reason: TaskFailure::NoHolders };
		frame_support::storage::unhashed::put(&Tasks::<Test>::hashed_key_for(9), &v0_task(done));

		MigrateV0ToV1::<Test>::on_runtime_upgrade();

		assert_eq!(ModelRegistry::on_chain_storage_version(), STORAGE_VERSION);
		for (id, slot) in waiting {
			let task = Tasks::<Test>::get(id).expect("decodes in the new layout");
			assert_eq!(task.queue_slot, slot);
			assert_eq!(task.fee, 300);
			assert!(task.waiting_notified);
			assert_eq!(task.input.to_vec(), b"prompt".to_vec());
		}
		assert_eq!(Tasks::<Test>::get(9).map(|t| (t.queue_slot, t.status)), Some((0, done)));
		assert_eq!(PendingTaskSlots::<Test>::iter().count(), 0);

		// Run again: the version guard makes it a no-op.
		Tasks::<Test>::mutate(4, |t| t.as_mut().map(|t| t.queue_slot = 11));
		MigrateV0ToV1::<Test>::on_runtime_upgrade();
		assert_eq!(Tasks::<Test>::get(4).map(|t| t.queue_slot), Some(11));
	});
}
