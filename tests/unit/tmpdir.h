/*
 * tmpdir.h - a fresh directory for each test of a cmocka program that
 * writes files: setup() makes $TMPDIR/<TMPDIR_NAME>.XXXXXX (or under /tmp)
 * into dir, teardown() removes it with everything in it.  Included by one
 * test program at a time (its state is static); define TMPDIR_NAME first.
 */
#ifndef TMPDIR_H
#define TMPDIR_H

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>

static char dir[256];

static int setup(void **state)
{
	(void)state;
	snprintf(dir, sizeof(dir), "%s/" TMPDIR_NAME ".XXXXXX",
		 getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
	return mkdtemp(dir) ? 0 : -1;
}

static int teardown(void **state)
{
	char cmd[PATH_MAX];

	(void)state;
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	return system(cmd) == 0 ? 0 : -1;
}

#endif
