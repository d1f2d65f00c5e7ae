/*
 * tls.c - TLS record and handshake layers of one connection (cs_tls.h).
 *
 *   TCP bytes --hunt--> records (RFC 5246 6.2.1) --> handshake messages
 *   (RFC 5246 7.4, reassembled across records) --> ClientHello (SNI, session
 *   id), ServerHello (version, resumption, TLS 1.3), Certificate (chain),
 *   SKE/CertificateRequest/ServerHelloDone (server side markers), alerts.
 *
 * Hunting: until the first record, bytes are skipped one at a time looking
 * for a plausible handshake record header, which lets TLS start after a
 * STARTTLS negotiation, a MySQL or LDAP preamble, or in the middle of a
 * captured stream.  At most CS_PREAMBLE_MAX bytes are skipped per direction;
 * starttls.c tells what they were.
 * After ChangeCipherSpec a direction is encrypted and only its record
 * framing is followed.  Anything that does not parse stops the direction
 * (counted); a partial chain is never reported.
 */
#include "cs_tls.h"
#include "cs_cursor.h"
#include "cs_fingerprint.h"

#include <string.h>

enum { MODE_HUNT, MODE_RECORDS, MODE_OFF };

enum {
	CT_CCS = 20,
	CT_ALERT = 21,
	CT_HANDSHAKE = 22,
	CT_APPDATA = 23,
	CT_HEARTBEAT = 24,
};

enum {
	HS_CLIENT_HELLO = 1,
	HS_SERVER_HELLO = 2,
	HS_NEW_SESSION_TICKET = 4,
	HS_CERTIFICATE = 11,
	HS_SERVER_KEY_EXCHANGE = 12,
	HS_CERTIFICATE_REQUEST = 13,
	HS_SERVER_HELLO_DONE = 14,
	HS_CERTIFICATE_VERIFY = 15,
	HS_CLIENT_KEY_EXCHANGE = 16,
	HS_CERTIFICATE_STATUS = 22,
};

#define EXT_SERVER_NAME 0
#define EXT_SUPPORTED_VERSIONS 43
#define REC_HDR 5
#define HS_HDR 4

void tls_conn_init(struct tls_conn *c)
{
	memset(c, 0, sizeof(*c));
	c->server = -1;
	c->cert_dir = -1;
	ovpn_init(&c->framing);
}

void tls_conn_release(struct tls_conn *c, struct cs_bufpool *bp)
{
	bufpool_release(bp, &c->d[0].hs);
	bufpool_release(bp, &c->d[1].hs);
	bufpool_release(bp, &c->ch);
	ovpn_release(&c->framing, bp);
}

static void fingerprint_now(struct tls_conn *c, struct cs_slice body)
{
	struct cs_fingerprint fp;

	if (fingerprint_client_hello(body.p, body.n, true, &fp)) {
		memcpy(c->ja3, fp.ja3, sizeof(c->ja3));
		memcpy(c->ja4, fp.ja4, sizeof(c->ja4));
		c->fingerprinted = true;
	}
}

/*
 * JA3/JA4 are wanted for few handshakes (events, clients that reject a
 * chain), so the first ClientHello is kept as it came and fingerprinted
 * only when asked (tls_fingerprint); without room in the pool, now.
 */
static void keep_client_hello(struct tls_conn *c, const struct tls_env *env, struct cs_slice body)
{
	c->ch_kept = true;
	if (body.n <= CS_TLS_MAX_RECORD &&
	    bufpool_reserve(env->bp, &c->ch, body.n ? body.n : 1) == CS_OK) {
		memcpy(c->ch.p, body.p, body.n);
		c->ch.len = (uint32_t)body.n;
		return;
	}
	fingerprint_now(c, body);
}

void tls_fingerprint(struct tls_conn *c, struct cs_bufpool *bp)
{
	if (c->fingerprinted || !c->ch.p)
		return;
	fingerprint_now(c, (struct cs_slice){c->ch.p, c->ch.len});
	bufpool_release(bp, &c->ch);
}

/* A Certificate that waited for its side is settled once the server is known. */
static void settle_pending_cert(struct tls_conn *c)
{
	if (c->cert_dir < 0 || !c->chain || c->server < 0)
		return;
	if (c->cert_dir == c->server) {
		c->chain_new = true;
		return;
	}
	c->client_certs++;
	c->chain = NULL;
	c->cert_dir = -1;
}

