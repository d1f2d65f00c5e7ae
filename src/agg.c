/*
 * agg.c - the server aggregate (cs_agg.h).
 * Owns the server entries, their chain lists and the sorted view.  An open
 * addressing table keyed by a hash of (ip, port, sni) finds entries; the
 * table never grows past max_servers (agg_add returns CS_LIMIT, counted).
 */
#include "cs_agg.h"
#include "cs_addr.h"
#include "cs_hash.h"
#include "cs_vec.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct agg {
	uint32_t max, count, nslots;
	struct agg_server **slots;
	struct agg_server **sorted;
	bool sorted_valid;
	uint8_t seed[CS_HASH_KEY_LEN];
	struct agg_stats st;
	uint64_t rng; /* xorshift state for eviction sampling */
};

static void server_free(struct agg_server *s)
{
	clientset_fini(&s->clients);
	clientset_fini(&s->clients_total);
	for (uint32_t k = 0; k < s->nrejections; k++)
		clientset_fini(&s->rejections[k].clients);
	free(s->rejections);
	free(s->chains);
	free(s);
}

struct agg *agg_new(uint32_t max_servers)
{
	struct agg *a = calloc(1, sizeof(*a));

	if (!a)
		return NULL;
	a->max = max_servers;
	a->nslots = 64;
	while (a->nslots < 2 * max_servers)
		a->nslots <<= 1;
	cs_hash_seed(a->seed);
	memcpy(&a->rng, a->seed, sizeof(a->rng));
	a->rng |= 1; /* xorshift must not start at 0 */
	a->slots = calloc(a->nslots, sizeof(*a->slots));
	a->sorted = calloc(max_servers ? max_servers : 1, sizeof(*a->sorted));
	if (!a->slots || !a->sorted) {
		agg_free(a);
		return NULL;
	}
	return a;
}

void agg_free(struct agg *a)
{
	if (!a)
		return;
	for (uint32_t i = 0; i < a->nslots; i++)
		if (a->slots[i])
			server_free(a->slots[i]);
	free(a->slots);
	free(a->sorted);
	free(a);
}

static bool same_server(const struct agg_server *s, const struct agg_handshake *h)
{
	return s->port == h->server_port && memcmp(s->ip.a, h->server_ip->a, 16) == 0 &&
	       s->has_sni == (h->sni != NULL) &&
	       (!h->sni || (s->sni_len == h->sni_len && memcmp(s->sni, h->sni, h->sni_len) == 0));
}

static uint32_t slot_of(const struct agg *a, const struct agg_handshake *h)
{
	uint8_t key[16 + 2 + CS_MAX_SNI];
	size_t n = h->sni ? h->sni_len : 0;

	memcpy(key, h->server_ip->a, 16);
	key[16] = (uint8_t)(h->server_port >> 8), key[17] = (uint8_t)h->server_port;
	if (n)
		memcpy(key + 18, h->sni, n);
	return (uint32_t)cs_hash(key, 18 + n, a->seed) & (a->nslots - 1);
}

static uint32_t server_home(const struct agg *a, const struct agg_server *s)
{
	struct agg_handshake h = {
		.server_ip = &s->ip,
		.server_port = s->port,
		.sni = s->has_sni ? s->sni : NULL,
		.sni_len = s->sni_len,
	};

	return slot_of(a, &h);
}

/* Linear probing deletion by backward shift (Knuth 6.4, algorithm R). */
static void slot_remove(struct agg *a, const struct agg_server *s)
{
	uint32_t mask = a->nslots - 1, i = server_home(a, s), j;

	while (a->slots[i] != s)
		i = (i + 1) & mask;
	a->slots[i] = NULL;
	for (j = (i + 1) & mask; a->slots[j]; j = (j + 1) & mask) {
		uint32_t k = server_home(a, a->slots[j]);

		if ((j > i && (k <= i || k > j)) || (j < i && k <= i && k > j)) {
			a->slots[i] = a->slots[j];
			a->slots[j] = NULL;
			i = j;
		}
	}
}

/*
 * At the cap, the least recently seen healthy server among a few sampled
 * (as redis samples keys) makes room: a flood of new names costs bounded
 * work and never pushes out a broken server.  Counted (caps.servers_evicted).
 */
