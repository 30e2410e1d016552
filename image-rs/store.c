/* SPDX-License-Identifier: Apache-2.0 */
/* Layer store and meta store (image-rs layer_store.rs, meta_store.rs; upstream.md
 * §6.6). meta_store.json keeps upstream's keys: {"image_db":{},"layer_db":{},
 * "snapshot_db":{}}, LayerMeta {decoder, encrypted, compressed_digest,
 * uncompressed_digest, store_path}, ImageMeta {id, digest, reference, image_config,
 * signed, layer_metas}. Several processes may share a work dir (CDH pulling, cdh-tool
 * pruning): store.lock (flock) serialises every read-modify-write of the meta store,
 * holds/ records which layers each live process is using, staging dirs are flocked
 * while in use. Upstream has none of this (its lock is in-process). */
#include <dirent.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#ifndef RENAME_NOREPLACE
#define RENAME_NOREPLACE (1 << 0)
#endif

#include "common/fs.h"
#include "common/json-util.h"
#include "common/log.h"
#include "store.h"

#define META_FILE "meta_store.json"
/* A meta store is a few KiB per image; this only guards against a runaway file. */
#define META_MAX (64u << 20)

#define LOCK_FILE "store.lock"
#define HOLDS_DIR "holds"
/* A layer number taken by another process is skipped; this bounds the search. */
#define NEXT_TRIES 4096

struct hold {
	char *digest;
	unsigned n; /* store_layer_begin() calls not yet released */
};

struct store {
	char *work_dir;
	int dirfd, layersfd, stagingfd, lockfd, holdsfd, holdfd;
	pthread_mutex_t lock;
	pthread_cond_t changed;
	unsigned long next; /* next layer number */
	json_object *image_db, *layer_db, *snapshot_db;
	struct stat meta_st; /* identity of the meta_store.json last read or written */
	char **claims;       /* digests being unpacked now */
	size_t n_claims, cap_claims;
	struct hold *holds;
	size_t n_holds;
	char *hold_name; /* our file in holds/, made at the first hold */
};

const char *store_work_dir(const struct store *s)
{
	return s->work_dir;
}

