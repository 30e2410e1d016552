/* SPDX-License-Identifier: Apache-2.0 */
/* Test driver for the TPM and Azure vTPM attesters: calls one attester_ops entry and
 * prints the result, so test-attester-tpm.sh can check it with tpm2-tools against
 * swtpm. Not installed. Hex arguments are lowercase. Exit 0 on success, 1 when the
 * operation fails (strerror text on stderr), 2 on usage errors.
 *   attester-tpm-cli primary                      name attester_detect() picks
 *   attester-tpm-cli NAME detect                  "yes" / "no" (exit 0 / 1)
 *   attester-tpm-cli NAME evidence HEX            evidence JSON for report data HEX
 *   attester-tpm-cli NAME read MR                 register MR in hex
 *   attester-tpm-cli NAME extend MR HEX           extend register MR with digest HEX
 *   attester-tpm-cli NAME bind HEX                bind init data with digest HEX */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "aa/attester.h"
#include "common/log.h"

static int unhex_arg(const char *s, struct buf *out)
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
	return 0;
}

static int parse_mr(const char *s, unsigned *ret)
{
	char *end;
	unsigned long v;

	errno = 0;
	v = strtoul(s, &end, 10);
	if (errno || end == s || *end || v > 1000)
		return -EINVAL;
	*ret = (unsigned) v;
	return 0;
}

static int fail(const char *what, int r)
{
	fprintf(stderr, "attester-tpm-cli: %s failed: %s\n", what, strerror(-r));
	return 1;
}

int main(int argc, char **argv)
{
	_cleanup_(buf_done) struct buf arg = BUF_INIT(4096);
	_cleanup_(buf_done) struct buf out = BUF_INIT(1 << 20);
	const struct attester_ops *a;
	const char *cmd;
	unsigned mr = 0;
	int r;

	log_open("attester-tpm-cli");
	if (argc == 2 && streq(argv[1], "primary")) {
		printf("%s\n", attester_detect()->name);
		return 0;
	}
	if (argc < 3)
		return 2;
	a = attester_find(argv[1]);
	if (!a) {
		fprintf(stderr, "attester-tpm-cli: no attester '%s' built in\n", argv[1]);
		return 2;
	}
	cmd = argv[2];

	if (streq(cmd, "detect") && argc == 3) {
		bool yes = a->detect && a->detect();

		printf("%s\n", yes ? "yes" : "no");
		return yes ? 0 : 1;
	}
	if (streq(cmd, "evidence") && argc == 4) {
		if (unhex_arg(argv[3], &arg) < 0)
			return 2;
		r = a->evidence(arg.data, arg.len, &out);
		if (r < 0)
			return fail("evidence", r);
		printf("%s\n", buf_str(&out));
		return 0;
	}
	if (streq(cmd, "read") && argc == 4) {
		uint8_t v[DIGEST_MAX_SIZE];
		char hex[2 * DIGEST_MAX_SIZE + 1];

		if (parse_mr(argv[3], &mr) < 0)
			return 2;
		if (!a->mr_read)
			return fail("read", -EOPNOTSUPP);
		r = a->mr_read(mr, v);
		if (r < 0)
			return fail("read", r);
		printf("%s\n", digest_hex(v, digest_size(a->mr_alg), hex));
		return 0;
	}
	if (streq(cmd, "extend") && argc == 5) {
		if (parse_mr(argv[3], &mr) < 0 || unhex_arg(argv[4], &arg) < 0)
			return 2;
		if (!a->mr_extend)
			return fail("extend", -EOPNOTSUPP);
		r = a->mr_extend(mr, arg.data, arg.len);
		return r < 0 ? fail("extend", r) : 0;
	}
	if (streq(cmd, "bind") && argc == 4) {
		if (unhex_arg(argv[3], &arg) < 0)
			return 2;
		if (!a->bind_initdata)
			return fail("bind", -EOPNOTSUPP);
		r = a->bind_initdata(arg.data, arg.len);
		return r < 0 ? fail("bind", r) : 0;
	}
	return 2;
}
