/*
 * cs_community.h - the Community ID flow hash, version 1, as Zeek,
 * Suricata, Arkime and Wireshark emit it ("community_id" in events), so
 * that a SIEM can join chainsniff's lines with their flow records.
 *
 *   "1:" base64( SHA-1( seed . saddr . daddr . proto . 0 . sport . dport ) )
 *
 * seed is 2 bytes, addresses 4 (IPv4) or 16 (IPv6) bytes, ports 2 bytes,
 * all in network byte order; the endpoints are ordered so that the smaller
 * (address, port) comes first, which makes the ID the same for both
 * directions.  Reference: https://github.com/corelight/community-id-spec
 * (README, "Pseudo code"; baseline/ holds the test vectors our unit test
 * checks).  The seed is Zeek's CommunityID::seed and Suricata's
 * community-id-seed (default 0); every monitor of a site must use the same.
 */
#ifndef CS_COMMUNITY_H
#define CS_COMMUNITY_H

#include "cs_common.h"

/* "1:" + 28 base64 characters + NUL */
#define CS_COMMUNITY_ID_LEN 31

#define CS_IPPROTO_TCP 6

/* The ID of the flow between a:pa and b:pb (either order) into out.
 * false (out "") when a and b are not of one family or libcrypto fails. */
bool community_id_v1(uint16_t seed, uint8_t proto, const struct cs_addr *a, uint16_t pa,
		     const struct cs_addr *b, uint16_t pb, char out[CS_COMMUNITY_ID_LEN]);

#endif
