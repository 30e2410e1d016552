#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# ttrpc server throughput: the SAME Go client (the real containerd/ttrpc library, G
# goroutines sharing ONE connection, small Echo calls) against the Go library's server and
# against ours (tests/integration/helpers/ttrpc-test-server), alternating, R rounds each,
# for each G in a list. Prints calls/s and p50/p99 latency per round, the medians, the
# ratio ours/Go, and both servers' idle RSS. Not part of meson test.
#   bench/ttrpc.sh BUILD_DIR [-g G,G...] [-d SECONDS] [-r ROUNDS] [-s PAYLOAD_BYTES]
# Use a release build (meson setup --buildtype=minsize, as the shipped binary).
set -euo pipefail

build=${1:?usage: bench/ttrpc.sh BUILD_DIR [-g G,G...] [-d SECONDS] [-r ROUNDS] [-s BYTES]}
shift
gs=1,8,32 d=3 rounds=5 size=16
while getopts g:d:r:s: o; do
	case $o in
	g) gs=$OPTARG ;; d) d=$OPTARG ;; r) rounds=$OPTARG ;; s) size=$OPTARG ;;
	*) exit 2 ;;
	esac
done
h=$build/tests/integration/helpers
for b in ttrpc-test-server ttrpc-call ttrpc-echo-server; do
	[ -x "$h/$b" ] || { echo "missing $h/$b (ninja -C $build; needs go)" >&2; exit 1; }
done

tmp=$(mktemp -d /tmp/bench-ttrpc.XXXXXX)
pids=()
cleanup() {
	for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
	wait 2>/dev/null || true
	rm -rf "$tmp"
}
trap cleanup EXIT

wait_sock() { for _ in $(seq 200); do [ -S "$1" ] && return 0; sleep 0.02; done; return 1; }
rss_kb() { awk '/^VmRSS/ {print $2}' "/proc/$1/status"; }

"$h/ttrpc-test-server" "$tmp/c.sock" 2>"$tmp/c.log" &
cpid=$!
pids+=($cpid)
"$h/ttrpc-echo-server" -sock "$tmp/go.sock" 2>"$tmp/go.log" &
gpid=$!
pids+=($gpid)
wait_sock "$tmp/c.sock" && wait_sock "$tmp/go.sock"
sleep 0.2
idle_c=$(rss_kb $cpid) idle_go=$(rss_kb $gpid)

run() { # SOCK G -> "rps p50 p99"
	"$h/ttrpc-call" -sock "$1" -echo-size "$size" -c "$2" -duration "${d}s" -stats |
		sed -E 's/.*rps=([0-9]+) p50_us=([0-9]+) p99_us=([0-9]+).*/\1 \2 \3/'
}
median() { sort -n | awk '{v[NR]=$1} END {print v[int((NR+1)/2)]}'; }
col() { awk -v k="$2" '{print $k}' "$1" | median; }

run "$tmp/go.sock" 8 >/dev/null # warm up both
run "$tmp/c.sock" 8 >/dev/null
for g in ${gs//,/ }; do
	echo "ttrpc bench: $g goroutines on one connection, ${size}-byte Echo, ${d}s x $rounds rounds each, $(nproc) CPUs"
	: >"$tmp/go.txt"
	: >"$tmp/c.txt"
	for i in $(seq "$rounds"); do
		read -r a b c < <(run "$tmp/go.sock" "$g")
		echo "$a $b $c" >>"$tmp/go.txt"
		read -r x y z < <(run "$tmp/c.sock" "$g")
		echo "$x $y $z" >>"$tmp/c.txt"
		printf 'round %d: go %7d/s p50 %5d us p99 %5d us | ours %7d/s p50 %5d us p99 %5d us\n' \
			"$i" "$a" "$b" "$c" "$x" "$y" "$z"
	done
	go_rps=$(col "$tmp/go.txt" 1) go_p50=$(col "$tmp/go.txt" 2) go_p99=$(col "$tmp/go.txt" 3)
	c_rps=$(col "$tmp/c.txt" 1) c_p50=$(col "$tmp/c.txt" 2) c_p99=$(col "$tmp/c.txt" 3)
	printf 'median:  go %7d/s p50 %5d us p99 %5d us | ours %7d/s p50 %5d us p99 %5d us\n' \
		"$go_rps" "$go_p50" "$go_p99" "$c_rps" "$c_p50" "$c_p99"
	awk -v g="$g" -v c="$c_rps" -v r="$go_rps" -v cp="$c_p99" -v gp="$go_p99" \
		'BEGIN {printf "ratio ours/go, %d goroutines: throughput %.2fx, p99 %.2fx (lower is better)\n", g, c/r, cp/gp}'
done
echo "idle RSS after start: ours $idle_c kB, go $idle_go kB; ours after the load $(rss_kb $cpid) kB"
