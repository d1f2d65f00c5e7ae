/*
 * benchgen.h - types and functions shared by the parts of benchgen
 * (scripts/benchgen.c and the files beside this one): constants of the workloads,
 * the PRNG and buffers, the PKI, connections and the generation state.
 */
#ifndef BENCHGEN_H
#define BENCHGEN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include <openssl/evp.h>
#include <openssl/x509.h>

#define BENCHGEN_VERSION 1

/* Capture date of every workload: 2025-05-12T08:00:00Z. */
#define T0_EPOCH 1747036800LL
#define DAY 86400LL
#define USEC 1000000ULL

/* Link: Ethernet MTU 1500, TCP timestamps on every segment (Linux). */
#define MSS 1448u
#define ETH_LEN 14u
#define IP_LEN 20u
#define TCP_LEN 20u
#define TCP_OPT_SYN 20u
#define TCP_OPT_TS 12u
#define UDP_LEN 8u
#define FRAME_MAX 1600u

/* TLS records of bulk application data: 2^14 plaintext bytes with AES-GCM's
 * 8-byte explicit nonce and 16-byte tag, as OpenSSL writes them. */
#define TLS_REC_MAX 16384u
#define BULK_REC_BODY (16384u + 24u)
#define BULK_REC (5u + BULK_REC_BODY)

/* Payload bytes that are not structure (ciphertext, keys, bodies) are taken
 * from a pool of PRNG bytes at a per-flight offset. */
#define POOL_SIZE (1u << 20)

/* PRNG state: xoshiro256**, seeded through splitmix64 (Blackman and Vigna). */
struct rng {
	uint64_t s[4];
};

/* Zipf popularity (exponent 1): rank 0 is the most popular. */
struct zipf {
	double *cdf;
	uint32_t n;
};

/* Growable byte buffer with big-endian writers. */
struct buf {
	uint8_t *p;
	size_t len, cap;
};

/* Key types: every one appears at every level of the PKI. */
enum kt { KT_RSA2048, KT_RSA4096, KT_P256, KT_P384, KT_N };

/* One certificate's DER. */
struct der {
	uint8_t *p;
	uint32_t len;
};

/* A certificate authority of the workload's PKI. */
struct ca {
	X509 *x;
	EVP_PKEY *key;
	struct der der;
	char cn[64];
};

/* What a chain is meant to be; the broken kinds have one server each. */
enum chain_kind {
	CK_OK,          /* leaf, intermediate */
	CK_OK_DEEP,     /* leaf, intermediate, its issuing intermediate */
	CK_OK_ROOT,     /* leaf, intermediate, root (root_included warning) */
	CK_LEAF_ONLY,   /* leaf without its intermediate */
	CK_WRONG_ORDER, /* leaf, the top intermediate, then the issuing one */
	CK_EXPIRED_LEAF,
	CK_UNTRUSTED_ROOT, /* leaf, intermediate, a self-signed root not in the bundle */
	CK_HOSTNAME,       /* the leaf names other hosts than the SNI */
	CK_HOSTILE_SHARED, /* 32-certificate cycle, CA certificates shared */
	CK_HOSTILE_FRESH,  /* 32-certificate cycle under a fresh key */
	CK_N
};

/* Name and expected error codes of each kind, for the ground truth. */
struct chain_kind_info {
	const char *name;
	const char *codes; /* JSON array of the error codes a correct verdict has */
	bool broken;
};

#define BROKEN_KINDS 5 /* CK_LEAF_ONLY .. CK_HOSTNAME */

/* A distinct chain as sent, with what the ground truth needs. */
struct chain {
	struct der *certs; /* sent order; certs[i].p owned unless shared[i] */
	bool *shared;
	uint32_t ncerts;
	uint32_t tls_len; /* bytes of the TLS Certificate message body */
	enum chain_kind kind;
	enum kt leaf_kt;
	bool seen, seen_in_slice;
	uint8_t sha256[32];
};

/* A TLS server (IP, port, SNI) and the chain it sends. */
struct server {
	uint32_t ip;
	uint16_t port;
	bool tls13;     /* negotiates TLS 1.3: its chain is never visible */
	bool full_seen; /* a full handshake happened: tickets exist */
	uint32_t chain;
	char sni[64];
	uint32_t tls_hs, chain_hs;
};

