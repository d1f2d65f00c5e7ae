/*
 * test_decode.c - the packet decoder: every link type and encapsulation,
 * every cap, every truncation offset, random byte flips.
 * Frames are built by appending layers to a buffer; length fields are
 * patched at the end.  Every decode runs on a heap copy of exactly the
 * captured length so that ASan catches a read past the capture, and checks
 * the counting contract of cs_decode.h.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "cs_decode.h"
#include "cs_limits.h"
#include "testlib.h"

/* Frame builder: struct bytes (testlib.h) --------------------------------- */

/* A 16-bit length of the bytes from `from` to the end of the frame. */
static void put_len(struct bytes *f, size_t from) { put_len_to_end(f, from, 0, false); }

/* Layers ------------------------------------------------------------------- */

static const uint8_t in4_src[4] = {192, 0, 2, 1};
static const uint8_t in4_dst[4] = {198, 51, 100, 2};
static const uint8_t out4_src[4] = {203, 0, 113, 1};
static const uint8_t out4_dst[4] = {203, 0, 113, 2};
static const uint8_t in6_src[16] = {0x20, 0x01, 0x0d, 0xb8, [15] = 1};
static const uint8_t in6_dst[16] = {0x20, 0x01, 0x0d, 0xb8, [15] = 2};
static const uint8_t out6_src[16] = {0x20, 0x01, 0x0d, 0xb8, 0xff, 0xff, [15] = 1};
static const uint8_t out6_dst[16] = {0x20, 0x01, 0x0d, 0xb8, 0xff, 0xff, [15] = 2};

/* A TLS record header and a few bytes: the payload of every sample. */
static const uint8_t hello[] = {0x16, 0x03, 0x01, 0x00, 0x05, 'h', 'e', 'l', 'l', 'o'};

static void eth(struct bytes *f, unsigned type)
{
	static const uint8_t macs[12] = {2, 0, 0, 0, 0, 1, 2, 0, 0, 0, 0, 2};

	put(f, macs, sizeof macs);
	put16(f, type);
}

static void tag(struct bytes *f, unsigned vid, unsigned next)
{
	put16(f, vid);
	put16(f, next);
}

static void pppoe(struct bytes *f, unsigned ppp_proto)
{
	put8(f, 0x11);
	put8(f, 0x00);
	put16(f, 0x1234);
	put_len(f, f->n + 2);
	put16(f, ppp_proto);
}

static void mpls(struct bytes *f, unsigned label, int bottom)
{
	put32(f, label << 12 | (bottom ? 0x100u : 0) | 64);
}

static void ip4_full(struct bytes *f, unsigned proto, const uint8_t *src, const uint8_t *dst,
		     size_t optlen, unsigned frag)
{
	size_t start = f->n;

	put8(f, 0x40 | (unsigned)(5 + optlen / 4));
	put8(f, 0);
	put_len(f, start);
	put16(f, 0x1234);
	put16(f, frag);
	put8(f, 64);
	put8(f, proto);
	put16(f, 0xdead); /* wrong on purpose: never verified */
	put(f, src, 4);
	put(f, dst, 4);
	fill(f, 0x01, optlen); /* NOPs */
}

static void ip4(struct bytes *f, unsigned proto)
{
	ip4_full(f, proto, in4_src, in4_dst, 0, 0x4000 /* DF */);
}

static void ip4_outer(struct bytes *f, unsigned proto)
{
	ip4_full(f, proto, out4_src, out4_dst, 0, 0);
}

static void ip6_full(struct bytes *f, unsigned next, const uint8_t *src, const uint8_t *dst)
{
	put32(f, 0x60012345);
	put_len(f, f->n + 36);
	put8(f, next);
	put8(f, 64);
	put(f, src, 16);
	put(f, dst, 16);
}

static void ip6(struct bytes *f, unsigned next) { ip6_full(f, next, in6_src, in6_dst); }

static void ip6_outer(struct bytes *f, unsigned next) { ip6_full(f, next, out6_src, out6_dst); }

/* Hop-by-hop, routing or destination options: (len + 1) * 8 bytes. */
static void ext6(struct bytes *f, unsigned next, unsigned len)
{
	put8(f, next);
	put8(f, len);
	fill(f, 0, (len + 1) * 8u - 2); /* Pad1 options */
}

static void frag6(struct bytes *f, unsigned next, unsigned offset_m)
{
	put8(f, next);
	put8(f, 0);
	put16(f, offset_m);
	put32(f, 0xabcdef01);
}

/* AH with a 12-byte ICV: payload length 4 means (4 + 2) * 4 bytes. */
static void ah(struct bytes *f, unsigned next)
{
	put8(f, next);
	put8(f, 4);
	put16(f, 0);
	put32(f, 0x100);
	put32(f, 1);
	fill(f, 0xaa, 12);
}

static void gre(struct bytes *f, unsigned flags, unsigned type)
{
	put16(f, flags);
	put16(f, type);
	if (flags & 0x8000) /* checksum, reserved1 */
		put32(f, 0xdead0000);
	if (flags & 0x2000) /* key */
		put32(f, 0xabcd);
	if (flags & 0x1000) /* sequence */
		put32(f, 7);
}

static void udp(struct bytes *f, unsigned dport)
{
	size_t start = f->n;

	put16(f, 40000);
	put16(f, dport);
	put_len(f, start);
	put16(f, 0);
}

static void vxlan(struct bytes *f)
{
	put32(f, 0x08000000);
	put32(f, 0x00123400);
}

/* Geneve with opt_words of options: one TLV of opt_words - 1 data words. */
static void geneve(struct bytes *f, unsigned type, unsigned opt_words)
{
	put8(f, opt_words);
	put8(f, 0);
	put16(f, type);
	put32(f, 0x00abcd00);
	if (opt_words > 0) {
		put16(f, 0x0102);
		put8(f, 0x80);
		put8(f, opt_words - 1);
		fill(f, 0xcc, (opt_words - 1) * 4u);
	}
}

/* Cisco MetaData: version 1, length 1, one SGT option, SGT 2. */
static void cmd(struct bytes *f, unsigned next)
{
	put8(f, 1);
	put8(f, 1);
	put16(f, 0x0001);
	put16(f, 2);
	put16(f, next);
}

/* GTPv1-U G-PDU; with ext, a sequence number and one PDU session
 * container extension header (2 units). */
static void gtpu(struct bytes *f, bool ext)
{
	put8(f, ext ? 0x36 : 0x30); /* version 1, PT, E and S when ext */
	put8(f, 0xff);
	put_len_to_end(f, f->n + 6, 0, false);
	put32(f, 0x01020304);
	if (ext) {
		put16(f, 77);
		put8(f, 0);
		put8(f, 0x85);
		put8(f, 2);
		fill(f, 0x09, 6);
		put8(f, 0);
	}
}

/* The 802.11 MAC header of a data frame, then LLC/SNAP. */
static void wlan(struct bytes *f, unsigned fc0, unsigned flags)
{
	put8(f, fc0);
	put8(f, flags);
	put16(f, 0x2c00);
	fill(f, 0x02, 18); /* three addresses */
	put16(f, 0x1000);  /* sequence 1, fragment 0 (little-endian) */
	if ((flags & 3) == 3)
		fill(f, 0x02, 6);
	if (fc0 & 0x80) { /* QoS: TID 5 */
		put8(f, 0x05);
		put8(f, 0);
		if (flags & 0x80)
			put32(f, 0);
	}
}

static void snap(struct bytes *f, unsigned type)
{
	put8(f, 0xaa);
	put8(f, 0xaa);
	put8(f, 0x03);
	fill(f, 0, 3);
	put16(f, type);
}

/* An NFLOG TLV header (length and type in the given byte order). */
static void nflog_tlv(struct bytes *f, unsigned type, size_t vlen, bool le)
{
	unsigned len = (unsigned)(4 + vlen);

	put8(f, le ? len & 0xff : len >> 8);
	put8(f, le ? len >> 8 : len & 0xff);
	put8(f, le ? type & 0xff : type >> 8);
	put8(f, le ? type >> 8 : type & 0xff);
}

static void tcp_hdr(struct bytes *f, unsigned doff)
{
	put16(f, 51515);
	put16(f, 443);
	put32(f, 0x11223344);
	put32(f, 0x55667788);
	put8(f, doff << 4);
	put8(f, CS_TCP_PSH | CS_TCP_ACK);
	put16(f, 65535);
	put16(f, 0xbeef); /* wrong on purpose */
	put16(f, 0);
	if (doff > 5)
		fill(f, 0x01, doff * 4u - 20);
}

/* The segment every sample carries: 12 bytes of options, then hello. */
static void seg(struct bytes *f)
{
	tcp_hdr(f, 8);
	put(f, hello, sizeof hello);
}

/* Decoding with the contract checked ------------------------------------- */

static bool is_informative(int c) { return c == CS_DEC_TUNNELED || c == CS_DEC_PAYLOAD_TRUNCATED; }

/*
 * Decode the first n bytes of b from a heap copy of exactly n bytes.  On
 * success the payload is rebased onto b.  Checks: a skip counts exactly one
 * reason, matching the status; a segment counts no reason, its payload lies
 * inside the capture, and the informative counters say what it is.
 */
static enum cs_status run(int linktype, const uint8_t *b, size_t n, struct cs_pkt *p,
			  struct cs_decode_stats *st)
{
	struct cs_decode_stats before = *st;
	uint8_t *copy = n ? malloc(n) : NULL;
	enum cs_status s;
	int reasons = 0, reason = -1;

