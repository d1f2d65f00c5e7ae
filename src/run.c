/*
 * run.c - one run of chainsniff (cs_run.h): the trust store and diagnosis,
 * the engine, the sensor's reports and the state file set up from the
 * command line; every source read to its end under the signals (SIGINT/
 * SIGTERM stop, SIGUSR1 reports now, SIGHUP reloads the trust store); then
 * the final report, the state, the chain dump and the report.
 * Every failure is one line on stderr, "chainsniff: NAME: reason", and
 * whatever was analysed before it is still reported; the exit code is the
 * worst of what happened (docs/exit-codes.md).  No parsing of traffic.
 */
#include "cs_run.h"
#include "cs_clientkey.h"
#include "cs_events.h"
#include "cs_hash.h"
#include "cs_evidence.h"
#include "cs_fanout.h"
#include "cs_judge.h"
#include "cs_logfile.h"
#include "cs_metrics.h"
#include "cs_notices.h"
#include "cs_sensor.h"
#include "cs_state.h"

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <inttypes.h>
#include <pthread.h>
#include <pwd.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

static volatile sig_atomic_t stop_requested, report_requested, reload_requested;
/* the live sources, for the signal handler to break their waits */
static struct cs_source *live_sources[CS_MAX_IFACES];
static volatile sig_atomic_t nlive_sources;

static void on_signal(int sig)
{
	if (sig == SIGUSR1) {
		report_requested = 1;
	} else if (sig == SIGHUP) {
		reload_requested = 1;
	} else {
		stop_requested = 1;
		for (sig_atomic_t i = 0; i < nlive_sources; i++)
			capture_break(live_sources[i]);
	}
}

struct worker;

/* Everything one run holds; run_main() owns it. */
struct run {
	struct cs_options *o;
	struct logfile *events;      /* --events: standard output or a file appended to */
	struct logfile *notices_log; /* --notices: the same */
	struct notices *notices;
	struct evidence *evidence; /* --write-broken */
	struct engine *e;
	struct judge *judge;
	struct sensor *sensor;
	struct metrics *metrics;
	struct ignore_list *ignore;
	struct cs_source *live[CS_MAX_IFACES]; /* -i, in order */
	struct engine_input *live_in[CS_MAX_IFACES];
	size_t nlive;
	bool started;      /* privileges dropped, outputs checked (start_reading) */
	int fatal;         /* start_reading failed: exit with this, no report */
	size_t file_index; /* the -r file being read (progress) */
	uint64_t outside;  /* frames of the current file outside --since/--until */
	time_t last_progress;
	uint64_t state_reports;                /* sensor reports already followed by a state save */
	struct err_once report_err, state_err; /* periodic writes: said once per errno */
	char client_key[4096];                 /* the key file's path */
	bool client_key_pending;               /* it does not exist yet: client_key_create() */
	bool have_capture_key; /* capture_key: a file run's client key, until setup */
	uint8_t capture_key[CS_SHA256_LEN];
	struct worker *workers; /* --workers: o->workers of them, open ones nworkers */
	size_t nworkers;
};

/* One --events line; a failed write is said once (logfile_check). */
static void on_handshake(void *ctx, const struct engine_event *ev)
{
	struct run *r = ctx;

	if (!r->events) /* opened once privileges are dropped (check_outputs) */
		return;
	events_write(logfile_stream(r->events), ev, (uint16_t)r->o->community_seed);
	logfile_check(r->events);
}

static int write_report(struct engine *e, const struct cs_options *o);

static int64_t wall_clock_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * CS_NS_PER_SEC + ts.tv_nsec;
}

/* SIGHUP: the log files reopened (logrotate moved them away), and a new
 * trust store for the handshakes to come (loaded on the analysis thread of
 * a live capture, so capture goes on meanwhile). */
static void reload(struct run *r)
{
	reload_requested = 0;
	if (r->events)
		logfile_reopen(r->events);
	if (r->notices_log)
		logfile_reopen(r->notices_log);
	judge_reload(r->judge);
}

/* ---- --state (state.c): loaded at start, saved after every report and at exit ---- */

static int load_state(struct run *r)
{
	char err[512];
	enum cs_status st;

	if (!r->o->state_path)
		return CS_EXIT_OK;
	st = state_load(r->e, r->o->state_path, err, sizeof(err));
	if (st == CS_OK || st == CS_EOF) /* no file yet: a first run */
		return CS_EXIT_OK;
	fprintf(stderr, "chainsniff: %s\n", err);
	return CS_EXIT_INPUT;
}

/* During the run a failure is said once per errno (and its recovery);
 * at exit always, with the reason. */
static bool save_state(struct run *r, bool at_exit)
{
	char err[512];

	if (!r->o->state_path)
		return true;
	r->state_reports = sensor_reports(r->sensor);
	if (state_save(r->e, r->o->state_path, err, sizeof(err)) == CS_OK) {
		err_once_ok(&r->state_err, r->o->state_path, "state saved again");
		return true;
	}
	if (at_exit)
		fprintf(stderr, "chainsniff: %s\n", err);
	else
		err_once_fail(&r->state_err, r->o->state_path, "save the state", errno);
	return false;
}

/* ---- end of --state ---------------------------------------------------------------- */

/* libpcap's counters of every live source, into its input. */
static void refresh_drops(struct run *r)
{
	for (size_t i = 0; i < r->nlive; i++) {
		struct engine_input *in = r->live_in[i];

		in->have_drops =
			capture_stats(r->live[i], &in->received, &in->dropped, &in->if_dropped);
	}
}

static struct metrics_outputs outputs(const struct run *r)
{
	struct metrics_outputs out = {r->report_err.failures, r->state_err.failures, 0};
	uint64_t reopens = 0;

	if (r->events)
		logfile_failures(r->events, &out.events, &reopens);
	out.events += reopens;
	return out;
}

