/*
 * cs_judge.h - verdicts for handshakes: the chain analysis as a service
 * with a cache, a budget and, on a live sensor, a thread of its own.
 *
 * The engine asks judge_lookup() for the verdict on (chain, validation
 * time, SNI).  Verdicts are cached per chain and window of validation time
 * (cs_diag.h), hostname results per (chain, SNI); a hit is answered at
 * once, without libcrypto.  A miss becomes a request; the engine parks the
 * handshake and learns through judge_poll() that the chain has news, then
 * asks again.
 *
 * Modes: synchronous (files: a miss is analysed inside judge_lookup, so a
 * run is deterministic) or threaded (live: an analysis thread takes the
 * requests, so the capture loop never waits for libcrypto, and a SIGHUP
 * reload of the trust store happens on that thread too).
 *
 * Trust stores: today's (loaded from judge_opts.trust, reloaded on SIGHUP)
 * and the root-store timeline (cs_timeline.h: the built-in one or
 * --root-timeline), from which the diagnosis builds the store of a past
 * day (--trust-at, and the second look behind ok_at_capture_time).  A
 * verdict is cached for a window of validation times and one of capture
 * times (the timeline's span over which that store does not change).
 *
 * Budget: analyses spend estimated verification microseconds
 * (cs_certcache.h) from a bucket refilled by capture time (rate per second,
 * burst).  An empty bucket defers analyses, in arrival order, until capture
 * time refills it; at the end of input every deferred analysis runs
 * (judge_drain).  When the deferral queue is full, a chain is answered
 * "unknown" (deferred) for CS_JUDGE_RETRY_S of capture time, counted.
 *
 * Threads: every function is for the engine's thread; the analysis thread
 * is internal.  Verdicts and evidence records are immutable and live until
 * judge_free, so the engine and the report may keep pointers to them.
 */
#ifndef CS_JUDGE_H
#define CS_JUDGE_H

#include "cs_diag.h"

struct judge_opts {
	const struct trust_opts *trust; /* what to load, and reload on SIGHUP */
	int warn_days;                  /* < 0: default */
	const char *intermediates;      /* --intermediates, or NULL */
	bool threaded;                  /* analyses on a thread of their own (judge_start) */
	bool budget;                    /* defer analyses past the per-second rate (live) */
	bool preparse;                  /* threaded: while the thread is behind, the
					 * caller parses a new chain's certificates
					 * before asking (files) */
	uint32_t max_tokens;       /* handshakes the caller may hold; 0: CS_ENGINE_MAX_PARKED */
	uint64_t rate_us;          /* 0: CS_JUDGE_RATE_US */
	uint64_t burst_us;         /* 0: CS_JUDGE_BURST_US */
	uint32_t max_checks;       /* per analysis; 0: default */
	uint64_t max_cost;         /* per analysis; 0: default */
	const char *root_timeline; /* --root-timeline FILE; NULL: the built-in one */
	int trust_at;              /* --trust-at: enum diag_trust_at */
	int64_t trust_date;        /* --trust-at DATE (seconds) */
};

struct judge_result {
	const struct diag_verdict *v; /* never NULL when judge_lookup returns true */
	bool hostname_ok;
	bool broken;   /* v->broken or a hostname mismatch */
	uint32_t mask; /* v->mask, plus hostname_mismatch */
};

/* A trust store the run has judged against. */
struct judge_store {
	char name[1024];
	char sha256[2 * CS_SHA256_LEN + 1];
	size_t anchors;
	int64_t loaded_ns; /* wall clock */
};

struct judge_stats {
	uint64_t cache_hits, analyses, hostname_checks;
	uint64_t budget_exhausted;     /* analyses judged unknown: analysis_budget */
	uint64_t deferred;             /* analyses deferred by the per-second budget */
	uint64_t deferred_overflow;    /* chains answered unknown: deferral queue full */
	uint64_t queue_full;           /* threaded: requests refused, answered unknown */
	uint64_t max_checks, max_cost; /* the most one finished analysis needed */
	uint64_t reloads, reload_failures;
	struct diag_stats diag;
};

struct judge;

/* Loads the trust store (and --intermediates).  NULL with err set. */
struct judge *judge_new(const struct judge_opts *o, char *err, size_t errlen);
/* Threaded mode: start the analysis thread (after any state was restored
 * synchronously).  false with err set when it cannot start. */
bool judge_start(struct judge *j, char *err, size_t errlen);
/* Waits for the analysis thread. */
void judge_free(struct judge *j);

enum judge_ask {
	JUDGE_READY, /* *r holds the verdict */
	JUDGE_WAIT,  /* it comes later, through judge_poll, with the caller's token */
	JUDGE_FULL,  /* threaded: no room for the request; nothing was asked */
};

/* The verdict on c at when (seconds) for a client that asked for sni
 * (NULL: none), in a handshake captured at captured (seconds: it picks the
 * store of the day).  server and port name the server that sent c
 * (formatted only for an analysis, not on a cache hit); now_s is the
 * capture time now; token is the caller's name for this handshake, unique
 * among those it holds (at most judge_opts.max_tokens). */
enum judge_ask judge_lookup(struct judge *j, const struct cs_chain *c, int64_t when,
			    int64_t captured, const char *sni, size_t sni_len,
			    const struct cs_addr *server, uint16_t port, int64_t now_s,
			    uint32_t token, struct judge_result *r);
/* Before judge_start only (restoring a state): the verdict now, whatever
 * the budget.  false when threaded or out of memory. */
bool judge_now(struct judge *j, const struct cs_chain *c, int64_t when, int64_t captured,
	       const char *sni, size_t sni_len, const struct cs_addr *server, uint16_t port,
	       struct judge_result *r);
/* The verdict answered to handshakes that could not be held for theirs. */
const struct diag_verdict *judge_unknown(enum diag_unknown why);

typedef void (*judge_answer_fn)(void *ctx, uint32_t token, const struct judge_result *r);
/* Answers that came since the last call: fn(ctx, token, result) each. */
void judge_poll(struct judge *j, judge_answer_fn fn, void *ctx);
/* judge_poll, waiting for at least one answer if one is owed. */
void judge_wait(struct judge *j, judge_answer_fn fn, void *ctx);
/* Capture time moved on (seconds): the budget refills, deferred analyses run. */
void judge_tick(struct judge *j, int64_t now_s);
/* End of input: run every deferred analysis now and take every answer. */
void judge_drain(struct judge *j, judge_answer_fn fn, void *ctx);

/* SIGHUP: load the trust store again (on the analysis thread when there is
 * one); later analyses use it.  The old store is freed once unused. */
void judge_reload(struct judge *j);

/* The current evidence for c's missing intermediate, NULL if none. */
const struct diag_evidence_rec *judge_evidence(struct judge *j, const struct cs_chain *c);
/* The stores judged against, oldest first; the last is the current one. */
size_t judge_stores(struct judge *j, struct judge_store *out, size_t max);
void judge_get_stats(struct judge *j, struct judge_stats *out);
int judge_warn_days(const struct judge *j);
/* The root-store timeline in use. */
const struct cs_timeline *judge_timeline(const struct judge *j);
/* --trust-at: the mode (enum diag_trust_at) and, for a date, *date. */
int judge_trust_at(const struct judge *j, int64_t *date);

#endif
