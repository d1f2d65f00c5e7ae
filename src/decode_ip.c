/*
 * decode_ip.c - IPv4, IPv6, the tunnels gateways carry, and TCP.
 * Owns the IPv4 header and options, IPv6 extension headers, IP-in-IP
 * (protocols 4 and 41), GRE, VXLAN, Geneve, GTP-U and the TCP header; fills
 * the cs_pkt.  Tunnelled Ethernet goes back to decode_link.c.
 * Policy: an IP length bounds everything inside it (link padding is
 * dropped, a snaplen cut is remembered: see decode_int.h); a fragment
 * is described in cs_pkt.frag for the defragmenter (defrag.c), and the
 * datagram it rebuilds comes back through dec_datagram(); checksums are
 * never verified (offload makes loopback ones wrong); the innermost IP
 * header gives the addresses.  Tunnels nest at most CS_MAX_TUNNEL_DEPTH
 * deep, IPv6 extension headers at most CS_MAX_IPV6_EXT_HEADERS: both are
 * counted when exceeded.
 * References: RFC 791, 8200, 2675, 6946, 4302, 2784, 2890, 768, 7348,
 * 8926, 9293; 3GPP TS 29.281 (GTP-U).
 */
#include "decode_int.h"
#include "cs_limits.h"

#include <string.h>

/* IANA protocol numbers: IPv4 Protocol, IPv6 Next Header. */
#define CS_IPPROTO_HOPOPTS 0
#define CS_IPPROTO_IPIP 4
#define CS_IPPROTO_TCP 6
#define CS_IPPROTO_UDP 17
#define CS_IPPROTO_IPV6 41
#define CS_IPPROTO_ROUTING 43
#define CS_IPPROTO_FRAGMENT 44
#define CS_IPPROTO_GRE 47
#define CS_IPPROTO_AH 51
#define CS_IPPROTO_DSTOPTS 60

#define CS_IPV4_MF 0x2000u
#define CS_IPV4_OFFSET 0x1fffu
#define CS_IPV6_FRAG_OFFSET_M 0xfff9u /* offset and M, not reserved */

#define CS_GRE_C 0x8000u
#define CS_GRE_K 0x2000u
#define CS_GRE_S 0x1000u
#define CS_GRE_RFC1701 0x4c00u /* routing, strict source route, recursion */
#define CS_GRE_VERSION 0x0007u

#define CS_UDP_PORT_VXLAN 4789
#define CS_UDP_PORT_GENEVE 6081
#define CS_UDP_PORT_GTPU 2152

#define CS_GTP_VERSION_PT 0xf0u /* version 1, protocol type GTP (not GTP') */
#define CS_GTP_V1 0x30u
#define CS_GTP_OPTIONAL 0x07u /* E, S, PN: the 4 optional bytes follow */
#define CS_GTP_E 0x04u
#define CS_GTP_GPDU 0xff /* message type: a user datagram (T-PDU) */

/*
 * TCP, RFC 9293 section 3.1:
 *   |          Source Port          |       Destination Port        |
 *   |                        Sequence Number                        |
 *   |                    Acknowledgment Number                      |
 *   |  Data |       |C|E|U|A|P|R|S|F|                               |
 *   | Offset| Rsrvd |W|C|R|C|S|S|Y|I|            Window             |
 *   |           Checksum            |         Urgent Pointer        |
 *   |                    Options                    |    Padding    |
 * The segment is as long as the IP header says (captured + lost): options
 * past that are malformed, options past the capture truncated.  The
 * payload borrows what was captured of it.
 */
static enum cs_decode_counter tcp(struct dec *d, struct cs_cursor *c)
{
	struct cs_pkt *p = d->out;
	size_t segment = cur_left(c) + d->lost; /* finite: IP bounded it */
	size_t hlen;
	uint8_t offset;
	enum cs_decode_counter r;

	if ((r = dec_need(d, c, 20, CS_DEC_MALFORMED_TCP)) != DEC_OK)
		return r;
	cur_u16(c, &p->sport);
	cur_u16(c, &p->dport);
	cur_u32(c, &p->seq);
	cur_u32(c, &p->ack);
	cur_u8(c, &offset);
	cur_u8(c, &p->flags);
	cur_skip(c, 6);
	hlen = (offset >> 4) * 4u;
	if (hlen < 20)
		return CS_DEC_MALFORMED_TCP;
	if ((r = dec_skip(d, c, hlen - 20, CS_DEC_MALFORMED_TCP)) != DEC_OK)
		return r;
	p->payload = cur_rest(c);
	p->payload_len = (uint32_t)(segment - hlen);
	return DEC_OK;
}

