/*
 * fuzz_state.c - --state files read as hostile (cs_state.h).
 *
 * Input: a whole state file.  It is written to a memfd (a temporary file
 * where memfd_create is missing) and restored with state_load() into a
 * fresh engine, judged by a diagnosis as `chainsniff --state` does (trust
 * store pcaps/lab/pki/trust.pem, loaded once, when the target runs from the
 * repository root; without it there is no diagnosis).  A refusal must say
 * why, on one line.  A file that loads is saved again with
 * report_json_state(), and what chainsniff saves it must restore: that text
 * loads into another fresh engine, which saves the same text again (a
 * restart changes nothing).  Client hashes are keyed with 16 zero bytes,
 * whose id (4a75d87c4553d6bd) the seeds carry as their client_key_id; the
 * legacy-* seeds carry none and are refused as written under the old key.
 * The same bytes are also merged (`chainsniff merge`, which reads any
 * report: chains by their facts when they come without DER, problem codes
 * and counters it does not know, a periodic window's report) and written
 * as JSON, text and CSV: never a crash, exit 0 or 1.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <getopt.h>
#include <sys/mman.h>
#include <unistd.h>

#include "cs_clientset.h"
#include "cs_exit.h"
#include "cs_judge.h"
#include "cs_engine.h"
#include "cs_merge.h"
#include "cs_report.h"
#include "cs_state.h"
#include "cs_trust.h"
#include "fuzz_file.h"
#include "fuzz_judge.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct engine *new_engine(void)
{
	static const uint8_t zero_key[16];
	static bool keyed;
	struct engine_config cfg = {
		.max_flows = 64,
		.buffer_memcap = 1u << 20,
		.sensor = "fuzz",
	};
	struct engine *e;

	if (!keyed) {
		clientset_set_key(zero_key);
		keyed = true;
	}
	if (fuzz_judge(&cfg.judge) && !cfg.judge)
		abort();
	if (!(e = engine_new(&cfg)))
		abort();
	return e;
}

static void free_engine(struct engine *e)
{
	struct judge *j = engine_judge(e);

	engine_free(e);
	judge_free(j);
}

/* state_load() of these bytes into e; err must explain any failure.
 * saved: the bytes are chainsniff's own save, which must load. */
static enum cs_status load(struct engine *e, const uint8_t *data, size_t size, bool saved)
{
	char path[64], err[512];
	enum cs_status st;
	int fd = fuzz_file(data, size, path, sizeof path);

	err[0] = '\0';
	st = state_load(e, path, err, sizeof err);
	close(fd);
	if (st == CS_OK)
		return st;
	if (saved) {
		fprintf(stderr, "fuzz_state: a state it saved does not load again: %s\n", err);
		abort();
	}
	/* the file exists: CS_EOF would be a lie; out of memory may happen */
	if (st != CS_BAD && st != CS_NOMEM)
		abort();
	if (strncmp(err, path, strlen(path)) != 0 || strlen(err) <= strlen(path))
		abort(); /* "PATH: reason" */
	for (const char *c = err; *c; c++)
		if ((unsigned char)*c < 0x20 || *c == 0x7f) {
			/* one line, and nothing for a terminal to act on */
			fprintf(stderr, "fuzz_state: control character 0x%02x in: %s\n",
				(unsigned char)*c, err);
			abort();
		}
	return st;
}

static char *save(struct engine *e, size_t *len)
{
	char *buf = NULL;
	FILE *m = open_memstream(&buf, len);

	if (!m)
		abort();
	report_json_state(m, e);
	if (fclose(m) != 0 || !buf)
		abort();
	return buf;
}

/* `chainsniff merge --format F -o /dev/null FILE`: 0 or a refusal (1). */
static void merged(const uint8_t *data, size_t size)
{
	static const char *const formats[] = {"json", "text", "csv"};
	char path[64];
	int fd = fuzz_file(data, size, path, sizeof path);

	for (size_t i = 0; i < sizeof(formats) / sizeof(formats[0]); i++) {
		char a0[] = "merge", a1[] = "-o", a2[] = "/dev/null", a3[] = "--format", a4[16];
		char *argv[] = {a0, a1, a2, a3, a4, path, NULL};
		int rc;

		snprintf(a4, sizeof a4, "%s", formats[i]);
		optind = 0;
		rc = merge_main(6, argv);
		if (rc != CS_EXIT_OK && rc != CS_EXIT_INPUT)
			abort();
	}
	close(fd);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct engine *e = new_engine(), *e2;
	char *t1, *t2;
	size_t n1, n2;

	merged(data, size);
	if (load(e, data, size, false) != CS_OK) {
		free_engine(e);
		return 0;
	}
	/* what was restored is saved; that file restores the same engine */
	t1 = save(e, &n1);
	free_engine(e);
	e2 = new_engine();
	load(e2, (const uint8_t *)t1, n1, true);
	t2 = save(e2, &n2);
	free_engine(e2);
	if (n1 != n2 || memcmp(t1, t2, n1) != 0) {
		size_t i = 0;

		while (i < n1 && i < n2 && t1[i] == t2[i])
			i++;
		i = i > 200 ? i - 200 : 0;
		fprintf(stderr, "fuzz_state: saved twice, two texts:\n%.400s\n----\n%.400s\n",
			t1 + i, t2 + i);
		abort();
	}
	free(t1);
	free(t2);
	return 0;
}
