#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# confidential-data-hub between the test KBS and a real attestation-agent (sample TEE),
# driven by the real Go ttrpc client (as the Kata agent) and by cdh-tool: resources
# through the passport client (one attestation for many resources), errors as upstream,
# sealed secrets and key unwrap with fixtures made independently in Python, credentials
# written before the socket appears, and PullImage into a bundle with the AA measuring it.
. "$(dirname "$0")/lib.sh"

PY=/usr/bin/python3
"$PY" -c 'import jwcrypto, cryptography' 2>/dev/null || skip_all "python3-jwcrypto missing"
[ -n "${GO_TTRPC_CALL:-}" ] || skip_all "${GO_TTRPC_SKIP:-Go ttrpc helpers not built}"
command -v curl >/dev/null || skip_all "curl missing"
unset http_proxy https_proxy all_proxy HTTPS_PROXY ALL_PROXY no_proxy NO_PROXY AA_KBC_PARAMS
plan 22

R=$T_TMP/repo
mkdir -p "$R/default/key" "$R/default/secret"
echo "resource one" >"$R/default/key/1"
echo "denied" >"$R/default/secret/x"
mkdir -p "$T_TMP/fx"
"$PY" "$TOP_SRCDIR/tests/unit/cdh/data/make-fixtures.py" "$T_TMP/fx" >/dev/null
"$PY" - "$T_TMP/fx/py-offline-fs.json" "$R" <<'PY'
import base64, json, os, sys
for path, v in json.load(open(sys.argv[1])).items():
    f = os.path.join(sys.argv[2], path)
    os.makedirs(os.path.dirname(f), exist_ok=True)
    open(f, "wb").write(base64.b64decode(v))
PY
start_daemon kbs "$PY" "$TOP_SRCDIR/tests/kbs/kbs.py" --resources "$R" --deny 'default/secret/x' \
	--port-file "$T_TMP/kbs.port" --lifetime 280
for i in $(seq 250); do [ -s "$T_TMP/kbs.port" ] && break; sleep 0.02; done
K=http://127.0.0.1:$(cat "$T_TMP/kbs.port")
stat() { curl -s "$K/test/stats" | "$PY" -c "import json,sys; print(json.load(sys.stdin)[sys.argv[1]])" "$1"; }

AA=$T_TMP/aa.sock
CDH=$T_TMP/cdh/cdh.sock
AA_KBC_PARAMS="cc_kbc::$K" start_daemon aa "$COCOBOX" attestation-agent -a "unix://$AA"
wait_socket "$AA"
cat >"$T_TMP/cdh.toml" <<EOF2
socket = "unix://$CDH"
[aa]
aa_socket = "unix://$AA"
[kbc]
name = "cc_kbc"
url = "$K"
[[credentials]]
path = "/run/confidential-containers/cdh/kbs/cred/one"
resource_uri = "kbs:///default/key/1"
[image]
work_dir = "$T_TMP/image"
EOF2
CDH_RUN_DIR=$T_TMP/run CDH_CREDENTIALS_ROOT=$T_TMP/root start_daemon cdh "$COCOBOX" \
	confidential-data-hub -c "$T_TMP/cdh.toml"
check "CDH starts with cc_kbc" wait_socket "$CDH"
check "credentials were written before the socket" \
	test "$(cat "$T_TMP/root/run/confidential-containers/cdh/kbs/cred/one")" = "resource one"
check "ocicrypt_config.json names the CDH socket" grep -q "unix://$CDH" "$T_TMP/run/ocicrypt_config.json"

hex() { printf %s "$1" | od -An -tx1 | tr -d ' \n'; }
getres() { "$GO_TTRPC_CALL" -sock "$CDH" -service api.GetResourceService -method GetResource \
	-req-hex "0a$(printf %02x ${#1})$(hex "$1")"; }
expect_output "GetResource (Go client, as the Kata agent)" "0a0d$(hex 'resource one
')" getres kbs:///default/key/1
expect_output "a missing resource: upstream's error" \
	"status 13 [CDH] [ERROR]: get resource failed: resource not found" getres kbs:///default/key/none
expect_exit "a resource the KBS policy denies fails" 1 "$COCOBOX" cdh-tool -s "unix://$CDH" \
	get-resource -r kbs:///default/secret/x
