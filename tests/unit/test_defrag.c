/*
 * test_defrag.c - IPv4/IPv6 fragment reassembly: orders, overlaps (first
 * copy wins for IPv4, RFC 5722 for IPv6), exact duplicates, timeouts by
 * capture time, every cap (table, memory, ranges) and malformed fragments,
 * each counted.  Fragments are described as the decoder describes them;
 * their data lives in heap copies of exactly their size (ASan).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "cs_defrag.h"
#include "cs_limits.h"
#include "testlib.h"

#define SEC CS_NS_PER_SEC

static uint8_t datagram[4096];

static void fill_datagram(void)
{
	for (size_t i = 0; i < sizeof datagram; i++)
		datagram[i] = (uint8_t)(i * 7 + i / 251);
}

struct frag {
	struct cs_pkt p;
	uint8_t *copy;
};

/* Fragment [off, off + len) of datagram, from 192.0.2.src (or 2001:db8::src). */
static void frag_make(struct frag *f, int version, uint32_t id, unsigned src, uint32_t off,
		      uint32_t len, bool more)
{
	memset(f, 0, sizeof *f);
	f->p.src.family = f->p.dst.family = (uint8_t)version;
	f->p.src.a[15] = (uint8_t)src;
	f->p.dst.a[15] = 200;
	f->p.frag.version = (uint8_t)version;
	f->p.frag.proto = 6;
	f->p.frag.id = id;
	f->p.frag.offset = off;
	f->p.frag.more = more;
	f->copy = malloc(len ? len : 1);
	memcpy(f->copy, datagram + off, len);
	f->p.frag.data = (struct cs_slice){f->copy, len};
	f->p.frag.data_len = len;
}

/* A reassembler and its counters. */
struct dfix {
	struct defrag *df;
	struct defrag_stats st;
};

/* The fixture of most tests: a reassembler of 1 MiB for as many datagrams
 * as the test's entry in main() gives (DEFRAG_TEST). */
static int dfix_setup(void **state)
{
	uint32_t max_datagrams;
	struct dfix *x = tl_state_new(state, sizeof *x, &max_datagrams);

	if (!x)
		return -1;
	x->df = defrag_new(max_datagrams, 1 << 20);
	return x->df ? 0 : -1;
}

static void dfix_end(void *fixture) { defrag_free(((struct dfix *)fixture)->df); }

static int dfix_teardown(void **state) { return tl_state_free(state, dfix_end); }

#define DEFRAG_TEST(fn, max_datagrams) TL_TEST_WITH(fn, dfix_setup, dfix_teardown, max_datagrams)

/* Add one fragment; returns the datagram's length when it completed
 * (checking every byte), 0 otherwise. */
static size_t add(struct dfix *x, int version, uint32_t id, uint32_t off, uint32_t len, bool more,
		  int64_t now)
{
	struct frag f;
	struct cs_slice s;

	frag_make(&f, version, id, 1, off, len, more);
	s = defrag_add(x->df, &f.p, now, &x->st);
	free(f.copy);
	if (!s.p)
		return 0;
	assert_memory_equal(s.p, datagram, s.n);
	return s.n;
}

static void test_in_order_and_reversed(void **state)
{
	struct dfix *x = *state;

	assert_int_equal(add(x, 4, 1, 0, 1480, true, 0), 0);
	assert_int_equal(defrag_count(x->df), 1);
	assert_int_equal(add(x, 4, 1, 1480, 520, false, 0), 2000);
	assert_int_equal(defrag_count(x->df), 0);
	/* last first, then the middle, then the start */
	assert_int_equal(add(x, 6, 2, 2000, 100, false, 0), 0);
	assert_int_equal(add(x, 6, 2, 1000, 1000, true, 0), 0);
	assert_int_equal(add(x, 6, 2, 0, 1000, true, 0), 2100);
	/* a zero-length last fragment just says where the end is */
	assert_int_equal(add(x, 4, 3, 0, 800, true, 0), 0);
	assert_int_equal(add(x, 4, 3, 800, 0, false, 0), 800);
	assert_int_equal(x->st.overlaps + x->st.incomplete + x->st.malformed + x->st.cap, 0);
}

