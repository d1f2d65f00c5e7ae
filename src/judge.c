/*
 * judge.c - the chain analysis as a service (cs_judge.h).
 *
 * Owns the diag (certificate cache, signature memo, pool of intermediates),
 * the trust stores, every verdict and evidence record (kept until
 * judge_free), the per-chain verdict lists and hostname caches, the request
 * and answer rings, the deferral queue and the budget bucket.
 *
 * Shared state and who writes it (threaded mode):
 *   per-chain pages          allocated by the engine before its first request
 *   verdict list, evidence,  written by the analysis thread, published with
 *   hostname cache, retry    release stores; the engine reads them (acquire)
 *   requests                 engine -> thread, single-producer ring, FIFO
 *   answers (token, verdict) thread -> engine, single-producer ring, as
 *                            large as the tokens the engine may hold, so the
 *                            thread never waits for room
 *   epoch                    the trust store's generation, bumped on reload
 *   stats, store history     under the mutex
 * In synchronous mode the engine's thread plays both parts.
 *
 * Determinism (files): the thread takes requests in the engine's order and
 * its state (verdicts, memo, pool, evidence) changes only on analyses; a
 * request the engine answered from the cache would have been a cache hit
 * here too (verdicts are never dropped), so a run's verdicts, evidence and
 * analysis counts do not depend on timing.
 */
#include "cs_judge.h"
#include "cs_addr.h"
#include "cs_hash.h"
#include "cs_spsc.h"
#include "cs_timefmt.h"
#include "cs_timeline.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define PAGE_BITS 10
#define PAGE (1u << PAGE_BITS)
#define NPAGES ((CS_MAX_CHAINS + PAGE - 1) / PAGE)

struct jchain {
	struct diag_verdict *_Atomic latest; /* newest first, ->older */
	const struct diag_evidence_rec *_Atomic evidence;
	_Atomic int64_t retry_until; /* answered unknown (deferred) before this */
};

struct request {
	const struct cs_chain *c;
	uint32_t token;
	int64_t when, captured, now;
	bool has_sni;
	uint8_t sni_len;
	char sni[CS_MAX_SNI + 1];
	char source[CS_ENDPOINT_STRLEN];
};

struct answer {
	uint32_t token;
	const struct diag_verdict *v;
	bool hostname_ok;
};

struct req_ring {
	struct request *buf;
	struct spsc q;
};

struct ans_ring {
	struct answer *buf;
	struct spsc q;
};

/* An evidence record, kept until judge_free (the report may hold it). */
struct ev_node {
	struct diag_evidence_rec ev;
	struct ev_node *next;
};

struct judge {
	struct diag *diag;
	struct cs_trust *trust;
	struct cs_timeline *timeline;
	int trust_at; /* enum diag_trust_at */
	int64_t trust_date;
	const struct trust_opts *trust_opts;
	bool want_thread; /* judge_opts.threaded */
	bool threaded;    /* judge_start ran: the thread answers */
	bool budget;      /* judge_opts.budget: defer past the rate */
	bool preparse;    /* judge_opts.preparse */
	uint64_t rate_us, burst_us;
	uint8_t key[CS_HASH_KEY_LEN];
	struct jchain *_Atomic pages[NPAGES];
	_Atomic uint64_t *hostnames; /* CS_JUDGE_HOSTNAMES slots, see sni_key() */
	_Atomic uint32_t epoch;
	struct req_ring req;
	struct ans_ring ans;
	/* analysis side */
	struct request *deferred; /* circular, CS_JUDGE_MAX_DEFERRED */
	size_t dhead, dcount;
	int64_t tokens, refilled_at;
	bool have_refill;
	_Atomic int64_t capture_now;
	_Atomic bool reload_wanted, stop, draining;
	_Atomic bool sleeping;      /* the thread waits for work: wake() must signal */
	_Atomic size_t outstanding; /* requests not yet answered, deferred included */
	bool inline_active;         /* sync: judge_lookup takes this token's answer itself */
	uint32_t inline_token;
	struct answer inline_ans;
	bool inline_done;
	struct ev_node *evidence;
	/* thread */
	pthread_t thread;
	bool started;
	pthread_mutex_t mu;
	pthread_cond_t work, done;
	/* under mu */
	struct judge_stats st;
	struct judge_store stores[CS_JUDGE_MAX_STORES];
	size_t nstores;
	/* engine side */
	uint64_t hits, queue_full;
};

