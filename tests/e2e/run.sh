#!/usr/bin/env bash
# run.sh - end-to-end tests: run the chainsniff binary on each case and check
# its exit status, standard error and JSON report.  The case format is in
# tests/e2e/README.md.
#
# usage: tests/e2e/run.sh BINARY [NAME...]
#   BINARY  the chainsniff binary (a path, or a command in $PATH)
#   NAME    run only these cases (file names in the cases directory without
#           the .args suffix, or shell patterns of them: 'lab-diag-*');
#           default: every cases/*.args
# environment:
#   E2E_CASES_DIR  cases directory (default tests/e2e/cases; selftest.sh uses it)
#   E2E_TIMEOUT    seconds a case may run (default 120)
#
# Each case prints "ok NAME" or "FAIL NAME" and indented details; the last
# line is "N passed, N failed".  Exit status: 0 when every case passed, 1 when
# one failed, 2 on a usage error.
set -u

here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
cases=${E2E_CASES_DIR:-$here/cases}
timeout_s=${E2E_TIMEOUT:-120}

if [ $# -lt 1 ]; then
	echo "usage: $0 BINARY [NAME...]" >&2
	exit 2
fi
bin=$1
shift
case $bin in
*/*) bin=$(cd "$(dirname "$bin")" 2>/dev/null && pwd)/$(basename "$bin") ;;
esac
if ! command -v "$bin" >/dev/null 2>&1; then
	echo "run.sh: $1: not an executable" >&2
	exit 2
fi
command -v jq >/dev/null 2>&1 || { echo "run.sh: jq is required (scripts/deps.sh installs it)" >&2; exit 2; }
cases=$(cd "$cases" 2>/dev/null && pwd) || { echo "run.sh: no cases directory" >&2; exit 2; }

if [ $# -gt 0 ]; then
	names=()
	for n in "$@"; do
		case $n in
		*[*?[]*) # a pattern: the cases it matches (itself when none, to fail)
			m=0
			for f in "$cases"/$n.args; do
				[ -e "$f" ] || continue
				f=${f##*/}
				names+=("${f%.args}")
				m=1
			done
			[ $m = 1 ] || names+=("$n")
			;;
		*) names+=("$n") ;;
		esac
	done
else
	names=()
	for f in "$cases"/*.args; do
		[ -e "$f" ] || continue
		n=${f##*/}
		names+=("${n%.args}")
	done
