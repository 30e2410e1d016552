/* SPDX-License-Identifier: Apache-2.0 */
/* OpenPGP packets for simple signing (RFC 4880 §4-§6, §11; RFC 9580 for what it
 * clarifies): packet framing in both header formats with partial lengths, ASCII armor with
 * CRC24, v4 public keys and fingerprints, v4 signatures over literal data, and ZIP/ZLIB
 * compressed data through isa-l (no zlib in the release build). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <isa-l/igzip_lib.h>

#include "common/b64.h"
#include "common/digest.h"
#include "openpgp.h"

enum {
	TAG_SIGNATURE = 2,
	TAG_SECRET_KEY = 5,
	TAG_PUBLIC_KEY = 6,
	TAG_SECRET_SUBKEY = 7,
	TAG_COMPRESSED = 8,
	TAG_MARKER = 10,
	TAG_LITERAL = 11,
	TAG_TRUST = 12,
	TAG_USER_ID = 13,
	TAG_PUBLIC_SUBKEY = 14,
	TAG_USER_ATTRIBUTE = 17,
	TAG_OPS = 4,
};

struct reader {
	const uint8_t *p;
	size_t n, off;
};

static bool rd_take(struct reader *r, size_t k, const uint8_t **ret)
{
	if (r->n - r->off < k)
		return false;
	*ret = r->p + r->off;
	r->off += k;
	return true;
}

static bool rd_u8(struct reader *r, uint8_t *v)
{
	const uint8_t *q;

	if (!rd_take(r, 1, &q))
		return false;
	*v = q[0];
	return true;
}

static bool rd_be16(struct reader *r, uint16_t *v)
{
	const uint8_t *q;

	if (!rd_take(r, 2, &q))
		return false;
	*v = (uint16_t) (q[0] << 8 | q[1]);
	return true;
}

static bool rd_be32(struct reader *r, uint32_t *v)
{
	const uint8_t *q;

	if (!rd_take(r, 4, &q))
		return false;
	*v = get_be32(q);
	return true;
}

/* An MPI (§3.2): a 16-bit bit count, then that many bits big-endian. Leading zero bytes
 * are tolerated (some writers keep them) and skipped. */
static bool rd_mpi(struct reader *r, const uint8_t **ret, size_t *ret_len)
{
	const uint8_t *q;
	uint16_t bits;
	size_t len;

	if (!rd_be16(r, &bits))
		return false;
	len = ((size_t) bits + 7) / 8;
	if (!rd_take(r, len, &q))
		return false;
	while (len > 0 && q[0] == 0)
		q++, len--;
	*ret = q;
	*ret_len = len;
	return true;
}

/* Reads one packet's header and body (partial lengths joined) into body. Bodies larger
 * than body->max give -E2BIG. */
static int rd_packet(struct reader *r, uint8_t *ret_tag, struct buf *body)
{
	const uint8_t *q;
	uint8_t h, tag, o;
	bool partial;
	uint32_t len;
	int k;

	buf_reset(body);
	if (!rd_u8(r, &h) || !(h & 0x80))
		return -EBADMSG;
	if (!(h & 0x40)) {
		/* Old format: tag in bits 5-2, length type in bits 1-0. */
		tag = (h >> 2) & 0x0f;
		switch (h & 3) {
		case 0:
			if (!rd_u8(r, &o))
				return -EBADMSG;
			len = o;
			break;
		case 1: {
			uint16_t v;

			if (!rd_be16(r, &v))
				return -EBADMSG;
			len = v;
			break;
		}
		case 2:
			if (!rd_be32(r, &len))
				return -EBADMSG;
			break;
		default:
			/* Indeterminate: the rest of the enclosing data (gpg writes its compressed
			 * packet this way). */
			len = (uint32_t) MIN(r->n - r->off, (size_t) UINT32_MAX);
			break;
		}
		if (!rd_take(r, len, &q))
			return -EBADMSG;
		*ret_tag = tag;
		return buf_append(body, q, len);
	}

	tag = h & 0x3f;
	do {
		if (!rd_u8(r, &o))
			return -EBADMSG;
		partial = false;
		if (o < 192)
			len = o;
		else if (o < 224) {
			uint8_t o2;

			if (!rd_u8(r, &o2))
				return -EBADMSG;
			len = ((uint32_t) (o - 192) << 8) + o2 + 192;
		} else if (o == 255) {
			if (!rd_be32(r, &len))
				return -EBADMSG;
		} else {
			/* Partial body length: only data packets may be streamed (§4.2.2.4). */
			if (tag != TAG_LITERAL && tag != TAG_COMPRESSED)
				return -EBADMSG;
			len = 1u << (o & 0x1f);
			partial = true;
		}
		if (!rd_take(r, len, &q))
			return -EBADMSG;
		k = buf_append(body, q, len);
		if (k < 0)
			return k;
	} while (partial);
	*ret_tag = tag;
	return 0;
}

/* ---- armor (§6) ---- */

