/*
 * cs_notices.h - --notices: one NDJSON line per change of a server's state,
 * for a SIEM that does not want a line per handshake.
 *
 * A server is (address, port, SNI), as in the report.  Notices, in the
 * order they are written for one handshake:
 *   possible_interception  the chain's issuer is private or unknown
 *                          (untrusted_root, self_signed_leaf or
 *                          missing_intermediate) and its leaf names another
 *                          issuer than the publicly trusted chain this
 *                          server was seen with: a TLS-intercepting proxy
 *                          looks like this
 *   broken                 the server was ok (or had not been seen) and this
 *                          handshake's chain is broken
 *   fixed                  the server was broken and this chain is ok
 *   chain_changed          a chain this server was not seen with among its
 *                          last CS_NOTICE_CHAINS (a load balancer that
 *                          alternates between two certificates changes
 *                          nothing)
 * Each line has "event_type": "tls_notice", "notice", "previous_status",
 * "previous_chain_sha256", "window_start", then every member of the
 * handshake's --events line (cs_events.h).
 *
 * Deduplication: at most one notice of each kind per server and window
 * (windows of window_s seconds of capture time, aligned to the epoch);
 * later ones are counted (suppressed), not written.  "broken" and "fixed"
 * compare with the state last *written*, so a server that broke, was fixed
 * and broke again within one window gets its second "broken" at its first
 * broken handshake of a later window.  Unknown verdicts change no state.
 *
 * Memory: the previous state of at most CS_NOTICE_MAX_SERVERS servers, in
 * a table allocated by notices_new (open addressing on a keyed hash); a
 * server beyond it gets no notices, counted (servers_cap).  Nothing is
 * allocated per handshake.  Not saved across restarts: after one, every
 * broken server is announced again.
 */
#ifndef CS_NOTICES_H
#define CS_NOTICES_H

#include "cs_engine.h"
#include "cs_logfile.h"

struct notices_opts {
	struct logfile *out;     /* where lines go (borrowed), or NULL (notices_set_output) */
	int64_t window_s;        /* deduplication window, seconds (> 0) */
	uint16_t community_seed; /* as for --events */
};

struct notices_stats {
	uint64_t written;     /* lines written */
	uint64_t suppressed;  /* notices not written: one of their kind in the window already */
	uint64_t servers_cap; /* handshakes of servers the table had no room for */
	uint32_t servers;     /* servers tracked */
};

struct notices;

/* NULL when memory runs out. */
struct notices *notices_new(const struct notices_opts *o);
/* Where lines go from now on (the file is opened after -Z, once the
 * tracker exists); NULL: nowhere yet. */
void notices_set_output(struct notices *n, struct logfile *out);
void notices_free(struct notices *n);
/* A finished handshake (engine.c, once its verdict is known). */
void notices_handshake(struct notices *n, const struct engine_event *ev);
void notices_get_stats(const struct notices *n, struct notices_stats *out);

#endif
