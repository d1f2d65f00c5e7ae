/*
 * ciphersuite.c - the key exchange of TLS 1.0-1.2 cipher suites and the
 * keyUsage bit it needs of the server certificate (cs_ciphersuite.h).
 *
 * One table of value ranges from the IANA "TLS Cipher Suites" registry,
 * in order.  Only suites whose key exchange uses the certificate's key are
 * listed: RSA key transport (also RSA_PSK, RFC 4279 2), signed DHE/ECDHE
 * and SRP (RFC 5054 2.5), static DH/ECDH (RFC 5246 7.4.2, RFC 4492 2).
 * Export suites are left out: their RSA key transport may use a temporary
 * key the server signs, and no client offers them any more.
 */
#include "cs_ciphersuite.h"
#include "cs_problems.h"

enum kex {
	RSA,
	RSA_PSK,
	DHE_RSA,
	DHE_DSS,
	ECDHE_RSA,
	ECDHE_ECDSA,
	SRP_RSA,
	SRP_DSS,
	DH_RSA,
	DH_DSS,
	ECDH_RSA,
	ECDH_ECDSA,
};

static const struct cs_kex kexes[] = {
	[RSA] = {"RSA", CS_KU_KEY_ENCIPHERMENT},
	[RSA_PSK] = {"RSA_PSK", CS_KU_KEY_ENCIPHERMENT},
	[DHE_RSA] = {"DHE_RSA", CS_KU_DIGITAL_SIGNATURE},
	[DHE_DSS] = {"DHE_DSS", CS_KU_DIGITAL_SIGNATURE},
	[ECDHE_RSA] = {"ECDHE_RSA", CS_KU_DIGITAL_SIGNATURE},
	[ECDHE_ECDSA] = {"ECDHE_ECDSA", CS_KU_DIGITAL_SIGNATURE},
	[SRP_RSA] = {"SRP_SHA_RSA", CS_KU_DIGITAL_SIGNATURE},
	[SRP_DSS] = {"SRP_SHA_DSS", CS_KU_DIGITAL_SIGNATURE},
	[DH_RSA] = {"DH_RSA", CS_KU_KEY_AGREEMENT},
	[DH_DSS] = {"DH_DSS", CS_KU_KEY_AGREEMENT},
	[ECDH_RSA] = {"ECDH_RSA", CS_KU_KEY_AGREEMENT},
	[ECDH_ECDSA] = {"ECDH_ECDSA", CS_KU_KEY_AGREEMENT},
};

