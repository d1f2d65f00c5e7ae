#!/bin/sh
# deps.sh - make sure the Debian packages chainsniff builds and tests with are
# installed.  As root it installs what is missing; otherwise it prints the
# exact apt-get line and fails.
set -eu
PKGS="build-essential pkg-config libpcap-dev libssl-dev libcmocka-dev libjansson-dev openssl ca-certificates jq tcpdump iproute2"
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
apt-get update -qq
apt-get install -y -qq --no-install-recommends $missing >/dev/null
