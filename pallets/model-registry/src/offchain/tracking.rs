//! The keys the off-chain worker writes for itself (send marks, kept commitments, and the salts
//! older versions kept) are listed in an index, each with the work it serves, and removed once
//! that work is over.
//!
//! The runtime cannot list the off-chain database, so without the index these keys would stay
//! for ever. Each entry names a local account and a subject (a nomination, a holding, a task, a
//! declared endpoint). A run of the worker adds the keys it wrote, then looks at no more than
//! [`PRUNE_CHECKS_PER_BLOCK`] entries (walking the index round by round): an entry whose subject
//! is no longer work of its account is marked idle, and removed with its keys once it has been
//! idle for [`PRUNE_AFTER`] blocks. The delay keeps the keys across a short re-organisation in
//! which the work comes back (a reveal that was included, then undone): a run that finds the
//! subject to be work again clears the mark.

use alloc::vec::Vec;
use codec::{Decode, Encode};
use core::cell::RefCell;
use sp_runtime::{
	offchain::storage::{MutateStorageError, StorageValueRef},
	traits::Saturating,
};

use crate::types::{ModelId, TaskId};

/// Key of the index of the keys the off-chain worker wrote for itself.
pub(crate) const INDEX_KEY: &[u8] = b"modelnet/tracked";
/// An entry whose work is over is removed, with its keys, after this many blocks.
pub const PRUNE_AFTER: u32 = 16;
/// A run of the off-chain worker looks at no more entries of the index than this.
pub const PRUNE_CHECKS_PER_BLOCK: u32 = 32;
/// Attempts at updating the index when another run changes it at the same moment.
const UPDATE_ATTEMPTS: usize = 3;

/// The work a kept key serves.
#[derive(Encode, Decode, Clone, PartialEq, Eq, Debug)]
pub(crate) enum Subject {
	/// A nomination of the model (its confirmation or decline).
	Nomination(ModelId),
	/// A holding of the model (the report of its loss).
	Holding(ModelId),
	/// A task the account executes (its commitment and reveal).
	Task(TaskId),
	/// The endpoint the node serves pieces at (its declaration), SCALE-encoded.
	Endpoint(Vec<u8>),
}

/// Keys of one account serving one subject.
#[derive(Encode, Decode, Clone, PartialEq, Eq, Debug)]
pub(crate) struct Entry<AccountId, BlockNumber> {
	account: AccountId,
	subject: Subject,
	keys: Vec<Vec<u8>>,
	/// The block in which a run first found the subject no longer work of the account.
	idle_since: Option<BlockNumber>,
}

/// The index: its entries, and where the next run starts looking.
#[derive(Encode, Decode, Clone, PartialEq, Eq, Debug)]
pub(crate) struct Index<AccountId, BlockNumber> {
	entries: Vec<Entry<AccountId, BlockNumber>>,
	cursor: u32,
}

impl<AccountId, BlockNumber> Default for Index<AccountId, BlockNumber> {
	fn default() -> Self {
		Self { entries: Vec::new(), cursor: 0 }
	}
}

impl<AccountId, BlockNumber> Index<AccountId, BlockNumber>
where
	AccountId: PartialEq + Clone,
	BlockNumber: Copy + Ord + Saturating + From<u32>,
{
	/// Number of entries.
	#[cfg(test)]
	pub(crate) fn len(&self) -> usize {
		self.entries.len()
	}

	/// Lists `key` under `account` and `subject`; the subject is work again.
	pub(crate) fn add(&mut self, account: &AccountId, subject: &Subject, key: &[u8]) {
		let found =
			self.entries.iter_mut().find(|e| e.account == *account && e.subject == *subject);
		match found {
			Some(entry) => {
				entry.idle_since = None;
				if !entry.keys.iter().any(|k| k == key) {
					entry.keys.push(key.to_vec());
				}
			}
			None => self.entries.push(Entry {
				account: account.clone(),
				subject: subject.clone(),
				keys: alloc::vec![key.to_vec()],
				idle_since: None,
			}),
		}
	}

	/// Looks at up to [`PRUNE_CHECKS_PER_BLOCK`] entries from the cursor on; returns the keys
	/// of the entries removed (idle for [`PRUNE_AFTER`] blocks).
	pub(crate) fn sweep(
		&mut self,
		now: BlockNumber,
		is_work: &dyn Fn(&AccountId, &Subject) -> bool,
	) -> Vec<Vec<u8>> {
		let mut removed = Vec::new();
		let checks = self.entries.len().min(PRUNE_CHECKS_PER_BLOCK as usize);
		let mut at = (self.cursor as usize).checked_rem(self.entries.len()).unwrap_or(0);
		for _ in 0..checks {
			let Some(entry) = self.entries.get_mut(at) else { break };
			if is_work(&entry.account, &entry.subject) {
				entry.idle_since = None;
				at = at.saturating_add(1);
			} else {
				let since = *entry.idle_since.get_or_insert(now);
				if now >= since.saturating_add(PRUNE_AFTER.into()) {
					removed.append(&mut self.entries.remove(at).keys);
				} else {
					at = at.saturating_add(1);
				}
			}
			if at >= self.entries.len() {
				at = 0;
			}
		}
		self.cursor = u32::try_from(at).unwrap_or(0);
		removed
	}
}

