#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# The TDX, CCA and SNP attesters (aa/attesters/) against a FUSE configfs-tsm and TDX
# measurements sysfs (helpers/tsm-fuse.py) under $COCOBOX_ATTESTER_ROOT: the quote is
# the published tdx_quote_4.dat with our report data at its REPORTDATA offset, the CCA
# token the published example token with our challenge over its realm challenge, the
# SNP report the published test report with our report data and a VCEK table as auxblob.
# Checks the evidence JSON, provider and generation checks, size limits, RTMR extend
# semantics, init-data binding, and that no report directory is ever left behind; then
# the TDREPORT ioctl fallback and the quote from a test QGS (helpers/qgs-test-server.py)
# when configfs-tsm is absent.
. "$(dirname "$0")/lib.sh"

PY=/usr/bin/python3
FUSE="$TOP_SRCDIR/tests/integration/helpers/tsm-fuse.py"
QGS="$TOP_SRCDIR/tests/integration/helpers/qgs-test-server.py"
CLI=${ATTESTER_CLI:-$TOP_BUILDDIR/tests/integration/helpers/attester-cli}
VECTORS=${COCOBOX_VECTORS_DIR:-$TOP_SRCDIR/../shared/vectors}
QUOTE=$VECTORS/tdx/tdx_quote_4.dat
TOKEN=$VECTORS/cca/cca-example-token.cbor
# TDX quote v4: 48-byte header, then the TD 1.0 body whose REPORTDATA is at 520.
QUOTE_RD_OFFSET=568

[ -x "$CLI" ] || skip_all "attester-cli not built ($CLI)"
[ -f "$QUOTE" ] && [ -f "$TOKEN" ] || skip_all "../shared/vectors is absent ($VECTORS)"
[ -c /dev/fuse ] || skip_all "/dev/fuse is missing"
"$PY" -c 'import fusepy' 2>/dev/null || skip_all "python3-fusepy is not installed (apt-get install python3-fusepy fuse)"
command -v fusermount >/dev/null || skip_all "fusermount is not installed (apt-get install fuse)"
"$CLI" tdx pcr-to-mr 1 >/dev/null 2>&1 || skip_all "the tdx attester is not built in"
"$CLI" cca mr-supported >/dev/null 2>&1 || skip_all "the cca attester is not built in"

ROOT=$T_TMP/root
REPORTS=$ROOT/sys/kernel/config/tsm/report
MEAS=$ROOT/sys/devices/virtual/misc/tdx_guest/measurements
mkdir -p "$ROOT"
export COCOBOX_ATTESTER_ROOT=$ROOT
FUSE_PID=

umount_fs() {
	[ -n "$FUSE_PID" ] || return 0
	fusermount -u "$ROOT" 2>/dev/null || fusermount -u -z "$ROOT" 2>/dev/null
	wait "$FUSE_PID" 2>/dev/null
	FUSE_PID=
}
trap 'umount_fs; t_cleanup' EXIT

# mount_fs ARGS...: (re)mounts the FUSE file system with these options.
mount_fs() {
	local i
	umount_fs
	"$PY" "$FUSE" "$ROOT" "$@" >>"$T_TMP/fuse.log" 2>&1 &
	FUSE_PID=$!
	for i in $(seq 1 250); do
		[ -d "$ROOT/sys" ] && return 0
		kill -0 "$FUSE_PID" 2>/dev/null || break
		sleep 0.02
	done
	echo "# tsm-fuse did not come up:"
	sed 's/^/# /' "$T_TMP/fuse.log" | tail -5
	FUSE_PID=
	return 1
}

mount_fs --outblob "$QUOTE" --reportdata-offset $QUOTE_RD_OFFSET --measurements ||
	skip_all "cannot mount a FUSE file system here"

MRCONFIGID=$(printf '%02x' $(seq 1 48))
RD48=$(printf '%02x' $(seq 101 148))
RD64=$(printf '%02x' $(seq 1 64))
RD65=${RD64}ff

