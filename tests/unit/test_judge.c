/*
 * test_judge.c - the chain analysis as a service (cs_judge.h): verdicts
 * cached per chain and window, hostname results per (chain, SNI), one
 * answer per request (token) through judge_poll/judge_wait/judge_drain,
 * the budget per second of capture time with deferral (live only),
 * judge_tick, the deferral queue's overflow, judge_now for a state
 * restore, the analysis thread (with and without preparsing),
 * trust-store reloads and the evidence kept per chain.
 * Trust store: pcaps/lab/pki/trust.pem (root + ecroot); chains from the
 * lab PKI (CERTS.txt) and a few made in memory.  No test waits on a clock:
 * the threaded ones synchronise through judge_drain.
 * Run from the repository root.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <inttypes.h>

#include "cs_addr.h"
#include "cs_judge.h"
#include "cs_timeline.h"
#include "testlib.h"
#include "testpki.h"

#define T_CAPTURE 1795403299LL    /* 2026-11-23T03:08:19Z */
#define T_2034_12_15 2049667200LL /* within 30 days of the PKI's notAfter */
#define DAY 86400LL
#define NOW 1000 /* capture time of the tests, seconds */
#define SHA_INT1 "0d9c3b4bf4c17d0c86fb3b3075033728422fde80bd65fd8b0621d17feb1af37a"
#define B(c) (1u << CS_P_##c)

struct env {
	struct trust_opts to;
	struct judge *j;
	struct cs_chain_store *st;
	uint32_t next_token;
	char err[512];
};

static void env_init(struct env *e, struct judge_opts o)
{
	memset(e, 0, sizeof *e);
	e->to.ca_files[e->to.n_ca_files++] = TP_PKI "trust.pem";
	o.trust = &e->to;
	e->j = judge_new(&o, e->err, sizeof e->err);
	if (!e->j)
		fail_msg("judge_new: %s", e->err);
	e->st = chain_store_new(CS_MAX_CHAINS, CS_CHAIN_MEMCAP);
	assert_non_null(e->st);
	e->next_token = 1;
}

static void env_fini(struct env *e)
{
	judge_free(e->j);
	chain_store_free(e->st);
}

/* A test's environment, for cmocka_unit_test_prestate_setup_teardown
 * (ENV_TEST): made from the judge_opts given as the test's state, freed
 * after the test whether it passed or not. */
static int env_setup(void **state)
{
	struct env *e = malloc(sizeof *e);

	assert_non_null(e);
	env_init(e, *(const struct judge_opts *)*state);
	*state = e;
	return 0;
}

static int env_teardown(void **state)
{
	env_fini(*state);
	free(*state);
	return 0;
}

#define ENV_TEST(f, opts) TL_TEST_WITH(f, env_setup, env_teardown, &(opts))

/* The judges the tests run on (warn_days -1: no --warn-days given). */
static const struct judge_opts o_sync = {.warn_days = -1};

static const struct cs_chain *pem_chain(struct env *e, const char *const *names, size_t n)
{
	X509 *xs[8];
	const struct cs_chain *c;

	assert_true(n <= 8);
	for (size_t i = 0; i < n; i++)
		xs[i] = tp_pem(names[i]);
	c = tp_intern(e->st, xs, n);
	for (size_t i = 0; i < n; i++)
		X509_free(xs[i]);
	return c;
}

#define CHAIN(e, ...)                                                                              \
	pem_chain(e, (const char *const[]){__VA_ARGS__},                                           \
		  sizeof((const char *const[]){__VA_ARGS__}) / sizeof(const char *))

/* A chain of one unparseable entry, distinct per k (cheap to analyse). */
static const struct cs_chain *junk_chain(struct env *e, unsigned k)
{
	char buf[32];
	struct cs_slice s = {(const uint8_t *)buf, 0};
	const struct cs_chain *c;
	bool added;

	s.n = (size_t)snprintf(buf, sizeof buf, "junk %u", k);
	assert_int_equal(chain_store_intern(e->st, &s, 1, &c, &added), CS_OK);
	return c;
}

static struct judge_stats stats(struct env *e)
{
	struct judge_stats s;

	judge_get_stats(e->j, &s);
	return s;
}

/* The cache's counts after the step named `after`. */
static void expect_cache_counts(struct env *e, const char *after, uint64_t analyses,
				uint64_t cache_hits, uint64_t hostname_checks)
{
	struct judge_stats s = stats(e);

	if (s.analyses != analyses || s.cache_hits != cache_hits ||
	    s.hostname_checks != hostname_checks)
		fail_msg("after %s: %" PRIu64 " analyses, %" PRIu64 " cache hits, %" PRIu64
			 " hostname checks; wanted %" PRIu64 ", %" PRIu64 ", %" PRIu64,
			 after, s.analyses, s.cache_hits, s.hostname_checks, analyses, cache_hits,
			 hostname_checks);
}

/* The address of a server, for judge_lookup and judge_now. */
static const struct cs_addr *srv(const char *ip)
{
	static struct cs_addr a[4];
	static unsigned n;
	struct cs_addr *p = &a[n++ % 4];

	assert_true(cs_addr_parse(ip, p));
	return p;
}

/* Ask for the verdict of one handshake (a fresh token), from the server
 * 192.0.2.10:443 at capture time now; *token says which it was. */
static enum judge_ask ask_tok(struct env *e, const struct cs_chain *c, int64_t when,
			      const char *sni, int64_t now, struct judge_result *r, uint32_t *token)
{
	*token = e->next_token++;
	memset(r, 0, sizeof *r);
	return judge_lookup(e->j, c, when, when, sni, sni ? strlen(sni) : 0, srv("192.0.2.10"), 443,
			    now, *token, r);
}

