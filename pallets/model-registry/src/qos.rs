//! Quality-of-service scores.
//!
//! Each node has a score on `0..=1000`, an exponential moving average of samples:
//! `qos = (qos * (100 - QOS_ALPHA_PERCENT) + sample * QOS_ALPHA_PERCENT) / 100`.
//!
//! Samples:
//! - executors of the winning result: by how soon after their assignment their commitment
//!   was accepted, in blocks, against the model's size: [`QOS_FULL`] within
//!   [`PROMPT_COMMIT_BLOCKS`] blocks plus the blocks a disk reading
//!   [`READ_SPEEDUP`] × `MinDownloadBytesPerBlock` per block needs for the file; then linearly
//!   less, down to [`QOS_LATE`] at the end of the commit window (see [`Pallet::commit_sample`]).
//!   Every agreeing executor that answered within the allowance gets the same sample: neither
//!   a tip nor a race to reveal first buys anything, and the order of reveals counts for
//!   nothing. A node that fetches the file when a task arrives answers later than one that
//!   keeps it;
//! - an executor that misses its commit or reveal, or reveals a minority result: 0;
//! - an expired nomination: 0.
//!
//! A confirmed download gives no sample: when a node confirms is its own say and proves
//! nothing; task results, which prove the file, are what raise the score.
//!
//! The score survives leaving or being kicked out: a node rejoining within
//! [`COOLDOWN_WINDOWS`] demand windows starts with the score it left with (lowered by
//! penalties of tasks resolved after it left), not with [`INITIAL_QOS`].
//!
//! The score weights executor draws and nominations (a candidate is accepted with probability
//! `qos / 1000`; executor places the accepted holders leave open go to drawn holders that lost
//! their roll, so a roll never makes a task wait). A penalty sample that leaves the score below
//! `qos_kick_threshold` kicks the node out: its remaining stake is released and its holdings
//! and nominations are cleared by the cleanup queue.

use crate::weights::WeightInfo;
use crate::{pallet::*, types::*};
use frame_support::pallet_prelude::*;

/// Score of a newly joined node.
pub const INITIAL_QOS: u32 = 700;
/// Weight of a new sample in the moving average, in percent.
pub const QOS_ALPHA_PERCENT: u32 = 20;
/// Sample of an executor of the winning result that committed within its allowance.
pub const QOS_FULL: u32 = 1000;
/// Sample of an executor of the winning result that committed in the last block of the window.
pub const QOS_LATE: u32 = 400;
/// Blocks after the assignment within which a commitment counts as prompt, besides the time to
/// read the file: the worker sees the assignment when the block is imported and its
/// transaction is included one or two blocks later.
pub const PROMPT_COMMIT_BLOCKS: u32 = 3;
/// How many times faster than the download floor (`MinDownloadBytesPerBlock`) an executor is
/// assumed to read its own copy.
pub const READ_SPEEDUP: u64 = 10;

impl<T: Config> Pallet<T> {
	/// Moving average of `qos` with `sample`.
	pub fn qos_average(qos: u32, sample: u32) -> u32 {
		let qos = qos.min(QOS_MAX);
		let sample = sample.min(QOS_MAX);
		(qos * (100 - QOS_ALPHA_PERCENT) + sample * QOS_ALPHA_PERCENT) / 100
	}

	/// The QoS sample of an executor of the winning result that committed with `margin` blocks
	/// left in a commit window of `window` blocks, on a model of `size_bytes` (see the module
	/// documentation).
	pub fn commit_sample(margin: u32, window: u32, size_bytes: u64) -> u32 {
		let read =
			size_bytes / T::MinDownloadBytesPerBlock::get().saturating_mul(READ_SPEEDUP).max(1);
		let allowance =
			PROMPT_COMMIT_BLOCKS.saturating_add(read.min(u32::MAX as u64) as u32).min(window);
		let latency = window.saturating_sub(margin);
		if latency <= allowance {
			return QOS_FULL;
		}
		let late_span = window.saturating_sub(allowance).max(1);
		let lateness = latency.saturating_sub(allowance).min(late_span);
		let drop = (QOS_FULL - QOS_LATE) as u64 * lateness as u64 / late_span as u64;
		QOS_FULL.saturating_sub(drop as u32)
	}

	/// Record a sample for `who`. A sample below the current score that leaves the score under
	/// the kick threshold kicks the node out; the kick's weight is added to `weight`. For a node
	/// that left or was kicked out, the sample goes to its departure record (if any).
	pub(crate) fn record_qos(who: &T::AccountId, sample: u32, weight: &mut Weight) {
		let Some(mut node) = Nodes::<T>::get(who).filter(|n| n.status != NodeStatus::Leaving)
		else {
			Departures::<T>::mutate_extant(who, |d| d.qos = Self::qos_average(d.qos, sample));
			return;
		};
		let before = node.qos;
		node.qos = Self::qos_average(node.qos, sample);
		let qos = node.qos;
		Nodes::<T>::insert(who, node);
		if qos < before && qos < Params::<T>::get().qos_kick_threshold {
			Self::kick_out(who, qos, weight);
		}
	}

	/// Remove a node whose score fell below the threshold.
	pub(crate) fn kick_out(who: &T::AccountId, qos: u32, weight: &mut Weight) {
		let released = Self::retire_node(who);
		weight.saturating_accrue(T::WeightInfo::kick_out());
		Self::deposit_event(Event::NodeKickedOut { node: who.clone(), qos, released });
	}

	/// Whether a QoS roll `roll` (uniform on `u32`) accepts a node with score `qos`.
	pub(crate) fn qos_accepts(qos: u32, roll: u32) -> bool {
		roll % QOS_MAX < qos.min(QOS_MAX)
	}
}
