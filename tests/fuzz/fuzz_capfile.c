/*
 * fuzz_capfile.c - whole capture files: the input is written to a memfd
 * (a temporary file where memfd_create is missing) and read with
 * capture_open_file()/capture_next() to the end, every frame decoded with
 * decode_packet() (Suricata's fuzz_decodepcapfile.c does the same), IP
 * fragments reassembled with defrag_add() and decoded on with
 * decode_datagram(), as the engine does.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "cs_capture.h"
#include "cs_decode.h"
#include "cs_defrag.h"
#include "cs_limits.h"
#include "fuzz_file.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* The engine's decode_frame(): fragments through the defragmenter. */
static void decode(struct defrag *df, const struct cs_frame *f, struct cs_decode_stats *dst,
		   struct defrag_stats *dfs)
{
	struct cs_pkt pkt;
	enum cs_status rc = decode_packet(f->linktype, f->data, f->caplen, &pkt, dst);

	for (int level = 0; rc == CS_MORE && level <= CS_MAX_TUNNEL_DEPTH; level++) {
		struct cs_slice whole = defrag_add(df, &pkt, f->ts_ns, dfs);

		if (!whole.p)
			return;
		if (whole.n > CS_DEFRAG_MAX_DATAGRAM)
			abort();
		rc = decode_datagram(&pkt, whole, &pkt, dst);
	}
	if (rc == CS_OK && pkt.payload.n > pkt.payload_len)
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char path[64], err[256];
	struct cs_source *src = NULL;
	struct cs_decode_stats dst;
	struct defrag_stats dfs;
	struct defrag *df = defrag_new(64, 1u << 20);
	struct cs_frame f;
	enum cs_status rc;
	uint64_t frames = 0, done, total;
	int fd = fuzz_file(data, size, path, sizeof path);

	memset(&dst, 0, sizeof dst);
	memset(&dfs, 0, sizeof dfs);
	if (!df)
		abort();
	rc = capture_open_file(path, NULL, &src, err, sizeof err);
	if (rc != CS_OK) {
		if (src != NULL || strlen(err) == 0)
			abort(); /* failures say why and hand out nothing */
		defrag_free(df);
		close(fd);
		return 0;
	}
	while ((rc = capture_next(src, &f, err, sizeof err)) == CS_OK) {
		volatile uint8_t x = 0;

		if (f.caplen > CS_MAX_CAPLEN || ++frames != f.number)
			abort();
		for (uint32_t i = 0; i < f.caplen; i++)
			x ^= f.data[i];
		(void)x;
		decode(df, &f, &dst, &dfs);
		defrag_expire(df, f.ts_ns, &dfs);
	}
	defrag_flush(df, &dfs);
	if (defrag_count(df) != 0)
		abort();
	defrag_free(df);
	if (rc == CS_MORE)
		abort(); /* files never time out */
	/* failures are sticky */
	if (rc != CS_EOF && capture_next(src, &f, err, sizeof err) != rc)
		abort();
	capture_progress(src, &done, &total);
	if (strlen(capture_format(src)) == 0 || done > size)
		abort();
	capture_close(src);
	close(fd);
	return 0;
}
