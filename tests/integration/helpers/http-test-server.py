#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""Real peers for tests/integration/test-http.sh, Python stdlib only.

One process serves, each on its own random 127.0.0.1 port:
  http      plain HTTP origin (routes below)
  https13   the same routes over TLS 1.3 only, certificate for 127.0.0.1/localhost
  https12   the same routes over TLS 1.2 only
  wrongname TLS with a certificate for another host name
  proxy     a forward proxy: CONNECT tunnels and absolute-URI requests, loopback only,
            one line per request in --proxy-log
When all are listening it writes "name port" lines to --ports (atomically).
"""
import argparse
import hashlib
import http.client
import http.server
import os
import select
import socket
import ssl
import sys
import threading
import time
import urllib.parse

BLOCK = b"".join(hashlib.sha256(i.to_bytes(4, "big")).digest() for i in range(32768))  # 1 MiB
SESSION = "3f2a9c0d5e6b4a7c8d9e0f1a2b3c4d5e"


def body_of(size):
    """Deterministic pseudo-random bytes, yielded in pieces."""
    left = size
    while left > 0:
        piece = BLOCK[: min(left, len(BLOCK))]
        left -= len(piece)
        yield piece


def sha256_of(size):
    h = hashlib.sha256()
    for piece in body_of(size):
        h.update(piece)
    return h.hexdigest()


class Origin(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, fmt, *args):
        pass

    def reply(self, code, body=b"", headers=(), ctype="text/plain"):
        self.send_response(code)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        for k, v in headers:
            self.send_header(k, v)
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def read_body(self):
        n = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(n) if n else b""

    def do_GET(self):
        self.route()

    do_HEAD = do_POST = do_PUT = do_DELETE = do_GET

    def route(self):
        u = urllib.parse.urlsplit(self.path)
        q = dict(urllib.parse.parse_qsl(u.query))
        path = u.path
        body = self.read_body()

        if path == "/ok":
            self.reply(200, b"hello\n", [
                ("Docker-Content-Digest", "sha256:" + hashlib.sha256(b"hello\n").hexdigest()),
                ("X-Mixed-CASE", "  padded value  "),
            ])
        elif path == "/echo":
            lines = [
                "method " + self.command,
                "authorization " + ("yes" if self.headers.get("Authorization") else "no"),
                "content-type " + (self.headers.get("Content-Type") or "-"),
                "x-test " + (self.headers.get("X-Test") or "-"),
                "user-agent " + (self.headers.get("User-Agent") or "-"),
                "req_body_len %d" % len(body),
                "req_body_sha256 " + hashlib.sha256(body).hexdigest(),
                "via-proxy " + ("yes" if self.headers.get("X-Via-Test-Proxy") else "no"),
            ]
            self.reply(200, ("\n".join(lines) + "\n").encode())
        elif path == "/big":
            size = int(q.get("size", "1048576"))
            chunked = q.get("chunked") == "1"
            self.send_response(200)
            self.send_header("Content-Type", "application/octet-stream")
            self.send_header("X-Body-Sha256", sha256_of(size))
            if chunked:
                self.send_header("Transfer-Encoding", "chunked")
            else:
                self.send_header("Content-Length", str(size))
            self.end_headers()
            if self.command == "HEAD":
                return
            try:
                for piece in body_of(size):
                    for i in range(0, len(piece), 65536):
                        part = piece[i:i + 65536]
                        if chunked:
                            self.wfile.write(b"%x\r\n%s\r\n" % (len(part), part))
                        else:
                            self.wfile.write(part)
                if chunked:
                    self.wfile.write(b"0\r\n\r\n")
            except (BrokenPipeError, ConnectionResetError):
                self.close_connection = True
        elif path == "/range":
            data = b"".join(body_of(1000))
            rng = self.headers.get("Range")
            if rng and rng.startswith("bytes=") and rng.endswith("-"):
                start = int(rng[6:-1])
                self.reply(206, data[start:], [("Content-Range", "bytes %d-999/1000" % start)],
                           "application/octet-stream")
            else:
                self.reply(200, data, ctype="application/octet-stream")
        elif path == "/redirect":
            self.reply(int(q.get("code", "302")), b"moved\n", [("Location", q["to"])])
        elif path.startswith("/chain/"):
            n = int(path[len("/chain/"):])
            if n > 0:
                self.reply(302, b"", [("Location", "/chain/%d" % (n - 1))])
            else:
                self.reply(200, b"end of chain\n")
        elif path == "/slow":
            time.sleep(float(q.get("delay", "20")))
            self.reply(200, b"late\n")
        elif path == "/stall":
            # Headers and a little body, then nothing: the low-speed guard must fire.
            self.send_response(200)
            self.send_header("Content-Length", "100000")
            self.end_headers()
            self.wfile.write(b"x" * 10)
            self.wfile.flush()
            time.sleep(float(q.get("delay", "20")))
            self.close_connection = True
        elif path == "/drop":
            self.send_response(200)
            self.send_header("Content-Length", "100000")
            self.end_headers()
            self.wfile.write(b"x" * 1000)
            self.wfile.flush()
            self.close_connection = True
        elif path == "/set-cookie":
            self.reply(200, b"set\n", [("Set-Cookie", "kbs-session-id=%s; Path=/; HttpOnly" % SESSION)])
        elif path == "/clear-cookie":
            self.reply(200, b"cleared\n", [("Set-Cookie", "kbs-session-id=; Path=/; Max-Age=0")])
        elif path == "/need-cookie":
            cookie = self.headers.get("Cookie") or ""
            if "kbs-session-id=" + SESSION in cookie:
                self.reply(200, b"cookie ok\n")
            else:
                self.reply(401, b"no session\n")
        elif path == "/auth":
            if self.headers.get("Authorization") == "Bearer good-token":
                self.reply(200, b"welcome\n")
            else:
                self.reply(401, b'{"errors":[{"code":"UNAUTHORIZED"}]}', [
                    ("WWW-Authenticate",
                     'Bearer realm="http://127.0.0.1/token",service="test",scope="repository:a/b:pull"'),
                    ("Www-Authenticate", 'Basic realm="test"'),
                ], "application/json")
        else:
            self.reply(404, b"not found\n")


LOOPBACK = ("127.0.0.1", "localhost", "::1")


class Proxy(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    log_path = None
    log_lock = threading.Lock()

    def log_message(self, fmt, *args):
        pass

    def note(self, line):
        with self.log_lock, open(self.log_path, "a") as f:
            f.write(line + "\n")

    def do_CONNECT(self):
        host, _, port = self.path.rpartition(":")
        self.note("CONNECT " + self.path)
        if host.strip("[]") not in LOOPBACK:
            self.send_error(403)
            return
        try:
            up = socket.create_connection((host.strip("[]"), int(port)), timeout=10)
        except OSError:
            self.send_error(502)
            return
        self.send_response(200, "Connection established")
        self.end_headers()
        self.close_connection = True
        conns = [self.connection, up]
        try:
            while True:
                ready, _, _ = select.select(conns, [], [], 30)
                if not ready:
                    break
                for s in ready:
                    data = s.recv(65536)
                    if not data:
                        return
                    (up if s is self.connection else self.connection).sendall(data)
        except OSError:
            pass
        finally:
            up.close()

    def do_GET(self):
        self.note(self.command + " " + self.path)
        u = urllib.parse.urlsplit(self.path)
        if u.scheme != "http" or u.hostname not in LOOPBACK:
            self.send_error(403)
            return
        n = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(n) if n else None
        headers = {k: v for k, v in self.headers.items()
                   if k.lower() not in ("proxy-connection", "connection", "keep-alive")}
        headers["X-Via-Test-Proxy"] = "1"
        up = http.client.HTTPConnection(u.hostname, u.port or 80, timeout=30)
        up.request(self.command, u.path + ("?" + u.query if u.query else ""), body, headers)
        r = up.getresponse()
        data = r.read()
        self.send_response(r.status, r.reason)
        for k, v in r.getheaders():
            if k.lower() not in ("connection", "keep-alive", "transfer-encoding", "content-length"):
                self.send_header(k, v)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(data)
        up.close()

    do_HEAD = do_POST = do_PUT = do_DELETE = do_GET


class Server(http.server.ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True


def tls_server(cert, key, minv, maxv):
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(cert, key)
    ctx.minimum_version = minv
    ctx.maximum_version = maxv
    srv = Server(("127.0.0.1", 0), Origin)
    srv.socket = ctx.wrap_socket(srv.socket, server_side=True)
    return srv


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--cert", required=True)
    ap.add_argument("--key", required=True)
    ap.add_argument("--wrong-cert", required=True)
    ap.add_argument("--wrong-key", required=True)
    ap.add_argument("--ports", required=True)
    ap.add_argument("--proxy-log", required=True)
    ap.add_argument("--lifetime", type=float, default=120)
    a = ap.parse_args()

    Proxy.log_path = a.proxy_log
    open(a.proxy_log, "w").close()
    V = ssl.TLSVersion
    servers = {
        "http": Server(("127.0.0.1", 0), Origin),
        "https13": tls_server(a.cert, a.key, V.TLSv1_3, V.TLSv1_3),
        "https12": tls_server(a.cert, a.key, V.TLSv1_2, V.TLSv1_2),
        "wrongname": tls_server(a.wrong_cert, a.wrong_key, V.TLSv1_2, V.TLSv1_3),
        "proxy": Server(("127.0.0.1", 0), Proxy),
    }
    for s in servers.values():
        threading.Thread(target=s.serve_forever, daemon=True).start()
    tmp = a.ports + ".tmp"
    with open(tmp, "w") as f:
        for name, s in servers.items():
            f.write("%s %d\n" % (name, s.server_address[1]))
    os.rename(tmp, a.ports)
    # Never outlive a test that forgot to stop us.
    time.sleep(a.lifetime)
    sys.exit(0)


if __name__ == "__main__":
    main()
