//! Verified, resumable HTTP(S) downloads into the [`ModelStore`].
//!
//! A download streams the body to `<root>/partial/<hex>.part` while hashing it with
//! SHA-256, in bounded chunks (the file is never held in memory and never re-read after
//! the download). After an interruption (connection drop, read timeout, node restart) it
//! resumes with `Range: bytes=N-`, continuing the hash state; after a restart the existing
//! prefix is re-hashed once from disk. A server that ignores `Range` (200 instead of 206)
//! restarts the file from byte 0. More bytes than declared fail with `SizeMismatch`, a
//! wrong digest with `HashMismatch`; both delete the partial file. Only a verified file is
//! renamed into `<root>/models/`.
//!
//! # Retries and blame
//!
//! Sources are tried in rounds. A source that answers with an HTTP error other than
//! 408/429/5xx, the wrong size or the wrong hash is dropped (its fault). Other failures
//! are retried after a pause that grows exponentially (with jitter, up to
//! [`FetchConfig::max_backoff`], longer if a 429/503 asks for it with `Retry-After`):
//! until the caller's deadline is near if it gave one, otherwise for
//! [`FetchConfig::retries`] rounds without progress. If every source failed below HTTP
//! (DNS, connection refused or reset, timeouts) the download fails with
//! [`FetchError::NetworkUnreachable`], which does not blame the sources.
//!
//! # Address checks
//!
//! Unless [`FetchConfig::allow_private_addresses`] is set, connections go only to public
//! addresses: hosts are resolved by the fetcher and loopback, private, link-local, CGNAT,
//! multicast and similar addresses are refused, for the source URL and for every redirect
//! hop ([`FetchError::ForbiddenAddress`]). Peers (other nodes) are checked the same way under
//! their own setting, [`FetchConfig::allow_private_peers`].

mod address;
mod config;
mod floor;
mod http;
mod progress;
mod retry;
mod swarm;
mod writer;

use std::{
	path::PathBuf,
	sync::Arc,
	time::{Duration, Instant},
};

use http_body_util::BodyExt;
use hyper::{body::Incoming, StatusCode};
use sha2::Digest;
use tokio::sync::Semaphore;

pub use self::config::{FetchConfig, DEFAULT_MIN_TRANSFER_RATE};
use self::{
	address::{is_network_failure, AddressPolicy},
	floor::RateFloor,
	http::{content_length, content_range, describe, retry_after, HttpClient},
	progress::Progress,
	retry::{blame, instant_after, jittered},
	writer::{load_partial, touch, Resume, Writer, CHUNK},
};
use crate::{
	availability::Availability,
	error::{FetchError, StoreError},
	metrics::Metrics,
	pieces::PieceManifest,
	store::{ModelStore, Reservation},
	types::{short, ModelId, Nomination},
};

/// How one attempt against one source failed.
#[derive(Debug)]
pub(crate) enum AttemptError {
	/// Transient: try again later (connection refused or dropped, timeout, HTTP 5xx).
	/// A [`FetchError::NetworkUnreachable`] marks a failure below HTTP.
	Retry(FetchError),
	/// HTTP 429 or 503 with `Retry-After`: try again, not before this delay.
	Throttled(FetchError, Duration),
	/// This source cannot deliver the file (HTTP 404, wrong size or hash): skip it.
	Source(FetchError),
	/// Local failure that no source can fix (disk I/O): give up.
	Fatal(FetchError),
}

/// Downloads models into a [`ModelStore`]. Cheap to share behind an [`Arc`].
pub struct Fetcher {
	/// For the models' sources.
	client: HttpClient,
	/// For peers (holders and nominees): a client with the peers' address policy.
	peer_client: HttpClient,
	store: Arc<ModelStore>,
	config: Arc<FetchConfig>,
	metrics: Option<Metrics>,
	permits: Semaphore,
	availability: Arc<Availability>,
}

impl Fetcher {
	/// Creates a fetcher writing into `store`, with optional metrics.
	pub fn new(
		store: Arc<ModelStore>,
		config: FetchConfig,
		metrics: Option<Metrics>,
	) -> Result<Self, FetchError> {
		let client = http::build_client(&config, AddressPolicy::for_sources(&config))?;
		let peer_client = http::build_client(&config, AddressPolicy::for_peers(&config))?;
		let permits = Semaphore::new(config.max_parallel_downloads.max(1));
		let config = Arc::new(config);
		let availability = Arc::new(Availability::new());
		Ok(Self { client, peer_client, store, config, metrics, permits, availability })
	}

