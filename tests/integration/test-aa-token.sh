#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# The AA's token getters (aa/token*.c) against the test KBS tests/kbs/kbs.py, driven by
# helpers/token-cli with the sample attester: RCAR for each TEE key type, resources fetched
# with the token (Bearer) and decrypted with the returned tee_keypair, KBS errors, retries,
# faults, HTTPS, config parsing and the CoCo-AS path. Also checks the KBS itself speaks the
# protocol (version, cookie, nonce, error bodies).
. "$(dirname "$0")/lib.sh"

PY=/usr/bin/python3
KBS=$TOP_SRCDIR/tests/kbs/kbs.py
CLI=${TOKEN_CLI:-$TOP_BUILDDIR/tests/integration/helpers/token-cli}
[ -x "$CLI" ] || skip_all "token-cli not built (aa disabled?)"
"$PY" -c 'import cryptography' 2>/dev/null || skip_all "python3-cryptography missing"
command -v openssl >/dev/null || skip_all "openssl missing"
command -v curl >/dev/null || skip_all "curl missing"
unset http_proxy https_proxy all_proxy HTTPS_PROXY ALL_PROXY no_proxy NO_PROXY AA_KBC_PARAMS

plan 55

# --- resources and a test CA with a server certificate for 127.0.0.1
R=$T_TMP/repo
mkdir -p "$R/default/key" "$R/default/secret" "$R/other/cert"
head -c 4096 /dev/urandom >"$R/default/key/1"
printf 'hello from the test KBS\n' >"$R/other/cert/pem"
echo s3cret >"$R/default/secret/x"
P=$T_TMP/pki
make_test_pki "$P"

# start_kbs NAME ARGS...: starts kbs.py, sets $PORT once it listens.
start_kbs() {
	local name=$1 i
	shift
	rm -f "$T_TMP/$name.port"
	start_daemon "$name" "$PY" "$KBS" --resources "$R" --port-file "$T_TMP/$name.port" \
		--lifetime 280 "$@"
	for i in $(seq 1 250); do [ -s "$T_TMP/$name.port" ] && break; sleep 0.02; done
	PORT=$(cat "$T_TMP/$name.port" 2>/dev/null)
	[ -n "$PORT" ] || { cat "$T_TMP/$name.log"; skip_all "kbs.py did not start"; }
}
kcfg() { curl -s -X POST -d "$1" "$K/test/config" >/dev/null; }
kreset() { curl -s -X POST "$K/test/reset" >/dev/null; }
stat() { curl -s "$K/test/stats" | "$PY" -c "import json,sys; d=json.load(sys.stdin); print(eval(sys.argv[1]))" "$1"; }
# tok ARGS...: runs token-cli token, its exit code in $RC, stderr in $ERR.
tok() {
	RC=0
	"$CLI" token "$@" >"$T_TMP/tok.out" 2>"$T_TMP/tok.err" || RC=$?
	ERR=$(cat "$T_TMP/tok.err")
}
expect() { # expect NAME COND...
	local name=$1
	shift
	if "$@"; then ok "$name"; else
		not_ok "$name"
		printf '# rc=%s\n' "$RC"
		sed 's/^/#   /' "$T_TMP/tok.err" | head -5
	fi
}
has_err() { printf '%s' "$ERR" | grep -qF -- "$1"; }
fast() {
	local -x COCOBOX_TEST_RETRY_MS=20 COCOBOX_TEST_TIMEOUT_MS=${TMO:-2000}
	"$@"
}

start_kbs kbs --deny 'default/secret/*'
K=http://127.0.0.1:$PORT

# --- the KBS speaks the protocol (checked with curl, independently of our client)
REQ='{"version":"0.4.0","tee":"sample","extra-params":""}'
curl -s -D "$T_TMP/h" -o "$T_TMP/b" -X POST -H 'Content-Type: application/json' -d "$REQ" "$K/kbs/v0/auth"
if grep -qiE '^set-cookie: kbs-session-id=[0-9a-f]{32}; Expires=' "$T_TMP/h" &&
	"$PY" -c 'import json,sys,base64; d=json.load(open(sys.argv[1])); assert len(base64.b64decode(d["nonce"],validate=True))==32 and d["extra-params"]==""' "$T_TMP/b"; then
	ok "kbs: /auth sets kbs-session-id and answers a 32-byte nonce"
