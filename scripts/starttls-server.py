#!/usr/bin/python3
"""starttls-server.py - one small server on loopback that speaks the plaintext
part of a protocol the way its real servers do, then TLS 1.2 (so that the
chain is visible) through Python's ssl module, that is OpenSSL.  Used by
scripts/mkpcaps.sh to record STARTTLS and other preambles with real clients
(openssl s_client -starttls ..., -proxy).

    starttls-server.py PROTOCOL ADDR PORT CERT KEY CHAIN
    starttls-server.py rdp-client ADDR PORT SNI CAFILE

PROTOCOL is one of:
  smtp      RFC 3207: greeting 220, EHLO with 250-STARTTLS, STARTTLS, 220
  xmpp      RFC 6120 5.4: stream header, features with <starttls/>, <proceed/>
  postgres  SSLRequest (8 bytes) answered with 'S'
  ldap      RFC 4511 4.14: StartTLS extended request, extendedResp success
  irc       STARTTLS answered with RPL_STARTTLS (670)
  nntp      RFC 4642: greeting 200, CAPABILITIES (101 ... STARTTLS .), 382
  sieve     RFC 5804: capabilities with "STARTTLS", OK, STARTTLS, OK
  mysql     Protocol::HandshakeV10 with CLIENT_SSL, the client's SSLRequest
  connect   an HTTP proxy: CONNECT host:port, "HTTP/1.1 200 Connection
            established", and then this proxy is the TLS server itself
  rdp       MS-RDPBCGR 2.2.1.1-2: X.224 Connection Request with RDP_NEG_REQ,
            Connection Confirm with RDP_NEG_RSP selecting PROTOCOL_SSL
and rdp-client is the client side of rdp (openssl s_client cannot speak
X.224): the Connection Request with a cookie, then a TLS 1.2 handshake with
SNI, one line, close.

One connection, then exit: the server reads one line of application data,
answers it, and closes.  Exits non-zero when the client does not follow the
protocol.  Standard library only.
"""

import os
import socket
import ssl
import struct
import sys
import tempfile


def die(msg):
    sys.exit("starttls-server: " + msg)


def tls_context(cert, key, chain):
    # load_cert_chain wants the leaf followed by the chain in one file
    fd, both = tempfile.mkstemp(suffix=".pem")
    with open(cert) as c, open(chain) as ch:
        os.write(fd, (c.read() + ch.read()).encode())
    os.close(fd)
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.maximum_version = ssl.TLSVersion.TLSv1_2
    ctx.load_cert_chain(both, key)
    os.unlink(both)
    return ctx


def read_exact(s, n):
    b = b""
    while len(b) < n:
        k = s.recv(n - len(b))
        if not k:
            die("client left")
        b += k
    return b


def read_until(s, marker, limit=65536):
    b = b""
    while marker not in b:
        k = s.recv(4096)
        if not k:
            die("client left before %r" % marker)
        b += k
        if len(b) > limit:
            die("no %r" % marker)
    return b


def line(f):
    ln = f.readline()
    if not ln:
        die("client left")
    return ln.strip()


def smtp(s, f):
    s.sendall(b"220 smtp.test ESMTP chainsniff lab\r\n")
    while True:
        cmd = line(f).upper()
        if cmd.startswith(b"EHLO") or cmd.startswith(b"HELO"):
            s.sendall(b"250-smtp.test\r\n250-PIPELINING\r\n250-STARTTLS\r\n250 8BITMIME\r\n")
        elif cmd == b"STARTTLS":
            s.sendall(b"220 2.0.0 Ready to start TLS\r\n")
            return
        else:
            s.sendall(b"502 5.5.2 Error: command not recognized\r\n")


def xmpp(s, f):
    read_until(s, b"version='1.0'>")
    s.sendall(b"<?xml version='1.0'?><stream:stream xmlns='jabber:client' "
              b"xmlns:stream='http://etherx.jabber.org/streams' id='c2s1' from='one.test' "
              b"version='1.0'><stream:features><starttls "
              b"xmlns='urn:ietf:params:xml:ns:xmpp-tls'><required/></starttls>"
              b"</stream:features>")
    read_until(s, b"<starttls xmlns='urn:ietf:params:xml:ns:xmpp-tls'/>")
    s.sendall(b"<proceed xmlns='urn:ietf:params:xml:ns:xmpp-tls'/>")


def postgres(s, f):
    if read_exact(s, 8) != bytes.fromhex("0000000804d2162f"):
        die("not an SSLRequest")
    s.sendall(b"S")


def ldap(s, f):
    req = read_until(s, b"1.3.6.1.4.1.1466.20037")
    msgid = req[4]  # SEQUENCE, INTEGER length 1: the message id
    s.sendall(bytes([0x30, 0x0c, 0x02, 0x01, msgid, 0x78, 0x07, 0x0a, 0x01, 0x00,
                     0x04, 0x00, 0x04, 0x00]))


def irc(s, f):
    if line(f).upper() != b"STARTTLS":
        die("no STARTTLS")
    s.sendall(b":irc.one.test 670 * :STARTTLS successful, go ahead with TLS handshake\r\n")


