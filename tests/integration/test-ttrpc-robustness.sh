#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# Hostile and broken ttrpc input against our server: every case gets the upstream status
# or a clean close, and the server keeps serving others.
. "$(dirname "$0")/lib.sh"
sock=$T_TMP/r.sock
start_daemon ours "$TTRPC_TEST_SERVER" "$sock"
wait_socket "$sock" || { plan 1; not_ok "server starts"; exit 1; }
python3 "$TOP_SRCDIR/tests/integration/helpers/ttrpc-raw.py" robustness "$sock"
rc=$?
kill -0 "$LAST_PID" || { echo "not ok 999 server died"; exit 1; }
exit $rc
