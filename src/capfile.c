/*
 * capfile.c - pcap and pcapng file reader (cs_capfile.h).
 * Owns the FILE*, the one frame buffer and the current pcapng section's
 * interface table.  Reads forward only, so pipes work; blocks it does not
 * use are read and discarded in pieces, never buffered whole.
 * Policy: every length is checked against its block and against
 * cs_limits.h before anything it covers is read.  A file that ends inside a
 * record is CS_TRUNC; a record that contradicts itself is CS_BAD with its
 * byte offset.  An absurd timestamp is clamped, not fatal.
 * References: draft-ietf-opsawg-pcap (pcap), draft-ietf-opsawg-pcapng
 * (pcapng; section numbers below), libpcap sf-pcap.c and sf-pcapng.c.
 */
#include "cs_capfile.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cs_cursor.h"
#include "cs_limits.h"

#define PCAP_MAGIC_US 0xa1b2c3d4u
#define PCAP_MAGIC_NS 0xa1b23c4du
#define PCAP_LINKTYPE_MASK 0xffffu /* the top bits carry the FCS length */

#define NG_SHB 0x0a0d0d0au
#define NG_IDB 1u
#define NG_PB 2u /* obsolete Packet Block */
#define NG_SPB 3u
#define NG_EPB 6u
#define NG_BOM 0x1a2b3c4du
#define NG_BOM_SWAPPED 0x4d3c2b1au

/* Minimum total lengths: type, length and trailer (12) plus the fixed body. */
#define NG_MIN_BLOCK 12u
#define NG_MIN_SHB 28u
#define NG_MIN_IDB 20u
#define NG_MIN_SPB 16u
#define NG_MIN_EPB 32u /* and PB */

#define NG_OPT_END 0
#define NG_OPT_IF_TSRESOL 9
#define NG_OPT_IF_TSOFFSET 14

/* Bytes read ahead with one read(2): a record costs no syscall and no
 * copy; a record crossing the end is moved to the front first. */
#define CAPFILE_READ (1u << 20)
#define CAPFILE_IN (CAPFILE_READ + CS_MAX_CAPLEN + 64u)
/* Frame data is read with its pcapng padding. */
#define CAPFILE_BUF (CS_MAX_CAPLEN + 3u)
/* Whole seconds that still fit in int64 nanoseconds (year 2262). */
#define TS_MAX_SEC (INT64_MAX / CS_NS_PER_SEC - 1)

enum capfile_fmt { CAPFILE_PCAP, CAPFILE_PCAP_NS, CAPFILE_PCAPNG };

/* One Interface Description Block of the current section. */
struct ng_iface {
	int linktype;
	uint32_t snaplen;   /* 0: no limit */
	bool tsres_pow2;    /* units of 2^-exp seconds, else 10^-exp */
	uint8_t tsres_exp;  /* 6 (microseconds) unless if_tsresol says */
	int64_t tsoffset_s; /* if_tsoffset: seconds added to every time */
};

/* The block being read: body bytes left before its trailing length. */
struct ng_block {
	uint32_t type;
	uint32_t len;
	uint32_t left;
};

struct capfile {
	int fd;
	bool own_fd;     /* false for standard input */
	bool stream;     /* a pipe, FIFO, socket or terminal: may go quiet */
	cs_wait_fn wait; /* called while it is (cs_capture.h), or NULL */
	void *wait_ctx;
	uint8_t *in;           /* CAPFILE_IN bytes read ahead: frames are handed */
	size_t in_pos, in_len; /* out from here, not copied */
	enum capfile_fmt fmt;
	bool le; /* byte order of the file or current section */
	int pcap_linktype;
	enum cs_status done; /* sticky end; CS_OK while reading */
	uint64_t off, size, number;
	int64_t last_ts;  /* for SPBs, which carry no time */
	const char *unit; /* what is being read, for messages, */
	uint64_t unit_at; /* and where it starts */
	unsigned niface;
	struct ng_iface iface[CS_MAX_PCAPNG_IFACES];
	uint8_t *buf;          /* CAPFILE_BUF: the current pcapng frame */
	uint8_t scratch[4096]; /* skipped bytes pass through here */
	char why[256];
};

/* Messages ----------------------------------------------------------------- */

