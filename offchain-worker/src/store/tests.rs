//! Unit tests of the model store.

use sha2::{Digest, Sha256};

use super::*;

fn open(dir: &Path, max: u64) -> Arc<ModelStore> {
	Arc::new(ModelStore::open(StoreConfig { root: dir.to_path_buf(), max_bytes: max }).unwrap())
}

fn put_partial(store: &ModelStore, data: &[u8]) -> ModelId {
	let model: ModelId = Sha256::digest(data).into();
	fs::write(store.partial_path_of(&model), data).unwrap();
	model
}

#[test]
fn reserve_commit_and_budget() {
	let dir = tempfile::tempdir().unwrap();
	let store = open(dir.path(), 100);
	let a = put_partial(&store, &[1u8; 60]);
	let res = store.reserve(a, 60).unwrap();
	assert!(matches!(store.reserve(a, 60), Err(StoreError::Busy(_))));
	let b = [7u8; 32];
	match store.reserve(b, 41) {
		Err(StoreError::BudgetExceeded { needed: 41, available: 40, max: 100 }) => {}
		other => panic!("unexpected {:?}", other.map(|_| ())),
	}
	assert!(!store.is_stored(&a));
	let path = res.commit().unwrap();
	assert_eq!(path, store.path_of(&a));
	assert!(store.is_stored(&a) && store.check(&a, 60));
	assert!(!store.partial_path_of(&a).exists());
	assert_eq!(store.used_bytes(), 60);
	let res_b = store.reserve(b, 40).unwrap();
	assert_eq!(store.used_bytes(), 100);
	drop(res_b);
	assert_eq!(store.used_bytes(), 60);
	assert!(store.remove(&a).unwrap());
	assert!(!path.exists());
	assert_eq!(store.used_bytes(), 0);
}

#[test]
fn scan_leaves_foreign_entries_alone_and_keeps_partials() {
	let dir = tempfile::tempdir().unwrap();
	let store = open(dir.path(), 1 << 20);
	let good = b"hello model";
	let model: ModelId = Sha256::digest(good).into();
	fs::write(store.path_of(&model), good).unwrap();
	let foreign = [
		dir.path().join("models/not-a-model"),
		dir.path().join("models").join("AB".repeat(32)),
		dir.path().join("models").join("cd".repeat(32)),
		dir.path().join("partial/junk.tmp"),
		dir.path().join("verified/notes"),
	];
	fs::write(&foreign[0], b"x").unwrap();
	fs::write(&foreign[1], b"x").unwrap();
	fs::create_dir(&foreign[2]).unwrap();
	fs::write(&foreign[3], b"x").unwrap();
	fs::write(&foreign[4], b"x").unwrap();
	fs::write(store.partial_path_of(&model), b"stale partial of stored model").unwrap();
	let other = [9u8; 32];
	fs::write(store.partial_path_of(&other), b"half").unwrap();
	// A record of a model no longer stored is the store's own stale file.
	fs::write(store.record_path_of(&[8u8; 32]), b"1 1\n").unwrap();

	let mut report = store.scan().unwrap();
	assert_eq!(report.models, vec![(model, good.len() as u64)]);
	assert_eq!(report.partials, vec![(other, 4)]);
	report.removed.sort();
	let mut stale = vec![store.partial_path_of(&model), store.record_path_of(&[8u8; 32])];
	stale.sort();
	assert_eq!(report.removed, stale);
	report.ignored.sort();
	let mut expected = foreign.to_vec();
	expected.sort();
	assert_eq!(report.ignored, expected);
	assert!(foreign.iter().all(|p| p.exists()));
	assert_eq!(report.unverified, vec![model]);
	assert!(store.needs_verification(&model));
	assert_eq!(store.partials().unwrap(), vec![other]);
	assert_eq!(store.used_bytes(), good.len() as u64 + 4, "leftover partials count");
	assert!(store.verify(&model).unwrap());
	assert!(!store.needs_verification(&model));
	assert!(!store.partial_path_of(&model).exists());
}

#[test]
fn check_and_verify_detect_damage() {
	let dir = tempfile::tempdir().unwrap();
	let store = open(dir.path(), 1 << 20);
	let data = vec![3u8; 1000];
	let model: ModelId = Sha256::digest(&data).into();
	fs::write(store.path_of(&model), &data).unwrap();
	store.scan().unwrap();
	assert!(store.check(&model, 1000));
	// Wrong declared size: the file is deleted.
	assert!(!store.check(&model, 999));
	assert!(!store.path_of(&model).exists() && !store.is_stored(&model));
	// Same size, different bytes: verify deletes it.
	fs::write(store.path_of(&model), vec![4u8; 1000]).unwrap();
	assert!(store.check(&model, 1000));
	assert!(!store.verify(&model).unwrap());
	assert!(!store.path_of(&model).exists() && !store.is_stored(&model));
	assert!(!store.verify(&model).unwrap());
}

#[test]
fn a_locked_store_cannot_be_opened_twice() {
	let dir = tempfile::tempdir().unwrap();
	let first = open(dir.path(), 100);
	let config = StoreConfig { root: dir.path().to_path_buf(), max_bytes: 100 };
	match ModelStore::open(config.clone()) {
		Err(e @ StoreError::Locked { .. }) => {
			let text = e.to_string();
			assert!(text.contains(&dir.path().display().to_string()), "{text}");
		}
		other => panic!("unexpected {:?}", other.map(|_| ())),
	}
	drop(first);
	ModelStore::open(config).unwrap();
}

