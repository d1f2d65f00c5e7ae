/*
 * benchgen.c - deterministic synthetic capture workloads for scripts/bench.sh.
 *
 *   benchgen -p PROFILE -o PREFIX [-s SEED] [--scale F | -n CONNECTIONS]
 *            [--key-dir DIR] [--dump-chains DIR] [--slice-mib N]
 *
 * Writes PREFIX.pcap (Ethernet, IPv4, TCP with real sequence and
 * acknowledgement numbers, DNS over UDP; microsecond pcap), PREFIX.roots.pem
 * (the workload's trust anchors, for chainsniff --ca-file) and
 * PREFIX.truth.json (what a correct analyzer reports: connections, handshakes,
 * distinct chains and servers, the deliberately broken servers with their
 * problem codes, and the same counts for the first --slice-mib MiB, which
 * bench.sh cuts for tshark and for the live replay).
 *
 * PREFIX.truth.json: file_bytes, packets, wire_bytes; flows {total, tcp,
 * udp, tls, http, ssh, dns}; tls_handshakes, handshakes_with_chain, tls13,
 * resumed (chainsniff's totals of the same names); distinct_chains and
 * distinct_servers (IP, port, SNI) among those with a handshake;
 * broken_handshakes and servers_broken, the deliberately broken ones;
 * broken_servers[] {server_ip, server_port, sni, kind, codes (the error
 * codes a correct verdict has, exactly), handshakes, chain (SHA-256)};
 * hostile_servers_list[] (same fields, codes null: broken or unknown are
 * both honest, ok is not); slice {limit_bytes, file_bytes, packets,
 * tls_handshakes (ClientHellos inside), certificate_messages (completed
 * inside), distinct_chains}; bulk_payload_bytes, bulk_frame_bytes,
 * noise_frame_bytes; capture_start, capture_end; generation_seconds.
 *
 * Profiles (issue 9; the numbers are the defaults, --scale multiplies them):
 *  handshake   300,000 TLS connections to 2,000 servers of Zipf popularity,
 *              312 distinct chains, resumed and TLS 1.3 connections mixed in.
 *  gateway     50,000 flows over ~2 GiB: 20,000 TLS (bulk application data
 *              in full-MSS segments is ~80% of the bytes), HTTP, SSH-like TCP
 *              and DNS over UDP as ~10% non-TLS noise.
 *  manychains  60,000 handshakes, each with its own 2-certificate chain
 *              (P-256 leaf under a P-256 intermediate) to its own server.
 *  hostile     200 handshakes whose 32-certificate chains (a leaf under 31
 *              CA certificates over 4 names in a cycle, all signed with one
 *              P-384 key) make path building explode: the first 150 share
 *              their CA certificates, the last 50 bring 31 fresh ones under a
 *              fresh key each; then one ordinary leaf-only handshake (a
 *              missing intermediate), last in time.
 *
 * The PKI is made with libcrypto: roots, intermediates and leaves with
 * RSA-2048, RSA-4096, ECDSA P-256 and P-384 keys at every level (verifying
 * P-384 costs ~35x RSA-2048, so the mix matters), with the extensions public
 * CAs issue (basicConstraints, keyUsage, EKU serverAuth, SAN DNS names that
 * match the SNI, SKI/AKI, certificatePolicies, CRL distribution points,
 * caIssuers AIA on some leaves) and validity around the capture date.
 * Deliberately broken chains: leaf only (missing intermediate), wrong order,
 * expired leaf, untrusted root, hostname mismatch.
 *
 * TLS is scripted the way OpenSSL 3.0 s_client and s_server talk (the shapes
 * of pcaps/lab/one-intermediate.pcap, resumption.pcap and tls13.pcap, read
 * with tshark): TCP handshake; a ClientHello offering TLS 1.3 and 1.2; a
 * TLS 1.2 server flight of ServerHello, Certificate, ServerKeyExchange and
 * ServerHelloDone, one record each, cut into MSS-sized segments;
 * ClientKeyExchange, ChangeCipherSpec, Finished; NewSessionTicket,
 * ChangeCipherSpec, Finished; application data; close_notify and FIN.
 * Resumed sessions send a ticket and get ServerHello, ChangeCipherSpec,
 * Finished (no Certificate); TLS 1.3 servers answer ServerHello
 * (supported_versions 0x0304), ChangeCipherSpec and encrypted records.
 * The capture point is next to the clients: a server's answer is seen one
 * RTT after the client's packet.  Connections arrive as a Poisson process
 * with their own RTT and client address; their packets are merged in time
 * order with a heap, so connections overlap as on a real link.
 *
 * Determinism: every choice (servers, popularity, chain shapes, timing,
 * sizes, payload bytes, certificate serials and names) comes from a PRNG
 * seeded with --seed, so two runs with the same seed and scale give the same
 * connections, handshakes, chains and verdicts.  Key pairs and ECDSA
 * signatures come from libcrypto's RNG: certificate bytes, chain SHA-256s
 * and, through the 1-2 byte length jitter of ECDSA signatures, a few frame
 * lengths (and, where a server flight crosses a segment boundary, a few
 * hundredths of a percent of the packets) differ between generations.  --key-dir DIR keeps the key pairs
 * between runs (RSA-4096 generation takes seconds); it is a cache, not a
 * secret.
 *
 * This file holds the profiles (what connections arrive when) and the
 * outputs; benchgen/pki.c makes keys, certificates, chains and servers,
 * benchgen/tls.c the TLS messages, benchgen/flow.c whole connections,
 * benchgen/net.c segments, frames, the pcap and the time-ordered merge, and
 * benchgen/util.c the PRNG and buffers.
 */
