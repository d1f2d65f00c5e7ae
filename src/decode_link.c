/*
 * decode_link.c - the decoder's entry point and everything below IP.
 * Owns the link types (Ethernet, Linux cooked v1/v2, BSD NULL/LOOP, raw IP;
 * PPP, Cisco HDLC, 802.11 and NFLOG are dispatched to their own files) and
 * the shims between Ethernet and IP: 802.1Q/802.1ad tags, Cisco MetaData,
 * PPPoE sessions (decode_ppp.c) and MPLS label stacks.  Hands IP to
 * decode_ip.c, which hands tunnelled frames back to dec_ether() and
 * dec_ethertype().
 * Policy: every byte through the cursor; tag and label stacks are loops
 * capped by cs_limits.h; decode_packet() alone counts, once per skipped
 * frame.  Anything that is not IPv4 or IPv6 is not_ip, never an error.
 * References: IEEE 802.1Q, RFC 2516, RFC 3032, tcpdump print-sll.c and
 * print-null.c, Wireshark packet-cisco-metadata.c,
 * https://www.tcpdump.org/linktypes.html.
 */
#include "decode_int.h"
#include "cs_limits.h"

/* BSD address families as the loopback header carries them:
 * AF_INET everywhere, AF_INET6 on NetBSD/OpenBSD, FreeBSD, Darwin. */
#define CS_BSD_AF_INET 2
#define CS_BSD_AF_INET6_BSD 24
#define CS_BSD_AF_INET6_FREEBSD 28
#define CS_BSD_AF_INET6_DARWIN 30

/* nlmon captures: the protocol field holds a netlink family. */
#define CS_ARPHRD_NETLINK 824

#define CS_MPLS_BOS 0x100u /* bottom-of-stack bit of a label stack entry */

static bool is_vlan_tag(uint16_t type)
{
	return type == CS_ETH_VLAN || type == CS_ETH_QINQ || type == CS_ETH_QINQ_OLD;
}

/*
 * The shims that sit between an ethertype and the next one: 802.1Q/802.1ad
 * tags and Cisco MetaData (TrustSec SGT), as Wireshark reads it:
 *   tag: | PCP(3) DEI(1) VID(12) | next type |
 *   CMD: | version | length | option (length, type) | SGT | next type |
 * Returns the bytes to skip before the next type, 0 when type is no shim.
 */
static size_t shim_len(uint16_t type)
{
	if (is_vlan_tag(type))
		return 2;
	return type == CS_ETH_CMD ? 6 : 0;
}

/*
 * MPLS label stack, RFC 3032 section 2.1, one 32-bit entry per label:
 *   |                Label                  | TC  |S|      TTL      |
 * Pop to the entry with S set.  Nothing says what follows; like Linux and
 * Wireshark we go by the IP version nibble (a pseudowire control word or
 * Ethernet starts otherwise and is not_ip).
 */
static enum cs_decode_counter mpls(struct dec *d, struct cs_cursor *c)
{
	uint32_t entry = 0;
	enum cs_decode_counter r;

	for (unsigned n = 0; !(entry & CS_MPLS_BOS); n++) {
		if (n == CS_MAX_MPLS_LABELS)
			return CS_DEC_MPLS_TOO_DEEP;
		if ((r = dec_need(d, c, 4, CS_DEC_MALFORMED_LINK)) != DEC_OK)
			return r;
		cur_u32(c, &entry);
	}
	return dec_ip(d, c);
}

/*
 * What follows an ethertype: any stack of 802.1Q / 802.1ad tags and Cisco
 * MetaData headers (counted together against CS_MAX_VLAN_TAGS), then IPv4,
 * IPv6, a PPPoE session or MPLS.
 */
enum cs_decode_counter dec_ethertype(struct dec *d, struct cs_cursor *c, uint16_t type)
{
	enum cs_decode_counter r;
	size_t len;

