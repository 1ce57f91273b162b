#!/usr/bin/env bash
# A 3-member etcd cluster on 127.0.0.1 for bench/service.ts --etcd, as the README's comparison ran
# it: Debian's etcd-server (apt-get install etcd-server), fsync on (etcd's default), data in a temp
# folder. Prints the client endpoints; Ctrl-C (or the end of this script's parent) stops all three.
#
#   bash bench/etcd-cluster.sh &        # then:
#   node --import tsx bench/service.ts --etcd http://127.0.0.1:23791,http://127.0.0.1:23792,http://127.0.0.1:23793
set -euo pipefail
command -v etcd >/dev/null || { echo "etcd is not installed (Debian: apt-get install etcd-server)" >&2; exit 1; }
dir=$(mktemp -d -t etcd-bench-XXXXXX)
cluster="e1=http://127.0.0.1:23801,e2=http://127.0.0.1:23802,e3=http://127.0.0.1:23803"
pids=()
stop() { kill "${pids[@]}" 2>/dev/null || true; wait 2>/dev/null || true; rm -rf "$dir"; }
trap stop EXIT INT TERM
for i in 1 2 3; do
  etcd --name "e$i" --data-dir "$dir/e$i" \
    --listen-client-urls "http://127.0.0.1:2379$i" --advertise-client-urls "http://127.0.0.1:2379$i" \
    --listen-peer-urls "http://127.0.0.1:2380$i" --initial-advertise-peer-urls "http://127.0.0.1:2380$i" \
    --initial-cluster "$cluster" --initial-cluster-state new --initial-cluster-token bench \
    --log-level error >"$dir/e$i.log" 2>&1 &
  pids+=($!)
done
for i in 1 2 3; do
  until curl -sf "http://127.0.0.1:2379$i/health" >/dev/null; do sleep 0.2; done
done
echo "etcd: http://127.0.0.1:23791,http://127.0.0.1:23792,http://127.0.0.1:23793 (data in $dir)"
wait
