#!/bin/bash
# mkpki.sh - the small test PKI the lab captures and the chain tests use.
#
# Makes, under pcaps/lab/pki/ (openssl CLI only, RSA 2048 / SHA-256):
#   root     self-signed root CA        "CN=chainsniff Lab Root CA"
#   int1     intermediate CA 1          signed by root
#   int2     intermediate CA 2          signed by int1
#   one      leaf one.test              signed by int1  (chain: one int1)
#   two      leaf two.test              signed by int2  (chain: two int2 int1)
#   alone    leaf alone.test            signed by root  (served leaf-only)
#   smtp     leaf smtp.test             signed by int1
#   v6       leaf v6.test               signed by int1
#   client   client cert client.test    signed by int1  (EKU clientAuth)
# and, for the chain diagnosis (one capture each, see scripts/mkpcaps.sh):
#   evilroot, evilint, evil   an untrusted root (not in trust.pem), its
#                             intermediate and a leaf evil.test under it
#   expint, underexp          an intermediate under root that expired in 2021,
#                             and a leaf underexp.test under it
#   expired                   a leaf under int1 that expired in 2021
#   oldroot, rootxs, xs       "Old Root" (expired 2022); rootxs = root's subject
#                             and KEY cross-signed by oldroot (expired 2022);
#                             leaf xs.test under int1, served as xs int1 rootxs
#   oldleaf                   a leaf under oldroot (expired_root when oldroot
#                             is trusted)
#   sha1, rsa1024             leaves under int1 signed with SHA-1 / with an
#                             RSA-1024 key
#   notca, undernotca         an "intermediate" with CA:FALSE and no
#                             keyCertSign, and a leaf it signed
#   future, soon              leaves under int1 valid from 2030 / expiring 7
#                             days after the day the PKI was first made
#   ecroot, ecint, ec         an ECDSA P-256 chain
#   clientonly                a leaf under int1 with EKU clientAuth only
#   selfsigned                a self-signed leaf (CA:TRUE, as `openssl req -x509`)
#   order, rootinc, dup,      leaves under int1 served with their chain in the
#   extra                     wrong order / with the root / with int1 twice /
#                             with an unrelated CA (ecint)
#   miss, aia                 leaves under int1 served alone; aia has an AIA
#                             caIssuers URL http://ca.test/int1.crt
# and, for issue 17 (name constraints, critical extensions, key usage, alerts):
#   ncint, ncgood, ncout      an intermediate under root with critical
#                             nameConstraints permitted DNS:allowed.test, a
#                             leaf inside (allowed.test) and one outside
#                             (outside.test: OpenSSL error 47)
#   ncroot, ncrootleaf        a self-signed root with the same constraint (not
#                             in trust.pem) and a leaf outside.test under it
#   poison                    a leaf under int1 with the critical CT poison
#                             extension of a precertificate (error 34)
#   kunone                    a leaf under int1 whose keyUsage is
#                             nonRepudiation only (sslserver purpose: error 26)
#   kuenc                     a leaf under int1 whose keyUsage is
#                             keyEncipherment only: fine for RSA key transport,
#                             not for the signature of ECDHE_RSA
#   kuagree                   an ECDSA leaf under ecint whose keyUsage is
#                             keyAgreement only: static ECDH, not ECDHE_ECDSA
#   sigflip                   a leaf under int1 whose signature is damaged (the
#                             last byte inverted once, after signing: error 7)
# trust.pem: the trust file of the diagnosis tests: root and ecroot only.
# For each NAME: NAME.key (PKCS#8 PEM), NAME.pem, NAME.der, and a line in
# CERTS.txt (name, serial, validity, SHA-256 of the DER, subject, issuer).
# Chain files for s_server: NAME.chain.pem = the intermediates the server sends
# after its leaf, in sent order.
#
# Validity is fixed (-startdate/-enddate) and serials are fixed, so only keys
# and signatures are random.  Existing certificates are KEPT: re-running the
# script only adds what is missing, so the committed PKI (and every SHA-256 in
# pcaps/README.md and tests/e2e/cases/lab-*.expect.json) stays valid.
# `scripts/mkpki.sh --force` throws everything away and starts again; then the
# captures (scripts/mkpcaps.sh, scripts/quirks.sh) and the expectations must be
# regenerated together.
#
# Adding a certificate is one call to mkcert (see the bottom of this file):
#   mkcert NAME ISSUER PROFILE SERIAL SUBJECT [SAN...]
# ISSUER is "self" or the NAME of a CA made earlier; PROFILE is ca, server or
# client; SERIAL is hex and unique in this PKI.  Per-call knobs, given as
# environment assignments in front of the call:
#   KEY=rsa:2048 (default) | rsa:1024 | ec:prime256v1 | ec:secp384r1
#   KEYFROM=NAME     reuse NAME's key instead of making one (cross-certificates)
#   MD=sha256 (default) | sha1 | sha384
#   START=20250101000000Z END=20350101000000Z (defaults, UTC)
#   AIA=URL          authorityInfoAccess caIssuers URL (server profile)
#   NC=VALUE         critical nameConstraints, e.g. "permitted;DNS:allowed.test"
#                    (ca profile)
#   KU=VALUE         the keyUsage of the server profile instead of
#                    "critical, digitalSignature, keyEncipherment"
#   EXT="OID = VALUE" one more extension in the server profile, in openssl's
#                    config syntax (e.g. "1.3.6.1.4.1.11129.2.4.3 = critical, ASN1:NULL")
# PROFILE notca is an "intermediate" without CA:TRUE (CA:FALSE, no
# keyCertSign); selfsigned is a leaf as `openssl req -x509` makes it (CA:TRUE,
# no keyUsage) with serverAuth and the SANs.
# e.g.  KEY=rsa:1024 MD=sha1 mkcert weak int1 server 2101 "/O=chainsniff lab/CN=weak.test" DNS:weak.test
set -eu

