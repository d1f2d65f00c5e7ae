/*
 * readfile.c - the one reader of whole files (cs_readfile.h): a buffer
 * doubled from 64 KiB under the caller's cap, one byte past it read to tell
 * a file at the cap from a longer one.
 */
#include "cs_readfile.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cs_vec.h"

#define READFILE_FIRST 65536u

/* Read f into *buf, growing it under max + 2 bytes (max, one past, the NUL). */
static enum cs_status slurp(FILE *f, size_t max, char **buf, size_t *n)
{
	size_t cap = 0;
	enum cs_status st;

	for (;;) {
		size_t got;

		if (*n + 1 >= cap) {
			st = vec_reserve_capped(buf, cap, &cap, 1, READFILE_FIRST, max + 2, NULL);
			if (st != CS_OK)
				return st;
		}
		got = fread(*buf + *n, 1, cap - 1 - *n, f);
		if (got == 0)
			break;
		*n += got;
		if (*n > max)
			return CS_LIMIT;
	}
	if (ferror(f)) {
		errno = errno ? errno : EIO;
		return CS_IO;
	}
	(*buf)[*n] = '\0';
	return CS_OK;
}

enum cs_status read_file_capped(const char *path, size_t max, const char *what, char **buf,
				size_t *n, char *err, size_t errlen)
{
	FILE *f = fopen(path, "re");
	enum cs_status st;
	int saved;

	*buf = NULL;
	*n = 0;
	if (!f) {
		saved = errno;
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		errno = saved;
		return CS_IO;
	}
	errno = 0;
	st = slurp(f, max, buf, n);
	saved = errno;
	fclose(f);
	if (st == CS_LIMIT)
		snprintf(err, errlen, "%s: larger than %zu MiB: not %s", path, max >> 20, what);
	else if (st == CS_IO)
		snprintf(err, errlen, "%s: %s", path, strerror(saved));
	else if (st == CS_NOMEM)
		snprintf(err, errlen, "%s: out of memory", path);
	if (st != CS_OK) {
		free(*buf);
		*buf = NULL;
		*n = 0;
	}
	errno = saved;
	return st;
}