/* ---- small helpers ----------------------------------------------------------- */

static int64_t wall_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * CS_NS_PER_SEC + ts.tv_nsec;
}

static struct jchain *jchain_of(struct judge *j, uint32_t id)
{
	struct jchain *p = atomic_load_explicit(&j->pages[id >> PAGE_BITS], memory_order_acquire);

	return p ? &p[id & (PAGE - 1)] : NULL;
}

/* Engine side: make sure the chain's page exists before a request. */
static struct jchain *jchain_make(struct judge *j, uint32_t id)
{
	struct jchain *p;

	if (id >= NPAGES * PAGE)
		return NULL;
	if ((p = jchain_of(j, id)))
		return p;
	p = calloc(PAGE, sizeof(*p));
	if (!p)
		return NULL;
	atomic_store_explicit(&j->pages[id >> PAGE_BITS], p, memory_order_release);
	return &p[id & (PAGE - 1)];
}

/*
 * Hostname results, one table for all chains: a slot holds a keyed 64-bit
 * hash of (chain, SNI) with its low bit replaced by the answer.  A wildcard
 * certificate serving a thousand names fills many slots, not one chain's
 * few; a collision only costs a check again (the key is random, so a peer
 * cannot aim at one).
 */
static uint64_t sni_key(const struct judge *j, const struct cs_chain *c, const char *sni, size_t n)
{
	uint8_t buf[4 + CS_MAX_SNI];

	memcpy(buf, &c->id, 4);
	memcpy(buf + 4, sni, n);
	return cs_hash(buf, 4 + n, j->key) | 2; /* never 0 */
}

static _Atomic uint64_t *sni_slot(struct judge *j, uint64_t key)
{
	return &j->hostnames[(key >> 1) & (CS_JUDGE_HOSTNAMES - 1)];
}

static bool sni_cached(struct judge *j, uint64_t key, bool *ok)
{
	uint64_t v = atomic_load_explicit(sni_slot(j, key), memory_order_acquire);

	if ((v | 1) != (key | 1))
		return false;
	*ok = v & 1;
	return true;
}

static const struct diag_verdict *verdict_at(struct judge *j, struct jchain *jc, int64_t when,
					     int64_t captured)
{
	uint32_t epoch = atomic_load_explicit(&j->epoch, memory_order_acquire);

	for (const struct diag_verdict *v = atomic_load_explicit(&jc->latest, memory_order_acquire);
	     v; v = v->older)
		if (v->epoch == epoch && when >= v->from && when < v->until &&
		    captured >= v->store_from && captured < v->store_until)
			return v;
	return NULL;
}

/* Whatever the validation time and the capture time. */
#define UNKNOWN_VERDICT(why)                                                                       \
	{                                                                                          \
		.status = DIAG_UNKNOWN, .unknown_reason = (why), .from = INT64_MIN,                \
		.until = INT64_MAX, .store_from = INT64_MIN, .store_until = INT64_MAX,             \
		.leaf_names = ""                                                                   \
	}

static const struct diag_verdict unknown_verdicts[DIAG_UNK_MAX] = {
	[DIAG_UNK_NONE] = UNKNOWN_VERDICT(DIAG_UNK_NONE),
	[DIAG_UNK_BUDGET] = UNKNOWN_VERDICT(DIAG_UNK_BUDGET),
	[DIAG_UNK_DEFERRED] = UNKNOWN_VERDICT(DIAG_UNK_DEFERRED),
	[DIAG_UNK_PENDING] = UNKNOWN_VERDICT(DIAG_UNK_PENDING),
};

const struct diag_verdict *judge_unknown(enum diag_unknown why)
{
	return &unknown_verdicts[(unsigned)why < DIAG_UNK_MAX ? why : DIAG_UNK_NONE];
}

