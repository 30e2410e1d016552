/* SPDX-License-Identifier: Apache-2.0 */
/* The symmetric "wrap_type"s of sealed envelope secrets and annotation packets
 * (upstream.md §5.4; guest-components attestation-agent/deps/crypto/src/symmetric.rs):
 * A256GCM (32-byte key, 12-byte IV, data = ciphertext || 16-byte tag, no AAD) and
 * A256CTR (32-byte key, 16-byte IV as a 128-bit big-endian counter). */
#pragma once

#include <stddef.h>
#include <stdint.h>

#include "common/buf.h"
#include "common/secret.h"

enum wrap_type {
	WRAP_A256GCM,
	WRAP_A256CTR,
};

#define WRAP_KEY_SIZE 32

/* Exact, case-sensitive names as upstream's serde. -EOPNOTSUPP for any other name. */
int wrap_type_from_string(const char *s, enum wrap_type *ret);
const char *wrap_type_to_string(enum wrap_type t);
/* The IV length the type requires (12 or 16). */
size_t wrap_type_iv_size(enum wrap_type t);

/* Decrypts in[0..n) with key. Errors: -ENOKEY key not 32 bytes, -EBADMSG wrong IV length
 * or GCM input shorter than its tag, -EKEYREJECTED GCM tag mismatch, -ENOMEM. *ret is a
 * new secret holding the plaintext. */
int wrap_decrypt(enum wrap_type t, const uint8_t *key, size_t klen, const uint8_t *iv, size_t ivlen,
		 const uint8_t *in, size_t n, struct secret **ret);
/* The inverse (GCM appends the tag), appended to out. Same argument errors. */
int wrap_encrypt(enum wrap_type t, const uint8_t *key, size_t klen, const uint8_t *iv, size_t ivlen,
		 const void *in, size_t n, struct buf *out);