static enum judge_ask ask(struct env *e, const struct cs_chain *c, int64_t when, const char *sni,
			  int64_t now, struct judge_result *r)
{
	uint32_t token;

	return ask_tok(e, c, when, sni, now, r, &token);
}

/* The answer, at once, for chain c and sni at T_CAPTURE, NOW: hostname_ok
 * must be ok. */
static struct judge_result hostname_answer(struct env *e, const struct cs_chain *c, const char *sni,
					   bool ok)
{
	struct judge_result r;

	assert_int_equal(ask(e, c, T_CAPTURE, sni, NOW, &r), JUDGE_READY);
	if (r.hostname_ok != ok)
		fail_msg("SNI %.40s: hostname_ok %d, wanted %d", sni ? sni : "(none)",
			 r.hostname_ok, ok);
	return r;
}

/* Answers taken by judge_poll, judge_wait or judge_drain (static: there
 * may be thousands). */
struct answers {
	size_t n;
	uint32_t token[2 * CS_JUDGE_MAX_DEFERRED];
	struct judge_result r[2 * CS_JUDGE_MAX_DEFERRED];
};

static void on_answer(void *ctx, uint32_t token, const struct judge_result *r)
{
	struct answers *a = ctx;

	assert_true(a->n < CS_ARRAY_LEN(a->token));
	assert_non_null(r->v);
	a->token[a->n] = token;
	a->r[a->n] = *r;
	a->n++;
}

static struct answers answers;

static const struct answers *poll_all(struct env *e)
{
	answers.n = 0;
	judge_poll(e->j, on_answer, &answers);
	return &answers;
}

static const struct answers *drain_all(struct env *e)
{
	answers.n = 0;
	judge_drain(e->j, on_answer, &answers);
	return &answers;
}

/* The answer for token in a, NULL if none. */
static const struct judge_result *answer_for(const struct answers *a, uint32_t token)
{
	const struct judge_result *found = NULL;

	for (size_t i = 0; i < a->n; i++)
		if (a->token[i] == token) {
			assert_null(found); /* one answer per request */
			found = &a->r[i];
		}
	return found;
}

/* ---- life cycle ------------------------------------------------------------------- */

static void test_new_errors(void **state)
{
	(void)state;
	struct trust_opts to;
	struct judge_opts o = o_sync;
	char err[512] = "";

	judge_free(NULL);
	memset(&to, 0, sizeof to);
	to.ca_files[to.n_ca_files++] = TP_PKI "no-such-store.pem";
	o.trust = &to;
	assert_null(judge_new(&o, err, sizeof err));
	assert_non_null(strstr(err, "no-such-store.pem"));
	/* a store that loads, --intermediates that does not */
	to.ca_files[0] = TP_PKI "trust.pem";
	o.intermediates = TP_PKI "no-such-bundle.pem";
	err[0] = '\0';
	assert_null(judge_new(&o, err, sizeof err));
	assert_non_null(strstr(err, "no-such-bundle.pem"));
}

static void test_unknown_verdicts(void **state)
{
	(void)state;
	for (int why = DIAG_UNK_NONE; why < DIAG_UNK_MAX; why++) {
		const struct diag_verdict *v = judge_unknown((enum diag_unknown)why);

		assert_non_null(v);
		assert_int_equal(v->status, DIAG_UNKNOWN);
		assert_int_equal(v->unknown_reason, why);
		assert_false(v->broken);
		assert_int_equal(v->nproblems, 0);
		assert_non_null(v->leaf_names);
	}
	assert_int_equal(judge_unknown((enum diag_unknown)77)->unknown_reason, DIAG_UNK_NONE);
}

/* The store judged against is recorded: name, digest, anchors. */
static void test_stores(void **state)
{
	struct env *e = *state;
	struct judge_store s[4];

	assert_int_equal(judge_stores(e->j, s, 4), 1);
	assert_non_null(strstr(s[0].name, "trust.pem"));
	assert_int_equal(strlen(s[0].sha256), 64);
	assert_int_equal(s[0].anchors, 2);
	assert_true(s[0].loaded_ns > 0);
	assert_int_equal(judge_stores(e->j, s, 0), 0);
	assert_int_equal(judge_warn_days(e->j), CS_DIAG_WARN_DAYS_DEFAULT);
}

/* ---- synchronous: verdicts at once, cached --------------------------------------------- */

static void test_sync_lookup_and_cache(void **state)
{
	struct env *e = *state;
	const struct cs_chain *one;
	struct judge_result r;
	const struct diag_verdict *v;

	one = CHAIN(e, "one", "int1");
	assert_int_equal(ask(e, one, T_CAPTURE, "one.test", NOW, &r), JUDGE_READY);
	assert_non_null(r.v);
	v = r.v;
	assert_int_equal(v->status, DIAG_OK);
	assert_true(r.hostname_ok);
	assert_false(r.broken);
	assert_int_equal(r.mask, 0);
	assert_true(v->from <= T_CAPTURE && T_CAPTURE < v->until);
	expect_cache_counts(e, "the first lookup", 1, 0, 1);
	/* a day later, the same SNI: a cache hit, the same verdict object */
	assert_int_equal(ask(e, one, T_CAPTURE + DAY, "one.test", NOW, &r), JUDGE_READY);
	assert_ptr_equal(r.v, v);
	expect_cache_counts(e, "a day later", 1, 1, 1);
	/* another SNI: a hostname check, no analysis */
	assert_int_equal(ask(e, one, T_CAPTURE, "mismatch.test", NOW, &r), JUDGE_READY);
	assert_ptr_equal(r.v, v);
	assert_false(r.hostname_ok);
	assert_true(r.broken);
	assert_int_equal(r.mask, B(HOSTNAME_MISMATCH));
	expect_cache_counts(e, "another SNI", 1, 1, 2);
	/* both names are now cached, and no SNI needs no check */
	hostname_answer(e, one, "mismatch.test", false);
	hostname_answer(e, one, "www.one.test", true);
	hostname_answer(e, one, "one.test", true);
	assert_false(hostname_answer(e, one, NULL, true).broken);
	expect_cache_counts(e, "both names cached", 1, 4, 3);
	/* outside the window: a new analysis, another verdict ... */
	assert_int_equal(ask(e, one, T_2034_12_15, "one.test", NOW, &r), JUDGE_READY);
	assert_ptr_not_equal(r.v, v);
	assert_int_equal(r.mask, B(EXPIRING_SOON));
	assert_int_equal(stats(e).analyses, 2);
	/* ... and the first window is still cached */
	assert_int_equal(ask(e, one, T_CAPTURE, "one.test", NOW, &r), JUDGE_READY);
	assert_ptr_equal(r.v, v);
	assert_int_equal(stats(e).analyses, 2);
	/* everything was answered inline: nothing to poll */
	assert_int_equal(poll_all(e)->n, 0);
}

