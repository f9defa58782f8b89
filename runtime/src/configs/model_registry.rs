//! Configuration of the model registry: bounds of every collection, per-block work limits,
//! stakes and deposits, randomness and the off-chain worker's key.
//!
//! The replication parameters that governance tunes (initial replicas, watermarks, deadlines,
//! demand window, executors per task, slashing) are not here: they are the pallet's `Params`
//! storage, set at genesis and changed with `set_params` (root).

use crate::{Balance, Balances, Runtime, RuntimeHoldReason, UNIT};
use frame_support::{parameter_types, traits::ConstU32};

parameter_types! {
	/// The least stake a node must hold to join: 100 units.
	pub const MinNodeStake: Balance = 100 * UNIT;
	/// Stake per GiB of declared VRAM: a node claiming 80 GiB (eligible for the largest
	/// models) puts up 80 units more than one claiming none.
	pub const StakePerVramGib: Balance = UNIT;
	/// Stake per GiB of declared disk: a tenth of a unit (100 GiB: 10 units).
	pub const StakePerDiskGib: Balance = UNIT / 10;
	/// Base of what registering a model holds until its copies are evicted after
	/// deregistration: 10 units.
	pub const ModelDeposit: Balance = 10 * UNIT;
	/// Model deposit per byte and initial replica: about 1 unit per GiB placed (a 10 GiB model
	/// on 10 initial replicas holds about 100 units beyond the base).
	pub const ModelDepositPerByte: Balance = UNIT / (1 << 30);
	/// Largest model accepted: 256 GiB.
	pub const MaxModelSize: u64 = 256 << 30;
	/// Download speed a nominated node is assumed to reach at least: 10 MiB/s, i.e. 60 MiB per
	/// 6-second block. A 256 GiB model adds about 4,400 blocks (7.3 hours) to the deadline.
	pub const MinDownloadBytesPerBlock: u64 = 60 << 20;
	/// Storage deposit per byte of task input: a full 4 KiB input holds about 0.4 units until
	/// the task is pruned.
	pub const TaskInputDepositPerByte: Balance = UNIT / 10_000;
	/// The least fee of a task: 1 unit. Filling the task queue (256 places) for a demand window
	/// then holds 256 units.
	pub const MinTaskFee: Balance = UNIT;
}

impl pallet_model_registry::Config for Runtime {
	type Currency = Balances;
	type RuntimeHoldReason = RuntimeHoldReason;
	// The VRF output of the parent block's author, known since the parent block; the registry
	// only draws with it for tasks and shortfalls created before that block.
	type Randomness = pallet_babe::ParentBlockRandomness<Runtime>;
	// Knowing a draw's seed when creating a task would take authoring both blocks after it.
	type RandomnessDepth = ConstU32<2>;
	type AuthorityId = pallet_model_registry::crypto::AuthorityId;
	type MinNodeStake = MinNodeStake;
	type StakePerVramGib = StakePerVramGib;
	type StakePerDiskGib = StakePerDiskGib;
	type ModelDeposit = ModelDeposit;
	type ModelDepositPerByte = ModelDepositPerByte;
	type MaxModelSize = MaxModelSize;
	type MinDownloadBytesPerBlock = MinDownloadBytesPerBlock;
	type TaskInputDepositPerByte = TaskInputDepositPerByte;
	type MinTaskFee = MinTaskFee;
	type MaxNodes = ConstU32<10_000>;
	type MaxModels = ConstU32<1_000>;
	type MaxHoldersPerModel = ConstU32<64>;
	type MaxModelsPerNode = ConstU32<32>;
	type MaxSources = ConstU32<4>;
	type MaxUrlLen = ConstU32<512>;
	type MaxTaskInputLen = ConstU32<4_096>;
	// Bounds the most expensive executor draw: with 5 executors, assigning a task (every
	// executor drawn, plus as many rejected draws) stays within 3 transfers' weight.
	type MaxExecutorsPerTask = ConstU32<5>;
	type MaxTasksPerHolder = ConstU32<4>;
	type MaxQueuedTasks = ConstU32<256>;
	type MaxDeadlinesPerBlock = ConstU32<64>;
	type MaxAssignmentsPerBlock = ConstU32<8>;
	type MaxNominationDrawsPerBlock = ConstU32<128>;
	type ModelsReviewedPerBlock = ConstU32<4>;
	type MaxCleanupStepsPerBlock = ConstU32<16>;
	type WeightInfo = pallet_model_registry::weights::SubstrateWeight<Runtime>;
	#[cfg(feature = "runtime-benchmarks")]
	type BenchmarkHelper = RandomnessBenchmarkHelper;
}

/// Records a VRF output of the parent block's author, which `ParentBlockRandomness` reads, so
/// that the benchmarks draw with randomness (there is none in a benchmark's fresh state).
#[cfg(feature = "runtime-benchmarks")]
pub struct RandomnessBenchmarkHelper;

#[cfg(feature = "runtime-benchmarks")]
impl pallet_model_registry::BenchmarkHelper for RandomnessBenchmarkHelper {
	fn prepare_randomness() {
		pallet_babe::AuthorVrfRandomness::<Runtime>::put(Some([7u8; 32]));
	}
}