/* The clock moved to now: a periodic report (then a state save) when a
 * window ended, the stats line and the metrics when a stats interval did.
 * A failed periodic write is said once per errno, and again when it works. */
static void tick(struct run *r, int64_t now)
{
	uint64_t written = sensor_reports(r->sensor);
	struct metrics_outputs out;

	if (sensor_tick(r->sensor, now) != CS_OK)
		err_once_fail(&r->report_err, r->o->report_dir, "write the periodic report", errno);
	else if (sensor_reports(r->sensor) != written)
		err_once_ok(&r->report_err, r->o->report_dir, "periodic reports written again");
	if (r->o->state_path && sensor_reports(r->sensor) != r->state_reports)
		save_state(r, false);
	if (metrics_due(r->metrics, now))
		refresh_drops(r);
	out = outputs(r);
	metrics_tick(r->metrics, now, &out);
}

static void requested_report(struct run *r, int64_t now)
{
	struct metrics_outputs out;

	report_requested = 0;
	refresh_drops(r); /* in every live report */
	if (r->o->report_dir) {
		if (sensor_report(r->sensor, now, "signal") != CS_OK)
			fprintf(stderr, "chainsniff: %s: cannot write the report: %s\n",
				r->o->report_dir, strerror(errno));
	} else {
		write_report(r->e, r->o);
	}
	save_state(r, false);
	out = outputs(r);
	metrics_write(r->metrics, &out);
}

/* Progress on a terminal only: which file, bytes read of total, handshakes
 * so far. */
static void progress(struct run *r, struct cs_source *src, const char *name, bool done)
{
	uint64_t now_b, total;
	time_t now = time(NULL);
	char file[64];

	if (!isatty(STDERR_FILENO) || (!done && now == r->last_progress))
		return;
	r->last_progress = now;
	capture_progress(src, &now_b, &total);
	snprintf(file, sizeof(file), "file %zu/%zu", r->file_index + 1, r->o->nfiles);
	if (total)
		fprintf(stderr,
			"\r%s %s: %" PRIu64 " of %" PRIu64 " MB (%" PRIu64 "%%), %" PRIu64
			" TLS handshakes%s",
			file, name, now_b >> 20, total >> 20, now_b * 100 / total,
			engine_totals(r->e)->tls_handshakes, done ? "\n" : "");
	else
		fprintf(stderr, "\r%s %s: %" PRIu64 " MB, %" PRIu64 " TLS handshakes%s", file, name,
			now_b >> 20, engine_totals(r->e)->tls_handshakes, done ? "\n" : "");
}

static bool drop_privileges(const char *user, char *err, size_t errlen)
{
	struct passwd *pw = getpwnam(user);

	if (!pw) {
		snprintf(err, errlen, "no such user");
		return false;
	}
	if (initgroups(pw->pw_name, pw->pw_gid) != 0 || setgid(pw->pw_gid) != 0 ||
	    setuid(pw->pw_uid) != 0) {
		snprintf(err, errlen, "cannot switch to it: %s", strerror(errno));
		return false;
	}
	if (pw->pw_uid != 0 && setuid(0) == 0) {
		snprintf(err, errlen, "privileges could be regained");
		return false;
	}
	return true;
}

/* ---- the start: privileges dropped, then every output path checked ------------ */

/* Can this process (the -Z user by now) create and replace files in dir?
 * One line naming it when not. */
static bool dir_writable(const struct run *r, const char *dir)
{
	if (access(dir, W_OK | X_OK) == 0)
		return true;
	fprintf(stderr, "chainsniff: %s: cannot write there%s%s: %s\n", dir,
		r->o->user ? " as " : "", r->o->user ? r->o->user : "", strerror(errno));
	return false;
}

/* The directory a file is written in (atomic_write's temporary file). */
static bool parent_writable(const struct run *r, const char *path)
{
	char dir[4096];
	const char *slash = strrchr(path, '/');

	if (!slash)
		return dir_writable(r, ".");
	snprintf(dir, sizeof(dir), "%.*s", slash == path ? 1 : (int)(slash - path), path);
	return dir_writable(r, dir);
}

/* A file opened for writing at exit (-o): the file if it exists, else its
 * directory. */
static bool file_writable(const struct run *r, const char *path)
{
	if (access(path, F_OK) != 0)
		return parent_writable(r, path);
	if (access(path, W_OK) == 0)
		return true;
	fprintf(stderr, "chainsniff: %s: cannot write it%s%s: %s\n", path, r->o->user ? " as " : "",
		r->o->user ? r->o->user : "", strerror(errno));
	return false;
}

/* Every path the run will write, checked now rather than failing an hour
 * later; --events and --notices opened (written from the first handshake
 * on, reopened on SIGHUP by the user the run now is). */
static int check_outputs(struct run *r)
{
	const struct cs_options *o = r->o;
	char err[512];
	bool ok = true;

	if (o->report_dir)
		ok = dir_writable(r, o->report_dir) && ok;
	if (o->state_path)
		ok = parent_writable(r, o->state_path) && ok;
	if (o->metrics_path)
		ok = parent_writable(r, o->metrics_path) && ok;
	if (o->out_path)
		ok = file_writable(r, o->out_path) && ok;
	if (o->dump_dir)
		ok = (access(o->dump_dir, F_OK) == 0 ? dir_writable(r, o->dump_dir)
						     : parent_writable(r, o->dump_dir)) &&
		     ok;
	if (ok && o->events_path && !(r->events = logfile_open(o->events_path, err, sizeof(err)))) {
		fprintf(stderr, "chainsniff: %s\n", err);
		ok = false;
	}
	if (ok && o->notices_path) {
		if (!(r->notices_log = logfile_open(o->notices_path, err, sizeof(err)))) {
			fprintf(stderr, "chainsniff: %s\n", err);
			ok = false;
		} else {
			notices_set_output(r->notices, r->notices_log);
		}
	}
	return ok ? CS_EXIT_OK : CS_EXIT_OUTPUT;
}

