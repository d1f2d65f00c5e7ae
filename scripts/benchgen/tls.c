/*
 * tls.c - TLS records and handshake messages as OpenSSL 3.0 writes them
 * (pcaps/lab/one-intermediate.pcap, resumption.pcap, tls13.pcap); bytes a
 * passive observer cannot check (randoms, keys, signatures, ciphertext) come
 * from the PRNG.
 */
#include <string.h>

#include "benchgen.h"

/* The ClientHello cipher suites of OpenSSL 3.0's s_client. */
static const uint8_t client_suites[] = {
	0x13, 0x02, 0x13, 0x03, 0x13, 0x01, 0xc0, 0x2c, 0xc0, 0x30, 0x00, 0x9f, 0xcc,
	0xa9, 0xcc, 0xa8, 0xcc, 0xaa, 0xc0, 0x2b, 0xc0, 0x2f, 0x00, 0x9e, 0xc0, 0x24,
	0xc0, 0x28, 0x00, 0x6b, 0xc0, 0x23, 0xc0, 0x27, 0x00, 0x67, 0xc0, 0x0a, 0xc0,
	0x14, 0x00, 0x39, 0xc0, 0x09, 0xc0, 0x13, 0x00, 0x33, 0x00, 0x9d, 0x00, 0x9c,
	0x00, 0x3d, 0x00, 0x3c, 0x00, 0x35, 0x00, 0x2f, 0x00, 0xff};

static const uint8_t client_groups[] = {0x00, 0x1d, 0x00, 0x17, 0x00, 0x1e, 0x00, 0x19, 0x00, 0x18,
					0x01, 0x00, 0x01, 0x01, 0x01, 0x02, 0x01, 0x03, 0x01, 0x04};

static const uint8_t client_sigalgs[] = {
	0x04, 0x03, 0x05, 0x03, 0x06, 0x03, 0x08, 0x07, 0x08, 0x08, 0x08, 0x09, 0x08, 0x0a,
	0x08, 0x0b, 0x08, 0x04, 0x08, 0x05, 0x08, 0x06, 0x04, 0x01, 0x05, 0x01, 0x06, 0x01,
	0x03, 0x03, 0x03, 0x01, 0x03, 0x02, 0x04, 0x02, 0x05, 0x02, 0x06, 0x02};

static void tls_ext_begin(struct buf *b, unsigned type, size_t *at)
{
	buf_u16(b, type);
	*at = buf_open(b, 2);
}

/* An extension with a fixed body. */
static void tls_ext(struct buf *b, unsigned type, const void *body, size_t n)
{
	buf_u16(b, type);
	buf_u16(b, (unsigned)n);
	buf_put(b, body, n);
}

/* Writes one handshake message (type, body) as records of at most 2^14. */
static void tls_hs_records(struct buf *out, unsigned type, const struct buf *body,
			   unsigned rec_version)
{
	struct buf msg = {0};
	size_t done = 0;

	buf_u8(&msg, type);
	buf_u24(&msg, body->len);
	buf_put(&msg, body->p, body->len);
	while (done < msg.len) {
		size_t n = msg.len - done < TLS_REC_MAX ? msg.len - done : TLS_REC_MAX;

		buf_u8(out, 22);
		buf_u16(out, rec_version);
		buf_u16(out, (unsigned)n);
		buf_put(out, msg.p + done, n);
		done += n;
	}
	buf_free(&msg);
}

void tls_record_rand(struct buf *out, unsigned type, size_t len, struct rng *r)
{
	buf_u8(out, type);
	buf_u16(out, 0x0303);
	buf_u16(out, (unsigned)len);
	buf_rand(out, r, len);
}

void tls_ccs(struct buf *out)
{
	static const uint8_t ccs[6] = {0x14, 0x03, 0x03, 0x00, 0x01, 0x01};

	buf_put(out, ccs, sizeof ccs);
}

