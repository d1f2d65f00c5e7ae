/*
 * test_logfile.c - the reopenable log (cs_logfile.h): lines are appended,
 * a new file gets mode 0640, a symlink is refused, a reopen after a rename
 * writes to the new file at the path (logrotate "create"), an in-place
 * truncation is followed by lines at offset 0 without a hole
 * ("copytruncate"), a failed reopen keeps the old descriptor, write errors
 * are reported and counted, and err_once says each distinct error once and
 * the recovery once.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cs_logfile.h"

#define TMPDIR_NAME "cs-logfile"
#include "tmpdir.h"

static void path_of(char *buf, size_t len, const char *name)
{
	snprintf(buf, len, "%s/%s", dir, name);
}

/* The whole file as a string (small files only). */
static void slurp(const char *path, char *buf, size_t len)
{
	FILE *f = fopen(path, "rb");
	size_t n;

	assert_non_null(f);
	n = fread(buf, 1, len - 1, f);
	buf[n] = '\0';
	fclose(f);
}

static void put_line(struct logfile *lf, const char *line)
{
	assert_true(fputs(line, logfile_stream(lf)) >= 0);
	assert_true(logfile_check(lf));
}

static void test_append_mode_0640(void **state)
{
	char p[PATH_MAX], buf[256], err[256];
	struct logfile *lf;
	struct stat st;
	mode_t old = umask(0);

	(void)state;
	path_of(p, sizeof(p), "events.ndjson");
	lf = logfile_open(p, err, sizeof(err));
	umask(old);
	assert_non_null(lf);
	put_line(lf, "one\n");
	assert_int_equal(stat(p, &st), 0);
	assert_int_equal(st.st_mode & 07777, 0640);
	assert_true(logfile_close(lf));
	/* a second run appends, never truncates */
	lf = logfile_open(p, err, sizeof(err));
	assert_non_null(lf);
	put_line(lf, "two\n");
	assert_true(logfile_close(lf));
	slurp(p, buf, sizeof(buf));
	assert_string_equal(buf, "one\ntwo\n");
	assert_string_equal(logfile_path(lf = logfile_open("-", err, sizeof(err))),
			    "standard output");
	assert_true(logfile_close(lf));
}

static void test_symlink_refused(void **state)
{
	char p[PATH_MAX], target[PATH_MAX], err[512];

	(void)state;
	path_of(p, sizeof(p), "link.ndjson");
	path_of(target, sizeof(target), "target");
	assert_int_equal(symlink(target, p), 0);
	assert_null(logfile_open(p, err, sizeof(err)));
	assert_non_null(strstr(err, p));
	assert_non_null(strstr(err, strerror(ELOOP)));
	assert_int_equal(access(target, F_OK), -1); /* nothing created through the link */
}

/* logrotate "create": the file is renamed, a new one made, then SIGHUP. */
static void test_reopen_after_rename(void **state)
{
	char p[PATH_MAX], moved[PATH_MAX], buf[256], err[256];
	struct logfile *lf;

	(void)state;
	path_of(p, sizeof(p), "events.ndjson");
	path_of(moved, sizeof(moved), "events.ndjson.1");
	assert_non_null(lf = logfile_open(p, err, sizeof(err)));
	put_line(lf, "before\n");
	assert_int_equal(rename(p, moved), 0);
	put_line(lf, "still old\n"); /* no reopen yet: the moved file */
	assert_true(logfile_reopen(lf));
	put_line(lf, "after\n");
	assert_true(logfile_close(lf));
	slurp(moved, buf, sizeof(buf));
	assert_string_equal(buf, "before\nstill old\n");
	slurp(p, buf, sizeof(buf));
	assert_string_equal(buf, "after\n");
}