static const struct {
	uint16_t first, last;
	uint8_t kex;
} ranges[] = {
	{0x0001, 0x0002, RSA},         {0x0004, 0x0005, RSA},         {0x0007, 0x0007, RSA},
	{0x0009, 0x000a, RSA},         {0x000b, 0x000d, DH_DSS},      {0x000e, 0x0010, DH_RSA},
	{0x0011, 0x0013, DHE_DSS},     {0x0014, 0x0016, DHE_RSA},     {0x002e, 0x002e, RSA_PSK},
	{0x002f, 0x002f, RSA},         {0x0030, 0x0030, DH_DSS},      {0x0031, 0x0031, DH_RSA},
	{0x0032, 0x0032, DHE_DSS},     {0x0033, 0x0033, DHE_RSA},     {0x0035, 0x0035, RSA},
	{0x0036, 0x0036, DH_DSS},      {0x0037, 0x0037, DH_RSA},      {0x0038, 0x0038, DHE_DSS},
	{0x0039, 0x0039, DHE_RSA},     {0x003b, 0x003d, RSA},         {0x003e, 0x003e, DH_DSS},
	{0x003f, 0x003f, DH_RSA},      {0x0040, 0x0040, DHE_DSS},     {0x0041, 0x0041, RSA},
	{0x0042, 0x0042, DH_DSS},      {0x0043, 0x0043, DH_RSA},      {0x0044, 0x0044, DHE_DSS},
	{0x0045, 0x0045, DHE_RSA},     {0x0067, 0x0067, DHE_RSA},     {0x0068, 0x0068, DH_DSS},
	{0x0069, 0x0069, DH_RSA},      {0x006a, 0x006a, DHE_DSS},     {0x006b, 0x006b, DHE_RSA},
	{0x0084, 0x0084, RSA},         {0x0085, 0x0085, DH_DSS},      {0x0086, 0x0086, DH_RSA},
	{0x0087, 0x0087, DHE_DSS},     {0x0088, 0x0088, DHE_RSA},     {0x0092, 0x0095, RSA_PSK},
	{0x0096, 0x0096, RSA},         {0x0097, 0x0097, DH_DSS},      {0x0098, 0x0098, DH_RSA},
	{0x0099, 0x0099, DHE_DSS},     {0x009a, 0x009a, DHE_RSA},     {0x009c, 0x009d, RSA},
	{0x009e, 0x009f, DHE_RSA},     {0x00a0, 0x00a1, DH_RSA},      {0x00a2, 0x00a3, DHE_DSS},
	{0x00a4, 0x00a5, DH_DSS},      {0x00ac, 0x00ad, RSA_PSK},     {0x00b6, 0x00b9, RSA_PSK},
	{0x00ba, 0x00ba, RSA},         {0x00bb, 0x00bb, DH_DSS},      {0x00bc, 0x00bc, DH_RSA},
	{0x00bd, 0x00bd, DHE_DSS},     {0x00be, 0x00be, DHE_RSA},     {0x00c0, 0x00c0, RSA},
	{0x00c1, 0x00c1, DH_DSS},      {0x00c2, 0x00c2, DH_RSA},      {0x00c3, 0x00c3, DHE_DSS},
	{0x00c4, 0x00c4, DHE_RSA},     {0xc001, 0xc005, ECDH_ECDSA},  {0xc006, 0xc00a, ECDHE_ECDSA},
	{0xc00b, 0xc00f, ECDH_RSA},    {0xc010, 0xc014, ECDHE_RSA},   {0xc01b, 0xc01b, SRP_RSA},
	{0xc01c, 0xc01c, SRP_DSS},     {0xc01e, 0xc01e, SRP_RSA},     {0xc01f, 0xc01f, SRP_DSS},
	{0xc021, 0xc021, SRP_RSA},     {0xc022, 0xc022, SRP_DSS},     {0xc023, 0xc024, ECDHE_ECDSA},
	{0xc025, 0xc026, ECDH_ECDSA},  {0xc027, 0xc028, ECDHE_RSA},   {0xc029, 0xc02a, ECDH_RSA},
	{0xc02b, 0xc02c, ECDHE_ECDSA}, {0xc02d, 0xc02e, ECDH_ECDSA},  {0xc02f, 0xc030, ECDHE_RSA},
	{0xc031, 0xc032, ECDH_RSA},    {0xc03c, 0xc03d, RSA},         {0xc03e, 0xc03f, DH_DSS},
	{0xc040, 0xc041, DH_RSA},      {0xc042, 0xc043, DHE_DSS},     {0xc044, 0xc045, DHE_RSA},
	{0xc048, 0xc049, ECDHE_ECDSA}, {0xc04a, 0xc04b, ECDH_ECDSA},  {0xc04c, 0xc04d, ECDHE_RSA},
	{0xc04e, 0xc04f, ECDH_RSA},    {0xc050, 0xc051, RSA},         {0xc052, 0xc053, DHE_RSA},
	{0xc054, 0xc055, DH_RSA},      {0xc056, 0xc057, DHE_DSS},     {0xc058, 0xc059, DH_DSS},
	{0xc05c, 0xc05d, ECDHE_ECDSA}, {0xc05e, 0xc05f, ECDH_ECDSA},  {0xc060, 0xc061, ECDHE_RSA},
	{0xc062, 0xc063, ECDH_RSA},    {0xc068, 0xc069, RSA_PSK},     {0xc06e, 0xc06f, RSA_PSK},
	{0xc072, 0xc073, ECDHE_ECDSA}, {0xc074, 0xc075, ECDH_ECDSA},  {0xc076, 0xc077, ECDHE_RSA},
	{0xc078, 0xc079, ECDH_RSA},    {0xc07a, 0xc07b, RSA},         {0xc07c, 0xc07d, DHE_RSA},
	{0xc07e, 0xc07f, DH_RSA},      {0xc080, 0xc081, DHE_DSS},     {0xc082, 0xc083, DH_DSS},
	{0xc086, 0xc087, ECDHE_ECDSA}, {0xc088, 0xc089, ECDH_ECDSA},  {0xc08a, 0xc08b, ECDHE_RSA},
	{0xc08c, 0xc08d, ECDH_RSA},    {0xc092, 0xc093, RSA_PSK},     {0xc098, 0xc099, RSA_PSK},
	{0xc09c, 0xc09d, RSA},         {0xc09e, 0xc09f, DHE_RSA},     {0xc0a0, 0xc0a1, RSA},
	{0xc0a2, 0xc0a3, DHE_RSA},     {0xc0ac, 0xc0af, ECDHE_ECDSA}, {0xcca8, 0xcca8, ECDHE_RSA},
	{0xcca9, 0xcca9, ECDHE_ECDSA}, {0xccaa, 0xccaa, DHE_RSA},     {0xccae, 0xccae, RSA_PSK},
};

bool cipher_suite_kex(uint16_t suite, struct cs_kex *out)
{
	size_t lo = 0, hi = CS_ARRAY_LEN(ranges);

	while (lo < hi) { /* the first range that does not end before suite */
		size_t mid = lo + (hi - lo) / 2;

		if (ranges[mid].last < suite)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (lo == CS_ARRAY_LEN(ranges) || ranges[lo].first > suite)
		return false;
	*out = kexes[ranges[lo].kex];
	return true;
}
