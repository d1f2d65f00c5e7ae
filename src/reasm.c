/*
 * reasm.c - per-direction TCP reassembly of the first bytes of a stream.
 * Owns each direction's pool buffer and its filled-range list.
 * Feeds contiguous bytes to the TLS layer; stops at a cap or at a gap.
 * Overlaps: the first copy of a byte wins; a differing retransmission is
 * counted (an attacker or a broken middlebox rewriting the handshake).
 * Repeated SYN-ACKs: until a byte is delivered, data or an ACK that fits a
 * later SYN-ACK's sequence space (and not the first's) switches to it.
 */
#include "cs_reasm.h"

#include <string.h>

/* RFC 1982-style comparison of 32-bit sequence numbers. */
static int32_t seq_diff(uint32_t a, uint32_t b) { return (int32_t)(a - b); }

void reasm_init(struct reasm_dir *d) { memset(d, 0, sizeof(*d)); }

void reasm_set_base(struct reasm_dir *d, uint32_t seq)
{
	if (d->have_base)
		return;
	d->base_seq = seq;
	d->have_base = true;
}

void reasm_alt_base(struct reasm_dir *d, uint32_t seq)
{
	if (!d->have_base || d->delivered || seq == d->base_seq)
		return;
	for (unsigned i = 0; i < d->nalt; i++)
		if (d->alt_base[i] == seq)
			return;
	if (d->nalt < CS_REASM_MAX_ISNS) /* more are not remembered */
		d->alt_base[d->nalt++] = seq;
}

/* Whether seq lies where a stream based at base could still put bytes. */
static bool in_window(uint32_t base, uint32_t seq)
{
	int32_t rel = seq_diff(seq, base);

	return rel >= 0 && (uint32_t)rel <= CS_FLOW_DIR_CAP;
}

/*
 * seq (of data, or the peer's ack) does not fit the base but fits a later
 * SYN-ACK's: follow that one.  What was placed under the old base, and the
 * verdicts judged against it (a gap, a cap), go; the old base becomes a
 * candidate in its turn.
 */
static bool follow_candidate(struct reasm_dir *d, uint32_t seq, struct reasm_stats *st)
{
	if (d->delivered || d->nalt == 0 || in_window(d->base_seq, seq))
		return false;
	for (unsigned i = 0; i < d->nalt; i++) {
		uint32_t old = d->base_seq;

		if (!in_window(d->alt_base[i], seq))
			continue;
		d->base_seq = d->alt_base[i];
		d->alt_base[i] = old;
		d->nranges = 0;
		d->buf.len = 0;
		d->gap = d->limited = false;
		st->synack_switches++;
		return true;
	}
	return false;
}

static uint32_t contiguous_len(const struct reasm_dir *d)
{
	return d->nranges && d->r[0].start == 0 ? d->r[0].end : 0;
}

struct cs_slice reasm_contiguous(const struct reasm_dir *d)
{
	struct cs_slice s = {d->buf.p, contiguous_len(d)};

	return s;
}

bool reasm_has_hole(const struct reasm_dir *d)
{
	return d->nranges > 1 || (d->nranges == 1 && d->r[0].start > 0);
}

/* Compare the bytes already held in [from, to) with the new copy. */
static bool overlap_differs(const struct reasm_dir *d, uint32_t from, uint32_t to,
			    const uint8_t *src)
{
	return memcmp(d->buf.p + from, src, to - from) != 0;
}

/*
 * Copy [start, end) of the segment into the holes of the range list and
 * merge it.  src points at the byte of offset start.  Returns false when the
 * range list is full (the segment is then dropped whole).
 */
static bool place(struct reasm_dir *d, uint32_t start, uint32_t end, const uint8_t *src,
		  struct reasm_stats *st)
{
	struct reasm_range merged = {start, end};
	unsigned first = 0, last;
	uint32_t at = start;

	while (first < d->nranges && d->r[first].end < start)
		first++;
	for (last = first; last < d->nranges && d->r[last].start <= end; last++) {
		struct reasm_range *r = &d->r[last];
		uint32_t lo = r->start > start ? r->start : start;
		uint32_t hi = r->end < end ? r->end : end;

		if (lo < hi) {
			st->retransmitted_bytes += hi - lo;
			if (overlap_differs(d, lo, hi, src + (lo - start)))
				st->overlap_differs++;
		}
		if (at < r->start && r->start <= end)
			memcpy(d->buf.p + at, src + (at - start), r->start - at);
		if (r->end > at)
			at = r->end;
		if (r->start < merged.start)
			merged.start = r->start;
		if (r->end > merged.end)
			merged.end = r->end;
	}
	if (at < end)
		memcpy(d->buf.p + at, src + (at - start), end - at);
	if (first == last && d->nranges == CS_REASM_MAX_RANGES)
		return false;
	/* ranges [first, last) collapse into one */
	if (last - first != 1) {
		size_t tail = d->nranges - last;
		unsigned dst = first + 1;

		memmove(&d->r[dst], &d->r[last], tail * sizeof(d->r[0]));
		d->nranges = (uint8_t)(dst + tail);
	}
	d->r[first] = merged;
	return true;
}

