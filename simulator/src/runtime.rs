//! The simulation runtime: System, Balances and the model registry, built natively with the
//! production runtime's constants (copied from `runtime/src/configs/model_registry.rs`) and a
//! seeded per-block randomness.

use codec::Encode;
use core::cell::RefCell;
use frame_support::{
	derive_impl, parameter_types,
	traits::{ConstU128, ConstU32, Randomness},
	weights::{
		constants::{ParityDbWeight, WEIGHT_REF_TIME_PER_SECOND},
		Weight,
	},
};
use frame_system::{
	limits::BlockWeights,
	offchain::{AppCrypto, CreateSignedTransaction, CreateTransactionBase, SigningTypes},
};
use sp_core::H256;
use sp_runtime::{
	testing::{TestSignature, TestXt, UintAuthorityId},
	Perbill,
};

type Block = frame_system::mocking::MockBlock<Runtime>;
/// Balance type (as in the production runtime).
pub type Balance = u128;
/// Account id type of the simulation (an index is enough: nothing is signed).
pub type AccountId = u64;
/// One unit of the chain's currency (as in the production runtime).
pub const UNIT: Balance = 1_000_000_000_000;
/// The chain's block time in seconds.
pub const BLOCK_SECONDS: u64 = 6;

frame_support::construct_runtime!(
	pub enum Runtime {
		System: frame_system,
		Balances: pallet_balances,
		ModelRegistry: pallet_model_registry,
	}
);

/// Share of the block weight available to normal transactions (as in the production runtime).
const NORMAL_DISPATCH_RATIO: Perbill = Perbill::from_percent(75);

parameter_types! {
	/// Two seconds of compute per six-second block (as in the production runtime).
	pub SimBlockWeights: BlockWeights = BlockWeights::with_sensible_defaults(
		Weight::from_parts(2u64 * WEIGHT_REF_TIME_PER_SECOND, u64::MAX),
		NORMAL_DISPATCH_RATIO,
	);
}

#[derive_impl(frame_system::config_preludes::TestDefaultConfig)]
impl frame_system::Config for Runtime {
	type Block = Block;
	type BlockWeights = SimBlockWeights;
	type AccountData = pallet_balances::AccountData<Balance>;
	type DbWeight = ParityDbWeight;
}

#[derive_impl(pallet_balances::config_preludes::TestDefaultConfig)]
impl pallet_balances::Config for Runtime {
	type Balance = Balance;
	type ExistentialDeposit = ConstU128<{ UNIT / 1000 }>;
	type AccountStore = System;
}

impl SigningTypes for Runtime {
	type Public = UintAuthorityId;
	type Signature = TestSignature;
}

/// Extrinsic type (only needed by the off-chain worker's signing plumbing, unused here).
pub type Extrinsic = TestXt<RuntimeCall, ()>;

impl<LocalCall> CreateTransactionBase<LocalCall> for Runtime
where
	RuntimeCall: From<LocalCall>,
{
	type Extrinsic = Extrinsic;
	type RuntimeCall = RuntimeCall;
}

impl<LocalCall> CreateSignedTransaction<LocalCall> for Runtime
where
	RuntimeCall: From<LocalCall>,
{
	fn create_signed_transaction<C: AppCrypto<Self::Public, Self::Signature>>(
		call: RuntimeCall,
		_public: UintAuthorityId,
		account: AccountId,
		_nonce: u32,
	) -> Option<Extrinsic> {
		Some(Extrinsic::new_signed(call, account, (), ()))
	}
}

/// Signing key binding (the key is the account id).
pub struct SimAuthId;
impl AppCrypto<UintAuthorityId, TestSignature> for SimAuthId {
	type RuntimeAppPublic = UintAuthorityId;
	type GenericPublic = UintAuthorityId;
	type GenericSignature = TestSignature;
}

thread_local! {
	static RANDOM_SEED: RefCell<u64> = const { RefCell::new(0) };
}

/// Set the seed of the per-block randomness of the current thread's simulation.
pub fn set_random_seed(seed: u64) {
	RANDOM_SEED.with(|s| *s.borrow_mut() = seed);
}

/// Seeded per-block randomness: a hash of the seed and the parent block's number, known since
/// the parent block, like BABE's `ParentBlockRandomness` in the production runtime.
pub struct SimRandomness;
impl Randomness<Option<H256>, u64> for SimRandomness {
	fn random(subject: &[u8]) -> (Option<H256>, u64) {
		let parent = System::block_number().saturating_sub(1);
		let seed = RANDOM_SEED.with(|s| *s.borrow());
		(Some(H256(sp_io::hashing::blake2_256(&(subject, parent, seed).encode()))), parent)
	}
}

parameter_types! {
	/// The least stake a node must hold to join: 100 units.
	pub const MinNodeStake: Balance = 100 * UNIT;
	/// Stake per GiB of declared VRAM: a node claiming 80 GiB (eligible for the largest
	/// models) puts up 80 units more than one claiming none.
	pub const StakePerVramGib: Balance = UNIT;
	/// Stake per GiB of declared disk: a tenth of a unit (100 GiB: 10 units).
	pub const StakePerDiskGib: Balance = UNIT / 10;
	/// Base model deposit: 10 units.
	pub const ModelDeposit: Balance = 10 * UNIT;
	/// Model deposit per byte and initial replica: about 1 unit per GiB placed.
	pub const ModelDepositPerByte: Balance = UNIT / (1 << 30);
	/// Largest model accepted: 256 GiB.
	pub const MaxModelSize: u64 = 256 << 30;
	/// Download speed a nominated node is assumed to reach: 60 MiB per block.
	pub const MinDownloadBytesPerBlock: u64 = 60 << 20;
	/// Storage deposit per byte of task input.
	pub const TaskInputDepositPerByte: Balance = UNIT / 10_000;
	/// The least fee of a task: 1 unit.
	pub const MinTaskFee: Balance = UNIT;
}

impl pallet_model_registry::Config for Runtime {
	type Currency = Balances;
	type RuntimeHoldReason = RuntimeHoldReason;
	type Randomness = SimRandomness;
	type RandomnessDepth = ConstU32<2>;
	type AuthorityId = SimAuthId;
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
	type MaxExecutorsPerTask = ConstU32<5>;
	type MaxTasksPerHolder = ConstU32<4>;
	type MaxQueuedTasks = ConstU32<256>;
	type MaxDeadlinesPerBlock = ConstU32<64>;
	type MaxAssignmentsPerBlock = ConstU32<8>;
	type MaxNominationDrawsPerBlock = ConstU32<128>;
	type ModelsReviewedPerBlock = ConstU32<4>;
	type MaxCleanupStepsPerBlock = ConstU32<16>;
	type WeightInfo = pallet_model_registry::weights::SubstrateWeight<Runtime>;
}
