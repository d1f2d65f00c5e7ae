/*
 * test_tls.c - the TLS record and handshake layers (cs_tls.h): handshakes
 * built byte by byte in the test (record(), handshake(), client_hello(),
 * server_hello(), certificate() ...), fed through tls_feed() the way the
 * engine does it (offer the contiguous bytes, drop what was consumed, offer
 * the rest again with the next segment appended), then checked field by
 * field.  Every parser path is also walked at every split point, every
 * truncation offset and under byte flips (CONTRIBUTING.md, "Tests").
 *
 * The real certificates in tests/fixtures/chain/ are used where the parsed
 * facts matter; elsewhere certificates are arbitrary bytes (the chain store
 * keeps them with parsed=false).  Run from the repository root.
 *
 * Tests marked "BUG:" fail against the current src/tls.c on purpose; the
 * comment says what is expected and what happens.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cs_bufpool.h"
#include "cs_chain.h"
#include "cs_limits.h"
#include "cs_tls.h"
#include "testlib.h"

enum { CLI = 0, SRV = 1 };

enum {
	CT_CCS = 20,
	CT_ALERT = 21,
	CT_HS = 22,
	CT_APP = 23,
};

enum {
	HS_CH = 1,
	HS_SH = 2,
	HS_NST = 4,
	HS_HRR_DRAFT = 6,
	HS_CERT = 11,
	HS_SKE = 12,
	HS_CR = 13,
	HS_SHD = 14,
	HS_CV = 15,
	HS_CKE = 16,
};

/* ---- byte builders: testlib's slices (freed by tl_arena_free) ------------- */

static const struct cs_slice NONE = {NULL, 0};

/* RFC 5246 6.2.1 */
static struct cs_slice record(uint8_t type, uint16_t version, struct cs_slice body)
{
	return SL_JOIN(sl_num(1, type), sl_num(2, version), sl_num(2, (uint32_t)body.n), body);
}

static struct cs_slice hsrec(struct cs_slice msgs) { return record(CT_HS, 0x0303, msgs); }

/* RFC 5246 7.4 */
static struct cs_slice handshake(uint8_t type, struct cs_slice body)
{
	return SL_JOIN(sl_num(1, type), sl_vec(3, body));
}

static struct cs_slice extension(uint16_t type, struct cs_slice body)
{
	return SL_JOIN(sl_num(2, type), sl_vec(2, body));
}

static struct cs_slice ext_sni(const char *host)
{
	return extension(0, sl_vec(2, SL_JOIN(sl_num(1, 0), sl_vec(2, sl_str(host)))));
}

/* supported_versions as the client sends it: a list */
static struct cs_slice ext_versions_ch(void)
{
	return extension(43, sl_vec(1, SL_JOIN(sl_num(2, 0x0304), sl_num(2, 0x0303))));
}

/* supported_versions as the server sends it: the selected version */
static struct cs_slice ext_version_sh(uint16_t v) { return extension(43, sl_num(2, v)); }

static struct cs_slice client_hello(const char *sni, struct cs_slice sid, struct cs_slice more_exts)
{
	struct cs_slice exts = SL_JOIN(sni ? ext_sni(sni) : NONE, more_exts);

	return handshake(HS_CH, SL_JOIN(sl_num(2, 0x0303), sl_fill(0x11, 32), sl_vec(1, sid),
					sl_vec(2, SL_JOIN(sl_num(2, 0x1301), sl_num(2, 0xc02f))),
					sl_vec(1, sl_num(1, 0)), sl_vec(2, exts)));
}

/* exts NONE: no extensions block at all (SSL 3.0 style) */
static struct cs_slice server_hello(uint16_t version, struct cs_slice sid, struct cs_slice exts)
{
	return handshake(HS_SH,
			 SL_JOIN(sl_num(2, version), sl_fill(0x22, 32), sl_vec(1, sid),
				 sl_num(2, 0xc02f), sl_num(1, 0), exts.n ? sl_vec(2, exts) : NONE));
}

/* A TLS 1.3 draft-era ServerHello record: version, random, no session id
 * (before draft 22, draft-ietf-tls-tls13-18 4.1.3), TLS_AES_128_GCM_SHA256
 * and one extension of type ext (36 bytes). */
static struct cs_slice draft_server_hello(uint16_t version, uint16_t ext)
{
	return hsrec(
		handshake(HS_SH, SL_JOIN(sl_num(2, version), sl_fill(0x22, 32), sl_num(2, 0x1301),
					 sl_vec(2, extension(ext, sl_fill(1, 36))))));
}

static struct cs_slice certificate(const struct cs_slice *certs, size_t n)
{
	struct cs_slice list = NONE;

	for (size_t i = 0; i < n; i++)
		list = SL_JOIN(list, sl_vec(3, certs[i]));
	return handshake(HS_CERT, sl_vec(3, list));
}

static struct cs_slice ske(void)
{
	return handshake(HS_SKE, SL_JOIN(sl_num(1, 3), sl_num(2, 23), sl_vec(1, sl_fill(0x44, 65)),
					 sl_num(2, 0x0401), sl_vec(2, sl_fill(0x45, 64))));
}

static struct cs_slice shd(void) { return handshake(HS_SHD, NONE); }

static struct cs_slice cke(void) { return handshake(HS_CKE, sl_vec(1, sl_fill(0x55, 65))); }

static struct cs_slice ccs(void) { return record(CT_CCS, 0x0303, sl_num(1, 1)); }

static struct cs_slice alert(uint8_t level, uint8_t desc)
{
	return record(CT_ALERT, 0x0303, SL_JOIN(sl_num(1, level), sl_num(1, desc)));
}

/* An arbitrary "certificate": libcrypto will not parse it. */
static struct cs_slice fake_cert(uint8_t tag, size_t n)
{
	struct cs_slice c = sl_fill(0xaa, n);

	((uint8_t *)(uintptr_t)c.p)[0] = tag;
	return c;
}

static struct cs_slice fx_load(const char *name)
{
	size_t n;
	uint8_t *p = tl_keep(tl_fixture_der(name, &n), free);

	return (struct cs_slice){p, n};
}

/* ---- the harness: feeds tls_feed the way engine.c feed_tls() does ---------- */

struct h {
	struct cs_bufpool *bp;
	struct cs_chain_store *chains;
	bool own_chains;
	struct tls_stats st;
	struct tls_env env;
	struct tls_conn c;
	uint8_t *pend[2];
	size_t npend[2];
	unsigned chain_new; /* feeds that reported chain_new */
};

static void h_destroy(void *p)
{
	struct h *h = p;

	tls_conn_release(&h->c, h->bp);
	bufpool_free(h->bp);
	if (h->own_chains)
		chain_store_free(h->chains);
	free(h->pend[0]);
	free(h->pend[1]);
	free(h);
}

static struct h *h_new_with(size_t buf_memcap, struct cs_chain_store *shared)
{
	struct h *h = tl_keep(calloc(1, sizeof(struct h)), h_destroy);

	h->bp = bufpool_new(buf_memcap);
	assert_non_null(h->bp);
	h->own_chains = shared == NULL;
	h->chains = shared ? shared : chain_store_new(64, 16u * 1024 * 1024);
	assert_non_null(h->chains);
	h->env = (struct tls_env){h->bp, h->chains, &h->st};
	tls_conn_init(&h->c);
	return h;
}

static struct h *h_new(void) { return h_new_with(CS_BUFFER_MEMCAP_DEFAULT, NULL); }

/* Free the harness made last (nothing else was kept since). */
static void h_drop(struct h *h)
{
	tl_unkeep(h);
	h_destroy(h);
}

static void h_feed(struct h *h, int dir, struct cs_slice s)
{
	uint8_t *p = realloc(h->pend[dir], h->npend[dir] + s.n + 1);

	assert_non_null(p);
	h->pend[dir] = p;
	if (s.n)
		memcpy(p + h->npend[dir], s.p, s.n);
	h->npend[dir] += s.n;
	for (;;) {
		size_t n = h->npend[dir], used;

		if (n == 0)
			break;
		used = tls_feed(&h->c, &h->env, dir, (struct cs_slice){h->pend[dir], n});
		assert_true(used <= n);
		if (h->c.chain_new)
			h->chain_new++;
		if (used == 0)
			break;
		memmove(h->pend[dir], h->pend[dir] + used, n - used);
		h->npend[dir] -= used;
		if (h->c.done)
			break;
	}
}

static void h_feed_str(struct h *h, int dir, const char *s)
{
	h_feed(h, dir, (struct cs_slice){(const uint8_t *)s, strlen(s)});
}

/* A conversation: segments in capture order. */
#define MAX_SEGS 24

struct seg {
	int dir;
	struct cs_slice b;
};

struct conv {
	struct seg s[MAX_SEGS];
	size_t n;
};

static void add(struct conv *cv, int dir, struct cs_slice b)
{
	assert_true(cv->n < MAX_SEGS);
	cv->s[cv->n++] = (struct seg){dir, b};
}

static struct h *run(const struct conv *cv)
{
	struct h *h = h_new();

	for (size_t i = 0; i < cv->n; i++)
		h_feed(h, cv->s[i].dir, cv->s[i].b);
	return h;
}

/* Everything a test compares between two runs of the same bytes. */
struct snap {
	enum tls_outcome outcome;
	int server;
	uint16_t version;
	bool client_hello, server_hello, tls13, resumed, flight_done, done, malformed, too_long;
	bool seen, unattributed, sni_sent, alert_seen, has_chain;
	uint8_t starttls, sid_len, alert_dir, alert_level, alert_desc;
	uint8_t sid[32];
	char sni[CS_MAX_SNI + 1];
	uint32_t client_certs;
	uint8_t chain_sha[CS_SHA256_LEN];
	unsigned chain_new;
	struct tls_stats st;
};

static struct snap snap(const struct h *h)
{
	const struct tls_conn *c = &h->c;
	const struct cs_chain *ch = tls_server_chain(c);
	struct snap s;

	memset(&s, 0, sizeof s);
	s.outcome = tls_outcome(c);
	s.server = c->server;
	s.version = c->version;
	s.client_hello = c->client_hello;
	s.server_hello = c->server_hello;
	s.tls13 = c->tls13;
	s.resumed = c->resumed;
	s.flight_done = c->server_flight_done;
	s.done = c->done;
	s.malformed = c->malformed;
	s.too_long = c->too_long;
	s.seen = tls_seen(c);
	s.unattributed = tls_unattributed(c);
	s.sni_sent = c->sni_sent;
	s.alert_seen = c->alert_seen;
	s.starttls = c->starttls;
	s.sid_len = c->sid_len;
	memcpy(s.sid, c->sid, sizeof s.sid);
	if (c->sni_sent)
		memcpy(s.sni, c->sni, sizeof s.sni);
	if (c->alert_seen) {
		s.alert_dir = c->alert_dir;
		s.alert_level = c->alert_level;
		s.alert_desc = c->alert_desc;
	}
	s.client_certs = c->client_certs;
	s.has_chain = ch != NULL;
	if (ch)
		memcpy(s.chain_sha, ch->sha256, sizeof s.chain_sha);
	s.chain_new = h->chain_new;
	s.st = h->st;
	return s;
}

