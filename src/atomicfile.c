/*
 * atomicfile.c - temporary file, fsync, rename, fsync of the directory
 * (cs_atomicfile.h).  Owns nothing past a call.
 * Policy: the temporary name is unpredictable and created exclusively, so
 * two writers of the same target (two chainsniff processes dumping the same
 * chain) never share a temporary file and the last rename wins with a whole
 * file; a failed directory fsync (some file systems refuse it) does not
 * undo a rename that has happened.
 */
#include "cs_atomicfile.h"
#include "cs_limits.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define TMP_SUFFIX_LEN 6

/* Six characters of [A-Za-z0-9], random when the kernel gives randomness. */
static void random_suffix(char out[TMP_SUFFIX_LEN + 1])
{
	static const char set[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
	static unsigned counter;
	uint8_t r[TMP_SUFFIX_LEN];

	if (getrandom(r, sizeof(r), GRND_NONBLOCK) != (ssize_t)sizeof(r)) {
		struct timespec ts;
		uint64_t x;

		clock_gettime(CLOCK_REALTIME, &ts);
		x = (uint64_t)ts.tv_nsec ^ (uint64_t)getpid() << 32 ^
		    ++counter * 0x9e3779b97f4a7c15ULL;
		for (size_t i = 0; i < sizeof(r); i++, x >>= 8)
			r[i] = (uint8_t)x;
	}
	for (size_t i = 0; i < TMP_SUFFIX_LEN; i++)
		out[i] = set[r[i] % (sizeof(set) - 1)];
	out[TMP_SUFFIX_LEN] = '\0';
}

/* "DIR/.NAME.tmp." for path "DIR/NAME" (or ".NAME.tmp." without a DIR),
 * and the directory alone ("." when none) for the fsync.  False when too
 * long. */
static bool split_path(const char *path, char *tmp, size_t tmplen, char *dir, size_t dirlen)
{
	const char *slash = strrchr(path, '/');
	int dn = slash ? (int)(slash - path) : 0, n;

	if (!slash)
		n = snprintf(dir, dirlen, ".");
	else if (dn == 0)
		n = snprintf(dir, dirlen, "/");
	else
		n = snprintf(dir, dirlen, "%.*s", dn, path);
	if (n < 0 || (size_t)n >= dirlen)
		return false;
	n = snprintf(tmp, tmplen, "%.*s.%s.tmp.", slash ? dn + 1 : 0, path,
		     slash ? slash + 1 : path);
	return n >= 0 && (size_t)n + TMP_SUFFIX_LEN < tmplen;
}

/* A new temporary file at tmp (its last TMP_SUFFIX_LEN + 1 bytes are
 * filled in), mode exactly mode; -1 with errno on failure. */
static int create_tmp(int dirfd, char *tmp, mode_t mode)
{
	size_t base = strlen(tmp);

	for (int i = 0; i < CS_ATOMIC_TMP_ATTEMPTS; i++) {
		int fd, e;

		random_suffix(tmp + base);
		fd = openat(dirfd, tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, mode);
		if (fd < 0 && errno == EEXIST)
			continue;
		if (fd < 0 || fchmod(fd, mode) == 0)
			return fd;
		e = errno;
		close(fd);
		unlinkat(dirfd, tmp, 0);
		errno = e;
		return -1;
	}
	return -1; /* errno is EEXIST */
}

/* fill into fd, flushed, fsync'ed and closed; 0 or an errno (-1: no errno). */
static int fill_fd(int fd, atomic_fill_fn fill, void *ctx)
{
	FILE *f = fdopen(fd, "w");
	int e = 0;

	if (!f) {
		e = errno;
		close(fd);
		return e;
	}
	errno = 0;
	if (!fill(f, ctx) || fflush(f) != 0 || ferror(f) || fsync(fd) != 0)
		e = errno ? errno : -1;
	if (fclose(f) != 0 && e == 0)
		e = errno ? errno : -1;
	return e;
}

static void sync_dir(int dirfd, const char *dir)
{
	int fd = openat(dirfd, dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);

	if (fd >= 0) {
		fsync(fd); /* some file systems refuse; the rename is done either way */
		close(fd);
	}
}

enum cs_status atomic_write(int dirfd, const char *path, mode_t mode, atomic_fill_fn fill,
			    void *ctx, char *err, size_t errlen)
{
	char tmp[PATH_MAX], dir[PATH_MAX];
	int fd, e;

	if (!split_path(path, tmp, sizeof(tmp), dir, sizeof(dir))) {
		e = ENAMETOOLONG;
		snprintf(tmp, sizeof(tmp), "%s", path);
		goto fail;
	}
	fd = create_tmp(dirfd, tmp, mode);
	if (fd < 0) {
		e = errno;
		goto fail;
	}
	e = fill_fd(fd, fill, ctx);
	if (e == 0 && renameat(dirfd, tmp, dirfd, path) != 0)
		e = errno;
	if (e != 0) {
		unlinkat(dirfd, tmp, 0);
		goto fail;
	}
	sync_dir(dirfd, dir);
	return CS_OK;
fail:
	if (err)
		snprintf(err, errlen, "%s: %s", tmp, e > 0 ? strerror(e) : "write failed");
	errno = e > 0 ? e : EIO;
	return CS_IO;
}
