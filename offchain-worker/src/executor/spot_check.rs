//! The spot-check executor: a deterministic digest over samples of the model's bytes.

use std::{
	fs::File,
	io::{Read, Seek, SeekFrom},
	path::Path,
};

use sha2::{Digest, Sha256};

use super::Executor;
use crate::error::ExecError;

/// Domain separator of the spot-check digest.
pub const SPOT_CHECK_DOMAIN: &[u8] = b"modelnet-spot-check-v1";
/// Maximum bytes read per spot-check sample.
pub const SPOT_CHECK_SAMPLE: u64 = 4096;
/// Number of samples read by the spot check.
pub const SPOT_CHECK_SAMPLES: u32 = 16;

/// The default executor: a deterministic spot check that needs the model's bytes.
///
/// The result hashes the task input with 16 samples of up to 4096 bytes read at offsets
/// derived from the input, so a node without the right file cannot produce it:
///
/// ```text
/// L = min(4096, S) where S = file size in bytes; seed = sha256(input)
/// h = sha256 context; h.update(b"modelnet-spot-check-v1"); h.update(input)
/// for i in 0u32..16: d = sha256(seed ++ i.to_le_bytes());
///                    off = u64_le(d[0..8]) % (S - L + 1); h.update(file[off..off+L])
/// result = h.finalize()   (a 0-byte file uses no reads)
/// ```
#[derive(Clone, Copy, Debug, Default)]
pub struct SpotCheckExecutor;

impl Executor for SpotCheckExecutor {
	fn execute(
		&self,
		model_path: &Path,
		model_size: u64,
		input: &[u8],
	) -> Result<[u8; 32], ExecError> {
		let mut file = File::open(model_path)?;
		let actual = file.metadata()?.len();
		if actual != model_size {
			return Err(ExecError::SizeMismatch { expected: model_size, actual });
		}
		spot_check(&mut file, model_size, input)
	}
}

/// Computes the spot-check digest over any seekable source of `size` bytes.
pub fn spot_check<R: Read + Seek>(
	source: &mut R,
	size: u64,
	input: &[u8],
) -> Result<[u8; 32], ExecError> {
	let sample = SPOT_CHECK_SAMPLE.min(size);
	let seed: [u8; 32] = Sha256::digest(input).into();
	let mut h = Sha256::new();
	h.update(SPOT_CHECK_DOMAIN);
	h.update(input);
	if sample > 0 {
		// `sample` <= 4096, so the buffer is small.
		let mut buf = vec![0u8; sample as usize];
		for i in 0..SPOT_CHECK_SAMPLES {
			let mut d = Sha256::new();
			d.update(seed);
			d.update(i.to_le_bytes());
			let d = d.finalize();
			let mut word = [0u8; 8];
			word.copy_from_slice(&d[..8]);
			let offset = u64::from_le_bytes(word) % (size - sample + 1);
			source.seek(SeekFrom::Start(offset))?;
			source.read_exact(&mut buf)?;
			h.update(&buf);
		}
	}
	Ok(h.finalize().into())
}

#[cfg(test)]
mod tests {
	use super::*;
	use std::io::Cursor;

	#[test]
	fn empty_file_uses_no_reads() {
		let expected: [u8; 32] = {
			let mut h = Sha256::new();
			h.update(b"modelnet-spot-check-v1");
			h.update(b"in");
			h.finalize().into()
		};
		assert_eq!(spot_check(&mut Cursor::new(Vec::new()), 0, b"in").unwrap(), expected);
	}

	#[test]
	fn small_file_reads_whole_file_each_time() {
		let data = b"abc".to_vec();
		let mut h = Sha256::new();
		h.update(b"modelnet-spot-check-v1");
		h.update(b"x");
		for _ in 0..16 {
			h.update(b"abc");
		}
		let expected: [u8; 32] = h.finalize().into();
		assert_eq!(spot_check(&mut Cursor::new(data), 3, b"x").unwrap(), expected);
	}

	#[test]
	fn executor_refuses_wrong_size() {
		let dir = tempfile::tempdir().unwrap();
		let path = dir.path().join("m");
		std::fs::write(&path, [1u8; 10]).unwrap();
		assert!(matches!(
			SpotCheckExecutor.execute(&path, 11, b"i"),
			Err(ExecError::SizeMismatch { expected: 11, actual: 10 })
		));
		assert!(SpotCheckExecutor.execute(&path, 10, b"i").is_ok());
	}
}
