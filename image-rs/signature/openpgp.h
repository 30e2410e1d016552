/* SPDX-License-Identifier: Apache-2.0 */
/* The OpenPGP subset simple signing needs (RFC 4880, RFC 9580 where they agree): public
 * keyrings (binary or ASCII-armored) with v4 RSA, ECDSA (P-256/384/521) and EdDSA
 * (Ed25519) keys, and one-pass signed messages (optionally inside one ZIP/ZLIB compressed
 * data packet) whose v4 signature is checked over the literal data. Mirrors what upstream's
 * policy/simple/verify.rs asks of rpgp. Nothing here trusts its input: every malformed
 * packet is -EBADMSG, every size has a limit (-E2BIG). */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/buf.h"
#include "common/crypto.h"
#include "common/macro.h"

/* Largest keyring or signature file we read, and largest inflated message. */
#define OPENPGP_MAX_INPUT (1u << 20)
#define OPENPGP_MAX_LITERAL (1u << 20)
/* Keys (primary and sub) kept from one keyring. */
#define OPENPGP_MAX_KEYS 256
/* Compressed data packets inside each other. */
#define OPENPGP_MAX_NESTING 2

#define OPENPGP_FPR_SIZE 20
#define OPENPGP_KEYID_SIZE 8

/* Public-key algorithm ids (RFC 4880 §9.1). */
enum {
	OPENPGP_PK_RSA = 1,
	OPENPGP_PK_RSA_SIGN = 3,
	OPENPGP_PK_ECDSA = 19,
	OPENPGP_PK_EDDSA = 22,
};

struct openpgp_key {
	uint8_t fpr[OPENPGP_FPR_SIZE];     /* v4: SHA-1 of 0x99 || len16 || body */
	uint8_t keyid[OPENPGP_KEYID_SIZE]; /* the fingerprint's last 8 bytes */
	uint8_t algo;                      /* OPENPGP_PK_* */
	bool primary;                      /* false for a subkey */
	bool usable;                       /* algorithm and curve are ones we verify */
	bool revoked;                      /* a key revocation signature by itself verifies */
	uint32_t created;
	uint32_t expires;     /* seconds after created, from the newest self-signature; 0 never */
	struct crypto_pk *pk; /* RSA and ECDSA */
	uint8_t ed25519[32];  /* EdDSA */
};

struct openpgp_keyring {
	struct openpgp_key *keys;
	size_t n;
};

/* Parses a keyring: concatenated transferable public keys, binary or ASCII-armored
 * ("PUBLIC KEY BLOCK"; several blocks may follow each other; a CRC24 line, when present,
 * must match). Keys of other versions or algorithms are kept with usable = false. A
 * primary key's own signatures are verified: a key revocation (0x20) marks it revoked,
 * the newest user ID certification or direct-key signature sets its expiry; signatures
 * by other keys, on subkeys, or that do not verify or parse are ignored. User ID, user
 * attribute, trust and marker packets are otherwise skipped. Secret keys and any other
 * packet are -EBADMSG. -ENOKEY if no key at all was found. */
int openpgp_keyring_parse(const void *p, size_t n, struct openpgp_keyring **ret);
struct openpgp_keyring *openpgp_keyring_free(struct openpgp_keyring *k);
DEFINE_POINTER_CLEANUP(struct openpgp_keyring *, openpgp_keyring_free)

/* A parsed signed message: exactly one one-pass signature, one literal data and one
 * signature packet, in that order, optionally wrapped in compressed data packets. */
struct openpgp_message {
	uint8_t ops_keyid[OPENPGP_KEYID_SIZE];
	struct buf literal; /* the literal data's content (what was signed) */
	/* The v4 signature. */
	uint8_t sig_type, pk_algo, hash_algo;
	uint8_t *hashed; /* version .. end of hashed subpackets: the hash trailer's body */
	size_t hashed_len;
	uint8_t left16[2];
	uint32_t created, expires; /* expires: seconds after created, 0 = never */
	uint32_t key_expires;      /* key expiration time subpacket (self-signatures) */
	bool has_key_expires;
	bool has_issuer, has_issuer_fpr;
	uint8_t issuer[OPENPGP_KEYID_SIZE];
	uint8_t issuer_fpr[OPENPGP_FPR_SIZE];
	uint8_t *mpi[2]; /* RSA: m^d; ECDSA/EdDSA: r, s (big-endian, leading zeros stripped) */
	size_t mpi_len[2];
};

/* Parses a signed message (binary, or armored "PGP MESSAGE"). -EBADMSG for anything
 * malformed or out of the grammar above, -EOPNOTSUPP for a signature version, hash, or
 * compression algorithm we do not implement (v3 signatures, SHA-1, BZip2, a critical
 * subpacket we do not understand), -E2BIG past the limits. */
int openpgp_message_parse(const void *p, size_t n, struct openpgp_message **ret);
struct openpgp_message *openpgp_message_free(struct openpgp_message *m);
DEFINE_POINTER_CLEANUP(struct openpgp_message *, openpgp_message_free)

/* Checks the signature with one key: 0 if it verifies, -EKEYREJECTED if not (wrong key,
 * tampered data, algorithm differing from the key's), -EOPNOTSUPP if the key is not
 * usable. now (seconds since the epoch) is compared with the signature's expiration
 * time: an expired signature is -EKEYEXPIRED. */
int openpgp_message_verify(const struct openpgp_message *m, const struct openpgp_key *k,
			   uint64_t now);

/* Upstream's rule for an atomic container signature: the message verifies with one of
 * the keyring's primary keys, and that key's fingerprint ends with the one-pass
 * signature's key id. On success *ret_key (if not NULL) points into kr and the literal
 * data is appended to payload. -EKEYREJECTED if no key verifies it or the key id
 * differs; beyond upstream (as c/image's gpgme check), -EKEYREVOKED for a revoked key and
 * -EKEYEXPIRED for a key expired at now or an expired signature; parse errors as
 * openpgp_message_parse(). */
int openpgp_verify(const struct openpgp_keyring *kr, const void *sig, size_t n, uint64_t now,
		   const struct openpgp_key **ret_key, struct buf *payload);

/* Decodes ASCII armor of the given kind ("PUBLIC KEY BLOCK", "MESSAGE"): every block found
 * in p is appended to out. Returns the number of blocks (0: p holds no armor header, so
 * it is taken as binary by the callers). -EBADMSG for a broken block or a CRC24 mismatch. */
int openpgp_dearmor(const char *p, size_t n, const char *kind, struct buf *out);
