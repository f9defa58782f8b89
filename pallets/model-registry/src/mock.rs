//! Test runtime: system, balances and the model registry.

use crate as pallet_model_registry;
use codec::Encode;
use core::cell::RefCell;
use frame_support::{
	derive_impl, parameter_types,
	traits::{ConstU32, Hooks, Randomness},
};
use frame_system::offchain::{
	AppCrypto, CreateSignedTransaction, CreateTransactionBase, SigningTypes,
};
use sp_core::H256;
use sp_runtime::{
	testing::{TestSignature, TestXt, UintAuthorityId},
	BuildStorage,
};

type Block = frame_system::mocking::MockBlock<Test>;
/// Balance type of the test runtime.
pub type Balance = u64;
/// Account id type of the test runtime.
pub type AccountId = u64;

frame_support::construct_runtime!(
	pub enum Test {
		System: frame_system,
		Balances: pallet_balances,
		ModelRegistry: pallet_model_registry,
	}
);

#[derive_impl(frame_system::config_preludes::TestDefaultConfig)]
impl frame_system::Config for Test {
	type Block = Block;
	type AccountData = pallet_balances::AccountData<Balance>;
	type DbWeight = frame_support::weights::constants::RocksDbWeight;
}

#[derive_impl(pallet_balances::config_preludes::TestDefaultConfig)]
impl pallet_balances::Config for Test {
	type AccountStore = System;
}

impl SigningTypes for Test {
	type Public = UintAuthorityId;
	type Signature = TestSignature;
}

/// Extrinsic type of the test runtime.
pub type Extrinsic = TestXt<RuntimeCall, ()>;

impl<LocalCall> CreateTransactionBase<LocalCall> for Test
where
	RuntimeCall: From<LocalCall>,
{
	type Extrinsic = Extrinsic;
	type RuntimeCall = RuntimeCall;
}

impl<LocalCall> CreateSignedTransaction<LocalCall> for Test
where
	RuntimeCall: From<LocalCall>,
{
	fn create_signed_transaction<C: AppCrypto<Self::Public, Self::Signature>>(
		call: RuntimeCall,
		_public: UintAuthorityId,
		account: AccountId,
		nonce: u32,
	) -> Option<Extrinsic> {
		if SIGNING_FAILS.with(|fails| *fails.borrow()) {
			return None;
		}
		SIGNED_NONCES.with(|nonces| nonces.borrow_mut().push((account, nonce)));
		Some(Extrinsic::new_signed(call, account, (), ()))
	}
}

std::thread_local! {
	/// Every (account, nonce) the off-chain worker signed with, in order.
	pub static SIGNED_NONCES: core::cell::RefCell<Vec<(AccountId, u32)>> =
		const { core::cell::RefCell::new(Vec::new()) };
	/// Makes signing fail (as when the keystore loses a key), to test the failure paths.
	pub static SIGNING_FAILS: core::cell::RefCell<bool> = const { core::cell::RefCell::new(false) };
}

/// Signing key binding of the test runtime (the key is the account id).
pub struct TestAuthId;
impl AppCrypto<UintAuthorityId, TestSignature> for TestAuthId {
	type RuntimeAppPublic = UintAuthorityId;
	type GenericPublic = UintAuthorityId;
	type GenericSignature = TestSignature;
}

thread_local! {
	static RANDOM_SEED: RefCell<u64> = const { RefCell::new(0) };
	static RANDOM_LAG: RefCell<Option<u64>> = const { RefCell::new(Some(0)) };
}

/// Change the randomness all later draws see.
pub fn set_random_seed(seed: u64) {
	RANDOM_SEED.with(|s| *s.borrow_mut() = seed);
}

/// How many blocks before the current one the randomness becomes known (`Some(1)` is BABE's
/// `ParentBlockRandomness`); `None`: there is no randomness yet. The default, `Some(0)`, makes
/// the randomness of a block known since that block.
pub fn set_random_lag(lag: Option<u64>) {
	RANDOM_LAG.with(|l| *l.borrow_mut() = lag);
}

/// Deterministic randomness: hash of subject, block number and a test-controlled seed, known
/// since `set_random_lag` blocks before the current one.
pub struct TestRandomness;
impl Randomness<Option<H256>, u64> for TestRandomness {
	fn random(subject: &[u8]) -> (Option<H256>, u64) {
		let block = System::block_number();
		let seed = RANDOM_SEED.with(|s| *s.borrow());
		match RANDOM_LAG.with(|l| *l.borrow()) {
			Some(lag) => (
				Some(H256(sp_io::hashing::blake2_256(&(subject, block, seed).encode()))),
				block.saturating_sub(lag),
			),
			None => (None, block.saturating_sub(1)),
		}
	}
}

