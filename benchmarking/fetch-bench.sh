#!/usr/bin/env bash
# Fetch benchmark of the modelnet-offchain-worker crate, side by side in one run:
#  (a) the crate's verified download (stream + SHA-256 + verify + rename) of a large file
#      from a loopback HTTP server: wall time and peak RSS (VmHWM), for two file sizes;
#  (b) `curl -o FILE` followed by `sha256sum FILE` on the same file from the same server;
#  (c) the fetcher killed (SIGKILL) at about half way and restarted: bytes fetched twice
#      as a percentage of the file size, counted by the server two ways: bytes it wrote to
#      its sockets (an upper bound: includes its own unsent send queue) and bytes the
#      client's TCP stack acknowledged (TCP_INFO), i.e. that reached the fetcher's host.
# Targets: (a) <= 0.7 x (b) wall time; peak RSS <= 64 MiB and independent of file size;
# (c) <= 1 %.
#
# Environment: BENCH_SIZE_MIB (default 1024), BENCH_SMALL_MIB (default 128),
# BENCH_RUNS (default 3), BENCH_KILL_RUNS (default 3), BENCH_PORT (default 18777, and the
# next port).
# Files live in a temporary directory under /tmp, deleted at exit.
set -euo pipefail
cd "$(dirname "$0")/.."

SIZE_MIB=${BENCH_SIZE_MIB:-1024}
SMALL_MIB=${BENCH_SMALL_MIB:-128}
RUNS=${BENCH_RUNS:-3}
KILL_RUNS=${BENCH_KILL_RUNS:-3}
PORT=${BENCH_PORT:-18777}

for tool in curl sha256sum awk; do
  command -v "$tool" >/dev/null || { echo "missing $tool" >&2; exit 1; }
done

cargo build --quiet --release -p modelnet-offchain-worker --examples
TARGET=$(cargo metadata --format-version 1 --no-deps |
  sed -n 's/.*"target_directory":"\([^"]*\)".*/\1/p')
BIN="$TARGET/release/examples"

WORK=$(mktemp -d /tmp/modelnet-fetch-bench.XXXXXX)
PIDS=()
cleanup() {
  for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done
  rm -rf "$WORK"
}
trap cleanup EXIT

now() { date +%s%N; }
secs() { awk -v ns="$1" 'BEGIN { printf "%.2f", ns / 1e9 }'; }
median() { tr ' ' '\n' | grep -v '^$' | sort -n | awk '{ a[NR] = $1 } END { print a[int((NR + 1) / 2)] }'; }
served() { curl -s "http://127.0.0.1:$1/__stats" | sed -n 's/^bytes_served=\([0-9]*\).*/\1/p'; }
delivered() { curl -s "http://127.0.0.1:$1/__stats" | sed -n 's/.*bytes_delivered=\([0-9]*\).*/\1/p'; }
pct() { awk -v a="$1" -v s="$2" 'BEGIN { printf "%.3f", 100 * a / s }'; }

# make_file NAME MIB PORT: random file, its SHA-256, and a server for it.
make_file() {
  head -c $(($2 * 1048576)) /dev/urandom >"$WORK/$1"
  sha256sum "$WORK/$1" | cut -d' ' -f1 >"$WORK/$1.sha256"
  "$BIN/fetch_server" "$WORK/$1" "$3" >"$WORK/$1.server.log" 2>&1 &
  PIDS+=($!)
  for _ in $(seq 50); do grep -q listening "$WORK/$1.server.log" && return; sleep 0.1; done
  echo "server for $1 did not start" >&2; exit 1
}

# fetch STORE URL HASH SIZE [--no-sync] -> prints "NS RSS_KIB"
fetch() {
  local t0 out
  t0=$(now)
  out=$("$BIN/fetch_model" "$@" 2>"$WORK/fetch.log") || { cat "$WORK/fetch.log" >&2; exit 1; }
  echo "$(($(now) - t0)) $(sed -n 's/.*peak_rss_kib=\([0-9]*\).*/\1/p' <<<"$out")"
}

echo "generating ${SIZE_MIB} MiB and ${SMALL_MIB} MiB files in $WORK"
make_file big "$SIZE_MIB" "$PORT"
make_file small "$SMALL_MIB" "$((PORT + 1))"
BIG_SIZE=$((SIZE_MIB * 1048576))
BIG_HASH=$(cat "$WORK/big.sha256")
BIG_URL="http://127.0.0.1:$PORT/model"

