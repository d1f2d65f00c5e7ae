/*
 * decode_nflog.c - Linux NFLOG captures (tcpdump -i nflog:GROUP).
 * Owns the NFLOG link type: a small header, then netlink attributes (TLVs),
 * one of which (NFULA_PAYLOAD) holds the logged packet from its IP header
 * on.  Hands that to decode_ip.c.
 * Policy: the TLV length and type are in the byte order of the host that
 * captured, which the file does not record: the order that makes the first
 * attribute plausible is taken (as for BSD loopback).  At most
 * CS_MAX_NFLOG_TLVS attributes are walked; a frame whose attributes end
 * without a payload (nflog-size 0) is not_ip.
 * References: https://www.tcpdump.org/linktypes/LINKTYPE_NFLOG.html, Linux
 * include/uapi/linux/netfilter/nfnetlink_log.h, tcpdump print-nflog.c.
 */
#include "decode_int.h"
#include "cs_limits.h"

#define CS_NFLOG_AF_INET 2
#define CS_NFLOG_AF_INET6 10
#define CS_NFULA_PAYLOAD 9
/* attribute types are small; the top bits are netlink's nested and
 * byte-order flags */
#define CS_NLA_TYPE_MASK 0x3fff
#define CS_NLA_TYPE_MAX 0xff

/* Whether a TLV header read in this byte order makes sense here. */
static bool tlv_plausible(const struct cs_cursor *c, bool le)
{
	struct cs_cursor t = *c;
	uint16_t len, type;

	return cur_u16e(&t, le, &len) && cur_u16e(&t, le, &type) && len >= 4 &&
	       (type & CS_NLA_TYPE_MASK) <= CS_NLA_TYPE_MAX;
}

/*
 * The NFLOG header, then TLVs padded to 4 bytes:
 *   | address family | version (0) |     resource id (BE)          |
 *   |   TLV length (host order)     |   TLV type (host order)       |
 *   | value (length - 4 bytes) ... padding to a multiple of 4       |
 * The payload TLV's value is the packet; its length bounds it (a snaplen
 * cut shows as a value longer than the capture).
 */
enum cs_decode_counter dec_nflog(struct dec *d, struct cs_cursor *c)
{
	uint8_t family, version;
	uint16_t len, type;
	size_t pad;
	bool le;
	enum cs_decode_counter r;

	if ((r = dec_need(d, c, 4, CS_DEC_MALFORMED_LINK)) != DEC_OK)
		return r;
	cur_u8(c, &family);
	cur_u8(c, &version);
	cur_skip(c, 2);
	if (version != 0)
		return CS_DEC_MALFORMED_LINK;
	le = tlv_plausible(c, true) || !tlv_plausible(c, false);
	for (unsigned n = 0; n < CS_MAX_NFLOG_TLVS; n++) {
		/* the kernel always sends a packet header first: an end before any
		 * attribute is the snaplen, after some it means no payload */
		if (n > 0 && cur_left(c) == 0)
			return CS_DEC_NOT_IP;
		if ((r = dec_need(d, c, 4, CS_DEC_MALFORMED_LINK)) != DEC_OK)
			return r;
		cur_u16e(c, le, &len);
		cur_u16e(c, le, &type);
		if (len < 4)
			return CS_DEC_MALFORMED_LINK;
		if ((type & CS_NLA_TYPE_MASK) == CS_NFULA_PAYLOAD) {
			if ((r = dec_bound(d, c, len - 4u, CS_DEC_MALFORMED_LINK)) != DEC_OK)
				return r;
			if (family == CS_NFLOG_AF_INET)
				return dec_ipv4(d, c);
			return family == CS_NFLOG_AF_INET6 ? dec_ipv6(d, c) : CS_DEC_NOT_IP;
		}
		/* the value, then padding to 4; the last TLV may lack its padding */
		if ((r = dec_skip(d, c, len - 4u, CS_DEC_MALFORMED_LINK)) != DEC_OK)
			return r;
		pad = (4u - len % 4u) % 4u;
		cur_skip(c, pad < cur_left(c) ? pad : cur_left(c));
	}
	return CS_DEC_MALFORMED_LINK; /* more attributes than the kernel sends */
}
