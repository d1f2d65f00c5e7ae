/*
 * engine.c - wires the stages together for every frame (cs_engine.h).
 * Owns the flow table, buffer pool, chain store, aggregate and counters.
 * Per packet: decode, one flow lookup, and -- only while the handshake is
 * in progress -- reassembly and TLS parsing.  Handshakes are counted once,
 * in finish_handshake(), whatever ends them.
 */
#include "engine_int.h"
#include "cs_defrag.h"
#include "cs_addr.h"
#include "cs_flow.h"
#include "cs_judge.h"
#include "cs_limits.h"
#include "cs_notices.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void on_flow_evict(void *ctx, struct flow *f, bool capped);

/* The packet path's own state: flows, buffers, fragments. */
bool engine_packet_path_new(struct engine *e, uint32_t max_flows, size_t buffer_memcap)
{
	e->flows = flow_table_new(max_flows, on_flow_evict, e);
	e->bp = bufpool_new(buffer_memcap);
	e->defrag = defrag_new(CS_DEFRAG_MAX_DATAGRAMS, CS_DEFRAG_MEMCAP);
	e->env = (struct tls_env){e->bp, e->chains, &e->ts};
	return e->flows && e->bp && e->defrag;
}

struct engine *engine_new(const struct engine_config *cfg)
{
	struct engine *e = calloc(1, sizeof(*e));

	if (!e)
		return NULL;
	e->chains = chain_store_new(CS_MAX_CHAINS, CS_CHAIN_MEMCAP);
	e->agg = agg_new(CS_MAX_SERVERS);
	if (!e->chains || !e->agg ||
	    !engine_packet_path_new(e, cfg->max_flows, cfg->buffer_memcap)) {
		engine_free(e);
		return NULL;
	}
	e->on_event = cfg->on_event;
	e->event_ctx = cfg->event_ctx;
	e->judge = cfg->judge;
	e->notices = cfg->notices;
	e->evidence = cfg->evidence;
	e->live = cfg->live;
	e->ordered = !cfg->live;
	e->nets = cfg->nets;
	e->nnets = cfg->nnets;
	e->ignore = cfg->ignore;
	e->sensor = cfg->sensor ? cfg->sensor : "chainsniff";
	e->have_at = cfg->have_at;
	e->at = cfg->at;
	e->fingerprint_all = cfg->on_event || cfg->notices;
	return e;
}

