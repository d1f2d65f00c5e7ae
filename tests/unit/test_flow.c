/*
 * test_flow.c - the flow table (cs_flow.h): one flow for both directions,
 * IPv4 and IPv6 keys, many flows that differ only in ports, eviction when
 * full (quiet before active, LRU within a list, counted, callback told
 * "capped"), idle expiry by capture time, flush, the pooled and capped TLS
 * objects, and a seeded random run checked against a model of the two
 * LRU lists.  (The keyed hash is tested in test_hash.c.)
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>

#include "cs_flow.h"
#include "cs_budget.h"
#include "testlib.h"

#define SEC CS_NS_PER_SEC
#define MANY_PORTS 3000 /* flows per kind in the test of many flows */
#define IDLE ((int64_t)CS_FLOW_IDLE_TIMEOUT_S * SEC)

static struct cs_addr v4(uint8_t a, uint8_t b, uint8_t c, uint8_t d)
{
	struct cs_addr x = {4, {0}};

	x.a[10] = 0xff, x.a[11] = 0xff;
	x.a[12] = a, x.a[13] = b, x.a[14] = c, x.a[15] = d;
	return x;
}

static struct cs_addr v6(uint16_t last)
{
	struct cs_addr x = {6, {0x20, 0x01, 0x0d, 0xb8}};

	x.a[14] = (uint8_t)(last >> 8), x.a[15] = (uint8_t)last;
	return x;
}

/* What the owner was told, in order. */
#define LOG_MAX 64
struct evlog {
	struct flow_table *ft;
	unsigned n, capped;
	uint16_t port0[LOG_MAX], port1[LOG_MAX];
	bool cap[LOG_MAX];
};

static void on_evict(void *ctx, struct flow *f, bool capped)
{
	struct evlog *log = ctx;

	assert_true(f->used); /* the flow is still whole when the owner is told */
	if (log->n < LOG_MAX) {
		log->port0[log->n] = f->port[0];
		log->port1[log->n] = f->port[1];
		log->cap[log->n] = capped;
	}
	log->n++;
	log->capped += capped;
	if (f->tls) {
		flow_tls_put(log->ft, f->tls);
		f->tls = NULL;
	}
}

/* A table of max_flows whose owner logs to log (zeroed first). */
static struct flow_table *logged_table(uint32_t max_flows, struct evlog *log)
{
	memset(log, 0, sizeof *log);
	log->ft = flow_table_new(max_flows, on_evict, log);
	assert_non_null(log->ft);
	return log->ft;
}

/* The fixture of most tests: a logged table of the size the test's entry
 * in main() gives (FLOW_TEST); *state is the log, whose ft is the table.
 * The teardown ends every flow and frees the table. */
static int table_setup(void **state)
{
	uint32_t max_flows;
	struct evlog *log = tl_state_new(state, sizeof *log, &max_flows);

	if (!log)
		return -1;
	logged_table(max_flows, log);
	return 0;
}

static void table_end(void *fixture)
{
	struct evlog *log = fixture;

	flow_flush(log->ft);
	flow_table_free(log->ft);
}

static int table_teardown(void **state) { return tl_state_free(state, table_end); }

#define FLOW_TEST(fn, max_flows) TL_TEST_WITH(fn, table_setup, table_teardown, max_flows)

static struct flow *look(struct flow_table *ft, const struct cs_addr *s, uint16_t sp,
			 const struct cs_addr *d, uint16_t dp, int64_t now, int want_dir,
			 bool want_created)
{
	int dir = -1;
	bool created = !want_created;
	struct flow *f = flow_lookup(ft, s, sp, d, dp, now, &dir, &created);

	assert_non_null(f);
	assert_int_equal(dir, want_dir);
	assert_int_equal(created, want_created);
	return f;
}

/* ---- lookup ------------------------------------------------------------- */

