/*
 * test_report.c - the report writers (cs_report.h) on a report view built
 * by hand (cs_view.h): servers with hostile SNIs and certificate names,
 * typed problems with their parameters, a problem of a code this
 * chainsniff does not know, counters of a newer sensor, a window.  Every
 * format is read back: the JSON with jansson (fields, parameters, evidence,
 * the exact SNI bytes), the text line by line (widths 60, 100 and 160, no
 * control or bidi character, long names wrapped and never cut, plurals),
 * the CSV cell by cell (formula guard, a distinguished name escaped once),
 * the HTML as markup (balanced, no raw markup from the wire, the CSP's
 * style hash, rows in rank order, the trend chart's bars and scale).
 * Run from the repository root (the lab PKI is in pcaps/lab/pki).
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

#include "cs_addr.h"
#include "cs_chain.h"
#include "cs_codec.h"
#include "cs_report.h"
#include "testpki.h"

/* An SNI with every kind of trouble: controls, ANSI, bidi, invalid UTF-8. */
static const char hostile_sni[] = "a\x1b[31m\xe2\x80\xae<script>\xff.test";
#define LONG_SNI                                                                                   \
	"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa.bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb.example"

struct fixture {
	struct engine *e; /* the chain store and the names of inputs */
	struct agg *agg;
	const struct cs_chain *broken_chain, *ok_chain;
	struct engine_input inputs[2];
	struct diag_evidence_rec ev;
	struct view_counter extra[2];
	struct report_view v;
};

static struct fixture fx;

static void add(const struct cs_chain *c, const char *ip, uint16_t port, const char *sni,
		size_t sni_len, const char *client, bool broken, int64_t ts)
{
	struct cs_addr sip, cip;
	struct agg_handshake h = {
		.server_ip = &sip,
		.server_port = port,
		.sni = sni,
		.sni_len = sni_len,
		.sni_status = sni ? AGG_SNI_SENT : AGG_SNI_NOT_SENT,
		.version = 0x0303,
		.chain = c,
		.client_ip = &cip,
		.broken = broken,
		.ts = ts,
	};

	assert_true(cs_addr_parse(ip, &sip));
	assert_true(cs_addr_parse(client, &cip));
	assert_int_equal(agg_add(fx.agg, &h), CS_OK);
}

/* A problem record with no names or text ("" as diag makes them). */
static struct view_problem problem(enum cs_problem code, const char *name,
				   enum cs_severity severity, int cert_index, int warn_days)
{
	return (struct view_problem){.p = {.code = code,
					   .severity = severity,
					   .cert_index = cert_index,
					   .subject = "",
					   .name = "",
					   .text = ""},
				     .code = name,
				     .warn_days = warn_days};
}

/* The problems the producer of this view gives: typed records for the
 * broken chain (one naming its evidence), a newer sensor's code for the
 * good one, and a code of earlier handshakes only. */
static size_t problems(const struct report_view *v, const struct agg_server *s,
		       const struct agg_chain *ac, struct view_problem *out, size_t max,
		       struct view_chain *vc)
{
	(void)v, (void)s;
	assert_true(max >= 3);
	*vc = (struct view_chain){.leaf_names = "good.example", .evidence = NULL};
	if (ac->chain == fx.broken_chain) {
		vc->evidence = &fx.ev;
		out[0] = problem(CS_P_MISSING_INTERMEDIATE, "missing_intermediate", CS_SEV_ERROR, 0,
				 30);
		out[0].p.role = CS_ROLE_LEAF;
		out[0].p.subject = cert_facts(ac->chain->certs[0])->subject;
		out[0].p.name = cert_facts(ac->chain->certs[0])->issuer;
		out[1] = problem(CS_P_EXPIRING_SOON, "expiring_soon", CS_SEV_WARNING, 0, 45);
		out[1].p.role = CS_ROLE_LEAF;
		out[1].p.date = 2051222400;
		out[2] = problem(CS_P_ROOT_INCLUDED, "root_included", CS_SEV_WARNING, -1, 30);
		out[2].earlier = true;
		return 3;
	}
	out[0] = problem(CS_P_MAX, "ocsp_must_staple_unmet", CS_SEV_ERROR, 0, 0);
	out[0].message = "evil.test is outside allowed.test.";
	out[0].fix = "Issue the certificate from a CA allowed to name it.";
	return 1;
}

