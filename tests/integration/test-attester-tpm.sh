#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# The TPM and Azure vTPM attesters (aa/attesters/{tpm,az-vtpm,attester-*}.c) against
# swtpm over its UNIX socket (COCOBOX_TPM_TCTI=swtpm:path=...), checked with tpm2-tools:
# quotes verify with tpm2_checkquote, PCR extends show in tpm2_pcrread, and the Azure
# evidence decodes back to the HCL report in NV and the IMDS answers of a local stand-in.
# swtpm's NV indices hold at most 2048 bytes, less than Azure's 2600-byte HCL report, so
# the vectors' HCL reports go in with a shorter variable-data block (same header and
# hardware report); the full vectors are parsed by tests/unit/aa/test-hcl-report.c.
. "$(dirname "$0")/lib.sh"

CLI=${ATTESTER_TPM_CLI:-$TOP_BUILDDIR/tests/integration/helpers/attester-tpm-cli}
# ../shared beside the clone; COCOBOX_VECTORS_DIR overrides it (worktrees live elsewhere).
VEC=${COCOBOX_VECTORS_DIR:-$TOP_SRCDIR/../shared/vectors}
[ -x "$CLI" ] || skip_all "attester-tpm-cli helper not built"
for p in swtpm tpm2_createek tpm2_createak tpm2_evictcontrol tpm2_checkquote tpm2_pcrread \
	tpm2_nvdefine tpm2_nvundefine tpm2_nvwrite tpm2_nvread tpm2_flushcontext tpm2_getcap python3 \
	openssl sha256sum od; do
	command -v $p >/dev/null ||
		skip_all "$p missing (packages: swtpm swtpm-tools tpm2-tools libtss2-tcti-swtpm0)"
done
"$CLI" tpm read 99 >/dev/null 2>&1 # 1: refused index; 2: no such attester
[ $? = 2 ] && skip_all "the tpm attester is not built in"

S=$T_TMP/tpm
mkdir -p "$S/state"
start_daemon swtpm swtpm socket --tpm2 --tpmstate dir="$S/state" \
	--server type=unixio,path="$S/tpm.sock" --ctrl type=unixio,path="$S/tpm.sock.ctrl" \
	--flags not-need-init,startup-clear
SWTPM_PID=$LAST_PID
wait_socket "$S/tpm.sock" || skip_all "swtpm did not start"
export TPM2TOOLS_TCTI="swtpm:path=$S/tpm.sock"
export COCOBOX_TPM_TCTI="swtpm:path=$S/tpm.sock"
# ESYS logs its warnings on stderr; the tests look at our messages only.
export TSS2_LOG=all+none
unset AA_TPM_AK_HANDLE AA_TPM_DEVICE

# mkak HANDLE NAME: an RSA-2048 RSASSA-SHA256 AK under the EK, persisted at HANDLE.
# Without a resource manager every transient object must be flushed between commands.
mkak() {
	tpm2_createek -c "$S/ek.ctx" -G rsa -u "$S/ek.pub" &&
		tpm2_flushcontext -t &&
		tpm2_createak -C "$S/ek.ctx" -c "$S/$2.ctx" -G rsa -g sha256 -s rsassa \
			-u "$S/$2.pem" -f pem -n "$S/$2.name" &&
		tpm2_flushcontext -t && tpm2_flushcontext -s &&
		tpm2_evictcontrol -C o -c "$S/$2.ctx" "$1" && tpm2_flushcontext -t
}
mkak 0x81010002 ak >"$S/setup.log" 2>&1 || {
	cat "$S/setup.log" | sed 's/^/# /'
	skip_all "could not provision an AK in swtpm"
}

# has NAME WANT: passes when $OUT contains WANT.
has() {
	case "$OUT" in
	*"$2"*) ok "$1" ;;
	*) not_ok "$1"; printf '# want: %s\n' "$2"; printf '%s\n' "$OUT" | head -5 | sed 's/^/# got: /' ;;
	esac
}
pcr() { tpm2_pcrread "sha256:$1" -o "$S/pcr.bin" >/dev/null && od -An -tx1 -v "$S/pcr.bin" | tr -d ' \n'; }
sha256_ext() { printf '%s%s' "$1" "$2" | python3 -c 'import sys,hashlib;print(hashlib.sha256(bytes.fromhex(sys.stdin.read())).hexdigest())'; }
hex_of() { od -An -tx1 -v "$1" | tr -d ' \n'; }

