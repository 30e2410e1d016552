/* SPDX-License-Identifier: Apache-2.0 */
#include <fcntl.h>
#include <unistd.h>

#include "common/buf.h"
#include "tests/unit/tests.h"

static void test_append_keeps_nul(void)
{
	_cleanup_(buf_done) struct buf b = BUF_INIT(BUF_UNLIMITED);

	ASSERT_STREQ(buf_str(&b), "");
	ASSERT_OK(buf_append(&b, "ab", 2));
	ASSERT_OK(buf_appendf(&b, "%d-%s", 42, "x"));
	ASSERT_OK(buf_put_be32(&b, 0x01020304));
	ASSERT_EQ(b.len, 2 + 4 + 4);
	ASSERT_MEMEQ(b.data, "ab42-x\x01\x02\x03\x04", 10);
	ASSERT_EQ(b.data[b.len], 0);
	buf_truncate(&b, 3);
	ASSERT_STREQ(buf_str(&b), "ab4");
}

static void test_limit(void)
{
	_cleanup_(buf_done) struct buf b = BUF_INIT(4);

	ASSERT_OK(buf_append(&b, "abcd", 4));
	ASSERT_ERR(buf_append(&b, "e", 1), -E2BIG);
	ASSERT_ERR(buf_appendf(&b, "%s", "x"), -E2BIG);
	ASSERT_EQ(b.len, 4);
	ASSERT_ERR(buf_reserve(&b, SIZE_MAX), -E2BIG);
}

static void pipe_with(const char *data, size_t n, int *ret_fd)
{
	int p[2];

	ASSERT_OK(pipe(p));
	ASSERT_EQ(write(p[1], data, n), (ssize_t) n);
	close(p[1]);
	*ret_fd = p[0];
}

static void test_read_fd_exact_and_over(void)
{
	_cleanup_(buf_done) struct buf ok = BUF_INIT(5), over = BUF_INIT(4);
	int fd;

	pipe_with("12345", 5, &fd);
	ASSERT_OK(buf_read_fd(&ok, fd));
	close(fd);
	ASSERT_STREQ(buf_str(&ok), "12345");

	pipe_with("12345", 5, &fd);
	ASSERT_ERR(buf_read_fd(&over, fd), -E2BIG);
	close(fd);
}

static void test_detach(void)
{
	struct buf b = BUF_INIT(16);
	size_t n = 99;
	uint8_t *p;

	p = buf_detach(&b, &n);
	ASSERT_TRUE(p != NULL);
	ASSERT_EQ(n, 0);
	ASSERT_EQ(p[0], 0);
	free(p);
	ASSERT_OK(buf_append_str(&b, "hi"));
	p = buf_detach(&b, &n);
	ASSERT_EQ(n, 2);
	ASSERT_STREQ((char *) p, "hi");
	ASSERT_TRUE(b.data == NULL && b.len == 0);
	free(p);
}

TESTS(test_append_keeps_nul, test_limit, test_read_fd_exact_and_over, test_detach)
