/*
 * test_fanout.c - the --workers fanout program (fanout.c), run with
 * libpcap's bpf_filter(): every frame the decoder puts in one flow (both
 * directions, IP fragments, tunnelled packets) gets the worker of a plain
 * Ethernet/IP frame with the same address pair, whatever tags, PPPoE
 * sessions, MPLS label stacks and tunnels surround it and whether or not
 * the kernel took the first tag out; a truncated or mutated frame the
 * decoder still reads goes to the pair it reads; pairs
 * spread evenly; no prefix of a frame escapes [0, n).  The kernel form is
 * checked against the kernel's own classic-BPF checker (SO_ATTACH_FILTER on
 * a UDP socket, which needs no privilege); as root, two packet sockets on
 * lo join one group (tests/e2e/fanout.sh sends packets through one).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include <errno.h>

#include <linux/filter.h>
#include <linux/if_ether.h>
#include <linux/if_packet.h>
#include <net/if.h>
#include <netinet/in.h>
#include <pcap/pcap.h>
#include <sys/socket.h>
#include <unistd.h>

#include "cs_decode.h"
#include "cs_fanout.h"
#include "testlib.h"

static const unsigned WORKERS[] = {2, 3, 4, 7};

/* ---------------------------------------------------------------- frames */

struct pair {
	int family; /* 4 or 6 */
	uint8_t src[16], dst[16];
};

static struct pair pair4(uint32_t src, uint32_t dst)
{
	struct pair p = {.family = 4};

	for (int i = 0; i < 4; i++) {
		p.src[i] = (uint8_t)(src >> (24 - 8 * i));
		p.dst[i] = (uint8_t)(dst >> (24 - 8 * i));
	}
	return p;
}

static struct pair pair6(uint32_t *rng)
{
	struct pair p = {.family = 6};

	p.src[0] = p.dst[0] = 0x20;
	p.src[1] = p.dst[1] = 0x01;
	for (int i = 2; i < 16; i++) {
		p.src[i] = (uint8_t)tl_rand(rng);
		p.dst[i] = (uint8_t)tl_rand(rng);
	}
	return p;
}

static struct pair reversed(struct pair p)
{
	struct pair r = p;

	memcpy(r.src, p.dst, 16);
	memcpy(r.dst, p.src, 16);
	return r;
}

static void ether(struct bytes *o, const unsigned *tags, size_t ntags, unsigned type)
{
	put(o, "\x02\x00\x00\x00\x00\x01\x02\x00\x00\x00\x00\x02", 12);
	for (size_t i = 0; i < ntags; i++) {
		put16(o, tags[i]);
		put16(o, 100 + (unsigned)i); /* VID */
	}
	put16(o, type);
}

/* An IP header for p; frag: IPv4 flags/offset word, or for IPv6 a
 * Fragment header (offset 0, M set) before proto. */
static void ip(struct bytes *o, const struct pair *p, unsigned proto, unsigned frag)
{
	size_t at = o->n;

	if (p->family == 4) {
		put8(o, 0x45);
		put8(o, 0);
		put_len_to_end(o, at, 0, false);
		put16(o, 0x1234);
		put16(o, frag);
		put8(o, 64);
		put8(o, proto);
		put16(o, 0);
		put(o, p->src, 4);
		put(o, p->dst, 4);
		return;
	}
	put32(o, 0x60000000);
	put_len_to_end(o, at + 40, 0, false);
	put8(o, frag ? 44 : proto);
	put8(o, 64);
	put(o, p->src, 16);
	put(o, p->dst, 16);
	if (frag) {
		put8(o, proto);
		put8(o, 0);
		put16(o, 1); /* offset 0, M */
		put32(o, 0xabcd);
	}
}

static void tcp(struct bytes *o, unsigned sport, unsigned dport)
{
	put16(o, sport);
	put16(o, dport);
	put32(o, 1);
	put32(o, 0);
	put16(o, 0x5010);
	put16(o, 65535);
	put32(o, 0);
	put(o, "hello", 5);
}

/* The frame's end: a TCP segment of p (40000 to 443), lengths written. */
static void segment_end(struct bytes *o, const struct pair *p)
{
	ip(o, p, 6, 0);
	tcp(o, 40000, 443);
	bytes_end(o);
}

static unsigned ethertype_of(const struct pair *p) { return p->family == 4 ? 0x0800 : 0x86dd; }

/* Ethernet / IP / TCP: the frame a pair's worker is defined by. */
static unsigned plain_worker(const struct pair *p, unsigned n)
{
	struct bytes o = {.n = 0};

	ether(&o, NULL, 0, ethertype_of(p));
	segment_end(&o, p);
	return fanout_worker_of(o.b, (uint32_t)o.n, n);
}

static unsigned worker(const struct bytes *o, unsigned n)
{
	return fanout_worker_of(o->b, (uint32_t)o->n, n);
}

/* The broadband and provider shims between Ethernet and IP. */
struct encap {
	unsigned type;   /* the ethertype after the tags: PPPoE session or MPLS */
	bool compressed; /* PPPoE: a one-byte protocol field (RFC 1661 6.5) */
	unsigned labels; /* MPLS entries (behind PPPoE: PPP protocol 0x0281) */
};

static const struct encap ENCAPS[] = {
	{0x8847, false, 1}, {0x8847, false, 3}, {0x8847, false, CS_MAX_MPLS_LABELS},
	{0x8848, false, 2}, {0x8864, false, 0}, {0x8864, true, 0},
	{0x8864, false, 2},
};

/* Label stack entries, S on the last: random labels, TC, TTL 64. */
static void label_stack(struct bytes *o, unsigned labels, uint32_t *rng)
{
	for (unsigned i = 0; i < labels; i++)
		put32(o, (tl_rand(rng) & 0xfffff) << 12 | (tl_rand(rng) & 7) << 9 |
				 (i + 1 == labels ? 0x100u : 0) | 64);
}

/* A PPPoE session header (LENGTH to the frame's end) and PPP protocol. */
static void pppoe_header(struct bytes *o, unsigned ppp_proto, bool compressed, uint32_t *rng)
{
	put8(o, 0x11);
	put8(o, 0);
	put16(o, tl_rand(rng) & 0xffff);
	put_len_to_end(o, o->n + 2, 0, false);
	if (compressed)
		put8(o, ppp_proto);
	else
		put16(o, ppp_proto);
}

