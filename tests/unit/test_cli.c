/*
 * test_cli.c - the command line (cs_cli.h): the table-driven parser on a
 * table of every kind (bounds, shifts, choices, capped lists, handlers,
 * "seen" flags, later-wins, abbreviations, "--opt=value"), its one-line
 * refusals and the usage made from the table; then chainsniff's own table:
 * defaults, every option landing in its field, every refusal message
 * exactly as docs and scripts expect it, and the checks across options.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cs_cli.h"

/* ---- running the parser with stdout and stderr captured ----------------------------- */

struct captured {
	char out[8192], err[8192];
};

static void drain(FILE *f, char *buf, size_t len)
{
	size_t n;

	rewind(f);
	n = fread(buf, 1, len - 1, f);
	buf[n] = '\0';
	fclose(f);
}

/* Runs fn with fds 1 and 2 going to temporary files. */
#define CAPTURE(cap, call)                                                                         \
	do {                                                                                       \
		FILE *o_ = tmpfile(), *e_ = tmpfile();                                             \
		int so_ = dup(1), se_ = dup(2);                                                    \
		assert_non_null(o_);                                                               \
		assert_non_null(e_);                                                               \
		fflush(stdout), fflush(stderr);                                                    \
		dup2(fileno(o_), 1), dup2(fileno(e_), 2);                                          \
		call;                                                                              \
		fflush(stdout), fflush(stderr);                                                    \
		dup2(so_, 1), dup2(se_, 2);                                                        \
		close(so_), close(se_);                                                            \
		drain(o_, (cap)->out, sizeof((cap)->out));                                         \
		drain(e_, (cap)->err, sizeof((cap)->err));                                         \
	} while (0)

/* chainsniff's table on argv, stdout and stderr captured; true to go on. */
static bool mparse_argv(struct captured *cap, struct cs_options *o, int *rc, int argc, char **argv)
{
	bool go = false;

	CAPTURE(cap, go = cli_parse_args(argc, argv, o, rc));
	return go;
}

/* An argv from a NULL-terminated list (argv[0] first), parsed by spec into
 * opts, or by chainsniff's table when spec is NULL; captured as above. */
static bool vparse(struct captured *cap, const struct cli_spec *spec, void *opts, int *operands,
		   int *rc, const char *first, va_list ap)
{
	char *argv[400];
	int argc = 0;
	bool go = false;

	for (const char *a = first; a && argc + 1 < 400; a = va_arg(ap, const char *))
		argv[argc++] = (char *)(uintptr_t)a;
	argv[argc] = NULL;
	if (!spec)
		return mparse_argv(cap, opts, rc, argc, argv);
	CAPTURE(cap, go = cli_parse(spec, argc, argv, opts, operands, rc));
	return go;
}

/* An argv (up to four words after the ones the parser adds) that must be
 * refused with exactly this line. */
struct refusal {
	const char *argv[4];
	const char *line;
};

typedef bool (*parse4_fn)(struct captured *cap, const char *const a[4], int *rc);

static void check_refusals(parse4_fn parse, const struct refusal *cases, size_t n)
{
	struct captured cap;
	int rc;

	for (size_t i = 0; i < n; i++) {
		if (parse(&cap, cases[i].argv, &rc))
			fail_msg("case %zu (%s) was accepted", i, cases[i].argv[0]);
		if (rc != CS_EXIT_USAGE || strcmp(cap.err, cases[i].line))
			fail_msg("case %zu: rc %d, stderr \"%s\"", i, rc, cap.err);
	}
}

/* ---- a table of every kind -------------------------------------------------------- */

struct topts {
	bool flag, clear, seen_uint;
	const char *str;
	uint32_t u32;
	size_t mib;
	int choice;
	int64_t dur, when;
	const char *list[2];
	size_t nlist;
	int calls;
};

static bool on_call(void *opts, const struct cli_option *row, const char *arg)
{
	struct topts *t = opts;

	(void)row;
	if (!strcmp(arg, "bad"))
		return cli_fail(arg, "refused by the handler");
	t->calls++;
	return true;
}

