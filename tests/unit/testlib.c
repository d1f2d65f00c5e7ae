/*
 * testlib.c - the unit tests' shared library (testlib.h): the write-side
 * cursor and slices that build wire bytes, fixture loaders, and the
 * truncation and byte-flip drivers.  Owns the slice arena (one per test
 * program; tl_arena_free empties it).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "testlib.h"

/* ---- a write-side cursor ---------------------------------------------------- */

void put(struct bytes *o, const void *p, size_t n)
{
	assert_true(o->n + n <= sizeof o->b);
	if (n)
		memcpy(o->b + o->n, p, n);
	o->n += n;
}

void put_num(struct bytes *o, unsigned len, uint32_t v)
{
	assert_true(len >= 1 && len <= 4);
	for (unsigned i = len; i-- > 0;) {
		uint8_t b = (uint8_t)(v >> (8 * i));

		put(o, &b, 1);
	}
}

void put8(struct bytes *o, unsigned v) { put_num(o, 1, v); }

void put16(struct bytes *o, unsigned v) { put_num(o, 2, v); }

void put32(struct bytes *o, uint32_t v) { put_num(o, 4, v); }

void fill(struct bytes *o, unsigned v, size_t n)
{
	while (n--)
		put_num(o, 1, v);
}

size_t begin_len(struct bytes *o, unsigned len)
{
	put_num(o, len, 0);
	return o->n;
}

void end_len(struct bytes *o, size_t at, unsigned len)
{
	size_t v = o->n - at;

	assert_true(len >= 1 && len <= 3 && v >> (8 * len) == 0);
	for (unsigned i = 0; i < len; i++)
		o->b[at - len + i] = (uint8_t)(v >> (8 * (len - 1 - i)));
}

void put_len_to_end(struct bytes *o, size_t from, size_t plus, bool le)
{
	assert_true(o->nfix < CS_ARRAY_LEN(o->fix));
	o->fix[o->nfix].at = o->n;
	o->fix[o->nfix].from = from;
	o->fix[o->nfix].plus = plus;
	o->fix[o->nfix].le = le;
	o->nfix++;
	put_num(o, 2, 0);
}

void bytes_end(struct bytes *o)
{
	for (size_t i = 0; i < o->nfix; i++) {
		size_t len = o->n - o->fix[i].from + o->fix[i].plus;
		size_t hi = o->fix[i].le ? 1 : 0;

		o->b[o->fix[i].at + hi] = (uint8_t)(len >> 8);
		o->b[o->fix[i].at + 1 - hi] = (uint8_t)len;
	}
	o->nfix = 0;
}

/* ---- slices joined from parts ------------------------------------------------- */

struct arena_item {
	struct arena_item *next;
	void (*fn)(void *);
	void *p;
};

static struct arena_item *arena;

void *tl_keep(void *p, void (*fn)(void *))
{
	struct arena_item *it;

	assert_non_null(p);
	it = malloc(sizeof *it);
	assert_non_null(it);
	it->next = arena;
	it->fn = fn;
	it->p = p;
	arena = it;
	return p;
}

void tl_unkeep(void *p)
{
	struct arena_item *it = arena;

	assert_non_null(it);
	assert_ptr_equal(it->p, p);
	arena = it->next;
	free(it);
}

int tl_arena_free(void **state)
{
	(void)state;
	while (arena) {
		struct arena_item *it = arena;

		arena = it->next;
		it->fn(it->p);
		free(it);
	}
	return 0;
}

struct cs_slice sl_bytes(const void *p, size_t n)
{
	uint8_t *b = tl_keep(malloc(n ? n : 1), free);

	if (n)
		memcpy(b, p, n);
	return (struct cs_slice){b, n};
}

struct cs_slice sl_str(const char *s) { return sl_bytes(s, strlen(s)); }

struct cs_slice sl_fill(uint8_t v, size_t n)
{
	uint8_t *b = tl_keep(malloc(n ? n : 1), free);