static int client_key_create(struct run *r);

/* Once the first input is open: -Z, then the outputs.  A failure stops the
 * run before anything is read (r->fatal): 1 for -Z, 4 for an output. */
static int start_reading(struct run *r)
{
	char err[256];

	if (r->started)
		return r->fatal;
	r->started = true;
	if (r->o->user && !drop_privileges(r->o->user, err, sizeof(err))) {
		fprintf(stderr, "chainsniff: -Z %s: %s\n", r->o->user, err);
		return r->fatal = CS_EXIT_INPUT;
	}
	if ((r->fatal = check_outputs(r)) != CS_EXIT_OK)
		return r->fatal;
	return r->fatal = client_key_create(r);
}

/* ---- reading ---------------------------------------------------------------------- */

/* --since/--until: frames outside are left out, counted as filtered. */
static bool outside(const struct cs_options *o, int64_t ts_ns)
{
	return (o->have_since && ts_ns < o->since * CS_NS_PER_SEC) ||
	       (o->have_until && ts_ns >= o->until * CS_NS_PER_SEC);
}

/* --until on a live capture: the clock reached it, stop. */
static bool live_until_reached(const struct cs_options *o)
{
	return o->have_until && wall_clock_ns() >= o->until * CS_NS_PER_SEC;
}

/* A source's end: the exit code it deserves, its error on its input (err
 * is the reader's, or gets the reason nothing in it could be decoded). */
static int source_end(struct engine_input *in, enum cs_status st, char *err, size_t errlen)
{
	if (st == CS_EOF && engine_input_undecodable(in, err, errlen))
		st = CS_UNSUPPORTED; /* refused: one line, status error, exit 1 */
	else if (stop_requested || st == CS_EOF)
		return CS_EXIT_OK;
	cli_fail(in->name, err);
	switch (st) {
	case CS_TRUNC:
		engine_input_error(in, INPUT_TRUNCATED, "%s", err);
		return CS_EXIT_DAMAGED;
	case CS_BAD:
	case CS_IO:
		engine_input_error(in, INPUT_DAMAGED, "%s", err);
		return CS_EXIT_DAMAGED;
	default:
		engine_input_error(in, INPUT_ERROR, "%s", err);
		return CS_EXIT_INPUT;
	}
}

/* The first frame of a source whose link type we cannot decode (pcapng
 * files say it per interface, and unknown ones are counted there). */
static bool unsupported(const struct engine_input *in, const struct cs_frame *f, char *err,
			size_t errlen)
{
	if (in->packets || !strcmp(in->format, "pcapng") || decode_linktype_supported(f->linktype))
		return false;
	snprintf(err, errlen, "unsupported link type %d", f->linktype);
	return true;
}

/* Signals between frames: reload, a report now. */
static void between_frames(struct run *r, int64_t now)
{
	if (reload_requested)
		reload(r);
	if (report_requested)
		requested_report(r, now);
}

/* A file on a quiet pipe (-r - behind tcpdump -w - or ssh): what is
 * between frames goes on while it waits, answers ready since the last
 * frame are counted (--events lines go out) and a signal is taken at once.
 * The capture clock stands still: windows move with the frames' time. */
static bool stream_wait(void *ctx)
{
	struct run *r = ctx;

	if (r->started && !stop_requested) {
		engine_poll(r->e);
		between_frames(r, engine_now(r->e));
	}
	return !stop_requested;
}

/* Read one file to its end; returns the exit code it deserves. */
static int read_file(struct run *r, struct engine_input *in, struct cs_source *src)
{
	char err[256];
	struct cs_frame f;
	enum cs_status st = CS_EOF;

	in->format = capture_format(src);
	r->outside = 0;
	while (!stop_requested) {
		between_frames(r, engine_now(r->e));
		st = capture_next(src, &f, err, sizeof(err));
		if (st != CS_OK)
			break;
		if (unsupported(in, &f, err, sizeof(err))) {
			st = CS_UNSUPPORTED;
			break;
		}
		if (outside(r->o, f.ts_ns)) {
			in->filtered = capture_filtered(src) + ++r->outside;
			continue;
		}
		engine_frame(r->e, in, &f);
		tick(r, f.ts_ns); /* after the frame: the windows see its handshakes */
		if ((in->packets & 0xffff) == 0)
			progress(r, src, in->name, false);
	}
	progress(r, src, in->name, true);
	in->filtered = capture_filtered(src) + r->outside;
	return source_end(in, st, err, sizeof(err));
}

/* Read every live source until a signal, --until or an error. */
static int read_live(struct run *r)
{
	char err[256];
	struct cs_frame f;
	enum cs_status st = CS_EOF;
	size_t k = 0;
	int rc = CS_EXIT_OK;

	while (!stop_requested) {
		struct engine_input *in;

		if (report_requested || (engine_totals(r->e)->packets & 0xfff) == 0)
			refresh_drops(r); /* in every live report */
		between_frames(r, wall_clock_ns());
		st = capture_next_of(r->live, r->nlive, &k, &f, err, sizeof(err));
		if (st == CS_MORE) { /* a quiet interface: the clock still runs */
			refresh_drops(r);
			tick(r, wall_clock_ns());
			if (live_until_reached(r->o))
				break;
			continue;
		}
		if (st != CS_OK)
			break;
		in = r->live_in[k];
		if (unsupported(in, &f, err, sizeof(err))) {
			st = CS_UNSUPPORTED;
			break;
		}
		if (outside(r->o, f.ts_ns)) {
			in->filtered++;
			if (r->o->have_until && f.ts_ns >= r->o->until * CS_NS_PER_SEC)
				break;
			continue;
		}
		engine_frame(r->e, in, &f);
		tick(r, f.ts_ns); /* after the frame: the windows see its handshakes */
	}
	refresh_drops(r);
	if (st != CS_EOF && st != CS_MORE) /* CS_MORE: --until reached */
		return source_end(r->live_in[k], st, err, sizeof(err));
	for (size_t i = 0; i < r->nlive; i++) /* each interface said whether it decoded anything */
		rc = cs_exit_worse(rc, source_end(r->live_in[i], CS_EOF, err, sizeof(err)));
	return rc;
}