/* Hostname results are per (chain, name): one chain's answer for a name is
 * not another's, and many names for one chain are each answered right. */
static void test_sync_hostname_per_chain(void **state)
{
	struct env *e = *state;
	const struct cs_chain *one, *two;
	char sni[CS_MAX_SNI + 2];

	one = CHAIN(e, "one", "int1");
	two = CHAIN(e, "two", "int2", "int1");
	hostname_answer(e, one, "two.test", false);
	hostname_answer(e, two, "two.test", true);
	hostname_answer(e, one, "two.test", false);
	/* more names than ways: each still answered right */
	for (int round = 0; round < 2; round++) {
		static const char *const names[] = {"a.test", "one.test",     "b.test",
						    "c.test", "www.one.test", "d.test"};

		for (size_t i = 0; i < CS_ARRAY_LEN(names); i++)
			hostname_answer(e, one, names[i], strstr(names[i], "one.test") != NULL);
	}
	/* a name longer than an SNI can be is no SNI: not checked */
	memset(sni, 'a', sizeof sni - 1);
	sni[sizeof sni - 1] = '\0';
	hostname_answer(e, one, sni, true);
	assert_int_equal(stats(e).analyses, 2);
}

static const struct judge_opts o_one_check = {.warn_days = -1, .max_checks = 1};

/* A chain that exhausts the analysis budget is unknown (analysis_budget),
 * counted, never ok. */
static void test_sync_analysis_budget(void **state)
{
	struct env *e = *state;
	const struct cs_chain *two;
	struct judge_result r;
	struct judge_stats s;

	two = CHAIN(e, "two", "int2", "int1");
	assert_int_equal(ask(e, two, T_CAPTURE, "two.test", NOW, &r), JUDGE_READY);
	assert_int_equal(r.v->status, DIAG_UNKNOWN);
	assert_int_equal(r.v->unknown_reason, DIAG_UNK_BUDGET);
	assert_false(r.v->broken);
	assert_int_equal(r.mask & B(BAD_SIGNATURE), 0);
	s = stats(e);
	assert_int_equal(s.budget_exhausted, 1);
	assert_int_equal(s.diag.budget_exhausted, 1);
}

/* ---- the budget per second of capture time --------------------------------------------- */

/* rate and burst of 1 us: the first analysis empties the bucket. */
static const struct judge_opts o_tiny_budget = {
	.warn_days = -1, .budget = true, .rate_us = 1, .burst_us = 1};
static const struct judge_opts o_tiny_rate_no_budget = {
	.warn_days = -1, .rate_us = 1, .burst_us = 1};

/* Without judge_opts.budget (files) nothing waits, whatever the rate. */
static void test_sync_no_budget_no_deferral(void **state)
{
	struct env *e = *state;
	struct judge_result r;

	assert_int_equal(ask(e, CHAIN(e, "one", "int1"), T_CAPTURE, NULL, NOW, &r), JUDGE_READY);
	assert_int_equal(ask(e, CHAIN(e, "two", "int2", "int1"), T_CAPTURE, NULL, NOW, &r),
			 JUDGE_READY);
	assert_int_equal(ask(e, CHAIN(e, "ec", "ecint"), T_CAPTURE, NULL, NOW, &r), JUDGE_READY);
	assert_int_equal(r.v->status, DIAG_OK);
	assert_int_equal(stats(e).deferred, 0);
	assert_int_equal(stats(e).analyses, 3);
}

