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
#   MD=sha256 (default) | sha1 | sha384
#   START=20250101000000Z END=20350101000000Z (defaults, UTC)
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

	case $key in
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
	[ server_ext ]
	basicConstraints = critical, CA:false
	keyUsage = critical, digitalSignature, keyEncipherment
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

chainfile one   int1
chainfile two   int2 int1
chainfile smtp  int1
chainfile v6    int1
chainfile client int1

# Derived files, rewritten every run from the certificates.
: >"$WORK/certs.txt"
for pem in "$PKI"/*.pem; do
	case $pem in *.chain.pem) continue ;; esac
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
