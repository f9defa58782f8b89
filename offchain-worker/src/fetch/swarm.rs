//! Piece-wise download of a model with a manifest, from holders, other nominees and the
//! registered sources.
//!
//! The partial file is preallocated to the model's size and every piece is written in
//! place at its offset, verified against its leaf hash as it arrives. Verified pieces are
//! recorded in a [`PieceBitmap`] (in memory, shared with the model server so that other
//! nominees can fetch them from this node at once, and persisted next to the partial
//! file so that a restarted download resumes at piece granularity).
//!
//! # Who is asked for what
//!
//! Holders (which have every piece) come first, then nominees that have the piece (their
//! `/pieces` bitmap is polled while needed). The registered sources are asked only for the
//! pieces of this node's share (`piece % count == index`, see
//! [`Nomination::source_share`]), and for pieces no reachable peer can provide: when no
//! peer is reachable at all, or when no peer has gained any piece of that share for
//! [`FetchConfig::stall_timeout`] (its owner is unreachable or stuck). So nominees of a
//! model fetch it from the sources about once in total.
//!
//! A peer that serves a wrong piece is dropped for the rest of the download (and never
//! blames the sources); transport failures move the piece elsewhere. A source that serves
//! a wrong piece is at fault, as in the whole-file download. Once every piece is verified
//! the whole file's SHA-256 must equal the model id; if it does not (a corrupted store),
//! every piece is checked again and the mismatching ones are fetched again, once.

mod disk;
mod piece;
mod provider;
mod whole;

use std::{
	path::PathBuf,
	sync::{atomic::AtomicU64, Arc},
	time::{Duration, Instant},
};

use tokio::task::JoinSet;

use self::{
	disk::{prepare, whole_digest},
	piece::{fetch_piece, PieceError, PieceRequest},
	provider::{poll_bitmap, Kind, Poll, Provider},
	whole::{fetch_whole, WholePass},
};
use super::{blocking, retry::blame, AttemptError, Fetcher};
use crate::{
	availability::{Availability, PieceBitmap},
	error::FetchError,
	pieces::{self, manifest_of_file, PieceManifest},
	store::Reservation,
	types::{short, ModelId, Nomination},
};

/// Wake-up interval of the scheduler while it waits.
const TICK: Duration = Duration::from_millis(100);
/// Longest pause honoured from a peer's `Retry-After`.
const MAX_PEER_PAUSE: Duration = Duration::from_secs(5);

/// A finished piece request or bitmap poll.
enum Done {
	Piece { index: usize, provider: usize, received: u64, result: Result<(), PieceError> },
	Poll { provider: usize, result: Poll },
	Whole { provider: usize, received: u64, result: Result<(), PieceError> },
}

/// Withdraws the download's bitmap from the model server when the download ends.
struct Published<'a>(&'a Availability, ModelId);

impl Drop for Published<'_> {
	fn drop(&mut self) {
		self.0.unregister(&self.1);
	}
}

