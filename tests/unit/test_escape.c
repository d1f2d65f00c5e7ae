/*
 * test_escape.c - wire strings to JSON, terminal, CSV and HTML text.
 * Hand-written cases for each rule, then properties over every byte, every
 * byte pair and many random strings: the output is always valid UTF-8,
 * the JSON always parses, the HTML holds no raw & < > " ' (only the five
 * references), and the terminal, CSV and HTML forms decode back to
 * the exact input (so the mapping is unambiguous).  The checkers here are
 * written independently of escape.c.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cs_escape.h"

struct out {
	char *p;
	size_t n;
};

static struct out run(void (*fn)(FILE *, const char *, size_t), const void *s, size_t n)
{
	struct out o = {NULL, 0};
	FILE *f = open_memstream(&o.p, &o.n);

	assert_non_null(f);
	fn(f, s, n);
	assert_false(ferror(f));
	assert_int_equal(fclose(f), 0);
	return o;
}

/* Compare the escape of a C string literal (sizeof - 1 keeps NULs). */
#define EXPECT(fn, in, want) expect_out(fn, in, sizeof(in) - 1, want, sizeof(want) - 1)

static void expect_out(void (*fn)(FILE *, const char *, size_t), const char *in, size_t n,
		       const char *want, size_t wn)
{
	struct out o = run(fn, in, n);

	if (o.n != wn || memcmp(o.p, want, wn) != 0)
		fail_msg("got [%.*s] want [%.*s]", (int)o.n, o.p, (int)wn, want);
	free(o.p);
}

/* ---- independent checkers ---------------------------------------------- */

/* Decode one strict UTF-8 sequence: greedy by lead bits, then reject by
 * value (overlong, surrogate, too large).  Length or 0. */
static size_t t_utf8(const uint8_t *p, size_t n, uint32_t *cp)
{
	size_t len = p[0] < 0x80             ? 1
		     : (p[0] & 0xe0) == 0xc0 ? 2
		     : (p[0] & 0xf0) == 0xe0 ? 3
		     : (p[0] & 0xf8) == 0xf0 ? 4
					     : 0;
	static const uint32_t min[] = {0, 0, 0x80, 0x800, 0x10000};
	uint32_t c;

	if (len == 0 || len > n)
		return 0;
	c = len == 1 ? p[0] : p[0] & (0x7fu >> len);
	for (size_t i = 1; i < len; i++) {
		if ((p[i] & 0xc0) != 0x80)
			return 0;
		c = c << 6 | (p[i] & 0x3fu);
	}
	if (c < min[len] || c > 0x10ffff || (c >= 0xd800 && c <= 0xdfff))
		return 0;
	*cp = c;
	return len;
}

static bool t_valid_utf8(const char *s, size_t n)
{
	uint32_t cp;

	for (size_t i = 0, len; i < n; i += len)
		if ((len = t_utf8((const uint8_t *)s + i, n - i, &cp)) == 0)
			return false;
	return true;
}

static size_t t_put_utf8(uint32_t c, uint8_t *o)
{
	if (c < 0x80) {
		o[0] = (uint8_t)c;
		return 1;
	}
	if (c < 0x800) {
		o[0] = (uint8_t)(0xc0 | c >> 6);
		o[1] = (uint8_t)(0x80 | (c & 0x3f));
		return 2;
	}
	if (c < 0x10000) {
		o[0] = (uint8_t)(0xe0 | c >> 12);
		o[1] = (uint8_t)(0x80 | (c >> 6 & 0x3f));
		o[2] = (uint8_t)(0x80 | (c & 0x3f));
		return 3;
	}
	o[0] = (uint8_t)(0xf0 | c >> 18);
	o[1] = (uint8_t)(0x80 | (c >> 12 & 0x3f));
	o[2] = (uint8_t)(0x80 | (c >> 6 & 0x3f));
	o[3] = (uint8_t)(0x80 | (c & 0x3f));
	return 4;
}

