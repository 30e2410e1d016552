/* SPDX-License-Identifier: Apache-2.0 */
/* api-server-rest's request parser and router (see rest.h). Status codes, bodies and
 * content types are upstream's router.rs; so is its quirk of checking the method only on
 * the /info and /aa routes. */
#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <json-c/json.h>

#include "cdh/rest.h"
#include "common/applet.h"
#include "common/b64.h"
#include "common/json-util.h"
#include "common/log.h"
#include "config.h"

static const uint8_t *find_crlfcrlf(const uint8_t *p, size_t n)
{
	for (size_t i = 0; i + 4 <= n; i++)
		if (p[i] == '\r' && p[i + 1] == '\n' && p[i + 2] == '\r' && p[i + 3] == '\n')
			return p + i;
	return NULL;
}

void rest_request_done(struct rest_request *req)
{
	free(req->path);
	free(req->query);
	free(req->body);
	*req = (struct rest_request){};
}

/* Header field values: visible ASCII, spaces and tabs (RFC 9110 §5.5, no obs-text). */
static bool is_field_text(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if ((s[i] < 0x20 && s[i] != '\t') || s[i] == 0x7f)
			return false;
	return true;
}

static int parse_content_length(const char *v, size_t n, size_t *ret)
{
	size_t len = 0;

	if (n == 0)
		return -EBADMSG;
	for (size_t i = 0; i < n; i++) {
		if (!isdigit((unsigned char) v[i]))
			return -EBADMSG;
		if (len > REST_BODY_MAX)
			return -E2BIG;
		len = len * 10 + (size_t) (v[i] - '0');
	}
	if (len > REST_BODY_MAX)
		return -E2BIG;
	*ret = len;
	return 0;
}

int rest_request_parse(const uint8_t *p, size_t n, struct rest_request *req)
{
	const uint8_t *end = find_crlfcrlf(p, MIN(n, (size_t) REST_HEADER_MAX));
	const char *line, *sp1, *sp2, *eol, *q;
	size_t body_len = 0, head_len;
	bool have_length = false;
	int r;

	*req = (struct rest_request){};
	if (!end)
		return n >= REST_HEADER_MAX ? -E2BIG : 0;
	head_len = (size_t) (end - p) + 4;
	if (memchr(p, 0, head_len))
		return -EBADMSG;

	/* request-line = method SP request-target SP HTTP-version */
	line = (const char *) p;
	eol = strstr(line, "\r\n");
	sp1 = memchr(line, ' ', (size_t) (eol - line));
	if (!sp1 || sp1 == line || (size_t) (sp1 - line) >= sizeof(req->method))
		return -EBADMSG;
	sp2 = memchr(sp1 + 1, ' ', (size_t) (eol - sp1 - 1));
	if (!sp2 || sp1[1] != '/' || (eol - sp2 - 1 != 8) || strncmp(sp2 + 1, "HTTP/1.", 7) ||
	    (sp2[8] != '0' && sp2[8] != '1'))
		return -EBADMSG;
	for (const char *c = line; c < sp1; c++)
		if (!isupper((unsigned char) *c))
			return -EBADMSG;
	for (const char *c = sp1 + 1; c < sp2; c++)
		if (*c <= 0x20 || *c == 0x7f)
			return -EBADMSG;
	memcpy(req->method, line, (size_t) (sp1 - line));

	/* header fields: name ":" OWS value OWS */
	for (line = eol + 2; line < (const char *) end + 2; line = eol + 2) {
		const char *colon, *v, *ve;

		eol = strstr(line, "\r\n");
		if (eol == line)
			break;
		colon = memchr(line, ':', (size_t) (eol - line));
		if (!colon || colon == line)
			return -EBADMSG;
		for (const char *c = line; c < colon; c++)
			if (*c <= 0x20 || *c >= 0x7f || strchr("\"(),/:;<=>?@[\\]{}", *c))
				return -EBADMSG;
		for (v = colon + 1; v < eol && (*v == ' ' || *v == '\t'); v++)
			;
		for (ve = eol; ve > v && (ve[-1] == ' ' || ve[-1] == '\t'); ve--)
			;
		if (!is_field_text(v, (size_t) (ve - v)))
			return -EBADMSG;
		if ((size_t) (colon - line) == 17 && !strncasecmp(line, "transfer-encoding", 17))
			return -ENOSYS;
		if ((size_t) (colon - line) == 14 && !strncasecmp(line, "content-length", 14)) {
			size_t len;

			r = parse_content_length(v, (size_t) (ve - v), &len);
			if (r < 0)
				return r;
			/* Two different lengths are a smuggling attempt. */
			if (have_length && len != body_len)
				return -EBADMSG;
			body_len = len;
			have_length = true;
		}
	}
	if (n - head_len < body_len)
		return 0;

	q = memchr(sp1 + 1, '?', (size_t) (sp2 - sp1 - 1));
	req->path = strndup(sp1 + 1, (size_t) ((q ?: sp2) - sp1 - 1));
	if (q)
		req->query = strndup(q + 1, (size_t) (sp2 - q - 1));
	req->body = malloc(body_len + 1);
	if (!req->path || (q && !req->query) || !req->body) {
		rest_request_done(req);
		return -ENOMEM;
	}
	memcpy(req->body, p + head_len, body_len);
	req->body[body_len] = 0;
	req->body_len = body_len;
	return (int) (head_len + body_len);
}

