#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# The image client's network half against Debian's docker-registry on 127.0.0.1: plain
# HTTP, TLS with a test CA, htpasswd Basic auth, and Bearer token auth through
# helpers/registry-token-server.py. Images are built with umoci and pushed with skopeo
# (OCI and Docker schema 2 manifests, a multi-arch index). Driven through
# helpers/registry-cli (reference -> registries.conf -> auth.json -> manifest, config,
# verified layer blobs).
. "$(dirname "$0")/lib.sh"

CLI=${REGISTRY_CLI:-$TOP_BUILDDIR/tests/integration/helpers/registry-cli}
TOKEN_SERVER=$TOP_SRCDIR/tests/integration/helpers/registry-token-server.py
FAULT_SERVER=$TOP_SRCDIR/tests/integration/helpers/registry-fault-server.py
[ -x "$CLI" ] || skip_all "registry-cli helper not built (image feature off)"
for p in docker-registry:docker-registry htpasswd:apache2-utils umoci:umoci skopeo:skopeo \
	openssl:openssl python3:python3 curl:curl; do
	command -v "${p%%:*}" >/dev/null ||
		skip_all "${p%%:*} missing (apt-get install docker-registry apache2-utils umoci skopeo)"
done

W=$T_TMP

# --- PKI: a test CA and a server certificate for 127.0.0.1; a token-signing key.
P=$W/pki
mkdir -p "$P"
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 2 \
	-keyout "$P/ca.key" -out "$P/ca.crt" -subj /CN=cocobox-registry-test-ca \
	-addext basicConstraints=critical,CA:TRUE -addext keyUsage=critical,keyCertSign 2>/dev/null
openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "$P/srv.key" \
	-out "$P/srv.csr" -subj /CN=127.0.0.1 2>/dev/null
printf 'subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth\n' >"$P/srv.ext"
openssl x509 -req -in "$P/srv.csr" -CA "$P/ca.crt" -CAkey "$P/ca.key" -CAcreateserial -days 2 \
	-out "$P/srv.crt" -extfile "$P/srv.ext" 2>/dev/null
openssl req -x509 -newkey rsa:2048 -nodes -days 2 -keyout "$P/token.key" -out "$P/token.crt" \
	-subj /CN=token-signer 2>/dev/null
[ -s "$P/srv.crt" ] && [ -s "$P/token.crt" ] || skip_all "openssl could not make test certificates"
htpasswd -Bbn testuser testpass >"$P/htpasswd" 2>/dev/null || skip_all "htpasswd failed"

# --- the token server (HTTPS, its port chosen by itself)
start_daemon token python3 "$TOKEN_SERVER" --key "$P/token.key" --cert "$P/token.crt" \
	--issuer cocobox-test --user testuser:testpass --port-file "$W/token.port" \
	--tls-cert "$P/srv.crt" --tls-key "$P/srv.key"
for i in $(seq 1 250); do [ -s "$W/token.port" ] && break; sleep 0.02; done
[ -s "$W/token.port" ] || { cat "$W/token.log"; skip_all "token server did not start"; }
TOKEN_PORT=$(cat "$W/token.port")

# --- registries: plain, tls, basic, token
reg_config() { # NAME PORT EXTRA-YAML
	mkdir -p "$W/$1/data"
	cat >"$W/$1.yml" <<EOF
version: 0.1
log: {level: error, accesslog: {disabled: true}}
storage: {filesystem: {rootdirectory: $W/$1/data}, delete: {enabled: true}}
http: {addr: 127.0.0.1:$2$3}
${4:-}
EOF
}
TLS=", tls: {certificate: $P/srv.crt, key: $P/srv.key}"
PLAIN_PORT=$(free_port)
TLS_PORT=$(free_port)
BASIC_PORT=$(free_port)
TOK_PORT=$(free_port)
DOWN_PORT=$(free_port)
reg_config plain "$PLAIN_PORT" ""
reg_config tls "$TLS_PORT" "$TLS"
reg_config basic "$BASIC_PORT" "$TLS" "auth: {htpasswd: {realm: basic-realm, path: $P/htpasswd}}"
reg_config token "$TOK_PORT" "$TLS" "auth: {token: {realm: https://127.0.0.1:$TOKEN_PORT/token, service: cocobox-registry, issuer: cocobox-test, rootcertbundle: $P/token.crt}}"
for r in plain tls basic token; do
	start_daemon "reg-$r" docker-registry serve "$W/$r.yml"
