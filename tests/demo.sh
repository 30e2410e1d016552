#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# The demo (README's first command): set the machine up, build the static binary, and
# run the daemons end to end against local servers: a test KBS (tests/kbs/kbs.py) and a
# registry (docker-registry); attestation-agent started as the Kata agent starts it,
# answering the real containerd/ttrpc Go client and aa-tool; confidential-data-hub
# fetching a secret from the KBS (attesting through the AA) and pulling an image into a
# bundle. Sockets live in a private directory, so nothing on the host is touched.
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"

bash deps/setup.sh
musl=$(deps/build.sh --prefix musl)
. tests/build-dir.sh
build_dir build "$musl/meson-native.ini" --buildtype=minsize -Ddebug=false -Db_staticpic=false \
	--werror
ninja -C build >/dev/null

say() { printf '\n\033[1m== %s\033[0m\n' "$*"; }
run=$(mktemp -d /tmp/cocobox-demo.XXXXXX)
pids=()
trap 'umount "$run/bundle/rootfs" 2>/dev/null || true; kill "${pids[@]}" 2>/dev/null || true; wait 2>/dev/null || true; rm -rf "$run"' EXIT
sock=$run/run/confidential-containers/attestation-agent/attestation-agent.sock
call() { build/tests/integration/helpers/ttrpc-call -sock "$sock" \
	-service attestation_agent.AttestationAgentService "$@"; }
unhex() { python3 -c 'import sys; b=bytes.fromhex(sys.argv[1]); print(b[2:].decode())' "$1"; }

say "build/cocobox: $(file -b build/cocobox | cut -d, -f1-2,5-)"
build/cocobox --list | sed 's/^/  /'
mkdir -p "$run/bin" && build/cocobox --install "$run/bin"
say "test KBS (tests/kbs/kbs.py) on 127.0.0.1"
mkdir -p "$run/kbs/default/key"
echo "a secret from the KBS" >"$run/kbs/default/key/demo"
/usr/bin/python3 tests/kbs/kbs.py --resources "$run/kbs" --port-file "$run/kbs.port" \
	--lifetime 600 >"$run/kbs.log" 2>&1 &
pids+=($!)
for _ in $(seq 250); do [ -s "$run/kbs.port" ] && break; sleep 0.02; done
kbs=http://127.0.0.1:$(cat "$run/kbs.port")
echo "$kbs"
say "AA_KBC_PARAMS=cc_kbc::$kbs attestation-agent --attestation_sock unix://$sock"
AA_KBC_PARAMS="cc_kbc::$kbs" "$run/bin/attestation-agent" --attestation_sock "unix://$sock" &
pids+=($!)
aa=$!
for _ in $(seq 200); do [ -S "$sock" ] && break; sleep 0.01; done
say "GetTeeType (Go ttrpc client)"
unhex "$(call -method GetTeeType)"
say "GetEvidence RuntimeData='demo-nonce'"
unhex "$(call -method GetEvidence -req-hex 0a0a$(printf demo-nonce | od -An -tx1 | tr -d ' \n'))"
say "ExtendRuntimeMeasurement (event log off by default: result NOT_ENABLED = 2)"
call -method ExtendRuntimeMeasurement -req-hex 0a016412016f1a0163
say "BindInitData (the sample TEE has no binding field: OK, nothing bound)"
call -method BindInitData -req-hex 0a0400112233
say "aa-tool token kbs (RCAR with the test KBS: token and TEE key; the key is not shown)"
"$run/bin/aa-tool" -s "unix://$sock" token kbs | /usr/bin/python3 -c '
import base64, json, sys
t = json.load(sys.stdin)
claims = json.loads(base64.urlsafe_b64decode(t["token"].split(".")[1] + "=="))
print("token claims: tee=%s exp=%s tee-pubkey=%s" % (claims["tee"], claims["exp"], claims["tee-pubkey"]["kty"]))
print("tee_keypair: %s" % t["tee_keypair"].splitlines()[0])'
say "a local registry (docker-registry) with an image built by umoci and pushed by skopeo"
port=$(/usr/bin/python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
printf 'version: 0.1\nlog: {level: error, accesslog: {disabled: true}}\nstorage: {filesystem: {rootdirectory: %s}}\nhttp: {addr: 127.0.0.1:%s}\n' \
	"$run/registry" "$port" >"$run/registry.yml"
docker-registry serve "$run/registry.yml" >/dev/null 2>&1 &
pids+=($!)
for _ in $(seq 250); do curl -s -o /dev/null "http://127.0.0.1:$port/v2/" && break; sleep 0.02; done
{
	umoci init --layout "$run/oci" && umoci new --image "$run/oci:demo" &&
		umoci unpack --image "$run/oci:demo" "$run/b" &&
		mkdir -p "$run/b/rootfs/etc" && echo "hello from the demo image" >"$run/b/rootfs/etc/motd" &&
		cp -a /usr/include/linux "$run/b/rootfs/include" &&
		umoci repack --image "$run/oci:demo" "$run/b" &&
		umoci config --image "$run/oci:demo" --config.cmd /bin/sh &&
		skopeo copy -q --dest-tls-verify=false "oci:$run/oci:demo" "docker://127.0.0.1:$port/demo/app:v1"
} >"$run/image.log" 2>&1
echo "127.0.0.1:$port/demo/app:v1"
cdh=$run/run/confidential-containers/cdh.sock
cat >"$run/cdh.toml" <<EOF
socket = "unix://$cdh"
[aa]
aa_socket = "unix://$sock"
[kbc]
name = "cc_kbc"
url = "$kbs"
[image]
work_dir = "$run/image"
[image.registry_config]
[[image.registry_config.registry]]
location = "127.0.0.1:$port"
insecure = true
EOF
say "confidential-data-hub -c cdh.toml (cc_kbc: KBS tokens from the AA)"
CDH_RUN_DIR=$run/cdh-run "$run/bin/confidential-data-hub" -c "$run/cdh.toml" 2>"$run/cdh.log" &
pids+=($!)
for _ in $(seq 200); do [ -S "$cdh" ] && break; sleep 0.01; done
say "cdh-tool get-resource -r kbs:///default/key/demo (RCAR through the AA, JWE from the KBS)"
"$run/bin/cdh-tool" -s "unix://$cdh" get-resource -r kbs:///default/key/demo | base64 -d
say "cdh-tool pull-image 127.0.0.1:$port/demo/app:v1 (PullImage: one-pass pull, overlay bundle)"
mkdir -p "$run/bundle"
"$run/bin/cdh-tool" -s "unix://$cdh" pull-image -i "127.0.0.1:$port/demo/app:v1" -b "$run/bundle"
echo "rootfs/etc/motd: $(cat "$run/bundle/rootfs/etc/motd")"
echo "config.json process.args: $(/usr/bin/python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["process"]["args"])' "$run/bundle/config.json")"
umount "$run/bundle/rootfs"
say "SIGTERM"
kill -TERM $aa
wait $aa && echo "attestation-agent exited 0"
