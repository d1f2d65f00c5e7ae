#!/usr/bin/env bash
# fanout.sh - the --workers fanout program (src/fanout.c) in the real kernel:
# in a network namespace of its own, a veth pair, N AF_PACKET sockets on one
# end joined to one PACKET_FANOUT_CBPF group with the program (as
# fanout_join sets them), and frames sent one at a time from
# the other end: each must reach exactly the socket the program run in user
# space on the sent frame names (fanout_worker_of).  Received frames (skb->data
# at the network header, the first VLAN tag moved out by the kernel) and sent
# ones (the sockets on the sending end: PACKET_OUTGOING, data at the Ethernet
# header) are both checked.  The frames: 400 random address pairs, plain and
# behind 0 to 3 tags, in VXLAN, GRE, Geneve, GTP-U, IPIP/6in4 over IPv6, and
# IPv4 fragments; 400 in MPLS and PPPoE session frames behind 0 to 2 tags;
# then the lab tunnel captures and a real QinQ + PPPoE one.  Needs root, `ip netns` and
# cc; otherwise it says it was skipped.  Not timed: a frame not seen after
# 0.2 s counts as lost.
#   tests/e2e/fanout.sh BINARY
. "$(dirname "$0")/lib.sh" fanout "$1"
veth_netns # MTU 16000: Geneve frames of 14 KB
# the program as the binary's sources build it (src/fanout.c alone: any
# build of the binary, sanitized or not)
cc -std=c11 -D_GNU_SOURCE -Iinclude -o "$T/fanoutcheck" tests/e2e/fanoutcheck.c src/fanout.c -lpcap ||
	{ echo "FAIL fanout-build"; echo "0 passed, 1 failed"; exit 1; }

# 400 frames of random pairs, every encapsulation the program parses
/usr/bin/python3 - "$T/synth.pcap" "$T/shims.pcap" <<'PY'
import random, struct, sys
random.seed(13)
def ip4(src, dst, proto, payload, frag=0x4000):
    return struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(payload), 1, frag, 64, proto, 0,
                       src, dst) + payload
def ip6(src, dst, nh, payload):
    return struct.pack("!IHBB16s16s", 0x60000000, len(payload), nh, 64, src, dst) + payload
def tcp():
    return struct.pack("!HHIIHHHH", 40000, 443, 1, 0, 0x5010, 65535, 0, 0) + b"hello"
def rnd(n):
    return bytes(random.getrandbits(8) for _ in range(n))
MACS = bytes.fromhex("020000000002020000000001")
o1, o2 = bytes([10, 9, 0, 1]), bytes([10, 9, 0, 2])
frames = []
for i in range(400):
    if random.random() < 0.3:
        et, ip = 0x86dd, ip6(b"\x20\x01" + rnd(14), b"\x20\x01" + rnd(14), 6, tcp())
    else:
        et, ip = 0x0800, ip4(rnd(4), rnd(4), 6, tcp())
    inner = MACS + struct.pack("!H", et) + ip
    kind = i % 8
    if kind == 0:
        oet, body = et, ip
    elif kind == 1:  # VXLAN, the source port a VTEP's hash
        oet, body = 0x0800, ip4(o1, o2, 17, struct.pack("!HHHH", random.randrange(49152, 65535),
                                4789, 16 + len(inner), 0) + struct.pack("!II", 0x08000000, 0x1200) + inner)
    elif kind == 2:  # GRE with a key
        oet, body = 0x0800, ip4(o1, o2, 47, struct.pack("!HHI", 0x2000, et, 7) + ip)
    elif kind == 3:  # Geneve, one option word, Ethernet inside
        oet, body = 0x0800, ip4(o1, o2, 17, struct.pack("!HHHH", 50000, 6081, 20 + len(inner), 0) +
                                struct.pack("!BBHII", 1, 0, 0x6558, 0x1200, 0x01020304) + inner)
    elif kind == 4:  # GTP-U G-PDU
        oet, body = 0x0800, ip4(o1, o2, 17, struct.pack("!HHHH", 2152, 2152, 16 + len(ip), 0) +
                                struct.pack("!BBHI", 0x30, 0xff, len(ip), 0x1000) + ip)
    elif kind == 5:  # IPIP / 6in4 in IPv6
        oet, body = 0x86dd, ip6(b"\x20\x01\x0d\xb8" + bytes(11) + b"\x01",
                                b"\x20\x01\x0d\xb8" + bytes(11) + b"\x02", 4 if et == 0x0800 else 41, ip)
    elif kind == 6:  # a first IPv4 fragment (MF) carrying GRE
        oet, body = 0x0800, ip4(rnd(4), rnd(4), 47, struct.pack("!HH", 0, et) + ip, frag=0x2000)
    else:  # a later IPv4 fragment
        oet, body = 0x0800, ip4(rnd(4), rnd(4), 6, rnd(64), frag=0x0010)
    tags = random.choice([[], [0x8100], [0x88a8, 0x8100], [0x8100, 0x8100, 0x8100]])
    frames.append(MACS + b"".join(struct.pack("!HH", t, 100) for t in tags) +
                  struct.pack("!H", oet) + body)
