/*
 * test_readfile.c - read_file_capped (cs_readfile.h): files of 0 bytes,
 * of the 64 KiB first buffer and one byte more, at the cap and one byte
 * over it, an endless source (/dev/zero, which must stop at the cap), a
 * missing file and a directory: contents, the NUL after them, statuses,
 * errno and the messages.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <string.h>

#define TMPDIR_NAME "test_readfile"
#include "tmpdir.h"

#include "cs_readfile.h"

#define MIB (1u << 20)

/* A file of n bytes in the test's directory, byte i being i * 7. */
static void make_file(const char *name, size_t n, char *path, size_t len)
{
	FILE *f;

	snprintf(path, len, "%s/%s", dir, name);
	f = fopen(path, "w");
	assert_non_null(f);
	for (size_t i = 0; i < n; i++)
		fputc((int)(i * 7 & 0xff), f);
	assert_int_equal(fclose(f), 0);
}

static void test_sizes_under_the_cap(void **state)
{
	(void)state;
	const size_t sizes[] = {0, 1, 65535, 65536, 65537, MIB - 1, MIB};

	for (size_t k = 0; k < sizeof(sizes) / sizeof(sizes[0]); k++) {
		char path[PATH_MAX], err[256] = "", *buf;
		size_t n;

		make_file("f", sizes[k], path, sizeof path);
		assert_int_equal(
			read_file_capped(path, MIB, "a test file", &buf, &n, err, sizeof err),
			CS_OK);
		assert_int_equal(n, sizes[k]);
		for (size_t i = 0; i < n; i++)
			if ((unsigned char)buf[i] != (i * 7 & 0xff))
				fail_msg("size %zu: byte %zu is %u", sizes[k], i,
					 (unsigned char)buf[i]);
		assert_int_equal(buf[n], '\0');
		assert_string_equal(err, "");
		free(buf);
	}
}

/* One byte over the cap, and a source that never ends: refused, named. */
static void test_over_the_cap(void **state)
{
	(void)state;
	char path[PATH_MAX], err[512], want[PATH_MAX + 64], *buf;
	size_t n;

	make_file("big", MIB + 1, path, sizeof path);
	assert_int_equal(read_file_capped(path, MIB, "a test file", &buf, &n, err, sizeof err),
			 CS_LIMIT);
	assert_null(buf);
	assert_int_equal(n, 0);
	snprintf(want, sizeof want, "%s: larger than 1 MiB: not a test file", path);
	assert_string_equal(err, want);
	assert_int_equal(
		read_file_capped("/dev/zero", 2 * MIB, "a state file", &buf, &n, err, sizeof err),
		CS_LIMIT);
	assert_null(buf);
	assert_string_equal(err, "/dev/zero: larger than 2 MiB: not a state file");
}

static void test_cannot_read(void **state)
{
	(void)state;
	char path[PATH_MAX], err[512], want[PATH_MAX + 64], *buf;
	size_t n;

	snprintf(path, sizeof path, "%s/missing", dir);
	assert_int_equal(read_file_capped(path, MIB, "x", &buf, &n, err, sizeof err), CS_IO);
	assert_int_equal(errno, ENOENT);
	assert_null(buf);
	snprintf(want, sizeof want, "%s: No such file or directory", path);
	assert_string_equal(err, want);
	assert_int_equal(read_file_capped(dir, MIB, "x", &buf, &n, err, sizeof err), CS_IO);
	assert_int_equal(errno, EISDIR);
	assert_null(buf);
	snprintf(want, sizeof want, "%s: Is a directory", dir);
	assert_string_equal(err, want);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_sizes_under_the_cap, setup, teardown),
		cmocka_unit_test_setup_teardown(test_over_the_cap, setup, teardown),
		cmocka_unit_test_setup_teardown(test_cannot_read, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
