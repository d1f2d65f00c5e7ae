/*
 * main.c - command line, inputs, signals, exit codes; no parsing of
 * traffic.  Every failure is one line on stderr, "chainsniff: NAME: reason",
 * and whatever was analysed before it is still reported (docs/exit-codes.md).
 */
#include "cs_capture.h"
#include "cs_diag.h"
#include "cs_engine.h"
#include "cs_limits.h"
#include "cs_merge.h"
#include "cs_report.h"
#include "cs_sensor.h"
#include "cs_state.h"

#include <errno.h>
#include <getopt.h>
#include <grp.h>
#include <pwd.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

enum { FORMAT_TEXT, FORMAT_JSON, FORMAT_CSV, FORMAT_STATE };

enum exit_code {
	EXIT_OK = 0,
	EXIT_INPUT = 1,
	EXIT_USAGE = 2,
	EXIT_DAMAGED = 3,
	EXIT_OUTPUT = 4,
	EXIT_BROKEN = 5,
};

#define MAX_FILES CS_MAX_INPUTS

struct options {
	const char *files[MAX_FILES];
	size_t nfiles;
	const char *iface;
	const char *filter;
	const char *out_path;
	const char *dump_dir;
	const char *events_path;
	FILE *events;
	struct trust_opts trust;
	const char *intermediates;
	int warn_days;
	const char *report_dir;
	int64_t interval;
	unsigned keep;
	const char *sensor;
	char hostname[256];
	bool fail_on_broken;
	const char *user;
	struct cs_cidr nets[CS_MAX_SERVER_NETS];
	const char *ignore_path;
	const char *state_path; /* --state */
	int format; /* FORMAT_* */
	struct report_opts report;
	struct cs_capture_opts cap;
	struct engine_config eng;
};

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

static void usage(FILE *f)
{
	fputs("usage: chainsniff [-r FILE]... [-i IFACE] [options]\n"
	      "       chainsniff merge [-o FILE] [--format json|text|csv] REPORT.json...\n"
	      "  -r FILE             read a pcap or pcapng file ('-' = standard input); repeatable\n"
	      "  -i IFACE            capture live on IFACE until SIGINT/SIGTERM (default filter:\n"
	      "                      TCP, IP fragments and tunnels, under any VLAN tags)\n"
	      "  -f FILTER           BPF filter, as in tcpdump\n"
	      "  -s SNAPLEN          live snapshot length (default 262144)\n"
	      "  -B MIB              live kernel buffer in MiB (default 64)\n"
	      "  -p                  do not put the interface in promiscuous mode\n"
	      "  --format F          text (default), json, csv, or state (JSON that merge reads)\n"
	      "  --top N             servers listed in the text table (default 20, 0: all)\n"
	      "  --all               list healthy servers too;  --details: every chain and certificate\n"
	      "  -o FILE             write the report to FILE instead of standard output\n"
	      "  --dump-chains DIR   write each distinct server chain as DIR/<sha256>.pem\n"
	      "  --events FILE       append one NDJSON line per TLS handshake ('-' = standard output)\n"
	      "  --ca-file FILE      trust these roots instead of the system store (repeatable)\n"
	      "  --ca-dir DIR        trust the certificates in DIR instead of the system store (repeatable)\n"
	      "  --add-ca FILE       trust these roots as well (repeatable)\n"
	      "  --intermediates F   known intermediates, only to explain and fix broken chains\n"
	      "  --at TIME           validate at TIME (YYYY-MM-DD[THH:MM:SSZ] or @EPOCH), not capture time\n"
	      "  --warn-days N       warn when a certificate expires within N days (default 30)\n"
	      "  --interval D        with --report-dir: a report every D of capture time (15m, 1h, 1d)\n"
	      "  --report-dir DIR    periodic, SIGUSR1 and final reports go there (JSON and text)\n"
	      "  --keep N            keep the newest N reports of each kind (default all)\n"
	      "  --sensor NAME       name in every report (default: the host name)\n"
	      "  --server-net CIDR   report only servers in CIDR (repeatable)\n"
	      "  --ignore FILE       known problems to leave out (lines: SERVER SNI CODE)\n"
	      "  --fail-on broken    exit 5 if any broken chain was seen\n"
	      "  --state FILE        load the counts from FILE at start, save them there at each\n"
	      "                      report and at exit (atomically)\n"
	      "  -Z USER             drop privileges to USER once the capture is open\n"
	      "  --max-flows N       flow table size (default 131072)\n"
	      "  --memcap MIB        handshake buffer budget in MiB (default 256)\n"
	      "  -h, --help          this text;  -V, --version  the version\n"
	      "Signals: SIGINT/SIGTERM stop and report; SIGUSR1 reports now; SIGHUP reloads the trust store.\n"
	      "Exit codes: 0 ok, 1 input error, 2 usage, 3 damaged or truncated input, 4 output error,\n"
	      "5 broken chains seen (--fail-on broken), 6 merge refused (a sensor's windows overlap).\n",
	      f);
}