static void set_server(struct tls_conn *c, int dir, bool authoritative)
{
	if (c->server >= 0 && !authoritative)
		return;
	c->server = (int8_t)dir;
	settle_pending_cert(c);
}

void tls_set_server(struct tls_conn *c, int dir) { set_server(c, dir, false); }

static bool is_client(const struct tls_conn *c, int dir)
{
	return c->server >= 0 && c->server != dir;
}

/* ---- handshake messages --------------------------------------------------- */

/*
 * RFC 5246 7.4.1.2, RFC 6066 3:
 *   ProtocolVersion client_version; Random random[32];
 *   SessionID session_id<0..32>; CipherSuite cipher_suites<2..2^16-2>;
 *   CompressionMethod compression_methods<1..2^8-1>;
 *   Extension extensions<0..2^16-1>;  (server_name: ServerNameList<1..2^16-1>
 *   of { NameType name_type; HostName host_name<1..2^16-1> })
 */
static void parse_sni(struct tls_conn *c, struct cs_cursor *ext)
{
	struct cs_cursor list, name;
	uint8_t type;

	if (!cur_vec(ext, 2, &list))
		return;
	while (cur_left(&list) > 0) {
		if (!cur_u8(&list, &type) || !cur_vec(&list, 2, &name))
			return;
		if (type != 0 || cur_left(&name) == 0)
			continue;
		c->sni_len = (uint8_t)(cur_left(&name) > CS_MAX_SNI ? CS_MAX_SNI : cur_left(&name));
		cur_copy(&name, c->sni, c->sni_len);
		c->sni[c->sni_len] = '\0';
		c->sni_sent = true;
		return;
	}
}

static bool parse_client_hello(struct tls_conn *c, struct cs_cursor *m)
{
	struct cs_cursor sid, suites, comp, exts, ext;
	uint16_t version, type;

	if (!cur_u16(m, &version) || !cur_skip(m, 32) || !cur_vec(m, 1, &sid) ||
	    cur_left(&sid) > sizeof(c->sid) || !cur_vec(m, 2, &suites) || !cur_vec(m, 1, &comp))
		return false;
	c->sid_len = (uint8_t)cur_left(&sid);
	cur_copy(&sid, c->sid, c->sid_len);
	if (cur_left(m) == 0)
		return true; /* no extensions (SSL 3.0 era) */
	if (!cur_vec(m, 2, &exts))
		return false;
	while (cur_left(&exts) > 0) {
		if (!cur_u16(&exts, &type) || !cur_vec(&exts, 2, &ext))
			return false;
		if (type == EXT_SERVER_NAME && !c->sni_sent)
			parse_sni(c, &ext);
	}
	return true;
}

static bool is_tls13_version(uint16_t v)
{
	/* 0x0304 final; 0x7fxx IETF drafts; 0x7e0x/0xfb1x: Facebook's experiments */
	return v == 0x0304 || (v >> 8) == 0x7f || (v >> 8) == 0x7e || (v >> 8) == 0xfb;
}

/*
 * RFC 5246 7.4.1.3 / RFC 8446 4.1.3: server_version, random[32],
 * session_id<0..32>, cipher_suite, compression_method, extensions.
 * TLS 1.3 drafts before 22 sent the draft version here and had no session
 * id: they are recognised from the version alone.
 */
static bool parse_server_hello(struct tls_conn *c, struct cs_cursor *m)
{
	struct cs_cursor sid, exts, ext;
	uint16_t version, type, cipher, selected;
	uint8_t comp;

	if (!cur_u16(m, &version))
		return false;
	c->version = version;
	if (is_tls13_version(version)) {
		c->tls13 = true;
		return true;
	}
	if (!cur_skip(m, 32) || !cur_vec(m, 1, &sid) || cur_left(&sid) > 32 ||
	    !cur_u16(m, &cipher) || !cur_u8(m, &comp))
		return false;
	c->cipher_suite = cipher;
	if (c->sid_len > 0 && cur_left(&sid) == c->sid_len &&
	    memcmp(cur_rest(&sid).p, c->sid, c->sid_len) == 0)
		c->resumed = true; /* RFC 5246 7.4.1.3: the server echoes the id it resumes */
	if (cur_left(m) == 0)
		return true;
	if (!cur_vec(m, 2, &exts))
		return false;
	while (cur_left(&exts) > 0) {
		if (!cur_u16(&exts, &type) || !cur_vec(&exts, 2, &ext))
			return false;
		if (type == EXT_SUPPORTED_VERSIONS && cur_u16(&ext, &selected)) {
			c->version = selected;
			if (is_tls13_version(selected))
				c->tls13 = true;
		}
	}
	if (c->tls13)
		c->resumed = false; /* 1.3 middlebox mode echoes the id for every handshake */
	return true;
}

