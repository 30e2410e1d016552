#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# cocobox as a daemon: stripped size, exec-to-socket-ready time of attestation-agent
# (median of N starts, polled every 0.5 ms) and its idle RSS.
#   bench/daemon.sh [BUILD_DIR] [N]
set -euo pipefail
b=$(cd "${1:-build}" && pwd)
n=${2:-30}
tmp=$(mktemp -d)
trap 'kill $(jobs -p) 2>/dev/null; rm -rf "$tmp"' EXIT

strip -o "$tmp/cocobox" "$b/cocobox"
printf 'cocobox: %s bytes, stripped %s bytes (%s)\n' "$(stat -c %s "$b/cocobox")" \
	"$(stat -c %s "$tmp/cocobox")" "$(file -b "$tmp/cocobox" | cut -d, -f1-2)"
python3 - "$tmp/cocobox" "$tmp" "$n" <<'PY'
import os, statistics, subprocess, sys, time
exe, tmp, n = sys.argv[1], sys.argv[2], int(sys.argv[3])
sock = os.path.join(tmp, "aa", "aa.sock")
times, rss = [], None
for i in range(n):
    t = time.perf_counter()
    p = subprocess.Popen([exe, "attestation-agent", "-a", "unix://" + sock],
                         stderr=subprocess.DEVNULL)
    while not os.path.exists(sock):
        time.sleep(0.0005)
    times.append((time.perf_counter() - t) * 1000)
    if i == n - 1:
        time.sleep(0.5)
        rss = [l for l in open(f"/proc/{p.pid}/status") if l.startswith("VmRSS")][0].split()[1]
    p.terminate()
    p.wait()
print(f"attestation-agent exec to socket ready: median {statistics.median(times):.2f} ms, "
      f"min {min(times):.2f} ms over {n} starts")
print(f"attestation-agent idle RSS: {rss} kB")
PY
