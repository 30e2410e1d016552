#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# attestation-agent as the Kata agent and CDH see it: the upstream service over ttrpc,
# spoken by the real Go ttrpc client and by raw frames (upstream.md §1.2 worked example).
. "$(dirname "$0")/lib.sh"
[ -n "${GO_TTRPC_CALL:-}" ] || skip_all "${GO_TTRPC_SKIP:-Go ttrpc helpers not built}"
plan 20
svc=attestation_agent.AttestationAgentService
sock=$T_TMP/run/aa/attestation-agent.sock
call() { "$GO_TTRPC_CALL" -sock "$sock" -service $svc "$@"; }
hex() { printf %s "$1" | od -An -tx1 | tr -d ' \n'; }

# A stale socket file from an earlier run must not stop the daemon.
mkdir -p "$(dirname "$sock")"
python3 -c "import socket,sys; socket.socket(socket.AF_UNIX).bind(sys.argv[1])" "$sock"
start_daemon aa env -u RUST_LOG "$COCOBOX" attestation-agent --attestation_sock "unix://$sock"
aa_pid=$LAST_PID
check "starts over a stale socket and listens" wait_socket "$sock"
sleep 0.2
check "socket answers" call -method GetTeeType

# Worked example from upstream.md §1.2 with tee "sample": the empty OK status is present.
req=0a29$(hex $svc)120a$(hex GetTeeType)2080e8eda1ba01
expect_output "GetTeeType bytes on the wire" "0000000c000000010200""0a0012080a06$(hex sample)" \
	python3 "$TOP_SRCDIR/tests/integration/helpers/ttrpc-raw.py" "$sock" frame "0000003e0000000101$(printf 00)$req"
expect_output "GetTeeType" "0a06$(hex sample)" call -method GetTeeType
ev='{"report_data":"YWJj","svn":"1"}'
expect_output "GetEvidence (sample)" "0a$(printf %02x ${#ev})$(hex "$ev")" \
	call -method GetEvidence -req-hex 0a03616263
expect_output "GetAdditionalEvidence is empty" "" call -method GetAdditionalEvidence -req-hex 0a0161
expect_output "GetAdditionalTees is empty" "" call -method GetAdditionalTees
expect_output "ExtendRuntimeMeasurement without eventlog: NOT_ENABLED" "0802" \
	call -method ExtendRuntimeMeasurement -req-hex 0a016412016f1a0163
expect_output "BindInitData on a TEE without binding answers OK" "" \
	call -method BindInitData -req-hex 0a0400112233
expect_output "BindInitData without a digest is INVALID_ARGUMENT" \
	"status 3 init-data digest must be 1 to 64 bytes" call -method BindInitData
expect_output "GetToken failure is INTERNAL with upstream's text" \
	"status 13 [ERROR:attestation-agent] AA-KBC get token failed" \
	call -method GetToken -req-hex 0a036b6273
expect_output "unknown method" "status 12 Nope method" call -method Nope

tool() { "$COCOBOX" aa-tool -s "unix://$sock" "$@"; }
expect_output "aa-tool tee" "sample" tool tee
expect_output "aa-tool evidence" "$ev" tool evidence abc
expect_output "aa-tool evidence --hex" '{"report_data":"AAH/","svn":"1"}' tool -x evidence 0001ff
expect_exit "aa-tool extend without eventlog fails" 1 tool extend d o c
expect_exit "aa-tool without a daemon fails" 1 "$COCOBOX" aa-tool -s "$T_TMP/none.sock" tee

kill -TERM "$aa_pid"
rc=0
wait "$aa_pid" || rc=$?
check "SIGTERM exits 0" test "$rc" = 0
check "socket removed on exit" test ! -e "$sock"
check "bad config is refused with line:column" \
	sh -c "printf '[log]\nlevel = \n' > '$T_TMP/bad.toml'; '$COCOBOX' attestation-agent -c '$T_TMP/bad.toml' -a 'unix://$T_TMP/x.sock' 2>&1 | grep -q 'bad.toml:2:'"
done_testing
