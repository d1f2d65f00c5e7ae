/*
 * test_starttls.c - the preamble classifier (cs_starttls.h): one real
 * dialogue per protocol, as the servers and openssl s_client's -starttls
 * options speak them (scripts/starttls-server.py serves the same), fed in
 * stream order per direction; every split of every dialogue into two
 * pieces per direction must give the same answer; the server side known or
 * not; what must not be taken for a protocol; gaps.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>

#include "cs_starttls.h"

enum { CLI = 0, SRV = 1 };

struct line {
	int dir;
	const char *text; /* NULL: bin/len */
	const uint8_t *bin;
	size_t len;
};

struct dialogue {
	const char *name;
	enum tls_starttls want;
	struct line lines[8];
};

#define T(d, s)                                                                                    \
	{                                                                                          \
		d, s, NULL, 0                                                                      \
	}
#define B(d, a)                                                                                    \
	{                                                                                          \
		d, NULL, a, sizeof a                                                               \
	}

static const uint8_t pg_ssl_request[] = {0, 0, 0, 8, 0x04, 0xd2, 0x16, 0x2f};
static const uint8_t pg_yes[] = {'S'};
/* LDAPMessage { messageID 1, extendedReq { requestName "1.3.6.1.4.1.1466.20037" } } */
static const uint8_t ldap_req[] = {0x30, 0x1d, 0x02, 0x01, 0x01, 0x77, 0x18, 0x80, 0x16, '1', '.',
				   '3',  '.',  '6',  '.',  '1',  '.',  '4',  '.',  '1',  '.', '1',
				   '4',  '6',  '6',  '.',  '2',  '0',  '0',  '3',  '7'};
static const uint8_t ldap_resp[] = {0x30, 0x0c, 0x02, 0x01, 0x01, 0x78, 0x07,
				    0x0a, 0x01, 0x00, 0x04, 0x00, 0x04, 0x00};
/* MariaDB's Protocol::HandshakeV10 (as scripts/starttls-server.py sends a
 * MySQL one): length 0x5b, sequence 0, protocol 10, version string ... */
static const uint8_t mysql_greeting[] = {
	0x5b, 0x00, 0x00, 0x00, 0x0a, '5',  '.',  '5',  '.',  '5',  '-',  '1',  '0',  '.',
	'1',  '1',  '.',  '6',  '-',  'M',  'a',  'r',  'i',  'a',  'D',  'B',  0x00, 0x2a,
	0x00, 0x00, 0x00, 0x55, 0x3c, 0x62, 0x27, 0x7e, 0x4a, 0x33, 0x6e, 0x00, 0xfe, 0xff,
	0x2d, 0x02, 0x00, 0xff, 0x81, 0x15, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x1d, 0x00,
	0x00, 0x00, 0x45, 0x25, 0x61, 0x4f, 0x2b, 0x3a, 0x63, 0x5e, 0x60, 0x52, 0x47, 0x3d,
	0x00, 'm',  'y',  's',  'q',  'l',  '_',  'n',  'a',  't',  'i',  'v',  'e',  '_',
	'p',  'a',  's',  's',  'w',  'o',  'r',  'd',  0x00,
};
static const uint8_t mysql_ssl_request[] = {
	0x20, 0x00, 0x00, 0x01, 0x05, 0xae, 0xff, 0x01, 0x00, 0x00, 0x00, 0x01,
	0xff, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
	0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
};
/* TPKT, X.224 Connection Request with RDP_NEG_REQ (PROTOCOL_SSL), Confirm */
static const uint8_t rdp_cr[] = {0x03, 0x00, 0x00, 0x13, 0x0e, 0xe0, 0x00, 0x00, 0x00, 0x00,
				 0x00, 0x01, 0x00, 0x08, 0x00, 0x01, 0x00, 0x00, 0x00};
static const uint8_t rdp_cc[] = {0x03, 0x00, 0x00, 0x13, 0x0e, 0xd0, 0x00, 0x00, 0x12, 0x34,
				 0x00, 0x02, 0x00, 0x08, 0x00, 0x01, 0x00, 0x00, 0x00};