#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include <openssl/pem.h>
#include <openssl/x509.h>

#include "benchgen/benchgen.h"

/* Profiles ------------------------------------------------------------------ */

static uint32_t scaled(const struct gen *g, double n, uint32_t min)
{
	double v = n * g->scale;

	return v < min ? min : (uint32_t)(v + 0.5);
}

static void clients_init(struct gen *g, uint32_t n)
{
	g->nclients = n;
	g->client_port = xmalloc(n * sizeof *g->client_port);
	for (uint32_t i = 0; i < n; i++)
		g->client_port[i] = (uint16_t)rng_range(&g->r_traffic, 32768, 60999);
}

/* n connections arriving as a Poisson process (mean gap in microseconds). */
struct arrivals {
	uint32_t n, i; /* i: the arrival being drawn */
	double mean_gap_us;
	uint64_t t;
};

/* The next arrival's time in a cleared spec, or false when all have come;
 * the caller fills in the rest and counts it (a->i++). */
static bool arrival_next(struct gen *g, struct arrivals *a, struct spec *sp)
{
	if (a->i == a->n)
		return false;
	a->t += (uint64_t)rng_exp(&g->r_traffic, a->mean_gap_us);
	memset(sp, 0, sizeof *sp);
	sp->t = a->t;
	return true;
}

/* Poisson arrivals of TLS connections to Zipf-popular web servers. */
struct web_state {
	struct arrivals a;
	double resp_median;
};

static bool web_next(struct gen *g, void *state, struct spec *sp)
{
	struct web_state *w = state;
	struct rng *r = &g->r_traffic;
	double resp;

	if (!arrival_next(g, &w->a, sp))
		return false;
	w->a.i++;
	sp->kind = K_TLS;
	sp->server = (int32_t)zipf_draw(&g->popularity, r);
	sp->client = rng_below(r, g->nclients);
	resp = rng_lognormal(r, w->resp_median, 0.9);
	sp->resp_bytes = resp < 40 ? 40 : resp > 65536 ? 65536 : (uint64_t)resp;
	return true;
}

static void profile_handshake(struct gen *g)
{
	uint32_t conns = scaled(g, 300000, 20);
	struct web_state w = {0};

	g->tls13_share = 0.12;
	g->resume_p = 0.10;
	pki_build_web(g);
	servers_build_web(g, scaled(g, 2000, 30), scaled(g, 292, 8), scaled(g, 4, 1),
			  ip4(10, 16, 0, 0));
	clients_init(g, scaled(g, 20000, 20));
	w.a.n = conns;
	g->duration_us =
		(uint64_t)(600.0 * USEC * (conns / 300000.0 < 0.05 ? 0.05 : conns / 300000.0));
	w.a.mean_gap_us = (double)g->duration_us / conns;
	w.resp_median = 300;
	run_traffic(g, web_next, &w);
}

/* The gateway mix: flows of each kind in a shuffled order, bulk sizes drawn
 * from a Pareto law and scaled so that they make up the byte budget. */
