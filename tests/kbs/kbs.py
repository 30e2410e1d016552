#!/usr/bin/python3
# SPDX-License-Identifier: Apache-2.0
"""A protocol-faithful test Key Broker Service (KBS) for cocobox's tests.

It speaks the RCAR protocol of confidential-containers/trustee (kbs/src/api_server.rs,
kbs/src/attestation/{backend,session,mod}.rs, kbs/src/jwe/mod.rs, kbs/src/error.rs,
kbs/docs/kbs_attestation_protocol.md; cocobox's /work/shared/reference/upstream.md §4):

  POST /kbs/v0/auth      Request {version, tee, extra-params} -> Challenge {nonce, extra-params}
                         + Set-Cookie: kbs-session-id=<uuid hex>; Expires=...
                         version must be exactly 0.4.0 (semver "=0.4.0"), tee a kbs-types Tee
                         name; nonce = 32 random bytes, base64 standard; extra-params "".
  POST /kbs/v0/attest    Attestation {init-data, runtime-data, tee-evidence} with the cookie
                         -> {"token": <JWT>} (cookie re-set). A second attest on an attested
                         session returns the stored token. "sample" evidence is verified:
                         its report_data must equal H(JCS({"additional-evidence", "nonce",
                         "tee-pubkey"})) (SHA-384 unless --select-hash), as trustee's builtin
                         AS does; "tdx" and "tpm" for that binding only (REPORTDATA; the
                         AK-signed quote's nonce). init-data {format "toml", body} is hashed with its own
                         `algorithm` and recorded (the sample TEE has no binding field).
  GET  /kbs/v0/resource/<repo>/<type>/<tag>
                         auth by the session cookie, else "Authorization: Bearer <JWT>";
                         policy (a deny list); the file <resources>/<repo>/<type>/<tag>;
                         answer = flattened JWE to the token's tee-pubkey: RSA-OAEP-256,
                         RSA1_5, ECDH-ES+A256KW on P-256/P-521; enc A256GCM.
  Errors: 401 (404 for an unknown plugin or a missing resource) with body
          {"type":"https://github.com/confidential-containers/kbs/errors/<Variant>","detail":..}
          and upstream's Display texts. NB: trustee itself answers a missing resource with
          401 PluginInternalError; --missing-status 401 gives exactly that.

  Token: JWT, ES256, signed by a key made at start (public PEM via --token-key-out or
  GET /test/token-key). Claims: iss, iat, nbf, exp (--token-seconds), jti, tee,
  "tee-pubkey" (the path trustee's TokenVerifier also accepts), customized_claims
  {runtime_data, init_data}, evidence_claims, init_data (base64 of the init-data digest).

  CoCo-AS (trustee restful-as): POST /attestation {"verification_requests":[{"tee",
  "evidence": base64url-nopad(evidence JSON)}], "policy_ids": [...]} -> the JWT as body.

Test knobs (also settable at run time with POST /test/config, a JSON object of the same
names with '_' for '-'):
  --fault MODE        none | garbage (200 with a non-JSON body) | hang (never answer) |
                      500 (HTTP 500 with a text body) | close (drop the connection);
                      on resource only: badjwe (the JWE with its tag flipped), ctype
                      (200 application/octet-stream with the plaintext file, no JWE),
                      truncated (Content-Length of the whole JWE, half of it sent, closed)
  --fault-on LIST     comma-separated endpoints the fault hits: auth,attest,resource,
                      attestation (default auth)
  --fault-count N     only the next N requests to those endpoints (default: all)
  --fault-path GLOB   resource faults only for paths matching GLOB ("default/hang/*")
  --deny PATTERN      resource path glob ("default/key/*") refused by policy (repeatable)
  --session-seconds N session lifetime (trustee: attestation_service.timeout minutes, 5)
  --token-seconds N   token lifetime (default 300)
  --select-hash ALG   send {"selected-hash-algorithm": ALG} and verify with it
  --missing-status    404 (default) or 401 for a missing resource
  --version V         the one protocol version /auth accepts (default 0.4.0)
  --cert/--key        serve HTTPS with this certificate chain and key
  --port N            bind this port (default 0: any); the port is printed on stdout
                      ("port N") once listening, and written to --port-file if given
  --lifetime S        exit after S seconds (a safety net for tests)
  GET  /test/stats    {"auth", "attest", "attest_ok", "resource", "resource_ok",
                      "attestation", "last_init_data", "last_tee", "last_hash",
                      "last_tee_pubkey" (kty/crv/alg of the key in the last token), ...}
  POST /test/reset    zero the counters

Requires Debian's python3-cryptography (run with /usr/bin/python3). JCS (RFC 8785) is
implemented here independently of cocobox's C code.
"""

