/* SPDX-License-Identifier: Apache-2.0 */
/* The attestation agent's runtime-measurement event log (AAEL): binary TCG2 records of
 * "<domain> <operation> <content>" events, each extended into a measurement register
 * under a write-ahead record so that a crash between the two is repaired at the next
 * start; and the cc_eventlog value of TDX/CSV evidence (CCEL + AAEL). Mirrors
 * guest-components attestation-agent/src/eventlog/{mod.rs,tcg2.rs} and
 * attester/src/utils.rs read_eventlog (upstream.md §3.3). */
#pragma once

#include <stdint.h>

#include "aa/attester.h"
#include "common/buf.h"

#define AA_EVENTLOG_PATH "/run/attestation-agent/eventlog"
#define AA_EVENTLOG_WAL_PATH "/run/attestation-agent/.wal_event_entry"
/* eventlog_config.init_pcr when the config does not say (DEFAULT_PCR_INDEX). */
#define AA_EVENTLOG_DEFAULT_PCR 17

/* TCG2 record constants: EV_EVENT_TAG and the "AAEL" tagged-event id. */
#define AA_EVENTLOG_EV_EVENT_TAG 0x6u
#define AA_EVENTLOG_AAEL_ID 0x4141454Cu

/* The TCG algorithm id of a digest_alg (0x000B, 0x000C, 0x000D, 0x0012); 0 if none. */
uint16_t aa_eventlog_tcg_alg(enum digest_alg a);

/* Appends the TCG2 record of one event to out (upstream's Tcg2EventEntry::to_le_bytes):
 * u32 mr_index, u32 EV_EVENT_TAG, u32 1, u16 alg, digest, u32 size, then the tagged event
 * (u32 "AAEL", u32 len, text). The digest is alg over the tagged event; it is also
 * written to ret_digest (digest_size(alg) bytes) when that is not NULL.
 * -E2BIG when text is too long for a u32 size, -ENOMEM/-E2BIG from out. */
int aa_eventlog_record(enum digest_alg alg, uint32_t mr_index, const char *text, size_t len,
		       struct buf *out, uint8_t *ret_digest);

struct aa_eventlog;

/* Opens the log for the attester ops with the configured init_pcr. log_path and
 * wal_path NULL mean AA_EVENTLOG_PATH and AA_EVENTLOG_WAL_PATH (tests pass their own).
 *
 * When ops has no runtime measurement (mr_extend, mr_read or pcr_to_mr NULL, as the
 * sample attester) nothing is opened or created and every aa_eventlog_extend() answers
 * -EOPNOTSUPP, the service's NOT_SUPPORTED. (Upstream panics at start in that case.)
 *
 * Otherwise the log's directory is created, the log opened (created empty if missing)
 * and positioned at its end, and a write-ahead record left by a crash is replayed as
 * upstream does: if the register (pcr_to_mr(init_pcr)) does not hold the recorded
 * expected value, H(register || event digest) must equal it and the register is then
 * extended; the record is rewritten at its recorded offset; the WAL is removed. This logs
 * upstream's warning ("Recover from a previous crash.") and, on failure, upstream's error
 * text; the caller just fails to start.
 * Errors: -EBADMSG unreadable WAL (short, not UTF-8, event text without two spaces or with
 * a newline), -EKEYREJECTED register matches neither state, -ENOMEM, -errno from files
 * and from the attester. On success *ret is owned by the caller. */
int aa_eventlog_open(const struct attester_ops *ops, unsigned init_pcr, const char *log_path,
		     const char *wal_path, struct aa_eventlog **ret);
/* NULL is fine; returns NULL. */
struct aa_eventlog *aa_eventlog_free(struct aa_eventlog *el);
DEFINE_POINTER_CLEANUP(struct aa_eventlog *, aa_eventlog_free)

/* Measures the event "<domain> <operation> <content>" (upstream's ExtendRuntimeMeasurement;
 * Domain and Operation are not checked, as upstream). register_index < 0 means init_pcr
 * (the request had no RegisterIndex; a caller holding a uint64 clamps it to INT64_MAX);
 * values above UINT_MAX act as UINT_MAX (every attester maps such a PCR like any large
 * one). The record names pcr_to_mr(init_pcr) even when another register is extended, as
 * upstream writes it. Sequence: read the register, WAL (offset | expected | text) +
 * fdatasync, extend, append the record + fdatasync, remove the WAL. Thread-safe (one
 * mutex per log).
 * Errors: -EOPNOTSUPP the attester has no runtime measurement (checked first, as
 * upstream); -EINVAL content contains '\n' (upstream: "content contains newline");
 * -errno from the attester and files. When the attester fails, the register is read
 * back: untouched, the WAL is dropped and the error returned; extended all the same, the
 * record is written and the call succeeds. When the register cannot be told apart or the
 * record cannot be written, the WAL stays for the next start and further events get
 * -EIO until then, so the log never loses an event the register holds. */
int aa_eventlog_extend(struct aa_eventlog *el, const char *domain, const char *operation,
		       const char *content, int64_t register_index);

/* Finds the end of the events in a firmware TCG event log (upstream's trim_ccel): the
 * first header is a TCG_PCR_EVENT (its event data skipped when it is EV_NO_ACTION), then
 * crypto-agile TCG2 records with digests 0xB, 0xC, 0xD, 0x12 follow until one whose first
 * 8 bytes are all 0xFF or all 0x00; *ret_len is that record's offset.
 * -EBADMSG for a log that ends before such a record, an unknown digest algorithm or a
 * size past the end. */
int aa_eventlog_ccel_trim(const uint8_t *p, size_t n, size_t *ret_len);

/* The 69-byte header put in front of the AAEL when there is no CCEL (upstream's
 * EL_HEADER: EV_NO_ACTION Spec ID event with SHA-384 and SM3). */
extern const uint8_t aa_eventlog_el_header[69];

/* Appends the raw cc_eventlog of TDX/CSV evidence to out (the attester base64-encodes
 * it into the evidence JSON): the CCEL
 * table (/sys/firmware/acpi/tables/data/CCEL through attester_path()) trimmed by
 * aa_eventlog_ccel_trim(), or aa_eventlog_el_header when there is no CCEL and there is
 * an AAEL; then the AAEL file ($AAEL_PATH, default AA_EVENTLOG_PATH); then FF x 8.
 * Returns 0 and appends nothing when neither file exists (the evidence says null).
 * Errors: -EBADMSG a CCEL that does not parse (upstream fails the evidence too), -E2BIG
 * a file past 16 MiB, -errno from reading, -ENOMEM/-E2BIG from out. */
int aa_cc_eventlog(struct buf *out);
