/*
 * cs_bufpool.h - the shared, budgeted pool of handshake buffers.
 *
 * Flows buffer only the cleartext handshake, so buffers are short-lived and
 * come in a few sizes.  The pool hands out power-of-two blocks from 2 KiB to
 * CS_FLOW_DIR_CAP and keeps released blocks on per-class free lists, so the
 * steady state allocates nothing on the packet path.  Every byte held (in
 * use or cached) counts against one budget; when the budget refuses a block
 * the caller gets CS_LIMIT and the refusal is counted (caps.buffer_memcap).
 */
#ifndef CS_BUFPOOL_H
#define CS_BUFPOOL_H

#include "cs_common.h"

/* A growable byte buffer whose storage belongs to a pool. */
struct cs_buf {
	uint8_t *p;
	uint32_t cap;
	uint32_t len;
};

struct cs_bufpool;

struct cs_bufpool *bufpool_new(size_t memcap);
/* --workers: the pool also keeps within a total shared with other pools
 * (cs_budget.h; its cap is their memcap), every byte it holds counted;
 * refused like a full pool.  total outlives the pool. */
struct cs_budget;
void bufpool_share(struct cs_bufpool *bp, struct cs_budget *total);
void bufpool_free(struct cs_bufpool *bp);

/* Make b hold at least need bytes, keeping its first b->len bytes.
 * CS_LIMIT: need exceeds CS_FLOW_DIR_CAP or the budget (b is unchanged). */
enum cs_status bufpool_reserve(struct cs_bufpool *bp, struct cs_buf *b, size_t need);
/* Give b's storage back (b becomes empty).  Safe on an empty buffer. */
void bufpool_release(struct cs_bufpool *bp, struct cs_buf *b);

size_t bufpool_in_use(const struct cs_bufpool *bp);
uint64_t bufpool_refusals(const struct cs_bufpool *bp);

#endif