static void test_lookup_creates_then_finds_both_directions(void **state)
{
	struct evlog *log = *state;
	struct flow_table *ft = log->ft;
	struct cs_addr c = v4(192, 0, 2, 1), s = v4(198, 51, 100, 7);
	struct flow *f;

	assert_int_equal(flow_table_count(ft), 0);
	f = look(ft, &c, 50000, &s, 443, 5 * SEC, 0, true);
	assert_true(f->used);
	assert_memory_equal(&f->addr[0], &c, sizeof c);
	assert_memory_equal(&f->addr[1], &s, sizeof s);
	assert_int_equal(f->port[0], 50000);
	assert_int_equal(f->port[1], 443);
	assert_int_equal(f->synack_dir, -1);
	assert_int_equal(f->first_ts, 5 * SEC);
	assert_int_equal(f->last_ts, 5 * SEC);
	assert_null(f->tls);
	assert_false(f->dir[0].have_base);
	assert_false(f->dir[1].have_base);
	assert_int_equal(f->list, FLOW_QUIET);
	assert_int_equal(flow_table_count(ft), 1);
	/* the same packet direction again, and the reply direction */
	assert_ptr_equal(look(ft, &c, 50000, &s, 443, 6 * SEC, 0, false), f);
	assert_ptr_equal(look(ft, &s, 443, &c, 50000, 7 * SEC, 1, false), f);
	assert_int_equal(f->first_ts, 5 * SEC); /* lookup does not rewrite times */
	assert_int_equal(flow_table_count(ft), 1);
	/* the same addresses with one port changed is another connection */
	assert_ptr_not_equal(look(ft, &c, 50001, &s, 443, 8 * SEC, 0, true), f);
	assert_ptr_not_equal(look(ft, &c, 50000, &s, 444, 8 * SEC, 0, true), f);
	/* ports swapped between the ends too */
	assert_ptr_not_equal(look(ft, &c, 443, &s, 50000, 8 * SEC, 0, true), f);
	assert_int_equal(flow_table_count(ft), 4);
	assert_int_equal(log->n, 0);
	assert_int_equal(flow_table_evicted(ft), 0);
}

static void test_ipv4_and_ipv6_keys_are_told_apart(void **state)
{
	struct evlog *log = *state;
	struct flow_table *ft = log->ft;
	struct cs_addr a4 = v4(10, 0, 0, 1), b4 = v4(10, 0, 0, 2);
	struct cs_addr a6 = v6(1), b6 = v6(2);
	struct cs_addr a6low = {6, {0}}; /* ::10.0.0.1: IPv4-compatible, not mapped */
	struct flow *f4, *f6, *fx;

	a6low.a[12] = 10, a6low.a[15] = 1;
	f4 = look(ft, &a4, 1000, &b4, 443, 0, 0, true);
	f6 = look(ft, &a6, 1000, &b6, 443, 0, 0, true);
	fx = look(ft, &a6low, 1000, &b4, 443, 0, 0, true);
	assert_ptr_not_equal(f4, f6);
	assert_ptr_not_equal(fx, f4);
	assert_int_equal(f6->addr[0].family, 6);
	assert_int_equal(f4->addr[0].family, 4);
	assert_ptr_equal(look(ft, &b6, 443, &a6, 1000, SEC, 1, false), f6);
	assert_ptr_equal(look(ft, &b4, 443, &a4, 1000, SEC, 1, false), f4);
	assert_ptr_equal(look(ft, &b4, 443, &a6low, 1000, SEC, 1, false), fx);
	/* an IPv6 flow between the same hosts on other ports is another flow */
	assert_ptr_not_equal(look(ft, &b6, 1000, &a6, 443, SEC, 0, true), f6);
	assert_int_equal(flow_table_count(ft), 4);
}

static void test_same_address_both_ends_keeps_directions(void **state)
{
	struct evlog *log = *state;
	struct flow_table *ft = log->ft;
	struct cs_addr lo = v4(127, 0, 0, 1);
	struct flow *f;

	f = look(ft, &lo, 40000, &lo, 443, 0, 0, true);
	assert_ptr_equal(look(ft, &lo, 443, &lo, 40000, 0, 1, false), f);
	assert_ptr_equal(look(ft, &lo, 40000, &lo, 443, 0, 0, false), f);
	/* a connection from a port to itself is one flow, direction 0 */
	f = look(ft, &lo, 7, &lo, 7, 0, 0, true);
	assert_ptr_equal(look(ft, &lo, 7, &lo, 7, 0, 0, false), f);
	assert_int_equal(flow_table_count(ft), 2);
}

