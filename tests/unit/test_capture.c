/*
 * test_capture.c - packet sources: pcap and pcapng files built byte by byte
 * here (both byte orders, every block type, two sections), every
 * truncation, corrupt lengths, flipped bytes, files that are not captures,
 * standard input as a pipe, BPF filters per link type, a real pcapng file,
 * and live capture on "lo" (root only).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "cs_capture.h"
#include "cs_limits.h"

#define REAL_PCAPNG "pcaps/real/pcapplusplus__pcapng-example.pcapng"
#define NS(s, frac) ((int64_t)(s)*CS_NS_PER_SEC + (frac))

/* Image builder --------------------------------------------------------------- */

/* A capture file under construction, in one byte order at a time.  It
 * remembers where records end (clean-EOF points) and where frames end. */
struct img {
	uint8_t *b;
	size_t n, cap;
	bool le;
	size_t bound[512], fend[512];
	unsigned nbound, nframe;
};

static void put(struct img *im, const void *p, size_t n)
{
	if (im->n + n > im->cap) {
		im->cap = (im->n + n) * 2;
		im->b = realloc(im->b, im->cap);
		assert_non_null(im->b);
	}
	if (n)
		memcpy(im->b + im->n, p, n);
	im->n += n;
}

static void put_uint(struct img *im, uint64_t v, unsigned bytes)
{
	uint8_t b[8];

	for (unsigned i = 0; i < bytes; i++)
		b[im->le ? i : bytes - 1 - i] = (uint8_t)(v >> (8 * i));
	put(im, b, bytes);
}

static void put16(struct img *im, uint64_t v) { put_uint(im, v, 2); }
static void put32(struct img *im, uint64_t v) { put_uint(im, v, 4); }

static void poke32(uint8_t *b, bool le, uint32_t v)
{
	for (unsigned i = 0; i < 4; i++)
		b[le ? i : 3 - i] = (uint8_t)(v >> (8 * i));
}

static void patch32(struct img *im, size_t at, uint32_t v) { poke32(im->b + at, im->le, v); }

static void pad4(struct img *im)
{
	static const uint8_t z[4];

	put(im, z, (4 - im->n % 4) % 4);
}

static void mark_end(struct img *im, bool frame)
{
	if (im->nbound < CS_ARRAY_LEN(im->bound))
		im->bound[im->nbound++] = im->n;
	if (frame && im->nframe < CS_ARRAY_LEN(im->fend))
		im->fend[im->nframe++] = im->n;
}

/* pcap: header, then records (draft-ietf-opsawg-pcap). */
static void pcap_hdr(struct img *im, bool le, bool ns, uint32_t linktype)
{
	im->le = le;
	put32(im, ns ? 0xa1b23c4d : 0xa1b2c3d4);
	put16(im, 2);
	put16(im, 4);
	put32(im, 0);
	put32(im, 0);
	put32(im, 65535);
	put32(im, linktype);
	mark_end(im, false);
}

static void pcap_rec(struct img *im, uint32_t sec, uint32_t frac, const void *d, uint32_t caplen,
		     uint32_t wirelen)
{
	put32(im, sec);
	put32(im, frac);
	put32(im, caplen);
	put32(im, wirelen);
	put(im, d, caplen);
	mark_end(im, true);
}

/* pcapng: blk_open writes type and a length patched by blk_close. */
static size_t blk_open(struct img *im, uint32_t type)
{
	size_t at = im->n;

	put32(im, type);
	put32(im, 0);
	return at;
}

static void blk_close(struct img *im, size_t at, bool frame)
{
	uint32_t len;

	pad4(im);
	len = (uint32_t)(im->n - at + 4);
	patch32(im, at + 4, len);
	put32(im, len);
	mark_end(im, frame);
}

static void opt(struct img *im, uint16_t code, const void *v, uint16_t len)
{
	put16(im, code);
	put16(im, len);
	put(im, v, len);
	pad4(im);
}

static void opt_end(struct img *im) { put32(im, 0); }

static void ng_shb(struct img *im, bool le)
{
	size_t at;

	im->le = le;
	at = blk_open(im, 0x0a0d0d0a);
	put32(im, 0x1a2b3c4d);
	put16(im, 1);
	put16(im, 0);
	put32(im, 0xffffffff);
	put32(im, 0xffffffff);
	opt(im, 4, "chainsniff test", 15); /* shb_userappl */
	opt_end(im);
	blk_close(im, at, false);
}

/* tsresol < 0: no if_tsresol option; off != 0: an if_tsoffset option. */
static void ng_idb(struct img *im, uint16_t linktype, uint32_t snaplen, int tsresol, int64_t off)
{
	size_t at = blk_open(im, 1);
	uint8_t r = (uint8_t)tsresol;
	uint8_t o[8];

	put16(im, linktype);
	put16(im, 0);
	put32(im, snaplen);
	opt(im, 2, "eth0", 4); /* if_name: skipped */
	if (tsresol >= 0)
		opt(im, 9, &r, 1);
	if (off != 0) {
		for (unsigned i = 0; i < 8; i++)
			o[im->le ? i : 7 - i] = (uint8_t)((uint64_t)off >> (8 * i));
		opt(im, 14, o, 8);
	}
	opt_end(im);
	blk_close(im, at, false);
}

