//! Download settings.

use std::{net::SocketAddr, time::Duration};

/// Default of [`FetchConfig::min_transfer_rate`]: 60 MiB per 6 s block, divided by 64.
pub const DEFAULT_MIN_TRANSFER_RATE: u64 = (60 << 20) / 6 / 64;

/// Download settings.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FetchConfig {
	/// Downloads allowed at once (the fetcher queues the others).
	pub max_parallel_downloads: usize,
	/// Time allowed to open a TCP (and TLS) connection.
	pub connect_timeout: Duration,
	/// Longest silence tolerated while waiting for response headers or body bytes.
	pub read_timeout: Duration,
	/// Rounds over all sources retried after a round that made no progress, when the
	/// caller gives no deadline (with a deadline, rounds go on until it is near).
	pub retries: u32,
	/// Pause before the first retry round; doubles every round (each pause is randomised
	/// between half and all of it).
	pub initial_backoff: Duration,
	/// Upper bound of the pause between rounds (also of a `Retry-After` when the caller
	/// gives no deadline).
	pub max_backoff: Duration,
	/// Interval between progress log lines.
	pub progress_interval: Duration,
	/// Redirects followed per request.
	pub max_redirects: u32,
	/// Whether to fsync the file before it is renamed into the store.
	pub sync_on_complete: bool,
	/// TCP receive buffer (`SO_RCVBUF`); `None` leaves the kernel's auto-tuning on.
	pub recv_buffer_size: Option<usize>,
	/// Allow connections to non-public addresses (loopback, RFC 1918, link-local, CGNAT,
	/// IPv6 ULA, ...). Off by default: a model owner could otherwise point every
	/// nominated node at its RPC port, the cloud metadata service or the LAN.
	pub allow_private_addresses: bool,
	/// Non-public addresses (with their port) allowed even when
	/// `allow_private_addresses` is off, e.g. a model mirror on the LAN.
	pub trusted_addresses: Vec<SocketAddr>,
	/// Pieces requested at once by a piece-wise download (spread over the senders).
	pub piece_parallelism: usize,
	/// A piece outside this node's share of the sources becomes fetchable from the sources
	/// when no peer has gained any piece of its share for this long.
	pub stall_timeout: Duration,
	/// Interval between requests for a nominee's piece bitmap while pieces are missing.
	pub peer_poll_interval: Duration,
	/// Least bytes per second a transfer (a piece, a whole file) must average over each
	/// [`rate_window`](Self::rate_window), or it is cut off and its bytes asked elsewhere:
	/// a sender that drips a byte now and then never trips the read timeout. 0: no floor.
	/// The default is 1/64 of the rate the chain assumes when it sets download deadlines
	/// (`MinDownloadBytesPerBlock`, 60 MiB per 6 s block).
	pub min_transfer_rate: u64,
	/// Window over which [`min_transfer_rate`](Self::min_transfer_rate) is measured.
	pub rate_window: Duration,
	/// Allow connections to peers (holders and nominees, at the endpoints the chain lists)
	/// on non-public addresses, e.g. a development or local network on one machine. Off by
	/// default: any node may declare an endpoint, so it could otherwise point the nodes it
	/// shares models with at their own RPC port or LAN. Independent of
	/// [`allow_private_addresses`](Self::allow_private_addresses), which is about sources.
	pub allow_private_peers: bool,
}

impl Default for FetchConfig {
	fn default() -> Self {
		Self {
			max_parallel_downloads: 2,
			connect_timeout: Duration::from_secs(10),
			read_timeout: Duration::from_secs(30),
			retries: 5,
			initial_backoff: Duration::from_secs(1),
			max_backoff: Duration::from_secs(60),
			progress_interval: Duration::from_secs(10),
			max_redirects: 5,
			sync_on_complete: true,
			recv_buffer_size: None,
			allow_private_addresses: false,
			trusted_addresses: Vec::new(),
			piece_parallelism: 4,
			stall_timeout: Duration::from_secs(10),
			peer_poll_interval: Duration::from_secs(1),
			min_transfer_rate: DEFAULT_MIN_TRANSFER_RATE,
			rate_window: Duration::from_secs(10),
			allow_private_peers: false,
		}
	}
}
