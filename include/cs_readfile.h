/*
 * cs_readfile.h - reading a whole file chainsniff is given (a --state
 * file, a --timeline file) into memory under a cap the caller names, so a
 * huge or endless one (a FIFO, /dev/zero) costs at most the cap.  The one
 * reader of whole files; atomic_write (cs_atomicfile.h) is the one writer.
 */
#ifndef CS_READFILE_H
#define CS_READFILE_H

#include "cs_common.h"

/*
 * Read path whole into a new buffer: *buf (free() it) holds *n bytes and
 * one NUL byte after them (not counted).  CS_OK; CS_LIMIT when the file has
 * more than max bytes ("PATH: larger than N MiB: not WHAT"; max is a whole
 * number of MiB); CS_IO when it cannot be opened or read ("PATH: reason",
 * errno kept, ENOENT for a missing file); CS_NOMEM.  On failure *buf is
 * NULL.
 */
enum cs_status read_file_capped(const char *path, size_t max, const char *what, char **buf,
				size_t *n, char *err, size_t errlen);

#endif
