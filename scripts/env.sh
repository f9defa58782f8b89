# Shared settings of the project's scripts; sourced, not run.
# One cargo target dir outside the clone: every clone and every rerun reuses it (10+ GB).
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/modelnet-target}"
export CARGO_TERM_COLOR="${CARGO_TERM_COLOR:-never}"
# The debug node binary the tests and the dev chain run.
export MODELNET_NODE="${MODELNET_NODE:-$CARGO_TARGET_DIR/debug/modelnet-node}"
# The runtime's Wasm build looks for Cargo.lock from the target dir; with the target dir outside
# the clone it must be told where the workspace is.
export WASM_BUILD_WORKSPACE_HINT="${WASM_BUILD_WORKSPACE_HINT:-$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)}"