static void test_sync_deferral(void **state)
{
	struct env *e = *state;
	const struct cs_chain *one, *two, *ec;
	struct judge_result r;
	struct judge_stats s;
	const struct answers *a;
	uint32_t t2, t3, t4;

	one = CHAIN(e, "one", "int1");
	two = CHAIN(e, "two", "int2", "int1");
	ec = CHAIN(e, "ec", "ecint");
	assert_int_equal(ask(e, one, T_CAPTURE, "one.test", NOW, &r), JUDGE_READY);
	assert_int_equal(r.v->status, DIAG_OK);
	assert_true(r.v->spent > 1);
	/* the bucket is empty: the next new chain waits */
	assert_int_equal(ask_tok(e, two, T_CAPTURE, "two.test", NOW, &r, &t2), JUDGE_WAIT);
	s = stats(e);
	assert_int_equal(s.deferred, 1);
	assert_int_equal(s.analyses, 1);
	/* another handshake of it: its own request, waiting too */
	assert_int_equal(ask_tok(e, two, T_CAPTURE, "www.two.test", NOW, &r, &t3), JUDGE_WAIT);
	assert_int_equal(stats(e).deferred, 2);
	/* a known chain is still answered */
	assert_int_equal(ask(e, one, T_CAPTURE, "one.test", NOW, &r), JUDGE_READY);
	assert_int_equal(poll_all(e)->n, 0);
	/* the same second again, then one more: 1 us refilled is not enough */
	judge_tick(e->j, NOW);
	judge_tick(e->j, NOW + 1);
	assert_int_equal(poll_all(e)->n, 0);
	assert_int_equal(stats(e).analyses, 1);
	/* much later: the bucket is full again, both handshakes answered, one
	 * analysis for the two */
	judge_tick(e->j, NOW + 100);
	a = poll_all(e);
	assert_int_equal(a->n, 2);
	assert_int_equal(a->token[0], t2); /* in arrival order */
	assert_int_equal(a->token[1], t3);
	assert_int_equal(a->r[0].v->status, DIAG_OK);
	assert_true(a->r[0].hostname_ok);
	assert_ptr_equal(a->r[1].v, a->r[0].v);
	assert_int_equal(stats(e).analyses, 2);
	assert_int_equal(ask(e, two, T_CAPTURE, "two.test", NOW + 100, &r), JUDGE_READY);
	/* another new chain waits; the end of input judges it */
	assert_int_equal(ask_tok(e, ec, T_CAPTURE, "ec.test", NOW + 100, &r, &t4), JUDGE_WAIT);
	assert_int_equal(poll_all(e)->n, 0);
	a = drain_all(e);
	assert_int_equal(a->n, 1);
	assert_int_equal(a->token[0], t4);
	assert_int_equal(a->r[0].v->status, DIAG_OK);
	assert_true(a->r[0].hostname_ok);
	assert_int_equal(ask(e, ec, T_CAPTURE, "ec.test", NOW + 100, &r), JUDGE_READY);
	assert_int_equal(poll_all(e)->n, 0); /* answered once */
	s = stats(e);
	assert_int_equal(s.deferred, 3);
	assert_int_equal(s.deferred_overflow, 0);
	assert_int_equal(s.analyses, 3);
}

/* Deferred chains are judged in arrival order. */
static void test_sync_deferral_order(void **state)
{
	struct env *e = *state;
	uint32_t tok[6];
	struct judge_result r;
	const struct answers *a;

	assert_int_equal(ask(e, CHAIN(e, "one", "int1"), T_CAPTURE, NULL, NOW, &r), JUDGE_READY);
	for (unsigned k = 1; k < 6; k++)
		assert_int_equal(ask_tok(e, junk_chain(e, k), T_CAPTURE, NULL, NOW, &r, &tok[k]),
				 JUDGE_WAIT);
	a = drain_all(e);
	assert_int_equal(a->n, 5);
	for (unsigned k = 1; k < 6; k++) {
		assert_int_equal(a->token[k - 1], tok[k]);
		assert_true(a->r[k - 1].broken); /* malformed_cert */
		assert_true(a->r[k - 1].mask & B(MALFORMED_CERT));
	}
}

/* While analyses wait for budget, a chain already judged needs none for a
 * new SNI: the hostname check is no analysis (cs_judge.h: "An empty bucket
 * defers analyses"), so the handshake is answered at once. */
static void test_sync_hostname_not_deferred(void **state)
{
	struct env *e = *state;
	const struct cs_chain *one;
	struct judge_result r;

	one = CHAIN(e, "one", "int1");
	assert_int_equal(ask(e, one, T_CAPTURE, "one.test", NOW, &r), JUDGE_READY);
	assert_int_equal(ask(e, CHAIN(e, "two", "int2", "int1"), T_CAPTURE, "two.test", NOW, &r),
			 JUDGE_WAIT);
	hostname_answer(e, one, "www.one.test", true);
	hostname_answer(e, one, "mismatch.test", false);
	(void)drain_all(e);
}

/* The deferral queue is capped: past CS_JUDGE_MAX_DEFERRED a chain is
 * answered unknown (deferred) for CS_JUDGE_RETRY_S of capture time,
 * counted, then asked about again. */
static void test_sync_deferral_overflow(void **state)
{
	struct env *e = *state;
	const struct cs_chain *late;
	struct judge_result r;
	struct judge_stats s;
	const struct answers *a;

	assert_int_equal(ask(e, CHAIN(e, "one", "int1"), T_CAPTURE, NULL, NOW, &r), JUDGE_READY);
	for (unsigned k = 0; k < CS_JUDGE_MAX_DEFERRED; k++)
		assert_int_equal(ask(e, junk_chain(e, k), T_CAPTURE, NULL, NOW, &r), JUDGE_WAIT);
	late = junk_chain(e, CS_JUDGE_MAX_DEFERRED);
	assert_int_equal(ask(e, late, T_CAPTURE, NULL, NOW, &r), JUDGE_READY);
	assert_int_equal(r.v->status, DIAG_UNKNOWN);
	assert_int_equal(r.v->unknown_reason, DIAG_UNK_DEFERRED);
	assert_false(r.broken);
	s = stats(e);
	assert_int_equal(s.deferred, CS_JUDGE_MAX_DEFERRED);
	assert_int_equal(s.deferred_overflow, 1);
	/* still unknown within the retry period, without a new request */
	assert_int_equal(ask(e, late, T_CAPTURE, NULL, NOW + CS_JUDGE_RETRY_S - 1, &r),
			 JUDGE_READY);
	assert_int_equal(r.v->unknown_reason, DIAG_UNK_DEFERRED);
	assert_int_equal(stats(e).deferred_overflow, 1);
	/* the end of input: every deferred handshake answered, once */
	a = drain_all(e);
	assert_int_equal(a->n, CS_JUDGE_MAX_DEFERRED);
	for (size_t i = 0; i < a->n; i++)
		assert_int_equal(a->token[i], 2 + i);
	assert_int_equal(stats(e).analyses, 1 + CS_JUDGE_MAX_DEFERRED);
	/* after the retry period the late chain is asked about again (and,
	 * the bucket refilled by then, judged at once) */
	assert_int_equal(ask(e, late, T_CAPTURE, NULL, NOW + CS_JUDGE_RETRY_S + 100, &r),
			 JUDGE_READY);
	assert_int_equal(r.v->status, DIAG_BROKEN);
	assert_true(r.mask & B(MALFORMED_CERT));
}