import argparse
import base64
import fnmatch
import hashlib
import json
import os
import re
import socket
import ssl
import sys
import threading
import time
import tomllib
import uuid
from decimal import Decimal
from email.utils import formatdate
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from cryptography.hazmat.primitives import hashes, keywrap, serialization
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa
from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature, encode_dss_signature
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

KBS_VERSION = '0.4.0'
ERROR_PREFIX = 'https://github.com/confidential-containers/kbs/errors'
# kbs-types Tee (serde lowercase names)
TEES = {'az-snp-vtpm', 'az-tdx-vtpm', 'nvidia', 'sgx', 'snp', 'tdx', 'cca', 'csv', 'se',
        'hygondcu', 'tpm', 'sample', 'sampledevice'}
HASHES = {'sha256': hashlib.sha256, 'sha384': hashlib.sha384, 'sha512': hashlib.sha512,
          'sm3': lambda b=b'': hashlib.new('sm3', b)}
# trustee ResourceDesc regex
RESOURCE_RE = re.compile(r'^[a-zA-Z0-9_\-]+[a-zA-Z0-9_\-.]*$')
BODY_MAX = 8 << 20


# ---------------------------------------------------------------- encoding helpers

def b64u(b):
    return base64.urlsafe_b64encode(b).rstrip(b'=').decode()


def b64u_dec(s):
    if not isinstance(s, str) or '=' in s or not re.fullmatch(r'[A-Za-z0-9_-]*', s):
        raise ValueError('not base64url without padding')
    return base64.urlsafe_b64decode(s + '=' * (-len(s) % 4))


def jcs(v):
    """RFC 8785 canonical JSON text of a parsed JSON value."""
    if v is None:
        return 'null'
    if v is True:
        return 'true'
    if v is False:
        return 'false'
    if isinstance(v, int):
        return jcs_number(float(v)) if abs(v) >= 2 ** 53 else str(v)
    if isinstance(v, float):
        return jcs_number(v)
    if isinstance(v, str):
        return jcs_string(v)
    if isinstance(v, list):
        return '[' + ','.join(jcs(x) for x in v) + ']'
    if isinstance(v, dict):
        # Member names sorted as arrays of UTF-16 code units (§3.2.3).
        keys = sorted(v, key=lambda k: k.encode('utf-16-be'))
        return '{' + ','.join(jcs_string(k) + ':' + jcs(v[k]) for k in keys) + '}'
    raise TypeError('not a JSON value')


def jcs_string(s):
    out = ['"']
    for ch in s:
        c = ord(ch)
        if ch == '"':
            out.append('\\"')
        elif ch == '\\':
            out.append('\\\\')
        elif c < 0x20:
            out.append({8: '\\b', 9: '\\t', 10: '\\n', 12: '\\f', 13: '\\r'}.get(c, '\\u%04x' % c))
        else:
            out.append(ch)
    out.append('"')
    return ''.join(out)


def jcs_number(d):
    """ECMAScript Number::toString for finite doubles."""
    if d != d or d in (float('inf'), float('-inf')):
        raise ValueError('NaN/Infinity are not JSON')
    if d == 0:
        return '0'
    if d < 0:
        return '-' + jcs_number(-d)
    # repr() gives the shortest digits that round-trip, as ECMAScript requires.
    _, dt, exp = Decimal(repr(d)).as_tuple()
    digits = ''.join(map(str, dt)).lstrip('0')
    exp += len(dt) - len(''.join(map(str, dt)).rstrip('0'))
    digits = digits.rstrip('0')
    point = len(digits) + exp
    k, n = len(digits), point
    if k <= n <= 21:
        return digits + '0' * (n - k)
    if 0 < n <= 21:
        return digits[:n] + '.' + digits[n:]
    if -6 < n <= 0:
        return '0.' + '0' * (-n) + digits
    e = n - 1
    sign = '+' if e >= 0 else '-'
    if k == 1:
        return digits + 'e' + sign + str(abs(e))
    return digits[0] + '.' + digits[1:] + 'e' + sign + str(abs(e))


