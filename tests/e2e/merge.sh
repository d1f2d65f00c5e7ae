#!/usr/bin/env bash
# merge.sh - `chainsniff merge` end to end on reports of real captures from
# three sensors: merging is associative and order-independent
# (merge(A,B,C) = merge(merge(A,B),C) = merge(C,merge(B,A)) =
# merge(A,merge(C,B)), compared after jq -S), ranks and counts as one run over
# the three captures does, and its output is valid JSON (jq, python's
# json.tool), CSV (python's csv) and text.  One report model: a run's report
# and a merge of that run's state are the same bytes in JSON, CSV and text
# (but the merge's "sensors"), on six captures; merge(A, B) says what one run
# over A and B says.  Every JSON report merges (a plain report as its state).
# Refused: a report merged with itself or with a merge that contains it, the
# same sensor over overlapping windows (exit 6, one line naming both files),
# a report of an older chainsniff without sketches, a corrupt file (exit 1),
# client hashes made under different client keys (exit 6, also a pre-key
# "legacy" file with a keyed one).  Warned: different trust stores.  Every
# sensor run shares one --client-key.
#   tests/e2e/merge.sh BINARY
. "$(dirname "$0")/lib.sh" merge "$1"
# the sensors whose reports are merged share one client key (--state's
# default, client.key beside the state file, is this same file)
TRUST+=(--client-key "$T/client.key")
A=pcaps/real/zeek__tls__missing-intermediate.pcap
B=pcaps/lab/multi-server.pcap
C=pcaps/real/ndpi__sites.pcapng
D=pcaps/lab/diag-client-rejects.pcap
merge() { "$BIN" merge "$@" 2>>"$T/merge.err"; }

# Inputs: two written with --format state, one a --state file.
"$BIN" -r "$A" "${TRUST[@]}" --sensor sensor-a --format state -o "$T/a.json"
"$BIN" -r "$B" "${TRUST[@]}" --sensor sensor-b --format state -o "$T/b.json"
"$BIN" -r "$C" "${TRUST[@]}" --sensor sensor-c --state "$T/c.json" --format json -o /dev/null
"$BIN" -r "$A" -r "$B" -r "$C" "${TRUST[@]}" --sensor one --format state -o "$T/one.json"

rc=0
merge "$T/a.json" "$T/b.json" "$T/c.json" -o "$T/abc.json" || rc=$?
merge "$T/a.json" "$T/b.json" -o "$T/ab.json" || rc=$?
merge "$T/ab.json" "$T/c.json" -o "$T/ab-c.json" || rc=$?
merge "$T/b.json" "$T/a.json" -o "$T/ba.json" || rc=$?
merge "$T/c.json" "$T/ba.json" -o "$T/c-ba.json" || rc=$?
merge "$T/c.json" "$T/b.json" -o "$T/cb.json" || rc=$?
merge "$T/a.json" "$T/cb.json" -o "$T/a-cb.json" || rc=$?
merge "$T/c.json" "$T/a.json" "$T/b.json" -o "$T/cab.json" || rc=$?
[ $rc = 0 ] && [ ! -s "$T/merge.err" ] && ok runs || bad runs "exit $rc: $(head -3 "$T/merge.err")"

for f in abc ab-c c-ba a-cb cab; do
	if ! jq -e . "$T/$f.json" >/dev/null 2>&1 || ! $PY -m json.tool "$T/$f.json" >/dev/null 2>&1; then
		bad "valid-json-$f" "jq or json.tool refused it"
	fi
done
[ $fail = 0 ] && ok valid-json

for f in ab-c c-ba a-cb cab; do
	if cmp -s <(jq -S . "$T/abc.json") <(jq -S . "$T/$f.json"); then
		ok "same-as-abc-$f"
	else
		bad "same-as-abc-$f" "$(diff <(jq -S . "$T/abc.json") <(jq -S . "$T/$f.json") | head -10)"
	fi
done

# The ranking and the counts are those of one run over the three captures
# (problem texts may differ: a sensor explains with what it saw itself).
RANK='[.servers[] | [.server_ip, .server_port, .sni, .status, .tls_handshakes, .handshakes,
	.broken_handshakes, .clients, .clients_total, .first_seen, .last_seen,
	[.chains[] | [.sha256, .handshakes, .broken_handshakes, .first_seen.time]],
	([.problems[] | .code] | sort)]]'
