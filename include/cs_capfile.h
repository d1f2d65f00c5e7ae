/*
 * cs_capfile.h - our own reader of pcap and pcapng capture files.
 *
 * libpcap 1.10 refuses pcapng files whose interfaces have different link
 * types; this reader hands out each frame with its own link type instead.
 * Input is a FILE* read strictly forward (a pipe works: "-" is standard
 * input), with one buffer reused for every frame: no allocation per packet.
 * Every file byte is parsed through the cursor (cs_cursor.h).
 *
 * Formats: pcap in either byte order with microsecond (a1b2c3d4) or
 * nanosecond (a1b23c4d) timestamps; pcapng (any number of sections, each
 * with its own byte order and interfaces) with Enhanced, Simple and
 * obsolete Packet Blocks.  Other pcapng blocks are skipped in pieces.
 *
 * Owned by capture.c; other modules use cs_capture.h.
 */
#ifndef CS_CAPFILE_H
#define CS_CAPFILE_H

#include "cs_capture.h"

struct capfile;

/* Open path ("-" = standard input) and read the file header.  On failure
 * *out is NULL and err holds a one-line reason without the path:
 * CS_IO (cannot open or read), CS_BAD (not a capture, corrupt header),
 * CS_TRUNC (the file ends inside its header), CS_NOMEM; CS_EOF when wait
 * (cs_capture.h; NULL: block) stopped it before the header came. */
enum cs_status capfile_open(const char *path, cs_wait_fn wait, void *wait_ctx, struct capfile **out,
			    char *err, size_t errlen);

/* Next record.  CS_OK: *f is filled; f->data lives until the next call and
 * f->number counts every record of the file (1-based).  CS_EOF: clean end,
 * or the wait function said stop (a record it interrupted is dropped).
 * CS_TRUNC: the file ends inside a record.  CS_BAD: corrupt record.
 * CS_IO: read error.  Failures are sticky: later calls repeat them. */
enum cs_status capfile_next(struct capfile *cf, struct cs_frame *f, char *err, size_t errlen);

/* "pcap", "pcap-ns" or "pcapng". */
const char *capfile_format(const struct capfile *cf);
/* Bytes consumed so far; total is the file size, 0 for a pipe. */
void capfile_progress(const struct capfile *cf, uint64_t *done, uint64_t *total);
/* Closes the file (never standard input).  NULL is a no-op. */
void capfile_close(struct capfile *cf);

#endif