/* Eight fragments in a scrambled order complete exactly at the last one. */
static void test_shuffled(void **state)
{
	static const unsigned order[8] = {5, 2, 7, 0, 3, 6, 1, 4};
	struct dfix *x = *state;

	for (int i = 0; i < 8; i++) {
		uint32_t off = order[i] * 512;
		size_t n = add(x, 4, 9, off, 512, order[i] != 7, 0);

		assert_int_equal(n, i == 7 ? 4096 : 0);
	}
	assert_int_equal(x->st.overlaps, 0);
}

/* IPv6: the protocol is the first fragment's Next Header (RFC 8200 4.5). */
static void test_ipv6_first_next_header(void **state)
{
	struct dfix *x = *state;
	struct frag a, b;
	struct cs_slice s;

	frag_make(&a, 6, 7, 1, 0, 64, true);
	a.p.frag.proto = 60; /* destination options first */
	frag_make(&b, 6, 7, 1, 64, 36, false);
	b.p.frag.proto = 17;
	assert_null(defrag_add(x->df, &a.p, 0, &x->st).p);
	s = defrag_add(x->df, &b.p, 0, &x->st);
	assert_int_equal(s.n, 100);
	assert_int_equal(b.p.frag.proto, 60);
	free(a.copy), free(b.copy);
}

/* Datagrams are told apart by addresses, id, version and (IPv4) protocol. */
static void test_keys(void **state)
{
	struct dfix *x = *state;
	struct frag a, b, c, d;

	frag_make(&a, 4, 5, 1, 0, 800, true);
	frag_make(&b, 4, 5, 2, 800, 200, false); /* another source */
	frag_make(&c, 4, 5, 1, 800, 200, false);
	c.p.frag.proto = 17;                     /* another protocol */
	frag_make(&d, 6, 5, 1, 800, 200, false); /* another version */
	assert_null(defrag_add(x->df, &a.p, 0, &x->st).p);
	assert_null(defrag_add(x->df, &b.p, 0, &x->st).p);
	assert_null(defrag_add(x->df, &c.p, 0, &x->st).p);
	assert_null(defrag_add(x->df, &d.p, 0, &x->st).p);
	assert_int_equal(defrag_count(x->df), 4);
	c.p.frag.proto = 6;
	assert_int_equal(defrag_add(x->df, &c.p, 0, &x->st).n, 1000);
	free(a.copy), free(b.copy), free(c.copy), free(d.copy);
}

/* IPv4 overlap: the first copy of each byte wins, the overlap is counted. */
static void test_ipv4_overlap_first_wins(void **state)
{
	struct dfix *x = *state;
	struct frag evil;
	struct cs_slice s;

	assert_int_equal(add(x, 4, 1, 0, 808, true, 0), 0);
	frag_make(&evil, 4, 1, 1, 400, 808, true); /* rewrites bytes 400..808 */
	memset(evil.copy, 0xee, 808);
	assert_null(defrag_add(x->df, &evil.p, 0, &x->st).p);
	assert_int_equal(x->st.overlaps, 1);
	free(evil.copy);
	frag_make(&evil, 4, 1, 1, 1208, 100, false);
	s = defrag_add(x->df, &evil.p, 0, &x->st);
	assert_int_equal(s.n, 1308);
	assert_memory_equal(s.p, datagram, 808); /* the first copy */
	for (size_t i = 808; i < 1208; i++)
		assert_int_equal(s.p[i], 0xee); /* the hole the second filled */
	free(evil.copy);
}

/* IPv6 overlap drops the datagram (RFC 5722); an exact duplicate does not. */
static void test_ipv6_overlap_drops(void **state)
{
	struct dfix *x = *state;

	assert_int_equal(add(x, 6, 1, 0, 800, true, 0), 0);
	assert_int_equal(add(x, 6, 1, 0, 800, true, 0), 0); /* duplicate */
	assert_int_equal(x->st.overlaps, 1);
	assert_int_equal(defrag_count(x->df), 1);
	assert_int_equal(add(x, 6, 1, 800, 100, false, 0), 900);

	assert_int_equal(add(x, 6, 2, 0, 800, true, 0), 0);
	assert_int_equal(add(x, 6, 2, 400, 800, true, 0), 0); /* overlap */
	assert_int_equal(x->st.overlaps, 2);
	assert_int_equal(defrag_count(x->df), 0);
	/* what follows starts afresh and cannot complete without its start */
	assert_int_equal(add(x, 6, 2, 800, 100, false, 0), 0);
	assert_int_equal(defrag_count(x->df), 1);
	/* a changed duplicate is an overlap too */
	{
		struct frag f;

		frag_make(&f, 6, 3, 1, 0, 800, true);
		assert_null(defrag_add(x->df, &f.p, 0, &x->st).p);
		f.copy[5] ^= 1;
		assert_null(defrag_add(x->df, &f.p, 0, &x->st).p);
		free(f.copy);
	}
	assert_int_equal(x->st.overlaps, 3);
}

