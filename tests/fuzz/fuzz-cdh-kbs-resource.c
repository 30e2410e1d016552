/* SPDX-License-Identifier: Apache-2.0 */
/* The CDH's KBS resource answer (kbs_client_parse_resource, cdh/kbs/kbs-client.c) under
 * fixed TEE keys, as the AA hands them over (PEM). Byte 0 picks the key: '2' P-256, '5'
 * P-521, 'R' RSA-2048; byte 1 the HTTP status: 'O' 200, 'U' 401, 'N' 404, else 500; the
 * rest is the body. Errors must be the documented ones for that status, and the reason
 * put in the reply must be there and printable. The corpus is made by
 * tests/fuzz/make-kbs-corpus.py for exactly these keys (test keys, nothing else). */
#include <stdlib.h>
#include <string.h>

#include "cdh/kbs/kbs-client.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char p256_pem[] = "-----BEGIN PRIVATE KEY-----\n"
			       "MIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQgUGvILZGKbAefU336\n"
			       "CG/nl7tbgUGMl1H/Kz/JRom76behRANCAASY3OtN3BAh+FVUeht1hrf5cCi5ltlV\n"
			       "pyYYj7DVTkfiSthE7DA6wPSkTubBbPgZkCcHZ2CP3wUGvDcoQQHutLBj\n"
			       "-----END PRIVATE KEY-----\n";
static const char p521_pem[] = "-----BEGIN PRIVATE KEY-----\n"
			       "MIHuAgEAMBAGByqGSM49AgEGBSuBBAAjBIHWMIHTAgEBBEIAG9OPlokn3IgVGWdG\n"
			       "JjpwezH0fWA6phXwk/zDoTQlKEM+IMr8wMYgDDO7fRZ4g61kuLSaLfmzV9Vb3Y6V\n"
			       "yz8vKiahgYkDgYYABAFEoorG39aiPiQ65zzXL/CGUD8V+0bAohi4NcRh5Sy97Shn\n"
			       "9pr/eGfXkswwsl8dYJl0jX+pdVN8HvW+1iQaldMieQAjxQRy/5mSsaXicm4cmIQ5\n"
			       "aIYB0swH4b1exrii5lfrbCXCHlOESpxmIpcZsClteoahBQXs2lhrgKJB5sXPklzI\n"
			       "zQ==\n"
			       "-----END PRIVATE KEY-----\n";
