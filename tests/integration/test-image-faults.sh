#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# image-pull through helpers/fault-proxy.py in front of Debian's docker-registry: a blob
# dropped or stalled mid-way and 503s are retried (upstream's rule: 5xx and broken
# connections, with backoff) and the pull succeeds; too many of them, or a corrupted
# byte, fail with a precise error and leave no trace in the store (no staging dir, no
# image, no layer of the broken blob). Then cdh-tool image list / remove / prune on the
# store the pulls filled.
. "$(dirname "$0")/lib.sh"

H=$TOP_SRCDIR/tests/integration/helpers
need_registry_tools
plan 20

start_registry "$T_TMP/reg" || skip_all "docker-registry did not start"
PORT=$REG_PORT

# one small layer (a file) and one big one (400 kB of random bytes)
L=$T_TMP/layout
B=$T_TMP/bundle
{
	umoci init --layout "$L" && umoci new --image "$L:img" && umoci unpack --image "$L:img" "$B" &&
		mkdir -p "$B/rootfs/etc" && echo small >"$B/rootfs/etc/small" &&
		umoci repack --refresh-bundle --image "$L:img" "$B" &&
		head -c 400000 /dev/urandom >"$B/rootfs/big" && umoci repack --image "$L:img" "$B"
} >"$T_TMP/umoci.log" 2>&1 || { sed 's/^/# /' "$T_TMP/umoci.log"; skip_all "umoci could not build the image"; }
skopeo copy -q --dest-tls-verify=false "oci:$L:img" "docker://127.0.0.1:$PORT/test/img:v1" \
	>"$T_TMP/push.log" 2>&1 || { sed 's/^/# /' "$T_TMP/push.log"; skip_all "skopeo push failed"; }

N=0
proxy() { # MODE COUNT: starts a proxy, sets PP to its port
	N=$((N + 1))
	rm -f "$T_TMP/p$N.port"
	start_daemon "proxy$N" python3 "$H/fault-proxy.py" --upstream "127.0.0.1:$PORT" \
		--mode "$1" --count "$2" --stall-s 2 --port-file "$T_TMP/p$N.port"
	for i in $(seq 250); do [ -s "$T_TMP/p$N.port" ] && break; sleep 0.02; done
	PP=$(cat "$T_TMP/p$N.port")
	printf '[[registry]]\nprefix = "127.0.0.1:%s"\ninsecure = true\n' "$PP" >"$T_TMP/r$N.conf"
}
pull() { # WORK_DIR
	"$COCOBOX" image-pull -q --registries-conf "$T_TMP/r$N.conf" -w "$1" "127.0.0.1:$PP/test/img:v1"
}
# no trace: nothing in staging, no image, no more than the one intact (small) layer
no_trace() {
	python3 -c '
import json, os, sys
w = sys.argv[1]
p = os.path.join(w, "meta_store.json")
m = json.load(open(p)) if os.path.exists(p) else {"image_db": {}, "layer_db": {}}
assert not os.listdir(os.path.join(w, "staging")), "staging left"
assert not m["image_db"], "image recorded"
assert len(os.listdir(os.path.join(w, "layers"))) <= 1 and len(m["layer_db"]) <= 1, "broken layer stored"
for l in m["layer_db"].values():
    assert os.path.exists(os.path.join(l["store_path"], "etc/small")), "not the small layer"
' "$1"
}
attempts() { grep -c '^blob attempt' "$T_TMP/proxy$N.log"; }

proxy drop 2
expect_exit "connection dropped mid-blob twice: retried, pull succeeds" 0 pull "$T_TMP/w-drop"
check "... after 3 blob requests" test "$(attempts)" = 3
check "... the big file is intact" cmp "$T_TMP/bundle/rootfs/big" "$(dirname "$(find "$T_TMP/w-drop/layers" -name big)")/big"

proxy 5xx 2
expect_exit "503 twice: retried, pull succeeds" 0 pull "$T_TMP/w-5xx"
check "... after 3 blob requests" test "$(attempts)" = 3

proxy stall 1
expect_exit "blob stalled 2 s mid-way then cut: retried, pull succeeds" 0 pull "$T_TMP/w-stall"
check "... after 2 blob requests" test "$(attempts)" = 2

proxy 5xx 100
expect_exit "503 every time: the pull fails" 1 pull "$T_TMP/w-5xx-all"
cp "$T_TMP/err" "$T_TMP/5xx-all.err"
check "... saying so (HTTP 503 after retries)" grep -q "503.*after retries\|after retries.*503" "$T_TMP/5xx-all.err"
check "... and leaves no trace in the store" no_trace "$T_TMP/w-5xx-all"

proxy drop 100
expect_exit "connection dropped every time: the pull fails" 1 pull "$T_TMP/w-drop-all"
cp "$T_TMP/err" "$T_TMP/drop-all.err"
check "... with a transfer error naming the layer" grep -q "layer sha256:" "$T_TMP/drop-all.err"
check "... and leaves no trace in the store" no_trace "$T_TMP/w-drop-all"

proxy corrupt 0
expect_exit "one byte corrupted: the pull fails" 1 pull "$T_TMP/w-corrupt"
cp "$T_TMP/err" "$T_TMP/corrupt.err"
check "... with a digest or gzip error" grep -Eq "does not match its digest|corrupt Gzip data" "$T_TMP/corrupt.err"
check "... and leaves no trace in the store" no_trace "$T_TMP/w-corrupt"

# cdh-tool image on the store the drop test filled
IT() { "$COCOBOX" cdh-tool image -w "$T_TMP/w-drop" "$@"; }
expect_exit "cdh-tool image list" 0 IT list
cp "$T_TMP/out" "$T_TMP/list.out"
check "... names the image, its manifest digest and 2 layers" sh -c "
	grep -q '^127.0.0.1:[0-9]*/test/img:v1\$' '$T_TMP/list.out' && grep -q '^  manifest sha256:' '$T_TMP/list.out' &&
	grep -q '^  2 layers, ' '$T_TMP/list.out' && grep -q '^1 image, 2 layers' '$T_TMP/list.out'"
REF=$(head -1 "$T_TMP/list.out")
expect_exit "cdh-tool image remove REF, then prune" 0 sh -c \
	"'$COCOBOX' cdh-tool image -w '$T_TMP/w-drop' remove '$REF' >/dev/null 2>&1 || exit 2
	 '$COCOBOX' cdh-tool image -w '$T_TMP/w-drop' prune | grep -q 'Removed 2 unused layers' || exit 3
	 [ -z \"\$(ls '$T_TMP/w-drop/layers')\" ] || exit 4"
expect_exit "cdh-tool image remove of an unknown image fails" 1 IT remove nope:1
done_testing
