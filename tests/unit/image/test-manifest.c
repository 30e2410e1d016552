/* SPDX-License-Identifier: Apache-2.0 */
/* image-rs/manifest: OCI and Docker manifests and indexes (image-spec examples),
 * platform selection, image configs, the diff_ids check, and the media-type table. */
#include "image-rs/manifest.h"
#include "tests/unit/tests.h"

#define D1 "sha256:b5b2b2c507a0944348e0303114d8d93aaaa081732b86451d9bce1f432a537bc7"
#define D2 "sha256:9834876dcfb05cb167a5c24953eba58c4ac89b1adf57f28f2f9d09af107ee8f0"
#define D3 "sha256:3c3a4604a545cdc127456d94e421cd355bca5b528f4a9c1905b15da2eb4a4c6b"
#define D4 "sha256:ec4b8955958665577945c89419d1af06b5f7636b4ac3da7f12184802ad867736"

/* image-spec manifest.md example, with layer annotations */
static const char oci_manifest[] =
    "{\"schemaVersion\":2,\"mediaType\":\"application/vnd.oci.image.manifest.v1+json\","
    "\"config\":{\"mediaType\":\"application/vnd.oci.image.config.v1+json\",\"digest\":\"" D1
    "\",\"size\":7023},"
    "\"layers\":[{\"mediaType\":\"application/vnd.oci.image.layer.v1.tar+gzip\",\"digest\":\"" D2
    "\",\"size\":32654},"
    "{\"mediaType\":\"application/vnd.oci.image.layer.v1.tar+gzip+encrypted\",\"digest\":\"" D3
    "\",\"size\":16724,\"annotations\":{\"org.opencontainers.image.enc.keys.jwe\":\"eyJ\","
    "\"org.opencontainers.image.enc.pubopts\":\"e30=\"}},"
    "{\"mediaType\":\"application/vnd.oci.image.layer.v1.tar+zstd\",\"digest\":\"" D4
    "\",\"size\":73109}],"
    "\"annotations\":{\"com.example.key1\":\"value1\"}}";

static void test_oci_manifest(void)
{
	_cleanup_(manifest_freep) struct manifest *m = NULL;

	ASSERT_OK(manifest_parse(oci_manifest, strlen(oci_manifest), NULL, &m));
	ASSERT_EQ(m->kind, MANIFEST_KIND_IMAGE);
	ASSERT_STREQ(m->media_type, MT_OCI_MANIFEST);
	ASSERT_STREQ(m->config.media_type, MT_OCI_CONFIG);
	ASSERT_STREQ(m->config.digest_str, D1);
	ASSERT_EQ(m->config.size, 7023);
	ASSERT_EQ(m->n_layers, 3);
	ASSERT_STREQ(m->layers[0].digest_str, D2);
	ASSERT_EQ(m->layers[0].digest.alg, DIGEST_SHA256);
	ASSERT_EQ(m->layers[0].digest.d[0], 0x98);
	ASSERT_EQ(m->layers[1].n_annotations, 2);
	ASSERT_STREQ(m->layers[1].annotations[0].key, "org.opencontainers.image.enc.keys.jwe");
	ASSERT_STREQ(
	    manifest_descriptor_annotation(&m->layers[1], "org.opencontainers.image.enc.pubopts"),
	    "e30=");
	ASSERT_TRUE(manifest_descriptor_annotation(&m->layers[0], "x") == NULL);
	ASSERT_EQ(m->layers[2].size, 73109);
}

static const char docker_manifest[] =
    "{\"schemaVersion\":2,\"mediaType\":\"application/vnd.docker.distribution.manifest.v2+json\","
    "\"config\":{\"mediaType\":\"application/vnd.docker.container.image.v1+json\",\"size\":1469,"
    "\"digest\":\"" D1 "\"},"
    "\"layers\":[{\"mediaType\":\"application/vnd.docker.image.rootfs.diff.tar.gzip\","
    "\"size\":2479,\"digest\":\"" D2 "\"}]}";