static int run_files(struct run *r)
{
	struct cs_options *o = r->o;
	int rc = CS_EXIT_OK;

	o->cap.wait = stream_wait;
	o->cap.wait_ctx = r;
	for (size_t i = 0; i < o->nfiles && !stop_requested; i++) {
		struct engine_input *in = engine_input_begin(r->e, o->files[i], false);
		struct cs_source *src = NULL;
		char err[256];
		enum cs_status st;

		r->file_index = i;
		if (!in) {
			cli_fail(o->files[i], "too many inputs");
			return cs_exit_worse(rc, CS_EXIT_USAGE);
		}
		st = capture_open_file(o->files[i], &o->cap, &src, err, sizeof(err));
		if (st == CS_EOF) /* a signal before the file header came */
			break;
		if (st != CS_OK) {
			cli_fail(o->files[i], err);
			engine_input_error(in, INPUT_ERROR, "%s", err);
			rc = cs_exit_worse(rc, CS_EXIT_INPUT);
		}
		if (start_reading(r) != CS_EXIT_OK) {
			capture_close(src);
			return rc;
		}
		if (!src)
			continue;
		if (!o->check)
			rc = cs_exit_worse(rc, read_file(r, in, src));
		capture_close(src);
	}
	return rc;
}

/* Open every -i (all of them before privileges are dropped). */
static int open_live(struct run *r)
{
	struct cs_options *o = r->o;
	int rc = CS_EXIT_OK;

	o->cap.immediate = o->nifaces > 1; /* taps: cross-source order by timestamp */
	for (size_t i = 0; i < o->nifaces; i++) {
		struct engine_input *in = engine_input_begin(r->e, o->ifaces[i], true);
		struct cs_source *src;
		char err[256];

		if (capture_open_live(o->ifaces[i], &o->cap, &src, err, sizeof(err)) != CS_OK) {
			cli_fail(o->ifaces[i], err);
			engine_input_error(in, INPUT_ERROR, "%s", err);
			rc = CS_EXIT_INPUT;
			continue;
		}
		if (err[0]) /* libpcap's warning, e.g. no promiscuous mode */
			cli_fail(o->ifaces[i], err);
		in->format = capture_format(src);
		r->live_in[r->nlive] = in;
		r->live[r->nlive++] = src;
		live_sources[nlive_sources] = src;
		nlive_sources = nlive_sources + 1;
	}
	return rc;
}

static void close_live(struct run *r)
{
	nlive_sources = 0;
	for (size_t i = 0; i < r->nlive; i++)
		capture_close(r->live[i]);
	r->nlive = 0;
}

/* As tcpdump says it: from now on packets are read. */
static void listening(const struct run *r)
{
	fputs("chainsniff: listening on ", stderr);
	for (size_t i = 0; i < r->nlive; i++)
		fprintf(stderr, "%s%s", i ? ", " : "", r->live_in[i]->name);
	if (r->nworkers)
		fprintf(stderr, "%s with %zu workers", r->o->iface, r->nworkers);
	if (r->o->user)
		fprintf(stderr, " as %s", r->o->user);
	fputc('\n', stderr);
}

/* ---- --workers: one interface read by several packet threads ------------------- */

/*
 * Each worker has its own socket in the interface's AF_PACKET fanout group
 * (both directions of a flow reach the same one: cs_fanout.h) and its own
 * packet path (engine_worker_new); the main thread counts what they hand
 * over (engine_collect) and does everything else as with one thread:
 * signals, reloads, periodic reports, state, metrics.
 */
struct worker {
	struct run *r;
	size_t index;
	struct engine *e;
	struct engine_input *in; /* its own counts; the main engine sums them */
	struct cs_source *src;
	pthread_t thread;
	bool running;
	atomic_bool done;
	enum cs_status st; /* why it stopped: CS_EOF when told to */
	char err[256];
};

static atomic_bool workers_stop;

/* libpcap's counters of the worker's socket (one thread per socket). */
static void worker_drops(struct worker *w)
{
	w->in->have_drops =
		capture_stats(w->src, &w->in->received, &w->in->dropped, &w->in->if_dropped);
}

static void *worker_main(void *arg)
{
	struct worker *w = arg;
	const struct cs_options *o = w->r->o;
	unsigned since = 0;
	struct cs_frame f;
	char name[16];

	snprintf(name, sizeof(name), "cs-worker-%zu", w->index + 1); /* for top -H, perf */
	pthread_setname_np(pthread_self(), name);
	w->st = CS_EOF;
	while (!atomic_load_explicit(&workers_stop, memory_order_relaxed)) {
		enum cs_status st = capture_next(w->src, &f, w->err, sizeof(w->err));

		if (st == CS_MORE) { /* idle: its clock is the wall clock */
			worker_drops(w);
			engine_worker_publish(w->e, wall_clock_ns());
			since = 0;
			continue;
		}
		if (st == CS_OK && unsupported(w->in, &f, w->err, sizeof(w->err)))
			st = CS_UNSUPPORTED;
		if (st != CS_OK) {
			w->st = st;
			break;
		}
		if (outside(o, f.ts_ns)) {
			w->in->filtered++;
			continue;
		}
		engine_frame(w->e, w->in, &f);
		if (++since == CS_WORKER_PUBLISH_FRAMES) {
			worker_drops(w);
			engine_worker_publish(w->e, f.ts_ns);
			since = 0;
		}
	}
	engine_finish(w->e); /* its open connections end with the capture */
	worker_drops(w);
	engine_worker_publish(w->e, engine_now(w->e));
	atomic_store(&w->done, true);
	return NULL;
}