	if (n)
		memcpy(copy, b, n);
	s = decode_packet(linktype, copy, n, p, st);
	for (int c = 0; c < CS_DEC_COUNTER_MAX; c++) {
		uint64_t delta = st->n[c] - before.n[c];

		assert_true(delta <= 1);
		if (delta && !is_informative(c)) {
			reasons++;
			reason = c;
		}
	}
	if (s != CS_OK) {
		assert_int_equal(reasons, 1);
		assert_true(reason >= 0);
		assert_int_equal(st->n[CS_DEC_TUNNELED], before.n[CS_DEC_TUNNELED]);
		assert_int_equal(st->n[CS_DEC_PAYLOAD_TRUNCATED],
				 before.n[CS_DEC_PAYLOAD_TRUNCATED]);
		if (s == CS_MORE) { /* a fragment: its data lies in the capture */
			assert_true(p->frag.data.n <= p->frag.data_len);
			assert_true(p->frag.data.n == 0 ||
				    (p->frag.data.p >= copy &&
				     p->frag.data.n <= (size_t)(copy + n - p->frag.data.p)));
			assert_true(p->frag.version == 4 || p->frag.version == 6);
			if (p->frag.data.n)
				p->frag.data.p = b + (p->frag.data.p - copy);
		}
		free(copy);
		return s;
	}
	assert_int_equal(reasons, 0);
	assert_non_null(p->payload.p);
	assert_true(p->payload.p >= copy && p->payload.n <= (size_t)(copy + n - p->payload.p));
	assert_true(p->payload.n <= p->payload_len);
	assert_true(p->tunnel_depth <= CS_MAX_TUNNEL_DEPTH);
	assert_int_equal(st->n[CS_DEC_TUNNELED] - before.n[CS_DEC_TUNNELED], p->tunnel_depth > 0);
	assert_int_equal(st->n[CS_DEC_PAYLOAD_TRUNCATED] - before.n[CS_DEC_PAYLOAD_TRUNCATED],
			 p->payload.n < p->payload_len);
	assert_true(p->src.family == p->dst.family && (p->src.family == 4 || p->src.family == 6));
	p->payload.p = b + (p->payload.p - copy);
	free(copy);
	return s;
}

/* A frame skipped for `why` with `status` (the statuses cs_common.h
 * defines: a malformed header is CS_BAD, a cap CS_LIMIT, anything not
 * decoded CS_UNSUPPORTED). */
static void expect_skip(int linktype, struct bytes *f, enum cs_decode_counter why,
			enum cs_status status)
{
	struct cs_decode_stats st = {{0}};
	struct cs_pkt p;

	bytes_end(f);
	assert_int_equal(run(linktype, f->b, f->n, &p, &st), status);
	if (st.n[why] != 1)
		fail_msg("expected %s", decode_counter_name(why));
}

static void expect_addr(const struct cs_addr *a, int family, const uint8_t *bytes)
{
	static const uint8_t mapped[12] = {[10] = 0xff, [11] = 0xff};

	assert_int_equal(a->family, family);
	if (family == 4) {
		assert_memory_equal(a->a, mapped, 12);
		assert_memory_equal(a->a + 12, bytes, 4);
	} else {
		assert_memory_equal(a->a, bytes, 16);
	}
}

/* The segment seg() built, between the inner addresses of a family. */
static void expect_seg(const struct cs_pkt *p, int family, unsigned depth)
{
	expect_addr(&p->src, family, family == 4 ? in4_src : in6_src);
	expect_addr(&p->dst, family, family == 4 ? in4_dst : in6_dst);
	assert_int_equal(p->sport, 51515);
	assert_int_equal(p->dport, 443);
	assert_int_equal(p->seq, 0x11223344);
	assert_int_equal(p->ack, 0x55667788);
	assert_int_equal(p->flags, CS_TCP_PSH | CS_TCP_ACK);
	assert_int_equal(p->payload.n, sizeof hello);
	assert_int_equal(p->payload_len, sizeof hello);
	assert_memory_equal(p->payload.p, hello, sizeof hello);
	assert_int_equal(p->tunnel_depth, depth);
}

/* Decode a whole frame that must give seg(); returns the stats. */
static struct cs_decode_stats expect_ok(int linktype, struct bytes *f, int family, unsigned depth)
{
	struct cs_decode_stats st = {{0}};
	struct cs_pkt p;

	bytes_end(f);
	assert_int_equal(run(linktype, f->b, f->n, &p, &st), CS_OK);
	expect_seg(&p, family, depth);
	for (int c = 0; c < CS_DEC_COUNTER_MAX; c++)
		assert_int_equal(st.n[c], c == CS_DEC_TUNNELED && depth > 0);
	return st;
}

/* Samples: one valid frame per link type and encapsulation ---------------- */

static void s_eth_ipv4(struct bytes *f)
{
	eth(f, 0x0800);
	ip4(f, 6);
	seg(f);
}

/* Some captures keep the 4-byte FCS: the IP length trims it. */
static void s_eth_ipv4_fcs(struct bytes *f)
{
	s_eth_ipv4(f);
	bytes_end(f);
	put32(f, 0xfcfcfcfc);
}

static void s_eth_ipv4_options(struct bytes *f)
{
	eth(f, 0x0800);
	ip4_full(f, 6, in4_src, in4_dst, 12, 0);
	seg(f);
}

static void s_eth_ipv6(struct bytes *f)
{
	eth(f, 0x86dd);
	ip6(f, 6);
	seg(f);
}

static void s_qinq_pppoe_ipv4(struct bytes *f)
{
	eth(f, 0x88a8);
	tag(f, 100, 0x8100);
	tag(f, 200, 0x8864);
	pppoe(f, 0x0021);
	ip4(f, 6);
	seg(f);
}

static void s_vlan9100_pppoe_ipv6(struct bytes *f)
{
	eth(f, 0x9100);
	tag(f, 7, 0x8864);
	pppoe(f, 0x0057);
	ip6(f, 6);
	seg(f);
}

static void s_sll_ipv4(struct bytes *f)
{
	put16(f, 4); /* sent by us */
	put16(f, 1); /* ARPHRD_ETHER */
	put16(f, 6); /* address length */
	fill(f, 0xaa, 8);
	put16(f, 0x0800);
	ip4(f, 6);
	seg(f);
}

static void s_sll_mpls_ipv6(struct bytes *f)
{
	put16(f, 0);
	put16(f, 1);
	put16(f, 6);
	fill(f, 0xaa, 8);
	put16(f, 0x8848);
	mpls(f, 16, 1);
	ip6(f, 6);
	seg(f);
}

static void s_sll2_vlan_ipv6(struct bytes *f)
{
	put16(f, 0x8100);
	put16(f, 0);
	put32(f, 3); /* interface index */
	put16(f, 1); /* ARPHRD_ETHER */
	put8(f, 0);
	put8(f, 6);
	fill(f, 0xaa, 8);
	tag(f, 42, 0x86dd);
	ip6(f, 6);
	seg(f);
}

static void s_null_le_ipv4(struct bytes *f)
{
	put32(f, 0x02000000); /* AF_INET written by a little-endian host */
	ip4(f, 6);
	seg(f);
}

static void s_null_be_ipv6(struct bytes *f)
{
	put32(f, 30); /* AF_INET6 on Darwin, big-endian host */
	ip6(f, 6);
	seg(f);
}

static void s_null_le_ipv6(struct bytes *f)
{
	put32(f, 0x1c000000); /* FreeBSD AF_INET6, little-endian host */
	ip6(f, 6);
	seg(f);
}

static void s_loop_ipv4(struct bytes *f)
{
	put32(f, 2);
	ip4(f, 6);
	seg(f);
}

static void s_loop_ipv6(struct bytes *f)
{
	put32(f, 24);
	ip6(f, 6);
	seg(f);
}

static void s_raw_ipv4(struct bytes *f)
{
	ip4(f, 6);
	seg(f);
}

static void s_raw_ipv6(struct bytes *f)
{
	ip6(f, 6);
	seg(f);
}

/* Hop-by-hop, destination options, routing, AH, an atomic fragment. */
static void s_ipv6_ext(struct bytes *f)
{
	eth(f, 0x86dd);
	ip6(f, 0);
	ext6(f, 60, 0);
	ext6(f, 43, 1);
	ext6(f, 51, 0);
	ah(f, 44);
	frag6(f, 60, 0);
	ext6(f, 6, 2);
	seg(f);
}

static void s_gre_key_seq_eth(struct bytes *f)
{
	eth(f, 0x0800);
	ip4_outer(f, 47);
	gre(f, 0x3000, 0x6558);
	eth(f, 0x0800);
	ip4(f, 6);
	seg(f);
}

static void s_gre_csum_ipv6(struct bytes *f)
{
	eth(f, 0x86dd);
	ip6_outer(f, 47);
	gre(f, 0x8000, 0x86dd);
	ip6(f, 6);
	seg(f);
}

static void s_gre_mpls(struct bytes *f)
{
	ip4_outer(f, 47);
	gre(f, 0, 0x8847);
	mpls(f, 1000, 1);
	ip4(f, 6);
	seg(f);
}

static void s_6in4(struct bytes *f)
{
	eth(f, 0x0800);
	ip4_outer(f, 41);
	ip6(f, 6);
	seg(f);
}

static void s_4in6(struct bytes *f)
{
	eth(f, 0x86dd);
	ip6_outer(f, 4);
	ip4(f, 6);
	seg(f);
}

static void s_vxlan(struct bytes *f)
{
	eth(f, 0x0800);
	ip4_outer(f, 17);
	udp(f, 4789);
	vxlan(f);
	eth(f, 0x8100);
	tag(f, 5, 0x0800);
	ip4(f, 6);
	seg(f);
}

static void s_geneve_options(struct bytes *f)
{
	eth(f, 0x86dd);
	ip6_outer(f, 17);
	udp(f, 6081);
	geneve(f, 0x6558, 3);
	eth(f, 0x0800);
	ip4(f, 6);
	seg(f);
}

static void s_geneve_ipv6(struct bytes *f)
{
	ip4_outer(f, 17);
	udp(f, 6081);
	geneve(f, 0x86dd, 0);
	ip6(f, 6);
	seg(f);
}

static void s_mpls2(struct bytes *f)
{
	eth(f, 0x8847);
	mpls(f, 100, 0);
	mpls(f, 200, 1);
	ip4(f, 6);
	seg(f);
}

/* Every tunnel kind nested to the cap: IPIP, 6in4, GRE, VXLAN. */
static void s_nested(struct bytes *f)
{
	eth(f, 0x0800);
	ip4_outer(f, 4);
	ip4_outer(f, 41);
	ip6_outer(f, 47);
	gre(f, 0x2000, 0x0800);
	ip4_outer(f, 17);
	udp(f, 4789);
	vxlan(f);
	eth(f, 0x0800);
	ip4(f, 6);
	seg(f);
}

static void s_eth_cmd_ipv4(struct bytes *f)
{
	eth(f, 0x8909);
	cmd(f, 0x0800);
	ip4(f, 6);
	seg(f);
}

static void s_vlan_cmd_ipv6(struct bytes *f)
{
	eth(f, 0x8100);
	tag(f, 10, 0x8909);
	cmd(f, 0x86dd);
	ip6(f, 6);
	seg(f);
}