static void fail_line(const char *name, const char *reason)
{
	fprintf(stderr, "chainsniff: %s: %s\n", name, reason);
}

static bool parse_uint(const char *s, unsigned long long max, unsigned long long *out)
{
	char *end;

	errno = 0;
	*out = strtoull(s, &end, 10);
	return errno == 0 && end != s && *end == '\0' && *out <= max && s[0] != '-';
}

static bool add_trust_source(struct trust_opts *t, int kind, const char *path)
{
	const char **list = kind == 0 ? t->ca_files : kind == 1 ? t->ca_dirs : t->add_cas;
	size_t *n = kind == 0 ? &t->n_ca_files : kind == 1 ? &t->n_ca_dirs : &t->n_add_cas;

	if (*n == CS_MAX_TRUST_SOURCES)
		return false;
	list[(*n)++] = path;
	return true;
}

/* "2021-10-01", "2021-10-01T12:00:00Z" (UTC) or "@1633046400". */
static bool parse_time(const char *s, int64_t *out)
{
	struct tm tm;
	const char *end;
	unsigned long long v;

	if (s[0] == '@') {
		if (!parse_uint(s + 1, (unsigned long long)INT64_MAX, &v))
			return false;
		*out = (int64_t)v;
		return true;
	}
	memset(&tm, 0, sizeof(tm));
	end = strptime(s, "%Y-%m-%d", &tm);
	if (end && (*end == 'T' || *end == ' '))
		end = strptime(end + 1, "%H:%M:%S", &tm);
	if (end && *end == 'Z')
		end++;
	if (!end || *end)
		return false;
	*out = (int64_t)timegm(&tm);
	return true;
}

