/*
 * cs_state.h - the aggregate saved to a file and restored from it
 * (--state), and the reader `chainsniff merge` shares.
 *
 * A state file is the JSON report written by report_json_state(): the
 * report of docs/report-format.md (which carries what counting needs to go
 * on: each client set's sketch, per-server sni_not_sent/sni_not_captured,
 * per-chain last_seen, each problem's typed parameters) plus each
 * certificate's DER.  It is written with atomic_write (cs_atomicfile.h: a
 * temporary file in the same directory, fsync, rename, fsync of the
 * directory), so a crash at any moment leaves either the previous file or
 * the new one, never half of one.
 *
 * Reading trusts nothing: the file may be truncated, corrupt or hostile.
 * Every value is checked for type and range, lengths are capped as on the
 * wire (SNI, chain length, certificate bytes), base64 and times are parsed
 * strictly, each chain's DER must hash to its sha256, and the total file is
 * capped at CS_STATE_MAX_BYTES before anything is parsed.  Derived fields
 * (status, clients, servers_broken, ...) are recomputed, never read.
 * Counters are read by the table of cs_counters.h; problem codes this
 * chainsniff does not know (a newer sensor's) are kept by name, severity
 * and words, never refused, so a fleet can be upgraded a sensor at a time.
 */
#ifndef CS_STATE_H
#define CS_STATE_H

#include <jansson.h>

#include "cs_engine.h"
#include "cs_view.h"

/* The report_version this chainsniff reads and writes. */
#define CS_STATE_REPORT_VERSION 1

/* Write report_json_state(e) to path atomically, mode 0600 (the client
 * hashes are personal data).  CS_IO with err ("TEMPORARY-FILE: reason") on
 * failure; the previous file is then untouched. */
enum cs_status state_save(struct engine *e, const char *path, char *err, size_t errlen);

/* Restore a state file into e (normally a fresh engine, after setup and
 * before any frame): servers, chains (interned into engine_chains(e)),
 * client sets, rejections, the counters a restart carries over (totals,
 * incomplete_reasons, into engine_carried) and the capture time range.
 * CS_EOF when the file does not exist (a first run: nothing restored).
 * Any other failure (unreadable, not JSON, another report_version, a
 * merged report, client hashes made under another client key, a value
 * out of range) sets err to one line naming the file and the value; e may
 * then hold part of the file and should be discarded. */
enum cs_status state_load(struct engine *e, const char *path, char *err, size_t errlen);

/* ---- shared with merge.c ------------------------------------------------------- */

/* The client_key_id of a state-style document (cs_clientkey.h):
 * CS_CLIENT_KEY_LEGACY when it has none (written before keys existed),
 * NULL when it is not a key id.  state_load refuses a file whose id is not
 * this run's (clientset_key_id). */
const char *state_key_id(const json_t *doc);
/* Whether doc holds client hashes (a server with a client sketch): only
 * then does its key id matter. */
bool state_holds_client_hashes(const json_t *doc);

/* A JSON file of at most CS_STATE_MAX_BYTES (duplicate keys refused, NUL
 * allowed inside strings).  NULL with err set; *missing tells ENOENT. */
json_t *state_read_json(const char *path, bool *missing, char *err, size_t errlen);

/* A problem as a report holds it.  Strings are borrowed from the document
 * (valid until it is freed).  vp.p is the typed record when the file gave
 * its parameters and the code is known; otherwise vp.message and vp.fix
 * hold the words as read (vp.p.code CS_P_MAX for an unknown code). */
struct state_problem {
	struct view_problem vp;
	size_t pos;             /* its place in the chain's list */
	const char *leaf_names; /* params.names ("" if none) */
	bool have_evidence;     /* missing_intermediate: issuer_evidence given */
	struct diag_evidence_rec evidence;
	bool have_then;             /* root_then given (ok_at_capture_time) */
	struct diag_root_then then; /* strings borrowed from the document */
};

/* What a report says about one chain served by one server. */
struct state_chain {
	const struct state_problem *problems;
	size_t nproblems;
	uint8_t unknown_reason; /* enum diag_unknown */
};

struct state_apply_opts {
	bool all_counters;  /* every counter group into engine_carried (merge), not only
			      * what a restart carries over (--state) */
	bool facts_only_ok; /* chains may come without DER, by their facts (merge) */
	bool window;        /* the document is a periodic window's report */
	/* Optional: each chain, once its counts are in the engine, with what
	 * the report says of it; false means out of memory. */
	bool (*on_chain)(void *ctx, const struct agg_server *s, struct agg_chain *ac,
			 const struct state_chain *sc);
	/* Optional: a counter the table has no row for (a newer sensor's),
	 * group "totals" or "totals.nested"; false means out of memory. */
	bool (*on_counter)(void *ctx, const char *group, const char *key, uint64_t v);
	void *ctx;
	uint64_t chains_refused; /* out: chains the chain store had no room for */
};

/* Validate doc (a report or a state document) and add it to e: counts are
 * summed, first_seen is the earliest, last_seen the latest, client sets
 * merge.  Applying several documents merges them (what `chainsniff merge`
 * does).  err gets "where: reason" (the caller prefixes the file name). */
enum cs_status state_apply(struct engine *e, json_t *doc, struct state_apply_opts *o, char *err,
			   size_t errlen);

#endif