static uint32_t crc24(const uint8_t *p, size_t n)
{
	uint32_t crc = 0xB704CEu;

	while (n--) {
		crc ^= (uint32_t) *p++ << 16;
		for (int i = 0; i < 8; i++) {
			crc <<= 1;
			if (crc & 0x1000000u)
				crc ^= 0x1864CFBu;
		}
	}
	return crc & 0xFFFFFFu;
}

/* Next line of s[*off..n) without its "\n" or "\r\n"; false at the end. */
static bool next_line(const char *s, size_t n, size_t *off, const char **ret, size_t *ret_len)
{
	const char *nl;
	size_t len;

	if (*off >= n)
		return false;
	nl = memchr(s + *off, '\n', n - *off);
	len = nl ? (size_t) (nl - (s + *off)) : n - *off;
	*ret = s + *off;
	*off += len + (nl ? 1 : 0);
	/* Trailing whitespace on armor lines is ignored (RFC 4880 §6.2). */
	while (len > 0 &&
	       ((*ret)[len - 1] == '\r' || (*ret)[len - 1] == ' ' || (*ret)[len - 1] == '\t'))
		len--;
	*ret_len = len;
	return true;
}

static bool line_is(const char *l, size_t len, const char *what, const char *kind)
{
	char want[64];
	int k = snprintf(want, sizeof(want), "-----%s PGP %s-----", what, kind);

	return k > 0 && (size_t) k == len && memcmp(l, want, len) == 0;
}

static size_t skip_space(const char *s, size_t n, size_t off)
{
	while (off < n && (s[off] == ' ' || s[off] == '\t' || s[off] == '\r' || s[off] == '\n'))
		off++;
	return off;
}

int openpgp_dearmor(const char *s, size_t n, const char *kind, struct buf *out)
{
	_cleanup_(buf_done) struct buf b64 = BUF_INIT(2 * OPENPGP_MAX_INPUT);
	size_t off = skip_space(s, n, 0), len, start;
	const char *l;
	int blocks = 0, r;

	if (n - off < 5 || memcmp(s + off, "-----", 5) != 0)
		return 0;
	while (off < n) {
		bool got_crc = false, ended = false;
		uint8_t crc[3];

		if (!next_line(s, n, &off, &l, &len) || !line_is(l, len, "BEGIN", kind))
			return -EBADMSG;
		/* Armor headers ("Key: value") up to the first empty line. */
		for (;;) {
			if (!next_line(s, n, &off, &l, &len))
				return -EBADMSG;
			if (len == 0)
				break;
			if (!memchr(l, ':', len))
				return -EBADMSG;
		}
		buf_reset(&b64);
		while (next_line(s, n, &off, &l, &len)) {
			if (line_is(l, len, "END", kind)) {
				ended = true;
				break;
			}
			if (got_crc)
				return -EBADMSG;
			if (len > 0 && l[0] == '=') {
				_cleanup_(buf_done) struct buf c = BUF_INIT(3);

				if (len != 5 || b64_decode(B64_STD, l + 1, 4, &c) < 0)
					return -EBADMSG;
				memcpy(crc, c.data, 3);
				got_crc = true;
				continue;
			}
			r = buf_append(&b64, l, len);
			if (r < 0)
				return r;
		}
		if (!ended)
			return -EBADMSG;
		start = out->len;
		r = b64_decode(B64_STD, buf_str(&b64), b64.len, out);
		if (r < 0)
			return r == -ENOMEM || r == -E2BIG ? r : -EBADMSG;
		/* The checksum is optional (RFC 9580 §6.1), but when given it must match. */
		if (got_crc) {
			uint32_t c = crc24(out->data + start, out->len - start);

			if (crc[0] != (uint8_t) (c >> 16) || crc[1] != (uint8_t) (c >> 8) ||
			    crc[2] != (uint8_t) c)
				return -EBADMSG;
		}
		blocks++;
		off = skip_space(s, n, off);
	}
	return blocks;
}

/* Binary input as is, or armor of the given kind decoded into tmp. */
static int input_bytes(const void *p, size_t n, const char *kind, struct buf *tmp,
		       struct reader *ret)
{
	int r;

	if (n > OPENPGP_MAX_INPUT)
		return -E2BIG;
	r = openpgp_dearmor(p, n, kind, tmp);
	if (r < 0)
		return r;
	if (r > 0)
		*ret = (struct reader){ .p = tmp->data, .n = tmp->len };
	else
		*ret = (struct reader){ .p = p, .n = n };
	return 0;
}

/* ---- keys (§5.5.2) ---- */

static const uint8_t oid_p256[] = { 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x03, 0x01, 0x07 };
static const uint8_t oid_p384[] = { 0x2b, 0x81, 0x04, 0x00, 0x22 };
static const uint8_t oid_p521[] = { 0x2b, 0x81, 0x04, 0x00, 0x23 };
/* 1.3.6.1.4.1.11591.15.1, the Ed25519 "legacy EdDSA" curve of v4 keys (RFC 9580 §9.2) */
static const uint8_t oid_ed25519[] = { 0x2b, 0x06, 0x01, 0x04, 0x01, 0xda, 0x47, 0x0f, 0x01 };