def tee_pubkey(obj):
    """kbs-types TeePubKey: keep only the members the struct has (as serde re-serialises)."""
    if not isinstance(obj, dict):
        raise ValueError('tee-pubkey is not an object')
    kty = obj.get('kty')
    fields = {'RSA': ('alg', 'n', 'e'), 'EC': ('crv', 'alg', 'x', 'y'), 'AKP': ('alg', 'pub')}.get(kty)
    if fields is None:
        raise ValueError('unknown tee-pubkey kty')
    out = {'kty': kty}
    for f in fields:
        if not isinstance(obj.get(f), str):
            raise ValueError('tee-pubkey member %s missing' % f)
        out[f] = obj[f]
    return out


# ---------------------------------------------------------------- JOSE (by hand, as trustee)

def concat_kdf(z, alg, keylen):
    out = b''
    i = 1
    while len(out) < keylen:
        h = hashlib.sha256()
        h.update(i.to_bytes(4, 'big'))
        h.update(z)
        h.update(len(alg).to_bytes(4, 'big') + alg.encode())
        h.update((0).to_bytes(4, 'big') + (0).to_bytes(4, 'big'))
        h.update((keylen * 8).to_bytes(4, 'big'))
        out += h.digest()
        i += 1
    return out[:keylen]


def jwe(pub, payload):
    """trustee kbs/src/jwe/mod.rs jwe(): flattened JSON, enc A256GCM."""
    cek = os.urandom(32)
    iv = os.urandom(12)
    if pub['kty'] == 'RSA':
        n = int.from_bytes(b64u_dec(pub['n']), 'big')
        e = int.from_bytes(b64u_dec(pub['e']), 'big')
        key = rsa.RSAPublicNumbers(e, n).public_key()
        if pub['alg'] == 'RSA-OAEP-256':
            ek = key.encrypt(cek, padding.OAEP(mgf=padding.MGF1(hashes.SHA256()),
                                               algorithm=hashes.SHA256(), label=None))
        elif pub['alg'] == 'RSA1_5':
            ek = key.encrypt(cek, padding.PKCS1v15())
        else:
            raise ValueError('algorithm %s is not supported' % pub['alg'])
        header = {'alg': pub['alg'], 'enc': 'A256GCM'}
    elif pub['kty'] == 'EC':
        curves = {'P-256': (ec.SECP256R1(), 32), 'P-521': (ec.SECP521R1(), 66)}
        if pub['alg'] != 'ECDH-ES+A256KW' or pub['crv'] not in curves:
            raise ValueError('curve %s and algorithm %s is not supported' % (pub['crv'], pub['alg']))
        curve, size = curves[pub['crv']]
        x, y = b64u_dec(pub['x']), b64u_dec(pub['y'])
        if len(x) != size or len(y) != size:
            raise ValueError('invalid bytes length of coordinates')
        peer = ec.EllipticCurvePublicNumbers(int.from_bytes(x, 'big'), int.from_bytes(y, 'big'),
                                             curve).public_key()
        eph = ec.generate_private_key(curve)
        z = eph.exchange(ec.ECDH(), peer)
        ek = keywrap.aes_key_wrap(concat_kdf(z, 'ECDH-ES+A256KW', 32), cek)
        nums = eph.public_key().public_numbers()
        header = {'alg': 'ECDH-ES+A256KW', 'enc': 'A256GCM',
                  'epk': {'crv': pub['crv'], 'kty': 'EC', 'x': b64u(nums.x.to_bytes(size, 'big')),
                          'y': b64u(nums.y.to_bytes(size, 'big'))}}
    else:
        raise ValueError('key type %s is not supported' % pub['kty'])
    protected = b64u(json.dumps(header, separators=(',', ':')).encode())
    ct = AESGCM(cek).encrypt(iv, payload, protected.encode())
    return {'protected': protected, 'encrypted_key': b64u(ek), 'iv': b64u(iv),
            'ciphertext': b64u(ct[:-16]), 'tag': b64u(ct[-16:])}


class Signer:
    def __init__(self):
        self.key = ec.generate_private_key(ec.SECP256R1())

    def public_pem(self):
        return self.key.public_key().public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo).decode()

    def sign(self, claims):
        head = b64u(json.dumps({'alg': 'ES256', 'typ': 'JWT'}, separators=(',', ':')).encode())
        body = b64u(json.dumps(claims, separators=(',', ':')).encode())
        der = self.key.sign((head + '.' + body).encode(), ec.ECDSA(hashes.SHA256()))
        r, s = decode_dss_signature(der)
        return head + '.' + body + '.' + b64u(r.to_bytes(32, 'big') + s.to_bytes(32, 'big'))

    def verify(self, token):
        """Returns the claims, or raises: bad signature, bad header, expired."""
        parts = token.split('.')
        if len(parts) != 3:
            raise ValueError('not a compact JWS')
        head = json.loads(b64u_dec(parts[0]))
        if head.get('alg') != 'ES256':
            raise ValueError('unexpected alg')
        sig = b64u_dec(parts[2])
        if len(sig) != 64:
            raise ValueError('bad signature length')
        der = encode_dss_signature(int.from_bytes(sig[:32], 'big'), int.from_bytes(sig[32:], 'big'))
        self.key.public_key().verify(der, (parts[0] + '.' + parts[1]).encode(),
                                     ec.ECDSA(hashes.SHA256()))
        claims = json.loads(b64u_dec(parts[1]))
        now = time.time()
        if not isinstance(claims, dict) or claims.get('exp', now + 1) < now:
            raise ValueError('token expired')
        return claims


