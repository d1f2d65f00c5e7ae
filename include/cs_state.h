/*
 * cs_state.h - the aggregate saved to a file and restored from it
 * (--state), and the reader `chainsniff merge` shares.
 *
 * A state file is the JSON report written by report_json_state(): the
 * report of docs/report-format.md plus what counting needs to go on --
 * each certificate's DER, each client set's sketch (exact hashes or HLL
 * registers), per-server sni_not_sent/sni_not_captured and per-chain
 * last_seen.  It is written with atomic_write (cs_atomicfile.h: a temporary
 * file in the same directory, fsync, rename, fsync of the directory), so a
 * crash at any moment leaves either the previous file or the new one, never
 * half of one.
 *
 * Reading trusts nothing: the file may be truncated, corrupt or hostile.
 * Every value is checked for type and range, lengths are capped as on the
 * wire (SNI, chain length, certificate bytes), base64 and times are parsed
 * strictly, each chain's DER must hash to its sha256, and the total file is
 * capped at CS_STATE_MAX_BYTES before anything is parsed.  Derived fields
 * (status, clients, servers_broken, ...) are recomputed, never read.
 */
#ifndef CS_STATE_H
#define CS_STATE_H

#include <jansson.h>

#include "cs_engine.h"

/* The chain store holds at most CS_CHAIN_MEMCAP (128 MiB) of DER, which is
 * 86 MiB as base64; counts and names are small next to it. */
#define CS_STATE_MAX_BYTES (256u * 1024 * 1024)

/* The report_version this chainsniff reads and writes. */
#define CS_STATE_REPORT_VERSION 1

/* Write report_json_state(e) to path atomically, mode 0600 (the client
 * hashes are personal data).  CS_IO with err ("TEMPORARY-FILE: reason") on
 * failure; the previous file is then untouched. */
enum cs_status state_save(struct engine *e, const char *path, char *err, size_t errlen);

/* Restore a state file into e (normally a fresh engine, after setup and
 * before any frame): servers, chains (interned into engine_chains(e)),
 * client sets, rejections, totals and the capture time range.  CS_EOF when
 * the file does not exist (a first run: nothing restored).  Any other
 * failure (unreadable, not JSON, another report_version, a merged report,
 * a value out of range) sets err to one line naming the file and the value;
 * e may then hold part of the file and should be discarded. */
enum cs_status state_load(struct engine *e, const char *path, char *err, size_t errlen);

/* ---- shared with merge.c ------------------------------------------------------- */

/* A JSON file of at most CS_STATE_MAX_BYTES (duplicate keys refused, NUL
 * allowed inside strings).  NULL with err set; *missing tells ENOENT. */
json_t *state_read_json(const char *path, bool *missing, char *err, size_t errlen);

struct state_apply_opts {
	bool restore_totals;   /* totals and time range into the engine (--state) */
	/* Optional: each chain object, once its counts are in the engine,
	 * with the server and chain it went to; false means out of memory. */
	bool (*on_chain)(void *ctx, const struct agg_server *s, const struct cs_chain *c,
			 json_t *chain_obj);
	void *ctx;
	uint64_t chains_refused; /* out: chains the chain store had no room for */
};

/* Validate doc (a state document) and add it to e: counts are summed,
 * first_seen is the earliest, last_seen the latest, client sets merge.
 * Applying several documents merges them (what `chainsniff merge` does).
 * err gets "where: reason" (the caller prefixes the file name). */
enum cs_status state_apply(struct engine *e, json_t *doc, struct state_apply_opts *o, char *err,
			   size_t errlen);


#endif
