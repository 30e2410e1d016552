#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
# Small edits of OCI image layouts for the unpack tests (image-spec image-layout.md):
#   oci-edit.py new LAYOUT REF TAR [TAR...]    a layout whose image REF has these layers
#                                              (gzip), an empty config otherwise
#   oci-edit.py append LAYOUT REF TAR          adds a gzip layer on top of image REF
#   oci-edit.py recompress LAYOUT REF {zstd,none,gzip-multi}
#                                              rewrites every layer of REF in place
#   oci-edit.py corrupt LAYOUT REF {blob,diffid,size,truncate}
#                                              breaks the top layer of REF (blob bytes,
#                                              the config's diff_id, the descriptor size,
#                                              or cuts the blob in half, digest updated)
# The index entry of REF is replaced; old blobs stay (unreferenced).
import gzip
import hashlib
import json
import os
import subprocess
import sys

GZ = "application/vnd.oci.image.layer.v1.tar+gzip"
TYPES = {"zstd": "application/vnd.oci.image.layer.v1.tar+zstd",
         "none": "application/vnd.oci.image.layer.v1.tar",
         "gzip-multi": GZ}


def put(layout, data):
    d = hashlib.sha256(data).hexdigest()
    os.makedirs(os.path.join(layout, "blobs", "sha256"), exist_ok=True)
    with open(os.path.join(layout, "blobs", "sha256", d), "wb") as f:
        f.write(data)
    return "sha256:" + d


def get(layout, digest):
    alg, hexd = digest.split(":")
    with open(os.path.join(layout, "blobs", alg, hexd), "rb") as f:
        return f.read()


def load_index(layout):
    p = os.path.join(layout, "index.json")
    return json.load(open(p)) if os.path.exists(p) else {"schemaVersion": 2, "manifests": []}


def find(layout, ref):
    idx = load_index(layout)
    for m in idx["manifests"]:
        if m.get("annotations", {}).get("org.opencontainers.image.ref.name") == ref:
            man = json.loads(get(layout, m["digest"]))
            cfg = json.loads(get(layout, man["config"]["digest"]))
            return idx, man, cfg
    sys.exit(f"no image {ref} in {layout}")


def save(layout, ref, idx, man, cfg):
    cb = json.dumps(cfg).encode()
    man["config"] = {"mediaType": "application/vnd.oci.image.config.v1+json",
                     "digest": put(layout, cb), "size": len(cb)}
    mb = json.dumps(man).encode()
    entry = {"mediaType": "application/vnd.oci.image.manifest.v1+json",
             "digest": put(layout, mb), "size": len(mb),
             "annotations": {"org.opencontainers.image.ref.name": ref}}
    idx["manifests"] = [m for m in idx["manifests"]
                        if m.get("annotations", {}).get("org.opencontainers.image.ref.name") != ref]
    idx["manifests"].append(entry)
    with open(os.path.join(layout, "index.json"), "w") as f:
        json.dump(idx, f)
    with open(os.path.join(layout, "oci-layout"), "w") as f:
        json.dump({"imageLayoutVersion": "1.0.0"}, f)


def add_layer(layout, man, cfg, tar):
    blob = gzip.compress(tar, mtime=0)
    man["layers"].append({"mediaType": GZ, "digest": put(layout, blob), "size": len(blob)})
    cfg["rootfs"]["diff_ids"].append("sha256:" + hashlib.sha256(tar).hexdigest())


def decompress(layout, layer):
    blob = get(layout, layer["digest"])
    mt = layer["mediaType"]
    if mt.endswith("gzip"):
        return gzip.decompress(blob)
    if mt.endswith("zstd"):
        return subprocess.run(["zstd", "-dc"], input=blob, capture_output=True, check=True).stdout
    return blob


def main():
    cmd, layout, ref = sys.argv[1:4]
    if cmd == "new":
        idx = load_index(layout)
        man = {"schemaVersion": 2, "mediaType": "application/vnd.oci.image.manifest.v1+json",
               "layers": []}
        cfg = {"architecture": "amd64", "os": "linux", "config": {},
               "rootfs": {"type": "layers", "diff_ids": []}}
        for t in sys.argv[4:]:
            add_layer(layout, man, cfg, open(t, "rb").read())
    else:
        idx, man, cfg = find(layout, ref)
    if cmd == "append":
        add_layer(layout, man, cfg, open(sys.argv[4], "rb").read())
    elif cmd == "recompress":
        how = sys.argv[4]
        for layer in man["layers"]:
            tar = decompress(layout, layer)
            if how == "zstd":
                blob = subprocess.run(["zstd", "-q", "-3", "-c"], input=tar, capture_output=True,
                                      check=True).stdout
            elif how == "none":
                blob = tar
            else:  # two gzip members, split mid-stream, not on a tar boundary
                cut = len(tar) // 2 + 7
                blob = gzip.compress(tar[:cut], mtime=0) + gzip.compress(tar[cut:], mtime=0)
            layer.update({"mediaType": TYPES[how], "digest": put(layout, blob), "size": len(blob)})
    elif cmd == "corrupt":
        how, top = sys.argv[4], man["layers"][-1]
        if how == "blob":
            blob = bytearray(get(layout, top["digest"]))
            blob[len(blob) // 2] ^= 0x01
            # written under the old name: the descriptor's digest no longer matches
            alg, hexd = top["digest"].split(":")
            with open(os.path.join(layout, "blobs", alg, hexd), "wb") as f:
                f.write(blob)
        elif how == "diffid":
            d = cfg["rootfs"]["diff_ids"][-1]
            cfg["rootfs"]["diff_ids"][-1] = d[:-1] + ("0" if d[-1] != "0" else "1")
        elif how == "size":
            top["size"] += 1
        elif how == "truncate":
            blob = get(layout, top["digest"])[: top["size"] // 2]
            top.update({"digest": put(layout, blob), "size": len(blob)})
    save(layout, ref, idx, man, cfg)


if __name__ == "__main__":
    main()
