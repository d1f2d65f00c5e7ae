#!/usr/bin/python3
"""pcapedit.py - rewrite a lab capture into a quirky one (used by quirks.sh
and linktypes.sh).

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

and the same session in the link types and encapsulations no real stack on
this machine produces (each frame's IP packet, checksums recomputed, behind
another header):

  ppp        DLT_PPP: HDLC-like framing ff 03, protocol 0x0021 / 0x0057
  chdlc      DLT_C_HDLC: Cisco HDLC 0f 00 + ethertype
  wlan       DLT_IEEE802_11_RADIO: a radiotap header (Flags: FCS at end),
             802.11 QoS data frames to/from the AP with LLC/SNAP and an FCS;
             a beacon first and one Protected (encrypted) data frame in the
             middle, which must be skipped and counted
  nflog      DLT_NFLOG: family, version 0, group 5, then little-endian TLVs
             packet header, prefix "chainsniff", payload (as an x86 host
             writes them)
  gtpu       Ethernet, an outer IPv4 10.200.0.1 <-> 10.200.0.2, UDP 2152 and a
             GTPv1-U G-PDU header (TEID per direction) around every packet
  vxlan      Ethernet, an outer IPv4 10.210.0.1 (the client's VTEP) <-> 10.210.0.2
             (the server's), UDP to port 4789, a VXLAN header (VNI 4660) and the
             whole Ethernet frame; each VTEP picks its UDP source port from a
             hash of the inner flow as it sends it (RFC 7348 5: entropy), so the
             two directions use different source ports
  frag4      Ethernet/IPv4 (DF cleared): the server's flight cut into segments
             of 1200 bytes, every server packet longer than 600 bytes split
             into IP fragments of 512 bytes, sent last first; the
             middle fragment of the first one sent again with other bytes
             before its first fragment (an overlap: the first copy must win)
  frag6      Ethernet/IPv6: the server's flight cut into segments of 800
             bytes, every server packet longer than 600 bytes split into
             fragments of 512 bytes behind a Fragment header, in order but
             the second datagram's fragments interleaved with the third's
  fakeder    the server's flight replaced by 37 bytes of noise and a
             Certificate message whose one entry is 4 bytes of fake DER
             (30 82 ff ff), no ServerHello; the capture ends there

and operations on captures holding several TCP connections (IPv4):

    pcapedit.py clients IN OUT IP:PORT...
    pcapedit.py retime IN OUT EPOCH

  clients    each TCP connection of IN, in the order of their SYNs, gets the
             client address and port given for it (one IP:PORT per
             connection, in both directions; the server side is untouched),
             so that sessions recorded from 127.0.0.1 come from distinct
             clients; frames and times are kept

  retime     every frame moved by the same amount of time, so that the first
             one is at EPOCH (seconds since 1970, decimals allowed); the gaps
             between frames are kept (any link type, any number of
             connections): copies of lab captures made minutes or hours apart

"The server's first flight" is the server payload from its first data segment
up to the client's next data segment.  Rewritten packets get correct IPv4 and
TCP checksums (the loopback originals carry offloaded, wrong TCP checksums).
What was done (frames, relative sequence numbers) is printed on stdout; quirks.sh
keeps it in pcaps/lab/quirks.log.
"""

import hashlib
import struct
import sys
import zlib

LINK_NULL, LINK_EN10MB, LINK_RAW, LINK_SLL, LINK_SLL2 = 0, 1, 101, 113, 276
LINK_PPP, LINK_C_HDLC, LINK_RADIOTAP, LINK_NFLOG = 9, 104, 127, 239
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


