/*
 * test_sensor.c - periodic windows (cs_sensor.h) on an engine fed lab
 * captures (pcaps/lab) moved in time: each handshake counted in the window
 * its timestamp falls in, whether the clock runs forward, jumps ahead or
 * goes back (a capture of an earlier time read after a later one); the
 * windows together hold every handshake of the run; a window is written
 * only once capture time is past its end and its grace, and a handshake
 * whose window was already written is counted late, in the next one;
 * SIGUSR1 (a "signal" report) ends the current window early; a run that
 * read nothing writes nothing.  Run from the repository root.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <dirent.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cs_capture.h"
#include "cs_judge.h"
#include "cs_sensor.h"
#include "cs_timefmt.h"
#include "testfeed.h"

#define TRUST "pcaps/lab/pki/trust.pem"
#define S (CS_NS_PER_SEC)
#define BASE (1790000000LL * S) /* 2026-09-21T14:13:20Z, a multiple of 10 s */

struct run {
	char dir[64];
	struct trust_opts to;
	struct engine *e;
	struct sensor *s;
	struct report_opts ro;
	int64_t last;
	json_t *w[32]; /* the window files, once finish() read them */
	size_t n;
};

static void start(struct run *r, int64_t interval_s)
{
	struct sensor_opts so = {.interval_s = interval_s, .text = &r->ro};
	char err[256];

	memset(r, 0, sizeof(*r));
	r->to = (struct trust_opts){.ca_files = {TRUST}, .n_ca_files = 1};
	snprintf(r->dir, sizeof(r->dir), "/tmp/test_sensor.XXXXXX");
	assert_non_null(mkdtemp(r->dir));
	so.dir = r->dir;
	r->e = tf_engine_new(&r->to, "unit");
	r->s = sensor_new(&so, r->e, err, sizeof(err));
	assert_non_null(r->s);
}

/* The end of a test: its windows freed, the run's objects and directory gone. */
static void stop(struct run *r)
{
	char cmd[128];

	for (size_t i = 0; i < r->n; i++)
		json_decref(r->w[i]);
	sensor_free(r->s);
	tf_engine_free(r->e);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", r->dir);
	assert_int_equal(system(cmd), 0);
}

/* Each test's run, for cmocka_unit_test_setup_teardown: the test starts
 * it, the teardown stops it, whether the test passed or not. */
static int run_setup(void **state)
{
	*state = calloc(1, sizeof(struct run));
	return *state ? 0 : -1;
}

static int run_teardown(void **state)
{
	struct run *r = *state;

	if (r->s)
		stop(r);
	free(r);
	return 0;
}

/* Feed a capture whose first frame is at `at`, as run.c does: each frame,
 * then the sensor's clock. */
static void feed(struct run *r, const char *path, int64_t at)
{
	struct cs_capture_opts co = {0};
	struct cs_source *src;
	struct engine_input *in;
	struct cs_frame f;
	char err[256];
	int64_t shift = 0;
	bool first = true;

	assert_int_equal(capture_open_file(path, &co, &src, err, sizeof(err)), CS_OK);
	in = engine_input_begin(r->e, path, false);
	assert_non_null(in);
	in->format = capture_format(src);
	while (capture_next(src, &f, err, sizeof(err)) == CS_OK) {
		if (first)
			shift = at - f.ts_ns, first = false;
		f.ts_ns += shift;
		engine_frame(r->e, in, &f);
		assert_int_equal(sensor_tick(r->s, f.ts_ns), CS_OK);
		if (f.ts_ns > r->last)
			r->last = f.ts_ns;
	}
	capture_close(src);
}

static int name_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The window files of the run, in name (time) order. */
static size_t windows(struct run *r, json_t **out, size_t max)
{
	DIR *d = opendir(r->dir);
	struct dirent *de;
	char *names[64];
	size_t n = 0;

	assert_non_null(d);
	while ((de = readdir(d)) && n < 64)
		if (strstr(de->d_name, ".json") && de->d_name[0] != '.')
			names[n++] = strdup(de->d_name);
	closedir(d);
	qsort(names, n, sizeof(names[0]), name_cmp);
	assert_true(n <= max);
	for (size_t i = 0; i < n; i++) {
		char path[256];
		json_error_t je;

		snprintf(path, sizeof(path), "%s/%s", r->dir, names[i]);
		out[i] = json_load_file(path, 0, &je);
		if (!out[i])
			fail_msg("%s: %s", path, je.text);
		free(names[i]);
	}
	return n;
}

