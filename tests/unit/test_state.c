/*
 * test_state.c - --state files (cs_state.h): save and load round trips on
 * engines fed real captures, applying a document twice (what merge does),
 * and a state file read as hostile: truncated at every offset, every byte
 * flipped, and a table of targeted corruptions (bad base64, DER that does
 * not hash to its sha256, huge and negative numbers, impossible times,
 * oversized sets, unknown codes), each refused with a message naming the
 * value.  Also the atomic save.  (The strict base64 and time parsers are
 * tested in test_codec.c and test_timefmt.c.)
 * Run from the repository root (the captures are in pcaps/); run under
 * ASan with `make check SANITIZE=1`.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cs_capture.h"
#include "cs_codec.h"
#include "cs_engine.h"
#include "cs_judge.h"
#include "cs_report.h"
#include "cs_state.h"
#include "cs_trust.h"
#include "testfeed.h"

#define TRUST "pcaps/lab/pki/trust.pem"

static const char *const captures[] = {
	"pcaps/lab/diag-client-rejects.pcap", /* a rejection with JA3/JA4 */
	"pcaps/lab/multi-server.pcap",        /* several servers, SNI and none */
	"pcaps/real/zeek__tls__missing-intermediate.pcap",
	"pcaps/lab/resumption.pcap",
	"pcaps/lab/smtp-starttls.pcap",
	"pcaps/lab/no-sni.pcap",
};

struct fixture {
	struct trust_opts trust;
	char dir[64];
	char *small; /* state text of diag-client-rejects alone */
	size_t small_len;
	char *full; /* state text of every capture */
	size_t full_len;
};

static struct fixture fx;

/* Each engine has its own judge (tf_engine_new). */
static struct engine *new_engine(void) { return tf_engine_new(&fx.trust, "unit"); }

static char *state_text(struct engine *e, size_t *len)
{
	char *buf = NULL;
	FILE *m = open_memstream(&buf, len);

	assert_non_null(m);
	report_json_state(m, e);
	fclose(m);
	return buf;
}

static void write_file(const char *path, const char *p, size_t n)
{
	FILE *f = fopen(path, "w");

	assert_non_null(f);
	assert_int_equal(fwrite(p, 1, n, f), n);
	assert_int_equal(fclose(f), 0);
}

static int setup(void **state)
{
	struct engine *e;

	(void)state;
	fx.trust = (struct trust_opts){.ca_files = {TRUST}, .n_ca_files = 1};
	snprintf(fx.dir, sizeof(fx.dir), "/tmp/test_state.XXXXXX");
	if (!mkdtemp(fx.dir))
		return -1;
	e = new_engine();
	tf_feed(e, captures[0]);
	engine_finish(e);
	fx.small = state_text(e, &fx.small_len);
	tf_engine_free(e);
	e = new_engine();
	for (size_t i = 0; i < CS_ARRAY_LEN(captures); i++)
		tf_feed(e, captures[i]);
	engine_finish(e);
	fx.full = state_text(e, &fx.full_len);
	tf_engine_free(e);
	return 0;
}

static int teardown(void **state)
{
	char cmd[128];

	(void)state;
	free(fx.small);
	free(fx.full);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", fx.dir);
	return system(cmd) == 0 ? 0 : -1;
}

/* What a restored engine cannot know: this run's inputs and the per-run
 * decoder, cap, anomaly and diagnosis-cache counters. */
static json_t *comparable(const char *text)
{
	json_error_t je;
	json_t *doc = json_loads(text, JSON_ALLOW_NUL, &je);

	assert_non_null(doc);
	json_object_del(doc, "inputs");
	json_object_del(doc, "decode");
	json_object_del(doc, "caps");
	json_object_del(doc, "anomalies");
	json_object_del(doc, "diagnosis");
	return doc;
}

/* ---- round trips ------------------------------------------------------------------- */

