#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# common/http.c against real servers on 127.0.0.1: a Python origin over HTTP, TLS 1.2 and
# TLS 1.3 (test CA made here with the openssl CLI), a forward proxy, and closed ports.
# Driven through tests/integration/helpers/http-get, one client per invocation.
. "$(dirname "$0")/lib.sh"

HTTP_GET=${HTTP_GET:-$TOP_BUILDDIR/tests/integration/helpers/http-get}
SERVER=$TOP_SRCDIR/tests/integration/helpers/http-test-server.py
[ -x "$HTTP_GET" ] || skip_all "http-get helper not built"
command -v python3 >/dev/null || skip_all "python3 missing"
command -v openssl >/dev/null || skip_all "openssl missing"



# --- certificates: a test CA, a server certificate for 127.0.0.1/localhost, a second
# certificate from the same CA for another name, and an unrelated CA.
P=$T_TMP/pki
mkdir -p "$P"
ec() { openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes "$@" 2>/dev/null; }
ec -x509 -days 2 -keyout "$P/ca.key" -out "$P/ca.crt" -subj /CN=cocobox-test-ca \
	-addext basicConstraints=critical,CA:TRUE -addext keyUsage=critical,keyCertSign,cRLSign
ec -x509 -days 2 -keyout "$P/other-ca.key" -out "$P/other-ca.crt" -subj /CN=other-ca \
	-addext basicConstraints=critical,CA:TRUE -addext keyUsage=critical,keyCertSign,cRLSign
issue() { # issue NAME SAN
	ec -keyout "$P/$1.key" -out "$P/$1.csr" -subj "/CN=$1"
	printf 'subjectAltName=%s\nbasicConstraints=CA:FALSE\nextendedKeyUsage=serverAuth\n' "$2" >"$P/$1.ext"
	openssl x509 -req -in "$P/$1.csr" -CA "$P/ca.crt" -CAkey "$P/ca.key" -CAcreateserial \
		-days 2 -out "$P/$1.crt" -extfile "$P/$1.ext" 2>/dev/null
}
issue server "IP:127.0.0.1,DNS:localhost"
issue wrong "DNS:wrong.example"
cat "$P/other-ca.crt" "$P/ca.crt" >"$P/both.crt"
echo "this is not a certificate" >"$P/junk.crt"
[ -s "$P/server.crt" ] && [ -s "$P/wrong.crt" ] || skip_all "openssl could not make test certificates"

# --- servers
start_daemon server python3 "$SERVER" --cert "$P/server.crt" --key "$P/server.key" \
	--wrong-cert "$P/wrong.crt" --wrong-key "$P/wrong.key" \
	--ports "$T_TMP/ports" --proxy-log "$T_TMP/proxy.log" --lifetime 120
for i in $(seq 1 250); do [ -s "$T_TMP/ports" ] && break; sleep 0.02; done
[ -s "$T_TMP/ports" ] || { cat "$T_TMP/server.log"; skip_all "test server did not start"; }
port() { awk -v n="$1" '$1 == n { print $2 }' "$T_TMP/ports"; }
H=http://127.0.0.1:$(port http)
S13=https://127.0.0.1:$(port https13)
S12=https://127.0.0.1:$(port https12)
SWRONG=https://127.0.0.1:$(port wrongname)
PROXY=http://127.0.0.1:$(port proxy)
# A port that nothing listens on: bind, note, close.
CLOSED=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')

# get ARGS...: runs http-get, output in $OUT (never fails the script itself).
get() { OUT=$("$HTTP_GET" "$@" 2>&1) || true; }
# has NAME LINE: passes when $OUT contains LINE as a whole line.
has() {
	if printf '%s\n' "$OUT" | grep -qxF -- "$2"; then ok "$1"; else
		not_ok "$1"
		printf '# want line: %s\n' "$2"
		printf '%s\n' "$OUT" | sed 's/^/#   /' | head -20
	fi
}
# has_last NAME "KEY VALUE": the last line starting with KEY is exactly "KEY VALUE" (the
# last of several requests).
has_last() {
	local got
	got=$(printf '%s\n' "$OUT" | grep "^${2%% *} " | tail -1)
	if [ "$got" = "$2" ]; then ok "$1"; else
		not_ok "$1"
		printf '# want last: %s\n# got:       %s\n' "$2" "$got"
	fi
}
val() { printf '%s\n' "$OUT" | awk -v k="$1" '$1 == k { $1 = ""; sub(/^ /, ""); print; exit }'; }

# --- plain requests
get --allow-http --show-header content-type --show-header DOCKER-CONTENT-DIGEST \
	--show-header x-mixed-case --show-header x-absent "$H/ok"
