/*
 * livefilter.c - the default kernel filter of live captures
 * (cs_livefilter.h).
 * Owns the generation of one BPF expression per link type, from the same
 * constants the decoder follows.  Policy: when in doubt, pass the frame (the
 * decoder drops what it cannot use and counts it); drop in the kernel only
 * what is certainly not TCP: other IP protocols, UDP to other ports, and
 * other ethertypes.  Offsets are written out per depth of VLAN tags; the
 * link-layer offsets of each link type come from tcpdump's linktypes list.
 * References: pcap-filter(7) ("link[]", arithmetic in offsets), Linux
 * Documentation/networking/filter.rst (VLAN tags stripped into skb
 * metadata), https://www.tcpdump.org/linktypes.html.
 */
#include "cs_livefilter.h"
#include "cs_decode.h"
#include "cs_limits.h"

#include <stdarg.h>
#include <stdio.h>

/* Where a link type keeps the first ethertype and where its payload starts. */
struct layout {
	int linktype;
	int type_at; /* -1: the payload is IP at offset 0 (raw) */
	int header;
};

static const struct layout layouts[] = {
	{CS_LINKTYPE_ETHERNET, 12, 14},  {CS_LINKTYPE_LINUX_SLL, 14, 16},
	{CS_LINKTYPE_LINUX_SLL2, 0, 20}, {CS_LINKTYPE_RAW, -1, 0},
	{CS_DLT_RAW_ALT1, -1, 0},        {CS_DLT_RAW_ALT2, -1, 0},
};

struct out {
	char *p;
	size_t len, n;
	bool full;
};

static void emit(struct out *o, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void emit(struct out *o, const char *fmt, ...)
{
	va_list ap;
	int k;

	if (o->full)
		return;
	va_start(ap, fmt);
	k = vsnprintf(o->p + o->n, o->len - o->n, fmt, ap);
	va_end(ap);
	if (k < 0 || (size_t)k >= o->len - o->n)
		o->full = true;
	else
		o->n += (size_t)k;
}

/* UDP to a tunnel port, the UDP header's destination port at `port`. */
static void udp_tunnel(struct out *o, const char *port)
{
	emit(o, "(link[%s:2] = 4789 or link[%s:2] = 6081 or link[%s:2] = 2152)", port, port, port);
}

/* An IPv4 header at b: TCP, a fragment, a tunnel. */
static void ipv4_useful(struct out *o, int b)
{
	char port[64];

	snprintf(port, sizeof(port), "%d + ((link[%d] & 0xf) << 2) + 2", b, b);
	emit(o,
	     "(link[%d] = 6 or link[%d:2] & 0x3fff != 0 or link[%d] = 4 or link[%d] = 41 "
	     "or link[%d] = 47 or (link[%d] = 17 and ",
	     b + 9, b + 6, b + 9, b + 9, b + 9, b + 9);
	udp_tunnel(o, port);
	emit(o, "))");
}

/* An IPv6 header at b: TCP, a fragment or another extension header (the
 * decoder walks them), a tunnel. */
static void ipv6_useful(struct out *o, int b)
{
	static const int next[] = {6, 44, 0, 43, 60, 51, 4, 41, 47};
	char port[32];

	emit(o, "(");
	for (size_t i = 0; i < CS_ARRAY_LEN(next); i++)
		emit(o, "link[%d] = %d or ", b + 6, next[i]);
	snprintf(port, sizeof(port), "%d", b + 40 + 2);
	emit(o, "(link[%d] = 17 and ", b + 6);
	udp_tunnel(o, port);
	emit(o, "))");
}

/* After k tags: the ethertype at `at`, the payload at b. */
static void after_tags(struct out *o, int at, int b)
{
	emit(o, "(link[%d:2] = 0x0800 and ", at);
	ipv4_useful(o, b);
	emit(o, ") or (link[%d:2] = 0x86dd and ", at);
	ipv6_useful(o, b);
	/* PPPoE sessions, MPLS, Cisco MetaData: the decoder looks inside */
	emit(o,
	     ") or link[%d:2] = 0x8864 or link[%d:2] = 0x8847 or link[%d:2] = 0x8848 "
	     "or link[%d:2] = 0x8909",
	     at, at, at, at);
}

static void is_tag(struct out *o, int at)
{
	emit(o, "(link[%d:2] = 0x8100 or link[%d:2] = 0x88a8 or link[%d:2] = 0x9100)", at, at, at);
}

static void tagged_layers(struct out *o, const struct layout *l)
{
	for (int k = 0; k <= CS_MAX_VLAN_TAGS; k++) {
		/* a tag's next ethertype follows its 2-byte TCI */
		int at = k == 0 ? l->type_at : l->header + 4 * (k - 1) + 2;

		emit(o, k ? " or (" : "(");
		for (int j = 0; j < k; j++) {
			is_tag(o, j == 0 ? l->type_at : l->header + 4 * (j - 1) + 2);
			emit(o, " and ");
		}
		emit(o, "(");
		after_tags(o, at, l->header + 4 * k);
		emit(o, "))");
	}
}

const char *livefilter_default(int linktype, char *buf, size_t len)
{
	struct out o = {buf, len, 0, len == 0};

	for (size_t i = 0; i < CS_ARRAY_LEN(layouts); i++) {
		const struct layout *l = &layouts[i];

		if (l->linktype != linktype)
			continue;
		if (l->type_at < 0) {
			emit(&o, "((link[0] & 0xf0) = 0x40 and ");
			ipv4_useful(&o, 0);
			emit(&o, ") or ((link[0] & 0xf0) = 0x60 and ");
			ipv6_useful(&o, 0);
			emit(&o, ")");
		} else {
			tagged_layers(&o, l);
		}
		return o.full ? NULL : buf;
	}
	return NULL;
}
