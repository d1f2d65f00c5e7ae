/*
 * cs_exit.h - chainsniff's exit codes, for the run and for `chainsniff
 * merge` alike (docs/exit-codes.md is the contract: never renumber).
 * When several apply, the highest wins (cs_exit_worse).
 */
#ifndef CS_EXIT_H
#define CS_EXIT_H

enum cs_exit {
	CS_EXIT_OK = 0,
	CS_EXIT_INPUT = 1,   /* an input could not be read at all, or is not valid */
	CS_EXIT_USAGE = 2,   /* bad command line; nothing was read */
	CS_EXIT_DAMAGED = 3, /* an input was truncated or damaged; what came before counts */
	CS_EXIT_OUTPUT = 4,  /* a report, dump or state file could not be written */
	CS_EXIT_BROKEN = 5,  /* --fail-on broken and a broken chain was seen */
	CS_EXIT_OVERLAP = 6, /* merge refused its inputs as a set: the same sensor over overlapping
			      * windows, or client hashes made under different client keys */
};

static inline int cs_exit_worse(int a, int b) { return a > b ? a : b; }

#endif