static void test_many_flows_differing_only_in_ports_are_all_found(void **state)
{
	enum { N = MANY_PORTS };
	static struct flow *made[3][N];
	struct evlog *log = *state;
	struct flow_table *ft = log->ft;
	struct cs_addr c = v4(203, 0, 113, 9), s = v6(0x443);

	for (uint16_t i = 0; i < N; i++) {
		made[0][i] = look(ft, &c, (uint16_t)(1024 + i), &s, 443, i, 0, true);
		made[1][i] = look(ft, &c, 443, &s, (uint16_t)(1024 + i), i, 0, true);
		made[2][i] =
			look(ft, &s, (uint16_t)(1024 + i), &s, (uint16_t)(1025 + i), i, 0, true);
	}
	assert_int_equal(flow_table_count(ft), 3 * N);
	for (uint16_t i = 0; i < N; i++) {
		uint16_t p = (uint16_t)(1024 + i);

		assert_ptr_equal(look(ft, &c, p, &s, 443, N, 0, false), made[0][i]);
		assert_ptr_equal(look(ft, &s, 443, &c, p, N, 1, false), made[0][i]);
		assert_ptr_equal(look(ft, &c, 443, &s, p, N, 0, false), made[1][i]);
		assert_ptr_equal(look(ft, &s, p, &c, 443, N, 1, false), made[1][i]);
		assert_ptr_equal(look(ft, &s, p, &s, (uint16_t)(p + 1), N, 0, false), made[2][i]);
		assert_ptr_equal(look(ft, &s, (uint16_t)(p + 1), &s, p, N, 1, false), made[2][i]);
		assert_int_equal(made[0][i]->port[0], p);
		assert_int_equal(made[1][i]->port[1], p);
	}
	assert_int_equal(flow_table_count(ft), 3 * N);
	assert_int_equal(flow_table_evicted(ft), 0);
	assert_int_equal(log->n, 0);
	flow_flush(ft);
	assert_int_equal(log->n, 3 * N);
	assert_int_equal(flow_table_count(ft), 0);
}

static void test_zero_max_flows_has_no_slot(void **state)
{
	struct evlog *log = *state;
	struct flow_table *ft = log->ft;
	struct cs_addr a = v4(1, 2, 3, 4), b = v4(5, 6, 7, 8);
	int dir;
	bool created = true;

	assert_null(flow_lookup(ft, &a, 1, &b, 2, 0, &dir, &created));
	assert_false(created);
	assert_null(flow_tls_get(ft));
	assert_int_equal(flow_table_count(ft), 0);
	assert_int_equal(flow_table_evicted(ft), 0);
	flow_expire(ft, 1000 * SEC, 8);
	flow_flush(ft);
	assert_int_equal(log->n, 0);
	flow_table_free(NULL);
}

/* ---- eviction ------------------------------------------------------------ */

static struct flow *client(struct flow_table *ft, uint16_t port, int64_t now, bool want_created)
{
	struct cs_addr c = v4(10, 1, 1, 1), s = v4(10, 2, 2, 2);

	return look(ft, &c, port, &s, 443, now, 0, want_created);
}

static void test_full_table_evicts_oldest_quiet_flow_before_active_ones(void **state)
{
	struct evlog *log = *state;
	struct flow_table *ft = log->ft;

	for (uint16_t p = 1; p <= 4; p++)
		client(ft, p, p, true);
	/* 1 and 2 carry handshakes; 3 (older) and 4 are quiet */
	flow_touch(ft, client(ft, 1, 5, false), FLOW_ACTIVE);
	flow_touch(ft, client(ft, 2, 5, false), FLOW_ACTIVE);
	assert_int_equal(log->n, 0);

	client(ft, 5, 6, true); /* full: the oldest quiet flow goes */
	assert_int_equal(log->n, 1);
	assert_int_equal(log->port0[0], 3);
	assert_true(log->cap[0]);
	assert_int_equal(flow_table_evicted(ft), 1);
	assert_int_equal(flow_table_count(ft), 4);

	client(ft, 6, 7, true); /* then 4, and the new flows are quiet too */
	client(ft, 7, 8, true); /* so a flood of new flows evicts itself: 5 */
	assert_int_equal(log->n, 3);
	assert_int_equal(log->port0[1], 4);
	assert_int_equal(log->port0[2], 5);
	assert_int_equal(log->capped, 3);
	assert_int_equal(flow_table_evicted(ft), 3);
	/* the handshakes in progress survived */
	client(ft, 1, 9, false);
	client(ft, 2, 9, false);
	client(ft, 6, 9, false);
	client(ft, 7, 9, false);
	assert_int_equal(log->n, 3);
}

/* --workers: two tables sharing a total of 4 flows.  A table over the total
 * evicts its own oldest flow, never the other's; the total is kept, and
 * given back as flows end. */
