//! The coordinator's event loop and reconciliation logic.

use std::{
	collections::{HashMap, HashSet},
	path::PathBuf,
	sync::Arc,
	time::Instant,
};

use tokio::{
	sync::watch,
	task::{AbortHandle, Id, JoinError, JoinSet},
	time::MissedTickBehavior,
};

use super::{CoordinatorConfig, Desired, OutcomeSink};
use crate::{
	error::{DeclineReason, ExecError, FetchError, FetchOutcome, StoreError},
	executor::Executors,
	fetch::Fetcher,
	metrics::Metrics,
	store::ModelStore,
	types::{short, DesiredState, ModelId, Nomination, TaskJob},
};

type DownloadResult = (ModelId, Result<PathBuf, FetchError>);
type ExecResult = (TaskJob, Result<[u8; 32], ExecError>);
type VerifyResult = (ModelId, Result<bool, StoreError>);

/// State of a running coordinator.
pub(super) struct Worker {
	config: CoordinatorConfig,
	store: Arc<ModelStore>,
	fetcher: Arc<Fetcher>,
	executors: Arc<Executors>,
	sink: Arc<dyn OutcomeSink>,
	metrics: Option<Metrics>,
	desired: Desired,
	downloads: JoinSet<DownloadResult>,
	download_ids: HashMap<Id, ModelId>,
	/// Downloads in progress, with the sources each one fetches from.
	active: HashMap<ModelId, (AbortHandle, Vec<String>)>,
	execs: JoinSet<ExecResult>,
	exec_ids: HashMap<Id, TaskJob>,
	verifies: JoinSet<VerifyResult>,
	/// Stored models to re-hash before they are used or confirmed: all of them at
	/// start-up with `rehash_on_start`, and files that appeared behind the store's back.
	unverified: HashSet<ModelId>,
	/// Last outcome reported per model, the round it answered, and when.
	reported: HashMap<ModelId, (FetchOutcome, u64, Instant)>,
	/// When a model's last download failed, and from which sources.
	failed_at: HashMap<ModelId, (Instant, Vec<String>)>,
	/// Results computed (and reported) per task job.
	results: HashMap<TaskJob, [u8; 32]>,
	/// When a task's last execution failed.
	exec_failed: HashMap<TaskJob, Instant>,
	/// Since when an update has asked to delete a large share of the store (held back).
	mass_eviction_since: Option<Instant>,
}

/// The desired state indexed by model and task, duplicates (several local accounts)
/// merged.
struct Wanted<'a> {
	nominated: HashMap<ModelId, &'a Nomination>,
	held: HashMap<ModelId, u64>,
	tasks: Vec<&'a TaskJob>,
	/// Models the finalized chain still wants, copies a local account announced and the
	/// operator's pins: never deleted.
	retained: HashSet<ModelId>,
}

impl<'a> Wanted<'a> {
	fn new(desired: &'a DesiredState, pinned: &[ModelId]) -> Self {
		let mut nominated = HashMap::new();
		for nomination in &desired.nominations {
			nominated.entry(nomination.model).or_insert(nomination);
		}
		let held = desired.holdings.iter().map(|h| (h.model, h.size)).collect();
		let mut seen = HashSet::new();
		let tasks = desired.tasks.iter().filter(|job| seen.insert(*job)).collect();
		let retained =
			desired.retain.iter().chain(&desired.announced).chain(pinned).copied().collect();
		Self { nominated, held, tasks, retained }
	}

	/// Whether the chain (at the best block) mentions the model.
	fn contains(&self, model: &ModelId) -> bool {
		self.nominated.contains_key(model) || self.held.contains_key(model)
	}

	/// Whether the model's file must stay on disk.
	fn keeps(&self, model: &ModelId) -> bool {
		self.contains(model) || self.retained.contains(model)
	}

	fn size_of(&self, model: &ModelId) -> Option<u64> {
		self.nominated.get(model).map(|n| n.size).or_else(|| self.held.get(model).copied())
	}
}

