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

step "cargo clippy --all-targets -D warnings"
cargo clippy --workspace --all-targets -- -D warnings

step "unit tests"
cargo test --workspace

step "benchmark tests of the model registry (runtime-benchmarks)"
cargo test -p pallet-model-registry --features runtime-benchmarks

step "build the node"
cargo build -p modelnet-node

step "smoke test: a dev node produces and finalizes blocks"
node scripts/smoke-test.mjs "$MODELNET_NODE"

if [ -f clients/polkadot-js/package.json ]; then
	step "polkadot.js client tests"
	(cd clients/polkadot-js && npm test && npm run e2e)
fi
step "all checks passed"
