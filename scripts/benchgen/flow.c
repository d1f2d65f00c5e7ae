/*
 * flow.c - whole connections: TCP open and close, a TLS connection in each
 * mode (full TLS 1.2, resumed, TLS 1.3), HTTP, SSH-like and DNS flows, as
 * scripts of flights for net.c; conn_start also counts each connection in
 * the ground truth.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "benchgen.h"

static uint32_t rtt_draw(struct rng *r)
{
	double ms = rng_lognormal(r, 28.0, 0.8);

	if (ms < 1)
		ms = 1;
	if (ms > 400)
		ms = 400;
	return (uint32_t)(ms * 1000);
}

/* Serialisation time of a full frame at the flow's rate (Mbit/s). */
static uint32_t gap_for_rate(double mbit) { return (uint32_t)((1514.0 * 8) / mbit) + 1; }

/* Ephemeral ports (Linux: 32768-60999) are used in turn, except the few that
 * Wireshark 4.0 gives a dissector of their own (IRC on 57000, ...): tshark
 * tries a registered port before its TLS heuristics, so a connection to a
 * server on 8443 from one of them would be dissected as that protocol and
 * its Certificate not extracted. */
static uint16_t client_port_usable(uint16_t p)
{
	static const uint16_t taken[] = {34980, 44321, 44322, 44818, 48049, 48898, 57000};

	for (size_t i = 0; i < sizeof taken / sizeof *taken; i++)
		if (p == taken[i])
			return (uint16_t)(p + 1);
	return p;
}

static struct conn *conn_new(struct gen *g, const struct spec *sp, uint32_t server_ip,
			     uint16_t server_port)
{
	struct rng *r = &g->r_traffic;
	struct conn *c = xcalloc(1, sizeof *c);

	c->id = g->next_conn_id++;
	c->kind = sp->kind;
	c->udp = sp->kind == K_DNS;
	c->ip[0] = ip4(100, 64, 0, 0) + 1 + sp->client + sp->client / 250 * 6;
	c->ip[1] = server_ip;
	c->port[0] = client_port_usable(g->client_port[sp->client]);
	g->client_port[sp->client] =
		client_port_usable((uint16_t)(c->port[0] >= 60999 ? 32768 : c->port[0] + 1));
	c->port[1] = server_port;
	for (int d = 0; d < 2; d++) {
		c->isn[d] = (uint32_t)rng_u64(r);
		c->ts0[d] = (uint32_t)rng_u64(r);
		c->ipid[d] = (uint16_t)rng_u64(r);
	}
	c->ttl[0] = 64;
	c->ttl[1] = (uint8_t)rng_range(r, 44, 58);
	c->rtt = rtt_draw(r);
	c->clock = sp->t;
	c->server = sp->server;
	c->chain = -1;
	c->bulk = sp->bulk;
	return c;
}

static void sc_tcp_open(struct conn *c)
{
	sc_ctl(c, 0, 0, TH_SYN);
	sc_ctl(c, 1, c->rtt, TH_SYN | TH_ACK);
	sc_ctl(c, 0, 40, TH_ACK);
}

/* Client close: its last data with FIN; the server's FIN one RTT later,
 * then the client's ACK. */
static void sc_tcp_close(struct conn *c, const struct buf *client_last,
			 const struct buf *server_last)
{
	if (client_last && client_last->len)
		sc_data(c, 0, 200, FL_BUF, client_last->p, (uint32_t)client_last->len, 0, true);
	else
		sc_ctl(c, 0, 200, TH_FIN | TH_ACK);
	if (server_last && server_last->len)
		sc_data(c, 1, c->rtt, FL_BUF, server_last->p, (uint32_t)server_last->len, 0, true);
	else
		sc_ctl(c, 1, c->rtt, TH_FIN | TH_ACK);
	sc_ctl(c, 0, 40, TH_ACK);
}

/* Server -> client application data: records of up to 2^14 bytes; bulk
 * transfers stream from the pool, short responses are written out. */