static void test_round_trip(void **state)
{
	char path[128], err[512], *again, *third;
	size_t alen, tlen;
	struct engine *a = new_engine(), *b = new_engine(), *c = new_engine();
	json_t *ja, *jb;
	struct stat st;

	(void)state;
	for (size_t i = 0; i < CS_ARRAY_LEN(captures); i++)
		tf_feed(a, captures[i]);
	engine_finish(a);
	snprintf(path, sizeof(path), "%s/rt.state", fx.dir);
	assert_int_equal(state_save(a, path, err, sizeof(err)), CS_OK);
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600);
	snprintf(err, sizeof(err), "%s/rt.state.tmp", fx.dir);
	assert_int_not_equal(access(err, F_OK), 0); /* renamed away */

	assert_int_equal(state_load(b, path, err, sizeof(err)), CS_OK);
	again = state_text(b, &alen);
	ja = comparable(fx.full);
	jb = comparable(again);
	if (!json_equal(ja, jb)) {
		char *x = json_dumps(ja, JSON_SORT_KEYS), *y = json_dumps(jb, JSON_SORT_KEYS);

		print_error("saved:    %s\nrestored: %s\n", x, y);
		free(x), free(y);
		fail();
	}
	/* a restored engine saved and restored again is byte for byte the same */
	assert_int_equal(state_save(b, path, err, sizeof(err)), CS_OK);
	assert_int_equal(state_load(c, path, err, sizeof(err)), CS_OK);
	third = state_text(c, &tlen);
	assert_int_equal(alen, tlen);
	assert_memory_equal(again, third, alen);
	/* the chains' first_seen still names the capture they came from */
	assert_non_null(strstr(again, "\"input\": \"pcaps/lab/multi-server.pcap\""));
	json_decref(ja);
	json_decref(jb);
	free(again);
	free(third);
	tf_engine_free(a);
	tf_engine_free(b);
	tf_engine_free(c);
}

/* Restored, then more traffic: the same counts as one engine that saw it all. */
static void test_continue_after_load(void **state)
{
	char path[128], err[512], *one, *two;
	size_t n1, n2;
	struct engine *a = new_engine(), *b = new_engine(), *all = new_engine();
	json_t *j1, *j2;

	(void)state;
	tf_feed(a, captures[1]);
	engine_finish(a);
	snprintf(path, sizeof(path), "%s/cont.state", fx.dir);
	assert_int_equal(state_save(a, path, err, sizeof(err)), CS_OK);
	assert_int_equal(state_load(b, path, err, sizeof(err)), CS_OK);
	tf_feed(b, captures[2]);
	engine_finish(b);
	tf_feed(all, captures[1]);
	tf_feed(all, captures[2]);
	engine_finish(all);
	one = state_text(b, &n1);
	two = state_text(all, &n2);
	j1 = comparable(one);
	j2 = comparable(two);
	json_object_del(j1, "inputs");
	assert_true(json_equal(json_object_get(j1, "servers"), json_object_get(j2, "servers")));
	assert_true(json_equal(json_object_get(j1, "totals"), json_object_get(j2, "totals")));
	assert_true(
		json_equal(json_object_get(j1, "first_seen"), json_object_get(j2, "first_seen")));
	assert_true(json_equal(json_object_get(j1, "last_seen"), json_object_get(j2, "last_seen")));
	json_decref(j1);
	json_decref(j2);
	free(one);
	free(two);
	tf_engine_free(a);
	tf_engine_free(b);
	tf_engine_free(all);
}

/* Applying one document twice doubles every count; client sets do not grow. */
static void test_apply_twice(void **state)
{
	struct state_apply_opts o = {0};
	struct engine *e = new_engine();
	json_error_t je;
	json_t *doc = json_loads(fx.full, JSON_ALLOW_NUL, &je), *got, *s1, *s2;
	char err[512], *text;
	size_t n;

	(void)state;
	assert_non_null(doc);
	assert_int_equal(state_apply(e, doc, &o, err, sizeof(err)), CS_OK);
	assert_int_equal(state_apply(e, doc, &o, err, sizeof(err)), CS_OK);
	text = state_text(e, &n);
	got = json_loads(text, JSON_ALLOW_NUL, &je);
	assert_non_null(got);
	assert_int_equal(json_integer_value(
				 json_object_get(json_object_get(got, "totals"), "tls_handshakes")),
			 2 * json_integer_value(json_object_get(json_object_get(doc, "totals"),
								"tls_handshakes")));
	assert_int_equal(json_array_size(json_object_get(got, "servers")),
			 json_array_size(json_object_get(doc, "servers")));
	for (size_t i = 0; i < json_array_size(json_object_get(doc, "servers")); i++) {
		s1 = json_array_get(json_object_get(doc, "servers"), i);
		s2 = json_array_get(json_object_get(got, "servers"), i);
		assert_int_equal(2 * json_integer_value(json_object_get(s1, "tls_handshakes")),
				 json_integer_value(json_object_get(s2, "tls_handshakes")));
		assert_int_equal(json_integer_value(json_object_get(s1, "clients_total")),
				 json_integer_value(json_object_get(s2, "clients_total")));
		assert_true(json_equal(json_object_get(s1, "first_seen"),
				       json_object_get(s2, "first_seen")));
	}
	json_decref(doc);
	json_decref(got);
	free(text);
	tf_engine_free(e);
}