/* Capture time, not the wall clock: a datagram is given up after the
 * timeout, and a late fragment starts a new one. */
static void test_timeout(void **state)
{
	struct dfix *x = *state;
	int64_t t0 = 1700000000 * SEC;

	assert_int_equal(add(x, 4, 1, 0, 800, true, t0), 0);
	assert_int_equal(add(x, 4, 2, 0, 800, true, t0 + 10 * SEC), 0);
	defrag_expire(x->df, t0 + CS_DEFRAG_TIMEOUT_S * SEC, &x->st);
	assert_int_equal(defrag_count(x->df), 2); /* not older than the timeout */
	defrag_expire(x->df, t0 + CS_DEFRAG_TIMEOUT_S * SEC + 1, &x->st);
	assert_int_equal(defrag_count(x->df), 1);
	assert_int_equal(x->st.incomplete, 1);
	assert_int_equal(add(x, 4, 1, 800, 100, false, t0 + 31 * SEC), 0);
	assert_int_equal(add(x, 4, 2, 800, 100, false, t0 + 31 * SEC), 900);
	defrag_flush(x->df, &x->st);
	assert_int_equal(x->st.incomplete, 2);
	assert_int_equal(defrag_count(x->df), 0);
}

static void test_caps(void **state)
{
	(void)state;
	struct dfix t = {.df = defrag_new(2, 1 << 20)};
	struct dfix *x = &t;

	/* a full table evicts the oldest datagram */
	assert_int_equal(add(x, 4, 1, 0, 800, true, 1), 0);
	assert_int_equal(add(x, 4, 2, 0, 800, true, 2), 0);
	assert_int_equal(add(x, 4, 3, 0, 800, true, 3), 0);
	assert_int_equal(x->st.cap, 1);
	assert_int_equal(defrag_count(x->df), 2);
	assert_int_equal(add(x, 4, 1, 800, 8, false, 4), 0); /* 1 is gone */
	assert_int_equal(add(x, 4, 3, 800, 8, false, 5), 808);
	defrag_free(x->df);

	/* the memory budget: 2 KiB blocks, 4 KiB allowed */
	t = (struct dfix){.df = defrag_new(8, 4096)};
	assert_int_equal(add(x, 4, 1, 0, 2000, true, 0), 0);
	assert_int_equal(add(x, 4, 2, 0, 2000, true, 0), 0);
	assert_int_equal(add(x, 4, 3, 0, 1000, true, 0), 0);
	assert_int_equal(x->st.cap, 1);
	assert_int_equal(defrag_count(x->df), 2);
	defrag_free(x->df);

	/* holes: each disjoint fragment is one more range */
	t = (struct dfix){.df = defrag_new(8, 1 << 20)};
	for (uint32_t i = 0; i < CS_DEFRAG_MAX_RANGES; i++)
		assert_int_equal(add(x, 4, 1, 8 + i * 16, 8, true, 0), 0);
	assert_int_equal(x->st.cap, 0);
	assert_int_equal(add(x, 4, 1, 8 + CS_DEFRAG_MAX_RANGES * 16, 8, true, 0), 0);
	assert_int_equal(x->st.cap, 1);
	assert_int_equal(defrag_count(x->df), 0);
	/* filling a hole merges ranges and needs none */
	for (uint32_t i = 0; i < CS_DEFRAG_MAX_RANGES; i++)
		assert_int_equal(add(x, 4, 2, i * 16, 8, true, 0), 0);
	for (uint32_t i = 0; i + 1 < CS_DEFRAG_MAX_RANGES; i++)
		assert_int_equal(add(x, 4, 2, 8 + i * 16, 8, true, 0), 0);
	assert_int_equal(add(x, 4, 2, CS_DEFRAG_MAX_RANGES * 16 - 8, 8, false, 0),
			 CS_DEFRAG_MAX_RANGES * 16);
	assert_int_equal(x->st.cap, 1);
	defrag_free(x->df);
	assert_null(defrag_new(0, 4096));
}