else not_ok "kbs: /auth answer"; sed 's/^/# /' "$T_TMP/h" "$T_TMP/b"; fi
code=$(curl -s -o "$T_TMP/b" -w '%{http_code}' -X POST -d '{"version":"0.1.1","tee":"sample","extra-params":""}' "$K/kbs/v0/auth")
want='{"type":"https://github.com/confidential-containers/kbs/errors/AttestationError","detail":"Attestation error: RCAR handshake Auth failed: KBS Client Protocol Version Mismatch: expect =0.4.0 while the request is 0.1.1"}'
if [ "$code" = 401 ] && [ "$(cat "$T_TMP/b")" = "$want" ]; then ok "kbs: version 0.1.1 gets upstream's 401 body"; else
	not_ok "kbs: version mismatch"; echo "# $code $(cat "$T_TMP/b")"; fi
code=$(curl -s -o "$T_TMP/b" -w '%{http_code}' -X POST -d '{"version":"0.4.0","tee":"sev","extra-params":""}' "$K/kbs/v0/auth")
[ "$code" = 401 ] && grep -q 'deserialize Request' "$T_TMP/b" && ok "kbs: unknown tee refused" || not_ok "kbs: unknown tee ($code)"
code=$(curl -s -o "$T_TMP/b" -w '%{http_code}' -X POST -d '{}' "$K/kbs/v0/attest")
[ "$code" = 401 ] && grep -q 'RCAR handshake Attest failed' "$T_TMP/b" && ok "kbs: /attest without cookie is 401" || not_ok "kbs: attest without cookie ($code)"
code=$(curl -s -o "$T_TMP/b" -w '%{http_code}' "$K/kbs/v0/resource/default/key/1")
[ "$code" = 401 ] && grep -q '/TokenNotFound"' "$T_TMP/b" && ok "kbs: resource without token is 401 TokenNotFound" || not_ok "kbs: resource without token ($code)"
code=$(curl -s -o "$T_TMP/b" -w '%{http_code}' "$K/kbs/v0/nosuchplugin/a")
[ "$code" = 404 ] && grep -q '/PluginNotFound"' "$T_TMP/b" && ok "kbs: unknown plugin is 404" || not_ok "kbs: unknown plugin ($code)"

# --- a token per TEE key type; the resource with that token, decrypted with its key
for alg in p256 p521 rsa; do
	tok --kbs "$K" --alg "$alg" --out "$T_TMP/tok-$alg.json"
	case $alg in rsa) hdr='BEGIN RSA PRIVATE KEY' ;; *) hdr='BEGIN PRIVATE KEY' ;; esac
	expect "token $alg" [ "$RC" = 0 ]
	if "$PY" - "$T_TMP/tok-$alg.json" "$hdr" "$alg" <<'EOF'; then ok "token $alg: {token, tee_keypair} with the key type asked for"; else not_ok "token $alg shape"; fi
import base64, json, sys
d = json.load(open(sys.argv[1]))
assert sorted(d) == ['tee_keypair', 'token'], d.keys()
assert d['tee_keypair'].startswith('-----' + sys.argv[2]), d['tee_keypair'][:40]
c = json.loads(base64.urlsafe_b64decode(d['token'].split('.')[1] + '=='))
want = {'p256': ('EC', 'P-256'), 'p521': ('EC', 'P-521'), 'rsa': ('RSA', None)}[sys.argv[3]]
assert (c['tee-pubkey']['kty'], c['tee-pubkey'].get('crv')) == want, c['tee-pubkey']
EOF
	RC=0
	"$CLI" resource --token "$T_TMP/tok-$alg.json" --url "$K/kbs/v0/resource/default/key/1" >"$T_TMP/res" 2>"$T_TMP/tok.err" || RC=$?
	expect "resource with the $alg token decrypts to the file" cmp -s "$T_TMP/res" "$R/default/key/1"
