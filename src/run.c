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
#include "cs_judge.h"
#include "cs_sensor.h"
#include "cs_state.h"

#include <errno.h>
#include <grp.h>
#include <inttypes.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

static volatile sig_atomic_t stop_requested, report_requested, reload_requested;
static struct cs_source *live_source;

static void on_signal(int sig)
{
	if (sig == SIGUSR1) {
		report_requested = 1;
	} else if (sig == SIGHUP) {
		reload_requested = 1;
	} else {
		stop_requested = 1;
		if (live_source)
			capture_break(live_source);
	}
}

static void write_event(void *ctx, const struct engine_event *ev)
{
	report_event(ctx, ev);
}

/* Everything one run holds; run_main() owns it. */
struct run {
	struct cs_options *o;
	FILE *events; /* --events: stdout or a file opened for appending */
	struct engine *e;
	struct judge *judge;
	struct sensor *sensor;
	struct ignore_list *ignore;
	bool dropped_privileges;
	time_t last_progress;
	uint64_t state_reports; /* sensor reports already followed by a state save */
};

static int write_report(struct engine *e, const struct cs_options *o);

static int64_t wall_clock_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * CS_NS_PER_SEC + ts.tv_nsec;
}

/* SIGHUP: a new trust store for the handshakes to come (loaded on the
 * analysis thread of a live capture, so capture goes on meanwhile). */
