//! Content-addressed model store with a disk budget.
//!
//! Layout under the store's root:
//!
//! - `models/<sha256-hex>`: verified model files, named by their SHA-256 (lowercase hex).
//! - `partial/<sha256-hex>.part`: downloads in progress. A partial file never counts as
//!   stored; it is promoted by an atomic rename once its hash has been verified.
//!
//! The budget (`max_bytes`) counts the sizes of the stored models plus the full declared
//! size of every download in progress (a [`Reservation`]), so parallel downloads cannot
//! overcommit the disk together.

use std::{
	collections::HashMap,
	fs::{self, File},
	io::{self, Read},
	path::{Path, PathBuf},
	sync::{Arc, Mutex, MutexGuard},
};

use sha2::{Digest, Sha256};

use crate::{error::StoreError, types::ModelId};

/// Directory of verified models, relative to the root.
const MODELS_DIR: &str = "models";
/// Directory of partial downloads, relative to the root.
const PARTIAL_DIR: &str = "partial";
/// Extension of partial downloads.
const PARTIAL_EXT: &str = ".part";
/// Read buffer used when hashing files.
const HASH_BUF: usize = 1 << 20;

/// Where the store lives and how much it may use.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StoreConfig {
	/// Root directory (created if missing).
	pub root: PathBuf,
	/// Disk budget in bytes: stored models plus downloads in progress.
	pub max_bytes: u64,
}

/// What [`ModelStore::scan`] found.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ScanReport {
	/// Stored models and their sizes.
	pub models: Vec<(ModelId, u64)>,
	/// Partial downloads kept for resumption, with their current lengths.
	pub partials: Vec<(ModelId, u64)>,
	/// Stray or invalid entries that were deleted.
	pub removed: Vec<PathBuf>,
}

#[derive(Default)]
struct State {
	/// Verified models on disk and their sizes.
	stored: HashMap<ModelId, u64>,
	/// Downloads in progress and the bytes reserved for them.
	reserved: HashMap<ModelId, u64>,
}

impl State {
	fn used(&self) -> u64 {
		self.stored.values().chain(self.reserved.values()).fold(0u64, |a, b| a.saturating_add(*b))
	}
}

/// A content-addressed directory of model files within a disk budget.
///
/// Cheap to share behind an [`Arc`]; all methods take `&self`. File-system methods block
/// and should run off the async runtime for large files ([`ModelStore::verify`]).
pub struct ModelStore {
	root: PathBuf,
	models_dir: PathBuf,
	partial_dir: PathBuf,
	max_bytes: u64,
	state: Mutex<State>,
}

impl ModelStore {
	/// Opens (creating if needed) the store and runs [`ModelStore::scan`].
	pub fn open(config: StoreConfig) -> Result<Self, StoreError> {
		let store = Self {
			models_dir: config.root.join(MODELS_DIR),
			partial_dir: config.root.join(PARTIAL_DIR),
			root: config.root,
			max_bytes: config.max_bytes,
			state: Mutex::new(State::default()),
		};
		let report = store.scan()?;
		log::info!(
			target: "modelnet",
			"model store {}: {} models ({} bytes), {} partial downloads, {} stray entries removed",
			store.root.display(),
			report.models.len(),
			store.stored_bytes(),
			report.partials.len(),
			report.removed.len(),
		);
		Ok(store)
	}

