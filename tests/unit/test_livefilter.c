/*
 * test_livefilter.c - the default live filter (cs_livefilter.h), compiled
 * by libpcap for its link type and run with pcap_offline_filter() (the
 * same program the kernel runs): TCP under 0 to CS_MAX_VLAN_TAGS tags,
 * fragments, tunnels and shims pass; UDP to other ports, ICMP, ARP and
 * LLDP do not.  Then, on real captures, every frame the decoder turns into
 * a TCP segment or a fragment must pass (run from the repository root).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <pcap/pcap.h>
#include <stdio.h>
#include <string.h>

#include "cs_capture.h"
#include "cs_decode.h"
#include "cs_limits.h"
#include "cs_livefilter.h"
#include "testlib.h"

/* An IPv4 header (ihl words) for protocol proto, fragment field frag. */
static void ip4(struct bytes *f, unsigned proto, unsigned frag, unsigned ihl)
{
	put8(f, 0x40 | ihl);
	put8(f, 0);
	put16(f, 200);
	put16(f, 1);
	put16(f, frag);
	put8(f, 64);
	put8(f, proto);
	put16(f, 0);
	fill(f, 10, 8);
	fill(f, 1, (ihl - 5) * 4u);
}

static void ip6(struct bytes *f, unsigned next)
{
	put16(f, 0x6000);
	put16(f, 0);
	put16(f, 160);
	put8(f, next);
	put8(f, 64);
	fill(f, 0x20, 32);
}

/* A transport header: TCP, or UDP to dport. */
static void l4(struct bytes *f, bool tcp, unsigned dport)
{
	put16(f, 40000);
	put16(f, dport);
	fill(f, 0, tcp ? 16 : 4);
	fill(f, 0x42, 40);
}

static void eth_tags(struct bytes *f, unsigned tags, unsigned type)
{
	static const unsigned tag_types[] = {0x88a8, 0x8100, 0x9100};

	memset(f, 0, sizeof *f);
	fill(f, 2, 12);
	for (unsigned i = 0; i < tags; i++) {
		put16(f, tag_types[i % 3]);
		put16(f, 100 + i);
	}
	put16(f, type);
}

static pcap_t *dead;

static bool passes(int linktype, const struct bytes *f)
{
	char expr[16384];
	struct bpf_program prog;
	struct pcap_pkthdr h = {.caplen = (bpf_u_int32)f->n, .len = (bpf_u_int32)f->n};
	bool ok;

	if (linktype == 101) /* LINKTYPE_RAW in files: DLT_RAW live */
		linktype = DLT_RAW;
	assert_non_null(livefilter_default(linktype, expr, sizeof expr));
	dead = pcap_open_dead(linktype, 262144);
	assert_non_null(dead);
	if (pcap_compile(dead, &prog, expr, 1, PCAP_NETMASK_UNKNOWN) != 0)
		fail_msg("does not compile for %d: %s", linktype, pcap_geterr(dead));
	assert_true(prog.bf_len < 4096); /* BPF_MAXINSNS */
	ok = pcap_offline_filter(&prog, &h, f->b) != 0;
	pcap_freecode(&prog);
	pcap_close(dead);
	return ok;
}

/* What follows the link header in a test frame: an IP header (or none),
 * then a transport header or zeros. */
struct frame_kind {
	const char *name;
	unsigned type;  /* the EtherType after the tags */
	unsigned ip;    /* 4, 6, or 0 for none */
	unsigned proto; /* IPv4 protocol or IPv6 next header */
	unsigned frag;  /* the IPv4 fragment field */
	unsigned ihl;   /* IPv4 header words */
	enum { BODY_TCP, BODY_UDP, BODY_ZEROS } body;
	unsigned n;  /* the destination port, or how many zeros */
	bool passes; /* under 0 to CS_MAX_VLAN_TAGS tags */
	bool beyond; /* also tried under one tag too many (must not pass) */
};

