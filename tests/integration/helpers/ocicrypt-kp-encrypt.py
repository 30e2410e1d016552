#!/usr/bin/python3
# SPDX-License-Identifier: Apache-2.0
# Encrypts every layer of one image in an OCI layout as ocicrypt does with a keyprovider
# (AES_256_CTR_HMAC_SHA256; private options wrapped A256GCM under a KEK the KBS serves,
# in the CDH's AnnotationPacket v1), for images skopeo here cannot make.
#   ocicrypt-kp-encrypt.py LAYOUT SRC_REF DST_REF KEK_FILE KID
import base64, hashlib, hmac, json, os, sys
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

layout, src, dst, kek_file, kid = sys.argv[1:6]
kek = open(kek_file, "rb").read()
b64 = lambda b: base64.b64encode(b).decode()

def blob(d):
    return os.path.join(layout, "blobs", *d.split(":"))

def put(data):
    d = "sha256:" + hashlib.sha256(data).hexdigest()
    open(blob(d), "wb").write(data)
    return d

index = json.load(open(os.path.join(layout, "index.json")))
desc = next(m for m in index["manifests"]
            if m.get("annotations", {}).get("org.opencontainers.image.ref.name") == src)
manifest = json.load(open(blob(desc["digest"])))
for l in manifest["layers"]:
    plain = open(blob(l["digest"]), "rb").read()
    key, nonce = os.urandom(32), os.urandom(16)
    ct = Cipher(algorithms.AES(key), modes.CTR(nonce)).encryptor().update(plain)
    priv = json.dumps({"symkey": b64(key), "digest": l["digest"],
                       "cipheroptions": {"nonce": b64(nonce)}}).encode()
    iv = os.urandom(12)
    packet = json.dumps({"kid": kid, "wrapped_data": b64(AESGCM(kek).encrypt(iv, priv, None)),
                         "iv": b64(iv), "wrap_type": "A256GCM"}).encode()
    pub = json.dumps({"cipher": "AES_256_CTR_HMAC_SHA256",
                      "hmac": b64(hmac.new(key, ct, hashlib.sha256).digest()),
                      "cipheroptions": {}}).encode()
    l["mediaType"] += "+encrypted"
    l["digest"] = put(ct)
    l["size"] = len(ct)
    l.setdefault("annotations", {}).update({
        "org.opencontainers.image.enc.keys.provider.attestation-agent": b64(packet),
        "org.opencontainers.image.enc.pubopts": b64(pub)})
m = json.dumps(manifest).encode()
index["manifests"].append({"mediaType": "application/vnd.oci.image.manifest.v1+json",
                           "digest": put(m), "size": len(m),
                           "annotations": {"org.opencontainers.image.ref.name": dst}})
json.dump(index, open(os.path.join(layout, "index.json"), "w"))
