/*
 * test_merge.c - `chainsniff merge` (cs_merge.h) through its entry point,
 * on reports written by engines fed lab captures (pcaps/lab): merging is
 * associative and order-independent (the same bytes whatever the order or
 * grouping), a plain report merges like its state file, problems of known
 * codes are worded again from their parameters (a report's words are not
 * trusted), problems and counters of codes and keys this chainsniff does
 * not know are kept as read, the same problem in two reports is chosen on
 * its content (an error over a warning), different trust stores give
 * "mixed", and refusals: the same sensor over overlapping windows (exit
 * 6), another report_version, a corrupt file, an old periodic report.
 * Run from the repository root.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cs_capture.h"
#include "cs_exit.h"
#include "cs_judge.h"
#include "cs_merge.h"
#include "cs_report.h"
#include "testlib.h"
#include "testfeed.h"

#define TRUST "pcaps/lab/pki/trust.pem"

struct fixture {
	char dir[64];
	char a[128], b[128], c[128], b_state[128];
};

static struct fixture fx;

/* The report of one capture by sensor name into path (state: with DER). */
static void report(const char *capture, const char *sensor, const char *path, bool state)
{
	struct trust_opts to = {.ca_files = {TRUST}, .n_ca_files = 1};
	struct engine *e = tf_engine_new(&to, sensor);
	FILE *f;

	tf_feed(e, capture);
	engine_finish(e);
	f = fopen(path, "w");
	assert_non_null(f);
	if (state)
		report_json_state(f, e);
	else
		report_json(f, e);
	assert_int_equal(fclose(f), 0);
	tf_engine_free(e);
}

static int setup(void **state)
{
	(void)state;
	snprintf(fx.dir, sizeof(fx.dir), "/tmp/test_merge.XXXXXX");
	if (!mkdtemp(fx.dir))
		return -1;
	snprintf(fx.a, sizeof(fx.a), "%s/a.json", fx.dir);
	snprintf(fx.b, sizeof(fx.b), "%s/b.json", fx.dir);
	snprintf(fx.c, sizeof(fx.c), "%s/c.json", fx.dir);
	snprintf(fx.b_state, sizeof(fx.b_state), "%s/b.state", fx.dir);
	report("pcaps/lab/multi-server.pcap", "a", fx.a, false);
	report("pcaps/lab/diag-client-rejects.pcap", "b", fx.b, false);
	report("pcaps/lab/diag-client-rejects.pcap", "b", fx.b_state, true);
	report("pcaps/lab/freq-three-servers.pcap", "c", fx.c, false);
	return 0;
}

static int teardown(void **state)
{
	char cmd[128];

	(void)state;
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", fx.dir);
	return system(cmd) == 0 ? 0 : -1;
}

/* merge FILES... into out; the exit code. */
static int merge(const char *out, const char *first, ...)
{
	char *argv[16] = {strdup("merge"), strdup("-o"), strdup(out)};
	int argc = 3, rc;
	va_list ap;

	va_start(ap, first);
	for (const char *f = first; f && argc < 15; f = va_arg(ap, const char *))
		argv[argc++] = strdup(f);
	va_end(ap);
	argv[argc] = NULL;
	optind = 0; /* getopt_long again from the start */
	rc = merge_main(argc, argv);
	for (int i = 0; i < argc; i++)
		free(argv[i]);
	return rc;
}

static json_t *load(const char *path)
{
	json_error_t je;
	json_t *doc = json_load_file(path, JSON_ALLOW_NUL, &je);

	if (!doc)
		fail_msg("%s: %s", path, je.text);
	return doc;
}

static void save(const char *path, json_t *doc)
{
	assert_int_equal(json_dump_file(doc, path, JSON_INDENT(1)), 0);
}

static char *tmp(const char *name)
{
	static char paths[8][160];
	static int k;
	char *p = paths[k++ % 8];

	snprintf(p, 160, "%s/%s", fx.dir, name);
	return p;
}

static void assert_same_file(const char *x, const char *y)
{
	char *a = tl_read_text(x), *b = tl_read_text(y);

	if (strcmp(a, b))
		fail_msg("%s and %s differ", x, y);
	free(a);
	free(b);
}