/* judge_now (restoring a state, before judge_start): the verdict of a
 * chain never judged before, analysed now whatever the budget. */
static void test_judge_now(void **state)
{
	struct env *e = *state;
	const struct cs_chain *one, *two, *miss;
	struct judge_result r;

	one = CHAIN(e, "one", "int1");
	two = CHAIN(e, "two", "int2", "int1");
	miss = CHAIN(e, "miss");
	assert_true(judge_now(e->j, one, T_CAPTURE, T_CAPTURE, "one.test", 8, srv("192.0.2.10"),
			      443, &r));
	assert_int_equal(r.v->status, DIAG_OK);
	assert_true(r.hostname_ok);
	assert_int_equal(stats(e).analyses, 1);
	/* the bucket is empty now: still analysed */
	assert_true(judge_now(e->j, two, T_CAPTURE, T_CAPTURE, "one.test", 8, srv("192.0.2.10"),
			      443, &r));
	assert_int_equal(r.v->status, DIAG_OK);
	assert_false(r.hostname_ok);
	assert_true(r.broken);
	assert_true(
		judge_now(e->j, miss, T_CAPTURE, T_CAPTURE, NULL, 0, srv("192.0.2.11"), 443, &r));
	assert_int_equal(r.mask, B(MISSING_INTERMEDIATE));
	assert_int_equal(stats(e).analyses, 3);
	assert_int_equal(stats(e).deferred, 0);
	/* known now: a cache hit */
	assert_true(judge_now(e->j, one, T_CAPTURE, T_CAPTURE, "one.test", 8, srv("192.0.2.10"),
			      443, &r));
	assert_int_equal(stats(e).analyses, 3);
	assert_int_equal(poll_all(e)->n, 0);
}

/* ---- the store of the capture's day -------------------------------------------------- */

#define T_2015_06_16 1434412800LL /* GeoTrust Global CA and VeriSign G5 in Mozilla's store */
#define T_2020_12_12 1607731200LL /* the day after NSS 3.60 removed them */

/* The verdict at validation time when, for a handshake captured at captured. */
static const struct diag_verdict *at(struct env *e, const struct cs_chain *c, int64_t when,
				     int64_t captured)
{
	struct judge_result r;

	memset(&r, 0, sizeof r);
	assert_int_equal(judge_lookup(e->j, c, when, captured, NULL, 0, srv("192.0.2.10"), 443, NOW,
				      e->next_token++, &r),
			 JUDGE_READY);
	assert_true(captured >= r.v->store_from && captured < r.v->store_until);
	return r.v;
}

/* A broken chain gets a second look with the store of its capture day: its
 * verdict is cached for the capture times over which that store does not
 * change (the timeline's span), and asked again across a change. */
static void test_capture_time_keys_the_cache(void **state)
{
	struct env *e = *state;
	const struct cs_chain *miss, *one;
	const struct diag_verdict *v;
	int64_t from, until;

	miss = CHAIN(e, "miss");
	one = CHAIN(e, "one", "int1");
	v = at(e, miss, T_CAPTURE, T_2015_06_16);
	assert_int_equal(v->store, DIAG_STORE_TODAY);
	assert_false(v->ok_at_capture_time); /* the lab root is no Mozilla root */
	timeline_window(judge_timeline(e->j), T_2015_06_16, &from, &until);
	assert_int_equal(v->store_from, from);
	assert_int_equal(v->store_until, until);
	assert_int_equal(stats(e).analyses, 1);
	at(e, miss, T_CAPTURE, T_2015_06_16 + 3600); /* the same span: a hit */
	assert_int_equal(stats(e).analyses, 1);
	at(e, miss, T_CAPTURE, T_2020_12_12); /* another store: analysed again */
	assert_int_equal(stats(e).analyses, 2);
	assert_int_equal(stats(e).diag.second_looks, 2);
	/* a chain that is fine today needs no second look: any capture time */
	v = at(e, one, T_CAPTURE, T_2015_06_16);
	assert_int_equal(v->store_from, INT64_MIN);
	at(e, one, T_CAPTURE, T_2020_12_12);
	assert_int_equal(stats(e).analyses, 3);
	assert_int_equal(stats(e).diag.dated_stores_built, 2);
	assert_int_equal(judge_trust_at(e->j, &from), DIAG_TRUST_TODAY);
}

static const struct judge_opts o_trust_at_capture = {.warn_days = -1,
						     .trust_at = DIAG_TRUST_CAPTURE};

/* --trust-at capture: the store of each handshake's day (today's
 * anchors the timeline does not know, the lab roots, stay in it); a
 * capture before the timeline starts is judged with today's store. */
static void test_trust_at_capture(void **state)
{
	struct env *e = *state;
	const struct cs_chain *one;
	const struct diag_verdict *v;

	one = CHAIN(e, "one", "int1");
	v = at(e, one, T_CAPTURE, T_CAPTURE);
	assert_int_equal(v->status, DIAG_OK);
	assert_int_equal(v->store, DIAG_STORE_DATED);
	assert_int_equal(v->store_day, T_CAPTURE - T_CAPTURE % DAY);
	v = at(e, one, T_CAPTURE, 86400); /* a clock at 1970 */
	assert_int_equal(v->status, DIAG_OK);
	assert_int_equal(v->store, DIAG_STORE_TODAY_FALLBACK);
	assert_int_equal(v->store_until, timeline_start(judge_timeline(e->j)));
	assert_int_equal(stats(e).analyses, 2);
}