	/// What this node may serve to other nodes: the verified pieces of the piece-wise
	/// downloads in progress are published here (see [`serve`](crate::serve)).
	pub fn availability(&self) -> &Arc<Availability> {
		&self.availability
	}

	/// The store this fetcher writes into.
	pub fn store(&self) -> &Arc<ModelStore> {
		&self.store
	}

	/// The fetcher's settings.
	pub fn config(&self) -> &FetchConfig {
		&self.config
	}

	/// Downloads `model` (`size` bytes) from the first source that delivers it, verifies
	/// its SHA-256 and stores it; returns the stored file's path.
	///
	/// Returns at once if the model is already stored. Waits while
	/// `max_parallel_downloads` downloads run. Refuses (leaving nothing on disk) if the
	/// disk budget cannot hold `size` more bytes. Dropping the future stops the download
	/// and keeps the partial file for a later resumption.
	///
	/// `give_up_at` is when retrying must stop (the nomination's deadline minus a safety
	/// margin): with it, failed rounds are retried until the next pause would reach it
	/// (an attempt already transferring is not cut off); without it, for
	/// [`FetchConfig::retries`] rounds without progress.
	pub async fn fetch(
		&self,
		model: ModelId,
		size: u64,
		sources: &[String],
		give_up_at: Option<Instant>,
	) -> Result<PathBuf, FetchError> {
		let _permit =
			self.permits.acquire().await.map_err(|_| FetchError::Other("fetcher closed".into()))?;
		if self.store.check(&model, size) {
			return Ok(self.store.path_of(&model));
		}
		let result = self.fetch_reserved(model, size, Plan::Whole(sources), give_up_at).await;
		if let (Err(e), Some(metrics)) = (&result, &self.metrics) {
			metrics.record_failure(e.reason());
		}
		if let Err(e) = &result {
			log::warn!(target: "modelnet", "download of model {} failed: {e}", hex::encode(model));
		}
		result
	}

	/// Downloads a nominated model: piece by piece from peers and sources if the
	/// nomination has a valid manifest, else the whole file from its sources as
	/// [`Fetcher::fetch`] does. Verifies and stores it; returns the stored file's path.
	pub async fn fetch_nomination(&self, nomination: &Nomination) -> Result<PathBuf, FetchError> {
		let Some(manifest) = &nomination.manifest else {
			return self
				.fetch(nomination.model, nomination.size, &nomination.sources, nomination.deadline)
				.await;
		};
		let (model, size) = (nomination.model, nomination.size);
		if !manifest.check(size) {
			log::warn!(
				target: "modelnet",
				"model {}: inconsistent piece manifest; downloading the whole file",
				short(&model),
			);
			return self.fetch(model, size, &nomination.sources, nomination.deadline).await;
		}
		let _permit =
			self.permits.acquire().await.map_err(|_| FetchError::Other("fetcher closed".into()))?;
		if self.store.check(&model, size) {
			return Ok(self.store.path_of(&model));
		}
		let result =
			self.fetch_reserved(model, size, Plan::Pieces(nomination, manifest), None).await;
		if let (Err(e), Some(metrics)) = (&result, &self.metrics) {
			metrics.record_failure(e.reason());
		}
		if let Err(e) = &result {
			log::warn!(target: "modelnet", "download of model {} failed: {e}", hex::encode(model));
		}
		result
	}

	async fn fetch_reserved(
		&self,
		model: ModelId,
		size: u64,
		plan: Plan<'_>,
		give_up_at: Option<Instant>,
	) -> Result<PathBuf, FetchError> {
		let reservation = match self.store.reserve(model, size) {
			Ok(reservation) => reservation,
			Err(e @ StoreError::BudgetExceeded { .. }) => {
				// Leave nothing behind, not even an older partial file.
				let _ = self.store.remove_partial(&model);
				return Err(e.into());
			}
			Err(e) => return Err(e.into()),
		};
		let _active = self.metrics.as_ref().map(|m| ActiveGuard::new(m.clone()));
		match plan {
			Plan::Whole(sources) => self.download(&reservation, sources, give_up_at).await?,
			Plan::Pieces(nomination, manifest) => {
				self.swarm(&reservation, nomination, manifest).await?
			}
		}
		let path = reservation.commit()?;
		let _ = self.store.remove_piece_bitmap(&model);
		if let Some(metrics) = &self.metrics {
			metrics.verified.inc();
		}
		log::info!(
			target: "modelnet",
			"model {} verified and stored ({size} bytes) at {}",
			hex::encode(model),
			path.display(),
		);
		Ok(path)
	}

