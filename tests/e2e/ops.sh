#!/usr/bin/env bash
# ops.sh - chainsniff run as a daemon (issue 12): -T/--check, --since/--until,
# the stats line and --metrics (checked by Prometheus' own text parser),
# start-up checks of the output paths after -Z, periodic write failures
# said once per errno, log rotation with the real logrotate (create,
# copytruncate, a failed reopen), 20 SIGHUPs (history, evidence kept),
# taps (-i twice, two veth pairs in a network namespace of its own),
# make install, the man page, --version, the progress line and
# daily-summary.sh.  Live parts capture on lo with ports picked at run
# time, or in a namespace this script creates and deletes.  Needs root
# (capture, -Z nobody); otherwise it says it was skipped.
#   tests/e2e/ops.sh BINARY
. "$(dirname "$0")/lib.sh" ops "$1"
TOP=$PWD
if [ "$(id -u)" -ne 0 ]; then
	echo "skipped ops: needs root (live capture, -Z nobody)"
	echo "0 passed, 0 failed, 1 skipped"
	exit 0
fi
chmod 0755 "$T" # -Z nobody must reach the directories below
NS=cs12-$$
pids=()
cleanup() {
	kill "${pids[@]}" 2>/dev/null
	ip netns del "$NS" 2>/dev/null
	if [ -n "${OPS_KEEP:-}" ]; then echo "kept $T"; else rm -rf "$T"; fi
}
trap cleanup EXIT
quiet() { "$@" > /dev/null; }
lines() { [ -f "$1" ] && wc -l < "$1" || echo 0; }
count() { grep -c -- "$1" "$2" 2>/dev/null || true; }
# frames of a classic pcap with capture time in [since, until) (seconds), from the file itself
frames_in() {
	"$PY" - "$@" <<'PY'
import struct, sys
path, lo, hi = sys.argv[1], float(sys.argv[2]), float(sys.argv[3])
d = open(path, "rb").read()
magic = struct.unpack("<I", d[:4])[0]
div = 1e9 if magic == 0xA1B23C4D else 1e6
o, n = 24, 0
while o + 16 <= len(d):
    s, f, cl, _ = struct.unpack("<IIII", d[o:o + 16])
    n += lo <= s + f / div < hi
    o += 16 + cl
print(n)
PY
}

########## -T / --check ##########
ONE=pcaps/lab/one-intermediate.pcap
mkdir -p "$T/rootonly" "$T/nobodys"
chown nobody "$T/nobodys"
printf 'not json\n' > "$T/bad-state.json"
check_case() { # name, expected exit, stderr regex, args...
	local name=$1 want=$2 re=$3
	shift 3
	"$BIN" -T "$@" > "$T/out" 2> "$T/err"
	local rc=$?
	if [ $rc -eq "$want" ] && grep -Eq -- "$re" "$T/err" && [ ! -s "$T/out" ]; then
		ok "check-$name"
	else
		bad "check-$name" "exit $rc (want $want), stderr: $(head -3 "$T/err")"
	fi
}
check_case ok 0 '^chainsniff: check passed: 1 input\(s\)' -r "$ONE"
check_case ok-as-nobody 0 'outputs writable as nobody$' -r "$ONE" --report-dir "$T/nobodys" \
	--state "$T/nobodys/state.json" --metrics "$T/nobodys/m.prom" -Z nobody
check_case missing-input 1 "^chainsniff: $T/none.pcap: No such file" -r "$T/none.pcap"
check_case bad-trust 1 "$T/none.pem" -r "$ONE" --ca-file "$T/none.pem"
check_case bad-state 1 "bad-state.json" -r "$ONE" --state "$T/bad-state.json"
check_case report-dir-not-writable 4 "^chainsniff: $T/rootonly: cannot write there as nobody: Permission denied$" \
	-r "$ONE" --report-dir "$T/rootonly" -Z nobody
check_case state-dir-not-writable 4 "^chainsniff: $T/rootonly: cannot write there as nobody" \
	-r "$ONE" --state "$T/rootonly/state.json" -Z nobody
check_case metrics-dir-not-writable 4 "^chainsniff: $T/rootonly: cannot write there as nobody" \
	-r "$ONE" --metrics "$T/rootonly/m.prom" -Z nobody
