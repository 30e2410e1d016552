/* SPDX-License-Identifier: Apache-2.0 */
/* Shared part of the Azure vTPM attesters: the HCL report round trip through NV, the
 * vTPM quote, IMDS over plain HTTP (169.254.169.254 is link-local; upstream uses http://
 * too), PEM to DER, the evidence v2 writer and the PCR operations. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "aa/attester.h"
#include "aa/attesters/az-vtpm.h"
#include "common/b64.h"
#include "common/http.h"
#include "common/log.h"

#define INITDATA_PCR 8

int az_vtpm_open(struct tpm **ret)
{
	char dev[PATH_MAX];

	if (!attester_path(AZ_VTPM_DEVICE, dev))
		return -ENAMETOOLONG;
	return tpm_open(dev, ret);
}

bool az_vtpm_detect(enum hcl_report_type want)
{
	_cleanup_(tpm_closep) struct tpm *t = NULL;
	_cleanup_(buf_done) struct buf b = BUF_INIT(TPM_NV_READ_MAX);
	struct hcl_report h;
	int r;

	r = az_vtpm_open(&t);
	if (r < 0)
		return false;
	r = tpm_nv_read(t, HCL_REPORT_NV_INDEX, TPM_NV_READ_MAX, &b);
	if (r < 0) {
		log_debug_errno(r, "No Azure HCL report in the TPM: %m");
		return false;
	}
	r = hcl_report_parse(b.data, b.len, &h);
	return r >= 0 && h.type == want;
}

static void hcl_delay(void)
{
	const char *e = getenv("COCOBOX_AZ_HCL_DELAY_MS");
	unsigned long ms = AZ_VTPM_HCL_DELAY_MS;
	struct timespec ts;

	if (e) {
		char *end;
		unsigned long v = strtoul(e, &end, 10);

		if (end != e && *end == 0 && v <= 60000)
			ms = v;
	}
	ts = (struct timespec){ .tv_sec = (time_t) (ms / 1000),
				.tv_nsec = (long) (ms % 1000) * 1000000 };
	while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
		;
}

int az_vtpm_get_report(struct tpm *t, const uint8_t *report_data, size_t n,
		       enum hcl_report_type want, struct buf *out)
{
	_cleanup_(buf_done) struct buf b = BUF_INIT(TPM_NV_READ_MAX);
	struct hcl_report h;
	int r;

	r = tpm_nv_write_sized(t, HCL_REPORT_DATA_NV_INDEX, report_data, n);
	if (r < 0)
		return r;
	/* The HCL regenerates the report asynchronously after the write; reading at once
	 * could return the previous one (upstream waits 3 s too). */
	hcl_delay();
	r = tpm_nv_read(t, HCL_REPORT_NV_INDEX, TPM_NV_READ_MAX, &b);
	if (r < 0)
		return r;
	r = hcl_report_parse(b.data, b.len, &h);
	if (r < 0)
		return r;
	if (h.type != want)
		return -EPROTONOSUPPORT;
	return buf_append(out, b.data, b.len);
}

int az_vtpm_quote(struct tpm *t, const uint8_t *report_data, size_t n, struct tpm_quote *q)
{
	return tpm_quote(t, TPM_AZURE_AK_HANDLE, TPM_QUOTE_KEY_DEFAULT, report_data, n, q);
}

int az_vtpm_imds(const char *path, const char *body, struct buf *out)
{
	_cleanup_(http_client_freep) struct http_client *c = NULL;
	_cleanup_(http_resp_done) struct http_resp resp = HTTP_RESP_INIT(AZ_VTPM_IMDS_BODY_MAX);
	_cleanup_(buf_done) struct buf url = BUF_INIT(4096);
	const char *base = getenv("COCOBOX_AZ_IMDS_URL");
	char *const headers[] = { (char *) "Metadata: true", (char *) "Accept: application/json",
				  NULL };
	struct http_req req = {
		.method = body ? HTTP_POST : HTTP_GET,
		.headers = headers,
		.body = body,
		.body_len = body ? strlen(body) : 0,
		.content_type = body ? "application/json" : NULL,
		.timeout_ms = 30000,
		.allow_http = true,
	};
	int r;

	r = buf_appendf(&url, "%s%s", base ? base : AZ_VTPM_IMDS_URL, path);
	if (r < 0)
		return r;
	req.url = buf_str(&url);
	c = http_client_new();
	if (!c)
		return -ENOMEM;
	http_client_set_timeouts(c, 5000, 30000, 0, 0);
	r = http_request(c, &req, &resp);
	if (r < 0)
		return log_debug_errno(r, "IMDS request '%s' failed: %s", req.url, resp.error);
	r = http_status_to_errno(resp.status);
	if (r < 0)
		return log_debug_errno(r, "IMDS request '%s' answered HTTP %ld", req.url,
				       resp.status);
	return buf_append(out, resp.body.data, resp.body.len);
}