static void sc_tls_response(struct gen *g, struct conn *c, uint64_t delay, uint64_t bytes,
			    uint32_t gap)
{
	struct rng *rb = &g->r_payload;

	if (c->bulk) {
		uint64_t len = bytes;
		uint32_t rem;

		if (len > 0xffffffffULL - BULK_REC)
			len = 0xffffffffULL - BULK_REC;
		rem = (uint32_t)(len % BULK_REC);
		if (rem && rem < 5 + 25) /* the last record needs a body */
			len += 5 + 25 - rem;
		sc_data(c, 1, delay, FL_BULK_TLS, NULL, (uint32_t)len, gap, false);
		g->bulk_payload += len;
	} else {
		struct buf b = {0};
		uint64_t left = bytes;

		while (left > 0) {
			size_t n = left > TLS_REC_MAX ? TLS_REC_MAX : (size_t)left;

			tls_record_rand(&b, 23, n + 24, rb);
			left -= n;
		}
		sc_data(c, 1, delay, FL_BUF, b.p, (uint32_t)b.len, gap, false);
		buf_free(&b);
	}
}

/* One TLS connection of the given mode to server s.  Choices (sizes,
 * delays) come from the traffic PRNG, message bytes from the payload one:
 * the number of bytes drawn depends on certificate lengths, which vary
 * with ECDSA signatures, and must not shift the choices that follow. */
static void script_tls(struct gen *g, struct conn *c, const struct spec *sp, enum tls_mode mode)
{
	struct rng *r = &g->r_traffic, *rb = &g->r_payload;
	struct server *sv = &g->servers[sp->server];
	const struct chain *ch = &g->chains[sv->chain];
	struct buf b = {0}, cl = {0}, sl = {0};
	uint32_t gap = gap_for_rate(rng_lognormal(r, 200, 0.7));
	uint32_t proc = rng_range(r, 150, 2500); /* server: signing, lookups */
	uint8_t sid[32];
	uint32_t cert_end;

	c->mode = (uint8_t)mode;
	sc_tcp_open(c);
	tls_client_hello(&b, rb, sv->sni, mode == M_RESUMED12);
	memcpy(sid, b.p + 5 + 4 + 2 + 32 + 1, 32);
	sc_data(c, 0, rng_range(r, 50, 600), FL_BUF, b.p, (uint32_t)b.len, 0, false);
	mark_byte(c, 0, PM_CLIENT_HELLO);
	b.len = 0;
	switch (mode) {
	case M_FULL12:
		tls12_server_hello(&b, rb, ch->leaf_kt, NULL);
		tls12_certificate(&b, ch);
		cert_end = (uint32_t)b.len;
		tls12_server_key_exchange(&b, rb, ch->leaf_kt);
		tls12_server_hello_done(&b);
		sc_data(c, 1, c->rtt + proc, FL_BUF, b.p, (uint32_t)b.len, gap, false);
		mark_byte(c, cert_end - 1, PM_CERT_DONE);
		c->chain = (int32_t)sv->chain;
		b.len = 0;
		tls12_client_finish(&b, rb, true);
		sc_data(c, 0, rng_range(r, 100, 1500), FL_BUF, b.p, (uint32_t)b.len, 0, false);
		b.len = 0;
		tls12_server_finish(&b, rb, true);
		sc_data(c, 1, c->rtt + 100, FL_BUF, b.p, (uint32_t)b.len, 0, false);
		break;
	case M_RESUMED12:
		tls12_server_hello(&b, rb, ch->leaf_kt, sid);
		tls12_server_finish(&b, rb, false);
		sc_data(c, 1, c->rtt + proc / 4, FL_BUF, b.p, (uint32_t)b.len, gap, false);
		b.len = 0;
		tls12_client_finish(&b, rb, false);
		sc_data(c, 0, rng_range(r, 50, 400), FL_BUF, b.p, (uint32_t)b.len, 0, false);
		break;
	case M_TLS13:
		tls13_server_flight(&b, rb, sid, ch);
		sc_data(c, 1, c->rtt + proc, FL_BUF, b.p, (uint32_t)b.len, gap, false);
		b.len = 0;
		tls_ccs(&b);
		tls_record_rand(&b, 23, 53, rb); /* client Finished */
		sc_data(c, 0, rng_range(r, 100, 1500), FL_BUF, b.p, (uint32_t)b.len, 0, false);
		b.len = 0;
		tls_record_rand(&b, 23, 250, rb); /* two NewSessionTickets */
		tls_record_rand(&b, 23, 250, rb);
		sc_data(c, 1, c->rtt + 100, FL_BUF, b.p, (uint32_t)b.len, 0, false);
		break;
	}
	/* request, response, close_notify both ways */
	b.len = 0;
	tls_record_rand(&b, 23, rng_range(r, 60, 450) + 24, rb);
	sc_data(c, 0, rng_range(r, 20, 300), FL_BUF, b.p, (uint32_t)b.len, 0, false);
	sc_tls_response(g, c, c->rtt + rng_range(r, 100, 5000), sp->resp_bytes,
			c->bulk ? gap_for_rate(rng_range(r, 20, 400)) : gap);
	tls_record_rand(&cl, 21, 26, rb);
	tls_record_rand(&sl, 21, 26, rb);
	sc_tcp_close(c, &cl, &sl);
	buf_free(&b);
	buf_free(&cl);
	buf_free(&sl);
}