/* judge_new refuses a timeline file it cannot use, and a --trust-at date
 * before the timeline starts, with one line. */
static void test_timeline_refused(void **state)
{
	(void)state;
	struct trust_opts to = {.ca_files = {TP_PKI "trust.pem"}, .n_ca_files = 1};
	struct judge_opts o = {.warn_days = -1, .trust = &to};
	char err[512];

	o.root_timeline = "tests/e2e/data/not-a-capture.txt";
	assert_null(judge_new(&o, err, sizeof err));
	assert_non_null(strstr(err, "tests/e2e/data/not-a-capture.txt: not valid JSON"));
	o.root_timeline = "tests/e2e/data/no-such-timeline.json";
	assert_null(judge_new(&o, err, sizeof err));
	assert_non_null(strstr(err, "no-such-timeline.json: No such file"));
	o.root_timeline = NULL;
	o.trust_at = DIAG_TRUST_DATE;
	o.trust_date = 946684800; /* 2000-01-01 */
	assert_null(judge_new(&o, err, sizeof err));
	assert_string_equal(err, "--trust-at: the root timeline (built-in) starts on 2000-10-13");
}

/* ---- reload ------------------------------------------------------------------------ */

static void test_sync_reload(void **state)
{
	struct env *e = *state;
	const struct cs_chain *one;
	struct judge_result r;
	const struct diag_verdict *v;
	struct judge_store s[4];
	struct judge_stats st;

	one = CHAIN(e, "one", "int1");
	assert_int_equal(ask(e, one, T_CAPTURE, "one.test", NOW, &r), JUDGE_READY);
	v = r.v;
	assert_int_equal(stats(e).analyses, 1);
	judge_reload(e->j);
	assert_int_equal(judge_stores(e->j, s, 4), 2);
	assert_string_equal(s[0].sha256, s[1].sha256); /* the same file, the same anchors */
	assert_int_equal(s[1].anchors, 2);
	st = stats(e);
	assert_int_equal(st.reloads, 1);
	assert_int_equal(st.reload_failures, 0);
	/* verdicts of the old store are not answers any more */
	assert_int_equal(ask(e, one, T_CAPTURE, "one.test", NOW, &r), JUDGE_READY);
	assert_ptr_not_equal(r.v, v);
	assert_true(r.v->epoch != v->epoch);
	assert_int_equal(r.mask, 0);
	assert_int_equal(stats(e).analyses, 2);
	v = r.v;
	/* a store that no longer loads: the current one stays, counted */
	e->to.ca_files[0] = TP_PKI "no-such-store.pem";
	judge_reload(e->j);
	st = stats(e);
	assert_int_equal(st.reloads, 1);
	assert_int_equal(st.reload_failures, 1);
	assert_int_equal(judge_stores(e->j, s, 4), 2);
	assert_int_equal(ask(e, one, T_CAPTURE, "one.test", NOW, &r), JUDGE_READY);
	assert_ptr_equal(r.v, v);
	assert_int_equal(stats(e).analyses, 2);
	/* another store: the chain is judged against it */
	e->to.ca_files[0] = TP_PKI "evilroot.pem";
	judge_reload(e->j);
	assert_int_equal(judge_stores(e->j, s, 4), 3);
	assert_string_not_equal(s[2].sha256, s[1].sha256);
	assert_int_equal(s[2].anchors, 1);
	assert_int_equal(ask(e, one, T_CAPTURE, "one.test", NOW, &r), JUDGE_READY);
	assert_true(r.mask & B(MISSING_INTERMEDIATE));
	assert_int_equal(stats(e).analyses, 3);
	/* judge_stores keeps the latest when asked for fewer */
	assert_int_equal(judge_stores(e->j, s, 1), 1);
	assert_int_equal(s[0].anchors, 1);
}

/* ---- evidence ------------------------------------------------------------------------- */

static void expect_sha(const uint8_t *sha, const char *hex)
{
	char got[65];

	hex_lower(sha, 32, got);
	assert_string_equal(got, hex);
}

/* The evidence of a chain's missing intermediate, kept by the judge: an
 * intermediate seen later from another server names it; the record is
 * immutable (a change is a new record). */
static void test_evidence(void **state)
{
	struct env *e = *state;
	const struct cs_chain *miss, *one;
	const struct diag_evidence_rec *ev, *first;
	struct judge_result r;

	miss = CHAIN(e, "miss");
	one = CHAIN(e, "one", "int1");
	assert_null(judge_evidence(e->j, miss));
	assert_int_equal(ask(e, miss, T_CAPTURE, "miss.test", NOW, &r), JUDGE_READY);
	assert_int_equal(r.mask, B(MISSING_INTERMEDIATE));
	first = judge_evidence(e->j, miss);
	assert_non_null(first);
	assert_int_equal(first->kind, DIAG_EV_NONE);
	assert_int_equal(judge_lookup(e->j, one, T_CAPTURE, T_CAPTURE, "one.test", 8,
				      srv("198.51.100.9"), 443, NOW, 99, &r),
			 JUDGE_READY);
	assert_null(judge_evidence(e->j, one));
	ev = judge_evidence(e->j, miss);
	assert_non_null(ev);
	assert_ptr_not_equal(ev, first);
	assert_int_equal(first->kind, DIAG_EV_NONE); /* the old record did not change */
	assert_int_equal(ev->kind, DIAG_EV_SEEN_IN_CAPTURE);
	assert_true(ev->have_cert);
	assert_true(ev->completes);
	expect_sha(ev->sha256, SHA_INT1);
	assert_string_equal(ev->source, "198.51.100.9:443");
	/* the same evidence again: the same record */
	judge_reload(e->j);
	assert_ptr_equal(judge_evidence(e->j, miss), ev);
}

