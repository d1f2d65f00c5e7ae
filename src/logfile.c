/*
 * logfile.c - append-only log files reopened on SIGHUP, and errors said
 * once per distinct errno (cs_logfile.h).  Owns the log's stream and its
 * path (a copy).  References: logrotate(8) "create", "copytruncate" and
 * "postrotate"; open(2) O_APPEND ("the file offset is positioned at the end
 * of the file" before each write, so a truncation by another process
 * leaves no hole) and O_NOFOLLOW.
 */
#include "cs_logfile.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define LOGFILE_MODE 0640 /* the events hold client addresses: not world-readable */

bool err_once_fail(struct err_once *e, const char *name, const char *what, int err)
{
	e->failures++;
	if (err == 0)
		err = EIO; /* a stdio failure that left errno alone: still a failure */
	if (err == e->last_errno)
		return false;
	e->last_errno = err;
	fprintf(stderr, "chainsniff: %s: cannot %s: %s\n", name, what, strerror(err));
	return true;
}

void err_once_ok(struct err_once *e, const char *name, const char *again)
{
	if (!e->last_errno)
		return;
	e->last_errno = 0;
	fprintf(stderr, "chainsniff: %s: %s\n", name, again);
}

struct logfile {
	FILE *f;
	bool is_stdout;
	char *path;
	struct err_once write_err, reopen_err;
};

/* The path opened for appending, line-buffered; NULL with errno set. */
static FILE *open_append(const char *path)
{
	int fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC | O_NOFOLLOW, LOGFILE_MODE);
	FILE *f;
	int e;

	if (fd < 0)
		return NULL;
	if (!(f = fdopen(fd, "a"))) {
		e = errno;
		close(fd);
		errno = e;
		return NULL;
	}
	setvbuf(f, NULL, _IOLBF, 0); /* a log shipper sees whole lines */
	return f;
}

struct logfile *logfile_open(const char *path, char *err, size_t errlen)
{
	struct logfile *lf = calloc(1, sizeof(*lf));

	if (!lf || !(lf->path = strdup(path))) {
		free(lf);
		snprintf(err, errlen, "%s: out of memory", path);
		return NULL;
	}
	lf->is_stdout = !strcmp(path, "-");
	lf->f = lf->is_stdout ? stdout : open_append(path);
	if (!lf->f) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		free(lf->path);
		free(lf);
		return NULL;
	}
	if (lf->is_stdout)
		setvbuf(stdout, NULL, _IOLBF, 0);
	return lf;
}

FILE *logfile_stream(struct logfile *lf) { return lf->f; }

const char *logfile_path(const struct logfile *lf)
{
	return lf->is_stdout ? "standard output" : lf->path;
}

bool logfile_check(struct logfile *lf)
{
	int e = errno; /* a failed write of the line set it; nothing since clears it */

	if (fflush(lf->f) == 0 && !ferror(lf->f)) {
		err_once_ok(&lf->write_err, logfile_path(lf), "written again");
		return true;
	}
	if (errno != e && errno != 0) /* the flush itself failed: its reason */
		e = errno;
	clearerr(lf->f); /* so that the next line tells whether it works again */
	err_once_fail(&lf->write_err, logfile_path(lf), "write", e);
	return false;
}

bool logfile_reopen(struct logfile *lf)
{
	FILE *f;

	if (lf->is_stdout)
		return true;
	if (!(f = open_append(lf->path))) {
		err_once_fail(&lf->reopen_err, lf->path, "reopen (still writing to the old file)",
			      errno);
		return false;
	}
	err_once_ok(&lf->reopen_err, lf->path, "reopened");
	logfile_check(lf); /* what the old file still buffers goes there */
	fclose(lf->f);
	lf->f = f;
	return true;
}

void logfile_failures(const struct logfile *lf, uint64_t *writes, uint64_t *reopens)
{
	*writes = lf->write_err.failures;
	*reopens = lf->reopen_err.failures;
}

bool logfile_close(struct logfile *lf)
{
	bool ok;
	int e;

	if (!lf)
		return true;
	errno = 0;
	ok = fflush(lf->f) == 0 && !ferror(lf->f);
	e = errno;
	if (!lf->is_stdout && fclose(lf->f) != 0 && ok) {
		ok = false;
		e = errno;
	}
	free(lf->path);
	free(lf);
	errno = e;
	return ok;
}