static void s_gtpu(struct bytes *f)
{
	eth(f, 0x0800);
	ip4_outer(f, 17);
	udp(f, 2152);
	gtpu(f, false);
	ip4(f, 6);
	seg(f);
}

static void s_gtpu_ext_ipv6(struct bytes *f)
{
	ip6_outer(f, 17);
	udp(f, 2152);
	gtpu(f, true);
	ip6(f, 6);
	seg(f);
}

static void s_ppp_hdlc(struct bytes *f)
{
	put8(f, 0xff);
	put8(f, 0x03);
	put16(f, 0x0021);
	ip4(f, 6);
	seg(f);
}

/* address and control compressed, one-byte protocol field */
static void s_ppp_pfc_ipv6(struct bytes *f)
{
	put8(f, 0x57);
	ip6(f, 6);
	seg(f);
}

static void s_ppp_mpls(struct bytes *f)
{
	put8(f, 0xff);
	put8(f, 0x03);
	put16(f, 0x0281);
	mpls(f, 5, 1);
	ip4(f, 6);
	seg(f);
}

static void s_chdlc_ipv4(struct bytes *f)
{
	put8(f, 0x0f);
	put8(f, 0x00);
	put16(f, 0x0800);
	ip4(f, 6);
	seg(f);
}

static void s_ppp_pppd(struct bytes *f)
{
	put8(f, 0x01); /* sent */
	put8(f, 0x03);
	put16(f, 0x0057);
	ip6(f, 6);
	seg(f);
}

static void s_ppp_with_dir(struct bytes *f)
{
	put8(f, 0x00); /* received */
	s_ppp_hdlc(f);
}

static void s_chdlc_ipv6(struct bytes *f)
{
	put8(f, 0x8f);
	put8(f, 0x00);
	put16(f, 0x86dd);
	ip6(f, 6);
	seg(f);
}

static void s_chdlc_with_dir_mpls(struct bytes *f)
{
	put8(f, 0x01);
	put8(f, 0x0f);
	put8(f, 0x00);
	put16(f, 0x8847);
	mpls(f, 9, 1);
	ip4(f, 6);
	seg(f);
}

static void s_ppp_ether(struct bytes *f)
{
	pppoe(f, 0x0021);
	ip4(f, 6);
	seg(f);
}

static void s_wlan_data(struct bytes *f)
{
	wlan(f, 0x08, 0x01); /* data, to DS */
	snap(f, 0x0800);
	ip4(f, 6);
	seg(f);
}

static void s_wlan_qos_4addr_ipv6(struct bytes *f)
{
	wlan(f, 0x88, 0x03); /* QoS data, to and from DS: four addresses */
	snap(f, 0x86dd);
	ip6(f, 6);
	seg(f);
}

static void s_wlan_qos_htc_vlan(struct bytes *f)
{
	wlan(f, 0x88, 0x82); /* QoS data from DS, +HTC */
	snap(f, 0x8100);
	tag(f, 7, 0x0800);
	ip4(f, 6);
	seg(f);
}

/* radiotap with two presence words, TSFT (aligned on 8) and Flags saying
 * the body is padded to 4 bytes: the QoS header of 26 bytes gets 2 */
static void s_radiotap_datapad(struct bytes *f)
{
	put8(f, 0);
	put8(f, 0);
	put8(f, 25);
	put8(f, 0);
	put8(f, 0x03); /* TSFT, Flags ... */
	put8(f, 0);
	put8(f, 0);
	put8(f, 0x80); /* ... and another presence word */
	put32(f, 0);
	fill(f, 0, 4); /* alignment of TSFT to 8 */
	fill(f, 0x11, 8);
	put8(f, 0x20);
	wlan(f, 0x88, 0x01);
	put16(f, 0);
	snap(f, 0x0800);
	ip4(f, 6);
	seg(f);
}

/* radiotap Flags only: the frame keeps its FCS, which IP's length cuts */
static void s_radiotap_fcs(struct bytes *f)
{
	put8(f, 0);
	put8(f, 0);
	put8(f, 9);
	put8(f, 0);
	put8(f, 0x02);
	fill(f, 0, 3);
	put8(f, 0x10);
	wlan(f, 0x08, 0x02);
	snap(f, 0x86dd);
	ip6(f, 6);
	seg(f);
	bytes_end(f);
	put32(f, 0xfcfcfcfc);
}

static void ppi_hdr(struct bytes *f, unsigned len, unsigned dlt)
{
	put8(f, 0);
	put8(f, 0);
	put8(f, len & 0xff);
	put8(f, len >> 8);
	put8(f, dlt);
	fill(f, 0, 3);
	fill(f, 0x33, len - 8u);
}

static void s_ppi_wlan(struct bytes *f)
{
	ppi_hdr(f, 8, 105);
	wlan(f, 0x08, 0x01);
	snap(f, 0x0800);
	ip4(f, 6);
	seg(f);
}

static void s_ppi_ether(struct bytes *f)
{
	ppi_hdr(f, 20, 1);
	s_eth_ipv4(f);
}

static void s_nflog_le_ipv4(struct bytes *f)
{
	put8(f, 2); /* AF_INET */
	put8(f, 0);
	put16(f, 1);
	put_len_to_end(f, f->n, 0, true);
	put8(f, 9);
	put8(f, 0);
	ip4(f, 6);
	seg(f);
}

static void s_nflog_be_ipv6(struct bytes *f)
{
	put8(f, 10); /* AF_INET6 */
	put8(f, 0);
	put16(f, 1);
	put_len_to_end(f, f->n, 0, false);
	put8(f, 0);
	put8(f, 9);
	ip6(f, 6);
	seg(f);
}

static const struct sample {
	const char *name;
	int linktype;
	void (*build)(struct bytes *);
	int family;
	unsigned depth;
} samples[] = {
	{"eth_ipv4", CS_LINKTYPE_ETHERNET, s_eth_ipv4, 4, 0},
	{"eth_ipv4_fcs", CS_LINKTYPE_ETHERNET, s_eth_ipv4_fcs, 4, 0},
	{"eth_ipv4_options", CS_LINKTYPE_ETHERNET, s_eth_ipv4_options, 4, 0},
	{"eth_ipv6", CS_LINKTYPE_ETHERNET, s_eth_ipv6, 6, 0},
	{"qinq_pppoe_ipv4", CS_LINKTYPE_ETHERNET, s_qinq_pppoe_ipv4, 4, 0},
	{"vlan9100_pppoe_ipv6", CS_LINKTYPE_ETHERNET, s_vlan9100_pppoe_ipv6, 6, 0},
	{"sll_ipv4", CS_LINKTYPE_LINUX_SLL, s_sll_ipv4, 4, 0},
	{"sll_mpls_ipv6", CS_LINKTYPE_LINUX_SLL, s_sll_mpls_ipv6, 6, 0},
	{"sll2_vlan_ipv6", CS_LINKTYPE_LINUX_SLL2, s_sll2_vlan_ipv6, 6, 0},
	{"null_le_ipv4", CS_LINKTYPE_NULL, s_null_le_ipv4, 4, 0},
	{"null_be_ipv6", CS_LINKTYPE_NULL, s_null_be_ipv6, 6, 0},
	{"null_le_ipv6", CS_LINKTYPE_NULL, s_null_le_ipv6, 6, 0},
	{"loop_ipv4", CS_LINKTYPE_LOOP, s_loop_ipv4, 4, 0},
	{"loop_ipv6", CS_LINKTYPE_LOOP, s_loop_ipv6, 6, 0},
	{"raw_ipv4", CS_LINKTYPE_RAW, s_raw_ipv4, 4, 0},
	{"raw_ipv6", CS_LINKTYPE_RAW, s_raw_ipv6, 6, 0},
	{"dlt12_ipv4", CS_DLT_RAW_ALT1, s_raw_ipv4, 4, 0},
	{"dlt14_ipv6", CS_DLT_RAW_ALT2, s_raw_ipv6, 6, 0},
	{"linktype_ipv4", CS_LINKTYPE_IPV4, s_raw_ipv4, 4, 0},
	{"linktype_ipv6", CS_LINKTYPE_IPV6, s_raw_ipv6, 6, 0},
	{"ipv6_ext", CS_LINKTYPE_ETHERNET, s_ipv6_ext, 6, 0},
	{"gre_key_seq_eth", CS_LINKTYPE_ETHERNET, s_gre_key_seq_eth, 4, 1},
	{"gre_csum_ipv6", CS_LINKTYPE_ETHERNET, s_gre_csum_ipv6, 6, 1},
	{"gre_mpls", CS_LINKTYPE_RAW, s_gre_mpls, 4, 1},
	{"6in4", CS_LINKTYPE_ETHERNET, s_6in4, 6, 1},
	{"4in6", CS_LINKTYPE_ETHERNET, s_4in6, 4, 1},
	{"vxlan", CS_LINKTYPE_ETHERNET, s_vxlan, 4, 1},
	{"geneve_options", CS_LINKTYPE_ETHERNET, s_geneve_options, 4, 1},
	{"geneve_ipv6", CS_LINKTYPE_IPV4, s_geneve_ipv6, 6, 1},
	{"mpls2", CS_LINKTYPE_ETHERNET, s_mpls2, 4, 0},
	{"nested", CS_LINKTYPE_ETHERNET, s_nested, 4, CS_MAX_TUNNEL_DEPTH},
	{"eth_cmd_ipv4", CS_LINKTYPE_ETHERNET, s_eth_cmd_ipv4, 4, 0},
	{"vlan_cmd_ipv6", CS_LINKTYPE_ETHERNET, s_vlan_cmd_ipv6, 6, 0},
	{"gtpu", CS_LINKTYPE_ETHERNET, s_gtpu, 4, 1},
	{"gtpu_ext_ipv6", CS_LINKTYPE_RAW, s_gtpu_ext_ipv6, 6, 1},
	{"ppp_hdlc", CS_LINKTYPE_PPP, s_ppp_hdlc, 4, 0},
	{"ppp_pfc_ipv6", CS_LINKTYPE_PPP, s_ppp_pfc_ipv6, 6, 0},
	{"ppp_mpls", CS_LINKTYPE_PPP, s_ppp_mpls, 4, 0},
	{"ppp_serial", CS_LINKTYPE_PPP_HDLC, s_ppp_hdlc, 4, 0},
	{"ppp_serial_cisco", CS_LINKTYPE_PPP_HDLC, s_chdlc_ipv4, 4, 0},
	{"ppp_pppd", CS_LINKTYPE_PPP_PPPD, s_ppp_pppd, 6, 0},
	{"ppp_with_dir", CS_LINKTYPE_PPP_WITH_DIR, s_ppp_with_dir, 4, 0},
	{"ppp_ether", CS_LINKTYPE_PPP_ETHER, s_ppp_ether, 4, 0},
	{"chdlc_ipv6", CS_LINKTYPE_C_HDLC, s_chdlc_ipv6, 6, 0},
	{"chdlc_with_dir_mpls", CS_LINKTYPE_C_HDLC_WITH_DIR, s_chdlc_with_dir_mpls, 4, 0},
	{"wlan_data", CS_LINKTYPE_IEEE802_11, s_wlan_data, 4, 0},
	{"wlan_qos_4addr_ipv6", CS_LINKTYPE_IEEE802_11, s_wlan_qos_4addr_ipv6, 6, 0},
	{"wlan_qos_htc_vlan", CS_LINKTYPE_IEEE802_11, s_wlan_qos_htc_vlan, 4, 0},
	{"radiotap_datapad", CS_LINKTYPE_IEEE802_11_RADIOTAP, s_radiotap_datapad, 4, 0},
	{"radiotap_fcs", CS_LINKTYPE_IEEE802_11_RADIOTAP, s_radiotap_fcs, 6, 0},
	{"ppi_wlan", CS_LINKTYPE_PPI, s_ppi_wlan, 4, 0},
	{"ppi_ether", CS_LINKTYPE_PPI, s_ppi_ether, 4, 0},
	{"nflog_le_ipv4", CS_LINKTYPE_NFLOG, s_nflog_le_ipv4, 4, 0},
	{"nflog_be_ipv6", CS_LINKTYPE_NFLOG, s_nflog_be_ipv6, 6, 0},
};

