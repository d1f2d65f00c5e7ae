/*
 * cs_engine.h - the pipeline of one run: frames in, report data out.
 *
 *   frame -> decode -> flow table -> reassembly -> TLS -> chain store
 *         -> server aggregate (on each finished handshake)
 *
 * The engine owns every stage's state and the counters the report prints.
 * One handshake is counted per TCP connection, when its cleartext part is
 * over (then the flow is bypassed: one table lookup per later packet) or
 * when the connection ends, is evicted, or the input ends.
 */
#ifndef CS_ENGINE_H
#define CS_ENGINE_H

#include "cs_agg.h"
#include "cs_counters.h"
#include "cs_ignore.h"
#include "cs_capture.h"
#include "cs_decode.h"
#include "cs_diag.h"
#include "cs_reasm.h"
#include "cs_tls.h"

enum input_status { INPUT_OK, INPUT_TRUNCATED, INPUT_DAMAGED, INPUT_ERROR };

struct engine_input {
	const char *name; /* borrowed from argv */
	bool live;
	const char *format; /* static string or NULL */
	uint64_t packets, bytes, filtered;
	int linktypes[CS_INPUT_LINKTYPES];
	unsigned nlinktypes;
	enum input_status status;
	unsigned nerrors;
	char errors[CS_INPUT_ERRORS][256];
	bool have_drops;
	uint64_t received, dropped, if_dropped;
	uint64_t reached_ip;                  /* frames decoded down to an IP header */
	uint64_t skipped[CS_DEC_COUNTER_MAX]; /* why frames of this input were skipped */
};

struct engine_totals {
	uint64_t packets, bytes, tcp_packets, tcp_flows;
	uint64_t tls_handshakes, with_chain, tls13, resumed, incomplete, no_certificate;
	uint64_t incomplete_reason[TLS_INC_MAX];
	uint64_t client_certificates, chains_unattributed;
	uint64_t chains_unparsed; /* hunted chains whose certificates do not parse */
	uint64_t openvpn;         /* connections whose TLS ran inside OpenVPN's control channel */
	uint64_t starttls[TLS_STARTTLS_MAX];
	uint64_t flows_no_slot; /* packets dropped: no flow slot at all */
	uint64_t tls_no_slot;   /* flows not parsed: no TLS object */
	uint64_t servers_cap;
	uint64_t broken_handshakes;
	uint64_t ok_at_capture_time;  /* broken, but valid with the store of the capture's day */
	uint64_t store_fallback;      /* --trust-at capture, judged with today's store (clock) */
	uint64_t unjudged_handshakes; /* the verdict was "unknown" */
	uint64_t client_rejections;
	uint64_t parked_cap; /* live: no room to hold a handshake for its verdict */
};

/* One finished TLS handshake, for --events and --notices, written once its
 * verdict is known (it may wait for the chain's analysis).  Pointers live
 * for the call. */
struct engine_event {
	int64_t ts;       /* the server's Certificate message (the time the
				      * verdict used); without a chain, the handshake's
				      * last packet */
	int64_t start_ts; /* the connection's first packet */
	const char *sensor;
	const struct cs_addr *client_ip, *server_ip; /* NULL when the side is unknown */
	uint16_t client_port, server_port;
	const struct cs_addr *ends[2]; /* the connection's endpoints, sides known or not */
	uint16_t end_ports[2];
	const char *sni; /* NULL when none */
	size_t sni_len;
	uint16_t version;
	enum tls_outcome outcome;
	enum tls_incomplete reason;   /* when outcome is TLS_OUT_INCOMPLETE */
	const struct cs_chain *chain; /* server chain or NULL */
	uint8_t starttls;
	bool alert; /* a cleartext alert was seen */
	bool alert_from_client;
	uint8_t alert_level, alert_desc;
	const char *ja3, *ja4; /* the client's fingerprints, NULL when none */
	const struct engine_input *input;
	const struct diag_verdict *verdict; /* NULL when the chain was not judged */
	bool reported;           /* counted in the report (not left out by --server-net) */
	bool broken;             /* the chain was judged broken (after --ignore) */
	bool ok_at_capture_time; /* broken, but valid with the store of the capture's day */
	uint32_t problems;       /* 1u << enum cs_problem (after --ignore) */
};

typedef void (*engine_event_fn)(void *ctx, const struct engine_event *ev);

struct engine_config {
	uint32_t max_flows;
	size_t buffer_memcap;
	engine_event_fn on_event; /* optional */
	void *event_ctx;
	struct judge *judge; /* optional: judge every chain (cs_judge.h) */
	bool live;           /* a live capture: never wait for a verdict */
	bool have_at;        /* --at: validate at this time (seconds) */
	int64_t at;
	const struct cs_cidr *nets; /* --server-net: report only these servers */
	size_t nnets;
	const struct ignore_list *ignore; /* --ignore: known problems left out */
	const char *sensor;               /* --sensor name (borrowed) */
	struct notices *notices;          /* optional: --notices (cs_notices.h), told every event */
	struct evidence *evidence;        /* optional: --write-broken (cs_evidence.h) */
};

struct engine;

struct engine *engine_new(const struct engine_config *cfg);
void engine_free(struct engine *e);

