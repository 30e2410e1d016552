#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# Malformed, hostile and slow peers against our ttrpc server (raw sockets, python3
# stdlib): it answers as ttrpc-rust does or drops that connection, keeps serving the
# others, and never crashes.
. "$(dirname "$0")/lib.sh"

command -v python3 >/dev/null || skip_all "python3 not found"
RAW="$TOP_SRCDIR/tests/integration/helpers/ttrpc-raw.py"
scenarios="truncated-header truncated-body oversized oversized-huge even-stream garbage-request
other-types pipelined stalled many half-closed-peer"
plan $(($(echo $scenarios | wc -w) + 2))

S=$T_TMP/robust.sock
start_daemon ours "$TTRPC_TEST_SERVER" "$S"
PID=$LAST_PID
wait_socket "$S" || { cat "$T_TMP/ours.log"; exit 1; }

for sc in $scenarios; do
	check "$sc" python3 "$RAW" "$S" "$sc"
done
check "still alive" kill -0 $PID
kill -TERM $PID
rc=0
wait $PID || rc=$?
[ $rc -eq 0 ] && ok "SIGTERM: exit 0" || { not_ok "SIGTERM: exit $rc"; sed 's/^/# /' "$T_TMP/ours.log" | tail; }
done_testing
