/*
 * capture.c - the packet sources behind cs_capture.h.
 * Files are read by capfile.c, live interfaces by libpcap.  BPF filters
 * are always compiled by libpcap: for live capture it applies them itself;
 * for files they are compiled lazily, once per link type met, against a
 * dead handle and applied with pcap_offline_filter(), because one pcapng
 * file may carry several link types.
 * Policy: a filter that does not compile for a file's link type fails that
 * file (CS_BAD); frames a filter rejects are counted, never silently lost.
 * Frame numbers: files number every record (as Wireshark does, so a number
 * finds the frame there); live sources number the frames delivered.
 */
#include "cs_capture.h"
#include "cs_fanout.h"
#include "cs_livefilter.h"

#include <limits.h>
#include <pcap/pcap.h>
#include <poll.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cs_capfile.h"
#include "cs_limits.h"

/* capture_next() answers CS_MORE at least this often when the wire is
 * quiet, so that the caller can expire flows and notice signals. */
#define CAPTURE_TIMEOUT_MS 100

/* A filter compiled for one link type. */
struct capture_bpf {
	int linktype;
	struct bpf_program prog;
};

struct cs_source {
	struct capfile *file; /* exactly one of file and live is set */
	pcap_t *live;
	int live_fd; /* pollable descriptor, or -1 */
	int live_linktype;
	bool live_nano; /* libpcap hands out nanoseconds */
	char *filter;   /* file sources: the expression, owned */
	/* A file's link types come from its interfaces: more distinct ones
	 * than one pcapng section may describe is not a real capture. */
	struct capture_bpf bpf[CS_MAX_PCAPNG_IFACES];
	unsigned nbpf;
	uint64_t number, filtered;
	bool have_pending; /* capture_next_of: a frame read, not handed out yet */
	struct cs_frame pending;
	enum cs_status done; /* sticky end of a file source */
	atomic_int stop;     /* capture_break: from a signal handler or another thread */
};

/* Filters ------------------------------------------------------------------- */

/* File link types (LINKTYPE_*) whose DLT_* value, which libpcap's compiler
 * wants, differs on this platform (libpcap pcap-common.c, linktype_to_dlt). */
static int capture_dlt(int linktype)
{
	static const struct {
		int linktype, dlt;
	} map[] = {
		{100, DLT_ATM_RFC1483}, {101, DLT_RAW},      {102, DLT_SLIP_BSDOS},
		{103, DLT_PPP_BSDOS},   {106, DLT_ATM_CLIP},
	};

	for (size_t i = 0; i < CS_ARRAY_LEN(map); i++)
		if (map[i].linktype == linktype)
			return map[i].dlt;
	return linktype;
}

/* Compile against a dead handle (no capture); why gets libpcap's reason. */
static enum cs_status capture_compile(const char *filter, int linktype, struct bpf_program *prog,
				      char why[PCAP_ERRBUF_SIZE])
{
	pcap_t *p = pcap_open_dead(capture_dlt(linktype), (int)CS_SNAPLEN_DEFAULT);
	enum cs_status st = CS_OK;

	if (!p) {
		snprintf(why, PCAP_ERRBUF_SIZE, "out of memory");
		return CS_NOMEM;
	}
	if (pcap_compile(p, prog, filter, 1, PCAP_NETMASK_UNKNOWN) != 0) {
		snprintf(why, PCAP_ERRBUF_SIZE, "%s", pcap_geterr(p));
		st = CS_BAD;
	}
	pcap_close(p);
	return st;
}

enum cs_status capture_check_filter(const char *filter, char *err, size_t errlen)
{
	char why[PCAP_ERRBUF_SIZE];
	struct bpf_program prog;
	enum cs_status st;

	if (!filter || !filter[0])
		return CS_OK;
	st = capture_compile(filter, DLT_EN10MB, &prog, why);
	if (st != CS_OK) {
		snprintf(err, errlen, "invalid filter \"%s\": %s", filter, why);
		return st;
	}
	pcap_freecode(&prog);
	return CS_OK;
}

