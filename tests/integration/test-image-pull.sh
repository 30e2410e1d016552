#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# image-pull from a real registry (Debian's docker-registry on 127.0.0.1): an image built
# with umoci and pushed with skopeo, pulled through registries.conf (insecure, a mirror
# that is down, a blocked prefix) and compared file by file with `umoci unpack`; a cache
# hit; signature policy with skopeo-signed images from a lookaside store and from the
# registry's signature extension; a corrupted blob in the registry's storage refused
# with no trace in the store.
. "$(dirname "$0")/lib.sh"

H=$TOP_SRCDIR/tests/integration/helpers
need_registry_tools
plan 27

start_registry "$T_TMP/reg" || skip_all "docker-registry did not start"
PORT=$REG_PORT
DOWN=$(free_port)

# a small image: two layers, a symlink, a hardlink, modes and owners
L=$T_TMP/layout
B=$T_TMP/bundle
{
	umoci init --layout "$L" && umoci new --image "$L:img" &&
		umoci unpack --image "$L:img" "$B" &&
		mkdir -p "$B/rootfs/etc" "$B/rootfs/usr/bin" &&
		printf 'root:x:0:0::/root:/bin/sh\napp:x:1000:1001::/home/app:/bin/sh\n' >"$B/rootfs/etc/passwd" &&
		printf 'root:x:0:\napp:x:1001:\nstaff:x:50:\n' >"$B/rootfs/etc/group" &&
		head -c 300000 /dev/urandom >"$B/rootfs/usr/bin/tool" && chmod 4755 "$B/rootfs/usr/bin/tool" &&
		ln -s tool "$B/rootfs/usr/bin/alias" && ln "$B/rootfs/etc/passwd" "$B/rootfs/etc/passwd.hard" &&
		umoci repack --image "$L:img" "$B" &&
		echo second >"$B/rootfs/etc/motd" && chown 1000:1000 "$B/rootfs/etc/motd" &&
		umoci repack --image "$L:img" "$B" &&
		umoci config --image "$L:img" --config.user app:staff --config.workingdir /etc \
			--config.env FOO=bar --config.entrypoint /usr/bin/tool --config.cmd run \
			--config.label team=coco --config.volume /data &&
		umoci unpack --image "$L:img" "$T_TMP/ref"
} >"$T_TMP/umoci.log" 2>&1 || { sed 's/^/# /' "$T_TMP/umoci.log"; skip_all "umoci could not build the image"; }
skopeo copy -q --dest-tls-verify=false "oci:$L:img" "docker://127.0.0.1:$PORT/test/img:v1" \
	>"$T_TMP/push.log" 2>&1 || { sed 's/^/# /' "$T_TMP/push.log"; skip_all "skopeo push failed"; }

cat >"$T_TMP/registries.conf" <<EOF2
[[registry]]
prefix = "127.0.0.1:$PORT/test"
location = "127.0.0.1:$PORT/test"
insecure = true
[[registry.mirror]]
location = "127.0.0.1:$DOWN/mirror"
insecure = true
[[registry]]
prefix = "127.0.0.1:$PORT/blocked"
blocked = true
EOF2
IP() { "$COCOBOX" image-pull -q --registries-conf "$T_TMP/registries.conf" "$@"; }
W=$T_TMP/store
expect_exit "pulls through registries.conf (mirror down, then the location)" 0 \
	IP -w "$W" "127.0.0.1:$PORT/test/img:v1"
cp "$T_TMP/err" "$T_TMP/pull.err"
check "the rootfs equals umoci unpack's" python3 "$H/compare-rootfs.py" "$T_TMP/ref/rootfs" "$W"
check "the mirror was tried first" grep -q "127.0.0.1:$DOWN/mirror" "$T_TMP/pull.err"
expect_output "a second pull is a cache hit" "already in the store" \
	sh -c "'$COCOBOX' image-pull -q --registries-conf '$T_TMP/registries.conf' -w '$W' 127.0.0.1:$PORT/test/img:v1 | grep -o 'already in the store'"
expect_exit "a blocked prefix is refused" 1 IP -w "$T_TMP/w2" "127.0.0.1:$PORT/blocked/img:v1"
cp "$T_TMP/err" "$T_TMP/blocked.err"
check "... saying so" grep -q "blocked by registry rule" "$T_TMP/blocked.err"
expect_exit "without registries.conf the plain-HTTP registry is not used over HTTPS" 1 \
	"$COCOBOX" image-pull -q -w "$T_TMP/w3" "127.0.0.1:$PORT/test/img:v1"

