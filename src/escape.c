/*
 * escape.c - wire strings to JSON, terminal, CSV and HTML text (cs_escape.h).
 * Owns the UTF-8 decoder and the list of characters that must never reach
 * output raw.  Policy: decode strictly (Unicode 15 table 3-7: shortest
 * form, no surrogates, at most U+10FFFF); an invalid byte is escaped alone
 * and decoding resumes at the next byte, so every input has one output and
 * every output is valid UTF-8.  Trojan Source (CVE-2021-42574) is why bidi
 * controls are escaped everywhere, and OWASP "CSV Injection" why CSV
 * fields get a ' before a formula trigger.  HTML text is the terminal form
 * with the five characters HTML gives a meaning (& < > " ') as character
 * references (OWASP XSS Prevention Cheat Sheet, rule 1 and 2): safe in
 * element content and in a quoted attribute value alike.
 */
#include "cs_escape.h"
#include "cs_common.h"

#include <stdbool.h>
#include <stdint.h>

/* Length of the valid UTF-8 sequence at p (1..4) and its code point, or 0
 * when p[0] does not start one. */
static size_t utf8_next(const uint8_t *p, size_t n, uint32_t *cp)
{
	uint8_t b = p[0], lo = 0x80, hi = 0xbf;
	size_t len;
	uint32_t c;

	if (b < 0x80) {
		*cp = b;
		return 1;
	}
	if (b < 0xc2 || b > 0xf4) /* continuation, overlong lead, > U+10FFFF */
		return 0;
	if (b < 0xe0) {
		len = 2;
		c = b & 0x1fu;
	} else if (b < 0xf0) {
		len = 3;
		c = b & 0x0fu;
		lo = b == 0xe0 ? 0xa0 : 0x80; /* overlong */
		hi = b == 0xed ? 0x9f : 0xbf; /* surrogates */
	} else {
		len = 4;
		c = b & 0x07u;
		lo = b == 0xf0 ? 0x90 : 0x80; /* overlong */
		hi = b == 0xf4 ? 0x8f : 0xbf; /* > U+10FFFF */
	}
	if (n < len || p[1] < lo || p[1] > hi)
		return 0;
	for (size_t i = 1; i < len; i++) {
		if ((p[i] & 0xc0) != 0x80)
			return 0;
		c = c << 6 | (p[i] & 0x3fu);
	}
	*cp = c;
	return len;
}

static bool is_control(uint32_t cp) { return cp < 0x20 || (cp >= 0x7f && cp <= 0x9f); }

/* Characters that draw nothing, break the line or reorder it: the
 * Default_Ignorable_Code_Point set (Unicode 15.1 DerivedCoreProperties.txt:
 * bidi controls, zero-width characters, variation selectors, tags, Hangul
 * fillers, and the unassigned code points reserved as ignorable), the rest
 * of category Cf, Zl and Zp (U+2028, U+2029), and the noncharacters. */
static bool is_spoof(uint32_t cp)
{
	static const uint32_t ranges[][2] = {
		{0x00ad, 0x00ad},   {0x034f, 0x034f},   {0x0600, 0x0605},   {0x061c, 0x061c},
		{0x06dd, 0x06dd},   {0x070f, 0x070f},   {0x0890, 0x0891},   {0x08e2, 0x08e2},
		{0x115f, 0x1160},   {0x17b4, 0x17b5},   {0x180b, 0x180f},   {0x200b, 0x200f},
		{0x2028, 0x202e},   {0x2060, 0x206f},   {0x3164, 0x3164},   {0xfdd0, 0xfdef},
		{0xfe00, 0xfe0f},   {0xfeff, 0xfeff},   {0xffa0, 0xffa0},   {0xfff0, 0xfffb},
		{0x110bd, 0x110bd}, {0x110cd, 0x110cd}, {0x13430, 0x1343f}, {0x1bca0, 0x1bca3},
		{0x1d173, 0x1d17a}, {0xe0000, 0xe0fff},
	};

	if ((cp & 0xfffe) == 0xfffe) /* U+FFFE, U+FFFF in every plane */
		return true;
	for (size_t i = 0; i < sizeof ranges / sizeof ranges[0]; i++)
		if (cp >= ranges[i][0] && cp <= ranges[i][1])
			return true;
	return false;
}

/* ---- JSON ------------------------------------------------------------------ */

static void json_u(FILE *f, uint32_t cp)
{
	if (cp > 0xffff) { /* RFC 8259 7: a UTF-16 surrogate pair */
		cp -= 0x10000;
		fprintf(f, "\\u%04x\\u%04x", (unsigned)(0xd800 + (cp >> 10)),
			(unsigned)(0xdc00 + (cp & 0x3ff)));
	} else {
		fprintf(f, "\\u%04x", (unsigned)cp);
	}
}

/* A character and the text that stands for it in an output format. */
struct char_ref {
	char c;
	const char *text;
};