/* RFC 5246 7.4.2: ASN.1Cert certificate_list<0..2^24-1>, each <1..2^24-1>. */
static bool parse_certificate(struct tls_conn *c, const struct tls_env *env, struct cs_cursor *m,
			      int dir)
{
	struct cs_slice der[CS_MAX_CHAIN_CERTS];
	struct cs_cursor list, entry;
	const struct cs_chain *chain;
	size_t n = 0;
	bool added;

	if (!cur_vec(m, 3, &list) || !cur_end(m))
		return false;
	while (cur_left(&list) > 0) {
		if (!cur_vec(&list, 3, &entry) || cur_left(&entry) == 0)
			return false;
		if (n == CS_MAX_CHAIN_CERTS) {
			env->st->chain_certs_cap++;
			c->too_long = true;
			return true;
		}
		cur_take(&entry, cur_left(&entry), &der[n++]);
	}
	if (is_client(c, dir)) {
		c->client_certs++;
		return true;
	}
	if (n == 0)
		return true; /* an empty server Certificate: no chain to judge */
	switch (chain_store_intern(env->chains, der, n, &chain, &added)) {
	case CS_OK:
		break;
	case CS_LIMIT:
		env->st->chains_cap++;
		c->too_long = true;
		return true;
	default:
		c->too_long = true;
		return true;
	}
	c->chain = chain;
	c->cert_dir = (int8_t)dir;
	settle_pending_cert(c);
	return true;
}

/* The client's ChangeCipherSpec (or a fatal alert, or application data)
 * ends the cleartext handshake once the server's flight was seen; its
 * ClientKeyExchange does not, so that an alert it sends after that and
 * before its ChangeCipherSpec is still seen (docs/problems.md, "Client
 * rejections"). */
static void client_moved_on(struct tls_conn *c)
{
	if (c->server_flight_done || tls_server_chain(c))
		c->done = true;
}

static bool handle_message(struct tls_conn *c, const struct tls_env *env, int dir, uint8_t type,
			   struct cs_cursor *m)
{
	bool ok = true;

	c->d[dir].last_hs = type;
	switch (type) {
	case HS_CLIENT_HELLO:
		c->client_hello = true;
		set_server(c, !dir, false);
		if (!c->fingerprinted && !c->ch_kept)
			keep_client_hello(c, env, cur_rest(m));
		ok = parse_client_hello(c, m);
		break;
	case HS_SERVER_HELLO:
		c->server_hello = true;
		set_server(c, dir, true);
		ok = parse_server_hello(c, m);
		if (c->tls13 || c->resumed)
			c->done = true;
		break;
	case HS_CERTIFICATE:
		ok = parse_certificate(c, env, m, dir);
		break;
	case HS_SERVER_KEY_EXCHANGE:
	case HS_CERTIFICATE_REQUEST:
	case HS_SERVER_HELLO_DONE:
		set_server(c, dir, false);
		if (type == HS_SERVER_HELLO_DONE)
			c->server_flight_done = true;
		break;
	case HS_CERTIFICATE_VERIFY:
	case HS_CLIENT_KEY_EXCHANGE:
		set_server(c, !dir, false);
		break;
	default:
		break;
	}
	return ok;
}

/* Nothing more is parsed in this direction: its buffer goes back now. */
static void stop_dir(struct tls_conn *c, const struct tls_env *env, int dir)
{
	c->d[dir].mode = MODE_OFF;
	bufpool_release(env->bp, &c->d[dir].hs);
}