static bool evict_healthy(struct agg *a)
{
	uint32_t victim = UINT32_MAX;

	for (int k = 0; k < 32 && a->count; k++) {
		uint32_t j;

		a->rng ^= a->rng << 13, a->rng ^= a->rng >> 7, a->rng ^= a->rng << 17;
		j = (uint32_t)(a->rng % a->count);
		if (a->sorted[j]->broken_handshakes == 0 &&
		    (victim == UINT32_MAX ||
		     a->sorted[j]->last_seen < a->sorted[victim]->last_seen))
			victim = j;
	}
	if (victim == UINT32_MAX)
		return false;
	slot_remove(a, a->sorted[victim]);
	server_free(a->sorted[victim]);
	a->sorted[victim] = a->sorted[--a->count];
	a->sorted_valid = false;
	a->st.servers_evicted++;
	return true;
}

static struct agg_server *find_or_add(struct agg *a, const struct agg_handshake *h)
{
	uint32_t i = slot_of(a, h);
	struct agg_server *s;

	while (a->slots[i]) {
		if (same_server(a->slots[i], h))
			return a->slots[i];
		i = (i + 1) & (a->nslots - 1);
	}
	if (a->count >= a->max) {
		if (!evict_healthy(a)) {
			a->st.servers_cap++;
			return NULL;
		}
		i = slot_of(a, h); /* the table moved */
		while (a->slots[i])
			i = (i + 1) & (a->nslots - 1);
	}
	s = calloc(1, sizeof(*s));
	if (!s)
		return NULL;
	s->ip = *h->server_ip;
	s->port = h->server_port;
	if (h->sni) {
		s->has_sni = true;
		s->sni_len = (uint8_t)(h->sni_len > CS_MAX_SNI ? CS_MAX_SNI : h->sni_len);
		memcpy(s->sni, h->sni, s->sni_len);
	}
	s->first_seen = h->ts;
	clientset_init(&s->clients);
	clientset_init(&s->clients_total);
	a->slots[i] = s;
	a->sorted[a->count++] = s;
	a->sorted_valid = false;
	return s;
}

static struct agg_chain *find_chain(struct agg *a, struct agg_server *s,
				    const struct agg_handshake *h)
{
	for (uint32_t i = 0; i < s->nchains; i++)
		if (s->chains[i].chain == h->chain)
			return &s->chains[i];
	if (vec_reserve_capped(&s->chains, s->nchains, &s->chains_cap, sizeof(*s->chains), 2,
			       CS_MAX_CHAINS_PER_SERVER, &a->st.chains_per_server_cap) != CS_OK)
		return NULL;
	s->chains[s->nchains] = (struct agg_chain){
		.chain = h->chain,
		.first_input = h->input,
		.first_frame = h->frame,
		.first_ts = h->ts,
		.last_ts = h->ts,
	};
	return &s->chains[s->nchains++];
}

static void add_fingerprint(struct agg *a, struct agg_rejection *r, const struct agg_handshake *h)
{
	struct agg_fingerprint *f;

	if (!h->ja3 || !h->ja4)
		return;
	for (uint32_t i = 0; i < r->nfp; i++)
		if (!strcmp(r->fp[i].ja3, h->ja3) && !strcmp(r->fp[i].ja4, h->ja4)) {
			r->fp[i].handshakes++;
			return;
		}
	if (r->nfp == AGG_MAX_FINGERPRINTS) {
		a->st.fingerprints_cap++;
		return;
	}
	f = &r->fp[r->nfp++];
	snprintf(f->ja3, sizeof(f->ja3), "%s", h->ja3);
	snprintf(f->ja4, sizeof(f->ja4), "%s", h->ja4);
	f->handshakes = 1;
}

static void add_rejection(struct agg *a, struct agg_server *s, const struct agg_handshake *h)
{
	struct agg_rejection *r = NULL;

	for (uint32_t i = 0; i < s->nrejections && !r; i++)
		if (s->rejections[i].alert == h->alert)
			r = &s->rejections[i];
	if (!r) {
		if (!s->rejections)
			s->rejections = calloc(AGG_MAX_REJECTION_KINDS, sizeof(*s->rejections));
		if (!s->rejections || s->nrejections == AGG_MAX_REJECTION_KINDS) {
			s->rejections_dropped++;
			return;
		}
		r = &s->rejections[s->nrejections++];
		r->alert = h->alert;
		clientset_init(&r->clients);
	}
	r->handshakes++;
	if (h->client_ip)
		clientset_add(&r->clients, h->client_ip);
	add_fingerprint(a, r, h);
}

