/*
 * sensor.c - periodic, atomic reports for a long-running sensor
 * (cs_sensor.h).  Owns the report directory descriptor, the open windows
 * (each an aggregate of the handshakes whose timestamp falls in its span),
 * the counters at the last window written (a window's counters are what
 * was counted since), the set of servers broken at the last window (to
 * say which became broken and which were fixed) and the run's id.
 * Windows are written in the order of their spans, never twice.
 */
#include "cs_sensor.h"
#include "cs_atomicfile.h"
#include "cs_codec.h"
#include "cs_hash.h"
#include "cs_timefmt.h"
#include "cs_vec.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

struct window {
	int64_t start, end; /* ns: its span [start, end) */
	const char *kind;   /* NULL: interval; "signal", "final": ended early */
	struct agg *agg;
	bool have_time; /* the times of its frames and handshakes */
	int64_t first, last;
	uint64_t late; /* handshakes of already written windows */
};

struct sensor {
	struct sensor_opts o;
	struct engine *e;
	int dirfd;
	char run_id[2 * CS_HASH_KEY_LEN + 1];
	bool started;
	int64_t high;                             /* the latest capture time seen */
	int64_t now;                              /* the capture time now (it may go back: files) */
	int64_t written_until;                    /* the end of the last window written */
	int64_t checked;                          /* live: when a window last waited for verdicts */
	struct window win[CS_SENSOR_MAX_WINDOWS]; /* by start */
	size_t nwin;
	struct ctr_values at_last; /* counters when the last window was written */
	uint64_t *broken;          /* key hashes of servers broken at the last window */
	size_t nbroken;
	uint64_t packets; /* engine packets at the last tick */
	uint64_t written, seq, late;
	char last_name[160];
};

static const uint8_t key_seed[CS_HASH_KEY_LEN] = "chainsniff-key-1";

static void on_account(void *ctx, const struct agg_handshake *a);

struct sensor *sensor_new(const struct sensor_opts *o, struct engine *e, char *err, size_t errlen)
{
	struct sensor *s = calloc(1, sizeof(*s));
	uint8_t id[CS_HASH_KEY_LEN];

	if (!s) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	s->o = *o;
	s->e = e;
	s->dirfd = -1;
	s->written_until = INT64_MIN;
	if (!cs_random(id, sizeof(id))) /* random even when the tables' keys are not */
		cs_hash_seed(id);
	hex_lower(id, sizeof(id), s->run_id);
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
		engine_on_account(e, on_account, s);
	}
	return s;
}

void sensor_free(struct sensor *s)
{
	if (!s)
		return;
	engine_on_account(s->e, NULL, NULL);
	for (size_t i = 0; i < s->nwin; i++)
		agg_free(s->win[i].agg);
	if (s->dirfd >= 0)
		close(s->dirfd);
	free(s->broken);
	free(s);
}

uint64_t sensor_reports(const struct sensor *s) { return s->written; }

uint64_t sensor_late(const struct sensor *s) { return s->late; }

/* ---- windows ---------------------------------------------------------------------- */

static int64_t interval_ns(const struct sensor *s) { return s->o.interval_s * CS_NS_PER_SEC; }

static void saw(struct window *w, int64_t ts)
{
	if (!w->have_time || ts < w->first)
		w->first = ts;
	if (!w->have_time || ts > w->last)
		w->last = ts;
	w->have_time = true;
}

/* The open window whose span holds ts, created if there is room; NULL when
 * ts belongs to a window already written, or every slot is taken. */
static struct window *window_at(struct sensor *s, int64_t ts)
{
	int64_t iv = interval_ns(s), start = INT64_MIN, end = INT64_MAX;
	size_t i;

