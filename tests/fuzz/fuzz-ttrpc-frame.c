/* SPDX-License-Identifier: Apache-2.0 */
/* A byte stream as one connection would send it, through the server's frame parser and
 * dispatcher (the attestation agent's real service table, sample attester), inline. */
#include "aa/aa.h"
#include "common/log.h"
#include "common/ttrpc-server.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct ttrpc_server *s;
	static struct aa aa;
	_cleanup_(buf_done) struct buf replies = BUF_INIT(64 << 20);

	if (!s) {
		aa.primary = &attester_sample;
		if (ttrpc_server_new(&s) < 0 || ttrpc_server_add_service(s, &aa_service, &aa) < 0)
			abort();
		log_set_level(LOG_LEVEL_OFF);
	}
	(void) ttrpc_server_feed(s, data, size, &replies);
	return 0;
}
