#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# Pull + unpack from the same local registry (Debian's docker-registry, plain HTTP on
# 127.0.0.1): `cocobox image-pull` against `skopeo copy` + `umoci unpack` (the issue's
# 3x target) and against the local limit, `igzip -d | tar -x` of the already downloaded
# blobs (1.3x target). An image of real files (BENCH_SRC), median of N cold-store runs
# each, printed as ratios (> 1: image-pull is faster), plus image-pull's peak RSS.
#   bench/pull.sh [BUILD_DIR] [N]     (as root; BENCH_TMP picks the file system)
set -euo pipefail
b=$(cd "${1:-build}" && pwd)
n=${2:-3}
src=${BENCH_SRC:-/usr/include /usr/lib/python3 /usr/lib/gcc}
tmp=$(mktemp -d "${BENCH_TMP:-/tmp}/cocobox-bench-pull.XXXXXX")
pids=()
trap 'for p in "${pids[@]}"; do kill "$p" 2>/dev/null; done; umount "$tmp"/*/rootfs 2>/dev/null; rm -rf "$tmp"' EXIT
for c in docker-registry umoci skopeo python3 curl; do
	command -v $c >/dev/null || { echo "$c missing" >&2; exit 1; }
done
inflate="gzip -dc"
command -v igzip >/dev/null && inflate="igzip -dc"
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
cat >"$tmp/reg.yml" <<EOF2
version: 0.1
log: {level: error, accesslog: {disabled: true}}
storage: {filesystem: {rootdirectory: $tmp/reg}}
http: {addr: 127.0.0.1:$port}
EOF2
docker-registry serve "$tmp/reg.yml" >/dev/null 2>&1 &
pids+=($!)
for _ in $(seq 250); do curl -s -o /dev/null "http://127.0.0.1:$port/v2/" && break; sleep 0.02; done

# three layers of real files
umoci init --layout "$tmp/L" >/dev/null
umoci new --image "$tmp/L:img" >/dev/null
umoci unpack --image "$tmp/L:img" "$tmp/B" >/dev/null 2>&1
for s in $src; do
	mkdir -p "$tmp/B/rootfs$s" && cp -a "$s/." "$tmp/B/rootfs$s/"
	umoci repack --image "$tmp/L:img" "$tmp/B" >/dev/null
done
rm -rf "$tmp/B"
img=127.0.0.1:$port/bench/img:v1
skopeo copy -q --dest-tls-verify=false "oci:$tmp/L:img" "docker://$img"
printf '[[registry]]\nprefix = "127.0.0.1:%s"\ninsecure = true\n' "$port" >"$tmp/registries.conf"
layers=$(ls -S "$tmp/L/blobs/sha256/" | head -3)
printf 'image: %s layers, %.1f MiB compressed (%s)\n' "$(echo "$layers" | wc -w)" \
	"$(du -cb $(for l in $layers; do echo "$tmp/L/blobs/sha256/$l"; done) | tail -1 | cut -f1 | awk '{print $1/1048576}')" "$src"

python3 - "$b/cocobox" "$tmp" "$img" "$n" "$inflate" $layers <<'PY'
import os, resource, shutil, statistics, subprocess, sys, time
exe, tmp, img, n, inflate, layers = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4]), sys.argv[5], sys.argv[6:]
out = os.path.join(tmp, "out")

def clean():
    shutil.rmtree(out, ignore_errors=True)
    shutil.rmtree(os.path.join(tmp, "oci-copy"), ignore_errors=True)

def timed(cmds):
    clean()
    os.makedirs(out)
    t = time.monotonic()
    for c in cmds:
        subprocess.run(c, shell=True, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return time.monotonic() - t

ours = [f"{exe} image-pull -q --registries-conf {tmp}/registries.conf -w {out}/store {img}"]
skopeo = [f"skopeo copy -q --src-tls-verify=false docker://{img} oci:{tmp}/oci-copy:img",
          f"umoci unpack --image {tmp}/oci-copy:img {out}/bundle"]
limit = [f"{inflate} <{tmp}/L/blobs/sha256/{l} | tar -x -C {out}" for l in layers]
res = {k: [] for k in ("ours", "skopeo", "limit")}
for _ in range(n):
    for k, c in (("ours", ours), ("skopeo", skopeo), ("limit", limit)):
        res[k].append(timed(c))
m = {k: statistics.median(v) for k, v in res.items()}
rss = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
print(f"image-pull {m['ours']:.2f} s | skopeo copy + umoci unpack {m['skopeo']:.2f} s | {inflate.split()[0]} -d | tar -x (blobs already local) {m['limit']:.2f} s")
print(f"ratio vs skopeo+umoci: {m['skopeo'] / m['ours']:.2f}x faster (target >= 3)")
print(f"ratio vs local limit: {m['ours'] / m['limit']:.2f}x its time (target <= 1.3)")
clean()
PY
# peak RSS of one image-pull, on its own
/usr/bin/time -f 'image-pull peak RSS %M kB' "$b/cocobox" image-pull -q --registries-conf "$tmp/registries.conf" \
	-w "$tmp/rss-store" "$img" >/dev/null
