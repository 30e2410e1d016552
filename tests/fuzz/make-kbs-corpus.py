#!/usr/bin/python3
# SPDX-License-Identifier: Apache-2.0
"""Writes the seed corpora of fuzz-kbs-rcar and fuzz-cdh-kbs-resource: KBS answers as
tests/kbs/kbs.py makes them (its JWE and JWT code, imported), for the fixed test keys in
fuzz-cdh-kbs-resource.c, plus near misses. Run: tests/fuzz/make-kbs-corpus.py (needs
python3-cryptography); the output is committed, so the fuzz replay tests need nothing."""

import base64
import importlib.util
import json
import os
import re
import sys

from cryptography.hazmat.primitives import serialization

here = os.path.dirname(os.path.abspath(__file__))
spec = importlib.util.spec_from_file_location('kbs', os.path.join(here, '..', 'kbs', 'kbs.py'))
kbs = importlib.util.module_from_spec(spec)
spec.loader.exec_module(kbs)


def write(corpus, name, data):
    d = os.path.join(here, 'corpus', corpus)
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, name), 'wb') as f:
        f.write(data if isinstance(data, bytes) else data.encode())


def dumps(v):
    return json.dumps(v, separators=(',', ':'))


def pem_key(name):
    """The PEM key called name in fuzz-cdh-kbs-resource.c."""
    src = open(os.path.join(here, 'fuzz-cdh-kbs-resource.c')).read()
    start = src.index('static const char %s[] =' % name)
    text = ''.join(re.findall(r'"([^"]*)"', src[start:src.index(';', start)]))
    return serialization.load_pem_private_key(text.replace('\\n', '\n').encode(), None)


def tee_pubkey(key, alg=None):
    nums = key.public_key().public_numbers()
    if hasattr(nums, 'curve'):
        size = (nums.curve.key_size + 7) // 8
        return {'kty': 'EC', 'crv': {256: 'P-256', 521: 'P-521'}[nums.curve.key_size],
                'alg': 'ECDH-ES+A256KW', 'x': kbs.b64u(nums.x.to_bytes(size, 'big')),
                'y': kbs.b64u(nums.y.to_bytes(size, 'big'))}
    return {'kty': 'RSA', 'alg': alg or 'RSA-OAEP-256',
            'n': kbs.b64u(nums.n.to_bytes((nums.n.bit_length() + 7) // 8, 'big')),
            'e': kbs.b64u(nums.e.to_bytes(3, 'big'))}


def rcar():
    nonce = base64.b64encode(os.urandom(32)).decode()
    c = lambda name, v: write('kbs-rcar', 'C-' + name, b'C' + (v if isinstance(v, bytes) else dumps(v).encode()))
    c('trustee', {'nonce': nonce, 'extra-params': ''})
    c('sha512', {'nonce': nonce, 'extra-params': {'selected-hash-algorithm': 'SHA512'}})
    c('sm3', {'nonce': nonce, 'extra-params': {'selected-hash-algorithm': 'sm3'}})
    c('md5', {'nonce': nonce, 'extra-params': {'selected-hash-algorithm': 'md5'}})
    c('hash-number', {'nonce': nonce, 'extra-params': {'selected-hash-algorithm': 5}})
    c('no-extra', {'nonce': nonce})
    c('no-nonce', {'extra-params': ''})
    c('nonce-number', {'nonce': 7, 'extra-params': ''})
    c('nonce-nul', b'{"nonce":"a\\u0000b","extra-params":""}')
    c('dup-key', b'{"nonce":"a","nonce":"b","extra-params":""}')
    c('html', b'<html>this is not JSON {{{')
    c('trailing', b'{"nonce":"a","extra-params":""} x')
    c('array', b'[{"nonce":"a","extra-params":""}]')

    signer = kbs.Signer()
    claims = {'iss': 'cocobox-test-kbs', 'iat': 1, 'nbf': 1, 'exp': 2000000000, 'jti': 'x',
              'tee': 'sample', 'tee-pubkey': {'kty': 'EC', 'crv': 'P-256', 'alg': 'ECDH-ES+A256KW',
                                             'x': 'AA', 'y': 'AA'}}
    a = lambda name, v: write('kbs-rcar', 'A-' + name, b'A' + (v if isinstance(v, bytes) else dumps(v).encode()))
    a('token', {'token': signer.sign(claims)})
    a('no-exp', {'token': signer.sign({'iss': 'x'})})
    a('exp-string', {'token': signer.sign(dict(claims, exp='soon'))})
    a('nbf-negative', {'token': signer.sign(dict(claims, nbf=-1))})
    head = kbs.b64u(b'{"alg":"ES256"}')
    a('claims-array', {'token': head + '.' + kbs.b64u(b'[1]') + '.sig'})
    a('claims-padded', {'token': head + '.' + base64.urlsafe_b64encode(b'{"a":1}').decode() + '.s'})
    a('two-parts', {'token': head + '.' + kbs.b64u(b'{}')})
    a('one-part', {'token': 'abc'})
    a('no-token', {'tok': 'a.b.c'})
    a('token-number', {'token': 5})
    a('html', b'<html>')


def resource():
    k = {'2': pem_key('p256_pem'), '5': pem_key('p521_pem'), 'R': pem_key('rsa_pem')}
    r = lambda name, sel, body: write('cdh-kbs-resource', name, sel.encode() + (body if isinstance(body, bytes) else dumps(body).encode()))
    payload = b'resource one\n'
    for sel, key in k.items():
        r(sel + 'O-jwe', sel + 'O', kbs.jwe(tee_pubkey(key), payload))
    r('RO-rsa1_5', 'RO', kbs.jwe(tee_pubkey(k['R'], 'RSA1_5'), payload))
    r('2O-empty', '2O', kbs.jwe(tee_pubkey(k['2']), b''))
    j = kbs.jwe(tee_pubkey(k['2']), payload)
    tag = bytearray(kbs.b64u_dec(j['tag']))
    tag[0] ^= 1
    r('2O-bad-tag', '2O', dict(j, tag=kbs.b64u(bytes(tag))))
    r('5O-other-key', '5O', j)
    r('RO-ec-jwe', 'RO', j)
    r('2O-truncated', '2O', dumps(j).encode()[:len(dumps(j)) // 2])
    r('2O-plaintext', '2O', payload)
    r('2O-no-tag', '2O', {x: v for x, v in j.items() if x != 'tag'})
    r('2U-policy', '2U', {'type': kbs.ERROR_PREFIX + '/PolicyDeny', 'detail': 'Access denied by policy'})
    r('2U-escapes', '2U', {'type': 'x/\u001b[31m', 'detail': 'red\u001b[0m\u0007\u00e9'})
    r('2U-long', '2U', {'type': 'a' * 400, 'detail': 'b' * 400})
    r('2U-html', '2U', b'<html>401\x00\xff\x1b</html>')
    r('2N-404', '2N', {'type': kbs.ERROR_PREFIX + '/InvalidRequestPath', 'detail': 'Request path x is invalid'})
    r('2X-500', '2X', b'internal error injected by the test KBS\r\n\x1b[2J')
    r('2X-empty', '2X', b'')


rcar()
resource()
print('corpora written under', os.path.join(here, 'corpus'), file=sys.stderr)