static const struct cli_choice colours[] = {{"red", 7}, {"green", 9}, {NULL, 0}};

#define T(member) offsetof(struct topts, member)

static const struct cli_option trows[] = {
	{.name = "flag", .short_name = 'f', .kind = CLI_FLAG, .field = T(flag), .help = "a flag"},
	{.short_name = 'c', .kind = CLI_CLEAR, .field = T(clear), .help = "clears"},
	{.name = "str",
	 .arg = "S",
	 .kind = CLI_STRING,
	 .field = T(str),
	 .help = "a string\nover two lines"},
	{.short_name = 'u',
	 .arg = "N",
	 .kind = CLI_UINT,
	 .field = T(u32),
	 .size = 4,
	 .min = 2,
	 .max = 10,
	 .seen = CLI_SEEN(struct topts, seen_uint),
	 .error = "must be 2..10",
	 .help = "n"},
	{.name = "mib",
	 .arg = "MIB",
	 .kind = CLI_UINT,
	 .field = T(mib),
	 .size = 8,
	 .min = 1,
	 .max = 4096,
	 .shift = 20,
	 .error = "must be 1..4096 MiB",
	 .help = "mebibytes"},
	{.name = "colour",
	 .arg = "C",
	 .kind = CLI_CHOICE,
	 .field = T(choice),
	 .choices = colours,
	 .error = "red or green",
	 .help = "a choice"},
	{.name = "every",
	 .arg = "D",
	 .kind = CLI_DURATION,
	 .field = T(dur),
	 .error = "a duration",
	 .help = "a duration"},
	{.name = "when",
	 .arg = "T",
	 .kind = CLI_TIME,
	 .field = T(when),
	 .error = "a time",
	 .help = "a time"},
	{.short_name = 'l',
	 .arg = "X",
	 .kind = CLI_LIST,
	 .field = T(list),
	 .count = T(nlist),
	 .cap = 2,
	 .name_arg = true,
	 .error = "too many",
	 .help = "a list"},
	{.name = "call", .arg = "A", .kind = CLI_CALL, .call = on_call, .help = "a handler"},
	{.name = "hidden", .kind = CLI_FLAG, .field = T(flag)}, /* no help: not in the usage */
	{.name = "help", .short_name = 'h', .kind = CLI_HELP, .help = "this text"},
	{.name = "version", .kind = CLI_VERSION, .help = "the version"},
};

static const struct cli_spec tspec = {
	.command = "test",
	.synopsis = "usage: chainsniff test [options] ARG...\n",
	.epilog = "That is all.\n",
	.rows = trows,
	.nrows = sizeof(trows) / sizeof(trows[0]),
};

/* Parse with tspec; returns true to go on. */
static bool tparse(struct captured *cap, struct topts *t, int *operands, int *rc, const char *first,
		   ...)
{
	va_list ap;
	bool go;

	memset(t, 0, sizeof(*t));
	t->clear = true;
	va_start(ap, first);
	go = vparse(cap, &tspec, t, operands, rc, first, ap);
	va_end(ap);
	return go;
}

static bool tparse4(struct captured *cap, const char *const a[4], int *rc)
{
	struct topts t;
	int ops;

	return tparse(cap, &t, &ops, rc, "test", a[0], a[1], a[2], a[3], NULL);
}

static void test_every_kind_lands_in_its_field(void **state)
{
	struct captured cap;
	struct topts t;
	int ops, rc;

	(void)state;
	assert_true(tparse(&cap, &t, &ops, &rc, "test", "-f", "-c", "--str", "s1", "-u", "3",
			   "--mib=2", "--colour", "green", "--every", "15m", "--when",
			   "@1633046400", "-l", "a", "op1", "-l", "b", "--call", "x", "--call", "y",
			   "op2", NULL));
	assert_int_equal(rc, CS_EXIT_OK);
	assert_string_equal(cap.err, "");
	assert_true(t.flag);
	assert_false(t.clear);
	assert_string_equal(t.str, "s1");
	assert_int_equal(t.u32, 3);
	assert_true(t.seen_uint);
	assert_int_equal(t.mib, (size_t)2 << 20);
	assert_int_equal(t.choice, 9);
	assert_int_equal(t.dur, 900);
	assert_int_equal(t.when, 1633046400);
	assert_int_equal(t.nlist, 2);
	assert_string_equal(t.list[0], "a");
	assert_string_equal(t.list[1], "b");
	assert_int_equal(t.calls, 2);
	/* GNU getopt moves the two operands to the end */
	assert_int_equal(ops, 22);
}