jq -c "$RANK" "$T/abc.json" >"$T/rank-abc" && jq -c "$RANK" "$T/one.json" >"$T/rank-one" || : >"$T/rank-abc"
if [ -s "$T/rank-abc" ] && cmp -s "$T/rank-abc" "$T/rank-one"; then
	ok ranking-as-one-run
else
	bad ranking-as-one-run "$(diff <(jq -c "$RANK" "$T/abc.json" | tr ']' '\n') \
		<(jq -c "$RANK" "$T/one.json" | tr ']' '\n') | head -10)"
fi
TOT='.totals | del(.servers_broken, .distinct_chains, .servers) as $t | [$t, .servers_broken, .distinct_chains, .servers]'
jq -c "$TOT" "$T/abc.json" >"$T/tot-abc" && jq -c "$TOT" "$T/one.json" >"$T/tot-one" || : >"$T/tot-abc"
if [ -s "$T/tot-abc" ] && cmp -s "$T/tot-abc" "$T/tot-one"; then
	ok totals-as-one-run
else
	bad totals-as-one-run "$(jq -c .totals "$T/abc.json") vs $(jq -c .totals "$T/one.json")"
fi
if [ "$(jq -c '[.sensors[] | .sensor]' "$T/abc.json")" = '["sensor-a","sensor-b","sensor-c"]' ] &&
   [ "$(jq -r .sensor "$T/abc.json")" = merged ] &&
   [ "$(jq '.inputs | length' "$T/abc.json")" = 3 ]; then
	ok sensors-and-inputs
else
	bad sensors-and-inputs "$(jq -c '[.sensor, .sensors, (.inputs | length)]' "$T/abc.json")"
fi

# CSV and text of the same merge
if merge "$T/c.json" "$T/a.json" "$T/b.json" --format csv -o "$T/abc.csv" &&
   $PY - "$T/abc.csv" "$(jq '.servers | length' "$T/abc.json")" <<'EOF'
import csv, sys
rows = list(csv.reader(open(sys.argv[1], newline='')))
assert rows[0][:4] == ['rank', 'server_ip', 'server_port', 'sni'], rows[0]
assert len(rows) == int(sys.argv[2]) + 1, len(rows)
assert [r[0] for r in rows[1:]] == [str(i + 1) for i in range(len(rows) - 1)]
assert all(len(r) == len(rows[0]) for r in rows)
EOF
then ok csv; else bad csv "python's csv module refused the CSV"; fi
# the table and the fixes fit 100 columns (long IPv6 addresses and SNIs wrap in their column)
if merge "$T/a.json" "$T/b.json" "$T/c.json" --format text --all --top 0 -o "$T/abc.txt" &&
   grep -q '^Servers ' "$T/abc.txt" && [ "$(grep -c '^ *[0-9]*  [0-9[]' "$T/abc.txt")" -gt 50 ] &&
   $PY - "$T/abc.txt" <<'EOF'
import sys
lines = open(sys.argv[1], encoding='utf-8').read().split('\n')
start = next(i for i, l in enumerate(lines) if 'BROKEN/TOTAL' in l)
assert all(len(l) <= 100 for l in lines[start:]), [l for l in lines[start:] if len(l) > 100]
EOF
then
	ok text
else
	bad text "$(head -5 "$T/abc.txt")"
fi

# One report model: a run's report and `merge` of that run's state say the
# same, byte for byte, in JSON, CSV and text, apart from what only a merge
# has ("sensors"; the "Sensors:" line).
for f in "$A" "$B" "$C" "$D" pcaps/lab/freq-hostile-sni.pcap pcaps/real/suricata-verify__tls-issuer-zero.pcap \
	pcaps/lab/diag-key-usage-mismatch.pcap pcaps/lab/diag-name-constraint.pcap \
	pcaps/lab/diag-critical-extension.pcap pcaps/lab/diag-rejects-decrypt-error.pcap; do
	n=$(basename "$f")
	"$BIN" -r "$f" "${TRUST[@]}" --sensor s --format state -o "$T/id.state"
	diffs=""
	for fmt in json csv text; do
		"$BIN" -r "$f" "${TRUST[@]}" --sensor s --format $fmt --details >"$T/id.run.$fmt" 2>/dev/null
		merge "$T/id.state" --format $fmt --details >"$T/id.merge.$fmt"
		case $fmt in
		json) jq 'del(.sensors)' "$T/id.merge.json" >"$T/id.m" && jq . "$T/id.run.json" >"$T/id.r" ;;
		text) grep -v '^Sensors: ' "$T/id.merge.text" >"$T/id.m"; cp "$T/id.run.text" "$T/id.r" ;;
		csv) cp "$T/id.merge.csv" "$T/id.m"; cp "$T/id.run.csv" "$T/id.r" ;;
		esac
		cmp -s "$T/id.r" "$T/id.m" || diffs="$diffs $fmt: $(diff "$T/id.r" "$T/id.m" | head -3 | tr '\n' ' ')"
	done
	# and the JSON without jq: only the "sensors" lines are added
	added=$(diff "$T/id.run.json" "$T/id.merge.json" | grep -c '^>')
	removed=$(diff "$T/id.run.json" "$T/id.merge.json" | grep -c '^<')
	[ "$removed" = 0 ] && [ "$added" = "$(jq '.sensors | length * 8 + 2' "$T/id.merge.json")" ] ||
		diffs="$diffs json bytes: $removed lines differ, $added added"
	[ -z "$diffs" ] && ok "same-as-run-$n" || bad "same-as-run-$n" "$diffs"
