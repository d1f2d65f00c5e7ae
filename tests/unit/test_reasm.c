/*
 * test_reasm.c - per-direction TCP reassembly (cs_reasm.h): in-order and
 * out-of-order delivery (every permutation), retransmissions (identical and
 * differing: the first copy of a byte wins), segments before the base,
 * 32-bit sequence wrap, the three caps (per-direction bytes, filled ranges,
 * buffer budget), consumption interleaved with pushes, ACK gap detection,
 * and two seeded random runs: a byte-level "first copy wins" model, and a
 * 200 KiB soak whose output must be the original stream exactly.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "cs_reasm.h"

#define BIG_MEMCAP ((size_t)64 * 1024 * 1024)

/* ---- helpers ------------------------------------------------------------ */

/* xorshift64*: a fixed seed per test, so every run is the same run. */
static uint64_t rng_state;

static void rng_seed(uint64_t seed) { rng_state = seed ? seed : 1; }

static uint64_t rng(void)
{
	rng_state ^= rng_state >> 12;
	rng_state ^= rng_state << 25;
	rng_state ^= rng_state >> 27;
	return rng_state * 0x2545f4914f6cdd1dULL;
}

static uint32_t rng_below(uint32_t n) { return (uint32_t)((rng() >> 32) % n); }

/* Bytes with no short period, so a misplaced byte cannot go unnoticed. */
static void pattern(uint8_t *b, size_t n, uint64_t seed)
{
	uint64_t saved = rng_state;

	rng_seed(seed);
	for (size_t i = 0; i < n; i++)
		b[i] = (uint8_t)(rng() >> 56);
	rng_state = saved;
}

/*
 * One direction under test: its buffer pool, its stats, and stream, bytes
 * patterned from the test's seed to push from (pattern() makes the same
 * first n bytes of a seed whatever the length, so a test reads as many as
 * it needs; seed 0 for a test that pushes bytes of its own).
 */
struct rig {
	struct cs_bufpool *bp;
	struct reasm_dir d;
	struct reasm_stats st;
	uint8_t stream[8192];
};

/* A fresh rig with a pool of memcap bytes; the direction not anchored yet. */
static void rig_start(struct rig *r, size_t memcap, uint64_t seed)
{
	r->bp = bufpool_new(memcap);
	assert_non_null(r->bp);
	memset(&r->st, 0, sizeof r->st);
	reasm_init(&r->d);
	if (seed)
		pattern(r->stream, sizeof r->stream, seed);
}

/* A fresh rig (BIG_MEMCAP) whose direction is anchored at base, as after
 * its SYN. */
static void rig_start_at(struct rig *r, uint64_t seed, uint32_t base)
{
	rig_start(r, BIG_MEMCAP, seed);
	reasm_set_base(&r->d, base);
}

/* The direction released (the pool got every byte back) and anchored again
 * at base, in the same pool. */
static void rig_restart_at(struct rig *r, uint32_t base)
{
	reasm_release(&r->d, r->bp);
	assert_int_equal(bufpool_in_use(r->bp), 0);
	reasm_init(&r->d);
	reasm_set_base(&r->d, base);
}

static void push(struct rig *r, uint32_t seq, const uint8_t *p, size_t n)
{
	struct cs_slice s = {p, n};

	reasm_push(&r->d, r->bp, seq, s, &r->st);
}

/* The first n bytes of what is contiguous, appended to out at *got and
 * consumed. */
static void take_front(struct rig *r, uint8_t *out, size_t *got, size_t n)
{
	struct cs_slice s = reasm_contiguous(&r->d);

	assert_true(n <= s.n);
	if (n)
		memcpy(out + *got, s.p, n);
	*got += n;
	reasm_consume(&r->d, n);
}

/* A random part of what is contiguous (none to all; no number drawn when
 * nothing is), taken as take_front does. */
static void take_random_part(struct rig *r, uint8_t *out, size_t *got)
{
	size_t n = reasm_contiguous(&r->d).n;

	if (n)
		take_front(r, out, got, rng_below((uint32_t)n + 1));
}

static bool ack(struct rig *r, uint32_t seq) { return reasm_ack(&r->d, seq, &r->st); }

static size_t skip_hole(struct rig *r, uint32_t seq) { return reasm_skip_hole(&r->d, seq, &r->st); }

static void assert_contiguous(const struct reasm_dir *d, const uint8_t *want, size_t n)
{
	struct cs_slice s = reasm_contiguous(d);

	assert_int_equal(s.n, n);
	if (n)
		assert_memory_equal(s.p, want, n);
}

/* Release the direction and check the pool got every byte back. */
static void rig_finish(struct rig *r)
{
	reasm_release(&r->d, r->bp);
	assert_int_equal(bufpool_in_use(r->bp), 0);
	bufpool_free(r->bp);
}

/* Most tests play one direction: a rig made by rig_up and finished by
 * rig_down (cmocka setup and teardown); the test patterns its stream with
 * rig_unanchored or rig_anchored. */
static int rig_up(void **state)
{
	static struct rig r;

	rig_start(&r, BIG_MEMCAP, 0);
	*state = &r;
	return 0;
}

static int rig_down(void **state)
{
	rig_finish(*state);
	return 0;
}

/* The test's rig (rig_up's), its stream patterned from seed, the direction
 * not anchored yet (no SYN seen). */
static struct rig *rig_unanchored(void **state, uint64_t seed)
{
	struct rig *r = *state;

	if (seed)
		pattern(r->stream, sizeof r->stream, seed);
	return r;
}

/* The test's rig, its direction anchored at base, as after its SYN. */
static struct rig *rig_anchored(void **state, uint64_t seed, uint32_t base)
{
	struct rig *r = rig_unanchored(state, seed);

	reasm_set_base(&r->d, base);
	return r;
}

static bool next_permutation(unsigned *a, unsigned n)
{
	unsigned i = n - 1, j = n - 1, t;

	while (i > 0 && a[i - 1] >= a[i])
		i--;
	if (i == 0)
		return false;
	while (a[j] <= a[i - 1])
		j--;
	t = a[i - 1], a[i - 1] = a[j], a[j] = t;
	for (j = n - 1; i < j; i++, j--)
		t = a[i], a[i] = a[j], a[j] = t;
	return true;
}

/* ---- in order, out of order ---------------------------------------------- */

