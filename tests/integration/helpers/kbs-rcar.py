#!/usr/bin/python3
# SPDX-License-Identifier: Apache-2.0
# A second RCAR client, in Python, for checking tests/kbs/kbs.py's background-check path
# (session cookie instead of a Bearer token) and decrypting its JWE with python3-jwcrypto,
# an implementation independent of both kbs.py and cocobox.
#   kbs-rcar.py URL RESOURCE-PATH [--attest-twice] [--sleep S]
# Prints the plaintext on stdout; on an HTTP error prints "status N <body>" and exits 1.
import argparse
import base64
import hashlib
import http.cookiejar
import json
import os
import sys
import time
import urllib.error
import urllib.request

from jwcrypto import jwe, jwk

sys.path.insert(0, os.path.join(os.path.dirname(__file__), '..', '..', 'kbs'))
import kbs  # noqa: E402  (only its JCS, to build the sample evidence)

p = argparse.ArgumentParser()
p.add_argument('url')
p.add_argument('path')
p.add_argument('--attest-twice', action='store_true')
p.add_argument('--sleep', type=float, default=0)
a = p.parse_args()

jar = http.cookiejar.CookieJar()
opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))


def call(method, path, body=None):
    req = urllib.request.Request(a.url + path, method=method,
                                 data=json.dumps(body).encode() if body is not None else None,
                                 headers={'Content-Type': 'application/json'})
    try:
        with opener.open(req) as r:
            return r.read()
    except urllib.error.HTTPError as e:
        print('status %d %s' % (e.code, e.read().decode()))
        sys.exit(1)


key = jwk.JWK.generate(kty='EC', crv='P-256')
pub = json.loads(key.export_public())
tee_pubkey = {'kty': 'EC', 'crv': 'P-256', 'alg': 'ECDH-ES+A256KW', 'x': pub['x'], 'y': pub['y']}
challenge = json.loads(call('POST', '/kbs/v0/auth', {'version': '0.4.0', 'tee': 'sample',
                                                     'extra-params': ''}))
nonce = challenge['nonce']
rd = hashlib.sha384(kbs.jcs({'tee-pubkey': tee_pubkey, 'nonce': nonce,
                             'additional-evidence': ''}).encode()).digest()
att = {'init-data': None, 'runtime-data': {'nonce': nonce, 'tee-pubkey': tee_pubkey},
       'tee-evidence': {'primary_evidence': {'svn': '1', 'report_data': base64.b64encode(rd).decode()},
                        'additional_evidence': ''}}
t1 = json.loads(call('POST', '/kbs/v0/attest', att))['token']
if a.attest_twice:
    t2 = json.loads(call('POST', '/kbs/v0/attest', att))['token']
    if t1 != t2:
        print('second attest gave another token')
        sys.exit(1)
time.sleep(a.sleep)
tok = jwe.JWE()
tok.deserialize(call('GET', '/kbs/v0/resource/' + a.path).decode(), key=key)
sys.stdout.buffer.write(tok.payload)