/* Characters that must never be raw in terminal or CSV output. */
static bool t_dangerous(uint32_t c)
{
	return c < 0x20 || (c >= 0x7f && c <= 0x9f) || (c >= 0x2028 && c <= 0x202e) ||
	       (c >= 0x2066 && c <= 0x2069) || (c >= 0x200b && c <= 0x200f) || c == 0xfeff ||
	       c == 0x061c || (c >= 0xfe00 && c <= 0xfe0f) || (c >= 0xe0000 && c <= 0xe0fff) ||
	       (c & 0xfffe) == 0xfffe;
}

static int t_hex(int ch)
{
	if (ch >= '0' && ch <= '9')
		return ch - '0';
	if (ch >= 'a' && ch <= 'f')
		return ch - 'a' + 10;
	if (ch >= 'A' && ch <= 'F')
		return ch - 'A' + 10;
	return -1;
}

/* Parse a JSON string (RFC 8259 7) into UTF-8 bytes in dec (n + 1 bytes
 * of room suffice since every escape is longer than what it decodes to).
 * false when it is not exactly one valid JSON string. */
static bool t_json_decode(const char *s, size_t n, uint8_t *dec, size_t *dn)
{
	size_t i = 1, o = 0;

	if (!t_valid_utf8(s, n) || n < 2 || s[0] != '"' || s[n - 1] != '"')
		return false;
	while (i < n - 1) {
		uint8_t ch = (uint8_t)s[i++];
		uint32_t u = 0, lo = 0;

		if (ch == '"' || ch < 0x20)
			return false;
		if (ch != '\\') {
			dec[o++] = ch;
			continue;
		}
		if (i >= n - 1)
			return false;
		ch = (uint8_t)s[i++];
		if (strchr("\"\\/bfnrt", ch) != NULL && ch != '\0') {
			dec[o++] = (uint8_t)(ch == 'b'   ? '\b'
					     : ch == 'f' ? '\f'
					     : ch == 'n' ? '\n'
					     : ch == 'r' ? '\r'
					     : ch == 't' ? '\t'
							 : ch);
			continue;
		}
		if (ch != 'u' || i + 4 > n - 1)
			return false;
		for (int k = 0; k < 4; k++) {
			int h = t_hex(s[i++]);
			if (h < 0)
				return false;
			u = u << 4 | (uint32_t)h;
		}
		if (u >= 0xdc00 && u <= 0xdfff)
			return false; /* lone low surrogate */
		if (u >= 0xd800 && u <= 0xdbff) {
			if (i + 6 > n - 1 || s[i] != '\\' || s[i + 1] != 'u')
				return false;
			i += 2;
			for (int k = 0; k < 4; k++) {
				int h = t_hex(s[i++]);
				if (h < 0)
					return false;
				lo = lo << 4 | (uint32_t)h;
			}
			if (lo < 0xdc00 || lo > 0xdfff)
				return false;
			u = 0x10000 + ((u - 0xd800) << 10) + (lo - 0xdc00);
		}
		o += t_put_utf8(u, dec + o);
	}
	*dn = o;
	return true;
}

/* Undo esc_term: \\ -> \, \xNN -> byte, \u{X} -> UTF-8, any other \ is
 * itself; raw text must be valid UTF-8 with nothing dangerous.  With csv,
 * "" -> " (a lone " fails). */