static void test_in_order_segments_deliver_the_stream(void **state)
{
	static const size_t sizes[] = {1, 99, 1460, 7, 1460, 536, 2, 4000, 13};
	size_t at = 0;
	struct rig *r = rig_unanchored(state, 1);

	assert_contiguous(&r->d, NULL, 0);
	reasm_set_base(&r->d, 1000);
	reasm_set_base(&r->d, 5000); /* the first anchor stays */
	assert_int_equal(r->d.base_seq, 1000);
	for (size_t i = 0; i < CS_ARRAY_LEN(sizes); i++) {
		push(r, 1000 + (uint32_t)at, r->stream + at, sizes[i]);
		at += sizes[i];
		assert_contiguous(&r->d, r->stream, at);
		assert_false(reasm_has_hole(&r->d));
	}
	assert_int_equal(at, 7578);
	push(r, 1000 + (uint32_t)at, r->stream, 0); /* empty: nothing */
	assert_contiguous(&r->d, r->stream, at);
	assert_int_equal(r->st.out_of_order_segments, 0);
	assert_int_equal(r->st.retransmitted_bytes, 0);
	assert_int_equal(r->st.overlap_differs, 0);
	assert_false(r->d.limited);
	assert_false(r->d.gap);
}

static void test_first_segment_anchors_a_midstream_direction(void **state)
{
	struct rig *r = rig_unanchored(state, 2);

	push(r, 777777, r->stream + 100, 100); /* no SYN seen */
	assert_true(r->d.have_base);
	assert_int_equal(r->d.base_seq, 777777);
	assert_contiguous(&r->d, r->stream + 100, 100);
	/* what came before the anchor is treated as already consumed */
	push(r, 777777 - 100, r->stream, 100);
	assert_int_equal(r->st.retransmitted_bytes, 100);
	push(r, 777777 + 100, r->stream + 200, 100);
	assert_contiguous(&r->d, r->stream + 100, 200);
}

static void test_every_permutation_of_five_segments_reassembles(void **state)
{
	(void)state;
	static const uint32_t cut[6] = {0, 7, 8, 21, 30, 50}; /* sizes 7,1,13,9,20 */
	static const uint32_t bases[] = {1, 0xffffffe8u};     /* plain, and across 2^32 */
	unsigned perm[5], runs = 0;

	for (size_t bi = 0; bi < CS_ARRAY_LEN(bases); bi++) {
		for (unsigned i = 0; i < 5; i++)
			perm[i] = i;
		do {
			struct rig r;
			bool have[5] = {false};
			uint64_t ooo = 0;

			rig_start_at(&r, 3, bases[bi]);
			for (unsigned k = 0; k < 5; k++) {
				unsigned s = perm[k];
				uint32_t contig = 0;

				for (unsigned j = 0; j < 5 && have[j]; j++)
					contig = cut[j + 1];
				if (cut[s] > contig)
					ooo++;
				have[s] = true;
				push(&r, bases[bi] + cut[s], r.stream + cut[s],
				     cut[s + 1] - cut[s]);
				contig = 0;
				for (unsigned j = 0; j < 5 && have[j]; j++)
					contig = cut[j + 1];
				assert_contiguous(&r.d, r.stream, contig);
				{
					bool behind = false; /* a segment past the prefix */

					for (unsigned j = 0; j < 5; j++)
						behind |= have[j] && cut[j] >= contig;
					assert_int_equal(reasm_has_hole(&r.d), behind);
				}
			}
			assert_contiguous(&r.d, r.stream, 50);
			assert_false(reasm_has_hole(&r.d));
			assert_int_equal(r.d.nranges, 1);
			assert_int_equal(r.st.out_of_order_segments, ooo);
			assert_int_equal(r.st.retransmitted_bytes, 0);
			assert_int_equal(r.st.overlap_differs, 0);
			rig_finish(&r);
			runs++;
		} while (next_permutation(perm, 5));
	}
	assert_int_equal(runs, 2 * 120);
}

/*
 * Five overlapping segments, each with its own bytes, pushed in all 120
 * orders.  A byte-level model says what must come out: the first segment
 * to cover a byte owns it, every later covering byte is retransmitted, and
 * a differing copy is counted.  D spans B and fills the holes around it.
 */
static void test_every_permutation_of_differing_overlaps_keeps_first_copy(void **state)
{
	(void)state;
	static const uint32_t seg[5][2] = {
		{0, 10}, {14, 18}, {22, 26}, {4, 24}, {24, 30},
	};
	uint8_t src[5][30];
	unsigned perm[5], runs = 0;

	for (unsigned s = 0; s < 5; s++)
		pattern(src[s], 30, 100 + s); /* src[s][k] is segment s's byte k */
	for (unsigned i = 0; i < 5; i++)
		perm[i] = i;
	do {
		struct rig r;
		uint8_t model[30];
		bool covered[30] = {false};
		uint64_t retrans = 0;

		rig_start_at(&r, 0, 0xfffffff0u); /* and across the wrap */
		for (unsigned k = 0; k < 5; k++) {
			unsigned s = perm[k];
			uint64_t before = r.st.overlap_differs;
			bool differs = false;

			for (uint32_t b = seg[s][0]; b < seg[s][1]; b++) {
				if (covered[b]) {
					retrans++;
					differs |= model[b] != src[s][b];
				} else {
					covered[b] = true;
					model[b] = src[s][b];
				}
			}
			push(&r, 0xfffffff0u + seg[s][0], src[s] + seg[s][0],
			     seg[s][1] - seg[s][0]);
			assert_int_equal(r.st.retransmitted_bytes, retrans);
			assert_int_equal(r.st.overlap_differs > before, differs);
		}
		assert_contiguous(&r.d, model, 30);
		assert_false(reasm_has_hole(&r.d));
		rig_finish(&r);
		runs++;
	} while (next_permutation(perm, 5));
	assert_int_equal(runs, 120);
}

static void test_every_permutation_of_identical_overlaps_is_not_differing(void **state)
{
	(void)state;
	static const uint32_t seg[4][2] = {{0, 12}, {8, 20}, {3, 5}, {12, 40}};
	unsigned perm[4];

	for (unsigned i = 0; i < 4; i++)
		perm[i] = i;
	do {
		struct rig r;

		rig_start_at(&r, 4, 42);
		for (unsigned k = 0; k < 4; k++) {
			unsigned s = perm[k];

			push(&r, 42 + seg[s][0], r.stream + seg[s][0], seg[s][1] - seg[s][0]);
		}
		assert_contiguous(&r.d, r.stream, 40);
		assert_int_equal(r.st.overlap_differs, 0);
		/* 12+12+2+28 bytes sent for 40: 14 were copies, whatever the order */
		assert_int_equal(r.st.retransmitted_bytes, 14);
		rig_finish(&r);
	} while (next_permutation(perm, 4));
}

/* ---- retransmissions -------------------------------------------------------- */

static void test_duplicate_retransmission_counts_bytes_output_unchanged(void **state)
{
	struct rig *r = rig_anchored(state, 5, 9);

	push(r, 9, r->stream, 1000);
	push(r, 1009, r->stream + 1000, 1000);
	push(r, 2009, r->stream + 2000, 1000);
	push(r, 1009, r->stream + 1000, 1000); /* the middle one again */
	assert_int_equal(r->st.retransmitted_bytes, 1000);
	assert_int_equal(r->st.overlap_differs, 0);
	assert_int_equal(r->st.out_of_order_segments, 0);
	assert_contiguous(&r->d, r->stream, 3000);
	push(r, 9, r->stream, 3000); /* everything again, as one */
	assert_int_equal(r->st.retransmitted_bytes, 4000);
	assert_contiguous(&r->d, r->stream, 3000);
	assert_int_equal(r->d.nranges, 1);
}

