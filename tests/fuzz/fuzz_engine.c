/*
 * fuzz_engine.c - the whole pipeline on a capture file: every frame through
 * engine_frame() (decode, flows, reassembly, TLS, chain store, the chain
 * analysis within its budget), engine_finish(), then every report format.
 *
 * Input: a pcap or pcapng file, written to a memfd and read with
 * capture_open_file() as `chainsniff -r` does.  Trust: pcaps/lab/pki/
 * trust.pem when run from the repository root (otherwise no diagnosis).
 * Small caps (flows, buffers) so that eviction paths run too.
 *
 * Invariants: the JSON report parses (jansson) and its counts add up
 * (handshakes with a chain, broken ones, servers); the text and CSV
 * reports are written without failing; engine_finish leaves no handshake
 * waiting for its verdict.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include <jansson.h>

#include "cs_capture.h"
#include "cs_engine.h"
#include "cs_judge.h"
#include "cs_report.h"
#include "fuzz_file.h"
#include "fuzz_judge.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static char *render(struct engine *e, int kind, size_t *len)
{
	struct report_opts ro = {.all = true, .details = true};
	char *buf = NULL;
	FILE *m = open_memstream(&buf, len);

	if (!m)
		abort();
	if (kind == 0)
		report_json(m, e);
	else if (kind == 1)
		report_text(m, e, &ro);
	else
		report_csv(m, e);
	if (fclose(m) != 0 || !buf)
		abort();
	return buf;
}

static void check_json(const char *buf, size_t len, const struct engine *e)
{
	json_error_t jerr;
	json_t *doc = json_loadb(buf, len, JSON_REJECT_DUPLICATES | JSON_ALLOW_NUL, &jerr);
	json_t *t, *servers;
	uint64_t hs = 0, broken = 0;

	if (!doc) {
		fprintf(stderr, "fuzz_engine: report is not JSON: %s\n", jerr.text);
		abort();
	}
	t = json_object_get(doc, "totals");
	servers = json_object_get(doc, "servers");
	if (!json_is_object(t) || !json_is_array(servers) ||
	    json_array_size(servers) != (size_t)json_integer_value(json_object_get(t, "servers")))
		abort();
	for (size_t i = 0; i < json_array_size(servers); i++) {
		json_t *s = json_array_get(servers, i);

		hs += (uint64_t)json_integer_value(json_object_get(s, "handshakes"));
		broken += (uint64_t)json_integer_value(json_object_get(s, "broken_handshakes"));
	}
	/* every handshake with a chain is under its server (caps aside) */
	if (broken != engine_totals(e)->broken_handshakes || hs > engine_totals(e)->with_chain)
		abort();
	json_decref(doc);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char path[64], err[256];
	struct cs_source *src = NULL;
	struct engine_config cfg = {
		.max_flows = 16,
		.buffer_memcap = 256u * 1024,
		.sensor = "fuzz",
	};
	struct engine *e;
	struct engine_input *in;
	struct cs_frame f;
	int fd = fuzz_file(data, size, path, sizeof path);

	fuzz_judge(&cfg.judge);
	e = engine_new(&cfg);
	if (!e)
		abort();
	in = engine_input_begin(e, "fuzz", false);
	if (capture_open_file(path, NULL, &src, err, sizeof err) == CS_OK) {
		while (capture_next(src, &f, err, sizeof err) == CS_OK)
			engine_frame(e, in, &f);
		capture_close(src);
	}
	engine_finish(e);
	if (engine_parked(e) != 0)
		abort();
	for (int kind = 0; kind < 3; kind++) {
		size_t len = 0;
		char *buf = render(e, kind, &len);

		if (kind == 0)
			check_json(buf, len, e);
		free(buf);
	}
	engine_free(e);
	judge_free(cfg.judge);
	close(fd);
	return 0;
}