__attribute__((format(printf, 3, 4))) static enum cs_status
why(struct capfile *cf, enum cs_status st, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(cf->why, sizeof cf->why, fmt, ap);
	va_end(ap);
	return st;
}

/* CS_BAD: "corrupt pcapng block at offset 1234: <reason>". */
__attribute__((format(printf, 2, 3))) static enum cs_status corrupt(struct capfile *cf,
								    const char *fmt, ...)
{
	va_list ap;
	int n;

	n = snprintf(cf->why, sizeof cf->why, "corrupt %s at offset %llu: ", cf->unit,
		     (unsigned long long)cf->unit_at);
	if (n < 0 || (size_t)n >= sizeof cf->why)
		return CS_BAD;
	va_start(ap, fmt);
	vsnprintf(cf->why + n, sizeof cf->why - (size_t)n, fmt, ap);
	va_end(ap);
	return CS_BAD;
}

static void unit(struct capfile *cf, const char *what)
{
	cf->unit = what;
	cf->unit_at = cf->off;
}

/* Input --------------------------------------------------------------------- */

/* Before a read of a stream: wait until it has bytes (or an end or an
 * error, which read() then reports), calling cf->wait while it is quiet or
 * a signal broke the wait.  CS_EOF when that says stop. */
static enum cs_status io_wait(struct capfile *cf)
{
	struct pollfd p = {.fd = cf->fd, .events = POLLIN};

	if (!cf->stream || !cf->wait)
		return CS_OK;
	for (;;) {
		int n = poll(&p, 1, CS_STREAM_WAIT_MS);

		if (n > 0 || (n < 0 && errno != EINTR))
			return CS_OK;
		if (!cf->wait(cf->wait_ctx))
			return why(cf, CS_EOF, "stopped");
	}
}

/* Make n bytes (at most CAPFILE_IN) contiguous at in + in_pos, reading as
 * needed; fewer at the end of input.  CS_IO with cf->why set on a read
 * error, CS_EOF when the wait function said stop. */
static enum cs_status io_fill(struct capfile *cf, size_t n, size_t *have)
{
	if (cf->in_len - cf->in_pos < n && cf->in_pos > 0) { /* move the tail to the front */
		memmove(cf->in, cf->in + cf->in_pos, cf->in_len - cf->in_pos);
		cf->in_len -= cf->in_pos;
		cf->in_pos = 0;
	}
	while (cf->in_len - cf->in_pos < n) {
		enum cs_status st = io_wait(cf);
		ssize_t got;

		if (st != CS_OK)
			return st;
		got = read(cf->fd, cf->in + cf->in_len,
			   CAPFILE_IN - cf->in_len < CAPFILE_READ ? CAPFILE_IN - cf->in_len
								  : CAPFILE_READ);
		if (got < 0 && errno == EINTR)
			continue;
		if (got < 0) {
			why(cf, CS_IO, "read error at offset %llu: %s",
			    (unsigned long long)(cf->off + cf->in_len - cf->in_pos),
			    strerror(errno));
			return CS_IO;
		}
		if (got == 0)
			break;
		cf->in_len += (size_t)got;
	}
	*have = cf->in_len - cf->in_pos < n ? cf->in_len - cf->in_pos : n;
	return CS_OK;
}

/* n bytes of input where they lie (valid until the next read).  CS_EOF
 * only if eof_ok and not one byte came. */
static enum cs_status io_view(struct capfile *cf, size_t n, bool eof_ok, const uint8_t **p)
{
	size_t have;
	enum cs_status st = io_fill(cf, n, &have);

	if (st != CS_OK)
		return st;
	*p = cf->in + cf->in_pos;
	cf->in_pos += have;
	cf->off += have;
	if (have == n)
		return CS_OK;
	if (have == 0 && eof_ok)
		return CS_EOF;
	return why(cf, CS_TRUNC, "file ends inside the %s at offset %llu", cf->unit,
		   (unsigned long long)cf->unit_at);
}

