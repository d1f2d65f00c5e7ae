#!/usr/bin/env bash
# bench.sh - throughput and memory of chainsniff against reference tools,
# run in the same script on the same files, reported as ratios.
#
#   scripts/bench.sh [BINARY] [COPIES]
#
# Workloads (built under build/bench/, not committed):
#  - handshakes.pcap: COPIES time-shifted copies of pcaps/real/ndpi__sites.pcapng
#    (699 frames, 55 TLS handshakes each): the handshake-heavy worst case.
#  - bulk.pcap: one loopback TLS session moving 256 MiB (recorded with openssl
#    and tcpdump when run as root; skipped otherwise): the common gateway case,
#    where chainsniff must approach a bare libpcap read loop.
# References: `tcpdump -r F -w /dev/null` (libpcap read loop plus a write),
# `tshark -r F -Y tls.handshake.type==11` (full dissection).
set -eu
cd "$(dirname "$0")/.."
BIN=${1:-build/release/chainsniff}
COPIES=${2:-300}
OUT=build/bench
mkdir -p "$OUT"
for t in tcpdump tshark editcap mergecap; do
	command -v "$t" >/dev/null || { echo "bench: $t missing (apt-get install tcpdump tshark)" >&2; exit 1; }
done

make_handshakes() {
	local src=pcaps/real/ndpi__sites.pcapng f="$OUT/handshakes.pcap" parts=() i
	[ -s "$f" ] && return
	editcap -F pcap "$src" "$OUT/base.pcap"
	# the copies replay the same connections: each new SYN starts a new one
	for i in $(seq 0 $((COPIES - 1))); do
		parts+=("$OUT/base.pcap")
	done
	mergecap -a -F pcap -w "$f" "${parts[@]}"
	rm -f "$OUT/base.pcap"
}

make_bulk() {
	local f="$OUT/bulk.pcap" pki=pcaps/lab/pki
	[ -s "$f" ] && return
	[ "$(id -u)" -eq 0 ] || { echo "bench: not root, skipping the bulk capture" >&2; return; }
	[ -f "$pki/one.pem" ] || { echo "bench: no lab PKI, skipping bulk" >&2; return; }
	head -c $((256 << 20)) /dev/zero > "$OUT/payload"
	tcpdump -i lo -s 0 --immediate-mode -B 65536 -w "$f" 'tcp port 14433' 2> "$OUT/tcpdump.err" &
	local td=$!
	until grep -q listening "$OUT/tcpdump.err"; do sleep 0.1; done
	(cd "$OUT" && exec openssl s_server -WWW -accept 14433 -naccept 1 -cert "$OLDPWD/$pki/one.pem" \
		-key "$OLDPWD/$pki/one.key" -cert_chain "$OLDPWD/$pki/one.chain.pem") > /dev/null 2>&1 &
	local sv=$!
	sleep 0.5
	printf 'GET /payload HTTP/1.0\r\n\r\n' |
		openssl s_client -connect 127.0.0.1:14433 -tls1_2 -ign_eof -quiet > /dev/null 2>&1 || true
	wait $sv 2>/dev/null || true
	sleep 0.5
	kill -INT $td
	wait $td 2>/dev/null || true
	rm -f "$OUT/payload"
}

# seconds and peak KiB of one command, best of 3
measure() {
	local best="" rss="" i t m
	for i in 1 2 3; do
		/usr/bin/time -f "%e %M" -o "$OUT/time" "$@" > /dev/null 2>&1 || true
		read -r t m < <(tail -n 1 "$OUT/time")
		if [ -z "$best" ] || awk "BEGIN{exit !($t < $best)}"; then best=$t; rss=$m; fi
	done
	echo "$best $rss"
}

bench_file() {
	local f=$1 size frames cs td ts
	[ -s "$f" ] || return 0
	size=$(stat -c %s "$f")
	frames=$(capinfos -c -M "$f" 2>/dev/null | awk '/Number of packets/ {print $NF}')
	read -r cs cs_rss <<< "$(measure "$BIN" -r "$f" --format json)"
	read -r td td_rss <<< "$(measure tcpdump -r "$f" -w /dev/null)"
	read -r ts ts_rss <<< "$(measure tshark -r "$f" -Y 'tls.handshake.type==11')"
	printf '%s: %d MB, %s frames, %s TLS handshakes\n' "$(basename "$f")" $((size >> 20)) "$frames" \
		"$("$BIN" -r "$f" --format json 2>/dev/null | jq .totals.tls_handshakes)"
	printf '  %-28s %8ss %9s KiB peak RSS\n' "chainsniff" "$cs" "$cs_rss" "tcpdump -r -w /dev/null" "$td" "$td_rss" \
		"tshark -Y Certificate" "$ts" "$ts_rss"
	awk -v cs="$cs" -v td="$td" -v ts="$ts" -v mb=$((size >> 20)) 'BEGIN {
		if (cs <= 0) cs = 0.001;
		printf "  chainsniff %.0f MB/s; time vs tcpdump %.2fx; tshark is %.1fx slower than chainsniff\n",
			mb / cs, cs / (td > 0 ? td : 0.001), ts / cs }'
}

make_handshakes
make_bulk
bench_file "$OUT/handshakes.pcap"
bench_file "$OUT/bulk.pcap"
