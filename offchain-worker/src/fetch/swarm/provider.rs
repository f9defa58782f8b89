//! Where pieces come from: the model's registered sources and other nodes (holders and
//! nominees), with their state during one download.

use std::{
	sync::Arc,
	time::{Duration, Instant},
};

use http_body_util::BodyExt;
use hyper::StatusCode;

use super::super::{
	http::{self, HttpClient},
	retry::{instant_after, jittered},
	FetchConfig,
};
use crate::{
	error::FetchError,
	types::{ModelId, Peer, PeerKind},
};

/// Consecutive failures after which a peer no longer counts as reachable.
pub(super) const UNREACHABLE_AFTER: u32 = 3;

/// Kind of sender, also the metrics label.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Kind {
	/// A registered source URL of the model.
	Source,
	/// A node holding the model.
	Holder,
	/// A node nominated for the model.
	Nominee,
}

impl Kind {
	pub fn as_str(self) -> &'static str {
		match self {
			Self::Source => "source",
			Self::Holder => PeerKind::Holder.as_str(),
			Self::Nominee => PeerKind::Nominee.as_str(),
		}
	}

	pub fn index(self) -> usize {
		match self {
			Self::Source => 0,
			Self::Holder => 1,
			Self::Nominee => 2,
		}
	}
}

/// One sender and what this download knows about it.
pub(super) struct Provider {
	pub kind: Kind,
	/// URL of the file (sources) or the node's base URL (peers).
	pub url: String,
	/// Pieces the sender has: all for sources and holders, from `/pieces` for nominees.
	pub have: Vec<bool>,
	/// Requests in flight.
	pub busy: usize,
	/// Not to be asked before this instant.
	pub not_before: Instant,
	/// Consecutive failures.
	pub failures: u32,
	/// No longer asked during this download (a peer that lied, a source at fault or out
	/// of retries).
	pub dropped: bool,
	/// A source's latest failure (decides whom the final error blames).
	pub failure: Option<FetchError>,
	/// A bitmap request is in flight.
	pub polling: bool,
	/// A source that ignores `Range`: used only for a whole-file pass.
	pub whole_only: bool,
	/// When the bitmap was last asked for.
	pub last_poll: Option<Instant>,
}

impl Provider {
	pub fn source(url: String, count: usize) -> Self {
		Self::new(Kind::Source, url, vec![true; count])
	}

	pub fn peer(peer: &Peer, count: usize) -> Self {
		let url = peer.url.trim_end_matches('/').to_string();
		match peer.kind {
			PeerKind::Holder => Self::new(Kind::Holder, url, vec![true; count]),
			PeerKind::Nominee => Self::new(Kind::Nominee, url, vec![false; count]),
		}
	}

	fn new(kind: Kind, url: String, have: Vec<bool>) -> Self {
		Self {
			kind,
			url,
			have,
			busy: 0,
			not_before: Instant::now(),
			failures: 0,
			dropped: false,
			failure: None,
			polling: false,
			whole_only: false,
			last_poll: None,
		}
	}

	pub fn is_peer(&self) -> bool {
		self.kind != Kind::Source
	}

	/// URL of the model's bytes at this sender.
	pub fn file_url(&self, model: &ModelId) -> String {
		match self.kind {
			Kind::Source => self.url.clone(),
			_ => format!("{}/v1/models/{}", self.url, hex::encode(model)),
		}
	}

	/// Whether it may be asked for piece `index` now.
	pub fn can_serve(&self, index: usize, now: Instant) -> bool {
		!self.dropped
			&& !self.whole_only
			&& now >= self.not_before
			&& self.have.get(index).copied().unwrap_or(false)
	}

	/// A peer that is not dropped and answered recently.
	pub fn is_live_peer(&self) -> bool {
		self.is_peer() && !self.dropped && self.failures < UNREACHABLE_AFTER
	}

	/// Records a failure and backs off exponentially (at most `max`), unless it already
	/// backs off.
	pub fn back_off(&mut self, initial: Duration, max: Duration) {
		if Instant::now() < self.not_before {
			// A request started before an earlier failure: the same outage, counted once.
			return;
		}
		self.failures = self.failures.saturating_add(1);
		let factor = 1u32 << self.failures.min(16).saturating_sub(1);
		let pause = jittered(initial.saturating_mul(factor)).min(max);
		self.not_before = instant_after(pause);
	}

	/// Records a refusal (`429` / `503`) that asked for `pause`. A refusal is a failure to
	/// deliver like any other: a peer that claims pieces and refuses them stops counting as
	/// reachable after [`UNREACHABLE_AFTER`] refusals in a row, so its claims no longer keep
	/// the pieces from other peers and the sources. Only delivered bytes clear it.
	pub fn refused(&mut self, pause: Duration) {
		self.failures = self.failures.saturating_add(1);
		self.not_before = self.not_before.max(instant_after(pause));
	}