def nntp(s, f):
    s.sendall(b"200 one.test InterNetNews NNRP server INN 2.6.4 ready (posting ok)\r\n")
    if line(f).upper() != b"CAPABILITIES":
        die("no CAPABILITIES")
    s.sendall(b"101 Capability list:\r\nVERSION 2\r\nREADER\r\nSTARTTLS\r\nLIST ACTIVE\r\n.\r\n")
    if line(f).upper() != b"STARTTLS":
        die("no STARTTLS")
    s.sendall(b"382 Continue with TLS negotiation\r\n")


def sieve(s, f):
    s.sendall(b'"IMPLEMENTATION" "chainsniff lab ManageSieve"\r\n"SIEVE" "fileinto reject"\r\n'
              b'"SASL" ""\r\n"STARTTLS"\r\n"VERSION" "1.0"\r\nOK "ManageSieve ready."\r\n')
    if line(f).upper() != b"STARTTLS":
        die("no STARTTLS")
    s.sendall(b'OK "Begin TLS negotiation now."\r\n')


def mysql(s, f):
    caps = 0xFFFF | 0x0800  # CLIENT_SSL among the lower capability flags
    body = (b"\x0a" + b"8.0.33-chainsniff\x00" + struct.pack("<I", 11) + b"abcdefgh" + b"\x00" +
            struct.pack("<HBHH", caps, 0xFF, 0x0002, 0xDFFF) + bytes([21]) + b"\x00" * 10 +
            b"ijklmnopqrst\x00" + b"caching_sha2_password\x00")
    s.sendall(struct.pack("<I", len(body))[:3] + b"\x00" + body)
    hdr = read_exact(s, 4)
    n = hdr[0] | hdr[1] << 8 | hdr[2] << 16
    req = read_exact(s, n)
    if hdr[3] != 1 or n != 32 or not struct.unpack("<I", req[:4])[0] & 0x0800:
        die("not an SSLRequest")


def connect(s, f):
    if not line(f).upper().startswith(b"CONNECT "):
        die("not CONNECT")
    while line(f):
        pass  # headers, up to the blank line
    s.sendall(b"HTTP/1.1 200 Connection established\r\n\r\n")


def rdp(s, f):
    tpkt = read_exact(s, 4)
    if tpkt[0] != 3:
        die("not TPKT")
    cr = read_exact(s, struct.unpack("!H", tpkt[2:4])[0] - 4)
    if cr[1] != 0xE0 or b"\x01\x00\x08\x00" not in cr:
        die("not an X.224 Connection Request with RDP_NEG_REQ")
    # Connection Confirm: LI 14, CC, dst-ref, src-ref 0x1234, class 0;
    # RDP_NEG_RSP: type 2, flags 0, length 8, selectedProtocol PROTOCOL_SSL (1)
    s.sendall(bytes.fromhex("030000130ed000001234000200080001000000"))


PROTOCOLS = {"smtp": smtp, "xmpp": xmpp, "postgres": postgres, "ldap": ldap, "irc": irc, "nntp": nntp,
             "sieve": sieve, "mysql": mysql, "connect": connect, "rdp": rdp}


def serve(proto, addr, port, cert, key, chain):
    ctx = tls_context(cert, key, chain)
    ls = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    ls.bind((addr, port))
    ls.listen(1)
    s, _ = ls.accept()
    f = s.makefile("rb")
    PROTOCOLS[proto](s, f)
    t = ctx.wrap_socket(s, server_side=True)
    got = t.recv(4096)
    t.sendall(b"chainsniff lab: " + got)
    try:
        while t.recv(4096):
            pass
    except (ssl.SSLError, OSError):
        pass
    t.close()


def rdp_client(addr, port, sni, cafile):
    s = socket.create_connection((addr, port))
    cookie = b"Cookie: mstshash=chainsniff\r\n"
    neg = bytes.fromhex("0100080001000000")  # RDP_NEG_REQ, PROTOCOL_SSL
    x224 = bytes([6 + len(cookie) + len(neg), 0xE0, 0, 0, 0, 0, 0]) + cookie + neg
    s.sendall(struct.pack("!BBH", 3, 0, 4 + len(x224)) + x224)
    cc = read_exact(s, 19)
    if cc[5] != 0xD0 or cc[11] != 2 or cc[15] != 1:
        die("no Connection Confirm selecting PROTOCOL_SSL")
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    ctx.maximum_version = ssl.TLSVersion.TLSv1_2
    ctx.load_verify_locations(cafile)
    t = ctx.wrap_socket(s, server_hostname=sni)
    t.sendall(b"hello from chainsniff lab\n")
    t.recv(4096)
    t.close()


def main():
    a = sys.argv[1:]
    if len(a) == 5 and a[0] == "rdp-client":
        rdp_client(a[1], int(a[2]), a[3], a[4])
    elif len(a) == 6 and a[0] in PROTOCOLS:
        serve(a[0], a[1], int(a[2]), a[3], a[4], a[5])
    else:
        sys.exit(__doc__)


if __name__ == "__main__":
    main()
