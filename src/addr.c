/*
 * addr.c - IP addresses as text and back, and their order (cs_addr.h).
 * Parsing and printing are libc's inet_pton/inet_ntop: the operator's
 * files, the command line and our own reports are the only text read here.
 * Owns nothing.
 */
#include "cs_addr.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <string.h>

int cs_addr_cmp(const struct cs_addr *a, const struct cs_addr *b)
{
	if (a->family != b->family)
		return a->family < b->family ? -1 : 1;
	return memcmp(a->a, b->a, 16);
}

const char *cs_addr_str(const struct cs_addr *a, char *buf, size_t len)
{
	if (a->family == 4)
		return inet_ntop(AF_INET, a->a + 12, buf, (socklen_t)len);
	return inet_ntop(AF_INET6, a->a, buf, (socklen_t)len);
}

void cs_endpoint_str(const struct cs_addr *a, uint16_t port, char *buf, size_t len)
{
	char ip[CS_ADDR_STRLEN];

	if (!cs_addr_str(a, ip, sizeof(ip)))
		ip[0] = '\0';
	snprintf(buf, len, a->family == 6 ? "[%s]:%u" : "%s:%u", ip, port);
}

bool cs_addr_parse(const char *s, struct cs_addr *a)
{
	uint8_t b[16];

	memset(a, 0, sizeof(*a));
	if (inet_pton(AF_INET, s, b) == 1) {
		a->family = 4;
		a->a[10] = a->a[11] = 0xff; /* ::ffff:a.b.c.d, as the decoder keeps it */
		memcpy(a->a + 12, b, 4);
		return true;
	}
	if (inet_pton(AF_INET6, s, b) == 1) {
		a->family = 6;
		memcpy(a->a, b, 16);
		return true;
	}
	return false;
}
