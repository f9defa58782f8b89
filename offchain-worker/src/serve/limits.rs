//! Bounds of the model server: a shared upload bandwidth budget and per-peer concurrency.

use std::{
	collections::HashMap,
	net::IpAddr,
	sync::{Arc, Mutex, MutexGuard},
	time::{Duration, Instant},
};

/// A token bucket shared by every transfer: at most `rate` bytes per second on average,
/// with bursts of up to one second's worth.
pub(super) struct Bandwidth {
	rate: f64,
	/// Tokens available (negative: owed) and when they were last refilled.
	state: Mutex<(f64, Instant)>,
}

impl Bandwidth {
	/// A budget of `rate` bytes per second (at least 1).
	pub fn new(rate: u64) -> Self {
		let rate = rate.max(1) as f64;
		Self { rate, state: Mutex::new((rate, Instant::now())) }
	}

	fn state(&self) -> MutexGuard<'_, (f64, Instant)> {
		self.state.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
	}

	/// Takes `bytes` tokens, waiting until the budget allows them.
	pub async fn take(&self, bytes: u64) {
		let wait = {
			let mut state = self.state();
			let now = Instant::now();
			let refill = now.duration_since(state.1).as_secs_f64() * self.rate;
			state.0 = (state.0 + refill).min(self.rate) - bytes as f64;
			state.1 = now;
			if state.0 >= 0.0 {
				return;
			}
			Duration::from_secs_f64(-state.0 / self.rate)
		};
		tokio::time::sleep(wait).await;
	}
}

/// Requests in progress per remote address.
pub(super) struct PerPeer {
	limit: usize,
	active: Mutex<HashMap<IpAddr, usize>>,
}

impl PerPeer {
	/// At most `limit` requests (at least 1) at once per remote address.
	pub fn new(limit: usize) -> Self {
		Self { limit: limit.max(1), active: Mutex::new(HashMap::new()) }
	}

	fn active(&self) -> MutexGuard<'_, HashMap<IpAddr, usize>> {
		self.active.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
	}

	/// A slot for one more request from `ip`, or `None` if it has `limit` already.
	pub fn acquire(self: &Arc<Self>, ip: IpAddr) -> Option<PeerSlot> {
		let mut active = self.active();
		let count = active.entry(ip).or_insert(0);
		if *count >= self.limit {
			return None;
		}
		*count += 1;
		Some(PeerSlot { owner: Arc::clone(self), ip })
	}
}

/// One request's slot; released when dropped (after the response body is sent).
pub(super) struct PeerSlot {
	owner: Arc<PerPeer>,
	ip: IpAddr,
}

impl Drop for PeerSlot {
	fn drop(&mut self) {
		let mut active = self.owner.active();
		if let Some(count) = active.get_mut(&self.ip) {
			*count -= 1;
			if *count == 0 {
				active.remove(&self.ip);
			}
		}
	}
}

#[cfg(test)]
mod tests {
	use super::*;

	#[test]
	fn per_peer_slots_are_released() {
		let limits = Arc::new(PerPeer::new(2));
		let ip: IpAddr = "10.0.0.1".parse().unwrap();
		let other: IpAddr = "10.0.0.2".parse().unwrap();
		let a = limits.acquire(ip).unwrap();
		let _b = limits.acquire(ip).unwrap();
		assert!(limits.acquire(ip).is_none());
		assert!(limits.acquire(other).is_some());
		drop(a);
		assert!(limits.acquire(ip).is_some());
	}

	#[tokio::test]
	async fn bandwidth_is_capped() {
		let bucket = Bandwidth::new(1_000_000);
		let started = Instant::now();
		// One second of burst, then 0.5 s of debt.
		for _ in 0..15 {
			bucket.take(100_000).await;
		}
		let elapsed = started.elapsed();
		assert!(elapsed >= Duration::from_millis(450), "{elapsed:?}");
		assert!(elapsed < Duration::from_secs(2), "{elapsed:?}");
	}
}
