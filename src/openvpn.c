/*
 * openvpn.c - OpenVPN's TCP framing, unwrapped for the TLS layer
 * (cs_openvpn.h).
 * Owns the per-direction framing state and the buffer of control-channel
 * bytes; fed the contiguous TCP bytes by the engine, feeds tls_feed() with
 * what the control packets carry, in message packet-id order.
 * Policy: recognised only from a direction's first packet (a hard reset
 * with key id 0) whose every field parses with one tls-auth HMAC size, so
 * that no other protocol is taken for it; retransmitted control messages
 * are dropped, a missing one stops the direction (nothing is guessed); the
 * control channel ends at the first data packet, a renegotiation (another
 * key id, a soft reset) or another session id.  Every read through the
 * cursor; the unwrapped bytes are capped by the buffer pool.
 * References: OpenVPN src/openvpn/ssl_pkt.h, reliable.c, doc "Protocol
 * overview" (openvpn-rfc); Wireshark packet-openvpn.c; nDPI openvpn.c.
 */
#include "cs_openvpn.h"
#include "cs_cursor.h"
#include "cs_limits.h"

#include <string.h>

enum {
	OP_HARD_RESET_CLIENT_V1 = 1,
	OP_HARD_RESET_SERVER_V1 = 2,
	OP_SOFT_RESET_V1 = 3,
	OP_CONTROL_V1 = 4,
	OP_ACK_V1 = 5,
	OP_DATA_V1 = 6,
	OP_HARD_RESET_CLIENT_V2 = 7,
	OP_HARD_RESET_SERVER_V2 = 8,
	OP_DATA_V2 = 9,
	OP_HARD_RESET_CLIENT_V3 = 10,
};

/* tls-auth digests: none, MD5, SHA-1, SHA-224, SHA-256, SHA-384, SHA-512. */
static const uint8_t hmac_sizes[] = {0, 16, 20, 28, 32, 48, 64};

struct packet {
	uint8_t op, key;
	uint8_t sid[8];
	uint8_t nacks;
	uint32_t replay_id, net_time; /* tls-auth only */
	bool has_id;
	uint32_t id; /* message packet id */
	struct cs_slice payload;
};

void ovpn_init(struct ovpn *o)
{
	memset(o, 0, sizeof(*o));
	o->hmac = -1;
}

void ovpn_release(struct ovpn *o, struct cs_bufpool *bp)
{
	bufpool_release(bp, &o->d[0].tls);
	bufpool_release(bp, &o->d[1].tls);
}

static bool is_data(uint8_t op) { return op == OP_DATA_V1 || op == OP_DATA_V2; }

static bool is_reset(uint8_t op)
{
	return op == OP_HARD_RESET_CLIENT_V1 || op == OP_HARD_RESET_SERVER_V1 ||
	       op == OP_HARD_RESET_CLIENT_V2 || op == OP_HARD_RESET_SERVER_V2 ||
	       op == OP_HARD_RESET_CLIENT_V3;
}

/* One packet (after the TCP length) with an HMAC of h bytes, h < 0 for
 * "no tls-auth" too (0).  Data packets are not parsed past the opcode. */
static bool parse_packet(struct cs_cursor *c, int h, struct packet *k)
{
	uint8_t b;

	memset(k, 0, sizeof(*k));
	if (!cur_u8(c, &b))
		return false;
	k->op = b >> 3;
	k->key = b & 7;
	if (is_data(k->op))
		return true;
	if (!cur_copy(c, k->sid, sizeof(k->sid)))
		return false;
	if (h > 0 &&
	    (!cur_skip(c, (size_t)h) || !cur_u32(c, &k->replay_id) || !cur_u32(c, &k->net_time)))
		return false;
	if (!cur_u8(c, &k->nacks) || k->nacks > CS_OVPN_MAX_ACKS || !cur_skip(c, 4u * k->nacks) ||
	    (k->nacks && !cur_skip(c, 8)))
		return false;
	if (k->op == OP_ACK_V1)
		return cur_end(c);
	k->has_id = true;
	if (!cur_u32(c, &k->id))
		return false;
	k->payload = cur_rest(c);
	return true;
}

/*
 * Does the first packet of a direction parse exactly as a hard reset with
 * an HMAC of h bytes?  A reset carries message packet id 0 and acks at most
 * the peer's reset; with tls-auth its replay id starts at 1 and its time is
 * set; its payload is empty or a few bytes of early negotiation.
 */
