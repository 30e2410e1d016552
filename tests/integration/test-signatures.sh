#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# image-rs/signature against real signers: gpg makes keys (RSA-2048/4096, ECDSA P-256/384,
# Ed25519) and signed messages (ZIP, ZLIB, uncompressed, armored), which our OpenPGP code
# must accept, and refuse with the wrong key or tampered; a lookaside store in the layout
# skopeo writes (testbed §2d) drives the policy through signedBy; openssl makes cosign
# signatures by hand (testbed appendix A5) for sigstoreSigned; skopeo --sign-by against a
# local docker-registry when both are installed. Driven through helpers/sig-cli.
. "$(dirname "$0")/lib.sh"

CLI=${SIG_CLI:-$TOP_BUILDDIR/tests/integration/helpers/sig-cli}
[ -x "$CLI" ] || skip_all "sig-cli not built (image feature off?)"
command -v gpg >/dev/null || skip_all "gpg is not installed (apt-get install gnupg)"
command -v openssl >/dev/null || skip_all "openssl CLI is not installed"
PY=$(command -v python3) || skip_all "python3 is not installed"

D=$T_TMP
export GNUPGHOME=$D/gnupg
mkdir -m 700 "$GNUPGHOME"
cleanup() {
	gpgconf --kill gpg-agent 2>/dev/null
	t_cleanup
}
trap cleanup EXIT

KEYS="rsa2048 rsa4096 nistp256 nistp384 ed25519"
plan 82

# expect_err NAME ERRNO CMD...: CMD must exit 1 with "error: ERRNO" on stderr.
expect_err() {
	local name=$1 want=$2 rc=0
	shift 2
	"$@" >"$D/out" 2>"$D/err" || rc=$?
	if [ "$rc" = 1 ] && grep -q "^error: $want" "$D/err"; then
		ok "$name"
	else
		not_ok "$name (exit $rc)"
		sed 's/^/# /' "$D/err" | head -5
	fi
}
# expect_reason NAME ERRNO TEXT CMD...: as expect_err, and the reason contains TEXT.
expect_reason() {
	local name=$1 want=$2 text=$3 rc=0
	shift 3
	"$@" >"$D/out" 2>"$D/err" || rc=$?
	if [ "$rc" = 1 ] && grep -q "^error: $want" "$D/err" && grep -qF -- "$text" "$D/err"; then
		ok "$name"
	else
		not_ok "$name (exit $rc)"
		sed 's/^/# /' "$D/err" | head -5
	fi
}

fpr_of() { gpg --list-keys --with-colons "$1" 2>/dev/null | awk -F: '/^fpr/{print $10; exit}'; }

for k in $KEYS; do
	gpg --batch --passphrase '' --quick-gen-key "cocobox test $k <$k@test.invalid>" $k sign never \
		2>/dev/null
	eval "FPR_$k=$(fpr_of "$k@test.invalid")"
	f=$(fpr_of "$k@test.invalid")
	gpg --export "$f" >"$D/$k.gpg"
	gpg --armor --export "$f" >"$D/$k.asc"
done

REF=127.0.0.1:5000/test/signed:v1
HEX=$(printf 'a manifest' | sha256sum | cut -d' ' -f1)
DIG=sha256:$HEX
payload() { # REF DIGEST [TYPE]
	printf '{"critical":{"identity":{"docker-reference":"%s"},"image":{"docker-manifest-digest":"%s"},"type":"%s"},"optional":{"creator":"cocobox test","timestamp":1700000000}}' \
		"$1" "$2" "${3:-atomic container signature}"
}
payload $REF $DIG >"$D/payload"