plan 61

# expect_errno NAME ERRNO CMD...: CMD fails with exit status ERRNO (attester-cli's rule).
expect_errno() {
	local name=$1 want=$2 rc=0
	shift 2
	"$@" >"$T_TMP/out" 2>"$T_TMP/err" || rc=$?
	if [ "$rc" = "$want" ]; then
		ok "$name"
	else
		not_ok "$name (exit $rc, want $want)"
		sed 's/^/# /' "$T_TMP/err" | head -5
	fi
}

no_leftovers() {
	if [ -z "$(ls -A "$REPORTS")" ]; then ok "$1: no report directory left"; else
		not_ok "$1: left behind: $(ls -A "$REPORTS" | tr '\n' ' ')"
	fi
}

# check_tdx_evidence JSONFILE RDHEX: exact JSON text shape, quote = template with the
# zero-padded report data at REPORTDATA.
check_tdx_evidence() {
	"$PY" - "$1" "$2" "$QUOTE" $QUOTE_RD_OFFSET <<'EOF'
import base64, json, sys
text = open(sys.argv[1]).read().strip()
rd = bytes.fromhex(sys.argv[2]).ljust(64, b"\0")
tmpl = open(sys.argv[3], "rb").read()
off = int(sys.argv[4])
ev = json.loads(text)
assert list(ev) == ["cc_eventlog", "quote"], list(ev)
assert ev["cc_eventlog"] is None
# serde_json's compact form, byte for byte
assert text == '{"cc_eventlog":null,"quote":"%s"}' % ev["quote"], text[:80]
q = base64.b64decode(ev["quote"], validate=True)
assert len(q) == len(tmpl), (len(q), len(tmpl))
assert q[:off] == tmpl[:off] and q[off + 64:] == tmpl[off + 64:], "template changed"
assert q[off:off + 64] == rd, q[off:off + 64].hex()
EOF
}

# --- TDX quote --------------------------------------------------------------------
expect_output "detect: tdx through configfs-tsm" tdx "$CLI" - detect
"$CLI" tdx evidence "$RD48" >"$T_TMP/ev48" 2>"$T_TMP/err"
check "evidence with 48-byte report data" check_tdx_evidence "$T_TMP/ev48" "$RD48"
"$CLI" tdx evidence "$RD64" >"$T_TMP/ev64" 2>"$T_TMP/err"
check "evidence with 64-byte report data" check_tdx_evidence "$T_TMP/ev64" "$RD64"
"$CLI" tdx evidence "" >"$T_TMP/ev0" 2>"$T_TMP/err"
check "evidence with empty report data (zero-padded)" check_tdx_evidence "$T_TMP/ev0" ""
expect_errno "65-byte report data refused (EINVAL)" 22 "$CLI" tdx evidence "$RD65"
no_leftovers "quotes"

# --- runtime measurement ---------------------------------------------------------------
expect_output "mr supported with measurements sysfs" yes "$CLI" tdx mr-supported
ZERO48=$(printf '0%.0s' $(seq 96))
expect_output "RTMR3 starts at zero" "$ZERO48" "$CLI" tdx mr-read 4
D1=$(printf '%02x' $(seq 201 248))
check "extend RTMR3 (mr 4)" "$CLI" tdx mr-extend 4 "$D1"
WANT1=$("$PY" -c "import hashlib,sys; print(hashlib.sha384(bytes(48)+bytes.fromhex(sys.argv[1])).hexdigest())" "$D1")
expect_output "RTMR3 = SHA384(old || digest)" "$WANT1" "$CLI" tdx mr-read 4
expect_output "RTMR3 as the sysfs file shows it" "$WANT1" \
	"$PY" -c "import sys; print(open(sys.argv[1],'rb').read().hex())" "$MEAS/rtmr3:sha384"
