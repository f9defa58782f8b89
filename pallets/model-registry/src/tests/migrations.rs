//! Storage migrations.

use super::*;
use crate::migrations::{
	v1::{self, PendingTaskSlots, TaskInfoV0Of, TaskInfoV1Of},
	v2::{self, ModelInfoV1Of},
	MigrateV0ToV1, MigrateV1ToV2, STORAGE_VERSION,
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

		assert_eq!(ModelRegistry::on_chain_storage_version(), StorageVersion::new(1));
		for (id, slot) in waiting {
			let task = v1::Tasks::<Test>::get(id).expect("decodes in the v1 layout");
			assert_eq!(task.queue_slot, slot);
			assert_eq!(task.fee, 300);
			assert!(task.waiting_notified);
			assert_eq!(task.input.to_vec(), b"prompt".to_vec());
		}
		assert_eq!(v1::Tasks::<Test>::get(9).map(|t| (t.queue_slot, t.status)), Some((0, done)));
		assert_eq!(PendingTaskSlots::<Test>::iter().count(), 0);

		// Run again: the version guard makes it a no-op.
		v1::Tasks::<Test>::mutate(4, |t| t.as_mut().map(|t| t.queue_slot = 11));
		MigrateV0ToV1::<Test>::on_runtime_upgrade();
		assert_eq!(v1::Tasks::<Test>::get(4).map(|t| t.queue_slot), Some(11));

		// Then v2: the records gain `appeal`, and keep everything else.
		MigrateV1ToV2::<Test>::on_runtime_upgrade();
		assert_eq!(ModelRegistry::on_chain_storage_version(), STORAGE_VERSION);
		assert_eq!(Tasks::<Test>::get(4).map(|t| (t.queue_slot, t.appeal)), Some((11, None)));
		assert_eq!(Tasks::<Test>::get(5).map(|t| t.queue_slot), Some(2));
	});
}

#[test]
fn v2_adds_no_appeal_to_every_task_record() {
	new_test_ext().execute_with(|| {
		StorageVersion::new(1).put::<ModelRegistry>();
		let executors = vec![Executor::new(1u64), Executor::new(2), Executor::new(3)];
		let old: TaskInfoV1Of<Test> = v1::TaskInfoV1 {
			model: model_id(1),
			creator: 79,
			fee: 300,
			deposit: 6,
			input: BoundedVec::truncate_from(b"prompt".to_vec()),
			challenge: H256::repeat_byte(7),
			created_at: 1,
			status: TaskStatus::Commit { deadline: 9 },
			executors: BoundedVec::truncate_from(executors.clone()),
			waiting_notified: false,
			queue_slot: 3,
		};
		v1::Tasks::<Test>::insert(6, old);

		MigrateV1ToV2::<Test>::on_runtime_upgrade();

		assert_eq!(ModelRegistry::on_chain_storage_version(), STORAGE_VERSION);
		let task = Tasks::<Test>::get(6).expect("decodes in the v2 layout");
		assert_eq!(task.appeal, None);
		assert_eq!(task.executors.into_inner(), executors);
		assert_eq!(task.status, TaskStatus::Commit { deadline: 9 });
		assert_eq!((task.queue_slot, task.challenge), (3, H256::repeat_byte(7)));

		// Run again: the version guard makes it a no-op (a v2 record is no v1 record).
		let appeal = Appeal { jury_from: 3, disputed_at: 8 };
		Tasks::<Test>::mutate(6, |t| t.as_mut().map(|t| t.appeal = Some(appeal)));
		MigrateV1ToV2::<Test>::on_runtime_upgrade();
		assert_eq!(Tasks::<Test>::get(6).and_then(|t| t.appeal), Some(appeal));
	});
}

fn v1_model(index: u32, parked_at: Option<(u32, u64)>) -> ModelInfoV1Of<Test> {
	v2::ModelInfoV1 {
		owner: 80,
		deposit: 1234,
		size_bytes: 4096,
		min_vram_bytes: 1 << 30,
		index,
		holders: 2,
		available: 1,
		nominated: 3,
		target: 5,
		queued: true,
		retiring: false,
		demand_window_index: 4,
		demand_current: 7,
		demand_previous: 6,
		registered_at: 2,
		source_failures: 1,
		sources_reset_at: Some(3),
		empty_passes: 2,
		parked_at,
	}
}

#[test]
fn v2_gives_every_model_record_the_spot_check_kind() {
	new_test_ext().execute_with(|| {
		StorageVersion::new(1).put::<ModelRegistry>();
		v2::Models::<Test>::insert(model_id(1), v1_model(0, None));
		v2::Models::<Test>::insert(model_id(2), v1_model(1, Some((9, 12))));
		// Before the migration the records do not decode in the current layout.
		assert_eq!(Models::<Test>::get(model_id(1)), None);

		MigrateV1ToV2::<Test>::on_runtime_upgrade();

		assert_eq!(ModelRegistry::on_chain_storage_version(), STORAGE_VERSION);
		let one = Models::<Test>::get(model_id(1)).expect("decodes in the v2 layout");
		assert_eq!(one.executor, ExecutorKind::SpotCheck);
		assert_eq!(
			(one.owner, one.deposit, one.size_bytes, one.min_vram_bytes, one.index),
			(80, 1234, 4096, 1 << 30, 0)
		);
		assert_eq!((one.holders, one.available, one.nominated, one.target), (2, 1, 3, 5));
		assert!(one.queued && !one.retiring);
		assert_eq!((one.demand_window_index, one.demand_current, one.demand_previous), (4, 7, 6));
		assert_eq!((one.registered_at, one.source_failures, one.sources_reset_at), (2, 1, Some(3)));
		assert_eq!((one.empty_passes, one.parked_at), (2, None));
		let two = Models::<Test>::get(model_id(2)).expect("decodes in the v2 layout");
		assert_eq!(
			(two.index, two.parked_at, two.executor),
			(1, Some((9, 12)), ExecutorKind::SpotCheck)
		);

		// Run again: the version guard makes it a no-op.
		let engine = ExecutorKind::External(BoundedVec::truncate_from(b"llama".to_vec()));
		Models::<Test>::mutate(model_id(1), |m| m.as_mut().map(|m| m.executor = engine.clone()));
		MigrateV1ToV2::<Test>::on_runtime_upgrade();
		assert_eq!(Models::<Test>::get(model_id(1)).map(|m| m.executor), Some(engine));
	});
}
