/*
 * cs_cli.h - the command line: a table of options from which the parser
 * and the usage text are both made, shared by `chainsniff` and
 * `chainsniff merge`, and chainsniff's own table and parsed options.
 *
 * Adding an option is one row in the table (src/cli.c, or merge.c for
 * merge) and, unless a handler does the work, one field in the options
 * struct.  A row names the option (long and/or short), its argument as
 * the usage shows it, the help text, and what to do with the argument: a
 * kind (store a string, a bounded integer, a choice, a duration, a time;
 * append to a capped list; set a flag) and the field's offset, or a
 * handler.  A refused argument prints one line, "chainsniff: -s: snaplen
 * must be 96..262144" (the option's short name if it has one, else its
 * long name; the argument itself where the row says so), and the exit
 * code is 2 (cs_exit.h).  Later options override earlier ones, lists
 * append, and getopt_long's rules hold (abbreviated long options,
 * "--opt=value", options after operands).
 */
#ifndef CS_CLI_H
#define CS_CLI_H

#include <stddef.h>
#include <stdio.h>

#include "cs_capture.h"
#include "cs_diag.h"
#include "cs_engine.h"
#include "cs_exit.h"
#include "cs_limits.h"
#include "cs_report.h"
#include "cs_trust.h"

enum cli_kind {
	CLI_FLAG,     /* bool field = true */
	CLI_CLEAR,    /* bool field = false */
	CLI_STRING,   /* const char * field = the argument (borrowed from argv) */
	CLI_UINT,     /* unsigned field of .size bytes = the argument in [min, max], << shift */
	CLI_CHOICE,   /* int field = the value of the argument's name in .choices */
	CLI_DURATION, /* int64_t field = seconds (parse_duration: 90s, 15m, 1h, 1d) */
	CLI_TIME,     /* int64_t field = seconds (parse_time_arg: a date, a time, @EPOCH) */
	CLI_LIST,     /* const char *field[.cap], size_t at .count: the argument appended */
	CLI_CALL,     /* .call(opts, row, argument); it prints its own failure */
	CLI_HELP,     /* the usage on standard output, exit 0 */
	CLI_VERSION,  /* chainsniff's and its libraries' versions on standard output, exit 0 */
	CLI_MAN,      /* the man page (roff) on standard output, exit 0 */
};

struct cli_choice {
	const char *name; /* NULL ends the list */
	int value;
};

struct cli_option {
	const char *name; /* long name without "--", or NULL */
	char short_name;  /* or 0 */
	const char *arg;  /* the argument as the usage shows it; NULL: none taken */
	const char *help; /* usage text; a '\n' continues it on the next line */
	enum cli_kind kind;
	size_t field; /* offsetof the field in the options struct */
	size_t seen;  /* CLI_SEEN(...) of a bool set when the option is given, or 0 */
	size_t size;  /* CLI_UINT: sizeof the field (4 or 8) */
	unsigned long long min, max;
	unsigned shift;                   /* CLI_UINT: stored << shift (MiB options) */
	const struct cli_choice *choices; /* CLI_CHOICE */
	size_t count, cap; /* CLI_LIST: offsetof the size_t count, the array's length */
	bool (*call)(void *opts, const struct cli_option *row, const char *arg);
	const char *error; /* the reason printed when the argument is refused */
	bool name_arg;     /* the message names the argument, not the option */
};

#define CLI_SEEN(type, member) (offsetof(type, member) + 1)

/* The rows both commands share (fields given as offsetof). */
#define CLI_ROW_OUTPUT(off)                                                                        \
	{                                                                                          \
		.short_name = 'o', .arg = "FILE", .kind = CLI_STRING, .field = (off),              \
		.help = "write the report to FILE instead of standard output"                      \
	}
#define CLI_ROW_TOP(off)                                                                           \
	{                                                                                          \
		.name = "top", .arg = "N", .kind = CLI_UINT, .field = (off),                       \
		.size = sizeof(unsigned), .max = 1000000,                                          \
		.help = "servers listed in the text table (default 20, 0: all)",                   \
		.error = "must be 0..1000000 (0: no limit)"                                        \
	}
#define CLI_ROW_ALL(off)                                                                           \
	{                                                                                          \
		.name = "all", .kind = CLI_FLAG, .field = (off),                                   \
		.help = "list healthy servers too"                                                 \
	}
/* --format: the values differ (merge writes no state), so do help and error. */
#define CLI_ROW_FORMAT(off, values, helptext, errtext)                                             \
	{                                                                                          \
		.name = "format", .arg = "F", .kind = CLI_CHOICE, .field = (off),                  \
		.choices = (values), .help = (helptext), .error = (errtext)                        \
	}

