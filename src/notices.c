/*
 * notices.c - --notices: a server's state changes as NDJSON lines
 * (cs_notices.h).  Owns the table of servers' previous states; borrows the
 * log it writes to and the chains it remembers (the engine's chain store
 * outlives every call).  Policy: one line per notice kind per server and
 * window; the table is allocated once and never grows (a server it has no
 * room for is counted, not tracked).
 */
#include "cs_notices.h"
#include "cs_events.h"
#include "cs_codec.h"
#include "cs_hash.h"
#include "cs_limits.h"
#include "cs_problems.h"

#include <stdlib.h>
#include <string.h>

enum notice_kind { N_INTERCEPTION, N_BROKEN, N_FIXED, N_CHAIN_CHANGED, N_KINDS };

static const char *const kind_names[N_KINDS] = {
	"possible_interception",
	"broken",
	"fixed",
	"chain_changed",
};

enum { ST_NONE, ST_OK, ST_BROKEN }; /* the state last written */

/* The issuer cannot be vouched for by a public root (cs_notices.h). */
#define PRIVATE_ISSUER                                                                             \
	((1u << CS_P_UNTRUSTED_ROOT) | (1u << CS_P_SELF_SIGNED_LEAF) |                             \
	 (1u << CS_P_MISSING_INTERMEDIATE))

struct nserver {
	uint64_t key;                                    /* 0: an empty slot */
	const struct cs_chain *recent[CS_NOTICE_CHAINS]; /* a ring, newest at (next - 1) */
	const struct cs_chain *last;                     /* the chain of the previous handshake */
	const struct cs_chain *public_chain;             /* the last chain with a public issuer */
	uint64_t public_issuer;                          /* hash of its leaf's issuer */
	uint32_t sent_window[N_KINDS]; /* 1 + window of the last line of each kind */
	uint8_t status, next;
};

struct notices {
	struct notices_opts o;
	uint8_t seed[CS_HASH_KEY_LEN];
	struct nserver *slots;
	uint32_t mask; /* slots - 1 (a power of two) */
	struct notices_stats st;
};

void notices_set_output(struct notices *n, struct logfile *out) { n->o.out = out; }

struct notices *notices_new(const struct notices_opts *o)
{
	struct notices *n = calloc(1, sizeof(*n));
	uint32_t cap = 1;

	while (cap < 2 * CS_NOTICE_MAX_SERVERS) /* load at most one half: short probes */
		cap <<= 1;
	if (!n || !(n->slots = calloc(cap, sizeof(*n->slots)))) {
		free(n);
		return NULL;
	}
	n->o = *o;
	if (n->o.window_s <= 0)
		n->o.window_s = CS_NOTICE_WINDOW_S;
	n->mask = cap - 1;
	cs_hash_seed(n->seed);
	return n;
}

void notices_free(struct notices *n)
{
	if (!n)
		return;
	free(n->slots);
	free(n);
}

void notices_get_stats(const struct notices *n, struct notices_stats *out) { *out = n->st; }

/* (address, port, SNI) as the report keys a server; never 0. */
static uint64_t server_key(const struct notices *n, const struct engine_event *ev)
{
	uint8_t k[16 + 2 + 1 + CS_MAX_SNI];
	size_t len = ev->sni ? ev->sni_len : 0;
	uint64_t h;

	memcpy(k, ev->server_ip->a, 16);
	k[16] = (uint8_t)(ev->server_port >> 8), k[17] = (uint8_t)ev->server_port;
	k[18] = ev->sni != NULL;
	if (len > CS_MAX_SNI)
		len = CS_MAX_SNI;
	memcpy(k + 19, ev->sni ? ev->sni : "", len);
	h = cs_hash(k, 19 + len, n->seed);
	return h ? h : 1;
}

/* The server's slot, taken if new; NULL when the table is full. */
static struct nserver *find(struct notices *n, uint64_t key)
{
	for (uint32_t i = (uint32_t)key & n->mask;; i = (i + 1) & n->mask) {
		struct nserver *s = &n->slots[i];

		if (s->key == key)
			return s;
		if (s->key == 0) {
			if (n->st.servers == CS_NOTICE_MAX_SERVERS)
				return NULL;
			n->st.servers++;
			s->key = key;
			return s;
		}
	}
}