/* The file filter for a link type, compiled the first time it is needed. */
static enum cs_status capture_bpf_for(struct cs_source *s, int linktype,
				      const struct bpf_program **out, char *err, size_t errlen)
{
	char why[PCAP_ERRBUF_SIZE];
	const char *name;
	enum cs_status st;

	for (unsigned i = 0; i < s->nbpf; i++) {
		if (s->bpf[i].linktype == linktype) {
			*out = &s->bpf[i].prog;
			return CS_OK;
		}
	}
	if (s->nbpf == CS_ARRAY_LEN(s->bpf)) {
		snprintf(err, errlen, "more than %zu link types in one file: cannot filter",
			 CS_ARRAY_LEN(s->bpf));
		return CS_LIMIT;
	}
	st = capture_compile(s->filter, linktype, &s->bpf[s->nbpf].prog, why);
	if (st != CS_OK) {
		name = pcap_datalink_val_to_name(capture_dlt(linktype));
		snprintf(err, errlen, "filter \"%s\" does not compile for link type %d (%s): %s",
			 s->filter, linktype, name ? name : "unknown", why);
		return st;
	}
	s->bpf[s->nbpf].linktype = linktype;
	*out = &s->bpf[s->nbpf++].prog;
	return CS_OK;
}

/* Sources ------------------------------------------------------------------- */

static struct cs_source *capture_new(char *err, size_t errlen)
{
	struct cs_source *s = calloc(1, sizeof *s);

	if (!s)
		snprintf(err, errlen, "out of memory");
	return s;
}

enum cs_status capture_open_file(const char *path, const struct cs_capture_opts *opts,
				 struct cs_source **out, char *err, size_t errlen)
{
	struct cs_source *s = capture_new(err, errlen);
	enum cs_status st;

	*out = NULL;
	if (!s)
		return CS_NOMEM;
	if (opts && opts->filter && opts->filter[0]) {
		s->filter = strdup(opts->filter);
		if (!s->filter) {
			capture_close(s);
			snprintf(err, errlen, "out of memory");
			return CS_NOMEM;
		}
	}
	st = capfile_open(path, opts ? opts->wait : NULL, opts ? opts->wait_ctx : NULL, &s->file,
			  err, errlen);
	if (st != CS_OK) {
		capture_close(s);
		return st;
	}
	if (errlen > 0)
		err[0] = '\0';
	*out = s;
	return CS_OK;
}

/* "no such interface (available: eth0, lo, any)" */
static void capture_no_device(char *err, size_t errlen)
{
	char ebuf[PCAP_ERRBUF_SIZE];
	pcap_if_t *all = NULL;
	size_t n;

	n = (size_t)snprintf(err, errlen, "no such interface");
	if (n >= errlen || pcap_findalldevs(&all, ebuf) != 0 || !all)
		return;
	n += (size_t)snprintf(err + n, errlen - n, " (available:");
	for (const pcap_if_t *d = all; d && n < errlen; d = d->next)
		n += (size_t)snprintf(err + n, errlen - n, "%s %s", d == all ? "" : ",", d->name);
	if (n < errlen)
		snprintf(err + n, errlen - n, ")");
	pcap_freealldevs(all);
}

/* pcap_activate() failed: say what to do about it. */
static void capture_activate_error(pcap_t *p, int rc, char *err, size_t errlen)
{
	switch (rc) {
	case PCAP_ERROR_NO_SUCH_DEVICE:
		capture_no_device(err, errlen);
		break;
	case PCAP_ERROR_PERM_DENIED:
		snprintf(err, errlen,
			 "permission denied: run as root or grant CAP_NET_RAW,CAP_NET_ADMIN");
		break;
	case PCAP_ERROR_PROMISC_PERM_DENIED:
		snprintf(err, errlen,
			 "permission denied for promiscuous mode: "
			 "run as root or capture without it");
		break;
	case PCAP_ERROR_IFACE_NOT_UP:
		snprintf(err, errlen, "interface is down: bring it up first");
		break;
	case PCAP_ERROR:
		snprintf(err, errlen, "%s", pcap_geterr(p));
		break;
	default:
		snprintf(err, errlen, "%s: %s", pcap_statustostr(rc), pcap_geterr(p));
		break;
	}
}