/* Parse the complete messages in p[0..n); returns the bytes consumed. */
static size_t parse_messages(struct tls_conn *c, const struct tls_env *env, int dir,
			     const uint8_t *p, size_t n)
{
	size_t off = 0;

	while (n - off >= HS_HDR && !c->done) {
		struct cs_cursor hdr, msg;
		uint8_t type;
		uint32_t len;

		cur_init(&hdr, p + off, n - off);
		cur_u8(&hdr, &type);
		cur_u24(&hdr, &len);
		if (len > CS_TLS_MAX_HS_MSG - HS_HDR) {
			env->st->msg_too_long++;
			c->too_long = true;
			stop_dir(c, env, dir);
			return n;
		}
		if (!cur_sub(&hdr, len, &msg))
			break; /* the rest of this message is in a later record */
		if (!handle_message(c, env, dir, type, &msg)) {
			env->st->malformed++;
			c->malformed = true;
			stop_dir(c, env, dir);
			return n;
		}
		off += HS_HDR + len;
	}
	return off;
}

static bool hs_append(struct tls_conn *c, const struct tls_env *env, int dir, const uint8_t *p,
		      size_t n)
{
	struct tls_dir *d = &c->d[dir];

	if (bufpool_reserve(env->bp, &d->hs, (size_t)d->hs.len + n) != CS_OK) {
		env->st->memcap++;
		c->too_long = true;
		stop_dir(c, env, dir);
		return false;
	}
	memcpy(d->hs.p + d->hs.len, p, n);
	d->hs.len += (uint32_t)n;
	return true;
}

/*
 * Handshake messages of one record.  Whole messages are parsed in place;
 * a message continued in later records is copied into the direction's
 * buffer, never more than that one message (so never more than its cap).
 */
static void handshake_record(struct tls_conn *c, const struct tls_env *env, int dir,
			     const uint8_t *p, size_t n)
{
	struct tls_dir *d = &c->d[dir];

	while (n > 0 && d->mode != MODE_OFF && !c->done) {
		struct cs_cursor hdr;
		size_t k, want;
		uint32_t len;

		if (d->hs.len == 0) {
			k = parse_messages(c, env, dir, p, n);
			if (k < n && d->mode != MODE_OFF && !c->done)
				hs_append(c, env, dir, p + k,
					  n - k); /* start of a longer message */
			return;
		}
		if (d->hs.len < HS_HDR) { /* even the header was split */
			k = HS_HDR - d->hs.len < n ? HS_HDR - d->hs.len : n;
			if (!hs_append(c, env, dir, p, k))
				return;
			p += k, n -= k;
			continue;
		}
		cur_init(&hdr, d->hs.p, d->hs.len);
		cur_skip(&hdr, 1);
		cur_u24(&hdr, &len);
		if (len > CS_TLS_MAX_HS_MSG - HS_HDR) {
			env->st->msg_too_long++;
			c->too_long = true;
			stop_dir(c, env, dir);
			return;
		}
		want = HS_HDR + (size_t)len - d->hs.len;
		k = want < n ? want : n;
		if (!hs_append(c, env, dir, p, k))
			return;
		p += k, n -= k;
		if (d->hs.len == HS_HDR + len) {
			parse_messages(c, env, dir, d->hs.p, d->hs.len);
			d->hs.len = 0;
		}
	}
}

/* RFC 5246 7.2: struct { AlertLevel level; AlertDescription description; } */
static void alert_record(struct tls_conn *c, int dir, const uint8_t *p, size_t n)
{
	struct cs_cursor r;
	uint8_t level = 0, desc;

	cur_init(&r, p, n);
	/* keep the first alert, unless a fatal one follows a warning */
	if (cur_u8(&r, &level) && cur_u8(&r, &desc) &&
	    (!c->alert_seen || (c->alert_level != 2 && level == 2))) {
		c->alert_seen = true;
		c->alert_dir = (uint8_t)dir;
		c->alert_level = level;
		c->alert_desc = desc;
	}
	if (level == 2) /* fatal: the connection is over */
		c->done = true;
	if (is_client(c, dir))
		client_moved_on(c);
}

static void handle_record(struct tls_conn *c, const struct tls_env *env, int dir, uint8_t type,
			  const uint8_t *p, size_t n)
{
	struct tls_dir *d = &c->d[dir];

	switch (type) {
	case CT_CCS:
		d->ccs = true;
		if (is_client(c, dir)) {
			client_moved_on(c);
		} else if (c->server == dir) {
			if (c->server_hello && !c->chain)
				c->resumed = true; /* abbreviated handshake (RFC 5246 7.3) */
			c->done = true;
		}
		break;
	case CT_ALERT:
		if (!d->ccs)
			alert_record(c, dir, p, n);
		break;
	case CT_HANDSHAKE:
		if (!d->ccs)
			handshake_record(c, env, dir, p, n);
		break;
	case CT_APPDATA:
		c->done = true;
		break;
	default: /* heartbeat */
		break;
	}
}

