//! The node binary's command line, run as a process: the local testnet's chain spec and the
//! refusal of bad `--model-*` flags with a message that names the fault.
//!
//! `cargo test` builds the binary for these tests; the test command's smoke and end-to-end
//! tests run that same binary.

use std::process::{Command, Output};

/// Run the node binary with `args`; it must exit by itself (no command here starts a node).
fn node(args: &[&str]) -> Output {
	Command::new(env!("CARGO_BIN_EXE_modelnet-node"))
		.args(args)
		.output()
		.expect("the modelnet-node binary runs")
}

fn stderr(out: &Output) -> String {
	String::from_utf8_lossy(&out.stderr).into_owned()
}

#[test]
fn the_local_testnet_has_three_babe_and_grandpa_authorities_and_alice_as_sudo() {
	let out = node(&["build-spec", "--chain", "local"]);
	assert!(out.status.success(), "build-spec failed: {}", stderr(&out));
	let spec: serde_json::Value =
		serde_json::from_slice(&out.stdout).expect("build-spec prints JSON");

	assert_eq!(spec["id"], "modelnet_local");
	assert_eq!(spec["chainType"], "Local");
	let patch = &spec["genesis"]["runtimeGenesis"]["patch"];
	let babe: Vec<&str> = patch["babe"]["authorities"]
		.as_array()
		.expect("babe authorities")
		.iter()
		.map(|a| a[0].as_str().expect("an SS58 address"))
		.collect();
	// Alice, Bob and Charlie (sr25519).
	assert_eq!(
		babe,
		[
			"5GrwvaEF5zXb26Fz9rcQpDWS57CtERHpNehXCPcNoHGKutQY",
			"5FHneW46xGXgs5mUiveU4sbTyGBzmstUspZC92UhjJM694ty",
			"5FLSigC9HGRKVhB9FiEo4Y3koPsNmBmLJbpXg2mp1hXcS59Y",
		]
	);
	assert_eq!(patch["babe"]["epochConfig"]["allowed_slots"], "PrimaryAndSecondaryVRFSlots");
	assert_eq!(patch["grandpa"]["authorities"].as_array().map(Vec::len), Some(3));
	assert_eq!(patch["sudo"]["key"], babe[0]);
}

#[test]
fn bad_model_flags_are_refused_with_the_reason() {
	let cases: [(&[&str], &str); 6] = [
		(&["--model-public-url", "ftp://127.0.0.1:9000"], "must start with http:// or https://"),
		(&["--model-public-url", "not a url"], "must start with http:// or https://"),
		(&["--model-public-url", "http://127.0.0.1:9000/x?y"], "must not have a path, query"),
		(&["--model-pin", "abc"], "expected the model's SHA-256 as 64 hex digits"),
		(&["--model-executor", "Llama=/bin/true"], "invalid engine name \"Llama\""),
		(&["--model-executor", "llama"], "expected NAME=PROGRAM[ ARGS...]"),
	];
	for (args, reason) in cases {
		let out = node(args);
		assert_eq!(out.status.code(), Some(2), "{args:?} must be a usage error");
		assert!(stderr(&out).contains(reason), "{args:?}: {:?} lacks {reason:?}", stderr(&out));
	}

	let out = node(&["--model-serve-addr", "127.0.0.1:9000"]);
	assert_eq!(out.status.code(), Some(2));
	assert!(stderr(&out).contains("--model-public-url"), "{}", stderr(&out));
}

#[test]
fn help_names_every_model_flag() {
	let out = node(&["--help"]);
	assert!(out.status.success());
	let help = String::from_utf8_lossy(&out.stdout);
	for flag in [
		"--model-store",
		"--model-store-max-bytes",
		"--model-public-url",
		"--model-serve-addr",
		"--model-executor",
		"--model-executor-timeout",
	] {
		assert!(help.contains(flag), "--help lacks {flag}");
	}
}