static bool t_term_decode(const char *s, size_t n, bool csv, uint8_t *dec, size_t *dn)
{
	size_t i = 0, o = 0, len;
	uint32_t cp;

	while (i < n) {
		if ((len = t_utf8((const uint8_t *)s + i, n - i, &cp)) == 0 || t_dangerous(cp))
			return false;
		if (csv && cp == '"') {
			if (i + 1 >= n || s[i + 1] != '"')
				return false;
			dec[o++] = '"';
			i += 2;
		} else if (cp != '\\') {
			memcpy(dec + o, s + i, len);
			o += len;
			i += len;
		} else if (i + 1 < n && s[i + 1] == '\\') {
			dec[o++] = '\\';
			i += 2;
		} else if (i + 3 < n && s[i + 1] == 'x' && t_hex(s[i + 2]) >= 0 &&
			   t_hex(s[i + 3]) >= 0) {
			dec[o++] = (uint8_t)(t_hex(s[i + 2]) << 4 | t_hex(s[i + 3]));
			i += 4;
		} else if (i + 2 < n && s[i + 1] == 'u' && s[i + 2] == '{') {
			uint32_t u = 0;
			size_t k = i + 3;

			while (k < n && t_hex(s[k]) >= 0 && k - i < 12)
				u = u << 4 | (uint32_t)t_hex(s[k++]);
			if (k == i + 3 || k >= n || s[k] != '}' || u > 0x10ffff)
				return false;
			o += t_put_utf8(u, dec + o);
			i = k + 1;
		} else if (i + 1 < n && (s[i + 1] == 'x' || s[i + 1] == 'u')) {
			return false; /* a lone \ is never written before x or u */
		} else {
			dec[o++] = '\\';
			i++;
		}
	}
	*dn = o;
	return true;
}

static bool t_csv_decode(const char *s, size_t n, uint8_t *dec, size_t *dn)
{
	if (n < 2 || s[0] != '"' || s[n - 1] != '"')
		return false;
	s++;
	n -= 2;
	if (n > 0 && s[0] == '\'') { /* the formula guard */
		s++;
		n--;
	}
	return t_term_decode(s, n, true, dec, dn);
}

/* Undo the HTML references: the five esc_html writes, nothing else; a raw
 * < > " ' or any other & fails (an HTML parser would read markup). */
static bool t_html_unref(const char *s, size_t n, char *dec, size_t *dn)
{
	static const char *const refs[] = {"&amp;", "&lt;", "&gt;", "&quot;", "&#39;"};
	static const char chars[] = "&<>\"'";
	size_t o = 0;

	for (size_t i = 0; i < n;) {
		size_t k;

		if (strchr("<>\"'", s[i]) && s[i]) {
			return false;
		} else if (s[i] != '&') {
			dec[o++] = s[i++];
			continue;
		}
		for (k = 0;
		     k < 5 && (n - i < strlen(refs[k]) || memcmp(s + i, refs[k], strlen(refs[k])));
		     k++)
			;
		if (k == 5)
			return false;
		dec[o++] = chars[k];
		i += strlen(refs[k]);
	}
	*dn = o;
	return true;
}

/* Every property for one input. */
static void check_all(const uint8_t *in, size_t n)
{
	struct out o;
	uint8_t *dec = malloc(4 * n + 8);
	size_t dn = 0;

	assert_non_null(dec);
	o = run(esc_json, in, n);
	if (!t_json_decode(o.p, o.n, dec, &dn))
		fail_msg("bad JSON for input of %zu bytes: %.*s", n, (int)o.n, o.p);
	if (t_valid_utf8((const char *)in, n))
		assert_true(dn == n && memcmp(dec, in, n) == 0);
	free(o.p);

	o = run(esc_term, in, n);
	if (!t_term_decode(o.p, o.n, false, dec, &dn) || dn != n || memcmp(dec, in, n) != 0)
		fail_msg("term does not round-trip: %.*s", (int)o.n, o.p);
	free(o.p);

	o = run(esc_csv, in, n);
	if (!t_csv_decode(o.p, o.n, dec, &dn) || dn != n || memcmp(dec, in, n) != 0)
		fail_msg("csv does not round-trip: %.*s", (int)o.n, o.p);
	assert_null(memchr("=+-@", o.p[1], 4));
	free(o.p);

	o = run(esc_html, in, n);
	{
		char *raw = malloc(o.n + 1);
		size_t rn = 0;

		assert_non_null(raw);
		if (!t_html_unref(o.p, o.n, raw, &rn) || !t_term_decode(raw, rn, false, dec, &dn) ||
		    dn != n || memcmp(dec, in, n) != 0)
			fail_msg("html does not round-trip: %.*s", (int)o.n, o.p);
		free(raw);
	}
	free(o.p);
	free(dec);
}

/* ---- JSON ------------------------------------------------------------------ */

