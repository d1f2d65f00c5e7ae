/*
 * cs_clientset.h - a count of distinct client addresses, exact up to
 * CS_CLIENTSET_EXACT addresses, then a HyperLogLog estimate (2^10 one-byte
 * registers, standard error about 3.3%).  Two sets merge exactly when both
 * are exact and small enough, otherwise register by register, so merging
 * is associative and order-independent.  Memory: two address hashes
 * inline (most servers see few clients), up to 32 on the heap (256 bytes),
 * then the registers (1 KiB) once a set outgrows them.
 * Reference: Flajolet et al., "HyperLogLog", AofA 2007; redis hyperloglog.c.
 */
#ifndef CS_CLIENTSET_H
#define CS_CLIENTSET_H

#include "cs_common.h"
#include "cs_limits.h"

/* CS_CLIENTSET_EXACT and CS_HLL_P: cs_limits.h */
#define CS_HLL_REGISTERS (1u << CS_HLL_P)

#define CS_CLIENTSET_INLINE 2

struct clientset {
	uint32_t n;                        /* exact count while regs == NULL */
	uint64_t inl[CS_CLIENTSET_INLINE]; /* the first hashes of the addresses */
	uint64_t *more;                    /* the others, CS_CLIENTSET_EXACT long */
	uint8_t *regs;                     /* HLL registers once exact overflowed */
};

/* The key every address is hashed with (cs_clientkey.h), and its id for
 * the files that carry hashes.  Until it is set, a random key of this
 * process (id of that key).  Set it before the first address is added. */
void clientset_set_key(const uint8_t key[16]);
const char *clientset_key_id(void);

void clientset_init(struct clientset *s);
void clientset_fini(struct clientset *s);
void clientset_add(struct clientset *s, const struct cs_addr *a);
/* Add a 64-bit hash directly (used when loading saved state). */
void clientset_add_hash(struct clientset *s, uint64_t h);
uint64_t clientset_count(const struct clientset *s);
bool clientset_exact(const struct clientset *s);
/* The i-th hash of an exact set (i < n). */
uint64_t clientset_hash(const struct clientset *s, uint32_t i);
void clientset_merge(struct clientset *dst, const struct clientset *src);

#endif