static void set(const char *group, const char *key, uint64_t v)
{
	size_t id = counter_find(group, key, strlen(key));

	assert_true(id != SIZE_MAX);
	fx.v.counters.v[id] = v;
}

static int setup(void **state)
{
	struct engine_config cfg = {
		.max_flows = 16, .buffer_memcap = 1 << 20, .sensor = "unit\x1b"};
	EVP_PKEY *k = tp_ec_key("P-256");
	struct tp_spec leaf = {.subject_cn = "evil, Inc.\x01<b>",
			       .issuer_cn = "Missing, CA",
			       .pub = k,
			       .signer = k,
			       .serial = 1,
			       .dns = "evil.example"};
	struct tp_spec good = {.subject_cn = "good.example",
			       .pub = k,
			       .signer = k,
			       .serial = 2,
			       .dns = "good.example"};
	X509 *x1 = tp_cert(&leaf), *x2 = tp_cert(&good);
	struct engine_input *in;
	const struct agg_server *const *sv;
	size_t n;

	(void)state;
	memset(&fx, 0, sizeof(fx));
	fx.e = engine_new(&cfg);
	fx.agg = agg_new(64);
	assert_non_null(fx.e);
	assert_non_null(fx.agg);
	in = engine_input_begin(fx.e, "capture \"one\".pcap", false);
	assert_non_null(in);
	fx.broken_chain = tp_intern(engine_chains(fx.e), &x1, 1);
	fx.ok_chain = tp_intern(engine_chains(fx.e), &x2, 1);
	X509_free(x1);
	X509_free(x2);
	EVP_PKEY_free(k);
	add(fx.broken_chain, "192.0.2.7", 443, hostile_sni, strlen(hostile_sni), "10.0.0.1", true,
	    1790000000LL * CS_NS_PER_SEC);
	add(fx.broken_chain, "192.0.2.7", 443, hostile_sni, strlen(hostile_sni), "10.0.0.2", true,
	    1790000001LL * CS_NS_PER_SEC);
	add(fx.broken_chain, "2001:db8:1234:5678:9abc:def0:1234:5678", 8443, LONG_SNI,
	    strlen(LONG_SNI), "10.0.0.1", true, 1790000002LL * CS_NS_PER_SEC);
	add(fx.broken_chain, "192.0.2.8", 443, "=cmd|calc", 9, "10.0.0.3", true,
	    1790000003LL * CS_NS_PER_SEC);
	add(fx.ok_chain, "192.0.2.9", 443, NULL, 0, "10.0.0.4", false,
	    1790000004LL * CS_NS_PER_SEC);
	fx.ev = (struct diag_evidence_rec){.kind = DIAG_EV_SEEN_IN_CAPTURE,
					   .have_cert = true,
					   .completes = true,
					   .source = "198.51.100.9:443"};
	memset(fx.ev.sha256, 0xab, sizeof(fx.ev.sha256));
	fx.inputs[0] = (struct engine_input){
		.name = "a.pcap", .format = "pcap", .packets = 10, .filtered = 3};
	fx.inputs[1] =
		(struct engine_input){.name = "b\x1b.pcap", .status = INPUT_ERROR, .nerrors = 1};
	snprintf(fx.inputs[1].errors[0], sizeof(fx.inputs[1].errors[0]), "No such file");
	fx.extra[0] = (struct view_counter){"totals", "from_the_future", 7};
	fx.extra[1] = (struct view_counter){"totals.later", "gauge", 3};
	sv = agg_sorted(fx.agg, &n);
	fx.v = (struct report_view){
		.sensor = "unit\x1b",
		.have_time = true,
		.first = 1790000000LL * CS_NS_PER_SEC,
		.last = 1790000004LL * CS_NS_PER_SEC,
		.have_trust = true,
		.trust = {"system: /etc/ssl/certs/ca-certificates.crt; system: /usr/local/share/"
			  "ca-certificates (a very long list of places)",
			  "e3c1bab095542ab7db11084f592643dacc91ac0b76ed64b49f1f6096a3c87936", 1, 0},
		.warn_days = 30,
		.inputs = fx.inputs,
		.ninputs = 2,
		.extra = fx.extra,
		.nextra = 2,
		.servers = sv,
		.nservers = n,
		.names = fx.e,
		.problems = problems,
	};
	set("totals", "packets", 10);
	set("totals", "tls_handshakes", 5);
	set("totals", "handshakes_with_chain", 5);
	set("totals", "broken_handshakes", 4);
	set("totals", "servers_broken", 3);
	set("totals", "servers", n);
	set("diagnosis", "analyses", 2);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	agg_free(fx.agg);
	engine_free(fx.e);
	return 0;
}