cd "$(dirname "$0")/.."
PKI=pcaps/lab/pki

if [ "${1:-}" = "--force" ]; then
	rm -rf "$PKI"
fi
mkdir -p "$PKI"

WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT

# mkcert NAME ISSUER PROFILE SERIAL SUBJECT [SAN...]
mkcert() {
	local name=$1 issuer=$2 profile=$3 serial=$4 subj=$5
	shift 5
	local key=${KEY:-rsa:2048} md=${MD:-sha256}
	local start=${START:-20250101000000Z} end=${END:-20350101000000Z}
	local db="$WORK/$name" san="" s

	if [ -s "$PKI/$name.pem" ] && [ -s "$PKI/$name.key" ]; then
		return 0
	fi
	for s in "$@"; do
		san="${san:+$san,}$s"
	done
	mkdir -p "$db"
	: >"$db/index.txt"
	echo "$serial" >"$db/serial"

	case ${KEYFROM:+from}$key in
	from*) cp "$PKI/$KEYFROM.key" "$PKI/$name.key" ;;
	rsa:*) openssl genpkey -quiet -algorithm RSA -pkeyopt "rsa_keygen_bits:${key#rsa:}" -out "$PKI/$name.key" ;;
	ec:*) openssl genpkey -quiet -algorithm EC -pkeyopt "ec_paramgen_curve:${key#ec:}" \
		-pkeyopt ec_param_enc:named_curve -out "$PKI/$name.key" ;;
	*) echo "mkpki: $name: unknown KEY $key" >&2; return 1 ;;
	esac

	cat >"$db/ca.cnf" <<-EOF
	[ ca ]
	default_ca = lab
	[ lab ]
	database = $db/index.txt
	serial = $db/serial
	new_certs_dir = $db
	default_md = $md
	policy = anything
	unique_subject = no
	copy_extensions = none
	email_in_dn = no
	[ anything ]
	countryName = optional
	organizationName = optional
	organizationalUnitName = optional
	commonName = supplied
	[ req ]
	distinguished_name = dn
	[ dn ]
	[ ca_ext ]
	basicConstraints = critical, CA:true
	keyUsage = critical, keyCertSign, cRLSign
	subjectKeyIdentifier = hash
	authorityKeyIdentifier = keyid:always
	${NC:+nameConstraints = critical, $NC}
	[ server_ext ]
	basicConstraints = critical, CA:false
	keyUsage = ${KU:-critical, digitalSignature, keyEncipherment}
	extendedKeyUsage = serverAuth
	subjectKeyIdentifier = hash
	authorityKeyIdentifier = keyid:always
	${san:+subjectAltName = $san}
	${AIA:+authorityInfoAccess = caIssuers;URI:$AIA}
	${EXT:-}
	[ notca_ext ]
	basicConstraints = critical, CA:false
	keyUsage = critical, digitalSignature, keyEncipherment
	subjectKeyIdentifier = hash
	authorityKeyIdentifier = keyid:always
	[ selfsigned_ext ]
	basicConstraints = critical, CA:true
	extendedKeyUsage = serverAuth
	subjectKeyIdentifier = hash
	authorityKeyIdentifier = keyid:always
	${san:+subjectAltName = $san}
	[ client_ext ]
	basicConstraints = critical, CA:false
	keyUsage = critical, digitalSignature
	extendedKeyUsage = clientAuth
	subjectKeyIdentifier = hash
	authorityKeyIdentifier = keyid:always
	${san:+subjectAltName = $san}
	EOF

	openssl req -new -config "$db/ca.cnf" -key "$PKI/$name.key" -subj "$subj" \
		-out "$db/req.csr"
	if [ "$issuer" = self ]; then
		openssl ca -batch -notext -config "$db/ca.cnf" -selfsign -keyfile "$PKI/$name.key" \
			-in "$db/req.csr" -out "$PKI/$name.pem" -extensions "${profile}_ext" \
			-startdate "$start" -enddate "$end" -md "$md" 2>"$db/ca.log" ||
			{ cat "$db/ca.log" >&2; return 1; }
	else
		openssl ca -batch -notext -config "$db/ca.cnf" -cert "$PKI/$issuer.pem" \
			-keyfile "$PKI/$issuer.key" -in "$db/req.csr" -out "$PKI/$name.pem" \
			-extensions "${profile}_ext" -startdate "$start" -enddate "$end" \
			-md "$md" 2>"$db/ca.log" || { cat "$db/ca.log" >&2; return 1; }
	fi
	echo "mkpki: made $name (serial $serial, issuer $issuer)" >&2
}

