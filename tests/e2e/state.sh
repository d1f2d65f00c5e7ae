#!/usr/bin/env bash
# state.sh - --state end to end: three runs each reading one capture into the
# same state file must report what one run over the three captures reports
# (every count, every server, chain and client set); a missing state file is
# a first run; a corrupt one, one of another report_version and a merged
# report are refused with one line (exit 1); and a run killed with SIGKILL
# while it saves its state at every periodic report leaves a state file that
# is whole JSON and loads.  The client key beside the state: created 0600,
# its id in the state, never the key; other keys and pre-key states refused.
#   tests/e2e/state.sh BINARY
. "$(dirname "$0")/lib.sh" state "$1"
# the key the --state runs below use (client.key beside $T/s.state), for the
# runs without --state that must hash clients alike (reports carry sketches)
KEY=(--client-key "$T/client.key")
A=pcaps/real/zeek__tls__missing-intermediate.pcap
B=pcaps/lab/multi-server.pcap
C=pcaps/lab/diag-client-rejects.pcap
SLOW=pcaps/real/ndpi__KakaoTalk_chat.pcap # 347 packets over 52 s of capture time
pids=()
cleanup() { for p in "${pids[@]}"; do kill -9 "$p" 2>/dev/null; done; rm -rf "$T"; }
trap cleanup EXIT

# What a restored run cannot know: this run's inputs and its per-run decoder,
# cap and anomaly counters.  Everything else must be equal.
NORM='del(.inputs, .decode, .caps, .anomalies, .diagnosis)'

# -- three runs into one state file == one run over the three captures
rc=0
for f in "$A" "$B" "$C"; do
	"$BIN" -r "$f" "${TRUST[@]}" --sensor e2e --state "$T/s.state" --format json \
		-o "$T/run.json" 2>"$T/err" || rc=$?
done
"$BIN" -r "$A" -r "$B" -r "$C" "${TRUST[@]}" "${KEY[@]}" --sensor e2e --format json -o "$T/one.json" ||
	rc=$?
if [ $rc != 0 ]; then
	bad runs "exit status $rc: $(cat "$T/err")"
elif ! jq -e . "$T/s.state" >/dev/null || ! $PY -m json.tool "$T/s.state" >/dev/null; then
	bad runs "the state file is not JSON"
else
	ok runs
	if diff <(jq -S "$NORM" "$T/run.json") <(jq -S "$NORM" "$T/one.json") >"$T/diff"; then
		ok same-as-one-run
	else
		bad same-as-one-run "$(head -20 "$T/diff")"
	fi
	want=$(jq -c '[.totals.packets, .totals.tls_handshakes, .totals.broken_handshakes,
		(.servers | length)]' "$T/one.json")
	got=$(jq -c '[.totals.packets, .totals.tls_handshakes, .totals.broken_handshakes,
		(.servers | length)]' "$T/s.state")
	[ "$want" = "$got" ] && ok state-file-totals || bad state-file-totals "$got, wanted $want"
	# the state file is the report plus what counting needs
	if jq -e '.servers | all(.clients_sketch and .clients_total_sketch and
		(.chains | all(.certs | all(.der))))' "$T/s.state" >/dev/null; then
		ok carries-sketches-and-der
	else
		bad carries-sketches-and-der "a sketch or a der is missing"
	fi
	[ "$(stat -c %a "$T/s.state")" = 600 ] && ok mode-600 || bad mode-600 "$(stat -c %a "$T/s.state")"
	[ ! -e "$T/s.state.tmp" ] && ok no-temporary-left || bad no-temporary-left "s.state.tmp exists"
fi

# -- a per-handshake problem (key_usage_mismatch: the leaf's keyUsage
# against the cipher suite) is judged again from the state file
KU=pcaps/lab/diag-key-usage-mismatch.pcap
"$BIN" -r "$KU" "${TRUST[@]}" "${KEY[@]}" --format json -o "$T/ku.run.json" 2>/dev/null
"$BIN" -r "$KU" "${TRUST[@]}" "${KEY[@]}" --format state -o "$T/ku.state" 2>/dev/null
"$BIN" -r "$KU" --since 2099-01-01 "${TRUST[@]}" "${KEY[@]}" --state "$T/ku.state" --format json \
	-o "$T/ku.restored.json" 2>/dev/null
if ! jq -e '[.servers[].chains[].problems[].code] | index("key_usage_mismatch")' "$T/ku.run.json" >/dev/null; then
	bad key-usage-restored "the run has no key_usage_mismatch"
