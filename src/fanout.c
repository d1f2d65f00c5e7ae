/*
 * fanout.c - the worker-selection program of --workers (cs_fanout.h): a
 * classic BPF program, written through a small assembler with symbolic
 * labels so that it reads like the headers it parses, and the setsockopt
 * calls that put a capture socket in the fanout group.
 * Owns nothing: the program is written into the caller's array.
 *
 * Registers while parsing: X is the offset of the header being read (every
 * packet load is [x + k], k >= 0), A the value at hand.  Scratch words:
 * M_HASH the XOR of the last address pair read (0 before any), M_OFF a
 * saved X, M_NEXT a protocol or type carried over an X update, M_FLAGS
 * header flags, M_ADDR.. the address words being folded.
 */
#include "cs_fanout.h"

#include <errno.h>
#include <linux/filter.h>
#include <linux/if_packet.h>
#include <pcap/pcap.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

enum { M_HASH, M_OFF, M_NEXT, M_FLAGS, M_ADDR };

#define ETH_IPV4 0x0800
#define ETH_IPV6 0x86dd
#define ETH_TEB 0x6558 /* transparent Ethernet bridging: a whole frame */
#define ETH_8021Q 0x8100
#define ETH_8021AD 0x88a8
#define ETH_QINQ_OLD 0x9100
#define ETH_PPPOE 0x8864 /* PPPoE session stage (RFC 2516) */
#define ETH_MPLS_UC 0x8847
#define ETH_MPLS_MC 0x8848
#define ETH_HLEN 14
#define ETH_TYPE_AT 12
#define VLAN_TAG_LEN 4
/* 802.1Q/802.1ad tags skipped: QinQ is two, a third is rare but real. */
#define FANOUT_VLAN_TAGS 3
/* IPv6 extension headers skipped before the transport (hop-by-hop,
 * routing, destination options); a Fragment header stops the descent. */
#define FANOUT_IPV6_EXT 2
/* GTP-U extension headers followed (real packets carry one or two). */
#define FANOUT_GTP_EXT 2

/* PPPoE, RFC 2516 4: | VER=1 TYPE=1 | CODE=0 | SESSION_ID | LENGTH |, then
 * the PPP protocol field (RFC 1661 2), as decode_ppp.c reads them. */
#define PPPOE_HLEN 6
#define PPPOE_SESSION_DATA 0x1100 /* version 1, type 1, code 0 */
#define PPP_PROTO_MIN_LEN 2       /* LENGTH counts the protocol field */
#define PPP_COMPRESSED 0x01       /* an odd first byte: a one-byte field */
#define PPP_IPV4 0x0021
#define PPP_IPV6 0x0057
#define PPP_MPLS_UC 0x0281
#define PPP_MPLS_MC 0x0283
/* MPLS, RFC 3032 2.1: 4-byte entries, S (bottom of stack) the low bit of
 * an entry's third byte; CS_MAX_MPLS_LABELS of them, as the decoder. */
#define MPLS_ENTRY 4
#define MPLS_S_BYTE 2
#define MPLS_S 0x01

#define PROTO_IPIP 4
#define PROTO_UDP 17
#define PROTO_IPV6 41
#define PROTO_GRE 47
#define NH_HOPOPTS 0
#define NH_ROUTING 43
#define NH_DSTOPTS 60
#define IPV4_FRAG_BITS 0x3fff /* MF and the fragment offset */

#define GRE_C 0x8000
#define GRE_K 0x2000
#define GRE_S 0x1000
#define GRE_UNPARSED 0x4c07 /* RFC 1701 routing/recursion, version != 0 */
#define UDP_HLEN 8
#define PORT_VXLAN 4789
#define PORT_GENEVE 6081
#define PORT_GTPU 2152
#define VXLAN_HLEN 8
#define GENEVE_HLEN 8
#define GTP_HLEN 8
#define GTP_V1 0x30 /* version 1, protocol type GTP */
#define GTP_OPTIONAL 0x07
#define GTP_E 0x04
#define GTP_GPDU 0xff

/* Knuth's multiplicative constant (2^32 / golden ratio): the product's
 * high half depends on every bit of the folded addresses. */
