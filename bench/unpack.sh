#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# Layer unpack speed: image-pull's local mode (one pass: sha256 of the blob, inflate,
# sha256 of the tar, safe writer) against the local limit `igzip -d | tar -x` (gzip -d
# when igzip is missing) and against `umoci unpack`, on the same single-layer gzip OCI
# layout built with umoci from real files; median of N warm runs each, printed as
# ratios (> 1 means image-pull is faster), plus image-pull's peak RSS.
#   bench/unpack.sh [BUILD_DIR] [N]   (as root; BENCH_SRC="dir ..." picks the files,
#   BENCH_TMP the file system to unpack on, e.g. /dev/shm to leave the disk out)
set -euo pipefail
b=$(cd "${1:-build}" && pwd)
n=${2:-3}
src=${BENCH_SRC:-/usr/include /usr/bin}
tmp=$(mktemp -d "${BENCH_TMP:-/tmp}/cocobox-bench.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
for c in umoci python3; do command -v $c >/dev/null || { echo "$c missing" >&2; exit 1; }; done
inflate="gzip -dc"
command -v igzip >/dev/null && inflate="igzip -dc"

umoci init --layout "$tmp/L" >/dev/null
umoci new --image "$tmp/L:img" >/dev/null
umoci unpack --image "$tmp/L:img" "$tmp/B" >/dev/null 2>&1
for s in $src; do mkdir -p "$tmp/B/rootfs$s" && cp -a "$s/." "$tmp/B/rootfs$s/"; done
umoci repack --image "$tmp/L:img" "$tmp/B" >/dev/null
rm -rf "$tmp/B"
blob=$(ls -S "$tmp/L/blobs/sha256/" | head -1)
blob=$tmp/L/blobs/sha256/$blob
files=$(tar -tzf "$blob" | wc -l)
printf 'layer: %s entries, %.1f MiB gzip, %.1f MiB tar (from %s)\n' "$files" \
	"$(echo "$(stat -c %s "$blob") / 1048576" | bc -l)" \
	"$(echo "$($inflate <"$blob" | wc -c) / 1048576" | bc -l)" "$src"

python3 - "$b/cocobox" "$tmp" "$blob" "$n" "$inflate" <<'PY'
import os, resource, shutil, statistics, subprocess, sys, time
exe, tmp, blob, n, inflate = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4]), sys.argv[5]
out = os.path.join(tmp, "out")

def run(cmd, shell=False):
    shutil.rmtree(out, ignore_errors=True)
    if not cmd[0].startswith("umoci"):
        os.makedirs(out, exist_ok=True)
    subprocess.run(["sync"])
    t = time.perf_counter()
    subprocess.run(cmd, shell=shell, check=True, stdout=subprocess.DEVNULL)
    return time.perf_counter() - t

cases = {
    "image-pull": ([exe, "image-pull", "-q", "-w", out, "--layout", tmp + "/L:img"], False),
    inflate.split()[0] + " -d | tar -x": (f"{inflate} < {blob} | tar -x --numeric-owner -p -C {out}", True),
    "umoci unpack": (["umoci", "unpack", "--image", tmp + "/L:img", out], False),
}
res = {}
for name, (cmd, shell) in cases.items():
    run(cmd if not shell else cmd, shell)  # warm-up
    ts = [run(cmd, shell) for _ in range(n)]
    res[name] = statistics.median(ts)
    print(f"{name:>22}: median {res[name]:.2f} s (min {min(ts):.2f}) over {n} runs")
rss_before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
ip = res["image-pull"]
for name, t in res.items():
    if name != "image-pull":
        print(f"image-pull vs {name}: {t / ip:.2f}x")
# peak RSS of image-pull alone, in a fresh child
rss = subprocess.run([sys.executable, "-c", f"""
import resource, shutil, subprocess
shutil.rmtree({out!r}, ignore_errors=True)
subprocess.run({cases['image-pull'][0]!r}, check=True, stdout=subprocess.DEVNULL)
print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)"""], capture_output=True, text=True,
                     check=True).stdout.strip()
print(f"image-pull peak RSS: {int(rss) / 1024:.1f} MiB")
PY
