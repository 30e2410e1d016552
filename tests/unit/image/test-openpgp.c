/* SPDX-License-Identifier: Apache-2.0 */
/* image-rs/signature/openpgp.c against gpg 2.2 output kept in data/ (RSA-2048, ECDSA
 * P-256 and Ed25519 keys; ZIP-compressed and uncompressed signed messages of
 * data/payload.json), then every single-byte change and truncation of those messages,
 * and hand-made malformed packets. */
#include <errno.h>
#include <fcntl.h>
#include <unistd.h>

#include "image-rs/signature/openpgp.h"
#include "tests/unit/tests.h"

static const struct {
	const char *name, *fpr;
	uint8_t algo;
} keys[] = {
	{ "rsa2048", "12b823bd0aed7a84b37acfea0fa704a77acb8ec0", OPENPGP_PK_RSA },
	{ "nistp256", "2a673b121e7e1bba23501a9cd4c4ca08744d3458", OPENPGP_PK_ECDSA },
	{ "ed25519", "43d6a8e8987741ea654aea0c9c48f37884756517", OPENPGP_PK_EDDSA },
};

static void load(const char *name, struct buf *b)
{
	char path[1024];
	int fd;

	snprintf(path, sizeof(path), "%s/%s", TEST_DATA_DIR, name);
	*b = BUF_INIT(1 << 20);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	ASSERT_TRUE(fd >= 0);
	ASSERT_OK(buf_read_fd(b, fd));
	close(fd);
}

static struct openpgp_keyring *keyring(const char *name, const char *ext)
{
	_cleanup_(buf_done) struct buf b = {};
	struct openpgp_keyring *kr = NULL;
	char f[64];

	snprintf(f, sizeof(f), "%s.%s", name, ext);
	load(f, &b);
	ASSERT_OK(openpgp_keyring_parse(b.data, b.len, &kr));
	return kr;
}

static void test_keyrings(void)
{
	for (size_t i = 0; i < ELEMENTSOF(keys); i++)
		for (int armored = 0; armored < 2; armored++) {
			_cleanup_(openpgp_keyring_freep) struct openpgp_keyring *kr = keyring(
			    keys[i].name, armored ? "asc" : "gpg");
			char hex[41];

			ASSERT_EQ(kr->n, 1);
			ASSERT_TRUE(kr->keys[0].primary && kr->keys[0].usable);
			ASSERT_EQ(kr->keys[0].algo, keys[i].algo);
			ASSERT_STREQ(digest_hex(kr->keys[0].fpr, 20, hex), keys[i].fpr);
			ASSERT_MEMEQ(kr->keys[0].keyid, kr->keys[0].fpr + 12, 8);
		}
}

static void test_verify(void)
{
	_cleanup_(buf_done) struct buf payload = {};

	load("payload.json", &payload);
	for (size_t i = 0; i < ELEMENTSOF(keys); i++)
		for (int plain = 0; plain < 2; plain++) {
			_cleanup_(openpgp_keyring_freep) struct openpgp_keyring *kr = keyring(
			    keys[i].name, "gpg");
			_cleanup_(openpgp_keyring_freep) struct openpgp_keyring *other = keyring(
			    keys[(i + 1) % ELEMENTSOF(keys)].name, "asc");
			_cleanup_(buf_done) struct buf sig = {}, out = BUF_INIT(1 << 20);
			const struct openpgp_key *k = NULL;
			char f[64];

			snprintf(f, sizeof(f), "%s%s.sig", keys[i].name, plain ? "-plain" : "");
			load(f, &sig);
			ASSERT_OK(openpgp_verify(kr, sig.data, sig.len, 1700000000, &k, &out));
			ASSERT_TRUE(k == &kr->keys[0]);
			ASSERT_EQ(out.len, payload.len);
			ASSERT_MEMEQ(out.data, payload.data, out.len);
			ASSERT_ERR(openpgp_verify(other, sig.data, sig.len, 1700000000, NULL, &out),
				   -EKEYREJECTED);
		}
}