static bool oid_is(const uint8_t *oid, size_t n, const uint8_t *want, size_t wn)
{
	return n == wn && memcmp(oid, want, n) == 0;
}

/* Fills k from a v4 key body. -EBADMSG if the body is malformed; a well-formed key we
 * cannot verify with is kept with usable = false. */
static int parse_key(const uint8_t *p, size_t n, bool primary, struct openpgp_key *k)
{
	struct reader r = { .p = p, .n = n };
	const uint8_t *a, *b, *oid;
	size_t alen, blen;
	uint8_t ver, oidlen;
	int e;

	*k = (struct openpgp_key){ .primary = primary };
	if (!rd_u8(&r, &ver))
		return -EBADMSG;
	if (ver != 4)
		return 0; /* v3 (MD5 fingerprints) and v5/v6 keys: not ours to use */
	if (!rd_be32(&r, &k->created) || !rd_u8(&r, &k->algo))
		return -EBADMSG;
	{
		/* Fingerprint: SHA-1 over 0x99, the 16-bit body length, the body (§12.2). */
		_cleanup_(buf_done) struct buf h = BUF_INIT(BUF_UNLIMITED);

		if (n > 0xffff)
			return -EBADMSG;
		e = buf_put_u8(&h, 0x99);
		if (e == 0)
			e = buf_put_u8(&h, (uint8_t) (n >> 8));
		if (e == 0)
			e = buf_put_u8(&h, (uint8_t) n);
		if (e == 0)
			e = buf_append(&h, p, n);
		if (e < 0)
			return e;
		digest_sha1(h.data, h.len, k->fpr);
		memcpy(k->keyid, k->fpr + OPENPGP_FPR_SIZE - OPENPGP_KEYID_SIZE,
		       OPENPGP_KEYID_SIZE);
	}

	switch (k->algo) {
	case OPENPGP_PK_RSA:
	case OPENPGP_PK_RSA_SIGN:
		if (!rd_mpi(&r, &a, &alen) || !rd_mpi(&r, &b, &blen) || r.off != n)
			return -EBADMSG;
		e = crypto_pk_rsa_from_raw((struct crypto_bytes){ a, alen },
					   (struct crypto_bytes){ b, blen },
					   (struct crypto_bytes){}, (struct crypto_bytes){},
					   (struct crypto_bytes){}, &k->pk);
		break;
	case OPENPGP_PK_ECDSA:
	case OPENPGP_PK_EDDSA: {
		enum crypto_curve c = CRYPTO_CURVE_NONE;
		size_t sz;

		if (!rd_u8(&r, &oidlen) || oidlen == 0 || oidlen == 0xff ||
		    !rd_take(&r, oidlen, &oid) || !rd_mpi(&r, &a, &alen) || r.off != n)
			return -EBADMSG;
		if (k->algo == OPENPGP_PK_EDDSA) {
			/* The point is prefixed with 0x40 (native encoding, RFC 9580 §11.2). */
			if (!oid_is(oid, oidlen, oid_ed25519, sizeof(oid_ed25519)) || alen != 33 ||
			    a[0] != 0x40)
				return 0;
			memcpy(k->ed25519, a + 1, 32);
			k->usable = true;
			return 0;
		}
		if (oid_is(oid, oidlen, oid_p256, sizeof(oid_p256)))
			c = CRYPTO_CURVE_P256;
		else if (oid_is(oid, oidlen, oid_p384, sizeof(oid_p384)))
			c = CRYPTO_CURVE_P384;
		else if (oid_is(oid, oidlen, oid_p521, sizeof(oid_p521)))
			c = CRYPTO_CURVE_P521;
		else
			return 0;
		sz = crypto_curve_size(c);
		if (alen != 1 + 2 * sz || a[0] != 0x04)
			return -EBADMSG;
		e = crypto_pk_ec_from_raw(c, a + 1, a + 1 + sz, NULL, &k->pk);
		break;
	}
	default:
		return 0; /* ElGamal, DSA, ECDH, ...: kept so the keyring parses, not usable */
	}
	if (e == -ENOMEM)
		return e;
	/* A key mbedTLS refuses (an RSA modulus under 2048 bits, a point off the curve)
	 * simply cannot verify anything. */
	k->usable = e == 0;
	return 0;
}

struct openpgp_keyring *openpgp_keyring_free(struct openpgp_keyring *k)
{
	if (!k)
		return NULL;
	for (size_t i = 0; i < k->n; i++)
		crypto_pk_free(k->keys[i].pk);
	free(k->keys);
	free(k);
	return NULL;
}

/* ---- messages (§5.2, §5.4, §5.6, §5.9, §11.3) ---- */

struct openpgp_message *openpgp_message_free(struct openpgp_message *m)
{
	if (!m)
		return NULL;
	buf_done(&m->literal);
	free(m->hashed);
	free(m->mpi[0]);
	free(m->mpi[1]);
	free(m);
	return NULL;
}

