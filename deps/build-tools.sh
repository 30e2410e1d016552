#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# Build the static musl tools the guest initrd ships (deps/pins-tools: mke2fs from Debian's
# e2fsprogs), keyed by sha256(pins-tools + this file) so the library cache of deps/pins is
# never touched: `deps/build-tools.sh` builds if needed and prints the prefix,
# `deps/build-tools.sh --prefix` only prints it. Output: <cache>/tools-<key>/sbin/mke2fs.
# Size-minded: musl-gcc -Os, function/data sections, --gc-sections, -static, stripped; the
# private libuuid/libblkid of e2fsprogs, no NLS, no libarchive (mke2fs -d tar input), no fuse.
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=${COCOBOX_DEPS_CACHE:-/var/cache/cocobox-deps}
key=$(cat "$here/pins-tools" "$here/build-tools.sh" | sha256sum | cut -c1-16)
prefix=$root/tools-$key
stamp=.cocobox-tools-complete

die() {
	echo "deps-tools: $*" >&2
	exit 1
}
case $#:${1-} in
1:--prefix) echo "$prefix"; exit 0 ;;
0:) ;;
*) die "usage: deps/build-tools.sh [--prefix]" ;;
esac
if [ -f "$prefix/$stamp" ]; then
	echo "$prefix"
	exit 0
fi
unset CC CFLAGS CPPFLAGS LDFLAGS LIBS MAKEFLAGS PKG_CONFIG_PATH PKG_CONFIG_LIBDIR
export LC_ALL=C DEBIAN_FRONTEND=noninteractive
mkdir -p "$root/src" || die "cannot create $root"
command -v musl-gcc >/dev/null || die "musl-gcc is not installed (musl-tools)"

read -r name ver mode sha < <(grep -v '^#' "$here/pins-tools" | grep -m1 '^e2fsprogs ')
[ "$name" = e2fsprogs ] && [ "$mode" = full ] && [[ $sha =~ ^[0-9a-f]{64}$ ]] || die "bad e2fsprogs line in deps/pins-tools"
v=${ver#*:}
orig=$root/src/${name}_${v%-*}.orig.tar.gz
dsc=$root/src/${name}_$v.dsc

exec 9>"$root/src/.lock-tools"
flock 9
if [ ! -f "$dsc" ] || [ ! -f "$orig" ]; then
	dl=$(mktemp -d "$root/src/.dl.XXXXXX")
	chmod 777 "$dl" # apt downloads as user _apt
	# The mirror 404s on the upstream signature (.orig.tar.gz.asc) and apt then exits 1:
	# judge by the files, which dpkg-source -x checks against the .dsc and we against pins.
	(cd "$dl" && apt-get source --download-only --only-source "$name=$ver") >&2 || true
	[ -f "$dl/${dsc##*/}" ] && [ -f "$dl/${orig##*/}" ] || { rm -rf "$dl"; die "apt-get source $name=$ver failed"; }
	rm -f "$dl"/*.asc
	chmod 644 "$dl"/*
	mv -f "$dl"/* "$root/src/"
	rmdir "$dl"
fi
got=$(sha256sum "$orig" | cut -d' ' -f1)
[ "$got" = "$sha" ] || die "sha256 mismatch for $orig: got $got, deps/pins-tools says $sha"

log=$prefix.log
tmp=$prefix.tmp
rm -rf "$tmp"
mkdir -p "$tmp"
src=$tmp/src
echo "deps-tools: building $name $ver (log: $log)" >&2
exec 3>&2 4>&1 >"$log" 2>&1
trap 'echo "deps-tools: build failed; see $log" >&3' ERR
# dpkg-source -x wants every file of the .dsc, and the mirror has no .asc: unpack by hand,
# checking the Debian tarball against the .dsc's Checksums-Sha256, then apply the series.
deb=$(awk '/^Checksums-Sha256:/{f=1;next} /^[^ ]/{f=0} f && $3 ~ /debian\.tar/{print $1, $3}' "$dsc")
[ -n "$deb" ]
(cd "$root/src" && echo "$deb" | sed 's/ /  /' | sha256sum -c -)
mkdir -p "$src"
tar -xf "$orig" -C "$src" --strip-components=1
tar -xf "$root/src/${deb#* }" -C "$src"
if [ -f "$src/debian/patches/series" ]; then
	grep -v '^[[:space:]]*\(#\|$\)' "$src/debian/patches/series" | while read -r p _; do
		patch -d "$src" -p1 -s <"$src/debian/patches/$p"
	done
fi
# musl-gcc is -nostdinc: the kernel uapi headers come in through a private -isystem dir.
mkdir -p "$tmp/kinc"
ln -s /usr/include/linux "$tmp/kinc/linux"
ln -s /usr/include/asm-generic "$tmp/kinc/asm-generic"
ln -s /usr/include/x86_64-linux-gnu/asm "$tmp/kinc/asm"
cd "$src"
./configure CC=musl-gcc \
	CFLAGS="-Os -ffunction-sections -fdata-sections -isystem $tmp/kinc" \
	LDFLAGS="-static -Wl,--gc-sections -s" \
	--disable-nls --disable-fuse2fs --disable-uuidd --disable-e2initrd-helper \
	--disable-debugfs --disable-imager --disable-resizer --disable-defrag \
	--disable-fsck --disable-tdb --disable-bmap-stats --disable-elf-shlibs \
	--enable-libuuid --enable-libblkid --without-libarchive --without-pthread
make -j"$(nproc)" libs
make -j"$(nproc)" -C misc mke2fs
mkdir -p "$tmp/sbin"
install -m 0755 misc/mke2fs "$tmp/sbin/mke2fs"
strip --strip-all "$tmp/sbin/mke2fs"
# A static binary has no interpreter: refuse anything else.
file "$tmp/sbin/mke2fs" | grep -q 'statically linked'
cd /
trap - ERR
exec 1>&4 2>&3 3>&- 4>&-
rm -rf "$src" "$tmp/kinc"
touch "$tmp/$stamp"
rm -rf "$prefix"
mv "$tmp" "$prefix"
echo "$prefix"