/* logrotate "copytruncate": the file is copied, then truncated in place. */
static void test_copytruncate_no_hole(void **state)
{
	char p[PATH_MAX], buf[256], err[256];
	struct logfile *lf;
	struct stat st;

	(void)state;
	path_of(p, sizeof(p), "events.ndjson");
	assert_non_null(lf = logfile_open(p, err, sizeof(err)));
	put_line(lf, "a long line before the rotation\n");
	assert_int_equal(truncate(p, 0), 0);
	put_line(lf, "next\n");
	assert_true(logfile_close(lf));
	assert_int_equal(stat(p, &st), 0);
	assert_int_equal(st.st_size, 5);
	slurp(p, buf, sizeof(buf));
	assert_string_equal(buf, "next\n");
}

/* The directory went away: the reopen fails, the old file keeps the lines. */
static void test_failed_reopen_keeps_old(void **state)
{
	char sub[PATH_MAX], p[PATH_MAX], err[256];
	struct logfile *lf;
	struct stat st;
	uint64_t writes, reopens;
	long before;

	(void)state;
	path_of(sub, sizeof(sub), "sub");
	assert_int_equal(mkdir(sub, 0755), 0);
	path_of(p, sizeof(p), "sub/events.ndjson");
	assert_non_null(lf = logfile_open(p, err, sizeof(err)));
	put_line(lf, "first\n");
	assert_int_equal(fstat(fileno(logfile_stream(lf)), &st), 0);
	before = (long)st.st_size;
	assert_int_equal(unlink(p), 0);
	assert_int_equal(rmdir(sub), 0);
	assert_false(logfile_reopen(lf));
	assert_false(logfile_reopen(lf)); /* said once, counted twice */
	logfile_failures(lf, &writes, &reopens);
	assert_int_equal(writes, 0);
	assert_int_equal(reopens, 2);
	put_line(lf, "second\n");
	assert_int_equal(fstat(fileno(logfile_stream(lf)), &st), 0);
	assert_int_equal((long)st.st_size, before + 7);
	assert_true(logfile_close(lf));
}

static void test_write_error_reported(void **state)
{
	uint64_t writes, reopens;
	char err[256];
	struct logfile *lf;

	(void)state;
	if (access("/dev/full", W_OK) != 0)
		skip();
	assert_non_null(lf = logfile_open("/dev/full", err, sizeof(err)));
	errno = 0;
	fputs("lost\n", logfile_stream(lf));
	assert_int_equal(errno, ENOSPC);
	assert_false(logfile_check(lf));
	fputs("lost too\n", logfile_stream(lf));
	assert_false(logfile_check(lf));
	logfile_failures(lf, &writes, &reopens);
	assert_int_equal(writes, 2);
	assert_int_equal(reopens, 0);
	logfile_close(lf);
}

static void test_err_once(void **state)
{
	struct err_once e = {0};

	(void)state;
	assert_true(err_once_fail(&e, "/x/reports", "write the periodic report", EACCES));
	assert_false(err_once_fail(&e, "/x/reports", "write the periodic report", EACCES));
	assert_true(err_once_fail(&e, "/x/reports", "write the periodic report", ENOSPC));
	assert_int_equal(e.failures, 3);
	err_once_ok(&e, "/x/reports", "periodic reports written again");
	assert_int_equal(e.last_errno, 0);
	assert_true(err_once_fail(&e, "/x/reports", "write the periodic report", ENOSPC));
	assert_true(err_once_fail(&e, "/x", "y", 0) || e.last_errno == EIO);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_append_mode_0640, setup, teardown),
		cmocka_unit_test_setup_teardown(test_symlink_refused, setup, teardown),
		cmocka_unit_test_setup_teardown(test_reopen_after_rename, setup, teardown),
		cmocka_unit_test_setup_teardown(test_copytruncate_no_hole, setup, teardown),
		cmocka_unit_test_setup_teardown(test_failed_reopen_keeps_old, setup, teardown),
		cmocka_unit_test_setup_teardown(test_write_error_reported, setup, teardown),
		cmocka_unit_test(test_err_once),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
