/*
 * test_engine.c - how the engine ends and labels a handshake: repeated
 * SYN-ACKs with different initial sequence numbers, half-closes, resets with
 * data still in flight, alerts, and gaps in a plaintext preamble (issue 10,
 * items 1-3), and unknown framing (item 4: OpenVPN's control channel, and
 * hunted chains whose certificates do not parse).  Each test plays one TCP connection as raw IPv4 frames
 * (LINKTYPE_RAW) carrying a TLS 1.2 handshake built byte by byte, with the
 * real certificates of tests/fixtures/chain/ (run from the repository
 * root), and checks the totals the report prints.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cs_engine.h"
#include "cs_limits.h"
#include "testlib.h"

#define MS (CS_NS_PER_SEC / 1000)

enum { CLI = 0, SRV = 1 };

/* ---- bytes ------------------------------------------------------------------ */

static void load(struct bytes *o, const char *name)
{
	size_t n;
	uint8_t *p = tl_fixture_der(name, &n);

	assert_true(n > 0);
	o->n = 0;
	put(o, p, n);
	free(p);
}

/* One handshake record holding the messages msgs() appends. */
static void record(struct bytes *o, uint8_t type, void (*msgs)(struct bytes *))
{
	size_t at;

	put_num(o, 1, type);
	put_num(o, 2, 0x0303);
	at = begin_len(o, 2);
	msgs(o);
	end_len(o, at, 2);
}

static void client_hello(struct bytes *o)
{
	static const char sni[] = "engine.test";
	size_t m, ext, list;

	put_num(o, 1, 1);
	m = begin_len(o, 3);
	put_num(o, 2, 0x0303);
	for (int i = 0; i < 32; i++)
		put_num(o, 1, 0x11);
	put_num(o, 1, 0); /* session id */
	put_num(o, 2, 4); /* cipher suites */
	put_num(o, 2, 0xc02f);
	put_num(o, 2, 0x009c);
	put_num(o, 1, 1); /* compression */
	put_num(o, 1, 0);
	ext = begin_len(o, 2);
	put_num(o, 2, 0); /* server_name */
	list = begin_len(o, 2);
	put_num(o, 2, sizeof sni + 2);
	put_num(o, 1, 0);
	put_num(o, 2, sizeof sni - 1);
	put(o, sni, sizeof sni - 1);
	end_len(o, list, 2);
	end_len(o, ext, 2);
	end_len(o, m, 3);
}

static void server_hello(struct bytes *o)
{
	size_t m;

	put_num(o, 1, 2);
	m = begin_len(o, 3);
	put_num(o, 2, 0x0303);
	for (int i = 0; i < 32; i++)
		put_num(o, 1, 0x22);
	put_num(o, 1, 0);
	put_num(o, 2, 0xc02f);
	put_num(o, 1, 0);
	end_len(o, m, 3);
}

static void certificate_shd(struct bytes *o)
{
	static const char *const certs[] = {"leaf", "inter"};
	size_t m, list;

	put_num(o, 1, 11);
	m = begin_len(o, 3);
	list = begin_len(o, 3);
	for (size_t i = 0; i < 2; i++) {
		struct bytes der;

		load(&der, certs[i]);
		put_num(o, 3, (uint32_t)der.n);
		put(o, der.b, der.n);
	}
	end_len(o, list, 3);
	end_len(o, m, 3);
	put_num(o, 1, 14); /* ServerHelloDone */
	put_num(o, 3, 0);
}

/* The server's flight: ServerHello, Certificate, ServerHelloDone. */
static void server_flight(struct bytes *o)
{
	record(o, 22, server_hello);
	record(o, 22, certificate_shd);
}

static void alert(struct bytes *o, uint8_t level, uint8_t desc)
{
	put_num(o, 1, 21);
	put_num(o, 2, 0x0303);
	put_num(o, 2, 2);
	put_num(o, 1, level);
	put_num(o, 1, desc);
}

/* ---- one TCP connection --------------------------------------------------------- */

struct conn {
	struct engine *e;
	struct engine_input *in;
	uint32_t next[2]; /* next sequence number of each side */
	int64_t t;
	uint64_t frames;
	struct bytes flight; /* the server's flight (server_flight), whole or in parts */
};

#define FIN 0x01
#define SYN 0x02
#define RST 0x04
#define PSH 0x08
#define ACK 0x10

