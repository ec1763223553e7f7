#!/usr/bin/env bash
# The README's first command: build ringlead, generate the default (small) lake, run the job on it.
# Usage: bash scripts/demo.sh [--scale tiny|small|medium|large]   (default: small)
set -euo pipefail
cd "$(dirname "$0")/.."
scale="small"
if [[ "${1:-}" == "--scale" && -n "${2:-}" ]]; then scale="$2"; fi

cargo build --release --locked
bin=target/release/ringlead

echo "== generating a $scale lake in demo/lake"
"$bin" generate --scale "$scale" --out demo/lake --force
echo "== what the lake holds"
"$bin" inspect demo/lake
echo "== the job file"
"$bin" check-job jobs/demo.toml | head -20
