/*
 * defrag.c - IPv4 and IPv6 fragment reassembly (cs_defrag.h).
 * Owns the datagrams in progress: a preallocated table found through a
 * keyed hash (cs_hash.h, a random key per process, so that a sender cannot
 * aim collisions), kept in arrival order for the timeout and
 * for eviction, and a buffer pool of their own (so fragments can never eat
 * the budget of TCP handshakes).  Feeds whole datagrams to decode_datagram().
 * Policy: bytes are placed by offset with a short sorted list of filled
 * ranges, like reasm.c; IPv4 overlaps keep the first copy, IPv6 overlaps
 * drop the datagram (RFC 5722); time is capture time, never the wall clock.
 * References: RFC 791 section 3.2, RFC 815, RFC 8200 section 4.5, RFC 5722,
 * Linux net/ipv4/ip_fragment.c and Suricata src/defrag.c (policies).
 */
#include "cs_defrag.h"
#include "cs_bufpool.h"
#include "cs_hash.h"
#include "cs_ilist.h"
#include "cs_limits.h"
#include "cs_reasm.h"

#include <stdlib.h>
#include <string.h>

#define NONE UINT32_MAX

struct dgram_key {
	uint8_t src[16], dst[16];
	uint32_t id;
	uint8_t version, proto, depth, pad;
};

struct dgram {
	struct dgram_key key;
	int64_t first_ts;
	uint32_t hnext;        /* hash chain */
	struct ilist_link age; /* arrival order: prev is newer, next older */
	uint32_t end;          /* payload length, once the last fragment came */
	bool have_end;
	uint8_t first_proto; /* IPv6: the offset-0 fragment's next header */
	uint8_t nranges;
	struct reasm_range r[CS_DEFRAG_MAX_RANGES];
	struct cs_buf buf;
};

struct defrag {
	struct dgram *d;
	uint32_t max, count, free_head, nbuckets;
	uint32_t *buckets;
	struct ilist age; /* by arrival: head the newest, tail the oldest */
	struct cs_bufpool *bp;
	struct cs_buf done; /* the datagram handed out last */
	uint8_t seed[CS_HASH_KEY_LEN];
};

struct defrag *defrag_new(uint32_t max_datagrams, size_t memcap)
{
	struct defrag *df;

	if (max_datagrams == 0 || max_datagrams > (1u << 24) || !(df = calloc(1, sizeof(*df))))
		return NULL;
	df->max = max_datagrams;
	df->nbuckets = 64;
	while (df->nbuckets < 2 * max_datagrams)
		df->nbuckets <<= 1;
	df->d = calloc(max_datagrams, sizeof(*df->d));
	df->buckets = malloc(df->nbuckets * sizeof(*df->buckets));
	df->bp = bufpool_new(memcap);
	if (!df->d || !df->buckets || !df->bp) {
		defrag_free(df);
		return NULL;
	}
	memset(df->buckets, 0xff, df->nbuckets * sizeof(*df->buckets));
	for (uint32_t i = 0; i < max_datagrams; i++)
		df->d[i].hnext = i + 1 < max_datagrams ? i + 1 : NONE;
	df->free_head = 0;
	ilist_init(&df->age);
	cs_hash_seed(df->seed);
	return df;
}

void defrag_free(struct defrag *df)
{
	if (!df)
		return;
	if (df->d && df->bp)
		for (uint32_t i = 0; i < df->max; i++)
			bufpool_release(df->bp, &df->d[i].buf);
	if (df->bp)
		bufpool_release(df->bp, &df->done);
	bufpool_free(df->bp);
	free(df->d);
	free(df->buckets);
	free(df);
}

uint32_t defrag_count(const struct defrag *df) { return df->count; }

static uint32_t bucket_of(const struct defrag *df, const struct dgram_key *k)
{
	return (uint32_t)cs_hash(k, sizeof(*k), df->seed) & (df->nbuckets - 1);
}

static inline struct ilist_link *age_link(void *df, uint32_t i)
{
	return &((struct defrag *)df)->d[i].age;
}

/* Unlink datagram i from its bucket and the arrival list, free its slot. */
static void drop(struct defrag *df, uint32_t i)
{
	struct dgram *g = &df->d[i];
	uint32_t *pp = &df->buckets[bucket_of(df, &g->key)];

	while (*pp != i)
		pp = &df->d[*pp].hnext;
	*pp = g->hnext;
	ilist_unlink(&df->age, i, age_link, df);
	bufpool_release(df->bp, &g->buf);
	memset(g, 0, sizeof(*g));
	g->hnext = df->free_head;
	df->free_head = i;
	df->count--;
}

static void key_of(const struct cs_pkt *p, struct dgram_key *k)
{
	memset(k, 0, sizeof(*k));
	memcpy(k->src, p->src.a, 16);
	memcpy(k->dst, p->dst.a, 16);
	k->id = p->frag.id;
	k->version = p->frag.version;
	k->depth = p->frag.depth;
	/* IPv4 fragments of one datagram share the protocol (RFC 791); in IPv6
	 * only the first fragment's Next Header counts (RFC 8200 4.5) */
	k->proto = p->frag.version == 4 ? p->frag.proto : 0;
}

/* The datagram of this key, created if new (evicting the oldest when full). */
static uint32_t find_or_create(struct defrag *df, const struct dgram_key *k, int64_t now,
			       struct defrag_stats *st)
{
	uint32_t b = bucket_of(df, k), i;

