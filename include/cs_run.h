/*
 * cs_run.h - one run of chainsniff, from a parsed command line to the exit
 * code: set up (trust store, diagnosis, --ignore, engine, --report-dir,
 * --events, --state), read every -r file in order or the -i interface
 * until SIGINT/SIGTERM, then the final report, the state, --dump-chains and
 * the report (-o or standard output).
 *
 * Signals: SIGINT/SIGTERM stop reading (a live capture breaks out of its
 * wait), and everything read so far is reported; SIGUSR1 writes a report
 * now (into --report-dir, else the -o/standard output report) and saves
 * the state; SIGHUP loads the trust store again for the handshakes to come
 * (judge_reload: on the analysis thread of a live capture).
 * The state is saved after every periodic or SIGUSR1 report and at exit.
 * Privileges are dropped (-Z) once the first source is open.
 */
#ifndef CS_RUN_H
#define CS_RUN_H

#include "cs_cli.h"

/* Run with o (fields for the engine's callbacks are filled in); returns
 * the exit code (cs_exit.h). */
int run_main(struct cs_options *o);

#endif
