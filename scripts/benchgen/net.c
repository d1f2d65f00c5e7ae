/*
 * net.c - the packet engine: a connection's flights cut into MSS-sized
 * segments with the receiver's ACKs, sequence and acknowledgement numbers,
 * Ethernet/IPv4/TCP/UDP frames with checksums, the pcap file, and the heap
 * that merges all open connections' packets in time order.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "benchgen.h"

struct heap {
	struct conn **a;
	size_t n, cap;
};

static void conn_add_pkt(struct conn *c, const struct pdesc *d)
{
	if (c->npk == c->cappk) {
		c->cappk = c->cappk ? c->cappk * 2 : 32;
		c->pk = xrealloc(c->pk, c->cappk * sizeof *c->pk);
	}
	c->pk[c->npk] = *d;
	c->pk[c->npk].ord = (uint32_t)c->npk;
	c->npk++;
}

static uint16_t conn_add_flight(struct conn *c, uint8_t dir, uint8_t src, uint32_t off,
				uint32_t len, uint32_t pool_off)
{
	if (c->nfl == c->capfl) {
		c->capfl = c->capfl ? c->capfl * 2 : 16;
		c->fl = xrealloc(c->fl, c->capfl * sizeof *c->fl);
	}
	c->fl[c->nfl] = (struct flight){
		.off = off, .len = len, .dir = dir, .src = src, .pool_off = pool_off};
	return (uint16_t)c->nfl++;
}

/* When the other side's ACK of a segment sent at `t` by `dir` is seen: the
 * client is next to the capture point, the server one RTT away. */
static uint64_t ack_time(const struct conn *c, uint8_t dir, uint64_t t)
{
	return dir == 1 ? t + 40 : t + c->rtt;
}

/* A control segment (SYN, SYN|ACK, a pure ACK, FIN) `delay` after the last. */
void sc_ctl(struct conn *c, uint8_t dir, uint64_t delay, uint8_t flags)
{
	struct pdesc d = {0};

	c->clock += delay;
	d.t = c->clock;
	d.dir = dir;
	d.flags = flags;
	d.seq = c->sent[dir];
	if (flags & (TH_SYN | TH_FIN))
		c->sent[dir]++;
	conn_add_pkt(c, &d);
}

/* `len` bytes from `dir`, `delay` after the last packet, cut into MSS-sized
 * segments `gap` microseconds apart; the receiver ACKs every second one.
 * `fin` sets FIN on the last segment. */
void sc_data(struct conn *c, uint8_t dir, uint64_t delay, uint8_t src, const void *bytes,
	     uint32_t len, uint32_t gap, bool fin)
{
	uint32_t off = 0, done = 0, seg = c->udp ? len : MSS;
	uint16_t fl;
	uint32_t pool_off = 0;

	if (src == FL_BUF) {
		off = (uint32_t)c->data.len;
		buf_put(&c->data, bytes, len);
	} else {
		pool_off = (uint32_t)((c->id * 7919u + c->nfl * 104729u) % POOL_SIZE);
	}
	fl = conn_add_flight(c, dir, src, off, len, pool_off);
	c->clock += delay;
	for (uint32_t k = 0; done < len; k++) {
		struct pdesc d = {0};
		uint32_t n = len - done < seg ? len - done : seg;

		d.t = c->clock + (uint64_t)k * gap;
		d.dir = dir;
		d.flags = TH_ACK;
		d.seq = c->sent[dir];
		d.len = n;
		d.foff = done;
		d.flight = fl;
		done += n;
		c->sent[dir] += n;
		if (done == len) {
			d.flags |= TH_PSH;
			if (fin) {
				d.flags |= TH_FIN;
				c->sent[dir]++;
			}
		}
		conn_add_pkt(c, &d);
		if (k % 2 == 1 && !c->udp && done < len) {
			struct pdesc a = {0};

			a.t = ack_time(c, dir, d.t);
			a.dir = (uint8_t)!dir;
			a.flags = TH_ACK;
			a.seq = c->sent[!dir];
			conn_add_pkt(c, &a);
		}
		if (done == len)
			c->clock = d.t;
	}
}

static int pdesc_cmp(const void *a, const void *b)
{
	const struct pdesc *x = a, *y = b;

	if (x->t != y->t)
		return x->t < y->t ? -1 : 1;
	return x->ord < y->ord ? -1 : x->ord > y->ord;
}

