#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
# Independent model of the sev crate 6.3 SNP report and certificate table decoding and of
# their serde_json output, written from the report layout (SEV-SNP ABI ATTESTATION_REPORT)
# and the crate's rules as recorded in upstream.md §3.2, serialised as guest-components
# does (serde_json::Value, keys sorted). It writes the synthetic inputs
# and expected JSON used by tests/unit/aa/test-snp-report.c and test-attester-snp.c, and
# the SHA-256 of the expected JSON for the shared real-hardware vectors (which must not be
# copied into the repository). Run from anywhere:
#   python3 tests/unit/aa/data/gen-snp-expected.py [VECTORS_DIR]
import hashlib
import json
import os
import struct
import sys

HERE = os.path.dirname(os.path.abspath(__file__))


def generation(b):
    version = struct.unpack_from("<I", b, 0)[0]
    if version < 2:
        raise ValueError("unsupported version")
    if version == 2:
        chip = b[0x1A0:0x1E0]
        if chip == bytes(64):
            raise ValueError("masked chip id")
        return "turin" if chip[8:] == bytes(56) else "genoa"
    fam, mod = b[0x188], b[0x189]
    if fam == 0x19 and mod <= 0x0F:
        return "milan"
    if fam == 0x19 and (0x10 <= mod <= 0x1F or 0xA0 <= mod <= 0xAF):
        return "genoa"
    if fam == 0x1A and mod <= 0x11:
        return "turin"
    raise ValueError("unknown cpu")


def tcb(b, off, gen):
    t = b[off:off + 8]
    if gen == "turin":
        return {"fmc": t[0], "bootloader": t[1], "tee": t[2], "snp": t[3], "microcode": t[7]}
    return {"fmc": None, "bootloader": t[0], "tee": t[1], "snp": t[6], "microcode": t[7]}


def fwver(b, off):
    return {"major": b[off + 2], "minor": b[off + 1], "build": b[off]}


def report_obj(b):
    assert len(b) == 1184
    gen = generation(b)
    u32 = lambda o: struct.unpack_from("<I", b, o)[0]
    u64 = lambda o: struct.unpack_from("<Q", b, o)[0]
    arr = lambda o, n: list(b[o:o + n])
    version = u32(0)
    v3 = version >= 3
    v5 = version >= 5
    return {
        "version": version,
        "guest_svn": u32(0x04),
        "policy": u64(0x08),
        "family_id": arr(0x10, 16),
        "image_id": arr(0x20, 16),
        "vmpl": u32(0x30),
        "sig_algo": u32(0x34),
        "current_tcb": tcb(b, 0x38, gen),
        "plat_info": u64(0x40),
        "key_info": u32(0x48),
        "report_data": arr(0x50, 64),
        "measurement": arr(0x90, 48),
        "host_data": arr(0xC0, 32),
        "id_key_digest": arr(0xE0, 48),
        "author_key_digest": arr(0x110, 48),
        "report_id": arr(0x140, 32),
        "report_id_ma": arr(0x160, 32),
        "reported_tcb": tcb(b, 0x180, gen),
        "cpuid_fam_id": b[0x188] if v3 else None,
        "cpuid_mod_id": b[0x189] if v3 else None,
        "cpuid_step": b[0x18A] if v3 else None,
        "chip_id": arr(0x1A0, 64),
        "committed_tcb": tcb(b, 0x1E0, gen),
        "current": fwver(b, 0x1E8),
        "committed": fwver(b, 0x1EC),
        "launch_tcb": tcb(b, 0x1F0, gen),
        "launch_mit_vector": u64(0x1F8) if v5 else None,
        "current_mit_vector": u64(0x200) if v5 else None,
        "signature": {"r": arr(0x2A0, 72), "s": arr(0x2A0 + 72, 72)},
    }


def dumps(o):
    # guest-components serialises evidence through serde_json::Value, whose objects are
    # BTreeMaps (no "preserve_order" in its build): keys sorted at every level. The dicts
    # above keep sev's declaration order; sorting happens here, as in upstream.
    return json.dumps(o, separators=(",", ":"), sort_keys=True)


def synth_report(seed, version, fam=None, mod=None, step=0, chip=None, mit=False):
    """Every byte non-trivial (so a wrong offset shows), then the fields that steer
    decoding set explicitly."""
    b = bytearray((i * 131 + seed * 17 + (i >> 8)) & 0xFF for i in range(1184))
    struct.pack_into("<I", b, 0, version)
    if fam is not None:
        b[0x188], b[0x189], b[0x18A] = fam, mod, step
    if chip is not None:
        b[0x1A0:0x1E0] = chip
    if not mit:
        b[0x1F8:0x208] = bytes(16)  # reserved before version 5
    # policy, plat_info with the top bit set: u64 values past 2^63 must stay exact.
    struct.pack_into("<Q", b, 0x08, 0x8000_0000_0003_001F + seed)
    struct.pack_into("<Q", b, 0x40, 0xFFFF_FFFF_FFFF_FFF0 + seed)
    return bytes(b)


