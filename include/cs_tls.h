/*
 * cs_tls.h - the TLS record and handshake layers of one TCP connection.
 *
 * Fed the contiguous bytes of each direction by the engine, it finds the
 * first TLS record (after any STARTTLS or other plaintext preamble, or in
 * the middle of a stream), walks records, reassembles handshake messages
 * that span records, and keeps what chainsniff needs: the ClientHello's SNI
 * and session id, the negotiated version, the server's Certificate message
 * (interned in the chain store), which side is the server, the cipher
 * suite, and the first cleartext alert (a fatal one replaces a warning).
 * It decides when the cleartext part of the handshake is over (`done`:
 * TLS 1.3 or resumption, a fatal alert, application data, or the client's
 * ChangeCipherSpec after the server's flight), after which the flow
 * buffers nothing more.
 *
 * Byte ownership: data passed to tls_feed is borrowed; partial handshake
 * messages are copied into one pool buffer per direction.
 */
#ifndef CS_TLS_H
#define CS_TLS_H

#include "cs_bufpool.h"
#include "cs_chain.h"
#include "cs_limits.h"
#include "cs_openvpn.h"
#include "cs_starttls.h"

enum tls_outcome {
	TLS_OUT_CHAIN,
	TLS_OUT_TLS13,
	TLS_OUT_RESUMED,
	TLS_OUT_NO_CERT,
	TLS_OUT_INCOMPLETE,
};

/* Why a handshake is incomplete; names are a JSON contract. */
enum tls_incomplete {
	TLS_INC_NO_SERVER_HELLO,
	TLS_INC_GAP,
	TLS_INC_CAPTURE_ENDED,
	TLS_INC_SNAPLEN,
	TLS_INC_MALFORMED,
	TLS_INC_TOO_LONG,
	TLS_INC_EVICTED,
	TLS_INC_CLIENT_RESET, /* the client sent an RST before the chain was whole */
	TLS_INC_SERVER_RESET,
	TLS_INC_CLIENT_ALERT, /* a fatal alert ended the handshake first */
	TLS_INC_SERVER_ALERT,
	TLS_INC_CLIENT_CLOSED, /* a FIN, and the server's flight never completed */
	TLS_INC_SERVER_CLOSED,
	TLS_INC_MAX
};

struct tls_stats {
	uint64_t malformed; /* records or messages that did not parse */
	uint64_t midstream_resync;
	uint64_t sslv2_client_hellos;
	uint64_t preamble_cap; /* directions given up: no TLS in the first bytes */
	uint64_t msg_too_long;
	uint64_t chain_certs_cap;
	uint64_t chains_cap; /* the chain store refused a new chain */
	uint64_t memcap;     /* the buffer pool refused a message buffer */
};

/* Per-direction parsing state (private to tls.c). */
struct tls_dir {
	uint8_t mode; /* enum in tls.c */
	bool saw_record;
	bool ccs;           /* ChangeCipherSpec sent: later records are encrypted */
	uint8_t last_hs;    /* type of the last handshake message, 0 = none */
	uint32_t skipped;   /* plaintext bytes before the first record */
	uint8_t incoherent; /* hunted candidates walked and refused */
	struct cs_buf hs;   /* a handshake message spanning records */
};

struct tls_conn {
	struct tls_dir d[2];
	int8_t server;   /* 0 or 1, -1 while unknown */
	int8_t cert_dir; /* a Certificate from this side awaits attribution */
	bool client_hello, server_hello, tls13, resumed;
	bool server_flight_done; /* ServerHelloDone, or the server moved on */
	bool done;               /* cleartext handshake over */
	bool malformed, too_long;
	uint8_t starttls;         /* enum tls_starttls */
	struct starttls preamble; /* what the skipped plaintext said (starttls.c) */
	uint16_t version;         /* negotiated (ServerHello), 0 if unknown */
	uint16_t cipher_suite;    /* chosen by the ServerHello (before TLS 1.3), 0 if unknown */
	bool sni_sent;
	uint8_t sni_len;
	uint8_t sid_len;
	uint8_t sid[32];
	char sni[CS_MAX_SNI + 1];
	uint32_t client_certs; /* Certificate messages from the client */
	bool fingerprinted;    /* ja3/ja4 of the (first) ClientHello: tls_fingerprint() */
	char ja3[CS_JA3_LEN + 1], ja4[CS_JA4_LEN + 1];
	bool ch_kept;     /* the first ClientHello was kept (or fingerprinted) */
	struct cs_buf ch; /* its body, until fingerprinted or released */
	bool alert_seen;  /* first cleartext alert, for the diagnosis */
	uint8_t alert_dir, alert_level, alert_desc;
	const struct cs_chain *chain; /* the server's chain, or a pending one */
	bool chain_new;               /* set when chain was completed by this feed */
	struct ovpn framing;          /* OpenVPN below TLS: driven by the engine */
};

struct tls_env {
	struct cs_bufpool *bp;
	struct cs_chain_store *chains;
	struct tls_stats *st;
};

void tls_conn_init(struct tls_conn *c);
void tls_conn_release(struct tls_conn *c, struct cs_bufpool *bp);
/* The transport already knows the server (sender of the SYN-ACK). */
void tls_set_server(struct tls_conn *c, int dir);
/* Parse what can be parsed of data (contiguous bytes of direction dir).
 * Returns how many bytes were consumed (the rest must be offered again with
 * more bytes appended). */
size_t tls_feed(struct tls_conn *c, const struct tls_env *env, int dir, struct cs_slice data);
/* JA3/JA4 of the first ClientHello into ja3/ja4 (fingerprinted set), from
 * the copy kept of it; a no-op when done or no ClientHello was seen. */
void tls_fingerprint(struct tls_conn *c, struct cs_bufpool *bp);
/* Whether a ClientHello or ServerHello was seen: the connection is a TLS
 * handshake.  (A lone Certificate message is only counted as unattributed.) */
bool tls_seen(const struct tls_conn *c);
/* Classify the connection once it is over. */
enum tls_outcome tls_outcome(const struct tls_conn *c);
/* A server chain, attributed. */
const struct cs_chain *tls_server_chain(const struct tls_conn *c);
/* A Certificate message whose side could not be told. */
bool tls_unattributed(const struct tls_conn *c);
/* Direction dir is still looking for its first record (plaintext so far). */
bool tls_hunting(const struct tls_conn *c, int dir);
/* n bytes of direction dir were lost before its first record (a gap the
 * engine skipped): they count as skipped plaintext, and the bytes on either
 * side of the hole are not one text. */
void tls_skip_gap(struct tls_conn *c, int dir, uint32_t n);

const char *tls_version_name(uint16_t v);
const char *tls_outcome_name(enum tls_outcome o);
const char *tls_alert_name(uint8_t desc);
const char *tls_incomplete_name(enum tls_incomplete r);

#endif