/* The sockets, opened before privileges are dropped; --max-flows and
 * --memcap are totals the workers draw from. */
static int open_workers(struct run *r)
{
	struct cs_options *o = r->o;
	struct cs_capture_opts cap = o->cap;
	struct engine_input *in = engine_input_begin(r->e, o->iface, true);
	char err[256];

	r->workers = calloc(o->workers, sizeof(*r->workers));
	if (!r->workers || !in)
		return cli_fail(o->iface, "out of memory"), CS_EXIT_INPUT;
	in->format = "live";
	r->live_in[0] = in;
	cap.fanout = o->workers;
	cap.fanout_group = fanout_group_id();
	for (size_t i = 0; i < o->workers; i++) {
		struct worker *w = &r->workers[i];

		*w = (struct worker){.r = r, .index = i};
		if (capture_open_live(o->iface, &cap, &w->src, err, sizeof(err)) != CS_OK) {
			cli_fail(o->iface, err);
			engine_input_error(in, INPUT_ERROR, "%s", err);
			return CS_EXIT_INPUT;
		}
		r->nworkers++;
		if (err[0] && i == 0) /* libpcap's or the fanout's warning */
			cli_fail(o->iface, err);
		w->e = engine_worker_new(r->e, o->eng.max_flows, o->eng.buffer_memcap, 0);
		if (!w->e || !(w->in = engine_input_begin(w->e, o->iface, true)))
			return cli_fail(o->iface, "out of memory"), CS_EXIT_INPUT;
		w->in->format = "live";
	}
	/* until the last socket joined, each got every packet: start afresh */
	for (size_t i = 0; i < r->nworkers; i++)
		capture_drain(r->workers[i].src);
	return CS_EXIT_OK;
}

/* Signals are the main thread's: the workers are started with them blocked. */
static int start_workers(struct run *r)
{
	sigset_t all, old;
	int rc = 0;

	sigfillset(&all);
	pthread_sigmask(SIG_BLOCK, &all, &old);
	for (size_t i = 0; i < r->nworkers && rc == 0; i++) {
		rc = pthread_create(&r->workers[i].thread, NULL, worker_main, &r->workers[i]);
		r->workers[i].running = rc == 0;
	}
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (rc != 0)
		fprintf(stderr, "chainsniff: %s: cannot start a worker thread: %s\n", r->o->iface,
			strerror(rc));
	return rc == 0 ? CS_EXIT_OK : CS_EXIT_INPUT;
}

static bool any_worker_done(const struct run *r)
{
	for (size_t i = 0; i < r->nworkers; i++)
		if (r->workers[i].running && atomic_load(&r->workers[i].done))
			return true;
	return false;
}

/* Tell every worker to stop, keep counting what they hand over (a full
 * ring would hold them up), then join them. */
static void stop_workers(struct run *r)
{
	struct timespec ms = {0, 1000000};
	bool all;

	atomic_store(&workers_stop, true);
	for (size_t i = 0; i < r->nworkers; i++)
		capture_break(r->workers[i].src);
	do {
		all = true;
		for (size_t i = 0; i < r->nworkers; i++)
			all &= !r->workers[i].running || atomic_load(&r->workers[i].done);
		if (!engine_collect(r->e) && !all)
			nanosleep(&ms, NULL);
	} while (!all);
	for (size_t i = 0; i < r->nworkers; i++)
		if (r->workers[i].running)
			pthread_join(r->workers[i].thread, NULL);
	engine_collect(r->e);
}

/* A worker that stopped on its own takes the run down: one line naming
 * the interface and the worker, and the exit code of the error. */
static int workers_end(struct run *r)
{
	struct engine_input *in = r->live_in[0];
	const char *said = NULL;
	int rc = CS_EXIT_OK;
	char msg[320];

	for (size_t i = 0; i < r->nworkers; i++) {
		struct worker *w = &r->workers[i];

		if (w->st == CS_EOF || (said && !strcmp(said, w->err)))
			continue; /* told to stop, or the same reason as another's */
		said = w->err;
		snprintf(msg, sizeof(msg), "worker %zu of %zu: %s", i + 1, r->nworkers, w->err);
		rc = cs_exit_worse(rc, source_end(in, w->st, msg, sizeof(msg)));
	}
	return cs_exit_worse(rc, source_end(in, CS_EOF, msg, sizeof(msg)));
}

/* What each worker saw, as tcpdump says its counts at exit: the balance of
 * the fanout. */
static void workers_said(const struct run *r)
{
	for (size_t i = 0; i < engine_workers(r->e); i++) {
		uint64_t packets, handshakes, dropped;

		engine_worker_counts(r->e, i, &packets, &handshakes, &dropped);
		fprintf(stderr,
			"chainsniff: %s: worker %zu of %zu: %" PRIu64 " packets, %" PRIu64
			" TLS handshakes, %" PRIu64 " dropped by the kernel\n",
			r->o->iface, i + 1, engine_workers(r->e), packets, handshakes, dropped);
	}
}

/* The main thread naps while the workers hand nothing over: 1 ms, doubling
 * up to this while it stays quiet (a worker's ring holds CS_WORKER_HANDOFF
 * items: about 100 ms of a busy gateway's handshakes). */
#define WORKERS_NAP_MAX_MS 16

static int read_workers(struct run *r)
{
	long nap_ms = 1;
	int rc = start_workers(r);

	while (rc == CS_EXIT_OK && !stop_requested && !live_until_reached(r->o) &&
	       !any_worker_done(r)) {
		struct timespec nap = {0, nap_ms * 1000000};

		between_frames(r, wall_clock_ns());
		if (engine_collect(r->e)) {
			nap_ms = 1;
		} else {
			nanosleep(&nap, NULL);
			nap_ms = nap_ms < WORKERS_NAP_MAX_MS ? 2 * nap_ms : nap_ms;
		}
		tick(r, engine_now(r->e) ? engine_now(r->e) : wall_clock_ns());
	}
	stop_workers(r);
	rc = cs_exit_worse(rc, workers_end(r));
	workers_said(r);
	return rc;
}

