#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# common/crypto + common/jose against real peers: python3-jwcrypto encrypts to and
# decrypts from our keys, JWEs and JWSs (every alg/curve we support, compact and JSON),
# and the openssl CLI loads our PEM keys, checks our signatures and OAEP ciphertexts and
# makes ones we check. Driven through tests/integration/helpers/jose-tool.
. "$(dirname "$0")/lib.sh"

PY=/usr/bin/python3
PEER="$TOP_SRCDIR/tests/integration/helpers/jose-peer.py"
TOOL=${JOSE_TOOL:-$TOP_BUILDDIR/tests/integration/helpers/jose-tool}

[ -x "$TOOL" ] || skip_all "jose-tool not built ($TOOL)"
"$PY" -c 'import jwcrypto' 2>/dev/null ||
	skip_all "python3-jwcrypto is not installed (apt-get install python3-jwcrypto)"
command -v openssl >/dev/null || skip_all "openssl CLI is not installed"

EC_ALGS="ECDH-ES ECDH-ES+A128KW ECDH-ES+A192KW ECDH-ES+A256KW"
RSA_ALGS="RSA-OAEP-256 RSA-OAEP RSA1_5"
KEYS="ec-p256 ec-p384 ec-p521 rsa2048"
plan 154

D=$T_TMP
printf 'kbs resource: \001\002 binary \377 and text\n' >"$D/msg"
head -c 70000 /dev/urandom >"$D/big"

algs_for() { case $1 in ec-*) echo "$EC_ALGS" ;; *) echo "$RSA_ALGS" ;; esac; }

# same NAME FILE-A FILE-B
same() {
	if cmp -s "$2" "$3"; then ok "$1"; else not_ok "$1"; fi
}

for k in $KEYS; do
	mkdir -p "$D/$k"
	check "keygen $k" "$TOOL" keygen "$k" "$D/$k"
done

# (a) jwcrypto encrypts to our public JWK, we decrypt (5 x 4 x 3 + 3 x 2 forms).
for k in $KEYS; do
	for alg in $(algs_for $k); do
		for form in json compact; do
			n="jwcrypto->us $k $alg A256GCM $form"
			if "$PY" "$PEER" encrypt "$D/$k/pub.jwk" "$alg" A256GCM $form "$D/msg" \
				>"$D/jwe" 2>"$D/err" &&
				"$TOOL" decrypt "$D/$k/priv.pem" "$D/jwe" >"$D/out" 2>>"$D/err"; then
				same "$n" "$D/msg" "$D/out"
			else
				not_ok "$n"
				sed 's/^/# /' "$D/err"
			fi
		done
	done
done
# Other content ciphers, the AAD member, a large payload, and the tee-pubkey JWK (with its
# "alg") as jwcrypto's encryption key.
for enc in A128GCM A192GCM; do
	"$PY" "$PEER" encrypt "$D/ec-p256/pub.jwk" ECDH-ES+A256KW $enc json "$D/msg" >"$D/jwe"
	check "jwcrypto->us ec-p256 $enc" sh -c "'$TOOL' decrypt '$D/ec-p256/priv.jwk' '$D/jwe' | cmp -s - '$D/msg'"
