/* SPDX-License-Identifier: Apache-2.0 */
/* SNP report and certificate table: field decoding of the real-hardware vectors against
 * values read by hand from their bytes, byte-exact JSON against the independent Python
 * model in data/gen-snp-expected.py, the sev crate's refusals, and hostile tables. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "aa/attesters/snp-report.h"
#include "common/digest.h"
#include "common/fs.h"
#include "common/json-util.h"
#include "tests/unit/tests.h"

static const char *vectors_dir(void)
{
	/* A worktree beside the shared folder under another name can point here. */
	const char *e = getenv("COCOBOX_VECTORS_DIR");
	return e ? e : VECTORS_DIR;
}

static int read_path(const char *dir, const char *name, struct buf *b)
{
	char path[PATH_MAX];

	ASSERT_TRUE(snprintf(path, sizeof(path), "%s/%s", dir, name) < (int) sizeof(path));
	return fs_read_file(AT_FDCWD, path, b);
}

static void hex_to(const char *hex, uint8_t *out, size_t n)
{
	ASSERT_OK(digest_unhex(hex, strlen(hex), out, n));
}

static void assert_tcb(const struct snp_tcb *t, bool has_fmc, unsigned fmc, unsigned bl,
		       unsigned tee, unsigned snp, unsigned ucode)
{
	ASSERT_EQ(t->has_fmc, has_fmc);
	if (has_fmc)
		ASSERT_EQ(t->fmc, fmc);
	ASSERT_EQ(t->bootloader, bl);
	ASSERT_EQ(t->tee, tee);
	ASSERT_EQ(t->snp, snp);
	ASSERT_EQ(t->microcode, ucode);
}

/* Checks that text is one valid JSON object whose members come in exactly this order. */
static const char *const report_keys[] = {
	/* sorted, as a serde_json::Value (BTreeMap) writes them */
	"author_key_digest",
	"chip_id",
	"committed",
	"committed_tcb",
	"cpuid_fam_id",
	"cpuid_mod_id",
	"cpuid_step",
	"current",
	"current_mit_vector",
	"current_tcb",
	"family_id",
	"guest_svn",
	"host_data",
	"id_key_digest",
	"image_id",
	"key_info",
	"launch_mit_vector",
	"launch_tcb",
	"measurement",
	"plat_info",
	"policy",
	"report_data",
	"report_id",
	"report_id_ma",
	"reported_tcb",
	"sig_algo",
	"signature",
	"version",
	"vmpl",
};

static void assert_report_shape(const struct buf *b)
{
	_cleanup_(json_object_putp) json_object *j = NULL;
	json_object *tcb, *arr;
	size_t i = 0;

	ASSERT_OK(json_parse(buf_str(b), b->len, JSON_DEFAULT_MAX_SIZE, 16, &j, NULL));
	ASSERT_TRUE(json_object_is_type(j, json_type_object));
	json_object_object_foreach (j, key, val) {
		(void) val;
		ASSERT_TRUE(i < ELEMENTSOF(report_keys));
		ASSERT_STREQ(key, report_keys[i]);
		i++;
	}
	ASSERT_EQ(i, ELEMENTSOF(report_keys));

	ASSERT_OK(json_get_object(j, "reported_tcb", &tcb));
	i = 0;
	json_object_object_foreach (tcb, k2, v2) {
		static const char *const tk[] = { "bootloader", "fmc", "microcode", "snp", "tee" };
		(void) v2;
		ASSERT_TRUE(i < ELEMENTSOF(tk));
		ASSERT_STREQ(k2, tk[i++]);
	}
	ASSERT_OK(json_get_array(j, "measurement", &arr));
	ASSERT_EQ(json_object_array_length(arr), 48);
	ASSERT_OK(json_get_object(j, "signature", &tcb));
	ASSERT_OK(json_get_array(tcb, "r", &arr));
	ASSERT_EQ(json_object_array_length(arr), 72);
	ASSERT_OK(json_get_array(tcb, "s", &arr));
	ASSERT_EQ(json_object_array_length(arr), 72);
}

