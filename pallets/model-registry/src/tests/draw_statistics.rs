//! Statistics of the executor draw: the pallet's own `try_assign`, fed with 20 000 independent
//! seeds, picks executor sets with the frequencies that QoS-weighted draws without repetition
//! must give (chi-square test, fixed seeds so the result is deterministic), never picks a
//! holder twice for one task, and does not favour a holder that follows a run of busy ones.
//!
//! The expected distribution is computed exactly: positions are drawn uniformly among those not
//! drawn yet, a drawn holder is accepted if it can take the task and passes its QoS roll
//! (probability `qos / 1000`), at most `executors_per_task × DRAWS_PER_EXECUTOR` draws; places
//! left open go to the drawn holders that could take the task but lost their roll, first
//! drawn first.

use super::*;
use crate::{
	placement::{BlockSeed, RandomStream},
	tasks::{DrawOrder, DRAWS_PER_EXECUTOR},
};
use std::collections::BTreeMap;

const TRIALS: u32 = 20_000;
/// QoS of the holders by position.
const QOS: [u32; 10] = [1000, 950, 900, 850, 800, 700, 600, 500, 400, 300];
/// Holders that cannot take a task (copy unavailable): a run of three, then one alone.
const BUSY: [usize; 4] = [2, 3, 4, 8];
/// Critical values of the chi-square distribution at significance 0.001, by degrees of freedom.
const CHI2_CRITICAL_0_001: [f64; 41] = [
	0.0, 10.828, 13.816, 16.266, 18.467, 20.515, 22.458, 24.322, 26.124, 27.877, 29.588, 31.264,
	32.909, 34.528, 36.123, 37.697, 39.252, 40.790, 42.312, 43.820, 45.315, 46.797, 48.268, 49.728,
	51.179, 52.620, 54.052, 55.476, 56.892, 58.301, 59.703, 61.098, 62.487, 63.870, 65.247, 66.619,
	67.985, 69.346, 70.703, 72.055, 73.402,
];

/// Outcome of one examination: the positions chosen (as a bit set), or 0 if not assigned.
type Outcome = u16;

/// Exact probability of every outcome.
fn expected(eligible: &[bool], qos: &[u32], k: u32, draws: u32) -> BTreeMap<Outcome, f64> {
	let n = eligible.len() as u32;
	// (positions drawn, positions chosen, eligible positions that lost their roll in draw
	// order) -> probability.
	type State = (u16, u16, Vec<u8>);
	let mut states: BTreeMap<State, f64> = BTreeMap::from([((0, 0, Vec::new()), 1.0)]);
	for _ in 0..draws {
		let mut next: BTreeMap<State, f64> = BTreeMap::new();
		for ((tried, chosen, passed), p) in states {
			if chosen.count_ones() == k || tried.count_ones() == n {
				*next.entry((tried, chosen, passed)).or_default() += p;
				continue;
			}
			let untried = f64::from(n - tried.count_ones());
			for pos in 0..n as usize {
				let bit = 1u16 << pos;
				if tried & bit != 0 {
					continue;
				}
				let p_pos = p / untried;
				if eligible[pos] {
					let q = f64::from(qos[pos]) / 1000.0;
					*next.entry((tried | bit, chosen | bit, passed.clone())).or_default() +=
						p_pos * q;
					let mut lost = passed.clone();
					lost.push(pos as u8);
					*next.entry((tried | bit, chosen, lost)).or_default() += p_pos * (1.0 - q);
				} else {
					*next.entry((tried | bit, chosen, passed.clone())).or_default() += p_pos;
				}
			}
		}
		states = next;
	}
	let mut outcomes: BTreeMap<Outcome, f64> = BTreeMap::new();
	for ((_, chosen, passed), p) in states {
		*outcomes.entry(fill_open_places(chosen, &passed, k)).or_default() += p;
	}
	outcomes
}

/// The outcome once the places left open go to the holders that lost their roll, first drawn
/// first: the set of `k` positions, or 0 if there are not enough.
fn fill_open_places(mut chosen: Outcome, passed: &[u8], k: u32) -> Outcome {
	for pos in passed {
		if chosen.count_ones() == k {
			break;
		}
		chosen |= 1 << pos;
	}
	if chosen.count_ones() == k {
		chosen
	} else {
		0
	}
}

/// The same examination, on a given order of draws (for the reference order below).
fn simulate(
	order: impl Iterator<Item = (u32, u32)>,
	eligible: &[bool],
	qos: &[u32],
	k: u32,
	draws: u32,
) -> Outcome {
	let mut chosen: Outcome = 0;
	let mut passed: Vec<u8> = Vec::new();
	for (position, roll) in order.take(draws as usize) {
		let pos = position as usize;
		if !eligible[pos] {
			continue;
		}
		if ModelRegistry::qos_accepts(qos[pos], roll) {
			chosen |= 1 << pos;
			if chosen.count_ones() == k {
				return chosen;
			}
		} else {
			passed.push(pos as u8);
		}
	}
	fill_open_places(chosen, &passed, k)
}

/// The draw order the pallet used before: a random position, or the first untried one after
/// it. Kept here to measure its bias.
struct LinearProbing {
	stream: RandomStream,
	tried: Vec<u32>,
	count: u32,
}

impl Iterator for LinearProbing {
	type Item = (u32, u32);

	fn next(&mut self) -> Option<(u32, u32)> {
		if self.tried.len() as u32 >= self.count {
			return None;
		}
		let (pick, roll) = self.stream.next_pair();
		let mut position = pick % self.count;
		while self.tried.contains(&position) {
			position = (position + 1) % self.count;
		}
		self.tried.push(position);
		Some((position, roll))
	}
}