/* ---- rings (single producer, single consumer) ------------------------------------ */

/* Copy an item in (false: full) or out (false: empty). */
#define RING_PUSH(name, ring_t, elem_t)                                                            \
	static bool name(ring_t *r, const elem_t *e)                                               \
	{                                                                                          \
		size_t i;                                                                          \
		bool ok = spsc_slot(&r->q, &i);                                                    \
                                                                                                   \
		if (ok) {                                                                          \
			r->buf[i] = *e;                                                            \
			spsc_publish(&r->q);                                                       \
		}                                                                                  \
		return ok;                                                                         \
	}
#define RING_POP(name, ring_t, elem_t)                                                             \
	static bool name(ring_t *r, elem_t *e)                                                     \
	{                                                                                          \
		size_t i;                                                                          \
		bool ok = spsc_next(&r->q, &i);                                                    \
                                                                                                   \
		if (ok) {                                                                          \
			*e = r->buf[i];                                                            \
			spsc_release(&r->q);                                                       \
		}                                                                                  \
		return ok;                                                                         \
	}

RING_PUSH(req_push, struct req_ring, struct request)
RING_POP(req_pop, struct req_ring, struct request)
RING_PUSH(ans_push, struct ans_ring, struct answer)
RING_POP(ans_pop, struct ans_ring, struct answer)

static bool rings_init(struct judge *j, uint32_t max_tokens)
{
	size_t n = 64;

	while (n < max_tokens)
		n *= 2;
	j->req.buf = calloc(CS_JUDGE_QUEUE, sizeof(*j->req.buf));
	spsc_init(&j->req.q, CS_JUDGE_QUEUE);
	j->ans.buf = calloc(n, sizeof(*j->ans.buf));
	spsc_init(&j->ans.q, n);
	j->deferred = calloc(CS_JUDGE_MAX_DEFERRED, sizeof(*j->deferred));
	return j->req.buf && j->ans.buf && j->deferred;
}

/* ---- the analysis side -------------------------------------------------------------- */

static void on_evidence(void *ctx, const struct cs_chain *c, const struct diag_evidence_rec *ev)
{
	struct judge *j = ctx;
	struct jchain *jc = jchain_of(j, c->id);
	const struct diag_evidence_rec *cur;
	struct ev_node *n;

	if (!jc)
		return;
	cur = atomic_load_explicit(&jc->evidence, memory_order_acquire);
	if (cur && memcmp(cur, ev, sizeof(*ev)) == 0)
		return; /* unchanged: no new record */
	if (!(n = malloc(sizeof(*n))))
		return;
	n->ev = *ev;
	n->next = j->evidence;
	j->evidence = n;
	atomic_store_explicit(&jc->evidence, &n->ev, memory_order_release);
}

static void store_record(struct judge *j, const struct cs_trust *t)
{
	struct judge_store *s;

	pthread_mutex_lock(&j->mu);
	if (j->nstores == CS_JUDGE_MAX_STORES) { /* keep the first */
		memmove(&j->stores[1], &j->stores[2],
			(CS_JUDGE_MAX_STORES - 2) * sizeof(j->stores[0]));
		j->nstores--;
	}
	s = &j->stores[j->nstores++];
	snprintf(s->name, sizeof(s->name), "%s", trust_name(t));
	snprintf(s->sha256, sizeof(s->sha256), "%s", trust_digest(t));
	s->anchors = trust_count(t);
	s->loaded_ns = wall_ns();
	pthread_mutex_unlock(&j->mu);
}

/* Analysis thread (or the engine in sync mode): a new store for later
 * analyses; earlier verdicts keep the epoch they were made in. */