static void ng_epb(struct img *im, uint32_t ifid, uint64_t ts, const void *d, uint32_t caplen,
		   uint32_t wirelen)
{
	size_t at = blk_open(im, 6);
	uint32_t flags = 1;

	put32(im, ifid);
	put32(im, ts >> 32);
	put32(im, ts & 0xffffffff);
	put32(im, caplen);
	put32(im, wirelen);
	put(im, d, caplen);
	pad4(im);
	opt(im, 2, &flags, 4); /* epb_flags: skipped */
	opt_end(im);
	blk_close(im, at, true);
}

static void ng_spb(struct img *im, uint32_t wirelen, const void *d, uint32_t n)
{
	size_t at = blk_open(im, 3);

	put32(im, wirelen);
	put(im, d, n);
	blk_close(im, at, true);
}

static void ng_pb(struct img *im, uint16_t ifid, uint64_t ts, const void *d, uint32_t caplen)
{
	size_t at = blk_open(im, 2);

	put16(im, ifid);
	put16(im, 0);
	put32(im, ts >> 32);
	put32(im, ts & 0xffffffff);
	put32(im, caplen);
	put32(im, caplen);
	put(im, d, caplen);
	blk_close(im, at, true);
}

/* A block we do not use, with a body of n bytes. */
static void ng_other(struct img *im, uint32_t type, size_t n)
{
	size_t at = blk_open(im, type);

	for (size_t i = 0; i < n; i++)
		put(im, "\x5a", 1);
	blk_close(im, at, false);
}

static void img_free(struct img *im)
{
	free(im->b);
	memset(im, 0, sizeof *im);
}

/* Frames ---------------------------------------------------------------------- */

static const uint8_t d5[] = {1, 2, 3, 4, 5};
static const uint8_t d7[] = {0x10, 0x11, 0x12, 0x13, 0x14, 0x15, 0x16};
static const uint8_t d12[] = {0x20, 0x21, 0x22, 0x23, 0x24, 0x25,
			      0x26, 0x27, 0x28, 0x29, 0x2a, 0x2b};

/* IPv4 + TCP SYN, 40 bytes, 10.0.0.1 -> 10.0.0.2. */
static size_t ip_tcp(uint8_t *o, uint16_t sport, uint16_t dport)
{
	static const uint8_t ip[20] = {0x45, 0, 0,  40, 0, 1, 0,  0, 64, 6,
				       0,    0, 10, 0,  0, 1, 10, 0, 0,  2};
	uint8_t tcp[20] = {0};

	tcp[0] = (uint8_t)(sport >> 8);
	tcp[1] = (uint8_t)sport;
	tcp[2] = (uint8_t)(dport >> 8);
	tcp[3] = (uint8_t)dport;
	tcp[12] = 0x50;
	tcp[13] = 0x02;
	memcpy(o, ip, 20);
	memcpy(o + 20, tcp, 20);
	return 40;
}

static size_t eth_tcp(uint8_t *o, uint16_t sport, uint16_t dport)
{
	static const uint8_t eth[14] = {2, 0, 0, 0, 0, 2, 2, 0, 0, 0, 0, 1, 0x08, 0};

	memcpy(o, eth, 14);
	return 14 + ip_tcp(o + 14, sport, dport);
}

/* Linux cooked v1: packet type, ARPHRD, address length, address[8], protocol. */
static size_t sll_tcp(uint8_t *o, uint16_t sport, uint16_t dport)
{
	static const uint8_t sll[16] = {0, 0, 0, 1, 0, 6, 2, 0, 0, 0, 0, 1, 0, 0, 0x08, 0};

	memcpy(o, sll, 16);
	return 16 + ip_tcp(o + 16, sport, dport);
}

struct want {
	uint64_t number;
	int64_t ts_ns;
	uint32_t caplen, wirelen;
	int linktype;
	const uint8_t *data;
};

/* Reading --------------------------------------------------------------------- */

struct run {
	enum cs_status open_st, end_st;
	size_t n;
	uint64_t done, total, filtered;
	char fmt[16];
	char err[512];
};

static char *write_temp(const uint8_t *b, size_t n)
{
	char *path = strdup("/tmp/test_capture.XXXXXX");
	int fd;

	assert_non_null(path);
	fd = mkstemp(path);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, b, n), (ssize_t)n);
	close(fd);
	return path;
}

static void check_frame(const struct cs_frame *f, const struct want *w)
{
	assert_int_equal(f->number, w->number);
	assert_true(f->ts_ns == w->ts_ns);
	assert_int_equal(f->caplen, w->caplen);
	assert_int_equal(f->wirelen, w->wirelen);
	assert_int_equal(f->linktype, w->linktype);
	if (w->caplen)
		assert_memory_equal(f->data, w->data, w->caplen);
}

/* Read a source to its end; every frame must equal the next of w (unless w
 * is NULL: flipped bytes make arbitrary but well-formed frames). */
static void run_source(struct cs_source *s, const struct want *w, size_t nw, struct run *r)
{
	struct cs_frame f;

	while ((r->end_st = capture_next(s, &f, r->err, sizeof r->err)) == CS_OK) {
		assert_true(f.caplen <= CS_MAX_CAPLEN);
		if (w) {
			assert_true(r->n < nw);
			check_frame(&f, &w[r->n]);
		}
		r->n++;
	}
	capture_progress(s, &r->done, &r->total);
	r->filtered = capture_filtered(s);
	snprintf(r->fmt, sizeof r->fmt, "%s", capture_format(s));
}

static struct run run_path(const char *path, const char *filter, const struct want *w, size_t nw)
{
	struct cs_capture_opts o = {.filter = filter};
	struct cs_source *s = NULL;
	struct run r;

