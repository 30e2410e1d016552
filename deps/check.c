/* SPDX-License-Identifier: Apache-2.0 */
/* Smoke check of a deps/build.sh prefix (run by deps/check.sh): one real call into every
 * library, so a broken archive, a missing private library or a wrong feature switch
 * shows up as a compile, link or runtime failure here rather than in cocobox. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <mbedtls/sha256.h>
#include <mbedtls/ssl.h>
#include <mbedtls/x509_crt.h>
#include <nettle/sha2.h>
#include <nettle/eddsa.h>
#include <isa-l.h>
#include <zlib.h>
#include <zstd.h>
#include <json-c/json.h>
#include <archive.h>
#include <archive_entry.h>
#include <curl/curl.h>
#include <protobuf-c/protobuf-c.h>
#include <uuid/uuid.h>
#include <blkid/blkid.h>
#include <libdevmapper.h>
#include <libcryptsetup.h>
#include <tss2/tss2_rc.h>
#include <tss2/tss2_mu.h>
#include <tss2/tss2_esys.h>
#include <tss2/tss2_tctildr.h>
#include <tss2/tss2_tcti_device.h>
#include <tss2/tss2_tcti_mssim.h>
#include <tss2/tss2_tcti_swtpm.h>

static int failures;

#define CHECK(name, cond, ...)                                                                     \
	do {                                                                                       \
		int ok_ = !!(cond);                                                                \
		printf("%-4s %-11s ", ok_ ? "ok" : "FAIL", name);                                  \
		printf(__VA_ARGS__);                                                               \
		putchar('\n');                                                                     \
		failures += !ok_;                                                                  \
	} while (0)

/* SHA-256("abc") */
static const unsigned char abc_sha256[32] = {
	0xba, 0x78, 0x16, 0xbf, 0x8f, 0x01, 0xcf, 0xea, 0x41, 0x41, 0x40,
	0xde, 0x5d, 0xae, 0x22, 0x23, 0xb0, 0x03, 0x61, 0xa3, 0x96, 0x17,
	0x7a, 0x9c, 0xb4, 0x10, 0xff, 0x61, 0xf2, 0x00, 0x15, 0xad,
};

/* zstd -19 --check of "cocobox zstd frame: %s\n" for one two three, three times (the
 * library is built without the compressor, so the frame is made by the zstd tool). */
static const unsigned char zframe[] = {
	0x28, 0xb5, 0x2f, 0xfd, 0x24, 0xde, 0x6d, 0x01, 0x00, 0x04, 0x02, 0x63, 0x6f, 0x63, 0x6f,
	0x62, 0x6f, 0x78, 0x20, 0x7a, 0x73, 0x74, 0x64, 0x20, 0x66, 0x72, 0x61, 0x6d, 0x65, 0x3a,
	0x20, 0x6f, 0x6e, 0x65, 0x0a, 0x74, 0x77, 0x6f, 0x68, 0x72, 0x65, 0x65, 0x0a, 0x03, 0x00,
	0x91, 0x26, 0x50, 0x1a, 0x28, 0x83, 0xa5, 0xe7, 0x18, 0x6c, 0xf2, 0x67, 0x28,
};

static void check_crypto(void)
{
	unsigned char md[32];
	struct sha256_ctx nctx;
	mbedtls_ssl_config conf;
	mbedtls_x509_crt crt;
	uint8_t priv[32] = { 1 }, pub[ED25519_KEY_SIZE];

	int rc = mbedtls_sha256((const unsigned char *) "abc", 3, md, 0);
	CHECK("mbedtls", rc == 0 && !memcmp(md, abc_sha256, 32), "sha256(abc)");
	mbedtls_ssl_config_init(&conf); /* links libmbedtls and libmbedx509 too */
	mbedtls_x509_crt_init(&crt);
	mbedtls_x509_crt_free(&crt);
	mbedtls_ssl_config_free(&conf);

	sha256_init(&nctx);
	sha256_update(&nctx, 3, (const uint8_t *) "abc");
	sha256_digest(&nctx, sizeof md, md);
	CHECK("nettle", !memcmp(md, abc_sha256, 32), "sha256(abc)");
	ed25519_sha512_public_key(pub, priv);
	CHECK("hogweed", pub[0] || pub[1] || pub[31], "ed25519 public key");
}

