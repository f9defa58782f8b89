//! First-in first-out queues kept in storage as a map from position to item plus a
//! [`QueueRange`] value, so that pushing or popping touches a constant number of keys whatever
//! the queue's length (a `StorageValue` holding the whole queue would put every item into the
//! proof of each block and call that touches it).

use alloc::vec::Vec;
use codec::{Decode, DecodeWithMemTracking, Encode, FullCodec, MaxEncodedLen};
use core::marker::PhantomData;
use frame_support::storage::{StorageMap, StorageValue};
use scale_info::TypeInfo;

/// Head and tail of a storage FIFO queue (items at positions `head..tail`, wrapping).
#[derive(
	Clone,
	Copy,
	PartialEq,
	Eq,
	Default,
	Encode,
	Decode,
	DecodeWithMemTracking,
	MaxEncodedLen,
	TypeInfo,
	Debug,
)]
pub struct QueueRange {
	/// Position of the oldest item.
	pub head: u32,
	/// Position the next item is written to.
	pub tail: u32,
}

/// A FIFO queue of `V` whose items live in `Items` (position -> item) and whose bounds live in
/// `Range`.
pub struct Fifo<Items, Range, V>(PhantomData<(Items, Range, V)>);

impl<Items, Range, V> Fifo<Items, Range, V>
where
	Items: StorageMap<u32, V, Query = Option<V>>,
	Range: StorageValue<QueueRange, Query = QueueRange>,
	V: FullCodec,
{
	/// Number of items.
	pub fn len() -> u32 {
		let range = Range::get();
		range.tail.wrapping_sub(range.head)
	}

	/// Append `item` at the back.
	pub fn push(item: V) {
		let mut range = Range::get();
		Items::insert(range.tail, item);
		range.tail = range.tail.wrapping_add(1);
		Range::put(range);
	}

	/// The front item, left in place.
	pub fn peek() -> Option<V> {
		let range = Range::get();
		if range.head == range.tail {
			return None;
		}
		Items::get(range.head)
	}

	/// Remove and return the front item.
	pub fn pop() -> Option<V> {
		let mut range = Range::get();
		if range.head == range.tail {
			return None;
		}
		let item = Items::take(range.head);
		range.head = range.head.wrapping_add(1);
		Range::put(range);
		item
	}

	/// Every item, front first (for the runtime API, checks and tests; reads the whole queue).
	pub fn items() -> Vec<V> {
		let range = Range::get();
		let mut items = Vec::new();
		let mut position = range.head;
		while position != range.tail {
			if let Some(item) = Items::get(position) {
				items.push(item);
			}
			position = position.wrapping_add(1);
		}
		items
	}
}

/// The front slot and the length of a [`Ring`].
#[derive(
	Clone,
	Copy,
	PartialEq,
	Eq,
	Default,
	Encode,
	Decode,
	DecodeWithMemTracking,
	MaxEncodedLen,
	TypeInfo,
	Debug,
)]
pub struct RingRange {
	/// Slot of the oldest item.
	pub front: u32,
	/// Number of items.
	pub len: u32,
}

/// The id of the next task and the range of the pending-task ring, kept in one storage value
/// so that creating a task writes it once.
#[derive(
	Clone,
	Copy,
	PartialEq,
	Eq,
	Default,
	Encode,
	Decode,
	DecodeWithMemTracking,
	MaxEncodedLen,
	TypeInfo,
	Debug,
)]
pub struct TaskQueueState {
	/// Id of the next task.
	pub next_task: u64,
	/// Slots of the pending-task ring.
	pub pending: RingRange,
}

/// A FIFO queue of at most `Cap` items kept in `Items` at slots `0..Cap`, whose range the
/// caller loads and stores (so that it can share a storage value with other counters).
/// Popping leaves the slot as it is: it is overwritten when the ring comes round, so a pop
/// writes nothing.
pub struct Ring<Items, Cap, V>(PhantomData<(Items, Cap, V)>);

impl<Items, Cap, V> Ring<Items, Cap, V>
where
	Items: StorageMap<u32, V, Query = Option<V>>,
	Cap: frame_support::traits::Get<u32>,
	V: FullCodec,
{
	/// The slot `offset` places after the front.
	fn slot(range: &RingRange, offset: u32) -> u32 {
		let cap = u64::from(Cap::get().max(1));
		((u64::from(range.front) + u64::from(offset)) % cap) as u32
	}

	/// Number of items.
	pub fn len(range: &RingRange) -> u32 {
		range.len
	}

	/// Append `item` at the back. Returns its slot, or `None` (and nothing changed) if the
	/// ring is full.
	pub fn push_slot(range: &mut RingRange, item: V) -> Option<u32> {
		if range.len >= Cap::get() {
			return None;
		}
		let slot = Self::slot(range, range.len);
		Items::insert(slot, item);
		range.len += 1;
		Some(slot)
	}

	/// Remove the item at `slot` (which must hold an item of the ring): the back item moves
	/// into it. Returns the moved item (`None` if the removed item was the back one).
	pub fn remove(range: &mut RingRange, slot: u32) -> Option<V> {
		let last = range.len.checked_sub(1)?;
		let back = Self::slot(range, last);
		range.len = last;
		if back == slot {
			return None;
		}
		let moved = Items::get(back)?;
		Items::insert(slot, &moved);
		Some(moved)
	}

	/// Remove and return the front item.
	pub fn pop(range: &mut RingRange) -> Option<V> {
		if range.len == 0 {
			return None;
		}
		let item = Items::get(range.front);
		range.front = Self::slot(range, 1);
		range.len -= 1;
		item
	}

	/// Every item, front first (for the runtime API, checks and tests).
	pub fn items(range: &RingRange) -> Vec<V> {
		(0..range.len).filter_map(|offset| Items::get(Self::slot(range, offset))).collect()
	}
}