/* Ethernet, tags, e's shim, then a TCP segment of p. */
static void encapsulated(struct bytes *o, const struct encap *e, const struct pair *p,
			 const unsigned *tags, size_t ntags, uint32_t *rng)
{
	ether(o, tags, ntags, e->type);
	if (e->type == 0x8864)
		pppoe_header(o,
			     e->labels        ? 0x0281
			     : p->family == 4 ? 0x0021
					      : 0x0057,
			     e->compressed, rng);
	label_stack(o, e->labels, rng);
	segment_end(o, p);
}

static const unsigned *const TAG_SETS[] = {NULL, (const unsigned[]){0x8100},
					   (const unsigned[]){0x88a8, 0x8100}};

/* ---------------------------------------------------------------- the program */

static void test_program_range(void **state)
{
	struct bpf_insn prog[CS_FANOUT_PROG_MAX];
	(void)state;

	assert_int_equal(fanout_program(0, prog, CS_FANOUT_PROG_MAX), 0);
	assert_int_equal(fanout_program(CS_MAX_WORKERS + 1, prog, CS_FANOUT_PROG_MAX), 0);
	assert_int_equal(fanout_program_frame(0, prog, CS_FANOUT_PROG_MAX), 0);
	assert_int_equal(fanout_program(2, prog, 40), 0); /* cap too small */
	for (unsigned n = 1; n <= CS_MAX_WORKERS; n++) {
		size_t len = fanout_program(n, prog, CS_FANOUT_PROG_MAX);

		assert_true(len > 0 && len <= CS_FANOUT_PROG_MAX);
		assert_int_equal(prog[len - 1].code, BPF_RET | BPF_A);
	}
	/* an out-of-range count is no worker: 0 */
	assert_int_equal(fanout_worker_of((const uint8_t *)"x", 1, 0), 0);
}

/* The two forms differ in their start only: the kernel form's body is the
 * frame form's, instruction for instruction (offsets are relative). */
static void test_program_forms(void **state)
{
	struct bpf_insn k[CS_FANOUT_PROG_MAX], f[CS_FANOUT_PROG_MAX];
	size_t nk = fanout_program(7, k, CS_FANOUT_PROG_MAX);
	size_t nf = fanout_program_frame(7, f, CS_FANOUT_PROG_MAX);
	(void)state;

	assert_int_equal(nk, nf + 5);
	assert_memory_equal(k + 7, f + 2, (nf - 2) * sizeof f[0]);
	/* libpcap's own checker takes the frame form */
	assert_int_equal(bpf_validate(f, (int)nf), 1);
}

/* The kernel's classic-BPF checker (bpf_check_classic: opcodes, jumps in
 * range, scratch memory written before read, ends in a return) is the one
 * PACKET_FANOUT_DATA runs; attaching to a UDP socket runs it without
 * privileges. */
static void test_program_kernel_accepts(void **state)
{
	struct bpf_insn prog[CS_FANOUT_PROG_MAX];
	static const unsigned ns[] = {1, 2, 7, CS_MAX_WORKERS};
	(void)state;

	for (size_t i = 0; i < CS_ARRAY_LEN(ns); i++) {
		size_t len = fanout_program(ns[i], prog, CS_FANOUT_PROG_MAX);
		struct sock_fprog fp = {.len = (unsigned short)len,
					.filter = (struct sock_filter *)prog};
		int fd = socket(AF_INET, SOCK_DGRAM, 0);

		assert_true(fd >= 0);
		assert_int_equal(setsockopt(fd, SOL_SOCKET, SO_ATTACH_FILTER, &fp, sizeof fp), 0);
		close(fd);
	}
}

static void test_one_worker(void **state)
{
	uint32_t rng = 7;
	(void)state;

	for (int i = 0; i < 200; i++) {
		struct pair p = pair4(tl_rand(&rng), tl_rand(&rng));

		assert_int_equal(plain_worker(&p, 1), 0);
		p = pair6(&rng);
		assert_int_equal(plain_worker(&p, 1), 0);
	}
}

/* Both directions, other ports, IPv4 and IPv6, tagged or not. */
static void test_both_directions(void **state)
{
	uint32_t rng = 11;
	(void)state;

	for (int i = 0; i < 500; i++) {
		struct pair p = i % 2 ? pair6(&rng) : pair4(tl_rand(&rng), tl_rand(&rng));
		struct pair r = reversed(p);

		for (size_t w = 0; w < CS_ARRAY_LEN(WORKERS); w++) {
			unsigned n = WORKERS[w];
			struct bytes a = {.n = 0}, b = {.n = 0};

			ether(&a, NULL, 0, ethertype_of(&p));
			ip(&a, &p, 6, 0);
			tcp(&a, 40000 + (unsigned)i, 443);
			bytes_end(&a);
			ether(&b, (const unsigned[]){0x8100}, 1, ethertype_of(&r));
			ip(&b, &r, 6, 0);
			tcp(&b, 443, 40000 + (unsigned)i);
			bytes_end(&b);
			assert_int_equal(worker(&a, n), worker(&b, n));
			assert_true(worker(&a, n) < n);
		}
	}
}

/* 10,000 pairs: each of n workers gets its share (binomial spread is well
 * inside these bounds: 1 / n +- 5 standard deviations and more). */
