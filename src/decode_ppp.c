/*
 * decode_ppp.c - PPP in all the forms captures carry it, and Cisco HDLC.
 * Owns the PPP link types (DLT_PPP, PPP_HDLC alias PPP_SERIAL, PPP_PPPD,
 * PPP_WITH_DIR, PPP_ETHER), PPPoE sessions (also reached from Ethernet) and
 * Cisco HDLC (C_HDLC, C_HDLC_WITH_DIR, and the Cisco framing PPP_SERIAL
 * files may hold).  Hands IPv4, IPv6 and MPLS to decode_ip.c/decode_link.c.
 * Policy: as the other decoders (decode_int.h); LCP, IPCP, compressed
 * datagrams (CCP) and Van Jacobson compressed TCP carry nothing we can
 * read without the session's state: not_ip.
 * References: RFC 1661 section 2 (protocol field), RFC 1662 section 3
 * (HDLC-like framing), RFC 2516 (PPPoE), RFC 1547 section 4.3.1 (Cisco
 * HDLC), https://www.tcpdump.org/linktypes.html, tcpdump print-ppp.c and
 * print-chdlc.c.
 */
#include "decode_int.h"
#include "cs_limits.h"

/* PPP protocol numbers (RFC 1661, IANA "PPP DLL Protocol Numbers"). */
#define CS_PPP_IPV4 0x0021
#define CS_PPP_IPV6 0x0057
#define CS_PPP_MPLS_UC 0x0281
#define CS_PPP_MPLS_MC 0x0283

/* RFC 1662 section 3.1: All-Stations address and Unnumbered Information. */
#define CS_HDLC_ADDRESS 0xff
#define CS_HDLC_UI 0x03
/* Cisco HDLC: unicast and broadcast addresses, control 0. */
#define CS_CHDLC_UNICAST 0x0f
#define CS_CHDLC_BCAST 0x8f

/*
 * The PPP protocol field, RFC 1661 section 2: two bytes, or one when
 * Protocol-Field-Compression was negotiated.  Protocol numbers are odd in
 * their low byte and even in their high byte, so a first byte with its low
 * bit set is a compressed (one-byte) field.
 */
static enum cs_decode_counter ppp_protocol(struct dec *d, struct cs_cursor *c)
{
	uint8_t first, low;
	uint16_t proto;
	enum cs_decode_counter r;

	if ((r = dec_need(d, c, 1, CS_DEC_MALFORMED_LINK)) != DEC_OK)
		return r;
	cur_u8(c, &first);
	if (first & 1) {
		proto = first;
	} else {
		if ((r = dec_need(d, c, 1, CS_DEC_MALFORMED_LINK)) != DEC_OK)
			return r;
		cur_u8(c, &low);
		proto = (uint16_t)(first << 8 | low);
	}
	switch (proto) {
	case CS_PPP_IPV4:
		return dec_ipv4(d, c);
	case CS_PPP_IPV6:
		return dec_ipv6(d, c);
	case CS_PPP_MPLS_UC:
		return dec_ethertype(d, c, CS_ETH_MPLS_UC);
	case CS_PPP_MPLS_MC:
		return dec_ethertype(d, c, CS_ETH_MPLS_MC);
	default:
		return CS_DEC_NOT_IP; /* LCP, IPCP, CCP, VJ compressed TCP, ... */
	}
}

/*
 * PPPoE session stage, RFC 2516 section 4, then the PPP protocol field:
 *   | VER=1 | TYPE=1|  CODE = 0x00  |          SESSION_ID           |
 *   |            LENGTH             |         PPP protocol          |
 * LENGTH counts the PPP frame (protocol field included).
 */
enum cs_decode_counter dec_pppoe(struct dec *d, struct cs_cursor *c)
{
	uint8_t ver_type, code;
	uint16_t len;
	enum cs_decode_counter r;

	if ((r = dec_need(d, c, 6, CS_DEC_MALFORMED_LINK)) != DEC_OK)
		return r;
	cur_u8(c, &ver_type);
	cur_u8(c, &code);
	cur_skip(c, 2);
	cur_u16(c, &len);
	if (ver_type != 0x11 || code != 0 || len < 2)
		return CS_DEC_MALFORMED_LINK;
	if ((r = dec_bound(d, c, len, CS_DEC_MALFORMED_LINK)) != DEC_OK)
		return r;
	return ppp_protocol(d, c);
}

/*
 * RFC 1662 section 3.1, HDLC-like framing:
 *   | Address 0xff | Control 0x03 | Protocol (1 or 2) | Information |
 * Address-and-Control-Field-Compression may leave both out, so they are
 * skipped only when present (this is how libpcap defines DLT_PPP); 0xff is
 * never the first byte of a protocol field.  The frame check sequence is
 * not captured.
 */
