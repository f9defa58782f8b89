//! Counts of a property-test run: calls per outcome (success or error name), events, steps.

use std::{collections::BTreeMap, sync::Mutex};

/// What a run did, summed over its cases.
#[derive(Default)]
pub struct Stats {
	pub cases: u64,
	pub steps: u64,
	pub blocks: u64,
	/// call -> outcome ("ok" or the error's name) -> count.
	pub calls: BTreeMap<String, BTreeMap<String, u64>>,
	/// event name -> count.
	pub events: BTreeMap<String, u64>,
	/// `create_task` refused with `TaskQueueFull` while fewer tasks than the queue's capacity
	/// were waiting (the rest of the queue being cancelled tasks' entries).
	pub queue_full_by_dead_entries: u64,
	/// Appeal juries drawn, by size.
	pub juries: BTreeMap<u32, u64>,
}

static STATS: Mutex<Option<Stats>> = Mutex::new(None);

/// Update the run's counts.
pub fn with(f: impl FnOnce(&mut Stats)) {
	let mut guard = STATS.lock().unwrap_or_else(|e| e.into_inner());
	f(guard.get_or_insert_with(Stats::default));
}

/// Take the counts of the run so far.
pub fn take() -> Stats {
	STATS.lock().unwrap_or_else(|e| e.into_inner()).take().unwrap_or_default()
}

impl core::fmt::Display for Stats {
	fn fmt(&self, f: &mut core::fmt::Formatter) -> core::fmt::Result {
		writeln!(
			f,
			"{} cases, {} steps (transitions), {} blocks",
			self.cases, self.steps, self.blocks
		)?;
		writeln!(f, "calls (outcome: count):")?;
		for (call, outcomes) in self.calls.iter() {
			let total: u64 = outcomes.values().sum();
			let list: Vec<String> = outcomes.iter().map(|(o, n)| format!("{o}: {n}")).collect();
			writeln!(f, "  {call:<20} {total:>7}  {}", list.join(", "))?;
		}
		writeln!(f, "events:")?;
		for (event, n) in self.events.iter() {
			writeln!(f, "  {event:<26} {n:>7}")?;
		}
		let juries: Vec<String> =
			self.juries.iter().map(|(size, n)| format!("{n} of {size}")).collect();
		writeln!(f, "appeal juries drawn (count of size): {}", juries.join(", "))?;
		write!(
			f,
			"create_task refused as queue full with fewer live tasks than its capacity: {}",
			self.queue_full_by_dead_entries
		)
	}
}
