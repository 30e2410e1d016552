/* SPDX-License-Identifier: Apache-2.0 */
/* UnWrapKey: keyprovider request JSON -> AnnotationPacket (v1 or v2) -> KEK from the KBS
 * getter -> layer key options (upstream.md §5.5). serde's rules are followed: required
 * members must be there with the right type, Option members may be absent or null,
 * unknown members are ignored. */
#include <stdio.h>
#include <string.h>

#include "cdh/keyprovider.h"
#include "cdh/wrap.h"
#include "common/b64.h"
#include "common/json-util.h"

/* Option<T>: absent or null is fine; otherwise it must be an object. */
static bool is_opt_object(json_object *parent, const char *key)
{
	json_object *v;

	if (!json_object_object_get_ex(parent, key, &v) || !v)
		return true;
	return json_object_is_type(v, json_type_object);
}

/* HashMap<String, Vec<String>>. */
static bool is_parameters(json_object *obj)
{
	json_object *p;

	if (json_get_object(obj, "Parameters", &p) < 0)
		return false;
	json_object_object_foreach (p, k, v) {
		(void) k;
		if (!v || !json_object_is_type(v, json_type_array))
			return false;
		for (size_t i = 0; i < json_object_array_length(v); i++) {
			json_object *e = json_object_array_get_idx(v, i);

			if (!e || !json_object_is_type(e, json_type_string))
				return false;
		}
	}
	return true;
}

static int bad_request(struct cdh_error *err, const char *why)
{
	return cdh_error_set(err, -EBADMSG, "UnwrapKey: %s", why);
}

/* Validates the request and returns the decoded annotation. */
static int parse_request(const void *in, size_t n, struct buf *annotation, struct cdh_error *err)
{
	_cleanup_(json_object_putp) json_object *j = NULL;
	json_object *wp, *up, *v;
	const char *op, *ann, *reason = NULL;
	int r;

	if (n > CDH_KEYPROVIDER_MAX)
		return cdh_error_set(err, -E2BIG, "UnwrapKey: request larger than %u bytes",
				     CDH_KEYPROVIDER_MAX);
	r = json_parse(in, n, CDH_KEYPROVIDER_MAX, JSON_DEFAULT_MAX_DEPTH, &j, &reason);
	if (r == -ENOMEM)
		return r;
	if (r < 0 || !j || !json_object_is_type(j, json_type_object))
		return bad_request(err, "request is not a JSON object");
	if (json_get_string(j, "op", &op) < 0)
		return bad_request(err, "no string 'op'");
	if (json_get_object(j, "keywrapparams", &wp) < 0)
		return bad_request(err, "no object 'keywrapparams'");
	if (json_get_object(j, "keyunwrapparams", &up) < 0)
		return bad_request(err, "no object 'keyunwrapparams'");

	/* keywrapparams: {"ec": Option<{Parameters, DecryptConfig}>, "optsdata": Option<String>} */
	if (!is_opt_object(wp, "ec"))
		return bad_request(err, "'keywrapparams.ec' is not an object");
	if (json_object_object_get_ex(wp, "ec", &v) && v) {
		json_object *dc;

		if (!is_parameters(v) || json_get_object(v, "DecryptConfig", &dc) < 0 ||
		    !is_parameters(dc))
			return bad_request(err, "malformed 'keywrapparams.ec'");
	}
	if (json_object_object_get_ex(wp, "optsdata", &v) && v &&
	    !json_object_is_type(v, json_type_string))
		return bad_request(err, "'keywrapparams.optsdata' is not a string");

	/* keyunwrapparams: {"dc": Option<{Parameters}>, "annotation": Option<String>} */
	if (!is_opt_object(up, "dc"))
		return bad_request(err, "'keyunwrapparams.dc' is not an object");
	if (json_object_object_get_ex(up, "dc", &v) && v && !is_parameters(v))
		return bad_request(err, "malformed 'keyunwrapparams.dc'");
	r = json_get_string_opt(up, "annotation", &ann);
	if (r < 0)
		return bad_request(err, "'keyunwrapparams.annotation' is not a string");
	if (r == 0)
		return bad_request(err, "no AnnotationPacket given");
	r = b64_decode(B64_STD, ann, strlen(ann), annotation);
	if (r == -ENOMEM)
		return r;
	if (r < 0)
		return bad_request(err, "annotation is not base64");
	return 0;
}

static int get_opt_string(json_object *j, const char *key, const char **ret, struct cdh_error *err)
{
	int r = json_get_string_opt(j, key, ret);

	if (r < 0)
		return cdh_error_set(err, -EBADMSG, "AnnotationPacket: '%s' is not a string", key);
	return r;
}