static void test_later_wins_abbreviations_and_bounds(void **state)
{
	struct captured cap;
	struct topts t;
	int ops, rc;

	(void)state;
	assert_true(tparse(&cap, &t, &ops, &rc, "test", "-u", "2", "-u10", "--col", "red", "--st",
			   "x", "--str", "y", NULL));
	assert_int_equal(t.u32, 10); /* the bounds are inclusive, the last one wins */
	assert_int_equal(t.choice, 7);
	assert_string_equal(t.str, "y");
	assert_int_equal(ops, 10);
	assert_false(tparse(&cap, &t, &ops, &rc, "test", "-u", "1", NULL));
	assert_false(tparse(&cap, &t, &ops, &rc, "test", "-u", "11", NULL));
	assert_false(tparse(&cap, &t, &ops, &rc, "test", "-u", "-3", NULL));
	assert_false(tparse(&cap, &t, &ops, &rc, "test", "-u", "3x", NULL));
	assert_false(tparse(&cap, &t, &ops, &rc, "test", "--mib", "4097", NULL));
	assert_false(tparse(&cap, &t, &ops, &rc, "test", "--mib", "18446744073709551616", NULL));
	assert_int_equal(rc, CS_EXIT_USAGE);
}

/* Every refusal is one line naming the option (or the argument) and the
 * reason; the command name and its help hint appear in getopt's refusals. */
static void test_refusals_are_one_line(void **state)
{
	static const struct refusal cases[] = {
		{{"-u", "11"}, "chainsniff: -u: must be 2..10\n"},
		{{"--mib", "0"}, "chainsniff: --mib: must be 1..4096 MiB\n"},
		{{"--colour", "blue"}, "chainsniff: --colour: red or green\n"},
		{{"--every", "5x"}, "chainsniff: --every: a duration\n"},
		{{"--when", "soon"}, "chainsniff: --when: a time\n"},
		{{"--call", "bad"}, "chainsniff: bad: refused by the handler\n"},
		{{"-x"}, "chainsniff: test: -x: unknown option (see chainsniff test --help)\n"},
		{{"-u"}, "chainsniff: test: -u: needs an argument (see chainsniff test --help)\n"},
		{{"--str"},
		 "chainsniff: test: --str: needs an argument (see chainsniff test --help)\n"},
		{{"--flag=1"},
		 "chainsniff: test: --flag: takes no argument (see chainsniff test --help)\n"},
		{{"--nope"},
		 "chainsniff: test: --nope: unknown option or missing argument "
		 "(see chainsniff test --help)\n"},
		{{"--c"},
		 "chainsniff: test: --c: unknown option or missing argument "
		 "(see chainsniff test --help)\n"}, /* ambiguous: --clear? --colour, --call */
	};
	struct captured cap;
	struct topts t;
	int ops, rc;

	(void)state;
	check_refusals(tparse4, cases, sizeof(cases) / sizeof(cases[0]));
	/* the list's cap: the third entry is refused, naming it */
	assert_false(tparse(&cap, &t, &ops, &rc, "test", "-l", "a", "-l", "b", "-l", "c", NULL));
	assert_string_equal(cap.err, "chainsniff: c: too many\n");
	assert_int_equal(t.nlist, 2);
}

