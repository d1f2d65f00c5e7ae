#!/bin/bash
# mkpcaps.sh - record the lab captures: real openssl s_server / s_client
# sessions on loopback, captured with tcpdump into pcaps/lab/.
#
# Needs the PKI from scripts/mkpki.sh, and root (tcpdump on lo, ports < 1024).
# Debian packages: openssl tcpdump iproute2 (ss) wireshark-common (editcap,
# for the pcapng file) python3 (/usr/bin/python3, stdlib only: the SMTP
# server).  Each capture is made by one function named after it:
#
#   one-intermediate.pcap   cap_one_intermediate   TLS 1.2, one.test, leaf+int1
#   leaf-only.pcap          cap_leaf_only          TLS 1.2, alone.test, leaf only
#   two-intermediates.pcap  cap_two_intermediates  TLS 1.2, two.test, leaf+int2+int1
#   tls13.pcap              cap_tls13              TLS 1.3 (chain encrypted)
#   resumption.pcap         cap_resumption         TLS 1.2, -reconnect: 1 full + 5 resumed
#   multi-record.pcap       cap_multi_record       -max_send_frag 512: Certificate over 6 records
#   ipv6.pcap               cap_ipv6               [::1]:443, v6.test
#   any-sll.pcap            cap_any_sll            tcpdump -i any -y LINUX_SLL
#   any-sll2.pcap           cap_any_sll2           tcpdump -i any (LINUX_SLL2)
#   pcapng.pcapng           cap_pcapng             editcap -F pcapng of a lo capture
#   nano.pcap               cap_nano               --time-stamp-precision=nano (pcap-ns)
#   port-8443.pcap          cap_port_8443          TLS on port 8443
#   no-sni.pcap             cap_no_sni             s_client -noservername
#   smtp-starttls.pcap      cap_smtp_starttls      SMTP STARTTLS on port 25 (scripts/starttls-server.py)
#   client-auth.pcap        cap_client_auth        -Verify: the client sends a cert too
#   multi-server.pcap       cap_multi_server       4 connections, 3 servers (sort order)
#
# STARTTLS and other preambles (`scripts/mkpcaps.sh preambles` records only
# these): scripts/starttls-server.py speaks the protocol's plaintext part on
# 127.0.0.1, then TLS 1.2 with one.test+int1 (Python's ssl module, OpenSSL);
# the client is openssl s_client (-starttls PROTO, -proxy), SNI one.test:
#   xmpp-starttls.pcap      cap_xmpp_starttls      -starttls xmpp on 5222
#   postgres-starttls.pcap  cap_postgres_starttls  -starttls postgres (SSLRequest) on 5432
#   ldap-starttls.pcap      cap_ldap_starttls      -starttls ldap (StartTLS extended op) on 389
#   irc-starttls.pcap       cap_irc_starttls       -starttls irc (670) on 6667
#   nntp-starttls.pcap      cap_nntp_starttls      -starttls nntp (CAPABILITIES, 382) on 119
#   sieve-starttls.pcap     cap_sieve_starttls     -starttls sieve (ManageSieve) on 4190
#   mysql-starttls.pcap     cap_mysql_starttls     -starttls mysql (SSLRequest) on 3306
#   http-connect.pcap       cap_http_connect       -proxy 127.0.0.1:3128 (CONNECT one.test:443)
#   rdp-tls.pcap            cap_rdp_tls            X.224 negotiation, then TLS, on 3389 (both
#                                                  sides starttls-server.py: s_client has no RDP)
#
# IP fragments from a real router (`scripts/mkpcaps.sh frag`): client, router
# and server network namespaces joined by veth pairs; the server does not
# set DF (net.ipv4.ip_no_pmtu_disc=1), the router's link towards the client
# has an MTU of 576, the client advertises MSS 1460: the router fragments the
# server's segments.  Captured on the client's interface.
#   frag-router.pcap        cap_frag_router        TLS 1.2, one.test+int1, 198.51.100.1:443
#
# The chain diagnosis captures (`scripts/mkpcaps.sh diag` records only these),
# TLS 1.2 on 127.0.0.1:443 unless said otherwise; the client trusts
# pcaps/lab/pki/trust.pem and the function checks OpenSSL's verify result:
#   diag-untrusted-root.pcap        cap_diag_untrusted_root        evil, evilint, evilroot
#   diag-expired-intermediate.pcap  cap_diag_expired_intermediate  underexp, expint (expired 2021)
#   diag-expired-leaf.pcap          cap_diag_expired_leaf          expired (2021), int1
#   diag-expired-root.pcap          cap_diag_expired_root          oldleaf alone (its root expired 2022)
#   diag-cross-sign-stale.pcap      cap_diag_cross_sign_stale      xs, int1, rootxs (expired cross-cert)
#   diag-weak-signature.pcap        cap_diag_weak_signature        sha1 (SHA-1), int1; SECLEVEL=0
#   diag-weak-key.pcap              cap_diag_weak_key              rsa1024, int1; SECLEVEL=0
#   diag-not-ca.pcap                cap_diag_not_ca                undernotca, notca (CA:FALSE)
#   diag-not-yet-valid.pcap         cap_diag_not_yet_valid         future (from 2030), int1
#   diag-expiring-soon.pcap         cap_diag_expiring_soon         soon (expires 7 days after mkpki), int1
#   diag-ecdsa-ok.pcap              cap_diag_ecdsa_ok              ec, ecint (P-256): a good chain
#   diag-bad-purpose.pcap           cap_diag_bad_purpose           clientonly (EKU clientAuth), int1
#   diag-self-signed-leaf.pcap      cap_diag_self_signed_leaf      selfsigned alone
#   diag-hostname-mismatch.pcap     cap_diag_hostname_mismatch     one, int1 for SNI mismatch.test
#   diag-wrong-order.pcap           cap_diag_wrong_order           order, root, int1
#   diag-root-included.pcap         cap_diag_root_included         rootinc, int1, root
#   diag-duplicate-cert.pcap        cap_diag_duplicate_cert        dup, int1, int1
#   diag-extra-certs.pcap           cap_diag_extra_certs           extra, int1, ecint
#   diag-missing-seen.pcap          cap_diag_missing_seen          miss alone on :443, then one+int1 on :8443
#   diag-missing-aia.pcap           cap_diag_missing_aia           aia alone (AIA http://ca.test/int1.crt)
#   diag-client-rejects.pcap        cap_diag_client_rejects        evil chain; the client trusts only
#                                                                  root: fatal alert unknown_ca
#   diag-rejected-ok.pcap           cap_diag_rejected_ok           one, int1; the client trusts only
#                                                                  evilroot: fatal alert unknown_ca
#   diag-name-constraint.pcap       cap_diag_name_constraint       ncout, ncint (nameConstraints permit
#                                                                  allowed.test): error 47, alert
#                                                                  certificate_unknown
#   diag-critical-extension.pcap    cap_diag_critical_extension    poison (CT poison, critical), int1:
#                                                                  error 34, alert certificate_unknown
#   diag-bad-purpose-ku.pcap        cap_diag_bad_purpose_ku        kunone (keyUsage nonRepudiation), int1:
#                                                                  error 26, alert unsupported_certificate
#   diag-key-usage-mismatch.pcap    cap_diag_key_usage_mismatch    kuenc (keyEncipherment only), int1,
#                                                                  ECDHE-RSA: the session completes
#   diag-rejects-decrypt-error.pcap cap_diag_rejects_decrypt_error sigflip (damaged signature), int1:
#                                                                  error 7, alert decrypt_error
#   diag-rejects-handshake-failure.pcap cap_diag_rejects_handshake_failure one, int1, DHE with a
#                                                                  1024-bit group: alert handshake_failure
# (diag-bad-signature.pcap is made by scripts/quirks.sh.)
#
# The ranking captures (`scripts/mkpcaps.sh freq` records only these):
#   freq-sessions.pcap              cap_freq_sessions              9 sessions to 3 servers (good, expired
#                                                                  leaf, missing intermediate), all from
#                                                                  127.0.0.1; quirks.sh readdresses the
#                                                                  clients into freq-three-servers.pcap
#   freq-hostile-sni.pcap           cap_freq_hostile_sni           miss alone, 11 SNIs: formulas, control
#                                                                  characters, long, UTF-8, not UTF-8
# The HTML report's hostile capture: html-hostile.pcap (cap_html_hostile):
# names that attack a web page, in the SNI and in the certificates
# (scripts/mkhostile-pki.py makes them; port picked free at run time).
# The notices capture: notices.pcap (cap_notices): one server, six sessions
# 1.5 s apart whose chain goes ok, broken, ok, an untrusted CA's, ok, ok+root.
#
# Ground truth for each is in pcaps/README.md.  Re-running re-records every
# capture (or only the ones named: `scripts/mkpcaps.sh tls13 ipv6`); keys,
# randoms and times change, certificates do not (mkpki.sh keeps them), so the
# expectations in tests/e2e/cases/lab-*.expect.json stay valid; frame numbers
# and times do not.  Run scripts/quirks.sh afterwards: it rewrites some of
# these files.
#
# Pitfalls handled here: tcpdump runs with --immediate-mode -B 4096 and we
# wait for its "listening on" before connecting; it is stopped with SIGINT and
# must report "0 packets dropped by kernel".  Loopback TCP checksums are wrong
# in the files (checksum offload): that is expected.
set -eu