static bool snap_equal(const struct snap *a, const struct snap *b, const char *what)
{
	if (a->outcome != b->outcome || a->server != b->server || a->version != b->version ||
	    a->client_hello != b->client_hello || a->server_hello != b->server_hello ||
	    a->tls13 != b->tls13 || a->resumed != b->resumed || a->flight_done != b->flight_done ||
	    a->done != b->done || a->malformed != b->malformed || a->too_long != b->too_long ||
	    a->seen != b->seen || a->unattributed != b->unattributed ||
	    a->sni_sent != b->sni_sent || a->alert_seen != b->alert_seen ||
	    a->has_chain != b->has_chain || a->starttls != b->starttls ||
	    a->sid_len != b->sid_len || a->alert_dir != b->alert_dir ||
	    a->alert_level != b->alert_level || a->alert_desc != b->alert_desc ||
	    memcmp(a->sid, b->sid, sizeof a->sid) != 0 || strcmp(a->sni, b->sni) != 0 ||
	    a->client_certs != b->client_certs ||
	    memcmp(a->chain_sha, b->chain_sha, sizeof a->chain_sha) != 0 ||
	    a->chain_new != b->chain_new || memcmp(&a->st, &b->st, sizeof a->st) != 0) {
		if (what)
			print_error("%s: outcome %s/%s starttls %s/%s chain %d/%d done %d/%d "
				    "malformed %d/%d chain_new %u/%u\n",
				    what, tls_outcome_name(a->outcome),
				    tls_outcome_name(b->outcome),
				    tls_starttls_name((enum tls_starttls)a->starttls),
				    tls_starttls_name((enum tls_starttls)b->starttls), a->has_chain,
				    b->has_chain, a->done, b->done, a->malformed, b->malformed,
				    a->chain_new, b->chain_new);
		return false;
	}
	return true;
}

static bool stats_zero(const struct tls_stats *st)
{
	static const struct tls_stats zero;

	return memcmp(st, &zero, sizeof zero) == 0;
}

/* ---- conversations ------------------------------------------------------------ */

static struct cs_slice synth_certs[3];

static const struct cs_slice *synthetic_chain(void)
{
	synth_certs[0] = fake_cert(0x01, 70);
	synth_certs[1] = fake_cert(0x02, 50);
	synth_certs[2] = fake_cert(0x03, 40);
	return synth_certs;
}

/* Server flight, one record per message. */
static struct cs_slice server_flight(const struct cs_slice *certs, size_t n)
{
	return SL_JOIN(hsrec(server_hello(0x0303, sl_fill(0x33, 32), NONE)),
		       hsrec(certificate(certs, n)), hsrec(ske()), hsrec(shd()));
}

static struct cs_slice client_finish(void)
{
	return SL_JOIN(hsrec(cke()), ccs(), record(CT_HS, 0x0303, sl_fill(0x66, 40)));
}

/* A full TLS 1.2 handshake and the first application data. */
static struct conv conv_tls12(const struct cs_slice *certs, size_t n)
{
	struct conv cv = {.n = 0};

	add(&cv, CLI, hsrec(client_hello("www.example.com", NONE, NONE)));
	add(&cv, SRV, hsrec(server_hello(0x0303, sl_fill(0x33, 32), NONE)));
	add(&cv, SRV, SL_JOIN(hsrec(certificate(certs, n)), hsrec(ske())));
	add(&cv, SRV, hsrec(shd()));
	add(&cv, CLI, client_finish());
	add(&cv, SRV, SL_JOIN(ccs(), record(CT_HS, 0x0303, sl_fill(0x77, 40))));
	add(&cv, CLI, record(CT_APP, 0x0303, sl_fill(0x88, 100)));
	return cv;
}

static void assert_tls12_chain(const struct h *h, size_t n_certs)
{
	const struct tls_conn *c = &h->c;
	const struct cs_chain *ch = tls_server_chain(c);

	assert_int_equal(tls_outcome(c), TLS_OUT_CHAIN);
	assert_non_null(ch);
	assert_int_equal(ch->n_certs, n_certs);
	assert_int_equal(c->server, SRV);
	assert_true(c->done);
	assert_true(c->client_hello);
	assert_true(c->server_hello);
	assert_true(c->server_flight_done);
	assert_false(c->tls13);
	assert_false(c->resumed);
	assert_false(c->malformed);
	assert_false(c->too_long);
	assert_int_equal(c->version, 0x0303);
	assert_true(c->sni_sent);
	assert_string_equal(c->sni, "www.example.com");
	assert_int_equal(c->client_certs, 0);
	assert_false(tls_unattributed(c));
	assert_true(tls_seen(c));
	assert_int_equal(h->chain_new, 1);
	assert_true(stats_zero(&h->st));
}

/* ---- tests: whole handshakes ---------------------------------------------------- */

static void test_full_tls12(void **state)
{
	(void)state;
	struct cs_slice certs[3] = {fx_load("leaf"), fx_load("inter"), fx_load("root")};
	struct cs_slice tail = record(CT_APP, 0x0303, sl_fill(0x99, 30));
	struct h *h = h_new();
	const struct cs_chain *ch;
	size_t used;

	h_feed(h, CLI, hsrec(client_hello("www.example.com", NONE, NONE)));
	assert_true(h->c.client_hello);
	assert_int_equal(h->c.server, SRV); /* the ClientHello's receiver, provisionally */
	assert_string_equal(h->c.sni, "www.example.com");
	assert_int_equal(h->c.sni_len, strlen("www.example.com"));
	assert_int_equal(h->npend[CLI], 0);
	assert_false(h->c.fingerprinted); /* kept as it came: fingerprinted when asked */
	assert_true(h->c.ch_kept && h->c.ch.len > 0);
	tls_fingerprint(&h->c, h->bp);
	assert_true(h->c.fingerprinted); /* JA3/JA4 (test_fingerprint.c checks the values) */
	assert_null(h->c.ch.p);          /* the copy is given back */
	assert_int_equal(strlen(h->c.ja3), 32);
	assert_true(strlen(h->c.ja4) > 0);

	h_feed(h, SRV, server_flight(certs, 3));
	assert_int_equal(h->npend[SRV], 0);
	assert_false(h->c.done); /* the client has not moved on yet */
	assert_int_equal(h->chain_new, 1);
	ch = tls_server_chain(&h->c);
	assert_non_null(ch);
	assert_int_equal(ch->n_certs, 3);
	for (size_t i = 0; i < 3; i++) {
		assert_true(cert_facts(ch->certs[i])->parsed);
		assert_int_equal(ch->certs[i]->der_len, certs[i].n);
		assert_memory_equal(ch->certs[i]->der, certs[i].p, certs[i].n);
	}
	assert_string_equal(cert_facts(ch->certs[0])->subject,
			    "CN=caf\xc3\xa9.example,O=Acme\\, Inc.\\+Co,C=FR");
	assert_string_equal(cert_facts(ch->certs[2])->subject,
			    "CN=Chainsniff Test Root,O=Chainsniff Test");
	assert_int_equal(tls_outcome(&h->c), TLS_OUT_CHAIN);

	h_feed(h, CLI, client_finish());
	assert_tls12_chain(h, 3);
	assert_string_equal(tls_version_name(h->c.version), "TLS1.2");
	assert_string_equal(tls_outcome_name(tls_outcome(&h->c)), "chain");
	assert_int_equal(h->c.starttls, TLS_STARTTLS_NONE);
	assert_int_equal(chain_store_count(h->chains), 1);

	/* done: every later byte is consumed whole, nothing is buffered */
	used = tls_feed(&h->c, &h->env, SRV, tail);
	assert_int_equal(used, tail.n);
	used = tls_feed(&h->c, &h->env, CLI, (struct cs_slice){tail.p, 3});
	assert_int_equal(used, 3);
	assert_int_equal(bufpool_in_use(h->bp), 0);
}

static void test_full_conversation(void **state)
{
	(void)state;
	struct conv cv = conv_tls12(synthetic_chain(), 3);
	struct h *h = run(&cv);
	const struct cs_chain *ch = tls_server_chain(&h->c);

	assert_tls12_chain(h, 3);
	assert_false(cert_facts(ch->certs[0])->parsed);
	assert_memory_equal(ch->certs[1]->der, synth_certs[1].p, synth_certs[1].n);
	for (int d = 0; d < 2; d++)
		assert_int_equal(h->npend[d], 0);
}

/* RFC 5246 6.2.1: a handshake message may span records; here the
 * Certificate is cut into 5 records (and the last one also carries SKE and
 * ServerHelloDone), sent as one segment and as five. */
static void test_certificate_over_5_records(void **state)
{
	(void)state;
	struct cs_slice certs[3] = {fx_load("leaf"), fx_load("inter"), fx_load("root")};
	struct cs_slice m = certificate(certs, 3);
	size_t cut[6] = {0, 3, 9, m.n / 3, m.n - 2, m.n};
	struct cs_slice recs[5];
	uint8_t sha_whole[CS_SHA256_LEN];

	{
		struct conv cv = conv_tls12(certs, 3);
		struct h *h = run(&cv);

		assert_tls12_chain(h, 3);
		memcpy(sha_whole, tls_server_chain(&h->c)->sha256, CS_SHA256_LEN);
	}
	for (int i = 0; i < 5; i++) {
		struct cs_slice body = sl_sub(m, cut[i], cut[i + 1] - cut[i]);

		recs[i] = hsrec(i == 4 ? SL_JOIN(body, ske(), shd()) : body);
	}
	for (int mode = 0; mode < 2; mode++) {
		struct h *h = h_new();

		h_feed(h, CLI, hsrec(client_hello("www.example.com", NONE, NONE)));
		h_feed(h, SRV, hsrec(server_hello(0x0303, sl_fill(0x33, 32), NONE)));
		if (mode == 0) {
			h_feed(h, SRV, SL_JOIN(recs[0], recs[1], recs[2], recs[3], recs[4]));
		} else {
			for (int i = 0; i < 5; i++) {
				assert_null(tls_server_chain(&h->c));
				h_feed(h, SRV, recs[i]);
			}
		}
		h_feed(h, CLI, client_finish());
		assert_tls12_chain(h, 3);
		assert_memory_equal(tls_server_chain(&h->c)->sha256, sha_whole, CS_SHA256_LEN);
	}
}

static void test_several_messages_in_one_record(void **state)
{
	(void)state;
	const struct cs_slice *certs = synthetic_chain();
	struct h *h = h_new();

	h_feed(h, CLI, hsrec(client_hello("www.example.com", NONE, NONE)));
	h_feed(h, SRV,
	       hsrec(SL_JOIN(server_hello(0x0303, sl_fill(0x33, 32), NONE), certificate(certs, 3),
			     ske(), shd())));
	assert_true(h->c.server_flight_done);
	assert_non_null(tls_server_chain(&h->c));
	/* the client's CKE, CCS and encrypted Finished in one segment */
	h_feed(h, CLI, client_finish());
	assert_tls12_chain(h, 3);
	/* the one buffer still held is the ClientHello, until its fingerprints
	 * are taken (or the connection released) */
	tls_fingerprint(&h->c, h->bp);
	assert_int_equal(bufpool_in_use(h->bp), 0);
}

/* Every segment fed one byte at a time, and every segment split in two at
 * every offset: the result is the one of the unsplit run. */
