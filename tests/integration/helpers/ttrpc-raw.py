#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""Raw-frame ttrpc checks (stdlib only). Usage:
  ttrpc-raw.py robustness SOCKET   hostile input against a test.Echo server, TAP lines
  ttrpc-raw.py frame SOCKET HEX    send the frame HEX, print the reply frame as hex
"""
import socket
import struct
import sys
import threading
import time

MAX = 4 << 20


def enc_varint(v):
    out = b""
    while v >= 0x80:
        out += bytes([(v & 0x7F) | 0x80])
        v >>= 7
    return out + bytes([v])


def field(num, data):
    return enc_varint(num << 3 | 2) + enc_varint(len(data)) + data


def request(service, method, payload=b"", timeout=0):
    m = field(1, service.encode()) + field(2, method.encode())
    if payload:
        m += field(3, payload)
    if timeout:
        m += enc_varint(4 << 3) + enc_varint(timeout)
    return m


def frame(stream, data, typ=1, flags=0, length=None):
    n = len(data) if length is None else length
    return struct.pack(">IIBB", n, stream, typ, flags) + data


def connect(path):
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.settimeout(10)
    s.connect(path)
    return s


def read_exact(s, n):
    b = b""
    while len(b) < n:
        c = s.recv(n - len(b))
        if not c:
            raise EOFError("connection closed")
        b += c
    return b


def read_frame(s):
    h = read_exact(s, 10)
    n, stream, typ, flags = struct.unpack(">IIBB", h)
    return stream, typ, read_exact(s, n), h


def parse_fields(b):
    """Top-level length-delimited and varint fields of a protobuf message."""
    out, i = {}, 0
    while i < len(b):
        key, i = varint(b, i)
        if key & 7 == 0:
            v, i = varint(b, i)
        elif key & 7 == 2:
            n, i = varint(b, i)
            v, i = b[i:i + n], i + n
        else:
            raise ValueError("wire type")
        out[key >> 3] = v
    return out


def varint(b, i):
    v = s = 0
    while True:
        c = b[i]
        i += 1
        v |= (c & 0x7F) << s
        s += 7
        if c < 0x80:
            return v, i


def status_of(data):
    f = parse_fields(data)
    st = parse_fields(f.get(1, b""))
    return st.get(1, 0), st.get(2, b"").decode(), f.get(2, b"")


def echo_ok(path):
    s = connect(path)
    s.sendall(frame(1, request("test.Echo", "Echo", field(1, b"ping"))))
    _, _, data, _ = read_frame(s)
    s.close()
    return status_of(data) == (0, "", field(1, b"ping"))


n = 0
failed = 0


def check(name, ok, diag=""):
    global n, failed
    n += 1
    if not ok:
        failed += 1
    print(("ok" if ok else "not ok") + f" {n} {name}" + (f" # {diag}" if diag and not ok else ""))
    sys.stdout.flush()


def robustness(path):
    tests = [
        ("truncated header then EOF", lambda s: s.sendall(b"\x00\x00\x00")),
        ("truncated body then EOF",
         lambda s: s.sendall(frame(1, request("test.Echo", "Echo"))[:14])),
        ("garbage bytes then EOF", lambda s: s.sendall(b"\xff" * 64)),
    ]
    for name, act in tests:
        s = connect(path)
        act(s)
        s.shutdown(socket.SHUT_WR)
        try:
            closed = s.recv(100) == b""
        except OSError:
            closed = True
        s.close()
        check(f"{name}: connection closed", closed)
        check(f"{name}: server keeps serving", echo_ok(path))

    s = connect(path)
    s.sendall(frame(2, request("test.Echo", "Echo")))
    code, msg, _ = status_of(read_frame(s)[2])
    check("even stream id: INVALID_ARGUMENT", (code, msg) == (3, "stream id must be odd"), msg)

    s.sendall(frame(3, b"\x0a\xff\xff\xff\xff\x0f"))
    code, msg, _ = status_of(read_frame(s)[2])
    check("garbage Request envelope: INVALID_ARGUMENT", code == 3, f"{code} {msg}")

    big = MAX + 4096
    s.sendall(struct.pack(">IIBB", big, 5, 1, 0))
    chunk = b"\0" * 65536
    left = big
    while left:
        k = min(left, len(chunk))
        s.sendall(chunk[:k])
        left -= k
    stream, _, data, _ = read_frame(s)
    code, msg, _ = status_of(data)
    check("oversized frame: INVALID_ARGUMENT on its stream",
          stream == 5 and code == 3 and
          msg == f"message length {big} exceed maximum message size of {MAX}", f"{code} {msg}")
    s.sendall(frame(7, request("test.Echo", "Echo", field(1, b"after"))))
    check("same connection serves after an oversized frame",
          status_of(read_frame(s)[2]) == (0, "", field(1, b"after")))
    s.close()

    s = connect(path)
    t = time.time()
    s.sendall(frame(9, request("test.Echo", "Sleep", field(1, b"z") + b"\x10\xd0\x0f",
                               timeout=300_000_000)))
    stream, _, data, _ = read_frame(s)
    el = time.time() - t
    code, msg, _ = status_of(data)
    check("deadline: DEADLINE_EXCEEDED 'timeout' at the deadline, not after the handler",
          (stream, code, msg) == (9, 4, "timeout") and 0.25 < el < 1.5, f"{code} {msg} {el:.2f}s")
    s.close()

    stalled = connect(path)
    stalled.sendall(b"\x00\x00\x00\x10\x00")
    t = time.time()
    check("a stalled connection does not block others", echo_ok(path) and time.time() - t < 2)

    results = []

    def one():
        try:
            results.append(echo_ok(path))
        except Exception as e:  # noqa: BLE001
            results.append(False)
    ths = [threading.Thread(target=one) for _ in range(200)]
    for th in ths:
        th.start()
    for th in ths:
        th.join()
    check("200 connections at once all served", results.count(True) == 200,
          f"{results.count(True)} of 200")
    stalled.close()
    print(f"1..{n}")
    return 1 if failed else 0


if __name__ == "__main__":
    if sys.argv[1] == "robustness":
        sys.exit(robustness(sys.argv[2]))
    if sys.argv[1] == "frame":
        s = connect(sys.argv[2])
        s.sendall(bytes.fromhex(sys.argv[3]))
        _, _, data, h = read_frame(s)
        print((h + data).hex())
