//! How the off-chain worker of this runtime builds transactions: the model registry's worker
//! signs calls with a node's local key and submits them as ordinary signed transactions, paying
//! the usual fee and carrying the same extensions as any user's transaction.

use super::BlockHashCount;
use crate::{
	Runtime, RuntimeCall, Signature, SignedPayload, System, TxExtension, UncheckedExtrinsic,
};
use codec::Encode;
use frame_system::offchain::{
	AppCrypto, CreateBare, CreateSignedTransaction, CreateTransaction, CreateTransactionBase,
	SigningTypes,
};
use sp_runtime::{
	generic::Era,
	traits::{SaturatedConversion, StaticLookup},
	MultiSigner,
};

impl SigningTypes for Runtime {
	type Public = MultiSigner;
	type Signature = Signature;
}

impl<LocalCall> CreateTransactionBase<LocalCall> for Runtime
where
	RuntimeCall: From<LocalCall>,
{
	type Extrinsic = UncheckedExtrinsic;
	type RuntimeCall = RuntimeCall;
}

impl<LocalCall> CreateTransaction<LocalCall> for Runtime
where
	RuntimeCall: From<LocalCall>,
{
	type Extension = TxExtension;

	fn create_transaction(call: RuntimeCall, extension: TxExtension) -> UncheckedExtrinsic {
		UncheckedExtrinsic::new_transaction(call, extension)
	}
}

impl<LocalCall> CreateBare<LocalCall> for Runtime
where
	RuntimeCall: From<LocalCall>,
{
	fn create_bare(call: RuntimeCall) -> UncheckedExtrinsic {
		UncheckedExtrinsic::new_bare(call)
	}
}

/// Signed transactions from the off-chain worker are mortal: valid for this many blocks.
const OFFCHAIN_TX_MORTALITY: u64 = 64;

impl<LocalCall> CreateSignedTransaction<LocalCall> for Runtime
where
	RuntimeCall: From<LocalCall>,
{
	fn create_signed_transaction<C: AppCrypto<Self::Public, Self::Signature>>(
		call: RuntimeCall,
		public: MultiSigner,
		account: crate::AccountId,
		nonce: crate::Nonce,
	) -> Option<UncheckedExtrinsic> {
		let period =
			BlockHashCount::get().checked_next_power_of_two().map(|p| p / 2).unwrap_or(2) as u64;
		let period = period.min(OFFCHAIN_TX_MORTALITY);
		// The transaction is built during block `current`'s off-chain run: anchor its era on
		// the block before, which the transaction pool knows.
		let current = System::block_number().saturated_into::<u64>().saturating_sub(1);
		let extension: TxExtension = (
			frame_system::AuthorizeCall::<Runtime>::new(),
			frame_system::CheckNonZeroSender::<Runtime>::new(),
			frame_system::CheckSpecVersion::<Runtime>::new(),
			frame_system::CheckTxVersion::<Runtime>::new(),
			frame_system::CheckGenesis::<Runtime>::new(),
			frame_system::CheckEra::<Runtime>::from(Era::mortal(period, current)),
			frame_system::CheckNonce::<Runtime>::from(nonce),
			frame_system::CheckWeight::<Runtime>::new(),
			pallet_transaction_payment::ChargeTransactionPayment::<Runtime>::from(0),
			frame_metadata_hash_extension::CheckMetadataHash::<Runtime>::new(false),
			pallet_model_registry::PrioritizeExecutors::<Runtime>::new(),
			frame_system::WeightReclaim::<Runtime>::new(),
		);
		let payload = SignedPayload::new(call, extension)
			.map_err(|e| log::warn!(target: "model-registry", "cannot build payload: {e:?}"))
			.ok()?;
		let signature = payload.using_encoded(|bytes| C::sign(bytes, public))?;
		let address = <Runtime as frame_system::Config>::Lookup::unlookup(account);
		let (call, extension, _) = payload.deconstruct();
		Some(UncheckedExtrinsic::new_signed(call, address, signature, extension))
	}
}