parameter_types! {
	pub const MinNodeStake: Balance = 100;
	pub const StakePerVramGib: Balance = 10;
	pub const StakePerDiskGib: Balance = 1;
	pub const ModelDepositAmount: Balance = 50;
	pub const MinTaskFee: Balance = 5;
	/// Model deposit per byte and replica; tests may raise it.
	pub static ModelDepositPerByte: Balance = 0;
	/// Task input deposit per byte; tests may raise it.
	pub static TaskInputDepositPerByte: Balance = 0;
	pub const MaxModelSize: u64 = 1 << 40;
	pub const MinDownloadBytesPerBlock: u64 = 10_000;
	/// Cleanup steps per block; tests may lower it.
	pub static CleanupSteps: u32 = 16;
	pub static Depth: u32 = 1;
}

impl pallet_model_registry::Config for Test {
	type Currency = Balances;
	type RuntimeHoldReason = RuntimeHoldReason;
	type Randomness = TestRandomness;
	type AuthorityId = TestAuthId;
	type MinNodeStake = MinNodeStake;
	type StakePerVramGib = StakePerVramGib;
	type StakePerDiskGib = StakePerDiskGib;
	type ModelDeposit = ModelDepositAmount;
	type ModelDepositPerByte = ModelDepositPerByte;
	type MaxModelSize = MaxModelSize;
	type MinDownloadBytesPerBlock = MinDownloadBytesPerBlock;
	type TaskInputDepositPerByte = TaskInputDepositPerByte;
	type MinTaskFee = MinTaskFee;
	type MaxNodes = ConstU32<64>;
	type MaxModels = ConstU32<16>;
	type MaxHoldersPerModel = ConstU32<40>;
	type MaxModelsPerNode = ConstU32<8>;
	type MaxSources = ConstU32<4>;
	type MaxUrlLen = ConstU32<64>;
	type MaxTaskInputLen = ConstU32<64>;
	type MaxExecutorsPerTask = ConstU32<5>;
	type MaxTasksPerHolder = ConstU32<4>;
	type MaxQueuedTasks = ConstU32<16>;
	type MaxDeadlinesPerBlock = ConstU32<32>;
	type MaxAssignmentsPerBlock = ConstU32<4>;
	type MaxNominationDrawsPerBlock = ConstU32<128>;
	type ModelsReviewedPerBlock = ConstU32<2>;
	type MaxCleanupStepsPerBlock = CleanupSteps;
	type RandomnessDepth = Depth;
	type WeightInfo = ();
	#[cfg(feature = "runtime-benchmarks")]
	type BenchmarkHelper = ();
}

/// Balance every test account starts with.
pub const INITIAL_BALANCE: Balance = 1_000_000;
/// Accounts endowed at genesis.
pub const ACCOUNTS: core::ops::RangeInclusive<AccountId> = 1..=80;

/// Test externalities with endowed accounts and the given parameters, at block 1.
pub fn new_test_ext_with(params: crate::ParamsOf<Test>) -> sp_io::TestExternalities {
	set_random_seed(0);
	set_random_lag(Some(0));
	CleanupSteps::set(16);
	Depth::set(1);
	ModelDepositPerByte::set(0);
	TaskInputDepositPerByte::set(0);
	let mut storage = frame_system::GenesisConfig::<Test>::default().build_storage().unwrap();
	pallet_balances::GenesisConfig::<Test> {
		balances: ACCOUNTS.map(|a| (a, INITIAL_BALANCE)).collect(),
		..Default::default()
	}
	.assimilate_storage(&mut storage)
	.unwrap();
	pallet_model_registry::GenesisConfig::<Test> { params }
		.assimilate_storage(&mut storage)
		.unwrap();
	let mut ext = sp_io::TestExternalities::new(storage);
	ext.execute_with(|| System::set_block_number(1));
	ext
}

/// Use the runtime's randomness rule from now on: BABE's parent-block randomness (known since
/// the block before) mixed over the last two blocks (`RandomnessDepth` 2).
pub fn production_randomness() {
	set_random_lag(Some(1));
	Depth::set(2);
}

/// Test externalities with default parameters.
pub fn new_test_ext() -> sp_io::TestExternalities {
	new_test_ext_with(Default::default())
}

/// Run blocks up to and including `n`, checking every invariant after each block.
pub fn run_to_block(n: u64) {
	while System::block_number() < n {
		let next = System::block_number() + 1;
		System::set_block_number(next);
		ModelRegistry::on_initialize(next);
		ModelRegistry::do_try_state().expect("invariants hold");
	}
}

/// Run `n` more blocks.
pub fn run_blocks(n: u64) {
	run_to_block(System::block_number() + n);
}

/// The pallet's events since the last call (clears the event log).
pub fn take_events() -> Vec<crate::Event<Test>> {
	let events = System::events()
		.into_iter()
		.filter_map(|r| match r.event {
			RuntimeEvent::ModelRegistry(e) => Some(e),
			_ => None,
		})
		.collect();
	System::reset_events();
	events
}