static void test_usage_is_made_from_the_table(void **state)
{
	struct captured cap;
	struct topts t;
	int ops, rc;

	(void)state;
	assert_false(tparse(&cap, &t, &ops, &rc, "test", "--help", NULL));
	assert_int_equal(rc, CS_EXIT_OK);
	assert_string_equal(cap.err, "");
	assert_string_equal(cap.out, "usage: chainsniff test [options] ARG...\n"
				     "  -f, --flag          a flag\n"
				     "  -c                  clears\n"
				     "  --str S             a string\n"
				     "                      over two lines\n"
				     "  -u N                n\n"
				     "  --mib MIB           mebibytes\n"
				     "  --colour C          a choice\n"
				     "  --every D           a duration\n"
				     "  --when T            a time\n"
				     "  -l X                a list\n"
				     "  --call A            a handler\n"
				     "  -h, --help          this text\n"
				     "  --version           the version\n"
				     "That is all.\n");
	assert_false(tparse(&cap, &t, &ops, &rc, "test", "-f", "--version", "-x", NULL));
	assert_int_equal(rc, CS_EXIT_OK);
	/* the first line is chainsniff's; the libraries' follow (test_main_operations) */
	assert_true(!strncmp(cap.out, "chainsniff " CS_VERSION "\n", strlen(CS_VERSION) + 12));
}

/* ---- chainsniff's table ------------------------------------------------------------ */

static bool mparse(struct captured *cap, struct cs_options *o, int *rc, const char *first, ...)
{
	va_list ap;
	bool go;

	va_start(ap, first);
	go = vparse(cap, NULL, o, NULL, rc, first, ap);
	va_end(ap);
	return go;
}

static bool mparse4(struct captured *cap, const char *const a[4], int *rc)
{
	struct cs_options o;

	return mparse(cap, &o, rc, "chainsniff", "-r", "a.pcap", a[0], a[1], a[2], a[3], NULL);
}

static void test_main_defaults(void **state)
{
	struct captured cap;
	struct cs_options o;
	int rc;
	char host[256] = "";

	(void)state;
	assert_true(mparse(&cap, &o, &rc, "chainsniff", "-r", "a.pcap", NULL));
	assert_int_equal(rc, CS_EXIT_OK);
	assert_int_equal(o.nfiles, 1);
	assert_int_equal(o.format, CS_FORMAT_TEXT);
	assert_int_equal(o.report.top, 20);
	assert_false(o.report.all || o.report.details);
	assert_int_equal(o.cap.snaplen, 262144);
	assert_true(o.cap.promisc);
	assert_int_equal(o.cap.buffer_mib, 0);
	assert_null(o.cap.filter); /* a file: no default filter */
	assert_int_equal(o.eng.max_flows, 131072);
	assert_int_equal(o.eng.buffer_memcap, (size_t)64 << 20);
	assert_int_equal(o.warn_days, 30);
	assert_false(o.eng.have_at);
	assert_int_equal(o.fail_on, CS_FAIL_NEVER);
	gethostname(host, sizeof(host) - 1);
	assert_string_equal(o.sensor, host);
	assert_ptr_equal(o.eng.sensor, o.sensor);
	assert_ptr_equal(o.eng.nets, o.nets);
	/* live: no -f leaves the filter to capture.c's default (livefilter.c) */
	assert_true(mparse(&cap, &o, &rc, "chainsniff", "-i", "eth9", NULL));
	assert_null(o.cap.filter);
	assert_true(mparse(&cap, &o, &rc, "chainsniff", "-i", "eth9", "-f", "", NULL));
	assert_string_equal(o.cap.filter, ""); /* none at all */
	assert_true(mparse(&cap, &o, &rc, "chainsniff", "-i", "eth9", "-f", "tcp port 443", NULL));
	assert_string_equal(o.cap.filter, "tcp port 443");
}