static void check_spread(int family, bool shims)
{
	enum { PAIRS = 10000 };
	static const struct {
		unsigned n;
		double lo, hi;
	} cases[] = {{2, 0.45, 0.55}, {7, 0.10, 0.18}};
	uint32_t rng = 12345;
	unsigned count[2][CS_MAX_WORKERS] = {{0}};

	for (int i = 0; i < PAIRS; i++) {
		struct pair p = family == 4 ? pair4(tl_rand(&rng), tl_rand(&rng)) : pair6(&rng);
		struct bytes o = {.n = 0};

		/* each flow in one of the PPPoE/MPLS shims, behind 0 to 2 tags */
		if (shims)
			encapsulated(&o, &ENCAPS[i % CS_ARRAY_LEN(ENCAPS)], &p, TAG_SETS[i % 3],
				     (size_t)i % 3, &rng);
		for (size_t c = 0; c < CS_ARRAY_LEN(cases); c++)
			count[c][shims ? worker(&o, cases[c].n) : plain_worker(&p, cases[c].n)]++;
	}
	for (size_t c = 0; c < CS_ARRAY_LEN(cases); c++)
		for (unsigned w = 0; w < cases[c].n; w++) {
			double share = (double)count[c][w] / PAIRS;

			if (share < cases[c].lo || share > cases[c].hi)
				fail_msg("IPv%d%s, %u workers: worker %u has %.3f", family,
					 shims ? " in PPPoE/MPLS" : "", cases[c].n, w, share);
		}
}

static void test_spread_ipv4(void **state)
{
	(void)state;
	check_spread(4, false);
	check_spread(4, true);
}

static void test_spread_ipv6(void **state)
{
	(void)state;
	check_spread(6, false);
	check_spread(6, true);
}

/* One host talking to 10,000 neighbours (10.0.x.y): the pairs differ in
 * their low bits only, which the multiply carries up. */
static void test_spread_one_subnet(void **state)
{
	unsigned count[7] = {0};
	(void)state;

	for (uint32_t i = 0; i < 10000; i++) {
		struct pair p = pair4(0xc0a80001, 0x0a000000 + i);

		count[plain_worker(&p, 7)]++;
	}
	for (unsigned w = 0; w < 7; w++)
		assert_true(count[w] >= 1000 && count[w] <= 1800);
}

/* ---------------------------------------------------------------- tunnels */

enum tunnel {
	T_VXLAN,
	T_GENEVE,
	T_GENEVE_IP, /* Protocol Type IPv4/IPv6 directly */
	T_GRE,
	T_GRE_CKS,
	T_GRE_TEB,
	T_IPIP,
	T_GTPU,
	T_GTPU_EXT,
	T_COUNT
};

/* Outer frame (outer pair, over IPv6 when outer6, behind tags) around a TCP
 * segment of the inner pair. */
static void tunnelled(struct bytes *o, enum tunnel t, const struct pair *outer,
		      const struct pair *inner, const unsigned *tags, size_t ntags)
{
	static const uint8_t macs[12] = {2, 0, 0, 0, 0, 3, 2, 0, 0, 0, 0, 4};
	unsigned udp_port[T_COUNT] = {[T_VXLAN] = 4789,
				      [T_GENEVE] = 6081,
				      [T_GENEVE_IP] = 6081,
				      [T_GTPU] = 2152,
				      [T_GTPU_EXT] = 2152};
	size_t udp_at = 0;

	ether(o, tags, ntags, ethertype_of(outer));
	if (udp_port[t]) {
		ip(o, outer, 17, 0);
		udp_at = o->n;
		put16(o, 50000 + (unsigned)(inner->src[3] ^ inner->dst[3])); /* a VTEP's source */
		put16(o, udp_port[t]);
		put_len_to_end(o, udp_at, 0, false);
		put16(o, 0);
	} else if (t == T_IPIP) {
		ip(o, outer, inner->family == 4 ? 4 : 41, 0);
	} else {
		ip(o, outer, 47, 0);
	}
	switch (t) {
	case T_VXLAN:
		put32(o, 0x08000000);
		put32(o, 0x00123400);
		break;
	case T_GENEVE: /* two option words */
		put8(o, 0x02);
		put8(o, 0);
		put16(o, 0x6558);
		put32(o, 0x00123400);
		put32(o, 0x01020304);
		put32(o, 0x05060708);
		break;
	case T_GENEVE_IP:
		put8(o, 0);
		put8(o, 0);
		put16(o, ethertype_of(inner));
		put32(o, 0x00123400);
		break;
	case T_GRE:
		put16(o, 0);
		put16(o, ethertype_of(inner));
		break;
	case T_GRE_CKS:
		put16(o, 0x8000 | 0x2000 | 0x1000);
		put16(o, ethertype_of(inner));
		put32(o, 0xdead0000); /* checksum, reserved */
		put32(o, 0x00000042); /* key */
		put32(o, 0x00000007); /* sequence */
		break;
	case T_GRE_TEB:
		put16(o, 0x2000);
		put16(o, 0x6558);
		put32(o, 0x00000042);
		break;
	case T_GTPU:
		put8(o, 0x30);
		put8(o, 0xff);
		put_len_to_end(o, o->n + 6, 0, false);
		put32(o, 0x1000);
		break;
	case T_GTPU_EXT: /* sequence flag, a PDU session container */
		put8(o, 0x34);
		put8(o, 0xff);
		put_len_to_end(o, o->n + 6, 0, false);
		put32(o, 0x1000);
		put16(o, 0);
		put8(o, 0);
		put8(o, 0x85);
		put8(o, 1);
		put8(o, 0x10);
		put8(o, 0x05);
		put8(o, 0);
		break;
	case T_IPIP:
	case T_COUNT:
		break;
	}
	if (t == T_VXLAN || t == T_GENEVE || t == T_GRE_TEB) {
		put(o, macs, sizeof macs);
		put16(o, ethertype_of(inner));
	}
	segment_end(o, inner);
}

/* Inside every tunnel, the inner pair decides, both ways: 300 inner flows
 * in one outer pair spread over all 7 workers. */
