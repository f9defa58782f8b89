//! The spot-check executor, the default engine: a digest of the task input and of windows read
//! from every part of the model file.
//!
//! The file is cut into [`SPOT_CHECK_STRIPES`] stripes of equal size; from each stripe the check
//! reads a window of up to [`SPOT_CHECK_MAX_WINDOW`] bytes at an offset derived from the input.
//! A window spans its whole stripe while stripes are at most that long, so a file of up to
//! 1 GiB is read whole, and the result depends on every byte of it; a larger file is read at
//! 256 unpredictable places, 1 GiB in all. A node that keeps no copy must fetch all of that
//! within the commit window of every task it is drawn for, which costs about what keeping the
//! file costs, and answers later than a node reading its own disk (see the pallet's `qos`).

use std::{
	fs::File,
	io::{Read, Seek, SeekFrom},
	path::Path,
};

use sha2::{Digest, Sha256};

use super::Executor;
use crate::error::ExecError;

/// Domain separator of the spot-check digest.
pub const SPOT_CHECK_DOMAIN: &[u8] = b"modelnet-spot-check-v2";
/// Number of stripes the file is cut into; one window is read from each.
pub const SPOT_CHECK_STRIPES: u32 = 256;
/// Longest window read from a stripe: 4 MiB, so at most 1 GiB is read per task.
pub const SPOT_CHECK_MAX_WINDOW: u64 = 4 << 20;
/// Bytes read per `read` call while hashing a window.
const READ_CHUNK: usize = 1 << 20;

/// The default executor: a deterministic digest that needs the model's bytes.
///
/// ```text
/// S = file size; seed = sha256(input)
/// h = sha256 context; h.update(b"modelnet-spot-check-v2"); h.update(u64_le(len(input))); h.update(input)
/// for i in 0u32..256: start = S*i/256; end = S*(i+1)/256; W = min(4 MiB, end - start)
///                     if W == 0: skip
///                     d = sha256(seed ++ i.to_le_bytes())
///                     off = start + u64_le(d[0..8]) % (end - start - W + 1)
///                     h.update(file[off..off+W])
/// result = h.finalize()
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

/// The windows `(offset, length)` the spot check reads from a file of `size` bytes for
/// `input`, in order (empty stripes of files under 256 bytes have none).
pub fn spot_check_windows(size: u64, input: &[u8]) -> impl Iterator<Item = (u64, u64)> {
	let seed: [u8; 32] = Sha256::digest(input).into();
	let stripes = u128::from(SPOT_CHECK_STRIPES);
	(0..SPOT_CHECK_STRIPES).filter_map(move |i| {
		// u128: `size * i` does not fit u64 for large files.
		let start = (u128::from(size) * u128::from(i) / stripes) as u64;
		let end = (u128::from(size) * (u128::from(i) + 1) / stripes) as u64;
		let stripe = end - start;
		let window = SPOT_CHECK_MAX_WINDOW.min(stripe);
		if window == 0 {
			return None;
		}
		let mut d = Sha256::new();
		d.update(seed);
		d.update(i.to_le_bytes());
		let d = d.finalize();
		let mut word = [0u8; 8];
		word.copy_from_slice(&d[..8]);
		Some((start + u64::from_le_bytes(word) % (stripe - window + 1), window))
	})
}

/// Computes the spot-check digest over any seekable source of `size` bytes.
pub fn spot_check<R: Read + Seek>(
	source: &mut R,
	size: u64,
	input: &[u8],
) -> Result<[u8; 32], ExecError> {
	let mut h = Sha256::new();
	h.update(SPOT_CHECK_DOMAIN);
	h.update((input.len() as u64).to_le_bytes());
	h.update(input);
	let mut buf = vec![0u8; READ_CHUNK.min(size as usize)];
	// Windows of a file read whole follow each other: no seek between them.
	let mut position = None;
	for (offset, length) in spot_check_windows(size, input) {
		if position != Some(offset) {
			source.seek(SeekFrom::Start(offset))?;
		}
		let mut left = length;
		while left > 0 {
			let chunk = &mut buf[..(left as usize).min(READ_CHUNK)];
			source.read_exact(chunk)?;
			h.update(&*chunk);
			left -= chunk.len() as u64;
		}
		position = Some(offset + length);
	}
	Ok(h.finalize().into())
}