static void test_docker_manifest(void)
{
	_cleanup_(manifest_freep) struct manifest *m = NULL, *n = NULL;
	/* same without mediaType: taken from the Content-Type */
	const char *nomt = "{\"schemaVersion\":2,\"config\":{\"mediaType\":\"x\",\"size\":1,"
			   "\"digest\":\"" D1 "\"},\"layers\":[]}";

	ASSERT_OK(manifest_parse(docker_manifest, strlen(docker_manifest),
				 "application/vnd.docker.distribution.manifest.v2+json", &m));
	ASSERT_EQ(m->kind, MANIFEST_KIND_IMAGE);
	ASSERT_STREQ(m->media_type, MT_DOCKER_MANIFEST);
	ASSERT_EQ(m->n_layers, 1);
	ASSERT_OK(manifest_parse(nomt, strlen(nomt), MT_DOCKER_MANIFEST "; charset=utf-8", &n));
	ASSERT_STREQ(n->media_type, MT_DOCKER_MANIFEST);
	ASSERT_EQ(n->n_layers, 0);
	n = manifest_free(n);
	ASSERT_OK(manifest_parse(nomt, strlen(nomt), NULL, &n));
	ASSERT_STREQ(n->media_type, MT_OCI_MANIFEST);
}

/* image-index.md example plus a variant and an entry without platform */
static const char oci_index[] =
    "{\"schemaVersion\":2,\"mediaType\":\"application/vnd.oci.image.index.v1+json\","
    "\"manifests\":["
    "{\"mediaType\":\"application/vnd.oci.image.manifest.v1+json\",\"size\":7143,\"digest\":\"" D1
    "\",\"platform\":{\"architecture\":\"ppc64le\",\"os\":\"linux\"}},"
    "{\"mediaType\":\"application/vnd.oci.image.manifest.v1+json\",\"size\":7682,\"digest\":\"" D2
    "\",\"platform\":{\"architecture\":\"arm64\",\"os\":\"linux\",\"variant\":\"v8\"}},"
    "{\"mediaType\":\"application/vnd.oci.image.manifest.v1+json\",\"size\":100,\"digest\":\"" D3
    "\"},"
    "{\"mediaType\":\"application/vnd.oci.image.manifest.v1+json\",\"size\":7682,\"digest\":\"" D4
    "\",\"platform\":{\"architecture\":\"arm64\",\"os\":\"linux\",\"variant\":\"v9\"}},"
    "{\"mediaType\":\"application/vnd.oci.image.manifest.v1+json\",\"size\":5,\"digest\":\"" D3
    "\",\"platform\":{\"architecture\":\"amd64\",\"os\":\"windows\"}},"
    "{\"mediaType\":\"application/vnd.oci.image.manifest.v1+json\",\"size\":6,\"digest\":\"" D4
    "\",\"platform\":{\"architecture\":\"amd64\",\"os\":\"linux\"}}"
    "]}";

static void test_index_and_platform(void)
{
	_cleanup_(manifest_freep) struct manifest *m = NULL, *img = NULL;
	const struct manifest_descriptor *e = NULL;

	ASSERT_OK(manifest_parse(oci_index, strlen(oci_index), NULL, &m));
	ASSERT_EQ(m->kind, MANIFEST_KIND_INDEX);
	ASSERT_EQ(m->n_entries, 6);
	ASSERT_TRUE(m->entries[2].os == NULL);

	ASSERT_OK(manifest_select_platform(m, "linux", "ppc64le", NULL, &e));
	ASSERT_STREQ(e->digest_str, D1);
	/* variant ignored as upstream: the first arm64 entry */
	ASSERT_OK(manifest_select_platform(m, "linux", "arm64", NULL, &e));
	ASSERT_STREQ(e->digest_str, D2);
	ASSERT_STREQ(e->variant, "v8");
	/* asked for a variant: a differing one is skipped */
	ASSERT_OK(manifest_select_platform(m, "linux", "arm64", "v9", &e));
	ASSERT_STREQ(e->digest_str, D4);
	/* os must match too */
	ASSERT_OK(manifest_select_platform(m, "linux", "amd64", NULL, &e));
	ASSERT_EQ(e->size, 6);
	ASSERT_ERR(manifest_select_platform(m, "linux", "s390x", NULL, &e), -ENOENT);
	ASSERT_ERR(manifest_select_platform(m, "freebsd", "amd64", NULL, &e), -ENOENT);

	/* an index without mediaType is told by its "manifests" member */
	{
		const char *x = "{\"schemaVersion\":2,\"manifests\":[]}";

		ASSERT_OK(manifest_parse(x, strlen(x), NULL, &img));
		ASSERT_EQ(img->kind, MANIFEST_KIND_INDEX);
		ASSERT_ERR(manifest_select_platform(img, "linux", "amd64", NULL, &e), -ENOENT);
	}
	img = manifest_free(img);
	ASSERT_OK(manifest_parse(oci_manifest, strlen(oci_manifest), NULL, &img));
	ASSERT_ERR(manifest_select_platform(img, "linux", "amd64", NULL, &e), -EINVAL);

	ASSERT_TRUE(strlen(manifest_go_arch()) > 0);
#if defined(__x86_64__)
	ASSERT_STREQ(manifest_go_arch(), "amd64");
#elif defined(__aarch64__)
	ASSERT_STREQ(manifest_go_arch(), "arm64");
#endif
}

