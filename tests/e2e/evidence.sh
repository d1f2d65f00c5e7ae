#!/usr/bin/env bash
# evidence.sh - --write-broken and servers[].evidence_filter end to end,
# checked with tshark, tcpdump and a pcap reader of our own:
#
#   evidence-packets-*     the file holds exactly the packets of the broken
#                          handshakes, byte for byte with their times: for each
#                          connection judged broken, every frame from its first
#                          to the client's first TLS record after the server's
#                          Certificate (tshark on the original), nothing else
#   evidence-tshark-reads  tshark reads the file and sees the handshakes
#   evidence-linktypes     a broken handshake in Ethernet and one in Linux
#                          cooked capture: FILE (EN10MB) and FILE.LINUX_SLL.pcap
#                          (said on stderr), each what a run on its capture
#                          alone writes
#   evidence-none-broken   nothing broken: a valid pcap without packets
#   evidence-mode-0640, evidence-replaced
#   evidence-filter-*      evidence_filter is null for healthy servers; for a
#                          broken one, tshark with its tshark filter finds
#                          exactly that server's ClientHellos with its SNI (also
#                          the hostile and non-UTF-8 names of freq-hostile-sni),
#                          and tcpdump with its bpf exactly the server's packets
#
# usage: tests/e2e/evidence.sh BINARY   (needs jq, tshark, tcpdump, capinfos,
#        /usr/bin/python3)
. "$(dirname "$0")/lib.sh" evidence "$1"
need jq tshark tcpdump capinfos

# The frames tshark says belong to the broken handshakes of a classic pcap:
# for each client port of a broken event, the connection's frames from its
# first up to the client's first TLS record after the server's Certificate.
expected_frames() { # capture, events
	tshark -n -r "$1" -o tcp.reassemble_out_of_order:TRUE -T fields -E occurrence=a -E aggregator=, \
		-e frame.number -e tcp.stream -e tcp.srcport -e tcp.dstport -e tls.record.content_type \
		-e tls.handshake.type 2>/dev/null >"$T/frames.tsv"
	$PY - "$T/frames.tsv" "$2" <<'EOF'
import json, sys
broken = set()
for line in open(sys.argv[2]):
    ev = json.loads(line)
    if ev["status"] == "broken":
        broken.add((ev["client_port"], ev["server_port"]))
streams, order = {}, []
for row in open(sys.argv[1]):
    n, st, sp, dp, ct, ht = (row.rstrip("\n").split("\t") + [""] * 6)[:6]
    streams.setdefault(st, []).append((int(n), int(sp), int(dp), ct, ht))
out = []
for st, frames in streams.items():
    sp, dp = frames[0][1], frames[0][2]
    ends = {(sp, dp), (dp, sp)} & broken
    if not ends:
        continue
    client, server = next(iter(ends))
    cert = False
    for n, s, d, ct, ht in frames:
        out.append(n)
        if s == server and "11" in ht.split(","):
            cert = True
        elif cert and s == client and ct:
            break
print(" ".join(map(str, sorted(out))))
EOF
}

# Packets of a classic pcap (us or ns) as "time_ns caplen len sha256" lines.
packets() { # file [frame numbers...]
	$PY - "$@" <<'EOF'
import hashlib, struct, sys
data = open(sys.argv[1], "rb").read()
want = set(map(int, sys.argv[2:])) if len(sys.argv) > 2 else None
magic = data[:4]
le = magic in (b"\xd4\xc3\xb2\xa1", b"\x4d\x3c\xb2\xa1")
nano = magic in (b"\x4d\x3c\xb2\xa1", b"\xa1\xb2\x3c\x4d")
e = "<" if le else ">"
off, n = 24, 0
while off + 16 <= len(data):
    s, f, cap, wire = struct.unpack(e + "IIII", data[off:off + 16])
    n += 1
    if want is None or n in want:
        print(s * 10**9 + (f if nano else f * 1000), cap, wire,
              hashlib.sha256(data[off + 16:off + 16 + cap]).hexdigest())
    off += 16 + cap
EOF
}

check_packets() { # name, capture
	local name=$1 cap=$2
	"$BIN" -r "$cap" "${TRUST[@]}" --events "$T/$name.ndjson" --write-broken "$T/$name.pcap" \
		--format json -o "$T/$name.json" 2>"$T/$name.err"
	local frames
	frames=$(expected_frames "$cap" "$T/$name.ndjson")
	if [ -z "$frames" ]; then
		bad "packets-$name" "no broken handshake in $cap"
		return
	fi
	# shellcheck disable=SC2086
	if diff <(packets "$cap" $frames) <(packets "$T/$name.pcap") >"$T/diff"; then
		ok "packets-$name"
	else
		bad "packets-$name" "frames $frames; $(head -4 "$T/diff")"
	fi
}
# sessions 2 and 4 of six (pcaps/README.md): 16 packets
check_packets notices pcaps/lab/notices.pcap
# the client's fatal alert is the record that ends the handshake
check_packets rejects pcaps/lab/diag-client-rejects.pcap
# three servers, two broken, seven broken handshakes of nine
check_packets freq pcaps/lab/freq-three-servers.pcap

n=$(tshark -n -r "$T/notices.pcap" -Y 'tls.handshake.type == 11' 2>/dev/null | wc -l)
c=$(capinfos -c -M "$T/notices.pcap" 2>/dev/null | awk '/Number of packets/ {print $NF}')
[ "$n" = 2 ] && [ "$c" = 16 ] && ok tshark-reads || bad tshark-reads "$n Certificate frames, $c packets"