static const struct frame_kind kinds[] = {
	{"IPv4 TCP", 0x0800, 4, 6, 0x4000, 5, BODY_TCP, 443, true, true},
	{"IPv4 TCP without DF", 0x0800, 4, 6, 0, 5, BODY_TCP, 443, true, false},
	{"IPv6 TCP", 0x86dd, 6, 6, 0, 0, BODY_TCP, 443, true, true},
	/* what the decoder needs besides plain TCP */
	{"first fragment of a UDP datagram", 0x0800, 4, 17, 0x2000, 5, BODY_UDP, 53, true, false},
	{"a later IPv4 fragment", 0x0800, 4, 17, 0x0010, 5, BODY_ZEROS, 40, true, false},
	{"IP-in-IP", 0x0800, 4, 4, 0, 5, BODY_ZEROS, 60, true, false},
	{"6in4", 0x0800, 4, 41, 0, 5, BODY_ZEROS, 60, true, false},
	{"GRE", 0x0800, 4, 47, 0, 5, BODY_ZEROS, 60, true, false},
	{"VXLAN", 0x0800, 4, 17, 0, 5, BODY_UDP, 4789, true, false},
	{"GTP-U after IPv4 options", 0x0800, 4, 17, 0, 6, BODY_UDP, 2152, true, false},
	{"Geneve over IPv6", 0x86dd, 6, 17, 0, 0, BODY_UDP, 6081, true, false},
	{"an IPv6 fragment header", 0x86dd, 6, 44, 0, 0, BODY_ZEROS, 48, true, false},
	{"IPv6 hop-by-hop options", 0x86dd, 6, 0, 0, 0, BODY_ZEROS, 48, true, false},
	{"MPLS", 0x8847, 0, 0, 0, 0, BODY_ZEROS, 60, true, false},
	{"PPPoE session", 0x8864, 0, 0, 0, 0, BODY_ZEROS, 60, true, false},
	{"Cisco MetaData", 0x8909, 0, 0, 0, 0, BODY_ZEROS, 60, true, false},
	/* and what it never needs */
	{"QUIC", 0x0800, 4, 17, 0x4000, 5, BODY_UDP, 443, false, false},
	{"QUIC without DF", 0x0800, 4, 17, 0, 5, BODY_UDP, 443, false, false},
	{"DNS over IPv6", 0x86dd, 6, 17, 0, 0, BODY_UDP, 53, false, false},
	{"ICMP", 0x0800, 4, 1, 0, 5, BODY_ZEROS, 40, false, false},
	{"ICMPv6", 0x86dd, 6, 58, 0, 0, BODY_ZEROS, 40, false, false},
	{"ARP", 0x0806, 0, 0, 0, 0, BODY_ZEROS, 28, false, false},
	{"LLDP", 0x88cc, 0, 0, 0, 0, BODY_ZEROS, 40, false, false},
};

/* k after tags VLAN tags on Ethernet, or alone (raw IP) when tags < 0. */
static void frame(struct bytes *f, int tags, const struct frame_kind *k)
{
	if (tags >= 0)
		eth_tags(f, (unsigned)tags, k->type);
	else
		memset(f, 0, sizeof *f);
	if (k->ip == 4)
		ip4(f, k->proto, k->frag, k->ihl);
	else if (k->ip == 6)
		ip6(f, k->proto);
	if (k->body == BODY_ZEROS)
		fill(f, 0, k->n);
	else
		l4(f, k->body == BODY_TCP, k->n);
}

static void expect(int linktype, int tags, const struct frame_kind *k, bool want)
{
	struct bytes f;

	frame(&f, tags, k);
	if (passes(linktype, &f) != want)
		fail_msg("%s, link type %d, %d tags: %s", k->name, linktype, tags,
			 want ? "filtered out" : "let through");
}

/* A frame of every kind at every depth of tags, Ethernet. */
static void test_ethernet(void **state)
{
	(void)state;
	for (int tags = 0; tags <= CS_MAX_VLAN_TAGS + 1; tags++) {
		for (size_t i = 0; i < CS_ARRAY_LEN(kinds); i++) {
			if (tags <= CS_MAX_VLAN_TAGS)
				expect(DLT_EN10MB, tags, &kinds[i], kinds[i].passes);
			else if (kinds[i].beyond)
				expect(DLT_EN10MB, tags, &kinds[i], false);
		}
	}
}

