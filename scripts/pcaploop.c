/*
 * pcaploop.c - the bare libpcap read loop: the floor of any pcap reader.
 *
 *   pcaploop FILE...
 *
 * Opens each file with pcap_open_offline, reads every record with
 * pcap_next_ex and prints the packets and wire bytes read.  scripts/bench.sh
 * measures chainsniff's throughput against it: the ratio says how much of a
 * read loop's speed is left once every packet is decoded and analysed.
 */
#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>

#include <pcap/pcap.h>

int main(int argc, char **argv)
{
	char err[PCAP_ERRBUF_SIZE];
	uint64_t packets = 0, bytes = 0;
	int status = 0;

	if (argc < 2) {
		fputs("usage: pcaploop FILE...\n", stderr);
		return 2;
	}
	for (int i = 1; i < argc; i++) {
		pcap_t *p = pcap_open_offline(argv[i], err);
		struct pcap_pkthdr *h;
		const unsigned char *data;
		int rc;

		if (!p) {
			fprintf(stderr, "pcaploop: %s: %s\n", argv[i], err);
			status = 1;
			continue;
		}
		while ((rc = pcap_next_ex(p, &h, &data)) == 1) {
			packets++;
			bytes += h->len;
		}
		if (rc == PCAP_ERROR) {
			fprintf(stderr, "pcaploop: %s: %s\n", argv[i], pcap_geterr(p));
			status = 1;
		}
		pcap_close(p);
	}
	printf("packets %" PRIu64 " bytes %" PRIu64 "\n", packets, bytes);
	return status;
}
