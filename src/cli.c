/*
 * cli.c - the command line (cs_cli.h): the table-driven parser and usage
 * writer both commands use, and chainsniff's table with the checks across
 * its options.  Owns nothing past a call: parsed strings are argv's.
 * Parsing is getopt_long's (GNU rules), with its messages off (opterr = 0)
 * so every refusal is our one line.
 */
#include "cs_cli.h"
#include "cs_diag.h"
#include "cs_limits.h"
#include "cs_merge.h"
#include "cs_timefmt.h"
#include "cs_version.h"

#include <assert.h>
#include <errno.h>
#include <getopt.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define CLI_MAX_ROWS 128   /* rows of one table (the getopt_long array) */
#define CLI_LONG_VAL 256   /* getopt_long's val for row i: CLI_LONG_VAL + i */
#define CLI_HELP_COLUMN 22 /* characters before the help text in the usage */

bool cli_fail(const char *name, const char *reason)
{
	fprintf(stderr, "chainsniff: %s: %s\n", name, reason);
	return false;
}

/* "-s" when the row has a short name, else "--top". */
static const char *row_name(const struct cli_option *row, char *buf, size_t len)
{
	if (row->short_name)
		snprintf(buf, len, "-%c", row->short_name);
	else
		snprintf(buf, len, "--%s", row->name);
	return buf;
}

/* Decimal digits (strtoull's syntax) up to max, nothing after them. */
static bool parse_uint(const char *s, unsigned long long max, unsigned long long *out)
{
	char *end;

	errno = 0;
	*out = strtoull(s, &end, 10);
	return errno == 0 && end != s && *end == '\0' && *out <= max && s[0] != '-';
}

/* ---- storing one option ------------------------------------------------------------ */

static void *field_of(void *opts, size_t off) { return (char *)opts + off; }

static bool store_uint(void *opts, const struct cli_option *row, const char *arg)
{
	unsigned long long v;
	uint32_t v32;
	uint64_t v64;

	if (!parse_uint(arg, row->max, &v) || v < row->min)
		return false;
	v <<= row->shift;
	assert(row->size == 4 || row->size == 8);
	if (row->size == 4) {
		v32 = (uint32_t)v;
		memcpy(field_of(opts, row->field), &v32, 4);
	} else {
		v64 = v;
		memcpy(field_of(opts, row->field), &v64, 8);
	}
	return true;
}

static bool store_choice(void *opts, const struct cli_option *row, const char *arg)
{
	for (const struct cli_choice *c = row->choices; c->name; c++)
		if (!strcmp(arg, c->name)) {
			memcpy(field_of(opts, row->field), &c->value, sizeof(int));
			return true;
		}
	return false;
}

static bool store_list(void *opts, const struct cli_option *row, const char *arg)
{
	const char **list = field_of(opts, row->field);
	size_t *n = field_of(opts, row->count);

	if (*n == row->cap)
		return false;
	list[(*n)++] = arg;
	return true;
}

/* Store arg as the row says; false when refused (nothing printed). */
static bool store(void *opts, const struct cli_option *row, const char *arg)
{
	int64_t v;

	switch (row->kind) {
	case CLI_FLAG:
	case CLI_CLEAR:
		*(bool *)field_of(opts, row->field) = row->kind == CLI_FLAG;
		return true;
	case CLI_STRING:
		*(const char **)field_of(opts, row->field) = arg;
		return true;
	case CLI_UINT:
		return store_uint(opts, row, arg);
	case CLI_CHOICE:
		return store_choice(opts, row, arg);
	case CLI_DURATION:
	case CLI_TIME:
		if (row->kind == CLI_DURATION ? !parse_duration(arg, &v) : !parse_time_arg(arg, &v))
			return false;
		memcpy(field_of(opts, row->field), &v, sizeof(v));
		return true;
	case CLI_LIST:
		return store_list(opts, row, arg);
	default:
		return false;
	}
}

/* One option found by getopt_long: false when the command must stop,
 * with *rc its exit code. */
static bool apply(const struct cli_spec *spec, const struct cli_option *row, void *opts,
		  const char *arg, int *rc)
{
	char name[64];

	if (row->kind == CLI_HELP || row->kind == CLI_VERSION || row->kind == CLI_MAN) {
		if (row->kind == CLI_HELP)
			cli_usage(spec, stdout);
		else if (row->kind == CLI_MAN)
			cli_man(spec, stdout);
		else
			version_print(stdout);
		*rc = CS_EXIT_OK;
		return false;
	}
	*rc = CS_EXIT_USAGE;
	if (row->kind == CLI_CALL && !row->call(opts, row, arg))
		return false;
	if (row->kind != CLI_CALL && !store(opts, row, arg))
		return cli_fail(row->name_arg ? arg : row_name(row, name, sizeof(name)),
				row->error);
	if (row->seen)
		*(bool *)field_of(opts, row->seen - 1) = true;
	*rc = CS_EXIT_OK;
	return true;
}

