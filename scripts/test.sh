#!/usr/bin/env bash
# Runs every check of the project: formatting, lints, unit tests, then a smoke test and the
# end-to-end tests against a real development node. Installs what is missing first.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
source scripts/env.sh

step() { printf '\n=== %s (%s)\n' "$1" "$(date +%T)"; }

step "cargo fmt --check"
cargo fmt --all -- --check

# Clippy lints the workspace's crates while the tests compile them, instead of in a `cargo
# clippy` pass of its own: clippy-driver (what `cargo clippy` runs) compiles and lints the
# workspace's own crates, rustc compiles the dependencies, so the dependency tree is compiled
# once for the lints, the tests and the node. `cargo clippy` compiles it once more in check
# mode: about 25 of the 95 minutes of a cold run on 2 cores. `cargo test` builds every target
# `--all-targets` names (lib, bins, tests, examples; there are no benches). CLIPPY_ARGS is how
# cargo-clippy hands its arguments to the driver ("-D warnings", in its separator).
step "unit tests, with clippy's lints (-D warnings) on the workspace's crates"
RUSTC_WORKSPACE_WRAPPER="$(command -v clippy-driver || echo "${CARGO_HOME:-$HOME/.cargo}/bin/clippy-driver")" \
	CLIPPY_ARGS="-D__CLIPPY_HACKERY__warnings__CLIPPY_HACKERY__" \
	cargo test --workspace

# The node's own tests (node/tests) run the binary, so the step above built it, with the
# features the workspace's tests unify: a `cargo build -p modelnet-node` after it recompiled
# some 80 crates for the other feature set and a second link of the node.
if [ ! -x "$MODELNET_NODE" ]; then
	echo "the unit tests built no node binary at $MODELNET_NODE" >&2
	exit 1
fi

step "benchmark tests of the model registry (runtime-benchmarks)"
cargo test -p pallet-model-registry --features runtime-benchmarks

step "smoke test: a dev node produces and finalizes blocks"
node scripts/smoke-test.mjs "$MODELNET_NODE"

if [ -f clients/polkadot-js/package.json ]; then
	step "polkadot.js client tests"
	(cd clients/polkadot-js && npm test && npm run e2e)
fi
step "all checks passed"
