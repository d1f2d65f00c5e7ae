/*
 * codec.c - lowercase hex and RFC 4648 base64 (cs_codec.h).
 * Owns nothing.  Decoders take a length and never read past it: state files
 * and merged reports hold JSON strings with NULs allowed inside.
 */
#include "cs_codec.h"

#include <stdlib.h>

static const char hex_digits[] = "0123456789abcdef";
static const char b64_alphabet[] =
	"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

void hex_lower(const uint8_t *b, size_t n, char *out)
{
	for (size_t i = 0; i < n; i++) {
		out[2 * i] = hex_digits[b[i] >> 4];
		out[2 * i + 1] = hex_digits[b[i] & 15];
	}
	out[2 * n] = '\0';
}

bool hex_parse_lower(const char *s, size_t n, uint8_t *out, size_t len)
{
	if (n != 2 * len)
		return false;
	for (size_t i = 0; i < n; i++) {
		char c = s[i];
		unsigned v = c >= '0' && c <= '9'   ? (unsigned)(c - '0')
			     : c >= 'a' && c <= 'f' ? (unsigned)(c - 'a' + 10)
						    : 16;

		if (v == 16)
			return false;
		if (i % 2 == 0)
			out[i / 2] = (uint8_t)(v << 4);
		else
			out[i / 2] |= (uint8_t)v;
	}
	return true;
}

size_t b64_len(size_t n)
{
	if (n > (SIZE_MAX - 1) / 4 * 3 - 3)
		return SIZE_MAX;
	return (n + 2) / 3 * 4;
}

void b64_encode_buf(const uint8_t *p, size_t n, char *out)
{
	for (size_t i = 0; i < n; i += 3) {
		uint32_t v = (uint32_t)p[i] << 16 | (i + 1 < n ? (uint32_t)p[i + 1] << 8 : 0) |
			     (i + 2 < n ? p[i + 2] : 0);

		*out++ = b64_alphabet[v >> 18 & 63];
		*out++ = b64_alphabet[v >> 12 & 63];
		*out++ = i + 1 < n ? b64_alphabet[v >> 6 & 63] : '=';
		*out++ = i + 2 < n ? b64_alphabet[v & 63] : '=';
	}
	*out = '\0';
}

char *b64_encode(const uint8_t *p, size_t n)
{
	size_t len = b64_len(n);
	char *s = len == SIZE_MAX ? NULL : malloc(len + 1);

	if (s)
		b64_encode_buf(p, n, s);
	return s;
}

bool b64_write(FILE *f, const uint8_t *p, size_t n)
{
	char buf[4 * 256 + 1];

	/* whole groups of three bytes, so only the last chunk is padded */
	for (size_t i = 0; i < n; i += 3 * 256) {
		size_t k = n - i < 3 * 256 ? n - i : 3 * 256;

		b64_encode_buf(p + i, k, buf);
		if (fwrite(buf, 1, b64_len(k), f) != b64_len(k))
			return false;
	}
	return true;
}

static int b64_val(unsigned char c)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	return c == '+' ? 62 : c == '/' ? 63 : -1;
}

/* RFC 4648 4, canonical form only (3.5: pad bits zero). */
bool b64_decode(const char *s, size_t n, uint8_t *out, size_t cap, size_t *outlen)
{
	size_t o = 0;

	*outlen = 0;
	if (n % 4)
		return false;
	for (size_t i = 0; i < n; i += 4) {
		uint32_t w = 0;
		size_t pad = 0;

		for (size_t k = 0; k < 4; k++) {
			int v;

			if (s[i + k] == '=' && i + 4 == n && k >= 2) {
				pad++;
				w <<= 6;
				continue;
			}
			v = b64_val((unsigned char)s[i + k]);
			if (v < 0 || pad)
				return false;
			w = w << 6 | (uint32_t)v;
		}
		if ((pad == 2 && (w & 0xffff)) || (pad == 1 && (w & 0xff)) || o + 3 - pad > cap)
			return false;
		out[o++] = (uint8_t)(w >> 16);
		if (pad < 2)
			out[o++] = (uint8_t)(w >> 8);
		if (pad < 1)
			out[o++] = (uint8_t)w;
	}
	*outlen = o;
	return true;
}