static void build(const struct sample *s, struct bytes *f)
{
	memset(f, 0, sizeof *f);
	s->build(f);
	bytes_end(f);
}

static void test_samples(void **state)
{
	(void)state;
	struct bytes f;

	for (size_t i = 0; i < CS_ARRAY_LEN(samples); i++) {
		build(&samples[i], &f);
		expect_ok(samples[i].linktype, &f, samples[i].family, samples[i].depth);
	}
}

/*
 * Every prefix of every sample: a cut before the payload is a counted
 * truncation, a cut inside it a segment with the captured part.
 */
static void test_every_truncation(void **state)
{
	(void)state;
	struct bytes f;
	struct cs_pkt p;

	for (size_t i = 0; i < CS_ARRAY_LEN(samples); i++) {
		struct cs_decode_stats st = {{0}};
		size_t start;

		build(&samples[i], &f);
		assert_int_equal(run(samples[i].linktype, f.b, f.n, &p, &st), CS_OK);
		start = (size_t)(p.payload.p - f.b);
		for (size_t n = 0; n < f.n; n++) {
			size_t got = n > start ? n - start : 0;

			if (got > sizeof hello)
				got = sizeof hello;
			memset(&st, 0, sizeof st);
			if (n < start) {
				if (run(samples[i].linktype, f.b, n, &p, &st) != CS_TRUNC)
					fail_msg("%s cut at %zu: not a truncation", samples[i].name,
						 n);
				assert_int_equal(st.n[CS_DEC_TRUNCATED], 1);
				continue;
			}
			assert_int_equal(run(samples[i].linktype, f.b, n, &p, &st), CS_OK);
			assert_int_equal(p.payload.n, got);
			assert_int_equal(p.payload_len, sizeof hello);
			assert_memory_equal(p.payload.p, hello, got);
			assert_int_equal(st.n[CS_DEC_PAYLOAD_TRUNCATED], got < sizeof hello);
		}
	}
}

/* A bare TCP header ends where its unit ends: every cut is a truncation,
 * including the ones that leave exactly the lost bytes to read. */
static void test_truncation_without_payload(void **state)
{
	(void)state;
	struct bytes f = {.n = 0};
	struct cs_pkt p;

	eth(&f, 0x86dd);
	ip6(&f, 6);
	tcp_hdr(&f, 5);
	bytes_end(&f);
	for (size_t n = 0; n <= f.n; n++) {
		struct cs_decode_stats st = {{0}};

		assert_int_equal(run(CS_LINKTYPE_ETHERNET, f.b, n, &p, &st),
				 n == f.n ? CS_OK : CS_TRUNC);
		assert_int_equal(st.n[CS_DEC_TRUNCATED], n < f.n);
	}
}

/* Random byte flips and cuts: never a crash, always the contract. */
static void test_random_flips(void **state)
{
	(void)state;
	uint32_t x = 0x2545f491;
	struct bytes f;
	struct cs_pkt p;
	uint64_t ok = 0, skipped = 0;

	for (size_t i = 0; i < CS_ARRAY_LEN(samples); i++) {
		build(&samples[i], &f);
		for (int round = 0; round < 3000; round++) {
			struct cs_decode_stats st = {{0}};
			uint8_t b[sizeof f.b];
			size_t n = f.n;
			uint32_t flips = 1 + tl_rand(&x) % 4;

			memcpy(b, f.b, f.n);
			for (uint32_t k = 0; k < flips; k++) {
				size_t at = tl_rand(&x) % f.n;

				b[at] ^= (uint8_t)(1 + tl_rand(&x) % 255);
			}
			if (tl_rand(&x) % 4 == 0)
				n = tl_rand(&x) % (f.n + 1);
			if (run(samples[i].linktype, b, n, &p, &st) == CS_OK)
				ok++;
			else
				skipped++;
		}
	}
	assert_true(ok > 0 && skipped > 0);
}

/* Specific frames ---------------------------------------------------------- */

static void test_ipv4_fields(void **state)
{
	(void)state;
	struct bytes f = {.n = 0};
	struct cs_decode_stats st = {{0}};
	struct cs_pkt p;
	static const uint8_t mapped_src[16] = {[10] = 0xff, [11] = 0xff, 192, 0, 2, 1};

	s_eth_ipv4(&f);
	bytes_end(&f);
	assert_int_equal(run(CS_LINKTYPE_ETHERNET, f.b, f.n, &p, &st), CS_OK);
	assert_memory_equal(p.src.a, mapped_src, 16);
	assert_int_equal(p.src.family, 4);
	/* SYN|ACK, no payload */
	f.b[f.n - sizeof hello - 12 - 20 + 13] = CS_TCP_SYN | CS_TCP_ACK;
	f.n -= sizeof hello;
	f.b[14 + 3] = (uint8_t)(f.n - 14);
	assert_int_equal(run(CS_LINKTYPE_ETHERNET, f.b, f.n, &p, &st), CS_OK);
	assert_int_equal(p.flags, CS_TCP_SYN | CS_TCP_ACK);
	assert_int_equal(p.payload.n, 0);
	assert_int_equal(p.payload_len, 0);
}

/* A minimum-size Ethernet frame: padding after the IP datagram is dropped. */
static void test_ethernet_padding(void **state)
{
	(void)state;
	struct bytes f = {.n = 0};
	struct cs_decode_stats st = {{0}};
	struct cs_pkt p;

	eth(&f, 0x0800);
	ip4(&f, 6);
	tcp_hdr(&f, 5);
	put(&f, "hi", 2);
	bytes_end(&f);
	fill(&f, 0x55, 60 - f.n); /* padding that is not even zero */
	assert_int_equal(f.n, 60);
	assert_int_equal(run(CS_LINKTYPE_ETHERNET, f.b, f.n, &p, &st), CS_OK);
	assert_int_equal(p.payload.n, 2);
	assert_int_equal(p.payload_len, 2);
	assert_memory_equal(p.payload.p, "hi", 2);
	assert_int_equal(st.n[CS_DEC_PAYLOAD_TRUNCATED], 0);
}

/* The IP header promises more than the snaplen kept. */
static void test_payload_truncated(void **state)
{
	(void)state;
	struct bytes f = {.n = 0};
	struct cs_decode_stats st = {{0}};
	struct cs_pkt p;
	size_t cap;

	eth(&f, 0x86dd);
	ip6(&f, 6);
	tcp_hdr(&f, 5);
	fill(&f, 0x17, 1000);
	bytes_end(&f);
	cap = f.n - 900;
	assert_int_equal(run(CS_LINKTYPE_ETHERNET, f.b, cap, &p, &st), CS_OK);
	assert_int_equal(p.payload.n, 100);
	assert_int_equal(p.payload_len, 1000);
	assert_int_equal(st.n[CS_DEC_PAYLOAD_TRUNCATED], 1);
	assert_int_equal(st.n[CS_DEC_TRUNCATED], 0);
}

static void vlan_stack(struct bytes *f, unsigned tags)
{
	eth(f, 0x8100);
	for (unsigned i = 1; i <= tags; i++)
		tag(f, i, i < tags ? (i % 2 ? 0x88a8 : 0x9100) : 0x0800);
	ip4(f, 6);
	seg(f);
}

static void mpls_stack(struct bytes *f, unsigned labels)
{
	eth(f, 0x8847);
	for (unsigned i = 1; i <= labels; i++)
		mpls(f, i, i == labels);
	ip4(f, 6);
	seg(f);
}

static void ipip_stack(struct bytes *f, unsigned tunnels)
{
	eth(f, 0x0800);
	for (unsigned i = 0; i < tunnels; i++)
		ip4_outer(f, 4);
	ip4(f, 6);
	seg(f);
}

static void ext6_stack(struct bytes *f, unsigned headers)
{
	eth(f, 0x86dd);
	ip6(f, 60);
	for (unsigned i = 1; i <= headers; i++)
		ext6(f, i < headers ? 60 : 6, 0);
	seg(f);
}

