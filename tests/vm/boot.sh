#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# Boots the measured initrd under QEMU (TCG: this machine's KVM cannot run a stock
# kernel, ../shared/reference/testbed.md §4) and runs one script inside the guest.
#   tests/vm/boot.sh [options] GUEST_SCRIPT     exit status: the script's
#   tests/vm/boot.sh [options] --shell          an interactive shell on the console
# Options:
#   --initrd FILE     the measured initrd (default: built from build/cocobox now)
#   --share DIR       host directory mounted at /share (9p); GUEST_SCRIPT is copied there
#   --disk FILE       a raw virtio disk (repeatable: /dev/vda, /dev/vdb, ...)
#   --file SRC:DST    put host file SRC at DST in the guest (repeatable; e.g. a tool and
#                     its shared libraries, for checks the measured image has no tool for)
#   --tpm             a swtpm TPM 2.0 as TPM-TIS (/dev/tpm0, /dev/tpmrm0)
#   --tpm-state DIR   the same, with the swtpm state in DIR (e.g. an AK provisioned)
#   --env NAME=VALUE  set in the guest script's environment (repeatable)
#   --timeout S       kill the guest after S seconds (default 300)
#   --mem MB          guest memory (default 1024)
# The guest gets the initrd plus a second archive with the kernel modules it needs
# (virtio, 9p, fuse/cuse, dm, ext4, overlay, TPM) and busybox for the test scripts, which
# the measured image does not carry. The host's 127.0.0.1 is 10.0.2.2 in the guest
# (QEMU user networking). The kernel comes from tests/vm/kernel.sh.
set -euo pipefail

top=$(cd "$(dirname "$0")/../.." && pwd)
initrd= share= tpm=0 tpm_state= timeout=300 mem=1024 shell=0
disks=() envs=() files=()
while [ $# -gt 0 ]; do
	case $1 in
	--initrd) initrd=$2; shift ;;
	--share) share=$2; shift ;;
	--disk) disks+=("$2"); shift ;;
	--file) files+=("$2"); shift ;;
	--tpm) tpm=1 ;;
	--tpm-state) tpm=1; tpm_state=$2; shift ;;
	--env) envs+=("$2"); shift ;;
	--timeout) timeout=$2; shift ;;
	--mem) mem=$2; shift ;;
	--shell) shell=1 ;;
	-*) echo "boot.sh: unknown option $1" >&2; exit 2 ;;
	*) break ;;
	esac
	shift
