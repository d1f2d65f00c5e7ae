/*
 * cs_problems.h - the problem-code vocabulary of the chain diagnosis.
 * Codes and their names are a stable contract (docs/problems.md): add at
 * the end, never rename or renumber.
 */
#ifndef CS_PROBLEMS_H
#define CS_PROBLEMS_H

#include "cs_common.h"

enum cs_problem {
	/* errors: any one makes the chain broken */
	CS_P_MISSING_INTERMEDIATE,
	CS_P_WRONG_ORDER,
	CS_P_UNTRUSTED_ROOT,
	CS_P_SELF_SIGNED_LEAF,
	CS_P_EXPIRED_LEAF,
	CS_P_EXPIRED_INTERMEDIATE,
	CS_P_EXPIRED_ROOT,
	CS_P_NOT_YET_VALID,
	CS_P_HOSTNAME_MISMATCH,
	CS_P_BAD_SIGNATURE,
	CS_P_WEAK_SIGNATURE,
	CS_P_WEAK_KEY,
	CS_P_MALFORMED_CERT,
	CS_P_NOT_CA,
	CS_P_BAD_PURPOSE,
	/* warnings */
	CS_P_ROOT_INCLUDED,
	CS_P_EXTRA_CERTS,
	CS_P_DUPLICATE_CERT,
	CS_P_EXPIRING_SOON,
	CS_P_CLOCK_IMPLAUSIBLE,
	CS_P_CROSS_SIGN_STALE,
	CS_P_MAX
};

enum cs_severity { CS_SEV_ERROR, CS_SEV_WARNING };

const char *problem_name(enum cs_problem p);
/* The usual severity; weak_signature and weak_key depend on the date. */
enum cs_severity problem_default_severity(enum cs_problem p);
const char *severity_name(enum cs_severity s);

#endif
