//! Weights of the model registry's calls and hook paths.
//!
//! Interim estimates; `benchmarking/run-benchmarks.sh` regenerates this file from the
//! benchmarks.

#![allow(unused_parens, unused_imports)]

use core::marker::PhantomData;
use frame_support::{
	traits::Get,
	weights::{constants::RocksDbWeight, Weight},
};

/// Weight functions of the pallet.
pub trait WeightInfo {
	/// `join`.
	fn join() -> Weight;
	/// `update_capacity`.
	fn update_capacity() -> Weight;
	/// `pause`.
	fn pause() -> Weight;
	/// `resume`.
	fn resume() -> Weight;
	/// `leave`.
	fn leave() -> Weight;
	/// `register_model` with `s` sources of the maximum length.
	fn register_model(s: u32) -> Weight;
	/// `deregister_model`.
	fn deregister_model() -> Weight;
	/// `confirm_stored`.
	fn confirm_stored() -> Weight;
	/// `decline_nomination`.
	fn decline_nomination() -> Weight;
	/// `report_lost`.
	fn report_lost() -> Weight;
	/// `announce_stored`.
	fn announce_stored() -> Weight;
	/// `create_task` with an input of `i` bytes.
	fn create_task(i: u32) -> Weight;
	/// `commit_result` (the last commitment, which starts the reveal phase).
	fn commit_result() -> Weight;
	/// `reveal_result` (the last reveal, which schedules the resolution).
	fn reveal_result() -> Weight;
	/// `cancel_task`.
	fn cancel_task() -> Weight;
	/// `set_params`.
	fn set_params() -> Weight;
	/// `on_initialize` with nothing to do.
	fn on_initialize_base() -> Weight;
	/// Hook: a nomination expires (QoS penalty, replacement queued).
	fn expire_nomination() -> Weight;
	/// Hook: the commit phase of a task with `k` executors ends.
	fn end_commit_phase(k: u32) -> Weight;
	/// Hook: a task with `k` executors resolves (payments, slashes, QoS).
	fn resolve_task(k: u32) -> Weight;
	/// Hook: a resolved task record is removed.
	fn prune_task() -> Weight;
	/// Hook: a node is kicked out (its cleanup is charged to the cleanup queue).
	fn kick_out() -> Weight;
	/// Hook: `k` executors are drawn for a waiting task.
	fn assign_executors(k: u32) -> Weight;
	/// Hook: a waiting task wanting `k` executors stays unserved after all draws.
	fn assign_unserved(k: u32) -> Weight;
	/// Hook: a model of the replication queue is served with `d` draws.
	fn replicate_model(d: u32) -> Weight;
	/// Hook: a model's demand review evicting `e` holders.
	fn review_model(e: u32) -> Weight;
	/// Hook: `s` steps of a leaving node's cleanup.
	fn cleanup_node(s: u32) -> Weight;
	/// Hook: `s` steps of a deregistered model's cleanup.
	fn cleanup_model(s: u32) -> Weight;
}