static void test_shared_total_is_kept_across_tables(void **state)
{
	(void)state;
	struct evlog la, lb;
	struct cs_budget total = {.cap = 4};
	struct flow_table *a = logged_table(4, &la);
	struct flow_table *b = logged_table(4, &lb);

	flow_table_share(a, &total);
	flow_table_share(b, &total);
	for (uint16_t p = 1; p <= 3; p++)
		client(a, p, p, true);
	client(b, 10, 4, true);
	assert_int_equal(atomic_load(&total.used), 4);
	client(b, 11, 5, true); /* over the total: b evicts its own 10 */
	assert_int_equal(lb.n, 1);
	assert_int_equal(lb.port0[0], 10);
	assert_int_equal(la.n, 0);
	assert_int_equal(flow_table_evicted(b), 1);
	assert_int_equal(atomic_load(&total.used), 4);
	client(a, 4, 6, true); /* a's own table has room, the total has not */
	assert_int_equal(la.n, 1);
	assert_int_equal(la.port0[0], 1);
	assert_int_equal(flow_table_count(a) + flow_table_count(b), 4);
	flow_flush(a);
	assert_int_equal(atomic_load(&total.used), 1);
	client(b, 12, 7, true); /* room again: nothing evicted */
	assert_int_equal(lb.n, 1);
	assert_int_equal(atomic_load(&total.used), 2);
	flow_flush(b);
	assert_int_equal(atomic_load(&total.used), 0);
	flow_table_free(a);
	flow_table_free(b);
}

static void test_full_table_of_active_flows_evicts_least_recently_used(void **state)
{
	struct evlog *log = *state;
	struct flow_table *ft = log->ft;

	for (uint16_t p = 1; p <= 3; p++)
		flow_touch(ft, client(ft, p, p, true), FLOW_ACTIVE);
	flow_touch(ft, client(ft, 1, 4, false), FLOW_ACTIVE); /* 1 is fresh again */
	flow_touch(ft, client(ft, 1, 4, false), FLOW_ACTIVE); /* already at the head */
	client(ft, 4, 5, true);
	assert_int_equal(log->n, 1);
	assert_int_equal(log->port0[0], 2);
	assert_true(log->cap[0]);
	/* quiet again (bypassed): it goes before any active flow */
	flow_touch(ft, client(ft, 1, 6, false), FLOW_QUIET);
	flow_touch(ft, client(ft, 4, 6, false), FLOW_ACTIVE);
	client(ft, 5, 7, true);
	assert_int_equal(log->n, 2);
	assert_int_equal(log->port0[1], 1);
	client(ft, 6, 8, true); /* quiet 5 goes next, */
	flow_touch(ft, client(ft, 6, 8, false), FLOW_ACTIVE);
	client(ft, 7, 9, true); /* and with no quiet flow, the oldest active: 3 */
	assert_int_equal(log->n, 4);
	assert_int_equal(log->port0[2], 5);
	assert_int_equal(log->port0[3], 3);
	assert_int_equal(flow_table_evicted(ft), 4);
	assert_int_equal(log->capped, 4);
}

static void test_evicted_slot_is_reused_clean(void **state)
{
	struct evlog *log = *state;
	struct flow_table *ft = log->ft;
	struct flow *f, *g;

	f = client(ft, 1, SEC, true);
	f->bypass = f->closed = f->counted = true;
	f->syn[0] = f->fin[1] = true;
	f->synack_dir = 1;
	f->isn[0] = 1234;
	reasm_set_base(&f->dir[0], 99);
	f->dir[1].gap = true;
	f->tls = flow_tls_get(ft);
	assert_non_null(f->tls);
	flow_touch(ft, f, FLOW_ACTIVE);
	g = client(ft, 2, 2 * SEC, true); /* the only slot: evicts 1 */
	assert_ptr_equal(g, f);
	assert_int_equal(log->n, 1);
	assert_int_equal(g->port[0], 2);
	assert_false(g->bypass || g->closed || g->counted);
	assert_false(g->syn[0] || g->fin[1]);
	assert_int_equal(g->synack_dir, -1);
	assert_int_equal(g->isn[0], 0);
	assert_false(g->dir[0].have_base);
	assert_false(g->dir[1].gap);
	assert_null(g->tls);
	assert_int_equal(g->first_ts, 2 * SEC);
	assert_int_equal(g->list, FLOW_QUIET);
	/* the evicted connection comes back as a new flow (evicting 2) */
	client(ft, 1, 3 * SEC, true);
	assert_int_equal(log->n, 2);
	assert_int_equal(log->port0[1], 2);
	assert_int_equal(flow_table_count(ft), 1);
}

