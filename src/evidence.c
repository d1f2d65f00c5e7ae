/*
 * evidence.c - --write-broken (cs_evidence.h): the pool of held packets,
 * the pcap files they are written to, and the servers' evidence filters.
 * Owns the pool (reserved once), one scratch frame, and the output files.
 * Policy: holding never allocates and never blocks; a connection that
 * does not fit is cut (counted), never the pool grown.  Records are kept
 * in host byte order: they never leave this process.
 */
#include "cs_evidence.h"
#include "cs_addr.h"
#include "cs_decode.h"
#include "cs_limits.h"

#include <errno.h>
#include <fcntl.h>
#include <pcap/pcap.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define NONE UINT32_MAX
#define EVIDENCE_MODE 0640 /* client addresses and payloads: not world-readable */
#define NO_DLT (-1)

/* A held packet: this header, then caplen bytes of frame. */
struct rec {
	int64_t ts_ns;
	uint32_t caplen, wirelen;
	int32_t linktype;
};

struct ev_out {
	int dlt; /* as pcap_open_dead takes it; NO_DLT: FILE before its first packet */
	char *path;
	FILE *f; /* until the dumper owns it */
	pcap_t *dead;
	pcap_dumper_t *d;
	bool failed; /* said once */
};

struct evidence {
	uint8_t *mem;
	uint32_t *next; /* per chunk: the next of its list */
	uint32_t nchunks, free_head, nfree;
	uint8_t *scratch; /* one frame, reassembled from its chunks for pcap_dump */
	struct ev_out out[CS_EVIDENCE_LINKTYPES];
	size_t nout;
	struct evidence_stats st;
	pthread_mutex_t *mu; /* --workers: packet threads hold, the main one writes */
};

static FILE *create(const char *path)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, EVIDENCE_MODE);
	FILE *f = fd >= 0 ? fdopen(fd, "w") : NULL;

	if (fd >= 0 && !f)
		close(fd);
	return f;
}

struct evidence *evidence_new(const char *path, char *err, size_t errlen)
{
	struct evidence *ev = calloc(1, sizeof(*ev));

	if (!ev || !(ev->out[0].path = strdup(path))) {
		free(ev);
		snprintf(err, errlen, "%s: out of memory", path);
		return NULL;
	}
	ev->nout = 1;
	ev->out[0].dlt = NO_DLT;
	ev->nchunks = CS_EVIDENCE_MEMCAP / CS_EVIDENCE_CHUNK;
	ev->mem = malloc((size_t)ev->nchunks * CS_EVIDENCE_CHUNK); /* pages touched as used */
	ev->next = malloc(ev->nchunks * sizeof(*ev->next));
	ev->scratch = malloc(CS_MAX_CAPLEN);
	ev->mu = malloc(sizeof(*ev->mu));
	if (ev->mu && pthread_mutex_init(ev->mu, NULL) != 0) {
		free(ev->mu);
		ev->mu = NULL;
	}
	if (!ev->mem || !ev->next || !ev->scratch || !ev->mu) {
		snprintf(err, errlen, "%s: out of memory", path);
		evidence_free(ev);
		return NULL;
	}
	for (uint32_t i = 0; i < ev->nchunks; i++)
		ev->next[i] = i + 1 < ev->nchunks ? i + 1 : NONE;
	ev->nfree = ev->nchunks;
	if (!(ev->out[0].f = create(path))) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		evidence_free(ev);
		return NULL;
	}
	return ev;
}

void evidence_free(struct evidence *ev)
{
	if (!ev)
		return;
	for (size_t i = 0; i < ev->nout; i++) {
		if (ev->out[i].d)
			pcap_dump_close(ev->out[i].d);
		else if (ev->out[i].f)
			fclose(ev->out[i].f);
		if (ev->out[i].dead)
			pcap_close(ev->out[i].dead);
		free(ev->out[i].path);
	}
	free(ev->mem);
	free(ev->next);
	free(ev->scratch);
	if (ev->mu)
		pthread_mutex_destroy(ev->mu);
	free(ev->mu);
	free(ev);
}

