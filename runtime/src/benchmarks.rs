//! The pallets `modelnet-node benchmark pallet` measures in this runtime.

frame_benchmarking::define_benchmarks!(
	[frame_system, SystemBench::<Runtime>]
	[pallet_balances, Balances]
	[pallet_timestamp, Timestamp]
	[pallet_sudo, Sudo]
	[pallet_model_registry, ModelRegistry]
);
