#!/usr/bin/env bash
# Build our upsd and the load harness in release mode, then run nut-compare (as root, with
# Debian's C NUT installed). Arguments go to nut-compare, e.g. --cases get-var --duration 3.
set -euo pipefail
cd "$(dirname "$0")/.."
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$PWD/target}"
cargo build --release -p nut-examples --bin upsd
cargo build --release -p nut-benches --bins
exec "$CARGO_TARGET_DIR/release/nut-compare" "$@"
