#!/usr/bin/env python3
"""mkcorpus.py - (re)write the seed corpora of tests/fuzz/corpus/<target>/.

    python3 tests/fuzz/mkcorpus.py        (from the repository root)

Deterministic: the same repository gives the same bytes.  Seeds are built
here (TLS conversations, Certificate messages, crafted frames and capture
files) or taken from pcaps/lab and pcaps/real (single frames, TCP streams,
Certificate messages, whole small files).  Each seed stays under 20 KiB and
the whole corpus under 1 MiB.  Only files whose names this script makes are
written; regression inputs (named after their bug) are never touched.
Python 3 standard library only.
"""
import json
import os
import struct
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
CORPUS = os.path.join(ROOT, "tests", "fuzz", "corpus")
MAX_SEED = 20 * 1024
written = {}


def put(target, name, data):
    if len(data) > MAX_SEED:
        sys.exit("%s/%s: %d bytes, over 20 KiB" % (target, name, len(data)))
    d = os.path.join(CORPUS, target)
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, name), "wb") as f:
        f.write(data)
    written[(target, name)] = len(data)


# ---- TLS builders (as in tests/unit/test_tls.c) ------------------------------

def u8(v): return struct.pack(">B", v)
def u16(v): return struct.pack(">H", v)
def u24(v): return struct.pack(">I", v)[1:]
def vec(lb, b): return (len(b)).to_bytes(lb, "big") + b
def record(t, ver, body): return u8(t) + u16(ver) + u16(len(body)) + body
def hsrec(msgs): return record(22, 0x0303, msgs)
def handshake(t, body): return u8(t) + vec(3, body)
def ext(t, body): return u16(t) + vec(2, body)
def ext_sni(host): return ext(0, vec(2, u8(0) + vec(2, host.encode())))
def ext_versions_ch(): return ext(43, vec(1, u16(0x0304) + u16(0x0303)))
def ext_version_sh(v): return ext(43, u16(v))


def client_hello(sni, sid=b"", more=b""):
    exts = (ext_sni(sni) if sni else b"") + more
    return handshake(1, u16(0x0303) + b"\x11" * 32 + vec(1, sid) +
                     vec(2, u16(0x1301) + u16(0xc02f)) + vec(1, b"\x00") + vec(2, exts))


def server_hello(ver, sid=b"", exts=b""):
    return handshake(2, u16(ver) + b"\x22" * 32 + vec(1, sid) + u16(0xc02f) + u8(0) +
                     (vec(2, exts) if exts else b""))


def certificate(certs):
    return handshake(11, vec(3, b"".join(vec(3, c) for c in certs)))


def ske(): return handshake(12, u8(3) + u16(23) + vec(1, b"\x44" * 65) + u16(0x0401) +
                            vec(2, b"\x45" * 64))
def shd(): return handshake(14, b"")
def cke(): return handshake(16, vec(1, b"\x55" * 65))
def ccs(): return record(20, 0x0303, b"\x01")
def alert(level, desc): return record(21, 0x0303, bytes([level, desc]))
def fake_cert(tag, n): return bytes([tag]) + b"\xaa" * (n - 1)


def fixture(name):
    with open(os.path.join(ROOT, "tests", "fixtures", "chain", name + ".der"), "rb") as f:
        return f.read()


def conv_bytes(segs, mode=0):
    """fuzz_tls input: mode byte, then (u16 dir<<15 | len, bytes) chunks."""
    out = bytearray([mode])
    for d, b in segs:
        while True:
            part, b = b[:0x7fff], b[0x7fff:]
            out += u16(d << 15 | len(part)) + part
            if not b:
                break
    return bytes(out)


SYNTH = [fake_cert(1, 70), fake_cert(2, 50), fake_cert(3, 40)]


def server_flight(certs, ver=0x0303):
    return (hsrec(server_hello(ver, b"\x33" * 32)) + hsrec(certificate(certs)) + hsrec(ske()) +
            hsrec(shd()))


def client_finish():
    return hsrec(cke()) + ccs() + record(22, 0x0303, b"\x66" * 40)


def tls12(certs, sni="www.example.com"):
    return [(0, hsrec(client_hello(sni))), (1, server_flight(certs)), (0, client_finish()),
            (1, ccs() + record(22, 0x0303, b"\x77" * 40)), (0, record(23, 0x0303, b"\x88" * 100))]


def starttls(pre):
    return [(d, s.encode() if isinstance(s, str) else s) for d, s in pre] + tls12(SYNTH)[:3]