/* ---- expiry and flush -------------------------------------------------------- */

static void test_idle_flows_expire_by_capture_time(void **state)
{
	struct evlog *log = *state;
	struct flow_table *ft = log->ft;
	const int64_t t0 = 1700000000 * SEC; /* capture time, not wall-clock time */

	client(ft, 1, t0, true);
	flow_touch(ft, client(ft, 2, t0 + 10 * SEC, true), FLOW_ACTIVE);
	client(ft, 3, t0 + 100 * SEC, true);
	flow_expire(ft, t0 + IDLE, 16); /* nothing idle for the whole timeout */
	assert_int_equal(log->n, 0);
	flow_expire(ft, t0 + IDLE + 10 * SEC, 16); /* 1 expires; 2 is exactly at it */
	assert_int_equal(log->n, 1);
	assert_int_equal(log->port0[0], 1);
	assert_false(log->cap[0]);
	assert_int_equal(flow_table_count(ft), 2);
	flow_expire(ft, t0 + IDLE + 10 * SEC + 1, 16); /* one nanosecond later: 2 */
	assert_int_equal(log->n, 2);
	assert_int_equal(log->port0[1], 2);
	/* a flow that saw a packet recently stays */
	client(ft, 3, t0 + 200 * SEC, false)->last_ts = t0 + 200 * SEC;
	flow_touch(ft, client(ft, 3, t0 + 200 * SEC, false), FLOW_QUIET);
	flow_expire(ft, t0 + 300 * SEC, 16);
	assert_int_equal(log->n, 2);
	flow_expire(ft, t0 + 200 * SEC + IDLE + 1, 16);
	assert_int_equal(log->n, 3);
	assert_int_equal(log->capped, 0);
	assert_int_equal(flow_table_evicted(ft), 0); /* expiry is not eviction */
	assert_int_equal(flow_table_count(ft), 0);
}

static void test_expire_removes_at_most_max_flows(void **state)
{
	struct evlog *log = *state;
	struct flow_table *ft = log->ft;

	for (uint16_t p = 1; p <= 8; p++) {
		struct flow *f = client(ft, p, p * SEC, true);

		if (p % 2)
			flow_touch(ft, f, FLOW_ACTIVE);
	}
	/* all eight idle, four on each list */
	flow_expire(ft, 1000 * SEC, 0);
	assert_int_equal(log->n, 0);
	flow_expire(ft, 1000 * SEC, 3);
	assert_int_equal(log->n, 3);
	flow_expire(ft, 1000 * SEC, 1);
	assert_int_equal(log->n, 4);
	flow_expire(ft, 1000 * SEC, 100);
	assert_int_equal(log->n, 8);
	assert_int_equal(flow_table_count(ft), 0);
}

static void test_flush_calls_the_callback_for_every_flow(void **state)
{
	struct evlog *log = *state;
	struct flow_table *ft = log->ft;
	uint32_t seen = 0;
	struct tls_conn *tc[32];

	for (uint16_t p = 1; p <= 20; p++) {
		struct flow *f = client(ft, p, p, true);

		if (p % 3 == 0) {
			f->tls = flow_tls_get(ft);
			flow_touch(ft, f, FLOW_ACTIVE);
		}
	}
	flow_flush(ft);
	assert_int_equal(log->n, 20);
	assert_int_equal(log->capped, 0);
	for (unsigned i = 0; i < 20; i++)
		seen |= 1u << log->port0[i];
	assert_int_equal(seen, 0x1ffffeu); /* ports 1..20, each once */
	assert_int_equal(flow_table_count(ft), 0);
	assert_int_equal(flow_table_evicted(ft), 0);
	flow_flush(ft); /* empty: nothing */
	assert_int_equal(log->n, 20);
	/* the table is usable again, and every TLS object came back */
	client(ft, 1, 100, true);
	for (int i = 0; i < 32; i++) {
		tc[i] = flow_tls_get(ft);
		assert_non_null(tc[i]);
	}
	assert_null(flow_tls_get(ft));
	for (int i = 0; i < 32; i++)
		flow_tls_put(ft, tc[i]);
	flow_flush(ft);
	assert_int_equal(log->n, 21);
}