/* The SHA-256 and length the Python model gives for a vector's JSON. */
static bool expected_vector_digest(const char *name, uint8_t sha[32], size_t *len)
{
	_cleanup_(buf_done) struct buf b = BUF_INIT(4096);
	char *line, *save = NULL;

	ASSERT_OK(read_path(TEST_DATA_DIR, "snp-vectors.sha256", &b));
	for (line = strtok_r((char *) b.data, "\n", &save); line;
	     line = strtok_r(NULL, "\n", &save)) {
		char hex[65], file[64];

		if (sscanf(line, "%64s %zu %63s", hex, len, file) == 3 && streq(file, name)) {
			hex_to(hex, sha, 32);
			return true;
		}
	}
	return false;
}

static void check_vector_json(const char *name, const struct snp_report *r)
{
	_cleanup_(buf_done) struct buf out = BUF_INIT(64 * 1024);
	uint8_t want[32], got[32];
	size_t want_len;

	ASSERT_OK(snp_report_append_json(r, &out));
	assert_report_shape(&out);
	ASSERT_TRUE(expected_vector_digest(name, want, &want_len));
	ASSERT_EQ(out.len, want_len);
	digest_buf(DIGEST_SHA256, out.data, out.len, got);
	ASSERT_MEMEQ(got, want, 32);
}

static void test_vector_v2_vcek(void)
{
	_cleanup_(buf_done) struct buf b = BUF_INIT(SNP_REPORT_SIZE);
	struct snp_report r;
	uint8_t m[48], chip[64];
	int k;

	k = read_path(vectors_dir(), "snp/test-report.bin", &b);
	if (k == -ENOENT)
		SKIP("../shared/vectors absent");
	ASSERT_OK(k);
	ASSERT_OK(snp_report_parse(b.data, b.len, &r));

	/* Read off the bytes with a hex dump: */
	ASSERT_EQ(r.version, 2);
	ASSERT_EQ(r.guest_svn, 4);
	ASSERT_EQ(r.policy, 0x3001f);
	ASSERT_EQ(r.vmpl, 0);
	ASSERT_EQ(r.sig_algo, 1);
	ASSERT_EQ(r.plat_info, 1);
	ASSERT_EQ(r.key_info, 0);
	/* Version 2: no CPUID, and a full CHIP_ID reads as Genoa (legacy TCB layout). */
	ASSERT_EQ(r.generation, SNP_GEN_GENOA);
	ASSERT_TRUE(!r.has_cpuid && !r.has_mit_vector);
	assert_tcb(&r.current_tcb, false, 0, 3, 0, 8, 0xce);
	assert_tcb(&r.reported_tcb, false, 0, 3, 0, 8, 0x73);
	assert_tcb(&r.committed_tcb, false, 0, 3, 0, 8, 0x73);
	assert_tcb(&r.launch_tcb, false, 0, 3, 0, 8, 0x73);
	ASSERT_EQ(r.current.major, 1);
	ASSERT_EQ(r.current.minor, 52);
	ASSERT_EQ(r.current.build, 4);
	ASSERT_EQ(r.committed.minor, 52);
	hex_to("a1f3930413247bb38cfc171579ea3c12d5fe4901f0c792f63fd75d98f1ef827c"
	       "23500644e0e692e6be917f9050d3d38c",
	       m, sizeof(m));
	ASSERT_MEMEQ(r.measurement, m, 48);
	hex_to("c38427a30d4c7af9d96f7a15b97269825a64cb76a2352ffd5d18115d89ad473f"
	       "8e8c0bcd9a5d9286612bad4aadfb4426205a3b9e4fea82301135a170e477524e",
	       chip, sizeof(chip));
	ASSERT_MEMEQ(r.chip_id, chip, 64);
	ASSERT_MEMEQ(r.sig_r, b.data + 0x2a0, 72);
	ASSERT_MEMEQ(r.sig_s, b.data + 0x2a0 + 72, 72);

	check_vector_json("test-report.bin", &r);
}

