/* SPDX-License-Identifier: Apache-2.0 */
/* SHA-2 and SM3 hashing and HMAC on nettle (the only nettle user). nettle is built with
 * --enable-fat, so sha256 runs on SHA-NI (x86) or the SHA2 extension (ARMv8) when the CPU
 * has them, chosen once at load time; nettle does not say which, so we log the CPU's
 * capability once at debug. OCI digest strings follow image-spec descriptor.md. */
#include <assert.h>
#include <pthread.h>
#include <string.h>
#include <strings.h>

#include <nettle/hmac.h>
#include <nettle/memops.h>
#include <nettle/sha1.h>
#include <nettle/sha2.h>
#include <nettle/sm3.h>

#if defined(__x86_64__) || defined(__i386__)
#include <cpuid.h>
#elif defined(__aarch64__)
#include <sys/auxv.h>
#ifndef HWCAP_SHA2
#define HWCAP_SHA2 (1 << 6)
#endif
#endif

#include "digest.h"
#include "log.h"
#include "secret.h"

union digest_state {
	struct sha256_ctx sha256;
	struct sha512_ctx sha512; /* also SHA-384 */
	struct sm3_ctx sm3;
};

union digest_hmac_state {
	struct hmac_sha256_ctx sha256;
	struct hmac_sha512_ctx sha512; /* also SHA-384 */
	struct hmac_sm3_ctx sm3;
};

_Static_assert(sizeof(union digest_state) <= sizeof(((struct digest_ctx *) 0)->state),
	       "struct digest_ctx too small for nettle's context");
_Static_assert(sizeof(union digest_hmac_state) <= sizeof(((struct digest_hmac_ctx *) 0)->state),
	       "struct digest_hmac_ctx too small for nettle's context");

static const struct {
	const char *name;
	size_t size, block;
} algs[_DIGEST_ALG_MAX] = {
	[DIGEST_SHA256] = { "sha256", SHA256_DIGEST_SIZE, SHA256_BLOCK_SIZE },
	[DIGEST_SHA384] = { "sha384", SHA384_DIGEST_SIZE, SHA384_BLOCK_SIZE },
	[DIGEST_SHA512] = { "sha512", SHA512_DIGEST_SIZE, SHA512_BLOCK_SIZE },
	[DIGEST_SM3] = { "sm3", SM3_DIGEST_SIZE, SM3_BLOCK_SIZE },
};

static pthread_once_t cpu_note_once = PTHREAD_ONCE_INIT;

static void cpu_note(void)
{
	bool sha2 = false;
	const char *what = "none known";

#if defined(__x86_64__) || defined(__i386__)
	unsigned a, b, c, d;

	if (__get_cpuid_count(7, 0, &a, &b, &c, &d))
		sha2 = b & (1u << 29);
	what = "SHA-NI";
#elif defined(__aarch64__)
	sha2 = getauxval(AT_HWCAP) & HWCAP_SHA2;
	what = "ARMv8 SHA2";
#endif
	log_debug("digest: nettle fat build; CPU %s %s, so sha256 %s (NETTLE_FAT_VERBOSE=1 prints "
		  "nettle's own choice)",
		  sha2 ? "has" : "lacks", what, sha2 ? "uses it" : "runs in portable C");
}

static union digest_state *state_of(struct digest_ctx *c)
{
	return (union digest_state *) (void *) c->state;
}

static union digest_hmac_state *hmac_state_of(struct digest_hmac_ctx *c)
{
	return (union digest_hmac_state *) (void *) c->state;
}

const char *digest_alg_to_string(enum digest_alg a)
{
	return (unsigned) a < _DIGEST_ALG_MAX ? algs[a].name : NULL;
}

int digest_alg_from_string(const char *s, enum digest_alg *ret)
{
	for (unsigned i = 0; i < _DIGEST_ALG_MAX; i++)
		if (s && streq(s, algs[i].name)) {
			*ret = (enum digest_alg) i;
			return 0;
		}
	return -EOPNOTSUPP;
}

int digest_alg_from_string_ci(const char *s, enum digest_alg *ret)
{
	for (unsigned i = 0; i < _DIGEST_ALG_MAX; i++)
		if (s && strcasecmp(s, algs[i].name) == 0) {
			*ret = (enum digest_alg) i;
			return 0;
		}
	return -EOPNOTSUPP;
}

