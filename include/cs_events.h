/*
 * cs_events.h - --events: one NDJSON line per finished TLS handshake
 * ("event_type": "tls_chain"), written when its verdict is known, for a
 * SIEM (docs/report-format.md lists the fields and maps them to Suricata
 * EVE "tls" and Zeek ssl.log/x509.log).  --notices (cs_notices.h) writes
 * the same members under another event_type.
 *
 * Times: "time" is the server's Certificate message (the time the verdict
 * used), or the handshake's last packet when there is no chain; "start" is
 * the connection's first packet.  The Community ID (cs_community.h) names
 * the TCP connection as Zeek and Suricata do.  Leaf facts (subject,
 * issuer, serial, validity, SAN DNS names) come from the chain store.
 *
 * Cost: runs on the packet path, so nothing here allocates: the line is
 * streamed through the JSON writer (cs_jsonw.h); every string from the
 * wire or a certificate is escaped (esc_json).  The one exception is
 * libcrypto's SHA-1 context for the Community ID (community.c), and a
 * certificate whose facts no analysis has parsed yet (cert_facts parses
 * it once).
 */
#ifndef CS_EVENTS_H
#define CS_EVENTS_H

#include <stdio.h>

#include "cs_engine.h"
#include "cs_jsonw.h"

/* ev's members (everything after "event_type") into the open object of w. */
void events_members(struct jw *w, const struct engine_event *ev, uint16_t community_seed);
/* One line {"event_type": "tls_chain", ...} and a newline to f. */
void events_write(FILE *f, const struct engine_event *ev, uint16_t community_seed);

#endif
