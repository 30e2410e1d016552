#!/usr/bin/python3
# SPDX-License-Identifier: Apache-2.0
# A registry front that adds the signature API extension (GET
# /extensions/v2/<repo>/signatures/<alg>:<hex>, as OpenShift's and Quay's registries serve
# it and c/image reads it) to a registry without it (Debian's docker-registry), answering
# from a lookaside directory in the layout skopeo --sign-by writes
# (<dir>/<repo>@<alg>=<hex>/signature-N). Everything else is passed through.
#   registry-sig-ext.py LISTEN_PORT UPSTREAM_PORT LOOKASIDE_DIR
import base64
import http.client
import http.server
import json
import os
import re
import sys

LISTEN, UPSTREAM, LOOKASIDE = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
EXT = re.compile(r"^/extensions/v2/(.+)/signatures/([a-z0-9]+):([a-f0-9]+)$")
HOP = {"connection", "keep-alive", "transfer-encoding", "te", "trailer", "upgrade"}


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass

    def reply(self, code, body, ctype="application/json"):
        self.send_response(code)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def extension(self, m):
        d = os.path.join(LOOKASIDE, "%s@%s=%s" % m.groups())
        sigs = []
        for i in range(1, 65):
            p = os.path.join(d, "signature-%d" % i)
            if not os.path.exists(p):
                break
            sigs.append({"version": 2, "type": "atomic", "name": "%s:%s@%d" % (m[2], m[3], i),
                         "content": base64.b64encode(open(p, "rb").read()).decode()})
        if not sigs:
            return self.reply(404, b'{"errors":[{"code":"NOT_FOUND"}]}')
        self.reply(200, json.dumps({"signatures": sigs}).encode())

    def forward(self):
        c = http.client.HTTPConnection("127.0.0.1", UPSTREAM, timeout=30)
        hdrs = {k: v for k, v in self.headers.items() if k.lower() not in HOP}
        c.request(self.command, self.path, headers=hdrs)
        r = c.getresponse()
        body = r.read()
        self.send_response(r.status)
        for k, v in r.getheaders():
            if k.lower() not in HOP and k.lower() != "content-length":
                self.send_header(k, v)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)
        c.close()

    def do_GET(self):
        m = EXT.match(self.path)
        if m:
            return self.extension(m)
        self.forward()

    do_HEAD = do_GET


http.server.ThreadingHTTPServer(("127.0.0.1", LISTEN), Handler).serve_forever()
