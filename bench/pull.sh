#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# Pull + unpack from the same local registry (Debian's docker-registry, plain HTTP on
# 127.0.0.1), cold store every run: `cocobox image-pull` against `skopeo copy` +
# `umoci unpack` (the issue's 3x target), containerd's `ctr image pull` with unpack into
# its overlayfs snapshotter (1.5x target; a fresh containerd root per run, daemon start
# not timed) and the local limit, `igzip -d | tar -x` of the already downloaded blobs
# (1.3x target). Two images: real files (BENCH_SRC, three layers) and one generated
# 1 GiB layer (mostly random bytes, a quarter text that compresses). Medians of N runs
# printed as ratios (> 1: image-pull is faster), plus image-pull's peak RSS (target
# <= 32 MiB for both). By hand, not in CI:
#   bench/pull.sh [BUILD_DIR] [N]   (as root; BENCH_TMP picks the file system,
#   BENCH_CASES="files big" which images, BENCH_BIG_MIB the generated layer's size)
set -euo pipefail
b=$(cd "${1:-build}" && pwd)
n=${2:-3}
src=${BENCH_SRC:-/usr/include /usr/lib/python3 /usr/lib/gcc}
cases=${BENCH_CASES:-files big}
big_mib=${BENCH_BIG_MIB:-1024}
tmp=$(mktemp -d "${BENCH_TMP:-/tmp}/cocobox-bench-pull.XXXXXX")
pids=()
cleanup() {
	for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
	umount "$tmp"/*/rootfs 2>/dev/null || true
	grep -o " $tmp/[^ ]*" /proc/self/mounts | sort -r | xargs -r umount 2>/dev/null || true
	rm -rf "$tmp"
}
trap cleanup EXIT
for c in docker-registry umoci skopeo python3 curl ctr containerd; do
	command -v $c >/dev/null || { echo "$c missing (apt-get install docker-registry umoci skopeo containerd)" >&2; exit 1; }
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
printf '[[registry]]\nprefix = "127.0.0.1:%s"\ninsecure = true\n' "$port" >"$tmp/registries.conf"

mkimage() { # NAME: the tree in $tmp/B/rootfs was filled by the caller, one layer per call of add
	skopeo copy -q --dest-tls-verify=false "oci:$tmp/L-$1:img" "docker://127.0.0.1:$port/bench/$1:v1"
}
begin_image() { # NAME
	umoci init --layout "$tmp/L-$1" >/dev/null
	umoci new --image "$tmp/L-$1:img" >/dev/null
	umoci unpack --image "$tmp/L-$1:img" "$tmp/B" >/dev/null 2>&1
}
add_layer() { umoci repack --image "$tmp/L-$1:img" "$tmp/B" >/dev/null; }

args=()
for c in $cases; do
	case $c in
	files)
		begin_image files
		for s in $src; do
			mkdir -p "$tmp/B/rootfs$s" && cp -a "$s/." "$tmp/B/rootfs$s/"
			add_layer files
		done
		;;
	big)
		begin_image big
		mkdir -p "$tmp/B/rootfs/data"
		# 3/4 random (incompressible) in 64 MiB files, 1/4 text (compresses ~5x)
		rnd=$((big_mib * 3 / 4 / 64))
		for i in $(seq 1 $rnd); do head -c 64M /dev/urandom >"$tmp/B/rootfs/data/random-$i"; done
		python3 - "$tmp/B/rootfs/data" $((big_mib - rnd * 64)) <<'PY'
import os, random, sys
d, mib = sys.argv[1], int(sys.argv[2])
words = [os.urandom(random.randint(2, 6)).hex() for _ in range(4096)]
for i in range(0, mib, 16):
    with open(os.path.join(d, f"text-{i}"), "w") as f:
        left = min(16, mib - i) << 20
        while left > 0:
            line = " ".join(random.choices(words, k=12)) + "\n"
            f.write(line[:left])
            left -= len(line)
PY
		add_layer big
		;;
	*) echo "unknown case $c" >&2; exit 1 ;;
	esac
	rm -rf "$tmp/B"
	mkimage "$c"
	layers=$(python3 -c 'import json,sys; m=json.load(open(sys.argv[1]+"/index.json")); d=m["manifests"][0]["digest"].split(":")[1]
print(" ".join(l["digest"].split(":")[1] for l in json.load(open(sys.argv[1]+"/blobs/sha256/"+d))["layers"]))' "$tmp/L-$c")
	z=0; u=0
	for l in $layers; do
		z=$((z + $(stat -c %s "$tmp/L-$c/blobs/sha256/$l")))
		u=$((u + $($inflate <"$tmp/L-$c/blobs/sha256/$l" | wc -c)))
	done
	printf 'image %s: %s layers, %.1f MiB compressed, %.1f MiB tar\n' "$c" "$(echo $layers | wc -w)" \
		"$(echo "$z / 1048576" | bc -l)" "$(echo "$u / 1048576" | bc -l)"
	args+=("$c:$(echo $layers | tr ' ' ,)")
done

python3 - "$b/cocobox" "$tmp" "127.0.0.1:$port" "$n" "$inflate" "${args[@]}" <<'PY'
import os, shutil, signal, statistics, subprocess, sys, time
exe, tmp, reg, n, inflate, cases = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4]), sys.argv[5], sys.argv[6:]
out = os.path.join(tmp, "out")
ctd = os.path.join(tmp, "ctd")
Q = dict(stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)

def rmtree(p):
    subprocess.run(["rm", "-rf", p], check=True)

def clean():
    subprocess.run(f"grep -o ' {tmp}/[^ ]*' /proc/self/mounts | sort -r | xargs -r umount", shell=True, **Q)
    for p in (out, ctd, os.path.join(tmp, "oci-copy")):
        rmtree(p)
    os.makedirs(out)

def run(cmd):
    """Runs cmd, returns (wall seconds, peak RSS kB)."""
    t = time.monotonic()
    p = subprocess.Popen(cmd, shell=True, **Q)
    _, status, ru = os.wait4(p.pid, 0)
    dt = time.monotonic() - t
    if status:
        raise SystemExit(f"failed ({status}): {cmd}")
    return dt, ru.ru_maxrss

def ours(img, layers):
    clean()
    return run(f"{exe} image-pull -q --registries-conf {tmp}/registries.conf -w {out}/store {img}")

def skopeo(img, layers):
    clean()
    a, _ = run(f"skopeo copy -q --src-tls-verify=false docker://{img} oci:{tmp}/oci-copy:img")
    b, _ = run(f"umoci unpack --image {tmp}/oci-copy:img {out}/bundle")
    return a + b, 0

def ctr(img, layers):
    clean()
    os.makedirs(ctd)
    sock = os.path.join(ctd, "containerd.sock")
    with open(os.path.join(ctd, "config.toml"), "w") as f:
        f.write(f'version = 2\nroot = "{ctd}/root"\nstate = "{ctd}/state"\n'
                f'disabled_plugins = ["io.containerd.grpc.v1.cri"]\n'
                f'[grpc]\n  address = "{sock}"\n[ttrpc]\n  address = "{sock}.ttrpc"\n')
    d = subprocess.Popen(["containerd", "--config", os.path.join(ctd, "config.toml")], **Q)
    try:
        for _ in range(500):
            if subprocess.run(["ctr", "--address", sock, "version"], **Q).returncode == 0:
                break
            time.sleep(0.02)
        return run(f"ctr --address {sock} images pull --plain-http {img}")
    finally:
        d.send_signal(signal.SIGTERM)
        d.wait()

def limit(img, layers):
    clean()
    t = 0
    for l in layers:
        t += run(f"{inflate} <{tmp}/L-{img.split('/')[-1].split(':')[0]}/blobs/sha256/{l} | tar -x -C {out}")[0]
    return t, 0

for c in cases:
    name, layers = c.split(":")
    img = f"{reg}/bench/{name}:v1"
    layers = layers.split(",")
    res = {k: [] for k in ("ours", "ctr", "skopeo", "limit")}
    rss = []
    for _ in range(n):
        for k, f in (("ours", ours), ("ctr", ctr), ("skopeo", skopeo), ("limit", limit)):
            dt, m = f(img, layers)
            res[k].append(dt)
            if k == "ours":
                rss.append(m)
    m = {k: statistics.median(v) for k, v in res.items()}
    print(f"[{name}] image-pull {m['ours']:.2f} s | ctr image pull {m['ctr']:.2f} s | "
          f"skopeo copy + umoci unpack {m['skopeo']:.2f} s | "
          f"{inflate.split()[0]} -d | tar -x (blobs already local) {m['limit']:.2f} s  (median of {n})")
    print(f"[{name}] vs ctr: {m['ctr'] / m['ours']:.2f}x faster (target >= 1.5); "
          f"vs skopeo+umoci: {m['skopeo'] / m['ours']:.2f}x faster (target >= 3); "
          f"vs local limit: {m['ours'] / m['limit']:.2f}x its time (target <= 1.3)")
    print(f"[{name}] image-pull peak RSS {max(rss) / 1024:.1f} MiB (max of {n}; target <= 32)")
clean()
PY
