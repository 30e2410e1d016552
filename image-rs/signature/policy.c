/* SPDX-License-Identifier: Apache-2.0 */
/* containers-policy.json as upstream image-rs reads it (upstream.md §6.5; GC
 * signature/policy/{mod.rs,policy_requirement.rs,ref_match.rs}, signature/image/mod.rs,
 * payload/simple_signing.rs): parsing, scope lookup, signedIdentity matching, payload
 * checks, and the evaluation loop that hands signedBy to simple.c and sigstoreSigned to
 * cosign.c. */
#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "common/b64.h"
#include "common/digest.h"
#include "common/json-util.h"
#include "cosign.h"
#include "image-rs/reference.h"
#include "policy.h"
#include "simple.h"

int policy_why(struct buf *why, int r, const char *fmt, ...)
{
	va_list ap;

	if (!why)
		return r;
	buf_reset(why);
	va_start(ap, fmt);
	(void) buf_vappendf(why, fmt, ap);
	va_end(ap);
	return r;
}

int policy_why_prefix(struct buf *why, int r, const char *fmt, ...)
{
	_cleanup_(buf_done) struct buf n = BUF_INIT(BUF_UNLIMITED);
	va_list ap;

	if (!why)
		return r;
	va_start(ap, fmt);
	(void) buf_vappendf(&n, fmt, ap);
	va_end(ap);
	if (why->len > 0) {
		(void) buf_append_str(&n, ": ");
		(void) buf_append(&n, why->data, why->len);
	}
	buf_reset(why);
	(void) buf_append(why, n.data, n.len);
	return r;
}

/* ---- references ---- */

int policy_image_from_reference(struct reference *r, struct sig_image *img)
{
	img->whole = reference_whole(r);
	if (!img->whole)
		return -ENOMEM;
	img->registry = reference_registry(r);
	img->repository = reference_repository(r);
	img->tag = r->tag;
	img->digest_ref = r->digest;
	return 0;
}

/* get_image_repository_full_name() */
static int image_full_name(const struct sig_image *img, char **ret)
{
	int k;

	if (isempty(img->registry))
		k = asprintf(ret, "%s", img->repository);
	else
		k = asprintf(ret, "%s/%s", img->registry, img->repository);
	return k < 0 ? -ENOMEM : 0;
}

char **policy_strv_free(char **l)
{
	if (l)
		for (char **i = l; *i; i++)
			free(*i);
	free(l);
	return NULL;
}

static int strv_push(char ***l, size_t *n, char *s)
{
	char **nl;

	if (!s)
		return -ENOMEM;
	nl = reallocarray(*l, *n + 2, sizeof(char *));
	if (!nl) {
		free(s);
		return -ENOMEM;
	}
	nl[(*n)++] = s;
	nl[*n] = NULL;
	*l = nl;
	return 0;
}

int policy_scopes(const struct sig_image *img, char ***ret)
{
	_cleanup_(policy_strv_freep) char **l = NULL;
	_cleanup_free_ char *name = NULL;
	size_t n = 0;
	char *c;
	int r;

	if (!img->whole || !img->repository)
		return -EINVAL;
	r = strv_push(&l, &n, strdup(img->whole));
	if (r < 0)
		return r;
	r = image_full_name(img, &name);
	if (r < 0)
		return r;
	/* The repository, then each parent namespace down to the registry. */
	for (;;) {
		r = strv_push(&l, &n, strdup(name));
		if (r < 0)
			return r;
		c = strrchr(name, '/');
		if (!c)
			break;
		*c = 0;
	}
	/* Port stripped, then "*.<rest>" per dropped leading label. */
	c = strrchr(name, ':');
	if (c)
		*c = 0;
	for (c = strchr(name, '.'); c; c = strchr(c + 1, '.')) {
		char *w;

		if (asprintf(&w, "*.%s", c + 1) < 0)
			return -ENOMEM;
		r = strv_push(&l, &n, w);
		if (r < 0)
			return r;
	}
	*ret = steal_ptr(l);
	return 0;
}

/* ---- signedIdentity (ref_match.rs) ---- */

static int mismatch(struct buf *why, const char *signed_ref)
{
	return policy_why(why, -EKEYREJECTED, "Match reference failed: signature claims '%s'",
			  signed_ref);
}

