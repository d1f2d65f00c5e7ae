#!/usr/bin/env bash
# shellcheck disable=SC2016  # '$unordered' in single quotes is JSON, not a variable
# selftest.sh - prove that the end-to-end harness can fail.
#
# 1. The subset matcher (subset.jq) on expected/actual pairs that must match
#    and pairs that must not.
# 2. run.sh itself, on a throw-away cases directory and a fake chainsniff
#    (a shell script printing a fixed report): a passing case, and cases that
#    must fail on the exit status, on stderr and on the JSON.
# Prints "ok ..." / "FAIL ..." per check and "N passed, N failed".
set -u

here=$(cd "$(dirname "$0")" && pwd)
passed=0
failed=0

check() { # check NAME CONDITION-STATUS
	if [ "$2" -eq 0 ]; then
		echo "ok $1"
		passed=$((passed + 1))
	else
		echo "FAIL $1"
		failed=$((failed + 1))
	fi
}

# mm EXPECTED ACTUAL: print the mismatches, one per line
mm() {
	jq -n -r -L "$here" --argjson e "$1" --argjson a "$2" \
		'include "subset"; mismatches($e; $a) | describe'
}

must_match() { # NAME EXPECTED ACTUAL
	local out
	out=$(mm "$2" "$3")
	[ -z "$out" ]
	check "match: $1" $?
	[ -z "$out" ] || echo "    $out"
}

must_not_match() { # NAME EXPECTED ACTUAL PATH-TEXT
	local out
	out=$(mm "$2" "$3")
	printf '%s\n' "$out" | grep -qF -- "$4"
	check "mismatch: $1" $?
}

# --- the matcher -------------------------------------------------------------
must_match "equal scalars" '{"a":1,"s":"x","n":null,"b":false}' '{"a":1,"s":"x","n":null,"b":false}'
must_match "extra object keys are ignored" '{"totals":{"tls13":1}}' '{"totals":{"tls13":1,"resumed":0},"x":[1]}'
must_match "empty expectation" '{}' '{"anything":[1,2,3]}'
must_match "nested arrays element by element" '{"s":[{"c":[{"h":"aa"},{"h":"bb"}]}]}' '{"s":[{"c":[{"h":"aa","x":1},{"h":"bb"}],"y":2}]}'
must_match "empty array" '{"errors":[]}' '{"errors":[]}'
must_match "1 equals 1.0" '{"n":1}' '{"n":1.0}'

must_not_match "extra array element" '{"servers":[{"a":1}]}' '{"servers":[{"a":1},{"a":2}]}' \
	'.servers: array length: expected 1, got 2'
must_not_match "missing array element" '{"c":[1,2]}' '{"c":[1]}' '.c: array length: expected 2, got 1'
must_not_match "wrong order" '{"certs":["aa","bb"]}' '{"certs":["bb","aa"]}' '.certs[0]: expected "aa", got "bb"'
must_not_match "missing key" '{"totals":{"resumed":0}}' '{"totals":{}}' '.totals.resumed: missing'
must_not_match "null vs value" '{"sni":null}' '{"sni":"example.com"}' '.sni: expected null (null), got "example.com" (string)'
must_not_match "value vs null" '{"sni":"example.com"}' '{"sni":null}' '.sni: expected "example.com" (string), got null (null)'
must_not_match "null vs false" '{"b":null}' '{"b":false}' '.b: expected null (null), got false (boolean)'
must_not_match "number vs string" '{"port":443}' '{"port":"443"}' '.port: expected 443 (number), got "443" (string)'
must_not_match "different number" '{"t":{"tls_handshakes":3}}' '{"t":{"tls_handshakes":2}}' '.t.tls_handshakes: expected 3, got 2'
must_not_match "object vs array" '{"x":{}}' '{"x":[]}' '.x: expected {} (object), got [] (array)'
must_not_match "deep path" '{"servers":[{"chains":[{"certs":[{"sha256":"aa"}]}]}]}' \
	'{"servers":[{"chains":[{"certs":[{"sha256":"ab"}]}]}]}' '.servers[0].chains[0].certs[0].sha256: expected "aa", got "ab"'
must_not_match "odd key quoted in path" '{"a-b":1}' '{"a-b":2}' '["a-b"]: expected 1, got 2'
must_match "\$unordered in another order" '{"s":{"$unordered":[{"ip":"b"},{"ip":"a","n":1}]}}' '{"s":[{"ip":"a","n":1,"x":0},{"ip":"b"}]}'
must_match "\$unordered in the same order" '{"s":{"$unordered":[{"ip":"a"},{"ip":"b"}]}}' '{"s":[{"ip":"a"},{"ip":"b"}]}'
must_not_match "\$unordered: extra element" '{"s":{"$unordered":[{"ip":"a"}]}}' '{"s":[{"ip":"a"},{"ip":"b"}]}' \
	'.s: array length: expected 1, got 2'
must_not_match "\$unordered: element missing" '{"s":{"$unordered":[{"ip":"a"},{"ip":"c"}]}}' '{"s":[{"ip":"b"},{"ip":"a"}]}' \
	'.s[0].ip: expected "c", got "b"'
must_not_match "\$unordered: one actual element cannot match two" '{"s":{"$unordered":[{"ip":"a"},{"ip":"a"}]}}' '{"s":[{"ip":"a"},{"ip":"b"}]}' \
	'.s: unordered: expected element #1 matches no element'
