#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# ttrpc unary round trips: the same Go client (containerd/ttrpc, W goroutines sharing one
# connection) against the Go ttrpc server and against ours, in one run.
#   bench/ttrpc.sh [BUILD_DIR] [SECONDS] [WORKERS]
set -euo pipefail
b=$(cd "${1:-build}" && pwd)
secs=${2:-5}
workers=${3:-16}
h=$b/tests/integration/helpers
tmp=$(mktemp -d)
trap 'kill $(jobs -p) 2>/dev/null; rm -rf "$tmp"' EXIT

"$h/ttrpc-echo-server" -sock "$tmp/go.sock" 2>/dev/null &
"$h/ttrpc-test-server" "$tmp/ours.sock" 2>/dev/null &
for s in go ours; do
	for _ in $(seq 100); do [ -S "$tmp/$s.sock" ] && break; sleep 0.05; done
done

run() { "$h/ttrpc-call" -sock "$tmp/$1.sock" -method Echo -payload-size 64 -bench "${secs}s" -workers "$workers"; }
# Warm both up, then alternate so neither gets a quieter machine.
run go >/dev/null; run ours >/dev/null
go1=$(run go); ours1=$(run ours); go2=$(run go); ours2=$(run ours)
field() { sed -n "s/.*$2=\([0-9.]*\).*/\1/p" <<<"$1"; }
avg() { echo "($(field "$1" "$3") + $(field "$2" "$3")) / 2" | bc -l; }
go_rps=$(avg "$go1" "$go2" rps); ours_rps=$(avg "$ours1" "$ours2" rps)
printf 'ttrpc unary, %s goroutines on one connection, 64-byte payload, 2 x %ss each\n' "$workers" "$secs"
printf '  go server:   %s | %s\n' "$go1" "$go2"
printf '  our server:  %s | %s\n' "$ours1" "$ours2"
printf '  rps ratio ours/go: %.2f\n' "$(echo "$ours_rps / $go_rps" | bc -l)"
printf '  p99 ratio ours/go: %.2f\n' "$(echo "$(avg "$ours1" "$ours2" p99_us) / $(avg "$go1" "$go2" p99_us)" | bc -l)"
pid=$(pgrep -f "ttrpc-test-server $tmp/ours.sock")
printf '  our test server RSS after the run: %s kB\n' "$(awk '/VmRSS/ {print $2}' /proc/$pid/status)"