static void test_caps(void **state)
{
	(void)state;
	struct bytes f;

	memset(&f, 0, sizeof f);
	vlan_stack(&f, CS_MAX_VLAN_TAGS);
	expect_ok(CS_LINKTYPE_ETHERNET, &f, 4, 0);
	memset(&f, 0, sizeof f);
	vlan_stack(&f, CS_MAX_VLAN_TAGS + 1);
	expect_skip(CS_LINKTYPE_ETHERNET, &f, CS_DEC_VLAN_TOO_DEEP, CS_LIMIT);

	memset(&f, 0, sizeof f);
	mpls_stack(&f, CS_MAX_MPLS_LABELS);
	expect_ok(CS_LINKTYPE_ETHERNET, &f, 4, 0);
	memset(&f, 0, sizeof f);
	mpls_stack(&f, CS_MAX_MPLS_LABELS + 1);
	expect_skip(CS_LINKTYPE_ETHERNET, &f, CS_DEC_MPLS_TOO_DEEP, CS_LIMIT);

	memset(&f, 0, sizeof f);
	ipip_stack(&f, CS_MAX_TUNNEL_DEPTH);
	expect_ok(CS_LINKTYPE_ETHERNET, &f, 4, CS_MAX_TUNNEL_DEPTH);
	memset(&f, 0, sizeof f);
	ipip_stack(&f, CS_MAX_TUNNEL_DEPTH + 1);
	expect_skip(CS_LINKTYPE_ETHERNET, &f, CS_DEC_TUNNEL_TOO_DEEP, CS_LIMIT);

	memset(&f, 0, sizeof f);
	ext6_stack(&f, CS_MAX_IPV6_EXT_HEADERS);
	expect_ok(CS_LINKTYPE_ETHERNET, &f, 6, 0);
	memset(&f, 0, sizeof f);
	ext6_stack(&f, CS_MAX_IPV6_EXT_HEADERS + 1);
	expect_skip(CS_LINKTYPE_ETHERNET, &f, CS_DEC_IPV6_EXT_TOO_DEEP, CS_LIMIT);
}

static void frag4(struct bytes *f, unsigned frag)
{
	eth(f, 0x0800);
	ip4_full(f, 6, in4_src, in4_dst, 0, frag);
	seg(f);
}

static void frag6_frame(struct bytes *f, unsigned offset_m)
{
	eth(f, 0x86dd);
	ip6(f, 44);
	frag6(f, 6, offset_m);
	seg(f);
}

/* A fragment's description: where its data is and what the defragmenter
 * needs; the data is the IP payload after the header (and its options). */
static void expect_fragment(int linktype, struct bytes *f, int version, unsigned proto, uint32_t id,
			    uint32_t offset, bool more, size_t data_at)
{
	struct cs_decode_stats st = {{0}};
	struct cs_pkt p;

	bytes_end(f);
	assert_int_equal(run(linktype, f->b, f->n, &p, &st), CS_MORE);
	assert_int_equal(st.n[CS_DEC_IP_FRAGMENT], 1);
	assert_int_equal(p.frag.version, version);
	assert_int_equal(p.frag.proto, proto);
	assert_int_equal(p.frag.id, id);
	assert_int_equal(p.frag.offset, offset);
	assert_int_equal(p.frag.more, more);
	assert_ptr_equal(p.frag.data.p, f->b + data_at);
	assert_int_equal(p.frag.data.n, f->n - data_at);
	assert_int_equal(p.frag.data_len, f->n - data_at);
	expect_addr(&p.src, version, version == 4 ? in4_src : in6_src);
}

static void test_fragments(void **state)
{
	(void)state;
	struct bytes f;

	memset(&f, 0, sizeof f);
	frag4(&f, 0x2000); /* first fragment: MF */
	expect_fragment(CS_LINKTYPE_ETHERNET, &f, 4, 6, 0x1234, 0, true, 34);
	memset(&f, 0, sizeof f);
	frag4(&f, 0x0010); /* last fragment: offset 128 */
	expect_fragment(CS_LINKTYPE_ETHERNET, &f, 4, 6, 0x1234, 128, false, 34);
	memset(&f, 0, sizeof f); /* options before the fragment's data */
	eth(&f, 0x0800);
	ip4_full(&f, 17, in4_src, in4_dst, 8, 0x2003);
	fill(&f, 0xee, 40);
	expect_fragment(CS_LINKTYPE_ETHERNET, &f, 4, 17, 0x1234, 24, true, 42);
	memset(&f, 0, sizeof f);
	frag4(&f, 0x8000); /* the reserved flag is not a fragment */
	expect_ok(CS_LINKTYPE_ETHERNET, &f, 4, 0);

	memset(&f, 0, sizeof f);
	frag6_frame(&f, 0x0001); /* M */
	expect_fragment(CS_LINKTYPE_ETHERNET, &f, 6, 6, 0xabcdef01, 0, true, 62);
	memset(&f, 0, sizeof f);
	frag6_frame(&f, 0x0100); /* offset 32 units of 8 bytes */
	expect_fragment(CS_LINKTYPE_ETHERNET, &f, 6, 6, 0xabcdef01, 256, false, 62);
	memset(&f, 0, sizeof f);
	frag6_frame(&f, 0x0006); /* atomic; reserved bits set */
	expect_ok(CS_LINKTYPE_ETHERNET, &f, 6, 0);

	memset(&f, 0, sizeof f); /* a fragment inside a tunnel knows its depth */
	eth(&f, 0x0800);
	ip4_outer(&f, 41);
	ip6(&f, 44);
	frag6(&f, 6, 0x0009);
	fill(&f, 0, 16);
	{
		struct cs_decode_stats st = {{0}};
		struct cs_pkt p;

		bytes_end(&f);
		assert_int_equal(run(CS_LINKTYPE_ETHERNET, f.b, f.n, &p, &st), CS_MORE);
		assert_int_equal(p.frag.depth, 1);
		assert_int_equal(p.frag.offset, 8);
		assert_true(p.frag.more);
		assert_int_equal(st.n[CS_DEC_TUNNELED], 0);
	}
}

/* A fragment cut by the snaplen says how long its data really is. */
static void test_fragment_snaplen(void **state)
{
	(void)state;
	struct bytes f = {.n = 0};
	struct cs_decode_stats st = {{0}};
	struct cs_pkt p;

	frag4(&f, 0x2000);
	bytes_end(&f);
	assert_int_equal(run(CS_LINKTYPE_ETHERNET, f.b, f.n - 5, &p, &st), CS_MORE);
	assert_int_equal(p.frag.data.n, f.n - 5 - 34);
	assert_int_equal(p.frag.data_len, f.n - 34);
}

/* Decode a reassembled datagram's payload from a heap copy of exactly
 * its size, with the contract of run(). */
static enum cs_status run_datagram(const struct cs_pkt *frag, const uint8_t *b, size_t n,
				   struct cs_pkt *p, struct cs_decode_stats *st)
{
	struct cs_decode_stats before = *st;
	uint8_t *copy = malloc(n ? n : 1);
	enum cs_status s;
	int reasons = 0;

	memcpy(copy, b, n);
	s = decode_datagram(frag, (struct cs_slice){copy, n}, p, st);
	assert_int_equal(st->n[CS_DEC_IP_REASSEMBLED] - before.n[CS_DEC_IP_REASSEMBLED], 1);
	for (int c = 0; c < CS_DEC_COUNTER_MAX; c++)
		if (c != CS_DEC_IP_REASSEMBLED && !is_informative(c))
			reasons += (int)(st->n[c] - before.n[c]);
	assert_int_equal(reasons, s == CS_OK ? 0 : 1);
	if (s == CS_OK) {
		assert_true(p->payload.p >= copy &&
			    p->payload.n <= (size_t)(copy + n - p->payload.p));
		p->payload.p = b + (p->payload.p - copy);
	}
	free(copy);
	return s;
}

/* decode_datagram goes on where the fragment left off: the transport
 * header, IPv6 extension headers after a fragment header, and tunnels that
 * may hold fragments again. */
static void test_datagram(void **state)
{
	(void)state;
	struct bytes f, whole;
	struct cs_decode_stats st = {{0}};
	struct cs_pkt p, q;

	memset(&f, 0, sizeof f);
	frag4(&f, 0x2000);
	bytes_end(&f);
	assert_int_equal(run(CS_LINKTYPE_ETHERNET, f.b, f.n, &p, &st), CS_MORE);
	memset(&whole, 0, sizeof whole);
	seg(&whole);
	assert_int_equal(run_datagram(&p, whole.b, whole.n, &q, &st), CS_OK);
	expect_seg(&q, 4, 0);
	assert_int_equal(run_datagram(&p, whole.b, 30, &q, &st), CS_BAD); /* short TCP */
	assert_int_equal(st.n[CS_DEC_MALFORMED_TCP], 1);

	memset(&f, 0, sizeof f); /* IPv6: destination options after the fragment header */
	eth(&f, 0x86dd);
	ip6(&f, 44);
	frag6(&f, 60, 0x0001);
	fill(&f, 0, 16);
	bytes_end(&f);
	assert_int_equal(run(CS_LINKTYPE_ETHERNET, f.b, f.n, &p, &st), CS_MORE);
	memset(&whole, 0, sizeof whole);
	ext6(&whole, 6, 0);
	seg(&whole);
	assert_int_equal(run_datagram(&p, whole.b, whole.n, &q, &st), CS_OK);
	expect_seg(&q, 6, 0);

	memset(&f, 0, sizeof f); /* an outer fragment holding GRE, IPv4, TCP */
	ip4_full(&f, 47, out4_src, out4_dst, 0, 0x2000);
	fill(&f, 0, 8);
	bytes_end(&f);
	assert_int_equal(run(CS_LINKTYPE_RAW, f.b, f.n, &p, &st), CS_MORE);
	memset(&whole, 0, sizeof whole);
	gre(&whole, 0, 0x0800);
	ip4(&whole, 6);
	seg(&whole);
	bytes_end(&whole);
	assert_int_equal(run_datagram(&p, whole.b, whole.n, &q, &st), CS_OK);
	expect_seg(&q, 4, 1);
	/* ... and one whose inner IPv4 is itself a fragment */
	memset(&whole, 0, sizeof whole);
	gre(&whole, 0, 0x0800);
	ip4_full(&whole, 6, in4_src, in4_dst, 0, 0x0002);
	fill(&whole, 0, 8);
	bytes_end(&whole);
	assert_int_equal(run_datagram(&p, whole.b, whole.n, &q, &st), CS_MORE);
	assert_int_equal(q.frag.depth, 1);
	assert_int_equal(q.frag.offset, 16);
	expect_addr(&q.src, 4, in4_src);

	/* decoding in place: out may be the fragment it comes from */
	memset(&f, 0, sizeof f);
	frag4(&f, 0x2000);
	bytes_end(&f);
	assert_int_equal(run(CS_LINKTYPE_ETHERNET, f.b, f.n, &p, &st), CS_MORE);
	memset(&whole, 0, sizeof whole);
	seg(&whole);
	assert_int_equal(decode_datagram(&p, (struct cs_slice){whole.b, whole.n}, &p, &st), CS_OK);
	expect_seg(&p, 4, 0);
}