cd "$(dirname "$0")/.."
PKI=pcaps/lab/pki
OUT=pcaps/lab
export TZ=UTC

[ -s "$PKI/one.pem" ] || { echo "mkpcaps: run scripts/mkpki.sh first" >&2; exit 1; }
for t in openssl tcpdump ss; do
	command -v "$t" >/dev/null || { echo "mkpcaps: $t not found" >&2; exit 1; }
done

WORK=$(mktemp -d)
TD_PID=""
SRV_PIDS=""
cleanup() {
	local p
	if [ -n "$TD_PID" ]; then kill -INT "$TD_PID" 2>/dev/null || true; fi
	for p in $SRV_PIDS; do kill "$p" 2>/dev/null || true; done
	rm -rf "$WORK"
}
trap cleanup EXIT

die() { echo "mkpcaps: $*" >&2; exit 1; }

# td_start FILE FILTER [tcpdump options...]: capture on lo unless -i is given.
td_start() {
	local file=$1 filter=$2
	shift 2
	local iface=lo
	case " $* " in *" -i "*) iface="" ;; esac
	rm -f "$file"
	# -Z root: tcpdump would otherwise drop to user tcpdump before opening -w
	tcpdump ${iface:+-i "$iface"} --immediate-mode -B 4096 -n -Z root "$@" -w "$file" "$filter" \
		2>"$WORK/td.err" &
	TD_PID=$!
	for _ in $(seq 100); do
		grep -q "listening on" "$WORK/td.err" && return 0
		kill -0 "$TD_PID" 2>/dev/null || break
		sleep 0.1
	done
	cat "$WORK/td.err" >&2
	die "tcpdump did not start"
}