static void test_main_every_option(void **state)
{
	struct captured cap;
	struct cs_options o;
	int rc;

	(void)state;
	assert_true(mparse(&cap, &o, &rc, "chainsniff", "-r", "a", "-r", "-", "-s", "96", "-B", "8",
			   "-p", "--format", "csv", "--top", "0", "--all", "--details", "-o", "out",
			   "--dump-chains", "d", "--events", "e", "--ca-file", "c1", "--ca-dir",
			   "c2", "--add-ca", "c3", "--add-ca", "c4", "--intermediates", "im",
			   "--at", "2021-10-01T12:00:00Z", "--warn-days", "0", "--interval", "1h",
			   "--report-dir", "rd", "--keep", "7", "--sensor", "gw1", "--server-net",
			   "192.0.2.0/24", "--server-net", "2001:db8::/32", "--ignore", "ig",
			   "--fail-on", "broken", "--state", "st", "-Z", "nobody", "--max-flows",
			   "1", "--memcap", "65536", NULL));
	assert_string_equal(cap.err, "");
	assert_int_equal(o.nfiles, 2);
	assert_string_equal(o.files[1], "-");
	assert_int_equal(o.cap.snaplen, 96);
	assert_int_equal(o.cap.buffer_mib, 8);
	assert_false(o.cap.promisc);
	assert_int_equal(o.format, CS_FORMAT_CSV);
	assert_int_equal(o.report.top, 0);
	assert_true(o.report.all && o.report.details);
	assert_string_equal(o.out_path, "out");
	assert_string_equal(o.dump_dir, "d");
	assert_string_equal(o.events_path, "e");
	assert_int_equal(o.trust.n_ca_files, 1);
	assert_int_equal(o.trust.n_ca_dirs, 1);
	assert_int_equal(o.trust.n_add_cas, 2);
	assert_string_equal(o.trust.add_cas[1], "c4");
	assert_string_equal(o.intermediates, "im");
	assert_true(o.eng.have_at);
	assert_int_equal(o.eng.at, 1633089600);
	assert_int_equal(o.warn_days, 0);
	assert_int_equal(o.interval, 3600);
	assert_string_equal(o.report_dir, "rd");
	assert_int_equal(o.keep, 7);
	assert_string_equal(o.sensor, "gw1");
	assert_int_equal(o.eng.nnets, 2);
	assert_int_equal(o.nets[0].prefix, 96 + 24);
	assert_int_equal(o.nets[1].prefix, 32);
	assert_string_equal(o.ignore_path, "ig");
	assert_int_equal(o.fail_on, CS_FAIL_ON_BROKEN);
	assert_string_equal(o.state_path, "st");
	assert_string_equal(o.user, "nobody");
	assert_int_equal(o.eng.max_flows, 1);
	assert_int_equal(o.eng.buffer_memcap, (size_t)65536 << 20);
}

/* --trust-at capture | DATE, --root-timeline, --fail-on broken-then; the
 * default judges with today's store. */
static void test_main_trust_at(void **state)
{
	struct captured cap;
	struct cs_options o;
	int rc;

	(void)state;
	assert_true(mparse(&cap, &o, &rc, "chainsniff", "-r", "a", NULL));
	assert_int_equal(o.trust_at, DIAG_TRUST_TODAY);
	assert_null(o.root_timeline);
	assert_int_equal(o.fail_on, CS_FAIL_NEVER);
	assert_true(mparse(&cap, &o, &rc, "chainsniff", "-r", "a", "--trust-at", "capture",
			   "--root-timeline", "tl.json", "--fail-on", "broken-then", NULL));
	assert_int_equal(o.trust_at, DIAG_TRUST_CAPTURE);
	assert_string_equal(o.root_timeline, "tl.json");
	assert_int_equal(o.fail_on, CS_FAIL_ON_BROKEN_THEN);
	/* the later one wins, as for every option */
	assert_true(mparse(&cap, &o, &rc, "chainsniff", "-r", "a", "--trust-at", "capture",
			   "--trust-at", "2019-06-01", NULL));
	assert_int_equal(o.trust_at, DIAG_TRUST_DATE);
	assert_int_equal(o.trust_date, 1559347200);
	assert_true(mparse(&cap, &o, &rc, "chainsniff", "-r", "a", "--trust-at=@1559347201", NULL));
	assert_int_equal(o.trust_at, DIAG_TRUST_DATE);
	assert_int_equal(o.trust_date, 1559347201);
}

