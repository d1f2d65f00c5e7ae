/*
 * cs_merge.h - `chainsniff merge`: the reports of several sensors (or
 * several days) combined into one, with the same schema and ranking.
 *
 * Inputs are state-style reports (--state files, --format state, or
 * earlier merges): they carry each certificate's DER and each client set's
 * sketch, so chains are matched by SHA-256 and distinct clients are
 * counted across sensors without counting a client twice.  Servers are
 * matched by (server_ip, server_port, sni); counts are summed, first_seen
 * is the earliest, last_seen the latest; client sets merge as
 * clientset_merge does (exact union up to 32 hashes, then HyperLogLog
 * register maxima); problems are the union (one per chain, code and
 * cert_index); "sensors" lists every sensor window merged in.  Because
 * each of these is associative and commutative, merge(A, B, C),
 * merge(merge(A, B), C) and merge(C, merge(B, A)) are the same report
 * (while no cap is hit).  The output is again a valid input.
 *
 * Two inputs holding the same sensor over overlapping time windows would
 * count the same handshakes twice: merge refuses them (exit 6), naming
 * both files.  Different trust stores are only warned about.
 */
#ifndef CS_MERGE_H
#define CS_MERGE_H

/* argv[0] is "merge".  Returns the exit code (docs/exit-codes.md). */
int merge_main(int argc, char **argv);

struct cli_spec;
/* merge's command line (for the man page, cli_man). */
const struct cli_spec *merge_cli_spec(void);

#endif
