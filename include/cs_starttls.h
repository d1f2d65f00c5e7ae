/*
 * cs_starttls.h - what the plaintext before the first TLS record was.
 *
 * The TLS layer hands every byte it skips before a direction's first record
 * (starttls_scan) to this classifier, which keeps the first bytes of each
 * direction and the words that matter (STARTTLS, STLS, AUTH TLS, the XMPP
 * TLS namespace, the LDAP StartTLS OID, ...) however TCP split them, and
 * tells, once TLS has begun, which protocol negotiated it: SMTP, IMAP, POP3,
 * FTP, XMPP, PostgreSQL (SSLRequest), LDAP (StartTLS extended operation),
 * MySQL (SSL request after the v10 greeting), RDP (X.224 negotiation), IRC,
 * NNTP, ManageSieve, an HTTP CONNECT proxy, or other plaintext.
 *
 * Embedded by value in tls_conn; no allocation.  Bytes are read through a
 * cursor's peek functions only.
 */
#ifndef CS_STARTTLS_H
#define CS_STARTTLS_H

#include "cs_common.h"

/* The names (tls_starttls_name) are the keys of totals.starttls and the
 * value of an event's "starttls": add at the end, never rename. */
enum tls_starttls {
	TLS_STARTTLS_NONE,
	TLS_STARTTLS_SMTP,
	TLS_STARTTLS_IMAP,
	TLS_STARTTLS_POP3,
	TLS_STARTTLS_FTP,
	TLS_STARTTLS_OTHER,
	TLS_STARTTLS_XMPP,
	TLS_STARTTLS_POSTGRES,
	TLS_STARTTLS_LDAP,
	TLS_STARTTLS_MYSQL,
	TLS_STARTTLS_RDP,
	TLS_STARTTLS_IRC,
	TLS_STARTTLS_NNTP,
	TLS_STARTTLS_SIEVE,
	TLS_STARTTLS_HTTP_CONNECT,
	TLS_STARTTLS_MAX
};

/* The first bytes of a direction: the longest fixed opening looked at is
 * PostgreSQL's 8-byte SSLRequest and "CONNECT ". */
#define CS_STARTTLS_HEAD 8
/* Bytes kept from the end of the text so far: the longest word minus one
 * ("1.3.6.1.4.1.1466.20037" is 22 bytes). */
#define CS_STARTTLS_SEAM 21

struct starttls_dir {
	uint8_t head[CS_STARTTLS_HEAD];
	uint8_t tail[CS_STARTTLS_SEAM];
	uint8_t nhead, ntail;
	bool text;      /* some plaintext was skipped in this direction */
	uint16_t words; /* keyword bits (starttls.c) */
};

struct starttls {
	struct starttls_dir d[2];
};

/* Plaintext skipped before direction dir's first record, in stream order. */
void starttls_scan(struct starttls *st, int dir, const uint8_t *p, size_t n);
/* Bytes of dir were lost: no word runs across the hole. */
void starttls_gap(struct starttls *st, int dir);
/* The protocol that preceded TLS: server is the server's direction (0 or
 * 1), or -1 when unknown; NONE when nothing was skipped. */
enum tls_starttls starttls_classify(const struct starttls *st, int server);
const char *tls_starttls_name(enum tls_starttls s);

#endif
