#!/usr/bin/env bash
# Builds the node with the `runtime-benchmarks` feature (release profile) and regenerates the
# runtime weights from the benchmarks:
#   - pallets/model-registry/src/weights.rs      (with benchmarking/weight-template.hbs)
#   - benchmarking/weights/pallet_balances.rs     (reference, default template)
# The genesis state comes from the runtime's `development` preset. Finally prints the table of
# worst-case weights that benchmarking/README.md shows.
#
# Usage: benchmarking/run-benchmarks.sh [STEPS] [REPEAT]     (defaults: 20 10)
# Environment:
#   CARGO_TARGET_DIR  target dir of the build (default: ~/.cache/modelnet-target-bench, kept
#                     apart from the debug target dir of the tests: the feature changes most
#                     crates of the tree)
#   SKIP_BUILD=1      reuse the node binary already built in that target dir
set -euo pipefail
cd "$(dirname "$0")/.."

STEPS="${1:-20}"
REPEAT="${2:-10}"
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/modelnet-target-bench}"
source scripts/env.sh

# The storage benchmark's test runtime (a dependency of frame-benchmarking-cli) builds its own
# Wasm blob with the workspace hint of env.sh, which points at this workspace, where its package
# is not found; only `benchmark storage --mode validate-block` needs that blob.
export SKIP_FRAME_STORAGE_ACCESS_TEST_RUNTIME_WASM_BUILD=1

NODE="$CARGO_TARGET_DIR/release/modelnet-node"
WASM="$CARGO_TARGET_DIR/release/wbuild/modelnet-runtime/modelnet_runtime.compact.compressed.wasm"

step() { printf '\n=== %s (%s)\n' "$1" "$(date +%T)"; }

if [ "${SKIP_BUILD:-0}" != 1 ]; then
	step "build modelnet-node --release --features runtime-benchmarks"
	start=$(date +%s)
	cargo build --locked --release -p modelnet-node --features runtime-benchmarks
	echo "build took $(($(date +%s) - start)) s"
fi
[ -x "$NODE" ] || { echo "missing $NODE" >&2; exit 1; }
[ -f "$WASM" ] || { echo "missing $WASM" >&2; exit 1; }

# Runs `benchmark pallet` for one pallet; extra arguments are passed on.
bench() {
	local pallet="$1"
	shift
	step "benchmark $pallet (steps $STEPS, repeat $REPEAT)"
	"$NODE" benchmark pallet \
		--runtime "$WASM" \
		--genesis-builder=runtime \
		--genesis-builder-preset=development \
		--pallet "$pallet" \
		--extrinsic '*' \
		--steps "$STEPS" \
		--repeat "$REPEAT" \
		--wasm-execution=compiled \
		--heap-pages=4096 \
		"$@"
}

mkdir -p benchmarking/weights
bench pallet_model_registry \
	--template benchmarking/weight-template.hbs \
	--output pallets/model-registry/src/weights.rs
bench pallet_balances \
	--output benchmarking/weights/pallet_balances.rs

step "worst-case weights (ParityDbWeight: read 8 us, write 50 us)"
python3 benchmarking/weight-table.py \
	pallets/model-registry/src/weights.rs benchmarking/weights/pallet_balances.rs
