/*
 * test_fingerprint.c - JA3 and JA4 of ClientHello bodies: real captures,
 * the JA4.md example rebuilt byte by byte, GREASE, SSL 3.0-style hellos
 * without extensions, ALPN and version corner cases, caps, and every
 * truncation offset and byte flip of each vector.
 *
 * Where the expected values come from:
 *  - JA3 of the real captures: tshark 4.0.17,
 *      tshark -r FILE -Y tls.handshake.type==1 -T fields -e tls.handshake.ja3
 *    (the same comparison over all 138 ClientHellos in pcaps/real and
 *    pcaps/lab agreed; SSLv2-format hellos are not fingerprinted by either).
 *  - JA4: FoxIO's published outputs (FoxIO-LLC/ja4 rust/ja4/src/snapshots/
 *    and python/test/testdata/) for tls-alpn-h2.pcap and badcurveball.pcap,
 *    the worked example in technical_details/JA4.md, and otherwise the
 *    raw strings written out below, hashed with sha256sum / md5sum.
 * The bodies are the ClientHello message bodies (after the 4-byte
 * handshake header) as tshark extracted them.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cs_cursor.h"
#include "cs_fingerprint.h"
#include "testlib.h"

/* ---- expected values ------------------------------------------------------ */

/* Real ClientHello bodies (after the 4-byte handshake header), each found
 * verbatim in the capture named (tests/fixtures/clienthello/README.md):
 * tests/fixtures/clienthello/<name>.bin, len bytes. */
struct vector {
	const char *name;
	size_t len;
	const char *ja3, *ja4;
};

static const struct vector vectors[] = {
	/* pcaps/real/ndpi__sites.pcapng frame 234 (a Chromium-family browser,
	 * no GREASE).  Its JA4 is exactly the JA4.md worked example. */
	{"sites-234", 508, "cd08e31494f9531f560d64c695473da9",
	 "t13d1516h2_8daaf6152771_e5627efa2ab1"},
	/* pcaps/real/arkime__tls-alpn-h2.pcap frame 4 (TLS 1.2, IPv6, ALPN h2,
	 * the unassigned suites 0xff85 etc.).  FoxIO publishes this JA4. */
	{"tls-alpn-h2", 228, "3faa4ad39f690c4ef1c3160caa375465",
	 "t12d4605h2_85626a9a5f7f_aaf95bb78ec9"},
	/* pcaps/real/arkime__badcurveball.pcap frame 4 (Chrome with GREASE in
	 * ciphers, extensions, groups and supported_versions; its first ALPN
	 * name is "H2").  FoxIO publishes t13d1615h2_46e7e9700bed_45f260be83e2:
	 * the same b and c hashes (their JA4_r shows the same lists), but JA4.md
	 * keeps ASCII letters as they are (0x41-0x5A are alphanumeric) and the
	 * wire says "H2" (48 32), so we print H2.  See the report. */
	{"badcurveball", 508, "66918128f1b9b03303d77c6f2eefd128",
	 "t13d1615H2_46e7e9700bed_45f260be83e2"},
	/* pcaps/real/arkime__ssl-selfsign.pcap frame 5: legacy_version 0x0300
	 * and no extensions block at all.
	 * JA3 string 768,57-56-53-22-19-10-51-50-47-154-153-150-5-4-21-18-9-20-17-8-6-3-255,,,
	 * JA4 ts3i230000: SSL 3.0, no SNI, 23 suites, 0 extensions, no ALPN;
	 * b = sha256("0003,0004,0005,0006,0008,0009,000a,0011,0012,0013,0014,
	 *   0015,0016,002f,0032,0033,0035,0038,0039,0096,0099,009a,00ff")[:12]
	 *   (one line, no spaces) = 6a57a6f57151; c: no extensions = 000000000000. */
	{"ssl3-selfsign", 85, "03e697d7655911e630ee3ee8e2a02ba4",
	 "ts3i230000_6a57a6f57151_000000000000"},
	/* pcaps/lab/no-sni.pcap frame 4: OpenSSL 3 s_client without SNI or ALPN.
	 * JA4 t13i310900: supported_versions 0x0304, no SNI, 31 suites, 9
	 * extensions, no ALPN;
	 * b = sha256("002f,0033,0035,0039,003c,003d,0067,006b,009c,009d,009e,
	 *   009f,00ff,1301,1302,1303,c009,c00a,c013,c014,c023,c024,c027,c028,
	 *   c02b,c02c,c02f,c030,cca8,cca9,ccaa")[:12] = e8f1e7e78f70
	 * c = sha256("000a,000b,000d,0016,0017,0023,002b,002d,0033_0403,0503,
	 *   0603,0807,0808,0809,080a,080b,0804,0805,0806,0401,0501,0601,0303,
	 *   0301,0302,0402,0502,0602")[:12] = 1f22a2ca17c4 */
	{"lab-no-sni", 288, "c216e752cae6f8755fd27f561d031636",
	 "t13i310900_e8f1e7e78f70_1f22a2ca17c4"},
};