# chainfile NAME CERT... : the certificates a server sends after its leaf.
chainfile() {
	local name=$1 c
	shift
	for c in "$@"; do cat "$PKI/$c.pem"; done >"$PKI/$name.chain.pem"
}

O="/O=chainsniff lab"
# name    issuer profile serial subject                           SANs
mkcert root   self ca     1000 "$O/CN=chainsniff Lab Root CA"
mkcert int1   root ca     1001 "$O/CN=chainsniff Lab Intermediate 1"
mkcert int2   int1 ca     1002 "$O/CN=chainsniff Lab Intermediate 2"
mkcert one    int1 server 2001 "$O/CN=one.test"    DNS:one.test DNS:www.one.test
mkcert two    int2 server 2002 "$O/CN=two.test"    DNS:two.test
mkcert alone  root server 2003 "$O/CN=alone.test"  DNS:alone.test
mkcert smtp   int1 server 2004 "$O/CN=smtp.test"   DNS:smtp.test
mkcert v6     int1 server 2005 "$O/CN=v6.test"     DNS:v6.test IP:::1
mkcert client int1 client 3001 "$O/CN=client.test" DNS:client.test

# The chain diagnosis (pcaps/README.md, "Diagnosis captures").  soon's
# notAfter is 7 days after the day this line first ran (kept afterwards).
R="/O=chainsniff lab/CN=chainsniff Lab Root CA"
SOON=$(date -u -d "today + 7 days" +%Y%m%d000000Z)
mkcert evilroot   self     ca     1100 "$O/CN=chainsniff Evil Root CA"
mkcert evilint    evilroot ca     1101 "$O/CN=chainsniff Evil Intermediate"
mkcert evil       evilint  server 4001 "$O/CN=evil.test"       DNS:evil.test
START=20200101000000Z END=20210101000000Z \
mkcert expint     root     ca     1102 "$O/CN=chainsniff Lab Expired Intermediate"
mkcert underexp   expint   server 4002 "$O/CN=underexp.test"   DNS:underexp.test
START=20200101000000Z END=20210101000000Z \
mkcert expired    int1     server 4003 "$O/CN=expired.test"    DNS:expired.test
START=20100101000000Z END=20220601000000Z \
mkcert oldroot    self     ca     1103 "$O/CN=chainsniff Old Root CA"
START=20200101000000Z END=20220601000000Z KEYFROM=root \
mkcert rootxs     oldroot  ca     1104 "$R"
mkcert xs         int1     server 4004 "$O/CN=xs.test"         DNS:xs.test
mkcert oldleaf    oldroot  server 4005 "$O/CN=oldleaf.test"    DNS:oldleaf.test
MD=sha1 \
mkcert sha1       int1     server 4006 "$O/CN=sha1.test"       DNS:sha1.test
KEY=rsa:1024 \
mkcert rsa1024    int1     server 4007 "$O/CN=rsa1024.test"    DNS:rsa1024.test
mkcert notca      root     notca  1105 "$O/CN=chainsniff Lab Not A CA"
mkcert undernotca notca    server 4008 "$O/CN=undernotca.test" DNS:undernotca.test
START=20300101000000Z \
mkcert future     int1     server 4009 "$O/CN=future.test"     DNS:future.test
END=$SOON \
mkcert soon       int1     server 400a "$O/CN=soon.test"       DNS:soon.test
KEY=ec:prime256v1 \
mkcert ecroot     self     ca     1106 "$O/CN=chainsniff Lab ECDSA Root CA"
KEY=ec:prime256v1 \
mkcert ecint      ecroot   ca     1107 "$O/CN=chainsniff Lab ECDSA Intermediate"
KEY=ec:prime256v1 \
mkcert ec         ecint    server 400b "$O/CN=ec.test"         DNS:ec.test
mkcert clientonly int1     client 400c "$O/CN=clientonly.test" DNS:clientonly.test
mkcert selfsigned self     selfsigned 400d "$O/CN=selfsigned.test" DNS:selfsigned.test
mkcert order      int1     server 400e "$O/CN=order.test"      DNS:order.test
mkcert rootinc    int1     server 400f "$O/CN=rootinc.test"    DNS:rootinc.test
mkcert dup        int1     server 4010 "$O/CN=dup.test"        DNS:dup.test
mkcert extra      int1     server 4011 "$O/CN=extra.test"      DNS:extra.test
mkcert miss       int1     server 4012 "$O/CN=miss.test"       DNS:miss.test
AIA=http://ca.test/int1.crt \
mkcert aia        int1     server 4013 "$O/CN=aia.test"        DNS:aia.test