void engine_free(struct engine *e)
{
	if (!e)
		return;
	engine_workers_free(e);
	if (e->flows)
		flow_flush(e->flows);
	flow_table_free(e->flows);
	defrag_free(e->defrag);
	agg_free(e->agg);
	if (!e->out) /* a worker's chains are the main engine's */
		chain_store_free(e->chains);
	free(e->out);
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

void engine_note_linktype(struct engine_input *in, int lt)
{
	for (unsigned i = 0; i < in->nlinktypes; i++)
		if (in->linktypes[i] == lt)
			return;
	if (in->nlinktypes < CS_INPUT_LINKTYPES)
		in->linktypes[in->nlinktypes++] = lt;
}

/* ---- handshake accounting ------------------------------------------------- */

/* Who ended the connection first (RST, else FIN): 1 server, 0 client, -1 nobody. */
static int ended_by_server(int8_t first, int s) { return first < 0 || s < 0 ? -1 : first == s; }

/* Why a handshake is incomplete, most specific first: a cap or a loss in
 * the capture, bytes that do not parse, then what the endpoints did. */
static enum tls_incomplete incomplete_reason(const struct flow *f, bool evicted)
{
	const struct tls_conn *c = f->tls;
	int s = c->server, by;

	if (evicted && f->first_rst < 0)
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
	if (c->alert_seen && c->alert_level == 2 && s >= 0)
		return c->alert_dir == s ? TLS_INC_SERVER_ALERT : TLS_INC_CLIENT_ALERT;
	if ((by = ended_by_server(f->first_rst, s)) >= 0)
		return by ? TLS_INC_SERVER_RESET : TLS_INC_CLIENT_RESET;
	if (!c->server_hello && !c->chain && c->client_hello && !(s >= 0 && f->payload_seen[s]))
		return TLS_INC_NO_SERVER_HELLO;
	if ((by = ended_by_server(f->first_fin, s)) >= 0)
		return by ? TLS_INC_SERVER_CLOSED : TLS_INC_CLIENT_CLOSED;
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

/* The timestamp of a handshake in the reports and the events
 * (agg_handshake.ts, engine_event.ts): when its Certificate message
 * completed, else the handshake's last packet. */
static int64_t hs_ts(const struct hs *h) { return h->chain ? h->chain_ts : h->end_ts; }

static bool server_wanted(const struct engine *e, const struct cs_addr *ip)
{
	if (!e->nnets)
		return true;
	for (size_t i = 0; i < e->nnets; i++)
		if (cidr_contains(&e->nets[i], ip))
			return true;
	return false;
}

static void emit_event(struct engine *e, const struct hs *h, const struct judge_result *r,
		       bool reported, const struct agg_handshake *a)
{
	struct engine_event ev = {
		.ts = hs_ts(h),
		.start_ts = h->start_ts,
		.sensor = e->sensor,
		.client_ip = h->have_server ? &h->client_ip : NULL,
		.server_ip = h->have_server ? &h->server_ip : NULL,
		.client_port = h->have_server ? h->client_port : 0,
		.server_port = h->have_server ? h->server_port : 0,
		.ends = {&h->client_ip, &h->server_ip},
		.end_ports = {h->client_port, h->server_port},
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
		.ja3 = h->fingerprinted ? h->ja3 : NULL,
		.ja4 = h->fingerprinted ? h->ja4 : NULL,
		.input = engine_input(e, h->input),
		.verdict = r ? r->v : NULL,
		.reported = reported,
		.broken = a->broken,
		.ok_at_capture_time = a->ok_then,
		.problems = a->problems,
	};

	if (e->on_event)
		e->on_event(e->event_ctx, &ev);
	if (e->notices)
		notices_handshake(e->notices, &ev);
}

/* --write-broken: a broken handshake's packets are evidence; others are
 * given back. */
static void settle_evidence(struct engine *e, struct hs *h, bool broken)
{
	if (!e->evidence)
		return;
	if (broken)
		evidence_write(e->evidence, &h->evidence);
	else
		evidence_release(e->evidence, &h->evidence);
}

/* Broken, but only by its verdict's store-dependent errors, which the
 * store of the capture's day did not have (ok_at_capture_time): a
 * hostname mismatch (per handshake, left after --ignore) was an error on
 * that day too. */
static bool ok_then(const struct agg_handshake *a)
{
	return a->broken && a->verdict && a->verdict->ok_at_capture_time &&
	       !(a->problems & (1u << CS_P_HOSTNAME_MISMATCH));
}

/* Count a judged (or unjudgeable) handshake: aggregate, window, event. */
static void account(struct engine *e, struct hs *h, const struct judge_result *r)
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
		/* any fatal alert of the client after the server's Certificate
		 * (tls.c keeps it only before the client's ChangeCipherSpec) */
		.rejected = h->chain && h->alert && h->alert_from_client && h->alert_level == 2,
		.alert = h->alert_desc,
		.ja3 = h->fingerprinted ? h->ja3 : NULL,
		.ja4 = h->fingerprinted ? h->ja4 : NULL,
		.input = h->input,
		.frame = h->frame,
		.ts = hs_ts(h),
	};

	if (r) {
		struct diag_problem ku;

		a.verdict = r->v;
		a.unjudged = r->v->status == DIAG_UNKNOWN;
		a.hostname_mismatch = !r->hostname_ok;
		a.broken = r->broken;
		a.problems = r->mask;
		if (diag_key_usage_problem(r->v, h->cipher_suite, &ku)) { /* per handshake */
			a.key_usage_suite = h->cipher_suite;
			a.problems |= 1u << CS_P_KEY_USAGE_MISMATCH;
		}
	}
	if (!h->have_server || h->no_entry || !server_wanted(e, a.server_ip)) {
		a.ok_then = ok_then(&a);
		emit_event(e, h, r, false, &a); /* --server-net: in no count */
		settle_evidence(e, h, false);
		return;
	}
	if (e->ignore)
		ignore_apply(e->ignore, &a);
	a.ok_then = ok_then(&a);
	e->t.broken_handshakes += a.broken;
	e->t.ok_at_capture_time += a.ok_then;
	e->t.store_fallback += a.verdict && a.verdict->store == DIAG_STORE_TODAY_FALLBACK;
	e->t.unjudged_handshakes += a.unjudged;
	e->t.client_rejections += a.rejected;
	if (agg_add(e->agg, &a) != CS_OK)
		e->t.servers_cap++;
	if (e->on_account)
		e->on_account(e->account_ctx, &a);
	emit_event(e, h, r, true, &a);
	settle_evidence(e, h, a.broken);
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
	int64_t captured = h->chain_ts / CS_NS_PER_SEC;
	int64_t when = e->have_at ? e->at : captured;

	return judge_lookup(e->judge, h->chain, when, captured, h->sni_sent ? h->sni : NULL,
			    h->sni_len, &h->server_ip, h->server_port, e->now / CS_NS_PER_SEC,
			    token, r);
}