impl Worker {
	pub(super) fn new(
		config: CoordinatorConfig,
		store: Arc<ModelStore>,
		fetcher: Arc<Fetcher>,
		executors: Arc<Executors>,
		sink: Arc<dyn OutcomeSink>,
		metrics: Option<Metrics>,
	) -> Self {
		// Files without a matching verification record (changed while the node was down, or
		// never verified) are re-hashed before they are used or confirmed; with
		// `rehash_on_start`, every file is.
		let unverified = store
			.stored()
			.into_iter()
			.map(|(model, _)| model)
			.filter(|model| config.rehash_on_start || store.needs_verification(model))
			.collect();
		Self {
			config,
			store,
			fetcher,
			executors,
			sink,
			metrics,
			desired: None,
			downloads: JoinSet::new(),
			download_ids: HashMap::new(),
			active: HashMap::new(),
			execs: JoinSet::new(),
			exec_ids: HashMap::new(),
			verifies: JoinSet::new(),
			unverified,
			reported: HashMap::new(),
			failed_at: HashMap::new(),
			results: HashMap::new(),
			exec_failed: HashMap::new(),
			mass_eviction_since: None,
		}
	}

	/// Reconciles on every new desired state, finished job and tick, until the sender
	/// side of `rx` is gone.
	pub(super) async fn run(mut self, mut rx: watch::Receiver<Desired>) {
		let mut tick = tokio::time::interval(self.config.tick);
		tick.set_missed_tick_behavior(MissedTickBehavior::Delay);
		loop {
			tokio::select! {
				changed = rx.changed() => match changed {
					Ok(()) => self.desired = rx.borrow_and_update().clone(),
					Err(_) => break,
				},
				Some(done) = self.downloads.join_next_with_id() => self.download_done(done),
				Some(done) = self.execs.join_next_with_id() => self.exec_done(done),
				Some(done) = self.verifies.join_next() => self.verify_done(done),
				_ = tick.tick() => {},
			}
			self.reconcile();
		}
		// Downloads stop here; their partial files stay for a resumption after restart.
		self.downloads.abort_all();
		log::info!(target: "modelnet", "model coordinator stopped");
	}

	fn reconcile(&mut self) {
		let Some(desired) = self.desired.clone() else {
			return;
		};
		let wanted = Wanted::new(&desired, &self.config.pinned);
		let now = Instant::now();
		// The model server serves what the chain says this node holds or is nominated for.
		self.fetcher
			.availability()
			.set_allowed(wanted.nominated.keys().chain(wanted.held.keys()).copied());
		self.cancel_and_evict(&wanted);
		self.check_holdings(&wanted);
		self.start_downloads(&wanted, now);
		self.start_tasks(&wanted, now);
		self.start_verification(&wanted);
		self.prune(&wanted, now);
		if let Some(metrics) = &self.metrics {
			metrics.stored_bytes.set(self.store.stored_bytes());
			metrics.stored_models.set(self.store.stored().len() as u64);
			// Per-model series live as long as the chain names the node for the model.
			metrics.retain_models(wanted.nominated.keys().chain(wanted.held.keys()).copied());
		}
	}

	/// Stops downloads of models no longer nominated; deletes files nobody wants.
	fn cancel_and_evict(&mut self, wanted: &Wanted) {
		let cancelled: Vec<ModelId> =
			self.active.keys().filter(|m| !wanted.nominated.contains_key(*m)).copied().collect();
		for model in cancelled {
			if let Some((handle, _)) = self.active.remove(&model) {
				handle.abort();
				log::info!(target: "modelnet", "download of {} cancelled", short(&model));
			}
		}
		let stored = self.store.stored();
		let unwanted: Vec<ModelId> =
			stored.iter().map(|(model, _)| *model).filter(|m| !wanted.keeps(m)).collect();
		// A held-back mass deletion keeps every file; cancelled downloads still stop.
		let unwanted =
			if self.eviction_allowed(unwanted.len(), stored.len()) { unwanted } else { Vec::new() };
		for model in unwanted {
			match self.store.remove(&model) {
				Ok(_) => {
					log::info!(target: "modelnet", "model {} evicted", hex::encode(model));
					if let Some(metrics) = &self.metrics {
						metrics.evicted.inc();
					}
				}
				Err(e) => log::warn!(target: "modelnet", "eviction failed: {e}"),
			}
		}
		for model in self.store.partials().unwrap_or_default() {
			if !wanted.nominated.contains_key(&model)
				&& !wanted.retained.contains(&model)
				&& !self.active.contains_key(&model)
			{
				if let Err(e) = self.store.remove_partial(&model) {
					log::warn!(target: "modelnet", "cannot delete partial download: {e}");
				}
			}
		}
	}