	for (unsigned tags = 0; (len = shim_len(type)) > 0; tags++) {
		if (tags == CS_MAX_VLAN_TAGS)
			return CS_DEC_VLAN_TOO_DEEP;
		if ((r = dec_need(d, c, len + 2, CS_DEC_MALFORMED_LINK)) != DEC_OK)
			return r;
		cur_skip(c, len);
		cur_u16(c, &type);
	}
	switch (type) {
	case CS_ETH_IPV4:
		return dec_ipv4(d, c);
	case CS_ETH_IPV6:
		return dec_ipv6(d, c);
	case CS_ETH_PPPOE:
		return dec_pppoe(d, c);
	case CS_ETH_MPLS_UC:
	case CS_ETH_MPLS_MC:
		return mpls(d, c);
	default:
		return CS_DEC_NOT_IP; /* ARP, LLDP, 802.3 lengths (< 0x0600) */
	}
}

/*
 * Ethernet II:
 *   | destination MAC (6) | source MAC (6) | ethertype (2) | payload
 * The frame check sequence is not captured; padding to 60 bytes is cut by
 * the IP layer's own length.
 */
enum cs_decode_counter dec_ether(struct dec *d, struct cs_cursor *c)
{
	uint16_t type;
	enum cs_decode_counter r;

	if ((r = dec_need(d, c, 14, CS_DEC_MALFORMED_LINK)) != DEC_OK)
		return r;
	cur_skip(c, 12);
	cur_u16(c, &type);
	return dec_ethertype(d, c, type);
}

static enum cs_decode_counter sll_payload(struct dec *d, struct cs_cursor *c, uint16_t hatype,
					  uint16_t proto)
{
	if (hatype == CS_ARPHRD_NETLINK)
		return CS_DEC_NOT_IP;
	return dec_ethertype(d, c, proto);
}

/*
 * Linux cooked capture v1 (LINKTYPE_LINUX_SLL), 16 bytes:
 *   | packet type (2) | ARPHRD type (2) | address length (2) |
 *   | address (8, padded)                                  | protocol (2) |
 * The protocol is an ethertype (values below 0x0600 are Linux's own
 * ETH_P_802_2 and friends: not IP).
 */
static enum cs_decode_counter sll(struct dec *d, struct cs_cursor *c)
{
	uint16_t hatype, proto;
	enum cs_decode_counter r;

	if ((r = dec_need(d, c, 16, CS_DEC_MALFORMED_LINK)) != DEC_OK)
		return r;
	cur_skip(c, 2);
	cur_u16(c, &hatype);
	cur_skip(c, 10);
	cur_u16(c, &proto);
	return sll_payload(d, c, hatype, proto);
}

/*
 * Linux cooked capture v2 (LINKTYPE_LINUX_SLL2), 20 bytes:
 *   | protocol (2) | reserved (2) | interface index (4) |
 *   | ARPHRD type (2) | packet type (1) | address length (1) |
 *   | address (8, padded) |
 */
static enum cs_decode_counter sll2(struct dec *d, struct cs_cursor *c)
{
	uint16_t hatype, proto;
	enum cs_decode_counter r;

	if ((r = dec_need(d, c, 20, CS_DEC_MALFORMED_LINK)) != DEC_OK)
		return r;
	cur_u16(c, &proto);
	cur_skip(c, 6);
	cur_u16(c, &hatype);
	cur_skip(c, 10);
	return sll_payload(d, c, hatype, proto);
}

/*
 * BSD loopback: a 4-byte address family, then the IP packet.
 * LINKTYPE_NULL stores it in the byte order of the machine that captured,
 * which a file does not record; families are small, so the order that
 * gives a zero high half is the right one.  LINKTYPE_LOOP (OpenBSD) is
 * always network order.
 */
static enum cs_decode_counter bsd_loopback(struct dec *d, struct cs_cursor *c, bool host_order)
{
	uint16_t high;
	uint32_t family;
	enum cs_decode_counter r;

	if ((r = dec_need(d, c, 4, CS_DEC_MALFORMED_LINK)) != DEC_OK)
		return r;
	cur_peek_u16(c, 0, &high);
	cur_u32e(c, host_order && high != 0, &family);
	switch (family) {
	case CS_BSD_AF_INET:
		return dec_ipv4(d, c);
	case CS_BSD_AF_INET6_BSD:
	case CS_BSD_AF_INET6_FREEBSD:
	case CS_BSD_AF_INET6_DARWIN:
		return dec_ipv6(d, c);
	default:
		return CS_DEC_NOT_IP;
	}
}