static void test_missing_and_unreadable(void **state)
{
	struct engine *e = new_engine();
	char path[128], err[512];

	(void)state;
	snprintf(path, sizeof(path), "%s/none.state", fx.dir);
	assert_int_equal(state_load(e, path, err, sizeof(err)), CS_EOF);
	assert_int_equal(engine_totals(e)->packets, 0);
	/* a directory is not a state file */
	assert_int_equal(state_load(e, fx.dir, err, sizeof(err)), CS_BAD);
	/* an empty file is not one either */
	snprintf(path, sizeof(path), "%s/empty.state", fx.dir);
	write_file(path, "", 0);
	assert_int_equal(state_load(e, path, err, sizeof(err)), CS_BAD);
	assert_non_null(strstr(err, "not valid JSON"));
	/* saving where no directory exists fails and leaves nothing behind */
	snprintf(path, sizeof(path), "%s/no/such/dir/x.state", fx.dir);
	assert_int_equal(state_save(e, path, err, sizeof(err)), CS_IO);
	assert_non_null(strstr(err, "x.state.tmp"));
	tf_engine_free(e);
}

/* ---- hostile files ------------------------------------------------------------------- */

/* Into e, or a fresh engine when e is NULL. */
static enum cs_status load_into(struct engine *e, const char *p, size_t n, char *err, size_t errlen)
{
	char path[128];
	struct engine *own = e ? NULL : new_engine();
	enum cs_status st;

	snprintf(path, sizeof(path), "%s/t.state", fx.dir);
	write_file(path, p, n);
	st = state_load(e ? e : own, path, err, errlen);
	if (own)
		tf_engine_free(own);
	return st;
}

static enum cs_status load_text(const char *p, size_t n, char *err, size_t errlen)
{
	return load_into(NULL, p, n, err, errlen);
}

static void test_truncated_everywhere(void **state)
{
	char err[512];
	struct engine *e = new_engine(); /* a cut file never parses: e stays empty */

	(void)state;
	assert_int_equal(load_text(fx.small, fx.small_len, err, sizeof(err)), CS_OK);
	/* every proper prefix is refused, except the one that drops the final newline */
	for (size_t cut = 0; cut + 1 < fx.small_len; cut++) {
		enum cs_status st = load_into(e, fx.small, cut, err, sizeof(err));

		if (st != CS_BAD)
			fail_msg("a state file cut at %zu of %zu bytes gave %d", cut, fx.small_len,
				 st);
		assert_true(strlen(err) > 0 && !strchr(err, '\n'));
	}
	assert_int_equal(engine_totals(e)->packets, 0);
	assert_int_equal(load_into(e, fx.small, fx.small_len - 1, err, sizeof(err)), CS_OK);
	tf_engine_free(e);
}

/* Every byte flipped in turn: refused or accepted, never a crash (ASan). */
static void test_flipped_bytes(void **state)
{
	char *copy = malloc(fx.small_len), err[512];
	struct engine *e = new_engine(); /* shared: only crashes matter here */
	size_t ok = 0;

	(void)state;
	assert_non_null(copy);
	for (size_t i = 0; i < fx.small_len; i++) {
		json_error_t je;
		json_t *doc;
		struct state_apply_opts o = {0};

		memcpy(copy, fx.small, fx.small_len);
		copy[i] ^= (char)(i % 3 == 0 ? 0x01 : i % 3 == 1 ? 0x20 : 0x80);
		doc = json_loadb(copy, fx.small_len, JSON_REJECT_DUPLICATES | JSON_ALLOW_NUL, &je);
		if (!doc)
			continue;
		ok += state_apply(e, doc, &o, err, sizeof(err)) == CS_OK;
		json_decref(doc);
	}
	tf_engine_free(e);
	/* some flips are harmless (a letter of a message, a digit of a counter) */
	assert_true(ok > 0);
	free(copy);
}

