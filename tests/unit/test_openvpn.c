/*
 * test_openvpn.c - OpenVPN's TCP framing (cs_openvpn.h): recognition from
 * the first packet with every tls-auth HMAC size and none, what must not be
 * taken for OpenVPN, unwrapping control messages in packet-id order at
 * every split of the stream (fed the way the engine does: offer the
 * contiguous bytes, drop what was consumed), retransmissions, a missing
 * message, the end of the control channel, malformed framing, byte flips.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "cs_limits.h"
#include "cs_openvpn.h"
#include "testlib.h"

enum { CLI = 0, SRV = 1 };

struct pkt {
	unsigned op, key;
	uint64_t sid;
	int hmac;           /* tls-auth HMAC size, 0 for none */
	uint32_t replay_id; /* tls-auth */
	unsigned nacks;
	bool has_id;
	uint32_t id;
	const char *payload;
};

/* One packet with its 2-byte TCP length. */
static void packet(struct bytes *o, const struct pkt *p)
{
	struct bytes b = {.n = 0};

	put_num(&b, 1, p->op << 3 | p->key);
	put_num(&b, 4, (uint32_t)(p->sid >> 32));
	put_num(&b, 4, (uint32_t)p->sid);
	if (p->hmac > 0) {
		for (int i = 0; i < p->hmac; i++)
			put_num(&b, 1, (uint32_t)(0x9c + 7 * i));
		put_num(&b, 4, p->replay_id);
		put_num(&b, 4, 0x5e3e7c58); /* Feb 2020 */
	}
	put_num(&b, 1, p->nacks);
	for (unsigned i = 0; i < p->nacks; i++)
		put_num(&b, 4, i);
	if (p->nacks)
		put_num(&b, 4, 0xdead), put_num(&b, 4, 0xbeef); /* remote session id */
	if (p->has_id)
		put_num(&b, 4, p->id);
	if (p->payload)
		put(&b, p->payload, strlen(p->payload));
	put_num(o, 2, (uint32_t)b.n);
	put(o, b.b, b.n);
}

#define SID_C 0xd67c9a2afbc2b3ebull
#define SID_S 0x1908c6b1fb2b7380ull

/* The client's side: a hard reset, an ACK, control messages carrying the
 * TLS bytes "AAAA" then "BBBBBB" (the second retransmitted), with HMAC h. */
static void client_stream(struct bytes *o, int h)
{
	packet(o, &(struct pkt){7, 0, SID_C, h, 1, 0, true, 0, NULL});
	packet(o, &(struct pkt){5, 0, SID_C, h, 2, 1, false, 0, NULL});
	packet(o, &(struct pkt){4, 0, SID_C, h, 3, 0, true, 1, "AAAA"});
	packet(o, &(struct pkt){4, 0, SID_C, h, 4, 1, true, 2, "BBBBBB"});
	packet(o, &(struct pkt){4, 0, SID_C, h, 5, 1, true, 2, "BBBBBB"});
	packet(o, &(struct pkt){5, 0, SID_C, h, 6, 2, false, 0, NULL});
}

/* Feed s in pieces of `piece` bytes as the engine would. */
static struct ovpn *unwrap_all(struct ovpn *o, struct cs_bufpool *bp, int dir,
			       const struct bytes *s, size_t piece, struct ovpn_stats *st)
{
	uint8_t held[4096];
	size_t nheld = 0;

	for (size_t off = 0; off < s->n; off += piece) {
		size_t k = s->n - off < piece ? s->n - off : piece, used;

		memcpy(held + nheld, s->b + off, k);
		nheld += k;
		if (o->d[dir].state == OVPN_UNKNOWN &&
		    ovpn_detect(o, dir, (struct cs_slice){held, nheld}) == CS_MORE)
			continue;
		if (o->d[dir].state != OVPN_YES && o->d[dir].state != OVPN_DONE)
			return o;
		used = ovpn_unwrap(o, bp, dir, (struct cs_slice){held, nheld}, st);
		assert_true(used <= nheld);
		memmove(held, held + used, nheld - used);
		nheld -= used;
	}
	return o;
}

