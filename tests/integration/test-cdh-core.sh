#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# The CDH's sealed secrets and keyprovider UnWrapKey against an independent implementation:
# tests/unit/cdh/data/make-fixtures.py (python3-jwcrypto, python3-cryptography) makes fresh
# sealed secrets (vault/envelope, A256GCM/A256CTR, local and resource-URI kids) and
# ocicrypt-style UnWrapKey requests (v1 and v2 packets), which we open through
# helpers/cdh-core-driver; and jwcrypto verifies what `cdh-tool seal` makes.
. "$(dirname "$0")/lib.sh"

PY=/usr/bin/python3
GEN="$TOP_SRCDIR/tests/unit/cdh/data/make-fixtures.py"
DRV=${CDH_CORE_DRIVER:-$TOP_BUILDDIR/tests/integration/helpers/cdh-core-driver}

[ -x "$DRV" ] || skip_all "cdh-core-driver not built (cdh feature off?)"
"$PY" -c 'import jwcrypto, cryptography' 2>/dev/null ||
	skip_all "python3-jwcrypto/python3-cryptography not installed"

plan 25
D=$T_TMP/fx
mkdir -p "$D" "$T_TMP/keys"
check "python makes the fixtures" "$PY" "$GEN" "$D"
cp "$D/py-key.jwk" "$T_TMP/keys/py-key"
RES=$D/py-offline-fs.json

for f in vault-local vault-uri; do
	expect_output "python $f secret unseals" "vault secret from python" \
		"$DRV" unseal "$T_TMP/keys" "$RES" "$D/py-$f.sealed"
done
for wt in a256gcm a256ctr; do
	"$DRV" unseal "$T_TMP/keys" "$RES" "$D/py-envelope-$wt.sealed" >"$T_TMP/plain" 2>"$T_TMP/err"
	if cmp -s "$T_TMP/plain" "$D/py-envelope-$wt.plain"; then
		ok "python envelope $wt secret unseals"
	else
		not_ok "python envelope $wt secret unseals"
		sed 's/^/# /' "$T_TMP/err"
	fi
done

# A flipped payload character (still base64url) must fail the signature.
"$PY" - "$D/py-vault-local.sealed" "$T_TMP/tampered" <<'PYEOF'
import sys
s = open(sys.argv[1]).read().strip()
d = s.index(".", len("sealed."))
i = d + 12
s = s[:i] + ("A" if s[i] != "A" else "B") + s[i + 1:]
open(sys.argv[2], "w").write(s)
PYEOF
expect_exit "tampered python secret is refused" 1 "$DRV" unseal "$T_TMP/keys" "$RES" "$T_TMP/tampered"
if grep -q "error -129" "$T_TMP/err"; then ok "tampering reported as a bad signature"; else
	not_ok "tampering reported as a bad signature"; sed 's/^/# /' "$T_TMP/err"; fi
# Skip mode reads the payload unchecked; the flip lands in its fixed '{"version"' prefix.
expect_exit "skip mode refuses the tampered payload's JSON" 1 "$DRV" unseal "$T_TMP/keys" \
	"$RES" "$T_TMP/tampered" skip

for v in 1 2; do
	"$DRV" unwrap "$RES" "$D/py-unwrap-v$v.json" >"$T_TMP/reply" 2>"$T_TMP/err"
	if "$DRV" optsdata "$T_TMP/reply" | cmp -s - "$D/py-optsdata.json"; then
		ok "UnWrapKey v$v packet gives the layer options"
	else
		not_ok "UnWrapKey v$v packet gives the layer options"
		sed 's/^/# /' "$T_TMP/err"
	fi
	# the reply is what ocicrypt-rs parses: a JSON array of numbers
	if "$PY" -c 'import json,sys; o=json.load(open(sys.argv[1]))["keyunwrapresults"]["optsdata"]; sys.exit(not (isinstance(o, list) and bytes(o) == open(sys.argv[2], "rb").read()))' \
		"$T_TMP/reply" "$D/py-optsdata.json"; then
		ok "UnWrapKey v$v reply is a number array"
	else
		not_ok "UnWrapKey v$v reply is a number array"
	fi
done
# A KEK the packet was not wrapped with.
"$PY" - "$RES" "$T_TMP/wrong-kek.json" <<'PYEOF'
import json, sys
r = json.load(open(sys.argv[1]))
r["default/kek/0"], r["default/kek/1"] = r["default/kek/1"], r["default/kek/0"]
json.dump(r, open(sys.argv[2], "w"))
PYEOF
expect_exit "UnWrapKey with the wrong KEK fails" 1 "$DRV" unwrap "$T_TMP/wrong-kek.json" "$D/py-unwrap-v1.json"