	fn state(&self) -> MutexGuard<'_, State> {
		// The state stays consistent even if a holder panicked: every update is a single
		// map operation.
		self.state.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
	}

	/// The store's root directory.
	pub fn root(&self) -> &Path {
		&self.root
	}

	/// The disk budget in bytes.
	pub fn max_bytes(&self) -> u64 {
		self.max_bytes
	}

	/// Path of a model's file once stored (whether or not it exists now).
	pub fn path_of(&self, model: &ModelId) -> PathBuf {
		self.models_dir.join(hex::encode(model))
	}

	/// Path of a model's partial download.
	pub fn partial_path_of(&self, model: &ModelId) -> PathBuf {
		self.partial_dir.join(format!("{}{PARTIAL_EXT}", hex::encode(model)))
	}

	/// Lists the store from disk and rebuilds the index of stored models.
	///
	/// Deletes entries that cannot be models: names that are not 64 lowercase hex digits,
	/// directories, symlinks, partial files of models already stored. Sizes and hashes are
	/// checked later: sizes against the chain by [`ModelStore::check`], contents by
	/// [`ModelStore::verify`]. Meant for start-up; downloads in progress keep their
	/// reservations.
	pub fn scan(&self) -> Result<ScanReport, StoreError> {
		for dir in [&self.models_dir, &self.partial_dir] {
			fs::create_dir_all(dir).map_err(|e| StoreError::io(dir, e))?;
		}
		let mut report = ScanReport::default();
		let mut state = self.state();
		let mut stored = HashMap::new();
		for (path, name, meta) in list_dir(&self.models_dir)? {
			match parse_model_id(&name) {
				Some(model) if meta.file_type().is_file() => {
					stored.insert(model, meta.len());
					report.models.push((model, meta.len()));
				}
				_ => remove_entry(&path, &meta, &mut report.removed),
			}
		}
		for (path, name, meta) in list_dir(&self.partial_dir)? {
			let model = name.strip_suffix(PARTIAL_EXT).and_then(parse_model_id);
			match model {
				Some(model) if state.reserved.contains_key(&model) => {}
				Some(model) if meta.file_type().is_file() && !stored.contains_key(&model) => {
					report.partials.push((model, meta.len()));
				}
				_ => remove_entry(&path, &meta, &mut report.removed),
			}
		}
		state.stored = stored;
		for path in &report.removed {
			log::warn!(target: "modelnet", "removed stray store entry {}", path.display());
		}
		Ok(report)
	}

	/// Whether the index lists the model as stored (no disk access).
	pub fn is_stored(&self, model: &ModelId) -> bool {
		self.state().stored.contains_key(model)
	}

	/// Checks on disk that the model is stored with the given size, and updates the index.
	///
	/// A file that is gone is dropped from the index; a file of the wrong size is deleted.
	/// Returns whether the model is present with the right size.
	pub fn check(&self, model: &ModelId, size: u64) -> bool {
		let path = self.path_of(model);
		let mut state = self.state();
		match fs::symlink_metadata(&path) {
			Ok(meta) if meta.file_type().is_file() && meta.len() == size => {
				state.stored.insert(*model, size);
				true
			}
			Ok(meta) => {
				log::warn!(
					target: "modelnet",
					"model file {} has {} bytes, declared {size}: deleting it",
					path.display(),
					meta.len(),
				);
				state.stored.remove(model);
				let mut removed = Vec::new();
				remove_entry(&path, &meta, &mut removed);
				false
			}
			Err(_) => {
				state.stored.remove(model);
				false
			}
		}
	}

	/// Stored models and their sizes, from the index.
	pub fn stored(&self) -> Vec<(ModelId, u64)> {
		self.state().stored.iter().map(|(m, s)| (*m, *s)).collect()
	}

	/// Bytes taken by stored models.
	pub fn stored_bytes(&self) -> u64 {
		self.state().stored.values().fold(0u64, |a, b| a.saturating_add(*b))
	}

	/// Bytes counted against the budget: stored models plus reserved downloads.
	pub fn used_bytes(&self) -> u64 {
		self.state().used()
	}

	/// Whether a download of the model holds a reservation.
	pub fn is_reserved(&self, model: &ModelId) -> bool {
		self.state().reserved.contains_key(model)
	}

	/// Reserves `size` bytes of the budget for downloading `model`.
	///
	/// Fails with [`StoreError::BudgetExceeded`] if the stored models plus the downloads in
	/// progress plus `size` would exceed the budget, and with [`StoreError::Busy`] if the
	/// model is already stored or being downloaded. The reservation is released when the
	/// returned guard is dropped, or turned into a stored model by
	/// [`Reservation::commit`].
	pub fn reserve(self: &Arc<Self>, model: ModelId, size: u64) -> Result<Reservation, StoreError> {
		let mut state = self.state();
		if state.stored.contains_key(&model) || state.reserved.contains_key(&model) {
			return Err(StoreError::Busy(hex::encode(model)));
		}
		let used = state.used();
		let available = self.max_bytes.saturating_sub(used);
		if size > available {
			return Err(StoreError::BudgetExceeded {
				needed: size,
				available,
				max: self.max_bytes,
			});
		}
		state.reserved.insert(model, size);
		Ok(Reservation { store: Arc::clone(self), model, size, committed: false })
	}

	/// Deletes a stored model (eviction). Returns whether a file was deleted.
	pub fn remove(&self, model: &ModelId) -> Result<bool, StoreError> {
		let path = self.path_of(model);
		let mut state = self.state();
		state.stored.remove(model);
		remove_file_if_exists(&path)
	}

	/// Deletes a model's partial download. Returns whether a file was deleted.
	pub fn remove_partial(&self, model: &ModelId) -> Result<bool, StoreError> {
		remove_file_if_exists(&self.partial_path_of(model))
	}

	/// Models that have a partial download on disk.
	pub fn partials(&self) -> Result<Vec<ModelId>, StoreError> {
		Ok(list_dir(&self.partial_dir)?
			.into_iter()
			.filter_map(|(_, name, _)| name.strip_suffix(PARTIAL_EXT).and_then(parse_model_id))
			.collect())
	}

	/// Re-hashes a stored model's file and compares with its id (blocking; reads the whole
	/// file). A file that does not match is deleted. Returns whether the file is intact;
	/// `false` if it does not exist.
	pub fn verify(&self, model: &ModelId) -> Result<bool, StoreError> {
		let path = self.path_of(model);
		let digest = match sha256_file(&path) {
			Ok(digest) => digest,
			Err(e) if e.kind() == io::ErrorKind::NotFound => {
				self.state().stored.remove(model);
				return Ok(false);
			}
			Err(e) => return Err(StoreError::io(&path, e)),
		};
		if &digest == model {
			return Ok(true);
		}
		log::warn!(
			target: "modelnet",
			"model file {} is corrupt (hashes to {}): deleting it",
			path.display(),
			hex::encode(digest),
		);
		self.remove(model)?;
		Ok(false)
	}

	/// Promotes a verified partial download to the models directory.
	fn commit(&self, model: &ModelId, size: u64) -> Result<PathBuf, StoreError> {
		let from = self.partial_path_of(model);
		let to = self.path_of(model);
		{
			// Rename under the lock so that a concurrent scan sees either state.
			let mut state = self.state();
			fs::rename(&from, &to).map_err(|e| StoreError::io(&to, e))?;
			state.reserved.remove(model);
			state.stored.insert(*model, size);
		}
		// Make the rename durable; failure here only weakens crash safety.
		if let Err(e) = File::open(&self.models_dir).and_then(|dir| dir.sync_all()) {
			log::debug!(target: "modelnet", "fsync of {} failed: {e}", self.models_dir.display());
		}
		Ok(to)
	}

	fn release(&self, model: &ModelId) {
		self.state().reserved.remove(model);
	}
}