	memset(b, v, n);
	return (struct cs_slice){b, n};
}

struct cs_slice sl_num(unsigned bytes, uint32_t v)
{
	uint8_t b[3];

	assert_true(bytes >= 1 && bytes <= 3);
	for (unsigned i = 0; i < bytes; i++)
		b[i] = (uint8_t)(v >> (8 * (bytes - 1 - i)));
	return sl_bytes(b, bytes);
}

struct cs_slice sl_join(size_t k, const struct cs_slice *parts)
{
	size_t n = 0, off = 0;
	uint8_t *b;

	for (size_t i = 0; i < k; i++)
		n += parts[i].n;
	b = tl_keep(malloc(n ? n : 1), free);
	for (size_t i = 0; i < k; i++) {
		if (parts[i].n)
			memcpy(b + off, parts[i].p, parts[i].n);
		off += parts[i].n;
	}
	return (struct cs_slice){b, n};
}

struct cs_slice sl_sub(struct cs_slice s, size_t off, size_t n)
{
	assert_true(off + n <= s.n);
	return (struct cs_slice){s.p + off, n};
}

struct cs_slice sl_vec(unsigned lb, struct cs_slice body)
{
	return SL_JOIN(sl_num(lb, (uint32_t)body.n), body);
}

/* ---- fixtures ------------------------------------------------------------- */

uint8_t *tl_read_file(const char *path, size_t *n)
{
	FILE *f = fopen(path, "rb");
	uint8_t *p;
	long len;

	if (!f)
		fail_msg("%s: cannot open (run the tests from the repository root)", path);
	assert_int_equal(fseek(f, 0, SEEK_END), 0);
	len = ftell(f);
	assert_true(len >= 0);
	rewind(f);
	*n = (size_t)len;
	p = malloc(*n + 1);
	assert_non_null(p);
	assert_int_equal(fread(p, 1, *n, f), *n);
	p[*n] = 0;
	fclose(f);
	return p;
}

char *tl_read_text(const char *path)
{
	size_t n;

	return (char *)tl_read_file(path, &n);
}

uint8_t *tl_fixture_der(const char *name, size_t *n)
{
	char path[256];

	snprintf(path, sizeof path, TL_FIXTURES "%s.der", name);
	return tl_read_file(path, n);
}

/* ---- drivers ---------------------------------------------------------------- */

void tl_each_truncation(const uint8_t *b, size_t n, tl_unit_fn fn, void *ctx)
{
	for (size_t cut = 0; cut < n; cut++) {
		uint8_t *exact = malloc(cut ? cut : 1);

		assert_non_null(exact);
		if (cut)
			memcpy(exact, b, cut);
		fn(exact, cut, ctx);
		free(exact);
	}
}

void tl_each_flip(const uint8_t *b, size_t n, tl_unit_fn fn, void *ctx)
{
	static const uint8_t flips[] = {0x01, 0x80, 0xff};
	uint8_t *copy = malloc(n ? n : 1);

	assert_non_null(copy);
	if (n)
		memcpy(copy, b, n);
	for (size_t i = 0; i < n; i++)
		for (size_t f = 0; f < CS_ARRAY_LEN(flips); f++) {
			copy[i] ^= flips[f];
			fn(copy, n, ctx);
			copy[i] ^= flips[f];
		}
	free(copy);
}

uint32_t tl_rand(uint32_t *state)
{
	*state ^= *state << 13;
	*state ^= *state >> 17;
	*state ^= *state << 5;
	return *state;
}

/* ---- fixtures given a number by their test's entry -------------------------- */

void *tl_state_new(void **state, size_t size, uint32_t *param)
{
	void *fixture = calloc(1, size);

	if (!fixture)
		return NULL;
	*param = (uint32_t)(uintptr_t)*state;
	*state = fixture;
	return fixture;
}

int tl_state_free(void **state, void (*fin)(void *fixture))
{
	fin(*state);
	free(*state);
	*state = NULL;
	return 0;
}
