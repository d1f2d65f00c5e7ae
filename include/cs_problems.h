/*
 * cs_problems.h - the problems a chain diagnosis finds, as data, and the
 * one catalogue that words them.
 *
 * The rules (diag.c) fill a struct diag_problem: the code, the severity,
 * the certificate concerned and typed parameters (a date, a key size, a
 * name, the order to serve ...), never prose.  The catalogue (problems.c)
 * holds, per code, its name, its default severity, a one-line summary for
 * docs/problems.md and the message and fix templates of each variant;
 * problem_render() turns a record into text for every report format.
 * Codes and their names are a stable contract (docs/problems.md): add at
 * the end with an explicit severity, never rename or renumber.
 */
#ifndef CS_PROBLEMS_H
#define CS_PROBLEMS_H

#include "cs_common.h"
#include "cs_limits.h"

struct cs_chain;

enum cs_problem {
	/* errors (the first 15; later codes have the severity the catalogue
	 * gives them): any one makes the chain broken */
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
	/* added later: severity as the catalogue says */
	CS_P_NAME_CONSTRAINT_VIOLATION,    /* error */
	CS_P_UNHANDLED_CRITICAL_EXTENSION, /* error */
	CS_P_KEY_USAGE_MISMATCH,           /* warning, per handshake */
	CS_P_DISTRUSTED_ROOT,              /* error: a dated store's distrust-after date */
	CS_P_MAX
};

enum cs_severity { CS_SEV_ERROR, CS_SEV_WARNING };

/* Where the certificate concerned sits on the path. */
enum cs_role { CS_ROLE_NONE, CS_ROLE_LEAF, CS_ROLE_INTERMEDIATE, CS_ROLE_ROOT };

/* Variants, where a code has several wordings (one line per code). */
/* clang-format off */
enum {
	CS_V_EXPIRED_INTERMEDIATE = 0, CS_V_EXPIRED_ROOT_LIKE = 1,     /* expired_* fix */
	CS_V_SOON = 0, CS_V_SOON_ANCHOR = 1,                           /* expiring_soon */
	CS_V_NOT_CA = 0, CS_V_PATHLEN = 1,                             /* not_ca */
	CS_V_CROSS_EXPIRED = 0, CS_V_CROSS_UNANCHORED = 1, CS_V_CROSS_REISSUE = 2, /* cross_sign */
	CS_V_UNPARSEABLE = 0, CS_V_EXPLICIT_CURVE = 1, CS_V_UNSUPPORTED_KEY = 2, /* malformed */
	CS_V_PURPOSE_EKU = 0, CS_V_PURPOSE_KU = 1,                     /* bad_purpose */
	CS_V_CLOCK_BEFORE_2001 = 0, CS_V_CLOCK_GPS = 1, CS_V_CLOCK_BEFORE_LEAF = 2, /* clock */
	CS_V_NC_PERMITTED = 0, CS_V_NC_EXCLUDED = 1, CS_V_NC_OTHER = 2, /* name_constraint */
	CS_V_CRIT_UNKNOWN = 0, CS_V_CRIT_POISON = 1,                   /* unhandled_critical */
};
/* clang-format on */

/* keyUsage bits as libcrypto's X509_get_key_usage() gives them (RFC 5280
 * 4.2.1.3), for bad_purpose, key_usage_mismatch and their {ku} parameter. */
#define CS_KU_DIGITAL_SIGNATURE 0x0080u
#define CS_KU_NON_REPUDIATION 0x0040u
#define CS_KU_KEY_ENCIPHERMENT 0x0020u
#define CS_KU_DATA_ENCIPHERMENT 0x0010u
#define CS_KU_KEY_AGREEMENT 0x0008u
#define CS_KU_KEY_CERT_SIGN 0x0004u
#define CS_KU_CRL_SIGN 0x0002u
#define CS_KU_ENCIPHER_ONLY 0x0001u
#define CS_KU_DECIPHER_ONLY 0x8000u

/* the deepest path the diagnosis builds */
#define CS_PROBLEM_MAX_ORDER CS_DIAG_MAX_DEPTH

/* One problem, as data.  Strings belong to whoever holds the record (a
 * verdict of diag.c, a report read back by merge.c). */
struct diag_problem {
	enum cs_problem code;
	enum cs_severity severity;
	uint8_t variant;
	uint8_t role;   /* enum cs_role */
	int cert_index; /* in the chain as sent; -1: none (JSON null) */
	int num;        /* a key size, a path length, keyUsage bits, an
				  * OpenSSL error number */
	int count;      /* how many (certificates below a path length limit) */
	int64_t date;   /* a validity date, the validation day (seconds) */
	uint8_t norder; /* wrong_order: sent indexes in path order */
	uint8_t order[CS_PROBLEM_MAX_ORDER];
	const char *subject; /* the certificate concerned, "" if none */
	const char *name;    /* a second name (an issuer), "" if none */
	const char *text;    /* an algorithm, an AIA URL, "" if none */
};