void rest_response_init(struct rest_response *resp)
{
	*resp = (struct rest_response){ .status = 500, .body = BUF_INIT(16u << 20) };
}

void rest_response_done(struct rest_response *resp)
{
	if (resp->secret)
		buf_done_wipe(&resp->body);
	else
		buf_done(&resp->body);
}

static void respond(struct rest_response *resp, int status, const char *type, const char *text)
{
	resp->status = status;
	resp->content_type = type;
	buf_reset(&resp->body);
	if (text && buf_append_str(&resp->body, text) < 0)
		resp->status = 500;
}

static int unhex(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	c = (char) tolower((unsigned char) c);
	return c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

/* The value of key in an application/x-www-form-urlencoded query (form_urlencoded:
 * '+' is a space, %XX a byte, a bad escape kept as is), appended NUL-terminated to out.
 * Returns 1 when present, 0 when not. The first occurrence wins (upstream collects into
 * a HashMap, where the last one would; we refuse to guess differently on duplicates). */
static int query_get(const char *query, const char *key, struct buf *out)
{
	size_t klen = strlen(key);

	for (const char *s = query; s && *s;) {
		const char *amp = strchr(s, '&') ?: s + strlen(s);

		if ((size_t) (amp - s) >= klen && !strncmp(s, key, klen) &&
		    (s[klen] == '=' || s + klen == amp)) {
			const char *v = s + klen + (s[klen] == '=');

			for (; v < amp; v++) {
				int hi, lo, r;

				if (*v == '%' && amp - v >= 3 && (hi = unhex(v[1])) >= 0 &&
				    (lo = unhex(v[2])) >= 0) {
					r = buf_put_u8(out, (uint8_t) (hi << 4 | lo));
					v += 2;
				} else
					r = buf_put_u8(out, *v == '+' ? ' ' : (uint8_t) *v);
				if (r < 0)
					return r;
			}
			return buf_put_u8(out, 0) < 0 ? -ENOMEM : 1;
		}
		s = *amp ? amp + 1 : amp;
	}
	return 0;
}

static void internal_error(struct rest_response *resp, struct buf *err, int r)
{
	if (err->len == 0)
		(void) buf_appendf(err, "%s", strerror(r < 0 ? -r : EIO));
	resp->status = 500;
	resp->content_type = NULL;
	buf_reset(&resp->body);
	if (buf_append(&resp->body, err->data, err->len) < 0)
		buf_reset(&resp->body);
}

static void route_info(const struct rest_backend *be, struct rest_response *resp)
{
	_cleanup_(buf_done) struct buf tee = BUF_INIT(4096), add = BUF_INIT(1 << 20);
	_cleanup_(buf_done) struct buf err = BUF_INIT(1024);
	json_object *o = json_object_new_object();
	int r = 0;

	if (!o) {
		respond(resp, 500, NULL, "out of memory");
		return;
	}
	/* VersionInfo's field order: version, tee, additional_tees (when not empty), feature */
	json_object_object_add(o, "version", json_object_new_string(cocobox_version));
	if (be->aa) {
		r = be->aa_tee(be->ud, &tee, &add, &err);
		if (r >= 0 && buf_put_u8(&tee, 0) >= 0) {
			json_object *a = NULL;

			json_object_object_add(o, "tee", json_object_new_string(buf_str(&tee)));
			if (add.len > 0 &&
			    json_parse((const char *) add.data, add.len, add.len, 2, &a, NULL) >=
				0 &&
			    a && json_object_array_length(a) > 0)
				json_object_object_add(o, "additional_tees", a);
			else
				json_object_put(a);
		}
	}
	json_object_object_add(o, "feature", json_object_new_string(be->feature));
	if (r < 0)
		internal_error(resp, &err, r);
	else {
		respond(resp, 200, "application/json", NULL);
		if (json_append(o, &resp->body) < 0)
			respond(resp, 500, NULL, "out of memory");
	}
	json_object_put(o);
}

/* The bodies of upstream's extend_aael_entry(), byte for byte (note the space). */
static const char *aael_text(int result)
{
	switch (result) {
	case 0:
		return "{\"success\":\"true\"}";
	case 1:
		return "{\"success\":\"false\",\"message\": \"The platform does not support "
		       "runtime measurement\"}";
	case 2:
		return "{\"success\":\"false\",\"message\": \"Attestation Agent does not "
		       "enable eventlog recording\"}";
	default:
		return "{\"success\":\"false\",\"message\": \"Unknown runtime measurement "
		       "result\"}";
	}
}

static void route_aa(const struct rest_backend *be, const struct rest_request *req, const char *sub,
		     struct rest_response *resp)
{
	_cleanup_(buf_done) struct buf arg = BUF_INIT(REST_HEADER_MAX);
	_cleanup_(buf_done) struct buf enc = BUF_INIT(64);
	_cleanup_(buf_done) struct buf rd = BUF_INIT(REST_HEADER_MAX);
	_cleanup_(buf_done) struct buf err = BUF_INIT(1024);
	bool get = streq(req->method, "GET");
	int r;

	if (!be->aa) {
		respond(resp, 404, NULL, "Attestation Feature Not Enabled");
		return;
	}
	if (get && streq(sub, "/token")) {
		if (query_get(req->query, "token_type", &arg) <= 0) {
			respond(resp, 400, NULL, "BAD REQUEST");
			return;
		}
		respond(resp, 200, "application/octet-stream", NULL);
		/* A kbs token carries the TEE private key. */
		resp->secret = true;
		r = be->aa_token(be->ud, buf_str(&arg), &resp->body, &err);
		if (r < 0)
			internal_error(resp, &err, r);
		return;
	}
	if (get && (streq(sub, "/evidence") || streq(sub, "/additional-evidence"))) {
		if (query_get(req->query, "runtime_data", &arg) <= 0) {
			respond(resp, 400, NULL, "BAD REQUEST");
			return;
		}
		r = query_get(req->query, "encoding", &enc);
		if (r > 0 && !streq(buf_str(&enc), "base64")) {
			respond(resp, 400, NULL, "BAD REQUEST");
			return;
		}
		if (r > 0) {
			if (b64_decode(B64_URL_NOPAD, buf_str(&arg), arg.len - 1, &rd) < 0) {
				respond(resp, 400, NULL, "BAD REQUEST");
				return;
			}
		} else if (buf_append(&rd, arg.data, arg.len - 1) < 0) {
			respond(resp, 500, NULL, "out of memory");
			return;
		}
		respond(resp, 200, "application/octet-stream", NULL);
		r = be->aa_evidence(be->ud, streq(sub, "/additional-evidence"), rd.data, rd.len,
				    &resp->body, &err);
		if (r < 0)
			internal_error(resp, &err, r);
		return;
	}
	if (streq(req->method, "POST") && streq(sub, "/aael")) {
		_cleanup_(json_object_putp) json_object *o = NULL;
		const char *domain, *operation, *content, *why = NULL;
		int result;

		r = json_parse((const char *) req->body, req->body_len, REST_BODY_MAX, 8, &o, &why);
		if (r >= 0 && (!o || json_get_string(o, "domain", &domain) < 0 ||
			       json_get_string(o, "operation", &operation) < 0 ||
			       json_get_string(o, "content", &content) < 0))
			r = -EBADMSG, why = "domain, operation and content must be strings";
		if (r < 0) {
			(void) buf_appendf(&err, "Illegal AAEL eventry format: %s",
					   why ?: "not JSON");
			internal_error(resp, &err, r);
			return;
		}
		r = be->aa_extend(be->ud, domain, operation, content, &result, &err);
		if (r < 0)
			internal_error(resp, &err, r);
		else
			respond(resp, 200, "application/json", aael_text(result));
		return;
	}
	respond(resp, 404, NULL, "URL NOT FOUND");
}

static void route_cdh(const struct rest_backend *be, const char *sub, struct rest_response *resp)
{
	_cleanup_(buf_done) struct buf uri = BUF_INIT(REST_HEADER_MAX);
	_cleanup_(buf_done) struct buf err = BUF_INIT(1024);
	int r;

	if (!be->cdh) {
		respond(resp, 404, NULL, "Resource Feature Not Enabled");
		return;
	}
	/* "/resource/<path>": the part from the second '/' on is appended to "kbs://". */
	if (!startswith(sub, "/resource/")) {
		respond(resp, 404, NULL, "URL NOT FOUND");
		return;
	}
	if (buf_appendf(&uri, "kbs://%s", sub + strlen("/resource")) < 0) {
		respond(resp, 400, NULL, "BAD REQUEST");
		return;
	}
	respond(resp, 200, "application/octet-stream", NULL);
	resp->secret = true;
	r = be->cdh_resource(be->ud, buf_str(&uri), &resp->body, &err);
	if (r < 0)
		internal_error(resp, &err, r);
}

void rest_route(const struct rest_backend *be, const struct rest_request *req, bool peer_loopback,
		struct rest_response *resp)
{
	const char *path = req->path, *sub;

	if (!peer_loopback) {
		respond(resp, 403, NULL, "Forbidden");
		return;
	}
	if (streq(path, "/info")) {
		if (!streq(req->method, "GET"))
			respond(resp, 405, NULL, "Method Not Allowed");
		else
			route_info(be, resp);
		return;
	}
	/* split_nth_slash(path, 2): the root is everything before the second '/'. */
	sub = path[0] == '/' ? strchr(path + 1, '/') : NULL;
	if (sub && (size_t) (sub - path) == 3 && !strncmp(path, "/aa", 3))
		route_aa(be, req, sub, resp);
	else if (sub && (size_t) (sub - path) == 4 && !strncmp(path, "/cdh", 4))
		route_cdh(be, sub, resp);
	else
		respond(resp, 404, NULL, "URL NOT FOUND");
}

static const char *reason(int status)
{
	switch (status) {
	case 200:
		return "OK";
	case 400:
		return "Bad Request";
	case 403:
		return "Forbidden";
	case 404:
		return "Not Found";
	case 405:
		return "Method Not Allowed";
	case 408:
		return "Request Timeout";
	case 413:
		return "Content Too Large";
	case 501:
		return "Not Implemented";
	case 503:
		return "Service Unavailable";
	default:
		return "Internal Server Error";
	}
}

int rest_response_format(const struct rest_response *resp, struct buf *out)
{
	int r;

	r = buf_appendf(out, "HTTP/1.1 %d %s\r\n", resp->status, reason(resp->status));
	if (r == 0 && resp->content_type)
		r = buf_appendf(out, "content-type: %s\r\n", resp->content_type);
	if (r == 0)
		r = buf_appendf(out, "content-length: %zu\r\nconnection: close\r\n\r\n",
				resp->body.len);
	if (r == 0)
		r = buf_append(out, resp->body.data, resp->body.len);
	return r;
}