static void test_differing_retransmission_keeps_first_copy(void **state)
{
	const uint8_t *hello = (const uint8_t *)"hello world";
	struct rig *r = rig_anchored(state, 0, 100);

	push(r, 100, hello, 11);
	push(r, 100, (const uint8_t *)"HELLO", 5);
	assert_contiguous(&r->d, hello, 11);
	assert_int_equal(r->st.overlap_differs, 1);
	assert_int_equal(r->st.retransmitted_bytes, 5);
	/* overlapping the tail: "rld" stays, the new "abc" is appended */
	push(r, 108, (const uint8_t *)"XYZabc", 6);
	assert_contiguous(&r->d, (const uint8_t *)"hello worldabc", 14);
	assert_int_equal(r->st.overlap_differs, 2);
	assert_int_equal(r->st.retransmitted_bytes, 8);
	/* a differing copy of one byte in the middle */
	push(r, 104, (const uint8_t *)"0", 1);
	assert_contiguous(&r->d, (const uint8_t *)"hello worldabc", 14);
	assert_int_equal(r->st.overlap_differs, 3);
	/* an identical copy is a retransmission, not a differing one */
	push(r, 101, (const uint8_t *)"ello", 4);
	assert_int_equal(r->st.overlap_differs, 3);
	assert_int_equal(r->st.retransmitted_bytes, 13);
}

static void test_overlap_spanning_several_ranges_fills_only_the_holes(void **state)
{
	uint8_t xs[60], want[65];
	const uint32_t base = 0xffffffd0u; /* offset 48 is sequence 0 */
	struct rig *r = rig_anchored(state, 6, base);

	memset(xs, 'X', sizeof xs);
	push(r, base + 10, r->stream + 10, 10); /* [10,20) */
	push(r, base + 30, r->stream + 30, 10); /* [30,40) */
	push(r, base + 50, r->stream + 50, 10); /* [50,60) */
	assert_int_equal(r->d.nranges, 3);
	assert_int_equal(r->st.out_of_order_segments, 3);
	/* [5,65) of different bytes: the three ranges keep theirs, the holes
	 * [5,10) [20,30) [40,50) [60,65) take the new ones, all in one range */
	push(r, base + 5, xs, 60);
	assert_int_equal(r->d.nranges, 1);
	assert_int_equal(r->d.r[0].start, 5);
	assert_int_equal(r->d.r[0].end, 65);
	assert_int_equal(r->st.retransmitted_bytes, 30);
	assert_true(r->st.overlap_differs >= 1);
	assert_true(reasm_has_hole(&r->d));
	assert_contiguous(&r->d, NULL, 0);
	push(r, base, r->stream, 5);
	memcpy(want, r->stream, 65);
	memset(want + 5, 'X', 5);
	memset(want + 20, 'X', 10);
	memset(want + 40, 'X', 10);
	memset(want + 60, 'X', 5);
	assert_contiguous(&r->d, want, 65);
	assert_false(reasm_has_hole(&r->d));
}

static void test_identical_overlap_spanning_ranges_is_not_differing(void **state)
{
	struct rig *r = rig_anchored(state, 7, 0);

	for (uint32_t off = 10; off < 80; off += 20)
		push(r, off, r->stream + off, 10); /* 10,30,50,70 */
	assert_int_equal(r->d.nranges, 4);
	push(r, 0, r->stream, 80);
	assert_contiguous(&r->d, r->stream, 80);
	assert_int_equal(r->d.nranges, 1);
	assert_int_equal(r->st.overlap_differs, 0);
	assert_int_equal(r->st.retransmitted_bytes, 40);
}

static void test_one_byte_segments_in_any_order(void **state)
{
	struct rig *r = rig_anchored(state, 8, 0x7fffff9cu); /* crosses the signed midpoint */

	/* in order */
	for (uint32_t i = 0; i < 200; i++) {
		push(r, 0x7fffff9cu + i, r->stream + i, 1);
		assert_contiguous(&r->d, r->stream, i + 1);
	}
	/* backwards: one growing range, nothing delivered until byte 0 */
	rig_restart_at(r, 5);
	for (uint32_t i = 200; i-- > 1;) {
		push(r, 5 + i, r->stream + i, 1);
		assert_contiguous(&r->d, NULL, 0);
		assert_int_equal(r->d.nranges, 1);
	}
	push(r, 5, r->stream, 1);
	assert_contiguous(&r->d, r->stream, 200);
	/* even bytes first (seven holes, eight ranges), then the odd ones */
	rig_restart_at(r, 5);
	for (uint32_t i = 2; i <= 14; i += 2)
		push(r, 5 + i, r->stream + i, 1);
	assert_int_equal(r->d.nranges, 7);
	for (uint32_t i = 1; i <= 13; i += 2)
		push(r, 5 + i, r->stream + i, 1);
	assert_int_equal(r->d.nranges, 1);
	assert_contiguous(&r->d, NULL, 0);
	push(r, 5, r->stream, 1);
	push(r, 5 + 15, r->stream + 15, 185);
	assert_contiguous(&r->d, r->stream, 200);
	assert_int_equal(r->st.ranges_cap, 0);
	assert_int_equal(r->st.retransmitted_bytes, 0);
}

static void test_segment_before_base_is_trimmed_and_counted(void **state)
{
	const uint32_t b = 3;
	uint8_t seg[20];
	struct rig *r = rig_anchored(state, 9, b);

	/* 10 bytes from before the base (the SYN side), then stream[0..10) */
	memset(seg, 0xee, 10);
	memcpy(seg + 10, r->stream, 10);
	push(r, b - 10, seg, 20); /* b - 10 wraps below zero */
	assert_int_equal(r->st.retransmitted_bytes, 10);
	assert_contiguous(&r->d, r->stream, 10);
	/* wholly before the base: counted, nothing changes */
	push(r, b - 30, seg, 10);
	assert_int_equal(r->st.retransmitted_bytes, 20);
	assert_contiguous(&r->d, r->stream, 10);
	/* ending exactly at the base */
	push(r, b - 10, seg, 10);
	assert_int_equal(r->st.retransmitted_bytes, 30);
	assert_contiguous(&r->d, r->stream, 10);
	/* after a consume, a copy of consumed and new bytes keeps only the new */
	reasm_consume(&r->d, 10);
	assert_int_equal(r->d.base_seq, b + 10);
	push(r, b, r->stream, 15);
	assert_int_equal(r->st.retransmitted_bytes, 40);
	assert_contiguous(&r->d, r->stream + 10, 5);
	assert_int_equal(r->st.overlap_differs, 0);
	assert_int_equal(r->st.out_of_order_segments, 0);
}