elif cmp -s <(jq -S .servers "$T/ku.run.json") <(jq -S .servers "$T/ku.restored.json"); then
	ok key-usage-restored
else
	bad key-usage-restored "$(diff <(jq -S .servers "$T/ku.run.json") <(jq -S .servers "$T/ku.restored.json") | head -5)"
fi

# -- refused state files: one line, exit 1, nothing read
refused() { # name, file, pattern
	"$BIN" -r "$A" "${TRUST[@]}" --state "$2" --format json -o "$T/out.json" 2>"$T/err"
	local rc=$?
	if [ $rc = 1 ] && [ "$(wc -l <"$T/err")" = 1 ] && grep -Eq -- "$3" "$T/err"; then
		ok "refuses-$1"
	else
		bad "refuses-$1" "exit $rc, stderr: $(head -3 "$T/err")"
	fi
}
printf '{"report_version": 1, "servers": [' >"$T/cut.state"
refused truncated "$T/cut.state" "cut.state: not valid JSON"
jq '.report_version = 2' "$T/s.state" >"$T/v2.state"
refused other-version "$T/v2.state" "report_version: 2, but this chainsniff reads version 1"
jq '.servers[0].chains[0].certs[0].der = "not*base64"' "$T/s.state" >"$T/b64.state"
refused bad-base64 "$T/b64.state" "servers\[0\]\.chains\[0\]\.certs\[0\]\.der: not base64"
jq '.totals.packets = -5' "$T/s.state" >"$T/neg.state"
refused negative "$T/neg.state" "totals.packets: -5 is out of range"
jq '.sensors = []' "$T/s.state" >"$T/merged.state"
refused merged-report "$T/merged.state" "a merged report"
"$BIN" -r "$A" "${TRUST[@]}" "${KEY[@]}" --format json -o "$T/plain.json"
refused plain-report "$T/plain.json" "not a state file"

# -- the client key (docs/operations.md, "Client key"): created beside the
# state on the first run, mode 0600, 32 hex digits; the state carries its
# id (first 8 bytes of SHA-256("chainsniff key id" || key), computed here
# with openssl) and never the key; a state of another key, or of the fixed
# pre-key hash (no client_key_id), and a key file open to others, refused
K=$T/client.key
key=$(cat "$K" 2>/dev/null)
want=$( { printf 'chainsniff key id'; printf '%s' "$key" | xxd -r -p; } | openssl dgst -sha256 -r |
	cut -c1-16)
if [ "$(stat -c %a "$K" 2>/dev/null)" = 600 ] && [[ $key =~ ^[0-9a-f]{32}$ ]] &&
   [ "$(wc -c <"$K")" = 33 ]; then
	ok key-file-0600
else
	bad key-file-0600 "mode $(stat -c %a "$K" 2>&1), content ${key:0:40}"
fi
[ "$(jq -r .client_key_id "$T/s.state")" = "$want" ] && ok key-id || bad key-id \
	"$(jq -r .client_key_id "$T/s.state"), openssl says $want"
grep -qF "$key" "$T/s.state" && bad key-not-in-state "the key is in the state file" || ok key-not-in-state
jq 'del(.client_key_id)' "$T/s.state" >"$T/legacy.state"
refused legacy-fixed-key "$T/legacy.state" \
	"legacy.state: written by an earlier chainsniff with the fixed client key .*move it aside"
mkdir -p "$T/k" && cp "$T/s.state" "$T/k/other.state"
"$BIN" -r "$A" --client-key "$T/k/client.key" -o /dev/null 2>/dev/null # another key, made first
refused other-key "$T/k/other.state" "other.state: client_key_id $want, but this run's client key is"
chmod 644 "$K"
refused key-open-to-others "$T/s.state" "client.key: the client key is open to others \(mode 0644\): chmod 600"
chmod 600 "$K"

# -- a missing state file is a first run
"$BIN" -r "$A" "${TRUST[@]}" --state "$T/first.state" --format json -o /dev/null 2>"$T/err"
rc=$?
[ $rc = 0 ] && [ -s "$T/first.state" ] && ok first-run || bad first-run "exit $rc: $(cat "$T/err")"

