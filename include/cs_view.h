/*
 * cs_view.h - the report model: one read-only view of what a report holds.
 *
 * Two producers fill it: the engine (a run, a periodic window, a state
 * file: view_of_engine() here) and `chainsniff merge` (reports read back,
 * merge.c); report.c alone renders it as JSON, text and CSV.  The view
 * borrows everything: the ranked servers of an aggregate, the chains of a
 * chain store, counter values (cs_counters.h), inputs, trust stores; it
 * lives while its producer holds them and is never written through.
 *
 * Problems are data (cs_problems.h): the producer hands out each chain's
 * typed records and what their wording needs (the leaf's names, the
 * evidence for a missing intermediate, --warn-days); the writers word them
 * with the catalogue when they write, so a report and a merge of it say the
 * same.  A code this chainsniff does not know (a newer sensor's, read back
 * by merge) keeps its name, severity, message and fix as read.
 */
#ifndef CS_VIEW_H
#define CS_VIEW_H

#include "cs_agg.h"
#include "cs_counters.h"
#include "cs_diag.h"
#include "cs_engine.h"
#include "cs_judge.h"
#include "cs_timefmt.h"

/* A problem as a report shows it. */
struct view_problem {
	struct diag_problem p;     /* p.code == CS_P_MAX: a code this chainsniff does not know */
	bool earlier;              /* seen on earlier handshakes of the chain only */
	const char *code;          /* its name */
	const char *message, *fix; /* words as read (an unknown code, or a file without
				    * the record's parameters); NULL: worded from p */
	int warn_days;             /* expiring_soon's {days} */
};

/* What words a chain's problems, beyond their records. */
struct view_chain {
	const char *leaf_names;                   /* hostname_mismatch: the leaf's DNS names */
	const struct diag_evidence_rec *evidence; /* missing_intermediate: NULL when none */
	uint8_t unknown_reason;                   /* enum diag_unknown, for status "unknown" */
	const struct diag_root_then *then;        /* ok_at_capture_time: the root of that day */
};

/* A trust store the verdicts were made against. */
struct view_store {
	const char *name, *sha256;
	uint64_t anchors;
	int64_t replaced_at; /* ns: when a reload replaced it (earlier stores) */
};

/* --trust-at and the root-store timeline (trust_store's mode, date and
 * timeline); a member merged reports disagree on is NULL (JSON null). */
struct view_trust_at {
	const char *mode; /* "today", "capture", "date" */
	const char *date; /* "YYYY-MM-DD" (mode date), "capture", NULL (today) */
	bool have_timeline;
	const char *tl_name, *tl_source, *tl_sha256, *tl_start, *tl_end; /* days: YYYY-MM-DD */
};

/* A server named in a list (became_broken, fixed, a window's broken ones). */
struct view_key {
	struct cs_addr ip;
	uint16_t port;
	bool has_sni;
	uint8_t sni_len;
	char sni[CS_MAX_SNI];
};

/* A counter this chainsniff has no row for (a newer sensor's, merged). */
struct view_counter {
	const char *group, *key;
	uint64_t v;
};

/* One sensor window merged in (merge only: "sensors"). */
struct view_sensor {
	const char *sensor;
	bool have;                /* a time range (a report that saw no packet has none) */
	int64_t first, last;      /* ns */
	const char *trust_sha256; /* NULL: none or mixed */
	const char *run_id;       /* NULL: not known (an older file) */
	uint64_t window;          /* a periodic window's seq; 0: a whole report or state */
};

/* One periodic window merged in (merge only: the "windows" series). */
struct view_series {
	const char *sensor, *kind;
	int64_t start, end; /* ns */
	uint64_t handshakes, broken_handshakes, servers_broken;
	const struct view_key *broken; /* the servers broken in it, at most CS_VIEW_MAX_BROKEN */
	size_t nbroken;
};

/* A periodic report's window, or a merged report's first-to-last comparison. */
struct view_window {
	const char *kind;   /* "interval", "signal", "final"; "merged" */
	int64_t start, end; /* ns */
	uint64_t seq;       /* 1, 2, ... within a run; 0 in a merged report */
	uint64_t late_handshakes;
	const struct view_key *became_broken, *fixed;
	size_t n_broken, n_fixed;
	const struct report_view *own; /* the window's own report; NULL when merged */
};

struct report_view;

/* The problems of chain ac as server s served it, at most max, and what
 * words them. */
typedef size_t (*view_problems_fn)(const struct report_view *v, const struct agg_server *s,
				   const struct agg_chain *ac, struct view_problem *out, size_t max,
				   struct view_chain *vc);

struct report_view {
	const char *sensor;
	const char *client_key_id; /* the key of the client hashes (cs_clientkey.h) */
	const char *run_id;        /* NULL: none (a merged report) */
	bool have_time;
	int64_t first, last; /* ns: the first and last packet (or handshake) */

	bool have_trust;         /* chains were judged: trust_store, diagnosis, validation */
	struct view_store trust; /* name "mixed", sha256 NULL: merged across stores */
	bool trust_mixed;
	const struct view_store *earlier;
	size_t nearlier;
	struct view_trust_at trust_at;
	bool have_at;        /* --at; false: each handshake at its capture time */
	int64_t at;          /* seconds */
	bool warn_days_null; /* merged reports that disagree */
	int warn_days;

	const struct engine_input *inputs;
	size_t ninputs;

	struct ctr_values counters;
	const struct view_counter *extra; /* merge: counters of newer sensors */
	size_t nextra;

	const struct agg_server *const *servers; /* ranked (agg_sorted) */
	size_t nservers;
	struct engine *names; /* engine_input(names, agg_chain.first_input) */
	view_problems_fn problems;
	void *producer;

	const struct view_window *window;  /* periodic or merged report; NULL otherwise */
	const struct view_sensor *sensors; /* merged report; NULL otherwise */
	size_t nsensors;
	const struct view_series *windows; /* merged report: the windows merged in */
	size_t nwindows;
};

/* The chains' problems of a sensor: the verdict of each chain's latest
 * handshake (cs_judge.h), its hostname check, then the codes only earlier
 * handshakes had. */
size_t view_engine_problems(const struct report_view *v, const struct agg_server *s,
			    const struct agg_chain *ac, struct view_problem *out, size_t max,
			    struct view_chain *vc);

/* Storage of an engine's view (the trust stores it names). */
struct engine_view {
	struct report_view v;
	struct judge_store stores[CS_VIEW_MAX_STORES];
	struct view_store vstores[CS_VIEW_MAX_STORES];
	char date[CS_TIME_STRLEN], tl_start[CS_TIME_STRLEN], tl_end[CS_TIME_STRLEN];
};

/* The cumulative report of e: its aggregate, counters, inputs, trust. */
void view_of_engine(struct engine_view *ev, struct engine *e);

void view_key_of(struct view_key *k, const struct agg_server *s);
int view_key_cmp(const struct view_key *a, const struct view_key *b);

#endif
