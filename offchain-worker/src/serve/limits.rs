//! Bounds of the model server: a shared upload bandwidth budget, things in progress per peer
//! (connections, requests) and a request rate per peer. A peer is an IPv4 address or an IPv6
//! /64 network (see [`peer_key`]).

use std::{
	collections::HashMap,
	net::{IpAddr, Ipv6Addr},
	num::NonZeroU32,
	sync::{Arc, Mutex, MutexGuard},
	time::{Duration, Instant},
};

use governor::{
	clock::{Clock, MonotonicClock},
	state::keyed::HashMapStateStore,
	Quota, RateLimiter,
};

/// How often idle peers are dropped from the request-rate table.
const PRUNE_EVERY: Duration = Duration::from_secs(10);

/// The key one peer's limits are counted under: an IPv4 address as it is (also when it comes
/// as an IPv4-mapped IPv6 address, as on a dual-stack socket), an IPv6 address by its /64
/// prefix (one site's network: a host given a /64 can use any address in it).
pub(super) fn peer_key(ip: IpAddr) -> IpAddr {
	match ip.to_canonical() {
		IpAddr::V4(v4) => IpAddr::V4(v4),
		IpAddr::V6(v6) => {
			let [a, b, c, d, ..] = v6.segments();
			IpAddr::V6(Ipv6Addr::new(a, b, c, d, 0, 0, 0, 0))
		}
	}
}

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

/// Things in progress (connections or requests) per peer ([`peer_key`]).
pub(super) struct PerPeer {
	limit: usize,
	active: Mutex<HashMap<IpAddr, usize>>,
}

impl PerPeer {
	/// At most `limit` (at least 1) at once per peer.
	pub fn new(limit: usize) -> Self {
		Self { limit: limit.max(1), active: Mutex::new(HashMap::new()) }
	}

	fn active(&self) -> MutexGuard<'_, HashMap<IpAddr, usize>> {
		self.active.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
	}

	/// A slot for one more from `ip`'s peer, or `None` if it has `limit` already.
	pub fn acquire(self: &Arc<Self>, ip: IpAddr) -> Option<PeerSlot> {
		let ip = peer_key(ip);
		let mut active = self.active();
		let count = active.entry(ip).or_insert(0);
		if *count >= self.limit {
			return None;
		}
		*count += 1;
		Some(PeerSlot { owner: Arc::clone(self), ip })
	}
}

/// One connection's or request's slot; released when dropped (when the connection closes,
/// after the response body is sent).
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

/// Requests per second per peer ([`peer_key`]): a token bucket per peer refilled at `rate`
/// per second, holding at most `burst`.
pub(super) struct RequestRate {
	// The middleware is named: its default follows governor's default clock, which is another
	// one when a crate elsewhere in the build turns on governor's default features.
	limiter: RateLimiter<
		IpAddr,
		HashMapStateStore<IpAddr>,
		MonotonicClock,
		governor::middleware::NoOpMiddleware<Instant>,
	>,
	/// When idle peers were last dropped from the table.
	pruned: Mutex<Instant>,
}

impl RequestRate {
	/// `per_second` requests per second on average (at least 1), `burst` at once (at least 1).
	pub fn new(per_second: u32, burst: u32) -> Self {
		let per_second = NonZeroU32::new(per_second).unwrap_or(NonZeroU32::MIN);
		let burst = NonZeroU32::new(burst).unwrap_or(NonZeroU32::MIN);
		let quota = Quota::per_second(per_second).allow_burst(burst);
		Self {
			limiter: RateLimiter::hashmap_with_clock(quota, &MonotonicClock),
			pruned: Mutex::new(Instant::now()),
		}
	}

	/// Counts one request from `ip`'s peer: `Err` with the time until the next one would be
	/// allowed if it is over its rate.
	pub fn check(&self, ip: IpAddr) -> Result<(), Duration> {
		self.prune();
		self.limiter
			.check_key(&peer_key(ip))
			.map_err(|not_until| not_until.wait_time_from(MonotonicClock.now()))
	}

	/// Drops peers whose bucket is full again (at most every [`PRUNE_EVERY`]), so that the
	/// table holds only recent peers.
	fn prune(&self) {
		{
			let mut pruned = self.pruned.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
			if pruned.elapsed() < PRUNE_EVERY {
				return;
			}
			*pruned = Instant::now();
		}
		self.limiter.retain_recent();
		self.limiter.shrink_to_fit();
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

	#[test]
	fn peers_are_ipv4_addresses_and_ipv6_networks() {
		let key = |text: &str| peer_key(text.parse().unwrap());
		assert_eq!(key("203.0.113.7"), key("203.0.113.7"));
		assert_ne!(key("203.0.113.7"), key("203.0.113.8"));
		// An IPv4 peer on a dual-stack socket is the same IPv4 peer.
		assert_eq!(key("::ffff:203.0.113.7"), key("203.0.113.7"));
		// Every address of one /64 is one peer; the next /64 is another.
		assert_eq!(key("2001:db8:1:2::1"), key("2001:db8:1:2:ffff:ffff:ffff:ffff"));
		assert_eq!(key("2001:db8:1:2:abcd::9"), "2001:db8:1:2::".parse::<IpAddr>().unwrap());
		assert_ne!(key("2001:db8:1:2::1"), key("2001:db8:1:3::1"));
		assert_ne!(key("::1"), key("127.0.0.1"));
	}

	#[test]
	fn per_peer_slots_count_an_ipv6_network_as_one_peer() {
		let limits = Arc::new(PerPeer::new(2));
		let _a = limits.acquire("2001:db8::1".parse().unwrap()).unwrap();
		let _b = limits.acquire("2001:db8::2".parse().unwrap()).unwrap();
		assert!(limits.acquire("2001:db8::ffff:3".parse().unwrap()).is_none());
		assert!(limits.acquire("2001:db8:0:1::1".parse().unwrap()).is_some());
		let _c = limits.acquire("192.0.2.1".parse().unwrap()).unwrap();
		let _d = limits.acquire("::ffff:192.0.2.1".parse().unwrap()).unwrap();
		assert!(limits.acquire("192.0.2.1".parse().unwrap()).is_none());
	}

	#[test]
	fn request_rate_is_counted_per_peer() {
		let rate = RequestRate::new(1, 2);
		let ip: IpAddr = "2001:db8::1".parse().unwrap();
		assert!(rate.check(ip).is_ok());
		assert!(rate.check("2001:db8::2".parse().unwrap()).is_ok());
		let wait = rate.check("2001:db8::3".parse().unwrap()).unwrap_err();
		assert!(wait > Duration::ZERO && wait <= Duration::from_secs(1), "{wait:?}");
		assert!(rate.check("2001:db8:0:1::1".parse().unwrap()).is_ok());
		assert!(rate.check("192.0.2.1".parse().unwrap()).is_ok());
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
