/*
 * test_workers.c - --workers (engine.c): packet paths that hand their
 * handshakes and counters to the main engine.  Every counter of the report
 * and every server entry must equal what one engine reading the same
 * capture counts, whether the workers run one after the other or on
 * threads of their own while the main engine collects.  But for
 * anomalies.clock_jumps: a worker sees a subset of the frames, whose gaps
 * can be longer or fewer than the input's (live, an idle worker's clock
 * follows the wall clock), and the report says the most any worker saw.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include "cs_agg.h"
#include "cs_capture.h"
#include "cs_counters.h"
#include "cs_decode.h"
#include "cs_engine.h"
#include "cs_limits.h"
#include "testfeed.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

/* Captures with many connections, fragments, tunnels, retransmissions. */
static const char *const captures[] = {
	"pcaps/lab/freq-three-servers.pcap", "pcaps/lab/multi-server.pcap",
	"pcaps/lab/frag-ipv4.pcap",          "pcaps/lab/frag-ipv6.pcap",
	"pcaps/lab/quirk-qinq.pcap",         "pcaps/lab/tunnel-gtpu.pcap",
	"pcaps/lab/quirk-retrans.pcap",      "pcaps/real/ndpi__sites.pcapng",
	"pcaps/real/ndpi__pinterest.pcap",   "pcaps/real/zeek__tunnels__geneve-47101.pcap",
};

static const struct engine_config cfg = {
	.max_flows = 4096, .buffer_memcap = CS_BUFFER_MEMCAP_DEFAULT, .live = true};

/* A copy of every frame of a capture. */
struct frames {
	struct cs_frame *f;
	size_t n;
};

static void load(const char *path, struct frames *fs)
{
	struct cs_capture_opts co = {0};
	struct cs_source *src;
	struct cs_frame f;
	char err[256];

	memset(fs, 0, sizeof(*fs));
	assert_int_equal(capture_open_file(path, &co, &src, err, sizeof(err)), CS_OK);
	while (capture_next(src, &f, err, sizeof(err)) == CS_OK) {
		uint8_t *copy = malloc(f.caplen ? f.caplen : 1);

		fs->f = realloc(fs->f, (fs->n + 1) * sizeof(*fs->f));
		assert_non_null(fs->f);
		assert_non_null(copy);
		memcpy(copy, f.data, f.caplen);
		f.data = copy;
		fs->f[fs->n++] = f;
	}
	capture_close(src);
}

static void unload(struct frames *fs)
{
	for (size_t i = 0; i < fs->n; i++)
		free((void *)(uintptr_t)fs->f[i].data);
	free(fs->f);
}

/* The worker a frame goes to: a symmetric hash of its innermost address
 * pair, as the fanout does (fragments carry the addresses, not the ports). */
static size_t owner(const struct cs_frame *f, size_t n)
{
	struct cs_decode_stats d = {{0}};
	struct cs_pkt p;
	uint32_t h = 0;

	if (decode_packet(f->linktype, f->data, f->caplen, &p, &d) != CS_OK &&
	    decode_packet(f->linktype, f->data, f->caplen, &p, &d) != CS_MORE)
		return 0;
	for (size_t i = 0; i < sizeof(p.src.a); i++)
		h = h * 31 + (uint8_t)(p.src.a[i] ^ p.dst.a[i]);
	return h % n;
}

struct worker {
	struct engine *w;
	struct engine_input *in;
	const struct frames *fs;
	size_t index, n;
	unsigned every; /* publish every this many frames */
};

static void run_worker(struct worker *k)
{
	unsigned since = 0;

	for (size_t i = 0; i < k->fs->n; i++) {
		if (owner(&k->fs->f[i], k->n) != k->index)
			continue;
		engine_frame(k->w, k->in, &k->fs->f[i]);
		if (++since == k->every) {
			engine_worker_publish(k->w, k->fs->f[i].ts_ns);
			since = 0;
		}
	}
	engine_finish(k->w);
	engine_worker_publish(k->w, engine_now(k->w));
}

static void *worker_thread(void *arg)
{
	run_worker(arg);
	return NULL;
}

static struct engine *reference(const struct frames *fs)
{
	struct engine *e = engine_new(&cfg);
	struct engine_input *in;

	assert_non_null(e);
	in = engine_input_begin(e, "x", true);
	for (size_t i = 0; i < fs->n; i++)
		engine_frame(e, in, &fs->f[i]);
	engine_finish(e);
	return e;
}

/* n workers over the frames, threaded or one after the other. */
static struct engine *with_workers(const struct frames *fs, size_t n, bool threads, unsigned every)
{
	struct engine *e = engine_new(&cfg);
	struct worker k[4];
	pthread_t t[4];

