/*
 * decode_wlan.c - 802.11 data frames, as monitor-mode captures hold them.
 * Owns the link types IEEE802_11 (the bare MAC header), IEEE802_11_RADIO
 * (a radiotap header first) and PPI (a per-packet information header
 * first), the 802.11 MAC header of data frames and the LLC/SNAP header that
 * carries the ethertype; hands the ethertype to decode_link.c.
 * Policy: only cleartext data frames can hold TCP.  Management, control and
 * null-data frames are not_ip; a frame with the Protected bit is counted as
 * encrypted (chainsniff does not decrypt WEP/WPA: decrypt the capture first,
 * e.g. with airdecap-ng); 802.11 fragments and A-MSDU aggregates are not
 * reassembled (not_ip); a radiotap "bad FCS" frame is malformed_link.
 * References: IEEE 802.11-2020 section 9.2 (MAC frame formats), RFC 1042
 * and IEEE 802.1H (SNAP), https://www.radiotap.org (header, Flags field,
 * alignment), the PPI specification (CACE Technologies 1.0), tcpdump
 * print-802_11.c.
 */
#include "decode_int.h"
#include "cs_limits.h"

/* Frame Control, IEEE 802.11-2020 9.2.4.1: first byte, then the flags. */
#define CS_WLAN_TYPE_DATA 2
#define CS_WLAN_SUBTYPE_NODATA 0x4 /* Null, QoS Null, CF-Ack/Poll without data */
#define CS_WLAN_SUBTYPE_QOS 0x8
#define CS_WLAN_TO_FROM_DS 0x03 /* both set: a fourth address */
#define CS_WLAN_MORE_FRAGS 0x04
#define CS_WLAN_PROTECTED 0x40
#define CS_WLAN_ORDER 0x80     /* in a QoS data frame: an HT Control field */
#define CS_WLAN_QOS_AMSDU 0x80 /* QoS Control bit 7: A-MSDU present */

#define CS_RADIOTAP_EXT 0x80000000u /* another presence word follows */
#define CS_RADIOTAP_TSFT 0x1u       /* u64, aligned on 8 */
#define CS_RADIOTAP_FLAGS 0x2u      /* u8 */
#define CS_RADIOTAP_F_DATAPAD 0x20  /* padding after the MAC header, to 4 */
#define CS_RADIOTAP_F_BADFCS 0x40

#define CS_PPI_DLT_ETHERNET 1
#define CS_PPI_DLT_IEEE802_11 105

/*
 * LLC/SNAP (IEEE 802.2, RFC 1042, IEEE 802.1H):
 *   | DSAP 0xaa | SSAP 0xaa | Control 0x03 | OUI (3) | ethertype (2) |
 * OUI 00:00:00 (RFC 1042) or 00:00:f8 (bridge tunnel); anything else
 * (other LLC users, vendor OUIs) is not IP.
 */
static enum cs_decode_counter llc_snap(struct dec *d, struct cs_cursor *c)
{
	uint16_t dsap_ssap, oui_low, type;
	uint8_t ctrl, oui_high;
	enum cs_decode_counter r;

	if ((r = dec_need(d, c, 8, CS_DEC_MALFORMED_LINK)) != DEC_OK)
		return r;
	cur_u16(c, &dsap_ssap);
	cur_u8(c, &ctrl);
	cur_u8(c, &oui_high);
	cur_u16(c, &oui_low);
	cur_u16(c, &type);
	if (dsap_ssap != 0xaaaa || ctrl != 0x03 || oui_high != 0 ||
	    (oui_low != 0x0000 && oui_low != 0x00f8))
		return CS_DEC_NOT_IP;
	return dec_ethertype(d, c, type);
}

/*
 * 802.11 MAC header of a data frame (IEEE 802.11-2020 9.3.2.1), all fields
 * little-endian:
 *   | Frame Control (2) | Duration (2) | Address 1 | Address 2 | Address 3 |
 *   | Sequence Control (2) | Address 4 (if To DS and From DS) |
 *   | QoS Control (2, QoS subtypes) | HT Control (4, QoS with Order set) |
 * then the frame body (LLC/SNAP).  Frame Control's first byte holds the
 * protocol version (bits 0-1, must be 0), type (bits 2-3), subtype (4-7).
 * datapad: radiotap says the body starts on a 4-byte boundary.
 */
static enum cs_decode_counter wlan(struct dec *d, struct cs_cursor *c, bool datapad)
{
	uint8_t fc, flags, qos = 0;
	uint16_t seqctl;
	size_t hlen = 24;
	enum cs_decode_counter r;

