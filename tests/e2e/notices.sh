#!/usr/bin/env bash
# notices.sh - --notices end to end on pcaps/lab/notices.pcap, one server
# whose chain goes ok, broken (missing intermediate), ok, an untrusted CA's
# (evil.test under Evil Root), ok, ok with its root (pcaps/README.md,
# "A server whose state changes", where the expected notices come from):
#
#   notices-window-1s     --report-dir D --interval 1s (a window per session):
#                         every state change, in order, with its previous
#                         status and chain
#   notices-window-1h     the default window (one hour): one per kind
#   notices-fields        every line parses alone (jq; Python's json), carries
#                         event_type tls_notice, notice, previous_status,
#                         previous_chain_sha256, window_start and every member
#                         of the handshake's --events line, equal to it
#   notices-steady        a server that never changes (one-intermediate,
#                         multi-record): no line; freq-three-servers: one
#                         "broken" per broken server, none for the healthy one
#   notices-server-net    servers left out by --server-net raise nothing
#   notices-mode-0640     the file is created 0640 and appended to
#
# usage: tests/e2e/notices.sh BINARY   (needs jq, /usr/bin/python3)
set -u
BIN=$(realpath "$1")
cd "$(dirname "$0")/../.."
PY=/usr/bin/python3
TRUST=(--ca-file pcaps/lab/pki/trust.pem)
N=pcaps/lab/notices.pcap
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
pass=0 fail=0
ok() { echo "ok notices-$1"; pass=$((pass + 1)); }
bad() { echo "FAIL notices-$1: $2"; fail=$((fail + 1)); }

A=645f07b6dda506bf1d2c9e5565340421c9d12082aa79929fd7f7e34e9d076241 # one, int1
B=0b99bad9c7b434239027adc45be3deec86fa88c6202fb5c6381bc892d570a8e9 # one alone
E=56c474d9e8938ea27a064f55c1630ceebb63acba5a0c813b043409b6d7470cac # the evil chain
R=3c45b7d832d7d5c60606a2b324fede86baf1c84bf8cc1b908b796f93a9b23de3 # one, int1, root
SHAPE='[.notice, .client_port, .previous_status, .previous_chain_sha256, .chain_sha256, .status] | @tsv'

# session by client port: 45876 45890 45892 45908 45924 45934
want_1s="broken	45890	ok	$A	$B	broken
chain_changed	45890	ok	$A	$B	broken
fixed	45892	broken	$B	$A	ok
possible_interception	45908	ok	$A	$E	broken
broken	45908	ok	$A	$E	broken
chain_changed	45908	ok	$A	$E	broken
fixed	45924	broken	$E	$A	ok
chain_changed	45934	ok	$A	$R	ok"
mkdir -p "$T/reports"
"$BIN" -r "$N" "${TRUST[@]}" --report-dir "$T/reports" --interval 1s --notices "$T/1s.ndjson" \
	--events "$T/1s.events" -o /dev/null 2>"$T/err"
got=$(jq -r "$SHAPE" "$T/1s.ndjson")
[ "$got" = "$want_1s" ] && ok window-1s || bad window-1s "$(diff <(echo "$want_1s") <(echo "$got") | head -8)"

want_1h="broken	45890	ok	$A	$B	broken
chain_changed	45890	ok	$A	$B	broken
fixed	45892	broken	$B	$A	ok
possible_interception	45908	ok	$A	$E	broken"
"$BIN" -r "$N" "${TRUST[@]}" --notices "$T/1h.ndjson" -o /dev/null 2>"$T/err"
got=$(jq -r "$SHAPE" "$T/1h.ndjson")
if [ "$got" = "$want_1h" ] && [ "$(jq -r .window_start "$T/1h.ndjson" | sort -u)" = 2026-12-06T05:00:00.000000Z ]; then
	ok window-1h
else
	bad window-1h "$(diff <(echo "$want_1h") <(echo "$got") | head -8)"
fi

# every line: the notice members, then exactly the handshake's event members
if $PY - "$T/1s.ndjson" "$T/1s.events" <<'EOF'; then ok fields; else bad fields "see above"; fi
import json, sys
events = {}
for line in open(sys.argv[2], encoding="utf-8"):
    ev = json.loads(line)
    events[ev["client_port"]] = ev
bad = 0
for i, line in enumerate(open(sys.argv[1], encoding="utf-8")):
    n = json.loads(line)
    keys = list(n)
    if keys[:6] != ["event_type", "notice", "previous_status", "previous_chain_sha256",
                    "window_start", "time"] or n["event_type"] != "tls_notice":
        print("    line %d: %s" % (i + 1, keys[:6])); bad = 1
    ev = dict(events[n["client_port"]])
    del ev["event_type"]
    rest = {k: v for k, v in n.items() if k in ev}
    if rest != ev or len(n) != len(ev) + 5:
        print("    line %d: the event members differ from --events'" % (i + 1)); bad = 1
sys.exit(bad)
EOF

# nothing changes: no line
: >"$T/steady.ndjson"
for f in pcaps/lab/one-intermediate.pcap pcaps/lab/multi-record.pcap; do
	"$BIN" -r "$f" "${TRUST[@]}" --notices "$T/steady.ndjson" -o /dev/null 2>>"$T/err"
done
"$BIN" -r pcaps/lab/freq-three-servers.pcap "${TRUST[@]}" --notices "$T/freq.ndjson" -o /dev/null
got=$(jq -r '[.notice, .server_ip, .sni] | @tsv' "$T/freq.ndjson" | sort)
want=$(printf 'broken\t127.0.0.12\texpired.test\nbroken\t127.0.0.13\tmiss.test')
if [ ! -s "$T/steady.ndjson" ] && [ "$got" = "$want" ]; then
	ok steady
else
	bad steady "$(head -c 300 "$T/steady.ndjson") / $got"
fi

"$BIN" -r "$N" "${TRUST[@]}" --server-net 192.0.2.0/24 --notices "$T/net.ndjson" -o /dev/null
[ -f "$T/net.ndjson" ] && [ ! -s "$T/net.ndjson" ] && ok server-net ||
	bad server-net "$(head -c 200 "$T/net.ndjson")"

(umask 022 && "$BIN" -r "$N" "${TRUST[@]}" --notices "$T/m.ndjson" -o /dev/null)
"$BIN" -r "$N" "${TRUST[@]}" --notices "$T/m.ndjson" -o /dev/null
if [ "$(stat -c %a "$T/m.ndjson")" = 640 ] && [ "$(wc -l <"$T/m.ndjson")" = 8 ]; then
	ok mode-0640
else
	bad mode-0640 "mode $(stat -c %a "$T/m.ndjson"), $(wc -l <"$T/m.ndjson") lines"
fi

echo "$pass passed, $fail failed"
[ "$fail" = 0 ]