/* The CAs and leaf keys of a profile. */
struct pki {
	struct ca roots[7];
	struct ca inter1[14]; /* two under each root */
	struct ca inter2[4];  /* under inter1[0..3]: deep chains */
	struct ca untrusted_root, untrusted_inter;
	struct ca many_root, many_inter[4]; /* manychains: all P-256 */
	EVP_PKEY *leaf_keys[KT_N][3];
	unsigned nleaf_keys[KT_N];
};

enum conn_kind { K_TLS, K_HTTP, K_SSH, K_DNS };
enum tls_mode { M_FULL12, M_RESUMED12, M_TLS13 };
/* Where a flight's bytes come from: stored, or streamed from the pool. */
enum flight_src { FL_BUF, FL_BULK_TLS, FL_BULK_RAW };

#define TH_FIN 0x01
#define TH_SYN 0x02
#define TH_PSH 0x08
#define TH_ACK 0x10

/* Bytes one side sends in a row (direction 0: client to server). */
struct flight {
	uint32_t off, len; /* FL_BUF: bytes in conn->data */
	uint8_t dir, src;
	uint32_t pool_off; /* FL_BULK_*: where in the pool the bytes start */
};

/* One packet of a connection, in its script. */
struct pdesc {
	uint64_t t;        /* capture time, microseconds since T0 */
	uint32_t seq, ack; /* relative to the sender's / receiver's ISN */
	uint32_t len, foff;
	uint32_t ord; /* scripting order: tie-break when sorting */
	uint16_t flight;
	uint8_t dir, flags;
	uint8_t mark; /* PM_* below */
};

#define PM_CLIENT_HELLO 1 /* carries the ClientHello */
#define PM_CERT_DONE 2    /* completes the server's Certificate message */

/* A connection: its endpoints, its flights and its packets in time order;
 * net.c emits them one by one (`next`). */
struct conn {
	uint64_t id;
	uint8_t kind, mode;
	bool udp;
	uint32_t ip[2];
	uint16_t port[2];
	uint32_t isn[2], ts0[2];
	uint16_t ipid[2];
	uint8_t ttl[2];
	uint32_t rtt;     /* microseconds */
	uint64_t clock;   /* scripting: time of the last packet placed */
	uint32_t sent[2]; /* scripting: sequence space used by each side */
	struct buf data;
	struct flight *fl;
	size_t nfl, capfl;
	struct pdesc *pk;
	size_t npk, cappk, next;
	int32_t server; /* index or -1 */
	int32_t chain;  /* chain whose Certificate message it carries, or -1 */
	bool bulk;
};

/* Arrival of one connection, drawn by a profile. */
struct spec {
	uint64_t t;
	uint8_t kind;
	int32_t server;
	uint32_t client;
	uint64_t resp_bytes; /* server -> client application bytes */
	bool bulk;
};

/* Everything one generation needs. */
struct gen {
	const char *profile, *prefix, *key_dir, *dump_dir;
	uint64_t seed;
	double scale;
	uint64_t slice_limit; /* file bytes of the slice */
	struct rng r_pki, r_traffic, r_payload;
	uint8_t *pool;
	struct pki pki;
	struct chain *chains;
	uint32_t nchains, capchains;
	struct server *servers;
	uint32_t nservers;
	struct zipf popularity;
	uint32_t nclients;
	uint16_t *client_port;
	uint64_t duration_us;
	double tls13_share, resume_p;
	/* output */
	FILE *pcap;
	uint64_t file_bytes, packets, wire_bytes, last_t;
	uint64_t flows, tcp_flows, udp_flows, flows_by_kind[4];
	uint64_t tls_hs, chain_hs, tls13, resumed;
	uint64_t bulk_payload, bulk_frame_bytes, noise_frame_bytes;
	uint64_t slice_packets, slice_bytes, slice_tls_hs, slice_cert_msgs;
	bool slice_done;
	uint64_t next_conn_id;
};

/* What a leaf certificate needs. */
struct leafspec {
	EVP_PKEY *key;
	const struct ca *issuer;
	const char *san;
	const char *cn;
	bool aia, expired;
};