def write(path, frames):
    with open(path, "wb") as f:
        f.write(struct.pack("<IHHiIII", 0xa1b2c3d4, 2, 4, 0, 0, 65535, 1))
        for b in frames:
            f.write(struct.pack("<IIII", 0, 0, len(b), len(b)) + b)
write(sys.argv[1], frames)

# 400 more in the broadband and provider shims (MPLS labels up to the
# decoder's 8 and over, PPPoE session frames with a two- or one-byte PPP
# protocol field, PPP-carried MPLS, MPLS over GRE, and what the program
# leaves to worker 0: a pseudowire control word, LCP, PPPoE discovery)
def labels(n):
    return b"".join(struct.pack("!I", random.getrandbits(20) << 12 | (0x100 if k == n - 1 else 0) | 64)
                    for k in range(n))
def pppoe(proto, body, compressed=False):
    field = struct.pack("!B", proto) if compressed else struct.pack("!H", proto)
    return struct.pack("!BBHH", 0x11, 0, random.getrandbits(16), len(field) + len(body)) + field + body
frames = []
for i in range(400):
    v4 = random.random() >= 0.3
    ip = ip4(rnd(4), rnd(4), 6, tcp()) if v4 else ip6(b"\x20\x01" + rnd(14), b"\x20\x01" + rnd(14), 6, tcp())
    kind = i % 10
    if kind == 0:
        oet, body = 0x8847, labels(1) + ip
    elif kind == 1:
        oet, body = 0x8847, labels(random.randint(2, 8)) + ip
    elif kind == 2:
        oet, body = 0x8848, labels(2) + ip
    elif kind == 3:
        oet, body = 0x8864, pppoe(0x0021 if v4 else 0x0057, ip)
    elif kind == 4:
        oet, body = 0x8864, pppoe(0x21 if v4 else 0x57, ip, compressed=True)
    elif kind == 5:
        oet, body = 0x8864, pppoe(0x0281, labels(2) + ip)
    elif kind == 6:  # MPLS over GRE
        oet, body = 0x0800, ip4(o1, o2, 47, struct.pack("!HH", 0, 0x8847) + labels(3) + ip)
    elif kind == 7:  # over the cap: 9 labels
        oet, body = 0x8847, labels(9) + ip
    elif kind == 8:  # a control word, then Ethernet
        oet, body = 0x8847, labels(2) + bytes(4) + MACS + struct.pack("!H", 0x0800 if v4 else 0x86dd) + ip
    else:  # LCP, or a discovery frame
        oet, body = random.choice([(0x8864, pppoe(0xc021, rnd(20))), (0x8863, pppoe(0x0021, ip))])
    tags = random.choice([[], [0x8100], [0x88a8, 0x8100]])
    frames.append(MACS + b"".join(struct.pack("!HH", t, 100) for t in tags) +
                  struct.pack("!H", oet) + body)
write(sys.argv[2], frames)
PY

