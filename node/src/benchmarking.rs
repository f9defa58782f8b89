//! `modelnet-node benchmark ...`: runs the benchmarking subcommands of
//! `frame-benchmarking-cli` against this node's runtime (only with the `runtime-benchmarks`
//! feature).
//!
//! - `pallet`: the runtime's pallet benchmarks, with the genesis state built either from a chain
//!   spec (`--chain dev`) or from a runtime blob and its genesis presets (`--runtime <wasm>
//!   --genesis-builder=runtime`). This is what `benchmarking/run-benchmarks.sh` runs.
//! - `machine`: the machine's hardware against Substrate's reference hardware.
//! - `storage`: database read and write costs, on the node's database (`--chain`, `--base-path`).
//! - `block`: re-executes the blocks of the node's database.
//! - `overhead`: block and extrinsic base weights, with `frame-system` remarks.
//! - `extrinsic`: the execution cost of `system::remark`.

use crate::{cli::Cli, service};
use frame_benchmarking_cli::{
	BenchmarkCmd, ExtrinsicFactory, SubstrateRemarkBuilder, SUBSTRATE_REFERENCE_HARDWARE,
};
use modelnet_runtime::opaque::Block;
use sc_cli::SubstrateCli;
use sc_service::PartialComponents;
use sp_inherents::{InherentData, InherentDataProvider};
use sp_runtime::traits::HashingFor;

/// Runs one `benchmark` subcommand.
pub fn run(cli: &Cli, cmd: &BenchmarkCmd) -> sc_cli::Result<()> {
	match cmd {
		BenchmarkCmd::Pallet(cmd) => {
			// Without `--runtime`, the chain spec provides both the code and the genesis.
			let chain_spec = match &cmd.shared_params.chain {
				Some(chain) => Some(cli.load_spec(chain)?),
				None if cmd.runtime.is_none() => Some(cli.load_spec("dev")?),
				None => None,
			};
			// The benchmark executor provides the standard Substrate host functions; the runtime
			// needs no extra ones.
			cmd.run_with_spec::<HashingFor<Block>, ()>(chain_spec)
		}
		BenchmarkCmd::Overhead(cmd) => {
			let chain_spec = match &cmd.shared_params.chain {
				Some(chain) => Some(cli.load_spec(chain)?),
				None if cmd.params.runtime.is_none() => Some(cli.load_spec("dev")?),
				None => None,
			};
			cmd.run_with_default_builder_and_spec::<Block, ()>(chain_spec)
		}
		BenchmarkCmd::Machine(cmd) => {
			let runner = cli.create_runner(cmd)?;
			runner.sync_run(|config| cmd.run(&config, SUBSTRATE_REFERENCE_HARDWARE.clone()))
		}
		BenchmarkCmd::Storage(cmd) => {
			let runner = cli.create_runner(cmd)?;
			runner.sync_run(|config| {
				let PartialComponents { client, backend, .. } = service::new_partial(&config)?;
				let db = backend.expose_db();
				let storage = backend.expose_storage();
				let shared_trie_cache = backend.expose_shared_trie_cache();
				cmd.run(config, client, db, storage, shared_trie_cache)
			})
		}
		BenchmarkCmd::Block(cmd) => {
			let runner = cli.create_runner(cmd)?;
			runner.sync_run(|config| {
				let PartialComponents { client, .. } = service::new_partial(&config)?;
				cmd.run(client)
			})
		}
		BenchmarkCmd::Extrinsic(cmd) => {
			let runner = cli.create_runner(cmd)?;
			runner.sync_run(|config| {
				let PartialComponents { client, .. } = service::new_partial(&config)?;
				let remark = SubstrateRemarkBuilder::new_from_client(client.clone())?;
				let factory = ExtrinsicFactory(vec![Box::new(remark)]);
				cmd.run(client, inherent_benchmark_data()?, Vec::new(), &factory)
			})
		}
	}
}

/// Inherent data of a benchmark block: a timestamp of zero, matching BABE's slot zero (the
/// benchmark blocks carry no BABE pre-digest).
fn inherent_benchmark_data() -> sc_cli::Result<InherentData> {
	let mut inherent_data = InherentData::new();
	let timestamp = sp_timestamp::InherentDataProvider::new(0.into());
	futures::executor::block_on(timestamp.provide_inherent_data(&mut inherent_data))
		.map_err(|e| format!("creating inherent data: {e:?}"))?;
	Ok(inherent_data)
}