check_case events-not-writable 4 "^chainsniff: $T/rootonly/events.ndjson: Permission denied" \
	-r "$ONE" --events "$T/rootonly/events.ndjson" -Z nobody
check_case no-such-user 1 '^chainsniff: -Z nosuchuser12: no such user$' -r "$ONE" -Z nosuchuser12
check_case bad-filter 2 '^chainsniff: -f: invalid filter' -r "$ONE" -f 'tcp port'
check_case no-such-interface 1 '^chainsniff: nosuchif12: no such interface' -i nosuchif12
check_case until-before-since 2 '^chainsniff: --until: must be later than --since$' -r "$ONE" \
	--since 2026-11-24 --until 2026-11-23
# a real run with an output it cannot write stops before reading: one line, exit 4, no report
"$BIN" -r "$ONE" --report-dir "$T/rootonly" -Z nobody --format json > "$T/out" 2> "$T/err"
rc=$?
expect start-unwritable-exit-4 [ $rc -eq 4 ]
expect start-unwritable-one-line [ "$(lines "$T/err")" -eq 1 ]
expect start-unwritable-no-report [ ! -s "$T/out" ]
expect start-unwritable-nothing-written [ -z "$(ls -A "$T/rootonly")" ]

########## --since / --until ##########
LEAF=pcaps/lab/leaf-only.pcap MULTI=pcaps/lab/multi-server.pcap FREQ=pcaps/lab/freq-three-servers.pcap
S=$(date -u -d 2026-11-23T02:36:46Z +%s) U=$(date -u -d 2026-11-23T02:37:00Z +%s)
"$BIN" -r "$ONE" -r "$LEAF" -r "$MULTI" -r "$FREQ" --since 2026-11-23T02:36:46Z \
	--until 2026-11-23T02:37:00Z --format json -o "$T/range.json" 2> "$T/err"
expect range-exit-0 [ $? -eq 0 ]
want_in=0
i=0
for f in "$ONE" "$LEAF" "$MULTI" "$FREQ"; do
	in=$(frames_in "$f" "$S" "$U")
	all=$(frames_in "$f" 0 1e12)
	want_in=$((want_in + in))
	jqt "range-input-$i" ".inputs[$i].packets == $in and .inputs[$i].filtered == $((all - in))" "$T/range.json"
	i=$((i + 1))
done
jqt range-packets ".totals.packets == $want_in" "$T/range.json"
# leaf-only (1 handshake) and multi-server (4) lie inside; the others outside
jqt range-handshakes '.totals.tls_handshakes == 5' "$T/range.json"
"$BIN" -r "$ONE" --since 2026-11-24 --format json -o "$T/none.json" 2> "$T/err"
jqt range-all-outside '.totals.packets == 0 and .inputs[0].filtered == 16 and .totals.tls_handshakes == 0' "$T/none.json"

########## stats line and --metrics (a file run) ##########
"$BIN" -r "$ONE" -r "$FREQ" --ca-file "$PKI/trust.pem" --stats-interval 1s --metrics "$T/m.prom" \
	--format json -o "$T/m.json" 2> "$T/stats.err"