/* Read exactly n bytes into dst.  CS_EOF only if eof_ok and not one byte came. */
static enum cs_status io_read(struct capfile *cf, void *dst, size_t n, bool eof_ok)
{
	while (n > 0) { /* in pieces: dst may be larger than the read-ahead */
		size_t k = n < CAPFILE_READ ? n : CAPFILE_READ;
		const uint8_t *p;
		enum cs_status st = io_view(cf, k, eof_ok, &p);

		if (st != CS_OK)
			return st;
		memcpy(dst, p, k);
		dst = (uint8_t *)dst + k;
		n -= k;
		eof_ok = false;
	}
	return CS_OK;
}

/* Read and discard n bytes in pieces: a pipe cannot seek. */
static enum cs_status io_skip(struct capfile *cf, uint64_t n)
{
	while (n > 0) {
		size_t k = n < sizeof cf->scratch ? (size_t)n : sizeof cf->scratch;
		enum cs_status st = io_read(cf, cf->scratch, k, false);

		if (st != CS_OK)
			return st;
		n -= k;
	}
	return CS_OK;
}

/* Time ---------------------------------------------------------------------- */

static int64_t ts_clamp(int64_t s)
{
	return s > TS_MAX_SEC ? TS_MAX_SEC : s < -TS_MAX_SEC ? -TS_MAX_SEC : s;
}

/* Nanoseconds since the epoch, clamped to what int64 holds: a corrupt
 * time is a finding about the capture, not a reason to stop reading. */
static int64_t ts_make(uint64_t sec, int64_t off_s, uint64_t ns)
{
	uint64_t whole = (sec > TS_MAX_SEC ? TS_MAX_SEC : sec) + ns / CS_NS_PER_SEC;
	int64_t s = (int64_t)(whole > TS_MAX_SEC ? TS_MAX_SEC : whole) + ts_clamp(off_s);

	return ts_clamp(s) * CS_NS_PER_SEC + (int64_t)(ns % CS_NS_PER_SEC);
}

/* 10^e for e <= 19 (ng_tsresol refuses more): the largest power of ten in 64 bits. */
static uint64_t pow10_u64(unsigned e)
{
	uint64_t p = 1;

	while (e-- > 0)
		p *= 10;
	return p;
}

/* pcapng 4.2 if_tsresol: the clock counts 10^-exp or 2^-exp seconds. */
static int64_t ng_ts(const struct ng_iface *ifc, uint64_t t)
{
	unsigned e = ifc->tsres_exp;
	uint64_t sec, frac, ns;

	if (ifc->tsres_pow2) {
		sec = t >> e;
		frac = t & ((UINT64_C(1) << e) - 1);
		if (e > 30) { /* keep frac * 10^9 within 64 bits */
			frac >>= e - 30;
			e = 30;
		}
		ns = (frac * (uint64_t)CS_NS_PER_SEC) >> e;
	} else {
		sec = t / pow10_u64(e);
		frac = t % pow10_u64(e);
		ns = e <= 9 ? frac * pow10_u64(9 - e) : frac / pow10_u64(e - 9);
	}
	return ts_make(sec, ifc->tsoffset_s, ns);
}

static enum cs_status frame_out(struct capfile *cf, struct cs_frame *f, int linktype, int64_t ts_ns,
				uint32_t caplen, uint32_t wirelen)
{
	f->ts_ns = ts_ns;
	f->caplen = caplen;
	f->wirelen = wirelen;
	f->linktype = linktype;
	f->number = ++cf->number;
	f->data = cf->buf;
	cf->last_ts = ts_ns;
	return CS_OK;
}

/* pcap ---------------------------------------------------------------------- */

/*
 * pcap file header (draft-ietf-opsawg-pcap 4), in the magic's byte order:
 *   magic u32 | major u16 | minor u16 | reserved1 u32 | reserved2 u32 |
 *   snaplen u32 | FCS len (4 bits) | f | reserved | link type u16
 * The magic (already read) says microseconds or nanoseconds.  snaplen is
 * not needed: every record carries its own lengths, checked against
 * CS_MAX_CAPLEN.
 */
static enum cs_status pcap_header(struct capfile *cf, bool le, bool ns)
{
	uint8_t h[20];
	struct cs_cursor c;
	uint16_t major, minor;
	uint32_t linktype;
	enum cs_status st;