/* RFC 5246 6.2.1: ContentType type; ProtocolVersion version; uint16 length. */
static size_t walk_records(struct tls_conn *c, const struct tls_env *env, int dir, const uint8_t *p,
			   size_t n)
{
	size_t off = 0;

	while (n - off >= REC_HDR && c->d[dir].mode == MODE_RECORDS && !c->done) {
		struct cs_cursor r, body;
		uint8_t type, major, minor;
		uint16_t len;

		cur_init(&r, p + off, n - off);
		cur_u8(&r, &type);
		cur_u8(&r, &major);
		cur_u8(&r, &minor);
		cur_u16(&r, &len);
		if (type < CT_CCS || type > CT_HEARTBEAT || major != 3 || len > CS_TLS_MAX_RECORD) {
			env->st->malformed++;
			c->malformed = true;
			c->d[dir].mode = MODE_OFF;
			return n;
		}
		if (!cur_sub(&r, len, &body))
			break; /* wait for the rest of the record */
		c->d[dir].saw_record = true;
		handle_record(c, env, dir, type, body.p, len);
		off += REC_HDR + len;
	}
	return c->d[dir].mode == MODE_OFF || c->done ? n : off;
}

/* ---- hunting for the first record ------------------------------------------ */

enum { LOOK_NO, LOOK_MORE, LOOK_TLS, LOOK_SSLV2 };

/* RFC 5246 7.4.1.4: Extension extensions<0..2^16-1>, if present, to the end. */
static bool extensions_shape(struct cs_cursor *m)
{
	struct cs_cursor exts, ext;
	uint16_t type;

	if (cur_left(m) == 0)
		return true;
	if (!cur_vec(m, 2, &exts) || !cur_end(m))
		return false;
	while (cur_left(&exts) > 0)
		if (!cur_u16(&exts, &type) || !cur_vec(&exts, 2, &ext))
			return false;
	return true;
}

/* The layout of a hello (RFC 5246 7.4.1.2-3), checked to its last byte. */
static bool hello_shape(uint8_t type, struct cs_cursor *m)
{
	struct cs_cursor sid, suites, comp;
	uint16_t version;

	if (!cur_u16(m, &version) || version >> 8 != 3)
		return type == HS_SERVER_HELLO && is_tls13_version(version); /* early 1.3 drafts */
	if (!cur_skip(m, 32) || !cur_vec(m, 1, &sid) || cur_left(&sid) > 32)
		return false;
	if (type == HS_SERVER_HELLO)
		return cur_skip(m, 3) && extensions_shape(m); /* cipher suite, compression */
	return cur_vec(m, 2, &suites) && cur_left(&suites) >= 2 && cur_left(&suites) % 2 == 0 &&
	       cur_vec(m, 1, &comp) && cur_left(&comp) >= 1 && extensions_shape(m);
}

/* certificate_list<0..2^24-1> of non-empty ASN.1Cert<1..2^24-1>; m holds
 * the message after its header, or (when it goes on in a later record)
 * what of it this record holds: only that is walked. */
static bool certificate_shape(struct cs_cursor *m, uint32_t len)
{
	bool whole = cur_left(m) == len;
	uint32_t list, n;

	if (!cur_u24(m, &list) || list != len - 3)
		return false;
	while (cur_left(m) >= 3) {
		cur_u24(m, &n);
		if (n == 0 || n > list)
			return false;
		if (n > cur_left(m))
			return !whole; /* the entry goes on in the next record */
		cur_skip(m, n);
	}
	return !whole || cur_left(m) == 0;
}

static bool message_shape(uint8_t type, struct cs_cursor *m, uint32_t len)
{
	switch (type) {
	case HS_CLIENT_HELLO:
	case HS_SERVER_HELLO:
		return hello_shape(type, m);
	case HS_CERTIFICATE:
		return certificate_shape(m, len);
	case HS_SERVER_HELLO_DONE:
		return len == 0;
	case HS_NEW_SESSION_TICKET:
	case HS_SERVER_KEY_EXCHANGE:
	case HS_CERTIFICATE_REQUEST:
	case HS_CERTIFICATE_VERIFY:
	case HS_CLIENT_KEY_EXCHANGE:
	case HS_CERTIFICATE_STATUS:
		return len > 0;
	default:
		return false;
	}
}

