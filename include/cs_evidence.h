/*
 * cs_evidence.h - --write-broken: the packets of handshakes whose chain was
 * broken, written to a pcap file for the ticket, and the filters that find
 * a server's handshakes again in any capture (servers[].evidence_filter).
 *
 * What is written: every packet of the TCP connection from its first
 * packet seen up to the end of the handshake's cleartext part, that is the
 * server's Certificate flight and the client's next record (its key
 * exchange, or its alert: the client's answer to the chain), as the engine
 * decides it (tls_done).  Packets after that are not kept.
 *
 * When: a packet is known to be evidence only once its chain is judged,
 * after the handshake ended.  So each connection's packets are held while
 * its handshake is in progress, in a buffer that moves with the handshake
 * from its flow to the slot where it waits for its verdict; a broken
 * verdict (the report's: after --ignore, --server-net servers excluded)
 * writes them, any other verdict gives them back.  Holding costs no
 * allocation: a pool of CS_EVIDENCE_MEMCAP bytes in CS_EVIDENCE_CHUNK-byte
 * chunks is reserved at start; a connection holds at most
 * CS_EVIDENCE_FLOW_CAP bytes.  When either is reached, the connection's
 * later packets are not held (its evidence is cut short, counted in
 * caps.evidence_memcap / caps.evidence_flow_cap) and what was held is
 * still written.
 *
 * Files: libpcap savefiles (pcap_dump), nanosecond timestamps, snaplen
 * 262144, each packet as captured (its link-layer header and caplen).  A
 * pcap file has one link type: FILE takes the link type of the first packet
 * written; a packet of another link type goes to FILE with the link type's
 * name before the extension (broken.pcap -> broken.LINUX_SLL.pcap), created
 * when first needed (said on standard error).  FILE is created (truncated,
 * as tcpdump -w does) at start, mode 0640 minus the umask (it holds client
 * addresses and payloads); a run with nothing broken leaves a valid pcap
 * with no packet.  Every file is flushed after each handshake written.
 */
#ifndef CS_EVIDENCE_H
#define CS_EVIDENCE_H

#include "cs_capture.h"
#include "cs_common.h"
#include "cs_limits.h"

/* One connection's held packets: a list of pool chunks holding, back to
 * back, a record header and the frame for each packet.  All zeros (as a
 * flow is cleared) is empty.  Embedded in struct flow and the engine's
 * waiting handshakes; moved by copying, then clearing the source. */
struct evidence_buf {
	uint32_t head, tail; /* chunk indexes, meaningful when bytes > 0 */
	uint32_t bytes;      /* held, headers included */
	uint16_t packets;    /* saturates */
	bool cut;            /* a packet was not held: the rest is missing */
};

struct evidence_stats {
	uint64_t handshakes, packets, bytes; /* written */
	uint64_t memcap;                     /* connections cut short: the pool was full */
	uint64_t flow_cap;                   /* connections cut short: CS_EVIDENCE_FLOW_CAP */
	uint64_t linktypes;    /* packets not written: more than CS_EVIDENCE_LINKTYPES */
	uint64_t write_errors; /* handshakes whose packets could not all be written */
};

struct evidence;

/* Create path (0640, truncated) and reserve the pool.  NULL with err set
 * ("PATH: reason"). */
struct evidence *evidence_new(const char *path, char *err, size_t errlen);
/* Close every file; with nothing written, FILE still gets a pcap header of
 * default_linktype (the first input's).  false when a file could not be
 * written (said on standard error). */
bool evidence_close(struct evidence *ev, int default_linktype);
void evidence_free(struct evidence *ev);

/* Hold one more packet of the connection (a no-op once it was cut). */
void evidence_hold(struct evidence *ev, struct evidence_buf *b, const struct cs_frame *fr);
/* Give the held packets back (not evidence); b becomes empty. */
void evidence_release(struct evidence *ev, struct evidence_buf *b);
/* Write the held packets, in the order they came, then release them. */
void evidence_write(struct evidence *ev, struct evidence_buf *b);
void evidence_get_stats(const struct evidence *ev, struct evidence_stats *out);

/* The filters that find a server's handshakes again in a capture
 * (docs/report-format.md, servers[].evidence_filter): bpf "host ADDR and
 * tcp port PORT" (tcpdump -r, chainsniff -f: every packet to and from the
 * server), and a tshark display filter that matches exactly its
 * ClientHellos: "ip.addr == ADDR && tcp.port == PORT &&
 * tls.handshake.extensions_server_name == \"SNI\"" (escapes \" \\ \xHH keep
 * it printable ASCII); for a name with a byte >= 0x80, which tshark shows
 * as U+FFFD, "... && tls.handshake.type == 1 && tls contains 00:LL:LL:..."
 * (its bytes as RFC 6066 3 sends them); sni NULL: ClientHellos without a
 * server_name.  Each buffer should hold CS_EVIDENCE_FILTER_LEN bytes. */
void evidence_filters(const struct cs_addr *ip, uint16_t port, const char *sni, size_t sni_len,
		      char *bpf, size_t bpf_len, char *tshark, size_t tshark_len);

#endif