/* The vector's ClientHello body (free it), checked to be len bytes. */
static uint8_t *vector_body(const struct vector *v)
{
	char path[128];
	size_t n;
	uint8_t *body;

	snprintf(path, sizeof path, "tests/fixtures/clienthello/%s.bin", v->name);
	body = tl_read_file(path, &n);
	assert_int_equal(n, v->len);
	return body;
}

/* ---- a small ClientHello writer (struct bytes: testlib.h) --------------- */

/* legacy_version, random, empty session id, ciphers, compression {null} */
static void hello_start(struct bytes *w, uint16_t version, const uint16_t *ciphers, size_t n)
{
	size_t at;

	w->n = 0;
	put16(w, version);
	for (unsigned i = 0; i < 32; i++)
		put8(w, i);
	put8(w, 0);
	at = begin_len(w, 2);
	for (size_t i = 0; i < n; i++)
		put16(w, ciphers[i]);
	end_len(w, at, 2);
	put8(w, 1);
	put8(w, 0);
}

static void ext_raw(struct bytes *w, uint16_t type, const void *data, size_t n)
{
	put16(w, type);
	put16(w, (unsigned)n);
	put(w, data, n);
}

/* An extension holding one vector of u16 values (1- or 2-byte length). */
static void ext_u16s(struct bytes *w, uint16_t type, unsigned lenbytes, const uint16_t *v, size_t n)
{
	size_t ext, list;

	put16(w, type);
	ext = begin_len(w, 2);
	list = begin_len(w, lenbytes);
	for (size_t i = 0; i < n; i++)
		put16(w, v[i]);
	end_len(w, list, lenbytes);
	end_len(w, ext, 2);
}

/* ALPN with one protocol name. */
static void ext_alpn1(struct bytes *w, const void *name, size_t n)
{
	size_t ext, list, one;

	put16(w, 0x0010);
	ext = begin_len(w, 2);
	list = begin_len(w, 2);
	one = begin_len(w, 1);
	put(w, name, n);
	end_len(w, one, 1);
	end_len(w, list, 2);
	end_len(w, ext, 2);
}

static void check_zeroed(const struct cs_fingerprint *fp)
{
	static const struct cs_fingerprint zero;

	assert_memory_equal(fp, &zero, sizeof zero);
}

static bool fp_of(const struct bytes *w, bool over_tcp, struct cs_fingerprint *fp)
{
	memset(fp, 0x55, sizeof *fp); /* so that zeroing on failure shows */
	return fingerprint_client_hello(w->b, w->n, over_tcp, fp);
}

/* Two characters of w's JA4 (over TCP) from offset at: the version at 1,
 * the counts at 4 and 6, the ALPN at 8. */
static void assert_ja4_part(const struct bytes *w, size_t at, const char *want)
{
	struct cs_fingerprint fp;
	char got[3] = "";

	assert_true(fp_of(w, true, &fp));
	memcpy(got, fp.ja4 + at, 2);
	assert_string_equal(got, want);
}

/* ---- the JA4.md example, rebuilt ----------------------------------------- */

enum spec_variant { SPEC_PLAIN, SPEC_GREASE, SPEC_GREASE_ONLY_SIGALGS };

/*
 * JA4.md: ciphers 1301,1302,1303,c02b,c02f,c02c,c030,cca9,cca8,c013,c014,
 * 009c,009d,002f,0035; extensions 001b,0000,0033,0010,4469,0017,002d,000d,
 * 0005,0023,0012,002b,ff01,000b,000a,0015; signature algorithms 0403,0804,
 * 0401,0503,0805,0501,0806,0601; ALPN h2; TLS 1.3 in supported_versions.
 * SPEC_GREASE adds GREASE to every list that can carry it (RFC 8701 3),
 * as first and last extension too; SPEC_GREASE_ONLY_SIGALGS leaves only a
 * GREASE value in signature_algorithms.
 */
