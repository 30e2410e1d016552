# SPDX-License-Identifier: Apache-2.0
# Guest half of test-secure-mount.sh (busybox sh, cocobox applets and mkfs.ext4 from the
# initrd, dmsetup and cryptsetup from the host for checks only; disks /dev/vda (256 MiB),
# /dev/vdb (1 GiB), /dev/vdc (64 MiB), /dev/vdd (1 GiB)). SecureMount in Kata's two forms (upstream.md
# §2.3): ephemeral with integrity by deviceId; /dev/trusted_store-style devicePath with a
# file:// key; a key from a KBS resource (offline_fs_kbc). An "encrypted" source (LUKS2 header on the device, as upstream opens it)
# reopened after a CDH restart, and refused with a wrong key. Failing requests leave
# nothing, and the 1 GiB bench against the cryptsetup + mkfs.ext4 CLIs. Prints TAP.
fails=0
n=0
ok() { n=$((n + 1)); echo "ok $n $1"; }
bad() { n=$((n + 1)); echo "not ok $n $1"; fails=$((fails + 1)); }
t() { if "$@" >/tmp/t.out 2>&1; then ok "$NAME"; else bad "$NAME"; sed 's/^/# /' /tmp/t.out | head -20; fi; }
ms() { awk '{ printf "%d", $1 * 1000 }' /proc/uptime; }
for m in dm_crypt dm_integrity; do modprobe $m 2>/dev/null; done
export DM_DISABLE_UDEV=1 # no udev in the guest (testbed.md A6)
# dm NAME: the mapper device NAME exists (by sysfs, which needs no tool).
dm() { cat /sys/block/dm-*/dm/name 2>/dev/null | grep -qx "$1"; }
tn() { if "$@" >/tmp/t.out 2>&1; then bad "$NAME"; else ok "$NAME"; sed 's/^/# /' /tmp/t.out | head -5; fi; }
RUN=/run/confidential-containers
CDHS=$RUN/cdh.sock
mkdir -p $RUN
cat >/root/cdh.toml <<EOT
socket = "unix://$CDHS"
[kbc]
name = "offline_fs_kbc"
url = ""
EOT
start_cdh() {
	rm -f "$CDHS"
	confidential-data-hub -c /root/cdh.toml >>/tmp/cdh.log 2>&1 &
	cdh=$!
	i=0
	while [ ! -S "$CDHS" ] && [ $i -lt 3000 ]; do usleep 10000; i=$((i + 1)); done
	[ -S "$CDHS" ]
}
# sm MOUNT_POINT VOLUME_TYPE 'JSON options'
sm() {
	printf '{"volume_type":"%s","options":%s,"flags":[],"mount_point":"%s"}' "$2" "$3" "$1" \
		>/tmp/sm.json
	cdh-tool -s "unix://$CDHS" secure-mount -s /tmp/sm.json
}
# A KBS resource for kbs:// keys, served by offline_fs_kbc.
printf '{"default/key/disk":"%s"}' "$(head -c 64 /dev/urandom | base64 | tr -d '\n')" \
	>/etc/aa-offline_fs_kbc-resources.json
NAME="CDH started"; t start_cdh
vda_id=$(cat /sys/block/vda/dev)

