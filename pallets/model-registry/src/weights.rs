//! Weights of the model registry's calls and hook paths.
//!
//! The figures below are conservative hand estimates (storage reads and writes counted from the
//! code plus a fixed computation allowance); they are to be replaced by benchmark output.

#![allow(unused_parens, unused_imports)]

use core::marker::PhantomData;
use frame_support::{
	traits::Get,
	weights::{constants::RocksDbWeight, Weight},
};

/// Weight functions of the pallet. Components are upper bounds of the loop they measure.
pub trait WeightInfo {
	/// `join`.
	fn join() -> Weight;
	/// `update_capacity` for a node with `m` holdings and nominations.
	fn update_capacity(m: u32) -> Weight;
	/// `pause` for a node holding `m` models.
	fn pause(m: u32) -> Weight;
	/// `resume` for a node holding `m` models.
	fn resume(m: u32) -> Weight;
	/// `leave` for a node with `m` holdings and nominations.
	fn leave(m: u32) -> Weight;
	/// `register_model` with `s` sources.
	fn register_model(s: u32) -> Weight;
	/// `deregister_model` with `h` holders and nominations.
	fn deregister_model(h: u32) -> Weight;
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
	/// `commit_result`.
	fn commit_result() -> Weight;
	/// `reveal_result` without resolution.
	fn reveal_result() -> Weight;
	/// `cancel_task` with `q` tasks in the queue.
	fn cancel_task(q: u32) -> Weight;
	/// `set_params`.
	fn set_params() -> Weight;
	/// Resolution of a task with `k` executors (payments, slashes, QoS).
	fn resolve_task(k: u32) -> Weight;
	/// Kick-out of a node with `m` holdings and nominations.
	fn kick_out(m: u32) -> Weight;
	/// Fixed part of `on_initialize`.
	fn on_initialize_base() -> Weight;
	/// Processing `n` deadline entries (resolutions and kick-outs charged separately).
	fn on_initialize_expire(n: u32) -> Weight;
	/// Examining `k` waiting tasks for assignment (each up to the maximum draw count).
	fn on_initialize_assign(k: u32) -> Weight;
	/// `d` random node draws for nominations.
	fn on_initialize_replicate(d: u32) -> Weight;
	/// Demand review of `r` models (each with an eviction sample).
	fn on_initialize_review(r: u32) -> Weight;
}

fn estimate<D: Get<frame_support::weights::RuntimeDbWeight>>(
	base_ps: u64,
	reads: u64,
	writes: u64,
) -> Weight {
	Weight::from_parts(base_ps, 4_000).saturating_add(D::get().reads_writes(reads, writes))
}

fn per<D: Get<frame_support::weights::RuntimeDbWeight>>(
	n: u32,
	base_ps: u64,
	reads: u64,
	writes: u64,
) -> Weight {
	let n = u64::from(n);
	Weight::from_parts(base_ps.saturating_mul(n), 2_000u64.saturating_mul(n))
		.saturating_add(D::get().reads_writes(reads.saturating_mul(n), writes.saturating_mul(n)))
}

macro_rules! weight_fns {
	($db:ty) => {
		fn join() -> Weight {
			estimate::<$db>(60_000_000, 6, 6)
		}
		fn update_capacity(m: u32) -> Weight {
			estimate::<$db>(25_000_000, 3, 1).saturating_add(per::<$db>(m, 2_000_000, 1, 0))
		}
		fn pause(m: u32) -> Weight {
			estimate::<$db>(25_000_000, 2, 1).saturating_add(per::<$db>(m, 8_000_000, 2, 2))
		}
		fn resume(m: u32) -> Weight {
			estimate::<$db>(25_000_000, 2, 1).saturating_add(per::<$db>(m, 8_000_000, 2, 2))
		}
		fn leave(m: u32) -> Weight {
			estimate::<$db>(70_000_000, 8, 8).saturating_add(per::<$db>(m, 20_000_000, 6, 6))
		}
		fn register_model(s: u32) -> Weight {
			estimate::<$db>(70_000_000, 6, 7).saturating_add(per::<$db>(s, 1_000_000, 0, 0))
		}
		fn deregister_model(h: u32) -> Weight {
			estimate::<$db>(80_000_000, 8, 8).saturating_add(per::<$db>(h, 20_000_000, 5, 5))
		}
		fn confirm_stored() -> Weight {
			estimate::<$db>(45_000_000, 7, 7)
		}
		fn decline_nomination() -> Weight {
			estimate::<$db>(40_000_000, 6, 6)
		}
		fn report_lost() -> Weight {
			estimate::<$db>(45_000_000, 8, 7)
		}
		fn announce_stored() -> Weight {
			estimate::<$db>(45_000_000, 8, 6)
		}
		fn create_task(i: u32) -> Weight {
			estimate::<$db>(60_000_000, 6, 6).saturating_add(per::<$db>(i, 1_000, 0, 0))
		}
		fn commit_result() -> Weight {
			estimate::<$db>(30_000_000, 2, 2)
		}
		fn reveal_result() -> Weight {
			estimate::<$db>(40_000_000, 2, 2)
		}
		fn cancel_task(q: u32) -> Weight {
			estimate::<$db>(45_000_000, 4, 4).saturating_add(per::<$db>(q, 50_000, 0, 0))
		}
		fn set_params() -> Weight {
			estimate::<$db>(15_000_000, 0, 1)
		}
		fn resolve_task(k: u32) -> Weight {
			estimate::<$db>(40_000_000, 4, 4).saturating_add(per::<$db>(k, 60_000_000, 8, 8))
		}
		fn kick_out(m: u32) -> Weight {
			estimate::<$db>(70_000_000, 8, 8).saturating_add(per::<$db>(m, 20_000_000, 6, 6))
		}
		fn on_initialize_base() -> Weight {
			estimate::<$db>(10_000_000, 6, 2)
		}
		fn on_initialize_expire(n: u32) -> Weight {
			estimate::<$db>(5_000_000, 1, 1).saturating_add(per::<$db>(n, 40_000_000, 6, 6))
		}
		fn on_initialize_assign(k: u32) -> Weight {
			// Each examined task may take up to 4 draws per executor (with 5 executors at most
			// in any sensible configuration), each draw reading the holder, node and its tasks.
			estimate::<$db>(5_000_000, 2, 1).saturating_add(per::<$db>(k, 150_000_000, 64, 10))
		}
		fn on_initialize_replicate(d: u32) -> Weight {
			estimate::<$db>(5_000_000, 2, 1).saturating_add(per::<$db>(d, 8_000_000, 5, 3))
		}
		fn on_initialize_review(r: u32) -> Weight {
			// Each review may sample up to 8 holders and evict them.
			estimate::<$db>(5_000_000, 2, 1).saturating_add(per::<$db>(r, 120_000_000, 40, 40))
		}
	};
}

/// Weights for a runtime, using its database weights.
pub struct SubstrateWeight<T>(PhantomData<T>);
impl<T: frame_system::Config> WeightInfo for SubstrateWeight<T> {
	weight_fns!(<T as frame_system::Config>::DbWeight);
}

/// Weights for tests, using RocksDB database weights.
impl WeightInfo for () {
	weight_fns!(RocksDbWeight);
}