/* The lines docs, scripts and the e2e cases know, word for word. */
static void test_main_refusals(void **state)
{
	static const struct refusal cases[] = {
		{{"-s", "95"}, "chainsniff: -s: snaplen must be 96..262144\n"},
		{{"-s", "262145"}, "chainsniff: -s: snaplen must be 96..262144\n"},
		{{"-B", "0"}, "chainsniff: -B: buffer size must be 1..4096 MiB\n"},
		{{"--format", "yaml"},
		 "chainsniff: --format: must be text, json, csv, html or state\n"},
		{{"--top", "-1"}, "chainsniff: --top: must be 0..1000000 (0: no limit)\n"},
		{{"--interval", "0"},
		 "chainsniff: --interval: expects a duration: 90s, 15m, 1h, 1d\n"},
		{{"--keep", "x"}, "chainsniff: --keep: must be 0..1000000 (0: keep all)\n"},
		{{"--fail-on", "bad"},
		 "chainsniff: --fail-on: the conditions are 'broken' and 'broken-then'\n"},
		{{"--trust-at", "yesterday"},
		 "chainsniff: --trust-at: expects 'capture', YYYY-MM-DD[THH:MM:SS[Z]] or @EPOCH\n"},
		{{"--server-net", "10.0.0.0/33"},
		 "chainsniff: 10.0.0.0/33: not an address or CIDR network\n"},
		{{"--at", "2020-13-01"},
		 "chainsniff: --at: expects YYYY-MM-DD[THH:MM:SS[Z]] or @EPOCH\n"},
		{{"--warn-days", "3651"}, "chainsniff: --warn-days: must be 0..3650\n"},
		{{"--max-flows", "67108865"}, "chainsniff: --max-flows: must be 1..67108864\n"},
		{{"--memcap", "0"}, "chainsniff: --memcap: must be 1..65536 MiB\n"},
		{{"-x"}, "chainsniff: -x: unknown option (see --help)\n"},
		{{"-Z"}, "chainsniff: -Z: needs an argument (see --help)\n"},
		{{"--format"}, "chainsniff: --format: needs an argument (see --help)\n"},
		{{"--all=1"}, "chainsniff: --all: takes no argument (see --help)\n"},
		{{"--no-such"},
		 "chainsniff: --no-such: unknown option or missing argument (see --help)\n"},
		{{"extra"}, "chainsniff: extra: unexpected argument (use -r FILE)\n"},
		{{"-i", "lo"}, "chainsniff: -i: cannot be combined with -r\n"},
		{{"--interval", "1h"}, "chainsniff: --interval: needs --report-dir\n"},
	};
	struct captured cap;
	struct cs_options o;
	int rc;

	(void)state;
	check_refusals(mparse4, cases, sizeof(cases) / sizeof(cases[0]));
	/* a filter that does not compile: the one line is libpcap's reason */
	assert_false(mparse(&cap, &o, &rc, "chainsniff", "-r", "a", "-f", "tcp port", NULL));
	assert_int_equal(rc, CS_EXIT_USAGE);
	assert_true(!strncmp(cap.err, "chainsniff: -f: ", 16) &&
		    strchr(cap.err, '\n') == strrchr(cap.err, '\n'));
	/* no input: the usage, on stderr */
	assert_false(mparse(&cap, &o, &rc, "chainsniff", "--all", NULL));
	assert_int_equal(rc, CS_EXIT_USAGE);
	assert_true(!strncmp(cap.err, "usage: chainsniff [-r FILE]...", 30));
	assert_string_equal(cap.out, "");
}

