/*
 * problemstable.c - writes docs/problems.md's summary table from the
 * problem catalogue (src/problems.c), so that the table cannot drift from
 * what chainsniff reports.  Linked with libchainsniff.a by the Makefile:
 *
 *   make problems-table        rewrites the table in docs/problems.md
 *   make check                 fails when the committed table differs
 *
 * usage: problemstable             the table on standard output
 *        problemstable DOC         DOC with the table between its markers
 *                                  replaced, on standard output
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cs_problems.h"

#define BEGIN_MARK "<!-- problems-table: generated from src/problems.c by `make problems-table` -->"
#define END_MARK "<!-- end of problems-table -->"

static void table(FILE *out)
{
	fputs("| code | severity | what it means | `cert_index` | OpenSSL error | "
	      "alert (OpenSSL 3 client) |\n|---|---|---|---|---|---|\n",
	      out);
	for (int i = 0; i < CS_P_MAX; i++) {
		enum cs_problem p = (enum cs_problem)i;
		const struct problem_doc *d = problem_doc(p);

		fprintf(out, "| [%s](#%s) | %s | %s | %s | %s | %s |\n", problem_name(p),
			problem_name(p),
			d->severity ? d->severity : severity_name(problem_default_severity(p)),
			problem_summary(p), d->cert_index, d->openssl, d->alert);
	}
}

/* DOC with the lines between the markers replaced by the table. */
static int rewrite(const char *path)
{
	FILE *f = fopen(path, "r");
	char line[4096];
	int state = 0; /* 0 before, 1 inside, 2 after */

	if (!f) {
		perror(path);
		return 1;
	}
	while (fgets(line, sizeof(line), f)) {
		if (state == 1 && !strncmp(line, END_MARK, strlen(END_MARK))) {
			table(stdout);
			state = 2;
		}
		if (state != 1)
			fputs(line, stdout);
		if (state == 0 && !strncmp(line, BEGIN_MARK, strlen(BEGIN_MARK)))
			state = 1;
	}
	fclose(f);
	if (state != 2) {
		fprintf(stderr, "%s: no \"%s\" ... \"%s\" markers\n", path, BEGIN_MARK, END_MARK);
		return 1;
	}
	return 0;
}

int main(int argc, char **argv)
{
	if (argc > 2) {
		fputs("usage: problemstable [DOC]\n", stderr);
		return 2;
	}
	if (argc == 2)
		return rewrite(argv[1]);
	table(stdout);
	return 0;
}
