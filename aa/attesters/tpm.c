/* SPDX-License-Identifier: Apache-2.0 */
/* The one tpm2-tss user: TCTI set-up without the dlopen loader (--enable-nodl), ESYS
 * calls for quote, PCRs, NV and the AK public, and the mapping of TSS2_RC to -errno.
 * Follows guest-components attester/src/tpm/utils.rs and azure-cvm-tooling
 * az-cvm-vtpm/src/vtpm/mod.rs. With no resource manager in front of /dev/tpm0, every
 * transient object (sessions) is flushed and every ESYS_TR closed before returning. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <tss2/tss2_esys.h>
#include <tss2/tss2_mu.h>
#include <tss2/tss2_rc.h>
#include <tss2/tss2_tcti_device.h>
#include <tss2/tss2_tcti_swtpm.h>

#include "aa/attester.h"
#include "aa/attesters/tpm.h"
#include "common/b64.h"
#include "common/crypto.h"
#include "common/digest.h"
#include "common/log.h"

struct tpm {
	TSS2_TCTI_CONTEXT *tcti;
	ESYS_CONTEXT *esys;
};

/* Objects of one operation, released in one place whatever path it leaves by. */
struct tpm_op {
	struct tpm *t;
	ESYS_TR session; /* flushed */
	ESYS_TR key;     /* closed (persistent objects must not be flushed) */
	ESYS_TR nv;      /* closed */
};

#define TPM_OP_INIT(tp)                                                                            \
	((struct tpm_op){                                                                          \
	    .t = (tp), .session = ESYS_TR_NONE, .key = ESYS_TR_NONE, .nv = ESYS_TR_NONE })

static void tpm_op_done(struct tpm_op *op)
{
	if (op->session != ESYS_TR_NONE)
		(void) Esys_FlushContext(op->t->esys, op->session);
	if (op->key != ESYS_TR_NONE)
		(void) Esys_TR_Close(op->t->esys, &op->key);
	if (op->nv != ESYS_TR_NONE)
		(void) Esys_TR_Close(op->t->esys, &op->nv);
}

static int rc_to_errno(TSS2_RC rc, const char *what)
{
	/* Decoded text at debug only; the caller logs the -errno once. */
	log_debug("TPM %s failed: 0x%08x %s", what, (unsigned) rc, Tss2_RC_Decode(rc));
	return rc == TSS2_ESYS_RC_MEMORY ? -ENOMEM : -EIO;
}

/* TPM_RC_HANDLE (format 1, any handle number) or TPM_RC_REFERENCE_H0: the handle does
 * not name anything the TPM holds. */
static bool rc_is_bad_handle(TSS2_RC rc)
{
	TSS2_RC tpm = rc & ~TSS2_RC_LAYER_MASK;

	/* ESYS passes the TPM's own code through, in layer 0. */
	if ((rc & TSS2_RC_LAYER_MASK) != TSS2_TPM_RC_LAYER)
		return false;
	if (tpm & TPM2_RC_FMT1)
		return (tpm & 0x3f) == (TPM2_RC_HANDLE & 0x3f);
	return tpm == TPM2_RC_REFERENCE_H0;
}

int tpm_parse_handle(const char *s, uint32_t *ret)
{
	unsigned long long v = 0;
	size_t i;

	if (!s)
		return -EINVAL;
	if (s[0] == '0' && (s[1] == 'x' || s[1] == 'X'))
		s += 2;
	/* Hex digits only, 1..8 of them: strtoul would accept blanks, signs and a second
	 * prefix. */
	if (s[0] == 0 || strlen(s) > 8)
		return -EINVAL;
	for (i = 0; s[i]; i++) {
		char c = s[i];
		unsigned d;

		if (c >= '0' && c <= '9')
			d = (unsigned) (c - '0');
		else if (c >= 'a' && c <= 'f')
			d = (unsigned) (c - 'a' + 10);
		else if (c >= 'A' && c <= 'F')
			d = (unsigned) (c - 'A' + 10);
		else
			return -EINVAL;
		v = v << 4 | d;
	}
	*ret = (uint32_t) v;
	return 0;
}