static int decode_std(const char *what, const char *s, struct buf *out, struct cdh_error *err)
{
	int r = b64_decode(B64_STD, s, strlen(s), out);

	if (r == -ENOMEM)
		return r;
	if (r < 0)
		return cdh_error_set(err, -EBADMSG, "AnnotationPacket: '%s' is not base64", what);
	return 0;
}

int cdh_keyprovider_unwrap_packet(const struct cdh_kms *kms, const void *packet, size_t n,
				  struct secret **ret, struct cdh_error *err)
{
	_cleanup_(json_object_putp) json_object *j = NULL;
	_cleanup_(resource_uri_freep) struct resource_uri *uri = NULL;
	_cleanup_(buf_done) struct buf wrapped = BUF_INIT(CDH_KEYPROVIDER_MAX),
				       iv = BUF_INIT(CDH_KEYPROVIDER_MAX);
	_cleanup_secret_ struct secret *kek = NULL;
	const char *version = CDH_ANNOTATION_VERSION, *provider = "kbs", *kid, *wrapped_data,
		   *iv_s = NULL, *wt_s = NULL, *reason = NULL;
	enum wrap_type wt;
	int r;

	r = json_parse(packet, n, CDH_KEYPROVIDER_MAX, JSON_DEFAULT_MAX_DEPTH, &j, &reason);
	if (r == -ENOMEM)
		return r;
	if (r < 0 || !j || !json_object_is_type(j, json_type_object))
		return cdh_error_set(err, -EBADMSG, "AnnotationPacket: not a JSON object");
	if (json_get_string(j, "kid", &kid) < 0)
		return cdh_error_set(err, -EBADMSG, "AnnotationPacket: no string 'kid'");
	if (json_get_string(j, "wrapped_data", &wrapped_data) < 0)
		return cdh_error_set(err, -EBADMSG, "AnnotationPacket: no string 'wrapped_data'");
	/* v2 members with serde defaults (v1 packets have none of them). */
	if ((r = get_opt_string(j, "version", &version, err)) < 0 ||
	    (r = get_opt_string(j, "provider", &provider, err)) < 0 ||
	    (r = get_opt_string(j, "iv", &iv_s, err)) < 0 ||
	    (r = get_opt_string(j, "wrap_type", &wt_s, err)) < 0)
		return r;
	/* Maps default to {} when absent; serde refuses null or another type. */
	for (size_t i = 0; i < 2; i++) {
		const char *key = i ? "annotations" : "provider_settings";
		json_object *v;

		if (json_object_object_get_ex(j, key, &v) &&
		    (!v || !json_object_is_type(v, json_type_object)))
			return cdh_error_set(err, -EBADMSG,
					     "AnnotationPacket: '%s' is not an object", key);
	}

	if (!streq(provider, "kbs")) {
		/* A KMS decryptor would take wrapped_data, kid and annotations; none is built. */
		json_object *annotations = NULL;

		r = decode_std("wrapped_data", wrapped_data, &wrapped, err);
		if (r < 0)
			return r;
		(void) json_get_object_opt(j, "annotations", &annotations);
		if (!kms || !kms->decrypt)
			r = -EOPNOTSUPP;
		else
			r = kms->decrypt(kms->ud, provider, kid, annotations, wrapped.data,
					 wrapped.len, ret);
		if (r == -EOPNOTSUPP)
			return cdh_error_set(
			    err, r,
			    "AnnotationPacket: provider '%s' is not supported (this "
			    "build has: kbs)",
			    provider);
		if (r < 0)
			return cdh_error_set(err, r, "AnnotationPacket: provider '%s' failed: %s",
					     provider, strerror(-r));
		return 0;
	}

	/* The v2 -> v1 conversion's checks, in upstream's order. */
	if (!streq(version, CDH_ANNOTATION_VERSION))
		return cdh_error_set(err, -EPROTONOSUPPORT,
				     "AnnotationPacket: version must be %s, not '%s'",
				     CDH_ANNOTATION_VERSION, version);
	if (!wt_s)
		return cdh_error_set(err, -EBADMSG, "AnnotationPacket: no `WrapType` given");
	if (!iv_s)
		return cdh_error_set(err, -EBADMSG, "AnnotationPacket: no `iv` given");
	r = resource_uri_parse(kid, &uri);
	if (r == -ENOMEM)
		return r;
	if (r < 0)
		return cdh_error_set(err, -EINVAL,
				     "AnnotationPacket: illegal ResourceUri in kid '%s'", kid);
	if (wrap_type_from_string(wt_s, &wt) < 0)
		return cdh_error_set(err, -EOPNOTSUPP, "AnnotationPacket: unknown wrap type '%s'",
				     wt_s);

