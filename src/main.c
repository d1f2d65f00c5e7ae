/*
 * main.c - chainsniff's entry point: `chainsniff merge ...` (merge.c), or
 * the command line (cli.c) and one run (run.c).  The exit codes are
 * cs_exit.h's (docs/exit-codes.md).
 */
#include "cs_cli.h"
#include "cs_merge.h"
#include "cs_run.h"

#include <string.h>

int main(int argc, char **argv)
{
	struct cs_options o;
	int rc;

	if (argc > 1 && !strcmp(argv[1], "merge"))
		return merge_main(argc - 1, argv + 1);
	if (!cli_parse_args(argc, argv, &o, &rc))
		return rc;
	return run_main(&o);
}
