/*
 * engine.c - wires the stages together for every frame (cs_engine.h).
 * Owns the flow table, buffer pool, chain store, aggregate and counters.
 * Per packet: decode, one flow lookup, and -- only while the handshake is
 * in progress -- reassembly and TLS parsing.  Handshakes are counted once,
 * in finish_handshake(), whatever ends them.
 */
#include "cs_engine.h"
#include "cs_defrag.h"
#include "cs_diag.h"
#include "cs_flow.h"
#include "cs_limits.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct engine {
	struct flow_table *flows;
	struct cs_bufpool *bp;
	struct cs_chain_store *chains;
	struct agg *agg;
	struct agg *window;        /* the same, since the last periodic report */
	struct engine_totals t;
	struct cs_decode_stats dec;
	struct defrag *defrag;
	struct defrag_stats dfs;
	struct ovpn_stats ovs;
	struct reasm_stats rs;
	struct tls_stats ts;
	struct tls_env env;
	engine_event_fn on_event;
	void *event_ctx;
	struct diag *diag;
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
	e->window = agg_new(CS_MAX_SERVERS);
	e->defrag = defrag_new(CS_DEFRAG_MAX_DATAGRAMS, CS_DEFRAG_MEMCAP);
	if (!e->flows || !e->bp || !e->chains || !e->agg || !e->window || !e->defrag) {
		engine_free(e);
		return NULL;
	}
	e->env = (struct tls_env){e->bp, e->chains, &e->ts};
	e->on_event = cfg->on_event;
	e->event_ctx = cfg->event_ctx;
	e->diag = cfg->diag;
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
	defrag_free(e->defrag);
	agg_free(e->agg);
	agg_free(e->window);
	chain_store_free(e->chains);
	bufpool_free(e->bp);
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

/* Who ended the connection first (RST, else FIN): 1 server, 0 client, -1 nobody. */
static int ended_by_server(int8_t first, int s)
{
	return first < 0 || s < 0 ? -1 : first == s;
}

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
	if (!c->server_hello && !c->chain && c->client_hello &&
	    !(s >= 0 && f->payload_seen[s]))
		return TLS_INC_NO_SERVER_HELLO;
	if ((by = ended_by_server(f->first_fin, s)) >= 0)
		return by ? TLS_INC_SERVER_CLOSED : TLS_INC_CLIENT_CLOSED;
	return TLS_INC_CAPTURE_ENDED;
}

/* The chain's verdict for this handshake, at capture time (or --at). */
static void judge(struct engine *e, const struct flow *f, const struct cs_chain *chain,
		  struct agg_handshake *h)
{
	const struct tls_conn *c = f->tls;
	char server[64], ip[48];
	int64_t when = e->have_at ? e->at : f->chain_ts / CS_NS_PER_SEC;

