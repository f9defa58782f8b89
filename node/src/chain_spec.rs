//! Chain specifications built from the runtime's genesis presets.

use modelnet_runtime::WASM_BINARY;
use sc_service::ChainType;

/// The chain specification of modelnet (no client extensions).
pub type ChainSpec = sc_service::GenericChainSpec;

fn wasm_binary() -> Result<&'static [u8], String> {
	WASM_BINARY
		.ok_or_else(|| "The Wasm runtime was not built; rebuild with the `std` feature".into())
}

/// Id of the built-in development chain (`--dev`).
pub const DEV_CHAIN_ID: &str = "modelnet_dev";

/// `--dev`: a single-authority chain; Alice authors, finalizes and is root.
pub fn development_chain_spec() -> Result<ChainSpec, String> {
	Ok(ChainSpec::builder(wasm_binary()?, None)
		.with_name("modelnet development")
		.with_id(DEV_CHAIN_ID)
		.with_chain_type(ChainType::Development)
		.with_genesis_config_preset_name(sp_genesis_builder::DEV_RUNTIME_PRESET)
		.with_properties(token_properties())
		.build())
}

/// `--chain local`: Alice, Bob and Charlie author and finalize; run each with `--alice`, ...
pub fn local_chain_spec() -> Result<ChainSpec, String> {
	Ok(ChainSpec::builder(wasm_binary()?, None)
		.with_name("modelnet local testnet")
		.with_id("modelnet_local")
		.with_chain_type(ChainType::Local)
		.with_genesis_config_preset_name(sp_genesis_builder::LOCAL_TESTNET_RUNTIME_PRESET)
		.with_properties(token_properties())
		.build())
}

/// Token symbol and decimals, shown by wallets such as polkadot.js apps.
fn token_properties() -> sc_service::Properties {
	let mut properties = sc_service::Properties::new();
	properties.insert("tokenSymbol".into(), "MDL".into());
	properties.insert("tokenDecimals".into(), 12.into());
	properties.insert("ss58Format".into(), 42.into());
	properties
}