/* The row getopt_long's optopt names (a short option's character, or a
 * long option's CLI_LONG_VAL + i), NULL when none. */
static const struct cli_option *optopt_row(const struct cli_spec *spec)
{
	if (optopt >= CLI_LONG_VAL && (size_t)(optopt - CLI_LONG_VAL) < spec->nrows)
		return &spec->rows[optopt - CLI_LONG_VAL];
	for (size_t i = 0; optopt > 0 && i < spec->nrows; i++)
		if (spec->rows[i].short_name == optopt)
			return &spec->rows[i];
	return NULL;
}

/* getopt_long's '?': an unknown option, a missing argument, or an
 * argument given to an option that takes none ("--all=x"). */
static void refuse(const struct cli_spec *spec, char **argv)
{
	const struct cli_option *row = optopt_row(spec);
	char hint[64], cmd[32], name[64];

	snprintf(cmd, sizeof(cmd), "%s%s", spec->command ? spec->command : "",
		 spec->command ? ": " : "");
	if (spec->command)
		snprintf(hint, sizeof(hint), "see chainsniff %s --help", spec->command);
	else
		snprintf(hint, sizeof(hint), "see --help");
	if (row && optopt < CLI_LONG_VAL)
		snprintf(name, sizeof(name), "-%c", optopt);
	else if (row)
		snprintf(name, sizeof(name), "--%s", row->name);
	if (row)
		fprintf(stderr, "chainsniff: %s%s: %s (%s)\n", cmd, name,
			row->arg ? "needs an argument" : "takes no argument", hint);
	else if (optopt > 0 && optopt < CLI_LONG_VAL)
		fprintf(stderr, "chainsniff: %s-%c: unknown option (%s)\n", cmd, optopt, hint);
	else
		fprintf(stderr, "chainsniff: %s%s: unknown option or missing argument (%s)\n", cmd,
			argv[optind - 1], hint);
}

bool cli_parse(const struct cli_spec *spec, int argc, char **argv, void *opts, int *operands,
	       int *rc)
{
	struct option longopts[CLI_MAX_ROWS + 1];
	char shortopts[2 * CLI_MAX_ROWS + 1];
	size_t nl = 0, ns = 0;
	int c;

	assert(spec->nrows <= CLI_MAX_ROWS);
	for (size_t i = 0; i < spec->nrows; i++) {
		const struct cli_option *row = &spec->rows[i];

		if (row->name)
			longopts[nl++] = (struct option){row->name,
							 row->arg ? required_argument : no_argument,
							 NULL, CLI_LONG_VAL + (int)i};
		if (row->short_name) {
			shortopts[ns++] = row->short_name;
			if (row->arg)
				shortopts[ns++] = ':';
		}
	}
	longopts[nl] = (struct option){NULL, 0, NULL, 0};
	shortopts[ns] = '\0';
	opterr = 0; /* our own one-line messages */
	optind = 0; /* a full reset of getopt's state: argv may be another one */
	*rc = CS_EXIT_OK;
	while ((c = getopt_long(argc, argv, shortopts, longopts, NULL)) != -1) {
		const struct cli_option *row = NULL;

		if (c >= CLI_LONG_VAL)
			row = &spec->rows[c - CLI_LONG_VAL];
		for (size_t i = 0; !row && c != '?' && i < spec->nrows; i++)
			if (spec->rows[i].short_name == c)
				row = &spec->rows[i];
		if (!row) {
			refuse(spec, argv);
			*rc = CS_EXIT_USAGE;
			return false;
		}
		if (!apply(spec, row, opts, optarg, rc))
			return false;
	}
	*operands = optind;
	return true;
}

/* ---- usage ------------------------------------------------------------------------- */