# --- the TPM attester ----------------------------------------------------------------
expect_output "tpm detected" "yes" "$CLI" tpm detect
expect_output "tpm is the primary attester without an HCL report" "tpm" "$CLI" primary

RD=$(openssl rand -hex 48)
if "$CLI" tpm evidence "$RD" >"$S/ev.json" 2>"$S/ev.err"; then
	ok "tpm evidence"
else
	not_ok "tpm evidence"
	sed 's/^/# /' "$S/ev.err"
fi
# Key order, hex case and encodings as upstream's serde output.
OUT=$(python3 - "$S/ev.json" "$S" <<'EOF'
import base64, hashlib, json, re, sys
text = open(sys.argv[1]).read().strip()
e = json.loads(text)
q = e["tpm_quote"]
assert list(e) == ["ak_public", "tpm_quote"], list(e)
assert list(q) == ["message", "pcrs", "signature"], list(q)
assert len(q["pcrs"]) == 24 and all(re.fullmatch("[0-9a-f]{64}", p) for p in q["pcrs"])
msg = base64.b64decode(q["message"], validate=True)
sig = base64.b64decode(q["signature"], validate=True)
der = base64.b64decode(e["ak_public"], validate=True)
assert msg[:4] == bytes.fromhex("ff544347") and msg[4:6] == bytes.fromhex("8018"), msg[:6].hex()
# TPMT_SIGNATURE: sigAlg RSASSA (0x0014), hash SHA-256 (0x000b), 256-byte signature
assert sig[:6] == bytes.fromhex("0014000b0100") and len(sig) == 6 + 256, sig[:6].hex()
# the quote's pcrDigest (last TPM2B) is SHA-256 over the 24 PCR values in order
assert msg[-32:] == hashlib.sha256(b"".join(bytes.fromhex(p) for p in q["pcrs"])).digest()
d = sys.argv[2]
open(d + "/q.msg", "wb").write(msg)
open(d + "/q.sig", "wb").write(sig)
open(d + "/ak.der", "wb").write(der)
print("shape ok")
EOF
)
has "tpm evidence shape (keys, base64, 24 lowercase hex PCRs, pcrDigest)" "shape ok"

openssl pkey -pubin -inform DER -in "$S/ak.der" -out "$S/ak-ours.pem" 2>/dev/null
if cmp -s <(openssl pkey -pubin -in "$S/ak-ours.pem" -outform DER 2>/dev/null) \
	<(openssl pkey -pubin -in "$S/ak.pem" -outform DER 2>/dev/null); then
	ok "ak_public is the AK's SubjectPublicKeyInfo"
else
	not_ok "ak_public is the AK's SubjectPublicKeyInfo"
fi
# Qualifying data: the report data resized to 32 bytes.
check "tpm2_checkquote verifies the quote (nonce = report data[0..32))" \
	tpm2_checkquote -u "$S/ak-ours.pem" -m "$S/q.msg" -s "$S/q.sig" -g sha256 -q "${RD:0:64}"
expect_exit "tpm2_checkquote refuses another nonce" 1 \
	tpm2_checkquote -u "$S/ak-ours.pem" -m "$S/q.msg" -s "$S/q.sig" -g sha256 -q "${RD:2:64}00"
"$CLI" tpm evidence 616263 >"$S/ev2.json" 2>/dev/null
python3 -c 'import json,base64,sys;e=json.load(open(sys.argv[1]))["tpm_quote"];open(sys.argv[2]+"/q2.msg","wb").write(base64.b64decode(e["message"]));open(sys.argv[2]+"/q2.sig","wb").write(base64.b64decode(e["signature"]))' "$S/ev2.json" "$S" 2>/dev/null
check "short report data is zero-padded to 32 bytes" \
	tpm2_checkquote -u "$S/ak.pem" -m "$S/q2.msg" -s "$S/q2.sig" -g sha256 \
	-q "616263$(printf '%058d' 0)"