static bool reset_fits(struct cs_cursor pkt, int h, struct packet *k)
{
	if (!parse_packet(&pkt, h, k) || !is_reset(k->op) || k->key != 0 || k->id != 0 ||
	    k->nacks > 1 || k->payload.n > CS_OVPN_MAX_RESET_PAYLOAD)
		return false;
	return h == 0 || (k->replay_id >= 1 && k->replay_id < 256 && k->net_time != 0);
}

void ovpn_plain(struct ovpn *o, int dir) { o->d[dir].state = OVPN_NO; }

enum cs_status ovpn_detect(struct ovpn *o, int dir, struct cs_slice data)
{
	struct ovpn_dir *d = &o->d[dir];
	struct cs_cursor c, pkt;
	struct packet k;
	uint16_t plen;
	uint8_t b;

	cur_init_slice(&c, data);
	if (!cur_peek_u16(&c, 0, &plen))
		return CS_MORE;
	if (plen < 14 || plen > CS_OVPN_MAX_FIRST_PACKET)
		goto not_openvpn;
	if (!cur_peek_u8(&c, 2, &b))
		return CS_MORE;
	if (!is_reset(b >> 3) || (b & 7) != 0)
		goto not_openvpn;
	if (cur_left(&c) < 2u + plen)
		return CS_MORE;
	cur_skip(&c, 2);
	cur_sub(&c, plen, &pkt);
	for (size_t i = 0; i < sizeof(hmac_sizes); i++) {
		if (o->hmac >= 0 && hmac_sizes[i] != o->hmac)
			continue; /* the other side told already */
		if (!reset_fits(pkt, hmac_sizes[i], &k))
			continue;
		o->hmac = (int8_t)hmac_sizes[i];
		d->state = OVPN_YES;
		memcpy(d->sid, k.sid, sizeof(d->sid));
		return CS_OK;
	}
not_openvpn:
	d->state = OVPN_NO;
	return CS_UNSUPPORTED;
}

/* The TLS bytes of one control message, appended for the TLS layer. */
static bool deliver(struct ovpn_dir *d, struct cs_bufpool *bp, struct cs_slice payload)
{
	if (payload.n == 0)
		return true;
	if (bufpool_reserve(bp, &d->tls, (size_t)d->tls.len + payload.n) != CS_OK)
		return false;
	memcpy(d->tls.p + d->tls.len, payload.p, payload.n);
	d->tls.len += (uint32_t)payload.n;
	return true;
}

/* One packet of an OpenVPN direction: false when the control channel is over. */
static bool handle_packet(struct ovpn *o, struct cs_bufpool *bp, int dir, struct cs_cursor *pkt,
			  struct ovpn_stats *st)
{
	struct ovpn_dir *d = &o->d[dir];
	struct packet k;

	if (!parse_packet(pkt, o->hmac, &k)) {
		st->malformed++;
		return false;
	}
	/* data: the handshake is over; another key id or a soft reset: a
	 * renegotiation (a second TLS session, not needed); another session */
	if (is_data(k.op) || k.op == OP_SOFT_RESET_V1 || k.key != d->key_id ||
	    memcmp(k.sid, d->sid, sizeof(k.sid)) != 0)
		return false;
	if (!k.has_id || k.id < d->next_pid)
		return true; /* an ACK, or a retransmission */
	if (k.id > d->next_pid) {
		st->out_of_order++;
		return false;
	}
	d->next_pid++;
	if (k.op != OP_CONTROL_V1)
		return is_reset(k.op); /* a reset's payload is not TLS */
	return deliver(d, bp, k.payload);
}

size_t ovpn_unwrap(struct ovpn *o, struct cs_bufpool *bp, int dir, struct cs_slice data,
		   struct ovpn_stats *st)
{
	struct ovpn_dir *d = &o->d[dir];
	struct cs_cursor c, pkt;
	size_t used = 0;
	uint16_t plen;

	cur_init_slice(&c, data);
	while (d->state == OVPN_YES && cur_peek_u16(&c, 0, &plen)) {
		if (cur_left(&c) < 2u + plen)
			break; /* the rest of this packet is in later segments */
		cur_skip(&c, 2);
		cur_sub(&c, plen, &pkt);
		used = cur_pos(&c);
		if (!handle_packet(o, bp, dir, &pkt, st))
			d->state = OVPN_DONE;
	}
	return d->state == OVPN_DONE ? data.n : used;
}

struct cs_slice ovpn_pending(const struct ovpn *o, int dir)
{
	return (struct cs_slice){o->d[dir].tls.p, o->d[dir].tls.len};
}

void ovpn_consume(struct ovpn *o, int dir, size_t n)
{
	struct cs_buf *b = &o->d[dir].tls;

	if (n == 0 || n > b->len)
		return;
	memmove(b->p, b->p + n, b->len - n);
	b->len -= (uint32_t)n;
}