/* A section of the man page past the options: plain text, paragraphs
 * separated by an empty line, "- " items, "  " indented lines kept as
 * they are (cli_man turns them into roff). */
struct cli_man_section {
	const char *title;
	const char *text;
};

struct cli_spec {
	const char *command;  /* NULL, or "merge": named in its messages */
	const char *synopsis; /* the usage lines above the options */
	const char *epilog;   /* below them, or NULL */
	const struct cli_option *rows;
	size_t nrows;
	/* the man page (chainsniff's spec only) */
	const char *man_name;                       /* "chainsniff \- what it is" line, plain */
	const char *man_description;                /* the DESCRIPTION section */
	const struct cli_man_section *man_sections; /* after OPTIONS; NULL title ends */
};

/* Parse argv's options (argv[0] is the command) into opts by the table.
 * True: go on, the operands are argv[*operands..argc-1].  False: exit
 * with *rc: 0 after --help or --version, CS_EXIT_USAGE after one line on
 * stderr. */
bool cli_parse(const struct cli_spec *spec, int argc, char **argv, void *opts, int *operands,
	       int *rc);
/* The usage text: synopsis, one line per row (or more), epilog. */
void cli_usage(const struct cli_spec *spec, FILE *f);
/* The man page (man(7) macros) of chainsniff's spec, with merge's options
 * in a section of their own: made from the same rows as the usage, so the
 * two never disagree (`chainsniff --help-man`, run by `make`). */
void cli_man(const struct cli_spec *spec, FILE *f);
/* "chainsniff: NAME: reason" on stderr; false (for handlers to return). */
bool cli_fail(const char *name, const char *reason);

/* ---- chainsniff's own command line ------------------------------------------------ */

enum cs_format { CS_FORMAT_TEXT, CS_FORMAT_JSON, CS_FORMAT_CSV, CS_FORMAT_STATE, CS_FORMAT_HTML };
enum cs_fail_on { CS_FAIL_NEVER, CS_FAIL_ON_BROKEN, CS_FAIL_ON_BROKEN_THEN };

/* Everything the command line says; strings are borrowed from argv. */
struct cs_options {
	const char *files[CS_MAX_INPUTS]; /* -r, in order */
	size_t nfiles;
	const char *iface;         /* the first -i (NULL: files are read) */
	const char *filter;        /* -f as given */
	const char *out_path;      /* -o */
	int format;                /* --format: enum cs_format */
	struct report_opts report; /* --top, --all, --details */
	const char *dump_dir;      /* --dump-chains */
	const char *events_path;   /* --events */
	unsigned community_seed;   /* --community-id-seed (0..65535) */
	const char *notices_path;  /* --notices */
	const char *broken_pcap;   /* --write-broken */
	struct trust_opts trust;   /* --ca-file, --ca-dir, --add-ca */
	const char *intermediates; /* --intermediates */
	int trust_at;              /* --trust-at: enum diag_trust_at */
	int64_t trust_date;        /* --trust-at DATE, seconds */
	const char *root_timeline; /* --root-timeline */
	int warn_days;             /* --warn-days */
	const char *report_dir;    /* --report-dir */
	int64_t interval;          /* --interval, seconds */
	unsigned keep;             /* --keep */
	const char *sensor;        /* --sensor, else the host name */
	char hostname[256];
	int fail_on;                             /* --fail-on: enum cs_fail_on */
	const char *user;                        /* -Z */
	struct cs_cidr nets[CS_MAX_SERVER_NETS]; /* --server-net */
	const char *ignore_path;                 /* --ignore */
	const char *state_path;                  /* --state */
	const char *client_key_path;             /* --client-key */
	struct cs_capture_opts cap;              /* -s, -B, -p; filter: -f or the default */
	struct engine_config eng;                /* --at, --max-flows, --memcap, nets, sensor */
	/* operations: taps, metrics, input selection, checks */
	const char *ifaces[CS_MAX_IFACES]; /* -i, in order (one engine reads them all) */
	size_t nifaces;
	unsigned workers;         /* --workers: packet threads on the -i interface (1: none) */
	const char *metrics_path; /* --metrics */
	int64_t stats_interval;   /* --stats-interval, seconds; 0: --interval's */
	int64_t since, until;     /* --since, --until: capture time, seconds */
	bool have_since, have_until;
	bool check; /* -T, --check: validate, then exit */
};

/* Defaults, then argv, then the checks across options (an input, -i
 * without -r, --interval needs --report-dir, the BPF filter compiles).
 * True: run with *o.  False: exit with *rc (see cli_parse). */
bool cli_parse_args(int argc, char **argv, struct cs_options *o, int *rc);
/* chainsniff's usage text. */
void cli_main_usage(FILE *f);

#endif
