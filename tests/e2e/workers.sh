#!/usr/bin/env bash
# workers.sh - --workers on a real interface.  Captures are replayed with
# tcpreplay at a fixed rate into a veth pair in a network namespace of its
# own and read by chainsniff with --workers 1 and --workers 2; every live
# report must say what the same capture read from its file says (totals,
# and per server: handshakes, broken handshakes, status, clients, chains),
# with no packet dropped by the kernel.  The captures: sessions from nine
# distinct clients (which the fanout must spread over both workers), the
# same in PPPoE behind a tag and in MPLS (spread too), a real QinQ + PPPoE
# capture, QinQ (the kernel strips the outer tag), 802.1Q, IPv4 fragments,
# GTP-U, Geneve and VXLAN tunnels.  Needs root and `ip netns`; otherwise it says it was
# skipped.
#   tests/e2e/workers.sh BINARY
. "$(dirname "$0")/lib.sh" workers "$1"
veth_netns
need jq tcpreplay

# The nine sessions of freq-three-servers.pcap, each from a client of its own.
clients=()
for i in $(seq 1 9); do clients+=("198.51.100.$((i * 17)):$((40000 + i))"); done
$PY scripts/pcapedit.py clients pcaps/lab/freq-three-servers.pcap "$T/clients.pcap" "${clients[@]}" \
	>/dev/null || bad clients-capture "pcapedit.py clients failed"
# The same sessions as a BRAS and a provider core carry them: PPPoE session
# frames behind an 802.1Q tag (a session per client, the PPP protocol
# field IPv4), and MPLS with a transport and a service label.
$PY - "$T/clients.pcap" "$T/clients-pppoe.pcap" "$T/clients-mpls.pcap" <<'PY' ||
import struct, sys
data = open(sys.argv[1], "rb").read()
if struct.unpack("<II", data[:4] + data[20:24]) != (0xa1b2c3d4, 1):
    sys.exit("not a little-endian microsecond Ethernet pcap")
recs, off = [], 24
while off < len(data):
    sec, usec, incl = struct.unpack("<III", data[off:off + 12])
    recs.append((sec, usec, data[off + 16:off + 16 + incl]))
    off += 16 + incl
def write(path, shim):
    with open(path, "wb") as f:
        f.write(data[:24])
        for sec, usec, fr in recs:
            if fr[12:14] != b"\x08\x00":
                sys.exit("a frame that is not IPv4")
            ip = fr[14:14 + struct.unpack("!H", fr[16:18])[0]]
            b = fr[:12] + shim(ip)
            f.write(struct.pack("<IIII", sec, usec, len(b), len(b)) + b)
def pppoe(ip):  # the session id: the client's (198.51.100.x) last byte
    session = ip[15] if ip[12] == 198 else ip[19]
    return struct.pack("!HHHBBHHH", 0x8100, 300, 0x8864, 0x11, 0, session, 2 + len(ip), 0x0021) + ip
def mpls(ip):
    return struct.pack("!HII", 0x8847, 16004 << 12 | 64, 1000 << 12 | 0x100 | 64) + ip
write(sys.argv[2], pppoe)
write(sys.argv[3], mpls)
PY
	bad shim-captures "rewriting clients.pcap as PPPoE and MPLS failed"

# What a report says, for comparing: totals and servers, sorted.
summary() {
	jq -S '{totals: (.totals | {tls_handshakes, handshakes_with_chain, broken_handshakes,
		tls13, resumed, no_certificate}),
		servers: ([.servers[] | {server_ip, server_port, sni, handshakes, broken_handshakes,
		status, clients, chains: [.chains[] | {sha256, handshakes, status}]}]
		| sort_by(.server_ip, .server_port, .sni))}' "$1"
}

# live CAPTURE WORKERS OUT: the capture replayed into va, chainsniff on vb,
# judging at the capture's time as the file run does (replayed frames are
# stamped now).
live() {
	ip netns exec "$NS" "$BIN" -i vb --workers "$2" "${TRUST[@]}" --at "$AT" --format json \
		-o "$3" 2>"$3.err" &
	CS=$!
	wait_for grep -q "listening on" "$3.err"
	ip netns exec "$NS" tcpreplay -q --pps=1000 -i va "$1" >"$3.replay" 2>&1
	sleep 1
	kill -TERM "$CS"
	wait "$CS"
	echo $? >"$3.rc"
	CS=""
}

