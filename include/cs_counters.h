/*
 * cs_counters.h - the report's counter groups as one table.
 *
 * Every counter a report prints ("totals", "incomplete_reasons", "decode",
 * "caps", "anomalies", "diagnosis") is a row of one table (src/counters.c):
 * its group, its key, where the engine keeps it and how reports combine
 * it.  The JSON writer, the --state restore and `chainsniff merge` all walk
 * this table, so a new counter is one row (and its field in the module
 * that counts it); families of counters named by another module
 * (decode_counter_name, tls_incomplete_name, tls_starttls_name) follow that
 * module's enum by themselves.
 *
 * Counters are addressed by a dense id (0 .. counters_count()-1) in the
 * order reports write them.  A group may hold one nested group
 * ("totals.starttls", "diagnosis.budget"): its rows sit where the nested
 * object is written.
 *
 * Kinds: a sum (most), a maximum (max_checks, max_cost_us, the size of the
 * pool of intermediates: merged and carried as a maximum), or derived
 * (servers, servers_broken, distinct_chains: recounted from the servers of
 * the report, never read back).
 */
#ifndef CS_COUNTERS_H
#define CS_COUNTERS_H

#include "cs_common.h"

struct engine;

/* Room for every row of the table (checked when the table is walked). */
#define CTR_MAX 160

enum ctr_kind { CTR_SUM, CTR_MAX_OF, CTR_DERIVED };

/* A counter vector, indexed by counter id. */
struct ctr_values {
	uint64_t v[CTR_MAX];
};

size_t counters_count(void);
const char *counter_group(size_t id); /* "totals", "totals.starttls", ... */
const char *counter_key(size_t id);
enum ctr_kind counter_kind(size_t id);
/* Carried over a restart by --state (totals and incomplete_reasons); the
 * others describe one process and start at zero. */
bool counter_restored(size_t id);
/* Written only when chains are judged (a trust store is loaded). */
bool counter_judged(size_t id);
/* The id of group/key, SIZE_MAX when the table has no such row. */
size_t counter_find(const char *group, const char *key, size_t keylen);
/* Whether this chainsniff knows the group (a top-level or nested one). */
bool counter_group_known(const char *group);
/* The i-th top-level group of the table ("totals", "incomplete_reasons",
 * ...), in table order; NULL past the last. */
const char *counter_top_group(size_t i);

/* The engine's counters now: what it counted itself plus what was carried
 * into it (engine_carried: a restored state, merged reports).  Derived rows
 * are counted from the aggregate. */
void counters_of_engine(struct engine *e, struct ctr_values *out);
/* The derived rows counted from the servers of a (a window's aggregate;
 * chain ids below max_chain_id). */
struct agg;
void counters_derive(struct ctr_values *v, struct agg *a, size_t max_chain_id);
/* a - b for sums (what was counted between two snapshots); maxima and
 * derived rows are taken from a. */
void counters_delta(const struct ctr_values *a, const struct ctr_values *b, struct ctr_values *out);
/* dst += src as each row's kind says (derived rows untouched).  False on
 * an overflow past INT64_MAX (JSON integers). */
bool counters_add(struct ctr_values *dst, const struct ctr_values *src);

#endif
