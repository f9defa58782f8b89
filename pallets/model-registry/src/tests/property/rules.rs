//! Rule checks of the property test: a snapshot of the registry is taken before every step
//! (one call or one block) and compared with the state and the events after it.

use super::super::*;
use crate::qos::INITIAL_QOS;
use std::collections::{BTreeMap, BTreeSet};

/// What a step was.
pub enum Kind<'a> {
	/// A dispatched call of `who` (None for root), named `name`, that succeeded or not.
	Call { who: Option<AccountId>, name: &'a str, args: &'a crate::Call<Test>, ok: bool },
	/// One block (`on_initialize`).
	Block,
}

/// The parts of the registry the rules are checked against.
pub struct Snapshot {
	pub now: u64,
	pub params: ParamsOf<Test>,
	/// (model, holder) -> available flag.
	pub holders: BTreeMap<(ModelId, AccountId), bool>,
	pub nominations: BTreeSet<(ModelId, AccountId)>,
	pub announcements: BTreeSet<(ModelId, AccountId)>,
	pub nodes: BTreeMap<AccountId, NodeInfoOf<Test>>,
	pub departures: BTreeMap<AccountId, u32>,
	pub tasks: BTreeMap<TaskId, TaskInfoOf<Test>>,
	/// Free plus held balance of every endowed account.
	pub totals: BTreeMap<AccountId, Balance>,
	pub issuance: Balance,
}

impl Snapshot {
	pub fn take() -> Self {
		let mut holders = BTreeMap::new();
		for (model, list) in Holders::<Test>::iter() {
			for h in list {
				holders.insert((model, h.node), h.available);
			}
		}
		let mut announcements = BTreeSet::new();
		for (who, list) in Announcements::<Test>::iter() {
			for model in list {
				announcements.insert((model, who));
			}
		}
		Snapshot {
			now: System::block_number(),
			params: Params::<Test>::get(),
			holders,
			nominations: Nominations::<Test>::iter().map(|(m, n, _)| (m, n)).collect(),
			announcements,
			nodes: Nodes::<Test>::iter().collect(),
			departures: Departures::<Test>::iter().map(|(who, d)| (who, d.qos)).collect(),
			tasks: Tasks::<Test>::iter().collect(),
			totals: ACCOUNTS.map(|a| (a, Balances::total_balance(&a))).collect(),
			issuance: Balances::total_issuance(),
		}
	}
}

/// How many of `executors` revealed each result.
fn tally(executors: &[Executor<AccountId>]) -> BTreeMap<H256, u32> {
	let mut tally: BTreeMap<H256, u32> = BTreeMap::new();
	for r in executors.iter().filter_map(|e| e.result) {
		*tally.entry(r).or_default() += 1;
	}
	tally
}

/// Whether a first round settles at once under rule 7: every assigned executor revealed the
/// same result.
pub fn unanimous(first_round: &[Executor<AccountId>]) -> Option<H256> {
	let first = first_round.first()?.result?;
	first_round.iter().all(|e| e.result == Some(first)).then_some(first)
}

/// The winning result of a resolved task under rule 7, written from the rule rather than from
/// the pallet's code: a first round wins only when unanimous; after an appeal, the result that
/// strictly more than half of the jury revealed, if it also has more votes than any other
/// result when both rounds' reveals are counted.
pub fn winner(task: &TaskInfoOf<Test>) -> Option<H256> {
	let Some(appeal) = task.appeal else {
		return unanimous(&task.executors);
	};
	let jury = &task.executors[(appeal.jury_from as usize).min(task.executors.len())..];
	let in_jury = tally(jury);
	let best = in_jury.values().copied().max()?;
	let leaders: Vec<H256> = in_jury.iter().filter(|(_, n)| **n == best).map(|(r, _)| *r).collect();
	let result = (leaders.len() == 1 && best as usize * 2 > jury.len()).then(|| leaders[0])?;
	let overall = tally(&task.executors);
	let votes = overall[&result];
	overall.iter().all(|(r, n)| *r == result || *n < votes).then_some(result)
}

fn is_eviction(e: &Event<Test>, model: ModelId, node: AccountId) -> bool {
	match e {
		Event::ModelEvicted { model: m, node: n } | Event::ModelLost { model: m, node: n } => {
			*m == model && *n == node
		}
		_ => false,
	}
}

