/*
 * cs_diag.h - what a strict client would conclude about a chain, at the
 * time of the capture, as data (cs_problems.h).
 *
 * The path is built the way modern clients build it: from the leaf, through
 * the certificates as sent in any order plus the trust anchors (anchors
 * tried first, every alternative issuer considered), so that a chain with a
 * valid path is not called broken because of a stale cross-certificate it
 * also carries.  Problems are then reported against the chain as sent.
 * Issuers are matched by name and key identifiers and confirmed by
 * signature; certificates are identified by SHA-256, never by name.
 * Intermediates seen from other servers and --intermediates only explain a
 * broken chain, they never make it valid.
 *
 * Cost: certificates are parsed once (cs_certcache.h), a signature is
 * verified once per (certificate, issuer key), and one analysis gives a
 * verdict for a window of validation times (it stays the same until the
 * time crosses a notBefore/notAfter, an expiring-soon threshold or a
 * weak-algorithm cut-off).  Each analysis has a budget of signature checks
 * and of their estimated cost, counted whether the memo answers or not (so
 * a verdict depends on the chain and the time only): a chain that exhausts
 * it is judged "unknown" (analysis_budget) from what was established, never
 * "ok".  A path that is trusted and has no error ends the search at once.
 *
 * The store of another day (cs_timeline.h, diag_set_timeline): with
 * --trust-at the verdict is made against Mozilla's store as it stood on the
 * handshake's capture day (or on a given date), rebuilt from the root-store
 * timeline and today's store (trust_at_date); a verdict then also holds for
 * a span of capture times (store_from, store_until).  In the default mode
 * (today's store) a chain that is broken only by what the store decides
 * (problem_store_dependent: its root is not, or no longer, an anchor) gets
 * a second look, within the same budget, against the store of its capture
 * day: when that look finds a trusted path without error, and the top
 * certificate the server sent verifies under the key of a root that store
 * held, the verdict stays broken but gets ok_at_capture_time, with that
 * root as the problem's evidence.  A certificate that only names a removed
 * root (CurveBall) fails the signature and never earns it.
 *
 * Threads: a struct diag belongs to one thread (the analysis thread).
 */
#ifndef CS_DIAG_H
#define CS_DIAG_H

#include "cs_chain.h"
#include "cs_problems.h"
#include "cs_trust.h"

#define CS_DIAG_WARN_DAYS_DEFAULT 30

/* Dates from which clients refused weak algorithms (docs/problems.md). */
#define CS_MD5_CUTOFF 1230768000LL     /* 2009-01-01: rogue CA from MD5 collisions (2008) */
#define CS_RSA1024_CUTOFF 1388534400LL /* 2014-01-01: CA/B deadline, 1024-bit roots removed */
#define CS_SHA1_CUTOFF 1483228800LL    /* 2017-01-01: Chrome 56 / Firefox 51 reject SHA-1 */
/* clock_implausible: a validation time before 2001-01-01 (devices restart at
 * 1970-01-01 or 2000-01-01), within a year after the GPS epoch (1980-01-06,
 * where GPS-synchronised devices restart), or more than two years before
 * the leaf's notBefore (no CA issues certificates dated that far ahead). */
#define CS_CLOCK_SANE_FROM 978307200LL /* 2001-01-01 */
#define CS_GPS_EPOCH 315964800LL       /* 1980-01-06 */
#define CS_CLOCK_GPS_SPAN (365LL * 86400)
#define CS_CLOCK_LEAF_SLACK (2LL * 365 * 86400)

enum diag_status { DIAG_OK, DIAG_BROKEN, DIAG_UNKNOWN };

/* Why a verdict is unknown; names are a JSON contract (unknown_reason). */
enum diag_unknown {
	DIAG_UNK_NONE,
	DIAG_UNK_BUDGET,   /* the analysis exhausted its budget */
	DIAG_UNK_DEFERRED, /* live: over the per-second budget, and the deferral queue was full */
	DIAG_UNK_PENDING,  /* live: no room to hold the handshake until its verdict */
	DIAG_UNK_MAX
};

/* The unknown_reason name of why ("unknown" for DIAG_UNK_NONE or out of range). */
const char *diag_unknown_name(unsigned why);

/* Which trust store judges (--trust-at). */
enum diag_trust_at {
	DIAG_TRUST_TODAY,   /* today's store (the default), with the second look */
	DIAG_TRUST_CAPTURE, /* the store of each handshake's capture day */
	DIAG_TRUST_DATE,    /* the store of one date */
};

/* Which store a verdict was made against; names are a JSON contract. */
enum diag_store {
	DIAG_STORE_TODAY,          /* today's (--trust-at not given) */
	DIAG_STORE_DATED,          /* the store of a date (store_day) */
	DIAG_STORE_TODAY_FALLBACK, /* --trust-at capture, but today's: the capture's clock is
				    * before the timeline starts, or implausible */
};

/* The verdict on one chain for validation times in [from, until).
 * Immutable once made; one allocation (free() it), strings inside. */