/* Link types and shims: what each refuses, and why. */
static void test_ppp_hdlc_refusals(void **state)
{
	(void)state;
	struct bytes f;

	memset(&f, 0, sizeof f); /* LCP */
	put8(&f, 0xff);
	put8(&f, 0x03);
	put16(&f, 0xc021);
	fill(&f, 0, 10);
	expect_skip(CS_LINKTYPE_PPP, &f, CS_DEC_NOT_IP, CS_UNSUPPORTED);
	memset(&f, 0, sizeof f); /* Van Jacobson compressed TCP, one-byte protocol */
	put8(&f, 0x2d);
	fill(&f, 0, 10);
	expect_skip(CS_LINKTYPE_PPP, &f, CS_DEC_NOT_IP, CS_UNSUPPORTED);
	memset(&f, 0, sizeof f); /* the All-Stations address with another control */
	put8(&f, 0xff);
	put8(&f, 0x13);
	put16(&f, 0x0021);
	s_raw_ipv4(&f);
	expect_skip(CS_LINKTYPE_PPP, &f, CS_DEC_MALFORMED_LINK, CS_BAD);
	memset(&f, 0, sizeof f); /* PPP_SERIAL neither PPP nor Cisco */
	put8(&f, 0x42);
	put8(&f, 0x03);
	put16(&f, 0x0021);
	s_raw_ipv4(&f);
	expect_skip(CS_LINKTYPE_PPP_HDLC, &f, CS_DEC_MALFORMED_LINK, CS_BAD);
	memset(&f, 0, sizeof f); /* Cisco HDLC with a control byte */
	put8(&f, 0x0f);
	put8(&f, 0x03);
	put16(&f, 0x0800);
	s_raw_ipv4(&f);
	expect_skip(CS_LINKTYPE_C_HDLC, &f, CS_DEC_MALFORMED_LINK, CS_BAD);
	memset(&f, 0, sizeof f); /* Cisco SLARP keepalive */
	put8(&f, 0x8f);
	put8(&f, 0x00);
	put16(&f, 0x8035);
	fill(&f, 0, 18);
	expect_skip(CS_LINKTYPE_C_HDLC, &f, CS_DEC_NOT_IP, CS_UNSUPPORTED);
	memset(&f, 0, sizeof f); /* pppd's direction byte is 0 or 1 */
	put8(&f, 0x02);
	put8(&f, 0x03);
	put16(&f, 0x0021);
	s_raw_ipv4(&f);
	expect_skip(CS_LINKTYPE_PPP_PPPD, &f, CS_DEC_MALFORMED_LINK, CS_BAD);
	memset(&f, 0, sizeof f);
	put8(&f, 0x07);
	s_chdlc_ipv4(&f);
	expect_skip(CS_LINKTYPE_C_HDLC_WITH_DIR, &f, CS_DEC_MALFORMED_LINK, CS_BAD);
}

static void test_cmd_counts_as_tag(void **state)
{
	(void)state;
	struct bytes f;

	for (unsigned tags = CS_MAX_VLAN_TAGS - 1; tags <= CS_MAX_VLAN_TAGS; tags++) {
		memset(&f, 0, sizeof f);
		eth(&f, 0x8100);
		for (unsigned i = 1; i <= tags; i++)
			tag(&f, i, i < tags ? 0x8100 : 0x8909);
		cmd(&f, 0x0800);
		ip4(&f, 6);
		seg(&f);
		if (tags < CS_MAX_VLAN_TAGS)
			expect_ok(CS_LINKTYPE_ETHERNET, &f, 4, 0);
		else
			expect_skip(CS_LINKTYPE_ETHERNET, &f, CS_DEC_VLAN_TOO_DEEP, CS_LIMIT);
	}
	memset(&f, 0, sizeof f); /* CMD carrying ARP */
	eth(&f, 0x8909);
	cmd(&f, 0x0806);
	fill(&f, 0, 28);
	expect_skip(CS_LINKTYPE_ETHERNET, &f, CS_DEC_NOT_IP, CS_UNSUPPORTED);
}

static void test_gtpu_refusals(void **state)
{
	(void)state;
	struct bytes f;

	memset(&f, 0, sizeof f); /* echo request */
	ip4_outer(&f, 17);
	udp(&f, 2152);
	put8(&f, 0x32);
	put8(&f, 1);
	put_len_to_end(&f, f.n + 6, 0, false);
	put32(&f, 0);
	put32(&f, 0);
	expect_skip(CS_LINKTYPE_RAW, &f, CS_DEC_NOT_IP, CS_UNSUPPORTED);
	memset(&f, 0, sizeof f); /* GTP' (protocol type 0) */
	ip4_outer(&f, 17);
	udp(&f, 2152);
	put8(&f, 0x20);
	put8(&f, 0xff);
	put_len_to_end(&f, f.n + 6, 0, false);
	put32(&f, 0);
	s_raw_ipv4(&f);
	expect_skip(CS_LINKTYPE_RAW, &f, CS_DEC_NOT_IP, CS_UNSUPPORTED);
	memset(&f, 0, sizeof f); /* an extension header of length 0 */
	ip4_outer(&f, 17);
	udp(&f, 2152);
	put8(&f, 0x34);
	put8(&f, 0xff);
	put_len_to_end(&f, f.n + 6, 0, false);
	put32(&f, 0);
	put16(&f, 0);
	put8(&f, 0);
	put8(&f, 0x85);
	put8(&f, 0);
	fill(&f, 0, 3);
	s_raw_ipv4(&f);
	expect_skip(CS_LINKTYPE_RAW, &f, CS_DEC_MALFORMED_IP, CS_BAD);
	memset(&f, 0, sizeof f); /* extension headers beyond the cap */
	ip4_outer(&f, 17);
	udp(&f, 2152);
	put8(&f, 0x34);
	put8(&f, 0xff);
	put_len_to_end(&f, f.n + 6, 0, false);
	put32(&f, 0);
	put16(&f, 0);
	put8(&f, 0);
	put8(&f, 0x85);
	for (unsigned i = 0; i <= CS_MAX_GTP_EXT_HEADERS; i++) {
		put8(&f, 1);
		put16(&f, 0);
		put8(&f, 0x85);
	}
	s_raw_ipv4(&f);
	expect_skip(CS_LINKTYPE_RAW, &f, CS_DEC_MALFORMED_IP, CS_BAD);
	memset(&f, 0, sizeof f); /* S set, E clear: the next-type byte means nothing */
	ip4_outer(&f, 17);
	udp(&f, 2152);
	put8(&f, 0x32);
	put8(&f, 0xff);
	put_len_to_end(&f, f.n + 6, 0, false);
	put32(&f, 0);
	put16(&f, 9);
	put8(&f, 0);
	put8(&f, 0xc0);
	ip4(&f, 6);
	seg(&f);
	expect_ok(CS_LINKTYPE_RAW, &f, 4, 1);
}

static void test_wlan_refusals(void **state)
{
	(void)state;
	static const struct {
		unsigned fc0, flags;
		enum cs_decode_counter why;
		enum cs_status status;
	} cases[] = {
		{0x80, 0x00, CS_DEC_NOT_IP, CS_UNSUPPORTED},    /* beacon */
		{0xd4, 0x00, CS_DEC_NOT_IP, CS_UNSUPPORTED},    /* ACK (control) */
		{0x48, 0x01, CS_DEC_NOT_IP, CS_UNSUPPORTED},    /* null data */
		{0xc8, 0x01, CS_DEC_NOT_IP, CS_UNSUPPORTED},    /* QoS null */
		{0x08, 0x41, CS_DEC_ENCRYPTED, CS_UNSUPPORTED}, /* protected data */
		{0x88, 0x42, CS_DEC_ENCRYPTED, CS_UNSUPPORTED}, /* protected QoS data */
		{0x08, 0x05, CS_DEC_NOT_IP, CS_UNSUPPORTED},    /* more fragments */
		{0x09, 0x01, CS_DEC_MALFORMED_LINK, CS_BAD},    /* protocol version 1 */
	};
	struct bytes f;

	for (size_t i = 0; i < CS_ARRAY_LEN(cases); i++) {
		memset(&f, 0, sizeof f);
		wlan(&f, cases[i].fc0, cases[i].flags);
		snap(&f, 0x0800);
		s_raw_ipv4(&f);
		expect_skip(CS_LINKTYPE_IEEE802_11, &f, cases[i].why, cases[i].status);
	}
	memset(&f, 0, sizeof f); /* a later fragment (fragment number 1) */
	wlan(&f, 0x08, 0x01);
	f.b[22] = 0x11;
	snap(&f, 0x0800);
	s_raw_ipv4(&f);
	expect_skip(CS_LINKTYPE_IEEE802_11, &f, CS_DEC_NOT_IP, CS_UNSUPPORTED);
	memset(&f, 0, sizeof f); /* an A-MSDU */
	wlan(&f, 0x88, 0x01);
	f.b[24] |= 0x80;
	snap(&f, 0x0800);
	s_raw_ipv4(&f);
	expect_skip(CS_LINKTYPE_IEEE802_11, &f, CS_DEC_NOT_IP, CS_UNSUPPORTED);
	memset(&f, 0, sizeof f); /* LLC that is not SNAP (spanning tree) */
	wlan(&f, 0x08, 0x02);
	put8(&f, 0x42);
	put8(&f, 0x42);
	put8(&f, 0x03);
	fill(&f, 0, 40);
	expect_skip(CS_LINKTYPE_IEEE802_11, &f, CS_DEC_NOT_IP, CS_UNSUPPORTED);
	memset(&f, 0, sizeof f); /* SNAP with a vendor OUI */
	wlan(&f, 0x08, 0x02);
	snap(&f, 0x0800);
	f.b[f.n - 3] = 0x40;
	s_raw_ipv4(&f);
	expect_skip(CS_LINKTYPE_IEEE802_11, &f, CS_DEC_NOT_IP, CS_UNSUPPORTED);
	memset(&f, 0, sizeof f); /* SNAP, bridge-tunnel OUI 00:00:f8 */
	wlan(&f, 0x08, 0x02);
	snap(&f, 0x0800);
	f.b[f.n - 3] = 0xf8;
	ip4(&f, 6);
	seg(&f);
	expect_ok(CS_LINKTYPE_IEEE802_11, &f, 4, 0);
}

