#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# ttrpc wire interop with the real Go library (containerd/ttrpc, Debian's package):
# the Go client against our server, and our client against the Go server.
. "$(dirname "$0")/lib.sh"

[ -n "${GO_TTRPC_CALL:-}" ] || skip_all "${GO_TTRPC_SKIP:-Go ttrpc helpers not built}"
plan 23

now_ms() { date +%s%3N; }
C=$T_TMP/c/our.sock
G=$T_TMP/go.sock
gocall() { "$GO_TTRPC_CALL" -sock "$C" "$@"; }
ccall() { "$TTRPC_TEST_CLIENT" "$@"; }

start_daemon ours "$TTRPC_TEST_SERVER" "$C"
OURS=$LAST_PID
wait_socket "$C" || { cat "$T_TMP/ours.log"; exit 1; }
start_daemon go "$GO_TTRPC_ECHO_SERVER" -sock "$G"
GOSRV=$LAST_PID
wait_socket "$G" || { cat "$T_TMP/go.log"; exit 1; }

# --- Go client -> our server
expect_output "go->c: echo" "0a0568656c6c6f" gocall -req-hex 0a0568656c6c6f
expect_output "go->c: handler status (code and message)" "status 7 denied by policy" \
	gocall -fail "7:denied by policy"
expect_output "go->c: unknown service" "status 3 test.Nope service does not exist" \
	gocall -service test.Nope -method X
expect_output "go->c: unknown method" "status 12 Frobnicate method" gocall -method Frobnicate
expect_output "go->c: declared but not served" "status 5 /test.Echo/Unserved is not supported" \
	gocall -method Unserved

t0=$(now_ms)
expect_output "go->c: DEADLINE_EXCEEDED while the handler runs" "status 4 timeout" \
	gocall -sleep 3000 -server-timeout 300ms
dt=$(($(now_ms) - t0))
if [ $dt -ge 300 ] && [ $dt -lt 1500 ]; then ok "go->c: answered at the deadline (${dt} ms)"; else
	not_ok "go->c: answered at the deadline (${dt} ms, want 300..1500)"; fi

expect_output "go->c: 50 calls in flight on one connection, beside a slow one" \
	"$(printf '50 calls ok\nslow call finished after the load')" \
	gocall -echo-size 100 -n 50 -c 50 -slow-ms 1500
t0=$(now_ms)
expect_output "go->c: 16 sleeping calls on one connection" "16 calls ok" \
	gocall -sleep 400 -n 16 -c 16
dt=$(($(now_ms) - t0))
if [ $dt -lt 1500 ]; then ok "go->c: they ran side by side (${dt} ms)"; else
	not_ok "go->c: they ran side by side (${dt} ms, serial would be 6400)"; fi
expect_output "go->c: 2000 calls, 32 in flight" "2000 calls ok" gocall -echo-size 32 -n 2000 -c 32

expect_output "go->c: a 4 MiB frame is served" "$(printf '4194282 bytes ok\nthen-echo ok')" \
	gocall -frame-size 4194304 -then-echo
expect_output "go->c: one byte more gets the status, the connection goes on" \
	"$(printf 'status 3 message length 4194305 exceed maximum message size of 4194304\nthen-echo ok')" \
	gocall -frame-size 4194305 -then-echo

# --- our client -> Go server
expect_output "c->go: echo" "ok" ccall "$G" echo hello
expect_output "c->go: status" "status 7 denied by policy" ccall "$G" fail 7 "denied by policy"
expect_output "c->go: unknown service" "status 12 service test.Nope" ccall "$G" call test.Nope X
expect_output "c->go: unknown method" "status 12 method Frobnicate" \
	ccall "$G" call test.Echo Frobnicate
t0=$(now_ms)
out=$(ccall -t 300 "$G" sleep 3000)
dt=$(($(now_ms) - t0))
# Go's server cancels at timeout_nano, our client gives up at the same moment: either wins.
case "$out" in
"error: ETIMEDOUT" | "status 4 context deadline exceeded")
	if [ $dt -ge 300 ] && [ $dt -lt 1500 ]; then ok "c->go: timeout ($out, ${dt} ms)"; else
		not_ok "c->go: timeout after ${dt} ms"; fi ;;
*) not_ok "c->go: timeout: $out" ;;
esac
expect_output "c->go: 40 calls from 40 threads on one connection, beside a slow one" \
	"40 calls ok" ccall "$G" concurrent 40 1000

# --- our client -> our server: the same behaviour
expect_output "c->c: status" "status 7 denied by policy" ccall "$C" fail 7 "denied by policy"
expect_output "c->c: 40 concurrent calls" "40 calls ok" ccall "$C" concurrent 40 1000

# --- SIGTERM: drains, removes the socket, exits 0
kill -TERM $OURS
rc=0
wait $OURS || rc=$?
[ $rc -eq 0 ] && ok "SIGTERM: exit 0" || not_ok "SIGTERM: exit $rc"
[ ! -e "$C" ] && ok "SIGTERM: socket removed" || not_ok "SIGTERM: socket left behind"
kill -TERM $GOSRV
done_testing
