/*
 * cs_limits.h - every cap and default in one place, each with its reason.
 * A cap that is hit is counted in the report's "caps" object; none is silent.
 */
#ifndef CS_LIMITS_H
#define CS_LIMITS_H

/* Capture ---------------------------------------------------------------- */

/* libpcap's MAXIMUM_SNAPLEN: whole TSO/GRO loopback segments fit. */
#define CS_SNAPLEN_DEFAULT 262144u
/* A file record claiming more than this is corrupt, not a big packet. */
#define CS_MAX_CAPLEN 262144u
/* pcapng blocks we do not use (NRB, DSB, custom) are skipped in pieces;
 * a block longer than this is treated as corruption. */
#define CS_MAX_PCAPNG_BLOCK (64u * 1024 * 1024)
/* Interfaces per pcapng section: real files have a handful. */
#define CS_MAX_PCAPNG_IFACES 256u
/* -i given more than once: the ports of a tap (one per direction), the
 * members of a bond or a few mirror ports feed one engine; each is a
 * capture socket polled in the loop, so a few is the point, not hundreds. */
#define CS_MAX_IFACES 16
/* Live capture: kernel buffer (MiB) when -B is not given. */
#define CS_LIVE_BUFFER_MIB_DEFAULT 64
/* Capture inputs of one run (-r and -i together): each is an open file or
 * socket and a row of the report's "inputs"; a rotated capture directory is
 * a few dozen files, and a shell glob past this is better split in runs. */
#define CS_MAX_INPUTS 256
/* Link types and error lines remembered per input for the report: a file
 * has one link type (pcapng a few), an input stops at its first hard error. */
#define CS_INPUT_LINKTYPES 8
#define CS_INPUT_ERRORS 4
/* The default kernel filter (livefilter.c) as text: the longest it builds
 * (Linux cooked capture, every tag, tunnel and port clause) is 8.5 KiB. */
#define CS_LIVE_FILTER_TEXT 16384

/* The fanout program (fanout.c): its unrolled parse (Ethernet with 3 tags,
 * PPPoE, CS_MAX_MPLS_LABELS MPLS labels, IPv4/IPv6, GRE, IPIP, VXLAN,
 * Geneve, GTP-U, CS_FANOUT_IP_LEVELS deep) is 765 instructions; the kernel
 * takes 4096 (BPF_MAXINSNS). */
#define CS_FANOUT_PROG_MAX 1024
/* IP headers the fanout hash looks through: the outer one and two tunnels
 * inside it (VXLAN in an IPsec-less GRE, GTP-U in VXLAN); deeper ones hash
 * on the pair of the third level, which is still the same both ways. */
#define CS_FANOUT_IP_LEVELS 3

/* Decode ----------------------------------------------------------------- */

/* 802.1Q/802.1ad tags before giving up (QinQ is 2; more is an attack). */
#define CS_MAX_VLAN_TAGS 8
#define CS_MAX_MPLS_LABELS 8
/* IP-in-IP, GRE, VXLAN, Geneve nested this deep at most. */
#define CS_MAX_TUNNEL_DEPTH 4
/* IPv6 extension headers followed before giving up. */
#define CS_MAX_IPV6_EXT_HEADERS 8
/* GTP-U extension headers: real ones carry one or two; more is malformed. */
#define CS_MAX_GTP_EXT_HEADERS 8
/* Radiotap presence words (bit 31 chains them): one per namespace and
 * antenna; real drivers use up to 4 or 5. */
#define CS_MAX_RADIOTAP_PRESENT 16
/* NFLOG TLVs walked to find the payload: the kernel sends about a dozen. */
#define CS_MAX_NFLOG_TLVS 32

/* IP fragment reassembly --------------------------------------------------- */

/* Datagrams in progress at once: a loaded gateway sees a few hundred
 * (fragmented DNS, tunnels with a small MTU); a new one evicts the oldest. */
#define CS_DEFRAG_MAX_DATAGRAMS 4096u
/* Bytes held by datagrams in progress (their own pool, so that a fragment
 * flood cannot take the budget of TCP handshakes). */
#define CS_DEFRAG_MEMCAP (32u * 1024 * 1024)
/* Filled ranges per datagram: in-order fragments make one, each lost or
 * reordered one at most one more. */
#define CS_DEFRAG_MAX_RANGES 16
/* Capture time from a datagram's first fragment until it is given up:
 * Linux waits 30 s (ipfrag_time), RFC 791 suggests 15 s at least. */
