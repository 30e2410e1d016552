#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# attestation-agent as a whole, as the Kata agent starts it: config file and
# AA_KBC_PARAMS, GetToken("kbs") against the test KBS through aa-tool, start-up init-data
# binding (accepted, refused), and the event log on a TDX guest (FUSE configfs-tsm and
# measurements sysfs from helpers/tsm-fuse.py): ExtendRuntimeMeasurement moves RTMR 3 and
# the AAEL record shows up in GetEvidence's cc_eventlog, which the test KBS checks.
. "$(dirname "$0")/lib.sh"

PY=/usr/bin/python3
KBS=$TOP_SRCDIR/tests/kbs/kbs.py
FUSE=$TOP_SRCDIR/tests/integration/helpers/tsm-fuse.py
VECTORS=${COCOBOX_VECTORS_DIR:-$TOP_SRCDIR/../shared/vectors}
QUOTE=$VECTORS/tdx/tdx_quote_4.dat
"$PY" -c 'import cryptography' 2>/dev/null || skip_all "python3-cryptography missing"
command -v curl >/dev/null || skip_all "curl missing"
unset http_proxy https_proxy all_proxy HTTPS_PROXY ALL_PROXY no_proxy NO_PROXY AA_KBC_PARAMS

plan 22

R=$T_TMP/repo
mkdir -p "$R/default/key"
echo "resource one" >"$R/default/key/1"
start_daemon kbs "$PY" "$KBS" --resources "$R" --port-file "$T_TMP/kbs.port" --lifetime 280
for i in $(seq 1 250); do [ -s "$T_TMP/kbs.port" ] && break; sleep 0.02; done
K=http://127.0.0.1:$(cat "$T_TMP/kbs.port")
stat() { curl -s "$K/test/stats" | "$PY" -c "import json,sys; d=json.load(sys.stdin); print(eval(sys.argv[1]))" "$1"; }

n=0
# aa NAME ARGS...: starts attestation-agent on a fresh socket ($SOCK) and waits for it.
aa() {
	local name=$1
	shift
	n=$((n + 1))
	SOCK=$T_TMP/aa$n/aa.sock
	start_daemon "$name" "$COCOBOX" attestation-agent -a "unix://$SOCK" "$@"
	AA_PID=$LAST_PID
	wait_socket "$SOCK"
}
stop_aa() { kill -TERM "$AA_PID" 2>/dev/null; wait "$AA_PID" 2>/dev/null; }
tool() { "$COCOBOX" aa-tool -s "unix://$SOCK" "$@"; }
# json_has FILE KEY ERE: the string member KEY of the JSON object in FILE matches ERE.
json_has() {
	"$PY" -c "import json,sys; print(json.load(open(sys.argv[1]))[sys.argv[2]])" "$1" "$2" |
		grep -Eq -- "$3"
}
# aael_has FILE TEXT: the base64 cc_eventlog of the evidence in FILE contains TEXT.
aael_has() {
	"$PY" -c "import base64,json,sys; sys.exit(sys.argv[2].encode() not in base64.b64decode(json.load(open(sys.argv[1]))['cc_eventlog']))" "$1" "$2"
}

# --- GetToken("kbs") from AA_KBC_PARAMS (no config file), as Kata passes it.
export AA_KBC_PARAMS="cc_kbc::$K"
check "starts with AA_KBC_PARAMS" aa env-kbc
tool token kbs >"$T_TMP/token.json" 2>"$T_TMP/token.err"
check "GetToken(kbs) gives a token" json_has "$T_TMP/token.json" token '^ey'
check "... and the TEE key as PEM" json_has "$T_TMP/token.json" tee_keypair 'BEGIN PRIVATE KEY'

check "the KBS verified the sample evidence once" test "$(stat 'd["attest_ok"]')" = 1
expect_exit "GetToken(coco_as) unconfigured fails" 1 tool token coco_as
stop_aa

# --- an additional device (upstream's sampledevice, ENABLE_SAMPLE_DEVICE)
ENABLE_SAMPLE_DEVICE=1 AA_KBC_PARAMS="cc_kbc::$K" aa device
expect_output "GetAdditionalTees names sampledevice" "$(printf 'sample\nadditional: sampledevice')" tool tee
expect_output "GetAdditionalEvidence is the devices' map" \
	'{"sampledevice":{"report_data":"aGk=","svn":"2"}}' tool additional-evidence hi
tool token kbs >"$T_TMP/token-dev.json" 2>/dev/null
check "GetToken(kbs) carries the device evidence, which the KBS checked" sh -c \
	"grep -q '\"token\"' '$T_TMP/token-dev.json' && curl -s '$K/test/stats' | grep -q '\"last_additional\": \[\"sampledevice\"\]'"