/*
 * Hunting past the start of a stream (after plaintext, mid-stream, after a
 * gap): a candidate is taken only when its whole record is there and its
 * handshake messages fit it and themselves: each but the last lies inside
 * the record, the last may run on into the next record only if it is a
 * Certificate; hellos parse to their last byte; certificate entries fill
 * their list.  Pieces of a framing chainsniff does not know, glued
 * together, rarely pass all of that.
 */
static int record_coherent(const uint8_t *p, size_t n)
{
	struct cs_cursor c, rec, msg;
	uint16_t reclen;
	uint32_t len;
	uint8_t type;

	cur_init(&c, p, n);
	cur_skip(&c, 3);
	cur_u16(&c, &reclen);
	if (!cur_sub(&c, reclen, &rec))
		return LOOK_MORE;
	while (cur_left(&rec) > 0) {
		if (!cur_u8(&rec, &type) || !cur_u24(&rec, &len))
			return LOOK_NO;
		if (len > cur_left(&rec)) {
			msg = rec;
			return type == HS_CERTIFICATE && certificate_shape(&msg, len) ? LOOK_TLS
										      : LOOK_NO;
		}
		cur_sub(&rec, len, &msg);
		if (!message_shape(type, &msg, len))
			return LOOK_NO;
	}
	return LOOK_TLS;
}

/* Could a handshake record start at p?  Checked as deep as the bytes allow;
 * past the start of the stream, the whole record must be coherent (*walked
 * says a whole record was walked for it). */
static int looks_like_record(const uint8_t *p, size_t n, bool at_start, bool *walked)
{
	struct cs_cursor c;
	uint8_t type, major, minor, hs, v;
	uint16_t reclen;
	uint32_t hslen, list;
	bool plausible;
	int look;

	cur_init(&c, p, n);
	cur_peek_u8(&c, 0, &type);
	if (type == CT_ALERT && at_start) { /* a server refusing the ClientHello */
		if (!cur_peek_u16(&c, 3, &reclen))
			return LOOK_MORE;
		cur_peek_u8(&c, 1, &major);
		cur_peek_u8(&c, 2, &minor);
		return major == 3 && minor <= 4 && reclen == 2 ? LOOK_TLS : LOOK_NO;
	}
	if (type != CT_HANDSHAKE) /* an SSLv2 hello's first bytes, at the start only */
		return (type & 0x80) && n < 5 && at_start ? LOOK_MORE : LOOK_NO;
	/* record header (5), handshake header (4), and 3 bytes of the body */
	if (!cur_peek_u24(&c, 9, &list))
		return LOOK_MORE;
	cur_peek_u8(&c, 1, &major);
	cur_peek_u8(&c, 2, &minor);
	cur_peek_u16(&c, 3, &reclen);
	cur_peek_u8(&c, 5, &hs);
	cur_peek_u24(&c, 6, &hslen);
	cur_peek_u8(&c, 9, &v);
	if (major != 3 || minor > 4 || reclen < HS_HDR || reclen > CS_TLS_MAX_RECORD)
		return LOOK_NO;
	switch (hs) {
	case HS_CLIENT_HELLO:
	case HS_SERVER_HELLO: /* the hello's own version: 3.x, or a 1.3 draft */
		plausible = v == 3 || v == 0x7f || v == 0x7e || v == 0xfb;
		break;
	case HS_CERTIFICATE:
		plausible = hslen >= 3 && list == hslen - 3;
		break;
	case HS_SERVER_KEY_EXCHANGE:
	case HS_CERTIFICATE_REQUEST:
	case HS_SERVER_HELLO_DONE:
		plausible = hslen + HS_HDR <= reclen;
		break;
	default:
		plausible = false;
		break;
	}
	if (!plausible)
		return LOOK_NO;
	if (at_start)
		return LOOK_TLS;
	look = record_coherent(p, n);
	*walked = look != LOOK_MORE;
	return look;
}

/*
 * SSLv2-compatible ClientHello (RFC 5246 E.2): a 2-byte length with the top
 * bit set, msg_type 1, version {0,2} or {3,x}, then the lengths of the
 * cipher specs (a multiple of 3), the session id (0 or 16) and the
 * challenge (16 to 32), which add up to the message.  A client sends it as
 * its first bytes, so it is looked for only there: a few bytes of that
 * shape turn up in every few MB of other data.  Skipped whole: it carries
 * no SNI, and the server's answer is an ordinary TLS record.
 */
