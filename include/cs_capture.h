/*
 * cs_capture.h - packet sources: capture files (our own pcap/pcapng reader,
 * built on the cursor) and live interfaces (libpcap).  BPF filters are
 * compiled with libpcap for both: per link type for files (pcapng files may
 * mix link types, which libpcap 1.10 refuses to read), by libpcap itself
 * for live capture.
 */
#ifndef CS_CAPTURE_H
#define CS_CAPTURE_H

#include "cs_common.h"

/* One frame handed out by a source; data is valid until the next call. */
struct cs_frame {
	int64_t ts_ns;
	uint32_t caplen;
	uint32_t wirelen;
	int linktype;
	uint64_t number; /* 1-based frame number within this source */
	const uint8_t *data;
};

/* A file read from a pipe, FIFO, socket or terminal ("-r -" behind
 * tcpdump -w - or ssh) may stay quiet for long: while it does, the reader
 * calls this every CS_STREAM_WAIT_MS and whenever a signal breaks its wait,
 * so the caller can hand out what is ready and take signals.  false ends
 * the read there (CS_EOF). */
typedef bool (*cs_wait_fn)(void *ctx);
#define CS_STREAM_WAIT_MS 100

struct cs_capture_opts {
	const char *filter;    /* BPF expression or NULL */
	uint32_t snaplen;      /* live only */
	int buffer_mib;        /* live only, 0 = default */
	bool promisc;          /* live only */
	bool immediate;        /* live only: deliver each packet at once (libpcap
			       * immediate mode), not in blocks */
	unsigned fanout;       /* live only: join an AF_PACKET fanout group of this
				* many sockets (cs_fanout.h; Ethernet only), 0: none */
	uint16_t fanout_group; /* its id (fanout_group_id) */
	cs_wait_fn wait;       /* files only: called while a stream is quiet, or NULL */
	void *wait_ctx;
};

struct cs_source;

/* Open a capture file ("-" is standard input) or a live interface.
 * On failure returns non-CS_OK and writes a one-line reason (without the
 * file/interface name) into err.  On success err is empty, or holds a
 * warning from libpcap (live only, e.g. promiscuous mode not supported).
 * opts may be NULL (no filter, defaults). */
enum cs_status capture_open_file(const char *path, const struct cs_capture_opts *opts,
				 struct cs_source **out, char *err, size_t errlen);
enum cs_status capture_open_live(const char *iface, const struct cs_capture_opts *opts,
				 struct cs_source **out, char *err, size_t errlen);

/* Next frame that passes the filter.
 * CS_OK: *f is filled.  CS_MORE: live timeout, nothing now (call again).
 * CS_EOF: clean end.  CS_TRUNC: the file ends inside a record (what came
 * before is valid).  CS_BAD: corrupt file (reason in err).  CS_IO: read
 * error.  CS_UNSUPPORTED: a whole-file link type we cannot decode. */
enum cs_status capture_next(struct cs_source *s, struct cs_frame *f, char *err, size_t errlen);

/* Several live sources read as one (-i given more than once, e.g. the two
 * ports of a tap): of the frames the sources have ready, the oldest by
 * timestamp, with *which the index of its source; CS_MORE after waiting
 * up to 100 ms with nothing ready; CS_EOF after capture_break on any of
 * them; CS_IO with *which naming the source that failed.  A frame's data
 * is valid until the next call.  The order across sources is by
 * timestamp among what is ready: open them in immediate mode so that
 * nothing waits in a kernel block while a later packet of another source
 * is handed out. */
enum cs_status capture_next_of(struct cs_source *const *srcs, size_t n, size_t *which,
			       struct cs_frame *f, char *err, size_t errlen);

/* Compile filter for Ethernet (DLT_EN10MB) only to validate it, so that a
 * bad expression is rejected before any input is read.  NULL or "" is
 * valid.  CS_BAD with libpcap's reason in err. */
enum cs_status capture_check_filter(const char *filter, char *err, size_t errlen);

/* Discard what a live source holds now, at most CS_CAPTURE_DRAIN_MAX
 * frames (--workers: what each socket received before the fanout group
 * was complete, which every socket got).  Non-blocking sources only. */
void capture_drain(struct cs_source *s);

/* Make a blocked capture_next() on a live source return soon (signal-safe, thread-safe). */
void capture_break(struct cs_source *s);

/* "pcap", "pcap-ns", "pcapng" or "live" */
const char *capture_format(const struct cs_source *s);
/* Bytes consumed so far and total size (0 when unknown, e.g. a pipe). */
void capture_progress(const struct cs_source *s, uint64_t *done, uint64_t *total);
/* Live sources: libpcap's drop counters (one thread per source); false for files. */
bool capture_stats(struct cs_source *s, uint64_t *received, uint64_t *dropped,
		   uint64_t *if_dropped);
/* Frames the filter rejected. */
uint64_t capture_filtered(const struct cs_source *s);
void capture_close(struct cs_source *s);

#endif