	/// Whether `unwanted` of `stored` models may be deleted now: a mass deletion (more than
	/// [`CoordinatorConfig::mass_eviction_percent`] of the store, and more than one model) is
	/// held back until it has been asked for during
	/// [`CoordinatorConfig::mass_eviction_delay`].
	fn eviction_allowed(&mut self, unwanted: usize, stored: usize) -> bool {
		let percent = usize::from(self.config.mass_eviction_percent);
		let mass = unwanted > 1 && unwanted * 100 > stored * percent;
		if !mass {
			self.mass_eviction_since = None;
			return true;
		}
		let now = Instant::now();
		let since = *self.mass_eviction_since.get_or_insert_with(|| {
			log::warn!(
				target: "modelnet",
				"the chain no longer wants {unwanted} of {stored} stored models; holding the \
				 deletion back for {:?} in case this comes from a broken runtime or node",
				self.config.mass_eviction_delay
			);
			now
		});
		now.duration_since(since) >= self.config.mass_eviction_delay
	}

	/// Reports held (and not nominated) models whose file is gone.
	fn check_holdings(&mut self, wanted: &Wanted) {
		for (model, size) in &wanted.held {
			if wanted.nominated.contains_key(model) || self.unverified.contains(model) {
				continue;
			}
			if self.present(model, *size) {
				if matches!(self.reported.get(model), Some((FetchOutcome::Missing, _, _))) {
					self.reported.remove(model);
					self.sink.forget_model(*model);
				}
			} else {
				self.report(*model, FetchOutcome::Missing, 0, false);
			}
		}
	}

	/// Declines nominations of models this node cannot run; confirms nominated models already
	/// stored; downloads the others.
	fn start_downloads(&mut self, wanted: &Wanted, now: Instant) {
		let limit = self.config.fetch.max_parallel_downloads.max(1);
		for (model, nomination) in &wanted.nominated {
			if self.active.contains_key(model) {
				continue;
			}
			if !self.executors.can_run(&nomination.executor) {
				let outcome = FetchOutcome::Failed(DeclineReason::UnsupportedExecutor);
				let said = self
					.reported
					.get(model)
					.is_some_and(|(o, r, _)| *o == outcome && *r == nomination.round);
				if !said {
					log::warn!(
						target: "modelnet",
						"declining model {}: its tasks run on {}, which this node cannot run \
						 (configure it with --model-executor)",
						hex::encode(model),
						nomination.executor,
					);
				}
				self.report(*model, outcome, nomination.round, false);
				continue;
			}
			if self.present(model, nomination.size) {
				if !self.unverified.contains(model) {
					self.report(*model, FetchOutcome::Stored, nomination.round, false);
				}
				continue;
			}
			// New sources (the owner replaced failing ones) are tried at once.
			let recently_failed = self.failed_at.get(model).is_some_and(|(at, sources)| {
				*sources == nomination.sources
					&& now.duration_since(*at) < self.config.retry_failed_after
			});
			if recently_failed || self.active.len() >= limit {
				continue;
			}
			self.unverified.remove(model);
			let fetcher = Arc::clone(&self.fetcher);
			let (model, size, sources) = (*model, nomination.size, nomination.sources.clone());
			let nomination = (*nomination).clone();
			log::info!(
				target: "modelnet",
				"downloading model {} ({size} bytes) from {} source(s) and {} peer(s)",
				hex::encode(model),
				sources.len(),
				nomination.peers.len(),
			);
			let handle = self
				.downloads
				.spawn(async move { (model, fetcher.fetch_nomination(&nomination).await) });
			self.download_ids.insert(handle.id(), model);
			self.active.insert(model, (handle, sources));
		}
	}