static int looks_like_sslv2_hello(const uint8_t *p, size_t n, size_t *len)
{
	struct cs_cursor c;
	uint16_t hdr, specs, sid, challenge;
	uint8_t type, major, minor;

	cur_init(&c, p, n);
	/* a probe: it peeks, and hunt() decides what to consume */
	if (!cur_peek_u8(&c, 0, &type) || !(type & 0x80))
		return LOOK_NO;
	if (!cur_peek_u16(&c, 9, &challenge))
		return LOOK_MORE;
	cur_peek_u16(&c, 0, &hdr);
	cur_peek_u8(&c, 2, &type);
	cur_peek_u8(&c, 3, &major);
	cur_peek_u8(&c, 4, &minor);
	cur_peek_u16(&c, 5, &specs);
	cur_peek_u16(&c, 7, &sid);
	*len = 2 + (size_t)(hdr & 0x7fff);
	if (type != 1 || !((major == 0 && minor == 2) || (major == 3 && minor <= 3)) ||
	    specs == 0 || specs % 3 != 0 || (sid != 0 && sid != 16) || challenge < 16 ||
	    challenge > 32 || *len != 2 + 9 + (size_t)specs + sid + challenge)
		return LOOK_NO;
	return LOOK_SSLV2;
}

static size_t hunt(struct tls_conn *c, const struct tls_env *env, int dir, const uint8_t *p,
		   size_t n)
{
	struct tls_dir *d = &c->d[dir];
	struct cs_cursor cur;
	size_t i, v2len = 0;

	cur_init(&cur, p, n);
	for (i = 0; i < n; i++) {
		bool walked = false, at_start = d->skipped == 0 && i == 0;
		int look;

		/* past the start only a handshake record can begin: to the next 0x16 */
		if (!at_start && !cur_peek_find(&cur, i, CT_HANDSHAKE, &i)) {
			i = n;
			break;
		}
		look = looks_like_record(p + i, n - i, at_start, &walked);

		if (look == LOOK_NO && walked && ++d->incoherent > CS_HUNT_MAX_INCOHERENT) {
			env->st->preamble_cap++; /* CPU: whole records walked for nothing */
			stop_dir(c, env, dir);
			return n;
		}
		if (look == LOOK_NO && !d->saw_record && at_start)
			look = looks_like_sslv2_hello(p, n, &v2len);
		if (look == LOOK_NO)
			continue;
		if (look == LOOK_MORE)
			break;
		if (look == LOOK_SSLV2) {
			size_t len = v2len;

			if (n - i < len)
				break;
			env->st->sslv2_client_hellos++;
			c->client_hello = true;
			set_server(c, !dir, false);
			starttls_scan(&c->preamble, dir, p, i);
			d->mode = MODE_RECORDS;
			d->saw_record = true;
			return i + len;
		}
		starttls_scan(&c->preamble, dir, p, i);
		d->skipped += (uint32_t)i;
		if (d->skipped > CS_PREAMBLE_MAX)
			break; /* found, but past the cap: the same verdict however TCP split it */
		d->mode = MODE_RECORDS;
		c->starttls = (uint8_t)starttls_classify(&c->preamble, c->server);
		return i;
	}
	if (i < n && d->skipped > CS_PREAMBLE_MAX) {
		env->st->preamble_cap++;
		stop_dir(c, env, dir);
		return n;
	}
	starttls_scan(&c->preamble, dir, p, i);
	d->skipped += (uint32_t)i;
	if (d->skipped > CS_PREAMBLE_MAX) {
		env->st->preamble_cap++;
		d->mode = MODE_OFF;
		return n;
	}
	return i;
}

size_t tls_feed(struct tls_conn *c, const struct tls_env *env, int dir, struct cs_slice data)
{
	size_t used = 0;

	c->chain_new = false;
	if (data.n == 0 || c->done)
		return c->done ? data.n : 0;
	if (c->d[dir].mode == MODE_HUNT)
		used = hunt(c, env, dir, data.p, data.n);
	if (c->d[dir].mode == MODE_RECORDS)
		used += walk_records(c, env, dir, data.p + used, data.n - used);
	else if (c->d[dir].mode == MODE_OFF)
		used = data.n;
	if (c->d[0].mode == MODE_OFF && c->d[1].mode == MODE_OFF)
		c->done = true; /* neither side speaks (cleartext) TLS any more */
	return used;
}