CAPS=("$T/clients.pcap" "$T/clients-pppoe.pcap" "$T/clients-mpls.pcap"
	pcaps/real/zeek__pppoe-over-qinq.pcap pcaps/lab/quirk-qinq.pcap pcaps/lab/quirk-vlan.pcap
	pcaps/lab/frag-router.pcap pcaps/lab/tunnel-gtpu.pcap
	pcaps/real/zeek__tunnels__geneve-47101.pcap)
[ -f pcaps/lab/tunnel-vxlan.pcap ] && CAPS+=(pcaps/lab/tunnel-vxlan.pcap)
for cap in "${CAPS[@]}"; do
	name=$(basename "$cap" .pcap)
	AT=@$(tcpdump -tt -c 1 -nr "$cap" 2>/dev/null | head -1 | cut -d. -f1) # VXLAN: 2 lines
	"$BIN" -r "$cap" "${TRUST[@]}" --at "$AT" --format json -o "$T/$name.file.json" 2>/dev/null
	summary "$T/$name.file.json" >"$T/$name.file.sum"
	for n in 1 2; do
		out="$T/$name.w$n.json"
		live "$cap" "$n" "$out"
		if [ "$(cat "$out.rc")" != 0 ]; then
			bad "$name-w$n-exit" "exit $(cat "$out.rc"): $(cat "$out.err")"
			continue
		fi
		drops=$(jq '[.inputs[].drops.dropped] | add' "$out")
		[ "$drops" = 0 ] && ok "$name-w$n-no-drops" ||
			bad "$name-w$n-no-drops" "kernel dropped $drops"
		if summary "$out" | diff -u "$T/$name.file.sum" - >"$T/$name.w$n.diff"; then
			ok "$name-w$n-equals-file"
		else
			bad "$name-w$n-equals-file" "$(head -20 "$T/$name.w$n.diff")"
		fi
	done
	# the same frames reached the report whatever the number of workers
	p1=$(jq '.inputs[0].packets' "$T/$name.w1.json")
	p2=$(jq '.inputs[0].packets' "$T/$name.w2.json")
	[ "$p1" = "$p2" ] && [ "$p1" -gt 0 ] && ok "$name-same-packets" ||
		bad "$name-same-packets" "$p1 with one worker, $p2 with two"
done

# the sessions of nine clients were spread, plain, in PPPoE and in MPLS:
# each worker had some, and the workers' packets add up to the input's
for name in clients clients-pppoe clients-mpls; do
	err="$T/$name.w2.json.err"
	if grep -q "worker 1 of 2: [1-9]" "$err" && grep -q "worker 2 of 2: [1-9]" "$err"; then
		ok "$name-spread"
	else
		bad "$name-spread" "$(grep worker "$err")"
	fi
	sum=$(sed -n 's/.*worker [12] of 2: \([0-9]*\) packets.*/\1/p' "$err" | awk '{s += $1} END {print s}')
	[ "$sum" = "$(jq '.inputs[0].packets' "$T/$name.w2.json")" ] && ok "$name-workers-add-up" ||
		bad "$name-workers-add-up" "workers $sum, input $(jq '.inputs[0].packets' "$T/$name.w2.json")"
done
# the outputs the main thread writes from what the workers hand over: one
# event per handshake, the broken handshakes' packets, the state
out=$T/outputs
mkdir -p "$out"
AT=@$(tcpdump -tt -c 1 -nr "$T/clients.pcap" 2>/dev/null | cut -d. -f1)
"$BIN" -r "$T/clients.pcap" "${TRUST[@]}" --at "$AT" --events "$out/file.ndjson" \
	--write-broken "$out/file.pcap" --format json -o "$out/file.json" 2>/dev/null
ip netns exec "$NS" "$BIN" -i vb --workers 2 "${TRUST[@]}" --at "$AT" --events "$out/live.ndjson" \
	--write-broken "$out/live.pcap" --state "$out/state.json" --format json -o "$out/live.json" \
	2>"$out/err" &