/// Check the rules on one step: `pre` before it, the current state after it, its `events`.
pub fn check_step(pre: &Snapshot, kind: &Kind, events: &[Event<Test>]) {
	let post = Snapshot::take();
	let block = matches!(kind, Kind::Block);
	let step = match kind {
		Kind::Call { name, .. } => format!("call {name} at block {}", post.now),
		Kind::Block => format!("block {}", post.now),
	};

	// Rule 1: a node becomes a holder only by confirming a nomination (a call of its own) or
	// by being drawn for a model it announced (a block); no holder appears without an event.
	for e in events {
		let Event::ModelStored { model, node } = e else { continue };
		let key = (*model, *node);
		assert!(!pre.holders.contains_key(&key), "{step}: {node} stored {model:?} it held");
		match kind {
			Kind::Call { who, name, .. } => {
				assert!(
					*name == "confirm_stored" && *who == Some(*node),
					"{step}: {node} became holder of {model:?} by another's call"
				);
				assert!(
					pre.nominations.contains(&key),
					"{step}: {node} holds {model:?} without nomination"
				);
			}
			Kind::Block => {
				assert!(
					pre.announcements.contains(&key),
					"{step}: {node} holds {model:?} without announcement"
				);
				assert_eq!(
					pre.nodes.get(node).map(|n| n.status),
					Some(NodeStatus::Active),
					"{step}: inactive {node} drawn for announced {model:?}"
				);
				assert!(
					!ModelRegistry::cooling_down(*model, node),
					"{step}: {node} drawn for {model:?} while cooling down"
				);
				assert!(
					!Announcements::<Test>::get(node).contains(model),
					"{step}: announcement of {node} for {model:?} not consumed"
				);
			}
		}
	}
	for key in post.holders.keys().filter(|k| !pre.holders.contains_key(k)) {
		assert!(
			events.iter().any(|e| matches!(e, Event::ModelStored { model, node }
				if (*model, *node) == *key)),
			"{step}: {key:?} became holder silently"
		);
	}

	// Rule 6: executors are distinct, available, active holders of the task's model when
	// drawn, in a block after the task's creation, as many as `executors_per_task`; an appeal
	// jury has from one to `2k + 1` of them (`k` the first round's size), none from the first
	// round.
	if block {
		for (i, e) in events.iter().enumerate() {
			let Event::ExecutorsAssigned { task, executors, .. } = e else { continue };
			let before = pre.tasks.get(task).expect("drawn task existed");
			assert_eq!(before.status, TaskStatus::Waiting, "{step}: task {task} drawn twice");
			assert!(before.created_at < post.now, "{step}: task {task} drawn in its own block");
			let model = before.model;
			match before.appeal {
				None => {
					assert_eq!(executors.len() as u32, pre.params.executors_per_task, "{step}")
				}
				Some(appeal) => {
					let size = executors.len() as u32;
					assert!(
						size >= 1 && size <= 2 * appeal.jury_from + 1,
						"{step}: jury of {size} for a first round of {}",
						appeal.jury_from
					);
					assert!(
						executors.iter().all(|j| !before.executors.iter().any(|e| e.node == *j)),
						"{step}: a first-round executor of {task} sits in its jury"
					);
					super::stats::with(|s| *s.juries.entry(size).or_default() += 1);
				}
			}
			let distinct: BTreeSet<_> = executors.iter().collect();
			assert_eq!(distinct.len(), executors.len(), "{step}: executors of {task} repeat");
			for who in executors.iter() {
				assert_eq!(
					pre.holders.get(&(model, *who)),
					Some(&true),
					"{step}: executor {who} of task {task} is no available holder of its model"
				);
				assert_eq!(
					pre.nodes.get(who).map(|n| n.status),
					Some(NodeStatus::Active),
					"{step}: executor {who} of task {task} is not active"
				);
				assert!(
					!events[..i].iter().any(|x| is_eviction(x, model, *who)),
					"{step}: executor {who} of task {task} was evicted before the draw"
				);
				let runs = Holders::<Test>::get(model)
					.iter()
					.any(|h| h.node == *who && h.tasks.contains(task));
				assert!(
					runs || events[i..].iter().any(|x| is_eviction(x, model, *who)),
					"{step}: executor {who} does not record task {task}"
				);
			}
		}
	}

	// Rule 7: the majority is paid; committed executors with another result or without a
	// reveal are slashed once a majority exists; nobody is slashed without one.
	let mut slashes: BTreeMap<TaskId, BTreeSet<AccountId>> = BTreeMap::new();
	let mut slashed_amount: BTreeMap<AccountId, Balance> = BTreeMap::new();
	let mut burnt: Balance = 0;
	for e in events {
		if let Event::ExecutorSlashed { task, node, amount } = e {
			assert!(block, "{step}: slash outside a block");
			assert!(slashes.entry(*task).or_default().insert(*node), "{step}: slashed twice");
			*slashed_amount.entry(*node).or_default() += amount;
			burnt += amount;
		}
	}
	let mut expected: BTreeMap<AccountId, i128> = BTreeMap::new();
	for e in events {
		match e {
			Event::TaskCompleted { task, result, paid } => {
				let info = Tasks::<Test>::get(task).expect("resolved task kept a window");
				assert_eq!(winner(&info), Some(*result), "{step}: task {task} result");
				let winners: BTreeSet<AccountId> = info
					.executors
					.iter()
					.filter(|e| e.result == Some(*result))
					.map(|e| e.node)
					.collect();
				let losers: BTreeSet<AccountId> = info
					.executors
					.iter()
					.filter(|e| e.commitment.is_some() && e.result != Some(*result))
					.map(|e| e.node)
					.collect();
				assert_eq!(paid.iter().copied().collect::<BTreeSet<_>>(), winners, "{step}");
				assert_eq!(slashes.remove(task).unwrap_or_default(), losers, "{step}: {task}");
				let share = info.fee / paid.len() as Balance;
				for who in paid.iter() {
					*expected.entry(*who).or_default() += i128::from(share);
				}
				*expected.entry(info.creator).or_default() -=
					i128::from(share * paid.len() as Balance);
			}
			Event::TaskAppealed { task, .. } => {
				let info = Tasks::<Test>::get(task).expect("appealed task kept");
				let jury_from = info.appeal.map_or(0, |a| a.jury_from as usize);
				let first_round = &info.executors[..jury_from.min(info.executors.len())];
				assert!(
					info.appeal.is_some() && unanimous(first_round).is_none(),
					"{step}: unanimous task {task} appealed"
				);
				assert!(
					first_round.iter().any(|e| e.result.is_some()),
					"{step}: task {task} appealed without any revealed result"
				);
				assert!(!slashes.contains_key(task), "{step}: appealed task {task} slashed");
			}
			Event::TaskFailed { task, .. } => {
				assert!(!slashes.contains_key(task), "{step}: failed task {task} slashed");
				if let Some(info) = Tasks::<Test>::get(task) {
					assert_eq!(winner(&info), None, "{step}: task {task} failed with a winner");
				}
			}
			_ => {}
		}
	}
	assert!(slashes.is_empty(), "{step}: slashes outside a completed task: {slashes:?}");
	for (who, amount) in slashed_amount.iter() {
		*expected.entry(*who).or_default() -= i128::from(*amount);
		let stake = pre.nodes.get(who).map_or(0, |n| n.stake);
		assert!(*amount <= stake, "{step}: {who} slashed beyond its stake");
	}

	// Conservation: calls move no money; a block moves fees to the paid executors and burns
	// the slashes, and nothing else. Total issuance falls exactly by the slashes.
	assert_eq!(post.issuance + burnt, pre.issuance, "{step}: issuance");
	for (who, total) in post.totals.iter() {
		let delta = i128::from(*total) - i128::from(pre.totals[who]);
		assert_eq!(delta, expected.get(who).copied().unwrap_or(0), "{step}: balance of {who}");
	}
	assert_eq!(post.totals.values().sum::<Balance>(), post.issuance, "{step}: money outside");

	// Rule 10: no escape from a slash by leaving; rejoining restores the departure's QoS;
	// no announcement by holders, nominees or nodes cooling down.
	if let Kind::Call { who: Some(who), name, args, ok: true } = kind {
		match *name {
			"leave" => assert_eq!(
				pre.nodes[who].open_commitments, 0,
				"{step}: {who} left with open commitments"
			),
			"join" => assert_eq!(
				post.nodes[who].qos,
				pre.departures.get(who).copied().unwrap_or(INITIAL_QOS),
				"{step}: {who} rejoined with another QoS"
			),
			"announce_stored" => {
				let crate::Call::announce_stored { model } = args else { unreachable!() };
				let key = (*model, *who);
				assert!(
					!pre.holders.contains_key(&key) && !pre.nominations.contains(&key),
					"{step}: {who} announced {model:?} it holds or is nominated for"
				);
				assert!(
					!ModelRegistry::cooling_down(*model, who),
					"{step}: {who} announced {model:?} while cooling down"
				);
			}
			_ => {}
		}
	}
}

/// The storage invariants (`do_try_state`, which compares the held balances of every account
/// in the records with the records); with `all_accounts`, also that no other endowed account
/// holds anything.
pub fn check_invariants(after: &str, all_accounts: bool) {
	let at = System::block_number();
	ModelRegistry::do_try_state()
		.unwrap_or_else(|e| panic!("after {after} at block {at}: invariant: {e:?}"));
	if all_accounts {
		ModelRegistry::check_holds(ACCOUNTS.collect())
			.unwrap_or_else(|e| panic!("after {after} at block {at}: holds: {e:?}"));
	}
}