done
"$PY" "$PEER" encrypt "$D/ec-p384/pub.jwk" ECDH-ES+A256KW A256GCM json "$D/msg" "some aad" >"$D/jwe"
check "jwcrypto->us with aad" sh -c "grep -q '\"aad\"' '$D/jwe' && '$TOOL' decrypt '$D/ec-p384/priv.pem' '$D/jwe' | cmp -s - '$D/msg'"
"$PY" "$PEER" encrypt "$D/rsa2048/tee.jwk" RSA-OAEP-256 A256GCM json "$D/big" >"$D/jwe"
check "jwcrypto->us 70 KB via tee-pubkey JWK" sh -c "'$TOOL' decrypt '$D/rsa2048/priv.der' '$D/jwe' | cmp -s - '$D/big'"
"$PY" "$PEER" encrypt "$D/ec-p521/tee.jwk" ECDH-ES+A256KW A256GCM json "$D/msg" >"$D/jwe"
check "jwcrypto->us via P-521 tee-pubkey JWK" sh -c "'$TOOL' decrypt '$D/ec-p521/priv.pem' '$D/jwe' | cmp -s - '$D/msg'"
# A JWE for another key must fail, not decrypt to garbage.
"$PY" "$PEER" encrypt "$D/ec-p256/pub.jwk" ECDH-ES+A256KW A256GCM json "$D/msg" >"$D/jwe"
"$TOOL" keygen ec-p256 "$D" >/dev/null
expect_exit "wrong key is refused" 1 "$TOOL" decrypt "$D/priv.pem" "$D/jwe"

# (b) we encrypt, jwcrypto decrypts.
for k in $KEYS; do
	for alg in $(algs_for $k); do
		for enc in A256GCM A128GCM; do
			n="us->jwcrypto $k $alg $enc"
			if "$TOOL" encrypt "$D/$k/pub.pem" "$alg" $enc "$D/msg" >"$D/jwe" 2>"$D/err" &&
				"$PY" "$PEER" decrypt "$D/$k/priv.jwk" "$D/jwe" >"$D/out" 2>>"$D/err"; then
				same "$n" "$D/msg" "$D/out"
			else
				not_ok "$n"
				sed 's/^/# /' "$D/err"
			fi
		done
	done
done
"$TOOL" encrypt "$D/ec-p256/pub.jwk" ECDH-ES+A256KW A256GCM "$D/msg" "extra" >"$D/jwe"
check "us->jwcrypto with aad" sh -c "'$PY' '$PEER' decrypt '$D/ec-p256/priv.jwk' '$D/jwe' | cmp -s - '$D/msg'"

# JWS both ways.
for spec in "ES256 ec-p256" "ES384 ec-p384" "ES512 ec-p521" "RS256 rsa2048" "RS384 rsa2048" \
	"RS512 rsa2048" "PS256 rsa2048" "PS384 rsa2048" "PS512 rsa2048"; do
	set -- $spec
	"$TOOL" sign "$D/$2/priv.pem" $1 "kbs:///default/key/1" "$D/msg" >"$D/jws"
	check "us->jwcrypto JWS $1" sh -c "'$PY' '$PEER' verify '$D/$2/pub.jwk' $1 '$D/jws' | cmp -s - '$D/msg'"
	"$PY" "$PEER" sign "$D/$2/priv.jwk" $1 "kid-1" "$D/msg" >"$D/jws"
	check "jwcrypto->us JWS $1" sh -c "'$TOOL' verify '$D/$2/pub.pem' $1 '$D/jws' | cmp -s - '$D/msg'"
	expect_exit "JWS $1 under another alg is refused" 1 "$TOOL" verify "$D/$2/pub.pem" \
		$([ $1 = ES256 ] && echo ES384 || echo ES256) "$D/jws"
done
# One payload character changed (to a different one, whatever it was).
awk -F. '{ c = substr($2, 1, 1); printf "%s.%s%s.%s", $1, (c == "e" ? "f" : "e"), substr($2, 2), $3 }' \
	"$D/jws" >"$D/jws.bad"
expect_exit "tampered JWS is refused" 1 "$TOOL" verify "$D/rsa2048/pub.pem" PS512 "$D/jws.bad"

# Keys jwcrypto generated import into us.
for spec in EC:P-256 EC:P-384 EC:P-521 RSA:2048; do
	"$PY" "$PEER" keygen $spec >"$D/peer.jwk"
	"$PY" "$PEER" encrypt "$D/peer.jwk" $(case $spec in EC*) echo ECDH-ES+A256KW ;; *) echo RSA-OAEP-256 ;; esac) \
		A256GCM json "$D/msg" >"$D/jwe"
	check "jwcrypto key $spec imports and decrypts" sh -c "'$TOOL' decrypt '$D/peer.jwk' '$D/jwe' | cmp -s - '$D/msg'"