/* ---- TLS object pool ------------------------------------------------------------ */

static void test_tls_pool_is_capped_at_max_flows_and_reuses_objects(void **state)
{
	struct evlog *log = *state;
	struct flow_table *ft = log->ft;
	struct tls_conn *c[3], *again[3];

	for (int i = 0; i < 3; i++) {
		c[i] = flow_tls_get(ft);
		assert_non_null(c[i]);
		memset(c[i], 0x5a, sizeof(*c[i])); /* a whole tls_conn (ASan checks) */
	}
	assert_ptr_not_equal(c[0], c[1]);
	assert_ptr_not_equal(c[1], c[2]);
	assert_ptr_not_equal(c[0], c[2]);
	assert_null(flow_tls_get(ft)); /* capped at max_flows */
	flow_tls_put(ft, c[1]);
	assert_ptr_equal(flow_tls_get(ft), c[1]); /* reused, not reallocated */
	assert_null(flow_tls_get(ft));
	flow_tls_put(ft, NULL); /* no-op, and does not free a slot */
	assert_null(flow_tls_get(ft));
	for (int i = 0; i < 3; i++)
		flow_tls_put(ft, c[i]);
	for (int i = 0; i < 3; i++) {
		again[i] = flow_tls_get(ft);
		assert_true(again[i] == c[0] || again[i] == c[1] || again[i] == c[2]);
	}
	assert_null(flow_tls_get(ft));
	for (int i = 0; i < 3; i++)
		flow_tls_put(ft, again[i]);
	/* the teardown's flow_table_free frees the pooled objects (valgrind: no leak) */
}

/* ---- random run against a model ---------------------------------------------- */

/*
 * 200 connections through a 32-flow table; random packets in random
 * directions, random list changes, expiry as the engine does it.  The
 * model keeps the two LRU lists and predicts every eviction and expiry;
 * every flow it believes present must be found, in the right direction.
 */
#define KEYS 200
#define SLOTS 32

struct model {
	bool present[KEYS];
	bool reversed[KEYS]; /* the server sent the first packet */
	int64_t last[KEYS];
	int list[2][KEYS], len[2]; /* index 0 is the head */
	int gone[KEYS], ngone;     /* keys the callback reported */
};

static struct model m;

static void model_evict(void *ctx, struct flow *f, bool capped)
{
	uint16_t p = f->port[0] == 443 ? f->port[1] : f->port[0];

	(void)ctx, (void)capped;
	m.gone[m.ngone++] = p - 1024;
}

static void m_unlink(int k)
{
	for (int l = 0; l < 2; l++)
		for (int i = 0; i < m.len[l]; i++)
			if (m.list[l][i] == k) {
				for (m.len[l]--; i < m.len[l]; i++)
					m.list[l][i] = m.list[l][i + 1];
				return;
			}
}

static void m_push(int k, int l)
{
	for (int i = m.len[l]; i > 0; i--)
		m.list[l][i] = m.list[l][i - 1];
	m.list[l][0] = k;
	m.len[l]++;
}

static void key_addrs(int k, struct cs_addr *c, struct cs_addr *s)
{
	if (k % 4 == 0)
		*c = v6((uint16_t)(k % 3)), *s = v6(0xffff);
	else
		*c = v4(10, 0, 0, (uint8_t)(k % 3)), *s = v4(10, 0, 0, 200);
}