int tpm_ak_handle_from_env(uint32_t *ret)
{
	const char *e = getenv("AA_TPM_AK_HANDLE");

	if (!e) {
		*ret = TPM_DEFAULT_AK_HANDLE;
		return 0;
	}
	return tpm_parse_handle(e, ret);
}

static bool path_exists(const char *p)
{
	struct stat st;

	return stat(p, &st) == 0;
}

int tpm_find_device(char out[static PATH_MAX])
{
	static const char *const devices[] = { "/dev/tpm0", "/dev/tpm1", "/dev/tpm2" };
	const char *e = getenv("AA_TPM_DEVICE");

	if (e) {
		/* Upstream takes the variable as given and gives up if it does not exist. */
		if (!attester_path(e, out))
			return -ENAMETOOLONG;
		return path_exists(out) ? 0 : -ENOENT;
	}
	for (size_t i = 0; i < ELEMENTSOF(devices); i++) {
		if (!attester_path(devices[i], out))
			return -ENAMETOOLONG;
		if (path_exists(out))
			return 0;
	}
	return -ENOENT;
}

static int tcti_init(const char *kind, const char *conf, TSS2_TCTI_CONTEXT **ret)
{
	_cleanup_free_ TSS2_TCTI_CONTEXT *tcti = NULL;
	bool swtpm = streq(kind, "swtpm");
	size_t size = 0;
	TSS2_RC rc;

	rc = swtpm ? Tss2_Tcti_Swtpm_Init(NULL, &size, conf)
		   : Tss2_Tcti_Device_Init(NULL, &size, conf);
	if (rc != TSS2_RC_SUCCESS)
		return rc_to_errno(rc, "TCTI size query");
	tcti = calloc(1, size);
	if (!tcti)
		return -ENOMEM;
	rc = swtpm ? Tss2_Tcti_Swtpm_Init(tcti, &size, conf)
		   : Tss2_Tcti_Device_Init(tcti, &size, conf);
	if (rc != TSS2_RC_SUCCESS)
		return rc_to_errno(rc, "TCTI init");
	*ret = steal_ptr(tcti);
	return 0;
}

static void tcti_free(TSS2_TCTI_CONTEXT *tcti)
{
	if (!tcti)
		return;
	Tss2_Tcti_Finalize(tcti);
	free(tcti);
}

int tpm_open(const char *device, struct tpm **ret)
{
	_cleanup_free_ struct tpm *t = NULL;
	const char *override = getenv(TPM_TCTI_ENV);
	TSS2_TCTI_CONTEXT *tcti = NULL;
	TSS2_RC rc;
	int r;

	if (override) {
		const char *conf;

		if ((conf = startswith(override, "swtpm:")))
			r = tcti_init("swtpm", conf, &tcti);
		else if ((conf = startswith(override, "device:")) && conf[0] == '/')
			r = tcti_init("device", conf, &tcti);
		else
			return -EINVAL;
	} else {
		if (!device || !path_exists(device))
			return -EOPNOTSUPP;
		r = tcti_init("device", device, &tcti);
	}
	if (r < 0)
		return r;

	t = calloc(1, sizeof(*t));
	if (!t) {
		tcti_free(tcti);
		return -ENOMEM;
	}
	t->tcti = tcti;
	rc = Esys_Initialize(&t->esys, tcti, NULL);
	if (rc != TSS2_RC_SUCCESS) {
		tcti_free(tcti);
		return rc_to_errno(rc, "ESYS init");
	}
	*ret = steal_ptr(t);
	return 0;
}

struct tpm *tpm_close(struct tpm *t)
{
	if (!t)
		return NULL;
	if (t->esys)
		Esys_Finalize(&t->esys);
	tcti_free(t->tcti);
	free(t);
	return NULL;
}

/* An unbound, unsalted HMAC session as upstream's create_ctx_with_session(), with XOR
 * parameter obfuscation. crypt: ask for command/response parameter encryption (only
 * for commands whose first parameter is a TPM2B). */