void evidence_get_stats(const struct evidence *ev, struct evidence_stats *out)
{
	pthread_mutex_lock(ev->mu);
	*out = ev->st;
	pthread_mutex_unlock(ev->mu);
}

/* ---- holding ----------------------------------------------------------------- */

/* Bytes free in b's last chunk. */
static uint32_t tail_room(const struct evidence_buf *b)
{
	uint32_t used = b->bytes % CS_EVIDENCE_CHUNK;

	return b->bytes == 0 || used == 0 ? 0 : CS_EVIDENCE_CHUNK - used;
}

static void put(struct evidence *ev, struct evidence_buf *b, const void *p, uint32_t n)
{
	const uint8_t *src = p;

	while (n > 0) {
		uint32_t room = tail_room(b), k;

		if (room == 0) { /* a new chunk (evidence_hold checked there are enough) */
			uint32_t c = ev->free_head;

			ev->free_head = ev->next[c];
			ev->nfree--;
			ev->next[c] = NONE;
			if (b->bytes == 0)
				b->head = c;
			else
				ev->next[b->tail] = c;
			b->tail = c;
			room = CS_EVIDENCE_CHUNK;
		}
		k = n < room ? n : room;
		memcpy(ev->mem + (size_t)b->tail * CS_EVIDENCE_CHUNK + (CS_EVIDENCE_CHUNK - room),
		       src, k);
		src += k, n -= k, b->bytes += k;
	}
}

static void hold(struct evidence *ev, struct evidence_buf *b, const struct cs_frame *fr)
{
	struct rec r = {fr->ts_ns, fr->caplen, fr->wirelen, fr->linktype};
	uint32_t need = (uint32_t)sizeof(r) + fr->caplen, room = tail_room(b);

	if (b->cut)
		return;
	if (fr->caplen > CS_MAX_CAPLEN || b->bytes + need > CS_EVIDENCE_FLOW_CAP) {
		b->cut = true;
		ev->st.flow_cap++;
		return;
	}
	if (need > room && (need - room + CS_EVIDENCE_CHUNK - 1) / CS_EVIDENCE_CHUNK > ev->nfree) {
		b->cut = true;
		ev->st.memcap++;
		return;
	}
	put(ev, b, &r, sizeof(r));
	put(ev, b, fr->data, fr->caplen);
	if (b->packets < UINT16_MAX)
		b->packets++;
}

static void release(struct evidence *ev, struct evidence_buf *b)
{
	if (b->bytes) {
		ev->next[b->tail] = ev->free_head;
		ev->free_head = b->head;
		ev->nfree += (b->bytes + CS_EVIDENCE_CHUNK - 1) / CS_EVIDENCE_CHUNK;
	}
	memset(b, 0, sizeof(*b));
}

/* ---- writing ----------------------------------------------------------------- */

/* libpcap's savefiles take raw IP as DLT_RAW (12), whatever number the
 * input used for it (LINKTYPE_RAW 101 in files, 12 or 14 live). */
static int dlt_of(int linktype)
{
	return linktype == CS_LINKTYPE_RAW || linktype == CS_DLT_RAW_ALT2 ? CS_DLT_RAW_ALT1
									  : linktype;
}

static bool out_fail(struct ev_out *o, const char *why)
{
	if (!o->failed)
		fprintf(stderr, "chainsniff: %s: %s\n", o->path, why);
	o->failed = true;
	return false;
}

/* Give o its link type and write the pcap header. */
static bool out_start(struct ev_out *o, int dlt)
{
	o->dlt = dlt;
	o->dead = pcap_open_dead_with_tstamp_precision(dlt, CS_MAX_CAPLEN,
						       PCAP_TSTAMP_PRECISION_NANO);
	if (!o->dead)
		return out_fail(o, "out of memory");
	if (!(o->d = pcap_dump_fopen(o->dead, o->f)))
		return out_fail(o, pcap_geterr(o->dead));
	o->f = NULL; /* the dumper's now */
	return true;
}