a0=$(stat attest)
for i in $(seq 100); do getres kbs:///default/key/1 >/dev/null; done
check "100 GetResource calls cost no new attestation (token cached)" test "$(stat attest)" = "$a0"
echo "# /attest calls for credentials + 102 resources: $(stat attest)"
req=0a14$(hex kbs:///default/key/1)
check "16 calls in flight on one connection" "$GO_TTRPC_CALL" -sock "$CDH" \
	-service api.GetResourceService -method GetResource -req-hex "$req" -n 64 -c 16
expect_output "cdh-tool get-resource prints base64" "$(printf 'resource one\n' | base64)" \
	"$COCOBOX" cdh-tool -s "unix://$CDH" get-resource -r kbs:///default/key/1

expect_output "UnsealSecret of a Python-sealed vault secret (kid and name from the KBS)" \
	"$(printf 'vault secret from python\n' | base64)" \
	"$COCOBOX" cdh-tool -s "unix://$CDH" unseal-secret -s "$T_TMP/fx/py-vault-uri.sealed"
sed 's/\.[A-Za-z0-9_-]*$/.AAAA/' "$T_TMP/fx/py-vault-uri.sealed" >"$T_TMP/tampered.sealed"
expect_exit "a tampered signature is refused" 1 \
	"$COCOBOX" cdh-tool -s "unix://$CDH" unseal-secret -s "$T_TMP/tampered.sealed"
"$COCOBOX" cdh-tool -s "unix://$CDH" unwrap-key -a "$T_TMP/fx/py-unwrap-v1.json" >"$T_TMP/unwrap.b64" 2>/dev/null
check "UnWrapKey of an ocicrypt request: optsdata as upstream emits it" "$PY" -c '
import base64, json, sys
out = json.loads(base64.b64decode(open(sys.argv[1]).read()))
assert bytes(out["keyunwrapresults"]["optsdata"]) == open(sys.argv[2], "rb").read()
' "$T_TMP/unwrap.b64" "$T_TMP/fx/py-optsdata.json"
expect_output "UnWrapKey of garbage: upstream's parse error" \
	"status 13 [ERROR] UnwrapKey Parse request failed" "$GO_TTRPC_CALL" -sock "$CDH" \
	-service keyprovider.KeyProviderService -method UnWrapKey -req-hex 0a027b7d
expect_output "WrapKey is NOT_FOUND, as upstream" \
	"status 5 /keyprovider.KeyProviderService/WrapKey is not supported" "$GO_TTRPC_CALL" \
	-sock "$CDH" -service keyprovider.KeyProviderService -method WrapKey
# sm NAME WANT VOLUME_TYPE OPTIONS_JSON: SecureMount fails and stderr carries WANT.
sm() {
	printf '{"volume_type":"%s","options":%s,"flags":[],"mount_point":"%s/mnt"}' "$3" "$4" \
		"$T_TMP" >"$T_TMP/st.json"
	check "$1" sh -c "! '$COCOBOX' cdh-tool -s 'unix://$CDH' secure-mount -s '$T_TMP/st.json' \
		2>'$T_TMP/sm.err' && grep -q '$2' '$T_TMP/sm.err'"
}
: >"$T_TMP/notblk"
sm "SecureMount: no device named" "neither deviceId nor devicePath" block-device \
	'{"encryptionType":"luks2"}'
sm "SecureMount: zfs refused" "zfs is not supported in cocobox" block-device \
	'{"devicePath":"/dev/vdb","encryptionType":"zfs"}'
sm "SecureMount: other volume types refused" "volume type alibaba-cloud-oss is not supported" \
	alibaba-cloud-oss '{}'
sm "SecureMount: bad key scheme" "neither sealed., kbs:// nor file://" block-device \
	'{"devicePath":"/dev/vdb","encryptionType":"luks2","key":"http://x"}'
sm "SecureMount: absent device" "No such file" block-device \
	"{\"devicePath\":\"$T_TMP/absent\",\"encryptionType\":\"luks2\"}"
sm "SecureMount: not a block device" "is not a block device" block-device \
	"{\"devicePath\":\"$T_TMP/notblk\",\"encryptionType\":\"luks2\"}"
sm "SecureMount: unknown deviceId" "device 4095:1048575 not found" block-device \
	'{"deviceId":"4095:1048575","encryptionType":"luks2","sourceType":"empty"}'
check "SecureMount failures leave no header" sh -c \
	"[ -z \"\$(ls -A '$T_TMP/run/luks-headers' 2>/dev/null)\" ]"
done_testing