	memset(&r, 0, sizeof r);
	r.open_st = capture_open_file(path, &o, &s, r.err, sizeof r.err);
	if (r.open_st != CS_OK) {
		assert_null(s);
		assert_true(r.err[0] != '\0');
		return r;
	}
	run_source(s, w, nw, &r);
	capture_close(s);
	return r;
}

/* Write the first len bytes of an image to a temp file and read them. */
static struct run run_image(const struct img *im, size_t len, const char *filter,
			    const struct want *w, size_t nw)
{
	char *path = write_temp(im->b, len);
	struct run r = run_path(path, filter, w, nw);

	unlink(path);
	free(path);
	return r;
}

static void expect_eof(const struct run *r, size_t n)
{
	assert_int_equal(r->open_st, CS_OK);
	assert_int_equal(r->end_st, CS_EOF);
	assert_int_equal(r->n, n);
}

static void expect_bad(const struct run *r, const char *msg)
{
	enum cs_status st = r->open_st != CS_OK ? r->open_st : r->end_st;

	assert_int_equal(st, CS_BAD);
	if (!strstr(r->err, msg))
		fail_msg("error \"%s\" lacks \"%s\"", r->err, msg);
}

/* The first frame of a one-frame image is refused with msg. */
static void expect_image_bad(const struct img *im, const struct want *w, const char *msg)
{
	struct run r = run_image(im, im->n, NULL, w, 1);

	expect_bad(&r, msg);
}

/* Images ---------------------------------------------------------------------- */

/* pcapng: section 1 little-endian (Ethernet with ns, Linux SLL with 2^-10 s
 * and an offset, EPBs, SPBs, a PB, blocks to skip); section 2 big-endian
 * (raw IP, default microseconds). */
static size_t build_pcapng(struct img *im, struct want *w)
{
	size_t n = 0;

	ng_shb(im, true);
	ng_idb(im, 1, 10, 9, 0);
	ng_idb(im, 113, 0, 0x80 | 10, 100);
	ng_epb(im, 0, 1700000000123456789u, d5, 5, 60);
	w[n++] = (struct want){1, NS(1700000000, 123456789), 5, 60, 1, d5};
	ng_epb(im, 1, (UINT64_C(1700000000) << 10) | 512, d7, 7, 7);
	w[n++] = (struct want){2, NS(1700000100, 500000000), 7, 7, 113, d7};
	ng_other(im, 4, 12);  /* NRB */
	ng_spb(im, 3, d5, 3); /* caplen: the original length */
	w[n++] = (struct want){3, NS(1700000100, 500000000), 3, 3, 1, d5};
	ng_spb(im, 100, d12, 12); /* caplen: the snaplen */
	w[n++] = (struct want){4, NS(1700000100, 500000000), 10, 100, 1, d12};
	ng_other(im, 0x40000bad, 20); /* custom */
	ng_other(im, 5, 12);          /* ISB */
	ng_other(im, 0x0a, 16);       /* DSB */
	ng_pb(im, 1, UINT64_C(1700000001) << 10, d12, 12);
	w[n++] = (struct want){5, NS(1700000101, 0), 12, 12, 113, d12};
	ng_shb(im, false);
	ng_idb(im, 101, 65535, -1, 0);
	ng_epb(im, 0, 1700000200000001u, d7, 6, 6);
	w[n++] = (struct want){6, NS(1700000200, 1000), 6, 6, 101, d7};
	ng_epb(im, 0, 1700000200000002u, NULL, 0, 0);
	w[n++] = (struct want){7, NS(1700000200, 2000), 0, 0, 101, NULL};
	return n;
}

static size_t build_pcap(struct img *im, bool le, bool ns, struct want *w)
{
	uint32_t m = ns ? 1 : 1000;

	/* link type 1 with an FCS length in the top bits: masked away */
	pcap_hdr(im, le, ns, 0x24000001);
	pcap_rec(im, 1700000000, 123456, d5, 5, 60);
	w[0] = (struct want){1, NS(1700000000, 123456 * m), 5, 60, 1, d5};
	pcap_rec(im, 1700000001, 0, NULL, 0, 0);
	w[1] = (struct want){2, NS(1700000001, 0), 0, 0, 1, NULL};
	pcap_rec(im, 1700000002, 999999, d12, 12, 1500);
	w[2] = (struct want){3, NS(1700000002, 999999 * m), 12, 1500, 1, d12};
	return 3;
}

/* Tests: well-formed files ------------------------------------------------------ */

/* A whole image of format fmt reads to its end, every frame as in w; the
 * image is freed. */
static void expect_whole_image(struct img *im, const struct want *w, size_t nw, const char *fmt)
{
	struct run r = run_image(im, im->n, NULL, w, nw);

	expect_eof(&r, nw);
	assert_string_equal(r.fmt, fmt);
	assert_int_equal(r.done, im->n);
	assert_int_equal(r.total, im->n);
	img_free(im);
}

static void test_pcap_variants(void **state)
{
	(void)state;
	static const struct {
		bool le, ns;
		const char *fmt;
	} v[] = {{true, false, "pcap"},
		 {false, false, "pcap"},
		 {true, true, "pcap-ns"},
		 {false, true, "pcap-ns"}};

	for (size_t i = 0; i < CS_ARRAY_LEN(v); i++) {
		struct img im = {0};
		struct want w[3];
		size_t nw = build_pcap(&im, v[i].le, v[i].ns, w);

		expect_whole_image(&im, w, nw, v[i].fmt);
	}
}