static unsigned check_every_split(const struct conv *cv, const struct snap *want, const char *name)
{
	char what[96];
	unsigned bad = 0, runs = 0;

	{
		struct h *h = h_new();

		for (size_t i = 0; i < cv->n; i++)
			for (size_t k = 0; k < cv->s[i].b.n; k++)
				h_feed(h, cv->s[i].dir, sl_sub(cv->s[i].b, k, 1));
		snprintf(what, sizeof what, "%s fed byte by byte", name);
		struct snap got = snap(h);
		bad += !snap_equal(&got, want, what);
		runs++;
		h_drop(h);
	}
	for (size_t j = 0; j < cv->n; j++) {
		for (size_t k = 1; k < cv->s[j].b.n; k++) {
			struct h *h = h_new();

			for (size_t i = 0; i < cv->n; i++) {
				struct cs_slice b = cv->s[i].b;

				if (i == j) {
					h_feed(h, cv->s[i].dir, sl_sub(b, 0, k));
					h_feed(h, cv->s[i].dir, sl_sub(b, k, b.n - k));
				} else {
					h_feed(h, cv->s[i].dir, b);
				}
			}
			snprintf(what, sizeof what, "%s segment %zu split at %zu", name, j, k);
			struct snap got = snap(h);
			if (!snap_equal(&got, want, bad < 8 ? what : NULL))
				bad++;
			runs++;
			h_drop(h);
		}
	}
	if (bad)
		print_error("%s: %u of %u split runs differ from the unsplit run\n", name, bad,
			    runs);
	return bad;
}

/* A conversation copied out of the builders' temporaries. */
struct conv_copy {
	struct conv cv;
	uint8_t *bytes;
};

static void conv_copy_free(void *p)
{
	struct conv_copy *cc = p;

	free(cc->bytes);
	free(cc);
}

static struct conv_copy *conv_copy(const struct conv *cv)
{
	struct conv_copy *cc = calloc(1, sizeof *cc);
	size_t total = 0, off = 0;

	assert_non_null(cc);
	for (size_t i = 0; i < cv->n; i++)
		total += cv->s[i].b.n;
	cc->bytes = malloc(total ? total : 1);
	assert_non_null(cc->bytes);
	cc->cv.n = cv->n;
	for (size_t i = 0; i < cv->n; i++) {
		memcpy(cc->bytes + off, cv->s[i].b.p, cv->s[i].b.n);
		cc->cv.s[i] = (struct seg){cv->s[i].dir, {cc->bytes + off, cv->s[i].b.n}};
		off += cv->s[i].b.n;
	}
	return cc;
}

/* Returns how many split runs differ from the unsplit one. */
static unsigned split_test(struct conv cv, const char *name, void (*check)(const struct h *))
{
	struct conv_copy *cc = conv_copy(&cv);
	struct snap want;

	tl_arena_free(NULL); /* the builders' temporaries */
	{
		struct h *h = run(&cc->cv);

		if (check)
			check(h);
		want = snap(h);
		tl_arena_free(NULL);
	}
	tl_keep(cc, conv_copy_free); /* freed by the teardown even on failure */
	return check_every_split(&cc->cv, &want, name);
}

static void check_tls12(const struct h *h) { assert_tls12_chain(h, 3); }

static void test_split_every_offset(void **state)
{
	(void)state;
	assert_int_equal(split_test(conv_tls12(synthetic_chain(), 3), "tls12", check_tls12), 0);
}

/* ---- TLS 1.3, resumption ---------------------------------------------------------- */

/* A finished TLS 1.3 handshake of this version, so named. */
static void assert_tls13(const struct h *h, uint16_t version, const char *name)
{
	assert_true(h->c.tls13);
	assert_true(h->c.done);
	assert_int_equal(h->c.version, version);
	assert_string_equal(tls_version_name(h->c.version), name);
	assert_int_equal(tls_outcome(&h->c), TLS_OUT_TLS13);
}

static void test_tls13_supported_versions(void **state)
{
	(void)state;
	struct cs_slice sid = sl_fill(0x5a, 32);
	struct h *h = h_new();
	struct cs_slice rest = SL_JOIN(ccs(), record(CT_APP, 0x0303, sl_fill(0x42, 300)));
	size_t used;

	h_feed(h, CLI, hsrec(client_hello("tls13.example", sid, ext_versions_ch())));
	/* middlebox compatibility mode: the server echoes the session id */
	h_feed(h, SRV, hsrec(server_hello(0x0303, sid, ext_version_sh(0x0304))));
	assert_tls13(h, 0x0304, "TLS1.3");
	assert_false(h->c.resumed);
	assert_string_equal(tls_outcome_name(TLS_OUT_TLS13), "tls13");
	assert_string_equal(h->c.sni, "tls13.example");
	assert_null(tls_server_chain(&h->c));
	used = tls_feed(&h->c, &h->env, SRV, rest);
	assert_int_equal(used, rest.n);
	assert_true(stats_zero(&h->st));
}

/* Drafts before 22 put the version in ServerHello.version and had no
 * session id (draft-ietf-tls-tls13-18 4.1.3). */
static void test_tls13_draft(void **state)
{
	(void)state;
	struct h *h = h_new();

	h_feed(h, CLI, hsrec(client_hello("draft.example", NONE, ext_versions_ch())));
	h_feed(h, SRV, draft_server_hello(0x7f12, 51));
	assert_tls13(h, 0x7f12, "TLS1.3-draft");
	assert_true(stats_zero(&h->st));
}

/* BUG: is_tls13_version() accepts 0x7exx in ServerHello.version (BoringSSL's
 * TLS 1.3 experiment numbers), but looks_like_record() only accepts a
 * ClientHello/ServerHello whose body starts with 0x03, 0x7f or 0xfb, so a
 * server direction that begins with such a ServerHello is never found by
 * the hunt (the record is skipped as preamble).  Expected: tls13, version
 * 0x7e02.  Actual: no ServerHello seen; outcome incomplete. */
static void test_tls13_experiment_version_at_stream_start(void **state)
{
	(void)state;
	struct h *h = h_new();

	h_feed(h, CLI, hsrec(client_hello("exp.example", NONE, ext_versions_ch())));
	h_feed(h, SRV, draft_server_hello(0x7e02, 51));
	h_feed(h, SRV, record(CT_APP, 0x0303, sl_fill(0x42, 64)));
	assert_true(h->c.server_hello);
	assert_true(h->c.tls13);
	assert_int_equal(h->c.version, 0x7e02);
}

static const uint8_t hrr_random[32] = {
	0xcf, 0x21, 0xad, 0x74, 0xe5, 0x9a, 0x61, 0x11, 0xbe, 0x1d, 0x8c,
	0x02, 0x1e, 0x65, 0xb8, 0x91, 0xc2, 0xa2, 0x11, 0x16, 0x7a, 0xbb,
	0x8c, 0x5e, 0x07, 0x9e, 0x09, 0xe2, 0xc8, 0xa8, 0x33, 0x9c,
};

/* RFC 8446 4.1.4: a HelloRetryRequest is a ServerHello with a special
 * random; the connection is one handshake, classified tls13 at once. */
static void test_hello_retry_request(void **state)
{
	(void)state;
	struct cs_slice sid = sl_fill(0x5a, 32);
	struct h *h = h_new();

	h_feed(h, CLI, hsrec(client_hello("hrr.example", sid, ext_versions_ch())));
	h_feed(h, SRV,
	       hsrec(handshake(HS_SH, SL_JOIN(sl_num(2, 0x0303), sl_bytes(hrr_random, 32),
					      sl_vec(1, sid), sl_num(2, 0x1301), sl_num(1, 0),
					      sl_vec(2, SL_JOIN(ext_version_sh(0x0304),
								extension(51, sl_num(2, 23))))))));
	assert_true(h->c.tls13);
	assert_true(h->c.done);
	tls_fingerprint(&h->c, h->bp);
	char ja4[sizeof h->c.ja4];
	memcpy(ja4, h->c.ja4, sizeof ja4);
	h_feed(h, SRV, ccs());
	h_feed(h, CLI,
	       SL_JOIN(ccs(), hsrec(client_hello("second.example", sid, ext_versions_ch()))));
	tls_fingerprint(&h->c, h->bp);
	assert_string_equal(h->c.ja4, ja4); /* the first ClientHello's */
	h_feed(h, SRV, hsrec(server_hello(0x0303, sid, ext_version_sh(0x0304))));
	assert_int_equal(h->npend[CLI], 0);
	assert_int_equal(h->npend[SRV], 0);
	assert_true(tls_seen(&h->c));
	assert_int_equal(tls_outcome(&h->c), TLS_OUT_TLS13);
	assert_string_equal(h->c.sni, "hrr.example");
	assert_true(stats_zero(&h->st));

	/* draft-era HelloRetryRequest (type 6): ignored, the ServerHello decides */
	h = h_new();
	h_feed(h, CLI, hsrec(client_hello("hrr.example", NONE, ext_versions_ch())));
	h_feed(h, SRV,
	       hsrec(handshake(HS_HRR_DRAFT, SL_JOIN(sl_num(2, 0x7f12),
						     sl_vec(2, extension(40, sl_num(2, 23)))))));
	assert_false(h->c.done);
	assert_false(h->c.server_hello);
	h_feed(h, CLI, hsrec(client_hello("hrr.example", NONE, ext_versions_ch())));
	h_feed(h, SRV, draft_server_hello(0x7f12, 40));
	assert_true(h->c.tls13);
	assert_true(h->c.done);
	assert_int_equal(h->c.server, SRV);
}

/* RFC 5246 7.4.1.3: the server echoes the session id it resumes. */
static void test_resumption_by_session_id(void **state)
{
	(void)state;
	struct cs_slice sid = sl_fill(0x7c, 32);
	struct h *h = h_new();

	h_feed(h, CLI, hsrec(client_hello("resume.example", sid, NONE)));
	assert_int_equal(h->c.sid_len, 32);
	assert_memory_equal(h->c.sid, sid.p, 32);
	h_feed(h, SRV,
	       SL_JOIN(hsrec(server_hello(0x0303, sid, NONE)), ccs(),
		       record(CT_HS, 0x0303, sl_fill(0x12, 40))));
	assert_true(h->c.resumed);
	assert_true(h->c.done);
	assert_int_equal(h->npend[SRV], 0);
	assert_int_equal(tls_outcome(&h->c), TLS_OUT_RESUMED);
	assert_string_equal(tls_outcome_name(TLS_OUT_RESUMED), "resumed");
	assert_null(tls_server_chain(&h->c));

	/* a different id from the server is a full handshake */
	h = h_new();
	h_feed(h, CLI, hsrec(client_hello("resume.example", sid, NONE)));
	h_feed(h, SRV, hsrec(server_hello(0x0303, sl_fill(0x7d, 32), NONE)));
	assert_false(h->c.resumed);
	assert_false(h->c.done);
	/* an empty id from both sides is no resumption either */
	h = h_new();
	h_feed(h, CLI, hsrec(client_hello("resume.example", NONE, NONE)));
	h_feed(h, SRV, hsrec(server_hello(0x0303, NONE, NONE)));
	assert_false(h->c.resumed);
}

/* RFC 5077 3.1: resumption with a ticket; the server goes from ServerHello
 * (and NewSessionTicket) straight to ChangeCipherSpec. */
static void test_abbreviated_with_ticket(void **state)
{
	(void)state;
	for (int with_nst = 0; with_nst < 2; with_nst++) {
		struct h *h = h_new();

		h_feed(h, CLI,
		       hsrec(client_hello("ticket.example", sl_fill(0x01, 32),
					  extension(35, sl_fill(0xee, 128)))));
		h_feed(h, SRV, hsrec(server_hello(0x0303, NONE, extension(35, NONE))));
		assert_false(h->c.done);
		assert_false(h->c.resumed);
		if (with_nst)
			h_feed(h, SRV,
			       hsrec(handshake(HS_NST,
					       SL_JOIN(sl_num(2, 0), sl_num(2, 0), sl_num(2, 0),
						       sl_vec(2, sl_fill(0xef, 96))))));
		h_feed(h, SRV, SL_JOIN(ccs(), record(CT_HS, 0x0303, sl_fill(0x12, 40))));
		assert_true(h->c.resumed);
		assert_true(h->c.done);
		assert_int_equal(tls_outcome(&h->c), TLS_OUT_RESUMED);
		assert_true(stats_zero(&h->st));
	}
}