void cli_usage(const struct cli_spec *spec, FILE *f)
{
	fputs(spec->synopsis, f);
	for (size_t i = 0; i < spec->nrows; i++) {
		const struct cli_option *row = &spec->rows[i];
		char names[64];
		const char *h = row->help, *nl;

		if (!h)
			continue;
		if (row->short_name && row->name)
			snprintf(names, sizeof(names), "-%c, --%s", row->short_name, row->name);
		else if (row->short_name)
			snprintf(names, sizeof(names), "-%c", row->short_name);
		else
			snprintf(names, sizeof(names), "--%s", row->name);
		if (row->arg) {
			size_t n = strlen(names);

			snprintf(names + n, sizeof(names) - n, " %s", row->arg);
		}
		fprintf(f, "  %-*s", CLI_HELP_COLUMN - 3, names);
		while ((nl = strchr(h, '\n')) != NULL) {
			fprintf(f, " %.*s\n%*s", (int)(nl - h), h, CLI_HELP_COLUMN - 1, "");
			h = nl + 1;
		}
		fprintf(f, " %s\n", h);
	}
	if (spec->epilog)
		fputs(spec->epilog, f);
}

/* ---- the man page ------------------------------------------------------------------ */

/* n bytes of plain text as roff: a backslash is \e, '-' is \- (so options
 * copy and paste as they are), a line never starts with a control
 * character ('.' or '\''). */
static void roff(FILE *f, const char *s, size_t n, bool line_start)
{
	for (size_t i = 0; i < n; i++) {
		if (line_start && (s[i] == '.' || s[i] == '\''))
			fputs("\\&", f);
		line_start = s[i] == '\n';
		if (s[i] == '\\')
			fputs("\\e", f);
		else if (s[i] == '-')
			fputs("\\-", f);
		else
			fputc(s[i], f);
	}
}

static void roff_str(FILE *f, const char *s) { roff(f, s, strlen(s), true); }

/* A help text: its '\n' continuations joined by spaces. */
static void roff_help(FILE *f, const char *h)
{
	const char *nl;

	while ((nl = strchr(h, '\n')) != NULL) {
		roff(f, h, (size_t)(nl - h), true);
		fputc(' ', f);
		h = nl + 1;
	}
	roff_str(f, h);
	fputc('\n', f);
}

/* .TP, "\fB-s\fR, \fB--snaplen\fR \fISNAPLEN\fR", the help. */
static void man_rows(FILE *f, const struct cli_spec *spec)
{
	for (size_t i = 0; i < spec->nrows; i++) {
		const struct cli_option *row = &spec->rows[i];

		if (!row->help)
			continue;
		fputs(".TP\n", f);
		if (row->short_name)
			fprintf(f, "\\fB\\-%c\\fR%s", row->short_name, row->name ? ", " : "");
		if (row->name) {
			fputs("\\fB\\-\\-", f);
			roff(f, row->name, strlen(row->name), false);
			fputs("\\fR", f);
		}
		if (row->arg) {
			fputs(" \\fI", f);
			roff(f, row->arg, strlen(row->arg), false);
			fputs("\\fR", f);
		}
		fputc('\n', f);
		roff_help(f, row->help);
	}
}

/* Usage lines without "usage: " and their indentation, as they are. */
static void man_synopsis(FILE *f, const char *syn)
{
	const char *nl;

	fputs(".nf\n", f);
	for (; *syn; syn = nl + 1) {
		size_t skip = strncmp(syn, "usage: ", 7) ? strspn(syn, " ") : 7;

		nl = strchr(syn, '\n');
		if (!nl)
			nl = syn + strlen(syn);
		roff(f, syn + skip, (size_t)(nl - syn) - skip, true);
		fputc('\n', f);
		if (!*nl)
			break;
	}
	fputs(".fi\n", f);
}

/* Plain text: paragraphs, "- " items, "$ " commands (shown as they are). */
static void man_text(FILE *f, const char *t)
{
	bool para = true, verbatim = false;
	const char *nl;

	for (; *t; t = *nl ? nl + 1 : nl) {
		size_t n;

		nl = strchr(t, '\n');
		if (!nl)
			nl = t + strlen(t);
		n = (size_t)(nl - t);
		if (n == 0) {
			para = true;
			continue;
		}
		if (verbatim && strncmp(t, "$ ", 2)) {
			fputs(".fi\n", f);
			verbatim = false;
		}
		if (!strncmp(t, "$ ", 2)) {
			if (!verbatim)
				fputs(".PP\n.nf\n", f);
			verbatim = true;
			roff(f, t + 2, n - 2, true);
		} else if (!strncmp(t, "- ", 2)) {
			fputs(".IP \\(bu 2\n", f);
			roff(f, t + 2, n - 2, true);
		} else {
			if (para)
				fputs(".PP\n", f);
			roff(f, t, n, true);
		}
		para = false;
		fputc('\n', f);
	}
	if (verbatim)
		fputs(".fi\n", f);
}

