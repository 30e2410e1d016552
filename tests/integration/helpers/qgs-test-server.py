#!/usr/bin/python3
# SPDX-License-Identifier: Apache-2.0
# A test Quote Generation Service on a UNIX socket for the TDX attester's QGS path. It
# checks each GET_QUOTE_REQ as Intel DCAP's qgs_msg_inflate_get_quote_req does (major 1,
# type 0, size fields consistent, error_code 0, report_size 1024) and answers a
# GET_QUOTE_RESP whose quote is --quote with the TDREPORT's REPORTDATA (offset 128)
# copied to --reportdata-offset. Frames carry a 4-byte big-endian length first. A
# malformed request gets QGS_MSG_ERROR_INVALID_PARAMETER. --mode makes it misbehave:
#   error      answer error_code 0x12001 (QGS_MSG_ERROR_UNEXPECTED), no quote
#   bad-type   answer message type 3
#   bad-size   header size one more than the message
#   huge       announce a 16 MiB frame
#   close      close the connection without answering
#   short      announce 100 bytes, send 10, close
import argparse
import os
import socket
import struct
import sys

ERR_INVALID_PARAMETER = 0x00012003
ERR_UNEXPECTED = 0x00012001


def recv_exact(c, n):
    b = b""
    while len(b) < n:
        k = c.recv(n - len(b))
        if not k:
            raise EOFError
        b += k
    return b


def response(quote, error=0, type_=1, size_delta=0):
    body = struct.pack("<II", 0, len(quote)) + quote
    size = 16 + len(body)
    return struct.pack("<HHIII", 1, 0, type_, size + size_delta, error) + body


def check_request(msg):
    if len(msg) < 24:
        return None
    major, minor, type_, size, error, rsize, idsize = struct.unpack("<HHIIIII", msg[:24])
    if major != 1 or type_ != 0 or size != len(msg) or error != 0:
        return None
    if rsize != 1024 or 24 + rsize + idsize != size:
        return None
    return msg[24:24 + rsize]


def serve(c, args, template):
    n = struct.unpack(">I", recv_exact(c, 4))[0]
    if n > 1 << 20:
        return
    report = check_request(recv_exact(c, n))
    if args.mode == "close":
        return
    if args.mode == "short":
        c.sendall(struct.pack(">I", 100) + bytes(10))
        return
    if args.mode == "huge":
        c.sendall(struct.pack(">I", 16 << 20) + bytes(64))
        return
    if report is None:
        msg = response(b"", error=ERR_INVALID_PARAMETER)
    elif args.mode == "error":
        msg = response(b"", error=ERR_UNEXPECTED)
    else:
        q = bytearray(template)
        off = args.reportdata_offset
        q[off:off + 64] = report[128:192]
        msg = response(bytes(q), type_=3 if args.mode == "bad-type" else 1,
                       size_delta=1 if args.mode == "bad-size" else 0)
    c.sendall(struct.pack(">I", len(msg)) + msg)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("socket")
    ap.add_argument("--quote", required=True)
    ap.add_argument("--reportdata-offset", type=int, default=568)
    ap.add_argument("--mode", default="ok",
                    choices=["ok", "error", "bad-type", "bad-size", "huge", "close", "short"])
    args = ap.parse_args()
    template = open(args.quote, "rb").read()
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    if os.path.exists(args.socket):
        os.unlink(args.socket)
    s.bind(args.socket)
    s.listen(4)
    while True:
        c, _ = s.accept()
        with c:
            try:
                serve(c, args, template)
            except (EOFError, OSError) as e:
                print("qgs-test-server:", e, file=sys.stderr)


if __name__ == "__main__":
    main()
