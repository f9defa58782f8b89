//! Periodic progress logs of a download: bytes, rate and ETA.

use std::time::{Duration, Instant};

const MIB: f64 = (1u64 << 20) as f64;

/// Tracks one attempt's progress and logs at most once per interval.
pub(super) struct Progress {
	label: String,
	size: u64,
	start_offset: u64,
	started: Instant,
	last_log: Instant,
	interval: Duration,
}

impl Progress {
	/// Starts tracking an attempt that begins at `start_offset` of `size` bytes.
	pub fn new(label: String, size: u64, start_offset: u64, interval: Duration) -> Self {
		let now = Instant::now();
		Self { label, size, start_offset, started: now, last_log: now, interval }
	}

	/// Records that `offset` bytes are now received; logs if the interval has passed.
	pub fn update(&mut self, offset: u64) {
		let now = Instant::now();
		if now.duration_since(self.last_log) < self.interval {
			return;
		}
		self.last_log = now;
		let elapsed = now.duration_since(self.started).as_secs_f64().max(1e-6);
		let rate = offset.saturating_sub(self.start_offset) as f64 / elapsed;
		let left = self.size.saturating_sub(offset) as f64;
		let eta = if rate > 0.0 { format!("{:.0}s", left / rate) } else { "?".into() };
		let pct = if self.size == 0 { 100.0 } else { offset as f64 * 100.0 / self.size as f64 };
		log::info!(
			target: "modelnet",
			"downloading {}: {offset}/{} bytes ({pct:.1}%), {:.1} MiB/s, ETA {eta}",
			self.label,
			self.size,
			rate / MIB,
		);
	}

	/// Average rate of this attempt in MiB/s.
	pub fn rate_mib(&self, offset: u64) -> f64 {
		let elapsed = self.started.elapsed().as_secs_f64().max(1e-6);
		offset.saturating_sub(self.start_offset) as f64 / elapsed / MIB
	}

	/// Time since the attempt started.
	pub fn elapsed(&self) -> Duration {
		self.started.elapsed()
	}
}