struct gw_state {
	struct arrivals a;
	uint8_t *kinds;
	uint64_t *bytes;
	bool *bulk;
	uint32_t http_servers, ssh_servers;
};

static void pareto_fill(struct rng *r, uint64_t *out, uint32_t n, double budget, double cap)
{
	double *x = xmalloc(n * sizeof *x), sum = 0, k;

	for (uint32_t i = 0; i < n; i++) {
		x[i] = 1.0 / pow(1.0 - rng_unit(r), 1.0 / 1.3);
		sum += x[i];
	}
	k = budget / sum;
	for (int pass = 0; pass < 4; pass++) { /* cap, then spread what the cap cut */
		double over = 0, under = 0;

		for (uint32_t i = 0; i < n; i++) {
			if (x[i] * k > cap) {
				over += x[i] * k - cap;
				x[i] = cap / k;
			} else {
				under += x[i];
			}
		}
		if (over <= 0 || under <= 0)
			break;
		for (uint32_t i = 0; i < n; i++)
			if (x[i] * k < cap)
				x[i] *= 1 + over / (under * k);
	}
	for (uint32_t i = 0; i < n; i++)
		out[i] = (uint64_t)(x[i] * k);
	free(x);
}

static bool gw_next(struct gen *g, void *state, struct spec *sp)
{
	struct gw_state *w = state;
	struct rng *r = &g->r_traffic;
	uint32_t i = w->a.i;

	if (!arrival_next(g, &w->a, sp))
		return false;
	w->a.i++;
	sp->kind = w->kinds[i];
	sp->client = rng_below(r, g->nclients);
	sp->resp_bytes = w->bytes[i];
	sp->bulk = w->bulk[i];
	switch (sp->kind) {
	case K_TLS:
		sp->server = (int32_t)zipf_draw(&g->popularity, r);
		break;
	case K_HTTP:
		sp->server = (int32_t)rng_below(r, w->http_servers);
		break;
	case K_SSH:
		sp->server = (int32_t)rng_below(r, w->ssh_servers);
		break;
	default:
		sp->server = (int32_t)rng_below(r, 4);
		break;
	}
	return true;
}