/* "broken.pcap" + "LINUX_SLL" -> "broken.LINUX_SLL.pcap" ("x" -> "x.LINUX_SLL"). */
static char *derived_path(const char *path, int linktype)
{
	const char *name = decode_linktype_name(linktype), *slash = strrchr(path, '/');
	const char *dot = strrchr(slash ? slash + 1 : path, '.');
	char lt[32];
	size_t n = strlen(path) + sizeof(lt) + 2;
	char *s = malloc(n);

	if (!name)
		snprintf(lt, sizeof(lt), "LINKTYPE_%d", linktype), name = lt;
	if (!s)
		return NULL;
	if (dot && dot != (slash ? slash + 1 : path))
		snprintf(s, n, "%.*s.%s%s", (int)(dot - path), path, name, dot);
	else
		snprintf(s, n, "%s.%s", path, name);
	return s;
}

/* The file of this link type, created if need be; NULL when it cannot be. */
static struct ev_out *out_for(struct evidence *ev, int linktype)
{
	int dlt = dlt_of(linktype);
	struct ev_out *o;

	for (size_t i = 0; i < ev->nout; i++)
		if (ev->out[i].dlt == dlt)
			return ev->out[i].d ? &ev->out[i] : NULL;
	if (ev->out[0].dlt == NO_DLT)
		return out_start(&ev->out[0], dlt) ? &ev->out[0] : NULL;
	if (ev->nout == CS_EVIDENCE_LINKTYPES)
		return NULL;
	o = &ev->out[ev->nout++];
	o->dlt = dlt;
	if (!(o->path = derived_path(ev->out[0].path, linktype)))
		return NULL;
	if (!(o->f = create(o->path))) {
		out_fail(o, strerror(errno));
		return NULL;
	}
	fprintf(stderr, "chainsniff: %s: packets of link type %s (%s holds another)\n", o->path,
		decode_linktype_name(linktype) ? decode_linktype_name(linktype) : "unnamed",
		ev->out[0].path);
	return out_start(o, dlt) ? o : NULL;
}

/* n bytes of the list at (*chunk, *off) into dst, moving on (to the next
 * chunk only when a byte is wanted from it: the last has none). */
static void take(const struct evidence *ev, uint32_t *chunk, uint32_t *off, void *dst, uint32_t n)
{
	uint8_t *d = dst;

	while (n > 0) {
		uint32_t k;

		if (*off == CS_EVIDENCE_CHUNK)
			*chunk = ev->next[*chunk], *off = 0;
		k = CS_EVIDENCE_CHUNK - *off < n ? CS_EVIDENCE_CHUNK - *off : n;
		memcpy(d, ev->mem + (size_t)*chunk * CS_EVIDENCE_CHUNK + *off, k);
		d += k, n -= k, *off += k;
	}
}

static void write_held(struct evidence *ev, struct evidence_buf *b)
{
	uint32_t chunk = b->head, off = 0, done = 0;
	bool ok = true;

	while (done < b->bytes) {
		struct rec r;
		struct pcap_pkthdr h;
		struct ev_out *o;

		take(ev, &chunk, &off, &r, sizeof(r));
		take(ev, &chunk, &off, ev->scratch, r.caplen);
		done += (uint32_t)sizeof(r) + r.caplen;
		if (!(o = out_for(ev, r.linktype))) {
			ev->st.linktypes += ev->nout == CS_EVIDENCE_LINKTYPES;
			ok = false;
			continue;
		}
		/* nanosecond savefile: tv_usec carries nanoseconds (pcap_open_dead_with_tstamp_precision) */
		h.ts.tv_sec = (time_t)(r.ts_ns / CS_NS_PER_SEC - (r.ts_ns % CS_NS_PER_SEC < 0));
		h.ts.tv_usec = (suseconds_t)(r.ts_ns - (int64_t)h.ts.tv_sec * CS_NS_PER_SEC);
		h.caplen = r.caplen;
		h.len = r.wirelen;
		pcap_dump((u_char *)o->d, &h, ev->scratch);
		ev->st.packets++;
		ev->st.bytes += r.caplen;
	}
	for (size_t i = 0; i < ev->nout; i++)
		if (ev->out[i].d && pcap_dump_flush(ev->out[i].d) != 0)
			ok = out_fail(&ev->out[i], strerror(errno ? errno : EIO));
	ev->st.handshakes++;
	ev->st.write_errors += !ok;
	release(ev, b);
}