static void test_vector_v3_vlek(void)
{
	_cleanup_(buf_done) struct buf b = BUF_INIT(SNP_REPORT_SIZE);
	struct snp_report r;
	uint8_t m[48], zero[64] = {};
	int k;

	k = read_path(vectors_dir(), "snp/test-vlek-report.bin", &b);
	if (k == -ENOENT)
		SKIP("../shared/vectors absent");
	ASSERT_OK(k);
	ASSERT_OK(snp_report_parse(b.data, b.len, &r));

	ASSERT_EQ(r.version, 3);
	ASSERT_EQ(r.guest_svn, 0);
	ASSERT_EQ(r.policy, 0x30000);
	ASSERT_EQ(r.vmpl, 1);
	ASSERT_EQ(r.plat_info, 0x27);
	ASSERT_EQ(r.key_info, 4); /* SIGNING_KEY 1: VLEK */
	/* CPUID family 0x19 model 0x01: Milan. */
	ASSERT_TRUE(r.has_cpuid && !r.has_mit_vector);
	ASSERT_EQ(r.cpuid_fam_id, 0x19);
	ASSERT_EQ(r.cpuid_mod_id, 0x01);
	ASSERT_EQ(r.cpuid_step, 0x01);
	ASSERT_EQ(r.generation, SNP_GEN_MILAN);
	assert_tcb(&r.current_tcb, false, 0, 4, 0, 0x18, 0xdc);
	assert_tcb(&r.reported_tcb, false, 0, 4, 0, 0x18, 0xd9);
	assert_tcb(&r.committed_tcb, false, 0, 4, 0, 0x18, 0xdb);
	assert_tcb(&r.launch_tcb, false, 0, 4, 0, 0x18, 0xdb);
	ASSERT_EQ(r.current.major, 1);
	ASSERT_EQ(r.current.minor, 55);
	ASSERT_EQ(r.current.build, 29);
	hex_to("8922ebbdd00ec2c541f36a6e7a82a8773a7accb451ed67bc94e740dbe92c93c4"
	       "e8c9af857f5ceeb5a493df2a570d7bf0",
	       m, sizeof(m));
	ASSERT_MEMEQ(r.measurement, m, 48);
	/* Masked CHIP_ID is fine from version 3 on: the generation comes from CPUID. */
	ASSERT_MEMEQ(r.chip_id, zero, 64);

	check_vector_json("test-vlek-report.bin", &r);
}

static void check_synthetic(const char *name, enum snp_generation gen)
{
	_cleanup_(buf_done) struct buf raw = BUF_INIT(SNP_REPORT_SIZE);
	_cleanup_(buf_done) struct buf want = BUF_INIT(64 * 1024);
	_cleanup_(buf_done) struct buf out = BUF_INIT(64 * 1024);
	char file[128];
	struct snp_report r;

	(void) snprintf(file, sizeof(file), "snp-report-%s.bin", name);
	ASSERT_OK(read_path(TEST_DATA_DIR, file, &raw));
	(void) snprintf(file, sizeof(file), "snp-report-%s.json", name);
	ASSERT_OK(read_path(TEST_DATA_DIR, file, &want));
	ASSERT_TRUE(want.len > 0 && want.data[want.len - 1] == '\n');
	buf_truncate(&want, want.len - 1);

	ASSERT_OK(snp_report_parse(raw.data, raw.len, &r));
	ASSERT_EQ(r.generation, gen);
	ASSERT_OK(snp_report_append_json(&r, &out));
	assert_report_shape(&out);
	if (out.len != want.len || memcmp(out.data, want.data, out.len) != 0) {
		printf("# got  %s\n# want %s\n", buf_str(&out), buf_str(&want));
		ASSERT_TRUE(!"JSON differs from the Python model");
	}
}

static void test_synthetic_versions(void)
{
	check_synthetic("v2-turin", SNP_GEN_TURIN);
	check_synthetic("v2-genoa", SNP_GEN_GENOA);
	check_synthetic("v3-genoa", SNP_GEN_GENOA);
	check_synthetic("v3-turin", SNP_GEN_TURIN);
	check_synthetic("v4-milan", SNP_GEN_MILAN);
	check_synthetic("v5-turin", SNP_GEN_TURIN);
	check_synthetic("v9-genoa", SNP_GEN_GENOA);
}