static void bad_manifest(const char *s, int err)
{
	struct manifest *m = NULL;

	printf("# bad: %.100s\n", s);
	ASSERT_ERR(manifest_parse(s, strlen(s), NULL, &m), err);
	ASSERT_TRUE(m == NULL);
}

#define CFG "\"config\":{\"mediaType\":\"c\",\"size\":1,\"digest\":\"" D1 "\"}"
#define LAYER(size, digest) "{\"mediaType\":\"l\",\"size\":" size ",\"digest\":\"" digest "\"}"

static void test_manifest_errors(void)
{
	bad_manifest("", -EBADMSG);
	bad_manifest("[]", -EBADMSG);
	bad_manifest("{\"schemaVersion\":1,\"name\":\"x\",\"fsLayers\":[]}", -EOPNOTSUPP);
	bad_manifest("{\"schemaVersion\":\"2\"}", -EBADMSG);
	bad_manifest("{\"schemaVersion\":2,\"mediaType\":\"application/json\"}", -EOPNOTSUPP);
	bad_manifest("{\"schemaVersion\":2," CFG "}", -EBADMSG);
	bad_manifest("{\"schemaVersion\":2,\"layers\":[]}", -EBADMSG);
	bad_manifest("{\"schemaVersion\":2," CFG ",\"layers\":[" LAYER("-1", D2) "]}", -EBADMSG);
	bad_manifest("{\"schemaVersion\":2," CFG ",\"layers\":[" LAYER("1.5", D2) "]}", -EBADMSG);
	bad_manifest("{\"schemaVersion\":2," CFG ",\"layers\":[" LAYER("\"1\"", D2) "]}", -EBADMSG);
	bad_manifest("{\"schemaVersion\":2," CFG ",\"layers\":[" LAYER("70368744177665", D2) "]}",
		     -EBADMSG);
	bad_manifest("{\"schemaVersion\":2," CFG ",\"layers\":[" LAYER("1", "sha256:abc") "]}",
		     -EBADMSG);
	bad_manifest(
	    "{\"schemaVersion\":2," CFG ",\"layers\":[" LAYER(
		"1",
		"SHA256:9834876dcfb05cb167a5c24953eba58c4ac89b1adf57f28f2f9d09af107ee8f0") "]}",
	    -EBADMSG);
	bad_manifest("{\"schemaVersion\":2," CFG ",\"layers\":[" LAYER("1", "blake3:abcd") "]}",
		     -EOPNOTSUPP);
	bad_manifest("{\"schemaVersion\":2," CFG ",\"layers\":[{\"size\":1,\"digest\":\"" D2
		     "\"}]}",
		     -EBADMSG);
	bad_manifest("{\"schemaVersion\":2," CFG ",\"layers\":[" LAYER("1", D2) "],\"layers\":[]}",
		     -EBADMSG);
	bad_manifest("{\"schemaVersion\":2,\"config\":{\"mediaType\":\"c\",\"size\":4194305,"
		     "\"digest\":\"" D1 "\"},\"layers\":[]}",
		     -EBADMSG);
	bad_manifest("{\"schemaVersion\":2,\"manifests\":[{\"mediaType\":\"m\",\"size\":1,"
		     "\"digest\":\"" D1 "\",\"platform\":{\"os\":\"linux\"}}]}",
		     -EBADMSG);
	bad_manifest("{\"schemaVersion\":2," CFG ",\"layers\":[{\"mediaType\":\"l\",\"size\":1,"
		     "\"digest\":\"" D2 "\",\"annotations\":{\"k\":1}}]}",
		     -EBADMSG);

	/* more layers than allowed */
	{
		size_t n = MANIFEST_MAX_LAYERS + 1, cap = 200 * n + 256;
		char *s = malloc(cap), *p;

		ASSERT_TRUE(s);
		p = s + sprintf(s, "{\"schemaVersion\":2," CFG ",\"layers\":[");
		for (size_t i = 0; i < n; i++)
			p += sprintf(p, "%s" LAYER("1", D2), i ? "," : "");
		strcpy(p, "]}");
		bad_manifest(s, -EBADMSG);
		free(s);
	}
}