/* The "registry/repository" a signature claims, parsed as upstream parses references. */
static int signed_name(const char *signed_ref, char **ret, struct buf *why)
{
	_cleanup_(reference_freep) struct reference *sr = NULL;
	int r;

	r = reference_parse(signed_ref, &sr, NULL);
	if (r == -ENOMEM)
		return r;
	if (r < 0)
		return policy_why(why, -EBADMSG, "Invalid signed reference '%s'", signed_ref);
	if (asprintf(ret, "%s/%s", reference_registry(sr), reference_repository(sr)) < 0) {
		*ret = NULL;
		return -ENOMEM;
	}
	return 0;
}

/* The "matchRepoDigestOrExact" test of an image with reference fields (whole, tag,
 * digest, full name) against signed_ref. */
static int repo_digest_or_exact(const char *whole, bool tag, bool digest, const char *full_name,
				const char *signed_ref, struct buf *why)
{
	_cleanup_free_ char *name = NULL;
	int r;

	if (tag && !streq(whole, signed_ref))
		return mismatch(why, signed_ref);
	if (digest) {
		r = signed_name(signed_ref, &name, why);
		if (r < 0)
			return r;
		if (!streq(full_name, name))
			return mismatch(why, signed_ref);
	}
	return 0;
}

int policy_identity_match(const struct policy_identity *id, const struct sig_image *img,
			  const char *signed_ref, struct buf *why)
{
	_cleanup_free_ char *full = NULL, *name = NULL;
	int r;

	r = image_full_name(img, &full);
	if (r < 0)
		return r;
	switch (id->type) {
	case POLICY_ID_NONE:
		return 0;
	case POLICY_ID_MATCH_EXACT:
		if (img->digest_ref)
			return policy_why(
			    why, -EKEYREJECTED,
			    "Can not reference the image with the digest in matchExact policy");
		return streq(img->whole, signed_ref) ? 0 : mismatch(why, signed_ref);
	case POLICY_ID_MATCH_REPO_DIGEST_OR_EXACT:
		return repo_digest_or_exact(img->whole, img->tag, img->digest_ref, full, signed_ref,
					    why);
	case POLICY_ID_EXACT_REFERENCE:
		return streq(signed_ref, id->a) ? 0 : mismatch(why, signed_ref);
	case POLICY_ID_MATCH_REPOSITORY:
	case POLICY_ID_EXACT_REPOSITORY:
		r = signed_name(signed_ref, &name, why);
		if (r < 0)
			return r;
		return streq(name, id->type == POLICY_ID_MATCH_REPOSITORY ? full : id->a)
			   ? 0
			   : mismatch(why, signed_ref);
	case POLICY_ID_REMAP_IDENTITY: {
		_cleanup_(reference_freep) struct reference *remapped = NULL;
		_cleanup_free_ char *s = NULL, *rname = NULL;
		const char *rwhole;
		const char *rest = startswith(img->whole, id->a);

		/* A plain string prefix, as upstream strips it (c/image would insist on a
		 * namespace boundary). */
		if (rest) {
			if (asprintf(&s, "%s%s", id->b, rest) < 0)
				return -ENOMEM;
		} else {
			s = strdup(img->whole);
			if (!s)
				return -ENOMEM;
		}
		r = reference_parse(s, &remapped, NULL);
		if (r == -ENOMEM)
			return r;
		if (r < 0)
			return policy_why(why, -EBADMSG, "Invalid remapped reference '%s'", s);
		rwhole = reference_whole(remapped);
		if (!rwhole || asprintf(&rname, "%s/%s", reference_registry(remapped),
					reference_repository(remapped)) < 0) {
			rname = NULL;
			return -ENOMEM;
		}
		return repo_digest_or_exact(rwhole, remapped->tag, remapped->digest, rname,
					    signed_ref, why);
	}
	}
	return -EINVAL;
}

/* ---- payload (payload/simple_signing.rs) ---- */