/// Budget held by a download in progress.
///
/// Dropping it releases the reserved bytes (the partial file, if any, stays on disk for a
/// later resumption unless deleted).
pub struct Reservation {
	store: Arc<ModelStore>,
	model: ModelId,
	size: u64,
	committed: bool,
}

impl Reservation {
	/// The model being downloaded.
	pub fn model(&self) -> &ModelId {
		&self.model
	}

	/// The reserved (declared) size.
	pub fn size(&self) -> u64 {
		self.size
	}

	/// Path of the partial file to write.
	pub fn partial_path(&self) -> PathBuf {
		self.store.partial_path_of(&self.model)
	}

	/// Atomically renames the verified partial file into the store; the model now counts as
	/// stored. The caller must have verified the partial file's hash and size.
	pub fn commit(mut self) -> Result<PathBuf, StoreError> {
		let path = self.store.commit(&self.model, self.size)?;
		self.committed = true;
		Ok(path)
	}
}

impl Drop for Reservation {
	fn drop(&mut self) {
		if !self.committed {
			self.store.release(&self.model);
		}
	}
}

/// SHA-256 of a whole file, read in 1 MiB blocks (blocking).
pub fn sha256_file(path: &Path) -> io::Result<[u8; 32]> {
	let mut file = File::open(path)?;
	let len = file.metadata()?.len();
	Ok(hash_prefix(&mut file, len)?.finalize().into())
}