/* The sequence number after the packet (SYN and FIN count one). */
static uint32_t pdesc_end(const struct pdesc *d)
{
	return d->seq + d->len + ((d->flags & (TH_SYN | TH_FIN)) ? 1u : 0u);
}

/* Time order, then acknowledgement numbers: the client acknowledges what it
 * has seen of the server; the server what the client sent one RTT ago. */
void conn_finish_script(struct conn *c)
{
	uint32_t client_end = 0, server_end = 0;
	size_t j = 0;

	qsort(c->pk, c->npk, sizeof *c->pk, pdesc_cmp);
	for (size_t i = 0; i < c->npk; i++) {
		struct pdesc *d = &c->pk[i];

		if (d->dir == 1) {
			for (; j < c->npk && c->pk[j].t + c->rtt <= d->t; j++)
				if (c->pk[j].dir == 0 && pdesc_end(&c->pk[j]) > client_end)
					client_end = pdesc_end(&c->pk[j]);
			d->ack = client_end;
		} else {
			d->ack = server_end;
		}
		if (d->dir == 1 && pdesc_end(d) > server_end)
			server_end = pdesc_end(d);
	}
}

/* Marks the segment of the last flight that carries its byte `off`: the
 * ground truth of the slice counts a handshake when that packet is in it. */
void mark_byte(struct conn *c, uint32_t off, uint8_t mark)
{
	uint16_t fl = (uint16_t)(c->nfl - 1);

	for (size_t i = c->npk; i-- > 0;)
		if (c->pk[i].flight == fl && c->pk[i].len && c->pk[i].foff <= off &&
		    off < c->pk[i].foff + c->pk[i].len) {
			c->pk[i].mark = mark;
			return;
		}
	die("mark_byte: offset %u not in the last flight", off);
}

static void conn_free(struct conn *c)
{
	buf_free(&c->data);
	free(c->fl);
	free(c->pk);
	free(c);
}

static uint32_t csum_add(uint32_t sum, const uint8_t *p, size_t n)
{
	uint64_t s = sum;

	for (; n >= 2; p += 2, n -= 2)
		s += (uint32_t)(p[0] << 8 | p[1]);
	if (n)
		s += (uint32_t)(p[0] << 8);
	while (s >> 32)
		s = (s & 0xffffffffu) + (s >> 32);
	return (uint32_t)s;
}

static uint16_t csum_fold(uint32_t sum)
{
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)~sum;
}

