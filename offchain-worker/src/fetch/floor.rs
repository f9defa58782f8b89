//! A transfer's minimum rate: a sender that keeps a connection open but delivers too little
//! (one byte every few seconds, below any read timeout) is cut off, so that its piece goes to
//! another sender and the download finishes before the nomination's deadline.
//!
//! The rate is measured over consecutive windows of [`FetchConfig::rate_window`]: a window
//! that ends with fewer than `min_rate × window` bytes fails the transfer. The first window
//! starts when the response's headers arrive (connecting and waiting for headers have their
//! own time limits).
//!
//! [`FetchConfig::rate_window`]: super::FetchConfig::rate_window

use std::time::{Duration, Instant};

use super::FetchConfig;

/// Delivery of one transfer measured against the configured minimum rate.
pub(super) struct RateFloor {
	/// Bytes per second a window must average (0: no floor).
	min_rate: u64,
	window: Duration,
	window_start: Instant,
	window_bytes: u64,
}

impl RateFloor {
	/// Starts measuring now, with the config's floor and window.
	pub fn new(config: &FetchConfig) -> Self {
		Self::starting(config.min_transfer_rate, config.rate_window, Instant::now())
	}

	fn starting(min_rate: u64, window: Duration, now: Instant) -> Self {
		let window = window.max(Duration::from_millis(100));
		Self { min_rate, window, window_start: now, window_bytes: 0 }
	}

	/// How long to wait for the next bytes: `read_timeout`, or less if the current window
	/// ends sooner (its verdict is then given by [`RateFloor::check`]).
	pub fn wait(&self, read_timeout: Duration, now: Instant) -> Duration {
		if self.min_rate == 0 {
			return read_timeout;
		}
		let left = self.window.saturating_sub(now.saturating_duration_since(self.window_start));
		read_timeout.min(left.max(Duration::from_millis(1)))
	}

	/// Books `bytes` received at `now` and judges every window that has ended: an error
	/// message if one ended below the floor.
	pub fn check(&mut self, bytes: u64, now: Instant) -> Result<(), String> {
		self.window_bytes = self.window_bytes.saturating_add(bytes);
		if self.min_rate == 0 || now.saturating_duration_since(self.window_start) < self.window {
			return Ok(());
		}
		let needed = (self.min_rate as f64 * self.window.as_secs_f64()) as u64;
		if self.window_bytes < needed {
			return Err(format!(
				"{} bytes in {:?}, below the minimum of {} bytes per second",
				self.window_bytes, self.window, self.min_rate
			));
		}
		self.window_start = now;
		self.window_bytes = 0;
		Ok(())
	}

	/// The longest a transfer of `len` bytes may take at the floor rate, plus `slack`
	/// (connecting, waiting for headers); `None` without a floor.
	pub fn total_deadline(config: &FetchConfig, len: u64, slack: Duration) -> Option<Duration> {
		if config.min_transfer_rate == 0 {
			return None;
		}
		let secs = (len / config.min_transfer_rate).saturating_add(1);
		Some(Duration::from_secs(secs).saturating_add(config.rate_window).saturating_add(slack))
	}
}

#[cfg(test)]
mod tests {
	use super::*;

	const WINDOW: Duration = Duration::from_secs(10);

	#[test]
	fn a_drip_fails_at_the_end_of_its_window() {
		let t0 = Instant::now();
		let mut floor = RateFloor::starting(1000, WINDOW, t0);
		// One byte now and then, never silent for a read timeout.
		assert!(floor.check(1, t0 + Duration::from_secs(4)).is_ok());
		assert!(floor.check(1, t0 + Duration::from_secs(8)).is_ok());
		let verdict = floor.check(1, t0 + Duration::from_secs(12));
		assert!(verdict.unwrap_err().contains("3 bytes"));
	}

	#[test]
	fn a_steady_sender_passes_window_after_window() {
		let t0 = Instant::now();
		let mut floor = RateFloor::starting(1000, WINDOW, t0);
		for second in 1..=60 {
			assert!(floor.check(1000, t0 + Duration::from_secs(second)).is_ok(), "{second}");
		}
	}

	#[test]
	fn the_wait_for_data_ends_with_the_window() {
		let t0 = Instant::now();
		let floor = RateFloor::starting(1000, WINDOW, t0);
		let read = Duration::from_secs(30);
		assert_eq!(floor.wait(read, t0 + Duration::from_secs(3)), Duration::from_secs(7));
		assert_eq!(floor.wait(read, t0 + Duration::from_secs(11)), Duration::from_millis(1));
		let off = RateFloor::starting(0, WINDOW, t0);
		assert_eq!(off.wait(read, t0), read);
	}

	#[test]
	fn without_a_floor_nothing_fails() {
		let t0 = Instant::now();
		let mut floor = RateFloor::starting(0, WINDOW, t0);
		assert!(floor.check(0, t0 + Duration::from_secs(1000)).is_ok());
		let config = FetchConfig { min_transfer_rate: 0, ..FetchConfig::default() };
		assert_eq!(RateFloor::total_deadline(&config, u64::MAX, Duration::MAX), None);
	}

	#[test]
	fn the_total_deadline_never_overflows() {
		let config = FetchConfig { min_transfer_rate: 1, ..FetchConfig::default() };
		assert!(RateFloor::total_deadline(&config, u64::MAX, Duration::MAX).is_some());
		let config = FetchConfig { min_transfer_rate: 1 << 20, ..FetchConfig::default() };
		let deadline = RateFloor::total_deadline(&config, 4 << 20, Duration::from_secs(40));
		assert_eq!(deadline, Some(Duration::from_secs(5 + 10 + 40)));
	}
}
