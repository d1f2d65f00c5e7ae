/*
 * bufpool.c - size-classed, budgeted buffer pool (see cs_bufpool.h).
 * Released blocks go to a per-class free list; a new block is taken from
 * the system only when its class list is empty and the budget allows.
 * When the budget is short, cached blocks of other classes are returned to
 * the system first, so a burst of large handshakes cannot starve small ones.
 */
#include "cs_bufpool.h"
#include "cs_budget.h"
#include "cs_limits.h"

#include <stdlib.h>
#include <string.h>

#define MIN_SHIFT 11 /* 2 KiB */
#define NCLASSES 10  /* 2 KiB .. 1 MiB == CS_FLOW_DIR_CAP */

_Static_assert((1u << (MIN_SHIFT + NCLASSES - 1)) == CS_FLOW_DIR_CAP,
	       "the largest class must be the per-direction cap");

struct free_block {
	struct free_block *next;
};

struct cs_bufpool {
	size_t memcap;
	size_t held; /* bytes taken from the system, in use or cached */
	size_t cached;
	uint64_t refusals;
	struct free_block *free[NCLASSES];
	struct cs_budget *shared; /* --workers: the bytes of all pools, or NULL */
};

struct cs_bufpool *bufpool_new(size_t memcap)
{
	struct cs_bufpool *bp = calloc(1, sizeof(*bp));

	if (bp)
		bp->memcap = memcap;
	return bp;
}

static void trim_class(struct cs_bufpool *bp, unsigned cls)
{
	while (bp->free[cls]) {
		struct free_block *f = bp->free[cls];

		bp->free[cls] = f->next;
		free(f);
		bp->held -= (size_t)1 << (MIN_SHIFT + cls);
		bp->cached -= (size_t)1 << (MIN_SHIFT + cls);
		if (bp->shared)
			budget_give(bp->shared, (size_t)1 << (MIN_SHIFT + cls));
	}
}

void bufpool_share(struct cs_bufpool *bp, struct cs_budget *total) { bp->shared = total; }

void bufpool_free(struct cs_bufpool *bp)
{
	if (!bp)
		return;
	for (unsigned c = 0; c < NCLASSES; c++)
		trim_class(bp, c);
	free(bp);
}

static unsigned class_for(size_t need)
{
	unsigned c = 0;

	while (((size_t)1 << (MIN_SHIFT + c)) < need)
		c++;
	return c;
}

/* Whether size more bytes fit this pool's budget and the shared total. */
static bool room(const struct cs_bufpool *bp, size_t size)
{
	return bp->held + size <= bp->memcap &&
	       (!bp->shared ||
		atomic_load_explicit(&bp->shared->used, memory_order_relaxed) + size <=
			bp->shared->cap);
}

static uint8_t *take_block(struct cs_bufpool *bp, unsigned cls)
{
	size_t size = (size_t)1 << (MIN_SHIFT + cls);
	struct free_block *f = bp->free[cls];

	if (f) {
		bp->free[cls] = f->next;
		bp->cached -= size;
		return (uint8_t *)f;
	}
	for (unsigned c = NCLASSES; !room(bp, size) && c-- > 0;)
		if (c != cls)
			trim_class(bp, c);
	if (bp->shared && !budget_take(bp->shared, size))
		return NULL;
	if (bp->held + size > bp->memcap) {
		if (bp->shared)
			budget_give(bp->shared, size);
		return NULL;
	}
	f = malloc(size);
	if (f)
		bp->held += size;
	else if (bp->shared)
		budget_give(bp->shared, size);
	return (uint8_t *)f;
}

static void put_block(struct cs_bufpool *bp, uint8_t *p, uint32_t cap)
{
	struct free_block *f = (struct free_block *)(void *)p;
	unsigned cls = class_for(cap);

	f->next = bp->free[cls];
	bp->free[cls] = f;
	bp->cached += cap;
}

enum cs_status bufpool_reserve(struct cs_bufpool *bp, struct cs_buf *b, size_t need)
{
	unsigned cls;
	uint8_t *p;

	if (need <= b->cap)
		return CS_OK;
	if (need > CS_FLOW_DIR_CAP) {
		bp->refusals++;
		return CS_LIMIT;
	}
	cls = class_for(need);
	p = take_block(bp, cls);
	if (!p) {
		bp->refusals++;
		return CS_LIMIT;
	}
	if (b->len)
		memcpy(p, b->p, b->len);
	if (b->p)
		put_block(bp, b->p, b->cap);
	b->p = p;
	b->cap = 1u << (MIN_SHIFT + cls);
	return CS_OK;
}

void bufpool_release(struct cs_bufpool *bp, struct cs_buf *b)
{
	if (b->p)
		put_block(bp, b->p, b->cap);
	b->p = NULL;
	b->cap = 0;
	b->len = 0;
}

size_t bufpool_in_use(const struct cs_bufpool *bp) { return bp->held - bp->cached; }

uint64_t bufpool_refusals(const struct cs_bufpool *bp) { return bp->refusals; }