# td_stop: SIGINT, then insist that the kernel dropped nothing.
td_stop() {
	sleep 0.5 # let the last FIN/ACK through
	kill -INT "$TD_PID"
	wait "$TD_PID" || true
	TD_PID=""
	grep -q "^0 packets dropped by kernel" "$WORK/td.err" ||
		{ cat "$WORK/td.err" >&2; die "tcpdump dropped packets"; }
	grep "packets captured" "$WORK/td.err" >&2
}

# wait_listen ADDR PORT: until something listens there.
wait_listen() {
	for _ in $(seq 100); do
		ss -Hltn "( sport = :$2 )" | awk '{print $4}' | grep -qxF "$1:$2" && return 0
		sleep 0.1
	done
	die "nothing listens on $1:$2"
}

# srv_start ADDR PORT CMD...: run a server in the background until it listens.
srv_start() {
	local addr=$1 port=$2
	shift 2
	! ss -Hltn "( sport = :$port )" | awk '{print $4}' |
		grep -qxF -e "$addr:$port" -e "0.0.0.0:$port" -e "*:$port" -e "[::]:$port" ||
		die "$addr:$port is already in use"
	"$@" </dev/null >"$WORK/srv.$port.out" 2>&1 &
	SRV_PIDS="$SRV_PIDS $!"
	wait_listen "$addr" "$port"
}

# srv_wait: servers started with -naccept exit by themselves.
srv_wait() {
	local p
	for p in $SRV_PIDS; do
		for _ in $(seq 50); do kill -0 "$p" 2>/dev/null || break; sleep 0.1; done
		kill "$p" 2>/dev/null || true
		wait "$p" 2>/dev/null || true
	done
	SRV_PIDS=""
}

# s_server NAME ADDR PORT [options...]: serve NAME's cert and chain file, one
# connection (a later -naccept in the options wins); -rev echoes lines reversed,
# so application data flows both ways after the handshake.
s_server() {
	local name=$1 addr=$2 port=$3
	shift 3
	local chain=()
	[ -s "$PKI/$name.chain.pem" ] && chain=(-cert_chain "$PKI/$name.chain.pem")
	srv_start "$addr" "$port" openssl s_server -accept "$addr:$port" \
		-cert "$PKI/$name.pem" -key "$PKI/$name.key" "${chain[@]}" -rev -quiet -naccept 1 "$@"
}

# s_client CONNECT [options...]: one session; sends one line, then closes.
# Knobs (environment assignments in front of the call, as in mkpki.sh):
# CA=root (default; the client trusts $PKI/$CA.pem) and VERIFY=0 (the verify
# return code the client must end with; the session goes on whatever it is).
s_client() {
	local connect=$1 want=${VERIFY:-0}
	shift
	echo "hello from chainsniff lab" |
		openssl s_client -connect "$connect" -CAfile "$PKI/${CA:-root}.pem" "$@" \
			>"$WORK/cli.out" 2>&1 || { cat "$WORK/cli.out" >&2; die "s_client $connect failed"; }
	grep -qE "Verify return code: $want \(" "$WORK/cli.out" ||
		{ cat "$WORK/cli.out" >&2; die "s_client $connect: verify return code is not $want"; }
}

# s_client_rejects CONNECT [options...]: a strict client (-verify_return_error)
# that must abort the handshake (it sends a fatal alert after the server's
# flight): VERIFY, when set, is the verify error it must report; ALERT, when
# set, the alert it must send (-msg prints ">>> TLS 1.2, Alert ..., fatal
# NAME").  One of them at least.  CA as for s_client.
s_client_rejects() {
	local connect=$1
	shift
	[ -n "${VERIFY:-}${ALERT:-}" ] || die "s_client_rejects: neither VERIFY nor ALERT"
	if echo "hello from chainsniff lab" |
		openssl s_client -connect "$connect" -CAfile "$PKI/${CA:-root}.pem" -verify_return_error \
			-msg "$@" >"$WORK/cli.out" 2>&1; then
		cat "$WORK/cli.out" >&2
		die "s_client $connect: the handshake succeeded"
	fi
	[ -z "${VERIFY:-}" ] || grep -q "verify error:num=$VERIFY:" "$WORK/cli.out" ||
		{ cat "$WORK/cli.out" >&2; die "s_client $connect: no verify error $VERIFY"; }
	[ -z "${ALERT:-}" ] || grep -qE "^>>> .*Alert .*, fatal $ALERT\$" "$WORK/cli.out" ||
		{ cat "$WORK/cli.out" >&2; die "s_client $connect: it did not send alert $ALERT"; }
}

