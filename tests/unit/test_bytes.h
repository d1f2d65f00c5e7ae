/*
 * test_bytes.h - the byte buffer unit tests build wire data in (frames,
 * TLS records, OpenVPN packets): append bytes, big-endian numbers and
 * fills, and lengths patched once what they count is written.  Included by
 * test programs after cmocka.h; everything is static inline.
 */
#ifndef TEST_BYTES_H
#define TEST_BYTES_H

#include <stdint.h>
#include <string.h>

struct bytes {
	uint8_t b[16384];
	size_t n;
};

static inline void put(struct bytes *o, const void *p, size_t n)
{
	assert_true(o->n + n <= sizeof o->b);
	if (n)
		memcpy(o->b + o->n, p, n);
	o->n += n;
}

/* A big-endian number of len bytes. */
static inline void put_num(struct bytes *o, unsigned len, uint32_t v)
{
	for (unsigned i = len; i-- > 0;) {
		uint8_t b = (uint8_t)(v >> (8 * i));

		put(o, &b, 1);
	}
}

static inline void fill(struct bytes *o, unsigned v, size_t n)
{
	while (n--)
		put_num(o, 1, v);
}

/* A big-endian length of len bytes, written by end_len() once known. */
static inline size_t begin_len(struct bytes *o, unsigned len)
{
	put_num(o, len, 0);
	return o->n;
}

/* The bytes written since begin_len() returned at. */
static inline void end_len(struct bytes *o, size_t at, unsigned len)
{
	size_t v = o->n - at;

	for (unsigned i = 0; i < len; i++)
		o->b[at - len + i] = (uint8_t)(v >> (8 * (len - 1 - i)));
}

#endif
