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

#define AGG_VERSIONS 4 /* SSL3.0, TLS1.0, TLS1.1, TLS1.2 */

struct agg_chain {
	const struct cs_chain *chain;
	uint64_t handshakes;
	uint32_t first_input;
	uint64_t first_frame; /* 0 on a live interface */
	int64_t first_ts;
};

enum agg_sni { AGG_SNI_SENT, AGG_SNI_NOT_SENT, AGG_SNI_NOT_CAPTURED };

struct agg_server {
	struct cs_addr ip;
	uint16_t port;
	bool has_sni;
	uint8_t sni_len;
	char sni[CS_MAX_SNI + 1];
	uint64_t sni_not_sent, sni_not_captured;
	uint64_t handshakes;
	uint64_t versions[AGG_VERSIONS];
	int64_t first_seen, last_seen;
	uint32_t nchains, chains_cap;
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
	const struct cs_chain *chain;
	uint32_t input;
	uint64_t frame;
	int64_t ts;
};

struct agg_stats {
	uint64_t servers_cap;
	uint64_t chains_per_server_cap;
};

struct agg;

struct agg *agg_new(uint32_t max_servers);
void agg_free(struct agg *a);
enum cs_status agg_add(struct agg *a, const struct agg_handshake *h);
/* Entries in report order (server IP, port, SNI with none first). The
 * array is owned by the aggregate and valid until the next agg_add. */
const struct agg_server *const *agg_sorted(struct agg *a, size_t *n);
const struct agg_stats *agg_stats(const struct agg *a);
/* Distinct chains referenced by any server (chain ids are below max_id). */
size_t agg_distinct_chains(const struct agg *a, size_t max_id);

/* Compare addresses as numbers, IPv4 before IPv6. */
int cs_addr_cmp(const struct cs_addr *a, const struct cs_addr *b);
/* Text form (dotted quad or RFC 5952) into buf (INET6_ADDRSTRLEN bytes). */
const char *cs_addr_str(const struct cs_addr *a, char *buf, size_t len);

#endif