/// The keys a run of the worker wrote, to be added to the index at the end of the run.
pub(crate) struct Notes<AccountId> {
	written: RefCell<Vec<(AccountId, Subject, Vec<u8>)>>,
}

impl<AccountId> Default for Notes<AccountId> {
	fn default() -> Self {
		Self { written: RefCell::new(Vec::new()) }
	}
}

impl<AccountId: Clone> Notes<AccountId> {
	/// Notes that `key` was (or may be) written for `account`'s `subject`.
	pub(crate) fn note(&self, account: &AccountId, subject: Subject, key: Vec<u8>) {
		self.written.borrow_mut().push((account.clone(), subject, key));
	}
}

/// Adds the keys `notes` lists to the index, sweeps it (see [`Index::sweep`]) and removes the
/// keys of the entries it drops. An index that cannot be read is started anew.
pub(crate) fn update<AccountId, BlockNumber>(
	now: BlockNumber,
	notes: Notes<AccountId>,
	is_work: &dyn Fn(&AccountId, &Subject) -> bool,
) where
	AccountId: PartialEq + Clone + Encode + Decode,
	BlockNumber: Copy + Ord + Saturating + From<u32> + Encode + Decode,
{
	let notes = notes.written.into_inner();
	let store = StorageValueRef::persistent(INDEX_KEY);
	for _ in 0..UPDATE_ATTEMPTS {
		let mut removed = Vec::new();
		let updated = store.mutate(
			|kept: Result<Option<Index<AccountId, BlockNumber>>, _>| -> Result<_, ()> {
				let before = kept.ok().flatten().unwrap_or_default();
				let mut index = before.clone();
				for (account, subject, key) in notes.iter() {
					index.add(account, subject, key);
				}
				removed = index.sweep(now, is_work);
				if index == before {
					// Nothing changed: nothing to write.
					return Err(());
				}
				Ok(index)
			},
		);
		match updated {
			Ok(_) => {
				for key in removed {
					StorageValueRef::persistent(&key).clear();
				}
				return;
			}
			Err(MutateStorageError::ValueFunctionFailed(())) => return,
			// Another run changed the index meanwhile: start again from its version.
			Err(MutateStorageError::ConcurrentModification(_)) => continue,
		}
	}
	log::debug!(
		target: super::LOG_TARGET,
		"the index of the worker's keys changed under every attempt; updating it next block"
	);
}

#[cfg(test)]
mod tests {
	use super::*;

	type TestIndex = Index<u64, u64>;

	#[test]
	fn a_sweep_looks_at_a_bounded_number_of_entries_and_walks_on() {
		let mut index = TestIndex::default();
		let entries = 3 * PRUNE_CHECKS_PER_BLOCK as u64;
		for task in 0..entries {
			index.add(&1, &Subject::Task(task), &task.to_le_bytes());
		}
		let idle = |_: &u64, _: &Subject| false;

		// Three runs mark every entry idle, a third each; none is removed yet.
		for now in 1..=3 {
			assert!(index.sweep(now, &idle).is_empty());
		}
		assert!(index.entries.iter().all(|e| e.idle_since.is_some()));

		// Once idle long enough, each run removes at most its share.
		let later = 3 + u64::from(PRUNE_AFTER);
		let mut rounds = 0;
		while index.len() > 0 {
			let removed = index.sweep(later, &idle);
			assert!(!removed.is_empty() && removed.len() <= PRUNE_CHECKS_PER_BLOCK as usize);
			rounds += 1;
		}
		assert_eq!(rounds, 3);
	}

	#[test]
	fn work_that_comes_back_clears_the_idle_mark() {
		let mut index = TestIndex::default();
		index.add(&1, &Subject::Task(9), b"a");
		assert!(index.sweep(10, &|_, _| false).is_empty());
		// Work again (a re-organisation undid the end of the task) for a while.
		assert!(index.sweep(20, &|_, _| true).is_empty());
		// Idle again: the delay counts from now.
		assert!(index.sweep(30, &|_, _| false).is_empty());
		assert!(index.sweep(30 + u64::from(PRUNE_AFTER) - 1, &|_, _| false).is_empty());
		assert_eq!(index.sweep(30 + u64::from(PRUNE_AFTER), &|_, _| false), vec![b"a".to_vec()]);
	}
}