def op_retime(src, out, args):
    pcap = Pcap(src)
    if len(args) != 1 or not pcap.records:
        die("retime IN OUT EPOCH: one time, and a capture with frames")
    per_s = 1000000 * pcap.frac_per_us()
    try:
        start = round(float(args[0]) * per_s)
    except ValueError:
        die("retime: %r is not a time in seconds" % args[0])
    first = pcap.records[0][0] * per_s + pcap.records[0][1]
    frames = []
    for sec, frac, _, b, _ in pcap.records:
        t = sec * per_s + frac - first + start
        if t < 0 or t // per_s >= 2 ** 32:
            die("retime: a frame would fall outside the pcap time range")
        frames.append((t // per_s, t % per_s, b))
    print("  %d frames, first at %.6f" % (len(frames), start / per_s))
    write_pcap(out, pcap, pcap.linktype, frames)


# ---------------------------------------------------------------- link types, tunnels
def ip_packet(p):
    """The frame's IP packet (header, TCP, payload), checksums recomputed."""
    return p.build(b"")


def rewrapped(fl, name, hdr):
    frames = [(p.sec, p.frac, hdr(p, ip_packet(p))) for p in fl.pkts]
    print("  %d frames rewritten as %s" % (len(frames), name))
    return frames


def op_ppp(fl, out):
    return rewrapped(fl, "PPP (ff 03, protocol field)", lambda p, ip: b"\xff\x03" + (
        b"\x00\x21" if p.ethertype == 0x0800 else b"\x00\x57") + ip), LINK_PPP


def op_chdlc(fl, out):
    return rewrapped(fl, "Cisco HDLC (0f 00 + ethertype)",
                     lambda p, ip: b"\x0f\x00" + struct.pack("!H", p.ethertype) + ip), LINK_C_HDLC


WLAN_AP, WLAN_STA, WLAN_GW = (bytes.fromhex(x) for x in ("0200000000aa", "020000000001",
                                                         "020000000002"))


def radiotap(fcs):
    """version 0, length 14, present: Flags, Rate, Channel (2437 MHz, 2.4 GHz OFDM)."""
    return struct.pack("<BBHIBBHH", 0, 0, 14, 0x0000000E, 0x10 if fcs else 0, 108, 2437, 0x00C0)


def wlan_fcs(frame):
    return frame + struct.pack("<I", zlib.crc32(frame) & 0xFFFFFFFF)


def op_wlan(fl, out):
    frames, seq = [], 0
    first = fl.pkts[0]
    ssid = b"chainsniff-lab"
    beacon = (struct.pack("<HH", 0x0080, 0) + b"\xff" * 6 + WLAN_AP + WLAN_AP +
              struct.pack("<H", 0) + b"\0" * 8 + struct.pack("<HH", 100, 0x0401) +
              bytes([0, len(ssid)]) + ssid)
    frames.append((first.sec, first.frac, radiotap(True) + wlan_fcs(beacon)))
    for i, p in enumerate(fl.pkts):
        to_ap = p.key() != fl.server
        # QoS data; To DS from the station, From DS towards it
        addrs = (WLAN_AP + WLAN_STA + WLAN_GW) if to_ap else (WLAN_STA + WLAN_AP + WLAN_GW)
        hdr = struct.pack("<BBH", 0x88, 0x01 if to_ap else 0x02, 44) + addrs + \
            struct.pack("<HH", seq << 4, 0)
        seq = (seq + 1) & 0xFFF
        body = b"\xaa\xaa\x03\x00\x00\x00" + struct.pack("!H", p.ethertype) + ip_packet(p)
        frames.append((p.sec, p.frac, radiotap(True) + wlan_fcs(hdr + body)))
        if i == len(fl.pkts) // 2:  # a station of another, WPA2 network
            prot = struct.pack("<BBH", 0x88, 0x41, 44) + WLAN_AP + b"\x02\x00\x00\x00\x00\xbb" + \
                WLAN_GW + struct.pack("<HH", 7 << 4, 0)
            frames.append((p.sec, p.frac, radiotap(True) + wlan_fcs(
                prot + hashlib.sha256(b"ccmp").digest() * 3)))
    print("  %d frames: a beacon, %d 802.11 QoS data frames (radiotap, FCS) with LLC/SNAP,"
          " one Protected data frame after frame %d" % (len(frames), len(fl.pkts),
                                                         len(fl.pkts) // 2 + 2))
    return frames, LINK_RADIOTAP


def nflog_tlv(t, value):
    pad = b"\0" * (-len(value) % 4)
    return struct.pack("<HH", 4 + len(value), t) + value + pad


def op_nflog(fl, out):
    def hdr(p, ip):
        fam = 2 if p.ethertype == 0x0800 else 10
        return (struct.pack("!BBH", fam, 0, 5) +
                nflog_tlv(1, struct.pack("!HBB", p.ethertype, 3, 0)) +
                nflog_tlv(10, b"chainsniff\0") + nflog_tlv(9, ip))
    return rewrapped(fl, "NFLOG group 5 (little-endian TLVs)", hdr), LINK_NFLOG


def op_gtpu(fl, out):
    ident = [0]

    def hdr(p, ip):
        up = p.key() != fl.server
        src, dst = (bytes([10, 200, 0, 1]), bytes([10, 200, 0, 2]))
        if not up:
            src, dst = dst, src
        gtp = struct.pack("!BBHI", 0x30, 0xFF, len(ip), 0x1000 if up else 0x2000)
        udp = struct.pack("!HHHH", 2152, 2152, 8 + len(gtp) + len(ip), 0)
        ident[0] += 1
        outer = bytearray(struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(udp) + len(gtp) + len(ip),
                                      ident[0], 0x4000, 64, 17, 0, src, dst))
        struct.pack_into("!H", outer, 10, csum(bytes(outer)))
        macs = (bytes.fromhex("020000000001") + bytes.fromhex("020000000002")) if up else \
            (bytes.fromhex("020000000002") + bytes.fromhex("020000000001"))
        return macs + b"\x08\x00" + bytes(outer) + udp + gtp + ip
    return rewrapped(fl, "GTP-U over UDP 2152 over IPv4 over Ethernet", hdr), LINK_EN10MB


def op_vxlan(fl, out):
    ident = [0]
    vteps = {True: bytes([10, 210, 0, 1]), False: bytes([10, 210, 0, 2])}

    def hdr(p, ip):
        up = p.key() != fl.server
        # the sender's view of the inner flow: its own address and port first
        sport = 49152 + zlib.crc32(p.src + p.dst + struct.pack("!HH", p.sport, p.dport)) % 16384
        inner = eth_hdr(fl, p) + ip
        vx = struct.pack("!II", 0x08000000, 4660 << 8)
        udp = struct.pack("!HHHH", sport, 4789, 8 + len(vx) + len(inner), 0)
        ident[0] += 1
        outer = bytearray(struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(udp) + len(vx) + len(inner),
                                      ident[0], 0x4000, 64, 17, 0, vteps[up], vteps[not up]))
        struct.pack_into("!H", outer, 10, csum(bytes(outer)))
        vtep_macs = bytes.fromhex("0200000000a2") + bytes.fromhex("0200000000a1")  # dst, src
        macs = vtep_macs if up else vtep_macs[6:] + vtep_macs[:6]
        return macs + b"\x08\x00" + bytes(outer) + udp + vx + inner
    frames = rewrapped(fl, "VXLAN (VNI 4660) over UDP 4789 over IPv4 over Ethernet", hdr)
    for up in (True, False):
        p = next(q for q in fl.pkts if (q.key() != fl.server) == up)
        print("  %s VTEP %s: UDP source port %d" % (
            "client" if up else "server", ".".join(map(str, vteps[up])),
            49152 + zlib.crc32(p.src + p.dst + struct.pack("!HH", p.sport, p.dport)) % 16384))
    return frames, LINK_EN10MB


def eth_hdr(fl, p):
    cli, srv = bytes.fromhex("020000000001"), bytes.fromhex("020000000002")
    macs = (cli + srv) if p.key() != fl.server else (srv + cli)
    return macs + struct.pack("!H", p.ethertype)


def ipv4_fragments(ip, size, ident):
    """The IPv4 packet cut into fragments of size payload bytes (DF cleared)."""
    ihl = (ip[0] & 15) * 4
    hdr, data, out = bytearray(ip[:ihl]), ip[ihl:], []
    for off in range(0, len(data), size):
        piece = data[off:off + size]
        h = bytearray(hdr)
        more = off + size < len(data)
        struct.pack_into("!HHH", h, 2, ihl + len(piece), ident, (off // 8) | (0x2000 if more else 0))
        h[10:12] = b"\0\0"
        struct.pack_into("!H", h, 10, csum(bytes(h)))
        out.append(bytes(h) + piece)
    return out


def op_frag4(fl, out):
    frames, ident, overlapped = [], 0x4200, False
    fl.describe()
    print("  flight cut into segments of 1200 bytes first")
    for p in fl.with_flight(fl.cut(1200)):
        ip = ip_packet(p)
        if p.key() != fl.server or len(ip) <= 600:
            frames.append((p.sec, p.frac, eth_hdr(fl, p) + ip))
            continue
        ident += 1
        frags = ipv4_fragments(ip, 512, ident)
        sent = list(reversed(frags))
        if not overlapped and len(frags) >= 3:  # a second copy of the middle one, other bytes,
            mid = bytearray(frags[len(frags) // 2])  # before the datagram is complete
            for k in range(20 + 100, 20 + 116):
                mid[k] ^= 0x5A
            sent.insert(len(sent) - 1, bytes(mid))
            overlapped = True
        for f in sent:
            frames.append((p.sec, p.frac, eth_hdr(fl, p) + f))
        print("  packet at seq %#010x: %d bytes -> %d fragments (id %#06x), sent last first%s"
              % (p.seq, len(ip), len(frags), ident,
                 ", the middle one again with 16 other bytes" if len(sent) > len(frags) else ""))
    return frames, LINK_EN10MB


def op_frag6(fl, out):
    frames, ident, held = [], 0x6000000, None
    fl.describe()
    print("  flight cut into segments of 800 bytes first")
    for p in fl.with_flight(fl.cut(800)):
        ip = ip_packet(p)
        if p.ethertype != 0x86DD:
            die("frag6 needs an IPv6 capture")
        if p.key() != fl.server or len(ip) <= 600:
            frames.append((p.sec, p.frac, eth_hdr(fl, p) + ip))
            continue
        ident += 1
        hdr, data = bytearray(ip[:40]), ip[40:]
        frags = []
        for off in range(0, len(data), 512):
            piece = data[off:off + 512]
            more = off + 512 < len(data)
            h = bytearray(hdr)
            h[6] = 44
            struct.pack_into("!H", h, 4, 8 + len(piece))
            fh = struct.pack("!BBHI", hdr[6], 0, off | (1 if more else 0), ident)
            frags.append((p.sec, p.frac, eth_hdr(fl, p) + bytes(h) + fh + piece))
        print("  packet at seq %#010x: %d bytes -> %d fragments (id %#x)"
              % (p.seq, len(ip), len(frags), ident))
        if ident == 0x6000002:  # hold the second datagram, interleave with the third
            held = frags
            continue
        if held:
            mixed = [f for pair in zip(held, frags) for f in pair]
            mixed += held[len(frags):] + frags[len(held):]
            frames += [(p.sec, p.frac, f) for _, _, f in mixed]
            held = None
            print("  the fragments of ids %#x and %#x interleaved" % (ident - 1, ident))
            continue
        frames += frags
    if held:
        frames += held
    return frames, LINK_EN10MB


def op_fakeder(fl, out):
    noise = hashlib.sha256(b"chainsniff fakeder").digest() + hashlib.sha256(b"2").digest()[:5]
    cert = bytes.fromhex("3082ffff")
    body = struct.pack("!I", len(cert) + 3)[1:] + struct.pack("!I", len(cert))[1:] + cert
    msg = b"\x0b" + struct.pack("!I", len(body))[1:] + body
    fake = noise + b"\x16\x03\x03" + struct.pack("!H", len(msg)) + msg
    seg = fl.piece(0, len(fake), data=fake)
    first = fl.flight_idx[0]
    pkts = fl.pkts[:first] + [seg]
    print("  frames 1-%d kept, then one server segment: %d bytes of noise and a Certificate"
          " record (%d bytes) with one 4-byte entry 30 82 ff ff; nothing after it"
          % (first, len(noise), 5 + len(msg)))
    return fl.frames(pkts), fl.pcap.linktype


MULTI_OPS = {"clients": op_clients, "retime": op_retime}

OPS = {"shuffle": op_shuffle, "retrans": op_retrans, "seg40": op_seg40, "vlan": op_vlan,
       "qinq": op_qinq, "midstream": op_midstream, "gap": op_gap, "truncate": op_truncate,
       "snaplen": op_snaplen, "seqwrap": op_seqwrap, "sigflip": op_sigflip, "ppp": op_ppp,
       "chdlc": op_chdlc, "wlan": op_wlan, "nflog": op_nflog, "gtpu": op_gtpu, "vxlan": op_vxlan,
       "frag4": op_frag4, "frag6": op_frag6, "fakeder": op_fakeder}


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
    link = LINK_EN10MB if op in ("vlan", "qinq") else fl.pcap.linktype
    if isinstance(frames, tuple):
        frames, link = frames
    check_times(frames)
    write_pcap(out, fl.pcap, link, frames)


if __name__ == "__main__":
    main()
