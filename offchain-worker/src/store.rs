//! Content-addressed model store with a disk budget.
//!
//! Layout under the store's root:
//!
//! - `models/<sha256-hex>`: model files, named by their SHA-256 (lowercase hex).
//! - `partial/<sha256-hex>.part`: downloads in progress. A partial file never counts as
//!   stored; it is promoted by an atomic rename once its hash has been verified.
//! - `verified/<sha256-hex>`: size and mtime of a model file when its hash was last
//!   checked. A file without a matching record must be re-hashed before it is used
//!   ([`ModelStore::needs_verification`]).
//! - `.modelnet-store.lock`: locked while the store is open, so two nodes cannot share it.
//!
//! Only regular files with these names belong to the store: anything else under the root
//! (other files, directories, symlinks, other names) is left alone, so pointing the store
//! at a directory with other data deletes nothing of it.
//!
//! The budget (`max_bytes`) counts the sizes of the stored models, the full declared size
//! of every download in progress (a [`Reservation`]) and leftover partial files, so
//! parallel downloads cannot overcommit the disk together. A reservation also needs the
//! file system's free space to hold what is still to be written.

mod disk;
mod verified;

use std::{
	collections::{HashMap, HashSet},
	fs::{self, File},
	io,
	path::{Path, PathBuf},
	sync::{Arc, Mutex, MutexGuard},
};

pub(crate) use self::disk::hash_prefix;
pub use self::disk::sha256_file;
use self::{
	disk::{
		available_space, file_len, is_writable, list_dir, lock, make_read_only, parse_model_id,
		remove_file_if_exists,
	},
	verified::Stamp,
};
use crate::{error::StoreError, types::ModelId};

/// Directory of model files, relative to the root.
const MODELS_DIR: &str = "models";
/// Directory of partial downloads, relative to the root.
const PARTIAL_DIR: &str = "partial";
/// Directory of verification records, relative to the root.
const VERIFIED_DIR: &str = "verified";
/// Extension of partial downloads.
const PARTIAL_EXT: &str = ".part";
/// Extension of the verified-pieces bitmaps of piece-wise downloads.
const PIECES_EXT: &str = ".pieces";
/// Lock file, relative to the root.
const LOCK_FILE: &str = ".modelnet-store.lock";

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
	/// Store files that were deleted: partial files of models already stored, records of
	/// models no longer stored.
	pub removed: Vec<PathBuf>,
	/// Entries that are not the store's (other names, directories, symlinks): left alone.
	pub ignored: Vec<PathBuf>,
	/// Stored models without a matching verification record: to be re-hashed
	/// ([`ModelStore::verify`]) before use.
	pub unverified: Vec<ModelId>,
}

#[derive(Default)]
struct State {
	/// Model files on disk and their sizes.
	stored: HashMap<ModelId, u64>,
	/// Downloads in progress and the bytes reserved for them.
	reserved: HashMap<ModelId, u64>,
	/// Partial files on disk without a reservation, and their lengths.
	partials: HashMap<ModelId, u64>,
	/// Stored models whose contents are not known to be intact.
	unverified: HashSet<ModelId>,
}