static int parse_args(int argc, char **argv, struct options *o)
{
	enum {
		OPT_FORMAT = 256, OPT_DUMP, OPT_MAX_FLOWS, OPT_MEMCAP, OPT_EVENTS,
		OPT_CA_FILE, OPT_CA_DIR, OPT_ADD_CA, OPT_INTERMEDIATES, OPT_AT, OPT_WARN_DAYS,
		OPT_TOP, OPT_ALL, OPT_DETAILS, OPT_INTERVAL, OPT_REPORT_DIR, OPT_KEEP, OPT_SENSOR,
		OPT_FAIL_ON, OPT_SERVER_NET, OPT_IGNORE, OPT_STATE,
	};
	static const struct option longopts[] = {
		{"format", required_argument, NULL, OPT_FORMAT},
		{"dump-chains", required_argument, NULL, OPT_DUMP},
		{"max-flows", required_argument, NULL, OPT_MAX_FLOWS},
		{"memcap", required_argument, NULL, OPT_MEMCAP},
		{"events", required_argument, NULL, OPT_EVENTS},
		{"ca-file", required_argument, NULL, OPT_CA_FILE},
		{"ca-dir", required_argument, NULL, OPT_CA_DIR},
		{"add-ca", required_argument, NULL, OPT_ADD_CA},
		{"intermediates", required_argument, NULL, OPT_INTERMEDIATES},
		{"at", required_argument, NULL, OPT_AT},
		{"warn-days", required_argument, NULL, OPT_WARN_DAYS},
		{"top", required_argument, NULL, OPT_TOP},
		{"all", no_argument, NULL, OPT_ALL},
		{"details", no_argument, NULL, OPT_DETAILS},
		{"interval", required_argument, NULL, OPT_INTERVAL},
		{"report-dir", required_argument, NULL, OPT_REPORT_DIR},
		{"keep", required_argument, NULL, OPT_KEEP},
		{"sensor", required_argument, NULL, OPT_SENSOR},
		{"fail-on", required_argument, NULL, OPT_FAIL_ON},
		{"server-net", required_argument, NULL, OPT_SERVER_NET},
		{"ignore", required_argument, NULL, OPT_IGNORE},
		{"state", required_argument, NULL, OPT_STATE},
		{"help", no_argument, NULL, 'h'},
		{"version", no_argument, NULL, 'V'},
		{NULL, 0, NULL, 0},
	};
	unsigned long long v;
	int c;

	o->cap.snaplen = CS_SNAPLEN_DEFAULT;
	o->cap.promisc = true;
	o->eng.max_flows = CS_MAX_FLOWS_DEFAULT;
	o->eng.buffer_memcap = CS_BUFFER_MEMCAP_DEFAULT;
	o->warn_days = CS_DIAG_WARN_DAYS_DEFAULT;
	o->report.top = 20;
	opterr = 0; /* our own one-line messages */
	while ((c = getopt_long(argc, argv, "r:i:f:s:B:po:Z:hV", longopts, NULL)) != -1) {
		switch (c) {
		case 'r':
			if (o->nfiles == MAX_FILES)
				return fail_line("-r", "too many input files"), EXIT_USAGE;
			o->files[o->nfiles++] = optarg;
			break;
		case 'i':
			o->iface = optarg;
			break;
		case 'f':
			o->filter = optarg;
			break;
		case 's':
			if (!parse_uint(optarg, CS_MAX_CAPLEN, &v) || v < 96)
				return fail_line("-s", "snaplen must be 96..262144"), EXIT_USAGE;
			o->cap.snaplen = (uint32_t)v;
			break;
		case 'B':
			if (!parse_uint(optarg, 4096, &v) || v == 0)
				return fail_line("-B", "buffer size must be 1..4096 MiB"), EXIT_USAGE;
			o->cap.buffer_mib = (int)v;
			break;
		case 'p':
			o->cap.promisc = false;
			break;
		case 'o':
			o->out_path = optarg;
			break;
		case OPT_FORMAT:
			if (!strcmp(optarg, "json"))
				o->format = FORMAT_JSON;
			else if (!strcmp(optarg, "csv"))
				o->format = FORMAT_CSV;
			else if (!strcmp(optarg, "text"))
				o->format = FORMAT_TEXT;
			else if (!strcmp(optarg, "state"))
				o->format = FORMAT_STATE;
			else
				return fail_line("--format", "must be text, json, csv or state"), EXIT_USAGE;
			break;
		case OPT_TOP:
			if (!parse_uint(optarg, 1000000, &v))
				return fail_line("--top", "must be 0..1000000 (0: no limit)"), EXIT_USAGE;
			o->report.top = (unsigned)v;
			break;
		case OPT_ALL:
			o->report.all = true;
			break;
		case OPT_DETAILS:
			o->report.details = true;
			break;
		case OPT_INTERVAL:
			if (!parse_duration(optarg, &o->interval))
				return fail_line("--interval", "expects a duration: 90s, 15m, 1h, 1d"), EXIT_USAGE;
			break;
		case OPT_REPORT_DIR:
			o->report_dir = optarg;
			break;
		case OPT_KEEP:
			if (!parse_uint(optarg, 1000000, &v))
				return fail_line("--keep", "must be 0..1000000 (0: keep all)"), EXIT_USAGE;
			o->keep = (unsigned)v;
			break;
		case OPT_SENSOR:
			o->sensor = optarg;
			break;
		case OPT_FAIL_ON:
			if (strcmp(optarg, "broken"))
				return fail_line("--fail-on", "the only condition is 'broken'"), EXIT_USAGE;
			o->fail_on_broken = true;
			break;
		case OPT_SERVER_NET:
			if (o->eng.nnets == CS_MAX_SERVER_NETS)
				return fail_line("--server-net", "too many networks"), EXIT_USAGE;
			if (!cidr_parse(optarg, &o->nets[o->eng.nnets]))
				return fail_line(optarg, "not an address or CIDR network"), EXIT_USAGE;
			o->eng.nnets++;
			break;
		case OPT_IGNORE:
			o->ignore_path = optarg;
			break;
		case OPT_STATE:
			o->state_path = optarg;
			break;
		case 'Z':
			o->user = optarg;
			break;
		case OPT_EVENTS:
			o->events_path = optarg;
			break;
		case OPT_CA_FILE:
		case OPT_CA_DIR:
		case OPT_ADD_CA:
			if (!add_trust_source(&o->trust, c == OPT_CA_FILE ? 0 : c == OPT_CA_DIR ? 1 : 2, optarg))
				return fail_line(optarg, "too many trust sources"), EXIT_USAGE;
			break;
		case OPT_INTERMEDIATES:
			o->intermediates = optarg;
			break;
		case OPT_AT:
			if (!parse_time(optarg, &o->eng.at))
				return fail_line("--at", "expects YYYY-MM-DD[THH:MM:SS[Z]] or @EPOCH"), EXIT_USAGE;
			o->eng.have_at = true;
			break;
		case OPT_WARN_DAYS:
			if (!parse_uint(optarg, 3650, &v))
				return fail_line("--warn-days", "must be 0..3650"), EXIT_USAGE;
			o->warn_days = (int)v;
			break;
		case OPT_DUMP:
			o->dump_dir = optarg;
			break;
		case OPT_MAX_FLOWS:
			if (!parse_uint(optarg, 1u << 26, &v) || v == 0)
				return fail_line("--max-flows", "must be 1..67108864"), EXIT_USAGE;
			o->eng.max_flows = (uint32_t)v;
			break;
		case OPT_MEMCAP:
			if (!parse_uint(optarg, 65536, &v) || v == 0)
				return fail_line("--memcap", "must be 1..65536 MiB"), EXIT_USAGE;
			o->eng.buffer_memcap = (size_t)v << 20;
			break;
		case 'h':
			usage(stdout);
			exit(EXIT_OK);
		case 'V':
			printf("chainsniff %s\n", CS_VERSION);
			exit(EXIT_OK);
		default:
			if (optopt && strchr("rifsBoZ", optopt))
				fprintf(stderr, "chainsniff: -%c: needs an argument (see --help)\n", optopt);
			else if (optopt)
				fprintf(stderr, "chainsniff: -%c: unknown option (see --help)\n", optopt);
			else
				fprintf(stderr, "chainsniff: %s: unknown option or missing argument (see --help)\n",
					argv[optind - 1]);
			return EXIT_USAGE;
		}
	}
	if (optind < argc)
		return fail_line(argv[optind], "unexpected argument (use -r FILE)"), EXIT_USAGE;
	if (!o->nfiles && !o->iface) {
		usage(stderr);
		return EXIT_USAGE;
	}
	if (o->nfiles && o->iface)
		return fail_line("-i", "cannot be combined with -r"), EXIT_USAGE;
	if (o->interval && !o->report_dir)
		return fail_line("--interval", "needs --report-dir"), EXIT_USAGE;
	o->eng.nets = o->nets;
	if (!o->sensor) {
		if (gethostname(o->hostname, sizeof(o->hostname) - 1) != 0)
			strcpy(o->hostname, "chainsniff");
		o->sensor = o->hostname;
	}
	o->eng.sensor = o->sensor;
	o->cap.filter = o->filter; /* none on a live interface: capture.c's default */
	return EXIT_OK;
}

