/*
 * cs_logfile.h - a log file that chainsniff appends to for as long as it
 * runs (--events, and any later line-per-record output), reopened on SIGHUP
 * so that logrotate can move it away, and failures said once, not per line.
 *
 * Opening: O_WRONLY|O_APPEND|O_CREAT|O_CLOEXEC|O_NOFOLLOW, mode 0640 when the
 * file is created (minus the umask; an existing file keeps its mode and
 * owner, as logrotate's "create 0640 chainsniff adm" made it).  O_APPEND
 * makes every write land at the current end, so after logrotate's
 * "copytruncate" the next line starts at offset 0 (no hole of NULs); a
 * symlink at the path is refused (ELOOP), never followed.  The stream is
 * line-buffered: a log shipper tailing the file sees whole lines.  "-" is
 * standard output, which is never reopened nor closed.
 *
 * Reopening (logfile_reopen, on SIGHUP after logrotate's "postrotate kill
 * -HUP"): the path is opened anew and replaces the old descriptor; when
 * that fails (after -Z, the user may not create files in the directory)
 * the old descriptor is kept, so no line is lost, and the reason is said
 * once: "chainsniff: PATH: cannot reopen: Permission denied".
 *
 * Errors said once (struct err_once, also for other outputs written again
 * and again, such as periodic reports and the state file): the first
 * failure prints one line "chainsniff: NAME: cannot WHAT: strerror", a
 * failure with another errno prints a new line, repeats of the same one
 * print nothing, and the first success after a failure prints one line
 * "chainsniff: NAME: AGAIN" ("events written again").  Every failure is
 * counted, said or not (for the metrics).
 *
 * Threads: a logfile and an err_once belong to one thread (the capture loop).
 */
#ifndef CS_LOGFILE_H
#define CS_LOGFILE_H

#include <stdio.h>

#include "cs_common.h"

struct err_once {
	int last_errno;    /* errno of the failure last said; 0 when working */
	uint64_t failures; /* every failure, said or not */
};

/* "cannot WHAT" on NAME with errno err (never 0): said unless it repeats
 * the last one.  Returns true when a line was printed. */
bool err_once_fail(struct err_once *e, const char *name, const char *what, int err);
/* It worked: "chainsniff: NAME: AGAIN" when the last attempt had failed. */
void err_once_ok(struct err_once *e, const char *name, const char *again);

struct logfile;

/* Open path for appending as above.  NULL with err = "PATH: reason". */
struct logfile *logfile_open(const char *path, char *err, size_t errlen);
/* The stream to write lines to; it changes at each successful reopen, so
 * take it again for every line. */
FILE *logfile_stream(struct logfile *lf);
const char *logfile_path(const struct logfile *lf);
/* After a line was written: flush it; a write error is said through the
 * logfile's err_once ("cannot write").  false when the line was not
 * written whole. */
bool logfile_check(struct logfile *lf);
/* Open the path again (standard output: nothing to do).  false when the
 * old descriptor is kept (said once per distinct errno). */
bool logfile_reopen(struct logfile *lf);
/* Failures so far: lines not written whole (lost), reopens refused. */
void logfile_failures(const struct logfile *lf, uint64_t *writes, uint64_t *reopens);
/* Flush and close (standard output is only flushed).  false when buffered
 * lines could not be written, with errno set. */
bool logfile_close(struct logfile *lf);

#endif
