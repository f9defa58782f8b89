//! Serves one file over loopback HTTP with `Range` support, for the fetch benchmark.
//!
//! Usage: `fetch_server FILE [PORT]`. Prints `listening on ADDR` and serves FILE at
//! `/model` until killed; `GET /__stats` returns the body bytes served so far.

#[path = "../tests/common/server.rs"]
#[allow(dead_code)]
mod server;

use std::{net::SocketAddr, path::PathBuf};

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
	let mut args = std::env::args().skip(1);
	let file = PathBuf::from(args.next().ok_or("usage: fetch_server FILE [PORT]")?);
	let port: u16 = args.next().map(|p| p.parse()).transpose()?.unwrap_or(0);
	let server = server::TestServer::start_on(SocketAddr::from(([127, 0, 0, 1], port))).await?;
	server.add("/model", server::Content::File(file));
	println!("listening on {}", server.addr());
	std::future::pending::<()>().await;
	Ok(())
}