/* Merges the arrivals' packets in time order into the pcap. */
typedef bool (*arrival_fn)(struct gen *g, void *state, struct spec *out);

/* util.c */
/* prints "benchgen: MESSAGE" and libcrypto's errors, exits 1 */
void die(const char *fmt, ...) __attribute__((noreturn, format(printf, 1, 2)));
void *xmalloc(size_t n);
void *xcalloc(size_t n, size_t size);
void *xrealloc(void *p, size_t n);
void rng_seed(struct rng *r, uint64_t seed, uint64_t stream);
uint64_t rng_u64(struct rng *r);
double rng_unit(struct rng *r);
uint32_t rng_below(struct rng *r, uint32_t n);
uint32_t rng_range(struct rng *r, uint32_t lo, uint32_t hi);
bool rng_chance(struct rng *r, double p);
double rng_exp(struct rng *r, double mean);
double rng_lognormal(struct rng *r, double median, double sigma);
void rng_fill(struct rng *r, uint8_t *p, size_t n);
void shuffle_u8(struct rng *r, uint8_t *a, size_t n);
void zipf_init(struct zipf *z, uint32_t n, double s);
uint32_t zipf_draw(const struct zipf *z, struct rng *r);
void buf_put(struct buf *b, const void *d, size_t n);
void buf_u8(struct buf *b, unsigned v);
void buf_u16(struct buf *b, unsigned v);
void buf_u24(struct buf *b, size_t v);
void buf_rand(struct buf *b, struct rng *r, size_t n);
size_t buf_open(struct buf *b, int width);
void buf_close(struct buf *b, size_t at, int width);
void buf_free(struct buf *b);
uint32_t ip4(unsigned a, unsigned b, unsigned c, unsigned d);

/* pki.c */
EVP_PKEY *key_generate(enum kt t);
EVP_PKEY *key_get(const char *key_dir, const char *role, enum kt t, unsigned idx);
void pubkey_cache_forget(EVP_PKEY *k);
extern const struct chain_kind_info ck_info[CK_N];
void pki_build_web(struct gen *g);
void pki_build_many(struct gen *g);
void roots_write(struct gen *g, const struct ca *const *roots, size_t n);
uint32_t chain_new(struct gen *g, enum chain_kind kind, uint32_t ncerts);
void chain_set(struct chain *c, uint32_t i, struct der d, bool shared);
void chain_seal(struct chain *c);
struct der leaf_make(struct gen *g, const struct leafspec *l);
void servers_build_web(struct gen *g, uint32_t nservers, uint32_t nok, uint32_t broken_per_kind,
		       uint32_t net);
void hostile_cas(struct gen *g, EVP_PKEY *key, struct der *out, X509 **leaf_issuer);
void pki_free(struct gen *g);

/* tls.c */
void tls_record_rand(struct buf *out, unsigned type, size_t len, struct rng *r);
void tls_ccs(struct buf *out);
void tls_client_hello(struct buf *out, struct rng *r, const char *sni, bool ticket);
void tls12_server_hello(struct buf *out, struct rng *r, enum kt leaf_kt, const uint8_t *resume_sid);
void tls12_certificate(struct buf *out, const struct chain *c);
void tls12_server_key_exchange(struct buf *out, struct rng *r, enum kt leaf_kt);
void tls12_server_hello_done(struct buf *out);
void tls12_client_finish(struct buf *out, struct rng *r, bool key_exchange);
void tls12_server_finish(struct buf *out, struct rng *r, bool ticket);
void tls13_server_flight(struct buf *out, struct rng *r, const uint8_t *sid, const struct chain *c);

/* flow.c */
struct conn *conn_start(struct gen *g, const struct spec *sp);

/* net.c */
void sc_ctl(struct conn *c, uint8_t dir, uint64_t delay, uint8_t flags);
void sc_data(struct conn *c, uint8_t dir, uint64_t delay, uint8_t src, const void *bytes,
	     uint32_t len, uint32_t gap, bool fin);
void conn_finish_script(struct conn *c);
void mark_byte(struct conn *c, uint32_t off, uint8_t mark);
void pcap_open(struct gen *g);
void run_traffic(struct gen *g, arrival_fn next, void *state);

#endif