static void build_spec_hello(struct bytes *w, enum spec_variant variant)
{
	static const uint16_t spec_ciphers[] = {0x0a0a, 0x1301, 0x1302, 0x1303, 0xc02b, 0xc02f,
						0xc02c, 0xc030, 0xcca9, 0xcca8, 0xc013, 0xc014,
						0x009c, 0x009d, 0x002f, 0x0035};
	static const uint16_t sigalgs[] = {0x5a5a, 0x0403, 0x0804, 0x0401, 0x0503,
					   0x0805, 0x0501, 0x0806, 0x0601};
	static const uint16_t versions[] = {0x4a4a, 0x0304, 0x0303};
	static const uint16_t groups[] = {0x3a3a, 0x001d, 0x0017, 0x0018};
	static const uint8_t sni[] = {0x00, 0x0e, 0x00, 0x00, 0x0b, 'e', 'x', 'a',
				      'm',  'p',  'l',  'e',  '.',  'c', 'o', 'm'};
	static const uint8_t alpn[] = {0x00, 0x0c, 0x02, 'h', '2', 0x08, 'h',
				       't',  't',  'p',  '/', '1', '.',  '1'};
	static const uint8_t padding[8] = {0};
	bool grease = variant != SPEC_PLAIN;
	size_t skip = grease ? 0 : 1, exts;

	hello_start(w, 0x0303, spec_ciphers + skip, CS_ARRAY_LEN(spec_ciphers) - skip);
	exts = begin_len(w, 2);
	if (grease)
		ext_raw(w, 0x1a1a, "", 0);
	ext_raw(w, 0x001b, "\x02\x00\x02", 3);
	ext_raw(w, 0x0000, sni, sizeof sni);
	ext_raw(w, 0x0033, "\x00\x00", 2);
	ext_raw(w, 0x0010, alpn, sizeof alpn);
	ext_raw(w, 0x4469, "\x00\x03\x02h2", 6);
	ext_raw(w, 0x0017, "", 0);
	ext_raw(w, 0x002d, "\x01\x01", 2);
	if (variant == SPEC_GREASE_ONLY_SIGALGS)
		ext_u16s(w, 0x000d, 2, sigalgs, 1);
	else
		ext_u16s(w, 0x000d, 2, sigalgs + skip, CS_ARRAY_LEN(sigalgs) - skip);
	ext_raw(w, 0x0005, "\x01\x00\x00\x00\x00", 5);
	ext_raw(w, 0x0023, "", 0);
	ext_raw(w, 0x0012, "", 0);
	ext_u16s(w, 0x002b, 1, versions + skip, CS_ARRAY_LEN(versions) - skip);
	ext_raw(w, 0xff01, "\x00", 1);
	ext_raw(w, 0x000b, "\x01\x00", 2);
	ext_u16s(w, 0x000a, 2, groups + skip, CS_ARRAY_LEN(groups) - skip);
	ext_raw(w, 0x0015, padding, sizeof padding);
	if (grease)
		ext_raw(w, 0x2a2a, "\x00", 1);
	end_len(w, exts, 2);
}

/* ---- tests ---------------------------------------------------------------- */

static void test_real_vectors(void **state)
{
	(void)state;
	struct cs_fingerprint fp;

	for (size_t i = 0; i < CS_ARRAY_LEN(vectors); i++) {
		const struct vector *v = &vectors[i];
		uint8_t *body = vector_body(v);

		if (!fingerprint_client_hello(body, v->len, true, &fp))
			fail_msg("%s does not parse", v->name);
		assert_string_equal(fp.ja3, v->ja3);
		assert_string_equal(fp.ja4, v->ja4);
		assert_false(fp.capped);
		free(body);
	}
}

/*
 * The JA4.md example (variant v of it in w) has JA4.md's JA4,
 * t13d1516h2_8daaf6152771_e5627efa2ab1, and the JA3 of the string
 * 771,4865-4866-4867-49195-49199-49196-49200-52393-52392-49171-49172-156-
 * 157-47-53,27-0-51-16-17513-23-45-13-5-35-18-43-65281-11-10-21,29-23-24,0
 * (one line) whose MD5 is c000e2caf3a25423f9de6c8a4b12a975.
 */
