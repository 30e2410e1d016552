#!/usr/bin/python3
# SPDX-License-Identifier: Apache-2.0
# A FUSE stand-in for the kernel's configfs-tsm report interface and the TDX
# measurements sysfs (Linux >= 6.16), for the attester integration tests. Mounted on
# $ROOT (the tests' COCOBOX_ATTESTER_ROOT) it serves:
#   sys/kernel/config/tsm/report/       mkdir/rmdir of report entries, each with
#       provider generation inblob outblob privlevel privlevel_floor, and auxblob
#       (the --auxblob file) when given
#   sys/devices/platform/sev-guest/   (with --sev-guest-platform: the SNP detect() probe)
#   sys/devices/virtual/misc/tdx_guest/measurements/   (with --measurements)
#       rtmr0..3:sha384 (read 48 bytes; a 48-byte write extends: new = SHA384(old || w))
#       mrconfigid (48 bytes, --mrconfigid)
#   dev/tdx_guest (with --tdx-guest-device): TDX_CMD_GET_REPORT0 answers a TDREPORT
#       (type 0x81, the request's REPORTDATA at 128, MRCONFIGID at 576, RTMRs at 720)
# Semantics follow drivers/virt/coco/tsm.c: inblob is a binary attribute whose writes
# collect until the file is closed (max 64 bytes, -EFBIG past it); every committed write
# to inblob or privlevel advances generation; outblob is the template (--outblob) with
# the zero-padded inblob copied to --reportdata-offset; reading it with privlevel below
# --privlevel-floor fails with EINVAL, as the kernel refuses such a request. --race makes each inblob commit
# advance generation by 2, as when another process wrote inblob in between.
# Needs python3-fusepy (Debian: module "fusepy") and /dev/fuse.
import argparse
import ctypes
import errno
import hashlib
import stat
import sys
import threading
import time

try:
    import fusepy as fuse
except ImportError:  # the PyPI name
    import fuse

REPORT = "/sys/kernel/config/tsm/report"
MEAS = "/sys/devices/virtual/misc/tdx_guest/measurements"
DEVICE = "/dev/tdx_guest"
INBLOB_MAX = 64
# _IOWR('T', 1, struct tdx_report_req { u8 reportdata[64]; u8 tdreport[1024]; })
TDX_CMD_GET_REPORT0 = 0xC4405401


def err(e):
    return fuse.FuseOSError(e)


class Report:
    def __init__(self):
        self.inblob = None
        self.generation = 0
        self.privlevel = 0