#define FANOUT_MIX 0x9e3779b1u

/* ------------------------------------------------------------------ assembler */

#define NO_LABEL (-1) /* a conditional jump's fall-through: offset 0 */
#define MAX_LABELS 512

struct asm_prog {
	struct bpf_insn *insn;
	size_t cap, n;
	bool failed;
	int labels;
	size_t at[MAX_LABELS]; /* a label's instruction, SIZE_MAX unplaced */
	int jt[CS_FANOUT_PROG_MAX], jf[CS_FANOUT_PROG_MAX]; /* targets, resolved last */
};

static int label(struct asm_prog *a)
{
	if (a->labels == MAX_LABELS) {
		a->failed = true;
		return NO_LABEL;
	}
	a->at[a->labels] = SIZE_MAX;
	return a->labels++;
}

static void place(struct asm_prog *a, int l)
{
	if (l >= 0)
		a->at[l] = a->n;
}

static void emit(struct asm_prog *a, uint16_t code, uint32_t k, int jt, int jf)
{
	if (a->n == a->cap || a->n == CS_FANOUT_PROG_MAX) {
		a->failed = true;
		return;
	}
	a->insn[a->n] = (struct bpf_insn){.code = code, .jt = 0, .jf = 0, .k = k};
	a->jt[a->n] = jt;
	a->jf[a->n] = jf;
	a->n++;
}

static void op(struct asm_prog *a, uint16_t code, uint32_t k)
{
	emit(a, code, k, NO_LABEL, NO_LABEL);
}

/* A load of 1, 2 or 4 bytes at X + off. */
static void ld_at(struct asm_prog *a, uint16_t size, uint32_t off)
{
	op(a, (uint16_t)(BPF_LD | size | BPF_IND), off);
}

/* X += n (A is lost). */
static void advance(struct asm_prog *a, uint32_t n)
{
	op(a, BPF_MISC | BPF_TXA, 0);
	op(a, BPF_ALU | BPF_ADD | BPF_K, n);
	op(a, BPF_MISC | BPF_TAX, 0);
}

/* if (A <cond> k) goto yes else goto no; NO_LABEL falls through. */
static void jump_if(struct asm_prog *a, uint16_t cond, uint32_t k, int yes, int no)
{
	emit(a, (uint16_t)(BPF_JMP | cond | BPF_K), k, yes, no);
}

static void jump(struct asm_prog *a, int l) { emit(a, BPF_JMP | BPF_JA, 0, l, NO_LABEL); }

/* Jump offsets from labels; a conditional one must fit its 8 bits. */
static size_t resolve(struct asm_prog *a)
{
	if (a->failed)
		return 0;
	for (size_t i = 0; i < a->n; i++) {
		size_t dist[2] = {0, 0};
		int target[2] = {a->jt[i], a->jf[i]};

		if (BPF_CLASS(a->insn[i].code) != BPF_JMP)
			continue;
		for (int t = 0; t < 2; t++) {
			if (target[t] == NO_LABEL)
				continue;
			size_t to = a->at[target[t]];
			if (to == SIZE_MAX || to <= i)
				return 0; /* unplaced, or backwards: cBPF jumps forward only */
			dist[t] = to - i - 1;
		}
		if (BPF_OP(a->insn[i].code) == BPF_JA) {
			a->insn[i].k = (uint32_t)dist[0];
		} else {
			if (dist[0] > 255 || dist[1] > 255)
				return 0;
			a->insn[i].jt = (uint8_t)dist[0];
			a->insn[i].jf = (uint8_t)dist[1];
		}
	}
	return a->n;
}

/*
 * Jumps that leave a block go through `ja` trampolines at the block's end
 * (a conditional jump reaches 255 instructions, `ja` any distance), so
 * blocks can be laid out in parse order at any length.
 */
#define FAR_MAX 8

struct far {
	int n;
	int local[FAR_MAX], target[FAR_MAX];
};

static int far(struct asm_prog *a, struct far *f, int target)
{
	for (int i = 0; i < f->n; i++)
		if (f->target[i] == target)
			return f->local[i];
	if (f->n == FAR_MAX) {
		a->failed = true;
		return NO_LABEL;
	}
	f->target[f->n] = target;
	f->local[f->n] = label(a);
	return f->local[f->n++];
}