typedef void (*writer_fn)(FILE *, const struct report_view *, const void *);

/* What a writer wrote for v, NUL-terminated.  Not inlined: inlined, GCC 12
 * takes the result for a pointer to the local buf (-Wdangling-pointer). */
__attribute__((noinline)) static char *render(writer_fn fn, const struct report_view *v,
					      const void *arg)
{
	char *buf = NULL;
	size_t n = 0;
	FILE *m = open_memstream(&buf, &n);

	assert_non_null(m);
	fn(m, v, arg);
	assert_int_equal(fclose(m), 0);
	return buf;
}

static void w_json(FILE *f, const struct report_view *v, const void *arg)
{
	report_view_json(f, v, arg != NULL);
}

static void w_text(FILE *f, const struct report_view *v, const void *arg)
{
	report_view_text(f, v, arg);
}

static void w_csv(FILE *f, const struct report_view *v, const void *arg)
{
	(void)arg;
	report_view_csv(f, v);
}

static void w_html(FILE *f, const struct report_view *v, const void *arg)
{
	report_view_html(f, v, arg);
}

/* Each string up to the NULL is in text (has) or is not (lacks); a failure
 * names the string. */
static void assert_each(bool want, const char *text, va_list ap)
{
	const char *wrong = NULL;

	for (const char *s = va_arg(ap, const char *); s; s = va_arg(ap, const char *))
		if (!wrong && (strstr(text, s) != NULL) != want)
			wrong = s;
	if (wrong)
		fail_msg("%s: \"%s\"", want ? "missing" : "should not be there", wrong);
}

static void assert_has(const char *text, ...)
{
	va_list ap;

	va_start(ap, text);
	assert_each(true, text, ap);
	va_end(ap);
}

static void assert_lacks(const char *text, ...)
{
	va_list ap;

	va_start(ap, text);
	assert_each(false, text, ap);
	va_end(ap);
}

static json_t *parsed(const char *text)
{
	json_error_t je;
	json_t *doc = json_loads(text, JSON_REJECT_DUPLICATES, &je);

	if (!doc)
		fail_msg("not JSON: %s (line %d)", je.text, je.line);
	return doc;
}

static json_t *server_with_port(json_t *doc, json_int_t port)
{
	json_t *servers = json_object_get(doc, "servers");

	for (size_t i = 0; i < json_array_size(servers); i++)
		if (json_integer_value(
			    json_object_get(json_array_get(servers, i), "server_port")) == port)
			return json_array_get(servers, i);
	fail_msg("no server on port %lld", (long long)port);
	return NULL;
}

