#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# The attesters' ioctl paths in a guest, against CUSE devices emulating /dev/sev-guest
# and /dev/tdx_guest (guest/tee-ioctl.sh).
. "$(dirname "$0")/lib.sh"

VECTORS=${COCOBOX_VECTORS_DIR:-$TOP_SRCDIR/../shared/vectors}
[ -f "$VECTORS/snp/test-report.bin" ] || vm_skip "../shared/vectors is absent ($VECTORS)"
[ -x "${CUSE_TEE:-}" ] && [ -x "${ATTESTER_CLI:-}" ] || vm_skip "cuse-tee or attester-cli not built"
mkdir -p "$SHARE/vectors/snp"
cp "$CUSE_TEE" "$ATTESTER_CLI" "$SHARE/"
cp "$VECTORS/snp/test-report.bin" "$VECTORS/snp/test-vcek.der" "$SHARE/vectors/snp/"
vm_run "$TOP_SRCDIR/tests/vm/guest/tee-ioctl.sh" --timeout 240 \
	--env CUSE_TEE=/share/cuse-tee --env ATTESTER_CLI=/share/attester-cli --env VECTORS=/share/vectors
