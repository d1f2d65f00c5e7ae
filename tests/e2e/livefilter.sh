#!/usr/bin/env bash
# livefilter.sh - the default live filter (src/livefilter.c) on a real
# interface: a veth pair in a network namespace of its own, chainsniff on one
# end with no -f, and on the other end frames replayed from committed
# captures: a QinQ session (the kernel strips the outer tag, the inner one
# stays in the packet), a single-tagged one, one the router fragmented
# (frag-router.pcap) and one in GTP-U, with 200 UDP/443 (QUIC-like) frames in
# between that the kernel must drop.  Needs root and `ip netns`; otherwise it
# says it was skipped.
#   tests/e2e/livefilter.sh BINARY
. "$(dirname "$0")/lib.sh" livefilter "$1"
# no IPv6 of the namespace's own: MLD reports carry a hop-by-hop header,
# which the filter passes on to the decoder
veth_netns
check() { jqt "$1" "$2" "$T/out.json"; } # name, jq filter that must print true
CAPS="pcaps/lab/quirk-qinq.pcap pcaps/lab/quirk-vlan.pcap pcaps/lab/frag-router.pcap pcaps/lab/tunnel-gtpu.pcap"
ip netns exec "$NS" "$BIN" -i vb --ca-file pcaps/lab/pki/trust.pem --format json -o "$T/out.json" \
	2>"$T/cs.err" &
CS=$!
sleep 1.5 # libpcap is activated and the filter set
# every frame of each capture, in order, then 50 UDP frames to port 443
ip netns exec "$NS" /usr/bin/python3 - va $CAPS <<'PY'
import socket, struct, sys, time
s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW)
s.bind((sys.argv[1], 0))
udp = (b"\x02" * 6 + b"\x04" * 6 + b"\x08\x00" +
       struct.pack("!BBHHHBBH4s4s", 0x45, 0, 1228, 1, 0x4000, 64, 17, 0,
                   bytes([192, 0, 2, 9]), bytes([198, 51, 100, 9])) +
       struct.pack("!HHHH", 50000, 443, 1208, 0) + bytes(1200))
for path in sys.argv[2:]:
    data = open(path, "rb").read()
    off = 24
    while off < len(data):
        incl = struct.unpack("<I", data[off + 8:off + 12])[0]
        s.send(data[off + 16:off + 16 + incl])
        off += 16 + incl
        time.sleep(0.002)
    for _ in range(50):
        s.send(udp)
    time.sleep(0.1)
PY
sleep 1
kill -TERM "$CS"
wait "$CS"
rc=$?
CS=""
if [ $rc -eq 0 ]; then echo "ok livefilter-exit-0"; pass=$((pass + 1)); else echo "FAIL livefilter-exit-0: exit $rc: $(cat "$T/cs.err")"; fail=$((fail + 1)); fi
frames=0
for c in $CAPS; do frames=$((frames + $(tcpdump -r "$c" 2>/dev/null | wc -l))); done
# the four sessions read whole: QinQ, 802.1Q, IP fragments, GTP-U
check handshakes '.totals.tls_handshakes == 4 and .totals.handshakes_with_chain == 4'
# quirk-qinq.pcap is the two.test session (TWO), the others one.test (ONE)
check chains '[.servers[].chains[].sha256] | sort == ["645f07b6dda506bf1d2c9e5565340421c9d12082aa79929fd7f7e34e9d076241", "645f07b6dda506bf1d2c9e5565340421c9d12082aa79929fd7f7e34e9d076241", "983d11a353aeb384ae46e93ecbc41597f90140eaa715d460b99c62f45f35da74"]'
check reassembled '.decode.ip_reassembled == 2 and .decode.tunneled > 0'
# the kernel let through every frame of the sessions and none of the UDP ones
check kernel-filter ".inputs[0].drops.received == $frames and .totals.packets == $frames and .decode.not_tcp == 0"
echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
