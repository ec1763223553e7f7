#!/usr/bin/env bash
# Prints a ringlead hosts file (line i = process i's host:port) for a cluster launcher, so
# every process of a job gets the same file. The process index itself needs no script: ringlead
# reads SLURM_PROCID, or the ordinal of a StatefulSet pod's hostname (`ringlead-3` -> 3).
#
# Usage:
#   scripts/cluster-hosts.sh slurm [PORT]             > hosts   (inside an allocation)
#   scripts/cluster-hosts.sh k8s N NAME SERVICE PORT  > hosts   (in a StatefulSet pod)
#
# slurm: one line per task, in task order. Nodes come from `scontrol show hostnames
#   $SLURM_JOB_NODELIST`; Slurm's default block distribution puts tasks 0..K-1 on the first node,
#   K..2K-1 on the second, ... (K = SLURM_NTASKS_PER_NODE, default 1), and the K tasks of a node
#   get ports PORT..PORT+K-1. There are SLURM_NTASKS lines (default: nodes x K).
#   PORT defaults to RINGLEAD_PORT, else 2101.
# k8s: N lines NAME-i.SERVICE.NAMESPACE.svc.CLUSTER_DOMAIN:PORT, the stable DNS names a headless
#   Service gives the pods of StatefulSet NAME. NAMESPACE comes from POD_NAMESPACE (set it from
#   the downward API), else the service account's namespace file, else `default`;
#   CLUSTER_DOMAIN from RINGLEAD_CLUSTER_DOMAIN, else cluster.local.
set -euo pipefail

die() { echo "cluster-hosts: $*" >&2; exit 2; }
is_count() { [[ "$1" =~ ^[1-9][0-9]*$ ]]; }

mode="${1:-}"
case "$mode" in
  slurm)
    port="${2:-${RINGLEAD_PORT:-2101}}"
    is_count "$port" || die "bad port '$port'"
    [[ -n "${SLURM_JOB_NODELIST:-}" ]] || die "SLURM_JOB_NODELIST is not set: run inside a Slurm allocation"
    mapfile -t nodes < <(scontrol show hostnames "$SLURM_JOB_NODELIST")
    [[ ${#nodes[@]} -gt 0 ]] || die "scontrol listed no hosts for '$SLURM_JOB_NODELIST'"
    per_node="${SLURM_NTASKS_PER_NODE:-1}"
    # Slurm may write "2(x3)"-style counts; with a uniform --ntasks-per-node it is a number.
    per_node="${per_node%%(*}"
    is_count "$per_node" || die "bad SLURM_NTASKS_PER_NODE '${SLURM_NTASKS_PER_NODE:-}'"
    tasks="${SLURM_NTASKS:-$(( ${#nodes[@]} * per_node ))}"
    is_count "$tasks" || die "bad SLURM_NTASKS '$tasks'"
    (( tasks <= ${#nodes[@]} * per_node )) \
      || die "$tasks tasks do not fit ${#nodes[@]} nodes x $per_node tasks per node"
    for ((t = 0; t < tasks; t++)); do
      echo "${nodes[$(( t / per_node ))]}:$(( port + t % per_node ))"
    done
    ;;
  k8s)
    [[ $# -eq 5 ]] || die "usage: cluster-hosts.sh k8s N NAME SERVICE PORT"
    n="$2"; name="$3"; service="$4"; port="$5"
    is_count "$n" || die "bad process count '$n'"
    is_count "$port" || die "bad port '$port'"
    sa_ns=/var/run/secrets/kubernetes.io/serviceaccount/namespace
    ns="${POD_NAMESPACE:-}"
    if [[ -z "$ns" && -r "$sa_ns" ]]; then ns="$(cat "$sa_ns")"; fi
    ns="${ns:-default}"
    domain="${RINGLEAD_CLUSTER_DOMAIN:-cluster.local}"
    for ((i = 0; i < n; i++)); do
      echo "$name-$i.$service.$ns.svc.$domain:$port"
    done
    ;;
  *)
    die "usage: cluster-hosts.sh slurm [PORT] | k8s N NAME SERVICE PORT"
    ;;
esac