static void test_json_fields(void **state)
{
	char *text = render(w_json, &fx.v, NULL);
	json_t *doc = parsed(text), *s, *p, *params, *totals;
	const char *raw;
	uint8_t sni[64];
	size_t n;

	(void)state;
	assert_int_equal(json_integer_value(json_object_get(doc, "report_version")), 1);
	assert_string_equal(json_string_value(json_object_get(doc, "sensor")), "unit\x1b");
	/* the hostile SNI: readable text, and its exact bytes beside it */
	s = json_array_get(json_object_get(doc, "servers"), 0);
	assert_int_equal(json_integer_value(json_object_get(s, "broken_handshakes")), 2);
	raw = json_string_value(json_object_get(s, "sni_b64"));
	assert_non_null(raw);
	assert_true(b64_decode(raw, strlen(raw), sni, sizeof(sni), &n));
	assert_int_equal(n, strlen(hostile_sni));
	assert_memory_equal(sni, hostile_sni, n);
	assert_null(json_object_get(server_with_port(doc, 8443), "sni_b64")); /* valid UTF-8 */
	/* what a merge needs: client sets, per-chain last_seen, typed parameters */
	assert_int_equal(
		json_array_size(json_object_get(json_object_get(s, "clients_sketch"), "exact")), 2);
	assert_non_null(
		json_object_get(json_array_get(json_object_get(s, "chains"), 0), "last_seen"));
	p = json_array_get(json_object_get(s, "problems"), 0);
	assert_string_equal(json_string_value(json_object_get(p, "code")), "missing_intermediate");
	assert_string_equal(json_string_value(json_object_get(p, "issuer_evidence")),
			    "seen_in_capture");
	assert_true(json_is_true(json_object_get(json_object_get(p, "evidence"), "completes")));
	assert_string_equal(
		json_string_value(json_object_get(json_object_get(p, "evidence"), "source")),
		"198.51.100.9:443");
	assert_non_null(
		strstr(json_string_value(json_object_get(p, "fix")), "sent by 198.51.100.9:443"));
	params = json_object_get(p, "params");
	assert_string_equal(json_string_value(json_object_get(params, "role")), "leaf");
	assert_non_null(
		strstr(json_string_value(json_object_get(params, "name")), "CN=Missing\\, CA"));
	assert_true(json_is_false(json_object_get(params, "earlier")));
	p = json_array_get(json_object_get(s, "problems"), 1);
	assert_int_equal(json_integer_value(json_object_get(json_object_get(p, "params"), "days")),
			 45);
	assert_string_equal(
		json_string_value(json_object_get(json_object_get(p, "params"), "date")),
		"2035-01-01T00:00:00Z");
	assert_non_null(strstr(json_string_value(json_object_get(p, "message")), "within 45 days"));
	p = json_array_get(json_object_get(s, "problems"), 2);
	assert_true(json_is_true(json_object_get(json_object_get(p, "params"), "earlier")));
	assert_true(json_is_null(json_object_get(p, "cert_index")));
	/* a code of a newer sensor: its words as read, no parameters */
	s = json_array_get(json_object_get(doc, "servers"),
			   json_array_size(json_object_get(doc, "servers")) - 1);
	p = json_array_get(json_object_get(s, "problems"), 0);
	assert_string_equal(json_string_value(json_object_get(p, "code")),
			    "ocsp_must_staple_unmet");
	assert_string_equal(json_string_value(json_object_get(p, "message")),
			    "evil.test is outside allowed.test.");
	assert_null(json_object_get(p, "params"));
	/* counters: the table's rows, then a newer sensor's at the end of their group */
	totals = json_object_get(doc, "totals");
	assert_int_equal(json_integer_value(json_object_get(totals, "packets")), 10);
	assert_int_equal(json_integer_value(json_object_get(totals, "from_the_future")), 7);
	assert_int_equal(
		json_integer_value(json_object_get(json_object_get(totals, "later"), "gauge")), 3);
	assert_int_equal(
		json_integer_value(json_object_get(json_object_get(doc, "diagnosis"), "analyses")),
		2);
	assert_string_equal(
		json_string_value(json_array_get(
			json_object_get(json_array_get(json_object_get(doc, "inputs"), 1),
					"errors"),
			0)),
		"No such file");
	/* the counter groups of the table, in its order, after the inputs */
	{
		static const char *const order[] = {
			"\n  \"inputs\"", "\n  \"totals\"", "\n  \"incomplete_reasons\"",
			"\n  \"decode\"", "\n  \"caps\"",   "\n  \"anomalies\"",
			"\n  \"servers\""};
		const char *at = text;

		for (size_t i = 0; i < CS_ARRAY_LEN(order); i++) {
			const char *next = strstr(at, order[i]);

			if (!next)
				fail_msg("%s missing or out of order", order[i] + 1);
			at = next;
		}
		assert_string_equal(counter_top_group(0), "totals");
		assert_null(counter_top_group(100));
		/* the table fits its vectors (a row past CTR_MAX would be lost) */
		assert_true(counters_count() < CTR_MAX);
		assert_string_equal(counter_key(counter_find("incomplete_reasons", "gap", 3)),
				    "gap");
		assert_string_equal(counter_group(counter_find("totals.starttls", "smtp", 4)),
				    "totals.starttls");
		assert_int_equal(counter_find("totals", "gap", 3), SIZE_MAX);
		assert_int_equal(counter_kind(counter_find("diagnosis", "max_checks", 10)),
				 CTR_MAX_OF);
		assert_true(counter_restored(counter_find("totals", "packets", 7)));
		assert_false(counter_restored(counter_find("decode", "not_ip", 6)));
	}
	/* no DER outside state files */
	assert_null(strstr(text, "\"der\""));
	json_decref(doc);
	free(text);
}