static enum cs_decode_counter link_layer(struct dec *d, struct cs_cursor *c, int linktype)
{
	switch (linktype) {
	case CS_LINKTYPE_ETHERNET:
		return dec_ether(d, c);
	case CS_LINKTYPE_LINUX_SLL:
		return sll(d, c);
	case CS_LINKTYPE_LINUX_SLL2:
		return sll2(d, c);
	case CS_LINKTYPE_NULL:
		return bsd_loopback(d, c, true);
	case CS_LINKTYPE_LOOP:
		return bsd_loopback(d, c, false);
	case CS_LINKTYPE_RAW:
	case CS_DLT_RAW_ALT1:
	case CS_DLT_RAW_ALT2:
		return dec_ip(d, c);
	case CS_LINKTYPE_IPV4:
		return dec_ipv4(d, c);
	case CS_LINKTYPE_IPV6:
		return dec_ipv6(d, c);
	case CS_LINKTYPE_PPP:
	case CS_LINKTYPE_PPP_HDLC:
	case CS_LINKTYPE_PPP_ETHER:
	case CS_LINKTYPE_PPP_PPPD:
	case CS_LINKTYPE_PPP_WITH_DIR:
	case CS_LINKTYPE_C_HDLC:
	case CS_LINKTYPE_C_HDLC_WITH_DIR:
		return dec_ppp_link(d, c, linktype);
	case CS_LINKTYPE_IEEE802_11:
	case CS_LINKTYPE_IEEE802_11_RADIOTAP:
	case CS_LINKTYPE_PPI:
		return dec_wlan_link(d, c, linktype);
	case CS_LINKTYPE_NFLOG:
		return dec_nflog(d, c);
	default:
		return CS_DEC_UNSUPPORTED_LINK;
	}
}

static enum cs_status skip_status(enum cs_decode_counter why)
{
	switch (why) {
	case CS_DEC_IP_FRAGMENT:
		return CS_MORE; /* out->frag says what the defragmenter needs */
	case CS_DEC_TRUNCATED:
		return CS_TRUNC;
	case CS_DEC_MALFORMED_LINK:
	case CS_DEC_MALFORMED_IP:
	case CS_DEC_MALFORMED_TCP:
		return CS_BAD;
	case CS_DEC_VLAN_TOO_DEEP:
	case CS_DEC_MPLS_TOO_DEEP:
	case CS_DEC_TUNNEL_TOO_DEEP:
	case CS_DEC_IPV6_EXT_TOO_DEEP:
		return CS_LIMIT;
	default:
		return CS_UNSUPPORTED; /* not IP/TCP, encrypted, link type */
	}
}

/* The one place that counts: why a unit was skipped, or the segment's flags. */
static enum cs_status finish(const struct dec *d, enum cs_decode_counter why,
			     struct cs_decode_stats *st)
{
	struct cs_pkt *out = d->out;

	if (why != DEC_OK) {
		st->n[why]++;
		return skip_status(why);
	}
	out->tunnel_depth = (uint8_t)d->depth;
	if (d->depth > 0)
		st->n[CS_DEC_TUNNELED]++;
	if (out->payload.n < out->payload_len)
		st->n[CS_DEC_PAYLOAD_TRUNCATED]++;
	return CS_OK;
}

enum cs_status decode_packet(int linktype, const uint8_t *frame, size_t caplen, struct cs_pkt *out,
			     struct cs_decode_stats *st)
{
	struct dec d = {.out = out, .lost = SIZE_MAX, .depth = 0};
	struct cs_cursor c;

	*out = (struct cs_pkt){0};
	cur_init(&c, frame, caplen);
	return finish(&d, link_layer(&d, &c, linktype), st);
}