static void profile_gateway(struct gen *g)
{
	struct rng *r = &g->r_traffic;
	struct gw_state w = {0};
	uint32_t ntls = scaled(g, 20000, 10), nhttp = scaled(g, 6000, 3), nssh = scaled(g, 4000, 2);
	uint32_t ndns = scaled(g, 20000, 5);
	uint32_t nbulk = scaled(g, 2000, 2), nhttp_bulk = scaled(g, 1500, 1),
		 nssh_bulk = scaled(g, 100, 1);
	double total = 2.0 * 1024 * 1024 * 1024 * g->scale;
	uint64_t *tmp;
	uint32_t every_tls, every_http, every_ssh;

	g->tls13_share = 0.10;
	g->resume_p = 0.07;
	pki_build_web(g);
	servers_build_web(g, scaled(g, 1000, 20), scaled(g, 150, 6), scaled(g, 2, 1),
			  ip4(10, 32, 0, 0));
	clients_init(g, scaled(g, 5000, 10));
	w.a.n = ntls + nhttp + nssh + ndns;
	w.kinds = xmalloc(w.a.n);
	w.bytes = xcalloc(w.a.n, sizeof *w.bytes);
	w.bulk = xcalloc(w.a.n, sizeof *w.bulk);
	w.http_servers = scaled(g, 300, 2);
	w.ssh_servers = scaled(g, 100, 2);
	memset(w.kinds, K_TLS, ntls);
	memset(w.kinds + ntls, K_HTTP, nhttp);
	memset(w.kinds + ntls + nhttp, K_SSH, nssh);
	memset(w.kinds + ntls + nhttp + nssh, K_DNS, ndns);
	shuffle_u8(r, w.kinds, w.a.n);
	/* 74% of the bytes as TLS bulk payload (frames add ~8% headers and
	 * ACKs: ~80% of the file), 9% as HTTP bodies and SSH transfers */
	tmp = xmalloc((nbulk + nhttp_bulk + nssh_bulk) * sizeof *tmp);
	pareto_fill(r, tmp, nbulk, 0.757 * total, 256.0 * 1024 * 1024);
	pareto_fill(r, tmp + nbulk, nhttp_bulk, 0.05 * total, 128.0 * 1024 * 1024);
	pareto_fill(r, tmp + nbulk + nhttp_bulk, nssh_bulk, 0.01 * total, 64.0 * 1024 * 1024);
	every_tls = ntls / nbulk ? ntls / nbulk : 1;
	every_http = nhttp / nhttp_bulk ? nhttp / nhttp_bulk : 1;
	every_ssh = nssh / nssh_bulk ? nssh / nssh_bulk : 1;
	{
		uint32_t seen[4] = {0};

		for (uint32_t i = 0; i < w.a.n; i++) {
			uint8_t kd = w.kinds[i];
			uint32_t nth = seen[kd]++;

			/* every n-th flow of a kind is bulk: spread over the capture */
			if (kd == K_TLS && nth % every_tls == 0 && nth / every_tls < nbulk) {
				w.bulk[i] = true;
				w.bytes[i] = tmp[nth / every_tls];
			} else if (kd == K_TLS) {
				double v = rng_lognormal(r, 2500, 1.0);
				w.bytes[i] = v > 65536 ? 65536 : (uint64_t)v + 40;
			} else if (kd == K_HTTP && nth % every_http == 0 &&
				   nth / every_http < nhttp_bulk) {
				w.bytes[i] = tmp[nbulk + nth / every_http];
			} else if (kd == K_HTTP) {
				w.bytes[i] = (uint64_t)rng_lognormal(r, 4000, 1.0);
			} else if (kd == K_SSH && nth % every_ssh == 0 &&
				   nth / every_ssh < nssh_bulk) {
				w.bytes[i] = tmp[nbulk + nhttp_bulk + nth / every_ssh];
			}
		}
	}
	free(tmp);
	g->duration_us = (uint64_t)(180.0 * USEC * (g->scale < 0.05 ? 0.05 : g->scale));
	w.a.mean_gap_us = (double)g->duration_us / w.a.n;
	run_traffic(g, gw_next, &w);
	free(w.kinds);
	free(w.bytes);
	free(w.bulk);
}

/* manychains: one server per chain, each visited once, TLS 1.2 only. */
static bool many_next(struct gen *g, void *state, struct spec *sp)
{
	struct arrivals *w = state;
	struct rng *r = &g->r_traffic;

	if (!arrival_next(g, w, sp))
		return false;
	sp->kind = K_TLS;
	sp->server = (int32_t)w->i++;
	sp->client = rng_below(r, g->nclients);
	sp->resp_bytes = (uint64_t)rng_range(r, 200, 3000);
	return true;
}

static void profile_manychains(struct gen *g)
{
	struct pki *p = &g->pki;
	struct arrivals w = {0};
	uint32_t n = scaled(g, 60000, 10);

	pki_build_many(g);
	g->nservers = n;
	g->servers = xcalloc(n, sizeof *g->servers);
	for (uint32_t s = 0; s < n; s++) {
		struct server *sv = &g->servers[s];
		struct leafspec l = {0};
		char san[96];
		uint32_t ci = chain_new(g, CK_OK, 2);
		uint32_t ii = rng_below(&g->r_pki, 4);

		sv->ip = ip4(10, 128, 0, 0) + 1 + s + s / 250 * 6;
		sv->port = 443;
		sv->chain = ci;
		snprintf(sv->sni, sizeof sv->sni, "m%05u.many.bench.test", s);
		snprintf(san, sizeof san, "DNS:%s", sv->sni);
		g->chains[ci].leaf_kt = KT_P256;
		l.key = p->leaf_keys[KT_P256][rng_below(&g->r_pki, p->nleaf_keys[KT_P256])];
		l.issuer = &p->many_inter[ii];
		l.san = san;
		l.cn = sv->sni;
		l.aia = rng_chance(&g->r_pki, 0.5);
		chain_set(&g->chains[ci], 0, leaf_make(g, &l), false);
		chain_set(&g->chains[ci], 1, p->many_inter[ii].der, true);
		chain_seal(&g->chains[ci]);
	}
	clients_init(g, scaled(g, 2000, 5));
	w.n = n;
	g->duration_us = (uint64_t)(120.0 * USEC * (g->scale < 0.05 ? 0.05 : g->scale));
	w.mean_gap_us = (double)g->duration_us / n;
	run_traffic(g, many_next, &w);
}