# (a) OpenPGP: every key type, every message form, both keyring forms.
for k in $KEYS; do
	f=$(fpr_of "$k@test.invalid")
	gpg --batch -u "$f" --sign -o "$D/$k.zip.sig" "$D/payload"
	gpg --batch -u "$f" --compress-algo zlib --sign -o "$D/$k.zlib.sig" "$D/payload"
	gpg --batch -u "$f" --compress-algo none --sign -o "$D/$k.none.sig" "$D/payload"
	gpg --batch -u "$f" --armor --sign -o "$D/$k.asc.sig" "$D/payload"
	for form in zip zlib none asc; do
		ring=$D/$k.gpg
		[ $form = zlib ] || [ $form = asc ] && ring=$D/$k.asc
		check "$k $form signature verifies" sh -c "'$CLI' pgp-verify '$ring' '$D/$k.$form.sig' | cmp -s - '$D/payload'"
	done
	other=rsa2048
	[ $k = rsa2048 ] && other=ed25519
	expect_err "$k signature refused by another key" EKEYREJECTED "$CLI" pgp-verify "$D/$other.gpg" "$D/$k.zip.sig"
done
# The whole keyring (all five keys) finds the right one.
gpg --export >"$D/all.gpg"
check "keyring of five keys" sh -c "'$CLI' pgp-verify '$D/all.gpg' '$D/ed25519.zip.sig' | cmp -s - '$D/payload'"

# Tampering: the literal data of the uncompressed message, one byte inside the payload.
for k in rsa2048 nistp256 ed25519; do
	"$PY" - "$D/$k.none.sig" "$D/$k.bad.sig" <<-'EOF'
	import sys
	b = bytearray(open(sys.argv[1], 'rb').read())
	i = b.find(b'signed:v1')
	b[i] = ord('S')
	open(sys.argv[2], 'wb').write(b)
	EOF
	expect_err "$k tampered payload refused" EKEYREJECTED "$CLI" pgp-verify "$D/$k.gpg" "$D/$k.bad.sig"
