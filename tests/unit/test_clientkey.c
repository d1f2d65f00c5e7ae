/*
 * test_clientkey.c - the client key file (cs_clientkey.h): created on first
 * use with mode 0600 and 32 hex digits, read back unchanged, two keys
 * differ, a file open to others or not a key refused with one reason, a
 * key appearing while another creates it kept (link, not rename), the key
 * id (a SHA-256 prefix computed here independently with libcrypto) and its
 * validator, the default path beside a state file; and the client sets:
 * the same address hashes differently under two keys, equally under one.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <dirent.h>
#include <fcntl.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cs_addr.h"
#include "cs_clientkey.h"
#include "cs_clientset.h"
#include "cs_codec.h"

#define TMPDIR_NAME "cs-clientkey"
#include "tmpdir.h"

static void path_of(char *buf, size_t len, const char *name)
{
	snprintf(buf, len, "%s/%s", dir, name);
}

static void write_file(const char *path, const char *text, mode_t mode)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, mode);

	assert_true(fd >= 0);
	assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
	assert_int_equal(fchmod(fd, mode), 0);
	close(fd);
}

static void test_created_then_read(void **state)
{
	(void)state;
	char p[PATH_MAX], text[64] = "", hex[33];
	uint8_t k1[CS_CLIENT_KEY_LEN], k2[CS_CLIENT_KEY_LEN], k3[CS_CLIENT_KEY_LEN];
	char err[256];
	bool created;
	struct stat st;
	FILE *f;

	path_of(p, sizeof(p), "a.key");
	assert_int_equal(clientkey_load(p, k1, &created, err, sizeof(err)), CS_OK);
	assert_true(created);
	assert_int_equal(stat(p, &st), 0);
	assert_int_equal(st.st_mode & 07777, 0600);
	f = fopen(p, "r");
	assert_non_null(fgets(text, sizeof(text), f));
	fclose(f);
	hex_lower(k1, sizeof(k1), hex);
	assert_int_equal(strlen(text), 33);
	assert_memory_equal(text, hex, 32);
	assert_int_equal(text[32], '\n');
	assert_int_equal(clientkey_load(p, k2, &created, err, sizeof(err)), CS_OK);
	assert_false(created);
	assert_memory_equal(k1, k2, sizeof(k1));
	path_of(p, sizeof(p), "b.key");
	assert_int_equal(clientkey_load(p, k3, &created, err, sizeof(err)), CS_OK);
	assert_true(created);
	assert_memory_not_equal(k1, k3, sizeof(k1));
	/* nothing but the two keys beside them: no temporary file left */
	{
		DIR *d = opendir(dir);
		struct dirent *de;
		int n = 0;

		while ((de = readdir(d)))
			n += de->d_name[0] != '.' ||
			     (strcmp(de->d_name, ".") && strcmp(de->d_name, ".."));
		closedir(d);
		assert_int_equal(n, 2);
	}
}

static void test_refusals(void **state)
{
	(void)state;
	static const struct {
		const char *name, *text;
		mode_t mode;
		const char *why;
	} cases[] = {
		{"open.key", "00112233445566778899aabbccddeeff\n", 0640, "chmod 600"},
		{"world.key", "00112233445566778899aabbccddeeff\n", 0604, "open to others"},
		{"short.key", "00112233445566778899aabbccddee\n", 0600,
		 "not a chainsniff client key"},
		{"upper.key", "00112233445566778899AABBCCDDEEFF\n", 0600, "32 lowercase hex"},
		{"long.key", "00112233445566778899aabbccddeeff00\n", 0600, "not a chainsniff"},
		{"trail.key", "00112233445566778899aabbccddeeff\n\n", 0600, "not a chainsniff"},
		{"empty.key", "", 0600, "not a chainsniff"},
	};
	uint8_t k[CS_CLIENT_KEY_LEN];
	char p[PATH_MAX], err[256];
	bool created;

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		path_of(p, sizeof(p), cases[i].name);
		write_file(p, cases[i].text, cases[i].mode);
		assert_int_equal(clientkey_load(p, k, &created, err, sizeof(err)), CS_BAD);
		assert_false(created);
		if (!strstr(err, cases[i].why) || strncmp(err, p, strlen(p)))
			fail_msg("%s: %s", cases[i].name, err);
	}
	path_of(p, sizeof(p), "good.key");
	write_file(p, "00112233445566778899aabbccddeeff", 0600); /* no newline: fine */
	assert_int_equal(clientkey_load(p, k, &created, err, sizeof(err)), CS_OK);
	assert_int_equal(k[15], 0xff);
	path_of(p, sizeof(p), "no/such/dir/x.key");
	assert_int_equal(clientkey_load(p, k, &created, err, sizeof(err)), CS_IO);
	assert_non_null(strstr(err, "cannot create"));
}