void cli_man(const struct cli_spec *spec, FILE *f)
{
	const struct cli_spec *merge = merge_cli_spec();

	fputs(".\\\" Generated by chainsniff --help-man from the option table in src/cli.c.\n", f);
	fprintf(f, ".TH CHAINSNIFF 8 \"\" \"chainsniff %s\" \"System Administration\"\n",
		CS_VERSION);
	fputs(".SH NAME\n", f);
	roff_help(f, spec->man_name);
	fputs(".SH SYNOPSIS\n", f);
	man_synopsis(f, spec->synopsis);
	fputs(".SH DESCRIPTION\n", f);
	man_text(f, spec->man_description);
	fputs(".SH OPTIONS\n", f);
	man_rows(f, spec);
	fputs(".SH MERGE\n", f);
	man_synopsis(f, merge->synopsis);
	man_rows(f, merge);
	for (const struct cli_man_section *sec = spec->man_sections; sec && sec->title; sec++) {
		fprintf(f, ".SH %s\n", sec->title);
		man_text(f, sec->text);
	}
}

/* ---- chainsniff's table ------------------------------------------------------------ */

static bool add_server_net(void *opts, const struct cli_option *row, const char *arg)
{
	struct cs_options *o = opts;

	(void)row;
	if (o->eng.nnets == CS_MAX_SERVER_NETS)
		return cli_fail("--server-net", "too many networks");
	if (!cidr_parse(arg, &o->nets[o->eng.nnets]))
		return cli_fail(arg, "not an address or CIDR network");
	o->eng.nnets++;
	return true;
}

/* --workers N | auto (the cores but one, at least 1) */
static bool set_workers(void *opts, const struct cli_option *row, const char *arg)
{
	struct cs_options *o = opts;
	long cores = sysconf(_SC_NPROCESSORS_ONLN);
	char *end;
	unsigned long n;

	(void)row;
	if (!strcmp(arg, "auto")) {
		n = cores > 2 ? (unsigned long)cores - 1 : 1;
		o->workers = n > CS_MAX_WORKERS ? CS_MAX_WORKERS : (unsigned)n;
		return true;
	}
	errno = 0;
	n = strtoul(arg, &end, 10);
	if (errno || end == arg || *end || arg[0] == '-' || n < 1 || n > CS_MAX_WORKERS)
		return cli_fail("--workers", "must be 1..64 or auto");
	o->workers = (unsigned)n;
	return true;
}

static const struct cli_choice formats[] = {
	{"text", CS_FORMAT_TEXT},   {"json", CS_FORMAT_JSON}, {"csv", CS_FORMAT_CSV},
	{"state", CS_FORMAT_STATE}, {"html", CS_FORMAT_HTML}, {NULL, 0},
};

static const struct cli_choice fail_conditions[] = {
	{"broken", CS_FAIL_ON_BROKEN},
	{"broken-then", CS_FAIL_ON_BROKEN_THEN},
	{NULL, 0},
};

/* --trust-at capture | DATE */
static bool set_trust_at(void *opts, const struct cli_option *row, const char *arg)
{
	struct cs_options *o = opts;

	(void)row;
	if (strcmp(arg, "capture") == 0) {
		o->trust_at = DIAG_TRUST_CAPTURE;
		return true;
	}
	if (!parse_time_arg(arg, &o->trust_date))
		return cli_fail("--trust-at",
				"expects 'capture', YYYY-MM-DD[THH:MM:SS[Z]] or @EPOCH");
	o->trust_at = DIAG_TRUST_DATE;
	return true;
}

#define O(member) offsetof(struct cs_options, member)