class TsmFs(fuse.Operations):
    def __init__(self, args):
        self.args = args
        self.template = open(args.outblob, "rb").read() if args.outblob else b""
        if args.outblob and args.reportdata_offset + 64 > len(self.template):
            sys.exit("tsm-fuse: --reportdata-offset does not fit the outblob template")
        self.reports = {}
        self.rtmr = [bytes(48) for _ in range(4)]
        for spec in args.rtmr:
            i, _, h = spec.partition(":")
            self.rtmr[int(i)] = bytes.fromhex(h)
        self.mrconfigid = bytes.fromhex(args.mrconfigid) if args.mrconfigid else bytes(48)
        self.pending = {}  # fh -> (path, bytearray) for inblob writes
        self.next_fh = 1
        self.mutex = threading.Lock()
        self.now = time.time()

    # --- tree -----------------------------------------------------------------
    def dirs(self):
        d = {"/", "/sys"}
        if not self.args.no_tsm:
            d |= {"/sys/kernel", "/sys/kernel/config", "/sys/kernel/config/tsm", REPORT}
        if self.args.measurements:
            d |= {"/sys/devices", "/sys/devices/virtual", "/sys/devices/virtual/misc",
                  "/sys/devices/virtual/misc/tdx_guest", MEAS}
        if self.args.tdx_guest_device:
            d.add("/dev")
        if self.args.sev_guest_platform:
            d |= {"/sys/devices", "/sys/devices/platform", "/sys/devices/platform/sev-guest"}
        d |= {REPORT + "/" + n for n in self.reports}
        return d

    def split_report(self, path):
        """(report, attribute) for REPORT/<name>/<attr>, else (None, None)."""
        if not path.startswith(REPORT + "/"):
            return None, None
        parts = path[len(REPORT) + 1:].split("/")
        if len(parts) != 2 or parts[0] not in self.reports:
            return None, None
        return self.reports[parts[0]], parts[1]

    def content(self, path):
        r, attr = self.split_report(path)
        if r is not None:
            if attr == "provider":
                return (self.args.provider + "\n").encode()
            if attr == "generation":
                return b"%d\n" % r.generation
            if attr == "privlevel_floor":
                return b"%d\n" % self.args.privlevel_floor
            if attr == "auxblob" and self.args.auxblob:
                if r.inblob is None:
                    raise err(errno.EINVAL)
                return open(self.args.auxblob, "rb").read()
            if attr == "outblob":
                if r.inblob is None or r.privlevel < self.args.privlevel_floor:
                    raise err(errno.EINVAL)
                if not self.template:
                    raise err(errno.EIO)
                q = bytearray(self.template)
                off = self.args.reportdata_offset
                q[off:off + 64] = r.inblob.ljust(64, b"\0")
                return bytes(q)
            if attr in ("inblob", "privlevel"):
                raise err(errno.EACCES)  # write-only
            raise err(errno.ENOENT)
        if self.args.measurements and path.startswith(MEAS + "/"):
            name = path[len(MEAS) + 1:]
            if name == "mrconfigid":
                return self.mrconfigid
            for i in range(4):
                if name == "rtmr%d:sha384" % i:
                    return self.rtmr[i]
        raise err(errno.ENOENT)

    def files(self, path):
        if path in self.reports_dirs():
            return ["provider", "generation", "inblob", "outblob", "privlevel",
                    "privlevel_floor"] + (["auxblob"] if self.args.auxblob else [])
        if self.args.measurements and path == MEAS:
            return ["mrconfigid"] + ["rtmr%d:sha384" % i for i in range(4)]
        if self.args.tdx_guest_device and path == "/dev":
            return ["tdx_guest"]
        return []

    def reports_dirs(self):
        return {REPORT + "/" + n for n in self.reports}

    # --- operations -------------------------------------------------------------
    def getattr(self, path, fh=None):
        with self.mutex:
            t = dict(st_atime=self.now, st_mtime=self.now, st_ctime=self.now, st_uid=0,
                     st_gid=0)
            if path in self.dirs():
                return dict(t, st_mode=stat.S_IFDIR | 0o755, st_nlink=2)
            parent, _, name = path.rpartition("/")
            if name not in self.files(parent):
                raise err(errno.ENOENT)
            if name in ("inblob", "privlevel"):
                return dict(t, st_mode=stat.S_IFREG | 0o200, st_nlink=1, st_size=0)
            if name.startswith("rtmr"):
                return dict(t, st_mode=stat.S_IFREG | 0o600, st_nlink=1, st_size=48)
            if path == DEVICE:
                return dict(t, st_mode=stat.S_IFREG | 0o600, st_nlink=1, st_size=0)
            try:
                size = len(self.content(path))
            except fuse.FuseOSError:
                size = 0
            return dict(t, st_mode=stat.S_IFREG | 0o444, st_nlink=1, st_size=size)

    def readdir(self, path, fh):
        with self.mutex:
            if path not in self.dirs():
                raise err(errno.ENOTDIR)
            names = {p.rpartition("/")[2] for p in self.dirs()
                     if p != "/" and p.rpartition("/")[0] == (path if path != "/" else "")}
            return [".", ".."] + sorted(names) + self.files(path)

    def mkdir(self, path, mode):
        with self.mutex:
            parent, _, name = path.rpartition("/")
            if parent != REPORT:
                raise err(errno.EPERM)
            if name in self.reports:
                raise err(errno.EEXIST)
            self.reports[name] = Report()

    def rmdir(self, path):
        with self.mutex:
            parent, _, name = path.rpartition("/")
            if parent != REPORT or name not in self.reports:
                raise err(errno.EPERM if path in self.dirs() else errno.ENOENT)
            del self.reports[name]

    def open(self, path, flags):
        with self.mutex:
            self.getattr_locked_check(path)
            fh = self.next_fh
            self.next_fh += 1
            if flags & 3 != 0:  # O_WRONLY or O_RDWR
                self.pending[fh] = (path, bytearray())
            return fh

    def getattr_locked_check(self, path):
        parent, _, name = path.rpartition("/")
        if name not in self.files(parent):
            raise err(errno.ENOENT)

    def read(self, path, size, offset, fh):
        with self.mutex:
            data = self.content(path)
            return data[offset:offset + size]

    def truncate(self, path, length, fh=None):
        return 0

    def write(self, path, data, offset, fh):
        with self.mutex:
            _, _, name = path.rpartition("/")
            if name.startswith("rtmr"):
                # One 48-byte write extends, as the kernel's measurement attribute.
                if offset != 0 or len(data) != 48:
                    raise err(errno.EINVAL)
                i = int(name[4])
                self.rtmr[i] = hashlib.sha384(self.rtmr[i] + data).digest()
                return len(data)
            p, buf = self.pending.get(fh, (None, None))
            if buf is None:
                raise err(errno.EBADF)
            if name == "inblob" and offset + len(data) > INBLOB_MAX:
                raise err(errno.EFBIG)
            buf[offset:offset + len(data)] = data
            return len(data)

    def flush(self, path, fh):
        # close() waits for FLUSH (RELEASE is asynchronous), so commit here, as
        # configfs commits a binary attribute on close.
        # A close of a dup()ed descriptor flushes too: commit only what was written,
        # and keep the handle until RELEASE.
        with self.mutex:
            p, buf = self.pending.get(fh, (None, None))
            if buf is None or not buf:
                return 0
            self.pending[fh] = (p, bytearray())
            r, attr = self.split_report(p)
            if r is None:
                return 0
            if attr == "inblob":
                r.inblob = bytes(buf)
                r.generation += 2 if self.args.race else 1
            elif attr == "privlevel":
                try:
                    v = int(bytes(buf).decode().strip())
                except ValueError:
                    raise err(errno.EINVAL)
                if not 0 <= v <= 3:
                    raise err(errno.EINVAL)
                r.privlevel = v
                r.generation += 1
            return 0

    def ioctl(self, path, cmd, arg, fh, flags, data):
        # A regular FUSE file gets "restricted" ioctls: the kernel copies _IOC_SIZE(cmd)
        # bytes in and out of data, which is all TDX_CMD_GET_REPORT0 needs.
        with self.mutex:
            if path != DEVICE:
                raise err(errno.ENOTTY)
            if cmd != TDX_CMD_GET_REPORT0 or not data:
                raise err(errno.ENOTTY)
            req = ctypes.string_at(data, 64 + 1024)
            rep = bytearray(1024)
            rep[0] = 0x81  # TDX
            rep[128:192] = req[:64]
            rep[576:624] = self.mrconfigid
            for i in range(4):
                rep[720 + 48 * i:768 + 48 * i] = self.rtmr[i]
            ctypes.memmove(data + 64, bytes(rep), 1024)
            return 0

    def release(self, path, fh):
        with self.mutex:
            self.pending.pop(fh, None)
        return 0