# two link types: the Ethernet lab capture and zeek's IRC STARTTLS (Linux
# cooked, a self-signed chain; tshark does not decode its TLS): FILE holds
# what a run on the lab capture alone writes, FILE.LINUX_SLL.pcap what a run
# on the IRC capture alone writes
IRC=pcaps/real/zeek__tls__irc-starttls.pcap
"$BIN" -r pcaps/lab/notices.pcap -r "$IRC" "${TRUST[@]}" --write-broken "$T/mixed.pcap" \
	-o /dev/null 2>"$T/err"
"$BIN" -r "$IRC" "${TRUST[@]}" --write-broken "$T/irc.pcap" -o /dev/null 2>/dev/null
e1=$(capinfos -E "$T/mixed.pcap" 2>/dev/null | awk -F': *' '/encapsulation/ {print $2}')
e2=$(capinfos -E "$T/mixed.LINUX_SLL.pcap" 2>/dev/null | awk -F': *' '/encapsulation/ {print $2}')
if [ "$e1" = Ethernet ] && [ "$e2" = "Linux cooked-mode capture v1" ] &&
   [ -n "$(packets "$T/irc.pcap")" ] && diff -q <(packets "$T/irc.pcap") \
	<(packets "$T/mixed.LINUX_SLL.pcap") >/dev/null &&
   diff -q <(packets "$T/notices.pcap") <(packets "$T/mixed.pcap") >/dev/null &&
   grep -q "mixed.LINUX_SLL.pcap: packets of link type LINUX_SLL" "$T/err"; then
	ok linktypes
else
	bad linktypes "$e1 / $e2 / $(cat "$T/err")"
fi

"$BIN" -r pcaps/lab/one-intermediate.pcap "${TRUST[@]}" --write-broken "$T/none.pcap" -o /dev/null
c=$(capinfos -c -M "$T/none.pcap" 2>/dev/null | awk '/Number of packets/ {print $NF}')
[ "$c" = 0 ] && ok none-broken || bad none-broken "capinfos: ${c:-not a capture}"

(umask 022 && "$BIN" -r pcaps/lab/notices.pcap "${TRUST[@]}" --write-broken "$T/m.pcap" -o /dev/null)
s1=$(stat -c %s "$T/m.pcap")
"$BIN" -r pcaps/lab/notices.pcap "${TRUST[@]}" --write-broken "$T/m.pcap" -o /dev/null
[ "$(stat -c %a "$T/m.pcap")" = 640 ] && ok mode-0640 || bad mode-0640 "$(stat -c %a "$T/m.pcap")"
[ "$(stat -c %s "$T/m.pcap")" = "$s1" ] && ok replaced || bad replaced "$s1 then $(stat -c %s "$T/m.pcap") bytes"

# evidence_filter: each broken server's filters select exactly its traffic
filters() { # name, capture
	local name=$1 cap=$2 errs=""
	"$BIN" -r "$cap" "${TRUST[@]}" --format json -o "$T/f.json" 2>/dev/null
	if ! jq -e '[.servers[] | select(.broken_handshakes == 0) | .evidence_filter == null] | all' \
		"$T/f.json" >/dev/null; then
		errs="a healthy server has a filter"
	fi
	jq -c '.servers[] | select(.broken_handshakes > 0)' "$T/f.json" >"$T/broken.jsonl"
	[ -s "$T/broken.jsonl" ] || errs="no broken server"
	while IFS= read -r sv; do
		local ip port tsf bpf want got wantp gotp
		ip=$(jq -r .server_ip <<<"$sv")
		port=$(jq -r .server_port <<<"$sv")
		tsf=$(jq -r .evidence_filter.tshark <<<"$sv")
		bpf=$(jq -r .evidence_filter.bpf <<<"$sv")
		# the ClientHellos of this entry, by tshark's own fields (raw SNI bytes
		# compared as hex, from our reassembly-free per-frame view)
		want=$(jq -r '.tls_handshakes' <<<"$sv")
		got=$(tshark -n -r "$cap" -Y "$tsf" -T fields -e tcp.dstport 2>/dev/null | grep -c "^$port$")
		all=$(tshark -n -r "$cap" -Y "$tsf" 2>/dev/null | wc -l)
		[ "$got" = "$want" ] && [ "$all" = "$want" ] ||
			errs="$errs; $ip:$port $(jq -c .sni <<<"$sv"): tshark filter found $all (to the server $got), want $want"
		wantp=$(tshark -n -r "$cap" -Y "ip.addr == $ip && tcp.port == $port" 2>/dev/null | wc -l)
		gotp=$(tcpdump -n -r "$cap" "$bpf" 2>/dev/null | wc -l)
		[ "$gotp" = "$wantp" ] && [ "$gotp" -gt 0 ] || errs="$errs; bpf $bpf: $gotp packets, tshark $wantp"
	done <"$T/broken.jsonl"
	[ -z "$errs" ] && ok "filter-$name" || bad "filter-$name" "${errs#; }"
}
filters notices pcaps/lab/notices.pcap
filters freq pcaps/lab/freq-three-servers.pcap
filters hostile-sni pcaps/lab/freq-hostile-sni.pcap

echo "$pass passed, $fail failed"
[ "$fail" = 0 ]