	assert_non_null(e);
	assert_non_null(engine_input_begin(e, "x", true));
	for (size_t i = 0; i < n; i++) {
		k[i] = (struct worker){.fs = fs, .index = i, .n = n, .every = every};
		k[i].w = engine_worker_new(e, cfg.max_flows, cfg.buffer_memcap, 0);
		assert_non_null(k[i].w);
		k[i].in = engine_input_begin(k[i].w, "x", true);
	}
	for (size_t i = 0; i < n; i++) {
		if (threads) {
			assert_int_equal(pthread_create(&t[i], NULL, worker_thread, &k[i]), 0);
		} else {
			run_worker(&k[i]);
			engine_collect(e); /* before the next one fills its ring */
		}
	}
	for (size_t i = 0; threads && i < n; i++) {
		while (pthread_tryjoin_np(t[i], NULL) != 0)
			engine_collect(e); /* the rings fill: keep them moving */
	}
	engine_collect(e);
	engine_finish(e);
	return e;
}

static void assert_same_counters(struct engine *a, struct engine *b, const char *what)
{
	struct ctr_values va, vb;

	counters_of_engine(a, &va);
	counters_of_engine(b, &vb);
	for (size_t id = 0; id < counters_count(); id++)
		if (va.v[id] != vb.v[id] && strcmp(counter_key(id), "clock_jumps"))
			fail_msg("%s: %s.%s is %llu with one engine, %llu with workers", what,
				 counter_group(id), counter_key(id), (unsigned long long)va.v[id],
				 (unsigned long long)vb.v[id]);
	assert_int_equal(engine_input(a, 0)->packets, engine_input(b, 0)->packets);
	assert_int_equal(engine_input(a, 0)->bytes, engine_input(b, 0)->bytes);
	assert_int_equal(engine_input(a, 0)->reached_ip, engine_input(b, 0)->reached_ip);
}

static void assert_same_servers(struct engine *a, struct engine *b, const char *what)
{
	size_t na, nb;
	const struct agg_server *const *sa = agg_sorted(engine_agg(a), &na);
	const struct agg_server *const *sb = agg_sorted(engine_agg(b), &nb);

	assert_int_equal(na, nb);
	for (size_t i = 0; i < na; i++) {
		if (memcmp(&sa[i]->ip, &sb[i]->ip, sizeof(sa[i]->ip)) ||
		    sa[i]->port != sb[i]->port || sa[i]->tls_handshakes != sb[i]->tls_handshakes ||
		    sa[i]->handshakes != sb[i]->handshakes || sa[i]->nchains != sb[i]->nchains ||
		    sa[i]->first_seen != sb[i]->first_seen ||
		    sa[i]->last_seen != sb[i]->last_seen || strcmp(sa[i]->sni, sb[i]->sni))
			fail_msg("%s: server %zu differs", what, i);
	}
}

static void compare(size_t n, bool threads, unsigned every)
{
	for (size_t c = 0; c < CS_ARRAY_LEN(captures); c++) {
		struct frames fs;
		struct engine *a, *b;

		load(captures[c], &fs);
		a = reference(&fs);
		b = with_workers(&fs, n, threads, every);
		assert_same_counters(a, b, captures[c]);
		assert_same_servers(a, b, captures[c]);
		assert_int_equal(engine_workers(b), n);
		engine_free(a);
		engine_free(b);
		unload(&fs);
	}
}

static void test_one_worker(void **state)
{
	(void)state;
	compare(1, false, CS_WORKER_PUBLISH_FRAMES);
}

static void test_three_workers_in_turn(void **state)
{
	(void)state;
	compare(3, false, 64); /* a ring holds what one worker hands over */
}

/* Threads, publishing after every frame: the rings fill and wait. */
static void test_two_workers_on_threads(void **state)
{
	(void)state;
	compare(2, true, 1);
}

/* Each worker's share adds up to the input: nothing counted twice. */
static void test_worker_counts_add_up(void **state)
{
	struct frames fs;
	struct engine *e;
	uint64_t packets = 0, handshakes = 0;

	(void)state;
	load("pcaps/lab/freq-three-servers.pcap", &fs);
	e = with_workers(&fs, 3, true, 5);
	for (size_t i = 0; i < engine_workers(e); i++) {
		uint64_t p, h, d;

		engine_worker_counts(e, i, &p, &h, &d);
		packets += p, handshakes += h;
		assert_int_equal(d, 0);
	}
	assert_int_equal(packets, fs.n);
	assert_int_equal(handshakes, engine_totals(e)->tls_handshakes);
	assert_true(handshakes > 0);
	engine_free(e);
	unload(&fs);
}

/* No more than CS_MAX_WORKERS; a worker needs an input of the main engine. */
static void test_worker_limits(void **state)
{
	struct engine *e = engine_new(&cfg);

	(void)state;
	assert_null(engine_worker_new(e, 16, 1 << 20, 0)); /* no input yet */
	assert_non_null(engine_input_begin(e, "x", true));
	for (int i = 0; i < CS_MAX_WORKERS; i++)
		assert_non_null(engine_worker_new(e, 16, 1 << 20, 0));
	assert_null(engine_worker_new(e, 16, 1 << 20, 0));
	assert_int_equal(engine_workers(e), CS_MAX_WORKERS);
	engine_free(e);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_one_worker),
		cmocka_unit_test(test_three_workers_in_turn),
		cmocka_unit_test(test_two_workers_on_threads),
		cmocka_unit_test(test_worker_counts_add_up),
		cmocka_unit_test(test_worker_limits),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
