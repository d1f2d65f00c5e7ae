/*
 * test_evidence.c - --write-broken's pool and files (cs_evidence.h): held
 * packets come back out byte for byte, with nanosecond times, in order,
 * read by libpcap itself (pcap_open_offline); packets of a second link type
 * go to FILE.<NAME>.ext, raw IP of every spelling (101, 12, 14) to one
 * DLT_RAW file; a run with nothing written leaves a valid empty pcap; the
 * pool gives every chunk back (releasing and writing), the per-connection
 * cap and the pool cap cut a connection and are counted, and a cut
 * connection still writes what it held; the filters of IPv4/IPv6 servers,
 * with and without SNI, escaped.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <pcap/pcap.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cs_addr.h"
#include "cs_decode.h"
#include "cs_evidence.h"
#include "cs_limits.h"

static char dir[64], path[128];
static uint8_t frame[CS_MAX_CAPLEN];

static int setup(void **state)
{
	(void)state;
	snprintf(dir, sizeof(dir), "/tmp/cs-evidence.XXXXXX");
	if (!mkdtemp(dir))
		return -1;
	snprintf(path, sizeof(path), "%s/broken.pcap", dir);
	return 0;
}

static int teardown(void **state)
{
	char cmd[128];

	(void)state;
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	return system(cmd);
}

/* Frame i: caplen bytes of a pattern only it has. */
static struct cs_frame make_frame(uint32_t i, uint32_t caplen, int linktype)
{
	for (uint32_t k = 0; k < caplen; k++)
		frame[k] = (uint8_t)(i * 31 + k * 7);
	return (struct cs_frame){.ts_ns = 1700000000LL * CS_NS_PER_SEC + i * 1000 + 7,
				 .caplen = caplen,
				 .wirelen = caplen + i,
				 .linktype = linktype,
				 .data = frame};
}

/* The file's packets are frames first..first+n-1 of make_frame. */
static void expect_file(const char *file, int dlt, uint32_t first, uint32_t n, const uint32_t *lens)
{
	char err[PCAP_ERRBUF_SIZE];
	pcap_t *p = pcap_open_offline_with_tstamp_precision(file, PCAP_TSTAMP_PRECISION_NANO, err);
	struct pcap_pkthdr *h;
	const u_char *d;
	uint32_t got = 0;

	if (!p)
		fail_msg("%s: %s", file, err);
	assert_int_equal(pcap_datalink(p), dlt);
	assert_int_equal(pcap_get_tstamp_precision(p), PCAP_TSTAMP_PRECISION_NANO);
	while (pcap_next_ex(p, &h, &d) == 1) {
		struct cs_frame f = make_frame(first + got, lens[got], 0);

		assert_true(got < n);
		assert_int_equal(h->caplen, f.caplen);
		assert_int_equal(h->len, f.wirelen);
		assert_int_equal((int64_t)h->ts.tv_sec * CS_NS_PER_SEC + h->ts.tv_usec, f.ts_ns);
		assert_memory_equal(d, frame, f.caplen);
		got++;
	}
	assert_int_equal(got, n);
	pcap_close(p);
}

static void test_write_and_read_back(void **state)
{
	(void)state;
	static const uint32_t lens[] = {54, 1514, 300, 66, 9000, 1, 257, 256};
	char err[256], sll[160], raw[160];
	struct evidence *ev = evidence_new(path, err, sizeof(err));
	struct evidence_buf a = {0}, b = {0};
	struct evidence_stats st;
	struct stat sb;

	assert_non_null(ev);
	assert_int_equal(stat(path, &sb), 0);
	assert_int_equal(sb.st_mode & 0600, 0600);
	assert_int_equal(sb.st_mode & 0137, 0); /* at most 0640: never for others */
	for (uint32_t i = 0; i < 8; i++) {
		struct cs_frame f = make_frame(i, lens[i], CS_LINKTYPE_ETHERNET);

		evidence_hold(ev, &a, &f);
	}
	/* another connection: Linux cooked, then raw IP in its three numbers */
	for (uint32_t i = 0; i < 3; i++) {
		struct cs_frame f = make_frame(100 + i, lens[i], CS_LINKTYPE_LINUX_SLL);

		evidence_hold(ev, &b, &f);
	}
	assert_int_equal(a.packets, 8);
	evidence_write(ev, &a);
	evidence_write(ev, &b);
	{
		struct evidence_buf r = {0};
		int lts[] = {CS_LINKTYPE_RAW, CS_DLT_RAW_ALT1, CS_DLT_RAW_ALT2};

		for (uint32_t i = 0; i < 3; i++) {
			struct cs_frame f = make_frame(200 + i, lens[i], lts[i]);

			evidence_hold(ev, &r, &f);
		}
		evidence_write(ev, &r);
	}
	evidence_get_stats(ev, &st);
	assert_int_equal(st.handshakes, 3);
	assert_int_equal(st.packets, 14);
	assert_true(evidence_close(ev, CS_LINKTYPE_ETHERNET));
	evidence_free(ev);
	expect_file(path, DLT_EN10MB, 0, 8, lens);
	snprintf(sll, sizeof(sll), "%s/broken.LINUX_SLL.pcap", dir);
	expect_file(sll, DLT_LINUX_SLL, 100, 3, lens);
	snprintf(raw, sizeof(raw), "%s/broken.RAW.pcap", dir);
	expect_file(raw, DLT_RAW, 200, 3, lens);
}