static void test_radiotap_ppi_refusals(void **state)
{
	(void)state;
	struct bytes f;

	memset(&f, 0, sizeof f); /* bad FCS */
	s_radiotap_fcs(&f);
	f.b[8] = 0x50;
	expect_skip(CS_LINKTYPE_IEEE802_11_RADIOTAP, &f, CS_DEC_MALFORMED_LINK, CS_BAD);
	memset(&f, 0, sizeof f); /* version 1 */
	s_radiotap_fcs(&f);
	f.b[0] = 1;
	expect_skip(CS_LINKTYPE_IEEE802_11_RADIOTAP, &f, CS_DEC_MALFORMED_LINK, CS_BAD);
	memset(&f, 0, sizeof f); /* length below the fixed header */
	s_radiotap_fcs(&f);
	f.b[2] = 7;
	expect_skip(CS_LINKTYPE_IEEE802_11_RADIOTAP, &f, CS_DEC_MALFORMED_LINK, CS_BAD);
	memset(&f, 0, sizeof f); /* Flags announced, header too short for it */
	s_radiotap_fcs(&f);
	f.b[2] = 8;
	expect_skip(CS_LINKTYPE_IEEE802_11_RADIOTAP, &f, CS_DEC_MALFORMED_LINK, CS_BAD);
	memset(&f, 0, sizeof f); /* presence words chained past the cap */
	put8(&f, 0);
	put8(&f, 0);
	put8(&f, (8 + 4 * CS_MAX_RADIOTAP_PRESENT) & 0xff);
	put8(&f, 0);
	for (unsigned i = 0; i < CS_MAX_RADIOTAP_PRESENT + 1; i++)
		put32(&f, 0x00000080); /* bit 31, little-endian */
	s_wlan_data(&f);
	expect_skip(CS_LINKTYPE_IEEE802_11_RADIOTAP, &f, CS_DEC_MALFORMED_LINK, CS_BAD);
	memset(&f, 0, sizeof f); /* PPI of another DLT */
	ppi_hdr(&f, 8, 113);
	fill(&f, 0, 40);
	expect_skip(CS_LINKTYPE_PPI, &f, CS_DEC_UNSUPPORTED_LINK, CS_UNSUPPORTED);
	memset(&f, 0, sizeof f); /* PPI length below its header */
	ppi_hdr(&f, 8, 105);
	f.b[2] = 4;
	s_wlan_data(&f);
	expect_skip(CS_LINKTYPE_PPI, &f, CS_DEC_MALFORMED_LINK, CS_BAD);
}

/* NFLOG: attributes before the payload, each padded to 4, in either byte
 * order; and what is refused. */
static void nflog_with_tlvs(struct bytes *f, bool le, unsigned family)
{
	put8(f, family);
	put8(f, 0);
	put16(f, 7);
	nflog_tlv(f, 1, 4, le); /* NFULA_PACKET_HDR: hw_protocol, hook, pad */
	put16(f, 0x0800);
	put8(f, 3);
	put8(f, 0);
	nflog_tlv(f, 10, 5, le); /* NFULA_PREFIX "drop\0", padded to 8 */
	put(f, "drop", 5);
	fill(f, 0, 3);
	put_len_to_end(f, f->n, 0, le);
	put8(f, le ? 9 : 0);
	put8(f, le ? 0 : 9);
}

static void test_nflog(void **state)
{
	(void)state;
	struct bytes f;

	for (int le = 0; le < 2; le++) {
		memset(&f, 0, sizeof f);
		nflog_with_tlvs(&f, le, 2);
		ip4(&f, 6);
		seg(&f);
		expect_ok(CS_LINKTYPE_NFLOG, &f, 4, 0);
		memset(&f, 0, sizeof f);
		nflog_with_tlvs(&f, le, 10);
		ip6(&f, 6);
		seg(&f);
		expect_ok(CS_LINKTYPE_NFLOG, &f, 6, 0);
		memset(&f, 0, sizeof f); /* a family that is not IP */
		nflog_with_tlvs(&f, le, 7);
		ip4(&f, 6);
		seg(&f);
		expect_skip(CS_LINKTYPE_NFLOG, &f, CS_DEC_NOT_IP, CS_UNSUPPORTED);
	}
	memset(&f, 0, sizeof f); /* no payload attribute (nflog-size 0) */
	put8(&f, 2);
	put8(&f, 0);
	put16(&f, 7);
	nflog_tlv(&f, 1, 4, true);
	fill(&f, 0, 4);
	expect_skip(CS_LINKTYPE_NFLOG, &f, CS_DEC_NOT_IP, CS_UNSUPPORTED);
	memset(&f, 0, sizeof f); /* version 1 */
	s_nflog_le_ipv4(&f);
	f.b[1] = 1;
	expect_skip(CS_LINKTYPE_NFLOG, &f, CS_DEC_MALFORMED_LINK, CS_BAD);
	memset(&f, 0, sizeof f); /* a TLV shorter than its header */
	put8(&f, 2);
	put8(&f, 0);
	put16(&f, 7);
	nflog_tlv(&f, 1, 0, true);
	f.b[4] = 3;
	s_raw_ipv4(&f);
	expect_skip(CS_LINKTYPE_NFLOG, &f, CS_DEC_MALFORMED_LINK, CS_BAD);
	memset(&f, 0, sizeof f); /* more attributes than the kernel sends */
	put8(&f, 2);
	put8(&f, 0);
	put16(&f, 7);
	for (unsigned i = 0; i < CS_MAX_NFLOG_TLVS; i++)
		nflog_tlv(&f, 11, 0, true);
	put_len_to_end(&f, f.n, 0, true);
	put8(&f, 9);
	put8(&f, 0);
	s_raw_ipv4(&f);
	expect_skip(CS_LINKTYPE_NFLOG, &f, CS_DEC_MALFORMED_LINK, CS_BAD);
	memset(&f, 0, sizeof f); /* a payload attribute shorter than its IP packet */
	s_nflog_le_ipv4(&f);
	bytes_end(&f);
	f.b[4] = (uint8_t)(f.b[4] - 10);
	expect_skip(CS_LINKTYPE_NFLOG, &f, CS_DEC_MALFORMED_IP, CS_BAD);
}

static void test_not_ip(void **state)
{
	(void)state;
	static const unsigned ethertypes[] = {0x0806, 0x88cc, 0x0040, 0x8863, 0x88be};
	struct bytes f;

	for (size_t i = 0; i < CS_ARRAY_LEN(ethertypes); i++) {
		memset(&f, 0, sizeof f);
		eth(&f, ethertypes[i]);
		fill(&f, 0, 46);
		expect_skip(CS_LINKTYPE_ETHERNET, &f, CS_DEC_NOT_IP, CS_UNSUPPORTED);
	}
	memset(&f, 0, sizeof f); /* PPP LCP */
	eth(&f, 0x8864);
	pppoe(&f, 0xc021);
	fill(&f, 0, 10);
	expect_skip(CS_LINKTYPE_ETHERNET, &f, CS_DEC_NOT_IP, CS_UNSUPPORTED);

	memset(&f, 0, sizeof f); /* MPLS pseudowire with a control word */
	eth(&f, 0x8847);
	mpls(&f, 1, 1);
	put32(&f, 0);
	s_eth_ipv4(&f);
	expect_skip(CS_LINKTYPE_ETHERNET, &f, CS_DEC_NOT_IP, CS_UNSUPPORTED);

	memset(&f, 0, sizeof f); /* BSD NULL, AF_LINK */
	put32(&f, 18);
	s_raw_ipv4(&f);
	expect_skip(CS_LINKTYPE_NULL, &f, CS_DEC_NOT_IP, CS_UNSUPPORTED);
	memset(&f, 0, sizeof f); /* LOOP is network order only */
	put32(&f, 0x02000000);
	s_raw_ipv4(&f);
	expect_skip(CS_LINKTYPE_LOOP, &f, CS_DEC_NOT_IP, CS_UNSUPPORTED);

	memset(&f, 0, sizeof f); /* nlmon: netlink in a cooked header */
	put16(&f, 4);
	put16(&f, 824);
	put16(&f, 0);
	fill(&f, 0, 8);
	put16(&f, 0x0800); /* would be NETLINK_ROUTE... anything */
	s_raw_ipv4(&f);
	expect_skip(CS_LINKTYPE_LINUX_SLL, &f, CS_DEC_NOT_IP, CS_UNSUPPORTED);

	memset(&f, 0, sizeof f); /* raw link, version nibble 5 */
	put8(&f, 0x50);
	fill(&f, 0, 40);
	expect_skip(CS_LINKTYPE_RAW, &f, CS_DEC_NOT_IP, CS_UNSUPPORTED);

	memset(&f, 0, sizeof f); /* GRE version 1 (PPTP) */
	ip4_outer(&f, 47);
	gre(&f, 0x2001, 0x880b);
	fill(&f, 0, 20);
	expect_skip(CS_LINKTYPE_RAW, &f, CS_DEC_NOT_IP, CS_UNSUPPORTED);
	memset(&f, 0, sizeof f); /* GRE with RFC 1701 routing present */
	ip4_outer(&f, 47);
	gre(&f, 0x4000, 0x0800);
	s_raw_ipv4(&f);
	expect_skip(CS_LINKTYPE_RAW, &f, CS_DEC_NOT_IP, CS_UNSUPPORTED);
	memset(&f, 0, sizeof f); /* GRE carrying ARP */
	ip4_outer(&f, 47);
	gre(&f, 0, 0x0806);
	fill(&f, 0, 28);
	expect_skip(CS_LINKTYPE_RAW, &f, CS_DEC_NOT_IP, CS_UNSUPPORTED);

	memset(&f, 0, sizeof f); /* Geneve version 1 */
	ip4_outer(&f, 17);
	udp(&f, 6081);
	geneve(&f, 0x0800, 0);
	f.b[f.n - 8] |= 0x40;
	s_raw_ipv4(&f);
	expect_skip(CS_LINKTYPE_RAW, &f, CS_DEC_NOT_IP, CS_UNSUPPORTED);
}