	/// Tries the sources in rounds until the partial file is complete and verified.
	async fn download(
		&self,
		res: &Reservation,
		sources: &[String],
		give_up_at: Option<Instant>,
	) -> Result<(), FetchError> {
		if sources.is_empty() {
			return Err(FetchError::SourceUnavailable("the model has no source URL".into()));
		}
		let mut resume: Option<Resume> = None;
		let mut skip = vec![false; sources.len()];
		// Each source's latest failure: decides whom the final error blames.
		let mut failures: Vec<Option<FetchError>> = sources.iter().map(|_| None).collect();
		let mut round = 0u32;
		let mut backoff = self.config.initial_backoff;
		// Furthest the partial file got: only going beyond it counts as progress (a server
		// that ignores `Range` and keeps dropping must not be retried forever).
		let mut high_water = 0u64;
		// A partial file from an earlier run may be what is corrupt: the first hash mismatch
		// after resuming it is retried from scratch before the source is blamed.
		let mut suspect_prefix = std::fs::metadata(res.partial_path()).is_ok_and(|m| m.len() > 0);
		loop {
			let mut progressed = false;
			let mut asked_to_wait = Duration::ZERO;
			for (i, url) in sources.iter().enumerate() {
				if skip[i] {
					continue;
				}
				let mut received = 0u64;
				let result = self.attempt(res, url, &mut resume, &mut received).await;
				let offset = resume.as_ref().map_or(0, |r| r.offset);
				if received > 0 && offset > high_water {
					high_water = offset;
					progressed = true;
				}
				match result {
					Ok(()) => return Ok(()),
					Err(AttemptError::Fatal(e)) => return Err(e),
					Err(AttemptError::Source(e @ FetchError::HashMismatch { .. }))
						if suspect_prefix =>
					{
						log::info!(
							target: "modelnet",
							"{e} after resuming an earlier partial file: starting over from {url}",
						);
						suspect_prefix = false;
						failures[i] = Some(e);
					}
					Err(AttemptError::Source(e)) => {
						log::warn!(target: "modelnet", "source {url} dropped: {e}");
						skip[i] = true;
						failures[i] = Some(e);
					}
					Err(AttemptError::Retry(e)) => {
						log::info!(target: "modelnet", "download from {url} interrupted: {e}");
						failures[i] = Some(e);
					}
					Err(AttemptError::Throttled(e, after)) => {
						log::info!(target: "modelnet", "{e}; asked to retry after {after:?}");
						asked_to_wait = asked_to_wait.max(after);
						failures[i] = Some(e);
					}
				}
			}
			if skip.iter().all(|s| *s) {
				break;
			}
			if progressed {
				round = 0;
				backoff = self.config.initial_backoff;
				continue;
			}
			round += 1;
			let pause = jittered(backoff);
			let pause = match give_up_at {
				Some(deadline) => {
					let pause = pause.max(asked_to_wait);
					if instant_after(pause) >= deadline {
						log::info!(target: "modelnet", "giving up: the deadline is near");
						break;
					}
					pause
				}
				None if round > self.config.retries => break,
				None => pause.max(asked_to_wait.min(self.config.max_backoff)),
			};
			log::debug!(target: "modelnet", "retry round {round} in {pause:?}");
			tokio::time::sleep(pause).await;
			backoff = (backoff * 2).min(self.config.max_backoff);
		}
		Err(blame(failures))
	}

