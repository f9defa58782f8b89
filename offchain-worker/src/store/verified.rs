//! Records of verified model files: `<root>/verified/<sha256-hex>` holds the size and
//! modification time the file had when its hash was last checked. A file whose size and
//! mtime still match its record is trusted without re-hashing.

use std::{fs, io, path::Path, time::UNIX_EPOCH};

/// Size and mtime (nanoseconds since the epoch) of a file.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) struct Stamp {
	size: u64,
	mtime_ns: u128,
}

impl Stamp {
	/// The stamp of a file's metadata, if its mtime is available.
	pub fn of(meta: &fs::Metadata) -> Option<Self> {
		let mtime = meta.modified().ok()?.duration_since(UNIX_EPOCH).ok()?;
		Some(Self { size: meta.len(), mtime_ns: mtime.as_nanos() })
	}

	/// The stamp of the file at `path` now.
	pub fn of_path(path: &Path) -> Option<Self> {
		Self::of(&fs::symlink_metadata(path).ok()?)
	}

	fn encode(&self) -> String {
		format!("{} {}\n", self.size, self.mtime_ns)
	}

	fn decode(text: &str) -> Option<Self> {
		let mut parts = text.split_whitespace();
		let size = parts.next()?.parse().ok()?;
		let mtime_ns = parts.next()?.parse().ok()?;
		parts.next().is_none().then_some(Self { size, mtime_ns })
	}
}

/// Whether the record at `record` matches `stamp`.
pub(super) fn matches(record: &Path, stamp: Option<Stamp>) -> bool {
	let Some(stamp) = stamp else {
		return false;
	};
	fs::read_to_string(record).ok().and_then(|text| Stamp::decode(&text)) == Some(stamp)
}

/// Writes the record of a file just verified.
pub(super) fn write(record: &Path, stamp: Stamp) -> io::Result<()> {
	fs::write(record, stamp.encode())
}

#[cfg(test)]
mod tests {
	use super::*;

	#[test]
	fn records_round_trip_and_detect_changes() {
		let dir = tempfile::tempdir().unwrap();
		let file = dir.path().join("f");
		let record = dir.path().join("r");
		fs::write(&file, b"hello").unwrap();
		let stamp = Stamp::of_path(&file).unwrap();
		assert!(!matches(&record, Some(stamp)));
		write(&record, stamp).unwrap();
		assert!(matches(&record, Some(stamp)));
		assert!(!matches(&record, None));
		let other = Stamp { size: 6, ..stamp };
		assert!(!matches(&record, Some(other)));
		fs::write(&record, b"garbage").unwrap();
		assert!(!matches(&record, Some(stamp)));
	}
}
