/* SPDX-License-Identifier: Apache-2.0 */
/* Drives one attester's ops from the command line for the integration tests (until
 * aa-tool grows these verbs). Device paths follow $COCOBOX_ATTESTER_ROOT.
 *   attester-cli TEE evidence HEX        evidence JSON on stdout
 *   attester-cli TEE mr-read MR          register value, hex
 *   attester-cli TEE mr-extend MR HEX
 *   attester-cli TEE pcr-to-mr PCR
 *   attester-cli TEE mr-supported        "yes" or "no"
 *   attester-cli TEE bind HEX
 *   attester-cli - detect                name of the detected attester
 * A failed op prints "errno=N (text)" on stderr and exits with N, so tests can tell
 * the error codes apart. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "aa/attester.h"
#include "common/log.h"

static int unhex(const char *s, struct buf *out)
{
	size_t n = strlen(s);
	int r;

	if (n % 2)
		return -EINVAL;
	r = buf_reserve(out, n / 2);
	if (r < 0)
		return r;
	r = digest_unhex(s, n, out->data, n / 2);
	if (r < 0)
		return r;
	out->len = n / 2;
	out->data[out->len] = 0;
	return 0;
}

static int fail(int r)
{
	fprintf(stderr, "errno=%d (%s)\n", -r, strerror(-r));
	return -r;
}

int main(int argc, char **argv)
{
	_cleanup_(buf_done) struct buf arg = BUF_INIT(4096), out = BUF_INIT(BUF_UNLIMITED);
	const struct attester_ops *a;
	uint8_t reg[DIGEST_MAX_SIZE];
	char hex[2 * DIGEST_MAX_SIZE + 1];
	int r;

	log_open("attester-cli");
	if (argc < 3) {
		fprintf(stderr, "usage: attester-cli TEE VERB [ARG...]\n");
		return 2;
	}
	if (streq(argv[2], "detect")) {
		printf("%s\n", attester_detect()->name);
		return 0;
	}
	a = attester_find(argv[1]);
	if (!a) {
		fprintf(stderr, "attester '%s' is not built in\n", argv[1]);
		return 2;
	}

	if (streq(argv[2], "evidence") && argc == 4) {
		r = unhex(argv[3], &arg);
		if (r >= 0)
			r = a->evidence(arg.data, arg.len, &out);
		if (r < 0)
			return fail(r);
		printf("%s\n", buf_str(&out));
	} else if (streq(argv[2], "mr-read") && argc == 4 && a->mr_read) {
		r = a->mr_read((unsigned) strtoul(argv[3], NULL, 10), reg);
		if (r < 0)
			return fail(r);
		printf("%s\n", digest_hex(reg, digest_size(a->mr_alg), hex));
	} else if (streq(argv[2], "mr-extend") && argc == 5 && a->mr_extend) {
		r = unhex(argv[4], &arg);
		if (r >= 0)
			r = a->mr_extend((unsigned) strtoul(argv[3], NULL, 10), arg.data, arg.len);
		if (r < 0)
			return fail(r);
	} else if (streq(argv[2], "pcr-to-mr") && argc == 4 && a->pcr_to_mr) {
		printf("%u\n", a->pcr_to_mr((unsigned) strtoul(argv[3], NULL, 10)));
	} else if (streq(argv[2], "mr-supported") && argc == 3) {
		bool yes = a->mr_extend && (!a->mr_supported || a->mr_supported());

		printf("%s\n", yes ? "yes" : "no");
	} else if (streq(argv[2], "bind") && argc == 4 && a->bind_initdata) {
		r = unhex(argv[3], &arg);
		if (r >= 0)
			r = a->bind_initdata(arg.data, arg.len);
		if (r < 0)
			return fail(r);
	} else {
		fprintf(stderr, "attester-cli: bad or unsupported verb '%s' for '%s'\n", argv[2],
			a->name);
		return 2;
	}
	return 0;
}
