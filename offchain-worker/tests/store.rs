//! Model store: ownership of files, locking and verification records across restarts.

mod common;

use std::fs;

use common::{open_store, sha256, test_data};
use filetime::FileTime;
use modelnet_offchain_worker::{ModelStore, StoreConfig, StoreError};

#[test]
fn opening_a_directory_with_other_data_deletes_nothing() {
	let dir = tempfile::tempdir().unwrap();
	let root = dir.path();
	let unrelated = [
		root.join("README.txt"),
		root.join("photos/cat.jpg"),
		root.join("models/notes.txt"),
		root.join("models/weights.safetensors"),
		root.join("models").join("AB".repeat(32)),
		root.join("partial/download.tmp"),
		root.join("partial").join("ab".repeat(32)),
		root.join("verified/keep-me"),
	];
	for path in &unrelated {
		fs::create_dir_all(path.parent().unwrap()).unwrap();
		fs::write(path, b"precious").unwrap();
	}
	fs::create_dir_all(root.join("models").join("cd".repeat(32)).join("inner")).unwrap();

	let store = open_store(root, 1 << 20);
	let report = store.scan().unwrap();

	for path in &unrelated {
		assert_eq!(fs::read(path).unwrap(), b"precious", "{}", path.display());
	}
	assert!(root.join("models").join("cd".repeat(32)).join("inner").is_dir());
	assert!(report.removed.is_empty(), "{:?}", report.removed);
	assert!(report.models.is_empty() && report.partials.is_empty());
	assert_eq!(report.ignored.len(), 7, "{:?}", report.ignored);
	assert_eq!(store.used_bytes(), 0);
}

#[test]
fn a_second_node_cannot_open_the_same_store() {
	let dir = tempfile::tempdir().unwrap();
	let _first = open_store(dir.path(), 1 << 20);
	let err = ModelStore::open(StoreConfig { root: dir.path().to_path_buf(), max_bytes: 1 })
		.err()
		.expect("the store is locked");
	assert!(matches!(err, StoreError::Locked { .. }), "{err}");
	assert!(err.to_string().contains(&dir.path().display().to_string()), "{err}");
}

#[test]
fn changed_files_need_verification_after_a_restart() {
	let dir = tempfile::tempdir().unwrap();
	let data = test_data(100_000, 30);
	let model = sha256(&data);
	let path = {
		let store = open_store(dir.path(), 1 << 30);
		let path = store.path_of(&model);
		// Dropped into the store by hand: unknown until verified.
		fs::write(&path, &data).unwrap();
		assert!(store.check(&model, data.len() as u64));
		assert!(store.needs_verification(&model));
		assert!(store.verify(&model).unwrap());
		assert!(!store.needs_verification(&model));
		path
	};

	// A clean restart trusts the file.
	let store = open_store(dir.path(), 1 << 30);
	assert!(!store.needs_verification(&model));
	assert!(!store.scan().unwrap().unverified.contains(&model));
	drop(store);

	// Corrupt it keeping its size; give it a different mtime (coarse clocks could
	// otherwise keep the old one).
	let mtime = FileTime::from_last_modification_time(&fs::metadata(&path).unwrap());
	let mut corrupt = data.clone();
	corrupt[50_000] ^= 0xff;
	fs::write(&path, &corrupt).unwrap();
	let earlier = FileTime::from_unix_time(mtime.unix_seconds() - 3600, mtime.nanoseconds());
	filetime::set_file_mtime(&path, earlier).unwrap();

	let store = open_store(dir.path(), 1 << 30);
	assert!(store.is_stored(&model));
	assert!(store.needs_verification(&model));
	assert_eq!(store.scan().unwrap().unverified, vec![model]);
	assert!(!store.verify(&model).unwrap(), "the corrupt file fails verification");
	assert!(!path.exists() && !store.is_stored(&model));
	assert!(!store.needs_verification(&model));
}