static enum cs_decode_counter ppp_frame(struct dec *d, struct cs_cursor *c)
{
	uint8_t addr, ctrl;
	enum cs_decode_counter r;

	if ((r = dec_need(d, c, 1, CS_DEC_MALFORMED_LINK)) != DEC_OK)
		return r;
	cur_peek_u8(c, 0, &addr);
	if (addr == CS_HDLC_ADDRESS) {
		if ((r = dec_need(d, c, 2, CS_DEC_MALFORMED_LINK)) != DEC_OK)
			return r;
		cur_skip(c, 1);
		cur_u8(c, &ctrl);
		if (ctrl != CS_HDLC_UI)
			return CS_DEC_MALFORMED_LINK;
	}
	return ppp_protocol(d, c);
}

/*
 * Cisco HDLC, RFC 1547 section 4.3.1:
 *   | Address 0x0f or 0x8f | Control 0x00 | Protocol (an ethertype) |
 * SLARP (0x8035) and CDP are not IP.
 */
static enum cs_decode_counter chdlc(struct dec *d, struct cs_cursor *c)
{
	uint8_t addr, ctrl;
	uint16_t type;
	enum cs_decode_counter r;

	if ((r = dec_need(d, c, 4, CS_DEC_MALFORMED_LINK)) != DEC_OK)
		return r;
	cur_u8(c, &addr);
	cur_u8(c, &ctrl);
	cur_u16(c, &type);
	if ((addr != CS_CHDLC_UNICAST && addr != CS_CHDLC_BCAST) || ctrl != 0)
		return CS_DEC_MALFORMED_LINK;
	return dec_ethertype(d, c, type);
}

/*
 * PPP_HDLC (libpcap's DLT_PPP_SERIAL): PPP in HDLC-like framing (first
 * byte 0xff), or Cisco PPP with HDLC framing (first byte 0x0f or 0x8f).
 */
static enum cs_decode_counter ppp_serial(struct dec *d, struct cs_cursor *c)
{
	uint8_t addr;
	enum cs_decode_counter r;

	if ((r = dec_need(d, c, 1, CS_DEC_MALFORMED_LINK)) != DEC_OK)
		return r;
	cur_peek_u8(c, 0, &addr);
	if (addr == CS_CHDLC_UNICAST || addr == CS_CHDLC_BCAST)
		return chdlc(d, c);
	return addr == CS_HDLC_ADDRESS ? ppp_frame(d, c) : CS_DEC_MALFORMED_LINK;
}

/*
 * PPP_PPPD: HDLC-like framing whose address byte says the direction
 * (0x00 received, 0x01 sent), as pppd writes its record files.
 */
static enum cs_decode_counter ppp_pppd(struct dec *d, struct cs_cursor *c)
{
	uint8_t dir, ctrl;
	enum cs_decode_counter r;

	if ((r = dec_need(d, c, 2, CS_DEC_MALFORMED_LINK)) != DEC_OK)
		return r;
	cur_u8(c, &dir);
	cur_u8(c, &ctrl);
	if (dir > 1 || ctrl != CS_HDLC_UI)
		return CS_DEC_MALFORMED_LINK;
	return ppp_protocol(d, c);
}

/* PPP_WITH_DIR, C_HDLC_WITH_DIR: one direction byte (0 in, 1 out) first. */
static enum cs_decode_counter with_direction(struct dec *d, struct cs_cursor *c)
{
	uint8_t dir;
	enum cs_decode_counter r;

	if ((r = dec_need(d, c, 1, CS_DEC_MALFORMED_LINK)) != DEC_OK)
		return r;
	cur_u8(c, &dir);
	return dir > 1 ? CS_DEC_MALFORMED_LINK : DEC_OK;
}

enum cs_decode_counter dec_ppp_link(struct dec *d, struct cs_cursor *c, int linktype)
{
	enum cs_decode_counter r;

	switch (linktype) {
	case CS_LINKTYPE_PPP:
		return ppp_frame(d, c);
	case CS_LINKTYPE_PPP_HDLC:
		return ppp_serial(d, c);
	case CS_LINKTYPE_PPP_PPPD:
		return ppp_pppd(d, c);
	case CS_LINKTYPE_PPP_WITH_DIR:
		return (r = with_direction(d, c)) != DEC_OK ? r : ppp_frame(d, c);
	case CS_LINKTYPE_C_HDLC:
		return chdlc(d, c);
	case CS_LINKTYPE_C_HDLC_WITH_DIR:
		return (r = with_direction(d, c)) != DEC_OK ? r : chdlc(d, c);
	case CS_LINKTYPE_PPP_ETHER:
		return dec_pppoe(d, c);
	default:
		return CS_DEC_UNSUPPORTED_LINK;
	}
}