# simple NAME-OF-FILE CERT SNI [server options] -- [client options]:
# one TLS session on 127.0.0.1:443 captured on lo, with the client function
# CLIENT (default s_client; s_client_rejects for a client that refuses).
simple() {
	local file=$1 cert=$2 sni=$3
	shift 3
	local sopts=() copts=()
	while [ $# -gt 0 ] && [ "$1" != "--" ]; do sopts+=("$1"); shift; done
	[ $# -gt 0 ] && shift
	copts=("$@")
	td_start "$OUT/$file" "tcp port 443 and host 127.0.0.1"
	s_server "$cert" 127.0.0.1 443 "${sopts[@]}"
	"${CLIENT:-s_client}" 127.0.0.1:443 -servername "$sni" "${copts[@]}"
	srv_wait
	td_stop
}

cap_one_intermediate()  { simple one-intermediate.pcap one one.test -tls1_2; }
cap_leaf_only()         { simple leaf-only.pcap alone alone.test -tls1_2; }
cap_two_intermediates() { simple two-intermediates.pcap two two.test -tls1_2; }
cap_tls13()             { simple tls13.pcap one one.test -tls1_3; }
cap_multi_record()      { simple multi-record.pcap two two.test -tls1_2 -max_send_frag 512; }
cap_no_sni() {
	td_start "$OUT/no-sni.pcap" "tcp port 443 and host 127.0.0.1"
	s_server one 127.0.0.1 443 -tls1_2
	s_client 127.0.0.1:443 -noservername
	srv_wait
	td_stop
}

# 1 full handshake, then 5 abbreviated ones on new connections.
cap_resumption() {
	td_start "$OUT/resumption.pcap" "tcp port 443 and host 127.0.0.1"
	s_server one 127.0.0.1 443 -tls1_2 -naccept 6
	openssl s_client -connect 127.0.0.1:443 -servername one.test -tls1_2 -reconnect \
		-CAfile "$PKI/root.pem" </dev/null >"$WORK/cli.out" 2>&1 ||
		{ cat "$WORK/cli.out" >&2; die "s_client -reconnect failed"; }
	[ "$(grep -c '^Reused, ' "$WORK/cli.out")" -eq 5 ] ||
		{ cat "$WORK/cli.out" >&2; die "resumption: expected 5 reused sessions"; }
	srv_wait
	td_stop
}

cap_ipv6() {
	td_start "$OUT/ipv6.pcap" "ip6 and tcp port 443"
	s_server v6 "[::1]" 443 -6 -tls1_2
	s_client "[::1]:443" -servername v6.test
	srv_wait
	td_stop
}

cap_any_sll() {
	td_start "$OUT/any-sll.pcap" "tcp port 443 and host 127.0.0.1" -i any -y LINUX_SLL
	grep -q "LINUX_SLL " "$WORK/td.err" || die "any-sll: not LINUX_SLL"
	s_server one 127.0.0.1 443 -tls1_2
	s_client 127.0.0.1:443 -servername one.test
	srv_wait
	td_stop
}

cap_any_sll2() {
	td_start "$OUT/any-sll2.pcap" "tcp port 443 and host 127.0.0.1" -i any
	grep -q "LINUX_SLL2" "$WORK/td.err" || die "any-sll2: not LINUX_SLL2"
	s_server two 127.0.0.1 443 -tls1_2
	s_client 127.0.0.1:443 -servername two.test
	srv_wait
	td_stop
}

cap_pcapng() {
	command -v editcap >/dev/null || die "editcap not found (apt-get install wireshark-common)"
	simple pcapng.tmp.pcap one one.test -tls1_2
	editcap -F pcapng "$OUT/pcapng.tmp.pcap" "$OUT/pcapng.pcapng"
	rm -f "$OUT/pcapng.tmp.pcap"
}

cap_nano() {
	td_start "$OUT/nano.pcap" "tcp port 443 and host 127.0.0.1" --time-stamp-precision=nano
	s_server alone 127.0.0.1 443 -tls1_2
	s_client 127.0.0.1:443 -servername alone.test
	srv_wait
	td_stop
}

cap_port_8443() {
	td_start "$OUT/port-8443.pcap" "tcp port 8443 and host 127.0.0.1"
	s_server one 127.0.0.1 8443 -tls1_2
	s_client 127.0.0.1:8443 -servername one.test
	srv_wait
	td_stop
}

# The server asks for a client certificate; the client sends client+int1.
# Only one.test+int1 is a server chain.
cap_client_auth() {
	td_start "$OUT/client-auth.pcap" "tcp port 443 and host 127.0.0.1"
	s_server one 127.0.0.1 443 -tls1_2 -Verify 2 -CAfile "$PKI/root.pem" -verify_return_error
	s_client 127.0.0.1:443 -servername one.test -cert "$PKI/client.pem" \
		-key "$PKI/client.key" -cert_chain "$PKI/client.chain.pem"
	srv_wait
	td_stop
}

# Four connections to three (ip, port, sni) servers, in this order:
# 127.0.0.10:443 one.test, 127.0.0.2:443 two.test, 127.0.0.2:443 no SNI,
# 127.0.0.10:443 one.test again.  Sorted: .2/null, .2/two.test, .10/one.test.
cap_multi_server() {
	td_start "$OUT/multi-server.pcap" "tcp port 443 and net 127.0.0.0/8"
	s_server one 127.0.0.10 443 -tls1_2 -naccept 2
	s_server two 127.0.0.2 443 -tls1_2 -naccept 2
	s_client 127.0.0.10:443 -servername one.test
	s_client 127.0.0.2:443 -servername two.test
	s_client 127.0.0.2:443 -noservername
	s_client 127.0.0.10:443 -servername one.test
	srv_wait
	td_stop
}

# SMTP (RFC 3207) from scripts/starttls-server.py: greeting, EHLO with
# STARTTLS, 220, then TLS 1.2 (so the chain is visible) with smtp.test+int1.
cap_smtp_starttls() {
	td_start "$OUT/smtp-starttls.pcap" "tcp port 25 and host 127.0.0.1"
	srv_start 127.0.0.1 25 /usr/bin/python3 scripts/starttls-server.py smtp 127.0.0.1 25 \
		"$PKI/smtp.pem" "$PKI/smtp.key" "$PKI/smtp.chain.pem"
	s_client 127.0.0.1:25 -starttls smtp -servername smtp.test
	srv_wait
	td_stop
}

# ---- STARTTLS and other preambles (pcaps/README.md, "Preamble captures") --

preamble_server() { # PROTOCOL PORT
	srv_start 127.0.0.1 "$2" /usr/bin/python3 scripts/starttls-server.py "$1" 127.0.0.1 "$2" \
		"$PKI/one.pem" "$PKI/one.key" "$PKI/one.chain.pem"
}

preamble() { # FILE PROTOCOL PORT s_client options...
	local file=$1 proto=$2 port=$3
	shift 3
	td_start "$OUT/$file" "tcp port $port and host 127.0.0.1"
	preamble_server "$proto" "$port"
	s_client "127.0.0.1:$port" -servername one.test -tls1_2 "$@"
	srv_wait
	td_stop
}

cap_xmpp_starttls()     { preamble xmpp-starttls.pcap xmpp 5222 -starttls xmpp -xmpphost one.test; }
cap_postgres_starttls() { preamble postgres-starttls.pcap postgres 5432 -starttls postgres; }
cap_ldap_starttls()     { preamble ldap-starttls.pcap ldap 389 -starttls ldap; }
cap_irc_starttls()      { preamble irc-starttls.pcap irc 6667 -starttls irc; }
cap_nntp_starttls()     { preamble nntp-starttls.pcap nntp 119 -starttls nntp; }
cap_sieve_starttls()    { preamble sieve-starttls.pcap sieve 4190 -starttls sieve; }
cap_mysql_starttls()    { preamble mysql-starttls.pcap mysql 3306 -starttls mysql; }

cap_http_connect() {
	td_start "$OUT/http-connect.pcap" "tcp port 3128 and host 127.0.0.1"
	preamble_server connect 3128
	s_client one.test:443 -proxy 127.0.0.1:3128 -servername one.test -tls1_2
	srv_wait
	td_stop
}

cap_rdp_tls() {
	td_start "$OUT/rdp-tls.pcap" "tcp port 3389 and host 127.0.0.1"
	preamble_server rdp 3389
	/usr/bin/python3 scripts/starttls-server.py rdp-client 127.0.0.1 3389 one.test "$PKI/root.pem" ||
		die "the RDP client failed"
	srv_wait
	td_stop
}

# ---- IP fragments from a real router ----------------------------------------

cap_frag_router() {
	local ns=csfrag$$ n
	netns_cleanup() { for n in c r s; do ip netns del "$ns$n" 2>/dev/null || true; done; }
	trap 'netns_cleanup; cleanup' EXIT
	for n in c r s; do ip netns add "$ns$n"; ip -n "$ns$n" link set lo up; done
	ip link add c0 netns "${ns}c" type veth peer name r0 netns "${ns}r"
	ip link add s0 netns "${ns}s" type veth peer name r1 netns "${ns}r"
	ip -n "${ns}c" addr add 192.0.2.1/24 dev c0
	ip -n "${ns}r" addr add 192.0.2.254/24 dev r0
	ip -n "${ns}r" addr add 198.51.100.254/24 dev r1
	ip -n "${ns}s" addr add 198.51.100.1/24 dev s0
	ip -n "${ns}r" link set r0 mtu 576
	for n in "c c0" "r r0" "r r1" "s s0"; do set -- $n; ip -n "$ns$1" link set "$2" up; done
	ip -n "${ns}c" route add default via 192.0.2.254
	ip -n "${ns}s" route add default via 198.51.100.254
	ip netns exec "${ns}r" sysctl -qw net.ipv4.ip_forward=1
	ip netns exec "${ns}s" sysctl -qw net.ipv4.ip_no_pmtu_disc=1
	rm -f "$OUT/frag-router.pcap"
	ip netns exec "${ns}c" tcpdump -i c0 --immediate-mode -B 4096 -n -Z root \
		-w "$OUT/frag-router.pcap" "host 198.51.100.1" 2>"$WORK/td.err" &
	TD_PID=$!
	for _ in $(seq 100); do grep -q "listening on" "$WORK/td.err" && break; sleep 0.1; done
	ip netns exec "${ns}s" openssl s_server -accept 198.51.100.1:443 -cert "$PKI/one.pem" \
		-key "$PKI/one.key" -cert_chain "$PKI/one.chain.pem" -rev -quiet -naccept 1 \
		</dev/null >"$WORK/srv.out" 2>&1 &
	SRV_PIDS="$SRV_PIDS $!"
	for _ in $(seq 100); do
		ip netns exec "${ns}s" ss -Hltn | grep -q 198.51.100.1:443 && break
		sleep 0.1
	done
	echo "hello from chainsniff lab" | ip netns exec "${ns}c" openssl s_client \
		-connect 198.51.100.1:443 -servername one.test -tls1_2 -CAfile "$PKI/root.pem" \
		>"$WORK/cli.out" 2>&1 || { cat "$WORK/cli.out" >&2; die "s_client failed"; }
	grep -q "Verify return code: 0 (" "$WORK/cli.out" || die "s_client: verification failed"
	srv_wait
	td_stop
	netns_cleanup
	trap cleanup EXIT
}

# ---- the chain diagnosis (pcaps/README.md, "Diagnosis captures") ----------
# Each server sends the chain of mkpki.sh's NAME.chain.pem in file order (what
# tshark shows); the client trusts trust.pem (root, ecroot) and must end with
# the verify return code VERIFY: 0, or the LAST error s_client's verify
# callback saw (a leaf alone: 20 then 21, "unable to verify the first
# certificate"; undernotca: 79 then 32, "key usage does not include
# certificate signing").  mkpki.sh checks openssl verify's FIRST error.
# The SHA-1 and RSA-1024 leaves need @SECLEVEL=0 on both sides.
LOW=(-cipher "DEFAULT@SECLEVEL=0")
cap_diag_untrusted_root() { CA=trust VERIFY=19 simple diag-untrusted-root.pcap evil evil.test -tls1_2; }
cap_diag_expired_intermediate() {
	CA=trust VERIFY=10 simple diag-expired-intermediate.pcap underexp underexp.test -tls1_2
}
cap_diag_expired_leaf()     { CA=trust VERIFY=10 simple diag-expired-leaf.pcap expired expired.test -tls1_2; }
# The client trusts oldroot only: the path oldleaf -> oldroot ends at an
# expired anchor.
cap_diag_expired_root()     { CA=oldroot VERIFY=10 simple diag-expired-root.pcap oldleaf oldleaf.test -tls1_2; }
# OpenSSL (trusted first) stops at the trusted root and never looks at rootxs.
cap_diag_cross_sign_stale() { CA=trust VERIFY=0 simple diag-cross-sign-stale.pcap xs xs.test -tls1_2; }
cap_diag_weak_signature() {
	CA=trust VERIFY=0 simple diag-weak-signature.pcap sha1 sha1.test -tls1_2 "${LOW[@]}" -- -tls1_2 "${LOW[@]}"
}
cap_diag_weak_key() {
	CA=trust VERIFY=0 simple diag-weak-key.pcap rsa1024 rsa1024.test -tls1_2 "${LOW[@]}" -- -tls1_2 "${LOW[@]}"
}
cap_diag_not_ca()           { CA=trust VERIFY=32 simple diag-not-ca.pcap undernotca undernotca.test -tls1_2; }
cap_diag_not_yet_valid()    { CA=trust VERIFY=9 simple diag-not-yet-valid.pcap future future.test -tls1_2; }
# Only before soon's notAfter (CERTS.txt); after it, the committed file is kept.
cap_diag_expiring_soon() {
	if ! openssl x509 -in "$PKI/soon.pem" -noout -checkend 0 >/dev/null; then
		echo "mkpcaps: soon.pem has expired: diag-expiring-soon.pcap kept as it is" >&2
		return 0
	fi
	CA=trust VERIFY=0 simple diag-expiring-soon.pcap soon soon.test -tls1_2
}
cap_diag_ecdsa_ok()         { CA=trust VERIFY=0 simple diag-ecdsa-ok.pcap ec ec.test -tls1_2; }
cap_diag_bad_purpose()      { CA=trust VERIFY=26 simple diag-bad-purpose.pcap clientonly clientonly.test -tls1_2; }
cap_diag_self_signed_leaf() { CA=trust VERIFY=18 simple diag-self-signed-leaf.pcap selfsigned selfsigned.test -tls1_2; }
cap_diag_hostname_mismatch() {
	CA=trust VERIFY=62 simple diag-hostname-mismatch.pcap one mismatch.test -tls1_2 -- \
		-verify_hostname mismatch.test
}
cap_diag_wrong_order()      { CA=trust VERIFY=0 simple diag-wrong-order.pcap order order.test -tls1_2; }
cap_diag_root_included()    { CA=trust VERIFY=0 simple diag-root-included.pcap rootinc rootinc.test -tls1_2; }
cap_diag_duplicate_cert()   { CA=trust VERIFY=0 simple diag-duplicate-cert.pcap dup dup.test -tls1_2; }
cap_diag_extra_certs()      { CA=trust VERIFY=0 simple diag-extra-certs.pcap extra extra.test -tls1_2; }
cap_diag_missing_aia()      { CA=trust VERIFY=21 simple diag-missing-aia.pcap aia aia.test -tls1_2; }

# Two servers: miss.test alone on :443 first (its issuer int1 is missing), then
# one.test with int1 on :8443, which puts int1 in the capture.
cap_diag_missing_seen() {
	td_start "$OUT/diag-missing-seen.pcap" "host 127.0.0.1 and (tcp port 443 or tcp port 8443)"
	s_server miss 127.0.0.1 443 -tls1_2
	s_server one 127.0.0.1 8443 -tls1_2
	CA=trust VERIFY=21 s_client 127.0.0.1:443 -servername miss.test
	CA=trust VERIFY=0 s_client 127.0.0.1:8443 -servername one.test
	srv_wait
	td_stop
}

# Strict clients that reject the chain: a fatal unknown_ca alert (48) in
# cleartext (TLS 1.2) right after the server's flight.  client-rejects: the
# evil chain (untrusted root) to a client that trusts root only; rejected-ok:
# a good chain (one, int1) to a client that trusts evilroot only.
cap_diag_client_rejects() {
	td_start "$OUT/diag-client-rejects.pcap" "tcp port 443 and host 127.0.0.1"
	s_server evil 127.0.0.1 443 -tls1_2
	CA=root VERIFY=19 s_client_rejects 127.0.0.1:443 -servername evil.test
	srv_wait
	td_stop
}
cap_diag_rejected_ok() {
	td_start "$OUT/diag-rejected-ok.pcap" "tcp port 443 and host 127.0.0.1"
	s_server one 127.0.0.1 443 -tls1_2
	CA=evilroot VERIFY=20 s_client_rejects 127.0.0.1:443 -servername one.test
	srv_wait
	td_stop
}

# Issue 17: strict clients (TLS 1.2, -verify_return_error) and the alert each
# really sends, read from s_client -msg.
cap_diag_name_constraint() {
	CA=trust VERIFY=47 ALERT=certificate_unknown CLIENT=s_client_rejects \
		simple diag-name-constraint.pcap ncout outside.test -tls1_2
}
cap_diag_critical_extension() {
	CA=trust VERIFY=34 ALERT=certificate_unknown CLIENT=s_client_rejects \
		simple diag-critical-extension.pcap poison poison.test -tls1_2
}
cap_diag_bad_purpose_ku() {
	CA=trust VERIFY=26 ALERT=unsupported_certificate CLIENT=s_client_rejects \
		simple diag-bad-purpose-ku.pcap kunone kunone.test -tls1_2
}
# kuenc (keyUsage keyEncipherment only) with ECDHE_RSA: OpenSSL's client does
# not check the key usage of an RSA leaf, so the session completes.
cap_diag_key_usage_mismatch() {
	CA=trust VERIFY=0 simple diag-key-usage-mismatch.pcap kuenc kuenc.test -tls1_2 \
		-cipher ECDHE-RSA-AES128-GCM-SHA256
}
# A damaged leaf signature: verify error 7, alert decrypt_error (51).
cap_diag_rejects_decrypt_error() {
	CA=trust VERIFY=7 ALERT=decrypt_error CLIENT=s_client_rejects \
		simple diag-rejects-decrypt-error.pcap sigflip sigflip.test -tls1_2
}
# A good chain, but DHE with the 1024-bit group of RFC 5114 (2.1): the client
# (security level 2) refuses the ServerKeyExchange, "dh key too small", with
# handshake_failure (40) right after the server's flight.
cap_diag_rejects_handshake_failure() {
	openssl genpkey -genparam -algorithm DH -pkeyopt dh_rfc5114:1 -out "$WORK/dh1024.pem"
	CA=trust ALERT=handshake_failure CLIENT=s_client_rejects \
		simple diag-rejects-handshake-failure.pcap one one.test -tls1_2 \
		-dhparam "$WORK/dh1024.pem" -cipher 'DHE-RSA-AES128-GCM-SHA256:@SECLEVEL=0'
}

# ---- ranking by frequency (issue 4; pcaps/README.md, "Frequency captures") --
# freq-sessions.pcap: nine TLS 1.2 sessions, all from 127.0.0.1 (s_client
# cannot choose its source address), to three servers whose addresses sort
# opposite to the ranking they must get (so the tie-break cannot pass for it):
#   127.0.0.11:443 one.test      one, int1: good                 connections 3, 8
#   127.0.0.12:443 expired.test  expired (2021), int1: broken    connections 4, 7
#   127.0.0.13:443 miss.test     miss alone: broken (no int1)    connections 1, 2, 5, 6, 9
# scripts/quirks.sh then gives each connection its own client address and
# port (pcapedit.py clients): freq-three-servers.pcap.
cap_freq_sessions() {
	local c
	td_start "$OUT/freq-sessions.pcap" "tcp port 443 and net 127.0.0.0/8"
	s_server one 127.0.0.11 443 -tls1_2 -naccept 2
	s_server expired 127.0.0.12 443 -tls1_2 -naccept 2
	s_server miss 127.0.0.13 443 -tls1_2 -naccept 5
	for c in miss miss one expired miss miss expired one miss; do
		case $c in
		one) CA=trust VERIFY=0 s_client 127.0.0.11:443 -servername one.test ;;
		expired) CA=trust VERIFY=10 s_client 127.0.0.12:443 -servername expired.test ;;
		miss) CA=trust VERIFY=21 s_client 127.0.0.13:443 -servername miss.test ;;
		esac
	done
	srv_wait
	td_stop
}