static void test_no_certificate(void **state)
{
	(void)state;
	struct h *h = h_new();

	h_feed(h, CLI, hsrec(client_hello("anon.example", NONE, NONE)));
	h_feed(h, SRV,
	       SL_JOIN(hsrec(server_hello(0x0303, sl_fill(0x33, 32), NONE)), hsrec(ske()),
		       hsrec(shd())));
	h_feed(h, CLI, client_finish());
	assert_true(h->c.done);
	assert_true(h->c.server_flight_done);
	assert_int_equal(tls_outcome(&h->c), TLS_OUT_NO_CERT);
	assert_string_equal(tls_outcome_name(TLS_OUT_NO_CERT), "no_certificate");
	assert_null(tls_server_chain(&h->c));
	assert_false(tls_unattributed(&h->c));
	assert_true(tls_seen(&h->c));
	assert_true(stats_zero(&h->st));
}

/* ---- who is the server -------------------------------------------------------- */

static void test_client_certificate_after_server_chain(void **state)
{
	(void)state;
	const struct cs_slice *certs = synthetic_chain();
	struct cs_slice client_cert = fake_cert(0x09, 60);
	struct h *h = h_new();
	uint8_t sha[CS_SHA256_LEN];

	h_feed(h, CLI, hsrec(client_hello("mtls.example", NONE, NONE)));
	h_feed(h, SRV,
	       SL_JOIN(hsrec(server_hello(0x0303, sl_fill(0x33, 32), NONE)),
		       hsrec(certificate(certs, 3)), hsrec(ske()),
		       hsrec(handshake(HS_CR,
				       SL_JOIN(sl_vec(1, sl_num(1, 1)),
					       sl_vec(2, sl_num(2, 0x0401)), sl_vec(2, NONE)))),
		       hsrec(shd())));
	memcpy(sha, tls_server_chain(&h->c)->sha256, CS_SHA256_LEN);
	h_feed(h, CLI,
	       SL_JOIN(hsrec(SL_JOIN(certificate(&client_cert, 1), cke(),
				     handshake(HS_CV, SL_JOIN(sl_num(2, 0x0401),
							      sl_vec(2, sl_fill(0x31, 64)))))),
		       ccs()));
	assert_int_equal(h->c.client_certs, 1);
	assert_true(h->c.done);
	assert_int_equal(tls_outcome(&h->c), TLS_OUT_CHAIN);
	assert_int_equal(tls_server_chain(&h->c)->n_certs, 3);
	assert_memory_equal(tls_server_chain(&h->c)->sha256, sha, CS_SHA256_LEN);
	assert_int_equal(h->chain_new, 1);
	assert_int_equal(chain_store_count(h->chains), 1); /* the client's is not interned */
}

/* Mid-stream: the server direction starts at its Certificate record. */
static void test_unknown_side_then_server_hello_done(void **state)
{
	(void)state;
	const struct cs_slice *certs = synthetic_chain();
	struct h *h = h_new();

	h_feed(h, SRV, hsrec(certificate(certs, 3)));
	assert_int_equal(h->c.server, -1);
	assert_true(tls_unattributed(&h->c));
	assert_null(tls_server_chain(&h->c));
	assert_int_equal(h->chain_new, 0);
	h_feed(h, SRV, hsrec(shd()));
	assert_int_equal(h->c.server, SRV);
	assert_false(tls_unattributed(&h->c));
	assert_non_null(tls_server_chain(&h->c));
	assert_int_equal(h->chain_new, 1);
	assert_int_equal(h->c.client_certs, 0);
	/* the client joins at its ClientKeyExchange, which a hunt does not
	 * recognise; the server's ChangeCipherSpec ends the handshake */
	h_feed(h, CLI, SL_JOIN(hsrec(cke()), ccs()));
	h_feed(h, SRV, ccs());
	assert_true(h->c.done);
	assert_int_equal(tls_outcome(&h->c), TLS_OUT_CHAIN);
	assert_false(h->c.client_hello);
	assert_false(h->c.sni_sent);
}

static void test_unknown_side_then_client_key_exchange(void **state)
{
	(void)state;
	struct cs_slice client_cert = fake_cert(0x09, 60);
	struct h *h = h_new();

	h_feed(h, CLI, hsrec(certificate(&client_cert, 1)));
	assert_true(tls_unattributed(&h->c));
	h_feed(h, CLI, hsrec(cke()));
	assert_int_equal(h->c.server, SRV);
	assert_int_equal(h->c.client_certs, 1);
	assert_false(tls_unattributed(&h->c));
	assert_null(tls_server_chain(&h->c));
	assert_int_equal(h->chain_new, 0);
	assert_int_equal(tls_outcome(&h->c), TLS_OUT_INCOMPLETE);
	assert_false(tls_seen(&h->c)); /* no hello: not a TLS handshake */
}

static void test_lone_certificate(void **state)
{
	(void)state;
	const struct cs_slice *certs = synthetic_chain();
	struct h *h = h_new();

	h_feed(h, SRV, hsrec(certificate(certs, 3)));
	assert_true(tls_unattributed(&h->c));
	assert_null(tls_server_chain(&h->c));
	assert_false(tls_seen(&h->c)); /* no hello: counted as unattributed, not a handshake */
	assert_int_equal(tls_outcome(&h->c), TLS_OUT_INCOMPLETE);
	assert_int_equal(h->chain_new, 0);
	assert_false(h->c.done);
}

static void test_set_server_from_syn_ack(void **state)
{
	(void)state;
	const struct cs_slice *certs = synthetic_chain();
	struct cs_slice client_cert = fake_cert(0x09, 60);
	struct h *h = h_new();

	tls_set_server(&h->c, SRV);
	h_feed(h, SRV, hsrec(certificate(certs, 3)));
	assert_non_null(tls_server_chain(&h->c));
	assert_int_equal(h->chain_new, 1);
	h_feed(h, CLI, hsrec(certificate(&client_cert, 1)));
	assert_int_equal(h->c.client_certs, 1);
	assert_non_null(tls_server_chain(&h->c));

	/* a pending Certificate is settled by tls_set_server */
	h = h_new();
	h_feed(h, SRV, hsrec(certificate(certs, 3)));
	assert_true(tls_unattributed(&h->c));
	tls_set_server(&h->c, SRV);
	assert_non_null(tls_server_chain(&h->c));
	assert_true(h->c.chain_new);

	h = h_new();
	h_feed(h, CLI, hsrec(certificate(&client_cert, 1)));
	tls_set_server(&h->c, SRV);
	assert_int_equal(h->c.client_certs, 1);
	assert_null(tls_server_chain(&h->c));
	assert_false(tls_unattributed(&h->c));

	/* the ServerHello is authoritative; the SYN-ACK is not */
	h = h_new();
	tls_set_server(&h->c, CLI);
	h_feed(h, SRV, hsrec(server_hello(0x0303, sl_fill(0x33, 32), NONE)));
	assert_int_equal(h->c.server, SRV);
	tls_set_server(&h->c, CLI);
	assert_int_equal(h->c.server, SRV);
	h_feed(h, SRV, hsrec(certificate(certs, 3)));
	assert_non_null(tls_server_chain(&h->c));
}

/* ---- STARTTLS and other preambles ------------------------------------------------ */

static void add_tls(struct conv *cv, const char *sni)
{
	add(cv, CLI, hsrec(client_hello(sni, NONE, NONE)));
	add(cv, SRV, server_flight(synthetic_chain(), 3));
	add(cv, CLI, client_finish());
}

/* MySQL: binary server greeting, then the client's SSLRequest. */
static const uint8_t mysql_greeting[] = {
	0x4a, 0x00, 0x00, 0x00, 0x0a, '8',  '.',  '0',  '.',  '3',  '3',  0x00, 0x08,
	0x00, 0x00, 0x00, 0x3b, 0x5a, 0x13, 0x01, 0x6c, 0x6e, 0x24, 0x0c, 0x00, 0xff,
	0xff, 0xff, 0x02, 0x00, 0xff, 0xdf, 0x15, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
	0x00, 0x00, 0x00, 0x00, 0x53, 0x2f, 0x1c, 0x5b, 0x39, 0x4a, 0x46, 0x7e, 0x3e,
	0x0d, 0x38, 0x21, 0x00, 'c',  'a',  'c',  'h',  'i',  'n',  'g',  '_',  's',
	'h',  'a',  '2',  '_',  'p',  'a',  's',  's',  'w',  'o',  'r',  'd',  0x00,
};
static const uint8_t mysql_ssl_request[] = {
	0x20, 0x00, 0x00, 0x01, 0x05, 0xae, 0xff, 0x01, 0x00, 0x00, 0x00, 0x01,
	0xff, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
	0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
};

/* One protocol's way into TLS: what each side says before the ClientHello,
 * and what tls_starttls_name() must call it. */
struct starttls_case {
	const char *proto;
	enum tls_starttls want;
	const char *sni;
	struct say {
		int from;
		const char *text;
		size_t n; /* 0: strlen(text) */
	} preamble[6];    /* up to the first without text */
};

static const struct starttls_case starttls_cases[] = {
	{"smtp",
	 TLS_STARTTLS_SMTP,
	 "mail.example.com",
	 {{SRV, "220 mail.example.com ESMTP Postfix\r\n", 0},
	  {CLI, "EHLO client.example.com\r\n", 0},
	  {SRV,
	   "250-mail.example.com\r\n250-PIPELINING\r\n250-SIZE 10240000\r\n"
	   "250-STARTTLS\r\n250 8BITMIME\r\n",
	   0},
	  {CLI, "STARTTLS\r\n", 0},
	  {SRV, "220 2.0.0 Ready to start TLS\r\n", 0}}},
	{"imap",
	 TLS_STARTTLS_IMAP,
	 "imap.example.com",
	 {{SRV, "* OK [CAPABILITY IMAP4rev1 STARTTLS LOGINDISABLED] ready\r\n", 0},
	  {CLI, "a001 starttls\r\n", 0},
	  {SRV, "a001 OK Begin TLS negotiation now\r\n", 0}}},
	{"pop3",
	 TLS_STARTTLS_POP3,
	 "pop.example.com",
	 {{SRV, "+OK POP3 server ready\r\n", 0},
	  {CLI, "CAPA\r\n", 0},
	  {SRV, "+OK\r\nUSER\r\nSTLS\r\n.\r\n", 0},
	  {CLI, "STLS\r\n", 0},
	  {SRV, "+OK Begin TLS\r\n", 0}}},
	{"ftp",
	 TLS_STARTTLS_FTP,
	 "ftp.example.com",
	 {{SRV, "220 (vsFTPd 3.0.3)\r\n", 0},
	  {CLI, "AUTH TLS\r\n", 0},
	  {SRV, "234 Proceed with negotiation.\r\n", 0}}},
	{"mysql",
	 TLS_STARTTLS_MYSQL,
	 "db.example.com",
	 {{SRV, (const char *)mysql_greeting, sizeof mysql_greeting},
	  {CLI, (const char *)mysql_ssl_request, sizeof mysql_ssl_request}}},
	/* a preamble nothing recognises (a banner-less binary login, say) */
	{"other",
	 TLS_STARTTLS_OTHER,
	 "odd.example.com",
	 {{CLI, "HELLO-V2 please\r\n", 0}, {SRV, "OKAY\r\n", 0}}},
};