/* The pool is shared by the packet threads (--workers) and the main one. */
void evidence_hold(struct evidence *ev, struct evidence_buf *b, const struct cs_frame *fr)
{
	pthread_mutex_lock(ev->mu);
	hold(ev, b, fr);
	pthread_mutex_unlock(ev->mu);
}

void evidence_release(struct evidence *ev, struct evidence_buf *b)
{
	pthread_mutex_lock(ev->mu);
	release(ev, b);
	pthread_mutex_unlock(ev->mu);
}

void evidence_write(struct evidence *ev, struct evidence_buf *b)
{
	pthread_mutex_lock(ev->mu);
	write_held(ev, b);
	pthread_mutex_unlock(ev->mu);
}

bool evidence_close(struct evidence *ev, int default_linktype)
{
	bool ok = true;

	if (ev->out[0].dlt == NO_DLT && ev->out[0].f) /* nothing broken: an empty, valid pcap */
		ok = out_start(&ev->out[0], dlt_of(default_linktype));
	for (size_t i = 0; i < ev->nout; i++) {
		struct ev_out *o = &ev->out[i];

		if (o->d) { /* flushed first: pcap_dump_close returns nothing */
			if (pcap_dump_flush(o->d) != 0 || ferror(pcap_dump_file(o->d)))
				ok = out_fail(o, strerror(errno ? errno : EIO));
			pcap_dump_close(o->d);
			o->d = NULL;
		}
		ok = ok && !o->failed;
	}
	return ok;
}

/* ---- filters ----------------------------------------------------------------- */

static bool memchr_high(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)s[i] >= 0x80)
			return true;
	return false;
}

void evidence_filters(const struct cs_addr *ip, uint16_t port, const char *sni, size_t sni_len,
		      char *bpf, size_t bpf_len, char *tshark, size_t tshark_len)
{
	char a[CS_ADDR_STRLEN];
	size_t o;
	int n;

	cs_addr_str(ip, a, sizeof(a));
	snprintf(bpf, bpf_len, "host %s and tcp port %u", a, port);
	n = snprintf(tshark, tshark_len, "%s == %s && tcp.port == %u && ",
		     ip->family == 4 ? "ip.addr" : "ipv6.addr", a, port);
	o = n > 0 && (size_t)n < tshark_len ? (size_t)n : tshark_len;
	if (!sni) {
		snprintf(tshark + o, tshark_len - o,
			 "tls.handshake.type == 1 && !tls.handshake.extensions_server_name");
		return;
	}
	/* tshark shows each byte >= 0x80 of the name as U+FFFD, so no string
	 * matches such a name: match its bytes in the ClientHello instead
	 * (RFC 6066 3: name_type host_name (0), a 2-byte length, the name) */
	if (memchr_high(sni, sni_len)) {
		n = snprintf(tshark + o, tshark_len - o,
			     "tls.handshake.type == 1 && tls "
			     "contains 00:%02x:%02x",
			     (unsigned)(sni_len >> 8), (unsigned)(sni_len & 0xff));
		o += n > 0 ? (size_t)n : 0;
		for (size_t i = 0; i < sni_len && o + 4 < tshark_len; i++)
			o += (size_t)snprintf(tshark + o, tshark_len - o, ":%02x",
					      (unsigned char)sni[i]);
		return;
	}
	n = snprintf(tshark + o, tshark_len - o, "tls.handshake.extensions_server_name == \"");
	o += n > 0 ? (size_t)n : 0;
	for (size_t i = 0; i < sni_len && o + 6 < tshark_len; i++) {
		unsigned char c = (unsigned char)sni[i];

		/* the display filter's string escapes: the filter stays printable ASCII */
		if (c == '"' || c == '\\')
			tshark[o++] = '\\', tshark[o++] = (char)c;
		else if (c >= 0x20 && c < 0x7f)
			tshark[o++] = (char)c;
		else
			o += (size_t)snprintf(tshark + o, tshark_len - o, "\\x%02x", c);
	}
	snprintf(tshark + o, tshark_len - o, "\"");
}