/// Pearson's statistic of `counts` against `expected` probabilities over `trials`, with
/// outcomes expected fewer than 5 times merged into one class. Returns (statistic, degrees of
/// freedom).
fn chi_square(
	counts: &BTreeMap<Outcome, u32>,
	expected: &BTreeMap<Outcome, f64>,
	trials: u32,
) -> (f64, usize) {
	for outcome in counts.keys() {
		assert!(expected.contains_key(outcome), "outcome {outcome:#b} is impossible");
	}
	let mut classes: Vec<(f64, f64)> = Vec::new();
	let (mut small_obs, mut small_exp) = (0.0, 0.0);
	for (outcome, p) in expected {
		let e = p * f64::from(trials);
		let o = f64::from(counts.get(outcome).copied().unwrap_or(0));
		if e < 5.0 {
			small_obs += o;
			small_exp += e;
		} else {
			classes.push((o, e));
		}
	}
	if small_exp > 0.0 {
		classes.push((small_obs, small_exp));
	}
	let statistic = classes.iter().map(|(o, e)| (o - e) * (o - e) / e).sum();
	(statistic, classes.len() - 1)
}

fn seed_of(trial: u32) -> BlockSeed {
	BlockSeed(sp_io::hashing::blake2_256(&(b"draw-statistics", trial).encode()))
}

#[test]
fn executor_draws_follow_qos_weights_without_repetition_or_bias() {
	new_test_ext().execute_with(|| {
		join_all(1..=10);
		let model = placed_model(1);
		let mut holders = Holders::<Test>::get(model);
		assert_eq!(holders.len(), 10);
		for (pos, entry) in holders.iter_mut().enumerate() {
			entry.available = !BUSY.contains(&pos);
			Nodes::<Test>::mutate_extant(entry.node, |n| n.qos = QOS[pos]);
		}
		Holders::<Test>::insert(model, &holders);
		let eligible: Vec<bool> = (0..10).map(|pos| !BUSY.contains(&pos)).collect();
		let mut info = Models::<Test>::get(model).unwrap();
		info.available = eligible.iter().filter(|e| **e).count() as u32;
		let p = Params::<Test>::get();
		let k = p.executors_per_task;
		let draws = k * DRAWS_PER_EXECUTOR;
		let task = create_task(model);
		let template = Tasks::<Test>::get(task).unwrap();
		let exact = expected(&eligible, &QOS, k, draws);
		assert!((exact.values().sum::<f64>() - 1.0).abs() < 1e-9);

		let mut counts: BTreeMap<Outcome, u32> = BTreeMap::new();
		let mut probing: BTreeMap<Outcome, u32> = BTreeMap::new();
		let mut per_holder = [0u32; 10];
		for trial in 0..TRIALS {
			let seed = seed_of(trial);
			let mut t = template.clone();
			let assigned = ModelRegistry::try_assign(task, &mut t, &info, &p, 100, &seed);
			let mut outcome: Outcome = 0;
			if assigned {
				let chosen: Vec<AccountId> = t.executors.iter().map(|e| e.node).collect();
				let mut distinct = chosen.clone();
				distinct.sort();
				distinct.dedup();
				assert_eq!(distinct.len(), chosen.len(), "a holder drawn twice for one task");
				for who in chosen {
					let pos = holders.iter().position(|h| h.node == who).unwrap();
					assert!(eligible[pos], "a busy holder was drawn");
					outcome |= 1 << pos;
					per_holder[pos] += 1;
				}
			}
			// The pallet's draw is the one analysed.
			let order = DrawOrder::new(&seed, task, 10);
			assert_eq!(simulate(order, &eligible, &QOS, k, draws), outcome);
			*counts.entry(outcome).or_default() += 1;
			let reference = LinearProbing {
				stream: seed.stream(b"modelnet/executors", task),
				tried: Vec::new(),
				count: 10,
			};
			*probing.entry(simulate(reference, &eligible, &QOS, k, draws)).or_default() += 1;
			Holders::<Test>::insert(model, &holders);
			System::reset_events();
		}

		let (stat, dof) = chi_square(&counts, &exact, TRIALS);
		let (probing_stat, probing_dof) = chi_square(&probing, &exact, TRIALS);
		println!("executor draw: chi-square {stat:.1} with {dof} degrees of freedom (critical value at 0.001: {:.1})", CHI2_CRITICAL_0_001[dof]);
		println!("linear probing: chi-square {probing_stat:.1} with {probing_dof} degrees of freedom");
		for pos in 0..10 {
			let expected_share = 0.0 + exact
				.iter()
				.filter(|(o, _)| *o & (1 << pos) != 0)
				.map(|(_, p)| p)
				.sum::<f64>();
			println!(
				"holder {pos}: qos {} drawn {:.4} expected {expected_share:.4}",
				QOS[pos],
				f64::from(per_holder[pos]) / f64::from(TRIALS)
			);
		}
		assert!(dof >= 10, "too few classes for the test: {dof}");
		assert!(stat < CHI2_CRITICAL_0_001[dof], "draw frequencies differ from the QoS weights");
		// The old order favours the holder after the run of busy ones; the test sees it.
		assert!(probing_stat > CHI2_CRITICAL_0_001[probing_dof], "bias not detected");
		// Higher QoS, more draws (among holders that can take tasks).
		let free: Vec<usize> = (0..10).filter(|pos| eligible[*pos]).collect();
		for pair in free.windows(2) {
			assert!(per_holder[pair[0]] > per_holder[pair[1]], "{per_holder:?}");
		}
	});
}