/* ---- results ----------------------------------------------------------------- */

bool tls_seen(const struct tls_conn *c) { return c->client_hello || c->server_hello; }

const struct cs_chain *tls_server_chain(const struct tls_conn *c)
{
	return c->chain && c->server >= 0 && c->cert_dir == c->server ? c->chain : NULL;
}

bool tls_unattributed(const struct tls_conn *c) { return c->chain && c->server < 0; }

bool tls_hunting(const struct tls_conn *c, int dir)
{
	return c->d[dir].mode == MODE_HUNT && !c->done;
}

void tls_skip_gap(struct tls_conn *c, int dir, uint32_t n)
{
	struct tls_dir *d = &c->d[dir];

	d->skipped = n > UINT32_MAX - d->skipped ? UINT32_MAX : d->skipped + n;
	starttls_gap(&c->preamble, dir);
}

enum tls_outcome tls_outcome(const struct tls_conn *c)
{
	if (c->tls13)
		return TLS_OUT_TLS13;
	if (tls_server_chain(c))
		return TLS_OUT_CHAIN;
	if (c->resumed)
		return TLS_OUT_RESUMED;
	if (c->server_flight_done && !c->malformed && !c->too_long)
		return TLS_OUT_NO_CERT;
	return TLS_OUT_INCOMPLETE;
}

const char *tls_version_name(uint16_t v)
{
	switch (v) {
	case 0x0002:
		return "SSL2.0";
	case 0x0300:
		return "SSL3.0";
	case 0x0301:
		return "TLS1.0";
	case 0x0302:
		return "TLS1.1";
	case 0x0303:
		return "TLS1.2";
	case 0x0304:
		return "TLS1.3";
	default:
		return is_tls13_version(v) ? "TLS1.3-draft" : "unknown";
	}
}

/* RFC 8446 6 / RFC 5246 7.2 AlertDescription names. */
const char *tls_alert_name(uint8_t desc)
{
	switch (desc) {
	case 0:
		return "close_notify";
	case 10:
		return "unexpected_message";
	case 20:
		return "bad_record_mac";
	case 21:
		return "decryption_failed";
	case 22:
		return "record_overflow";
	case 30:
		return "decompression_failure";
	case 40:
		return "handshake_failure";
	case 41:
		return "no_certificate";
	case 42:
		return "bad_certificate";
	case 43:
		return "unsupported_certificate";
	case 44:
		return "certificate_revoked";
	case 45:
		return "certificate_expired";
	case 46:
		return "certificate_unknown";
	case 47:
		return "illegal_parameter";
	case 48:
		return "unknown_ca";
	case 49:
		return "access_denied";
	case 50:
		return "decode_error";
	case 51:
		return "decrypt_error";
	case 60:
		return "export_restriction";
	case 70:
		return "protocol_version";
	case 71:
		return "insufficient_security";
	case 80:
		return "internal_error";
	case 86:
		return "inappropriate_fallback";
	case 90:
		return "user_canceled";
	case 100:
		return "no_renegotiation";
	case 109:
		return "missing_extension";
	case 110:
		return "unsupported_extension";
	case 112:
		return "unrecognized_name";
	case 113:
		return "bad_certificate_status_response";
	case 115:
		return "unknown_psk_identity";
	case 116:
		return "certificate_required";
	case 120:
		return "no_application_protocol";
	default:
		return "unknown";
	}
}

const char *tls_outcome_name(enum tls_outcome o)
{
	static const char *const names[] = {"chain", "tls13", "resumed", "no_certificate",
					    "incomplete"};

	return (size_t)o < CS_ARRAY_LEN(names) ? names[o] : "unknown";
}

const char *tls_incomplete_name(enum tls_incomplete r)
{
	static const char *const names[TLS_INC_MAX] = {
		"no_server_hello", "gap",           "capture_ended", "snaplen",      "malformed",
		"too_long",        "evicted",       "client_reset",  "server_reset", "client_alert",
		"server_alert",    "client_closed", "server_closed",
	};

	return r < TLS_INC_MAX ? names[r] : "unknown";
}
