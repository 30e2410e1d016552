#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# Encrypted layers from a real registry: images encrypted by skopeo (`--encryption-key
# jwe:<public key>`, Go ocicrypt) with an RSA and an EC key, gzip and zstd layers, pulled
# by image-pull -k with the right key, a wrong key, no key; a manifest whose layer lost
# its key annotation; a flipped byte in the registry's stored blob. Every refusal names
# its reason and leaves nothing in the store.
. "$(dirname "$0")/lib.sh"

need_registry_tools openssl
plan 30

start_registry "$T_TMP/reg" || skip_all "docker-registry did not start"
PORT=$REG_PORT

L=$T_TMP/layout
B=$T_TMP/bundle
{
	umoci init --layout "$L" && umoci new --image "$L:img" &&
		umoci unpack --image "$L:img" "$B" &&
		mkdir -p "$B/rootfs/etc" && echo secret-content >"$B/rootfs/etc/motd" &&
		head -c 200000 /dev/urandom >"$B/rootfs/etc/blob" &&
		umoci repack --image "$L:img" "$B"
} >"$T_TMP/umoci.log" 2>&1 || { sed 's/^/# /' "$T_TMP/umoci.log"; skip_all "umoci could not build the image"; }

K=$T_TMP/keys
mkdir -p "$K"
openssl genrsa -out "$K/rsa.pem" 2048 2>/dev/null
openssl rsa -in "$K/rsa.pem" -pubout -out "$K/rsa.pub" 2>/dev/null
openssl ecparam -name prime256v1 -genkey -noout -out "$K/ec.pem" 2>/dev/null
openssl ec -in "$K/ec.pem" -pubout -out "$K/ec.pub" 2>/dev/null
openssl genrsa -out "$K/other.pem" 2048 2>/dev/null
push() { # KEY TAG [skopeo args]
	local key=$1 tag=$2
	shift 2
	skopeo copy -q --dest-tls-verify=false --encryption-key "jwe:$K/$key.pub" "$@" \
		"oci:$L:img" "docker://127.0.0.1:$PORT/test/$tag" >"$T_TMP/push.log" 2>&1
}
push rsa rsa:v1 || { sed 's/^/# /' "$T_TMP/push.log"; skip_all "skopeo cannot encrypt here"; }
push ec ec:v1
push ec zstd:v1 --dest-compress-format zstd

cat >"$T_TMP/registries.conf" <<EOF2
[[registry]]
prefix = "127.0.0.1:$PORT/test"
location = "127.0.0.1:$PORT/test"
insecure = true
EOF2
IP() { "$COCOBOX" image-pull -q --registries-conf "$T_TMP/registries.conf" "$@"; }
empty() { # STORE: no layer published, no staging left
	[ -z "$(ls -A "$1/layers" 2>/dev/null)" ] && [ -z "$(ls -A "$1/staging" 2>/dev/null)" ]
}
mt() { curl -s -H 'Accept: application/vnd.oci.image.manifest.v1+json' \
	"http://127.0.0.1:$PORT/v2/test/$1/manifests/v1" | python3 -c 'import json,sys; print(json.load(sys.stdin)["layers"][0]["mediaType"])'; }

check "skopeo made an encrypted gzip layer" test "$(mt rsa)" = application/vnd.oci.image.layer.v1.tar+gzip+encrypted
check "... and an encrypted zstd one" test "$(mt zstd)" = application/vnd.oci.image.layer.v1.tar+zstd+encrypted

expect_exit "RSA (RSA-OAEP) image pulled with its key" 0 IP -k "$K/rsa.pem" -w "$T_TMP/s1" "127.0.0.1:$PORT/test/rsa:v1"
check "... the content is the plaintext" grep -rqx secret-content "$T_TMP/s1/layers"
# Unlike upstream, the store does not hand an encrypted image to a caller without its key.
expect_exit "the same image, now in the store, is refused without the key" 1 \
	IP -w "$T_TMP/s1" "127.0.0.1:$PORT/test/rsa:v1"