size_t digest_size(enum digest_alg a)
{
	return (unsigned) a < _DIGEST_ALG_MAX ? algs[a].size : 0;
}

size_t digest_block_size(enum digest_alg a)
{
	return (unsigned) a < _DIGEST_ALG_MAX ? algs[a].block : 0;
}

void digest_init(struct digest_ctx *c, enum digest_alg a)
{
	union digest_state *s = state_of(c);

	(void) pthread_once(&cpu_note_once, cpu_note);
	c->alg = a;
	switch (a) {
	case DIGEST_SHA256:
		sha256_init(&s->sha256);
		break;
	case DIGEST_SHA384:
		sha384_init(&s->sha512);
		break;
	case DIGEST_SHA512:
		sha512_init(&s->sha512);
		break;
	case DIGEST_SM3:
		sm3_init(&s->sm3);
		break;
	default:
		assert(!"invalid digest_alg");
	}
}

void digest_update(struct digest_ctx *c, const void *p, size_t n)
{
	union digest_state *s = state_of(c);

	if (n == 0)
		return;
	if (c->alg == DIGEST_SHA256)
		sha256_update(&s->sha256, n, p);
	else if (c->alg == DIGEST_SM3)
		sm3_update(&s->sm3, n, p);
	else
		sha512_update(&s->sha512, n, p);
}

size_t digest_final(struct digest_ctx *c, uint8_t *out)
{
	union digest_state *s = state_of(c);

	/* nettle's *_digest() also re-initialises the context. */
	switch (c->alg) {
	case DIGEST_SHA256:
		sha256_digest(&s->sha256, SHA256_DIGEST_SIZE, out);
		break;
	case DIGEST_SHA384:
		sha384_digest(&s->sha512, SHA384_DIGEST_SIZE, out);
		break;
	case DIGEST_SHA512:
		sha512_digest(&s->sha512, SHA512_DIGEST_SIZE, out);
		break;
	case DIGEST_SM3:
		sm3_digest(&s->sm3, SM3_DIGEST_SIZE, out);
		break;
	default:
		assert(!"invalid digest_alg");
		return 0;
	}
	return algs[c->alg].size;
}

void digest_sha1(const void *p, size_t n, uint8_t out[DIGEST_SHA1_SIZE])
{
	struct sha1_ctx c;

	sha1_init(&c);
	sha1_update(&c, n, p);
	sha1_digest(&c, DIGEST_SHA1_SIZE, out);
}

size_t digest_buf(enum digest_alg a, const void *p, size_t n, uint8_t *out)
{
	struct digest_ctx c;

	digest_init(&c, a);
	digest_update(&c, p, n);
	return digest_final(&c, out);
}

void digest_hmac_init(struct digest_hmac_ctx *c, enum digest_alg a, const void *key, size_t klen)
{
	union digest_hmac_state *s = hmac_state_of(c);

	(void) pthread_once(&cpu_note_once, cpu_note);
	c->alg = a;
	switch (a) {
	case DIGEST_SHA256:
		hmac_sha256_set_key(&s->sha256, klen, key);
		break;
	case DIGEST_SHA384:
		hmac_sha384_set_key(&s->sha512, klen, key);
		break;
	case DIGEST_SHA512:
		hmac_sha512_set_key(&s->sha512, klen, key);
		break;
	case DIGEST_SM3:
		hmac_sm3_set_key(&s->sm3, klen, key);
		break;
	default:
		assert(!"invalid digest_alg");
	}
}

void digest_hmac_update(struct digest_hmac_ctx *c, const void *p, size_t n)
{
	union digest_hmac_state *s = hmac_state_of(c);

	if (n == 0)
		return;
	if (c->alg == DIGEST_SHA256)
		hmac_sha256_update(&s->sha256, n, p);
	else if (c->alg == DIGEST_SM3)
		hmac_sm3_update(&s->sm3, n, p);
	else
		hmac_sha512_update(&s->sha512, n, p);
}

size_t digest_hmac_final(struct digest_hmac_ctx *c, uint8_t *out)
{
	union digest_hmac_state *s = hmac_state_of(c);
	size_t n = digest_size(c->alg);

	switch (c->alg) {
	case DIGEST_SHA256:
		hmac_sha256_digest(&s->sha256, SHA256_DIGEST_SIZE, out);
		break;
	case DIGEST_SHA384:
		hmac_sha384_digest(&s->sha512, SHA384_DIGEST_SIZE, out);
		break;
	case DIGEST_SHA512:
		hmac_sha512_digest(&s->sha512, SHA512_DIGEST_SIZE, out);
		break;
	case DIGEST_SM3:
		hmac_sm3_digest(&s->sm3, SM3_DIGEST_SIZE, out);
		break;
	default:
		assert(!"invalid digest_alg");
	}
	digest_hmac_wipe(c);
	return n;
}