/* ClientHello: TLS 1.3 and 1.2 offered; a resuming client sends its ticket. */
void tls_client_hello(struct buf *out, struct rng *r, const char *sni, bool ticket)
{
	struct buf b = {0};
	size_t exts, at, at2;
	size_t sl = strlen(sni);

	buf_u16(&b, 0x0303);
	buf_rand(&b, r, 32);
	buf_u8(&b, 32);
	buf_rand(&b, r, 32);
	buf_u16(&b, sizeof client_suites);
	buf_put(&b, client_suites, sizeof client_suites);
	buf_u8(&b, 1);
	buf_u8(&b, 0);
	exts = buf_open(&b, 2);
	tls_ext_begin(&b, 0, &at); /* server_name */
	buf_u16(&b, (unsigned)(sl + 3));
	buf_u8(&b, 0);
	buf_u16(&b, (unsigned)sl);
	buf_put(&b, sni, sl);
	buf_close(&b, at, 2);
	tls_ext(&b, 11, "\x03\x00\x01\x02", 4); /* ec_point_formats */
	tls_ext_begin(&b, 10, &at);             /* supported_groups */
	buf_u16(&b, sizeof client_groups);
	buf_put(&b, client_groups, sizeof client_groups);
	buf_close(&b, at, 2);
	tls_ext_begin(&b, 35, &at); /* session_ticket */
	if (ticket)
		buf_rand(&b, r, 176);
	buf_close(&b, at, 2);
	tls_ext(&b, 22, NULL, 0);   /* encrypt_then_mac */
	tls_ext(&b, 23, NULL, 0);   /* extended_master_secret */
	tls_ext_begin(&b, 13, &at); /* signature_algorithms */
	buf_u16(&b, sizeof client_sigalgs);
	buf_put(&b, client_sigalgs, sizeof client_sigalgs);
	buf_close(&b, at, 2);
	tls_ext(&b, 43, "\x08\x03\x04\x03\x03\x03\x02\x03\x01", 9); /* supported_versions */
	tls_ext(&b, 45, "\x01\x01", 2); /* psk_key_exchange_modes: psk_dhe_ke */
	tls_ext_begin(&b, 51, &at);     /* key_share: x25519 */
	at2 = buf_open(&b, 2);
	buf_u16(&b, 0x001d);
	buf_u16(&b, 32);
	buf_rand(&b, r, 32);
	buf_close(&b, at2, 2);
	buf_close(&b, at, 2);
	buf_close(&b, exts, 2);
	tls_hs_records(out, 1, &b, 0x0301);
	buf_free(&b);
}

/* TLS 1.2 ServerHello: ECDHE suite for the leaf's key type.  A resumption
 * echoes the client's session ID (bytes 39..70 of its hello message). */
void tls12_server_hello(struct buf *out, struct rng *r, enum kt leaf_kt, const uint8_t *resume_sid)
{
	struct buf b = {0};
	size_t exts;
	bool ec = leaf_kt == KT_P256 || leaf_kt == KT_P384;

	buf_u16(&b, 0x0303);
	buf_rand(&b, r, 32);
	if (resume_sid) {
		buf_u8(&b, 32);
		buf_put(&b, resume_sid, 32);
	} else {
		buf_u8(&b, 0);
	}
	buf_u16(&b, ec ? 0xc02c : 0xc030);
	buf_u8(&b, 0);
	exts = buf_open(&b, 2);
	tls_ext(&b, 0xff01, "", 1); /* renegotiation_info, empty */
	if (!resume_sid) {
		tls_ext(&b, 11, "\x03\x00\x01\x02", 4); /* ec_point_formats */
		tls_ext(&b, 35, NULL, 0);               /* session_ticket: one will be issued */
	}
	tls_ext(&b, 23, NULL, 0); /* extended_master_secret */
	buf_close(&b, exts, 2);
	tls_hs_records(out, 2, &b, 0x0303);
	buf_free(&b);
}

void tls12_certificate(struct buf *out, const struct chain *c)
{
	struct buf b = {0};

	buf_u24(&b, c->tls_len - 3);
	for (uint32_t i = 0; i < c->ncerts; i++) {
		buf_u24(&b, c->certs[i].len);
		buf_put(&b, c->certs[i].p, c->certs[i].len);
	}
	tls_hs_records(out, 11, &b, 0x0303);
	buf_free(&b);
}

/* DER ECDSA-Sig-Value of random integers of the curve's size. */
static void ecdsa_sig_rand(struct buf *b, struct rng *r, size_t bytes)
{
	uint8_t v[2][49];
	size_t len[2];
	size_t at;

	for (int i = 0; i < 2; i++) {
		rng_fill(r, v[i] + 1, bytes);
		v[i][0] = 0;
		len[i] = bytes;
		if (v[i][1] & 0x80)
			len[i]++; /* positive INTEGER: leading zero */
	}
	buf_u8(b, 0x30);
	at = buf_open(b, 1);
	for (int i = 0; i < 2; i++) {
		buf_u8(b, 0x02);
		buf_u8(b, (unsigned)len[i]);
		buf_put(b, len[i] > bytes ? v[i] : v[i] + 1, len[i]);
	}
	buf_close(b, at, 1);
}

