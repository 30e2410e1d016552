#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
# A small Docker registry token server (distribution's token auth spec) for
# test-registry.sh: GET /token?service=S&scope=repository:NAME:ACTIONS, optional Basic
# credentials. Grants every requested action to USER:PASS, "pull" only to anonymous
# callers, and answers 401 to wrong credentials. Tokens are RS256 JWTs signed with the
# openssl CLI; their header carries the signing certificate in x5c, which the registry
# trusts as its rootcertbundle. Serves HTTPS when --tls-cert/--tls-key are given.
# Writes its port to --port-file and every request line (without credentials) to stdout.
import argparse
import base64
import json
import os
import ssl
import subprocess
import sys
import time
import uuid
from http.server import BaseHTTPRequestHandler, HTTPServer
from urllib.parse import parse_qs, urlparse

ap = argparse.ArgumentParser()
ap.add_argument("--key", required=True)
ap.add_argument("--cert", required=True)
ap.add_argument("--issuer", required=True)
ap.add_argument("--user", required=True, help="USER:PASS")
ap.add_argument("--port-file", required=True)
ap.add_argument("--tls-cert")
ap.add_argument("--tls-key")
ap.add_argument("--expires-in", type=int, default=300)
args = ap.parse_args()

der = subprocess.run(["openssl", "x509", "-in", args.cert, "-outform", "DER"],
                     capture_output=True, check=True).stdout


def b64url(b):
    return base64.urlsafe_b64encode(b).rstrip(b"=").decode()


def jwt(claims):
    header = {"typ": "JWT", "alg": "RS256", "x5c": [base64.b64encode(der).decode()]}
    signing_input = (b64url(json.dumps(header).encode()) + "." +
                     b64url(json.dumps(claims).encode())).encode()
    sig = subprocess.run(["openssl", "dgst", "-sha256", "-sign", args.key],
                         input=signing_input, capture_output=True, check=True).stdout
    return signing_input.decode() + "." + b64url(sig)


class Handler(BaseHTTPRequestHandler):
    def log_message(self, fmt, *a):
        pass

    def reply(self, code, body=b"", ctype="application/json"):
        self.send_response(code)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self):
        url = urlparse(self.path)
        q = parse_qs(url.query)
        hdr = self.headers.get("Authorization", "")
        user = None
        if hdr.startswith("Basic "):
            try:
                cred = base64.b64decode(hdr[6:], validate=True).decode()
            except Exception:
                cred = ""
            if cred != args.user:
                print("token 401 bad-credentials", flush=True)
                return self.reply(401, b'{"details":"invalid username/password"}')
            user = cred.split(":", 1)[0]
        access = []
        for scope in q.get("scope", []):
            for s in scope.split(" "):
                parts = s.split(":")
                if len(parts) < 3:
                    continue
                typ, name, actions = parts[0], ":".join(parts[1:-1]), parts[-1].split(",")
                if user is None:
                    actions = [a for a in actions if a == "pull"]
                access.append({"type": typ, "name": name, "actions": actions})
        print("token 200 user=%s service=%s scope=%s" % (
            user or "-", ",".join(q.get("service", [])), " ".join(q.get("scope", []))),
            flush=True)
        now = int(time.time())
        tok = jwt({"iss": args.issuer, "sub": user or "", "aud": q.get("service", [""])[0],
                   "exp": now + args.expires_in, "nbf": now - 10, "iat": now,
                   "jti": str(uuid.uuid4()), "access": access})
        body = {"token": tok, "expires_in": args.expires_in}
        self.reply(200, json.dumps(body).encode())


srv = HTTPServer(("127.0.0.1", 0), Handler)
if args.tls_cert:
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(args.tls_cert, args.tls_key)
    srv.socket = ctx.wrap_socket(srv.socket, server_side=True)
with open(args.port_file + ".tmp", "w") as f:
    f.write("%d\n" % srv.server_address[1])
os.rename(args.port_file + ".tmp", args.port_file)
try:
    srv.serve_forever()
except KeyboardInterrupt:
    sys.exit(0)