# Runtime measurement: PCR extend, visible to tpm2_pcrread and through mr_read.
D=$(printf 'event' | sha256sum | cut -d' ' -f1)
BEFORE=$(pcr 16)
check "extend PCR 16" "$CLI" tpm extend 16 "$D"
WANT=$(sha256_ext "$BEFORE" "$D")
expect_output "tpm2_pcrread sees the extend" "$WANT" pcr 16
expect_output "mr_read reads PCR 16" "$WANT" "$CLI" tpm read 16
expect_exit "extend with a 31-byte digest refused" 1 "$CLI" tpm extend 16 "${D:0:62}"
expect_exit "extend PCR 24 refused" 1 "$CLI" tpm extend 24 "$D"
expect_output "refused extends left PCR 16 alone" "$WANT" pcr 16

# Init data: PCR 8.
ID=$(printf 'initdata' | sha256sum | cut -d' ' -f1)
BEFORE=$(pcr 8)
check "bind_initdata" "$CLI" tpm bind "$ID"
expect_output "bind_initdata extended PCR 8" "$(sha256_ext "$BEFORE" "$ID")" pcr 8
OUT=$("$CLI" tpm bind "$(openssl rand -hex 48)" 2>&1)
has "bind_initdata with a SHA-384 digest refused" "Invalid argument"

# Bad AK handles: a clear error, no crash.
OUT=$(AA_TPM_AK_HANDLE=0x81010099 "$CLI" tpm evidence "$RD" 2>&1)
has "absent AK handle: no usable key" "evidence failed: Required key not available"
expect_exit "absent AK handle: not detected" 1 env AA_TPM_AK_HANDLE=81010099 "$CLI" tpm detect
OUT=$(AA_TPM_AK_HANDLE=0xzz "$CLI" tpm evidence "$RD" 2>&1)
has "malformed AK handle refused" "Invalid AK handle '0xzz'"
OUT=$(AA_TPM_AK_HANDLE=0x40000001 "$CLI" tpm evidence "$RD" 2>&1)
has "non-persistent AK handle refused" "Required key not available"
expect_output "hex handle without 0x accepted" "yes" env AA_TPM_AK_HANDLE=81010002 "$CLI" tpm detect

# --- Azure vTPM attesters --------------------------------------------------------------
# mkhcl SRC OUT [TYPE]: SRC's header and hardware report with a short variable-data block.
mkhcl() {
	python3 - "$@" <<'EOF'
import struct, sys
src = open(sys.argv[1], "rb").read()
var = b'{"keys":[{"kid":"HCLAkPub","key_ops":["sign"],"kty":"RSA"}],"vm-configuration":{}}'
rtype = int(sys.argv[3]) if len(sys.argv) > 3 else struct.unpack_from("<I", src, 1224)[0]
head = bytearray(src[:1216])
struct.pack_into("<I", head, 8, 1236 + len(var))
igvm = struct.pack("<5I", 20 + len(var), 1, rtype, 1, len(var))
open(sys.argv[2], "wb").write(bytes(head) + igvm + var)
EOF
}
nvput() { # nvput INDEX FILE
	tpm2_nvundefine -C o "$1" >/dev/null 2>&1
	tpm2_nvdefine "$1" -C o -s "$(stat -c %s "$2")" -a "ownerread|ownerwrite" >/dev/null &&
		tpm2_nvwrite "$1" -C o -i "$2" >/dev/null
}

if [ ! -d "$VEC/az-snp-vtpm" ] || [ ! -d "$VEC/az-tdx-vtpm" ]; then
	skip "Azure vTPM attesters: ../shared/vectors absent"