done
[ "$(stat 'd["attest_ok"]')" = 3 ] && ok "kbs verified 3 sample attestations" || not_ok "attest_ok $(stat 'd["attest_ok"]')"
[ "$(stat 'd["last_user_agent"]')" = "attestation-agent-kbs-client/0.1.0" ] && ok "User-Agent as upstream" || not_ok "UA $(stat 'd["last_user_agent"]')"
[ "$(stat 'd["last_auth"]["version"], d["last_auth"]["tee"], d["last_auth"]["extra-params"]')" = "('0.4.0', 'sample', {'supported-hash-algorithms': ['sha256', 'sha384', 'sha512', 'sm3']})" ] &&
	ok "Request: version 0.4.0, tee sample, supported-hash-algorithms" || not_ok "Request $(stat 'd["last_auth"]')"
[ "$(stat 'd["last_hash"]')" = sha384 ] && ok "report data hashed with SHA-384 by default" || not_ok "hash $(stat 'd["last_hash"]')"

# --- the background-check path (session cookie), with an independent Python client and
# JWE decryption by python3-jwcrypto
RCARPY=$TOP_SRCDIR/tests/integration/helpers/kbs-rcar.py
if "$PY" -c 'import jwcrypto' 2>/dev/null; then
	RC=0; "$PY" "$RCARPY" "$K" default/key/1 --attest-twice >"$T_TMP/res" 2>"$T_TMP/tok.err" || RC=$?
	expect "cookie session: resource without a token, jwcrypto decrypts it" cmp -s "$T_TMP/res" "$R/default/key/1"
	expect "... and a second attest returned the session's token" [ "$RC" = 0 ]
	kcfg '{"session_seconds":1}'
	RC=0; "$PY" "$RCARPY" "$K" default/key/1 --sleep 1.3 >"$T_TMP/res" 2>"$T_TMP/tok.err" || RC=$?
	expect "expired cookie session: 401 TokenNotFound" eval '[ "$RC" = 1 ] && grep -q "status 401 .*/TokenNotFound" "$T_TMP/res"'
	kcfg '{"session_seconds":300}'
else
	skip "python3-jwcrypto missing"; skip "python3-jwcrypto missing"; skip "python3-jwcrypto missing"
fi

# --- resources refused
res() { RC=0; "$CLI" resource --token "$T_TMP/tok-p256.json" --url "$K/kbs/v0/resource/$1" >"$T_TMP/res" 2>"$T_TMP/tok.err" || RC=$?; ERR=$(cat "$T_TMP/tok.err"); }
res default/secret/x
expect "policy deny list: 401 PolicyDeny" eval '[ "$RC" = 1 ] && has_err "status 401" && has_err "/PolicyDeny"'
res default/key/missing
expect "missing resource: 404" eval '[ "$RC" = 1 ] && has_err "status 404"'
res other/cert/pem
expect "another resource with the same token" eval '[ "$RC" = 0 ] && cmp -s "$T_TMP/res" "$R/other/cert/pem"'
"$PY" -c 'import json,sys; d=json.load(open(sys.argv[1])); t=d["token"]; d["token"]=t[:-4]+("AAAA" if t[-4:]!="AAAA" else "BBBB"); json.dump(d,open(sys.argv[2],"w"))' "$T_TMP/tok-p256.json" "$T_TMP/bad.json"
RC=0; "$CLI" resource --token "$T_TMP/bad.json" --url "$K/kbs/v0/resource/default/key/1" >/dev/null 2>"$T_TMP/tok.err" || RC=$?; ERR=$(cat "$T_TMP/tok.err")
expect "forged token: 401 TokenVerifierError" eval '[ "$RC" = 1 ] && has_err "/TokenVerifierError"'

# --- init-data is sent as {format toml, body}
printf 'version = "0.1.0"\nalgorithm = "sha256"\n\n[data]\n"aa.toml" = """\n[token_configs]\n"""\n' >"$T_TMP/initdata.toml"
tok --kbs "$K" --initdata "$T_TMP/initdata.toml"
expect "token with init-data" [ "$RC" = 0 ]
[ "$(stat 'd["last_init_data"]["digest"]')" = "$(sha256sum <"$T_TMP/initdata.toml" | cut -d' ' -f1)" ] &&
	ok "KBS got the init-data TOML verbatim (digest matches)" || not_ok "init-data $(stat 'd["last_init_data"]')"