/* Judge h now, or hold it until its verdict comes; count it in order. */
void engine_judge_or_hold(struct engine *e, struct hs *h)
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

/*
 * A chain found by hunting (the capture began mid-stream, or TLS began
 * after a gap or after plaintext nothing recognised), or one without a
 * ServerHello, is believed only when every certificate parses: framing
 * chainsniff does not know can glue pieces of several packets into what
 * looks like a Certificate message, and a false alarm is worse than
 * silence.  A flight seen from the start of the stream with its ServerHello
 * keeps its malformed certificates (real servers send those).
 */
static bool chain_believed(const struct flow *f, const struct cs_chain *chain)
{
	const struct tls_conn *c = f->tls;
	int s = c->server;
	bool hunted = !f->syn[s] || (c->d[s].skipped > 0 && (c->starttls == TLS_STARTTLS_NONE ||
							     c->starttls == TLS_STARTTLS_OTHER));

	if (c->server_hello && !hunted)
		return true;
	for (size_t i = 0; i < chain->n_certs; i++) /* parsed once, kept (chain.c) */
		if (!cert_facts(chain->certs[i])->parsed)
			return false;
	return true;
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
		if (e->evidence) /* no TLS handshake: nothing to judge */
			evidence_release(e->evidence, &f->evidence);
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
	if (h.outcome == TLS_OUT_CHAIN && !chain_believed(f, tls_server_chain(c))) {
		e->t.chains_unparsed++; /* no server entry: nobody is ranked on it */
		h.no_entry = true;
		h.outcome = TLS_OUT_INCOMPLETE;
	}
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
		h.reason = h.no_entry ? TLS_INC_MALFORMED : incomplete_reason(f, evicted);
		e->t.incomplete_reason[h.reason]++;
		break;
	}
	h.have_server = s >= 0;
	/* sides unknown: the endpoints still name the connection (community_id) */
	h.server_ip = f->addr[s >= 0 ? s : 1];
	h.client_ip = f->addr[s >= 0 ? !s : 0];
	h.server_port = f->port[s >= 0 ? s : 1];
	h.client_port = f->port[s >= 0 ? !s : 0];
	h.sni_sent = c->sni_sent;
	h.sni_status = c->sni_sent       ? AGG_SNI_SENT
		       : c->client_hello ? AGG_SNI_NOT_SENT
					 : AGG_SNI_NOT_CAPTURED;
	h.sni_len = c->sni_len;
	memcpy(h.sni, c->sni, c->sni_len);
	h.version = c->version;
	h.cipher_suite = c->cipher_suite;
	h.starttls = c->starttls;
	h.alert = c->alert_seen;
	h.alert_from_client = s >= 0 && c->alert_dir != s;
	h.alert_level = c->alert_level;
	h.alert_desc = c->alert_desc;
	/* fingerprints for the events, and for clients that sent a fatal
	 * alert (a rejection is counted with them) */
	if (e->fingerprint_all || (c->alert_seen && h.alert_from_client && c->alert_level == 2))
		tls_fingerprint(c, e->bp);
	h.fingerprinted = c->fingerprinted;
	memcpy(h.ja3, c->ja3, sizeof(h.ja3));
	memcpy(h.ja4, c->ja4, sizeof(h.ja4));
	h.input = f->input;
	h.frame = f->chain_frame;
	h.chain_ts = f->chain_ts;
	h.counted_ts = e->now;
	h.start_ts = f->first_ts;
	h.end_ts = f->last_ts;
	h.evidence = f->evidence; /* moves with the handshake */
	memset(&f->evidence, 0, sizeof(f->evidence));
	release_flow_buffers(e, f);
	if (e->out)
		engine_hand_over(e, &h);
	else
		engine_judge_or_hold(e, &h);
}