static void close_workers(struct run *r)
{
	for (size_t i = 0; i < r->nworkers; i++)
		capture_close(r->workers[i].src);
	free(r->workers);
	r->workers = NULL;
	r->nworkers = 0;
}

/* Every interface must open: a tap with one port missing would see half of
 * each connection. */
static int run_live(struct run *r)
{
	int rc = r->o->workers > 1 ? open_workers(r) : open_live(r);

	if (rc != CS_EXIT_OK || start_reading(r) != CS_EXIT_OK || r->o->check)
		return rc;
	listening(r);
	return r->o->workers > 1 ? read_workers(r) : read_live(r);
}

static void install_signals(void)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGUSR1, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
}

static int dump_chains(struct engine *e, const char *dir)
{
	struct cs_chain_store *cs = engine_chains(e);
	const struct agg_server *const *servers;
	size_t n;

	if (mkdir(dir, 0755) != 0 && errno != EEXIST) {
		cli_fail(dir, strerror(errno));
		return CS_EXIT_OUTPUT;
	}
	(void)cs;
	servers = agg_sorted(engine_agg(e), &n);
	for (size_t i = 0; i < n; i++)
		for (uint32_t k = 0; k < servers[i]->nchains; k++)
			if (chain_dump_pem(servers[i]->chains[k].chain, dir) != CS_OK) {
				cli_fail(dir, strerror(errno));
				return CS_EXIT_OUTPUT;
			}
	return CS_EXIT_OK;
}

static int write_report(struct engine *e, const struct cs_options *o)
{
	FILE *out = stdout;
	bool color;

	if (o->out_path && !(out = fopen(o->out_path, "w"))) {
		cli_fail(o->out_path, strerror(errno));
		return CS_EXIT_OUTPUT;
	}
	color = !o->out_path && isatty(STDOUT_FILENO) && !getenv("NO_COLOR");
	if (o->format == CS_FORMAT_JSON) {
		report_json(out, e);
	} else if (o->format == CS_FORMAT_STATE) {
		report_json_state(out, e);
	} else if (o->format == CS_FORMAT_CSV) {
		report_csv(out, e);
	} else if (o->format == CS_FORMAT_HTML) {
		report_html(out, e, &o->report);
	} else {
		struct report_opts ro = o->report;

		ro.color = color;
		ro.width = report_width(fileno(out)); /* 100 in a file or a pipe */
		report_text(out, e, &ro);
	}
	if (fflush(out) != 0 || ferror(out) || (out != stdout && fclose(out) != 0)) {
		cli_fail(o->out_path ? o->out_path : "standard output", strerror(errno));
		return CS_EXIT_OUTPUT;
	}
	return CS_EXIT_OK;
}

/* The latest capture time read (files may come in any order). */
static int64_t last_time(struct engine *e)
{
	int64_t first, last;

	return engine_time_range(e, &first, &last) ? last : 0;
}

static void run_free(struct run *r)
{
	close_live(r);
	close_workers(r);
	metrics_free(r->metrics);
	sensor_free(r->sensor);
	engine_free(r->e); /* may still tell the notices and events of flows it ends */
	judge_free(r->judge);
	ignore_free(r->ignore);
	notices_free(r->notices);
	evidence_free(r->evidence);
	logfile_close(r->notices_log);
	logfile_close(r->events);
}

/*
 * A file run gives the same report every time: without a key file its
 * clients are hashed with a key derived from the capture (HyperLogLog
 * estimates depend on the hashes), and its tables' hash keys are derived
 * from it too (cs_hash_seed_from: the signature memo forgets the same
 * entries).  The material is the first 64 KiB of the first capture file,
 * which hold client addresses anyway, so the client key is secret from
 * whoever does not have the capture.  Live, from standard input or a FIFO,
 * the process's random keys stay.
 */
static bool capture_head(const struct cs_options *o, uint8_t *buf, size_t len, size_t *got)
{
	struct stat st;
	ssize_t n;
	int fd;

	/* a regular file only (not even opened otherwise): a FIFO's bytes are
	 * the capture's, and its writer must not see a reader come and go */
	if (o->nifaces || !o->nfiles || !strcmp(o->files[0], "-") || stat(o->files[0], &st) != 0 ||
	    !S_ISREG(st.st_mode) || (fd = open(o->files[0], O_RDONLY | O_CLOEXEC | O_NONBLOCK)) < 0)
		return false;
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
		close(fd);
		return false;
	}
	n = read(fd, buf, len); /* a short read still gives fixed keys */
	close(fd);
	*got = n > 0 ? (size_t)n : 0;
	return n >= 0;
}

/* SHA-256(domain, NUL included || bytes). */
static void keyed_digest(const char *domain, const uint8_t *p, size_t n, uint8_t md[CS_SHA256_LEN])
{
	chain_hash((const struct cs_slice[]){{(const uint8_t *)domain, strlen(domain) + 1}, {p, n}},
		   2, md);
}

/* Before any table is keyed: the tables' keys from the capture, and the
 * client key (kept for setup_client_key, which uses it without a key
 * file). */
static void keys_from_capture(struct run *r)
{
	uint8_t buf[65536], md[CS_SHA256_LEN];
	size_t got;

	if (!capture_head(r->o, buf, sizeof(buf), &got))
		return;
	keyed_digest("chainsniff table keys of a capture, v1", buf, got, md);
	cs_hash_seed_from(md);
	keyed_digest("chainsniff client key of a capture, v1", buf, got, r->capture_key);
	r->have_capture_key = true;
	explicit_bzero(md, sizeof(md));
	explicit_bzero(buf, sizeof(buf));
}

