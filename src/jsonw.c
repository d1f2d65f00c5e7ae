/*
 * jsonw.c - the JSON writer (cs_jsonw.h).  Owns nothing: state is the
 * caller's struct jw.  Strings are escaped by escape.c (esc_json).
 */
#include "cs_jsonw.h"
#include "cs_chain.h"
#include "cs_codec.h"
#include "cs_escape.h"
#include "cs_timefmt.h"

#include <inttypes.h>
#include <string.h>

void jw_init(struct jw *w, FILE *f, bool one_line)
{
	w->f = f;
	w->depth = one_line ? -1000 : 0; /* jw_sep indents by a negative width: not at all */
	w->first = true;
	w->state = false;
}

static void jw_sep(struct jw *w)
{
	if (!w->first)
		fputc(',', w->f);
	w->first = false;
	if (w->depth >= 0)
		fprintf(w->f, "\n%*s", 2 * w->depth, "");
}

void jw_key(struct jw *w, const char *k)
{
	jw_sep(w);
	if (k)
		fprintf(w->f, "\"%s\": ", k);
}

void jw_open(struct jw *w, const char *k, char c)
{
	jw_key(w, k);
	fputc(c, w->f);
	w->depth++;
	w->first = true;
}

void jw_close(struct jw *w, char c)
{
	w->depth--;
	if (!w->first && w->depth >= 0)
		fprintf(w->f, "\n%*s", 2 * w->depth, "");
	fputc(c, w->f);
	w->first = false;
}

void jw_u64(struct jw *w, const char *k, uint64_t v)
{
	jw_key(w, k);
	fprintf(w->f, "%" PRIu64, v);
}

void jw_bool(struct jw *w, const char *k, bool v) { jw_raw(w, k, v ? "true" : "false"); }

void jw_null(struct jw *w, const char *k) { jw_raw(w, k, "null"); }

void jw_raw(struct jw *w, const char *k, const char *v)
{
	jw_key(w, k);
	fputs(v, w->f);
}

void jw_str(struct jw *w, const char *k, const char *v)
{
	jw_key(w, k);
	if (v)
		esc_json(w->f, v, strlen(v));
	else
		fputs("null", w->f);
}

void jw_wire(struct jw *w, const char *k, const char *v, size_t n)
{
	jw_key(w, k);
	esc_json(w->f, v, n);
}

void jw_time(struct jw *w, const char *k, int64_t ns)
{
	char buf[64];

	fmt_time_ns(ns, buf, sizeof(buf));
	jw_str(w, k, buf);
}

void jw_b64(struct jw *w, const char *k, const uint8_t *p, size_t n)
{
	jw_key(w, k);
	fputc('"', w->f);
	b64_write(w->f, p, n);
	fputc('"', w->f);
}

void jw_cert_facts(struct jw *w, const struct cs_cert_facts *f)
{
	char t[64];

	if (!f->parsed) {
		jw_null(w, "subject");
		jw_null(w, "issuer");
		jw_null(w, "serial");
		jw_null(w, "not_before");
		jw_null(w, "not_after");
		return;
	}
	jw_wire(w, "subject", f->subject, strlen(f->subject));
	jw_wire(w, "issuer", f->issuer, strlen(f->issuer));
	jw_str(w, "serial", f->serial_hex);
	fmt_time_s(f->not_before, t, sizeof(t));
	jw_str(w, "not_before", t);
	fmt_time_s(f->not_after, t, sizeof(t));
	jw_str(w, "not_after", t);
}
