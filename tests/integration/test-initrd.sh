#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# initrd/mkinitrd.sh: two builds at different times and from different staging dirs give
# the same bytes; the image holds cocobox and one link per applet in merged-/usr form,
# and mkfs.ext4 when $MKE2FS names the static mke2fs (tests/run.sh builds it), all
# root-owned with the fixed mtime, within the 6 MiB target; the digests it prints are the
# image's.
. "$(dirname "$0")/lib.sh"

command -v cpio >/dev/null || skip_all "cpio missing (apt-get install cpio)"
plan 8
MK=$TOP_SRCDIR/initrd/mkinitrd.sh
export SOURCE_DATE_EPOCH=1700000000
mk=("$MK" --cocobox "$COCOBOX")
[ -x "${MKE2FS:-}" ] && mk+=(--mke2fs "$MKE2FS")
"${mk[@]}" "$T_TMP/a.img" >"$T_TMP/a.out" 2>&1
sleep 1.1
TMPDIR=$T_TMP "${mk[@]}" "$T_TMP/b.img" >"$T_TMP/b.out" 2>&1
check "two builds are byte for byte the same" cmp "$T_TMP/a.img" "$T_TMP/b.img"
expect_output "the printed SHA-256 is the image's" "sha256: $(sha256sum "$T_TMP/a.img" | cut -d' ' -f1)" \
	grep '^sha256:' "$T_TMP/a.out"
expect_output "the printed SHA-384 is the image's" "sha384: $(sha384sum "$T_TMP/a.img" | cut -d' ' -f1)" \
	grep '^sha384:' "$T_TMP/a.out"
size=$(stat -c %s "$T_TMP/a.img")
if [ "$size" -le $((6 * 1024 * 1024)) ]; then ok "compressed size $size bytes (target 6 MiB)"; else
	not_ok "compressed size $size bytes is over 6 MiB"; fi
zcat "$T_TMP/a.img" | (cd "$T_TMP" && mkdir x && cd x && cpio -idm --quiet 2>/dev/null)
want=$("$COCOBOX" --list | sed 's|^|usr/bin/|' | sort | tr '\n' ' ')
got=$(cd "$T_TMP/x" && find usr/bin -type l | sort | tr '\n' ' ')
expect_output "one link per applet in /usr/bin" "$want" echo "$got"
if [ -x "${MKE2FS:-}" ]; then
	check "mkfs.ext4 is the static mke2fs" sh -c "test \"\$(readlink '$T_TMP/x/usr/sbin/mkfs.ext4')\" = mke2fs && file '$T_TMP/x/usr/sbin/mke2fs' | grep -q 'statically linked'"
else
	skip "no static mke2fs given (MKE2FS; deps/build-tools.sh builds it)"
fi
check "bin, sbin and lib are links into /usr" \
	test "$(readlink "$T_TMP/x/bin") $(readlink "$T_TMP/x/sbin") $(readlink "$T_TMP/x/lib")" = "usr/bin usr/sbin usr/lib"
check "every entry is uid 0, gid 0, dated SOURCE_DATE_EPOCH" python3 - "$T_TMP/a.img" <<'PY'
import gzip, sys
d = gzip.open(sys.argv[1]).read()
i = n = 0
while True:
    h = d[i:i + 110]
    assert h[:6] == b"070701", h[:6]
    f = [int(h[6 + 8 * k:14 + 8 * k], 16) for k in range(13)]
    ino, mode, uid, gid, nlink, mtime, size, _, _, _, _, namesize = f[:12]
    name = d[i + 110:i + 110 + namesize - 1].decode()
    if name == "TRAILER!!!":
        break
    assert (uid, gid, mtime) == (0, 0, 1700000000), (name, uid, gid, mtime)
    i = (i + 110 + namesize + 3) & ~3
    i = (i + size + 3) & ~3
    n += 1
assert n > 10, n
PY
done_testing
