/*
 * cs_common.h - small value types shared by every stage of chainsniff.
 * cs_status steers control flow; findings about the traffic are counters
 * and problem codes, never statuses.  Times are nanoseconds since the Unix
 * epoch (UTC) as a signed 64-bit integer: good until 2262.
 */
#ifndef CS_COMMON_H
#define CS_COMMON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum cs_status {
	CS_OK = 0,
	CS_MORE,        /* need more bytes before this unit can be parsed */
	CS_EOF,         /* clean end of input */
	CS_TRUNC,       /* input ended inside a unit (truncated file or packet) */
	CS_BAD,         /* malformed input */
	CS_LIMIT,       /* a configured cap was hit (counted by the caller) */
	CS_NOMEM,       /* the system refused memory */
	CS_IO,          /* an operating-system error (errno is meaningful) */
	CS_UNSUPPORTED, /* well-formed but not something we decode */
};

/* A borrowed run of bytes; the owner is whoever handed it out. */
struct cs_slice {
	const uint8_t *p;
	size_t n;
};

#define CS_NS_PER_SEC 1000000000LL

/* Sizes many modules repeat (formats, not caps: those are in cs_limits.h).
 * A text buffer for one of them is [2 * CS_SHA256_LEN + 1] or
 * [CS_JA3_LEN + 1]: the digits and the NUL. */
#define CS_SHA256_LEN 32 /* a SHA-256 digest: certificate and chain ids */
#define CS_JA3_LEN 32    /* JA3: lowercase hex MD5 */
#define CS_JA4_LEN 36    /* JA4, e.g. t13d1516h2_8daaf6152771_e5627efa2ab1 */

/* An IPv4 address is kept as ::ffff:a.b.c.d so that keys are uniform. */
struct cs_addr {
	uint8_t family; /* 4 or 6 */
	uint8_t a[16];
};

#define CS_ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))

#endif