static int session_start(struct tpm_op *op, bool crypt)
{
	const TPMT_SYM_DEF sym = {
		.algorithm = TPM2_ALG_XOR,
		.keyBits = { .exclusiveOr = TPM2_ALG_SHA256 },
		.mode = { .sym = TPM2_ALG_NULL },
	};
	TPMA_SESSION attrs = TPMA_SESSION_CONTINUESESSION;
	TSS2_RC rc;

	rc = Esys_StartAuthSession(op->t->esys, ESYS_TR_NONE, ESYS_TR_NONE, ESYS_TR_NONE,
				   ESYS_TR_NONE, ESYS_TR_NONE, NULL, TPM2_SE_HMAC, &sym,
				   TPM2_ALG_SHA256, &op->session);
	if (rc != TSS2_RC_SUCCESS) {
		op->session = ESYS_TR_NONE;
		return rc_to_errno(rc, "StartAuthSession");
	}
	if (crypt)
		attrs |= TPMA_SESSION_DECRYPT | TPMA_SESSION_ENCRYPT;
	rc = Esys_TRSess_SetAttributes(op->t->esys, op->session, attrs, 0xff);
	if (rc != TSS2_RC_SUCCESS)
		return rc_to_errno(rc, "TRSess_SetAttributes");
	return 0;
}

/* Asks the handle list first: ESYS prints an error line on stderr for every command
 * that fails, and a missing index or key is the normal answer on most machines that
 * the Azure and TPM detection probe. 1 present, 0 absent, -errno. */
static int handle_present(struct tpm *t, uint32_t handle)
{
	TPMS_CAPABILITY_DATA *cap = NULL;
	TPMI_YES_NO more;
	TSS2_RC rc;
	int r;

	rc = Esys_GetCapability(t->esys, ESYS_TR_NONE, ESYS_TR_NONE, ESYS_TR_NONE, TPM2_CAP_HANDLES,
				handle, 1, &more, &cap);
	if (rc != TSS2_RC_SUCCESS)
		return rc_to_errno(rc, "GetCapability (handles)");
	r = cap->data.handles.count >= 1 && cap->data.handles.handle[0] == handle;
	Esys_Free(cap);
	return r;
}

static int load_key(struct tpm_op *op, uint32_t handle)
{
	TSS2_RC rc;
	int r;

	if ((handle >> 24) != TPM2_HT_PERSISTENT) {
		log_debug("TPM handle 0x%08x is not a persistent object handle", handle);
		return -ENOKEY;
	}
	r = handle_present(op->t, handle);
	if (r < 0)
		return r;
	if (r == 0) {
		log_debug("TPM holds no key at 0x%08x", handle);
		return -ENOKEY;
	}
	rc = Esys_TR_FromTPMPublic(op->t->esys, handle, ESYS_TR_NONE, ESYS_TR_NONE, ESYS_TR_NONE,
				   &op->key);
	if (rc != TSS2_RC_SUCCESS) {
		op->key = ESYS_TR_NONE;
		if (rc_is_bad_handle(rc)) {
			log_debug("TPM holds no key at 0x%08x: %s", handle, Tss2_RC_Decode(rc));
			return -ENOKEY;
		}
		return rc_to_errno(rc, "TR_FromTPMPublic (key)");
	}
	return 0;
}

static void pcr_select_all(TPML_PCR_SELECTION *sel)
{
	*sel = (TPML_PCR_SELECTION){ .count = 1 };
	sel->pcrSelections[0].hash = TPM2_ALG_SHA256;
	sel->pcrSelections[0].sizeofSelect = 3;
	memset(sel->pcrSelections[0].pcrSelect, 0xff, 3);
}