def main():
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("mountpoint", help="$ROOT")
    ap.add_argument("--provider", default="tdx_guest")
    ap.add_argument("--outblob", help="template for outblob")
    ap.add_argument("--reportdata-offset", type=int, default=0)
    ap.add_argument("--auxblob", help="file served as auxblob (SNP: the certificate table)")
    ap.add_argument("--privlevel-floor", type=int, default=0)
    ap.add_argument("--sev-guest-platform", action="store_true",
                    help="serve /sys/devices/platform/sev-guest")
    ap.add_argument("--race", action="store_true",
                    help="each inblob commit advances generation by 2")
    ap.add_argument("--measurements", action="store_true",
                    help="serve the TDX measurements sysfs directory")
    ap.add_argument("--mrconfigid", help="hex, 48 bytes")
    ap.add_argument("--rtmr", action="append", default=[], metavar="N:HEX",
                    help="initial value of RTMR N (48 bytes)")
    ap.add_argument("--no-tsm", action="store_true",
                    help="no configfs-tsm (a kernel before 6.7)")
    ap.add_argument("--tdx-guest-device", action="store_true",
                    help="serve /dev/tdx_guest with TDX_CMD_GET_REPORT0")
    args = ap.parse_args()
    fuse.FUSE(TsmFs(args), args.mountpoint, foreground=True, nothreads=True,
              direct_io=True)


if __name__ == "__main__":
    main()