	cf->fmt = ns ? CAPFILE_PCAP_NS : CAPFILE_PCAP;
	cf->le = le;
	cf->unit = "pcap file header";
	cf->unit_at = 0;
	st = io_read(cf, h, sizeof h, false);
	if (st != CS_OK)
		return st;
	cur_init(&c, h, sizeof h); /* exactly the header: reads cannot fail */
	cur_u16e(&c, le, &major);
	cur_u16e(&c, le, &minor);
	cur_skip(&c, 12);
	cur_u32e(&c, le, &linktype);
	if (major != 2)
		return corrupt(cf, "pcap version %u.%u is not supported", major, minor);
	cf->pcap_linktype = (int)(linktype & PCAP_LINKTYPE_MASK);
	return CS_OK;
}

/* pcap record header (draft-ietf-opsawg-pcap 5):
 *   ts seconds u32 | ts micro- or nanoseconds u32 | captured length u32 |
 *   original length u32 | captured bytes */
static enum cs_status pcap_record(struct capfile *cf, struct cs_frame *f)
{
	const uint8_t *h, *data;
	struct cs_cursor c;
	uint32_t sec, frac, caplen, wirelen;
	enum cs_status st;

	unit(cf, "pcap record");
	st = io_view(cf, 16, true, &h);
	if (st != CS_OK)
		return st;
	cur_init(&c, h, 16);
	cur_u32e(&c, cf->le, &sec);
	cur_u32e(&c, cf->le, &frac);
	cur_u32e(&c, cf->le, &caplen);
	cur_u32e(&c, cf->le, &wirelen);
	if (caplen > CS_MAX_CAPLEN)
		return corrupt(cf, "captured length %u exceeds the limit %u", caplen,
			       CS_MAX_CAPLEN);
	st = io_view(cf, caplen, false, &data);
	if (st != CS_OK)
		return st;
	st = frame_out(cf, f, cf->pcap_linktype,
		       ts_make(sec, 0, cf->fmt == CAPFILE_PCAP_NS ? frac : frac * UINT64_C(1000)),
		       caplen, wirelen);
	f->data = data; /* where it lies in the read-ahead: no copy */
	return st;
}

/* pcapng -------------------------------------------------------------------- */

static uint32_t ng_min_len(uint32_t type)
{
	switch (type) {
	case NG_SHB:
		return NG_MIN_SHB;
	case NG_IDB:
		return NG_MIN_IDB;
	case NG_SPB:
		return NG_MIN_SPB;
	case NG_EPB:
	case NG_PB:
		return NG_MIN_EPB;
	default:
		return NG_MIN_BLOCK;
	}
}

static uint32_t pad4(uint32_t n)
{
	return (n + 3u) & ~3u; /* n <= CS_MAX_CAPLEN or 0xffff: no overflow */
}

static bool ng_u64(struct cs_cursor *c, bool le, uint64_t *v)
{
	uint32_t a, b;
	bool ok = cur_u32e(c, le, &a) && cur_u32e(c, le, &b);

	*v = le ? (uint64_t)b << 32 | a : (uint64_t)a << 32 | b;
	return ok;
}

/* Take n bytes of the block body into dst (n must fit what is left). */
static enum cs_status ng_read(struct capfile *cf, struct ng_block *b, void *dst, uint32_t n)
{
	if (n > b->left)
		return corrupt(cf, "block type 0x%x is too short for its contents", b->type);
	b->left -= n;
	return io_read(cf, dst, n, false);
}

static enum cs_status ng_skip(struct capfile *cf, struct ng_block *b, uint32_t n)
{
	if (n > b->left)
		return corrupt(cf, "block type 0x%x is too short for its contents", b->type);
	b->left -= n;
	return io_skip(cf, n);
}

/* A fixed header of n bytes at the block's current place, read into h and
 * c set over exactly those bytes (so no read from c can fail). */
static enum cs_status ng_head(struct capfile *cf, struct ng_block *b, uint8_t *h, uint32_t n,
			      struct cs_cursor *c)
{
	enum cs_status st = ng_read(cf, b, h, n);

	if (st == CS_OK)
		cur_init(c, h, n);
	return st;
}

/* The SHB's body opens with 0x1a2b3c4d in the section's byte order
 * (pcapng 4.1); it decides how the SHB's own length is read. */
static enum cs_status ng_byte_order(struct capfile *cf)
{
	uint8_t h[4];
	struct cs_cursor c;
	uint32_t bom;
	enum cs_status st = io_read(cf, h, sizeof h, false);