static int hash_alg(uint8_t id, enum digest_alg *ret)
{
	switch (id) {
	case 8:
		*ret = DIGEST_SHA256;
		return 0;
	case 9:
		*ret = DIGEST_SHA384;
		return 0;
	case 10:
		*ret = DIGEST_SHA512;
		return 0;
	case 1:
	case 2:
	case 3:
	case 11:
	case 12:
	case 14:
		return -EOPNOTSUPP; /* MD5, SHA-1, RIPEMD-160, SHA-224, SHA3: not accepted */
	default:
		return -EBADMSG;
	}
}

enum {
	SUB_CREATED = 2,
	SUB_EXPIRES = 3,
	SUB_EXPORTABLE = 4,
	SUB_REVOCABLE = 7,
	SUB_KEY_EXPIRES = 9,
	SUB_ISSUER = 16,
	SUB_NOTATION = 20,
	SUB_SIGNER_UID = 28,
	SUB_ISSUER_FPR = 33,
};

/* Walks one subpacket area (§5.2.3.1). In the hashed area a critical subpacket we do not
 * act on makes the signature unusable (§5.2.3.1: "SHOULD consider the signature to be in
 * error"); the unhashed area only offers issuer hints. */
static int parse_subpackets(struct openpgp_message *m, const uint8_t *p, size_t n, bool hashed,
			    bool *has_created)
{
	struct reader r = { .p = p, .n = n };

	while (r.off < r.n) {
		const uint8_t *d;
		uint32_t len;
		uint8_t o, t;

		if (!rd_u8(&r, &o))
			return -EBADMSG;
		if (o < 192)
			len = o;
		else if (o < 255) {
			uint8_t o2;

			if (!rd_u8(&r, &o2))
				return -EBADMSG;
			len = ((uint32_t) (o - 192) << 8) + o2 + 192;
		} else if (!rd_be32(&r, &len))
			return -EBADMSG;
		if (len == 0 || !rd_take(&r, len, &d))
			return -EBADMSG;
		t = d[0] & 0x7f;
		d++, len--;
		switch (t) {
		case SUB_CREATED:
		case SUB_EXPIRES:
			if (len != 4)
				return -EBADMSG;
			if (!hashed)
				break;
			if (t == SUB_CREATED) {
				m->created = get_be32(d);
				*has_created = true;
			} else
				m->expires = get_be32(d);
			break;
		case SUB_KEY_EXPIRES:
			if (len != 4)
				return -EBADMSG;
			if (hashed) {
				m->key_expires = get_be32(d);
				m->has_key_expires = true;
			}
			break;
		case SUB_ISSUER:
			if (len != OPENPGP_KEYID_SIZE)
				return -EBADMSG;
			memcpy(m->issuer, d, OPENPGP_KEYID_SIZE);
			m->has_issuer = true;
			break;
		case SUB_ISSUER_FPR:
			/* Version 4 fingerprints only; others are not ours to compare. */
			if (len == 1 + OPENPGP_FPR_SIZE && d[0] == 4) {
				memcpy(m->issuer_fpr, d + 1, OPENPGP_FPR_SIZE);
				m->has_issuer_fpr = true;
			}
			break;
		case SUB_EXPORTABLE:
		case SUB_REVOCABLE:
		case SUB_SIGNER_UID:
			break;
		default:
			if (hashed && (d[-1] & 0x80))
				return -EOPNOTSUPP;
			break;
		}
	}
	return 0;
}

static int dup_bytes(const uint8_t *p, size_t n, uint8_t **ret)
{
	*ret = malloc(n ? n : 1);
	if (!*ret)
		return -ENOMEM;
	if (n)
		memcpy(*ret, p, n);
	return 0;
}

/* A v4 signature packet. data: only document signatures (0x00, 0x01) are allowed. */
static int parse_signature(struct openpgp_message *m, const uint8_t *p, size_t n, bool data)
{
	struct reader r = { .p = p, .n = n };
	const uint8_t *area, *q, *a;
	uint16_t hlen, ulen;
	enum digest_alg md;
	bool has_created = false;
	uint8_t ver;
	size_t alen;
	int e;

	if (!rd_u8(&r, &ver))
		return -EBADMSG;
	if (ver != 4)
		return ver == 3 || ver == 5 || ver == 6 ? -EOPNOTSUPP : -EBADMSG;
	if (!rd_u8(&r, &m->sig_type) || !rd_u8(&r, &m->pk_algo) || !rd_u8(&r, &m->hash_algo) ||
	    !rd_be16(&r, &hlen) || !rd_take(&r, hlen, &area))
		return -EBADMSG;
	/* Binary (0x00) or canonical text (0x01) document signatures only. */
	if (data && m->sig_type > 0x01)
		return -EBADMSG;
	e = hash_alg(m->hash_algo, &md);
	if (e < 0)
		return e;
	e = parse_subpackets(m, area, hlen, true, &has_created);
	if (e < 0)
		return e;
	if (!has_created)
		return -EBADMSG;
	e = dup_bytes(p, 6 + (size_t) hlen, &m->hashed);
	if (e < 0)
		return e;
	m->hashed_len = 6 + (size_t) hlen;
	if (!rd_be16(&r, &ulen) || !rd_take(&r, ulen, &area))
		return -EBADMSG;
	e = parse_subpackets(m, area, ulen, false, &has_created);
	if (e < 0)
		return e;
	if (!rd_take(&r, 2, &q))
		return -EBADMSG;
	memcpy(m->left16, q, 2);
	for (int i = 0;
	     i < (m->pk_algo == OPENPGP_PK_RSA || m->pk_algo == OPENPGP_PK_RSA_SIGN ? 1 : 2); i++) {
		if (!rd_mpi(&r, &a, &alen))
			return -EBADMSG;
		e = dup_bytes(a, alen, &m->mpi[i]);
		if (e < 0)
			return e;
		m->mpi_len[i] = alen;
	}
	switch (m->pk_algo) {
	case OPENPGP_PK_RSA:
	case OPENPGP_PK_RSA_SIGN:
	case OPENPGP_PK_ECDSA:
	case OPENPGP_PK_EDDSA:
		break;
	default:
		return -EOPNOTSUPP;
	}
	return r.off == n ? 0 : -EBADMSG;
}