void digest_hmac_wipe(struct digest_hmac_ctx *c)
{
	secret_wipe(c->state, sizeof(c->state));
}

size_t digest_hmac(enum digest_alg a, const void *key, size_t klen, const void *p, size_t n,
		   uint8_t *out)
{
	struct digest_hmac_ctx c;

	digest_hmac_init(&c, a, key, klen);
	digest_hmac_update(&c, p, n);
	return digest_hmac_final(&c, out);
}

bool digest_equal(const void *a, const void *b, size_t n)
{
	return memeql_sec(a, b, n);
}

char *digest_hex(const uint8_t *p, size_t n, char *out)
{
	static const char hex[] = "0123456789abcdef";

	for (size_t i = 0; i < n; i++) {
		out[2 * i] = hex[p[i] >> 4];
		out[2 * i + 1] = hex[p[i] & 15];
	}
	out[2 * n] = 0;
	return out;
}

static int unhex_char(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

int digest_unhex(const char *s, size_t slen, uint8_t *out, size_t n)
{
	if (slen != 2 * n)
		return -EBADMSG;
	for (size_t i = 0; i < n; i++) {
		int hi = unhex_char(s[2 * i]), lo = unhex_char(s[2 * i + 1]);

		if (hi < 0 || lo < 0)
			return -EBADMSG;
		out[i] = (uint8_t) (hi << 4 | lo);
	}
	return 0;
}

/* image-spec: algorithm ::= component (separator component)*, component ::= [a-z0-9]+,
 * separator ::= [+._-]. */
static bool oci_algorithm_valid(const char *s, size_t n)
{
	bool need_component = true;

	for (size_t i = 0; i < n; i++) {
		if ((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= '0' && s[i] <= '9'))
			need_component = false;
		else if (strchr("+._-", s[i]) && !need_component)
			need_component = true;
		else
			return false;
	}
	return !need_component;
}

int digest_oci_parse(const char *s, struct digest_oci *ret)
{
	struct digest_oci d = {};
	const char *colon, *hex;
	char name[16];
	size_t alen;
	int r;

	if (!s)
		return -EBADMSG;
	colon = strchr(s, ':');
	if (!colon)
		return -EBADMSG;
	alen = (size_t) (colon - s);
	hex = colon + 1;
	if (!oci_algorithm_valid(s, alen) || !*hex)
		return -EBADMSG;
	if (alen >= sizeof(name))
		return -EOPNOTSUPP;
	memcpy(name, s, alen);
	name[alen] = 0;
	r = digest_alg_from_string(name, &d.alg);
	if (r < 0)
		return r;
	/* SM3 is here for init-data and event logs; OCI digests stay SHA-2 (go-digest,
	 * oci-spec-rs). */
	if (d.alg == DIGEST_SM3)
		return -EOPNOTSUPP;
	r = digest_unhex(hex, strlen(hex), d.d, digest_size(d.alg));
	if (r < 0)
		return r;
	*ret = d;
	return 0;
}

char *digest_oci_format(enum digest_alg a, const uint8_t *d, char *out)
{
	size_t n = strlen(algs[a].name);

	memcpy(out, algs[a].name, n);
	out[n] = ':';
	digest_hex(d, algs[a].size, out + n + 1);
	return out;
}

int digest_oci_verify(const struct digest_oci *want, struct digest_ctx *c)
{
	uint8_t got[DIGEST_MAX_SIZE];
	size_t n;

	if (c->alg != want->alg)
		return -EINVAL;
	n = digest_final(c, got);
	return digest_equal(got, want->d, n) ? 0 : -EKEYREJECTED;
}

int digest_oci_check(const char *s, const void *p, size_t n)
{
	struct digest_oci want;
	struct digest_ctx c;
	int r;

	r = digest_oci_parse(s, &want);
	if (r < 0)
		return r;
	digest_init(&c, want.alg);
	digest_update(&c, p, n);
	return digest_oci_verify(&want, &c);
}