static void test_json_state_der(void **state)
{
	char *text = render(w_json, &fx.v, "state");
	json_t *doc = parsed(text), *cert;
	const char *der;
	uint8_t buf[4096];
	size_t n;

	(void)state;
	cert = json_array_get(
		json_object_get(
			json_array_get(
				json_object_get(json_array_get(json_object_get(doc, "servers"), 0),
						"chains"),
				0),
			"certs"),
		0);
	der = json_string_value(json_object_get(cert, "der"));
	assert_non_null(der);
	assert_true(b64_decode(der, strlen(der), buf, sizeof(buf), &n));
	assert_int_equal(n, fx.broken_chain->certs[0]->der_len);
	assert_memory_equal(buf, fx.broken_chain->certs[0]->der, n);
	json_decref(doc);
	free(text);
}

/* Printable text only: no C0 (but newline), DEL, C1, ESC or bidi control. */
static void assert_inert(const char *text)
{
	for (const unsigned char *p = (const unsigned char *)text; *p; p++) {
		if ((*p < 0x20 && *p != '\n') || *p == 0x7f)
			fail_msg("raw control byte 0x%02x at %zu", *p,
				 (size_t)(p - (const unsigned char *)text));
		if (p[0] == 0xc2 && p[1] >= 0x80 && p[1] <= 0x9f)
			fail_msg("raw C1 control at %zu",
				 (size_t)(p - (const unsigned char *)text));
		if (p[0] == 0xe2 && p[1] == 0x80 && p[2] >= 0xaa && p[2] <= 0xae)
			fail_msg("raw bidi control at %zu",
				 (size_t)(p - (const unsigned char *)text));
	}
}

static size_t cps(const char *s, size_t n)
{
	size_t k = 0;

	for (size_t i = 0; i < n; i++)
		k += ((unsigned char)s[i] & 0xc0) != 0x80;
	return k;
}