/* Enter a tunnel whose payload is of the given ethertype. */
static enum cs_decode_counter tunnel_payload(struct dec *d, struct cs_cursor *c, uint16_t type)
{
	if (d->depth == CS_MAX_TUNNEL_DEPTH)
		return CS_DEC_TUNNEL_TOO_DEEP;
	d->depth++;
	return type == CS_ETH_TEB ? dec_ether(d, c) : dec_ethertype(d, c, type);
}

/* Enter a tunnel that carries IPv4 or IPv6, told by the version nibble. */
static enum cs_decode_counter tunnel_ip(struct dec *d, struct cs_cursor *c)
{
	if (d->depth == CS_MAX_TUNNEL_DEPTH)
		return CS_DEC_TUNNEL_TOO_DEEP;
	d->depth++;
	return dec_ip(d, c);
}

/*
 * GRE, RFC 2784 section 2.1 with the key and sequence number of RFC 2890:
 *   |C| |K|S| Reserved0       | Ver |         Protocol Type         |
 *   |      Checksum (optional)      |       Reserved1 (optional)    |
 *   |                         Key (optional)                        |
 *   |                 Sequence Number (optional)                    |
 * Version 1 is PPTP's enhanced GRE (RFC 2637, PPP inside); RFC 2784 tells
 * a receiver to discard RFC 1701 routing and recursion bits.  Both: not_ip.
 */
static enum cs_decode_counter gre(struct dec *d, struct cs_cursor *c)
{
	uint16_t flags, type;
	size_t options;
	enum cs_decode_counter r;

	if ((r = dec_need(d, c, 4, CS_DEC_MALFORMED_IP)) != DEC_OK)
		return r;
	cur_u16(c, &flags);
	cur_u16(c, &type);
	if (flags & (CS_GRE_RFC1701 | CS_GRE_VERSION))
		return CS_DEC_NOT_IP;
	options = (flags & CS_GRE_C ? 4u : 0) + (flags & CS_GRE_K ? 4u : 0) +
		  (flags & CS_GRE_S ? 4u : 0);
	if ((r = dec_skip(d, c, options, CS_DEC_MALFORMED_IP)) != DEC_OK)
		return r;
	return tunnel_payload(d, c, type);
}

/*
 * VXLAN, RFC 7348 section 5, then an Ethernet frame:
 *   |R|R|R|R|I|R|R|R|            Reserved                           |
 *   |                VXLAN Network Identifier (VNI) |   Reserved    |
 * Flags are not checked: the port already said VXLAN.
 */
static enum cs_decode_counter vxlan(struct dec *d, struct cs_cursor *c)
{
	enum cs_decode_counter r = dec_skip(d, c, 8, CS_DEC_MALFORMED_IP);

	return r != DEC_OK ? r : tunnel_payload(d, c, CS_ETH_TEB);
}

/*
 * Geneve, RFC 8926 section 3.4:
 *   |Ver|  Opt Len  |O|C|    Rsvd.  |          Protocol Type        |
 *   |        Virtual Network Identifier (VNI)       |    Reserved   |
 *   |                    Variable-Length Options                    |
 * Opt Len counts 4-byte words.  The protocol type is an ethertype (0x6558
 * for Ethernet).  An unknown version MUST be dropped: not_ip.
 */
static enum cs_decode_counter geneve(struct dec *d, struct cs_cursor *c)
{
	uint8_t ver_optlen;
	uint16_t type;
	enum cs_decode_counter r;

	if ((r = dec_need(d, c, 8, CS_DEC_MALFORMED_IP)) != DEC_OK)
		return r;
	cur_u8(c, &ver_optlen);
	cur_skip(c, 1);
	cur_u16(c, &type);
	cur_skip(c, 4);
	if (ver_optlen >> 6 != 0)
		return CS_DEC_NOT_IP;
	if ((r = dec_skip(d, c, (ver_optlen & 0x3fu) * 4u, CS_DEC_MALFORMED_IP)) != DEC_OK)
		return r;
	return tunnel_payload(d, c, type);
}