/* A raw IPv4 frame from one side at sequence seq, acknowledging ack. */
static void send_at(struct conn *c, int from, uint8_t flags, uint32_t seq, uint32_t ack,
		    const uint8_t *data, size_t n)
{
	static uint8_t f[20 + 20 + 1460];
	struct cs_frame fr;
	size_t len = 40 + n;

	assert_true(n <= 1460);
	memset(f, 0, 40);
	f[0] = 0x45;
	f[2] = (uint8_t)(len >> 8), f[3] = (uint8_t)len;
	f[6] = 0x40; /* DF */
	f[8] = 64, f[9] = 6;
	f[12] = 10, f[15] = from == CLI ? 1 : 2;
	f[16] = 10, f[19] = from == CLI ? 2 : 1;
	f[20] = from == CLI ? 0x9c : 0x01, f[21] = from == CLI ? 0x40 : 0xbb; /* 40000, 443 */
	f[22] = from == CLI ? 0x01 : 0x9c, f[23] = from == CLI ? 0xbb : 0x40;
	for (int i = 0; i < 4; i++) {
		f[24 + i] = (uint8_t)(seq >> (24 - 8 * i));
		f[28 + i] = (uint8_t)(ack >> (24 - 8 * i));
	}
	f[32] = 0x50;
	f[33] = flags;
	f[34] = 0xff, f[35] = 0xff;
	if (n)
		memcpy(f + 40, data, n);
	c->t += MS;
	fr = (struct cs_frame){.ts_ns = c->t,
			       .caplen = (uint32_t)len,
			       .wirelen = (uint32_t)len,
			       .linktype = 101,
			       .number = ++c->frames,
			       .data = f};
	engine_frame(c->e, c->in, &fr);
}

/* Data (or a bare flag) in sequence, in segments of at most 1000 bytes. */
static void send(struct conn *c, int from, uint8_t flags, const struct bytes *b)
{
	size_t off = 0, n = b ? b->n : 0;

	do {
		size_t k = n - off > 1000 ? 1000 : n - off;

		send_at(c, from, flags | (n ? PSH : 0), c->next[from], c->next[!from],
			b ? b->b + off : NULL, k);
		c->next[from] += (uint32_t)k + ((flags & (SYN | FIN)) ? 1u : 0);
		off += k;
	} while (off < n);
}

/* Bytes [off, off + n) of the server's flight, in segments of at most 1000
 * bytes, without moving its next sequence number. */
static void send_flight_part(struct conn *c, size_t off, size_t n)
{
	for (size_t end = off + n; off < end;) {
		size_t k = end - off > 1000 ? 1000 : end - off;

		send_at(c, SRV, ACK | PSH, c->next[SRV] + (uint32_t)off, c->next[CLI],
			c->flight.b + off, k);
		off += k;
	}
}

static void open_conn(struct conn *c)
{
	static const struct engine_config cfg = {.max_flows = 16,
						 .buffer_memcap = CS_BUFFER_MEMCAP_DEFAULT};

	memset(c, 0, sizeof *c);
	c->e = engine_new(&cfg);
	assert_non_null(c->e);
	c->in = engine_input_begin(c->e, "test", false);
	c->t = 1700000000LL * CS_NS_PER_SEC;
	c->next[CLI] = 1000;
	c->next[SRV] = 50000;
	server_flight(&c->flight);
}

/* SYN, SYN-ACK, ACK. */
static void tcp_open(struct conn *c)
{
	send(c, CLI, SYN, NULL);
	send(c, SRV, SYN | ACK, NULL);
	send(c, CLI, ACK, NULL);
}

/* The ClientHello, in one record. */
static void send_client_hello(struct conn *c)
{
	struct bytes ch = {.n = 0};

	record(&ch, 22, client_hello);
	send(c, CLI, ACK, &ch);
}

/* SYN, SYN-ACK, ACK, ClientHello. */
static void handshake_start(struct conn *c)
{
	tcp_open(c);
	send_client_hello(c);
}

/* The server's whole flight, in sequence. */
static void send_server_flight(struct conn *c) { send(c, SRV, ACK, &c->flight); }

/* Each test's connection: opened by conn_up, its engine freed by
 * conn_down (cmocka setup and teardown). */
static int conn_up(void **state)
{
	static struct conn c;

	open_conn(&c);
	*state = &c;
	return 0;
}

static int conn_down(void **state)
{
	struct conn *c = *state;

	engine_free(c->e);
	return 0;
}