has "GET 200" "status 200"
has "body length" "body_len 6"
has "body sha256" "body_sha256 $(printf 'hello\n' | sha256sum | cut -d' ' -f1)"
has "header lookup ignores case" "header DOCKER-CONTENT-DIGEST: sha256:$(printf 'hello\n' | sha256sum | cut -d' ' -f1)"
has "header value trimmed" "header x-mixed-case: padded value"
has "content length" "content_length 6"

get --allow-http --method HEAD "$H/ok"
has "HEAD gets no body" "body_len 0"
has "HEAD content length" "content_length 6"

get --allow-http --show-body "$H/missing"
has "404 is a response, not an error" "status 404"
has "error body kept" "body not found"

get --allow-http --show-header www-authenticate "$H/auth"
has "401 status" "status 401"
has "first WWW-Authenticate" 'header www-authenticate: Bearer realm="http://127.0.0.1/token",service="test",scope="repository:a/b:pull"'
has "second WWW-Authenticate" 'header www-authenticate: Basic realm="test"'
get --allow-http --header "Authorization: Bearer good-token" "$H/auth"
has "Bearer accepted" "status 200"

get --allow-http --show-body --method POST --data '{"a":1}' --content-type application/json \
	--header "X-Test: yes" --user-agent "attestation-agent-kbs-client/0.1.0" "$H/echo"
has "POST method" "body method POST"
has "POST content type" "content-type application/json"
has "POST body arrived" "req_body_sha256 $(printf '{"a":1}' | sha256sum | cut -d' ' -f1)"
has "extra header sent" "x-test yes"
has "user agent sent" "user-agent attestation-agent-kbs-client/0.1.0"
get --allow-http --show-body --method PUT --data 'blob' "$H/echo"
has "PUT method" "body method PUT"
has "PUT default content type" "content-type application/octet-stream"

# --- large bodies, limits, streaming
SIZE=$((50 * 1024 * 1024))
get --allow-http --stream --show-header x-body-sha256 "$H/big?size=$SIZE"
has "50 MiB streamed" "body_len $SIZE"
has "50 MiB digest" "body_sha256 $(val header | sed -n 's/^x-body-sha256: //p')"
rss=$(val maxrss_kb)
[ -n "$rss" ] && [ "$rss" -lt 40000 ] && ok "streaming keeps memory flat (${rss} KiB)" ||
	not_ok "streaming keeps memory flat (${rss} KiB)"
get --allow-http --stream --show-header x-body-sha256 "$H/big?size=$SIZE&chunked=1"
has "50 MiB chunked digest" "body_sha256 $(val header | sed -n 's/^x-body-sha256: //p')"
get --allow-http --max 1048576 "$H/big?size=$SIZE"
has "over the limit (Content-Length)" "error E2BIG"
get --allow-http --max 1048576 "$H/big?size=$SIZE&chunked=1"
has "over the limit (chunked)" "error E2BIG"
get --allow-http --max 1000 "$H/big?size=1000&chunked=1"
has "exactly at the limit" "body_len 1000"
get --allow-http --max 999 "$H/big?size=1000&chunked=1"
has "one byte over the limit" "error E2BIG"
get --allow-http --stream --sink-fail-at 100000 "$H/big?size=1048576"
has "sink error returned as is" "error ECANCELED"
get --allow-http --range 100 --show-header content-range "$H/range"
has "range request: 206" "status 206"
has "range request: rest of the body" "body_len 900"

# --- redirects
get --allow-http "$H/chain/3"
has "redirect chain followed" "effective_url $H/chain/0"
get --allow-http --max-redirects 5 "$H/chain/8"
has "too many redirects" "error ELOOP"
get --allow-http --no-redirect --show-header location "$H/redirect?to=/ok"
has "redirect not followed on request" "header location: /ok"
get --allow-http --show-body --header "Authorization: Bearer secret" "$H/redirect?to=/echo"
has "same-host redirect keeps Authorization" "authorization yes"
XHOST=http://localhost:$(port http)
get --allow-http --show-body --header "Authorization: Bearer secret" \
	"$H/redirect?to=$(printf %s "$XHOST/echo" | sed 's/:/%3A/g; s|/|%2F|g')"
has "cross-host redirect drops Authorization" "authorization no"
has "cross-host redirect arrived" "effective_url $XHOST/echo"
get --cacert "$P/ca.crt" "$S13/redirect?to=$(printf %s "$H/ok" | sed 's/:/%3A/g; s|/|%2F|g')"
has "https -> http redirect refused" "error EPERM"
get "$H/ok"
has "plain http refused by default" "error EPERM"