static void test_pcapng_sections(void **state)
{
	(void)state;
	struct img im = {0};
	struct want w[16];
	size_t nw = build_pcapng(&im, w);

	expect_whole_image(&im, w, nw, "pcapng");
}

/* Blocks we skip are read in pieces: one far larger than the frame buffer. */
static void test_pcapng_large_skipped_block(void **state)
{
	(void)state;
	struct img im = {0};
	struct want w = {1, NS(1, 0), 5, 5, 1, d5};
	struct run r;

	ng_shb(&im, true);
	ng_idb(&im, 1, 0, 6, 0);
	ng_other(&im, 0x0a, 3 * CS_MAX_CAPLEN + 8);
	ng_epb(&im, 0, 1000000, d5, 5, 5);
	r = run_image(&im, im.n, NULL, &w, 1);
	expect_eof(&r, 1);
	r = run_image(&im, im.n - 100, NULL, &w, 1);
	assert_int_equal(r.end_st, CS_TRUNC);
	r = run_image(&im, 100000, NULL, &w, 1);
	assert_int_equal(r.end_st, CS_TRUNC);
	assert_non_null(strstr(r.err, "file ends inside the pcapng block at offset"));
	img_free(&im);
}

/* if_tsresol extremes: 10^-19 and 2^-63 units, and a negative offset. */
static void test_pcapng_tsresol(void **state)
{
	(void)state;
	struct img im = {0};
	struct want w[3] = {
		{1, NS(1, 500000000), 1, 1, 1, d5},
		{2, NS(1, 250000000), 1, 1, 1, d5},
		{3, NS(1699999990, 0), 1, 1, 1, d5},
	};

	ng_shb(&im, false);
	ng_idb(&im, 1, 0, 19, 0);
	ng_idb(&im, 1, 0, 0x80 | 63, 0);
	ng_idb(&im, 1, 0, 0, -10);
	ng_epb(&im, 0, 15000000000000000000u, d5, 1, 1);
	ng_epb(&im, 1, UINT64_C(1) << 63 | UINT64_C(1) << 61, d5, 1, 1);
	ng_epb(&im, 2, 1700000000, d5, 1, 1);
	expect_whole_image(&im, w, 3, "pcapng");
}

/* Tests: truncation -------------------------------------------------------------- */

/* Cut the image at every length: the frames wholly inside are delivered
 * intact, the end is EOF exactly at record boundaries, TRUNC elsewhere. */
static void walk_truncations(const struct img *im, const struct want *w, size_t nw, size_t header)
{
	for (size_t len = 0; len <= im->n; len++) {
		struct run r = run_image(im, len, NULL, w, nw);
		size_t frames = 0;
		bool bound = false;

		for (unsigned i = 0; i < im->nframe; i++)
			frames += im->fend[i] <= len;
		for (unsigned i = 0; i < im->nbound; i++)
			bound |= im->bound[i] == len;
		if (len < 4) {
			assert_int_equal(r.open_st, CS_BAD);
		} else if (len < header) {
			assert_int_equal(r.open_st, CS_TRUNC);
			assert_non_null(strstr(r.err, "file ends inside"));
		} else {
			assert_int_equal(r.open_st, CS_OK);
			assert_int_equal(r.n, frames);
			assert_int_equal(r.end_st, bound ? CS_EOF : CS_TRUNC);
			assert_int_equal(r.done, len);
		}
	}
}

static void test_truncation_pcap(void **state)
{
	(void)state;
	struct img im = {0};
	struct want w[3];
	size_t nw = build_pcap(&im, false, true, w);

	walk_truncations(&im, w, nw, 24);
	img_free(&im);
}

static void test_truncation_pcapng(void **state)
{
	(void)state;
	struct img im = {0};
	struct want w[16];
	size_t nw = build_pcapng(&im, w);

	walk_truncations(&im, w, nw, im.bound[0]);
	img_free(&im);
}

/* Tests: corruption ------------------------------------------------------------- */

static uint32_t get32(const struct img *im, size_t at, bool le)
{
	uint32_t v = 0;

	for (unsigned i = 0; i < 4; i++)
		v |= (uint32_t)im->b[at + (le ? i : 3 - i)] << (8 * i);
	return v;
}

/* Rewrite the leading and then the trailing length of every block with
 * wrong values: the block is refused and every frame before it delivered. */