done

# merge(A, B) against one run over A and B: the same servers, ranking,
# problems and counts in all three formats; what one process alone
# knows differs (a clock jump between the files, the size of its pool of
# intermediates) and inputs are listed sorted by a merge.
"$BIN" -r "$A" "${TRUST[@]}" --sensor s --format state -o "$T/ab-a.json"
"$BIN" -r "$B" "${TRUST[@]}" --sensor s --format state -o "$T/ab-b.json"
PROC='del(.sensors, .anomalies.clock_jumps, .diagnosis.intermediates_pool) | .inputs |= sort_by(.name)'
diffs=""
for fmt in json csv text; do
	"$BIN" -r "$A" -r "$B" "${TRUST[@]}" --sensor s --format $fmt >"$T/ab.run.$fmt"
	merge "$T/ab-b.json" "$T/ab-a.json" --format $fmt >"$T/ab.merge.$fmt"
	case $fmt in
	json) cmp -s <(jq -S "$PROC" "$T/ab.run.json") <(jq -S "$PROC" "$T/ab.merge.json") ||
		diffs="$diffs json: $(diff <(jq -S "$PROC" "$T/ab.run.json") <(jq -S "$PROC" "$T/ab.merge.json") | head -4 | tr '\n' ' ')" ;;
	text) cmp -s "$T/ab.run.text" <(grep -v '^ *s  ' "$T/ab.merge.text" | grep -v '^Sensors: ') ||
		diffs="$diffs text: $(diff "$T/ab.run.text" "$T/ab.merge.text" | head -4 | tr '\n' ' ')" ;;
	csv) cmp -s "$T/ab.run.csv" "$T/ab.merge.csv" || diffs="$diffs csv" ;;
	esac
done
[ -z "$diffs" ] && ok merge-ab-as-one-run || bad merge-ab-as-one-run "$diffs"

# Refusals
refused() { # name, expected exit, pattern, args...
	local name=$1 want=$2 pat=$3
	shift 3
	"$BIN" merge "$@" -o "$T/refused.json" 2>"$T/err"
	local rc=$?
	if [ $rc = "$want" ] && [ "$(wc -l <"$T/err")" = 1 ] && grep -Eq -- "$pat" "$T/err"; then
		ok "refuses-$name"
	else
		bad "refuses-$name" "exit $rc (wanted $want), stderr: $(head -3 "$T/err")"
	fi
}
refused self 6 'a.json, .*a.json: both hold sensor "sensor-a" over overlapping windows' \
	"$T/a.json" "$T/a.json"
refused inside-a-merge 6 'ab.json, .*a.json: both hold sensor "sensor-a"' "$T/ab.json" "$T/a.json"
"$BIN" -r "$A" -r "$D" "${TRUST[@]}" --sensor sensor-a --format state -o "$T/a-again.json"
refused same-sensor-overlap 6 'sensor-a' "$T/a.json" "$T/a-again.json"
"$BIN" -r "$A" "${TRUST[@]}" --sensor sensor-a --format json -o "$T/plain.json"
jq 'del(.servers[].clients_sketch)' "$T/plain.json" >"$T/older.json" # as chainsniff 0.1 wrote it
refused older-plain-report 1 'clients_sketch: missing: a report of an older chainsniff' \
	"$T/b.json" "$T/older.json"
