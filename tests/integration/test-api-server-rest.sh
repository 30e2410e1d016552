#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# api-server-rest in front of a real attestation-agent (sample TEE, tokens from the test
# KBS): upstream's routes, bodies and status codes over real HTTP, what a hostile client
# sends, and the features switch.
. "$(dirname "$0")/lib.sh"

PY=/usr/bin/python3
command -v curl >/dev/null || skip_all "curl missing"
"$PY" -c 'import cryptography' 2>/dev/null || skip_all "python3-cryptography missing"
unset http_proxy https_proxy all_proxy HTTPS_PROXY ALL_PROXY no_proxy NO_PROXY
plan 14

mkdir -p "$T_TMP/repo/default/key"
start_daemon kbs "$PY" "$TOP_SRCDIR/tests/kbs/kbs.py" --resources "$T_TMP/repo" \
	--port-file "$T_TMP/kbs.port" --lifetime 280
for i in $(seq 250); do [ -s "$T_TMP/kbs.port" ] && break; sleep 0.02; done
K=http://127.0.0.1:$(cat "$T_TMP/kbs.port")

AA=$T_TMP/aa/aa.sock
AA_KBC_PARAMS="cc_kbc::$K" start_daemon aa "$COCOBOX" attestation-agent -a "unix://$AA"
wait_socket "$AA"
P=$(free_port)
start_daemon asr "$COCOBOX" api-server-rest -b "127.0.0.1:$P" -f all -a "unix://$AA" \
	-c "unix://$T_TMP/no-cdh.sock"
U=http://127.0.0.1:$P
for i in $(seq 250); do curl -s -o /dev/null "$U/info" && break; sleep 0.02; done

# code URL [CURL-ARGS...]: prints "<status> <body>".
code() { local u=$1; shift; curl -s -w ' %{http_code}' "$@" "$u" | "$PY" -c 'import sys; b=sys.stdin.read(); print(b[-3:], b[:-4])'; }

expect_output "/info" "200 {\"version\":\"$("$COCOBOX" --version | awk '{print $NF}')\",\"tee\":\"sample\",\"feature\":\"all\"}" code "$U/info"
expect_output "/aa/evidence" '200 {"report_data":"aGk=","svn":"1"}' code "$U/aa/evidence?runtime_data=hi"
expect_output "/aa/evidence, URL-safe base64" '200 {"report_data":"+/8=","svn":"1"}' \
	code "$U/aa/evidence?runtime_data=-_8&encoding=base64"
expect_output "/aa/additional-evidence is empty" "200 " code "$U/aa/additional-evidence?runtime_data=hi"
code "$U/aa/token?token_type=kbs" >"$T_TMP/token"
check "/aa/token gives the AA's token JSON" grep -q '^200 {"token":"ey' "$T_TMP/token"
check "the token and key never reach the logs" sh -c "! grep -q -e 'PRIVATE KEY' -e '\"token\"' '$T_TMP/asr.log' '$T_TMP/aa.log'"
expect_output "/aa/token without token_type" "400 BAD REQUEST" code "$U/aa/token"
expect_output "/aa/token of an unknown type: the AA's status" \
	"500 ttrpc request error: INTERNAL: [ERROR:attestation-agent] AA-KBC get token failed" \
	code "$U/aa/token?token_type=nope"
expect_output "/aa/aael without the event log" \
	'200 {"success":"false","message": "Attestation Agent does not enable eventlog recording"}' \
	code "$U/aa/aael" -X POST -d '{"domain":"d","operation":"o","content":"c"}'
check "/cdh/resource without a CDH is a 500 naming it" sh -c \
	"curl -s '$U/cdh/resource/default/key/1' | grep -q 'failed to connect to CDH'"
expect_output "unknown path" "404 URL NOT FOUND" code "$U/nope"
expect_output "a body past 64 KiB is refused" "413 " code "$U/aa/aael" -X POST \
	--data-binary @<(head -c 70000 /dev/zero | tr '\0' a)
expect_output "chunked bodies are refused" "501 " code "$U/aa/aael" -X POST \
	-H 'Transfer-Encoding: chunked' -d x

P2=$(free_port)
start_daemon asr2 "$COCOBOX" api-server-rest -b "127.0.0.1:$P2" -f resource \
	-c "unix://$T_TMP/no-cdh.sock"
for i in $(seq 250); do curl -s -o /dev/null "http://127.0.0.1:$P2/info" && break; sleep 0.02; done
expect_output "--features resource: no AA routes" "404 Attestation Feature Not Enabled" \
	code "http://127.0.0.1:$P2/aa/evidence?runtime_data=x"
done_testing
