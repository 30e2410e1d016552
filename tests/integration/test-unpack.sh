#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# image-pull's local mode against umoci: images built with umoci from a generated tree
# (1000+ files, modes incl. set-id and sticky, owners, hardlinks, symlinks, fifo, device
# nodes, xattrs, a layer of whiteouts, a crafted opaque-dir layer), unpacked by
# image-pull as gzip, multi-member gzip, zstd and uncompressed layers and compared file by
# file with `umoci unpack` of the same image (helpers/compare-rootfs.py). Then broken
# blobs (digest, diff_id, size, truncation) and the hostile tar corpus
# (helpers/make-hostile-tars.py): each must fail with its precise error, or be contained,
# and leave no trace in the store. Needs root, umoci, zstd, python3.
. "$(dirname "$0")/lib.sh"

H=$TOP_SRCDIR/tests/integration/helpers
for c in umoci python3 zstd; do
	command -v $c >/dev/null || skip_all "$c missing (apt-get install umoci zstd python3)"
done
[ "$(id -u)" = 0 ] || skip_all "needs root (owners, device nodes, trusted.* xattrs)"
IP() { "$COCOBOX" image-pull -q "$@"; }
EDIT() { python3 "$H/oci-edit.py" "$@"; }

ncases=$(python3 "$H/make-hostile-tars.py" "$T_TMP/hostile" "$T_TMP/escape" && wc -l <"$T_TMP/hostile/cases.txt")
plan $((4 * 3 + 1 + 5 + 4 * 2 + ncases + 1))

# --- the source tree
python3 - "$T_TMP/tree" <<'PY'
import os, random, sys
root = sys.argv[1]
rnd = random.Random(7)
os.makedirs(root)
for d in range(40):
    dp = os.path.join(root, f"d{d:03}")
    os.mkdir(dp)
    for f in range(30):
        p = os.path.join(dp, f"f{f:02}")
        with open(p, "wb") as fh:
            fh.write((f"file {d}/{f}\n" * rnd.randint(0, 200)).encode())
        os.chmod(p, rnd.choice([0o644, 0o755, 0o600, 0o444, 0o640]))
        os.chown(p, rnd.choice([0, 1000, 65534]), rnd.choice([0, 100, 65534]))
        os.utime(p, ns=(1600000000 * 10**9, (1600000000 + d * 1000 + f) * 10**9))
big = os.path.join(root, "big.bin")
with open(big, "wb") as fh:
    fh.write(rnd.randbytes(3 << 20))
open(os.path.join(root, "empty"), "w").close()
for mode, name in [(0o4755, "suid"), (0o2755, "sgid"), (0o000, "nomode")]:
    p = os.path.join(root, name)
    with open(p, "w") as fh:
        fh.write(name)
    os.chown(p, 1000, 1000)
    os.chmod(p, mode)
os.mkdir(os.path.join(root, "sticky"))
os.chmod(os.path.join(root, "sticky"), 0o1777)
os.link(os.path.join(root, "d000/f01"), os.path.join(root, "hard1"))
os.link(os.path.join(root, "d000/f01"), os.path.join(root, "d039/hard2"))
os.symlink("d000/f02", os.path.join(root, "rel-link"))
os.symlink("/etc/passwd", os.path.join(root, "abs-link"))
os.symlink("nowhere/at/all", os.path.join(root, "dangling"))
os.symlink("d005", os.path.join(root, "dir-link"))
os.mkfifo(os.path.join(root, "fifo"))
os.mknod(os.path.join(root, "null"), 0o20666, os.makedev(1, 3))
os.mknod(os.path.join(root, "loop"), 0o60660, os.makedev(7, 0))
for p, k, v in [("d010/f00", "user.test", b"value"), ("d011", "user.dir", b"d"),
                ("big.bin", "user.empty", b"")]:
    os.setxattr(os.path.join(root, p), k, v)
for d in range(40):
    os.utime(os.path.join(root, f"d{d:03}"), (1500000000, 1500000000 + d))