# --- hash selection by Challenge.extra-params
kcfg '{"select_hash":"SHA512"}'
tok --kbs "$K"
expect "selected-hash-algorithm SHA512 (case-insensitive) honoured" eval '[ "$RC" = 0 ] && [ "$(stat "d[\"last_hash\"]")" = sha512 ]'
kcfg '{"select_hash":"sm3"}'
tok --kbs "$K"
expect "selected sm3 honoured" eval '[ "$RC" = 0 ] && [ "$(stat "d[\"last_hash\"]")" = sm3 ]'
kcfg '{"select_hash":null}'

# --- KBS errors surface with their ErrorInformation
kcfg '{"version":"0.5.0"}'
kreset
fast tok --kbs "$K"
expect "protocol version refused: EACCES with the KBS's detail" eval '[ "$RC" = 1 ] && has_err "error EACCES" && has_err "KBS Client Protocol Version Mismatch: expect =0.5.0 while the request is 0.4.0" && has_err "errors/AttestationError"'
expect "... after 5 attempts" eval '[ "$(stat "d[\"auth\"]")" = 5 ] && has_err "retried 5 times"'
kcfg '{"version":"0.4.0","session_seconds":0}'
fast tok --kbs "$K"
expect "expired session: attest refused" eval '[ "$RC" = 1 ] && has_err "RCAR handshake Attest failed"'
kcfg '{"session_seconds":300}'

# --- faults: every attempt fails, then transient faults
for f in garbage 500 close hang; do
	kreset
	kcfg "{\"fault\":\"$f\",\"fault_on\":[\"auth\"],\"fault_count\":null}"
	TMO=400 fast tok --kbs "$K"
	case $f in
	garbage) e=EBADMSG ;; 500) e=EPROTO ;; hang) e=ETIMEDOUT ;; close) e= ;;
	esac
	expect "fault $f on /auth: error ${e:-(transport)}, no crash, 5 attempts" eval \
		'[ "$RC" = 1 ] && has_err "error $e" && [ "$(stat "d[\"auth\"]")" = 5 ]'
done
kreset
kcfg '{"fault":"garbage","fault_on":["attest"],"fault_count":null}'
fast tok --kbs "$K"
expect "garbage /attest answer: EBADMSG" eval '[ "$RC" = 1 ] && has_err "error EBADMSG" && [ "$(stat "d[\"attest\"]")" = 5 ] && [ "$(stat "d[\"attest_ok\"]")" = 0 ] && [ "$(stat "d[\"auth\"]")" = 5 ]'
kreset
kcfg '{"fault":"500","fault_on":["auth","attest"],"fault_count":3}'
fast tok --kbs "$K"
expect "3 transient faults: token on the 4th attempt" eval '[ "$RC" = 0 ] && [ "$(stat "d[\"auth\"]")" = 4 ]'
kcfg '{"fault":"none"}'

# --- KBS down: 5 attempts 1 s apart (upstream's timing), then up within that window
DOWN=$(free_port)
t0=$(date +%s%N)
tok --kbs "http://127.0.0.1:$DOWN"
t1=$(date +%s%N)
ms=$(((t1 - t0) / 1000000))
expect "KBS down: ECONNREFUSED after 5 attempts" eval '[ "$RC" = 1 ] && has_err "error ECONNREFUSED" && has_err "retried 5 times"'
expect "... with 1 s between attempts ($ms ms)" [ "$ms" -ge 3900 -a "$ms" -lt 15000 ]
UP=$(free_port)
RC=0
"$CLI" token --kbs "http://127.0.0.1:$UP" >"$T_TMP/late.out" 2>"$T_TMP/late.err" &
cli=$!
sleep 1.5
start_kbs late --port "$UP"
wait $cli || RC=$?
expect "KBS up within the retry window: token" eval '[ "$RC" = 0 ] && grep -q tee_keypair "$T_TMP/late.out"'

