#!/usr/bin/env bash
# Benchmark: the cost of one incremental day against a from-scratch run, and peak memory.
#
# Runs the job once over every day of a lake (a fresh output: the from-scratch computation of the
# last day's state), then reads the per-day phase times from the run reports. The incremental
# day is the median over the last 10 days of read + compute + write (what `run --follow` spends
# when a day lands); the ratio is that over the from-scratch wall time.
#
# Usage: bash scripts/bench-refresh.sh [LAKE] [-w N]       (default lake: demo/medium, generated)
set -euo pipefail
cd "$(dirname "$0")/.."
lake="${1:-demo/medium}"
shift || true
export RINGLEAD_HASH_KEY="${RINGLEAD_HASH_KEY:-bench-key}"
cargo build --release --locked
bin=target/release/ringlead
if [[ ! -d "$lake/orders" ]]; then
  "$bin" generate --scale medium --out "$lake"
fi
out="$(mktemp -d)"
/usr/bin/time -v "$bin" run --input "$lake" --output "$out" "$@" 2> "$out.log" || { tail -20 "$out.log"; exit 1; }
python3 - "$out" "$out.log" <<'PY'
import json, os, re, statistics, sys
out, log = sys.argv[1], sys.argv[2]
reports = [json.load(open(os.path.join(out, "runs", f))) for f in sorted(os.listdir(os.path.join(out, "runs")))]
text = open(log).read()
wall = re.search(r"Elapsed \(wall clock\) time \(h:mm:ss or m:ss\): (\S+)", text).group(1)
parts = [float(x) for x in wall.split(":")]
wall_s = sum(p * 60 ** i for i, p in enumerate(reversed(parts)))
rss_kb = int(re.search(r"Maximum resident set size \(kbytes\): (\d+)", text).group(1))
day = lambda r: sum(r["phase_secs"].get(k, 0) for k in ("read", "compute", "write"))
last = [day(r) for r in reports[-10:]]
median = statistics.median(last)
print(f"days: {len(reports)}  from-scratch wall: {wall_s:.1f} s  peak RSS: {rss_kb / 1048576:.2f} GiB")
print(f"incremental day (median of last {len(last)}): {median:.2f} s  (min {min(last):.2f}, max {max(last):.2f})")
print(f"refresh / from-scratch: {100 * median / wall_s:.2f} %")
PY
rm -rf "$out" "$out.log"