	if (ts < s->written_until)
		return NULL;
	for (i = 0; i < s->nwin && s->win[i].start <= ts; i++)
		if (ts < s->win[i].end)
			return &s->win[i];
	if (s->nwin == CS_SENSOR_MAX_WINDOWS)
		return NULL;
	if (iv) { /* the interval's span, floored also before 1970 */
		start = ts - ((ts % iv) + iv) % iv;
		end = start > INT64_MAX - iv ? INT64_MAX : start + iv;
	}
	if (start < s->written_until)
		start = s->written_until;
	if (i > 0 && s->win[i - 1].end > start) /* after one a signal ended */
		start = s->win[i - 1].end;
	if (i < s->nwin && s->win[i].start < end)
		end = s->win[i].start;
	struct agg *a = agg_new(CS_MAX_SERVERS);

	if (!a)
		return NULL;
	memmove(&s->win[i + 1], &s->win[i], (s->nwin - i) * sizeof(s->win[0]));
	s->win[i] = (struct window){.start = start, .end = end, .agg = a};
	s->nwin++;
	return &s->win[i];
}

/* The engine counted a handshake: into the window of its timestamp. */
static void on_account(void *ctx, const struct agg_handshake *a)
{
	struct sensor *s = ctx;
	struct window *w = window_at(s, a->ts);

	if (!w) { /* its window is written (or no room): the nearest open one, late */
		if (!s->nwin &&
		    !window_at(s, s->high > s->written_until ? s->high : s->written_until))
			return;
		w = a->ts >= s->win[s->nwin - 1].start ? &s->win[s->nwin - 1] : &s->win[0];
		w->late++;
		s->late++;
	}
	saw(w, a->ts);
	agg_add(w->agg, a);
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

/* The window's change lists (keys, freed by the caller); remember the new
 * broken set. */
static bool changes(struct sensor *s, struct agg *a, struct view_window *w, struct view_key **pnb,
		    struct view_key **pfx)
{
	const struct agg_server *const *sv;
	struct view_key *nb, *fx;
	uint64_t *next;
	size_t n, kept = 0;

	sv = agg_sorted(a, &n);
	nb = calloc(n ? n : 1, sizeof(*nb));
	fx = calloc(n ? n : 1, sizeof(*fx));
	next = calloc(s->nbroken + n + 1, sizeof(*next));
	if (!nb || !fx || !next) {
		free(nb), free(fx), free(next);
		return false;
	}
	for (size_t i = 0; i < n; i++) {
		uint64_t k = server_key(sv[i]);
		bool before = was_broken(s, k);

		if (sv[i]->broken_handshakes && !before)
			view_key_of(&nb[w->n_broken++], sv[i]);
		else if (!sv[i]->broken_handshakes && sv[i]->handshakes && before)
			view_key_of(&fx[w->n_fixed++], sv[i]);
		if (sv[i]->broken_handshakes && !before && kept < CS_SENSOR_MAX_TRACKED_BROKEN)
			next[kept++] = k;
	}
	/* the new set: the old one minus the fixed, plus the newly broken */
	for (size_t i = 0; i < n; i++)
		if (!sv[i]->broken_handshakes && sv[i]->handshakes)
			for (size_t k = 0; k < s->nbroken; k++)
				if (s->broken[k] == server_key(sv[i]))
					s->broken[k] = 0;
	for (size_t i = 0; i < s->nbroken && kept < CS_SENSOR_MAX_TRACKED_BROKEN; i++)
		if (s->broken[i])
			next[kept++] = s->broken[i];
	qsort(next, kept, sizeof(*next), u64_cmp);
	free(s->broken);
	s->broken = next;
	s->nbroken = kept;
	w->became_broken = *pnb = nb;
	w->fixed = *pfx = fx;
	return true;
}

/* ---- report files (written with atomic_write, mode 0644) ------------------------------- */

struct write_ctx {
	struct sensor *s;
	const struct report_view *v;
};

static bool write_json(FILE *f, void *ctx)
{
	const struct write_ctx *c = ctx;

	report_view_json(f, c->v, false);
	return true;
}

static bool write_text(FILE *f, void *ctx)
{
	const struct write_ctx *c = ctx;
	struct report_opts ro = *c->s->o.text;

	ro.color = false;
	ro.width = 0;
	report_view_text(f, c->v, &ro);
	return true;
}

static bool write_html(FILE *f, void *ctx)
{
	const struct write_ctx *c = ctx;

	report_view_html(f, c->v, c->s->o.text);
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

/* "chainsniff-<sensor>-": the sensor name goes into a file name, kept tame. */
static void name_prefix(const struct sensor *s, char *buf, size_t len)
{
	char name[64];
	const char *sn = engine_sensor(s->e);
	size_t k = 0;

	for (size_t i = 0; sn[i] && k + 1 < sizeof(name); i++)
		name[k++] =
			(char)(isalnum((unsigned char)sn[i]) || strchr("-_.", sn[i]) ? sn[i] : '_');
	name[k] = '\0';
	snprintf(buf, len, "chainsniff-%s-", name);
}

/* Keep the newest o.keep files of one kind (names sort by time). */
static void prune(struct sensor *s, const char *ext)
{
	DIR *d;
	struct dirent *de;
	char **names = NULL, prefix[96];
	size_t n = 0, cap = 0;
	int fd;

	name_prefix(s, prefix, sizeof(prefix));
	if (!s->o.keep || (fd = openat(s->dirfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0 ||
	    !(d = fdopendir(fd)))
		return;
	while ((de = readdir(d)) != NULL) {
		if (!is_report(de->d_name, prefix, ext))
			continue;
		if (vec_reserve(&names, n, &cap, sizeof(*names), 64) != CS_OK ||
		    !(names[n] = strdup(de->d_name)))
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

/* "chainsniff-<sensor>-<end>": a second window ending in the same second
 * gets "_<its number>" added (which sorts after the first), never
 * replacing it. */
static void file_base(struct sensor *s, int64_t end, char *buf, size_t len)
{
	char stamp[CS_TIME_STRLEN], prefix[96];

	name_prefix(s, prefix, sizeof(prefix));
	fmt_time_stamp(end / CS_NS_PER_SEC, stamp, sizeof(stamp));
	snprintf(buf, len, "%s%s", prefix, stamp);
	if (!strcmp(buf, s->last_name))
		snprintf(buf, len, "%s%s_%llu", prefix, stamp, (unsigned long long)s->seq);
	else
		snprintf(s->last_name, sizeof(s->last_name), "%s", buf);
}

/* Each chain's DER once per directory (chains/<sha256>.pem), created as
 * the user reports are written as (after -Z). */
static enum cs_status dump_chains(struct sensor *s, struct agg *a)
{
	const struct agg_server *const *sv;
	char dir[4096];
	size_t n;

	if (snprintf(dir, sizeof(dir), "%s/chains", s->o.dir) >= (int)sizeof(dir) ||
	    (mkdirat(s->dirfd, "chains", 0755) != 0 && errno != EEXIST))
		return CS_IO;
	sv = agg_sorted(a, &n);
	for (size_t i = 0; i < n; i++)
		for (uint32_t k = 0; k < sv[i]->nchains; k++)
			if (chain_dump_pem(sv[i]->chains[k].chain, dir) != CS_OK)
				return CS_IO;
	return CS_OK;
}

/* Write the oldest open window and close it. */
static enum cs_status write_oldest(struct sensor *s, const char *kind)
{
	struct window w = s->win[0];
	struct engine_view ev;
	struct report_view own;
	struct view_window vw = {
		.kind = kind, .start = w.start, .end = w.end, .late_handshakes = w.late};
	struct view_key *nb = NULL, *fx = NULL;
	struct ctr_values now;
	struct write_ctx c = {s, &ev.v};
	enum cs_status st = CS_OK;
	char base[160], name[200];
	int write_errno = 0;

	memmove(&s->win[0], &s->win[1], (s->nwin - 1) * sizeof(s->win[0]));
	s->nwin--;
	s->written_until = w.end;
	vw.seq = ++s->seq;
	view_of_engine(&ev, s->e);
	ev.v.run_id = s->run_id;
	own = ev.v;
	now = ev.v.counters;
	counters_delta(&now, &s->at_last, &own.counters);
	counters_derive(&own.counters, w.agg, chain_store_count(engine_chains(s->e)));
	s->at_last = now;
	own.have_time = w.have_time, own.first = w.first, own.last = w.last;
	own.inputs = NULL, own.ninputs = 0;
	own.servers = agg_sorted(w.agg, &own.nservers);
	vw.own = &own;
	ev.v.window = &vw;
	if (!changes(s, w.agg, &vw, &nb, &fx))
		st = CS_NOMEM;
	if (st == CS_OK) {
		file_base(s, w.end, base, sizeof(base));
		snprintf(name, sizeof(name), "%s.json", base);
		st = atomic_write(s->dirfd, name, 0644, write_json, &c, NULL, 0);
		snprintf(name, sizeof(name), "%s.txt", base);
		if (st == CS_OK)
			st = atomic_write(s->dirfd, name, 0644, write_text, &c, NULL, 0);
		snprintf(name, sizeof(name), "%s.html", base);
		if (st == CS_OK)
			st = atomic_write(s->dirfd, name, 0644, write_html, &c, NULL, 0);
		if (st == CS_OK)
			s->written++;
		if (st == CS_OK)
			st = dump_chains(s, w.agg);
		write_errno = errno; /* the reason, whatever pruning does to errno */
		prune(s, ".json");
		prune(s, ".txt");
		prune(s, ".html");
	}
	free(nb);
	free(fx);
	agg_free(w.agg);
	if (st != CS_OK)
		errno = write_errno;
	return st;
}

/* A window whose span is over, with its grace, by the capture time now
 * (not the latest seen: after a file of a later day, the files of the
 * day before still fill their own windows): complete once its verdicts
 * are known. */
static bool over(const struct sensor *s, const struct window *w)
{
	int64_t grace = CS_SENSOR_GRACE_S * CS_NS_PER_SEC;

	if (interval_ns(s) && interval_ns(s) < grace)
		grace = interval_ns(s);
	return w->end != INT64_MAX && s->now >= w->end && s->now - w->end >= grace;
}

/* Every verdict the oldest window waits for is known: a file waits for
 * them (settle), a live capture looks again a second later. */
static bool settled(struct sensor *s, const struct window *w)
{
	if (!s->o.live) {
		engine_settle(s->e);
		return true;
	}
	if (s->high - s->checked < CS_NS_PER_SEC)
		return false;
	s->checked = s->high;
	return !engine_waiting_before(s->e, w->end);
}

enum cs_status sensor_tick(struct sensor *s, int64_t now)
{
	uint64_t packets = engine_totals(s->e)->packets;
	enum cs_status st = CS_OK;
	struct window *w;

	if (s->dirfd < 0)
		return CS_OK;
	if (!s->started) {
		s->started = true;
		s->high = now;
		/* this run's counters start at zero: what a state restored is not
		 * counted in its windows */
		s->at_last = *engine_carried(s->e);
	}
	if (now > s->high)
		s->high = now;
	s->now = now;
	if (packets != s->packets && (w = window_at(s, now))) /* a frame, not the wall clock */
		saw(w, now);
	s->packets = packets;
	while (s->nwin && over(s, &s->win[0])) {
		if (s->nwin < CS_SENSOR_MAX_WINDOWS && !settled(s, &s->win[0]))
			break;
		if (write_oldest(s, "interval") != CS_OK)
			st = CS_IO;
	}
	return st;
}

enum cs_status sensor_report(struct sensor *s, int64_t now, const char *kind)
{
	enum cs_status st = CS_OK;

	if (s->dirfd < 0 || !s->started)
		return CS_OK; /* nothing was read: no report of nothing */
	if (now > s->high)
		s->high = now;
	if (!s->o.live)
		engine_settle(s->e);
	if (!s->nwin || s->win[s->nwin - 1].start > now || s->win[s->nwin - 1].end <= now)
		window_at(s, now);
	for (size_t i = 0; i < s->nwin; i++)
		if (s->win[i].start <= now && now < s->win[i].end)
			s->win[i].end = now; /* cut short: the next window starts here */
	while (s->nwin && s->win[0].start <= now)
		if (write_oldest(s, s->nwin == 1 || s->win[1].start > now ? kind : "interval") !=
		    CS_OK)
			st = CS_IO;
	return st;
}
