/*
 * test_atomicfile.c - the one atomic file writer (cs_atomicfile.h): new
 * and replaced files get exactly the content and the mode asked for
 * (whatever the umask), a replaced file is a new inode (a reader holding
 * the old one keeps it whole), a symlink at the target is replaced and
 * never followed, failures leave the target and the directory as they were
 * and name the temporary file, and a directory descriptor works as well as
 * a path.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cs_atomicfile.h"

#define TMPDIR_NAME "cs-atomic"
#include "tmpdir.h"

static bool fill_text(FILE *f, void *ctx) { return fputs(ctx, f) >= 0; }

static bool fill_fails(FILE *f, void *ctx)
{
	(void)ctx;
	fputs("half", f);
	errno = ENOSPC;
	return false;
}

static bool fill_fails_quietly(FILE *f, void *ctx)
{
	(void)f, (void)ctx;
	errno = 0;
	return false;
}

static void path_of(const char *name, char *out, size_t len)
{
	snprintf(out, len, "%s/%s", dir, name);
}

/* The file's whole content into buf ("" when missing). */
static const char *content(const char *path, char *buf, size_t len)
{
	FILE *f = fopen(path, "r");
	size_t n = 0;

	if (f) {
		n = fread(buf, 1, len - 1, f);
		fclose(f);
	}
	buf[n] = '\0';
	return buf;
}

/* Entries of the directory (not . and ..). */
static int entries(void)
{
	DIR *d = opendir(dir);
	struct dirent *de;
	int n = 0;

	assert_non_null(d);
	while ((de = readdir(d)) != NULL)
		n += strcmp(de->d_name, ".") && strcmp(de->d_name, "..");
	closedir(d);
	return n;
}

static void test_new_file_has_content_and_exact_mode(void **state)
{
	char path[PATH_MAX], buf[64];
	struct stat st;
	mode_t old = umask(077);

	(void)state;
	path_of("report.json", path, sizeof(path));
	assert_int_equal(atomic_write(AT_FDCWD, path, 0644, fill_text, "one\n", NULL, 0), CS_OK);
	umask(old);
	assert_string_equal(content(path, buf, sizeof(buf)), "one\n");
	assert_int_equal(lstat(path, &st), 0);
	assert_true(S_ISREG(st.st_mode));
	assert_int_equal(st.st_mode & 07777, 0644); /* the umask did not narrow it */
	assert_int_equal(entries(), 1);             /* no temporary file left */
	assert_int_equal(atomic_write(AT_FDCWD, path, 0600, fill_text, "two\n", NULL, 0), CS_OK);
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 07777, 0600);
	unlink(path);
}

/* A reader that opened the old file keeps reading the old file whole. */
static void test_replace_is_a_new_inode(void **state)
{
	char path[PATH_MAX], old[PATH_MAX], buf[64];

	(void)state;
	path_of("state.json", path, sizeof(path));
	path_of("held-by-a-reader", old, sizeof(old));
	assert_int_equal(atomic_write(AT_FDCWD, path, 0600, fill_text, "old\n", NULL, 0), CS_OK);
	assert_int_equal(link(path, old), 0);
	assert_int_equal(atomic_write(AT_FDCWD, path, 0600, fill_text, "new\n", NULL, 0), CS_OK);
	assert_string_equal(content(path, buf, sizeof(buf)), "new\n");
	assert_string_equal(content(old, buf, sizeof(buf)), "old\n");
	assert_int_equal(entries(), 2);
	unlink(path);
	unlink(old);
}

static void test_symlink_at_target_is_replaced_not_followed(void **state)
{
	char path[PATH_MAX], victim[PATH_MAX], buf[64];
	struct stat st;

	(void)state;
	path_of("x.pem", path, sizeof(path));
	path_of("victim", victim, sizeof(victim));
	assert_int_equal(atomic_write(AT_FDCWD, victim, 0644, fill_text, "precious\n", NULL, 0),
			 CS_OK);
	assert_int_equal(symlink(victim, path), 0);
	assert_int_equal(atomic_write(AT_FDCWD, path, 0644, fill_text, "pem\n", NULL, 0), CS_OK);
	assert_string_equal(content(victim, buf, sizeof(buf)), "precious\n");
	assert_int_equal(lstat(path, &st), 0);
	assert_true(S_ISREG(st.st_mode));
	assert_string_equal(content(path, buf, sizeof(buf)), "pem\n");
	/* a dangling symlink too: nothing is created where it points */
	unlink(path);
	unlink(victim);
	assert_int_equal(symlink(victim, path), 0);
	assert_int_equal(atomic_write(AT_FDCWD, path, 0644, fill_text, "pem\n", NULL, 0), CS_OK);
	assert_int_not_equal(access(victim, F_OK), 0);
	assert_int_equal(entries(), 1);
	unlink(path);
}