/* A corruption: a path to a value in the small state and what to put there. */
struct corruption {
	const char *name;
	const char *path;    /* dot-separated, numbers index arrays */
	const char *value;   /* JSON text, or NULL to delete the member */
	const char *message; /* must appear in the error */
};

static const struct corruption corruptions[] = {
	{"version", "report_version", "2", "report_version: 2"},
	{"version type", "report_version", "\"1\"", "not an integer"},
	{"negative counter", "servers.0.tls_handshakes", "-1", "out of range"},
	{"huge counter", "totals.packets", "9223372036854775807", NULL},
	{"too huge", "totals.packets", "18446744073709551616", "not valid JSON"},
	{"real number", "totals.bytes", "1.5", "totals.bytes: not a counter"},
	{"totals identity", "totals.tls13", "5", "tls_handshakes"},
	{"reasons identity", "incomplete_reasons.gap", "1", "incomplete_reasons"},
	{"no totals", "totals", NULL, "totals: missing"},
	{"servers not array", "servers", "{}", "servers: not an array"},
	{"server not object", "servers.0", "7", "servers[0]: not an object"},
	{"bad ip", "servers.0.server_ip", "\"300.1.1.1\"", "server_ip: not an IP address"},
	{"port", "servers.0.server_port", "65536", "server_port"},
	{"sni type", "servers.0.sni", "5", "sni: not a string or null"},
	{"sni too long", "servers.0.sni", NULL, NULL}, /* filled in below: 400 bytes */
	{"broken > handshakes", "servers.0.broken_handshakes", "2", "broken_handshakes"},
	{"time form", "servers.0.first_seen", "\"2026-11-23 03:00:40\"", "not a time"},
	{"time Feb 30", "servers.0.last_seen", "\"2026-02-30T03:00:40.449668Z\"", "not a time"},
	{"time order", "servers.0.first_seen", "\"2099-01-01T00:00:00.000000Z\"",
	 "before first_seen"},
	{"time overflow", "servers.0.last_seen", "\"9999-12-31T23:59:59.999999Z\"", "not a time"},
	{"no sketch", "servers.0.clients_sketch", NULL, "older chainsniff"},
	{"sketch hash", "servers.0.clients_sketch.exact.0", "\"10B10149D2B010F1\"", "hex"},
	{"sketch 33 hashes", "servers.0.clients_sketch.exact", NULL, NULL}, /* below */
	{"hll p", "servers.0.clients_total_sketch", "{\"hll_p\": 12, \"registers\": \"\"}",
	 "hll_p"},
	{"hll short", "servers.0.clients_total_sketch", "{\"hll_p\": 10, \"registers\": \"AAAA\"}",
	 "registers"},
	{"hll rank", "servers.0.clients_total_sketch", NULL, NULL}, /* below: a register of 60 */
	{"version name", "servers.0.tls_versions", "{\"TLS9.9\": 1}", "TLS9.9"},
	{"problem code", "servers.0.chains.0.problems.0.code", "\"No such\"", "not a problem code"},
	{"problem params", "servers.0.chains.0.problems.0.params", "[]", "params: not an object"},
	{"problem role", "servers.0.chains.0.problems.0.params.role", "\"boss\"", "role"},
	{"problem date", "servers.0.chains.0.problems.0.params.date", "\"2021-13-01T00:00:00Z\"",
	 "date: not a time"},
	{"problem order", "servers.0.chains.0.problems.0.params.order", "[40]", "order"},
	{"problem text NUL", "servers.0.chains.0.problems.0.params.name", "\"a\\u0000b\"", "NUL"},
	{"problem severity", "servers.0.chains.0.problems.0.severity", "\"fatal\"", "severity"},
	{"cert index", "servers.0.chains.0.problems.0.cert_index", "9", "cert_index"},
	{"chain sha", "servers.0.chains.0.sha256", "\"00\"", "64 lowercase hex"},
	{"chain sha differs", "servers.0.chains.0.sha256",
	 "\"0000000000000000000000000000000000000000000000000000000000000000\"", "does not match"},
	{"der base64", "servers.0.chains.0.certs.0.der", "\"MII*\"", "not base64"},
	{"der pad bits", "servers.0.chains.0.certs.0.der", "\"QR==\"", "not base64"},
	{"der empty", "servers.0.chains.0.certs.0.der", "\"\"", "not base64"},
	{"der other", "servers.0.chains.0.certs.0.der", "\"MAA=\"", "does not match"},
	{"cert sha", "servers.0.chains.0.certs.0.sha256", "\"zz\"", "64 lowercase hex"},
	{"no certs", "servers.0.chains.0.certs", "[]", "certs: empty"},
	{"chain zero", "servers.0.chains.0.handshakes", "0", "handshakes"},
	{"chain > server", "servers.0.chains.0.handshakes", "2", "handshakes"},
	{"frame", "servers.0.chains.0.first_seen.frame", "\"6\"", "frame"},
	{"input name", "servers.0.chains.0.first_seen.input", "7", "input"},
	{"alert code", "servers.0.client_rejections.0.alert_code", "256", "alert_code"},
	{"ja3", "servers.0.client_rejections.0.fingerprints.0.ja3", "\"a b\"", "printable"},
	{"ja3 long", "servers.0.client_rejections.0.fingerprints.0.ja3",
	 "\"0123456789abcdef0123456789abcdef0\"", "longer"},
	{"rejection sketch", "servers.0.client_rejections.0.clients_sketch", "[]", "not an object"},
	{"broken_then > broken", "servers.0.chains.0.broken_then_handshakes", "2",
	 "broken_then_handshakes"},
	{"ok_at_capture_time > broken", "totals.ok_at_capture_time", "5", "ok_at_capture_time"},
	{"root_then type", "servers.0.chains.0.problems.0.root_then", "[]", "root_then"},
	{"root_then day", "servers.0.chains.0.problems.0.root_then",
	 "{\"store_day\": \"@160000000\"}", "not a day"},
	{"root_then fields", "servers.0.chains.0.problems.0.root_then",
	 "{\"store_day\": \"2019-01-01\"}", "label"},
	{"merged report", "sensors", "[]", "merged report"},
	{"first/last pair", "first_seen", "null", "first_seen"},
};