fi
if [ ${#names[@]} -eq 0 ]; then
	echo "run.sh: no cases in $cases" >&2
	exit 2
fi

tmp=$(mktemp -d "${TMPDIR:-/tmp}/chainsniff-e2e.XXXXXX") || exit 2
trap 'rm -rf "$tmp"' EXIT

passed=0
failed=0
details=()

fail() { details+=("$1"); }

# Indent a multi-line text for the details block, at most 20 lines.
excerpt() {
	head -n 20 "$1" | sed 's/^/      | /'
	[ "$(wc -l <"$1")" -le 20 ] || echo "      | ..."
}

# .codes: the problem codes that must / must not appear among the problems
# of every server with handshakes (format in tests/e2e/README.md).
# shellcheck disable=SC2016
codes_jq='
def words($s): [$s | splits("[[:space:]]+") | select(length > 0)];
def hits($have; $w): [$have[] | select(. == $w or (($w | contains("@") | not) and startswith($w + "@")))];
[.servers[]? | select((.handshakes // 0) > 0) | .problems[]? | "\(.code)@\(.cert_index | tojson)"] as $have
| ($have | if length == 0 then "none" else join(" ") end) as $list
| (words($must)[] as $w | select(hits($have; $w) | length == 0)
   | "codes: missing \($w) (problems: \($list))"),
  (words($must_not)[] as $w | hits($have; $w) as $h | select($h | length > 0)
   | "codes: must not have \($w), got \($h | join(" "))")'

check_codes() { # check_codes CODES-FILE REPORT
	local line key must="" must_not=""
	while IFS= read -r line || [ -n "$line" ]; do
		line=${line%%#*}
		[ -n "${line//[[:space:]]/}" ] || continue
		key=${line%%:*}
		key=${key//[[:space:]]/}
		case $key in
		must) must="$must ${line#*:}" ;;
		must_not) must_not="$must_not ${line#*:}" ;;
		*)
			fail "bad line in $1: $line"
			return
			;;
		esac
	done <"$1"
	if [ "$(jq -s length "$2" 2>/dev/null)" != 1 ]; then
		fail "codes: stdout is not one JSON document"
		return
	fi
	jq -r --arg must "$must" --arg must_not "$must_not" "$codes_jq" "$2" >"$2.codes" 2>&1 ||
		fail "jq failed on the report (codes)"
	while IFS= read -r line; do
		fail "$line"
	done <"$2.codes"
}

run_case() {
	local name=$1 c=$cases/$1 rc want_rc pat nlines want_lines
	local out=$tmp/$1.out err=$tmp/$1.err
	local -a args=()
	details=()

	if [ ! -f "$c.args" ]; then
		fail "no such case: $c.args"
		return
	fi
	# Arguments: whitespace-separated words; '...' and "..." quote (as xargs
	# reads them), so a BPF filter with spaces can be one argument.
	if ! mapfile -d '' args < <(xargs -r printf '%s\0' <"$c.args"); then
		fail "cannot parse $c.args"
		return
	fi

	(cd "$root" && TZ=UTC timeout "$timeout_s" "$bin" "${args[@]}" </dev/null >"$out" 2>"$err")
	rc=$?
	if [ $rc -eq 124 ]; then
		fail "timed out after ${timeout_s}s"
	fi

	want_rc=0
	[ -f "$c.exit" ] && want_rc=$(tr -d ' \t\r\n' <"$c.exit")
	if [ "$rc" != "$want_rc" ]; then
		fail "exit status: expected $want_rc, got $rc"
	fi

	# .stderr: one extended regular expression per line; each must match
	# some line of standard error (grep -E).
	if [ -f "$c.stderr" ]; then
		while IFS= read -r pat || [ -n "$pat" ]; do
			[ -n "$pat" ] || continue
			grep -Eq -- "$pat" "$err" || fail "stderr does not match: $pat"
		done <"$c.stderr"
	fi
	# .stderr-lines: the exact number of lines standard error must have.
	if [ -f "$c.stderr-lines" ]; then
		want_lines=$(tr -d ' \t\r\n' <"$c.stderr-lines")
		nlines=$(awk 'END { print NR }' "$err")
		[ "$nlines" = "$want_lines" ] ||
			fail "stderr: expected $want_lines line(s), got $nlines"
	fi

	if [ -f "$c.expect.json" ]; then
		if ! jq -e . "$c.expect.json" >/dev/null 2>&1; then
			fail "bad expectation file $c.expect.json (not JSON)"
		elif [ "$(jq -s length "$out" 2>/dev/null)" != 1 ]; then
			fail "stdout is not one JSON document ($(wc -c <"$out") bytes):"
			while IFS= read -r line; do details+=("$line"); done < <(excerpt "$out" | sed 's/^    //')
		else
			jq -n -r -L "$here" --slurpfile e "$c.expect.json" --slurpfile a "$out" \
				'include "subset"; mismatches($e[0]; $a[0]) | describe' >"$tmp/$1.mm" 2>&1 ||
				fail "jq failed on the report"
			while IFS= read -r line; do
				fail "$line"
			done <"$tmp/$1.mm"
		fi
	fi

	[ -f "$c.codes" ] && check_codes "$c.codes" "$out"
	# .stdout-empty: no report at all (every input failed)
	if [ -f "$c.stdout-empty" ] && [ -s "$out" ]; then
		fail "stdout: expected nothing, got $(wc -c <"$out") bytes"
	fi

	if [ ${#details[@]} -gt 0 ] && [ -s "$err" ]; then
		details+=("stderr:")
		while IFS= read -r line; do details+=("$line"); done < <(excerpt "$err" | sed 's/^    //')
	fi
}

for name in "${names[@]}"; do
	run_case "$name"
	if [ ${#details[@]} -eq 0 ]; then
		echo "ok $name"
		passed=$((passed + 1))
	else
		echo "FAIL $name"
		for d in "${details[@]}"; do
			echo "    $d"
		done
		failed=$((failed + 1))
	fi
done

echo "$passed passed, $failed failed"
[ $failed -eq 0 ]
