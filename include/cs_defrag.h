/*
 * cs_defrag.h - IPv4 and IPv6 fragment reassembly.
 *
 * The decoder describes a fragment (decode_packet() returns CS_MORE with
 * cs_pkt.frag); defrag_add() places it in its datagram, keyed by (version,
 * tunnel depth, source, destination, identification, and for IPv4 the
 * protocol: RFC 791 section 3.2, RFC 8200 section 4.5), and hands back the
 * datagram's payload once every byte from 0 to the end the last fragment
 * gave has arrived; decode_datagram() decodes it from there.
 *
 * Bounds: at most max_datagrams in progress (a new one evicts the oldest),
 * every byte in a pool of its own (memcap), at most CS_DEFRAG_MAX_RANGES
 * filled ranges per datagram, datagrams of at most 65535 bytes, and
 * CS_DEFRAG_TIMEOUT_S of capture time from a datagram's first fragment to
 * its last.  Every refusal is counted in defrag_stats.
 * Overlaps: IPv4 keeps the first copy of a byte (as the TCP reassembler
 * does); IPv6 drops the datagram (RFC 5722), but an exact duplicate of a
 * fragment is harmless in both.  Either way the overlap is counted.
 * A fragment cut by the snaplen is dropped: its datagram cannot complete.
 */
#ifndef CS_DEFRAG_H
#define CS_DEFRAG_H

#include "cs_decode.h"

struct defrag_stats {
	uint64_t overlaps;   /* fragments overlapping bytes already held */
	uint64_t incomplete; /* datagrams given up: timed out, or the input ended */
	uint64_t malformed;  /* fragments past 64 KiB, past the known end, or
	                         not a multiple of 8 bytes before the last */
	uint64_t cap;        /* datagrams evicted from a full table, fragments
	                         refused by the memory budget or the range cap */
};

struct defrag;

/* NULL when memory runs out (or max_datagrams is 0 or above 2^24). */
struct defrag *defrag_new(uint32_t max_datagrams, size_t memcap);
void defrag_free(struct defrag *df);

/*
 * Add the fragment p describes (decode_packet() or decode_datagram()
 * returned CS_MORE), seen at capture time now (ns).  When it completes its
 * datagram, returns the datagram's payload and sets p->frag.proto to the
 * protocol of its first fragment; the bytes stay valid until the next
 * defrag_add(), defrag_flush() or defrag_free() (p->frag.data may point into
 * them: it is copied first).  Otherwise returns an empty slice.
 */
struct cs_slice defrag_add(struct defrag *df, struct cs_pkt *p, int64_t now,
			   struct defrag_stats *st);
/* Give up datagrams whose first fragment is older than the timeout. */
void defrag_expire(struct defrag *df, int64_t now, struct defrag_stats *st);
/* Give up every datagram in progress (the input ended). */
void defrag_flush(struct defrag *df, struct defrag_stats *st);
/* Datagrams in progress. */
uint32_t defrag_count(const struct defrag *df);

#endif