static void test_text_widths(void **state)
{
	static const unsigned widths[] = {60, 100, 160};

	(void)state;
	for (size_t w = 0; w < CS_ARRAY_LEN(widths); w++) {
		struct report_opts ro = {.all = true, .width = widths[w]};
		char *text = render(w_text, &fx.v, &ro), *line, *save = NULL, *copy = strdup(text);
		bool table = false;
		size_t rows = 0;

		assert_inert(text);
		assert_null(strstr(text, "…")); /* nothing cut */
		for (line = strtok_r(copy, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
			if (strstr(line, "BROKEN/TOTAL"))
				table = true;
			else if (table && !strcmp(line, "Fixes"))
				table = false;
			/* the table, the fixes and the summary fit; a 60-column table
			 * may not, with a 39-character IPv6 address */
			if (widths[w] >= 100 || !table)
				if (cps(line, strlen(line)) > widths[w])
					fail_msg("width %u: %zu columns: %s", widths[w],
						 cps(line, strlen(line)), line);
			rows += table && line[0] == ' ' && line[1] == ' ' && line[2] >= '1' &&
				line[2] <= '9';
		}
		assert_int_equal(rows, fx.v.nservers);
		assert_has(text,
			   /* the long SNI is all there, across the lines of its column */
			   "aaaaaaaaaa", "example",
			   /* the hostile SNI, escaped */
			   "a\\x1b[31m\\u{202E}<script>\\xff.test",
			   "broken 3 (4 handshakes, 3 clients)",
			   "10 packets (3 removed by the filter -f)",
			   "1 of 2 inputs failed or stopped early (above)",
			   "warning: b\\x1b.pcap: No such file", NULL);
		free(copy);
		free(text);
	}
}

static void test_text_details_and_words(void **state)
{
	struct report_opts ro = {.details = true, .width = 100};
	char *text = render(w_text, &fx.v, &ro);

	(void)state;
	assert_inert(text);
	assert_has(text,
		   /* a distinguished name is escaped once, and its controls shown */
		   "CN=evil\\, Inc.\\01\\<b\\>",
		   /* "1 cert", "1 handshake": singular where it is one */
		   "1 cert  ", "1 handshake,",
		   /* the code of a newer sensor, with its words */
		   "ocsp_must_staple_unmet", "evil.test is outside allowed.test.",
		   "Found on earlier handshakes of this chain",
		   /* the whole SNI in the details */
		   "SNI " LONG_SNI, NULL);
	assert_lacks(text, "\\\\,", " 1 clients", " 1 handshakes", NULL);
	free(text);
}

static void test_text_no_broken(void **state)
{
	struct report_opts ro = {.width = 100};
	struct report_view v = fx.v;
	char *buf;

	(void)state;
	v.nservers = 0;
	buf = render(w_text, &v, &ro);
	assert_has(buf, "No broken chain seen (--all lists every server).", NULL);
	free(buf);
}

/* RFC 4180 cells of one CSV line (quoted cells, "" inside). */
static size_t csv_cells(const char *line, char cells[][512], size_t max)
{
	size_t n = 0;

	while (*line && n < max) {
		size_t o = 0;

		if (*line == '"') {
			for (line++; *line && !(line[0] == '"' && line[1] != '"'); line++) {
				if (line[0] == '"')
					line++;
				if (o + 1 < 512)
					cells[n][o++] = *line;
			}
			line += *line == '"';
		} else {
			while (*line && *line != ',' && o + 1 < 512)
				cells[n][o++] = *line++;
		}
		cells[n++][o] = '\0';
		if (*line == ',')
			line++;
	}
	return n;
}

static void test_csv(void **state)
{
	char *text = render(w_csv, &fx.v, NULL), *save = NULL, *line;
	char cells[16][512];
	size_t rows = 0;
	bool formula = false, dn_once = false;

	(void)state;
	assert_inert(text);
	for (line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save), rows++) {
		size_t n = csv_cells(line, cells, 16);

		assert_int_equal(n, 16);
		if (rows == 0) {
			assert_string_equal(cells[0], "rank");
			assert_string_equal(cells[15], "broken_then_handshakes");
			continue;
		}
		for (size_t i = 0; i < n; i++)
			assert_null(strchr("=+-@", cells[i][0]) && cells[i][0] ? cells[i] : NULL);
		formula |= !strcmp(cells[3], "'=cmd|calc");
		dn_once |= strstr(cells[14], "CN=Missing\\, CA") != NULL &&
			   !strstr(cells[14], "\\\\,");
	}
	assert_int_equal(rows, fx.v.nservers + 1);
	assert_true(formula);
	assert_true(dn_once);
	free(text);
}