static void test_pcapng_block_lengths(void **state)
{
	(void)state;
	struct img im = {0};
	struct want w[16];
	size_t nw = build_pcapng(&im, w);
	size_t second_shb = 0;

	for (unsigned b = 1; b < im.nbound && !second_shb; b++)
		if (memcmp(im.b + im.bound[b - 1], "\x0a\x0d\x0d\x0a", 4) == 0)
			second_shb = im.bound[b - 1];
	assert_true(second_shb > 0);
	for (unsigned b = 0; b < im.nbound; b++) {
		size_t start = b == 0 ? 0 : im.bound[b - 1], end = im.bound[b];
		bool le = start < second_shb;
		uint32_t len = get32(&im, start + 4, le);
		size_t frames = 0;

		assert_int_equal(len, end - start);
		for (unsigned i = 0; i < im.nframe; i++)
			frames += im.fend[i] <= start;
		for (int trailer = 0; trailer <= 1; trailer++) {
			const uint32_t bad[] = {0,       4,          7,          8,
						13,      0x7ffffffc, 0xfffffffc, 0xffffffff,
						len + 4, len - 4};
			size_t at = trailer ? end - 4 : start + 4;

			for (size_t k = 0; k < CS_ARRAY_LEN(bad); k++) {
				uint32_t v = bad[k];
				struct run r;

				poke32(im.b + at, le, v);
				r = run_image(&im, im.n, NULL, w, nw);
				poke32(im.b + at, le, len);
				if (r.open_st != CS_OK) {
					assert_int_equal(start, 0);
					assert_true(r.open_st == CS_BAD || r.open_st == CS_TRUNC);
					continue;
				}
				assert_int_equal(r.n, frames);
				assert_true(r.end_st == CS_BAD || r.end_st == CS_TRUNC);
				if (v % 4 != 0 && !trailer) {
					char msg[128];

					snprintf(
						msg, sizeof msg,
						"corrupt pcapng block at offset %zu: block length %u is not a multiple of 4",
						start, v);
					expect_bad(&r, msg);
				}
				if (trailer)
					expect_bad(&r, "does not match the leading length");
			}
		}
	}
	img_free(&im);
}

/* Flip every byte of both images three ways: never a crash, never a frame
 * longer than its record, and always a definite end. */
static void test_byte_flips(void **state)
{
	(void)state;
	struct img ims[2] = {{0}};
	struct want w[16];

	build_pcapng(&ims[0], w);
	build_pcap(&ims[1], true, false, w);
	for (size_t k = 0; k < 2; k++) {
		struct img *im = &ims[k];

		for (size_t i = 0; i < im->n; i++) {
			static const uint8_t masks[] = {0xff, 0x80, 0x01};

			for (size_t m = 0; m < sizeof masks; m++) {
				struct run r;

				im->b[i] ^= masks[m];
				r = run_image(im, im->n, NULL, NULL, 0);
				im->b[i] ^= masks[m];
				if (r.open_st != CS_OK)
					continue;
				assert_true(r.n <= im->nbound);
				assert_true(r.end_st == CS_EOF || r.end_st == CS_TRUNC ||
					    r.end_st == CS_BAD);
			}
		}
		img_free(im);
	}
}

/* One corrupt field at a time, each with its own message. */
static void test_corrupt_fields(void **state)
{
	(void)state;
	struct img im = {0};
	struct want w = {1, NS(1, 0), 5, 5, 1, d5};
	uint8_t big[CS_MAX_PCAPNG_IFACES + 1];

	/* interface id beyond the section's IDBs */
	ng_shb(&im, true);
	ng_idb(&im, 1, 0, 6, 0);
	ng_epb(&im, 1, 0, d5, 5, 5);
	expect_image_bad(&im, &w, "interface id 1 but the section has 1 interface(s)");
	img_free(&im);

	/* caplen beyond the limit, and beyond the block */
	ng_shb(&im, false);
	ng_idb(&im, 1, 0, 6, 0);
	ng_epb(&im, 0, 0, d5, 5, 5);
	im.le = false;
	patch32(&im, im.bound[1] + 20, CS_MAX_CAPLEN + 1);
	expect_image_bad(&im, &w, "captured length 262145 exceeds the limit 262144");
	patch32(&im, im.bound[1] + 20, 40);
	expect_image_bad(&im, &w, "captured length 40 overruns the block");
	img_free(&im);

	/* SPB before any IDB; a block below its minimum length */
	ng_shb(&im, true);
	ng_spb(&im, 5, d5, 5);
	expect_image_bad(&im, &w, "simple packet block before any interface description");
	patch32(&im, im.bound[0] + 4, 12);
	expect_image_bad(&im, &w, "block length 12 is below the minimum 16 for block type 0x3");
	img_free(&im);

	/* a block longer than CS_MAX_PCAPNG_BLOCK */
	ng_shb(&im, true);
	ng_other(&im, 4, 8);
	patch32(&im, im.bound[0] + 4, CS_MAX_PCAPNG_BLOCK + 4);
	expect_image_bad(&im, &w, "exceeds the limit 67108864");
	img_free(&im);

	/* too many interfaces in one section */
	ng_shb(&im, true);
	for (size_t i = 0; i < sizeof big; i++)
		ng_idb(&im, 1, 0, -1, 0);
	expect_image_bad(&im, &w, "more than 256 interfaces in one section");
	img_free(&im);

	/* if_tsresol beyond what fits, and an option overrunning its block */
	ng_shb(&im, true);
	ng_idb(&im, 1, 0, 20, 0);
	expect_image_bad(&im, &w, "if_tsresol 0x14 is out of range");
	patch32(&im, im.bound[0] + 16, 0x00ff0002); /* if_name, 255 bytes */
	expect_image_bad(&im, &w, "option 2 of length 255 overruns the block");
	img_free(&im);

	/* SHB: bad byte-order magic, unknown major version */
	ng_shb(&im, true);
	im.b[8] = 0x00;
	expect_image_bad(&im, &w, "corrupt pcapng block at offset 0: byte-order magic 0x00");
	im.b[8] = 0x4d;
	im.b[12] = 2;
	expect_image_bad(&im, &w, "pcapng version 2.0 is not supported");
	img_free(&im);

	/* pcap: caplen beyond the limit; unknown version */
	pcap_hdr(&im, true, false, 1);
	pcap_rec(&im, 1, 0, d5, 5, 5);
	patch32(&im, 24 + 8, CS_MAX_CAPLEN + 1);
	expect_image_bad(
		&im, &w,
		"corrupt pcap record at offset 24: captured length 262145 exceeds the limit 262144");
	im.b[4] = 3;
	expect_image_bad(&im, &w, "pcap version 3.4 is not supported");
	img_free(&im);
}

