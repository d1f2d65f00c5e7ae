/*
 * fuzz_diag.c - the chain analysis on arbitrary certificate lists, within
 * its budget.
 *
 * Input: byte 0 picks the trust store (bit 0: pcaps/lab/pki/trust.pem or
 * the pinned Debian bundle; run from the repository root), a small
 * budget (bit 1) and the store of another day (bits 2-3: none, today's
 * with the second look, --trust-at capture, --trust-at the validation
 * time; the built-in root-store timeline); bytes 1-4 a validation time (big-endian seconds after
 * 1990-01-01, so every validity boundary is reachable); byte 5 an SNI
 * length and that many bytes; then u24-prefixed DER entries (at most
 * CS_MAX_CHAIN_CERTS).  A second list, the same way, is analysed first
 * with a source label, so that its CA certificates are in the pool and
 * the evidence path runs.
 *
 * Invariants: the analysis ends within its budget (checks; a second look
 * continues the same budget); the verdict holds for its capture-time
 * window; ok_at_capture_time only on a broken verdict of the default mode,
 * with its root; the verdict is
 * a pure function of (chain, time): a second analysis at the same time
 * says the same, problem by problem; status is broken exactly when an
 * error-severity problem is present, never "ok" when the budget ran out;
 * every problem names a certificate of the chain (or none), has a known
 * code, and words into a NUL-terminated message and fix at any buffer size.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cs_chain.h"
#include "cs_diag.h"
#include "cs_limits.h"
#include "cs_timeline.h"
#include "cs_trust.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define T_BASE 631152000LL /* 1990-01-01 */

static struct cs_trust *stores[2];
static struct cs_timeline *timeline;
static bool tried;

static void load_stores(void)
{
	static const char *const files[2] = {
		"pcaps/lab/pki/trust.pem",
		"tests/trust/debian-ca-certificates-20230311+deb12u1.crt",
	};
	char err[256];

	tried = true;
	for (int i = 0; i < 2; i++) {
		struct trust_opts to = {.ca_files = {files[i]}, .n_ca_files = 1};

		if (trust_load(&to, &stores[i], err, sizeof err) != CS_OK)
			stores[i] = NULL;
	}
	if (timeline_load_builtin(&timeline, err, sizeof err) != CS_OK)
		abort();
}

static const struct diag_evidence_rec *last_ev;

static void on_ev(void *ctx, const struct cs_chain *c, const struct diag_evidence_rec *ev)
{
	(void)ctx;
	(void)c;
	if (ev->kind > DIAG_EV_AIA || (ev->have_cert && ev->kind == DIAG_EV_NONE))
		abort();
	last_ev = ev;
}

/* u24-prefixed entries from *off, at most CS_MAX_CHAIN_CERTS. */
static size_t entries(const uint8_t *d, size_t size, size_t *off, struct cs_slice *out)
{
	size_t n = 0;

	while (n < CS_MAX_CHAIN_CERTS && *off + 3 <= size) {
		size_t len = (size_t)d[*off] << 16 | (size_t)d[*off + 1] << 8 | d[*off + 2];

		if (len == 0)
			break; /* an empty entry ends the list */
		*off += 3;
		if (len > size - *off)
			break;
		out[n++] = (struct cs_slice){d + *off, len};
		*off += len;
	}
	if (*off + 3 <= size && !d[*off] && !d[*off + 1] && !d[*off + 2])
		*off += 3;
	return n;
}

static void check_words(const struct diag_verdict *v, const struct cs_chain *c, const char *sni,
			size_t sni_len)
{
	static const size_t sizes[] = {1, 7, 64, 4096};
	struct problem_ctx pc = {c, sni, sni_len, v->leaf_names, last_ev, 30, v->then};
	char buf[4096];

	for (size_t i = 0; i < v->nproblems; i++)
		for (size_t k = 0; k < sizeof sizes / sizeof sizes[0]; k++) {
			memset(buf, 'x', sizeof buf);
			problem_message(&v->problems[i], &pc, buf, sizes[k]);
			if (memchr(buf, '\0', sizes[k]) == NULL)
				abort();
			memset(buf, 'x', sizeof buf);
			problem_fix(&v->problems[i], &pc, buf, sizes[k]);
			if (memchr(buf, '\0', sizes[k]) == NULL)
				abort();
		}
}

