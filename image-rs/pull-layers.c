/* SPDX-License-Identifier: Apache-2.0 */
/* Concurrent layer pulls into the store (image-rs pull.rs async_pull_layers,
 * upstream.md §6.2 steps 8-11). Worker threads take layers in manifest order; a layer
 * another pull is unpacking right now is waited for in store_layer_begin(), so it is
 * fetched once. */
#include <pthread.h>
#include <stdio.h>

#include "common/json-util.h"
#include "common/log.h"
#include "decompress.h"
#include "pull-layers.h"

struct work {
	struct store *st;
	const struct pull_opts *o;
	pull_blob_fn fetch;
	void *fetch_userdata;
	struct layer_desc *layers; /* unique layers */
	bool *held;                /* store_layer_begin() succeeded: release at the end */
	size_t n, next;
	pthread_mutex_t m;
	uint64_t done, total;
	int error;
	struct buf *err;
	struct pull_result res;
};

struct sink_ctx {
	struct work *w;
	struct layer_job *job;
};

void pull_opts_default(struct pull_opts *o)
{
	*o = (struct pull_opts){ .concurrency = PULL_DEFAULT_CONCURRENCY };
	unpack_opts_default(&o->unpack);
}

static int counting_sink(void *userdata, const void *p, size_t n)
{
	struct sink_ctx *c = userdata;
	int r = layer_feed(c->job, p, n);

	if (r < 0)
		return r;
	pthread_mutex_lock(&c->w->m);
	c->w->done += n;
	c->w->res.bytes += n;
	if (c->w->o->progress)
		c->w->o->progress(c->w->o->progress_userdata, c->w->done, c->w->total);
	pthread_mutex_unlock(&c->w->m);
	return 0;
}

static void record_error(struct work *w, int r, const struct layer_desc *d, const char *why)
{
	pthread_mutex_lock(&w->m);
	if (!w->error) {
		w->error = r;
		if (w->err) {
			errno = -r;
			if (why && *why)
				(void) buf_appendf(w->err, "layer %s: %s", d->digest, why);
			else
				(void) buf_appendf(w->err, "layer %s: %m", d->digest);
		}
	}
	pthread_mutex_unlock(&w->m);
}

static int pull_one(struct work *w, struct layer_desc *d)
{
	_cleanup_(layer_job_freep) struct layer_job *job = NULL;
	struct sink_ctx c = { .w = w };
	int r;

	r = store_layer_begin(w->st, d->digest, NULL);
	if (r < 0) {
		record_error(w, r, d, "cannot claim the layer in the store");
		return r;
	}
	w->held[d - w->layers] = true;
	if (r > 0) {
		d->enc = ocicrypt_layer_free(d->enc); /* its key was checked; nothing to decrypt */
		pthread_mutex_lock(&w->m);
		w->res.reused++;
		if (d->size <= w->total)
			w->total -= d->size;
		pthread_mutex_unlock(&w->m);
		return 0;
	}
	/* The job takes the layer key over (opened by check_keys()). */
	r = layer_job_new(w->st, d, &w->o->unpack, &job);
	d->enc = NULL;
	if (r < 0) {
		record_error(w, r, d,
			     r == -EOPNOTSUPP ? "unhandled media type, digest or encryption"
					      : NULL);
		return r;
	}
	c.job = job;
	r = w->fetch(w->fetch_userdata, d->digest, d->size, counting_sink, &c);
	if (r < 0 && !*layer_job_error(job) && w->o->fetch_error) {
		/* the transfer failed, not the layer: say how (e.g. HTTP 503 after retries) */
		const char *why = w->o->fetch_error();
		if (why && *why) {
			record_error(w, r, d, why);
			return r;
		}
	}
	if (r >= 0)
		r = layer_finish(job, NULL);
	if (r < 0) {
		record_error(w, r, d, *layer_job_error(job) ? layer_job_error(job) : NULL);
		return r;
	}
	pthread_mutex_lock(&w->m);
	w->res.unpacked++;
	pthread_mutex_unlock(&w->m);
	log_debug("pull: layer %s: %" PRIu64 " entries", d->digest, layer_job_stats(job)->entries);
	return 0;
}

static void *worker(void *userdata)
{
	struct work *w = userdata;

	for (;;) {
		struct layer_desc *d;

		pthread_mutex_lock(&w->m);
		d = !w->error && w->next < w->n ? &w->layers[w->next++] : NULL;
		pthread_mutex_unlock(&w->m);
		if (!d)
			return NULL;
		if (pull_one(w, d) < 0)
			return NULL;
	}
}

static int layer_from_json(json_object *l, json_object *diff_ids, size_t i, struct layer_desc *d)
{
	json_object *v = json_object_array_get_idx(diff_ids, i);
	uint64_t size = 0;
	int r;

	*d = (struct layer_desc){};
	r = json_get_string(l, "mediaType", &d->media_type);
	if (r >= 0)
		r = json_get_string(l, "digest", &d->digest);
	if (r >= 0)
		r = json_get_uint64_opt(l, "size", &size);
	if (r >= 0)
		r = json_as_string(v, &d->diff_id);
	if (r >= 0)
		r = json_get_object_opt(l, "annotations", &d->annotations);
	d->size = size;
	return r < 0 ? -EBADMSG : 0;
}

/* An encrypted layer is given only to a caller that holds its key, from the store too
 * (upstream reuses a cached layer for anyone): every key is opened before anything else,
 * and kept for the layer's job. */