expect metrics-run-exit-0 [ $? -eq 0 ]
STATS_RE='^chainsniff: stats [0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9:]{8}Z \(1s\): packets [0-9]+, kernel drops 0, handshakes [0-9]+, broken [0-9]+, evictions 0, cap hits 0$'
expect stats-lines [ "$(grep -Ec "$STATS_RE" "$T/stats.err")" -ge 1 ]
expect stats-nothing-else [ "$(grep -Evc "$STATS_RE" "$T/stats.err")" -eq 0 ]
# the per-interval figures add up to at most the totals (the last interval ends at exit)
sum=$(sed -nE 's/.*: packets ([0-9]+),.*/\1/p' "$T/stats.err" | awk '{s += $1} END {print s + 0}')
jqt stats-sum ".totals.packets >= $sum" "$T/m.json"
frames=$(( $(frames_in "$ONE" 0 1e12) + $(frames_in "$FREQ" 0 1e12) ))
v() { jq -r "$1" "$T/m.json"; }
if "$PY" tests/e2e/promcheck.py "$T/m.prom" "chainsniff_packets_total=$frames" \
	"chainsniff_tls_handshakes_total=$(v .totals.tls_handshakes)" \
	"chainsniff_broken_handshakes_total=$(v .totals.broken_handshakes)" \
	"chainsniff_servers=$(v .totals.servers)" \
	"chainsniff_servers_broken=$(v .totals.servers_broken)" \
	"chainsniff_distinct_chains=$(v .totals.distinct_chains)" \
	"chainsniff_analyses_total=$(v .diagnosis.analyses)" \
	"chainsniff_cap_hits_total{cap=\"flows_evicted\"}=$(v .caps.flows_evicted)" \
	"chainsniff_input_packets_total{input=\"$FREQ\"}=$(frames_in "$FREQ" 0 1e12)" \
	"chainsniff_tls_handshake_outcomes_total{outcome=\"with_chain\"}=$(v .totals.handshakes_with_chain)" \
	"chainsniff_output_errors_total{output=\"metrics\"}=0" > "$T/pc" 2>&1; then
	ok metrics-parsed-and-equal
else
	bad metrics-parsed-and-equal "$(head -5 "$T/pc")"
fi
# every cap of the report is a series, and no other
jq -r '.caps | keys[]' "$T/m.json" | sort > "$T/caps.json.txt"
sed -nE 's/^chainsniff_cap_hits_total\{cap="([a-z_]+)"\} [0-9]+$/\1/p' "$T/m.prom" | sort > "$T/caps.prom.txt"
expect metrics-caps-match-report cmp -s "$T/caps.json.txt" "$T/caps.prom.txt"
# the checker itself refuses a broken file
printf '# HELP chainsniff_x x\n# TYPE chainsniff_x counter\nchainsniff_x 1\n' > "$T/bad.prom"
expect promcheck-can-fail bash -c "! '$PY' tests/e2e/promcheck.py '$T/bad.prom' > /dev/null"

########## periodic write failures: said once per errno, and the recovery ##########
# A capture fed through a FIFO: one TLS session replayed every 70 s of
# capture time (--interval 1m: each replay closes a window), in three
# phases; between them the report directory is made unwritable, then
# writable again.  Each phase waits for what chainsniff wrote, not for time.
mkfifo "$T/feed.pcap"
mkdir -p "$T/prep"
chown nobody "$T/prep"
"$PY" - "$ONE" "$T/feed.pcap" "$T" <<'PY' &
import os, struct, sys, time
src, fifo, tdir = sys.argv[1:4]
d = open(src, "rb").read()
frames, o = [], 24
while o + 16 <= len(d):
    s, f, cl, wl = struct.unpack("<IIII", d[o:o + 16])
    frames.append((s, f, wl, bytearray(d[o + 16:o + 16 + cl])))
    o += 16 + cl
def replay(out, j):
    for s, f, wl, b in frames:
        b = bytearray(b)
        tcp = 14 + (b[14] & 15) * 4
        sport, = struct.unpack(">H", b[tcp:tcp + 2])
        at = tcp + 2 if sport == 443 else tcp  # the client's port: a new connection each time
        b[at:at + 2] = struct.pack(">H", 40000 + j)
        out.write(struct.pack("<IIII", s + 70 * j, f, len(b), wl) + bytes(b))
    out.flush()
def wait(name):
    for _ in range(200):
        if os.path.exists(os.path.join(tdir, name)):
            return
        time.sleep(0.1)
with open(fifo, "wb") as out:
    out.write(d[:24])
    for j in (0, 1):
        replay(out, j)
    wait("go1")
    for j in (2, 3, 4):
        replay(out, j)
    wait("go2")
    for j in (5, 6):
        replay(out, j)
PY
feeder=$!
pids+=("$feeder")
"$BIN" -r "$T/feed.pcap" --interval 1m --report-dir "$T/prep" -Z nobody --metrics "$T/nobodys/feed.prom" \
	--format json -o "$T/nobodys/feed.json" 2> "$T/feed.err" &