/* The end of the run (the final report), then its window files read. */
static void finish(struct run *r)
{
	engine_finish(r->e);
	assert_int_equal(sensor_report(r->s, r->last, "final"), CS_OK);
	r->n = windows(r, r->w, CS_ARRAY_LEN(r->w));
}

static int64_t ns(json_t *o, const char *k)
{
	int64_t t;

	assert_true(parse_time_ns(json_string_value(json_object_get(o, k)),
				  json_string_length(json_object_get(o, k)), &t));
	return t;
}

static uint64_t window_handshakes(json_t *doc)
{
	json_t *servers = json_object_get(json_object_get(doc, "window"), "servers");
	uint64_t n = 0;

	for (size_t i = 0; i < json_array_size(servers); i++)
		n += (uint64_t)json_integer_value(
			json_object_get(json_array_get(servers, i), "tls_handshakes"));
	return n;
}

static uint64_t run_handshakes(struct run *r)
{
	const struct agg_server *const *sv;
	size_t n;
	uint64_t k = 0;

	sv = agg_sorted(engine_agg(r->e), &n);
	for (size_t i = 0; i < n; i++)
		k += sv[i]->tls_handshakes;
	return k;
}

/* Every window: its handshakes in its span (unless late), numbered in
 * order, spans in order and apart; together, every handshake of the run. */
static size_t check_windows(struct run *r, json_t **w, size_t n, bool late_ok)
{
	uint64_t total = 0;
	int64_t prev_end = INT64_MIN;

	for (size_t i = 0; i < n; i++) {
		json_t *win = json_object_get(w[i], "window"),
		       *servers = json_object_get(win, "servers");
		int64_t start = ns(win, "start"), end = ns(win, "end");

		assert_int_equal(json_integer_value(json_object_get(win, "seq")),
				 (json_int_t)i + 1);
		assert_string_equal(json_string_value(json_object_get(win, "kind")),
				    i + 1 == n ? "final" : "interval");
		assert_true(start >= prev_end);
		assert_true(start <= end);
		prev_end = end;
		for (size_t k = 0; k < json_array_size(servers) && !late_ok; k++) {
			json_t *sv = json_array_get(servers, k);

			assert_true(ns(sv, "first_seen") >= start);
			assert_true(ns(sv, "last_seen") < end ||
				    (i + 1 == n && ns(sv, "last_seen") <= end));
		}
		total += window_handshakes(w[i]);
	}
	assert_int_equal(total, run_handshakes(r));
	return n;
}

/* Captures fed in turn, each first frame at its time. */
struct feed_at {
	const char *path;
	int64_t at;
};

/* A run of interval_s windows over the captures fed in turn, to its end:
 * `want` windows, each checked, no handshake late. */
static void run_in_order(struct run *r, int64_t interval_s, const struct feed_at *feeds,
			 size_t nfeeds, size_t want)
{
	start(r, interval_s);
	for (size_t i = 0; i < nfeeds; i++)
		feed(r, feeds[i].path, feeds[i].at);
	finish(r);
	assert_int_equal(r->n, want);
	check_windows(r, r->w, r->n, false);
	assert_int_equal(sensor_late(r->s), 0);
}
/* The clock forward, then a jump of 71 minutes. */
static void test_forward_and_jump(void **state)
{
	static const struct feed_at feeds[] = {
		{"pcaps/lab/diag-expired-leaf.pcap", BASE + 1 * S},
		{"pcaps/lab/diag-not-ca.pcap", BASE + 4 * S},
		{"pcaps/lab/multi-server.pcap", BASE + 12 * S},
		{"pcaps/lab/freq-three-servers.pcap", BASE + 71 * 60 * S},
		{"pcaps/lab/diag-wrong-order.pcap", BASE + 71 * 60 * S + 5 * S},
	};
	struct run *r = *state;

	/* [0,10) [10,20) and the one after the jump */
	run_in_order(r, 10, feeds, CS_ARRAY_LEN(feeds), 3);
	/* after the jump: the last two captures' handshakes */
	assert_true(window_handshakes(r->w[2]) >= 9 + 1);
}