enum cs_status decode_datagram(const struct cs_pkt *frag, struct cs_slice payload,
			       struct cs_pkt *out, struct cs_decode_stats *st)
{
	struct cs_frag f = frag->frag;
	struct cs_addr src = frag->src, dst = frag->dst;
	struct dec d = {.out = out, .lost = 0, .depth = f.depth};
	struct cs_cursor c;

	*out = (struct cs_pkt){.src = src, .dst = dst};
	st->n[CS_DEC_IP_REASSEMBLED]++;
	cur_init_slice(&c, payload);
	return finish(&d, dec_datagram(&d, &c, f.version, f.proto), st);
}

static const struct {
	int linktype;
	const char *name;
} link_names[] = {
	{CS_LINKTYPE_NULL, "NULL"},
	{CS_LINKTYPE_ETHERNET, "EN10MB"},
	{CS_DLT_RAW_ALT1, "RAW"},
	{CS_DLT_RAW_ALT2, "RAW"},
	{CS_LINKTYPE_RAW, "RAW"},
	{CS_LINKTYPE_LOOP, "LOOP"},
	{CS_LINKTYPE_LINUX_SLL, "LINUX_SLL"},
	{CS_LINKTYPE_IPV4, "IPV4"},
	{CS_LINKTYPE_IPV6, "IPV6"},
	{CS_LINKTYPE_LINUX_SLL2, "LINUX_SLL2"},
	{CS_LINKTYPE_PPP, "PPP"},
	{CS_LINKTYPE_PPP_HDLC, "PPP_SERIAL"},
	{CS_LINKTYPE_PPP_ETHER, "PPP_ETHER"},
	{CS_LINKTYPE_C_HDLC, "C_HDLC"},
	{CS_LINKTYPE_IEEE802_11, "IEEE802_11"},
	{CS_LINKTYPE_IEEE802_11_RADIOTAP, "IEEE802_11_RADIO"},
	{CS_LINKTYPE_PPP_PPPD, "PPP_PPPD"},
	{CS_LINKTYPE_PPI, "PPI"},
	{CS_LINKTYPE_PPP_WITH_DIR, "PPP_WITH_DIR"},
	{CS_LINKTYPE_C_HDLC_WITH_DIR, "C_HDLC_WITH_DIR"},
	{CS_LINKTYPE_NFLOG, "NFLOG"},
};

const char *decode_linktype_name(int linktype)
{
	for (size_t i = 0; i < CS_ARRAY_LEN(link_names); i++)
		if (link_names[i].linktype == linktype)
			return link_names[i].name;
	return NULL;
}

bool decode_linktype_supported(int linktype) { return decode_linktype_name(linktype) != NULL; }

/* JSON report keys (docs/report-format.md, "decode"): never rename. */
static const char *const counter_names[CS_DEC_COUNTER_MAX] = {
	[CS_DEC_NOT_IP] = "not_ip",
	[CS_DEC_NOT_TCP] = "not_tcp",
	[CS_DEC_IP_FRAGMENT] = "ip_fragment",
	[CS_DEC_TRUNCATED] = "truncated",
	[CS_DEC_MALFORMED_LINK] = "malformed_link",
	[CS_DEC_MALFORMED_IP] = "malformed_ip",
	[CS_DEC_MALFORMED_TCP] = "malformed_tcp",
	[CS_DEC_UNSUPPORTED_LINK] = "unsupported_link",
	[CS_DEC_VLAN_TOO_DEEP] = "vlan_too_deep",
	[CS_DEC_MPLS_TOO_DEEP] = "mpls_too_deep",
	[CS_DEC_TUNNEL_TOO_DEEP] = "tunnel_too_deep",
	[CS_DEC_IPV6_EXT_TOO_DEEP] = "ipv6_ext_too_deep",
	[CS_DEC_TUNNELED] = "tunneled",
	[CS_DEC_PAYLOAD_TRUNCATED] = "payload_truncated",
	[CS_DEC_ENCRYPTED] = "encrypted",
	[CS_DEC_IP_REASSEMBLED] = "ip_reassembled",
};

const char *decode_counter_name(enum cs_decode_counter c)
{
	return (unsigned)c < CS_DEC_COUNTER_MAX ? counter_names[c] : NULL;
}