static uint64_t issuer_hash(const struct notices *n, const struct cs_chain *c)
{
	const char *issuer = c->n_certs ? cert_facts(c->certs[0])->issuer : "";

	return cs_hash(issuer, strlen(issuer), n->seed);
}

static bool seen_recently(const struct nserver *s, const struct cs_chain *c)
{
	for (int i = 0; i < CS_NOTICE_CHAINS; i++)
		if (s->recent[i] == c)
			return true;
	return false;
}

static void remember(struct nserver *s, const struct cs_chain *c)
{
	if (seen_recently(s, c))
		return;
	s->recent[s->next] = c;
	s->next = (uint8_t)((s->next + 1) % CS_NOTICE_CHAINS);
}

/* Write one notice unless its kind was written for s in this window;
 * before: s's state as it was before this handshake. */
static bool notice(struct notices *n, struct nserver *s, const struct engine_event *ev,
		   enum notice_kind k, const struct cs_chain *prev, uint8_t before)
{
	static const char *const status_names[] = {NULL, "ok", "broken"};
	uint32_t window = (uint32_t)(ev->ts / CS_NS_PER_SEC / n->o.window_s);
	char hex[2 * CS_SHA256_LEN + 1];
	FILE *f;
	struct jw w;

	if (s->sent_window[k] == window + 1) {
		n->st.suppressed++;
		return false;
	}
	s->sent_window[k] = window + 1;
	if (!n->o.out)
		return false; /* no file yet (opened once privileges are dropped) */
	f = logfile_stream(n->o.out);
	jw_init(&w, f, true);
	jw_open(&w, NULL, '{');
	jw_str(&w, "event_type", "tls_notice");
	jw_str(&w, "notice", kind_names[k]);
	jw_str(&w, "previous_status", status_names[before]);
	if (prev)
		hex_lower(prev->sha256, CS_SHA256_LEN, hex);
	jw_str(&w, "previous_chain_sha256", prev ? hex : NULL);
	jw_time(&w, "window_start", (int64_t)window * n->o.window_s * CS_NS_PER_SEC);
	events_members(&w, ev, n->o.community_seed);
	jw_close(&w, '}');
	fputc('\n', f);
	logfile_check(n->o.out);
	n->st.written++;
	return true;
}

void notices_handshake(struct notices *n, const struct engine_event *ev)
{
	const struct diag_verdict *v = ev->verdict;
	bool judged = v && v->status != DIAG_UNKNOWN;
	struct nserver *s;
	uint8_t before;

	if (!n || !ev->reported || !ev->chain || !ev->server_ip || ev->ts < 0)
		return;
	if (!(s = find(n, server_key(n, ev)))) {
		n->st.servers_cap++;
		return;
	}
	before = s->status;
	/* ev->problems, not v->mask: what --ignore leaves out raises nothing */
	if (judged && (ev->problems & PRIVATE_ISSUER) && s->public_chain &&
	    issuer_hash(n, ev->chain) != s->public_issuer)
		notice(n, s, ev, N_INTERCEPTION, s->public_chain, before);
	if (judged && ev->broken && s->status != ST_BROKEN) {
		if (notice(n, s, ev, N_BROKEN, s->last, before))
			s->status = ST_BROKEN;
	} else if (judged && !ev->broken && s->status == ST_BROKEN) {
		if (notice(n, s, ev, N_FIXED, s->last, before))
			s->status = ST_OK;
	} else if (judged && !ev->broken && s->status == ST_NONE) {
		s->status = ST_OK; /* first seen healthy: nothing changed */
	}
	if (s->last && !seen_recently(s, ev->chain))
		notice(n, s, ev, N_CHAIN_CHANGED, s->last, before);
	remember(s, ev->chain);
	s->last = ev->chain;
	if (judged && !(ev->problems & PRIVATE_ISSUER)) {
		s->public_chain = ev->chain;
		s->public_issuer = issuer_hash(n, ev->chain);
	}
}