# freq-hostile-sni.pcap: one server (miss alone, so every entry is broken and
# listed with its fix) hit once with each of these SNIs, which a report must
# make safe: spreadsheet formulas (CSV), control characters and escape
# sequences (terminal; also U+009B, the one-character CSI, in UTF-8), a long
# name (table width), UTF-8 and bytes that are not UTF-8 (JSON).  s_client sends the bytes as given.
FREQ_HOSTILE_SNIS=(
	'=cmd|calc'
	'+1+1.test'
	'-1+1.test'
	'@SUM(1+1)'
	$'\tab.test'
	$'\r\nnewline.test'
	$'\e[31mred\e[0m.test'
	$'\xc2\x9b31mcsi.test'
	"$(printf 'a%.0s' {1..60}).$(printf 'b%.0s' {1..60}).test"
	$'b\xc3\xbccher.test'
	$'bad\xff\xfe.test'
)
cap_freq_hostile_sni() {
	local sni
	td_start "$OUT/freq-hostile-sni.pcap" "tcp port 443 and host 127.0.0.1"
	s_server miss 127.0.0.1 443 -tls1_2 -naccept ${#FREQ_HOSTILE_SNIS[@]}
	for sni in "${FREQ_HOSTILE_SNIS[@]}"; do
		CA=trust VERIFY=21 s_client 127.0.0.1:443 -servername "$sni"
	done
	srv_wait
	td_stop
}

# ---- a server whose state changes (--notices; pcaps/README.md, "notices.pcap")
# One server, 127.0.0.21:443 with SNI one.test, six sessions 1.5 s apart, each
# served by a fresh s_server with another chain; the client trusts root.pem:
#   1  one, int1              ok                              verify 0
#   2  one alone              missing_intermediate: broken    verify 21
#   3  one, int1              ok again                        verify 0
#   4  evil, evilint, evilroot (a leaf for evil.test, under the untrusted Evil
#      Root: what an intercepting proxy with its own CA sends)  verify 19
#   5  one, int1              ok again                        verify 0
#   6  one, int1, root        ok, root_included (a new chain)  verify 0
cap_notices() {
	local step
	cat "$PKI/int1.pem" "$PKI/root.pem" >"$WORK/int1-root.pem"
	td_start "$OUT/notices.pcap" "tcp port 443 and host 127.0.0.21"
	for step in 1 2 3 4 5 6; do
		case $step in
		1 | 3 | 5) s_server one 127.0.0.21 443 -tls1_2 ;;
		2) srv_start 127.0.0.21 443 openssl s_server -accept 127.0.0.21:443 -cert "$PKI/one.pem" \
			-key "$PKI/one.key" -rev -quiet -naccept 1 -tls1_2 ;;
		4) s_server evil 127.0.0.21 443 -tls1_2 ;;
		6) srv_start 127.0.0.21 443 openssl s_server -accept 127.0.0.21:443 -cert "$PKI/one.pem" \
			-key "$PKI/one.key" -cert_chain "$WORK/int1-root.pem" -rev -quiet -naccept 1 \
			-tls1_2 ;;
		esac
		case $step in
		2) VERIFY=21 s_client 127.0.0.21:443 -servername one.test ;;
		4) VERIFY=19 s_client 127.0.0.21:443 -servername one.test ;;
		*) VERIFY=0 s_client 127.0.0.21:443 -servername one.test ;;
		esac
		srv_wait
		[ $step = 6 ] || sleep 1.5
	done
	td_stop
}

