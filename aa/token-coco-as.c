/* SPDX-License-Identifier: Apache-2.0 */
/* GetToken("coco_as"): evidence for empty report data, POSTed to a CoCo attestation
 * service's RESTful API, whose answer body is the token (guest-components
 * attestation-agent/src/token/coco_as.rs; trustee restful-as; upstream.md §3.6, §4.8). */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "aa/token.h"
#include "common/b64.h"
#include "common/http.h"
#include "common/json-util.h"
#include "common/log.h"

int aa_token_coco_as(const struct aa_token_config *cfg, const struct attester_ops *primary,
		     struct buf *out, struct aa_token_error *err)
{
	_cleanup_(http_client_freep) struct http_client *http = NULL;
	_cleanup_(http_resp_done) struct http_resp resp = HTTP_RESP_INIT(AA_TOKEN_BODY_MAX);
	_cleanup_(buf_done) struct buf evidence = BUF_INIT(JSON_DEFAULT_MAX_SIZE);
	_cleanup_(buf_done) struct buf enc = BUF_INIT(BUF_UNLIMITED);
	_cleanup_(buf_done) struct buf body = BUF_INIT(BUF_UNLIMITED);
	_cleanup_(json_object_putp) json_object *ev = NULL, *req = NULL;
	_cleanup_free_ char *url = NULL;
	json_object *vreqs, *vreq;
	static const uint8_t empty[1];
	int r;

	r = primary->evidence(empty, 0, &evidence);
	if (r < 0)
		return aa_token_fail(err, r, "%s attester: cannot get evidence: %s", primary->name,
				     strerror(-r));
	/* upstream re-serialises the evidence Value; ours is already compact JSON text, so
	 * it is only checked. */
	r = json_parse((const char *) evidence.data, evidence.len, JSON_DEFAULT_MAX_SIZE,
		       JSON_DEFAULT_MAX_DEPTH, &ev, NULL);
	if (r < 0)
		return aa_token_fail(err, r, "the %s attester's evidence is not JSON",
				     primary->name);
	r = b64_encode(B64_URL_NOPAD, evidence.data, evidence.len, &enc);
	if (r < 0)
		return r;

	req = json_object_new_object();
	vreqs = json_object_new_array();
	vreq = json_object_new_object();
	if (!req || !vreqs || !vreq) {
		json_object_put(vreqs);
		json_object_put(vreq);
		return -ENOMEM;
	}
	json_object_object_add(vreq, "tee", json_object_new_string(primary->name));
	json_object_object_add(vreq, "evidence", json_object_new_string(buf_str(&enc)));
	json_object_array_add(vreqs, vreq);
	json_object_object_add(req, "verification_requests", vreqs);
	json_object_object_add(req, "policy_ids", json_object_new_array());
	r = json_append(req, &body);
	if (r < 0)
		return r;

	r = http_global_init();
	if (r < 0)
		return aa_token_fail(err, r, "cannot initialise the HTTP client");
	http = http_client_new();
	if (!http)
		return -ENOMEM;
	/* upstream uses a default reqwest client: system CAs, proxy variables, no timeout.
	 * We keep the KBS timeout so a silent peer cannot hold GetToken forever. */
	http_client_set_timeouts(http, 0, cfg->timeout_ms, 0, 0);
	r = http_client_add_default_ca(http);
	if (r < 0 && r != -ENOENT)
		log_debug("System CA bundle not used: %s", strerror(-r));
	r = http_client_set_proxy_from_env(http);
	if (r < 0)
		return r;

	if (asprintf(&url, "%s/attestation", cfg->coco_as_url) < 0)
		return -ENOMEM;
	r = http_request(http,
			 &(struct http_req){
			     .method = HTTP_POST,
			     .url = url,
			     .body = body.data,
			     .body_len = body.len,
			     .content_type = "application/json",
			     .allow_http = true,
			 },
			 &resp);
	if (r < 0)
		return aa_token_fail(err, r, "CoCo-AS request failed: %s%s%s", strerror(-r),
				     resp.error[0] ? ": " : "", resp.error);
	if (resp.status != 200) {
		(void) aa_token_fail(
		    err, 0, "Remote Attestation Failed, HTTP %ld, AS Response: ", resp.status);
		aa_token_error_append_peer(err, resp.body.data, MIN(resp.body.len, (size_t) 300));
		r = http_status_to_errno(resp.status);
		return r < 0 ? r : -EPROTO;
	}
	return buf_append(out, resp.body.data, resp.body.len);
}