#define CS_DEFRAG_TIMEOUT_S 30
/* IPv4 total length and IPv6 payload length are 16-bit. */
#define CS_DEFRAG_MAX_DATAGRAM 65535u

/* Flow table ------------------------------------------------------------- */

#define CS_MAX_FLOWS_DEFAULT 131072u
/* A flow with no packet for this long (capture time) is finished. */
#define CS_FLOW_IDLE_TIMEOUT_S 120
/* After an RST, the peer's segments already in flight still arrive: they
 * are read for this long (capture time).  Round trips are well below it,
 * even over satellite links. */
#define CS_RST_LINGER_S 2
/* Consecutive frames further apart than this are a clock jump (bogus
 * timestamps, the gap between two capture files): no expiry on them. */
#define CS_CLOCK_JUMP_S 3600

/* Reassembly and buffers --------------------------------------------------- */

/* Total bytes of handshake buffers across all flows: thousands of
 * handshakes in flight at once (a few KiB each), or 64 of the largest
 * Certificate messages; kept within the 200 MB memory budget (README). */
#define CS_BUFFER_MEMCAP_DEFAULT (64u * 1024 * 1024)
/* Bytes one direction may buffer: the largest real Certificate message we
 * know of is 332 KiB (zeek tls-fragmented-handshake); leave room. */
#define CS_FLOW_DIR_CAP (1024u * 1024)
/* Filled ranges tracked per direction (so up to 7 holes): loss and
 * reordering during one handshake flight rarely make more than two; kept
 * small because it lives inside every flow. */
#define CS_REASM_MAX_RANGES 8
/* Other initial sequence numbers remembered per direction when SYN-ACKs
 * repeat with different ones (nDPI tls_multiple_synack_different_seq has 3
 * SYN-ACKs, 2 ISNs). */
#define CS_REASM_MAX_ISNS 4
/* Plaintext before the first TLS record (STARTTLS, MySQL, LDAP preambles). */
#define CS_PREAMBLE_MAX 16384u

/* OpenVPN framing ----------------------------------------------------------- */

/* Packet ids an OpenVPN packet may acknowledge (RELIABLE_ACK_SIZE). */
#define CS_OVPN_MAX_ACKS 8
/* A direction's first packet, a hard reset, is short (about 14 to 100
 * bytes); a longer one is not taken for OpenVPN. */
#define CS_OVPN_MAX_FIRST_PACKET 512
/* Payload of a hard reset: empty, or early-negotiation TLVs (2.6). */
#define CS_OVPN_MAX_RESET_PAYLOAD 64

/* TLS ---------------------------------------------------------------------- */

/* Hunting past the start of a stream walks a whole candidate record before
 * taking it (tls.c, record_coherent): a direction whose plaintext offers more
 * plausible-looking record headers than this, each refused, is not TLS (the
 * walks are bounded work an attacker could otherwise multiply; counted in
 * caps.preamble).  Real preambles hold none or one or two. */
#define CS_HUNT_MAX_INCOHERENT 64

/* RFC 5246 6.2.1: plaintext records are at most 2^14 bytes; compressed and
 * encrypted ones 2^14 + 2048.  Anything longer is not TLS. */
#define CS_TLS_MAX_RECORD (16384u + 2048u)
/* A handshake message longer than this is not buffered (counted). */
#define CS_TLS_MAX_HS_MSG CS_FLOW_DIR_CAP
/* Certificates kept from one Certificate message; longer chains are
 * counted as incomplete (no verdict on a partial chain). */
#define CS_MAX_CHAIN_CERTS 32
/* SNI host names are at most 255 bytes (RFC 1035 + RFC 6066 3). */
#define CS_MAX_SNI 255

/* Fingerprints (JA3, JA4): values kept per ClientHello list (GREASE does
 * not count).  Browsers and TLS libraries stay well below these; cipher
 * scanners offering "ALL" may not.  Past a cap the message is still parsed
 * and checked to the end and JA4's two-digit counts stay exact, but the
 * lists that feed the hashes keep only their first CS_FP_MAX_* values and
 * `capped` is set: such a fingerprint is stable but will not match other
 * tools.  Kept on the stack (about 1 KiB of values, 3 KiB of strings), so
 * the caps bound stack use, not the heap. */
#define CS_FP_MAX_CIPHERS 128
#define CS_FP_MAX_EXTENSIONS 64
#define CS_FP_MAX_GROUPS 64
#define CS_FP_MAX_SIGALGS 64
#define CS_FP_MAX_POINT_FORMATS 16 /* three are defined (RFC 8422 5.1.2) */
/* Distinct ClientHellos whose fingerprints are remembered, per thread
 * (direct-mapped; a client stack sends the same one again and again), and
 * the longest serialised input remembered: longer ones (scanners' cipher
 * lists) are fingerprinted each time. */
