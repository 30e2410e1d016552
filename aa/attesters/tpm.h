/* SPDX-License-Identifier: Apache-2.0 */
/* A small tpm2-tss ESYS wrapper shared by the TPM and Azure vTPM attesters
 * (guest-components attester/src/tpm/utils.rs; kinvolk/azure-cvm-tooling
 * az-cvm-vtpm/src/vtpm/mod.rs): open a TPM, quote all 24 SHA-256 PCRs, read and
 * extend PCRs, read and write NV indices, export an RSA AK as SubjectPublicKeyInfo.
 * Errors: tpm2-tss codes become -EIO (decoded text at debug), -ENOKEY for a key handle
 * the TPM does not hold, -ENOENT for a missing NV index, -EOPNOTSUPP for no TPM. */
#pragma once

#include <limits.h>
#include <stdbool.h>
#include <stdint.h>

#include "common/buf.h"

#define TPM_PCR_COUNT 24
#define TPM_SHA256_SIZE 32
/* upstream's TPM_DEFAULT_AK_HANDLE; Azure's vTPM keeps its AK at VTPM_AK_HANDLE. */
#define TPM_DEFAULT_AK_HANDLE 0x81010002u
#define TPM_AZURE_AK_HANDLE 0x81000003u
/* A quote's qualifying data is a TPM2B_DATA: at most sizeof(TPMT_HA) bytes, which
 * tss-esapi caps at 64 (Data::MAX_SIZE). */
#define TPM_QUALIFYING_DATA_MAX 64
/* Bound on what tpm_nv_read() takes from an index (Azure's HCL report is 2600 bytes). */
#define TPM_NV_READ_MAX (64u * 1024)

/* Test override, documented in the attesters: COCOBOX_TPM_TCTI="swtpm:path=<sock>",
 * "swtpm:host=<h>,port=<p>" or "device:<path>" replaces the device the caller asked
 * for (swtpm in tests; the mssim TCTI does not work against swtpm). */
#define TPM_TCTI_ENV "COCOBOX_TPM_TCTI"

struct tpm;

/* Opens the TPM at device (a character device such as /dev/tpm0 or /dev/tpmrm0; the
 * caller has put it through attester_path()), unless $COCOBOX_TPM_TCTI is set, which
 * wins. -EOPNOTSUPP when the device does not exist, -EINVAL for a malformed
 * $COCOBOX_TPM_TCTI, -EIO when the TCTI or ESYS cannot start, -ENOMEM. */
int tpm_open(const char *device, struct tpm **ret);
/* Accepts NULL, returns NULL. */
struct tpm *tpm_close(struct tpm *t);
DEFINE_POINTER_CLEANUP(struct tpm *, tpm_close)

/* Upstream's device choice for the TPM attester: $AA_TPM_DEVICE if that path exists
 * (-ENOENT if it does not), else the first of /dev/tpm0, /dev/tpm1, /dev/tpm2 present
 * (through attester_path(); -ENOENT for none). Writes the path to out. */
int tpm_find_device(char out[static PATH_MAX]);
/* $AA_TPM_AK_HANDLE: hex with an optional "0x" prefix; TPM_DEFAULT_AK_HANDLE when unset.
 * -EINVAL for anything else (empty, non-hex, more than 32 bits). */
int tpm_ak_handle_from_env(uint32_t *ret);
/* The same parser, for tests and other callers. */
int tpm_parse_handle(const char *s, uint32_t *ret);

/* A quote over SHA-256 PCRs 0..23. */
struct tpm_quote {
	struct buf attest;    /* marshalled TPMS_ATTEST (TPM2B_ATTEST's payload) */
	struct buf signature; /* marshalled TPMT_SIGNATURE */
	struct buf rsa_sig;   /* the bare RSASSA signature bytes (Azure's "signature") */
	uint8_t pcrs[TPM_PCR_COUNT][TPM_SHA256_SIZE];
};
void tpm_quote_init(struct tpm_quote *q);
void tpm_quote_done(struct tpm_quote *q);

enum tpm_quote_scheme {
	TPM_QUOTE_RSASSA_SHA256, /* upstream's TPM attester asks for it explicitly */
	TPM_QUOTE_KEY_DEFAULT,   /* TPM2_ALG_NULL: the key's own scheme (Azure vTPM) */
};

/* Quotes with the RSA key at persistent handle ak over all 24 SHA-256 PCRs, with
 * qualifying data qd[0..n) (n <= TPM_QUALIFYING_DATA_MAX, else -EINVAL), then reads the
 * PCR values. q must be initialised (tpm_quote_init()); it is filled on success.
 * -ENOKEY when ak is not a key the TPM holds, -EBADMSG when the signature is not
 * RSASSA. */
int tpm_quote(struct tpm *t, uint32_t ak, enum tpm_quote_scheme scheme, const uint8_t *qd, size_t n,
	      struct tpm_quote *q);

/* The RSA public key at persistent handle ak as DER SubjectPublicKeyInfo, appended to
 * out. -ENOKEY as above, -EOPNOTSUPP for a non-RSA key. */
int tpm_ak_public_der(struct tpm *t, uint32_t ak, struct buf *out);

/* SHA-256 PCR values: all 24, or one (idx < 24, else -EINVAL). */
int tpm_pcr_read_all(struct tpm *t, uint8_t pcrs[TPM_PCR_COUNT][TPM_SHA256_SIZE]);
int tpm_pcr_read(struct tpm *t, unsigned idx, uint8_t out[TPM_SHA256_SIZE]);
/* Extends SHA-256 PCR idx (< 24) with a 32-byte digest; anything else is -EINVAL. */
int tpm_pcr_extend(struct tpm *t, unsigned idx, const uint8_t *digest, size_t n);

/* Appends the whole content of NV index idx (read with owner authorisation, in chunks
 * of the TPM's NV buffer) to out. -ENOENT when the index is not defined, -E2BIG when it
 * is larger than max. */
int tpm_nv_read(struct tpm *t, uint32_t idx, size_t max, struct buf *out);
/* Writes p[0..n) to NV index idx with owner authorisation, first (re)defining it as an
 * owner-read/write index of exactly n bytes when it is missing or has another size (as
 * azure-cvm-tooling's write_nv_index). n must be 1..the TPM's NV buffer, else -EINVAL. */
int tpm_nv_write_sized(struct tpm *t, uint32_t idx, const uint8_t *p, size_t n);

/* Appends {"signature":S,"message":M,"pcrs":[P0..P23]} to out. hex true: S is the bare
 * RSA signature and M the TPMS_ATTEST, both lowercase hex (Azure vTPM evidence v2);
 * false: S is the marshalled TPMT_SIGNATURE and M the TPMS_ATTEST in standard base64
 * (TPM attester). PCRs are lowercase hex either way. */
int tpm_quote_json(const struct tpm_quote *q, bool hex, struct buf *out);