/* PCR_Read answers at most 8 digests per call: ask again for what is left. */
static int pcr_read_mask(struct tpm *t, uint32_t want, uint8_t pcrs[TPM_PCR_COUNT][TPM_SHA256_SIZE])
{
	for (unsigned round = 0; want && round < TPM_PCR_COUNT; round++) {
		TPML_PCR_SELECTION sel = { .count = 1 }, *out_sel = NULL;
		TPML_DIGEST *vals = NULL;
		UINT32 counter;
		uint32_t got = 0;
		size_t k = 0;
		TSS2_RC rc;
		int r = 0;

		sel.pcrSelections[0].hash = TPM2_ALG_SHA256;
		sel.pcrSelections[0].sizeofSelect = 3;
		for (unsigned b = 0; b < 3; b++)
			sel.pcrSelections[0].pcrSelect[b] = (uint8_t) (want >> (8 * b));
		rc = Esys_PCR_Read(t->esys, ESYS_TR_NONE, ESYS_TR_NONE, ESYS_TR_NONE, &sel,
				   &counter, &out_sel, &vals);
		if (rc != TSS2_RC_SUCCESS)
			return rc_to_errno(rc, "PCR_Read");
		for (UINT32 s = 0; s < out_sel->count && r == 0; s++) {
			const TPMS_PCR_SELECTION *ps = &out_sel->pcrSelections[s];

			if (ps->hash != TPM2_ALG_SHA256)
				continue;
			for (unsigned i = 0; i < TPM_PCR_COUNT && i / 8 < ps->sizeofSelect; i++) {
				if (!(ps->pcrSelect[i / 8] & (1u << (i % 8))))
					continue;
				if (k >= vals->count || vals->digests[k].size != TPM_SHA256_SIZE) {
					r = -EPROTO;
					break;
				}
				memcpy(pcrs[i], vals->digests[k++].buffer, TPM_SHA256_SIZE);
				got |= 1u << i;
			}
		}
		Esys_Free(out_sel);
		Esys_Free(vals);
		if (r < 0)
			return log_debug_errno(r,
					       "TPM PCR_Read answer does not match its selection");
		/* A TPM without the SHA-256 bank answers with an empty selection. */
		if ((got & want) == 0)
			return log_debug_errno(-EOPNOTSUPP, "TPM has no SHA-256 PCR bank");
		want &= ~got;
	}
	return want ? -EPROTO : 0;
}

int tpm_pcr_read_all(struct tpm *t, uint8_t pcrs[TPM_PCR_COUNT][TPM_SHA256_SIZE])
{
	return pcr_read_mask(t, (1u << TPM_PCR_COUNT) - 1, pcrs);
}

int tpm_pcr_read(struct tpm *t, unsigned idx, uint8_t out[TPM_SHA256_SIZE])
{
	uint8_t pcrs[TPM_PCR_COUNT][TPM_SHA256_SIZE];
	int r;

	if (idx >= TPM_PCR_COUNT)
		return -EINVAL;
	r = pcr_read_mask(t, 1u << idx, pcrs);
	if (r < 0)
		return r;
	memcpy(out, pcrs[idx], TPM_SHA256_SIZE);
	return 0;
}

int tpm_pcr_extend(struct tpm *t, unsigned idx, const uint8_t *digest, size_t n)
{
	_cleanup_(tpm_op_done) struct tpm_op op = TPM_OP_INIT(t);
	TPML_DIGEST_VALUES vals = { .count = 1 };
	TSS2_RC rc;
	int r;

	if (idx >= TPM_PCR_COUNT || !digest || n != TPM_SHA256_SIZE)
		return -EINVAL;
	vals.digests[0].hashAlg = TPM2_ALG_SHA256;
	memcpy(vals.digests[0].digest.sha256, digest, TPM_SHA256_SIZE);

	r = session_start(&op, false);
	if (r < 0)
		return r;
	rc = Esys_PCR_Extend(t->esys, ESYS_TR_PCR0 + idx, op.session, ESYS_TR_NONE, ESYS_TR_NONE,
			     &vals);
	if (rc != TSS2_RC_SUCCESS)
		return rc_to_errno(rc, "PCR_Extend");
	return 0;
}

static int read_public(struct tpm_op *op, TPM2B_PUBLIC **ret)
{
	TSS2_RC rc;

	rc = Esys_ReadPublic(op->t->esys, op->key, ESYS_TR_NONE, ESYS_TR_NONE, ESYS_TR_NONE, ret,
			     NULL, NULL);
	if (rc != TSS2_RC_SUCCESS)
		return rc_to_errno(rc, "ReadPublic");
	return 0;
}

