/*
 * cs_ignore.h - operator policy applied before aggregation: --server-net
 * (only the operator's own servers are reported) and --ignore (known
 * problems left out).
 *
 * Ignore file: one rule a line, '#' starts a comment:
 *     SERVER  SNI  CODE
 * SERVER is an address, address:port ([v6]:port) or '*'; SNI a host name,
 * '-' (none sent) or '*'; CODE a problem code or '*'.  A handshake whose
 * remaining problems are all warnings (or none) is not broken.
 */
#ifndef CS_IGNORE_H
#define CS_IGNORE_H

#include "cs_agg.h"

struct cs_cidr {
	struct cs_addr net;
	uint8_t prefix; /* over the 128-bit form (IPv4 prefixes + 96) */
};

/* "192.0.2.0/24", "2001:db8::/32" or a single address. */
bool cidr_parse(const char *s, struct cs_cidr *out);
bool cidr_contains(const struct cs_cidr *c, const struct cs_addr *a);

struct ignore_list;

/* NULL with err set (file:line: reason) on failure. */
struct ignore_list *ignore_load(const char *path, char *err, size_t errlen);
void ignore_free(struct ignore_list *l);
/* Problem bits ignored for this server. */
uint32_t ignore_mask(const struct ignore_list *l, const struct cs_addr *ip, uint16_t port,
		     const char *sni, size_t sni_len);
/* Drop ignored problems from a handshake; recompute broken. */
void ignore_apply(const struct ignore_list *l, struct agg_handshake *h);

#endif
