/*
 * test_notices.c - the --notices state machine (cs_notices.h) on made-up
 * handshakes: broken / fixed / chain_changed in order, one per kind per
 * server and window (later ones counted as suppressed, and "broken" again
 * in the next window after a suppressed one), a chain among the server's
 * recent ones is no change, unknown verdicts and servers left out of the
 * report change nothing, and the table of servers stops at
 * CS_NOTICE_MAX_SERVERS with the rest counted.  (possible_interception
 * needs real certificates: tests/e2e/notices.sh.)
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

#include "cs_limits.h"
#include "cs_notices.h"
#include "cs_problems.h"

static char path[] = "/tmp/cs-notices.XXXXXX";

static struct diag_verdict ok_v = {.status = DIAG_OK};
static struct diag_verdict broken_v = {
	.status = DIAG_BROKEN, .broken = true, .mask = 1u << CS_P_EXPIRED_LEAF};
static struct diag_verdict unknown_v = {.status = DIAG_UNKNOWN};
static struct cs_chain chains[8];
static struct engine_input input = {.name = "test"};

/* Every test's notices: a window of 100 s, writing to a fresh temporary
 * file (path); made by notices_up, freed and removed by notices_down. */
struct rig {
	struct logfile *lf;
	struct notices *n;
};

static int notices_up(void **state)
{
	static struct rig r;
	char err[256];
	int fd = mkstemp(path);

	assert_true(fd >= 0);
	close(fd);
	r.lf = logfile_open(path, err, sizeof(err));
	assert_non_null(r.lf);
	struct notices_opts o = {.out = r.lf, .window_s = 100};

	r.n = notices_new(&o);
	assert_non_null(r.n);
	for (int i = 0; i < 8; i++)
		chains[i].sha256[0] = (uint8_t)i, chains[i].id = (uint32_t)i;
	*state = &r;
	return 0;
}

/* Handshake at second t to server ip:port with chain c and verdict v. */
static void hs(struct notices *n, uint32_t ip, uint16_t port, int c, const struct diag_verdict *v,
	       int64_t t)
{
	struct cs_addr server = {.family = 4}, client = {.family = 4};
	struct engine_event ev = {
		.ts = t * CS_NS_PER_SEC,
		.start_ts = t * CS_NS_PER_SEC,
		.sensor = "s",
		.client_ip = &client,
		.server_ip = &server,
		.client_port = 40000,
		.server_port = port,
		.ends = {&client, &server},
		.end_ports = {40000, port},
		.outcome = TLS_OUT_CHAIN,
		.chain = &chains[c],
		.input = &input,
		.verdict = v,
		.reported = true,
		.broken = v->broken,
		.problems = v->mask,
	};

	server.a[10] = server.a[11] = 0xff;
	memcpy(server.a + 12, &ip, 4);
	client.a[15] = 1;
	notices_handshake(n, &ev);
}

/* The notices written so far, as "kind:previous_status" words, are want. */
static void expect_notices(const char *want)
{
	FILE *f = fopen(path, "r");
	char line[8192], got[1024] = "";

	while (f && fgets(line, sizeof(line), f)) {
		json_t *j = json_loads(line, 0, NULL);
		const char *prev;

		assert_non_null(j);
		prev = json_string_value(json_object_get(j, "previous_status"));
		snprintf(got + strlen(got), sizeof(got) - strlen(got), "%s%s:%s", got[0] ? " " : "",
			 json_string_value(json_object_get(j, "notice")), prev ? prev : "null");
		json_decref(j);
	}
	if (f)
		fclose(f);
	assert_string_equal(got, want);
}

static int notices_down(void **state)
{
	struct rig *r = *state;

	notices_free(r->n);
	logfile_close(r->lf);
	unlink(path);
	strcpy(path, "/tmp/cs-notices.XXXXXX");
	return 0;
}

static void test_changes_and_windows(void **state)
{
	struct notices *n = ((struct rig *)*state)->n;
	struct notices_stats st;

	hs(n, 1, 443, 0, &ok_v, 1000); /* first seen, ok: nothing */
	hs(n, 1, 443, 0, &ok_v, 1001);
	hs(n, 1, 443, 1, &broken_v, 1002);  /* broken + chain_changed */
	hs(n, 1, 443, 0, &ok_v, 1003);      /* fixed (chain 0 is a recent one) */
	hs(n, 1, 443, 1, &broken_v, 1004);  /* broken again, same window: suppressed */
	hs(n, 1, 443, 1, &unknown_v, 1005); /* unknown: no state change */
	hs(n, 1, 443, 1, &broken_v, 1105);  /* next window: broken (last written: ok) */
	hs(n, 1, 443, 2, &ok_v, 1106);      /* fixed + chain_changed */
	hs(n, 1, 443, 3, &ok_v, 1107);      /* chain_changed again this window: suppressed */
	hs(n, 1, 443, 0, &ok_v, 1108);      /* recent chain: no change */
	hs(n, 2, 443, 0, &broken_v, 1109);  /* another server, first seen broken */
	expect_notices("broken:ok chain_changed:ok fixed:broken broken:ok fixed:broken "
		       "chain_changed:broken broken:null");
	notices_get_stats(n, &st);
	assert_int_equal(st.written, 7);
	assert_int_equal(st.suppressed, 2);
	assert_int_equal(st.servers, 2);
	assert_int_equal(st.servers_cap, 0);
}

/* --server-net leaves a server out of the report: no notices for it. */
static void test_unreported_ignored(void **state)
{
	struct notices *n = ((struct rig *)*state)->n;
	struct cs_addr server = {.family = 4}, client = {.family = 4};
	struct engine_event ev = {
		.ts = 5,
		.client_ip = &client,
		.server_ip = &server,
		.ends = {&client, &server},
		.outcome = TLS_OUT_CHAIN,
		.chain = &chains[0],
		.input = &input,
		.verdict = &broken_v,
		.reported = false,
		.broken = true,
	};
	struct notices_stats st;

	notices_handshake(n, &ev);
	expect_notices("");
	notices_get_stats(n, &st);
	assert_int_equal(st.servers, 0);
}

static void test_server_cap(void **state)
{
	struct notices *n = ((struct rig *)*state)->n;
	struct notices_stats st;

	for (uint32_t i = 0; i < CS_NOTICE_MAX_SERVERS + 10; i++)
		hs(n, i, 443, 0, &unknown_v, 1000);
	hs(n, 3, 443, 0, &unknown_v, 1001); /* a tracked one is still found */
	notices_get_stats(n, &st);
	assert_int_equal(st.servers, CS_NOTICE_MAX_SERVERS);
	assert_int_equal(st.servers_cap, 10);
	assert_int_equal(st.written, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_changes_and_windows, notices_up, notices_down),
		cmocka_unit_test_setup_teardown(test_unreported_ignored, notices_up, notices_down),
		cmocka_unit_test_setup_teardown(test_server_cap, notices_up, notices_down),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