enum cs_status agg_add(struct agg *a, const struct agg_handshake *h)
{
	struct agg_server *s = find_or_add(a, h);
	struct agg_chain *c;

	if (!s)
		return CS_LIMIT;
	a->sorted_valid = false;
	s->tls_handshakes++;
	if (h->ts < s->first_seen)
		s->first_seen = h->ts;
	if (h->ts > s->last_seen)
		s->last_seen = h->ts;
	if (h->client_ip)
		clientset_add(&s->clients_total, h->client_ip);
	if (h->rejected)
		add_rejection(a, s, h);
	if (h->sni_status == AGG_SNI_NOT_SENT)
		s->sni_not_sent++;
	else if (h->sni_status == AGG_SNI_NOT_CAPTURED)
		s->sni_not_captured++;
	if (!h->chain)
		return CS_OK;
	s->handshakes++;
	if (h->version >= 0x0300 && h->version <= 0x0303)
		s->versions[h->version - 0x0300]++;
	s->problems |= h->problems;
	if (h->broken) {
		s->broken_handshakes++;
		s->ok_then_handshakes += h->ok_then;
		if (h->client_ip)
			clientset_add(&s->clients, h->client_ip);
	}
	s->unjudged_handshakes += h->unjudged;
	c = find_chain(a, s, h);
	if (!c)
		return CS_LIMIT;
	c->handshakes++;
	c->broken_handshakes += h->broken;
	c->ok_then_handshakes += h->broken && h->ok_then;
	c->unjudged_handshakes += h->unjudged;
	c->problems |= h->problems;
	/* handshakes may arrive out of order (some wait for their verdict):
	 * "first" and "latest" go by capture time */
	if (h->ts < c->first_ts) {
		c->first_ts = h->ts;
		c->first_input = h->input;
		c->first_frame = h->frame;
	}
	if (h->ts >= c->last_ts && h->verdict) {
		c->verdict = h->verdict;
		c->hostname_mismatch = h->hostname_mismatch;
		c->key_usage_suite = h->key_usage_suite;
	}
	if (h->ts > c->last_ts)
		c->last_ts = h->ts;
	return CS_OK;
}

bool agg_alert_about_certificate(uint8_t alert)
{
	/* bad_certificate, unsupported_certificate, certificate_revoked,
	 * certificate_expired, certificate_unknown; unknown_ca, access_denied
	 * (49: a valid certificate refused by the client's access control),
	 * decrypt_error (OpenSSL's alert for a certificate signature that
	 * fails) */
	return (alert >= 42 && alert <= 46) || alert == 48 || alert == 49 || alert == 51;
}

bool agg_rejected_but_judged_ok(const struct agg_server *s)
{
	if (s->broken_handshakes || !s->handshakes)
		return false;
	for (uint32_t i = 0; i < s->nrejections; i++)
		if (agg_alert_about_certificate(s->rejections[i].alert))
			return true;
	return false;
}

struct agg_server *agg_restore_server(struct agg *a, const struct cs_addr *ip, uint16_t port,
				      const char *sni, size_t sni_len)
{
	struct agg_handshake h = {
		.server_ip = ip,
		.server_port = port,
		.sni = sni,
		.sni_len = sni_len,
	};
	struct agg_server *s = find_or_add(a, &h);

	a->sorted_valid = false;
	return s;
}

struct agg_chain *agg_restore_chain(struct agg *a, struct agg_server *s, const struct cs_chain *c)
{
	struct agg_handshake h = {.chain = c};
	struct agg_chain *ac = find_chain(a, s, &h);

	if (ac && ac->handshakes == 0)
		ac->first_ts = ac->last_ts = 0;
	return ac;
}

