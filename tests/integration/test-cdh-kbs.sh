#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# The CDH's KBS client (cdh/kbs/kbs-client.c) hardened against the test KBS (tests/kbs/kbs.py)
# through a real attestation-agent (sample TEE), driven by the Go ttrpc client (as the Kata
# agent) and cdh-tool: each TEE key type the AA offers, HTTPS with kbs_cert, the KBS's 401
# body in the reply, token renewal before exp, a 401 for a token the KBS no longer knows,
# the KBS down and back up, answers that are garbage (not JSON, a bad JWE, the plaintext
# with the wrong content type, truncated, 500, dropped) or never come; after each the same
# CDH process must keep serving. test-cdh.sh covers the happy path and the sealed secrets.
. "$(dirname "$0")/lib.sh"

PY=/usr/bin/python3
KBS=$TOP_SRCDIR/tests/kbs/kbs.py
"$PY" -c 'import cryptography' 2>/dev/null || skip_all "python3-cryptography missing"
[ -n "${GO_TTRPC_CALL:-}" ] || skip_all "${GO_TTRPC_SKIP:-Go ttrpc helpers not built}"
command -v curl >/dev/null || skip_all "curl missing"
command -v openssl >/dev/null || skip_all "openssl missing"
unset http_proxy https_proxy all_proxy HTTPS_PROXY ALL_PROXY no_proxy NO_PROXY AA_KBC_PARAMS
plan 34

R=$T_TMP/repo
mkdir -p "$R/default/key" "$R/default/secret" "$R/default/hang"
head -c 3000 /dev/urandom >"$R/default/key/1"
echo "denied" >"$R/default/secret/x"
echo "never served" >"$R/default/hang/x"
WANT=$(base64 -w0 <"$R/default/key/1")

P=$T_TMP/pki
make_test_pki "$P"

# start_kbs NAME ARGS...: starts kbs.py; $PORT once it listens, $KPID its pid.
start_kbs() {
	local name=$1 i
	shift
	rm -f "$T_TMP/$name.port"
	start_daemon "$name" "$PY" "$KBS" --resources "$R" --port-file "$T_TMP/$name.port" \
		--lifetime 280 --deny 'default/secret/*' "$@"
	KPID=$LAST_PID
	for i in $(seq 1 250); do [ -s "$T_TMP/$name.port" ] && break; sleep 0.02; done
	PORT=$(cat "$T_TMP/$name.port" 2>/dev/null)
	[ -n "$PORT" ] || { cat "$T_TMP/$name.log"; skip_all "kbs.py did not start"; }
}
stop() { kill "$1" 2>/dev/null; wait "$1" 2>/dev/null; }
kcfg() { curl -s -X POST -d "$1" "$K/test/config" >/dev/null; }
stat() { curl -s "$K/test/stats" | "$PY" -c "import json,sys; d=json.load(sys.stdin); print(eval(sys.argv[1]))" "$1"; }

# start_pair NAME URL ALG [AA_CERT [CDH_CERT]]: an AA with [token_configs.kbs] and a CDH
# with [kbc] for URL; sets $CDH (socket), $AAPID, $CDHPID. Extra env for the CDH: CDH_ENV.
start_pair() {
	local n=$1 url=$2 alg=$3 aacert=${4:-} cdhcert=${5:-}
	{
		printf '[token_configs.kbs]\nurl = "%s"\ntee_key_algorithm = "%s"\n' "$url" "$alg"
		[ -z "$aacert" ] || printf 'cert = """\n%s\n"""\n' "$(cat "$aacert")"
	} >"$T_TMP/$n-aa.toml"
	start_daemon "$n-aa" "$COCOBOX" attestation-agent -a "unix://$T_TMP/$n-aa.sock" \
		-c "$T_TMP/$n-aa.toml"
	AAPID=$LAST_PID
	wait_socket "$T_TMP/$n-aa.sock"
	{
		printf 'socket = "unix://%s"\n[aa]\naa_socket = "unix://%s"\n' "$T_TMP/$n-cdh.sock" "$T_TMP/$n-aa.sock"
		printf '[kbc]\nname = "cc_kbc"\nurl = "%s"\n' "$url"
		[ -z "$cdhcert" ] || printf 'kbs_cert = """\n%s\n"""\n' "$(cat "$cdhcert")"
	} >"$T_TMP/$n-cdh.toml"
	mkdir -p "$T_TMP/$n-run"
	start_daemon "$n-cdh" env CDH_RUN_DIR="$T_TMP/$n-run" ${CDH_ENV:-} "$COCOBOX" \
		confidential-data-hub -c "$T_TMP/$n-cdh.toml"
	CDHPID=$LAST_PID
	CDH=$T_TMP/$n-cdh.sock
	wait_socket "$CDH"
}
stop_pair() { stop "$CDHPID"; stop "$AAPID"; }

