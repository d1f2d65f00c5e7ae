#!/usr/bin/env bash
# live.sh - chainsniff on the loopback interface while real openssl clients
# connect to servers with a good and a broken chain; SIGUSR1 must write a
# report now, SIGTERM the final one (exit 0).  Needs root (capture on lo);
# otherwise it says it was skipped.
#   tests/e2e/live.sh BINARY
. "$(dirname "$0")/lib.sh" live "$1"
if [ "$(id -u)" -ne 0 ]; then
	echo "skipped live: capturing on lo needs root"
	echo "0 passed, 0 failed, 1 skipped"
	exit 0
fi
pids=()
cleanup() { kill "${pids[@]}" 2>/dev/null; rm -rf "$T"; }
trap cleanup EXIT
GOOD=$(free_ports)
BROKEN=$((GOOD + 1))
"$BIN" -i lo -f "tcp port $GOOD or tcp port $BROKEN" --ca-file "$PKI/root.pem" \
	--report-dir "$T/reports" --sensor live-test --format json -o "$T/final.json" \
	2> "$T/cs.err" &
CS=$!
pids+=("$CS")
# the good server sends its intermediate; the broken one only its leaf
lab_server $GOOD one 1 chain
lab_server $BROKEN two 2
sleep 1.5 # libpcap is activated and the servers listen
tls_connect $GOOD one.test
tls_connect $BROKEN two.test
tls_connect $BROKEN two.test
sleep 1
kill -USR1 "$CS"
for _ in $(seq 50); do ls "$T"/reports/*.json > /dev/null 2>&1 && break; sleep 0.1; done
sig=$(ls "$T"/reports/*.json 2>/dev/null | head -1)
jqt signal-report-written 'true' "${sig:-/nonexistent}"
jqt signal-kind '.window.kind == "signal"' "$sig"
jqt signal-broken-server '[.servers[] | select(.server_port == '$BROKEN')][0] | .status == "broken" and .broken_handshakes == 2 and .sni == "two.test"' "$sig"
jqt signal-good-server '[.servers[] | select(.server_port == '$GOOD')][0] | .status == "ok" and .handshakes == 1' "$sig"
jqt signal-problem '[.servers[] | select(.server_port == '$BROKEN')][0].problems | map(.code) | index("missing_intermediate") != null' "$sig"
jqt signal-became-broken '.window.became_broken | length == 1' "$sig"
jqt signal-drops '.inputs[0].drops.dropped == 0 and .inputs[0].drops.received > 0' "$sig"
kill -TERM "$CS"
wait "$CS"
rc=$?
[ $rc -eq 0 ] && ok sigterm-exit-0 || bad sigterm-exit-0 "exit $rc: $(cat "$T/cs.err")"
jqt final-report '.totals.tls_handshakes == 3 and .totals.broken_handshakes == 2 and .totals.servers_broken == 1' "$T/final.json"
jqt final-ranking '.servers[0].server_port == '$BROKEN "$T/final.json"
jqt final-drops '.inputs[0].kind == "interface" and .inputs[0].drops.dropped == 0' "$T/final.json"
final=$(ls "$T"/reports/*.json | tail -1)
jqt final-file-kind '.window.kind == "final"' "$final"
echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
