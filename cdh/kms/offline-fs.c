/* SPDX-License-Identifier: Apache-2.0 */
/* offline_fs_kbc (guest-components confidential-data-hub/kms/src/plugins/kbs/offline_fs.rs):
 * a flat table name -> secret, filled from the JSON maps at creation. */
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>

#include "cdh/kms/offline-fs.h"
#include "common/b64.h"
#include "common/fs.h"
#include "common/json-util.h"
#include "common/log.h"

struct offline_fs_entry {
	char *name;
	struct secret *value;
};

struct offline_fs {
	struct offline_fs_entry *e;
	size_t n, cap;
};

struct offline_fs *offline_fs_free(struct offline_fs *o)
{
	if (!o)
		return NULL;
	for (size_t i = 0; i < o->n; i++) {
		free(o->e[i].name);
		secret_free(o->e[i].value);
	}
	free(o->e);
	free(o);
	return NULL;
}

size_t offline_fs_count(const struct offline_fs *o)
{
	return o ? o->n : 0;
}

static struct offline_fs_entry *find(const struct offline_fs *o, const char *name)
{
	for (size_t i = 0; i < o->n; i++)
		if (streq(o->e[i].name, name))
			return &o->e[i];
	return NULL;
}

/* Takes ownership of value. */
static int put(struct offline_fs *o, const char *name, struct secret *value)
{
	_cleanup_secret_ struct secret *v = value;
	struct offline_fs_entry *e = find(o, name);
	char *copy;

	if (e) {
		/* Upstream warns and keeps the later definition. */
		log_debug("offline-fs-kbc: '%s' defined again, the later one wins", name);
		secret_free(e->value);
		e->value = steal_ptr(v);
		return 0;
	}
	if (o->n == o->cap) {
		size_t cap = o->cap ? o->cap * 2 : 16;
		struct offline_fs_entry *ne = realloc(o->e, cap * sizeof(*ne));

		if (!ne)
			return -ENOMEM;
		o->e = ne;
		o->cap = cap;
	}
	copy = strdup(name);
	if (!copy)
		return -ENOMEM;
	o->e[o->n++] = (struct offline_fs_entry){ .name = copy, .value = steal_ptr(v) };
	return 0;
}

static int load_file(struct offline_fs *o, const char *path)
{
	_cleanup_(buf_done_wipe) struct buf b = BUF_INIT(OFFLINE_FS_MAX_FILE);
	_cleanup_(json_object_putp) json_object *j = NULL;
	struct json_object_iterator it, end;
	const char *reason = NULL;
	int r;

	r = fs_read_file(AT_FDCWD, path, &b);
	if (r == -E2BIG)
		return r;
	if (r < 0) {
		log_debug("offline-fs-kbc: cannot read '%s', skipping: %s", path, strerror(-r));
		return 0;
	}
	r = json_parse(buf_str(&b), b.len, OFFLINE_FS_MAX_FILE, 4, &j, &reason);
	if (r < 0) {
		log_debug("offline-fs-kbc: '%s' is not JSON: %s", path, reason ? reason : "");
		return r;
	}
	if (!j || !json_object_is_type(j, json_type_object))
		return -EBADMSG;

	it = json_object_iter_begin(j);
	end = json_object_iter_end(j);
	for (; !json_object_iter_equal(&it, &end); json_object_iter_next(&it)) {
		const char *name = json_object_iter_peek_name(&it), *v;
		struct secret *value = NULL;

		r = json_as_string(json_object_iter_peek_value(&it), &v);
		if (r < 0)
			return -EBADMSG;
		r = b64_decode_secret(B64_STD, v, strlen(v), &value);
		if (r < 0) {
			log_debug("offline-fs-kbc: '%s' in '%s' is not base64", name, path);
			return r;
		}
		r = put(o, name, value);
		if (r < 0)
			return r;
	}
	/* json-c kept copies of the base64 text; it is encoded, not plain, key material,
	 * and b (the file) is wiped by buf_done_wipe. */
	return 0;
}

int offline_fs_new(const char *keys_path, const char *resources_path, const char *extra,
		   struct offline_fs **ret)
{
	_cleanup_(offline_fs_freep) struct offline_fs *o = NULL;
	_cleanup_free_ char *list = NULL;
	char *save = NULL;
	int r;

	o = calloc(1, sizeof(*o));
	if (!o)
		return -ENOMEM;
	r = load_file(o, keys_path ?: OFFLINE_FS_KEYS_PATH);
	if (r < 0)
		return r;
	r = load_file(o, resources_path ?: OFFLINE_FS_RESOURCES_PATH);
	if (r < 0)
		return r;
	if (!extra)
		extra = getenv(OFFLINE_FS_EXTRA_ENV);
	if (extra) {
		list = strdup(extra);
		if (!list)
			return -ENOMEM;
		for (char *p = strtok_r(list, ",", &save); p; p = strtok_r(NULL, ",", &save)) {
			r = load_file(o, p);
			if (r < 0)
				return r;
		}
	}
	*ret = steal_ptr(o);
	return 0;
}

int offline_fs_get(struct offline_fs *o, const struct resource_uri *uri, struct secret **ret)
{
	_cleanup_(buf_done) struct buf name = BUF_INIT(RESOURCE_URI_MAX);
	struct offline_fs_entry *e;
	struct secret *s;
	int r;

	r = resource_uri_path(uri, &name);
	if (r < 0)
		return r;
	e = find(o, buf_str(&name));
	if (!e)
		return -ENOENT;
	s = secret_new_copy(e->value->p, e->value->n);
	if (!s)
		return -ENOMEM;
	*ret = s;
	return 0;
}

static int kms_get(void *ud, const struct resource_uri *uri, struct secret **ret)
{
	return offline_fs_get(ud, uri, ret);
}

struct cdh_kms offline_fs_kms(struct offline_fs *o)
{
	return (struct cdh_kms){ .get_resource = kms_get, .ud = o };
}