int policy_payload_check(const void *p, size_t n, const char *want_type,
			 const struct sig_image *img, const struct policy_identity *id,
			 bool allow_index, struct buf *why)
{
	_cleanup_(json_object_putp) json_object *j = NULL;
	json_object *crit, *image, *ident, *opt = NULL;
	const char *type, *digest, *ref, *reason = NULL, *s;
	int64_t ts;
	int r;

	r = json_parse(p, n, POLICY_MAX_SIZE, JSON_DEFAULT_MAX_DEPTH, &j, &reason);
	if (r < 0)
		return policy_why(why, r, "Signature payload is not JSON: %s",
				  reason ? reason : "");
	if (json_get_object(j, "critical", &crit) < 0 || json_get_string(crit, "type", &type) < 0 ||
	    json_get_object(crit, "image", &image) < 0 ||
	    json_get_string(image, "docker-manifest-digest", &digest) < 0 ||
	    json_get_object(crit, "identity", &ident) < 0 ||
	    json_get_string(ident, "docker-reference", &ref) < 0 ||
	    json_get_object_opt(j, "optional", &opt) < 0 ||
	    (opt && (json_get_string_opt(opt, "creator", &s) < 0 ||
		     json_get_int64_opt(opt, "timestamp", &ts) < 0)))
		return policy_why(why, -EBADMSG,
				  "Signature payload is not a simple signing payload");
	if (want_type && !streq(type, want_type))
		return policy_why(why, -EKEYREJECTED, "Signature payload type '%s' is not '%s'",
				  type, want_type);
	r = policy_identity_match(id, img, ref, why);
	if (r < 0)
		return r;
	if (streq(digest, img->manifest_digest))
		return 0;
	if (allow_index && img->index_digest && streq(digest, img->index_digest))
		return 0;
	return policy_why(why, -EKEYREJECTED,
			  "SigPayload's manifest digest does not match, the input is %s, but in "
			  "SigPayload it is %s",
			  img->manifest_digest, digest);
}

/* ---- policy file (mod.rs, policy_requirement.rs) ---- */

struct policy_scope {
	char *name;
	struct policy_reqs reqs;
};

struct policy {
	struct policy_reqs def;
	struct policy_scope *scopes; /* transports.docker */
	size_t n_scopes;
};

static void reqs_done(struct policy_reqs *r)
{
	for (size_t i = 0; i < r->n; i++) {
		free(r->v[i].key_type);
		free(r->v[i].key_path);
		free(r->v[i].key_data);
		free(r->v[i].identity.a);
		free(r->v[i].identity.b);
	}
	free(r->v);
	*r = (struct policy_reqs){};
}

struct policy *policy_free(struct policy *p)
{
	if (!p)
		return NULL;
	reqs_done(&p->def);
	for (size_t i = 0; i < p->n_scopes; i++) {
		free(p->scopes[i].name);
		reqs_done(&p->scopes[i].reqs);
	}
	free(p->scopes);
	free(p);
	return NULL;
}

static int dup_opt(json_object *o, const char *key, bool required, char **ret)
{
	const char *s;
	int r;

	r = required ? json_get_string(o, key, &s) : json_get_string_opt(o, key, &s);
	if (r < 0)
		return r == -ENOENT ? -EBADMSG : r;
	if (r == 0 && !required)
		return 0;
	*ret = strdup(s);
	return *ret ? 0 : -ENOMEM;
}

static int parse_identity(json_object *o, struct policy_identity *id)
{
	static const struct {
		const char *name;
		enum policy_identity_type type;
		const char *a, *b;
	} types[] = {
		{ "matchExact", POLICY_ID_MATCH_EXACT },
		{ "matchRepoDigestOrExact", POLICY_ID_MATCH_REPO_DIGEST_OR_EXACT },
		{ "matchRepository", POLICY_ID_MATCH_REPOSITORY },
		{ "exactReference", POLICY_ID_EXACT_REFERENCE, "dockerReference" },
		{ "exactRepository", POLICY_ID_EXACT_REPOSITORY, "dockerRepository" },
		{ "remapIdentity", POLICY_ID_REMAP_IDENTITY, "prefix", "signedPrefix" },
	};
	const char *type;
	int r;

	r = json_get_string(o, "type", &type);
	if (r < 0)
		return r == -ENOENT ? -EBADMSG : r;
	for (size_t i = 0; i < ELEMENTSOF(types); i++) {
		if (!streq(type, types[i].name))
			continue;
		id->type = types[i].type;
		if (types[i].a && (r = dup_opt(o, types[i].a, true, &id->a)) < 0)
			return r;
		if (types[i].b && (r = dup_opt(o, types[i].b, true, &id->b)) < 0)
			return r;
		return 0;
	}
	return -EBADMSG;
}

