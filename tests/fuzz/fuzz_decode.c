/*
 * fuzz_decode.c - link, IP and TCP decoding of one frame (decode_packet).
 *
 * Input: byte 0 picks the link type from the list below (modulo its
 * length: every type decode_packet() knows, and one it does not); the rest
 * is the captured frame.  A decoded segment's payload must lie inside the
 * frame, and exactly one skip counter must move for a skipped frame.  A
 * fragment's data must lie inside the frame too; it is then decoded with
 * decode_datagram() as if it were the whole datagram, under the same rules.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "cs_decode.h"
#include "cs_limits.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const int linktypes[] = {
	CS_LINKTYPE_ETHERNET,
	CS_LINKTYPE_LINUX_SLL,
	CS_LINKTYPE_LINUX_SLL2,
	CS_LINKTYPE_RAW,
	CS_LINKTYPE_NULL,
	CS_LINKTYPE_LOOP,
	CS_LINKTYPE_IPV4,
	CS_LINKTYPE_IPV6,
	CS_DLT_RAW_ALT1,
	CS_DLT_RAW_ALT2,
	147 /* USER0: unsupported */,
	CS_LINKTYPE_PPP,
	CS_LINKTYPE_PPP_HDLC,
	CS_LINKTYPE_PPP_ETHER,
	CS_LINKTYPE_C_HDLC,
	CS_LINKTYPE_IEEE802_11,
	CS_LINKTYPE_IEEE802_11_RADIOTAP,
	CS_LINKTYPE_PPP_PPPD,
	CS_LINKTYPE_PPI,
	CS_LINKTYPE_PPP_WITH_DIR,
	CS_LINKTYPE_C_HDLC_WITH_DIR,
	CS_LINKTYPE_NFLOG,
};

static bool inside(const uint8_t *lo, const uint8_t *hi, struct cs_slice s)
{
	return s.n == 0 || (s.p >= lo && s.p <= hi && s.n <= (size_t)(hi - s.p));
}

/* The counting contract of cs_decode.h, and the segment's invariants. */
static void check(enum cs_status rc, const struct cs_pkt *pkt, const struct cs_decode_stats *st,
		  const struct cs_decode_stats *before, const uint8_t *lo, const uint8_t *hi)
{
	uint64_t moved = 0;

	for (int i = 0; i < CS_DEC_COUNTER_MAX; i++) {
		if (!decode_counter_name((enum cs_decode_counter)i))
			abort();
		if (i != CS_DEC_TUNNELED && i != CS_DEC_PAYLOAD_TRUNCATED &&
		    i != CS_DEC_IP_REASSEMBLED)
			moved += st->n[i] - before->n[i];
	}
	if (rc != CS_OK) {
		if (moved != 1)
			abort(); /* exactly one counter per skipped frame */
		if (rc == CS_MORE &&
		    (!inside(lo, hi, pkt->frag.data) || pkt->frag.data.n > pkt->frag.data_len ||
		     pkt->frag.depth > CS_MAX_TUNNEL_DEPTH))
			abort(); /* a fragment's data must be inside the frame */
		return;
	}
	if (moved != 0)
		abort(); /* a decoded segment counts no skip */
	if (!inside(lo, hi, pkt->payload))
		abort(); /* the payload must be inside the frame */
	if (pkt->payload_len < pkt->payload.n)
		abort();
	if ((pkt->src.family != 4 && pkt->src.family != 6) || pkt->src.family != pkt->dst.family)
		abort();
	if (pkt->tunnel_depth > CS_MAX_TUNNEL_DEPTH)
		abort();
	/* touch every payload byte */
	volatile uint8_t x = 0;
	for (size_t i = 0; i < pkt->payload.n; i++)
		x ^= pkt->payload.p[i];
	(void)x;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct cs_decode_stats st, before;
	struct cs_pkt pkt, whole;
	enum cs_status rc;
	int lt;

	if (size < 1)
		return 0;
	lt = linktypes[data[0] % (sizeof linktypes / sizeof linktypes[0])];
	memset(&st, 0, sizeof st);
	before = st;
	rc = decode_packet(lt, data + 1, size - 1, &pkt, &st);
	check(rc, &pkt, &st, &before, data + 1, data + size);
	if (rc == CS_MORE) { /* the fragment's data as a whole datagram */
		before = st;
		rc = decode_datagram(&pkt, pkt.frag.data, &whole, &st);
		if (st.n[CS_DEC_IP_REASSEMBLED] != before.n[CS_DEC_IP_REASSEMBLED] + 1)
			abort();
		check(rc, &whole, &st, &before, data + 1, data + size);
	}
	if (decode_linktype_supported(lt) != (decode_linktype_name(lt) != NULL))
		abort();
	return 0;
}