/* What a test of the unwrapper holds: a pool, the counters, one state. */
struct ovfix {
	struct cs_bufpool *bp;
	struct ovpn_stats st;
	struct ovpn o;
};

static void fix_open(struct ovfix *x, size_t memcap)
{
	x->bp = bufpool_new(memcap);
	memset(&x->st, 0, sizeof x->st);
	ovpn_init(&x->o);
}

/* The state released, every buffer back in the pool, the pool freed. */
static void fix_close(struct ovfix *x)
{
	ovpn_release(&x->o, x->bp);
	assert_int_equal(bufpool_in_use(x->bp), 0);
	bufpool_free(x->bp);
}

/* The client's stream with HMAC h, fed whole; o's client direction ends
 * in `want` (an ovpn_dstate). */
static void feed_client_stream(struct ovfix *x, int h, struct bytes *s, enum ovpn_state want)
{
	client_stream(s, h);
	unwrap_all(&x->o, x->bp, CLI, s, s->n, &x->st);
	assert_int_equal(x->o.d[CLI].state, want);
}

static void expect_pending(const struct ovpn *o, int dir, const char *want)
{
	struct cs_slice p = ovpn_pending(o, dir);

	assert_int_equal(p.n, strlen(want));
	if (p.n)
		assert_memory_equal(p.p, want, p.n);
}

static void test_every_hmac_size(void **state)
{
	(void)state;
	static const int sizes[] = {0, 16, 20, 28, 32, 48, 64};

	for (size_t i = 0; i < CS_ARRAY_LEN(sizes); i++) {
		struct bytes s = {.n = 0};
		struct ovfix x;

		fix_open(&x, 1 << 20);
		feed_client_stream(&x, sizes[i], &s, OVPN_YES);
		assert_int_equal(x.o.hmac, sizes[i]);
		expect_pending(&x.o, CLI, "AAAABBBBBB");
		assert_int_equal(x.st.malformed + x.st.out_of_order, 0);
		fix_close(&x);
	}
}

/* Every way TCP may cut the stream gives the same bytes. */
static void test_every_split(void **state)
{
	(void)state;
	struct bytes s = {.n = 0};

	client_stream(&s, 20);
	for (size_t piece = 1; piece <= s.n; piece++) {
		struct ovfix x;

		fix_open(&x, 1 << 20);
		unwrap_all(&x.o, x.bp, CLI, &s, piece, &x.st);
		expect_pending(&x.o, CLI, "AAAABBBBBB");
		fix_close(&x);
	}
}

/* The server's first packet (it acks the client's reset) tells too, and
 * both sides must agree on the HMAC size. */
static void test_server_side(void **state)
{
	(void)state;
	struct bytes c = {.n = 0}, s = {.n = 0}, other = {.n = 0};
	struct ovfix x;

	packet(&s, &(struct pkt){8, 0, SID_S, 20, 1, 1, true, 0, NULL});
	packet(&s, &(struct pkt){4, 0, SID_S, 20, 2, 1, true, 1, "server-hello"});
	fix_open(&x, 1 << 20);
	unwrap_all(&x.o, x.bp, SRV, &s, s.n, &x.st);
	assert_int_equal(x.o.hmac, 20);
	feed_client_stream(&x, 20, &c, OVPN_YES);
	expect_pending(&x.o, SRV, "server-hello");
	expect_pending(&x.o, CLI, "AAAABBBBBB");
	fix_close(&x);

	fix_open(&x, 1 << 20); /* a client with another HMAC size than its server */
	unwrap_all(&x.o, x.bp, SRV, &s, s.n, &x.st);
	client_stream(&other, 32);
	assert_int_equal(ovpn_detect(&x.o, CLI, (struct cs_slice){other.b, other.n}),
			 CS_UNSUPPORTED);
	assert_int_equal(x.o.d[CLI].state, OVPN_NO);
	fix_close(&x);
}

