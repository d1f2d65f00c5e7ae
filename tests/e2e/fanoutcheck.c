/*
 * fanoutcheck.c - the fanout program (src/fanout.c) for tests/e2e/fanout.sh:
 *   fanoutcheck prog N        the kernel form, one "code jt jf k" line per instruction
 *   fanoutcheck workers N F   the worker of each frame of capture F (user-space form)
 * Built by fanout.sh against the binary's libchainsniff.a.
 */
#include "cs_fanout.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int main(int argc, char **argv)
{
	unsigned n = argc > 2 ? (unsigned)atoi(argv[2]) : 0;

	if (argc == 3 && !strcmp(argv[1], "prog")) {
		struct bpf_insn p[CS_FANOUT_PROG_MAX];
		size_t len = fanout_program(n, p, CS_FANOUT_PROG_MAX);

		for (size_t i = 0; i < len; i++)
			printf("%u %u %u %u\n", p[i].code, p[i].jt, p[i].jf, p[i].k);
		return len ? 0 : 1;
	}
	if (argc == 4 && !strcmp(argv[1], "workers")) {
		char err[PCAP_ERRBUF_SIZE];
		pcap_t *pc = pcap_open_offline(argv[3], err);
		struct pcap_pkthdr *h;
		const u_char *d;

		if (!pc) {
			fprintf(stderr, "fanoutcheck: %s\n", err);
			return 1;
		}
		while (pcap_next_ex(pc, &h, &d) == 1)
			printf("%u\n", fanout_worker_of(d, h->caplen, n));
		pcap_close(pc);
		return 0;
	}
	fprintf(stderr, "usage: fanoutcheck prog N | fanoutcheck workers N FILE\n");
	return 2;
}