done
wait_http() { # URL
	local i
	for i in $(seq 1 250); do
		curl -s -o /dev/null --cacert "$P/ca.crt" "$1" && return 0
		sleep 0.02
	done
	return 1
}
for u in "http://127.0.0.1:$PLAIN_PORT/v2/" "https://127.0.0.1:$TLS_PORT/v2/" \
	"https://127.0.0.1:$BASIC_PORT/v2/" "https://127.0.0.1:$TOK_PORT/v2/"; do
	wait_http "$u" || { for f in "$W"/reg-*.log; do tail -n 5 "$f"; done; skip_all "docker-registry did not start"; }
done

# --- images: a 2-layer image for amd64, a 1-layer one for arm64, a unique one to corrupt
L=$W/layout
umoci init --layout "$L" >/dev/null
mkimage() { # TAG ARCH FILES...
	local tag=$1 arch=$2 b=$W/bundle-$1
	shift 2
	umoci new --image "$L:$tag" && umoci unpack --rootless --image "$L:$tag" "$b" >/dev/null &&
		mkdir -p "$b/rootfs/etc" && echo "first layer of $tag" >"$b/rootfs/etc/first" &&
		umoci repack --image "$L:$tag" "$b" &&
		for f in "$@"; do head -c 200000 /dev/urandom >"$b/rootfs/$f"; done &&
		umoci repack --image "$L:$tag" "$b" &&
		umoci config --image "$L:$tag" --architecture "$arch" --os linux \
			--config.cmd /bin/sh --config.env A=1 --config.workingdir /w >/dev/null
}
mkimage amd 2>"$W/umoci.err" amd64 data-amd || { cat "$W/umoci.err"; skip_all "umoci failed"; }
mkimage arm arm64 data-arm || skip_all "umoci failed"
mkimage bad amd64 data-bad || skip_all "umoci failed"
HOSTARCH=$(python3 -c 'import platform; m=platform.machine(); print({"x86_64":"amd64","aarch64":"arm64"}.get(m,m))')
mkimage native "$HOSTARCH" data-native || skip_all "umoci failed"

push() { # TAG DEST [skopeo options]
	local tag=$1 dest=$2
	shift 2
	skopeo copy -q --dest-tls-verify=false "$@" "oci:$L:$tag" "docker://$dest" >"$W/push.log" 2>&1 ||
		{ cat "$W/push.log"; return 1; }
}
PL=127.0.0.1:$PLAIN_PORT
push native "$PL/test/img:v1" || skip_all "skopeo push failed"
push native "$PL/test/docker:v1" --format v2s2 && push arm "$PL/test/docker:other" --format v2s2 ||
	skip_all "skopeo push failed"
push native "$PL/test/blocked:v1" || skip_all "skopeo push failed"
push amd "$PL/test/multi:amd64" && push arm "$PL/test/multi:arm64" || skip_all "skopeo push failed"
push bad "$PL/test/bad:v1" || skip_all "skopeo push failed"
push native "127.0.0.1:$TLS_PORT/test/img:v1" || skip_all "skopeo push failed"
push native "127.0.0.1:$BASIC_PORT/test/img:v1" --dest-creds testuser:testpass || skip_all "skopeo push failed"
push native "127.0.0.1:$TOK_PORT/test/img:v1" --dest-creds testuser:testpass || skip_all "skopeo push failed"

# A multi-arch OCI index put together by hand from the two pushed manifests.
ACC="application/vnd.oci.image.manifest.v1+json"
entry() { # TAG ARCH (the manifest saved to a file: $(...) would eat a final newline)
	curl -s -H "Accept: $ACC" -o "$W/m-$1" "http://$PL/v2/test/multi/manifests/$1"
	printf '{"mediaType":"%s","digest":"sha256:%s","size":%d,"platform":{"architecture":"%s","os":"linux"}}' \
		"$ACC" "$(sha256sum <"$W/m-$1" | cut -d' ' -f1)" "$(wc -c <"$W/m-$1")" "$2"
}
INDEX=$(printf '{"schemaVersion":2,"mediaType":"application/vnd.oci.image.index.v1+json","manifests":[%s,%s]}' \
	"$(entry arm64 arm64)" "$(entry amd64 amd64)")