/* RFC 8259 7: the two-character escapes JSON has. */
static const struct char_ref json_refs[] = {
	{'"', "\\\""}, {'\\', "\\\\"}, {'\b', "\\b"}, {'\f', "\\f"},
	{'\n', "\\n"}, {'\r', "\\r"},  {'\t', "\\t"},
};

/* The characters HTML gives a meaning to, as character references. */
static const struct char_ref html_refs[] = {
	{'&', "&amp;"}, {'<', "&lt;"}, {'>', "&gt;"}, {'"', "&quot;"}, {'\'', "&#39;"},
};

/* The text standing for cp in refs[0..n), or NULL. */
static const char *char_ref(const struct char_ref *refs, size_t n, uint32_t cp)
{
	for (size_t i = 0; i < n; i++)
		if ((uint32_t)(unsigned char)refs[i].c == cp)
			return refs[i].text;
	return NULL;
}

static void json_char(FILE *f, uint32_t cp)
{
	const char *ref = char_ref(json_refs, CS_ARRAY_LEN(json_refs), cp);

	if (ref)
		fputs(ref, f);
	else
		json_u(f, cp);
}

void esc_json(FILE *f, const char *s, size_t n)
{
	const uint8_t *p = (const uint8_t *)s;
	uint32_t cp;
	size_t len;

	size_t run = 0; /* start of the bytes that go out as they are */

	fputc('"', f);
	for (size_t i = 0; i < n; i += len) {
		len = 1;
		if (p[i] >= 0x20 && p[i] < 0x7f && p[i] != '"' && p[i] != '\\')
			continue; /* printable ASCII, the common case: no decoding */
		len = utf8_next(p + i, n - i, &cp);
		if (len != 0 && !is_control(cp) && !is_spoof(cp) && cp != '"' && cp != '\\')
			continue;
		fwrite(p + run, 1, i - run, f);
		if (len == 0) {
			json_u(f, p[i]); /* invalid byte: read back as U+00XX */
			len = 1;
		} else {
			json_char(f, cp);
		}
		run = i + len;
	}
	fwrite(p + run, 1, n - run, f);
	fputc('"', f);
}

/* ---- terminal and CSV ------------------------------------------------------ */

/* Whether the text written for the character at p (n bytes left) starts
 * with '\\', 'x' or 'u', so that a backslash before it must be doubled. */
static bool escape_follows(const uint8_t *p, size_t n)
{
	uint32_t cp;
	size_t len;

	if (n == 0)
		return false;
	len = utf8_next(p, n, &cp);
	return len == 0 || is_control(cp) || is_spoof(cp) || cp == '\\' || cp == 'x' || cp == 'u';
}

enum term_mode { TERM_PLAIN, TERM_CSV, TERM_HTML };

/* esc_term's mapping; for CSV '"' is doubled as well, for HTML & < > " '
 * become references (the escapes themselves hold none of them). */
static void term_body(FILE *f, const uint8_t *p, size_t n, enum term_mode mode)
{
	uint32_t cp;
	size_t len;
	const char *ref;

	for (size_t i = 0; i < n; i += len) {
		len = utf8_next(p + i, n - i, &cp);
		if (len == 0 || is_control(cp)) {
			len = len ? len : 1; /* C1 controls: both bytes */
			for (size_t k = 0; k < len; k++)
				fprintf(f, "\\x%02x", (unsigned)p[i + k]);
		} else if (is_spoof(cp)) {
			fprintf(f, "\\u{%04X}", (unsigned)cp);
		} else if (cp == '\\' && escape_follows(p + i + 1, n - i - 1)) {
			fputs("\\\\", f); /* \\ before what reads as an escape */
		} else if (mode == TERM_CSV && cp == '"') {
			fputs("\"\"", f);
		} else if (mode == TERM_HTML &&
			   (ref = char_ref(html_refs, CS_ARRAY_LEN(html_refs), cp))) {
			fputs(ref, f);
		} else {
			fwrite(p + i, 1, len, f);
		}
	}
}

void esc_term(FILE *f, const char *s, size_t n) { term_body(f, (const uint8_t *)s, n, TERM_PLAIN); }

void esc_csv(FILE *f, const char *s, size_t n)
{
	fputc('"', f);
	if (n > 0 && (s[0] == '=' || s[0] == '+' || s[0] == '-' || s[0] == '@' || s[0] == '\t' ||
		      s[0] == '\r' || s[0] == '\''))
		fputc('\'', f);
	term_body(f, (const uint8_t *)s, n, TERM_CSV);
	fputc('"', f);
}

void esc_html(FILE *f, const char *s, size_t n) { term_body(f, (const uint8_t *)s, n, TERM_HTML); }

bool esc_utf8_valid(const char *s, size_t n)
{
	uint32_t cp;
	size_t len;

	for (size_t i = 0; i < n; i += len)
		if ((len = utf8_next((const uint8_t *)s + i, n - i, &cp)) == 0)
			return false;
	return true;
}
