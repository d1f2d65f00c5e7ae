/*
 * cs_openvpn.h - OpenVPN's TCP framing, to read the TLS inside its control
 * channel.
 *
 * OpenVPN runs a TLS handshake inside its reliable control channel: over
 * TCP every packet is prefixed with its length, and a P_CONTROL packet's
 * payload is a piece of the TLS stream.  Hunting for TLS records in the raw
 * TCP bytes would glue pieces of different packets into records (false
 * chains); this layer recognises the framing from a direction's first
 * packet (a hard reset, key id 0, whose fields parse exactly with one of
 * the HMAC sizes tls-auth uses: none, MD5, SHA-1, SHA-224/256/384/512),
 * then hands the TLS layer the control payloads in packet-id order.
 *
 * Packet (after the 2-byte TCP length), OpenVPN ssl_pkt.h / reliable.h:
 *   | opcode (5 bits) key id (3) | session id (8) |
 *   [ tls-auth: HMAC (h) | replay packet id (4) | net time (4) ]
 *   | ack count (1) | acked packet ids (4 each) | remote session id (8, if acks) |
 *   | message packet id (4, not in P_ACK_V1) | payload |
 * tls-crypt and tls-crypt-v2 encrypt the control channel: not readable,
 * and then not recognised (the connection is left to plain hunting).
 *
 * Embedded by value in tls_conn, driven by the engine; the unwrapped bytes
 * live in one pool buffer per direction (returned by ovpn_release; a
 * refusal of the pool ends the direction and is counted by the pool).
 */
#ifndef CS_OPENVPN_H
#define CS_OPENVPN_H

#include "cs_bufpool.h"

enum ovpn_state { OVPN_UNKNOWN, OVPN_NO, OVPN_YES, OVPN_DONE };

struct ovpn_dir {
	uint8_t state; /* enum ovpn_state */
	uint8_t key_id;
	uint32_t next_pid; /* the next control message to deliver */
	uint8_t sid[8];    /* this side's session id */
	struct cs_buf tls; /* unwrapped bytes the TLS layer has not consumed */
};

struct ovpn {
	int8_t hmac; /* tls-auth HMAC size, -1 while unknown */
	struct ovpn_dir d[2];
};

struct ovpn_stats {
	uint64_t malformed;    /* framing that stopped parsing */
	uint64_t out_of_order; /* a control message missing: the rest is not read */
};

void ovpn_init(struct ovpn *o);
void ovpn_release(struct ovpn *o, struct cs_bufpool *bp);

/* Look at the first bytes of direction dir (the stream from its start):
 * CS_OK it is OpenVPN (state OVPN_YES), CS_UNSUPPORTED it is not (OVPN_NO),
 * CS_MORE the first packet is not complete yet. */
enum cs_status ovpn_detect(struct ovpn *o, int dir, struct cs_slice data);
/* Direction dir is not looked at as OpenVPN (its start was not seen). */
void ovpn_plain(struct ovpn *o, int dir);
/* Unwrap the complete packets at the front of data into dir's buffer.
 * Returns the bytes of data consumed; once the control channel is over (a
 * data packet, a renegotiation, a framing error) the direction is
 * OVPN_DONE and everything is consumed. */
size_t ovpn_unwrap(struct ovpn *o, struct cs_bufpool *bp, int dir, struct cs_slice data,
		   struct ovpn_stats *st);
/* The unwrapped bytes waiting for the TLS layer, and how many it took. */
struct cs_slice ovpn_pending(const struct ovpn *o, int dir);
void ovpn_consume(struct ovpn *o, int dir, size_t n);

#endif