/* The case's conversation: its preamble, then a TLS 1.2 handshake. */
static struct conv starttls_conv(const struct starttls_case *c)
{
	struct conv cv = {.n = 0};

	for (const struct say *s = c->preamble; s->text; s++)
		add(&cv, s->from, s->n ? sl_bytes(s->text, s->n) : sl_str(s->text));
	add_tls(&cv, c->sni);
	return cv;
}

static const struct starttls_case *starttls_case(const char *proto)
{
	for (size_t i = 0; i < CS_ARRAY_LEN(starttls_cases); i++)
		if (!strcmp(starttls_cases[i].proto, proto))
			return &starttls_cases[i];
	fail_msg("no STARTTLS case %s", proto);
	return NULL;
}

/* One starttls_cases entry (cmocka's initial state: its proto) is read as
 * a chain after a skipped preamble on both sides, and classified. */
static void test_starttls_case(void **state)
{
	const struct starttls_case *c = starttls_case(*state);
	struct conv cv = starttls_conv(c);
	struct h *h = run(&cv);

	assert_int_equal(tls_outcome(&h->c), TLS_OUT_CHAIN);
	assert_true(h->c.done);
	assert_int_equal(h->c.server, SRV);
	assert_string_equal(tls_starttls_name((enum tls_starttls)h->c.starttls),
			    tls_starttls_name(c->want));
	assert_string_equal(tls_starttls_name(c->want), c->proto);
	assert_true(h->c.d[SRV].skipped > 0);
	assert_true(h->c.d[CLI].skipped > 0);
	assert_true(stats_zero(&h->st));
}

static void test_no_preamble_is_none(void **state)
{
	(void)state;
	struct conv cv = conv_tls12(synthetic_chain(), 3);
	struct h *h = run(&cv);

	assert_int_equal(h->c.starttls, TLS_STARTTLS_NONE);
	assert_int_equal(h->c.d[0].skipped, 0);
	assert_int_equal(h->c.d[1].skipped, 0);
	assert_string_equal(tls_starttls_name(TLS_STARTTLS_NONE), "none");
}

/* BUG: the STARTTLS keywords are looked for only inside the bytes of one
 * tls_feed() call (hunt() consumes the plaintext it scanned), so a keyword
 * or the "220" / "* OK" greeting that a segment boundary cuts in two is
 * missed and the classification depends on segmentation (40-byte segments
 * as in pcaps/lab/quirk-seg40.pcap, a greeting sent in two writes).
 * Expected: smtp/imap/pop3/ftp at every split.  Actual: "other" when the
 * server's first segment is cut inside "220" (smtp) or "* OK" (imap), when
 * the client's "AUTH TLS" is cut (ftp), and for all four when every byte
 * comes alone.  Suspected: tls.c scan_preamble() (called from hunt() on
 * p[0..i) of the current call only) and its "d->skipped == 0 && n >= 3/4"
 * greeting checks; keeping the last 7 preamble bytes per direction (or
 * not consuming them) would make it independent of segmentation. */
static void test_starttls_every_split(void **state)
{
	(void)state;
	unsigned bad = 0;

	for (size_t i = 0; i < CS_ARRAY_LEN(starttls_cases); i++)
		bad += split_test(starttls_conv(&starttls_cases[i]), starttls_cases[i].proto, NULL);
	assert_int_equal(bad, 0);
}

static void test_midstream(void **state)
{
	(void)state;
	const struct cs_slice *certs = synthetic_chain();
	/* the tail of an earlier record: the capture started inside it */
	struct cs_slice tail = sl_sub(hsrec(server_hello(0x0303, sl_fill(0x33, 32), NONE)), 20, 40);
	struct h *h = h_new();

	h_feed(h, SRV, SL_JOIN(tail, hsrec(certificate(certs, 3)), hsrec(ske()), hsrec(shd())));
	assert_int_equal(h->c.d[SRV].skipped, tail.n);
	assert_true(h->c.d[SRV].saw_record);
	assert_int_equal(h->c.server, SRV);
	assert_non_null(tls_server_chain(&h->c));
	assert_int_equal(tls_server_chain(&h->c)->n_certs, 3);
	assert_int_equal(h->npend[SRV], 0);

	/* the client side joins mid-stream too: a hunt does not recognise a
	 * ClientKeyExchange record, but the chain is attributed already */
	h_feed(h, CLI, SL_JOIN(sl_fill(0x17, 33), hsrec(cke()), ccs()));
	assert_int_equal(tls_outcome(&h->c), TLS_OUT_CHAIN);
	assert_false(h->c.malformed);
}

static void test_preamble_cap(void **state)
{
	(void)state;
	struct cs_slice text = sl_fill('A', CS_PREAMBLE_MAX);
	struct cs_slice ch = hsrec(client_hello("late.example", NONE, NONE));

	/* exactly CS_PREAMBLE_MAX bytes of preamble are allowed */
	struct h *h = h_new();

	h_feed(h, CLI, text);
	assert_int_equal(h->npend[CLI], 0);
	h_feed(h, CLI, ch);
	assert_true(h->c.client_hello);
	assert_int_equal(h->st.preamble_cap, 0);

	/* one more byte and the direction is given up */
	h = h_new();
	h_feed(h, CLI, text);
	h_feed(h, CLI, sl_str("A"));
	assert_int_equal(h->st.preamble_cap, 1);
	assert_int_equal(h->npend[CLI], 0);
	h_feed(h, CLI, ch);
	assert_false(h->c.client_hello);
	assert_false(tls_seen(&h->c));
	assert_int_equal(h->npend[CLI], 0);
	assert_int_equal(h->st.preamble_cap, 1);
	assert_int_equal(bufpool_in_use(h->bp), 0);
}

/* Past the start of a stream a candidate record is taken only when it is
 * coherent; one whose ClientHello claims a session id it does not hold is
 * skipped, and a direction that offers more such candidates than
 * CS_HUNT_MAX_INCOHERENT is not TLS (the walks are work an attacker could
 * otherwise multiply). */
static void test_hunt_incoherent_candidates(void **state)
{
	(void)state;
	/* a hello whose session id vector claims 40 bytes and holds 5 */
	struct cs_slice bad = hsrec(handshake(HS_CH, SL_JOIN(sl_num(2, 0x0303), sl_fill(0x11, 32),
							     sl_num(1, 40), sl_fill(0, 5))));
	struct cs_slice ch = hsrec(client_hello("coherent.example", NONE, NONE));
	struct cs_slice bads = NONE;
	struct h *h;

	for (int i = 0; i < CS_HUNT_MAX_INCOHERENT; i++)
		bads = SL_JOIN(bads, bad);
	h = h_new();
	h_feed(h, CLI, SL_JOIN(sl_str("x"), bads, ch));
	assert_true(h->c.client_hello);
	assert_string_equal(h->c.sni, "coherent.example");
	assert_int_equal(h->c.d[CLI].skipped, 1 + bads.n);
	assert_int_equal(h->st.preamble_cap, 0);

	h = h_new(); /* one more, and the direction is given up */
	h_feed(h, CLI, SL_JOIN(sl_str("x"), bads, bad, ch));
	assert_false(h->c.client_hello);
	assert_int_equal(h->st.preamble_cap, 1);
	assert_int_equal(bufpool_in_use(h->bp), 0);

	h = h_new(); /* at the very start of a stream the header is enough */
	h_feed(h, CLI, bad);
	assert_true(h->c.d[CLI].saw_record);
	assert_true(h->c.malformed);
}

/* BUG: the preamble cap is applied only when a tls_feed() call finds no
 * record, so the same bytes are accepted or given up depending on how the
 * transport delivers them.  Input: CS_PREAMBLE_MAX + 100 bytes of "A" and a
 * ClientHello record, offered as one contiguous slice.  Expected (as when
 * the same bytes come in two segments): given up, preamble_cap 1, no
 * ClientHello.  Actual: the ClientHello at offset 16484 is accepted,
 * preamble_cap 0.  Suspected: tls.c hunt(), the LOOK_TLS/LOOK_SSLV2 returns
 * inside the loop do not check d->skipped + i against CS_PREAMBLE_MAX. */
static void test_preamble_cap_independent_of_segmentation(void **state)
{
	(void)state;
	struct cs_slice text = sl_fill('A', CS_PREAMBLE_MAX + 100);
	struct cs_slice ch = hsrec(client_hello("late.example", NONE, NONE));
	struct h *two = h_new(), *one = h_new();

	h_feed(two, CLI, text);
	h_feed(two, CLI, ch);
	assert_int_equal(two->st.preamble_cap, 1);
	assert_false(two->c.client_hello);

	h_feed(one, CLI, SL_JOIN(text, ch));
	assert_int_equal(one->st.preamble_cap, 1);
	assert_false(one->c.client_hello);
}

/* RFC 5246 E.2: an SSLv2-compatible ClientHello. */
static struct cs_slice sslv2_client_hello(void)
{
	struct cs_slice body = SL_JOIN(sl_num(1, 1), sl_num(2, 0x0301), sl_num(2, 9), sl_num(2, 0),
				       sl_num(2, 16), sl_num(3, 0x00002f), sl_num(3, 0x000035),
				       sl_num(3, 0x00000a), sl_fill(0x5e, 16));

	return SL_JOIN(sl_num(2, 0x8000 | (uint32_t)body.n), body);
}

static void test_sslv2_client_hello(void **state)
{
	(void)state;
	const struct cs_slice *certs = synthetic_chain();
	struct h *h = h_new();

	h_feed(h, CLI, sslv2_client_hello());
	assert_int_equal(h->st.sslv2_client_hellos, 1);
	assert_true(h->c.client_hello);
	assert_int_equal(h->c.server, SRV);
	assert_false(h->c.sni_sent);
	tls_fingerprint(&h->c, h->bp);
	assert_false(h->c.fingerprinted);
	assert_int_equal(h->npend[CLI], 0);
	h_feed(h, SRV,
	       SL_JOIN(hsrec(server_hello(0x0301, sl_fill(0x33, 32), NONE)),
		       hsrec(certificate(certs, 3)), hsrec(shd())));
	h_feed(h, CLI, client_finish());
	assert_true(h->c.done);
	assert_int_equal(tls_outcome(&h->c), TLS_OUT_CHAIN);
	assert_int_equal(h->c.version, 0x0301);
	assert_string_equal(tls_version_name(0x0301), "TLS1.0");
	assert_int_equal(h->st.sslv2_client_hellos, 1);
	assert_int_equal(h->st.malformed, 0);
}

/* The SSLv2 shape is taken at the start of a stream only, and only when its
 * lengths add up: a few bytes of that shape occur in any few MB of other
 * data (an HTTP body, an SSH stream), which made false TLS handshakes. */
static void test_sslv2_shape_elsewhere(void **state)
{
	(void)state;
	struct h *h = h_new();
	struct cs_slice v2 = sslv2_client_hello();
	uint8_t bad[64];

	/* after a line of plaintext: hunted over, not taken */
	h_feed(h, CLI, SL_JOIN(sl_str("GET / HTTP/1.1\r\n\r\n"), v2));
	assert_int_equal(h->st.sslv2_client_hellos, 0);
	assert_false(h->c.client_hello);
	/* at the start, with a challenge length that does not add up */
	h = h_new();
	assert_true(v2.n <= sizeof(bad));
	memcpy(bad, v2.p, v2.n);
	bad[10] = 15; /* challenge 15 bytes: below 16 and off the total */
	h_feed(h, CLI, (struct cs_slice){bad, v2.n});
	assert_int_equal(h->st.sslv2_client_hellos, 0);
	assert_false(h->c.client_hello);
}