static enum cs_status capture_set_filter(struct cs_source *s, const char *filter, char *err,
					 size_t errlen)
{
	struct bpf_program prog;
	int rc;

	if (pcap_compile(s->live, &prog, filter, 1, PCAP_NETMASK_UNKNOWN) != 0) {
		snprintf(err, errlen, "invalid filter \"%s\": %s", filter, pcap_geterr(s->live));
		return CS_BAD;
	}
	rc = pcap_setfilter(s->live, &prog);
	pcap_freecode(&prog);
	if (rc != 0) {
		snprintf(err, errlen, "cannot set the filter: %s", pcap_geterr(s->live));
		return CS_IO;
	}
	return CS_OK;
}

/* No -f: the kernel drops what the decoder could never use (livefilter.c).
 * Should libpcap refuse the expression, every frame goes up instead: the
 * decoder drops and counts the same frames, only later. */
static void capture_set_default_filter(struct cs_source *s)
{
	char expr[CS_LIVE_FILTER_TEXT], ignored[256];

	if (livefilter_default(s->live_linktype, expr, sizeof(expr)))
		capture_set_filter(s, expr, ignored, sizeof(ignored));
}

/* pcap_create, set options, pcap_activate; libpcap's warnings go to err. */
static enum cs_status capture_activate(struct cs_source *s, const char *iface,
				       const struct cs_capture_opts *opts, char *err, size_t errlen)
{
	char ebuf[PCAP_ERRBUF_SIZE] = "";
	uint32_t snaplen = opts && opts->snaplen ? opts->snaplen : CS_SNAPLEN_DEFAULT;
	int mib = opts && opts->buffer_mib ? opts->buffer_mib : CS_LIVE_BUFFER_MIB_DEFAULT;
	int rc;

	if (snaplen > CS_MAX_CAPLEN) {
		snprintf(err, errlen, "snaplen %u exceeds the maximum %u", snaplen, CS_MAX_CAPLEN);
		return CS_BAD;
	}
	if (mib < 1 || mib > INT_MAX / (1024 * 1024)) {
		snprintf(err, errlen, "buffer size %d MiB is out of range", mib);
		return CS_BAD;
	}
	s->live = pcap_create(iface, ebuf);
	if (!s->live) {
		snprintf(err, errlen, "%s", ebuf);
		return CS_IO;
	}
	pcap_set_snaplen(s->live, (int)snaplen);
	pcap_set_promisc(s->live, opts && opts->promisc);
	pcap_set_buffer_size(s->live, mib * 1024 * 1024);
	pcap_set_timeout(s->live, CAPTURE_TIMEOUT_MS);
	pcap_set_tstamp_precision(s->live, PCAP_TSTAMP_PRECISION_NANO); /* may refuse */
	if (opts && opts->immediate)
		pcap_set_immediate_mode(s->live, 1);
	rc = pcap_activate(s->live);
	if (rc < 0) {
		capture_activate_error(s->live, rc, err, errlen);
		return CS_IO;
	}
	if (rc > 0)
		snprintf(err, errlen, "warning: %s", pcap_geterr(s->live));
	s->live_nano = pcap_get_tstamp_precision(s->live) == PCAP_TSTAMP_PRECISION_NANO;
	s->live_linktype = pcap_datalink(s->live);
	/* Non-blocking with our own poll (capture_wait) when libpcap offers a
	 * descriptor; otherwise block and rely on libpcap's timeout. */
	s->live_fd = pcap_get_selectable_fd(s->live);
	if (s->live_fd >= 0 && pcap_setnonblock(s->live, 1, ebuf) != 0)
		s->live_fd = -1;
	return CS_OK;
}

/* --workers: this socket joins the interface's fanout group.  The program
 * that spreads the packets parses Ethernet (cs_fanout.h). */
static enum cs_status capture_join_fanout(struct cs_source *s, const struct cs_capture_opts *opts,
					  char *err, size_t errlen)
{
	const char *name = pcap_datalink_val_to_name(s->live_linktype);

	if (s->live_linktype != DLT_EN10MB) {
		snprintf(err, errlen, "--workers needs an Ethernet interface (this one is %s)",
			 name ? name : "of an unknown link type");
		return CS_UNSUPPORTED;
	}
	return fanout_join(pcap_fileno(s->live), opts->fanout_group, opts->fanout, err, errlen);
}

enum cs_status capture_open_live(const char *iface, const struct cs_capture_opts *opts,
				 struct cs_source **out, char *err, size_t errlen)
{
	struct cs_source *s = capture_new(err, errlen);
	enum cs_status st;

