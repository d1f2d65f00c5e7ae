/*
 * test_decode.c - the packet decoder: every link type and encapsulation,
 * every cap, every truncation offset, random byte flips.
 * A frame is a recipe: a list of layer steps (ETH(0x0800), IP4(6), SEG ...)
 * written front to back by build(); length fields are written at the end,
 * and patches (SET, ADD, OR, CUT) are made after that.  The frames of a test
 * are rows of a table, each with its name and the outcome it must have.
 * Every decode runs on a heap copy of exactly the captured length so that
 * ASan catches a read past the capture, and checks the counting contract
 * of cs_decode.h.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "cs_decode.h"
#include "cs_limits.h"
#include "testlib.h"

/* Addresses and payload ----------------------------------------------------- */

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

/* Recipes ------------------------------------------------------------------- */

/* One layer: put writes it from a, b, c (and raw).  A late step is a
 * patch, made once the lengths are written. */
struct step {
	void (*put)(struct bytes *f, const struct step *s);
	uint32_t a, b, c;
	const void *raw;
	bool late;
};

#define MAX_STEPS 14 /* the longest recipe (nested tunnels) and its end */

/* A 16-bit length of the bytes from `from` to the end of the frame. */
static void put_len(struct bytes *f, size_t from) { put_len_to_end(f, from, 0, false); }

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