static int parse_literal(struct openpgp_message *m, const uint8_t *p, size_t n)
{
	struct reader r = { .p = p, .n = n };
	const uint8_t *q;
	uint8_t fmt, namelen;
	uint32_t date;

	if (!rd_u8(&r, &fmt) || !rd_u8(&r, &namelen) || !rd_take(&r, namelen, &q) ||
	    !rd_be32(&r, &date))
		return -EBADMSG;
	if (n - r.off > OPENPGP_MAX_LITERAL)
		return -E2BIG;
	return buf_append(&m->literal, p + r.off, n - r.off);
}

static void inflate_statep(struct inflate_state **s)
{
	free(*s);
}

/* ZIP is raw deflate (RFC 1951), ZLIB is RFC 1950 with its Adler-32 checked by isa-l. */
static int inflate_body(uint8_t algo, const uint8_t *in, size_t n, struct buf *out)
{
	_cleanup_(inflate_statep) struct inflate_state *st = NULL;
	int e;

	if (n > UINT32_MAX)
		return -E2BIG;
	st = malloc(sizeof(*st));
	if (!st)
		return -ENOMEM;
	isal_inflate_init(st);
	st->crc_flag = algo == 1 ? ISAL_DEFLATE : ISAL_ZLIB;
	st->next_in = (uint8_t *) in;
	st->avail_in = (uint32_t) n;
	for (;;) {
		size_t room = MIN((size_t) 16384, out->max - out->len);

		if (room == 0)
			return -E2BIG;
		e = buf_reserve(out, room);
		if (e < 0)
			return e;
		st->next_out = out->data + out->len;
		st->avail_out = (uint32_t) room;
		e = isal_inflate(st);
		out->len += room - st->avail_out;
		out->data[out->len] = 0;
		if (e != ISAL_DECOMP_OK)
			return -EBADMSG;
		if (st->block_state == ISAL_BLOCK_FINISH)
			/* Nothing may follow the stream inside the packet. */
			return st->avail_in == 0 ? 0 : -EBADMSG;
		if (st->avail_in == 0 && st->avail_out > 0)
			return -EBADMSG; /* truncated */
	}
}

enum {
	WANT_OPS,
	WANT_LITERAL,
	WANT_SIG,
	DONE
};

static int parse_packets(struct openpgp_message *m, struct reader *r, unsigned depth, int *state)
{
	_cleanup_(buf_done) struct buf body = BUF_INIT(OPENPGP_MAX_INPUT + OPENPGP_MAX_LITERAL);
	uint8_t tag;
	int e;

	while (r->off < r->n) {
		e = rd_packet(r, &tag, &body);
		if (e < 0)
			return e;
		switch (tag) {
		case TAG_MARKER:
			if (*state != WANT_OPS)
				return -EBADMSG;
			break;
		case TAG_COMPRESSED: {
			_cleanup_(buf_done) struct buf plain = BUF_INIT(OPENPGP_MAX_LITERAL +
									65536);
			struct reader inner;

			if (*state != WANT_OPS || depth >= OPENPGP_MAX_NESTING || body.len < 1)
				return -EBADMSG;
			switch (body.data[0]) {
			case 0:
				e = buf_append(&plain, body.data + 1, body.len - 1);
				break;
			case 1:
			case 2:
				e = inflate_body(body.data[0], body.data + 1, body.len - 1, &plain);
				break;
			case 3:
				return -EOPNOTSUPP; /* BZip2 */
			default:
				return -EBADMSG;
			}
			if (e < 0)
				return e;
			inner = (struct reader){ .p = plain.data, .n = plain.len };
			e = parse_packets(m, &inner, depth + 1, state);
			if (e < 0)
				return e;
			/* The compressed packet held the whole message. */
			if (*state != DONE || r->off != r->n)
				return -EBADMSG;
			return 0;
		}
		case TAG_OPS: {
			const uint8_t *q = body.data;

			/* version 3, sig type, hash, pk algo, key id, nested flag (§5.4) */
			if (*state != WANT_OPS || body.len != 13 || q[0] != 3)
				return -EBADMSG;
			m->sig_type = q[1];
			m->hash_algo = q[2];
			m->pk_algo = q[3];
			memcpy(m->ops_keyid, q + 4, OPENPGP_KEYID_SIZE);
			/* One signature only: the flag says no other OPS follows. */
			if (q[12] != 1)
				return -EBADMSG;
			*state = WANT_LITERAL;
			break;
		}
		case TAG_LITERAL:
			if (*state != WANT_LITERAL)
				return -EBADMSG;
			e = parse_literal(m, body.data, body.len);
			if (e < 0)
				return e;
			*state = WANT_SIG;
			break;
		case TAG_SIGNATURE: {
			uint8_t t = m->sig_type, h = m->hash_algo, a = m->pk_algo;

			if (*state != WANT_SIG)
				return -EBADMSG;
			e = parse_signature(m, body.data, body.len, true);
			if (e < 0)
				return e;
			/* The one-pass header announced what the signature must be. */
			if (t != m->sig_type || h != m->hash_algo || a != m->pk_algo)
				return -EBADMSG;
			*state = DONE;
			break;
		}
		default:
			return -EBADMSG;
		}
	}
	return 0;
}

