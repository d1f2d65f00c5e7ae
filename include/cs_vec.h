/*
 * cs_vec.h - the one growable array: room for one more element by doubling
 * with realloc, optionally under a cap that is counted when hit, and an
 * id-indexed map grown (zero-filled) until an id fits.
 *
 * The caller keeps its own typed pointer, count and capacity; arrp is the
 * address of that pointer (a `struct x **` passed as void *), so no cast is
 * needed and the array keeps its type at every use.  On failure the array,
 * its contents and the capacity are unchanged: the caller may go on with
 * what it has.  A size that would overflow size_t is refused as CS_NOMEM.
 * Not for the packet path's fixed pools (flows, defrag, buffers): those are
 * preallocated.
 */
#ifndef CS_VEC_H
#define CS_VEC_H

#include "cs_common.h"

/*
 * Room for element n of *arrp, which holds *cap elements of elem bytes
 * (n <= *cap).  When n == *cap the array doubles (to first when empty).
 * CS_OK, or CS_NOMEM when realloc failed.
 */
enum cs_status vec_reserve(void *arrp, size_t n, size_t *cap, size_t elem, size_t first);

/*
 * As vec_reserve, for an array that holds at most max elements: at
 * n >= max it refuses with CS_LIMIT and counts the refusal in *refused
 * (when refused is not NULL).  The capacity never grows past max.
 */
enum cs_status vec_reserve_capped(void *arrp, size_t n, size_t *cap, size_t elem, size_t first,
				  size_t max, uint64_t *refused);

/*
 * Room for index id in *arrp, a map of *n elements of elem bytes indexed by
 * an id: *n doubles (from first when empty) until id < *n, and the new
 * elements are zeroed.  CS_OK, or CS_NOMEM.
 */
enum cs_status vec_cover(void *arrp, size_t *n, size_t id, size_t elem, size_t first);

#endif