static void do_reload(struct judge *j)
{
	struct cs_trust *t = NULL;
	char err[256];

	atomic_store_explicit(&j->reload_wanted, false, memory_order_relaxed);
	if (trust_load(j->trust_opts, &t, err, sizeof(err)) != CS_OK) {
		fprintf(stderr, "chainsniff: trust store not reloaded: %s\n", err);
		pthread_mutex_lock(&j->mu);
		j->st.reload_failures++;
		pthread_mutex_unlock(&j->mu);
		return;
	}
	diag_set_trust(j->diag, t);
	trust_free(j->trust); /* analyses run on this thread only: nothing uses it now */
	j->trust = t;
	atomic_fetch_add_explicit(&j->epoch, 1, memory_order_acq_rel);
	store_record(j, t);
	pthread_mutex_lock(&j->mu);
	j->st.reloads++;
	pthread_mutex_unlock(&j->mu);
	fprintf(stderr, "chainsniff: trust store reloaded: %zu anchors\n", trust_count(t));
}

static void refill(struct judge *j, int64_t now)
{
	if (!j->have_refill) {
		j->tokens = (int64_t)j->burst_us;
		j->refilled_at = now;
		j->have_refill = true;
		return;
	}
	if (now <= j->refilled_at)
		return;
	if ((uint64_t)(now - j->refilled_at) > j->burst_us / (j->rate_us ? j->rate_us : 1) + 1)
		j->tokens = (int64_t)j->burst_us;
	else
		j->tokens += (now - j->refilled_at) * (int64_t)j->rate_us;
	if (j->tokens > (int64_t)j->burst_us)
		j->tokens = (int64_t)j->burst_us;
	j->refilled_at = now;
}

/* The answer to one request: its verdict and hostname result. */
static void answer(struct judge *j, const struct request *q, const struct diag_verdict *v,
		   bool hostname_ok)
{
	struct answer a = {q->token, v, hostname_ok};

	if (j->inline_active && q->token == j->inline_token) {
		j->inline_ans = a;
		j->inline_done = true;
	} else {
		/* never full: it holds as many answers as the engine has tokens */
		ans_push(&j->ans, &a);
	}
	/* after the push: judge_drain stops when nothing is outstanding */
	atomic_fetch_sub_explicit(&j->outstanding, 1, memory_order_acq_rel);
	if (j->threaded) {
		pthread_mutex_lock(&j->mu);
		pthread_cond_broadcast(&j->done);
		pthread_mutex_unlock(&j->mu);
	}
}

static void publish(struct jchain *jc, struct diag_verdict *v)
{
	v->older = atomic_load_explicit(&jc->latest, memory_order_relaxed);
	atomic_store_explicit(&jc->latest, v, memory_order_release);
}

static bool hostname(struct judge *j, struct jchain *jc, const struct request *q)
{
	uint64_t key;
	bool ok = true;

	(void)jc;
	if (!q->has_sni)
		return ok;
	key = sni_key(j, q->c, q->sni, q->sni_len);
	if (sni_cached(j, key, &ok))
		return ok;
	ok = diag_hostname_ok(j->diag, q->c, q->sni, q->sni_len);
	atomic_store_explicit(sni_slot(j, key), (key & ~(uint64_t)1) | ok, memory_order_release);
	pthread_mutex_lock(&j->mu);
	j->st.hostname_checks++;
	pthread_mutex_unlock(&j->mu);
	return ok;
}

static const struct diag_verdict *analyse(struct judge *j, struct jchain *jc,
					  const struct request *q)
{
	struct diag_verdict *v = diag_analyze_at(j->diag, q->c, q->when, q->captured, q->source);
	struct diag_stats ds;

	if (v) {
		v->epoch = atomic_load_explicit(&j->epoch, memory_order_relaxed);
		j->tokens -= (int64_t)v->spent; /* the CPU really spent, memo hits free */
		publish(jc, v);
	}
	diag_get_stats(j->diag, &ds);
	pthread_mutex_lock(&j->mu);
	j->st.analyses = ds.analyses;
	j->st.budget_exhausted = ds.budget_exhausted;
	j->st.max_checks = ds.max_checks;
	j->st.max_cost = ds.max_cost;
	j->st.diag = ds;
	pthread_mutex_unlock(&j->mu);
	return v ? v : judge_unknown(DIAG_UNK_PENDING);
}

