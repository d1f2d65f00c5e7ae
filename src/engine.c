/*
 * engine.c - wires the stages together for every frame (cs_engine.h).
 * Owns the flow table, buffer pool, chain store, aggregate and counters.
 * Per packet: decode, one flow lookup, and -- only while the handshake is
 * in progress -- reassembly and TLS parsing.  Handshakes are counted once,
 * in finish_handshake(), whatever ends them.
 */
#include "cs_engine.h"
#include "cs_addr.h"
#include "cs_flow.h"
#include "cs_judge.h"
#include "cs_limits.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct hs;

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
	struct reasm_stats rs;
	struct tls_stats ts;
	struct tls_env env;
	engine_event_fn on_event;
	void *event_ctx;
	struct judge *judge;
	bool live;
	bool ordered;              /* files: count handshakes in the order they ended */
	struct hs *parked;         /* CS_ENGINE_MAX_PARKED slots, allocated on first use */
	uint32_t park_free, nparked;
	uint32_t *order;           /* ordered: slots in the order their handshakes ended */
	uint32_t ohead, ocount;
	int64_t ticked_s;          /* capture second last told to the judge */
	bool have_at;
	int64_t at;
	const struct cs_cidr *nets;
	size_t nnets;
	const struct ignore_list *ignore;
	const char *sensor;
	int64_t now;
	int64_t prev_ts;   /* timestamp of the previous frame */
	uint64_t clock_jumps;
	bool jumped;       /* this frame's time jumped: expire nothing */
	struct engine_input inputs[CS_MAX_INPUTS];
	size_t ninputs;
	bool have_time;
	int64_t first_ts, last_ts;
	struct engine_input *restored; /* inputs of earlier runs (state file) */
	char **restored_names;         /* owned copies of their names */
	size_t nrestored;
};

static void on_flow_evict(void *ctx, struct flow *f, bool capped);

struct engine *engine_new(const struct engine_config *cfg)
{
	struct engine *e = calloc(1, sizeof(*e));

	if (!e)
		return NULL;
	e->flows = flow_table_new(cfg->max_flows, on_flow_evict, e);
	e->bp = bufpool_new(cfg->buffer_memcap);
	e->chains = chain_store_new(CS_MAX_CHAINS, CS_CHAIN_MEMCAP);
	e->agg = agg_new(CS_MAX_SERVERS);
	if (!e->flows || !e->bp || !e->chains || !e->agg) {
		engine_free(e);
		return NULL;
	}
	e->env = (struct tls_env){e->bp, e->chains, &e->ts};
	e->on_event = cfg->on_event;
	e->event_ctx = cfg->event_ctx;
	e->judge = cfg->judge;
	e->live = cfg->live;
	e->ordered = !cfg->live;
	e->nets = cfg->nets;
	e->nnets = cfg->nnets;
	e->ignore = cfg->ignore;
	e->sensor = cfg->sensor ? cfg->sensor : "chainsniff";
	e->have_at = cfg->have_at;
	e->at = cfg->at;
	return e;
}

void engine_free(struct engine *e)
{
	if (!e)
		return;
	if (e->flows)
		flow_flush(e->flows);
	flow_table_free(e->flows);
	agg_free(e->agg);
	chain_store_free(e->chains);
	bufpool_free(e->bp);
	free(e->parked);
	free(e->order);
	for (size_t i = 0; i < e->nrestored; i++)
		free(e->restored_names[i]);
	free(e->restored_names);
	free(e->restored);
	free(e);
}

struct engine_input *engine_input_begin(struct engine *e, const char *name, bool live)
{
	struct engine_input *in;

	if (e->ninputs == CS_MAX_INPUTS)
		return NULL;
	in = &e->inputs[e->ninputs++];
	memset(in, 0, sizeof(*in));
	in->name = name;
	in->live = live;
	return in;
}

void engine_input_error(struct engine_input *in, enum input_status st, const char *fmt, ...)
{
	va_list ap;

	if (st > in->status)
		in->status = st;
	if (in->nerrors == CS_INPUT_ERRORS)
		return;
	va_start(ap, fmt);
	vsnprintf(in->errors[in->nerrors++], sizeof(in->errors[0]), fmt, ap);
	va_end(ap);
}

