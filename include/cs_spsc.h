/*
 * cs_spsc.h - the two indices of a ring with one producer thread and one
 * consumer thread: the judge's request and answer queues, a worker's
 * hand-over to the main engine.  The caller owns the slots, an array of a
 * power-of-two size, and writes and reads items in place (a large item is
 * never copied).
 *
 * Ordering: the producer writes its slot, then publishes it (release); the
 * consumer sees it published (acquire) before reading it, then releases it
 * (release); the producer sees it released (acquire) before writing that
 * slot again.  The indices only grow; a slot is index & mask.
 */
#ifndef CS_SPSC_H
#define CS_SPSC_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>

struct spsc {
	_Atomic size_t head, tail; /* the consumer's, the producer's */
	size_t mask;               /* slots - 1 */
};

/* slots: a power of two. */
static inline void spsc_init(struct spsc *q, size_t slots)
{
	atomic_init(&q->head, 0);
	atomic_init(&q->tail, 0);
	q->mask = slots - 1;
}

/* Producer: the slot to write next in *slot; false while the ring is full. */
static inline bool spsc_slot(struct spsc *q, size_t *slot)
{
	size_t t = atomic_load_explicit(&q->tail, memory_order_relaxed);

	if (t - atomic_load_explicit(&q->head, memory_order_acquire) > q->mask)
		return false;
	*slot = t & q->mask;
	return true;
}

/* Producer: the slot spsc_slot gave is written; the consumer may read it. */
static inline void spsc_publish(struct spsc *q)
{
	atomic_store_explicit(&q->tail, atomic_load_explicit(&q->tail, memory_order_relaxed) + 1,
			      memory_order_release);
}

/* Consumer: the oldest published slot in *slot; false while the ring is
 * empty. */
static inline bool spsc_next(struct spsc *q, size_t *slot)
{
	size_t h = atomic_load_explicit(&q->head, memory_order_relaxed);

	if (h == atomic_load_explicit(&q->tail, memory_order_acquire))
		return false;
	*slot = h & q->mask;
	return true;
}

/* Consumer: the slot spsc_next gave is read; the producer may reuse it. */
static inline void spsc_release(struct spsc *q)
{
	atomic_store_explicit(&q->head, atomic_load_explicit(&q->head, memory_order_relaxed) + 1,
			      memory_order_release);
}

/* Either side, or a third thread deciding whether to sleep. */
static inline bool spsc_empty(struct spsc *q)
{
	return atomic_load_explicit(&q->head, memory_order_acquire) ==
	       atomic_load_explicit(&q->tail, memory_order_acquire);
}

#endif
