# lib.sh - the preamble the e2e scripts share.  Sourced first thing as
#   . "$(dirname "$0")/lib.sh" NAME "$1"
# it sets BIN (the binary, absolute), makes the repository the working
# directory, sets PY (Debian's python3) and TRUST (the pinned bundle and the
# lab PKI), makes a temporary directory T removed at exit, and defines the
# counters pass/fail with ok CASE and bad CASE REASON, whose lines are
# "ok NAME-CASE" and "FAIL NAME-CASE: REASON"; need TOOL... exits 2 naming
# the first tool missing.
set -u
E2E_NAME=$1
BIN=$(realpath "$2")
cd "$(dirname "${BASH_SOURCE[0]}")/../.." || exit 2
PY=/usr/bin/python3
TRUST=(--ca-file tests/trust/debian-ca-certificates-20230311+deb12u1.crt
	--ca-file pcaps/lab/pki/trust.pem)
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
pass=0 fail=0
ok() { echo "ok $E2E_NAME-$1"; pass=$((pass + 1)); }
bad() { echo "FAIL $E2E_NAME-$1: $2"; fail=$((fail + 1)); }
need() {
	for tool in "$@"; do
		command -v "$tool" >/dev/null ||
			{ echo "$E2E_NAME.sh: $tool is required (scripts/deps.sh)" >&2; exit 2; }
	done
}