# 1. Kata's ephemeral storage: deviceId, empty, random key, luks2, ext4, integrity.
mkdir -p /run/eph
NAME="ephemeral SecureMount with integrity"
t sm /run/eph block-device "{\"deviceId\":\"$vda_id\",\"sourceType\":\"empty\",\"targetType\":\"fileSystem\",\"filesystemType\":\"ext4\",\"encryptionType\":\"luks2\",\"dataIntegrity\":\"true\",\"mapperName\":\"eph\"}"
NAME="ephemeral is ext4 on dm-crypt+dm-integrity"
t sh -c 'grep -q "^/dev/mapper/eph /run/eph ext4" /proc/mounts && dmsetup table | grep -q "^eph_dif: .* integrity"'
dd if=/dev/urandom of=/tmp/data bs=1k count=512 2>/dev/null
NAME="ephemeral write + read back"
t sh -c 'cp /tmp/data /run/eph/d && sync && echo 3 >/proc/sys/vm/drop_caches && cmp /tmp/data /run/eph/d'
NAME="detached header made (16 MiB)"
t sh -c "[ \$(stat -c %s $RUN/cdh/luks-headers/*.header) = 16777216 ]"
NAME="ephemeral closes"
t sh -c 'umount /run/eph && dmsetup remove eph && dmsetup remove eph_dif && ! cat /sys/block/dm-*/dm/name 2>/dev/null | grep -q "^eph"'
rm -f $RUN/cdh/luks-headers/*

# 2. /dev/trusted_store form with a file:// key, formatted then reopened as encrypted.
ln -sf /dev/vda /dev/trusted_store
head -c 64 /dev/urandom >/root/ts.key
mkdir -p /run/ts
NAME="trusted_store SecureMount (empty, file:// key)"
t sm /run/ts block-device '{"devicePath":"/dev/trusted_store","sourceType":"empty","targetType":"fileSystem","encryptionType":"luks2","key":"file:///root/ts.key","mapperName":"ts"}'
NAME="trusted_store write"
t sh -c 'cp /tmp/data /run/ts/d && sync && umount /run/ts'
dmsetup remove ts
rm -f $RUN/cdh/luks-headers/*

# The key from a KBS resource (kbs:///default/key/disk through the CDH's getter).
mkdir -p /run/kk
NAME="SecureMount with a kbs:// key"
t sm /run/kk block-device '{"devicePath":"/dev/vda","sourceType":"empty","targetType":"fileSystem","encryptionType":"luks2","key":"kbs:///default/key/disk","mapperName":"kk"}'
NAME="... write + read back"
t sh -c 'cp /tmp/data /run/kk/d && sync && echo 3 >/proc/sys/vm/drop_caches && cmp /tmp/data /run/kk/d && umount /run/kk'
dmsetup remove kk
rm -f $RUN/cdh/luks-headers/*
NAME="a kbs:// key the KBS does not have is refused"
tn sm /run/kk block-device '{"devicePath":"/dev/vda","sourceType":"empty","encryptionType":"luks2","key":"kbs:///default/key/none","mapperName":"kk"}'
NAME="... leaving no mapper device or header"
t sh -c '! dm kk && [ -z "$(ls -A '"$RUN"'/cdh/luks-headers 2>/dev/null)" ]'

# 3. An "encrypted" source: a LUKS2 volume with its header on the device (made here with
# the cryptsetup CLI, as a previous boot's owner would have), an ext4 file inside. After a
# CDH restart SecureMount opens and mounts it with the file:// key; a wrong key is refused.
head -c 64 /dev/urandom >/root/enc.key
NAME="an encrypted volume with an on-disk header (cryptsetup CLI)"
t sh -c 'cryptsetup --batch-mode luksFormat --type luks2 --pbkdf pbkdf2 --pbkdf-force-iterations 1000 \
	--key-file /root/enc.key /dev/vdc && cryptsetup open --key-file /root/enc.key /dev/vdc prep &&
	mkfs.ext4 -q -F /dev/mapper/prep && mkdir -p /tmp/prep && mount /dev/mapper/prep /tmp/prep &&
	echo "kept across boots" >/tmp/prep/f && umount /tmp/prep && cryptsetup close prep'
NAME="restart CDH"
t sh -c "kill $cdh; wait $cdh 2>/dev/null; true"
t start_cdh
vdc_id=$(cat /sys/block/vdc/dev)
head -c 64 /dev/urandom >/root/bad.key
mkdir -p /run/enc
NAME="encrypted source with a wrong key is refused"
tn sm /run/enc block-device "{\"deviceId\":\"$vdc_id\",\"sourceType\":\"encrypted\",\"targetType\":\"fileSystem\",\"encryptionType\":\"luks2\",\"key\":\"file:///root/bad.key\",\"mapperName\":\"enc\"}"
NAME="... leaving no mapper device or mount"
t sh -c '! dm enc && ! grep -q /run/enc /proc/mounts'
NAME="encrypted source reopened after the restart"
t sm /run/enc block-device "{\"deviceId\":\"$vdc_id\",\"sourceType\":\"encrypted\",\"targetType\":\"fileSystem\",\"encryptionType\":\"luks2\",\"key\":\"file:///root/enc.key\",\"mapperName\":\"enc\"}"
NAME="... its data is there"
t sh -c 'test "$(cat /run/enc/f)" = "kept across boots"'
umount /run/enc
dmsetup remove enc

# 4. A failing request leaves nothing behind.
mkdir -p /run/bad
NAME="failing empty request (bad mkfsOpts) fails"
tn sm /run/bad block-device '{"devicePath":"/dev/trusted_store","sourceType":"empty","encryptionType":"luks2","mkfsOpts":"--no-such-option","mapperName":"bad"}'
NAME="failing request leaves no mapper, header or mount"
t sh -c '! cat /sys/block/dm-*/dm/name 2>/dev/null | grep -q "^bad" && ! grep -q /run/bad /proc/mounts && [ -z "$(ls -A '"$RUN"'/cdh/luks-headers 2>/dev/null)" ]'

# 5. Bench: 1 GiB with integrity, SecureMount vs the CLIs doing the same steps, each on
# its own fresh sparse disk (vdb, vdd), the CLIs first so the first run pays no warm-up
# the second does not.
vdb_id=$(cat /sys/block/vdb/dev)
mkdir -p /run/b1 /run/b2
if command -v cryptsetup >/dev/null; then
	head -c 4096 /dev/urandom >/tmp/k
	t2=$(ms)
	truncate -s 16M /tmp/h && cryptsetup --batch-mode luksFormat --type luks2 --cipher aes-xts-plain64 \
		--sector-size 4096 --header /tmp/h --integrity hmac-sha256 --integrity-no-wipe \
		--integrity-no-journal --pbkdf pbkdf2 --pbkdf-force-iterations 1000 /dev/vdd /tmp/k &&
		cryptsetup luksOpen --header /tmp/h -d /tmp/k /dev/vdd b2 &&
		mkfs.ext4 -F -E lazy_itable_init=0 /dev/mapper/b2 >/dev/null 2>&1 && mount /dev/mapper/b2 /run/b2
	t3=$(ms)
fi
t0=$(ms)
NAME="bench: SecureMount 1 GiB with integrity"
t sm /run/b1 block-device "{\"deviceId\":\"$vdb_id\",\"sourceType\":\"empty\",\"encryptionType\":\"luks2\",\"dataIntegrity\":\"true\",\"mapperName\":\"b1\"}"
t1=$(ms)
if [ -n "${t3:-}" ]; then
	echo "# FIGURE SecureMount 1 GiB with integrity: $((t1 - t0)) ms; cryptsetup + mkfs.ext4 CLIs (same PBKDF): $((t3 - t2)) ms; ratio $(awk "BEGIN{printf \"%.2f\", ($t1 - $t0) / ($t3 - $t2)}")"
else
	echo "# FIGURE SecureMount 1 GiB with integrity: $((t1 - t0)) ms (no cryptsetup CLI in the guest for the ratio)"
fi
kill $cdh 2>/dev/null
[ $fails = 0 ] || grep -v "^$" /tmp/cdh.log | tail -15 | sed "s/^/# cdh: /"
echo "1..$n"
exit $fails
