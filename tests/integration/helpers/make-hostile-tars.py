#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
# Hostile layer tars for the safe writer, made with Python's tarfile:
#   make-hostile-tars.py OUTDIR ESCAPE_DIR
# writes OUTDIR/<case>.tar and OUTDIR/cases.txt, one line per case, tab-separated:
#   <case>  fail  <text the error must contain>  <extra image-pull args or ->
#   <case>  ok    <check>                          <extra image-pull args or ->
# where <check> is "<kind>:<path in the layer>" with kind f (regular file), l (symlink),
# w (0:0 char device whiteout), c (other char device), p (fifo), o (opaque dir).
# ESCAPE_DIR is an absolute directory outside the store that the archives aim at: it
# must stay empty.
import io
import os
import sys
import tarfile

out, esc = sys.argv[1], sys.argv[2].rstrip("/")
cases = []


def entry(name, kind=tarfile.REGTYPE, data=b"", link="", mode=0o644, **kw):
    ti = tarfile.TarInfo(name)
    ti.type = kind
    ti.mode = mode
    ti.mtime = 1700000000
    ti.linkname = link
    ti.size = len(data) if kind == tarfile.REGTYPE else 0
    for k, v in kw.items():
        setattr(ti, k, v)
    return ti, data


def write(case, entries, expect, what, args="-", fmt=tarfile.PAX_FORMAT, cut=None):
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w", format=fmt) as t:
        for ti, data in entries:
            t.addfile(ti, io.BytesIO(data) if ti.size else None)
    raw = buf.getvalue()
    if cut is not None:
        raw = raw[:cut(raw)]
    with open(os.path.join(out, case + ".tar"), "wb") as f:
        f.write(raw)
    cases.append(f"{case}\t{expect}\t{what}\t{args}")


os.makedirs(out, exist_ok=True)
F = tarfile
write("traversal", [entry("../../../../../.." + esc + "/evil", data=b"x")], "fail", "'..' component")
write("traversal-nested", [entry("a/b/../../../evil", data=b"x")], "fail", "'..' component")
write("absolute", [entry(esc + "/evil", data=b"x")], "ok", "f:" + esc.lstrip("/") + "/evil")
write("symlink-parent-root", [entry("l", F.SYMTYPE, link="/"),
                              entry("l" + esc + "/evil", data=b"x")],
      "ok", "f:" + esc.lstrip("/") + "/evil")
write("symlink-parent-dotdot", [entry("l", F.SYMTYPE, link="../../../../../../../../" + esc),
                                entry("l/evil", data=b"x")],
      "fail", "entry 2 'l/evil'")
write("symlink-chain", [entry("a", F.SYMTYPE, link="b"), entry("b", F.SYMTYPE, link="../../.."),
                        entry("a/evil", data=b"x")], "ok", "f:evil")
write("hardlink-dotdot", [entry("h", F.LNKTYPE, link="../../../../../../etc/passwd")],
      "fail", "'..' component")
write("hardlink-absolute", [entry("h", F.LNKTYPE, link="/etc/passwd")], "fail", "not in this layer")
write("hardlink-via-symlink", [entry("l", F.SYMTYPE, link="/etc"),
                               entry("h", F.LNKTYPE, link="l/passwd")], "fail", "not in this layer")
write("hardlink-dir", [entry("d", F.DIRTYPE, mode=0o755), entry("h", F.LNKTYPE, link="d")],
      "fail", "hardlink to directory")
write("symlink-then-file", [entry("s", F.SYMTYPE, link=esc + "/target"),
                            entry("s", data=b"overwritten")], "ok", "f:s")
write("symlink-then-dir-file", [entry("s", F.SYMTYPE, link=esc),
                                entry("s/evil", data=b"x")], "fail", "entry 2 's/evil'")
write("giant-pax-path", [entry("p" * (2 << 20), data=b"x")], "fail", "cannot read the header of entry 1")
write("giant-gnu-longname", [entry("g" * 200000, data=b"x")], "fail", "name of 200000 bytes exceeds the limit of 4096",
      fmt=tarfile.GNU_FORMAT)
write("long-path-limit", [entry("a/" * 300 + "f", data=b"x")], "fail", "exceeds the limit",
      "--max-path 512")
write("truncated-data", [entry("f", data=b"y" * 100000)], "fail", "entry 1 'f': cannot read its data: Truncated tar archive", cut=lambda r: 50000)
write("truncated-header", [entry("f", data=b"y" * 1000), entry("g", data=b"z")], "fail", "cannot read the header of entry 3: Truncated tar archive",
      cut=lambda r: 2048 + 512 + 200)
write("garbage", [entry("f", data=b"x")], "fail", "not a tar stream",
      cut=lambda r: 0)  # replaced below by random bytes
with open(os.path.join(out, "garbage.tar"), "wb") as f:
    f.write(b"\x01not a tar archive\x00" * 100)
write("too-many-entries", [entry(f"f{i}", data=b"x") for i in range(1100)], "fail",
      "more than 1000 entries", "--max-entries 1000")
write("too-big", [entry("big", data=b"b" * 5000)], "fail", "layer content exceeds the limit of 4096 bytes",
      "--max-bytes 4096")
write("device-nodes", [entry("dev", F.DIRTYPE, mode=0o755),
                       entry("dev/null", F.CHRTYPE, mode=0o666, devmajor=1, devminor=3),
                       entry("fifo", F.FIFOTYPE)], "ok", "c:dev/null")
write("fifo", [entry("fifo", F.FIFOTYPE)], "ok", "p:fifo")
write("whiteout", [entry("d", F.DIRTYPE, mode=0o755), entry("d/.wh.gone")], "ok", "w:d/gone")
write("whiteout-escape", [entry("../.wh.x")], "fail", "'..' component")
write("opaque", [entry("d", F.DIRTYPE, mode=0o755), entry("d/.wh..wh..opq"),
                 entry("d/kept", data=b"k")], "ok", "o:d")
write("bad-owner", [entry("f", data=b"x", uid=-1 & 0xFFFFFFFFFF)], "fail", "owner 1099511627775:0 out of range", fmt=tarfile.PAX_FORMAT)

with open(os.path.join(out, "cases.txt"), "w") as f:
    f.write("\n".join(cases) + "\n")