static const struct dialogue dialogues[] = {
	{"smtp",
	 TLS_STARTTLS_SMTP,
	 {T(SRV, "220 mail.example.com ESMTP\r\n"), T(CLI, "EHLO c.example.com\r\n"),
	  T(SRV, "250-mail.example.com\r\n250 STARTTLS\r\n"), T(CLI, "STARTTLS\r\n"),
	  T(SRV, "220 2.0.0 Ready to start TLS\r\n")}},
	{"imap",
	 TLS_STARTTLS_IMAP,
	 {T(SRV, "* OK [CAPABILITY IMAP4rev1 STARTTLS] ready\r\n"), T(CLI, ". STARTTLS\r\n"),
	  T(SRV, ". OK Begin TLS negotiation now\r\n")}},
	{"pop3",
	 TLS_STARTTLS_POP3,
	 {T(SRV, "+OK POP3 ready\r\n"), T(CLI, "STLS\r\n"), T(SRV, "+OK Begin TLS\r\n")}},
	{"ftp",
	 TLS_STARTTLS_FTP,
	 {T(SRV, "220 (vsFTPd 3.0.3)\r\n"), T(CLI, "AUTH TLS\r\n"),
	  T(SRV, "234 Proceed with negotiation.\r\n")}},
	{"xmpp",
	 TLS_STARTTLS_XMPP,
	 {T(CLI, "<stream:stream xmlns:stream='http://etherx.jabber.org/streams' "
		 "xmlns='jabber:client' to='x.test' version='1.0'>"),
	  T(SRV, "<?xml version='1.0'?><stream:stream xmlns='jabber:client' id='1' "
		 "version='1.0'><stream:features><starttls "
		 "xmlns='urn:ietf:params:xml:ns:xmpp-tls'><required/></starttls>"
		 "</stream:features>"),
	  T(CLI, "<starttls xmlns='urn:ietf:params:xml:ns:xmpp-tls'/>"),
	  T(SRV, "<proceed xmlns='urn:ietf:params:xml:ns:xmpp-tls'/>")}},
	{"postgres", TLS_STARTTLS_POSTGRES, {B(CLI, pg_ssl_request), B(SRV, pg_yes)}},
	{"ldap", TLS_STARTTLS_LDAP, {B(CLI, ldap_req), B(SRV, ldap_resp)}},
	{"mysql", TLS_STARTTLS_MYSQL, {B(SRV, mysql_greeting), B(CLI, mysql_ssl_request)}},
	{"rdp", TLS_STARTTLS_RDP, {B(CLI, rdp_cr), B(SRV, rdp_cc)}},
	{"irc",
	 TLS_STARTTLS_IRC,
	 {T(CLI, "STARTTLS\r\n"),
	  T(SRV, ":irc.example.net 670 * :STARTTLS successful, go ahead with TLS handshake\r\n")}},
	{"nntp",
	 TLS_STARTTLS_NNTP,
	 {T(SRV, "200 news.example.com InterNetNews NNRP server ready\r\n"),
	  T(CLI, "CAPABILITIES\r\n"),
	  T(SRV, "101 Capability list:\r\nVERSION 2\r\nSTARTTLS\r\n.\r\n"), T(CLI, "STARTTLS\r\n"),
	  T(SRV, "382 Continue with TLS negotiation\r\n")}},
	{"sieve",
	 TLS_STARTTLS_SIEVE,
	 {T(SRV, "\"IMPLEMENTATION\" \"Dovecot Pigeonhole\"\r\n\"SIEVE\" \"fileinto\"\r\n"
		 "\"STARTTLS\"\r\n\"VERSION\" \"1.0\"\r\nOK \"ready.\"\r\n"),
	  T(CLI, "STARTTLS\r\n"), T(SRV, "OK \"Begin TLS negotiation now.\"\r\n")}},
	{"http_connect",
	 TLS_STARTTLS_HTTP_CONNECT,
	 {T(CLI, "CONNECT x.test:443 HTTP/1.1\r\nHost: x.test:443\r\n\r\n"),
	  T(SRV, "HTTP/1.1 200 Connection established\r\n\r\n")}},
	{"other", TLS_STARTTLS_OTHER, {T(CLI, "HELLO-V2 please\r\n"), T(SRV, "OKAY\r\n")}},
};

static size_t line_len(const struct line *l) { return l->text ? strlen(l->text) : l->len; }