	/// Executes assigned tasks whose model is stored.
	fn start_tasks(&mut self, wanted: &Wanted, now: Instant) {
		for job in &wanted.tasks {
			if self.exec_ids.len() >= self.config.max_parallel_tasks.max(1) {
				return;
			}
			if self.results.contains_key(*job)
				|| self.exec_ids.values().any(|j| j == *job)
				|| self
					.exec_failed
					.get(*job)
					.is_some_and(|at| now.duration_since(*at) < self.config.retry_failed_after)
				|| self.unverified.contains(&job.model)
				|| self.active.contains_key(&job.model)
			{
				continue;
			}
			let Some(size) = wanted.size_of(&job.model) else {
				continue;
			};
			if !self.present(&job.model, size) || self.unverified.contains(&job.model) {
				continue;
			}
			let executors = Arc::clone(&self.executors);
			let path = self.store.path_of(&job.model);
			let job = (*job).clone();
			log::debug!(
				target: "modelnet",
				"executing task {} on {} with {}",
				job.task,
				short(&job.model),
				job.executor
			);
			let handle = self.execs.spawn_blocking({
				let job = job.clone();
				move || {
					let result = executors.execute(&job.executor, &path, size, &job.input);
					(job, result)
				}
			});
			self.exec_ids.insert(handle.id(), job);
		}
	}

	/// Whether the model's file is on disk with the right size. A file that appeared
	/// behind the store's back (not downloaded or found by the start-up scan) is re-hashed
	/// before it is used or confirmed.
	fn present(&mut self, model: &ModelId, size: u64) -> bool {
		let known = self.store.is_stored(model);
		let present = self.store.check(model, size);
		if present && !known {
			self.unverified.insert(*model);
		}
		present
	}

	/// Re-hashes one kept, unverified model at a time (tasks' models first, then held and
	/// nominated ones). Files kept for an announcement or a pin are re-hashed too, so that a
	/// copy the chain later makes this node hold is never used unverified.
	fn start_verification(&mut self, wanted: &Wanted) {
		self.unverified.retain(|model| wanted.keeps(model));
		if !self.verifies.is_empty() || self.unverified.is_empty() {
			return;
		}
		let urgent = wanted.tasks.iter().map(|job| job.model).find(|m| self.unverified.contains(m));
		let mentioned = || self.unverified.iter().find(|m| wanted.contains(m)).copied();
		let next = urgent.or_else(mentioned).or_else(|| self.unverified.iter().next().copied());
		let Some(model) = next else {
			return;
		};
		let store = Arc::clone(&self.store);
		log::info!(target: "modelnet", "re-hashing stored model {}", hex::encode(model));
		self.verifies.spawn_blocking(move || (model, store.verify(&model)));
	}

	/// Forgets state about models and tasks the chain no longer mentions, and has the sink
	/// remove what it wrote for them.
	fn prune(&mut self, wanted: &Wanted, now: Instant) {
		let sink = Arc::clone(&self.sink);
		self.reported.retain(|model, _| {
			let keep = wanted.contains(model);
			if !keep {
				sink.forget_model(*model);
			}
			keep
		});
		let retry = self.config.retry_failed_after;
		self.failed_at.retain(|model, (at, _)| {
			wanted.nominated.contains_key(model) || now.duration_since(*at) < retry
		});
		let tasks: HashSet<&TaskJob> = wanted.tasks.iter().copied().collect();
		self.results.retain(|job, _| {
			let keep = tasks.contains(job);
			if !keep {
				sink.forget_task(job);
			}
			keep
		});
		self.exec_failed.retain(|job, _| tasks.contains(job));
	}