D2=$(printf '%02x' $(seq 1 32))
check "extend RTMR3 with a 32-byte digest" "$CLI" tdx mr-extend 4 "$D2"
WANT2=$("$PY" -c "import hashlib,sys; print(hashlib.sha384(bytes.fromhex(sys.argv[1])+bytes.fromhex(sys.argv[2]).ljust(48,b'\0')).hexdigest())" "$WANT1" "$D2")
expect_output "short digest zero-padded to 48 bytes" "$WANT2" "$CLI" tdx mr-read 4
D3=$(printf '%02x' $(seq 1 64))
check "extend RTMR0 (mr 1) with a 64-byte digest" "$CLI" tdx mr-extend 1 "$D3"
WANT3=$("$PY" -c "import hashlib,sys; print(hashlib.sha384(bytes(48)+bytes.fromhex(sys.argv[1])[:48]).hexdigest())" "$D3")
expect_output "long digest truncated to 48 bytes" "$WANT3" "$CLI" tdx mr-read 1
expect_output "other RTMRs untouched" "$ZERO48" "$CLI" tdx mr-read 2
expect_errno "mr 0 refused (EINVAL)" 22 "$CLI" tdx mr-extend 0 "$D1"
expect_errno "mr 5 refused (EINVAL)" 22 "$CLI" tdx mr-read 5
got=""
for p in 0 1 2 6 7 8 15 16 17 23; do got="$got $("$CLI" tdx pcr-to-mr $p)"; done
if [ "$got" = " 4 1 2 2 1 3 3 4 4 4" ]; then ok "pcr_to_mr table"; else not_ok "pcr_to_mr table:$got"; fi

# --- init-data binding ------------------------------------------------------------------
mount_fs --outblob "$QUOTE" --reportdata-offset $QUOTE_RD_OFFSET --measurements \
	--mrconfigid "$MRCONFIGID"
check "initdata digest equal to MRCONFIGID binds" "$CLI" tdx bind "$MRCONFIGID"
expect_errno "mismatching digest refused (EPERM)" 1 "$CLI" tdx bind "$RD48"
if grep -q "Init data does not match!" "$T_TMP/err"; then ok "upstream's mismatch text logged"; else
	not_ok "upstream's mismatch text logged"; sed 's/^/# /' "$T_TMP/err"; fi
mount_fs --outblob "$QUOTE" --reportdata-offset $QUOTE_RD_OFFSET --measurements \
	--mrconfigid "$(printf '%02x' $(seq 1 32))$(printf '0%.0s' $(seq 32))"
check "sha256 digest binds zero-padded" "$CLI" tdx bind "$(printf '%02x' $(seq 1 32))"
expect_errno "sha512 digest compared truncated" 1 "$CLI" tdx bind "$(printf '%02x' $(seq 1 64))"
mount_fs --outblob "$QUOTE" --reportdata-offset $QUOTE_RD_OFFSET --measurements \
	--mrconfigid "$(printf '%02x' $(seq 1 48))"
check "sha512 digest truncated to 48 binds" "$CLI" tdx bind "$(printf '%02x' $(seq 1 64))"

# --- refusals ------------------------------------------------------------------------------
mount_fs --outblob "$QUOTE" --reportdata-offset $QUOTE_RD_OFFSET --race
expect_errno "concurrent inblob writer refused (EBUSY)" 16 "$CLI" tdx evidence "$RD48"
no_leftovers "race"
expect_output "no measurements sysfs: extend unsupported" no "$CLI" tdx mr-supported
expect_errno "no measurements sysfs: extend EOPNOTSUPP" 95 "$CLI" tdx mr-extend 4 "$D1"
expect_errno "no measurements sysfs and no /dev/tdx_guest: read ENOENT" 2 "$CLI" tdx mr-read 4

mount_fs --outblob "$QUOTE" --reportdata-offset $QUOTE_RD_OFFSET --provider sev_guest
expect_errno "provider sev_guest refused for TDX (ENODEV)" 19 "$CLI" tdx evidence "$RD48"
expect_output "detect: sev_guest is not TDX" sample "$CLI" - detect
no_leftovers "provider mismatch"