/* Answer q, or false when its analysis must wait for budget. */
static bool serve(struct judge *j, const struct request *q, bool forced)
{
	struct jchain *jc = jchain_of(j, q->c->id);
	const struct diag_verdict *v = verdict_at(j, jc, q->when, q->captured);

	if (!v) {
		refill(j, q->now);
		if (j->budget && !forced && j->tokens <= 0)
			return false;
		v = analyse(j, jc, q);
	}
	answer(j, q, v, hostname(j, jc, q));
	return true;
}

static void defer(struct judge *j, const struct request *q)
{
	struct jchain *jc = jchain_of(j, q->c->id);

	if (j->dcount == CS_JUDGE_MAX_DEFERRED) {
		/* no room to wait: unknown for a while, then asked again */
		atomic_store_explicit(&jc->retry_until, q->now + CS_JUDGE_RETRY_S,
				      memory_order_release);
		pthread_mutex_lock(&j->mu);
		j->st.deferred_overflow++;
		pthread_mutex_unlock(&j->mu);
		answer(j, q, judge_unknown(DIAG_UNK_DEFERRED), true);
		return;
	}
	j->deferred[(j->dhead + j->dcount++) % CS_JUDGE_MAX_DEFERRED] = *q;
	pthread_mutex_lock(&j->mu);
	j->st.deferred++;
	pthread_mutex_unlock(&j->mu);
}

/* Deferred analyses, oldest first, while the budget allows (or all). */
static void run_deferred(struct judge *j, bool forced)
{
	while (j->dcount) {
		struct request *q = &j->deferred[j->dhead];

		refill(j, atomic_load_explicit(&j->capture_now, memory_order_relaxed));
		if (!serve(j, q, forced))
			return;
		j->dhead = (j->dhead + 1) % CS_JUDGE_MAX_DEFERRED;
		j->dcount--;
	}
}

static void take(struct judge *j, const struct request *q)
{
	if (j->dcount)
		run_deferred(j, false);
	/* a request that needs an analysis queues behind deferred ones; one
	 * whose verdict is cached (a new host name only) is served now */
	if ((j->dcount && !verdict_at(j, jchain_of(j, q->c->id), q->when, q->captured)) ||
	    !serve(j, q, false))
		defer(j, q);
}

/* Deferred work the thread can do now. */
static bool deferred_ready(struct judge *j)
{
	if (!j->dcount)
		return false;
	if (atomic_load(&j->draining) || atomic_load(&j->stop))
		return true;
	refill(j, atomic_load_explicit(&j->capture_now, memory_order_relaxed));
	return j->tokens > 0;
}

static void *thread_main(void *arg)
{
	struct judge *j = arg;
	struct request q;

	pthread_setname_np(pthread_self(), "cs-analysis"); /* for top -H, perf */
	for (;;) {
		pthread_mutex_lock(&j->mu);
		atomic_store(&j->sleeping, true); /* before the checks: wake() sees it */
		while (spsc_empty(&j->req.q) && !atomic_load(&j->stop) &&
		       !atomic_load(&j->reload_wanted) && !deferred_ready(j))
			pthread_cond_wait(&j->work, &j->mu);
		atomic_store(&j->sleeping, false);
		pthread_mutex_unlock(&j->mu);
		if (atomic_load(&j->reload_wanted))
			do_reload(j);
		while (req_pop(&j->req, &q))
			take(j, &q);
		run_deferred(j, atomic_load(&j->draining) || atomic_load(&j->stop));
		if (atomic_load(&j->stop) && spsc_empty(&j->req.q))
			break;
	}
	return NULL;
}

/* The thread sets `sleeping` under the mutex before it checks for work, so
 * a request pushed before that check is seen, and one pushed after it finds
 * `sleeping` set: no wake-up is lost, and a busy thread costs no syscall. */
static void wake(struct judge *j)
{
	atomic_thread_fence(memory_order_seq_cst); /* the push before, the load after */
	if (!atomic_load(&j->sleeping))
		return;
	pthread_mutex_lock(&j->mu);
	pthread_cond_signal(&j->work);
	pthread_mutex_unlock(&j->mu);
}