must_not_match "\$unordered: not an array" '{"s":{"$unordered":[]}}' '{"s":{}}' '.s: expected [] (array), got {} (object)'
# every mismatch is reported, not only the first
n=$(mm '{"a":1,"b":2,"c":[1,2]}' '{"a":0,"b":0,"c":[0,2]}' | wc -l)
[ "$n" -eq 3 ]
check "all mismatches reported (3)" $?

# --- run.sh on a fake binary ---------------------------------------------------
tmp=$(mktemp -d "${TMPDIR:-/tmp}/chainsniff-selftest.XXXXXX") || exit 2
trap 'rm -rf "$tmp"' EXIT
mkdir "$tmp/cases"
cat >"$tmp/fake" <<'EOF'
#!/bin/sh
# Fake chainsniff: "-r bad" fails like a missing file; otherwise a fixed report.
# It also records its arguments, one per line, to check the .args parsing.
printf '%s\n' "$@" >"$FAKE_ARGS"
if [ "$2" = bad ]; then
	echo "chainsniff: bad: No such file or directory" >&2
	echo '{"inputs":[{"name":"bad","status":"error"}],"totals":{"packets":0}}'
	exit 1
fi
echo '{"report_version":1,"totals":{"packets":10,"tls_handshakes":1},
 "servers":[{"server_ip":"192.0.2.1","server_port":443,"sni":null,
  "chains":[{"certs":[{"sha256":"aa"},{"sha256":"bb"}]}]}]}'
EOF
chmod +x "$tmp/fake"
export FAKE_ARGS=$tmp/args
c=$tmp/cases
echo "-r good --format json -f 'tcp port 443'" >"$c/pass.args"
echo '{"totals":{"tls_handshakes":1},"servers":[{"sni":null,"chains":[{"certs":[{"sha256":"aa"},{"sha256":"bb"}]}]}]}' >"$c/pass.expect.json"
echo "-r bad" >"$c/bad-pass.args"
echo 1 >"$c/bad-pass.exit"
echo '^chainsniff: bad: .+' >"$c/bad-pass.stderr"
echo 1 >"$c/bad-pass.stderr-lines"
echo '{"inputs":[{"name":"bad","status":"error"}]}' >"$c/bad-pass.expect.json"
echo "-r good" >"$c/fail-exit.args"
echo 3 >"$c/fail-exit.exit"
echo "-r bad" >"$c/fail-stderr.args"
echo 1 >"$c/fail-stderr.exit"
echo '^chainsniff: other: ' >"$c/fail-stderr.stderr"
echo "-r good" >"$c/fail-lines.args"
echo 1 >"$c/fail-lines.stderr-lines"
echo "-r good" >"$c/fail-json.args"
echo '{"totals":{"tls_handshakes":2},"servers":[{"chains":[{"certs":[{"sha256":"bb"},{"sha256":"aa"}]}]}]}' >"$c/fail-json.expect.json"
echo "-r good" >"$c/fail-length.args"
echo '{"servers":[{"chains":[{"certs":[{"sha256":"aa"}]}]}]}' >"$c/fail-length.expect.json"

out=$(E2E_CASES_DIR=$c "$here/run.sh" "$tmp/fake" pass bad-pass 2>&1)
rc=$?
[ $rc -eq 0 ] && printf '%s\n' "$out" | grep -qx '2 passed, 0 failed'
check "run.sh: passing cases pass" $?
[ $rc -eq 0 ] || printf '%s\n' "$out" | sed 's/^/    /'
E2E_CASES_DIR=$c "$here/run.sh" "$tmp/fake" pass >/dev/null 2>&1
printf -- '-r\ngood\n--format\njson\n-f\ntcp port 443\n' | cmp -s - "$FAKE_ARGS"
check "run.sh: quoted argument stays one word" $?

out=$(E2E_CASES_DIR=$c "$here/run.sh" "$tmp/fake" 2>&1)
rc=$?
[ $rc -ne 0 ] && printf '%s\n' "$out" | grep -qx '2 passed, 5 failed'
check "run.sh: failing cases fail, summary line, non-zero exit" $?
printf '%s\n' "$out" | grep -q 'exit status: expected 3, got 0'
check "run.sh: reports the exit status" $?
printf '%s\n' "$out" | grep -qF 'stderr does not match: ^chainsniff: other: '
check "run.sh: reports a stderr mismatch" $?
printf '%s\n' "$out" | grep -qF 'stderr: expected 1 line(s), got 0'
check "run.sh: reports the stderr line count" $?
printf '%s\n' "$out" | grep -qF '.totals.tls_handshakes: expected 2, got 1' &&
	printf '%s\n' "$out" | grep -qF '.servers[0].chains[0].certs[0].sha256: expected "bb", got "aa"'
check "run.sh: reports JSON paths" $?
printf '%s\n' "$out" | grep -qF '.servers[0].chains[0].certs: array length: expected 1, got 2'
check "run.sh: reports an array length" $?
! E2E_CASES_DIR=$c "$here/run.sh" "$tmp/fake" no-such-case >/dev/null 2>&1
check "run.sh: an unknown case fails" $?

echo "$passed passed, $failed failed"
[ $failed -eq 0 ]