int openpgp_message_parse(const void *p, size_t n, struct openpgp_message **ret)
{
	_cleanup_(openpgp_message_freep) struct openpgp_message *m = NULL;
	_cleanup_(buf_done) struct buf tmp = BUF_INIT(OPENPGP_MAX_INPUT);
	struct reader r;
	int state = WANT_OPS, e;

	e = input_bytes(p, n, "MESSAGE", &tmp, &r);
	if (e < 0)
		return e;
	m = calloc(1, sizeof(*m));
	if (!m)
		return -ENOMEM;
	m->literal = BUF_INIT(OPENPGP_MAX_LITERAL);
	e = parse_packets(m, &r, 0, &state);
	if (e < 0)
		return e;
	if (state != DONE)
		return -EBADMSG;
	*ret = steal_ptr(m);
	return 0;
}

/* Copies a big-endian integer right-aligned into out[0..size); false if it does not fit. */
static bool pad_left(const uint8_t *p, size_t n, uint8_t *out, size_t size)
{
	if (n > size)
		return false;
	memset(out, 0, size - n);
	memcpy(out + size - n, p, n);
	return true;
}

static void hash_literal(struct digest_ctx *c, const struct openpgp_message *m)
{
	const uint8_t *p = m->literal.data;
	size_t n = m->literal.len, i, start = 0;

	if (m->sig_type == 0x00 || n == 0) {
		digest_update(c, p, n);
		return;
	}
	/* Canonical text: every line ending hashed as CR LF (§5.2.1). */
	for (i = 0; i < n; i++) {
		if (p[i] != '\n' || (i > 0 && p[i - 1] == '\r'))
			continue;
		digest_update(c, p + start, i - start);
		digest_update(c, "\r\n", 2);
		start = i + 1;
	}
	digest_update(c, p + start, n - start);
}

/* Checks m's signature values over hash (already finished over data and trailer) with k. */
static int verify_hash(const struct openpgp_message *m, const struct openpgp_key *k,
		       enum digest_alg md, const uint8_t *hash, size_t hlen)
{
	/* RSA moduli stop at 8192 bits (crypto_pk_rsa_from_raw) */
	uint8_t sig[8192 / 8];
	int e;

	if (!k->usable)
		return -EOPNOTSUPP;
	if ((k->algo == OPENPGP_PK_ECDSA || k->algo == OPENPGP_PK_EDDSA)
		? m->pk_algo != k->algo
		: (m->pk_algo != OPENPGP_PK_RSA && m->pk_algo != OPENPGP_PK_RSA_SIGN))
		return -EKEYREJECTED;
	/* The quick check only saves work: a match proves nothing, a mismatch is final. */
	if (memcmp(hash, m->left16, 2) != 0)
		return -EKEYREJECTED;

	switch (k->algo) {
	case OPENPGP_PK_RSA:
	case OPENPGP_PK_RSA_SIGN: {
		size_t size = (crypto_pk_bits(k->pk) + 7) / 8;

		if (size > sizeof(sig) || !pad_left(m->mpi[0], m->mpi_len[0], sig, size))
			return -EKEYREJECTED;
		e = crypto_pk_verify(k->pk, CRYPTO_SIG_RSA_PKCS1, md, hash, hlen, sig, size);
		break;
	}
	case OPENPGP_PK_ECDSA: {
		size_t size = crypto_curve_size(crypto_pk_curve(k->pk));

		if (!pad_left(m->mpi[0], m->mpi_len[0], sig, size) ||
		    !pad_left(m->mpi[1], m->mpi_len[1], sig + size, size))
			return -EKEYREJECTED;
		e = crypto_pk_verify(k->pk, CRYPTO_SIG_ECDSA_RAW, md, hash, hlen, sig, 2 * size);
		break;
	}
	case OPENPGP_PK_EDDSA:
		/* Legacy EdDSA signs the hash, not the data (RFC 9580 §5.2.3.3). */
		if (!pad_left(m->mpi[0], m->mpi_len[0], sig, 32) ||
		    !pad_left(m->mpi[1], m->mpi_len[1], sig + 32, 32))
			return -EKEYREJECTED;
		e = crypto_ed25519_verify(k->ed25519, hash, hlen, sig);
		break;
	default:
		return -EOPNOTSUPP;
	}
	if (e < 0)
		return e == -ENOMEM ? e : -EKEYREJECTED;
	return 0;
}

