/* SPDX-License-Identifier: Apache-2.0 */
/* A CUSE character device that answers the guest ioctls of one TEE, for exercising the
 * attesters' ioctl paths in a VM with no TEE (tests/vm). It speaks the CUSE protocol on
 * /dev/cuse directly (include/uapi/linux/fuse.h), no libfuse, so it builds static:
 *   cuse-tee sev REPORT [CERTS]   /dev/sev-guest: SNP_GET_REPORT, SNP_GET_EXT_REPORT
 *       (include/uapi/linux/sev-guest.h). REPORT is a 1184-byte attestation report used
 *       as the template, the request's user data put at REPORT_DATA (0x50); CERTS is the
 *       certificate table SNP_GET_EXT_REPORT returns, with the "invalid length" answer
 *       (VMM error 1 in exitinfo2, the needed size in certs_len, -EIO) when the
 *       caller's buffer is too small, as the kernel gives it.
 *   cuse-tee tdx MRCONFIGID_HEX   /dev/tdx_guest: TDX_CMD_GET_REPORT0 (tdx-guest.h),
 *       a TDREPORT of type 0x81 with the request's REPORTDATA at 128 and MRCONFIGID at 576.
 * The ioctls carry pointers (SNP) or large structs, so the device asks for unrestricted
 * ioctls and fetches the caller's memory with FUSE_IOCTL_RETRY rounds. Runs in the
 * foreground until killed; prints "ready" once the device is registered. */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include <linux/fuse.h>
#include <linux/sev-guest.h>

#include "common/macro.h"

#define REQ_MAX (256u * 1024u)
#define SNP_REPORT_SIZE 1184u
#define SNP_REPORT_DATA_OFFSET 0x50u
#define MSG_REPORT_RSP_REPORT_OFFSET 32u
#define TDX_REPORT_SIZE 1024u
#define TDX_CMD_GET_REPORT0 0xC4405401u /* _IOWR('T', 1, struct tdx_report_req) */
#define VMM_ERR_INVALID_LEN 1ull

static const char *kind;
static uint8_t snp_report[SNP_REPORT_SIZE];
static uint8_t *certs;
static size_t certs_len;
static uint8_t mrconfigid[48];

static uint8_t in[REQ_MAX];
static uint8_t out[REQ_MAX];

static void die(const char *what)
{
	fprintf(stderr, "cuse-tee: %s: %s\n", what, strerror(errno));
	exit(1);
}

static int read_file(const char *path, uint8_t **ret, size_t *ret_len)
{
	FILE *f = fopen(path, "rb");
	uint8_t *p = malloc(REQ_MAX);
	size_t n;

	if (!f || !p)
		return -1;
	n = fread(p, 1, REQ_MAX, f);
	fclose(f);
	*ret = p;
	*ret_len = n;
	return 0;
}

/* Sends one reply: header, then the parts. */
static void reply(int fd, uint64_t unique, int error, const void *a, size_t na, const void *b,
		  size_t nb)
{
	struct fuse_out_header h = { .len = (uint32_t) (sizeof(h) + na + nb),
				     .error = error,
				     .unique = unique };

	if (sizeof(h) + na + nb > sizeof(out))
		die("reply too large");
	memcpy(out, &h, sizeof(h));
	if (na)
		memcpy(out + sizeof(h), a, na);
	if (nb)
		memcpy(out + sizeof(h) + na, b, nb);
	if (write(fd, out, h.len) < 0 && errno != ENOENT) /* ENOENT: request interrupted */
		die("write /dev/cuse");
}

struct iov_list {
	struct fuse_ioctl_iovec v[8];
	uint32_t n;
};

static void iov_add(struct iov_list *l, uint64_t base, uint64_t len)
{
	l->v[l->n++] = (struct fuse_ioctl_iovec){ .base = base, .len = len };
}

/* Asks the kernel to call again with these caller buffers read in and written back. */
static void retry(int fd, uint64_t unique, const struct iov_list *ins, const struct iov_list *outs)
{
	struct fuse_ioctl_out o = { .flags = FUSE_IOCTL_RETRY,
				    .in_iovs = ins->n,
				    .out_iovs = outs->n };
	struct fuse_ioctl_iovec v[16];

	memcpy(v, ins->v, ins->n * sizeof(v[0]));
	memcpy(v + ins->n, outs->v, outs->n * sizeof(v[0]));
	reply(fd, unique, 0, &o, sizeof(o), v, (ins->n + outs->n) * sizeof(v[0]));
}