static void write_event(void *ctx, const struct engine_event *ev)
{
	report_event(ctx, ev);
}

static int worse(int a, int b)
{
	return a > b ? a : b;
}

/* Everything one run holds; main() owns it. */
struct run {
	struct options *o;
	struct engine *e;
	struct cs_trust *trust;
	struct diag *diag;
	struct diag *old_diags[8]; /* replaced on SIGHUP, freed at exit */
	struct cs_trust *old_trusts[8];
	size_t nold;
	struct sensor *sensor;
	struct ignore_list *ignore;
	bool dropped_privileges;
	time_t last_progress;
	uint64_t state_reports; /* sensor reports already followed by a state save */
};

static int write_report(struct engine *e, const struct options *o);

static int64_t wall_clock_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * CS_NS_PER_SEC + ts.tv_nsec;
}

static struct diag *make_diag(struct run *r, struct cs_trust **trust, char *err, size_t errlen)
{
	struct diag_opts dopts = {r->o->warn_days};
	struct diag *d;

	if (trust_load(&r->o->trust, trust, err, errlen) != CS_OK)
		return NULL;
	d = diag_new(*trust, &dopts);
	if (!d) {
		snprintf(err, errlen, "out of memory");
	} else if (r->o->intermediates &&
		   diag_load_intermediates(d, r->o->intermediates, err, errlen) != CS_OK) {
		diag_free(d);
		d = NULL;
	}
	if (!d) {
		trust_free(*trust);
		*trust = NULL;
	}
	return d;
}

/* SIGHUP: a new trust store for the handshakes to come. */
static void reload_trust(struct run *r)
{
	struct cs_trust *t = NULL;
	struct diag *d;
	char err[256];

	reload_requested = 0;
	d = make_diag(r, &t, err, sizeof(err));
	if (!d || r->nold == CS_ARRAY_LEN(r->old_diags)) {
		fprintf(stderr, "chainsniff: trust store not reloaded: %s\n", d ? "too many reloads" : err);
		diag_free(d);
		trust_free(t);
		return;
	}
	r->old_diags[r->nold] = r->diag;
	r->old_trusts[r->nold++] = r->trust;
	r->diag = d;
	r->trust = t;
	engine_set_diag(r->e, d);
	fprintf(stderr, "chainsniff: trust store reloaded: %zu anchors\n", trust_count(t));
}

