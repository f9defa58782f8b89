//! Downloads one model into a store with the crate's [`Fetcher`], for the benchmark.
//!
//! Usage: `fetch_model STORE_DIR URL SHA256_HEX SIZE [--no-sync] [--recv-buffer BYTES]`.
//! Prints the wall time and the peak resident set size (VmHWM) when done; exits non-zero
//! on failure.

use std::{sync::Arc, time::Instant};

use modelnet_offchain_worker::{FetchConfig, Fetcher, ModelStore, StoreConfig};

struct StderrLog;

impl log::Log for StderrLog {
	fn enabled(&self, metadata: &log::Metadata) -> bool {
		metadata.level() <= log::Level::Info
	}
	fn log(&self, record: &log::Record) {
		if self.enabled(record.metadata()) {
			eprintln!("{} {}", record.level(), record.args());
		}
	}
	fn flush(&self) {}
}

fn peak_rss_kib() -> Option<u64> {
	let status = std::fs::read_to_string("/proc/self/status").ok()?;
	let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
	line.split_whitespace().nth(1)?.parse().ok()
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
	log::set_logger(&StderrLog).map_err(|e| e.to_string())?;
	log::set_max_level(log::LevelFilter::Info);
	let args: Vec<String> = std::env::args().skip(1).collect();
	let [root, url, hash, size, rest @ ..] = args.as_slice() else {
		return Err(
			"usage: fetch_model STORE_DIR URL SHA256_HEX SIZE [--no-sync] [--recv-buffer BYTES]"
				.into(),
		);
	};
	let mut model = [0u8; 32];
	hex::decode_to_slice(hash, &mut model)?;
	let size: u64 = size.parse()?;
	let recv_buffer = rest
		.iter()
		.position(|a| a == "--recv-buffer")
		.and_then(|i| rest.get(i + 1))
		.map(|v| v.parse::<usize>())
		.transpose()?;
	let defaults = FetchConfig::default();
	let config = FetchConfig {
		sync_on_complete: !rest.iter().any(|a| a == "--no-sync"),
		recv_buffer_size: recv_buffer.or(defaults.recv_buffer_size),
		progress_interval: std::time::Duration::from_secs(1),
		// The benchmark serves the file from loopback.
		allow_private_addresses: true,
		..defaults
	};
	let started = Instant::now();
	let store = Arc::new(ModelStore::open(StoreConfig { root: root.into(), max_bytes: u64::MAX })?);
	let fetcher = Fetcher::new(store, config, None)?;
	let path = fetcher.fetch(model, size, std::slice::from_ref(url), None).await?;
	println!(
		"stored={} seconds={:.3} peak_rss_kib={}",
		path.display(),
		started.elapsed().as_secs_f64(),
		peak_rss_kib().unwrap_or(0),
	);
	Ok(())
}
