/*
 * cs_budget.h - a total that several packet threads draw from: with
 * --workers, --max-flows and --memcap are totals for the process, not per
 * thread, so that the reports of N workers equal one thread's below the
 * caps.  Lock-free: a draw that would pass the cap is given back.
 */
#ifndef CS_BUDGET_H
#define CS_BUDGET_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

struct cs_budget {
	_Atomic uint64_t used;
	uint64_t cap;
};

/* Take n if the total stays within the cap. */
static inline bool budget_take(struct cs_budget *b, uint64_t n)
{
	if (atomic_fetch_add_explicit(&b->used, n, memory_order_relaxed) + n <= b->cap)
		return true;
	atomic_fetch_sub_explicit(&b->used, n, memory_order_relaxed);
	return false;
}

static inline void budget_give(struct cs_budget *b, uint64_t n)
{
	atomic_fetch_sub_explicit(&b->used, n, memory_order_relaxed);
}

#endif