static void test_malformed(void **state)
{
	struct dfix *x = *state;
	struct frag f;

	/* past 65535 bytes */
	frag_make(&f, 4, 1, 1, 0, 16, false);
	f.p.frag.offset = 65528;
	assert_null(defrag_add(x->df, &f.p, 0, &x->st).p);
	assert_int_equal(x->st.malformed, 1);
	free(f.copy);
	/* not the last, and not a multiple of 8 */
	assert_int_equal(add(x, 4, 2, 0, 801, true, 0), 0);
	assert_int_equal(x->st.malformed, 2);
	assert_int_equal(defrag_count(x->df), 0);
	/* two last fragments that disagree on the end */
	assert_int_equal(add(x, 4, 3, 800, 100, false, 0), 0);
	assert_int_equal(add(x, 4, 3, 800, 200, false, 0), 0);
	assert_int_equal(x->st.malformed, 3);
	assert_int_equal(defrag_count(x->df), 0);
	/* a fragment past the end already known */
	assert_int_equal(add(x, 4, 4, 800, 100, false, 0), 0);
	assert_int_equal(add(x, 4, 4, 1600, 800, true, 0), 0);
	assert_int_equal(x->st.malformed, 4);
	/* a last fragment that ends before bytes already held */
	assert_int_equal(add(x, 4, 5, 800, 800, true, 0), 0);
	assert_int_equal(add(x, 4, 5, 0, 808, false, 0), 0);
	assert_int_equal(x->st.malformed, 5);
	assert_int_equal(defrag_count(x->df), 0);
}

/* A fragment the snaplen cut is dropped: its datagram cannot complete. */
static void test_snaplen(void **state)
{
	struct dfix *x = *state;
	struct frag f;

	frag_make(&f, 4, 1, 1, 0, 800, true);
	f.p.frag.data.n = 500;
	assert_null(defrag_add(x->df, &f.p, 0, &x->st).p);
	assert_int_equal(defrag_count(x->df), 0);
	free(f.copy);
	assert_int_equal(add(x, 4, 1, 800, 100, false, 0), 0);
	defrag_flush(x->df, &x->st);
	assert_int_equal(x->st.incomplete, 1);
}

/* A fragment inside a reassembled datagram (a tunnel over fragmented IP)
 * may borrow the returned bytes: they stay valid through its own add. */
static void test_nested(void **state)
{
	struct dfix *x = *state;
	struct frag outer;
	struct cs_pkt inner;
	struct cs_slice s;

	assert_int_equal(add(x, 4, 1, 0, 1600, true, 0), 0);
	frag_make(&outer, 4, 1, 1, 1600, 400, false);
	s = defrag_add(x->df, &outer.p, 0, &x->st);
	assert_int_equal(s.n, 2000);
	free(outer.copy);
	memset(&inner, 0, sizeof inner);
	inner.src.family = inner.dst.family = 4;
	inner.frag = (struct cs_frag){.version = 4,
				      .proto = 6,
				      .depth = 1,
				      .id = 44,
				      .offset = 1000,
				      .more = false,
				      .data = {s.p + 1000, 1000},
				      .data_len = 1000};
	assert_null(defrag_add(x->df, &inner, 0, &x->st).p); /* copies from s first */
	inner.frag.offset = 0;
	inner.frag.more = true;
	inner.frag.data = (struct cs_slice){datagram, 1000};
	s = defrag_add(x->df, &inner, 0, &x->st);
	assert_int_equal(s.n, 2000);
	assert_memory_equal(s.p, datagram, 2000);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		DEFRAG_TEST(test_in_order_and_reversed, 16),
		DEFRAG_TEST(test_shuffled, 16),
		DEFRAG_TEST(test_ipv6_first_next_header, 16),
		DEFRAG_TEST(test_keys, 16),
		DEFRAG_TEST(test_ipv4_overlap_first_wins, 16),
		DEFRAG_TEST(test_ipv6_overlap_drops, 16),
		DEFRAG_TEST(test_timeout, 16),
		cmocka_unit_test(test_caps),
		DEFRAG_TEST(test_malformed, 8),
		DEFRAG_TEST(test_snaplen, 8),
		DEFRAG_TEST(test_nested, 8),
	};

	fill_datagram();
	return cmocka_run_group_tests(tests, NULL, NULL);
}
