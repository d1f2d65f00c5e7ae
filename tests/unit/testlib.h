/*
 * testlib.h - what the unit tests share (tests/unit/testlib.c; linked into
 * every test program; see tests/unit/README.md):
 *
 *  - building wire bytes.  Two styles over the same bytes:
 *    a write-side cursor, struct bytes, for flat frames written front to
 *    back (put, put_num, fill; lengths reserved with begin_len and written
 *    by end_len once what they count is written, or, for a header whose
 *    length counts layers written later, put_len_to_end and bytes_end);
 *    and slices joined from parts (sl_num, sl_vec, SL_JOIN ...) for nested
 *    TLS structures, where a vector is simplest written as vec(body).
 *    Slices live in an arena freed by tl_arena_free (a cmocka teardown).
 *  - fixtures: tl_read_file, tl_fixture_der (tests/fixtures/chain/).
 *  - drivers: tl_each_truncation (every proper prefix, each in a heap
 *    block of exactly its size, so ASan sees any overread), tl_each_flip
 *    (every byte XORed with 0x01, 0x80 and 0xff), tl_rand (reproducible
 *    noise for random flips and splits).
 *
 * Failures are cmocka failures: include after <cmocka.h>.  Run the tests
 * from the repository root (fixture paths are relative to it).
 */
#ifndef TESTLIB_H
#define TESTLIB_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "cs_common.h"

/* ---- a write-side cursor ---------------------------------------------------- */

struct bytes {
	uint8_t b[16384];
	size_t n;
	struct {
		size_t at, from, plus;
		bool le;
	} fix[32]; /* put_len_to_end's lengths, written by bytes_end */
	size_t nfix;
};

void put(struct bytes *o, const void *p, size_t n);
/* A big-endian number of len (1..4) bytes. */
void put_num(struct bytes *o, unsigned len, uint32_t v);
void put8(struct bytes *o, unsigned v);
void put16(struct bytes *o, unsigned v);
void put32(struct bytes *o, uint32_t v);
void fill(struct bytes *o, unsigned v, size_t n);
/* A big-endian length of len (1..3) bytes, written by end_len() once known:
 * the bytes written since begin_len() returned at. */
size_t begin_len(struct bytes *o, unsigned len);
void end_len(struct bytes *o, size_t at, unsigned len);
/* A 16-bit length written by bytes_end(): the bytes from `from` to the end
 * of what is written by then, plus `plus`; big- or little-endian. */
void put_len_to_end(struct bytes *o, size_t from, size_t plus, bool le);
void bytes_end(struct bytes *o);

/* ---- slices joined from parts (freed by tl_arena_free) ------------------- */

/* p, kept until tl_arena_free() calls fn(p). */
void *tl_keep(void *p, void (*fn)(void *));
/* Forget the item kept last (p) without freeing it. */
void tl_unkeep(void *p);
int tl_arena_free(void **state);

struct cs_slice sl_bytes(const void *p, size_t n);
struct cs_slice sl_str(const char *s);
struct cs_slice sl_fill(uint8_t v, size_t n);
/* A big-endian number of 1..3 bytes. */
struct cs_slice sl_num(unsigned bytes, uint32_t v);
struct cs_slice sl_join(size_t k, const struct cs_slice *parts);
#define SL_JOIN(...)                                                                               \
	sl_join(sizeof((struct cs_slice[]){__VA_ARGS__}) / sizeof(struct cs_slice),                \
		(struct cs_slice[]){__VA_ARGS__})
/* n bytes of s from off (borrowed). */
struct cs_slice sl_sub(struct cs_slice s, size_t off, size_t n);
/* A TLS vector: a big-endian length of lb bytes, then the body. */
struct cs_slice sl_vec(unsigned lb, struct cs_slice body);

/* ---- fixtures ------------------------------------------------------------- */

#define TL_FIXTURES "tests/fixtures/chain/"

/* The whole file, in a malloc'ed block the caller frees; *n its size (a
 * NUL follows the last byte, not counted). */
uint8_t *tl_read_file(const char *path, size_t *n);
/* The whole file as a string (malloc'ed). */
char *tl_read_text(const char *path);
/* tests/fixtures/chain/<name>.der, as tl_read_file. */
uint8_t *tl_fixture_der(const char *name, size_t *n);

/* ---- drivers ---------------------------------------------------------------- */

typedef void (*tl_unit_fn)(const uint8_t *b, size_t n, void *ctx);

/* fn on b's first 0, 1, ... n - 1 bytes, each in a heap block of exactly
 * that size. */
void tl_each_truncation(const uint8_t *b, size_t n, tl_unit_fn fn, void *ctx);
/* fn on a heap copy of b (exactly n bytes) with one byte XORed with 0x01,
 * 0x80 or 0xff: every byte, each of the three. */
void tl_each_flip(const uint8_t *b, size_t n, tl_unit_fn fn, void *ctx);
/* xorshift32: the next number of a reproducible sequence (*state != 0). */
uint32_t tl_rand(uint32_t *state);

/* ---- fixtures with parameters (test_judge, test_diag) ------------------------ */

/* A cmocka test entry whose setup finds the test's parameters, a const
 * object (say, the options of the environment it makes), in *state. */
#define TL_TEST_WITH(f, setup, teardown, params)                                                   \
	cmocka_unit_test_prestate_setup_teardown(f, setup, teardown, (void *)(uintptr_t)(params))

/* ---- fixtures given a number by their test's entry (test_flow, test_defrag) -- */

/* In a setup of a TL_TEST_WITH entry whose params is a whole number (a
 * table size, a cap): a zeroed fixture of size bytes, put in *state; *param
 * the entry's number.  NULL (and *state untouched) when out of memory. */
void *tl_state_new(void **state, size_t size, uint32_t *param);
/* In its teardown: fin(fixture), then the fixture freed. */
int tl_state_free(void **state, void (*fin)(void *fixture));

#endif