# Issue 17 (pcaps/README.md, "The PKI additions").
NC="permitted;DNS:allowed.test" \
mkcert ncint      root     ca     1108 "$O/CN=chainsniff Lab Constrained Intermediate"
mkcert ncgood     ncint    server 4014 "$O/CN=allowed.test"    DNS:allowed.test DNS:www.allowed.test
mkcert ncout      ncint    server 4015 "$O/CN=outside.test"    DNS:outside.test
NC="permitted;DNS:allowed.test" \
mkcert ncroot     self     ca     1109 "$O/CN=chainsniff Constrained Root CA"
mkcert ncrootleaf ncroot   server 4016 "$O/CN=outside.test"    DNS:outside.test
EXT="1.3.6.1.4.1.11129.2.4.3 = critical, ASN1:NULL" \
mkcert poison     int1     server 4017 "$O/CN=poison.test"     DNS:poison.test
KU="critical, nonRepudiation" \
mkcert kunone     int1     server 4018 "$O/CN=kunone.test"     DNS:kunone.test
KEY=ec:prime256v1 KU="critical, keyAgreement" \
mkcert kuagree    ecint    server 4019 "$O/CN=kuagree.test"    DNS:kuagree.test
mkcert sigflip    int1     server 401a "$O/CN=sigflip.test"    DNS:sigflip.test
KU="critical, keyEncipherment" \
mkcert kuenc      int1     server 401b "$O/CN=kuenc.test"      DNS:kuenc.test
# Damage sigflip's signature: its last DER byte (the end of the signature
# BIT STRING) inverted, only while the signature still verifies, so that a
# re-run leaves it damaged.
if openssl verify -no-CAfile -no-CApath -partial_chain -CAfile "$PKI/int1.pem" \
	"$PKI/sigflip.pem" >/dev/null 2>&1; then
	openssl x509 -in "$PKI/sigflip.pem" -outform der -out "$WORK/sigflip.der"
	n=$(stat -c %s "$WORK/sigflip.der")
	b=$(tail -c 1 "$WORK/sigflip.der" | od -An -tu1 | tr -d ' ')
	printf "\\x$(printf %02x $((b ^ 255)))" |
		dd of="$WORK/sigflip.der" bs=1 seek=$((n - 1)) conv=notrunc status=none
	openssl x509 -inform der -in "$WORK/sigflip.der" -out "$PKI/sigflip.pem"