# check N DEV PEER CAPTURE: frames sent on PEER, the group on DEV
check() {
	local name="fanout-$1-workers-$2-$(basename "$4" .pcap)" out
	"$T/fanoutcheck" prog "$1" >"$T/prog" && "$T/fanoutcheck" workers "$1" "$4" >"$T/want" ||
		{ echo "FAIL $name: fanoutcheck"; fail=$((fail + 1)); return; }
	out=$(ip netns exec "$NS" /usr/bin/python3 - "$1" "$2" "$3" "$4" "$T/prog" "$T/want" <<'PY'
import ctypes, select, socket, struct, sys
n, dev, peer, path, progf, wantf = int(sys.argv[1]), *sys.argv[2:]
SOL_PACKET, PACKET_FANOUT, PACKET_FANOUT_DATA = 263, 18, 22
CBPF = 6
prog = [tuple(map(int, l.split())) for l in open(progf) if l.strip()]
want = [int(x) for x in open(wantf).read().split()]
code = ctypes.create_string_buffer(b"".join(struct.pack("HBBI", *i) for i in prog))
fprog = struct.pack("HxxxxxxQ", len(prog), ctypes.addressof(code))
socks = []
for _ in range(n):  # joined in order: socket k is member k
    s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(3))
    s.bind((dev, 0))
    s.setsockopt(SOL_PACKET, PACKET_FANOUT, struct.pack("I", 4242 | CBPF << 16))
    s.setsockopt(SOL_PACKET, PACKET_FANOUT_DATA, fprog)
    s.setblocking(False)
    socks.append(s)
tx = socket.socket(socket.AF_PACKET, socket.SOCK_RAW)
tx.bind((peer, 0))
data, off, frames = open(path, "rb").read(), 24, []
while off < len(data):
    incl = struct.unpack("<I", data[off + 8:off + 12])[0]
    frames.append(data[off + 16:off + 16 + incl])
    off += 16 + incl
agree = differ = lost = 0
for i, fr in enumerate(frames):
    tx.send(fr)
    select.select(socks, [], [], 0.2)
    got = []
    for k, s in enumerate(socks):
        while True:
            try:
                s.recv(65535)
                got.append(k)
            except BlockingIOError:
                break
    # an IPv4 fragment's offset/MF word, behind its tags
    at = 12
    while fr[at:at + 2] in (b"\x81\x00", b"\x88\xa8", b"\x91\x00"):
        at += 4
    frag = fr[at:at + 2] == b"\x08\x00" and struct.unpack("!H", fr[at + 8:at + 10])[0] & 0x3fff
    if got == [want[i]]:
        agree += 1
    elif not got:
        lost += 1
        print("frame %d: not seen" % (i + 1))
    else:
        differ += 1
        print("frame %d: sockets %s, the program in user space: %d" % (i + 1, got, want[i]))
print("%d frames: %d to the expected worker, %d differ, %d not seen"
      % (len(frames), agree, differ, lost))
sys.exit(1 if differ or lost or agree == 0 else 0)
PY
)
	if [ $? -eq 0 ]; then
		echo "ok $name (${out##*$'\n'})"; pass=$((pass + 1))
	else
		echo "FAIL $name"; echo "$out" | sed 's/^/    /' | tail -8; fail=$((fail + 1))
	fi
}
# the shims are parsed, not left to worker 0: the seven parsed kinds
# (frame i, i % 10 < 7) reach every worker, the three others worker 0
for n in 2 7; do
	"$T/fanoutcheck" workers "$n" "$T/shims.pcap" | awk -v n="$n" '
		{ k = (NR - 1) % 10; if (k >= 7) { if ($1 != 0) bad++ } else used[$1] = 1 }
		END { for (w = 0; w < n; w++) if (!(w in used)) bad++; exit bad > 0 }' &&
		ok "$n-workers-shims-spread" || bad "$n-workers-shims-spread" "$(
			"$T/fanoutcheck" workers "$n" "$T/shims.pcap" | sort | uniq -c | tr '\n' ' ')"
done
# received on vb (the kernel's view without the first tag), then sent on va
for n in 2 3 7; do check "$n" vb va "$T/synth.pcap"; done
check 3 va va "$T/synth.pcap"
for n in 2 7; do check "$n" vb va "$T/shims.pcap"; done
check 7 va va "$T/shims.pcap"
for f in pcaps/lab/tunnel-vxlan.pcap pcaps/lab/tunnel-gtpu.pcap pcaps/lab/quirk-qinq.pcap \
	pcaps/real/zeek__tunnels__geneve-47101.pcap pcaps/lab/frag-router.pcap \
	pcaps/real/zeek__pppoe-over-qinq.pcap; do
	check 3 vb va "$f"
done
echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
