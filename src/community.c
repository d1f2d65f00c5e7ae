/*
 * community.c - the Community ID v1 flow hash (cs_community.h).
 * Owns nothing.  SHA-1 is libcrypto's; the hashed tuple is laid out here
 * byte by byte as the spec's pseudo code does (seed, ordered addresses,
 * proto, a zero pad byte, ordered ports), at most 2+16+16+2+4 bytes.
 * libcrypto 3.0 allocates its digest context on every EVP_DigestInit, so
 * one ID costs one small allocation inside libcrypto (none of ours).
 */
#include "cs_community.h"
#include "cs_codec.h"

#include <openssl/evp.h>
#include <string.h>

/* The address as the spec hashes it: 4 bytes for IPv4, 16 for IPv6. */
static const uint8_t *addr_bytes(const struct cs_addr *a, size_t *n)
{
	*n = a->family == 4 ? 4 : 16;
	return a->family == 4 ? a->a + 12 : a->a;
}

static void put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

bool community_id_v1(uint16_t seed, uint8_t proto, const struct cs_addr *a, uint16_t pa,
		     const struct cs_addr *b, uint16_t pb, char out[CS_COMMUNITY_ID_LEN])
{
	uint8_t buf[2 + 16 + 16 + 2 + 4], md[EVP_MAX_MD_SIZE];
	const uint8_t *x, *y;
	size_t n, nb, len = 0;
	unsigned mdlen = 0;
	int c;

	out[0] = '\0';
	x = addr_bytes(a, &n);
	y = addr_bytes(b, &nb);
	if (n != nb)
		return false;
	/* the smaller (address, port) endpoint first; equal addresses: ports decide */
	c = memcmp(x, y, n);
	if (c > 0 || (c == 0 && pa > pb)) {
		const uint8_t *t = x;
		uint16_t tp = pa;

		x = y, y = t;
		pa = pb, pb = tp;
	}
	put16(buf, seed);
	len = 2;
	memcpy(buf + len, x, n);
	len += n;
	memcpy(buf + len, y, n);
	len += n;
	buf[len++] = proto;
	buf[len++] = 0;
	put16(buf + len, pa);
	put16(buf + len + 2, pb);
	len += 4;
	if (!EVP_Digest(buf, len, md, &mdlen, EVP_sha1(), NULL) || mdlen != 20)
		return false;
	memcpy(out, "1:", 2);
	b64_encode_buf(md, mdlen, out + 2);
	return true;
}