CS=$!
wait_for grep -q "listening on" "$out/err"
ip netns exec "$NS" tcpreplay -q --pps=1000 -i va "$T/clients.pcap" >/dev/null 2>&1
sleep 1
kill -TERM "$CS"
wait "$CS"
rc=$?
CS=""
[ $rc -eq 0 ] && ok outputs-exit || bad outputs-exit "exit $rc: $(cat "$out/err")"
n_file=$(wc -l <"$out/file.ndjson")
n_live=$(wc -l <"$out/live.ndjson")
[ "$n_live" = "$n_file" ] && [ "$n_live" -gt 0 ] && ok outputs-events ||
	bad outputs-events "$n_live events live, $n_file from the file"
b_file=$(tcpdump -nr "$out/file.pcap" 2>/dev/null | wc -l)
b_live=$(tcpdump -nr "$out/live.pcap" 2>/dev/null | wc -l)
[ "$b_live" = "$b_file" ] && [ "$b_live" -gt 0 ] && ok outputs-broken-packets ||
	bad outputs-broken-packets "$b_live broken-handshake packets live, $b_file from the file"
[ "$(jq '.totals.tls_handshakes' "$out/state.json")" = "$(jq '.totals.tls_handshakes' "$out/file.json")" ] &&
	ok outputs-state || bad outputs-state "state: $(jq -c .totals "$out/state.json" | head -c 300)"

# signals as with one thread: -Z, SIGUSR1 reports now, SIGHUP reloads; a
# worker whose socket fails takes the run down, one line naming it, exit 3,
# and the report still written
sig=$T/signals
mkdir -p "$sig/reports"
chmod 755 "$T" # -Z nobody reaches its directories
chown nobody "$sig" "$sig/reports"
ip netns exec "$NS" "$BIN" -i vb --workers 2 -Z nobody "${TRUST[@]}" --report-dir "$sig/reports" \
	--format json -o "$sig/final.json" 2>"$sig/err" &
CS=$!
wait_for grep -q "listening on" "$sig/err"
grep -q "listening on vb with 2 workers as nobody" "$sig/err" && ok signals-listening ||
	bad signals-listening "$(cat "$sig/err")"
[ "$(ps -o user= -p "$CS" | tr -d ' ')" = nobody ] && ok signals-privileges-dropped ||
	bad signals-privileges-dropped "runs as $(ps -o user= -p "$CS")"
kill -USR1 "$CS"
expect signals-usr1-report wait_for bash -c "ls '$sig'/reports/*.json >/dev/null 2>&1"
kill -HUP "$CS"
expect signals-hup-reload wait_for grep -q "trust store reloaded" "$sig/err"
ip -n "$NS" link del va # both ends: the workers' sockets fail
wait "$CS"
rc=$?
CS=""
[ $rc -eq 3 ] && ok worker-dies-exit-3 || bad worker-dies-exit-3 "exit $rc"
[ "$(grep -c "vb: worker [12] of 2: The interface disappeared" "$sig/err")" = 1 ] &&
	ok worker-dies-one-line || bad worker-dies-one-line "$(cat "$sig/err")"
jqt worker-dies-report '.inputs[0].status == "damaged" and (.inputs[0].errors[0] | test("^worker [12] of 2: "))' \
	"$sig/final.json"

# usage: files are read by one thread; one interface per fanout group
"$BIN" -r pcaps/lab/nano.pcap --workers 2 >/dev/null 2>"$T/u1.err"
[ $? -eq 2 ] && grep -q -- "--workers: applies to -i" "$T/u1.err" && ok usage-file ||
	bad usage-file "$(cat "$T/u1.err")"
"$BIN" -i va -i vb --workers 2 >/dev/null 2>"$T/u2.err"
[ $? -eq 2 ] && grep -q -- "--workers: takes one -i" "$T/u2.err" && ok usage-two-ifaces ||
	bad usage-two-ifaces "$(cat "$T/u2.err")"
"$BIN" -i va --workers 0 >/dev/null 2>"$T/u3.err"
[ $? -eq 2 ] && grep -q -- "--workers: must be 1..64 or auto" "$T/u3.err" && ok usage-range ||
	bad usage-range "$(cat "$T/u3.err")"
echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