stop_aa
unset AA_KBC_PARAMS

# --- the same from a config file, with init-data sent to the KBS.
cat >"$T_TMP/initdata.toml" <<'EOF'
version = "0.1.0"
algorithm = "sha384"

[data]
"aa.toml" = '''
[token_configs.kbs]
url = "http://kbs.example"
'''
EOF
printf '[token_configs.kbs]\nurl = "%s/"\n[log]\nlevel = "debug"\n' "$K" >"$T_TMP/aa.toml"
check "starts with -c and -t (sample: no binding field)" aa cfg -c "$T_TMP/aa.toml" -t "$T_TMP/initdata.toml"
check "says it could not bind on this TEE" grep -q "does not support initdata" "$T_TMP/cfg.log"
tool token kbs >"$T_TMP/token2.json" 2>/dev/null
check "GetToken(kbs) with the config file" json_has "$T_TMP/token2.json" token '^ey'
check "the KBS got the init-data TOML" test "$(stat 'd["last_init_data"]["digest"]')" = \
	"$(sha384sum <"$T_TMP/initdata.toml" | cut -d' ' -f1)"
check "no key material in the log" sh -c "! grep -q 'PRIVATE KEY' '$T_TMP/cfg.log'"
stop_aa

# --- TDX: init-data bound to MRCONFIGID, the event log on RTMR 3.
if [ ! -f "$QUOTE" ]; then
	for i in $(seq 9); do skip "../shared/vectors is absent ($VECTORS)"; done
	done_testing
	exit
fi
if ! [ -c /dev/fuse ] || ! "$PY" -c 'import fusepy' 2>/dev/null || ! command -v fusermount >/dev/null; then
	for i in $(seq 9); do skip "FUSE or python3-fusepy missing"; done
	done_testing
	exit
fi
ROOT=$T_TMP/root
mkdir -p "$ROOT"
MRCONFIGID=$(sha384sum <"$T_TMP/initdata.toml" | cut -d' ' -f1)
"$PY" "$FUSE" "$ROOT" --outblob "$QUOTE" --reportdata-offset 568 --measurements \
	--mrconfigid "$MRCONFIGID" >"$T_TMP/fuse.log" 2>&1 &
FUSE_PID=$!
trap 'fusermount -u "$ROOT" 2>/dev/null; wait $FUSE_PID 2>/dev/null; t_cleanup' EXIT
for i in $(seq 250); do [ -d "$ROOT/sys" ] && break; sleep 0.02; done
export COCOBOX_ATTESTER_ROOT=$ROOT AAEL_PATH=$T_TMP/el/eventlog
printf '[token_configs.kbs]\nurl = "%s"\n[eventlog_config]\nenable_eventlog = true\n' "$K" >"$T_TMP/tdx.toml"

echo 'version = "0.1.0"' >"$T_TMP/other.toml"
printf 'algorithm = "sha384"\n[data]\nx = "y"\n' >>"$T_TMP/other.toml"
expect_exit "a mismatching init-data stops the agent" 1 \
	"$COCOBOX" attestation-agent -a "unix://$T_TMP/never.sock" -t "$T_TMP/other.toml"
cp "$T_TMP/err" "$T_TMP/mismatch.err"
check "... saying why" grep -q "inconsistent with that of the current platform" "$T_TMP/mismatch.err"

check "starts on TDX with matching init-data and the event log" aa tdx -c "$T_TMP/tdx.toml" -t "$T_TMP/initdata.toml"
expect_output "GetTeeType is tdx" tdx tool tee
R3=$(od -An -tx1 "$ROOT/sys/devices/virtual/misc/tdx_guest/measurements/rtmr3:sha384" | tr -d ' \n')
expect_output "ExtendRuntimeMeasurement is OK" OK tool extend github.com/confidential-containers pull_image "docker.io/library/busybox@sha256:0123"
R3B=$(od -An -tx1 "$ROOT/sys/devices/virtual/misc/tdx_guest/measurements/rtmr3:sha384" | tr -d ' \n')
check "RTMR 3 moved" test "$R3" != "$R3B"
tool evidence >"$T_TMP/ev.json"
check "cc_eventlog carries the AAEL record" aael_has "$T_TMP/ev.json" \
	"github.com/confidential-containers pull_image docker.io/library/busybox@sha256:0123"
tool token kbs >"$T_TMP/token3.json" 2>/dev/null
check "GetToken(kbs) on TDX: the KBS found the binding in the quote" \
	json_has "$T_TMP/token3.json" token '^ey'
check "... for tee tdx" test "$(stat 'd["last_tee"]')" = tdx
stop_aa
done_testing