else
	python3 -c 'import json,base64,sys;open(sys.argv[2],"wb").write(base64.urlsafe_b64decode(json.load(open(sys.argv[1]))["hcl_report"]))' \
		"$VEC/az-tdx-vtpm/evidence-v1.json" "$S/hcl-tdx-full.bin"
	mkhcl "$VEC/az-snp-vtpm/hcl-report.bin" "$S/hcl-snp.bin"
	mkhcl "$S/hcl-tdx-full.bin" "$S/hcl-tdx.bin"
	mkhcl "$VEC/az-snp-vtpm/hcl-report.bin" "$S/hcl-bad.bin" 3
	mkak 0x81000003 azak >>"$S/setup.log" 2>&1 || not_ok "Azure AK at 0x81000003"

	start_daemon imds python3 "$TOP_SRCDIR/tests/integration/helpers/az-imds-server.py" \
		--vcek-pem "$VEC/az-snp-vtpm/vcek.pem" --td-quote "$VEC/az-tdx-vtpm/td-quote.bin" \
		--report-out "$S/tdreport.bin" --port-file "$S/imds.port"
	for i in $(seq 1 250); do [ -s "$S/imds.port" ] && break; sleep 0.02; done
	export COCOBOX_AZ_IMDS_URL="http://127.0.0.1:$(cat "$S/imds.port")"
	export COCOBOX_AZ_HCL_DELAY_MS=0

	nvput 0x01400001 "$S/hcl-bad.bin"
	expect_output "HCL report of unknown type: not az-snp-vtpm" "no" "$CLI" az-snp-vtpm detect
	expect_output "HCL report of unknown type: not az-tdx-vtpm" "no" "$CLI" az-tdx-vtpm detect

	nvput 0x01400001 "$S/hcl-snp.bin"
	expect_output "SNP HCL report: az-snp-vtpm detected" "yes" "$CLI" az-snp-vtpm detect
	expect_output "SNP HCL report: not az-tdx-vtpm" "no" "$CLI" az-tdx-vtpm detect
	expect_output "az-snp-vtpm is the primary attester" "az-snp-vtpm" "$CLI" primary
	if "$CLI" az-snp-vtpm evidence "$RD" >"$S/az.json" 2>"$S/az.err"; then
		ok "az-snp-vtpm evidence"
	else
		not_ok "az-snp-vtpm evidence"
		sed 's/^/# /' "$S/az.err"
	fi
	OUT=$(python3 - "$S/az.json" "$S" "$VEC/az-snp-vtpm/vcek.pem" "$RD" <<'EOF'
import base64, hashlib, json, re, sys
e = json.loads(open(sys.argv[1]).read())
d = sys.argv[2]
assert list(e) == ["hcl_report", "tpm_quote", "vcek", "version"], list(e)
assert e["version"] == 2
q = e["tpm_quote"]
assert list(q) == ["message", "pcrs", "signature"]
for k in ("signature", "message"):
    assert re.fullmatch("([0-9a-f]{2})+", q[k]), k
assert len(q["pcrs"]) == 24 and all(re.fullmatch("[0-9a-f]{64}", p) for p in q["pcrs"])
for k in ("hcl_report", "vcek"):
    s = e[k]
    assert len(s) % 4 == 0 and re.fullmatch("[A-Za-z0-9_-]*=*", s), k  # url-safe, padded
hcl = base64.urlsafe_b64decode(e["hcl_report"])
assert hcl == open(d + "/hcl-snp.bin", "rb").read(), "hcl_report differs from NV"
pem = open(sys.argv[3]).read()
first = re.search(r"-----BEGIN CERTIFICATE-----(.*?)-----END", pem, re.S).group(1)
assert base64.urlsafe_b64decode(e["vcek"]) == base64.b64decode("".join(first.split())), "vcek"
msg = bytes.fromhex(q["message"])
# TPMS_ATTEST: magic, type, qualifiedSigner (TPM2B), extraData (TPM2B) = the report data
n = int.from_bytes(msg[6:8], "big")
m = int.from_bytes(msg[8 + n:10 + n], "big")
assert msg[10 + n:10 + n + m] == bytes.fromhex(sys.argv[4]), "extraData"
assert msg[-32:] == hashlib.sha256(b"".join(bytes.fromhex(p) for p in q["pcrs"])).digest()
open(d + "/az.msg", "wb").write(msg)
open(d + "/az.sig", "wb").write(bytes.fromhex(q["signature"]))
print("shape ok")
EOF
	)
	has "az-snp-vtpm evidence v2: fields, hex quote, padded base64url decoding to NV and IMDS bytes" "shape ok"
	check "az-snp-vtpm quote signature verifies with the vTPM AK (bare RSASSA-SHA256)" \
		openssl dgst -sha256 -verify "$S/azak.pem" -signature "$S/az.sig" "$S/az.msg"
	tpm2_nvread 0x01400002 -C o -o "$S/rd.bin" >/dev/null 2>&1
	expect_output "report data written to NV 0x01400002" "$RD" hex_of "$S/rd.bin"
	OUT=$("$CLI" az-snp-vtpm evidence "$(openssl rand -hex 65)" 2>&1)
	has "az-snp-vtpm: report data over 64 bytes refused" "Invalid argument"
	BEFORE=$(pcr 8)
	check "az-snp-vtpm bind_initdata" "$CLI" az-snp-vtpm bind "$ID"
	expect_output "az-snp-vtpm bind_initdata extended PCR 8" "$(sha256_ext "$BEFORE" "$ID")" pcr 8
	BEFORE=$(pcr 23)
	check "az-snp-vtpm extend PCR 23" "$CLI" az-snp-vtpm extend 23 "$D"
	expect_output "az-snp-vtpm mr_read sees it" "$(sha256_ext "$BEFORE" "$D")" "$CLI" az-snp-vtpm read 23
	# PCRs 17-22 belong to localities 3-4 (DRTM): the TPM refuses locality 0 (AA's
	# default eventlog register is 17, which a TPM therefore cannot take).
	expect_exit "az-snp-vtpm extend PCR 17: refused by the TPM, no crash" 1 \
		"$CLI" az-snp-vtpm extend 17 "$D"

	nvput 0x01400001 "$S/hcl-tdx.bin"
	expect_output "TDX HCL report: az-tdx-vtpm detected" "yes" "$CLI" az-tdx-vtpm detect
	expect_output "az-tdx-vtpm is the primary attester" "az-tdx-vtpm" "$CLI" primary
	if "$CLI" az-tdx-vtpm evidence "$RD" >"$S/azt.json" 2>"$S/azt.err"; then
		ok "az-tdx-vtpm evidence"
	else
		not_ok "az-tdx-vtpm evidence"
		sed 's/^/# /' "$S/azt.err"
	fi
	OUT=$(python3 - "$S/azt.json" "$S" "$VEC/az-tdx-vtpm/td-quote.bin" <<'EOF'
import base64, json, sys
e = json.loads(open(sys.argv[1]).read())
d = sys.argv[2]
assert list(e) == ["hcl_report", "td_quote", "tpm_quote", "version"], list(e)
assert e["version"] == 2
hcl = base64.urlsafe_b64decode(e["hcl_report"])
assert hcl == open(d + "/hcl-tdx.bin", "rb").read(), "hcl_report"
assert base64.urlsafe_b64decode(e["td_quote"]) == open(sys.argv[3], "rb").read(), "td_quote"
# IMDS got the TDREPORT: the 1024 bytes after the HCL header
assert open(d + "/tdreport.bin", "rb").read() == hcl[32:32 + 1024], "TDREPORT sent to IMDS"
print("shape ok")
EOF
	)
	has "az-tdx-vtpm evidence v2: td_quote from IMDS, TDREPORT sent, hcl_report from NV" "shape ok"