/* A periodic report: the window's own report rides inside "window". */
static void test_window(void **state)
{
	struct report_view own = fx.v;
	struct view_key k;
	struct view_window w = {.kind = "interval",
				.start = 1790000000LL * CS_NS_PER_SEC,
				.end = 1790003600LL * CS_NS_PER_SEC,
				.seq = 7,
				.late_handshakes = 1,
				.became_broken = &k,
				.n_broken = 1,
				.own = &own};
	struct report_view v = fx.v;
	struct report_opts ro = {.width = 100};
	char *buf;
	json_t *doc, *win;

	(void)state;
	view_key_of(&k, fx.v.servers[0]);
	own.nextra = 0;
	own.nservers = 1;
	v.window = &w;
	v.run_id = "00112233445566778899aabbccddeeff";
	buf = render(w_json, &v, NULL);
	doc = parsed(buf);
	win = json_object_get(doc, "window");
	assert_string_equal(json_string_value(json_object_get(doc, "run_id")), v.run_id);
	assert_int_equal(json_integer_value(json_object_get(win, "seq")), 7);
	assert_int_equal(json_integer_value(json_object_get(win, "late_handshakes")), 1);
	assert_int_equal(json_array_size(json_object_get(win, "servers")), 1);
	assert_int_equal(
		json_integer_value(json_object_get(json_object_get(win, "totals"), "packets")), 10);
	assert_non_null(json_object_get(json_array_get(json_object_get(win, "became_broken"), 0),
					"sni_b64"));
	json_decref(doc);
	free(buf);
	buf = render(w_text, &v, &ro);
	assert_has(
		buf,
		"Window 2026-09-21 14:13:20 → 15:13:20 UTC (interval): 1 server became broken, 0 fixed",
		NULL);
	free(buf);
}

/* ---- HTML ---------------------------------------------------------------------------- */

static size_t count(const char *text, const char *what)
{
	size_t n = 0;

	for (const char *p = text; (p = strstr(p, what)); p += strlen(what))
		n++;
	return n;
}

/* Every element the renderer writes that has an end tag: opened as often
 * as closed, and a closing tag never comes before its opening. */
static void assert_balanced(const char *html)
{
	static const char *const tags[] = {
		"html",  "head",    "title",   "style",  "body", "header", "section",
		"table", "thead",   "tbody",   "tr",     "td",   "th",     "article",
		"div",   "dl",      "dt",      "dd",     "ul",   "ol",     "li",
		"p",     "span",    "h1",      "h2",     "h3",   "svg",    "text",
		"rect",  "details", "summary", "footer", "a"};

	for (size_t i = 0; i < sizeof(tags) / sizeof(tags[0]); i++) {
		char open[16], open_sp[16], close[16];
		size_t depth = 0;

		snprintf(open, sizeof(open), "<%s>", tags[i]);
		snprintf(open_sp, sizeof(open_sp), "<%s ", tags[i]);
		snprintf(close, sizeof(close), "</%s>", tags[i]);
		for (const char *p = html; *p; p++) {
			if (!strncmp(p, open, strlen(open)) ||
			    !strncmp(p, open_sp, strlen(open_sp)))
				depth++;
			else if (!strncmp(p, close, strlen(close)) && depth-- == 0)
				fail_msg("</%s> before its <%s>", tags[i], tags[i]);
		}
		if (depth)
			fail_msg("<%s> opened %zu more times than closed", tags[i], depth);
	}
}

static void test_html_page(void **state)
{
	struct report_opts ro = {.top = 20};
	char *html = render(w_html, &fx.v, &ro), *style, *end, b64[64], want[128];
	uint8_t md[CS_SHA256_LEN];
	const char *r1, *r2, *r3;

	(void)state;
	assert_inert(html);
	assert_balanced(html);
	assert_int_equal(strncmp(html, "<!DOCTYPE html>\n<html lang=\"en\">", 31), 0);
	/* the wire strings as text: nothing from them opens a tag or a reference */
	assert_int_equal(count(html, "<script"), 0);
	assert_has(html, "a\\x1b[31m\\u{202E}&lt;script&gt;\\xff.test",
		   "CN=evil\\, Inc.\\01\\&lt;b\\&gt;", NULL);
	/* the CSP allows the page's own style block, by its SHA-256, and nothing else */
	style = strstr(html, "<style>") + 7;
	end = strstr(style, "</style>");
	chain_hash(&(struct cs_slice){(const uint8_t *)style, (size_t)(end - style)}, 1, md);
	b64_encode_buf(md, sizeof(md), b64);
	snprintf(want, sizeof(want), "style-src 'sha256-%s';", b64);
	assert_has(html, want, "default-src 'none'; script-src 'none';", NULL);
	assert_int_equal(count(html, " style=\""), 0);
	/* the broken servers, ranked, each with its details */
	assert_int_equal(count(html, "<tr class=\"server\""), 3);
	r1 = strstr(html, "id=\"row-1\"");
	r2 = strstr(html, "id=\"row-2\"");
	r3 = strstr(html, "id=\"row-3\"");
	assert_true(r1 && r2 && r3 && r1 < r2 && r2 < r3);
	assert_has(html, "<article class=\"server\" id=\"server-3\">",
		   "<dd id=\"servers_broken\">3</dd>", "<dd id=\"broken_handshakes\">4</dd>", NULL);
	assert_lacks(html, "id=\"trend\"", NULL); /* no windows merged: no chart */
	free(html);

	ro.top = 1; /* --top: one row, the rest counted */
	html = render(w_html, &fx.v, &ro);
	assert_int_equal(count(html, "<tr class=\"server\""), 1);
	assert_non_null(strstr(html, "2 more not listed (--top)."));
	free(html);
	ro.all = true, ro.top = 0; /* --all: the healthy server too */
	html = render(w_html, &fx.v, &ro);
	assert_int_equal(count(html, "<tr class=\"server\""), (long)fx.v.nservers);
	assert_non_null(strstr(html, "ocsp_must_staple_unmet")); /* a newer sensor's code */
	free(html);
}