static void test_not_captures(void **state)
{
	(void)state;
	static const struct {
		const char *bytes;
		size_t n;
		const char *msg;
	} v[] = {
		{"", 0, "empty file"},
		{"\x1f\x8b\x08\x00\x00\x00", 6,
		 "gzip-compressed capture: decompress it first, e.g. zcat FILE | chainsniff -r -"},
		{"\x1f\x8b", 2, "gzip-compressed capture"},
		{"GET / HTTP/1.1\r\n", 16, "not a pcap or pcapng file (starts with 0x47455420)"},
		{"\xa1\xb2", 2, "not a pcap or pcapng file (only 2 bytes)"},
	};
	struct run r;
	char dir[] = "/tmp/test_capture.XXXXXX";

	for (size_t i = 0; i < CS_ARRAY_LEN(v); i++) {
		char *path = write_temp((const uint8_t *)v[i].bytes, v[i].n);

		r = run_path(path, NULL, NULL, 0);
		expect_bad(&r, v[i].msg);
		unlink(path);
		free(path);
	}
	r = run_path("/nonexistent/x.pcap", NULL, NULL, 0);
	assert_int_equal(r.open_st, CS_IO);
	assert_string_equal(r.err, "No such file or directory");
	assert_non_null(mkdtemp(dir));
	r = run_path(dir, NULL, NULL, 0);
	assert_int_equal(r.open_st, CS_IO);
	assert_string_equal(r.err, "is a directory");
	rmdir(dir);
	capture_close(NULL);
}

/* "-" reads standard input, here a pipe: no size, no seeking. */
static void test_stdin_pipe(void **state)
{
	(void)state;
	struct img im = {0};
	struct want w[16];
	size_t nw = build_pcapng(&im, w);
	struct run r;
	int fds[2], saved = dup(0);

	assert_true(saved >= 0);
	assert_int_equal(pipe(fds), 0);
	assert_true(im.n < 4096); /* fits in the pipe without a writer thread */
	assert_int_equal(write(fds[1], im.b, im.n), (ssize_t)im.n);
	close(fds[1]);
	assert_int_equal(dup2(fds[0], 0), 0);
	close(fds[0]);
	r = run_path("-", NULL, w, nw);
	dup2(saved, 0);
	close(saved);
	clearerr(stdin);
	expect_eof(&r, nw);
	assert_int_equal(r.done, im.n);
	assert_int_equal(r.total, 0);
	img_free(&im);
}

/* A pipe whose writer stays and goes quiet (-r - behind tcpdump -w -).
 * The wait function counts its calls; on the first, if resume, it sends
 * the rest of the image (from "sent" on) and closes the pipe. */
struct quiet {
	int wfd;
	const struct img *im;
	size_t sent;
	bool resume;
	unsigned calls, stop_after; /* 0: never says stop */
};

static bool quiet_wait(void *ctx)
{
	struct quiet *q = ctx;

	q->calls++;
	if (q->calls == 1 && q->resume) {
		assert_int_equal(write(q->wfd, q->im->b + q->sent, q->im->n - q->sent),
				 (ssize_t)(q->im->n - q->sent));
		close(q->wfd);
		q->wfd = -1;
	}
	return q->calls != q->stop_after;
}

/* Open a pipe that holds im's first "sent" bytes, with q as its wait (the
 * file header is read inside the open, so it may wait there). */
static enum cs_status quiet_open(struct quiet *q, const struct img *im, size_t sent,
				 struct cs_source **s)
{
	struct cs_capture_opts o = {.wait = quiet_wait, .wait_ctx = q};
	char path[64], err[256];
	enum cs_status st;
	int fds[2];

	assert_int_equal(pipe(fds), 0);
	assert_true(im->n < 4096); /* fits in the pipe without a writer thread */
	assert_int_equal(write(fds[1], im->b, sent), (ssize_t)sent);
	q->wfd = fds[1];
	q->im = im;
	q->sent = sent;
	snprintf(path, sizeof path, "/dev/fd/%d", fds[0]);
	st = capture_open_file(path, &o, s, err, sizeof err);
	close(fds[0]); /* the source opened a descriptor of its own */
	return st;
}

/* fn at each point where a writer may go quiet: inside the file header,
 * between records, inside a record, before the last byte. */
static void each_quiet_point(void (*fn)(const struct img *im, const struct want *w, size_t nw,
					size_t at))
{
	struct img im = {0};
	struct want w[16];
	size_t nw = build_pcapng(&im, w);
	const size_t at[] = {3, im.bound[1], im.bound[1] + 5, im.n - 1};

	for (size_t i = 0; i < CS_ARRAY_LEN(at); i++)
		fn(&im, w, nw, at[i]);
	img_free(&im);
}

/* Frames until the source stops, each checked against w: how many came;
 * *end says why it stopped. */
static size_t read_checked(struct cs_source *s, const struct want *w, size_t nw,
			   enum cs_status *end)
{
	struct cs_frame f;
	char err[256];
	size_t n = 0;

	while ((*end = capture_next(s, &f, err, sizeof err)) == CS_OK && n < nw)
		check_frame(&f, &w[n++]);
	return n;
}