static void test_json_cases(void **state)
{
	(void)state;
	EXPECT(esc_json, "", "\"\"");
	EXPECT(esc_json, "plain.example", "\"plain.example\"");
	EXPECT(esc_json, "a\"b\\c/d", "\"a\\\"b\\\\c/d\"");
	EXPECT(esc_json, "\b\f\n\r\t", "\"\\b\\f\\n\\r\\t\"");
	EXPECT(esc_json, "a\0b", "\"a\\u0000b\"");
	EXPECT(esc_json, "\x1b[2J\x7f", "\"\\u001b[2J\\u007f\"");
	EXPECT(esc_json, "caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80",
	       "\"caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80\"");
	EXPECT(esc_json, "\xc2\x85", "\"\\u0085\"");                        /* C1 NEL */
	EXPECT(esc_json, "\xe2\x80\xa8\xe2\x80\xa9", "\"\\u2028\\u2029\""); /* JS line breaks */
	EXPECT(esc_json, "\xe2\x80\xae", "\"\\u202e\"");                    /* RLO */
	EXPECT(esc_json, "\xf3\xa0\x80\x81", "\"\\udb40\\udc01\"");         /* U+E0001 tag */
}

static void test_json_invalid_utf8(void **state)
{
	(void)state;
	EXPECT(esc_json, "\xff", "\"\\u00ff\"");
	EXPECT(esc_json, "\x80", "\"\\u0080\"");                       /* lone continuation */
	EXPECT(esc_json, "\xc0\xaf", "\"\\u00c0\\u00af\"");            /* overlong '/' */
	EXPECT(esc_json, "\xe0\x80\xaf", "\"\\u00e0\\u0080\\u00af\""); /* overlong, 3 bytes */
	EXPECT(esc_json, "\xed\xa0\x80", "\"\\u00ed\\u00a0\\u0080\""); /* surrogate D800 */
	EXPECT(esc_json, "\xf4\x90\x80\x80", "\"\\u00f4\\u0090\\u0080\\u0080\""); /* 110000 */
	EXPECT(esc_json, "\xe2\x82", "\"\\u00e2\\u0082\"");                       /* truncated */
	EXPECT(esc_json,
	       "\xe2\x82"
	       "a",
	       "\"\\u00e2\\u0082a\""); /* resumes */
	EXPECT(esc_json,
	       "\xc3"
	       "\xc3\xa9",
	       "\"\\u00c3\xc3\xa9\""); /* bad lead, good char */
	/* the largest and smallest of each length stay raw */
	EXPECT(esc_json, "\xc2\xa0\xdf\xbf\xe0\xa0\x80\xef\xbf\xbd\xf0\x90\x80\x80\xf4\x8f\xbf\xbd",
	       "\"\xc2\xa0\xdf\xbf\xe0\xa0\x80\xef\xbf\xbd\xf0\x90\x80\x80\xf4\x8f\xbf\xbd\"");
}

/* Alone, byte b is either ASCII or invalid: either way JSON reads U+00XX. */
static void test_json_every_byte(void **state)
{
	(void)state;
	for (unsigned b = 0; b < 256; b++) {
		uint8_t in = (uint8_t)b, dec[8];
		struct out o = run(esc_json, &in, 1);
		size_t dn;
		uint32_t cp;

		assert_true(t_json_decode(o.p, o.n, dec, &dn));
		assert_int_equal(t_utf8(dec, dn, &cp), dn);
		assert_int_equal(cp, b);
		free(o.p);
	}
}

/* ---- terminal ---------------------------------------------------------- */