printf %s "$INDEX" >"$W/index.json"
code=$(curl -s -o "$W/put.log" -w '%{http_code}' -X PUT \
	-H "Content-Type: application/vnd.oci.image.index.v1+json" \
	--data-binary @"$W/index.json" "http://$PL/v2/test/multi/manifests/index")
[ "$code" = 201 ] || { cat "$W/put.log"; skip_all "could not push the index (HTTP $code)"; }
INDEX_DIGEST=sha256:$(sha256sum <"$W/index.json" | cut -d' ' -f1)
# ... and a Docker manifest list over the schema 2 image
DMT=application/vnd.docker.distribution.manifest.v2+json
curl -s -H "Accept: $DMT" -o "$W/m-docker" "http://$PL/v2/test/docker/manifests/v1"
DDIG=sha256:$(sha256sum <"$W/m-docker" | cut -d' ' -f1)
DSIZE=$(wc -c <"$W/m-docker")
curl -s -H "Accept: $DMT" -o "$W/m-other" "http://$PL/v2/test/docker/manifests/other"
ODIG=sha256:$(sha256sum <"$W/m-other" | cut -d' ' -f1)
OSIZE=$(wc -c <"$W/m-other")
# the first entry is for another architecture (and another manifest)
printf '{"schemaVersion":2,"mediaType":"application/vnd.docker.distribution.manifest.list.v2+json","manifests":[{"mediaType":"%s","digest":"%s","size":%d,"platform":{"architecture":"s390x","os":"linux"}},{"mediaType":"%s","digest":"%s","size":%d,"platform":{"architecture":"%s","os":"linux"}}]}' \
	"$DMT" "$ODIG" "$OSIZE" "$DMT" "$DDIG" "$DSIZE" "$HOSTARCH" >"$W/list.json"
code=$(curl -s -o "$W/put.log" -w '%{http_code}' -X PUT \
	-H "Content-Type: application/vnd.docker.distribution.manifest.list.v2+json" \
	--data-binary @"$W/list.json" "http://$PL/v2/test/docker/manifests/list")
[ "$code" = 201 ] || { cat "$W/put.log"; skip_all "could not push the manifest list (HTTP $code)"; }
LIST_DIGEST=sha256:$(sha256sum <"$W/list.json" | cut -d' ' -f1)

# --- registries.conf files
insecure_conf() { # FILE PORT...
	local f=$1
	shift
	: >"$f"
	for p in "$@"; do printf '[[registry]]\nlocation = "127.0.0.1:%s"\ninsecure = true\n' "$p" >>"$f"; done
}
insecure_conf "$W/plain.conf" "$PLAIN_PORT"
cat >"$W/mirror.conf" <<EOF
[[registry]]
prefix = "images.example.test"
location = "127.0.0.1:$DOWN_PORT/nowhere"
insecure = true
[[registry.mirror]]
location = "127.0.0.1:$PLAIN_PORT"
insecure = true

[[registry]]
prefix = "fallback.example.test"
location = "127.0.0.1:$PLAIN_PORT"
insecure = true
[[registry.mirror]]
location = "127.0.0.1:$DOWN_PORT"
insecure = true

[[registry]]
prefix = "127.0.0.1:$PLAIN_PORT/test/blocked"
blocked = true

[[registry]]
location = "127.0.0.1:$PLAIN_PORT"
insecure = true
EOF

b64() { printf %s "$1" | base64 -w0; }
printf '{"auths":{"127.0.0.1:%s/test":{"auth":"%s"},"https://127.0.0.1:%s/v1/":{"auth":"%s"}}}' \
	"$BASIC_PORT" "$(b64 'testuser:testpass
')" "$TOK_PORT" "$(b64 testuser:testpass)" >"$W/auth.json"
printf '{"auths":{"127.0.0.1:%s":{"auth":"%s"},"127.0.0.1:%s":{"auth":"%s"}}}' \
	"$BASIC_PORT" "$(b64 testuser:wrong)" "$TOK_PORT" "$(b64 testuser:wrong)" >"$W/wrong.json"