/* Every byte changed in turn, and every prefix: never a crash, never a different payload. */
static void test_mutations(void)
{
	_cleanup_(buf_done) struct buf payload = {};

	load("payload.json", &payload);
	for (size_t i = 0; i < ELEMENTSOF(keys); i++)
		for (int plain = 0; plain < 2; plain++) {
			_cleanup_(openpgp_keyring_freep) struct openpgp_keyring *kr = keyring(
			    keys[i].name, "gpg");
			_cleanup_(buf_done) struct buf sig = {};
			size_t accepted = 0;
			char f[64];

			snprintf(f, sizeof(f), "%s%s.sig", keys[i].name, plain ? "-plain" : "");
			load(f, &sig);
			for (size_t pos = 0; pos < sig.len; pos++) {
				uint8_t save = sig.data[pos];

				for (unsigned x = 1; x < 256; x <<= 2) {
					_cleanup_(buf_done) struct buf out = BUF_INIT(1 << 20);

					sig.data[pos] = save ^ (uint8_t) x;
					if (openpgp_verify(kr, sig.data, sig.len, 1700000000, NULL,
							   &out) == 0) {
						/* Only unsigned bytes (literal file name and date,
						 * unhashed area) may change without effect. */
						ASSERT_EQ(out.len, payload.len);
						ASSERT_MEMEQ(out.data, payload.data, out.len);
						accepted++;
					}
				}
				sig.data[pos] = save;
			}
			/* Compressed bytes are all covered; the plain form has a few free ones. */
			ASSERT_TRUE(accepted < sig.len);
			for (size_t n = 0; n < sig.len; n++) {
				_cleanup_(buf_done) struct buf out = BUF_INIT(1 << 20);

				ASSERT_TRUE(
				    openpgp_verify(kr, sig.data, n, 1700000000, NULL, &out) < 0);
			}
		}
}

/* The one-pass header must name the key that verified (upstream's SigKeyIDs). */
static void test_ops_keyid(void)
{
	_cleanup_(openpgp_keyring_freep) struct openpgp_keyring *kr = keyring("rsa2048", "gpg");
	_cleanup_(buf_done) struct buf sig = {}, out = BUF_INIT(1 << 20);
	size_t off;

	load("rsa2048-plain.sig", &sig);
	/* gpg writes the OPS packet first: old (0x90) or new (0xc4) header, length 13. */
	ASSERT_TRUE((sig.data[0] == 0x90 || sig.data[0] == 0xc4) && sig.data[1] == 13);
	off = 2 + 4;
	ASSERT_MEMEQ(sig.data + off, kr->keys[0].keyid, 8);
	sig.data[off + 7] ^= 1;
	ASSERT_ERR(openpgp_verify(kr, sig.data, sig.len, 1700000000, NULL, &out), -EKEYREJECTED);
	/* A subkey-only match does not count: mark the key as a subkey. */
	sig.data[off + 7] ^= 1;
	kr->keys[0].primary = false;
	ASSERT_ERR(openpgp_verify(kr, sig.data, sig.len, 1700000000, NULL, &out), -EKEYREJECTED);
}

static void test_armor(void)
{
	_cleanup_(buf_done) struct buf a = {};
	struct openpgp_keyring *kr = NULL;
	char *crc;

	load("ed25519.asc", &a);
	crc = strstr((char *) a.data, "\n=");
	ASSERT_TRUE(crc);
	/* A wrong checksum is refused ... */
	crc[2] = crc[2] == 'A' ? 'B' : 'A';
	ASSERT_ERR(openpgp_keyring_parse(a.data, a.len, &kr), -EBADMSG);
	/* ... a missing one is fine (RFC 9580 §6.1). */
	memmove(crc + 1, crc + 7, a.len - (size_t) (crc + 7 - (char *) a.data) + 1);
	a.len -= 6;
	ASSERT_OK(openpgp_keyring_parse(a.data, a.len, &kr));
	kr = openpgp_keyring_free(kr);

	static const char *bad[] = {
		"-----BEGIN PGP PUBLIC KEY BLOCK-----\n\nmDMEZ\n",
		"-----BEGIN PGP PUBLIC KEY BLOCK-----\nno blank line\n-----END PGP PUBLIC KEY "
		"BLOCK-----\n",
		"-----BEGIN PGP PUBLIC KEY BLOCK-----\n\n!!!!\n-----END PGP PUBLIC KEY "
		"BLOCK-----\n",
		"-----BEGIN PGP PRIVATE KEY BLOCK-----\n\n-----END PGP PRIVATE KEY BLOCK-----\n",
		"-----BEGIN PGP PUBLIC KEY BLOCK-----\n\nAAAA\n=AAAA\nAAAA\n-----END PGP PUBLIC "
		"KEY BLOCK-----\n",
	};
	for (size_t i = 0; i < ELEMENTSOF(bad); i++)
		ASSERT_ERR(openpgp_keyring_parse(bad[i], strlen(bad[i]), &kr), -EBADMSG);
	/* Two armored blocks in one file make one keyring. */
	{
		_cleanup_(buf_done) struct buf b = {}, two = BUF_INIT(1 << 20);

		load("rsa2048.asc", &b);
		buf_done(&a);
		load("nistp256.asc", &a);
		ASSERT_OK(buf_append(&two, b.data, b.len));
		ASSERT_OK(buf_append(&two, a.data, a.len));
		ASSERT_OK(openpgp_keyring_parse(two.data, two.len, &kr));
		ASSERT_EQ(kr->n, 2);
		kr = openpgp_keyring_free(kr);
	}
}

