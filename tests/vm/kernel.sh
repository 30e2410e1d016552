#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# Prints the root of Debian's current amd64 kernel package (linux-image-amd64's
# dependency) unpacked with its modules indexed: <root>/boot/vmlinuz-<kver>,
# <root>/boot/config-<kver>, <root>/lib/modules/<kver>. Downloaded with apt-get download
# (never installed) once into ${COCOBOX_VM_CACHE:-/var/cache/cocobox-vm}, keyed by the
# package version. Exit 77 when it cannot be had (no apt index, no archive).
set -euo pipefail
cache=${COCOBOX_VM_CACHE:-/var/cache/cocobox-vm}
pkg=$(apt-cache depends linux-image-amd64 2>/dev/null | awk '/Depends: linux-image-[0-9]/ {print $2; exit}')
[ -n "$pkg" ] || { echo "kernel.sh: apt knows no linux-image-amd64 (apt-get update?)" >&2; exit 77; }
ver=$(apt-cache policy "$pkg" | awk '/Candidate:/ {print $2}')
kdir=$cache/$pkg-$ver
kver=${pkg#linux-image-}
if [ ! -f "$kdir/.complete" ]; then
	mkdir -p "$cache"
	exec 9>"$cache/.lock"
	flock 9
	if [ ! -f "$kdir/.complete" ]; then
		rm -rf "$kdir.tmp" && mkdir -p "$kdir.tmp"
		(cd "$kdir.tmp" && apt-get download -q -o APT::Sandbox::User=root "$pkg=$ver" >/dev/null) ||
			{ echo "kernel.sh: cannot download $pkg=$ver" >&2; exit 77; }
		dpkg-deb -x "$kdir.tmp"/*.deb "$kdir.tmp/root"
		rm -f "$kdir.tmp"/*.deb
		/usr/sbin/depmod -b "$kdir.tmp/root" "$kver"
		touch "$kdir.tmp/.complete"
		rm -rf "$kdir" && mv "$kdir.tmp" "$kdir"
	fi
	exec 9>&-
fi
echo "$kdir/root"