/*
 * GTP-U extension headers, 3GPP TS 29.281 section 5.2: after the optional
 * fields, each header is
 *   | Length (4-byte units) | Content (4n - 2 bytes) | Next Extension Header Type |
 * and a next type of 0 ends the chain.  Real packets carry one or two (PDU
 * session container, PDCP number); a longer chain is taken as malformed.
 */
static enum cs_decode_counter gtp_extensions(struct dec *d, struct cs_cursor *c, uint8_t next)
{
	uint8_t units;
	enum cs_decode_counter r;

	for (unsigned n = 0; next != 0; n++) {
		if (n == CS_MAX_GTP_EXT_HEADERS)
			return CS_DEC_MALFORMED_IP;
		if ((r = dec_need(d, c, 1, CS_DEC_MALFORMED_IP)) != DEC_OK)
			return r;
		cur_peek_u8(c, 0, &units);
		if (units == 0)
			return CS_DEC_MALFORMED_IP;
		if ((r = dec_need(d, c, units * 4u, CS_DEC_MALFORMED_IP)) != DEC_OK)
			return r;
		cur_skip(c, units * 4u - 1);
		cur_u8(c, &next);
	}
	return DEC_OK;
}

/*
 * GTPv1-U, 3GPP TS 29.281 section 5.1 (the user plane of mobile cores):
 *   | Ver=1 |PT=1|*| E | S |PN|  Message Type |            Length             |
 *   |                 Tunnel Endpoint Identifier (TEID)                      |
 *   |        Sequence Number        | N-PDU Number  | Next Ext. Header Type | (if E, S or PN)
 * Length counts what follows the first 8 bytes.  Only a G-PDU (type 255)
 * carries a user datagram, IPv4 or IPv6; echo, error indication and end
 * marker messages are not IP.
 */
static enum cs_decode_counter gtpu(struct dec *d, struct cs_cursor *c)
{
	uint8_t flags, type, next = 0;
	uint16_t len;
	enum cs_decode_counter r;

	if ((r = dec_need(d, c, 8, CS_DEC_MALFORMED_IP)) != DEC_OK)
		return r;
	cur_u8(c, &flags);
	cur_u8(c, &type);
	cur_u16(c, &len);
	cur_skip(c, 4);
	if ((flags & CS_GTP_VERSION_PT) != CS_GTP_V1 || type != CS_GTP_GPDU)
		return CS_DEC_NOT_IP;
	if ((r = dec_bound(d, c, len, CS_DEC_MALFORMED_IP)) != DEC_OK)
		return r;
	if (flags & CS_GTP_OPTIONAL) {
		if ((r = dec_need(d, c, 4, CS_DEC_MALFORMED_IP)) != DEC_OK)
			return r;
		cur_skip(c, 3);
		cur_u8(c, &next);
		if (!(flags & CS_GTP_E))
			next = 0; /* the field is there but means nothing */
	}
	if ((r = gtp_extensions(d, c, next)) != DEC_OK)
		return r;
	return tunnel_ip(d, c);
}

/*
 * UDP, RFC 768:
 *   |          Source Port          |       Destination Port        |
 *   |            Length             |           Checksum            |
 * Only the tunnels are decoded, by destination port.
 */
static enum cs_decode_counter udp(struct dec *d, struct cs_cursor *c)
{
	uint16_t dport, len;
	enum cs_decode_counter r;

	if ((r = dec_need(d, c, 8, CS_DEC_MALFORMED_IP)) != DEC_OK)
		return r;
	cur_skip(c, 2);
	cur_u16(c, &dport);
	cur_u16(c, &len);
	cur_skip(c, 2);
	if (dport != CS_UDP_PORT_VXLAN && dport != CS_UDP_PORT_GENEVE && dport != CS_UDP_PORT_GTPU)
		return CS_DEC_NOT_TCP;
	if (len < 8)
		return CS_DEC_MALFORMED_IP;
	if ((r = dec_bound(d, c, len - 8u, CS_DEC_MALFORMED_IP)) != DEC_OK)
		return r;
	switch (dport) {
	case CS_UDP_PORT_VXLAN:
		return vxlan(d, c);
	case CS_UDP_PORT_GENEVE:
		return geneve(d, c);
	default:
		return gtpu(d, c);
	}
}

