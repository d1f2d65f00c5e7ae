/*
 * cs_codec.h - lowercase hex and RFC 4648 base64, both ways.
 *
 * Encoders write what reports and file names need: hex of digests
 * (SHA-256 of chains and certificates, JA3/JA4, the trust-store digest),
 * base64 of DER, client-set registers and non-UTF-8 SNIs.  Decoders read
 * state files and merged reports, which are hostile: they accept only the
 * canonical form the encoders write (lowercase hex of an exact length;
 * base64 with padding, no whitespace, no base64url, pad bits zero, RFC 4648
 * 3.5), so a value has one spelling and a parse never allocates.
 */
#ifndef CS_CODEC_H
#define CS_CODEC_H

#include <stdio.h>

#include "cs_common.h"

/* Lowercase hex of n bytes into out (2n+1 bytes, NUL-terminated). */
void hex_lower(const uint8_t *b, size_t n, char *out);
/* Exactly 2*len lowercase hex digits (s need not be NUL-terminated) into
 * out[len]; false on any other character or length. */
bool hex_parse_lower(const char *s, size_t n, uint8_t *out, size_t len);

/* Characters in the base64 of n bytes (no NUL); SIZE_MAX when too large
 * to hold. */
size_t b64_len(size_t n);
/* Base64 of n bytes into out (b64_len(n) + 1 bytes, NUL-terminated). */
void b64_encode_buf(const uint8_t *p, size_t n, char *out);
/* The same, malloc'd; NULL when out of memory. */
char *b64_encode(const uint8_t *p, size_t n);
/* The same, written to f; false on a write error. */
bool b64_write(FILE *f, const uint8_t *p, size_t n);
/* Strict base64 (above) of n characters into out: false when malformed
 * or longer than cap bytes.  *outlen is the decoded length (0 on failure). */
bool b64_decode(const char *s, size_t n, uint8_t *out, size_t cap, size_t *outlen);

#endif