/* The key client addresses are hashed with (cs_clientkey.h): --client-key,
 * else client.key beside --state; without either nothing keyed is kept
 * across runs and the key of this process serves.  A key file that does
 * not exist yet is created by client_key_create() once privileges are
 * dropped and the outputs checked, so that a run refused at start writes
 * nothing, and the file belongs to the user the sensor runs as. */
static int setup_client_key(struct run *r, char *err, size_t errlen)
{
	const struct cs_options *o = r->o;
	const char *path = o->client_key_path;
	uint8_t key[CS_CLIENT_KEY_LEN];

	if (!path && o->state_path) {
		if (!clientkey_default_path(o->state_path, r->client_key, sizeof(r->client_key))) {
			snprintf(err, errlen, "%s: path too long", o->state_path);
			return CS_EXIT_INPUT;
		}
		path = r->client_key;
	}
	if (!path) {
		if (o->format == CS_FORMAT_STATE)
			fprintf(stderr,
				"chainsniff: note: no --client-key: this report's client hashes "
				"use a key of this run only, so merge will not combine it with others\n");
		if (r->have_capture_key)                   /* else the random key of this process */
			clientset_set_key(r->capture_key); /* the first 16 bytes */
		return CS_EXIT_OK;
	}
	if (path != r->client_key)
		snprintf(r->client_key, sizeof(r->client_key), "%s", path);
	if (access(path, F_OK) != 0 && errno == ENOENT) {
		r->client_key_pending = true; /* a new installation: created at start */
		return CS_EXIT_OK;
	}
	if (clientkey_read(path, key, err, errlen) != CS_OK)
		return CS_EXIT_INPUT;
	clientset_set_key(key);
	explicit_bzero(key, sizeof(key));
	return CS_EXIT_OK;
}

/* The key file of a new installation, before the first packet. */
static int client_key_create(struct run *r)
{
	uint8_t key[CS_CLIENT_KEY_LEN];
	char err[512];
	bool created;

	if (!r->client_key_pending || r->o->check)
		return CS_EXIT_OK;
	r->client_key_pending = false;
	if (clientkey_load(r->client_key, key, &created, err, sizeof(err)) != CS_OK) {
		fprintf(stderr, "chainsniff: %s\n", err);
		return CS_EXIT_OUTPUT;
	}
	clientset_set_key(key);
	explicit_bzero(key, sizeof(key));
	if (created)
		fprintf(stderr,
			"chainsniff: %s: new client key (id %s); sensors whose reports are "
			"merged need a copy of this file\n",
			r->client_key, clientset_key_id());
	return CS_EXIT_OK;
}

/* What the engine is told of before it is made: the --notices tracker
 * (its file, like --events, is opened once privileges are dropped, by
 * check_outputs) and the --write-broken file (a pcap written from the first
 * broken handshake on, like tcpdump -w). */
static int make_outputs(struct run *r, char *err, size_t errlen)
{
	struct cs_options *o = r->o;

	if (o->events_path) {
		o->eng.on_event = on_handshake;
		o->eng.event_ctx = r;
	}
	if (o->notices_path) {
		struct notices_opts no = {
			.out = NULL,
			.window_s = o->interval ? o->interval : CS_NOTICE_WINDOW_S,
			.community_seed = (uint16_t)o->community_seed,
		};

		if (!(r->notices = notices_new(&no))) {
			snprintf(err, errlen, "%s: out of memory", o->notices_path);
			return CS_EXIT_OUTPUT;
		}
		o->eng.notices = r->notices;
	}
	if (o->broken_pcap) {
		if (!(r->evidence = evidence_new(o->broken_pcap, err, errlen)))
			return CS_EXIT_OUTPUT;
		o->eng.evidence = r->evidence;
	}
	return CS_EXIT_OK;
}

static int setup(struct run *r, char *err, size_t errlen)
{
	struct cs_options *o = r->o;
	struct sensor_opts so = {o->report_dir, o->interval, o->keep, &o->report, o->iface != NULL};
	struct metrics_opts mo = {o->metrics_path, o->stats_interval, CS_VERSION};
	struct judge_opts jo = {
		.trust = &o->trust,
		.warn_days = o->warn_days,
		.intermediates = o->intermediates,
		/* live: analyses on their own thread, within the per-second budget;
		 * files: analyses may wait, so nothing is deferred */
		.threaded = true,
		.budget = o->iface != NULL,
		.preparse = o->iface == NULL,
		.root_timeline = o->root_timeline,
		.trust_at = o->trust_at,
		.trust_date = o->trust_date,
	};
	int rc;

	keys_from_capture(r);
	rc = setup_client_key(r, err, errlen);
	explicit_bzero(r->capture_key, sizeof(r->capture_key)); /* used or not: gone */
	if (rc != CS_EXIT_OK)
		return rc;
	if (o->ignore_path && !(r->ignore = ignore_load(o->ignore_path, err, errlen)))
		return CS_EXIT_INPUT;
	o->eng.ignore = r->ignore;
	if ((rc = make_outputs(r, err, errlen)) != CS_EXIT_OK)
		return rc;
	r->judge = judge_new(&jo, err, errlen);
	if (!r->judge)
		return CS_EXIT_INPUT;
	o->eng.judge = r->judge;
	o->eng.live = o->iface != NULL;
	r->e = engine_new(&o->eng);
	if (!r->e) {
		snprintf(err, errlen, "out of memory");
		return CS_EXIT_INPUT;
	}
	r->sensor = sensor_new(&so, r->e, err, errlen);
	if (!r->sensor)
		return CS_EXIT_OUTPUT;
	if (!(r->metrics = metrics_new(&mo, r->e))) {
		snprintf(err, errlen, "out of memory");
		return CS_EXIT_INPUT;
	}
	return CS_EXIT_OK;
}