/* The same connection, afresh: for a test of several connections. */
static void reopen_conn(struct conn *c)
{
	engine_free(c->e);
	open_conn(c);
}

static const struct engine_totals *close_conn(struct conn *c)
{
	engine_finish(c->e);
	return engine_totals(c->e);
}

static void expect_incomplete(struct conn *c, enum tls_incomplete why)
{
	const struct engine_totals *t = close_conn(c);

	assert_int_equal(t->tls_handshakes, 1);
	assert_int_equal(t->incomplete, 1);
	if (t->incomplete_reason[why] != 1)
		fail_msg("expected incomplete_reason %s", tls_incomplete_name(why));
}

static void expect_chain(struct conn *c)
{
	const struct engine_totals *t = close_conn(c);

	assert_int_equal(t->tls_handshakes, 1);
	assert_int_equal(t->with_chain, 1);
	assert_int_equal(t->incomplete, 0);
}

/* After whatever came first, the ordinary handshake: the chain is read. */
static void expect_chain_after_handshake(struct conn *c)
{
	send_client_hello(c);
	send_server_flight(c);
	expect_chain(c);
}

/* ---- item 1: repeated SYN-ACKs ----------------------------------------------- */

static void test_data_continues_a_later_synack(void **state)
{
	struct conn *c = *state;

	send(c, CLI, SYN, NULL);
	send_at(c, SRV, SYN | ACK, 111111, c->next[CLI], NULL, 0);
	send_at(c, SRV, SYN | ACK, 111111, c->next[CLI], NULL, 0);
	send_at(c, SRV, SYN | ACK, 0x9abcdef0u, c->next[CLI], NULL, 0);
	c->next[SRV] = 0x9abcdef1u;
	expect_chain_after_handshake(c);
	assert_int_equal(engine_reasm_stats(c->e)->synack_switches, 1);
}

/* ---- item 2: half-close, reset, alerts ------------------------------------- */

/* reddit.pcap: the client sends FIN, then RST, while the server's flight is
 * in flight; it arrives after the RST and is read. */
static void test_flight_in_flight_after_client_fin_and_rst(void **state)
{
	struct conn *c = *state;

	handshake_start(c);
	send(c, CLI, FIN | ACK, NULL);
	send_flight_part(c, 0, 200);
	send_at(c, CLI, RST, c->next[CLI], 0, NULL, 0);
	send_flight_part(c, 200, c->flight.n - 200);
	send_at(c, CLI, RST, c->next[CLI], 0, NULL, 0);
	expect_chain(c);
}

/* What comes after the linger is not in flight: the reset ended it. */
static void test_reset_labels_what_did_not_arrive(void **state)
{
	struct conn *c = *state;

	handshake_start(c);
	send_flight_part(c, 0, 200);
	send_at(c, CLI, RST | ACK, c->next[CLI], c->next[SRV] + 200, NULL, 0);
	c->t += (CS_RST_LINGER_S + 1) * CS_NS_PER_SEC;
	send_flight_part(c, 200, c->flight.n - 200);
	expect_incomplete(c, TLS_INC_CLIENT_RESET);
}

static void test_server_reset_is_not_no_server_hello(void **state)
{
	struct conn *c = *state;

	handshake_start(c);
	send(c, SRV, RST | ACK, NULL);
	c->t += (CS_RST_LINGER_S + 1) * CS_NS_PER_SEC;
	send(c, CLI, ACK, NULL);
	expect_incomplete(c, TLS_INC_SERVER_RESET);
}

static void test_server_alert(void **state)
{
	struct conn *c = *state;
	struct bytes a = {.n = 0};

	handshake_start(c);
	alert(&a, 2, 70); /* protocol_version */
	send(c, SRV, ACK, &a);
	send(c, SRV, FIN | ACK, NULL);
	expect_incomplete(c, TLS_INC_SERVER_ALERT);
}

static void test_client_alert(void **state)
{
	struct conn *c = *state;
	struct bytes sh = {.n = 0}, a = {.n = 0};

	handshake_start(c);
	record(&sh, 22, server_hello);
	send(c, SRV, ACK, &sh);
	alert(&a, 2, 40); /* handshake_failure, before any chain */
	send(c, CLI, ACK, &a);
	expect_incomplete(c, TLS_INC_CLIENT_ALERT);
}

/* A FIN ends its direction only: the server's flight after the client's
 * FIN is read; and who closed first names an incomplete handshake. */
