//! Off-chain signing keys of model registry nodes.
//!
//! Nodes keep an sr25519 key of type [`KEY_TYPE`] (`mdln`) in their keystore; the off-chain
//! worker signs `confirm_stored`, `decline_nomination`, `commit_result`, ... with it. The key's
//! account is the node account.

use sp_core::sr25519::{Public as Sr25519Public, Signature as Sr25519Signature};
use sp_runtime::{
	app_crypto::{app_crypto, sr25519},
	traits::Verify,
	KeyTypeId, MultiSignature, MultiSigner,
};

/// Key type of model registry node keys.
pub const KEY_TYPE: KeyTypeId = KeyTypeId(*b"mdln");

app_crypto!(sr25519, KEY_TYPE);

/// Binds the `mdln` application key to the runtime's signature types.
pub struct AuthorityId;

impl frame_system::offchain::AppCrypto<MultiSigner, MultiSignature> for AuthorityId {
	type RuntimeAppPublic = Public;
	type GenericPublic = Sr25519Public;
	type GenericSignature = Sr25519Signature;
}

/// Variant for runtimes (and tests) whose signature type is plain sr25519.
impl frame_system::offchain::AppCrypto<<Sr25519Signature as Verify>::Signer, Sr25519Signature>
	for AuthorityId
{
	type RuntimeAppPublic = Public;
	type GenericPublic = Sr25519Public;
	type GenericSignature = Sr25519Signature;
}