static void note_linktype(struct engine_input *in, int lt)
{
	for (unsigned i = 0; i < in->nlinktypes; i++)
		if (in->linktypes[i] == lt)
			return;
	if (in->nlinktypes < CS_INPUT_LINKTYPES)
		in->linktypes[in->nlinktypes++] = lt;
}

/* ---- handshake accounting ------------------------------------------------- */

static enum tls_incomplete incomplete_reason(const struct flow *f, bool evicted)
{
	const struct tls_conn *c = f->tls;
	int s = c->server;

	if (evicted)
		return TLS_INC_EVICTED;
	if (c->too_long || f->dir[0].limited || f->dir[1].limited)
		return TLS_INC_TOO_LONG;
	if (f->snaplen[0] || f->snaplen[1])
		return TLS_INC_SNAPLEN;
	for (int d = 0; d < 2; d++)
		if ((s < 0 || s == d) && (f->dir[d].gap || reasm_has_hole(&f->dir[d])))
			return TLS_INC_GAP;
	if (c->malformed)
		return TLS_INC_MALFORMED;
	if (!c->server_hello && !c->chain && c->client_hello &&
	    !(s >= 0 && f->payload_seen[s]))
		return TLS_INC_NO_SERVER_HELLO;
	return TLS_INC_CAPTURE_ENDED;
}

static void release_flow_buffers(struct engine *e, struct flow *f)
{
	reasm_release(&f->dir[0], e->bp);
	reasm_release(&f->dir[1], e->bp);
	if (f->tls) {
		tls_conn_release(f->tls, e->bp);
		flow_tls_put(e->flows, f->tls);
		f->tls = NULL;
	}
}

/*
 * A finished handshake, copied out of its flow, so that it can wait for the
 * verdict on its chain (judge.c) after the flow is gone.
 */
struct hs {
	bool have_server;              /* the server side is known */
	struct cs_addr server_ip, client_ip;
	uint16_t server_port, client_port;
	bool sni_sent;
	enum agg_sni sni_status;
	uint8_t sni_len;
	char sni[CS_MAX_SNI + 1];
	uint16_t version;
	enum tls_outcome outcome;
	enum tls_incomplete reason;
	const struct cs_chain *chain;  /* the server chain, when outcome is TLS_OUT_CHAIN */
	uint8_t starttls;
	bool alert, alert_from_client;
	uint8_t alert_level, alert_desc;
	bool fingerprinted;
	char ja3[33], ja4[37];
	uint32_t input;
	uint64_t frame;
	int64_t chain_ts;              /* when the Certificate message completed */
	int64_t counted_ts;            /* when the handshake was over */
	/* while it waits for its verdict (engine slots) */
	bool held, ready, have_result;
	struct judge_result r;
	uint32_t next;                 /* free list */
};

#define PARK_NONE UINT32_MAX

/* The timestamp of a handshake in the reports (agg_handshake.ts): when its
 * Certificate message completed, else when the handshake was over. */
static int64_t hs_ts(const struct hs *h)
{
	return h->chain ? h->chain_ts : h->counted_ts;
}

/* RFC 5246 7.2.2: the alerts a client sends when it refuses a certificate. */
static bool certificate_alert(uint8_t desc)
{
	return (desc >= 42 && desc <= 46) || desc == 48;
}

static bool server_wanted(const struct engine *e, const struct cs_addr *ip)
{
	if (!e->nnets)
		return true;
	for (size_t i = 0; i < e->nnets; i++)
		if (cidr_contains(&e->nets[i], ip))
			return true;
	return false;
}

static void emit_event(struct engine *e, const struct hs *h, bool broken, uint32_t problems)
{
	struct engine_event ev = {
		.ts = h->counted_ts,
		.client_ip = h->have_server ? &h->client_ip : NULL,
		.server_ip = h->have_server ? &h->server_ip : NULL,
		.client_port = h->client_port,
		.server_port = h->server_port,
		.sni = h->sni_sent ? h->sni : NULL,
		.sni_len = h->sni_len,
		.version = h->version,
		.outcome = h->outcome,
		.reason = h->reason,
		.chain = h->chain,
		.starttls = h->starttls,
		.alert = h->alert,
		.alert_from_client = h->alert_from_client,
		.alert_level = h->alert_level,
		.alert_desc = h->alert_desc,
		.input = engine_input(e, h->input),
		.broken = broken,
		.problems = problems,
	};

	if (e->on_event)
		e->on_event(e->event_ctx, &ev);
}

