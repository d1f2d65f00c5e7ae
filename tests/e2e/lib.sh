# lib.sh - the preamble the e2e scripts share.  Sourced first thing as
#   . "$(dirname "$0")/lib.sh" NAME "$1"
# it sets BIN (the binary, absolute), makes the repository the working
# directory, sets PY (Debian's python3) and TRUST (the pinned bundle and the
# lab PKI), makes a temporary directory T removed at exit, and defines the
# counters pass/fail with ok CASE and bad CASE REASON, whose lines are
# "ok NAME-CASE" and "FAIL NAME-CASE: REASON"; need TOOL... exits 2 naming
# the first tool missing.  expect CASE COMMAND... and jqt CASE FILTER FILE
# count a case each.  For the live tests on lo: wait_for,
# free_ports, lab_server and tls_connect below (PKI is the lab PKI).
set -u
E2E_NAME=$1
BIN=$(realpath "$2")
cd "$(dirname "${BASH_SOURCE[0]}")/../.." || exit 2
PY=/usr/bin/python3
PKI=pcaps/lab/pki
TRUST=(--ca-file tests/trust/debian-ca-certificates-20230311+deb12u1.crt
	--ca-file pcaps/lab/pki/trust.pem)
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
pass=0 fail=0
ok() { echo "ok $E2E_NAME-$1"; pass=$((pass + 1)); }
bad() { echo "FAIL $E2E_NAME-$1: $2"; fail=$((fail + 1)); }
need() {
	for tool in "$@"; do
		command -v "$tool" >/dev/null ||
			{ echo "$E2E_NAME.sh: $tool is required (scripts/deps.sh)" >&2; exit 2; }
	done
}
# expect CASE COMMAND...: ok when the command succeeds
expect() {
	local name=$1
	shift
	if "$@"; then ok "$name"; else bad "$name" "$*"; fi
}
# jqt CASE FILTER FILE: ok when the jq filter prints true for FILE
jqt() {
	if [ "$(jq -r "$2" "$3" 2>/dev/null)" = true ]; then ok "$1"; else bad "$1" "$2 on $3"; fi
}
# wait_for COMMAND...: until it succeeds, at most 20 s (an event, not a time)
wait_for() {
	for _ in $(seq 200); do "$@" && return 0; sleep 0.1; done
	return 1
}
# free_ports: a port p with p and p + 1 free on lo, picked at run time so
# that the same test running elsewhere on this machine cannot interfere
free_ports() {
	local p
	p=$((20000 + RANDOM % 20000))
	while ss -Htan "( sport = :$p or sport = :$((p + 1)) )" 2>/dev/null | grep -q .; do
		p=$((20000 + RANDOM % 20000))
	done
	echo "$p"
}
# lab_server PORT NAME NACCEPT [chain]: openssl s_server in the background
# (its pid added to pids) with the lab PKI's NAME.pem and NAME.key, and with
# "chain" NAME.chain.pem too, for NACCEPT connections
lab_server() {
	local chain=()
	[ "${4:-}" = chain ] && chain=(-cert_chain "$PKI/$2.chain.pem")
	openssl s_server -accept "$1" -cert "$PKI/$2.pem" -key "$PKI/$2.key" "${chain[@]}" \
		-naccept "$3" -quiet -rev < /dev/null > /dev/null 2>&1 &
	pids+=($!)
}
# tls_connect PORT SNI: one TLS 1.2 connection to 127.0.0.1:PORT that says hello
tls_connect() {
	echo hello | timeout 10 openssl s_client -connect "127.0.0.1:$1" -servername "$2" \
		-tls1_2 -ign_eof > /dev/null 2>&1
}
# veth_netns: as root, a network namespace of the script's own ($NS) with a
# veth pair va <-> vb up, MTU 16000 (loopback captures hold frames of a few
# KB), and no IPv6 of its own (router solicitations and MLD reports would be
# traffic); deleted at exit, with the process $CS if set.  Without root or
# `ip netns`: says the script was skipped, exits 0.
veth_netns() {
	if [ "$(id -u)" -ne 0 ] || ! ip netns list >/dev/null 2>&1; then
		echo "skipped $E2E_NAME: needs root and network namespaces"
		echo "0 passed, 0 failed, 1 skipped"
		exit 0
	fi
	NS=cs$E2E_NAME$$
	CS=""
	trap '[ -n "$CS" ] && kill "$CS" 2>/dev/null; ip netns del "$NS" 2>/dev/null; rm -rf "$T"' EXIT
	ip netns add "$NS" || { bad netns "ip netns add"; echo "$pass passed, $fail failed"; exit 1; }
	ip -n "$NS" link add va type veth peer name vb
	ip netns exec "$NS" sysctl -qw net.ipv6.conf.all.disable_ipv6=1 \
		net.ipv6.conf.default.disable_ipv6=1
	for i in va vb; do ip -n "$NS" link set "$i" mtu 16000; done
	for i in lo va vb; do ip -n "$NS" link set "$i" up; done
}
