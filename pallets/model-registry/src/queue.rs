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