/* ---- alerts ---------------------------------------------------------------------- */

/* A ClientHello, then the server's whole flight with certs. */
static void after_flight(struct h *h, const struct cs_slice *certs)
{
	h_feed(h, CLI, hsrec(client_hello("alert.example", NONE, NONE)));
	h_feed(h, SRV, server_flight(certs, 3));
}

static void test_alert_from_client_after_server_flight(void **state)
{
	(void)state;
	const struct cs_slice *certs = synthetic_chain();
	struct h *h = h_new();

	after_flight(h, certs);
	assert_false(h->c.done);
	h_feed(h, CLI, alert(2, 48)); /* unknown_ca */
	assert_true(h->c.alert_seen);
	assert_int_equal(h->c.alert_dir, CLI);
	assert_int_equal(h->c.alert_level, 2);
	assert_int_equal(h->c.alert_desc, 48);
	assert_true(h->c.done);
	assert_int_equal(tls_outcome(&h->c), TLS_OUT_CHAIN);

	/* a warning-level alert from the client after the flight also ends it;
	 * only the first alert is kept */
	h = h_new();
	after_flight(h, certs);
	h_feed(h, CLI, SL_JOIN(alert(1, 0), alert(2, 42)));
	assert_true(h->c.done);
	assert_int_equal(h->c.alert_level, 1);
	assert_int_equal(h->c.alert_desc, 0);

	/* an encrypted alert (after ChangeCipherSpec) is not recorded */
	h = h_new();
	h_feed(h, CLI, hsrec(client_hello("alert.example", NONE, NONE)));
	h_feed(h, SRV, hsrec(server_hello(0x0303, sl_fill(0x33, 32), NONE)));
	h_feed(h, CLI, SL_JOIN(ccs(), record(CT_ALERT, 0x0303, sl_fill(0x02, 26))));
	assert_false(h->c.alert_seen);

	/* the window is "before the client's own ChangeCipherSpec": a fatal
	 * alert after its ClientKeyExchange is still seen */
	h = h_new();
	after_flight(h, certs);
	h_feed(h, CLI, hsrec(cke()));
	assert_false(h->c.done);
	h_feed(h, CLI, alert(2, 51)); /* decrypt_error */
	assert_true(h->c.alert_seen);
	assert_int_equal(h->c.alert_dir, CLI);
	assert_int_equal(h->c.alert_desc, 51);
	assert_true(h->c.done);
	assert_int_equal(tls_outcome(&h->c), TLS_OUT_CHAIN);
	/* ... and its ChangeCipherSpec ends the cleartext handshake */
	h = h_new();
	after_flight(h, certs);
	h_feed(h, CLI, SL_JOIN(hsrec(cke()), ccs()));
	assert_true(h->c.done);
	assert_false(h->c.alert_seen);
}

/* The ServerHello's cipher suite is kept (key_usage_mismatch). */
static void test_cipher_suite(void **state)
{
	(void)state;
	const struct cs_slice *certs = synthetic_chain();
	struct h *h = h_new();

	assert_int_equal(h->c.cipher_suite, 0);
	h_feed(h, CLI, hsrec(client_hello("suite.example", NONE, NONE)));
	h_feed(h, SRV, server_flight(certs, 3));
	assert_int_equal(h->c.cipher_suite, 0xc02f);
	/* a TLS 1.3 draft ServerHello has none where 1.2 has it */
	h = h_new();
	h_feed(h, CLI, hsrec(client_hello("suite.example", NONE, NONE)));
	h_feed(h, SRV,
	       hsrec(handshake(HS_SH,
			       SL_JOIN(sl_num(2, 0x7f12), sl_fill(0x22, 32), sl_num(2, 0x1301)))));
	assert_true(h->c.tls13);
	assert_int_equal(h->c.cipher_suite, 0);
}

/* BUG: a server that refuses the ClientHello answers with a cleartext fatal
 * alert as its first and only record (e.g. handshake_failure(40),
 * unrecognized_name(112)).  The server direction is still hunting, and
 * hunt()/looks_like_record() only accept handshake records, so the alert is
 * skipped as preamble: the diagnosis loses exactly the alert that explains
 * the failure.  Input: ClientHello from the client, then 15 03 03 00 02 02
 * 28 from the server.  Expected: alert_seen, alert_dir 1, level 2, desc 40,
 * done.  Actual: alert_seen false, done false.  Suspected: tls.c
 * looks_like_record() (returns LOOK_NO for content type 21); accepting an
 * alert record at the very start of a direction (skipped == 0) whose peer
 * has already sent records would be enough. */
static void test_alert_as_servers_first_record(void **state)
{
	(void)state;
	struct h *h = h_new();

	h_feed(h, CLI, hsrec(client_hello("refused.example", NONE, NONE)));
	h_feed(h, SRV, alert(2, 40));
	assert_true(h->c.alert_seen);
	assert_int_equal(h->c.alert_dir, SRV);
	assert_int_equal(h->c.alert_level, 2);
	assert_int_equal(h->c.alert_desc, 40);
	assert_true(h->c.done);
}

/* ---- malformed input --------------------------------------------------------------- */

static void test_malformed_record_header(void **state)
{
	(void)state;
	const struct cs_slice *certs = synthetic_chain();
	struct cs_slice bad[] = {
		SL_JOIN(sl_num(1, 99), sl_num(2, 0x0303), sl_num(2, 2), sl_num(2, 0)),
		SL_JOIN(sl_num(1, 19), sl_num(2, 0x0303), sl_num(2, 2), sl_num(2, 0)),
		SL_JOIN(sl_num(1, 25), sl_num(2, 0x0303), sl_num(2, 2), sl_num(2, 0)),
		SL_JOIN(sl_num(1, CT_HS), sl_num(2, 0x0200), sl_num(2, 4), shd()),
		SL_JOIN(sl_num(1, CT_HS), sl_num(2, 0x0303), sl_num(2, CS_TLS_MAX_RECORD + 1),
			shd()),
	};

	for (size_t i = 0; i < CS_ARRAY_LEN(bad); i++) {
		struct h *h = h_new();
		struct cs_slice after = SL_JOIN(hsrec(certificate(certs, 3)), hsrec(shd()));

		h_feed(h, CLI, hsrec(client_hello("bad.example", NONE, NONE)));
		h_feed(h, SRV, hsrec(server_hello(0x0303, sl_fill(0x33, 32), NONE)));
		h_feed(h, SRV, bad[i]);
		assert_int_equal(h->st.malformed, 1);
		assert_true(h->c.malformed);
		assert_int_equal(h->npend[SRV], 0);
		/* the direction stopped: later records are consumed unread */
		h_feed(h, SRV, after);
		assert_int_equal(h->npend[SRV], 0);
		assert_null(tls_server_chain(&h->c));
		assert_false(h->c.server_flight_done);
		assert_int_equal(h->st.malformed, 1);
		assert_int_equal(tls_outcome(&h->c), TLS_OUT_INCOMPLETE);
		/* the other direction goes on */
		h_feed(h, CLI, alert(1, 0));
		assert_true(h->c.alert_seen);
		assert_false(h->c.done);
		/* both stopped: nothing more to learn */
		h_feed(h, CLI, bad[i]);
		assert_true(h->c.done);
	}

	/* the largest legal record is fine */
	struct h *h = h_new();
	h_feed(h, SRV, hsrec(server_hello(0x0303, sl_fill(0x33, 32), NONE)));
	h_feed(h, SRV,
	       record(CT_HS, 0x0303,
		      SL_JOIN(handshake(HS_SKE, sl_fill(0x44, CS_TLS_MAX_RECORD - 8)), shd())));
	assert_int_equal(h->st.malformed, 0);
	assert_true(h->c.server_flight_done);
}

static void test_handshake_message_too_long(void **state)
{
	(void)state;
	const uint32_t too = CS_TLS_MAX_HS_MSG - 3; /* header + body = max + 1 */
	struct h *h = h_new();

	h_feed(h, SRV, hsrec(server_hello(0x0303, sl_fill(0x33, 32), NONE)));
	h_feed(h, SRV,
	       hsrec(SL_JOIN(sl_num(1, HS_CERT), sl_num(3, too), sl_num(3, too - 3),
			     sl_fill(0, 1000))));
	assert_true(h->c.too_long);
	assert_int_equal(h->st.msg_too_long, 1);
	assert_int_equal(bufpool_in_use(h->bp), 0);
	assert_int_equal(h->npend[SRV], 0);
	h_feed(h, SRV, hsrec(sl_fill(0, 2000)));
	assert_int_equal(h->npend[SRV], 0);
	assert_int_equal(bufpool_in_use(h->bp), 0);
	assert_int_equal(h->st.msg_too_long, 1);
	assert_int_equal(tls_outcome(&h->c), TLS_OUT_INCOMPLETE);

	/* one byte less is buffered */
	h = h_new();
	h_feed(h, SRV, hsrec(server_hello(0x0303, sl_fill(0x33, 32), NONE)));
	h_feed(h, SRV,
	       hsrec(SL_JOIN(sl_num(1, HS_CERT), sl_num(3, too - 1), sl_num(3, too - 4),
			     sl_fill(0, 1000))));
	assert_false(h->c.too_long);
	assert_int_equal(h->st.msg_too_long, 0);
	assert_true(bufpool_in_use(h->bp) > 0);
}

/* BUG: when a direction stops while part of a handshake message is
 * buffered (a too-long or malformed message whose header or body spans
 * records), the message buffer is kept until tls_conn_release() although
 * that direction will never read it again (and cs_tls.h promises nothing
 * is buffered after that).  Input: ServerHello, then a record with the 2
 * first header bytes of a Certificate message (0b 10), then a record with
 * the rest of a header declaring 0x0ffffd bytes.  Expected: too_long,
 * bufpool_in_use() == 0.  Actual: 2048 bytes stay in use (up to 1 MiB per
 * direction when a nearly complete large message turns out malformed).
 * Suspected: tls.c handshake_record(), the "if (d->mode == MODE_OFF)
 * return;" after the buffered parse_messages() (and the memcap branch)
 * should bufpool_release(env->bp, &d->hs). */
static void test_stopped_direction_releases_buffer(void **state)
{
	(void)state;
	const uint32_t too = CS_TLS_MAX_HS_MSG - 3;
	struct h *h = h_new();

	h_feed(h, SRV, hsrec(server_hello(0x0303, sl_fill(0x33, 32), NONE)));
	h_feed(h, SRV, hsrec(SL_JOIN(sl_num(1, HS_CERT), sl_num(1, too >> 16))));
	assert_true(bufpool_in_use(h->bp) > 0); /* the header is incomplete */
	h_feed(h, SRV, hsrec(SL_JOIN(sl_num(2, too & 0xffff), sl_fill(0, 100))));
	assert_true(h->c.too_long);
	assert_int_equal(h->st.msg_too_long, 1);
	assert_int_equal(bufpool_in_use(h->bp), 0);
}