fi

# No transient object or session left behind (there is no resource manager).
OUT=$(tpm2_getcap handles-transient; tpm2_getcap handles-loaded-session; echo end)
expect_output "no transient objects or sessions left in the TPM" "end" printf '%s' "$OUT"

# swtpm killed in the middle of an evidence request (during the HCL delay when the Azure
# part runs, else between requests): an error, not a crash.
if [ -n "${COCOBOX_AZ_IMDS_URL:-}" ]; then
	nvput 0x01400001 "$S/hcl-snp.bin"
	COCOBOX_AZ_HCL_DELAY_MS=1500 "$CLI" az-snp-vtpm evidence "$RD" >/dev/null 2>"$S/kill.err" &
	EVPID=$!
	sleep 0.5
	kill "$SWTPM_PID"
	wait "$EVPID"
	RC=$?
	[ "$RC" = 1 ] && ok "swtpm killed mid-request: exit 1 ($(tr -d '\n' <"$S/kill.err"))" ||
		not_ok "swtpm killed mid-request: exit $RC"
else
	kill "$SWTPM_PID"
	wait "$SWTPM_PID" 2>/dev/null
fi
wait "$SWTPM_PID" 2>/dev/null
expect_exit "tpm evidence with swtpm gone: exit 1" 1 "$CLI" tpm evidence "$RD"
expect_output "tpm not detected with swtpm gone" "no" "$CLI" tpm detect

plan "$T_N"
done_testing
