/*
 * starttls.c - which protocol ran before TLS began (cs_starttls.h).
 * Owns the per-direction openings and keyword bits of the plaintext the TLS
 * layer skipped.  Fed by tls.c's hunt; read once TLS has begun.
 * Policy: every byte through a cursor's peek functions; words are matched
 * in any case, however TCP split them (the last bytes of each direction are
 * kept for the next piece); binary openings (PostgreSQL, MySQL, RDP, LDAP)
 * are recognised from the first bytes of the direction that sends them.
 * A preamble that fits nothing known is "other".
 * References: RFC 3207 (SMTP), RFC 3501 6.2.1 (IMAP), RFC 2595 4 (POP3),
 * RFC 4217 (FTP), RFC 6120 5 (XMPP), PostgreSQL protocol 53.2.10
 * (SSLRequest), RFC 4511 4.14 (LDAP StartTLS), MySQL client/server protocol
 * (Protocol::Handshake v10, SSLRequest), MS-RDPBCGR 2.2.1.1-2 (X.224
 * Connection Request/Confirm, RDP_NEG_REQ/RSP), IRCv3 tls extension
 * (RPL_STARTTLS 670), RFC 4642 (NNTP), RFC 5804 1.7 and 2.2 (ManageSieve),
 * RFC 9110 9.3.6 (CONNECT); openssl s_client's -starttls dialogues.
 */
#include "cs_starttls.h"
#include "cs_cursor.h"

#include <string.h>

enum {
	W_STARTTLS = 1 << 0,
	W_STLS = 1 << 1,
	W_AUTH_TLS = 1 << 2, /* FTP: AUTH TLS, AUTH SSL */
	W_XMPP_TLS = 1 << 3, /* the urn:ietf:params:xml:ns:xmpp-tls namespace */
	W_LDAP_OID = 1 << 4, /* the StartTLS extended operation */
	W_SIEVE = 1 << 5,    /* ManageSieve capabilities: "SIEVE", "IMPLEMENTATION" */
	W_IRC_670 = 1 << 6,  /* RPL_STARTTLS */
};

/* Upper-case ASCII; matched in any case. */
static const struct {
	const char *word;
	uint16_t bit;
} words[] = {
	{"STARTTLS", W_STARTTLS}, {"STLS", W_STLS},
	{"AUTH TLS", W_AUTH_TLS}, {"AUTH SSL", W_AUTH_TLS},
	{"XMPP-TLS", W_XMPP_TLS}, {"1.3.6.1.4.1.1466.20037", W_LDAP_OID},
	{"\"SIEVE\"", W_SIEVE},   {"\"IMPLEMENTATION\"", W_SIEVE},
	{" 670 ", W_IRC_670},
};

static uint8_t upper(uint8_t c) { return c >= 'a' && c <= 'z' ? (uint8_t)(c - 'a' + 'A') : c; }

/* Whether the bytes at `at` spell w, letters in any case. */
static bool word_at(const struct cs_cursor *c, size_t at, const char *w)
{
	uint8_t b;

	for (size_t k = 0; w[k]; k++)
		if (!cur_peek_u8(c, at + k, &b) || upper(b) != (uint8_t)w[k])
			return false;
	return true;
}

/* The first letters of words[], in either case: most bytes start no
 * keyword, and only these are compared with the words.  A word added to
 * words[] adds its first letter here (test_starttls finds every word). */
static const bool first_letter[256] = {
	['S'] = true, ['s'] = true, ['A'] = true, ['a'] = true, ['X'] = true,
	['x'] = true, ['1'] = true, ['"'] = true, [' '] = true,
};

/* The keywords that start anywhere in p[0..n). */
static uint16_t scan_words(const uint8_t *p, size_t n)
{
	struct cs_cursor c;
	uint16_t bits = 0;
	uint8_t b;

	cur_init(&c, p, n);
	for (size_t i = 0; i < n; i++) {
		cur_peek_u8(&c, i, &b);
		if (!first_letter[b])
			continue;
		b = upper(b);
		for (size_t w = 0; w < CS_ARRAY_LEN(words); w++)
			if ((uint8_t)words[w].word[0] == b && word_at(&c, i, words[w].word))
				bits |= words[w].bit;
	}
	return bits;
}

void starttls_scan(struct starttls *st, int dir, const uint8_t *p, size_t n)
{
	struct starttls_dir *d = &st->d[dir];
	uint8_t seam[2 * CS_STARTTLS_SEAM];
	struct cs_cursor c;
	size_t k = n < CS_STARTTLS_SEAM ? n : CS_STARTTLS_SEAM, all, keep;

	if (n == 0)
		return;
	d->text = true;
	cur_init(&c, p, n);
	for (size_t i = 0; d->nhead < CS_STARTTLS_HEAD && cur_peek_u8(&c, i, &d->head[d->nhead]);
	     i++)
		d->nhead++;
	d->words |= scan_words(p, n);
	/* a word cut between the previous piece and this one */
	memcpy(seam, d->tail, d->ntail);
	cur_copy(&c, seam + d->ntail, k);
	all = d->ntail + k;
	d->words |= scan_words(seam, all);
	/* the tail: the last CS_STARTTLS_SEAM bytes of the text so far */
	keep = all < CS_STARTTLS_SEAM ? all : CS_STARTTLS_SEAM;
	if (n >= CS_STARTTLS_SEAM) {
		cur_init(&c, p, n);
		cur_skip(&c, n - CS_STARTTLS_SEAM);
		cur_copy(&c, d->tail, CS_STARTTLS_SEAM);
	} else {
		memmove(d->tail, seam + all - keep, keep);
	}
	d->ntail = (uint8_t)keep;
}

