#!/usr/bin/python3
# SPDX-License-Identifier: Apache-2.0
# An independent maker of CDH inputs (python3-jwcrypto + python3-cryptography), written
# from upstream.md §5.4/§5.5 and not from our C code: sealed secrets (vault and envelope,
# A256GCM and A256CTR, local and resource-URI kids), annotation packets v1/v2 and the
# keyprovider UnWrapKey request ocicrypt sends. The committed files in this directory were
# made by it; tests/integration/test-cdh-core.sh runs it afresh on every test run.
#
#   make-fixtures.py OUTDIR      write the fixture set to OUTDIR
#   make-fixtures.py verify JWK_PUB SEALED_FILE
#                                check a sealed secret (ours) with jwcrypto and print
#                                its payload JSON
import base64
import json
import os
import sys

from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from jwcrypto import jwk, jws


def b64std(b):
    return base64.b64encode(b).decode()


def b64url(b):
    return base64.urlsafe_b64encode(b).rstrip(b"=").decode()


def wrap(wrap_type, key, iv, data):
    if wrap_type == "A256GCM":
        return AESGCM(key).encrypt(iv, data, None)  # ciphertext || tag
    enc = Cipher(algorithms.AES(key), modes.CTR(iv)).encryptor()
    return enc.update(data) + enc.finalize()


def seal(key, kid, payload):
    # Compact JWS, protected header {"alg":"ES256","kid":...}, then "sealed." in front.
    s = jws.JWS(json.dumps(payload, separators=(",", ":")).encode())
    s.add_signature(key, None, json.dumps({"alg": "ES256", "kid": kid}, separators=(",", ":")))
    return "sealed." + s.serialize(compact=True)


# The "test" envelope provider the unit tests plug into cdh_kms.decrypt: the KMS
# "encryption" of a DEK is XOR with 0x5a (a stand-in for aliyun/aws/ehsm).
def test_kms_encrypt(dek):
    return bytes(b ^ 0x5A for b in dek)


def write(outdir, name, data):
    mode = "wb" if isinstance(data, bytes) else "w"
    with open(os.path.join(outdir, name), mode) as f:
        f.write(data)


def make(outdir):
    key = jwk.JWK.generate(kty="EC", crv="P-256")
    write(outdir, "py-key.jwk", key.export_public())
    # What the KBS would hold for a resource-URI kid, and the secrets the vaults name.
    resources = {
        "default/sealing-key/py": b64std(key.export_public().encode()),
        "default/secret/py": b64std(b"vault secret from python\n"),
    }

    write(outdir, "py-vault-local.sealed", seal(key, "py-key", {
        "version": "0.1.0", "type": "vault", "name": "kbs:///default/secret/py",
        "provider": "kbs", "provider_settings": {}, "annotations": {}}))
    write(outdir, "py-vault-uri.sealed", seal(key, "kbs:///default/sealing-key/py", {
        "version": "0.1.0", "type": "vault", "name": "kbs:///default/secret/py",
        "provider": "kbs", "provider_settings": {}, "annotations": {"x": "y"}}))

    for wt, ivlen in (("A256GCM", 12), ("A256CTR", 16)):
        dek, iv = os.urandom(32), os.urandom(ivlen)
        plain = ("envelope secret %s from python\n" % wt).encode()
        write(outdir, "py-envelope-%s.sealed" % wt.lower(), seal(key, "py-key", {
            "version": "0.1.0", "type": "envelope", "key_id": "test-key-id",
            "encrypted_key": b64std(test_kms_encrypt(dek)),
            "encrypted_data": b64std(wrap(wt, dek, iv, plain)),
            "wrap_type": wt, "iv": b64std(iv), "provider": "test",
            "provider_settings": {}, "annotations": {}}))
        write(outdir, "py-envelope-%s.plain" % wt.lower(), plain)

    # Annotation packets: a v1 packet as coco_keyprovider writes it (A256GCM, 12-byte IV)
    # and a v2 packet with every member (A256CTR).
    optsdata = json.dumps({"symkey": b64std(os.urandom(32)), "digest": "sha256:" + "ab" * 32,
                           "cipheroptions": {"nonce": b64std(os.urandom(16))}}).encode()
    write(outdir, "py-optsdata.json", optsdata)
    packets = []
    for i, (wt, ivlen) in enumerate((("A256GCM", 12), ("A256CTR", 16))):
        kek, iv = os.urandom(32), os.urandom(ivlen)
        resources["default/kek/%d" % i] = b64std(kek)
        p = {"kid": "kbs:///default/kek/%d" % i,
             "wrapped_data": b64std(wrap(wt, kek, iv, optsdata)),
             "iv": b64std(iv), "wrap_type": wt}
        if i == 1:
            p = {"version": "0.1.0", **p, "provider": "kbs", "provider_settings": {},
                 "annotations": {}}
        packets.append(p)
    for i, p in enumerate(packets):
        annotation = b64std(json.dumps(p).encode())
        # Go ocicrypt's KeyProviderKeyWrapProtocolInput for an unwrap.
        req = {"op": "keyunwrap",
               "keywrapparams": {"ec": None, "optsdata": None},
               "keyunwrapparams": {"dc": {"Parameters": {"attestation-agent": [b64std(b"x")]}},
                                   "annotation": annotation}}
        write(outdir, "py-unwrap-v%d.json" % (i + 1), json.dumps(req))

    write(outdir, "py-offline-fs.json", json.dumps(resources, indent=1))


def verify(pub_path, sealed_path):
    with open(pub_path) as f:
        key = jwk.JWK.from_json(f.read())
    with open(sealed_path) as f:
        text = f.read().strip()
    assert text.startswith("sealed."), "no sealed. prefix"
    s = jws.JWS()
    s.deserialize(text[len("sealed."):])
    s.verify(key, alg="ES256")
    hdr = s.jose_header
    assert hdr["alg"] == "ES256" and "kid" in hdr, hdr
    print(s.payload.decode())


if __name__ == "__main__":
    if len(sys.argv) == 4 and sys.argv[1] == "verify":
        verify(sys.argv[2], sys.argv[3])
    elif len(sys.argv) == 2:
        make(sys.argv[1])
    else:
        sys.exit("usage: make-fixtures.py OUTDIR | verify JWK_PUB SEALED_FILE")
