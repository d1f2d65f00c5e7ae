/*
 * fuzz_timeline.c - root-store timeline files read as hostile (cs_timeline.h).
 *
 * Input: a whole timeline file, parsed from memory with timeline_parse() (the
 * path of --trust-at's replacement file and of the built-in data).  A
 * refusal must leave no timeline and say why on one line naming the file,
 * without control characters.  A timeline that loads must answer every
 * lookup consistently: each root is found again by its certificate and by
 * its key, its stays are sorted and disjoint, timeline_in_store() agrees
 * with timeline_interval_at() on both sides of every boundary, every window
 * holds the time asked for and the store does not change inside it, and
 * the store-at-date iterator returns exactly the roots in the store.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cs_timeline.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define CHECK(c)                                                                                   \
	do {                                                                                       \
		if (!(c)) {                                                                        \
			fprintf(stderr, "fuzz_timeline: %s:%d: %s\n", __FILE__, __LINE__, #c);     \
			abort();                                                                   \
		}                                                                                  \
	} while (0)

static void check_refusal(const char *err)
{
	CHECK(strncmp(err, "fuzz: ", 6) == 0);
	for (const char *p = err; *p; p++)
		CHECK((unsigned char)*p >= 0x20 && *p != 0x7f);
}

static size_t in_store_count(const struct cs_timeline *t, int64_t when)
{
	size_t n = 0;

	for (size_t i = 0; i < timeline_count(t); i++)
		n += timeline_in_store(timeline_root(t, i), when);
	return n;
}

/* The window around when holds it, and the store is the same at its ends. */
static void check_window(const struct cs_timeline *t, int64_t when)
{
	int64_t from, until;
	size_t pos = 0, n = 0;

	timeline_window(t, when, &from, &until);
	CHECK(from <= when && when < until);
	for (size_t i = 0; i < timeline_count(t); i++) {
		const struct timeline_root *r = timeline_root(t, i);
		bool in = timeline_in_store(r, when);

		CHECK(timeline_in_store(r, from) == in);
		CHECK(timeline_in_store(r, until - 1) == in);
		CHECK((timeline_interval_at(r, when) != NULL) == in);
	}
	while (timeline_next_in_store(t, when, &pos))
		n++;
	CHECK(n == in_store_count(t, when));
}

static void check_root(const struct cs_timeline *t, const struct timeline_root *r)
{
	const struct timeline_root *same[8];
	size_t n = timeline_by_spki(t, r->spki_sha256, same, 8);
	bool found = false;

	CHECK(timeline_by_cert(t, r->cert_sha256) == r);
	CHECK(n >= 1);
	for (size_t k = 0; k < n && k < 8; k++)
		found |= same[k] == r;
	CHECK(found || n > 8);
	CHECK(r->n_intervals >= 1 && r->spki.n > 0 && r->subject_der.n > 0);
	CHECK(r->not_before <= r->not_after);
	for (size_t i = 0; i < r->n_intervals; i++) {
		const struct timeline_interval *iv = &r->intervals[i];

		CHECK(iv->from < iv->until);
		CHECK((iv->until == TIMELINE_OPEN) == (iv->until_release == NULL));
		CHECK(i == 0 || r->intervals[i - 1].until <= iv->from);
		CHECK(timeline_interval_at(r, iv->from) == iv);
		if (iv->until != TIMELINE_OPEN) {
			CHECK(timeline_interval_at(r, iv->until - 1) == iv);
			CHECK(timeline_interval_at(r, iv->until) != iv);
			check_window(t, iv->until);
		}
		check_window(t, iv->from);
		check_window(t, iv->from - 1);
	}
	if (r->has_distrust_after) {
		CHECK(r->distrust_since_release != NULL);
		CHECK(timeline_distrusts(r, r->distrust_after + 1, r->distrust_since));
		CHECK(!timeline_distrusts(r, r->distrust_after, r->distrust_since));
		CHECK(!timeline_distrusts(r, r->distrust_after + 1, r->distrust_since - 1));
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct cs_timeline *t = NULL;
	char err[512] = "";

	if (timeline_parse(data, size, "fuzz", &t, err, sizeof(err)) != CS_OK) {
		CHECK(t == NULL);
		check_refusal(err);
		return 0;
	}
	CHECK(t != NULL && err[0] == '\0');
	CHECK(timeline_count(t) >= 1 && timeline_root(t, timeline_count(t)) == NULL);
	CHECK(timeline_start(t) <= timeline_end(t));
	CHECK(strlen(timeline_digest(t)) == 64);
	for (size_t i = 0; i < timeline_count(t) && i < 64; i++)
		check_root(t, timeline_root(t, i));
	check_window(t, INT64_MIN);
	check_window(t, INT64_MAX - 1);
	timeline_free(t);
	return 0;
}