done

# (c) openssl: our PEM loads, public halves agree, signatures and OAEP both ways.
for k in $KEYS; do
	check "openssl reads $k private PEM" openssl pkey -in "$D/$k/priv.pem" -check -noout
	openssl pkey -in "$D/$k/priv.pem" -pubout -out "$D/$k/ossl-pub.pem"
	same "openssl derives the same $k public key" "$D/$k/pub.pem" "$D/$k/ossl-pub.pem"
	check "openssl reads $k private DER" openssl pkey -inform DER -in "$D/$k/priv.der" -noout
	check "openssl reads $k public DER" openssl pkey -pubin -inform DER -in "$D/$k/pub.der" -noout
done
check "EC private PEM is PKCS#8" grep -q '^-----BEGIN PRIVATE KEY-----$' "$D/ec-p256/priv.pem"
check "RSA private PEM is PKCS#1" grep -q '^-----BEGIN RSA PRIVATE KEY-----$' "$D/rsa2048/priv.pem"

for spec in "ec-p256 sha256" "ec-p384 sha384" "ec-p521 sha512" "rsa2048 sha256" "rsa2048 sha512"; do
	set -- $spec
	scheme=$(case $1 in ec-*) echo ecdsa-der ;; *) echo pkcs1 ;; esac)
	"$TOOL" sig-sign "$D/$1/priv.pem" $scheme $2 "$D/big" >"$D/sig"
	check "openssl verifies our $1 $2 signature" openssl dgst -$2 -verify "$D/$1/pub.pem" -signature "$D/sig" "$D/big"
	openssl dgst -$2 -sign "$D/$1/priv.pem" -out "$D/sig" "$D/big"
	check "we verify openssl's $1 $2 signature" "$TOOL" sig-verify "$D/$1/pub.pem" $scheme $2 "$D/big" "$D/sig"
	printf x >>"$D/sig"
	expect_exit "we refuse a longer $1 signature" 1 "$TOOL" sig-verify "$D/$1/pub.pem" $scheme $2 "$D/big" "$D/sig"
done
PSS="-sigopt rsa_padding_mode:pss -sigopt rsa_pss_saltlen:digest"
"$TOOL" sig-sign "$D/rsa2048/priv.pem" pss sha256 "$D/msg" >"$D/sig"
check "openssl verifies our PSS signature" openssl dgst -sha256 $PSS -verify "$D/rsa2048/pub.pem" -signature "$D/sig" "$D/msg"
openssl dgst -sha384 -sigopt rsa_padding_mode:pss -sigopt rsa_pss_saltlen:max -sign "$D/rsa2048/priv.pem" -out "$D/sig" "$D/msg"
check "we verify openssl's PSS (max salt) signature" "$TOOL" sig-verify "$D/rsa2048/pub.pem" pss sha384 "$D/msg" "$D/sig"