static int open_dir(int dirfd, const char *name, int *ret)
{
	int fd;

	if (mkdirat(dirfd, name, 0700) < 0 && errno != EEXIST)
		return -errno;
	fd = openat(dirfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	*ret = fd;
	return 0;
}

/* Numbers only (upstream parses every name there as an integer). */
static bool parse_index(const char *name, unsigned long *ret)
{
	char *end;
	unsigned long v;

	if (!*name || name[0] < '0' || name[0] > '9')
		return false;
	errno = 0;
	v = strtoul(name, &end, 10);
	if (errno || *end)
		return false;
	*ret = v;
	return true;
}

static int scan(struct store *s)
{
	int r;
	DIR *d;
	struct dirent *de;

	/* Leftover staging dirs are the remains of a crash or a kill: never published. */
	r = fs_opendir_dup(s->stagingfd, &d);
	if (r < 0)
		return r;
	while ((de = readdir(d)))
		if (!streq(de->d_name, ".") && !streq(de->d_name, "..")) {
			_cleanup_close_ int sfd = openat(s->stagingfd, de->d_name,
							 O_RDONLY | O_NOFOLLOW | O_CLOEXEC);

			/* another process is unpacking there (it holds the flock) */
			if (sfd >= 0 && flock(sfd, LOCK_EX | LOCK_NB) < 0 && errno == EWOULDBLOCK)
				continue;
			r = fs_rm_rf_at(s->stagingfd, de->d_name);
			if (r < 0 && r != -ENOENT)
				log_debug("store: cannot remove staging '%s': %d", de->d_name, r);
		}
	closedir(d);

	r = fs_opendir_dup(s->layersfd, &d);
	if (r < 0)
		return r;
	while ((de = readdir(d))) {
		unsigned long n;
		if (parse_index(de->d_name, &n) && n >= s->next)
			s->next = n + 1;
	}
	closedir(d);
	return 0;
}

static void set_db(json_object **db, json_object *root, const char *key)
{
	json_object *o;

	json_object_put(*db);
	*db = root && json_get_object(root, key, &o) >= 0 ? json_object_get(o)
							  : json_object_new_object();
}

static bool same_file(const struct stat *a, const struct stat *b)
{
	return a->st_dev == b->st_dev && a->st_ino == b->st_ino && a->st_size == b->st_size &&
	       a->st_mtim.tv_sec == b->st_mtim.tv_sec && a->st_mtim.tv_nsec == b->st_mtim.tv_nsec &&
	       a->st_ctim.tv_sec == b->st_ctim.tv_sec && a->st_ctim.tv_nsec == b->st_ctim.tv_nsec;
}

/* (Re)reads meta_store.json when it is not the file last seen (another process wrote
 * it). With both locks held. */
static int load(struct store *s)
{
	_cleanup_(buf_done) struct buf b = BUF_INIT(META_MAX);
	_cleanup_(json_object_putp) json_object *root = NULL;
	struct stat st = {};
	int r;

	if (fstatat(s->dirfd, META_FILE, &st, AT_SYMLINK_NOFOLLOW) < 0) {
		if (errno != ENOENT)
			return -errno;
		st = (struct stat){};
	}
	if (same_file(&st, &s->meta_st))
		return 0;
	s->meta_st = st;
	r = st.st_ino ? fs_read_file(s->dirfd, META_FILE, &b) : -ENOENT;
	if (r == -ENOENT) {
		set_db(&s->image_db, NULL, NULL);
		set_db(&s->layer_db, NULL, NULL);
		set_db(&s->snapshot_db, NULL, NULL);
		return s->image_db && s->layer_db && s->snapshot_db ? 0 : -ENOMEM;
	}
	if (r >= 0)
		r = json_parse(buf_str(&b), b.len, META_MAX, JSON_DEFAULT_MAX_DEPTH, &root, NULL);
	if (r >= 0 && !json_object_is_type(root, json_type_object))
		r = -EBADMSG;
	if (r < 0) {
		log_debug("store: %s unusable (%d), set aside", META_FILE, r);
		(void) renameat(s->dirfd, META_FILE, s->dirfd, META_FILE ".bad");
		s->meta_st = (struct stat){};
		json_object_put(root);
		root = NULL;
	}
	set_db(&s->image_db, root, "image_db");
	set_db(&s->layer_db, root, "layer_db");
	set_db(&s->snapshot_db, root, "snapshot_db");
	return s->image_db && s->layer_db && s->snapshot_db ? 0 : -ENOMEM;
}

/* Takes the cross-process lock and brings the meta store up to date; with the mutex
 * held. Undone by unlock_file(). */
static int lock_file(struct store *s)
{
	int r;

	while (flock(s->lockfd, LOCK_EX) < 0)
		if (errno != EINTR)
			return -errno;
	r = load(s);
	if (r < 0)
		(void) flock(s->lockfd, LOCK_UN);
	return r;
}

static void unlock_file(struct store *s)
{
	(void) flock(s->lockfd, LOCK_UN);
}

/* For readers: what other processes changed since, with the mutex held. */
static int refresh(struct store *s)
{
	int r = lock_file(s);

	unlock_file(s);
	return r;
}

/* Called with the lock held. */
static int save(struct store *s)
{
	_cleanup_(buf_done) struct buf b = BUF_INIT(META_MAX);
	_cleanup_(json_object_putp) json_object *root = json_object_new_object();
	int r;

	if (!root)
		return -ENOMEM;
	if (json_object_object_add(root, "image_db", json_object_get(s->image_db)) < 0 ||
	    json_object_object_add(root, "layer_db", json_object_get(s->layer_db)) < 0 ||
	    json_object_object_add(root, "snapshot_db", json_object_get(s->snapshot_db)) < 0)
		return -ENOMEM;
	r = json_append(root, &b);
	if (r < 0)
		return r;
	r = fs_write_atomic(s->dirfd, META_FILE, b.data, b.len, 0600);
	if (r < 0)
		return r;
	/* what we wrote needs no re-reading */
	if (fstatat(s->dirfd, META_FILE, &s->meta_st, AT_SYMLINK_NOFOLLOW) < 0)
		s->meta_st = (struct stat){};
	return 0;
}

int store_open(const char *work_dir, struct store **ret)
{
	_cleanup_(store_freep) struct store *s = NULL;
	int r;

	s = calloc(1, sizeof(*s));
	if (!s)
		return -ENOMEM;
	s->dirfd = s->layersfd = s->stagingfd = s->lockfd = s->holdsfd = s->holdfd = -EBADF;
	pthread_mutex_init(&s->lock, NULL);
	pthread_cond_init(&s->changed, NULL);
	s->work_dir = strdup(work_dir);
	s->image_db = json_object_new_object();
	s->layer_db = json_object_new_object();
	s->snapshot_db = json_object_new_object();
	if (!s->work_dir || !s->image_db || !s->layer_db || !s->snapshot_db)
		return -ENOMEM;
	r = fs_mkdir_p(work_dir, 0700);
	if (r < 0)
		return r;
	s->dirfd = open(work_dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (s->dirfd < 0)
		return -errno;
	r = open_dir(s->dirfd, "layers", &s->layersfd);
	if (r < 0)
		return r;
	r = open_dir(s->dirfd, "staging", &s->stagingfd);
	if (r < 0)
		return r;
	r = open_dir(s->dirfd, HOLDS_DIR, &s->holdsfd);
	if (r < 0)
		return r;
	s->lockfd = openat(s->dirfd, LOCK_FILE, O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (s->lockfd < 0)
		return -errno;
	r = lock_file(s);
	if (r < 0)
		return r;
	r = scan(s);
	unlock_file(s);
	if (r < 0)
		return r;
	*ret = steal_ptr(s);
	return 0;
}

struct store *store_free(struct store *s)
{
	if (!s)
		return NULL;
	closep(&s->dirfd);
	closep(&s->layersfd);
	closep(&s->stagingfd);
	if (s->hold_name)
		(void) unlinkat(s->holdsfd, s->hold_name, 0);
	free(s->hold_name);
	closep(&s->holdfd);
	closep(&s->holdsfd);
	closep(&s->lockfd);
	for (size_t i = 0; i < s->n_holds; i++)
		free(s->holds[i].digest);
	free(s->holds);
	json_object_put(s->image_db);
	json_object_put(s->layer_db);
	json_object_put(s->snapshot_db);
	for (size_t i = 0; i < s->n_claims; i++)
		free(s->claims[i]);
	free(s->claims);
	pthread_cond_destroy(&s->changed);
	pthread_mutex_destroy(&s->lock);
	free(s->work_dir);
	free(s);
	return NULL;
}

static ssize_t claim_index(struct store *s, const char *digest)
{
	for (size_t i = 0; i < s->n_claims; i++)
		if (streq(s->claims[i], digest))
			return (ssize_t) i;
	return -1;
}

/* With the lock held: the layer's store_path if layer_db has it and the dir exists. */
static const char *present(struct store *s, const char *digest)
{
	json_object *m;
	const char *path;
	struct stat st;

	if (json_get_object(s->layer_db, digest, &m) < 0 ||
	    json_get_string(m, "store_path", &path) < 0)
		return NULL;
	if (stat(path, &st) < 0 || !S_ISDIR(st.st_mode)) {
		log_debug("store: layer %s recorded at '%s' but missing, forgotten", digest, path);
		json_object_object_del(s->layer_db, digest);
		return NULL;
	}
	return path;
}

/* ---- holds: which layers this process uses, in holds/<file> for other processes ---- */

/* With both locks held: rewrites our hold file (made at the first hold, flocked for
 * the store's life so that others can tell it from a dead process's). */
static int holds_write(struct store *s)
{
	_cleanup_(buf_done) struct buf b = BUF_INIT(BUF_UNLIMITED);

	if (s->holdfd < 0) {
		_cleanup_free_ char *name = NULL;
		int fd;

		if (asprintf(&name, "%d-%p", (int) getpid(), (void *) s) < 0)
			return -ENOMEM;
		/* a name left by a dead process that had our pid: its holds are void */
		(void) unlinkat(s->holdsfd, name, 0);
		fd = openat(s->holdsfd, name, O_RDWR | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC,
			    0600);
		if (fd < 0)
			return -errno;
		if (flock(fd, LOCK_EX | LOCK_NB) < 0) {
			int r = -errno;
			close(fd);
			(void) unlinkat(s->holdsfd, name, 0);
			return r;
		}
		s->holdfd = fd;
		s->hold_name = steal_ptr(name);
	}
	for (size_t i = 0; i < s->n_holds; i++)
		if (buf_appendf(&b, "%s\n", s->holds[i].digest) < 0)
			return -ENOMEM;
	if (ftruncate(s->holdfd, 0) < 0)
		return -errno;
	for (size_t off = 0; off < b.len;) {
		ssize_t k = pwrite(s->holdfd, b.data + off, b.len - off, (off_t) off);
		if (k < 0 && errno == EINTR)
			continue;
		if (k <= 0)
			return k < 0 ? -errno : -EIO;
		off += (size_t) k;
	}
	return 0;
}

/* With both locks held. */
static int hold_add(struct store *s, const char *digest)
{
	struct hold *h;
	int r;

	for (size_t i = 0; i < s->n_holds; i++)
		if (streq(s->holds[i].digest, digest)) {
			s->holds[i].n++;
			return 0;
		}
	h = reallocarray(s->holds, s->n_holds + 1, sizeof(*h));
	if (!h)
		return -ENOMEM;
	s->holds = h;
	h[s->n_holds].digest = strdup(digest);
	if (!h[s->n_holds].digest)
		return -ENOMEM;
	h[s->n_holds++].n = 1;
	r = holds_write(s);
	if (r < 0) {
		free(s->holds[--s->n_holds].digest);
		return r;
	}
	return 0;
}

void store_layer_release(struct store *s, const char *digest)
{
	pthread_mutex_lock(&s->lock);
	for (size_t i = 0; i < s->n_holds; i++)
		if (streq(s->holds[i].digest, digest)) {
			if (--s->holds[i].n == 0) {
				free(s->holds[i].digest);
				s->holds[i] = s->holds[--s->n_holds];
				/* a stale line only keeps a layer longer: failure is harmless */
				if (flock(s->lockfd, LOCK_EX) >= 0) {
					(void) holds_write(s);
					unlock_file(s);
				}
			}
			break;
		}
	pthread_mutex_unlock(&s->lock);
}

int store_layer_begin(struct store *s, const char *digest, char **ret_path)
{
	int r;

	pthread_mutex_lock(&s->lock);
	for (;;) {
		const char *path;

		r = lock_file(s);
		if (r < 0)
			break;
		path = present(s, digest);
		if (path) {
			char *copy = ret_path ? strdup(path) : NULL;
			r = ret_path && !copy ? -ENOMEM : hold_add(s, digest);
			if (r >= 0) {
				r = 1;
				if (ret_path)
					*ret_path = copy;
			} else
				free(copy);
			unlock_file(s);
			break;
		}
		if (claim_index(s, digest) < 0) {
			if (s->n_claims == s->cap_claims) {
				size_t cap = s->cap_claims ? s->cap_claims * 2 : 8;
				char **c = reallocarray(s->claims, cap, sizeof(*c));
				if (!c) {
					r = -ENOMEM;
					unlock_file(s);
					break;
				}
				s->claims = c;
				s->cap_claims = cap;
			}
			s->claims[s->n_claims] = strdup(digest);
			r = s->claims[s->n_claims] ? hold_add(s, digest) : -ENOMEM;
			if (r >= 0)
				s->n_claims++;
			else
				free(s->claims[s->n_claims]);
			unlock_file(s);
			break;
		}
		unlock_file(s);
		pthread_cond_wait(&s->changed, &s->lock);
	}
	pthread_mutex_unlock(&s->lock);
	return r;
}

/* With the lock held. */
static void release(struct store *s, const char *digest)
{
	ssize_t i = claim_index(s, digest);

	if (i >= 0) {
		free(s->claims[i]);
		s->claims[i] = s->claims[--s->n_claims];
	}
	pthread_cond_broadcast(&s->changed);
}

void store_layer_abandon(struct store *s, const char *digest)
{
	pthread_mutex_lock(&s->lock);
	release(s, digest);
	pthread_mutex_unlock(&s->lock);
}

/* mkdtemp(template) flocked before anyone's start-up clean-up may see it unlocked. */
static int staging_make(struct store *s, char *template, char **ret_path, int *ret_fd)
{
	int fd, r = 0;

	pthread_mutex_lock(&s->lock);
	while (flock(s->lockfd, LOCK_EX) < 0)
		if (errno != EINTR) {
			r = -errno;
			break;
		}
	if (r >= 0 && !mkdtemp(template))
		r = -errno;
	if (r >= 0) {
		fd = open(template, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		if (fd < 0 || flock(fd, LOCK_EX | LOCK_NB) < 0) {
			r = -errno;
			if (fd >= 0)
				close(fd);
			(void) rmdir(template);
		}
	}
	unlock_file(s);
	pthread_mutex_unlock(&s->lock);
	if (r < 0)
		return r;
	*ret_path = template;
	*ret_fd = fd;
	return 0;
}

int store_staging_new(struct store *s, char **ret_path, int *ret_fd)
{
	char *path = NULL;
	int r;

	if (asprintf(&path, "%s/staging/layer-XXXXXX", s->work_dir) < 0)
		return -ENOMEM;
	r = staging_make(s, path, ret_path, ret_fd);
	if (r < 0)
		free(path);
	return r;
}

int store_staging_remove(struct store *s, const char *path)
{
	(void) s;
	return fs_rm_rf_at(AT_FDCWD, path);
}

static json_object *layer_meta_json(const struct store_layer_meta *m, const char *store_path)
{
	_cleanup_(json_object_putp) json_object *o = json_object_new_object();

	if (!o ||
	    json_object_object_add(o, "decoder",
				   json_object_new_string(decomp_kind_to_string(m->decoder))) < 0 ||
	    json_object_object_add(o, "encrypted", json_object_new_boolean(m->encrypted)) < 0 ||
	    json_object_object_add(o, "compressed_digest",
				   json_object_new_string(m->compressed_digest)) < 0 ||
	    json_object_object_add(o, "uncompressed_digest",
				   json_object_new_string(m->uncompressed_digest)) < 0 ||
	    json_object_object_add(o, "store_path", json_object_new_string(store_path)) < 0)
		return NULL;
	return steal_ptr(o);
}

/* With the lock held. */
static int commit_locked(struct store *s, const char *staging_path,
			 const struct store_layer_meta *m, char **ret_path)
{
	_cleanup_free_ char *name = NULL, *store_path = NULL;
	json_object *o;
	int r;

	for (unsigned tries = 0;; tries++) {
		free(name);
		if (asprintf(&name, "%lu", s->next) < 0) {
			name = NULL;
			return -ENOMEM;
		}
		/* another process may have taken this number since our scan */
		if (syscall(SYS_renameat2, AT_FDCWD, staging_path, s->layersfd, name,
			    RENAME_NOREPLACE) == 0)
			break;
		if (errno == EINVAL || errno == ENOSYS) {
			/* no RENAME_NOREPLACE here: a taken number is a non-empty dir */
			if (renameat(AT_FDCWD, staging_path, s->layersfd, name) == 0)
				break;
		}
		if ((errno != EEXIST && errno != ENOTEMPTY) || tries >= NEXT_TRIES)
			return -errno;
		s->next++;
	}
	if (asprintf(&store_path, "%s/layers/%s", s->work_dir, name) < 0) {
		store_path = NULL;
		(void) fs_rm_rf_at(s->layersfd, name);
		return -ENOMEM;
	}
	s->next++;
	(void) fsync(s->layersfd);
	o = layer_meta_json(m, store_path);
	if (!o || json_object_object_add(s->layer_db, m->compressed_digest, o) < 0) {
		json_object_put(o);
		r = -ENOMEM;
	} else
		r = save(s);
	if (r < 0) {
		/* Not recorded: take the layer out again so nothing unrecorded lingers. */
		json_object_object_del(s->layer_db, m->compressed_digest);
		(void) fs_rm_rf_at(s->layersfd, name);
		return r;
	}
	if (ret_path)
		*ret_path = steal_ptr(store_path);
	return 0;
}

int store_layer_commit(struct store *s, const char *staging_path, int staging_fd,
		       const struct store_layer_meta *m, char **ret_path)
{
	int r = 0;

	/* Everything the layer wrote reaches the disk before its name does. */
	if (syncfs(staging_fd) < 0)
		r = -errno;
	pthread_mutex_lock(&s->lock);
	if (r >= 0)
		r = lock_file(s);
	if (r >= 0) {
		r = commit_locked(s, staging_path, m, ret_path);
		unlock_file(s);
	}
	release(s, m->compressed_digest);
	pthread_mutex_unlock(&s->lock);
	return r;
}

static int add_member(json_object *o, const char *key, json_object *v)
{
	if (!v || json_object_object_add(o, key, v) < 0) {
		json_object_put(v);
		return -ENOMEM;
	}
	return 0;
}

int store_image_add(struct store *s, const char *config_digest, const char *manifest_digest,
		    const char *reference, json_object *image_config, bool is_signed,
		    const char *const *layer_digests, size_t n)
{
	_cleanup_(json_object_putp) json_object *img = json_object_new_object();
	json_object *metas, *cfg = NULL;
	int r;

	if (!img)
		return -ENOMEM;
	if (json_object_deep_copy(image_config, &cfg, NULL) < 0)
		return -ENOMEM;
	/* Members in ImageMeta's field order. */
	if (add_member(img, "id", json_object_new_string(config_digest)) < 0 ||
	    add_member(img, "digest", json_object_new_string(manifest_digest)) < 0 ||
	    add_member(img, "reference", json_object_new_string(reference)) < 0 ||
	    add_member(img, "image_config", cfg) < 0 ||
	    add_member(img, "signed", json_object_new_boolean(is_signed)) < 0 ||
	    add_member(img, "layer_metas", json_object_new_array()) < 0)
		return -ENOMEM;
	(void) json_object_object_get_ex(img, "layer_metas", &metas);

	pthread_mutex_lock(&s->lock);
	r = lock_file(s);
	for (size_t i = 0; i < n && r >= 0; i++) {
		json_object *m, *copy = NULL;

		if (json_get_object(s->layer_db, layer_digests[i], &m) < 0)
			r = -ENOENT;
		else if (json_object_deep_copy(m, &copy, NULL) < 0 ||
			 json_object_array_add(metas, copy) < 0) {
			json_object_put(copy);
			r = -ENOMEM;
		}
	}
	if (r >= 0 &&
	    json_object_object_add(s->image_db, config_digest, json_object_get(img)) < 0) {
		json_object_put(img);
		r = -ENOMEM;
	}
	if (r >= 0)
		r = save(s);
	unlock_file(s); /* a no-op if lock_file() failed */
	pthread_mutex_unlock(&s->lock);
	return r;
}

int store_image_get(struct store *s, const char *config_digest, json_object **ret)
{
	json_object *img;
	int r = -ENOENT;

	*ret = NULL;
	pthread_mutex_lock(&s->lock);
	if (refresh(s) >= 0 && json_object_object_get_ex(s->image_db, config_digest, &img))
		r = json_object_deep_copy(img, ret, NULL) < 0 ? -ENOMEM : 0;
	pthread_mutex_unlock(&s->lock);
	return r;
}

bool store_has_image(struct store *s, const char *config_digest)
{
	bool has;

	pthread_mutex_lock(&s->lock);
	has = refresh(s) >= 0 && json_object_object_get_ex(s->image_db, config_digest, NULL);
	pthread_mutex_unlock(&s->lock);
	return has;
}

size_t store_n_layers(struct store *s)
{
	size_t n;

	pthread_mutex_lock(&s->lock);
	(void) refresh(s);
	n = (size_t) json_object_object_length(s->layer_db);
	pthread_mutex_unlock(&s->lock);
	return n;
}

/* ---- listing, removal, pruning (cdh-tool image) ---- */

static int copy_db(struct store *s, json_object *const *db, json_object **ret)
{
	int r;

	*ret = NULL;
	pthread_mutex_lock(&s->lock);
	r = refresh(s);
	if (r >= 0 && json_object_deep_copy(*db, ret, NULL) < 0)
		r = -ENOMEM;
	pthread_mutex_unlock(&s->lock);
	return r;
}

int store_image_list(struct store *s, json_object **ret)
{
	return copy_db(s, &s->image_db, ret);
}

int store_layer_list(struct store *s, json_object **ret)
{
	return copy_db(s, &s->layer_db, ret);
}

int store_image_remove(struct store *s, const char *what)
{
	_cleanup_free_ const char **ids = NULL;
	size_t n = 0;
	int r;

	pthread_mutex_lock(&s->lock);
	r = lock_file(s);
	if (r >= 0) {
		ids = calloc((size_t) json_object_object_length(s->image_db) + 1, sizeof(*ids));
		if (!ids)
			r = -ENOMEM;
	}
	if (r >= 0) {
		json_object_object_foreach (s->image_db, id, img) {
			const char *d = NULL, *ref = NULL;

			(void) json_get_string(img, "digest", &d);
			(void) json_get_string(img, "reference", &ref);
			if (streq(id, what) || (d && streq(d, what)) || (ref && streq(ref, what)))
				ids[n++] = id;
		}
		/* keys stay valid until deleted; delete after the walk */
		for (size_t i = 0; i < n; i++) {
			_cleanup_free_ char *k = strdup(ids[i]);
			if (!k) {
				r = -ENOMEM;
				break;
			}
			json_object_object_del(s->image_db, k);
		}
		if (r >= 0)
			r = n ? save(s) : -ENOENT;
		if (r < 0 && n)
			s->meta_st = (struct stat){}; /* memory differs from disk: re-read next */
	}
	unlock_file(s);
	pthread_mutex_unlock(&s->lock);
	return r < 0 ? r : (int) MIN(n, (size_t) INT_MAX);
}

/* Adds each lowerdir of every overlay mount in /proc/self/mountinfo to set (keys):
 * a layer a container's rootfs still stacks is kept even when no image names it. */
static int mounted_lowerdirs(json_object *set)
{
	_cleanup_(buf_done) struct buf b = BUF_INIT(16u << 20);
	char *line, *save = NULL;
	int r;

	r = fs_read_file(AT_FDCWD, "/proc/self/mountinfo", &b);
	if (r < 0)
		return r == -ENOENT ? 0 : r;
	for (line = strtok_r((char *) buf_str(&b), "\n", &save); line;
	     line = strtok_r(NULL, "\n", &save)) {
		char *sep = strstr(line, " - "), *opts, *low, *end, *dir, *dsave = NULL;

		/* " - overlay <source> <super options>" */
		if (!sep || strncmp(sep + 3, "overlay ", 8) != 0)
			continue;
		opts = strchr(sep + 11, ' ');
		low = opts ? strstr(opts, "lowerdir=") : NULL;
		if (!low)
			continue;
		low += strlen("lowerdir=");
		end = low + strcspn(low, ", ");
		*end = 0;
		for (dir = strtok_r(low, ":", &dsave); dir; dir = strtok_r(NULL, ":", &dsave))
			if (json_object_object_add(set, dir, NULL) < 0)
				return -ENOMEM;
	}
	return 0;
}

/* Adds the digests every live process's hold file names to set; removes the files of
 * dead processes (their flock is gone). With both locks held. */
static int live_holds(struct store *s, json_object *set)
{
	DIR *d;
	struct dirent *de;
	int r = 0;

	for (size_t i = 0; i < s->n_holds; i++)
		if (json_object_object_add(set, s->holds[i].digest, NULL) < 0)
			return -ENOMEM;
	for (size_t i = 0; i < s->n_claims; i++)
		if (json_object_object_add(set, s->claims[i], NULL) < 0)
			return -ENOMEM;
	r = fs_opendir_dup(s->holdsfd, &d);
	if (r < 0)
		return r;
	while (r >= 0 && (de = readdir(d))) {
		_cleanup_(buf_done) struct buf b = BUF_INIT(META_MAX);
		_cleanup_close_ int hfd = -EBADF;
		char *line, *save = NULL;

		if (de->d_name[0] == '.')
			continue;
		hfd = openat(s->holdsfd, de->d_name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
		if (hfd < 0)
			continue;
		if (flock(hfd, LOCK_SH | LOCK_NB) >= 0) {
			(void) unlinkat(s->holdsfd, de->d_name, 0);
			continue;
		}
		if (errno != EWOULDBLOCK)
			continue;
		/* its owner writes it only under store.lock, which we hold */
		r = fs_read_file(s->holdsfd, de->d_name, &b);
		if (r == -ENOENT) {
			r = 0;
			continue;
		}
		if (r < 0)
			break;
		for (line = strtok_r((char *) buf_str(&b), "\n", &save); line && r >= 0;
		     line = strtok_r(NULL, "\n", &save))
			if (json_object_object_add(set, line, NULL) < 0)
				r = -ENOMEM;
	}
	closedir(d);
	return r;
}

/* The layers/<N> name of a store_path of ours, or NULL. */
static const char *layer_name(const char *store_path)
{
	const char *slash = strrchr(store_path, '/');
	unsigned long n;

	if (!slash || slash - store_path < 7 || strncmp(slash - 7, "/layers", 7) != 0 ||
	    !parse_index(slash + 1, &n))
		return NULL;
	return slash + 1;
}

/* With both locks held: moves layers/<name> into the gc dir; -ENOENT when gone. */
static int collect(struct store *s, int gcfd, const char *name)
{
	return renameat(s->layersfd, name, gcfd, name) < 0 ? -errno : 0;
}

/* With both locks held: the prune itself; layers end up in gcfd. */
static int prune_locked(struct store *s, int gcfd, struct store_prune_stats *st)
{
	_cleanup_(json_object_putp) json_object *used = json_object_new_object();
	_cleanup_(json_object_putp) json_object *held = json_object_new_object();
	_cleanup_(json_object_putp) json_object *mounted = json_object_new_object();
	_cleanup_(json_object_putp) json_object *names = json_object_new_object();
	_cleanup_free_ char **gone = NULL;
	size_t n_gone = 0;
	DIR *d;
	struct dirent *de;
	int r;

	if (!used || !held || !mounted || !names)
		return -ENOMEM;
	json_object_object_foreach (s->image_db, id, img) {
		json_object *metas;
		(void) id;
		if (json_get_array(img, "layer_metas", &metas) < 0)
			continue;
		for (size_t i = 0; i < json_object_array_length(metas); i++) {
			const char *dg;
			if (json_get_string(json_object_array_get_idx(metas, i),
					    "compressed_digest", &dg) >= 0 &&
			    json_object_object_add(used, dg, NULL) < 0)
				return -ENOMEM;
		}
	}
	r = live_holds(s, held);
	if (r >= 0)
		r = mounted_lowerdirs(mounted);
	if (r < 0)
		return r;
	gone = calloc((size_t) json_object_object_length(s->layer_db) + 1, sizeof(*gone));
	if (!gone)
		return -ENOMEM;
	json_object_object_foreach (s->layer_db, digest, meta) {
		const char *path = NULL, *name;

		(void) json_get_string(meta, "store_path", &path);
		name = path ? layer_name(path) : NULL;
		if (json_object_object_get_ex(used, digest, NULL)) {
			if (name && json_object_object_add(names, name, NULL) < 0)
				return -ENOMEM;
			continue;
		}
		if (json_object_object_get_ex(held, digest, NULL) ||
		    (path && json_object_object_get_ex(mounted, path, NULL))) {
			if (json_object_object_get_ex(held, digest, NULL))
				st->kept_held++;
			else
				st->kept_mounted++;
			if (name && json_object_object_add(names, name, NULL) < 0)
				return -ENOMEM;
			continue;
		}
		if (name) {
			r = collect(s, gcfd, name);
			if (r < 0 && r != -ENOENT) {
				/* kept, and not counted as an orphan below */
				(void) json_object_object_add(names, name, NULL);
				log_debug("store: cannot move layer %s out: %d", name, r);
				continue;
			}
		}
		gone[n_gone++] = digest;
	}
	for (size_t i = 0; i < n_gone; i++) {
		_cleanup_free_ char *k = strdup(gone[i]);
		if (!k)
			return -ENOMEM;
		json_object_object_del(s->layer_db, k);
	}
	st->removed = n_gone;

	/* layers/<N> no record names: left by a crash between rename and meta store write,
	 * or by a failed write; nothing can be using them */
	r = fs_opendir_dup(s->layersfd, &d);
	if (r < 0)
		return r;
	while ((de = readdir(d))) {
		unsigned long n;
		_cleanup_free_ char *p = NULL;

		if (!parse_index(de->d_name, &n) ||
		    json_object_object_get_ex(names, de->d_name, NULL))
			continue;
		if (asprintf(&p, "%s/layers/%s", s->work_dir, de->d_name) < 0) {
			p = NULL;
			continue;
		}
		if (json_object_object_get_ex(mounted, p, NULL))
			continue;
		if (collect(s, gcfd, de->d_name) >= 0)
			st->orphans++;
	}
	closedir(d);
	(void) fsync(s->layersfd);
	if (n_gone) {
		r = save(s);
		if (r < 0) {
			s->meta_st = (struct stat){}; /* re-read next time */
			return r;
		}
	}
	return 0;
}

int store_prune(struct store *s, struct store_prune_stats *ret)
{
	_cleanup_free_ char *gc = NULL, *path = NULL;
	_cleanup_close_ int gcfd = -EBADF;
	struct store_prune_stats st = {};
	int r;

	if (asprintf(&path, "%s/staging/gc-XXXXXX", s->work_dir) < 0)
		return -ENOMEM;
	/* the gc dir is a flocked staging dir: a crash leaves it to the next start-up */
	r = staging_make(s, path, &gc, &gcfd);
	if (r < 0)
		return r;
	path = NULL;
	pthread_mutex_lock(&s->lock);
	r = lock_file(s);
	if (r >= 0)
		r = prune_locked(s, gcfd, &st);
	unlock_file(s);
	pthread_mutex_unlock(&s->lock);
	/* the slow part, outside the locks: nothing refers to these any more */
	{
		int k = fs_rm_rf_at(AT_FDCWD, gc);
		if (k < 0 && r >= 0)
			r = k;
	}
	if (ret)
		*ret = st;
	return r;
}

static int du_at(int at, const char *name, unsigned depth, uint64_t *sum)
{
	struct stat st;
	DIR *d;
	struct dirent *de;
	int fd, r = 0;

	if (fstatat(at, name, &st, AT_SYMLINK_NOFOLLOW) < 0)
		return -errno;
	*sum += (uint64_t) st.st_blocks * 512;
	if (!S_ISDIR(st.st_mode))
		return 0;
	if (depth > 4096)
		return -ELOOP;
	fd = openat(at, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	d = fdopendir(fd);
	if (!d) {
		close(fd);
		return -errno;
	}
	while (r >= 0 && (de = readdir(d)))
		if (!streq(de->d_name, ".") && !streq(de->d_name, ".."))
			r = du_at(dirfd(d), de->d_name, depth + 1, sum);
	closedir(d);
	return r;
}

int store_disk_usage(const char *path, uint64_t *ret)
{
	*ret = 0;
	return du_at(AT_FDCWD, path, 0, ret);
}