/* Count a judged (or unjudgeable) handshake: aggregate, window, event. */
static void account(struct engine *e, const struct hs *h, const struct judge_result *r)
{
	struct agg_handshake a = {
		.server_ip = &h->server_ip,
		.server_port = h->server_port,
		.sni = h->sni_sent ? h->sni : NULL,
		.sni_len = h->sni_len,
		.sni_status = h->sni_status,
		.version = h->version,
		.chain = h->chain,
		.client_ip = &h->client_ip,
		.rejected = h->chain && h->alert && h->alert_from_client && h->alert_level == 2 &&
			    certificate_alert(h->alert_desc),
		.alert = h->alert_desc,
		.ja3 = h->fingerprinted ? h->ja3 : NULL,
		.ja4 = h->fingerprinted ? h->ja4 : NULL,
		.input = h->input,
		.frame = h->frame,
		.ts = hs_ts(h),
	};

	if (r) {
		a.verdict = r->v;
		a.unjudged = r->v->status == DIAG_UNKNOWN;
		a.hostname_mismatch = !r->hostname_ok;
		a.broken = r->broken;
		a.problems = r->mask;
	}
	if (!h->have_server || !server_wanted(e, a.server_ip)) {
		emit_event(e, h, false, 0); /* --server-net: in no count of the report */
		return;
	}
	if (e->ignore)
		ignore_apply(e->ignore, &a);
	e->t.broken_handshakes += a.broken;
	e->t.unjudged_handshakes += a.unjudged;
	e->t.client_rejections += a.rejected;
	if (agg_add(e->agg, &a) != CS_OK)
		e->t.servers_cap++;
	if (e->on_account)
		e->on_account(e->account_ctx, &a);
	emit_event(e, h, a.broken, a.problems);
}

/* ---- handshakes waiting for their verdict ------------------------------------ */

/*
 * A handshake whose verdict is not cached waits in a slot (its token for the
 * judge) until the answer comes.  From a file, handshakes are counted in
 * the order they ended (a slot also holds a ready one behind a waiting one),
 * so that a run's report and events do not depend on the analysis thread's
 * timing; live, each is counted as soon as its verdict is known.
 */
static bool slots_ready(struct engine *e)
{
	if (e->parked)
		return true;
	e->parked = calloc(CS_ENGINE_MAX_PARKED, sizeof(*e->parked));
	e->order = calloc(CS_ENGINE_MAX_PARKED, sizeof(*e->order));
	if (!e->parked || !e->order) {
		free(e->parked), free(e->order);
		e->parked = NULL, e->order = NULL;
		return false;
	}
	for (uint32_t i = 0; i < CS_ENGINE_MAX_PARKED; i++)
		e->parked[i].next = i + 1 < CS_ENGINE_MAX_PARKED ? i + 1 : PARK_NONE;
	e->park_free = 0;
	return true;
}

static void slot_free(struct engine *e, uint32_t i)
{
	e->parked[i].held = false;
	e->parked[i].next = e->park_free;
	e->park_free = i;
	e->nparked--;
}

/* Count the handshakes at the head of the order that have their verdict. */
static void flush_order(struct engine *e)
{
	while (e->ocount && e->parked[e->order[e->ohead]].ready) {
		uint32_t i = e->order[e->ohead];

		e->ohead = (e->ohead + 1) % CS_ENGINE_MAX_PARKED;
		e->ocount--;
		account(e, &e->parked[i], e->parked[i].have_result ? &e->parked[i].r : NULL);
		slot_free(e, i);
	}
}

static void on_answer(void *ctx, uint32_t token, const struct judge_result *r)
{
	struct engine *e = ctx;
	struct hs *h = &e->parked[token];

	h->r = *r;
	h->have_result = true;
	h->ready = true;
	if (e->ordered) {
		flush_order(e);
	} else {
		account(e, h, r);
		slot_free(e, token);
	}
}