static void far_end(struct asm_prog *a, const struct far *f)
{
	for (int i = 0; i < f->n; i++) {
		place(a, f->local[i]);
		jump(a, f->target[i]);
	}
}

/* ------------------------------------------------------------------ the parse */

/* The entry points of one IP level: 0 is the outer packet, each tunnel
 * entered goes one level down. */
struct level {
	int ether;     /* A = an ethertype, X = the bytes after it */
	int ipv4;      /* X = an IPv4 header */
	int ipv6;      /* X = an IPv6 header */
	int transport; /* A = an IP protocol, X = its header (not the last level) */
};

/* X = an IP header whose version nibble says which (after an MPLS stack or
 * in GTP-U, where nothing else does): on to lv's IPv4 or IPv6, else hash. */
static void ip_by_version(struct asm_prog *a, struct far *f, const struct level *lv, int hash)
{

	ld_at(a, BPF_B, 0);
	op(a, BPF_ALU | BPF_AND | BPF_K, 0xf0);
	jump_if(a, BPF_JEQ, 0x40, far(a, f, lv->ipv4), NO_LABEL);
	jump_if(a, BPF_JEQ, 0x60, far(a, f, lv->ipv6), far(a, f, hash));
}

/* An MPLS label stack (X = its first entry), as decode_link.c pops it: to
 * the entry with S set, at most CS_MAX_MPLS_LABELS (a deeper stack is not
 * decoded: hash), then IPv4 or IPv6 by the version nibble (a pseudowire
 * control word or Ethernet over MPLS starts otherwise: hash).  One test
 * per entry at a fixed offset from X, X moved once. */
static void mpls(struct asm_prog *a, struct far *f, const struct level *lv, int hash)
{
	int bottom[CS_MAX_MPLS_LABELS], payload = label(a);

	for (int i = 0; i < CS_MAX_MPLS_LABELS; i++) {
		bottom[i] = label(a);
		ld_at(a, BPF_B, (uint32_t)(MPLS_ENTRY * i + MPLS_S_BYTE));
		jump_if(a, BPF_JSET, MPLS_S, bottom[i], NO_LABEL);
	}
	jump(a, hash);
	for (int i = 0; i < CS_MAX_MPLS_LABELS; i++) {
		place(a, bottom[i]); /* A = the stack's length */
		op(a, BPF_LD | BPF_IMM, (uint32_t)(MPLS_ENTRY * (i + 1)));
		jump(a, payload);
	}
	place(a, payload);
	op(a, BPF_ALU | BPF_ADD | BPF_X, 0);
	op(a, BPF_MISC | BPF_TAX, 0);
	ip_by_version(a, f, lv, hash);
}

/* A PPPoE session frame (X = its header), as decode_ppp.c reads it: the
 * session stage's version, type and code, a LENGTH that holds the
 * protocol field, then that field in one byte (Protocol-Field-Compression:
 * an odd first byte) or two: IPv4, IPv6 or MPLS. */
static void pppoe(struct asm_prog *a, struct far *f, const struct level *lv, int mpls_at, int hash)
{
	int session = label(a), sized = label(a), one = label(a), two = label(a);
	int proto = label(a);

	ld_at(a, BPF_H, 0);
	jump_if(a, BPF_JEQ, PPPOE_SESSION_DATA, session, far(a, f, hash));
	place(a, session);
	ld_at(a, BPF_H, 4);
	jump_if(a, BPF_JGE, PPP_PROTO_MIN_LEN, sized, far(a, f, hash));
	place(a, sized);
	ld_at(a, BPF_B, PPPOE_HLEN);
	jump_if(a, BPF_JSET, PPP_COMPRESSED, one, two);
	place(a, one);
	op(a, BPF_ST, M_NEXT);
	advance(a, PPPOE_HLEN + 1);
	jump(a, proto);
	place(a, two);
	ld_at(a, BPF_H, PPPOE_HLEN);
	op(a, BPF_ST, M_NEXT);
	advance(a, PPPOE_HLEN + 2);
	place(a, proto); /* a compressed 0x21 or 0x57 is the 0x0021 or 0x0057 */
	op(a, BPF_LD | BPF_MEM, M_NEXT);
	jump_if(a, BPF_JEQ, PPP_IPV4, far(a, f, lv->ipv4), NO_LABEL);
	jump_if(a, BPF_JEQ, PPP_IPV6, far(a, f, lv->ipv6), NO_LABEL);
	jump_if(a, BPF_JEQ, PPP_MPLS_UC, mpls_at, NO_LABEL);
	jump_if(a, BPF_JEQ, PPP_MPLS_MC, mpls_at, far(a, f, hash));
}

