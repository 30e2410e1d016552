# SPDX-License-Identifier: Apache-2.0
# Host side of the vm suite: each tests/vm/test-*.sh prepares a share directory, boots the
# guest with tests/vm/boot.sh running one tests/vm/guest/*.sh, and passes its TAP on.
# Environment from meson: COCOBOX, TOP_SRCDIR, TOP_BUILDDIR, and the helpers' paths.
set -u
VM_TMP=$(mktemp -d /tmp/cocobox-vmtest.XXXXXX)
VM_PIDS=""
vm_cleanup() {
	for p in $VM_PIDS; do kill "$p" 2>/dev/null; done
	wait 2>/dev/null
	rm -rf "$VM_TMP"
}
trap vm_cleanup EXIT
SHARE=$VM_TMP/share
mkdir -p "$SHARE"

vm_skip() { echo "1..0 # SKIP $*"; exit 0; }
command -v qemu-system-x86_64 >/dev/null || vm_skip "qemu-system-x86_64 missing (apt-get install qemu-system-x86)"
[ "$(uname -m)" = x86_64 ] || vm_skip "the guest kernel is amd64"

# vm_run GUEST_SCRIPT [boot.sh options...]: boots, prints the guest's TAP lines (the rest
# of the console goes to $VM_TMP/console), returns the guest script's status.
vm_run() {
	local script=$1 rc=0
	shift
	"$TOP_SRCDIR/tests/vm/boot.sh" --share "$SHARE" "$@" "$script" >"$VM_TMP/console" 2>&1 || rc=$?
	if [ $rc = 77 ]; then
		vm_skip "$(tail -1 "$VM_TMP/console")"
	fi
	grep -E '^(ok|not ok|1\.\.[0-9]+|#|Bail out!)' "$VM_TMP/console" || true
	if [ $rc != 0 ]; then
		echo "# guest console (tail):"
		tail -20 "$VM_TMP/console" | sed 's/^/#   /'
	fi
	return $rc
}