	if ((r = dec_need(d, c, hlen, CS_DEC_MALFORMED_LINK)) != DEC_OK)
		return r;
	cur_peek_u8(c, 0, &fc);
	cur_peek_u8(c, 1, &flags);
	if ((fc & 0x3) != 0)
		return CS_DEC_MALFORMED_LINK;
	if ((fc >> 2 & 0x3) != CS_WLAN_TYPE_DATA || (fc >> 4) & CS_WLAN_SUBTYPE_NODATA)
		return CS_DEC_NOT_IP; /* management, control, null data */
	if (flags & CS_WLAN_PROTECTED)
		return CS_DEC_ENCRYPTED;
	if ((flags & CS_WLAN_TO_FROM_DS) == CS_WLAN_TO_FROM_DS)
		hlen += 6;
	if ((fc >> 4) & CS_WLAN_SUBTYPE_QOS) {
		if ((r = dec_need(d, c, hlen + 2, CS_DEC_MALFORMED_LINK)) != DEC_OK)
			return r;
		cur_peek_u8(c, hlen, &qos);
		hlen += 2 + (flags & CS_WLAN_ORDER ? 4u : 0);
	}
	cur_peek_u16(c, 22, &seqctl);
	/* Sequence Control, little-endian: the fragment number is the low
	 * nibble of its first byte */
	if ((flags & CS_WLAN_MORE_FRAGS) || (seqctl >> 8 & 0xf) != 0 || (qos & CS_WLAN_QOS_AMSDU))
		return CS_DEC_NOT_IP;
	if (datapad)
		hlen = (hlen + 3) & ~(size_t)3;
	if ((r = dec_skip(d, c, hlen, CS_DEC_MALFORMED_LINK)) != DEC_OK)
		return r;
	return llc_snap(d, c);
}

/*
 * The radiotap Flags field (0 when absent); false when the header is too
 * short for the presence words or fields it announces.  Fields follow the
 * presence words in bit order, each aligned on its own size from the start
 * of the header: TSFT (bit 0, u64) is the only one before Flags (bit 1).
 */
static bool radiotap_flags(struct cs_cursor hdr, uint8_t *flags)
{
	uint32_t first, present;
	size_t at;

	*flags = 0;
	cur_skip(&hdr, 4);
	if (!cur_u32le(&hdr, &first))
		return false;
	present = first;
	for (unsigned n = 1; present & CS_RADIOTAP_EXT; n++)
		if (n == CS_MAX_RADIOTAP_PRESENT || !cur_u32le(&hdr, &present))
			return false;
	if (!(first & CS_RADIOTAP_FLAGS))
		return true;
	at = cur_pos(&hdr);
	if (first & CS_RADIOTAP_TSFT)
		at = ((at + 7) & ~(size_t)7) + 8;
	return cur_peek_u8(&hdr, at - cur_pos(&hdr), flags);
}

/*
 * Radiotap (https://www.radiotap.org):
 *   | version (0) | pad | length (u16 LE) | present (u32 LE) ... | fields |
 * length covers the whole header, then the 802.11 frame.  Only the Flags
 * field matters here: a failed FCS check and the data padding.
 */
static enum cs_decode_counter radiotap(struct dec *d, struct cs_cursor *c)
{
	struct cs_cursor hdr;
	uint8_t version, flags;
	uint16_t len;
	enum cs_decode_counter r;

	if ((r = dec_need(d, c, 8, CS_DEC_MALFORMED_LINK)) != DEC_OK)
		return r;
	cur_peek_u8(c, 0, &version);
	hdr = *c;
	cur_skip(&hdr, 2);
	cur_u16le(&hdr, &len);
	if (version != 0 || len < 8)
		return CS_DEC_MALFORMED_LINK;
	if ((r = dec_need(d, c, len, CS_DEC_MALFORMED_LINK)) != DEC_OK)
		return r;
	cur_sub(c, len, &hdr);
	if (!radiotap_flags(hdr, &flags) || (flags & CS_RADIOTAP_F_BADFCS))
		return CS_DEC_MALFORMED_LINK;
	return wlan(d, c, flags & CS_RADIOTAP_F_DATAPAD);
}

/*
 * PPI, Per-Packet Information header (CACE Technologies):
 *   | version (0) | flags | length (u16 LE) | DLT of what follows (u32 LE) |
 * then length - 8 bytes of fields, then the frame.
 */
static enum cs_decode_counter ppi(struct dec *d, struct cs_cursor *c)
{
	uint8_t version;
	uint16_t len;
	uint32_t dlt;
	enum cs_decode_counter r;

	if ((r = dec_need(d, c, 8, CS_DEC_MALFORMED_LINK)) != DEC_OK)
		return r;
	cur_u8(c, &version);
	cur_skip(c, 1);
	cur_u16le(c, &len);
	cur_u32le(c, &dlt);
	if (version != 0 || len < 8)
		return CS_DEC_MALFORMED_LINK;
	if ((r = dec_skip(d, c, len - 8u, CS_DEC_MALFORMED_LINK)) != DEC_OK)
		return r;
	switch (dlt) {
	case CS_PPI_DLT_IEEE802_11:
		return wlan(d, c, false);
	case CS_PPI_DLT_ETHERNET:
		return dec_ether(d, c);
	default:
		return CS_DEC_UNSUPPORTED_LINK;
	}
}

enum cs_decode_counter dec_wlan_link(struct dec *d, struct cs_cursor *c, int linktype)
{
	switch (linktype) {
	case CS_LINKTYPE_IEEE802_11:
		return wlan(d, c, false);
	case CS_LINKTYPE_IEEE802_11_RADIOTAP:
		return radiotap(d, c);
	case CS_LINKTYPE_PPI:
		return ppi(d, c);
	default:
		return CS_DEC_UNSUPPORTED_LINK;
	}
}