impl Fetcher {
	/// Downloads the reserved model piece by piece until the partial file is complete and
	/// its SHA-256 verified.
	pub(super) async fn swarm(
		&self,
		res: &Reservation,
		nomination: &Nomination,
		manifest: &PieceManifest,
	) -> Result<(), FetchError> {
		let (model, size) = (*res.model(), res.size());
		if nomination.sources.is_empty() && nomination.peers.is_empty() {
			return Err(FetchError::SourceUnavailable("the model has no source URL".into()));
		}
		let partial = res.partial_path();
		let bitmap_path = self.store.pieces_path_of(&model);
		let bitmap = {
			let (partial, manifest) = (partial.clone(), manifest.clone());
			blocking(move || prepare(&partial, &bitmap_path, size, &manifest))
				.await
				.map_err(|e| FetchError::local_io("preparing the partial file", e))?
		};
		let bitmap = Arc::new(bitmap);
		self.availability.register(model, Arc::clone(&bitmap));
		let _published = Published(&self.availability, model);
		let mut run = Run::new(self, nomination, manifest, Arc::clone(&bitmap), partial.clone());
		if bitmap.done() > 0 {
			log::info!(
				target: "modelnet",
				"resuming model {}: {} of {} pieces already verified",
				short(&model),
				bitmap.done(),
				bitmap.len(),
			);
		}
		let mut rechecked = false;
		loop {
			run.download().await?;
			let sync = self.config.sync_on_complete;
			let path = partial.clone();
			let digest = blocking(move || whole_digest(&path, size, &model, sync))
				.await
				.map_err(|e| FetchError::local_io("hashing the partial file", e))?;
			if digest == model {
				run.log_progress();
				return Ok(());
			}
			let mismatch = FetchError::HashMismatch {
				expected: hex::encode(model),
				actual: hex::encode(digest),
			};
			if rechecked {
				let _ = self.store.remove_partial(&model);
				return Err(mismatch);
			}
			rechecked = true;
			let path = partial.clone();
			let leaves = blocking(move || manifest_of_file(&path, size))
				.await
				.map_err(|e| FetchError::local_io("hashing the partial file", e))?;
			let bad: Vec<usize> =
				(0..leaves.len()).filter(|i| leaves[*i] != manifest.pieces[*i]).collect();
			if bad.is_empty() {
				// Every piece matches the manifest, which then does not describe the model.
				let _ = self.store.remove_partial(&model);
				return Err(mismatch);
			}
			log::warn!(
				target: "modelnet",
				"model {}: {mismatch}; {} piece(s) on disk do not match: fetching them again",
				short(&model),
				bad.len(),
			);
			for index in bad {
				bitmap
					.set(index, false)
					.map_err(|e| FetchError::local_io("writing the piece bitmap", e))?;
			}
		}
	}
}

/// Scheduler state of one download.
struct Run<'a> {
	fetcher: &'a Fetcher,
	model: ModelId,
	size: u64,
	manifest: &'a PieceManifest,
	bitmap: Arc<PieceBitmap>,
	path: PathBuf,
	give_up_at: Option<Instant>,
	providers: Vec<Provider>,
	in_flight: Vec<bool>,
	running: usize,
	/// A whole-file pass runs: nothing else is started.
	whole_pass: bool,
	/// This node's share of source pieces: (index, count).
	share: (usize, usize),
	/// When a peer last gained a piece of each share.
	class_gain: Vec<Instant>,
	/// Bytes received by kind (source, holder, nominee).
	bytes: [u64; 3],
	last_progress: Instant,
	last_log: Instant,
	tasks: JoinSet<Done>,
}

impl<'a> Run<'a> {
	fn new(
		fetcher: &'a Fetcher,
		nomination: &Nomination,
		manifest: &'a PieceManifest,
		bitmap: Arc<PieceBitmap>,
		path: PathBuf,
	) -> Self {
		let count = bitmap.len();
		let mut providers: Vec<Provider> =
			nomination.peers.iter().map(|peer| Provider::peer(peer, count)).collect();
		providers.extend(nomination.sources.iter().map(|url| Provider::source(url.clone(), count)));
		let (index, of) = nomination.source_share;
		let share = if of <= 1 || index >= of { (0, 1) } else { (index as usize, of as usize) };
		let now = Instant::now();
		Self {
			fetcher,
			model: nomination.model,
			size: nomination.size,
			manifest,
			bitmap,
			path,
			give_up_at: nomination.deadline,
			providers,
			in_flight: vec![false; count],
			running: 0,
			whole_pass: false,
			share,
			class_gain: vec![now; share.1],
			bytes: [0; 3],
			last_progress: now,
			last_log: now,
			tasks: JoinSet::new(),
		}
	}