GUIDS = {
    "ARK": "c0b406a4-a803-4952-9743-3fb6014cd0ae",
    "ASK": "4ab7b379-bbac-4fe4-a02f-05aef327c782",
    "VCEK": "63da758d-e664-4564-adc5-f4b93be8accd",
    "VLEK": "a8074bc2-a25a-483e-aae6-39c045a0b8a1",
    "CRL": "92f81bc3-5811-4d3d-97ff-d19f88dc67ea",
}
RANK = {"ARK": 0, "VCEK": 1, "VLEK": 2, "ASK": 3, "CRL": 4, "OTHER": 5}


def synth_cert_table():
    other_b = "f0000000-0000-4000-8000-0000000000bb"
    other_a = "1f000000-0000-4000-8000-0000000000aa"
    # Table order deliberately unsorted, with two VCEKs to show the sort is stable and
    # an empty certificate.
    entries = [
        ("VCEK", None, bytes(range(1, 40))),
        ("OTHER", other_b, b"\x00\xff" * 7),
        ("ASK", None, bytes((i * 7) & 0xFF for i in range(300))),
        ("ARK", None, b"ark-der"),
        ("OTHER", other_a, b""),
        ("CRL", None, b"\x30\x82"),
        ("VCEK", None, b"second vcek"),
        ("VLEK", None, bytes(range(200, 256))),
    ]
    table = bytearray()
    blob = bytearray()
    off = 24 * (len(entries) + 1)
    for kind, guid, data in entries:
        g = GUIDS[kind] if kind != "OTHER" else guid
        table += bytes.fromhex(g.replace("-", ""))
        table += struct.pack("<II", off if data else 0, len(data))
        blob += data
        off += len(data)
    table += bytes(24)
    raw = bytes(table + blob)
    raw += bytes(-len(raw) % 4096)  # the kernel hands out whole pages

    keyed = sorted(
        enumerate(entries),
        key=lambda e: (RANK[e[1][0]], bytes.fromhex(e[1][1].replace("-", "")) if e[1][1] else b"", e[0]),
    )
    out = []
    for _, (kind, guid, data) in keyed:
        ct = {"OTHER": guid} if kind == "OTHER" else kind
        out.append({"cert_type": ct, "data": list(data)})
    return raw, dumps(out)


def write(name, data, mode="wb"):
    with open(os.path.join(HERE, name), mode) as f:
        f.write(data)


def main():
    vectors = sys.argv[1] if len(sys.argv) > 1 else os.path.join(HERE, "../../../../../shared/vectors")
    turin_chip = bytes(range(0x41, 0x49)) + bytes(56)
    genoa_chip = bytes((i * 29 + 3) & 0xFF for i in range(64))
    cases = {
        "v2-turin": synth_report(1, 2, chip=turin_chip),
        "v2-genoa": synth_report(2, 2, chip=genoa_chip),
        "v3-genoa": synth_report(3, 3, fam=0x19, mod=0x11, step=1),
        "v3-turin": synth_report(4, 3, fam=0x1A, mod=0x02, step=0),
        "v4-milan": synth_report(5, 4, fam=0x19, mod=0x01, step=1, chip=bytes(64)),
        "v5-turin": synth_report(6, 5, fam=0x1A, mod=0x11, step=2, mit=True),
        "v9-genoa": synth_report(7, 9, fam=0x19, mod=0xA0, step=2, mit=True),
    }
    for name, b in cases.items():
        write("snp-report-%s.bin" % name, b)
        write("snp-report-%s.json" % name, dumps(report_obj(b)) + "\n", "w")

    raw, js = synth_cert_table()
    write("snp-certs.bin", raw)
    write("snp-certs.json", js + "\n", "w")

    lines = []
    for name in ("test-report.bin", "test-vlek-report.bin"):
        path = os.path.join(vectors, "snp", name)
        if not os.path.exists(path):
            print("skipping %s: not found" % path, file=sys.stderr)
            continue
        with open(path, "rb") as f:
            text = dumps(report_obj(f.read()))
        lines.append("%s %d %s\n" % (hashlib.sha256(text.encode()).hexdigest(), len(text), name))
    if lines:
        write("snp-vectors.sha256", "".join(lines), "w")


if __name__ == "__main__":
    main()