static const char *const http_paths[] = {"/",
					 "/index.html",
					 "/static/app.js",
					 "/images/logo.png",
					 "/api/v1/status",
					 "/downloads/update.bin",
					 "/feed.xml"};

static void script_http(struct gen *g, struct conn *c, const struct spec *sp)
{
	struct rng *r = &g->r_traffic;
	char req[512], hdr[256];
	int n;

	sc_tcp_open(c);
	n = snprintf(
		req, sizeof req,
		"GET %s HTTP/1.1\r\nHost: www%u.plain.bench.test\r\nUser-Agent: Mozilla/5.0 (X11; Linux x86_64; "
		"rv:128.0) Gecko/20100101 Firefox/128.0\r\nAccept: */*\r\nAccept-Encoding: gzip, deflate\r\n"
		"Connection: close\r\n\r\n",
		http_paths[rng_below(r, 7)], c->ip[1] & 0xffff);
	sc_data(c, 0, rng_range(r, 50, 400), FL_BUF, req, (uint32_t)n, 0, false);
	n = snprintf(
		hdr, sizeof hdr,
		"HTTP/1.1 200 OK\r\nServer: nginx/1.22.1\r\nContent-Type: application/octet-stream\r\n"
		"Content-Length: %llu\r\nConnection: close\r\n\r\n",
		(unsigned long long)sp->resp_bytes);
	sc_data(c, 1, c->rtt + rng_range(r, 100, 3000), FL_BUF, hdr, (uint32_t)n, 0, false);
	if (sp->resp_bytes)
		sc_data(c, 1, 5, FL_BULK_RAW, NULL, (uint32_t)sp->resp_bytes,
			gap_for_rate(rng_range(r, 20, 300)), false);
	sc_tcp_close(c, NULL, NULL);
}

/* SSH-like: banners, key exchange packets, then exchanges of random sizes
 * (the binary packet protocol is opaque after NEWKEYS). */
static void script_ssh(struct gen *g, struct conn *c, const struct spec *sp)
{
	struct rng *r = &g->r_traffic;
	static const char sb[] = "SSH-2.0-OpenSSH_9.2p1 Debian-2+deb12u3\r\n";
	static const char cb[] = "SSH-2.0-OpenSSH_9.6\r\n";
	uint32_t rounds = rng_range(r, 2, 12);

	sc_tcp_open(c);
	sc_data(c, 1, c->rtt, FL_BUF, sb, sizeof sb - 1, 0, false);
	sc_data(c, 0, 300, FL_BUF, cb, sizeof cb - 1, 0, false);
	sc_data(c, 0, 100, FL_BULK_RAW, NULL, rng_range(r, 1400, 1600), 0, false);
	sc_data(c, 1, c->rtt, FL_BULK_RAW, NULL, rng_range(r, 1000, 1200), 0, false);
	sc_data(c, 0, 500, FL_BULK_RAW, NULL, rng_range(r, 40, 1300), 0, false);
	sc_data(c, 1, c->rtt, FL_BULK_RAW, NULL, rng_range(r, 500, 1800), 40, false);
	for (uint32_t i = 0; i < rounds; i++) {
		sc_data(c, 0, (uint64_t)rng_exp(r, 300000), FL_BULK_RAW, NULL,
			rng_range(r, 36, 200), 0, false);
		sc_data(c, 1, c->rtt, FL_BULK_RAW, NULL, rng_range(r, 36, 1500), 40, false);
	}
	if (sp->resp_bytes)
		sc_data(c, 1, c->rtt, FL_BULK_RAW, NULL, (uint32_t)sp->resp_bytes,
			gap_for_rate(rng_range(r, 20, 300)), false);
	sc_tcp_close(c, NULL, NULL);
}

