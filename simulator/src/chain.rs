//! Driving the runtime block by block as a node would: `on_initialize` / `on_finalize` of every
//! pallet, signed calls dispatched with their weights, the pallet's invariants after each block.

use crate::{
	runtime::{
		AccountId, AllPalletsWithSystem, Balance, ModelRegistry, Runtime, RuntimeCall,
		RuntimeEvent, RuntimeOrigin, System,
	},
	variants::Params,
};
use frame_support::{
	dispatch::{DispatchClass, GetDispatchInfo},
	traits::{OnFinalize, OnInitialize},
	weights::Weight,
};
use pallet_model_registry::{Call, Event, Models};
use sp_core::H256;
use sp_runtime::{traits::Dispatchable, BuildStorage, DispatchError};

/// Registry events of the runtime.
pub type RegistryEvent = Event<Runtime>;

/// The chain's state: every key in one ordered map (no trie), so that reads and `next_key`
/// cost a map lookup.
pub type State = sp_state_machine::BasicExternalities;

/// Genesis state: endowed accounts and the registry parameters.
pub fn genesis(accounts: impl Iterator<Item = (AccountId, Balance)>, params: Params) -> State {
	let mut storage = frame_system::GenesisConfig::<Runtime>::default()
		.build_storage()
		.expect("system genesis builds");
	pallet_balances::GenesisConfig::<Runtime> {
		balances: accounts.collect(),
		..Default::default()
	}
	.assimilate_storage(&mut storage)
	.expect("balances genesis builds");
	pallet_model_registry::GenesisConfig::<Runtime> { params }
		.assimilate_storage(&mut storage)
		.expect("registry genesis builds");
	State::new(storage)
}

/// Drop the records of deleted keys, which every iteration over their prefix would otherwise
/// step over again (tasks, deadlines and nominations are deleted all the time).
pub fn compact(state: State) -> State {
	State::new(state.into_storages())
}

/// Start block `n`: clear the events and run every pallet's `on_initialize`. Returns the hook
/// weight, which is also registered as the block's mandatory weight.
pub fn begin_block(n: u64) -> Weight {
	System::initialize(&n, &H256::repeat_byte(n as u8), &Default::default());
	System::reset_events();
	let weight = <AllPalletsWithSystem as OnInitialize<u64>>::on_initialize(n);
	System::register_extra_weight_unchecked(weight, DispatchClass::Mandatory);
	weight
}

/// End block `n`: every pallet's `on_finalize`.
pub fn end_block(n: u64) {
	<AllPalletsWithSystem as OnFinalize<u64>>::on_finalize(n);
}

/// The registry's invariants (`try_state`).
pub fn check_invariants() -> Result<(), DispatchError> {
	ModelRegistry::do_try_state()
}

/// Outcome of one dispatched call.
pub struct Dispatched {
	/// `Ok` or the error the call failed with.
	pub result: Result<(), DispatchError>,
	/// The call's actual weight.
	pub weight: Weight,
}

/// Dispatch a registry call signed by `who`, as a block author would include it.
pub fn dispatch(who: Option<AccountId>, call: Call<Runtime>) -> Dispatched {
	let call = RuntimeCall::ModelRegistry(call);
	let info = call.get_dispatch_info();
	let origin = match who {
		Some(who) => RuntimeOrigin::signed(who),
		None => RuntimeOrigin::root(),
	};
	let (result, post) = match call.dispatch(origin) {
		Ok(post) => (Ok(()), post),
		Err(e) => (Err(e.error), e.post_info),
	};
	System::register_extra_weight_unchecked(post.calc_actual_weight(&info), DispatchClass::Normal);
	Dispatched { result, weight: post.calc_actual_weight(&info) }
}

/// The registry events of the current block, in order.
pub fn events() -> Vec<RegistryEvent> {
	System::read_events_no_consensus()
		.filter_map(|record| match record.event {
			RuntimeEvent::ModelRegistry(event) => Some(event),
			_ => None,
		})
		.collect()
}

/// Holders of a model (0 if it is not registered).
pub fn holders(model: &H256) -> u32 {
	Models::<Runtime>::get(model).map(|m| m.holders).unwrap_or(0)
}

/// Replication target of a model (0 if it is not registered).
pub fn target(model: &H256) -> u32 {
	Models::<Runtime>::get(model).map(|m| m.target).unwrap_or(0)
}

/// Short name of a dispatch error (the pallet error's name where there is one).
pub fn error_name(e: &DispatchError) -> String {
	match e {
		DispatchError::Module(m) => m.message.unwrap_or("Module").to_string(),
		other => format!("{other:?}"),
	}
}