expect_exit "... and with a wrong key" 1 IP -k "$K/other.pem" -w "$T_TMP/s1" "127.0.0.1:$PORT/test/rsa:v1"
expect_exit "... and served from the store with the key" 0 IP -k "$K/rsa.pem" -w "$T_TMP/s1" "127.0.0.1:$PORT/test/rsa:v1"
expect_exit "EC (ECDH-ES+A256KW) image pulled with its key among others" 0 \
	IP -k "$K/other.pem" -k "$K/ec.pem" -w "$T_TMP/s2" "127.0.0.1:$PORT/test/ec:v1"
check "... the content is the plaintext" grep -rqx secret-content "$T_TMP/s2/layers"
expect_exit "zstd+encrypted pulled" 0 IP -k "$K/ec.pem" -w "$T_TMP/s3" "127.0.0.1:$PORT/test/zstd:v1"

check "... the content is the plaintext" grep -rqx secret-content "$T_TMP/s3/layers"

expect_exit "a wrong key is refused" 1 IP -k "$K/other.pem" -w "$T_TMP/s4" "127.0.0.1:$PORT/test/rsa:v1"
cp "$T_TMP/err" "$T_TMP/wrong.err"
check "... naming the key annotation" grep -q "no configured key opens org.opencontainers.image.enc.keys.jwe" "$T_TMP/wrong.err"
check "... nothing in the store" empty "$T_TMP/s4"
expect_exit "no key is refused" 1 IP -w "$T_TMP/s5" "127.0.0.1:$PORT/test/ec:v1"
cp "$T_TMP/err" "$T_TMP/nokey.err"
check "... saying no keys were given" grep -q "no keys given" "$T_TMP/nokey.err"

# a manifest whose layer lost its key annotation (pushed under a new tag)
curl -s -H 'Accept: application/vnd.oci.image.manifest.v1+json' \
	"http://127.0.0.1:$PORT/v2/test/rsa/manifests/v1" |
	python3 -c 'import json,sys; m=json.load(sys.stdin); m["layers"][0]["annotations"].pop("org.opencontainers.image.enc.keys.jwe"); sys.stdout.write(json.dumps(m))' \
		>"$T_TMP/noann.json"
curl -s -o /dev/null -X PUT -H 'Content-Type: application/vnd.oci.image.manifest.v1+json' \
	--data-binary "@$T_TMP/noann.json" "http://127.0.0.1:$PORT/v2/test/rsa/manifests/noann"
expect_exit "a layer without its key annotation is refused" 1 \
	IP -k "$K/rsa.pem" -w "$T_TMP/s6" "127.0.0.1:$PORT/test/rsa:noann"
cp "$T_TMP/err" "$T_TMP/noann.err"
check "... naming the missing annotation" grep -q "no key annotation" "$T_TMP/noann.err"
check "... nothing in the store" empty "$T_TMP/s6"

