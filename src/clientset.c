/*
 * clientset.c - distinct-client counting (cs_clientset.h).
 * Addresses are hashed with the installation's client key (cs_clientkey.h:
 * a key file shared by the sensors whose sets are merged), never a fixed
 * key, so that a saved set does not give the addresses away; the hash only
 * counts, it never indexes a table an attacker could flood.  The key is
 * process-wide, set once at start by the run (run.c) before any traffic.
 */
#include "cs_clientset.h"
#include "cs_clientkey.h"
#include "cs_hash.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

static uint8_t set_key[CS_HASH_KEY_LEN];
static char set_key_id[CS_CLIENT_KEY_ID_LEN];

_Static_assert(CS_HASH_KEY_LEN == CS_CLIENT_KEY_LEN, "the client key is a SipHash key");

void clientset_set_key(const uint8_t key[16])
{
	memcpy(set_key, key, CS_HASH_KEY_LEN);
	clientkey_id(set_key, set_key_id);
}

/* No key set: a random one of this process (cs_hash_seed), so that no
 * hash is ever made under a key anyone else knows. */
static void key_ready(void)
{
	if (set_key_id[0])
		return;
	cs_hash_seed(set_key);
	clientkey_id(set_key, set_key_id);
}

const char *clientset_key_id(void)
{
	key_ready();
	return set_key_id;
}

void clientset_init(struct clientset *s) { memset(s, 0, sizeof(*s)); }

void clientset_fini(struct clientset *s)
{
	free(s->more);
	free(s->regs);
	s->more = NULL;
	s->regs = NULL;
}

uint64_t clientset_hash(const struct clientset *s, uint32_t i)
{
	return i < CS_CLIENTSET_INLINE ? s->inl[i] : s->more[i - CS_CLIENTSET_INLINE];
}

static void hll_add(uint8_t *regs, uint64_t h)
{
	uint32_t idx = (uint32_t)(h & (CS_HLL_REGISTERS - 1));
	uint64_t rest = h >> CS_HLL_P | (1ULL << (64 - CS_HLL_P)); /* a stop bit */
	uint8_t rank = (uint8_t)(__builtin_ctzll(rest) + 1);

	if (rank > regs[idx])
		regs[idx] = rank;
}

static bool to_hll(struct clientset *s)
{
	s->regs = calloc(CS_HLL_REGISTERS, 1);
	if (!s->regs)
		return false;
	for (uint32_t i = 0; i < s->n; i++)
		hll_add(s->regs, clientset_hash(s, i));
	free(s->more);
	s->more = NULL;
	return true;
}

/* Room for one more exact hash; false when it must become a sketch. */
static bool exact_room(struct clientset *s)
{
	if (s->n < CS_CLIENTSET_INLINE)
		return true;
	if (s->n >= CS_CLIENTSET_EXACT)
		return false;
	if (!s->more)
		s->more = malloc((CS_CLIENTSET_EXACT - CS_CLIENTSET_INLINE) * sizeof(*s->more));
	return s->more != NULL;
}

void clientset_add_hash(struct clientset *s, uint64_t h)
{
	if (s->regs) {
		hll_add(s->regs, h);
		return;
	}
	for (uint32_t i = 0; i < s->n; i++)
		if (clientset_hash(s, i) == h)
			return;
	if (exact_room(s)) {
		if (s->n < CS_CLIENTSET_INLINE)
			s->inl[s->n++] = h;
		else
			s->more[s->n++ - CS_CLIENTSET_INLINE] = h;
		return;
	}
	if (s->n >= CS_CLIENTSET_EXACT && to_hll(s))
		hll_add(s->regs, h);
	/* out of memory: stays where it is, an undercount */
}

void clientset_add(struct clientset *s, const struct cs_addr *a)
{
	key_ready();
	clientset_add_hash(s, cs_hash(a->a, sizeof(a->a), set_key));
}

bool clientset_exact(const struct clientset *s) { return s->regs == NULL; }

uint64_t clientset_count(const struct clientset *s)
{
	double m = CS_HLL_REGISTERS, sum = 0, est;
	unsigned zeros = 0;

	if (!s->regs)
		return s->n;
	for (uint32_t i = 0; i < CS_HLL_REGISTERS; i++) {
		sum += ldexp(1.0, -s->regs[i]);
		zeros += s->regs[i] == 0;
	}
	est = 0.7213 / (1 + 1.079 / m) * m * m / sum;
	if (est <= 2.5 * m && zeros) /* small range: linear counting */
		est = m * log(m / zeros);
	return (uint64_t)(est + 0.5);
}

void clientset_merge(struct clientset *dst, const struct clientset *src)
{
	if (!src->regs) {
		for (uint32_t i = 0; i < src->n; i++)
			clientset_add_hash(dst, clientset_hash(src, i));
		return;
	}
	if (!dst->regs && !to_hll(dst))
		return;
	for (uint32_t i = 0; i < CS_HLL_REGISTERS; i++)
		if (src->regs[i] > dst->regs[i])
			dst->regs[i] = src->regs[i];
}
