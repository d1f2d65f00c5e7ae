#!/usr/bin/env bash
# mkfixtures.sh - the tiny PKI behind tests/unit/test_chain.c, written to
# tests/fixtures/chain/ as DER files plus SHA256SUMS.
# Reproducible to the byte: Ed25519 keys come from fixed seeds, Ed25519
# signatures are deterministic, and serials and dates are set explicitly
# (`openssl ca` with a serial file, -startdate and -enddate), so a rerun
# leaves `git diff` empty.  Needs only bash, the openssl CLI and coreutils.
set -euo pipefail
cd "$(dirname "$0")/.."
out=tests/fixtures/chain
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
mkdir -p "$out"

# Ed25519 private key (RFC 8410 PKCS#8) from the SHA-256 of a label.
key() {
	seed=$(printf '%s' "chainsniff fixture $1" | sha256sum | cut -c1-64)
	hex="302e020100300506032b657004220420$seed"
	# shellcheck disable=SC2059 # the format is the point: \xHH escapes
	printf "$(printf '%s' "$hex" | sed 's/../\\x&/g')" |
		openssl pkey -inform der -out "$tmp/$1.key"
}

cat >"$tmp/ca.cnf" <<CNF
[ca]
default_ca = fixture
[fixture]
database = $tmp/index.txt
serial = $tmp/serial
new_certs_dir = $tmp
default_md = default
policy = any
unique_subject = no
email_in_dn = no
[any]
commonName = optional
organizationName = optional
organizationalUnitName = optional
countryName = optional
[v3_ca]
basicConstraints = critical, CA:true
keyUsage = critical, keyCertSign, cRLSign
subjectKeyIdentifier = hash
[v3_leaf]
basicConstraints = critical, CA:false
keyUsage = critical, digitalSignature
extendedKeyUsage = serverAuth
subjectAltName = DNS:example.test
CNF
: >"$tmp/index.txt"

# cert NAME ISSUER SUBJECT SERIALHEX START END EXT
cert() {
	key "$1"
	openssl req -new -utf8 -key "$tmp/$1.key" -subj "$3" -out "$tmp/$1.csr"
	echo "$4" >"$tmp/serial"
	if [ "$2" = self ]; then sign="-selfsign -keyfile $tmp/$1.key"
	else sign="-cert $tmp/$2.pem -keyfile $tmp/$2.key"; fi
	# shellcheck disable=SC2086 # $sign is several words
	openssl ca -batch -notext -utf8 -preserveDN -config "$tmp/ca.cnf" $sign \
		-startdate "$5" -enddate "$6" -extensions "$7" \
		-in "$tmp/$1.csr" -out "$tmp/$1.pem" 2>/dev/null
	openssl x509 -in "$tmp/$1.pem" -outform der -out "$out/$1.der"
}

cert root self "/O=Chainsniff Test/CN=Chainsniff Test Root" 01 \
	20200101000000Z 20400101000000Z v3_ca
cert inter root "/O=Chainsniff Test/CN=Chainsniff Test Intermediate" 1002 \
	20200101000000Z 20350101000000Z v3_ca
cert leaf inter "/C=FR/O=Acme, Inc.\+Co/CN=café.example" 8A0B0C0D0E0F101112 \
	20240301120000Z 20250301120000Z v3_leaf
cert nocn inter "/O=No CN Org/OU=Ops" 2A \
	20240301120000Z 20250301120000Z v3_leaf
cert long inter "/CN=long.example" 7FFF \
	19691231235959Z 20510101000000Z v3_leaf

head -c 100 "$out/leaf.der" >"$out/truncated.der"
printf 'this is not a certificate\n' >"$out/garbage.der"

(cd "$out" && sha256sum root.der inter.der leaf.der nocn.der long.der \
	truncated.der garbage.der >SHA256SUMS)