static void test_turin_tcb_fields(void)
{
	_cleanup_(buf_done) struct buf raw = BUF_INIT(SNP_REPORT_SIZE);
	struct snp_report r;

	ASSERT_OK(read_path(TEST_DATA_DIR, "snp-report-v5-turin.bin", &raw));
	/* Turin: fmc, bootloader, tee, snp at bytes 0-3, microcode at 7. */
	memcpy(raw.data + 0x180, (const uint8_t[]){ 1, 2, 3, 4, 0xee, 0xee, 0xee, 5 }, 8);
	memcpy(raw.data + 0x1f8,
	       (const uint8_t[]){ 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff }, 8);
	ASSERT_OK(snp_report_parse(raw.data, raw.len, &r));
	assert_tcb(&r.reported_tcb, true, 1, 2, 3, 4, 5);
	ASSERT_TRUE(r.has_mit_vector);
	ASSERT_TRUE(r.launch_mit_vector == UINT64_MAX);
}

static void test_refusals(void)
{
	_cleanup_(buf_done) struct buf raw = BUF_INIT(SNP_REPORT_SIZE);
	struct snp_report r;

	ASSERT_OK(read_path(TEST_DATA_DIR, "snp-report-v3-genoa.bin", &raw));
	ASSERT_ERR(snp_report_parse(raw.data, raw.len - 1, &r), -EBADMSG);
	ASSERT_ERR(snp_report_parse(NULL, 0, &r), -EBADMSG);

	/* The CPUID family/model table (sev's Generation::identify_cpu). */
	static const struct {
		uint8_t fam, mod;
		int want;
	} cpus[] = {
		{ 0x19, 0x00, 0 },           { 0x19, 0x0f, 0 },
		{ 0x19, 0x10, 0 },           { 0x19, 0x1f, 0 },
		{ 0x19, 0xa0, 0 },           { 0x19, 0xaf, 0 },
		{ 0x1a, 0x00, 0 },           { 0x1a, 0x11, 0 },
		{ 0x19, 0x20, -EOPNOTSUPP }, { 0x19, 0x9f, -EOPNOTSUPP },
		{ 0x19, 0xb0, -EOPNOTSUPP }, { 0x1a, 0x12, -EOPNOTSUPP },
		{ 0x17, 0x31, -EOPNOTSUPP }, { 0x1b, 0x00, -EOPNOTSUPP },
	};
	for (size_t i = 0; i < ELEMENTSOF(cpus); i++) {
		raw.data[0x188] = cpus[i].fam;
		raw.data[0x189] = cpus[i].mod;
		ASSERT_ERR(snp_report_parse(raw.data, raw.len, &r), cpus[i].want);
	}

	/* Versions 0 and 1 are refused whatever the rest says. */
	raw.data[0x188] = 0x19;
	raw.data[0x189] = 0x01;
	raw.data[0] = 1;
	ASSERT_ERR(snp_report_parse(raw.data, raw.len, &r), -EOPNOTSUPP);
	raw.data[0] = 0;
	ASSERT_ERR(snp_report_parse(raw.data, raw.len, &r), -EOPNOTSUPP);

	/* Version 2 with a masked CHIP_ID: the crate cannot pick a TCB layout. */
	raw.data[0] = 2;
	memset(raw.data + 0x1a0, 0, 64);
	ASSERT_ERR(snp_report_parse(raw.data, raw.len, &r), -EOPNOTSUPP);
	raw.data[0x1a0 + 63] = 1; /* one non-zero byte past the Turin part: Genoa */
	ASSERT_OK(snp_report_parse(raw.data, raw.len, &r));
	ASSERT_EQ(r.generation, SNP_GEN_GENOA);
}