/* ---- --state (state.c): loaded at start, saved after every report and at exit ---- */

static int load_state(struct run *r)
{
	char err[512];
	enum cs_status st;

	if (!r->o->state_path)
		return EXIT_OK;
	st = state_load(r->e, r->o->state_path, err, sizeof(err));
	if (st == CS_OK || st == CS_EOF) /* no file yet: a first run */
		return EXIT_OK;
	fprintf(stderr, "chainsniff: %s\n", err);
	return EXIT_INPUT;
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
			fail_line(r->o->report_dir, "cannot write the report");
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
			fail_line(r->o->user, err);
			engine_input_error(in, INPUT_ERROR, "-Z %s: %s", r->o->user, err);
			return EXIT_INPUT;
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
		if (tick(r, f.ts_ns) != CS_OK)
			fail_line(r->o->report_dir, "cannot write the periodic report");
		engine_frame(r->e, in, &f);
		if (!in->live && (in->packets & 0xffff) == 0)
			progress(r, src, false);
	}
	if (!in->live)
		progress(r, src, true);
	in->filtered = capture_filtered(src);
	if (in->live)
		in->have_drops = capture_stats(src, &in->received, &in->dropped, &in->if_dropped);
	if (st == CS_EOF && engine_input_undecodable(in, err, sizeof(err))) {
		st = CS_UNSUPPORTED; /* refused: one line, status error, exit 1 */
	} else if (stop_requested || st == CS_EOF) {
		return EXIT_OK;
	}
	fail_line(in->name, err);
	switch (st) {
	case CS_TRUNC:
		engine_input_error(in, INPUT_TRUNCATED, "%s", err);
		return EXIT_DAMAGED;
	case CS_BAD:
	case CS_IO:
		engine_input_error(in, INPUT_DAMAGED, "%s", err);
		return EXIT_DAMAGED;
	default:
		engine_input_error(in, INPUT_ERROR, "%s", err);
		return EXIT_INPUT;
	}
}

static int run_files(struct run *r)
{
	const struct options *o = r->o;
	int rc = EXIT_OK;

	for (size_t i = 0; i < o->nfiles && !stop_requested; i++) {
		struct engine_input *in = engine_input_begin(r->e, o->files[i], false);
		struct cs_source *src = NULL;
		char err[256];

		if (!in) {
			fail_line(o->files[i], "too many inputs");
			return worse(rc, EXIT_USAGE);
		}
		if (capture_open_file(o->files[i], &o->cap, &src, err, sizeof(err)) != CS_OK) {
			fail_line(o->files[i], err);
			engine_input_error(in, INPUT_ERROR, "%s", err);
			rc = worse(rc, EXIT_INPUT);
			continue;
		}
		rc = worse(rc, run_source(r, in, src));
		capture_close(src);
	}
	return rc;
}

static int run_live(struct run *r)
{
	const struct options *o = r->o;
	struct engine_input *in = engine_input_begin(r->e, o->iface, true);
	char err[256];
	int rc;

	if (capture_open_live(o->iface, &o->cap, &live_source, err, sizeof(err)) != CS_OK) {
		fail_line(o->iface, err);
		engine_input_error(in, INPUT_ERROR, "%s", err);
		return EXIT_INPUT;
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
		fail_line(dir, strerror(errno));
		return EXIT_OUTPUT;
	}
	(void)cs;
	servers = agg_sorted(engine_agg(e), &n);
	for (size_t i = 0; i < n; i++)
		for (uint32_t k = 0; k < servers[i]->nchains; k++)
			if (chain_dump_pem(servers[i]->chains[k].chain, dir) != CS_OK) {
				fail_line(dir, strerror(errno));
				return EXIT_OUTPUT;
			}
	return EXIT_OK;
}