static void test_tunnels_hash_inner_pair(void **state)
{
	uint32_t rng = 99;
	(void)state;

	for (int t = 0; t < T_COUNT; t++)
		for (int outer6 = 0; outer6 < 2; outer6++) {
			struct pair outer = outer6 ? pair6(&rng) : pair4(0x0ac80001, 0x0ac80002);
			bool seen[7] = {false};

			for (int i = 0; i < 300; i++) {
				struct pair in =
					i % 3 ? pair4(tl_rand(&rng), tl_rand(&rng)) : pair6(&rng);
				struct pair in_r = reversed(in), out_r = reversed(outer);

				for (size_t w = 0; w < CS_ARRAY_LEN(WORKERS); w++) {
					unsigned n = WORKERS[w], want = plain_worker(&in, n);
					struct bytes a = {.n = 0}, b = {.n = 0};

					tunnelled(&a, (enum tunnel)t, &outer, &in, NULL, 0);
					tunnelled(&b, (enum tunnel)t, &out_r, &in_r,
						  (const unsigned[]){0x88a8, 0x8100}, 2);
					if (worker(&a, n) != want || worker(&b, n) != want)
						fail_msg(
							"tunnel %d, outer IPv%d, flow %d, %u workers: "
							"%u / %u, inner pair's %u",
							t, outer6 ? 6 : 4, i, n, worker(&a, n),
							worker(&b, n), want);
				}
				struct bytes a = {.n = 0};
				tunnelled(&a, (enum tunnel)t, &outer, &in, NULL, 0);
				seen[worker(&a, 7)] = true;
			}
			for (int w = 0; w < 7; w++)
				assert_true(seen[w]);
		}
}

/* Two tunnels deep (GRE inside VXLAN): the innermost pair still decides. */
static void test_tunnel_in_tunnel(void **state)
{
	uint32_t rng = 5;
	(void)state;

	for (int i = 0; i < 200; i++) {
		struct pair outer = pair4(0x0a000001, 0x0a000002),
			    mid = pair4(0xac100001, 0xac100002);
		struct pair in = pair4(tl_rand(&rng), tl_rand(&rng));
		struct bytes inner = {.n = 0}, o = {.n = 0};

		/* GRE frame of mid around in, then wrapped whole in VXLAN */
		tunnelled(&inner, T_GRE, &mid, &in, NULL, 0);
		ether(&o, NULL, 0, 0x0800);
		ip(&o, &outer, 17, 0);
		put16(&o, 51000);
		put16(&o, 4789);
		put16(&o, (unsigned)(16 + inner.n));
		put16(&o, 0);
		put32(&o, 0x08000000);
		put32(&o, 0x00123400);
		put(&o, inner.b, inner.n);
		bytes_end(&o);
		for (size_t w = 0; w < CS_ARRAY_LEN(WORKERS); w++)
			assert_int_equal(worker(&o, WORKERS[w]), plain_worker(&in, WORKERS[w]));
	}
}

/* An outer fragment is not descended: its first piece holds the tunnel
 * header but the others do not, so all hash on the outer pair. */
static void test_outer_fragment_hashes_outer_pair(void **state)
{
	uint32_t rng = 3;
	(void)state;

	for (int i = 0; i < 100; i++) {
		struct pair outer4 = pair4(tl_rand(&rng), tl_rand(&rng)), outer6 = pair6(&rng);
		struct pair in = pair4(tl_rand(&rng), tl_rand(&rng));

		for (size_t w = 0; w < CS_ARRAY_LEN(WORKERS); w++) {
			unsigned n = WORKERS[w];
			struct bytes a = {.n = 0}, b = {.n = 0};

			ether(&a, NULL, 0, 0x0800);
			ip(&a, &outer4, 47, 0x2000); /* MF, offset 0 */
			put16(&a, 0);
			put16(&a, 0x0800);
			ip(&a, &in, 6, 0);
			tcp(&a, 1, 2);
			bytes_end(&a);
			assert_int_equal(worker(&a, n), plain_worker(&outer4, n));
			ether(&b, NULL, 0, 0x86dd);
			ip(&b, &outer6, 4, 1); /* a Fragment header, then IPIP */
			ip(&b, &in, 6, 0);
			tcp(&b, 1, 2);
			bytes_end(&b);
			assert_int_equal(worker(&b, n), plain_worker(&outer6, n));
		}
	}
}

/* Hop-by-hop and destination options before the tunnel are stepped over. */
static void test_ipv6_extension_headers(void **state)
{
	uint32_t rng = 8;
	(void)state;

	for (int i = 0; i < 100; i++) {
		struct pair outer = pair6(&rng), in = pair4(tl_rand(&rng), tl_rand(&rng));
		struct bytes o = {.n = 0};

		ether(&o, NULL, 0, 0x86dd);
		ip(&o, &outer, 0, 0); /* next: hop-by-hop */
		put8(&o, 60);         /* next: destination options */
		put8(&o, 0);          /* 8 bytes */
		fill(&o, 1, 6);
		put8(&o, 4); /* next: IPIP */
		put8(&o, 1); /* 16 bytes */
		fill(&o, 1, 14);
		ip(&o, &in, 6, 0);
		tcp(&o, 1, 2);
		bytes_end(&o);
		for (size_t w = 0; w < CS_ARRAY_LEN(WORKERS); w++)
			assert_int_equal(worker(&o, WORKERS[w]), plain_worker(&in, WORKERS[w]));
	}
}

static void test_not_ip(void **state)
{
	struct bytes arp = {.n = 0}, deep = {.n = 0};
	(void)state;

	ether(&arp, NULL, 0, 0x0806);
	fill(&arp, 0xab, 28);
	ether(&deep, (const unsigned[]){0x8100, 0x8100, 0x8100}, 3, 0x8100); /* a 4th tag */
	put16(&deep, 0x0800);
	fill(&deep, 0x45, 40);
	for (unsigned n = 1; n <= 7; n++) {
		assert_int_equal(worker(&arp, n), 0);
		assert_int_equal(worker(&deep, n), 0);
	}
}

/* ---------------------------------------------------------------- captures */

struct frame {
	uint8_t *b;
	uint32_t n;
};

struct capture {
	struct frame f[128]; /* the longest capture: 86 frames */
	size_t n;
};

static void load(struct capture *c, const char *path)
{
	char err[PCAP_ERRBUF_SIZE];
	pcap_t *p = pcap_open_offline(path, err);
	struct pcap_pkthdr *h;
	const u_char *data;

	if (!p)
		fail_msg("%s: %s", path, err);
	assert_int_equal(pcap_datalink(p), DLT_EN10MB);
	c->n = 0;
	while (pcap_next_ex(p, &h, &data) == 1) {
		assert_true(c->n < CS_ARRAY_LEN(c->f));
		c->f[c->n].b = malloc(h->caplen);
		assert_non_null(c->f[c->n].b);
		memcpy(c->f[c->n].b, data, h->caplen);
		c->f[c->n++].n = h->caplen;
	}
	pcap_close(p);
	assert_true(c->n > 0);
}