hex() { printf %s "$1" | od -An -tx1 | tr -d ' \n'; }
# getres URI: the Go client's GetResource (as the Kata agent); prints the reply or status.
getres() { "$GO_TTRPC_CALL" -sock "$CDH" -service api.GetResourceService -method GetResource \
	-req-hex "0a$(printf %02x ${#1})$(hex "$1")"; }
# tool URI: cdh-tool get-resource, its base64 output on stdout.
tool() { "$COCOBOX" cdh-tool -s "unix://$CDH" get-resource -r "$1"; }
# expect_err NAME FRAGMENT URI: GetResource fails with status 13 and FRAGMENT in its message.
expect_err() {
	local got
	got=$(getres "$3" 2>&1)
	case $got in
	"status 13 [CDH] [ERROR]: get resource failed: "*"$2"*) ok "$1"; echo "# $got" ;;
	*) not_ok "$1"; printf '# want ...%s...\n# got: %s\n' "$2" "$got" ;;
	esac
}

# --- each TEE key type the AA offers, over HTTP
start_kbs kbs
K=http://127.0.0.1:$PORT
KPORT=$PORT
MAINKPID=$KPID
for alg in ECDH-ES+A256KW-P256 ECDH-ES+A256KW-P521 RSA-OAEP-256; do
	case $alg in
	*P256) want="{'kty': 'EC', 'crv': 'P-256', 'alg': 'ECDH-ES+A256KW'}" ;;
	*P521) want="{'kty': 'EC', 'crv': 'P-521', 'alg': 'ECDH-ES+A256KW'}" ;;
	RSA*) want="{'kty': 'RSA', 'alg': 'RSA-OAEP-256'}" ;;
	esac
	start_pair "k-${alg##*-}" "$K" "$alg"
	expect_output "$alg: the resource through AA + CDH (cdh-tool)" "$WANT" tool kbs:///default/key/1
	check "$alg: the KBS wrapped it to a $alg TEE key" test "$(stat 'd["last_tee_pubkey"]')" = "$want"
	stop_pair
done

# --- HTTPS with kbs_cert
start_kbs tls --cert "$P/kbs.crt" --key "$P/kbs.key"
S=https://127.0.0.1:$PORT
TPID=$KPID
start_pair tls "$S" ECDH-ES+A256KW-P256 "$P/ca.crt" "$P/ca.crt"
expect_output "HTTPS: the resource with kbs_cert" "$WANT" tool kbs:///default/key/1
stop_pair
start_pair tls2 "$S" RSA-OAEP-256 "$P/ca.crt"
expect_err "HTTPS without kbs_cert: the certificate is refused, said so" "KBS request failed: " \
	kbs:///default/key/1
stop_pair
stop "$TPID"

# --- KBS refusals, token lifetime (one CDH for the rest)
start_pair main "$K" ECDH-ES+A256KW-P256
check "warm-up GetResource" getres kbs:///default/key/1
a0=$(stat 'd["attest"]')
expect_err "policy denial: the KBS's 401 body in the reply" \
	"KBS refused the request (HTTP 401): PolicyDeny: Access denied by policy" kbs:///default/secret/x
check "... after exactly one re-attestation" test "$(stat 'd["attest"]')" = $((a0 + 1))
kcfg '{"missing_status":401}'
expect_err "missing resource answered 401 as trustee does: its detail shown" \
	"PluginInternalError: Plugin internal error" kbs:///default/key/nope
kcfg '{"missing_status":404}'
expect_output "missing resource (404): upstream's message" \
	"status 13 [CDH] [ERROR]: get resource failed: resource not found" getres kbs:///default/key/nope

# Tokens of 33 s: used for 3 s (the client renews 30 s before exp), then renewed.
kcfg '{"token_seconds":33}'
stop "$CDHPID"
mkdir -p "$T_TMP/main2-run"
start_daemon main2-cdh env CDH_RUN_DIR="$T_TMP/main2-run" "$COCOBOX" confidential-data-hub \
	-c "$T_TMP/main-cdh.toml"
CDHPID=$LAST_PID
rm -f "$CDH"
wait_socket "$CDH" || sleep 0.5
a0=$(stat 'd["attest"]')
getres kbs:///default/key/1 >/dev/null
getres kbs:///default/key/1 >/dev/null
check "short token: used while fresh (1 attestation for 2 calls)" test "$(stat 'd["attest"]')" = $((a0 + 1))
sleep 3.2
expect_output "short token: renewed near exp, the call succeeds" "$WANT" tool kbs:///default/key/1
check "... with a new attestation" test "$(stat 'd["attest"]')" = $((a0 + 2))
kcfg '{"token_seconds":300}'