cs=$!
pids+=("$cs")
wait_for bash -c "ls '$T'/prep/*.json > /dev/null 2>&1"
chmod 0555 "$T/prep"
touch "$T/go1"
# three windows end while it cannot write: the metrics say when all three failed
wait_for grep -q 'chainsniff_output_errors_total{output="report"} 3' "$T/nobodys/feed.prom"
chmod 0755 "$T/prep"
touch "$T/go2"
wait "$cs"
rc=$?
wait "$feeder"
expect periodic-fail-exit-0 [ $rc -eq 0 ]
expect periodic-fail-said-once [ "$(count "^chainsniff: $T/prep: cannot write the periodic report: Permission denied$" "$T/feed.err")" -eq 1 ]
expect periodic-recovery-said-once [ "$(count "^chainsniff: $T/prep: periodic reports written again$" "$T/feed.err")" -eq 1 ]
# besides, one stats line per window (--stats-interval defaults to --interval)
STATS60='^chainsniff: stats [0-9T:-]+Z \(60s\): packets 16, kernel drops 0, handshakes 1, broken [0-9]+, evictions 0, cap hits 0$'
expect periodic-fail-nothing-else [ "$(grep -Evc "$STATS60" "$T/feed.err")" -eq 2 ]
expect periodic-fail-stats-lines [ "$(grep -Ec "$STATS60" "$T/feed.err")" -eq 6 ]
expect periodic-fail-metrics quiet "$PY" tests/e2e/promcheck.py "$T/nobodys/feed.prom" \
	'chainsniff_output_errors_total{output="report"}=3' chainsniff_tls_handshakes_total=7
# windows 1 (written), 2-4 (refused), 5-6 and the final one (written)
expect periodic-fail-reports [ "$(ls "$T"/prep/*.json | wc -l)" -eq 4 ]
jqt periodic-fail-final-report '.totals.tls_handshakes == 7' "$T/nobodys/feed.json"

########## live on lo: logrotate (create, copytruncate, failed reopen), 20 SIGHUPs ##########
GOOD=$(free_ports)
BROKEN=$((GOOD + 1))
# the good server sends its intermediate; the broken one only its leaf,
# issued by that same intermediate (pcaps/lab/pki/CERTS.txt)
lab_server $GOOD one 2 chain
lab_server $BROKEN miss 2
listens() { ss -Htln "( sport = :$GOOD or sport = :$BROKEN )" | grep -c . | grep -qx 2; }
wait_for listens
mkdir -p "$T/log" "$T/lrep"
chown nobody "$T/log" "$T/lrep"
EV=$T/log/events.ndjson
"$BIN" -i lo -f "tcp port $GOOD or tcp port $BROKEN" --ca-file "$PKI/root.pem" \
	--report-dir "$T/lrep" --events "$EV" --metrics "$T/lrep/m.prom" -Z nobody \
	--sensor ops-test --format json -o "$T/lrep/final.json" 2> "$T/live.err" &
CS=$!
pids+=("$CS")
wait_for grep -q '^chainsniff: listening on lo as nobody$' "$T/live.err"
reloads() { count '^chainsniff: trust store reloaded: ' "$T/live.err"; }
# logrotate configurations made from the shipped file: only paths, owner
# and the postrotate command differ
sed -e "s#/var/log/chainsniff#$T/log#" -e 's#create 0640 chainsniff adm#create 0640 nobody nogroup#' \
	-e "s#systemctl reload chainsniff.service >/dev/null 2>\&1 || true#kill -HUP $CS#" \
	scripts/chainsniff.logrotate > "$T/lr-create.conf"
expect logrotate-conf-made bash -c "grep -q '^$T/log/\\*.ndjson {' '$T/lr-create.conf' &&
	grep -q 'create 0640 nobody nogroup' '$T/lr-create.conf' && grep -q 'kill -HUP $CS' '$T/lr-create.conf'"
sed -e 's/^\tcreate .*/\tcopytruncate/' -e '/sharedscripts/d' -e '/^\tpostrotate$/,/^\tendscript$/d' \
	"$T/lr-create.conf" > "$T/lr-copytruncate.conf"
sed -e 's/^\tcreate .*/\tnocreate/' "$T/lr-create.conf" > "$T/lr-nocreate.conf"
rotate() { logrotate -f -s "$T/lr.state" "$T/lr-$1.conf" 2>> "$T/logrotate.err"; }

