/*
 * cs_decode.h - link layer, IP and TCP decoding of one captured frame.
 *
 * decode_packet() turns (link type, captured bytes) into a cs_pkt for a TCP
 * segment, following VLAN/QinQ tags, PPPoE, MPLS, Linux cooked v1/v2,
 * BSD loopback, raw IP, IPv4 options, IPv6 extension headers and the tunnels
 * gateways carry (IP-in-IP, GRE, VXLAN, Geneve).  Anything else is skipped
 * and counted in cs_decode_stats under a named counter.  IP fragments are
 * counted and skipped (TLS handshakes are not fragmented at the IP layer in
 * practice; reassembling them would be an attack surface for little gain).
 * Checksums are never verified: loopback captures carry offloaded, wrong ones.
 */
#ifndef CS_DECODE_H
#define CS_DECODE_H

#include "cs_common.h"

/* libpcap DLT/LINKTYPE values we decode. */
#define CS_LINKTYPE_NULL 0
#define CS_LINKTYPE_ETHERNET 1
#define CS_LINKTYPE_RAW 101
#define CS_LINKTYPE_LOOP 108
#define CS_LINKTYPE_LINUX_SLL 113
#define CS_LINKTYPE_IPV4 228
#define CS_LINKTYPE_IPV6 229
#define CS_LINKTYPE_LINUX_SLL2 276
/* DLT_RAW as some platforms number it in live captures */
#define CS_DLT_RAW_ALT1 12
#define CS_DLT_RAW_ALT2 14

#define CS_TCP_FIN 0x01
#define CS_TCP_SYN 0x02
#define CS_TCP_RST 0x04
#define CS_TCP_PSH 0x08
#define CS_TCP_ACK 0x10

/* One decoded TCP segment.  payload borrows the frame's bytes. */
struct cs_pkt {
	struct cs_addr src, dst;
	uint16_t sport, dport;
	uint32_t seq, ack;
	uint8_t flags;          /* CS_TCP_* */
	struct cs_slice payload; /* captured part of the TCP payload */
	uint32_t payload_len;   /* payload length per the IP header (>= payload.n
	                           when the snaplen cut the frame) */
	uint8_t tunnel_depth;   /* 0 when not encapsulated */
};

/* Named skip/anomaly counters.  The names (decode_counter_name) are part of
 * the JSON report contract: add at the end, never rename. */
enum cs_decode_counter {
	CS_DEC_NOT_IP,          /* ARP, LLDP, ... */
	CS_DEC_NOT_TCP,         /* UDP (not a tunnel), ICMP, ... */
	CS_DEC_IP_FRAGMENT,
	CS_DEC_TRUNCATED,       /* headers cut by the snaplen */
	CS_DEC_MALFORMED_LINK,
	CS_DEC_MALFORMED_IP,
	CS_DEC_MALFORMED_TCP,
	CS_DEC_UNSUPPORTED_LINK, /* a frame of a link type we do not decode */
	CS_DEC_VLAN_TOO_DEEP,
	CS_DEC_MPLS_TOO_DEEP,
	CS_DEC_TUNNEL_TOO_DEEP,
	CS_DEC_IPV6_EXT_TOO_DEEP,
	CS_DEC_TUNNELED,         /* TCP segments found inside a tunnel */
	CS_DEC_PAYLOAD_TRUNCATED, /* TCP payload cut by the snaplen */
	CS_DEC_COUNTER_MAX
};

struct cs_decode_stats {
	uint64_t n[CS_DEC_COUNTER_MAX];
};

/* Decode one frame.  CS_OK: *out is a TCP segment.  Anything else: the
 * frame was skipped and exactly one counter in st was incremented
 * (CS_DEC_TUNNELED and CS_DEC_PAYLOAD_TRUNCATED are extra, informative). */
enum cs_status decode_packet(int linktype, const uint8_t *frame, size_t caplen,
			     struct cs_pkt *out, struct cs_decode_stats *st);

/* Whether decode_packet() knows this link type at all. */
bool decode_linktype_supported(int linktype);
/* "EN10MB", "LINUX_SLL2", ... (libpcap's names) or NULL if unknown. */
const char *decode_linktype_name(int linktype);
const char *decode_counter_name(enum cs_decode_counter c);

#endif
