/*
 * cs_hash.h - the keyed 64-bit hash (SipHash-1-3) every table uses, and the
 * seeding of its keys.
 *
 * Tables an attacker fills from the wire (flows, the server aggregate) take
 * a key from cs_hash_seed(), random per process, so a remote peer cannot aim
 * collisions at one bucket.  Hashes that must agree across processes (the
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

/* A random key from getrandom(2).  Should the kernel refuse, the key is a
 * fixed pattern and false is returned: hashing stays correct, it only
 * becomes predictable. */
bool cs_hash_seed(uint8_t key[CS_HASH_KEY_LEN]);

#endif