static bool would_overflow_ranges(const struct reasm_dir *d, uint32_t start, uint32_t end)
{
	if (d->nranges < CS_REASM_MAX_RANGES)
		return false;
	for (unsigned i = 0; i < d->nranges; i++)
		if (d->r[i].start <= end && start <= d->r[i].end)
			return false;
	return true;
}

void reasm_push(struct reasm_dir *d, struct cs_bufpool *bp, uint32_t seq, struct cs_slice data,
		struct reasm_stats *st)
{
	int32_t rel;
	uint32_t start, end;
	const uint8_t *src = data.p;
	size_t n = data.n;

	if (n == 0)
		return;
	if (!d->have_base)
		reasm_set_base(d, seq);
	else
		follow_candidate(d, seq, st);
	if (d->gap || d->limited)
		return;
	rel = seq_diff(seq, d->base_seq);
	if (rel < 0) { /* starts before what was consumed: a retransmission */
		size_t old = (size_t) - (int64_t)rel;

		if (old >= n) {
			st->retransmitted_bytes += n;
			return;
		}
		st->retransmitted_bytes += old;
		src += old;
		n -= old;
		rel = 0;
	}
	start = (uint32_t)rel;
	if (start >= CS_FLOW_DIR_CAP) {
		st->dir_cap++;
		d->limited = true;
		return;
	}
	if (n > CS_FLOW_DIR_CAP - start) { /* the bytes before the cap still count */
		st->dir_cap++;
		d->limited = true;
		n = CS_FLOW_DIR_CAP - start;
	}
	end = start + (uint32_t)n;
	if (start > contiguous_len(d))
		st->out_of_order_segments++;
	if (would_overflow_ranges(d, start, end)) {
		st->ranges_cap++;
		return;
	}
	if (bufpool_reserve(bp, &d->buf, end) != CS_OK) {
		st->memcap++;
		d->limited = true;
		return;
	}
	if (!place(d, start, end, src, st)) {
		st->ranges_cap++;
		return;
	}
	if (end > d->buf.len)
		d->buf.len = end;
}

/* Forget the first k stream bytes (buffered or not): the base moves on. */
static void drop_front(struct reasm_dir *d, uint32_t k)
{
	unsigned keep = 0;

	if (k < d->buf.len) {
		memmove(d->buf.p, d->buf.p + k, d->buf.len - k);
		d->buf.len -= k;
	} else {
		d->buf.len = 0;
	}
	d->base_seq += k;
	for (unsigned i = 0; i < d->nranges; i++) {
		if (d->r[i].end <= k)
			continue;
		d->r[keep].start = d->r[i].start > k ? d->r[i].start - k : 0;
		d->r[keep].end = d->r[i].end - k;
		keep++;
	}
	d->nranges = (uint8_t)keep;
}

void reasm_consume(struct reasm_dir *d, size_t n)
{
	if (n == 0 || n > contiguous_len(d))
		return;
	drop_front(d, (uint32_t)n);
	d->delivered = true;
	d->nalt = 0;
}

uint32_t reasm_skip_hole(struct reasm_dir *d, uint32_t ack, struct reasm_stats *st)
{
	uint32_t hole = contiguous_len(d), skip = 0;
	int32_t acked = seq_diff(ack, d->base_seq);

	if (!d->gap)
		return 0;
	for (unsigned i = 0; i < d->nranges && !skip; i++)
		if (d->r[i].start > hole)
			skip = d->r[i].start; /* the bytes after the hole go on */
	if (!skip) /* nothing after it yet: what the receiver expects next */
		skip = acked > (int32_t)hole ? (uint32_t)acked : hole;
	drop_front(d, skip);
	d->gap = false;
	d->nalt = 0;
	st->holes_skipped++;
	return skip;
}

bool reasm_ack(struct reasm_dir *d, uint32_t ack, struct reasm_stats *st)
{
	uint32_t next;
	int32_t ahead;

	if (!d->have_base || follow_candidate(d, ack, st) || d->gap)
		return false;
	next = d->base_seq + contiguous_len(d);
	ahead = seq_diff(ack, next);
	/* The receiver has bytes we never saw; a FIN occupies one number. */
	if (ahead <= 0 || (ahead == 1 && d->fin && d->fin_seq == next))
		return false;
	if (ahead > (int32_t)(CS_FLOW_DIR_CAP * 4)) /* an ack from another world */
		return false;
	d->gap = true;
	return true;
}

void reasm_release(struct reasm_dir *d, struct cs_bufpool *bp)
{
	bufpool_release(bp, &d->buf);
	d->nranges = 0;
}