	*out = NULL;
	if (!s)
		return CS_NOMEM;
	if (errlen > 0)
		err[0] = '\0';
	st = capture_activate(s, iface, opts, err, errlen);
	if (st == CS_OK && opts && opts->filter && opts->filter[0])
		st = capture_set_filter(s, opts->filter, err, errlen);
	else if (st == CS_OK && !(opts && opts->filter))
		capture_set_default_filter(s);
	if (st == CS_OK && opts && opts->fanout)
		st = capture_join_fanout(s, opts, err, errlen);
	if (st != CS_OK) {
		capture_close(s);
		return st;
	}
	*out = s;
	return CS_OK;
}

/* Frames -------------------------------------------------------------------- */

static enum cs_status capture_next_file(struct cs_source *s, struct cs_frame *f, char *err,
					size_t errlen)
{
	const struct bpf_program *prog;
	struct pcap_pkthdr h;
	enum cs_status st;

	for (;;) {
		st = capfile_next(s->file, f, err, errlen);
		if (atomic_load(&s->stop)) /* capture_break(), which may have interrupted a read */
			return CS_EOF;
		if (st != CS_OK || !s->filter)
			return st;
		st = capture_bpf_for(s, f->linktype, &prog, err, errlen);
		if (st != CS_OK)
			return st;
		memset(&h, 0, sizeof h);
		h.caplen = f->caplen;
		h.len = f->wirelen;
		if (pcap_offline_filter(prog, &h, f->data) != 0)
			return CS_OK;
		s->filtered++;
	}
}

/* Wait for packets, at most CAPTURE_TIMEOUT_MS.  libpcap's own timeout is
 * not enough: on Linux (TPACKET_V3) it never fires on a quiet interface. */
static bool capture_wait(const struct cs_source *s)
{
	struct pollfd pfd = {.fd = s->live_fd, .events = POLLIN};

	return s->live_fd >= 0 && poll(&pfd, 1, CAPTURE_TIMEOUT_MS) > 0;
}

static enum cs_status capture_next_live(struct cs_source *s, struct cs_frame *f, char *err,
					size_t errlen)
{
	struct pcap_pkthdr *h;
	const u_char *data;
	int rc = pcap_next_ex(s->live, &h, &data);

	if (rc == 0 && capture_wait(s) && !atomic_load(&s->stop))
		rc = pcap_next_ex(s->live, &h, &data);
	if (rc == 0)
		return CS_MORE;
	if (rc == PCAP_ERROR_BREAK)
		return CS_EOF;
	if (rc < 0) {
		snprintf(err, errlen, "%s", pcap_geterr(s->live));
		return CS_IO;
	}
	f->ts_ns = (int64_t)h->ts.tv_sec * CS_NS_PER_SEC +
		   (int64_t)h->ts.tv_usec * (s->live_nano ? 1 : 1000);
	f->caplen = h->caplen;
	f->wirelen = h->len;
	f->linktype = s->live_linktype;
	f->number = ++s->number;
	f->data = data;
	return CS_OK;
}

/* Several sources: poll them all, at most CAPTURE_TIMEOUT_MS. */
static bool capture_wait_any(struct cs_source *const *srcs, size_t n)
{
	struct pollfd pfd[CS_MAX_IFACES];
	size_t k = 0;

	for (size_t i = 0; i < n && k < CS_ARRAY_LEN(pfd); i++)
		if (srcs[i]->live_fd >= 0)
			pfd[k++] = (struct pollfd){.fd = srcs[i]->live_fd, .events = POLLIN};
	return k > 0 && poll(pfd, (nfds_t)k, CAPTURE_TIMEOUT_MS) > 0;
}

/* Every source without a pending frame tries to read one (non-blocking).
 * CS_OK, or a source's end or error with *which naming it. */