/* Quiet, then the rest comes and the writer hangs up: one wait, every
 * frame read as from a file, then the clean end. */
static void quiet_then_rest(const struct img *im, const struct want *w, size_t nw, size_t at)
{
	struct quiet q = {.resume = true};
	struct cs_source *s;
	enum cs_status end;

	assert_int_equal(quiet_open(&q, im, at, &s), CS_OK);
	assert_int_equal(read_checked(s, w, nw, &end), nw);
	assert_int_equal(end, CS_EOF);
	assert_int_equal(q.calls, 1);
	capture_close(s);
}

/* The wait says stop while the writer is still there and quiet: CS_EOF
 * there (from the open, inside the first section header), sticky; every
 * frame wholly sent before is read, none after. */
static void quiet_then_stop(const struct img *im, const struct want *w, size_t nw, size_t at)
{
	struct quiet q = {.stop_after = 3}; /* nothing comes: quiet twice, then stop */
	struct cs_source *s = NULL;
	enum cs_status end;
	size_t whole = 0;

	for (unsigned b = 0; b < im->nframe; b++)
		whole += im->fend[b] <= at;
	if (at < im->bound[0]) {
		assert_int_equal(quiet_open(&q, im, at, &s), CS_EOF);
		assert_null(s);
	} else {
		assert_int_equal(quiet_open(&q, im, at, &s), CS_OK);
		assert_int_equal(read_checked(s, w, nw, &end), whole);
		assert_int_equal(end, CS_EOF);
		assert_int_equal(read_checked(s, w, nw, &end), 0); /* sticky, */
		assert_int_equal(end, CS_EOF);
	}
	assert_int_equal(q.calls, 3); /* and no more waiting */
	close(q.wfd);
	capture_close(s);
}

static void test_quiet_pipe_waits(void **state)
{
	(void)state;
	each_quiet_point(quiet_then_rest);
}

static void test_quiet_pipe_stop(void **state)
{
	(void)state;
	each_quiet_point(quiet_then_stop);
}

/* A regular file never waits. */
static void test_regular_file_never_waits(void **state)
{
	(void)state;
	struct img im = {0};
	struct want w[16];
	size_t nw = build_pcapng(&im, w), n = 0;
	char *path = write_temp(im.b, im.n);
	struct quiet q = {.im = &im};
	struct cs_capture_opts o = {.wait = quiet_wait, .wait_ctx = &q};
	struct cs_source *s = NULL;
	struct cs_frame f;
	char err[256];

	assert_int_equal(capture_open_file(path, &o, &s, err, sizeof err), CS_OK);
	while (capture_next(s, &f, err, sizeof err) == CS_OK)
		n++;
	assert_int_equal(n, nw);
	assert_int_equal(q.calls, 0);
	capture_close(s);
	unlink(path);
	free(path);
	img_free(&im);
}

/* Tests: filters ---------------------------------------------------------------- */

static void test_filter_per_linktype(void **state)
{
	(void)state;
	struct img im = {0};
	uint8_t f1[64], f2[64], f3[64], f4[64];
	size_t n1 = eth_tcp(f1, 50000, 443), n2 = eth_tcp(f2, 50000, 80);
	size_t n3 = sll_tcp(f3, 443, 50001), n4 = ip_tcp(f4, 50002, 8080);
	struct want w[] = {
		{1, NS(10, 0), (uint32_t)n1, (uint32_t)n1, 1, f1},
		{3, NS(12, 0), (uint32_t)n3, (uint32_t)n3, 113, f3},
	};
	struct want all[] = {
		{1, NS(10, 0), (uint32_t)n1, (uint32_t)n1, 1, f1},
		{2, NS(11, 0), (uint32_t)n2, (uint32_t)n2, 1, f2},
		{3, NS(12, 0), (uint32_t)n3, (uint32_t)n3, 113, f3},
		{4, NS(13, 0), (uint32_t)n4, (uint32_t)n4, 101, f4},
	};
	struct run r;

	ng_shb(&im, true);
	ng_idb(&im, 1, 0, -1, 0);
	ng_idb(&im, 113, 0, -1, 0);
	ng_idb(&im, 101, 0, -1, 0);
	ng_epb(&im, 0, 10000000, f1, (uint32_t)n1, (uint32_t)n1);
	ng_epb(&im, 0, 11000000, f2, (uint32_t)n2, (uint32_t)n2);
	ng_epb(&im, 1, 12000000, f3, (uint32_t)n3, (uint32_t)n3);
	ng_epb(&im, 2, 13000000, f4, (uint32_t)n4, (uint32_t)n4);

	r = run_image(&im, im.n, "tcp port 443", w, 2);
	expect_eof(&r, 2);
	assert_int_equal(r.filtered, 2);
	r = run_image(&im, im.n, "tcp port 8080", &all[3], 1);
	expect_eof(&r, 1);
	assert_int_equal(r.filtered, 3);
	r = run_image(&im, im.n, "", all, 4);
	expect_eof(&r, 4);
	assert_int_equal(r.filtered, 0);

	/* valid for Ethernet, not for Linux SLL: the file fails there */
	r = run_image(&im, im.n, "ether host 02:00:00:00:00:01", all, 4);
	assert_int_equal(r.n, 2);
	expect_bad(
		&r,
		"filter \"ether host 02:00:00:00:00:01\" does not compile for link type 113 (LINUX_SLL): ");
	img_free(&im);
}

