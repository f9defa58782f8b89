//! The blocking half of a download: writes chunks to the partial file and hashes them.
//!
//! The async half receives the body and hands fixed-size chunks over a bounded channel,
//! so network receive, disk write and SHA-256 overlap while memory stays bounded
//! (`WRITE_QUEUE` chunks of `CHUNK` bytes per download).

use std::{
	fs::{File, OpenOptions},
	io::{self, Seek, SeekFrom, Write},
	path::{Path, PathBuf},
	time::Instant,
};

use sha2::{Digest, Sha256};
use tokio::{sync::mpsc, task::JoinHandle};

use crate::store::hash_prefix;

/// Size of the chunks handed to the writer.
pub(super) const CHUNK: usize = 256 * 1024;
/// Chunks that may wait for the writer.
const WRITE_QUEUE: usize = 2;

/// Hash state of the partial file's prefix: the first `offset` bytes on disk hash to
/// `hasher`'s state.
#[derive(Clone)]
pub(super) struct Resume {
	/// SHA-256 state over the bytes on disk.
	pub hasher: Sha256,
	/// Bytes on disk.
	pub offset: u64,
}

impl Resume {
	/// State of an empty partial file.
	pub fn fresh() -> Self {
		Self { hasher: Sha256::new(), offset: 0 }
	}
}

/// Reads an existing partial file back into a hash state (blocking).
///
/// A missing file gives a fresh state; a file longer than `size` is deleted.
pub(super) fn load_partial(path: &Path, size: u64) -> io::Result<Resume> {
	let mut file = match File::open(path) {
		Ok(file) => file,
		Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(Resume::fresh()),
		Err(e) => return Err(e),
	};
	let len = file.metadata()?.len();
	if len > size {
		drop(file);
		std::fs::remove_file(path)?;
		return Ok(Resume::fresh());
	}
	if len == 0 {
		return Ok(Resume::fresh());
	}
	let started = Instant::now();
	let hasher = hash_prefix(&mut file, len)?;
	log::info!(
		target: "modelnet",
		"resuming {} from byte {len} of {size} (prefix re-hashed in {:.1?})",
		path.display(),
		started.elapsed(),
	);
	Ok(Resume { hasher, offset: len })
}

/// Makes sure the partial file exists (a zero-byte model has no chunk to write).
pub(super) fn touch(path: &Path) -> io::Result<()> {
	OpenOptions::new().create(true).truncate(false).write(true).open(path).map(drop)
}

/// A running writer thread for one attempt.
pub(super) struct Writer {
	tx: Option<mpsc::Sender<Vec<u8>>>,
	handle: JoinHandle<io::Result<Resume>>,
}

impl Writer {
	/// Starts writing at `state.offset` of the file at `path` (truncating anything after
	/// it). Once `size` bytes are on disk and `sync` is set, the file is fsynced.
	pub fn start(path: PathBuf, state: Resume, size: u64, sync: bool) -> Self {
		let (tx, rx) = mpsc::channel(WRITE_QUEUE);
		let handle = tokio::task::spawn_blocking(move || run(&path, state, size, sync, rx));
		Self { tx: Some(tx), handle }
	}

	/// Queues a chunk; waits while the queue is full. Returns `false` if the writer
	/// stopped (its error is returned by [`Writer::finish`]).
	pub async fn send(&mut self, chunk: Vec<u8>) -> bool {
		match &self.tx {
			Some(tx) => tx.send(chunk).await.is_ok(),
			None => false,
		}
	}

	/// Waits until every queued chunk is written and returns the new hash state.
	pub async fn finish(mut self) -> io::Result<Resume> {
		self.tx = None;
		match self.handle.await {
			Ok(result) => result,
			Err(e) => Err(io::Error::other(format!("writer thread failed: {e}"))),
		}
	}
}

fn run(
	path: &Path,
	mut state: Resume,
	size: u64,
	sync: bool,
	mut rx: mpsc::Receiver<Vec<u8>>,
) -> io::Result<Resume> {
	let mut file = OpenOptions::new().create(true).truncate(false).write(true).open(path)?;
	file.set_len(state.offset)?;
	file.seek(SeekFrom::Start(state.offset))?;
	while let Some(chunk) = rx.blocking_recv() {
		file.write_all(&chunk)?;
		state.hasher.update(&chunk);
		state.offset += chunk.len() as u64;
	}
	if sync && state.offset == size {
		file.sync_data()?;
	}
	Ok(state)
}

#[cfg(test)]
mod tests {
	use super::*;

	#[tokio::test]
	async fn writes_hashes_and_resumes() {
		let dir = tempfile::tempdir().unwrap();
		let path = dir.path().join("x.part");
		let data: Vec<u8> = (0..(3 * CHUNK + 17)).map(|i| (i % 253) as u8).collect();
		let size = data.len() as u64;

		let mut writer = Writer::start(path.clone(), Resume::fresh(), size, true);
		assert!(writer.send(data[..CHUNK + 5].to_vec()).await);
		let state = writer.finish().await.unwrap();
		assert_eq!(state.offset, CHUNK as u64 + 5);

		// A new process re-hashes the prefix from disk and continues.
		let loaded = load_partial(&path, size).unwrap();
		assert_eq!(loaded.offset, state.offset);
		assert_eq!(loaded.hasher.clone().finalize(), state.hasher.finalize());
		let mut writer = Writer::start(path.clone(), loaded, size, true);
		assert!(writer.send(data[CHUNK + 5..].to_vec()).await);
		let done = writer.finish().await.unwrap();
		assert_eq!(done.offset, size);
		assert_eq!(done.hasher.finalize(), Sha256::digest(&data));
		assert_eq!(std::fs::read(&path).unwrap(), data);

		// Longer than declared: deleted.
		assert_eq!(load_partial(&path, size - 1).unwrap().offset, 0);
		assert!(!path.exists());
	}
}