/* BUG: a handshake message of the largest accepted size (CS_TLS_MAX_HS_MSG
 * bytes with its header) that spans records is refused when the record
 * carrying its last bytes also carries the next message: handshake_record()
 * reserves hs.len + the whole record body, which is more than
 * CS_FLOW_DIR_CAP, and counts the refusal as memcap (caps.buffer_memcap)
 * although the pool had budget.  Input: ServerHello, then a
 * ServerKeyExchange of length CS_TLS_MAX_HS_MSG - 4 in 64 records of 16384
 * bytes, the last one followed in the same record by ServerHelloDone.
 * Expected: server_flight_done, no too_long, memcap 0.  Actual: memcap 1,
 * too_long, the direction stops.  Suspected: tls.c handshake_record(), the
 * bufpool_reserve(d->hs.len + n): only the bytes of the pending message
 * need to be copied (parse what completes it, then go on in place), or the
 * cap and the message limit must leave room for one record. */
static void test_largest_message_then_another_in_same_record(void **state)
{
	(void)state;
	const size_t total = CS_TLS_MAX_HS_MSG, chunk = 16384;
	struct cs_slice m = handshake(HS_SKE, sl_fill(0x44, total - 4));
	struct h *h = h_new();

	assert_int_equal(m.n, total);
	h_feed(h, CLI, hsrec(client_hello("big.example", NONE, NONE)));
	h_feed(h, SRV, hsrec(server_hello(0x0303, sl_fill(0x33, 32), NONE)));
	for (size_t off = 0; off < total; off += chunk) {
		struct cs_slice part = sl_sub(m, off, chunk);

		h_feed(h, SRV, hsrec(off + chunk == total ? SL_JOIN(part, shd()) : part));
	}
	assert_int_equal(h->st.msg_too_long, 0);
	assert_int_equal(h->st.memcap, 0);
	assert_false(h->c.too_long);
	assert_true(h->c.server_flight_done);
}

static void test_memcap_refuses_buffer(void **state)
{
	(void)state;
	const struct cs_slice *certs = synthetic_chain();
	struct cs_slice m = certificate(certs, 3);
	struct h *h = h_new_with(0, NULL);

	h_feed(h, SRV, hsrec(server_hello(0x0303, sl_fill(0x33, 32), NONE)));
	h_feed(h, SRV, hsrec(sl_sub(m, 0, 50)));
	assert_int_equal(h->st.memcap, 1);
	assert_true(h->c.too_long);
	h_feed(h, SRV, SL_JOIN(hsrec(sl_sub(m, 50, m.n - 50)), hsrec(shd())));
	assert_null(tls_server_chain(&h->c));
	assert_false(h->c.server_flight_done);
	assert_int_equal(tls_outcome(&h->c), TLS_OUT_INCOMPLETE);
	/* whole messages need no buffer at all */
	h = h_new_with(0, NULL);
	h_feed(h, CLI, hsrec(client_hello("x.example", NONE, NONE)));
	h_feed(h, SRV, server_flight(certs, 3));
	assert_non_null(tls_server_chain(&h->c));
	assert_int_equal(h->st.memcap, 0);
}

static void test_too_many_certificates(void **state)
{
	(void)state;
	struct cs_slice many[CS_MAX_CHAIN_CERTS + 1];

	for (size_t i = 0; i < CS_ARRAY_LEN(many); i++)
		many[i] = fake_cert((uint8_t)i, 20 + i);
	for (size_t n = CS_MAX_CHAIN_CERTS; n <= CS_MAX_CHAIN_CERTS + 1; n++) {
		struct h *h = h_new();

		h_feed(h, CLI, hsrec(client_hello("many.example", NONE, NONE)));
		h_feed(h, SRV, server_flight(many, n));
		h_feed(h, CLI, client_finish());
		assert_true(h->c.done);
		if (n == CS_MAX_CHAIN_CERTS) {
			assert_int_equal(tls_outcome(&h->c), TLS_OUT_CHAIN);
			assert_int_equal(tls_server_chain(&h->c)->n_certs, n);
			assert_true(stats_zero(&h->st));
		} else {
			assert_true(h->c.too_long);
			assert_int_equal(h->st.chain_certs_cap, 1);
			assert_null(tls_server_chain(&h->c));
			assert_int_equal(tls_outcome(&h->c), TLS_OUT_INCOMPLETE);
			assert_int_equal(chain_store_count(h->chains), 0);
		}
	}
}

static void store_free(void *p) { chain_store_free(p); }

static void test_chain_store_cap(void **state)
{
	(void)state;
	struct cs_slice a = fake_cert(0xa1, 30), b = fake_cert(0xb2, 30);
	struct cs_chain_store *store = tl_keep(chain_store_new(1, 1u << 20), store_free);
	struct h *h1 = h_new_with(1u << 20, store), *h2 = h_new_with(1u << 20, store);
	struct h *h3 = h_new_with(1u << 20, store);

	tls_set_server(&h1->c, SRV);
	tls_set_server(&h2->c, SRV);
	tls_set_server(&h3->c, SRV);
	h_feed(h1, SRV, hsrec(certificate(&a, 1)));
	assert_non_null(tls_server_chain(&h1->c));
	h_feed(h2, SRV, hsrec(certificate(&b, 1)));
	assert_null(tls_server_chain(&h2->c));
	assert_true(h2->c.too_long);
	assert_int_equal(h2->st.chains_cap, 1);
	h_feed(h3, SRV, hsrec(certificate(&a, 1))); /* known chains still resolve */
	assert_ptr_equal(tls_server_chain(&h3->c), tls_server_chain(&h1->c));
	assert_int_equal(h3->st.chains_cap, 0);
}

/* Every length inside a Certificate message, made to disagree with the
 * others: never a chain; malformed whenever the message is complete. */
static void test_certificate_inner_lengths(void **state)
{
	(void)state;
	const struct cs_slice *certs = synthetic_chain();
	struct cs_slice m = certificate(certs, 3);
	size_t fields[5] = {1, 4, 7, 7 + 3 + certs[0].n, 7 + 3 + certs[0].n + 3 + certs[1].n};
	const int32_t deltas[] = {-3, -2, -1, 1, 2, 3, INT32_MIN /* 0 */, INT32_MAX /* ffffff */};

	for (size_t f = 0; f < CS_ARRAY_LEN(fields); f++) {
		uint32_t v = (uint32_t)m.p[fields[f]] << 16 | (uint32_t)m.p[fields[f] + 1] << 8 |
			     m.p[fields[f] + 2];

		for (size_t d = 0; d < CS_ARRAY_LEN(deltas); d++) {
			uint8_t *bad = tl_keep(malloc(m.n), free);
			uint32_t nv = deltas[d] == INT32_MIN   ? 0
				      : deltas[d] == INT32_MAX ? 0xffffff
							       : (uint32_t)((int32_t)v + deltas[d]);
			struct h *h = h_new();

			memcpy(bad, m.p, m.n);
			bad[fields[f]] = (uint8_t)(nv >> 16);
			bad[fields[f] + 1] = (uint8_t)(nv >> 8);
			bad[fields[f] + 2] = (uint8_t)nv;
			h_feed(h, CLI, hsrec(client_hello("len.example", NONE, NONE)));
			h_feed(h, SRV, hsrec(server_hello(0x0303, sl_fill(0x33, 32), NONE)));
			h_feed(h, SRV,
			       SL_JOIN(hsrec(sl_bytes(bad, m.n)), hsrec(ske()), hsrec(shd())));
			h_feed(h, CLI, client_finish());
			assert_null(tls_server_chain(&h->c));
			assert_false(tls_unattributed(&h->c));
			assert_int_not_equal(tls_outcome(&h->c), TLS_OUT_CHAIN);
			assert_int_equal(chain_store_count(h->chains), 0);
			if (f == 0 && nv > v) {
				/* a longer message swallows what follows: malformed
				 * once enough bytes came, else still waiting */
				assert_true(h->c.malformed || !h->c.server_flight_done);
			} else {
				assert_true(h->c.malformed);
				assert_int_equal(h->st.malformed, 1);
			}
			tl_arena_free(NULL);
			certs = synthetic_chain();
			m = certificate(certs, 3);
		}
	}
	/* a zero-length entry (certificate<1..2^24-1>) */
	{
		struct cs_slice empty = NONE;
		struct h *h = h_new();

		tls_set_server(&h->c, SRV);
		h_feed(h, SRV, hsrec(certificate(&empty, 1)));
		assert_true(h->c.malformed);
	}
}

/* An empty certificate_list from the server: nothing to judge. */
static void test_empty_certificate_list(void **state)
{
	(void)state;
	struct h *h = h_new();

	h_feed(h, CLI, hsrec(client_hello("empty.example", NONE, NONE)));
	h_feed(h, SRV,
	       SL_JOIN(hsrec(server_hello(0x0303, sl_fill(0x33, 32), NONE)),
		       hsrec(certificate(NULL, 0)), hsrec(shd())));
	h_feed(h, CLI, client_finish());
	assert_null(tls_server_chain(&h->c));
	assert_false(h->c.malformed);
	assert_int_equal(tls_outcome(&h->c), TLS_OUT_NO_CERT);
}

static void test_client_hello_fields(void **state)
{
	(void)state;
	char longname[301];
	struct h *h;

	memset(longname, 'a', 300);
	longname[300] = '\0';
	/* a name longer than CS_MAX_SNI is cut to CS_MAX_SNI */
	h = h_new();
	h_feed(h, CLI, hsrec(client_hello(longname, NONE, NONE)));
	assert_true(h->c.sni_sent);
	assert_int_equal(h->c.sni_len, CS_MAX_SNI);
	assert_int_equal(strlen(h->c.sni), CS_MAX_SNI);

	/* a non-host_name entry first, then the host name */
	h = h_new();
	h_feed(h, CLI,
	       hsrec(client_hello(
		       NULL, NONE,
		       extension(0, sl_vec(2, SL_JOIN(sl_num(1, 7), sl_vec(2, sl_str("zz")),
						      sl_num(1, 0),
						      sl_vec(2, sl_str("b.example"))))))));
	assert_true(h->c.sni_sent);
	assert_string_equal(h->c.sni, "b.example");

	/* no SNI, no extensions at all */
	h = h_new();
	h_feed(h, CLI,
	       hsrec(handshake(HS_CH,
			       SL_JOIN(sl_num(2, 0x0300), sl_fill(0x11, 32), sl_vec(1, NONE),
				       sl_vec(2, sl_num(2, 0x000a)), sl_vec(1, sl_num(1, 0))))));
	assert_true(h->c.client_hello);
	assert_false(h->c.sni_sent);
	assert_false(h->c.malformed);

	/* a session id longer than 32 is malformed */
	h = h_new();
	h_feed(h, CLI, hsrec(client_hello("x.example", sl_fill(1, 33), NONE)));
	assert_true(h->c.malformed);
	assert_int_equal(h->st.malformed, 1);
}

