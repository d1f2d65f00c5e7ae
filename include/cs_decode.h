/*
 * cs_decode.h - link layer, IP and TCP decoding of one captured frame.
 *
 * decode_packet() turns (link type, captured bytes) into a cs_pkt for a TCP
 * segment, following VLAN/QinQ tags, Cisco MetaData (SGT), PPPoE, MPLS,
 * Linux cooked v1/v2, BSD loopback, raw IP, PPP (plain, HDLC-framed, pppd,
 * with direction), Cisco HDLC, 802.11 data frames (plain, radiotap, PPI)
 * with LLC/SNAP, NFLOG, IPv4 options, IPv6 extension headers and the tunnels
 * gateways carry (IP-in-IP, GRE, VXLAN, Geneve, GTP-U).  Anything else is
 * skipped and counted in cs_decode_stats under a named counter.
 * An IP fragment is not a segment: decode_packet() describes it (cs_pkt.frag)
 * and returns CS_MORE; the caller gives it to the defragmenter (defrag.c)
 * and, once the datagram is whole, decode_datagram() goes on from there.
 * Checksums are never verified: loopback captures carry offloaded, wrong ones.
 */
#ifndef CS_DECODE_H
#define CS_DECODE_H

#include "cs_common.h"

/* libpcap DLT/LINKTYPE values we decode. */
#define CS_LINKTYPE_NULL 0
#define CS_LINKTYPE_ETHERNET 1
#define CS_LINKTYPE_PPP 9
#define CS_LINKTYPE_PPP_HDLC 50  /* DLT_PPP_SERIAL */
#define CS_LINKTYPE_PPP_ETHER 51 /* a PPPoE session header first */
#define CS_LINKTYPE_RAW 101
#define CS_LINKTYPE_C_HDLC 104 /* Cisco HDLC */
#define CS_LINKTYPE_IEEE802_11 105
#define CS_LINKTYPE_LOOP 108
#define CS_LINKTYPE_LINUX_SLL 113
#define CS_LINKTYPE_IEEE802_11_RADIOTAP 127
#define CS_LINKTYPE_PPP_PPPD 166
#define CS_LINKTYPE_PPI 192
#define CS_LINKTYPE_PPP_WITH_DIR 204
#define CS_LINKTYPE_C_HDLC_WITH_DIR 205
#define CS_LINKTYPE_IPV4 228
#define CS_LINKTYPE_IPV6 229
#define CS_LINKTYPE_NFLOG 239
#define CS_LINKTYPE_LINUX_SLL2 276
/* DLT_RAW as some platforms number it in live captures */
#define CS_DLT_RAW_ALT1 12
#define CS_DLT_RAW_ALT2 14

#define CS_TCP_FIN 0x01
#define CS_TCP_SYN 0x02
#define CS_TCP_RST 0x04
#define CS_TCP_PSH 0x08
#define CS_TCP_ACK 0x10

/* An IP fragment (decode_packet() returned CS_MORE): what the defragmenter
 * needs, and where decoding goes on once the datagram is whole.  data
 * borrows the frame's bytes. */
struct cs_frag {
	uint8_t version;      /* 4 or 6 */
	uint8_t proto;        /* IPv4 Protocol, or the fragment header's Next Header */
	uint8_t depth;        /* tunnels entered before this IP header */
	bool more;            /* MF / M: more fragments follow */
	uint32_t id;          /* Identification (16 bits in IPv4) */
	uint32_t offset;      /* in bytes */
	struct cs_slice data; /* the captured part of the fragment's payload */
	uint32_t data_len;    /* its length per the IP header (>= data.n) */
};

/* One decoded TCP segment.  payload borrows the frame's bytes. */
struct cs_pkt {
	struct cs_addr src, dst;
	uint16_t sport, dport;
	uint32_t seq, ack;
	uint8_t flags;           /* CS_TCP_* */
	struct cs_slice payload; /* captured part of the TCP payload */
	uint32_t payload_len;    /* payload length per the IP header (>= payload.n
	                           when the snaplen cut the frame) */
	uint8_t tunnel_depth;    /* 0 when not encapsulated */
	struct cs_frag frag;     /* when decode_packet() returned CS_MORE */
};

/* Named skip/anomaly counters.  The names (decode_counter_name) are part of
 * the JSON report contract: add at the end, never rename. */
enum cs_decode_counter {
	CS_DEC_NOT_IP,  /* ARP, LLDP, ... */
	CS_DEC_NOT_TCP, /* UDP (not a tunnel), ICMP, ... */
	CS_DEC_IP_FRAGMENT,
	CS_DEC_TRUNCATED, /* headers cut by the snaplen */
	CS_DEC_MALFORMED_LINK,
	CS_DEC_MALFORMED_IP,
	CS_DEC_MALFORMED_TCP,
	CS_DEC_UNSUPPORTED_LINK, /* a frame of a link type we do not decode */
	CS_DEC_VLAN_TOO_DEEP,
	CS_DEC_MPLS_TOO_DEEP,
	CS_DEC_TUNNEL_TOO_DEEP,
	CS_DEC_IPV6_EXT_TOO_DEEP,
	CS_DEC_TUNNELED,          /* TCP segments found inside a tunnel */
	CS_DEC_PAYLOAD_TRUNCATED, /* TCP payload cut by the snaplen */
	CS_DEC_ENCRYPTED,         /* 802.11 frames with the Protected bit (WEP/WPA) */
	CS_DEC_IP_REASSEMBLED,    /* datagrams rebuilt from fragments (informative) */
	CS_DEC_COUNTER_MAX
};

struct cs_decode_stats {
	uint64_t n[CS_DEC_COUNTER_MAX];
};

/* Decode one frame.  CS_OK: *out is a TCP segment.  CS_MORE: an IP
 * fragment, described in out->frag (out->src, dst: its IP header's
 * addresses), counted as ip_fragment.  Anything else: the frame was skipped.
 * Either way exactly one counter in st was incremented (CS_DEC_TUNNELED and
 * CS_DEC_PAYLOAD_TRUNCATED are extra, informative). */
enum cs_status decode_packet(int linktype, const uint8_t *frame, size_t caplen, struct cs_pkt *out,
			     struct cs_decode_stats *st);

/* Go on decoding a reassembled datagram: frag is the cs_pkt decode_packet()
 * (or decode_datagram()) returned with CS_MORE, payload the datagram's whole
 * payload (after the IPv4 header or the IPv6 fragment header), which must
 * stay valid while *out is used.  out may be frag.  Counts ip_reassembled,
 * then returns and counts as decode_packet() does (CS_MORE again for a
 * fragment inside a tunnel inside the datagram). */
enum cs_status decode_datagram(const struct cs_pkt *frag, struct cs_slice payload,
			       struct cs_pkt *out, struct cs_decode_stats *st);

/* Whether decode_packet() knows this link type at all. */
bool decode_linktype_supported(int linktype);
/* "EN10MB", "LINUX_SLL2", ... (libpcap's names) or NULL if unknown. */
const char *decode_linktype_name(int linktype);
const char *decode_counter_name(enum cs_decode_counter c);

#endif