/* The caps of the repeatable options, each counted to its last slot. */
static void test_main_list_caps(void **state)
{
	static char names[CS_MAX_INPUTS + 1][16];
	char *argv[2 * (CS_MAX_INPUTS + 1) + 2];
	struct captured cap;
	struct cs_options o;
	int argc = 0, rc;

	(void)state;
	argv[argc++] = "chainsniff";
	for (int i = 0; i <= CS_MAX_INPUTS; i++) {
		snprintf(names[i], sizeof(names[i]), "f%d", i);
		argv[argc++] = "-r";
		argv[argc++] = names[i];
	}
	assert_true(mparse_argv(&cap, &o, &rc, argc - 2, argv));
	assert_int_equal(o.nfiles, CS_MAX_INPUTS);
	assert_false(mparse_argv(&cap, &o, &rc, argc, argv));
	assert_string_equal(cap.err, "chainsniff: -r: too many input files\n");

	argc = 0;
	argv[argc++] = "chainsniff";
	argv[argc++] = "-r";
	argv[argc++] = "x";
	for (int i = 0; i <= CS_MAX_SERVER_NETS; i++) {
		argv[argc++] = "--server-net";
		argv[argc++] = "10.0.0.1";
	}
	assert_true(mparse_argv(&cap, &o, &rc, argc - 2, argv));
	assert_int_equal(o.eng.nnets, CS_MAX_SERVER_NETS);
	assert_false(mparse_argv(&cap, &o, &rc, argc, argv));
	assert_string_equal(cap.err, "chainsniff: --server-net: too many networks\n");

	argc = 3;
	for (int i = 0; i <= CS_MAX_TRUST_SOURCES; i++) {
		argv[argc++] = "--ca-dir";
		argv[argc++] = names[i];
	}
	assert_false(mparse_argv(&cap, &o, &rc, argc, argv));
	assert_int_equal(o.trust.n_ca_dirs, CS_MAX_TRUST_SOURCES);
	assert_string_equal(cap.err, "chainsniff: f16: too many trust sources\n");
}

/* The usage: every option, the help text in one column (23, as it always
 * was), nothing wider than 100 columns. */
