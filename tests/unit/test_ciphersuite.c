/*
 * test_ciphersuite.c - the key exchange of cipher suites (cs_ciphersuite.h):
 * suites spot-checked against the IANA registry names, the three families
 * (key transport, signed ephemeral, static Diffie-Hellman) each needing
 * its one keyUsage bit, and every 16-bit value answered consistently.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>

#include "cs_ciphersuite.h"
#include "cs_problems.h"

static void expect(uint16_t suite, const char *name, uint32_t ku)
{
	struct cs_kex k = {NULL, 0};

	if (!cipher_suite_kex(suite, &k))
		fail_msg("0x%04x: no key exchange, want %s", suite, name);
	if (strcmp(k.name, name) != 0 || k.key_usage != ku)
		fail_msg("0x%04x: %s 0x%x, want %s 0x%x", suite, k.name, k.key_usage, name, ku);
}

static void expect_none(uint16_t suite)
{
	struct cs_kex k = {"untouched", 7};

	if (cipher_suite_kex(suite, &k))
		fail_msg("0x%04x: %s, want none", suite, k.name);
	assert_string_equal(k.name, "untouched");
	assert_int_equal(k.key_usage, 7);
}

/* IANA "TLS Cipher Suites": a few from each block. */
static void test_registry(void **state)
{
	(void)state;
	const uint32_t ds = CS_KU_DIGITAL_SIGNATURE, ke = CS_KU_KEY_ENCIPHERMENT;
	const uint32_t ka = CS_KU_KEY_AGREEMENT;

	expect(0x0001, "RSA", ke);         /* TLS_RSA_WITH_NULL_MD5 */
	expect(0x000a, "RSA", ke);         /* TLS_RSA_WITH_3DES_EDE_CBC_SHA */
	expect(0x002f, "RSA", ke);         /* TLS_RSA_WITH_AES_128_CBC_SHA */
	expect(0x009c, "RSA", ke);         /* TLS_RSA_WITH_AES_128_GCM_SHA256 */
	expect(0xc0a1, "RSA", ke);         /* TLS_RSA_WITH_AES_256_CCM_8 */
	expect(0x002e, "RSA_PSK", ke);     /* TLS_RSA_PSK_WITH_NULL_SHA */
	expect(0xccae, "RSA_PSK", ke);     /* TLS_RSA_PSK_WITH_CHACHA20_POLY1305_SHA256 */
	expect(0x0016, "DHE_RSA", ds);     /* TLS_DHE_RSA_WITH_3DES_EDE_CBC_SHA */
	expect(0x009e, "DHE_RSA", ds);     /* TLS_DHE_RSA_WITH_AES_128_GCM_SHA256 */
	expect(0xccaa, "DHE_RSA", ds);     /* TLS_DHE_RSA_WITH_CHACHA20_POLY1305_SHA256 */
	expect(0x0032, "DHE_DSS", ds);     /* TLS_DHE_DSS_WITH_AES_128_CBC_SHA */
	expect(0xc02f, "ECDHE_RSA", ds);   /* TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256 */
	expect(0xcca8, "ECDHE_RSA", ds);   /* TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256 */
	expect(0xc02b, "ECDHE_ECDSA", ds); /* TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256 */
	expect(0xc0ae, "ECDHE_ECDSA", ds); /* TLS_ECDHE_ECDSA_WITH_AES_128_CCM_8 */
	expect(0xc01e, "SRP_SHA_RSA", ds); /* TLS_SRP_SHA_RSA_WITH_AES_128_CBC_SHA */
	expect(0xc022, "SRP_SHA_DSS", ds); /* TLS_SRP_SHA_DSS_WITH_AES_256_CBC_SHA */
	expect(0x0031, "DH_RSA", ka);      /* TLS_DH_RSA_WITH_AES_128_CBC_SHA */
	expect(0x00a4, "DH_DSS", ka);      /* TLS_DH_DSS_WITH_AES_128_GCM_SHA256 */
	expect(0xc004, "ECDH_ECDSA", ka);  /* TLS_ECDH_ECDSA_WITH_AES_128_CBC_SHA */
	expect(0xc031, "ECDH_RSA", ka);    /* TLS_ECDH_RSA_WITH_AES_128_GCM_SHA256 */
	expect(0xc08d, "ECDH_RSA", ka);    /* TLS_ECDH_RSA_WITH_CAMELLIA_256_GCM_SHA384 */
	/* no requirement on the certificate's keyUsage */
	expect_none(0x0000); /* TLS_NULL_WITH_NULL_NULL */
	expect_none(0x0003); /* TLS_RSA_EXPORT_WITH_RC4_40_MD5 */
	expect_none(0x0018); /* TLS_DH_anon_WITH_RC4_128_MD5 */
	expect_none(0x001e); /* TLS_KRB5_WITH_DES_CBC_SHA */
	expect_none(0x008c); /* TLS_PSK_WITH_AES_128_CBC_SHA */
	expect_none(0x00ff); /* TLS_EMPTY_RENEGOTIATION_INFO_SCSV */
	expect_none(0x1301); /* TLS_AES_128_GCM_SHA256 (TLS 1.3) */
	expect_none(0x5600); /* TLS_FALLBACK_SCSV */
	expect_none(0xc01d); /* TLS_SRP_SHA_WITH_AES_128_CBC_SHA: no certificate */
	expect_none(0xc018); /* TLS_ECDH_anon_WITH_AES_128_CBC_SHA */
	expect_none(0xc035); /* TLS_ECDHE_PSK_WITH_AES_128_CBC_SHA */
	expect_none(0xccab); /* TLS_PSK_WITH_CHACHA20_POLY1305_SHA256 */
	expect_none(0xffff);
}

/* Every value: a name of a known family, and the bit that family needs. */
static void test_every_value(void **state)
{
	(void)state;
	static const struct {
		const char *prefix;
		uint32_t ku;
	} families[] = {
		{"ECDHE_", CS_KU_DIGITAL_SIGNATURE}, {"DHE_", CS_KU_DIGITAL_SIGNATURE},
		{"SRP_", CS_KU_DIGITAL_SIGNATURE},   {"RSA", CS_KU_KEY_ENCIPHERMENT},
		{"ECDH_", CS_KU_KEY_AGREEMENT},      {"DH_", CS_KU_KEY_AGREEMENT},
	};
	unsigned known = 0;

	for (uint32_t s = 0; s <= 0xffff; s++) {
		struct cs_kex k;
		bool matched = false;

		if (!cipher_suite_kex((uint16_t)s, &k))
			continue;
		known++;
		for (size_t f = 0; f < sizeof families / sizeof families[0] && !matched; f++)
			if (strncmp(k.name, families[f].prefix, strlen(families[f].prefix)) == 0) {
				assert_int_equal(k.key_usage, families[f].ku);
				matched = true;
			}
		if (!matched)
			fail_msg("0x%04x: unknown family %s", s, k.name);
		assert_true(s < 0x1300 || s >= 0xc000); /* never a TLS 1.3 suite */
	}
	assert_true(known > 200 && known < 400);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_registry),
		cmocka_unit_test(test_every_value),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