static void unload(struct capture *c)
{
	for (size_t i = 0; i < c->n; i++)
		free(c->f[i].b);
}

/* The lab sessions run on loopback: 127.0.0.1 (::1) both ways, one pair
 * for everything.  Give the innermost IP header (the last loopback pair in
 * the headers) a client and a server address, so that a wrong worker can
 * show.  The server is the lower TCP port (443 against an ephemeral one);
 * a fragment has no ports: the lab scripts send the server's frames from
 * MAC 02:00:00:00:00:01 (scripts/pcapedit.py, eth_hdr). */
static void relabel(struct frame *f)
{
	static const uint8_t lo4[8] = {127, 0, 0, 1, 127, 0, 0, 1};
	static const uint8_t lo6[32] = {[15] = 1, [31] = 1};
	static const uint8_t cli4[4] = {198, 18, 0, 7}, srv4[4] = {203, 0, 113, 44};
	static const uint8_t cli6[16] = {0x20, 0x01, 0x0d, 0xb8, [15] = 7};
	static const uint8_t srv6[16] = {0x20, 0x01, 0x0d, 0xb8, 0xff, [15] = 44};
	struct cs_pkt pkt;
	struct cs_decode_stats st = {{0}};
	bool from_server = f->n > 11 && f->b[11] == 1;
	size_t head = f->n < 160 ? f->n : 160;
	size_t at4 = SIZE_MAX, at6 = SIZE_MAX;

	if (decode_packet(CS_LINKTYPE_ETHERNET, f->b, f->n, &pkt, &st) == CS_OK)
		from_server = pkt.sport < pkt.dport;
	for (size_t i = 0; i + 8 <= head; i++)
		if (!memcmp(f->b + i, lo4, 8))
			at4 = i;
	for (size_t i = 0; i + 32 <= head; i++)
		if (!memcmp(f->b + i, lo6, 32))
			at6 = i;
	if (at4 != SIZE_MAX) {
		memcpy(f->b + at4, from_server ? srv4 : cli4, 4);
		memcpy(f->b + at4 + 4, from_server ? cli4 : srv4, 4);
	} else if (at6 != SIZE_MAX) {
		memcpy(f->b + at6, from_server ? srv6 : cli6, 16);
		memcpy(f->b + at6 + 16, from_server ? cli6 : srv6, 16);
	}
}

static struct pair pair_of(const struct cs_addr *src, const struct cs_addr *dst)
{
	struct pair p = {.family = src->family};
	size_t len = src->family == 4 ? 4 : 16;

	/* cs_addr keeps IPv4 in its first 4 bytes or as ::ffff:a.b.c.d */
	if (src->family == 4 && src->a[10] == 0xff && src->a[11] == 0xff) {
		memcpy(p.src, src->a + 12, 4);
		memcpy(p.dst, dst->a + 12, 4);
	} else {
		memcpy(p.src, src->a, len);
		memcpy(p.dst, dst->a, len);
	}
	return p;
}

struct seen {
	size_t decoded, fragments, tunnelled;
};

/* Every frame the decoder reads a pair from (a segment, however deep, or
 * a fragment) goes to that pair's worker; each capture holds one TCP
 * connection, so all of them go to one worker (fragments with the rest). */
static void check_capture(const char *path, bool lab, struct seen *s)
{
	struct capture c;
	unsigned first[CS_ARRAY_LEN(WORKERS)] = {0};

	memset(s, 0, sizeof *s);
	load(&c, path);
	for (size_t i = 0; i < c.n; i++) {
		struct cs_pkt pkt;
		struct cs_decode_stats st = {{0}};
		enum cs_status r;

		if (lab)
			relabel(&c.f[i]);
		r = decode_packet(CS_LINKTYPE_ETHERNET, c.f[i].b, c.f[i].n, &pkt, &st);
		if (r != CS_OK && r != CS_MORE)
			continue;
		s->decoded++;
		s->fragments += r == CS_MORE;
		s->tunnelled += pkt.tunnel_depth > 0;
		struct pair p = pair_of(&pkt.src, &pkt.dst);
		for (size_t w = 0; w < CS_ARRAY_LEN(WORKERS); w++) {
			unsigned n = WORKERS[w];
			unsigned got = fanout_worker_of(c.f[i].b, c.f[i].n, n);

			if (got != plain_worker(&p, n))
				fail_msg("%s frame %zu, %u workers: %u, its pair's %u", path, i + 1,
					 n, got, plain_worker(&p, n));
			if (s->decoded == 1)
				first[w] = got;
			else if (got != first[w])
				fail_msg("%s frame %zu, %u workers: %u, the connection's %u", path,
					 i + 1, n, got, first[w]);
		}
	}
	unload(&c);
}

static void test_capture_fragments(void **state)
{
	static const char *paths[] = {"pcaps/lab/frag-ipv4.pcap", "pcaps/lab/frag-ipv6.pcap",
				      "pcaps/lab/frag-router.pcap"};
	struct seen s;
	(void)state;

	for (size_t i = 0; i < CS_ARRAY_LEN(paths); i++) {
		check_capture(paths[i], i < 2, &s);
		assert_true(s.decoded > 10);
		assert_true(s.fragments >= 3);
	}
}

static void test_capture_tags(void **state)
{
	static const char *paths[] = {"pcaps/lab/quirk-vlan.pcap", "pcaps/lab/quirk-qinq.pcap",
				      "pcaps/lab/one-intermediate.pcap", "pcaps/lab/ipv6.pcap"};
	struct seen s;
	(void)state;

	for (size_t i = 0; i < CS_ARRAY_LEN(paths); i++) {
		check_capture(paths[i], true, &s);
		assert_int_equal(s.decoded, 16);
	}
}

/* The tunnel captures: the worker is the inner pair's, and for at least
 * one worker count that is not the outer pair's (so the check can fail). */
