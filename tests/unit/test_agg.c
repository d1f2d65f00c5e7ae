/* test_agg.c - the server aggregate: ranking, chains per server, the cap
 * (healthy servers evicted, broken ones kept), client counting. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "cs_agg.h"
#include "cs_diag.h"

static struct cs_chain chain_a = {.id = 0}, chain_b = {.id = 1};
static const struct diag_verdict judged; /* an "ok" verdict with no problem */

static struct cs_addr v4(uint8_t last)
{
	struct cs_addr a = {4, {0}};

	a.a[10] = a.a[11] = 0xff;
	a.a[12] = 192, a.a[13] = 0, a.a[14] = 2, a.a[15] = last;
	return a;
}

static void add(struct agg *a, uint8_t server, const char *sni, uint8_t client,
		const struct cs_chain *c, bool broken, int64_t ts)
{
	struct cs_addr s = v4(server), cl = v4(client);
	struct agg_handshake h = {
		.server_ip = &s,
		.server_port = 443,
		.sni = sni,
		.sni_len = sni ? strlen(sni) : 0,
		.chain = c,
		.client_ip = &cl,
		.broken = broken,
		.ts = ts,
	};

	assert_int_equal(agg_add(a, &h), CS_OK);
}

/* What the two tests of the judged chain send: server 192.0.2.1:443 with
 * chain_a judged ok, client 192.0.2.9 (the addresses go in ip and cl). */
static struct agg_handshake judged_handshake(struct cs_addr *ip, struct cs_addr *cl)
{
	*ip = v4(1), *cl = v4(9);
	return (struct agg_handshake){
		.server_ip = ip,
		.server_port = 443,
		.chain = &chain_a,
		.client_ip = cl,
		.verdict = &judged,
	};
}

/* Add h, then the top-ranked server. */
static const struct agg_server *add_then_top(struct agg *a, const struct agg_handshake *h)
{
	size_t n;

	agg_add(a, h);
	return agg_sorted(a, &n)[0];
}

static void test_ranking(void **state)
{
	(void)state;
	struct agg *a = agg_new(16);
	const struct agg_server *const *s;
	size_t n;

	/* healthy first by address, then a server broken twice for one client,
	 * then one broken 5 times for 3 clients: the rank must ignore addresses */
	add(a, 1, "ok.test", 9, &chain_a, false, 1);
	for (int i = 0; i < 2; i++)
		add(a, 2, "two.test", 7, &chain_b, true, 2 + i);
	for (int i = 0; i < 5; i++)
		add(a, 3, "five.test", (uint8_t)(10 + i % 3), &chain_b, true, 10 + i);
	s = agg_sorted(a, &n);
	assert_int_equal(n, 3);
	assert_int_equal(s[0]->ip.a[15], 3);
	assert_int_equal(s[0]->broken_handshakes, 5);
	assert_int_equal(clientset_count(&s[0]->clients), 3);
	assert_int_equal(s[1]->ip.a[15], 2);
	assert_int_equal(clientset_count(&s[1]->clients), 1);
	assert_int_equal(s[2]->ip.a[15], 1);
	assert_int_equal(clientset_count(&s[2]->clients), 0);
	assert_int_equal(clientset_count(&s[2]->clients_total), 1);
	agg_free(a);
}

static void test_chains_and_shares(void **state)
{
	(void)state;
	struct agg *a = agg_new(4);
	const struct agg_server *const *s;
	size_t n;

	for (int i = 0; i < 4; i++)
		add(a, 1, "mixed.test", 1, &chain_a, false, i);
	add(a, 1, "mixed.test", 2, &chain_b, true, 9);
	add(a, 1, "mixed.test", 2, NULL, false, 10); /* TLS 1.3: no chain */
	s = agg_sorted(a, &n);
	assert_int_equal(n, 1);
	assert_int_equal(s[0]->tls_handshakes, 6);
	assert_int_equal(s[0]->handshakes, 5);
	assert_int_equal(s[0]->broken_handshakes, 1);
	assert_int_equal(s[0]->nchains, 2);
	assert_ptr_equal(s[0]->chains[0].chain, &chain_a); /* most frequent first */
	assert_int_equal(s[0]->chains[0].handshakes, 4);
	assert_int_equal(s[0]->chains[1].broken_handshakes, 1);
	assert_int_equal(agg_distinct_chains(a, 2), 2);
	agg_free(a);
}

static void test_cap_evicts_healthy_keeps_broken(void **state)
{
	(void)state;
	struct agg *a = agg_new(64);
	const struct agg_server *const *s;
	size_t n, broken = 0;
	char sni[32];

	for (int i = 0; i < 20000; i++) {
		struct cs_addr ip = v4((uint8_t)(i % 5)), cl = v4(200);
		struct agg_handshake h = {
			.server_ip = &ip,
			.server_port = 443,
			.sni = sni,
			.chain = &chain_a,
			.client_ip = &cl,
			.broken = i % 100 == 0,
			.ts = i,
		};

		h.sni_len = (size_t)snprintf(sni, sizeof(sni), "h%d.test", i);
		agg_add(a, &h);
	}
	s = agg_sorted(a, &n);
	assert_int_equal(n, 64);
	for (size_t i = 0; i < n; i++)
		broken += s[i]->broken_handshakes > 0;
	assert_int_equal(broken, 64); /* 200 broken servers came; healthy ones made room */
	assert_true(agg_stats(a)->servers_evicted > 0);
	assert_true(agg_stats(a)->servers_cap > 0); /* once all are broken, new ones are refused */
	for (size_t i = 0; i < n; i++)              /* deletions kept every entry reachable */
		assert_ptr_equal(
			agg_restore_server(a, &s[i]->ip, s[i]->port, s[i]->sni, s[i]->sni_len),
			s[i]);
	assert_int_equal(agg_sorted(a, &n) != NULL && n == 64, 1);
	agg_free(a);
}