/* ---- life cycle ----------------------------------------------------------------------- */

/* The root-store timeline, and what --trust-at asks of it. */
static bool load_timeline(struct judge *j, const struct judge_opts *o, char *err, size_t errlen)
{
	enum cs_status st =
		o->root_timeline ? timeline_load_file(o->root_timeline, &j->timeline, err, errlen)
				 : timeline_load_builtin(&j->timeline, err, errlen);
	char day[CS_TIME_STRLEN];

	if (st != CS_OK)
		return false;
	if (o->trust_at == DIAG_TRUST_DATE && o->trust_date < timeline_start(j->timeline)) {
		fmt_time_s(timeline_start(j->timeline), day, sizeof(day));
		snprintf(err, errlen, "--trust-at: the root timeline (%s) starts on %.10s",
			 timeline_name(j->timeline), day);
		return false;
	}
	j->trust_at = o->trust_at;
	j->trust_date = o->trust_date;
	diag_set_timeline(j->diag, j->timeline, (enum diag_trust_at)o->trust_at, o->trust_date);
	return true;
}

struct judge *judge_new(const struct judge_opts *o, char *err, size_t errlen)
{
	struct judge *j = calloc(1, sizeof(*j));
	struct diag_opts dopts = {o->warn_days, o->max_checks, o->max_cost, on_evidence, j};

	if (!j) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	pthread_mutex_init(&j->mu, NULL);
	pthread_cond_init(&j->work, NULL);
	pthread_cond_init(&j->done, NULL);
	j->trust_opts = o->trust;
	j->want_thread = o->threaded;
	j->budget = o->budget;
	j->preparse = o->preparse;
	j->rate_us = o->rate_us ? o->rate_us : CS_JUDGE_RATE_US;
	j->burst_us = o->burst_us ? o->burst_us : CS_JUDGE_BURST_US;
	cs_hash_seed(j->key);
	j->hostnames = calloc(CS_JUDGE_HOSTNAMES, sizeof(*j->hostnames));
	if (!j->hostnames || !rings_init(j, o->max_tokens ? o->max_tokens : CS_ENGINE_MAX_PARKED) ||
	    !(j->diag = diag_new(&dopts))) {
		snprintf(err, errlen, "out of memory");
		judge_free(j);
		return NULL;
	}
	if (trust_load(o->trust, &j->trust, err, errlen) != CS_OK) {
		judge_free(j);
		return NULL;
	}
	diag_set_trust(j->diag, j->trust);
	store_record(j, j->trust);
	if (!load_timeline(j, o, err, errlen)) {
		judge_free(j);
		return NULL;
	}
	if (o->intermediates &&
	    diag_load_intermediates(j->diag, o->intermediates, err, errlen) != CS_OK) {
		judge_free(j);
		return NULL;
	}
	return j;
}

bool judge_start(struct judge *j, char *err, size_t errlen)
{
	if (!j->want_thread || j->started)
		return true;
	j->threaded = true;
	if (pthread_create(&j->thread, NULL, thread_main, j) != 0) {
		j->threaded = false;
		snprintf(err, errlen, "cannot start the analysis thread");
		return false;
	}
	j->started = true;
	return true;
}

void judge_free(struct judge *j)
{
	if (!j)
		return;
	if (j->started) {
		atomic_store(&j->stop, true);
		wake(j);
		pthread_join(j->thread, NULL);
	}
	for (size_t p = 0; p < NPAGES; p++) {
		struct jchain *pg = atomic_load(&j->pages[p]);

		for (size_t i = 0; pg && i < PAGE; i++) {
			struct diag_verdict *v = atomic_load(&pg[i].latest);

			while (v) {
				struct diag_verdict *older = v->older;

				free(v);
				v = older;
			}
		}
		free(pg);
	}
	while (j->evidence) {
		struct ev_node *n = j->evidence->next;

		free(j->evidence);
		j->evidence = n;
	}
	diag_free(j->diag);
	trust_free(j->trust);
	timeline_free(j->timeline);
	free(j->hostnames);
	free(j->req.buf);
	free(j->ans.buf);
	free(j->deferred);
	pthread_mutex_destroy(&j->mu);
	pthread_cond_destroy(&j->work);
	pthread_cond_destroy(&j->done);
	free(j);
}