# --- helpers for checks
run_cli() { # OUTDIR ARGS...: runs registry-cli, stdout in $W/out, stderr in $W/err
	local out=$1
	shift
	rm -rf "$out" && mkdir -p "$out"
	"$CLI" --out "$out" "$@" >"$W/out" 2>"$W/err"
}
show() { sed 's/^/# /' "$W/out" "$W/err" | head -20; }
# every layer line has a blob file whose sha256 is its digest
blobs_ok() { # OUTDIR
	local n=0 d hex
	while read -r _ _ d _; do
		hex=${d#sha256:}
		[ "$(sha256sum <"$1/$hex" | cut -d' ' -f1)" = "$hex" ] || return 1
		grep -q "^blob $d ok$" "$W/out" || return 1
		n=$((n + 1))
	done < <(grep '^layer ' "$W/out")
	[ "$n" -gt 0 ]
}
manifest_digest() { # URL [curl options]
	local u=$1
	shift
	curl -s "$@" -H "Accept: application/vnd.oci.image.manifest.v1+json, application/vnd.docker.distribution.manifest.v2+json" "$u" >"$W/md"
	echo "sha256:$(sha256sum <"$W/md" | cut -d' ' -f1)"
}
got() { awk -v k="$1" '$1 == k { print $2; exit }' "$W/out"; }
expect_fail() { # NAME PATTERN ARGS...: registry-cli fails and stderr matches PATTERN
	local name=$1 pat=$2
	shift 2
	if run_cli "$W/o" "$@"; then
		not_ok "$name (succeeded)"
		show
	elif grep -q -- "$pat" "$W/err"; then
		ok "$name"
	else
		not_ok "$name (wrong error)"
		show
	fi
}
expect_pull() { # NAME MANIFEST-URL CURL-OPTS ARGS...
	local name=$1 url=$2 copts=$3 want
	shift 3
	# shellcheck disable=SC2086
	want=$(manifest_digest "$url" $copts)
	if run_cli "$W/o" "$@" && [ "$(got manifest)" = "$want" ] && blobs_ok "$W/o"; then
		ok "$name"
	else
		not_ok "$name (want manifest $want)"
		show
	fi
}

plan 30

# 1-3 plain HTTP: only for a registry marked insecure
expect_pull "plain HTTP pull, insecure registry: manifest and blobs verified" \
	"http://$PL/v2/test/img/manifests/v1" "" --registries-conf "$W/plain.conf" --parallel 2 \
	"$PL/test/img:v1"
expect_pull "Docker schema 2 manifest" "http://$PL/v2/test/docker/manifests/v1" "" \
	--registries-conf "$W/plain.conf" "$PL/test/docker:v1"
if [ "$(awk '$1 == "manifest" { print $3 }' "$W/out")" = application/vnd.docker.distribution.manifest.v2+json ]; then
	ok "Docker manifest media type reported"
else
	not_ok "Docker manifest media type reported"
	show
fi
expect_fail "no plain HTTP unless insecure (HTTPS to a plain registry fails)" \
	"request to registry '$PL' failed" "$PL/test/img:v1"

# 5-7 TLS with the test CA
expect_pull "TLS pull with the test CA" "https://127.0.0.1:$TLS_PORT/v2/test/img/manifests/v1" \
	"--cacert $P/ca.crt" --ca "$P/ca.crt" "127.0.0.1:$TLS_PORT/test/img:v1"
expect_fail "TLS without the CA fails (certificate not trusted)" "(Key was rejected by service)" \
	"127.0.0.1:$TLS_PORT/test/img:v1"
D=$(manifest_digest "https://127.0.0.1:$TLS_PORT/v2/test/img/manifests/v1" --cacert "$P/ca.crt")
expect_pull "pull by digest" "https://127.0.0.1:$TLS_PORT/v2/test/img/manifests/v1" \
	"--cacert $P/ca.crt" --ca "$P/ca.crt" "127.0.0.1:$TLS_PORT/test/img@$D"

# 8-10 multi-arch index
AMD=$(manifest_digest "http://$PL/v2/test/multi/manifests/amd64")
ARM=$(manifest_digest "http://$PL/v2/test/multi/manifests/arm64")
if run_cli "$W/o" --registries-conf "$W/plain.conf" --arch amd64 "$PL/test/multi:index" &&
	[ "$(got manifest)" = "$AMD" ] && [ "$(got list)" = "$INDEX_DIGEST" ] && blobs_ok "$W/o" &&
	[ "$(awk '$1 == "config" { print $4 }' "$W/out")" = amd64 ]; then
	ok "index: amd64 entry selected, list digest reported"
else
	not_ok "index: amd64 entry selected"
	show
fi
if run_cli "$W/o" --registries-conf "$W/plain.conf" --arch arm64 "$PL/test/multi:index" &&
	[ "$(got manifest)" = "$ARM" ] && blobs_ok "$W/o"; then
	ok "index: arm64 entry selected"
else
	not_ok "index: arm64 entry selected"
	show
fi
expect_fail "index without the platform" "no entry for linux/s390x" \
	--registries-conf "$W/plain.conf" --arch s390x "$PL/test/multi:index"

if run_cli "$W/o" --registries-conf "$W/plain.conf" "$PL/test/docker:list" &&
	[ "$(got manifest)" = "$DDIG" ] && [ "$(got list)" = "$LIST_DIGEST" ] && blobs_ok "$W/o"; then
	ok "Docker manifest list: entry for this machine's architecture selected"
else
	not_ok "Docker manifest list"
	show
fi

# 11-13 mirror, remap fallback, blocked prefix
if run_cli "$W/o" --registries-conf "$W/mirror.conf" --retries 0 images.example.test/test/img:v1 &&
	[ "$(got task)" = "127.0.0.1:$PLAIN_PORT/test/img:v1" ] && blobs_ok "$W/o"; then
	ok "mirror tried first"
else
	not_ok "mirror tried first"
	show
fi
if run_cli "$W/o" --registries-conf "$W/mirror.conf" --retries 0 fallback.example.test/test/img:v1 &&
	[ "$(got task)" = "127.0.0.1:$PLAIN_PORT/test/img:v1" ] &&
	grep -q "from 127.0.0.1:$DOWN_PORT/test/img:v1" "$W/err" && blobs_ok "$W/o"; then
	ok "mirror down: remapped location used next"
else
	not_ok "mirror down: remapped location used next"
	show
fi
expect_fail "blocked prefix" "blocked by registry rule" --registries-conf "$W/mirror.conf" \
	"$PL/test/blocked:v1"

# 14-16 Basic auth (htpasswd)
# the same image was pushed everywhere: the TLS registry tells the expected digest
SAME="https://127.0.0.1:$TLS_PORT/v2/test/img/manifests/v1"
expect_pull "Basic auth from auth.json (parent key, trailing newline trimmed)" "$SAME" \
	"--cacert $P/ca.crt" --ca "$P/ca.crt" --auth "$W/auth.json" \
	"127.0.0.1:$BASIC_PORT/test/img:v1"
expect_fail "Basic auth, wrong password: 401" "refused access to 'test/img' (HTTP 401" \
	--ca "$P/ca.crt" --auth "$W/wrong.json" "127.0.0.1:$BASIC_PORT/test/img:v1"
expect_fail "Basic auth, no credentials" "requires credentials" --ca "$P/ca.crt" \
	"127.0.0.1:$BASIC_PORT/test/img:v1"

# 17-19 Bearer tokens
N0=$(grep -c '^token 200 user=testuser' "$W/token.log")
expect_pull "Bearer token with credentials from auth.json (scheme key)" "$SAME" \
	"--cacert $P/ca.crt" --ca "$P/ca.crt" --auth "$W/auth.json" --parallel 3 \
	"127.0.0.1:$TOK_PORT/test/img:v1"
N1=$(grep -c '^token 200 user=testuser' "$W/token.log")
if [ $((N1 - N0)) -eq 1 ]; then
	ok "one token fetched for the manifest, config and every layer (reused, layers in parallel)"
else
	not_ok "token reuse: $((N1 - N0)) token requests"
fi
expect_fail "Bearer: wrong credentials give a clear 401" "token server of .* refused the credentials (HTTP 401)" \
	--ca "$P/ca.crt" --auth "$W/wrong.json" "127.0.0.1:$TOK_PORT/test/img:v1"

# 20 anonymous pull through the token server (pull is granted to anyone)
if run_cli "$W/o" --ca "$P/ca.crt" "127.0.0.1:$TOK_PORT/test/img:v1" && blobs_ok "$W/o"; then
	ok "Bearer: anonymous pull"
else
	not_ok "Bearer: anonymous pull"
	show
fi

# 21 registry down: bounded retries, then an error
start=$(date +%s%N)
expect_fail "registry down: retries then error" "after retries" --retries 2 --backoff-ms 100 \
	--registries-conf "$W/plain.conf" "127.0.0.1:$DOWN_PORT/test/img:v1"
elapsed=$((($(date +%s%N) - start) / 1000000))
# 2 retries with a 100 ms first delay: 100 + 200 ms of backoff, and no more than that
if [ "$elapsed" -ge 300 ] && [ "$elapsed" -lt 5000 ]; then
	ok "registry down: backoff 100+200 ms, then gave up ($elapsed ms)"
else
	not_ok "registry down: $elapsed ms"
fi

# 22 a corrupted blob (same size, other bytes) in the registry's storage
BADLAYER=$(run_cli "$W/o" --registries-conf "$W/plain.conf" --manifest-only "$PL/test/bad:v1" &&
	awk '$1 == "layer" { d = $3 } END { print d }' "$W/out")
HEX=${BADLAYER#sha256:}
F=$W/plain/data/docker/registry/v2/blobs/sha256/${HEX:0:2}/$HEX/data
if [ -n "$HEX" ] && [ -f "$F" ]; then
	head -c 100 /dev/zero | dd of="$F" bs=1 seek=1000 conv=notrunc 2>/dev/null
	expect_fail "corrupted blob: digest error" "does not match its digest" \
		--registries-conf "$W/plain.conf" "$PL/test/bad:v1"
else
	not_ok "corrupted blob: layer file not found in the registry storage"
fi

# 23 a corrupted manifest in the registry's storage (served with its original digest)
MD=$(manifest_digest "http://$PL/v2/test/docker/manifests/v1")
MHEX=${MD#sha256:}
F=$W/plain/data/docker/registry/v2/blobs/sha256/${MHEX:0:2}/$MHEX/data
if [ -f "$F" ]; then
	sed -i 's/"schemaVersion"/"schemaVersioN"/' "$F"
	expect_fail "corrupted manifest: digest error" "does not match its digest" \
		--registries-conf "$W/plain.conf" "$PL/test/docker:v1"
else
	not_ok "corrupted manifest: manifest file not found in the registry storage"
fi

# 24-27 a misbehaving registry: a broken-off layer, a 503, a redirect to blob storage on
# another host, Bearer tokens
start_daemon fault python3 "$FAULT_SERVER" --port-file "$W/fault.port"
for i in $(seq 1 250); do [ -s "$W/fault.port" ] && break; sleep 0.02; done
FP=$(cat "$W/fault.port" 2>/dev/null)
insecure_conf "$W/fault.conf" "$FP"
if run_cli "$W/o" --registries-conf "$W/fault.conf" --backoff-ms 50 "127.0.0.1:$FP/f/img:v1" &&
	blobs_ok "$W/o"; then
	ok "faulty registry: pull completes, blobs verified"
else
	not_ok "faulty registry: pull completes"
	show
	sed 's/^/# /' "$W/fault.log"
fi
if grep -q '^layer attempt 3$' "$W/fault.log" && ! grep -q '^layer attempt 4$' "$W/fault.log"; then
	ok "broken connection and 503 retried, the stream resumed (3 attempts)"
else
	not_ok "layer retries"
	sed 's/^/# /' "$W/fault.log"
fi
if grep -q '^storage auth=none host=localhost' "$W/fault.log" && ! grep -q 'auth=present' "$W/fault.log"; then
	ok "redirect to blob storage on another host drops Authorization"
else
	not_ok "redirect to blob storage"
	sed 's/^/# /' "$W/fault.log"
fi
if [ "$(grep -c '^token request$' "$W/fault.log")" = 1 ]; then
	ok "one token for manifest, config and layer"
else
	not_ok "token requests: $(grep -c '^token request$' "$W/fault.log")"
fi

# 28 an HTTPS registry whose token realm is plain http:// gets no credentials
start_daemon fault-tls python3 "$FAULT_SERVER" --port-file "$W/fault-tls.port" \
	--tls-cert "$P/srv.crt" --tls-key "$P/srv.key"
for i in $(seq 1 250); do [ -s "$W/fault-tls.port" ] && break; sleep 0.02; done
expect_fail "plain-http token realm refused for an HTTPS registry" \
	"token realm of .* is plain http://, refused" --ca "$P/ca.crt" --user testuser:testpass \
	"127.0.0.1:$(cat "$W/fault-tls.port" 2>/dev/null)/f/img:v1"

done_testing
