/* SPDX-License-Identifier: Apache-2.0 */
/* SEV-SNP report and certificate table: raw bytes to struct, struct to the JSON that
 * serde derives for sev 6.3's AttestationReport and CertTableEntry
 * (src/firmware/guest/types/snp.rs, src/firmware/host/types/snp.rs,
 * src/firmware/linux/host/types/snp.rs; upstream.md §3.2). */
#include <errno.h>
#include <inttypes.h>
#include <string.h>

#include "aa/attesters/snp-report.h"
#include "common/macro.h"

/* Report offsets (SEV-SNP ABI, ATTESTATION_REPORT). */
#define OFF_CPUID_FAM 0x188u
#define OFF_CPUID_MOD 0x189u
#define OFF_CHIP_ID 0x1a0u

#define CERT_ENTRY_SIZE 24u

static bool is_zero(const uint8_t *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (p[i])
			return false;
	return true;
}

/* sev's Generation::identify_cpu(), restricted to SNP parts. */
static int generation_from_cpuid(uint8_t family, uint8_t model, enum snp_generation *ret)
{
	if (family == 0x19 && model <= 0x0f)
		*ret = SNP_GEN_MILAN;
	else if (family == 0x19 &&
		 ((model >= 0x10 && model <= 0x1f) || (model >= 0xa0 && model <= 0xaf)))
		*ret = SNP_GEN_GENOA;
	else if (family == 0x1a && model <= 0x11)
		*ret = SNP_GEN_TURIN;
	else
		return -EOPNOTSUPP;
	return 0;
}

static struct snp_tcb parse_tcb(const uint8_t *p, enum snp_generation g)
{
	/* Milan/Genoa: bootloader, tee, 4 reserved, snp, microcode.
	 * Turin: fmc, bootloader, tee, snp, 3 reserved, microcode. */
	if (g == SNP_GEN_TURIN)
		return (struct snp_tcb){ .has_fmc = true,
					 .fmc = p[0],
					 .bootloader = p[1],
					 .tee = p[2],
					 .snp = p[3],
					 .microcode = p[7] };
	return (struct snp_tcb){ .bootloader = p[0], .tee = p[1], .snp = p[6], .microcode = p[7] };
}

static struct snp_fw_version parse_fw_version(const uint8_t *p)
{
	/* Stored build, minor, major. */
	return (struct snp_fw_version){ .major = p[2], .minor = p[1], .build = p[0] };
}

int snp_report_parse(const uint8_t *p, size_t n, struct snp_report *ret)
{
	struct snp_report r = {};
	int k;

	if (!p || n != SNP_REPORT_SIZE)
		return -EBADMSG;

	r.version = get_le32(p);
	if (r.version < 2)
		return -EOPNOTSUPP;

	if (r.version == 2) {
		/* No CPUID fields yet: the crate guesses from CHIP_ID, whose Turin form
		 * is 8 bytes long; everything else it takes for Genoa (same TCB layout
		 * as Milan). A masked CHIP_ID leaves it nothing to go on. */
		if (is_zero(p + OFF_CHIP_ID, 64))
			return -EOPNOTSUPP;
		r.generation = is_zero(p + OFF_CHIP_ID + 8, 56) ? SNP_GEN_TURIN : SNP_GEN_GENOA;
	} else {
		k = generation_from_cpuid(p[OFF_CPUID_FAM], p[OFF_CPUID_MOD], &r.generation);
		if (k < 0)
			return k;
	}

	r.guest_svn = get_le32(p + 0x04);
	r.policy = get_le64(p + 0x08);
	memcpy(r.family_id, p + 0x10, 16);
	memcpy(r.image_id, p + 0x20, 16);
	r.vmpl = get_le32(p + 0x30);
	r.sig_algo = get_le32(p + 0x34);
	r.current_tcb = parse_tcb(p + 0x38, r.generation);
	r.plat_info = get_le64(p + 0x40);
	r.key_info = get_le32(p + 0x48);
	/* 0x4c: 4 reserved bytes */
	memcpy(r.report_data, p + 0x50, 64);
	memcpy(r.measurement, p + 0x90, 48);
	memcpy(r.host_data, p + 0xc0, 32);
	memcpy(r.id_key_digest, p + 0xe0, 48);
	memcpy(r.author_key_digest, p + 0x110, 48);
	memcpy(r.report_id, p + 0x140, 32);
	memcpy(r.report_id_ma, p + 0x160, 32);
	r.reported_tcb = parse_tcb(p + 0x180, r.generation);
	if (r.version >= 3) {
		r.has_cpuid = true;
		r.cpuid_fam_id = p[OFF_CPUID_FAM];
		r.cpuid_mod_id = p[OFF_CPUID_MOD];
		r.cpuid_step = p[0x18a];
	}
	memcpy(r.chip_id, p + OFF_CHIP_ID, 64);
	r.committed_tcb = parse_tcb(p + 0x1e0, r.generation);
	r.current = parse_fw_version(p + 0x1e8);
	r.committed = parse_fw_version(p + 0x1ec);
	r.launch_tcb = parse_tcb(p + 0x1f0, r.generation);
	if (r.version >= 5) {
		r.has_mit_vector = true;
		r.launch_mit_vector = get_le64(p + 0x1f8);
		r.current_mit_vector = get_le64(p + 0x200);
	}
	/* The signature block is 512 bytes; sev keeps R and S (72 each, little-endian). */
	memcpy(r.sig_r, p + 0x2a0, 72);
	memcpy(r.sig_s, p + 0x2a0 + 72, 72);

	*ret = r;
	return 0;
}