OAEP256="-pkeyopt rsa_padding_mode:oaep -pkeyopt rsa_oaep_md:sha256 -pkeyopt rsa_mgf1_md:sha256"
printf 'a 32-byte content encryption key' >"$D/cek"
openssl pkeyutl -encrypt -pubin -inkey "$D/rsa2048/pub.pem" $OAEP256 -in "$D/cek" -out "$D/ct"
check "we decrypt openssl's RSA-OAEP-256" sh -c "'$TOOL' rsa-decrypt '$D/rsa2048/priv.pem' oaep256 '$D/ct' | cmp -s - '$D/cek'"
"$TOOL" rsa-encrypt "$D/rsa2048/pub.pem" oaep256 "$D/cek" >"$D/ct"
check "openssl decrypts our RSA-OAEP-256" sh -c "openssl pkeyutl -decrypt -inkey '$D/rsa2048/priv.pem' $OAEP256 -in '$D/ct' | cmp -s - '$D/cek'"
openssl pkeyutl -encrypt -pubin -inkey "$D/rsa2048/pub.pem" -pkeyopt rsa_padding_mode:oaep -in "$D/cek" -out "$D/ct"
check "we decrypt openssl's RSA-OAEP (SHA-1)" sh -c "'$TOOL' rsa-decrypt '$D/rsa2048/priv.pem' oaep1 '$D/ct' | cmp -s - '$D/cek'"
openssl pkeyutl -encrypt -pubin -inkey "$D/rsa2048/pub.pem" -pkeyopt rsa_padding_mode:pkcs1 -in "$D/cek" -out "$D/ct"
check "we decrypt openssl's RSA PKCS#1 v1.5" sh -c "'$TOOL' rsa-decrypt '$D/rsa2048/priv.pem' pkcs1 '$D/ct' | cmp -s - '$D/cek'"
"$TOOL" rsa-encrypt "$D/rsa2048/pub.pem" pkcs1 "$D/cek" >"$D/ct"
check "openssl decrypts our RSA PKCS#1 v1.5" sh -c "openssl pkeyutl -decrypt -inkey '$D/rsa2048/priv.pem' -pkeyopt rsa_padding_mode:pkcs1 -in '$D/ct' | cmp -s - '$D/cek'"

# ECDH agrees with openssl's derive, on every curve.
for c in P-256 P-384 P-521; do
	openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:$c -out "$D/peer.pem" 2>/dev/null
	openssl pkey -in "$D/peer.pem" -pubout -out "$D/peer-pub.pem"
	k=ec-p$(echo $c | tr -dc 0-9)
	openssl pkeyutl -derive -inkey "$D/$k/priv.pem" -peerkey "$D/peer-pub.pem" -out "$D/z-ossl"
	"$TOOL" ecdh "$D/peer.pem" "$D/$k/pub.pem" >"$D/z-ours"
	same "ECDH $c agrees with openssl" "$D/z-ossl" "$D/z-ours"
done

# Keys openssl wrote, in every form we read: they sign, and their public half matches.
openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-384 -out "$D/o-ec8.pem" 2>/dev/null
openssl pkey -in "$D/o-ec8.pem" -traditional -out "$D/o-ec1.pem" 2>/dev/null ||
	openssl ec -in "$D/o-ec8.pem" -out "$D/o-ec1.pem" 2>/dev/null
openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:3072 -out "$D/o-rsa8.pem" 2>/dev/null
openssl pkey -in "$D/o-rsa8.pem" -traditional -out "$D/o-rsa1.pem"
check "openssl SEC1 EC key is 'EC PRIVATE KEY'" grep -q 'BEGIN EC PRIVATE KEY' "$D/o-ec1.pem"
for f in o-ec8 o-ec1 o-rsa8 o-rsa1; do
	openssl pkey -in "$D/$f.pem" -pubout -out "$D/$f-pub.pem"
	"$TOOL" export "$D/$f.pem" pub-pem >"$D/$f-ours.pem"
	same "$f: same public key as openssl" "$D/$f-pub.pem" "$D/$f-ours.pem"
done
"$TOOL" export "$D/o-ec1.pem" priv-pem >"$D/o-ec-out.pem"
check "SEC1 in, PKCS#8 out" grep -q '^-----BEGIN PRIVATE KEY-----$' "$D/o-ec-out.pem"
check "openssl reads the re-exported key" sh -c "openssl pkey -in '$D/o-ec-out.pem' -pubout | cmp -s - '$D/o-ec8-pub.pem'"
"$TOOL" export "$D/o-rsa8.pem" priv-pem >"$D/o-rsa-out.pem"
same "PKCS#8 RSA in, PKCS#1 out (same bytes as openssl -traditional)" "$D/o-rsa1.pem" "$D/o-rsa-out.pem"

done_testing
