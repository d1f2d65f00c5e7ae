/*
 * testfeed.h - feeding a capture file to an engine, for the unit tests
 * that need real traffic (pcaps/): every frame of the file, as one input
 * named by its path, as `chainsniff -r` reads it; and the engine such a
 * run makes.  Header-only (static inline); failures are cmocka failures.
 * Include after <cmocka.h>.
 */
#ifndef TESTFEED_H
#define TESTFEED_H

#include "cs_capture.h"
#include "cs_diag.h"
#include "cs_engine.h"
#include "cs_judge.h"

/* An engine as a file run makes it (1024 flows, 64 MiB of buffers), named
 * sensor, with a judge of its own over the store `to` (synchronous, as for
 * files: verdicts are cached by chain id, which only means something within
 * one chain store).  tf_engine_free frees both. */
static inline struct engine *tf_engine_new(const struct trust_opts *to, const char *sensor)
{
	struct judge_opts jo = {.trust = to, .warn_days = CS_DIAG_WARN_DAYS_DEFAULT};
	struct engine_config cfg = {
		.max_flows = 1024, .buffer_memcap = 64u << 20, .sensor = sensor};
	struct engine *e;
	char err[256];

	cfg.judge = judge_new(&jo, err, sizeof(err));
	if (!cfg.judge)
		fail_msg("judge_new: %s", err);
	e = engine_new(&cfg);
	assert_non_null(e);
	return e;
}

static inline void tf_engine_free(struct engine *e)
{
	struct judge *j = engine_judge(e);

	engine_free(e);
	judge_free(j);
}

static inline void tf_feed(struct engine *e, const char *path)
{
	struct cs_capture_opts co = {0};
	struct cs_source *src;
	struct engine_input *in;
	struct cs_frame f;
	char err[256];

	assert_int_equal(capture_open_file(path, &co, &src, err, sizeof(err)), CS_OK);
	in = engine_input_begin(e, path, false);
	assert_non_null(in);
	in->format = capture_format(src);
	while (capture_next(src, &f, err, sizeof(err)) == CS_OK)
		engine_frame(e, in, &f);
	capture_close(src);
}

#endif