/* serde_big_array writes [T; N] as a JSON array of numbers. */
static int append_bytes(struct buf *out, const uint8_t *p, size_t n)
{
	char tmp[4 * 64 + 2];
	size_t i = 0;
	int r;

	r = buf_append(out, "[", 1);
	if (r < 0)
		return r;
	while (i < n) {
		size_t k = 0;

		for (; i < n && k < sizeof(tmp) - 4; i++) {
			uint8_t v = p[i];

			if (i > 0)
				tmp[k++] = ',';
			if (v >= 100)
				tmp[k++] = (char) ('0' + v / 100);
			if (v >= 10)
				tmp[k++] = (char) ('0' + v / 10 % 10);
			tmp[k++] = (char) ('0' + v % 10);
		}
		r = buf_append(out, tmp, k);
		if (r < 0)
			return r;
	}
	return buf_append(out, "]", 1);
}

/* A small writer for one object: members in the order called, the first error sticks. */
struct obj_writer {
	struct buf *out;
	int r;
	bool first;
};

static void member(struct obj_writer *w, const char *key)
{
	if (w->r >= 0)
		w->r = buf_appendf(w->out, w->first ? "\"%s\":" : ",\"%s\":", key);
	w->first = false;
}

static void member_bytes(struct obj_writer *w, const char *key, const uint8_t *p, size_t n)
{
	member(w, key);
	if (w->r >= 0)
		w->r = append_bytes(w->out, p, n);
}

static void member_u64(struct obj_writer *w, const char *key, uint64_t v)
{
	member(w, key);
	if (w->r >= 0)
		w->r = buf_appendf(w->out, "%" PRIu64, v);
}

/* Option<T>: the value or null. */
static void member_opt(struct obj_writer *w, const char *key, bool has, uint64_t v)
{
	member(w, key);
	if (w->r >= 0)
		w->r = has ? buf_appendf(w->out, "%" PRIu64, v) : buf_append_str(w->out, "null");
}

static void member_tcb(struct obj_writer *w, const char *key, const struct snp_tcb *t)
{
	member(w, key);
	if (w->r < 0)
		return;
	w->r = buf_appendf(w->out, "{\"bootloader\":%u,\"fmc\":", t->bootloader);
	if (w->r >= 0)
		w->r = t->has_fmc ? buf_appendf(w->out, "%u", t->fmc)
				  : buf_append_str(w->out, "null");
	if (w->r >= 0)
		w->r = buf_appendf(w->out, ",\"microcode\":%u,\"snp\":%u,\"tee\":%u}", t->microcode,
				   t->snp, t->tee);
}

static void member_fw_version(struct obj_writer *w, const char *key, const struct snp_fw_version *v)
{
	member(w, key);
	if (w->r >= 0)
		w->r = buf_appendf(w->out, "{\"build\":%u,\"major\":%u,\"minor\":%u}", v->build,
				   v->major, v->minor);
}

static void member_signature(struct obj_writer *w, const struct snp_report *rep)
{
	member(w, "signature");
	if (w->r >= 0)
		w->r = buf_append_str(w->out, "{\"r\":");
	if (w->r >= 0)
		w->r = append_bytes(w->out, rep->sig_r, sizeof(rep->sig_r));
	if (w->r >= 0)
		w->r = buf_append_str(w->out, ",\"s\":");
	if (w->r >= 0)
		w->r = append_bytes(w->out, rep->sig_s, sizeof(rep->sig_s));
	if (w->r >= 0)
		w->r = buf_append_str(w->out, "}");
}