	for (i = df->buckets[b]; i != NONE; i = df->d[i].hnext)
		if (memcmp(&df->d[i].key, k, sizeof(*k)) == 0)
			return i;
	if (df->free_head == NONE) {
		st->cap++;
		drop(df, df->age.tail);
	}
	i = df->free_head;
	df->free_head = df->d[i].hnext;
	df->d[i] = (struct dgram){.key = *k, .first_ts = now, .hnext = df->buckets[b]};
	df->buckets[b] = i;
	ilist_push_head(&df->age, i, age_link, df);
	df->count++;
	return i;
}

enum place_result { PLACED, DUPLICATE, OVERLAP_KEPT, OVERLAP_DROP, TOO_MANY };

/*
 * Copy [start, end) into the holes of g and merge its ranges; src holds the
 * byte of offset start.  The first copy of a byte wins.  IPv6 overlaps that
 * are not an exact duplicate ask for the datagram to be dropped.
 */
static enum place_result place(struct dgram *g, uint32_t start, uint32_t end, const uint8_t *src)
{
	struct reasm_range merged = {start, end};
	unsigned first = 0, last;
	uint32_t at = start;
	bool overlap = false;

	while (first < g->nranges && g->r[first].end < start)
		first++;
	for (last = first; last < g->nranges && g->r[last].start <= end; last++)
		overlap |= g->r[last].start < end && start < g->r[last].end;
	if (overlap) {
		bool covered =
			first + 1 == last && g->r[first].start <= start && end <= g->r[first].end;

		if (covered && memcmp(g->buf.p + start, src, end - start) == 0)
			return DUPLICATE;
		if (g->key.version == 6)
			return OVERLAP_DROP;
	}
	if (first == last && g->nranges == CS_DEFRAG_MAX_RANGES)
		return TOO_MANY;
	for (unsigned k = first; k < last; k++) {
		if (at < g->r[k].start)
			memcpy(g->buf.p + at, src + (at - start), g->r[k].start - at);
		if (g->r[k].end > at)
			at = g->r[k].end;
		if (g->r[k].start < merged.start)
			merged.start = g->r[k].start;
		if (g->r[k].end > merged.end)
			merged.end = g->r[k].end;
	}
	if (at < end)
		memcpy(g->buf.p + at, src + (at - start), end - at);
	if (last - first != 1) {
		memmove(&g->r[first + 1], &g->r[last], (g->nranges - last) * sizeof(g->r[0]));
		g->nranges = (uint8_t)(g->nranges - (last - first) + 1);
	}
	g->r[first] = merged;
	return overlap ? OVERLAP_KEPT : PLACED;
}

static bool complete(const struct dgram *g)
{
	return g->have_end && g->nranges == 1 && g->r[0].start == 0 && g->r[0].end == g->end;
}

/* Whether the fragment fits what the datagram already says about its end. */
static bool consistent(const struct dgram *g, uint32_t end, bool more)
{
	if (!more)
		return (!g->have_end || g->end == end) &&
		       (g->nranges == 0 || g->r[g->nranges - 1].end <= end);
	return !g->have_end || end <= g->end;
}

struct cs_slice defrag_add(struct defrag *df, struct cs_pkt *p, int64_t now,
			   struct defrag_stats *st)
{
	const struct cs_frag *f = &p->frag;
	struct cs_slice none = {NULL, 0};
	struct dgram_key k;
	struct dgram *g;
	uint32_t i, end;

	if (f->data.n < f->data_len)
		return none; /* the snaplen cut it: its datagram cannot complete */
	if (f->offset > CS_DEFRAG_MAX_DATAGRAM ||
	    f->data_len > CS_DEFRAG_MAX_DATAGRAM - f->offset ||
	    (f->more && (f->data_len == 0 || f->data_len % 8 != 0))) {
		st->malformed++;
		return none;
	}
	end = f->offset + f->data_len;
	key_of(p, &k);
	i = find_or_create(df, &k, now, st);
	g = &df->d[i];
	if (!consistent(g, end, f->more)) {
		st->malformed++;
		drop(df, i);
		return none;
	}
	if (end > g->buf.len) {
		if (bufpool_reserve(df->bp, &g->buf, end) != CS_OK) {
			st->cap++;
			drop(df, i);
			return none;
		}
		g->buf.len = end; /* bytes in holes are never read */
	}
	switch (f->data_len ? place(g, f->offset, end, f->data.p) : PLACED) {
	case OVERLAP_KEPT:
	case DUPLICATE:
		st->overlaps++;
		break;
	case OVERLAP_DROP:
		st->overlaps++;
		drop(df, i);
		return none;
	case TOO_MANY:
		st->cap++;
		drop(df, i);
		return none;
	case PLACED:
		break;
	}
	if (f->offset == 0)
		g->first_proto = f->proto;
	if (!f->more) {
		g->end = end;
		g->have_end = true;
	}
	if (!complete(g))
		return none;
	/* hand the bytes out: the previous datagram's buffer goes back first
	 * (p->frag.data was copied above, even if it pointed into it) */
	bufpool_release(df->bp, &df->done);
	df->done = g->buf;
	g->buf = (struct cs_buf){0};
	p->frag.proto = g->first_proto;
	end = g->end;
	drop(df, i);
	return (struct cs_slice){df->done.p, end};
}

void defrag_expire(struct defrag *df, int64_t now, struct defrag_stats *st)
{
	int64_t limit = now - (int64_t)CS_DEFRAG_TIMEOUT_S * CS_NS_PER_SEC;

	while (df->age.tail != NONE && df->d[df->age.tail].first_ts < limit) {
		st->incomplete++;
		drop(df, df->age.tail);
	}
}

void defrag_flush(struct defrag *df, struct defrag_stats *st)
{
	while (df->age.tail != NONE) {
		st->incomplete++;
		drop(df, df->age.tail);
	}
	bufpool_release(df->bp, &df->done);
}