void starttls_gap(struct starttls *st, int dir)
{
	struct starttls_dir *d = &st->d[dir];

	d->ntail = 0;
	/* what follows the hole is not the opening: the head is closed as it is */
	memset(d->head + d->nhead, 0, CS_STARTTLS_HEAD - d->nhead);
	d->nhead = CS_STARTTLS_HEAD;
}

/* ---- the openings -------------------------------------------------------------- */

/* The direction's first bytes begin with s (exactly, case included). */
static bool opens_with(const struct starttls_dir *d, const char *s)
{
	struct cs_cursor c;
	uint8_t b;

	cur_init(&c, d->head, d->nhead);
	for (size_t k = 0; s[k]; k++)
		if (!cur_peek_u8(&c, k, &b) || b != (uint8_t)s[k])
			return false;
	return true;
}

/* PostgreSQL SSLRequest: Int32 length 8, Int32 80877103 (0x04d2162f). */
static bool postgres_ssl_request(const struct starttls_dir *d)
{
	static const uint8_t req[8] = {0, 0, 0, 8, 0x04, 0xd2, 0x16, 0x2f};

	return d->nhead == sizeof req && memcmp(d->head, req, sizeof req) == 0;
}

/*
 * RDP: a TPKT header (version 3, reserved 0, length), then an X.224
 * Connection Request (code 0xe0, from the client) or Connection Confirm
 * (0xd0, from the server):
 *   | 03 | 00 | length (2) | LI | CR/CC code | ...
 */
static bool rdp_x224(const struct starttls_dir *d)
{
	struct cs_cursor c;
	uint8_t ver, rsv, code;

	cur_init(&c, d->head, d->nhead);
	return cur_peek_u8(&c, 0, &ver) && cur_peek_u8(&c, 1, &rsv) && cur_peek_u8(&c, 5, &code) &&
	       ver == 3 && rsv == 0 && (code == 0xe0 || code == 0xd0);
}

/*
 * MySQL Protocol::Handshake v10 from the server:
 *   | payload length (3, little-endian) | sequence 0 | protocol version 10 |
 * (the client's SSLRequest then carries CLIENT_SSL).
 */
static bool mysql_greeting(const struct starttls_dir *d)
{
	struct cs_cursor c;
	uint8_t seq, version;
	uint32_t len;

	cur_init(&c, d->head, d->nhead);
	if (!cur_peek_u24(&c, 0, &len) || !cur_peek_u8(&c, 3, &seq) ||
	    !cur_peek_u8(&c, 4, &version))
		return false;
	len = (len >> 16) | (len & 0xff00) | (len & 0xff) << 16; /* little-endian */
	return seq == 0 && version == 10 && len >= 20 && len < 1024;
}

enum side { CLIENT, SERVER };

/* Whether the opening of that side passes the test; either side while the
 * server is not known. */
static bool side_opens(const struct starttls *st, int server, enum side side,
		       bool (*test)(const struct starttls_dir *))
{
	if (server < 0)
		return test(&st->d[0]) || test(&st->d[1]);
	return test(&st->d[side == SERVER ? server : !server]);
}

static bool opens_connect(const struct starttls_dir *d) { return opens_with(d, "CONNECT "); }
static bool opens_220(const struct starttls_dir *d) { return opens_with(d, "220"); }
static bool opens_imap(const struct starttls_dir *d) { return opens_with(d, "* OK"); }
static bool opens_nntp(const struct starttls_dir *d)
{
	return opens_with(d, "200 ") || opens_with(d, "201 ");
}

/* A STARTTLS command: which protocol, by the server's greeting. */
static enum tls_starttls starttls_command(const struct starttls *st, int server, uint16_t w)
{
	if (side_opens(st, server, SERVER, opens_imap))
		return TLS_STARTTLS_IMAP;
	if (w & W_SIEVE)
		return TLS_STARTTLS_SIEVE;
	if (side_opens(st, server, SERVER, opens_nntp))
		return TLS_STARTTLS_NNTP;
	if (side_opens(st, server, SERVER, opens_220))
		return TLS_STARTTLS_SMTP;
	if (w & W_IRC_670)
		return TLS_STARTTLS_IRC;
	return TLS_STARTTLS_OTHER;
}

enum tls_starttls starttls_classify(const struct starttls *st, int server)
{
	uint16_t w = st->d[0].words | st->d[1].words;

	if (!st->d[0].text && !st->d[1].text)
		return TLS_STARTTLS_NONE;
	if (side_opens(st, server, CLIENT, opens_connect))
		return TLS_STARTTLS_HTTP_CONNECT;
	if (side_opens(st, server, CLIENT, postgres_ssl_request))
		return TLS_STARTTLS_POSTGRES;
	if (rdp_x224(&st->d[0]) || rdp_x224(&st->d[1]))
		return TLS_STARTTLS_RDP;
	if (side_opens(st, server, SERVER, mysql_greeting))
		return TLS_STARTTLS_MYSQL;
	if (w & W_LDAP_OID)
		return TLS_STARTTLS_LDAP;
	if (w & W_XMPP_TLS)
		return TLS_STARTTLS_XMPP;
	if (w & W_AUTH_TLS)
		return TLS_STARTTLS_FTP;
	if (w & W_STARTTLS)
		return starttls_command(st, server, w);
	if (w & W_STLS)
		return TLS_STARTTLS_POP3;
	return TLS_STARTTLS_OTHER;
}

const char *tls_starttls_name(enum tls_starttls s)
{
	static const char *const names[TLS_STARTTLS_MAX] = {
		"none", "smtp",  "imap", "pop3", "ftp",  "other", "xmpp",         "postgres",
		"ldap", "mysql", "rdp",  "irc",  "nntp", "sieve", "http_connect",
	};

	return s < TLS_STARTTLS_MAX ? names[s] : "unknown";
}
