//! Tests of the runtime's assembly: genesis presets, pallet wiring and metadata documentation.

use crate::{
	genesis_config_presets, Balances, ModelRegistry, Runtime, RuntimeGenesisConfig, System,
};
use frame_support::traits::fungible::Inspect;
use sp_keyring::Sr25519Keyring;
use sp_runtime::BuildStorage;

/// Builds the full genesis of a preset, the way the node does: the preset's JSON patch applied
/// onto the default configuration.
fn genesis_of(preset: &str) -> sp_io::TestExternalities {
	let patch = genesis_config_presets::get_preset(&preset.into()).expect("preset exists");
	let mut config = serde_json::to_value(RuntimeGenesisConfig::default()).expect("serializes");
	let patch: serde_json::Value = serde_json::from_slice(&patch).expect("preset is JSON");
	merge(&mut config, patch);
	let config: RuntimeGenesisConfig = serde_json::from_value(config).expect("preset is valid");
	sp_io::TestExternalities::new(config.build_storage().expect("genesis builds"))
}

fn merge(base: &mut serde_json::Value, patch: serde_json::Value) {
	match (base, patch) {
		(serde_json::Value::Object(base), serde_json::Value::Object(patch)) => {
			for (key, value) in patch {
				merge(base.entry(key).or_insert(serde_json::Value::Null), value);
			}
		}
		(base, patch) => *base = patch,
	}
}

#[test]
fn presets_are_listed() {
	let names = genesis_config_presets::preset_names();
	assert_eq!(names.len(), 2);
	assert!(genesis_config_presets::get_preset(&"no-such-preset".into()).is_none());
}

#[test]
fn development_genesis_has_alice_as_root_and_authority_and_funds_dev_accounts() {
	genesis_of(sp_genesis_builder::DEV_RUNTIME_PRESET).execute_with(|| {
		assert_eq!(pallet_sudo::Key::<Runtime>::get(), Some(Sr25519Keyring::Alice.to_account_id()));
		assert_eq!(pallet_babe::Authorities::<Runtime>::get().len(), 1);
		assert_eq!(
			pallet_babe::EpochConfig::<Runtime>::get(),
			Some(crate::BABE_GENESIS_EPOCH_CONFIG)
		);
		assert_eq!(pallet_grandpa::Pallet::<Runtime>::grandpa_authorities().len(), 1);
		for who in [Sr25519Keyring::Alice, Sr25519Keyring::Dave, Sr25519Keyring::Ferdie] {
			assert_eq!(Balances::balance(&who.to_account_id()), genesis_config_presets::ENDOWMENT);
		}
		// The model registry starts with the default replication parameters.
		let params = pallet_model_registry::Params::<Runtime>::get();
		assert_eq!(params.initial_replicas, 10);
		assert_eq!(params.low_watermark, 3);
		assert_eq!(params.executors_per_task, 3);
		assert_eq!(System::block_number(), 0);
		assert!(ModelRegistry::node_info(Sr25519Keyring::Alice.to_account_id()).is_none());
	});
}

#[test]
fn local_testnet_genesis_has_three_authorities() {
	genesis_of(sp_genesis_builder::LOCAL_TESTNET_RUNTIME_PRESET).execute_with(|| {
		assert_eq!(pallet_babe::Authorities::<Runtime>::get().len(), 3);
		// Secondary VRF slots: every slot has an author and a VRF output.
		assert_eq!(
			pallet_babe::EpochConfig::<Runtime>::get().map(|c| c.allowed_slots),
			Some(sp_consensus_babe::AllowedSlots::PrimaryAndSecondaryVRFSlots)
		);
		assert_eq!(pallet_grandpa::Pallet::<Runtime>::grandpa_authorities().len(), 3);
	});
}

#[test]
fn the_registry_sees_no_randomness_before_the_first_vrf_output() {
	use frame_support::traits::Randomness;
	genesis_of(sp_genesis_builder::DEV_RUNTIME_PRESET).execute_with(|| {
		type R = <Runtime as pallet_model_registry::Config>::Randomness;
		System::set_block_number(1);
		assert_eq!(R::random(b"subject"), (None, 0));
		// The VRF output recorded at the end of block 1 serves block 2, known since block 1.
		pallet_babe::AuthorVrfRandomness::<Runtime>::put(Some([1u8; 32]));
		System::set_block_number(2);
		let (random, known_since) = R::random(b"subject");
		assert!(random.is_some());
		assert_eq!(known_since, 1);
	});
}

#[test]
fn metadata_documents_the_model_registry() {
	let metadata = Runtime::metadata_at_version(15).expect("metadata v15 exists");
	let bytes = metadata.to_vec();
	let text = String::from_utf8_lossy(&bytes);
	assert!(text.contains("ModelRegistry"));
	// Doc comments of a call and an event reach polkadot.js through the metadata.
	assert!(text.contains("confirm_stored"));
	assert!(text.contains("DownloadNominated"));
	assert!(bytes.windows(8).any(|w| w == b"SHA-256 "), "doc comments are in the metadata");
}