static int check_keys(const struct pull_opts *o, struct layer_desc *layers, size_t n,
		      struct buf *err)
{
	for (size_t i = 0; i < n; i++) {
		_cleanup_(buf_done) struct buf why = BUF_INIT(1024);
		bool encrypted = false;
		int r;

		if (decomp_from_media_type(layers[i].media_type, &(enum decomp_kind){ 0 },
					   &encrypted) < 0 ||
		    !encrypted)
			continue;
		r = ocicrypt_layer_new(o->decrypt, layers[i].annotations, &layers[i].enc, &why);
		if (r < 0) {
			if (err)
				(void) buf_appendf(err, "layer %s: %s", layers[i].digest,
						   buf_str(&why));
			return r;
		}
	}
	return 0;
}

static void free_keys(struct layer_desc *layers, size_t n)
{
	for (size_t i = 0; layers && i < n; i++)
		layers[i].enc = ocicrypt_layer_free(layers[i].enc);
}

int pull_layers(struct store *st, const struct pull_image *img, pull_blob_fn fetch,
		void *fetch_userdata, const struct pull_opts *o, struct pull_result *ret,
		struct buf *err)
{
	_cleanup_free_ struct layer_desc *layers = NULL;
	_cleanup_free_ const char **digests = NULL;
	_cleanup_free_ pthread_t *threads = NULL;
	_cleanup_free_ bool *held = NULL;
	struct pull_opts defaults;
	json_object *ls, *rootfs, *diff_ids;
	struct work w = {};
	size_t n, n_threads, started = 0;
	int r;

	if (!o) {
		pull_opts_default(&defaults);
		o = &defaults;
	}
	if (json_get_array(img->manifest, "layers", &ls) < 0 ||
	    json_get_object(img->config, "rootfs", &rootfs) < 0 ||
	    json_get_array(rootfs, "diff_ids", &diff_ids) < 0) {
		if (err)
			(void) buf_append_str(err, "manifest without layers or config without "
						   "rootfs.diff_ids");
		return -EBADMSG;
	}
	n = json_object_array_length(ls);
	if (n != json_object_array_length(diff_ids)) {
		if (err)
			(void) buf_appendf(err, "%zu layers but %zu diff_ids", n,
					   json_object_array_length(diff_ids));
		return -EBADMSG;
	}
	layers = calloc(n ? n : 1, sizeof(*layers));
	digests = calloc(n ? n : 1, sizeof(*digests));
	held = calloc(n ? n : 1, sizeof(*held));
	if (!layers || !digests || !held)
		return -ENOMEM;
	for (size_t i = 0; i < n; i++) {
		struct layer_desc d;
		bool dup = false;

		r = layer_from_json(json_object_array_get_idx(ls, i), diff_ids, i, &d);
		if (r < 0) {
			if (err)
				(void) buf_appendf(err, "layer %zu: malformed descriptor", i);
			return r;
		}
		digests[i] = d.digest;
		/* Layers are deduplicated by digest (upstream keys them so). */
		for (size_t k = 0; k < w.n && !dup; k++)
			dup = streq(layers[k].digest, d.digest);
		if (!dup) {
			layers[w.n++] = d;
			w.total += d.size;
		}
	}

	r = check_keys(o, layers, w.n, err);
	if (r >= 0 && store_has_image(st, img->config_digest)) {
		/* upstream: an image already in image_db only gets its bundle made */
		*ret = (struct pull_result){ .cached = true };
		r = 1;
	}
	if (r != 0) {
		free_keys(layers, w.n);
		return r < 0 ? r : 0;
	}

	w.st = st;
	w.o = o;
	w.fetch = fetch;
	w.fetch_userdata = fetch_userdata;
	w.layers = layers;
	w.held = held;
	w.err = err;
	w.res.layers = n;
	pthread_mutex_init(&w.m, NULL);
	n_threads = MIN((size_t) (o->concurrency ? o->concurrency : PULL_DEFAULT_CONCURRENCY), w.n);
	threads = calloc(n_threads ? n_threads : 1, sizeof(*threads));
	if (!threads)
		r = -ENOMEM;
	else if (n_threads <= 1) {
		worker(&w);
		r = 0;
	} else {
		r = 0;
		for (; started < n_threads; started++) {
			r = -pthread_create(&threads[started], NULL, worker, &w);
			if (r < 0)
				break;
		}
		/* The threads that did start finish the work (or stop at an error). */
		for (size_t i = 0; i < started; i++)
			(void) pthread_join(threads[i], NULL);
		if (started > 0)
			r = 0;
	}
	pthread_mutex_destroy(&w.m);
	if (r >= 0)
		r = w.error;
	if (r >= 0)
		r = w.next < w.n ? -EIO : 0;
	if (r >= 0) {
		r = store_image_add(st, img->config_digest, img->manifest_digest, img->reference,
				    img->config, false, digests, n);
		if (r < 0 && err)
			(void) buf_append_str(err, "cannot record the image in the meta store");
	}
	/* recorded (the image now keeps its layers) or failed: the holds go */
	for (size_t i = 0; i < w.n; i++)
		if (held[i])
			store_layer_release(st, layers[i].digest);
	free_keys(layers, w.n); /* of layers no job took (an error stopped the pull) */
	if (r < 0)
		return r;
	*ret = w.res;
	return 0;
}
