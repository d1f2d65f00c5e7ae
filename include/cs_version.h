/*
 * cs_version.h - what `chainsniff --version` prints: chainsniff's version
 * and the versions of the libraries it runs with (asked at run time, so a
 * library upgraded under the binary shows), as tcpdump --version does.
 */
#ifndef CS_VERSION_H
#define CS_VERSION_H

#include <stdio.h>

/* "chainsniff 0.1.0", then one line each for libpcap, OpenSSL, jansson. */
void version_print(FILE *f);

#endif
