#!/usr/bin/env bash
# The README's second command: formatting, lints, then every test (unit, integration, doc).
set -euo pipefail
cd "$(dirname "$0")/.."
cargo fmt --all -- --check
cargo clippy --locked --all-targets -- -D warnings
cargo test --locked
