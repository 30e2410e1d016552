#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# A full boot: the AA with the TPM attester (swtpm as the guest's TPM-TIS, an AK
# provisioned at 0x81010002 beforehand) and init-data, the CDH fetching a resource from
# tests/kbs/kbs.py on the host and pulling an image from a docker-registry on the host
# into a bundle (guest/daemons.sh). Also prints the same start-up figure measured on the
# host.
. "$(dirname "$0")/lib.sh"

PY=/usr/bin/python3
"$PY" -c 'import jwcrypto, cryptography' 2>/dev/null || vm_skip "python3-jwcrypto missing"
[ -x "${STARTUP_TIME:-}" ] || vm_skip "startup-time not built"
unset http_proxy https_proxy all_proxy HTTPS_PROXY ALL_PROXY no_proxy NO_PROXY AA_KBC_PARAMS

R=$VM_TMP/repo
mkdir -p "$R/default/key"
echo "resource one" >"$R/default/key/1"
"$PY" "$TOP_SRCDIR/tests/kbs/kbs.py" --resources "$R" --port-file "$VM_TMP/kbs.port" \
	>"$VM_TMP/kbs.log" 2>&1 &
VM_PIDS="$VM_PIDS $!"
for _ in $(seq 250); do [ -s "$VM_TMP/kbs.port" ] && break; sleep 0.02; done
PORT=$(cat "$VM_TMP/kbs.port")

# A registry on the host with a small image (umoci), when the tools are here.
REG=
if command -v docker-registry >/dev/null && command -v umoci >/dev/null && command -v skopeo >/dev/null; then
	REGPORT=$("$PY" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
	printf 'version: 0.1\nlog: {level: error, accesslog: {disabled: true}}\nstorage: {filesystem: {rootdirectory: %s/reg}}\nhttp: {addr: 127.0.0.1:%s}\n' \
		"$VM_TMP" "$REGPORT" >"$VM_TMP/reg.yml"
	docker-registry serve "$VM_TMP/reg.yml" >"$VM_TMP/reg.log" 2>&1 &
	VM_PIDS="$VM_PIDS $!"
	for _ in $(seq 250); do curl -s -o /dev/null "http://127.0.0.1:$REGPORT/v2/" && break; sleep 0.02; done
	L=$VM_TMP/oci
	if { umoci init --layout "$L" && umoci new --image "$L:img" &&
		umoci unpack --image "$L:img" "$VM_TMP/b" && mkdir -p "$VM_TMP/b/rootfs/etc" &&
		echo "hello from the host" >"$VM_TMP/b/rootfs/etc/motd" &&
		umoci repack --image "$L:img" "$VM_TMP/b" &&
		skopeo copy -q --dest-tls-verify=false "oci:$L:img" "docker://127.0.0.1:$REGPORT/test/img:v1"; } \
		>"$VM_TMP/image.log" 2>&1; then
		REG=10.0.2.2:$REGPORT
	fi
fi

# The host's figure, same daemons and configuration.
H=$VM_TMP/host
mkdir -p "$H"
printf 'socket = "unix://%s/cdh.sock"\n[kbc]\nname = "cc_kbc"\nurl = "http://127.0.0.1:%s"\n[aa]\naa_socket = "unix://%s/aa.sock"\n' \
	"$H" "$PORT" "$H" >"$H/cdh.toml"
host_us=$(AA_KBC_PARAMS="cc_kbc::http://127.0.0.1:$PORT" CDH_RUN_DIR=$H "$STARTUP_TIME" \
	"$H/aa.sock,$H/cdh.sock" -- "$COCOBOX" attestation-agent -a "unix://$H/aa.sock" \
	-- "$COCOBOX" confidential-data-hub -c "$H/cdh.toml" 2>/dev/null | sed -n 's/ready_us=//p')
pkill -f "$H/aa.sock" 2>/dev/null
pkill -f "$H/cdh.toml" 2>/dev/null

tpm_opts=() tee=sample
if command -v swtpm >/dev/null && command -v tpm2_createak >/dev/null; then
	S=$VM_TMP/tpm
	mkdir -p "$S/state"
	swtpm socket --tpm2 --tpmstate dir="$S/state" --server type=unixio,path="$S/sock" \
		--ctrl type=unixio,path="$S/sock.ctrl" --flags not-need-init,startup-clear &
	sw=$!
	for _ in $(seq 100); do [ -S "$S/sock" ] && break; sleep 0.05; done
	export TPM2TOOLS_TCTI="swtpm:path=$S/sock"
	if { tpm2_createek -c "$S/ek.ctx" -G rsa -u "$S/ek.pub" && tpm2_flushcontext -t &&
		tpm2_createak -C "$S/ek.ctx" -c "$S/ak.ctx" -G rsa -g sha256 -s rsassa \
			-u "$S/ak.pem" -f pem -n "$S/ak.name" &&
		tpm2_flushcontext -t && tpm2_flushcontext -s &&
		tpm2_evictcontrol -C o -c "$S/ak.ctx" 0x81010002; } >"$S/setup.log" 2>&1; then
		tpm_opts=(--tpm-state "$S/state")
		tee=tpm
	fi
	kill $sw
	wait $sw 2>/dev/null
fi

cp "$STARTUP_TIME" "$SHARE/"
vm_run "$TOP_SRCDIR/tests/vm/guest/daemons.sh" --timeout 300 ${tpm_opts[@]+"${tpm_opts[@]}"} \
	--env KBS="http://10.0.2.2:$PORT" --env WANT_TEE=$tee --env STARTUP_TIME=/share/startup-time \
	--env REG="$REG"
rc=$?
echo "# host: exec to both sockets ready: ${host_us:-?} us"
exit $rc