static void ip6_full(struct bytes *f, unsigned next, const uint8_t *src, const uint8_t *dst)
{
	put32(f, 0x60012345);
	put_len(f, f->n + 36);
	put8(f, next);
	put8(f, 64);
	put(f, src, 16);
	put(f, dst, 16);
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

/* A GTPv1 header: flags, message type, length, TEID. */
static void gtp_header(struct bytes *f, unsigned flags, unsigned type, uint32_t teid)
{
	put8(f, flags);
	put8(f, type);
	put_len_to_end(f, f->n + 6, 0, false);
	put32(f, teid);
}

/* Ethernet: a = ethertype. */
static void l_eth(struct bytes *f, const struct step *s)
{
	static const uint8_t macs[12] = {2, 0, 0, 0, 0, 1, 2, 0, 0, 0, 0, 2};

	put(f, macs, sizeof macs);
	put16(f, s->a);
}

/* An 802.1Q/802.1ad tag's rest: a = VLAN id, b = next ethertype. */
static void l_tag(struct bytes *f, const struct step *s)
{
	put16(f, s->a);
	put16(f, s->b);
}

/* PPPoE session: a = PPP protocol. */
static void l_pppoe(struct bytes *f, const struct step *s)
{
	put8(f, 0x11);
	put8(f, 0x00);
	put16(f, 0x1234);
	put_len(f, f->n + 2);
	put16(f, s->a);
}

/* An MPLS label stack entry: a = label, b = bottom of stack. */
static void l_mpls(struct bytes *f, const struct step *s)
{
	put32(f, s->a << 12 | (s->b ? 0x100u : 0) | 64);
}

/* IPv4 between the inner addresses: a = protocol, b = option bytes,
 * c = flags and fragment offset. */
static void l_ip4(struct bytes *f, const struct step *s)
{
	ip4_full(f, s->a, in4_src, in4_dst, s->b, s->c);
}

/* IPv4 between the outer (tunnel) addresses: a = protocol, c = flags and
 * fragment offset. */
static void l_ip4_outer(struct bytes *f, const struct step *s)
{
	ip4_full(f, s->a, out4_src, out4_dst, 0, s->c);
}

/* IPv6 between the inner (b = 0) or outer (b = 1) addresses: a = next. */
static void l_ip6(struct bytes *f, const struct step *s)
{
	if (s->b)
		ip6_full(f, s->a, out6_src, out6_dst);
	else
		ip6_full(f, s->a, in6_src, in6_dst);
}

/* Hop-by-hop, routing or destination options: a = next, b = length,
 * (b + 1) * 8 bytes. */
static void l_ext6(struct bytes *f, const struct step *s)
{
	put8(f, s->a);
	put8(f, s->b);
	fill(f, 0, (s->b + 1) * 8u - 2); /* Pad1 options */
}

/* The IPv6 fragment header: a = next, b = offset and M flag. */
static void l_frag6(struct bytes *f, const struct step *s)
{
	put8(f, s->a);
	put8(f, 0);
	put16(f, s->b);
	put32(f, 0xabcdef01);
}

/* AH with a 12-byte ICV (payload length 4 means (4 + 2) * 4 bytes): a = next. */
static void l_ah(struct bytes *f, const struct step *s)
{
	put8(f, s->a);
	put8(f, 4);
	put16(f, 0);
	put32(f, 0x100);
	put32(f, 1);
	fill(f, 0xaa, 12);
}

/* GRE: a = flags (and version), b = protocol type. */
static void l_gre(struct bytes *f, const struct step *s)
{
	put16(f, s->a);
	put16(f, s->b);
	if (s->a & 0x8000) /* checksum, reserved1 */
		put32(f, 0xdead0000);
	if (s->a & 0x2000) /* key */
		put32(f, 0xabcd);
	if (s->a & 0x1000) /* sequence */
		put32(f, 7);
}

/* UDP: a = destination port. */
static void l_udp(struct bytes *f, const struct step *s)
{
	size_t start = f->n;

	put16(f, 40000);
	put16(f, s->a);
	put_len(f, start);
	put16(f, 0);
}

static void l_vxlan(struct bytes *f, const struct step *s)
{
	(void)s;
	put32(f, 0x08000000);
	put32(f, 0x00123400);
}

/* Geneve: a = protocol type, b = option words: one TLV of b - 1 data words. */
static void l_geneve(struct bytes *f, const struct step *s)
{
	put8(f, s->b);
	put8(f, 0);
	put16(f, s->a);
	put32(f, 0x00abcd00);
	if (s->b > 0) {
		put16(f, 0x0102);
		put8(f, 0x80);
		put8(f, s->b - 1);
		fill(f, 0xcc, (s->b - 1) * 4u);
	}
}

/* Cisco MetaData: version 1, length 1, one SGT option, SGT 2; a = next. */
static void l_cmd(struct bytes *f, const struct step *s)
{
	put8(f, 1);
	put8(f, 1);
	put16(f, 0x0001);
	put16(f, 2);
	put16(f, s->a);
}

/* A GTPv1 header of its own: a = flags, b = message type, c = TEID. */
static void l_gtp_header(struct bytes *f, const struct step *s) { gtp_header(f, s->a, s->b, s->c); }

/* GTPv1-U G-PDU; with a (ext), a sequence number and one PDU session
 * container extension header (2 units). */
static void l_gtpu(struct bytes *f, const struct step *s)
{
	gtp_header(f, s->a ? 0x36 : 0x30, 0xff, 0x01020304); /* version 1, PT, E and S */
	if (s->a) {
		put16(f, 77);
		put8(f, 0);
		put8(f, 0x85);
		put8(f, 2);
		fill(f, 0x09, 6);
		put8(f, 0);
	}
}

/* The 802.11 MAC header of a data frame: a = first frame control byte,
 * b = flags. */
static void l_wlan(struct bytes *f, const struct step *s)
{
	put8(f, s->a);
	put8(f, s->b);
	put16(f, 0x2c00);
	fill(f, 0x02, 18); /* three addresses */
	put16(f, 0x1000);  /* sequence 1, fragment 0 (little-endian) */
	if ((s->b & 3) == 3)
		fill(f, 0x02, 6);
	if (s->a & 0x80) { /* QoS: TID 5 */
		put8(f, 0x05);
		put8(f, 0);
		if (s->b & 0x80)
			put32(f, 0);
	}
}

/* LLC/SNAP: a = ethertype. */
static void l_snap(struct bytes *f, const struct step *s)
{
	put8(f, 0xaa);
	put8(f, 0xaa);
	put8(f, 0x03);
	fill(f, 0, 3);
	put16(f, s->a);
}

/* Linux cooked (SLL) with an Ethernet address: a = packet type, b = protocol. */
static void l_sll(struct bytes *f, const struct step *s)
{
	put16(f, s->a);
	put16(f, 1); /* ARPHRD_ETHER */
	put16(f, 6); /* address length */
	fill(f, 0xaa, 8);
	put16(f, s->b);
}

/* A PPI header: a = length (little-endian), b = DLT, then a - 8 bytes. */
static void l_ppi(struct bytes *f, const struct step *s)
{
	put8(f, 0);
	put8(f, 0);
	put8(f, s->a & 0xff);
	put8(f, s->a >> 8);
	put8(f, s->b);
	fill(f, 0, 3);
	fill(f, 0x33, s->a - 8u);
}

/* The NFLOG header: a = address family, b = resource id. */
static void l_nflog(struct bytes *f, const struct step *s)
{
	put8(f, s->a);
	put8(f, 0);
	put16(f, s->b);
}

/* An NFLOG TLV header: a = type, b = value length, c = little-endian. */
static void l_nflog_tlv(struct bytes *f, const struct step *s)
{
	unsigned len = 4 + s->b;

	put8(f, s->c ? len & 0xff : len >> 8);
	put8(f, s->c ? len >> 8 : len & 0xff);
	put8(f, s->c ? s->a & 0xff : s->a >> 8);
	put8(f, s->c ? s->a >> 8 : s->a & 0xff);
}

/* The NFULA_PAYLOAD TLV header, its length running to the end: a = little-endian. */
static void l_nflog_payload(struct bytes *f, const struct step *s)
{
	put_len_to_end(f, f->n, 0, s->a);
	put8(f, s->a ? 9 : 0);
	put8(f, s->a ? 0 : 9);
}

/* A bare TCP header: a = data offset. */
static void l_tcp(struct bytes *f, const struct step *s) { tcp_hdr(f, s->a); }

/* The segment every sample carries: 12 bytes of options, then hello. */
static void l_seg(struct bytes *f, const struct step *s)
{
	(void)s;
	tcp_hdr(f, 8);
	put(f, hello, sizeof hello);
}

static void l_u8(struct bytes *f, const struct step *s) { put8(f, s->a); }

static void l_u16(struct bytes *f, const struct step *s) { put16(f, s->a); }

static void l_u32(struct bytes *f, const struct step *s) { put32(f, s->a); }

/* a bytes of value b. */
static void l_fill(struct bytes *f, const struct step *s) { fill(f, s->b, s->a); }

/* a bytes from raw. */
static void l_raw(struct bytes *f, const struct step *s) { put(f, s->raw, s->a); }

/* Some captures keep the 4-byte FCS: the lengths so far do not count it. */
static void l_fcs(struct bytes *f, const struct step *s)
{
	(void)s;
	bytes_end(f);
	put32(f, 0xfcfcfcfc);
}

/* Patches (late): byte a set to b, b added to it, b ORed into it; c bytes cut. */
static void l_set(struct bytes *f, const struct step *s)
{
	assert_true(s->a < f->n);
	f->b[s->a] = (uint8_t)s->b;
}

static void l_add(struct bytes *f, const struct step *s)
{
	assert_true(s->a < f->n);
	f->b[s->a] = (uint8_t)(f->b[s->a] + s->b);
}

static void l_or(struct bytes *f, const struct step *s)
{
	assert_true(s->a < f->n);
	f->b[s->a] |= (uint8_t)s->b;
}

static void l_cut(struct bytes *f, const struct step *s)
{
	assert_true(s->c <= f->n);
	f->n -= s->c;
}

/* The next step, a times (never called itself). */
static void l_repeat(struct bytes *f, const struct step *s)
{
	(void)f, (void)s;
	fail_msg("REPEAT is read by put_steps");
}

static void l_sample(struct bytes *f, const struct step *s);

/* The steps (one a line: clang-format would spread each over four). */
/* clang-format off */
#define ETH(type) {.put = l_eth, .a = (type)}
#define TAG(vid, next) {.put = l_tag, .a = (vid), .b = (next)}
#define PPPOE(proto) {.put = l_pppoe, .a = (proto)}
#define MPLS(label, bottom) {.put = l_mpls, .a = (label), .b = (bottom)}
#define IP4(proto) {.put = l_ip4, .a = (proto), .c = 0x4000 /* DF */}
#define IP4_OPT(proto, optlen, frag) {.put = l_ip4, .a = (proto), .b = (optlen), .c = (frag)}
#define IP4_OUTER(proto) {.put = l_ip4_outer, .a = (proto)}
#define IP4_OUTER_FRAG(proto, frag) {.put = l_ip4_outer, .a = (proto), .c = (frag)}
#define IP6(next) {.put = l_ip6, .a = (next)}
#define IP6_OUTER(next) {.put = l_ip6, .a = (next), .b = 1}
#define EXT6(next, len) {.put = l_ext6, .a = (next), .b = (len)}
#define FRAG6(next, offset_m) {.put = l_frag6, .a = (next), .b = (offset_m)}
#define AH(next) {.put = l_ah, .a = (next)}
#define GRE(flags, type) {.put = l_gre, .a = (flags), .b = (type)}
#define UDP(dport) {.put = l_udp, .a = (dport)}
#define VXLAN {.put = l_vxlan}
#define GENEVE(type, opt_words) {.put = l_geneve, .a = (type), .b = (opt_words)}
#define CMD(next) {.put = l_cmd, .a = (next)}
#define GTP_HEADER(flags, type, teid) {.put = l_gtp_header, .a = (flags), .b = (type), .c = (teid)}
#define GTPU(ext) {.put = l_gtpu, .a = (ext)}
#define WLAN(fc0, flags) {.put = l_wlan, .a = (fc0), .b = (flags)}
#define SNAP(type) {.put = l_snap, .a = (type)}
#define SLL(pkttype, proto) {.put = l_sll, .a = (pkttype), .b = (proto)}
#define PPI(len, dlt) {.put = l_ppi, .a = (len), .b = (dlt)}
#define NFLOG(family, res) {.put = l_nflog, .a = (family), .b = (res)}
#define NFLOG_TLV(type, vlen, le) {.put = l_nflog_tlv, .a = (type), .b = (vlen), .c = (le)}
#define NFLOG_PAYLOAD(le) {.put = l_nflog_payload, .a = (le)}
#define TCP(doff) {.put = l_tcp, .a = (doff)}
#define SEG {.put = l_seg}
#define U8(v) {.put = l_u8, .a = (v)}
#define U16(v) {.put = l_u16, .a = (v)}
#define U32(v) {.put = l_u32, .a = (v)}
#define FILL(v, n) {.put = l_fill, .a = (n), .b = (v)}
#define RAW(lit) {.put = l_raw, .a = sizeof(lit) - 1, .raw = (lit)}
#define FCS {.put = l_fcs}
#define SAMPLE(name) {.put = l_sample, .raw = (name)}
#define REPEAT(times) {.put = l_repeat, .a = (times)}
#define SET(at, v) {.put = l_set, .a = (at), .b = (v), .late = true}
#define ADD(at, delta) {.put = l_add, .a = (at), .b = (uint32_t)(delta), .late = true}
#define OR(at, bits) {.put = l_or, .a = (at), .b = (bits), .late = true}
#define CUT(n) {.put = l_cut, .c = (n), .late = true}
/* clang-format on */

/* The early (or the late) steps of a recipe, in order. */
static void put_steps(struct bytes *f, const struct step *s, bool late)
{
	for (; s->put; s++) {
		uint32_t times = 1;

		if (s->put == l_repeat) {
			times = s->a;
			s++;
		}
		for (uint32_t i = 0; i < times && s->late == late; i++)
			s->put(f, s);
	}
}

/* A frame from its recipe: the layers, the lengths, then the patches. */
static void build(struct bytes *f, const struct step *steps)
{
	memset(f, 0, sizeof *f);
	put_steps(f, steps, false);
	bytes_end(f);
	put_steps(f, steps, true);
}

/* Decoding with the contract checked ------------------------------------- */

static bool is_informative(int c) { return c == CS_DEC_TUNNELED || c == CS_DEC_PAYLOAD_TRUNCATED; }

/* A rule of the contract, or an expectation, that the frame `name` broke. */
static void expect_that(const char *name, bool ok, const char *rule)
{
	if (!ok)
		fail_msg("%s: %s", name, rule);
}

static void expect_num(const char *name, const char *what, uint64_t got, uint64_t want)
{
	if (got != want)
		fail_msg("%s: %s is %llu, expected %llu", name, what, (unsigned long long)got,
			 (unsigned long long)want);
}

/* How many counters other than the informative ones moved from before to
 * st (each by at most one). */
static uint64_t reasons_counted(const char *name, const struct cs_decode_stats *before,
				const struct cs_decode_stats *st)
{
	uint64_t reasons = 0;

	for (int c = 0; c < CS_DEC_COUNTER_MAX; c++) {
		uint64_t delta = st->n[c] - before->n[c];

		expect_that(name, delta <= 1, "a counter moved by more than one");
		if (!is_informative(c))
			reasons += delta;
	}
	return reasons;
}

/* A skip (or a fragment) counts its reason and nothing informative; a
 * fragment's data lies in the capture. */
static void expect_skip_contract(const char *name, const struct cs_decode_stats *before,
				 const struct cs_decode_stats *st, enum cs_status s,
				 struct cs_pkt *p, const uint8_t *copy, size_t n)
{
	expect_num(name, "reasons counted", reasons_counted(name, before, st), 1);
	expect_num(name, "tunneled", st->n[CS_DEC_TUNNELED], before->n[CS_DEC_TUNNELED]);
	expect_num(name, "payload_truncated", st->n[CS_DEC_PAYLOAD_TRUNCATED],
		   before->n[CS_DEC_PAYLOAD_TRUNCATED]);
	if (s != CS_MORE)
		return;
	expect_that(name, p->frag.data.n <= p->frag.data_len, "fragment data over its length");
	expect_that(name,
		    p->frag.data.n == 0 || (p->frag.data.p >= copy &&
					    p->frag.data.n <= (size_t)(copy + n - p->frag.data.p)),
		    "fragment data outside the capture");
	expect_that(name, p->frag.version == 4 || p->frag.version == 6,
		    "fragment of no IP version");
}

/* A segment counts no reason, its payload lies inside the capture, and the
 * informative counters say what it is. */
static void expect_segment_contract(const char *name, const struct cs_decode_stats *before,
				    const struct cs_decode_stats *st, const struct cs_pkt *p,
				    const uint8_t *copy, size_t n)
{
	expect_num(name, "reasons counted", reasons_counted(name, before, st), 0);
	expect_that(name,
		    p->payload.p && p->payload.p >= copy &&
			    p->payload.n <= (size_t)(copy + n - p->payload.p),
		    "payload outside the capture");
	expect_that(name, p->payload.n <= p->payload_len, "payload over its length");
	expect_that(name, p->tunnel_depth <= CS_MAX_TUNNEL_DEPTH, "tunnel depth over the cap");
	expect_num(name, "tunneled", st->n[CS_DEC_TUNNELED] - before->n[CS_DEC_TUNNELED],
		   p->tunnel_depth > 0);
	expect_num(name, "payload_truncated",
		   st->n[CS_DEC_PAYLOAD_TRUNCATED] - before->n[CS_DEC_PAYLOAD_TRUNCATED],
		   p->payload.n < p->payload_len);
	expect_that(name,
		    p->src.family == p->dst.family && (p->src.family == 4 || p->src.family == 6),
		    "addresses of no family");
}

/*
 * Decode the first n bytes of b from a heap copy of exactly n bytes, with
 * the contract checked.  The payload (or a fragment's data) is rebased
 * onto b.
 */
static enum cs_status run(const char *name, int linktype, const uint8_t *b, size_t n,
			  struct cs_pkt *p, struct cs_decode_stats *st)
{
	struct cs_decode_stats before = *st;
	uint8_t *copy = n ? malloc(n) : NULL;
	enum cs_status s;

	if (n)
		memcpy(copy, b, n);
	s = decode_packet(linktype, copy, n, p, st);
	if (s != CS_OK) {
		expect_skip_contract(name, &before, st, s, p, copy, n);
		if (s == CS_MORE && p->frag.data.n)
			p->frag.data.p = b + (p->frag.data.p - copy);
	} else {
		expect_segment_contract(name, &before, st, p, copy, n);
		p->payload.p = b + (p->payload.p - copy);
	}
	free(copy);
	return s;
}

/* Decode all of f. */
static enum cs_status run_frame(const char *name, int linktype, const struct bytes *f,
				struct cs_pkt *p, struct cs_decode_stats *st)
{
	return run(name, linktype, f->b, f->n, p, st);
}

static void expect_addr(const char *name, const struct cs_addr *a, int family, const uint8_t *bytes)
{
	static const uint8_t mapped[12] = {[10] = 0xff, [11] = 0xff};

	expect_num(name, "address family", a->family, (uint64_t)family);
	if (family == 4)
		expect_that(name, !memcmp(a->a, mapped, 12) && !memcmp(a->a + 12, bytes, 4),
			    "not the IPv4 address");
	else
		expect_that(name, !memcmp(a->a, bytes, 16), "not the IPv6 address");
}

/* The segment l_seg() built, between the inner addresses of a family. */
static void expect_seg(const char *name, const struct cs_pkt *p, int family, unsigned depth)
{
	expect_addr(name, &p->src, family, family == 4 ? in4_src : in6_src);
	expect_addr(name, &p->dst, family, family == 4 ? in4_dst : in6_dst);
	expect_num(name, "source port", p->sport, 51515);
	expect_num(name, "destination port", p->dport, 443);
	expect_num(name, "seq", p->seq, 0x11223344);
	expect_num(name, "ack", p->ack, 0x55667788);
	expect_num(name, "flags", p->flags, CS_TCP_PSH | CS_TCP_ACK);
	expect_num(name, "payload captured", p->payload.n, sizeof hello);
	expect_num(name, "payload length", p->payload_len, sizeof hello);
	expect_that(name, !memcmp(p->payload.p, hello, sizeof hello), "not the payload");
	expect_num(name, "tunnel depth", p->tunnel_depth, depth);
}

/* Frames and their outcomes ------------------------------------------------ */

/* What a frame must give: the segment (CS_OK, between addresses of a family,
 * at a tunnel depth), or a skip with its status, counted as why. */
struct outcome {
	enum cs_status status;
	enum cs_decode_counter why;
	int family;
	unsigned depth;
};

/* clang-format off */
#define OK(family, depth) {CS_OK, CS_DEC_COUNTER_MAX, family, depth}
#define SKIP(why, status) {status, why, 0, 0}
/* clang-format on */

struct frame {
	const char *name;
	int linktype;
	struct outcome want;
	struct step steps[MAX_STEPS];
};

/* Decode a whole frame that must give l_seg()'s segment. */
static void expect_ok(const char *name, int linktype, const struct bytes *f, int family,
		      unsigned depth)
{
	struct cs_decode_stats st = {{0}};
	struct cs_pkt p;

	expect_num(name, "status", run_frame(name, linktype, f, &p, &st), CS_OK);
	expect_seg(name, &p, family, depth);
	for (int c = 0; c < CS_DEC_COUNTER_MAX; c++)
		if (st.n[c] != (c == CS_DEC_TUNNELED && depth > 0))
			fail_msg("%s: counted %s", name,
				 decode_counter_name((enum cs_decode_counter)c));
}

/* A frame skipped for `why` with `status` (the statuses cs_common.h
 * defines: a malformed header is CS_BAD, a cap CS_LIMIT, anything not
 * decoded CS_UNSUPPORTED). */
static void expect_skip(const char *name, int linktype, const struct bytes *f,
			enum cs_decode_counter why, enum cs_status status)
{
	struct cs_decode_stats st = {{0}};
	struct cs_pkt p;

	expect_num(name, "status", run_frame(name, linktype, f, &p, &st), status);
	if (st.n[why] != 1)
		fail_msg("%s: expected %s", name, decode_counter_name(why));
}

/* Build a recipe and decode it: the outcome must be want. */
static void check_recipe(const char *name, int linktype, struct outcome want,
			 const struct step *steps)
{
	struct bytes f;

	build(&f, steps);
	if (want.status == CS_OK)
		expect_ok(name, linktype, &f, want.family, want.depth);
	else
		expect_skip(name, linktype, &f, want.why, want.status);
}

static void check_frame(const struct frame *fr)
{
	check_recipe(fr->name, fr->linktype, fr->want, fr->steps);
}

static void check_frames(const struct frame *t, size_t n)
{
	for (size_t i = 0; i < n; i++)
		check_frame(&t[i]);
}

/* Samples: one valid frame per link type and encapsulation ---------------- */

#define LT(x) CS_LINKTYPE_##x

/* clang-format off */
static const struct frame samples[] = {
	{"eth_ipv4", LT(ETHERNET), OK(4, 0), {ETH(0x0800), IP4(6), SEG}},
	/* some captures keep the 4-byte FCS: the IP length trims it */
	{"eth_ipv4_fcs", LT(ETHERNET), OK(4, 0), {ETH(0x0800), IP4(6), SEG, FCS}},
	{"eth_ipv4_options", LT(ETHERNET), OK(4, 0), {ETH(0x0800), IP4_OPT(6, 12, 0), SEG}},
	{"eth_ipv6", LT(ETHERNET), OK(6, 0), {ETH(0x86dd), IP6(6), SEG}},
	{"qinq_pppoe_ipv4", LT(ETHERNET), OK(4, 0),
	 {ETH(0x88a8), TAG(100, 0x8100), TAG(200, 0x8864), PPPOE(0x0021), IP4(6), SEG}},
	{"vlan9100_pppoe_ipv6", LT(ETHERNET), OK(6, 0),
	 {ETH(0x9100), TAG(7, 0x8864), PPPOE(0x0057), IP6(6), SEG}},
	{"sll_ipv4", LT(LINUX_SLL), OK(4, 0), {SLL(4 /* sent by us */, 0x0800), IP4(6), SEG}},
	{"sll_mpls_ipv6", LT(LINUX_SLL), OK(6, 0), {SLL(0, 0x8848), MPLS(16, 1), IP6(6), SEG}},
	/* protocol 0x8100, reserved, interface index 3, ARPHRD_ETHER, packet
	 * type 0, address length 6 */
	{"sll2_vlan_ipv6", LT(LINUX_SLL2), OK(6, 0),
	 {RAW("\x81\x00\x00\x00\x00\x00\x00\x03\x00\x01\x00\x06"), FILL(0xaa, 8), TAG(42, 0x86dd),
	  IP6(6), SEG}},
	/* AF_INET written by a little-endian host */
	{"null_le_ipv4", LT(NULL), OK(4, 0), {U32(0x02000000), IP4(6), SEG}},
	/* AF_INET6 on Darwin, big-endian host */
	{"null_be_ipv6", LT(NULL), OK(6, 0), {U32(30), IP6(6), SEG}},
	/* FreeBSD AF_INET6, little-endian host */
	{"null_le_ipv6", LT(NULL), OK(6, 0), {U32(0x1c000000), IP6(6), SEG}},
	{"loop_ipv4", LT(LOOP), OK(4, 0), {U32(2), IP4(6), SEG}},
	{"loop_ipv6", LT(LOOP), OK(6, 0), {U32(24), IP6(6), SEG}},
	{"raw_ipv4", LT(RAW), OK(4, 0), {IP4(6), SEG}},
	{"raw_ipv6", LT(RAW), OK(6, 0), {IP6(6), SEG}},
	{"dlt12_ipv4", CS_DLT_RAW_ALT1, OK(4, 0), {IP4(6), SEG}},
	{"dlt14_ipv6", CS_DLT_RAW_ALT2, OK(6, 0), {IP6(6), SEG}},
	{"linktype_ipv4", LT(IPV4), OK(4, 0), {IP4(6), SEG}},
	{"linktype_ipv6", LT(IPV6), OK(6, 0), {IP6(6), SEG}},
	/* hop-by-hop, destination options, routing, AH, an atomic fragment */
	{"ipv6_ext", LT(ETHERNET), OK(6, 0),
	 {ETH(0x86dd), IP6(0), EXT6(60, 0), EXT6(43, 1), EXT6(51, 0), AH(44), FRAG6(60, 0),
	  EXT6(6, 2), SEG}},
	{"gre_key_seq_eth", LT(ETHERNET), OK(4, 1),
	 {ETH(0x0800), IP4_OUTER(47), GRE(0x3000, 0x6558), ETH(0x0800), IP4(6), SEG}},
	{"gre_csum_ipv6", LT(ETHERNET), OK(6, 1),
	 {ETH(0x86dd), IP6_OUTER(47), GRE(0x8000, 0x86dd), IP6(6), SEG}},
	{"gre_mpls", LT(RAW), OK(4, 1),
	 {IP4_OUTER(47), GRE(0, 0x8847), MPLS(1000, 1), IP4(6), SEG}},
	{"6in4", LT(ETHERNET), OK(6, 1), {ETH(0x0800), IP4_OUTER(41), IP6(6), SEG}},
	{"4in6", LT(ETHERNET), OK(4, 1), {ETH(0x86dd), IP6_OUTER(4), IP4(6), SEG}},
	{"vxlan", LT(ETHERNET), OK(4, 1),
	 {ETH(0x0800), IP4_OUTER(17), UDP(4789), VXLAN, ETH(0x8100), TAG(5, 0x0800), IP4(6), SEG}},
	{"geneve_options", LT(ETHERNET), OK(4, 1),
	 {ETH(0x86dd), IP6_OUTER(17), UDP(6081), GENEVE(0x6558, 3), ETH(0x0800), IP4(6), SEG}},
	{"geneve_ipv6", LT(IPV4), OK(6, 1),
	 {IP4_OUTER(17), UDP(6081), GENEVE(0x86dd, 0), IP6(6), SEG}},
	{"mpls2", LT(ETHERNET), OK(4, 0), {ETH(0x8847), MPLS(100, 0), MPLS(200, 1), IP4(6), SEG}},
	/* every tunnel kind nested to the cap: IPIP, 6in4, GRE, VXLAN */
	{"nested", LT(ETHERNET), OK(4, CS_MAX_TUNNEL_DEPTH),
	 {ETH(0x0800), IP4_OUTER(4), IP4_OUTER(41), IP6_OUTER(47), GRE(0x2000, 0x0800),
	  IP4_OUTER(17), UDP(4789), VXLAN, ETH(0x0800), IP4(6), SEG}},
	{"eth_cmd_ipv4", LT(ETHERNET), OK(4, 0), {ETH(0x8909), CMD(0x0800), IP4(6), SEG}},
	{"vlan_cmd_ipv6", LT(ETHERNET), OK(6, 0),
	 {ETH(0x8100), TAG(10, 0x8909), CMD(0x86dd), IP6(6), SEG}},
	{"gtpu", LT(ETHERNET), OK(4, 1),
	 {ETH(0x0800), IP4_OUTER(17), UDP(2152), GTPU(0), IP4(6), SEG}},
	{"gtpu_ext_ipv6", LT(RAW), OK(6, 1), {IP6_OUTER(17), UDP(2152), GTPU(1), IP6(6), SEG}},
	/* address, control, protocol */
	{"ppp_hdlc", LT(PPP), OK(4, 0), {RAW("\xff\x03\x00\x21"), IP4(6), SEG}},
	/* address and control compressed, one-byte protocol field */
	{"ppp_pfc_ipv6", LT(PPP), OK(6, 0), {U8(0x57), IP6(6), SEG}},
	{"ppp_mpls", LT(PPP), OK(4, 0), {RAW("\xff\x03\x02\x81"), MPLS(5, 1), IP4(6), SEG}},
	{"ppp_serial", LT(PPP_HDLC), OK(4, 0), {SAMPLE("ppp_hdlc")}},
	{"ppp_serial_cisco", LT(PPP_HDLC), OK(4, 0), {SAMPLE("chdlc_ipv4")}},
	/* direction 1 (sent) */
	{"ppp_pppd", LT(PPP_PPPD), OK(6, 0), {RAW("\x01\x03\x00\x57"), IP6(6), SEG}},
	/* direction 0 (received) */
	{"ppp_with_dir", LT(PPP_WITH_DIR), OK(4, 0), {U8(0x00), SAMPLE("ppp_hdlc")}},
	{"ppp_ether", LT(PPP_ETHER), OK(4, 0), {PPPOE(0x0021), IP4(6), SEG}},
	{"chdlc_ipv4", LT(C_HDLC), OK(4, 0), {RAW("\x0f\x00\x08\x00"), IP4(6), SEG}},
	{"chdlc_ipv6", LT(C_HDLC), OK(6, 0), {RAW("\x8f\x00\x86\xdd"), IP6(6), SEG}},
	{"chdlc_with_dir_mpls", LT(C_HDLC_WITH_DIR), OK(4, 0),
	 {RAW("\x01\x0f\x00\x88\x47"), MPLS(9, 1), IP4(6), SEG}},
	/* data, to DS */
	{"wlan_data", LT(IEEE802_11), OK(4, 0), {WLAN(0x08, 0x01), SNAP(0x0800), IP4(6), SEG}},
	/* QoS data, to and from DS: four addresses */
	{"wlan_qos_4addr_ipv6", LT(IEEE802_11), OK(6, 0),
	 {WLAN(0x88, 0x03), SNAP(0x86dd), IP6(6), SEG}},
	/* QoS data from DS, +HTC */
	{"wlan_qos_htc_vlan", LT(IEEE802_11), OK(4, 0),
	 {WLAN(0x88, 0x82), SNAP(0x8100), TAG(7, 0x0800), IP4(6), SEG}},
	/* radiotap of 25 bytes with two presence words (TSFT, Flags; then
	 * none), 4 bytes aligning TSFT to 8, TSFT, and Flags saying the body
	 * is padded to 4 bytes: the QoS header of 26 bytes gets 2 */
	{"radiotap_datapad", LT(IEEE802_11_RADIOTAP), OK(4, 0),
	 {RAW("\x00\x00\x19\x00\x03\x00\x00\x80\x00\x00\x00\x00\x00\x00\x00\x00"), FILL(0x11, 8),
	  U8(0x20), WLAN(0x88, 0x01), U16(0), SNAP(0x0800), IP4(6), SEG}},
	/* radiotap of 9 bytes, Flags only: the frame keeps its FCS, which IP's
	 * length cuts */
	{"radiotap_fcs", LT(IEEE802_11_RADIOTAP), OK(6, 0),
	 {RAW("\x00\x00\x09\x00\x02\x00\x00\x00\x10"), WLAN(0x08, 0x02), SNAP(0x86dd), IP6(6),
	  SEG, FCS}},
	{"ppi_wlan", LT(PPI), OK(4, 0), {PPI(8, 105), WLAN(0x08, 0x01), SNAP(0x0800), IP4(6), SEG}},
	{"ppi_ether", LT(PPI), OK(4, 0), {PPI(20, 1), SAMPLE("eth_ipv4")}},
	/* AF_INET, resource 1, the payload TLV little-endian */
	{"nflog_le_ipv4", LT(NFLOG), OK(4, 0), {NFLOG(2, 1), NFLOG_PAYLOAD(1), IP4(6), SEG}},
	/* AF_INET6, the payload TLV big-endian */
	{"nflog_be_ipv6", LT(NFLOG), OK(6, 0), {NFLOG(10, 1), NFLOG_PAYLOAD(0), IP6(6), SEG}},
};
/* clang-format on */

static const struct frame *sample_named(const char *name)
{
	for (size_t i = 0; i < CS_ARRAY_LEN(samples); i++)
		if (strcmp(samples[i].name, name) == 0)
			return &samples[i];
	fail_msg("no sample %s", name);
	return NULL;
}

/* The layers of a sample (raw: its name); samples have no patches. */
static void l_sample(struct bytes *f, const struct step *s)
{
	put_steps(f, sample_named(s->raw)->steps, false);
}

static void test_samples(void **state)
{
	(void)state;
	check_frames(samples, CS_ARRAY_LEN(samples));
}

/* Every prefix of every sample: a cut before the payload is a counted
 * truncation, a cut inside it a segment with the captured part. */
static void expect_prefixes(const struct frame *fr, const struct bytes *f)
{
	struct cs_decode_stats st = {{0}};
	struct cs_pkt p;
	size_t start;

	expect_num(fr->name, "status", run_frame(fr->name, fr->linktype, f, &p, &st), CS_OK);
	start = (size_t)(p.payload.p - f->b);
	for (size_t n = 0; n < f->n; n++) {
		size_t got = n > start ? n - start : 0;

		if (got > sizeof hello)
			got = sizeof hello;
		memset(&st, 0, sizeof st);
		if (n < start) {
			if (run(fr->name, fr->linktype, f->b, n, &p, &st) != CS_TRUNC)
				fail_msg("%s cut at %zu: not a truncation", fr->name, n);
			expect_num(fr->name, "truncated", st.n[CS_DEC_TRUNCATED], 1);
			continue;
		}
		expect_num(fr->name, "status of a cut",
			   run(fr->name, fr->linktype, f->b, n, &p, &st), CS_OK);
		expect_num(fr->name, "payload of a cut", p.payload.n, got);
		expect_num(fr->name, "payload length of a cut", p.payload_len, sizeof hello);
		expect_that(fr->name, !memcmp(p.payload.p, hello, got), "not the payload's start");
		expect_num(fr->name, "payload_truncated", st.n[CS_DEC_PAYLOAD_TRUNCATED],
			   got < sizeof hello);
	}
}

static void test_every_truncation(void **state)
{
	(void)state;
	struct bytes f;

	for (size_t i = 0; i < CS_ARRAY_LEN(samples); i++) {
		build(&f, samples[i].steps);
		expect_prefixes(&samples[i], &f);
	}
}

/* A bare TCP header ends where its unit ends: every cut is a truncation,
 * including the ones that leave exactly the lost bytes to read. */
static void test_truncation_without_payload(void **state)
{
	(void)state;
	static const struct step bare[] = {ETH(0x86dd), IP6(6), TCP(5), {0}};
	struct bytes f;
	struct cs_pkt p;

	build(&f, bare);
	for (size_t n = 0; n <= f.n; n++) {
		struct cs_decode_stats st = {{0}};

		expect_num("bare_tcp", "status", run("bare_tcp", LT(ETHERNET), f.b, n, &p, &st),
			   n == f.n ? CS_OK : CS_TRUNC);
		expect_num("bare_tcp", "truncated", st.n[CS_DEC_TRUNCATED], n < f.n);
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
		build(&f, samples[i].steps);
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
			if (run(samples[i].name, samples[i].linktype, b, n, &p, &st) == CS_OK)
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
	static const uint8_t mapped_src[16] = {[10] = 0xff, [11] = 0xff, 192, 0, 2, 1};
	struct bytes f;
	struct cs_decode_stats st = {{0}};
	struct cs_pkt p;

	build(&f, sample_named("eth_ipv4")->steps);
	assert_int_equal(run_frame("eth_ipv4", LT(ETHERNET), &f, &p, &st), CS_OK);
	assert_memory_equal(p.src.a, mapped_src, 16);
	assert_int_equal(p.src.family, 4);
	/* SYN|ACK, no payload */
	f.b[f.n - sizeof hello - 12 - 20 + 13] = CS_TCP_SYN | CS_TCP_ACK;
	f.n -= sizeof hello;
	f.b[14 + 3] = (uint8_t)(f.n - 14);
	assert_int_equal(run_frame("syn_ack", LT(ETHERNET), &f, &p, &st), CS_OK);
	assert_int_equal(p.flags, CS_TCP_SYN | CS_TCP_ACK);
	assert_int_equal(p.payload.n, 0);
	assert_int_equal(p.payload_len, 0);
}

/* A minimum-size Ethernet frame: padding after the IP datagram is dropped. */
static void test_ethernet_padding(void **state)
{
	(void)state;
	static const struct step datagram[] = {ETH(0x0800), IP4(6), TCP(5), RAW("hi"), {0}};
	struct bytes f;
	struct cs_decode_stats st = {{0}};
	struct cs_pkt p;

	build(&f, datagram);
	fill(&f, 0x55, 60 - f.n); /* padding that is not even zero */
	assert_int_equal(f.n, 60);
	assert_int_equal(run_frame("padded", LT(ETHERNET), &f, &p, &st), CS_OK);
	assert_int_equal(p.payload.n, 2);
	assert_int_equal(p.payload_len, 2);
	assert_memory_equal(p.payload.p, "hi", 2);
	assert_int_equal(st.n[CS_DEC_PAYLOAD_TRUNCATED], 0);
}

/* The IP header promises more than the snaplen kept. */
static void test_payload_truncated(void **state)
{
	(void)state;
	static const struct step big[] = {ETH(0x86dd), IP6(6), TCP(5), FILL(0x17, 1000), {0}};
	struct bytes f;
	struct cs_decode_stats st = {{0}};
	struct cs_pkt p;

	build(&f, big);
	assert_int_equal(run("cut_at_100", LT(ETHERNET), f.b, f.n - 900, &p, &st), CS_OK);
	assert_int_equal(p.payload.n, 100);
	assert_int_equal(p.payload_len, 1000);
	assert_int_equal(st.n[CS_DEC_PAYLOAD_TRUNCATED], 1);
	assert_int_equal(st.n[CS_DEC_TRUNCATED], 0);
}

/* Caps: a stack of n VLAN tags, MPLS labels, IPIP tunnels or IPv6
 * extension headers after the Ethernet header, then the segment. */
static size_t vlan_stack(struct step *s, unsigned tags)
{
	size_t k = 0;

	for (unsigned i = 1; i <= tags; i++)
		s[k++] = (struct step)TAG(i, i < tags ? (i % 2 ? 0x88a8 : 0x9100) : 0x0800);
	s[k++] = (struct step)IP4(6);
	return k;
}

static size_t mpls_stack(struct step *s, unsigned labels)
{
	size_t k = 0;

	for (unsigned i = 1; i <= labels; i++)
		s[k++] = (struct step)MPLS(i, i == labels);
	s[k++] = (struct step)IP4(6);
	return k;
}

static size_t ipip_stack(struct step *s, unsigned tunnels)
{
	size_t k = 0;

	while (k < tunnels)
		s[k++] = (struct step)IP4_OUTER(4);
	s[k++] = (struct step)IP4(6);
	return k;
}

static size_t ext6_stack(struct step *s, unsigned headers)
{
	size_t k = 0;

	s[k++] = (struct step)IP6(60);
	for (unsigned i = 1; i <= headers; i++)
		s[k++] = (struct step)EXT6(i < headers ? 60 : 6, 0);
	return k;
}

static void test_caps(void **state)
{
	(void)state;
	static const struct {
		const char *name;
		unsigned ethertype;
		size_t (*stack)(struct step *s, unsigned n);
		unsigned cap;
		int family;
		unsigned depth_at_cap;
		enum cs_decode_counter why;
	} caps[] = {
		{"vlan", 0x8100, vlan_stack, CS_MAX_VLAN_TAGS, 4, 0, CS_DEC_VLAN_TOO_DEEP},
		{"mpls", 0x8847, mpls_stack, CS_MAX_MPLS_LABELS, 4, 0, CS_DEC_MPLS_TOO_DEEP},
		{"ipip", 0x0800, ipip_stack, CS_MAX_TUNNEL_DEPTH, 4, CS_MAX_TUNNEL_DEPTH,
		 CS_DEC_TUNNEL_TOO_DEEP},
		{"ipv6_ext", 0x86dd, ext6_stack, CS_MAX_IPV6_EXT_HEADERS, 6, 0,
		 CS_DEC_IPV6_EXT_TOO_DEEP},
	};

	for (size_t i = 0; i < CS_ARRAY_LEN(caps); i++)
		for (unsigned over = 0; over <= 1; over++) {
			struct step s[64] = {ETH(caps[i].ethertype)};
			size_t k = 1 + caps[i].stack(s + 1, caps[i].cap + over);
			struct bytes f;

			assert_true(k + 2 <= CS_ARRAY_LEN(s));
			s[k] = (struct step)SEG;
			build(&f, s);
			if (over)
				expect_skip(caps[i].name, LT(ETHERNET), &f, caps[i].why, CS_LIMIT);
			else
				expect_ok(caps[i].name, LT(ETHERNET), &f, caps[i].family,
					  caps[i].depth_at_cap);
		}
}

/* A fragment's description: where its data is and what the defragmenter
 * needs; the data is the IP payload after the header (and its options). */
static const struct fragment {
	const char *name;
	struct step steps[6];
	int version;
	unsigned proto;
	uint32_t id, offset;
	bool more;
	size_t data_at;
} fragments[] = {
	{"ipv4_first",
	 {ETH(0x0800), IP4_OPT(6, 0, 0x2000 /* MF */), SEG},
	 4,
	 6,
	 0x1234,
	 0,
	 true,
	 34},
	{"ipv4_last", {ETH(0x0800), IP4_OPT(6, 0, 0x0010), SEG}, 4, 6, 0x1234, 128, false, 34},
	/* options before the fragment's data */
	{"ipv4_options",
	 {ETH(0x0800), IP4_OPT(17, 8, 0x2003), FILL(0xee, 40)},
	 4,
	 17,
	 0x1234,
	 24,
	 true,
	 42},
	{"ipv6_first",
	 {ETH(0x86dd), IP6(44), FRAG6(6, 0x0001 /* M */), SEG},
	 6,
	 6,
	 0xabcdef01,
	 0,
	 true,
	 62},
	/* offset 32 units of 8 bytes */
	{"ipv6_last",
	 {ETH(0x86dd), IP6(44), FRAG6(6, 0x0100), SEG},
	 6,
	 6,
	 0xabcdef01,
	 256,
	 false,
	 62},
};

static void expect_fragment(const struct fragment *w)
{
	struct cs_decode_stats st = {{0}};
	struct bytes f;
	struct cs_pkt p;

	build(&f, w->steps);
	expect_num(w->name, "status", run_frame(w->name, LT(ETHERNET), &f, &p, &st), CS_MORE);
	expect_num(w->name, "ip_fragment", st.n[CS_DEC_IP_FRAGMENT], 1);
	expect_num(w->name, "version", p.frag.version, (uint64_t)w->version);
	expect_num(w->name, "protocol", p.frag.proto, w->proto);
	expect_num(w->name, "id", p.frag.id, w->id);
	expect_num(w->name, "offset", p.frag.offset, w->offset);
	expect_num(w->name, "more", p.frag.more, w->more);
	expect_that(w->name, p.frag.data.p == f.b + w->data_at, "data not after the header");
	expect_num(w->name, "data captured", p.frag.data.n, f.n - w->data_at);
	expect_num(w->name, "data length", p.frag.data_len, f.n - w->data_at);
	expect_addr(w->name, &p.src, w->version, w->version == 4 ? in4_src : in6_src);
}

static void test_fragments(void **state)
{
	(void)state;
	static const struct frame not_fragments[] = {
		/* the reserved flag is not a fragment */
		{"ipv4_reserved_flag",
		 LT(ETHERNET),
		 OK(4, 0),
		 {ETH(0x0800), IP4_OPT(6, 0, 0x8000), SEG}},
		/* atomic; reserved bits set */
		{"ipv6_atomic",
		 LT(ETHERNET),
		 OK(6, 0),
		 {ETH(0x86dd), IP6(44), FRAG6(6, 0x0006), SEG}},
	};
	/* a fragment inside a tunnel knows its depth */
	static const struct step tunneled[] = {ETH(0x0800),      IP4_OUTER(41), IP6(44),
					       FRAG6(6, 0x0009), FILL(0, 16),   {0}};
	struct cs_decode_stats st = {{0}};
	struct bytes f;
	struct cs_pkt p;

	for (size_t i = 0; i < CS_ARRAY_LEN(fragments); i++)
		expect_fragment(&fragments[i]);
	check_frames(not_fragments, CS_ARRAY_LEN(not_fragments));
	build(&f, tunneled);
	assert_int_equal(run_frame("tunneled", LT(ETHERNET), &f, &p, &st), CS_MORE);
	assert_int_equal(p.frag.depth, 1);
	assert_int_equal(p.frag.offset, 8);
	assert_true(p.frag.more);
	assert_int_equal(st.n[CS_DEC_TUNNELED], 0);
}

/* A fragment cut by the snaplen says how long its data really is. */
static void test_fragment_snaplen(void **state)
{
	(void)state;
	struct bytes f;
	struct cs_decode_stats st = {{0}};
	struct cs_pkt p;

	build(&f, fragments[0].steps);
	assert_int_equal(run("ipv4_first_cut", LT(ETHERNET), f.b, f.n - 5, &p, &st), CS_MORE);
	assert_int_equal(p.frag.data.n, f.n - 5 - 34);
	assert_int_equal(p.frag.data_len, f.n - 34);
}

/* Decode a reassembled datagram's payload from a heap copy of exactly
 * its size, with the contract of run(). */
static enum cs_status run_datagram(const char *name, const struct cs_pkt *frag, const uint8_t *b,
				   size_t n, struct cs_pkt *p, struct cs_decode_stats *st)
{
	struct cs_decode_stats before = *st;
	uint8_t *copy = malloc(n ? n : 1);
	enum cs_status s;
	int reasons = 0;

	memcpy(copy, b, n);
	s = decode_datagram(frag, (struct cs_slice){copy, n}, p, st);
	expect_num(name, "ip_reassembled",
		   st->n[CS_DEC_IP_REASSEMBLED] - before.n[CS_DEC_IP_REASSEMBLED], 1);
	for (int c = 0; c < CS_DEC_COUNTER_MAX; c++)
		if (c != CS_DEC_IP_REASSEMBLED && !is_informative(c))
			reasons += (int)(st->n[c] - before.n[c]);
	expect_num(name, "reasons counted", (uint64_t)reasons, s == CS_OK ? 0 : 1);
	if (s == CS_OK) {
		expect_that(name,
			    p->payload.p >= copy &&
				    p->payload.n <= (size_t)(copy + n - p->payload.p),
			    "payload outside the datagram");
		p->payload.p = b + (p->payload.p - copy);
	}
	free(copy);
	return s;
}

/* decode_datagram goes on where the fragment left off: the transport
 * header, IPv6 extension headers after a fragment header, and tunnels that
 * may hold fragments again.  Each row: a first fragment, and the whole
 * datagram's payload after the fragment's header. */
static const struct reassembled {
	const char *name;
	int linktype;
	struct step fragment[6];
	struct step payload[6];
	struct outcome want;
} reassembled[] = {
	{"ipv4", LT(ETHERNET), {ETH(0x0800), IP4_OPT(6, 0, 0x2000), SEG}, {SEG}, OK(4, 0)},
	/* destination options after the fragment header */
	{"ipv6_options",
	 LT(ETHERNET),
	 {ETH(0x86dd), IP6(44), FRAG6(60, 0x0001), FILL(0, 16)},
	 {EXT6(6, 0), SEG},
	 OK(6, 0)},
	/* an outer fragment holding GRE, IPv4, TCP */
	{"gre",
	 LT(RAW),
	 {IP4_OUTER_FRAG(47, 0x2000), FILL(0, 8)},
	 {GRE(0, 0x0800), IP4(6), SEG},
	 OK(4, 1)},
	/* ... and one whose inner IPv4 is itself a fragment (offset 16) */
	{"gre_inner_fragment",
	 LT(RAW),
	 {IP4_OUTER_FRAG(47, 0x2000), FILL(0, 8)},
	 {GRE(0, 0x0800), IP4_OPT(6, 0, 0x0002), FILL(0, 8)},
	 SKIP(CS_DEC_IP_FRAGMENT, CS_MORE)},
};

/* The first fragment of r decoded into *p, its payload built in *whole. */
static void first_fragment(const struct reassembled *r, struct cs_pkt *p, struct bytes *whole,
			   struct cs_decode_stats *st)
{
	struct bytes f;

	build(&f, r->fragment);
	expect_num(r->name, "status", run_frame(r->name, r->linktype, &f, p, st), CS_MORE);
	build(whole, r->payload);
}

static void test_datagram(void **state)
{
	(void)state;
	struct cs_decode_stats st = {{0}};
	struct bytes whole;
	struct cs_pkt p, q;

	for (size_t i = 0; i < CS_ARRAY_LEN(reassembled); i++) {
		const struct reassembled *r = &reassembled[i];

		first_fragment(r, &p, &whole, &st);
		expect_num(r->name, "status", run_datagram(r->name, &p, whole.b, whole.n, &q, &st),
			   r->want.status);
		if (r->want.status == CS_OK)
			expect_seg(r->name, &q, r->want.family, r->want.depth);
	}
	assert_int_equal(q.frag.depth, 1); /* the inner fragment's */
	assert_int_equal(q.frag.offset, 16);
	expect_addr("gre_inner_fragment", &q.src, 4, in4_src);

	first_fragment(&reassembled[0], &p, &whole, &st); /* a TCP header cut short */
	assert_int_equal(run_datagram("ipv4_short", &p, whole.b, 30, &q, &st), CS_BAD);
	assert_int_equal(st.n[CS_DEC_MALFORMED_TCP], 1);

	/* decoding in place: out may be the fragment it comes from */
	first_fragment(&reassembled[0], &p, &whole, &st);
	assert_int_equal(decode_datagram(&p, (struct cs_slice){whole.b, whole.n}, &p, &st), CS_OK);
	expect_seg("in_place", &p, 4, 0);
}

/* Link types and shims: what each refuses, and why. */
#define NOT_IP SKIP(CS_DEC_NOT_IP, CS_UNSUPPORTED)
#define NOT_TCP SKIP(CS_DEC_NOT_TCP, CS_UNSUPPORTED)
#define BAD(what) SKIP(CS_DEC_MALFORMED_##what, CS_BAD)

/* clang-format off */
static void test_ppp_hdlc_refusals(void **state)
{
	(void)state;
	static const struct frame frames[] = {
		{"lcp", LT(PPP), NOT_IP, {RAW("\xff\x03\xc0\x21"), FILL(0, 10)}},
		/* Van Jacobson compressed TCP, one-byte protocol */
		{"vj_compressed", LT(PPP), NOT_IP, {U8(0x2d), FILL(0, 10)}},
		/* the All-Stations address with another control */
		{"all_stations_control_0x13", LT(PPP), BAD(LINK), {RAW("\xff\x13\x00\x21"), IP4(6), SEG}},
		{"serial_neither_ppp_nor_cisco", LT(PPP_HDLC), BAD(LINK),
		 {RAW("\x42\x03\x00\x21"), IP4(6), SEG}},
		{"cisco_with_control", LT(C_HDLC), BAD(LINK), {RAW("\x0f\x03\x08\x00"), IP4(6), SEG}},
		{"cisco_slarp", LT(C_HDLC), NOT_IP, {RAW("\x8f\x00\x80\x35"), FILL(0, 18)}},
		/* pppd's direction byte is 0 or 1 */
		{"pppd_direction_2", LT(PPP_PPPD), BAD(LINK), {RAW("\x02\x03\x00\x21"), IP4(6), SEG}},
		{"chdlc_direction_7", LT(C_HDLC_WITH_DIR), BAD(LINK), {U8(0x07), SAMPLE("chdlc_ipv4")}},
	};

	check_frames(frames, CS_ARRAY_LEN(frames));
}
/* clang-format on */

static void test_cmd_counts_as_tag(void **state)
{
	(void)state;
	/* CMD carrying ARP */
	static const struct frame arp = {
		"cmd_arp", LT(ETHERNET), NOT_IP, {ETH(0x8909), CMD(0x0806), FILL(0, 28)}};

	for (unsigned tags = CS_MAX_VLAN_TAGS - 1; tags <= CS_MAX_VLAN_TAGS; tags++) {
		struct step s[MAX_STEPS + CS_MAX_VLAN_TAGS] = {ETH(0x8100)};
		size_t k = 1;
		struct bytes f;

		for (unsigned i = 1; i <= tags; i++)
			s[k++] = (struct step)TAG(i, i < tags ? 0x8100 : 0x8909);
		s[k++] = (struct step)CMD(0x0800);
		s[k++] = (struct step)IP4(6);
		s[k] = (struct step)SEG;
		build(&f, s);
		if (tags < CS_MAX_VLAN_TAGS)
			expect_ok("cmd_under_the_cap", LT(ETHERNET), &f, 4, 0);
		else
			expect_skip("cmd_at_the_cap", LT(ETHERNET), &f, CS_DEC_VLAN_TOO_DEEP,
				    CS_LIMIT);
	}
	check_frame(&arp);
}

/* clang-format off */
static void test_gtpu_refusals(void **state)
{
	(void)state;
#define GTP IP4_OUTER(17), UDP(2152)
	static const struct frame frames[] = {
		{"echo_request", LT(RAW), NOT_IP, {GTP, GTP_HEADER(0x32, 1, 0), U32(0)}},
		/* GTP' (protocol type 0) */
		{"gtp_prime", LT(RAW), NOT_IP, {GTP, GTP_HEADER(0x20, 0xff, 0), IP4(6), SEG}},
		/* sequence, N-PDU, next type 0x85; an extension header of length 0 */
		{"extension_length_0", LT(RAW), BAD(IP),
		 {GTP, GTP_HEADER(0x34, 0xff, 0), U32(0x00000085), U8(0), FILL(0, 3), IP4(6), SEG}},
		/* extension headers of one unit each, naming the next: beyond the cap */
		{"extensions_over_the_cap", LT(RAW), BAD(IP),
		 {GTP, GTP_HEADER(0x34, 0xff, 0), U32(0x00000085), REPEAT(CS_MAX_GTP_EXT_HEADERS + 1),
		  U32(0x01000085), IP4(6), SEG}},
		/* S set, E clear: the next-type byte means nothing */
		{"sequence_without_extension", LT(RAW), OK(4, 1),
		 {GTP, GTP_HEADER(0x32, 0xff, 0), U32(0x000900c0), IP4(6), SEG}},
	};
#undef GTP

	check_frames(frames, CS_ARRAY_LEN(frames));
}

static void test_wlan_refusals(void **state)
{
	(void)state;
	/* data frames by their frame control: its first byte, its flags */
	static const struct {
		const char *name;
		unsigned fc0, flags;
		struct outcome want;
	} fcs[] = {
		{"beacon", 0x80, 0x00, NOT_IP},
		{"ack_control", 0xd4, 0x00, NOT_IP},
		{"null_data", 0x48, 0x01, NOT_IP},
		{"qos_null", 0xc8, 0x01, NOT_IP},
		{"protected_data", 0x08, 0x41, SKIP(CS_DEC_ENCRYPTED, CS_UNSUPPORTED)},
		{"protected_qos_data", 0x88, 0x42, SKIP(CS_DEC_ENCRYPTED, CS_UNSUPPORTED)},
		{"more_fragments", 0x08, 0x05, NOT_IP},
		{"protocol_version_1", 0x09, 0x01, BAD(LINK)},
	};
	static const struct frame frames[] = {
		/* fragment number 1 */
		{"later_fragment", LT(IEEE802_11), NOT_IP,
		 {WLAN(0x08, 0x01), SNAP(0x0800), IP4(6), SEG, SET(22, 0x11)}},
		/* the A-MSDU bit of the QoS control field */
		{"a_msdu", LT(IEEE802_11), NOT_IP,
		 {WLAN(0x88, 0x01), SNAP(0x0800), IP4(6), SEG, OR(24, 0x80)}},
		/* LLC that is not SNAP (spanning tree) */
		{"llc_not_snap", LT(IEEE802_11), NOT_IP, {WLAN(0x08, 0x02), RAW("\x42\x42\x03"), FILL(0, 40)}},
		/* SNAP with a vendor OUI (its last byte at 24 + 5) */
		{"snap_vendor_oui", LT(IEEE802_11), NOT_IP,
		 {WLAN(0x08, 0x02), SNAP(0x0800), IP4(6), SEG, SET(29, 0x40)}},
		/* SNAP, bridge-tunnel OUI 00:00:f8 */
		{"snap_bridge_tunnel", LT(IEEE802_11), OK(4, 0),
		 {WLAN(0x08, 0x02), SNAP(0x0800), IP4(6), SEG, SET(29, 0xf8)}},
	};

	for (size_t i = 0; i < CS_ARRAY_LEN(fcs); i++) {
		const struct step s[] = {WLAN(fcs[i].fc0, fcs[i].flags), SNAP(0x0800), IP4(6), SEG, {0}};

		check_recipe(fcs[i].name, LT(IEEE802_11), fcs[i].want, s);
	}
	check_frames(frames, CS_ARRAY_LEN(frames));
}

static void test_radiotap_ppi_refusals(void **state)
{
	(void)state;
	static const struct frame frames[] = {
		{"bad_fcs", LT(IEEE802_11_RADIOTAP), BAD(LINK), {SAMPLE("radiotap_fcs"), SET(8, 0x50)}},
		{"version_1", LT(IEEE802_11_RADIOTAP), BAD(LINK), {SAMPLE("radiotap_fcs"), SET(0, 1)}},
		{"length_below_the_fixed_header", LT(IEEE802_11_RADIOTAP), BAD(LINK),
		 {SAMPLE("radiotap_fcs"), SET(2, 7)}},
		/* Flags announced, header too short for it */
		{"flags_past_the_header", LT(IEEE802_11_RADIOTAP), BAD(LINK),
		 {SAMPLE("radiotap_fcs"), SET(2, 8)}},
		/* presence words (bit 31, little-endian) chained past the cap */
		{"presence_over_the_cap", LT(IEEE802_11_RADIOTAP), BAD(LINK),
		 {U16(0), U8((8 + 4 * CS_MAX_RADIOTAP_PRESENT) & 0xff), U8(0),
		  REPEAT(CS_MAX_RADIOTAP_PRESENT + 1), U32(0x00000080), SAMPLE("wlan_data")}},
		{"ppi_of_another_dlt", LT(PPI), SKIP(CS_DEC_UNSUPPORTED_LINK, CS_UNSUPPORTED),
		 {PPI(8, 113), FILL(0, 40)}},
		{"ppi_length_below_its_header", LT(PPI), BAD(LINK),
		 {PPI(8, 105), SAMPLE("wlan_data"), SET(2, 4)}},
	};

	check_frames(frames, CS_ARRAY_LEN(frames));
}

/* NFLOG: attributes before the payload, each padded to 4, in either byte
 * order: NFULA_PACKET_HDR (hw_protocol, hook, pad) and NFULA_PREFIX
 * ("drop\0", padded to 8); and what is refused. */
#define NFLOG_TLVS(family, le)                                                                     \
	NFLOG(family, 7), NFLOG_TLV(1, 4, le), RAW("\x08\x00\x03\x00"), NFLOG_TLV(10, 5, le),      \
		RAW("drop\x00\x00\x00\x00"), NFLOG_PAYLOAD(le)

static void test_nflog(void **state)
{
	(void)state;
	static const struct frame frames[] = {
		{"tlvs_be_ipv4", LT(NFLOG), OK(4, 0), {NFLOG_TLVS(2, 0), IP4(6), SEG}},
		{"tlvs_be_ipv6", LT(NFLOG), OK(6, 0), {NFLOG_TLVS(10, 0), IP6(6), SEG}},
		{"tlvs_be_not_ip", LT(NFLOG), NOT_IP, {NFLOG_TLVS(7, 0), IP4(6), SEG}},
		{"tlvs_le_ipv4", LT(NFLOG), OK(4, 0), {NFLOG_TLVS(2, 1), IP4(6), SEG}},
		{"tlvs_le_ipv6", LT(NFLOG), OK(6, 0), {NFLOG_TLVS(10, 1), IP6(6), SEG}},
		{"tlvs_le_not_ip", LT(NFLOG), NOT_IP, {NFLOG_TLVS(7, 1), IP4(6), SEG}},
		/* no payload attribute (nflog-size 0) */
		{"no_payload", LT(NFLOG), NOT_IP, {NFLOG(2, 7), NFLOG_TLV(1, 4, 1), FILL(0, 4)}},
		{"version_1", LT(NFLOG), BAD(LINK), {SAMPLE("nflog_le_ipv4"), SET(1, 1)}},
		{"tlv_shorter_than_its_header", LT(NFLOG), BAD(LINK),
		 {NFLOG(2, 7), NFLOG_TLV(1, 0, 1), IP4(6), SEG, SET(4, 3)}},
		/* more attributes than the kernel sends */
		{"tlvs_over_the_cap", LT(NFLOG), BAD(LINK),
		 {NFLOG(2, 7), REPEAT(CS_MAX_NFLOG_TLVS), NFLOG_TLV(11, 0, 1), NFLOG_PAYLOAD(1), IP4(6), SEG}},
		{"payload_shorter_than_its_ip_packet", LT(NFLOG), BAD(IP),
		 {SAMPLE("nflog_le_ipv4"), ADD(4, -10)}},
	};

	check_frames(frames, CS_ARRAY_LEN(frames));
}

static void test_not_ip(void **state)
{
	(void)state;
	/* ARP, LLDP, a length, PPPoE discovery, ERSPAN */
	static const unsigned ethertypes[] = {0x0806, 0x88cc, 0x0040, 0x8863, 0x88be};
	static const struct frame frames[] = {
		{"ppp_lcp", LT(ETHERNET), NOT_IP, {ETH(0x8864), PPPOE(0xc021), FILL(0, 10)}},
		/* MPLS pseudowire with a control word */
		{"mpls_pseudowire", LT(ETHERNET), NOT_IP, {ETH(0x8847), MPLS(1, 1), U32(0), SAMPLE("eth_ipv4")}},
		{"null_af_link", LT(NULL), NOT_IP, {U32(18), IP4(6), SEG}},
		/* LOOP is network order only */
		{"loop_little_endian", LT(LOOP), NOT_IP, {U32(0x02000000), IP4(6), SEG}},
		/* nlmon: netlink (ARPHRD_NETLINK 824) in a cooked header; the
		 * protocol would be NETLINK_ROUTE... anything */
		{"nlmon", LT(LINUX_SLL), NOT_IP,
		 {RAW("\x00\x04\x03\x38\x00\x00"), FILL(0, 8), U16(0x0800), IP4(6), SEG}},
		{"raw_version_5", LT(RAW), NOT_IP, {U8(0x50), FILL(0, 40)}},
		/* GRE version 1 (PPTP) */
		{"gre_v1", LT(RAW), NOT_IP, {IP4_OUTER(47), GRE(0x2001, 0x880b), FILL(0, 20)}},
		/* GRE with RFC 1701 routing present */
		{"gre_routing", LT(RAW), NOT_IP, {IP4_OUTER(47), GRE(0x4000, 0x0800), IP4(6), SEG}},
		{"gre_arp", LT(RAW), NOT_IP, {IP4_OUTER(47), GRE(0, 0x0806), FILL(0, 28)}},
		/* Geneve version 1 (the version bits of its first byte, at 20 + 8) */
		{"geneve_v1", LT(RAW), NOT_IP,
		 {IP4_OUTER(17), UDP(6081), GENEVE(0x0800, 0), IP4(6), SEG, OR(28, 0x40)}},
	};

	for (size_t i = 0; i < CS_ARRAY_LEN(ethertypes); i++) {
		const struct step s[] = {ETH(ethertypes[i]), FILL(0, 46), {0}};
		char name[32];

		snprintf(name, sizeof name, "ethertype 0x%04x", ethertypes[i]);
		check_recipe(name, LT(ETHERNET), (struct outcome)NOT_IP, s);
	}
	check_frames(frames, CS_ARRAY_LEN(frames));
}

static void test_not_tcp(void **state)
{
	(void)state;
	static const unsigned protocols[] = {1, 50, 58, 132};
	static const unsigned ports[] = {53, 443, 4790, 8472};
	/* no next header after destination options */
	static const struct step no_next[] = {IP6(60), EXT6(59, 0), {0}};
	char name[32];

	for (size_t i = 0; i < CS_ARRAY_LEN(protocols); i++) {
		const struct step s[] = {IP4(protocols[i]), FILL(0, 30), {0}};

		snprintf(name, sizeof name, "ip protocol %u", protocols[i]);
		check_recipe(name, LT(RAW), (struct outcome)NOT_TCP, s);
	}
	for (size_t i = 0; i < CS_ARRAY_LEN(ports); i++) {
		const struct step s[] = {IP6(17), UDP(ports[i]), FILL(0, 30), {0}};

		snprintf(name, sizeof name, "udp port %u", ports[i]);
		check_recipe(name, LT(RAW), (struct outcome)NOT_TCP, s);
	}
	check_recipe("no_next_header", LT(RAW), (struct outcome)NOT_TCP, no_next);
}
/* clang-format on */

static void test_unsupported_link(void **state)
{
	(void)state;
	static const int linktypes[] = {-1, 119, 147, 163, 1000};
	struct bytes f;

	build(&f, sample_named("eth_ipv4")->steps);
	for (size_t i = 0; i < CS_ARRAY_LEN(linktypes); i++) {
		char name[32];

		snprintf(name, sizeof name, "linktype %d", linktypes[i]);
		expect_skip(name, linktypes[i], &f, CS_DEC_UNSUPPORTED_LINK, CS_UNSUPPORTED);
		assert_false(decode_linktype_supported(linktypes[i]));
		assert_null(decode_linktype_name(linktypes[i]));
	}
}

/* clang-format off */
static void test_malformed(void **state)
{
	(void)state;
	static const struct frame frames[] = {
		{"ipv4_ihl_4", LT(RAW), BAD(IP), {IP4(6), SEG, SET(0, 0x44)}},
		{"ipv4_total_20_below_ihl_8", LT(RAW), BAD(IP), {IP4_OPT(6, 12, 0), SEG, SET(2, 0), SET(3, 20)}},
		/* total length below the header */
		{"ipv4_total_0", LT(RAW), BAD(IP), {IP4(6), SEG, SET(2, 0), SET(3, 0)}},
		{"ipv4_total_19", LT(RAW), BAD(IP), {IP4(6), SEG, SET(2, 0), SET(3, 19)}},
		/* the PPPoE length (at 22 + 4) one short */
		{"ipv4_longer_than_pppoe", LT(ETHERNET), BAD(IP), {SAMPLE("qinq_pppoe_ipv4"), ADD(27, -1)}},
		{"ipv6_behind_ipv4_ethertype", LT(ETHERNET), BAD(IP), {ETH(0x0800), IP6(6), SEG}},
		{"ipv4_as_linktype_ipv6", LT(IPV6), BAD(IP), {IP4(6), SEG}},
		/* a jumbogram (RFC 2675): payload length 0 and the jumbo payload option */
		{"ipv6_jumbogram", LT(RAW), BAD(IP),
		 {IP6(0), RAW("\x06\x00\xc2\x04"), U32(100000), SEG, SET(4, 0), SET(5, 0)}},
		/* the inner IPv6 payload length (at 14 + 20 + 4) one more */
		{"inner_ipv6_longer_than_outer_ipv4", LT(ETHERNET), BAD(IP), {SAMPLE("6in4"), ADD(39, 1)}},
		/* the UDP length at 14 + 20 + 4 */
		{"udp_length_below_its_header", LT(ETHERNET), BAD(IP), {SAMPLE("vxlan"), SET(38, 0), SET(39, 7)}},
		/* VXLAN: a PPPoE length (at 20 + 8 + 8 + 14 + 4) past the UDP end */
		{"vxlan_pppoe_past_udp", LT(RAW), BAD(LINK),
		 {IP4_OUTER(17), UDP(4789), VXLAN, ETH(0x8864), PPPOE(0x0021), IP4(6), SEG, SET(54, 0x7f)}},
		/* the IPv4 total length (at 14 + 2) leaves 10 bytes for TCP */
		{"ipv4_total_leaves_10_for_tcp", LT(ETHERNET), BAD(TCP),
		 {SAMPLE("eth_ipv4"), SET(16, 0), SET(17, 30)}},
		/* the GRE key field past the IP end */
		{"gre_key_past_ip_end", LT(RAW), BAD(IP),
		 {IP4_OUTER(47), GRE(0x3000, 0x0800), IP4(6), SEG, SET(3, 20 + 6)}},
		/* inner Ethernet cut by the UDP length */
		{"inner_ethernet_cut_by_udp", LT(ETHERNET), BAD(LINK),
		 {SAMPLE("vxlan"), SET(38, 0), SET(39, 8 + 8 + 10)}},
		{"pppoe_version_2", LT(ETHERNET), BAD(LINK), {SAMPLE("qinq_pppoe_ipv4"), SET(22, 0x21)}},
		/* the TCP data offset at 20 + 12 */
		{"tcp_data_offset_4", LT(RAW), BAD(TCP), {IP4(6), SEG, SET(32, 0x40)}},
		{"tcp_data_offset_past_the_segment", LT(RAW), BAD(TCP),
		 {IP4(6), TCP(5), FILL(0, 20), SET(32, 0xf0)}},
		/* ... is malformed even when the capture is cut too */
		{"tcp_data_offset_past_the_capture", LT(RAW), BAD(TCP),
		 {IP4(6), TCP(5), FILL(0, 20), SET(32, 0xf0), CUT(10)}},
	};

	check_frames(frames, CS_ARRAY_LEN(frames));
}
/* clang-format on */

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
		assert_int_equal(run(links[i].name, links[i].linktype, NULL, 0, &p, &st), CS_TRUNC);
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