#define CS_FP_MEMO_SLOTS 256
#define CS_FP_MEMO_KEY 640
/* subjectAltName DNS names kept per certificate (events, notices): Let's
 * Encrypt issues at most 100 names per certificate, most leaves carry a
 * handful; the count of all of them is kept too. */
#define CS_CERT_MAX_SAN_DNS 32u

/* Root-store timeline (--trust-at; data/root-timeline.json) --------------- */

/* A timeline file: the built-in one is 420 KB; ten times that is not one. */
#define CS_TIMELINE_MAX_BYTES (4u * 1024 * 1024)
/* Roots: Mozilla's store has held 369 for server auth since 2000. */
#define CS_TIMELINE_MAX_ROOTS 4096u
/* Stays in the store per root: the most any root has had is 2. */
#define CS_TIMELINE_MAX_INTERVALS 16u
/* DER SubjectPublicKeyInfo: an RSA-16384 key is about 2 KiB (the largest
 * root key so far is RSA-4096, 550 bytes). */
#define CS_TIMELINE_MAX_SPKI 4096u
/* DER subject and its RFC 4514 text: the longest root subject is 303
 * bytes of DER and 253 of text. */
#define CS_TIMELINE_MAX_NAME 2048u
/* Labels ("VeriSign Class 3 Public Primary Certification Authority - G5")
 * and release names ("NSS trunk b646e2b0089f"). */
#define CS_TIMELINE_MAX_LABEL 256u

/* Chains and servers ------------------------------------------------------ */

/* Distinct chains kept (DER copies). */
#define CS_MAX_CHAINS 65536u
/* Bytes of DER (and the structures holding it) kept across all distinct
 * chains: 65,536 chains of 1 KiB of new certificates each; within the
 * memory budget (README) with the facts and verdicts that go with them. */
#define CS_CHAIN_MEMCAP (64u * 1024 * 1024)
/* (server ip, port, sni) entries in the aggregate. */
#define CS_MAX_SERVERS 65536u
/* Distinct chains listed under one server. */
#define CS_MAX_CHAINS_PER_SERVER 64u
/* Kinds of client rejection (by alert) and client fingerprints (JA3, JA4)
 * listed per server: a server sees a few client stacks.  Further rejection
 * kinds are counted (rejections_dropped); further fingerprints are not
 * listed. */
#define AGG_MAX_REJECTION_KINDS 8
#define AGG_MAX_FINGERPRINTS 8
/* Distinct clients counted exactly per server; past it a HyperLogLog of
 * 2^CS_HLL_P registers estimates them (about 3% error at 1 KiB).  Both
 * are part of the state file format (state.c): changing them makes old
 * state unreadable as it is. */
#define CS_CLIENTSET_EXACT 32
#define CS_HLL_P 10

/* Chain analysis ------------------------------------------------------------ */

/* Paths are not built deeper than this (RFC 5280 sets no limit; clients do:
 * OpenSSL 100, Chrome and Go about 10 intermediates in practice). */
#define CS_DIAG_MAX_DEPTH 10
/* Complete paths scored per analysis, and issuers tried per certificate. */
#define CS_DIAG_MAX_PATHS 64
#define CS_DIAG_MAX_CANDIDATES 8
/* Signature checks per analysis, memo answers included, and their estimated
 * cost: Go's verifier stops at 100 checks, LibreSSL's at 256.  The largest
 * non-hostile chain we know needs far fewer (see README, memory budget); a
 * 32-certificate chain of same-name CA certificates needs thousands.  A chain
 * that exhausts either is judged unknown (analysis_budget). */
#define CS_DIAG_MAX_CHECKS 256u
#define CS_DIAG_MAX_COST_US 100000u /* 100 ms: about 150 P-384 verifications */
/* Name constraints: libcrypto compares each name of a certificate with each
 * subtree of a constraining CA (at most 2^20 comparisons, NAME_CHECK_MAX,
 * beyond which it refuses); a check is charged to the analysis budget at
 * this many comparisons per estimated microsecond (a DNS suffix compare
 * takes tens of nanoseconds), so a hostile constraint set ends in
 * "unknown" after a few checks.  The message names the offending name,
 * found among the first CS_DIAG_NC_NAMES_SHOWN subjectAltNames. */