static void test_check_filter(void **state)
{
	(void)state;
	char err[512] = "";

	assert_int_equal(capture_check_filter(NULL, err, sizeof err), CS_OK);
	assert_int_equal(capture_check_filter("", err, sizeof err), CS_OK);
	assert_int_equal(capture_check_filter("tcp port 443 or (vlan and tcp)", err, sizeof err),
			 CS_OK);
	assert_int_equal(capture_check_filter("tcp port", err, sizeof err), CS_BAD);
	assert_non_null(strstr(err, "invalid filter \"tcp port\": "));
	assert_int_equal(capture_check_filter("port 99999", err, sizeof err), CS_BAD);
	assert_non_null(strstr(err, "99999"));
}

/* Tests: a real file -------------------------------------------------------------- */

/* Dumpcap output with two interfaces of different link types, which
 * libpcap 1.10 refuses to read. */
static void test_real_pcapng(void **state)
{
	(void)state;
	struct cs_source *s = NULL;
	struct cs_frame f;
	char err[512];
	uint64_t n = 0, eth = 0, sll = 0, last = 0, done, total;
	enum cs_status st;

	if (access(REAL_PCAPNG, R_OK) != 0)
		fail_msg("%s is missing (run from the repository root)", REAL_PCAPNG);
	assert_int_equal(capture_open_file(REAL_PCAPNG, NULL, &s, err, sizeof err), CS_OK);
	assert_string_equal(capture_format(s), "pcapng");
	while ((st = capture_next(s, &f, err, sizeof err)) == CS_OK) {
		assert_int_equal(f.number, ++last);
		eth += f.linktype == 1;
		sll += f.linktype == 113;
		n++;
	}
	assert_int_equal(st, CS_EOF);
	assert_int_equal(n, 159);
	assert_int_equal(eth, 59);
	assert_int_equal(sll, 100);
	capture_progress(s, &done, &total);
	assert_int_equal(done, total);
	assert_int_equal(total, 26200);
	assert_false(capture_stats(s, &n, &n, &n));
	capture_close(s);
}

/* Tests: live ---------------------------------------------------------------------- */

static void test_live_lo(void **state)
{
	(void)state;
	struct cs_capture_opts o = {.filter = "udp and dst port 39999 and host 127.0.0.1"};
	struct sockaddr_in to = {.sin_family = AF_INET, .sin_port = htons(39999)};
	struct cs_source *s = NULL;
	struct cs_frame f;
	char err[512];
	uint64_t recv, drop, ifdrop;
	enum cs_status st = CS_MORE;
	int fd;

	if (geteuid() != 0)
		skip();
	st = capture_open_live("lo", &o, &s, err, sizeof err);
	if (st != CS_OK)
		fail_msg("open lo: %s", err);
	assert_string_equal(capture_format(s), "live");
	assert_int_equal(capture_next(s, &f, err, sizeof err), CS_MORE); /* quiet: timeout */
	to.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	fd = socket(AF_INET, SOCK_DGRAM, 0);
	assert_true(fd >= 0);
	assert_int_equal(sendto(fd, "chainsniff", 10, 0, (struct sockaddr *)&to, sizeof to), 10);
	close(fd);
	for (int i = 0; i < 50 && (st = capture_next(s, &f, err, sizeof err)) == CS_MORE; i++)
		;
	assert_int_equal(st, CS_OK);
	assert_int_equal(f.linktype, 1); /* Linux loopback looks like Ethernet */
	assert_int_equal(f.number, 1);
	assert_int_equal(f.caplen, 14 + 20 + 8 + 10);
	assert_int_equal(f.wirelen, f.caplen);
	assert_memory_equal(f.data + 42, "chainsniff", 10);
	assert_true(f.ts_ns > NS(1600000000, 0));
	assert_true(capture_stats(s, &recv, &drop, &ifdrop));
	assert_true(recv >= 1);
	capture_break(s);
	assert_int_equal(capture_next(s, &f, err, sizeof err), CS_EOF);
	capture_close(s);
}

static void test_live_missing_iface(void **state)
{
	(void)state;
	struct cs_source *s = NULL;
	char err[512] = "";
	enum cs_status st = capture_open_live("cs-nosuch0", NULL, &s, err, sizeof err);

	assert_int_not_equal(st, CS_OK);
	assert_null(s);
	if (geteuid() == 0)
		assert_non_null(strstr(err, "no such interface (available: "));
	else
		assert_true(strstr(err, "no such interface") || strstr(err, "permission denied"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_pcap_variants),
		cmocka_unit_test(test_pcapng_sections),
		cmocka_unit_test(test_pcapng_large_skipped_block),
		cmocka_unit_test(test_pcapng_tsresol),
		cmocka_unit_test(test_truncation_pcap),
		cmocka_unit_test(test_truncation_pcapng),
		cmocka_unit_test(test_pcapng_block_lengths),
		cmocka_unit_test(test_byte_flips),
		cmocka_unit_test(test_corrupt_fields),
		cmocka_unit_test(test_not_captures),
		cmocka_unit_test(test_stdin_pipe),
		cmocka_unit_test(test_quiet_pipe_waits),
		cmocka_unit_test(test_quiet_pipe_stop),
		cmocka_unit_test(test_regular_file_never_waits),
		cmocka_unit_test(test_filter_per_linktype),
		cmocka_unit_test(test_check_filter),
		cmocka_unit_test(test_real_pcapng),
		cmocka_unit_test(test_live_lo),
		cmocka_unit_test(test_live_missing_iface),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
