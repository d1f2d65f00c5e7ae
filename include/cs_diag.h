/*
 * cs_diag.h - what a strict client would conclude about a chain, at the
 * time of the capture, and how to fix it.
 *
 * The path is built the way modern clients build it: from the leaf, through
 * the certificates as sent in any order plus the trust anchors (anchors
 * tried first, every alternative issuer considered), so that a chain with a
 * valid path is not called broken because of a stale cross-certificate it
 * also carries.  Problems are then reported against the chain as sent
 * (cs_problems.h).  Issuers are matched by name and key identifiers and
 * confirmed by signature; certificates are identified by SHA-256, never by
 * name.  Intermediates seen from other servers and --intermediates only
 * explain a broken chain, they never make it valid.
 *
 * Cost: each distinct chain is parsed once; its verdict is cached until the
 * capture time crosses a validity boundary (a notBefore/notAfter, an
 * expiring-soon threshold, a weak-algorithm cut-off).  The hostname is
 * checked per (chain, SNI).
 */
#ifndef CS_DIAG_H
#define CS_DIAG_H

#include "cs_chain.h"
#include "cs_problems.h"
#include "cs_trust.h"

#define CS_DIAG_MAX_PROBLEMS 32
#define CS_DIAG_WARN_DAYS_DEFAULT 30
/* Intermediates remembered from other servers to explain missing ones. */
#define CS_DIAG_POOL_MAX 4096u

/* Dates from which clients refused weak algorithms (docs/problems.md). */
#define CS_MD5_CUTOFF 1230768000LL   /* 2009-01-01: rogue CA from MD5 collisions (2008) */
#define CS_RSA1024_CUTOFF 1388534400LL /* 2014-01-01: CA/B deadline, 1024-bit roots removed */
#define CS_SHA1_CUTOFF 1483228800LL  /* 2017-01-01: Chrome 56 / Firefox 51 reject SHA-1 */
#define CS_CLOCK_SANE_FROM 946684800LL /* 2000-01-01: earlier capture clocks are wrong */

enum diag_evidence {
	DIAG_EV_NONE,
	DIAG_EV_SEEN_IN_CAPTURE,
	DIAG_EV_INTERMEDIATES_FILE,
	DIAG_EV_AIA,
};

struct diag_problem {
	enum cs_problem code;
	enum cs_severity severity;
	int cert_index;           /* in the chain as sent; -1: none (JSON null) */
	char subject[512];        /* the certificate concerned (RFC 4514), "" if none */
	char message[768];
	char fix[1024];
	enum diag_evidence evidence; /* missing_intermediate only */
	bool evidence_cert;          /* the missing issuer was seen: */
	uint8_t evidence_sha256[32];
	char evidence_source[96];    /* "198.51.100.9:443" or the --intermediates file */
	char aia_url[256];
};

struct diag_opts {
	int warn_days;
};

struct diag;

struct diag *diag_new(const struct cs_trust *t, const struct diag_opts *o);
void diag_free(struct diag *d);

/* Known intermediates from a PEM bundle (--intermediates). */
enum cs_status diag_load_intermediates(struct diag *d, const char *path, char *err, size_t errlen);
/* Remember the CA certificates a server sent (explains other servers' gaps). */
void diag_note_chain(struct diag *d, const struct cs_chain *c, const char *server);

/* Verdict for one handshake: a bit per problem code (1u << code) and
 * whether any is an error.  Cached per chain; cheap. */
uint32_t diag_handshake(struct diag *d, const struct cs_chain *c, const char *sni,
			size_t sni_len, int64_t when, bool *broken);
/* Every problem with its message and fix, at time when (seconds). */
size_t diag_explain(struct diag *d, const struct cs_chain *c, const char *sni, size_t sni_len,
		    int64_t when, struct diag_problem *out, size_t max);
const struct cs_trust *diag_trust(const struct diag *d);
int diag_warn_days(const struct diag *d);
/* Count of cache hits and full analyses (for the report and the bench). */
void diag_stats(const struct diag *d, uint64_t *analyses, uint64_t *cache_hits);

#endif
