#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# Runs inside the test guest: the attesters' ioctl paths against CUSE devices that
# emulate /dev/sev-guest and /dev/tdx_guest (helpers/cuse-tee.c) with the published SNP
# test report and a VCEK certificate table, since this VM has no TEE. Prints TAP.
# Needs: CUSE_TEE, ATTESTER_CLI (static binaries), VECTORS (../shared/vectors), the cuse
# module, and python-free tools only (busybox).
set -u
n=0
failed=0
ok() { n=$((n + 1)); echo "ok $n $*"; }
not_ok() { n=$((n + 1)); failed=$((failed + 1)); echo "not ok $n $*"; }
check() { name=$1; shift; if "$@" >/tmp/tee.out 2>&1; then ok "$name"; else not_ok "$name"; sed 's/^/# /' /tmp/tee.out | head -5; fi; }
fails() { want=$1 name=$2; shift 2; "$@" >/tmp/tee.out 2>&1; rc=$?; if [ "$rc" = "$want" ]; then ok "$name"; else not_ok "$name (exit $rc, want $want)"; fi; }

echo "1..8"
modprobe cuse 2>/dev/null || true
[ -c /dev/cuse ] || { echo "Bail out! no /dev/cuse in the guest"; exit 1; }

# The certificate table as the host hands it over: a VCEK entry, an all-zero entry, the
# DER (the GUID's bytes as sev reads them: uuid::Uuid::from_slice).
der=$VECTORS/snp/test-vcek.der
len=$(wc -c <"$der")
{
	printf '\143\332\165\215\346\144\105\144\255\305\364\271\073\350\254\315'
	printf "$(printf '\\%03o' 48 0 0 0)"
	printf "$(printf '\\%03o' $((len & 255)) $((len >> 8 & 255)) 0 0)"
	head -c 24 /dev/zero
	cat "$der"
} >/tmp/certs.bin

"$CUSE_TEE" sev "$VECTORS/snp/test-report.bin" /tmp/certs.bin >/tmp/sev.log 2>&1 &
sev=$!
for i in 1 2 3 4 5 6 7 8 9 10; do [ -c /dev/sev-guest ] && break; sleep 0.2; done
RD=0102030405060708
check "SNP evidence through SNP_GET_EXT_REPORT (certificate buffer sized on retry)" \
	"$ATTESTER_CLI" snp evidence $RD
cp /tmp/tee.out /tmp/ev.json
check "... the report carries our report data" grep -q '"report_data":\[1,2,3,4,5,6,7,8,0,' /tmp/ev.json
check "... and the VCEK from the table" grep -q '"cert_type":"VCEK"' /tmp/ev.json
check "SNP init-data binding through SNP_GET_REPORT: HOSTDATA matches" \
	"$ATTESTER_CLI" snp bind 0000000000000000000000000000000000000000000000000000000000000000
fails 1 "SNP init-data binding: another digest is refused (EPERM)" "$ATTESTER_CLI" snp bind 01
kill $sev

MRCONFIGID=$(i=1; while [ $i -le 48 ]; do printf '%02x' $i; i=$((i + 1)); done)
"$CUSE_TEE" tdx "$MRCONFIGID" >/tmp/tdx.log 2>&1 &
tdx=$!
for i in 1 2 3 4 5 6 7 8 9 10; do [ -c /dev/tdx_guest ] && break; sleep 0.2; done
check "TDX init-data binding through TDX_CMD_GET_REPORT0: MRCONFIGID matches" \
	"$ATTESTER_CLI" tdx bind "$MRCONFIGID"
fails 1 "TDX init-data binding: another digest is refused (EPERM)" "$ATTESTER_CLI" tdx bind 0102
kill $tdx
wait 2>/dev/null
check "no device left behind" sh -c '[ ! -e /dev/sev-guest ] && [ ! -e /dev/tdx_guest ]'
[ $failed = 0 ]