static void test_json_limits(void)
{
	_cleanup_(buf_done) struct buf raw = BUF_INIT(SNP_REPORT_SIZE);
	_cleanup_(buf_done) struct buf full = BUF_INIT(64 * 1024);
	struct snp_report r;

	ASSERT_OK(read_path(TEST_DATA_DIR, "snp-report-v3-turin.bin", &raw));
	ASSERT_OK(snp_report_parse(raw.data, raw.len, &r));
	ASSERT_OK(snp_report_append_json(&r, &full));
	/* Every shorter limit fails with -E2BIG, never a crash or a success. */
	for (size_t max = 0; max < full.len; max += 97) {
		_cleanup_(buf_done) struct buf small = BUF_INIT(max);
		ASSERT_ERR(snp_report_append_json(&r, &small), -E2BIG);
	}
}

static void test_cert_guid_types(void)
{
	static const struct {
		const char *hex;
		enum snp_cert_type t;
	} g[] = {
		{ "c0b406a4a803495297433fb6014cd0ae", SNP_CERT_ARK },
		{ "4ab7b379bbac4fe4a02f05aef327c782", SNP_CERT_ASK },
		{ "63da758de6644564adc5f4b93be8accd", SNP_CERT_VCEK },
		{ "a8074bc2a25a483eaae639c045a0b8a1", SNP_CERT_VLEK },
		{ "92f81bc358114d3d97ffd19f88dc67ea", SNP_CERT_CRL },
		{ "00000000000000000000000000000000", SNP_CERT_EMPTY },
		/* byte-swapped ARK (Microsoft GUID order) is not ARK */
		{ "a406b4c003a8524997433fb6014cd0ae", SNP_CERT_OTHER },
	};
	uint8_t guid[16];

	for (size_t i = 0; i < ELEMENTSOF(g); i++) {
		hex_to(g[i].hex, guid, 16);
		ASSERT_EQ(snp_cert_type_from_guid(guid), g[i].t);
	}
}

static void test_cert_table(void)
{
	_cleanup_(buf_done) struct buf raw = BUF_INIT(1 << 20);
	_cleanup_(buf_done) struct buf want = BUF_INIT(1 << 20);
	_cleanup_(buf_done) struct buf out = BUF_INIT(1 << 20);
	_cleanup_(snp_cert_table_done) struct snp_cert_table t = {};
	_cleanup_(json_object_putp) json_object *j = NULL;

	ASSERT_OK(read_path(TEST_DATA_DIR, "snp-certs.bin", &raw));
	ASSERT_OK(read_path(TEST_DATA_DIR, "snp-certs.json", &want));
	buf_truncate(&want, want.len - 1);

	ASSERT_OK(snp_cert_table_parse(raw.data, raw.len, &t));
	ASSERT_EQ(t.n, 8);
	ASSERT_EQ(t.certs[0].type, SNP_CERT_ARK);
	ASSERT_EQ(t.certs[1].type, SNP_CERT_VCEK);
	ASSERT_EQ(t.certs[1].len, 39); /* the first VCEK in the table stays first */
	ASSERT_EQ(t.certs[2].type, SNP_CERT_VCEK);
	ASSERT_EQ(t.certs[7].type, SNP_CERT_OTHER);
	ASSERT_OK(snp_cert_table_append_json(&t, &out));
	if (out.len != want.len || memcmp(out.data, want.data, out.len) != 0) {
		printf("# got  %s\n# want %s\n", buf_str(&out), buf_str(&want));
		ASSERT_TRUE(!"certificate JSON differs from the Python model");
	}
	ASSERT_OK(json_parse(buf_str(&out), out.len, JSON_DEFAULT_MAX_SIZE, 8, &j, NULL));
	ASSERT_TRUE(json_object_is_type(j, json_type_array));
}

static void put_entry(uint8_t *p, size_t i, uint8_t guid0, uint32_t off, uint32_t len)
{
	uint8_t *e = p + i * 24;

	memset(e, 0, 24);
	e[0] = guid0;
	e[15] = 0x42;
	memcpy(e + 16, &off, 4); /* x86 host order, as the kernel hands it over */
	memcpy(e + 20, &len, 4);
}