static void test_term_cases(void **state)
{
	(void)state;
	EXPECT(esc_term, "", "");
	EXPECT(esc_term, "www.example.com:443", "www.example.com:443");
	EXPECT(esc_term, "C:\\x41", "C:\\\\x41"); /* the input text \x41 stays distinct */
	EXPECT(esc_term, "O=Acme\\, Inc.\\", "O=Acme\\, Inc.\\"); /* once, not \\\\, */
	EXPECT(esc_term, "\\\x01\\u", "\\\\\\x01\\\\u");
	EXPECT(esc_term, "\x1b]0;pwned\x07", "\\x1b]0;pwned\\x07");
	EXPECT(esc_term, "a\r\nb\0c\x7f", "a\\x0d\\x0ab\\x00c\\x7f");
	EXPECT(esc_term,
	       "\xc2\x9b"
	       "31m",
	       "\\xc2\\x9b31m"); /* C1 CSI, both bytes */
	EXPECT(esc_term, "caf\xc3\xa9 \xe6\x97\xa5\xe6\x9c\xac",
	       "caf\xc3\xa9 \xe6\x97\xa5\xe6\x9c\xac");
	EXPECT(esc_term, "\xff\xc0\x80\xed\xbf\xbf", "\\xff\\xc0\\x80\\xed\\xbf\\xbf");
	EXPECT(esc_term, "\xe2\x80\x8b\xef\xbb\xbf\xc2\xad", "\\u{200B}\\u{FEFF}\\u{00AD}");
	EXPECT(esc_term, "\xe2\x80\xa8", "\\u{2028}");
	EXPECT(esc_term, "\xf3\xa0\x81\x81", "\\u{E0041}"); /* tag 'A' */
}

/* Trojan Source: every bidi embedding, override and isolate is shown. */
static void test_term_bidi(void **state)
{
	(void)state;
	static const uint32_t bidi[] = {0x061c, 0x200e, 0x200f, 0x202a, 0x202b, 0x202c,
					0x202d, 0x202e, 0x2066, 0x2067, 0x2068, 0x2069};

	for (size_t i = 0; i < sizeof bidi / sizeof bidi[0]; i++) {
		uint8_t in[8];
		char want[16];
		size_t n = t_put_utf8(bidi[i], in);

		snprintf(want, sizeof want, "\\u{%04X}", (unsigned)bidi[i]);
		expect_out(esc_term, (const char *)in, n, want, strlen(want));
	}
	/* "admin" reversed on screen: "\u{202E}nimda.example" is what appears */
	EXPECT(esc_term,
	       "\xe2\x80\xae"
	       "nimda.example",
	       "\\u{202E}nimda.example");
	EXPECT(esc_csv,
	       "\xe2\x81\xa6"
	       "x",
	       "\"\\u{2066}x\"");
}

/* ---- CSV ----------------------------------------------------------------- */

static void test_csv_cases(void **state)
{
	(void)state;
	EXPECT(esc_csv, "", "\"\"");
	EXPECT(esc_csv, "Acme, Inc.", "\"Acme, Inc.\"");
	EXPECT(esc_csv, "say \"hi\"", "\"say \"\"hi\"\"\"");
	EXPECT(esc_csv, "a\r\nb", "\"a\\x0d\\x0ab\"");
	EXPECT(esc_csv, "a\0b\\", "\"a\\x00b\\\"");
	/* a distinguished name is escaped once */
	EXPECT(esc_csv, "O=DigiCert\\, Inc.", "\"O=DigiCert\\, Inc.\"");
	EXPECT(esc_csv, "\\\\x", "\"\\\\\\\\x\"");
	EXPECT(esc_csv, "caf\xc3\xa9\xff", "\"caf\xc3\xa9\\xff\"");
}

static void test_csv_formula(void **state)
{
	(void)state;
	EXPECT(esc_csv, "=HYPERLINK(\"http://x\")", "\"'=HYPERLINK(\"\"http://x\"\")\"");
	EXPECT(esc_csv, "+1", "\"'+1\"");
	EXPECT(esc_csv, "-1", "\"'-1\"");
	EXPECT(esc_csv, "@SUM(A1)", "\"'@SUM(A1)\"");
	EXPECT(esc_csv, "\t=1", "\"'\\x09=1\"");
	EXPECT(esc_csv, "\r=1", "\"'\\x0d=1\"");
	EXPECT(esc_csv, "'quoted", "\"''quoted\""); /* stays distinct from "quoted" */
	EXPECT(esc_csv, "a=1", "\"a=1\"");          /* only the first byte counts */
	EXPECT(esc_csv, " =1", "\" =1\"");
}

/* ---- HTML ---------------------------------------------------------------- */