done
[ $shell = 1 ] || [ $# = 1 ] || { echo "usage: $0 [options] GUEST_SCRIPT | --shell" >&2; exit 2; }
script=${1:-}

for c in qemu-system-x86_64 busybox cpio /usr/sbin/depmod /usr/sbin/modprobe; do
	command -v "$c" >/dev/null || { echo "boot.sh: $c missing (apt-get install qemu-system-x86 busybox-static cpio kmod)" >&2; exit 77; }
done

work=$(mktemp -d "${TMPDIR:-/tmp}/cocobox-vm.XXXXXX")
pids=()
cleanup() {
	for p in ${pids[@]+"${pids[@]}"}; do kill "$p" 2>/dev/null || true; done
	wait 2>/dev/null || true
	rm -rf "$work"
}
trap cleanup EXIT

# --- the kernel: Debian's current linux-image-amd64 (tests/vm/kernel.sh) ---
kroot=$("$top/tests/vm/kernel.sh") || exit $?
kver=$(ls "$kroot/lib/modules")

# --- the guest's initrd: ours, then modules and test tools ---
if [ -z "$initrd" ]; then
	initrd=$work/initrd.img
	"$top/initrd/mkinitrd.sh" --cocobox "${COCOBOX:-$top/build/cocobox}" \
		${MKE2FS:+--mke2fs "$MKE2FS"} "$initrd" >/dev/null
fi
extra=$work/extra
mkdir -p "$extra/usr/lib/modules" "$extra/usr/libexec/busybox" "$extra/usr/sbin"
modules="virtio_pci virtio_net virtio_blk 9p 9pnet_virtio fuse cuse overlay ext4 loop configfs
	dm_crypt dm_integrity dm_verity tpm_tis authenc xts aes_generic sha256_generic hmac
	crypto_user algif_skcipher"
for m in $modules; do
	/usr/sbin/modprobe -d "$kroot" -S "$kver" --show-depends "$m" 2>/dev/null |
		awk '$1 == "insmod" {print $2}'
done | sort -u | while read -r ko; do
	rel=${ko#"$kroot"/}
	rel=${rel#usr/}
	mkdir -p "$extra/usr/$(dirname "$rel")"
	cp "$ko" "$extra/usr/$rel"
done
for f in modules.order modules.builtin modules.builtin.modinfo; do
	cp "$kroot/lib/modules/$kver/$f" "$extra/usr/lib/modules/$kver/" 2>/dev/null || true
done
/usr/sbin/depmod -b "$extra/usr" "$kver"
cp "$(command -v busybox)" "$extra/usr/libexec/busybox/busybox"
ln -s ../libexec/busybox/busybox "$extra/usr/sbin/modprobe"
for f in ${files[@]+"${files[@]}"}; do
	mkdir -p "$extra/$(dirname "${f#*:}")"
	cp -L "${f%%:*}" "$extra/${f#*:}"
done
cat >"$extra/vm-init" <<'EOF'
#!/usr/libexec/busybox/busybox sh
# The test guest's init: busybox applets in /usr/libexec/busybox, modules, network,
# the 9p share, then the script; its status goes out as "VM-EXIT <rc>".
bb=/usr/libexec/busybox/busybox
$bb --install -s /usr/libexec/busybox
export PATH=/usr/bin:/usr/sbin:/usr/libexec/busybox
mount -t proc proc /proc; mount -t sysfs sys /sys; mount -t devtmpfs dev /dev
mount -t tmpfs tmp /tmp; mount -t tmpfs run /run
mkdir -p /dev/pts && mount -t devpts devpts /dev/pts
for m in virtio_pci virtio_net virtio_blk 9pnet_virtio 9p fuse cuse overlay ext4 loop configfs \
	dm_crypt dm_integrity tpm_tis; do modprobe $m 2>/dev/null; done
mount -t configfs none /sys/kernel/config 2>/dev/null
ip link set lo up
if ip link set eth0 up 2>/dev/null; then
	ip addr add 10.0.2.15/24 dev eth0 && ip route add default via 10.0.2.2
fi
mkdir -p /share && mount -t 9p -o trans=virtio,version=9p2000.L share /share 2>/dev/null
[ -f /share/env ] && . /share/env
echo "VM-READY uptime $(cut -d' ' -f1 /proc/uptime)"
if [ -f /share/guest-script ]; then
	sh /share/guest-script
	echo "VM-EXIT $?"
else
	setsid cttyhack sh
fi
sync
poweroff -f
EOF
chmod 0755 "$extra/vm-init"
ln -s vm-init "$extra/init"
(cd "$extra" && find . -mindepth 1 | LC_ALL=C sort | cpio --quiet -o -H newc -R 0:0) |
	gzip -1 >"$work/extra.img"
cat "$initrd" "$work/extra.img" >"$work/guest.img"

# --- share, script, environment ---
if [ -z "$share" ]; then
	share=$work/share
	mkdir -p "$share"
fi
rm -f "$share/guest-script" "$share/env"
[ -z "$script" ] || cp "$script" "$share/guest-script"
for e in ${envs[@]+"${envs[@]}"}; do
	printf 'export %s=%q\n' "${e%%=*}" "${e#*=}" >>"$share/env"
done

qemu=(qemu-system-x86_64 -machine q35 -accel tcg -cpu max -m "$mem" -smp 2 -nodefaults
	-display none -no-reboot -kernel "$kroot/boot/vmlinuz-$kver" -initrd "$work/guest.img"
	-append "console=ttyS0 quiet loglevel=1 panic=-1 rdinit=/init"
	-netdev user,id=n0 -device virtio-net-pci,netdev=n0
	-virtfs "local,path=$share,mount_tag=share,security_model=none,id=share0")
for d in ${disks[@]+"${disks[@]}"}; do
	qemu+=(-drive "file=$d,format=raw,if=virtio,cache=unsafe")
done
if [ $tpm = 1 ]; then
	command -v swtpm >/dev/null || { echo "boot.sh: swtpm missing" >&2; exit 77; }
	mkdir -p "$work/tpm"
	swtpm socket --tpm2 --tpmstate "dir=${tpm_state:-$work/tpm}" \
		--ctrl "type=unixio,path=$work/tpm/sock" \
		--flags startup-clear >/dev/null 2>&1 &
	pids+=($!)
	for _ in $(seq 100); do [ -S "$work/tpm/sock" ] && break; sleep 0.05; done
	qemu+=(-chardev "socket,id=chrtpm,path=$work/tpm/sock" -tpmdev emulator,id=tpm0,chardev=chrtpm
		-device tpm-tis,tpmdev=tpm0)
fi

if [ $shell = 1 ]; then
	exec "${qemu[@]}" -serial mon:stdio
fi
# The console goes to a file and to stdout; the script's status is the marker line.
timeout "$timeout" "${qemu[@]}" -serial stdio </dev/null | tee "$work/console" | tr -d '\r'
rc=$(tr -d '\r' <"$work/console" | awk '/^VM-EXIT [0-9]+$/ {print $2}' | tail -1)
[ -n "$rc" ] || { echo "boot.sh: the guest script did not finish (timeout ${timeout}s?)" >&2; exit 1; }
exit "$rc"
