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
		self.not_before = Instant::now() + super::super::retry::jittered(initial * factor).min(max);
	}
}

/// What a nominee said when asked for its bitmap.
pub(super) enum Poll {
	/// The pieces it has verified.
	Have(Vec<bool>),
	/// It does not serve the model (yet).
	NotServed,
	/// It is busy (`503`): nothing learnt, nothing wrong.
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
	if bytes.len() != count {
		return Poll::Failed(format!("{url}: bitmap of {} bytes, expected {count}", bytes.len()));
	}
	Poll::Have(bytes.iter().map(|b| *b == 1).collect())
}