/* ---- the engine side ---------------------------------------------------------------------- */

static void result_of(const struct diag_verdict *v, bool hostname_ok, struct judge_result *r)
{
	r->v = v;
	r->hostname_ok = hostname_ok;
	r->broken = v->broken || !hostname_ok;
	r->mask = v->mask | (hostname_ok ? 0 : 1u << CS_P_HOSTNAME_MISMATCH);
}

/* The cached answer to q, if there is one; "unknown" in a retry window
 * (before retry_now). */
static bool cached(struct judge *j, struct jchain *jc, const struct request *q, int64_t retry_now,
		   struct judge_result *r)
{
	const struct diag_verdict *v = verdict_at(j, jc, q->when, q->captured);
	bool ok = true;

	if (!v) {
		if (retry_now >= atomic_load_explicit(&jc->retry_until, memory_order_acquire))
			return false;
		v = judge_unknown(DIAG_UNK_DEFERRED);
	} else if (q->has_sni && !sni_cached(j, sni_key(j, q->c, q->sni, q->sni_len), &ok)) {
		return false;
	}
	result_of(v, ok, r);
	return true;
}

/* A request for c; the caller sets its times (when, captured, now) and,
 * on a cache miss only, its source (a formatted endpoint costs more than
 * a hit). */
static void request_of(struct request *q, const struct cs_chain *c, uint32_t token, const char *sni,
		       size_t sni_len)
{
	memset(q, 0, offsetof(struct request, sni));
	q->c = c;
	q->token = token;
	q->has_sni = sni != NULL;
	q->sni_len = (uint8_t)sni_len;
	if (sni)
		memcpy(q->sni, sni, sni_len);
}

enum judge_ask judge_lookup(struct judge *j, const struct cs_chain *c, int64_t when,
			    int64_t captured, const char *sni, size_t sni_len,
			    const struct cs_addr *server, uint16_t port, int64_t now_s,
			    uint32_t token, struct judge_result *r)
{
	struct jchain *jc = jchain_make(j, c->id);
	struct request q;

	if (sni && sni_len > CS_MAX_SNI)
		sni = NULL; /* cannot be a host name: no hostname check */
	if (!jc) {
		result_of(judge_unknown(DIAG_UNK_PENDING), true, r);
		return JUDGE_READY;
	}
	request_of(&q, c, token, sni, sni_len);
	q.when = when;
	q.captured = captured;
	q.now = now_s;
	if (cached(j, jc, &q, now_s, r)) {
		j->hits++;
		return JUDGE_READY;
	}
	cs_endpoint_str(server, port, q.source, sizeof(q.source));
	/* a file's reader parses what the thread will need while the thread
	 * is well behind (else the reader, the slower of the two, would pay
	 * for it): CS_JUDGE_PREPARSE_BEHIND */
	if (j->threaded && j->preparse &&
	    atomic_load_explicit(&j->outstanding, memory_order_acquire) > CS_JUDGE_PREPARSE_BEHIND)
		for (size_t i = 0; i < c->n_certs; i++)
			cert_preparse(c->certs[i]);
	atomic_fetch_add_explicit(&j->outstanding, 1, memory_order_acq_rel);
	if (!j->threaded) {
		j->inline_active = true;
		j->inline_token = token;
		j->inline_done = false;
		take(j, &q); /* answered at once unless deferred */
		j->inline_active = false;
		if (j->inline_done) {
			result_of(j->inline_ans.v, j->inline_ans.hostname_ok, r);
			return JUDGE_READY;
		}
		return JUDGE_WAIT;
	}
	if (req_push(&j->req, &q)) {
		wake(j);
		return JUDGE_WAIT;
	}
	atomic_fetch_sub_explicit(&j->outstanding, 1, memory_order_acq_rel);
	return JUDGE_FULL;
}

