#!/usr/bin/env bash
# The whole test suite, from a fresh Debian machine with Rust:
#   unit and integration tests (cargo), then browser tests in headless Chromium.
# Installs what the browser tests need (Debian's chromium, npm packages) when missing.
set -euo pipefail
cd "$(dirname "$0")/.."

log() { printf '\n== %s\n' "$*"; }

if ! command -v chromium >/dev/null 2>&1; then
  log "installing Debian's chromium (browser tests)"
  if [ "$(id -u)" = 0 ]; then SUDO=""; else SUDO="sudo"; fi
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq chromium >/dev/null
fi
if ! command -v strace >/dev/null 2>&1; then
  log "installing strace (tests/security.rs audits a build's system calls)"
  if [ "$(id -u)" = 0 ]; then SUDO=""; else SUDO="sudo"; fi
  { $SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq strace >/dev/null; } ||
    echo "strace could not be installed: the system-call audit will be skipped"
fi

# The dev profile compiles dependencies with optimisations (Cargo.toml), so one build serves
# both the Rust tests and the browser tests.
log "cargo test (unit, integration, NIST accuracy)"
cargo test --workspace --locked

log "browser tests (headless Chromium, playwright-core, axe-core)"
(cd tests/browser && npm ci --no-audit --no-fund --silent)
# `cargo test` has built target/debug/bilim (the integration tests run it); building it again
# with `cargo build` would recompile with a different feature set and cost minutes.
BILIM_BIN="$PWD/target/debug/bilim" node --test tests/browser/