static const char rsa_pem[] = "-----BEGIN RSA PRIVATE KEY-----\n"
			      "MIIEowIBAAKCAQEAqHHKgQtevsnnq8WgKqM5A0HV14kmzMkHD5dxs9aJ7qsHj2my\n"
			      "B43FZsackfDK3mL16KAcg3CVESawD9XOEhniRobb3TtxXqkZVvdRXsQh6UTiWTQX\n"
			      "CZKqCL+eSdw9rEue3gBTNsirZyLhSzYfhmeLIJsNbjskZlYgfNUbrAP0fiAcsuiN\n"
			      "At8dbBfrHSfkEMhafy8SAWssJaHzTjXqsMn5wcdNGV4enUaGNiGK0vAwl+NroJO7\n"
			      "RY8YX0M9Vrst6h8nSK/AMN0ajKIOO7abzCx82C0EhJnkiVIZgtaH1W8R9y6yiYrs\n"
			      "jTFN440HBjGEMtqiDC05bpmSHkZQJ5jSkLJJHwIDAQABAoIBAAm0hLZqsUrM10xO\n"
			      "VqweO2q0oF2KyXGDI6UCVMrH0aqusADTVi6ZPIZvaxX9ibLGgOSmVP49vlj+oaZH\n"
			      "61efpinqG0Dj6+RIWe1o0odjRZDrJx98oNcsXB+k6rnWtrb2pHCmFCVT6oxGtjRf\n"
			      "KfHUhW+bf2qafb5nt/d5T97ZW3zoxLKbst1+gwJwHa87Ye1oFxsMaBXJV1kteIFm\n"
			      "6Sk3xa8izPHn/vy3xkMJ6l1nHXgaISt3El/0jTHBEor6LnWO9nLLQWiJm2EFcirB\n"
			      "2ZYm74yk7JPhbGldInbmBKo+s0AqrURtCYOQvPwKhMJ6qaWNK0iRApIqxK3QH7/2\n"
			      "d8p+cAECgYEA5UKvPWBvPifCTnWTfRg2ztsaenAvGciDqAExfuDcoFkKG6WBlHPO\n"
			      "bVH6wzW5d6Db3saAxkgvSZrSEuLy0zlSdhItOIIYUFPZfU62F5CSAaqzwGAyKyoA\n"
			      "r2c3Dz9hLnxx8XzqIn5YZzQpZcIGAx5XAcM4o+kJjaelutCA1rh+yWECgYEAvBc/\n"
			      "cs7RdxEjtJAvcTj5YAnO9LTvP8CWljmIC0LY0ENITmvu63gyeLNTbis3EfeZXL5l\n"
			      "i0sBoMfQVQZyBQNqQEfAE1uUy6u16MbDee13YfxbWlMvTCqaYBJer+PthBlALqtj\n"
			      "GTQeSZ2GSZr9H3BBZmeUXxGs12gzMHP11Lp9on8CgYAKn715LafaDIOfmSk9icq4\n"
			      "aUTf2aUFH9qiBXQiug7fS2EBiPjpRTiSrlLdivbOSWEHANHk3mF6mrcTcvrnuOdO\n"
			      "W2dHEBhKWKhieyxLCUMK2rs7tfl9MJQZjMHrbfd17QRmuXAsKwizt6IXehdHO7ey\n"
			      "eDZ+ugTcUKGId7MQwDn34QKBgHs+SGazuXBpHJotd8iaalxRUPfqrnF5gbJBVDD8\n"
			      "xhAAZhpsgoprobaQ2fPwAQ+WyziH0QVqSlDNXGa56G/8gtxHp0WH1oF1q6YwxtjX\n"
			      "jkf4EOuoYe9oYurcXoqlsHXEDdgGmNJk4gueWeVU1tKIvXGaIRACBtzF+/SdptCS\n"
			      "ucuFAoGBALJhWOa3Nknf40+SSoA1Qjmqi1TVPy+3E6wO6dAtcbkczt6juhrHiy5t\n"
			      "4rs3ONMaT91/8V7ITK4RftCRism5ph7hopE0OQzrLlWTONffOVTMIdt+NzuDT2Dv\n"
			      "bDjX5amUQKucNkas4OsRcLq6SDINy2sTUofjE7LFaNT3rYN0ORMY\n"
			      "-----END RSA PRIVATE KEY-----\n";

static struct crypto_pk *keys[3];
static volatile uint8_t sink;

static void load_keys(void)
{
	const char *pem[] = { p256_pem, p521_pem, rsa_pem };

	if (keys[0])
		return;
	for (size_t i = 0; i < ELEMENTSOF(pem); i++)
		if (crypto_pk_import(pem[i], strlen(pem[i]), &keys[i]) < 0)
			abort();
}

static bool jwe_error(int r)
{
	return r == -EBADMSG || r == -EKEYREJECTED || r == -ENOKEY || r == -EOPNOTSUPP ||
	       r == -E2BIG || r == -ENOMEM;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	_cleanup_secret_ struct secret *pt = NULL;
	const struct crypto_pk *key;
	const char *why;
	long status;
	int r;

	load_keys();
	if (size < 2 || size > (1 << 20))
		return 0;
	key = data[0] == '2' ? keys[0] : data[0] == '5' ? keys[1] : data[0] == 'R' ? keys[2] : NULL;
	if (!key)
		return 0;
	status = data[1] == 'O' ? 200 : data[1] == 'U' ? 401 : data[1] == 'N' ? 404 : 500;
	cdh_kms_set_reason("%s", "");
	r = kbs_client_parse_resource(status, data + 2, size - 2, key, &pt);
	if ((r < 0) != (pt == NULL))
		abort();
	switch (status) {
	case 200:
		if (r < 0 && !jwe_error(r))
			abort();
		break;
	case 401:
		if (r != -EACCES)
			abort();
		break;
	case 404:
		if (r != -ENOENT)
			abort();
		break;
	default:
		if (r != -EPROTO)
			abort();
	}
	why = cdh_kms_reason();
	if (r < 0 && !why[0])
		abort();
	for (const char *p = why; *p; p++)
		if (*p < 0x20 || *p > 0x7e)
			abort();
	if (pt)
		for (size_t i = 0; i < pt->n; i++)
			sink ^= pt->p[i];
	return 0;
}