static void test_cert_table_hostile(void)
{
	uint8_t p[4096] = {};
	struct snp_cert_table t = {};
	_cleanup_(buf_done) struct buf out = BUF_INIT(64);

	/* Just the terminator: an empty list, "[]" (upstream's Some(vec![])). */
	ASSERT_OK(snp_cert_table_parse(p, 24, &t));
	ASSERT_EQ(t.n, 0);
	ASSERT_OK(snp_cert_table_append_json(&t, &out));
	ASSERT_STREQ(buf_str(&out), "[]");
	snp_cert_table_done(&t);

	/* Too short for even a terminator. */
	ASSERT_ERR(snp_cert_table_parse(p, 23, &t), -EBADMSG);
	ASSERT_ERR(snp_cert_table_parse(p, 0, &t), -EBADMSG);

	/* Missing terminator: entries up to the end of the buffer. */
	for (size_t i = 0; i < 3; i++)
		put_entry(p, i, 0x10 + (uint8_t) i, 100, 1);
	ASSERT_ERR(snp_cert_table_parse(p, 72, &t), -EBADMSG);
	ASSERT_ERR(snp_cert_table_parse(p, 80, &t), -EBADMSG); /* partial 4th entry */

	/* Well formed: two entries after the table. */
	memset(p, 0, sizeof(p));
	put_entry(p, 0, 0x10, 72, 10);
	put_entry(p, 1, 0x11, 82, 10);
	ASSERT_OK(snp_cert_table_parse(p, 92, &t));
	ASSERT_EQ(t.n, 2);
	snp_cert_table_done(&t);
	/* ...but the buffer ends one byte early. */
	ASSERT_ERR(snp_cert_table_parse(p, 91, &t), -EBADMSG);

	/* Overlapping data. */
	put_entry(p, 1, 0x11, 81, 10);
	ASSERT_ERR(snp_cert_table_parse(p, 200, &t), -EBADMSG);
	/* Data inside the table itself. */
	put_entry(p, 1, 0x11, 60, 10);
	ASSERT_ERR(snp_cert_table_parse(p, 200, &t), -EBADMSG);
	put_entry(p, 1, 0x11, 0, 24);
	ASSERT_ERR(snp_cert_table_parse(p, 200, &t), -EBADMSG);
	/* Offset past the end, and a length that wraps offset + length. */
	put_entry(p, 1, 0x11, 4097, 0);
	ASSERT_ERR(snp_cert_table_parse(p, 4096, &t), -EBADMSG);
	put_entry(p, 1, 0x11, 100, UINT32_MAX);
	ASSERT_ERR(snp_cert_table_parse(p, 4096, &t), -EBADMSG);
	put_entry(p, 1, 0x11, UINT32_MAX, 2);
	ASSERT_ERR(snp_cert_table_parse(p, 4096, &t), -EBADMSG);
	/* Empty certificates may sit anywhere in bounds. */
	put_entry(p, 1, 0x11, 0, 0);
	ASSERT_OK(snp_cert_table_parse(p, 4096, &t));
	ASSERT_EQ(t.n, 2);
	snp_cert_table_done(&t);

	/* Entry count limit: 64 fit, 65 do not. */
	memset(p, 0, sizeof(p));
	for (size_t i = 0; i < SNP_CERT_TABLE_MAX_ENTRIES; i++)
		put_entry(p, i, (uint8_t) (0x10 + i), 0, 0);
	ASSERT_OK(snp_cert_table_parse(p, sizeof(p), &t));
	ASSERT_EQ(t.n, SNP_CERT_TABLE_MAX_ENTRIES);
	snp_cert_table_done(&t);
	put_entry(p, SNP_CERT_TABLE_MAX_ENTRIES, 0x99, 0, 0);
	ASSERT_ERR(snp_cert_table_parse(p, sizeof(p), &t), -EBADMSG);
}

TESTS(test_vector_v2_vcek, test_vector_v3_vlek, test_synthetic_versions, test_turin_tcb_fields,
      test_refusals, test_json_limits, test_cert_guid_types, test_cert_table,
      test_cert_table_hostile)