bool judge_now(struct judge *j, const struct cs_chain *c, int64_t when, int64_t captured,
	       const char *sni, size_t sni_len, const struct cs_addr *server, uint16_t port,
	       struct judge_result *r)
{
	struct jchain *jc = jchain_make(j, c->id);
	struct request q;

	if (j->threaded || !jc)
		return false;
	if (sni && sni_len > CS_MAX_SNI)
		sni = NULL;
	request_of(&q, c, 0, sni, sni_len);
	q.when = when;
	q.captured = captured;
	q.now = when;
	if (cached(j, jc, &q, INT64_MAX, r)) /* never in a retry window */
		return true;
	cs_endpoint_str(server, port, q.source, sizeof(q.source));
	atomic_fetch_add_explicit(&j->outstanding, 1, memory_order_acq_rel);
	j->inline_active = true;
	j->inline_token = 0;
	j->inline_done = false;
	serve(j, &q, true); /* forced: no budget, no deferral */
	j->inline_active = false;
	result_of(j->inline_ans.v, j->inline_ans.hostname_ok, r);
	return true;
}

void judge_poll(struct judge *j, judge_answer_fn fn, void *ctx)
{
	struct answer a;
	struct judge_result r;

	while (ans_pop(&j->ans, &a)) {
		result_of(a.v, a.hostname_ok, &r);
		fn(ctx, a.token, &r);
	}
}

void judge_wait(struct judge *j, judge_answer_fn fn, void *ctx)
{
	judge_poll(j, fn, ctx);
	if (!j->threaded)
		return;
	pthread_mutex_lock(&j->mu);
	if (atomic_load(&j->outstanding) != 0 && spsc_empty(&j->ans.q))
		pthread_cond_wait(&j->done, &j->mu);
	pthread_mutex_unlock(&j->mu);
	judge_poll(j, fn, ctx);
}

void judge_tick(struct judge *j, int64_t now_s)
{
	if (now_s <= atomic_load_explicit(&j->capture_now, memory_order_relaxed))
		return;
	atomic_store_explicit(&j->capture_now, now_s, memory_order_relaxed);
	if (!j->threaded)
		run_deferred(j, false);
	else if (j->budget)
		wake(j); /* once per second of capture time: deferred work may go on */
}

void judge_drain(struct judge *j, judge_answer_fn fn, void *ctx)
{
	if (!j->threaded) {
		run_deferred(j, true);
		judge_poll(j, fn, ctx);
		return;
	}
	atomic_store(&j->draining, true);
	wake(j);
	while (atomic_load(&j->outstanding) != 0)
		judge_wait(j, fn, ctx);
	judge_poll(j, fn, ctx);
	atomic_store(&j->draining, false);
}

void judge_reload(struct judge *j)
{
	if (!j->threaded) {
		do_reload(j);
		return;
	}
	atomic_store(&j->reload_wanted, true);
	wake(j);
}

const struct diag_evidence_rec *judge_evidence(struct judge *j, const struct cs_chain *c)
{
	struct jchain *jc = jchain_of(j, c->id);

	return jc ? atomic_load_explicit(&jc->evidence, memory_order_acquire) : NULL;
}

size_t judge_stores(struct judge *j, struct judge_store *out, size_t max)
{
	size_t n;

	pthread_mutex_lock(&j->mu);
	n = j->nstores < max ? j->nstores : max;
	memcpy(out, j->stores + (j->nstores - n), n * sizeof(*out));
	pthread_mutex_unlock(&j->mu);
	return n;
}

void judge_get_stats(struct judge *j, struct judge_stats *out)
{
	pthread_mutex_lock(&j->mu);
	*out = j->st;
	pthread_mutex_unlock(&j->mu);
	out->cache_hits = j->hits;
	out->queue_full = j->queue_full;
}

int judge_warn_days(const struct judge *j) { return diag_warn_days(j->diag); }

const struct cs_timeline *judge_timeline(const struct judge *j) { return j->timeline; }

int judge_trust_at(const struct judge *j, int64_t *date)
{
	*date = j->trust_date;
	return j->trust_at;
}