# free_port: a TCP port nothing on 127.0.0.1 uses now (the kernel picks it)
free_port() {
	/usr/bin/python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# html-hostile.pcap: what the HTML report must show as text and never run
# (tests/e2e/html.sh).  The hostile PKI (scripts/mkhostile-pki.py, made
# once into $PKI, kept like mkpki.sh's): leaf subject <script>, "onerror=,
# a bidi override and control characters; the intermediate's subject <img
# onerror> and </style><script>.  Two sessions on a free port:
#   1  leaf + intermediate, SNI <script>alert(5)</script>"onerror=alert(6) x='
#      (hostname_mismatch: the leaf is for hostile.test)        verify 0
#   2  the leaf alone, SNI U+202E <b>bad, bytes ff fe (not UTF-8), .test
#      (missing_intermediate; the intermediate was seen in 1)   verify 21
HTML_HOSTILE_SNIS=(
	"<script>alert(5)</script>\"onerror=alert(6) x='"
	$'\xe2\x80\xae<b>bad\xff\xfe.test'
)
cap_html_hostile() {
	local port
	[ -s "$PKI/hostile-leaf.pem" ] || /usr/bin/python3 scripts/mkhostile-pki.py "$PKI"
	port=$(free_port)
	td_start "$OUT/html-hostile.pcap" "tcp port $port and host 127.0.0.1"
	s_server hostile-leaf 127.0.0.1 "$port" -tls1_2
	CA=hostile-root s_client "127.0.0.1:$port" -servername "${HTML_HOSTILE_SNIS[0]}"
	srv_wait
	srv_start 127.0.0.1 "$port" openssl s_server -accept "127.0.0.1:$port" \
		-cert "$PKI/hostile-leaf.pem" -key "$PKI/hostile-leaf.key" -rev -quiet -naccept 1 -tls1_2
	CA=hostile-root VERIFY=21 s_client "127.0.0.1:$port" -servername "${HTML_HOSTILE_SNIS[1]}"
	srv_wait
	td_stop
}

FREQ="freq_sessions freq_hostile_sni"
PREAMBLES="xmpp_starttls postgres_starttls ldap_starttls irc_starttls nntp_starttls sieve_starttls
mysql_starttls http_connect rdp_tls"
DIAG="diag_untrusted_root diag_expired_intermediate diag_expired_leaf diag_expired_root
diag_cross_sign_stale diag_weak_signature diag_weak_key diag_not_ca diag_not_yet_valid
diag_expiring_soon diag_ecdsa_ok diag_bad_purpose diag_self_signed_leaf diag_hostname_mismatch
diag_wrong_order diag_root_included diag_duplicate_cert diag_extra_certs diag_missing_seen
diag_missing_aia diag_client_rejects diag_rejected_ok diag_name_constraint diag_critical_extension
diag_bad_purpose_ku diag_key_usage_mismatch diag_rejects_decrypt_error
diag_rejects_handshake_failure"
ALL="one_intermediate leaf_only two_intermediates tls13 resumption multi_record ipv6
any_sll any_sll2 pcapng nano port_8443 no_sni smtp_starttls client_auth multi_server $DIAG $FREQ
$PREAMBLES frag_router notices html_hostile"
if [ $# -gt 0 ]; then
	ALL=$(echo "$@" | tr - _)
	[ "$ALL" = diag ] && ALL=$DIAG
	[ "$ALL" = freq ] && ALL=$FREQ
	[ "$ALL" = preambles ] && ALL=$PREAMBLES
	[ "$ALL" = frag ] && ALL=frag_router
fi
for c in $ALL; do
	echo "mkpcaps: $c" >&2
	"cap_$c"
done