static void check_compression(void)
{
	static unsigned char in[64 * 1024], gz[80 * 1024], out[64 * 1024];
	for (size_t i = 0; i < sizeof in; i++)
		in[i] = (unsigned char) ("cocobox "[i % 8] ^ (i / 4096));

	struct isal_zstream zs;
	isal_deflate_stateless_init(&zs);
	zs.gzip_flag = IGZIP_GZIP;
	zs.end_of_stream = 1;
	zs.next_in = in;
	zs.avail_in = sizeof in;
	zs.next_out = gz;
	zs.avail_out = sizeof gz;
	int rc = isal_deflate_stateless(&zs);
	size_t gzlen = zs.total_out;

	struct inflate_state st;
	isal_inflate_init(&st);
	st.crc_flag = ISAL_GZIP;
	st.next_in = gz;
	st.avail_in = (uint32_t) gzlen;
	st.next_out = out;
	st.avail_out = sizeof out;
	int rc2 = isal_inflate(&st);
	CHECK("isa-l",
	      rc == COMP_OK && rc2 == ISAL_DECOMP_OK && st.total_out == sizeof in &&
		  !memcmp(in, out, sizeof in),
	      "gzip %zu -> %zu bytes and back", sizeof in, gzlen);

	z_stream z = { 0 };
	memset(out, 0, sizeof out);
	rc = inflateInit2(&z, 16 + MAX_WBITS);
	z.next_in = gz;
	z.avail_in = (uInt) gzlen;
	z.next_out = out;
	z.avail_out = sizeof out;
	rc2 = inflate(&z, Z_FINISH);
	CHECK("zlib",
	      rc == Z_OK && rc2 == Z_STREAM_END && z.total_out == sizeof in &&
		  !memcmp(in, out, sizeof in),
	      "%s inflates the isa-l gzip", zlibVersion());
	inflateEnd(&z);

	char want[256] = "", got[256];
	const char *w[] = { "one", "two", "three" };
	for (int i = 0; i < 9; i++)
		snprintf(want + strlen(want), sizeof want - strlen(want),
			 "cocobox zstd frame: %s\n", w[i % 3]);
	size_t n = ZSTD_decompress(got, sizeof got, zframe, sizeof zframe);
	CHECK("zstd", !ZSTD_isError(n) && n == strlen(want) && !memcmp(got, want, n),
	      "%u: frame -> %zu bytes", ZSTD_versionNumber(), n);
}

static void check_formats(void)
{
	json_object *j = json_tokener_parse("{\"a\":[1,2,{\"b\":\"c\"}],\"n\":42}");
	json_object *v = NULL;
	CHECK("json-c", j && json_object_object_get_ex(j, "n", &v) && json_object_get_int(v) == 42,
	      "%s", j ? json_object_to_json_string_ext(j, JSON_C_TO_STRING_PLAIN) : "(null)");
	json_object_put(j);

	/* a pax tar written and read back in memory */
	static char tar[16 * 1024];
	size_t used = 0;
	struct archive *a = archive_write_new();
	archive_write_set_format_pax_restricted(a);
	archive_write_open_memory(a, tar, sizeof tar, &used);
	struct archive_entry *e = archive_entry_new();
	archive_entry_set_pathname(e, "etc/hello");
	archive_entry_set_filetype(e, AE_IFREG);
	archive_entry_set_perm(e, 0644);
	archive_entry_set_size(e, 6);
	archive_write_header(a, e);
	archive_write_data(a, "hello\n", 6);
	archive_entry_free(e);
	archive_write_close(a);
	archive_write_free(a);

	char data[16] = "";
	const char *name = "";
	a = archive_read_new();
	archive_read_support_format_tar(a);
	int rc = archive_read_open_memory(a, tar, used);
	if (rc == ARCHIVE_OK && archive_read_next_header(a, &e) == ARCHIVE_OK) {
		name = archive_entry_pathname(e);
		archive_read_data(a, data, sizeof data - 1);
	}
	CHECK("libarchive", !strcmp(name, "etc/hello") && !strcmp(data, "hello\n"),
	      "%s: tar of %zu bytes", archive_version_string(), used);
	archive_read_free(a);

	CHECK("protobuf-c", protobuf_c_version_number() >= 1005000, "%s", protobuf_c_version());
}