/* Walk a dotted path; the parent and the last key (or index) */
static json_t *walk(json_t *doc, const char *path, char *last, size_t len)
{
	char buf[256], *save = NULL, *tok, *next;
	json_t *cur = doc;

	snprintf(buf, sizeof(buf), "%s", path);
	tok = strtok_r(buf, ".", &save);
	while (tok && (next = strtok_r(NULL, ".", &save))) {
		cur = json_is_array(cur) ? json_array_get(cur, strtoul(tok, NULL, 10))
					 : json_object_get(cur, tok);
		assert_non_null(cur);
		tok = next;
	}
	snprintf(last, len, "%s", tok);
	return cur;
}

static void set_at(json_t *doc, const char *path, json_t *v)
{
	char last[64];
	json_t *parent = walk(doc, path, last, sizeof(last));

	if (json_is_array(parent)) {
		assert_non_null(v);
		assert_int_equal(json_array_set_new(parent, strtoul(last, NULL, 10), v), 0);
	} else if (v) {
		assert_int_equal(json_object_set_new(parent, last, v), 0);
	} else {
		json_object_del(parent, last);
	}
}

/* The small state as a document to edit; *server (if asked) its first and
 * only server. */
static json_t *small_doc(json_t **server)
{
	json_error_t je;
	json_t *doc = json_loads(fx.small, JSON_ALLOW_NUL, &je);

	assert_non_null(doc);
	if (server)
		*server = json_array_get(json_object_get(doc, "servers"), 0);
	return doc;
}

/* doc written as a state file and loaded into a fresh engine. */
static enum cs_status load_doc(const json_t *doc, char *err, size_t errlen)
{
	char *text = json_dumps(doc, JSON_INDENT(1));
	enum cs_status st;

	assert_non_null(text);
	st = load_text(text, strlen(text), err, errlen);
	free(text);
	return st;
}

/* doc applied to e, accepted; e then holds one server: that one. */
static const struct agg_server *apply_one_server(struct engine *e, json_t *doc)
{
	struct state_apply_opts o = {0};
	const struct agg_server *const *servers;
	char err[512] = "";
	size_t n;

	if (state_apply(e, doc, &o, err, sizeof(err)) != CS_OK)
		fail_msg("refused: %s", err);
	servers = agg_sorted(engine_agg(e), &n);
	assert_int_equal(n, 1);
	return servers[0];
}