static void test_half_close(void **state)
{
	struct conn *c = *state;

	handshake_start(c);
	send(c, CLI, FIN | ACK, NULL);
	send_server_flight(c);
	expect_chain(c);

	reopen_conn(c);
	handshake_start(c);
	send(c, CLI, FIN | ACK, NULL);
	send_flight_part(c, 0, 300);
	expect_incomplete(c, TLS_INC_CLIENT_CLOSED);

	reopen_conn(c);
	handshake_start(c);
	send_flight_part(c, 0, 300);
	c->next[SRV] += 300;
	send(c, SRV, FIN | ACK, NULL);
	expect_incomplete(c, TLS_INC_SERVER_CLOSED);

	reopen_conn(c); /* the server never answered: still no_server_hello */
	handshake_start(c);
	send(c, CLI, FIN | ACK, NULL);
	expect_incomplete(c, TLS_INC_NO_SERVER_HELLO);
}

/* ---- item 3: a gap in a plaintext preamble ---------------------------------- */

/* suricata-verify bug-2512: HTTPS through a CONNECT proxy whose "200"
 * reply was not captured; the client's ACK covers it. */
static void test_gap_in_preamble_resynchronises(void **state)
{
	static const char connect[] =
		"CONNECT engine.test:443 HTTP/1.1\r\nHost: engine.test\r\n\r\n";
	struct conn *c = *state;
	struct bytes req = {.n = 0};

	tcp_open(c);
	put(&req, connect, sizeof connect - 1);
	send(c, CLI, ACK, &req);
	c->next[SRV] += 39; /* "HTTP/1.1 200 Connection established\r\n\r\n", lost */
	expect_chain_after_handshake(c);
	assert_int_equal(engine_reasm_stats(c->e)->holes_skipped, 1);
}

/* Inside TLS a gap stays a gap: the chain is never guessed. */
static void test_gap_inside_the_flight_stays_a_gap(void **state)
{
	struct conn *c = *state;

	handshake_start(c);
	send_flight_part(c, 0, 500);
	send_flight_part(c, 900, c->flight.n - 900);
	send_at(c, CLI, ACK, c->next[CLI], c->next[SRV] + (uint32_t)c->flight.n, NULL, 0);
	expect_incomplete(c, TLS_INC_GAP);
}

/* ---- item 4: unknown framing, OpenVPN ---------------------------------------- */

static size_t servers(struct engine *e)
{
	size_t n;

	agg_sorted(engine_agg(e), &n);
	return n;
}

/* One OpenVPN packet (TCP length first), tls-auth with a SHA-1 HMAC. */
static void ovpn_packet(struct bytes *o, unsigned op, uint32_t sid, unsigned nacks, uint32_t replay,
			bool has_id, uint32_t id, const uint8_t *p, size_t n)
{
	size_t at = begin_len(o, 2);

	put_num(o, 1, op << 3);
	put_num(o, 4, 0x01020304);
	put_num(o, 4, sid);
	for (int i = 0; i < 20; i++)
		put_num(o, 1, 0xa0u + (unsigned)i);
	put_num(o, 4, replay);
	put_num(o, 4, 0x5e3e7c58);
	put_num(o, 1, nacks);
	for (unsigned i = 0; i < nacks; i++)
		put_num(o, 4, i);
	if (nacks)
		put_num(o, 4, 0x0a0b0c0d), put_num(o, 4, 0x0e0f1011);
	if (has_id)
		put_num(o, 4, id);
	if (n)
		put(o, p, n);
	end_len(o, at, 2);
}

/* The TLS bytes t cut into control messages of at most 300 bytes, so that
 * records span OpenVPN packets (443-opvn.pcap). */
static void ovpn_control(struct bytes *o, uint32_t sid, uint32_t *id, uint32_t *replay,
			 const struct bytes *t)
{
	for (size_t off = 0; off < t->n; off += 300) {
		size_t k = t->n - off > 300 ? 300 : t->n - off;

		ovpn_packet(o, 4, sid, 0, (*replay)++, true, (*id)++, t->b + off, k);
	}
}