int snp_report_append_json(const struct snp_report *rep, struct buf *out)
{
	struct obj_writer w = { .out = out, .first = true };

	/* Upstream turns the struct into a serde_json::Value (to_value) before writing
	 * it, and guest-components builds serde_json without "preserve_order", so every
	 * object's members come out sorted by key (BTreeMap), at every level. Values
	 * follow sev's serde derives: byte arrays as number arrays, Option as null,
	 * GuestPolicy, PlatformInfo and KeyInfo (newtypes over integers) as numbers. */
	w.r = buf_append_str(out, "{");
	member_bytes(&w, "author_key_digest", rep->author_key_digest,
		     sizeof(rep->author_key_digest));
	member_bytes(&w, "chip_id", rep->chip_id, sizeof(rep->chip_id));
	member_fw_version(&w, "committed", &rep->committed);
	member_tcb(&w, "committed_tcb", &rep->committed_tcb);
	member_opt(&w, "cpuid_fam_id", rep->has_cpuid, rep->cpuid_fam_id);
	member_opt(&w, "cpuid_mod_id", rep->has_cpuid, rep->cpuid_mod_id);
	member_opt(&w, "cpuid_step", rep->has_cpuid, rep->cpuid_step);
	member_fw_version(&w, "current", &rep->current);
	member_opt(&w, "current_mit_vector", rep->has_mit_vector, rep->current_mit_vector);
	member_tcb(&w, "current_tcb", &rep->current_tcb);
	member_bytes(&w, "family_id", rep->family_id, sizeof(rep->family_id));
	member_u64(&w, "guest_svn", rep->guest_svn);
	member_bytes(&w, "host_data", rep->host_data, sizeof(rep->host_data));
	member_bytes(&w, "id_key_digest", rep->id_key_digest, sizeof(rep->id_key_digest));
	member_bytes(&w, "image_id", rep->image_id, sizeof(rep->image_id));
	member_u64(&w, "key_info", rep->key_info);
	member_opt(&w, "launch_mit_vector", rep->has_mit_vector, rep->launch_mit_vector);
	member_tcb(&w, "launch_tcb", &rep->launch_tcb);
	member_bytes(&w, "measurement", rep->measurement, sizeof(rep->measurement));
	member_u64(&w, "plat_info", rep->plat_info);
	member_u64(&w, "policy", rep->policy);
	member_bytes(&w, "report_data", rep->report_data, sizeof(rep->report_data));
	member_bytes(&w, "report_id", rep->report_id, sizeof(rep->report_id));
	member_bytes(&w, "report_id_ma", rep->report_id_ma, sizeof(rep->report_id_ma));
	member_tcb(&w, "reported_tcb", &rep->reported_tcb);
	member_u64(&w, "sig_algo", rep->sig_algo);
	member_signature(&w, rep);
	member_u64(&w, "version", rep->version);
	member_u64(&w, "vmpl", rep->vmpl);
	if (w.r >= 0)
		w.r = buf_append_str(out, "}");
	return w.r < 0 ? w.r : 0;
}

/* GUIDs as sev compares them: uuid::Uuid::from_slice() of the table bytes. */
static const struct {
	enum snp_cert_type type;
	const char *name;
	uint8_t guid[16];
} cert_types[] = {
	{ SNP_CERT_ARK,
	  "ARK",
	  { 0xc0, 0xb4, 0x06, 0xa4, 0xa8, 0x03, 0x49, 0x52, 0x97, 0x43, 0x3f, 0xb6, 0x01, 0x4c,
	    0xd0, 0xae } },
	{ SNP_CERT_ASK,
	  "ASK",
	  { 0x4a, 0xb7, 0xb3, 0x79, 0xbb, 0xac, 0x4f, 0xe4, 0xa0, 0x2f, 0x05, 0xae, 0xf3, 0x27,
	    0xc7, 0x82 } },
	{ SNP_CERT_VCEK,
	  "VCEK",
	  { 0x63, 0xda, 0x75, 0x8d, 0xe6, 0x64, 0x45, 0x64, 0xad, 0xc5, 0xf4, 0xb9, 0x3b, 0xe8,
	    0xac, 0xcd } },
	{ SNP_CERT_VLEK,
	  "VLEK",
	  { 0xa8, 0x07, 0x4b, 0xc2, 0xa2, 0x5a, 0x48, 0x3e, 0xaa, 0xe6, 0x39, 0xc0, 0x45, 0xa0,
	    0xb8, 0xa1 } },
	{ SNP_CERT_CRL,
	  "CRL",
	  { 0x92, 0xf8, 0x1b, 0xc3, 0x58, 0x11, 0x4d, 0x3d, 0x97, 0xff, 0xd1, 0x9f, 0x88, 0xdc,
	    0x67, 0xea } },
	{ SNP_CERT_EMPTY, "Empty", {} },
};

