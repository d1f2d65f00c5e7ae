/*
 * handoff.c - --workers (cs_engine.h): a worker engine runs the packet path
 * (decode to the finished handshake) on its own thread and hands what it
 * finishes to the main engine, which owns everything after it: verdicts,
 * aggregate, windows, events.  So the reports are those of one engine that
 * saw every packet, by construction.  A worker and the main engine share a
 * ring (one producer, one consumer): finished handshakes and, every
 * CS_WORKER_PUBLISH_FRAMES frames or when idle, the worker's counters as
 * deltas since it last published, with its clock.  Nothing else is shared
 * but the chain store and the evidence pool (each behind its lock).
 */
#include "engine_int.h"
#include "cs_bufpool.h"
#include "cs_flow.h"
#include "cs_spsc.h"

#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* Everything a packet path counts; all uint64_t, so that deltas are taken
 * word by word. */
struct pcounts {
	struct engine_totals t;
	struct cs_decode_stats dec;
	struct defrag_stats dfs;
	struct ovpn_stats ovs;
	struct reasm_stats rs;
	struct tls_stats ts;
	uint64_t clock_jumps, evicted, refusals, handoff_waits;
	uint64_t packets, bytes, filtered, reached_ip, received, dropped, if_dropped;
	uint64_t skipped[CS_DEC_COUNTER_MAX];
};
#define PC_WORDS (sizeof(struct pcounts) / sizeof(uint64_t))
_Static_assert(sizeof(struct pcounts) % sizeof(uint64_t) == 0, "pcounts: uint64_t only");

enum item_kind { ITEM_HANDSHAKE, ITEM_COUNTS };

struct handoff_item {
	enum item_kind kind;
	int64_t clock; /* ITEM_COUNTS: the worker's capture clock (ns) */
	bool have_time, have_drops;
	int64_t first_ts, last_ts;
	int linktype; /* the input's first, -1 while none */
	union {
		struct hs h;
		struct pcounts c; /* deltas */
	} u;
};

struct handoff {
	struct spsc q; /* over items */
	struct handoff_item items[CS_WORKER_HANDOFF];
	struct pcounts published; /* producer: the counts handed over so far */
	uint64_t waits;           /* producer: times the ring was full */
	atomic_bool closed;       /* nobody will read any more */
};
_Static_assert((CS_WORKER_HANDOFF & (CS_WORKER_HANDOFF - 1)) == 0, "a power of two");

/* The main engine's view of one worker. */
struct worker_link {
	struct engine *w;
	bool have_clock;
	int64_t clock;
	uint64_t packets, handshakes, dropped, clock_jumps; /* collected so far */
};

/* The producer's next free item, waiting while the ring is full. */
static struct handoff_item *handoff_slot(struct handoff *ho)
{
	struct timespec pause = {0, 100000}; /* 0.1 ms */
	bool waited = false;
	size_t i;

	while (!spsc_slot(&ho->q, &i)) {
		if (atomic_load_explicit(&ho->closed, memory_order_acquire))
			return NULL;
		waited = true;
		nanosleep(&pause, NULL);
	}
	ho->waits += waited;
	return &ho->items[i];
}

void engine_hand_over(struct engine *w, struct hs *h)
{
	struct handoff_item *it = handoff_slot(w->out);

	if (!it) { /* the main engine is gone (a failed start): nothing to count */
		if (w->evidence)
			evidence_release(w->evidence, &h->evidence);
		return;
	}
	it->kind = ITEM_HANDSHAKE;
	it->u.h = *h;
	it->u.h.input = w->main_input;
	spsc_publish(&w->out->q);
}

static void pcounts_of(struct engine *w, struct pcounts *c)
{
	const struct engine_input *in = &w->inputs[0];

	c->t = w->t;
	c->dec = w->dec;
	c->dfs = w->dfs;
	c->ovs = w->ovs;
	c->rs = w->rs;
	c->ts = w->ts;
	c->clock_jumps = w->clock_jumps;
	c->evicted = flow_table_evicted(w->flows);
	c->refusals = bufpool_refusals(w->bp);
	c->handoff_waits = w->out->waits;
	c->packets = in->packets;
	c->bytes = in->bytes;
	c->filtered = in->filtered;
	c->reached_ip = in->reached_ip;
	c->received = in->received;
	c->dropped = in->dropped;
	c->if_dropped = in->if_dropped;
	memcpy(c->skipped, in->skipped, sizeof(c->skipped));
}

/* out = a - b, or (sign -1) a + b, word by word. */
static void pcounts_step(const struct pcounts *a, const struct pcounts *b, int sign,
			 struct pcounts *out)
{
	uint64_t x[PC_WORDS], y[PC_WORDS];

	memcpy(x, a, sizeof(x));
	memcpy(y, b, sizeof(y));
	for (size_t i = 0; i < PC_WORDS; i++)
		x[i] = sign > 0 ? x[i] - y[i] : x[i] + y[i];
	memcpy(out, x, sizeof(x));
}

void engine_worker_publish(struct engine *w, int64_t clock)
{
	struct handoff_item *it;
	struct pcounts now;

	pcounts_of(w, &now);
	if (!(it = handoff_slot(w->out)))
		return;
	it->kind = ITEM_COUNTS;
	it->clock = clock;
	it->have_time = w->have_time;
	it->first_ts = w->first_ts;
	it->last_ts = w->last_ts;
	it->have_drops = w->inputs[0].have_drops;
	it->linktype = w->inputs[0].nlinktypes ? w->inputs[0].linktypes[0] : -1;
	pcounts_step(&now, &w->out->published, 1, &it->u.c);
	w->out->published = now;
	spsc_publish(&w->out->q);
	if (w->have_time && clock > w->prev_ts) /* idle: the next frame steps from now */
		w->prev_ts = clock;
}

