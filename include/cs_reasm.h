/*
 * cs_reasm.h - per-direction TCP reassembly of the first bytes of a stream.
 *
 * Embedded by value in each flow (no allocation until payload arrives).
 * Bytes are placed by sequence number into one pool buffer, relative to
 * base_seq (the first byte not yet consumed), with a short sorted list of
 * filled ranges: out-of-order segments wait for the hole before them,
 * retransmissions are recognised, and in overlaps the first copy of a byte
 * wins (a differing copy is counted).  All sequence arithmetic is modulo
 * 2^32.  The consumer (the TLS layer) reads the contiguous prefix and
 * consumes from the front.  A hole the receiver has acknowledged (so the
 * capture, not the network, lost it) is a permanent gap.
 */
#ifndef CS_REASM_H
#define CS_REASM_H

#include "cs_bufpool.h"
#include "cs_limits.h"

struct reasm_range {
	uint32_t start, end; /* offsets from base_seq, end exclusive */
};

struct reasm_stats {
	uint64_t overlap_differs;
	uint64_t retransmitted_bytes;
	uint64_t out_of_order_segments;
	uint64_t ranges_cap;   /* segments dropped: too many holes */
	uint64_t dir_cap;      /* segments cut at the per-direction cap */
	uint64_t memcap;       /* segments refused by the buffer budget */
};

struct reasm_dir {
	uint32_t base_seq;
	bool have_base;
	bool gap;      /* a permanent hole: nothing after it is delivered */
	bool limited;  /* a cap refused bytes: nothing after them is delivered */
	bool fin;
	uint32_t fin_seq;
	uint8_t nranges;
	struct reasm_range r[CS_REASM_MAX_RANGES];
	struct cs_buf buf;
};

void reasm_init(struct reasm_dir *d);
/* Anchor the stream: the next byte expected is seq (ISN+1 after a SYN). */
void reasm_set_base(struct reasm_dir *d, uint32_t seq);
/* Place a segment.  Without a base (mid-stream) the segment's seq becomes it. */
void reasm_push(struct reasm_dir *d, struct cs_bufpool *bp, uint32_t seq,
		struct cs_slice data, struct reasm_stats *st);
/* Bytes available in order from the front. */
struct cs_slice reasm_contiguous(const struct reasm_dir *d);
/* Drop n bytes from the front (n <= contiguous length). */
void reasm_consume(struct reasm_dir *d, size_t n);
/* The peer acknowledged up to ack: a hole before ack becomes a gap.
 * Returns true when this call turned the direction into a gap. */
bool reasm_ack(struct reasm_dir *d, uint32_t ack);
/* Data is waiting behind a hole (out-of-order bytes buffered). */
bool reasm_has_hole(const struct reasm_dir *d);
void reasm_release(struct reasm_dir *d, struct cs_bufpool *bp);

#endif
