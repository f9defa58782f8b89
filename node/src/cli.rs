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
	/// (`--dev`), whose models are served from localhost. Peers are not sources: see
	/// `--allow-private-model-peers`.
	#[arg(long)]
	pub allow_private_model_sources: bool,

	/// Let peers (other nodes, at the endpoints they declared on chain, and their redirects)
	/// be on loopback, private, link-local and cloud-metadata addresses. Off by default, so
	/// that a node cannot declare an endpoint that makes the others probe their own machine
	/// or LAN; always on for the development and local chains (`--dev`, `--chain local`),
	/// whose nodes run on one machine.
	#[arg(long)]
	pub allow_private_model_peers: bool,

	/// Serve pieces of the models this node holds (or is nominated for) to other nodes at
	/// this base URL, and declare it on chain (the node's own accounts send `set_endpoint`).
	/// Other nodes then fetch from this one instead of the model owner's servers. The URL
	/// must reach this node from the other nodes, e.g. `http://203.0.113.7:30400`. Without
	/// it the node does not serve (and withdraws an endpoint it declared before). Only a bare
	/// `http://HOST[:PORT]` or `https://HOST[:PORT]` is accepted (no path, query or user), as
	/// the chain takes no other endpoint.
	#[arg(long, value_name = "URL", value_parser = parse_public_url)]
	pub model_public_url: Option<String>,

	/// Address the piece server listens on. Default: all interfaces, at the port of
	/// `--model-public-url`.
	#[arg(long, value_name = "IP:PORT", requires = "model_public_url")]
	pub model_serve_addr: Option<std::net::SocketAddr>,

	/// Upload bandwidth cap of the piece server in bytes per second (all peers together).
	/// Default: no cap.
	#[arg(long, value_name = "BYTES_PER_SEC", value_parser = clap::value_parser!(u64).range(1..))]
	pub model_upload_limit: Option<u64>,

	/// Piece transfers one peer (IP address) may have in flight at once; more are answered
	/// `503` with `Retry-After`.
	#[arg(long, value_name = "N", default_value_t = 4, value_parser = clap::value_parser!(u32).range(1..=64))]
	pub model_serve_peer_concurrency: u32,

	/// Connections the piece server keeps open at once in all; further ones wait to be
	/// accepted.
	#[arg(long, value_name = "N", default_value_t = 256, value_parser = clap::value_parser!(u32).range(1..=65_536))]
	pub model_serve_max_connections: u32,

	/// Connections one peer (an IPv4 address, an IPv6 /64) may keep open on the piece server;
	/// a further one is closed as soon as it is accepted.
	#[arg(long, value_name = "N", default_value_t = 8, value_parser = clap::value_parser!(u32).range(1..=1024))]
	pub model_serve_ip_connections: u32,

	/// Requests per second one peer may send the piece server on average (bursts of twice
	/// as many); more are answered `429` with `Retry-After`. Default: 20.
	#[arg(long, value_name = "N", value_parser = clap::value_parser!(u32).range(1..=100_000))]
	pub model_serve_request_rate: Option<u32>,

	/// A reverse proxy in front of the piece server (repeatable): on its connections the
	/// client is taken from `X-Forwarded-For`, and the per-peer bounds apply to that client.
	#[arg(long, value_name = "IP")]
	pub model_serve_trusted_proxy: Vec<std::net::IpAddr>,

	/// Testing only: serve corrupted bytes (a lying node), to exercise the downloaders' piece
	/// checks.
	#[arg(long, hide = true)]
	pub model_serve_corrupt: bool,

	/// An external executor: models registered with kind `external:NAME` run `PROGRAM` (with
	/// the given arguments, split at whitespace, then the model file's path; the task input on
	/// stdin; the result on stdout). Repeat for several engines. Without a program of a
	/// model's engine name the node declines its nominations (`UnsupportedExecutor`).
	#[arg(long, value_name = "NAME=PROGRAM[ ARGS...]", value_parser = parse_executor)]
	pub model_executor: Vec<ExternalEngine>,

	/// Time limit of one task of an external executor, in seconds; a program still running
	/// then is killed and the task reports no result.
	#[arg(long, value_name = "SECS", default_value_t = 600, value_parser = clap::value_parser!(u64).range(1..))]
	pub model_executor_timeout: u64,

	/// Most bytes an external executor may print for one task; a program printing more is
	/// killed and the task reports no result.
	#[arg(long, value_name = "BYTES", default_value_t = 1 << 20, value_parser = clap::value_parser!(u64).range(1..=(1 << 30)))]
	pub model_executor_max_output: u64,

	/// Most parameters (weights and biases, 4 bytes each, read into memory) of a model the
	/// built-in safetensors MLP engine runs; a larger model fails its tasks.
	#[arg(long, value_name = "N", default_value_t = 1 << 28, value_parser = clap::value_parser!(u64).range(1..))]
	pub model_mlp_max_params: u64,

	/// Most memory in bytes one task of the built-in safetensors MLP engine may take at its
	/// peak (the file, the parsed header and the activations); a model whose bound exceeds it
	/// fails its tasks before it is read. Raise it with `--model-mlp-max-params`.
	#[arg(long, value_name = "BYTES", default_value_t = modelnet_offchain_worker::executor::mlp::MLP_DEFAULT_MAX_MEMORY, value_parser = clap::value_parser!(u64).range(1..))]
	pub model_mlp_max_memory: u64,

	/// Keep the model with this SHA-256 (64 hex digits) in the store whatever the chain says:
	/// eviction never deletes its file (e.g. a copy placed by hand before `announce_stored`).
	/// Repeatable. A pinned file counts against the disk budget and is not served.
	#[arg(long, value_name = "SHA256", value_parser = parse_model_id)]
	pub model_pin: Vec<[u8; 32]>,
}

