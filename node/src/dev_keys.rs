//! Development keys for the model registry's off-chain worker.
//!
//! `--dev` inserts the session keys (BABE, Grandpa) of Alice, but not keys of other types. So
//! that the model worker of a development node can sign from the start, the node inserts
//! `//Alice` for the model registry's key type itself. More accounts can be added at run time
//! with the `author_insertKey` RPC (key type `mdln`), turning one development node into several
//! storage nodes.

use pallet_model_registry::crypto::KEY_TYPE as MODEL_REGISTRY_KEY_TYPE;
use sp_keystore::KeystorePtr;

/// Whether a chain gets the well-known `//Alice` model key: only the built-in development chain
/// (`--dev`). A chain spec of someone's own that calls itself Development must not sign with a
/// key everyone knows.
pub fn wants_dev_model_key(chain_type: sc_service::ChainType, id: &str) -> bool {
	chain_type == sc_service::ChainType::Development && id == crate::chain_spec::DEV_CHAIN_ID
}

/// Inserts `//Alice` for the model registry key type unless a key of that type already exists.
pub fn insert_dev_model_keys(keystore: &KeystorePtr) -> Result<(), sc_service::Error> {
	if !keystore.sr25519_public_keys(MODEL_REGISTRY_KEY_TYPE).is_empty() {
		return Ok(());
	}
	keystore
		.sr25519_generate_new(MODEL_REGISTRY_KEY_TYPE, Some("//Alice"))
		.map_err(|e| sc_service::Error::Other(format!("cannot insert the dev model key: {e}")))?;
	log::info!(target: "model-worker", "🔑 Inserted //Alice as the development model-registry key");
	Ok(())
}

#[cfg(test)]
mod tests {
	use super::*;
	use sc_service::ChainType;

	#[test]
	fn only_the_built_in_dev_chain_gets_alice() {
		assert!(wants_dev_model_key(ChainType::Development, crate::chain_spec::DEV_CHAIN_ID));
		assert!(!wants_dev_model_key(ChainType::Development, "someones_testnet"));
		assert!(!wants_dev_model_key(ChainType::Local, crate::chain_spec::DEV_CHAIN_ID));
		assert!(!wants_dev_model_key(ChainType::Live, "modelnet"));
	}
}