static void dns_name(struct buf *b, struct rng *r)
{
	static const char *const words[] = {"www",    "api", "cdn",   "mail",
					    "static", "img", "login", "update"};
	const char *w = words[rng_below(r, 8)];
	char label[16];
	int n = snprintf(label, sizeof label, "site%u", rng_below(r, 50000));

	buf_u8(b, (unsigned)strlen(w));
	buf_put(b, w, strlen(w));
	buf_u8(b, (unsigned)n);
	buf_put(b, label, (size_t)n);
	buf_u8(b, 7);
	buf_put(b, "example", 7);
	buf_u8(b, 0);
}

static void script_dns(struct gen *g, struct conn *c)
{
	struct rng *r = &g->r_traffic;
	struct buf q = {0}, a = {0};
	unsigned id = rng_below(r, 65536), answers = rng_range(r, 1, 3);
	size_t qlen;

	buf_u16(&q, id);
	buf_u16(&q, 0x0100);
	buf_u16(&q, 1);
	buf_u16(&q, 0);
	buf_u16(&q, 0);
	buf_u16(&q, 0);
	dns_name(&q, r);
	buf_u16(&q, 1);
	buf_u16(&q, 1);
	qlen = q.len;
	sc_data(c, 0, 0, FL_BUF, q.p, (uint32_t)q.len, 0, false);
	buf_put(&a, q.p, qlen);
	a.p[2] = 0x81;
	a.p[3] = 0x80;
	a.p[7] = (uint8_t)answers;
	for (unsigned i = 0; i < answers; i++) {
		buf_u16(&a, 0xc00c);
		buf_u16(&a, 1);
		buf_u16(&a, 1);
		buf_u16(&a, 0);
		buf_u16(&a, rng_range(r, 30, 3600));
		buf_u16(&a, 4);
		buf_u16(&a, 0x5db8);
		buf_u16(&a, rng_below(r, 65536));
	}
	sc_data(c, 1, c->rtt / 2 + rng_range(r, 200, 20000), FL_BUF, a.p, (uint32_t)a.len, 0,
		false);
	buf_free(&q);
	buf_free(&a);
}

/* Builds the script of a connection and counts it in the ground truth. */
struct conn *conn_start(struct gen *g, const struct spec *sp)
{
	struct rng *r = &g->r_traffic;
	struct conn *c;

	g->flows++;
	g->flows_by_kind[sp->kind]++;
	if (sp->kind == K_TLS) {
		struct server *sv = &g->servers[sp->server];
		enum tls_mode mode = M_FULL12;

		if (sv->tls13)
			mode = M_TLS13;
		else if (sv->full_seen && rng_chance(r, g->resume_p))
			mode = M_RESUMED12;
		c = conn_new(g, sp, sv->ip, sv->port);
		script_tls(g, c, sp, mode);
		g->tls_hs++;
		sv->tls_hs++;
		if (mode == M_FULL12) {
			sv->full_seen = true;
			sv->chain_hs++;
			g->chain_hs++;
			g->chains[sv->chain].seen = true;
		}
		g->tls13 += mode == M_TLS13;
		g->resumed += mode == M_RESUMED12;
	} else if (sp->kind == K_HTTP) {
		c = conn_new(g, sp,
			     ip4(10, 80, 0, 0) + 1 + (uint32_t)sp->server +
				     (uint32_t)sp->server / 250 * 6,
			     80);
		script_http(g, c, sp);
	} else if (sp->kind == K_SSH) {
		c = conn_new(g, sp,
			     ip4(10, 22, 0, 0) + 1 + (uint32_t)sp->server +
				     (uint32_t)sp->server / 250 * 6,
			     22);
		script_ssh(g, c, sp);
	} else {
		c = conn_new(g, sp, ip4(10, 53, 0, 1) + (uint32_t)sp->server % 4, 53);
		script_dns(g, c);
	}
	if (c->udp)
		g->udp_flows++;
	else
		g->tcp_flows++;
	conn_finish_script(c);
	return c;
}
