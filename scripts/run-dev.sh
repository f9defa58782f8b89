#!/usr/bin/env bash
# Starts a local development chain (one authority, Alice) with its off-chain worker and model
# worker. Installs what is missing and builds the node first. Extra arguments go to the node,
# e.g. `scripts/run-dev.sh --tmp` for a throw-away chain.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
source scripts/env.sh
cargo build -p modelnet-node
exec "$MODELNET_NODE" --dev --rpc-cors all "$@"