# -- kill -9 while the state is saved at every periodic report
# The capture is fed through a pipe a record at a time (capture time runs
# over 52 s, so --interval 2s writes a report, and the state, every few
# records); chainsniff is killed at different moments of its run.
feeder() { # pcap file, seconds between records
	$PY - "$1" "$2" <<'EOF'
import struct, sys, time
data = open(sys.argv[1], 'rb').read()
out = sys.stdout.buffer
out.write(data[:24]); out.flush()
le = data[:4] in (b'\xd4\xc3\xb2\xa1', b'\x4d\x3c\xb2\xa1')
off = 24
try:
    while off + 16 <= len(data):
        n = struct.unpack('<I' if le else '>I', data[off + 8:off + 12])[0]
        out.write(data[off:off + 16 + n]); out.flush()
        off += 16 + n
        time.sleep(float(sys.argv[2]))
except BrokenPipeError:
    pass
EOF
}
total=$(jq .totals.packets < <("$BIN" -r "$SLOW" "${TRUST[@]}" --format json))
kills_ok=0 seen=""
for delay in 0.7 1.5 2.3 3.1; do
	rm -rf "$T/k" && mkdir -p "$T/k"
	feeder "$SLOW" 0.012 | "$BIN" -r - "${TRUST[@]}" --sensor kill --interval 2s \
		--report-dir "$T/k/reports" --state "$T/k/s.state" --format json -o /dev/null \
		2>"$T/k/err" &
	pid=$!
	pids+=("$pid")
	sleep "$delay"
	kill -9 "$pid" 2>/dev/null
	wait "$pid" 2>/dev/null
	if [ ! -e "$T/k/s.state" ]; then
		continue # killed before the first report: nothing to check
	fi
	if ! jq -e .report_version "$T/k/s.state" >/dev/null 2>&1 ||
	   ! $PY -m json.tool "$T/k/s.state" >/dev/null 2>&1; then
		bad "kill-9-$delay" "the state file is not whole JSON"
		continue
	fi
	got=$(jq .totals.packets "$T/k/s.state")
	# loadable: a run on another capture starts from it and adds to it
	if "$BIN" -r "$A" "${TRUST[@]}" --sensor kill --state "$T/k/s.state" --format json \
		-o "$T/k/after.json" 2>"$T/k/err2" &&
	   [ "$(jq .totals.packets "$T/k/after.json")" = $((got + 50)) ] &&
	   [ "$got" -gt 0 ] && [ "$got" -le "$total" ]; then
		kills_ok=$((kills_ok + 1))
		seen="$seen $got"
	else
		bad "kill-9-$delay" "state with $got packets did not load: $(cat "$T/k/err2")"
	fi
done
[ $kills_ok -ge 2 ] && ok "kill-9-leaves-a-whole-state (packets saved:$seen of $total)" ||
	bad kill-9-leaves-a-whole-state "only $kills_ok of 4 killed runs had saved a state"

# -- live, as root: SIGUSR1 saves the state, SIGTERM too, and a restarted
# sensor goes on counting from it.
if [ "$(id -u)" -ne 0 ]; then
	echo "skipped state-live: capturing on lo needs root"
else
	PORT=$(free_ports) # a port of our own (and the next one free too)
	lab_server $PORT two 2
	live() { # the sensor on lo until SIGTERM; connects once, SIGUSR1, then stops
		"$BIN" -i lo -f "tcp port $PORT" --ca-file "$PKI/root.pem" --sensor live \
			--state "$T/live.state" --format json -o "$T/live-$1.json" 2>"$T/live.err" &
		local cs=$!
		pids+=("$cs")
		sleep 1.5
		tls_connect $PORT two.test
		sleep 0.5
		kill -USR1 "$cs"
		for _ in $(seq 50); do
			[ "$(jq .totals.tls_handshakes "$T/live.state" 2>/dev/null)" = "$1" ] && break
			sleep 0.1
		done
		jq -e ".totals.tls_handshakes == $1" "$T/live.state" >/dev/null 2>&1 ||
			bad "live-sigusr1-saves-$1" "$(jq -c .totals "$T/live.state" 2>&1)"
		kill -TERM "$cs"
		wait "$cs"
	}
	live 1
	rc1=$?
	live 2
	rc2=$?
	if [ $rc1 = 0 ] && [ $rc2 = 0 ] &&
	   jq -e '.totals.tls_handshakes == 2 and .totals.broken_handshakes == 2 and
		(.servers[0] | .broken_handshakes == 2 and .sni == "two.test")' "$T/live.state" >/dev/null &&
	   jq -e '.servers[0].broken_handshakes == 2' "$T/live-2.json" >/dev/null; then
		ok live-restart-goes-on-counting
	else
		bad live-restart-goes-on-counting "exit $rc1 $rc2: $(cat "$T/live.err")"
	fi
fi

echo "$pass passed, $fail failed"
[ $fail = 0 ]