/* Inputs are reported in the order they are begun. */
struct engine_input *engine_input_begin(struct engine *e, const char *name, bool live);
void engine_input_error(struct engine_input *in, enum input_status st, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
void engine_frame(struct engine *e, struct engine_input *in, const struct cs_frame *f);
/* An input whose frames the decoder never took down to IP (only ARP,
 * encrypted 802.11, link-layer garbage, ...): false when it is fine, else
 * true with why, a one-line reason naming the main causes, in buf. */
bool engine_input_undecodable(const struct engine_input *in, char *buf, size_t len);
/* End of all input: finish every open connection (capture_ended), then
 * wait for every verdict (engine_settle). */
void engine_finish(struct engine *e);
/* Count every handshake still waiting for its verdict (waiting for the
 * analyses); before a report that must hold them. */
void engine_settle(struct engine *e);
/* Count the handshakes whose verdicts came (called between frames). */
void engine_poll(struct engine *e);
/* Handshakes waiting for their verdict. */
uint32_t engine_parked(const struct engine *e);

/*
 * --workers: packet paths on threads of their own, one engine each, that
 * hand every finished handshake and their counters to the main engine e,
 * which counts them in engine_collect() exactly as if it had seen every
 * packet (e owns verdicts, aggregate, windows, events, evidence).
 * engine_worker_new() (on e's thread, before the workers start): a worker
 * with its own flow table and buffer pool, e's chain store (locked) and
 * evidence pool, reading frames of e's input `input`; NULL when memory runs
 * out or CS_MAX_WORKERS exist.  max_flows and buffer_memcap are totals for
 * all of e's workers (the first worker's are kept): a worker's table and
 * pool draw from them (cs_budget.h), so that N workers hit the caps where
 * one engine would.  Its caller begins its one input (of the
 * same name) with engine_input_begin(w, ...).  A worker is driven with
 * engine_frame() and engine_finish() on its own thread, with that input,
 * and engine_worker_publish() there every CS_WORKER_PUBLISH_FRAMES frames,
 * when idle (clock: the wall clock) and after engine_finish(): it hands
 * over its counters and its clock.  e frees its workers.
 * engine_collect() (on e's thread): counts what the workers handed over,
 * moves e's clock to the slowest worker's, and polls the judge; returns
 * how many items it took.
 */
struct engine *engine_worker_new(struct engine *e, uint32_t max_flows, size_t buffer_memcap,
				 size_t input);
void engine_worker_publish(struct engine *w, int64_t clock);
size_t engine_collect(struct engine *e);
size_t engine_workers(const struct engine *e);
/* What worker i handed over so far: frames, TLS handshakes, kernel drops. */
void engine_worker_counts(const struct engine *e, size_t i, uint64_t *packets, uint64_t *handshakes,
			  uint64_t *dropped);

/* Read-only views for the report. */
const struct engine_totals *engine_totals(const struct engine *e);
const struct cs_decode_stats *engine_decode_stats(const struct engine *e);
const struct reasm_stats *engine_reasm_stats(const struct engine *e);
const struct tls_stats *engine_tls_stats(const struct engine *e);
struct defrag_stats;
const struct defrag_stats *engine_defrag_stats(const struct engine *e);
const struct ovpn_stats *engine_ovpn_stats(const struct engine *e);
uint64_t engine_flows_evicted(const struct engine *e);
/* A named counter (the report's "caps", the metrics' cap label). */
struct cs_count {
	const char *name;
	uint64_t n;
};
#define CS_ENGINE_CAPS 24 /* room for every cap engine_caps lists (16 now) */
/* Every cap of every stage, in the report's order: fills out (at least
 * CS_ENGINE_CAPS entries), returns how many. */
size_t engine_caps(struct engine *e, struct cs_count *out);
uint64_t engine_clock_jumps(const struct engine *e);
uint64_t engine_buffer_refusals(const struct engine *e);
/* Times a worker found its hand-over ring full and waited (--workers). */
uint64_t engine_handoff_waits(const struct engine *e);
size_t engine_ninputs(const struct engine *e);
const struct engine_input *engine_input(const struct engine *e, size_t i);
struct agg *engine_agg(struct engine *e);
struct cs_chain_store *engine_chains(struct engine *e);
struct judge *engine_judge(struct engine *e);

/* Periodic reports (sensor.c): fn sees every handshake right after it
 * was added to the aggregate (the same record, --ignore applied), to count
 * it in the window of its timestamp a->ts. */
typedef void (*engine_account_fn)(void *ctx, const struct agg_handshake *a);
void engine_on_account(struct engine *e, engine_account_fn fn, void *ctx);
/* Whether a handshake still waiting for its verdict has a timestamp
 * (agg_handshake.ts) before ts: a window ending at ts is not complete. */
bool engine_waiting_before(const struct engine *e, int64_t ts);
struct notices *engine_notices(struct engine *e);
struct evidence *engine_evidence(struct engine *e);
const struct ignore_list *engine_ignore(const struct engine *e);
const char *engine_sensor(const struct engine *e);
/* Capture time of the last frame (ns). */
int64_t engine_now(const struct engine *e);
/* --at time in seconds, if given. */
bool engine_at(const struct engine *e, int64_t *at);
bool engine_time_range(const struct engine *e, int64_t *first, int64_t *last);

/* Restoring a saved state (state.c) or merging reports (merge.c).
 * engine_carried holds counters counted elsewhere (cs_counters.h), which
 * the report adds to the engine's own; engine_restore_time widens the
 * capture time range.
 * engine_restore_input names an input of an earlier run, for
 * agg_chain.first_input: ids from CS_MAX_INPUTS up, which engine_input()
 * accepts but engine_ninputs() does not count (the report lists this run's
 * inputs only).  name NULL, or more than CS_MAX_INPUTS distinct names, give
 * an id whose input has no name.  The engine copies the name. */
struct ctr_values *engine_carried(struct engine *e);
void engine_restore_time(struct engine *e, int64_t first, int64_t last);
uint32_t engine_restore_input(struct engine *e, const char *name, bool live);

#endif