static const char config[] =
    "{\"created\":\"2015-10-31T22:22:56.015925234Z\",\"architecture\":\"amd64\",\"os\":\"linux\","
    "\"config\":{\"User\":\"alice\",\"ExposedPorts\":{\"8080/tcp\":{}},"
    "\"Env\":[\"PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/"
    "bin\",\"FOO=oci_is_a\"],"
    "\"Entrypoint\":[\"/bin/my-app-binary\"],\"Cmd\":[\"--foreground\",\"--config\",\"/etc/"
    "my-app.d/default.cfg\"],"
    "\"Volumes\":{\"/var/job-result-data\":{},\"/var/log/my-app-logs\":{}},"
    "\"WorkingDir\":\"/home/alice\",\"Labels\":{\"com.example.project.git.url\":\"https://"
    "example.com/project.git\"},\"StopSignal\":\"SIGTERM\"},"
    "\"rootfs\":{\"diff_ids\":[\"" D3 "\",\"" D4 "\"],\"type\":\"layers\"},"
    "\"history\":[{\"created\":\"2015-10-31T22:22:54.690851953Z\",\"created_by\":\"/bin/sh\"}]}";

static void test_config(void)
{
	_cleanup_(image_config_freep) struct image_config *c = NULL;
	_cleanup_(manifest_freep) struct manifest *m = NULL;

	ASSERT_OK(image_config_parse(config, strlen(config), &c));
	ASSERT_STREQ(c->os, "linux");
	ASSERT_STREQ(c->architecture, "amd64");
	ASSERT_TRUE(c->variant == NULL);
	ASSERT_STREQ(c->user, "alice");
	ASSERT_STREQ(c->working_dir, "/home/alice");
	ASSERT_STREQ(c->env[1], "FOO=oci_is_a");
	ASSERT_TRUE(c->env[2] == NULL);
	ASSERT_STREQ(c->entrypoint[0], "/bin/my-app-binary");
	ASSERT_STREQ(c->cmd[2], "/etc/my-app.d/default.cfg");
	ASSERT_STREQ(c->volumes[1], "/var/log/my-app-logs");
	ASSERT_STREQ(c->exposed_ports[0], "8080/tcp");
	ASSERT_EQ(c->n_labels, 1);
	ASSERT_STREQ(c->labels[0].value, "https://example.com/project.git");
	ASSERT_STREQ(c->stop_signal, "SIGTERM");
	ASSERT_EQ(c->n_diff_ids, 2);
	ASSERT_STREQ(c->diff_ids[1], D4);
	ASSERT_EQ(c->diff_id_digests[0].d[0], 0x3c);

	/* 3 layers vs 2 diff_ids */
	ASSERT_OK(manifest_parse(oci_manifest, strlen(oci_manifest), NULL, &m));
	ASSERT_ERR(manifest_check_config(m, c), -EBADMSG);
	m->n_layers = 2;
	ASSERT_OK(manifest_check_config(m, c));
	m->n_layers = 3;
}