	r = cdh_kms_get_resource(kms, uri, &kek);
	if (r < 0)
		return cdh_error_set(err, r, "AnnotationPacket: cannot get KEK '%s': %s", kid,
				     strerror(-r));
	r = decode_std("wrapped_data", wrapped_data, &wrapped, err);
	if (r < 0)
		return r;
	r = decode_std("iv", iv_s, &iv, err);
	if (r < 0)
		return r;
	r = wrap_decrypt(wt, kek->p, kek->n, iv.data, iv.len, wrapped.data, wrapped.len, ret);
	if (r < 0)
		return cdh_error_set(err, r, "AnnotationPacket: cannot decrypt (%s, KEK '%s'): %s",
				     wt_s, kid, strerror(-r));
	return 0;
}

int cdh_keyprovider_unwrap_key(const struct cdh_kms *kms, const void *in, size_t n,
			       struct secret **ret, bool *ret_parse_failed, struct cdh_error *err)
{
	_cleanup_(buf_done) struct buf annotation = BUF_INIT(CDH_KEYPROVIDER_MAX);
	_cleanup_(buf_done_wipe) struct buf out = BUF_INIT(BUF_UNLIMITED);
	_cleanup_secret_ struct secret *opts = NULL;
	struct secret *s;
	int r;

	if (ret_parse_failed)
		*ret_parse_failed = true;
	r = parse_request(in, n, &annotation, err);
	if (r < 0)
		return r;
	if (ret_parse_failed)
		*ret_parse_failed = false;
	r = cdh_keyprovider_unwrap_packet(kms, annotation.data, annotation.len, &opts, err);
	if (r < 0)
		return r;

	/* Rust's Vec<u8> through serde: a JSON array of numbers. "255," is 4 bytes. */
	r = buf_reserve(&out, 40 + opts->n * 4);
	if (r < 0)
		return r;
	r = buf_append_str(&out, "{\"keyunwrapresults\":{\"optsdata\":[");
	for (size_t i = 0; r >= 0 && i < opts->n; i++)
		r = buf_appendf(&out, "%s%u", i ? "," : "", opts->p[i]);
	if (r >= 0)
		r = buf_append_str(&out, "]}}");
	if (r < 0)
		return r;
	s = secret_new_copy(out.data, out.len);
	if (!s)
		return -ENOMEM;
	*ret = s;
	return 0;
}

int cdh_keyprovider_unwrap_request(const char *annotation_b64, struct buf *out)
{
	_cleanup_(json_object_putp) json_object *a = json_object_new_string(annotation_b64);
	_cleanup_(buf_done) struct buf quoted = BUF_INIT(BUF_UNLIMITED);
	int r;

	if (!a)
		return -ENOMEM;
	r = json_append(a, &quoted);
	if (r < 0)
		return r;
	return buf_appendf(
	    out,
	    "{\"op\":\"keyunwrap\",\"keywrapparams\":{\"ec\":null,\"optsdata\":null},"
	    "\"keyunwrapparams\":{\"dc\":{\"Parameters\":{}},\"annotation\":%s}}",
	    buf_str(&quoted));
}

int cdh_keyprovider_parse_unwrap_response(const void *in, size_t n, struct secret **ret)
{
	_cleanup_(json_object_putp) json_object *j = NULL;
	_cleanup_secret_ struct secret *s = NULL;
	json_object *res, *v;
	int r;

	r = json_parse(in, n, CDH_KEYPROVIDER_MAX, JSON_DEFAULT_MAX_DEPTH, &j, NULL);
	if (r < 0)
		return r;
	if (json_get_object(j, "keyunwrapresults", &res) < 0 ||
	    !json_object_object_get_ex(res, "optsdata", &v) || !v)
		return -EBADMSG;
	if (json_object_is_type(v, json_type_string)) {
		const char *t = json_object_get_string(v);

		r = b64_decode_secret(B64_STD, t, (size_t) json_object_get_string_len(v), &s);
		if (r < 0)
			return r;
	} else if (json_object_is_type(v, json_type_array)) {
		size_t len = json_object_array_length(v);

		s = secret_alloc(len);
		if (!s)
			return -ENOMEM;
		for (size_t i = 0; i < len; i++) {
			uint64_t b;

			if (json_as_uint64(json_object_array_get_idx(v, i), &b) < 0 || b > 255)
				return -EBADMSG;
			s->p[i] = (uint8_t) b;
		}
	} else
		return -EBADMSG;
	*ret = steal_ptr(s);
	return 0;
}
