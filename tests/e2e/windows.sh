#!/usr/bin/env bash
# windows.sh - periodic windows lose nothing and merge (issue 11).
#
# 27 lab captures (real openssl sessions, pcaps/README.md) are retimed with
# scripts/pcapedit.py retime: 25 three seconds apart, then 2 made 71
# minutes later.  One run reads them with --interval 10s --report-dir; then
# `chainsniff merge` of all its window files must equal the run's own
# cumulative report field by field: every server (handshakes, broken
# handshakes, distinct clients, client rejections, chains, first and last
# seen, problems) and every total.  The same with the files read in other
# orders (the late pair first: a clock that goes back; in the middle), and
# with --state across two runs (the windows of both runs merge into the
# second run's state).  Also: every window is written once, none after the
# final one; a handshake's window is the one its timestamp falls in (the
# window's first_seen/last_seen lie inside its span when nothing is late);
# a window file is refused by --state; windows of one run merged twice are
# refused (exit 6); each chain's DER is in chains/<sha256>.pem once; a
# merge of the windows of a period names the servers that became broken
# between its first and last window; scripts/daily-summary.sh windows
# merges a day's window files.
#   tests/e2e/windows.sh BINARY
. "$(dirname "$0")/lib.sh" windows "$1"

CAPS=(pcaps/lab/diag-*.pcap pcaps/lab/one-intermediate.pcap pcaps/lab/two-intermediates.pcap
	pcaps/lab/freq-three-servers.pcap pcaps/lab/multi-server.pcap)
BASE=1795000000 # 2026-11-18T11:06:40Z
for i in $(seq 0 26); do
	t=$((BASE + 3 * i))
	[ "$i" -ge 25 ] && t=$((BASE + 71 * 60 + 3 * i))
	$PY scripts/pcapedit.py retime "${CAPS[$i]}" "$T/c$i.pcap" "$t" >/dev/null ||
		{ bad retime "pcapedit.py retime ${CAPS[$i]}"; exit 1; }
done

# What must be equal: the servers (without the words of their problems,
# compared apart) and every total.
SERVERS='[.servers[] | del(.problems) | .chains |= map(del(.problems))]'
PROBLEMS='[.servers[] | [.server_ip, .server_port, .sni, [.problems[] | [.code, .cert_index, .severity, .chain]]]]'

# run NAME ORDER...: one run over the captures in that order
run() {
	local name=$1 args=()
	shift
	for i in "$@"; do args+=(-r "$T/c$i.pcap"); done
	"$BIN" "${args[@]}" "${TRUST[@]}" --sensor w --interval 10s --report-dir "$T/$name" \
		--format json -o "$T/$name.json" 2>"$T/$name.err"
}

same_as_run() { # name: the merge of the run's windows equals its report
	local name=$1 what
	if ! "$BIN" merge "$T/$name"/chainsniff-*.json -o "$T/$name.merged.json" 2>"$T/$name.merr"; then
		bad "$name-merge" "exit $?: $(head -2 "$T/$name.merr")"
		return
	fi
	for what in SERVERS PROBLEMS; do
		if cmp -s <(jq -S "${!what}" "$T/$name.json") <(jq -S "${!what}" "$T/$name.merged.json"); then
			ok "$name-$what"
		else
			bad "$name-$what" "$(diff <(jq -S "${!what}" "$T/$name.json") \
				<(jq -S "${!what}" "$T/$name.merged.json") | head -6 | tr '\n' ' ')"
		fi
	done
	if cmp -s <(jq -S '.totals, .incomplete_reasons' "$T/$name.json") \
		<(jq -S '.totals, .incomplete_reasons' "$T/$name.merged.json"); then
		ok "$name-totals"
	else
		bad "$name-totals" "$(diff <(jq -S .totals "$T/$name.json") <(jq -S .totals "$T/$name.merged.json") | head -6 | tr '\n' ' ')"
	fi
}

# -- in time order: 25 captures, then a jump of 71 minutes
run ordered $(seq 0 26)
n=$(ls "$T/ordered"/chainsniff-*.json | wc -l)
[ "$n" -ge 3 ] && ok "ordered-written ($n windows)" || bad ordered-written "$n window files"
same_as_run ordered
# the 5 handshakes after the jump are in the last window, not lost
got=$(jq -s '[.[] | .window.servers[].tls_handshakes] | add' "$T/ordered"/chainsniff-*.json)
want=$(jq '[.servers[].tls_handshakes] | add' "$T/ordered.json")
[ "$got" = "$want" ] && ok "every-handshake-in-one-window ($got)" ||
	bad every-handshake-in-one-window "windows hold $got handshakes, the run $want"
after=$(jq '[.window.servers[].tls_handshakes] | add' "$(ls "$T/ordered"/chainsniff-*.json | tail -1)")
want=0
for i in 25 26; do want=$((want + $("$BIN" -r "$T/c$i.pcap" "${TRUST[@]}" --format json | jq '.totals.tls_handshakes'))); done
[ "$after" = "$want" ] && ok "after-the-jump ($after)" || bad after-the-jump "last window $after, wanted $want"
# each window's handshakes lie in its span; kinds; sequence numbers
if jq -e -s 'all(.[]; .window.late_handshakes == 0 and
		(.window.first_seen == null or (.window.first_seen >= .window.start and .window.last_seen <= .window.end)))
	and ([.[].window.seq] == [range(1; length + 1)])
	and ([.[].window.kind] | .[-1] == "final" and (.[:-1] | all(. == "interval")))' \
	"$T/ordered"/chainsniff-*.json >/dev/null; then
	ok spans-seq-kinds
else
	bad spans-seq-kinds "$(jq -c -s '[.[].window | [.seq, .kind, .start, .end, .first_seen, .last_seen, .late_handshakes]]' "$T/ordered"/chainsniff-*.json)"