# --- failures and timeouts
start=$(date +%s%N)
get --allow-http --timeout-ms 1000 "$H/slow?delay=20"
has "hanging server times out" "error ETIMEDOUT"
ms=$((($(date +%s%N) - start) / 1000000))
[ "$ms" -lt 5000 ] && ok "timeout is quick (${ms} ms)" || not_ok "timeout is quick (${ms} ms)"
get --allow-http --low-speed 1000:1 "$H/stall?delay=20"
has "stalled body hits the low-speed guard" "error ETIMEDOUT"
get --allow-http "$H/drop"
has "connection dropped mid-body" "error ECONNRESET"
get --allow-http "http://127.0.0.1:$CLOSED/"
has "connection refused" "error ECONNREFUSED"

# --- cookies (the KBS session) and connection reuse
get --allow-http "$H/need-cookie"
has "no cookie: 401" "status 401"
get --allow-http "$H/set-cookie" "$H/need-cookie"
has_last "cookie carried to the next request" "status 200"
get --allow-http "$H/set-cookie" "$H/need-cookie" "$H/clear-cookie" "$H/need-cookie"
statuses=$(printf '%s\n' "$OUT" | sed -n 's/^status //p' | tr '\n' ' ')
[ "$statuses" = "200 200 200 401 " ] && ok "cookie removed by the server" ||
	not_ok "cookie removed by the server (statuses: $statuses)"
get --allow-http --threads 8 "$H/set-cookie" "$H/need-cookie"
has_last "cookie seen by 8 concurrent requests" "status 200"
has_last "all 8 agree" "threads_ok 8"
get --allow-http "$H/ok" "$H/ok"
[ "$(printf '%s\n' "$OUT" | grep -c '^new_connections 0$')" = 1 ] && ok "connection reused" ||
	{ not_ok "connection reused"; printf '%s\n' "$OUT" | sed 's/^/#   /'; }
get --allow-http --threads 8 --stream "$H/big?size=2097152"
has "8 threads, one client" "threads_ok 8"

# --- TLS
get --cacert "$P/ca.crt" "$S13/ok"
has "TLS 1.3 with the right CA" "status 200"
get --cacert "$P/ca.crt" "$S12/ok"
has "TLS 1.2 with the right CA" "status 200"
get "$S13/ok"
has "no CA: rejected" "error EKEYREJECTED"
get --cacert "$P/other-ca.crt" "$S13/ok"
has "wrong CA: rejected" "error EKEYREJECTED"
get --cacert "$P/both.crt" "$S12/ok"
has "CA bundle of two" "status 200"
get --cacert "$P/ca.crt" "$SWRONG/ok"
has "certificate for another name: rejected" "error EKEYREJECTED"
get --cacert "$P/junk.crt" "$S13/ok"
has "junk CA file refused" "cacert_error EBADMSG"
get --cacert "$P/ca.crt" --threads 4 "$S13/ok"
has "TLS from 4 threads" "threads_ok 4"

# --- proxies
: >"$T_TMP/proxy.log"
get --allow-http --show-body --proxy "$PROXY" "$H/echo"
has "http through the proxy" "via-proxy yes"
grep -q "^GET $H/echo" "$T_TMP/proxy.log" && ok "proxy saw the request" || not_ok "proxy saw the request"
get --cacert "$P/ca.crt" --proxy "$PROXY" "$S13/ok"
has "https through a CONNECT tunnel" "status 200"
grep -q "^CONNECT 127.0.0.1:$(port https13)" "$T_TMP/proxy.log" && ok "proxy saw CONNECT" ||
	not_ok "proxy saw CONNECT"
: >"$T_TMP/proxy.log"
get --allow-http --show-body --proxy "$PROXY" --no-proxy "localhost,127.0.0.1" "$H/echo"
has "no_proxy bypasses the proxy" "via-proxy no"
[ ! -s "$T_TMP/proxy.log" ] && ok "proxy not contacted" || not_ok "proxy not contacted"
OUT=$(https_proxy=$PROXY http_proxy=$PROXY no_proxy= "$HTTP_GET" --proxy-env --allow-http --show-body "$H/echo" 2>&1)
has "http_proxy from the environment" "via-proxy yes"
OUT=$(HTTP_PROXY=$PROXY http_proxy= no_proxy= "$HTTP_GET" --proxy-env --allow-http --show-body "$H/echo" 2>&1)
has "upper-case HTTP_PROXY ignored" "via-proxy no"
OUT=$(http_proxy=$PROXY NO_PROXY=127.0.0.1 no_proxy= "$HTTP_GET" --proxy-env --allow-http --show-body "$H/echo" 2>&1)
has "NO_PROXY from the environment" "via-proxy no"
OUT=$(http_proxy=$PROXY "$HTTP_GET" --allow-http --show-body "$H/echo" 2>&1)
has "environment ignored unless asked" "via-proxy no"
OUT=$(no_proxy=127.0.0.1 NO_PROXY=127.0.0.1 "$HTTP_GET" --proxy "$PROXY" --allow-http --show-body "$H/echo" 2>&1)
has "no_proxy in the environment ignored unless asked" "via-proxy yes"

plan "$T_N"
done_testing
