/*
 * vec.c - the growable arrays of cs_vec.h: doubling by realloc, a cap
 * counted when hit, an id-indexed map zero-filled as it grows.
 * The caller's pointer is read and written with memcpy, so that any
 * `T *` can be passed by address without breaking the aliasing rules.
 */
#include <stdlib.h>
#include <string.h>

#include "cs_vec.h"

/* The array of elem-byte elements at *arrp, reallocated to want elements. */
static enum cs_status resize(void *arrp, size_t want, size_t elem)
{
	void *arr, *p;

	if (elem == 0 || want > SIZE_MAX / elem)
		return CS_NOMEM;
	memcpy(&arr, arrp, sizeof(arr));
	if (!(p = realloc(arr, want * elem)))
		return CS_NOMEM;
	memcpy(arrp, &p, sizeof(p));
	return CS_OK;
}

/* The next capacity after cap: double it, first when empty, never past max. */
static size_t next_cap(size_t cap, size_t first, size_t max)
{
	size_t c = cap ? (cap > SIZE_MAX / 2 ? SIZE_MAX : 2 * cap) : first;

	if (c <= cap)
		c = cap + 1;
	return c < max ? c : max;
}

enum cs_status vec_reserve_capped(void *arrp, size_t n, size_t *cap, size_t elem, size_t first,
				  size_t max, uint64_t *refused)
{
	size_t c;

	if (n >= max) {
		if (refused)
			(*refused)++;
		return CS_LIMIT;
	}
	if (n < *cap)
		return CS_OK;
	c = next_cap(*cap, first, max);
	if (resize(arrp, c, elem) != CS_OK)
		return CS_NOMEM;
	*cap = c;
	return CS_OK;
}

enum cs_status vec_reserve(void *arrp, size_t n, size_t *cap, size_t elem, size_t first)
{
	return vec_reserve_capped(arrp, n, cap, elem, first, SIZE_MAX, NULL);
}

enum cs_status vec_cover(void *arrp, size_t *n, size_t id, size_t elem, size_t first)
{
	size_t c = *n ? *n : (first ? first : 1);
	char *arr;

	if (id < *n)
		return CS_OK;
	while (c <= id) {
		if (c > SIZE_MAX / 2)
			return CS_NOMEM;
		c *= 2;
	}
	if (resize(arrp, c, elem) != CS_OK)
		return CS_NOMEM;
	memcpy(&arr, arrp, sizeof(arr));
	memset(arr + *n * elem, 0, (c - *n) * elem);
	*n = c;
	return CS_OK;
}