static const uint8_t *line_bytes(const struct line *l)
{
	return l->text ? (const uint8_t *)l->text : l->bin;
}

/* Each direction's text, in order. */
static size_t direction(const struct dialogue *d, int dir, uint8_t *out, size_t cap)
{
	size_t n = 0;

	for (size_t i = 0; i < 8 && (d->lines[i].text || d->lines[i].bin); i++) {
		if (d->lines[i].dir != dir)
			continue;
		assert_true(n + line_len(&d->lines[i]) <= cap);
		memcpy(out + n, line_bytes(&d->lines[i]), line_len(&d->lines[i]));
		n += line_len(&d->lines[i]);
	}
	return n;
}

/* Feed the dialogue line by line in its order. */
static enum tls_starttls play(const struct dialogue *d, int server)
{
	struct starttls st;

	memset(&st, 0, sizeof st);
	for (size_t i = 0; i < 8 && (d->lines[i].text || d->lines[i].bin); i++)
		starttls_scan(&st, d->lines[i].dir, line_bytes(&d->lines[i]),
			      line_len(&d->lines[i]));
	return starttls_classify(&st, server);
}

static void test_each_protocol(void **state)
{
	(void)state;
	for (size_t i = 0; i < CS_ARRAY_LEN(dialogues); i++) {
		const struct dialogue *d = &dialogues[i];

		for (int server = -1; server <= SRV; server += 2) {
			enum tls_starttls got = play(d, server);

			if (got != d->want)
				fail_msg("%s (server %d): got %s", d->name, server,
					 tls_starttls_name(got));
		}
		assert_string_equal(tls_starttls_name(d->want), d->name);
	}
}

/* Whatever TCP did to each direction (two pieces, cut anywhere; one byte
 * at a time), the answer is the same. */
static void test_every_split(void **state)
{
	(void)state;
	for (size_t i = 0; i < CS_ARRAY_LEN(dialogues); i++) {
		const struct dialogue *d = &dialogues[i];
		uint8_t text[2][1024];
		size_t n[2];

		n[CLI] = direction(d, CLI, text[CLI], sizeof text[CLI]);
		n[SRV] = direction(d, SRV, text[SRV], sizeof text[SRV]);
		for (int dir = 0; dir < 2; dir++)
			for (size_t cut = 0; cut <= n[dir]; cut++) {
				struct starttls st;
				enum tls_starttls got;

				memset(&st, 0, sizeof st);
				starttls_scan(&st, dir, text[dir], cut);
				starttls_scan(&st, dir, text[dir] + cut, n[dir] - cut);
				starttls_scan(&st, !dir, text[!dir], n[!dir]);
				got = starttls_classify(&st, SRV);
				if (got != d->want)
					fail_msg("%s cut at %zu of direction %d: got %s", d->name,
						 cut, dir, tls_starttls_name(got));
			}
		{
			struct starttls st;

			memset(&st, 0, sizeof st);
			for (int dir = 0; dir < 2; dir++)
				for (size_t k = 0; k < n[dir]; k++)
					starttls_scan(&st, dir, text[dir] + k, 1);
			assert_int_equal(starttls_classify(&st, SRV), d->want);
		}
	}
}

static void test_nothing_skipped_is_none(void **state)
{
	(void)state;
	struct starttls st;

	memset(&st, 0, sizeof st);
	assert_int_equal(starttls_classify(&st, -1), TLS_STARTTLS_NONE);
	starttls_scan(&st, CLI, (const uint8_t *)"x", 0);
	assert_int_equal(starttls_classify(&st, SRV), TLS_STARTTLS_NONE);
	assert_string_equal(tls_starttls_name(TLS_STARTTLS_NONE), "none");
	assert_string_equal(tls_starttls_name(TLS_STARTTLS_MAX), "unknown");
}

/* Openings belong to a side: a client that says "220" is no SMTP server,
 * and a server's "CONNECT" is no proxy request. */