static const struct judge_opts o_intermediates = {.warn_days = -1,
						  .intermediates = TP_PKI "extra.chain.pem"};

/* --intermediates through the judge. */
static void test_evidence_intermediates(void **state)
{
	struct env *e = *state;
	const struct cs_chain *miss;
	const struct diag_evidence_rec *ev;
	struct judge_result r;

	miss = CHAIN(e, "miss");
	assert_int_equal(ask(e, miss, T_CAPTURE, "miss.test", NOW, &r), JUDGE_READY);
	ev = judge_evidence(e->j, miss);
	assert_non_null(ev);
	assert_int_equal(ev->kind, DIAG_EV_INTERMEDIATES_FILE);
	expect_sha(ev->sha256, SHA_INT1);
	assert_string_equal(ev->source, TP_PKI "extra.chain.pem");
}

/* ---- the analysis thread ------------------------------------------------------------------ */

static const struct judge_opts o_threaded = {.warn_days = -1, .threaded = true};

static void test_threaded(void **state)
{
	struct env *e = *state;
	const struct cs_chain *one, *two, *miss;
	struct judge_result r;
	const struct answers *a;
	uint32_t t[5];
	enum judge_ask second;
	struct judge_stats s;

	assert_true(judge_start(e->j, e->err, sizeof e->err));
	assert_true(judge_start(e->j, e->err, sizeof e->err)); /* once only */
	one = CHAIN(e, "one", "int1");
	two = CHAIN(e, "two", "int2", "int1");
	miss = CHAIN(e, "miss");
	/* a miss is never answered inline: the capture loop does not wait */
	assert_int_equal(ask_tok(e, one, T_CAPTURE, "one.test", NOW, &r, &t[0]), JUDGE_WAIT);
	/* asked again: answered at once if the thread is done already, else
	 * a request of its own; never a second analysis */
	second = ask_tok(e, one, T_CAPTURE, "one.test", NOW, &r, &t[1]);
	assert_true(second == JUDGE_WAIT || second == JUDGE_READY);
	assert_int_equal(ask_tok(e, two, T_CAPTURE, "two.test", NOW, &r, &t[2]), JUDGE_WAIT);
	assert_int_equal(ask_tok(e, miss, T_CAPTURE, "miss.test", NOW, &r, &t[3]), JUDGE_WAIT);
	/* a judged chain, a new SNI: the check is the thread's too */
	a = drain_all(e);
	assert_int_equal(a->n, second == JUDGE_WAIT ? 4 : 3);
	assert_int_equal(answer_for(a, t[0])->v->status, DIAG_OK);
	assert_true(answer_for(a, t[0])->hostname_ok);
	if (second == JUDGE_WAIT)
		assert_ptr_equal(answer_for(a, t[1])->v, answer_for(a, t[0])->v);
	assert_int_equal(answer_for(a, t[2])->mask, 0);
	assert_int_equal(answer_for(a, t[3])->mask, B(MISSING_INTERMEDIATE));
	assert_int_equal(poll_all(e)->n, 0);
	assert_int_equal(ask(e, one, T_CAPTURE, "one.test", NOW, &r), JUDGE_READY);
	assert_int_equal(r.v->status, DIAG_OK);
	assert_int_equal(ask(e, miss, T_CAPTURE, "miss.test", NOW, &r), JUDGE_READY);
	assert_int_equal(r.mask, B(MISSING_INTERMEDIATE));
	assert_int_equal(ask_tok(e, one, T_CAPTURE, "mismatch.test", NOW, &r, &t[4]), JUDGE_WAIT);
	a = drain_all(e);
	assert_int_equal(a->n, 1);
	assert_false(answer_for(a, t[4])->hostname_ok);
	assert_true(answer_for(a, t[4])->broken);
	assert_int_equal(ask(e, one, T_CAPTURE, "mismatch.test", NOW, &r), JUDGE_READY);
	assert_false(r.hostname_ok);
	s = stats(e);
	assert_int_equal(s.analyses, 3);
	assert_int_equal(s.hostname_checks, 4);
	/* judge_now is for before the thread */
	assert_false(
		judge_now(e->j, two, T_CAPTURE, T_CAPTURE, NULL, 0, srv("192.0.2.10"), 443, &r));
}

/* judge_wait returns once an owed answer came. */
static void test_threaded_wait(void **state)
{
	struct env *e = *state;
	struct judge_result r;
	uint32_t t;

	assert_true(judge_start(e->j, e->err, sizeof e->err));
	assert_int_equal(
		ask_tok(e, CHAIN(e, "two", "int2", "int1"), T_CAPTURE, "two.test", NOW, &r, &t),
		JUDGE_WAIT);
	answers.n = 0;
	while (answers.n == 0)
		judge_wait(e->j, on_answer, &answers);
	assert_int_equal(answers.n, 1);
	assert_int_equal(answers.token[0], t);
	assert_int_equal(answers.r[0].v->status, DIAG_OK);
	/* nothing owed: judge_wait returns at once */
	answers.n = 0;
	judge_wait(e->j, on_answer, &answers);
	assert_int_equal(answers.n, 0);
}

/* Many requests through the thread: every request answered exactly once
 * by judge_drain, whatever the interleaving. */