# --- KBS down, then up again (a new KBS: the cached token is unknown to it -> 401)
stop "$MAINKPID"
expect_err "KBS down: a clean error" "KBS request failed: Connection refused" kbs:///default/key/1
start_kbs kbs2 --port "$KPORT"
expect_output "KBS back: the same CDH serves again" "$WANT" tool kbs:///default/key/1
check "... after a 401 for the old token and one attestation" test "$(stat 'd["attest"]')" = 1

# --- garbage answers to the resource GET: clear errors, then the CDH still serves
fault() { kcfg "{\"fault\":\"$1\",\"fault_on\":[\"resource\"],\"fault_count\":null}"; }
fault garbage
expect_err "resource answer not JSON" "not a JWE for our key: Bad message" kbs:///default/key/1
fault badjwe
expect_err "resource JWE with a bad tag" "not a JWE for our key" kbs:///default/key/1
fault ctype
expect_err "plaintext with the wrong content type is not taken" "not a JWE for our key" kbs:///default/key/1
fault truncated
expect_err "truncated answer" "KBS request failed: " kbs:///default/key/1
fault 500
expect_err "HTTP 500: status and body shown" \
	"KBS answered HTTP 500: internal error injected by the test KBS" kbs:///default/key/1
f5=$(stat 'd["faults"]')
fault close
expect_err "connection dropped" "KBS request failed: " kbs:///default/key/1
f=$(stat 'd["faults"]')
# libcurl itself resends once when a reused connection turns out dropped: 3 or 4 there.
check "... 3 attempts each (upstream's KBS_GET_RESOURCE_MAX_ATTEMPT): $f5 + $((f - f5))" \
	test "$f5" = 15 -a $((f - f5)) -ge 3 -a $((f - f5)) -le 4
kcfg '{"fault":"none"}'
expect_output "after all of them the same CDH serves" "$WANT" tool kbs:///default/key/1
check "CDH process still alive" kill -0 "$CDHPID"

# --- the AA cannot attest (/auth answers garbage): the CDH says why, then recovers
stop "$CDHPID"
start_daemon main3-cdh env CDH_RUN_DIR="$T_TMP/main2-run" "$COCOBOX" confidential-data-hub \
	-c "$T_TMP/main-cdh.toml"
CDHPID=$LAST_PID
rm -f "$CDH"
wait_socket "$CDH" || sleep 0.5
kcfg '{"fault":"garbage","fault_on":["auth"],"fault_count":null}'
expect_err "AA attestation fails: its reason in the reply" \
	"no KBS token from the attestation agent: " kbs:///default/key/1
kcfg '{"fault":"none"}'
expect_output "... and the next call attests and succeeds" "$WANT" tool kbs:///default/key/1

# --- a KBS that accepts and never answers, for one path: the call times out (3 x 1.5 s
# here, upstream 3 x 60 s) while other calls on the same CDH go on
stop "$CDHPID"
rm -f "$CDH"
start_daemon main4-cdh env CDH_RUN_DIR="$T_TMP/main2-run" COCOBOX_TEST_TIMEOUT_MS=1500 \
	"$COCOBOX" confidential-data-hub -c "$T_TMP/main-cdh.toml"
CDHPID=$LAST_PID
wait_socket "$CDH" || sleep 0.5
getres kbs:///default/key/1 >/dev/null
kcfg '{"fault":"hang","fault_on":["resource"],"fault_count":null,"fault_path":"default/hang/*"}'
t0=$(date +%s%N)
getres kbs:///default/hang/x >"$T_TMP/hang.out" 2>&1 &
hpid=$!
sleep 0.5
check "while one call hangs, 20 others succeed" "$GO_TTRPC_CALL" -sock "$CDH" \
	-service api.GetResourceService -method GetResource -req-hex "0a14$(hex kbs:///default/key/1)" \
	-n 20 -c 4
wait $hpid
ms=$((($(date +%s%N) - t0) / 1000000))
case $(cat "$T_TMP/hang.out") in
"status 13 [CDH] [ERROR]: get resource failed: KBS request failed: "*"timed out"*) ok "the hung call fails: timed out" ;;
*) not_ok "the hung call fails: timed out"; sed 's/^/# /' "$T_TMP/hang.out" ;;
esac
check "... after 3 attempts of 1.5 s ($ms ms)" test "$ms" -ge 4400 -a "$ms" -lt 15000
kcfg '{"fault":"none","fault_path":null}'
expect_output "the CDH serves after the hang" "$WANT" tool kbs:///default/key/1
stop_pair
done_testing
