/*
 * cs_fingerprint.h - JA3 and JA4 fingerprints of a TLS ClientHello, so that
 * a report can say which client software rejected a server's chain.
 *
 * Input is one complete ClientHello handshake body (RFC 8446 4.1.2,
 * RFC 5246 7.4.1.2), borrowed for the duration of the call; nothing is
 * kept and nothing is allocated.  The caller feeds it from tls.c.
 *
 * JA3 (Salesforce, github.com/salesforce/ja3): MD5 of
 *   SSLVersion,Ciphers,Extensions,EllipticCurves,EllipticCurvePointFormats
 *   in decimal, '-' inside a field, GREASE removed from the first four lists.
 * JA4 (FoxIO, github.com/FoxIO-LLC/ja4, technical_details/JA4.md), e.g.
 *   t13d1516h2_8daaf6152771_e5627efa2ab1.  GREASE is removed everywhere,
 *   signature algorithms included (the spec; FoxIO ja4 issue #305).
 *
 * Not handled: SSLv2-compatible ClientHellos (a different message, no
 * JA3 in Wireshark either) and DTLS (its ClientHello carries a cookie).
 */
#ifndef CS_FINGERPRINT_H
#define CS_FINGERPRINT_H

#include "cs_common.h"
#include "cs_limits.h"

/* CS_JA3_LEN and CS_JA4_LEN (the digests' text) are in cs_common.h; the
 * per-list caps CS_FP_MAX_* in cs_limits.h. */

struct cs_fingerprint {
	char ja3[CS_JA3_LEN + 1]; /* "" if OpenSSL refused MD5 (FIPS-only) */
	char ja4[CS_JA4_LEN + 1]; /* "" if OpenSSL refused SHA-256 */
	bool capped;              /* a list passed its cap: see above */
};

/*
 * body = the ClientHello handshake message body (after the 4-byte
 * handshake header); over_tcp selects JA4's 't', otherwise 'q' (QUIC
 * CRYPTO frames carry the same body).  Returns false when the message does
 * not parse, out is then zeroed.  Not parsing includes trailing bytes, an
 * odd-length u16 list, and malformed contents of the extensions read here
 * (supported_groups, ec_point_formats, signature_algorithms, ALPN,
 * supported_versions); other extensions are only framed.  When an
 * extension appears twice, its first occurrence is the one read.
 */
bool fingerprint_client_hello(const uint8_t *body, size_t len, bool over_tcp,
			      struct cs_fingerprint *out);

#endif