void engine_poll(struct engine *e)
{
	if (e->judge && e->nparked)
		judge_poll(e->judge, on_answer, e);
}

/* A free slot; a file waits for one (answers free them), live does not. */
static uint32_t slot_get(struct engine *e)
{
	if (!slots_ready(e))
		return PARK_NONE;
	while (e->park_free == PARK_NONE && !e->live)
		judge_wait(e->judge, on_answer, e);
	return e->park_free;
}

/* Hold h in slot i (from slot_get); ready: with its verdict (r or none). */
static void slot_hold(struct engine *e, uint32_t i, const struct hs *h, bool ready,
		      const struct judge_result *r)
{
	e->park_free = e->parked[i].next;
	e->nparked++;
	e->parked[i] = *h;
	e->parked[i].held = true;
	e->parked[i].ready = ready;
	e->parked[i].have_result = r != NULL;
	if (r)
		e->parked[i].r = *r;
	if (e->ordered) {
		e->order[(e->ohead + e->ocount) % CS_ENGINE_MAX_PARKED] = i;
		e->ocount++;
	}
}

static enum judge_ask ask(struct engine *e, const struct hs *h, uint32_t token,
			  struct judge_result *r)
{
	char source[CS_ENDPOINT_STRLEN];
	int64_t when = e->have_at ? e->at : h->chain_ts / CS_NS_PER_SEC;

	cs_endpoint_str(&h->server_ip, h->server_port, source, sizeof(source));
	return judge_lookup(e->judge, h->chain, when, h->sni_sent ? h->sni : NULL, h->sni_len,
			    source, e->now / CS_NS_PER_SEC, token, r);
}

/* Judge h now, or hold it until its verdict comes; count it in order. */
static void judge_or_hold(struct engine *e, const struct hs *h)
{
	struct judge_result r, *rp = NULL;
	uint32_t i = PARK_NONE;

	if (e->judge && h->chain && h->have_server) {
		enum judge_ask a = JUDGE_FULL;

		if ((i = slot_get(e)) != PARK_NONE) {
			while ((a = ask(e, h, i, &r)) == JUDGE_FULL && !e->live)
				judge_wait(e->judge, on_answer, e); /* a file waits for room */
			if (a == JUDGE_WAIT) {
				slot_hold(e, i, h, false, NULL);
				return;
			}
		}
		if (a != JUDGE_READY) { /* live, and no room to wait */
			e->t.parked_cap++;
			r = (struct judge_result){judge_unknown(DIAG_UNK_PENDING), true, false, 0};
		}
		rp = &r;
	}
	if (e->ordered && e->ocount) { /* behind handshakes still waiting */
		if ((i = slot_get(e)) != PARK_NONE) {
			slot_hold(e, i, h, true, rp);
			return;
		}
	}
	account(e, h, rp);
}