/* In the order of the usage text. */
/* clang-format off */
static const struct cli_option rows[] = {
	{.short_name = 'r', .arg = "FILE", .kind = CLI_LIST, .field = O(files), .count = O(nfiles),
	 .cap = CS_MAX_INPUTS, .error = "too many input files",
	 .help = "read a pcap or pcapng file ('-' = standard input); repeatable"},
	{.short_name = 'i', .arg = "IFACE", .kind = CLI_LIST, .field = O(ifaces), .count = O(nifaces),
	 .cap = CS_MAX_IFACES, .error = "at most 16 interfaces",
	 .help = "capture live on IFACE until SIGINT/SIGTERM (default filter: TCP, IP fragments\n"
		 "and tunnels, under any VLAN tags); repeatable: all feed one flow table\n"
		 "(the two ports of a tap)"},
	{.short_name = 'f', .arg = "FILTER", .kind = CLI_STRING, .field = O(filter),
	 .help = "BPF filter, as in tcpdump"},
	{.short_name = 's', .arg = "SNAPLEN", .kind = CLI_UINT, .field = O(cap.snaplen),
	 .size = sizeof(uint32_t), .min = 96, .max = CS_MAX_CAPLEN,
	 .error = "snaplen must be 96..262144", .help = "live snapshot length (default 262144)"},
	{.short_name = 'B', .arg = "MIB", .kind = CLI_UINT, .field = O(cap.buffer_mib),
	 .size = sizeof(int), .min = 1, .max = 4096, .error = "buffer size must be 1..4096 MiB",
	 .help = "live kernel buffer in MiB (default 64)"},
	{.short_name = 'p', .kind = CLI_CLEAR, .field = O(cap.promisc),
	 .help = "do not put the interface in promiscuous mode"},
	CLI_ROW_FORMAT(O(format), formats,
		       "text (default), json, csv, html (one self-contained page),\n"
		       "or state (JSON that merge reads)",
		       "must be text, json, csv, html or state"),
	CLI_ROW_TOP(O(report.top)),
	CLI_ROW_ALL(O(report.all)),
	{.name = "details", .kind = CLI_FLAG, .field = O(report.details),
	 .help = "every chain and certificate"},
	CLI_ROW_OUTPUT(O(out_path)),
	{.name = "dump-chains", .arg = "DIR", .kind = CLI_STRING, .field = O(dump_dir),
	 .help = "write each distinct server chain as DIR/<sha256>.pem"},
	{.name = "events", .arg = "FILE", .kind = CLI_STRING, .field = O(events_path),
	 .help = "append one NDJSON line per TLS handshake ('-' = standard output)"},
	/* SIEM outputs, evidence and client privacy (issue 12) */
	{.name = "community-id-seed", .arg = "N", .kind = CLI_UINT, .field = O(community_seed),
	 .size = sizeof(unsigned), .max = 65535, .error = "must be 0..65535",
	 .help = "seed of the events' Community ID, as Zeek's and Suricata's (default 0)"},
	{.name = "notices", .arg = "FILE", .kind = CLI_STRING, .field = O(notices_path),
	 .help = "append one NDJSON line per change of a server's state (broken, fixed,\n"
		 "chain changed, possible interception), one per kind per server and window"},
	{.name = "write-broken", .arg = "FILE", .kind = CLI_STRING, .field = O(broken_pcap),
	 .help = "write the packets of every handshake whose chain is broken to the\n"
		 "pcap FILE (created 0640, replaced)"},
	{.name = "client-key", .arg = "FILE", .kind = CLI_STRING, .field = O(client_key_path),
	 .help = "hash client addresses with the key in FILE (created 0600 if missing;\n"
		 "default with --state: client.key beside the state file)"},
	{.name = "ca-file", .arg = "FILE", .kind = CLI_LIST, .field = O(trust.ca_files),
	 .count = O(trust.n_ca_files), .cap = CS_MAX_TRUST_SOURCES, .name_arg = true,
	 .error = "too many trust sources",
	 .help = "trust these roots instead of the system store (repeatable)"},
	{.name = "ca-dir", .arg = "DIR", .kind = CLI_LIST, .field = O(trust.ca_dirs),
	 .count = O(trust.n_ca_dirs), .cap = CS_MAX_TRUST_SOURCES, .name_arg = true,
	 .error = "too many trust sources",
	 .help = "trust the certificates in DIR instead of the system store (repeatable)"},
	{.name = "add-ca", .arg = "FILE", .kind = CLI_LIST, .field = O(trust.add_cas),
	 .count = O(trust.n_add_cas), .cap = CS_MAX_TRUST_SOURCES, .name_arg = true,
	 .error = "too many trust sources", .help = "trust these roots as well (repeatable)"},
	{.name = "intermediates", .arg = "F", .kind = CLI_STRING, .field = O(intermediates),
	 .help = "known intermediates, only to explain and fix broken chains"},
	{.name = "trust-at", .arg = "WHEN", .kind = CLI_CALL, .call = set_trust_at,
	 .help = "judge with Mozilla's store as it stood at each handshake's capture day\n"
		 "('capture') or on a DATE, rebuilt from the root-store timeline and the\n"
		 "trust store (default: the trust store as it is)"},
	{.name = "root-timeline", .arg = "F", .kind = CLI_STRING, .field = O(root_timeline),
	 .help = "the root-store timeline to use instead of the built-in one\n"
		 "(format: docs/trust-timeline.md)"},
	{.name = "at", .arg = "TIME", .kind = CLI_TIME, .field = O(eng.at),
	 .seen = CLI_SEEN(struct cs_options, eng.have_at),
	 .error = "expects YYYY-MM-DD[THH:MM:SS[Z]] or @EPOCH",
	 .help = "validate at TIME (YYYY-MM-DD[THH:MM:SSZ] or @EPOCH), not capture time"},
	{.name = "warn-days", .arg = "N", .kind = CLI_UINT, .field = O(warn_days),
	 .size = sizeof(int), .max = 3650, .error = "must be 0..3650",
	 .help = "warn when a certificate expires within N days (default 30)"},
	{.name = "interval", .arg = "D", .kind = CLI_DURATION, .field = O(interval),
	 .error = "expects a duration: 90s, 15m, 1h, 1d",
	 .help = "with --report-dir: a report every D of capture time (15m, 1h, 1d)"},
	{.name = "report-dir", .arg = "DIR", .kind = CLI_STRING, .field = O(report_dir),
	 .help = "periodic, SIGUSR1 and final reports go there (JSON and text)"},
	{.name = "keep", .arg = "N", .kind = CLI_UINT, .field = O(keep), .size = sizeof(unsigned),
	 .max = 1000000, .error = "must be 0..1000000 (0: keep all)",
	 .help = "keep the newest N reports of each kind (default all)"},
	{.name = "sensor", .arg = "NAME", .kind = CLI_STRING, .field = O(sensor),
	 .help = "name in every report (default: the host name)"},
	{.name = "server-net", .arg = "CIDR", .kind = CLI_CALL, .call = add_server_net,
	 .help = "report only servers in CIDR (repeatable)"},
	{.name = "ignore", .arg = "FILE", .kind = CLI_STRING, .field = O(ignore_path),
	 .help = "known problems to leave out (lines: SERVER SNI CODE)"},
	{.name = "fail-on", .arg = "COND", .kind = CLI_CHOICE, .field = O(fail_on),
	 .choices = fail_conditions, .error = "the conditions are 'broken' and 'broken-then'",
	 .help = "exit 5 if a broken chain was seen ('broken'), or one that was broken\n"
		 "on its capture day too ('broken-then': not ok_at_capture_time)"},
	{.name = "state", .arg = "FILE", .kind = CLI_STRING, .field = O(state_path),
	 .help = "load the counts from FILE at start, save them there at each\n"
		 "report and at exit (atomically)"},
	{.short_name = 'Z', .arg = "USER", .kind = CLI_STRING, .field = O(user),
	 .help = "drop privileges to USER once the capture is open"},
	{.name = "max-flows", .arg = "N", .kind = CLI_UINT, .field = O(eng.max_flows),
	 .size = sizeof(uint32_t), .min = 1, .max = 1u << 26, .error = "must be 1..67108864",
	 .help = "flow table size (default 131072)"},
	{.name = "memcap", .arg = "MIB", .kind = CLI_UINT, .field = O(eng.buffer_memcap),
	 .size = sizeof(size_t), .min = 1, .max = 65536, .shift = 20,
	 .error = "must be 1..65536 MiB", .help = "handshake buffer budget in MiB (default 64)"},
	{.name = "workers", .arg = "N", .kind = CLI_CALL, .call = set_workers,
	 .help = "-i: N packet threads, each with its own socket in one AF_PACKET\n"
		 "fanout group (Ethernet); 'auto': the cores but one (default 1)"},
	/* operations: metrics, input selection, checks */
	{.name = "metrics", .arg = "FILE", .kind = CLI_STRING, .field = O(metrics_path),
	 .help = "Prometheus metrics into FILE (atomically) every stats interval\n"
		 "and at exit, for node_exporter's textfile collector"},
	{.name = "stats-interval", .arg = "D", .kind = CLI_DURATION, .field = O(stats_interval),
	 .error = "expects a duration: 90s, 15m, 1h, 1d",
	 .help = "a stats line on stderr (and --metrics) every D (default: --interval)"},
	{.name = "since", .arg = "TIME", .kind = CLI_TIME, .field = O(since),
	 .seen = CLI_SEEN(struct cs_options, have_since),
	 .error = "expects YYYY-MM-DD[THH:MM:SS[Z]] or @EPOCH",
	 .help = "only frames captured at TIME or later (the others count as filtered)"},
	{.name = "until", .arg = "TIME", .kind = CLI_TIME, .field = O(until),
	 .seen = CLI_SEEN(struct cs_options, have_until),
	 .error = "expects YYYY-MM-DD[THH:MM:SS[Z]] or @EPOCH",
	 .help = "only frames captured before TIME (-i: stop at TIME)"},
	{.name = "check", .short_name = 'T', .kind = CLI_FLAG, .field = O(check),
	 .help = "check the options, trust store, inputs and output paths\n"
		 "(as the -Z user), then exit 0 or with the run's exit code"},
	{.name = "help", .short_name = 'h', .kind = CLI_HELP, .help = "this text"},
	{.name = "version", .short_name = 'V', .kind = CLI_VERSION,
	 .help = "the versions of chainsniff, libpcap, OpenSSL and jansson"},
	{.name = "help-man", .kind = CLI_MAN}, /* no help: not in the usage (make runs it) */
};
/* clang-format on */

