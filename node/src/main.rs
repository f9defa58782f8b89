//! modelnet node: produces and finalizes blocks, serves RPC, and keeps the AI models its
//! accounts are asked to hold.

// `sc_cli::Error` is the error type the CLI API imposes; boxing it at every call gains nothing.
#![allow(clippy::result_large_err)]

#[cfg(feature = "runtime-benchmarks")]
mod benchmarking;
mod chain_spec;
mod cli;
mod command;
mod dev_keys;
mod model_worker;
mod rpc;
mod service;

fn main() -> sc_cli::Result<()> {
	command::run()
}