PY
# 40 * 30 regular files + a few dozen more
L=$T_TMP/layout
B=$T_TMP/bundle
{
	umoci init --layout "$L" && umoci new --image "$L:img" &&
		umoci unpack --image "$L:img" "$B" &&
		cp -a "$T_TMP/tree/." "$B/rootfs/" &&
		umoci repack --refresh-bundle --image "$L:img" "$B" &&
		umoci tag --image "$L:img" base &&
		rm "$B/rootfs/d000/f00" && rm -rf "$B/rootfs/d001" &&
		echo changed >"$B/rootfs/d002/f00" && chmod 0600 "$B/rootfs/d002/f01" &&
		mkdir "$B/rootfs/newdir" && echo new >"$B/rootfs/newdir/x" &&
		umoci repack --image "$L:img" "$B"
} >"$T_TMP/umoci.log" 2>&1 || { sed 's/^/# /' "$T_TMP/umoci.log"; skip_all "umoci could not build the image"; }
# a third layer: d003 made opaque (only d003/only stays visible), a whiteout of a dir
python3 - "$T_TMP/opaque.tar" <<'PY'
import io, sys, tarfile
with tarfile.open(sys.argv[1], "w", format=tarfile.PAX_FORMAT) as t:
    # d004 comes with its own entry, as real tools write the parents of what they change
    for name, kind, data in [("d003", tarfile.DIRTYPE, b""), ("d003/.wh..wh..opq", tarfile.REGTYPE, b""),
                             ("d003/only", tarfile.REGTYPE, b"only\n"), ("d004", tarfile.DIRTYPE, b""),
                             ("d004/.wh.f05", tarfile.REGTYPE, b""), (".wh.d006", tarfile.REGTYPE, b"")]:
        ti = tarfile.TarInfo(name)
        ti.type, ti.size = kind, len(data)
        ti.mtime = 1500000004 if name == "d004" else 1700000000
        ti.mode = 0o755 if kind == tarfile.DIRTYPE else 0o644
        t.addfile(ti, io.BytesIO(data))
PY
EDIT append "$L" img "$T_TMP/opaque.tar"
umoci unpack --image "$L:img" "$T_TMP/ref" >"$T_TMP/umoci.log" 2>&1 ||
	{ sed 's/^/# /' "$T_TMP/umoci.log"; skip_all "umoci unpack failed"; }

# meta DIR: prints "layers staging images layer_db" counts of a work dir
meta() {
	python3 - "$1" <<'PY'
import json, os, sys
w = sys.argv[1]
m = {"image_db": {}, "layer_db": {}}
if os.path.exists(os.path.join(w, "meta_store.json")):
    m = json.load(open(os.path.join(w, "meta_store.json")))
print(len(os.listdir(os.path.join(w, "layers"))), len(os.listdir(os.path.join(w, "staging"))),
      len(m["image_db"]), len(m["layer_db"]),
      ",".join(sorted({l["decoder"] for l in m["layer_db"].values()})))
PY
}

# --- the same image in four encodings, each compared with umoci's rootfs
since=$(date +%s%N)
for enc in gzip gzip-multi zstd none; do
	V=$T_TMP/v-$enc
	W=$T_TMP/w-$enc
	cp -a "$L" "$V"
	[ $enc = gzip ] || EDIT recompress "$V" img $enc
	check "$enc: image-pull unpacks 3 layers" IP -w "$W" --layout "$V:img"
	want=Gzip
	[ $enc = zstd ] && want=Zstd
	[ $enc = none ] && want=Uncompressed
	expect_output "$enc: store holds 3 layers, 1 image, decoder $want" "3 0 1 3 $want" meta "$W"
	check "$enc: same tree as umoci unpack" python3 "$H/compare-rootfs.py" "$T_TMP/ref/rootfs" "$W" \
		--implied-after "$since"
done
if grep -q "compared 1[0-9][0-9][0-9] paths" "$T_TMP/out"; then ok "1000+ paths compared"; else
	not_ok "1000+ paths compared: $(tail -1 "$T_TMP/out")"
fi

# --- shared layers, cache hits
W=$T_TMP/w-share
expect_output "base image: 1 layer" "1 unpacked, 0 reused" \
	sh -c "\"$COCOBOX\" image-pull -q -w '$W' --layout '$L:base' | grep -o '[0-9] unpacked, [0-9] reused'"
