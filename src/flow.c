/*
 * flow.c - the TCP flow table (cs_flow.h).
 * Owns the flow pool, the hash buckets, the two LRU lists and the pool of
 * TLS connection objects.  Policy: quiet flows are evicted before active
 * ones; expiry goes by capture time, never wall-clock time, so a file
 * replays exactly as it was captured.
 */
#include "cs_flow.h"
#include "cs_budget.h"
#include "cs_hash.h"
#include "cs_limits.h"

#include <stdlib.h>
#include <string.h>

#define NONE UINT32_MAX

struct tls_slot {
	struct tls_slot *next;
};

struct flow_table {
	struct flow *flows;
	uint32_t max, count, free_head, nbuckets;
	unsigned bucket_shift; /* 32 - log2(nbuckets): the hash's top bits index */
	uint32_t fresh;        /* slots [fresh, max) were never used: their pages stay untouched */
	uint32_t *buckets;
	struct ilist lru[2]; /* by enum flow_list, most recently used first */
	uint64_t evicted;
	uint64_t seed[CS_HASH_WORDS_MAX + 1];
	flow_evict_fn on_evict;
	void *ctx;
	struct tls_slot *tls_free;
	uint32_t tls_out;         /* tls_conn objects handed out */
	struct cs_budget *shared; /* --workers: the flows of all tables, or NULL */
};

/* ---- table ------------------------------------------------------------------ */

struct flow_table *flow_table_new(uint32_t max_flows, flow_evict_fn on_evict, void *ctx)
{
	struct flow_table *ft = calloc(1, sizeof(*ft));

	if (!ft)
		return NULL;
	ft->max = max_flows;
	ft->nbuckets = 1024;
	ft->bucket_shift = 22;
	while (ft->nbuckets < max_flows && ft->nbuckets < (1u << 30)) {
		ft->nbuckets <<= 1;
		ft->bucket_shift--;
	}
	ft->flows = calloc(max_flows ? max_flows : 1, sizeof(*ft->flows));
	ft->buckets = malloc(ft->nbuckets * sizeof(*ft->buckets));
	if (!ft->flows || !ft->buckets) {
		flow_table_free(ft);
		return NULL;
	}
	memset(ft->buckets, 0xff, ft->nbuckets * sizeof(*ft->buckets));
	ft->free_head = NONE;
	ilist_init(&ft->lru[FLOW_QUIET]);
	ilist_init(&ft->lru[FLOW_ACTIVE]);
	cs_hash_words_seed(ft->seed);
	ft->on_evict = on_evict;
	ft->ctx = ctx;
	return ft;
}

void flow_table_share(struct flow_table *ft, struct cs_budget *total) { ft->shared = total; }

void flow_table_free(struct flow_table *ft)
{
	if (!ft)
		return;
	while (ft->tls_free) {
		struct tls_slot *s = ft->tls_free;

		ft->tls_free = s->next;
		free(s);
	}
	free(ft->flows);
	free(ft->buckets);
	free(ft);
}

/* Both directions hash alike: the endpoints are ordered first. */
static uint32_t bucket_of(const struct flow_table *ft, const struct cs_addr *a, uint16_t pa,
			  const struct cs_addr *b, uint16_t pb)
{
	uint32_t key[9];
	int swap = memcmp(a->a, b->a, 16);

	if (swap > 0 || (swap == 0 && pa > pb)) {
		const struct cs_addr *t = a;
		uint16_t tp = pa;

		a = b, pa = pb, b = t, pb = tp;
	}
	memcpy(key, a->a, 16);
	memcpy(key + 4, b->a, 16);
	key[8] = (uint32_t)pa << 16 | pb;
	return cs_hash_words(key, 9, ft->seed) >> ft->bucket_shift; /* multiply-shift: top bits */
}

static bool endpoint_eq(const struct flow *f, int i, const struct cs_addr *a, uint16_t p)
{
	return f->port[i] == p && memcmp(f->addr[i].a, a->a, 16) == 0;
}

static inline struct ilist_link *lru_link(void *ft, uint32_t i)
{
	return &((struct flow_table *)ft)->flows[i].lru;
}

static void lru_unlink(struct flow_table *ft, uint32_t i)
{
	ilist_unlink(&ft->lru[ft->flows[i].list], i, lru_link, ft);
}

static void lru_push(struct flow_table *ft, uint32_t i, enum flow_list list)
{
	ft->flows[i].list = (uint8_t)list;
	ilist_push_head(&ft->lru[list], i, lru_link, ft);
}

void flow_touch(struct flow_table *ft, struct flow *f, enum flow_list list)
{
	uint32_t i = (uint32_t)(f - ft->flows);

	if (ft->lru[f->list].head == i && f->list == list)
		return;
	lru_unlink(ft, i);
	lru_push(ft, i, list);
}