/* The v4 hash trailer (§5.2.4): the hashed part, then 0x04 0xFF and its length. */
static size_t hash_finish(struct digest_ctx *c, const struct openpgp_message *m, uint8_t *hash)
{
	uint8_t trailer[6];

	digest_update(c, m->hashed, m->hashed_len);
	trailer[0] = 0x04;
	trailer[1] = 0xff;
	put_be32(trailer + 2, (uint32_t) m->hashed_len);
	digest_update(c, trailer, sizeof(trailer));
	return digest_final(c, hash);
}

int openpgp_message_verify(const struct openpgp_message *m, const struct openpgp_key *k,
			   uint64_t now)
{
	uint8_t hash[DIGEST_MAX_SIZE];
	struct digest_ctx c;
	enum digest_alg md;
	size_t hlen;
	int e;

	if (!k->usable)
		return -EOPNOTSUPP;
	e = hash_alg(m->hash_algo, &md);
	if (e < 0)
		return e;
	digest_init(&c, md);
	hash_literal(&c, m);
	hlen = hash_finish(&c, m, hash);
	e = verify_hash(m, k, md, hash, hlen);
	if (e < 0)
		return e;
	if (m->expires != 0 && now >= (uint64_t) m->created + m->expires)
		return -EKEYEXPIRED;
	return 0;
}

int openpgp_verify(const struct openpgp_keyring *kr, const void *sig, size_t n, uint64_t now,
		   const struct openpgp_key **ret_key, struct buf *payload)
{
	_cleanup_(openpgp_message_freep) struct openpgp_message *m = NULL;
	int e, last = -EKEYREJECTED;

	e = openpgp_message_parse(sig, n, &m);
	if (e < 0)
		return e;
	for (size_t i = 0; i < kr->n; i++) {
		const struct openpgp_key *k = &kr->keys[i];

		/* Upstream verifies with primary keys only (rpgp's primary_key). */
		if (!k->primary || !k->usable)
			continue;
		/* Issuer hints name another key: no need to try this one. */
		if ((m->has_issuer_fpr && memcmp(m->issuer_fpr, k->fpr, OPENPGP_FPR_SIZE) != 0) ||
		    (m->has_issuer && memcmp(m->issuer, k->keyid, OPENPGP_KEYID_SIZE) != 0))
			continue;
		e = openpgp_message_verify(m, k, now);
		if (e == -ENOMEM)
			return e;
		if (e < 0) {
			if (e == -EKEYEXPIRED)
				last = e;
			continue;
		}
		/* The verifying key must be the one the one-pass header names. */
		if (memcmp(m->ops_keyid, k->keyid, OPENPGP_KEYID_SIZE) != 0)
			return -EKEYREJECTED;
		/* What the key's own signatures say about it now (gpgme reports both, and
		 * c/image refuses either). */
		if (k->revoked)
			return -EKEYREVOKED;
		if (k->expires != 0 && now >= (uint64_t) k->created + k->expires)
			return -EKEYEXPIRED;
		e = buf_append(payload, m->literal.data, m->literal.len);
		if (e < 0)
			return e;
		if (ret_key)
			*ret_key = k;
		return 0;
	}
	return last;
}

/* ---- keyrings (§11.1) ---- */

/* Self-signatures verified per keyring at most (each costs a public-key operation). */
#define MAX_SELF_SIGS 256

/* A primary key's own signature: hashed over 0x99 || len16 || key body, then for a
 * certification 0xB4 (user ID) or 0xD1 (attribute) || len32 || the packet (§5.2.4). */
/* Returns -ENOMEM only: a signature that does not parse or verify is ignored, but an
 * allocation failure must not make a revoked key look valid. */