static void on_flow_evict(void *ctx, struct flow *f, bool capped)
{
	finish_handshake(ctx, f, capped);
}

/* ---- per packet ------------------------------------------------------------- */

/* A SYN on a finished or reused 5-tuple starts a new connection. */
static struct flow *restart_if_new_connection(struct engine *e, struct flow *f, int dir,
					      const struct cs_pkt *p, int64_t ts)
{
	bool syn_only = (p->flags & (CS_TCP_SYN | CS_TCP_ACK)) == CS_TCP_SYN;

	if (!syn_only || !(f->closed || (f->syn[dir] && f->isn[dir] != p->seq)))
		return f;
	finish_handshake(e, f, false);
	f->bypass = f->closed = f->counted = false;
	f->first_ts = f->last_ts = ts;
	memset(f->syn, 0, sizeof(f->syn));
	memset(f->fin, 0, sizeof(f->fin));
	memset(f->rst, 0, sizeof(f->rst));
	f->first_fin = f->first_rst = -1;
	memset(f->snaplen, 0, sizeof(f->snaplen));
	memset(f->payload_seen, 0, sizeof(f->payload_seen));
	f->synack_dir = -1;
	reasm_init(&f->dir[0]);
	reasm_init(&f->dir[1]);
	e->t.tcp_flows++;
	return f;
}