	if (st != CS_OK)
		return st;
	cur_init(&c, h, sizeof h);
	cur_u32(&c, &bom);
	if (bom != NG_BOM && bom != NG_BOM_SWAPPED)
		return corrupt(cf, "byte-order magic 0x%08x is invalid", bom);
	cf->le = bom == NG_BOM_SWAPPED;
	return CS_OK;
}

/*
 * Every block (pcapng 3.1):
 *   block type u32 | block total length u32 | body | block total length u32
 * The total length is a multiple of 4 and at least the type's minimum; it
 * is capped so that a corrupt length cannot make us skip gigabytes.
 * h holds the type and length, already read.
 */
static enum cs_status ng_begin(struct capfile *cf, const uint8_t h[8], struct ng_block *b)
{
	struct cs_cursor c;
	uint32_t min;
	enum cs_status st;

	cur_init(&c, h, 8);
	cur_u32e(&c, cf->le, &b->type); /* the SHB type reads the same either way */
	if (b->type == NG_SHB) {
		st = ng_byte_order(cf);
		if (st != CS_OK)
			return st;
	}
	cur_u32e(&c, cf->le, &b->len);
	min = ng_min_len(b->type);
	if (b->len % 4 != 0)
		return corrupt(cf, "block length %u is not a multiple of 4", b->len);
	if (b->len < min)
		return corrupt(cf, "block length %u is below the minimum %u for block type 0x%x",
			       b->len, min, b->type);
	if (b->len > CS_MAX_PCAPNG_BLOCK)
		return corrupt(cf, "block length %u exceeds the limit %u", b->len,
			       CS_MAX_PCAPNG_BLOCK);
	b->left = b->len - NG_MIN_BLOCK - (b->type == NG_SHB ? 4 : 0);
	return CS_OK;
}

/* Skip the rest of the body (options, unknown blocks) and check that the
 * trailing length repeats the leading one. */
static enum cs_status ng_finish(struct capfile *cf, struct ng_block *b)
{
	uint8_t t[4];
	struct cs_cursor c;
	uint32_t len;
	enum cs_status st = ng_skip(cf, b, b->left);

	if (st == CS_OK)
		st = io_read(cf, t, sizeof t, false);
	if (st != CS_OK)
		return st;
	cur_init(&c, t, sizeof t);
	cur_u32e(&c, cf->le, &len);
	if (len != b->len)
		return corrupt(cf, "trailing length %u does not match the leading length %u", len,
			       b->len);
	return CS_OK;
}

/* Section Header Block (pcapng 4.1), after the byte-order magic:
 *   major u16 | minor u16 | section length i64 | options
 * A new section starts a new interface list. */
static enum cs_status ng_shb(struct capfile *cf, struct ng_block *b)
{
	uint8_t h[12];
	struct cs_cursor c;
	uint16_t major, minor;
	enum cs_status st = ng_head(cf, b, h, sizeof h, &c);

	if (st != CS_OK)
		return st;
	cur_u16e(&c, cf->le, &major);
	cur_u16e(&c, cf->le, &minor);
	if (major != 1)
		return corrupt(cf, "pcapng version %u.%u is not supported", major, minor);
	cf->niface = 0;
	return CS_MORE;
}

/* if_tsresol (pcapng 4.2): top bit clear: 10^-v seconds; set: 2^-(v & 0x7f).
 * Beyond 10^-19 or 2^-63 a unit no longer fits our arithmetic. */
static enum cs_status ng_tsresol(struct capfile *cf, struct ng_iface *ifc, uint8_t v)
{
	ifc->tsres_pow2 = (v & 0x80) != 0;
	ifc->tsres_exp = v & 0x7f;
	if (ifc->tsres_exp > (ifc->tsres_pow2 ? 63 : 19))
		return corrupt(cf, "if_tsresol 0x%02x is out of range", v);
	return CS_OK;
}

/*
 * IDB options (pcapng 3.5), one at a time, never buffered whole:
 *   code u16 | length u16 | value, padded to 32 bits
 * opt_endofopt (0) ends the list.  Used: if_tsresol (9, 1 byte) and
 * if_tsoffset (14, 8 bytes); others, and these with a wrong length, skipped.
 */