/// Hashes the first `len` bytes of `file` (from its current position); the returned
/// state can be continued with more bytes.
pub(crate) fn hash_prefix(file: &mut File, len: u64) -> io::Result<Sha256> {
	let mut hasher = Sha256::new();
	let mut buf = vec![0u8; HASH_BUF];
	let mut left = len;
	while left > 0 {
		let want = usize::try_from(left.min(HASH_BUF as u64)).unwrap_or(HASH_BUF);
		let n = file.read(&mut buf[..want])?;
		if n == 0 {
			return Err(io::Error::new(io::ErrorKind::UnexpectedEof, "file shorter than expected"));
		}
		hasher.update(&buf[..n]);
		left -= n as u64;
	}
	Ok(hasher)
}

/// Parses a lowercase 64-digit hex name into a model id.
fn parse_model_id(name: &str) -> Option<ModelId> {
	if name.len() != 64 || !name.bytes().all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b)) {
		return None;
	}
	let mut model = [0u8; 32];
	hex::decode_to_slice(name, &mut model).ok()?;
	Some(model)
}

type DirEntryInfo = (PathBuf, String, fs::Metadata);

/// Lists a directory without following symlinks; unreadable names map to an empty string
/// (and are therefore treated as stray).
fn list_dir(dir: &Path) -> Result<Vec<DirEntryInfo>, StoreError> {
	let mut entries = Vec::new();
	for entry in fs::read_dir(dir).map_err(|e| StoreError::io(dir, e))? {
		let entry = entry.map_err(|e| StoreError::io(dir, e))?;
		let path = entry.path();
		let meta = fs::symlink_metadata(&path).map_err(|e| StoreError::io(&path, e))?;
		let name = entry.file_name().into_string().unwrap_or_default();
		entries.push((path, name, meta));
	}
	Ok(entries)
}

/// Deletes a stray entry (never follows symlinks), logging failures.
fn remove_entry(path: &Path, meta: &fs::Metadata, removed: &mut Vec<PathBuf>) {
	let result =
		if meta.file_type().is_dir() { fs::remove_dir_all(path) } else { fs::remove_file(path) };
	match result {
		Ok(()) => removed.push(path.to_path_buf()),
		Err(e) => log::warn!(target: "modelnet", "cannot remove {}: {e}", path.display()),
	}
}

fn remove_file_if_exists(path: &Path) -> Result<bool, StoreError> {
	match fs::remove_file(path) {
		Ok(()) => Ok(true),
		Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(false),
		Err(e) => Err(StoreError::io(path, e)),
	}
}

#[cfg(test)]
mod tests {
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
	fn scan_removes_strays_and_keeps_partials() {
		let dir = tempfile::tempdir().unwrap();
		let store = open(dir.path(), 1 << 20);
		let good = b"hello model";
		let model: ModelId = Sha256::digest(good).into();
		fs::write(store.path_of(&model), good).unwrap();
		fs::write(dir.path().join("models/not-a-model"), b"x").unwrap();
		fs::write(dir.path().join("models").join("AB".repeat(32)), b"x").unwrap();
		fs::create_dir(dir.path().join("models").join("cd".repeat(32))).unwrap();
		fs::write(store.partial_path_of(&model), b"stale partial of stored model").unwrap();
		let other = [9u8; 32];
		fs::write(store.partial_path_of(&other), b"half").unwrap();
		fs::write(dir.path().join("partial/junk.tmp"), b"x").unwrap();

		let report = store.scan().unwrap();
		assert_eq!(report.models, vec![(model, good.len() as u64)]);
		assert_eq!(report.partials, vec![(other, 4)]);
		assert_eq!(report.removed.len(), 5);
		assert_eq!(store.partials().unwrap(), vec![other]);
		assert!(store.verify(&model).unwrap());
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
	fn sha256_file_matches_in_memory_digest() {
		let dir = tempfile::tempdir().unwrap();
		let path = dir.path().join("f");
		let data: Vec<u8> = (0..3_000_000u32).map(|i| (i * 7 % 251) as u8).collect();
		fs::write(&path, &data).unwrap();
		let expected: [u8; 32] = Sha256::digest(&data).into();
		assert_eq!(sha256_file(&path).unwrap(), expected);
	}
}
