/*
 * cursor.c - the bounds-checked reader declared in cs_cursor.h.
 * Every other module reads wire and file bytes only through these calls.
 * Policy: check before reading, fail sticky, zero outputs on failure.
 */
#include "cs_cursor.h"

#include <string.h>

void cur_init(struct cs_cursor *c, const uint8_t *p, size_t len)
{
	c->p = p;
	c->len = p ? len : 0;
	c->off = 0;
	c->bad = false;
}

void cur_init_slice(struct cs_cursor *c, struct cs_slice s) { cur_init(c, s.p, s.n); }

size_t cur_left(const struct cs_cursor *c) { return c->bad ? 0 : c->len - c->off; }

size_t cur_pos(const struct cs_cursor *c) { return c->off; }

bool cur_ok(const struct cs_cursor *c) { return !c->bad; }

bool cur_end(const struct cs_cursor *c) { return !c->bad && c->off == c->len; }

bool cur_fail(struct cs_cursor *c)
{
	c->bad = true;
	return false;
}

/* Reserve n bytes: returns their start or NULL (and marks the cursor bad). */
static const uint8_t *cur_need(struct cs_cursor *c, size_t n)
{
	const uint8_t *at;

	if (c->bad || n > c->len - c->off) {
		c->bad = true;
		return NULL;
	}
	at = c->p + c->off;
	c->off += n;
	return at;
}

/* The n (2 to 4) bytes at b as a number, most significant first unless le.
 * b is NULL after a failed read: then the output is 0 and the answer false.
 * Every read of the packet path comes here: unrolled, gcc and clang make
 * one load (and a bswap) of each call, where n and le are constants. */
static bool load32(const uint8_t *b, size_t n, bool le, uint32_t *v)
{
	uint32_t x = 0;

	if (b) {
#pragma GCC unroll 4
		for (size_t i = 0; i < n; i++)
			x = x << 8 | b[le ? n - 1 - i : i];
	}
	*v = x;
	return b != NULL;
}

static bool load16(const uint8_t *b, bool le, uint16_t *v)
{
	uint32_t x;
	bool ok = load32(b, 2, le, &x);

	*v = (uint16_t)x;
	return ok;
}

static bool load8(const uint8_t *b, uint8_t *v)
{
	*v = b ? b[0] : 0;
	return b != NULL;
}

bool cur_u8(struct cs_cursor *c, uint8_t *v) { return load8(cur_need(c, 1), v); }

bool cur_u16(struct cs_cursor *c, uint16_t *v) { return load16(cur_need(c, 2), false, v); }

bool cur_u24(struct cs_cursor *c, uint32_t *v) { return load32(cur_need(c, 3), 3, false, v); }

bool cur_u32(struct cs_cursor *c, uint32_t *v) { return load32(cur_need(c, 4), 4, false, v); }

bool cur_u16le(struct cs_cursor *c, uint16_t *v) { return load16(cur_need(c, 2), true, v); }

bool cur_u32le(struct cs_cursor *c, uint32_t *v) { return load32(cur_need(c, 4), 4, true, v); }

bool cur_u16e(struct cs_cursor *c, bool le, uint16_t *v)
{
	return le ? cur_u16le(c, v) : cur_u16(c, v);
}

bool cur_u32e(struct cs_cursor *c, bool le, uint32_t *v)
{
	return le ? cur_u32le(c, v) : cur_u32(c, v);
}

static const uint8_t *cur_peek(const struct cs_cursor *c, size_t at, size_t n)
{
	size_t left = cur_left(c);

	if (at > left || n > left - at)
		return NULL;
	return c->p + c->off + at;
}

bool cur_peek_u8(const struct cs_cursor *c, size_t at, uint8_t *v)
{
	return load8(cur_peek(c, at, 1), v);
}

bool cur_peek_find(const struct cs_cursor *c, size_t from, uint8_t b, size_t *at)
{
	size_t left = cur_left(c);
	const uint8_t *q;

	if (from >= left || !(q = memchr(c->p + c->off + from, b, left - from)))
		return false;
	*at = (size_t)(q - (c->p + c->off));
	return true;
}

bool cur_peek_u16(const struct cs_cursor *c, size_t at, uint16_t *v)
{
	return load16(cur_peek(c, at, 2), false, v);
}

bool cur_peek_u24(const struct cs_cursor *c, size_t at, uint32_t *v)
{
	return load32(cur_peek(c, at, 3), 3, false, v);
}

bool cur_skip(struct cs_cursor *c, size_t n) { return cur_need(c, n) != NULL; }

bool cur_take(struct cs_cursor *c, size_t n, struct cs_slice *out)
{
	const uint8_t *b = cur_need(c, n);

	out->p = b;
	out->n = b ? n : 0;
	return b != NULL;
}

bool cur_copy(struct cs_cursor *c, void *dst, size_t n)
{
	const uint8_t *b = cur_need(c, n);

	if (b)
		memcpy(dst, b, n);
	else
		memset(dst, 0, n);
	return b != NULL;
}

bool cur_sub(struct cs_cursor *c, size_t n, struct cs_cursor *out)
{
	const uint8_t *b = cur_need(c, n);

	cur_init(out, b, n);
	if (!b)
		out->bad = true;
	return b != NULL;
}

bool cur_vec(struct cs_cursor *c, unsigned lenbytes, struct cs_cursor *out)
{
	size_t save = c->off;
	uint32_t n = 0;
	uint8_t b;

	for (unsigned i = 0; lenbytes <= 3 && i < lenbytes; i++) {
		if (!cur_u8(c, &b))
			break;
		n = n << 8 | b;
	}
	if (lenbytes >= 1 && lenbytes <= 3 && cur_ok(c) && cur_sub(c, n, out))
		return true;
	c->off = save;
	c->bad = true;
	cur_init(out, NULL, 0);
	out->bad = true;
	return false;
}

struct cs_slice cur_rest(const struct cs_cursor *c)
{
	struct cs_slice s = {c->p + c->off, cur_left(c)};

	if (c->bad)
		s.p = NULL;
	return s;
}