static int parse_req(json_object *o, struct policy_req *req)
{
	json_object *ident = NULL;
	const char *type;
	int r;

	r = json_get_string(o, "type", &type);
	if (r < 0)
		return r == -ENOENT ? -EBADMSG : r;
	if (streq(type, "insecureAcceptAnything")) {
		req->type = POLICY_REQ_ACCEPT;
		return 0;
	}
	if (streq(type, "reject")) {
		req->type = POLICY_REQ_REJECT;
		return 0;
	}
	if (streq(type, "signedBy")) {
		req->type = POLICY_REQ_SIGNED_BY;
		r = dup_opt(o, "keyType", true, &req->key_type);
		if (r < 0)
			return r;
	} else if (streq(type, "sigstoreSigned"))
		req->type = POLICY_REQ_SIGSTORE_SIGNED;
	else
		return -EBADMSG;
	r = dup_opt(o, "keyPath", false, &req->key_path);
	if (r < 0)
		return r;
	r = dup_opt(o, "keyData", false, &req->key_data);
	if (r < 0)
		return r;
	r = json_get_object_opt(o, "signedIdentity", &ident);
	if (r < 0)
		return r;
	return ident ? parse_identity(ident, &req->identity) : 0;
}

static int parse_reqs(json_object *a, struct policy_reqs *out)
{
	size_t n;
	int r;

	if (!json_object_is_type(a, json_type_array))
		return -EBADMSG;
	n = json_object_array_length(a);
	if (n > 1024)
		return -E2BIG;
	out->v = calloc(n ? n : 1, sizeof(*out->v));
	if (!out->v)
		return -ENOMEM;
	for (size_t i = 0; i < n; i++) {
		json_object *o = json_object_array_get_idx(a, i);

		out->n = i + 1;
		if (!json_object_is_type(o, json_type_object))
			return -EBADMSG;
		r = parse_req(o, &out->v[i]);
		if (r < 0)
			return r;
	}
	return 0;
}

int policy_parse(const void *p, size_t n, struct policy **ret)
{
	_cleanup_(json_object_putp) json_object *j = NULL;
	_cleanup_(policy_freep) struct policy *pol = NULL;
	json_object *def, *transports;
	int r;

	if (n > POLICY_MAX_SIZE)
		return -E2BIG;
	r = json_parse(p, n, POLICY_MAX_SIZE, 16, &j, NULL);
	if (r < 0)
		return r;
	if (!json_object_is_type(j, json_type_object) || json_get_array(j, "default", &def) < 0 ||
	    json_get_object(j, "transports", &transports) < 0)
		return -EBADMSG;
	pol = calloc(1, sizeof(*pol));
	if (!pol)
		return -ENOMEM;
	r = parse_reqs(def, &pol->def);
	if (r < 0)
		return r;
	json_object_object_foreach (transports, tname, scopes) {
		bool docker = streq(tname, "docker");

		if (!json_object_is_type(scopes, json_type_object))
			return -EBADMSG;
		json_object_object_foreach (scopes, sname, reqs) {
			struct policy_reqs tmp = {};

			if (!docker) {
				/* Parsed for validity, as serde does, then dropped. */
				r = parse_reqs(reqs, &tmp);
				reqs_done(&tmp);
				if (r < 0)
					return r;
				continue;
			}
			{
				struct policy_scope *ns;

				if (pol->n_scopes >= 4096)
					return -E2BIG;
				ns = reallocarray(pol->scopes, pol->n_scopes + 1, sizeof(*ns));
				if (!ns)
					return -ENOMEM;
				pol->scopes = ns;
				ns[pol->n_scopes] = (struct policy_scope){ .name = strdup(sname) };
				pol->n_scopes++;
				if (!ns[pol->n_scopes - 1].name)
					return -ENOMEM;
				r = parse_reqs(reqs, &ns[pol->n_scopes - 1].reqs);
				if (r < 0)
					return r;
			}
		}
	}
	*ret = steal_ptr(pol);
	return 0;
}

static const struct policy_scope *find_scope(const struct policy *p, const char *name)
{
	for (size_t i = 0; i < p->n_scopes; i++)
		if (streq(p->scopes[i].name, name))
			return &p->scopes[i];
	return NULL;
}