	/// Reports an outcome unless the same one was reported recently for the same round
	/// (`force` skips that check: a new download attempt has finished).
	fn report(&mut self, model: ModelId, outcome: FetchOutcome, round: u64, force: bool) {
		let now = Instant::now();
		if let Some((previous, previous_round, at)) = self.reported.get(&model) {
			if !force
				&& *previous == outcome
				&& *previous_round == round
				&& now.duration_since(*at) < self.config.rereport_after
			{
				return;
			}
		}
		log::info!(target: "modelnet", "model {}: {outcome:?}", hex::encode(model));
		self.sink.fetch_outcome(model, outcome, round);
		self.reported.insert(model, (outcome, round, now));
	}

	/// The round of the current nomination of `model`, if it is nominated.
	fn nomination_round(&self, model: &ModelId) -> Option<u64> {
		self.desired
			.as_ref()
			.and_then(|d| d.nominations.iter().find(|n| &n.model == model))
			.map(|n| n.round)
	}

	fn download_done(&mut self, done: Result<(Id, DownloadResult), JoinError>) {
		let (id, result) = match done {
			Ok((id, (model, result))) => (id, Some((model, result))),
			Err(e) => (e.id(), {
				if e.is_panic() {
					log::error!(target: "modelnet", "download task panicked: {e}");
				}
				None
			}),
		};
		let Some(model) = self.download_ids.remove(&id) else {
			return;
		};
		// A cancelled download was already removed from `active` (maybe replaced since).
		if self.active.get(&model).is_none_or(|(handle, _)| handle.id() != id) {
			return;
		}
		let sources = self.active.remove(&model).map(|(_, sources)| sources).unwrap_or_default();
		let outcome = match result {
			Some((_, Ok(_))) => {
				self.failed_at.remove(&model);
				FetchOutcome::Stored
			}
			Some((_, Err(e))) => {
				self.failed_at.insert(model, (Instant::now(), sources));
				FetchOutcome::Failed(e.reason())
			}
			None => {
				self.failed_at.insert(model, (Instant::now(), sources));
				FetchOutcome::Failed(DeclineReason::Other)
			}
		};
		if let Some(round) = self.nomination_round(&model) {
			self.report(model, outcome, round, true);
		}
	}

	fn exec_done(&mut self, done: Result<(Id, ExecResult), JoinError>) {
		let (job, result) = match done {
			Ok((id, (job, result))) => {
				self.exec_ids.remove(&id);
				(job, result.map_err(|e| e.to_string()))
			}
			Err(e) => match self.exec_ids.remove(&e.id()) {
				Some(job) => (job, Err(format!("executor panicked: {e}"))),
				None => return,
			},
		};
		let task = job.task;
		let status = if result.is_ok() { "ok" } else { "error" };
		if let Some(metrics) = &self.metrics {
			metrics.tasks_executed.with_label_values(&[status]).inc();
		}
		match result {
			Ok(digest) => {
				self.exec_failed.remove(&job);
				let still_assigned = self.desired.as_ref().is_some_and(|d| d.tasks.contains(&job));
				if still_assigned {
					log::info!(target: "modelnet", "task {task}: result {}", hex::encode(digest));
					self.sink.task_result(&job, digest);
					self.results.insert(job, digest);
				}
			}
			Err(e) => {
				log::error!(
					target: "modelnet",
					"task {task} on model {} failed in the {} executor, no result is committed \
					 (retried in {:?} while assigned): {e}",
					short(&job.model),
					job.executor,
					self.config.retry_failed_after,
				);
				self.exec_failed.insert(job, Instant::now());
			}
		}
	}

	fn verify_done(&mut self, done: Result<VerifyResult, JoinError>) {
		match done {
			Ok((model, Ok(intact))) => {
				self.unverified.remove(&model);
				if !intact {
					log::warn!(target: "modelnet", "stored model {} was corrupt", short(&model));
				}
			}
			Ok((model, Err(e))) => {
				// Cannot read the file: treat it as gone.
				log::warn!(target: "modelnet", "cannot re-hash {}: {e}", short(&model));
				self.unverified.remove(&model);
				let _ = self.store.remove(&model);
			}
			Err(e) => log::error!(target: "modelnet", "re-hash task failed: {e}"),
		}
	}
}