int tpm_ak_public_der(struct tpm *t, uint32_t ak, struct buf *out)
{
	_cleanup_(tpm_op_done) struct tpm_op op = TPM_OP_INIT(t);
	_cleanup_pk_ struct crypto_pk *pk = NULL;
	TPM2B_PUBLIC *pub = NULL;
	uint8_t e[4];
	uint32_t exp;
	int r;

	r = load_key(&op, ak);
	if (r < 0)
		return r;
	r = read_public(&op, &pub);
	if (r < 0)
		return r;
	if (pub->publicArea.type != TPM2_ALG_RSA) {
		Esys_Free(pub);
		return log_debug_errno(-EOPNOTSUPP, "TPM key 0x%08x is not an RSA key", ak);
	}
	/* TPMS_RSA_PARMS.exponent 0 means the default 2^16+1. */
	exp = pub->publicArea.parameters.rsaDetail.exponent;
	if (exp == 0)
		exp = 65537;
	put_be32(e, exp);
	r = crypto_pk_rsa_from_raw(
	    (struct crypto_bytes){ pub->publicArea.unique.rsa.buffer,
				   pub->publicArea.unique.rsa.size },
	    (struct crypto_bytes){ e, sizeof(e) }, (struct crypto_bytes){ NULL, 0 },
	    (struct crypto_bytes){ NULL, 0 }, (struct crypto_bytes){ NULL, 0 }, &pk);
	Esys_Free(pub);
	if (r < 0)
		return log_debug_errno(r, "TPM key 0x%08x: unusable RSA public key", ak);
	return crypto_pk_export_public_der(pk, out);
}

void tpm_quote_init(struct tpm_quote *q)
{
	*q = (struct tpm_quote){
		.attest = BUF_INIT(sizeof(TPMS_ATTEST) + 16),
		.signature = BUF_INIT(sizeof(TPMT_SIGNATURE) + 16),
		.rsa_sig = BUF_INIT(TPM2_MAX_RSA_KEY_BYTES),
	};
}

void tpm_quote_done(struct tpm_quote *q)
{
	buf_done(&q->attest);
	buf_done(&q->signature);
	buf_done(&q->rsa_sig);
}

int tpm_quote(struct tpm *t, uint32_t ak, enum tpm_quote_scheme scheme, const uint8_t *qd, size_t n,
	      struct tpm_quote *q)
{
	_cleanup_(tpm_op_done) struct tpm_op op = TPM_OP_INIT(t);
	TPMT_SIG_SCHEME in_scheme = { .scheme = TPM2_ALG_NULL };
	TPM2B_DATA data = { .size = (UINT16) n };
	TPML_PCR_SELECTION sel;
	TPM2B_ATTEST *quoted = NULL;
	TPMT_SIGNATURE *sig = NULL;
	uint8_t mbuf[sizeof(TPMT_SIGNATURE)];
	size_t off = 0;
	TSS2_RC rc;
	int r;

	if (n > TPM_QUALIFYING_DATA_MAX || n > sizeof(data.buffer) || (n > 0 && !qd))
		return -EINVAL;
	if (n > 0)
		memcpy(data.buffer, qd, n);
	if (scheme == TPM_QUOTE_RSASSA_SHA256) {
		in_scheme.scheme = TPM2_ALG_RSASSA;
		in_scheme.details.rsassa.hashAlg = TPM2_ALG_SHA256;
	}
	pcr_select_all(&sel);

	r = load_key(&op, ak);
	if (r < 0)
		return r;
	r = session_start(&op, true);
	if (r < 0)
		return r;
	rc = Esys_Quote(t->esys, op.key, op.session, ESYS_TR_NONE, ESYS_TR_NONE, &data, &in_scheme,
			&sel, &quoted, &sig);
	if (rc != TSS2_RC_SUCCESS)
		return rc_to_errno(rc, "Quote");

	if (sig->sigAlg != TPM2_ALG_RSASSA)
		r = log_debug_errno(-EBADMSG, "TPM quote signed with algorithm 0x%04x, not RSASSA",
				    sig->sigAlg);
	if (r == 0) {
		rc = Tss2_MU_TPMT_SIGNATURE_Marshal(sig, mbuf, sizeof(mbuf), &off);
		if (rc != TSS2_RC_SUCCESS)
			r = rc_to_errno(rc, "TPMT_SIGNATURE marshal");
	}
	if (r == 0)
		r = buf_append(&q->attest, quoted->attestationData, quoted->size);
	if (r == 0)
		r = buf_append(&q->signature, mbuf, off);
	if (r == 0)
		r = buf_append(&q->rsa_sig, sig->signature.rsassa.sig.buffer,
			       sig->signature.rsassa.sig.size);
	Esys_Free(quoted);
	Esys_Free(sig);
	if (r < 0)
		return r;
	/* Read after the quote, as upstream does: a verifier replays these against the
	 * quote's pcrDigest, so a PCR extended in between shows up as a mismatch there. */
	return tpm_pcr_read_all(t, q->pcrs);
}