/* ---- sequence wrap ---------------------------------------------------------- */

static void test_sequence_wrap_in_and_out_of_order(void **state)
{
	(void)state;
	static const uint32_t isns[] = {0xffffffffu, 0xfffffffeu, 0xfffffff0u, 0xffffff00u};

	for (size_t t = 0; t < CS_ARRAY_LEN(isns); t++) {
		uint32_t base = isns[t] + 1; /* ISN+1 after the SYN; 0 for the first */
		unsigned order[64];
		struct rig r;

		/* in order, 8-byte segments */
		rig_start_at(&r, 10, base);
		for (uint32_t off = 0; off < 512; off += 8)
			push(&r, base + off, r.stream + off, 8);
		assert_contiguous(&r.d, r.stream, 512);
		/* shuffled within windows of eight (seeded), so at most five
		 * ranges; a consume across the wrap on the way */
		rng_seed(0xc0ffee + t);
		for (unsigned lo = 0; lo < 64; lo += 8) {
			for (unsigned i = 0; i < 8; i++)
				order[lo + i] = lo + i;
			for (unsigned i = 7; i > 0; i--) {
				unsigned j = rng_below(i + 1), x = order[lo + i];

				order[lo + i] = order[lo + j], order[lo + j] = x;
			}
		}
		rig_restart_at(&r, base);
		for (unsigned i = 0; i < 64; i++) {
			unsigned s = order[i];

			push(&r, base + s * 8, r.stream + s * 8, 8);
			if (i == 31) {
				assert_contiguous(&r.d, r.stream, 256);
				reasm_consume(&r.d, 200);
				assert_int_equal(r.d.base_seq, base + 200);
			}
		}
		assert_contiguous(&r.d, r.stream + 200, 312);
		assert_int_equal(r.st.ranges_cap, 0);
		assert_int_equal(r.st.retransmitted_bytes, 0);
		rig_finish(&r);
	}
}

static void test_data_across_wrap_pushed_before_the_base_segment(void **state)
{
	struct rig *r = rig_anchored(state, 11, 0xfffffff6u); /* 10 bytes before the wrap */

	push(r, 0x0000000au, r->stream + 20, 20); /* after the wrap */
	push(r, 0x00000000u, r->stream + 10, 10); /* sequence 0 */
	assert_true(reasm_has_hole(&r->d));
	assert_contiguous(&r->d, NULL, 0);
	assert_int_equal(r->st.out_of_order_segments, 2);
	push(r, 0xfffffff6u, r->stream, 10);
	assert_contiguous(&r->d, r->stream, 40);
	assert_false(reasm_has_hole(&r->d));
	/* the ACK for exactly the end (sequence 30) is no gap */
	assert_false(ack(r, 30));
	assert_true(ack(r, 31));
}

/* ---- caps ---------------------------------------------------------------------- */

static uint8_t big[CS_FLOW_DIR_CAP + 4096];

static void push_prefix(struct rig *r, uint32_t base, size_t n)
{
	for (size_t at = 0; at < n; at += 65536)
		push(r, base + (uint32_t)at, big + at, n - at < 65536 ? n - at : 65536);
}

static void test_segment_crossing_dir_cap_is_cut_and_limits_the_direction(void **state)
{
	const uint32_t base = 0xfff00000u; /* the cap falls after the wrap */
	struct rig *r = rig_anchored(state, 0, base);

	pattern(big, sizeof big, 12);
	push_prefix(r, base, CS_FLOW_DIR_CAP - 100);
	assert_int_equal(r->st.dir_cap, 0);
	assert_false(r->d.limited);
	push(r, base + CS_FLOW_DIR_CAP - 100, big + CS_FLOW_DIR_CAP - 100, 200);
	assert_int_equal(r->st.dir_cap, 1);
	assert_contiguous(&r->d, big, CS_FLOW_DIR_CAP); /* up to the cap, not beyond */
	assert_true(r->d.limited);
	/* once limited, nothing beyond the cut is ever delivered: not the next
	 * segment, not a retransmission of the cut bytes, even after the
	 * consumer made room */
	reasm_consume(&r->d, CS_FLOW_DIR_CAP);
	push(r, base + CS_FLOW_DIR_CAP + 100, big + CS_FLOW_DIR_CAP + 100, 100);
	push(r, base + CS_FLOW_DIR_CAP, big + CS_FLOW_DIR_CAP, 100);
	assert_contiguous(&r->d, NULL, 0);
	assert_false(reasm_has_hole(&r->d));
	assert_true(r->d.limited);
	assert_int_equal(r->st.memcap, 0);
}

static void test_segment_starting_at_dir_cap_limits_the_direction(void **state)
{
	struct rig *r = rig_anchored(state, 0, 0);

	pattern(big, sizeof big, 13);
	push(r, 0, big, 100);
	push(r, CS_FLOW_DIR_CAP, big + CS_FLOW_DIR_CAP, 10);
	assert_int_equal(r->st.dir_cap, 1);
	assert_true(r->d.limited);
	assert_contiguous(&r->d, big, 100);
	assert_false(reasm_has_hole(&r->d));
	assert_int_equal(bufpool_in_use(r->bp), 2048); /* nothing was sized by it */
	/* one byte short of the cap is still buffered (in a fresh direction) */
	rig_restart_at(r, 0);
	push(r, CS_FLOW_DIR_CAP - 1, big + CS_FLOW_DIR_CAP - 1, 1);
	assert_false(r->d.limited);
	assert_int_equal(r->st.dir_cap, 1);
	assert_true(reasm_has_hole(&r->d));
}

static void test_exactly_dir_cap_bytes_fit(void **state)
{
	struct rig *r = rig_anchored(state, 0, 1);

	pattern(big, sizeof big, 14);
	push_prefix(r, 1, CS_FLOW_DIR_CAP);
	assert_contiguous(&r->d, big, CS_FLOW_DIR_CAP);
	assert_int_equal(r->st.dir_cap, 0);
	assert_false(r->d.limited);
	/* the cap is on bytes held, so consuming makes room again */
	reasm_consume(&r->d, 4096);
	push(r, 1 + CS_FLOW_DIR_CAP, big + CS_FLOW_DIR_CAP, 4096);
	assert_contiguous(&r->d, big + 4096, CS_FLOW_DIR_CAP);
	assert_int_equal(r->st.dir_cap, 0);
}