struct agg_rejection *agg_restore_rejection(struct agg_server *s, uint8_t alert)
{
	for (uint32_t i = 0; i < s->nrejections; i++)
		if (s->rejections[i].alert == alert)
			return &s->rejections[i];
	if (!s->rejections)
		s->rejections = calloc(AGG_MAX_REJECTION_KINDS, sizeof(*s->rejections));
	if (!s->rejections || s->nrejections == AGG_MAX_REJECTION_KINDS)
		return NULL;
	s->rejections[s->nrejections].alert = alert;
	clientset_init(&s->rejections[s->nrejections].clients);
	return &s->rejections[s->nrejections++];
}

uint64_t agg_server_broken_then(const struct agg_server *s)
{
	return s->broken_handshakes - s->ok_then_handshakes;
}

uint64_t agg_chain_broken_then(const struct agg_chain *c)
{
	return c->broken_handshakes - c->ok_then_handshakes;
}

/* Rank: handshakes broken on their day, then broken handshakes (a chain
 * that broke clients then comes before one that breaks them only with
 * today's store), then clients affected, then a fixed key order (IP, port,
 * SNI) so that any two reports of the same data rank alike. */
static int server_cmp(const void *x, const void *y)
{
	const struct agg_server *a = *(const struct agg_server *const *)x;
	const struct agg_server *b = *(const struct agg_server *const *)y;
	uint64_t ca = clientset_count(&a->clients), cb = clientset_count(&b->clients);
	uint64_t ta = agg_server_broken_then(a), tb = agg_server_broken_then(b);

	if (ta != tb)
		return ta > tb ? -1 : 1;
	if (a->broken_handshakes != b->broken_handshakes)
		return a->broken_handshakes > b->broken_handshakes ? -1 : 1;
	if (ca != cb)
		return ca > cb ? -1 : 1;
	return agg_key_cmp(&(struct agg_key){&a->ip, a->port, a->has_sni, a->sni, a->sni_len},
			   &(struct agg_key){&b->ip, b->port, b->has_sni, b->sni, b->sni_len});
}

int agg_key_cmp(const struct agg_key *a, const struct agg_key *b)
{
	int c = cs_addr_cmp(a->ip, b->ip);

	if (c)
		return c;
	if (a->port != b->port)
		return a->port < b->port ? -1 : 1;
	if (a->has_sni != b->has_sni)
		return a->has_sni ? 1 : -1;
	c = memcmp(a->sni, b->sni, (a->sni_len < b->sni_len ? a->sni_len : b->sni_len));
	return c ? c : (a->sni_len > b->sni_len) - (a->sni_len < b->sni_len);
}

static int chain_cmp(const void *x, const void *y)
{
	const struct agg_chain *a = x, *b = y;

	if (a->handshakes != b->handshakes)
		return a->handshakes > b->handshakes ? -1 : 1;
	return memcmp(a->chain->sha256, b->chain->sha256, CS_SHA256_LEN);
}

const struct agg_server *const *agg_sorted(struct agg *a, size_t *n)
{
	if (!a->sorted_valid) {
		qsort(a->sorted, a->count, sizeof(*a->sorted), server_cmp);
		for (uint32_t i = 0; i < a->count; i++)
			if (a->sorted[i]->nchains > 1)
				qsort(a->sorted[i]->chains, a->sorted[i]->nchains,
				      sizeof(struct agg_chain), chain_cmp);
		a->sorted_valid = true;
	}
	*n = a->count;
	return (const struct agg_server *const *)a->sorted;
}

const struct agg_stats *agg_stats(const struct agg *a) { return &a->st; }

void agg_fingerprint_refused(struct agg *a) { a->st.fingerprints_cap++; }

size_t agg_distinct_chains(const struct agg *a, size_t max_id)
{
	uint8_t *seen = calloc(max_id / 8 + 1, 1);
	size_t n = 0;

	if (!seen)
		return 0;
	for (uint32_t i = 0; i < a->count; i++)
		for (uint32_t k = 0; k < a->sorted[i]->nchains; k++) {
			uint32_t id = a->sorted[i]->chains[k].chain->id;

			if (id < max_id && !(seen[id / 8] & (1u << (id % 8)))) {
				seen[id / 8] |= (uint8_t)(1u << (id % 8));
				n++;
			}
		}
	free(seen);
	return n;
}