/// Weights for a runtime, using its database weights.
pub struct SubstrateWeight<T>(PhantomData<T>);
impl<T: frame_system::Config> WeightInfo for SubstrateWeight<T> {
	fn join() -> Weight {
		Weight::from_parts(50_000_000, 10_000).saturating_add(T::DbWeight::get().reads_writes(8, 8))
	}
	fn update_capacity() -> Weight {
		Weight::from_parts(50_000_000, 10_000).saturating_add(T::DbWeight::get().reads_writes(8, 8))
	}
	fn pause() -> Weight {
		Weight::from_parts(50_000_000, 10_000).saturating_add(T::DbWeight::get().reads_writes(8, 8))
	}
	fn resume() -> Weight {
		Weight::from_parts(50_000_000, 10_000).saturating_add(T::DbWeight::get().reads_writes(8, 8))
	}
	fn leave() -> Weight {
		Weight::from_parts(50_000_000, 10_000).saturating_add(T::DbWeight::get().reads_writes(8, 8))
	}
	fn register_model(s: u32) -> Weight {
		Weight::from_parts(50_000_000, 10_000)
			.saturating_add(T::DbWeight::get().reads_writes(8, 8))
			.saturating_add(Weight::from_parts(10_000_000, 3_000).saturating_mul(s.into()))
	}
	fn deregister_model() -> Weight {
		Weight::from_parts(50_000_000, 10_000).saturating_add(T::DbWeight::get().reads_writes(8, 8))
	}
	fn confirm_stored() -> Weight {
		Weight::from_parts(50_000_000, 10_000).saturating_add(T::DbWeight::get().reads_writes(8, 8))
	}
	fn decline_nomination() -> Weight {
		Weight::from_parts(50_000_000, 10_000).saturating_add(T::DbWeight::get().reads_writes(8, 8))
	}
	fn report_lost() -> Weight {
		Weight::from_parts(50_000_000, 10_000).saturating_add(T::DbWeight::get().reads_writes(8, 8))
	}
	fn announce_stored() -> Weight {
		Weight::from_parts(50_000_000, 10_000).saturating_add(T::DbWeight::get().reads_writes(8, 8))
	}
	fn create_task(i: u32) -> Weight {
		Weight::from_parts(50_000_000, 10_000)
			.saturating_add(T::DbWeight::get().reads_writes(8, 8))
			.saturating_add(Weight::from_parts(10_000_000, 3_000).saturating_mul(i.into()))
	}
	fn commit_result() -> Weight {
		Weight::from_parts(50_000_000, 10_000).saturating_add(T::DbWeight::get().reads_writes(8, 8))
	}
	fn reveal_result() -> Weight {
		Weight::from_parts(50_000_000, 10_000).saturating_add(T::DbWeight::get().reads_writes(8, 8))
	}
	fn cancel_task() -> Weight {
		Weight::from_parts(50_000_000, 10_000).saturating_add(T::DbWeight::get().reads_writes(8, 8))
	}
	fn set_params() -> Weight {
		Weight::from_parts(50_000_000, 10_000).saturating_add(T::DbWeight::get().reads_writes(8, 8))
	}
	fn on_initialize_base() -> Weight {
		Weight::from_parts(50_000_000, 10_000).saturating_add(T::DbWeight::get().reads_writes(8, 8))
	}
	fn expire_nomination() -> Weight {
		Weight::from_parts(50_000_000, 10_000).saturating_add(T::DbWeight::get().reads_writes(8, 8))
	}
	fn end_commit_phase(k: u32) -> Weight {
		Weight::from_parts(50_000_000, 10_000)
			.saturating_add(T::DbWeight::get().reads_writes(8, 8))
			.saturating_add(Weight::from_parts(10_000_000, 3_000).saturating_mul(k.into()))
	}
	fn resolve_task(k: u32) -> Weight {
		Weight::from_parts(50_000_000, 10_000)
			.saturating_add(T::DbWeight::get().reads_writes(8, 8))
			.saturating_add(Weight::from_parts(10_000_000, 3_000).saturating_mul(k.into()))
	}
	fn prune_task() -> Weight {
		Weight::from_parts(50_000_000, 10_000).saturating_add(T::DbWeight::get().reads_writes(8, 8))
	}
	fn kick_out() -> Weight {
		Weight::from_parts(50_000_000, 10_000).saturating_add(T::DbWeight::get().reads_writes(8, 8))
	}
	fn assign_executors(k: u32) -> Weight {
		Weight::from_parts(50_000_000, 10_000)
			.saturating_add(T::DbWeight::get().reads_writes(8, 8))
			.saturating_add(Weight::from_parts(10_000_000, 3_000).saturating_mul(k.into()))
	}
	fn assign_unserved(k: u32) -> Weight {
		Weight::from_parts(50_000_000, 10_000)
			.saturating_add(T::DbWeight::get().reads_writes(8, 8))
			.saturating_add(Weight::from_parts(10_000_000, 3_000).saturating_mul(k.into()))
	}
	fn replicate_model(d: u32) -> Weight {
		Weight::from_parts(50_000_000, 10_000)
			.saturating_add(T::DbWeight::get().reads_writes(8, 8))
			.saturating_add(Weight::from_parts(10_000_000, 3_000).saturating_mul(d.into()))
	}
	fn review_model(e: u32) -> Weight {
		Weight::from_parts(50_000_000, 10_000)
			.saturating_add(T::DbWeight::get().reads_writes(8, 8))
			.saturating_add(Weight::from_parts(10_000_000, 3_000).saturating_mul(e.into()))
	}
	fn cleanup_node(s: u32) -> Weight {
		Weight::from_parts(50_000_000, 10_000)
			.saturating_add(T::DbWeight::get().reads_writes(8, 8))
			.saturating_add(Weight::from_parts(10_000_000, 3_000).saturating_mul(s.into()))
	}
	fn cleanup_model(s: u32) -> Weight {
		Weight::from_parts(50_000_000, 10_000)
			.saturating_add(T::DbWeight::get().reads_writes(8, 8))
			.saturating_add(Weight::from_parts(10_000_000, 3_000).saturating_mul(s.into()))
	}
}