enum snp_cert_type snp_cert_type_from_guid(const uint8_t guid[16])
{
	for (size_t i = 0; i < ELEMENTSOF(cert_types); i++)
		if (memcmp(cert_types[i].guid, guid, 16) == 0)
			return cert_types[i].type;
	return SNP_CERT_OTHER;
}

static const char *cert_type_name(enum snp_cert_type t)
{
	for (size_t i = 0; i < ELEMENTSOF(cert_types); i++)
		if (cert_types[i].type == t)
			return cert_types[i].name;
	return NULL;
}

/* sev's Ord for CertType; GUIDs break ties among OTHER (Uuid orders by bytes). */
static int cert_cmp(const struct snp_cert *a, const struct snp_cert *b)
{
	if (a->type != b->type)
		return a->type < b->type ? -1 : 1;
	if (a->type == SNP_CERT_OTHER)
		return memcmp(a->guid, b->guid, 16);
	return 0;
}

void snp_cert_table_done(struct snp_cert_table *t)
{
	free(t->certs);
	t->certs = NULL;
	t->n = 0;
}

int snp_cert_table_parse(const uint8_t *p, size_t n, struct snp_cert_table *ret)
{
	_cleanup_free_ struct snp_cert *certs = NULL;
	size_t count = 0, table_end;

	if (!p && n > 0)
		return -EINVAL;

	/* Find the terminator first, so that nothing below reads past it. */
	for (;; count++) {
		size_t at = count * CERT_ENTRY_SIZE;

		if (n - MIN(n, at) < CERT_ENTRY_SIZE)
			return -EBADMSG;
		if (is_zero(p + at, 16))
			break;
		if (count == SNP_CERT_TABLE_MAX_ENTRIES)
			return -EBADMSG;
	}
	table_end = (count + 1) * CERT_ENTRY_SIZE;

	certs = calloc(MAX(count, (size_t) 1), sizeof(*certs));
	if (!certs)
		return -ENOMEM;

	for (size_t i = 0; i < count; i++) {
		const uint8_t *e = p + i * CERT_ENTRY_SIZE;
		size_t off = get_le32(e + 16), len = get_le32(e + 20);
		struct snp_cert c = { .len = len };

		memcpy(c.guid, e, 16);
		c.type = snp_cert_type_from_guid(c.guid);
		if (off > n || len > n - off)
			return -EBADMSG;
		if (len > 0 && off < table_end)
			return -EBADMSG; /* would hand out the table itself as a certificate */
		c.data = p + off;

		/* Stable insertion in sev's order (Vec::sort is stable), rejecting
		 * overlapping data on the way: a well-formed host table never shares
		 * bytes between certificates. */
		size_t j = i;
		for (size_t k = 0; k < i; k++) {
			const struct snp_cert *o = &certs[k];
			size_t ooff = (size_t) (o->data - p);

			if (len > 0 && o->len > 0 && off < ooff + o->len && ooff < off + len)
				return -EBADMSG;
		}
		while (j > 0 && cert_cmp(&certs[j - 1], &c) > 0) {
			certs[j] = certs[j - 1];
			j--;
		}
		certs[j] = c;
	}

	*ret = (struct snp_cert_table){ .certs = steal_ptr(certs), .n = count };
	return 0;
}

static int append_guid_string(struct buf *out, const uint8_t g[16])
{
	return buf_appendf(out,
			   "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x",
			   g[0], g[1], g[2], g[3], g[4], g[5], g[6], g[7], g[8], g[9], g[10], g[11],
			   g[12], g[13], g[14], g[15]);
}

int snp_cert_table_append_json(const struct snp_cert_table *t, struct buf *out)
{
	int r;

	r = buf_append_str(out, "[");
	for (size_t i = 0; r >= 0 && i < t->n; i++) {
		const struct snp_cert *c = &t->certs[i];

		r = buf_append_str(out, i > 0 ? ",{\"cert_type\":" : "{\"cert_type\":");
		if (r < 0)
			break;
		/* Externally tagged enum: unit variants as their name, OTHER(Uuid) as
		 * {"OTHER":"<hyphenated lower-case uuid>"}. */
		if (c->type == SNP_CERT_OTHER) {
			r = buf_append_str(out, "{\"OTHER\":\"");
			if (r >= 0)
				r = append_guid_string(out, c->guid);
			if (r >= 0)
				r = buf_append_str(out, "\"}");
		} else
			r = buf_appendf(out, "\"%s\"", cert_type_name(c->type));
		if (r >= 0)
			r = buf_append_str(out, ",\"data\":");
		if (r >= 0)
			r = append_bytes(out, c->data, c->len);
		if (r >= 0)
			r = buf_append_str(out, "}");
	}
	if (r >= 0)
		r = buf_append_str(out, "]");
	return r < 0 ? r : 0;
}
