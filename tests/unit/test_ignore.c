/*
 * test_ignore.c - --server-net and --ignore (cs_ignore.h): CIDR parsing
 * and matching (IPv4 inside the 128-bit form, IPv6, odd prefixes), the
 * rules file (every form of SERVER, SNI and CODE, comments, and each
 * refusal naming its line), which handshakes a rule matches (port, no SNI,
 * SNI without regard to case, several rules adding up), and what applying
 * them leaves: a handshake stays broken only while an error is left, the
 * severity of each problem taken from its verdict (weak_key is a warning
 * before its cut-off) or the catalogue, never from the order of the codes.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cs_addr.h"
#include "cs_diag.h"
#include "cs_ignore.h"

static char path[64];

static struct ignore_list *load(const char *text, char *err, size_t errlen)
{
	FILE *f = fopen(path, "w");

	assert_non_null(f);
	fputs(text, f);
	assert_int_equal(fclose(f), 0);
	return ignore_load(path, err, errlen);
}

static struct cs_addr ip(const char *s)
{
	struct cs_addr a;

	assert_true(cs_addr_parse(s, &a));
	return a;
}

static void test_cidr(void **state)
{
	struct cs_cidr c;
	struct cs_addr a;

	(void)state;
	assert_true(cidr_parse("192.0.2.0/24", &c));
	a = ip("192.0.2.200");
	assert_true(cidr_contains(&c, &a));
	a = ip("192.0.3.1");
	assert_false(cidr_contains(&c, &a));
	a = ip("::ffff:192.0.2.1"); /* another family: not the IPv4 network */
	assert_false(cidr_contains(&c, &a));
	assert_true(cidr_parse("10.0.0.0/9", &c));
	a = ip("10.127.255.255");
	assert_true(cidr_contains(&c, &a));
	a = ip("10.128.0.0");
	assert_false(cidr_contains(&c, &a));
	assert_true(cidr_parse("2001:db8::/32", &c));
	a = ip("2001:db8:ffff::1");
	assert_true(cidr_contains(&c, &a));
	assert_true(cidr_parse("192.0.2.7", &c)); /* one address */
	a = ip("192.0.2.7");
	assert_true(cidr_contains(&c, &a));
	assert_true(cidr_parse("0.0.0.0/0", &c));
	a = ip("203.0.113.9");
	assert_true(cidr_contains(&c, &a));
	assert_false(cidr_parse("10.0.0.0/33", &c));
	assert_false(cidr_parse("2001:db8::/129", &c));
	assert_false(cidr_parse("10.0.0.0/8x", &c));
	assert_false(cidr_parse("not-an-address/8", &c));
}

static uint32_t bit(enum cs_problem p) { return 1u << p; }

static void test_rules(void **state)
{
	char err[256];
	struct ignore_list *l =
		load("# SERVER SNI CODE\n"
		     "192.0.2.7:443   legacy.example.com  expired_leaf   # until next month\n"
		     "192.0.2.8       -                   missing_intermediate\n"
		     "[2001:db8::5]:8443 *                *\n"
		     "*               Intranet.Example    untrusted_root\n"
		     "\n   \t\n"
		     "192.0.2.7:443   legacy.example.com  root_included\n",
		     err, sizeof(err));
	struct cs_addr a7 = ip("192.0.2.7"), a8 = ip("192.0.2.8"), v6 = ip("2001:db8::5");
	struct cs_addr other = ip("198.51.100.1");

	(void)state;
	assert_non_null(l);
	assert_int_equal(ignore_mask(l, &a7, 443, "legacy.example.com", 18),
			 bit(CS_P_EXPIRED_LEAF) | bit(CS_P_ROOT_INCLUDED));      /* rules add up */
	assert_int_equal(ignore_mask(l, &a7, 444, "legacy.example.com", 18), 0); /* port */
	assert_int_equal(ignore_mask(l, &a7, 443, "other.example.com", 17), 0);
	assert_int_equal(ignore_mask(l, &a8, 25, NULL, 0),
			 bit(CS_P_MISSING_INTERMEDIATE));             /* any port */
	assert_int_equal(ignore_mask(l, &a8, 25, "x.example", 9), 0); /* "-": no SNI only */
	assert_int_equal(ignore_mask(l, &v6, 8443, "anything", 8), ~0u);
	assert_int_equal(ignore_mask(l, &v6, 443, "anything", 8), 0);
	assert_int_equal(ignore_mask(l, &other, 443, "intranet.example", 16),
			 bit(CS_P_UNTRUSTED_ROOT));
	assert_int_equal(ignore_mask(l, &other, 443, "intranet.example.com", 20), 0); /* exactly */
	assert_int_equal(ignore_mask(NULL, &other, 443, NULL, 0), 0);
	ignore_free(l);
	ignore_free(NULL);
}

static void test_refusals(void **state)
{
	static const struct {
		const char *text, *message;
	} bad[] = {
		{"192.0.2.7 example.com\n", ":1: expected SERVER SNI CODE"},
		{"# ok\n192.0.2.7 example.com expired_leaf extra\n",
		 ":2: expected SERVER SNI CODE"},
		{"300.1.2.3 - expired_leaf\n", ":1: bad server"},
		{"192.0.2.0/24 - expired_leaf\n", ":1: bad server"},
		{"192.0.2.7:70000 - expired_leaf\n", ":1: bad server"},
		{"[2001:db8::1 - expired_leaf\n", ":1: bad server"},
		{"192.0.2.7 - expired_everything\n", ":1: unknown problem code"},
	};
	char err[256], big[2048];

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		assert_null(load(bad[i].text, err, sizeof(err)));
		if (!strstr(err, bad[i].message) || !strstr(err, path))
			fail_msg("%s: got \"%s\", wanted \"%s\"", bad[i].text, err, bad[i].message);
	}
	memset(big, 'a', sizeof(big) - 2);
	big[sizeof(big) - 2] = '\n', big[sizeof(big) - 1] = '\0';
	assert_null(load(big, err, sizeof(err)));
	assert_non_null(strstr(err, ":1: line too long"));
	assert_null(ignore_load("/nonexistent/ignore.txt", err, sizeof(err)));
	assert_non_null(strstr(err, "/nonexistent/ignore.txt: cannot read"));
}