#[cfg(test)]
mod tests {
	use super::*;
	use std::io::Cursor;

	/// Bytes `i % 251`: the files the golden values were computed on.
	fn ramp(n: usize) -> Vec<u8> {
		(0..n).map(|i| (i % 251) as u8).collect()
	}

	/// Golden values computed by an independent implementation (Python hashlib/struct) on
	/// ramp files; the polkadot.js client's mirror checks the same values.
	const GOLDEN: [(usize, &[u8], &str); 7] = [
		(
			10_000,
			b"hello modelnet",
			"54db17faacca3c70642e0ff6a90eb93f3644dbe4cfafb84a0570cdd00dde4de0",
		),
		(100, b"", "cc33c93b45c1e256456070da55dfb7b7b3beb744f041417f597b5fbfef2276f8"),
		(0, b"x", "f79804282c98d331372f05b8321b300693b24cc930fc8ced93a76a15ce907f8f"),
		(4096, b"abc", "264b3ad6f58b636004eca15eabfdc8e7f95f18f6f21925623080b27f3170c602"),
		(4097, b"abc", "54bd14cc0d218dd6354e8b574b73e8f851e0ea468df4619e7e36d76e84fc589d"),
		(
			1 << 20,
			&[0, 1, 2, 255],
			"e085148393a8bd02cf8c7c7f3c25d42df6395f7ced927b6ca2583c7cab921ab6",
		),
		(255, b"abc", "abfb4fb451c5e155062221dcd9d4cfb7ab124edc56a08499a5a6d41b57e8610f"),
	];

	fn hex(bytes: [u8; 32]) -> String {
		bytes.iter().map(|b| format!("{b:02x}")).collect()
	}

	#[test]
	fn matches_the_golden_values() {
		for (n, input, expected) in GOLDEN {
			let data = ramp(n);
			assert_eq!(hex(spot_check(&mut Cursor::new(data), n as u64, input).unwrap()), expected);
		}
	}

	#[test]
	fn files_up_to_a_gib_are_read_whole_and_larger_ones_at_256_places() {
		for size in [0u64, 1, 255, 256, 10_000, 1 << 30] {
			let windows: Vec<_> = spot_check_windows(size, b"in").collect();
			let mut next = 0;
			for (offset, length) in windows.iter() {
				assert_eq!(*offset, next, "a file of {size} bytes is read whole, in order");
				next += length;
			}
			assert_eq!(next, size);
		}
		// Golden layouts (Python): 1 GiB read, one 4 MiB window per stripe.
		let big: Vec<_> = spot_check_windows((1 << 30) + 12_345, b"big").collect();
		assert_eq!(big.len(), 256);
		assert_eq!(
			(big[0], big[1], big[255]),
			((1, 4_194_304), (4_194_381, 4_194_304), (1_069_559_857, 4_194_304))
		);
		assert_eq!(big.iter().map(|w| w.1).sum::<u64>(), 1 << 30);
		let huge: Vec<_> = spot_check_windows(200 << 30, b"big").collect();
		assert_eq!(
			(huge[0].0, huge[1].0, huge[255].0),
			(377_452_587, 1_196_181_758, 214_640_968_473)
		);
		assert!(huge.iter().all(|(offset, length)| offset + length <= 200 << 30));
	}

	#[test]
	fn every_byte_of_a_small_file_counts() {
		let data = ramp(5_000);
		let right = spot_check(&mut Cursor::new(data.clone()), 5_000, b"task").unwrap();
		for position in [0, 1, 2_499, 4_999] {
			let mut changed = data.clone();
			changed[position] ^= 1;
			assert_ne!(spot_check(&mut Cursor::new(changed), 5_000, b"task").unwrap(), right);
		}
		// Another input, another answer.
		assert_ne!(spot_check(&mut Cursor::new(data), 5_000, b"other").unwrap(), right);
	}

	#[test]
	fn a_truncated_source_is_an_error_not_a_result() {
		let data = ramp(1_000);
		assert!(spot_check(&mut Cursor::new(data), 2_000, b"x").is_err());
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