static enum cs_status capture_fill(struct cs_source *const *srcs, size_t n, size_t *which,
				   char *err, size_t errlen)
{
	for (size_t i = 0; i < n; i++) {
		struct cs_source *s = srcs[i];
		struct pcap_pkthdr *h;
		const u_char *data;
		int rc;

		if (s->have_pending)
			continue;
		rc = pcap_next_ex(s->live, &h, &data);
		if (rc == 0)
			continue;
		*which = i;
		if (rc == PCAP_ERROR_BREAK)
			return CS_EOF;
		if (rc < 0) {
			snprintf(err, errlen, "%s", pcap_geterr(s->live));
			return CS_IO;
		}
		s->pending = (struct cs_frame){
			.ts_ns = (int64_t)h->ts.tv_sec * CS_NS_PER_SEC +
				 (int64_t)h->ts.tv_usec * (s->live_nano ? 1 : 1000),
			.caplen = h->caplen,
			.wirelen = h->len,
			.linktype = s->live_linktype,
			.number = ++s->number,
			.data = data, /* valid until the next pcap_next_ex on s */
		};
		s->have_pending = true;
	}
	return CS_OK;
}

/* The oldest pending frame, handed out; false when none. */
static bool capture_take_oldest(struct cs_source *const *srcs, size_t n, size_t *which,
				struct cs_frame *f)
{
	size_t best = n;

	for (size_t i = 0; i < n; i++)
		if (srcs[i]->have_pending &&
		    (best == n || srcs[i]->pending.ts_ns < srcs[best]->pending.ts_ns))
			best = i;
	if (best == n)
		return false;
	*f = srcs[best]->pending;
	srcs[best]->have_pending = false;
	*which = best;
	return true;
}

enum cs_status capture_next_of(struct cs_source *const *srcs, size_t n, size_t *which,
			       struct cs_frame *f, char *err, size_t errlen)
{
	enum cs_status st;

	*which = 0;
	for (size_t i = 0; i < n; i++)
		if (atomic_load(&srcs[i]->stop))
			return CS_EOF;
	for (int round = 0; round < 2; round++) {
		/* twice: a source found empty before another one's frame was
		 * read may have received an older frame meanwhile */
		if ((st = capture_fill(srcs, n, which, err, errlen)) != CS_OK ||
		    (n > 1 && (st = capture_fill(srcs, n, which, err, errlen)) != CS_OK))
			return st;
		if (capture_take_oldest(srcs, n, which, f))
			return CS_OK;
		if (round == 0 && !capture_wait_any(srcs, n))
			return CS_MORE;
	}
	return CS_MORE;
}

enum cs_status capture_next(struct cs_source *s, struct cs_frame *f, char *err, size_t errlen)
{
	enum cs_status st;

	if (atomic_load(&s->stop))
		return CS_EOF;
	if (s->live)
		return capture_next_live(s, f, err, errlen);
	if (s->done != CS_OK) {
		snprintf(err, errlen, "reading stopped after an earlier error");
		return s->done;
	}
	st = capture_next_file(s, f, err, errlen);
	if (st != CS_OK)
		s->done = st;
	return st;
}

void capture_drain(struct cs_source *s)
{
	struct pcap_pkthdr *h;
	const u_char *data;

	for (unsigned n = 0; s->live && n < CS_CAPTURE_DRAIN_MAX; n++)
		if (pcap_next_ex(s->live, &h, &data) != 1)
			break;
}

void capture_break(struct cs_source *s)
{
	atomic_store(&s->stop, 1);
	if (s->live)
		pcap_breakloop(s->live);
}

/* Accessors ----------------------------------------------------------------- */

const char *capture_format(const struct cs_source *s)
{
	return s->file ? capfile_format(s->file) : "live";
}

void capture_progress(const struct cs_source *s, uint64_t *done, uint64_t *total)
{
	*done = 0;
	*total = 0;
	if (s->file)
		capfile_progress(s->file, done, total);
}

bool capture_stats(struct cs_source *s, uint64_t *received, uint64_t *dropped, uint64_t *if_dropped)
{
	struct pcap_stat ps;

	if (!s->live || pcap_stats(s->live, &ps) != 0)
		return false;
	*received = ps.ps_recv;
	*dropped = ps.ps_drop;
	*if_dropped = ps.ps_ifdrop;
	return true;
}

uint64_t capture_filtered(const struct cs_source *s) { return s->filtered; }

void capture_close(struct cs_source *s)
{
	if (!s)
		return;
	for (unsigned i = 0; i < s->nbpf; i++)
		pcap_freecode(&s->bpf[i].prog);
	capfile_close(s->file);
	if (s->live)
		pcap_close(s->live);
	free(s->filter);
	free(s);
}
