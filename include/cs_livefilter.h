/*
 * cs_livefilter.h - the kernel filter of a live capture when -f is not
 * given.
 *
 * It must let through every frame the decoder could turn into a TCP
 * segment, and drop in the kernel what it never could (UDP such as QUIC and
 * DNS, ICMP, ARP), which would otherwise be copied to user space for
 * nothing.  BPF's `tcp` does neither: it misses TCP behind VLAN tags the
 * kernel did not strip (QinQ: the outer tag is stripped, the inner one
 * stays), tunnels and IP fragments.  The expression is written with byte
 * offsets (no `vlan` keyword, whose offsets leak into the rest of an
 * expression) for each depth of 802.1Q/802.1ad tags up to
 * CS_MAX_VLAN_TAGS, and passes, at any depth: IPv4 and IPv6 TCP, IP
 * fragments, IP-in-IP, GRE, UDP to the VXLAN, Geneve and GTP-U ports,
 * IPv6 extension headers, and the shims the decoder follows itself
 * (PPPoE sessions, MPLS, Cisco MetaData).
 */
#ifndef CS_LIVEFILTER_H
#define CS_LIVEFILTER_H

#include "cs_common.h"

/* The expression for a link type (EN10MB, LINUX_SLL, LINUX_SLL2, RAW) in
 * buf, or NULL when the link type gets no kernel filter (the decoder alone
 * decides: 802.11, NFLOG, PPP, ...) or buf is too small. */
const char *livefilter_default(int linktype, char *buf, size_t len);

#endif
