/*
 * fuzz_decode.c - link, IP and TCP decoding of one frame (decode_packet).
 *
 * Input: byte 0 picks the link type from the list below (modulo its
 * length: every type decode_packet() knows, and one it does not); the rest
 * is the captured frame.  A decoded segment's payload must lie inside the
 * frame, and exactly one skip counter must move for a skipped frame.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "cs_decode.h"
#include "cs_limits.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const int linktypes[] = {
	CS_LINKTYPE_ETHERNET, CS_LINKTYPE_LINUX_SLL, CS_LINKTYPE_LINUX_SLL2, CS_LINKTYPE_RAW,
	CS_LINKTYPE_NULL,     CS_LINKTYPE_LOOP,      CS_LINKTYPE_IPV4,       CS_LINKTYPE_IPV6,
	CS_DLT_RAW_ALT1,      CS_DLT_RAW_ALT2,       147 /* USER0: unsupported */,
};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct cs_decode_stats st, before;
	struct cs_pkt pkt;
	enum cs_status rc;
	uint64_t moved = 0;
	int lt;

	if (size < 1)
		return 0;
	lt = linktypes[data[0] % (sizeof linktypes / sizeof linktypes[0])];
	memset(&st, 0, sizeof st);
	before = st;
	rc = decode_packet(lt, data + 1, size - 1, &pkt, &st);
	for (int i = 0; i < CS_DEC_COUNTER_MAX; i++) {
		if (!decode_counter_name((enum cs_decode_counter)i))
			abort();
		if (i != CS_DEC_TUNNELED && i != CS_DEC_PAYLOAD_TRUNCATED)
			moved += st.n[i] - before.n[i];
	}
	if (rc == CS_OK) {
		const uint8_t *end = data + size;

		if (moved != 0)
			abort(); /* a decoded segment counts no skip */
		if (pkt.payload.n > 0 &&
		    (pkt.payload.p < data + 1 || pkt.payload.p > end ||
		     pkt.payload.n > (size_t)(end - pkt.payload.p)))
			abort(); /* the payload must be inside the frame */
		if (pkt.payload_len < pkt.payload.n)
			abort();
		if ((pkt.src.family != 4 && pkt.src.family != 6) || pkt.src.family != pkt.dst.family)
			abort();
		if (pkt.tunnel_depth > CS_MAX_TUNNEL_DEPTH)
			abort();
		/* touch every payload byte */
		volatile uint8_t x = 0;
		for (size_t i = 0; i < pkt.payload.n; i++)
			x ^= pkt.payload.p[i];
		(void)x;
	} else if (moved != 1) {
		abort(); /* exactly one counter per skipped frame */
	}
	if (decode_linktype_supported(lt) != (decode_linktype_name(lt) != NULL))
		abort();
	return 0;
}
