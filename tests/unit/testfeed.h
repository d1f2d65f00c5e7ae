/*
 * testfeed.h - feeding a capture file to an engine, for the unit tests
 * that need real traffic (pcaps/): every frame of the file, as one input
 * named by its path, as `chainsniff -r` reads it.  Header-only (static
 * inline); failures are cmocka failures.  Include after <cmocka.h>.
 */
#ifndef TESTFEED_H
#define TESTFEED_H

#include "cs_capture.h"
#include "cs_engine.h"

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