static void finish_handshake(struct engine *e, struct flow *f, bool evicted)
{
	struct tls_conn *c = f->tls;
	struct hs h;
	int s;

	if (f->counted || !c || !tls_seen(c)) {
		if (!f->counted && c && tls_unattributed(c))
			e->t.chains_unattributed++;
		f->counted = true;
		release_flow_buffers(e, f);
		return;
	}
	f->counted = true;
	s = c->server;
	e->t.tls_handshakes++;
	e->t.client_certificates += c->client_certs;
	/* bytes before the first record of a capture that began mid-stream are
	 * not a STARTTLS negotiation */
	if (!(c->starttls == TLS_STARTTLS_OTHER && !f->syn[0] && !f->syn[1]))
		e->t.starttls[c->starttls < TLS_STARTTLS_MAX ? c->starttls : 0]++;
	if (tls_unattributed(c))
		e->t.chains_unattributed++;
	memset(&h, 0, sizeof(h));
	h.outcome = tls_outcome(c);
	h.reason = TLS_INC_MAX;
	switch (h.outcome) {
	case TLS_OUT_CHAIN:
		e->t.with_chain++;
		h.chain = tls_server_chain(c);
		break;
	case TLS_OUT_TLS13:
		e->t.tls13++;
		break;
	case TLS_OUT_RESUMED:
		e->t.resumed++;
		break;
	case TLS_OUT_NO_CERT:
		e->t.no_certificate++;
		break;
	case TLS_OUT_INCOMPLETE:
		e->t.incomplete++;
		h.reason = incomplete_reason(f, evicted);
		e->t.incomplete_reason[h.reason]++;
		break;
	}
	h.have_server = s >= 0;
	if (h.have_server) {
		h.server_ip = f->addr[s];
		h.client_ip = f->addr[!s];
		h.server_port = f->port[s];
		h.client_port = f->port[!s];
	}
	h.sni_sent = c->sni_sent;
	h.sni_status = c->sni_sent ? AGG_SNI_SENT : c->client_hello ? AGG_SNI_NOT_SENT
			: AGG_SNI_NOT_CAPTURED;
	h.sni_len = c->sni_len;
	memcpy(h.sni, c->sni, c->sni_len);
	h.version = c->version;
	h.starttls = c->starttls;
	h.alert = c->alert_seen;
	h.alert_from_client = s >= 0 && c->alert_dir != s;
	h.alert_level = c->alert_level;
	h.alert_desc = c->alert_desc;
	h.fingerprinted = c->fingerprinted;
	memcpy(h.ja3, c->ja3, sizeof(h.ja3));
	memcpy(h.ja4, c->ja4, sizeof(h.ja4));
	h.input = f->input;
	h.frame = f->chain_frame;
	h.chain_ts = f->chain_ts;
	h.counted_ts = e->now;
	release_flow_buffers(e, f);
	judge_or_hold(e, &h);
}

static void on_flow_evict(void *ctx, struct flow *f, bool capped)
{
	finish_handshake(ctx, f, capped);
}

/* ---- per packet ------------------------------------------------------------- */

/* A SYN on a finished or reused 5-tuple starts a new connection. */
static struct flow *restart_if_new_connection(struct engine *e, struct flow *f, int dir,
					      const struct cs_pkt *p)
{
	bool syn_only = (p->flags & (CS_TCP_SYN | CS_TCP_ACK)) == CS_TCP_SYN;

	if (!syn_only || !(f->closed || (f->syn[dir] && f->isn[dir] != p->seq)))
		return f;
	finish_handshake(e, f, false);
	f->bypass = f->closed = f->counted = false;
	memset(f->syn, 0, sizeof(f->syn));
	memset(f->fin, 0, sizeof(f->fin));
	memset(f->snaplen, 0, sizeof(f->snaplen));
	memset(f->payload_seen, 0, sizeof(f->payload_seen));
	f->synack_dir = -1;
	reasm_init(&f->dir[0]);
	reasm_init(&f->dir[1]);
	e->t.tcp_flows++;
	return f;
}

static void track_tcp_flags(struct flow *f, int dir, const struct cs_pkt *p)
{
	if (p->flags & CS_TCP_SYN) {
		if (!f->syn[dir]) {
			f->syn[dir] = true;
			f->isn[dir] = p->seq;
			reasm_set_base(&f->dir[dir], p->seq + 1);
		}
		if ((p->flags & CS_TCP_ACK) && f->synack_dir < 0) {
			f->synack_dir = (int8_t)dir;
			if (f->tls)
				tls_set_server(f->tls, dir);
		}
	}
	if (p->flags & CS_TCP_FIN && !f->fin[dir]) {
		f->fin[dir] = true;
		f->dir[dir].fin = true;
		f->dir[dir].fin_seq = p->seq + p->payload_len;
	}
}

static bool start_tls(struct engine *e, struct flow *f)
{
	if (f->tls)
		return true;
	f->tls = flow_tls_get(e->flows);
	if (!f->tls) {
		e->t.tls_no_slot++;
		return false;
	}
	tls_conn_init(f->tls);
	if (f->synack_dir >= 0)
		tls_set_server(f->tls, f->synack_dir);
	return true;
}