static void test_order_and_grouping(void **state)
{
	char *abc = tmp("abc.json"), *cab = tmp("cab.json"), *ab = tmp("ab.json"),
	     *ab_c = tmp("ab-c.json");
	char *cb = tmp("cb.json"), *a_cb = tmp("a-cb.json");

	(void)state;
	assert_int_equal(merge(abc, fx.a, fx.b, fx.c, NULL), CS_EXIT_OK);
	assert_int_equal(merge(cab, fx.c, fx.a, fx.b, NULL), CS_EXIT_OK);
	assert_int_equal(merge(ab, fx.b, fx.a, NULL), CS_EXIT_OK);
	assert_int_equal(merge(ab_c, ab, fx.c, NULL), CS_EXIT_OK);
	assert_int_equal(merge(cb, fx.c, fx.b, NULL), CS_EXIT_OK);
	assert_int_equal(merge(a_cb, cb, fx.a, NULL), CS_EXIT_OK);
	assert_same_file(abc, cab);
	assert_same_file(abc, ab_c);
	assert_same_file(abc, a_cb);
}

/* A plain report and the state file of the same run merge alike. */
static void test_plain_as_state(void **state)
{
	char *x = tmp("x.json"), *y = tmp("y.json");

	(void)state;
	assert_int_equal(merge(x, fx.a, fx.b, NULL), CS_EXIT_OK);
	assert_int_equal(merge(y, fx.a, fx.b_state, NULL), CS_EXIT_OK);
	assert_same_file(x, y);
}

static json_t *first_problem(json_t *doc)
{
	json_t *servers = json_object_get(doc, "servers");

	for (size_t i = 0; i < json_array_size(servers); i++) {
		json_t *chains = json_object_get(json_array_get(servers, i), "chains");

		for (size_t k = 0; k < json_array_size(chains); k++) {
			json_t *p = json_array_get(
				json_object_get(json_array_get(chains, k), "problems"), 0);

			if (p)
				return p;
		}
	}
	fail_msg("no problem in the report");
	return NULL;
}

/* The first problem of the report at path has key = want. */
static void assert_first_problem(const char *path, const char *key, const char *want)
{
	json_t *out = load(path);
	const char *got = json_string_value(json_object_get(first_problem(out), key));

	if (!got || strcmp(got, want))
		fail_msg("%s: the first problem's %s is \"%s\", not \"%s\"", path, key,
			 got ? got : "(none)", want);
	json_decref(out);
}

/* Known codes are worded by this chainsniff's catalogue, not as read. */
static void test_words_from_params(void **state)
{
	json_t *doc = load(fx.c), *p = first_problem(doc);
	char *edited = tmp("c-edited.json"), *m = tmp("m.json"), *orig = tmp("m-orig.json");
	char *message;

	(void)state;
	message = strdup(json_string_value(json_object_get(p, "message")));
	json_object_set_new(p, "message", json_string("Trust me, all is fine."));
	json_object_set_new(p, "fix", json_string("Nothing to do."));
	save(edited, doc);
	assert_int_equal(merge(m, edited, NULL), CS_EXIT_OK);
	assert_int_equal(merge(orig, fx.c, NULL), CS_EXIT_OK);
	assert_first_problem(m, "message", message);
	assert_same_file(m, orig);
	json_decref(doc);
	free(message);
}

/* A newer sensor's code and counters survive a merge, and a merge of it. */
static void test_unknown_kept(void **state)
{
	json_t *doc = load(fx.c), *p = first_problem(doc), *out;
	char *newer = tmp("c-newer.json"), *m1 = tmp("m1.json"), *m2 = tmp("m2.json");

	(void)state;
	json_object_set_new(p, "code", json_string("ocsp_must_staple_unmet"));
	json_object_set_new(p, "severity", json_string("error"));
	json_object_set_new(p, "message", json_string("evil.test is outside allowed.test."));
	json_object_set_new(p, "fix", json_string("Ask the CA."));
	json_object_set_new(p, "params", json_pack("{s:i}", "permitted", 1));
	json_object_set_new(json_object_get(doc, "totals"), "frobs", json_integer(5));
	json_object_set_new(json_object_get(doc, "caps"), "new_cap", json_integer(2));
	save(newer, doc);
	assert_int_equal(merge(m1, newer, fx.a, NULL), CS_EXIT_OK);
	assert_int_equal(merge(m2, m1, fx.b, NULL), CS_EXIT_OK);
	for (int i = 0; i < 2; i++) {
		char *text = tl_read_text(i ? m2 : m1);

		out = load(i ? m2 : m1);
		assert_non_null(strstr(text, "\"code\": \"ocsp_must_staple_unmet\""));
		assert_non_null(
			strstr(text, "\"message\": \"evil.test is outside allowed.test.\""));
		assert_non_null(strstr(text, "\"fix\": \"Ask the CA.\""));
		assert_int_equal(json_integer_value(
					 json_object_get(json_object_get(out, "totals"), "frobs")),
				 5);
		assert_int_equal(json_integer_value(
					 json_object_get(json_object_get(out, "caps"), "new_cap")),
				 2);
		json_decref(out);
		free(text);
	}
	json_decref(doc);
}