# Every JSON report merges: a plain report as its state file does (no DER).
if merge "$T/plain.json" "$T/b.json" -o "$T/plain-b.json" && merge "$T/a.json" "$T/b.json" -o "$T/ab2.json" &&
   cmp -s <(jq -S . "$T/plain-b.json") <(jq -S . "$T/ab2.json"); then
	ok plain-report-merges
else
	bad plain-report-merges "$(diff <(jq -S . "$T/plain-b.json") <(jq -S . "$T/ab2.json") | head -5)"
fi
head -c 2000 "$T/b.json" >"$T/cut.json"
refused truncated 1 'cut.json: not valid JSON' "$T/a.json" "$T/cut.json"
jq '.report_version = 7' "$T/b.json" >"$T/v7.json"
refused other-version 1 'report_version: 7' "$T/a.json" "$T/v7.json"
refused missing-file 1 'nope.json: No such file' "$T/a.json" "$T/nope.json"
"$BIN" merge --format yaml "$T/a.json" 2>/dev/null; [ $? = 2 ] && ok usage || bad usage "--format yaml accepted"

# The same sensor on disjoint windows merges (two days of one sensor).
"$BIN" -r "$D" "${TRUST[@]}" --sensor sensor-a --format state -o "$T/a-day2.json"
if merge "$T/a.json" "$T/a-day2.json" -o "$T/days.json" &&
   [ "$(jq -r .sensor "$T/days.json")" = sensor-a ] &&
   [ "$(jq '.sensors | length' "$T/days.json")" = 2 ]; then
	ok same-sensor-disjoint-windows
else
	bad same-sensor-disjoint-windows "$(tail -1 "$T/merge.err")"
fi

# Different trust stores: a warning, not a refusal.
"$BIN" -r "$D" --ca-file pcaps/lab/pki/trust.pem --client-key "$T/client.key" --sensor sensor-d \
	--format state -o "$T/d.json"
"$BIN" merge "$T/a.json" "$T/d.json" -o "$T/ad.json" 2>"$T/err"
rc=$?
if [ $rc = 0 ] && grep -q 'warning: .*d.json: trust store sha256 .* differs' "$T/err" &&
   [ "$(jq -r .trust_store.name "$T/ad.json")" = mixed ]; then
	ok trust-store-warning
else
	bad trust-store-warning "exit $rc: $(cat "$T/err")"
fi

# Client keys: the merged report carries the sensors' key id; reports of
# another key, or of the fixed pre-key hash ("legacy-fixed"), are refused
# with one line (exit 6); legacy reports still merge with each other; the
# key itself is in no report.
id=$(jq -r .client_key_id "$T/a.json")
[ "$(jq -r .client_key_id "$T/abc.json")" = "$id" ] && [ "$(jq -r .client_key_id "$T/c.json")" = "$id" ] &&
	ok key-id-carried || bad key-id-carried "$id vs $(jq -r .client_key_id "$T/abc.json")"
"$BIN" -r "$D" "${TRUST[@]/$T\/client.key/$T/other.key}" --sensor sensor-x --format state \
	-o "$T/x.json" 2>/dev/null
refused other-key 6 "x.json: client_key_id $(jq -r .client_key_id "$T/x.json"), but .*a.json has $id" \
	"$T/a.json" "$T/x.json"
jq 'del(.client_key_id)' "$T/a.json" >"$T/a-legacy.json"
jq 'del(.client_key_id)' "$T/b.json" >"$T/b-legacy.json"
refused legacy-with-keyed 6 "a-legacy.json: client_key_id legacy-fixed, but .*b.json has $id" \
	"$T/b.json" "$T/a-legacy.json"
if merge "$T/a-legacy.json" "$T/b-legacy.json" -o "$T/legacy.json" &&
   [ "$(jq -r .client_key_id "$T/legacy.json")" = legacy-fixed ]; then
	ok legacy-merge-together
else
	bad legacy-merge-together "$(tail -1 "$T/merge.err")"