static void test_not_openvpn(void **state)
{
	(void)state;
	static const uint8_t tls[] = {0x16, 0x03, 0x01, 0x02, 0x00, 0x01, 0x00, 0x01, 0xfc};
	static const uint8_t http[] = "GET / HTTP/1.1\r\n";
	static const uint8_t pg[] = {0, 0, 0, 8, 0x04, 0xd2, 0x16, 0x2f};
	struct bytes key1 = {.n = 0}, ctrl = {.n = 0}, noisy = {.n = 0}, big = {.n = 0};
	struct ovpn o;

	ovpn_init(&o);
	assert_int_equal(ovpn_detect(&o, CLI, (struct cs_slice){tls, sizeof tls}), CS_UNSUPPORTED);
	ovpn_init(&o);
	assert_int_equal(ovpn_detect(&o, CLI, (struct cs_slice){http, sizeof http - 1}),
			 CS_UNSUPPORTED);
	ovpn_init(&o);
	assert_int_equal(ovpn_detect(&o, CLI, (struct cs_slice){pg, sizeof pg}), CS_UNSUPPORTED);
	/* a reset with key id 1; a control packet first */
	packet(&key1, &(struct pkt){7, 1, SID_C, 0, 0, 0, true, 0, NULL});
	ovpn_init(&o);
	assert_int_equal(ovpn_detect(&o, CLI, (struct cs_slice){key1.b, key1.n}), CS_UNSUPPORTED);
	packet(&ctrl, &(struct pkt){4, 0, SID_C, 0, 0, 0, true, 1, "x"});
	ovpn_init(&o);
	assert_int_equal(ovpn_detect(&o, CLI, (struct cs_slice){ctrl.b, ctrl.n}), CS_UNSUPPORTED);
	/* a reset whose message packet id is not 0 fits no size */
	packet(&noisy, &(struct pkt){7, 0, SID_C, 20, 1, 0, true, 5, NULL});
	ovpn_init(&o);
	assert_int_equal(ovpn_detect(&o, CLI, (struct cs_slice){noisy.b, noisy.n}), CS_UNSUPPORTED);
	/* a reset with a payload too long for early negotiation */
	{
		char pay[CS_OVPN_MAX_RESET_PAYLOAD + 2];

		memset(pay, 'x', sizeof pay - 1);
		pay[sizeof pay - 1] = '\0';
		packet(&big, &(struct pkt){7, 0, SID_C, 0, 0, 0, true, 0, pay});
		ovpn_init(&o);
		assert_int_equal(ovpn_detect(&o, CLI, (struct cs_slice){big.b, big.n}),
				 CS_UNSUPPORTED);
	}
}

/* A first packet cut anywhere waits for the rest. */
static void test_detect_needs_the_whole_first_packet(void **state)
{
	(void)state;
	struct bytes s = {.n = 0};

	packet(&s, &(struct pkt){7, 0, SID_C, 20, 1, 0, true, 0, NULL});
	for (size_t n = 0; n < s.n; n++) {
		struct ovpn o;

		ovpn_init(&o);
		assert_int_equal(ovpn_detect(&o, CLI, (struct cs_slice){s.b, n}), CS_MORE);
		assert_int_equal(o.d[CLI].state, OVPN_UNKNOWN);
	}
}

/* What ends the control channel, and what is delivered before. */
static void test_end_of_control_channel(void **state)
{
	(void)state;
	static const struct {
		const char *name;
		struct pkt last;
		bool counted; /* malformed or out of order */
	} cases[] = {
		{"data v1", {6, 0, 0, 0, 0, 0, false, 0, "xxxxxxxx"}, false},
		{"data v2", {9, 0, 0, 0, 0, 0, false, 0, "xxxxxxxx"}, false},
		{"soft reset", {3, 1, SID_C, 20, 9, 0, true, 0, NULL}, false},
		{"other key id", {4, 1, SID_C, 20, 9, 0, true, 1, "zz"}, false},
		{"other session", {4, 0, SID_S, 20, 9, 0, true, 3, "zz"}, false},
		{"missing message", {4, 0, SID_C, 20, 9, 0, true, 4, "zz"}, true},
		{"too many acks", {5, 0, SID_C, 20, 9, CS_OVPN_MAX_ACKS + 1, false, 0, NULL}, true},
		{"ack with payload", {5, 0, SID_C, 20, 9, 1, false, 0, "zz"}, true},
	};

	for (size_t i = 0; i < CS_ARRAY_LEN(cases); i++) {
		struct bytes s = {.n = 0};
		struct ovfix x;
		size_t used;

		client_stream(&s, 20);
		packet(&s, &cases[i].last);
		packet(&s, &(struct pkt){4, 0, SID_C, 20, 10, 0, true, 3, "late"});
		fix_open(&x, 1 << 20);
		assert_int_equal(ovpn_detect(&x.o, CLI, (struct cs_slice){s.b, s.n}), CS_OK);
		used = ovpn_unwrap(&x.o, x.bp, CLI, (struct cs_slice){s.b, s.n}, &x.st);
		if (x.o.d[CLI].state != OVPN_DONE || used != s.n)
			fail_msg("%s: the control channel did not end", cases[i].name);
		expect_pending(&x.o, CLI, "AAAABBBBBB");
		assert_int_equal(x.st.malformed + x.st.out_of_order, cases[i].counted);
		fix_close(&x);
	}
}

