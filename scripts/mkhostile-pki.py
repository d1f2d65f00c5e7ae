#!/usr/bin/python3
"""mkhostile-pki.py - certificates whose names attack the page that shows them.

Writes into DIR (scripts/mkpcaps.sh html_hostile uses pcaps/lab/pki/):
  hostile-root.pem/.key   root CA  "CN=chainsniff Lab Hostile Root"
  hostile-int.pem/.key    intermediate under it, subject
                          CN=<img src=x onerror=alert(3)>,
                          O=</style><script>alert(4)</script>
  hostile-leaf.pem/.key   leaf under the intermediate, subject
                          CN=<script>alert(1)</script>,
                          O="onerror=alert(2) x=' (quotes that would end an
                          attribute), OU=U+202E "gnp.exe" U+202C (a bidi
                          override: Trojan Source), L=BEL ESC "[2J" U+0085
                          (a bell, an erase-screen sequence, the C1 NEL);
                          SAN DNS:hostile.test
  hostile-leaf.chain.pem  the intermediate (what s_server sends after the leaf)
Bytes that are not UTF-8 cannot be in a name a TLS server sends through
OpenSSL: it refuses to load a certificate whose UTF8String is not UTF-8
(its name canonicalisation converts every string) and reads T61String and
IA5String bytes as Latin-1.  They come in the SNI instead
(scripts/mkpcaps.sh, cap_html_hostile).
RSA 2048, SHA-256; valid 2026-01-01 .. 2036-01-01, so that captures made
on any day in between judge the same.  Needs python3-cryptography
(scripts/deps.sh).
usage: scripts/mkhostile-pki.py DIR
"""
import datetime
import sys

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID

NOT_BEFORE = datetime.datetime(2026, 1, 1)
NOT_AFTER = datetime.datetime(2036, 1, 1)


def key():
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


def name(**attrs):
    oids = {"CN": NameOID.COMMON_NAME, "O": NameOID.ORGANIZATION_NAME,
            "OU": NameOID.ORGANIZATIONAL_UNIT_NAME, "L": NameOID.LOCALITY_NAME}
    return x509.Name([x509.NameAttribute(oids[k], v) for k, v in attrs.items()])


def cert(subject, subject_key, issuer, issuer_key, ca, san=None):
    b = (x509.CertificateBuilder().subject_name(subject).issuer_name(issuer)
         .public_key(subject_key.public_key()).serial_number(x509.random_serial_number())
         .not_valid_before(NOT_BEFORE).not_valid_after(NOT_AFTER)
         .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True)
         .add_extension(x509.KeyUsage(digital_signature=not ca, content_commitment=False,
                                      key_encipherment=not ca, data_encipherment=False,
                                      key_agreement=False, key_cert_sign=ca, crl_sign=ca,
                                      encipher_only=False, decipher_only=False), critical=True)
         .add_extension(x509.SubjectKeyIdentifier.from_public_key(subject_key.public_key()),
                        critical=False))
    if san:
        b = b.add_extension(x509.SubjectAlternativeName([x509.DNSName(san)]), critical=False)
    return b.sign(issuer_key, hashes.SHA256())


def write(path, data):
    with open(path, "wb") as f:
        f.write(data)


def main():
    if len(sys.argv) != 2:
        sys.exit("usage: scripts/mkhostile-pki.py DIR")
    d = sys.argv[1]
    rk, ik, lk = key(), key(), key()
    root_name = name(CN="chainsniff Lab Hostile Root")
    int_name = name(CN="<img src=x onerror=alert(3)>", O="</style><script>alert(4)</script>")
    root = cert(root_name, rk, root_name, rk, True)
    inter = cert(int_name, ik, root_name, rk, True)
    leaf = cert(name(CN="<script>alert(1)</script>", O="\"onerror=alert(2) x='",
                     OU="\u202egnp.exe\u202c", L="\u0007\u001b[2J\u0085"),
                lk, int_name, ik, False, san="hostile.test")
    for n, c, k in (("hostile-root", root, rk), ("hostile-int", inter, ik),
                    ("hostile-leaf", leaf, lk)):
        write(f"{d}/{n}.pem", c.public_bytes(serialization.Encoding.PEM))
        write(f"{d}/{n}.key", k.private_bytes(serialization.Encoding.PEM,
                                              serialization.PrivateFormat.PKCS8,
                                              serialization.NoEncryption()))
    write(f"{d}/hostile-leaf.chain.pem", inter.public_bytes(serialization.Encoding.PEM))


if __name__ == "__main__":
    main()
