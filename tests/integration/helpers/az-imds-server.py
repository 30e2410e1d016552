#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""A stand-in for Azure IMDS for tests/integration/test-attester-tpm.sh (stdlib only).

  GET  /metadata/THIM/amd/certification  {"vcekCert": first PEM block of --vcek-pem,
                                           "certificateChain": the rest}
  POST /acc/tdquote                       {"report": base64 of a TDREPORT} ->
                                           {"quote": url-safe base64 of --td-quote}
Both require "Metadata: true" (else 400), as IMDS does. Each TDREPORT received is
written (decoded) to --report-out. Listens on 127.0.0.1, a random port written to
--port-file once ready.
"""
import argparse
import base64
import http.server
import json
import os
import re


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--vcek-pem", required=True)
    ap.add_argument("--td-quote", required=True)
    ap.add_argument("--report-out", required=True)
    ap.add_argument("--port-file", required=True)
    args = ap.parse_args()

    pem = open(args.vcek_pem).read()
    blocks = re.findall(r"-----BEGIN CERTIFICATE-----.*?-----END CERTIFICATE-----\n?", pem, re.S)
    certs = json.dumps({"vcekCert": blocks[0], "certificateChain": "".join(blocks[1:])}).encode()
    quote = open(args.td_quote, "rb").read()

    class Handler(http.server.BaseHTTPRequestHandler):
        def log_message(self, *a):
            pass

        def reply(self, code, body):
            self.send_response(code)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def do_GET(self):
            if self.headers.get("Metadata") != "true":
                return self.reply(400, b'{"error":"Bad request. Required metadata header not specified"}')
            if self.path == "/metadata/THIM/amd/certification":
                return self.reply(200, certs)
            self.reply(404, b"{}")

        def do_POST(self):
            if self.headers.get("Metadata") != "true":
                return self.reply(400, b'{"error":"Bad request. Required metadata header not specified"}')
            body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
            if self.path != "/acc/tdquote":
                return self.reply(404, b"{}")
            try:
                report = base64.b64decode(json.loads(body)["report"], validate=True)
            except Exception:
                return self.reply(400, b'{"error":"bad report"}')
            with open(args.report_out, "wb") as f:
                f.write(report)
            self.reply(200, json.dumps({"quote": base64.urlsafe_b64encode(quote).decode().rstrip("=")}).encode())

    srv = http.server.HTTPServer(("127.0.0.1", 0), Handler)
    tmp = args.port_file + ".tmp"
    with open(tmp, "w") as f:
        f.write(str(srv.server_address[1]))
    os.rename(tmp, args.port_file)
    srv.serve_forever()


if __name__ == "__main__":
    main()