impl State {
	fn used(&self) -> u64 {
		self.stored
			.values()
			.chain(self.reserved.values())
			.chain(self.partials.values())
			.fold(0u64, |a, b| a.saturating_add(*b))
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
	verified_dir: PathBuf,
	max_bytes: u64,
	state: Mutex<State>,
	/// Holds the store's lock while open.
	_lock: File,
}

impl ModelStore {
	/// Opens (creating if needed) the store, locks it and runs [`ModelStore::scan`].
	///
	/// Fails with [`StoreError::Locked`] if another process (another node) has it open.
	pub fn open(config: StoreConfig) -> Result<Self, StoreError> {
		let root = config.root;
		fs::create_dir_all(&root).map_err(|e| StoreError::io(&root, e))?;
		let lock = lock(&root.join(LOCK_FILE))?;
		let store = Self {
			models_dir: root.join(MODELS_DIR),
			partial_dir: root.join(PARTIAL_DIR),
			verified_dir: root.join(VERIFIED_DIR),
			root,
			max_bytes: config.max_bytes,
			state: Mutex::new(State::default()),
			_lock: lock,
		};
		let report = store.scan()?;
		log::info!(
			target: "modelnet",
			"model store {}: {} models ({} bytes, {} to re-hash), {} partial downloads, \
			 {} stale entries removed, {} foreign entries left alone",
			store.root.display(),
			report.models.len(),
			store.stored_bytes(),
			report.unverified.len(),
			report.partials.len(),
			report.removed.len(),
			report.ignored.len(),
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

	/// Path of the verified-pieces bitmap of a model's piece-wise download (one byte per
	/// piece, next to the partial file).
	pub fn pieces_path_of(&self, model: &ModelId) -> PathBuf {
		self.partial_dir.join(format!("{}{PIECES_EXT}", hex::encode(model)))
	}

	fn record_path_of(&self, model: &ModelId) -> PathBuf {
		self.verified_dir.join(hex::encode(model))
	}

	/// Lists the store from disk and rebuilds its index.
	///
	/// Only regular files named like store files are the store's; anything else is left
	/// alone and logged. Deletes partial files of models already stored and verification
	/// records of models no longer stored. A model file whose size and mtime do not match
	/// its verification record is marked unverified. Sizes are checked later against the
	/// chain by [`ModelStore::check`]. Meant for start-up; downloads in progress keep their
	/// reservations.
	pub fn scan(&self) -> Result<ScanReport, StoreError> {
		for dir in [&self.models_dir, &self.partial_dir, &self.verified_dir] {
			fs::create_dir_all(dir).map_err(|e| StoreError::io(dir, e))?;
		}
		let mut report = ScanReport::default();
		let mut state = self.state();
		let mut stored = HashMap::new();
		let mut unverified = HashSet::new();
		for (path, name, meta) in list_dir(&self.models_dir)? {
			match parse_model_id(&name) {
				Some(model) if meta.file_type().is_file() => {
					stored.insert(model, meta.len());
					report.models.push((model, meta.len()));
					if !verified::matches(&self.record_path_of(&model), Stamp::of(&meta)) {
						unverified.insert(model);
						report.unverified.push(model);
					} else if is_writable(&meta) {
						// Verified by a version that left model files writable.
						make_read_only(&path);
					}
				}
				_ => report.ignored.push(path),
			}
		}
		let mut partials = HashMap::new();
		let mut bitmaps = Vec::new();
		for (path, name, meta) in list_dir(&self.partial_dir)? {
			if let Some(model) = name.strip_suffix(PIECES_EXT).and_then(parse_model_id) {
				// A piece-wise download's bitmap: kept with its partial file.
				if meta.file_type().is_file() {
					bitmaps.push((model, path));
				} else {
					report.ignored.push(path);
				}
				continue;
			}
			let model = name.strip_suffix(PARTIAL_EXT).and_then(parse_model_id);
			match model {
				Some(model) if state.reserved.contains_key(&model) => {}
				Some(model) if meta.file_type().is_file() => {
					if stored.contains_key(&model) {
						remove_stale(&path, &mut report.removed);
					} else {
						partials.insert(model, meta.len());
						report.partials.push((model, meta.len()));
					}
				}
				_ => report.ignored.push(path),
			}
		}
		for (model, path) in bitmaps {
			let downloading = partials.contains_key(&model) || state.reserved.contains_key(&model);
			if !downloading {
				remove_stale(&path, &mut report.removed);
			}
		}
		for (path, name, meta) in list_dir(&self.verified_dir)? {
			match parse_model_id(&name) {
				Some(model) if meta.file_type().is_file() => {
					if !stored.contains_key(&model) {
						remove_stale(&path, &mut report.removed);
					}
				}
				_ => report.ignored.push(path),
			}
		}
		state.stored = stored;
		state.partials = partials;
		state.unverified = unverified;
		for path in &report.ignored {
			log::warn!(
				target: "modelnet",
				"{} is not a model store file: left alone",
				path.display(),
			);
		}
		Ok(report)
	}

	/// Whether the index lists the model as stored (no disk access).
	pub fn is_stored(&self, model: &ModelId) -> bool {
		self.state().stored.contains_key(model)
	}

	/// Whether a stored model's file must be re-hashed ([`ModelStore::verify`]) before it is
	/// used or confirmed: it has no verification record matching its current size and
	/// mtime (found at start-up, or appeared behind the store's back). `false` for a model
	/// that is not stored.
	pub fn needs_verification(&self, model: &ModelId) -> bool {
		self.state().unverified.contains(model)
	}

	/// Checks on disk that the model is stored with the given size, and updates the index.
	///
	/// A file that is gone is dropped from the index; a file of the wrong size is deleted.
	/// A file new to the index without a matching verification record is marked as needing
	/// verification. Returns whether the model is present with the right size.
	pub fn check(&self, model: &ModelId, size: u64) -> bool {
		let path = self.path_of(model);
		let mut state = self.state();
		match fs::symlink_metadata(&path) {
			Ok(meta) if meta.file_type().is_file() && meta.len() == size => {
				if state.stored.insert(*model, size).is_none()
					&& !verified::matches(&self.record_path_of(model), Stamp::of(&meta))
				{
					state.unverified.insert(*model);
				}
				true
			}
			Ok(meta) if meta.file_type().is_file() => {
				log::warn!(
					target: "modelnet",
					"model file {} has {} bytes, declared {size}: deleting it",
					path.display(),
					meta.len(),
				);
				self.forget(&mut state, model);
				if let Err(e) = fs::remove_file(&path) {
					log::warn!(target: "modelnet", "cannot remove {}: {e}", path.display());
				}
				false
			}
			Ok(_) => {
				log::warn!(target: "modelnet", "{} is not a regular file", path.display());
				self.forget(&mut state, model);
				false
			}
			Err(_) => {
				self.forget(&mut state, model);
				false
			}
		}
	}

	/// Drops a model from the index and deletes its verification record.
	fn forget(&self, state: &mut State, model: &ModelId) {
		state.stored.remove(model);
		state.unverified.remove(model);
		let _ = remove_file_if_exists(&self.record_path_of(model));
	}

	/// Stored models and their sizes, from the index.
	pub fn stored(&self) -> Vec<(ModelId, u64)> {
		self.state().stored.iter().map(|(m, s)| (*m, *s)).collect()
	}

	/// Bytes taken by stored models.
	pub fn stored_bytes(&self) -> u64 {
		self.state().stored.values().fold(0u64, |a, b| a.saturating_add(*b))
	}

	/// Bytes counted against the budget: stored models, reserved downloads and leftover
	/// partial files.
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
	/// progress plus leftover partial files plus `size` would exceed the budget, with
	/// [`StoreError::DiskFull`] if the file system lacks the free space for what this and
	/// the other downloads in progress still have to write, and with [`StoreError::Busy`]
	/// if the model is already stored or being downloaded. The reservation is released
	/// when the returned guard is dropped, or turned into a stored model by
	/// [`Reservation::commit`].
	pub fn reserve(self: &Arc<Self>, model: ModelId, size: u64) -> Result<Reservation, StoreError> {
		let mut state = self.state();
		if state.stored.contains_key(&model) || state.reserved.contains_key(&model) {
			return Err(StoreError::Busy(hex::encode(model)));
		}
		// The model's own leftover partial file is part of the reservation.
		let used = state.used().saturating_sub(state.partials.get(&model).copied().unwrap_or(0));
		let available = self.max_bytes.saturating_sub(used);
		if size > available {
			return Err(StoreError::BudgetExceeded {
				needed: size,
				available,
				max: self.max_bytes,
			});
		}
		let to_write =
			|m: &ModelId, size: u64| size.saturating_sub(file_len(&self.partial_path_of(m)));
		let needed = state
			.reserved
			.iter()
			.map(|(m, s)| to_write(m, *s))
			.fold(to_write(&model, size), |a, b| a.saturating_add(b));
		match available_space(&self.root) {
			Ok(free) if free < needed => {
				return Err(StoreError::DiskFull { path: self.root.clone(), needed, free })
			}
			Ok(_) => {}
			Err(e) => {
				log::debug!(target: "modelnet", "free space of {}: {e}", self.root.display())
			}
		}
		state.partials.remove(&model);
		state.reserved.insert(model, size);
		Ok(Reservation { store: Arc::clone(self), model, size, committed: false })
	}

	/// Deletes a stored model (eviction). Returns whether a file was deleted.
	pub fn remove(&self, model: &ModelId) -> Result<bool, StoreError> {
		let path = self.path_of(model);
		let mut state = self.state();
		self.forget(&mut state, model);
		remove_file_if_exists(&path)
	}

	/// Deletes a model's partial download. Returns whether a file was deleted.
	pub fn remove_partial(&self, model: &ModelId) -> Result<bool, StoreError> {
		let removed = remove_file_if_exists(&self.partial_path_of(model))?;
		self.remove_piece_bitmap(model)?;
		self.state().partials.remove(model);
		Ok(removed)
	}

	/// Deletes the verified-pieces bitmap of a model's piece-wise download, if any.
	pub fn remove_piece_bitmap(&self, model: &ModelId) -> Result<bool, StoreError> {
		remove_file_if_exists(&self.pieces_path_of(model))
	}

	/// Models that have a partial download on disk.
	pub fn partials(&self) -> Result<Vec<ModelId>, StoreError> {
		Ok(list_dir(&self.partial_dir)?
			.into_iter()
			.filter(|(_, _, meta)| meta.file_type().is_file())
			.filter_map(|(_, name, _)| name.strip_suffix(PARTIAL_EXT).and_then(parse_model_id))
			.collect())
	}

	/// Re-hashes a stored model's file and compares with its id (blocking; reads the whole
	/// file). An intact file gets a verification record (it no longer
	/// [needs verification](ModelStore::needs_verification)); a file that does not match is
	/// deleted. Returns whether the file is intact; `false` if it does not exist.
	pub fn verify(&self, model: &ModelId) -> Result<bool, StoreError> {
		let path = self.path_of(model);
		let before = Stamp::of_path(&path);
		let digest = match sha256_file(&path) {
			Ok(digest) => digest,
			Err(e) if e.kind() == io::ErrorKind::NotFound => {
				let mut state = self.state();
				self.forget(&mut state, model);
				return Ok(false);
			}
			Err(e) => return Err(StoreError::io(&path, e)),
		};
		if &digest == model {
			// Record only if the file did not change while it was hashed.
			match before.filter(|b| Stamp::of_path(&path) == Some(*b)) {
				Some(stamp) => self.record_verified(model, stamp),
				None => log::debug!(target: "modelnet", "{} changed while hashed", path.display()),
			}
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

	/// Records that the model's file, as described by `stamp`, is intact, and makes it
	/// read-only (its mode changes, not its mtime, so the stamp still matches).
	fn record_verified(&self, model: &ModelId, stamp: Stamp) {
		make_read_only(&self.path_of(model));
		let record = self.record_path_of(model);
		match verified::write(&record, stamp) {
			Ok(()) => {
				self.state().unverified.remove(model);
			}
			Err(e) => log::warn!(target: "modelnet", "cannot write {}: {e}", record.display()),
		}
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
			state.unverified.remove(model);
		}
		// Make the rename durable; failure here only weakens crash safety.
		if let Err(e) = File::open(&self.models_dir).and_then(|dir| dir.sync_all()) {
			log::debug!(target: "modelnet", "fsync of {} failed: {e}", self.models_dir.display());
		}
		if let Some(stamp) = Stamp::of_path(&to) {
			self.record_verified(model, stamp);
		}
		Ok(to)
	}

	fn release(&self, model: &ModelId) {
		let mut state = self.state();
		state.reserved.remove(model);
		// A partial file left for a later resumption still takes space.
		let left = file_len(&self.partial_path_of(model));
		if left > 0 {
			state.partials.insert(*model, left);
		}
	}
}

/// Budget held by a download in progress.
///
/// Dropping it releases the reserved bytes (the partial file, if any, stays on disk for a
/// later resumption unless deleted, and counts against the budget with its length).
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
	/// stored (and verified). The caller must have verified the partial file's hash and
	/// size.
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

/// Deletes a stale store file, logging failures.
fn remove_stale(path: &Path, removed: &mut Vec<PathBuf>) {
	match fs::remove_file(path) {
		Ok(()) => {
			log::info!(target: "modelnet", "removed stale store file {}", path.display());
			removed.push(path.to_path_buf());
		}
		Err(e) => log::warn!(target: "modelnet", "cannot remove {}: {e}", path.display()),
	}
}

#[cfg(test)]
mod tests;