struct engine *engine_worker_new(struct engine *e, uint32_t max_flows, size_t buffer_memcap,
				 size_t input)
{
	struct worker_link *links;
	struct engine *w;

	if (input >= e->ninputs || e->nworkers == CS_MAX_WORKERS)
		return NULL;
	links = realloc(e->workers, (e->nworkers + 1) * sizeof(*links));
	if (!links)
		return NULL;
	e->workers = links;
	w = calloc(1, sizeof(*w));
	if (!w)
		return NULL;
	w->chains = e->chains;
	w->out = calloc(1, sizeof(*w->out));
	if (!w->out || !engine_packet_path_new(w, max_flows, buffer_memcap)) {
		engine_free(w);
		return NULL;
	}
	spsc_init(&w->out->q, CS_WORKER_HANDOFF);
	if (e->nworkers == 0) { /* totals for all workers, as one engine has them */
		e->flows_total.cap = max_flows;
		e->bytes_total.cap = buffer_memcap;
	}
	flow_table_share(w->flows, &e->flows_total);
	bufpool_share(w->bp, &e->bytes_total);
	w->evidence = e->evidence;
	w->live = true;
	w->fingerprint_all = e->fingerprint_all;
	w->main_input = (uint32_t)input;
	links[e->nworkers++] = (struct worker_link){.w = w};
	return w;
}

/* A worker's counters and clock, into the main engine's. */
static void absorb(struct engine *e, struct worker_link *l, const struct handoff_item *it)
{
	const struct pcounts *d = &it->u.c;
	struct engine_input *in = &e->inputs[l->w->main_input];
	struct pcounts mine = {0};

	mine.t = e->t, mine.dec = e->dec, mine.dfs = e->dfs, mine.ovs = e->ovs;
	mine.rs = e->rs, mine.ts = e->ts;
	pcounts_step(&mine, d, -1, &mine);
	e->t = mine.t, e->dec = mine.dec, e->dfs = mine.dfs, e->ovs = mine.ovs;
	e->rs = mine.rs, e->ts = mine.ts;
	/* every worker sees a jump of the input's clock: the most any saw */
	l->clock_jumps += d->clock_jumps;
	if (l->clock_jumps > e->w_clock_jumps)
		e->w_clock_jumps = l->clock_jumps;
	e->w_evicted += d->evicted;
	e->w_refusals += d->refusals;
	e->w_waits += d->handoff_waits;
	in->packets += d->packets;
	in->bytes += d->bytes;
	in->filtered += d->filtered;
	in->reached_ip += d->reached_ip;
	in->received += d->received;
	in->dropped += d->dropped;
	in->if_dropped += d->if_dropped;
	in->have_drops |= it->have_drops;
	for (int i = 0; i < CS_DEC_COUNTER_MAX; i++)
		in->skipped[i] += d->skipped[i];
	if (it->linktype >= 0)
		engine_note_linktype(in, it->linktype);
	if (it->have_time)
		engine_restore_time(e, it->first_ts, it->last_ts);
	l->packets += d->packets;
	l->handshakes += d->t.tls_handshakes;
	l->dropped += d->dropped;
	l->clock = it->clock;
	l->have_clock = true;
}

/* The main engine's clock: the slowest worker's, so that a window is not
 * closed while a worker still has handshakes in it to hand over. */
static void follow_workers(struct engine *e)
{
	int64_t clock = INT64_MAX;

	for (size_t i = 0; i < e->nworkers; i++) {
		if (!e->workers[i].have_clock)
			return;
		if (e->workers[i].clock < clock)
			clock = e->workers[i].clock;
	}
	if (clock == INT64_MAX || clock <= e->now)
		return;
	e->now = clock;
	if (e->judge && clock / CS_NS_PER_SEC != e->ticked_s) {
		e->ticked_s = clock / CS_NS_PER_SEC;
		judge_tick(e->judge, e->ticked_s);
	}
}

size_t engine_collect(struct engine *e)
{
	size_t n = 0;

	for (size_t i = 0; i < e->nworkers; i++) {
		struct worker_link *l = &e->workers[i];
		struct handoff *ho = l->w->out;
		size_t slot;

		for (; spsc_next(&ho->q, &slot); n++) {
			struct handoff_item *it = &ho->items[slot];

			if (it->kind == ITEM_HANDSHAKE)
				engine_judge_or_hold(e, &it->u.h);
			else
				absorb(e, l, it);
			spsc_release(&ho->q);
		}
	}
	follow_workers(e);
	engine_poll(e);
	return n;
}

size_t engine_workers(const struct engine *e) { return e->nworkers; }

void engine_worker_counts(const struct engine *e, size_t i, uint64_t *packets, uint64_t *handshakes,
			  uint64_t *dropped)
{
	*packets = e->workers[i].packets;
	*handshakes = e->workers[i].handshakes;
	*dropped = e->workers[i].dropped;
}

void engine_workers_free(struct engine *e)
{
	for (size_t i = 0; i < e->nworkers; i++) {
		atomic_store(&e->workers[i].w->out->closed, true);
		engine_free(e->workers[i].w);
	}
	free(e->workers);
	e->workers = NULL;
	e->nworkers = 0;
}

uint64_t engine_handoff_waits(const struct engine *e) { return e->w_waits; }