static void spec_fingerprints(struct bytes *w, enum spec_variant v, struct cs_fingerprint *fp)
{
	build_spec_hello(w, v);
	assert_true(fp_of(w, true, fp));
	assert_string_equal(fp->ja4, "t13d1516h2_8daaf6152771_e5627efa2ab1");
	assert_string_equal(fp->ja3, "c000e2caf3a25423f9de6c8a4b12a975");
}

/* The JA4.md example; over QUIC only the first character changes. */
static void test_spec_example(void **state)
{
	(void)state;
	struct cs_fingerprint fp;
	struct bytes w;

	spec_fingerprints(&w, SPEC_PLAIN, &fp);
	assert_false(fp.capped);

	/* QUIC only changes the first character. */
	assert_true(fp_of(&w, false, &fp));
	assert_string_equal(fp.ja4, "q13d1516h2_8daaf6152771_e5627efa2ab1");
}

/* GREASE in ciphers, extension types, groups, supported_versions and
 * signature algorithms changes neither fingerprint. */
static void test_grease_removed(void **state)
{
	(void)state;
	struct cs_fingerprint fp;
	struct bytes w;

	spec_fingerprints(&w, SPEC_GREASE, &fp);

	/* Only GREASE among the signature algorithms: JA4_c has no "_" part.
	 * JA4.md: "0005,000a,000b,000d,0012,0015,0017,001b,0023,002b,002d,
	 * 0033,4469,ff01 = 6d807ffa2a79". */
	build_spec_hello(&w, SPEC_GREASE_ONLY_SIGALGS);
	assert_true(fp_of(&w, true, &fp));
	assert_string_equal(fp.ja4, "t13d1516h2_8daaf6152771_6d807ffa2a79");

	/* Every GREASE value is recognised, and nothing else. */
	for (unsigned hi = 0; hi < 16; hi++) {
		uint16_t g = (uint16_t)((hi << 12) | 0x0a00 | (hi << 4) | 0x0a);
		uint16_t ciphers[] = {g, 0x002f, (uint16_t)(g + 1)};

		hello_start(&w, 0x0303, ciphers, CS_ARRAY_LEN(ciphers));
		assert_ja4_part(&w, 4, "02");
	}
}

/*
 * No extensions block at all (SSL 3.0 and early TLS clients), and an
 * empty cipher list.
 *   769,47-53,,,  -> MD5 dac4920d4335e769327dbf4e1b759e15
 *   sha256("002f,0035")[:12] = f54dd463d39b
 *   769,,,,       -> MD5 f5d1076d0d11b5cd81c4c4e8e8ee881a
 */
static void test_no_extensions(void **state)
{
	(void)state;
	static const uint16_t ciphers[] = {0x002f, 0x0035};
	struct cs_fingerprint fp;
	struct bytes w;
	size_t at;

	hello_start(&w, 0x0301, ciphers, 2);
	assert_true(fp_of(&w, true, &fp));
	assert_string_equal(fp.ja3, "dac4920d4335e769327dbf4e1b759e15");
	assert_string_equal(fp.ja4, "t10i020000_f54dd463d39b_000000000000");

	/* An empty extensions block fingerprints the same. */
	at = begin_len(&w, 2);
	end_len(&w, at, 2);
	assert_true(fp_of(&w, true, &fp));
	assert_string_equal(fp.ja3, "dac4920d4335e769327dbf4e1b759e15");
	assert_string_equal(fp.ja4, "t10i020000_f54dd463d39b_000000000000");

	hello_start(&w, 0x0301, NULL, 0);
	assert_true(fp_of(&w, true, &fp));
	assert_string_equal(fp.ja3, "f5d1076d0d11b5cd81c4c4e8e8ee881a");
	assert_string_equal(fp.ja4, "t10i000000_000000000000_000000000000");

	/* Only SNI and ALPN: counted in a, absent from the c list, so c is
	 * the empty-list value. */
	hello_start(&w, 0x0303, ciphers, 2);
	at = begin_len(&w, 2);
	ext_raw(&w, 0x0000, "\x00\x04\x00\x00\x01x", 6);
	ext_alpn1(&w, "h2", 2);
	end_len(&w, at, 2);
	assert_true(fp_of(&w, true, &fp));
	assert_string_equal(fp.ja4, "t12d0202h2_f54dd463d39b_000000000000");
}