fi

chainfile one   int1
chainfile two   int2 int1
chainfile smtp  int1
chainfile v6    int1
chainfile client int1
chainfile evil       evilint evilroot
chainfile underexp   expint
chainfile expired    int1
chainfile xs         int1 rootxs
chainfile sha1       int1
chainfile rsa1024    int1
chainfile undernotca notca
chainfile future     int1
chainfile soon       int1
chainfile ec         ecint
chainfile clientonly int1
chainfile order      root int1
chainfile rootinc    int1 root
chainfile dup        int1 int1
chainfile extra      int1 ecint
chainfile ncgood     ncint
chainfile ncout      ncint
chainfile poison     int1
chainfile kunone     int1
chainfile kuagree    ecint
chainfile sigflip    int1
chainfile kuenc      int1
# selfsigned, oldleaf, miss and aia are served alone (no chain file).

# The trust file of the diagnosis tests (--ca-file): the two lab roots only.
cat "$PKI/root.pem" "$PKI/ecroot.pem" >"$PKI/trust.pem"

# Derived files, rewritten every run from the certificates.
: >"$WORK/certs.txt"
for pem in "$PKI"/*.pem; do
	case $pem in *.chain.pem | */trust.pem) continue ;; esac
	n=$(basename "$pem" .pem)
	openssl x509 -in "$pem" -outform der -out "$PKI/$n.der"
	h=$(sha256sum <"$PKI/$n.der" | cut -d' ' -f1)
	printf '%-8s serial=%s %s %s sha256=%s\n  subject=%s\n  issuer=%s\n' "$n" \
		"$(openssl x509 -in "$pem" -noout -serial | cut -d= -f2 | tr A-F a-f)" \
		"$(TZ=UTC date -u -d "$(openssl x509 -in "$pem" -noout -startdate | cut -d= -f2)" +%Y-%m-%dT%H:%M:%SZ)" \
		"$(TZ=UTC date -u -d "$(openssl x509 -in "$pem" -noout -enddate | cut -d= -f2)" +%Y-%m-%dT%H:%M:%SZ)" \
		"$h" \
		"$(openssl x509 -in "$pem" -noout -subject -nameopt RFC2253 | sed 's/^subject=//')" \
		"$(openssl x509 -in "$pem" -noout -issuer -nameopt RFC2253 | sed 's/^issuer=//')" \
		>>"$WORK/certs.txt"
