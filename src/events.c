/*
 * events.c - the --events line of one handshake (cs_events.h).  Owns
 * nothing: the event is borrowed for the call, the stream is the caller's.
 * Field names are a contract (docs/report-format.md): add, never rename.
 */
#include "cs_events.h"
#include "cs_addr.h"
#include "cs_codec.h"
#include "cs_community.h"
#include "cs_problems.h"

#include <string.h>

static void member_ip(struct jw *w, const char *k, const struct cs_addr *a)
{
	char ip[CS_ADDR_STRLEN];

	if (a)
		jw_str(w, k, cs_addr_str(a, ip, sizeof(ip)));
	else
		jw_null(w, k);
}

/* ok / broken / unknown, null without a chain; unknown_reason beside it. */
static void member_status(struct jw *w, const struct engine_event *ev)
{
	const struct diag_verdict *v = ev->verdict;
	bool unknown = ev->chain && (!v || v->status == DIAG_UNKNOWN);

	jw_str(w, "status", !ev->chain ? NULL : unknown ? "unknown" : ev->broken ? "broken" : "ok");
	jw_str(w, "unknown_reason",
	       unknown ? diag_unknown_name(v ? v->unknown_reason : DIAG_UNK_NONE) : NULL);
	if (ev->chain) /* broken, but valid with the store of the capture's day */
		jw_bool(w, "ok_at_capture_time", ev->ok_at_capture_time);
	else
		jw_null(w, "ok_at_capture_time");
	jw_open(w, "problems", '[');
	for (int i = 0; i < CS_P_MAX; i++)
		if (ev->problems & (1u << i))
			jw_str(w, NULL, problem_name((enum cs_problem)i));
	jw_close(w, ']');
}

static void member_alert(struct jw *w, const struct engine_event *ev)
{
	if (!ev->alert) {
		jw_null(w, "alert");
		return;
	}
	jw_open(w, "alert", '{');
	jw_u64(w, "level", ev->alert_level);
	jw_u64(w, "description", ev->alert_desc);
	jw_str(w, "name", tls_alert_name(ev->alert_desc));
	jw_str(w, "from", ev->alert_from_client ? "client" : "server");
	jw_close(w, '}');
}

/* The leaf certificate as the chain store parsed it (null without a chain). */
static void member_leaf(struct jw *w, const struct engine_event *ev)
{
	const struct cs_cert_facts *f;
	char hex[2 * CS_SHA256_LEN + 1];
	size_t o = 0;

	if (!ev->chain || ev->chain->n_certs == 0) {
		jw_null(w, "leaf");
		return;
	}
	f = cert_facts(ev->chain->certs[0]);
	jw_open(w, "leaf", '{');
	hex_lower(ev->chain->certs[0]->sha256, CS_SHA256_LEN, hex);
	jw_str(w, "sha256", hex);
	jw_bool(w, "parsed", f->parsed);
	jw_cert_facts(w, f);
	jw_open(w, "san_dns", '[');
	for (uint32_t i = 0; i < f->n_dns; o += f->dns_len[i++])
		jw_wire(w, NULL, f->dns + o, f->dns_len[i]);
	jw_close(w, ']');
	jw_u64(w, "san_dns_count", f->dns_total);
	jw_close(w, '}');
}

void events_members(struct jw *w, const struct engine_event *ev, uint16_t community_seed)
{
	char hex[2 * CS_SHA256_LEN + 1], cid[CS_COMMUNITY_ID_LEN];

	jw_time(w, "time", ev->ts);
	jw_time(w, "start", ev->start_ts);
	jw_str(w, "sensor", ev->sensor);
	jw_str(w, "input", ev->input->name);
	if (community_id_v1(community_seed, CS_IPPROTO_TCP, ev->ends[0], ev->end_ports[0],
			    ev->ends[1], ev->end_ports[1], cid))
		jw_str(w, "community_id", cid);
	else
		jw_null(w, "community_id");
	member_ip(w, "client_ip", ev->client_ip);
	jw_u64(w, "client_port", ev->client_port);
	member_ip(w, "server_ip", ev->server_ip);
	jw_u64(w, "server_port", ev->server_port);
	if (ev->sni)
		jw_wire(w, "sni", ev->sni, ev->sni_len);
	else
		jw_null(w, "sni");
	jw_str(w, "version", ev->version ? tls_version_name(ev->version) : NULL);
	jw_str(w, "outcome", tls_outcome_name(ev->outcome));
	jw_str(w, "incomplete_reason",
	       ev->outcome == TLS_OUT_INCOMPLETE ? tls_incomplete_name(ev->reason) : NULL);
	if (ev->chain)
		hex_lower(ev->chain->sha256, CS_SHA256_LEN, hex);
	jw_str(w, "chain_sha256", ev->chain ? hex : NULL);
	member_status(w, ev);
	jw_str(w, "starttls",
	       ev->starttls ? tls_starttls_name((enum tls_starttls)ev->starttls) : NULL);
	member_alert(w, ev);
	jw_str(w, "ja3", ev->ja3);
	jw_str(w, "ja4", ev->ja4);
	member_leaf(w, ev);
}

void events_write(FILE *f, const struct engine_event *ev, uint16_t community_seed)
{
	struct jw w;

	jw_init(&w, f, true);
	jw_open(&w, NULL, '{');
	jw_str(&w, "event_type", "tls_chain");
	events_members(&w, ev, community_seed);
	jw_close(&w, '}');
	fputc('\n', f);
}