# --- TDREPORT fallback (no measurements sysfs, kernel < 6.16) ------------------------------
R3=$(printf '%02x' $(seq 51 98))
mount_fs --outblob "$QUOTE" --reportdata-offset $QUOTE_RD_OFFSET --provider sev_guest \
	--tdx-guest-device --mrconfigid "$MRCONFIGID" --rtmr "3:$R3"
expect_output "detect: /dev/tdx_guest is enough" tdx "$CLI" - detect
expect_output "TDREPORT: extend unsupported" no "$CLI" tdx mr-supported
expect_output "TDREPORT: RTMR3 read through TDX_CMD_GET_REPORT0" "$R3" "$CLI" tdx mr-read 4
expect_output "TDREPORT: RTMR0 read" "$ZERO48" "$CLI" tdx mr-read 1
check "TDREPORT: MRCONFIGID binds" "$CLI" tdx bind "$MRCONFIGID"
expect_errno "TDREPORT: mismatching digest refused (EPERM)" 1 "$CLI" tdx bind "$R3"

# --- QGS (no configfs-tsm, COCOBOX_TDX_QGS set) ---------------------------------------------
QGS_PID=
start_qgs() {
	[ -z "$QGS_PID" ] || { kill "$QGS_PID"; wait "$QGS_PID" 2>/dev/null; }
	rm -f "$T_TMP/qgs.sock"
	"$PY" "$QGS" "$T_TMP/qgs.sock" --quote "$QUOTE" --reportdata-offset $QUOTE_RD_OFFSET \
		"$@" >>"$T_TMP/qgs.log" 2>&1 &
	QGS_PID=$!
	T_PIDS="$T_PIDS $QGS_PID"
	wait_socket "$T_TMP/qgs.sock"
}
mount_fs --no-tsm --tdx-guest-device
expect_errno "no configfs-tsm, no QGS configured: EOPNOTSUPP" 95 "$CLI" tdx evidence "$RD48"
start_qgs
COCOBOX_TDX_QGS="unix:$T_TMP/qgs.sock" "$CLI" tdx evidence "$RD48" >"$T_TMP/evq" 2>"$T_TMP/err"
check "QGS: quote carries the report data through TDREPORT and QGS" \
	check_tdx_evidence "$T_TMP/evq" "$RD48"
for mode in error:121 bad-type:71 bad-size:71 huge:7 close:104 short:104; do
	start_qgs --mode "${mode%%:*}"
	expect_errno "QGS misbehaving (${mode%%:*}) refused" "${mode##*:}" \
		env COCOBOX_TDX_QGS="unix:$T_TMP/qgs.sock" "$CLI" tdx evidence "$RD48"
done
expect_errno "QGS address malformed" 22 env COCOBOX_TDX_QGS="tcp:1.2.3.4" "$CLI" tdx evidence "$RD48"
expect_errno "QGS not listening" 111 env COCOBOX_TDX_QGS="unix:$T_TMP/qgs.sock" \
	sh -c 'kill '"$QGS_PID"'; sleep 0.2; exec "$0" "$@"' "$CLI" tdx evidence "$RD48"