static void put16(uint8_t *p, unsigned v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static void put32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

/* Bytes of a flight at offset `off`: stored, or bulk (TLS application-data
 * records of 2^14 bytes with their headers, or raw) from the pool. */
static void flight_bytes(const struct gen *g, const struct conn *c, const struct flight *f,
			 uint32_t off, uint8_t *out, uint32_t n)
{
	if (f->src == FL_BUF) {
		memcpy(out, c->data.p + f->off + off, n);
		return;
	}
	for (uint32_t i = 0; i < n;) {
		uint32_t pos = off + i, chunk;

		if (f->src == FL_BULK_TLS) {
			uint32_t in_rec = pos % BULK_REC;

			if (in_rec < 5) {
				uint32_t rec_start = pos - in_rec;
				uint32_t body = f->len - rec_start - 5 < BULK_REC_BODY
							? f->len - rec_start - 5
							: BULK_REC_BODY;
				uint8_t h[5] = {0x17, 0x03, 0x03, (uint8_t)(body >> 8),
						(uint8_t)body};

				out[i++] = h[in_rec];
				continue;
			}
			chunk = BULK_REC - in_rec;
		} else {
			chunk = n - i;
		}
		if (chunk > n - i)
			chunk = n - i;
		{
			uint32_t p = (f->pool_off + pos) % POOL_SIZE;

			if (chunk > POOL_SIZE - p)
				chunk = POOL_SIZE - p;
			memcpy(out + i, g->pool + p, chunk);
		}
		i += chunk;
	}
}

static const uint8_t mac_client_side[6] = {0x02, 0x00, 0x5e, 0x10, 0x00, 0x01};

static const uint8_t mac_server_side[6] = {0x02, 0x00, 0x5e, 0x10, 0x00, 0x02};

static size_t frame_build(const struct gen *g, struct conn *c, const struct pdesc *d, uint8_t *f)
{
	uint8_t dir = d->dir, *ip = f + ETH_LEN, *l4 = ip + IP_LEN;
	size_t l4_hdr, total;
	uint32_t sum;
	uint32_t ms = (uint32_t)(d->t / 1000);

	memcpy(f, dir ? mac_client_side : mac_server_side, 6);
	memcpy(f + 6, dir ? mac_server_side : mac_client_side, 6);
	put16(f + 12, 0x0800);
	if (c->udp) {
		l4_hdr = UDP_LEN;
	} else {
		l4_hdr = TCP_LEN + ((d->flags & TH_SYN) ? TCP_OPT_SYN : TCP_OPT_TS);
	}
	total = IP_LEN + l4_hdr + d->len;
	ip[0] = 0x45;
	ip[1] = 0;
	put16(ip + 2, (unsigned)total);
	put16(ip + 4, c->ipid[dir]++);
	put16(ip + 6, 0x4000);
	ip[8] = c->ttl[dir];
	ip[9] = c->udp ? 17 : 6;
	put16(ip + 10, 0);
	put32(ip + 12, c->ip[dir]);
	put32(ip + 16, c->ip[!dir]);
	put16(ip + 10, csum_fold(csum_add(0, ip, IP_LEN)));
	put16(l4, c->port[dir]);
	put16(l4 + 2, c->port[!dir]);
	if (c->udp) {
		put16(l4 + 4, (unsigned)(UDP_LEN + d->len));
		put16(l4 + 6, 0);
	} else {
		uint8_t *o = l4 + TCP_LEN;

		put32(l4 + 4, c->isn[dir] + d->seq);
		put32(l4 + 8, (d->flags & TH_ACK) ? c->isn[!dir] + d->ack : 0);
		l4[12] = (uint8_t)((l4_hdr / 4) << 4);
		l4[13] = d->flags;
		put16(l4 + 14, (d->flags & TH_SYN) ? 64240 : (dir ? 501 : 2052));
		put16(l4 + 16, 0);
		put16(l4 + 18, 0);
		if (d->flags & TH_SYN) {
			static const uint8_t syn_opt[8] = {2, 4, 0x05, 0xb4, 4, 2, 8, 10};

			memcpy(o, syn_opt, 8);
			put32(o + 8, c->ts0[dir] + ms);
			put32(o + 12, (d->flags & TH_ACK) ? c->ts0[!dir] + ms - c->rtt / 1000 : 0);
			o[16] = 1;
			o[17] = 3;
			o[18] = 3;
			o[19] = 7;
		} else {
			o[0] = 1;
			o[1] = 1;
			o[2] = 8;
			o[3] = 10;
			put32(o + 4, c->ts0[dir] + ms);
			put32(o + 8, c->ts0[!dir] + ms - (dir ? c->rtt / 1000 : 0));
		}
	}
	if (d->len)
		flight_bytes(g, c, &c->fl[d->flight], d->foff, l4 + l4_hdr, d->len);
	/* pseudo-header, then the segment */
	sum = csum_add(0, ip + 12, 8);
	sum += (uint32_t)(c->udp ? 17 : 6) + (uint32_t)(l4_hdr + d->len);
	sum = csum_add(sum, l4, l4_hdr + d->len);
	{
		uint16_t ck = csum_fold(sum);

		if (c->udp && ck == 0)
			ck = 0xffff;
		put16(l4 + (c->udp ? 6 : 16), ck);
	}
	return ETH_LEN + total;
}

/* pcap headers are written little-endian, the byte order of the machines
 * that write nearly every capture. */
static void put16le(uint8_t *p, unsigned v)
{
	p[0] = (uint8_t)v;
	p[1] = (uint8_t)(v >> 8);
}

static void put32le(uint8_t *p, uint32_t v)
{
	put16le(p, v & 0xffff);
	put16le(p + 2, v >> 16);
}

void pcap_open(struct gen *g)
{
	char path[4096];
	uint8_t h[24] = {0};

	snprintf(path, sizeof path, "%s.pcap", g->prefix);
	g->pcap = fopen(path, "wb");
	if (!g->pcap)
		die("%s: %s", path, strerror(errno));
	setvbuf(g->pcap, NULL, _IOFBF, 4u << 20);
	put32le(h, 0xa1b2c3d4);
	put16le(h + 4, 2);
	put16le(h + 6, 4);
	put32le(h + 16, 262144);
	put32le(h + 20, 1); /* LINKTYPE_ETHERNET */
	if (fwrite(h, 1, sizeof h, g->pcap) != sizeof h)
		die("%s: write failed", path);
	g->file_bytes = sizeof h;
}

static void pcap_packet(struct gen *g, uint64_t t, const uint8_t *frame, size_t len)
{
	uint8_t h[16];
	uint64_t abs_us = (uint64_t)T0_EPOCH * USEC + t;

	put32le(h, (uint32_t)(abs_us / USEC));
	put32le(h + 4, (uint32_t)(abs_us % USEC));
	put32le(h + 8, (uint32_t)len);
	put32le(h + 12, (uint32_t)len);
	if (fwrite(h, 1, 16, g->pcap) != 16 || fwrite(frame, 1, len, g->pcap) != len)
		die("%s.pcap: write failed: %s", g->prefix, strerror(errno));
	g->file_bytes += 16 + len;
	g->packets++;
	g->wire_bytes += len;
	g->last_t = t;
}

/* Emits the connection's next packet and keeps the slice's ground truth. */
static void conn_emit(struct gen *g, struct conn *c)
{
	uint8_t frame[FRAME_MAX];
	const struct pdesc *d = &c->pk[c->next++];
	size_t len = frame_build(g, c, d, frame);

	pcap_packet(g, d->t, frame, len);
	if (c->bulk && d->len >= MSS)
		g->bulk_frame_bytes += len + 16;
	if (c->kind != K_TLS)
		g->noise_frame_bytes += len + 16;
	if (g->slice_done)
		return;
	if (g->file_bytes > g->slice_limit) {
		g->slice_done = true;
		return;
	}
	g->slice_packets = g->packets;
	g->slice_bytes = g->file_bytes;
	if (d->mark == PM_CLIENT_HELLO)
		g->slice_tls_hs++;
	if (d->mark == PM_CERT_DONE && c->chain >= 0) {
		g->slice_cert_msgs++;
		g->chains[c->chain].seen_in_slice = true;
	}
}

static bool heap_less(const struct conn *a, const struct conn *b)
{
	uint64_t ta = a->pk[a->next].t, tb = b->pk[b->next].t;

	return ta != tb ? ta < tb : a->id < b->id;
}

static void heap_push(struct heap *h, struct conn *c)
{
	size_t i;

	if (h->n == h->cap) {
		h->cap = h->cap ? h->cap * 2 : 1024;
		h->a = xrealloc(h->a, h->cap * sizeof *h->a);
	}
	i = h->n++;
	while (i > 0 && heap_less(c, h->a[(i - 1) / 2])) {
		h->a[i] = h->a[(i - 1) / 2];
		i = (i - 1) / 2;
	}
	h->a[i] = c;
}

static struct conn *heap_pop(struct heap *h)
{
	struct conn *top = h->a[0], *last = h->a[--h->n];
	size_t i = 0;

	for (;;) {
		size_t l = 2 * i + 1, m = i;

		if (l < h->n && heap_less(h->a[l], last))
			m = l;
		if (l + 1 < h->n && heap_less(h->a[l + 1], m == i ? last : h->a[m]))
			m = l + 1;
		if (m == i)
			break;
		h->a[i] = h->a[m];
		i = m;
	}
	if (h->n)
		h->a[i] = last;
	return top;
}

void run_traffic(struct gen *g, arrival_fn next, void *state)
{
	struct heap h = {0};
	struct spec sp;
	bool more = next(g, state, &sp);

	while (more || h.n) {
		if (more && (!h.n || sp.t <= h.a[0]->pk[h.a[0]->next].t)) {
			heap_push(&h, conn_start(g, &sp));
			more = next(g, state, &sp);
			continue;
		}
		{
			struct conn *c = heap_pop(&h);

			conn_emit(g, c);
			if (c->next < c->npk)
				heap_push(&h, c);
			else
				conn_free(c);
		}
	}
	free(h.a);
}