static void test_malformed(void)
{
	const struct {
		const char *what;
		const uint8_t *p;
		size_t n;
		int want;
	} msgs[] = {
#define M(w, e, ...)                                                                               \
	{ w, (const uint8_t[]){ __VA_ARGS__ }, sizeof((const uint8_t[]){ __VA_ARGS__ }), e }
		M("no header bit", -EBADMSG, 0x00),
		M("length past the end", -EBADMSG, 0xc4, 0x20, 0x03),
		M("OPS alone", -EBADMSG, 0xc4, 0x0d, 3, 0, 8, 1, 1, 2, 3, 4, 5, 6, 7, 8, 1),
		M("OPS of version 6", -EBADMSG, 0xc4, 0x0d, 6, 0, 8, 1, 1, 2, 3, 4, 5, 6, 7, 8, 1),
		M("literal first", -EBADMSG, 0xcb, 0x07, 'b', 0, 0, 0, 0, 0, 'x'),
		M("partial length on an OPS", -EBADMSG, 0xc4, 0xe1, 3, 0),
		M("compressed, bzip2", -EOPNOTSUPP, 0xc8, 0x02, 3, 0),
		M("compressed, unknown", -EBADMSG, 0xc8, 0x02, 9, 0),
		M("compressed, bad deflate", -EBADMSG, 0xc8, 0x03, 1, 0xff, 0xff),
		M("compressed, empty", -EBADMSG, 0xc8, 0x01, 0),
		M("compressed, bad zlib header", -EBADMSG, 0xc8, 0x04, 2, 0x78, 0x00, 0x00),
		M("user id in a message", -EBADMSG, 0xcd, 0x01, 'a'),
#undef M
	};
	struct openpgp_message *m = NULL;
	struct openpgp_keyring *kr = NULL;

	for (size_t i = 0; i < ELEMENTSOF(msgs); i++) {
		int r = openpgp_message_parse(msgs[i].p, msgs[i].n, &m);

		if (r != msgs[i].want)
			FAIL_("%s: %d", msgs[i].what, r);
	}
	ASSERT_ERR(openpgp_message_parse("", 0, &m), -EBADMSG);
	/* Keyrings: a secret key, a subkey with no primary, nothing at all. */
	ASSERT_ERR(openpgp_keyring_parse((const uint8_t[]){ 0xc5, 0x01, 4 }, 3, &kr), -EBADMSG);
	ASSERT_ERR(openpgp_keyring_parse((const uint8_t[]){ 0xce, 0x01, 4 }, 3, &kr), -EBADMSG);
	ASSERT_ERR(openpgp_keyring_parse((const uint8_t[]){ 0xca, 0x03, 'P', 'G', 'P' }, 5, &kr),
		   -ENOKEY);
	ASSERT_ERR(openpgp_keyring_parse("", 0, &kr), -ENOKEY);
	/* A v3 key is kept but not usable; a truncated v4 one is malformed. */
	ASSERT_OK(openpgp_keyring_parse((const uint8_t[]){ 0xc6, 0x01, 3 }, 3, &kr));
	ASSERT_TRUE(!kr->keys[0].usable);
	kr = openpgp_keyring_free(kr);
	ASSERT_ERR(openpgp_keyring_parse((const uint8_t[]){ 0xc6, 0x03, 4, 0, 0 }, 5, &kr),
		   -EBADMSG);
	/* Size limits. */
	{
		_cleanup_free_ uint8_t *big = calloc(1, OPENPGP_MAX_INPUT + 1);

		ASSERT_TRUE(big);
		ASSERT_ERR(openpgp_message_parse(big, OPENPGP_MAX_INPUT + 1, &m), -E2BIG);
		ASSERT_ERR(openpgp_keyring_parse(big, OPENPGP_MAX_INPUT + 1, &kr), -E2BIG);
	}
}