#define CS_DIAG_NC_COMPARISONS_PER_US 16u
#define CS_DIAG_NC_NAMES_SHOWN 64
/* Parsed certificates kept between analyses (about 5 KiB each): the CA
 * certificates many chains share stay; leaves are parsed once anyway. */
#define CS_DIAG_X509_CACHE 1024u
/* Remembered signature checks (40 bytes each): 10 MiB. */
#define CS_DIAG_MEMO_ENTRIES 262144u
/* Intermediates remembered from other servers to explain missing ones, and
 * at most this many from one server, so that none can crowd out the rest. */
#define CS_DIAG_POOL_MAX 4096u
#define CS_DIAG_POOL_PER_SOURCE 8u
/* Broken chains waiting for an intermediate to explain them. */
#define CS_DIAG_WANTS_MAX 65536u
/* Trust stores of past dates (--trust-at, ok_at_capture_time) kept built:
 * one per span of the root-store timeline over which Mozilla's store did not
 * change (about a month; 242 spans since 2000), so a capture of a few days
 * needs one or two.  Building one rebuilds about 150 roots from their key
 * and name; its estimated cost per anchor (a key decoded, a certificate
 * encoded and signed with Ed25519, hashed) is charged to the analysis that
 * needed it, and so to the per-second budget, since captures with clocks
 * all over the years could otherwise make every analysis build one. */
#define CS_DIAG_DATED_STORES 8u
#define CS_DIAG_DATED_STORE_US_PER_ANCHOR 40u
/* Problems recorded per verdict: a chain of CS_MAX_CHAIN_CERTS
 * certificates with one problem each fits; more are dropped (the verdict's
 * mask still has every code). */
#define CS_DIAG_MAX_PROBLEMS 32
/* Bytes of text (names, messages) of one analysis's problems: 32 problems
 * of about 1 KiB each; a longer text is cut. */
#define CS_DIAG_SCRATCH_BYTES 32768u

/* Trust ------------------------------------------------------------------- */

/* Anchors of one trust store: Debian's ca-certificates bundle has about
 * 150, a corporate store a few hundred more. */
#define CS_MAX_TRUST_ANCHORS 4096u
/* --ca-file/--ca-dir/--add-ca given this many times at most. */
#define CS_MAX_TRUST_SOURCES 16

/* The analysis budget per second of capture time, in estimated microseconds
 * of signature verification: half a core, with ten seconds' worth of burst
 * for a cold start.  Beyond it analyses wait (in arrival order) for capture
 * time to refill it; a live sensor thus never spends more than its second
 * core's share on chains, however many fresh ones a peer sends. */
#define CS_JUDGE_RATE_US 500000u
/* A file's reader parses the certificates of a new chain for the analysis
 * thread only while more than this many analyses wait: then the thread is
 * the bottleneck (thousands of new chains); with a few waiting, the reader
 * is, and parsing would only slow it down. */
#define CS_JUDGE_PREPARSE_BEHIND 32
#define CS_JUDGE_BURST_US 10000000u
/* Chains waiting for budget; when full, a chain is judged unknown
 * (deferred) and asked about again after CS_JUDGE_RETRY_S of capture time. */
#define CS_JUDGE_MAX_DEFERRED 4096u
#define CS_JUDGE_RETRY_S 60
/* Requests and answers in flight between the engine and the analysis
 * thread (a chain has at most one request in flight). */
#define CS_JUDGE_QUEUE 8192u
/* Hostname results cached for (chain, SNI) pairs (8 bytes each): 1 MiB. */
#define CS_JUDGE_HOSTNAMES 131072u
/* Handshakes held by the engine until their verdict comes (about 450
 * bytes each). */
#define CS_ENGINE_MAX_PARKED 16384u
/* Frames discarded at most when a live socket is drained (capture_drain):
 * more than its ring can hold. */
#define CS_CAPTURE_DRAIN_MAX (1u << 22)
/* --workers: packet-path threads on one interface (AF_PACKET fanout).  Each
 * costs a ring (-B) and a flow table, so more than a large server has cores
 * is a typo; the kernel allows 256 members (PACKET_FANOUT_MAX). */
#define CS_MAX_WORKERS 64
/* What a worker has finished and not yet handed to the main engine (its
 * handshakes and counter deltas, about 1 KiB each): 2 MiB per worker.  A
 * full ring makes the worker wait (counted in caps.worker_handoff), and
 * its kernel ring buffers meanwhile. */
#define CS_WORKER_HANDOFF 2048u
/* A worker hands its counters over every this many frames, and when idle. */
#define CS_WORKER_PUBLISH_FRAMES 1024u