/* JA4.md "ALPN Extension Value", including its five hex examples. */
static void test_alpn(void **state)
{
	(void)state;
	static const struct {
		const char *name;
		size_t len;
		const char *want;
	} cases[] = {
		{"h2", 2, "h2"},
		{"http/1.1", 8, "h1"},
		{"H2", 2, "H2"}, /* letters are kept as sent */
		{"h", 1, "hh"},  /* one character is both first and last */
		{"", 0, "00"},   /* an empty first name is no ALPN */
		{"\xab", 1, "ab"},
		{"\xab\xcd", 2, "ad"},
		{"\x30\xab", 2, "3b"},
		{"\x30\x31\xab\xcd", 4, "3d"},
		{"\x30\xab\xcd\x31", 4, "01"},
		{"_x_", 3, "5f"}, /* '_' would break the a_b_c layout */
		{"\x7f", 1, "7f"},
	};
	static const uint16_t ciphers[] = {0x1301};
	struct bytes w;
	size_t at;

	for (size_t i = 0; i < CS_ARRAY_LEN(cases); i++) {
		hello_start(&w, 0x0303, ciphers, 1);
		at = begin_len(&w, 2);
		ext_alpn1(&w, cases[i].name, cases[i].len);
		end_len(&w, at, 2);
		assert_ja4_part(&w, 8, cases[i].want);
	}

	/* An empty protocol list is no ALPN either. */
	hello_start(&w, 0x0303, ciphers, 1);
	at = begin_len(&w, 2);
	ext_raw(&w, 0x0010, "\x00\x00", 2);
	end_len(&w, at, 2);
	assert_ja4_part(&w, 8, "00");
}

/* JA4.md "TLS and DTLS Version". */
static void test_versions(void **state)
{
	(void)state;
	static const struct {
		uint16_t legacy;
		uint16_t sv[3];
		size_t n_sv; /* 0: no supported_versions extension */
		const char *want;
	} cases[] = {
		{0x0303, {0x0a0a, 0x0304, 0x0303}, 3, "13"},
		{0x0303, {0x0303, 0x0304, 0x0302}, 3, "13"}, /* highest, not first */
		{0x0303, {0x0a0a}, 1, "12"},                 /* nothing but GREASE: legacy */
		{0x0303, {0x7f12, 0x0303}, 2, "00"},         /* a draft is highest */
		{0x0303, {0}, 0, "12"},
		{0x0302, {0}, 0, "11"},
		{0x0301, {0}, 0, "10"},
		{0x0300, {0}, 0, "s3"},
		{0x0002, {0}, 0, "s2"},
		{0xfefd, {0}, 0, "d2"},
		{0x0305, {0}, 0, "00"},
		{0x0000, {0}, 0, "00"},
	};
	static const uint16_t ciphers[] = {0x002f};
	struct bytes w;
	size_t at;

	for (size_t i = 0; i < CS_ARRAY_LEN(cases); i++) {
		hello_start(&w, cases[i].legacy, ciphers, 1);
		if (cases[i].n_sv > 0) {
			at = begin_len(&w, 2);
			ext_u16s(&w, 0x002b, 1, cases[i].sv, cases[i].n_sv);
			end_len(&w, at, 2);
		}
		assert_ja4_part(&w, 1, cases[i].want);
	}
}

/*
 * n_ciphers suites 0x0100.., then n_exts extensions: signature_algorithms
 * (0x0200..), supported_groups (0x0300..), ec_point_formats (0..) and
 * unknown types 0x1000.. with empty bodies.  None of these is GREASE.
 */
static void build_many(struct bytes *w, size_t n_ciphers, size_t n_exts, size_t n_groups,
		       size_t n_sigalgs, size_t n_formats)
{
	uint16_t v[300];
	size_t exts, ext, list;

	assert_true(n_ciphers <= CS_ARRAY_LEN(v) && n_groups <= CS_ARRAY_LEN(v) &&
		    n_sigalgs <= CS_ARRAY_LEN(v) && n_exts >= 3);
	for (size_t i = 0; i < n_ciphers; i++)
		v[i] = (uint16_t)(0x0100 + i);
	hello_start(w, 0x0303, v, n_ciphers);
	exts = begin_len(w, 2);
	for (size_t i = 0; i < n_sigalgs; i++)
		v[i] = (uint16_t)(0x0200 + i);
	ext_u16s(w, 0x000d, 2, v, n_sigalgs);
	for (size_t i = 0; i < n_groups; i++)
		v[i] = (uint16_t)(0x0300 + i);
	ext_u16s(w, 0x000a, 2, v, n_groups);
	put16(w, 0x000b);
	ext = begin_len(w, 2);
	list = begin_len(w, 1);
	for (size_t i = 0; i < n_formats; i++)
		put8(w, (unsigned)i);
	end_len(w, list, 1);
	end_len(w, ext, 2);
	for (size_t i = 3; i < n_exts; i++)
		ext_raw(w, (uint16_t)(0x1000 + i), "", 0);
	end_len(w, exts, 2);
}