/* hostile: a fixed rhythm rather than Poisson arrivals. */
static bool hostile_next(struct gen *g, void *state, struct spec *sp)
{
	struct arrivals *w = state;

	(void)g;
	if (w->i == w->n)
		return false;
	memset(sp, 0, sizeof *sp);
	/* one hostile handshake every 100 ms; the normal one 10 s after the
	 * last, when every hostile connection has closed (RTT <= 400 ms) */
	w->t += w->i + 1 == w->n ? 10 * USEC : 100000;
	sp->t = w->t;
	sp->kind = K_TLS;
	sp->server = (int32_t)w->i;
	sp->client = w->i + 1 == w->n ? 1 : 0;
	sp->resp_bytes = 600;
	w->i++;
	return true;
}

static void profile_hostile(struct gen *g)
{
	struct pki *p = &g->pki;
	uint32_t nshared = scaled(g, 150, 1), nfresh = scaled(g, 50, 1), n = nshared + nfresh;
	struct der shared[31];
	X509 *shared_issuer;
	EVP_PKEY *shared_key = key_get(g->key_dir, "hostile", KT_P384, 0);
	struct arrivals w = {0};

	g->tls13_share = 0;
	g->resume_p = 0;
	pki_build_web(g);
	hostile_cas(g, shared_key, shared, &shared_issuer);
	g->nservers = n + 1;
	g->servers = xcalloc(n + 1, sizeof *g->servers);
	for (uint32_t s = 0; s < n; s++) {
		struct server *sv = &g->servers[s];
		bool fresh = s >= nshared;
		enum chain_kind kind = fresh ? CK_HOSTILE_FRESH : CK_HOSTILE_SHARED;
		uint32_t ci = chain_new(g, kind, 32);
		struct chain *c = &g->chains[ci];
		struct der fresh_cas[31];
		EVP_PKEY *key = shared_key;
		X509 *issuer = shared_issuer;
		struct ca ca_issuer = {0};
		struct leafspec l = {0};
		char san[96];

		sv->ip = ip4(10, 66, 0, 1);
		sv->port = 443;
		sv->chain = ci;
		snprintf(sv->sni, sizeof sv->sni, "h%03u.%s.bench.test", s,
			 fresh ? "fresh" : "shared");
		if (fresh) { /* a fresh key and 31 fresh CA certificates */
			key = key_generate(KT_P384);
			hostile_cas(g, key, fresh_cas, &issuer);
		}
		ca_issuer.x = issuer;
		ca_issuer.key = key;
		snprintf(ca_issuer.cn, sizeof ca_issuer.cn, "Hostile Cycle CA A");
		snprintf(san, sizeof san, "DNS:%s", sv->sni);
		l.key = p->leaf_keys[KT_P256][s % p->nleaf_keys[KT_P256]];
		l.issuer = &ca_issuer;
		l.san = san;
		l.cn = sv->sni;
		c->leaf_kt = KT_P256;
		chain_set(c, 0, leaf_make(g, &l), false);
		for (int j = 0; j < 31; j++)
			chain_set(c, (uint32_t)j + 1, fresh ? fresh_cas[j] : shared[j],
				  !fresh && s > 0); /* the first chain owns the shared DER */
		chain_seal(c);
		if (fresh) {
			X509_free(issuer);
			pubkey_cache_forget(key);
			EVP_PKEY_free(key);
		}
	}
	{ /* the ordinary broken handshake: a leaf without its intermediate */
		struct server *sv = &g->servers[n];
		uint32_t ci = chain_new(g, CK_LEAF_ONLY, 1);
		struct leafspec l = {0};

		sv->ip = ip4(10, 66, 0, 2);
		sv->port = 443;
		sv->chain = ci;
		snprintf(sv->sni, sizeof sv->sni, "normal.leaf-only.bench.test");
		l.key = p->leaf_keys[KT_RSA2048][0];
		l.issuer = &p->inter1[1];
		l.san = "DNS:normal.leaf-only.bench.test";
		l.cn = sv->sni;
		l.aia = true;
		g->chains[ci].leaf_kt = KT_RSA2048;
		chain_set(&g->chains[ci], 0, leaf_make(g, &l), false);
		chain_seal(&g->chains[ci]);
	}
	X509_free(shared_issuer);
	clients_init(g, 2);
	w.n = n + 1;
	run_traffic(g, hostile_next, &w);
	EVP_PKEY_free(shared_key);
}