static int self_signature(struct openpgp_key *k, const struct buf *key, uint8_t uid_tag,
			  const struct buf *uid, const uint8_t *p, size_t n, uint32_t *best)
{
	_cleanup_(openpgp_message_freep) struct openpgp_message *m = NULL;
	uint8_t hash[DIGEST_MAX_SIZE], pre[5];
	struct digest_ctx c;
	enum digest_alg md;
	size_t hlen;
	bool cert;
	int e;

	m = calloc(1, sizeof(*m));
	if (!m)
		return -ENOMEM;
	e = parse_signature(m, p, n, false);
	if (e < 0 || hash_alg(m->hash_algo, &md) < 0)
		return e == -ENOMEM ? e : 0;
	cert = m->sig_type >= 0x10 && m->sig_type <= 0x13;
	if (!(cert && uid_tag) && m->sig_type != 0x1f && m->sig_type != 0x20)
		return 0;
	digest_init(&c, md);
	pre[0] = 0x99;
	pre[1] = (uint8_t) (key->len >> 8);
	pre[2] = (uint8_t) key->len;
	digest_update(&c, pre, 3);
	digest_update(&c, key->data, key->len);
	if (cert) {
		pre[0] = uid_tag;
		put_be32(pre + 1, (uint32_t) uid->len);
		digest_update(&c, pre, 5);
		digest_update(&c, uid->data, uid->len);
	}
	hlen = hash_finish(&c, m, hash);
	e = verify_hash(m, k, md, hash, hlen);
	if (e < 0)
		return e == -ENOMEM ? e : 0;
	if (m->sig_type == 0x20) {
		k->revoked = true;
		return 0;
	}
	/* The newest self-signature states the key's current expiry. */
	if (m->created >= *best) {
		*best = m->created;
		k->expires = m->has_key_expires ? m->key_expires : 0;
	}
	return 0;
}

int openpgp_keyring_parse(const void *p, size_t n, struct openpgp_keyring **ret)
{
	_cleanup_(openpgp_keyring_freep) struct openpgp_keyring *kr = NULL;
	_cleanup_(buf_done) struct buf tmp = BUF_INIT(OPENPGP_MAX_INPUT);
	_cleanup_(buf_done) struct buf body = BUF_INIT(OPENPGP_MAX_INPUT);
	_cleanup_(buf_done) struct buf key = BUF_INIT(OPENPGP_MAX_INPUT);
	_cleanup_(buf_done) struct buf uid = BUF_INIT(OPENPGP_MAX_INPUT);
	struct reader r;
	bool have_primary = false, in_subkey = false;
	uint8_t tag, uid_tag = 0;
	uint32_t best = 0;
	unsigned self_sigs = 0;
	int e;

	e = input_bytes(p, n, "PUBLIC KEY BLOCK", &tmp, &r);
	if (e < 0)
		return e;
	kr = calloc(1, sizeof(*kr));
	if (!kr)
		return -ENOMEM;
	while (r.off < r.n) {
		e = rd_packet(&r, &tag, &body);
		if (e < 0)
			return e;
		switch (tag) {
		case TAG_PUBLIC_KEY:
		case TAG_PUBLIC_SUBKEY: {
			struct openpgp_key *nk;

			if (tag == TAG_PUBLIC_SUBKEY && !have_primary)
				return -EBADMSG;
			if (kr->n >= OPENPGP_MAX_KEYS)
				return -E2BIG;
			nk = reallocarray(kr->keys, kr->n + 1, sizeof(*nk));
			if (!nk)
				return -ENOMEM;
			kr->keys = nk;
			e = parse_key(body.data, body.len, tag == TAG_PUBLIC_KEY, &kr->keys[kr->n]);
			if (e < 0) {
				crypto_pk_free(kr->keys[kr->n].pk);
				return e;
			}
			kr->n++;
			have_primary = true;
			in_subkey = tag == TAG_PUBLIC_SUBKEY;
			if (!in_subkey) {
				buf_reset(&key);
				e = buf_append(&key, body.data, body.len);
				if (e < 0)
					return e;
				uid_tag = 0;
				best = 0;
			}
			break;
		}
		case TAG_USER_ID:
		case TAG_USER_ATTRIBUTE:
			if (!have_primary)
				return -EBADMSG;
			uid_tag = tag == TAG_USER_ID ? 0xb4 : 0xd1;
			buf_reset(&uid);
			e = buf_append(&uid, body.data, body.len);
			if (e < 0)
				return e;
			break;
		case TAG_SIGNATURE: {
			struct openpgp_key *primary = NULL;

			if (!have_primary)
				return -EBADMSG;
			/* Subkey bindings say nothing about the primary key. */
			if (in_subkey || self_sigs >= MAX_SELF_SIGS)
				break;
			for (size_t i = kr->n; i > 0; i--)
				if (kr->keys[i - 1].primary) {
					primary = &kr->keys[i - 1];
					break;
				}
			if (!primary->usable || key.len > 0xffff)
				break;
			self_sigs++;
			e = self_signature(primary, &key, uid_tag, &uid, body.data, body.len,
					   &best);
			if (e < 0)
				return e;
			break;
		}
		case TAG_TRUST:
		case TAG_MARKER:
			if (!have_primary && tag != TAG_MARKER)
				return -EBADMSG;
			break;
		default:
			/* Secret keys among the trusted public keys are a configuration mistake
			 * worth refusing, not a thing to skip. */
			return -EBADMSG;
		}
	}
	if (kr->n == 0)
		return -ENOKEY;
	*ret = steal_ptr(kr);
	return 0;
}