static void feed_tls(struct engine *e, struct flow *f, int dir,
		     const struct engine_input *in, const struct cs_frame *fr)
{
	struct reasm_dir *r = &f->dir[dir];
	bool was_hunting = !f->tls->d[dir].saw_record;

	for (;;) {
		struct cs_slice s = reasm_contiguous(r);
		size_t used;

		if (s.n == 0)
			break;
		used = tls_feed(f->tls, &e->env, dir, s);
		if (f->tls->chain_new) {
			f->input = (uint32_t)(in - e->inputs);
			f->chain_frame = in->live ? 0 : fr->number;
			f->chain_ts = fr->ts_ns;
		}
		if (used == 0)
			break;
		reasm_consume(r, used);
		if (f->tls->done)
			break;
	}
	if (was_hunting && f->tls->d[dir].saw_record && !f->syn[dir])
		e->ts.midstream_resync++;
}

static void handle_segment(struct engine *e, struct flow *f, int dir, const struct cs_pkt *p,
			   const struct engine_input *in, const struct cs_frame *fr)
{
	if (p->payload.n > 0 && start_tls(e, f)) {
		if (p->payload.n < p->payload_len)
			f->snaplen[dir] = true;
		f->payload_seen[dir] = true;
		reasm_push(&f->dir[dir], e->bp, p->seq, p->payload, &e->rs);
		feed_tls(e, f, dir, in, fr);
	}
	if ((p->flags & CS_TCP_ACK) && reasm_ack(&f->dir[!dir], p->ack))
		reasm_release(&f->dir[!dir], e->bp); /* a gap: nothing more to deliver */
	if (f->tls && f->tls->done) {
		finish_handshake(e, f, false);
		f->bypass = true;
	}
}

/*
 * Flows expire by capture time, but a capture's clock can jump (a bogus
 * timestamp, the next of several files): a frame more than CS_CLOCK_JUMP_S
 * away from the previous one expires nothing, or one bad timestamp would
 * end every connection in the table.
 */
static void clock_step(struct engine *e, int64_t ts)
{
	int64_t d = ts - e->prev_ts;

	e->jumped = e->have_time && (d > (int64_t)CS_CLOCK_JUMP_S * CS_NS_PER_SEC ||
				     d < -(int64_t)CS_CLOCK_JUMP_S * CS_NS_PER_SEC);
	e->clock_jumps += e->jumped;
	e->prev_ts = ts;
}

void engine_frame(struct engine *e, struct engine_input *in, const struct cs_frame *fr)
{
	struct cs_pkt p;
	struct flow *f;
	bool created;
	int dir;

	in->packets++;
	in->bytes += fr->wirelen;
	e->t.packets++;
	e->t.bytes += fr->wirelen;
	note_linktype(in, fr->linktype);
	if (!e->have_time || fr->ts_ns < e->first_ts)
		e->first_ts = fr->ts_ns;
	if (!e->have_time || fr->ts_ns > e->last_ts)
		e->last_ts = fr->ts_ns;
	clock_step(e, fr->ts_ns);
	e->have_time = true;
	e->now = fr->ts_ns;
	if (e->judge && fr->ts_ns / CS_NS_PER_SEC != e->ticked_s) {
		e->ticked_s = fr->ts_ns / CS_NS_PER_SEC;
		judge_tick(e->judge, e->ticked_s);
	}
	engine_poll(e);
	if (decode_packet(fr->linktype, fr->data, fr->caplen, &p, &e->dec) != CS_OK)
		return;
	e->t.tcp_packets++;
	if (!e->jumped)
		flow_expire(e->flows, fr->ts_ns, 4);
	f = flow_lookup(e->flows, &p.src, p.sport, &p.dst, p.dport, fr->ts_ns, &dir, &created);
	if (!f) {
		e->t.flows_no_slot++;
		return;
	}
	if (created)
		e->t.tcp_flows++;
	if (created)
		f->input = (uint32_t)(in - e->inputs);
	f = restart_if_new_connection(e, f, dir, &p);
	if (fr->ts_ns > f->last_ts)
		f->last_ts = fr->ts_ns;
	track_tcp_flags(f, dir, &p);
	if (!f->bypass && !f->closed)
		handle_segment(e, f, dir, &p, in, fr);
	if ((p.flags & CS_TCP_RST) || (f->fin[0] && f->fin[1])) {
		finish_handshake(e, f, false);
		f->closed = true;
	}
	flow_touch(e->flows, f, f->tls && !f->bypass && !f->closed ? FLOW_ACTIVE : FLOW_QUIET);
}

