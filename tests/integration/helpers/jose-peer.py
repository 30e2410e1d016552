#!/usr/bin/python3
# SPDX-License-Identifier: Apache-2.0
# The other side of test-jose-interop.sh: python3-jwcrypto (Debian) encrypts, decrypts,
# signs and verifies with the keys jose-tool wrote, so our JOSE is checked against an
# independent implementation.
#   jose-peer.py encrypt KEY.jwk ALG ENC compact|json PLAINTEXT-FILE [AAD]  -> JWE on stdout
#   jose-peer.py decrypt KEY.jwk JWE-FILE                               -> plaintext
#   jose-peer.py sign KEY.jwk ALG KID PAYLOAD-FILE                      -> compact JWS
#   jose-peer.py verify KEY.jwk ALG JWS-FILE                            -> payload
#   jose-peer.py keygen EC:P-256|RSA:2048                                -> private JWK
import json
import sys

from jwcrypto import jwe, jwk, jws

ALGS = ['ECDH-ES', 'ECDH-ES+A128KW', 'ECDH-ES+A192KW', 'ECDH-ES+A256KW', 'RSA-OAEP',
        'RSA-OAEP-256', 'RSA1_5', 'A128GCM', 'A192GCM', 'A256GCM']
SIG_ALGS = ['ES256', 'ES384', 'ES512', 'RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512']


def load_key(path):
    with open(path) as f:
        d = json.load(f)
    # Our tee-pubkey JWK carries "alg" (ECDH-ES+A256KW / RSA-OAEP-256); jwcrypto would
    # then refuse other algorithms with it, which is not what is under test here.
    d.pop('alg', None)
    return jwk.JWK(**d)


def read(path):
    with open(path, 'rb') as f:
        return f.read()


def main(argv):
    cmd = argv[1]
    if cmd == 'encrypt':
        key = load_key(argv[2])
        alg, enc, form = argv[3], argv[4], argv[5]
        kw = {'aad': argv[7].encode()} if len(argv) > 7 else {}
        e = jwe.JWE(read(argv[6]), protected=json.dumps({'alg': alg, 'enc': enc}), **kw)
        e.allowed_algs = ALGS
        e.add_recipient(key)
        sys.stdout.write(e.serialize(compact=(form == 'compact')))
    elif cmd == 'decrypt':
        key = load_key(argv[2])
        e = jwe.JWE()
        e.allowed_algs = ALGS
        e.deserialize(read(argv[3]).decode(), key=key)
        sys.stdout.buffer.write(e.payload)
    elif cmd == 'sign':
        key = load_key(argv[2])
        s = jws.JWS(read(argv[5]))
        s.allowed_algs = SIG_ALGS
        s.add_signature(key, None, json.dumps({'alg': argv[3], 'kid': argv[4]}))
        sys.stdout.write(s.serialize(compact=True))
    elif cmd == 'verify':
        key = load_key(argv[2])
        s = jws.JWS()
        s.allowed_algs = [argv[3]]
        s.deserialize(read(argv[4]).decode().strip())
        s.verify(key, alg=argv[3])
        sys.stdout.buffer.write(s.payload)
    elif cmd == 'keygen':
        kty, param = argv[2].split(':')
        if kty == 'EC':
            k = jwk.JWK.generate(kty='EC', crv=param)
        else:
            k = jwk.JWK.generate(kty='RSA', size=int(param))
        sys.stdout.write(k.export(private_key=True))
    else:
        sys.exit(2)


if __name__ == '__main__':
    try:
        main(sys.argv)
    except Exception as e:  # a peer failure is a test failure, with the reason
        sys.stderr.write('jose-peer: %s: %s\n' % (type(e).__name__, e))
        sys.exit(1)
