#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
# A fake distribution-API registry over plain HTTP that misbehaves on purpose, for
# test-registry.sh: every /v2/ request needs a Bearer token from its own /token endpoint;
# the layer blob breaks off half way on the first GET and answers 503 on the second;
# the config blob is a 307 redirect to "blob storage" on another host name (localhost
# instead of 127.0.0.1), which refuses any request carrying an Authorization header.
# Serves one image f/img:v1 (OCI manifest, one 300 kB layer). Writes its port to
# --port-file and one line per event to stdout.
import argparse
import gzip
import hashlib
import io
import json
import os
import ssl
import tarfile
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

ap = argparse.ArgumentParser()
ap.add_argument("--port-file", required=True)
# TLS for the registry; the token realm it announces stays http:// (a client must refuse
# to send credentials there)
ap.add_argument("--tls-cert")
ap.add_argument("--tls-key")
args = ap.parse_args()


def sha(b):
    return "sha256:" + hashlib.sha256(b).hexdigest()


tar = io.BytesIO()
with tarfile.open(fileobj=tar, mode="w") as t:
    data = os.urandom(300000)
    info = tarfile.TarInfo("payload")
    info.size = len(data)
    t.addfile(info, io.BytesIO(data))
layer_tar = tar.getvalue()
layer = gzip.compress(layer_tar)
config = json.dumps({"architecture": "amd64", "os": "linux",
                     "rootfs": {"type": "layers", "diff_ids": [sha(layer_tar)]},
                     "config": {"Cmd": ["/payload"]}}).encode()
manifest = json.dumps({
    "schemaVersion": 2, "mediaType": "application/vnd.oci.image.manifest.v1+json",
    "config": {"mediaType": "application/vnd.oci.image.config.v1+json",
               "digest": sha(config), "size": len(config)},
    "layers": [{"mediaType": "application/vnd.oci.image.layer.v1.tar+gzip",
                "digest": sha(layer), "size": len(layer)}]}).encode()
TOKEN = "fault-token-" + hashlib.sha256(os.urandom(8)).hexdigest()[:16]
layer_gets = 0


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, fmt, *a):
        pass

    def event(self, s):
        print(s, flush=True)

    def reply(self, code, body=b"", ctype="application/octet-stream", extra=()):
        self.send_response(code)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        for k, v in extra:
            self.send_header(k, v)
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def do_HEAD(self):
        self.do_GET()

    def do_GET(self):
        global layer_gets
        host = self.headers.get("Host", "")
        port = self.server.server_address[1]
        authz = self.headers.get("Authorization")
        if self.path.startswith("/token"):
            self.event("token request")
            return self.reply(200, json.dumps({"access_token": TOKEN, "expires_in": 300}).encode(),
                              "application/json")
        if self.path.startswith("/storage/"):
            self.event("storage auth=%s host=%s" % ("present" if authz else "none", host))
            if authz:
                return self.reply(400, b"Authorization leaked to blob storage")
            return self.reply(200, config)
        if authz != "Bearer " + TOKEN:
            self.event("challenge %s" % self.path)
            return self.reply(401, b'{"errors":[{"code":"UNAUTHORIZED"}]}', "application/json",
                              [("WWW-Authenticate",
                                'Bearer realm="http://127.0.0.1:%d/token",service="fault",'
                                'scope="repository:f/img:pull"' % port)])
        if self.path == "/v2/f/img/manifests/v1":
            return self.reply(200, manifest, "application/vnd.oci.image.manifest.v1+json",
                              [("Docker-Content-Digest", sha(manifest))])
        if self.path == "/v2/f/img/blobs/" + sha(config):
            self.event("config redirect")
            return self.reply(307, b"", extra=[
                ("Location", "http://localhost:%d/storage/%s" % (port, sha(config)))])
        if self.path == "/v2/f/img/blobs/" + sha(layer):
            layer_gets += 1
            self.event("layer attempt %d" % layer_gets)
            if layer_gets == 1:
                # headers for the whole blob, half the body, then a dropped connection
                self.send_response(200)
                self.send_header("Content-Length", str(len(layer)))
                self.end_headers()
                self.wfile.write(layer[:len(layer) // 2])
                self.wfile.flush()
                self.close_connection = True
                self.connection.shutdown(2)
                return
            if layer_gets == 2:
                return self.reply(503, b"try later")
            return self.reply(200, layer)
        self.reply(404, b"{}", "application/json")


srv = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
if args.tls_cert:
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(args.tls_cert, args.tls_key)
    srv.socket = ctx.wrap_socket(srv.socket, server_side=True)
with open(args.port_file + ".tmp", "w") as f:
    f.write("%d\n" % srv.server_address[1])
os.rename(args.port_file + ".tmp", args.port_file)
srv.serve_forever()