static int nv_load(struct tpm_op *op, uint32_t idx, uint16_t *ret_size)
{
	TPM2B_NV_PUBLIC *pub = NULL;
	TSS2_RC rc;
	int r;

	if ((idx >> 24) != TPM2_HT_NV_INDEX)
		return -EINVAL;
	r = handle_present(op->t, idx);
	if (r < 0)
		return r;
	if (r == 0) {
		log_debug("TPM NV index 0x%08x is not defined", idx);
		return -ENOENT;
	}
	rc = Esys_TR_FromTPMPublic(op->t->esys, idx, ESYS_TR_NONE, ESYS_TR_NONE, ESYS_TR_NONE,
				   &op->nv);
	if (rc != TSS2_RC_SUCCESS) {
		op->nv = ESYS_TR_NONE;
		if (rc_is_bad_handle(rc)) {
			log_debug("TPM NV index 0x%08x is not defined", idx);
			return -ENOENT;
		}
		return rc_to_errno(rc, "TR_FromTPMPublic (NV)");
	}
	rc = Esys_NV_ReadPublic(op->t->esys, op->nv, ESYS_TR_NONE, ESYS_TR_NONE, ESYS_TR_NONE, &pub,
				NULL);
	if (rc != TSS2_RC_SUCCESS)
		return rc_to_errno(rc, "NV_ReadPublic");
	*ret_size = pub->nvPublic.dataSize;
	Esys_Free(pub);
	return 0;
}

static size_t nv_buffer_max(struct tpm *t)
{
	TPMS_CAPABILITY_DATA *cap = NULL;
	TPMI_YES_NO more;
	size_t v = 0;
	TSS2_RC rc;

	rc = Esys_GetCapability(t->esys, ESYS_TR_NONE, ESYS_TR_NONE, ESYS_TR_NONE,
				TPM2_CAP_TPM_PROPERTIES, TPM2_PT_NV_BUFFER_MAX, 1, &more, &cap);
	if (rc == TSS2_RC_SUCCESS && cap->data.tpmProperties.count == 1 &&
	    cap->data.tpmProperties.tpmProperty[0].property == TPM2_PT_NV_BUFFER_MAX)
		v = cap->data.tpmProperties.tpmProperty[0].value;
	Esys_Free(cap);
	/* 512 is what the PC Client profile guarantees at least. */
	if (v == 0 || v > TPM2_MAX_NV_BUFFER_SIZE)
		v = MIN((size_t) 512, (size_t) TPM2_MAX_NV_BUFFER_SIZE);
	return v;
}

int tpm_nv_read(struct tpm *t, uint32_t idx, size_t max, struct buf *out)
{
	_cleanup_(tpm_op_done) struct tpm_op op = TPM_OP_INIT(t);
	size_t chunk, off = 0;
	uint16_t size = 0;
	int r;

	r = nv_load(&op, idx, &size);
	if (r < 0)
		return r;
	if (size > max)
		return -E2BIG;
	chunk = nv_buffer_max(t);
	r = session_start(&op, false);
	if (r < 0)
		return r;
	while (off < size) {
		TPM2B_MAX_NV_BUFFER *data = NULL;
		UINT16 want = (UINT16) MIN(chunk, size - off);
		TSS2_RC rc;

		rc = Esys_NV_Read(t->esys, ESYS_TR_RH_OWNER, op.nv, op.session, ESYS_TR_NONE,
				  ESYS_TR_NONE, want, (UINT16) off, &data);
		if (rc != TSS2_RC_SUCCESS)
			return rc_to_errno(rc, "NV_Read");
		if (data->size != want) {
			Esys_Free(data);
			return log_debug_errno(-EPROTO, "TPM NV_Read returned %u bytes, not %u",
					       (unsigned) data->size, (unsigned) want);
		}
		r = buf_append(out, data->buffer, data->size);
		Esys_Free(data);
		if (r < 0)
			return r;
		off += want;
	}
	return 0;
}