static void test_odd_paths(void **state)
{
	(void)state;
	const struct cs_slice *certs = synthetic_chain();
	struct cs_slice v2 = sslv2_client_hello();
	struct h *h;

	/* a ServerHello cut after its random, one whose extensions overrun */
	h = h_new();
	h_feed(h, SRV, hsrec(handshake(HS_SH, SL_JOIN(sl_num(2, 0x0303), sl_fill(0x22, 32)))));
	assert_true(h->c.server_hello);
	assert_true(h->c.malformed);
	h = h_new();
	h_feed(h, SRV,
	       hsrec(handshake(HS_SH, SL_JOIN(sl_num(2, 0x0303), sl_fill(0x22, 32), sl_vec(1, NONE),
					      sl_num(2, 0xc02f), sl_num(1, 0),
					      sl_vec(2, SL_JOIN(sl_num(2, 43), sl_num(2, 9),
								sl_num(2, 0x0304)))))));
	assert_true(h->c.malformed);
	assert_false(h->c.done);
	h = h_new(); /* an empty ServerHello (after a record the hunt can see) */
	h_feed(h, SRV, SL_JOIN(hsrec(shd()), hsrec(handshake(HS_SH, NONE))));
	assert_true(h->c.malformed);
	assert_int_equal(h->c.version, 0);

	/* heartbeat records are stepped over */
	h = h_new();
	h_feed(h, CLI, hsrec(client_hello("hb.example", NONE, NONE)));
	h_feed(h, SRV,
	       SL_JOIN(hsrec(server_hello(0x0303, sl_fill(0x33, 32), NONE)),
		       record(24, 0x0303, sl_fill(1, 19)), hsrec(certificate(certs, 3)),
		       hsrec(shd())));
	assert_non_null(tls_server_chain(&h->c));
	assert_false(h->c.malformed);

	/* a hunt that starts at a ServerKeyExchange record */
	h = h_new();
	h_feed(h, SRV, SL_JOIN(sl_fill(0x20, 10), hsrec(ske()), hsrec(shd())));
	assert_int_equal(h->c.server, SRV);
	assert_true(h->c.server_flight_done);
	assert_int_equal(h->c.d[SRV].skipped, 10);

	/* an SSLv2 ClientHello that arrives in pieces */
	h = h_new();
	h_feed(h, CLI, sl_sub(v2, 0, 4));
	h_feed(h, CLI, sl_sub(v2, 4, 10));
	assert_false(h->c.client_hello);
	h_feed(h, CLI, sl_sub(v2, 14, v2.n - 14));
	assert_true(h->c.client_hello);
	assert_int_equal(h->st.sslv2_client_hellos, 1);
	assert_int_equal(h->npend[CLI], 0);
}

/* ---- every truncation, byte flips ------------------------------------------------- */

/* The conversation cut after every byte, then the capture ends: no crash,
 * and a chain exactly when the server's Certificate record was complete. */
static void test_every_truncation(void **state)
{
	(void)state;
	struct conv cv = conv_tls12(synthetic_chain(), 3);
	size_t total = 0, cert_end = 0;

	for (size_t i = 0; i < cv.n; i++) {
		total += cv.s[i].b.n;
		if (i == 2) /* Certificate + SKE segment: Certificate is its first record */
			cert_end = total - cv.s[2].b.n + 5 + certificate(synth_certs, 3).n;
	}
	for (size_t cut = 0; cut <= total; cut++) {
		struct h *h = h_new();
		size_t left = cut;

		for (size_t i = 0; i < cv.n && left > 0; i++) {
			size_t k = cv.s[i].b.n < left ? cv.s[i].b.n : left;

			h_feed(h, cv.s[i].dir, sl_sub(cv.s[i].b, 0, k));
			left -= k;
		}
		if (cut >= cert_end) {
			assert_non_null(tls_server_chain(&h->c));
			assert_int_equal(tls_outcome(&h->c), TLS_OUT_CHAIN);
		} else {
			assert_null(tls_server_chain(&h->c));
			assert_int_not_equal(tls_outcome(&h->c), TLS_OUT_CHAIN);
		}
		assert_false(h->c.malformed);
		assert_true(stats_zero(&h->st));
		h_drop(h);
	}
}

static uint32_t rng_state = 0x2545f491u;

static uint32_t rng(void) { return tl_rand(&rng_state); }
/* Random byte flips and random segmentation: no crash (run under ASan),
 * consumption never beyond what was offered, invariants hold. */
static void test_byte_flips(void **state)
{
	(void)state;
	struct conv base = conv_tls12(synthetic_chain(), 3);
	struct conv smtp = starttls_conv(starttls_case("smtp"));

	for (int iter = 0; iter < 4000; iter++) {
		const struct conv *src = iter % 4 == 3 ? &smtp : &base;
		struct conv cv = *src;
		int flips = 1 + (int)(rng() % 4);
		struct h *h;

		for (int f = 0; f < flips; f++) {
			size_t s = rng() % cv.n;
			uint8_t *copy = tl_keep(malloc(cv.s[s].b.n), free);

			memcpy(copy, cv.s[s].b.p, cv.s[s].b.n);
			copy[rng() % cv.s[s].b.n] ^= (uint8_t)(1u << (rng() % 8));
			cv.s[s].b.p = copy;
		}
		h = h_new();
		for (size_t i = 0; i < cv.n; i++) {
			struct cs_slice b = cv.s[i].b;
			size_t k = rng() % 3 == 0 ? rng() % (b.n + 1) : b.n;

			h_feed(h, cv.s[i].dir, sl_sub(b, 0, k));
			h_feed(h, cv.s[i].dir, sl_sub(b, k, b.n - k));
		}
		const struct cs_chain *ch = tls_server_chain(&h->c);
		if (ch) {
			assert_true(ch->n_certs >= 1 && ch->n_certs <= CS_MAX_CHAIN_CERTS);
			assert_int_equal(h->c.cert_dir, h->c.server);
		}
		assert_true(h->c.server >= -1 && h->c.server <= 1);
		assert_true(h->c.sni_len <= CS_MAX_SNI);
		assert_true(h->c.sid_len <= 32);
		assert_true(h->c.starttls < TLS_STARTTLS_MAX);
		assert_non_null(tls_outcome_name(tls_outcome(&h->c)));
		assert_non_null(tls_version_name(h->c.version));
		assert_true(h->chain_new <= 1);
		if (iter % 64 == 63) {
			tl_arena_free(NULL);
			base = conv_tls12(synthetic_chain(), 3);
			smtp = starttls_conv(starttls_case("smtp"));
		}
	}
}

static void test_names(void **state)
{
	(void)state;
	static const struct {
		uint16_t v;
		const char *name;
	} versions[] = {
		{0x0002, "SSL2.0"},       {0x0300, "SSL3.0"},       {0x0301, "TLS1.0"},
		{0x0302, "TLS1.1"},       {0x0303, "TLS1.2"},       {0x0304, "TLS1.3"},
		{0x7f17, "TLS1.3-draft"}, {0xfb1a, "TLS1.3-draft"}, {0x0305, "unknown"},
		{0, "unknown"},
	};

	for (size_t i = 0; i < CS_ARRAY_LEN(versions); i++)
		assert_string_equal(tls_version_name(versions[i].v), versions[i].name);
	assert_string_equal(tls_outcome_name(TLS_OUT_CHAIN), "chain");
	assert_string_equal(tls_outcome_name(TLS_OUT_INCOMPLETE), "incomplete");
	assert_string_equal(tls_outcome_name((enum tls_outcome)99), "unknown");
	assert_string_equal(tls_incomplete_name(TLS_INC_NO_SERVER_HELLO), "no_server_hello");
	assert_string_equal(tls_incomplete_name(TLS_INC_GAP), "gap");
	assert_string_equal(tls_incomplete_name(TLS_INC_CAPTURE_ENDED), "capture_ended");
	assert_string_equal(tls_incomplete_name(TLS_INC_SNAPLEN), "snaplen");
	assert_string_equal(tls_incomplete_name(TLS_INC_MALFORMED), "malformed");
	assert_string_equal(tls_incomplete_name(TLS_INC_TOO_LONG), "too_long");
	assert_string_equal(tls_incomplete_name(TLS_INC_EVICTED), "evicted");
	assert_string_equal(tls_incomplete_name(TLS_INC_MAX), "unknown");
	assert_string_equal(tls_starttls_name(TLS_STARTTLS_SMTP), "smtp");
	assert_string_equal(tls_starttls_name(TLS_STARTTLS_IMAP), "imap");
	assert_string_equal(tls_starttls_name(TLS_STARTTLS_POP3), "pop3");
	assert_string_equal(tls_starttls_name(TLS_STARTTLS_FTP), "ftp");
	assert_string_equal(tls_starttls_name(TLS_STARTTLS_OTHER), "other");
	assert_string_equal(tls_starttls_name(TLS_STARTTLS_MAX), "unknown");
	assert_string_equal(tls_alert_name(0), "close_notify");
	assert_string_equal(tls_alert_name(40), "handshake_failure");
	assert_string_equal(tls_alert_name(48), "unknown_ca");
	assert_string_equal(tls_alert_name(112), "unrecognized_name");
	assert_string_equal(tls_alert_name(116), "certificate_required");
	assert_string_equal(tls_alert_name(255), "unknown");
	for (unsigned d = 0; d < 256; d++)
		assert_non_null(tls_alert_name((uint8_t)d));
}

static void test_nothing_seen(void **state)
{
	(void)state;
	struct h *h = h_new();

	assert_false(tls_seen(&h->c));
	assert_int_equal(tls_outcome(&h->c), TLS_OUT_INCOMPLETE);
	assert_int_equal(tls_feed(&h->c, &h->env, CLI, NONE), 0);
	h_feed_str(h, CLI, "GET / HTTP/1.1\r\nHost: example.com\r\n\r\n");
	h_feed_str(h, SRV, "HTTP/1.1 200 OK\r\n\r\n");
	assert_false(tls_seen(&h->c));
	assert_false(h->c.done);
	assert_int_equal(h->npend[CLI], 0);
	assert_int_equal(h->npend[SRV], 0);
}

#define T(fn) cmocka_unit_test_teardown(fn, tl_arena_free)
/* The starttls_cases entry of proto, as the test test_starttls_<proto>. */
#define T_STARTTLS(proto)                                                                          \
	{                                                                                          \
		"test_starttls_" #proto, test_starttls_case, NULL, tl_arena_free, (void *)#proto   \
	}

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_full_tls12),
		T(test_full_conversation),
		T(test_certificate_over_5_records),
		T(test_several_messages_in_one_record),
		T(test_split_every_offset),
		T(test_tls13_supported_versions),
		T(test_tls13_draft),
		T(test_tls13_experiment_version_at_stream_start),
		T(test_hello_retry_request),
		T(test_resumption_by_session_id),
		T(test_abbreviated_with_ticket),
		T(test_no_certificate),
		T(test_client_certificate_after_server_chain),
		T(test_unknown_side_then_server_hello_done),
		T(test_unknown_side_then_client_key_exchange),
		T(test_lone_certificate),
		T(test_set_server_from_syn_ack),
		T_STARTTLS(smtp),
		T_STARTTLS(imap),
		T_STARTTLS(pop3),
		T_STARTTLS(ftp),
		T_STARTTLS(mysql),
		T_STARTTLS(other),
		T(test_no_preamble_is_none),
		T(test_starttls_every_split),
		T(test_midstream),
		T(test_preamble_cap),
		T(test_hunt_incoherent_candidates),
		T(test_preamble_cap_independent_of_segmentation),
		T(test_sslv2_client_hello),
		T(test_sslv2_shape_elsewhere),
		T(test_alert_from_client_after_server_flight),
		T(test_cipher_suite),
		T(test_alert_as_servers_first_record),
		T(test_malformed_record_header),
		T(test_handshake_message_too_long),
		T(test_stopped_direction_releases_buffer),
		T(test_largest_message_then_another_in_same_record),
		T(test_memcap_refuses_buffer),
		T(test_too_many_certificates),
		T(test_chain_store_cap),
		T(test_certificate_inner_lengths),
		T(test_empty_certificate_list),
		T(test_client_hello_fields),
		T(test_odd_paths),
		T(test_every_truncation),
		T(test_byte_flips),
		T(test_names),
		T(test_nothing_seen),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