/* A = ethertype, X = what follows it: skip VLAN tags, then IPv4, IPv6, a
 * PPPoE session or an MPLS label stack (decode_link.c's dec_ethertype). */
static void ether_block(struct asm_prog *a, const struct level *lv, int hash)
{
	struct far f = {0};
	int nettype = label(a);
	int pppoe_at = label(a), mpls_at = label(a);

	place(a, lv->ether);
	for (int i = 0; i < FANOUT_VLAN_TAGS; i++) {
		int tag = label(a);

		jump_if(a, BPF_JEQ, ETH_8021Q, tag, NO_LABEL);
		jump_if(a, BPF_JEQ, ETH_8021AD, tag, NO_LABEL);
		jump_if(a, BPF_JEQ, ETH_QINQ_OLD, tag, nettype);
		place(a, tag); /* | TCI | next type | */
		ld_at(a, BPF_H, 2);
		op(a, BPF_ST, M_NEXT);
		advance(a, VLAN_TAG_LEN);
		op(a, BPF_LD | BPF_MEM, M_NEXT);
	}
	place(a, nettype);
	jump_if(a, BPF_JEQ, ETH_IPV4, far(a, &f, lv->ipv4), NO_LABEL);
	jump_if(a, BPF_JEQ, ETH_IPV6, far(a, &f, lv->ipv6), NO_LABEL);
	jump_if(a, BPF_JEQ, ETH_PPPOE, pppoe_at, NO_LABEL);
	jump_if(a, BPF_JEQ, ETH_MPLS_UC, mpls_at, NO_LABEL);
	jump_if(a, BPF_JEQ, ETH_MPLS_MC, mpls_at, far(a, &f, hash));
	place(a, pppoe_at);
	pppoe(a, &f, lv, mpls_at, hash);
	place(a, mpls_at);
	mpls(a, &f, lv, hash);
	far_end(a, &f);
}

/* A = the version nibble (masked) of the header at X: on to hash when it
 * is not want. */
static void check_version(struct asm_prog *a, struct far *f, uint32_t want, int hash)
{
	int ok = label(a);

	ld_at(a, BPF_B, 0);
	op(a, BPF_ALU | BPF_AND | BPF_K, 0xf0);
	jump_if(a, BPF_JEQ, want, ok, far(a, f, hash));
	place(a, ok);
}

/* M_HASH = the XOR of an address pair of 2 * words 32-bit words at X + at
 * (the source, then the destination): the same for both directions.  X is
 * kept (in M_OFF while the words are folded). */
static void fold_pair(struct asm_prog *a, uint32_t at, uint32_t words)
{
	op(a, BPF_STX, M_OFF);
	for (uint32_t w = 0; w < 2 * words; w++) {
		ld_at(a, BPF_W, at + 4 * w);
		op(a, BPF_ST, M_ADDR + w);
	}
	op(a, BPF_LD | BPF_MEM, M_ADDR);
	for (uint32_t w = 1; w < 2 * words; w++) {
		op(a, BPF_LDX | BPF_MEM, M_ADDR + w);
		op(a, BPF_ALU | BPF_XOR | BPF_X, 0);
	}
	op(a, BPF_ST, M_HASH);
	op(a, BPF_LDX | BPF_MEM, M_OFF);
}

/* An IP header's start (entry): its version nibble, then its pair folded.
 * The deepest level hashes that pair and goes no further: true when lv is
 * it (the block is then closed). */