static void test_failed_fill_leaves_target_and_directory(void **state)
{
	char path[PATH_MAX], buf[64], err[PATH_MAX + 64];

	(void)state;
	path_of("state.json", path, sizeof(path));
	assert_int_equal(atomic_write(AT_FDCWD, path, 0600, fill_text, "whole\n", NULL, 0), CS_OK);
	errno = 0;
	assert_int_equal(atomic_write(AT_FDCWD, path, 0600, fill_fails, NULL, err, sizeof(err)),
			 CS_IO);
	assert_int_equal(errno, ENOSPC);
	assert_string_equal(content(path, buf, sizeof(buf)), "whole\n");
	assert_int_equal(entries(), 1);
	/* the message names the temporary file and the reason */
	assert_non_null(strstr(err, "/.state.json.tmp."));
	assert_non_null(strstr(err, strerror(ENOSPC)));
	/* a failure without an errno is still one */
	assert_int_equal(
		atomic_write(AT_FDCWD, path, 0600, fill_fails_quietly, NULL, err, sizeof(err)),
		CS_IO);
	assert_int_equal(errno, EIO);
	assert_non_null(strstr(err, ": write failed"));
	assert_int_equal(entries(), 1);
	unlink(path);
}

static void test_missing_directory_and_long_names(void **state)
{
	char path[PATH_MAX], err[2 * PATH_MAX];
	char *longname = malloc(PATH_MAX + 2);

	(void)state;
	path_of("no/such/dir/x.state", path, sizeof(path));
	errno = 0;
	assert_int_equal(atomic_write(AT_FDCWD, path, 0600, fill_text, "x", err, sizeof(err)),
			 CS_IO);
	assert_int_equal(errno, ENOENT);
	assert_non_null(strstr(err, "no/such/dir/.x.state.tmp."));
	memset(longname, 'a', PATH_MAX + 1);
	longname[PATH_MAX + 1] = '\0';
	assert_int_equal(atomic_write(AT_FDCWD, longname, 0600, fill_text, "x", err, sizeof(err)),
			 CS_IO);
	assert_int_equal(errno, ENAMETOOLONG);
	free(longname);
	assert_int_equal(entries(), 0);
}

/* Relative to a directory descriptor (the sensor opens its report
 * directory before dropping privileges). */
static void test_relative_to_a_directory_descriptor(void **state)
{
	char path[PATH_MAX], buf[64];
	int dfd = open(dir, O_RDONLY | O_DIRECTORY);

	(void)state;
	assert_true(dfd >= 0);
	assert_int_equal(atomic_write(dfd, "chainsniff-a-20240101T000000Z.txt", 0644, fill_text,
				      "txt\n", NULL, 0),
			 CS_OK);
	close(dfd);
	path_of("chainsniff-a-20240101T000000Z.txt", path, sizeof(path));
	assert_string_equal(content(path, buf, sizeof(buf)), "txt\n");
	assert_int_equal(entries(), 1);
	unlink(path);
}

/* Files that look like other writers' temporary files are left alone. */
static void test_other_temporary_files_untouched(void **state)
{
	static const char *const names[] = {".r.json.tmp.AAAAAA", ".r.json.tmp.zzzzzz",
					    ".r.json.tmp"};
	char path[PATH_MAX], buf[64];

	(void)state;
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		path_of(names[i], path, sizeof(path));
		assert_int_equal(atomic_write(AT_FDCWD, path, 0644, fill_text, "other\n", NULL, 0),
				 CS_OK);
	}
	path_of("r.json", path, sizeof(path));
	assert_int_equal(atomic_write(AT_FDCWD, path, 0644, fill_text, "mine\n", NULL, 0), CS_OK);
	assert_string_equal(content(path, buf, sizeof(buf)), "mine\n");
	assert_int_equal(entries(), 4);
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		path_of(names[i], path, sizeof(path));
		assert_string_equal(content(path, buf, sizeof(buf)), "other\n");
		unlink(path);
	}
	path_of("r.json", path, sizeof(path));
	unlink(path);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_new_file_has_content_and_exact_mode),
		cmocka_unit_test(test_replace_is_a_new_inode),
		cmocka_unit_test(test_symlink_at_target_is_replaced_not_followed),
		cmocka_unit_test(test_failed_fill_leaves_target_and_directory),
		cmocka_unit_test(test_missing_directory_and_long_names),
		cmocka_unit_test(test_relative_to_a_directory_descriptor),
		cmocka_unit_test(test_other_temporary_files_untouched),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
