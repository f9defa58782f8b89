#!/usr/bin/env bash
# Idempotent set-up for a fresh machine: installs only what is missing.
# - protoc (litep2p's build script needs it), via apt-get
# - the Wasm target and rust-src for the runtime build, via rustup
# - the polkadot.js client's npm packages
set -euo pipefail
cd "$(dirname "$0")/.."

log() { printf '[setup] %s\n' "$*"; }

if ! command -v protoc >/dev/null 2>&1; then
  log "installing protoc"
  SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq protobuf-compiler >/dev/null
fi

# rust-toolchain.toml names the toolchain; machines with RUSTUP_AUTO_INSTALL=0 do not
# install its targets and components on first use, so add them explicitly.
TOOLCHAIN=$(sed -n 's/^channel *= *"\(.*\)"/\1/p' rust-toolchain.toml)
if ! rustup target list --installed --toolchain "$TOOLCHAIN" 2>/dev/null | grep -qx wasm32v1-none; then
  log "adding wasm32v1-none target"
  rustup target add wasm32v1-none --toolchain "$TOOLCHAIN"
fi
if ! rustup component list --installed --toolchain "$TOOLCHAIN" 2>/dev/null | grep -q '^rust-src'; then
  log "adding rust-src component"
  rustup component add rust-src --toolchain "$TOOLCHAIN"
fi
for c in rustfmt clippy; do
  if ! rustup component list --installed --toolchain "$TOOLCHAIN" 2>/dev/null | grep -q "^$c"; then
    rustup component add "$c" --toolchain "$TOOLCHAIN"
  fi
done

# Installed once, and again whenever package-lock.json changed since (a copy of the lock file
# the packages were installed from is kept in node_modules).
if [ -f clients/polkadot-js/package.json ] &&
  ! cmp -s clients/polkadot-js/package-lock.json clients/polkadot-js/node_modules/.modelnet-installed-lock; then
  log "installing polkadot.js client packages"
  (cd clients/polkadot-js && npm ci --no-audit --no-fund --loglevel=error &&
    cp package-lock.json node_modules/.modelnet-installed-lock)
fi
log "ready"