static void test_capture_tunnels(void **state)
{
	static const struct {
		const char *path;
		bool lab;
		struct pair outer;
	} caps[] = {
		{"pcaps/lab/tunnel-gtpu.pcap", true, {4, {10, 200, 0, 1}, {10, 200, 0, 2}}},
		{"pcaps/lab/tunnel-vxlan.pcap", true, {4, {10, 210, 0, 1}, {10, 210, 0, 2}}},
		{"pcaps/real/zeek__tunnels__geneve-47101.pcap",
		 false,
		 {4, {127, 0, 0, 1}, {127, 0, 0, 1}}},
	};
	struct seen s;
	(void)state;

	for (size_t i = 0; i < CS_ARRAY_LEN(caps); i++) {
		struct capture c;
		bool differs = false;

		check_capture(caps[i].path, caps[i].lab, &s);
		assert_true(s.decoded > 10);
		assert_int_equal(s.tunnelled, s.decoded);
		load(&c, caps[i].path);
		if (caps[i].lab)
			relabel(&c.f[0]);
		for (unsigned n = 2; n <= 7; n++)
			differs |= fanout_worker_of(c.f[0].b, c.f[0].n, n) !=
				   plain_worker(&caps[i].outer, n);
		unload(&c);
		if (!differs)
			fail_msg("%s: inner and outer pairs hash alike: the check cannot fail",
				 caps[i].path);
	}
}

/* The kernel runs the program on a received frame without its first tag
 * (skb_vlan_untag moved it out): the same worker as the whole frame. */
static void test_first_tag_stripped(void **state)
{
	static const char *paths[] = {"pcaps/lab/quirk-vlan.pcap", "pcaps/lab/quirk-qinq.pcap",
				      "pcaps/real/zeek__pppoe-over-qinq.pcap"};
	uint32_t rng = 21;
	(void)state;

	for (size_t i = 0; i < CS_ARRAY_LEN(paths); i++) {
		struct capture c;

		load(&c, paths[i]);
		for (size_t k = 0; k < c.n; k++) {
			struct frame *f = &c.f[k];

			relabel(f);
			for (size_t w = 0; w < CS_ARRAY_LEN(WORKERS); w++) {
				unsigned n = WORKERS[w], whole = fanout_worker_of(f->b, f->n, n);

				uint8_t tag[4];

				memcpy(tag, f->b + 12, 4);
				memmove(f->b + 12, f->b + 16, f->n - 16);
				assert_int_equal(fanout_worker_of(f->b, f->n - 4, n), whole);
				memmove(f->b + 16, f->b + 12, f->n - 16);
				memcpy(f->b + 12, tag, 4);
			}
		}
		unload(&c);
	}
	/* and in tunnels, behind 1 to 3 tags of each kind */
	for (int i = 0; i < 300; i++) {
		static const unsigned kinds[] = {0x8100, 0x88a8, 0x9100};
		unsigned tags[3] = {kinds[i % 3], kinds[(i / 3) % 3], kinds[(i / 9) % 3]};
		size_t ntags = 1 + (size_t)i % 3;
		struct pair outer = pair4(tl_rand(&rng), tl_rand(&rng));
		struct pair in = pair4(tl_rand(&rng), tl_rand(&rng));
		struct bytes a = {.n = 0}, b = {.n = 0};

		tunnelled(&a, (enum tunnel)(i % T_COUNT), &outer, &in, tags, ntags);
		tunnelled(&b, (enum tunnel)(i % T_COUNT), &outer, &in, tags + 1, ntags - 1);
		for (size_t w = 0; w < CS_ARRAY_LEN(WORKERS); w++) {
			assert_int_equal(worker(&a, WORKERS[w]), worker(&b, WORKERS[w]));
			assert_int_equal(worker(&a, WORKERS[w]), plain_worker(&in, WORKERS[w]));
		}
	}
}

/* ---------------------------------------------------------------- PPPoE, MPLS */

/* The decoder's reading of a frame: true and *p its pair when it reads
 * one (a segment or a fragment). */
static bool decoded_pair(const uint8_t *b, size_t n, struct pair *p)
{
	struct cs_pkt pkt;
	struct cs_decode_stats st = {{0}};
	enum cs_status r = decode_packet(CS_LINKTYPE_ETHERNET, b, n, &pkt, &st);

	if (r != CS_OK && r != CS_MORE)
		return false;
	*p = pair_of(&pkt.src, &pkt.dst);
	return true;
}

/* Every shim behind 0 to 2 tags, IPv4 and IPv6, both ways: the pair's
 * worker (the plain frame's), which is the pair the decoder reads. */
static void test_pppoe_mpls_both_directions(void **state)
{
	uint32_t rng = 31;
	(void)state;

	for (int i = 0; i < 300; i++) {
		struct pair p = i % 3 ? pair4(tl_rand(&rng), tl_rand(&rng)) : pair6(&rng), got;
		struct pair r = reversed(p);

		for (size_t e = 0; e < CS_ARRAY_LEN(ENCAPS); e++)
			for (size_t t = 0; t < CS_ARRAY_LEN(TAG_SETS); t++) {
				struct bytes a = {.n = 0}, b = {.n = 0};

				encapsulated(&a, &ENCAPS[e], &p, TAG_SETS[t], t, &rng);
				encapsulated(&b, &ENCAPS[e], &r, TAG_SETS[t], t, &rng);
				assert_true(decoded_pair(a.b, a.n, &got));
				assert_memory_equal(got.src, p.src, 16);
				for (size_t w = 0; w < CS_ARRAY_LEN(WORKERS); w++) {
					unsigned n = WORKERS[w], want = plain_worker(&p, n);

					if (worker(&a, n) != want || worker(&b, n) != want)
						fail_msg("shim %zu, %zu tags, flow %d, %u workers: "
							 "%u / %u, the pair's %u",
							 e, t, i, n, worker(&a, n), worker(&b, n),
							 want);
				}
			}
	}
}

/* MPLS over GRE (protocol type 0x8847): the stack is read at every level. */
static void mpls_in_gre(struct bytes *o, const struct pair *outer, const struct pair *in,
			unsigned labels, uint32_t *rng)
{
	ether(o, NULL, 0, ethertype_of(outer));
	ip(o, outer, 47, 0);
	put16(o, 0);
	put16(o, 0x8847);
	label_stack(o, labels, rng);
	segment_end(o, in);
}