/* What an IPv4 Protocol or the last IPv6 Next Header announces. */
static enum cs_decode_counter transport(struct dec *d, struct cs_cursor *c, uint8_t proto)
{
	switch (proto) {
	case CS_IPPROTO_TCP:
		return tcp(d, c);
	case CS_IPPROTO_IPIP:
		return tunnel_payload(d, c, CS_ETH_IPV4);
	case CS_IPPROTO_IPV6:
		return tunnel_payload(d, c, CS_ETH_IPV6);
	case CS_IPPROTO_GRE:
		return gre(d, c);
	case CS_IPPROTO_UDP:
		return udp(d, c);
	default:
		return CS_DEC_NOT_TCP; /* ICMP, ESP, no next header (59), ... */
	}
}

/* A fragment: the rest of c is its payload, handed to the defragmenter. */
static enum cs_decode_counter fragment(struct dec *d, const struct cs_cursor *c, uint8_t version,
				       uint8_t proto, uint32_t id, uint32_t offset, bool more)
{
	struct cs_frag *f = &d->out->frag;

	f->version = version;
	f->proto = proto;
	f->depth = (uint8_t)d->depth;
	f->more = more;
	f->id = id;
	f->offset = offset;
	f->data = cur_rest(c);
	f->data_len = (uint32_t)(cur_left(c) + d->lost); /* finite: IP bounded it */
	return CS_DEC_IP_FRAGMENT;
}

/* IPv4 addresses are kept as ::ffff:a.b.c.d (cs_common.h). */
static void addr_v4(struct cs_cursor *c, struct cs_addr *a)
{
	static const uint8_t mapped[12] = {[10] = 0xff, [11] = 0xff};

	a->family = 4;
	memcpy(a->a, mapped, sizeof mapped);
	cur_copy(c, a->a + 12, 4);
}

static void addr_v6(struct cs_cursor *c, struct cs_addr *a)
{
	a->family = 6;
	cur_copy(c, a->a, 16);
}

/*
 * IPv4, RFC 791 section 3.1:
 *   |Version|  IHL  |Type of Service|          Total Length         |
 *   |         Identification        |Flags|      Fragment Offset    |
 *   |  Time to Live |    Protocol   |         Header Checksum       |
 *   |                       Source Address                          |
 *   |                    Destination Address                        |
 *   |                    Options                    |    Padding    |
 */
enum cs_decode_counter dec_ipv4(struct dec *d, struct cs_cursor *c)
{
	uint8_t ver_ihl, proto;
	uint16_t total, id, frag;
	size_t hlen;
	enum cs_decode_counter r;

	if ((r = dec_need(d, c, 20, CS_DEC_MALFORMED_IP)) != DEC_OK)
		return r;
	cur_u8(c, &ver_ihl);
	cur_skip(c, 1);
	cur_u16(c, &total);
	cur_u16(c, &id);
	cur_u16(c, &frag);
	cur_skip(c, 1);
	cur_u8(c, &proto);
	cur_skip(c, 2);
	addr_v4(c, &d->out->src);
	addr_v4(c, &d->out->dst);
	hlen = (ver_ihl & 0x0fu) * 4u;
	if (ver_ihl >> 4 != 4 || hlen < 20 || total < hlen)
		return CS_DEC_MALFORMED_IP;
	if ((r = dec_bound(d, c, total - 20u, CS_DEC_MALFORMED_IP)) != DEC_OK ||
	    (r = dec_skip(d, c, hlen - 20, CS_DEC_MALFORMED_IP)) != DEC_OK)
		return r;
	if (frag & (CS_IPV4_MF | CS_IPV4_OFFSET))
		return fragment(d, c, 4, proto, id, (frag & CS_IPV4_OFFSET) * 8u,
				frag & CS_IPV4_MF);
	return transport(d, c, proto);
}

static bool is_ipv6_ext(uint8_t next)
{
	return next == CS_IPPROTO_HOPOPTS || next == CS_IPPROTO_ROUTING ||
	       next == CS_IPPROTO_FRAGMENT || next == CS_IPPROTO_DSTOPTS || next == CS_IPPROTO_AH;
}

