/*
 * cs_atomicfile.h - replacing a file so that a reader, or a crash, never
 * sees half of it: the one writer of every file chainsniff leaves behind
 * (--state, --report-dir reports, --dump-chains PEM files).
 *
 * The content goes to a new temporary file in the target's directory,
 * ".<name>.tmp.XXXXXX" (a fresh random suffix, created with O_CREAT|O_EXCL|
 * O_NOFOLLOW, so nothing planted there is followed or reused), with exactly
 * the mode the caller gives (fchmod: the umask does not narrow it); it is
 * flushed and fsync'ed, renamed over the target (rename(2) replaces a
 * symlink at the target, never follows it), and the directory is fsync'ed
 * so the rename itself survives a power cut.  On failure the temporary file
 * is removed and the target is untouched.  After a crash between creating
 * and renaming, a hidden ".<name>.tmp.*" file may remain; it is never read.
 * References: rename(2) atomicity (POSIX), fsync(2) of the directory
 * (ext4 and XFS need it for the new name to be durable).
 */
#ifndef CS_ATOMICFILE_H
#define CS_ATOMICFILE_H

#include <stdio.h>
#include <sys/types.h>

#include "cs_common.h"

/* Writes the whole content to f; false on failure (errno set when known).
 * Need not check ferror: atomic_write flushes and checks. */
typedef bool (*atomic_fill_fn)(FILE *f, void *ctx);

/* Replace path (relative to dirfd, which may be AT_FDCWD; path may name
 * a directory part) with what fill writes, mode exactly mode.  CS_OK, or
 * CS_IO with errno set and, when err is not NULL, err set to
 * "TEMPORARY-FILE: reason". */
enum cs_status atomic_write(int dirfd, const char *path, mode_t mode, atomic_fill_fn fill,
			    void *ctx, char *err, size_t errlen);

#endif