static void test_too_many(void **state)
{
	char err[256];
	size_t n = (CS_MAX_IGNORE_RULES + 1) * 32;
	char *text = malloc(n + 1), *p = text;

	(void)state;
	assert_non_null(text);
	for (unsigned i = 0; i <= CS_MAX_IGNORE_RULES; i++)
		p += sprintf(p, "10.0.%u.%u - expired_leaf\n", i / 250, i % 250);
	assert_null(load(text, err, sizeof(err)));
	assert_non_null(strstr(err, "more than 1024 rules"));
	free(text);
}

/* A verdict with one record per (code, severity) given. */
static struct diag_verdict *verdict(const enum cs_problem *codes, const enum cs_severity *sev,
				    size_t n)
{
	struct diag_verdict *v = calloc(1, sizeof(*v) + n * sizeof(v->problems[0]));

	assert_non_null(v);
	v->nproblems = n;
	for (size_t i = 0; i < n; i++) {
		v->problems[i] = (struct diag_problem){.code = codes[i],
						       .severity = sev[i],
						       .subject = "",
						       .name = "",
						       .text = ""};
		v->mask |= 1u << codes[i];
		v->broken |= sev[i] == CS_SEV_ERROR;
	}
	return v;
}

/* One handshake given to ignore_apply: broken before, the problems of its
 * verdict (none: no verdict) and, if mismatch, hostname_mismatch; what it
 * must be after. */
struct apply_case {
	const char *name;
	const char *server;
	int verdict; /* index into the verdicts of test_apply, -1: none */
	bool mismatch;
	bool broken;       /* after */
	uint32_t problems; /* after */
};

static void check_apply(const struct ignore_list *l, const struct apply_case *c,
			const struct diag_verdict *v)
{
	struct cs_addr a = ip(c->server);
	struct agg_handshake h = {.server_ip = &a,
				  .server_port = 443,
				  .verdict = v,
				  .broken = true,
				  .problems = v ? v->mask : 0};

	if (c->mismatch) {
		h.sni = "x", h.sni_len = 1, h.hostname_mismatch = true;
		h.problems |= bit(CS_P_HOSTNAME_MISMATCH);
	}
	ignore_apply(l, &h);
	if (h.broken != c->broken || h.problems != c->problems)
		fail_msg("%s: broken %d problems %#x, wanted %d %#x", c->name, h.broken, h.problems,
			 c->broken, c->problems);
}

static void test_apply(void **state)
{
	static const struct apply_case cases[] = {
		{"the only error ignored: no longer broken, the warning stays", "192.0.2.7", 0,
		 false, false, 1u << CS_P_ROOT_INCLUDED},
		{"weak_key a warning by its verdict, though it is an error code: not broken",
		 "192.0.2.7", 1, false, false, 1u << CS_P_WEAK_KEY},
		{"... and an error after its cut-off: still broken", "192.0.2.7", 2, false, true,
		 1u << CS_P_WEAK_KEY},
		{"a warning ignored changes nothing about an error", "192.0.2.9", 0, false, true,
		 1u << CS_P_MISSING_INTERMEDIATE},
		{"the hostname check is per handshake, beside the verdict", "192.0.2.10", -1, true,
		 false, 0},
		{"the verdict's error is left", "192.0.2.10", 0, true, true,
		 1u << CS_P_MISSING_INTERMEDIATE | 1u << CS_P_ROOT_INCLUDED},
	};
	char err[256];
	struct ignore_list *l = load("192.0.2.7 - missing_intermediate\n192.0.2.9 - root_included\n"
				     "192.0.2.10 * hostname_mismatch\n",
				     err, sizeof(err));
	enum cs_problem c1[] = {CS_P_MISSING_INTERMEDIATE, CS_P_ROOT_INCLUDED};
	enum cs_severity s1[] = {CS_SEV_ERROR, CS_SEV_WARNING};
	enum cs_problem c2[] = {CS_P_MISSING_INTERMEDIATE, CS_P_WEAK_KEY};
	enum cs_severity s2[] = {CS_SEV_ERROR, CS_SEV_WARNING}; /* before the cut-off */
	enum cs_severity s3[] = {CS_SEV_ERROR, CS_SEV_ERROR};   /* after it */
	struct diag_verdict *v[] = {verdict(c1, s1, 2), verdict(c2, s2, 2), verdict(c2, s3, 2)};

	(void)state;
	assert_non_null(l);
	for (size_t i = 0; i < CS_ARRAY_LEN(cases); i++)
		check_apply(l, &cases[i], cases[i].verdict < 0 ? NULL : v[cases[i].verdict]);
	ignore_free(l);
	for (size_t i = 0; i < CS_ARRAY_LEN(v); i++)
		free(v[i]);
}

static int setup(void **state)
{
	int fd;

	(void)state;
	snprintf(path, sizeof(path), "/tmp/test_ignore.XXXXXX");
	fd = mkstemp(path);
	if (fd < 0)
		return -1;
	close(fd);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	return unlink(path);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_cidr),     cmocka_unit_test(test_rules),
		cmocka_unit_test(test_refusals), cmocka_unit_test(test_too_many),
		cmocka_unit_test(test_apply),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