/* Linux cooked captures ("any"): the protocol field, then the payload. */
static void test_cooked_and_raw(void **state)
{
	(void)state;
	struct bytes f;

	for (int v = 1; v <= 2; v++) {
		int lt = v == 1 ? DLT_LINUX_SLL : DLT_LINUX_SLL2;
		size_t hdr = v == 1 ? 16 : 20;

		for (unsigned tags = 0; tags <= 2; tags++) {
			for (int tcp = 0; tcp < 2; tcp++) {
				memset(&f, 0, sizeof f);
				if (v == 2)
					put16(&f, tags ? 0x8100 : 0x0800);
				fill(&f, 0, v == 1 ? 14 : 18);
				if (v == 1)
					put16(&f, tags ? 0x8100 : 0x0800);
				assert_int_equal(f.n, hdr);
				for (unsigned i = 0; i < tags; i++) {
					put16(&f, 7);
					put16(&f, i + 1 < tags ? 0x8100 : 0x0800);
				}
				ip4(&f, tcp ? 6 : 17, 0, 5);
				l4(&f, tcp, 53);
				assert_int_equal(passes(lt, &f), tcp);
			}
		}
	}
	/* raw IP: every kind that starts with an IP header */
	for (size_t i = 0; i < CS_ARRAY_LEN(kinds); i++)
		if (kinds[i].ip)
			expect(DLT_RAW, -1, &kinds[i], kinds[i].passes);
}

static void test_no_filter_for_the_rest(void **state)
{
	(void)state;
	static const int others[] = {DLT_IEEE802_11_RADIO, 239 /* NFLOG */, DLT_PPP, 147};
	char buf[16384];

	for (size_t i = 0; i < CS_ARRAY_LEN(others); i++)
		assert_null(livefilter_default(others[i], buf, sizeof buf));
	assert_null(livefilter_default(DLT_EN10MB, buf, 100)); /* does not fit */
	assert_null(livefilter_default(DLT_EN10MB, buf, 0));
}

/* Real captures: what the decoder reads, the filter lets through. */
static void test_real_captures(void **state)
{
	(void)state;
	static const char *const files[] = {
		"pcaps/lab/one-intermediate.pcap",
		"pcaps/lab/quirk-vlan.pcap",
		"pcaps/lab/quirk-qinq.pcap",
		"pcaps/lab/ipv6.pcap",
		"pcaps/lab/any-sll.pcap",
		"pcaps/lab/any-sll2.pcap",
		"pcaps/real/zeek__pppoe-over-qinq.pcap",
		"pcaps/real/zeek__tunnels__geneve-47101.pcap",
		"pcaps/real/suricata-verify__tcp-empty-sack__tcp-opt.pcap",
		"pcaps/real/mercury__tls_sgt.pcap",
		"pcaps/real/ndpi__ja3_lots_of_cipher_suites_2_anon.pcap",
		"pcaps/lab/frag-ipv4.pcap",
		"pcaps/lab/frag-ipv6.pcap",
	};
	uint64_t checked = 0;

	for (size_t i = 0; i < CS_ARRAY_LEN(files); i++) {
		struct cs_source *src;
		struct cs_frame fr;
		char err[256];

		if (capture_open_file(files[i], NULL, &src, err, sizeof err) != CS_OK)
			fail_msg("%s: %s", files[i], err);
		while (capture_next(src, &fr, err, sizeof err) == CS_OK) {
			struct cs_decode_stats st = {{0}};
			struct cs_pkt p;
			struct bytes f = {.n = 0};
			enum cs_status rc = decode_packet(fr.linktype, fr.data, fr.caplen, &p, &st);

			if (rc != CS_OK && rc != CS_MORE)
				continue;
			put(&f, fr.data, fr.caplen < sizeof f.b ? fr.caplen : sizeof f.b);
			if (!passes(fr.linktype, &f))
				fail_msg("%s frame %lu: decoded, but filtered out", files[i],
					 (unsigned long)fr.number);
			checked++;
		}
		capture_close(src);
	}
	assert_true(checked > 1000);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_ethernet),
		cmocka_unit_test(test_cooked_and_raw),
		cmocka_unit_test(test_no_filter_for_the_rest),
		cmocka_unit_test(test_real_captures),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