	/// Runs until every piece is verified, or fails.
	async fn download(&mut self) -> Result<(), FetchError> {
		let config = &self.fetcher.config;
		loop {
			if self.bitmap.done() as usize == self.bitmap.len() && self.running == 0 {
				self.tasks.abort_all();
				return Ok(());
			}
			let now = Instant::now();
			let deadline_passed = self.give_up_at.is_some_and(|at| now >= at);
			if !deadline_passed {
				self.poll_peers(now);
				self.schedule(now);
			}
			// At the deadline, requests still in flight (a sender dripping bytes) are cancelled:
			// the node gives up now, not when the slowest sender lets go.
			if self.running == 0 || deadline_passed {
				if let Some(e) = self.stuck(now, deadline_passed) {
					self.tasks.abort_all();
					self.running = 0;
					log::info!(
						target: "modelnet",
						"model {}: giving up with {} of {} pieces",
						short(&self.model),
						self.bitmap.done(),
						self.bitmap.len(),
					);
					return Err(e);
				}
			}
			if now.duration_since(self.last_log) >= config.progress_interval {
				self.last_log = now;
				self.log_progress();
			}
			tokio::select! {
				Some(done) = self.tasks.join_next() => match done {
					Ok(done) => self.handle(done)?,
					Err(e) => return Err(FetchError::Other(format!("piece task failed: {e}"))),
				},
				_ = tokio::time::sleep(TICK) => {}
			}
		}
	}

	/// The error to fail with if no piece can arrive any more.
	fn stuck(&mut self, now: Instant, deadline_passed: bool) -> Option<FetchError> {
		let sources_left = self.providers.iter().any(|p| p.kind == Kind::Source && !p.dropped);
		let peers_left = self.providers.iter().any(|p| p.is_live_peer());
		let config = &self.fetcher.config;
		// Without a source left, peers that stop delivering end the download (also before the
		// deadline): nominees that all lost their sources to a bad file would otherwise wait on
		// each other until their nominations expire, and the sources would never be blamed.
		let stalled = !sources_left
			&& now.duration_since(self.last_progress) > config.stall_timeout * (config.retries + 1);
		if !deadline_passed && !stalled && (sources_left || peers_left) {
			return None;
		}
		let failures: Vec<Option<FetchError>> = self
			.providers
			.iter_mut()
			.filter(|p| p.kind == Kind::Source)
			.map(|p| p.failure.take())
			.collect();
		Some(if failures.is_empty() {
			FetchError::SourceUnavailable(
				"the model has no source URL and no peer delivered it".into(),
			)
		} else if failures.iter().all(Option::is_none) {
			FetchError::NetworkUnreachable("no peer or source delivered the missing pieces".into())
		} else {
			blame(failures)
		})
	}

	/// Books a finished transfer of `received` bytes from `provider`.
	fn finished(&mut self, provider: usize, received: u64) {
		self.running -= 1;
		let p = &mut self.providers[provider];
		p.busy -= 1;
		self.bytes[p.kind.index()] += received;
		if let Some(metrics) = &self.fetcher.metrics {
			metrics.record_received(&self.model, p.kind.as_str(), received);
		}
	}

	/// Starts bitmap requests to nominees that are due.
	fn poll_peers(&mut self, now: Instant) {
		let interval = self.fetcher.config.peer_poll_interval;
		let count = self.bitmap.len();
		for (i, p) in self.providers.iter_mut().enumerate() {
			let due = p.last_poll.is_none_or(|at| now.duration_since(at) >= interval);
			if p.kind != Kind::Nominee || p.dropped || p.polling || !due || now < p.not_before {
				continue;
			}
			p.polling = true;
			p.last_poll = Some(now);
			let url = format!("{}/pieces", p.file_url(&self.model));
			let client = self.fetcher.peer_client.clone();
			let config = Arc::clone(&self.fetcher.config);
			self.tasks.spawn(async move {
				Done::Poll { provider: i, result: poll_bitmap(client, config, url, count).await }
			});
		}
	}

	/// Whether the registered sources may be asked for piece `index`.
	fn source_eligible(&self, index: usize, now: Instant) -> bool {
		let (mine, count) = self.share;
		if count <= 1 || index % count == mine {
			return true;
		}
		let mut live = self.providers.iter().filter(|p| p.is_live_peer()).peekable();
		if live.peek().is_none() {
			return true;
		}
		if live.any(|p| p.have.get(index).copied().unwrap_or(false)) {
			return false;
		}
		now.duration_since(self.class_gain[index % count]) >= self.fetcher.config.stall_timeout
	}