/* doc applied to e, refused with a message that names why. */
static void apply_refused(struct engine *e, json_t *doc, const char *why)
{
	struct state_apply_opts o = {0};
	char err[512] = "";

	if (state_apply(e, doc, &o, err, sizeof(err)) != CS_BAD || !strstr(err, why))
		fail_msg("not refused for \"%s\": \"%s\"", why, err);
}

static void test_corruptions(void **state)
{
	(void)state;
	for (size_t i = 0; i < CS_ARRAY_LEN(corruptions); i++) {
		const struct corruption *c = &corruptions[i];
		json_error_t je;
		json_t *doc = small_doc(NULL), *v = NULL;
		char err[512] = "", *text;
		enum cs_status st;

		if (!strcmp(c->name, "sni too long")) {
			char sni[401];

			memset(sni, 'a',
			       400); /* 255..510: cut to 255, as an SNI of escaped bytes */
			sni[400] = '\0';
			v = json_string(sni);
		} else if (!strcmp(c->name, "sketch 33 hashes")) {
			v = json_array();
			for (int k = 0; k < 33; k++) {
				char h[17];

				snprintf(h, sizeof(h), "%016x", k);
				json_array_append_new(v, json_string(h));
			}
		} else if (!strcmp(c->name, "hll rank")) {
			uint8_t regs[CS_HLL_REGISTERS] = {[7] = 60};
			char *b = b64_encode(regs, sizeof(regs));

			v = json_pack("{s:i, s:s}", "hll_p", CS_HLL_P, "registers", b);
			free(b);
		} else if (c->value) {
			v = json_loads(c->value, JSON_DECODE_ANY, &je);
			if (!v) /* JSON jansson itself refuses: splice the text in */
				v = json_string("@RAW@");
		}
		set_at(doc, c->path, v);
		text = json_dumps(doc, JSON_INDENT(1));
		assert_non_null(text);
		if (v && json_is_string(v) && !strcmp(json_string_value(v), "@RAW@")) {
			char *at = strstr(text, "\"@RAW@\""), *spliced;

			assert_non_null(at);
			assert_true(asprintf(&spliced, "%.*s%s%s", (int)(at - text), text, c->value,
					     at + 7) > 0);
			free(text);
			text = spliced;
		}
		st = load_text(text, strlen(text), err, sizeof(err));
		if (!strcmp(c->name, "huge counter") || !strcmp(c->name, "sni too long")) {
			/* in range: accepted (an over-long SNI is cut on a character boundary) */
			if (st != CS_OK)
				fail_msg("%s: refused: %s", c->name, err);
		} else if (st != CS_BAD || (c->message && !strstr(err, c->message))) {
			fail_msg("%s: status %d, message \"%s\" (wanted \"%s\")", c->name, st, err,
				 c->message ? c->message : "");
		}
		assert_null(strchr(err, '\n'));
		free(text);
		json_decref(doc);
	}
}

/* A state file of a newer chainsniff: problem codes and counters this one
 * does not know are no reason to refuse it (the chains are judged again). */
static void test_newer_codes_accepted(void **state)
{
	json_t *doc = small_doc(NULL);
	char err[512] = "";

	(void)state;
	set_at(doc, "servers.0.chains.0.problems.0.code", json_string("ocsp_must_staple_unmet"));
	set_at(doc, "servers.0.chains.0.problems.0.params", NULL);
	set_at(doc, "totals.frobs", json_integer(7));
	set_at(doc, "caps.new_cap", json_integer(1));
	if (load_doc(doc, err, sizeof(err)) != CS_OK)
		fail_msg("a newer state file is refused: %s", err);
	json_decref(doc);
}

/* Counters added to report_version 1 later (incomplete reasons, STARTTLS
 * protocols, chains_unparsed, openvpn) may be missing from an older file:
 * they read as 0; when present they are checked like the others. */
static void test_added_counters_optional(void **state)
{
	(void)state;
	static const char *const added[] = {
		"incomplete_reasons.client_reset",
		"incomplete_reasons.server_closed",
		"totals.starttls.xmpp",
		"totals.starttls.http_connect",
		"totals.chains_unparsed",
		"totals.openvpn",
	};
	json_t *doc = small_doc(NULL);
	char err[512] = "";

	for (size_t i = 0; i < CS_ARRAY_LEN(added); i++)
		set_at(doc, added[i], NULL);
	if (load_doc(doc, err, sizeof(err)) != CS_OK)
		fail_msg("an older state file is refused: %s", err);
	set_at(doc, "totals.openvpn", json_integer(-1));
	assert_int_equal(load_doc(doc, err, sizeof(err)), CS_BAD);
	assert_non_null(strstr(err, "openvpn"));
	/* counters are read by the table: any missing one is 0, and the
	 * identities (incomplete_reasons add up to totals.incomplete) still hold */
	set_at(doc, "totals.openvpn", NULL);
	set_at(doc, "incomplete_reasons.gap", NULL);
	assert_int_equal(load_doc(doc, err, sizeof(err)), CS_OK);
	json_decref(doc);
}