/*
 * Past a cap the message still parses, JA4's counts stay exact (capped at
 * 99 by the spec), `capped` is set, and the hashes are those of the kept
 * prefix of every list.
 */
static void test_caps(void **state)
{
	(void)state;
	struct cs_fingerprint at_cap, over;
	struct bytes w;

	build_many(&w, CS_FP_MAX_CIPHERS, CS_FP_MAX_EXTENSIONS, CS_FP_MAX_GROUPS, CS_FP_MAX_SIGALGS,
		   CS_FP_MAX_POINT_FORMATS);
	assert_true(fp_of(&w, true, &at_cap));
	assert_false(at_cap.capped);
	assert_memory_equal(at_cap.ja4, "t12i9964", 8);

	build_many(&w, 250, 90, 200, 150, 40);
	assert_true(fp_of(&w, true, &over));
	assert_true(over.capped);
	assert_memory_equal(over.ja4, "t12i9990", 8);
	assert_string_equal(over.ja3, at_cap.ja3);
	assert_string_equal(over.ja4 + 10, at_cap.ja4 + 10);

	/* One over, in each list alone. */
	build_many(&w, CS_FP_MAX_CIPHERS + 1, 3, 1, 1, 1);
	assert_true(fp_of(&w, true, &over));
	assert_true(over.capped);
	build_many(&w, 1, CS_FP_MAX_EXTENSIONS + 1, 1, 1, 1);
	assert_true(fp_of(&w, true, &over));
	assert_true(over.capped);
	build_many(&w, 1, 3, CS_FP_MAX_GROUPS + 1, 1, 1);
	assert_true(fp_of(&w, true, &over));
	assert_true(over.capped);
	build_many(&w, 1, 3, 1, CS_FP_MAX_SIGALGS + 1, 1);
	assert_true(fp_of(&w, true, &over));
	assert_true(over.capped);
	build_many(&w, 1, 3, 1, 1, CS_FP_MAX_POINT_FORMATS + 1);
	assert_true(fp_of(&w, true, &over));
	assert_true(over.capped);
}

/* Malformed messages are refused whole; out is zeroed. */
static void test_malformed(void **state)
{
	(void)state;
	static const uint16_t ciphers[] = {0x1301, 0x1302};
	static const struct {
		uint16_t type;
		const char *data;
		size_t n;
	} bad_exts[] = {
		{0x000a, "\x00\x03\x00\x1d\x00", 5}, /* odd group list */
		{0x000a, "\x00\x04\x00\x1d", 4},     /* list longer than the extension */
		{0x000a, "\x00\x02\x00\x1d\x00", 5}, /* bytes after the list */
		{0x000b, "\x02\x00", 2},             /* point formats overrun */
		{0x000d, "\x00\x02\x04", 3},         /* sigalgs overrun */
		{0x0010, "\x00\x03\x05h2", 5},       /* ALPN name overrun */
		{0x0010, "\x00", 1},                 /* ALPN list length cut */
		{0x002b, "\x03\x03\x04\x03", 4},     /* odd version list */
		{0x002b, "\x02\x03\x04\x00", 4},     /* bytes after the list */
	};
	struct cs_fingerprint fp;
	struct bytes w;
	size_t at;

	for (size_t i = 0; i < CS_ARRAY_LEN(bad_exts); i++) {
		hello_start(&w, 0x0303, ciphers, 2);
		at = begin_len(&w, 2);
		ext_raw(&w, bad_exts[i].type, bad_exts[i].data, bad_exts[i].n);
		end_len(&w, at, 2);
		if (fp_of(&w, true, &fp))
			fail_msg("bad extension case %zu parsed", i);
		check_zeroed(&fp);
	}

	/* An odd cipher_suites length. */
	hello_start(&w, 0x0303, ciphers, 2);
	w.b[35] = 3; /* version 2 + random 32 + session id length 1, then u16 */
	assert_false(fp_of(&w, true, &fp));
	check_zeroed(&fp);

	/* A byte after the extensions block, or one where it should start. */
	hello_start(&w, 0x0303, ciphers, 2);
	put8(&w, 0);
	assert_false(fp_of(&w, true, &fp));
	check_zeroed(&fp);
	hello_start(&w, 0x0303, ciphers, 2);
	at = begin_len(&w, 2);
	end_len(&w, at, 2);
	put8(&w, 0);
	assert_false(fp_of(&w, true, &fp));
	check_zeroed(&fp);

	assert_false(fingerprint_client_hello(NULL, 0, true, &fp));
	check_zeroed(&fp);

	/* Documented leniency: the first of two supported_groups is the one
	 * read, the second is only framed; SNI contents are not read. */
	hello_start(&w, 0x0303, ciphers, 2);
	at = begin_len(&w, 2);
	ext_raw(&w, 0x000a, "\x00\x02\x00\x1d", 4);
	ext_raw(&w, 0x000a, "\x07", 1);
	ext_raw(&w, 0x0000, "\xff", 1);
	end_len(&w, at, 2);
	assert_true(fp_of(&w, true, &fp));
	assert_memory_equal(fp.ja4, "t12d0203", 8);
}

