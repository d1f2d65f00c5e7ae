/*
 * fuzz_tls.c - the TLS stream parser (tls_feed) on two directions at once.
 *
 * Input format (tests/fuzz/mkcorpus.py writes seeds in it):
 *   byte 0     bits 0-1: who the transport says is the server (the SYN-ACK):
 *                        0 nobody, 1 direction 0, 2 direction 1, 3 direction 1
 *                        but only after the first chunk;
 *              bit 2:    feed each chunk one byte at a time;
 *              bit 3:    a buffer pool of 4 KiB (larger messages refused);
 *              bit 4:    a chain store that refuses every chain;
 *              bit 5:    both directions go through OpenVPN's TCP framing
 *                        first (openvpn.c), as the engine drives it for a
 *                        stream seen from its SYN.
 *   then chunks: a big-endian u16 whose bit 15 is the direction and bits
 *   0-14 the length, then that many bytes (cut to what is left).
 * Each direction keeps the bytes tls_feed() did not consume and offers them
 * again with the next chunk appended, as engine.c does, up to
 * CS_FLOW_DIR_CAP (the reassembly cap) bytes.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "cs_bufpool.h"
#include "cs_chain.h"
#include "cs_limits.h"
#include "cs_openvpn.h"
#include "cs_tls.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

struct pending {
	uint8_t *p;
	size_t n;
};

/* Offer bytes to tls_feed(); returns how many it took. */
static size_t offer(struct tls_conn *c, const struct tls_env *env, int dir, struct cs_slice s)
{
	size_t used = s.n ? tls_feed(c, env, dir, s) : 0;

	if (used > s.n)
		abort(); /* consumed more than offered */
	return used;
}

/* OpenVPN framing below TLS, as engine.c feed_tls() drives it. */
static size_t offer_framed(struct tls_conn *c, const struct tls_env *env, int dir,
			   struct cs_slice s)
{
	struct ovpn *o = &c->framing;
	struct ovpn_stats ost = {0, 0};
	size_t used;

	if (o->d[dir].state == OVPN_UNKNOWN && ovpn_detect(o, dir, s) == CS_MORE)
		return 0;
	if (o->d[dir].state != OVPN_YES && o->d[dir].state != OVPN_DONE)
		return offer(c, env, dir, s);
	used = ovpn_unwrap(o, env->bp, dir, s, &ost);
	if (used > s.n || ovpn_pending(o, dir).n > CS_FLOW_DIR_CAP)
		abort();
	ovpn_consume(o, dir, offer(c, env, dir, ovpn_pending(o, dir)));
	return used;
}

static void feed(struct tls_conn *c, const struct tls_env *env, struct pending *pd, int dir,
		 const uint8_t *p, size_t n, bool framed)
{
	uint8_t *np;

	if (pd->n + n > CS_FLOW_DIR_CAP)
		n = CS_FLOW_DIR_CAP - pd->n; /* the reassembly would refuse the rest */
	np = realloc(pd->p, pd->n + n + 1);
	if (!np)
		abort();
	pd->p = np;
	if (n)
		memcpy(pd->p + pd->n, p, n);
	pd->n += n;
	while (pd->n > 0) {
		struct cs_slice s = {pd->p, pd->n};
		size_t used = framed ? offer_framed(c, env, dir, s) : offer(c, env, dir, s);

		if (used == 0)
			break;
		memmove(pd->p, pd->p + used, pd->n - used);
		pd->n -= used;
		if (c->done)
			break;
	}
}

static void check_results(const struct tls_conn *c)
{
	const struct cs_chain *ch = tls_server_chain(c);
	volatile size_t sink = 0;

	if (ch) {
		if (ch->n_certs == 0 || ch->n_certs > CS_MAX_CHAIN_CERTS || c->server < 0)
			abort();
		for (size_t i = 0; i < ch->n_certs; i++) {
			const struct cs_cert_facts *f = cert_facts(ch->certs[i]);

			sink += ch->certs[i]->der[ch->certs[i]->der_len - 1] + strlen(f->subject) +
				strlen(f->issuer);
		}
	}
	if (c->sni[c->sni_len] != '\0')
		abort(); /* the name may hold NULs: sni_len counts */
	if (c->sid_len > sizeof(c->sid) || c->starttls >= TLS_STARTTLS_MAX)
		abort();
	sink += strlen(tls_outcome_name(tls_outcome(c))) + strlen(tls_version_name(c->version)) +
		strlen(tls_starttls_name((enum tls_starttls)c->starttls));
	sink += tls_seen(c) + tls_unattributed(c);
	if (c->alert_seen)
		sink += strlen(tls_alert_name(c->alert_desc));
	if (c->fingerprinted &&
	    (!memchr(c->ja3, '\0', sizeof(c->ja3)) || !memchr(c->ja4, '\0', sizeof(c->ja4))))
		abort(); /* JA3/JA4 are NUL-terminated strings */
	(void)sink;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct cs_bufpool *bp;
	struct cs_chain_store *chains;
	struct tls_stats st;
	struct tls_env env;
	struct tls_conn c;
	struct pending pd[2] = {{NULL, 0}, {NULL, 0}};
	size_t off = 1, chunks = 0;
	uint8_t mode;

	if (size < 1)
		return 0;
	mode = data[0];
	bp = bufpool_new(mode & 8 ? 4096 : 4u * CS_FLOW_DIR_CAP);
	chains = chain_store_new(mode & 16 ? 0 : 8, 4u * 1024 * 1024);
	if (!bp || !chains)
		abort();
	memset(&st, 0, sizeof st);
	env = (struct tls_env){bp, chains, &st};
	tls_conn_init(&c);
	if ((mode & 3) == 1 || (mode & 3) == 2)
		tls_set_server(&c, (mode & 3) - 1);
	while (off + 2 <= size) {
		unsigned hdr = (unsigned)data[off] << 8 | data[off + 1];
		int dir = hdr >> 15;
		size_t len = hdr & 0x7fff;

		off += 2;
		if (len > size - off)
			len = size - off;
		if (mode & 4) {
			for (size_t i = 0; i < len; i++)
				feed(&c, &env, &pd[dir], dir, data + off + i, 1, mode & 32);
		} else {
			feed(&c, &env, &pd[dir], dir, data + off, len, mode & 32);
		}
		off += len;
		if (++chunks == 1 && (mode & 3) == 3)
			tls_set_server(&c, 1);
	}
	tls_fingerprint(&c, bp); /* from the ClientHello kept as it came */
	check_results(&c);
	tls_conn_release(&c, bp);
	if (bufpool_in_use(bp) != 0)
		abort(); /* a buffer escaped tls_conn_release() */
	free(pd[0].p);
	free(pd[1].p);
	chain_store_free(chains);
	bufpool_free(bp);
	return 0;
}