static void ioctl_done(int fd, uint64_t unique, int result, const void *data, size_t n)
{
	struct fuse_ioctl_out o = { .result = result };

	reply(fd, unique, 0, &o, sizeof(o), data, n);
}

/* SNP_GET_REPORT / SNP_GET_EXT_REPORT in rounds: the ioctl struct, then the request it
 * points at, then (knowing where the response and certificates go) the answer. */
static void snp_ioctl(int fd, uint64_t unique, const struct fuse_ioctl_in *q, const uint8_t *data)
{
	bool ext = q->cmd == SNP_GET_EXT_REPORT;
	size_t req_size = ext ? sizeof(struct snp_ext_report_req) : sizeof(struct snp_report_req);
	struct snp_guest_request_ioctl g;
	struct snp_ext_report_req req = {};
	struct iov_list ins = {}, outs = {};
	uint8_t answer[sizeof(g) + sizeof(struct snp_report_resp) + sizeof(req)];
	struct snp_report_resp *rsp;
	bool short_buf;
	uint32_t status = 0, size = SNP_REPORT_SIZE;
	size_t n = 0;

	if (q->cmd != SNP_GET_REPORT && q->cmd != SNP_GET_EXT_REPORT)
		return ioctl_done(fd, unique, -ENOTTY, NULL, 0);
	iov_add(&ins, q->arg, sizeof(g));
	if (q->in_size < sizeof(g))
		return retry(fd, unique, &ins, &outs);
	memcpy(&g, data, sizeof(g));
	iov_add(&ins, g.req_data, req_size);
	if (q->in_size < sizeof(g) + req_size)
		return retry(fd, unique, &ins, &outs);
	memcpy(&req, data + sizeof(g), req_size);
	short_buf = ext && req.certs_len < certs_len;
	iov_add(&outs, q->arg, sizeof(g));
	iov_add(&outs, g.resp_data, sizeof(struct snp_report_resp));
	if (ext)
		iov_add(&outs, g.req_data, req_size);
	if (ext && !short_buf && certs_len > 0)
		iov_add(&outs, req.certs_address, certs_len);
	if (q->out_size == 0)
		return retry(fd, unique, &ins, &outs);

	/* The answer, in the order of outs. */
	rsp = (struct snp_report_resp *) (answer + sizeof(g));
	memset(rsp, 0, sizeof(*rsp));
	g.exitinfo2 = 0;
	if (short_buf) {
		g.exitinfo2 = VMM_ERR_INVALID_LEN << 32;
		req.certs_len = (uint32_t) certs_len;
	} else {
		memcpy(rsp->data, &status, 4);
		memcpy(rsp->data + 4, &size, 4);
		memcpy(rsp->data + MSG_REPORT_RSP_REPORT_OFFSET, snp_report, SNP_REPORT_SIZE);
		memcpy(rsp->data + MSG_REPORT_RSP_REPORT_OFFSET + SNP_REPORT_DATA_OFFSET,
		       req.data.user_data, 64);
		if (ext)
			req.certs_len = (uint32_t) certs_len;
	}
	memcpy(answer, &g, sizeof(g));
	n = sizeof(g) + sizeof(*rsp);
	if (ext) {
		memcpy(answer + n, &req, req_size);
		n += req_size;
	}
	if (ext && !short_buf && certs_len > 0) {
		uint8_t all[sizeof(answer) + 65536];

		if (certs_len > 65536)
			return ioctl_done(fd, unique, -E2BIG, NULL, 0);
		memcpy(all, answer, n);
		memcpy(all + n, certs, certs_len);
		return ioctl_done(fd, unique, 0, all, n + certs_len);
	}
	ioctl_done(fd, unique, short_buf ? -EIO : 0, answer, n);
}

