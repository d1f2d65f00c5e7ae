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
 * capture, not the network, lost it) is a permanent gap, unless the
 * consumer asks to skip it (reasm_skip_hole: plaintext before TLS, where
 * the next record can be found again).
 *
 * Repeated SYN-ACKs with different initial sequence numbers (a middlebox,
 * a load balancer retrying, a SYN cookie reset): the first sets the base,
 * later ones are kept as candidates (up to CS_REASM_MAX_ISNS), and the
 * direction follows the candidate its data or the peer's ACK continues, as
 * long as nothing has been delivered yet (Suricata keeps a queue of
 * SYN-ACKs for the same reason).
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
	uint64_t ranges_cap;      /* segments dropped: too many holes */
	uint64_t dir_cap;         /* segments cut at the per-direction cap */
	uint64_t memcap;          /* segments refused by the buffer budget */
	uint64_t synack_switches; /* directions that followed a later SYN-ACK's ISN */
	uint64_t holes_skipped;   /* acknowledged holes skipped (reasm_skip_hole) */
};

struct reasm_dir {
	uint32_t base_seq;
	bool have_base;
	bool gap;     /* a permanent hole: nothing after it is delivered */
	bool limited; /* a cap refused bytes: nothing after them is delivered */
	bool fin;
	bool delivered; /* bytes were consumed: the base is settled */
	uint32_t fin_seq;
	uint8_t nalt; /* other SYN-ACK bases, while nothing is delivered */
	uint32_t alt_base[CS_REASM_MAX_ISNS];
	uint8_t nranges;
	struct reasm_range r[CS_REASM_MAX_RANGES];
	struct cs_buf buf;
};

void reasm_init(struct reasm_dir *d);
/* Anchor the stream: the next byte expected is seq (ISN+1 after a SYN). */
void reasm_set_base(struct reasm_dir *d, uint32_t seq);
/* Another SYN(-ACK) of this direction: seq (its ISN+1) becomes a candidate
 * base if it differs from the base and nothing was delivered yet. */
void reasm_alt_base(struct reasm_dir *d, uint32_t seq);
/* Place a segment.  Without a base (mid-stream) the segment's seq becomes it. */
void reasm_push(struct reasm_dir *d, struct cs_bufpool *bp, uint32_t seq, struct cs_slice data,
		struct reasm_stats *st);
/* Bytes available in order from the front. */
struct cs_slice reasm_contiguous(const struct reasm_dir *d);
/* Drop n bytes from the front (n <= contiguous length). */
void reasm_consume(struct reasm_dir *d, size_t n);
/* The peer acknowledged up to ack: a hole before ack becomes a gap.
 * Returns true when this call turned the direction into a gap.  An ack that
 * continues a candidate base (reasm_alt_base) and not the base switches to
 * that candidate (counted in st) instead. */
bool reasm_ack(struct reasm_dir *d, uint32_t ack, struct reasm_stats *st);
/* Data is waiting behind a hole (out-of-order bytes buffered). */
bool reasm_has_hole(const struct reasm_dir *d);
/* A gap (reasm_ack said so) before anything was parsed: drop the bytes up
 * to the next buffered range after the hole, or up to ack when none, and
 * go on from there.  Returns how many stream bytes were given up (buffered
 * bytes before the hole included); 0 when there was no gap. */
uint32_t reasm_skip_hole(struct reasm_dir *d, uint32_t ack, struct reasm_stats *st);
void reasm_release(struct reasm_dir *d, struct cs_bufpool *bp);

#endif
