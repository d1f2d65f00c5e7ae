/*
 * fuzz_judge.h - the judge of the fuzz targets that build an engine
 * (engine, state): one over pcaps/lab/pki/trust.pem when that store loads,
 * which it does when the target runs from the repository root; no judge
 * (no diagnosis) otherwise.  The store is tried once per process.
 * Header-only, as fuzz_file.h, so that libFuzzer builds have it too.
 */
#ifndef FUZZ_JUDGE_H
#define FUZZ_JUDGE_H

#include <stdbool.h>

#include "cs_judge.h"
#include "cs_trust.h"

/* True when the store is there; *out is then judge_new's answer (NULL if
 * it failed), else NULL. */
static inline bool fuzz_judge(struct judge **out)
{
	static const struct trust_opts to = {.ca_files = {"pcaps/lab/pki/trust.pem"},
					     .n_ca_files = 1};
	static bool tried, have;
	struct judge_opts jo = {.trust = &to, .warn_days = -1};
	char err[256];

	if (!tried) {
		struct cs_trust *t = NULL;

		tried = true;
		have = trust_load(&to, &t, err, sizeof err) == CS_OK;
		trust_free(t);
	}
	*out = have ? judge_new(&jo, err, sizeof err) : NULL;
	return have;
}

#endif