static size_t sig_len_of(enum kt t)
{
	return t == KT_RSA4096 ? 512 : t == KT_RSA2048 ? 256 : t == KT_P256 ? 72 : 104;
}

/* ServerKeyExchange: ECDHE x25519, signed with the leaf's key type. */
void tls12_server_key_exchange(struct buf *out, struct rng *r, enum kt leaf_kt)
{
	struct buf b = {0};
	size_t at;

	buf_u8(&b, 3);
	buf_u16(&b, 0x001d);
	buf_u8(&b, 32);
	buf_rand(&b, r, 32);
	switch (leaf_kt) {
	case KT_RSA2048:
	case KT_RSA4096:
		buf_u16(&b, 0x0804); /* rsa_pss_rsae_sha256 */
		buf_u16(&b, (unsigned)sig_len_of(leaf_kt));
		buf_rand(&b, r, sig_len_of(leaf_kt));
		break;
	case KT_P256:
	case KT_P384:
		buf_u16(&b, leaf_kt == KT_P256 ? 0x0403 : 0x0503);
		at = buf_open(&b, 2);
		ecdsa_sig_rand(&b, r, leaf_kt == KT_P256 ? 32 : 48);
		buf_close(&b, at, 2);
		break;
	case KT_N:
		break;
	}
	tls_hs_records(out, 12, &b, 0x0303);
	buf_free(&b);
}

void tls12_server_hello_done(struct buf *out)
{
	struct buf b = {0};

	tls_hs_records(out, 14, &b, 0x0303);
}

void tls12_client_finish(struct buf *out, struct rng *r, bool key_exchange)
{
	if (key_exchange) {
		struct buf b = {0};

		buf_u8(&b, 32);
		buf_rand(&b, r, 32);
		tls_hs_records(out, 16, &b, 0x0303);
		buf_free(&b);
	}
	tls_ccs(out);
	tls_record_rand(out, 22, 40, r); /* encrypted Finished */
}

void tls12_server_finish(struct buf *out, struct rng *r, bool ticket)
{
	if (ticket) {
		struct buf b = {0};

		buf_put(&b, "\x00\x00\x1c\x20", 4); /* lifetime hint 7200 s */
		buf_u16(&b, 176);
		buf_rand(&b, r, 176);
		tls_hs_records(out, 4, &b, 0x0303);
		buf_free(&b);
	}
	tls_ccs(out);
	tls_record_rand(out, 22, 40, r);
}

/* TLS 1.3 ServerHello (legacy version 1.2, supported_versions 1.3), CCS,
 * then EncryptedExtensions, Certificate, CertificateVerify and Finished as
 * application_data records of their encrypted sizes. */
void tls13_server_flight(struct buf *out, struct rng *r, const uint8_t *sid, const struct chain *c)
{
	struct buf b = {0};
	size_t exts;
	size_t cert_inner = 4 + 1 + 3 + c->tls_len - 3 + 2 * (size_t)c->ncerts;

	buf_u16(&b, 0x0303);
	buf_rand(&b, r, 32);
	buf_u8(&b, 32);
	buf_put(&b, sid, 32);
	buf_u16(&b, 0x1302);
	buf_u8(&b, 0);
	exts = buf_open(&b, 2);
	tls_ext(&b, 43, "\x03\x04", 2); /* supported_versions: TLS 1.3 */
	buf_u16(&b, 51);                /* key_share: x25519 */
	buf_u16(&b, 36);
	buf_u16(&b, 0x001d);
	buf_u16(&b, 32);
	buf_rand(&b, r, 32);
	buf_close(&b, exts, 2);
	tls_hs_records(out, 2, &b, 0x0303);
	buf_free(&b);
	tls_ccs(out);
	tls_record_rand(out, 23, 23, r);
	for (size_t done = 0; done < cert_inner;) { /* 2^14 + type + tag per record */
		size_t n = cert_inner - done < TLS_REC_MAX ? cert_inner - done : TLS_REC_MAX;

		tls_record_rand(out, 23, n + 17, r);
		done += n;
	}
	tls_record_rand(out, 23, 4 + 4 + sig_len_of(c->leaf_kt) + 17, r);
	tls_record_rand(out, 23, 4 + 48 + 17, r);
}