/* Where the extensions block starts: cut there, a ClientHello is a valid
 * one without extensions (RFC 5246 7.4.1.2). */
static size_t extensions_offset(const uint8_t *body, size_t len)
{
	struct cs_cursor c, v;

	cur_init(&c, body, len);
	assert_true(cur_skip(&c, 2 + 32) && cur_vec(&c, 1, &v) && cur_vec(&c, 2, &v) &&
		    cur_vec(&c, 1, &v));
	return cur_pos(&c);
}

/* A proper prefix of a valid message is refused, except the one that is
 * itself a hello without extensions (at *no_ext). */
static void refuse_prefix(const uint8_t *b, size_t n, void *no_ext)
{
	struct cs_fingerprint fp;

	memset(&fp, 0x55, sizeof fp);
	if (n == *(const size_t *)no_ext) {
		assert_true(fingerprint_client_hello(b, n, true, &fp));
		assert_memory_equal(fp.ja4 + 6, "00", 2); /* no extensions */
	} else {
		assert_false(fingerprint_client_hello(b, n, true, &fp));
		check_zeroed(&fp);
	}
}

/* A flipped message parses to well-formed fingerprints or is refused. */
static void parse_or_refuse(const uint8_t *b, size_t n, void *ctx)
{
	struct cs_fingerprint fp;

	(void)ctx;
	if (fingerprint_client_hello(b, n, true, &fp)) {
		assert_int_equal(strlen(fp.ja3), CS_JA3_LEN);
		assert_int_equal(strlen(fp.ja4), CS_JA4_LEN);
	} else {
		check_zeroed(&fp);
	}
}

/*
 * Every truncation (testlib's driver: each prefix in a heap block of
 * exactly its size, so that ASan sees any overread), a trailing byte, and
 * every byte flip: parsed or refused, never a crash.
 */
static void walk(const uint8_t *body, size_t len)
{
	struct cs_fingerprint fp;
	uint8_t *longer = test_malloc(len + 1);
	size_t no_ext = extensions_offset(body, len);

	tl_each_truncation(body, len, refuse_prefix, &no_ext);
	memcpy(longer, body, len);
	longer[len] = 0;
	assert_false(fingerprint_client_hello(longer, len + 1, true, &fp));
	check_zeroed(&fp);
	test_free(longer);
	tl_each_flip(body, len, parse_or_refuse, NULL);
}

static void test_every_truncation(void **state)
{
	(void)state;
	struct bytes w;

	for (size_t i = 0; i < CS_ARRAY_LEN(vectors); i++) {
		uint8_t *body = vector_body(&vectors[i]);

		walk(body, vectors[i].len);
		free(body);
	}
	build_spec_hello(&w, SPEC_GREASE);
	walk(w.b, w.n);
	build_many(&w, 150, 70, 70, 70, 20);
	walk(w.b, w.n);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_real_vectors),
		cmocka_unit_test(test_spec_example),
		cmocka_unit_test(test_grease_removed),
		cmocka_unit_test(test_no_extensions),
		cmocka_unit_test(test_alpn),
		cmocka_unit_test(test_versions),
		cmocka_unit_test(test_caps),
		cmocka_unit_test(test_malformed),
		cmocka_unit_test(test_every_truncation),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