/* Two sensors' words for one problem: the error wins, whatever the order. */
static void test_preference(void **state)
{
	json_t *doc = load(fx.b), *p = first_problem(doc);
	char *warn = tmp("b-warn.json"), *x = tmp("pref-x.json"), *y = tmp("pref-y.json");
	char *sev;

	(void)state;
	sev = strdup(json_string_value(json_object_get(p, "severity")));
	json_object_set_new(p, "severity", json_string(strcmp(sev, "error") ? "error" : "warning"));
	json_object_set_new(doc, "sensor", json_string("b2"));
	save(warn, doc);
	assert_int_equal(merge(x, fx.b, warn, NULL), CS_EXIT_OK);
	assert_int_equal(merge(y, warn, fx.b, NULL), CS_EXIT_OK);
	assert_same_file(x, y);
	assert_first_problem(x, "severity", "error");
	json_decref(doc);
	free(sev);
}

static void test_mixed_trust(void **state)
{
	json_t *doc = load(fx.c), *out;
	char *other = tmp("c-other.json"), *m = tmp("mixed.json");

	(void)state;
	json_object_set_new(
		json_object_get(doc, "trust_store"), "sha256",
		json_string("0000000000000000000000000000000000000000000000000000000000000000"));
	save(other, doc);
	assert_int_equal(merge(m, fx.a, other, NULL), CS_EXIT_OK);
	out = load(m);
	assert_string_equal(
		json_string_value(json_object_get(json_object_get(out, "trust_store"), "name")),
		"mixed");
	assert_true(json_is_null(json_object_get(json_object_get(out, "trust_store"), "sha256")));
	json_decref(out);
	json_decref(doc);
}

static void test_refusals(void **state)
{
	json_t *doc = load(fx.b);
	char *v2 = tmp("v2.json"), *cut = tmp("cut.json"), *old = tmp("old-window.json"),
	     *m = tmp("r.json");
	FILE *f;

	(void)state;
	assert_int_equal(merge(m, fx.b, fx.b_state, NULL),
			 CS_EXIT_OVERLAP); /* same sensor, same time */
	json_object_set_new(doc, "report_version", json_integer(2));
	save(v2, doc);
	assert_int_equal(merge(m, fx.a, v2, NULL), CS_EXIT_INPUT);
	f = fopen(cut, "w");
	assert_non_null(f);
	fputs("{\"report_version\": 1, \"servers\": [", f);
	fclose(f);
	assert_int_equal(merge(m, fx.a, cut, NULL), CS_EXIT_INPUT);
	json_object_set_new(doc, "report_version", json_integer(1));
	json_object_set_new(doc, "window", json_pack("{s:s,s:[]}", "kind", "interval", "servers"));
	save(old, doc);
	assert_int_equal(merge(m, fx.a, old, NULL), CS_EXIT_INPUT);
	assert_int_equal(merge(m, fx.a, tmp("no-such.json"), NULL), CS_EXIT_INPUT);
	json_decref(doc);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_order_and_grouping), cmocka_unit_test(test_plain_as_state),
		cmocka_unit_test(test_words_from_params),  cmocka_unit_test(test_unknown_kept),
		cmocka_unit_test(test_preference),         cmocka_unit_test(test_mixed_trust),
		cmocka_unit_test(test_refusals),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