	if (!e->diag)
		return;
	cs_addr_str(&f->addr[c->server], ip, sizeof(ip));
	snprintf(server, sizeof(server), f->addr[c->server].family == 6 ? "[%s]:%u" : "%s:%u", ip,
		 f->port[c->server]);
	diag_note_chain(e->diag, chain, server);
	h->problems = diag_handshake(e->diag, chain, h->sni, h->sni_len, when, &h->broken);
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

static uint32_t record_handshake(struct engine *e, const struct flow *f, const struct cs_chain *chain,
				 bool *broken)
{
	const struct tls_conn *c = f->tls;
	int s = c->server;
	struct agg_handshake h = {
		.server_ip = &f->addr[s],
		.server_port = f->port[s],
		.sni = c->sni_sent ? c->sni : NULL,
		.sni_len = c->sni_len,
		.sni_status = c->sni_sent ? AGG_SNI_SENT
			      : c->client_hello ? AGG_SNI_NOT_SENT : AGG_SNI_NOT_CAPTURED,
		.version = c->version,
		.chain = chain,
		.client_ip = &f->addr[!s],
		.rejected = chain && c->alert_seen && c->alert_dir != s && c->alert_level == 2 &&
			    certificate_alert(c->alert_desc),
		.alert = c->alert_desc,
		.ja3 = c->fingerprinted ? c->ja3 : NULL,
		.ja4 = c->fingerprinted ? c->ja4 : NULL,
		.input = f->input,
		.frame = f->chain_frame,
		.ts = chain ? f->chain_ts : e->now,
	};

	if (!server_wanted(e, h.server_ip))
		return 0; /* --server-net: not one of ours, in no count of the report */
	if (chain)
		judge(e, f, chain, &h);
	if (e->ignore)
		ignore_apply(e->ignore, &h);
	e->t.broken_handshakes += h.broken;
	e->t.client_rejections += h.rejected;
	if (agg_add(e->agg, &h) != CS_OK)
		e->t.servers_cap++;
	agg_add(e->window, &h);
	*broken = h.broken;
	return h.problems;
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

static void emit_event(struct engine *e, const struct flow *f, enum tls_outcome out,
		       enum tls_incomplete reason, const struct cs_chain *chain, bool broken,
		       uint32_t problems)
{
	const struct tls_conn *c = f->tls;
	int s = c->server;
	struct engine_event ev = {
		.ts = e->now,
		.client_ip = s >= 0 ? &f->addr[!s] : NULL,
		.server_ip = s >= 0 ? &f->addr[s] : NULL,
		.client_port = s >= 0 ? f->port[!s] : 0,
		.server_port = s >= 0 ? f->port[s] : 0,
		.sni = c->sni_sent ? c->sni : NULL,
		.sni_len = c->sni_len,
		.version = c->version,
		.outcome = out,
		.reason = reason,
		.chain = chain,
		.starttls = c->starttls,
		.alert = c->alert_seen,
		.alert_from_client = s >= 0 && c->alert_dir != s,
		.alert_level = c->alert_level,
		.alert_desc = c->alert_desc,
		.input = &e->inputs[f->input],
		.broken = broken,
		.problems = problems,
	};

	if (e->on_event)
		e->on_event(e->event_ctx, &ev);
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
	for (size_t i = 0; i < chain->n_certs; i++)
		if (!chain->certs[i].parsed)
			return false;
	return true;
}

static void finish_handshake(struct engine *e, struct flow *f, bool evicted)
{
	struct tls_conn *c = f->tls;
	const struct cs_chain *chain = NULL;
	enum tls_outcome out;
	enum tls_incomplete reason = TLS_INC_MAX;
	bool broken = false, unparsed = false;
	uint32_t problems = 0;

	if (f->counted || !c || !tls_seen(c)) {
		if (!f->counted && c && tls_unattributed(c))
			e->t.chains_unattributed++;
		f->counted = true;
		release_flow_buffers(e, f);
		return;
	}
	f->counted = true;
	e->t.tls_handshakes++;
	e->t.client_certificates += c->client_certs;
	/* bytes before the first record of a capture that began mid-stream are
	 * not a STARTTLS negotiation */
	if (!(c->starttls == TLS_STARTTLS_OTHER && !f->syn[0] && !f->syn[1]))
		e->t.starttls[c->starttls < TLS_STARTTLS_MAX ? c->starttls : 0]++;
	if (tls_unattributed(c))
		e->t.chains_unattributed++;
	out = tls_outcome(c);
	if (out == TLS_OUT_CHAIN && !chain_believed(f, tls_server_chain(c))) {
		e->t.chains_unparsed++; /* no server entry: nobody is ranked on it */
		unparsed = true;
		out = TLS_OUT_INCOMPLETE;
	}
	switch (out) {
	case TLS_OUT_CHAIN:
		e->t.with_chain++;
		chain = tls_server_chain(c);
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
		reason = unparsed ? TLS_INC_MALFORMED : incomplete_reason(f, evicted);
		e->t.incomplete_reason[reason]++;
		break;
	}
	if (c->server >= 0 && !unparsed)
		problems = record_handshake(e, f, out == TLS_OUT_CHAIN ? chain : NULL, &broken);
	emit_event(e, f, out, reason, chain, broken, problems);
	release_flow_buffers(e, f);
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

static void feed_tls(struct engine *e, struct flow *f, int dir,
		     const struct engine_input *in, const struct cs_frame *fr)
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
	note_linktype(in, fr->linktype);
	if (!e->have_time || fr->ts_ns < e->first_ts)
		e->first_ts = fr->ts_ns;
	if (!e->have_time || fr->ts_ns > e->last_ts)
		e->last_ts = fr->ts_ns;
	clock_step(e, fr->ts_ns);
	e->have_time = true;
	e->now = fr->ts_ns;
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
	f = restart_if_new_connection(e, f, dir, &p);
	if (fr->ts_ns > f->last_ts)
		f->last_ts = fr->ts_ns;
	track_tcp_flags(e, f, dir, &p);
	if (!f->closed && linger_over(e, f))
		close_connection(e, f);
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
			      in->skipped[top[k]], decode_counter_name((enum cs_decode_counter)top[k]));
	if (top[0] == CS_DEC_ENCRYPTED && n >= 0 && (size_t)n < len)
		snprintf(buf + n, len - (size_t)n, " (802.11 WEP/WPA: decrypt the capture first)");
	return true;
}

void engine_finish(struct engine *e)
{
	flow_flush(e->flows);
	defrag_flush(e->defrag, &e->dfs);
}

const struct engine_totals *engine_totals(const struct engine *e) { return &e->t; }
const struct cs_decode_stats *engine_decode_stats(const struct engine *e) { return &e->dec; }
const struct reasm_stats *engine_reasm_stats(const struct engine *e) { return &e->rs; }
const struct tls_stats *engine_tls_stats(const struct engine *e) { return &e->ts; }
const struct defrag_stats *engine_defrag_stats(const struct engine *e) { return &e->dfs; }
const struct ovpn_stats *engine_ovpn_stats(const struct engine *e) { return &e->ovs; }
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
struct diag *engine_diag(struct engine *e) { return e->diag; }
void engine_set_diag(struct engine *e, struct diag *d) { e->diag = d; }
struct agg *engine_window(struct engine *e) { return e->window; }
const struct ignore_list *engine_ignore(const struct engine *e) { return e->ignore; }
const char *engine_sensor(const struct engine *e) { return e->sensor; }
int64_t engine_now(const struct engine *e) { return e->now; }

bool engine_window_reset(struct engine *e)
{
	struct agg *w = agg_new(CS_MAX_SERVERS);

	if (!w)
		return false;
	agg_free(e->window);
	e->window = w;
	return true;
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

void engine_restore_totals(struct engine *e, const struct engine_totals *t,
			   uint64_t sslv2_client_hellos)
{
	struct engine_totals *d = &e->t;

	d->packets += t->packets, d->bytes += t->bytes;
	d->tcp_packets += t->tcp_packets, d->tcp_flows += t->tcp_flows;
	d->tls_handshakes += t->tls_handshakes, d->with_chain += t->with_chain;
	d->tls13 += t->tls13, d->resumed += t->resumed;
	d->incomplete += t->incomplete, d->no_certificate += t->no_certificate;
	for (int i = 0; i < TLS_INC_MAX; i++)
		d->incomplete_reason[i] += t->incomplete_reason[i];
	d->client_certificates += t->client_certificates;
	d->chains_unattributed += t->chains_unattributed;
	d->chains_unparsed += t->chains_unparsed;
	d->openvpn += t->openvpn;
	for (int i = 0; i < TLS_STARTTLS_MAX; i++)
		d->starttls[i] += t->starttls[i];
	d->flows_no_slot += t->flows_no_slot, d->tls_no_slot += t->tls_no_slot;
	d->servers_cap += t->servers_cap;
	d->broken_handshakes += t->broken_handshakes;
	d->client_rejections += t->client_rejections;
	e->ts.sslv2_client_hellos += sslv2_client_hellos;
}

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