/// Parse a model id: 64 hex digits, with or without `0x`.
fn parse_model_id(value: &str) -> Result<[u8; 32], String> {
	let digits = value.strip_prefix("0x").unwrap_or(value);
	let expected = || format!("expected the model's SHA-256 as 64 hex digits, got {value:?}");
	if digits.len() != 64 || !digits.bytes().all(|b| b.is_ascii_hexdigit()) {
		return Err(expected());
	}
	let mut id = [0u8; 32];
	for (byte, pair) in id.iter_mut().zip(digits.as_bytes().chunks(2)) {
		let pair = std::str::from_utf8(pair).map_err(|_| expected())?;
		*byte = u8::from_str_radix(pair, 16).map_err(|_| expected())?;
	}
	Ok(id)
}

/// An external executor from `--model-executor`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExternalEngine {
	/// The engine name models are registered with (`external:NAME`).
	pub name: String,
	/// The program.
	pub program: PathBuf,
	/// Fixed arguments, before the model path.
	pub args: Vec<String>,
}

/// Parse `NAME=PROGRAM[ ARGS...]`: a valid engine name (`[a-z0-9-]`, at most 32 bytes, not
/// starting with `-`) and a program.
fn parse_executor(value: &str) -> Result<ExternalEngine, String> {
	let (name, command) =
		value.split_once('=').ok_or("expected NAME=PROGRAM[ ARGS...]".to_string())?;
	if !pallet_model_registry::is_valid_engine_name(name.as_bytes()) {
		return Err(format!(
			"invalid engine name {name:?}: 1 to {} bytes of [a-z0-9-], not starting with '-'",
			pallet_model_registry::MAX_ENGINE_NAME_LEN
		));
	}
	let mut words = command.split_whitespace();
	let program = words.next().ok_or(format!("no program given for {name}"))?;
	Ok(ExternalEngine {
		name: name.to_string(),
		program: program.into(),
		args: words.map(str::to_string).collect(),
	})
}

/// Check `--model-public-url`: an endpoint the chain takes (`set_endpoint`: a bare
/// `http(s)://HOST[:PORT]`, see `pallet_model_registry::endpoint`), without its final `/`.
fn parse_public_url(value: &str) -> Result<String, String> {
	pallet_model_registry::endpoint::check_endpoint(value.as_bytes())
		.map_err(|e| e.as_str().to_string())?;
	let url = url::Url::parse(value).map_err(|e| format!("not a URL: {e}"))?;
	if !matches!(url.scheme(), "http" | "https") {
		return Err("the scheme must be http or https".into());
	}
	if url.host_str().is_none_or(str::is_empty) {
		return Err("the URL needs a host".into());
	}
	if url.port_or_known_default().is_none() {
		return Err("the URL needs a port".into());
	}
	Ok(value.trim_end_matches('/').to_string())
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

#[cfg(test)]
mod tests {
	use super::*;

	#[test]
	fn executor_flags_name_an_engine_and_a_program() {
		assert_eq!(
			parse_executor("llama-3=/opt/llama/run --greedy  --seed 1"),
			Ok(ExternalEngine {
				name: "llama-3".into(),
				program: "/opt/llama/run".into(),
				args: vec!["--greedy".into(), "--seed".into(), "1".into()],
			})
		);
		assert_eq!(parse_executor("x=prog").map(|e| e.args.len()), Ok(0));
		for bad in ["llama", "=prog", "Llama=prog", "-x=prog", "llama=", "llama=  ", "a_b=prog"] {
			assert!(parse_executor(bad).is_err(), "{bad}");
		}
	}

	#[test]
	fn a_pinned_model_is_64_hex_digits() {
		let id = parse_model_id(&format!("0x{}", "ab".repeat(32))).unwrap();
		assert_eq!(id, [0xab; 32]);
		assert_eq!(parse_model_id(&"0F".repeat(32)).unwrap(), [0x0f; 32]);
		for bad in ["", "0x", "ab", &"ab".repeat(33), &format!("+f{}", "00".repeat(31))] {
			assert!(parse_model_id(bad).is_err(), "{bad}");
		}
	}

	#[test]
	fn the_public_url_is_a_bare_endpoint() {
		assert_eq!(
			parse_public_url("http://127.0.0.1:30400/"),
			Ok("http://127.0.0.1:30400".into())
		);
		assert_eq!(parse_public_url("https://node.example"), Ok("https://node.example".into()));
		for bad in [
			"http://127.0.0.1:30400/pieces",
			"http://127.0.0.1:30400?x=1",
			"http://user@127.0.0.1:30400",
			"ftp://127.0.0.1:30400",
			"http://127.0.0.1:0",
		] {
			assert!(parse_public_url(bad).is_err(), "{bad}");
		}
	}
}