# The other way: cdh-tool seal, checked by jwcrypto, then opened by us.
"$PY" -c 'from jwcrypto import jwk; k = jwk.JWK.generate(kty="EC", crv="P-256"); open("'"$T_TMP"'/sign.jwk", "w").write(k.export_private()); open("'"$T_TMP"'/keys/ours", "w").write(k.export_public())'
check "cdh-tool seal vault" sh -c "'$COCOBOX' cdh-tool seal vault --kid ours --key-file '$T_TMP/sign.jwk' --resource-uri kbs:///default/secret/py --annotations '{\"k\":\"v\"}' >'$T_TMP/ours.sealed'"
expect_output "jwcrypto verifies our vault secret" \
	'{"version":"0.1.0","type":"vault","name":"kbs:///default/secret/py","provider":"kbs","provider_settings":{},"annotations":{"k":"v"}}' \
	"$PY" "$GEN" verify "$T_TMP/keys/ours" "$T_TMP/ours.sealed"
expect_output "our vault secret unseals" "vault secret from python" \
	"$DRV" unseal "$T_TMP/keys" "$RES" "$T_TMP/ours.sealed"

head -c 32 /dev/urandom >"$T_TMP/dek"
"$PY" -c 'import sys; d=open(sys.argv[1],"rb").read(); open(sys.argv[2],"wb").write(bytes(b ^ 0x5a for b in d))' "$T_TMP/dek" "$T_TMP/dek.enc"
printf 'our envelope\001\377\n' >"$T_TMP/env.plain"
check "cdh-tool seal envelope (A256CTR)" sh -c "'$COCOBOX' cdh-tool seal envelope --kid ours --key-file '$T_TMP/sign.jwk' --provider test --key-id k1 --encrypted-key-file '$T_TMP/dek.enc' --dek-file '$T_TMP/dek' --file-path '$T_TMP/env.plain' --wrap-type A256CTR >'$T_TMP/env.sealed'"
# jwcrypto checks the signature; python decrypts the payload with the DEK on its own.
if "$PY" "$GEN" verify "$T_TMP/keys/ours" "$T_TMP/env.sealed" >"$T_TMP/env.json" &&
	"$PY" - "$T_TMP/env.json" "$T_TMP/dek" "$T_TMP/env.plain" <<'PYEOF'; then
import base64, json, sys
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
p = json.load(open(sys.argv[1]))
assert p["type"] == "envelope" and p["wrap_type"] == "A256CTR" and p["key_id"] == "k1"
dek = open(sys.argv[2], "rb").read()
assert bytes(b ^ 0x5a for b in base64.b64decode(p["encrypted_key"])) == dek
d = Cipher(algorithms.AES(dek), modes.CTR(base64.b64decode(p["iv"]))).decryptor()
assert d.update(base64.b64decode(p["encrypted_data"])) + d.finalize() == open(sys.argv[3], "rb").read()
PYEOF
	ok "python verifies and decrypts our envelope secret"
else
	not_ok "python verifies and decrypts our envelope secret"
fi
"$DRV" unseal "$T_TMP/keys" "$RES" "$T_TMP/env.sealed" >"$T_TMP/env.out" 2>"$T_TMP/err"
if cmp -s "$T_TMP/env.out" "$T_TMP/env.plain"; then ok "our envelope secret unseals"; else
	not_ok "our envelope secret unseals"; sed 's/^/# /' "$T_TMP/err"; fi

# cdh-tool seal refusals: exit 1 and nothing on stdout.
"$PY" -c 'from jwcrypto import jwk; open("'"$T_TMP"'/p384.jwk", "w").write(jwk.JWK.generate(kty="EC", crv="P-384").export_private())'
expect_exit "seal refuses a P-384 key" 1 "$COCOBOX" cdh-tool seal vault --kid k \
	--key-file "$T_TMP/p384.jwk" --resource-uri kbs:///a/b/c
expect_exit "seal refuses a public key" 1 "$COCOBOX" cdh-tool seal vault --kid k \
	--key-file "$T_TMP/keys/ours" --resource-uri kbs:///a/b/c
expect_exit "seal vault refuses a bad resource URI" 1 "$COCOBOX" cdh-tool seal vault --kid k \
	--key-file "$T_TMP/sign.jwk" --resource-uri kbs:///a/../c
expect_exit "seal refuses non-object annotations" 1 "$COCOBOX" cdh-tool seal vault --kid k \
	--key-file "$T_TMP/sign.jwk" --resource-uri kbs:///a/b/c --annotations '[1]'
expect_exit "seal envelope refuses a 16-byte DEK" 1 sh -c "head -c 16 /dev/zero >'$T_TMP/dek16'; '$COCOBOX' cdh-tool seal envelope --kid k --key-file '$T_TMP/sign.jwk' --provider test --key-id k1 --encrypted-key-file '$T_TMP/dek16' --dek-file '$T_TMP/dek16' --file-path '$T_TMP/env.plain'"
expect_exit "seal --help" 0 "$COCOBOX" cdh-tool seal --help

done_testing
