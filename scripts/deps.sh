#!/bin/sh
# deps.sh - make sure the Debian packages chainsniff builds and tests with are
# installed.  As root it installs what is missing; otherwise it prints the
# exact apt-get line and fails.
#
#   scripts/deps.sh          what `make` and `make check` need
#   scripts/deps.sh --bench  that, plus the reference tool of scripts/bench.sh
#                            (GNU time); `make check` never needs it
set -eu
# tshark: the reference the events and evidence tests check against
# (Community ID, Certificate frame times, reading --write-broken files)
# chromium, fonts-dejavu-core, python3-pil: the HTML report read by a real
# browser, its DOM and a screenshot (tests/e2e/html.sh); python3-cryptography:
# the hostile certificates of scripts/mkhostile-pki.py; tcpreplay: captures
# replayed into a veth for --workers (tests/e2e/workers.sh) and the bench
PKGS="build-essential pkg-config libpcap-dev libssl-dev libcmocka-dev libjansson-dev openssl ca-certificates jq tcpdump iproute2 tshark wireshark-common logrotate python3-prometheus-client groff-base chromium fonts-dejavu-core python3-pil python3-cryptography clang-format tcpreplay"
case "${1:-}" in
--bench) PKGS="$PKGS time" ;;
"") ;;
*) echo "usage: scripts/deps.sh [--bench]" >&2; exit 2 ;;
esac
missing=""
for p in $PKGS; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" ||
		missing="$missing $p"
done
[ -z "$missing" ] && exit 0
if [ "$(id -u)" -ne 0 ]; then
	echo "chainsniff: missing build dependencies; run as root:" >&2
	echo "  apt-get install -y$missing" >&2
	exit 1
fi
echo "chainsniff: installing$missing" >&2
export DEBIAN_FRONTEND=noninteractive
# tshark asks whether non-root users may capture: keep Debian's default (no)
echo "wireshark-common wireshark-common/install-setuid boolean false" | debconf-set-selections 2>/dev/null || true
apt-get update -qq
apt-get install -y -qq --no-install-recommends $missing >/dev/null
