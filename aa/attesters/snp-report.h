/* SPDX-License-Identifier: Apache-2.0 */
/* The AMD SEV-SNP attestation report (1184 bytes) and the GHCB certificate table, read
 * the way the sev crate 6.3 reads them (AttestationReport::from_bytes,
 * CertTableEntry::parse_table) and written as JSON in the exact shape guest-components gives
 * them in SNP evidence: sev's serde derives, through serde_json::Value (upstream.md §3.2). */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/buf.h"

#define SNP_REPORT_SIZE 1184u

/* Decides the TCB_VERSION byte layout: Turin added an FMC SVN and moved the others. */
enum snp_generation {
	SNP_GEN_MILAN,
	SNP_GEN_GENOA,
	SNP_GEN_TURIN,
};

struct snp_tcb {
	bool has_fmc; /* Turin layout only; JSON null otherwise */
	uint8_t fmc, bootloader, tee, snp, microcode;
};

struct snp_fw_version {
	uint8_t major, minor, build;
};

struct snp_report {
	enum snp_generation generation;
	uint32_t version;
	uint32_t guest_svn;
	uint64_t policy;
	uint8_t family_id[16];
	uint8_t image_id[16];
	uint32_t vmpl;
	uint32_t sig_algo;
	struct snp_tcb current_tcb;
	uint64_t plat_info;
	uint32_t key_info;
	uint8_t report_data[64];
	uint8_t measurement[48];
	uint8_t host_data[32];
	uint8_t id_key_digest[48];
	uint8_t author_key_digest[48];
	uint8_t report_id[32];
	uint8_t report_id_ma[32];
	struct snp_tcb reported_tcb;
	bool has_cpuid; /* report version >= 3 */
	uint8_t cpuid_fam_id, cpuid_mod_id, cpuid_step;
	uint8_t chip_id[64];
	struct snp_tcb committed_tcb;
	struct snp_fw_version current;
	struct snp_fw_version committed;
	struct snp_tcb launch_tcb;
	bool has_mit_vector; /* report version >= 5 */
	uint64_t launch_mit_vector, current_mit_vector;
	uint8_t sig_r[72], sig_s[72];
};

/* Parses a raw report. -EBADMSG unless n == SNP_REPORT_SIZE; -EOPNOTSUPP where the sev
 * crate refuses too: version 0 or 1, a version-2 report whose CHIP_ID is masked (all
 * zero: its CPU generation cannot be told), or a version >= 3 report whose CPUID family
 * and model name no SNP generation the crate knows (Milan, Genoa, Turin). */
int snp_report_parse(const uint8_t *p, size_t n, struct snp_report *ret);

/* Appends the report as guest-components writes sev's AttestationReport: through a
 * serde_json::Value without "preserve_order", so compact, every object's members sorted
 * by key; byte arrays as arrays of numbers, absent Option fields as null.
 * -ENOMEM/-E2BIG from out (which may then hold a partial text). */
int snp_report_append_json(const struct snp_report *r, struct buf *out);

/* Certificate types, declared in the order sev's Ord for CertType sorts them. */
enum snp_cert_type {
	SNP_CERT_ARK,
	SNP_CERT_VCEK,
	SNP_CERT_VLEK,
	SNP_CERT_ASK,
	SNP_CERT_CRL,
	SNP_CERT_OTHER,
	SNP_CERT_EMPTY,
};

/* Maps a table GUID (16 bytes in string order) to its type. */
enum snp_cert_type snp_cert_type_from_guid(const uint8_t guid[16]);

struct snp_cert {
	enum snp_cert_type type;
	uint8_t guid[16];
	const uint8_t *data; /* borrowed from the parsed table buffer */
	size_t len;
};

struct snp_cert_table {
	struct snp_cert *certs;
	size_t n;
};

/* At most this many entries before the terminator. */
#define SNP_CERT_TABLE_MAX_ENTRIES 64u

/* Parses a certificate table (24-byte entries: GUID, u32 offset and u32 length,
 * little-endian as on the x86 host, offsets from the table start) up to the first entry whose GUID is zero, as the
 * sev crate does, and sorts it stably in sev's CertType order (ARK, VCEK, VLEK, ASK, CRL,
 * other GUIDs by byte order). Unlike the crate it bounds everything: -EBADMSG when the
 * terminator is missing, an entry's data leaves [0, n), overlaps the table itself or
 * another entry's data, or there are more than SNP_CERT_TABLE_MAX_ENTRIES entries.
 * ret->certs point into p, which must outlive ret. -ENOMEM. */
int snp_cert_table_parse(const uint8_t *p, size_t n, struct snp_cert_table *ret);
void snp_cert_table_done(struct snp_cert_table *t);

/* Appends the entries as serde_json writes Vec<CertTableEntry> (members already in key
 * order):
 * [{"cert_type":"ARK","data":[...]},{"cert_type":{"OTHER":"<uuid>"},"data":[...]}].
 * -ENOMEM/-E2BIG from out. */
int snp_cert_table_append_json(const struct snp_cert_table *t, struct buf *out);
