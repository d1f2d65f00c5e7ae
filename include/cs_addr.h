/*
 * cs_addr.h - IP addresses (struct cs_addr, cs_common.h) as text and back,
 * and their order.
 *
 * An IPv4 address is kept as ::ffff:a.b.c.d with family 4, so that keys
 * are uniform; it prints as a dotted quad, an IPv6 address as RFC 5952
 * (inet_ntop).  The text a report writes reads back to the same address.
 */
#ifndef CS_ADDR_H
#define CS_ADDR_H

#include "cs_common.h"

#define CS_ADDR_STRLEN 46     /* INET6_ADDRSTRLEN, with the NUL */
#define CS_ENDPOINT_STRLEN 56 /* "[" address "]:" port, with the NUL */

/* Compare addresses as numbers, IPv4 before IPv6. */
int cs_addr_cmp(const struct cs_addr *a, const struct cs_addr *b);
/* Text form (dotted quad or RFC 5952) into buf (CS_ADDR_STRLEN bytes);
 * returns buf, or NULL when len is too small. */
const char *cs_addr_str(const struct cs_addr *a, char *buf, size_t len);
/* "192.0.2.1:443" or "[2001:db8::1]:443" into buf (CS_ENDPOINT_STRLEN). */
void cs_endpoint_str(const struct cs_addr *a, uint16_t port, char *buf, size_t len);
/* A dotted quad or an IPv6 address (no port, no brackets, no prefix) back
 * to an address; false when s is anything else. */
bool cs_addr_parse(const char *s, struct cs_addr *a);

#endif