done
{
	echo "# chainsniff lab PKI: made by scripts/mkpki.sh; do not edit."
	echo "# name serial not_before not_after sha256(DER); subject and issuer as RFC 4514"
	cat "$WORK/certs.txt"
} >"$PKI/CERTS.txt"

# The PKI must verify as built.
openssl verify -no-CAfile -no-CApath -CAfile "$PKI/root.pem" -untrusted "$PKI/int1.pem" \
	-untrusted "$PKI/int2.pem" "$PKI/one.pem" "$PKI/two.pem" "$PKI/alone.pem" \
	"$PKI/smtp.pem" "$PKI/v6.pem" "$PKI/client.pem" >/dev/null

# The diagnosis certificates: OpenSSL's verdict (its first error only) is the
# designed one.  Checked one day before soon's notAfter, so the checks do not
# depend on when the script runs.
AT=$(($(date -u -d "$(openssl x509 -in "$PKI/soon.pem" -noout -enddate | cut -d= -f2)" +%s) - 86400))
# vfy ERROR CAFILE LEAF [UNTRUSTED... | -OPTION VALUE...]: ERROR is openssl's
# error number at the first failure (0: OK).
vfy() {
	local want=$1 ca=$2 leaf=$3 got
	shift 3
	local args=()
	while [ $# -gt 0 ]; do
		case $1 in -*) args+=("$1" "$2"); shift ;; *) args+=(-untrusted "$PKI/$1.pem") ;; esac
		shift
	done
	got=$(openssl verify -no-CAfile -no-CApath -attime "$AT" -CAfile "$PKI/$ca.pem" "${args[@]}" \
		"$PKI/$leaf.pem" 2>&1 | sed -n 's/^error \([0-9]*\) at .*/\1/p' | head -1)
	[ "${got:-0}" = "$want" ] ||
		{ echo "mkpki: verify $leaf: expected error $want, got ${got:-0}" >&2; exit 1; }
}
vfy 19 trust evil       evilint evilroot   # self-signed certificate in chain
vfy 10 trust underexp   expint             # certificate has expired (depth 1)
vfy 10 trust expired    int1               # certificate has expired (depth 0)
vfy 0  trust xs         int1 rootxs        # the path via the trusted root
vfy 10 oldroot xs       int1 rootxs        # an old client that only knows Old Root
vfy 20 trust oldleaf                       # unable to get local issuer certificate
vfy 10 oldroot oldleaf                     # trusting oldroot: the anchor expired
vfy 0  trust sha1       int1
vfy 68 trust sha1       int1 -auth_level 1 # CA signature digest algorithm too weak
vfy 0  trust rsa1024    int1 -auth_level 1
vfy 66 trust rsa1024    int1 -auth_level 2 # EE certificate key too weak
vfy 79 trust undernotca notca              # invalid CA certificate
vfy 9  trust future     int1               # certificate is not yet valid
vfy 0  trust soon       int1
vfy 0  trust ec         ecint
vfy 26 trust clientonly int1 -purpose sslserver # unsupported certificate purpose
vfy 18 trust selfsigned                    # self-signed certificate
vfy 0  trust order      int1
vfy 20 trust miss
vfy 20 trust aia
vfy 0  trust ncgood     ncint
vfy 47 trust ncout      ncint              # permitted subtree violation
vfy 47 ncroot ncrootleaf                   # the anchor's own constraints apply too
vfy 34 trust poison     int1               # unhandled critical extension
vfy 26 trust kunone     int1 -purpose sslserver # unsupported certificate purpose
vfy 0  trust kuagree    ecint -purpose sslserver # keyAgreement is enough for the purpose
vfy 7  trust sigflip    int1               # certificate signature failure
vfy 0  trust kuenc      int1 -purpose sslserver
cmp -s <(openssl x509 -in "$PKI/root.pem" -noout -subject -pubkey) \
	<(openssl x509 -in "$PKI/rootxs.pem" -noout -subject -pubkey) ||
	{ echo "mkpki: rootxs does not have root's subject and key" >&2; exit 1; }
