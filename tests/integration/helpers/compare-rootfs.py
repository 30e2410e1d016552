#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
# Compares a reference rootfs (`umoci unpack` of an image) with what image-pull stored:
# the image's layer dirs from <work_dir>/meta_store.json, merged bottom to top as
# overlayfs would show them (0:0 char devices hide, trusted.overlay.opaque=y dirs hide
# everything below them). Compares type, mode, owner, size, content, link target, rdev,
# mtime, xattrs and hardlink groups, path by path; prints each difference, exits 1 if any.
# A layer that changes a file without carrying its parent directory's entry gets that
# directory made 0755 root:root "now" (as image-rs and moby do), which an overlay mount
# then shows; umoci's merged rootfs keeps the lower layer's directory. With
# --implied-after NS such directories (made at or after NS, 0755, 0:0, over a lower
# directory) take their metadata from the layer below, and are counted.
#   compare-rootfs.py REF_ROOTFS WORK_DIR [--image CONFIG_DIGEST] [--implied-after NS]
import argparse
import hashlib
import json
import os
import stat
import sys

OPAQUE = "trusted.overlay.opaque"


def xattrs(path):
    try:
        names = os.listxattr(path, follow_symlinks=False)
    except OSError:
        return {}
    out = {}
    for n in names:
        if n.startswith("trusted.overlay.") or n == "security.selinux":
            continue
        out[n] = os.getxattr(path, n, follow_symlinks=False)
    return out


def sha(path):
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for b in iter(lambda: f.read(1 << 20), b""):
            h.update(b)
    return h.hexdigest()


def describe(path):
    st = os.lstat(path)
    d = {
        "type": stat.S_IFMT(st.st_mode),
        "mode": oct(stat.S_IMODE(st.st_mode)),
        "owner": (st.st_uid, st.st_gid),
        "mtime": st.st_mtime_ns,
        "xattrs": xattrs(path),
    }
    if stat.S_ISREG(st.st_mode):
        d["size"] = st.st_size
        d["sha256"] = sha(path)
    elif stat.S_ISLNK(st.st_mode):
        d["target"] = os.readlink(path)
        del d["mode"]  # symlink modes are not kept by every unpacker
    elif stat.S_ISCHR(st.st_mode) or stat.S_ISBLK(st.st_mode):
        d["rdev"] = (os.major(st.st_rdev), os.minor(st.st_rdev))
    return d, (st.st_dev, st.st_ino) if stat.S_ISREG(st.st_mode) else None


def walk(root):
    """Yields relative paths top-down, parents before children."""
    for dirpath, dirnames, filenames in os.walk(root, topdown=True, followlinks=False):
        dirnames.sort()
        rel = os.path.relpath(dirpath, root)
        for n in sorted(dirnames + filenames):
            yield n if rel == "." else os.path.join(rel, n)


def drop_below(entries, rel):
    prefix = rel + "/"
    for k in [k for k in entries if k.startswith(prefix)]:
        del entries[k]


def implied(st, since):
    return (since is not None and st.st_mtime_ns >= since and stat.S_IMODE(st.st_mode) == 0o755
            and st.st_uid == 0 and st.st_gid == 0)


def merge(layers, since=None):
    entries = {}  # rel -> absolute source path
    merge.implied = 0
    for layer in layers:
        hidden = []
        for rel in walk(layer):
            if any(rel.startswith(h + "/") for h in hidden):
                continue
            p = os.path.join(layer, rel)
            st = os.lstat(p)
            if stat.S_ISCHR(st.st_mode) and st.st_rdev == 0:
                entries.pop(rel, None)
                drop_below(entries, rel)
                hidden.append(rel)
                continue
            if stat.S_ISDIR(st.st_mode):
                try:
                    opaque = os.getxattr(p, OPAQUE, follow_symlinks=False) == b"y"
                except OSError:
                    opaque = False
                if opaque or (rel in entries and not os.path.isdir(entries[rel])):
                    drop_below(entries, rel)
                elif rel in entries and implied(st, since):
                    merge.implied += 1
                    continue
            else:
                drop_below(entries, rel)
            entries[rel] = p
    return entries


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("ref")
    ap.add_argument("work")
    ap.add_argument("--image")
    ap.add_argument("--implied-after", type=int)
    a = ap.parse_args()

    meta = json.load(open(os.path.join(a.work, "meta_store.json")))
    images = meta["image_db"]
    key = a.image or (list(images)[0] if len(images) == 1 else None)
    if key is None:
        sys.exit("several images in the store: pass --image")
    layers = [m["store_path"] for m in images[key]["layer_metas"]]
    ours = merge(layers, a.implied_after)
    ref = {rel: os.path.join(a.ref, rel) for rel in walk(a.ref)}

    diffs = 0
    for rel in sorted(set(ours) | set(ref)):
        if rel not in ours:
            print(f"missing in image-pull: {rel}")
            diffs += 1
            continue
        if rel not in ref:
            print(f"extra in image-pull: {rel}")
            diffs += 1
            continue
        d1, _ = describe(ref[rel])
        d2, _ = describe(ours[rel])
        for k in sorted(set(d1) | set(d2)):
            if d1.get(k) != d2.get(k):
                print(f"{rel}: {k}: umoci {d1.get(k)!r} image-pull {d2.get(k)!r}")
                diffs += 1

    # hardlink groups: the same partition of regular files on both sides
    def groups(m):
        by_ino = {}
        for rel, p in m.items():
            st = os.lstat(p)
            if stat.S_ISREG(st.st_mode):
                by_ino.setdefault((st.st_dev, st.st_ino), set()).add(rel)
        return {frozenset(g) for g in by_ino.values() if len(g) > 1}

    g1, g2 = groups(ref), groups(ours)
    for g in g1 ^ g2:
        print(f"hardlink group differs: {sorted(g)} ({'umoci' if g in g1 else 'image-pull'})")
        diffs += 1
    print(f"compared {len(ref)} paths, {sum(len(g) for g in g1)} hardlinked, "
          f"{merge.implied} implied dirs, {diffs} differences")
    sys.exit(1 if diffs else 0)


if __name__ == "__main__":
    main()