static void remove_flow(struct flow_table *ft, uint32_t i, bool capped)
{
	struct flow *f = &ft->flows[i];
	uint32_t *pp =
		&ft->buckets[bucket_of(ft, &f->addr[0], f->port[0], &f->addr[1], f->port[1])];

	ft->on_evict(ft->ctx, f, capped);
	while (*pp != i)
		pp = &ft->flows[*pp].hnext;
	*pp = f->hnext;
	lru_unlink(ft, i);
	memset(f, 0, sizeof(*f));
	f->hnext = ft->free_head;
	ft->free_head = i;
	ft->count--;
	if (ft->shared)
		budget_give(ft->shared, 1);
}

/* With a shared total, a table over it makes room by evicting its own
 * oldest flow, as a full table does. */
static uint32_t take_slot(struct flow_table *ft)
{
	bool over = ft->shared && !budget_take(ft->shared, 1);
	uint32_t i = over ? NONE : ft->free_head;

	if (i == NONE && !over && ft->fresh < ft->max) {
		ft->count++;
		return ft->fresh++;
	}
	if (i == NONE) {
		uint32_t victim = ft->lru[FLOW_QUIET].tail;

		if (victim == NONE)
			victim = ft->lru[FLOW_ACTIVE].tail;
		if (victim == NONE) {
			if (!over && ft->shared)
				budget_give(ft->shared, 1);
			return NONE;
		}
		ft->evicted++;
		remove_flow(ft, victim, true);
		if (ft->shared) /* its place is taken again at once */
			atomic_fetch_add_explicit(&ft->shared->used, 1, memory_order_relaxed);
		if (!over && ft->shared)
			budget_give(ft->shared, 1); /* the draw above was not needed */
		i = ft->free_head;
	}
	ft->free_head = ft->flows[i].hnext;
	ft->count++;
	return i;
}

struct flow *flow_lookup(struct flow_table *ft, const struct cs_addr *src, uint16_t sport,
			 const struct cs_addr *dst, uint16_t dport, int64_t now, int *dir,
			 bool *created)
{
	uint32_t b = bucket_of(ft, src, sport, dst, dport), i;
	struct flow *f;

	*created = false;
	for (i = ft->buckets[b]; i != NONE; i = ft->flows[i].hnext) {
		f = &ft->flows[i];
		if (endpoint_eq(f, 0, src, sport) && endpoint_eq(f, 1, dst, dport)) {
			*dir = 0;
			return f;
		}
		if (endpoint_eq(f, 1, src, sport) && endpoint_eq(f, 0, dst, dport)) {
			*dir = 1;
			return f;
		}
	}
	i = take_slot(ft);
	if (i == NONE)
		return NULL;
	f = &ft->flows[i];
	f->used = true;
	f->addr[0] = *src, f->addr[1] = *dst;
	f->port[0] = sport, f->port[1] = dport;
	f->synack_dir = -1;
	f->first_fin = f->first_rst = -1;
	f->first_ts = f->last_ts = now;
	reasm_init(&f->dir[0]);
	reasm_init(&f->dir[1]);
	f->hnext = ft->buckets[b];
	ft->buckets[b] = i;
	lru_push(ft, i, FLOW_QUIET);
	*dir = 0;
	*created = true;
	return f;
}

void flow_expire(struct flow_table *ft, int64_t now, unsigned max)
{
	int64_t limit = now - (int64_t)CS_FLOW_IDLE_TIMEOUT_S * CS_NS_PER_SEC;
	unsigned k = 0; /* max is for both lists together */

	for (int l = 0; l < 2; l++)
		for (; k < max; k++) {
			uint32_t t = ft->lru[l].tail;

			if (t == NONE || ft->flows[t].last_ts >= limit)
				break;
			remove_flow(ft, t, false);
		}
}

void flow_flush(struct flow_table *ft)
{
	for (int l = 0; l < 2; l++)
		while (ft->lru[l].tail != NONE)
			remove_flow(ft, ft->lru[l].tail, false);
}

struct tls_conn *flow_tls_get(struct flow_table *ft)
{
	struct tls_slot *s = ft->tls_free;

	if (s) {
		ft->tls_free = s->next;
	} else {
		if (ft->tls_out >= ft->max)
			return NULL;
		s = malloc(sizeof(struct tls_conn) > sizeof(*s) ? sizeof(struct tls_conn)
								: sizeof(*s));
		if (!s)
			return NULL;
	}
	ft->tls_out++;
	return (struct tls_conn *)(void *)s;
}

void flow_tls_put(struct flow_table *ft, struct tls_conn *c)
{
	struct tls_slot *s = (struct tls_slot *)(void *)c;

	if (!c)
		return;
	s->next = ft->tls_free;
	ft->tls_free = s;
	ft->tls_out--;
}

uint32_t flow_table_count(const struct flow_table *ft) { return ft->count; }

uint64_t flow_table_evicted(const struct flow_table *ft) { return ft->evicted; }
