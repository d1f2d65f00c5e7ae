#!/usr/bin/env bash
# analysis.sh - the chain analysis on every committed capture (issue 9's rules):
#  - no budget is ever hit on ordinary traffic: diagnosis.budget is all 0,
#    nothing is unjudged, no signature memo entry is forgotten;
#  - a file run is deterministic: two runs give byte-identical JSON reports
#    and --events lines (analyses run on their own thread, yet handshakes are
#    counted in the order they ended), under one client key (the reports
#    carry client sketches, keyed);
#  - the largest number of signature checks a chain needed is printed (the
#    budget's headroom: CS_DIAG_MAX_CHECKS).
# The hostile capture is the one exception to the first rule: its own case
# (lab-hostile-budget) checks that the budget stops it.
#   tests/e2e/analysis.sh BINARY
set -u
BIN=${1:?usage: analysis.sh BINARY}
cd "$(dirname "$0")/../.."
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
pass=0 fail=0 max_checks=0 max_cost=0 worst=""
ok() { echo "ok analysis-$1"; pass=$((pass + 1)); }
bad() { echo "FAIL analysis-$1: $2"; fail=$((fail + 1)); }

for f in pcaps/lab/*.pcap pcaps/lab/*.pcapng pcaps/real/*.pcap pcaps/real/*.pcapng; do
	[ -e "$f" ] || continue
	case "$f" in
	*hostile-chains*) continue ;;
	pcaps/lab/*) trust=(--ca-file pcaps/lab/pki/trust.pem) ;;
	*) trust=(--ca-file tests/trust/debian-ca-certificates-20230311+deb12u1.crt) ;;
	esac
	name=$(basename "$f")
	for i in 1 2; do
		TZ=UTC "$BIN" -r "$f" "${trust[@]}" --client-key "$T/client.key" --format json -o "$T/r$i.json" \
			--events "$T/e$i.ndjson" 2>/dev/null </dev/null
		[ -s "$T/r$i.json" ] || continue 2 # a capture made to fail (bad-input cases)
	done
	if ! cmp -s "$T/r1.json" "$T/r2.json" || ! cmp -s "$T/e1.ndjson" "$T/e2.ndjson"; then
		bad "deterministic-$name" "two runs differ: $(diff <(jq -S . "$T/r1.json") <(jq -S . "$T/r2.json") | head -5)"
	else
		ok "deterministic-$name"
	fi
	rm -f "$T"/e?.ndjson
	got=$(jq -c '[.diagnosis.budget, .totals.unjudged_handshakes, .caps.signature_memo,
		      .diagnosis.max_checks, .diagnosis.max_cost_us]' "$T/r1.json")
	if jq -e '(.diagnosis.budget | to_entries | all(.value == 0)) and
		  .totals.unjudged_handshakes == 0 and .caps.signature_memo == 0' "$T/r1.json" >/dev/null; then
		ok "no-budget-$name"
	else
		bad "no-budget-$name" "$got"
	fi
	c=$(jq .diagnosis.max_checks "$T/r1.json") u=$(jq .diagnosis.max_cost_us "$T/r1.json")
	[ "$c" -gt "$max_checks" ] && max_checks=$c worst=$name
	[ "$u" -gt "$max_cost" ] && max_cost=$u
done
echo "analysis: the most a chain needed: $max_checks signature checks ($worst), $max_cost us estimated"
echo "$pass passed, $fail failed"
[ "$fail" = 0 ]