# the bundle, as PullImage leaves it for the Kata agent
mkdir -p "$T_TMP/bundle1"
expect_exit "image-pull IMAGE BUNDLE_DIR" 0 IP -w "$W" "127.0.0.1:$PORT/test/img:v1" "$T_TMP/bundle1"
check "rootfs is the overlay of the layers" sh -c "mountpoint -q '$T_TMP/bundle1/rootfs' && cmp '$T_TMP/bundle1/rootfs/usr/bin/tool' '$T_TMP/ref/rootfs/usr/bin/tool' && test \"\$(cat '$T_TMP/bundle1/rootfs/etc/motd')\" = second"
check "config.json: user app:staff resolved to 1000:50, cwd, args, env, label, volume" python3 -c '
import json, sys
c = json.load(open(sys.argv[1]))
p = c["process"]
assert p["user"] == {"uid": 1000, "gid": 50}, p["user"]
assert p["cwd"] == "/etc" and p["args"] == ["/usr/bin/tool", "run"], p
assert "FOO=bar" in p["env"], p["env"]
assert c["root"] == {"path": "rootfs", "readonly": True} and c["hostname"] == "image-rs"
assert c["annotations"]["team"] == "coco" and c["annotations"]["org.opencontainers.image.os"] == "linux"
assert c["mounts"][0]["destination"] == "/data" and c["mounts"][0]["type"] == "tmpfs"
' "$T_TMP/bundle1/config.json"
umount "$T_TMP/bundle1/rootfs"
expect_exit "an existing config.json is refused, nothing mounted" 1 \
	IP -w "$W" "127.0.0.1:$PORT/test/img:v1" "$T_TMP/bundle1"
mountpoint -q "$T_TMP/bundle1/rootfs" && umount "$T_TMP/bundle1/rootfs"

# signature policy, evaluated on every pull (cache hits included, unlike upstream)
printf '{"default":[{"type":"reject"}],"transports":{"docker":{}}}' >"$T_TMP/reject.json"
expect_exit "policy reject refuses the image, even when it is in the store" 1 \
	IP --policy "$T_TMP/reject.json" -w "$W" "127.0.0.1:$PORT/test/img:v1"
cp "$T_TMP/err" "$T_TMP/reject.err"
check "... naming the rule" grep -q "reject" "$T_TMP/reject.err"
printf '{"default":[{"type":"insecureAcceptAnything"}],"transports":{"docker":{}}}' >"$T_TMP/accept.json"
expect_exit "insecureAcceptAnything accepts it" 0 IP --policy "$T_TMP/accept.json" -w "$W" "127.0.0.1:$PORT/test/img:v1"
export GNUPGHOME=$T_TMP/gnupg
mkdir -m 700 "$GNUPGHOME"
if gpg --batch --passphrase '' --quick-gen-key "cocobox test <t@example.org>" rsa2048 sign never >/dev/null 2>&1; then
	FPR=$(gpg --list-keys --with-colons | awk -F: '/^fpr/{print $10; exit}')
	gpg --export "$FPR" >"$T_TMP/pub.gpg"
	mkdir -p "$T_TMP/rd"
	printf 'default-docker:\n  lookaside-staging: file://%s/sl\n  lookaside: file://%s/sl\n' "$T_TMP" "$T_TMP" >"$T_TMP/rd/default.yaml"
	skopeo copy -q --registries.d "$T_TMP/rd" --dest-tls-verify=false --sign-by "$FPR" \
		"oci:$L:img" "docker://127.0.0.1:$PORT/test/signed:v1" >"$T_TMP/sign.log" 2>&1
	printf '{"default":[{"type":"reject"}],"transports":{"docker":{"127.0.0.1:%s/test":[{"type":"signedBy","keyType":"GPGKeys","keyPath":"%s"}]}}}' \
		"$PORT" "$T_TMP/pub.gpg" >"$T_TMP/signed.json"
	expect_exit "signedBy: the skopeo-signed image is accepted" 0 IP --policy "$T_TMP/signed.json" \
		--sigstore-config "$T_TMP/rd/default.yaml" -w "$T_TMP/w5" "127.0.0.1:$PORT/test/signed:v1"
	expect_exit "signedBy: the unsigned image is refused" 1 IP --policy "$T_TMP/signed.json" \
		--sigstore-config "$T_TMP/rd/default.yaml" -w "$T_TMP/w5" "127.0.0.1:$PORT/test/img:v1"
	check "... and not recorded in the store" python3 -c '
