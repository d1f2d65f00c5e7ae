/*
 * decode_int.h - private to the decoders (decode_link.c, decode_ip.c,
 * decode_ppp.c, decode_wlan.c, decode_nflog.c).
 *
 * The parsers return the reason a frame is skipped (a cs_decode_counter) or
 * DEC_OK; only decode_packet() touches the stats, so a skipped frame is
 * counted exactly once.  Link and IP call each other only through a tunnel
 * (tunnel_payload() in decode_ip.c counts the depth before going in), so the
 * recursion is bounded by CS_MAX_TUNNEL_DEPTH.
 *
 * Lengths: a header that carries a length (IPv4 total, IPv6 payload, UDP,
 * PPPoE) bounds its payload with dec_bound().  When the capture holds less
 * than that, the missing tail is remembered in dec.lost, so that a short
 * read can be told apart: past the capture but inside the declared length
 * is the snaplen (truncated), past the declared length is malformed.
 * Parsers call dec_need()/dec_skip() for a header's fixed part first; the
 * cursor reads that follow cannot fail.
 */
#ifndef DECODE_INT_H
#define DECODE_INT_H

#include "cs_cursor.h"
#include "cs_decode.h"

/* "Not skipped": the frame decoded to a TCP segment. */
#define DEC_OK CS_DEC_COUNTER_MAX

/* IEEE 802 ethertypes (and GRE / Geneve protocol types, the same space). */
#define CS_ETH_IPV4 0x0800
#define CS_ETH_IPV6 0x86dd
#define CS_ETH_TEB 0x6558      /* transparent Ethernet bridging (RFC 1701) */
#define CS_ETH_VLAN 0x8100     /* 802.1Q customer tag */
#define CS_ETH_QINQ 0x88a8     /* 802.1ad service tag */
#define CS_ETH_QINQ_OLD 0x9100 /* pre-802.1ad vendor QinQ */
#define CS_ETH_PPPOE 0x8864    /* PPPoE session stage (RFC 2516) */
#define CS_ETH_MPLS_UC 0x8847
#define CS_ETH_MPLS_MC 0x8848
#define CS_ETH_CMD 0x8909 /* Cisco MetaData (the SGT of TrustSec) */

struct dec {
	struct cs_pkt *out;
	size_t lost;    /* bytes of the current unit beyond the capture;
	                   SIZE_MAX at the link layer (length unknown) */
	unsigned depth; /* tunnels entered */
};

/* Why the next n bytes are missing (truncated or malformed), or DEC_OK. */
static inline enum cs_decode_counter dec_need(const struct dec *d, const struct cs_cursor *c,
					      size_t n, enum cs_decode_counter malformed)
{
	size_t left = cur_left(c);

	if (n <= left)
		return DEC_OK;
	return n - left <= d->lost ? CS_DEC_TRUNCATED : malformed;
}

static inline enum cs_decode_counter dec_skip(const struct dec *d, struct cs_cursor *c, size_t n,
					      enum cs_decode_counter malformed)
{
	enum cs_decode_counter r = dec_need(d, c, n, malformed);

	if (r == DEC_OK)
		cur_skip(c, n);
	return r;
}

/* A header says the rest of its unit is len bytes: shrink the cursor to
 * that (link padding goes), or record how much the snaplen cut off.  A
 * unit longer than what encloses it is malformed. */
static inline enum cs_decode_counter dec_bound(struct dec *d, struct cs_cursor *c, size_t len,
					       enum cs_decode_counter malformed)
{
	size_t left = cur_left(c);
	struct cs_cursor unit;

	if (len > left) {
		if (len - left > d->lost)
			return malformed;
		d->lost = len - left;
		return DEC_OK;
	}
	cur_sub(c, len, &unit);
	*c = unit;
	d->lost = 0;
	return DEC_OK;
}

/* decode_link.c */
enum cs_decode_counter dec_ether(struct dec *d, struct cs_cursor *c);
enum cs_decode_counter dec_ethertype(struct dec *d, struct cs_cursor *c, uint16_t type);

/* decode_ip.c */
enum cs_decode_counter dec_ip(struct dec *d, struct cs_cursor *c);
enum cs_decode_counter dec_ipv4(struct dec *d, struct cs_cursor *c);
enum cs_decode_counter dec_ipv6(struct dec *d, struct cs_cursor *c);
/* The rest of a reassembled datagram (decode_datagram()). */
enum cs_decode_counter dec_datagram(struct dec *d, struct cs_cursor *c, uint8_t version,
				    uint8_t proto);

/* decode_ppp.c: PPP and Cisco HDLC link types, and PPPoE sessions */
enum cs_decode_counter dec_pppoe(struct dec *d, struct cs_cursor *c);
enum cs_decode_counter dec_ppp_link(struct dec *d, struct cs_cursor *c, int linktype);

/* decode_wlan.c: 802.11, radiotap and PPI */
enum cs_decode_counter dec_wlan_link(struct dec *d, struct cs_cursor *c, int linktype);

/* decode_nflog.c: Linux NFLOG */
enum cs_decode_counter dec_nflog(struct dec *d, struct cs_cursor *c);

#endif
