/*
 * fuzz_cert.c - the Certificate message path.
 *
 * Input: a TLS Certificate message body (RFC 5246 7.4.2: a u24 list length,
 * then u24-prefixed DER entries; the list length is not trusted, entries
 * are read while they fit).  The entries are interned in a chain store
 * with chain_store_intern(), interned again (must be found, same chain),
 * every fact is parsed (cert_facts, once) and read back, and a certificate
 * sent twice must be one stored entry.  The same bytes are
 * also fed to tls_feed() as the Certificate message of a known server, in
 * one record or, when it does not fit, across records.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "cs_bufpool.h"
#include "cs_chain.h"
#include "cs_limits.h"
#include "cs_tls.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_chain(const struct cs_chain *ch, const struct cs_slice *certs, size_t n)
{
	uint8_t sha[CS_SHA256_LEN];
	volatile size_t sink = 0;

	if (ch->n_certs != n)
		abort();
	chain_hash(certs, n, sha);
	if (memcmp(sha, ch->sha256, sizeof sha) != 0)
		abort();
	for (size_t i = 0; i < n; i++) {
		struct cs_cert *c = ch->certs[i];
		const struct cs_cert_facts *ci = cert_facts(c);

		if (c->der_len != certs[i].n || memcmp(c->der, certs[i].p, certs[i].n) != 0)
			abort();
		if (!ci->subject || !ci->issuer || !ci->serial_hex || cert_facts(c) != ci)
			abort();
		sink += strlen(ci->subject) + strlen(ci->issuer) + strlen(ci->serial_hex);
		if (!ci->parsed && (ci->subject[0] || ci->not_before || ci->not_after))
			abort();
		/* a certificate sent twice is one entry; distinct ones are not */
		for (size_t k = 0; k < i; k++)
			if ((ch->certs[k] == c) !=
			    (certs[k].n == certs[i].n &&
			     memcmp(certs[k].p, certs[i].p, certs[i].n) == 0))
				abort();
	}
	(void)sink;
}

static void via_tls(const uint8_t *data, size_t size)
{
	struct cs_bufpool *bp = bufpool_new(4u * CS_FLOW_DIR_CAP);
	struct cs_chain_store *chains = chain_store_new(4, 8u * 1024 * 1024);
	struct tls_stats st;
	struct tls_env env;
	struct tls_conn c;
	uint8_t hdr[9];
	size_t off = 0;

	if (!bp || !chains)
		abort();
	memset(&st, 0, sizeof st);
	env = (struct tls_env){bp, chains, &st};
	tls_conn_init(&c);
	tls_set_server(&c, 1);
	/* handshake header in its own record, then the body in records of
	 * at most 16384 bytes */
	hdr[0] = 22, hdr[1] = 3, hdr[2] = 3, hdr[3] = 0, hdr[4] = 4;
	hdr[5] = 11;
	hdr[6] = (uint8_t)(size >> 16), hdr[7] = (uint8_t)(size >> 8), hdr[8] = (uint8_t)size;
	tls_feed(&c, &env, 1, (struct cs_slice){hdr, sizeof hdr});
	while (off < size) {
		size_t n = size - off > 16384 ? 16384 : size - off;
		uint8_t *rec = malloc(5 + n);

		if (!rec)
			abort();
		rec[0] = 22, rec[1] = 3, rec[2] = 3;
		rec[3] = (uint8_t)(n >> 8), rec[4] = (uint8_t)n;
		memcpy(rec + 5, data + off, n);
		if (tls_feed(&c, &env, 1, (struct cs_slice){rec, 5 + n}) > 5 + n)
			abort();
		free(rec);
		off += n;
	}
	if (tls_server_chain(&c) && tls_server_chain(&c)->n_certs == 0)
		abort();
	tls_conn_release(&c, bp);
	chain_store_free(chains);
	bufpool_free(bp);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct cs_slice certs[CS_MAX_CHAIN_CERTS];
	struct cs_chain_store *store;
	const struct cs_chain *a, *b;
	size_t n = 0, off = 3;
	bool added;

	if (size > CS_TLS_MAX_HS_MSG)
		return 0;
	via_tls(data, size);
	while (n < CS_MAX_CHAIN_CERTS && off + 3 <= size) {
		size_t len = (size_t)data[off] << 16 | (size_t)data[off + 1] << 8 | data[off + 2];

		off += 3;
		if (len == 0 || len > size - off)
			break;
		certs[n++] = (struct cs_slice){data + off, len};
		off += len;
	}
	if (n == 0)
		return 0;
	store = chain_store_new(4, 8u * 1024 * 1024);
	if (!store)
		abort();
	if (chain_store_intern(store, certs, n, &a, &added) != CS_OK || !added)
		abort();
	check_chain(a, certs, n);
	if (chain_store_intern(store, certs, n, &b, &added) != CS_OK || added || a != b)
		abort();
	if (chain_store_count(store) != 1 || chain_store_get(store, 0) != a)
		abort();
	chain_store_free(store);
	return 0;
}
