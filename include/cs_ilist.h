/*
 * cs_ilist.h - a doubly linked list of array indexes: the LRU and age lists
 * of the preallocated pools (flows, IP datagrams being reassembled, parsed
 * certificates).  Indexes instead of pointers, so that the pools can be
 * reallocated or paged and a link costs 8 bytes.
 *
 * Each element embeds a struct ilist_link; the list keeps its two ends.
 * The head is the end pushed last (most recent), the tail the oldest; prev
 * points toward the head, next toward the tail.  The caller hands a
 * function that returns the link of element i in its storage: all of this
 * is static inline, and with a constant function the compiler inlines it,
 * so the packet path pays no call.
 */
#ifndef CS_ILIST_H
#define CS_ILIST_H

#include <stdint.h>

#define ILIST_NONE UINT32_MAX

struct ilist {
	uint32_t head, tail; /* ILIST_NONE when empty */
};

struct ilist_link {
	uint32_t prev, next; /* ILIST_NONE at the ends */
};

static inline void ilist_init(struct ilist *l) { l->head = l->tail = ILIST_NONE; }

/* Take element i out of l (it must be in it). */
static inline void ilist_unlink(struct ilist *l, uint32_t i,
				struct ilist_link *(*link_of)(void *owner, uint32_t i), void *owner)
{
	struct ilist_link *e = link_of(owner, i);

	if (e->prev != ILIST_NONE)
		link_of(owner, e->prev)->next = e->next;
	else
		l->head = e->next;
	if (e->next != ILIST_NONE)
		link_of(owner, e->next)->prev = e->prev;
	else
		l->tail = e->prev;
}

/* Put element i (in no list) at the head of l. */
static inline void ilist_push_head(struct ilist *l, uint32_t i,
				   struct ilist_link *(*link_of)(void *owner, uint32_t i),
				   void *owner)
{
	struct ilist_link *e = link_of(owner, i);

	e->prev = ILIST_NONE;
	e->next = l->head;
	if (l->head != ILIST_NONE)
		link_of(owner, l->head)->prev = i;
	l->head = i;
	if (l->tail == ILIST_NONE)
		l->tail = i;
}

#endif