static void test_sides(void **state)
{
	(void)state;
	struct starttls st;

	memset(&st, 0, sizeof st);
	starttls_scan(&st, CLI, (const uint8_t *)"220 hello\r\nSTARTTLS\r\n", 20);
	assert_int_equal(starttls_classify(&st, SRV), TLS_STARTTLS_OTHER);
	assert_int_equal(starttls_classify(&st, CLI), TLS_STARTTLS_SMTP);
	assert_int_equal(starttls_classify(&st, -1), TLS_STARTTLS_SMTP);

	memset(&st, 0, sizeof st);
	starttls_scan(&st, SRV, (const uint8_t *)"CONNECT a:1 HTTP/1.1\r\n", 22);
	assert_int_equal(starttls_classify(&st, SRV), TLS_STARTTLS_OTHER);
	memset(&st, 0, sizeof st);
	starttls_scan(&st, SRV, pg_ssl_request, sizeof pg_ssl_request);
	assert_int_equal(starttls_classify(&st, SRV), TLS_STARTTLS_OTHER);
	memset(&st, 0, sizeof st);
	starttls_scan(&st, CLI, mysql_greeting, sizeof mysql_greeting);
	assert_int_equal(starttls_classify(&st, SRV), TLS_STARTTLS_OTHER);
}

/* Near misses: a PostgreSQL startup that is not an SSLRequest, a MySQL
 * greeting of another protocol version, a TPKT that is not X.224 CR/CC,
 * a "connect" in lower case, a text that merely mentions 670. */
static void test_near_misses(void **state)
{
	(void)state;
	static const uint8_t pg_gss[] = {0, 0, 0, 8, 0x04, 0xd2, 0x16, 0x30};
	static const uint8_t my9[] = {0x4a, 0x00, 0x00, 0x00, 0x09, '5', 0};
	static const uint8_t tpkt_dt[] = {0x03, 0x00, 0x00, 0x0c, 0x02, 0xf0, 0x80, 0, 0, 0, 0, 0};
	struct {
		int dir;
		const uint8_t *p;
		size_t n;
	} cases[] = {
		{CLI, pg_gss, sizeof pg_gss},
		{SRV, my9, sizeof my9},
		{CLI, tpkt_dt, sizeof tpkt_dt},
		{CLI, (const uint8_t *)"connect x:443 HTTP/1.1\r\n", 24},
		{SRV, (const uint8_t *)"error 670 times\r\n", 17},
	};

	for (size_t i = 0; i < CS_ARRAY_LEN(cases); i++) {
		struct starttls st;

		memset(&st, 0, sizeof st);
		starttls_scan(&st, cases[i].dir, cases[i].p, cases[i].n);
		if (starttls_classify(&st, SRV) != TLS_STARTTLS_OTHER)
			fail_msg("near miss %zu taken for %s", i,
				 tls_starttls_name(starttls_classify(&st, SRV)));
	}
}

/* Bytes lost in a direction: no word is made of the two sides of the hole,
 * and what follows is not the direction's opening. */
static void test_gap(void **state)
{
	(void)state;
	struct starttls st;

	memset(&st, 0, sizeof st);
	starttls_scan(&st, CLI, (const uint8_t *)"START", 5);
	starttls_gap(&st, CLI);
	starttls_scan(&st, CLI, (const uint8_t *)"TLS\r\n", 5);
	starttls_scan(&st, SRV, (const uint8_t *)"220 ok\r\n", 8);
	assert_int_equal(starttls_classify(&st, SRV), TLS_STARTTLS_OTHER);

	memset(&st, 0, sizeof st);
	starttls_gap(&st, CLI); /* the whole opening lost */
	starttls_scan(&st, CLI, (const uint8_t *)"CONNECT x:1 HTTP/1.1\r\n", 22);
	assert_int_equal(starttls_classify(&st, SRV), TLS_STARTTLS_OTHER);

	memset(&st, 0, sizeof st); /* the opening kept, the rest after a hole */
	starttls_scan(&st, CLI, (const uint8_t *)"CONNECT x:1 HTTP/1.1\r\n", 22);
	starttls_gap(&st, SRV);
	assert_int_equal(starttls_classify(&st, SRV), TLS_STARTTLS_HTTP_CONNECT);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_each_protocol),
		cmocka_unit_test(test_every_split),
		cmocka_unit_test(test_nothing_skipped_is_none),
		cmocka_unit_test(test_sides),
		cmocka_unit_test(test_near_misses),
		cmocka_unit_test(test_gap),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