def tls_seeds():
    real = [fixture("leaf"), fixture("inter"), fixture("root")]
    sid = b"\x5a" * 32
    hrr_random = bytes.fromhex("cf21ad74e59a6111be1d8c021e65b891c2a211167abb8c5e079e09e2c8a8339c")
    cert_msg = certificate(real)
    cuts = [0, 3, 9, len(cert_msg) // 3, len(cert_msg) - 2, len(cert_msg)]
    five = b"".join(hsrec(cert_msg[cuts[i]:cuts[i + 1]]) for i in range(5))
    big_cert = certificate([fake_cert(i, 2000) for i in range(3)])
    seeds = {
        "tls12-synthetic": conv_bytes(tls12(SYNTH)),
        "tls12-fixtures": conv_bytes(tls12(real)),
        "tls12-bytewise": conv_bytes(tls12(SYNTH), mode=4),
        "tls12-synack-server": conv_bytes(tls12(SYNTH), mode=2),
        "tls12-synack-late": conv_bytes(tls12(SYNTH), mode=3),
        "tls12-one-record": conv_bytes([(0, hsrec(client_hello("one.example"))),
                                        (1, hsrec(server_hello(0x0303, b"\x33" * 32) +
                                                  certificate(SYNTH) + ske() + shd())),
                                        (0, client_finish())]),
        "tls12-cert-5-records": conv_bytes([(0, hsrec(client_hello("five.example"))),
                                            (1, hsrec(server_hello(0x0303, b"\x33" * 32))),
                                            (1, five + hsrec(ske() + shd())),
                                            (0, client_finish())]),
        "tls13": conv_bytes([(0, hsrec(client_hello("tls13.example", sid, ext_versions_ch()))),
                             (1, hsrec(server_hello(0x0303, sid, ext_version_sh(0x0304))) +
                              ccs() + record(23, 0x0303, b"\x42" * 300))]),
        "tls13-draft": conv_bytes([(0, hsrec(client_hello("draft.example", b"", ext_versions_ch()))),
                                   (1, hsrec(handshake(2, u16(0x7f12) + b"\x22" * 32 + u16(0x1301) +
                                                       vec(2, ext(51, b"\x01" * 36)))))]),
        "tls13-hrr": conv_bytes([(0, hsrec(client_hello("hrr.example", sid, ext_versions_ch()))),
                                 (1, hsrec(handshake(2, u16(0x0303) + hrr_random + vec(1, sid) +
                                                     u16(0x1301) + u8(0) +
                                                     vec(2, ext_version_sh(0x0304) +
                                                         ext(51, u16(23)))))),
                                 (0, ccs() + hsrec(client_hello("hrr.example", sid,
                                                                ext_versions_ch())))]),
        "resumed-sid": conv_bytes([(0, hsrec(client_hello("resume.example", b"\x7c" * 32))),
                                   (1, hsrec(server_hello(0x0303, b"\x7c" * 32)) + ccs() +
                                    record(22, 0x0303, b"\x12" * 40))]),
        "resumed-ticket": conv_bytes([(0, hsrec(client_hello("ticket.example", b"\x01" * 32,
                                                             ext(35, b"\xee" * 128)))),
                                      (1, hsrec(server_hello(0x0303, b"", ext(35, b""))) +
                                       hsrec(handshake(4, u16(0) * 3 + vec(2, b"\xef" * 96))) +
                                       ccs() + record(22, 0x0303, b"\x12" * 40))]),
        "no-certificate": conv_bytes([(0, hsrec(client_hello("anon.example"))),
                                      (1, hsrec(server_hello(0x0303, b"\x33" * 32)) +
                                       hsrec(ske()) + hsrec(shd())),
                                      (0, client_finish())]),
        "client-cert": conv_bytes([(0, hsrec(client_hello("mtls.example"))),
                                   (1, hsrec(server_hello(0x0303, b"\x33" * 32)) +
                                    hsrec(certificate(SYNTH)) + hsrec(ske()) +
                                    hsrec(handshake(13, vec(1, b"\x01") + vec(2, u16(0x0401)) +
                                                    vec(2, b""))) + hsrec(shd())),
                                   (0, hsrec(certificate([fake_cert(9, 60)]) + cke() +
                                             handshake(15, u16(0x0401) + vec(2, b"\x31" * 64))) +
                                    ccs())]),
        "midstream-cert-shd": conv_bytes([(1, hsrec(server_hello(0x0303, b"\x33" * 32))[20:60] +
                                           hsrec(certificate(SYNTH)) + hsrec(shd())),
                                          (0, hsrec(cke()) + ccs()), (1, ccs())]),
        "lone-cert": conv_bytes([(1, hsrec(certificate(SYNTH)))]),
        "client-cert-unknown-side": conv_bytes([(0, hsrec(certificate([fake_cert(9, 60)]))),
                                                (0, hsrec(cke()))]),
        "starttls-smtp": conv_bytes(starttls([
            (1, "220 mail.example.com ESMTP\r\n"), (0, "EHLO client.example.com\r\n"),
            (1, "250-mail.example.com\r\n250-STARTTLS\r\n250 8BITMIME\r\n"),
            (0, "STARTTLS\r\n"), (1, "220 2.0.0 Ready to start TLS\r\n")])),
        "starttls-imap": conv_bytes(starttls([
            (1, "* OK [CAPABILITY IMAP4rev1 STARTTLS] ready\r\n"), (0, "a001 STARTTLS\r\n"),
            (1, "a001 OK Begin TLS negotiation now\r\n")])),
        "starttls-pop3": conv_bytes(starttls([
            (1, "+OK POP3 ready\r\n"), (0, "STLS\r\n"), (1, "+OK Begin TLS\r\n")])),
        "starttls-ftp": conv_bytes(starttls([
            (1, "220 (vsFTPd 3.0.3)\r\n"), (0, "AUTH TLS\r\n"),
            (1, "234 Proceed with negotiation.\r\n")])),
        "starttls-ldap": conv_bytes(starttls([
            (0, bytes.fromhex("301d02010177188016") + b"1.3.6.1.4.1.1466.20037"),
            (1, bytes.fromhex("300c02010178070a010004000400"))])),
        "sslv2-client-hello": conv_bytes([
            (0, (lambda body: u16(0x8000 | len(body)) + body)(
                u8(1) + u16(0x0301) + u16(9) + u16(0) + u16(16) +
                bytes.fromhex("00002f00003500000a") + b"\x5e" * 16)),
            (1, server_flight(SYNTH, 0x0301)), (0, client_finish())]),
        "alert-client": conv_bytes(tls12(SYNTH)[:2] + [(0, alert(2, 48))]),
        "alert-server-first": conv_bytes([(0, hsrec(client_hello("refused.example"))),
                                          (1, alert(2, 40))]),
        "bad-record-type": conv_bytes([(0, hsrec(client_hello("bad.example"))),
                                       (1, hsrec(server_hello(0x0303)) + u8(99) + u16(0x0303) +
                                        u16(2) + u16(0))]),
        "bad-record-version": conv_bytes([(0, hsrec(client_hello("bad.example"))),
                                          (1, hsrec(server_hello(0x0303)) +
                                           record(22, 0x0200, shd()))]),
        "bad-record-length": conv_bytes([(0, hsrec(client_hello("bad.example"))),
                                         (1, hsrec(server_hello(0x0303)) + u8(22) + u16(0x0303) +
                                          u16(18433) + shd())]),
        "hs-too-long": conv_bytes([(1, hsrec(server_hello(0x0303)) +
                                    hsrec(u8(11) + u24(0xffffd) + u24(0xffffa) + b"\x00" * 100))]),
        "hs-header-split": conv_bytes([(1, hsrec(server_hello(0x0303)) + hsrec(b"\x0b\x0f") +
                                        hsrec(b"\xff\xfd" + b"\x00" * 100))]),
        "too-many-certs": conv_bytes([(0, hsrec(client_hello("many.example"))),
                                      (1, server_flight([fake_cert(i, 20 + i) for i in range(33)])),
                                      (0, client_finish())]),
        "preamble-over-cap": conv_bytes([(0, b"A" * 16500 + hsrec(client_hello("late.example")))]),
        "preamble-over-cap-2": conv_bytes([(0, b"A" * 16400), (0, b"B" * 100),
                                           (0, hsrec(client_hello("late.example")))]),
        "heartbeat": conv_bytes([(0, hsrec(client_hello("hb.example"))),
                                 (1, hsrec(server_hello(0x0303, b"\x33" * 32)) +
                                  record(24, 0x0303, b"\x01" * 19) + hsrec(certificate(SYNTH)) +
                                  hsrec(shd()))]),
        "small-pool": conv_bytes([(0, hsrec(client_hello("pool.example"))),
                                  (1, hsrec(server_hello(0x0303, b"\x33" * 32))),
                                  (1, hsrec(big_cert[:3000]) + hsrec(big_cert[3000:]) +
                                   hsrec(shd()))], mode=8),
        "store-refuses": conv_bytes(tls12(SYNTH), mode=16),
        "empty": b"",
        "mode-only": b"\x07",
    }
    for name, data in seeds.items():
        put("tls", name, data)


# ---- Certificate message bodies -------------------------------------------------

def cert_body(certs):
    return vec(3, b"".join(vec(3, c) for c in certs))


def cert_seeds(real_msgs):
    fx = {n: fixture(n) for n in ("leaf", "inter", "root", "nocn", "long", "truncated",
                                  "garbage")}
    put("cert", "fixtures-chain", cert_body([fx["leaf"], fx["inter"], fx["root"]]))
    put("cert", "fixtures-leaf", cert_body([fx["leaf"]]))
    put("cert", "fixtures-nocn-long", cert_body([fx["nocn"], fx["long"]]))
    put("cert", "fixtures-truncated-garbage", cert_body([fx["truncated"], fx["garbage"]]))
    put("cert", "fixture-trailing-bytes", cert_body([fx["leaf"] + b"\x00\x01"]))
    put("cert", "empty-list", cert_body([]))
    put("cert", "fake-entries", cert_body(SYNTH))
    put("cert", "33-entries", cert_body([fake_cert(i, 8) for i in range(33)]))
    put("cert", "list-length-lies", u24(0xffffff) + vec(3, fx["leaf"]))
    put("cert", "zero-entry", cert_body([b""]))
    for name, body in real_msgs:
        put("cert", name, body)


# ---- capture files and frames ------------------------------------------------------

def read_capture(path):
    """[(linktype, frame bytes)] of a pcap or pcapng file."""
    with open(path, "rb") as f:
        b = f.read()
    out = []
    magic = b[:4]
    if magic in (b"\xd4\xc3\xb2\xa1", b"\x4d\x3c\xb2\xa1", b"\xa1\xb2\xc3\xd4", b"\xa1\xb2\x3c\x4d"):
        e = "<" if magic in (b"\xd4\xc3\xb2\xa1", b"\x4d\x3c\xb2\xa1") else ">"
        lt = struct.unpack(e + "I", b[20:24])[0] & 0x0fffffff
        off = 24
        while off + 16 <= len(b):
            incl = struct.unpack(e + "I", b[off + 8:off + 12])[0]
            out.append((lt, b[off + 16:off + 16 + incl]))
            off += 16 + incl
        return out
    off, e, ifaces = 0, "<", []
    while off + 12 <= len(b):
        btype = struct.unpack(e + "I", b[off:off + 4])[0]
        if b[off:off + 4] == b"\x0a\x0d\x0d\x0a":
            e = "<" if b[off + 8:off + 12] == b"\x4d\x3c\x2b\x1a" else ">"
            ifaces = []
        blen = struct.unpack(e + "I", b[off + 4:off + 8])[0]
        body = b[off + 8:off + blen - 4]
        if btype == 1:
            ifaces.append(struct.unpack(e + "H", body[:2])[0])
        elif btype == 6:
            iface, _, _, cap = struct.unpack(e + "IIII", body[:16])
            out.append((ifaces[iface], body[20:20 + cap]))
        elif btype == 3:
            out.append((ifaces[0], body[4:]))
        if blen < 12:
            break
        off += blen
    return out


def ip_of(lt, fr):
    """(ip packet) for the link types our pcaps use, else None."""
    if lt == 1:
        off, et = 14, struct.unpack(">H", fr[12:14])[0]
        while et in (0x8100, 0x88a8):
            et = struct.unpack(">H", fr[off + 2:off + 4])[0]
            off += 4
        return fr[off:] if et in (0x0800, 0x86dd) else None
    if lt == 113:
        return fr[16:]
    if lt == 276:
        return fr[20:]
    if lt in (0, 108):
        return fr[4:]
    if lt in (101, 228, 229, 12, 14):
        return fr
    return None


def tcp_of(ip):
    """(src, sport, dst, dport, seq, flags, payload) or None."""
    if not ip:
        return None
    if ip[0] >> 4 == 4:
        ihl, tot, proto = (ip[0] & 15) * 4, struct.unpack(">H", ip[2:4])[0], ip[9]
        src, dst, l4 = ip[12:16], ip[16:20], ip[ihl:tot]
    elif ip[0] >> 4 == 6:
        proto, src, dst = ip[6], ip[8:24], ip[24:40]
        l4 = ip[40:40 + struct.unpack(">H", ip[4:6])[0]]
    else:
        return None
    if proto != 6 or len(l4) < 20:
        return None
    sport, dport, seq = struct.unpack(">HHI", l4[:8])
    return src, sport, dst, dport, seq, l4[13], l4[(l4[12] >> 4) * 4:]


def tcp_stream(path, want_port=None):
    """Segments [(dir, payload)] of the first TCP connection with payload."""
    conns, order = {}, []
    for lt, fr in read_capture(path):
        t = tcp_of(ip_of(lt, fr))
        if not t:
            continue
        src, sport, dst, dport, seq, flags, pl = t
        a, b = (src, sport), (dst, dport)
        key = (min(a, b), max(a, b))
        if key not in conns:
            conns[key] = {"first": a, "segs": [], "seen": set()}
            order.append(key)
        c = conns[key]
        if flags & 0x12 == 0x02:
            c["first"] = a  # the SYN's sender is direction 0
        if pl and (a, seq) not in c["seen"]:
            c["seen"].add((a, seq))
            c["segs"].append((a, pl))
    for key in order:
        c = conns[key]
        if want_port and want_port not in (key[0][1], key[1][1]):
            continue
        if len({a for a, _ in c["segs"]}) == 2:
            return [(0 if a == c["first"] else 1, pl) for a, pl in c["segs"]]
    return []


def certificate_messages(segs):
    """Certificate message bodies found in the records of each direction."""
    out = []
    for d in (0, 1):
        s = b"".join(pl for dd, pl in segs if dd == d)
        i = s.find(b"\x16\x03")
        hs = b""
        while i >= 0 and i + 5 <= len(s):
            t, ln = s[i], struct.unpack(">H", s[i + 3:i + 5])[0]
            if t == 22:
                hs += s[i + 5:i + 5 + ln]
            elif t == 20:
                break
            i += 5 + ln
        j = 0
        while j + 4 <= len(hs):
            t, ln = hs[j], int.from_bytes(hs[j + 1:j + 4], "big")
            if t == 11 and j + 4 + ln <= len(hs):
                out.append(hs[j + 4:j + 4 + ln])
            j += 4 + ln
    return out


LINK_INDEX = {1: 0, 113: 1, 276: 2, 101: 3, 0: 4, 108: 5, 228: 6, 229: 7, 12: 8, 14: 9,
              9: 11, 50: 12, 51: 13, 104: 14, 105: 15, 127: 16, 166: 17, 192: 18, 204: 19,
              205: 20, 239: 21}


def pcap_file(frames, lt=1, e="<", nsec=False, snap=262144):
    magic = 0xa1b23c4d if nsec else 0xa1b2c3d4
    out = struct.pack(e + "IHHiIII", magic, 2, 4, 0, 0, snap, lt)
    for i, fr in enumerate(frames):
        out += struct.pack(e + "IIII", 1700000000 + i, 1000 * i, len(fr), len(fr)) + fr
    return out


def ng_block(btype, body, e="<"):
    body += b"\x00" * (-len(body) % 4)
    n = 12 + len(body)
    return struct.pack(e + "II", btype, n) + body + struct.pack(e + "I", n)


def ng_opt(code, val, e="<"):
    return struct.pack(e + "HH", code, len(val)) + val + b"\x00" * (-len(val) % 4)


def pcapng_file(sections):
    """sections: [(endian, [(linktype, options)], [(iface, frame)], extra blocks)]"""
    out = b""
    for e, ifaces, frames, extra in sections:
        out += ng_block(0x0a0d0d0a, struct.pack(e + "IHHq", 0x1a2b3c4d, 1, 0, -1), e)
        for lt, opts in ifaces:
            out += ng_block(1, struct.pack(e + "HHI", lt, 0, 262144) + opts, e)
        out += extra
        for i, (iface, fr) in enumerate(frames):
            out += ng_block(6, struct.pack(e + "IIIII", iface, 0, 1000 * i, len(fr), len(fr)) + fr,
                            e)
    return out


def frame_seeds(pcaps):
    """decode seeds: a link-type index byte, then one frame."""
    picks = {
        "lab/one-intermediate.pcap": [0, 3], "lab/any-sll.pcap": [0, 3],
        "lab/any-sll2.pcap": [0, 3], "lab/ipv6.pcap": [0, 3], "lab/quirk-qinq.pcap": [3],
        "lab/quirk-vlan.pcap": [3], "lab/quirk-snaplen.pcap": [4],
        "real/arkime__tls-alpn-h2.pcap": [0, 3],
        "real/fq__tls12-ipv4-linkframe-keylog.pcapng": [3],
        "real/suricata-verify__tcp-empty-sack__tcp-opt.pcap": [0, 5],
        "real/zeek__tunnels__geneve-47101.pcap": [0, 5],
        "real/zeek__pppoe-over-qinq.pcap": [5, 10],
        "real/pcapplusplus__pcapng-example.pcapng": [0, 40, 100],
    }
    tcp4 = None
    for rel, idxs in picks.items():
        path = os.path.join(ROOT, "pcaps", rel)
        if not os.path.exists(path):
            continue
        frames = read_capture(path)
        for i in idxs:
            if i >= len(frames):
                continue
            lt, fr = frames[i]
            if lt not in LINK_INDEX:
                continue
            name = "%s-%d" % (os.path.basename(rel).split(".")[0], i)
            put("decode", name, bytes([LINK_INDEX[lt]]) + fr)
            if lt == 1 and tcp4 is None and fr[12:14] == b"\x08\x00":
                tcp4 = fr[14:]
    if tcp4 is None:  # a SYN to 443, 20-byte IPv4 and TCP headers
        tcp4 = bytes.fromhex("450000280001000040060000c0000201c0000202"
                             "d43101bb00000001000000005002ffff00000000")
    ip = tcp4
    tcp = ip[20:]
    crafted = {
        "null-ipv4": (4, struct.pack("<I", 2) + ip),
        "loop-ipv4": (5, struct.pack(">I", 2) + ip),
        "raw-ipv4": (3, ip),
        "ipv4-linktype": (6, ip),
        "raw-alt1": (8, ip),
        "raw-alt2": (9, ip),
        "ipv4-options": (3, bytes([0x46]) + ip[1:2] + struct.pack(">H", len(ip) + 4) + ip[4:20] +
                         b"\x01\x01\x01\x00" + tcp),
        "ipv4-fragment": (3, ip[:6] + b"\x20\x00" + ip[8:]),
        "ipv6-hopbyhop": (7, bytes.fromhex("60000000") + struct.pack(">H", len(tcp) + 8) +
                          b"\x00\x40" + b"\x20\x01\x0d\xb8" + b"\x00" * 11 + b"\x01" +
                          b"\x20\x01\x0d\xb8" + b"\x00" * 11 + b"\x02" +
                          b"\x06\x00" + b"\x01\x04\x00\x00\x00\x00" + tcp),
        "ipip": (3, bytes([0x45, 0]) + struct.pack(">H", 20 + len(ip)) + ip[4:9] + b"\x04" +
                 ip[10:20] + ip),
        "gre-ipv4": (3, bytes([0x45, 0]) + struct.pack(">H", 24 + len(ip)) + ip[4:9] + b"\x2f" +
                     ip[10:20] + b"\x00\x00\x08\x00" + ip),
        "vxlan": (3, bytes([0x45, 0]) + struct.pack(">H", 20 + 8 + 8 + 14 + len(ip)) + ip[4:9] +
                  b"\x11" + ip[10:20] + struct.pack(">HHHH", 4789, 4789, 8 + 8 + 14 + len(ip), 0) +
                  b"\x08\x00\x00\x00\x00\x00\x01\x00" + b"\x02" * 6 + b"\x04" * 6 + b"\x08\x00" +
                  ip),
        "mpls": (0, b"\x02" * 6 + b"\x04" * 6 + b"\x88\x47" + b"\x00\x01\x01\x40" + ip),
        "vlan-deep": (0, b"\x02" * 6 + b"\x04" * 6 + b"\x81\x00\x00\x01" * 9 + b"\x08\x00" + ip),
        "truncated-ip": (3, ip[:12]),
        "unsupported-linktype": (10, ip),
        "empty-frame": (0, b""),
        "ipv6-fragment": (7, bytes.fromhex("60000000") + struct.pack(">H", len(tcp) + 8) +
                          b"\x2c\x40" + b"\x20\x01\x0d\xb8" + b"\x00" * 11 + b"\x01" +
                          b"\x20\x01\x0d\xb8" + b"\x00" * 11 + b"\x02" +
                          b"\x06\x00\x00\x01\x12\x34\x56\x78" + tcp),
        "cisco-metadata": (0, b"\x02" * 6 + b"\x04" * 6 + b"\x89\x09" +
                           b"\x01\x01\x00\x01\x00\x02\x08\x00" + ip),
        "gtpu": (3, bytes([0x45, 0]) + struct.pack(">H", 20 + 8 + 8 + len(ip)) + ip[4:9] +
                 b"\x11" + ip[10:20] + struct.pack(">HHHH", 2152, 2152, 8 + 8 + len(ip), 0) +
                 b"\x30\xff" + struct.pack(">H", len(ip)) + b"\x00\x00\x00\x01" + ip),
        "ppp-hdlc": (11, b"\xff\x03\x00\x21" + ip),
        "ppp-pfc": (11, b"\x21" + ip),
        "ppp-serial-cisco": (12, b"\x0f\x00\x08\x00" + ip),
        "ppp-ether": (13, b"\x11\x00\x00\x01" + struct.pack(">H", len(ip) + 2) +
                      b"\x00\x21" + ip),
        "c-hdlc": (14, b"\x8f\x00\x08\x00" + ip),
        "wlan-data": (15, b"\x08\x01\x2c\x00" + b"\x02" * 18 + b"\x10\x00" +
                      b"\xaa\xaa\x03\x00\x00\x00\x08\x00" + ip),
        "wlan-protected": (15, b"\x08\x41\x2c\x00" + b"\x02" * 18 + b"\x10\x00" + ip),
        "radiotap-qos-pad": (16, b"\x00\x00\x19\x00\x03\x00\x00\x80" + b"\x00" * 8 +
                             b"\x11" * 8 + b"\x20" + b"\x88\x01\x2c\x00" + b"\x02" * 18 +
                             b"\x10\x00\x05\x00\x00\x00" +
                             b"\xaa\xaa\x03\x00\x00\x00\x08\x00" + ip),
        "ppp-pppd": (17, b"\x01\x03\x00\x21" + ip),
        "ppi-wlan": (18, b"\x00\x00\x08\x00\x69\x00\x00\x00" + b"\x08\x01\x2c\x00" +
                     b"\x02" * 18 + b"\x10\x00" + b"\xaa\xaa\x03\x00\x00\x00\x08\x00" + ip),
        "ppp-with-dir": (19, b"\x00\xff\x03\x00\x21" + ip),
        "c-hdlc-with-dir": (20, b"\x01\x0f\x00\x08\x00" + ip),
        "nflog-le": (21, b"\x02\x00\x00\x01" + b"\x08\x00\x01\x00\x08\x00\x03\x00" +
                     struct.pack("<HH", 4 + len(ip), 9) + ip),
        "nflog-be": (21, b"\x02\x00\x00\x01" + struct.pack(">HH", 4 + len(ip), 9) + ip),
    }
    for name, (idx, fr) in crafted.items():
        put("decode", name, bytes([idx]) + fr)
    return tcp4


def capfile_seeds(tcp4):
    for rel in ("lab/quirk-truncated.pcap", "lab/pcapng.pcapng", "lab/any-sll2.pcap",
                "real/arkime__tls13.pcap", "real/ndpi__tls_port_80.pcapng",
                "real/arkime__mysql-tls.pcap", "real/arkime__tls-alpn-h2.pcap",
                "lab/link-ppp.pcap", "lab/link-chdlc.pcap", "lab/link-wlan.pcap",
                "lab/link-nflog.pcap", "lab/tunnel-gtpu.pcap", "lab/frag-ipv4.pcap",
                "lab/frag-ipv6.pcap", "lab/frag-router.pcap",
                "real/ndpi__ja3_lots_of_cipher_suites_2_anon.pcap"):
        path = os.path.join(ROOT, "pcaps", rel)
        if os.path.exists(path) and os.path.getsize(path) <= MAX_SEED:
            with open(path, "rb") as f:
                put("capfile", os.path.basename(rel).replace(".", "-"), f.read())
    eth = b"\x02" * 6 + b"\x04" * 6 + b"\x08\x00" + tcp4
    put("capfile", "pcap-le-usec", pcap_file([eth, eth[:40]]))
    put("capfile", "pcap-be-usec", pcap_file([eth, eth], e=">"))
    put("capfile", "pcap-le-nsec", pcap_file([eth], nsec=True))
    put("capfile", "pcap-be-nsec-raw", pcap_file([tcp4], lt=101, e=">", nsec=True))
    put("capfile", "pcap-header-only", pcap_file([]))
    put("capfile", "pcap-trunc-record-header", pcap_file([eth])[:24 + 10])
    put("capfile", "pcap-trunc-record-data", pcap_file([eth])[:-5])
    big = bytearray(pcap_file([eth]))
    big[24 + 8:24 + 12] = struct.pack("<I", 262145)
    put("capfile", "pcap-caplen-over-max", bytes(big))
    put("capfile", "pcap-trunc-file-header", pcap_file([])[:12])
    put("capfile", "bad-magic", b"\x00\x01\x02\x03" + pcap_file([eth])[4:])
    put("capfile", "empty", b"")
    tsresol = ng_opt(9, b"\x09") + ng_opt(0, b"")
    extra = (ng_block(4, struct.pack("<HH", 1, 8) + b"\x0a\x00\x00\x01host" + b"\x00" * 4) +
             ng_block(5, struct.pack("<III", 0, 0, 0)) +
             ng_block(0x40000bad, b"\x00\x00\x00\x01custom") +
             ng_block(3, struct.pack("<I", len(eth)) + eth) +
             ng_block(2, struct.pack("<HHIII", 0, 0, 0, 0, len(eth)) + struct.pack("<I", len(eth)) +
                      eth))
    put("capfile", "pcapng-two-sections", pcapng_file([
        ("<", [(1, tsresol), (101, b"")], [(0, eth), (1, tcp4)], extra),
        (">", [(113, b"")], [(0, b"\x00\x00\x00\x01\x00\x06" + b"\x02" * 8 + b"\x08\x00" + tcp4)],
         b"")]))
    ng = pcapng_file([("<", [(1, b"")], [(0, eth)], b"")])
    put("capfile", "pcapng-trunc-block", ng[:-6])
    epb = ng_block(6, struct.pack("<IIIII", 0, 0, 0, len(eth), len(eth)) + eth)
    bad = bytearray(ng)
    bad[len(ng) - len(epb) + 4:len(ng) - len(epb) + 8] = struct.pack("<I", 7)  # length < 12
    put("capfile", "pcapng-bad-block-length", bytes(bad))
    bad[len(ng) - len(epb) + 4:len(ng) - len(epb) + 8] = struct.pack("<I", 0x7ffffff0)
    put("capfile", "pcapng-huge-block-length", bytes(bad))
    put("capfile", "pcapng-epb-before-idb", ng_block(0x0a0d0d0a, struct.pack("<IHHq", 0x1a2b3c4d, 1,
                                                                             0, -1)) +
        ng_block(6, struct.pack("<IIIII", 0, 0, 0, len(eth), len(eth)) + eth))


def real_tls(pcaps_used):
    """fuzz_tls seeds from TCP streams of real and lab captures, and the
    Certificate messages they carry (for the cert corpus)."""
    msgs = []
    for rel, port, mode in (
            ("lab/xmpp-starttls.pcap", None, 0), ("lab/postgres-starttls.pcap", None, 0),
            ("lab/ldap-starttls.pcap", None, 0), ("lab/rdp-tls.pcap", None, 0),
            ("lab/mysql-starttls.pcap", None, 0), ("lab/http-connect.pcap", None, 0),
            ("lab/sieve-starttls.pcap", None, 0),
            ("real/ndpi__443-opvn.pcap", None, 32),  # OpenVPN framing (fuzz_tls bit 5)
            ("real/suricata-verify__bug-2512__sample.pcap", None, 0)):
        path = os.path.join(ROOT, "pcaps", rel)
        segs = tcp_stream(path, port) if os.path.exists(path) else []
        if segs:
            data = conv_bytes(segs, mode)
            while len(data) > MAX_SEED:
                segs = segs[:-1]
                data = conv_bytes(segs, mode)
            put("tls", "stream-" + os.path.basename(rel).split(".")[0], data)
    for rel, port in (("lab/one-intermediate.pcap", None), ("lab/client-auth.pcap", None),
                      ("lab/tls13.pcap", None), ("lab/smtp-starttls.pcap", None),
                      ("real/zeek__tls__ecdsa-cert.pcap", None),
                      ("real/zeek__tls__cert-no-cn.pcap", None),
                      ("real/arkime__mysql-tls.pcap", None),
                      ("real/zeek__tls__irc-starttls.pcap", None),
                      ("real/suricata-verify__tls-issuer-zero.pcap", None),
                      ("real/zeek__tls__telesec.pcap", None),
                      ("real/suricata-verify__bug-1450-04__tls_DER-incomplete-header.pcap", None),
                      ("real/arkime__badcurveball.pcap", None)):
        path = os.path.join(ROOT, "pcaps", rel)
        if not os.path.exists(path):
            continue
        segs = tcp_stream(path, port)
        if not segs:
            continue
        base = os.path.basename(rel).split(".")[0]
        data = conv_bytes(segs)
        while len(data) > MAX_SEED:
            segs = segs[:-1]
            data = conv_bytes(segs)
        put("tls", "stream-" + base, data)
        for k, m in enumerate(certificate_messages(segs)):
            if len(m) <= MAX_SEED:
                msgs.append(("msg-%s-%d" % (base, k), m))
    return msgs


# ---- root-store timeline files --------------------------------------------------

def timeline_seeds():
    """A few real roots of data/root-timeline.json (removed and re-added, with
    a distrust-after date, two certificates of one key, still in the store)
    as a small valid file, and variants the parser must refuse."""
    with open(os.path.join(ROOT, "data", "root-timeline.json")) as f:
        doc = json.load(f)
    want = {"08297a4047dba23680c731db6e317653ca7848e1bebd3a0b0179a707f92cf178",  # Equifax
            "9acfab7e43c8d880d06b262a94deeee4b4659989c3d0caf19baf6405e41ab7df",  # G5
            "bec94911c2955676db6c0a550986d76e3ba005667c442c9762b4fbb773de228c",  # R4 old
            "b085d70b964f191a73e4af0d54ae7a0e07aafdaf9b71dd0862138ab7325a24a2",  # R4 new
            "96bcec06264976f37460779acf28c5a7cfe8a3c0aae11a8ffcee05c0bddf08c6"}  # ISRG X1
    roots = [r for r in doc["roots"] if r["cert_sha256"] in want]
    head = {k: doc[k] for k in ("format", "version", "provenance")}

    def dump(rs, **over):
        d = dict(head, **over)
        d["roots"] = rs
        return json.dumps(d, separators=(",", ":")).encode()

    ok = dump(roots)
    put("timeline", "small", ok)
    put("timeline", "one-root", dump(roots[:1]))
    put("timeline", "truncated", ok[:len(ok) // 2])
    put("timeline", "version-2", dump(roots, version=2))
    put("timeline", "no-roots", dump([]))
    put("timeline", "duplicate-root", dump(roots + roots[:1]))
    bad = [dict(r) for r in roots]
    bad[0]["spki_sha256"] = "00" * 32
    put("timeline", "spki-hash-mismatch", dump(bad))
    bad = [dict(r) for r in roots]
    bad[0]["intervals"] = [dict(iv) for iv in bad[0]["intervals"]]
    bad[0]["intervals"][1]["from"] = bad[0]["intervals"][0]["from"]
    put("timeline", "overlapping-stays", dump(bad))
    bad = [dict(r) for r in roots]
    bad[1]["server_distrust_after"] = {"after": "2019-02-29T00:00:00Z", "since": "2020-05-29",
                                      "since_release": "NSS 3.53"}
    put("timeline", "impossible-date", dump(bad))
    put("timeline", "not-json", b"certdata.txt\n")


# ---- the chain analysis and the whole engine ---------------------------------

T_1990 = 631152000


def pki(name):
    with open(os.path.join(ROOT, "pcaps", "lab", "pki", name + ".der"), "rb") as f:
        return f.read()


def der_list(names):
    return b"".join(u24(len(pki(n))) + pki(n) for n in names) + u24(0)


def diag_seed(flags, when, sni, others, chain):
    return (u8(flags) + struct.pack(">I", when - T_1990) + vec(1, sni.encode()) +
            der_list(others) + der_list(chain))


def diag_seeds():
    t = 1795403299  # 2026-11-23, the lab captures' day
    cases = {
        "one-ok": (0, t, "one.test", [], ["one", "int1"]),
        "two-ok": (0, t, "two.test", [], ["two", "int2", "int1"]),
        "missing-seen": (0, t, "miss.test", ["one", "int1"], ["miss"]),
        "missing-aia": (0, t, "aia.test", [], ["aia"]),
        "wrong-order": (0, t, "order.test", [], ["order", "int2", "int1"][:1] + ["int1"]),
        "untrusted": (0, t, "evil.test", [], ["evil", "evilint", "evilroot"]),
        "cross-sign": (0, t, "xs.test", [], ["xs", "int1", "rootxs"]),
        "expired-2021": (0, t, "expired.test", [], ["expired", "int1"]),
        "ecdsa": (0, t, "ec.test", [], ["ec", "ecint"]),
        "hostname": (0, t, "other.test", [], ["one", "int1"]),
        "duplicate": (0, t, "dup.test", [], ["dup", "int1", "int1"]),
        "repeated-cas-small-budget": (2, t, "one.test", [], ["one"] + ["int1", "int2"] * 8),
        "debian-store": (1, t, "one.test", [], ["one", "int1", "root"]),
        "year-2000": (0, 946684800, "one.test", [], ["one", "int1"]),
    }
    for name, (flags, when, sni, others, chain) in cases.items():
        put("diag", name, diag_seed(flags, when, sni, others, chain))


def engine_seeds():
    for rel in ("lab/one-intermediate.pcap", "lab/leaf-only.pcap", "lab/diag-missing-seen.pcap",
                "lab/diag-wrong-order.pcap", "lab/diag-client-rejects.pcap",
                "lab/quirk-shuffled.pcap", "lab/quirk-seg40.pcap", "lab/quirk-gap.pcap",
                "lab/smtp-starttls.pcap", "lab/resumption.pcap", "lab/tls13.pcap",
                "lab/quirk-qinq.pcap", "lab/ipv6.pcap", "lab/freq-hostile-sni.pcap"):
        path = os.path.join(ROOT, "pcaps", rel)
        if os.path.exists(path) and os.path.getsize(path) <= MAX_SEED:
            with open(path, "rb") as f:
                put("engine", os.path.basename(rel).replace(".", "-"), f.read())


def main():
    tls_seeds()
    msgs = real_tls(None)
    cert_seeds(msgs)
    tcp4 = frame_seeds(None)
    capfile_seeds(tcp4)
    timeline_seeds()
    diag_seeds()
    engine_seeds()
    total = 0
    for t in sorted({t for t, _ in written}):
        d = os.path.join(CORPUS, t)
        n = sum(os.path.getsize(os.path.join(d, f)) for f in os.listdir(d))
        total += n
        print("corpus/%s: %d files, %d bytes" % (t, len(os.listdir(d)), n))
    if total > 1024 * 1024:
        sys.exit("corpus over 1 MiB: %d bytes" % total)


if __name__ == "__main__":
    main()