static void test_threaded_many(void **state)
{
	struct env *e = *state;
	enum { N = 2000, ROUNDS = 4 };
	const struct cs_chain *c[N];
	uint32_t tok[N];
	struct judge_result r;

	assert_true(judge_start(e->j, e->err, sizeof e->err));
	for (unsigned round = 0; round < ROUNDS; round++) {
		unsigned lo = round * (N / ROUNDS), hi = lo + N / ROUNDS;
		const struct answers *a;

		for (unsigned k = lo; k < hi; k++) {
			c[k] = junk_chain(e, k);
			assert_int_equal(ask_tok(e, c[k], T_CAPTURE, NULL, NOW, &r, &tok[k]),
					 JUDGE_WAIT);
		}
		a = drain_all(e);
		if (a->n != N / ROUNDS)
			fail_msg("round %u: %zu of %u requests answered by judge_drain", round,
				 a->n, N / ROUNDS);
		for (unsigned k = lo; k < hi; k++) {
			const struct judge_result *ar = answer_for(a, tok[k]);

			assert_non_null(ar);
			assert_true(ar->mask & B(MALFORMED_CERT));
		}
	}
	for (unsigned k = 0; k < N; k++) {
		assert_int_equal(ask(e, c[k], T_CAPTURE, NULL, NOW, &r), JUDGE_READY);
		assert_true(r.mask & B(MALFORMED_CERT));
	}
	assert_int_equal(stats(e).analyses, N);
}

static const struct judge_opts o_threaded_tiny_budget = {
	.warn_days = -1, .budget = true, .rate_us = 1, .burst_us = 1, .threaded = true};

/* Threaded mode with deferral (live): deferred chains are judged when
 * capture time refills the bucket, or at judge_drain. */
static void test_threaded_deferral(void **state)
{
	struct env *e = *state;
	const struct cs_chain *one, *two;
	struct judge_result r;
	const struct answers *a;

	assert_true(judge_start(e->j, e->err, sizeof e->err));
	one = CHAIN(e, "one", "int1");
	two = CHAIN(e, "two", "int2", "int1");
	assert_int_equal(ask(e, one, T_CAPTURE, NULL, NOW, &r), JUDGE_WAIT);
	assert_int_equal(ask(e, two, T_CAPTURE, NULL, NOW, &r), JUDGE_WAIT);
	a = drain_all(e);
	assert_int_equal(a->n, 2);
	assert_int_equal(ask(e, one, T_CAPTURE, NULL, NOW, &r), JUDGE_READY);
	assert_int_equal(ask(e, two, T_CAPTURE, NULL, NOW, &r), JUDGE_READY);
	assert_int_equal(r.v->status, DIAG_OK);
	assert_int_equal(stats(e).analyses, 2);
}

static const struct judge_opts o_threaded_preparse = {
	.warn_days = -1, .threaded = true, .preparse = true};

/* preparse (files): the caller parses a new chain's certificates before
 * the thread analyses it; the verdicts and facts are the same. */
static void test_threaded_preparse(void **state)
{
	struct env *e = *state;
	const struct cs_chain *one, *miss;
	struct judge_result r;
	const struct answers *a;
	uint32_t t1, t2;

	assert_true(judge_start(e->j, e->err, sizeof e->err));
	one = CHAIN(e, "one", "int1");
	miss = CHAIN(e, "miss");
	assert_int_equal(ask_tok(e, one, T_CAPTURE, "one.test", NOW, &r, &t1), JUDGE_WAIT);
	assert_int_equal(ask_tok(e, miss, T_CAPTURE, "miss.test", NOW, &r, &t2), JUDGE_WAIT);
	a = drain_all(e);
	assert_int_equal(a->n, 2);
	assert_int_equal(answer_for(a, t1)->v->status, DIAG_OK);
	assert_int_equal(answer_for(a, t2)->mask, B(MISSING_INTERMEDIATE));
	assert_string_equal(cert_facts(one->certs[0])->subject, "CN=one.test,O=chainsniff lab");
	assert_string_equal(cert_facts(miss->certs[0])->subject, "CN=miss.test,O=chainsniff lab");
}

/* judge_start without threaded mode: nothing starts, lookups stay inline. */
static void test_start_sync_is_noop(void **state)
{
	struct env *e = *state;
	struct judge_result r;

	assert_true(judge_start(e->j, e->err, sizeof e->err));
	assert_int_equal(ask(e, CHAIN(e, "one", "int1"), T_CAPTURE, "one.test", NOW, &r),
			 JUDGE_READY);
	assert_int_equal(r.v->status, DIAG_OK);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_new_errors),
		cmocka_unit_test(test_unknown_verdicts),
		ENV_TEST(test_stores, o_sync),
		ENV_TEST(test_sync_lookup_and_cache, o_sync),
		ENV_TEST(test_sync_hostname_per_chain, o_sync),
		ENV_TEST(test_sync_analysis_budget, o_one_check),
		ENV_TEST(test_sync_no_budget_no_deferral, o_tiny_rate_no_budget),
		ENV_TEST(test_sync_deferral, o_tiny_budget),
		ENV_TEST(test_sync_deferral_order, o_tiny_budget),
		ENV_TEST(test_sync_hostname_not_deferred, o_tiny_budget),
		ENV_TEST(test_sync_deferral_overflow, o_tiny_budget),
		ENV_TEST(test_judge_now, o_tiny_budget),
		ENV_TEST(test_capture_time_keys_the_cache, o_sync),
		ENV_TEST(test_trust_at_capture, o_trust_at_capture),
		cmocka_unit_test(test_timeline_refused),
		ENV_TEST(test_sync_reload, o_sync),
		ENV_TEST(test_evidence, o_sync),
		ENV_TEST(test_evidence_intermediates, o_intermediates),
		ENV_TEST(test_threaded, o_threaded),
		ENV_TEST(test_threaded_wait, o_threaded),
		ENV_TEST(test_threaded_many, o_threaded),
		ENV_TEST(test_threaded_deferral, o_threaded_tiny_budget),
		ENV_TEST(test_threaded_preparse, o_threaded_preparse),
		ENV_TEST(test_start_sync_is_noop, o_sync),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
