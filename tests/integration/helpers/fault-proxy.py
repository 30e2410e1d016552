#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
# A fault-injecting HTTP proxy for test-image-faults.sh: sits between image-pull and a
# real registry (plain HTTP), forwards every request (Range included) and misbehaves on
# GETs of blobs larger than --min-size:
#   drop     send the headers and half the body, then close (first --count attempts)
#   stall    the same, but wait --stall-s seconds before closing (first --count)
#   5xx      answer 503 (first --count attempts)
#   corrupt  flip one byte in the middle of the body (every attempt)
# Writes its port to --port-file and "blob attempt N <status>" lines to stdout.
import argparse
import http.client
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

ap = argparse.ArgumentParser()
ap.add_argument("--upstream", required=True)  # host:port
ap.add_argument("--mode", choices=("drop", "stall", "5xx", "corrupt", "none"), required=True)
ap.add_argument("--count", type=int, default=1)
ap.add_argument("--stall-s", type=float, default=3.0)
ap.add_argument("--min-size", type=int, default=100000)
ap.add_argument("--port-file", required=True)
args = ap.parse_args()
lock = threading.Lock()
attempts = 0


class Proxy(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *a):
        pass

    def forward(self, body=True):
        global attempts
        up = http.client.HTTPConnection(args.upstream, timeout=30)
        hdrs = {k: v for k, v in self.headers.items() if k.lower() not in ("host", "connection")}
        up.request(self.command, self.path, headers=hdrs)
        r = up.getresponse()
        data = r.read() if body else b""
        target = body and "/blobs/" in self.path and r.status in (200, 206) and \
            int(r.getheader("Content-Length", "0")) >= args.min_size
        n = 0
        if target:
            with lock:
                attempts += 1
                n = attempts
        fault = target and (args.mode == "corrupt" or (args.mode != "none" and n <= args.count))
        if fault and args.mode == "5xx":
            print(f"blob attempt {n} 503", flush=True)
            self.send_response(503)
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        self.send_response(r.status)
        for k, v in r.getheaders():
            if k.lower() not in ("connection", "transfer-encoding", "keep-alive"):
                self.send_header(k, v)
        self.end_headers()
        if not body:
            return
        if fault and args.mode == "corrupt":
            print(f"blob attempt {n} corrupt", flush=True)
            b = bytearray(data)
            b[len(b) // 2] ^= 0xFF
            self.wfile.write(bytes(b))
            return
        if fault:  # drop or stall: half the body, then the connection goes
            print(f"blob attempt {n} {args.mode}", flush=True)
            self.wfile.write(data[: len(data) // 2])
            self.wfile.flush()
            if args.mode == "stall":
                time.sleep(args.stall_s)
            self.close_connection = True
            self.connection.shutdown(2)
            return
        if target:
            print(f"blob attempt {n} ok", flush=True)
        self.wfile.write(data)

    def do_GET(self):
        self.forward()

    def do_HEAD(self):
        self.forward(body=False)


srv = ThreadingHTTPServer(("127.0.0.1", 0), Proxy)
with open(args.port_file + ".tmp", "w") as f:
    f.write(str(srv.server_address[1]))
import os
os.rename(args.port_file + ".tmp", args.port_file)
srv.serve_forever()
