/*
 * cs_agg.h - the server aggregate: one entry per (server IP, server port,
 * SNI or none), holding every distinct chain the server sent with its count
 * and where it was first seen.  Capped at CS_MAX_SERVERS entries and
 * CS_MAX_CHAINS_PER_SERVER chains per entry (hits counted by the caller).
 * Chains are borrowed from the chain store, which outlives the aggregate.
 */
#ifndef CS_AGG_H
#define CS_AGG_H

#include "cs_chain.h"
#include "cs_clientset.h"

#define AGG_VERSIONS 4 /* SSL3.0, TLS1.0, TLS1.1, TLS1.2 */

struct diag_verdict;

struct agg_chain {
	const struct cs_chain *chain;
	uint64_t handshakes;
	uint64_t broken_handshakes;
	uint64_t ok_then_handshakes;        /* broken, but valid with the store of their capture day
				       * (ok_at_capture_time); the rest were broken then */
	uint64_t unjudged_handshakes;       /* judged "unknown" (budget, no room to wait) */
	uint32_t problems;                  /* union of problem bits over its handshakes */
	const struct diag_verdict *verdict; /* of its latest handshake (owned by judge.c) */
	bool hostname_mismatch;             /* at its latest handshake */
	uint16_t key_usage_suite;           /* at its latest handshake: the cipher suite
					     * whose key exchange the leaf's keyUsage does
					     * not allow (key_usage_mismatch), 0: none */
	int64_t last_ts;
	uint32_t first_input;
	uint64_t first_frame; /* 0 on a live interface */
	int64_t first_ts;
	void *notes; /* a producer's notes (merge: what the reports said of
			       * the chain); NULL on a sensor, never freed here */
};

enum agg_sni { AGG_SNI_SENT, AGG_SNI_NOT_SENT, AGG_SNI_NOT_CAPTURED };

/* Fatal alerts clients sent after the server's Certificate flight. */
struct agg_fingerprint {
	char ja3[CS_JA3_LEN + 1], ja4[CS_JA4_LEN + 1];
	uint64_t handshakes;
};

struct agg_rejection {
	uint8_t alert; /* TLS AlertDescription */
	uint64_t handshakes;
	struct clientset clients;
	uint32_t nfp;
	struct agg_fingerprint fp[AGG_MAX_FINGERPRINTS];
};

struct agg_server {
	struct cs_addr ip;
	uint16_t port;
	bool has_sni;
	uint8_t sni_len;
	char sni[CS_MAX_SNI + 1];
	uint64_t sni_not_sent, sni_not_captured;
	uint64_t tls_handshakes; /* every TLS handshake, chain visible or not */
	uint64_t handshakes;     /* with a visible chain */
	uint64_t broken_handshakes;
	uint64_t ok_then_handshakes; /* of them, valid with the store of their capture day */
	uint64_t unjudged_handshakes;
	struct clientset clients; /* clients sent a broken chain */
	struct clientset clients_total;
	uint32_t problems;
	uint32_t nrejections;
	struct agg_rejection *rejections; /* up to AGG_MAX_REJECTION_KINDS */
	uint64_t rejections_dropped;
	uint64_t versions[AGG_VERSIONS];
	int64_t first_seen, last_seen;
	uint32_t nchains;
	size_t chains_cap;
	struct agg_chain *chains;
};

/* One handshake with a visible server chain. */
struct agg_handshake {
	const struct cs_addr *server_ip;
	uint16_t server_port;
	const char *sni; /* NULL: none */
	size_t sni_len;
	enum agg_sni sni_status;
	uint16_t version;
	const struct cs_chain *chain; /* NULL: no visible chain (TLS 1.3, resumed, ...) */
	const struct cs_addr *client_ip;
	bool broken;
	bool ok_then; /* broken, but valid with the store of its
					     * capture day (ok_at_capture_time) */
	uint32_t problems;
	const struct diag_verdict *verdict; /* NULL: not judged */
	bool unjudged;                      /* the verdict is "unknown" */
	bool hostname_mismatch;
	uint16_t key_usage_suite; /* key_usage_mismatch: its cipher suite, 0: none */
	bool rejected;            /* a fatal alert from the client */
	uint8_t alert;
	const char *ja3, *ja4; /* of the client's ClientHello, may be NULL */
	uint32_t input;
	uint64_t frame;
	int64_t ts;
};

struct agg_stats {
	uint64_t servers_evicted; /* healthy servers dropped to make room */
	uint64_t servers_cap;
	uint64_t chains_per_server_cap;
	uint64_t fingerprints_cap; /* a rejection's JA3/JA4 pairs past AGG_MAX_FINGERPRINTS */
};

struct agg;

struct agg *agg_new(uint32_t max_servers);
void agg_free(struct agg *a);
enum cs_status agg_add(struct agg *a, const struct agg_handshake *h);
/* What identifies a server entry, and the fixed order of entries that
 * rank alike: address (IPv4 first), port, then SNI (none first). */
struct agg_key {
	const struct cs_addr *ip;
	uint16_t port;
	bool has_sni;
	const char *sni;
	size_t sni_len;
};
int agg_key_cmp(const struct agg_key *a, const struct agg_key *b);

/* Handshakes broken on their capture day too (not ok_at_capture_time). */
uint64_t agg_server_broken_then(const struct agg_server *s);
uint64_t agg_chain_broken_then(const struct agg_chain *c);

/* Entries in rank order: handshakes broken on their capture day, then
 * broken handshakes (the rest are broken only with today's store),
 * clients affected, then server IP, port, SNI (none first) as a fixed
 * tie-break.  The array is owned by the aggregate and valid until the
 * next agg_add. */
const struct agg_server *const *agg_sorted(struct agg *a, size_t *n);
const struct agg_stats *agg_stats(const struct agg *a);
/* Whether a client's alert speaks of the certificate or its signature
 * (RFC 5246 7.2.2: 42-46, 48, 49; 51 for a signature that fails). */
bool agg_alert_about_certificate(uint8_t alert);
/* rejected_but_judged_ok: clients refused s's chains with such an alert,
 * and none of its handshakes was judged broken. */
bool agg_rejected_but_judged_ok(const struct agg_server *s);
/* Distinct chains referenced by any server (chain ids are below max_id). */
size_t agg_distinct_chains(const struct agg *a, size_t max_id);

/* Restoring saved state: find or create an entry / a chain of it, with
 * zero counts the caller then fills.  NULL at a cap. */
struct agg_server *agg_restore_server(struct agg *a, const struct cs_addr *ip, uint16_t port,
				      const char *sni, size_t sni_len);
struct agg_chain *agg_restore_chain(struct agg *a, struct agg_server *s, const struct cs_chain *c);
/* A restored entry's rejections: find or create the one for alert. */
struct agg_rejection *agg_restore_rejection(struct agg_server *s, uint8_t alert);
/* A JA3/JA4 pair of a rejection not listed: AGG_MAX_FINGERPRINTS were
 * (restoring a state or merging; live traffic counts its own). */
void agg_fingerprint_refused(struct agg *a);

#endif