	/// Starts piece requests up to the parallelism, spread over the senders.
	fn schedule(&mut self, now: Instant) {
		if self.whole_pass {
			return;
		}
		let parallel = self.fetcher.config.piece_parallelism.max(1);
		for index in 0..self.bitmap.len() {
			if self.running >= parallel {
				return;
			}
			if self.in_flight[index] || self.bitmap.has(index) {
				continue;
			}
			let rank = |p: &Provider| (p.busy, p.kind.index());
			let peer = (0..self.providers.len())
				.filter(|i| {
					self.providers[*i].is_peer() && self.providers[*i].can_serve(index, now)
				})
				.min_by_key(|i| rank(&self.providers[*i]));
			let pick = peer.or_else(|| {
				if !self.source_eligible(index, now) {
					return None;
				}
				(0..self.providers.len())
					.filter(|i| {
						self.providers[*i].kind == Kind::Source
							&& self.providers[*i].can_serve(index, now)
					})
					.min_by_key(|i| rank(&self.providers[*i]))
			});
			if let Some(provider) = pick {
				self.start(index, provider);
			}
		}
		if self.running == 0 {
			self.start_whole_pass(now);
		}
	}

	/// With nothing else to do, fetches the whole file from a source that ignores `Range`
	/// if the sources may be asked for a missing piece.
	fn start_whole_pass(&mut self, now: Instant) {
		let Some(provider) =
			self.providers.iter().position(|p| p.whole_only && !p.dropped && now >= p.not_before)
		else {
			return;
		};
		let wanted =
			(0..self.bitmap.len()).any(|i| !self.bitmap.has(i) && self.source_eligible(i, now));
		if !wanted {
			return;
		}
		let p = &mut self.providers[provider];
		p.busy += 1;
		self.running += 1;
		self.whole_pass = true;
		log::info!(
			target: "modelnet",
			"{} ignores range requests: fetching the whole file of {} from it",
			p.url,
			short(&self.model),
		);
		let pass = WholePass {
			url: p.url.clone(),
			size: self.size,
			leaves: Arc::new(self.manifest.pieces.clone()),
			bitmap: Arc::clone(&self.bitmap),
			path: self.path.clone(),
		};
		let (client, config) = (self.fetcher.client.clone(), Arc::clone(&self.fetcher.config));
		self.tasks.spawn(async move {
			let received = Arc::new(AtomicU64::new(0));
			let result = fetch_whole(client, config, pass, Arc::clone(&received)).await;
			let received = received.load(std::sync::atomic::Ordering::Relaxed);
			Done::Whole { provider, received, result }
		});
	}

	fn start(&mut self, index: usize, provider: usize) {
		let (offset, len) = pieces::piece_range(self.size, index as u64);
		let p = &mut self.providers[provider];
		p.busy += 1;
		self.in_flight[index] = true;
		self.running += 1;
		let request = PieceRequest {
			offset,
			len,
			leaf: self.manifest.pieces[index],
			url: p.file_url(&self.model),
			size: self.size,
			path: self.path.clone(),
		};
		log::debug!(target: "modelnet", "piece {index} of {} from {}", short(&self.model), p.url);
		// Peers and sources are held to address policies of their own.
		let client = if p.is_peer() { &self.fetcher.peer_client } else { &self.fetcher.client };
		let (client, config) = (client.clone(), Arc::clone(&self.fetcher.config));
		self.tasks.spawn(async move {
			let received = Arc::new(AtomicU64::new(0));
			let result = fetch_piece(client, config, request, Arc::clone(&received)).await;
			let received = received.load(std::sync::atomic::Ordering::Relaxed);
			Done::Piece { index, provider, received, result }
		});
	}

