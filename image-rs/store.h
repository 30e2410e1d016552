/* SPDX-License-Identifier: Apache-2.0 */
/* The layer and meta store under image-rs's work_dir (upstream.md §6.2 steps 8-11, §6.6;
 * image-rs layer_store.rs, meta_store.rs): layers at <work_dir>/layers/<N> with N
 * increasing (one past the largest existing number at start), unpacked first into
 * <work_dir>/staging/ (whatever is left there is removed at start), and
 * <work_dir>/meta_store.json in upstream's schema, replaced atomically on every change.
 * Layers are keyed by compressed digest and shared; an in-process claim per digest makes
 * two concurrent pulls of the same layer unpack it once. Thread-safe. Processes may
 * share a work dir: <work_dir>/store.lock (flock) serialises every change of the meta
 * store (each re-reads the file first when another process replaced it), a layer a pull
 * is using is listed in that process's file under <work_dir>/holds/ until released, and
 * staging dirs are flocked while in use, so start-up clean-up and store_prune() leave
 * other processes' work alone. The claims are in-process only (as upstream's lock): two
 * processes pulling the same new layer at once may both unpack it (both are recorded
 * under different numbers, the later record wins, the other is an orphan for prune). */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <json.h>

#include "decompress.h"

struct store;

/* Upstream's LayerMeta (without store_path, which the store assigns). */
struct store_layer_meta {
	enum decomp_kind decoder;
	bool encrypted;
	const char *compressed_digest;
	const char *uncompressed_digest;
};

/* Opens (creating as needed, 0700) work_dir and its layers/ and staging/ dirs, removes
 * leftover staging dirs, scans layers/ for the next N and loads meta_store.json (an
 * unreadable or malformed one is set aside as meta_store.json.bad and the store starts
 * empty, as upstream starts from a default). -errno. */
int store_open(const char *work_dir, struct store **ret);
struct store *store_free(struct store *s);
DEFINE_POINTER_CLEANUP(struct store *, store_free)

const char *store_work_dir(const struct store *s);

/* Claims the layer with compressed digest `digest`. Returns 1 when the store already has
 * it (*ret_path, if non-NULL, gets a malloc()ed copy of its store_path); waits while
 * another thread holds the claim; returns 0 when the caller now holds the claim and must
 * end it with store_layer_commit() or store_layer_abandon(). Either way (>= 0) the layer
 * is also held: store_prune() keeps it until store_layer_release() (after the image that
 * uses it is recorded, or the pull failed). -ENOMEM, -errno of the lock/hold files. */
int store_layer_begin(struct store *s, const char *digest, char **ret_path);
/* Drops one hold store_layer_begin() took on digest (no-op if none). */
void store_layer_release(struct store *s, const char *digest);
/* Ends a claim without a layer (a failed unpack); waiters then try themselves. */
void store_layer_abandon(struct store *s, const char *digest);

/* Makes a new empty staging dir; *ret_path (malloc()ed) and *ret_fd (O_RDONLY
 * O_DIRECTORY) are the caller's. */
int store_staging_new(struct store *s, char **ret_path, int *ret_fd);
/* rm -rf of a staging dir; -ENOENT when it is gone. */
int store_staging_remove(struct store *s, const char *path);

/* Publishes a verified staging dir as the claimed layer m->compressed_digest: syncfs()
 * of the staging dir's file system, rename to layers/<N>, fsync of layers/, record in
 * layer_db, meta_store.json rewritten, claim ended (also on failure, after which the
 * staging dir is still the caller's). *ret_path (optional) gets the store_path. */
int store_layer_commit(struct store *s, const char *staging_path, int staging_fd,
		       const struct store_layer_meta *m, char **ret_path);

/* Records an image (upstream's ImageMeta) under its config digest: layer_metas copied
 * from layer_db for each of the n layer digests (all must be there, else -ENOENT);
 * image_config is copied. Rewrites meta_store.json. */
int store_image_add(struct store *s, const char *config_digest, const char *manifest_digest,
		    const char *reference, json_object *image_config, bool is_signed,
		    const char *const *layer_digests, size_t n);
/* Whether image_db has config_digest (upstream's cache hit). */
bool store_has_image(struct store *s, const char *config_digest);
/* A copy of the ImageMeta recorded under config_digest (layer_metas in manifest order,
 * each with its store_path), for the bundle. -ENOENT, -ENOMEM. */
int store_image_get(struct store *s, const char *config_digest, json_object **ret);
/* Number of layers in layer_db. */
size_t store_n_layers(struct store *s);

/* Copies of image_db (object: config digest -> ImageMeta) and layer_db (compressed
 * digest -> LayerMeta) as they are on disk now; the caller puts them. -ENOMEM, -errno. */
int store_image_list(struct store *s, json_object **ret);
int store_layer_list(struct store *s, json_object **ret);

/* Removes from image_db every image whose config digest (id), manifest digest or
 * reference equals `what`; its layers stay until store_prune(). Returns how many were
 * removed (> 0), -ENOENT when none matched, -errno when the meta store cannot be
 * written. */
int store_image_remove(struct store *s, const char *what);

struct store_prune_stats {
	size_t removed;      /* layer_db records (and their dirs) removed */
	size_t kept_held;    /* unused by any image but held by a pull in some process */
	size_t kept_mounted; /* unused by any image but a lowerdir of a mounted overlay */
	size_t orphans;      /* layers/<N> dirs no record named, removed */
};

/* Removes every layer no image in image_db uses, unless a live process holds it
 * (store_layer_begin() .. store_layer_release()) or a mounted overlay stacks it, and
 * every layers/<N> dir no record names. Under store.lock the dirs are moved into a
 * flocked staging dir and the meta store is rewritten (atomically); they are deleted
 * after the lock is dropped, so a crash at any point leaves either the old record or
 * nothing (the start-up clean-up deletes the rest). *ret (optional) is filled even on
 * error. -errno. */
int store_prune(struct store *s, struct store_prune_stats *ret);

/* Disk usage (st_blocks) of path and everything below it, symlinks not followed. */
int store_disk_usage(const char *path, uint64_t *ret);