static void test_too_many_holes_drops_segments_without_corruption(void **state)
{
	struct rig *r = rig_anchored(state, 15, 1000);

	/* [5,10) [15,20) ... [75,80): eight ranges, the front missing */
	for (uint32_t off = 5; off < 80; off += 10)
		push(r, 1000 + off, r->stream + off, 5);
	assert_int_equal(r->d.nranges, CS_REASM_MAX_RANGES);
	/* a ninth island is dropped whole and counted */
	push(r, 1085, r->stream + 85, 5);
	assert_int_equal(r->st.ranges_cap, 1);
	assert_int_equal(r->d.nranges, CS_REASM_MAX_RANGES);
	assert_int_equal(r->d.r[7].end, 80);
	/* a segment touching a range still extends it */
	push(r, 1080, r->stream + 80, 2);
	assert_int_equal(r->d.r[7].end, 82);
	/* and the front fills, merging: still full */
	push(r, 1000, r->stream, 5);
	assert_contiguous(&r->d, r->stream, 10);
	assert_int_equal(r->d.nranges, CS_REASM_MAX_RANGES);
	push(r, 1085, r->stream + 85, 5);
	assert_int_equal(r->st.ranges_cap, 2);
	/* a segment bridging two ranges frees a slot; the island then fits */
	push(r, 1010, r->stream + 10, 5);
	assert_int_equal(r->d.nranges, CS_REASM_MAX_RANGES - 1);
	push(r, 1085, r->stream + 85, 5);
	assert_int_equal(r->st.ranges_cap, 2);
	assert_int_equal(r->d.nranges, CS_REASM_MAX_RANGES);
	/* fill everything; the result is the stream, byte for byte */
	for (uint32_t off = 20; off < 80; off += 10)
		push(r, 1000 + off, r->stream + off, 5);
	push(r, 1082, r->stream + 82, 3);
	push(r, 1090, r->stream + 90, 110);
	assert_contiguous(&r->d, r->stream, 200);
	assert_false(reasm_has_hole(&r->d));
	assert_int_equal(r->st.ranges_cap, 2);
	assert_int_equal(r->st.retransmitted_bytes, 0);
	assert_false(r->d.limited);
}

static void test_tiny_memcap_refuses_and_counts(void **state)
{
	(void)state;
	struct rig r;

	rig_start(&r, 1024, 16); /* below the smallest block */
	reasm_set_base(&r.d, 0);
	push(&r, 0, r.stream, 10);
	assert_int_equal(r.st.memcap, 1);
	assert_int_equal(bufpool_refusals(r.bp), 1);
	assert_true(r.d.limited);
	assert_contiguous(&r.d, NULL, 0);
	push(&r, 10, r.stream + 10, 10); /* limited: not even tried */
	assert_int_equal(r.st.memcap, 1);
	rig_finish(&r);

	/* 6 KiB: 2 KiB then 4 KiB (both held during the copy), not 8 KiB */
	rig_start(&r, 6 * 1024, 16);
	reasm_set_base(&r.d, 0);
	push(&r, 0, r.stream, 2000);
	push(&r, 2000, r.stream + 2000, 2000);
	assert_int_equal(r.st.memcap, 0);
	push(&r, 4000, r.stream + 4000, 1000);
	assert_int_equal(r.st.memcap, 1);
	assert_true(r.d.limited);
	assert_contiguous(&r.d, r.stream, 4000); /* what was held is intact */
	reasm_consume(&r.d, 1000);
	assert_contiguous(&r.d, r.stream + 1000, 3000);
	rig_finish(&r);
}

/* ---- consume ----------------------------------------------------------------- */

static void test_consume_in_pieces_interleaved_with_pushes(void **state)
{
	uint8_t out[3000];
	size_t got = 0;
	struct rig *r = rig_anchored(state, 17, 0xffffff00u);

	/* a hand-made case: an out-of-order range shifts with the consume */
	push(r, 0xffffff00u, r->stream, 100);
	push(r, 0xffffff00u + 200, r->stream + 200, 100);
	reasm_consume(&r->d, 0);   /* nothing */
	reasm_consume(&r->d, 101); /* more than there is: nothing */
	assert_contiguous(&r->d, r->stream, 100);
	reasm_consume(&r->d, 50);
	assert_contiguous(&r->d, r->stream + 50, 50);
	assert_true(reasm_has_hole(&r->d));
	push(r, 0xffffff00u + 100, r->stream + 100, 100);
	assert_contiguous(&r->d, r->stream + 50, 250);
	reasm_consume(&r->d, 250);
	assert_contiguous(&r->d, NULL, 0);
	assert_false(reasm_has_hole(&r->d));
	assert_int_equal(r->d.nranges, 0);
	memcpy(out, r->stream, 300);
	got = 300;
	/* then 100-byte segments, pairs swapped, with uneven consumes between */
	rng_seed(17);
	for (uint32_t k = 3; k < 30; k += 2) {
		uint32_t second = k + 1; /* pushed before k (none after 29) */

		if (second < 30)
			push(r, 0xffffff00u + second * 100, r->stream + second * 100, 100);
		take_random_part(r, out, &got);
		push(r, 0xffffff00u + k * 100, r->stream + k * 100, 100);
		take_random_part(r, out, &got);
	}
	take_front(r, out, &got, reasm_contiguous(&r->d).n);
	assert_int_equal(got, 3000);
	assert_memory_equal(out, r->stream, 3000);
	assert_int_equal(r->d.base_seq, 0xffffff00u + 3000);
	assert_int_equal(r->st.retransmitted_bytes, 0);
}

/* ---- ACK gap detection -------------------------------------------------------- */

static void test_ack_beyond_a_hole_makes_a_gap(void **state)
{
	struct rig *r = rig_anchored(state, 18, 500);

	push(r, 500, r->stream, 100);
	push(r, 700, r->stream + 200, 100); /* [100,200) missing */
	assert_false(ack(r, 550));          /* behind the end */
	assert_false(ack(r, 600));          /* exactly the contiguous end */
	assert_false(r->d.gap);
	assert_true(ack(r, 650)); /* into the hole: the capture lost it */
	assert_true(r->d.gap);
	assert_false(ack(r, 800)); /* already a gap: not "turned" again */
	/* the bytes before the gap are still there; nothing more is taken */
	assert_contiguous(&r->d, r->stream, 100);
	push(r, 600, r->stream + 100, 100);
	assert_contiguous(&r->d, r->stream, 100);
}

static void test_ack_beyond_all_data_with_no_hole_is_a_gap(void **state)
{
	struct rig *r = rig_unanchored(state, 19);

	assert_false(ack(r, 12345)); /* no base yet: nothing to judge */
	reasm_set_base(&r->d, 0);
	assert_false(ack(r, 0));
	push(r, 0, r->stream, 100);
	assert_false(ack(r, 100));
	assert_false(ack(r, 0xfffffff0u)); /* behind, across the wrap */
	/* an ACK from far away (another connection, garbage) is ignored */
	assert_false(ack(r, 100 + 4 * CS_FLOW_DIR_CAP + 1));
	assert_false(r->d.gap);
	/* the receiver got a segment we never saw after the last one */
	assert_true(ack(r, 101));
	assert_true(r->d.gap);
}