/* A zero length, and packets too short for their fields. */
static void test_malformed_framing(void **state)
{
	(void)state;
	struct bytes s = {.n = 0};
	struct ovfix x;

	client_stream(&s, 0);
	put_num(&s, 2, 0);
	fix_open(&x, 1 << 20);
	unwrap_all(&x.o, x.bp, CLI, &s, s.n, &x.st);
	assert_int_equal(x.o.d[CLI].state, OVPN_DONE);
	assert_int_equal(x.st.malformed, 1);
	fix_close(&x);

	s.n = 0;
	client_stream(&s, 0);
	put_num(&s, 2, 5); /* a control opcode, and 4 bytes of its session id */
	put_num(&s, 1, 4 << 3);
	put_num(&s, 4, 0);
	fix_open(&x, 1 << 20);
	unwrap_all(&x.o, x.bp, CLI, &s, s.n, &x.st);
	assert_int_equal(x.st.malformed, 1);
	expect_pending(&x.o, CLI, "AAAABBBBBB");
	ovpn_consume(&x.o, CLI, 4);
	expect_pending(&x.o, CLI, "BBBBBB");
	ovpn_consume(&x.o, CLI, 7); /* more than there is: nothing */
	expect_pending(&x.o, CLI, "BBBBBB");
	fix_close(&x);
}

/* The buffer pool refuses: the direction ends, nothing is half-written. */
static void test_memcap(void **state)
{
	(void)state;
	struct bytes s = {.n = 0};
	struct ovfix x;

	fix_open(&x, 1024); /* less than one 2 KiB block */
	feed_client_stream(&x, 20, &s, OVPN_DONE);
	expect_pending(&x.o, CLI, "");
	assert_true(bufpool_refusals(x.bp) > 0);
	fix_close(&x);
}

/* Random flips: never a crash, never more bytes delivered than the stream
 * holds, every buffer returned. */
static void test_random_flips(void **state)
{
	(void)state;
	uint32_t r = 0x6f1c2a9d;
	struct bytes s = {.n = 0};
	unsigned yes = 0, no = 0;

	client_stream(&s, 20);
	for (int round = 0; round < 20000; round++) {
		struct bytes b = s;
		struct ovfix x;

		for (uint32_t k = 1 + tl_rand(&r) % 3; k > 0; k--)
			b.b[tl_rand(&r) % b.n] ^= (uint8_t)(1 + tl_rand(&r) % 255);
		fix_open(&x, 1 << 20);
		unwrap_all(&x.o, x.bp, CLI, &b, 1 + tl_rand(&r) % 64, &x.st);
		assert_true(ovpn_pending(&x.o, CLI).n <= b.n);
		if (x.o.d[CLI].state == OVPN_NO)
			no++;
		else
			yes++;
		fix_close(&x);
	}
	assert_true(yes > 0 && no > 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_every_hmac_size),
		cmocka_unit_test(test_every_split),
		cmocka_unit_test(test_server_side),
		cmocka_unit_test(test_not_openvpn),
		cmocka_unit_test(test_detect_needs_the_whole_first_packet),
		cmocka_unit_test(test_end_of_control_channel),
		cmocka_unit_test(test_malformed_framing),
		cmocka_unit_test(test_memcap),
		cmocka_unit_test(test_random_flips),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