static enum cs_status ng_idb_options(struct capfile *cf, struct ng_block *b, struct ng_iface *ifc)
{
	while (b->left >= 4) {
		uint8_t h[4], v[8];
		struct cs_cursor c;
		uint16_t code, len;
		uint64_t off;
		enum cs_status st = ng_head(cf, b, h, sizeof h, &c);

		if (st != CS_OK)
			return st;
		cur_u16e(&c, cf->le, &code);
		cur_u16e(&c, cf->le, &len);
		if (code == NG_OPT_END)
			return CS_OK;
		if (pad4(len) > b->left)
			return corrupt(cf, "option %u of length %u overruns the block", code, len);
		if (code == NG_OPT_IF_TSRESOL && len == 1) {
			st = ng_read(cf, b, v, 4);
			if (st == CS_OK)
				st = ng_tsresol(cf, ifc, v[0]);
		} else if (code == NG_OPT_IF_TSOFFSET && len == 8) {
			st = ng_head(cf, b, v, 8, &c);
			if (st == CS_OK && ng_u64(&c, cf->le, &off))
				ifc->tsoffset_s = (int64_t)off;
		} else {
			st = ng_skip(cf, b, pad4(len));
		}
		if (st != CS_OK)
			return st;
	}
	return CS_OK;
}

/* Interface Description Block (pcapng 4.2):
 *   link type u16 | reserved u16 | snaplen u32 | options */
static enum cs_status ng_idb(struct capfile *cf, struct ng_block *b)
{
	uint8_t h[8];
	struct cs_cursor c;
	uint16_t linktype;
	uint32_t snaplen;
	struct ng_iface *ifc;
	enum cs_status st;

	if (cf->niface == CS_MAX_PCAPNG_IFACES)
		return corrupt(cf, "more than %u interfaces in one section", CS_MAX_PCAPNG_IFACES);
	st = ng_head(cf, b, h, sizeof h, &c);
	if (st != CS_OK)
		return st;
	cur_u16e(&c, cf->le, &linktype);
	cur_skip(&c, 2);
	cur_u32e(&c, cf->le, &snaplen);
	ifc = &cf->iface[cf->niface];
	*ifc = (struct ng_iface){.linktype = linktype, .snaplen = snaplen, .tsres_exp = 6};
	st = ng_idb_options(cf, b, ifc);
	if (st != CS_OK)
		return st;
	cf->niface++;
	return CS_MORE;
}

/* Packet data of an EPB or PB: caplen bytes padded to 32 bits. */
static enum cs_status ng_packet(struct capfile *cf, struct ng_block *b, struct cs_frame *f,
				uint32_t ifid, uint64_t ts, uint32_t caplen, uint32_t wirelen)
{
	const struct ng_iface *ifc;
	enum cs_status st;

	if (ifid >= cf->niface)
		return corrupt(cf, "interface id %u but the section has %u interface(s)", ifid,
			       cf->niface);
	if (caplen > CS_MAX_CAPLEN)
		return corrupt(cf, "captured length %u exceeds the limit %u", caplen,
			       CS_MAX_CAPLEN);
	if (pad4(caplen) > b->left)
		return corrupt(cf, "captured length %u overruns the block", caplen);
	st = ng_read(cf, b, cf->buf, pad4(caplen));
	if (st != CS_OK)
		return st;
	ifc = &cf->iface[ifid];
	return frame_out(cf, f, ifc->linktype, ng_ts(ifc, ts), caplen, wirelen);
}

/* Enhanced Packet Block (pcapng 4.3):
 *   interface id u32 | timestamp high u32 | timestamp low u32 |
 *   captured length u32 | original length u32 | data (padded) | options
 * Packet Block, obsolete (pcapng appendix A), the same but its first word:
 *   interface id u16 | drops count u16 | ... */