done
# A flipped bit in the compressed stream: refused (inflate or signature).
"$PY" - "$D/rsa2048.zip.sig" "$D/flip.sig" <<-'EOF'
import sys
b = bytearray(open(sys.argv[1], 'rb').read())
b[len(b) // 2] ^= 0x10
open(sys.argv[2], 'wb').write(b)
EOF
check "corrupt compressed message refused" sh -c "! '$CLI' pgp-verify '$D/rsa2048.gpg' '$D/flip.sig' 2>/dev/null"
# Truncated message and a broken armor checksum.
head -c 60 "$D/nistp256.none.sig" >"$D/trunc.sig"
expect_err "truncated message is malformed" EBADMSG "$CLI" pgp-verify "$D/nistp256.gpg" "$D/trunc.sig"
sed '/^=/s/^=..../=AAAA/' "$D/nistp384.asc" >"$D/badcrc.asc"
expect_err "armored keyring with a bad CRC24" EBADMSG "$CLI" pgp-verify "$D/badcrc.asc" "$D/nistp384.zip.sig"
# A detached signature is not a signed message.
gpg --batch -u "$FPR_rsa2048" --detach-sign -o "$D/detached.sig" "$D/payload"
expect_err "detached signature is not a signed message" EBADMSG "$CLI" pgp-verify "$D/rsa2048.gpg" "$D/detached.sig"
# SHA-1 is refused even when the key verifies it.
gpg --batch -u "$FPR_rsa2048" --digest-algo SHA1 --sign -o "$D/sha1.sig" "$D/payload" 2>/dev/null
expect_err "SHA-1 signature refused" EOPNOTSUPP "$CLI" pgp-verify "$D/rsa2048.gpg" "$D/sha1.sig"
# Canonical text signatures (type 0x01): gpg stores the text with CR LF line endings.
printf 'line one\nline two\n' >"$D/text"
printf 'line one\r\nline two\r\n' >"$D/text.crlf"
gpg --batch -u "$FPR_nistp384" --textmode --sign -o "$D/text.sig" "$D/text"
check "text-mode signature" sh -c "'$CLI' pgp-verify '$D/nistp384.gpg' '$D/text.sig' | cmp -s - '$D/text.crlf'"
# SHA-384/512 work.
for h in SHA384 SHA512; do
	gpg --batch -u "$FPR_rsa4096" --digest-algo $h --sign -o "$D/$h.sig" "$D/payload"
	check "RSA-4096 with $h" "$CLI" pgp-verify "$D/rsa4096.gpg" "$D/$h.sig"
done
# An expired signature.
mkdir -p "$D/l3/test/signed@sha256=$HEX"
gpg --batch -u "$FPR_nistp256" --default-sig-expire 1d --sign -o "$D/l3/test/signed@sha256=$HEX/signature-1" "$D/payload"
printf 'default-docker:\n  sigstore: file://%s/l3\n' "$D" >"$D/l3.yaml"
printf '{"default":[{"type":"signedBy","keyType":"GPGKeys","keyPath":"%s"}],"transports":{}}' "$D/nistp256.gpg" >"$D/p-exp.json"
check "signature within its validity" "$CLI" check "$D/p-exp.json" $REF $DIG --sigstore "$D/l3.yaml"
expect_reason "expired signature refused" EKEYEXPIRED "expired" \
	"$CLI" check "$D/p-exp.json" $REF $DIG --sigstore "$D/l3.yaml" --now $(($(date +%s) + 3 * 86400))

# Key state from its self-signatures: an expiring key, a revoked key (gpg's own revocation
# certificate imported).
gpg --batch --passphrase '' --quick-gen-key "cocobox expiring <exp@test.invalid>" ed25519 sign 1d 2>/dev/null
gpg --batch --passphrase '' --quick-gen-key "cocobox revoked <rev@test.invalid>" nistp256 sign never 2>/dev/null
FE=$(fpr_of exp@test.invalid)
FR=$(fpr_of rev@test.invalid)
gpg --batch -u "$FR" --sign -o "$D/rev.sig" "$D/payload"
sed 's/^:-----BEGIN/-----BEGIN/' "$GNUPGHOME/openpgp-revocs.d/$FR.rev" >"$D/rev.asc"
gpg --batch --import "$D/rev.asc" 2>/dev/null
gpg --export "$FR" >"$D/revoked.gpg"
expect_err "revoked key refused" EKEYREVOKED "$CLI" pgp-verify "$D/revoked.gpg" "$D/rev.sig"
mkdir -p "$D/l4/test/signed@sha256=$HEX"
gpg --batch -u "$FE" --sign -o "$D/l4/test/signed@sha256=$HEX/signature-1" "$D/payload"
gpg --export "$FE" >"$D/expiring.gpg"
printf 'default-docker:\n  sigstore: file://%s/l4\n' "$D" >"$D/l4.yaml"
printf '{"default":[{"type":"signedBy","keyType":"GPGKeys","keyPath":"%s"}],"transports":{}}' "$D/expiring.gpg" >"$D/p-kexp.json"
check "key within its validity" "$CLI" check "$D/p-kexp.json" $REF $DIG --sigstore "$D/l4.yaml"
expect_reason "expired key refused" EKEYEXPIRED "expired" \
	"$CLI" check "$D/p-kexp.json" $REF $DIG --sigstore "$D/l4.yaml" --now $(($(date +%s) + 2 * 86400))

# (b) signedBy through a lookaside store (the layout skopeo writes, testbed §2d).
L=$D/lookaside
mkdir -p "$L/test/signed@sha256=$HEX"
cp "$D/rsa2048.zip.sig" "$L/test/signed@sha256=$HEX/signature-1"
cat >"$D/sigstore.yaml" <<EOF
# as skopeo's registries.d
default-docker:
  sigstore: file://$L
EOF
cat >"$D/policy.json" <<EOF
{"default":[{"type":"reject"}],"transports":{"docker":{
 "127.0.0.1:5000/test":[{"type":"signedBy","keyType":"GPGKeys","keyPath":"$D/rsa2048.gpg"}],
 "127.0.0.1:5000/repo":[{"type":"signedBy","keyType":"GPGKeys","keyPath":"file://$D/rsa2048.asc",
   "signedIdentity":{"type":"matchRepository"}}],
 "127.0.0.1:5000/remap":[{"type":"signedBy","keyType":"GPGKeys","keyPath":"$D/rsa2048.gpg",
   "signedIdentity":{"type":"remapIdentity","prefix":"127.0.0.1:5000/remap","signedPrefix":"127.0.0.1:5000/test"}}],
 "127.0.0.1:5000/exact":[{"type":"signedBy","keyType":"GPGKeys","keyPath":"$D/rsa2048.gpg",
   "signedIdentity":{"type":"exactReference","dockerReference":"$REF"}}],
 "127.0.0.1:5000/wrongkey":[{"type":"signedBy","keyType":"GPGKeys","keyPath":"$D/ed25519.gpg"}],
 "127.0.0.1:5000/open":[{"type":"insecureAcceptAnything"}],
 "127.0.0.1:5000/both":[{"type":"insecureAcceptAnything"},{"type":"reject"}]
}},"oci":{"":[{"type":"insecureAcceptAnything"}]}}
EOF
S="--sigstore $D/sigstore.yaml"
check "signedBy accepts the signed image" "$CLI" check "$D/policy.json" $REF $DIG $S
expect_reason "signedBy refuses another digest" ENOENT "no signature exists" \
	"$CLI" check "$D/policy.json" $REF sha256:$(printf x | sha256sum | cut -d' ' -f1) $S
mkdir -p "$L/test/signed@sha256=$(printf y | sha256sum | cut -d' ' -f1)"
cp "$D/rsa2048.zip.sig" "$L/test/signed@sha256=$(printf y | sha256sum | cut -d' ' -f1)/signature-1"
expect_reason "signature for another digest refused" EKEYREJECTED "manifest digest does not match" \
	"$CLI" check "$D/policy.json" $REF sha256:$(printf y | sha256sum | cut -d' ' -f1) $S
mkdir -p "$L/test/other@sha256=$HEX" "$L/repo/x@sha256=$HEX" "$L/remap/signed@sha256=$HEX" \
	"$L/exact/y@sha256=$HEX" "$L/wrongkey/signed@sha256=$HEX"
for d in test/other repo/x remap/signed exact/y wrongkey/signed; do
	cp "$D/rsa2048.zip.sig" "$L/$d@sha256=$HEX/signature-1"
done
expect_reason "another identity refused (matchRepoDigestOrExact)" EKEYREJECTED "Match reference failed" \
	"$CLI" check "$D/policy.json" 127.0.0.1:5000/test/other:v1 $DIG $S
cp "$D/rsa2048.zip.sig" "$L/test/signed@sha256=$HEX/signature-1"
check "digest reference of the same repository accepted" \
	"$CLI" check "$D/policy.json" 127.0.0.1:5000/test/signed@$DIG $DIG $S
expect_reason "matchRepository refuses another repository" EKEYREJECTED "Match reference failed" \
	"$CLI" check "$D/policy.json" 127.0.0.1:5000/repo/x:v1 $DIG $S
check "remapIdentity maps the prefix" "$CLI" check "$D/policy.json" 127.0.0.1:5000/remap/signed:v1 $DIG $S
check "exactReference" "$CLI" check "$D/policy.json" 127.0.0.1:5000/exact/y:v9 $DIG $S
expect_reason "key not in the keyring" EKEYREJECTED "no key of the keyring verifies" \
	"$CLI" check "$D/policy.json" 127.0.0.1:5000/wrongkey/signed:v1 $DIG $S
check "insecureAcceptAnything scope" "$CLI" check "$D/policy.json" 127.0.0.1:5000/open/a:b sha256:$HEX
expect_reason "all requirements must pass" EPERM "Policy \`reject\` rejects image" \
	"$CLI" check "$D/policy.json" 127.0.0.1:5000/both/a:b $DIG
expect_err "default scope rejects" EPERM "$CLI" check "$D/policy.json" quay.io/x/y:z $DIG $S
expect_reason "no lookaside configured" EINVAL "Sigstore Config not set" \
	"$CLI" check "$D/policy.json" $REF $DIG
# The second signature is the good one.
mkdir -p "$L/test/multi@sha256=$HEX"
cp "$D/ed25519.zip.sig" "$L/test/multi@sha256=$HEX/signature-1"
payload 127.0.0.1:5000/test/multi:v1 $DIG >"$D/payload-multi"
gpg --batch -u "$FPR_rsa2048" --sign -o "$L/test/multi@sha256=$HEX/signature-2" "$D/payload-multi"
check "any one valid signature suffices" "$CLI" check "$D/policy.json" 127.0.0.1:5000/test/multi:v1 $DIG $S
rm "$L/test/multi@sha256=$HEX/signature-2"
expect_reason "only a bad signature" EKEYREJECTED "signature-1: no key" \
	"$CLI" check "$D/policy.json" 127.0.0.1:5000/test/multi:v1 $DIG $S
# Wrong payload type.
mkdir -p "$L/test/typ@sha256=$HEX"
payload 127.0.0.1:5000/test/typ:v1 $DIG "something else" >"$D/payload-typ"
gpg --batch -u "$FPR_rsa2048" --sign -o "$L/test/typ@sha256=$HEX/signature-1" "$D/payload-typ"
expect_reason "payload of another type refused" EKEYREJECTED "is not 'atomic container signature'" \
	"$CLI" check "$D/policy.json" 127.0.0.1:5000/test/typ:v1 $DIG $S
# keyData (base64 of the binary keyring) and a per-scope lookaside entry.
KD=$(base64 -w0 "$D/nistp384.gpg")
mkdir -p "$D/l2/test/signed@sha256=$HEX"
cp "$D/nistp384.zlib.sig" "$D/l2/test/signed@sha256=$HEX/signature-1"
printf '{"default":[{"type":"signedBy","keyType":"GPGKeys","keyData":"%s"}],"transports":{}}' "$KD" >"$D/p-kd.json"
cat >"$D/scoped.yaml" <<EOF
docker:
  127.0.0.1:5000/test/signed: {lookaside: "file://$D/l2"}
EOF
check "keyData and a scoped lookaside" "$CLI" check "$D/p-kd.json" $REF $DIG $S --sigstore "$D/scoped.yaml"
printf '{"default":[{"type":"signedBy","keyType":"GPGKeys","keyData":"%s","keyPath":"/x"}],"transports":{}}' "$KD" >"$D/p-both.json"
expect_reason "keyPath and keyData together" EINVAL "Both keyPath and keyData" "$CLI" check "$D/p-both.json" $REF $DIG $S
printf '{"default":[{"type":"signedBy","keyType":"X509","keyPath":"/x"}],"transports":{}}' >"$D/p-kt.json"
expect_reason "keyType other than GPGKeys" EINVAL "GPGKeys" "$CLI" check "$D/p-kt.json" $REF $DIG $S
printf '{"default":[{"type":"signedByX"}],"transports":{}}' >"$D/p-bad.json"
expect_err "unknown requirement type" EBADMSG "$CLI" check "$D/p-bad.json" $REF $DIG
printf '{"default":[]}' >"$D/p-nt.json"
expect_err "transports is required" EBADMSG "$CLI" check "$D/p-nt.json" $REF $DIG
printf '{"default":[],"transports":{}}' >"$D/p-empty.json"
check "empty requirement list accepts" "$CLI" check "$D/p-empty.json" $REF $DIG
# Merging two configurations that disagree on default-docker is refused.
printf 'default-docker:\n  sigstore: file:///elsewhere\n' >"$D/other.yaml"
expect_err "conflicting default-docker" EBADMSG "$CLI" check "$D/policy.json" $REF $DIG $S --sigstore "$D/other.yaml"
expect_output "wildcard scope in the lookaside config" "file:///w" \
	"$CLI" yaml <(printf 'docker:\n  "*.example.com":\n    sigstore: file:///w\ndefault-docker: {sigstore: file:///d}\n') \
	registry.sub.example.com/a/b:c

# (c) cosign, made by hand with openssl (testbed appendix A5).
mk_cosign() { # DIR KEY DGST PAYLOAD [SIG-OVERRIDE-KEY]
	local dir=$1 key=$2 dgst=$3 pl=$4 skey=${5:-$2} pd sig
	mkdir -p "$dir/blobs/sha256"
	pd=$(sha256sum "$pl" | cut -d' ' -f1)
	cp "$pl" "$dir/blobs/sha256/$pd"
	sig=$(openssl dgst -$dgst -sign "$skey" "$pl" | base64 -w0)
	printf '{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","config":{"mediaType":"application/vnd.oci.image.config.v1+json","size":2,"digest":"sha256:44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a"},"layers":[{"mediaType":"application/vnd.dev.cosign.simplesigning.v1+json","size":%s,"digest":"sha256:%s","annotations":{"dev.cosignproject.cosign/signature":"%s"}}]}' \
		"$(stat -c%s "$pl")" "$pd" "$sig" >"$dir/manifest.json"
}
cpayload() { # REF DIGEST
	printf '{"critical":{"identity":{"docker-reference":"%s"},"image":{"docker-manifest-digest":"%s"},"type":"cosign container image signature"},"optional":null}' "$1" "$2"
}
openssl ecparam -name prime256v1 -genkey -noout -out "$D/p256.key" 2>/dev/null
openssl ecparam -name secp384r1 -genkey -noout -out "$D/p384.key" 2>/dev/null
openssl genrsa -out "$D/rsa.key" 2048 2>/dev/null
for k in p256 p384 rsa; do openssl pkey -in "$D/$k.key" -pubout -out "$D/$k.pub"; done
cpayload 127.0.0.1:5000/test/cosigned $DIG >"$D/cpayload"
INDEX=sha256:$(printf 'an index' | sha256sum | cut -d' ' -f1)
cpayload 127.0.0.1:5000/test/cosigned $INDEX >"$D/cpayload-index"
mk_cosign "$D/c-p256" "$D/p256.key" sha256 "$D/cpayload"
mk_cosign "$D/c-p384" "$D/p384.key" sha384 "$D/cpayload"
mk_cosign "$D/c-rsa" "$D/rsa.key" sha256 "$D/cpayload"
mk_cosign "$D/c-index" "$D/p256.key" sha256 "$D/cpayload-index"
mk_cosign "$D/c-wrong" "$D/p256.key" sha256 "$D/cpayload" "$D/p384.key"
CREF=127.0.0.1:5000/test/cosigned:v1
cos_policy() { # KEYFILE [IDENTITY-JSON]
	"$PY" - "$1" "${2:-}" <<-'EOF'
	import json, sys
	req = {"type": "sigstoreSigned", "keyData": open(sys.argv[1]).read()}
	if sys.argv[2]:
	    req["signedIdentity"] = json.loads(sys.argv[2])
	print(json.dumps({"default": [req], "transports": {}}))
	EOF
}
for k in p256 p384 rsa; do
	cos_policy "$D/$k.pub" >"$D/cp-$k.json"
	check "cosign $k accepted" "$CLI" check "$D/cp-$k.json" $CREF $DIG --cosign "$D/c-$k"
done
expect_reason "cosign signature by another key" EKEYREJECTED "No cosign signature verifies" \
	"$CLI" check "$D/cp-p256.json" $CREF $DIG --cosign "$D/c-wrong"
expect_reason "cosign payload for another digest" EKEYREJECTED "manifest digest does not match" \
	"$CLI" check "$D/cp-p256.json" $CREF sha256:$(printf z | sha256sum | cut -d' ' -f1) --cosign "$D/c-p256"
check "cosign payload naming the index digest" "$CLI" check "$D/cp-p256.json" $CREF $DIG --index $INDEX --cosign "$D/c-index"
expect_err "cosign index digest without an index" EKEYREJECTED "$CLI" check "$D/cp-p256.json" $CREF $DIG --cosign "$D/c-index"
expect_reason "no cosign signature" ENOENT "no cosign signature exists" "$CLI" check "$D/cp-p256.json" $CREF $DIG
cos_policy "$D/p256.pub" '{"type":"matchRepository"}' >"$D/cp-mr.json"
check "cosign matchRepository" "$CLI" check "$D/cp-mr.json" $CREF $DIG --cosign "$D/c-p256"
expect_reason "cosign matchRepository, other repository" EKEYREJECTED "Match reference failed" \
	"$CLI" check "$D/cp-mr.json" 127.0.0.1:5000/test/elsewhere:v1 $DIG --cosign "$D/c-p256"
cos_policy "$D/p256.pub" '{"type":"exactRepository","dockerRepository":"127.0.0.1:5000/test/cosigned"}' >"$D/cp-er.json"
check "cosign exactRepository" "$CLI" check "$D/cp-er.json" 127.0.0.1:5000/test/elsewhere:v1 $DIG --cosign "$D/c-p256"
cos_policy "$D/p256.pub" '{"type":"matchExact"}' >"$D/cp-me.json"
expect_reason "cosign refuses matchExact" EINVAL "accepts only matchRepository" \
	"$CLI" check "$D/cp-me.json" $CREF $DIG --cosign "$D/c-p256"
# A tampered blob no longer matches its digest and is not counted.
cp -r "$D/c-p256" "$D/c-tamper"
f=$(ls "$D/c-tamper/blobs/sha256/")
sed -i 's/cosigned/cosigneD/' "$D/c-tamper/blobs/sha256/$f"
expect_err "cosign tampered payload" ENOENT "$CLI" check "$D/cp-p256.json" $CREF $DIG --cosign "$D/c-tamper"

# (d) skopeo --sign-by with a real registry (testbed §2a, §2d); optional.
if ! command -v skopeo >/dev/null || ! command -v docker-registry >/dev/null || ! command -v umoci >/dev/null; then
	for i in 1 2 3; do skip "skopeo, docker-registry or umoci not installed"; done
else
	mkdir -p "$D/rd"
	start_registry "$D/reg"
	PORT=$REG_PORT
	(cd "$D" && umoci init --layout oci && umoci new --image oci:v1) >/dev/null 2>&1
	printf 'default-docker:\n  lookaside-staging: file://%s/sl\n  lookaside: file://%s/sl\n' "$D" "$D" >"$D/rd/default.yaml"
	if skopeo copy --quiet --registries.d "$D/rd" --dest-tls-verify=false --sign-by "$FPR_rsa2048" \
		"oci:$D/oci:v1" "docker://127.0.0.1:$PORT/test/skopeo:v1" >"$D/skopeo.log" 2>&1; then
		SD=sha256:$(skopeo inspect --raw --tls-verify=false "docker://127.0.0.1:$PORT/test/skopeo:v1" | sha256sum | cut -d' ' -f1)
		printf '{"default":[{"type":"reject"}],"transports":{"docker":{"127.0.0.1:%s/test":[{"type":"signedBy","keyType":"GPGKeys","keyPath":"%s"}]}}}' \
			$PORT "$D/rsa2048.gpg" >"$D/p-skopeo.json"
		check "skopeo --sign-by signature accepted" "$CLI" check "$D/p-skopeo.json" 127.0.0.1:$PORT/test/skopeo:v1 $SD --sigstore "$D/rd/default.yaml"
		expect_reason "skopeo signature, other tag" EKEYREJECTED "Match reference failed" \
			"$CLI" check "$D/p-skopeo.json" 127.0.0.1:$PORT/test/skopeo:v2 $SD --sigstore "$D/rd/default.yaml"
		expect_reason "skopeo signature, other digest" ENOENT "no signature exists" \
			"$CLI" check "$D/p-skopeo.json" 127.0.0.1:$PORT/test/skopeo:v1 $DIG --sigstore "$D/rd/default.yaml"
	else
		sed 's/^/# /' "$D/skopeo.log" | head -5
		for i in 1 2 3; do not_ok "skopeo --sign-by failed"; done
	fi
fi

done_testing
