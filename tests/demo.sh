#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# The demo (README's first command): set the machine up, build the static binary, and
# run what is built so far end to end. Today: attestation-agent started as the Kata
# agent starts it, answering the real containerd/ttrpc Go client on its upstream socket
# path (inside a private directory here, so nothing on the host is touched).
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"

bash deps/setup.sh
musl=$(deps/build.sh --prefix musl)
if [ -f build/build.ninja ]; then
	meson setup --reconfigure build --native-file "$musl/meson-native.ini" >/dev/null
else
	meson setup build --native-file "$musl/meson-native.ini" --buildtype=minsize \
		-Ddebug=false -Db_staticpic=false --werror >/dev/null
fi
ninja -C build >/dev/null

say() { printf '\n\033[1m== %s\033[0m\n' "$*"; }
run=$(mktemp -d /tmp/cocobox-demo.XXXXXX)
trap 'kill $(jobs -p) 2>/dev/null; rm -rf "$run"' EXIT
sock=$run/run/confidential-containers/attestation-agent/attestation-agent.sock
call() { build/tests/integration/helpers/ttrpc-call -sock "$sock" \
	-service attestation_agent.AttestationAgentService "$@"; }
unhex() { python3 -c 'import sys; b=bytes.fromhex(sys.argv[1]); print(b[2:].decode())' "$1"; }

say "build/cocobox: $(file -b build/cocobox | cut -d, -f1-2,5-)"
build/cocobox --list | sed 's/^/  /'
mkdir -p "$run/bin" && build/cocobox --install "$run/bin"
say "attestation-agent --attestation_sock unix://$sock"
"$run/bin/attestation-agent" --attestation_sock "unix://$sock" &
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
say "SIGTERM"
kill -TERM $aa
wait $aa && echo "attestation-agent exited 0"