expect_output "image on top of it: its layer reused" "2 unpacked, 1 reused" \
	sh -c "\"$COCOBOX\" image-pull -q -w '$W' --layout '$L:img' | grep -o '[0-9] unpacked, [0-9] reused'"
expect_output "pulled again: a cache hit" "already in the store" \
	sh -c "\"$COCOBOX\" image-pull -q -w '$W' --layout '$L:img' | grep -o 'already in the store'"
expect_output "store: 3 layers, 2 images" "3 0 2 3 Gzip" meta "$W"
mkdir -p "$W/staging/layer-leftover/x"
IP -w "$W" --layout "$L:base" >/dev/null 2>&1
expect_output "leftover staging removed at start" "3 0 2 3 Gzip" meta "$W"

# --- broken top layers: precise error, nothing of it in the store, no image recorded
for how in blob diffid size truncate; do
	V=$T_TMP/broken-$how
	W=$T_TMP/wb-$how
	cp -a "$L" "$V"
	EDIT corrupt "$V" img $how
	case $how in
	blob) msg="corrupt Gzip data" ;; # found by inflate before the digest at the end
	diffid) msg="diff_id mismatch" ;;
	size) msg="its descriptor says" ;;
	truncate) msg="Gzip stream truncated" ;;
	esac
	IP -w "$W" --layout "$V:img" >"$T_TMP/out" 2>"$T_TMP/err"
	if grep -qF "$msg" "$T_TMP/err"; then ok "$how: fails with '$msg'"; else
		not_ok "$how: fails with '$msg'"
		sed 's/^/# /' "$T_TMP/err"
	fi
	read -r nl ns ni nd _ <<<"$(meta "$W")"
	if [ "$ns" = 0 ] && [ "$ni" = 0 ] && [ "$nl" = "$nd" ] && [ "$nl" -le 2 ]; then
		ok "$how: no trace in the store"
	else not_ok "$how: no trace in the store ($(meta "$W"))"; fi
done

# has_kind KIND PATH: PATH in the layer is what a contained hostile case leaves
has_kind() {
	case $1 in
	f) test -f "$2" && ! test -L "$2" ;;
	p) test -p "$2" ;;
	c) test -c "$2" && [ "$(stat -c %t:%T "$2")" != 0:0 ] ;;
	w) test -c "$2" && [ "$(stat -c %t:%T:%a "$2")" = 0:0:0 ] ;;
	o) python3 -c 'import os,sys; sys.exit(os.getxattr(sys.argv[1], "trusted.overlay.opaque") != b"y")' "$2" ;;
	*) false ;;
	esac
}

# --- hostile tars: one single-layer image each
mkdir -p "$T_TMP/escape"
while IFS=$'\t' read -r c expect what args; do
	V=$T_TMP/h-$c
	W=$T_TMP/hw-$c
	EDIT new "$V" t "$T_TMP/hostile/$c.tar"
	[ "$args" = - ] && args=
	rc=0
	# shellcheck disable=SC2086
	IP -w "$W" --layout "$V:t" $args >"$T_TMP/out" 2>"$T_TMP/err" || rc=$?
	if [ "$expect" = fail ]; then
		read -r nl ns ni nd _ <<<"$(meta "$W")"
		if [ $rc != 0 ] && grep -qF -- "$what" "$T_TMP/err" && [ "$nl$ns$ni$nd" = 0000 ]; then
			ok "hostile $c: refused, store empty"
		else
			not_ok "hostile $c: refused with '$what', store empty (rc $rc, $nl$ns$ni$nd)"
			sed 's/^/# /' "$T_TMP/err" | cut -c1-300
		fi
	else
		kind=${what%%:*}
		p=$W/layers/0/${what#*:}
		if [ $rc = 0 ] && has_kind "$kind" "$p"; then ok "hostile $c: contained ($what)"; else
			not_ok "hostile $c: contained ($what), rc $rc"
			sed 's/^/# /' "$T_TMP/err" | cut -c1-300
		fi
	fi
done <"$T_TMP/hostile/cases.txt"
if [ -z "$(ls -A "$T_TMP/escape")" ]; then ok "nothing escaped"; else
	not_ok "nothing escaped: $(ls -A "$T_TMP/escape")"
fi
done_testing