fi
key=$(head -c 32 "$T/client.key")
if [ ${#key} = 32 ] && ! grep -rqF "$key" "$T"/*.json; then
	ok key-in-no-report
else
	bad key-in-no-report "the key ${key:-?} appears in a report"
fi
# without a key file, a --format state report uses a key of its run only: said,
# and two such reports do not merge
"$BIN" -r "$A" "${TRUST[@]:0:4}" --sensor r1 --format state -o "$T/r1.json" 2>"$T/err"
"$BIN" -r "$B" "${TRUST[@]:0:4}" --sensor r2 --format state -o "$T/r2.json" 2>/dev/null
if grep -q 'note: no --client-key' "$T/err" && ! "$BIN" merge "$T/r1.json" "$T/r2.json" \
	-o /dev/null 2>/dev/null; then
	ok random-key-said-and-refused
else
	bad random-key-said-and-refused "$(cat "$T/err")"
fi

# The store of the capture's day (issue 16): ok_at_capture_time and the
# broken-then counts survive a state file and a merge, merge and a one-run
# report say the same, and a file written before those fields counts every
# broken handshake as broken then.  G: GeoTrust Global CA, fine in 2015 and
# gone since; S: one such server and one broken on its day.
G=pcaps/real/ndpi__google_ssl.pcap
S=pcaps/real/ndpi__smtp-starttls.pcap
"$BIN" -r "$G" "${TRUST[@]}" --sensor then-g --format state -o "$T/g.json"
"$BIN" -r "$S" "${TRUST[@]}" --sensor then-s --state "$T/s.json" --format json -o /dev/null
"$BIN" -r "$G" -r "$S" "${TRUST[@]}" --sensor then-one --format json -o "$T/gs-one.json"
then_facts='[.totals | .broken_handshakes, .broken_then, .ok_at_capture_time, .servers_broken,
  .servers_broken_then] + [.servers[] | [.server_ip, .broken_then_handshakes,
  .ok_at_capture_time, (.chains[] | .broken_then_handshakes, .ok_at_capture_time)]]'
if merge "$T/g.json" "$T/s.json" -o "$T/gs.json" &&
   [ "$(jq -c "$then_facts" "$T/gs.json")" = "$(jq -c "$then_facts" "$T/gs-one.json")" ] &&
   [ "$(jq -c '[.totals.broken_then, .totals.ok_at_capture_time, .totals.servers_broken_then]' \
	"$T/gs.json")" = "[1,2,1]" ]; then
	ok then-merged-as-one-run
else
	bad then-merged-as-one-run "$(jq -c "$then_facts" "$T/gs.json") vs $(jq -c "$then_facts" "$T/gs-one.json")"
fi
# the first server of the ranking is the one broken on its day
[ "$(jq -r '.servers[0].server_ip' "$T/gs.json")" = 2003:de:2016:120::a08:53 ] &&
	ok then-ranked-first || bad then-ranked-first "$(jq -c '[.servers[].server_ip]' "$T/gs.json")"
# restored from the state file and counted on: the flag is kept
"$BIN" -r "$G" "${TRUST[@]}" --sensor then-s --state "$T/s.json" --format json -o "$T/s2.json"
[ "$(jq -c '[.totals.broken_handshakes, .totals.broken_then, .totals.ok_at_capture_time]' \
	"$T/s2.json")" = "[3,1,2]" ] && ok then-state-restored ||
	bad then-state-restored "$(jq -c .totals "$T/s2.json")"
# the text lists the server apart, with its root and the day it left
merge "$T/g.json" -o "$T/g-text.txt" --format text
if grep -q '^No chain broken on its capture day seen' "$T/g-text.txt" &&
   grep -A2 '^Fine on their capture day' "$T/g-text.txt" | grep -q '^     216\.58\.212\.100:443' &&
   grep -q '^ *root GeoTrust Global CA, left Mozilla.s store 2020-12-11 (NSS 3\.60)$' "$T/g-text.txt"; then
	ok then-merge-text
else
	bad then-merge-text "$(cat "$T/g-text.txt")"
fi
jq 'del(.. | .broken_then_handshakes?, .ok_at_capture_time?) | .sensor = "then-old"' "$T/g.json" \
	>"$T/g-old.json"
merge "$T/g-old.json" -o "$T/g-old-merged.json" &&
	[ "$(jq -c '[.totals.broken_then, .totals.ok_at_capture_time, .servers[0].ok_at_capture_time]' \
	"$T/g-old-merged.json")" = '[1,0,false]' ] && ok then-older-file-broken-then ||
	bad then-older-file-broken-then "$(jq -c .totals "$T/g-old-merged.json")"

# A merged report is not a sensor's state.
"$BIN" -r "$D" "${TRUST[@]}" --state "$T/abc.json" -o /dev/null 2>"$T/err"
[ $? = 1 ] && grep -q 'a merged report' "$T/err" && ok not-a-state || bad not-a-state "$(cat "$T/err")"

echo "$pass passed, $fail failed"
[ $fail = 0 ]