static bool ip_pair(struct asm_prog *a, const struct level *lv, int entry, uint32_t version,
		    uint32_t at, uint32_t words, struct far *f, int hash)
{
	place(a, entry);
	check_version(a, f, version, hash);
	fold_pair(a, at, words);
	if (lv->transport != NO_LABEL)
		return false;
	jump(a, hash);
	far_end(a, f);
	return true;
}

/* IPv4, RFC 791: the pair's XOR, then (not a fragment) the payload. */
static void ipv4_block(struct asm_prog *a, const struct level *lv, int hash)
{
	struct far f = {0};

	if (ip_pair(a, lv, lv->ipv4, 0x40, 12, 1, &f, hash)) /* addresses at 12 and 16 */
		return;
	ld_at(a, BPF_H, 6); /* flags, fragment offset */
	jump_if(a, BPF_JSET, IPV4_FRAG_BITS, far(a, &f, hash), NO_LABEL);
	ld_at(a, BPF_B, 9); /* protocol */
	op(a, BPF_ST, M_NEXT);
	ld_at(a, BPF_B, 0); /* X += IHL * 4 */
	op(a, BPF_ALU | BPF_AND | BPF_K, 0x0f);
	op(a, BPF_ALU | BPF_LSH | BPF_K, 2);
	op(a, BPF_ALU | BPF_ADD | BPF_X, 0);
	op(a, BPF_MISC | BPF_TAX, 0);
	op(a, BPF_LD | BPF_MEM, M_NEXT);
	jump(a, lv->transport);
	far_end(a, &f);
}

/* IPv6, RFC 8200: the XOR of the 8 address words, then through up to
 * FANOUT_IPV6_EXT extension headers (not a Fragment header) to the payload. */
static void ipv6_block(struct asm_prog *a, const struct level *lv, int hash)
{
	struct far f = {0};

	if (ip_pair(a, lv, lv->ipv6, 0x60, 8, 4, &f, hash)) /* addresses at 8 and 24 */
		return;
	int ready = label(a);
	ld_at(a, BPF_B, 6); /* next header */
	op(a, BPF_ST, M_NEXT);
	advance(a, 40);
	for (int i = 0; i < FANOUT_IPV6_EXT; i++) {
		int ext = label(a);

		op(a, BPF_LD | BPF_MEM, M_NEXT);
		jump_if(a, BPF_JEQ, NH_HOPOPTS, ext, NO_LABEL);
		jump_if(a, BPF_JEQ, NH_ROUTING, ext, NO_LABEL);
		jump_if(a, BPF_JEQ, NH_DSTOPTS, ext, ready);
		place(a, ext); /* | next header | length in 8 bytes, less 1 | */
		ld_at(a, BPF_B, 0);
		op(a, BPF_ST, M_NEXT);
		ld_at(a, BPF_B, 1);
		op(a, BPF_ALU | BPF_ADD | BPF_K, 1);
		op(a, BPF_ALU | BPF_LSH | BPF_K, 3);
		op(a, BPF_ALU | BPF_ADD | BPF_X, 0);
		op(a, BPF_MISC | BPF_TAX, 0);
	}
	place(a, ready);
	op(a, BPF_LD | BPF_MEM, M_NEXT);
	jump(a, lv->transport);
	far_end(a, &f);
}

/* Geneve, RFC 8926 3.4 (X = its header): version 0, Opt Len words of
 * options, then what its Protocol Type (an ethertype) says. */
static void geneve(struct asm_prog *a, struct far *f, const struct level *in, int inner_eth,
		   int hash)
{

	ld_at(a, BPF_B, 0);
	jump_if(a, BPF_JSET, 0xc0, far(a, f, hash), NO_LABEL);
	ld_at(a, BPF_H, 2);
	op(a, BPF_ST, M_NEXT);
	ld_at(a, BPF_B, 0);
	op(a, BPF_ALU | BPF_AND | BPF_K, 0x3f);
	op(a, BPF_ALU | BPF_LSH | BPF_K, 2);
	op(a, BPF_ALU | BPF_ADD | BPF_K, GENEVE_HLEN);
	op(a, BPF_ALU | BPF_ADD | BPF_X, 0);
	op(a, BPF_MISC | BPF_TAX, 0);
	op(a, BPF_LD | BPF_MEM, M_NEXT);
	jump_if(a, BPF_JEQ, ETH_TEB, inner_eth, far(a, f, in->ether));
}