static void test_ack_covering_only_a_fin_is_not_a_gap(void **state)
{
	struct rig *r = rig_anchored(state, 20, 0xffffffc0u);

	push(r, 0xffffffc0u, r->stream, 100); /* ends at sequence 0x24 */
	r->d.fin = true;
	r->d.fin_seq = 0x24;
	assert_false(ack(r, 0x25)); /* the FIN's own number */
	assert_false(r->d.gap);
	assert_true(ack(r, 0x26)); /* one more: a byte we never saw */

	/* a FIN sent after a hole does not excuse the hole */
	rig_restart_at(r, 0);
	push(r, 0, r->stream, 50);
	push(r, 60, r->stream + 60, 40);
	r->d.fin = true;
	r->d.fin_seq = 100;
	assert_true(ack(r, 101));

	/* without a FIN, the same one-past-the-end ACK is a gap */
	rig_restart_at(r, 0);
	push(r, 0, r->stream, 100);
	assert_true(ack(r, 101));
}

static void test_has_hole_reports_data_waiting_behind_a_hole(void **state)
{
	struct rig *r = rig_unanchored(state, 21);

	assert_false(reasm_has_hole(&r->d));
	reasm_set_base(&r->d, 0);
	assert_false(reasm_has_hole(&r->d));
	push(r, 10, r->stream + 10, 10);
	assert_true(reasm_has_hole(&r->d)); /* front missing */
	push(r, 0, r->stream, 10);
	assert_false(reasm_has_hole(&r->d));
	push(r, 30, r->stream + 30, 10);
	assert_true(reasm_has_hole(&r->d)); /* two ranges */
	reasm_consume(&r->d, 20);
	assert_true(reasm_has_hole(&r->d)); /* the range after the hole remains */
	push(r, 20, r->stream + 20, 10);
	assert_false(reasm_has_hole(&r->d));
	assert_contiguous(&r->d, r->stream + 20, 20);
}

static void test_release_returns_the_buffer_and_empties_the_direction(void **state)
{
	struct rig *r = rig_unanchored(state, 22);

	reasm_release(&r->d, r->bp); /* nothing held: fine */
	reasm_set_base(&r->d, 0);
	push(r, 0, r->stream, 3000);
	push(r, 4000, r->stream + 4000, 1000);
	assert_int_equal(bufpool_in_use(r->bp), 8192);
	reasm_release(&r->d, r->bp);
	assert_int_equal(bufpool_in_use(r->bp), 0);
	assert_contiguous(&r->d, NULL, 0);
	assert_false(reasm_has_hole(&r->d));
	reasm_release(&r->d, r->bp); /* twice: fine */
}

/* ---- seeded random runs -------------------------------------------------------- */

/*
 * Random segments with random bytes over a 400-byte window, random
 * consumes, ISNs near and away from the wrap.  The model is the contract
 * byte by byte: the first copy of a byte wins, every later copy is counted
 * as retransmitted, a segment touching no range while the range list is
 * full is dropped whole (only its part before the base still counted).
 */
#define MODEL_N 400

static void model_runs(const bool *cov, uint32_t from, uint32_t *runs, bool *touch, uint32_t s,
		       uint32_t e)
{
	*runs = 0;
	*touch = false;
	for (uint32_t i = from; i < MODEL_N;) {
		uint32_t a, b;

		if (!cov[i]) {
			i++;
			continue;
		}
		a = i;
		while (i < MODEL_N && cov[i])
			i++;
		b = i;
		(*runs)++;
		if (a <= e && s <= b)
			*touch = true;
	}
}

static void test_random_overlaps_match_first_copy_wins_model(void **state)
{
	(void)state;
	unsigned capped = 0;

	rng_seed(0x5eed0001);
	for (unsigned round = 0; round < 200; round++) {
		struct rig r;
		uint8_t val[MODEL_N];
		bool cov[MODEL_N] = {false};
		uint32_t consumed = 0;
		uint32_t isn = round % 3 == 0 ? 0xffffffffu - rng_below(MODEL_N) : (uint32_t)rng();

		rig_start_at(&r, 0, isn);
		for (unsigned step = 0; step < 80; step++) {
			uint32_t s = rng_below(MODEL_N), n = 1 + rng_below(rng_below(4) ? 24 : 120);
			uint32_t e = s + n > MODEL_N ? MODEL_N : s + n, s2, runs, contig;
			uint8_t data[120];
			struct reasm_stats before = r.st;
			uint64_t retrans = 0, ooo = 0, rcap = 0;
			bool differs = false, touch;
			struct cs_slice sl;

			n = e - s;
			for (uint32_t i = 0; i < n; i++)
				data[i] = (uint8_t)rng_below(
					4); /* small alphabet: some copies agree */
			s2 = s < consumed ? (e < consumed ? e : consumed) : s;
			retrans = s2 - s;
			if (s2 < e) {
				contig = consumed;
				while (contig < MODEL_N && cov[contig])
					contig++;
				if (s2 - consumed > contig - consumed)
					ooo = 1;
				model_runs(cov, consumed, &runs, &touch, s2, e);
				if (runs == CS_REASM_MAX_RANGES && !touch) {
					rcap = 1;
					capped++;
				} else {
					for (uint32_t i = s2; i < e; i++) {
						if (cov[i]) {
							retrans++;
							differs |= val[i] != data[i - s];
						} else {
							cov[i] = true;
							val[i] = data[i - s];
						}
					}
				}
			}
			push(&r, isn + s, data, n);
			assert_int_equal(r.st.retransmitted_bytes - before.retransmitted_bytes,
					 retrans);
			assert_int_equal(r.st.ranges_cap - before.ranges_cap, rcap);
			assert_int_equal(r.st.out_of_order_segments - before.out_of_order_segments,
					 ooo);
			assert_int_equal(r.st.overlap_differs > before.overlap_differs, differs);
			contig = consumed;
			while (contig < MODEL_N && cov[contig])
				contig++;
			assert_contiguous(&r.d, val + consumed, contig - consumed);
			model_runs(cov, consumed, &runs, &touch, 0, 0);
			assert_int_equal(r.d.nranges, runs);
			assert_int_equal(reasm_has_hole(&r.d),
					 runs > 1 || (runs == 1 && !cov[consumed]));
			sl = reasm_contiguous(&r.d);
			if (sl.n && rng_below(3) == 0) {
				uint32_t k = 1 + rng_below((uint32_t)sl.n);

				reasm_consume(&r.d, k);
				consumed += k;
				assert_int_equal(r.d.base_seq, isn + consumed);
			}
		}
		assert_int_equal(r.st.dir_cap, 0);
		assert_int_equal(r.st.memcap, 0);
		rig_finish(&r);
	}
	assert_true(capped > 0); /* the range cap was exercised too */
}

/*
 * 200 KiB of random bytes, cut at random (1 byte to ~3 KiB), shuffled in
 * windows of five segments, with duplicates of earlier segments and
 * retransmissions spanning several segments, consumed in random pieces.
 * No cap is hit, so the output must be the input exactly.
 */
#define SOAK_N (200u * 1024)

