//! Command-line interface of the node.

use std::path::PathBuf;

/// Where and how the node keeps model files.
#[derive(Debug, Clone, clap::Args)]
pub struct ModelStoreParams {
	/// Directory of the content-addressed model store. Default:
	/// `<base-path>/chains/<chain id>/model-store`.
	#[arg(long, value_name = "DIR")]
	pub model_store: Option<PathBuf>,

	/// Disk budget of the model store in bytes: a download that would exceed it is declined.
	#[arg(long, value_name = "BYTES", default_value_t = 100 * 1024 * 1024 * 1024)]
	pub model_store_max_bytes: u64,

	/// How many models may download at the same time. (Substrate's own
	/// `--max-parallel-downloads` is about block sync, hence the longer name.)
	#[arg(long, value_name = "N", default_value_t = 2)]
	pub max_parallel_model_downloads: usize,

	/// Do not run the model worker (no downloads, no task execution) on this node.
	#[arg(long)]
	pub no_model_worker: bool,

	/// Let model sources (and their redirects) point at loopback, private, link-local and
	/// cloud-metadata addresses. Off by default, so that a model owner cannot make every
	/// nominated node probe its own machine or LAN; always on for the development chain
	/// (`--dev`), whose models are served from localhost.
	#[arg(long)]
	pub allow_private_model_sources: bool,
}

/// The node's command line.
#[derive(Debug, clap::Parser)]
pub struct Cli {
	#[command(subcommand)]
	pub subcommand: Option<Subcommand>,

	#[clap(flatten)]
	pub run: sc_cli::RunCmd,

	#[clap(flatten)]
	pub model_store: ModelStoreParams,
}

/// The node's subcommands.
#[derive(Debug, clap::Subcommand)]
#[allow(clippy::large_enum_variant)]
pub enum Subcommand {
	/// Key management utilities.
	#[command(subcommand)]
	Key(sc_cli::KeySubcommand),

	/// Build a chain specification.
	/// DEPRECATED: `export-chain-spec` replaces it.
	BuildSpec(sc_cli::BuildSpecCmd),

	/// Export the chain specification.
	ExportChainSpec(sc_cli::ExportChainSpecCmd),

	/// Validate blocks.
	CheckBlock(sc_cli::CheckBlockCmd),

	/// Export blocks.
	ExportBlocks(sc_cli::ExportBlocksCmd),

	/// Export the state of a given block into a chain spec.
	ExportState(sc_cli::ExportStateCmd),

	/// Import blocks.
	ImportBlocks(sc_cli::ImportBlocksCmd),

	/// Remove the whole chain.
	PurgeChain(sc_cli::PurgeChainCmd),

	/// Revert the chain to a previous state.
	Revert(sc_cli::RevertCmd),

	/// Sub-commands concerned with benchmarking (only with the `runtime-benchmarks` feature).
	#[cfg(feature = "runtime-benchmarks")]
	#[command(subcommand)]
	Benchmark(frame_benchmarking_cli::BenchmarkCmd),

	/// Db meta columns information.
	ChainInfo(sc_cli::ChainInfoCmd),
}
