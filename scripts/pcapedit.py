#!/usr/bin/python3
"""pcapedit.py - rewrite a lab capture into a quirky one (used by quirks.sh).

Python 3 standard library only (no scapy).  Reads a classic pcap (micro- or
nanosecond; link types EN10MB, LINUX_SLL, LINUX_SLL2, NULL, RAW) holding ONE
TCP connection, rewrites it, and writes a classic pcap of the same precision.

    pcapedit.py OP IN OUT

OP is one of:
  shuffle    the server's first flight cut into 8 segments, sent in a fixed
             shuffled order (sequence numbers untouched)
  retrans    the server's first flight cut into 300-byte segments, plus an
             exact duplicate, an overlapping copy with DIFFERENT bytes (16
             bytes inside the leaf certificate, already delivered by the first
             copy, which must win) and an overlapping copy with the same bytes
  seg40      the server's first flight cut into 40-byte segments
  vlan       every frame as Ethernet with an 802.1Q tag (VID 100)
  qinq       every frame as Ethernet with 802.1ad VID 200 + 802.1Q VID 100
  midstream  drops every frame up to and including the ClientHello
  gap        the server's first flight cut into 300-byte segments, one segment
             that lies inside the Certificate message dropped
  truncate   the server's first flight cut into 300-byte segments, then the
             file cut in the middle of the packet record of the third one
             (inside the Certificate message, after the ServerHello)
  snaplen    every frame cut to 1000 bytes (original length kept), as with
             tcpdump -s 1000: the ClientHello is whole, the flight is not
  seqwrap    the server's sequence numbers (and the client's ACKs) shifted so
             that they wrap past 2^32 inside the Certificate message
  sigflip    one byte in the middle of the leaf certificate's signature (the
             BIT STRING that ends the DER) inverted, in place: lengths, records
             and segments unchanged, the certificate still parses, its
             signature no longer verifies (bad_signature)

and one operation on captures holding several TCP connections (IPv4):

    pcapedit.py clients IN OUT IP:PORT...

  clients    each TCP connection of IN, in the order of their SYNs, gets the
             client address and port given for it (one IP:PORT per
             connection, in both directions; the server side is untouched),
             so that sessions recorded from 127.0.0.1 come from distinct
             clients; frames and times are kept

"The server's first flight" is the server payload from its first data segment
up to the client's next data segment.  Rewritten packets get correct IPv4 and
TCP checksums (the loopback originals carry offloaded, wrong TCP checksums).
What was done (frames, relative sequence numbers) is printed on stdout; quirks.sh
keeps it in pcaps/lab/quirks.log.
"""

import hashlib
import struct
import sys

LINK_NULL, LINK_EN10MB, LINK_RAW, LINK_SLL, LINK_SLL2 = 0, 1, 101, 113, 276
MAGIC_US, MAGIC_NS = 0xA1B2C3D4, 0xA1B23C4D


def die(msg):
    sys.exit("pcapedit: " + msg)


# ---------------------------------------------------------------- pcap I/O
class Pcap:
    def __init__(self, path):
        with open(path, "rb") as f:
            data = f.read()
        magic = struct.unpack("<I", data[:4])[0]
        if magic in (MAGIC_US, MAGIC_NS):
            self.e = "<"
        else:
            magic = struct.unpack(">I", data[:4])[0]
            if magic not in (MAGIC_US, MAGIC_NS):
                die(path + ": not a classic pcap file")
            self.e = ">"
        self.magic = magic
        self.header = data[:24]
        self.snaplen, self.linktype = struct.unpack(self.e + "II", data[16:24])
        self.records = []      # (ts_sec, ts_frac, orig_len, frame bytes, file offset)
        off = 24
        while off < len(data):
            sec, frac, incl, orig = struct.unpack(self.e + "IIII", data[off:off + 16])
            self.records.append((sec, frac, orig, data[off + 16:off + 16 + incl], off))
            off += 16 + incl
        self.data = data

    def frac_per_us(self):
        return 1000 if self.magic == MAGIC_NS else 1