/* The man page's sections past the options (cli_man). */
static const struct cli_man_section man_sections[] = {
	{"SIGNALS",
	 "- SIGINT, SIGTERM: stop capturing; write the final report (into --report-dir, and to "
	 "standard output or -o), the --metrics file and the --state file; exit.\n"
	 "- SIGUSR1: write a report now (into --report-dir, else to standard output or -o), then "
	 "the --metrics and --state files; capture goes on.\n"
	 "- SIGHUP: reopen the --events file (after logrotate moved it away; if that fails, the "
	 "old file is kept and the reason said once) and reload the trust store; the old store "
	 "stays in use when the new one cannot be loaded. There is no limit on reloads.\n"},
	{"EXIT STATUS",
	 "The highest code that applies (docs/exit-codes.md):\n"
	 "- 0: every input was read and every output written.\n"
	 "- 1: an input could not be read at all (missing or unreadable file, not a capture, "
	 "an unsupported link type, no such interface, no permission to capture), the trust "
	 "store or a state file could not be loaded, or -Z failed.\n"
	 "- 2: usage error; nothing was read.\n"
	 "- 3: an input was truncated or damaged; what came before it is reported.\n"
	 "- 4: an output could not be written: the report, --dump-chains, the --state or "
	 "--metrics file at exit, lost --events lines; or, at start, an output path is not "
	 "writable (by the -Z user), and nothing was read.\n"
	 "- 5: --fail-on broken and a broken chain was seen, or --fail-on broken-then and a chain "
	 "broken on its capture day was seen.\n"
	 "- 6: chainsniff merge refused two inputs of one sensor over overlapping windows.\n"
	 "\n"
	 "-T exits with the code the run would have exited with at start, 0 when all is well.\n"},
	{"FILES",
	 "- /etc/default/chainsniff: the settings of the systemd unit chainsniff.service.\n"
	 "- /etc/logrotate.d/chainsniff: rotation of the --events file (SIGHUP reopens it).\n"
	 "- /var/lib/chainsniff: the report directory and the state file of the service, "
	 "owned by the -Z user.\n"},
	{"EXAMPLES",
	 "$ chainsniff -r capture.pcap --ca-file roots.pem --format json -o chains.json\n"
	 "$ chainsniff -i eth1 -i eth2 -B 256 --interval 1h --report-dir /var/lib/chainsniff/reports \\\n"
	 "$     --state /var/lib/chainsniff/state.json --metrics /var/lib/chainsniff/chainsniff.prom \\\n"
	 "$     --stats-interval 1m -Z chainsniff\n"
	 "$ chainsniff -i eth1 --workers 4 -B 256 --report-dir /var/lib/chainsniff/reports\n"
	 "$ chainsniff -r day.pcap --since 2026-11-23T14:00:00Z --until 2026-11-23T15:00:00Z\n"
	 "$ chainsniff -T -i eth1 --report-dir /var/lib/chainsniff/reports -Z chainsniff\n"},
	{"SEE ALSO",
	 "tcpdump(8), pcap-filter(7), logrotate(8), openssl-verify(1). The documentation in "
	 "share/doc/chainsniff: README.md, operations.md, report-format.md, metrics.md, "
	 "problems.md, exit-codes.md.\n"},
	{NULL, NULL},
};