# ---------------------------------------------------------------- errors

class KbsError(Exception):
    """A trustee kbs::Error variant: 404 for InvalidRequestPath/PluginNotFound, else 401."""

    def __init__(self, variant, detail, status=None):
        super().__init__(detail)
        self.variant = variant
        self.detail = detail
        self.status = status or (404 if variant in ('InvalidRequestPath', 'PluginNotFound') else 401)

    def body(self):
        return json.dumps({'type': '%s/%s' % (ERROR_PREFIX, self.variant), 'detail': self.detail},
                          separators=(',', ':')).encode()


def auth_failed(msg):
    return KbsError('AttestationError', 'Attestation error: RCAR handshake Auth failed: ' + msg)


def attest_failed(why, kbs):
    # trustee's Display for RcarAttestFailed carries no cause; keep it for the test log.
    kbs.log('attest failed: ' + why)
    kbs.stats['last_attest_error'] = why
    return KbsError('AttestationError', 'Attestation error: RCAR handshake Attest failed')


# ---------------------------------------------------------------- state

class Kbs:
    def __init__(self, args):
        self.args = args
        self.lock = threading.Lock()
        self.sessions = {}
        self.signer = Signer()
        self.cfg = {
            'fault': args.fault,
            'fault_on': args.fault_on.split(','),
            'fault_count': args.fault_count,
            'fault_path': args.fault_path,
            'deny': list(args.deny),
            'session_seconds': args.session_seconds,
            'token_seconds': args.token_seconds,
            'select_hash': args.select_hash,
            'missing_status': args.missing_status,
            'version': args.version,
        }
        self.reset()

    def reset(self):
        self.stats = {'auth': 0, 'attest': 0, 'attest_ok': 0, 'resource': 0, 'resource_ok': 0,
                      'attestation': 0, 'faults': 0, 'last_init_data': None, 'last_tee': None,
                      'last_hash': None, 'last_attest_error': None, 'last_auth': None,
                      'last_user_agent': None, 'last_bearer': False, 'last_tee_pubkey': None}

    def log(self, msg):
        print('kbs: ' + msg, file=sys.stderr, flush=True)

    def fault_for(self, endpoint, path=None):
        with self.lock:
            c = self.cfg
            if c['fault'] == 'none' or endpoint not in c['fault_on']:
                return None
            if path is not None and c['fault_path'] and not fnmatch.fnmatchcase(path, c['fault_path']):
                return None
            if c['fault_count'] is not None:
                if c['fault_count'] <= 0:
                    return None
                c['fault_count'] -= 1
            self.stats['faults'] += 1
            return c['fault']

    # ---- /auth
    def auth(self, body):
        try:
            req = json.loads(body)
            if not isinstance(req, dict) or not isinstance(req.get('version'), str) \
                    or 'extra-params' not in req or req.get('tee') not in TEES:
                raise ValueError
        except ValueError:
            raise auth_failed('deserialize Request')
        self.stats['last_auth'] = req
        if not re.fullmatch(r'(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)'
                            r'(-[0-9A-Za-z.-]+)?(\+[0-9A-Za-z.-]+)?', req['version']):
            raise auth_failed('failed to parse KBS version')
        core = req['version'].split('+')[0]
        if core != self.cfg['version']:  # semver "=0.4.0": pre-releases do not match
            raise auth_failed('KBS Client Protocol Version Mismatch: expect =%s while the '
                              'request is %s' % (self.cfg['version'], req['version']))
        extra = ''
        if self.cfg['select_hash']:
            extra = {'selected-hash-algorithm': self.cfg['select_hash']}
        elif req['tee'] == 'se':
            algs = req['extra-params'].get('supported-hash-algorithms') \
                if isinstance(req['extra-params'], dict) else None
            if algs is not None:
                if not isinstance(algs, list):
                    raise auth_failed('Attestation Service generate challenge failed')
                if 'sha512' not in [a.lower() for a in algs if isinstance(a, str)]:
                    raise auth_failed('Attestation Service generate challenge failed')
                extra = {'selected-hash-algorithm': 'sha512'}
        nonce = base64.b64encode(os.urandom(32)).decode()
        sid = uuid.uuid4().hex
        expires = time.time() + self.cfg['session_seconds']
        with self.lock:
            self.sessions[sid] = {'tee': req['tee'], 'nonce': nonce, 'expires': expires,
                                  'token': None, 'extra': extra}
        return sid, expires, {'nonce': nonce, 'extra-params': extra}

    def session(self, sid):
        with self.lock:
            s = self.sessions.get(sid)
            if s and s['expires'] < time.time():
                del self.sessions[sid]
                return None
            return s

    # ---- /attest
    def attest(self, sid, body):
        if sid is None:
            raise attest_failed('cookie not found', self)
        try:
            att = json.loads(body)
            rd, te = att['runtime-data'], att['tee-evidence']
            nonce, pub = rd['nonce'], tee_pubkey(rd['tee-pubkey'])
            primary, additional = te['primary_evidence'], te['additional_evidence']
            init = att.get('init-data')
            if not isinstance(nonce, str) or not isinstance(additional, str):
                raise ValueError
            if init is not None and (not isinstance(init.get('format'), str)
                                     or not isinstance(init.get('body'), str)):
                raise ValueError
        except (ValueError, KeyError, TypeError, AttributeError):
            raise attest_failed('deserialize Attestation', self)
        s = self.session(sid)
        if s is None:
            raise attest_failed('session not found', self)
        if s['token']:
            return s, s['token']
        if nonce != s['nonce']:
            raise attest_failed('the nonce in the handshake session is different', self)
        alg = 'sha384'
        if isinstance(s['extra'], dict):
            alg = s['extra']['selected-hash-algorithm'].lower()
        if alg not in HASHES:
            raise attest_failed('hash %s not implemented here' % alg, self)
        self.stats['last_hash'] = alg
        expected = HASHES[alg](jcs({'tee-pubkey': pub, 'nonce': nonce,
                                    'additional-evidence': additional}).encode()).digest()
        init_claim = None
        if init is not None:
            if init['format'] != 'toml':
                raise attest_failed('unsupported init-data format', self)
            try:
                doc = tomllib.loads(init['body'])
                ialg = doc['algorithm']
                digest = HASHES[ialg](init['body'].encode()).digest()
            except (tomllib.TOMLDecodeError, KeyError, TypeError):
                raise attest_failed('bad init-data', self)
            init_claim = {'format': init['format'], 'algorithm': ialg, 'digest': digest.hex(),
                          'data': doc.get('data', {})}
        self.stats['last_init_data'] = init_claim
        self.stats['last_tee'] = s['tee']
        claims = self.verify_evidence(s['tee'], primary, expected)
        # trustee backend.rs: each additional device binds H(JCS({nonce, tee-pubkey}))
        if additional:
            try:
                devices = json.loads(additional)
                assert isinstance(devices, dict)
            except (ValueError, AssertionError):
                raise attest_failed('additional evidence is not a JSON object', self)
            device_digest = HASHES[alg](jcs({'tee-pubkey': pub, 'nonce': nonce}).encode()).digest()
            claims = {'primary': claims, 'additional': {
                tee: self.verify_evidence(tee if tee != 'sampledevice' else 'sample', ev, device_digest)
                for tee, ev in devices.items()}}
            self.stats['last_additional'] = sorted(devices)
        now = int(time.time())
        token = self.signer.sign({
            'iss': 'cocobox-test-kbs', 'iat': now, 'nbf': now,
            'exp': now + self.cfg['token_seconds'], 'jti': uuid.uuid4().hex,
            'tee': s['tee'], 'tee-pubkey': pub, 'evidence_claims': claims,
            'customized_claims': {'runtime_data': {'nonce': nonce, 'tee-pubkey': pub},
                                  'init_data': init_claim},
            'init_data': base64.b64encode(bytes.fromhex(init_claim['digest'])).decode()
            if init_claim else None,
        })
        with self.lock:
            s['token'] = token
        self.stats['attest_ok'] += 1
        self.stats['last_tee_pubkey'] = {k: pub[k] for k in ('kty', 'crv', 'alg') if k in pub}
        return s, token

    def verify_evidence(self, tee, evidence, expected):
        """trustee deps/verifier/src/sample: {svn, report_data (base64 std)}. For tdx only
        the binding is checked: the quote's REPORTDATA (v4 quote, 48-byte header + TD 1.0
        body, at 568) must hold the digest zero-padded to 64 bytes; the quote's signature
        is not (the tests' quotes are a published quote with new report data)."""
        if tee == 'tdx':
            return self.verify_tdx(evidence, expected)
        if tee == 'tpm':
            return self.verify_tpm(evidence, expected)
        if tee != 'sample':
            raise attest_failed('no verifier for TEE %s here' % tee, self)
        if not isinstance(evidence, dict) or not isinstance(evidence.get('svn'), str):
            raise attest_failed('Deserialize Quote failed.', self)
        rd = evidence.get('report_data', '')
        try:
            got = base64.b64decode(rd, validate=True) if isinstance(rd, str) else None
        except ValueError:
            got = None
        if expected is not None and got != expected:
            raise attest_failed('REPORT_DATA is different from that in Sample Quote', self)
        return {'svn': evidence['svn'], 'report_data': rd, 'launch_digest': 'abcde',
                'platform_version': {'major': 1, 'minor': 4}, 'debug': False}

    def verify_tpm(self, evidence, expected):
        """trustee's tpm verifier, the parts that bind: the quote (TPMS_ATTEST) is signed
        by ak_public (RSASSA-SHA256) and its extraData is the report data resized to 32
        bytes. The AK is not traced to an EK certificate (swtpm's, in the tests)."""
        try:
            q = evidence['tpm_quote']
            msg = base64.b64decode(q['message'], validate=True)
            sig = base64.b64decode(q['signature'], validate=True)
            ak = serialization.load_der_public_key(
                base64.b64decode(evidence['ak_public'], validate=True))
            assert msg[:6] == bytes.fromhex('ff5443478018') and sig[:4] == bytes.fromhex('0014000b')
            n = int.from_bytes(msg[6:8], 'big')  # qualifiedSigner, then extraData
            m = int.from_bytes(msg[8 + n:10 + n], 'big')
            nonce = msg[10 + n:10 + n + m]
            ak.verify(sig[6:], msg, padding.PKCS1v15(), hashes.SHA256())
        except Exception:
            raise attest_failed('TPM quote does not verify', self)
        if expected is not None and nonce != expected[:32].ljust(32, b'\0'):
            raise attest_failed('TPM quote nonce is not the report data', self)
        return {'quote_nonce': nonce.hex(), 'pcrs': q.get('pcrs')}

    def verify_tdx(self, evidence, expected):
        try:
            quote = base64.b64decode(evidence['quote'], validate=True)
        except (TypeError, KeyError, ValueError):
            raise attest_failed('Deserialize TDX evidence failed.', self)
        rd = quote[568:568 + 64]
        if expected is not None and rd != expected.ljust(64, b'\0'):
            raise attest_failed('REPORT_DATA is different from that in TDX Quote', self)
        return {'report_data': rd.hex(), 'ccel': evidence.get('cc_eventlog') is not None}

    # ---- /kbs/v0/<plugin>/...
    def resource(self, path, sid, authz):
        parts = path.split('/')
        if parts[0] != 'resource':
            raise KbsError('PluginNotFound', 'Plugin %s not found' % parts[0])
        token = None
        s = self.session(sid) if sid else None
        if s and s['token']:
            token = s['token']
        elif authz and authz.startswith('Bearer ') and authz[7:].strip():
            token = authz[7:].strip()
            self.stats['last_bearer'] = True
        if token is None:
            raise KbsError('TokenNotFound', 'Attestation Token not found')
        try:
            claims = self.signer.verify(token)
        except Exception:
            raise KbsError('TokenVerifierError', 'Token Verifier error')
        rpath = parts[1:]
        if any(fnmatch.fnmatchcase('/'.join(rpath), p) for p in self.cfg['deny']):
            raise KbsError('PolicyDeny', 'Access denied by policy')
        if len(rpath) != 3 or not all(RESOURCE_RE.match(p) for p in rpath):
            raise KbsError('PluginInternalError', 'Plugin internal error')
        f = os.path.join(self.args.resources or '/nonexistent', *rpath)
        try:
            with open(f, 'rb') as fh:
                data = fh.read()
        except OSError:
            if self.cfg['missing_status'] == 401:
                raise KbsError('PluginInternalError', 'Plugin internal error')
            raise KbsError('InvalidRequestPath', 'Request path %s is invalid' % path)
        try:
            pub = tee_pubkey(claims.get('tee-pubkey'))
            out = jwe(pub, data)
        except (ValueError, KeyError, TypeError):
            raise KbsError('JweError', 'JWE failed')
        self.stats['resource_ok'] += 1
        return out

    # ---- CoCo-AS restful POST /attestation
    def coco_as(self, body):
        req = json.loads(body)
        vr = req['verification_requests']
        if not isinstance(vr, list) or not vr or not isinstance(req.get('policy_ids'), list):
            raise ValueError('bad request')
        out = []
        for r in vr:
            ev = json.loads(b64u_dec(r['evidence']))
            rd = r.get('runtime_data')
            expected = None
            if rd is not None:
                raise ValueError('runtime_data is not implemented by the test AS')
            out.append({'tee': r['tee'], 'claims': self.verify_evidence(r['tee'], ev, expected)})
        now = int(time.time())
        return self.signer.sign({'iss': 'cocobox-test-coco-as', 'iat': now, 'nbf': now,
                                 'exp': now + self.cfg['token_seconds'], 'submods': out,
                                 'policy_ids': req['policy_ids']})