/* The id is the first 8 bytes of SHA-256("chainsniff key id" || key). */
static void test_key_id(void **state)
{
	(void)state;
	uint8_t key[CS_CLIENT_KEY_LEN], buf[17 + CS_CLIENT_KEY_LEN], md[32];
	char id[CS_CLIENT_KEY_ID_LEN], want[17];
	unsigned n;

	for (int i = 0; i < CS_CLIENT_KEY_LEN; i++)
		key[i] = (uint8_t)(i * 17 + 3);
	memcpy(buf, "chainsniff key id", 17);
	memcpy(buf + 17, key, sizeof(key));
	assert_true(EVP_Digest(buf, sizeof(buf), md, &n, EVP_sha256(), NULL));
	hex_lower(md, 8, want);
	clientkey_id(key, id);
	assert_string_equal(id, want);
	assert_true(clientkey_id_valid(id, strlen(id)));
	assert_true(clientkey_id_valid("legacy-fixed", 12));
	assert_false(clientkey_id_valid("legacy-fixed", 11));
	assert_false(clientkey_id_valid("0123456789ABCDEF", 16));
	assert_false(clientkey_id_valid("0123456789abcde", 15));
	assert_false(clientkey_id_valid("0123456789abcdef0", 17));
}

static void test_default_path(void **state)
{
	(void)state;
	char b[64];

	assert_true(clientkey_default_path("/var/lib/chainsniff/state.json", b, sizeof(b)));
	assert_string_equal(b, "/var/lib/chainsniff/client.key");
	assert_true(clientkey_default_path("state.json", b, sizeof(b)));
	assert_string_equal(b, "client.key");
	assert_true(clientkey_default_path("/state.json", b, sizeof(b)));
	assert_string_equal(b, "/client.key");
	assert_false(clientkey_default_path("/a/very/long/directory/name/state.json", b, 20));
}

/* One address, two keys: two hashes (the saved hash depends on the key). */
static void test_sets_follow_the_key(void **state)
{
	(void)state;
	uint8_t k1[CS_CLIENT_KEY_LEN] = {1}, k2[CS_CLIENT_KEY_LEN] = {2};
	struct clientset a, b, c;
	struct cs_addr ip;
	char id1[CS_CLIENT_KEY_ID_LEN];

	assert_true(cs_addr_parse("192.0.2.7", &ip));
	clientset_init(&a), clientset_init(&b), clientset_init(&c);
	clientset_set_key(k1);
	clientkey_id(k1, id1);
	assert_string_equal(clientset_key_id(), id1);
	clientset_add(&a, &ip);
	clientset_add(&c, &ip);
	clientset_set_key(k2);
	assert_string_not_equal(clientset_key_id(), id1);
	clientset_add(&b, &ip);
	assert_true(clientset_hash(&a, 0) != clientset_hash(&b, 0));
	assert_true(clientset_hash(&a, 0) == clientset_hash(&c, 0));
	clientset_fini(&a), clientset_fini(&b), clientset_fini(&c);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_created_then_read),
		cmocka_unit_test(test_refusals),
		cmocka_unit_test(test_key_id),
		cmocka_unit_test(test_default_path),
		cmocka_unit_test(test_sets_follow_the_key),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