/* --write-broken: the files closed; a run without a broken handshake still
 * leaves a valid pcap, of the first input's link type. */
static int close_evidence(struct run *r)
{
	const struct engine_input *in = engine_ninputs(r->e) ? engine_input(r->e, 0) : NULL;
	int lt = in && in->nlinktypes ? in->linktypes[0] : CS_LINKTYPE_ETHERNET;

	if (!r->evidence || evidence_close(r->evidence, lt))
		return CS_EXIT_OK;
	return CS_EXIT_OUTPUT;
}

/* Exit 4 when any line of a log was lost, during the run or now. */
static int close_log(struct logfile *lf, const char *path, const char *what)
{
	uint64_t lost, reopens;

	if (!lf)
		return CS_EXIT_OK;
	logfile_failures(lf, &lost, &reopens);
	if (!logfile_close(lf)) {
		cli_fail(path, strerror(errno));
		return CS_EXIT_OUTPUT;
	}
	if (lost) {
		fprintf(stderr, "chainsniff: %s: %" PRIu64 " %s line(s) could not be written\n",
			path, lost, what);
		return CS_EXIT_OUTPUT;
	}
	return CS_EXIT_OK;
}

/* Every input failed (missing, not a capture, no such interface): there
 * is nothing to report, and a report of nothing would mislead. */
static bool nothing_read(struct engine *e)
{
	for (size_t i = 0; i < engine_ninputs(e); i++)
		if (engine_input(e, i)->status != INPUT_ERROR)
			return false;
	return true;
}

/* After the last frame, in this order: the final periodic report, the
 * state, the metrics, the chain dump, the events and notices files, the
 * evidence, the report.  When every input failed, no report, no state and
 * no chain dump: the errors said why. */
static int finish(struct run *r)
{
	const struct cs_options *o = r->o;
	int rc = CS_EXIT_OK;
	bool events_on_stdout = (o->events_path && !strcmp(o->events_path, "-")) ||
				(o->notices_path && !strcmp(o->notices_path, "-"));
	bool failed = nothing_read(r->e);
	struct metrics_outputs out;

	if (o->report_dir && !failed &&
	    sensor_report(r->sensor, o->iface ? wall_clock_ns() : last_time(r->e), "final") !=
		    CS_OK) {
		fprintf(stderr, "chainsniff: %s: cannot write the final report: %s\n",
			o->report_dir, strerror(errno));
		rc = cs_exit_worse(rc, CS_EXIT_OUTPUT);
	}
	if (!failed && !save_state(r, true))
		rc = cs_exit_worse(rc, CS_EXIT_OUTPUT);
	out = outputs(r);
	if (metrics_write(r->metrics, &out) != CS_OK)
		rc = cs_exit_worse(rc, CS_EXIT_OUTPUT);
	if (o->dump_dir && !failed)
		rc = cs_exit_worse(rc, dump_chains(r->e, o->dump_dir));
	rc = cs_exit_worse(rc, close_log(r->events, o->events_path, "event"));
	r->events = NULL;
	rc = cs_exit_worse(rc, close_log(r->notices_log, o->notices_path, "notice"));
	r->notices_log = NULL;
	rc = cs_exit_worse(rc, close_evidence(r));
	if (!(events_on_stdout && !o->out_path) && !failed) /* the lines are the report */
		rc = cs_exit_worse(rc, write_report(r->e, o));
	return rc;
}

/* -T: everything up to the first frame (trust store, --ignore, the state
 * file, every input opened, -Z, every output path), then the exit code the
 * run would have had so far. */
static int run_check(struct run *r)
{
	const struct cs_options *o = r->o;
	struct judge_store st;
	int rc = o->iface ? run_live(r) : run_files(r);

	rc = cs_exit_worse(rc, r->fatal);
	judge_stores(r->judge, &st, 1);
	if (rc == CS_EXIT_OK)
		fprintf(stderr,
			"chainsniff: check passed: %zu input(s), %zu trust anchors, outputs "
			"writable%s%s\n",
			o->iface ? o->nifaces : o->nfiles, st.anchors, o->user ? " as " : "",
			o->user ? o->user : "");
	run_free(r);
	return rc;
}

/* --fail-on: a broken chain, or one broken on its capture day too. */
static bool failed_on(const struct cs_options *o, const struct engine_totals *t)
{
	if (o->fail_on == CS_FAIL_ON_BROKEN)
		return t->broken_handshakes > 0;
	if (o->fail_on == CS_FAIL_ON_BROKEN_THEN)
		return t->broken_handshakes > t->ok_at_capture_time;
	return false;
}

int run_main(struct cs_options *o)
{
	struct run r;
	char err[256];
	int rc;

	memset(&r, 0, sizeof(r));
	r.o = o;
	rc = setup(&r, err, sizeof(err));
	if (rc != CS_EXIT_OK) {
		fprintf(stderr, "chainsniff: %s\n", err);
		run_free(&r);
		return rc;
	}
	if ((rc = load_state(&r)) != CS_EXIT_OK) {
		run_free(&r);
		return rc;
	}
	if (o->check)
		return run_check(&r);
	if (!judge_start(r.judge, err, sizeof(err))) {
		fprintf(stderr, "chainsniff: %s\n", err);
		run_free(&r);
		return CS_EXIT_INPUT;
	}
	install_signals();
	rc = o->iface ? run_live(&r) : run_files(&r);
	if (r.fatal) { /* nothing was read: no report */
		run_free(&r);
		return r.fatal;
	}
	engine_finish(r.e);
	rc = cs_exit_worse(rc, finish(&r));
	if (rc == CS_EXIT_OK && failed_on(o, engine_totals(r.e)))
		rc = CS_EXIT_BROKEN;
	run_free(&r);
	return rc;
}