struct diag_verdict {
	int64_t from, until;
	uint32_t mask;          /* 1u << code; hostname_mismatch and key_usage_mismatch
				 * are per handshake, never here */
	bool broken;            /* an error-severity problem */
	uint8_t status;         /* enum diag_status */
	uint8_t unknown_reason; /* enum diag_unknown */
	uint32_t epoch;         /* the trust store it was made against (judge.c) */
	uint32_t checks;        /* signature checks made, memo answers included */
	uint64_t cost;          /* their estimated microseconds (the budget's measure) */
	uint64_t spent;         /* estimated microseconds of the verifications really made */
	int64_t store_from, store_until; /* capture times over which it holds (the store
				 * of the day judged, or second-looked at, stays the same) */
	uint8_t store;                   /* enum diag_store */
	bool ok_at_capture_time;         /* broken, but valid with the store of the capture's day */
	int64_t store_day;               /* the day of the dated store used: the verdict's
				 * (DIAG_STORE_DATED), or the second look's; else 0 */
	const struct diag_root_then *then; /* with ok_at_capture_time: the root, else NULL */
	const char *leaf_names;            /* the leaf's DNS names, for hostname_mismatch */
	bool leaf_has_ku;                  /* the leaf has a keyUsage extension ... */
	uint16_t leaf_ku;           /* ... with these bits (CS_KU_*), for key_usage_mismatch */
	struct diag_verdict *older; /* judge.c: the chain's verdicts of other windows */
	size_t nproblems;
	struct diag_problem problems[];
};

/* Called when the evidence for a broken chain's missing intermediate is
 * found or changes (an intermediate seen later still names it). */
typedef void (*diag_evidence_fn)(void *ctx, const struct cs_chain *c,
				 const struct diag_evidence_rec *ev);

struct diag_opts {
	int warn_days;                /* < 0: the default */
	uint32_t max_checks;          /* 0: CS_DIAG_MAX_CHECKS */
	uint64_t max_cost;            /* 0: CS_DIAG_MAX_COST_US */
	diag_evidence_fn on_evidence; /* optional */
	void *ctx;
};

struct diag_stats {
	uint64_t analyses;
	uint64_t budget_exhausted; /* analyses stopped by their budget */
	uint64_t max_checks;       /* the most checks a finished analysis needed */
	uint64_t max_cost;         /* the most estimated microseconds one needed */
	uint64_t hostname_checks;
	uint64_t x509_parsed, x509_evicted;
	uint64_t signature_checks, signature_verifications, signature_memo_evicted;
	uint64_t verify_cost; /* estimated microseconds of real verifications */
	uint64_t pool_size, pool_refused, pool_evicted, wants_refused;
	uint64_t second_looks;         /* chains judged again with the store of their day */
	uint64_t second_looks_ok;      /* ... and found valid then (ok_at_capture_time) */
	uint64_t second_look_budget;   /* ... whose look ran out of budget */
	uint64_t dated_stores_built;   /* stores of past dates built (trust_at_date) */
	uint64_t dated_store_failures; /* could not be built: today's store judged instead */
};

struct diag;

struct diag *diag_new(const struct diag_opts *o);
void diag_free(struct diag *d);

/* Judge against t from now on (the caller keeps t alive until it is
 * replaced or the diag is freed).  The certificate cache, the signature
 * memo and the pool of intermediates stay; evidence is resolved again. */
void diag_set_trust(struct diag *d, const struct cs_trust *t);
const struct cs_trust *diag_trust(const struct diag *d);
int diag_warn_days(const struct diag *d);

struct cs_timeline;

/* Judge with the root-store timeline tl (borrowed until replaced or the
 * diag is freed; NULL: today's store only, no second look) in this mode;
 * date for DIAG_TRUST_DATE.  Dated stores are built from the trust store
 * set by diag_set_trust, and rebuilt when it changes. */
void diag_set_timeline(struct diag *d, const struct cs_timeline *tl, enum diag_trust_at mode,
		       int64_t date);

/* Known intermediates from a PEM bundle (--intermediates). */
enum cs_status diag_load_intermediates(struct diag *d, const char *path, char *err, size_t errlen);

/* The verdict on c at time when (seconds), NULL when memory ran out; a
 * trust store must have been set (diag_set_trust).
 * source names the server that sent c ("198.51.100.9:443"): its CA
 * certificates join the pool that explains other servers' gaps. */
struct diag_verdict *diag_analyze(struct diag *d, const struct cs_chain *c, int64_t when,
				  const char *source);
/* The same for a handshake captured at captured (seconds), which picks the
 * store of the day (--trust-at capture, the second look); diag_analyze
 * takes it to be when. */
struct diag_verdict *diag_analyze_at(struct diag *d, const struct cs_chain *c, int64_t when,
				     int64_t captured, const char *source);
/* "today", "dated", "today_fallback". */
const char *diag_store_name(unsigned store);
/* Whether the leaf of c covers the name the client asked for (as OpenSSL's
 * X509_check_host without partial wildcards, or an IP address). */
bool diag_hostname_ok(struct diag *d, const struct cs_chain *c, const char *sni, size_t sni_len);

/* key_usage_mismatch, per handshake: whether the leaf judged in v allows
 * what the key exchange of the negotiated cipher suite needs
 * (cs_ciphersuite.h); when it does not, true with the problem in *out
 * (its strings static, subject ""), for the leaf at index 0.  No libcrypto:
 * the keyUsage bits come with the verdict. */
bool diag_key_usage_problem(const struct diag_verdict *v, uint16_t cipher_suite,
			    struct diag_problem *out);

void diag_get_stats(const struct diag *d, struct diag_stats *out);

#endif