	/// One request to one source. `resume` tracks the partial file across attempts;
	/// `None` means it must be read back from disk.
	async fn attempt(
		&self,
		res: &Reservation,
		url: &str,
		resume: &mut Option<Resume>,
		received: &mut u64,
	) -> Result<(), AttemptError> {
		let size = res.size();
		let partial = res.partial_path();
		let mut state = match resume.take() {
			Some(state) => state,
			None => {
				let path = partial.clone();
				blocking(move || load_partial(&path, size))
					.await
					.map_err(|e| AttemptError::Fatal(FetchError::local_io("partial file", e)))?
			}
		};
		if state.offset == size {
			return self.finish(res, state, resume).await;
		}
		let response = match http::get(&self.client, &self.config, url, state.offset).await {
			Ok(response) => response,
			Err(e) => {
				*resume = Some(state);
				return Err(e);
			}
		};
		let status = response.status();
		let headers = response.headers();
		let size_error = |detail: String| {
			AttemptError::Source(FetchError::SizeMismatch { expected: size, detail })
		};
		match status {
			StatusCode::PARTIAL_CONTENT => {
				let range = content_range(headers);
				if let Some(total) = range.as_ref().and_then(|r| r.total) {
					if total != size {
						*resume = Some(state);
						return Err(size_error(format!("has {total} bytes")));
					}
				}
				if range.and_then(|r| r.start) != Some(state.offset) {
					let offset = state.offset;
					*resume = Some(state);
					return Err(AttemptError::Source(FetchError::SourceUnavailable(format!(
						"{url}: unexpected Content-Range for offset {offset}"
					))));
				}
			}
			StatusCode::OK => {
				if let Some(len) = content_length(headers).filter(|len| *len != size) {
					*resume = Some(state);
					return Err(size_error(format!("has {len} bytes")));
				}
				if state.offset > 0 {
					log::info!(
						target: "modelnet",
						"{url} ignored the range request: restarting from byte 0",
					);
					state = Resume::fresh();
				}
			}
			StatusCode::RANGE_NOT_SATISFIABLE => {
				if let Some(total) = content_range(headers).and_then(|r| r.total) {
					if total != size {
						*resume = Some(state);
						return Err(size_error(format!("has {total} bytes")));
					}
				}
				// Our partial file confuses the server: start over.
				let _ = self.store.remove_partial(res.model());
				*resume = Some(Resume::fresh());
				return Err(AttemptError::Retry(FetchError::SourceUnavailable(format!(
					"{url}: range not satisfiable"
				))));
			}
			s if s.is_server_error()
				|| s == StatusCode::TOO_MANY_REQUESTS
				|| s == StatusCode::REQUEST_TIMEOUT =>
			{
				*resume = Some(state);
				let error = FetchError::SourceUnavailable(format!("{url}: HTTP {s}"));
				let throttled =
					s == StatusCode::TOO_MANY_REQUESTS || s == StatusCode::SERVICE_UNAVAILABLE;
				return Err(match retry_after(headers).filter(|_| throttled) {
					Some(after) => AttemptError::Throttled(error, after),
					None => AttemptError::Retry(error),
				});
			}
			s => {
				*resume = Some(state);
				return Err(AttemptError::Source(FetchError::SourceUnavailable(format!(
					"{url}: HTTP {s}"
				))));
			}
		}
		let body = response.into_body();
		let state = self.stream(res, body, state, resume, received).await?;
		self.finish(res, state, resume).await
	}