/* OpenVPN over TCP with tls-auth: the TLS inside its control channel is read. */
static void test_openvpn_control_channel(void **state)
{
	struct conn *c = *state;
	struct bytes cli = {.n = 0}, srv = {.n = 0}, ch = {.n = 0};
	uint32_t cid = 1, sid = 1, creplay = 2, sreplay = 2;

	tcp_open(c);
	ovpn_packet(&cli, 7, 0xc1, 0, 1, true, 0, NULL, 0); /* hard reset client v2 */
	send(c, CLI, ACK, &cli);
	ovpn_packet(&srv, 8, 0x51, 1, 1, true, 0, NULL, 0); /* hard reset server v2 */
	send(c, SRV, ACK, &srv);
	cli.n = srv.n = 0;
	record(&ch, 22, client_hello);
	ovpn_control(&cli, 0xc1, &cid, &creplay, &ch);
	send(c, CLI, ACK, &cli);
	ovpn_control(&srv, 0x51, &sid, &sreplay, &c->flight);
	send(c, SRV, ACK, &srv);
	expect_chain(c);
	assert_int_equal(engine_totals(c->e)->openvpn, 1);
	assert_int_equal(servers(c->e), 1);
}

/* A server flight whose Certificate holds one entry of 4 bytes of fake DER:
 * after 37 bytes of noise and without a ServerHello (hunted), or from the
 * start of the stream after a ServerHello. */
static void fake_der_flight(struct bytes *fl, bool anchored)
{
	static const uint8_t fake_der[] = {0x30, 0x82, 0xff, 0xff};
	size_t rec, m;

	if (anchored)
		record(fl, 22, server_hello);
	else
		for (int i = 0; i < 37; i++)
			put_num(fl, 1, (uint32_t)(i * 89 + 7) & 0x7f);
	put_num(fl, 1, 22);
	put_num(fl, 2, 0x0303);
	rec = begin_len(fl, 2);
	put_num(fl, 1, 11);
	m = begin_len(fl, 3);
	put_num(fl, 3, 3 + sizeof fake_der);
	put_num(fl, 3, sizeof fake_der);
	put(fl, fake_der, sizeof fake_der);
	end_len(fl, m, 3);
	if (anchored) {
		put_num(fl, 1, 14); /* ServerHelloDone */
		put_num(fl, 3, 0);
	}
	end_len(fl, rec, 2);
}

/* The fake-DER flight after a ClientHello, hunted or anchored: the hunted
 * one is counted in chains_unparsed, incomplete as malformed, and makes no
 * server entry (so no server is ranked broken for it); the anchored one is
 * the server's own doing: kept as a chain (malformed_cert). */
static void expect_fake_der_flight(struct conn *c, bool anchored)
{
	struct bytes fl = {.n = 0};
	const struct engine_totals *t;

	handshake_start(c);
	fake_der_flight(&fl, anchored);
	send(c, SRV, ACK, &fl);
	t = close_conn(c);
	assert_int_equal(t->tls_handshakes, 1);
	assert_int_equal(t->with_chain, anchored);
	assert_int_equal(t->incomplete, !anchored);
	assert_int_equal(t->incomplete_reason[TLS_INC_MALFORMED], !anchored);
	assert_int_equal(t->chains_unparsed, !anchored);
	assert_int_equal(servers(c->e), anchored);
}

static void test_unparsed_hunted_chain_makes_no_server(void **state)
{
	expect_fake_der_flight(*state, false);
}

static void test_anchored_malformed_certificate_kept(void **state)
{
	expect_fake_der_flight(*state, true);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_data_continues_a_later_synack, conn_up,
						conn_down),
		cmocka_unit_test_setup_teardown(test_flight_in_flight_after_client_fin_and_rst,
						conn_up, conn_down),
		cmocka_unit_test_setup_teardown(test_reset_labels_what_did_not_arrive, conn_up,
						conn_down),
		cmocka_unit_test_setup_teardown(test_server_reset_is_not_no_server_hello, conn_up,
						conn_down),
		cmocka_unit_test_setup_teardown(test_server_alert, conn_up, conn_down),
		cmocka_unit_test_setup_teardown(test_client_alert, conn_up, conn_down),
		cmocka_unit_test_setup_teardown(test_half_close, conn_up, conn_down),
		cmocka_unit_test_setup_teardown(test_gap_in_preamble_resynchronises, conn_up,
						conn_down),
		cmocka_unit_test_setup_teardown(test_gap_inside_the_flight_stays_a_gap, conn_up,
						conn_down),
		cmocka_unit_test_setup_teardown(test_openvpn_control_channel, conn_up, conn_down),
		cmocka_unit_test_setup_teardown(test_unparsed_hunted_chain_makes_no_server, conn_up,
						conn_down),
		cmocka_unit_test_setup_teardown(test_anchored_malformed_certificate_kept, conn_up,
						conn_down),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