/* CS_MAX_MPLS_LABELS entries are read, one more is not (the decoder skips
 * the frame as mpls_too_deep): worker 0 outside a tunnel, the outer pair's
 * inside one. */
static void test_mpls_label_cap(void **state)
{
	uint32_t rng = 41;
	(void)state;

	for (int i = 0; i < 100; i++) {
		struct pair p = i % 2 ? pair6(&rng) : pair4(tl_rand(&rng), tl_rand(&rng)), got;
		struct pair outer = pair4(tl_rand(&rng), tl_rand(&rng));
		struct encap at = {0x8847, false, CS_MAX_MPLS_LABELS};
		struct encap over = {0x8847, false, CS_MAX_MPLS_LABELS + 1};
		struct bytes a = {.n = 0}, b = {.n = 0}, g = {.n = 0}, h = {.n = 0};

		encapsulated(&a, &at, &p, NULL, 0, &rng);
		encapsulated(&b, &over, &p, TAG_SETS[1], 1, &rng);
		mpls_in_gre(&g, &outer, &p, CS_MAX_MPLS_LABELS, &rng);
		mpls_in_gre(&h, &outer, &p, CS_MAX_MPLS_LABELS + 1, &rng);
		assert_true(decoded_pair(a.b, a.n, &got));
		assert_true(decoded_pair(g.b, g.n, &got));
		assert_false(decoded_pair(b.b, b.n, &got));
		assert_false(decoded_pair(h.b, h.n, &got));
		for (size_t w = 0; w < CS_ARRAY_LEN(WORKERS); w++) {
			unsigned n = WORKERS[w];

			assert_int_equal(worker(&a, n), plain_worker(&p, n));
			assert_int_equal(worker(&g, n), plain_worker(&p, n));
			assert_int_equal(worker(&b, n), 0);
			assert_int_equal(worker(&h, n), plain_worker(&outer, n));
		}
	}
}

/* What the decoder does not read as IP goes to worker 0: a pseudowire
 * control word (Ethernet over MPLS), PPPoE discovery, a session frame of
 * another version or code or a LENGTH without the protocol field, LCP, a
 * compressed field that is not IP. */
static void test_pppoe_mpls_not_ip(void **state)
{
	struct pair p = pair4(0xc0000201, 0xc6336402), got;
	uint32_t rng = 51;
	struct bytes o[8] = {{.n = 0}};
	(void)state;

	ether(&o[0], NULL, 0, 0x8847); /* control word, then an Ethernet frame */
	label_stack(&o[0], 2, &rng);
	put32(&o[0], 0);
	ether(&o[0], NULL, 0, 0x0800);
	ether(&o[1], NULL, 0, 0x8847); /* control word, then IPv4 (RFC 4385) */
	label_stack(&o[1], 1, &rng);
	put32(&o[1], 0);
	ether(&o[2], NULL, 0, 0x8863); /* discovery stage */
	pppoe_header(&o[2], 0x0021, false, &rng);
	ether(&o[3], NULL, 0, 0x8864); /* version 2 */
	put8(&o[3], 0x21);
	put8(&o[3], 0);
	put16(&o[3], 7);
	put_len_to_end(&o[3], o[3].n + 2, 0, false);
	put16(&o[3], 0x0021);
	ether(&o[4], NULL, 0, 0x8864); /* PADT's code in a session frame */
	put8(&o[4], 0x11);
	put8(&o[4], 0xa7);
	put16(&o[4], 7);
	put_len_to_end(&o[4], o[4].n + 2, 0, false);
	put16(&o[4], 0x0021);
	ether(&o[5], NULL, 0, 0x8864); /* LENGTH 1 */
	put32(&o[5], 0x11000007);
	put16(&o[5], 1);
	put16(&o[5], 0x0021);
	ether(&o[6], NULL, 0, 0x8864); /* LCP */
	pppoe_header(&o[6], 0xc021, false, &rng);
	ether(&o[7], NULL, 0, 0x8864); /* a compressed 0x81 is not 0x0281 */
	pppoe_header(&o[7], 0x81, true, &rng);
	label_stack(&o[7], 1, &rng);
	for (size_t i = 0; i < CS_ARRAY_LEN(o); i++) {
		segment_end(&o[i], &p);
		if (decoded_pair(o[i].b, o[i].n, &got))
			fail_msg("frame %zu: the decoder reads a pair", i);
		for (unsigned n = 1; n <= 7; n++)
			if (worker(&o[i], n) != 0)
				fail_msg("frame %zu, %u workers: worker %u", i, n,
					 worker(&o[i], n));
	}
}

/* QinQ + PPPoE from a real BRAS link: every frame to its pair's worker,
 * which for some worker count is not worker 0 (the unparsed one). */
static void test_capture_pppoe(void **state)
{
	static const char *path = "pcaps/real/zeek__pppoe-over-qinq.pcap";
	struct capture c;
	struct seen s;
	bool off_zero = false;
	(void)state;

	check_capture(path, false, &s);
	/* 86 frames; in 6 the IP length passes the PPPoE LENGTH by 4 bytes
	 * (frames 19, 33, 41, 47, 63, 81): malformed_ip, skipped */
	assert_int_equal(s.decoded, 80);
	load(&c, path);
	for (unsigned n = 2; n <= 7; n++)
		off_zero |= fanout_worker_of(c.f[0].b, c.f[0].n, n) != 0;
	unload(&c);
	assert_true(off_zero);
}

/* ---------------------------------------------------------------- joining */

/* Not a packet socket, or a count out of range: not joined, one line. */
static void test_join_errors(void **state)
{
	char err[256] = "";
	int fd = socket(AF_INET, SOCK_DGRAM, 0);
	(void)state;

	assert_true(fd >= 0);
	assert_int_equal(fanout_join(fd, 7, 0, err, sizeof err), CS_LIMIT);
	assert_non_null(strstr(err, "0 workers"));
	assert_int_equal(fanout_join(fd, 7, CS_MAX_WORKERS + 1, err, sizeof err), CS_LIMIT);
	assert_int_equal(fanout_join(fd, 7, 2, err, sizeof err), CS_IO);
	assert_non_null(strstr(err, "PACKET_FANOUT"));
	assert_null(strchr(err, '\n'));
	close(fd);
}

