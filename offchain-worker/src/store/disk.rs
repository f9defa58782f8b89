//! File-system helpers of the store: names, listing, hashing, free space and locking.

use std::{
	fs::{self, File, OpenOptions},
	io::{self, Read},
	path::{Path, PathBuf},
};

use sha2::{Digest, Sha256};

use crate::{error::StoreError, types::ModelId};

/// Read buffer used when hashing files.
const HASH_BUF: usize = 1 << 20;

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

/// Parses a store name (64 lowercase hex digits) into a model id.
pub(super) fn parse_model_id(name: &str) -> Option<ModelId> {
	if name.len() != 64 || !name.bytes().all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b)) {
		return None;
	}
	let mut model = [0u8; 32];
	hex::decode_to_slice(name, &mut model).ok()?;
	Some(model)
}

/// A directory entry: path, name (empty if not UTF-8) and metadata (not following
/// symlinks).
pub(super) type DirEntryInfo = (PathBuf, String, fs::Metadata);

/// Lists a directory without following symlinks.
pub(super) fn list_dir(dir: &Path) -> Result<Vec<DirEntryInfo>, StoreError> {
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

/// Deletes a file; `Ok(false)` if it did not exist.
pub(super) fn remove_file_if_exists(path: &Path) -> Result<bool, StoreError> {
	match fs::remove_file(path) {
		Ok(()) => Ok(true),
		Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(false),
		Err(e) => Err(StoreError::io(path, e)),
	}
}

/// Length of a regular file, `0` if it is missing or not a regular file.
pub(super) fn file_len(path: &Path) -> u64 {
	fs::symlink_metadata(path).ok().filter(|m| m.file_type().is_file()).map_or(0, |m| m.len())
}

/// Mode of a model file in the store: read-only for everyone (the external engine, which
/// reads it, must not write it).
#[cfg(unix)]
pub(super) const MODEL_FILE_MODE: u32 = 0o444;

/// Makes a verified model file read-only ([`MODEL_FILE_MODE`]); a failure is logged (the file
/// stays usable).
pub(super) fn make_read_only(path: &Path) {
	#[cfg(unix)]
	let permissions = {
		use std::os::unix::fs::PermissionsExt;
		fs::Permissions::from_mode(MODEL_FILE_MODE)
	};
	#[cfg(not(unix))]
	let permissions = {
		let mut permissions = match fs::metadata(path) {
			Ok(meta) => meta.permissions(),
			Err(_) => return,
		};
		permissions.set_readonly(true);
		permissions
	};
	if let Err(e) = fs::set_permissions(path, permissions) {
		log::warn!(target: "modelnet", "cannot make {} read-only: {e}", path.display());
	}
}

/// Whether a file's mode lets anyone write it.
pub(super) fn is_writable(meta: &fs::Metadata) -> bool {
	#[cfg(unix)]
	{
		use std::os::unix::fs::PermissionsExt;
		meta.permissions().mode() & 0o222 != 0
	}
	#[cfg(not(unix))]
	{
		!meta.permissions().readonly()
	}
}

/// Bytes an unprivileged user may still write on the file system holding `path`.
#[cfg(unix)]
pub(super) fn available_space(path: &Path) -> io::Result<u64> {
	use std::{ffi::CString, os::unix::ffi::OsStrExt};
	let c_path = CString::new(path.as_os_str().as_bytes())
		.map_err(|e| io::Error::new(io::ErrorKind::InvalidInput, e))?;
	// SAFETY: an all-zero `statvfs` is a valid value (plain integers).
	let mut stat: libc::statvfs = unsafe { std::mem::zeroed() };
	// SAFETY: `c_path` is a valid NUL-terminated string and `stat` is writable.
	let rc = unsafe { libc::statvfs(c_path.as_ptr(), &mut stat) };
	if rc != 0 {
		return Err(io::Error::last_os_error());
	}
	#[allow(clippy::useless_conversion)] // The field types differ between platforms.
	Ok(u64::from(stat.f_bavail).saturating_mul(u64::from(stat.f_frsize)))
}

/// Bytes still free on the file system holding `path` (unknown here: unlimited).
#[cfg(not(unix))]
pub(super) fn available_space(_path: &Path) -> io::Result<u64> {
	Ok(u64::MAX)
}

/// Creates (if needed) and locks the store's lock file: an exclusive advisory lock held
/// as long as the returned file is open, so that two nodes cannot share a store.
pub(super) fn lock(path: &Path) -> Result<File, StoreError> {
	let file = OpenOptions::new()
		.create(true)
		.truncate(false)
		.write(true)
		.open(path)
		.map_err(|e| StoreError::io(path, e))?;
	match file.try_lock() {
		Ok(()) => Ok(file),
		Err(fs::TryLockError::WouldBlock) => Err(StoreError::Locked { path: path.to_path_buf() }),
		Err(fs::TryLockError::Error(e)) => Err(StoreError::io(path, e)),
	}
}

#[cfg(test)]
mod tests {
	use super::*;

	#[test]
	fn sha256_file_matches_in_memory_digest() {
		let dir = tempfile::tempdir().unwrap();
		let path = dir.path().join("f");
		let data: Vec<u8> = (0..3_000_000u32).map(|i| (i * 7 % 251) as u8).collect();
		fs::write(&path, &data).unwrap();
		let expected: [u8; 32] = Sha256::digest(&data).into();
		assert_eq!(sha256_file(&path).unwrap(), expected);
	}

	#[test]
	fn store_names() {
		assert_eq!(parse_model_id(&"ab".repeat(32)), Some([0xab; 32]));
		assert_eq!(parse_model_id(&"AB".repeat(32)), None);
		assert_eq!(parse_model_id(&"ab".repeat(31)), None);
		assert_eq!(parse_model_id(&format!("{}.part", "ab".repeat(32))), None);
		assert_eq!(parse_model_id("notes.txt"), None);
	}

	#[test]
	fn reports_free_space() {
		let dir = tempfile::tempdir().unwrap();
		assert!(available_space(dir.path()).unwrap() > 0);
		assert!(available_space(&dir.path().join("missing")).is_err());
	}
}
