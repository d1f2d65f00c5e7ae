/*
 * cs_cursor.h - the one bounds-checked reader of untrusted bytes.
 *
 * A cursor is (pointer, length, offset, sticky-bad).  Every read checks
 * the remaining length first.  A failed read leaves the offset where it
 * was, zeroes its output, and marks the cursor bad so that every later
 * read fails too: a parser may chain reads and test cur_ok() once.
 * Big-endian (network order) unless the name says le; the *_e variants
 * take the byte order at run time (pcapng sections carry their own).
 *
 * Give a cursor a complete unit (a packet, a record, a handshake message);
 * a short read then always means malformed or truncated, never "wait".
 * Ideas from s2n-tls stuffer, picotls ptls_decode_open_block, tcpdump extract.h.
 */
#ifndef CS_CURSOR_H
#define CS_CURSOR_H

#include "cs_common.h"

struct cs_cursor {
	const uint8_t *p;
	size_t len;
	size_t off;
	bool bad;
};

void cur_init(struct cs_cursor *c, const uint8_t *p, size_t len);
void cur_init_slice(struct cs_cursor *c, struct cs_slice s);

bool cur_u8(struct cs_cursor *c, uint8_t *v);
bool cur_u16(struct cs_cursor *c, uint16_t *v);
bool cur_u24(struct cs_cursor *c, uint32_t *v);
bool cur_u32(struct cs_cursor *c, uint32_t *v);
bool cur_u16le(struct cs_cursor *c, uint16_t *v);
bool cur_u32le(struct cs_cursor *c, uint32_t *v);
bool cur_u16e(struct cs_cursor *c, bool le, uint16_t *v);
bool cur_u32e(struct cs_cursor *c, bool le, uint32_t *v);

bool cur_peek_u8(const struct cs_cursor *c, size_t at, uint8_t *v);
bool cur_peek_u16(const struct cs_cursor *c, size_t at, uint16_t *v);
bool cur_peek_u24(const struct cs_cursor *c, size_t at, uint32_t *v);
/* The offset (from the cursor) of the first byte b at or after from, in
 * *at; false when there is none (a scan for a marker byte, e.g. the TLS
 * hunt's record type, without peeking byte by byte). */
bool cur_peek_find(const struct cs_cursor *c, size_t from, uint8_t b, size_t *at);

bool cur_skip(struct cs_cursor *c, size_t n);
/* Borrow the next n bytes. */
bool cur_take(struct cs_cursor *c, size_t n, struct cs_slice *out);
/* Copy the next n bytes into dst (dst must hold n). */
bool cur_copy(struct cs_cursor *c, void *dst, size_t n);
/* A child cursor over the next n bytes; the parent moves past them. */
bool cur_sub(struct cs_cursor *c, size_t n, struct cs_cursor *out);
/* TLS-style vector: a big-endian length of lenbytes (1..3), then that many bytes. */
bool cur_vec(struct cs_cursor *c, unsigned lenbytes, struct cs_cursor *out);
/* Borrow everything left. */
struct cs_slice cur_rest(const struct cs_cursor *c);

size_t cur_left(const struct cs_cursor *c);
size_t cur_pos(const struct cs_cursor *c);
bool cur_ok(const struct cs_cursor *c);
/* ok and fully consumed */
bool cur_end(const struct cs_cursor *c);
/* Mark bad explicitly (a semantic check failed). Returns false. */
bool cur_fail(struct cs_cursor *c);

#endif