static int write_report(struct engine *e, const struct options *o)
{
	FILE *out = stdout;
	bool color;

	if (o->out_path && !(out = fopen(o->out_path, "w"))) {
		fail_line(o->out_path, strerror(errno));
		return EXIT_OUTPUT;
	}
	color = !o->out_path && isatty(STDOUT_FILENO) && !getenv("NO_COLOR");
	if (o->format == FORMAT_JSON) {
		report_json(out, e);
	} else if (o->format == FORMAT_STATE) {
		report_json_state(out, e);
	} else if (o->format == FORMAT_CSV) {
		report_csv(out, e);
	} else {
		struct report_opts ro = o->report;

		ro.color = color;
		report_text(out, e, &ro);
	}
	if (fflush(out) != 0 || ferror(out) || (out != stdout && fclose(out) != 0)) {
		fail_line(o->out_path ? o->out_path : "standard output", strerror(errno));
		return EXIT_OUTPUT;
	}
	return EXIT_OK;
}

/* The latest capture time read (files may come in any order). */
static int64_t last_time(struct engine *e)
{
	int64_t first, last;

	return engine_time_range(e, &first, &last) ? last : 0;
}

static void run_free(struct run *r)
{
	sensor_free(r->sensor);
	engine_free(r->e);
	diag_free(r->diag);
	trust_free(r->trust);
	for (size_t i = 0; i < r->nold; i++) {
		diag_free(r->old_diags[i]);
		trust_free(r->old_trusts[i]);
	}
	ignore_free(r->ignore);
}

static int setup(struct run *r, char *err, size_t errlen)
{
	struct options *o = r->o;
	struct sensor_opts so = {o->report_dir, o->interval, o->keep, &o->report};

	if (o->ignore_path && !(r->ignore = ignore_load(o->ignore_path, err, errlen)))
		return EXIT_INPUT;
	o->eng.ignore = r->ignore;
	r->diag = make_diag(r, &r->trust, err, errlen);
	if (!r->diag)
		return EXIT_INPUT;
	o->eng.diag = r->diag;
	r->e = engine_new(&o->eng);
	if (!r->e) {
		snprintf(err, errlen, "out of memory");
		return EXIT_INPUT;
	}
	r->sensor = sensor_new(&so, r->e, err, errlen);
	return r->sensor ? EXIT_OK : EXIT_OUTPUT;
}

int main(int argc, char **argv)
{
	struct options o;
	struct run r;
	char err[256];
	int rc;

	if (argc > 1 && !strcmp(argv[1], "merge"))
		return merge_main(argc - 1, argv + 1);
	memset(&o, 0, sizeof(o));
	memset(&r, 0, sizeof(r));
	r.o = &o;
	rc = parse_args(argc, argv, &o);
	if (rc != EXIT_OK)
		return rc;
	if (o.filter && capture_check_filter(o.filter, err, sizeof(err)) != CS_OK) {
		fail_line("-f", err);
		return EXIT_USAGE;
	}
	if (o.events_path) {
		o.events = strcmp(o.events_path, "-") ? fopen(o.events_path, "a") : stdout;
		if (!o.events) {
			fail_line(o.events_path, strerror(errno));
			return EXIT_OUTPUT;
		}
		setvbuf(o.events, NULL, _IOLBF, 0); /* a log shipper sees whole lines */
		o.eng.on_event = write_event;
		o.eng.event_ctx = o.events;
	}
	rc = setup(&r, err, sizeof(err));
	if (rc != EXIT_OK) {
		fprintf(stderr, "chainsniff: %s\n", err);
		run_free(&r);
		return rc;
	}
	if ((rc = load_state(&r)) != EXIT_OK) {
		run_free(&r);
		return rc;
	}
	install_signals();
	rc = o.iface ? run_live(&r) : run_files(&r);
	engine_finish(r.e);
	if (o.report_dir && sensor_report(r.sensor, o.iface ? wall_clock_ns() : last_time(r.e),
					  "final") != CS_OK) {
		fail_line(o.report_dir, "cannot write the final report");
		rc = worse(rc, EXIT_OUTPUT);
	}
	if (!save_state(&r))
		rc = worse(rc, EXIT_OUTPUT);
	if (o.dump_dir)
		rc = worse(rc, dump_chains(r.e, o.dump_dir));
	if (o.events && (fflush(o.events) != 0 || ferror(o.events))) {
		fail_line(o.events_path, strerror(errno));
		rc = worse(rc, EXIT_OUTPUT);
	}
	if (o.events && o.events != stdout)
		fclose(o.events);
	if (!(o.events == stdout && !o.out_path))
		rc = worse(rc, write_report(r.e, &o));
	if (rc == EXIT_OK && o.fail_on_broken && engine_totals(r.e)->broken_handshakes)
		rc = EXIT_BROKEN;
	run_free(&r);
	return rc;
}