/* GTPv1-U, 3GPP TS 29.281 5.1 (X = its header): a G-PDU, its optional
 * fields and up to FANOUT_GTP_EXT extension headers, then IPv4 or IPv6. */
static void gtpu(struct asm_prog *a, struct far *f, const struct level *in, int hash)
{
	int gpdu = label(a), fields = label(a), opt = label(a), ip = label(a);
	int ext = label(a);

	ld_at(a, BPF_B, 0);
	op(a, BPF_ST, M_FLAGS);
	op(a, BPF_ALU | BPF_AND | BPF_K, 0xf0);
	jump_if(a, BPF_JEQ, GTP_V1, gpdu, far(a, f, hash));
	place(a, gpdu);
	ld_at(a, BPF_B, 1);
	jump_if(a, BPF_JEQ, GTP_GPDU, fields, far(a, f, hash));
	place(a, fields);
	advance(a, GTP_HLEN);
	op(a, BPF_LD | BPF_MEM, M_FLAGS);
	jump_if(a, BPF_JSET, GTP_OPTIONAL, opt, ip);
	place(a, opt); /* | sequence | N-PDU | next extension type | */
	ld_at(a, BPF_B, 3);
	op(a, BPF_ST, M_NEXT);
	advance(a, 4);
	op(a, BPF_LD | BPF_MEM, M_FLAGS);
	jump_if(a, BPF_JSET, GTP_E, ext, ip);
	place(a, ext);
	for (int i = 0; i < FANOUT_GTP_EXT; i++) {

		op(a, BPF_LD | BPF_MEM, M_NEXT);
		jump_if(a, BPF_JEQ, 0, ip, NO_LABEL);
		/* | length in 4 bytes | content | next type | */
		ld_at(a, BPF_B, 0);
		op(a, BPF_ALU | BPF_LSH | BPF_K, 2);
		op(a, BPF_ALU | BPF_SUB | BPF_K, 1);
		op(a, BPF_ALU | BPF_ADD | BPF_X, 0);
		op(a, BPF_MISC | BPF_TAX, 0);
		ld_at(a, BPF_B, 0);
		op(a, BPF_ST, M_NEXT);
		advance(a, 1);
	}
	op(a, BPF_LD | BPF_MEM, M_NEXT);
	jump_if(a, BPF_JEQ, 0, ip, far(a, f, hash));
	place(a, ip);
	ip_by_version(a, f, in, hash);
}

/* GRE, RFC 2784 with RFC 2890's key and sequence (X = its header):
 * version 0 without RFC 1701 routing, then what its Protocol Type says. */
static void gre(struct asm_prog *a, struct far *f, const struct level *in, int inner_eth, int hash)
{
	static const uint32_t optional[] = {GRE_C, GRE_K, GRE_S};

	ld_at(a, BPF_H, 0);
	jump_if(a, BPF_JSET, GRE_UNPARSED, far(a, f, hash), NO_LABEL);
	op(a, BPF_ST, M_FLAGS);
	ld_at(a, BPF_H, 2);
	op(a, BPF_ST, M_NEXT);
	advance(a, 4);
	for (size_t i = 0; i < sizeof optional / sizeof optional[0]; i++) {
		int present = label(a), absent = label(a);

		op(a, BPF_LD | BPF_MEM, M_FLAGS);
		jump_if(a, BPF_JSET, optional[i], present, absent);
		place(a, present);
		advance(a, 4);
		place(a, absent);
	}
	op(a, BPF_LD | BPF_MEM, M_NEXT);
	jump_if(a, BPF_JEQ, ETH_TEB, inner_eth, far(a, f, in->ether));
}