CURL=() FETCH=() FETCH_NOSYNC=() RSS=()
for run in $(seq "$RUNS"); do
  t0=$(now)
  curl -s -o "$WORK/curl.bin" "$BIG_URL"
  got=$(sha256sum "$WORK/curl.bin" | cut -d' ' -f1)
  CURL+=($(($(now) - t0)))
  [ "$got" = "$BIG_HASH" ] || { echo "curl download corrupt" >&2; exit 1; }
  rm -f "$WORK/curl.bin"

  read -r ns rss < <(fetch "$WORK/store" "$BIG_URL" "$BIG_HASH" "$BIG_SIZE")
  FETCH+=("$ns"); RSS+=("$rss")
  rm -rf "$WORK/store"

  read -r ns rss < <(fetch "$WORK/store" "$BIG_URL" "$BIG_HASH" "$BIG_SIZE" --no-sync)
  FETCH_NOSYNC+=("$ns"); RSS+=("$rss")
  rm -rf "$WORK/store"
  echo "run $run: curl+sha256sum $(secs "${CURL[-1]}") s, fetcher $(secs "${FETCH[-1]}") s" \
    "(no fsync $(secs "${FETCH_NOSYNC[-1]}") s)"
done

read -r _ small_rss < <(fetch "$WORK/store-small" "http://127.0.0.1:$((PORT + 1))/model" \
  "$(cat "$WORK/small.sha256")" $((SMALL_MIB * 1048576)))
rm -rf "$WORK/store-small"

# (c) SIGKILL at about half way, then restart; KILL_RUNS times.
TWICE=() DTWICE=() AT_KILL=() RESUME=()
for run in $(seq "$KILL_RUNS"); do
  before=$(served "$PORT")
  dbefore=$(delivered "$PORT")
  "$BIN/fetch_model" "$WORK/store-kill" "$BIG_URL" "$BIG_HASH" "$BIG_SIZE" >/dev/null 2>&1 &
  pid=$!
  partial="$WORK/store-kill/partial/$BIG_HASH.part"
  while kill -0 "$pid" 2>/dev/null; do
    if [ "$(stat -c %s "$partial" 2>/dev/null || echo 0)" -ge $((BIG_SIZE / 2)) ]; then
      kill -9 "$pid"
      break
    fi
    sleep 0.002
  done
  wait "$pid" 2>/dev/null || true
  AT_KILL+=("$(stat -c %s "$partial")")
  read -r resume_ns resume_rss < <(fetch "$WORK/store-kill" "$BIG_URL" "$BIG_HASH" "$BIG_SIZE")
  RESUME+=("$resume_ns"); RSS+=("$resume_rss")
  after=$(served "$PORT")
  dafter=$(delivered "$PORT")
  [ -f "$WORK/store-kill/models/$BIG_HASH" ] || { echo "resumed download not stored" >&2; exit 1; }
  rm -rf "$WORK/store-kill"
  TWICE+=($((after - before - BIG_SIZE)))
  DTWICE+=($((dafter - dbefore - BIG_SIZE)))
  echo "kill run $run: SIGKILL with $(pct "${AT_KILL[-1]}" "$BIG_SIZE") % on disk; fetched twice:" \
    "$(pct "${DTWICE[-1]}" "$BIG_SIZE") % delivered, $(pct "${TWICE[-1]}" "$BIG_SIZE") % written by the server"
done
maxof() { tr ' ' '\n' | sort -n | tail -1; }

curl_med=$(echo "${CURL[*]}" | median)
fetch_med=$(echo "${FETCH[*]}" | median)
nosync_med=$(echo "${FETCH_NOSYNC[*]}" | median)
max_rss=$(echo "${RSS[*]}" | tr ' ' '\n' | sort -n | tail -1)

cat <<EOF

| measure (${SIZE_MIB} MiB file, loopback, median of $RUNS) | value |
| --- | --- |
| (b) curl -o FILE && sha256sum FILE | $(secs "$curl_med") s |
| (a) fetcher, verified and stored (fsync before rename, default) | $(secs "$fetch_med") s = $(awk -v a="$fetch_med" -v b="$curl_med" 'BEGIN { printf "%.2f", a / b }') x (b) |
| (a) fetcher without fsync | $(secs "$nosync_med") s = $(awk -v a="$nosync_med" -v b="$curl_med" 'BEGIN { printf "%.2f", a / b }') x (b) |
| peak RSS of the fetcher, ${SIZE_MIB} MiB file (max of all runs, restarts included) | $((max_rss / 1024)) MiB ($max_rss KiB) |
| peak RSS of the fetcher, ${SMALL_MIB} MiB file | $((small_rss / 1024)) MiB ($small_rss KiB) |
| (c) killed at about half way and restarted, $KILL_RUNS times: fetched twice (delivered to the fetcher's host, TCP acknowledged), median / max | $(pct "$(echo "${DTWICE[*]}" | median)" "$BIG_SIZE") % / $(pct "$(echo "${DTWICE[*]}" | maxof)" "$BIG_SIZE") % |
| (c) same, counted as written by the server (upper bound), median / max | $(pct "$(echo "${TWICE[*]}" | median)" "$BIG_SIZE") % / $(pct "$(echo "${TWICE[*]}" | maxof)" "$BIG_SIZE") % |
| (c) restarted run (re-hash of the prefix + the rest), median | $(secs "$(echo "${RESUME[*]}" | median)") s |
EOF