# A flipped byte inside an encrypted layer, uploaded as a blob of its own with a manifest
# naming it: every digest matches, so only the HMAC can catch it.
check "a tampered copy of the RSA image is in the registry" python3 - "$PORT" <<'EOF'
import hashlib, json, sys, urllib.request as u
base = "http://127.0.0.1:%s/v2/test/rsa" % sys.argv[1]
mt = "application/vnd.oci.image.manifest.v1+json"
m = json.load(u.urlopen(u.Request(base + "/manifests/v1", headers={"Accept": mt})))
layer = m["layers"][0]
blob = bytearray(u.urlopen(base + "/blobs/" + layer["digest"]).read())
blob[len(blob) // 2] ^= 1
digest = "sha256:" + hashlib.sha256(blob).hexdigest()
loc = u.urlopen(u.Request(base + "/blobs/uploads/", method="POST")).headers["Location"]
loc = (loc if loc.startswith("http") else "http://127.0.0.1:%s%s" % (sys.argv[1], loc))
sep = "&" if "?" in loc else "?"
u.urlopen(u.Request(loc + sep + "digest=" + digest, data=bytes(blob), method="PUT",
                    headers={"Content-Type": "application/octet-stream"}))
layer["digest"] = digest
u.urlopen(u.Request(base + "/manifests/tampered", data=json.dumps(m).encode(), method="PUT",
                    headers={"Content-Type": mt}))
EOF
expect_exit "a flipped byte under matching digests is refused" 1 \
	IP -k "$K/rsa.pem" -w "$T_TMP/s8" "127.0.0.1:$PORT/test/rsa:tampered"
cp "$T_TMP/err" "$T_TMP/tamper.err"
check "... by the HMAC" grep -q "HMAC" "$T_TMP/tamper.err"
check "... nothing in the store" empty "$T_TMP/s8"

# a flipped byte in the stored blob (the registry serves it as is)
DIG=$(curl -s -H 'Accept: application/vnd.oci.image.manifest.v1+json' \
	"http://127.0.0.1:$PORT/v2/test/ec/manifests/v1" | python3 -c 'import json,sys; print(json.load(sys.stdin)["layers"][0]["digest"].split(":")[1])')
F=$T_TMP/reg/docker/registry/v2/blobs/sha256/${DIG:0:2}/$DIG/data
python3 -c 'import sys; p=sys.argv[1]; b=bytearray(open(p,"rb").read()); b[len(b)//2]^=1; open(p,"wb").write(b)' "$F"
expect_exit "a flipped byte is refused" 1 IP -k "$K/ec.pem" -w "$T_TMP/s7" "127.0.0.1:$PORT/test/ec:v1"
cp "$T_TMP/err" "$T_TMP/flip.err"
check "... as a mismatch" grep -qE "digest mismatch|HMAC" "$T_TMP/flip.err"
check "... nothing in the store" empty "$T_TMP/s7"

# --- keyprovider: through the CDH with the KEK from the test KBS
python3 -c 'import cryptography' 2>/dev/null || { for i in 1 2 3 4; do skip "python3-cryptography missing"; done; exit 0; }
R=$T_TMP/repo
mkdir -p "$R/default/kek"
head -c 32 /dev/urandom >"$T_TMP/kek"
head -c 32 /dev/urandom >"$R/default/kek/1" # the wrong one first
python3 "$TOP_SRCDIR/tests/integration/helpers/ocicrypt-kp-encrypt.py" "$L" img kp "$T_TMP/kek" \
	kbs:///default/kek/1
skopeo copy -q --dest-tls-verify=false "oci:$L:kp" "docker://127.0.0.1:$PORT/test/kp:v1" >"$T_TMP/push.log" 2>&1 ||
	sed 's/^/# /' "$T_TMP/push.log"
start_daemon kbs python3 "$TOP_SRCDIR/tests/kbs/kbs.py" --resources "$R" --port-file "$T_TMP/kbs.port" --lifetime 120
for i in $(seq 250); do [ -s "$T_TMP/kbs.port" ] && break; sleep 0.02; done
KBS=http://127.0.0.1:$(cat "$T_TMP/kbs.port")
AA=$T_TMP/aa.sock
CDH=$T_TMP/cdh/cdh.sock
AA_KBC_PARAMS="cc_kbc::$KBS" start_daemon aa "$COCOBOX" attestation-agent -a "unix://$AA"
wait_socket "$AA"
cat >"$T_TMP/cdh.toml" <<EOF2
socket = "unix://$CDH"
[aa]
aa_socket = "unix://$AA"
[kbc]
name = "cc_kbc"
url = "$KBS"
[image]
work_dir = "$T_TMP/cdhimg"
registry_configuration_uri = "file://$T_TMP/registries.conf"
EOF2
CDH_RUN_DIR=$T_TMP/run CDH_CREDENTIALS_ROOT=$T_TMP/root start_daemon cdh "$COCOBOX" \
	confidential-data-hub -c "$T_TMP/cdh.toml"
wait_socket "$CDH"
expect_exit "a KEK that does not open the packet is refused" 1 \
	"$COCOBOX" cdh-tool -s "unix://$CDH" pull-image -i "127.0.0.1:$PORT/test/kp:v1" -b "$T_TMP/kpb2"
cp "$T_TMP/err" "$T_TMP/kp-wrong.err"
check "... naming the keyprovider annotation" grep -q "keys.provider.attestation-agent" "$T_TMP/kp-wrong.err"
cp "$T_TMP/kek" "$R/default/kek/1"
mkdir -p "$T_TMP/kpb"
expect_exit "a keyprovider-encrypted image pulls through the CDH" 0 \
	"$COCOBOX" cdh-tool -s "unix://$CDH" pull-image -i "127.0.0.1:$PORT/test/kp:v1" -b "$T_TMP/kpb"
cp "$T_TMP/err" "$T_TMP/kp.err"
check "... the content is the plaintext" grep -rqx secret-content "$T_TMP/cdhimg/layers"