/* The evidence of a missing intermediate: where the issuer was seen. */
enum diag_evidence {
	DIAG_EV_NONE,
	DIAG_EV_SEEN_IN_CAPTURE,
	DIAG_EV_INTERMEDIATES_FILE,
	DIAG_EV_AIA,
};

struct diag_evidence_rec {
	enum diag_evidence kind;
	bool have_cert; /* the issuer certificate was found */
	bool completes; /* appending it reaches a trusted root */
	uint8_t sha256[CS_SHA256_LEN];
	char source[96]; /* "198.51.100.9:443" or the file */
};

/*
 * The root that made a chain valid with Mozilla's store as it stood on the
 * capture's day (the verdict's ok_at_capture_time), from the root-store
 * timeline: the evidence of the problem that breaks the chain today.
 * Strings belong to whoever holds the record.
 */
struct diag_root_then {
	int64_t store_day;       /* the day of that store (00:00 UTC) */
	const char *label;       /* Mozilla's nickname */
	const char *subject;     /* RFC 4514 */
	uint8_t spki_sha256[32]; /* the key the chain's top certificate verified under */
	uint8_t cert_sha256[32];
	int64_t left_at;              /* the day it left Mozilla's store since, ... */
	const char *left_release;     /* ... with this release ("NSS 3.60"), "" if unknown */
	bool has_distrust_after;      /* Mozilla distrusted server certificates issued */
	int64_t distrust_after;       /* after this day through it, ... */
	int64_t distrust_since;       /* ... from this day ... */
	const char *distrust_release; /* ... and release, "" if unknown */
};

/* What the wording needs beyond the record. */
struct problem_ctx {
	const struct cs_chain *chain; /* subjects for the order list; may be NULL */
	const char *sni;              /* hostname_mismatch */
	size_t sni_len;
	const char *leaf_names;                   /* hostname_mismatch: "a.example, *.b.example" */
	const struct diag_evidence_rec *evidence; /* missing_intermediate, may be NULL */
	int warn_days;
	const struct diag_root_then *then; /* ok_at_capture_time: the root of that day, or NULL */
};

const char *problem_name(enum cs_problem p);
/* The code of a name, CS_P_MAX when unknown. */
enum cs_problem problem_by_name(const char *name);
/* The catalogue's severity (weak_signature and weak_key may be warnings
 * before their cut-off date). */
enum cs_severity problem_default_severity(enum cs_problem p);
const char *severity_name(enum cs_severity s);
/* The codes whose catalogue severity is error (1u << code each). */
uint32_t problem_error_mask(void);
/* The name of one keyUsage bit (CS_KU_*), "" for none or several. */
const char *problem_ku_name(uint32_t bit);
/* One line about the code, for docs/problems.md's table. */
const char *problem_summary(enum cs_problem p);

/* The rest of docs/problems.md's summary table (`make problems-table`). */
struct problem_doc {
	const char *severity;   /* NULL: severity_name of the default */
	const char *cert_index; /* what cert_index points at */
	const char *openssl;    /* the X509_V_ERR_* number(s) OpenSSL reports */
	const char *alert;      /* the alert an OpenSSL 3 client sends */
};
const struct problem_doc *problem_doc(enum cs_problem p);
const char *evidence_name(enum diag_evidence ev);
/* The inverse of evidence_name, -1 for another name. */
int evidence_by_name(const char *s);
/* "leaf", "intermediate", "root"; "" for CS_ROLE_NONE.  And its inverse
 * (-1 for another name). */
const char *problem_role_name(enum cs_role r);
int problem_role_by_name(const char *s);

/* Whether p is an error that the trust store alone decides: the dead end
 * of an untrusted path (missing_intermediate, untrusted_root), the expiry
 * or distrust of the anchor, or what a sent root is blamed for only
 * because it is not an anchor (its signature algorithm, key, expiry).
 * With a store of another day, such a chain may be valid. */
bool problem_store_dependent(const struct diag_problem *p);

/* The message and the fix of a record, NUL-terminated (cut at len); with
 * c->then, a store-dependent problem's message also names the root that
 * made the chain valid on the capture's day and when it left the store. */
void problem_message(const struct diag_problem *p, const struct problem_ctx *c, char *out,
		     size_t len);
void problem_fix(const struct diag_problem *p, const struct problem_ctx *c, char *out, size_t len);
/* The wording of a code seen on earlier handshakes of a chain only. */
void problem_earlier(char *message, size_t mlen, char *fix, size_t flen);

#endif