static void reload_trust(struct run *r)
{
	reload_requested = 0;
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

static bool save_state(struct run *r)
{
	char err[512];

	if (!r->o->state_path)
		return true;
	r->state_reports = sensor_reports(r->sensor);
	if (state_save(r->e, r->o->state_path, err, sizeof(err)) == CS_OK)
		return true;
	fprintf(stderr, "chainsniff: %s\n", err);
	return false;
}

/* sensor_tick, then a state save if it wrote a periodic report. */
static enum cs_status tick(struct run *r, int64_t now)
{
	enum cs_status st = sensor_tick(r->sensor, now);

	if (r->o->state_path && sensor_reports(r->sensor) != r->state_reports)
		save_state(r);
	return st;
}

/* ---- end of --state ---------------------------------------------------------------- */

static void requested_report(struct run *r, int64_t now)
{
	report_requested = 0;
	if (r->o->report_dir) {
		if (sensor_report(r->sensor, now, "signal") != CS_OK)
			cli_fail(r->o->report_dir, "cannot write the report");
	} else {
		write_report(r->e, r->o);
	}
	save_state(r);
}

/* Progress on a terminal only: bytes read of total, handshakes so far. */
static void progress(struct run *r, struct cs_source *src, bool done)
{
	uint64_t now_b, total;
	time_t now = time(NULL);

	if (!isatty(STDERR_FILENO) || (!done && now == r->last_progress))
		return;
	r->last_progress = now;
	capture_progress(src, &now_b, &total);
	if (total)
		fprintf(stderr, "\r%" PRIu64 " of %" PRIu64 " MB (%" PRIu64 "%%), %" PRIu64
			" TLS handshakes%s", now_b >> 20, total >> 20, now_b * 100 / total,
			engine_totals(r->e)->tls_handshakes, done ? "\n" : "");
	else
		fprintf(stderr, "\r%" PRIu64 " MB, %" PRIu64 " TLS handshakes%s", now_b >> 20,
			engine_totals(r->e)->tls_handshakes, done ? "\n" : "");
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

/* Read one source to its end; returns the exit code it deserves. */
static int run_source(struct run *r, struct engine_input *in, struct cs_source *src)
{
	char err[256];
	struct cs_frame f;
	enum cs_status st = CS_EOF;
	bool first = true;

	in->format = capture_format(src);
	if (r->o->user && !r->dropped_privileges) {
		if (!drop_privileges(r->o->user, err, sizeof(err))) {
			cli_fail(r->o->user, err);
			engine_input_error(in, INPUT_ERROR, "-Z %s: %s", r->o->user, err);
			return CS_EXIT_INPUT;
		}
		r->dropped_privileges = true;
	}
	while (!stop_requested) {
		if (reload_requested)
			reload_trust(r);
		if (in->live && (report_requested || (in->packets & 0xfff) == 0))
			in->have_drops = capture_stats(src, &in->received, &in->dropped,
						       &in->if_dropped); /* in every live report */
		if (report_requested)
			requested_report(r, in->live ? wall_clock_ns() : engine_now(r->e));
		st = capture_next(src, &f, err, sizeof(err));
		if (st == CS_MORE) { /* a quiet interface: the clock still runs */
			in->have_drops = capture_stats(src, &in->received, &in->dropped, &in->if_dropped);
			tick(r, wall_clock_ns());
			continue;
		}
		if (st != CS_OK)
			break;
		if (first && strcmp(in->format, "pcapng") != 0 &&
		    !decode_linktype_supported(f.linktype)) {
			snprintf(err, sizeof(err), "unsupported link type %d", f.linktype);
			st = CS_UNSUPPORTED;
			break;
		}
		first = false;
		engine_frame(r->e, in, &f);
		if (tick(r, f.ts_ns) != CS_OK)
			cli_fail(r->o->report_dir, "cannot write the periodic report");
		if (!in->live && (in->packets & 0xffff) == 0)
			progress(r, src, false);
	}
	if (!in->live)
		progress(r, src, true);
	in->filtered = capture_filtered(src);
	if (in->live)
		in->have_drops = capture_stats(src, &in->received, &in->dropped, &in->if_dropped);
	if (st == CS_EOF && engine_input_undecodable(in, err, sizeof(err)))
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

static int run_files(struct run *r)
{
	const struct cs_options *o = r->o;
	int rc = CS_EXIT_OK;

	for (size_t i = 0; i < o->nfiles && !stop_requested; i++) {
		struct engine_input *in = engine_input_begin(r->e, o->files[i], false);
		struct cs_source *src = NULL;
		char err[256];

		if (!in) {
			cli_fail(o->files[i], "too many inputs");
			return cs_exit_worse(rc, CS_EXIT_USAGE);
		}
		if (capture_open_file(o->files[i], &o->cap, &src, err, sizeof(err)) != CS_OK) {
			cli_fail(o->files[i], err);
			engine_input_error(in, INPUT_ERROR, "%s", err);
			rc = cs_exit_worse(rc, CS_EXIT_INPUT);
			continue;
		}
		rc = cs_exit_worse(rc, run_source(r, in, src));
		capture_close(src);
	}
	return rc;
}

static int run_live(struct run *r)
{
	const struct cs_options *o = r->o;
	struct engine_input *in = engine_input_begin(r->e, o->iface, true);
	char err[256];
	int rc;

	if (capture_open_live(o->iface, &o->cap, &live_source, err, sizeof(err)) != CS_OK) {
		cli_fail(o->iface, err);
		engine_input_error(in, INPUT_ERROR, "%s", err);
		return CS_EXIT_INPUT;
	}
	rc = run_source(r, in, live_source);
	capture_close(live_source);
	live_source = NULL;
	return rc;
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
	/* the width of the terminal it is read on; 100 in a file or a pipe */
	if (o->format == CS_FORMAT_JSON) {
		report_json(out, e);
	} else if (o->format == CS_FORMAT_STATE) {
		report_json_state(out, e);
	} else if (o->format == CS_FORMAT_CSV) {
		report_csv(out, e);
	} else {
		struct report_opts ro = o->report;

		ro.color = color;
		ro.width = report_width(fileno(out));
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
	if (r->events && r->events != stdout)
		fclose(r->events);
	sensor_free(r->sensor);
	engine_free(r->e);
	judge_free(r->judge);
	ignore_free(r->ignore);
}

static int setup(struct run *r, char *err, size_t errlen)
{
	struct cs_options *o = r->o;
	struct sensor_opts so = {o->report_dir, o->interval, o->keep, &o->report, o->iface != NULL};
	struct judge_opts jo = {
		.trust = &o->trust,
		.warn_days = o->warn_days,
		.intermediates = o->intermediates,
		/* live: analyses on their own thread, within the per-second budget;
		 * files: analyses may wait, so nothing is deferred */
		.threaded = true,
		.budget = o->iface != NULL,
		.preparse = o->iface == NULL,
	};

	if (o->ignore_path && !(r->ignore = ignore_load(o->ignore_path, err, errlen)))
		return CS_EXIT_INPUT;
	o->eng.ignore = r->ignore;
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
	return r->sensor ? CS_EXIT_OK : CS_EXIT_OUTPUT;
}

/* --events: opened before anything is read, line-buffered. */
static int open_events(struct run *r)
{
	const char *path = r->o->events_path;

	if (!path)
		return CS_EXIT_OK;
	r->events = strcmp(path, "-") ? fopen(path, "a") : stdout;
	if (!r->events) {
		cli_fail(path, strerror(errno));
		return CS_EXIT_OUTPUT;
	}
	setvbuf(r->events, NULL, _IOLBF, 0); /* a log shipper sees whole lines */
	r->o->eng.on_event = write_event;
	r->o->eng.event_ctx = r->events;
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
 * state, the chain dump, the events file, the report.  When every input
 * failed, none of them: the errors said why. */
static int finish(struct run *r)
{
	const struct cs_options *o = r->o;
	int rc = CS_EXIT_OK;
	bool events_on_stdout = r->events == stdout;

	if (nothing_read(r->e)) {
		if (r->events && !events_on_stdout)
			fclose(r->events);
		r->events = NULL;
		return CS_EXIT_OK;
	}
	if (o->report_dir && sensor_report(r->sensor, o->iface ? wall_clock_ns() : last_time(r->e),
					   "final") != CS_OK) {
		cli_fail(o->report_dir, "cannot write the final report");
		rc = cs_exit_worse(rc, CS_EXIT_OUTPUT);
	}
	if (!save_state(r))
		rc = cs_exit_worse(rc, CS_EXIT_OUTPUT);
	if (o->dump_dir)
		rc = cs_exit_worse(rc, dump_chains(r->e, o->dump_dir));
	if (r->events && (fflush(r->events) != 0 || ferror(r->events))) {
		cli_fail(o->events_path, strerror(errno));
		rc = cs_exit_worse(rc, CS_EXIT_OUTPUT);
	}
	if (r->events && !events_on_stdout)
		fclose(r->events);
	r->events = NULL;
	if (!(events_on_stdout && !o->out_path)) /* the events are the report */
		rc = cs_exit_worse(rc, write_report(r->e, o));
	return rc;
}

int run_main(struct cs_options *o)
{
	struct run r;
	char err[256];
	int rc;

	memset(&r, 0, sizeof(r));
	r.o = o;
	if ((rc = open_events(&r)) != CS_EXIT_OK)
		return rc;
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
	if (!judge_start(r.judge, err, sizeof(err))) {
		fprintf(stderr, "chainsniff: %s\n", err);
		run_free(&r);
		return CS_EXIT_INPUT;
	}
	install_signals();
	rc = o->iface ? run_live(&r) : run_files(&r);
	engine_finish(r.e);
	rc = cs_exit_worse(rc, finish(&r));
	if (rc == CS_EXIT_OK && o->fail_on == CS_FAIL_ON_BROKEN && engine_totals(r.e)->broken_handshakes)
		rc = CS_EXIT_BROKEN;
	run_free(&r);
	return rc;
}