	fn handle(&mut self, done: Done) -> Result<(), FetchError> {
		let now = Instant::now();
		match done {
			Done::Poll { provider, result } => {
				let p = &mut self.providers[provider];
				p.polling = false;
				match result {
					// A bitmap is a claim, not a delivery: only delivered pieces clear failures.
					Poll::Have(have) => {
						for (i, has) in have.iter().enumerate() {
							if *has && !p.have[i] {
								self.class_gain[i % self.share.1] = now;
								self.last_progress = now;
							}
						}
						p.have = have;
					}
					Poll::NotServed => {
						p.have.iter_mut().for_each(|h| *h = false);
					}
					Poll::Busy => {
						let config = &self.fetcher.config;
						p.back_off(config.initial_backoff, config.stall_timeout);
					}
					Poll::Failed(e) => {
						log::debug!(target: "modelnet", "no piece bitmap from {}: {e}", p.url);
						let config = &self.fetcher.config;
						p.back_off(config.initial_backoff, config.stall_timeout);
					}
				}
			}
			Done::Whole { provider, received, result } => {
				self.whole_pass = false;
				self.finished(provider, received);
				if received > 0 {
					self.last_progress = now;
				}
				match result {
					Ok(()) => self.providers[provider].delivered(),
					Err(e) => self.failed(None, provider, e)?,
				}
			}
			Done::Piece { index, provider, received, result } => {
				self.in_flight[index] = false;
				self.finished(provider, received);
				match result {
					Ok(()) => {
						self.bitmap
							.set(index, true)
							.map_err(|e| FetchError::local_io("writing the piece bitmap", e))?;
						let p = &mut self.providers[provider];
						p.delivered();
						if p.is_peer() {
							self.class_gain[index % self.share.1] = now;
						}
						self.last_progress = now;
					}
					Err(e) => self.failed(Some(index), provider, e)?,
				}
			}
		}
		Ok(())
	}

	/// Deals with a failed piece request.
	fn failed(
		&mut self,
		index: Option<usize>,
		provider: usize,
		error: PieceError,
	) -> Result<(), FetchError> {
		let config = &self.fetcher.config;
		let model = short(&self.model);
		let what = index.map_or_else(|| "the whole file".to_string(), |i| format!("piece {i}"));
		let p = &mut self.providers[provider];
		match error {
			PieceError::Bad(e) => {
				if let Some(metrics) = &self.fetcher.metrics {
					metrics.bad_pieces.with_label_values(&[p.kind.as_str()]).inc();
				}
				p.dropped = true;
				if p.is_peer() {
					log::warn!(
						target: "modelnet",
						"{} {} served a bad {what} of model {model} ({e}): dropped",
						p.kind.as_str(),
						p.url,
					);
				} else {
					log::warn!(target: "modelnet", "source {} dropped: {e}", p.url);
					p.failure = Some(e);
				}
			}
			PieceError::NoRanges if p.is_peer() => {
				p.back_off(config.initial_backoff, config.stall_timeout);
			}
			PieceError::NoRanges => {
				log::info!(target: "modelnet", "source {} ignores range requests", p.url);
				p.whole_only = true;
			}
			PieceError::Attempt(AttemptError::Fatal(e)) => return Err(e),
			PieceError::Attempt(AttemptError::Throttled(e, after)) => {
				log::info!(target: "modelnet", "{e}; asked to retry after {after:?}");
				let pause = if p.is_peer() { after.min(MAX_PEER_PAUSE) } else { after };
				p.refused(pause);
				if !p.is_peer() {
					p.failure = Some(e);
				}
			}
			PieceError::Attempt(AttemptError::Retry(e)) => {
				log::info!(target: "modelnet", "{what} of {model} from {}: {e}", p.url);
				if p.is_peer() {
					p.back_off(config.initial_backoff, config.stall_timeout);
				} else {
					p.back_off(config.initial_backoff, config.max_backoff);
					p.failure = Some(e);
					if self.give_up_at.is_none() && p.failures > config.retries {
						p.dropped = true;
					}
				}
			}
			PieceError::Attempt(AttemptError::Source(e)) => {
				if p.is_peer() {
					log::debug!(target: "modelnet", "{what} of {model} from {}: {e}", p.url);
					if let (Kind::Nominee, Some(index)) = (p.kind, index) {
						p.have[index] = false;
					}
					p.back_off(config.initial_backoff, config.stall_timeout);
				} else {
					log::warn!(target: "modelnet", "source {} dropped: {e}", p.url);
					p.dropped = true;
					p.failure = Some(e);
				}
			}
		}
		Ok(())
	}

	fn log_progress(&self) {
		let [source, holder, nominee] = self.bytes;
		log::info!(
			target: "modelnet",
			"downloading {}: {}/{} pieces; bytes from sources {source}, holders {holder}, \
			 nominees {nominee}",
			short(&self.model),
			self.bitmap.done(),
			self.bitmap.len(),
		);
	}
}
