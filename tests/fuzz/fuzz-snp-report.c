/* SPDX-License-Identifier: Apache-2.0 */
/* SEV-SNP report and certificate table parsers (aa/attesters/snp-report.c): any input
 * either fails with the documented errors or yields entries inside the input, disjoint
 * and in sev's order, and JSON that our strict parser accepts. Anything else aborts. */
#include <stdio.h>

#include "aa/attesters/snp-report.h"
#include "common/json-util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_json(const struct buf *b)
{
	_cleanup_(json_object_putp) json_object *j = NULL;

	if (json_parse(buf_str(b), b->len, JSON_DEFAULT_MAX_SIZE, 8, &j, NULL) < 0)
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	_cleanup_(snp_cert_table_done) struct snp_cert_table t = {};
	struct snp_report rep;
	int r;

	/* Any prefix of the right size is tried as a report. */
	if (size >= SNP_REPORT_SIZE) {
		r = snp_report_parse(data, SNP_REPORT_SIZE, &rep);
		if (r >= 0) {
			_cleanup_(buf_done) struct buf out = BUF_INIT(1 << 20);

			if (snp_report_append_json(&rep, &out) < 0)
				abort();
			check_json(&out);
		} else if (r != -EOPNOTSUPP)
			abort();
	}

	r = snp_cert_table_parse(data, size, &t);
	if (r < 0) {
		if (r != -EBADMSG)
			abort();
		return 0;
	}
	if (t.n > SNP_CERT_TABLE_MAX_ENTRIES)
		abort();
	for (size_t i = 0; i < t.n; i++) {
		const struct snp_cert *c = &t.certs[i];

		if (c->len > size || c->data < data || (size_t) (c->data - data) > size - c->len)
			abort();
		if (i > 0 && t.certs[i - 1].type > c->type)
			abort();
		for (size_t k = 0; k < i; k++) {
			const struct snp_cert *o = &t.certs[k];

			if (c->len && o->len && c->data < o->data + o->len &&
			    o->data < c->data + c->len)
				abort();
		}
	}
	{
		_cleanup_(buf_done) struct buf out = BUF_INIT(8 << 20);

		if (snp_cert_table_append_json(&t, &out) < 0)
			abort();
		check_json(&out);
	}
	return 0;
}