# --- HTTPS with the KBS certificate from the config
start_kbs tls --cert "$P/kbs.crt" --key "$P/kbs.key"
S=https://127.0.0.1:$PORT
tok --kbs "$S" --cert "$P/ca.crt" --out "$T_TMP/tls.json"
expect "HTTPS with the CA as cert" [ "$RC" = 0 ]
RC=0; "$CLI" resource --token "$T_TMP/tls.json" --cert "$P/ca.crt" --url "$S/kbs/v0/resource/default/key/1" >"$T_TMP/res" 2>"$T_TMP/tok.err" || RC=$?
expect "HTTPS resource decrypts" cmp -s "$T_TMP/res" "$R/default/key/1"
TMO=2000 fast tok --kbs "$S"
expect "HTTPS without the CA: EKEYREJECTED" eval '[ "$RC" = 1 ] && has_err "error EKEYREJECTED"'
{
	printf '[token_configs.kbs]\nurl = "%s/"\ntee_key_algorithm = "RSA-OAEP-256"\ncert = """\n' "$S"
	cat "$P/ca.crt"
	printf '"""\n[token_configs.coco_as]\nurl = "%s"\n[eventlog_config]\ninit_pcr = 17\n' "$K"
} >"$T_TMP/aa.toml"
tok --config "$T_TMP/aa.toml" --out "$T_TMP/cfg.json"
expect "AA config: url with trailing '/', cert, RSA key" eval '[ "$RC" = 0 ] && grep -q "BEGIN RSA PRIVATE KEY" "$T_TMP/cfg.json"'
tok --type coco_as --config "$T_TMP/aa.toml"
expect "AA config: coco_as url" eval '[ "$RC" = 0 ] && [ "$(tr -cd . <"$T_TMP/tok.out" | wc -c)" = 2 ]'
printf '[token_configs.kbs]\nurl = "%s"\ntee_key_algorithm = "P-384"\n' "$S" >"$T_TMP/bad.toml"
tok --config "$T_TMP/bad.toml"
expect "AA config: unknown tee_key_algorithm refused" eval '[ "$RC" = 1 ] && has_err "error EINVAL" && has_err "unknown variant"'

# --- aa_kbc_params
tok --kbc-params "cc_kbc::$K"
expect "aa_kbc_params cc_kbc::<url>" [ "$RC" = 0 ]
tok --kbc-params "offline_fs_kbc::$K"
expect "aa_kbc_params offline_fs_kbc: no KBS config" eval '[ "$RC" = 1 ] && has_err "kbs token config not configured in config file"'

# --- CoCo-AS
kreset
tok --type coco_as --coco-as "$K"
if [ "$RC" = 0 ] && "$PY" - "$T_TMP/tok.out" <<'EOF'; then ok "coco_as: POST /attestation, body is the token"; else not_ok "coco_as"; sed 's/^/# /' "$T_TMP/tok.err"; fi
import base64, json, sys
t = open(sys.argv[1]).read()
c = json.loads(base64.urlsafe_b64decode(t.split('.')[1] + '=='))
assert c['submods'][0]['tee'] == 'sample' and c['submods'][0]['claims']['report_data'] == '', c
assert c['policy_ids'] == []
EOF
[ "$(stat 'd["attestation"]')" = 1 ] && ok "coco_as: one request" || not_ok "coco_as count"
kcfg '{"fault":"500","fault_on":["attestation"],"fault_count":null}'
tok --type coco_as --coco-as "$K"
expect "coco_as: HTTP 500 is an error with the AS's text" eval '[ "$RC" = 1 ] && has_err "Remote Attestation Failed" && has_err "internal error injected"'
kcfg '{"fault":"none"}'

# --- types and missing config
tok --type nosuch --kbs "$K"
expect "unknown token type: EINVAL Unsupported token type" eval '[ "$RC" = 1 ] && has_err "error EINVAL: Unsupported token type"'
tok --type coco_as --kbs "$K"
expect "coco_as not configured" eval '[ "$RC" = 1 ] && has_err "coco_as token config not configured in config file"'

done_testing