static void test_html_cases(void **state)
{
	(void)state;
	EXPECT(esc_html, "", "");
	EXPECT(esc_html, "www.example.com", "www.example.com");
	EXPECT(esc_html, "<script>alert(1)</script>", "&lt;script&gt;alert(1)&lt;/script&gt;");
	EXPECT(esc_html, "\"onerror=alert(1) x='", "&quot;onerror=alert(1) x=&#39;");
	EXPECT(esc_html, "AT&T &amp;",
	       "AT&amp;T &amp;amp;"); /* a reference in the input stays text */
	EXPECT(esc_html, "O=Acme\\, Inc.", "O=Acme\\, Inc.");
	/* shown as the terminal shows them, never obeyed */
	EXPECT(esc_html,
	       "\xe2\x80\xae"
	       "gpj.exe",
	       "\\u{202E}gpj.exe");
	EXPECT(esc_html, "bad\xff\xfe<", "bad\\xff\\xfe&lt;");
	EXPECT(esc_html, "a\r\nb\0", "a\\x0d\\x0ab\\x00");
	EXPECT(esc_html,
	       "b\xc3\xbc"
	       "cher",
	       "b\xc3\xbc"
	       "cher");
}

/* ---- properties over all inputs ------------------------------------------ */

static void test_every_byte(void **state)
{
	(void)state;
	for (unsigned b = 0; b < 256; b++) {
		uint8_t in = (uint8_t)b;

		check_all(&in, 1);
	}
	check_all((const uint8_t *)"", 0);
}

static void test_every_pair(void **state)
{
	(void)state;
	for (unsigned v = 0; v < 65536; v++) {
		uint8_t in[2] = {(uint8_t)(v >> 8), (uint8_t)v};

		check_all(in, 2);
	}
}

/* Random strings over an alphabet of boundary bytes, so that valid and
 * broken multi-byte sequences, escapes and quotes collide often. */
static void test_random(void **state)
{
	(void)state;
	static const uint8_t alpha[] = {0x00, 0x09, 0x0a, 0x0d, 0x1b, '"',  '\'', '=',  '\\',
					'x',  'u',  '{',  '}',  'a',  0x7f, 0x80, 0x8f, 0x90,
					0x9f, 0xa0, 0xad, 0xbf, 0xc0, 0xc2, 0xdf, 0xe0, 0xe2,
					0xed, 0xef, 0xf0, 0xf3, 0xf4, 0xf5, 0xff};
	uint32_t seed = 12345;

	for (int it = 0; it < 50000; it++) {
		uint8_t in[12];
		size_t n;

		seed = seed * 1103515245u + 12345u;
		n = (seed >> 16) % sizeof in;
		for (size_t i = 0; i < n; i++) {
			seed = seed * 1103515245u + 12345u;
			in[i] = alpha[(seed >> 16) % sizeof alpha];
		}
		check_all(in, n);
	}
}

/* Every code point, encoded validly: JSON copies or escapes it losslessly,
 * and terminal and CSV output never carry a dangerous one raw. */
static void test_every_code_point(void **state)
{
	(void)state;
	for (uint32_t c = 0; c <= 0x10ffff; c++) {
		uint8_t in[4];

		if (c >= 0xd800 && c <= 0xdfff)
			continue;
		if (c % 61 != 0 && c > 0x3000 && c < 0xe0000 && (c & 0xfff0) != 0xfff0)
			continue; /* sample the quiet middle to keep the test quick */
		check_all(in, t_put_utf8(c, in));
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_json_cases),      cmocka_unit_test(test_json_invalid_utf8),
		cmocka_unit_test(test_json_every_byte), cmocka_unit_test(test_term_cases),
		cmocka_unit_test(test_term_bidi),       cmocka_unit_test(test_csv_cases),
		cmocka_unit_test(test_csv_formula),     cmocka_unit_test(test_html_cases),
		cmocka_unit_test(test_every_byte),      cmocka_unit_test(test_every_pair),
		cmocka_unit_test(test_random),          cmocka_unit_test(test_every_code_point),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
