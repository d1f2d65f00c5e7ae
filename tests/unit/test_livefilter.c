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

/* A frame of every kind at every depth of tags, Ethernet. */
static void test_ethernet(void **state)
{
	(void)state;
	struct bytes f;

	for (unsigned tags = 0; tags <= CS_MAX_VLAN_TAGS + 1; tags++) {
		bool in_cap = tags <= CS_MAX_VLAN_TAGS;

		eth_tags(&f, tags, 0x0800);
		ip4(&f, 6, 0x4000, 5);
		l4(&f, true, 443);
		assert_int_equal(passes(DLT_EN10MB, &f), in_cap);
		eth_tags(&f, tags, 0x86dd);
		ip6(&f, 6);
		l4(&f, true, 443);
		assert_int_equal(passes(DLT_EN10MB, &f), in_cap);
		if (!in_cap)
			continue;
		/* what the decoder needs besides plain TCP */
		eth_tags(&f, tags, 0x0800);
		ip4(&f, 17, 0x2000, 5); /* first fragment of a UDP datagram */
		l4(&f, false, 53);
		assert_true(passes(DLT_EN10MB, &f));
		eth_tags(&f, tags, 0x0800);
		ip4(&f, 17, 0x0010, 5); /* a later fragment */
		fill(&f, 0, 40);
		assert_true(passes(DLT_EN10MB, &f));
		for (unsigned proto = 4; proto <= 47; proto += proto == 4 ? 37 : 6) {
			eth_tags(&f, tags, 0x0800);
			ip4(&f, proto, 0, 5); /* IP-in-IP, 6in4, GRE */
			fill(&f, 0, 60);
			assert_true(passes(DLT_EN10MB, &f));
		}
		for (unsigned ihl = 5; ihl <= 6; ihl++) {
			eth_tags(&f, tags, 0x0800);
			ip4(&f, 17, 0, ihl);
			l4(&f, false, ihl == 5 ? 4789 : 2152);
			assert_true(passes(DLT_EN10MB, &f));
		}
		eth_tags(&f, tags, 0x86dd);
		ip6(&f, 17);
		l4(&f, false, 6081);
		assert_true(passes(DLT_EN10MB, &f));
		eth_tags(&f, tags, 0x86dd);
		ip6(&f, 44); /* a fragment header */
		fill(&f, 0, 48);
		assert_true(passes(DLT_EN10MB, &f));
		eth_tags(&f, tags, 0x86dd);
		ip6(&f, 0); /* hop-by-hop options */
		fill(&f, 0, 48);
		assert_true(passes(DLT_EN10MB, &f));
		for (unsigned type = 0x8847; type <= 0x8909; type += type == 0x8847 ? 0x1d : 0xa5) {
			eth_tags(&f, tags, type); /* MPLS, PPPoE session, Cisco MetaData */
			fill(&f, 0, 60);
			assert_true(passes(DLT_EN10MB, &f));
		}
		/* and what it never needs */
		eth_tags(&f, tags, 0x0800);
		ip4(&f, 17, 0x4000, 5);
		l4(&f, false, 443); /* QUIC */
		assert_false(passes(DLT_EN10MB, &f));
		eth_tags(&f, tags, 0x86dd);
		ip6(&f, 17);
		l4(&f, false, 53);
		assert_false(passes(DLT_EN10MB, &f));
		eth_tags(&f, tags, 0x0800);
		ip4(&f, 1, 0, 5); /* ICMP */
		fill(&f, 0, 40);
		assert_false(passes(DLT_EN10MB, &f));
		eth_tags(&f, tags, 0x86dd);
		ip6(&f, 58); /* ICMPv6 */
		fill(&f, 0, 40);
		assert_false(passes(DLT_EN10MB, &f));
		eth_tags(&f, tags, 0x0806); /* ARP */
		fill(&f, 0, 28);
		assert_false(passes(DLT_EN10MB, &f));
	}
	eth_tags(&f, 0, 0x88cc); /* LLDP */
	fill(&f, 0, 40);
	assert_false(passes(DLT_EN10MB, &f));
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
	memset(&f, 0, sizeof f);
	ip4(&f, 6, 0, 5);
	l4(&f, true, 443);
	assert_true(passes(DLT_RAW, &f));
	memset(&f, 0, sizeof f);
	ip6(&f, 44);
	fill(&f, 0, 48);
	assert_true(passes(DLT_RAW, &f));
	memset(&f, 0, sizeof f);
	ip4(&f, 17, 0, 5);
	l4(&f, false, 443);
	assert_false(passes(DLT_RAW, &f));
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