/* The largest counter that parses, applied twice, would no longer be a JSON
 * integer jansson reads back (2^63-1 at most): refused. */
static void test_counter_overflow(void **state)
{
	struct engine *e = new_engine();
	json_t *sv, *doc = small_doc(&sv);

	(void)state;
	json_object_set_new(sv, "tls_handshakes", json_integer(INT64_MAX));
	json_object_set_new(sv, "sni_not_sent", json_integer(0));
	apply_one_server(e, doc);
	apply_refused(e, doc, "counter overflow"); /* 2^64 - 2 */
	json_decref(doc);
	tf_engine_free(e);
}

/* HLL registers restore as registers; the count is the estimate. */
static void test_hll_sketch(void **state)
{
	struct engine *e = new_engine();
	json_t *sv, *doc = small_doc(&sv);
	struct clientset ref;
	struct cs_addr a = {.family = 4, .a = {[10] = 0xff, [11] = 0xff, [12] = 10}};
	const struct agg_server *got;
	char *b;

	(void)state;
	clientset_init(&ref);
	for (int i = 0; i < 500; i++) {
		a.a[14] = (uint8_t)(i >> 8), a.a[15] = (uint8_t)i;
		clientset_add(&ref, &a);
	}
	assert_false(clientset_exact(&ref));
	b = b64_encode(ref.regs, CS_HLL_REGISTERS);
	json_object_set_new(sv, "clients_total_sketch",
			    json_pack("{s:i, s:s}", "hll_p", CS_HLL_P, "registers", b));
	got = apply_one_server(e, doc);
	assert_false(clientset_exact(&got->clients_total));
	assert_int_equal(clientset_count(&got->clients_total), clientset_count(&ref));
	assert_memory_equal(got->clients_total.regs, ref.regs, CS_HLL_REGISTERS);
	free(b);
	clientset_fini(&ref);
	json_decref(doc);
	tf_engine_free(e);
}

/* An SNI that is not UTF-8 comes back byte for byte from "sni_b64"; "sni"
 * alone reads each invalid byte back as a character (esc_json's \u00XX). */
static void test_sni_bytes(void **state)
{
	static const char raw[] = "bad\xff\xfe.test";
	struct engine *e = new_engine();
	json_t *sv, *doc = small_doc(&sv);
	const struct agg_server *got;
	char *b = b64_encode((const uint8_t *)raw, sizeof(raw) - 1);

	(void)state;
	json_object_set_new(sv, "sni", json_string("bad\u00ff\u00fe.test"));
	json_object_set_new(sv, "sni_b64", json_string(b));
	got = apply_one_server(e, doc);
	assert_true(got->has_sni);
	assert_int_equal(got->sni_len, sizeof(raw) - 1);
	assert_memory_equal(got->sni, raw, sizeof(raw) - 1);
	tf_engine_free(e);
	e = new_engine();
	json_object_set_new(sv, "sni_b64", json_string("!!!!"));
	apply_refused(e, doc, "sni_b64");
	json_object_set_new(sv, "sni_b64", json_string(b));
	json_object_set_new(sv, "sni", json_null());
	apply_refused(e, doc, "sni_b64");
	free(b);
	json_decref(doc);
	tf_engine_free(e);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_round_trip),
		cmocka_unit_test(test_continue_after_load),
		cmocka_unit_test(test_apply_twice),
		cmocka_unit_test(test_missing_and_unreadable),
		cmocka_unit_test(test_truncated_everywhere),
		cmocka_unit_test(test_flipped_bytes),
		cmocka_unit_test(test_corruptions),
		cmocka_unit_test(test_added_counters_optional),
		cmocka_unit_test(test_newer_codes_accepted),
		cmocka_unit_test(test_counter_overflow),
		cmocka_unit_test(test_hll_sketch),
		cmocka_unit_test(test_sni_bytes),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
