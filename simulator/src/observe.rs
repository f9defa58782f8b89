//! How the simulated nodes react to the chain's events (as their off-chain workers would), what
//! the run counts from them, and the periodic sample of the chain's state.

use crate::{
	actors::Action,
	chain::{self, RegistryEvent},
	metrics::{Sample, MAX_WAIT},
	runtime::BLOCK_SECONDS,
	sim::{Sim, Tracked},
};
use codec::Encode;
use pallet_model_registry::{offchain::sealed_result, TaskFailure};
use rand::Rng;
use sp_core::H256;

impl Sim<'_> {
	/// React to one event of block `n`.
	pub(crate) fn on_event(&mut self, n: u64, event: RegistryEvent) {
		match event {
			RegistryEvent::DownloadNominated { model, node, .. } => {
				let Some(&i) = self.by_id.get(&model) else { return };
				if !self.online(node) {
					return;
				}
				let size = self.catalog.models[i].size_bytes as f64;
				let blocks = (size / self.node(node).bytes_per_block).ceil() as u64;
				let jitter = self.rng.gen_range(0..=self.jitter);
				self.agenda.at(n + blocks.max(1) + jitter, Action::Confirm(node, i));
			}
			RegistryEvent::TaskCreated { task, model, .. } => {
				let Some(&i) = self.by_id.get(&model) else { return };
				let correct = H256(sp_io::hashing::blake2_256(&(b"result", task).encode()));
				self.tasks.insert(
					task,
					Tracked {
						model: i,
						created: n,
						correct,
						executors: Vec::new(),
						answers: Vec::new(),
					},
				);
			}
			RegistryEvent::ExecutorsAssigned { task, executors, .. } => {
				let executors: Vec<_> = executors.into_inner();
				let all_bad =
					!executors.is_empty() && executors.iter().all(|e| self.is_attacker(*e));
				let Some(t) = self.tasks.get_mut(&task) else { return };
				// A second assignment is an appeal's jury: it answers the same task; the
				// attackers among it cheat by the same rule, on the jury alone.
				let jury = !t.executors.is_empty();
				t.executors = executors.clone();
				t.answers.clear();
				let (model, wait) = (t.model, n - t.created);
				let exec_blocks =
					(self.catalog.models[model].exec_seconds / BLOCK_SECONDS as f64).ceil() as u64;
				if jury {
					self.sample.appeals.1 += 1;
					for e in executors {
						if self.online(e) {
							let at = n + exec_blocks.max(1) + self.rng.gen_range(0..=1);
							self.agenda.at(at, Action::Commit(e, task));
						}
					}
					return;
				}
				self.sample.assigned += 1;
				self.sample.wait_sum += wait;
				self.sample.waits[(wait as usize).min(MAX_WAIT)] += 1;
				let stats = &mut self.metrics.models[model];
				stats.assigned += 1;
				if all_bad {
					self.sample.all_attackers += 1;
					stats.all_attackers += 1;
				}
				for e in executors {
					if self.online(e) {
						let at = n + exec_blocks.max(1) + self.rng.gen_range(0..=1);
						self.agenda.at(at, Action::Commit(e, task));
					}
				}
			}
			RegistryEvent::RevealPhaseStarted { task, .. } => {
				let Some(t) = self.tasks.get(&task) else { return };
				let committed: Vec<_> = t.answers.iter().map(|a| a.0).collect();
				for e in committed {
					if self.online(e) {
						let at = n + 1 + self.rng.gen_range(0..=1);
						self.agenda.at(at, Action::Reveal(e, task));
					}
				}
			}
			RegistryEvent::TaskCompleted { task, result, .. } => {
				self.sample.completed += 1;
				if let Some(t) = self.tasks.remove(&task) {
					// The chain publishes sealed results.
					if result != sealed_result(task, &t.correct) {
						self.sample.wrong += 1;
						self.metrics.models[t.model].wrong += 1;
					}
				}
			}
			RegistryEvent::TaskFailed { task, reason } => {
				let t = self.tasks.remove(&task);
				if reason == TaskFailure::Disputed {
					self.sample.disputed += 1;
				}
				if reason == TaskFailure::NoHolders {
					self.sample.failed_no_holders += 1;
					if let Some(t) = t {
						self.metrics.models[t.model].failed_no_holders += 1;
					}
				} else {
					self.sample.failed_other += 1;
				}
			}
			RegistryEvent::TaskAppealed { .. } => self.sample.appeals.0 += 1,
			RegistryEvent::TaskCancelled { task } => {
				self.tasks.remove(&task);
			}
			RegistryEvent::ModelEvicted { .. } => self.sample.evictions += 1,
			RegistryEvent::NominationExpired { .. } => self.sample.expired += 1,
			RegistryEvent::ExecutorSlashed { node, .. } => {
				if self.is_attacker(node) {
					self.sample.slashed.1 += 1;
				} else {
					self.sample.slashed.0 += 1;
				}
			}
			RegistryEvent::NodeKickedOut { node, .. } => {
				self.sample.kicked += 1;
				self.node(node).registered = false;
				let at = n + self.rejoin_after;
				self.agenda.at(at, Action::Join(node));
			}
			_ => {}
		}
	}

	/// Close the sampling interval ending at block `n`: read copies and disk use from the chain.
	pub(crate) fn take_sample(&mut self, n: u64) {
		let mut disk = 0u64;
		let mut copies = 0u64;
		for (i, m) in self.catalog.models.iter().enumerate() {
			if m.launch_block > n {
				continue;
			}
			let holders = chain::holders(&m.id);
			let stats = &mut self.metrics.models[i];
			stats.copies_sum += u64::from(holders);
			stats.target_sum += u64::from(chain::target(&m.id));
			stats.samples += 1;
			copies += u64::from(holders);
			disk += u64::from(holders) * m.size_bytes;
		}
		self.sample.block = n;
		self.sample.disk_used = disk;
		self.sample.copies = copies;
		self.sample.nodes = self.nodes.iter().filter(|x| x.registered).count() as u64;
		let done = std::mem::replace(&mut self.sample, Sample::new());
		self.metrics.samples.push(done);
	}
}