	/// Records a delivered piece: the sender is reachable.
	pub fn delivered(&mut self) {
		self.failures = 0;
		if self.kind == Kind::Source && !self.dropped {
			// A source's earlier refusal or interruption is not its final word once it delivers.
			// A fault that dropped it (a bad piece, a wrong size, an HTTP error) stays: pieces
			// asked of it before it was dropped may still arrive.
			self.failure = None;
		}
	}
}

/// What a nominee said when asked for its bitmap.
pub(super) enum Poll {
	/// The pieces it has verified.
	Have(Vec<bool>),
	/// It does not serve the model (yet).
	NotServed,
	/// It refused (`429` / `503`): nothing learnt; counted as a refusal, since a nominee
	/// that keeps refusing must not keep its earlier claims for ever.
	Busy,
	/// It could not be reached or answered nonsense.
	Failed(String),
}

/// Asks a nominee for its bitmap (`GET {base}/v1/models/{hex}/pieces`).
pub(super) async fn poll_bitmap(
	client: HttpClient,
	config: Arc<FetchConfig>,
	url: String,
	count: usize,
) -> Poll {
	let response = match http::get(&client, &config, &url, 0).await {
		Ok(response) => response,
		Err(e) => return Poll::Failed(format!("{e:?}")),
	};
	match response.status() {
		StatusCode::OK => {}
		StatusCode::NOT_FOUND => return Poll::NotServed,
		StatusCode::SERVICE_UNAVAILABLE | StatusCode::TOO_MANY_REQUESTS => return Poll::Busy,
		s => return Poll::Failed(format!("{url}: HTTP {s}")),
	}
	let body = http_body_util::Limited::new(response.into_body(), count + 1);
	let bytes = match tokio::time::timeout(config.read_timeout, body.collect()).await {
		Err(_) => return Poll::Failed(format!("{url}: timed out")),
		Ok(Err(e)) => return Poll::Failed(format!("{url}: {e}")),
		Ok(Ok(collected)) => collected.to_bytes(),
	};
	match parse_bitmap(&bytes, count) {
		Some(have) => Poll::Have(have),
		None => Poll::Failed(format!("{url}: bitmap of {} bytes, expected {count}", bytes.len())),
	}
}

/// A nominee's bitmap body: exactly one byte per piece, `1` for a piece it has (any other
/// value counts as missing). `None` if the length is wrong.
fn parse_bitmap(body: &[u8], count: usize) -> Option<Vec<bool>> {
	(body.len() == count).then(|| body.iter().map(|b| *b == 1).collect())
}

#[cfg(test)]
mod tests {
	use super::*;
	use proptest::prelude::*;

	#[test]
	fn delivering_clears_a_sources_earlier_refusal() {
		let mut source = Provider::source("http://s.example/m".into(), 4);
		source.refused(Duration::ZERO);
		source.failure = Some(FetchError::SourceUnavailable("HTTP 429".into()));
		source.delivered();
		assert_eq!(source.failures, 0);
		assert!(source.failure.is_none(), "a refusal followed by delivery is not its final word");
	}

	#[test]
	fn a_dropped_sources_fault_survives_pieces_still_arriving() {
		let mut source = Provider::source("http://s.example/m".into(), 4);
		source.dropped = true;
		source.failure =
			Some(FetchError::HashMismatch { expected: "a".into(), actual: "b".into() });
		source.delivered();
		assert!(matches!(source.failure, Some(FetchError::HashMismatch { .. })));
	}

	#[test]
	fn a_peer_that_keeps_refusing_is_no_longer_live() {
		let peer = Peer { url: "http://p.example:1".into(), kind: PeerKind::Nominee };
		let mut nominee = Provider::peer(&peer, 4);
		for _ in 0..UNREACHABLE_AFTER {
			assert!(nominee.is_live_peer());
			nominee.refused(Duration::from_secs(1));
		}
		assert!(!nominee.is_live_peer(), "refusals count as failures to deliver");
		nominee.delivered();
		assert!(nominee.is_live_peer());
	}

	#[test]
	fn back_off_takes_any_configuration() {
		let peer = Peer { url: "http://p.example:1".into(), kind: PeerKind::Holder };
		let mut holder = Provider::peer(&peer, 1);
		for _ in 0..40 {
			holder.not_before = Instant::now();
			holder.back_off(Duration::MAX, Duration::MAX);
		}
		assert_eq!(holder.failures, 40);
	}

	proptest! {
		/// Any body is a bitmap of the right length or refused, never a panic.
		#[test]
		fn bitmap_bodies_of_any_bytes(body in proptest::collection::vec(any::<u8>(), 0..64), count in 0usize..64) {
			match parse_bitmap(&body, count) {
				Some(have) => {
					prop_assert_eq!(have.len(), count);
					prop_assert_eq!(have.iter().filter(|h| **h).count(), body.iter().filter(|b| **b == 1).count());
				}
				None => prop_assert_ne!(body.len(), count),
			}
		}
	}
}
