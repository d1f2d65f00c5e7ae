#!/usr/bin/env bash
# live.sh - chainsniff on the loopback interface while real openssl clients
# connect to servers with a good and a broken chain; SIGUSR1 must write a
# report now, SIGTERM the final one (exit 0).  Needs root (capture on lo);
# otherwise it says it was skipped.
#   tests/e2e/live.sh BINARY
set -u
BIN=$(realpath "$1")
cd "$(dirname "$0")/../.."
PKI=pcaps/lab/pki
if [ "$(id -u)" -ne 0 ]; then
	echo "skipped live: capturing on lo needs root"
	echo "0 passed, 0 failed, 1 skipped"
	exit 0
fi
T=$(mktemp -d)
pids=()
cleanup() { kill "${pids[@]}" 2>/dev/null; rm -rf "$T"; }
trap cleanup EXIT
pass=0 fail=0
check() { # name, jq filter that must print true, file
	if [ "$(jq -r "$2" "$3" 2>/dev/null)" = true ]; then
		echo "ok live-$1"; pass=$((pass + 1))
	else
		echo "FAIL live-$1: $2 on $3"; fail=$((fail + 1))
	fi
}
# ports of our own, so that another run (or service) on this machine cannot interfere
GOOD=$((20000 + RANDOM % 20000))
while ss -Htan "( sport = :$GOOD or sport = :$((GOOD + 1)) )" 2>/dev/null | grep -q .; do
	GOOD=$((20000 + RANDOM % 20000))
done
BROKEN=$((GOOD + 1))
"$BIN" -i lo -f "tcp port $GOOD or tcp port $BROKEN" --ca-file "$PKI/root.pem" \
	--report-dir "$T/reports" --sensor live-test --format json -o "$T/final.json" \
	2> "$T/cs.err" &
CS=$!
pids+=("$CS")
# the good server sends its intermediate; the broken one only its leaf
openssl s_server -accept $GOOD -cert "$PKI/one.pem" -key "$PKI/one.key" \
	-cert_chain "$PKI/one.chain.pem" -naccept 1 -quiet -rev < /dev/null > /dev/null 2>&1 &
pids+=($!)
openssl s_server -accept $BROKEN -cert "$PKI/two.pem" -key "$PKI/two.key" \
	-naccept 2 -quiet -rev < /dev/null > /dev/null 2>&1 &
pids+=($!)
sleep 1.5 # libpcap is activated and the servers listen
connect() { echo hello | timeout 10 openssl s_client -connect "127.0.0.1:$1" -servername "$2" \
	-tls1_2 -ign_eof > /dev/null 2>&1; }
connect $GOOD one.test
connect $BROKEN two.test
connect $BROKEN two.test
sleep 1
kill -USR1 "$CS"
for _ in $(seq 50); do ls "$T"/reports/*.json > /dev/null 2>&1 && break; sleep 0.1; done
sig=$(ls "$T"/reports/*.json 2>/dev/null | head -1)
check signal-report-written 'true' "${sig:-/nonexistent}"
check signal-kind '.window.kind == "signal"' "$sig"
check signal-broken-server '[.servers[] | select(.server_port == '$BROKEN')][0] | .status == "broken" and .broken_handshakes == 2 and .sni == "two.test"' "$sig"
check signal-good-server '[.servers[] | select(.server_port == '$GOOD')][0] | .status == "ok" and .handshakes == 1' "$sig"
check signal-problem '[.servers[] | select(.server_port == '$BROKEN')][0].problems | map(.code) | index("missing_intermediate") != null' "$sig"
check signal-became-broken '.window.became_broken | length == 1' "$sig"
check signal-drops '.inputs[0].drops.dropped == 0 and .inputs[0].drops.received > 0' "$sig"
kill -TERM "$CS"
wait "$CS"
rc=$?
if [ $rc -eq 0 ]; then echo "ok live-sigterm-exit-0"; pass=$((pass + 1)); else echo "FAIL live-sigterm-exit-0: exit $rc: $(cat "$T/cs.err")"; fail=$((fail + 1)); fi
check final-report '.totals.tls_handshakes == 3 and .totals.broken_handshakes == 2 and .totals.servers_broken == 1' "$T/final.json"
check final-ranking '.servers[0].server_port == '$BROKEN "$T/final.json"
check final-drops '.inputs[0].kind == "interface" and .inputs[0].drops.dropped == 0' "$T/final.json"
final=$(ls "$T"/reports/*.json | tail -1)
check final-file-kind '.window.kind == "final"' "$final"
echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