/// Weights for tests, using RocksDB database weights.
impl WeightInfo for () {
	fn join() -> Weight {
		Weight::from_parts(50_000_000, 10_000)
			.saturating_add(RocksDbWeight::get().reads_writes(8, 8))
	}
	fn update_capacity() -> Weight {
		Weight::from_parts(50_000_000, 10_000)
			.saturating_add(RocksDbWeight::get().reads_writes(8, 8))
	}
	fn pause() -> Weight {
		Weight::from_parts(50_000_000, 10_000)
			.saturating_add(RocksDbWeight::get().reads_writes(8, 8))
	}
	fn resume() -> Weight {
		Weight::from_parts(50_000_000, 10_000)
			.saturating_add(RocksDbWeight::get().reads_writes(8, 8))
	}
	fn leave() -> Weight {
		Weight::from_parts(50_000_000, 10_000)
			.saturating_add(RocksDbWeight::get().reads_writes(8, 8))
	}
	fn register_model(s: u32) -> Weight {
		Weight::from_parts(50_000_000, 10_000)
			.saturating_add(RocksDbWeight::get().reads_writes(8, 8))
			.saturating_add(Weight::from_parts(10_000_000, 3_000).saturating_mul(s.into()))
	}
	fn deregister_model() -> Weight {
		Weight::from_parts(50_000_000, 10_000)
			.saturating_add(RocksDbWeight::get().reads_writes(8, 8))
	}
	fn confirm_stored() -> Weight {
		Weight::from_parts(50_000_000, 10_000)
			.saturating_add(RocksDbWeight::get().reads_writes(8, 8))
	}
	fn decline_nomination() -> Weight {
		Weight::from_parts(50_000_000, 10_000)
			.saturating_add(RocksDbWeight::get().reads_writes(8, 8))
	}
	fn report_lost() -> Weight {
		Weight::from_parts(50_000_000, 10_000)
			.saturating_add(RocksDbWeight::get().reads_writes(8, 8))
	}
	fn announce_stored() -> Weight {
		Weight::from_parts(50_000_000, 10_000)
			.saturating_add(RocksDbWeight::get().reads_writes(8, 8))
	}
	fn create_task(i: u32) -> Weight {
		Weight::from_parts(50_000_000, 10_000)
			.saturating_add(RocksDbWeight::get().reads_writes(8, 8))
			.saturating_add(Weight::from_parts(10_000_000, 3_000).saturating_mul(i.into()))
	}
	fn commit_result() -> Weight {
		Weight::from_parts(50_000_000, 10_000)
			.saturating_add(RocksDbWeight::get().reads_writes(8, 8))
	}
	fn reveal_result() -> Weight {
		Weight::from_parts(50_000_000, 10_000)
			.saturating_add(RocksDbWeight::get().reads_writes(8, 8))
	}
	fn cancel_task() -> Weight {
		Weight::from_parts(50_000_000, 10_000)
			.saturating_add(RocksDbWeight::get().reads_writes(8, 8))
	}
	fn set_params() -> Weight {
		Weight::from_parts(50_000_000, 10_000)
			.saturating_add(RocksDbWeight::get().reads_writes(8, 8))
	}
	fn on_initialize_base() -> Weight {
		Weight::from_parts(50_000_000, 10_000)
			.saturating_add(RocksDbWeight::get().reads_writes(8, 8))
	}
	fn expire_nomination() -> Weight {
		Weight::from_parts(50_000_000, 10_000)
			.saturating_add(RocksDbWeight::get().reads_writes(8, 8))
	}
	fn end_commit_phase(k: u32) -> Weight {
		Weight::from_parts(50_000_000, 10_000)
			.saturating_add(RocksDbWeight::get().reads_writes(8, 8))
			.saturating_add(Weight::from_parts(10_000_000, 3_000).saturating_mul(k.into()))
	}
	fn resolve_task(k: u32) -> Weight {
		Weight::from_parts(50_000_000, 10_000)
			.saturating_add(RocksDbWeight::get().reads_writes(8, 8))
			.saturating_add(Weight::from_parts(10_000_000, 3_000).saturating_mul(k.into()))
	}
	fn prune_task() -> Weight {
		Weight::from_parts(50_000_000, 10_000)
			.saturating_add(RocksDbWeight::get().reads_writes(8, 8))
	}
	fn kick_out() -> Weight {
		Weight::from_parts(50_000_000, 10_000)
			.saturating_add(RocksDbWeight::get().reads_writes(8, 8))
	}
	fn assign_executors(k: u32) -> Weight {
		Weight::from_parts(50_000_000, 10_000)
			.saturating_add(RocksDbWeight::get().reads_writes(8, 8))
			.saturating_add(Weight::from_parts(10_000_000, 3_000).saturating_mul(k.into()))
	}
	fn assign_unserved(k: u32) -> Weight {
		Weight::from_parts(50_000_000, 10_000)
			.saturating_add(RocksDbWeight::get().reads_writes(8, 8))
			.saturating_add(Weight::from_parts(10_000_000, 3_000).saturating_mul(k.into()))
	}
	fn replicate_model(d: u32) -> Weight {
		Weight::from_parts(50_000_000, 10_000)
			.saturating_add(RocksDbWeight::get().reads_writes(8, 8))
			.saturating_add(Weight::from_parts(10_000_000, 3_000).saturating_mul(d.into()))
	}
	fn review_model(e: u32) -> Weight {
		Weight::from_parts(50_000_000, 10_000)
			.saturating_add(RocksDbWeight::get().reads_writes(8, 8))
			.saturating_add(Weight::from_parts(10_000_000, 3_000).saturating_mul(e.into()))
	}
	fn cleanup_node(s: u32) -> Weight {
		Weight::from_parts(50_000_000, 10_000)
			.saturating_add(RocksDbWeight::get().reads_writes(8, 8))
			.saturating_add(Weight::from_parts(10_000_000, 3_000).saturating_mul(s.into()))
	}
	fn cleanup_model(s: u32) -> Weight {
		Weight::from_parts(50_000_000, 10_000)
			.saturating_add(RocksDbWeight::get().reads_writes(8, 8))
			.saturating_add(Weight::from_parts(10_000_000, 3_000).saturating_mul(s.into()))
	}
}