def write_pcap(path, src, linktype, frames, snaplen=None):
    """frames: list of (sec, frac, frame bytes); a frame longer than snaplen is
    cut to it with its original length kept in the record header."""
    with open(path, "wb") as f:
        f.write(struct.pack("<IHHiIII", src.magic, 2, 4, 0, 0, snaplen or max(src.snaplen, 262144),
                            linktype))
        for sec, frac, b in frames:
            incl = min(len(b), snaplen) if snaplen else len(b)
            f.write(struct.pack("<IIII", sec, frac, incl, len(b)))
            f.write(b[:incl])


# ---------------------------------------------------------------- packets
def csum(data):
    if len(data) % 2:
        data += b"\0"
    s = sum(struct.unpack("!%dH" % (len(data) // 2), data))
    while s >> 16:
        s = (s & 0xFFFF) + (s >> 16)
    return ~s & 0xFFFF


class Pkt:
    """One frame split into link header, IP header, TCP header and payload."""

    def __init__(self, linktype, frame, sec, frac):
        self.sec, self.frac = sec, frac
        if linktype == LINK_EN10MB:
            off, et = 12, None
            while True:
                et = struct.unpack("!H", frame[off:off + 2])[0]
                if et in (0x8100, 0x88A8):
                    off += 4
                    continue
                break
            ipoff = off + 2
        elif linktype == LINK_SLL:
            et, ipoff = struct.unpack("!H", frame[14:16])[0], 16
        elif linktype == LINK_SLL2:
            et, ipoff = struct.unpack("!H", frame[0:2])[0], 20
        elif linktype == LINK_NULL:
            fam = struct.unpack("<I", frame[:4])[0]
            if fam > 0xFFFF:
                fam = struct.unpack(">I", frame[:4])[0]
            et, ipoff = (0x0800 if fam == 2 else 0x86DD), 4
        elif linktype == LINK_RAW:
            et, ipoff = (0x0800 if frame[0] >> 4 == 4 else 0x86DD), 0
        else:
            die("link type %d not supported" % linktype)
        self.link = frame[:ipoff]
        self.ethertype = et
        ip = frame[ipoff:]
        if et == 0x0800:
            ihl = (ip[0] & 15) * 4
            total = struct.unpack("!H", ip[2:4])[0]
            self.ip, rest = bytearray(ip[:ihl]), ip[ihl:total]
            if ip[9] != 6:
                die("not TCP")
            self.src, self.dst = bytes(ip[12:16]), bytes(ip[16:20])
        elif et == 0x86DD:
            plen = struct.unpack("!H", ip[4:6])[0]
            self.ip, rest = bytearray(ip[:40]), ip[40:40 + plen]
            if ip[6] != 6:
                die("not TCP (or IPv6 extension headers)")
            self.src, self.dst = bytes(ip[8:24]), bytes(ip[24:40])
        else:
            die("ethertype %#x not supported" % et)
        doff = (rest[12] >> 4) * 4
        self.tcp, self.payload = bytearray(rest[:doff]), bytes(rest[doff:])
        self.sport, self.dport, self.seq, self.ack = struct.unpack("!HHII", self.tcp[:12])
        self.flags = self.tcp[13]

    def copy(self, payload=None, seq=None):
        p = object.__new__(Pkt)
        p.__dict__.update(self.__dict__)
        p.ip, p.tcp = bytearray(self.ip), bytearray(self.tcp)
        if payload is not None:
            p.payload = payload
        if seq is not None:
            p.seq = seq
        return p

    def key(self):
        return (self.src, self.sport)

    def build(self, link=None):
        tcp = bytearray(self.tcp)
        struct.pack_into("!II", tcp, 4, self.seq & 0xFFFFFFFF, self.ack & 0xFFFFFFFF)
        tcp[16:18] = b"\0\0"
        seglen = len(tcp) + len(self.payload)
        ip = bytearray(self.ip)
        if self.ethertype == 0x0800:
            struct.pack_into("!H", ip, 2, len(ip) + seglen)
            ip[10:12] = b"\0\0"
            struct.pack_into("!H", ip, 10, csum(bytes(ip)))
            pseudo = self.src + self.dst + struct.pack("!BBH", 0, 6, seglen)
        else:
            struct.pack_into("!H", ip, 4, seglen)
            pseudo = self.src + self.dst + struct.pack("!IxxxB", seglen, 6)
        struct.pack_into("!H", tcp, 16, csum(pseudo + bytes(tcp) + self.payload))
        return (self.link if link is None else link) + bytes(ip) + bytes(tcp) + self.payload


# ---------------------------------------------------------------- the flow
class Flow:
    def __init__(self, path):
        self.pcap = Pcap(path)
        self.pkts = [Pkt(self.pcap.linktype, r[3], r[0], r[1]) for r in self.pcap.records]
        ends = {(p.key(), (p.dst, p.dport)) for p in self.pkts}
        if len({frozenset(e) for e in ends}) != 1:
            die(path + ": expected exactly one TCP connection")
        synack = [p for p in self.pkts if p.flags & 0x12 == 0x12]
        if not synack:
            die(path + ": no SYN-ACK")
        self.server = synack[0].key()
        self.isn = synack[0].seq
        # first flight: server data from its first data segment to the next client data
        first = next(i for i, p in enumerate(self.pkts) if p.key() == self.server and p.payload)
        self.flight_idx = []
        for i in range(first, len(self.pkts)):
            p = self.pkts[i]
            if p.key() != self.server and p.payload:
                break
            if p.key() == self.server and p.payload:
                self.flight_idx.append(i)
        base = self.pkts[first].seq
        flight = b""
        for i in self.flight_idx:
            p = self.pkts[i]
            if p.seq != base + len(flight):
                die(path + ": server flight not contiguous")
            flight += p.payload
        self.flight, self.flight_seq = flight, base
        self.rel0 = (base - self.isn - 1) & 0xFFFFFFFF  # stream offset of the flight
        self.find_certificate()

    def find_certificate(self):
        """Locate the Certificate message and the leaf DER in the flight.

        Handshake bytes are the payloads of handshake records (type 22); the map
        keeps the flight offset of every handshake byte, so messages spanning
        records are handled."""
        hs, where, off, fl = b"", [], 0, self.flight
        while off + 5 <= len(fl):
            ctype, _, rlen = struct.unpack("!BHH", fl[off:off + 5])
            if ctype == 22:
                hs += fl[off + 5:off + 5 + rlen]
                where += range(off + 5, off + 5 + rlen)
            off += 5 + rlen
        m = 0
        while m + 4 <= len(hs):
            mtype = hs[m]
            mlen = int.from_bytes(hs[m + 1:m + 4], "big")
            if mtype == 11:
                self.hs, self.hs_where, self.cert_hs = hs, where, m
                self.cert = (where[m], where[m + 4 + mlen - 1] + 1)
                leaf_len = int.from_bytes(hs[m + 7:m + 10], "big")
                self.leaf = (where[m + 10], where[m + 10 + leaf_len - 1] + 1)
                return
            m += 4 + mlen
        die("no Certificate message in the server flight")

    def frames(self, pkts, link=None):
        return [(p.sec, p.frac, p.build(link)) for p in pkts]

    def cut(self, size):
        """The flight as segments of `size` bytes built on the first flight packet."""
        tmpl = self.pkts[self.flight_idx[0]]
        segs = []
        for off in range(0, len(self.flight), size):
            segs.append(self.piece(off, off + size, tmpl))
        return segs

    def piece(self, start, end, tmpl=None, data=None):
        tmpl = tmpl or self.pkts[self.flight_idx[0]]
        end = min(end, len(self.flight))
        p = tmpl.copy(payload=data if data is not None else self.flight[start:end],
                      seq=self.flight_seq + start)
        p.tcp[13] = 0x18  # ACK|PSH
        return p

    def with_flight(self, segs):
        """Replace the flight packets with segs, their timestamps spread evenly
        from the first flight packet's to the next packet's (equal at worst)."""
        one = 1000000 * self.pcap.frac_per_us()
        t0 = self.pkts[self.flight_idx[0]]
        start = t0.sec * one + t0.frac
        later = [p for i, p in enumerate(self.pkts) if i > self.flight_idx[0]
                 and i not in self.flight_idx]
        span = (later[0].sec * one + later[0].frac - start) if later else len(segs)
        out = []
        for i, p in enumerate(self.pkts):
            if i == self.flight_idx[0]:
                for k, s in enumerate(segs):
                    t = start + k * span // len(segs)
                    s.sec, s.frac = t // one, t % one
                    out.append(s)
            elif i not in self.flight_idx:
                out.append(p)
        return out

    def rel(self, flight_off):
        """tshark's relative sequence number of a flight byte (first byte = 1)."""
        return self.rel0 + flight_off + 1

    def describe(self):
        print("  server flight: rel. seq [%d,%d) (%d bytes, %d segment(s) in the original)"
              % (self.rel(0), self.rel(len(self.flight)), len(self.flight), len(self.flight_idx)))
        print("  Certificate message: rel. seq [%d,%d); leaf DER [%d,%d)"
              % (self.rel(self.cert[0]), self.rel(self.cert[1]),
                 self.rel(self.leaf[0]), self.rel(self.leaf[1])))


def check_times(frames):
    t = [(s, f) for s, f, _ in frames]
    if t != sorted(t):
        die("timestamps went backwards")


# ---------------------------------------------------------------- operations
def op_shuffle(fl, out):
    segs = fl.cut(-(-len(fl.flight) // 8))
    order = [5, 2, 7, 0, 3, 6, 1, 4][:len(segs)]
    if sorted(order) != list(range(len(segs))):
        die("flight too short to shuffle")
    fl.describe()
    print("  flight cut into %d segments of %d bytes, sent in the order %s"
          % (len(segs), len(segs[0].payload), order))
    return fl.frames(fl.with_flight([segs[i] for i in order]))


def op_retrans(fl, out):
    size = 300
    segs = fl.cut(size)
    if len(segs) < 5:
        die("flight too short")
    # differing bytes: 16 bytes of p1's second half, inside the leaf DER
    d0, d1 = size + size // 2 + 40, size + size // 2 + 56
    if not (fl.leaf[0] <= d0 and d1 <= fl.leaf[1]):
        die("the differing bytes are not inside the leaf certificate")
    bad = bytearray(fl.flight[size + size // 2:2 * size + size // 2])
    for i in range(d0 - (size + size // 2), d1 - (size + size // 2)):
        bad[i] ^= 0xFF
    dup = fl.piece(size, 2 * size)
    ovl_diff = fl.piece(size + size // 2, 2 * size + size // 2, data=bytes(bad))
    ovl_same = fl.piece(2 * size, 4 * size)
    seq = [segs[0], segs[1], dup, ovl_diff, segs[2], segs[3], ovl_same] + segs[4:]
    fl.describe()
    print("  flight cut into %d segments of %d bytes; after segment 1 [%d,%d) come an exact"
          " duplicate of it, then [%d,%d) with bytes [%d,%d) inverted (inside the leaf"
          " DER; the first copy wins), and after segment 3 a same-bytes copy of [%d,%d)"
          % (len(segs), size, fl.rel(size), fl.rel(2 * size), fl.rel(size + size // 2),
             fl.rel(2 * size + size // 2), fl.rel(d0), fl.rel(d1), fl.rel(2 * size),
             fl.rel(4 * size)))
    frames = fl.frames(fl.with_flight(seq))
    first = fl.flight_idx[0] + 1
    print("  frames: originals %d,%d; duplicate %d; differing overlap %d; same overlap %d"
          % (first, first + 1, first + 2, first + 3, first + 6))
    return frames


def op_seg40(fl, out):
    segs = fl.cut(40)
    fl.describe()
    print("  flight cut into %d segments of 40 bytes (the last %d)"
          % (len(segs), len(segs[-1].payload)))
    return fl.frames(fl.with_flight(segs))


def ethernet(fl, tags):
    """Every frame as Ethernet II; MACs 02:00:00:00:00:01 client, :02 server."""
    frames = []
    for p in fl.pkts:
        if fl.pcap.linktype == LINK_EN10MB and p.link[:12] != b"\0" * 12:
            macs = p.link[:12]
        else:
            cli, srv = bytes.fromhex("020000000001"), bytes.fromhex("020000000002")
            macs = (cli + srv) if p.key() != fl.server else (srv + cli)
        hdr = macs
        for tpid, vid in tags:
            hdr += struct.pack("!HH", tpid, vid)
        hdr += struct.pack("!H", p.ethertype)
        frames.append((p.sec, p.frac, p.build(hdr)))
    print("  %d frames rewritten as Ethernet%s" % (len(frames), "".join(
        ", tag %#06x VID %d" % t for t in tags)))
    return frames


def op_vlan(fl, out):
    return ethernet(fl, [(0x8100, 100)])


def op_qinq(fl, out):
    return ethernet(fl, [(0x88A8, 200), (0x8100, 100)])


def op_midstream(fl, out):
    ch = next(i for i, p in enumerate(fl.pkts) if p.key() != fl.server and p.payload)
    print("  dropped frames 1-%d (SYN, SYN-ACK, ACK, ClientHello)" % (ch + 1))
    return fl.frames(fl.pkts[ch + 1:])


def op_gap(fl, out):
    size = 300
    segs = fl.cut(size)
    k = next(k for k in range(len(segs))
             if fl.cert[0] < k * size and (k + 1) * size < fl.cert[1])
    fl.describe()
    print("  flight cut into %d segments of %d bytes; segment %d (counting from 0), rel. seq"
          " [%d,%d), inside the Certificate message, dropped"
          % (len(segs), size, k, fl.rel(k * size), fl.rel((k + 1) * size)))
    return fl.frames(fl.with_flight(segs[:k] + segs[k + 1:]))


def op_truncate(fl, out):
    # cut the flight first, so the ServerHello and the start of the Certificate
    # message are whole frames before the cut: the reason is capture_ended
    size = 300
    segs = fl.cut(size)
    k = 2
    if not fl.cert[0] < k * size < (k + 1) * size < fl.cert[1]:
        die("segment %d is not inside the Certificate message" % k)
    frames = fl.frames(fl.with_flight(segs))
    write_pcap(out, fl.pcap, fl.pcap.linktype, frames)
    with open(out, "rb") as f:
        data = f.read()
    off, n = 24, fl.flight_idx[0] + k
    for _ in range(n):
        off += 16 + struct.unpack("<I", data[off + 8:off + 12])[0]
    incl = struct.unpack("<I", data[off + 8:off + 12])[0]
    cut = off + 16 + incl // 2
    fl.describe()
    print("  flight cut into %d segments of %d bytes, then the file cut at byte %d of %d:"
          " in the middle of record %d (segment %d, rel. seq [%d,%d), inside the Certificate"
          " message); %d whole frames before it" % (len(segs), size, cut, len(data), n + 1, k,
                                                    fl.rel(k * size), fl.rel((k + 1) * size), n))
    with open(out, "wb") as f:
        f.write(data[:cut])
    return None


def op_snaplen(fl, out):
    snap = 1000
    frames = fl.frames(fl.pkts)
    fl.describe()
    cut = [i + 1 for i, (_, _, b) in enumerate(frames) if len(b) > snap]
    print("  frames cut to %d bytes (snaplen %d; original lengths kept): %s"
          % (snap, snap, ",".join(map(str, cut))))
    write_pcap(out, fl.pcap, fl.pcap.linktype, frames, snaplen=snap)
    return None


def op_seqwrap(fl, out):
    # the flight byte at 60% of the Certificate message gets sequence number 0
    target = fl.cert[0] + (fl.cert[1] - fl.cert[0]) * 6 // 10
    delta = (-(fl.flight_seq + target)) & 0xFFFFFFFF
    for p in fl.pkts:
        if p.key() == fl.server:
            p.seq = (p.seq + delta) & 0xFFFFFFFF
        elif p.flags & 0x10:
            p.ack = (p.ack + delta) & 0xFFFFFFFF
        sack_shift(p, delta if p.key() != fl.server else 0)
    fl.describe()
    print("  server ISN %#010x -> %#010x: sequence numbers wrap to 0 at stream byte %d"
          " (inside the Certificate message; rel. seq %d)"
          % (fl.isn, (fl.isn + delta) & 0xFFFFFFFF, fl.rel(target) - 1, fl.rel(target)))
    return fl.frames(fl.pkts)


def der_tlv(b, off):
    """(tag, content offset, content end) of the DER element at off."""
    tag, n = b[off], b[off + 1]
    if n < 0x80:
        return tag, off + 2, off + 2 + n
    k = n & 0x7F
    return tag, off + 2 + k, off + 2 + k + int.from_bytes(b[off + 2:off + 2 + k], "big")


def op_sigflip(fl, out):
    # the certificates of the Certificate message, as handshake offsets
    m = fl.cert_hs
    certs, c = [], m + 7
    while c < m + 4 + int.from_bytes(fl.hs[m + 1:m + 4], "big"):
        n = int.from_bytes(fl.hs[c:c + 3], "big")
        certs.append((c + 3, c + 3 + n))
        c += 3 + n
    leaf = fl.hs[certs[0][0]:certs[0][1]]
    # Certificate ::= SEQUENCE { tbsCertificate, signatureAlgorithm, signatureValue BIT STRING }
    tag, body, end = der_tlv(leaf, 0)
    _, _, tbs_end = der_tlv(leaf, body)
    _, _, alg_end = der_tlv(leaf, tbs_end)
    tag, bits, bits_end = der_tlv(leaf, alg_end)
    if tag != 0x03 or bits_end != len(leaf) or leaf[bits] != 0:
        die("the leaf does not end with a signature BIT STRING")
    k = bits + 1 + (bits_end - bits - 1) // 2        # middle byte of the signature
    flight_off = fl.hs_where[certs[0][0] + k]
    for i in fl.flight_idx:
        p = fl.pkts[i]
        o = flight_off - (p.seq - fl.flight_seq)
        if 0 <= o < len(p.payload):
            old = p.payload[o]
            p.payload = p.payload[:o] + bytes([old ^ 0xFF]) + p.payload[o + 1:]
            break
    else:
        die("the signature byte is in no packet")
    new_leaf = bytearray(leaf)
    new_leaf[k] ^= 0xFF
    ders = [bytes(new_leaf)] + [fl.hs[a:b] for a, b in certs[1:]]
    fl.describe()
    print("  leaf signature BIT STRING contents: rel. seq [%d,%d) (%d signature bytes after the"
          " unused-bits byte)" % (fl.rel(fl.hs_where[certs[0][0] + bits]),
                                  fl.rel(fl.hs_where[certs[0][0] + bits_end - 1]) + 1,
                                  bits_end - bits - 1))
    print("  byte at rel. seq %d (leaf DER offset %d, frame %d) %#04x -> %#04x"
          % (fl.rel(flight_off), k, i + 1, old, old ^ 0xFF))
    print("  leaf sha256 %s -> %s" % (hashlib.sha256(leaf).hexdigest(),
                                      hashlib.sha256(new_leaf).hexdigest()))
    print("  chain sha256 %s (%d certificates)" % (hashlib.sha256(b"".join(ders)).hexdigest(),
                                                   len(ders)))
    return fl.frames(fl.pkts)


def sack_shift(p, delta):
    """Shift SACK blocks (option 5) of client packets, which acknowledge server bytes."""
    o = 20
    while o < len(p.tcp):
        kind = p.tcp[o]
        if kind == 0:
            break
        if kind == 1:
            o += 1
            continue
        olen = p.tcp[o + 1]
        if kind == 5 and delta:
            for b in range(o + 2, o + olen, 4):
                v = struct.unpack("!I", p.tcp[b:b + 4])[0]
                struct.pack_into("!I", p.tcp, b, (v + delta) & 0xFFFFFFFF)
        o += max(olen, 2)


# ---------------------------------------------------------------- several connections
def connections(pcap):
    """The frames of a capture as TCP connections, in the order of their SYNs:
    (packets, [{"client": (ip, port), "server": (ip, port), "frames": [index...]}]).
    A connection starts with the client's SYN (a repeated SYN before any other
    packet is a retransmission); every frame must belong to one."""
    pkts = [Pkt(pcap.linktype, r[3], r[0], r[1]) for r in pcap.records]
    conns, current = [], {}
    for i, p in enumerate(pkts):
        if p.ethertype != 0x0800:
            die("frame %d: not IPv4" % (i + 1))
        ends = frozenset((p.key(), (p.dst, p.dport)))
        if p.flags & 0x12 == 0x02:  # SYN without ACK
            c = current.get(ends)
            if not (c is not None and all(pkts[k].flags & 0x12 == 0x02 for k in c["frames"])):
                current[ends] = c = {"client": p.key(), "server": (p.dst, p.dport), "frames": []}
                conns.append(c)
        if ends not in current:
            die("frame %d: no SYN opened its connection" % (i + 1))
        current[ends]["frames"].append(i)
    return pkts, conns


def endpoint(text):
    """'192.0.2.1:50001' -> (4 address bytes, port)."""
    try:
        addr, port = text.rsplit(":", 1)
        b = bytes(int(x) for x in addr.split("."))
        if len(b) != 4 or not 0 < int(port) < 65536:
            raise ValueError
        return b, int(port)
    except ValueError:
        die("bad client endpoint %r (want IPv4:PORT)" % text)


def show(ep):
    return "%s:%d" % (".".join(map(str, ep[0])), ep[1])


def op_clients(src, out, specs):
    pcap = Pcap(src)
    pkts, conns = connections(pcap)
    if len(specs) != len(conns):
        die("%s holds %d TCP connections, %d client endpoints given"
            % (src, len(conns), len(specs)))
    new = [endpoint(x) for x in specs]
    tuples = [(n, c["server"]) for n, c in zip(new, conns)]
    if len(set(tuples)) != len(tuples):
        die("two connections would get the same client endpoint and server")
    for k, (c, (ip, port)) in enumerate(zip(conns, new)):
        for i in c["frames"]:
            p = pkts[i]
            if p.key() == c["client"]:
                p.src, p.sport = ip, port
                p.ip[12:16] = ip
                struct.pack_into("!H", p.tcp, 0, port)
            else:
                p.dst, p.dport = ip, port
                p.ip[16:20] = ip
                struct.pack_into("!H", p.tcp, 2, port)
        print("  connection %d: frames %d-%d (%d), client %s -> %s, server %s"
              % (k + 1, c["frames"][0] + 1, c["frames"][-1] + 1, len(c["frames"]),
                 show(c["client"]), show((ip, port)), show(c["server"])))
    frames = [(p.sec, p.frac, p.build()) for p in pkts]
    check_times(frames)
    write_pcap(out, pcap, pcap.linktype, frames)


MULTI_OPS = {"clients": op_clients}

OPS = {"shuffle": op_shuffle, "retrans": op_retrans, "seg40": op_seg40, "vlan": op_vlan,
       "qinq": op_qinq, "midstream": op_midstream, "gap": op_gap, "truncate": op_truncate,
       "snaplen": op_snaplen, "seqwrap": op_seqwrap, "sigflip": op_sigflip}


def main():
    if len(sys.argv) >= 5 and sys.argv[1] in MULTI_OPS:
        op, src, out = sys.argv[1:4]
        print("%s: %s from %s" % (out, op, src))
        MULTI_OPS[op](src, out, sys.argv[4:])
        return
    if len(sys.argv) != 4 or sys.argv[1] not in OPS:
        sys.exit(__doc__)
    op, src, out = sys.argv[1:]
    fl = Flow(src)
    print("%s: %s from %s" % (out, op, src))
    frames = OPS[op](fl, out)
    if frames is None:
        return
    check_times(frames)
    link = LINK_EN10MB if op in ("vlan", "qinq") else fl.pcap.linktype
    write_pcap(out, fl.pcap, link, frames)


if __name__ == "__main__":
    main()