static void test_soak_random_segmentation_reorder_duplication_is_exact(void **state)
{
	(void)state;
	static uint8_t stream[SOAK_N], out[SOAK_N];
	static uint32_t cuts[SOAK_N + 1];
	static const uint32_t isns[] = {0x12345678u, 0xffffffffu - SOAK_N / 2, 0xfffffffeu,
					0,           0x7fffffffu - 1000,       0x9abcdef0u};

	pattern(stream, sizeof stream, 23);
	rng_seed(0x50a50a50a);
	for (size_t round = 0; round < CS_ARRAY_LEN(isns); round++) {
		struct rig r;
		uint32_t base = isns[round] + 1, nseg = 0, sent_hi = 0;
		size_t got = 0, rest;
		bool lazy = round == 3; /* this round consumes only at the end */

		cuts[0] = 0;
		while (cuts[nseg] < SOAK_N) {
			uint32_t len = rng_below(8) == 0 ? 1 + rng_below(8) : 1 + rng_below(2920);

			cuts[nseg + 1] = cuts[nseg] + len < SOAK_N ? cuts[nseg] + len : SOAK_N;
			nseg++;
		}
		rig_start_at(&r, 0, base);
		for (uint32_t blk = 0; blk < nseg; blk += 5) {
			uint32_t n = nseg - blk < 5 ? nseg - blk : 5, order[5];
			bool spanned = false;

			for (uint32_t i = 0; i < n; i++)
				order[i] = blk + i;
			for (uint32_t i = n - 1; i > 0; i--) {
				uint32_t j = rng_below(i + 1), x = order[i];

				order[i] = order[j], order[j] = x;
			}
			for (uint32_t i = 0; i < n; i++) {
				uint32_t k = order[i];
				struct cs_slice s;

				push(&r, base + cuts[k], stream + cuts[k], cuts[k + 1] - cuts[k]);
				if (cuts[k + 1] > sent_hi)
					sent_hi = cuts[k + 1];
				if (rng_below(8) == 0) { /* a copy of any segment sent */
					uint32_t j = rng_below(blk + i + 1);

					j = j < blk ? j : order[j - blk];
					push(&r, base + cuts[j], stream + cuts[j],
					     cuts[j + 1] - cuts[j]);
				}
				if (!spanned &&
				    rng_below(6) == 0) { /* one spanning copy per window */
					uint32_t a = sent_hi > 8000 ? sent_hi - 1 - rng_below(8000)
								    : rng_below(sent_hi);
					uint32_t len = 1 + rng_below(6000);
					uint32_t b = a + len < sent_hi ? a + len : sent_hi;

					push(&r, base + a, stream + a, b - a);
					spanned = true;
				}
				s = reasm_contiguous(&r.d);
				if (!lazy && s.n && rng_below(2) == 0) {
					uint32_t take = rng_below(3) == 0
								? (uint32_t)s.n
								: rng_below((uint32_t)s.n + 1);

					take_front(&r, out, &got, take);
				}
			}
		}
		rest = reasm_contiguous(&r.d).n;
		assert_int_equal(got + rest, SOAK_N);
		take_front(&r, out, &got, rest);
		assert_memory_equal(out, stream, SOAK_N);
		assert_false(reasm_has_hole(&r.d));
		assert_int_equal(r.d.nranges, 0);
		assert_int_equal(r.d.base_seq, base + SOAK_N);
		assert_int_equal(r.st.ranges_cap, 0);
		assert_int_equal(r.st.dir_cap, 0);
		assert_int_equal(r.st.memcap, 0);
		assert_int_equal(r.st.overlap_differs, 0);
		assert_false(r.d.limited);
		assert_false(r.d.gap);
		assert_true(r.st.retransmitted_bytes > 0);
		assert_true(r.st.out_of_order_segments > 0);
		rig_finish(&r);
	}
}

/* ---- repeated SYN-ACKs with different ISNs (issue 10, item 1) ------------ */

/* nDPI tls_multiple_synack_different_seq: three SYN-ACKs, the data follows
 * the last one's ISN: the direction switches to it, once. */
static void test_data_follows_a_later_synack(void **state)
{
	struct rig *r = rig_anchored(state, 31, 238755596u);

	reasm_alt_base(&r->d, 238755596u); /* the same SYN-ACK again: nothing */
	reasm_alt_base(&r->d, 2859879430u);
	reasm_alt_base(&r->d, 2829651201u);
	assert_int_equal(r->d.nalt, 2);
	push(r, 2829651201u + 200, r->stream + 200, 200); /* out of order */
	assert_int_equal(r->st.synack_switches, 1);
	assert_int_equal(r->d.base_seq, 2829651201u);
	push(r, 2829651201u, r->stream, 200);
	assert_contiguous(&r->d, r->stream, 400);
	assert_int_equal(r->st.synack_switches, 1);
	reasm_consume(&r->d, 400);
	assert_int_equal(r->d.nalt, 0); /* settled: no more switching */
}

/* The peer's ACK can tell first: the client acknowledges the ISN it got. */
static void test_ack_follows_a_later_synack(void **state)
{
	struct rig *r = rig_anchored(state, 32, 1000);

	reasm_alt_base(&r->d, 0x80000000u);
	assert_false(ack(r, 0x80000000u)); /* not a gap: a switch */
	assert_false(r->d.gap);
	assert_int_equal(r->st.synack_switches, 1);
	assert_int_equal(r->d.base_seq, 0x80000000u);
	push(r, 0x80000000u, r->stream, 100);
	assert_contiguous(&r->d, r->stream, 100);
}

/* The first SYN-ACK was the right one: later ones change nothing. */
static void test_first_synack_kept_when_data_continues_it(void **state)
{
	struct rig *r = rig_anchored(state, 33, 5000);

	reasm_alt_base(&r->d, 0x40000000u);
	push(r, 5000, r->stream, 100);
	assert_false(ack(r, 5100));
	assert_int_equal(r->st.synack_switches, 0);
	reasm_consume(&r->d, 100);
	/* delivered: bytes at the other ISN are now just out of the window */
	push(r, 0x40000000u, r->stream + 100, 100);
	assert_int_equal(r->st.synack_switches, 0);
	assert_int_equal(r->d.base_seq, 5100);
	assert_true(r->d.limited); /* beyond the per-direction cap, as before */
}

/* What the wrong base judged (a cap hit, a gap) is forgotten on a switch. */
static void test_switch_forgets_verdicts_of_the_wrong_base(void **state)
{
	struct rig *r = rig_anchored(state, 34, 0);

	reasm_alt_base(&r->d, 0x40000000u);
	assert_true(ack(r, 50)); /* a gap under the first base */
	push(r, 0x40000000u, r->stream, 100);
	assert_false(r->d.gap);
	assert_contiguous(&r->d, r->stream, 100);
}