/* Outputs ------------------------------------------------------------------- */

static void ip_str(uint32_t ip, char *out, size_t n)
{
	snprintf(out, n, "%u.%u.%u.%u", ip >> 24, ip >> 16 & 255, ip >> 8 & 255, ip & 255);
}

static void time_str(uint64_t t_us, char *out, size_t n)
{
	time_t s = (time_t)(T0_EPOCH + (int64_t)(t_us / USEC));
	struct tm tm;

	gmtime_r(&s, &tm);
	snprintf(out, n, "%04d-%02d-%02dT%02d:%02d:%02d.%06uZ", tm.tm_year + 1900, tm.tm_mon + 1,
		 tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, (unsigned)(t_us % USEC));
}

static void hex(const uint8_t *p, size_t n, char *out)
{
	for (size_t i = 0; i < n; i++)
		sprintf(out + 2 * i, "%02x", p[i]);
}

static void truth_servers(FILE *f, const struct gen *g, bool hostile)
{
	bool first = true;

	for (uint32_t s = 0; s < g->nservers; s++) {
		const struct server *sv = &g->servers[s];
		const struct chain *c = &g->chains[sv->chain];
		bool is_hostile = c->kind == CK_HOSTILE_SHARED || c->kind == CK_HOSTILE_FRESH;
		char ip[16], sha[65];

		if (!ck_info[c->kind].broken || !sv->chain_hs || is_hostile != hostile)
			continue;
		ip_str(sv->ip, ip, sizeof ip);
		hex(c->sha256, 32, sha);
		fprintf(f,
			"%s\n    {\"server_ip\": \"%s\", \"server_port\": %u, \"sni\": \"%s\", \"kind\": \"%s\", "
			"\"codes\": %s, \"handshakes\": %u, \"chain\": \"%s\"}",
			first ? "" : ",", ip, sv->port, sv->sni, ck_info[c->kind].name,
			ck_info[c->kind].codes, sv->chain_hs, sha);
		first = false;
	}
	fprintf(f, "%s]", first ? "" : "\n  ");
}

