#!/usr/bin/env bash
# Model quality as issue 4 measures it: a medium lake of a seed training never saw; train on the
# labels of the first half of the days, run the job with the fitted model, evaluate the second half.
# Usage: bash scripts/quality.sh [SEED] [WORKDIR]     (defaults: 7, demo/quality)
set -euo pipefail
cd "$(dirname "$0")/.."
seed="${1:-7}"
work="${2:-demo/quality}"
export RINGLEAD_HASH_KEY="${RINGLEAD_HASH_KEY:-quality-key}"
cargo build --release --locked
bin=target/release/ringlead
mkdir -p "$work"
if [[ ! -d "$work/lake/orders" ]]; then
  "$bin" generate --scale medium --seed "$seed" --out "$work/lake"
fi
days=($(ls "$work/lake/sellers" | sed 's/dt=//' | sort))
mid="${days[$(( ${#days[@]} / 2 - 1 ))]}"
from="${days[$(( ${#days[@]} / 2 ))]}"
echo "== model inputs: the job over every day with the shipped model (inputs do not depend on weights)"
rm -rf "$work/out-train"
"$bin" run --input "$work/lake" --output "$work/out-train" --job jobs/default.toml
echo "== training on labels up to $mid; later labels are held out"
"$bin" train --input "$work/lake" --output "$work/out-train" --until "$mid" --model-out "$work/model.toml"
echo "== the job over all days with the fitted model"
cat > "$work/job.toml" <<TOML
[model]
config = "model.toml"
TOML
rm -rf "$work/out"
"$bin" run --input "$work/lake" --output "$work/out" --job "$work/job.toml"
echo "== evaluation of the second half ($from on)"
"$bin" evaluate --output "$work/out" --truth "$work/lake/_truth" --from "$from" | tail -n 3