static void test_synack_candidates_are_capped(void **state)
{
	(void)state;
	struct reasm_dir d;

	reasm_init(&d);
	reasm_alt_base(&d, 7); /* no base yet: nothing to compare with */
	assert_int_equal(d.nalt, 0);
	reasm_set_base(&d, 1);
	for (uint32_t i = 0; i < 2 * CS_REASM_MAX_ISNS; i++)
		reasm_alt_base(&d, 0x10000000u * (i + 1));
	assert_int_equal(d.nalt, CS_REASM_MAX_ISNS);
}

/* ---- a gap before TLS (issue 10, item 3) ---------------------------------- */

/* suricata-verify bug-2512: the proxy's reply (bytes 1..95) was not
 * captured; the client's ACK says so before any server byte arrives. */
static void test_skip_hole_with_nothing_buffered_resumes_at_the_ack(void **state)
{
	struct rig *r = rig_anchored(state, 35, 1);

	assert_int_equal(skip_hole(r, 96), 0); /* no gap: nothing to skip */
	assert_true(ack(r, 96));
	assert_int_equal(skip_hole(r, 96), 95);
	assert_false(r->d.gap);
	assert_int_equal(r->d.base_seq, 96);
	assert_int_equal(r->st.holes_skipped, 1);
	push(r, 96, r->stream, 300);
	assert_contiguous(&r->d, r->stream, 300);
}

/* Bytes after the hole are kept and become the front; bytes before it (a
 * partial record the hunt was waiting on) go. */
static void test_skip_hole_keeps_what_follows_the_hole(void **state)
{
	struct rig *r = rig_anchored(state, 36, 1000);

	push(r, 1000, r->stream, 40);
	push(r, 1100, r->stream + 100, 50);
	push(r, 1200, r->stream + 200, 100);
	assert_true(ack(r, 1060));
	assert_int_equal(skip_hole(r, 1060), 100);
	assert_int_equal(r->d.base_seq, 1100);
	assert_contiguous(&r->d, r->stream + 100, 50);
	assert_true(reasm_has_hole(&r->d));
	push(r, 1150, r->stream + 150, 50);
	assert_contiguous(&r->d, r->stream + 100, 200);
}

/* ---- half-close (issue 10, item 2): a FIN ends one direction only -------- */

static void test_fin_of_one_direction_leaves_the_other_open(void **state)
{
	(void)state;
	struct rig client, server;

	rig_start_at(&client, 37, 1);
	rig_start_at(&server, 37, 1);
	push(&client, 1, client.stream, 100);
	client.d.fin = true; /* the client closes its side after its hello */
	client.d.fin_seq = 101;
	assert_false(ack(&client, 102)); /* the server acks the FIN */
	push(&server, 1, server.stream + 100, 100);
	push(&server, 101, server.stream + 200, 100); /* the flight goes on */
	assert_contiguous(&server.d, server.stream + 100, 200);
	assert_false(ack(&server, 201)); /* the client's last ack */
	rig_finish(&server);
	rig_finish(&client);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_in_order_segments_deliver_the_stream, rig_up,
						rig_down),
		cmocka_unit_test_setup_teardown(test_first_segment_anchors_a_midstream_direction,
						rig_up, rig_down),
		cmocka_unit_test(test_every_permutation_of_five_segments_reassembles),
		cmocka_unit_test(test_every_permutation_of_differing_overlaps_keeps_first_copy),
		cmocka_unit_test(test_every_permutation_of_identical_overlaps_is_not_differing),
		cmocka_unit_test_setup_teardown(
			test_duplicate_retransmission_counts_bytes_output_unchanged, rig_up,
			rig_down),
		cmocka_unit_test_setup_teardown(test_differing_retransmission_keeps_first_copy,
						rig_up, rig_down),
		cmocka_unit_test_setup_teardown(
			test_overlap_spanning_several_ranges_fills_only_the_holes, rig_up,
			rig_down),
		cmocka_unit_test_setup_teardown(
			test_identical_overlap_spanning_ranges_is_not_differing, rig_up, rig_down),
		cmocka_unit_test_setup_teardown(test_one_byte_segments_in_any_order, rig_up,
						rig_down),
		cmocka_unit_test_setup_teardown(test_segment_before_base_is_trimmed_and_counted,
						rig_up, rig_down),
		cmocka_unit_test(test_sequence_wrap_in_and_out_of_order),
		cmocka_unit_test_setup_teardown(
			test_data_across_wrap_pushed_before_the_base_segment, rig_up, rig_down),
		cmocka_unit_test_setup_teardown(
			test_segment_crossing_dir_cap_is_cut_and_limits_the_direction, rig_up,
			rig_down),
		cmocka_unit_test_setup_teardown(
			test_segment_starting_at_dir_cap_limits_the_direction, rig_up, rig_down),
		cmocka_unit_test_setup_teardown(test_exactly_dir_cap_bytes_fit, rig_up, rig_down),
		cmocka_unit_test_setup_teardown(
			test_too_many_holes_drops_segments_without_corruption, rig_up, rig_down),
		cmocka_unit_test(test_tiny_memcap_refuses_and_counts),
		cmocka_unit_test_setup_teardown(test_consume_in_pieces_interleaved_with_pushes,
						rig_up, rig_down),
		cmocka_unit_test_setup_teardown(test_ack_beyond_a_hole_makes_a_gap, rig_up,
						rig_down),
		cmocka_unit_test_setup_teardown(test_ack_beyond_all_data_with_no_hole_is_a_gap,
						rig_up, rig_down),
		cmocka_unit_test_setup_teardown(test_ack_covering_only_a_fin_is_not_a_gap, rig_up,
						rig_down),
		cmocka_unit_test_setup_teardown(test_has_hole_reports_data_waiting_behind_a_hole,
						rig_up, rig_down),
		cmocka_unit_test_setup_teardown(
			test_release_returns_the_buffer_and_empties_the_direction, rig_up,
			rig_down),
		cmocka_unit_test(test_random_overlaps_match_first_copy_wins_model),
		cmocka_unit_test(test_soak_random_segmentation_reorder_duplication_is_exact),
		cmocka_unit_test_setup_teardown(test_data_follows_a_later_synack, rig_up, rig_down),
		cmocka_unit_test_setup_teardown(test_ack_follows_a_later_synack, rig_up, rig_down),
		cmocka_unit_test_setup_teardown(test_first_synack_kept_when_data_continues_it,
						rig_up, rig_down),
		cmocka_unit_test_setup_teardown(test_switch_forgets_verdicts_of_the_wrong_base,
						rig_up, rig_down),
		cmocka_unit_test(test_synack_candidates_are_capped),
		cmocka_unit_test_setup_teardown(
			test_skip_hole_with_nothing_buffered_resumes_at_the_ack, rig_up, rig_down),
		cmocka_unit_test_setup_teardown(test_skip_hole_keeps_what_follows_the_hole, rig_up,
						rig_down),
		cmocka_unit_test(test_fin_of_one_direction_leaves_the_other_open),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