static void test_sni_kinds(void **state)
{
	(void)state;
	struct agg *a = agg_new(8);
	struct cs_addr ip = v4(1);
	struct agg_handshake h = {.server_ip = &ip, .server_port = 443, .chain = &chain_a};
	const struct agg_server *const *s;
	size_t n;

	h.sni_status = AGG_SNI_NOT_SENT;
	agg_add(a, &h);
	h.sni_status = AGG_SNI_NOT_CAPTURED;
	agg_add(a, &h);
	h.sni = "x.test", h.sni_len = 6, h.sni_status = AGG_SNI_SENT;
	agg_add(a, &h);
	s = agg_sorted(a, &n);
	assert_int_equal(n, 2);      /* (ip, port, none) and (ip, port, x.test) */
	assert_false(s[0]->has_sni); /* none sorts first on a tie */
	assert_int_equal(s[0]->sni_not_sent, 1);
	assert_int_equal(s[0]->sni_not_captured, 1);
	agg_free(a);
}

/* rejected_but_judged_ok: a client refused the chain with an alert about
 * the certificate or its signature, and no handshake was judged broken. */
static void test_rejected_but_judged_ok(void **state)
{
	(void)state;
	struct cs_addr ip, cl;
	struct agg_handshake h = judged_handshake(&ip, &cl);
	const struct agg_server *s;
	struct agg *a;

	for (unsigned d = 0; d < 256; d++)
		assert_int_equal(agg_alert_about_certificate((uint8_t)d),
				 (d >= 42 && d <= 46) || d == 48 || d == 49 || d == 51);
	/* handshake_failure (40) from a client: a rejection, not about the chain */
	a = agg_new(4);
	h.rejected = true, h.alert = 40, h.ts = 1;
	s = add_then_top(a, &h);
	assert_int_equal(s->nrejections, 1);
	assert_false(agg_rejected_but_judged_ok(s));
	/* decrypt_error (51): about the certificate's signature */
	h.alert = 51, h.ts = 2;
	s = add_then_top(a, &h);
	assert_int_equal(s->nrejections, 2);
	assert_true(agg_rejected_but_judged_ok(s));
	/* a broken handshake of the server: it was judged broken after all */
	h.rejected = false, h.broken = true, h.ts = 3;
	assert_false(agg_rejected_but_judged_ok(add_then_top(a, &h)));
	agg_free(a);
	/* no chain seen: nothing was judged */
	a = agg_new(4);
	h.chain = NULL, h.broken = false, h.rejected = true, h.alert = 48;
	assert_false(agg_rejected_but_judged_ok(add_then_top(a, &h)));
	agg_free(a);
}

/* The per-handshake key usage finding follows the chain's latest handshake. */
static void test_key_usage_latest(void **state)
{
	(void)state;
	struct cs_addr ip, cl;
	struct agg_handshake h = judged_handshake(&ip, &cl);
	struct agg *a = agg_new(4);

	h.key_usage_suite = 0xc02f, h.ts = 5;
	agg_add(a, &h);
	h.key_usage_suite = 0, h.ts = 3; /* an earlier handshake, counted later */
	assert_int_equal(add_then_top(a, &h)->chains[0].key_usage_suite, 0xc02f);
	h.ts = 7;
	assert_int_equal(add_then_top(a, &h)->chains[0].key_usage_suite, 0);
	agg_free(a);
}

/* A rejection lists AGG_MAX_FINGERPRINTS JA3/JA4 pairs; the ones past it
 * are counted (caps.fingerprints), their handshakes still are. */
static void test_fingerprints_cap(void **state)
{
	struct cs_addr s = v4(1), cl = v4(2);
	struct agg_handshake h = {.server_ip = &s,
				  .server_port = 443,
				  .chain = &chain_a,
				  .client_ip = &cl,
				  .verdict = &judged,
				  .rejected = true,
				  .alert = 48};
	const struct agg_server *const *sv;
	char ja3[16], ja4[16];
	struct agg *a = agg_new(4);
	size_t n;

	(void)state;
	for (int i = 0; i < AGG_MAX_FINGERPRINTS + 3; i++) {
		snprintf(ja3, sizeof(ja3), "j3-%d", i);
		snprintf(ja4, sizeof(ja4), "j4-%d", i);
		h.ja3 = ja3, h.ja4 = ja4, h.ts = i + 1;
		assert_int_equal(agg_add(a, &h), CS_OK);
	}
	h.ja3 = "j3-0", h.ja4 = "j4-0"; /* a listed pair: counted, no cap */
	assert_int_equal(agg_add(a, &h), CS_OK);
	sv = agg_sorted(a, &n);
	assert_int_equal(sv[0]->rejections[0].nfp, AGG_MAX_FINGERPRINTS);
	assert_int_equal(sv[0]->rejections[0].handshakes, AGG_MAX_FINGERPRINTS + 4);
	assert_int_equal(sv[0]->rejections[0].fp[0].handshakes, 2);
	assert_int_equal(agg_stats(a)->fingerprints_cap, 3);
	agg_fingerprint_refused(a);
	assert_int_equal(agg_stats(a)->fingerprints_cap, 4);
	agg_free(a);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_ranking),
		cmocka_unit_test(test_chains_and_shares),
		cmocka_unit_test(test_cap_evicts_healthy_keeps_broken),
		cmocka_unit_test(test_sni_kinds),
		cmocka_unit_test(test_rejected_but_judged_ok),
		cmocka_unit_test(test_key_usage_latest),
		cmocka_unit_test(test_fingerprints_cap),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
