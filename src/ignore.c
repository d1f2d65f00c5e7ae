/*
 * ignore.c - --server-net and --ignore (cs_ignore.h).  Owns the parsed
 * rules.  The file is the operator's, not the wire's, but it is still read
 * with bounds: long lines and too many rules are errors, not truncations.
 */
#include "cs_ignore.h"
#include "cs_addr.h"
#include "cs_diag.h"
#include "cs_problems.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct rule {
	bool any_server, any_port, any_sni, no_sni;
	struct cs_addr ip;
	uint16_t port;
	char sni[CS_MAX_SNI + 1];
	uint32_t mask;
};

struct ignore_list {
	struct rule *r;
	size_t n;
};

bool cidr_parse(const char *s, struct cs_cidr *out)
{
	char buf[64];
	char *slash;
	unsigned long prefix;

	if (strlen(s) >= sizeof(buf))
		return false;
	strcpy(buf, s);
	slash = strchr(buf, '/');
	if (slash)
		*slash = '\0';
	if (!cs_addr_parse(buf, &out->net))
		return false;
	if (!slash) {
		out->prefix = 128;
		return true;
	}
	prefix = strtoul(slash + 1, &slash, 10);
	if (*slash || prefix > (out->net.family == 4 ? 32u : 128u))
		return false;
	out->prefix = (uint8_t)(out->net.family == 4 ? prefix + 96 : prefix);
	return true;
}

bool cidr_contains(const struct cs_cidr *c, const struct cs_addr *a)
{
	unsigned full = c->prefix / 8, rest = c->prefix % 8;

	if (c->net.family != a->family || memcmp(c->net.a, a->a, full) != 0)
		return false;
	return rest == 0 || ((c->net.a[full] ^ a->a[full]) & (0xff00 >> rest)) == 0;
}

static bool parse_server(char *s, struct rule *r)
{
	char *port = NULL;

	if (!strcmp(s, "*")) {
		r->any_server = r->any_port = true;
		return true;
	}
	if (s[0] == '[') { /* [v6]:port */
		char *end = strchr(s, ']');

		if (!end)
			return false;
		*end = '\0';
		port = end[1] == ':' ? end + 2 : NULL;
		s++;
	} else if (strchr(s, '.') && (port = strchr(s, ':')) != NULL) {
		*port++ = '\0';
	}
	if (!cs_addr_parse(s, &r->ip))
		return false;
	r->any_port = port == NULL;
	if (port) {
		char *end;
		unsigned long p = strtoul(port, &end, 10);

		if (*end || p > 65535)
			return false;
		r->port = (uint16_t)p;
	}
	return true;
}

static bool parse_code(const char *s, uint32_t *mask)
{
	if (!strcmp(s, "*")) {
		*mask = ~0u;
		return true;
	}
	for (int i = 0; i < CS_P_MAX; i++)
		if (!strcmp(s, problem_name((enum cs_problem)i))) {
			*mask = 1u << i;
			return true;
		}
	return false;
}

static const char *parse_rule(char *line, struct rule *r)
{
	char *save = NULL, *server = strtok_r(line, " \t", &save);
	char *sni = strtok_r(NULL, " \t", &save), *code = strtok_r(NULL, " \t", &save);

	memset(r, 0, sizeof(*r));
	if (!server || !sni || !code || strtok_r(NULL, " \t", &save))
		return "expected SERVER SNI CODE";
	if (!parse_server(server, r))
		return "bad server (address, address:port, [v6]:port or *)";
	r->any_sni = !strcmp(sni, "*");
	r->no_sni = !strcmp(sni, "-");
	if (strlen(sni) > CS_MAX_SNI)
		return "host name too long";
	strcpy(r->sni, sni);
	if (!parse_code(code, &r->mask))
		return "unknown problem code (see docs/problems.md)";
	return NULL;
}

struct ignore_list *ignore_load(const char *path, char *err, size_t errlen)
{
	FILE *f = fopen(path, "r");
	struct ignore_list *l = calloc(1, sizeof(*l));
	char line[1024];
	unsigned lineno = 0;

	if (!f || !l) {
		snprintf(err, errlen, "%s: cannot read", path);
		goto fail;
	}
	l->r = calloc(CS_MAX_IGNORE_RULES, sizeof(*l->r));
	if (!l->r)
		goto fail;
	while (fgets(line, sizeof(line), f)) {
		char *hash = strchr(line, '#');
		const char *why;

		lineno++;
		if (!strchr(line, '\n') && !feof(f)) {
			snprintf(err, errlen, "%s:%u: line too long", path, lineno);
			goto fail;
		}
		if (hash)
			*hash = '\0';
		line[strcspn(line, "\r\n")] = '\0';
		if (strspn(line, " \t") == strlen(line))
			continue;
		if (l->n == CS_MAX_IGNORE_RULES) {
			snprintf(err, errlen, "%s:%u: more than %u rules", path, lineno,
				 CS_MAX_IGNORE_RULES);
			goto fail;
		}
		if ((why = parse_rule(line, &l->r[l->n])) != NULL) {
			snprintf(err, errlen, "%s:%u: %s", path, lineno, why);
			goto fail;
		}
		l->n++;
	}
	fclose(f);
	return l;
fail:
	if (f)
		fclose(f);
	ignore_free(l);
	return NULL;
}

void ignore_free(struct ignore_list *l)
{
	if (!l)
		return;
	free(l->r);
	free(l);
}

uint32_t ignore_mask(const struct ignore_list *l, const struct cs_addr *ip, uint16_t port,
		     const char *sni, size_t sni_len)
{
	uint32_t m = 0;

	for (size_t i = 0; l && i < l->n; i++) {
		const struct rule *r = &l->r[i];

		if (!r->any_server && memcmp(r->ip.a, ip->a, 16) != 0)
			continue;
		if (!r->any_port && r->port != port)
			continue;
		if (r->no_sni ? sni != NULL
			      : !r->any_sni && (!sni || strlen(r->sni) != sni_len ||
						strncasecmp(r->sni, sni, sni_len) != 0))
			continue;
		m |= r->mask;
	}
	return m;
}

/* An error-severity problem is left: of the verdict's records (whose
 * severity may depend on the date, weak_*), else of the catalogue. */
static bool error_left(const struct agg_handshake *h)
{
	if (h->hostname_mismatch && (h->problems & (1u << CS_P_HOSTNAME_MISMATCH)))
		return true;
	if (h->verdict) {
		for (size_t i = 0; i < h->verdict->nproblems; i++)
			if (h->verdict->problems[i].severity == CS_SEV_ERROR &&
			    (h->problems & (1u << h->verdict->problems[i].code)))
				return true;
		return false;
	}
	for (int c = 0; c < CS_P_MAX; c++)
		if ((h->problems & (1u << c)) &&
		    problem_default_severity((enum cs_problem)c) == CS_SEV_ERROR)
			return true;
	return false;
}

void ignore_apply(const struct ignore_list *l, struct agg_handshake *h)
{
	uint32_t m = ignore_mask(l, h->server_ip, h->server_port, h->sni, h->sni_len);

	if (!m)
		return;
	h->problems &= ~m;
	h->broken = h->broken && error_left(h);
}