static void test_config_minimal_and_errors(void)
{
	static const char *const bad[] = {
		"{}",
		"{\"os\":\"linux\",\"architecture\":\"amd64\"}",
		"{\"os\":\"linux\",\"architecture\":\"amd64\",\"rootfs\":{\"type\":\"x\",\"diff_"
		"ids\":[]}}",
		"{\"os\":\"linux\",\"architecture\":\"amd64\",\"rootfs\":{\"type\":\"layers\","
		"\"diff_ids\":[\"sha256:00\"]}}",
		"{\"os\":\"linux\",\"architecture\":\"amd64\",\"rootfs\":{\"type\":\"layers\","
		"\"diff_ids\":[1]}}",
		"{\"os\":\"linux\",\"rootfs\":{\"type\":\"layers\",\"diff_ids\":[]}}",
		"{\"os\":\"linux\",\"architecture\":\"amd64\",\"rootfs\":{\"type\":\"layers\","
		"\"diff_ids\":[]},\"config\":{\"Env\":\"A=1\"}}",
		"{\"os\":\"linux\",\"architecture\":\"amd64\",\"rootfs\":{\"type\":\"layers\","
		"\"diff_ids\":[]},\"config\":{\"Cmd\":[1]}}",
		"{\"os\":\"linux\",\"architecture\":\"amd64\",\"rootfs\":{\"type\":\"layers\","
		"\"diff_ids\":[]},\"config\":{\"Labels\":{\"a\":null}}}",
	};
	const char *min = "{\"os\":\"linux\",\"architecture\":\"arm64\",\"variant\":\"v8\","
			  "\"rootfs\":{\"type\":\"layers\",\"diff_ids\":[]},"
			  "\"config\":{\"Entrypoint\":null,\"Cmd\":null,\"Env\":null}}";
	struct image_config *c = NULL;

	for (size_t i = 0; i < ELEMENTSOF(bad); i++) {
		printf("# bad config %zu\n", i);
		ASSERT_ERR(image_config_parse(bad[i], strlen(bad[i]), &c), -EBADMSG);
	}
	ASSERT_OK(image_config_parse(min, strlen(min), &c));
	ASSERT_STREQ(c->variant, "v8");
	ASSERT_TRUE(c->cmd == NULL && c->entrypoint == NULL && c->env == NULL && c->user == NULL);
	c = image_config_free(c);
}

static void test_media_types(void)
{
	static const struct {
		const char *mt;
		int r;
		enum layer_compression c;
		bool enc;
	} t[] = {
		{ "application/vnd.oci.image.layer.v1.tar", 0, LAYER_COMPRESSION_NONE, false },
		{ "application/vnd.oci.image.layer.nondistributable.v1.tar", 0,
		  LAYER_COMPRESSION_NONE, false },
		{ "application/vnd.oci.image.layer.v1.tar+gzip", 0, LAYER_COMPRESSION_GZIP, false },
		{ "application/vnd.oci.image.layer.nondistributable.v1.tar+gzip", 0,
		  LAYER_COMPRESSION_GZIP, false },
		{ "application/vnd.docker.image.rootfs.diff.tar.gzip", 0, LAYER_COMPRESSION_GZIP,
		  false },
		{ "application/vnd.docker.image.rootfs.diff.tar", 0, LAYER_COMPRESSION_NONE,
		  false },
		{ "application/vnd.oci.image.layer.v1.tar+zstd", 0, LAYER_COMPRESSION_ZSTD, false },
		{ "application/vnd.oci.image.layer.nondistributable.v1.tar+zstd", 0,
		  LAYER_COMPRESSION_ZSTD, false },
		{ "application/vnd.oci.image.layer.v1.tar+encrypted", 0, LAYER_COMPRESSION_NONE,
		  true },
		{ "application/vnd.oci.image.layer.v1.tar+gzip+encrypted", 0,
		  LAYER_COMPRESSION_GZIP, true },
		{ "application/vnd.oci.image.layer.nondistributable.v1.tar+gzip+encrypted", 0,
		  LAYER_COMPRESSION_GZIP, true },
		{ "application/vnd.oci.image.layer.v1.tar+zstd+encrypted", 0,
		  LAYER_COMPRESSION_ZSTD, true },
		{ "application/vnd.docker.image.rootfs.foreign.diff.tar.gzip", -EOPNOTSUPP, 0,
		  false },
		{ "application/vnd.oci.image.layer.v1.tar+bzip2", -EOPNOTSUPP, 0, false },
		{ "application/vnd.oci.image.layer.v1.tar+gzip ", -EOPNOTSUPP, 0, false },
		{ "", -EOPNOTSUPP, 0, false },
	};

	for (size_t i = 0; i < ELEMENTSOF(t); i++) {
		enum layer_compression c = 99;
		bool enc = !t[i].enc;

		ASSERT_ERR(manifest_layer_media_type(t[i].mt, &c, &enc), t[i].r);
		if (t[i].r == 0) {
			ASSERT_EQ(c, t[i].c);
			ASSERT_EQ(enc, t[i].enc);
		}
	}
	ASSERT_EQ(manifest_kind_from_media_type(MT_DOCKER_LIST), MANIFEST_KIND_INDEX);
	ASSERT_EQ(manifest_kind_from_media_type(
		      "application/vnd.docker.distribution.manifest.v1+prettyjws"),
		  MANIFEST_KIND_UNKNOWN);
}

TESTS(test_oci_manifest, test_docker_manifest, test_index_and_platform, test_manifest_errors,
      test_config, test_config_minimal_and_errors, test_media_types)
