/* SPDX-License-Identifier: Apache-2.0 */
/* QGS GET_QUOTE_RESP parsing (aa/attesters/tdx-qgs.c): the host's answer is untrusted.
 * Only the documented errors may come back, a success yields exactly quote_size bytes
 * that lie inside the message, and a failure leaves the output untouched. */
#include <stdlib.h>

#include "aa/attesters/tdx-qgs.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	_cleanup_(buf_done) struct buf q = BUF_INIT(TDX_QGS_MSG_MAX);
	int r;

	r = tdx_qgs_parse_response(data, size, &q);
	if (r < 0) {
		if (r != -EBADMSG && r != -EPROTO && r != -EREMOTEIO && r != -E2BIG)
			abort();
		if (q.len != 0)
			abort();
		return 0;
	}
	if (size < 24 || q.len == 0 || q.len > size - 24)
		abort();
	/* The quote is the message's tail. */
	if (memcmp(q.data, data + size - q.len, q.len) != 0)
		abort();
	return 0;
}