static void check_verdict(const struct diag_verdict *v, const struct cs_chain *c,
			  uint32_t max_checks, int64_t when, int mode)
{
	/* what recording the chosen path and the chain's shape adds after a
	 * search; a second look records its path too, and checks its root */
	uint32_t slack = 4 * CS_DIAG_MAX_DEPTH + 2 * CS_MAX_CHAIN_CERTS;
	bool error = false;
	uint32_t mask = 0;

	if (v->nproblems > CS_DIAG_MAX_PROBLEMS || v->from > when || v->until <= when ||
	    v->store_from > when || v->store_until <= when)
		abort();
	if (v->ok_at_capture_time != (v->then != NULL) ||
	    (v->ok_at_capture_time && (!v->broken || mode != 1 || v->store != DIAG_STORE_TODAY)) ||
	    (mode == 0 && (v->store != DIAG_STORE_TODAY || v->store_day != 0)))
		abort();
	if (mode == 1)
		slack = 2 * slack + 1;
	for (size_t i = 0; i < v->nproblems; i++) {
		const struct diag_problem *p = &v->problems[i];

		if ((unsigned)p->code >= CS_P_MAX || p->code == CS_P_HOSTNAME_MISMATCH ||
		    p->code == CS_P_KEY_USAGE_MISMATCH || p->cert_index < -1 ||
		    p->cert_index >= (int)c->n_certs || !p->subject || !p->name || !p->text ||
		    p->norder > CS_PROBLEM_MAX_ORDER)
			abort();
		error |= p->severity == CS_SEV_ERROR;
		mask |= 1u << p->code;
	}
	if (mask != v->mask || error != v->broken)
		abort();
	if ((v->status == DIAG_BROKEN) != v->broken)
		abort();
	if (v->status == DIAG_UNKNOWN && v->unknown_reason != DIAG_UNK_BUDGET)
		abort();
	/* the search stops within its budget; recording the chosen path and
	 * the shape of the chain adds a bounded number of checks after it */
	if (v->checks > max_checks + slack)
		abort();
}

static bool same(const struct diag_verdict *a, const struct diag_verdict *b)
{
	if (a->mask != b->mask || a->broken != b->broken || a->status != b->status ||
	    a->nproblems != b->nproblems || a->from != b->from || a->until != b->until ||
	    a->checks != b->checks || a->store != b->store || a->store_from != b->store_from ||
	    a->store_until != b->store_until || a->ok_at_capture_time != b->ok_at_capture_time)
		return false;
	for (size_t i = 0; i < a->nproblems; i++) {
		const struct diag_problem *p = &a->problems[i], *q = &b->problems[i];

		if (p->code != q->code || p->severity != q->severity ||
		    p->cert_index != q->cert_index || p->variant != q->variant ||
		    strcmp(p->subject, q->subject) || strcmp(p->name, q->name) ||
		    strcmp(p->text, q->text))
			return false;
	}
	return true;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct cs_slice certs[CS_MAX_CHAIN_CERTS], others[CS_MAX_CHAIN_CERTS];
	struct diag_opts o = {-1, 0, 0, on_ev, NULL};
	const struct cs_chain *c, *other;
	struct cs_chain_store *st;
	struct diag_verdict *v, *w;
	struct diag *d;
	size_t off, n, nothers, sni_len;
	const char *sni;
	int64_t when;
	bool added;
	int mode;

	if (!tried)
		load_stores();
	if (size < 6 || !stores[data[0] & 1])
		return 0;
	if (data[0] & 2)
		o.max_checks = 24, o.max_cost = 5000;
	when = T_BASE + ((int64_t)data[1] << 24 | (int64_t)data[2] << 16 | data[3] << 8 | data[4]);
	sni_len = data[5];
	if (6 + sni_len > size)
		return 0;
	sni = (const char *)data + 6;
	off = 6 + sni_len;
	nothers = entries(data, size, &off, others);
	n = entries(data, size, &off, certs);
	if (n == 0)
		return 0;
	st = chain_store_new(8, 16u * 1024 * 1024);
	d = diag_new(&o);
	if (!st || !d)
		abort();
	diag_set_trust(d, stores[data[0] & 1]);
	mode = (data[0] >> 2) & 3;
	if (mode)
		diag_set_timeline(d, timeline, (enum diag_trust_at)(mode - 1), when);
	last_ev = NULL;
	if (nothers && chain_store_intern(st, others, nothers, &other, &added) == CS_OK)
		free(diag_analyze(d, other, when, "192.0.2.1:443"));
	if (chain_store_intern(st, certs, n, &c, &added) != CS_OK)
		abort();
	v = diag_analyze(d, c, when, "198.51.100.9:443");
	w = diag_analyze(d, c, when, NULL);
	if (!v || !w)
		abort(); /* out of memory only */
	check_verdict(v, c, o.max_checks ? o.max_checks : CS_DIAG_MAX_CHECKS, when, mode);
	if (!same(v, w))
		abort(); /* the memo and the pool never change a verdict */
	check_words(v, c, sni, sni_len);
	(void)diag_hostname_ok(d, c, sni, sni_len);
	{ /* key_usage_mismatch for the time's low bits as a cipher suite */
		struct diag_problem kp;

		if (diag_key_usage_problem(v, (uint16_t)(data[3] << 8 | data[4]), &kp) &&
		    (kp.code != CS_P_KEY_USAGE_MISMATCH || !v->leaf_has_ku || !kp.name[0] ||
		     !kp.text[0] || kp.cert_index != 0))
			abort();
	}
	free(v);
	free(w);
	diag_free(d);
	chain_store_free(st);
	return 0;
}
