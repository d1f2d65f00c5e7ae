/*
 * sensor.c - periodic, atomic reports for a long-running sensor
 * (cs_sensor.h).  Owns the report directory descriptor and the set of
 * servers that were broken at the previous report (to say which became
 * broken and which were fixed).
 */
#include "cs_sensor.h"
#include "cs_atomicfile.h"
#include "cs_hash.h"
#include "cs_timefmt.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define MAX_TRACKED_BROKEN 65536u /* servers remembered as broken between reports */

struct sensor {
	struct sensor_opts o;
	struct engine *e;
	int dirfd;
	bool started;
	int64_t window_start, next;  /* ns */
	uint64_t packets_at_start;
	uint64_t *broken;            /* key hashes of servers broken at the last report */
	size_t nbroken;
	uint64_t written;
};

static const uint8_t key_seed[CS_HASH_KEY_LEN] = "chainsniff-key-1";

struct sensor *sensor_new(const struct sensor_opts *o, struct engine *e, char *err, size_t errlen)
{
	struct sensor *s = calloc(1, sizeof(*s));

	if (!s) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	s->o = *o;
	s->e = e;
	s->dirfd = -1;
	if (o->dir) {
		if (mkdir(o->dir, 0755) != 0 && errno != EEXIST) {
			snprintf(err, errlen, "%s: %s", o->dir, strerror(errno));
			free(s);
			return NULL;
		}
		s->dirfd = open(o->dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		if (s->dirfd < 0) {
			snprintf(err, errlen, "%s: %s", o->dir, strerror(errno));
			free(s);
			return NULL;
		}
	}
	return s;
}

void sensor_free(struct sensor *s)
{
	if (!s)
		return;
	if (s->dirfd >= 0)
		close(s->dirfd);
	free(s->broken);
	free(s);
}

uint64_t sensor_reports(const struct sensor *s)
{
	return s->written;
}

/* ---- which servers changed ------------------------------------------------------ */

static uint64_t server_key(const struct agg_server *sv)
{
	uint8_t k[16 + 2 + 1 + CS_MAX_SNI];

	memcpy(k, sv->ip.a, 16);
	k[16] = (uint8_t)(sv->port >> 8), k[17] = (uint8_t)sv->port;
	k[18] = sv->has_sni;
	memcpy(k + 19, sv->sni, sv->sni_len);
	return cs_hash(k, 19u + sv->sni_len, key_seed);
}

static int u64_cmp(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return (x > y) - (x < y);
}

static bool was_broken(const struct sensor *s, uint64_t k)
{
	return s->nbroken && bsearch(&k, s->broken, s->nbroken, sizeof(k), u64_cmp) != NULL;
}

/* Fill the window's change lists; remember the new broken set. */
static void changes(struct sensor *s, struct report_window *w, const struct agg_server ***pnb,
		    const struct agg_server ***pfx)
{
	const struct agg_server *const *sv;
	const struct agg_server **nb, **fx;
	uint64_t *next;
	size_t n, kept = 0;

	sv = agg_sorted(w->agg, &n);
	nb = calloc(n ? n : 1, sizeof(*nb));
	fx = calloc(n ? n : 1, sizeof(*fx));
	next = calloc(s->nbroken + n + 1, sizeof(*next));
	if (!nb || !fx || !next) {
		free(nb), free(fx), free(next);
		return;
	}
	for (size_t i = 0; i < n; i++) {
		uint64_t k = server_key(sv[i]);
		bool before = was_broken(s, k);

		if (sv[i]->broken_handshakes && !before)
			nb[w->n_broken++] = sv[i];
		else if (!sv[i]->broken_handshakes && sv[i]->handshakes && before)
			fx[w->n_fixed++] = sv[i];
	}
	/* the new set: the old one minus the fixed, plus the newly broken */
	for (size_t i = 0; i < s->nbroken; i++) {
		bool fixed = false;

		for (size_t k = 0; k < w->n_fixed && !fixed; k++)
			fixed = server_key(fx[k]) == s->broken[i];
		if (!fixed)
			next[kept++] = s->broken[i];
	}
	for (size_t i = 0; i < w->n_broken && kept < MAX_TRACKED_BROKEN; i++)
		next[kept++] = server_key(nb[i]);
	qsort(next, kept, sizeof(*next), u64_cmp);
	free(s->broken);
	s->broken = next;
	s->nbroken = kept;
	w->became_broken = *pnb = nb;
	w->fixed = *pfx = fx;
}

/* ---- report files (written with atomic_write, mode 0644) ------------------------------- */

struct write_ctx {
	struct sensor *s;
	struct report_window *w;
};

static bool write_json(FILE *f, void *ctx)
{
	struct write_ctx *c = ctx;

	report_json_window(f, c->s->e, c->w);
	return true;
}

static bool write_text(FILE *f, void *ctx)
{
	struct write_ctx *c = ctx;
	struct report_opts ro = *c->s->o.text;
	char a[64], b[64];

	ro.color = false;
	fmt_time_ns(c->w->start, a, sizeof(a));
	fmt_time_ns(c->w->end, b, sizeof(b));
	fprintf(f, "Window %s → %s (%s): %zu server(s) became broken, %zu fixed\n", a, b,
		c->w->kind, c->w->n_broken, c->w->n_fixed);
	report_text(f, c->s->e, &ro);
	return true;
}

/* One of this sensor's reports ("chainsniff-<sensor>-<time><ext>"). */
static bool is_report(const char *name, const char *prefix, const char *ext)
{
	size_t n = strlen(name), e = strlen(ext), p = strlen(prefix);

	return n > p + e && !strncmp(name, prefix, p) && !strcmp(name + n - e, ext);
}

static int str_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static void file_name(struct sensor *s, int64_t end, const char *ext, char *buf, size_t len);

/* Keep the newest o.keep files of one kind (names sort by time). */
static void prune(struct sensor *s, const char *ext)
{
	DIR *d;
	struct dirent *de;
	char **names = NULL, prefix[128];
	size_t n = 0, cap = 0;
	int fd;

	file_name(s, 0, "", prefix, sizeof(prefix));
	prefix[strlen(prefix) - 16] = '\0'; /* drop the time stamp: "chainsniff-<sensor>-" */

	if (!s->o.keep || (fd = openat(s->dirfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0 ||
	    !(d = fdopendir(fd)))
		return;
	while ((de = readdir(d)) != NULL) {
		if (!is_report(de->d_name, prefix, ext))
			continue;
		if (n == cap) {
			char **nn = realloc(names, (cap = cap ? 2 * cap : 64) * sizeof(*nn));

			if (!nn)
				break;
			names = nn;
		}
		if (!(names[n] = strdup(de->d_name)))
			break;
		n++;
	}
	if (n > 1)
		qsort(names, n, sizeof(*names), str_cmp);
	for (size_t i = 0; i + s->o.keep < n; i++)
		unlinkat(s->dirfd, names[i], 0);
	for (size_t i = 0; i < n; i++)
		free(names[i]);
	free(names);
	closedir(d);
}

static void file_name(struct sensor *s, int64_t end, const char *ext, char *buf, size_t len)
{
	char stamp[CS_TIME_STRLEN], name[64];
	const char *sn = engine_sensor(s->e);
	size_t k = 0;

	/* the sensor name goes into a file name: keep it tame */
	for (size_t i = 0; sn[i] && k + 1 < sizeof(name); i++)
		name[k++] = (char)(isalnum((unsigned char)sn[i]) || strchr("-_.", sn[i]) ? sn[i] : '_');
	name[k] = '\0';
	fmt_time_stamp(end / CS_NS_PER_SEC, stamp, sizeof(stamp));
	snprintf(buf, len, "chainsniff-%s-%s%s", name, stamp, ext);
}

enum cs_status sensor_report(struct sensor *s, int64_t now, const char *kind)
{
	struct report_window w = {
		.kind = kind,
		.start = s->started ? s->window_start : now,
		.end = now,
		.agg = engine_window(s->e),
	};
	struct write_ctx c = {s, &w};
	enum cs_status st = CS_OK;
	const struct agg_server **nb = NULL, **fx = NULL;
	char name[256];
	int write_errno = 0;

	changes(s, &w, &nb, &fx);
	if (s->dirfd >= 0) {
		file_name(s, now, ".json", name, sizeof(name));
		st = atomic_write(s->dirfd, name, 0644, write_json, &c, NULL, 0);
		file_name(s, now, ".txt", name, sizeof(name));
		if (st == CS_OK)
			st = atomic_write(s->dirfd, name, 0644, write_text, &c, NULL, 0);
		write_errno = errno; /* the reason, whatever pruning does to errno */
		prune(s, ".json");
		prune(s, ".txt");
	}
	free(nb);
	free(fx);
	if (st == CS_OK)
		s->written++;
	engine_window_reset(s->e);
	s->window_start = now;
	s->packets_at_start = engine_totals(s->e)->packets;
	if (st != CS_OK)
		errno = write_errno;
	return st;
}

enum cs_status sensor_tick(struct sensor *s, int64_t now)
{
	int64_t iv = s->o.interval_s * CS_NS_PER_SEC;
	int64_t aligned;
	enum cs_status st = CS_OK;

	if (!iv)
		return CS_OK;
	aligned = now - ((now % iv) + iv) % iv; /* floor to the interval, also before 1970 */
	if (!s->started) {
		s->started = true;
		s->window_start = now;
		s->next = aligned + iv;
		s->packets_at_start = engine_totals(s->e)->packets;
		return CS_OK;
	}
	if (now < s->next)
		return CS_OK;
	if (engine_totals(s->e)->packets > s->packets_at_start)
		st = sensor_report(s, s->next, "interval");
	/* a jump over many intervals skips the empty ones */
	s->window_start = aligned;
	s->next = aligned + iv;
	return st;
}