tls_connect $GOOD one.test
wait_for bash -c "[ \$(wc -l < '$EV') -eq 1 ]"
rotate create
wait_for bash -c "[ \$(grep -c 'trust store reloaded' '$T/live.err') -eq 1 ]"
expect create-rotated [ "$(lines "$EV.1")" -eq 1 ]
expect create-new-file bash -c "[ \"\$(stat -c '%U %a %s' '$EV')\" = 'nobody 640 0' ]"
for i in $(seq 2 20); do
	kill -HUP "$CS"
	wait_for bash -c "[ \$(grep -c 'trust store reloaded' '$T/live.err') -eq $i ]"
done
expect sighup-20-reloads [ "$(reloads)" -eq 20 ]
tls_connect $BROKEN miss.test
wait_for bash -c "[ \$(wc -l < '$EV') -eq 1 ] 2>/dev/null"
jqt create-old-file-has-first '.sni == "one.test"' "$EV.1"
jqt create-new-file-has-next '.sni == "miss.test" and .status == "broken"' "$EV"
kill -USR1 "$CS"
wait_for bash -c "ls '$T'/lrep/chainsniff-*.json > /dev/null 2>&1"
sig=$(ls "$T"/lrep/chainsniff-*.json | head -1)
jqt sighup-history-20 '.trust_store.earlier | length == 20' "$sig"
jqt sighup-history-times '[.trust_store.earlier[].replaced_at | test("^[0-9]{4}-.*Z$")] | all' "$sig"
jqt sighup-history-ordered '[.trust_store.earlier[].replaced_at] | . == sort' "$sig"
jqt sighup-verdict-good "[.servers[] | select(.server_port == $GOOD)][0].status == \"ok\"" "$sig"
# what traffic taught survives the reloads: the intermediate seen from the
# good server before them is named as the fix for the broken one after them
INT1=$(openssl x509 -in "$PKI/one.chain.pem" -outform DER | sha256sum | cut -d' ' -f1)
jqt sighup-evidence-kept "[.servers[] | select(.server_port == $BROKEN)][0].problems[] |
	select(.code == \"missing_intermediate\") | .evidence | .sha256 == \"$INT1\" and .source == \"127.0.0.1:$GOOD\"" "$sig"
wait_for grep -q 'chainsniff_trust_store_reloads_total 20' "$T/lrep/m.prom"
expect live-metrics quiet "$PY" tests/e2e/promcheck.py "$T/lrep/m.prom" chainsniff_trust_store_reloads_total=20 \
	'chainsniff_kernel_drops_total{interface="lo"}=0' chainsniff_tls_handshakes_total=2

rotate copytruncate
expect copytruncate-truncated [ "$(stat -c %s "$EV")" -eq 0 ]
jqt copytruncate-copied '.sni == "miss.test"' "$EV.1"
tls_connect $GOOD one.test
wait_for bash -c "[ \$(wc -l < '$EV') -eq 1 ] 2>/dev/null"
# appended at offset 0: no hole of NULs before the line
expect copytruncate-no-hole bash -c "[ \"\$(head -c 1 '$EV')\" = '{' ] &&
	[ \$(tr -d '\\000' < '$EV' | wc -c) -eq \$(stat -c %s '$EV') ]"
jqt copytruncate-line '.sni == "one.test"' "$EV"

# the directory no longer lets nobody create the file: the reopen fails,
# said once; lines go on into the old (renamed) file
chown root "$T/log"
rotate nocreate
wait_for bash -c "[ \$(grep -c 'trust store reloaded' '$T/live.err') -eq 21 ]"
kill -HUP "$CS"
wait_for bash -c "[ \$(grep -c 'trust store reloaded' '$T/live.err') -eq 22 ]"
expect reopen-failed-said-once [ "$(count "^chainsniff: $EV: cannot reopen (still writing to the old file): Permission denied$" "$T/live.err")" -eq 1 ]
tls_connect $BROKEN miss.test
wait_for bash -c "[ \$(wc -l < '$EV.1') -eq 2 ]"
expect reopen-failed-old-file [ "$(lines "$EV.1")" -eq 2 ]
expect reopen-failed-no-new-file [ ! -e "$EV" ]
expect logrotate-quiet [ ! -s "$T/logrotate.err" ]
kill -TERM "$CS"
wait "$CS"
expect live-exit-0 [ $? -eq 0 ]
jqt live-final '.totals.tls_handshakes == 4 and (.inputs[0].drops | .dropped == 0)' "$T/lrep/final.json"

########## taps: -i twice, one flow table ##########
# A passive tap gives each direction on its own port: here two veth pairs
# in a namespace of our own, the client's frames of a real TLS session (a
# lab capture) sent into a0 (captured on a1) and the server's into b0
# (captured on b1), in their original order.
ip netns add "$NS"
# no IPv6 on the links: their own MLD and router solicitations would be
# counted beside the session's frames
ip netns exec "$NS" sysctl -qw net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1
for p in a b; do
	ip -n "$NS" link add ${p}0 mtu 9000 type veth peer name ${p}1 mtu 9000 # frames of lo
	ip -n "$NS" link set ${p}0 up
	ip -n "$NS" link set ${p}1 up
done
ip netns exec "$NS" "$BIN" -i a1 -i b1 --ca-file "$PKI/root.pem" --events "$T/tap.ndjson" \
	--metrics "$T/tap.prom" --format json -o "$T/tap.json" 2> "$T/tap.err" &
TAP=$!
pids+=("$TAP")
wait_for grep -q '^chainsniff: listening on a1, b1$' "$T/tap.err"
ip netns exec "$NS" "$PY" - a0 b0 "$ONE" > "$T/tap.sent" <<'PY'
import socket, struct, sys, time
client_if, server_if, path = sys.argv[1:4]
d = open(path, "rb").read()
socks = {}
for name in (client_if, server_if):
    socks[name] = socket.socket(socket.AF_PACKET, socket.SOCK_RAW)
    socks[name].bind((name, 0))
o, n = 24, {client_if: 0, server_if: 0}
while o + 16 <= len(d):
    cl = struct.unpack("<I", d[o + 8:o + 12])[0]
    frame = d[o + 16:o + 16 + cl]
    o += 16 + cl
    tcp = 14 + (frame[14] & 15) * 4
    sport = struct.unpack(">H", frame[tcp:tcp + 2])[0]
    side = server_if if sport == 443 else client_if
    socks[side].send(frame)
    n[side] += 1
    time.sleep(0.005)  # the session's order, as a tap would deliver it
print(n[client_if], n[server_if])
PY
read -r sent_client sent_server < "$T/tap.sent"
wait_for bash -c "[ \$(wc -l < '$T/tap.ndjson') -ge 1 ] 2>/dev/null"
kill -TERM "$TAP"
wait "$TAP"
expect tap-exit-0 [ $? -eq 0 ]
expect tap-client-side-sent [ "$sent_client" -gt 0 ]
expect tap-server-side-sent [ "$sent_server" -gt 0 ]
jqt tap-one-connection '.totals.tcp_flows == 1 and .totals.tls_handshakes == 1 and .totals.handshakes_with_chain == 1' "$T/tap.json"
jqt tap-judged-once '(.servers | length) == 1 and .servers[0].status == "ok" and .servers[0].handshakes == 1' "$T/tap.json"
jqt tap-inputs "[.inputs[] | [.name, .kind, .packets]] == [[\"a1\", \"interface\", $sent_client], [\"b1\", \"interface\", $sent_server]]" "$T/tap.json"
jqt tap-drops '[.inputs[].drops.dropped] == [0, 0]' "$T/tap.json"
expect tap-one-event [ "$(lines "$T/tap.ndjson")" -eq 1 ]
expect tap-metrics quiet "$PY" tests/e2e/promcheck.py "$T/tap.prom" 'chainsniff_kernel_drops_total{interface="a1"}=0' \
	'chainsniff_kernel_drops_total{interface="b1"}=0' "chainsniff_input_packets_total{input=\"a1\"}=$sent_client" \
	"chainsniff_input_packets_total{input=\"b1\"}=$sent_server"
ip netns del "$NS"

echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