static void truth_write(struct gen *g, double seconds)
{
	char path[4096], t1[96], t2[96];
	FILE *f;
	uint64_t distinct = 0, distinct_slice = 0, servers = 0, broken_servers = 0, broken_hs = 0;
	uint64_t hostile_servers = 0, hostile_hs = 0;

	for (uint32_t i = 0; i < g->nchains; i++) {
		distinct += g->chains[i].seen;
		distinct_slice += g->chains[i].seen_in_slice;
	}
	for (uint32_t s = 0; s < g->nservers; s++) {
		const struct server *sv = &g->servers[s];
		enum chain_kind k = g->chains[sv->chain].kind;

		servers += sv->tls_hs > 0;
		if (!ck_info[k].broken || !sv->chain_hs)
			continue;
		if (k == CK_HOSTILE_SHARED || k == CK_HOSTILE_FRESH) {
			hostile_servers++;
			hostile_hs += sv->chain_hs;
		} else {
			broken_servers++;
			broken_hs += sv->chain_hs;
		}
	}
	snprintf(path, sizeof path, "%s.truth.json", g->prefix);
	f = fopen(path, "w");
	if (!f)
		die("%s: %s", path, strerror(errno));
	time_str(0, t1, sizeof t1);
	time_str(g->last_t, t2, sizeof t2);
	fprintf(f,
		"{\n  \"generator\": \"benchgen %d\",\n  \"profile\": \"%s\",\n  \"seed\": %llu,\n  \"scale\": %g,\n"
		"  \"generation_seconds\": %.1f,\n  \"capture_start\": \"%s\",\n  \"capture_end\": \"%s\",\n"
		"  \"file_bytes\": %llu,\n  \"packets\": %llu,\n  \"wire_bytes\": %llu,\n",
		BENCHGEN_VERSION, g->profile, (unsigned long long)g->seed, g->scale, seconds, t1,
		t2, (unsigned long long)g->file_bytes, (unsigned long long)g->packets,
		(unsigned long long)g->wire_bytes);
	fprintf(f,
		"  \"flows\": {\"total\": %llu, \"tcp\": %llu, \"udp\": %llu, \"tls\": %llu, \"http\": %llu, "
		"\"ssh\": %llu, \"dns\": %llu},\n",
		(unsigned long long)g->flows, (unsigned long long)g->tcp_flows,
		(unsigned long long)g->udp_flows, (unsigned long long)g->flows_by_kind[K_TLS],
		(unsigned long long)g->flows_by_kind[K_HTTP],
		(unsigned long long)g->flows_by_kind[K_SSH],
		(unsigned long long)g->flows_by_kind[K_DNS]);
	fprintf(f,
		"  \"tls_handshakes\": %llu,\n  \"handshakes_with_chain\": %llu,\n  \"tls13\": %llu,\n"
		"  \"resumed\": %llu,\n  \"distinct_chains\": %llu,\n  \"distinct_servers\": %llu,\n"
		"  \"broken_handshakes\": %llu,\n  \"servers_broken\": %llu,\n  \"hostile_handshakes\": %llu,\n"
		"  \"hostile_servers\": %llu,\n",
		(unsigned long long)g->tls_hs, (unsigned long long)g->chain_hs,
		(unsigned long long)g->tls13, (unsigned long long)g->resumed,
		(unsigned long long)distinct, (unsigned long long)servers,
		(unsigned long long)broken_hs, (unsigned long long)broken_servers,
		(unsigned long long)hostile_hs, (unsigned long long)hostile_servers);
	fprintf(f,
		"  \"bulk_payload_bytes\": %llu,\n  \"bulk_frame_bytes\": %llu,\n  \"noise_frame_bytes\": %llu,\n",
		(unsigned long long)g->bulk_payload, (unsigned long long)g->bulk_frame_bytes,
		(unsigned long long)g->noise_frame_bytes);
	fprintf(f,
		"  \"slice\": {\"limit_bytes\": %llu, \"file_bytes\": %llu, \"packets\": %llu, "
		"\"tls_handshakes\": %llu, \"certificate_messages\": %llu, \"distinct_chains\": %llu},\n",
		(unsigned long long)g->slice_limit, (unsigned long long)g->slice_bytes,
		(unsigned long long)g->slice_packets, (unsigned long long)g->slice_tls_hs,
		(unsigned long long)g->slice_cert_msgs, (unsigned long long)distinct_slice);
	fputs("  \"broken_servers\": [", f);
	truth_servers(f, g, false);
	fputs(",\n  \"hostile_servers_list\": [", f);
	truth_servers(f, g, true);
	fputs("\n}\n", f);
	if (fclose(f) != 0)
		die("%s: %s", path, strerror(errno));
}

/* --dump-chains: each visible chain as PEM, its kind and SNI in the file
 * name (openssl verify reads the certificates and ignores the rest). */
static void chains_dump(const struct gen *g)
{
	for (uint32_t s = 0; s < g->nservers; s++) {
		const struct server *sv = &g->servers[s];
		const struct chain *c = &g->chains[sv->chain];
		char path[4096];
		FILE *f;

		if (!sv->chain_hs)
			continue;
		snprintf(path, sizeof path, "%s/%05u-%s-%s.pem", g->dump_dir, s,
			 ck_info[c->kind].name, sv->sni);
		f = fopen(path, "w");
		if (!f)
			die("%s: %s", path, strerror(errno));
		for (uint32_t i = 0; i < c->ncerts; i++) {
			const unsigned char *p = c->certs[i].p;
			X509 *x = d2i_X509(NULL, &p, c->certs[i].len);

			if (!x || !PEM_write_X509(f, x))
				die("%s: cannot write", path);
			X509_free(x);
		}
		if (fclose(f) != 0)
			die("%s: %s", path, strerror(errno));
	}
}

/* Everything, so that leak checkers show only what matters. */
static void gen_free(struct gen *g)
{
	pki_free(g);
	free(g->servers);
	free(g->popularity.cdf);
	free(g->client_port);
	free(g->pool);
}