static const struct cli_spec spec = {
	.man_name = "chainsniff - passive TLS certificate-chain analyzer",
	.man_description =
		"chainsniff reads TLS handshakes from capture files (-r) or live interfaces (-i), "
		"as tcpdump does, and judges the certificate chain each server sends: missing "
		"intermediates, wrong order, expired or untrusted certificates, names that do not "
		"match. It ranks the servers by the handshakes they broke and says how to fix each "
		"chain. It only listens: it never connects to a server and never decrypts.\n"
		"\n"
		"Run as a sensor it writes periodic reports (--report-dir), keeps its counts across "
		"restarts (--state), logs one line per handshake (--events), and exposes its health "
		"as Prometheus metrics (--metrics). chainsniff merge combines the state of several "
		"sensors.\n",
	.man_sections = man_sections,
	.synopsis =
		"usage: chainsniff [-r FILE]... [-i IFACE]... [options]\n"
		"       chainsniff merge [-o FILE] [--format json|text|csv|html] REPORT.json...\n",
	.epilog =
		"Signals: SIGINT/SIGTERM stop and report; SIGUSR1 reports now; SIGHUP reloads the "
		"trust store.\n"
		"Exit codes: 0 ok, 1 input error, 2 usage, 3 damaged or truncated input, 4 output "
		"error,\n"
		"5 broken chains seen (--fail-on), 6 merge refused (a sensor's windows "
		"overlap,\nor different client keys).\n",
	.rows = rows,
	.nrows = CS_ARRAY_LEN(rows),
};

