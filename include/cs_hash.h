/*
 * cs_hash.h - the keyed 64-bit hash (SipHash-1-3) every table uses, and the
 * seeding of its keys.
 *
 * Tables an attacker fills from the wire (flows, the server aggregate) take
 * a key from cs_hash_seed(), random per process, so a remote peer cannot aim
 * collisions at one bucket; a file run derives them from its capture
 * instead (cs_hash_seed_from), so that its report is the same every time.  Hashes that must agree across processes (the
 * client sets saved and merged, the sensor's broken-server keys) use a
 * fixed key of their own; they only count or compare, never index a table
 * an attacker could flood.
 * Reference: Aumasson & Bernstein, "SipHash: a fast short-input PRF", 2012;
 * p0f get_hash_seed, Suricata hash_rand.
 */
#ifndef CS_HASH_H
#define CS_HASH_H

#include "cs_common.h"

#define CS_HASH_KEY_LEN 16

/* SipHash-1-3 of n bytes under key. */
uint64_t cs_hash(const void *data, size_t n, const uint8_t key[CS_HASH_KEY_LEN]);

/*
 * For the one table hashed on every packet (flows): keyed multiply-add over
 * 32-bit words, keeping the high half (Dietzfelbinger's multiply-shift
 * family, 2-universal): a few multiplications instead of SipHash's rounds.
 * With a random key (CS_HASH_WORDS_MAX + 1 values) a peer that does not
 * know it cannot aim many flows at one bucket; it only indexes, equality
 * is always checked on the full key.
 */
#define CS_HASH_WORDS_MAX 10
uint32_t cs_hash_words(const uint32_t *w, size_t n, const uint64_t key[CS_HASH_WORDS_MAX + 1]);
/* A key for cs_hash_words from getrandom(2) (as cs_hash_seed). */
bool cs_hash_words_seed(uint64_t key[CS_HASH_WORDS_MAX + 1]);

/* A random key from getrandom(2).  Should the kernel refuse, the key is a
 * fixed pattern and false is returned: hashing stays correct, it only
 * becomes predictable.  After cs_hash_seed_from(), the keys are derived
 * from that seed instead. */
bool cs_hash_seed(uint8_t key[CS_HASH_KEY_LEN]);

/*
 * A file run's tables keyed from its capture (a digest of its first bytes),
 * so that lossy caches keyed by them (the signature memo's sets) forget the
 * same entries every time and the report is the same in every run.  Called
 * before any table is made and any thread started.  Someone who has the
 * capture can predict the keys; what a crafted file can aim at is bounded
 * by the analysis budgets.  A live sensor never calls it.
 */
void cs_hash_seed_from(const uint8_t seed[CS_HASH_KEY_LEN]);

/* n random bytes from getrandom(2) (false if the kernel refused): for
 * what must differ between processes whatever the seed (a run's id). */
bool cs_random(void *buf, size_t n);

#endif