static void test_main_usage(void **state)
{
	static const char *const opts[] = {
		"-r FILE",
		"-i IFACE",
		"-f FILTER",
		"-s SNAPLEN",
		"-B MIB",
		"-p",
		"--format F",
		"--top N",
		"--all",
		"--details",
		"-o FILE",
		"--dump-chains DIR",
		"--events FILE",
		"--ca-file FILE",
		"--ca-dir DIR",
		"--add-ca FILE",
		"--intermediates F",
		"--at TIME",
		"--warn-days N",
		"--interval D",
		"--report-dir DIR",
		"--keep N",
		"--sensor NAME",
		"--server-net CIDR",
		"--ignore FILE",
		"--fail-on COND",
		"--trust-at WHEN",
		"--root-timeline F",
		"--state FILE",
		"-Z USER",
		"--max-flows N",
		"--memcap MIB",
		"--metrics FILE",
		"--stats-interval D",
		"--since TIME",
		"--until TIME",
		"-T, --check",
		"-h, --help",
		"-V, --version",
	};
	struct captured cap;
	struct cs_options o;
	int rc;
	char *line, *save = NULL;
	size_t found = 0;

	(void)state;
	assert_false(mparse(&cap, &o, &rc, "chainsniff", "-h", NULL));
	assert_int_equal(rc, CS_EXIT_OK);
	for (line = strtok_r(cap.out, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		assert_true(strlen(line) <= 100);
		if (strncmp(line, "  -", 3))
			continue;
		assert_true(line[21] == ' ' && line[22] != ' '); /* help from column 23 */
		for (size_t i = 0; i < sizeof(opts) / sizeof(opts[0]); i++)
			if (!strncmp(line + 2, opts[i], strlen(opts[i])) &&
			    line[2 + strlen(opts[i])] == ' ') {
				found++;
				break;
			}
	}
	assert_int_equal(found, sizeof(opts) / sizeof(opts[0]));
}

/* Issue 12's options: -i repeated, --metrics, --stats-interval (default:
 * --interval), --since/--until (ordered), -T; --version names the
 * libraries; --help-man is not in the usage. */
static void test_main_operations(void **state)
{
	struct captured cap;
	struct cs_options o;
	int rc;

	(void)state;
	assert_true(mparse(&cap, &o, &rc, "chainsniff", "-i", "eth1", "-i", "eth2", NULL));
	assert_int_equal(o.nifaces, 2);
	assert_string_equal(o.ifaces[1], "eth2");
	assert_string_equal(o.iface, "eth1");
	assert_int_equal(o.stats_interval, 0);
	assert_false(o.check || o.have_since || o.have_until);
	assert_null(o.metrics_path);
	assert_false(mparse(&cap, &o, &rc, "chainsniff", "-i", "eth1", "-i", "eth1", NULL));
	assert_int_equal(rc, CS_EXIT_USAGE);
	assert_string_equal(cap.err, "chainsniff: eth1: given twice with -i\n");
	assert_false(mparse(&cap, &o, &rc, "chainsniff", "-i", "eth1", "-r", "a.pcap", NULL));
	assert_string_equal(cap.err, "chainsniff: -i: cannot be combined with -r\n");

	assert_true(mparse(&cap, &o, &rc, "chainsniff", "-r", "a.pcap", "--interval", "1h",
			   "--report-dir", "d", "--metrics", "m.prom", "-T", NULL));
	assert_int_equal(o.stats_interval, 3600);
	assert_string_equal(o.metrics_path, "m.prom");
	assert_true(o.check);
	assert_true(mparse(&cap, &o, &rc, "chainsniff", "-r", "a.pcap", "--interval", "1h",
			   "--report-dir", "d", "--stats-interval", "1m", NULL));
	assert_int_equal(o.stats_interval, 60);
	assert_false(mparse(&cap, &o, &rc, "chainsniff", "-r", "a", "--stats-interval", "0", NULL));
	assert_string_equal(cap.err,
			    "chainsniff: --stats-interval: expects a duration: 90s, 15m, 1h, 1d\n");

	assert_true(mparse(&cap, &o, &rc, "chainsniff", "-r", "a", "--since",
			   "2026-11-23T14:00:00Z", "--until", "@1795446000", NULL));
	assert_true(o.have_since && o.have_until);
	assert_int_equal(o.since, 1795442400);
	assert_int_equal(o.until, 1795446000);
	assert_false(mparse(&cap, &o, &rc, "chainsniff", "-r", "a", "--since", "2026-11-23",
			    "--until", "2026-11-23", NULL));
	assert_int_equal(rc, CS_EXIT_USAGE);
	assert_string_equal(cap.err, "chainsniff: --until: must be later than --since\n");
	assert_false(mparse(&cap, &o, &rc, "chainsniff", "-r", "a", "--since", "yesterday", NULL));
	assert_string_equal(cap.err,
			    "chainsniff: --since: expects YYYY-MM-DD[THH:MM:SS[Z]] or @EPOCH\n");

	assert_false(mparse(&cap, &o, &rc, "chainsniff", "--version", NULL));
	assert_int_equal(rc, CS_EXIT_OK);
	assert_true(!strncmp(cap.out, "chainsniff ", 11));
	assert_non_null(strstr(cap.out, "\nlibpcap version "));
	assert_non_null(strstr(cap.out, "\nOpenSSL "));
	assert_non_null(strstr(cap.out, "\njansson "));
	assert_false(mparse(&cap, &o, &rc, "chainsniff", "--help", NULL));
	assert_null(strstr(cap.out, "help-man"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_every_kind_lands_in_its_field),
		cmocka_unit_test(test_later_wins_abbreviations_and_bounds),
		cmocka_unit_test(test_refusals_are_one_line),
		cmocka_unit_test(test_usage_is_made_from_the_table),
		cmocka_unit_test(test_main_defaults),
		cmocka_unit_test(test_main_trust_at),
		cmocka_unit_test(test_main_every_option),
		cmocka_unit_test(test_main_refusals),
		cmocka_unit_test(test_main_list_caps),
		cmocka_unit_test(test_main_usage),
		cmocka_unit_test(test_main_operations),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
