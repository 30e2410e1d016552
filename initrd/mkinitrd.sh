#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# The measured initrd: cocobox with one link per applet, the static mke2fs that secure
# mounts need (when given), the directories the daemons use, and an optional /init.
# Reproducible: entries sorted, owners 0:0, every mtime SOURCE_DATE_EPOCH (default: the
# last commit's time), cpio newc without inode or device numbers, gzip -n -9 (no name or
# time in the header; every kernel has a gzip decompressor, and -9 is the smallest it
# makes). Two builds from the same inputs are the same bytes; the script prints the
# image's SHA-256 and SHA-384, the reference values a verifier pins.
#   initrd/mkinitrd.sh [--cocobox FILE] [--mke2fs FILE] [--init FILE] [--add SRC:DEST]... OUT
set -euo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
cocobox=$top/build/cocobox
mke2fs=
init=
adds=()
while [ $# -gt 1 ]; do
	case $1 in
	--cocobox) cocobox=$2 ;;
	--mke2fs) mke2fs=$2 ;;
	--init) init=$2 ;;
	--add) adds+=("$2") ;;
	*) break ;;
	esac
	shift 2
done
[ $# = 1 ] || {
	echo "usage: $0 [--cocobox FILE] [--mke2fs FILE] [--init FILE] [--add SRC:DEST]... OUT" >&2
	exit 2
}
out=$1
[ -x "$cocobox" ] || { echo "mkinitrd: $cocobox is not an executable (ninja -C build?)" >&2; exit 1; }
if [ -z "${SOURCE_DATE_EPOCH:-}" ]; then
	SOURCE_DATE_EPOCH=$(git -C "$top" log -1 --format=%ct 2>/dev/null || echo 0)
fi

stage=$(mktemp -d "${TMPDIR:-/tmp}/cocobox-initrd.XXXXXX")
trap 'rm -rf "$stage"' EXIT
umask 022
mkdir -p "$stage"/{usr/bin,usr/sbin,usr/lib,dev,proc,sys,tmp,etc,run,var/lib,mnt}
chmod 1777 "$stage/tmp"
# Debian's merged /usr layout: /bin, /sbin and /lib are links, so either path finds a
# program (and modprobe finds /lib/modules in a guest that adds them).
ln -s usr/bin "$stage/bin"
ln -s usr/sbin "$stage/sbin"
ln -s usr/lib "$stage/lib"
# Shipped stripped; strip(1) output depends only on its input.
strip --strip-all -o "$stage/usr/bin/cocobox" "$cocobox"
chmod 0755 "$stage/usr/bin/cocobox"
for a in $("$stage/usr/bin/cocobox" --list); do
	ln -s cocobox "$stage/usr/bin/$a"
done
if [ -n "$mke2fs" ]; then
	strip --strip-all -o "$stage/usr/sbin/mke2fs" "$mke2fs"
	chmod 0755 "$stage/usr/sbin/mke2fs"
	ln -s mke2fs "$stage/usr/sbin/mkfs.ext4"
fi
[ -z "$init" ] || install -m 0755 "$init" "$stage/init"
for a in ${adds[@]+"${adds[@]}"}; do
	mkdir -p "$stage/$(dirname "${a#*:}")"
	cp -a "${a%%:*}" "$stage/${a#*:}"
done

find "$stage" -exec touch -h -d "@$SOURCE_DATE_EPOCH" {} +
(cd "$stage" && find . -mindepth 1 | LC_ALL=C sort |
	cpio --quiet -o -H newc -R 0:0 --reproducible) | gzip -n -9 >"$out.tmp"
mv "$out.tmp" "$out"
echo "initrd: $out, $(stat -c %s "$out") bytes"
echo "sha256: $(sha256sum "$out" | cut -d' ' -f1)"
echo "sha384: $(sha384sum "$out" | cut -d' ' -f1)"