fi
# the DER of each chain, once per directory
want=$(jq -s '[.[].window.servers[].chains[].sha256] | unique | length' "$T/ordered"/chainsniff-*.json)
got=$(ls "$T/ordered/chains" | grep -c '\.pem$')
bad_pem=0
for f in "$T/ordered/chains"/*.pem; do
	sha=$(openssl crl2pkcs7 -nocrl -certfile "$f" 2>/dev/null | openssl pkcs7 -print_certs 2>/dev/null | grep -c BEGIN)
	[ "$sha" -ge 1 ] || bad_pem=$((bad_pem + 1))
done
[ "$got" = "$want" ] && [ "$bad_pem" = 0 ] && ok "chains-dir ($got)" || bad chains-dir "$got PEM files ($bad_pem unreadable), $want chains"
# a window's JSON is not a sensor state
"$BIN" -r "$T/c0.pcap" "${TRUST[@]}" --state "$(ls "$T/ordered"/chainsniff-*.json | head -1)" \
	--format json -o /dev/null 2>"$T/err"
[ $? = 1 ] && grep -q 'a periodic report' "$T/err" && ok not-a-state || bad not-a-state "$(cat "$T/err")"
# the same windows twice: refused
f=$(ls "$T/ordered"/chainsniff-*.json | head -1)
cp "$f" "$T/copy.json"
"$BIN" merge "$f" "$T/copy.json" -o /dev/null 2>"$T/err"
[ $? = 6 ] && grep -q 'overlapping windows' "$T/err" && ok same-window-twice || bad same-window-twice "$(cat "$T/err")"
# the merged windows series, and what changed between the first and the last
if jq -e '(.windows | length) == ([.sensors[] | select(.window != null)] | length)
	and .window.kind == "merged" and (.windows | all(.handshakes >= .broken_handshakes))
	and ([.windows[].handshakes] | add) == ([.servers[].handshakes] | add)' \
	"$T/ordered.merged.json" >/dev/null; then
	ok windows-series
else
	bad windows-series "$(jq -c '[.window, (.windows | length)]' "$T/ordered.merged.json")"
fi
# a merge of the windows of the last minutes of the run: servers broken in
# its last window and not in its first are named
last2=$(ls "$T/ordered"/chainsniff-*.json | tail -2)
"$BIN" merge $last2 -o "$T/last2.json"
want=$(jq -s -c '(.[0].window.servers | map(select(.broken_handshakes > 0)) | map([.server_ip, .server_port, .sni])) as $a
	| (.[1].window.servers | map(select(.broken_handshakes > 0)) | map([.server_ip, .server_port, .sni])) as $b
	| $b - $a | sort' $last2)
got=$(jq -c '.window.became_broken | map([.server_ip, .server_port, .sni]) | sort' "$T/last2.json")
[ "$got" = "$want" ] && ok "became-broken-last-vs-first ($got)" || bad became-broken-last-vs-first "$got, wanted $want"

# scripts/daily-summary.sh windows: the day's window files (all of them here)
if OUT_DIR="$T/daily" CHAINSNIFF="$BIN" scripts/daily-summary.sh windows 2026-11-18 "$T/ordered" \
	2>"$T/err" && cmp -s <(jq -S "$SERVERS" "$T/ordered.json") \
	<(jq -S "$SERVERS" "$T/daily/chainsniff-windows-20261118.json") &&
   [ -s "$T/daily/chainsniff-windows-20261118.txt" ] &&
   ! OUT_DIR="$T/daily" CHAINSNIFF="$BIN" scripts/daily-summary.sh windows 2026-11-17 "$T/ordered" 2>/dev/null; then
	ok daily-summary-windows
else
	bad daily-summary-windows "$(cat "$T/err")"
fi

# -- a clock that goes back: the late pair read first, then the rest
run reversed 25 26 $(seq 0 24)
same_as_run reversed
# -- the late pair in the middle of the others
run middle $(seq 0 12) 25 26 $(seq 13 24)
same_as_run middle

# -- two runs of one sensor with --state: the windows of both merge into
# the second run's state file
rm -rf "$T/s"
a=() b=()
for i in $(seq 0 12); do a+=(-r "$T/c$i.pcap"); done
for i in $(seq 13 26); do b+=(-r "$T/c$i.pcap"); done
"$BIN" "${a[@]}" "${TRUST[@]}" --sensor w --interval 10s --report-dir "$T/s" --state "$T/s.state" \
	--format json -o /dev/null &&
	"$BIN" "${b[@]}" "${TRUST[@]}" --sensor w --interval 10s --report-dir "$T/s" --state "$T/s.state" \
		--format json -o "$T/s.json" &&
	"$BIN" merge "$T/s"/chainsniff-*.json -o "$T/s.merged.json" 2>"$T/err"
rc=$?
if [ $rc = 0 ] && cmp -s <(jq -S "$SERVERS" "$T/s.json") <(jq -S "$SERVERS" "$T/s.merged.json") &&
   cmp -s <(jq -S '.totals' "$T/s.json") <(jq -S '.totals' "$T/s.merged.json"); then
	ok two-runs-with-state
else
	bad two-runs-with-state "exit $rc $(head -2 "$T/err"): $(diff <(jq -S .totals "$T/s.json") <(jq -S .totals "$T/s.merged.json") | head -4 | tr '\n' ' ')"
fi
# ... but not with the state file itself: it holds the same handshakes
"$BIN" merge "$T/s"/chainsniff-*.json "$T/s.state" -o /dev/null 2>"$T/err"
[ $? = 6 ] && ok windows-and-their-state-refused || bad windows-and-their-state-refused "$(cat "$T/err")"

echo "$pass passed, $fail failed"
[ $fail = 0 ]