static void check_curl(void)
{
	const curl_version_info_data *d = curl_version_info(CURLVERSION_NOW);
	char protos[128] = "";
	for (const char *const *p = d->protocols; *p; p++)
		snprintf(protos + strlen(protos), sizeof protos - strlen(protos), "%s%s",
			 *protos ? "," : "", *p);
	CURL *c = curl_easy_init();
	CHECK("curl",
	      c && d->ssl_version && strstr(d->ssl_version, "mbedTLS") &&
		  !strcmp(protos, "http,https"),
	      "%s %s [%s]", d->version, d->ssl_version ? d->ssl_version : "no TLS", protos);
	curl_easy_cleanup(c);
}

static void check_storage(void)
{
	uuid_t u;
	char s[37];
	uuid_generate(u);
	uuid_unparse(u, s);
	CHECK("uuid", !uuid_is_null(u), "%s", s);

	const char *ver = NULL;
	blkid_probe pr = blkid_new_probe();
	blkid_get_library_version(&ver, NULL);
	CHECK("blkid", pr != NULL, "%s", ver);
	blkid_free_probe(pr);

	char dmv[64] = "";
	CHECK("devmapper", dm_get_library_version(dmv, sizeof dmv), "%s", dmv);

	/* crypt_load of a zeroed file: the library works, and finds no LUKS header */
	char path[] = "/tmp/cocobox-deps-check.XXXXXX";
	int fd = mkstemp(path);
	struct crypt_device *cd = NULL;
	int rc_init = -1, rc_load = 0;
	if (fd >= 0 && ftruncate(fd, 1 << 20) == 0) {
		rc_init = crypt_init(&cd, path);
		if (rc_init == 0)
			rc_load = crypt_load(cd, CRYPT_LUKS, NULL);
		crypt_free(cd);
	}
	if (fd >= 0) {
		close(fd);
		unlink(path);
	}
	CHECK("cryptsetup", rc_init == 0 && rc_load < 0, "default %s, load of a blank file = %d",
	      crypt_get_default_type(), rc_load);
}

static void check_tss2(void)
{
	const char *msg = Tss2_RC_Decode(TPM2_RC_FAILURE);
	uint8_t buf[4];
	size_t off = 0, sz_dev = 0, sz_mssim = 0, sz_swtpm = 0;
	TSS2_RC rc = Tss2_MU_UINT32_Marshal(0x01020304, buf, sizeof buf, &off);
	/* a NULL context asks each TCTI for its context size: proves all three link */
	Tss2_Tcti_Device_Init(NULL, &sz_dev, NULL);
	Tss2_Tcti_Mssim_Init(NULL, &sz_mssim, NULL);
	Tss2_Tcti_Swtpm_Init(NULL, &sz_swtpm, NULL);
	volatile void *esys = (void *) Esys_Initialize, *ldr = (void *) Tss2_TctiLdr_Initialize;
	CHECK("tpm2-tss",
	      msg && strstr(msg, "TPM failure") && rc == 0 && buf[0] == 1 && sz_dev && sz_mssim &&
		  sz_swtpm && esys && ldr,
	      "%s; tcti sizes %zu/%zu/%zu", msg, sz_dev, sz_mssim, sz_swtpm);
}

int main(void)
{
	check_crypto();
	check_compression();
	check_formats();
	check_curl();
	check_storage();
	check_tss2();
	printf("%s\n", failures ? "FAILED" : "all ok");
	return failures ? 1 : 0;
}