void engine_finish(struct engine *e)
{
	flow_flush(e->flows);
	engine_settle(e);
}

void engine_settle(struct engine *e)
{
	if (e->judge)
		judge_drain(e->judge, on_answer, e);
}

const struct engine_totals *engine_totals(const struct engine *e) { return &e->t; }
const struct cs_decode_stats *engine_decode_stats(const struct engine *e) { return &e->dec; }
const struct reasm_stats *engine_reasm_stats(const struct engine *e) { return &e->rs; }
const struct tls_stats *engine_tls_stats(const struct engine *e) { return &e->ts; }
uint64_t engine_flows_evicted(const struct engine *e) { return flow_table_evicted(e->flows); }
uint64_t engine_clock_jumps(const struct engine *e) { return e->clock_jumps; }
uint64_t engine_buffer_refusals(const struct engine *e) { return bufpool_refusals(e->bp); }
size_t engine_ninputs(const struct engine *e) { return e->ninputs; }
const struct engine_input *engine_input(const struct engine *e, size_t i)
{
	static const struct engine_input unnamed; /* a restored input without a name */

	if (i < CS_MAX_INPUTS)
		return &e->inputs[i];
	return i - CS_MAX_INPUTS < e->nrestored ? &e->restored[i - CS_MAX_INPUTS] : &unnamed;
}
struct agg *engine_agg(struct engine *e) { return e->agg; }
struct cs_chain_store *engine_chains(struct engine *e) { return e->chains; }
struct judge *engine_judge(struct engine *e) { return e->judge; }
uint32_t engine_parked(const struct engine *e) { return e->nparked; }
struct ctr_values *engine_carried(struct engine *e) { return &e->carried; }
const struct ignore_list *engine_ignore(const struct engine *e) { return e->ignore; }
const char *engine_sensor(const struct engine *e) { return e->sensor; }
int64_t engine_now(const struct engine *e) { return e->now; }

void engine_on_account(struct engine *e, engine_account_fn fn, void *ctx)
{
	e->on_account = fn;
	e->account_ctx = ctx;
}

bool engine_waiting_before(const struct engine *e, int64_t ts)
{
	for (uint32_t i = 0; e->nparked && i < CS_ENGINE_MAX_PARKED; i++)
		if (e->parked[i].held && hs_ts(&e->parked[i]) < ts)
			return true;
	return false;
}

bool engine_at(const struct engine *e, int64_t *at)
{
	*at = e->at;
	return e->have_at;
}

bool engine_time_range(const struct engine *e, int64_t *first, int64_t *last)
{
	*first = e->first_ts;
	*last = e->last_ts;
	return e->have_time;
}

/* ---- restoring a saved state (state.c) -------------------------------------- */

void engine_restore_time(struct engine *e, int64_t first, int64_t last)
{
	if (!e->have_time || first < e->first_ts)
		e->first_ts = first;
	if (!e->have_time || last > e->last_ts)
		e->last_ts = last;
	if (!e->have_time)
		e->prev_ts = e->now = last; /* the next frame's clock step is from here */
	e->have_time = true;
}

uint32_t engine_restore_input(struct engine *e, const char *name, bool live)
{
	size_t i;

	if (!name)
		return UINT32_MAX;
	for (i = 0; i < e->nrestored; i++)
		if (e->restored[i].live == live && !strcmp(e->restored_names[i], name))
			return (uint32_t)(CS_MAX_INPUTS + i);
	if (!e->restored) {
		e->restored = calloc(CS_MAX_INPUTS, sizeof(*e->restored));
		e->restored_names = calloc(CS_MAX_INPUTS, sizeof(*e->restored_names));
		if (!e->restored || !e->restored_names) {
			free(e->restored), free(e->restored_names);
			e->restored = NULL, e->restored_names = NULL;
			return UINT32_MAX;
		}
	}
	if (e->nrestored == CS_MAX_INPUTS || !(e->restored_names[i] = strdup(name)))
		return UINT32_MAX;
	e->restored[i].name = e->restored_names[i];
	e->restored[i].live = live;
	e->nrestored++;
	return (uint32_t)(CS_MAX_INPUTS + i);
}