static void tdx_ioctl(int fd, uint64_t unique, const struct fuse_ioctl_in *q, const uint8_t *data)
{
	struct iov_list ins = {}, outs = {};
	uint8_t r[64 + TDX_REPORT_SIZE] = {};

	if (q->cmd != TDX_CMD_GET_REPORT0)
		return ioctl_done(fd, unique, -ENOTTY, NULL, 0);
	iov_add(&ins, q->arg, sizeof(r));
	iov_add(&outs, q->arg, sizeof(r));
	if (q->in_size < sizeof(r) || q->out_size == 0)
		return retry(fd, unique, &ins, &outs);
	memcpy(r, data, 64);
	r[64] = 0x81; /* REPORTTYPE.TYPE: TDX */
	memcpy(r + 64 + 128, data, 64);
	memcpy(r + 64 + 576, mrconfigid, sizeof(mrconfigid));
	ioctl_done(fd, unique, 0, r, sizeof(r));
}

static void cuse_init(int fd, uint64_t unique, const struct cuse_init_in *ii)
{
	char info[64];
	int n = snprintf(info, sizeof(info), "DEVNAME=%s",
			 streq(kind, "sev") ? "sev-guest" : "tdx_guest");
	struct cuse_init_out o = { .major = FUSE_KERNEL_VERSION,
				   .minor = MIN(ii->minor, (uint32_t) FUSE_KERNEL_MINOR_VERSION),
				   .flags = CUSE_UNRESTRICTED_IOCTL,
				   .max_read = 65536,
				   .max_write = 65536 };

	reply(fd, unique, 0, &o, sizeof(o), info, (size_t) n + 1);
}

static int unhex(const char *s, uint8_t *p, size_t n)
{
	if (strlen(s) != 2 * n)
		return -1;
	for (size_t i = 0; i < n; i++)
		if (sscanf(s + 2 * i, "%2hhx", &p[i]) != 1)
			return -1;
	return 0;
}

int main(int argc, char **argv)
{
	int fd;

	kind = argc > 1 ? argv[1] : "";
	if (streq(kind, "sev") && (argc == 3 || argc == 4)) {
		uint8_t *p;
		size_t n;

		if (read_file(argv[2], &p, &n) < 0 || n != SNP_REPORT_SIZE)
			die("the report must be a readable 1184-byte file");
		memcpy(snp_report, p, n);
		free(p);
		if (argc == 4 && read_file(argv[3], &certs, &certs_len) < 0)
			die("cannot read the certificate table");
	} else if (!streq(kind, "tdx") || argc != 3 ||
		   unhex(argv[2], mrconfigid, sizeof(mrconfigid)) < 0) {
		fprintf(stderr,
			"usage: cuse-tee sev REPORT [CERTS] | cuse-tee tdx MRCONFIGID_HEX\n");
		return 2;
	}

	fd = open("/dev/cuse", O_RDWR | O_CLOEXEC);
	if (fd < 0)
		die("open /dev/cuse");
	for (;;) {
		const struct fuse_in_header *h = (const void *) in;
		const void *body = in + sizeof(*h);
		ssize_t k = read(fd, in, sizeof(in));

		if (k < 0) {
			if (errno == EINTR || errno == ENOENT)
				continue;
			die("read /dev/cuse");
		}
		if ((size_t) k < sizeof(*h))
			continue;
		switch (h->opcode) {
		case CUSE_INIT:
			cuse_init(fd, h->unique, body);
			printf("ready\n");
			fflush(stdout);
			break;
		case FUSE_OPEN: {
			struct fuse_open_out o = { .open_flags = FOPEN_DIRECT_IO };

			reply(fd, h->unique, 0, &o, sizeof(o), NULL, 0);
			break;
		}
		case FUSE_IOCTL: {
			const struct fuse_ioctl_in *q = body;
			const uint8_t *data = (const uint8_t *) body + sizeof(*q);

			if (streq(kind, "sev"))
				snp_ioctl(fd, h->unique, q, data);
			else
				tdx_ioctl(fd, h->unique, q, data);
			break;
		}
		case FUSE_RELEASE:
		case FUSE_FLUSH:
			reply(fd, h->unique, 0, NULL, 0, NULL, 0);
			break;
		case FUSE_INTERRUPT:
			break; /* every ioctl is answered at once */
		default:
			reply(fd, h->unique, -ENOSYS, NULL, 0, NULL, 0);
		}
	}
}
