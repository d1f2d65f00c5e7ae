/*
 * version.c - chainsniff's and its libraries' run-time versions
 * (cs_version.h): libpcap's pcap_lib_version(), OpenSSL's
 * OpenSSL_version(OPENSSL_VERSION), jansson's jansson_version_str().
 */
#include "cs_version.h"

#include <jansson.h>
#include <openssl/crypto.h>
#include <pcap/pcap.h>

void version_print(FILE *f)
{
	fprintf(f, "chainsniff %s\n%s\n%s\njansson %s\n", CS_VERSION, pcap_lib_version(),
		OpenSSL_version(OPENSSL_VERSION), jansson_version_str());
}