static void test_nothing_written_is_a_pcap(void **state)
{
	(void)state;
	char err[256];
	struct evidence *ev = evidence_new(path, err, sizeof(err));
	struct evidence_buf a = {0};
	struct cs_frame f = make_frame(1, 100, CS_LINKTYPE_ETHERNET);

	assert_non_null(ev);
	evidence_hold(ev, &a, &f);
	evidence_release(ev, &a); /* not broken */
	assert_true(evidence_close(ev, CS_LINKTYPE_LINUX_SLL));
	evidence_free(ev);
	expect_file(path, DLT_LINUX_SLL, 0, 0, NULL);
}

/* Every chunk comes back: after holding until the pool is full, releasing
 * and writing, the whole pool can be held again. */
static void test_pool_caps(void **state)
{
	(void)state;
	enum { CONNS = 64 };
	static struct evidence_buf bufs[CONNS];
	char err[256];
	struct evidence *ev = evidence_new(path, err, sizeof(err));
	struct evidence_stats st;
	struct cs_frame big = make_frame(5, CS_MAX_CAPLEN, CS_LINKTYPE_ETHERNET);
	uint64_t held = 0, again = 0;

	assert_non_null(ev);
	/* one connection: at most CS_EVIDENCE_FLOW_CAP bytes, then cut */
	for (int i = 0; i < 20; i++)
		evidence_hold(ev, &bufs[0], &big);
	evidence_get_stats(ev, &st);
	assert_true(bufs[0].cut);
	assert_int_equal(st.flow_cap, 1);
	assert_true(bufs[0].bytes <= CS_EVIDENCE_FLOW_CAP);
	assert_int_equal(bufs[0].packets, CS_EVIDENCE_FLOW_CAP / (CS_MAX_CAPLEN + 20));
	/* a cut connection still writes what it held */
	evidence_write(ev, &bufs[0]);
	assert_int_equal(bufs[0].bytes, 0);
	/* fill the pool */
	for (int c = 0; c < CONNS; c++)
		for (int i = 0; i < 9; i++)
			evidence_hold(ev, &bufs[c], &big);
	for (int c = 0; c < CONNS; c++)
		held += bufs[c].packets;
	evidence_get_stats(ev, &st);
	assert_true(st.memcap > 0);
	assert_int_equal(held, CS_EVIDENCE_MEMCAP / ((CS_MAX_CAPLEN + 20 + CS_EVIDENCE_CHUNK - 1) /
						     CS_EVIDENCE_CHUNK * CS_EVIDENCE_CHUNK));
	for (int c = 0; c < CONNS; c++) /* a few written (4 MiB), the rest released */
		if (c >= 4)
			evidence_release(ev, &bufs[c]);
		else
			evidence_write(ev, &bufs[c]);
	for (int c = 0; c < CONNS; c++)
		for (int i = 0; i < 9; i++)
			evidence_hold(ev, &bufs[c], &big);
	for (int c = 0; c < CONNS; c++)
		again += bufs[c].packets, evidence_release(ev, &bufs[c]);
	assert_int_equal(again, held);
	assert_true(evidence_close(ev, CS_LINKTYPE_ETHERNET));
	evidence_free(ev);
}

static void test_filters(void **state)
{
	(void)state;
	char bpf[CS_EVIDENCE_FILTER_LEN], ts[CS_EVIDENCE_FILTER_LEN], sni[CS_MAX_SNI];
	struct cs_addr v4, v6;

	assert_true(cs_addr_parse("192.0.2.7", &v4));
	assert_true(cs_addr_parse("2001:db8::1", &v6));
	evidence_filters(&v4, 443, "a.test", 6, bpf, sizeof(bpf), ts, sizeof(ts));
	assert_string_equal(bpf, "host 192.0.2.7 and tcp port 443");
	assert_string_equal(ts, "ip.addr == 192.0.2.7 && tcp.port == 443 && "
				"tls.handshake.extensions_server_name == \"a.test\"");
	evidence_filters(&v6, 8443, NULL, 0, bpf, sizeof(bpf), ts, sizeof(ts));
	assert_string_equal(bpf, "host 2001:db8::1 and tcp port 8443");
	assert_string_equal(ts, "ipv6.addr == 2001:db8::1 && tcp.port == 8443 && "
				"tls.handshake.type == 1 && !tls.handshake.extensions_server_name");
	evidence_filters(&v4, 443, "q\"\\\t.x", 6, bpf, sizeof(bpf), ts, sizeof(ts));
	assert_string_equal(ts, "ip.addr == 192.0.2.7 && tcp.port == 443 && "
				"tls.handshake.extensions_server_name == \"q\\\"\\\\\\x09.x\"");
	evidence_filters(&v4, 443,
			 "\xff"
			 "b",
			 2, bpf, sizeof(bpf), ts, sizeof(ts));
	assert_string_equal(ts, "ip.addr == 192.0.2.7 && tcp.port == 443 && "
				"tls.handshake.type == 1 && tls contains 00:00:02:ff:62");
	/* the longest names fit whole */
	memset(sni, '\x01', sizeof(sni));
	evidence_filters(&v6, 443, sni, sizeof(sni), bpf, sizeof(bpf), ts, sizeof(ts));
	assert_non_null(strstr(ts, "\\x01\""));
	memset(sni, '\x80', sizeof(sni));
	evidence_filters(&v6, 443, sni, sizeof(sni), bpf, sizeof(bpf), ts, sizeof(ts));
	assert_int_equal(strlen(strstr(ts, "00:00:ff:")), strlen("00:00:ff") + 3 * sizeof(sni));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_write_and_read_back),
		cmocka_unit_test(test_nothing_written_is_a_pcap),
		cmocka_unit_test(test_pool_caps),
		cmocka_unit_test(test_filters),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