static enum cs_status ng_epb(struct capfile *cf, struct ng_block *b, struct cs_frame *f,
			     bool obsolete_pb)
{
	uint8_t h[20];
	struct cs_cursor c;
	uint16_t ifid16;
	uint32_t ifid, hi, lo, caplen, wirelen;
	enum cs_status st = ng_head(cf, b, h, sizeof h, &c);

	if (st != CS_OK)
		return st;
	if (obsolete_pb) {
		cur_u16e(&c, cf->le, &ifid16);
		cur_skip(&c, 2);
		ifid = ifid16;
	} else {
		cur_u32e(&c, cf->le, &ifid);
	}
	cur_u32e(&c, cf->le, &hi);
	cur_u32e(&c, cf->le, &lo);
	cur_u32e(&c, cf->le, &caplen);
	cur_u32e(&c, cf->le, &wirelen);
	return ng_packet(cf, b, f, ifid, (uint64_t)hi << 32 | lo, caplen, wirelen);
}

/* Simple Packet Block (pcapng 4.4): original length u32 | data (padded).
 * Interface 0; captured length = min(original length, snaplen, body).  It
 * has no timestamp: the frame gets the previous frame's time. */
static enum cs_status ng_spb(struct capfile *cf, struct ng_block *b, struct cs_frame *f)
{
	uint8_t h[4];
	struct cs_cursor c;
	uint32_t wirelen, caplen;
	const struct ng_iface *ifc = &cf->iface[0];
	enum cs_status st;

	if (cf->niface == 0)
		return corrupt(cf, "simple packet block before any interface description");
	st = ng_head(cf, b, h, sizeof h, &c);
	if (st != CS_OK)
		return st;
	cur_u32e(&c, cf->le, &wirelen);
	caplen = wirelen < b->left ? wirelen : b->left;
	if (ifc->snaplen != 0 && ifc->snaplen < caplen)
		caplen = ifc->snaplen;
	if (caplen > CS_MAX_CAPLEN)
		return corrupt(cf, "captured length %u exceeds the limit %u", caplen,
			       CS_MAX_CAPLEN);
	st = ng_read(cf, b, cf->buf, caplen);
	if (st != CS_OK)
		return st;
	return frame_out(cf, f, ifc->linktype, cf->last_ts, caplen, wirelen);
}

/* One block whose type and length are in h: CS_OK with *f filled for a
 * packet, CS_MORE for any other block (NRB, ISB, DSB, custom: skipped). */
static enum cs_status ng_block(struct capfile *cf, const uint8_t h[8], struct cs_frame *f)
{
	struct ng_block b;
	enum cs_status st, fin;

	st = ng_begin(cf, h, &b);
	if (st != CS_OK)
		return st;
	switch (b.type) {
	case NG_SHB:
		st = ng_shb(cf, &b);
		break;
	case NG_IDB:
		st = ng_idb(cf, &b);
		break;
	case NG_EPB:
		st = ng_epb(cf, &b, f, false);
		break;
	case NG_SPB:
		st = ng_spb(cf, &b, f);
		break;
	case NG_PB:
		st = ng_epb(cf, &b, f, true);
		break;
	default:
		st = CS_MORE;
		break;
	}
	if (st != CS_OK && st != CS_MORE)
		return st;
	fin = ng_finish(cf, &b); /* options are skipped into scratch, not buf */
	return fin != CS_OK ? fin : st;
}

static enum cs_status ng_next(struct capfile *cf, struct cs_frame *f)
{
	enum cs_status st;

	do {
		uint8_t h[8];

		unit(cf, "pcapng block");
		st = io_read(cf, h, sizeof h, true);
		if (st == CS_OK)
			st = ng_block(cf, h, f);
	} while (st == CS_MORE);
	return st;
}

/* The first block must be a Section Header Block; its type is in h. */
static enum cs_status ng_first(struct capfile *cf, uint8_t h[8])
{
	enum cs_status st;

	cf->fmt = CAPFILE_PCAPNG;
	cf->unit = "pcapng block";
	cf->unit_at = 0;
	st = io_read(cf, h + 4, 4, false);
	if (st == CS_OK)
		st = ng_block(cf, h, NULL);
	return st == CS_MORE ? CS_OK : st;
}

/* Opening ------------------------------------------------------------------- */

/* The first four bytes name the format (pcap magic, or the SHB type). */
static enum cs_status capfile_sniff(struct capfile *cf)
{
	uint8_t h[8];
	struct cs_cursor c;
	uint32_t be, le;
	size_t got;
	enum cs_status st = io_fill(cf, 4, &got);

