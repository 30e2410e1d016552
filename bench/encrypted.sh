#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# Encrypted against unencrypted pull of the same image from the same local registry
# (Debian's docker-registry, plain HTTP on 127.0.0.1): skopeo pushes the image once as
# is and once with `--encryption-key jwe:` (an EC P-256 key); `cocobox image-pull` pulls
# each into a cold store, median of N runs, and the overhead of decryption (AES-256-CTR
# + HMAC-SHA256 in the layer pipeline) is printed (target <= 15 %).
#   bench/encrypted.sh [BUILD_DIR] [N]     (as root; BENCH_TMP picks the file system)
set -euo pipefail
b=$(cd "${1:-build}" && pwd)
n=${2:-3}
src=${BENCH_SRC:-/usr/include /usr/lib/python3}
tmp=$(mktemp -d "${BENCH_TMP:-/tmp}/cocobox-bench-enc.XXXXXX")
pids=()
trap 'for p in "${pids[@]}"; do kill "$p" 2>/dev/null; done; rm -rf "$tmp"' EXIT
for c in docker-registry umoci skopeo python3 curl openssl; do
	command -v $c >/dev/null || { echo "$c missing" >&2; exit 1; }
done
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

umoci init --layout "$tmp/L" >/dev/null
umoci new --image "$tmp/L:img" >/dev/null
umoci unpack --image "$tmp/L:img" "$tmp/B" >/dev/null 2>&1
for s in $src; do
	mkdir -p "$tmp/B/rootfs$s" && cp -a "$s/." "$tmp/B/rootfs$s/"
	umoci repack --image "$tmp/L:img" "$tmp/B" >/dev/null
done
rm -rf "$tmp/B"
openssl ecparam -name prime256v1 -genkey -noout -out "$tmp/k.pem" 2>/dev/null
openssl ec -in "$tmp/k.pem" -pubout -out "$tmp/k.pub" 2>/dev/null
skopeo copy -q --dest-tls-verify=false "oci:$tmp/L:img" "docker://127.0.0.1:$port/b/plain:v1"
skopeo copy -q --dest-tls-verify=false --encryption-key "jwe:$tmp/k.pub" "oci:$tmp/L:img" \
	"docker://127.0.0.1:$port/b/enc:v1"
cat >"$tmp/registries.conf" <<EOF2
[[registry]]
prefix = "127.0.0.1:$port/b"
location = "127.0.0.1:$port/b"
insecure = true
EOF2
size=$(du -sm "$tmp/reg" | cut -f1)

run() { # NAME ARGS...: prints the median wall time of n cold pulls
	local name=$1 t
	shift
	for i in $(seq "$n"); do
		rm -rf "$tmp/w"
		sync
		t=$( { /usr/bin/time -f %e "$b/cocobox" image-pull -q --registries-conf \
			"$tmp/registries.conf" -w "$tmp/w" "$@" >/dev/null; } 2>&1 | tail -1)
		echo "$t"
	done | sort -n | sed -n "$(((n + 1) / 2))p"
}
plain=$(run plain "127.0.0.1:$port/b/plain:v1")
enc=$(run enc -k "$tmp/k.pem" "127.0.0.1:$port/b/enc:v1")
echo "registry holds ${size} MiB (both images); median of $n cold pulls:"
echo "  unencrypted  ${plain} s"
echo "  encrypted    ${enc} s"
python3 -c "import sys; p,e=float(sys.argv[1]),float(sys.argv[2]); print('  overhead     %+.1f %% (target <= 15 %%)' % ((e/p-1)*100))" "$plain" "$enc"