	/// Streams the body into the partial file. On return `resume` (or the returned
	/// state) describes exactly what is on disk.
	async fn stream(
		&self,
		res: &Reservation,
		mut body: Incoming,
		state: Resume,
		resume: &mut Option<Resume>,
		received: &mut u64,
	) -> Result<Resume, AttemptError> {
		let size = res.size();
		let start = state.offset;
		let mut offset = start;
		let mut progress =
			Progress::new(short(res.model()), size, start, self.config.progress_interval);
		let mut writer =
			Writer::start(res.partial_path(), state, size, self.config.sync_on_complete);
		let mut buf = Vec::with_capacity(CHUNK);
		let mut floor = RateFloor::new(&self.config);
		let too_slow = |detail: String| {
			AttemptError::Retry(FetchError::SourceUnavailable(format!("too slow: {detail}")))
		};
		let outcome: Result<(), AttemptError> = loop {
			let wait = floor.wait(self.config.read_timeout, Instant::now());
			let frame = match tokio::time::timeout(wait, body.frame()).await {
				Err(_) if wait >= self.config.read_timeout => {
					break Err(AttemptError::Retry(FetchError::NetworkUnreachable(format!(
						"no data for {:?}",
						self.config.read_timeout
					))))
				}
				Err(_) => match floor.check(0, Instant::now()) {
					Ok(()) => continue,
					Err(detail) => break Err(too_slow(detail)),
				},
				Ok(None) => break Ok(()),
				Ok(Some(Err(e))) => {
					let detail = format!("connection lost: {}", describe(&e));
					break Err(AttemptError::Retry(if is_network_failure(&e) {
						FetchError::NetworkUnreachable(detail)
					} else {
						FetchError::SourceUnavailable(detail)
					}));
				}
				Ok(Some(Ok(frame))) => frame,
			};
			let Ok(data) = frame.into_data() else {
				continue;
			};
			let len = data.len() as u64;
			if let Err(detail) = floor.check(len, Instant::now()) {
				break Err(too_slow(detail));
			}
			if offset + len > size {
				break Err(AttemptError::Source(FetchError::SizeMismatch {
					expected: size,
					detail: format!("sent more than {size} bytes"),
				}));
			}
			offset += len;
			*received += len;
			if let Some(metrics) = &self.metrics {
				metrics.record_received(res.model(), "source", len);
			}
			progress.update(offset);
			buf.extend_from_slice(&data);
			if buf.len() >= CHUNK {
				let full = std::mem::replace(&mut buf, Vec::with_capacity(CHUNK));
				if !writer.send(full).await {
					break Ok(()); // The writer failed; `finish` reports why.
				}
			}
		};
		if let Err(AttemptError::Source(e)) = outcome {
			drop(writer.finish().await);
			let _ = self.store.remove_partial(res.model());
			*resume = None;
			return Err(AttemptError::Source(e));
		}
		if !buf.is_empty() {
			writer.send(buf).await;
		}
		let state = writer.finish().await.map_err(|e| {
			*resume = None;
			AttemptError::Fatal(FetchError::local_io("writing the partial file", e))
		})?;
		log::debug!(
			target: "modelnet",
			"{}: attempt wrote {} bytes in {:.1?} ({:.1} MiB/s)",
			short(res.model()),
			state.offset - start,
			progress.elapsed(),
			progress.rate_mib(state.offset),
		);
		if let Err(e) = outcome {
			*resume = Some(state);
			return Err(e);
		}
		if state.offset < size {
			let offset = state.offset;
			*resume = Some(state);
			return Err(AttemptError::Retry(FetchError::SourceUnavailable(format!(
				"body ended at byte {offset} of {size}"
			))));
		}
		Ok(state)
	}

	/// Checks the digest of the complete partial file.
	async fn finish(
		&self,
		res: &Reservation,
		state: Resume,
		resume: &mut Option<Resume>,
	) -> Result<(), AttemptError> {
		let digest: [u8; 32] = state.hasher.finalize().into();
		if &digest == res.model() {
			if res.size() == 0 {
				let path = res.partial_path();
				blocking(move || touch(&path))
					.await
					.map_err(|e| AttemptError::Fatal(FetchError::local_io("partial file", e)))?;
			}
			return Ok(());
		}
		let _ = self.store.remove_partial(res.model());
		*resume = None;
		Err(AttemptError::Source(FetchError::HashMismatch {
			expected: hex::encode(res.model()),
			actual: hex::encode(digest),
		}))
	}
}

/// How a reserved model is downloaded.
enum Plan<'a> {
	/// The whole file from these sources.
	Whole(&'a [String]),
	/// Piece by piece from peers and sources.
	Pieces(&'a Nomination, &'a PieceManifest),
}

/// Keeps the active-downloads gauge up while a download runs.
struct ActiveGuard(Metrics);

impl ActiveGuard {
	fn new(metrics: Metrics) -> Self {
		metrics.active_downloads.inc();
		Self(metrics)
	}
}

impl Drop for ActiveGuard {
	fn drop(&mut self) {
		self.0.active_downloads.dec();
	}
}

/// Runs blocking file-system work off the async runtime.
async fn blocking<T: Send + 'static>(
	f: impl FnOnce() -> std::io::Result<T> + Send + 'static,
) -> std::io::Result<T> {
	tokio::task::spawn_blocking(f)
		.await
		.unwrap_or_else(|e| Err(std::io::Error::other(format!("blocking task failed: {e}"))))
}
