#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# SecureMount (cdh/storage, LUKS2 through libcryptsetup in process) in a guest with three
# scratch virtio disks: guest/secure-mount.sh. The host's dmsetup and cryptsetup (with
# their libraries) go in for checks, for making an on-disk-header volume, and for the
# CLI side of the 1 GiB bench only; the CDH uses neither.
. "$(dirname "$0")/lib.sh"

[ -x "${MKE2FS:-}" ] || vm_skip "no static mke2fs (MKE2FS; deps/build-tools.sh builds it)"
for t in dmsetup cryptsetup; do
	command -v $t >/dev/null || vm_skip "$t missing (apt-get install dmsetup cryptsetup-bin)"
done
truncate -s 256M "$VM_TMP/vda.img"
truncate -s 1G "$VM_TMP/vdb.img"
truncate -s 64M "$VM_TMP/vdc.img"
truncate -s 1G "$VM_TMP/vdd.img"
files=()
for b in "$(command -v dmsetup)" "$(command -v cryptsetup)"; do
	files+=(--file "$b:/usr/sbin/$(basename "$b")")
	for l in $(ldd "$b" | awk '$3 ~ /^\// {print $3}'); do
		files+=(--file "$l:/usr/lib/x86_64-linux-gnu/$(basename "$l")")
	done
done
files+=(--file /lib64/ld-linux-x86-64.so.2:/lib64/ld-linux-x86-64.so.2)
vm_run "$TOP_SRCDIR/tests/vm/guest/secure-mount.sh" --timeout 500 --mem 1536 \
	--disk "$VM_TMP/vda.img" --disk "$VM_TMP/vdb.img" --disk "$VM_TMP/vdc.img" \
	--disk "$VM_TMP/vdd.img" "${files[@]}"
