#!/usr/bin/env bash
# Launches a ringlead cluster of N processes on this machine (loopback) from one command.
#
# Picks N free ports, writes the hosts file (line i = process i's host:port) and prints it,
# starts `ringlead run` N times with --processes N --process-index i --hosts FILE, waits for all,
# and exits non-zero if any process fails (the others are killed at once: they would wait for the
# dead peer until a timeout). SIGINT/SIGTERM are passed on, so the day in flight still commits.
#
# Usage:
#   bash scripts/launch-local.sh -n 2 -w 2 -- --input LAKE --output OUT [other run flags]
# Options:
#   -n N        processes (default 2)
#   -w T        worker threads per process (default 1)
#   -H FILE     where to write the hosts file (default: a new temporary file)
# Environment:
#   RINGLEAD_BIN       the binary (default target/release/ringlead, built if missing)
#   RINGLEAD_HASH_KEY  the job's hash key, as for `ringlead run`
# Each process's output goes to stderr with a `[pI]` prefix.
set -euo pipefail

n=2
threads=1
hosts=""
while [[ $# -gt 0 ]]; do
  case "$1" in
    -n) n="$2"; shift 2 ;;
    -w) threads="$2"; shift 2 ;;
    -H) hosts="$2"; shift 2 ;;
    --) shift; break ;;
    -h|--help) sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
    *) echo "launch-local: unknown option $1 (run flags go after --)" >&2; exit 2 ;;
  esac
done
if ! [[ "$n" =~ ^[1-9][0-9]*$ && "$threads" =~ ^[1-9][0-9]*$ ]]; then
  echo "launch-local: -n and -w must be positive integers" >&2
  exit 2
fi

root="$(cd "$(dirname "$0")/.." && pwd)"
bin="${RINGLEAD_BIN:-$root/target/release/ringlead}"
if [[ ! -x "$bin" ]]; then
  (cd "$root" && cargo build --release --locked >&2)
fi

# A port counts as free when nothing accepts a connection on it; ports are kept distinct.
free_port() {
  local p
  while true; do
    p=$(( 20000 + RANDOM % 40000 ))
    [[ " ${ports[*]-} " == *" $p "* ]] && continue
    if ! (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null; then
      echo "$p"
      return
    fi
  done
}
ports=()
for ((i = 0; i < n; i++)); do
  ports+=("$(free_port)")
done
hosts="${hosts:-$(mktemp "${TMPDIR:-/tmp}/ringlead-hosts.XXXXXX")}"
printf '127.0.0.1:%s\n' "${ports[@]}" > "$hosts"
echo "launch-local: $n processes x $threads threads; hosts file $hosts:" >&2
sed 's/^/  /' "$hosts" >&2

pids=()
# After a failure: SIGKILL, because ringlead turns SIGTERM into "finish the day", and a process
# still waiting for its dead peer to connect would never get there.
stop() {
  for p in "${pids[@]}"; do kill -KILL "$p" 2>/dev/null || true; done
}
# shellcheck disable=SC2317  # called by the trap
forward() {
  for p in "${pids[@]}"; do kill -TERM "$p" 2>/dev/null || true; done
}
trap forward INT TERM
for ((i = 0; i < n; i++)); do
  # stdout too: timely reports its connection attempts there.
  "$bin" run --processes "$n" --process-index "$i" --hosts "$hosts" -w "$threads" "$@" \
    > >(sed -u "s/^/[p$i] /" >&2) 2>&1 &
  pids+=("$!")
done

status=0
remaining=("${pids[@]}")
while [[ ${#remaining[@]} -gt 0 ]]; do
  finished=""
  set +e
  wait -n -p finished "${remaining[@]}"
  rc=$?
  set -e
  if [[ -z "$finished" ]]; then
    # Interrupted by a forwarded signal: keep waiting for the processes to finish their day.
    continue
  fi
  next=()
  for p in "${remaining[@]}"; do [[ "$p" == "$finished" ]] || next+=("$p"); done
  remaining=("${next[@]+"${next[@]}"}")
  if [[ $rc -ne 0 ]]; then
    for ((i = 0; i < n; i++)); do [[ "${pids[$i]}" == "$finished" ]] && idx=$i; done
    echo "launch-local: process ${idx:-?} (pid $finished) exited with $rc; stopping the others" >&2
    status=$rc
    stop
    wait 2>/dev/null || true
    break
  fi
done
exit "$status"