import json, sys
m = json.load(open(sys.argv[1] + "/meta_store.json"))
assert len(m["image_db"]) == 1 and all("signed" in i["reference"] for i in m["image_db"].values()), m["image_db"].keys()
' "$T_TMP/w5"
	# The registry's signature extension (a front adding it to docker-registry), with no
	# lookaside configured: the signatures skopeo wrote come from the registry itself.
	XPORT=$(free_port)
	start_daemon sigext python3 "$H/registry-sig-ext.py" "$XPORT" "$PORT" "$T_TMP/sl"
	for i in $(seq 250); do curl -s -o /dev/null "http://127.0.0.1:$XPORT/v2/" && break; sleep 0.02; done
	printf '[[registry]]\nprefix = "127.0.0.1:%s/test"\nlocation = "127.0.0.1:%s/test"\ninsecure = true\n' \
		"$XPORT" "$XPORT" >"$T_TMP/ext.conf"
	ext_policy() { # KEYRING: signedBy for the front, its names mapped to those skopeo signed
		printf '{"default":[{"type":"reject"}],"transports":{"docker":{"127.0.0.1:%s/test":[{"type":"signedBy","keyType":"GPGKeys","keyPath":"%s","signedIdentity":{"type":"remapIdentity","prefix":"127.0.0.1:%s/test","signedPrefix":"127.0.0.1:%s/test"}}]}}}' \
			"$XPORT" "$1" "$XPORT" "$PORT"
	}
	ext_policy "$T_TMP/pub.gpg" >"$T_TMP/ext.json"
	XP() { "$COCOBOX" image-pull -q --registries-conf "$T_TMP/ext.conf" "$@"; }
	expect_exit "signedBy through the registry's signature extension" 0 \
		XP --policy "$T_TMP/ext.json" -w "$T_TMP/w6" "127.0.0.1:$XPORT/test/signed:v1"
	expect_exit "... the unsigned image is refused" 1 \
		XP --policy "$T_TMP/ext.json" -w "$T_TMP/w6" "127.0.0.1:$XPORT/test/img:v1"
	cp "$T_TMP/err" "$T_TMP/ext.err"
	check "... because the registry has no signature for it" grep -q "registry has none" "$T_TMP/ext.err"
	gpg --batch --passphrase '' --quick-gen-key "other <o@example.org>" rsa2048 sign never >/dev/null 2>&1
	gpg --export "o@example.org" >"$T_TMP/other.gpg"
	ext_policy "$T_TMP/other.gpg" >"$T_TMP/ext-other.json"
	expect_exit "... a signature by a key the policy does not trust is refused" 1 \
		XP --policy "$T_TMP/ext-other.json" -w "$T_TMP/w6" "127.0.0.1:$XPORT/test/signed:v1"
	cp "$T_TMP/err" "$T_TMP/ext.err"
	check "... naming the registry signature" grep -q "registry signature 1" "$T_TMP/ext.err"
else
	for i in 1 2 3 4 5 6 7 8; do skip "gpg cannot make a key here"; done
fi

# PullImage through the CDH, as the Kata agent asks for it, with the AA measuring the pull
AA=$T_TMP/aa.sock
CDH=$T_TMP/cdh.sock
start_daemon aa "$COCOBOX" attestation-agent -a "unix://$AA"
wait_socket "$AA"
cat >"$T_TMP/cdh.toml" <<EOF2
socket = "unix://$CDH"
[aa]
aa_socket = "unix://$AA"
[kbc]
name = "offline_fs_kbc"
[image]
work_dir = "$T_TMP/cdh-image"
[image.registry_config]
[[image.registry_config.registry]]
location = "127.0.0.1:$PORT"
insecure = true
EOF2
CDH_RUN_DIR=$T_TMP/cdh-run start_daemon cdh "$COCOBOX" confidential-data-hub -c "$T_TMP/cdh.toml"
wait_socket "$CDH"
mkdir -p "$T_TMP/bundle2"
expect_output "cdh-tool pull-image: the manifest digest" \
	"Image pulled: $(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["image_db"].popitem()[1]["digest"])' "$W/meta_store.json")" \
	"$COCOBOX" cdh-tool -s "unix://$CDH" pull-image -i "127.0.0.1:$PORT/test/img:v1" -b "$T_TMP/bundle2"
check "the bundle's rootfs is mounted, config.json written" sh -c \
	"mountpoint -q '$T_TMP/bundle2/rootfs' && test -s '$T_TMP/bundle2/config.json' && test \"\$(cat '$T_TMP/bundle2/rootfs/etc/motd')\" = second"
umount "$T_TMP/bundle2/rootfs" 2>/dev/null
check "the CDH asked the AA to measure the pull (event log off here: NOT_ENABLED)" \
	grep -q "Runtime measurement of the pull was not recorded (result 2)" "$T_TMP/cdh.log"

# corrupt the biggest layer blob in the registry's storage
blob=$(find "$T_TMP/reg" -path '*blobs/sha256/*/data' -size +100k | head -1)
printf 'X' | dd of="$blob" bs=1 seek=1000 conv=notrunc 2>/dev/null
expect_exit "a corrupted blob is refused" 1 IP -w "$T_TMP/w4" "127.0.0.1:$PORT/test/img:v1"
# Layers that finished before the failure stay, shared, as upstream's do; the broken one
# and the image must not.
check "... leaving no staging dir, no image and only the intact layer" python3 -c '
import json, os, sys
w = sys.argv[1]
m = json.load(open(os.path.join(w, "meta_store.json"))) if os.path.exists(os.path.join(w, "meta_store.json")) else {"image_db": {}, "layer_db": {}}
assert not os.listdir(os.path.join(w, "staging")), "staging left"
assert not m["image_db"], "image recorded"
assert len(os.listdir(os.path.join(w, "layers"))) <= 1 and len(m["layer_db"]) <= 1, "broken layer stored"
' "$T_TMP/w4"
done_testing