/* A = IP protocol, X = its header: the tunnels into level in. */
static void tunnel_block(struct asm_prog *a, const struct level *lv, const struct level *in,
			 int hash)
{
	struct far f = {0};
	int udp = label(a), gre_at = label(a);
	int vxlan = label(a), geneve_at = label(a);
	int gtpu_at = label(a), inner_eth = label(a);

	place(a, lv->transport);
	jump_if(a, BPF_JEQ, PROTO_IPIP, far(a, &f, in->ipv4), NO_LABEL);
	jump_if(a, BPF_JEQ, PROTO_IPV6, far(a, &f, in->ipv6), NO_LABEL);
	jump_if(a, BPF_JEQ, PROTO_GRE, gre_at, NO_LABEL);
	jump_if(a, BPF_JEQ, PROTO_UDP, udp, far(a, &f, hash));
	place(a, udp); /* tunnels by destination port, as the decoder */
	ld_at(a, BPF_H, 2);
	jump_if(a, BPF_JEQ, PORT_VXLAN, vxlan, NO_LABEL);
	jump_if(a, BPF_JEQ, PORT_GENEVE, geneve_at, NO_LABEL);
	jump_if(a, BPF_JEQ, PORT_GTPU, gtpu_at, far(a, &f, hash));
	place(a, vxlan); /* RFC 7348 5: 8 bytes, then an Ethernet frame */
	advance(a, UDP_HLEN + VXLAN_HLEN);
	jump(a, inner_eth);
	place(a, geneve_at);
	advance(a, UDP_HLEN);
	geneve(a, &f, in, inner_eth, hash);
	place(a, gtpu_at);
	advance(a, UDP_HLEN);
	gtpu(a, &f, in, hash);
	place(a, gre_at);
	gre(a, &f, in, inner_eth, hash);
	place(a, inner_eth); /* X = an Ethernet frame */
	ld_at(a, BPF_H, ETH_TYPE_AT);
	op(a, BPF_ST, M_NEXT);
	advance(a, ETH_HLEN);
	op(a, BPF_LD | BPF_MEM, M_NEXT);
	jump(a, in->ether);
	far_end(a, &f);
}

/* Where the parse starts: the form the kernel runs, or a whole frame. */
enum start { START_KERNEL, START_FRAME };

static void prologue(struct asm_prog *a, enum start start, int ether)
{
	op(a, BPF_LD | BPF_IMM, 0); /* no pair read: worker 0 */
	op(a, BPF_ST, M_HASH);
	if (start == START_KERNEL) {
		/* Sent frames: skb->data at the Ethernet header.  Received
		 * ones: at the network header, skb->protocol its type (after
		 * the first tag, which the kernel moved out of the frame). */
		int sent = label(a);

		op(a, BPF_LD | BPF_W | BPF_ABS, (uint32_t)(SKF_AD_OFF + SKF_AD_PKTTYPE));
		jump_if(a, BPF_JEQ, PACKET_OUTGOING, sent, NO_LABEL);
		op(a, BPF_LD | BPF_W | BPF_ABS, (uint32_t)(SKF_AD_OFF + SKF_AD_PROTOCOL));
		op(a, BPF_LDX | BPF_W | BPF_IMM, 0);
		jump(a, ether);
		place(a, sent);
	}
	op(a, BPF_LD | BPF_H | BPF_ABS, ETH_TYPE_AT);
	op(a, BPF_LDX | BPF_W | BPF_IMM, ETH_HLEN);
}

static size_t build(unsigned nworkers, enum start start, struct bpf_insn *prog, size_t cap)
{
	struct asm_prog a = {.insn = prog, .cap = cap};
	struct level lv[CS_FANOUT_IP_LEVELS];
	int hash;

	if (nworkers < 1 || nworkers > CS_MAX_WORKERS || !prog)
		return 0;
	hash = label(&a);
	for (int l = 0; l < CS_FANOUT_IP_LEVELS; l++) {
		lv[l].ether = label(&a);
		lv[l].ipv4 = label(&a);
		lv[l].ipv6 = label(&a);
		lv[l].transport = l + 1 < CS_FANOUT_IP_LEVELS ? label(&a) : NO_LABEL;
	}
	prologue(&a, start, lv[0].ether);
	for (int l = 0; l < CS_FANOUT_IP_LEVELS; l++) {
		ether_block(&a, &lv[l], hash);
		ipv4_block(&a, &lv[l], hash);
		ipv6_block(&a, &lv[l], hash);
		if (l + 1 < CS_FANOUT_IP_LEVELS)
			tunnel_block(&a, &lv[l], &lv[l + 1], hash);
	}
	/* Symmetric by the XOR; the product's high half mixes every bit. */
	place(&a, hash);
	op(&a, BPF_LD | BPF_MEM, M_HASH);
	op(&a, BPF_ALU | BPF_MUL | BPF_K, FANOUT_MIX);
	op(&a, BPF_ALU | BPF_RSH | BPF_K, 16);
	op(&a, BPF_ALU | BPF_MOD | BPF_K, nworkers);
	op(&a, BPF_RET | BPF_A, 0);
	return resolve(&a);
}