static void test_random_packets_match_lru_model(void **state)
{
	(void)state;
	struct flow_table *ft = flow_table_new(SLOTS, model_evict, NULL);
	uint64_t x = 0x0123456789abcdefULL;
	int64_t now = 0;
	uint64_t evictions = 0, expiries = 0;

	memset(&m, 0, sizeof m);
	for (int step = 0; step < 20000; step++) {
		int k, want_dir, l, expect[KEYS], nexpect = 0;
		bool from_server, created;
		struct cs_addr c, s;
		struct flow *f;
		int dir;

		x ^= x >> 12, x ^= x << 25, x ^= x >> 27;
		k = (int)((x * 0x2545f4914f6cdd1dULL >> 33) % KEYS);
		from_server = (x >> 7) & 1;
		l = (x >> 9) % 3 == 0 ? FLOW_ACTIVE : FLOW_QUIET;
		now += (int64_t)((x >> 20) % (3 * SEC));
		key_addrs(k, &c, &s);

		/* expiry first, as the engine does before each lookup */
		if (step % 7 == 0) {
			int64_t limit = now - IDLE;

			for (int ll = 0; ll < 2; ll++)
				while (m.len[ll] && m.last[m.list[ll][m.len[ll] - 1]] < limit) {
					int v = m.list[ll][--m.len[ll]];

					m.present[v] = false;
					expect[nexpect++] = v;
				}
			m.ngone = 0;
			flow_expire(ft, now, KEYS);
			assert_int_equal(m.ngone, nexpect);
			for (int i = 0; i < nexpect; i++) {
				int seen = 0;

				for (int j = 0; j < m.ngone; j++)
					seen += m.gone[j] == expect[i];
				assert_int_equal(seen, 1);
			}
			expiries += (uint64_t)nexpect;
			nexpect = 0;
		}

		m.ngone = 0;
		if (from_server)
			f = flow_lookup(ft, &s, 443, &c, (uint16_t)(1024 + k), now, &dir, &created);
		else
			f = flow_lookup(ft, &c, (uint16_t)(1024 + k), &s, 443, now, &dir, &created);
		assert_non_null(f);
		assert_int_equal(created, !m.present[k]);
		if (!m.present[k]) {
			if (m.len[0] + m.len[1] == SLOTS) {
				int ll = m.len[FLOW_QUIET] ? FLOW_QUIET : FLOW_ACTIVE;
				int v = m.list[ll][--m.len[ll]];

				m.present[v] = false;
				assert_int_equal(m.ngone, 1);
				assert_int_equal(m.gone[0], v);
				evictions++;
			} else {
				assert_int_equal(m.ngone, 0);
			}
			m.present[k] = true;
			m.reversed[k] = from_server;
			m_push(k, FLOW_QUIET);
		}
		want_dir = from_server != m.reversed[k];
		assert_int_equal(dir, want_dir);
		assert_int_equal(f->port[m.reversed[k] ? 1 : 0], 1024 + k);
		/* the engine's per-packet bookkeeping */
		f->last_ts = now;
		m.last[k] = now;
		flow_touch(ft, f, (enum flow_list)l);
		m_unlink(k);
		m_push(k, l);
		assert_int_equal(flow_table_count(ft), (uint32_t)(m.len[0] + m.len[1]));
	}
	assert_int_equal(flow_table_evicted(ft), evictions);
	assert_true(evictions > 100);
	assert_true(expiries > 0);
	/* every flow the model holds is there, in both directions */
	for (int k = 0; k < KEYS; k++) {
		struct cs_addr c, s;
		bool created;
		int dir;

		if (!m.present[k])
			continue;
		key_addrs(k, &c, &s);
		assert_non_null(
			flow_lookup(ft, &c, (uint16_t)(1024 + k), &s, 443, now, &dir, &created));
		assert_false(created);
		assert_int_equal(dir, m.reversed[k]);
		assert_non_null(
			flow_lookup(ft, &s, 443, &c, (uint16_t)(1024 + k), now, &dir, &created));
		assert_false(created);
		assert_int_equal(dir, !m.reversed[k]);
	}
	m.ngone = 0;
	flow_flush(ft);
	assert_int_equal(m.ngone, m.len[0] + m.len[1]);
	flow_table_free(ft);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		FLOW_TEST(test_lookup_creates_then_finds_both_directions, 16),
		FLOW_TEST(test_ipv4_and_ipv6_keys_are_told_apart, 16),
		FLOW_TEST(test_same_address_both_ends_keeps_directions, 8),
		FLOW_TEST(test_many_flows_differing_only_in_ports_are_all_found, 3 * MANY_PORTS),
		FLOW_TEST(test_zero_max_flows_has_no_slot, 0),
		FLOW_TEST(test_full_table_evicts_oldest_quiet_flow_before_active_ones, 4),
		FLOW_TEST(test_full_table_of_active_flows_evicts_least_recently_used, 3),
		FLOW_TEST(test_evicted_slot_is_reused_clean, 1),
		cmocka_unit_test(test_shared_total_is_kept_across_tables),
		FLOW_TEST(test_idle_flows_expire_by_capture_time, 8),
		FLOW_TEST(test_expire_removes_at_most_max_flows, 16),
		FLOW_TEST(test_flush_calls_the_callback_for_every_flow, 32),
		FLOW_TEST(test_tls_pool_is_capped_at_max_flows_and_reuses_objects, 3),
		cmocka_unit_test(test_random_packets_match_lru_model),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