/* Trust stores the judge remembers and a report names: the current one
 * and the earlier ones a reload replaced (the first and the latest 63;
 * reloads are rare, by SIGHUP). */
#define CS_JUDGE_MAX_STORES 64
#define CS_VIEW_MAX_STORES 64u
/* Servers a merged report names per window of its "windows" series (the
 * broken ones, for became_broken/fixed): the rest are counted only. */
#define CS_VIEW_MAX_BROKEN 1000u
/* Input errors the HTML report lists (a merge of a year of windows may
 * carry thousands): the JSON keeps them all. */
#define CS_HTML_MAX_INPUT_NOTES 50u
/* Counters merge keeps that this chainsniff has no row for (a newer
 * sensor adds a few): the rest are left out. */
#define CS_MERGE_MAX_EXTRA 1024u
/* A report's "sensor" name (a host name, --sensor-name): longer is not a
 * chainsniff report. */
#define CS_MERGE_MAX_SENSOR_NAME 1024
/* Periodic windows open at once (each an aggregate of its servers): a
 * window waits for the verdicts of its handshakes and for connections
 * that read its chains to end, while capture goes on into later ones
 * (an aggregate of CS_MAX_SERVERS reserves 1.5 MiB of tables).  Past the
 * cap a handshake goes to the nearest open window, counted as late. */
#define CS_SENSOR_MAX_WINDOWS 16u
/* A window is written once capture time is this far past its end (or one
 * interval, if shorter): a handshake whose Certificate message came just
 * before the end is over a few round trips later (a straggler beyond it is
 * counted in the next window, as late). */
#define CS_SENSOR_GRACE_S 5
/* Servers remembered as broken from one report to the next (for
 * became_broken/fixed): as many as the aggregate holds (CS_MAX_SERVERS). */
#define CS_SENSOR_MAX_TRACKED_BROKEN 65536u

/* Server networks (--server-net) and --ignore rules: a site lists a few
 * dozen of either; each is tried per server. */
#define CS_MAX_SERVER_NETS 64
#define CS_MAX_IGNORE_RULES 1024

/* State and report files read back (--state, merge) ------------------------ */

/* The chain store holds at most CS_CHAIN_MEMCAP (64 MiB) of DER, which is
 * 86 MiB as base64; counts and names are small next to it. */
#define CS_STATE_MAX_BYTES (256u * 1024 * 1024)
/* The longest problem text read (a subject, a message, a fix, a name):
 * what chainsniff writes is a few hundred bytes. */
#define CS_STATE_MAX_TEXT 4096u

/* Files written atomically: names of the temporary file tried before
 * giving up (each collision means a name planted in the directory). */
#define CS_ATOMIC_TMP_ATTEMPTS 100

/* SIEM outputs and evidence (--notices, --write-broken) ------------------- */

/* Servers whose previous state --notices remembers (88 bytes a slot, twice
 * this many slots: 11.5 MiB, allocated at start, touched as used): as many
 * as the report's aggregate holds (CS_MAX_SERVERS). */
#define CS_NOTICE_MAX_SERVERS 65536u
/* Recent chains per server: a chain among them is no "chain_changed"
 * (load balancers serve two or three certificates at once). */
#define CS_NOTICE_CHAINS 4
/* Deduplication window of --notices without --interval: one notice of a
 * kind per server per hour of capture time. */
#define CS_NOTICE_WINDOW_S 3600
/* --write-broken: packets of handshakes in progress, held until their
 * verdict says whether they are evidence.  The pool is reserved at start
 * (pages touched as used) in chunks, so holding a packet never allocates;
 * a handshake is a few KiB (10,000 at once fit), the largest real one
 * (332 KiB certificate) about 360 KiB. */
#define CS_EVIDENCE_MEMCAP (64u * 1024 * 1024)
#define CS_EVIDENCE_CHUNK 256u
/* Bytes held for one connection: both directions of a handshake at their
 * reassembly caps (CS_FLOW_DIR_CAP) plus headers and ACKs; beyond it the
 * rest of the connection is not kept (counted: caps.evidence_flow_cap). */
#define CS_EVIDENCE_FLOW_CAP (2u * CS_FLOW_DIR_CAP + 512u * 1024)
/* Link types of one run written to evidence files (one file each). */
#define CS_EVIDENCE_LINKTYPES 8
/* A server's BPF and tshark filters (evidence_filters): a 255-byte SNI
 * with every byte escaped as \xHH, and the address and port clauses. */
#define CS_EVIDENCE_FILTER_LEN 1200

#endif