size_t fanout_program(unsigned nworkers, struct bpf_insn *prog, size_t cap)
{
	return build(nworkers, START_KERNEL, prog, cap);
}

size_t fanout_program_frame(unsigned nworkers, struct bpf_insn *prog, size_t cap)
{
	return build(nworkers, START_FRAME, prog, cap);
}

unsigned fanout_worker_of(const uint8_t *frame, uint32_t len, unsigned nworkers)
{
	struct bpf_insn prog[CS_FANOUT_PROG_MAX];

	if (!fanout_program_frame(nworkers, prog, CS_FANOUT_PROG_MAX))
		return 0;
	return bpf_filter(prog, frame, len, len);
}

/* ------------------------------------------------------------------ the group */

uint16_t fanout_group_id(void)
{
	uint32_t pid = (uint32_t)getpid();

	return (uint16_t)(pid ^ pid >> 16);
}

static enum cs_status fail(char *err, size_t errlen, const char *what, int e)
{
	snprintf(err, errlen, "%s: %s", what, strerror(e));
	return CS_IO;
}

/* setsockopt(PACKET_FANOUT): id and type_flags in one int. */
static int fanout_opt(int fd, uint16_t id, unsigned type_flags)
{
	int val = (int)(id | type_flags << 16);

	return setsockopt(fd, SOL_PACKET, PACKET_FANOUT, &val, sizeof val);
}

/* The program, for the whole group (any member may set it). */
static enum cs_status set_program(int fd, unsigned nworkers, char *err, size_t errlen)
{
	struct bpf_insn prog[CS_FANOUT_PROG_MAX];
	size_t n = fanout_program(nworkers, prog, CS_FANOUT_PROG_MAX);
	struct sock_fprog fprog = {.len = (unsigned short)n, .filter = (struct sock_filter *)prog};

	if (setsockopt(fd, SOL_PACKET, PACKET_FANOUT_DATA, &fprog, sizeof fprog) != 0)
		return fail(err, errlen, "fanout program (PACKET_FANOUT_DATA)", errno);
	return CS_OK;
}

/*
 * The program's group takes no FLAG_DEFRAG: the address pair already brings
 * a datagram's fragments to its flow's worker, whose defragmenter reads them
 * as a file run does (overlaps counted, the first copy kept), where the
 * kernel's would drop a datagram with overlapping fragments.  The kernel's
 * hash of the fallback takes ports, so there the kernel reassembles IPv4
 * first.
 */
enum cs_status fanout_join(int fd, uint16_t group_id, unsigned nworkers, char *err, size_t errlen)
{
	const unsigned defrag = PACKET_FANOUT_FLAG_DEFRAG;

	if (nworkers < 1 || nworkers > CS_MAX_WORKERS) {
		snprintf(err, errlen, "fanout: %u workers: out of range 1..%d", nworkers,
			 CS_MAX_WORKERS);
		return CS_LIMIT;
	}
	if (fanout_opt(fd, group_id, PACKET_FANOUT_CBPF) == 0)
		return set_program(fd, nworkers, err, errlen);
	if (errno != EINVAL)
		return fail(err, errlen, "fanout group (PACKET_FANOUT)", errno);
	if (fanout_opt(fd, group_id, PACKET_FANOUT_HASH | defrag) != 0)
		return fail(err, errlen, "fanout group (PACKET_FANOUT)", errno);
	snprintf(err, errlen,
		 "warning: the kernel refused the fanout program (PACKET_FANOUT_CBPF): workers "
		 "share by the kernel's flow hash, tunnels are not balanced and IPv6 fragments "
		 "may reach another worker than their flow");
	return CS_OK;
}