const struct policy_reqs *policy_requirements_for(const struct policy *p,
						  const struct sig_image *img,
						  const char **ret_scope)
{
	_cleanup_(policy_strv_freep) char **scopes = NULL;
	const struct policy_scope *s = NULL;

	if (policy_scopes(img, &scopes) < 0)
		return NULL;
	for (char **i = scopes; *i && !s; i++)
		s = find_scope(p, *i);
	if (!s)
		s = find_scope(p, "");
	if (ret_scope)
		*ret_scope = s ? s->name : NULL;
	return s ? &s->reqs : &p->def;
}

/* ---- evaluation (signature/mod.rs) ---- */

/* The key of a signedBy (keyData base64) or sigstoreSigned (keyData PEM text) rule. */
static int req_key(const struct policy_req *req, const struct sig_env *env, struct buf *out,
		   struct buf *why)
{
	int r;

	if (!req->key_path && !req->key_data)
		return policy_why(why, -EINVAL, "Neither keyPath nor keyData is specified");
	if (req->key_path && req->key_data)
		return policy_why(why, -EINVAL, "Both keyPath and keyData are specified");
	if (req->key_data) {
		if (req->type == POLICY_REQ_SIGSTORE_SIGNED)
			return buf_append_str(out, req->key_data);
		r = b64_decode(B64_STD, req->key_data, strlen(req->key_data), out);
		return r < 0 ? policy_why(why, r == -EBADMSG ? -EINVAL : r, "keyData is not base64")
			     : 0;
	}
	if (!env->fetch)
		return policy_why(why, -EOPNOTSUPP, "No resource fetcher for keyPath '%s'",
				  req->key_path);
	r = env->fetch(env->ud, req->key_path, out);
	if (r < 0)
		return policy_why(why, r, "Read keyPath '%s' failed", req->key_path);
	return 0;
}

static int check_req(const struct policy_req *req, const struct sig_image *img,
		     const struct sig_env *env, struct buf *why)
{
	_cleanup_(buf_done) struct buf key = BUF_INIT(OPENPGP_MAX_INPUT);
	int r;

	switch (req->type) {
	case POLICY_REQ_ACCEPT:
		return 0;
	case POLICY_REQ_REJECT:
		return policy_why(why, -EPERM, "Policy `reject` rejects image %s", img->whole);
	case POLICY_REQ_SIGNED_BY:
		if (!streq(req->key_type, "GPGKeys"))
			return policy_why(
			    why, -EINVAL,
			    "Unknown key type in policy config: only support GPGKeys now");
		r = req_key(req, env, &key, why);
		if (r < 0)
			return r;
		return simple_check(img, key.data, key.len, &req->identity, env, why);
	case POLICY_REQ_SIGSTORE_SIGNED:
		/* Rule types first: a refused one needs no key and no network. */
		if (req->identity.type != POLICY_ID_NONE &&
		    req->identity.type != POLICY_ID_MATCH_REPOSITORY &&
		    req->identity.type != POLICY_ID_EXACT_REPOSITORY)
			return policy_why(why, -EINVAL,
					  "Denied by signedIdentity: sigstoreSigned accepts only "
					  "matchRepository and exactRepository");
		r = req_key(req, env, &key, why);
		if (r < 0)
			return r;
		return cosign_check(img, key.data, key.len, &req->identity, env, why);
	}
	return -EINVAL;
}

static const char *req_name(enum policy_req_type t)
{
	return t == POLICY_REQ_SIGNED_BY ? "signedBy" : "sigstoreSigned";
}

int policy_check(const struct policy *p, const struct sig_image *img, const struct sig_env *env,
		 struct buf *why)
{
	const struct policy_reqs *reqs;
	int r;

	if (!img->manifest_digest)
		return policy_why(why, -EINVAL, "Missing image digest");
	reqs = policy_requirements_for(p, img, NULL);
	if (!reqs)
		return -ENOMEM;
	for (size_t i = 0; i < reqs->n; i++) {
		r = check_req(&reqs->v[i], img, env, why);
		if (r == -ENOMEM)
			return r;
		if (r < 0) {
			if (reqs->v[i].type == POLICY_REQ_SIGNED_BY ||
			    reqs->v[i].type == POLICY_REQ_SIGSTORE_SIGNED)
				(void) policy_why_prefix(why, r, "rejected by `%s` rule",
							 req_name(reqs->v[i].type));
			return policy_why_prefix(why, r, "Denied by policy");
		}
	}
	return 0;
}
