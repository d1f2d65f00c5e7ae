/*
 * engine_int.h - private to the engine (engine.c: the packet path and the
 * counting of handshakes; handoff.c: --workers, packet paths on threads of
 * their own that hand their handshakes to the main engine).
 */
#ifndef ENGINE_INT_H
#define ENGINE_INT_H

#include "cs_budget.h"
#include "cs_defrag.h"
#include "cs_engine.h"
#include "cs_evidence.h"
#include "cs_judge.h"

struct handoff;
struct worker_link;

/*
 * A finished handshake, copied out of its flow, so that it can wait for the
 * verdict on its chain (judge.c) after the flow is gone.
 */
struct hs {
	bool have_server; /* the server side is known */
	struct cs_addr server_ip, client_ip;
	uint16_t server_port, client_port;
	bool sni_sent;
	enum agg_sni sni_status;
	uint8_t sni_len;
	char sni[CS_MAX_SNI + 1];
	uint16_t version;
	uint16_t cipher_suite; /* the ServerHello's, for key_usage_mismatch */
	enum tls_outcome outcome;
	enum tls_incomplete reason;
	const struct cs_chain *chain; /* the server chain, when outcome is TLS_OUT_CHAIN */
	uint8_t starttls;
	bool alert, alert_from_client;
	uint8_t alert_level, alert_desc;
	bool fingerprinted;
	char ja3[CS_JA3_LEN + 1], ja4[CS_JA4_LEN + 1];
	uint32_t input;
	uint64_t frame;
	int64_t chain_ts;             /* when the Certificate message completed */
	int64_t counted_ts;           /* when the handshake was over */
	int64_t start_ts, end_ts;     /* the connection's first packet, the handshake's last */
	struct evidence_buf evidence; /* its packets (--write-broken), until the verdict */
	bool no_entry;                /* an unbelieved chain: in no server entry */
	/* while it waits for its verdict (engine slots) */
	bool held, ready, have_result;
	struct judge_result r;
	uint32_t next; /* free list */
};

#define PARK_NONE UINT32_MAX

struct engine {
	struct flow_table *flows;
	struct cs_bufpool *bp;
	struct cs_chain_store *chains;
	struct agg *agg;
	engine_account_fn on_account; /* periodic reports: the window of each handshake */
	void *account_ctx;
	struct engine_totals t;
	struct ctr_values carried; /* counted elsewhere: a restored state, merged reports */
	struct cs_decode_stats dec;
	struct defrag *defrag;
	struct defrag_stats dfs;
	struct ovpn_stats ovs;
	struct reasm_stats rs;
	struct tls_stats ts;
	struct tls_env env;
	engine_event_fn on_event;
	void *event_ctx;
	struct judge *judge;
	struct notices *notices;
	struct evidence *evidence;
	bool live;
	bool ordered;      /* files: count handshakes in the order they ended */
	struct hs *parked; /* CS_ENGINE_MAX_PARKED slots, allocated on first use */
	uint32_t park_free, nparked;
	uint32_t *order; /* ordered: slots in the order their handshakes ended */
	uint32_t ohead, ocount;
	int64_t ticked_s; /* capture second last told to the judge */
	bool have_at;
	int64_t at;
	const struct cs_cidr *nets;
	size_t nnets;
	const struct ignore_list *ignore;
	const char *sensor;
	int64_t now;
	int64_t prev_ts; /* timestamp of the previous frame */
	uint64_t clock_jumps;
	bool jumped; /* this frame's time jumped: expire nothing */
	struct engine_input inputs[CS_MAX_INPUTS];
	size_t ninputs;
	bool have_time;
	int64_t first_ts, last_ts;
	struct engine_input *restored; /* inputs of earlier runs (state file) */
	char **restored_names;         /* owned copies of their names */
	size_t nrestored;
	bool fingerprint_all; /* every handshake's client fingerprints (events, notices) */
	/* --workers: a worker engine hands its handshakes to the main one */
	struct handoff *out;         /* worker: to the main engine; NULL in it */
	uint32_t main_input;         /* worker: the main engine's input of its frames */
	struct worker_link *workers; /* main: one per worker, owned */
	size_t nworkers;
	uint64_t w_clock_jumps, w_evicted, w_refusals, w_waits; /* main: the workers' */
	struct cs_budget flows_total, bytes_total; /* main: --max-flows, --memcap of all workers */
};

/* flows, buffers and the defragmenter of a packet path (e->chains set) */
bool engine_packet_path_new(struct engine *e, uint32_t max_flows, size_t buffer_memcap);
void engine_note_linktype(struct engine_input *in, int lt);
/* Judge h now, or hold it until its verdict comes; count it (main engine). */
void engine_judge_or_hold(struct engine *e, struct hs *h);
/* A worker's finished handshake, to its main engine (handoff.c). */
void engine_hand_over(struct engine *w, struct hs *h);
void engine_workers_free(struct engine *e);

#endif