static void usage(void)
{
	fputs("usage: benchgen -p PROFILE -o PREFIX [-s SEED] [--scale F | -n CONNECTIONS]\n"
	      "                [--key-dir DIR] [--dump-chains DIR] [--slice-mib N]\n"
	      "  PROFILE: handshake, gateway, manychains, hostile\n"
	      "  writes PREFIX.pcap, PREFIX.roots.pem, PREFIX.truth.json\n"
	      "  -n N: about N connections (handshake, manychains), N flows (gateway),\n"
	      "        N hostile handshakes (hostile); sets --scale\n",
	      stderr);
	exit(2);
}

static double default_connections(const char *profile)
{
	if (!strcmp(profile, "gateway"))
		return 50000;
	if (!strcmp(profile, "manychains"))
		return 60000;
	if (!strcmp(profile, "hostile"))
		return 200;
	return 300000;
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {{"profile", required_argument, NULL, 'p'},
					     {"out", required_argument, NULL, 'o'},
					     {"seed", required_argument, NULL, 's'},
					     {"scale", required_argument, NULL, 'S'},
					     {"key-dir", required_argument, NULL, 'k'},
					     {"dump-chains", required_argument, NULL, 'd'},
					     {"slice-mib", required_argument, NULL, 'm'},
					     {NULL, 0, NULL, 0}};
	struct gen g = {0};
	struct timespec t0, t1;
	double n_conns = 0;
	int o;

	g.scale = 1;
	g.slice_limit = 100u << 20;
	while ((o = getopt_long(argc, argv, "p:o:s:n:", opts, NULL)) != -1) {
		switch (o) {
		case 'p':
			g.profile = optarg;
			break;
		case 'o':
			g.prefix = optarg;
			break;
		case 's':
			g.seed = strtoull(optarg, NULL, 0);
			break;
		case 'S':
			g.scale = strtod(optarg, NULL);
			break;
		case 'n':
			n_conns = strtod(optarg, NULL);
			break;
		case 'k':
			g.key_dir = optarg;
			break;
		case 'd':
			g.dump_dir = optarg;
			break;
		case 'm':
			g.slice_limit = strtoull(optarg, NULL, 0) << 20;
			break;
		default:
			usage();
		}
	}
	if (!g.profile || !g.prefix || optind != argc || !(g.scale > 0) || n_conns < 0)
		usage();
	if (strcmp(g.profile, "handshake") && strcmp(g.profile, "gateway") &&
	    strcmp(g.profile, "manychains") && strcmp(g.profile, "hostile"))
		usage();
	if (n_conns > 0)
		g.scale = n_conns / default_connections(g.profile);
	if (g.key_dir && mkdir(g.key_dir, 0700) != 0 && errno != EEXIST)
		die("%s: %s", g.key_dir, strerror(errno));
	if (g.dump_dir && mkdir(g.dump_dir, 0755) != 0 && errno != EEXIST)
		die("%s: %s", g.dump_dir, strerror(errno));
	clock_gettime(CLOCK_MONOTONIC, &t0);
	rng_seed(&g.r_pki, g.seed, 1);
	rng_seed(&g.r_traffic, g.seed, 2);
	rng_seed(&g.r_payload, g.seed, 3);
	g.pool = xmalloc(POOL_SIZE);
	rng_fill(&g.r_payload, g.pool, POOL_SIZE);
	pcap_open(&g);
	if (!strcmp(g.profile, "handshake"))
		profile_handshake(&g);
	else if (!strcmp(g.profile, "gateway"))
		profile_gateway(&g);
	else if (!strcmp(g.profile, "manychains"))
		profile_manychains(&g);
	else
		profile_hostile(&g);
	if (fclose(g.pcap) != 0)
		die("%s.pcap: %s", g.prefix, strerror(errno));
	{
		const struct pki *p = &g.pki;
		const struct ca *roots[8];
		size_t n = 0;

		if (!strcmp(g.profile, "manychains")) {
			roots[n++] = &p->many_root;
		} else {
			for (int i = 0; i < 7; i++)
				roots[n++] = &p->roots[i];
		}
		roots_write(&g, roots, n);
	}
	if (g.dump_dir)
		chains_dump(&g);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	truth_write(&g, (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9);
	fprintf(stderr,
		"benchgen: %s: %llu packets, %llu bytes, %llu TLS handshakes, %llu with a chain\n",
		g.profile, (unsigned long long)g.packets, (unsigned long long)g.file_bytes,
		(unsigned long long)g.tls_hs, (unsigned long long)g.chain_hs);
	gen_free(&g);
	return 0;
}