/* A message nested in compressed packets past the limit is refused. */
static void test_nesting(void)
{
	/* Stored (algo 0) compressed packets: each adds 3 bytes of header. */
	_cleanup_(buf_done) struct buf sig = {}, cur = BUF_INIT(1 << 20), next = BUF_INIT(1 << 20);
	_cleanup_(openpgp_keyring_freep) struct openpgp_keyring *kr = keyring("nistp256", "gpg");
	struct openpgp_message *m = NULL;

	load("nistp256-plain.sig", &sig);
	ASSERT_OK(buf_append(&cur, sig.data, sig.len));
	for (int depth = 1; depth <= OPENPGP_MAX_NESTING + 1; depth++) {
		_cleanup_(buf_done) struct buf out = BUF_INIT(1 << 20);
		uint32_t len = (uint32_t) cur.len + 1;

		buf_reset(&next);
		/* new header, 5-byte length */
		ASSERT_OK(buf_put_u8(&next, 0xc8));
		ASSERT_OK(buf_put_u8(&next, 0xff));
		ASSERT_OK(buf_put_be32(&next, len));
		ASSERT_OK(buf_put_u8(&next, 0));
		ASSERT_OK(buf_append(&next, cur.data, cur.len));
		buf_reset(&cur);
		ASSERT_OK(buf_append(&cur, next.data, next.len));
		if (depth <= OPENPGP_MAX_NESTING)
			ASSERT_OK(openpgp_verify(kr, cur.data, cur.len, 1700000000, NULL, &out));
		else
			ASSERT_ERR(openpgp_message_parse(cur.data, cur.len, &m), -EBADMSG);
	}
}

/* Whole length of the old-format packet gpg --export writes at p (1- or 2-byte length). */
static size_t packet_size(const uint8_t *p)
{
	ASSERT_TRUE((p[0] & 0xc0) == 0x80 && (p[0] & 3) < 2);
	return (p[0] & 3) == 0 ? 2u + p[1] : 3u + ((size_t) p[1] << 8 | p[2]);
}

/* Self-signatures: gpg --quick-gen-key ... 1d, and a key with its revocation imported. */
static void test_key_state(void)
{
	for (size_t i = 0; i < ELEMENTSOF(keys); i++) {
		_cleanup_(openpgp_keyring_freep) struct openpgp_keyring *kr = keyring(keys[i].name,
										      "gpg");

		ASSERT_TRUE(!kr->keys[0].revoked && kr->keys[0].expires == 0);
	}
	{
		_cleanup_(openpgp_keyring_freep) struct openpgp_keyring *kr = keyring("expiring",
										      "gpg");
		_cleanup_(buf_done) struct buf sig = {}, out = BUF_INIT(1 << 20);
		uint64_t created = kr->keys[0].created;

		ASSERT_EQ(kr->keys[0].expires, 86400);
		ASSERT_TRUE(!kr->keys[0].revoked);
		load("expiring.sig", &sig);
		ASSERT_OK(openpgp_verify(kr, sig.data, sig.len, created + 3600, NULL, &out));
		ASSERT_ERR(openpgp_verify(kr, sig.data, sig.len, created + 86400, NULL, &out),
			   -EKEYEXPIRED);
	}
	{
		_cleanup_(openpgp_keyring_freep) struct openpgp_keyring *kr = keyring("revoked",
										      "gpg");
		_cleanup_(buf_done) struct buf sig = {}, out = BUF_INIT(1 << 20);

		ASSERT_TRUE(kr->keys[0].revoked);
		load("revoked.sig", &sig);
		ASSERT_ERR(
		    openpgp_verify(kr, sig.data, sig.len, kr->keys[0].created + 10, NULL, &out),
		    -EKEYREVOKED);
	}
	{
		/* The revocation (the packet after the key in gpg's export) placed under another
		 * key does not revoke that key: it is not that key's own signature. */
		_cleanup_(buf_done) struct buf rev = {}, other = {}, spliced = BUF_INIT(1 << 20);
		_cleanup_(openpgp_keyring_freep) struct openpgp_keyring *kr = NULL;
		size_t k, s;

		load("revoked.gpg", &rev);
		load("nistp256.gpg", &other);
		k = packet_size(rev.data);
		s = packet_size(rev.data + k);
		/* version, then signature type after the 2- or 3-byte header */
		ASSERT_EQ(rev.data[k + ((rev.data[k] & 3) ? 3 : 2) + 1], 0x20);
		k = packet_size(other.data);
		ASSERT_OK(buf_append(&spliced, other.data, k));
		ASSERT_OK(buf_append(&spliced, rev.data + packet_size(rev.data), s));
		ASSERT_OK(buf_append(&spliced, other.data + k, other.len - k));
		ASSERT_OK(openpgp_keyring_parse(spliced.data, spliced.len, &kr));
		ASSERT_TRUE(!kr->keys[0].revoked);
	}
}

TESTS(test_keyrings, test_key_state, test_verify, test_mutations, test_ops_keyid, test_armor,
      test_malformed, test_nesting)