/* As root: two packet sockets on lo join one group, which the kernel
 * reports as CBPF (without DEFRAG); the program is set (a third socket's own
 * PACKET_FANOUT_DATA before joining is refused: EINVAL, no group). */
static void test_join_kernel(void **state)
{
	uint16_t group = fanout_group_id();
	int fd[3], val = 0;
	socklen_t len = sizeof val;
	char err[256] = "untouched";
	(void)state;

	if (geteuid() != 0)
		skip();
	for (int i = 0; i < 3; i++) {
		struct sockaddr_ll sll = {.sll_family = AF_PACKET,
					  .sll_protocol = htons(ETH_P_ALL),
					  .sll_ifindex = (int)if_nametoindex("lo")};

		fd[i] = socket(AF_PACKET, SOCK_RAW, htons(ETH_P_ALL));
		assert_true(fd[i] >= 0);
		assert_int_equal(bind(fd[i], (struct sockaddr *)&sll, sizeof sll), 0);
		if (i == 2)
			break;
		assert_int_equal(fanout_join(fd[i], group, 2, err, sizeof err), CS_OK);
		assert_string_equal(err, "untouched");
	}
	assert_int_equal(getsockopt(fd[1], SOL_PACKET, PACKET_FANOUT, &val, &len), 0);
	assert_int_equal(val & 0xffff, group);
	assert_int_equal((unsigned)val >> 16, PACKET_FANOUT_CBPF);
	struct bpf_insn prog[CS_FANOUT_PROG_MAX];
	size_t n = fanout_program(2, prog, CS_FANOUT_PROG_MAX);
	struct sock_fprog fp = {.len = (unsigned short)n, .filter = (struct sock_filter *)prog};

	assert_int_equal(setsockopt(fd[2], SOL_PACKET, PACKET_FANOUT_DATA, &fp, sizeof fp), -1);
	assert_int_equal(errno, EINVAL);
	for (int i = 0; i < 3; i++)
		close(fd[i]);
}

/* ---------------------------------------------------------------- hostile */

/* A mutated frame: in range, the same worker on a second run, and when
 * the decoder reads a pair from it, that pair's worker. */
static void agrees_with_decoder(const uint8_t *b, size_t n, void *ctx)
{
	unsigned workers = *(const unsigned *)ctx;
	unsigned got = fanout_worker_of(b, (uint32_t)n, workers);
	struct pair p;

	assert_true(got < workers);
	assert_int_equal(fanout_worker_of(b, (uint32_t)n, workers), got);
	if (decoded_pair(b, n, &p) && got != plain_worker(&p, workers))
		fail_msg("%zu bytes, %u workers: %u, the decoded pair's %u", n, workers, got,
			 plain_worker(&p, workers));
}

/* Every truncation and every flipped byte of a frame. */
static void each_mutation(const uint8_t *b, size_t n, unsigned workers)
{
	tl_each_truncation(b, n, agrees_with_decoder, &workers);
	tl_each_flip(b, n, agrees_with_decoder, &workers);
}

/* ... of a capture's first four frames. */
static void capture_mutations(const char *path)
{
	struct capture c;

	load(&c, path);
	for (size_t i = 0; i < 4; i++)
		each_mutation(c.f[i].b, c.f[i].n, 7);
	unload(&c);
}

static void test_truncated_frames(void **state)
{
	uint32_t rng = 17;
	(void)state;

	for (int t = 0; t < T_COUNT; t++) {
		struct pair outer = pair6(&rng), in = pair4(tl_rand(&rng), tl_rand(&rng));
		struct bytes o = {.n = 0};

		tunnelled(&o, (enum tunnel)t, &outer, &in, (const unsigned[]){0x8100}, 1);
		each_mutation(o.b, o.n, 2 + (unsigned)t % 6);
	}
	capture_mutations("pcaps/real/zeek__tunnels__geneve-47101.pcap");
}

/* PPPoE and MPLS, behind 0 to 2 tags, and the real QinQ + PPPoE capture. */
static void test_pppoe_mpls_hostile(void **state)
{
	uint32_t rng = 61;
	(void)state;

	for (size_t e = 0; e < CS_ARRAY_LEN(ENCAPS); e++)
		for (size_t t = 0; t < CS_ARRAY_LEN(TAG_SETS); t++) {
			struct pair p =
				(e + t) % 2 ? pair6(&rng) : pair4(tl_rand(&rng), tl_rand(&rng));
			struct bytes o = {.n = 0};

			encapsulated(&o, &ENCAPS[e], &p, TAG_SETS[t], t, &rng);
			each_mutation(o.b, o.n, 2 + (unsigned)(e + t) % 6);
		}
	capture_mutations("pcaps/real/zeek__pppoe-over-qinq.pcap");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_program_range),
		cmocka_unit_test(test_program_forms),
		cmocka_unit_test(test_program_kernel_accepts),
		cmocka_unit_test(test_one_worker),
		cmocka_unit_test(test_both_directions),
		cmocka_unit_test(test_spread_ipv4),
		cmocka_unit_test(test_spread_ipv6),
		cmocka_unit_test(test_spread_one_subnet),
		cmocka_unit_test(test_tunnels_hash_inner_pair),
		cmocka_unit_test(test_tunnel_in_tunnel),
		cmocka_unit_test(test_outer_fragment_hashes_outer_pair),
		cmocka_unit_test(test_ipv6_extension_headers),
		cmocka_unit_test(test_not_ip),
		cmocka_unit_test(test_capture_fragments),
		cmocka_unit_test(test_capture_tags),
		cmocka_unit_test(test_capture_tunnels),
		cmocka_unit_test(test_first_tag_stripped),
		cmocka_unit_test(test_pppoe_mpls_both_directions),
		cmocka_unit_test(test_mpls_label_cap),
		cmocka_unit_test(test_pppoe_mpls_not_ip),
		cmocka_unit_test(test_capture_pppoe),
		cmocka_unit_test(test_join_errors),
		cmocka_unit_test(test_join_kernel),
		cmocka_unit_test(test_truncated_frames),
		cmocka_unit_test(test_pppoe_mpls_hostile),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
