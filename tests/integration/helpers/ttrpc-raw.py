#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""Raw-socket abuse of a ttrpc server serving test.Echo (test.proto), stdlib only.

Usage: ttrpc-raw.py SOCKET SCENARIO, or ttrpc-raw.py SOCKET frame HEX to send raw bytes
and print the reply frame in hex. Exits 0 when the server behaved: every malformed
input is answered or the connection closed as ttrpc-rust would, and the server keeps
serving other connections (and the same one, where the protocol allows)."""
import os
import socket
import struct
import sys
import time

MAX = 4 << 20
SOCK = sys.argv[1]


def varint(v):
    out = bytearray()
    while v >= 0x80:
        out.append((v & 0x7F) | 0x80)
        v >>= 7
    out.append(v)
    return bytes(out)


def field(num, data):
    return varint(num << 3 | 2) + varint(len(data)) + data


def request(service, method, payload=b"", timeout_nano=0):
    b = field(1, service.encode()) + field(2, method.encode())
    if payload:
        b += field(3, payload)
    if timeout_nano:
        b += varint(4 << 3) + varint(timeout_nano)
    return b


def frame(stream, body, mtype=1, flags=0, length=None):
    n = len(body) if length is None else length
    return struct.pack(">IIBB", n, stream, mtype, flags) + body


def echo_frame(stream, data):
    return frame(stream, request("test.Echo", "Echo", field(1, data)))


def parse(b):
    """protobuf fields -> {num: [value, ...]} (varints as int, the rest as bytes)"""
    out, i = {}, 0
    while i < len(b):
        key, i = read_varint(b, i)
        num, wt = key >> 3, key & 7
        if wt == 0:
            v, i = read_varint(b, i)
        elif wt == 2:
            n, i = read_varint(b, i)
            v, i = b[i:i + n], i + n
        else:
            raise ValueError("wire type %d" % wt)
        out.setdefault(num, []).append(v)
    return out


def read_varint(b, i):
    v = shift = 0
    while True:
        c = b[i]
        i += 1
        v |= (c & 0x7F) << shift
        shift += 7
        if c < 0x80:
            return v, i


def connect():
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.connect(SOCK)     # blocking, as Go's and Rust's clients wait for a full backlog
    s.settimeout(10)
    return s


def recv_exact(s, n):
    b = b""
    while len(b) < n:
        c = s.recv(n - len(b))
        if not c:
            raise EOFError("connection closed")
        b += c
    return b


def response(s):
    """-> (stream, code, message, payload)"""
    n, stream, mtype, flags = struct.unpack(">IIBB", recv_exact(s, 10))
    assert mtype == 2 and flags == 0, (mtype, flags)
    f = parse(recv_exact(s, n))
    st = parse(f.get(1, [b""])[0])
    return (stream, st.get(1, [0])[0], st.get(2, [b""])[0].decode(), f.get(2, [b""])[0])


def expect_echo(s, stream, data):
    got = response(s)
    assert got[:2] == (stream, 0), got[:3]
    assert parse(got[3]).get(1, [b""])[0] == data, "wrong echo"


def expect_status(s, stream, code, message=None):
    got = response(s)
    assert got[0] == stream and got[1] == code, got[:3]
    if message is not None:
        assert got[2] == message, got[2]


def served(data=b"still serving"):
    with connect() as s:
        s.sendall(echo_frame(1, data))
        expect_echo(s, 1, data)


def closed_by_peer(s, timeout):
    s.settimeout(timeout)
    try:
        while s.recv(4096):
            pass
        return True
    except (socket.timeout, TimeoutError):
        return False
    except ConnectionResetError:
        return True


def truncated_header():
    with connect() as s:
        s.sendall(b"\x00\x00\x00")
    served()


def truncated_body():
    with connect() as s:
        f = echo_frame(1, b"x" * 100)
        s.sendall(f[:40])
    served()


def oversized():
    with connect() as s:
        s.sendall(frame(3, b"", length=MAX + 1))
        chunk = b"\0" * 65536
        left = MAX + 1
        while left:
            k = min(left, len(chunk))
            s.sendall(chunk[:k])
            left -= k
        expect_status(s, 3, 3, "message length 4194305 exceed maximum message size of 4194304")
        s.sendall(echo_frame(5, b"after"))
        expect_echo(s, 5, b"after")


def oversized_huge():
    # 4 GiB announced, 8 MiB sent, then gone: the server must not try to buffer it
    with connect() as s:
        s.sendall(frame(1, b"", length=0xFFFFFFFF))
        chunk = b"\xff" * 65536
        for _ in range(128):
            s.sendall(chunk)
    served()


def even_stream():
    with connect() as s:
        s.sendall(echo_frame(2, b"x"))
        expect_status(s, 2, 3, "stream id must be odd")
        s.sendall(echo_frame(3, b"y"))
        expect_echo(s, 3, b"y")


def garbage_request():
    with connect() as s:
        s.sendall(frame(1, b"\x0a\x7f\x00\x01"))       # length past the end
        expect_status(s, 1, 3)
        s.sendall(frame(3, b"\x0b\x00"))               # start-group wire type
        expect_status(s, 3, 3)
        s.sendall(frame(5, request("test.Echo", "Echo", b"\xff\xff")))  # bad payload
        expect_status(s, 5, 3)
        s.sendall(frame(7, os.urandom(64) + b"\x0b"))  # noise
        expect_status(s, 7, 3)
        s.sendall(echo_frame(9, b"ok"))
        expect_echo(s, 9, b"ok")


def other_types():
    with connect() as s:
        s.sendall(frame(1, b"", mtype=3))               # Data for no stream
        expect_status(s, 1, 3, "Stream is no longer active")
        s.sendall(frame(3, b"\x0a\x00", mtype=2))       # a Response: ignored
        s.sendall(frame(5, b"", mtype=0x7f))            # unknown type: ignored
        s.sendall(echo_frame(7, b"z"))
        expect_echo(s, 7, b"z")


def pipelined():
    with connect() as s:
        s.sendall(b"".join(echo_frame(2 * i + 1, b"p%d" % i) for i in range(200)))
        got = {}
        for _ in range(200):
            stream, code, _, payload = response(s)
            assert code == 0
            got[stream] = parse(payload)[1][0]
        assert got == {2 * i + 1: b"p%d" % i for i in range(200)}


def stalled():
    # a connection stuck inside a frame does not hold up another one
    with connect() as a:
        a.sendall(echo_frame(1, b"x" * 1000)[:500])
        t0 = time.monotonic()
        served()
        assert time.monotonic() - t0 < 2, "served only after %.1fs" % (time.monotonic() - t0)
        # and it is still waiting for the rest (cut off only after 30 s)
        assert not closed_by_peer(a, 0.5)


def many():
    conns = [connect() for _ in range(200)]
    try:
        for i, s in enumerate(conns):
            s.sendall(echo_frame(1, b"c%d" % i))
        for i, s in enumerate(conns):
            expect_echo(s, 1, b"c%d" % i)
    finally:
        for s in conns:
            s.close()
    served()


def half_closed_peer():
    # the client hangs up with a call in flight: nothing breaks
    with connect() as s:
        s.sendall(frame(1, request("test.Echo", "Sleep", varint(1 << 3) + varint(300))))
    time.sleep(0.5)
    served()


def raw_frame(hexbytes):
    """Sends the bytes as given and prints the one reply frame, header included, in hex."""
    with connect() as s:
        s.sendall(bytes.fromhex(hexbytes))
        h = recv_exact(s, 10)
        print((h + recv_exact(s, struct.unpack(">I", h[:4])[0])).hex())


SCENARIOS = {f.__name__.replace("_", "-"): f for f in (
    truncated_header, truncated_body, oversized, oversized_huge, even_stream,
    garbage_request, other_types, pipelined, stalled, many, half_closed_peer)}

if __name__ == "__main__":
    if len(sys.argv) == 4 and sys.argv[2] == "frame":
        raw_frame(sys.argv[3])
        sys.exit(0)
    if len(sys.argv) != 3 or sys.argv[2] not in SCENARIOS:
        sys.exit("usage: ttrpc-raw.py SOCKET {frame HEX,%s}" % ",".join(SCENARIOS))
    SCENARIOS[sys.argv[2]]()