# ---------------------------------------------------------------- HTTP

class Handler(BaseHTTPRequestHandler):
    protocol_version = 'HTTP/1.1'
    server_version = 'cocobox-test-kbs'
    # Headers and body go out in two writes: with Nagle on, the client's delayed ACK
    # stalls every keep-alive answer by ~40 ms (benchmarks measured that, not the client).
    disable_nagle_algorithm = True

    def log_message(self, fmt, *a):
        self.server.kbs.log('%s %s' % (self.address_string(), fmt % a))

    def cookie(self):
        for h in self.headers.get_all('Cookie') or []:
            for part in h.split(';'):
                k, _, v = part.strip().partition('=')
                if k == 'kbs-session-id':
                    return v
        return None

    def body(self):
        n = int(self.headers.get('Content-Length') or 0)
        if n > BODY_MAX:
            raise KbsError('SerdeError', 'Serialize/Deserialize failed')
        return self.rfile.read(n)

    def send(self, status, body, ctype='application/json', headers=()):
        self.send_response(status)
        self.send_header('Content-Type', ctype)
        self.send_header('Content-Length', str(len(body)))
        for k, v in headers:
            self.send_header(k, v)
        self.end_headers()
        self.wfile.write(body)

    def fault(self, endpoint, path=None):
        mode = self.server.kbs.fault_for(endpoint, path)
        if mode is None:
            return False
        if mode in ('badjwe', 'ctype', 'truncated'):
            return mode  # the answer is made, then spoilt, by do_GET
        if mode == 'garbage':
            self.send(200, b'<html>this is not JSON {{{', 'text/html')
        elif mode == '500':
            self.send(500, b'internal error injected by the test KBS', 'text/plain')
        elif mode == 'hang':
            time.sleep(self.server.kbs.args.lifetime or 3600)
            self.close_connection = True
        elif mode == 'close':
            self.close_connection = True
        return True

    def do_POST(self):
        kbs = self.server.kbs
        path = self.path.split('?')[0]
        try:
            body = self.body()
            if path in ('/kbs/v0/auth', '/kbs/v0/attest', '/attestation'):
                kbs.stats[path.split('/')[-1]] += 1
                kbs.stats['last_user_agent'] = self.headers.get('User-Agent')
            if path == '/kbs/v0/auth':
                if self.fault('auth'):
                    return
                sid, exp, challenge = kbs.auth(body)
                self.send(200, json.dumps(challenge, separators=(',', ':')).encode(), headers=[
                    ('Set-Cookie', 'kbs-session-id=%s; Expires=%s' % (sid, formatdate(exp, usegmt=True)))])
            elif path == '/kbs/v0/attest':
                if self.fault('attest'):
                    return
                s, token = kbs.attest(self.cookie(), body)
                sid = self.cookie()
                self.send(200, json.dumps({'token': token}, separators=(',', ':')).encode(), headers=[
                    ('Set-Cookie', 'kbs-session-id=%s; Expires=%s' % (sid, formatdate(s['expires'], usegmt=True)))])
            elif path == '/attestation':
                if self.fault('attestation'):
                    return
                try:
                    token = kbs.coco_as(body)
                except (ValueError, KeyError, TypeError) as e:
                    self.send(400, ('bad attestation request: %s' % e).encode(), 'text/plain')
                    return
                except KbsError as e:
                    self.send(401, e.detail.encode(), 'text/plain')
                    return
                self.send(200, token.encode(), 'text/plain')
            elif path == '/test/config':
                cfg = json.loads(body)
                with kbs.lock:
                    for k, v in cfg.items():
                        if k not in kbs.cfg:
                            raise ValueError('unknown knob ' + k)
                        kbs.cfg[k] = v
                self.send(200, json.dumps(kbs.cfg).encode())
            elif path == '/test/reset':
                kbs.reset()
                self.send(200, b'{}')
            elif path.startswith('/kbs/v0/'):
                raise KbsError('PluginNotFound', 'Plugin %s not found' % path[8:].split('/')[0])
            else:
                self.send(404, b'not found', 'text/plain')
        except KbsError as e:
            self.send(e.status, e.body())
        except ValueError as e:
            self.send(400, str(e).encode(), 'text/plain')

    def do_GET(self):
        kbs = self.server.kbs
        path = self.path.split('?')[0]
        try:
            if path == '/test/stats':
                self.send(200, json.dumps(kbs.stats).encode())
            elif path == '/test/token-key':
                self.send(200, kbs.signer.public_pem().encode(), 'application/x-pem-file')
            elif path.startswith('/kbs/v0/'):
                spoil = None
                if path.startswith('/kbs/v0/resource/'):
                    kbs.stats['resource'] += 1
                    spoil = self.fault('resource', path[len('/kbs/v0/resource/'):])
                    if spoil is True:
                        return
                out = kbs.resource(path[len('/kbs/v0/'):], self.cookie(),
                                   self.headers.get('Authorization'))
                body = json.dumps(out, separators=(',', ':')).encode()
                if spoil == 'badjwe':
                    tag = bytearray(b64u_dec(out['tag']))
                    tag[0] ^= 1
                    out['tag'] = b64u(bytes(tag))
                    body = json.dumps(out, separators=(',', ':')).encode()
                elif spoil == 'ctype':
                    with open(os.path.join(kbs.args.resources, *path.split('/')[4:]), 'rb') as f:
                        self.send(200, f.read(), 'application/octet-stream')
                    return
                elif spoil == 'truncated':
                    self.send_response(200)
                    self.send_header('Content-Type', 'application/json')
                    self.send_header('Content-Length', str(len(body)))
                    self.end_headers()
                    self.wfile.write(body[:len(body) // 2])
                    self.wfile.flush()
                    self.close_connection = True
                    return
                self.send(200, body)
            else:
                self.send(404, b'not found', 'text/plain')
        except KbsError as e:
            self.send(e.status, e.body())


class Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True

    def handle_error(self, request, client_address):
        # A client that gave up (timeouts in fault tests) is not worth a traceback.
        if not isinstance(sys.exc_info()[1], (ConnectionError, ssl.SSLError, socket.timeout)):
            super().handle_error(request, client_address)


def main():
    p = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    p.add_argument('--host', default='127.0.0.1')
    p.add_argument('--port', type=int, default=0)
    p.add_argument('--port-file')
    p.add_argument('--resources', help='directory holding <repo>/<type>/<tag> files')
    p.add_argument('--cert')
    p.add_argument('--key')
    p.add_argument('--session-seconds', type=float, default=300)
    p.add_argument('--token-seconds', type=int, default=300)
    p.add_argument('--deny', action='append', default=[])
    p.add_argument('--select-hash')
    p.add_argument('--missing-status', type=int, choices=(401, 404), default=404)
    p.add_argument('--fault', default='none', choices=('none', 'garbage', 'hang', '500', 'close',
                                                      'badjwe', 'ctype', 'truncated'))
    p.add_argument('--fault-on', default='auth')
    p.add_argument('--fault-count', type=int)
    p.add_argument('--fault-path')
    p.add_argument('--token-key-out')
    p.add_argument('--version', default=KBS_VERSION, help='the protocol version accepted')
    p.add_argument('--lifetime', type=float, default=0)
    args = p.parse_args()

    srv = Server((args.host, args.port), Handler)
    srv.kbs = Kbs(args)
    if args.cert:
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ctx.load_cert_chain(args.cert, args.key)
        srv.socket = ctx.wrap_socket(srv.socket, server_side=True)
    if args.token_key_out:
        with open(args.token_key_out, 'w') as f:
            f.write(srv.kbs.signer.public_pem())
    port = srv.server_address[1]
    if args.port_file:
        with open(args.port_file + '.tmp', 'w') as f:
            f.write('%d\n' % port)
        os.rename(args.port_file + '.tmp', args.port_file)
    print('port %d' % port, flush=True)
    if args.lifetime:
        threading.Timer(args.lifetime, srv.shutdown).start()
    try:
        srv.serve_forever()
    except KeyboardInterrupt:
        pass


if __name__ == '__main__':
    main()
