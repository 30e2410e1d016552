/* SPDX-License-Identifier: Apache-2.0 */
/* Layer store and meta store (image-rs layer_store.rs, meta_store.rs; upstream.md
 * §6.6). meta_store.json keeps upstream's keys: {"image_db":{},"layer_db":{},
 * "snapshot_db":{}}, LayerMeta {decoder, encrypted, compressed_digest,
 * uncompressed_digest, store_path}, ImageMeta {id, digest, reference, image_config,
 * signed, layer_metas}. */
#include <dirent.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <sys/stat.h>

#include "common/fs.h"
#include "common/json-util.h"
#include "common/log.h"
#include "store.h"

#define META_FILE "meta_store.json"
/* A meta store is a few KiB per image; this only guards against a runaway file. */
#define META_MAX (64u << 20)

struct store {
	char *work_dir;
	int dirfd, layersfd, stagingfd;
	pthread_mutex_t lock;
	pthread_cond_t changed;
	unsigned long next; /* next layer number */
	json_object *image_db, *layer_db, *snapshot_db;
	char **claims; /* digests being unpacked now */
	size_t n_claims, cap_claims;
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
	int fd;
	DIR *d;
	struct dirent *de;

	/* Leftover staging dirs are the remains of a crash or a kill: never published. */
	fd = fcntl(s->stagingfd, F_DUPFD_CLOEXEC, 3);
	if (fd < 0)
		return -errno;
	d = fdopendir(fd);
	if (!d) {
		close(fd);
		return -errno;
	}
	while ((de = readdir(d)))
		if (!streq(de->d_name, ".") && !streq(de->d_name, "..")) {
			int r = fs_rm_rf_at(s->stagingfd, de->d_name);
			if (r < 0 && r != -ENOENT)
				log_debug("store: cannot remove staging '%s': %d", de->d_name, r);
		}
	closedir(d);

	fd = fcntl(s->layersfd, F_DUPFD_CLOEXEC, 3);
	if (fd < 0)
		return -errno;
	d = fdopendir(fd);
	if (!d) {
		close(fd);
		return -errno;
	}
	while ((de = readdir(d))) {
		unsigned long n;
		if (parse_index(de->d_name, &n) && n >= s->next)
			s->next = n + 1;
	}
	closedir(d);
	return 0;
}

static int load(struct store *s)
{
	_cleanup_(buf_done) struct buf b = BUF_INIT(META_MAX);
	_cleanup_(json_object_putp) json_object *root = NULL;
	json_object *o;
	int r;

	r = fs_read_file(s->dirfd, META_FILE, &b);
	if (r == -ENOENT)
		return 0;
	if (r >= 0)
		r = json_parse(buf_str(&b), b.len, META_MAX, JSON_DEFAULT_MAX_DEPTH, &root, NULL);
	if (r >= 0 && !json_object_is_type(root, json_type_object))
		r = -EBADMSG;
	if (r < 0) {
		log_debug("store: %s unusable (%d), set aside", META_FILE, r);
		(void) renameat(s->dirfd, META_FILE, s->dirfd, META_FILE ".bad");
		return 0;
	}
	if (json_get_object(root, "image_db", &o) >= 0) {
		json_object_put(s->image_db);
		s->image_db = json_object_get(o);
	}
	if (json_get_object(root, "layer_db", &o) >= 0) {
		json_object_put(s->layer_db);
		s->layer_db = json_object_get(o);
	}
	if (json_get_object(root, "snapshot_db", &o) >= 0) {
		json_object_put(s->snapshot_db);
		s->snapshot_db = json_object_get(o);
	}
	return 0;
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
	return fs_write_atomic(s->dirfd, META_FILE, b.data, b.len, 0600);
}

int store_open(const char *work_dir, struct store **ret)
{
	_cleanup_(store_freep) struct store *s = NULL;
	int r;

	s = calloc(1, sizeof(*s));
	if (!s)
		return -ENOMEM;
	s->dirfd = s->layersfd = s->stagingfd = -EBADF;
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
	r = scan(s);
	if (r < 0)
		return r;
	r = load(s);
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

int store_layer_begin(struct store *s, const char *digest, char **ret_path)
{
	int r;

	pthread_mutex_lock(&s->lock);
	for (;;) {
		const char *path = present(s, digest);

		if (path) {
			char *copy = ret_path ? strdup(path) : NULL;
			r = ret_path && !copy ? -ENOMEM : 1;
			if (ret_path && copy)
				*ret_path = copy;
			break;
		}
		if (claim_index(s, digest) < 0) {
			if (s->n_claims == s->cap_claims) {
				size_t cap = s->cap_claims ? s->cap_claims * 2 : 8;
				char **c = reallocarray(s->claims, cap, sizeof(*c));
				if (!c) {
					r = -ENOMEM;
					break;
				}
				s->claims = c;
				s->cap_claims = cap;
			}
			s->claims[s->n_claims] = strdup(digest);
			r = s->claims[s->n_claims] ? 0 : -ENOMEM;
			if (r == 0)
				s->n_claims++;
			break;
		}
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

int store_staging_new(struct store *s, char **ret_path, int *ret_fd)
{
	_cleanup_free_ char *path = NULL;
	int fd;

	if (asprintf(&path, "%s/staging/layer-XXXXXX", s->work_dir) < 0)
		return -ENOMEM;
	if (!mkdtemp(path))
		return -errno;
	fd = open(path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0) {
		int r = -errno;
		(void) rmdir(path);
		return r;
	}
	*ret_path = steal_ptr(path);
	*ret_fd = fd;
	return 0;
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

	if (asprintf(&name, "%lu", s->next) < 0 ||
	    asprintf(&store_path, "%s/layers/%lu", s->work_dir, s->next) < 0)
		return -ENOMEM;
	if (renameat(AT_FDCWD, staging_path, s->layersfd, name) < 0)
		return -errno;
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
		r = commit_locked(s, staging_path, m, ret_path);
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
	r = 0;
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
	pthread_mutex_unlock(&s->lock);
	return r;
}

int store_image_get(struct store *s, const char *config_digest, json_object **ret)
{
	json_object *img;
	int r = -ENOENT;

	*ret = NULL;
	pthread_mutex_lock(&s->lock);
	if (json_object_object_get_ex(s->image_db, config_digest, &img))
		r = json_object_deep_copy(img, ret, NULL) < 0 ? -ENOMEM : 0;
	pthread_mutex_unlock(&s->lock);
	return r;
}

bool store_has_image(struct store *s, const char *config_digest)
{
	bool has;

	pthread_mutex_lock(&s->lock);
	has = json_object_object_get_ex(s->image_db, config_digest, NULL);
	pthread_mutex_unlock(&s->lock);
	return has;
}

size_t store_n_layers(struct store *s)
{
	size_t n;

	pthread_mutex_lock(&s->lock);
	n = (size_t) json_object_object_length(s->layer_db);
	pthread_mutex_unlock(&s->lock);
	return n;
}