static void test_not_tcp(void **state)
{
	(void)state;
	static const unsigned protocols[] = {1, 50, 58, 132};
	static const unsigned ports[] = {53, 443, 4790, 8472};
	struct bytes f;

	for (size_t i = 0; i < CS_ARRAY_LEN(protocols); i++) {
		memset(&f, 0, sizeof f);
		ip4(&f, protocols[i]);
		fill(&f, 0, 30);
		expect_skip(CS_LINKTYPE_RAW, &f, CS_DEC_NOT_TCP, CS_UNSUPPORTED);
	}
	for (size_t i = 0; i < CS_ARRAY_LEN(ports); i++) {
		memset(&f, 0, sizeof f);
		ip6(&f, 17);
		udp(&f, ports[i]);
		fill(&f, 0, 30);
		expect_skip(CS_LINKTYPE_RAW, &f, CS_DEC_NOT_TCP, CS_UNSUPPORTED);
	}
	memset(&f, 0, sizeof f); /* no next header after destination options */
	ip6(&f, 60);
	ext6(&f, 59, 0);
	expect_skip(CS_LINKTYPE_RAW, &f, CS_DEC_NOT_TCP, CS_UNSUPPORTED);
}

static void test_unsupported_link(void **state)
{
	(void)state;
	static const int linktypes[] = {-1, 119, 147, 163, 1000};
	struct bytes f;

	for (size_t i = 0; i < CS_ARRAY_LEN(linktypes); i++) {
		memset(&f, 0, sizeof f);
		s_eth_ipv4(&f);
		expect_skip(linktypes[i], &f, CS_DEC_UNSUPPORTED_LINK, CS_UNSUPPORTED);
		assert_false(decode_linktype_supported(linktypes[i]));
		assert_null(decode_linktype_name(linktypes[i]));
	}
}

static void test_malformed(void **state)
{
	(void)state;
	struct bytes f;

	memset(&f, 0, sizeof f); /* IHL 4 */
	s_raw_ipv4(&f);
	bytes_end(&f);
	f.b[0] = 0x44;
	expect_skip(CS_LINKTYPE_RAW, &f, CS_DEC_MALFORMED_IP, CS_BAD);

	memset(&f, 0, sizeof f); /* total length 20 below IHL 8 */
	ip4_full(&f, 6, in4_src, in4_dst, 12, 0);
	seg(&f);
	bytes_end(&f);
	f.b[2] = 0;
	f.b[3] = 20;
	expect_skip(CS_LINKTYPE_RAW, &f, CS_DEC_MALFORMED_IP, CS_BAD);

	for (unsigned total = 0; total < 20; total += 19) {
		memset(&f, 0, sizeof f); /* total length below the header */
		s_raw_ipv4(&f);
		bytes_end(&f);
		f.b[2] = 0;
		f.b[3] = (uint8_t)total;
		expect_skip(CS_LINKTYPE_RAW, &f, CS_DEC_MALFORMED_IP, CS_BAD);
	}

	memset(&f, 0, sizeof f); /* IPv4 longer than its PPPoE payload */
	s_qinq_pppoe_ipv4(&f);
	bytes_end(&f);
	f.b[22 + 5] -= 1;
	expect_skip(CS_LINKTYPE_ETHERNET, &f, CS_DEC_MALFORMED_IP, CS_BAD);

	memset(&f, 0, sizeof f); /* IPv6 bytes behind an IPv4 ethertype */
	eth(&f, 0x0800);
	ip6(&f, 6);
	seg(&f);
	expect_skip(CS_LINKTYPE_ETHERNET, &f, CS_DEC_MALFORMED_IP, CS_BAD);
	memset(&f, 0, sizeof f);
	s_raw_ipv4(&f);
	expect_skip(CS_LINKTYPE_IPV6, &f, CS_DEC_MALFORMED_IP, CS_BAD);

	memset(&f, 0, sizeof f); /* jumbogram (RFC 2675) */
	ip6(&f, 0);
	put8(&f, 6);
	put8(&f, 0);
	put16(&f, 0xc204); /* jumbo payload option */
	put32(&f, 100000);
	seg(&f);
	bytes_end(&f);
	f.b[4] = f.b[5] = 0;
	expect_skip(CS_LINKTYPE_RAW, &f, CS_DEC_MALFORMED_IP, CS_BAD);

	memset(&f, 0, sizeof f); /* inner IPv6 longer than the outer IPv4 */
	s_6in4(&f);
	bytes_end(&f);
	f.b[14 + 20 + 5] += 1;
	expect_skip(CS_LINKTYPE_ETHERNET, &f, CS_DEC_MALFORMED_IP, CS_BAD);

	memset(&f, 0, sizeof f); /* UDP length below its header */
	s_vxlan(&f);
	bytes_end(&f);
	f.b[14 + 20 + 4] = 0;
	f.b[14 + 20 + 5] = 7;
	expect_skip(CS_LINKTYPE_ETHERNET, &f, CS_DEC_MALFORMED_IP, CS_BAD);

	memset(&f, 0, sizeof f); /* VXLAN: a PPPoE length past the UDP end */
	ip4_outer(&f, 17);
	udp(&f, 4789);
	vxlan(&f);
	eth(&f, 0x8864);
	pppoe(&f, 0x0021);
	s_raw_ipv4(&f);
	bytes_end(&f);
	f.b[20 + 8 + 8 + 14 + 4] = 0x7f;
	expect_skip(CS_LINKTYPE_RAW, &f, CS_DEC_MALFORMED_LINK, CS_BAD);

	memset(&f, 0, sizeof f); /* IPv4 total leaves 10 bytes for TCP */
	s_eth_ipv4(&f);
	bytes_end(&f);
	f.b[14 + 2] = 0;
	f.b[14 + 3] = 30;
	expect_skip(CS_LINKTYPE_ETHERNET, &f, CS_DEC_MALFORMED_TCP, CS_BAD);

	memset(&f, 0, sizeof f); /* GRE key field past the IP end */
	ip4_outer(&f, 47);
	gre(&f, 0x3000, 0x0800);
	s_raw_ipv4(&f);
	bytes_end(&f);
	f.b[3] = 20 + 6;
	expect_skip(CS_LINKTYPE_RAW, &f, CS_DEC_MALFORMED_IP, CS_BAD);

	memset(&f, 0, sizeof f); /* inner Ethernet cut by the UDP length */
	s_vxlan(&f);
	bytes_end(&f);
	f.b[14 + 20 + 4] = 0;
	f.b[14 + 20 + 5] = 8 + 8 + 10;
	expect_skip(CS_LINKTYPE_ETHERNET, &f, CS_DEC_MALFORMED_LINK, CS_BAD);

	memset(&f, 0, sizeof f); /* PPPoE version 2 */
	s_qinq_pppoe_ipv4(&f);
	bytes_end(&f);
	f.b[22] = 0x21;
	expect_skip(CS_LINKTYPE_ETHERNET, &f, CS_DEC_MALFORMED_LINK, CS_BAD);

	memset(&f, 0, sizeof f); /* TCP data offset 4 */
	ip4(&f, 6);
	seg(&f);
	bytes_end(&f);
	f.b[20 + 12] = 0x40;
	expect_skip(CS_LINKTYPE_RAW, &f, CS_DEC_MALFORMED_TCP, CS_BAD);

	memset(&f, 0, sizeof f); /* TCP data offset past the segment ... */
	ip4(&f, 6);
	tcp_hdr(&f, 5);
	fill(&f, 0, 20);
	bytes_end(&f);
	f.b[20 + 12] = 0xf0;
	expect_skip(CS_LINKTYPE_RAW, &f, CS_DEC_MALFORMED_TCP, CS_BAD);
	f.n -= 10; /* ... is malformed even when the capture is cut too */
	expect_skip(CS_LINKTYPE_RAW, &f, CS_DEC_MALFORMED_TCP, CS_BAD);
}

static void test_names(void **state)
{
	(void)state;
	static const char *const counters[CS_DEC_COUNTER_MAX] = {
		"not_ip",         "not_tcp",           "ip_fragment",     "truncated",
		"malformed_link", "malformed_ip",      "malformed_tcp",   "unsupported_link",
		"vlan_too_deep",  "mpls_too_deep",     "tunnel_too_deep", "ipv6_ext_too_deep",
		"tunneled",       "payload_truncated", "encrypted",       "ip_reassembled",
	};
	static const struct {
		int linktype;
		const char *name;
	} links[] = {
		{0, "NULL"},
		{1, "EN10MB"},
		{12, "RAW"},
		{14, "RAW"},
		{101, "RAW"},
		{108, "LOOP"},
		{113, "LINUX_SLL"},
		{228, "IPV4"},
		{229, "IPV6"},
		{276, "LINUX_SLL2"},
		{9, "PPP"},
		{50, "PPP_SERIAL"},
		{51, "PPP_ETHER"},
		{104, "C_HDLC"},
		{105, "IEEE802_11"},
		{127, "IEEE802_11_RADIO"},
		{166, "PPP_PPPD"},
		{192, "PPI"},
		{204, "PPP_WITH_DIR"},
		{205, "C_HDLC_WITH_DIR"},
		{239, "NFLOG"},
	};

	for (int c = 0; c < CS_DEC_COUNTER_MAX; c++) {
		enum cs_decode_counter e = (enum cs_decode_counter)c;

		assert_string_equal(decode_counter_name(e), counters[c]);
	}
	assert_null(decode_counter_name(CS_DEC_COUNTER_MAX));
	for (size_t i = 0; i < CS_ARRAY_LEN(links); i++) {
		struct cs_decode_stats st = {{0}};
		struct cs_pkt p;

		assert_true(decode_linktype_supported(links[i].linktype));
		assert_string_equal(decode_linktype_name(links[i].linktype), links[i].name);
		/* supported means decoded: an empty frame is a truncation */
		assert_int_equal(run(links[i].linktype, NULL, 0, &p, &st), CS_TRUNC);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_samples),
		cmocka_unit_test(test_ipv4_fields),
		cmocka_unit_test(test_ethernet_padding),
		cmocka_unit_test(test_payload_truncated),
		cmocka_unit_test(test_caps),
		cmocka_unit_test(test_fragments),
		cmocka_unit_test(test_fragment_snaplen),
		cmocka_unit_test(test_datagram),
		cmocka_unit_test(test_ppp_hdlc_refusals),
		cmocka_unit_test(test_cmd_counts_as_tag),
		cmocka_unit_test(test_gtpu_refusals),
		cmocka_unit_test(test_wlan_refusals),
		cmocka_unit_test(test_radiotap_ppi_refusals),
		cmocka_unit_test(test_nflog),
		cmocka_unit_test(test_not_ip),
		cmocka_unit_test(test_not_tcp),
		cmocka_unit_test(test_unsupported_link),
		cmocka_unit_test(test_malformed),
		cmocka_unit_test(test_names),
		cmocka_unit_test(test_every_truncation),
		cmocka_unit_test(test_truncation_without_payload),
		cmocka_unit_test(test_random_flips),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
