/*
 * problems.c - names of the problem codes (cs_problems.h), the contract
 * documented in docs/problems.md.
 */
#include "cs_problems.h"

static const char *const names[CS_P_MAX] = {
	[CS_P_MISSING_INTERMEDIATE] = "missing_intermediate",
	[CS_P_WRONG_ORDER] = "wrong_order",
	[CS_P_UNTRUSTED_ROOT] = "untrusted_root",
	[CS_P_SELF_SIGNED_LEAF] = "self_signed_leaf",
	[CS_P_EXPIRED_LEAF] = "expired_leaf",
	[CS_P_EXPIRED_INTERMEDIATE] = "expired_intermediate",
	[CS_P_EXPIRED_ROOT] = "expired_root",
	[CS_P_NOT_YET_VALID] = "not_yet_valid",
	[CS_P_HOSTNAME_MISMATCH] = "hostname_mismatch",
	[CS_P_BAD_SIGNATURE] = "bad_signature",
	[CS_P_WEAK_SIGNATURE] = "weak_signature",
	[CS_P_WEAK_KEY] = "weak_key",
	[CS_P_MALFORMED_CERT] = "malformed_cert",
	[CS_P_NOT_CA] = "not_ca",
	[CS_P_BAD_PURPOSE] = "bad_purpose",
	[CS_P_ROOT_INCLUDED] = "root_included",
	[CS_P_EXTRA_CERTS] = "extra_certs",
	[CS_P_DUPLICATE_CERT] = "duplicate_cert",
	[CS_P_EXPIRING_SOON] = "expiring_soon",
	[CS_P_CLOCK_IMPLAUSIBLE] = "clock_implausible",
	[CS_P_CROSS_SIGN_STALE] = "cross_sign_stale",
};

const char *problem_name(enum cs_problem p)
{
	return (unsigned)p < CS_P_MAX ? names[p] : "unknown";
}

enum cs_severity problem_default_severity(enum cs_problem p)
{
	return p >= CS_P_ROOT_INCLUDED ? CS_SEV_WARNING : CS_SEV_ERROR;
}

const char *severity_name(enum cs_severity s)
{
	return s == CS_SEV_ERROR ? "error" : "warning";
}
