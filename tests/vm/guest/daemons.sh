#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# Runs inside the test guest: the attestation agent (TPM attester on the guest's TPM-TIS
# when the host gave one, with init-data bound into PCR 8) and the confidential data hub
# start from the initrd as the Kata agent starts them, then answer aa-tool and fetch a
# resource from the test KBS on the host through the AA's token. Prints TAP.
# Environment: KBS (URL), WANT_TEE (tpm or sample), STARTUP_TIME (helper), REG (the host's
# registry with test/img:v1, or empty: the pull is skipped).
set -u
n=0
failed=0
ok() { n=$((n + 1)); echo "ok $n $*"; }
not_ok() { n=$((n + 1)); failed=$((failed + 1)); echo "not ok $n $*"; }
check() { name=$1; shift; if "$@" >/tmp/d.out 2>&1; then ok "$name"; else not_ok "$name"; sed 's/^/# /' /tmp/d.out | head -8; fi; }
AA_SOCK=/run/confidential-containers/attestation-agent/attestation-agent.sock
CDH_SOCK=/run/confidential-containers/cdh.sock

echo "1..9"
cat >/tmp/initdata.toml <<EOT
version = "0.1.0"
algorithm = "sha256"
[data]
"aa.toml" = '''
[token_configs.kbs]
url = "$KBS"
'''
EOT
cat >/tmp/aa.toml <<EOT
[token_configs.kbs]
url = "$KBS"
[eventlog_config]
enable_eventlog = true
EOT
# PCRs 17-22 take extends only from higher localities: measure into 23 on a TPM.
[ "$WANT_TEE" != tpm ] || echo "init_pcr = 23" >>/tmp/aa.toml
cat >/tmp/cdh.toml <<EOT
[kbc]
name = "cc_kbc"
url = "$KBS"
[image]
work_dir = "/run/image"
[image.registry_config]
[[image.registry_config.registry]]
location = "${REG:-none.invalid}"
insecure = true
EOT
export AA_KBC_PARAMS="cc_kbc::$KBS"
"$STARTUP_TIME" "$AA_SOCK,$CDH_SOCK" -- attestation-agent -c /tmp/aa.toml -t /tmp/initdata.toml \
	-- confidential-data-hub -c /tmp/cdh.toml >/tmp/ready 2>/tmp/daemons.log
check "attestation-agent and confidential-data-hub come up from the initrd" grep -q ready_us /tmp/ready
echo "# guest: exec to both sockets ready: $(sed -n 's/ready_us=//p' /tmp/ready) us"
check "the AA runs the $WANT_TEE attester" sh -c "aa-tool tee | head -1 | grep -qx $WANT_TEE"
check "GetEvidence answers" aa-tool evidence "vm report data"
cp /tmp/d.out /tmp/evidence.json
if [ "$WANT_TEE" = tpm ]; then
	check "... with a TPM quote" grep -q tpm_quote /tmp/evidence.json
else
	check "... sample evidence" grep -q svn /tmp/evidence.json
fi
check "ExtendRuntimeMeasurement" aa-tool extend vm-test boot "initrd"
check "CDH fetches a resource from the host's KBS through the AA's token" \
	sh -c 'cdh-tool get-resource -r kbs:///default/key/1 | base64 -d | grep -qx "resource one"'
if [ -n "$REG" ]; then
	mkdir -p /run/bundle
	check "CDH pulls an image from the host's registry into a bundle" \
		cdh-tool pull-image -i "$REG/test/img:v1" -b /run/bundle
	check "... its rootfs is the image's and config.json is written" sh -c \
		'test "$(cat /run/bundle/rootfs/etc/motd)" = "hello from the host" && test -s /run/bundle/config.json'
else
	ok "# SKIP no docker-registry, umoci or skopeo on the host"
	ok "# SKIP no docker-registry, umoci or skopeo on the host"
fi
check "both daemons still run" sh -c 'pidof attestation-agent && pidof confidential-data-hub'
[ $failed = 0 ] || sed 's/^/# daemon: /' /tmp/daemons.log | tail -25
[ $failed = 0 ]