/* A capture of an earlier time read after a later one fills its own window. */
static void test_clock_back(void **state)
{
	static const struct feed_at feeds[] = {
		{"pcaps/lab/multi-server.pcap", BASE + 3600 * S},
		{"pcaps/lab/diag-expired-leaf.pcap", BASE + 1 * S},
		{"pcaps/lab/diag-not-ca.pcap", BASE + 13 * S},
	};
	struct run *r = *state;

	run_in_order(r, 10, feeds, CS_ARRAY_LEN(feeds), 3);
	assert_int_equal(ns(json_object_get(r->w[0], "window"), "start"), BASE);
	assert_int_equal(ns(json_object_get(r->w[2], "window"), "start"), BASE + 3600 * S);
}

/* Nothing is written before capture time is past a window's end and its
 * grace (5 s); a handshake of a window written already is
 * counted late, in the next window. */
static void test_grace_and_late(void **state)
{
	struct run *r = *state;

	start(r, 10);
	feed(r, "pcaps/lab/diag-expired-leaf.pcap", BASE + 1 * S);
	assert_int_equal(sensor_tick(r->s, BASE + 14 * S),
			 CS_OK); /* end 10 s + grace 5 s: not yet */
	assert_int_equal(sensor_reports(r->s), 0);
	feed(r, "pcaps/lab/diag-not-ca.pcap", BASE + 20 * S); /* past it: written */
	assert_int_equal(sensor_reports(r->s), 1);
	feed(r, "pcaps/lab/diag-wrong-order.pcap", BASE + 2 * S); /* its window is written */
	finish(r);
	assert_true(sensor_late(r->s) > 0);
	assert_int_equal(r->n, 2);
	assert_int_equal(json_integer_value(json_object_get(json_object_get(r->w[1], "window"),
							    "late_handshakes")),
			 (json_int_t)sensor_late(r->s));
	check_windows(r, r->w, r->n, true);
}

/* SIGUSR1 ends the current window now; the next one starts there. */
static void test_signal(void **state)
{
	struct run *r = *state;

	start(r, 3600);
	feed(r, "pcaps/lab/diag-expired-leaf.pcap", BASE + 1 * S);
	assert_int_equal(sensor_report(r->s, BASE + 100 * S, "signal"), CS_OK);
	feed(r, "pcaps/lab/diag-not-ca.pcap", BASE + 200 * S);
	finish(r);
	assert_int_equal(r->n, 2);
	assert_string_equal(
		json_string_value(json_object_get(json_object_get(r->w[0], "window"), "kind")),
		"signal");
	assert_int_equal(ns(json_object_get(r->w[0], "window"), "end"), BASE + 100 * S);
	assert_int_equal(ns(json_object_get(r->w[1], "window"), "start"), BASE + 100 * S);
	assert_int_equal(window_handshakes(r->w[0]) + window_handshakes(r->w[1]),
			 run_handshakes(r));
}

/* A run that read no frame writes no report. */
static void test_nothing_read(void **state)
{
	struct run *r = *state;

	start(r, 10);
	engine_finish(r->e);
	assert_int_equal(sensor_report(r->s, BASE, "final"), CS_OK);
	assert_int_equal(windows(r, r->w, 4), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_forward_and_jump, run_setup, run_teardown),
		cmocka_unit_test_setup_teardown(test_clock_back, run_setup, run_teardown),
		cmocka_unit_test_setup_teardown(test_grace_and_late, run_setup, run_teardown),
		cmocka_unit_test_setup_teardown(test_signal, run_setup, run_teardown),
		cmocka_unit_test_setup_teardown(test_nothing_read, run_setup, run_teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
