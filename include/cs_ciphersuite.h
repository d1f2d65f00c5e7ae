/*
 * cs_ciphersuite.h - what the key exchange of a TLS 1.0-1.2 cipher suite
 * needs of the server certificate's keyUsage, for key_usage_mismatch.
 *
 * RFC 5246 7.4.2 (and RFC 4492 2, RFC 4279 2, RFC 5054 2.5): with RSA key
 * transport the key must allow keyEncipherment; with DHE/ECDHE (and SRP
 * with a certificate) the server signs its key exchange, so digitalSignature;
 * with static DH/ECDH the certificate's key is the Diffie-Hellman key, so
 * keyAgreement.  Suites from the IANA registry, by value.
 */
#ifndef CS_CIPHERSUITE_H
#define CS_CIPHERSUITE_H

#include "cs_common.h"

struct cs_kex {
	const char *name;   /* "ECDHE_RSA", "RSA", "DH_DSS", ... (static) */
	uint32_t key_usage; /* the keyUsage bit it needs (CS_KU_*, cs_problems.h) */
};

/* The key exchange of suite and what it needs; false when it puts no
 * requirement on a certificate's keyUsage (PSK, anonymous, SRP without a
 * certificate, export RSA, Kerberos, GOST, TLS 1.3 and unknown suites). */
bool cipher_suite_kex(uint16_t suite, struct cs_kex *out);

#endif
