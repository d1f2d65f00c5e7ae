/*
 * fuzz_file.h - the input of a fuzz target as a file to open by name:
 * written to a memfd (a temporary file where memfd_create is missing, read
 * through /proc and gone when closed).  Shared by the targets that read
 * whole files (capfile, state, engine); header-only so that libFuzzer
 * builds, which do not link replay.c, have it too.
 */
#ifndef FUZZ_FILE_H
#define FUZZ_FILE_H

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <unistd.h>

/* The file's descriptor (close it when done); path names it. */
static inline int fuzz_file(const uint8_t *data, size_t size, char *path, size_t pathlen)
{
	int fd = -1;

#ifdef MFD_CLOEXEC
	fd = memfd_create("fuzz", MFD_CLOEXEC);
#endif
	if (fd < 0) {
		char tmp[] = "/tmp/fuzz.XXXXXX";

		fd = mkstemp(tmp);
		if (fd < 0)
			abort();
		unlink(tmp);
	}
	snprintf(path, pathlen, "/proc/self/fd/%d", fd);
	for (size_t off = 0; off < size;) {
		ssize_t w = write(fd, data + off, size - off);

		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			abort();
		off += (size_t)w;
	}
	return fd;
}

#endif