static void track_tcp_flags(struct engine *e, struct flow *f, int dir, const struct cs_pkt *p)
{
	if (p->flags & CS_TCP_SYN) {
		if (!f->syn[dir]) {
			f->syn[dir] = true;
			f->isn[dir] = p->seq;
			reasm_set_base(&f->dir[dir], p->seq + 1);
		} else if (p->seq != f->isn[dir]) { /* a SYN-ACK with another ISN */
			reasm_alt_base(&f->dir[dir], p->seq + 1);
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
		if (f->first_fin < 0)
			f->first_fin = (int8_t)dir;
	}
	if (p->flags & CS_TCP_RST && !f->rst[dir]) {
		f->rst[dir] = true;
		if (f->first_rst < 0) {
			f->first_rst = (int8_t)dir;
			f->rst_ts = e->now;
		}
	}
}

/*
 * A FIN ends one direction only: the other goes on.  An RST ends the
 * connection for its sender at once, but what the peer had already sent
 * (in flight when the RST crossed it) still arrives: the peer is read for
 * CS_RST_LINGER_S more of capture time.
 */
static bool linger_over(const struct engine *e, const struct flow *f)
{
	return f->first_rst >= 0 && e->now - f->rst_ts > (int64_t)CS_RST_LINGER_S * CS_NS_PER_SEC;
}

static bool connection_over(const struct flow *f)
{
	return (f->fin[0] && f->fin[1]) || (f->rst[0] && f->rst[1]);
}

static void close_connection(struct engine *e, struct flow *f)
{
	finish_handshake(e, f, false);
	f->closed = true;
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

/* Hand bytes to the TLS layer; returns how many it consumed. */
static size_t feed_bytes(struct engine *e, struct flow *f, int dir, struct cs_slice s,
			 const struct engine_input *in, const struct cs_frame *fr)
{
	size_t used;

	if (s.n == 0)
		return 0;
	used = tls_feed(f->tls, &e->env, dir, s);
	if (f->tls->chain_new) {
		f->input = (uint32_t)(in - e->inputs);
		f->chain_frame = in->live ? 0 : fr->number;
		f->chain_ts = fr->ts_ns;
	}
	return used;
}

/*
 * What frames the TLS bytes of this direction: OpenVPN's TCP framing is
 * looked for in the first packet of a direction seen from its SYN, before
 * anything was skipped; false while that packet is incomplete.
 */
static bool choose_framing(struct engine *e, struct flow *f, int dir, struct cs_slice s)
{
	struct ovpn *o = &f->tls->framing;
	bool first = o->hmac < 0;

	if (!f->syn[dir] || f->dir[dir].delivered || f->tls->d[dir].skipped > 0 ||
	    !tls_hunting(f->tls, dir)) {
		ovpn_plain(o, dir);
		return true;
	}
	switch (ovpn_detect(o, dir, s)) {
	case CS_MORE:
		return false;
	case CS_OK:
		e->t.openvpn += first;
		return true;
	default:
		return true;
	}
}

/* OpenVPN: unwrap the control packets, feed the TLS bytes they carry. */
static size_t feed_openvpn(struct engine *e, struct flow *f, int dir, struct cs_slice s,
			   const struct engine_input *in, const struct cs_frame *fr)
{
	struct ovpn *o = &f->tls->framing;
	size_t used = ovpn_unwrap(o, e->bp, dir, s, &e->ovs);

	ovpn_consume(o, dir, feed_bytes(e, f, dir, ovpn_pending(o, dir), in, fr));
	return used;
}

static void feed_tls(struct engine *e, struct flow *f, int dir, const struct engine_input *in,
		     const struct cs_frame *fr)
{
	struct reasm_dir *r = &f->dir[dir];
	struct ovpn *o = &f->tls->framing;
	bool was_hunting = !f->tls->d[dir].saw_record;

	for (;;) {
		struct cs_slice s = reasm_contiguous(r);
		size_t used;

		if (s.n == 0)
			break;
		if (o->d[dir].state == OVPN_UNKNOWN && !choose_framing(e, f, dir, s))
			break; /* the first packet is not whole yet */
		if (o->d[dir].state == OVPN_YES || o->d[dir].state == OVPN_DONE)
			used = feed_openvpn(e, f, dir, s, in, fr);
		else
			used = feed_bytes(e, f, dir, s, in, fr);
		if (used == 0)
			break;
		reasm_consume(r, used);
		if (f->tls->done)
			break;
	}
	if (was_hunting && f->tls->d[dir].saw_record && !f->syn[dir])
		e->ts.midstream_resync++;
}

/*
 * The receiver acknowledged bytes the capture never had.  Before TLS began
 * in that direction they were plaintext (a proxy's reply, a banner): skip
 * them and hunt for the first record after the hole, as for a capture that
 * starts mid-stream.  Inside TLS nothing more can be delivered.
 */
static void gap_found(struct engine *e, struct flow *f, int dir, uint32_t ack,
		      const struct engine_input *in, const struct cs_frame *fr)
{
	if ((!f->tls || tls_hunting(f->tls, dir)) && start_tls(e, f)) {
		tls_skip_gap(f->tls, dir, reasm_skip_hole(&f->dir[dir], ack, &e->rs));
		feed_tls(e, f, dir, in, fr);
		return;
	}
	reasm_release(&f->dir[dir], e->bp);
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
	if ((p->flags & CS_TCP_ACK) && reasm_ack(&f->dir[!dir], p->ack, &e->rs))
		gap_found(e, f, !dir, p->ack, in, fr);
	if (f->tls && f->tls->done) {
		finish_handshake(e, f, false);
		f->bypass = true;
	}
}

/*
 * Decode a frame into a TCP segment, through the defragmenter when it is an
 * IP fragment: a datagram it completes is decoded on from where the
 * fragment left off, and may hold (inside a tunnel) a fragment again,
 * at most once per tunnel level.  The segment's payload may then borrow the
 * defragmenter's buffer, valid until its next call.
 */
/* Counted per input too: an input that is all link-layer refusals is refused. */
static void count_decode(struct engine *e, struct engine_input *in, const struct cs_decode_stats *d,
			 enum cs_status rc)
{
	bool ip = rc == CS_OK || rc == CS_MORE;

	if (rc == CS_OK) { /* the common case: only the informative counters can move */
		static const int extra[] = {CS_DEC_TUNNELED, CS_DEC_PAYLOAD_TRUNCATED};

		for (size_t k = 0; k < CS_ARRAY_LEN(extra); k++) {
			e->dec.n[extra[k]] += d->n[extra[k]];
			in->skipped[extra[k]] += d->n[extra[k]];
		}
		in->reached_ip++;
		return;
	}
	for (int i = 0; i < CS_DEC_COUNTER_MAX; i++) {
		e->dec.n[i] += d->n[i];
		in->skipped[i] += d->n[i];
		ip |= d->n[i] && (i == CS_DEC_NOT_TCP || i == CS_DEC_MALFORMED_IP ||
				  i == CS_DEC_MALFORMED_TCP || i == CS_DEC_TUNNEL_TOO_DEEP ||
				  i == CS_DEC_IPV6_EXT_TOO_DEEP);
	}
	in->reached_ip += ip;
}

static enum cs_status decode_frame(struct engine *e, struct engine_input *in,
				   const struct cs_frame *fr, struct cs_pkt *p)
{
	struct cs_decode_stats d = {{0}};
	enum cs_status rc = decode_packet(fr->linktype, fr->data, fr->caplen, p, &d);

	count_decode(e, in, &d, rc);

	if (!e->jumped)
		defrag_expire(e->defrag, fr->ts_ns, &e->dfs);
	for (int level = 0; rc == CS_MORE; level++) {
		struct cs_slice whole;

		if (level > CS_MAX_TUNNEL_DEPTH) {
			e->dec.n[CS_DEC_TUNNEL_TOO_DEEP]++; /* fragments in fragments */
			return CS_LIMIT;
		}
		whole = defrag_add(e->defrag, p, fr->ts_ns, &e->dfs);
		if (!whole.p)
			return CS_MORE;
		rc = decode_datagram(p, whole, p, &e->dec);
	}
	return rc;
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
	engine_note_linktype(in, fr->linktype);
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
	if (decode_frame(e, in, fr, &p) != CS_OK)
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
	f = restart_if_new_connection(e, f, dir, &p, fr->ts_ns);
	if (fr->ts_ns > f->last_ts)
		f->last_ts = fr->ts_ns;
	track_tcp_flags(e, f, dir, &p);
	if (!f->closed && linger_over(e, f))
		close_connection(e, f);
	if (e->evidence && !f->bypass && !f->closed) /* the RST too: part of the story */
		evidence_hold(e->evidence, &f->evidence,
			      fr);                    /* before the segment may end the handshake */
	if (!f->bypass && !f->closed && !f->rst[dir]) /* nothing after its own RST */
		handle_segment(e, f, dir, &p, in, fr);
	if (!f->closed && connection_over(f))
		close_connection(e, f);
	flow_touch(e->flows, f, f->tls && !f->bypass && !f->closed ? FLOW_ACTIVE : FLOW_QUIET);
}

bool engine_input_undecodable(const struct engine_input *in, char *buf, size_t len)
{
	int top[2] = {-1, -1};
	int n;

	if (in->packets == 0 || in->reached_ip > 0)
		return false;
	for (int i = 0; i < CS_DEC_COUNTER_MAX; i++) {
		if (in->skipped[i] == 0)
			continue;
		if (top[0] < 0 || in->skipped[i] > in->skipped[top[0]])
			top[1] = top[0], top[0] = i;
		else if (top[1] < 0 || in->skipped[i] > in->skipped[top[1]])
			top[1] = i;
	}
	n = snprintf(buf, len, "nothing to decode in %" PRIu64 " frames", in->packets);
	for (int k = 0; k < 2 && top[k] >= 0 && n >= 0 && (size_t)n < len; k++)
		n += snprintf(buf + n, len - (size_t)n, "%s %" PRIu64 " %s", k ? "," : ":",
			      in->skipped[top[k]],
			      decode_counter_name((enum cs_decode_counter)top[k]));
	if (top[0] == CS_DEC_ENCRYPTED && n >= 0 && (size_t)n < len)
		snprintf(buf + n, len - (size_t)n, " (802.11 WEP/WPA: decrypt the capture first)");
	return true;
}

void engine_finish(struct engine *e)
{
	flow_flush(e->flows);
	defrag_flush(e->defrag, &e->dfs);
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
const struct defrag_stats *engine_defrag_stats(const struct engine *e) { return &e->dfs; }
const struct ovpn_stats *engine_ovpn_stats(const struct engine *e) { return &e->ovs; }
uint64_t engine_flows_evicted(const struct engine *e)
{
	return flow_table_evicted(e->flows) + e->w_evicted;
}
uint64_t engine_clock_jumps(const struct engine *e) { return e->clock_jumps + e->w_clock_jumps; }
uint64_t engine_buffer_refusals(const struct engine *e)
{
	return bufpool_refusals(e->bp) + e->w_refusals;
}

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
struct notices *engine_notices(struct engine *e) { return e->notices; }
struct evidence *engine_evidence(struct engine *e) { return e->evidence; }
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