/*
 * IPv6 extension headers, RFC 8200 section 4, and AH (RFC 4302 section 2):
 *   |  Next Header  |  Hdr Ext Len  |  ... (at least 8 bytes)
 * Hdr Ext Len counts 8-byte units after the first 8 (hop-by-hop, routing,
 * destination options), or 4-byte units minus 2 (AH).  The fragment
 * header is 8 bytes:
 *   |  Next Header  |   Reserved    |      Fragment Offset    |Res|M|
 *   |                         Identification                        |
 * Offset 0 with M clear is an atomic fragment (RFC 6946): a whole packet.
 */
static enum cs_decode_counter ipv6_ext_headers(struct dec *d, struct cs_cursor *c, uint8_t *next)
{
	uint8_t len, proto;
	uint16_t frag;
	uint32_t id;
	size_t hlen;
	enum cs_decode_counter r;

	for (unsigned n = 0; is_ipv6_ext(*next); n++) {
		if (n == CS_MAX_IPV6_EXT_HEADERS)
			return CS_DEC_IPV6_EXT_TOO_DEEP;
		if ((r = dec_need(d, c, 8, CS_DEC_MALFORMED_IP)) != DEC_OK)
			return r;
		cur_peek_u8(c, 1, &len);
		cur_peek_u16(c, 2, &frag);
		if (*next == CS_IPPROTO_FRAGMENT) {
			if (frag & CS_IPV6_FRAG_OFFSET_M) {
				cur_u8(c, &proto);
				cur_skip(c, 3);
				cur_u32(c, &id);
				return fragment(d, c, 6, proto, id, frag & 0xfff8u, frag & 1u);
			}
			hlen = 8;
		} else if (*next == CS_IPPROTO_AH) {
			hlen = (len + 2u) * 4u;
		} else {
			hlen = (len + 1u) * 8u;
		}
		cur_u8(c, next);
		r = dec_skip(d, c, hlen - 1, CS_DEC_MALFORMED_IP);
		if (r != DEC_OK)
			return r;
	}
	return DEC_OK;
}

/*
 * IPv6, RFC 8200 section 3:
 *   |Version| Traffic Class |           Flow Label                  |
 *   |         Payload Length        |  Next Header  |   Hop Limit   |
 *   |                    Source Address (16)                        |
 *   |                 Destination Address (16)                      |
 * A jumbogram (RFC 2675) has Payload Length 0, which leaves no room for
 * the hop-by-hop header holding its real length: malformed, like any
 * header that does not fit.
 */
enum cs_decode_counter dec_ipv6(struct dec *d, struct cs_cursor *c)
{
	uint32_t ver_class_flow;
	uint16_t plen;
	uint8_t next;
	enum cs_decode_counter r;

	if ((r = dec_need(d, c, 40, CS_DEC_MALFORMED_IP)) != DEC_OK)
		return r;
	cur_u32(c, &ver_class_flow);
	cur_u16(c, &plen);
	cur_u8(c, &next);
	cur_skip(c, 1);
	addr_v6(c, &d->out->src);
	addr_v6(c, &d->out->dst);
	if (ver_class_flow >> 28 != 6)
		return CS_DEC_MALFORMED_IP;
	if ((r = dec_bound(d, c, plen, CS_DEC_MALFORMED_IP)) != DEC_OK ||
	    (r = ipv6_ext_headers(d, c, &next)) != DEC_OK)
		return r;
	return transport(d, c, next);
}

enum cs_decode_counter dec_datagram(struct dec *d, struct cs_cursor *c, uint8_t version,
				    uint8_t proto)
{
	enum cs_decode_counter r;

	if (version == 6 && (r = ipv6_ext_headers(d, c, &proto)) != DEC_OK)
		return r;
	return transport(d, c, proto);
}

/* IPv4 or IPv6 by the version nibble (raw IP link types, MPLS). */
enum cs_decode_counter dec_ip(struct dec *d, struct cs_cursor *c)
{
	uint8_t first;
	enum cs_decode_counter r;

	if ((r = dec_need(d, c, 1, CS_DEC_MALFORMED_IP)) != DEC_OK)
		return r;
	cur_peek_u8(c, 0, &first);
	switch (first >> 4) {
	case 4:
		return dec_ipv4(d, c);
	case 6:
		return dec_ipv6(d, c);
	default:
		return CS_DEC_NOT_IP;
	}
}
