/*
 * hash.c - SipHash-1-3 and its keys (cs_hash.h).
 * One round per 8-byte word and three finalisation rounds (the variant
 * Rust's HashMap and Python's str hash use): enough to deny a remote peer
 * chosen collisions in a table it cannot see, and cheap on the packet path.
 * Owns nothing.
 */
#include "cs_hash.h"

#include <string.h>
#include <sys/random.h>

static uint64_t rotl(uint64_t x, int b) { return x << b | x >> (64 - b); }

#define SIPROUND(v0, v1, v2, v3)                                                                   \
	do {                                                                                       \
		v0 += v1;                                                                          \
		v1 = rotl(v1, 13);                                                                 \
		v1 ^= v0;                                                                          \
		v0 = rotl(v0, 32);                                                                 \
		v2 += v3;                                                                          \
		v3 = rotl(v3, 16);                                                                 \
		v3 ^= v2;                                                                          \
		v0 += v3;                                                                          \
		v3 = rotl(v3, 21);                                                                 \
		v3 ^= v0;                                                                          \
		v2 += v1;                                                                          \
		v1 = rotl(v1, 17);                                                                 \
		v1 ^= v2;                                                                          \
		v2 = rotl(v2, 32);                                                                 \
	} while (0)

static uint64_t load64(const uint8_t *p)
{
	uint64_t v = 0;

	for (int i = 7; i >= 0; i--)
		v = v << 8 | p[i];
	return v;
}

uint64_t cs_hash(const void *data, size_t n, const uint8_t key[CS_HASH_KEY_LEN])
{
	const uint8_t *p = data;
	uint64_t k0 = load64(key), k1 = load64(key + 8);
	uint64_t v0 = k0 ^ 0x736f6d6570736575ULL, v1 = k1 ^ 0x646f72616e646f6dULL;
	uint64_t v2 = k0 ^ 0x6c7967656e657261ULL, v3 = k1 ^ 0x7465646279746573ULL;
	uint64_t b = (uint64_t)n << 56, m;
	size_t i;

	for (i = 0; i + 8 <= n; i += 8) {
		m = load64(p + i);
		v3 ^= m;
		SIPROUND(v0, v1, v2, v3);
		v0 ^= m;
	}
	for (size_t k = 0; i + k < n; k++)
		b |= (uint64_t)p[i + k] << (8 * k);
	v3 ^= b;
	SIPROUND(v0, v1, v2, v3);
	v0 ^= b;
	v2 ^= 0xff;
	SIPROUND(v0, v1, v2, v3);
	SIPROUND(v0, v1, v2, v3);
	SIPROUND(v0, v1, v2, v3);
	return v0 ^ v1 ^ v2 ^ v3;
}

static bool seeded; /* cs_hash_seed_from() was called */
static uint8_t seed_key[CS_HASH_KEY_LEN];
static uint64_t seed_next; /* keys derived so far */

bool cs_random(void *buf, size_t n)
{
	/* flags 0: blocks only until the kernel's pool is first initialised */
	return getrandom(buf, n, 0) == (ssize_t)n;
}

void cs_hash_seed_from(const uint8_t seed[CS_HASH_KEY_LEN])
{
	memcpy(seed_key, seed, CS_HASH_KEY_LEN);
	seed_next = 0;
	seeded = true;
}

bool cs_hash_seed(uint8_t key[CS_HASH_KEY_LEN])
{
	if (seeded) { /* the n-th key: SipHash of (n, half) under the seed */
		for (uint64_t half = 0; half < 2; half++) {
			uint64_t in[2] = {seed_next, half}, v = cs_hash(in, sizeof(in), seed_key);

			memcpy(key + 8 * half, &v, 8);
		}
		seed_next++;
		return true;
	}
	if (cs_random(key, CS_HASH_KEY_LEN))
		return true;
	memset(key, 0x5a, CS_HASH_KEY_LEN);
	return false;
}

uint32_t cs_hash_words(const uint32_t *w, size_t n, const uint64_t key[CS_HASH_WORDS_MAX + 1])
{
	uint64_t h = key[0];

	for (size_t i = 0; i < n && i < CS_HASH_WORDS_MAX; i++)
		h += key[i + 1] * (uint64_t)w[i];
	return (uint32_t)(h >> 32);
}

bool cs_hash_words_seed(uint64_t key[CS_HASH_WORDS_MAX + 1])
{
	bool ok = cs_hash_seed((uint8_t *)key) && cs_hash_seed((uint8_t *)key + CS_HASH_KEY_LEN);
	uint8_t more[CS_HASH_KEY_LEN];

	/* (CS_HASH_WORDS_MAX + 1) * 8 = 88 bytes: five 16-byte seeds, then 8 more */
	for (size_t off = 2 * CS_HASH_KEY_LEN; off < (CS_HASH_WORDS_MAX + 1) * 8; off += 8) {
		ok = cs_hash_seed(more) && ok;
		memcpy((uint8_t *)key + off, more, 8);
	}
	for (size_t i = 0; i <= CS_HASH_WORDS_MAX; i++)
		key[i] |= 1; /* odd multipliers */
	return ok;
}
