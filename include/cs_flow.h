/*
 * cs_flow.h - the TCP flow table.
 *
 * A preallocated pool of flows (cap --max-flows) found through a keyed hash
 * (seed from getrandom(), so a remote peer cannot aim collisions), both
 * directions of a connection in one flow.  Flows sit on one of two LRU
 * lists by capture time: "active" (a handshake is being buffered) and
 * "quiet" (bypassed, finished, or never TLS).  When the table is full the
 * oldest quiet flow is evicted first, so a SYN flood evicts itself before
 * it can push out a handshake in progress.  Flows idle for
 * CS_FLOW_IDLE_TIMEOUT_S of capture time are expired a few per packet.
 *
 * A struct flow * is valid only until the next flow-table call that may
 * evict (lookup, expire).  The owner (engine) is told about every flow that
 * leaves the table through the on_evict callback.
 */
#ifndef CS_FLOW_H
#define CS_FLOW_H

#include "cs_evidence.h"
#include "cs_ilist.h"
#include "cs_reasm.h"
#include "cs_tls.h"

enum flow_list { FLOW_QUIET, FLOW_ACTIVE };

struct flow {
	/* endpoint 0 is the source of the first packet seen */
	struct cs_addr addr[2];
	uint16_t port[2];
	uint32_t hnext;        /* index; UINT32_MAX = none */
	struct ilist_link lru; /* in the table's list `list` */
	uint8_t list;          /* enum flow_list */
	bool used;
	/* transport state, owned by the engine */
	bool bypass, closed, counted;
	bool syn[2], fin[2], rst[2], snaplen[2], payload_seen[2];
	int8_t synack_dir;           /* sender of the SYN-ACK, -1 unknown */
	int8_t first_fin, first_rst; /* who closed or reset first, -1 none */
	int64_t rst_ts;              /* capture time of the first RST */
	uint32_t isn[2];
	int64_t first_ts, last_ts;
	uint32_t input; /* where the chain was completed */
	uint64_t chain_frame;
	int64_t chain_ts;
	struct reasm_dir dir[2];
	struct tls_conn *tls;         /* from the tls pool, NULL if none */
	struct evidence_buf evidence; /* --write-broken: packets held, owned by the engine */
};

struct flow_table;

typedef void (*flow_evict_fn)(void *ctx, struct flow *f, bool capped);

struct flow_table *flow_table_new(uint32_t max_flows, flow_evict_fn on_evict, void *ctx);
/* --workers: the table also keeps within a total shared with other tables
 * (cs_budget.h; its cap is their max_flows), evicting its own oldest flow
 * when the total is reached.  total outlives the table. */
struct cs_budget;
void flow_table_share(struct flow_table *ft, struct cs_budget *total);
void flow_table_free(struct flow_table *ft);

/* Find the flow of this segment or create it (evicting if full).
 * *dir is 0 when src is endpoint 0.  *created tells a new flow.
 * NULL only when the table has no slot at all (max_flows == 0). */
struct flow *flow_lookup(struct flow_table *ft, const struct cs_addr *src, uint16_t sport,
			 const struct cs_addr *dst, uint16_t dport, int64_t now, int *dir,
			 bool *created);
/* Move f to the head of a list (it was just used). */
void flow_touch(struct flow_table *ft, struct flow *f, enum flow_list list);
/* Expire up to max flows idle since before now - timeout. */
void flow_expire(struct flow_table *ft, int64_t now, unsigned max);
/* Call on_evict for every flow and empty the table. */
void flow_flush(struct flow_table *ft);

/* TLS connection objects: pooled, capped at max_flows. */
struct tls_conn *flow_tls_get(struct flow_table *ft);
void flow_tls_put(struct flow_table *ft, struct tls_conn *c);

uint32_t flow_table_count(const struct flow_table *ft);
uint64_t flow_table_evicted(const struct flow_table *ft);

#endif