int tpm_nv_write_sized(struct tpm *t, uint32_t idx, const uint8_t *p, size_t n)
{
	_cleanup_(tpm_op_done) struct tpm_op op = TPM_OP_INIT(t);
	TPM2B_NV_PUBLIC pub = { 0 };
	TPM2B_MAX_NV_BUFFER data = { 0 };
	const TPM2B_AUTH noauth = { 0 };
	uint16_t size = 0;
	TSS2_RC rc;
	int r;

	if ((idx >> 24) != TPM2_HT_NV_INDEX || !p || n == 0 || n > nv_buffer_max(t) ||
	    n > sizeof(data.buffer))
		return -EINVAL;

	r = session_start(&op, false);
	if (r < 0)
		return r;
	r = nv_load(&op, idx, &size);
	if (r < 0 && r != -ENOENT)
		return r;
	if (r == 0 && size != n) {
		rc = Esys_NV_UndefineSpace(t->esys, ESYS_TR_RH_OWNER, op.nv, op.session,
					   ESYS_TR_NONE, ESYS_TR_NONE);
		if (rc != TSS2_RC_SUCCESS)
			return rc_to_errno(rc, "NV_UndefineSpace");
		/* UndefineSpace already released the ESYS_TR. */
		op.nv = ESYS_TR_NONE;
		r = -ENOENT;
	}
	if (r == -ENOENT) {
		pub.nvPublic = (TPMS_NV_PUBLIC){
			.nvIndex = idx,
			.nameAlg = TPM2_ALG_SHA256,
			.attributes = TPMA_NV_OWNERWRITE | TPMA_NV_OWNERREAD,
			.dataSize = (UINT16) n,
		};
		rc = Esys_NV_DefineSpace(t->esys, ESYS_TR_RH_OWNER, op.session, ESYS_TR_NONE,
					 ESYS_TR_NONE, &noauth, &pub, &op.nv);
		if (rc != TSS2_RC_SUCCESS) {
			op.nv = ESYS_TR_NONE;
			return rc_to_errno(rc, "NV_DefineSpace");
		}
	}
	data.size = (UINT16) n;
	memcpy(data.buffer, p, n);
	rc = Esys_NV_Write(t->esys, ESYS_TR_RH_OWNER, op.nv, op.session, ESYS_TR_NONE, ESYS_TR_NONE,
			   &data, 0);
	if (rc != TSS2_RC_SUCCESS)
		return rc_to_errno(rc, "NV_Write");
	return 0;
}

static int append_hex(struct buf *out, const uint8_t *p, size_t n)
{
	static const char hex[] = "0123456789abcdef";
	int r;

	r = buf_reserve(out, 2 * n);
	if (r < 0)
		return r;
	for (size_t i = 0; i < n; i++) {
		out->data[out->len++] = (uint8_t) hex[p[i] >> 4];
		out->data[out->len++] = (uint8_t) hex[p[i] & 15];
	}
	out->data[out->len] = 0;
	return 0;
}

static int append_bytes(struct buf *out, bool hex, const struct buf *b)
{
	return hex ? append_hex(out, b->data, b->len) : b64_encode(B64_STD, b->data, b->len, out);
}

int tpm_quote_json(const struct tpm_quote *q, bool hex, struct buf *out)
{
	int r;

	/* Keys sorted: upstream's evidence goes through serde_json::Value, whose map is
	 * ordered by key. Hex and base64 need no escaping. */
	r = buf_append_str(out, "{\"message\":\"");
	if (r == 0)
		r = append_bytes(out, hex, &q->attest);
	if (r == 0)
		r = buf_append_str(out, "\",\"pcrs\":[");
	for (size_t i = 0; r == 0 && i < TPM_PCR_COUNT; i++) {
		r = buf_append_str(out, i ? ",\"" : "\"");
		if (r == 0)
			r = append_hex(out, q->pcrs[i], TPM_SHA256_SIZE);
		if (r == 0)
			r = buf_put_u8(out, '"');
	}
	if (r == 0)
		r = buf_append_str(out, "],\"signature\":\"");
	if (r == 0)
		r = append_bytes(out, hex, hex ? &q->rsa_sig : &q->signature);
	if (r == 0)
		r = buf_append_str(out, "\"}");
	return r;
}