#[test]
fn leftover_partials_count_against_the_budget() {
	let dir = tempfile::tempdir().unwrap();
	let a = [1u8; 32];
	{
		let store = open(dir.path(), 100);
		fs::write(store.partial_path_of(&a), [0u8; 60]).unwrap();
	}
	let store = open(dir.path(), 100);
	assert_eq!(store.used_bytes(), 60);
	let b = [2u8; 32];
	assert!(matches!(store.reserve(b, 50), Err(StoreError::BudgetExceeded { available: 40, .. })));
	// Resuming the partial itself: its bytes are part of its reservation.
	let res = store.reserve(a, 100).unwrap();
	assert_eq!(store.used_bytes(), 100);
	drop(res);
	// Released without commit: the partial file still takes its 60 bytes.
	assert_eq!(store.used_bytes(), 60);
	assert!(store.remove_partial(&a).unwrap());
	assert_eq!(store.used_bytes(), 0);
	drop(store.reserve(b, 50).unwrap());
}

#[test]
fn a_reservation_larger_than_the_free_space_is_refused() {
	let dir = tempfile::tempdir().unwrap();
	let store = open(dir.path(), u64::MAX);
	let free = disk::available_space(dir.path()).unwrap();
	let too_big = free.saturating_add(1 << 40);
	match store.reserve([5u8; 32], too_big) {
		Err(StoreError::DiskFull { needed, free: reported, path }) => {
			assert_eq!(needed, too_big);
			assert!(reported < too_big);
			assert_eq!(path, dir.path());
		}
		other => panic!("unexpected {:?}", other.map(|_| ())),
	}
	assert_eq!(store.used_bytes(), 0);
	// Small reservations still fit.
	drop(store.reserve([5u8; 32], 1000).unwrap());
}

#[test]
fn committed_files_are_trusted_after_a_restart() {
	let dir = tempfile::tempdir().unwrap();
	let data = [7u8; 500];
	let model = {
		let store = open(dir.path(), 1 << 20);
		let model = put_partial(&store, &data);
		store.reserve(model, 500).unwrap().commit().unwrap();
		assert!(!store.needs_verification(&model));
		model
	};
	let store = open(dir.path(), 1 << 20);
	assert!(store.is_stored(&model));
	assert!(!store.needs_verification(&model));
	// Removed (evicted): the record goes too.
	assert!(store.remove(&model).unwrap());
	assert!(!store.record_path_of(&model).exists());
}

#[test]
fn piece_bitmaps_stay_with_their_partial_files() {
	let dir = tempfile::tempdir().unwrap();
	let store = open(dir.path(), 1 << 20);
	let good = b"stored model";
	let stored: ModelId = Sha256::digest(good).into();
	fs::write(store.path_of(&stored), good).unwrap();
	fs::write(store.pieces_path_of(&stored), [1u8]).unwrap();
	let partial = put_partial(&store, b"half");
	fs::write(store.pieces_path_of(&partial), [0u8]).unwrap();
	let orphan = [5u8; 32];
	fs::write(store.pieces_path_of(&orphan), [1u8]).unwrap();

	let mut report = store.scan().unwrap();
	report.removed.sort();
	let mut stale = vec![store.pieces_path_of(&stored), store.pieces_path_of(&orphan)];
	stale.sort();
	assert_eq!(report.removed, stale);
	assert!(report.ignored.is_empty(), "{:?}", report.ignored);
	assert!(store.pieces_path_of(&partial).exists());
	assert_eq!(store.partials().unwrap(), vec![partial]);
	// Removing a partial download removes its bitmap too.
	assert!(store.remove_partial(&partial).unwrap());
	assert!(!store.pieces_path_of(&partial).exists());
}

#[cfg(unix)]
#[test]
fn model_files_are_read_only_once_in_the_store() {
	use std::os::unix::fs::PermissionsExt;
	let mode = |path: &Path| fs::metadata(path).unwrap().permissions().mode() & 0o777;
	let dir = tempfile::tempdir().unwrap();
	// Downloaded: read-only once committed.
	let store = open(dir.path(), 1 << 20);
	let downloaded = put_partial(&store, &[7u8; 500]);
	assert_ne!(mode(&store.partial_path_of(&downloaded)), 0o444, "the partial file is written");
	let path = store.reserve(downloaded, 500).unwrap().commit().unwrap();
	assert_eq!(mode(&path), 0o444);
	// Placed by the operator: read-only once verified.
	let seeded_data = b"pre-seeded model";
	let seeded: ModelId = Sha256::digest(seeded_data).into();
	fs::write(store.path_of(&seeded), seeded_data).unwrap();
	fs::set_permissions(store.path_of(&seeded), fs::Permissions::from_mode(0o644)).unwrap();
	store.scan().unwrap();
	assert_eq!(mode(&store.path_of(&seeded)), 0o644, "not yet verified");
	assert!(store.verify(&seeded).unwrap());
	assert_eq!(mode(&store.path_of(&seeded)), 0o444);
	assert!(!store.needs_verification(&seeded), "the mode change keeps the record valid");
	// Verified and left writable (by an older version): read-only after the next scan.
	fs::set_permissions(&path, fs::Permissions::from_mode(0o644)).unwrap();
	drop(store);
	let store = open(dir.path(), 1 << 20);
	assert_eq!(mode(&path), 0o444);
	assert!(!store.needs_verification(&downloaded));
	// Read-only files can still be evicted.
	assert!(store.remove(&downloaded).unwrap() && !path.exists());
}