void cli_main_usage(FILE *f) { cli_usage(&spec, f); }

static void defaults(struct cs_options *o)
{
	memset(o, 0, sizeof(*o));
	o->format = CS_FORMAT_TEXT;
	o->report.top = 20;
	o->cap.snaplen = CS_SNAPLEN_DEFAULT;
	o->cap.promisc = true;
	o->eng.max_flows = CS_MAX_FLOWS_DEFAULT;
	o->eng.buffer_memcap = CS_BUFFER_MEMCAP_DEFAULT;
	o->warn_days = CS_DIAG_WARN_DAYS_DEFAULT;
	o->workers = 1;
}

/* What no single option can check: the inputs, and options that need
 * each other.  Then the derived settings. */
static int check(int argc, char **argv, int operands, struct cs_options *o)
{
	char err[256];

	if (operands < argc)
		return cli_fail(argv[operands], "unexpected argument (use -r FILE)"), CS_EXIT_USAGE;
	o->iface = o->nifaces ? o->ifaces[0] : NULL;
	if (!o->nfiles && !o->iface) {
		cli_usage(&spec, stderr);
		return CS_EXIT_USAGE;
	}
	if (o->nfiles && o->iface)
		return cli_fail("-i", "cannot be combined with -r"), CS_EXIT_USAGE;
	for (size_t i = 0; i < o->nifaces; i++)
		for (size_t k = 0; k < i; k++)
			if (!strcmp(o->ifaces[i], o->ifaces[k]))
				return cli_fail(o->ifaces[i], "given twice with -i"), CS_EXIT_USAGE;
	if (o->workers > 1 && !o->iface)
		return cli_fail("--workers", "applies to -i: a file is read by one packet thread"),
		       CS_EXIT_USAGE;
	if (o->workers > 1 && o->nifaces > 1)
		return cli_fail("--workers", "takes one -i (a fanout group is one interface's)"),
		       CS_EXIT_USAGE;
	if (o->interval && !o->report_dir)
		return cli_fail("--interval", "needs --report-dir"), CS_EXIT_USAGE;
	if (o->have_since && o->have_until && o->until <= o->since)
		return cli_fail("--until", "must be later than --since"), CS_EXIT_USAGE;
	if (!o->stats_interval)
		o->stats_interval = o->interval;
	o->eng.nets = o->nets;
	if (!o->sensor) {
		if (gethostname(o->hostname, sizeof(o->hostname) - 1) != 0)
			strcpy(o->hostname, "chainsniff");
		o->sensor = o->hostname;
	}
	o->eng.sensor = o->sensor;
	o->cap.filter = o->filter; /* none on a live interface: capture.c's default */
	if (o->filter && capture_check_filter(o->filter, err, sizeof(err)) != CS_OK)
		return cli_fail("-f", err), CS_EXIT_USAGE;
	return CS_EXIT_OK;
}

bool cli_parse_args(int argc, char **argv, struct cs_options *o, int *rc)
{
	int operands;

	defaults(o);
	if (!cli_parse(&spec, argc, argv, o, &operands, rc))
		return false;
	*rc = check(argc, argv, operands, o);
	return *rc == CS_EXIT_OK;
}