/* A merged report of windows: a bar per span (two sensors' windows of one
 * hour are one bar), the scale from 0 to the largest, a table row per window. */
static void test_html_trend(void **state)
{
	const int64_t h = 3600 * CS_NS_PER_SEC, t0 = 1790000000LL * CS_NS_PER_SEC;
	struct view_key k;
	struct view_series s[3] = {
		{"a", "interval", t0, t0 + h, 10, 4, 2, NULL, 0},
		{"a", "interval", t0 + h, t0 + 2 * h, 12, 0, 0, NULL, 0},
		{"b", "interval", t0, t0 + h, 5, 3, 5, NULL, 0},
	};
	struct view_window w = {
		.kind = "merged", .start = t0, .end = t0 + 2 * h, .fixed = &k, .n_fixed = 1};
	struct report_view v = fx.v;
	struct report_opts ro = {.top = 20};
	char *html, *servers, *handshakes;

	(void)state;
	view_key_of(&k, fx.v.servers[1]);
	v.windows = s, v.nwindows = 3, v.window = &w;
	html = render(w_html, &v, &ro);
	assert_balanced(html);
	servers = strstr(html, "id=\"trend-servers\"");
	handshakes = strstr(html, "id=\"trend-handshakes\"");
	assert_true(servers && handshakes && servers < handshakes);
	assert_int_equal(count(servers, "<rect class=\"bar-servers\""), 2);
	assert_int_equal(count(handshakes, "<rect class=\"bar-handshakes\""), 2);
	/* servers: 2+5 then 0, so the first bar is the whole plot and the second empty */
	assert_has(servers, "text-anchor=\"end\">7</text>",
		   "height=\"110.00\"><title>2026-09-21 14:13:20 UTC: 7</title>",
		   "height=\"0.00\"><title>2026-09-21 15:13:20 UTC: 0</title>", NULL);
	assert_has(handshakes, "text-anchor=\"end\">7</text>", NULL);
	assert_int_equal(count(html, "<tr class=\"window\">"), 3);
	assert_has(html, "the last window merged compared with the first", "<h3>Fixed (1)</h3>",
		   "<p class=\"became-broken none\">none</p>", NULL);
	free(html);
}

static void test_width_of_terminal(void **state)
{
	(void)state;
	/* not a terminal: 100, whatever COLUMNS says */
	setenv("COLUMNS", "150", 1);
	assert_int_equal(report_width(-1), 100);
	unsetenv("COLUMNS");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_json_fields),
		cmocka_unit_test(test_json_state_der),
		cmocka_unit_test(test_text_widths),
		cmocka_unit_test(test_text_details_and_words),
		cmocka_unit_test(test_text_no_broken),
		cmocka_unit_test(test_csv),
		cmocka_unit_test(test_window),
		cmocka_unit_test(test_html_page),
		cmocka_unit_test(test_html_trend),
		cmocka_unit_test(test_width_of_terminal),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