int az_vtpm_pem_cert_to_der(const char *pem, struct buf *der)
{
	static const char begin[] = "-----BEGIN CERTIFICATE-----";
	static const char end[] = "-----END CERTIFICATE-----";
	_cleanup_(buf_done) struct buf b64 = BUF_INIT(64 * 1024);
	const char *p, *e;
	int r;

	/* RFC 7468: optional blank space before the encapsulation boundary only. */
	for (p = pem; *p == ' ' || *p == '\t' || *p == '\r' || *p == '\n'; p++)
		;
	p = startswith(p, begin);
	if (!p)
		return -EBADMSG;
	e = strstr(p, end);
	if (!e)
		return -EBADMSG;
	/* Base64 lines, whitespace dropped; b64_decode() then checks alphabet and padding. */
	for (; p < e; p++) {
		if (*p == ' ' || *p == '\t' || *p == '\r' || *p == '\n')
			continue;
		r = buf_put_u8(&b64, (uint8_t) *p);
		if (r < 0)
			return r == -E2BIG ? -EBADMSG : r;
	}
	if (b64.len == 0)
		return -EBADMSG;
	return b64_decode(B64_STD, buf_str(&b64), b64.len, der);
}

int az_vtpm_evidence_json(const struct tpm_quote *q, const uint8_t *hcl, size_t hcl_len,
			  const char *last_key, const uint8_t *last, size_t last_len,
			  struct buf *out)
{
	/* Keys sorted, as serde_json::Value prints upstream's evidence: hcl_report, then
	 * td_quote before tpm_quote, or vcek after it, then version. Only fixed keys, no
	 * escaping needed. */
	bool last_first = strcmp(last_key, "tpm_quote") < 0;
	int r;

	r = buf_append_str(out, "{\"hcl_report\":\"");
	if (r == 0)
		r = b64_encode(B64_URL, hcl, hcl_len, out);
	if (r == 0 && last_first)
		r = buf_appendf(out, "\",\"%s\":\"", last_key);
	if (r == 0 && last_first)
		r = b64_encode(B64_URL, last, last_len, out);
	if (r == 0)
		r = buf_append_str(out, "\",\"tpm_quote\":");
	if (r == 0)
		r = tpm_quote_json(q, true, out);
	if (r == 0 && !last_first)
		r = buf_appendf(out, ",\"%s\":\"", last_key);
	if (r == 0 && !last_first)
		r = b64_encode(B64_URL, last, last_len, out);
	if (r == 0)
		r = buf_append_str(out, last_first ? ",\"version\":2}" : "\",\"version\":2}");
	return r;
}

unsigned az_vtpm_pcr_to_mr(unsigned pcr)
{
	return pcr;
}

int az_vtpm_mr_read(unsigned mr, uint8_t *out)
{
	_cleanup_(tpm_closep) struct tpm *t = NULL;
	int r;

	if (mr >= TPM_PCR_COUNT)
		return -EINVAL;
	r = az_vtpm_open(&t);
	if (r < 0)
		return r;
	return tpm_pcr_read(t, mr, out);
}

int az_vtpm_mr_extend(unsigned mr, const uint8_t *digest, size_t n)
{
	_cleanup_(tpm_closep) struct tpm *t = NULL;
	int r;

	/* "expected sha256 digest" / "Invalid PCR index" upstream. */
	if (mr >= TPM_PCR_COUNT || n != TPM_SHA256_SIZE)
		return -EINVAL;
	r = az_vtpm_open(&t);
	if (r < 0)
		return r;
	return tpm_pcr_extend(t, mr, digest, n);
}

int az_vtpm_bind_initdata(const uint8_t *digest, size_t n)
{
	return az_vtpm_mr_extend(INITDATA_PCR, digest, n);
}

int az_vtpm_report_and_quote(const uint8_t *report_data, size_t n, enum hcl_report_type want,
			     struct buf *hcl, struct tpm_quote *q)
{
	_cleanup_(tpm_closep) struct tpm *t = NULL;
	int r;

	if (n == 0 || n > TPM_QUALIFYING_DATA_MAX)
		return -EINVAL;
	r = az_vtpm_open(&t);
	if (r < 0)
		return r;
	r = az_vtpm_get_report(t, report_data, n, want, hcl);
	if (r < 0)
		return log_debug_errno(r, "Failed to get the HCL report: %m");
	r = az_vtpm_quote(t, report_data, n, q);
	if (r < 0)
		return log_debug_errno(r, "Failed to get the vTPM quote: %m");
	return 0;
}