	if (st != CS_OK)
		return st;
	memcpy(h, cf->in, got);
	cf->in_pos = got;
	cf->off = got;
	if (got == 0)
		return why(cf, CS_BAD, "empty file");
	if (got >= 2 && h[0] == 0x1f && h[1] == 0x8b)
		return why(cf, CS_BAD,
			   "gzip-compressed capture: decompress it first, "
			   "e.g. zcat FILE | chainsniff -r -");
	if (got < 4)
		return why(cf, CS_BAD, "not a pcap or pcapng file (only %zu byte%s)", got,
			   got == 1 ? "" : "s");
	cur_init(&c, h, 4);
	cur_u32(&c, &be);
	cur_init(&c, h, 4);
	cur_u32le(&c, &le);
	if (be == PCAP_MAGIC_US || be == PCAP_MAGIC_NS)
		return pcap_header(cf, false, be == PCAP_MAGIC_NS);
	if (le == PCAP_MAGIC_US || le == PCAP_MAGIC_NS)
		return pcap_header(cf, true, le == PCAP_MAGIC_NS);
	if (be == NG_SHB)
		return ng_first(cf, h);
	return why(cf, CS_BAD, "not a pcap or pcapng file (starts with 0x%08x)", be);
}

static enum cs_status capfile_attach(struct capfile *cf, const char *path)
{
	struct stat sb;

	if (strcmp(path, "-") == 0) {
		cf->fd = STDIN_FILENO;
	} else {
		cf->fd = open(path, O_RDONLY | O_CLOEXEC);
		if (cf->fd < 0)
			return why(cf, CS_IO, "%s", strerror(errno));
		cf->own_fd = true;
	}
	/* large reads: a record costs a copy out of this buffer, not a syscall */
	if (fstat(cf->fd, &sb) == 0) {
		if (S_ISDIR(sb.st_mode))
			return why(cf, CS_IO, "is a directory");
		if (S_ISREG(sb.st_mode))
			cf->size = (uint64_t)sb.st_size;
		cf->stream = S_ISFIFO(sb.st_mode) || S_ISSOCK(sb.st_mode) || S_ISCHR(sb.st_mode);
	}
	return CS_OK;
}

enum cs_status capfile_open(const char *path, cs_wait_fn wait, void *wait_ctx, struct capfile **out,
			    char *err, size_t errlen)
{
	struct capfile *cf = calloc(1, sizeof *cf);
	enum cs_status st;

	*out = NULL;
	if (cf) {
		cf->fd = -1;
		cf->wait = wait;
		cf->wait_ctx = wait_ctx;
		cf->buf = malloc(CAPFILE_BUF);
		cf->in = malloc(CAPFILE_IN);
	}
	if (!cf || !cf->buf || !cf->in) {
		if (cf)
			free(cf->buf), free(cf->in);
		free(cf);
		snprintf(err, errlen, "out of memory");
		return CS_NOMEM;
	}
	st = capfile_attach(cf, path);
	if (st == CS_OK)
		st = capfile_sniff(cf);
	if (st != CS_OK) {
		snprintf(err, errlen, "%s", cf->why);
		capfile_close(cf);
		return st;
	}
	*out = cf;
	return CS_OK;
}

enum cs_status capfile_next(struct capfile *cf, struct cs_frame *f, char *err, size_t errlen)
{
	enum cs_status st = cf->done;

	if (st == CS_OK) {
		st = cf->fmt == CAPFILE_PCAPNG ? ng_next(cf, f) : pcap_record(cf, f);
		if (st != CS_OK)
			cf->done = st;
	}
	if (st != CS_OK && st != CS_EOF)
		snprintf(err, errlen, "%s", cf->why);
	return st;
}

const char *capfile_format(const struct capfile *cf)
{
	static const char *const names[] = {
		[CAPFILE_PCAP] = "pcap",
		[CAPFILE_PCAP_NS] = "pcap-ns",
		[CAPFILE_PCAPNG] = "pcapng",
	};

	return names[cf->fmt];
}

void capfile_progress(const struct capfile *cf, uint64_t *done, uint64_t *total)
{
	*done = cf->off;
	*total = cf->size;
}

void capfile_close(struct capfile *cf)
{
	if (!cf)
		return;
	if (cf->own_fd)
		close(cf->fd);
	free(cf->in);
	free(cf->buf);
	free(cf);
}