# --- CCA -------------------------------------------------------------------------------------
CHAL_OFFSET=$("$PY" -c "
import sys; d = open(sys.argv[1], 'rb').read()
# the realm challenge claim: key 10, bstr of 64 bytes (0x0a 0x58 0x40)
i = d.find(b'\x0a\x58\x40'); assert i > 0 and d.find(b'\x0a\x58\x40', i + 1) < 0
print(i + 3)" "$TOKEN")
mount_fs --outblob "$TOKEN" --reportdata-offset "$CHAL_OFFSET" --provider arm_cca_guest
"$CLI" cca evidence "$RD48" >"$T_TMP/cca" 2>"$T_TMP/err"
check "CCA token evidence" "$PY" - "$T_TMP/cca" "$RD48" "$TOKEN" "$CHAL_OFFSET" <<'EOF'
import json, sys
text = open(sys.argv[1]).read().strip()
rd = bytes.fromhex(sys.argv[2]).ljust(64, b"\0")
tmpl = open(sys.argv[3], "rb").read()
off = int(sys.argv[4])
ev = json.loads(text)
assert list(ev) == ["token"]
tok = bytes(ev["token"])
assert text == '{"token":[%s]}' % ",".join(str(b) for b in tok), text[:60]
assert tok[:off] == tmpl[:off] and tok[off + 64:] == tmpl[off + 64:]
assert tok[off:off + 64] == rd
EOF
expect_errno "CCA 65-byte challenge refused (EINVAL)" 22 "$CLI" cca evidence "$RD65"
expect_errno "TDX refuses the arm_cca_guest provider (ENODEV)" 19 "$CLI" tdx evidence "$RD48"
if [ "$(uname -m)" = aarch64 ]; then want=cca; else want=sample; fi
expect_output "detect: cca only on aarch64 ($(uname -m))" $want "$CLI" - detect
no_leftovers "CCA"

# --- SEV-SNP over configfs-tsm: outblob is the report, auxblob the certificate table ----------
SNP_REPORT=$VECTORS/snp/test-report.bin
if [ -f "$SNP_REPORT" ] && "$CLI" snp mr-supported >/dev/null 2>&1; then
	# A GUID table as the host hands it over: VCEK entry, all-zero terminator, the cert.
	"$PY" - "$VECTORS/snp/test-vcek.der" "$T_TMP/certs.bin" <<'EOF'
import struct, sys, uuid
der = open(sys.argv[1], "rb").read()
guid = uuid.UUID("63da758d-e664-4564-adc5-f4b93be8accd").bytes
open(sys.argv[2], "wb").write(guid + struct.pack("<II", 48, len(der)) + bytes(24) + der)
EOF
	mount_fs --outblob "$SNP_REPORT" --reportdata-offset 80 --provider sev_guest \
		--auxblob "$T_TMP/certs.bin" --privlevel-floor 2 --sev-guest-platform
	"$CLI" snp evidence "$RD48" >"$T_TMP/snp" 2>"$T_TMP/err"
	check "SNP evidence from configfs-tsm (privlevel floor 2 written)" "$PY" - "$T_TMP/snp" \
		"$RD48" "$VECTORS/snp/test-vcek.der" <<'EOF'
import json, sys
ev = json.loads(open(sys.argv[1]).read())
assert list(ev) == ["attestation_report", "cert_chain"], list(ev)
rd = bytes.fromhex(sys.argv[2]).ljust(64, b"\0")
assert ev["attestation_report"]["report_data"] == list(rd)
der = open(sys.argv[3], "rb").read()
assert ev["cert_chain"] == [{"cert_type": "VCEK", "data": list(der)}], str(ev["cert_chain"])[:80]
EOF
	expect_output "detect: snp by its platform device" snp "$CLI" - detect
	check "SNP init-data binding: HOSTDATA matches" "$CLI" snp bind "$(printf '0%.0s' $(seq 64))"
	expect_errno "SNP init-data binding: HOSTDATA differs (EPERM)" 1 "$CLI" snp bind "$RD48"
	expect_errno "SNP 65-byte report data refused (EINVAL)" 22 "$CLI" snp evidence "$RD65"
	no_leftovers "SNP"
else
	for i in 1 2 3 4 5 6; do skip "SNP over configfs-tsm: no snp attester or no vectors"; done
fi

# --- no configfs-tsm -------------------------------------------------------------------------
umount_fs
expect_errno "no configfs-tsm: evidence EOPNOTSUPP" 95 "$CLI" tdx evidence "$RD48"

done_testing
