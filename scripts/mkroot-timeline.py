#!/usr/bin/python3
"""mkroot-timeline.py - build data/root-timeline.json, the history of Mozilla's
root store for server authentication, from local clones only (no network).

Source of truth: NSS's lib/ckfw/builtins/certdata.txt (security/nss/... before
2013) as shipped in NSS releases.  A root is "in the store" while a
CKO_CERTIFICATE object is present and its trust object gives
CKA_TRUST_SERVER_AUTH = CK*_TRUSTED_DELEGATOR; a root whose server-auth bit was
turned off counts as having left the store, since that is what a TLS client
sees.  Every root shipped that way since NSS 3.1 (2000) is listed.

Dates: the store is read at every main-line NSS release (RTM tags in date
order, skipping a release whose version is below one already out: ESR and
older-branch point releases carry an older store), dated by its tagged
commit; trunk commits after the last release follow, dated by their commit.
A root's intervals are the runs of releases that carry it.  Firefox shipped
each NSS release within weeks, so dates are accurate to about one release.
CKA_NSS_SERVER_DISTRUST_AFTER is read from the certificate object, with the
release from which it is set.

Cross-checks (optional): certifi's cacert.pem and weak.pem history (a local
clone of certifi/python-certifi) and Debian's ca-certificates changelog
(debian/changelog from the source package, plain or gzip).  They never change
the timeline; their dates are compared with it in the report (--report).

Usage:
  /usr/bin/python3 scripts/mkroot-timeline.py --nss NSS_GIT_DIR \\
      [--certifi CERTIFI_GIT_DIR] [--debian-changelog FILE] \\
      [--out data/root-timeline.json] [--report FILE]

Standard library and the openssl command only (scripts/deps.sh installs it):
the RFC 4514 subject strings come from `openssl x509 -nameopt RFC2253`.
"""

import argparse
import base64
import datetime
import gzip
import hashlib
import json
import re
import subprocess
import sys

CERTDATA_PATHS = ("lib/ckfw/builtins/certdata.txt",
                  "security/nss/lib/ckfw/builtins/certdata.txt")
RELEASE_TAG = re.compile(r"^NSS_3_(\d+)(?:_(\d+))?(?:_(\d+))?_RTM$")
# A release tagged a little before a trunk commit can still carry the change
# (CVS-era changes landed on a release branch and trunk separately).
SLACK_DAYS = 14
MPL_NOTICE = ("The root certificates and trust settings this file is derived from "
              "are NSS's certdata.txt: 'This Source Code Form is subject to the "
              "terms of the Mozilla Public License, v. 2.0. If a copy of the MPL "
              "was not distributed with this file, You can obtain one at "
              "http://mozilla.org/MPL/2.0/.' (see LICENSES/MPL-2.0.txt)")


def die(msg):
    print("mkroot-timeline: " + msg, file=sys.stderr)
    sys.exit(1)


def git(repo, *args, binary=False):
    r = subprocess.run(["git", "-C", repo] + list(args), capture_output=True)
    if r.returncode != 0:
        raise RuntimeError("git %s: %s" % (" ".join(args), r.stderr.decode(errors="replace")))
    return r.stdout if binary else r.stdout.decode()


def day(iso):
    """'2019-05-03T12:00:00+02:00' -> '2019-05-03' (UTC)."""
    t = datetime.datetime.fromisoformat(iso)
    return t.astimezone(datetime.timezone.utc).strftime("%Y-%m-%d")


# ---- DER ------------------------------------------------------------------------

def der_tlv(b, off):
    """(tag, header length, content length) of the DER element at off."""
    tag = b[off]
    n = b[off + 1]
    if n < 0x80:
        return tag, 2, n
    k = n & 0x7f
    if k == 0 or k > 4:
        raise ValueError("bad DER length")
    return tag, 2 + k, int.from_bytes(b[off + 2:off + 2 + k], "big")


def der_children(b, off):
    tag, h, n = der_tlv(b, off)
    pos, end, out = off + h, off + h + n, []
    while pos < end:
        t, hh, nn = der_tlv(b, pos)
        out.append((t, pos, hh + nn))
        pos += hh + nn
    return out


def cert_fields(der):
    """subject DER, SPKI DER and serial DER of a certificate."""
    tbs = der_children(der, 0)[0]
    kids = der_children(der, tbs[1])
    if kids[0][0] == 0xa0:          # [0] version (absent in v1 certificates)
        kids = kids[1:]
    serial, subject, spki = kids[0], kids[4], kids[5]
    get = lambda k: der[k[1]:k[1] + k[2]]
    return get(subject), get(spki), get(serial)


def cert_validity(der):
    """notBefore and notAfter of a certificate, "YYYY-MM-DDTHH:MM:SSZ"."""
    tbs = der_children(der, 0)[0]
    kids = der_children(der, tbs[1])
    if kids[0][0] == 0xa0:
        kids = kids[1:]
    out = []
    for tag, off, n in der_children(der, kids[3][1]):
        _, h, _ = der_tlv(der, off)
        t = der[off + h:off + n]
        out.append(utctime(t) if tag == 0x17 else utctime(t, generalized=True))
    return out


def rfc4514(der):
    r = subprocess.run(["openssl", "x509", "-inform", "DER", "-noout", "-subject",
                        "-nameopt", "RFC2253,-esc_msb"], input=der, capture_output=True)
    if r.returncode != 0:
        raise RuntimeError("openssl x509: " + r.stderr.decode(errors="replace"))
    s = r.stdout.decode("utf-8").strip()
    return s[len("subject="):] if s.startswith("subject=") else s


# ---- certdata.txt -----------------------------------------------------------------

def octal(lines):
    return bytes(int(x, 8) for line in lines for x in line.split("\\")[1:])


def utf8(quoted):
    """A certdata UTF8 value: quoted, with \\xHH escapes for non-ASCII bytes."""
    raw = re.sub(rb"\\x([0-9a-fA-F]{2})", lambda m: bytes([int(m.group(1), 16)]),
                 quoted.strip('"').encode("utf-8"))
    return raw.decode("utf-8", errors="replace")


def parse_certdata(text):
    """Server-auth roots of one certdata.txt: {cert sha256 hex: info}."""
    objs, cur, lines, i = [], None, text.split("\n"), 0
    while i < len(lines):
        line = lines[i].strip()
        i += 1
        if not line or line.startswith("#") or line == "BEGINDATA":
            continue
        parts = line.split(None, 2)
        if parts[0] == "CKA_CLASS":
            cur = {}
            objs.append(cur)
        if cur is None or len(parts) < 2:
            continue
        if parts[1] == "MULTILINE_OCTAL":
            j = i
            while lines[j].strip() != "END":
                j += 1
            cur[parts[0]] = octal(lines[i:j])
            i = j + 1
        elif len(parts) == 3:
            v = parts[2]
            cur[parts[0]] = utf8(v) if parts[1] == "UTF8" else octal([v]) \
                if parts[1] == "OCTAL" else v
    certs, trusts = {}, []
    for o in objs:
        cls = o.get("CKA_CLASS", "")
        if cls == "CKO_CERTIFICATE" and "CKA_VALUE" in o:
            der = o["CKA_VALUE"]
            certs[hashlib.sha1(der).digest()] = o
        elif cls in ("CKO_NSS_TRUST", "CKO_NETSCAPE_TRUST"):
            trusts.append(o)
    by_issuer_serial = {}
    for k, o in list(certs.items()):
        try:
            subject, spki, serial = cert_fields(o["CKA_VALUE"])
        except (IndexError, ValueError):    # the placeholders of the 2000 test data
            del certs[k]
            continue
        by_issuer_serial[(o.get("CKA_ISSUER", b""), serial)] = o
    roots = {}
    for t in trusts:
        if not t.get("CKA_TRUST_SERVER_AUTH", "").endswith("_TRUSTED_DELEGATOR"):
            continue
        o = certs.get(t.get("CKA_CERT_SHA1_HASH", b"")) or \
            by_issuer_serial.get((t.get("CKA_ISSUER"), t.get("CKA_SERIAL_NUMBER")))
        if o is None:
            continue
        der = o["CKA_VALUE"]
        da = o.get("CKA_NSS_SERVER_DISTRUST_AFTER")
        roots[hashlib.sha256(der).hexdigest()] = {
            "der": der, "label": o.get("CKA_LABEL", ""),
            "distrust_after": utctime(da) if isinstance(da, bytes) else None}
    return roots


def utctime(b, generalized=False):
    s = b.decode("ascii")
    if not generalized and re.fullmatch(r"\d{12}Z", s):
        yy = int(s[:2])
        s = ("19" if yy >= 50 else "20") + s        # RFC 5280 4.1.2.5.1
    if not re.fullmatch(r"\d{14}Z", s):
        raise ValueError("distrust-after time " + s)
    return "%s-%s-%sT%s:%s:%sZ" % (s[0:4], s[4:6], s[6:8], s[8:10], s[10:12], s[12:14])


class Nss:
    def __init__(self, repo):
        self.repo = repo
        self.cache = {}     # blob id -> parsed roots

    def blob(self, rev):
        for p in CERTDATA_PATHS:
            r = subprocess.run(["git", "-C", self.repo, "rev-parse", "-q", "--verify",
                                "%s:%s" % (rev, p)], capture_output=True)
            if r.returncode == 0:
                return r.stdout.decode().strip()
        return None

    def roots(self, blob):
        if blob not in self.cache:
            text = git(self.repo, "cat-file", "blob", blob, binary=True)
            self.cache[blob] = parse_certdata(text.decode("utf-8", errors="replace"))
        return self.cache[blob]

    def trunk(self):
        out = git(self.repo, "rev-list", "--first-parent", "--reverse", "--format=%H %cI",
                  "HEAD", "--", *CERTDATA_PATHS)
        commits = []
        for line in out.splitlines():
            if line.startswith("commit "):
                continue
            h, d = line.split()
            b = self.blob(h)
            if b:
                commits.append({"commit": h, "date": day(d), "blob": b})
        return commits

    def releases(self):
        out = git(self.repo, "for-each-ref",
                  "--format=%(refname:short) %(creatordate:iso-strict)", "refs/tags/")
        rel = []
        for line in out.splitlines():
            name, date = line.split()
            m = RELEASE_TAG.match(name)
            if not m:
                continue
            b = self.blob(name)
            if not b:
                continue
            ver = tuple(int(x) for x in m.groups() if x is not None)
            rel.append({"tag": name, "name": "NSS 3." + ".".join(str(x) for x in ver),
                        "version": (3,) + ver, "date": day(date), "blob": b})
        rel.sort(key=lambda r: (r["date"], r["version"]))
        return rel


# ---- the timeline ------------------------------------------------------------------

def store_points(nss):
    """The store as shipped, in order: [(date, release name, blob)].

    Main-line releases only: a release whose version is below one already
    released (an ESR or older-branch point release) is skipped, since its
    store is an older one.  Trunk commits after the last release follow,
    dated by their commit."""
    points, best, last = [], (), None
    for r in nss.releases():
        if r["version"] > best:
            best = r["version"]
            points.append((r["date"], r["name"], r["blob"]))
            last = r["date"]
    for c in nss.trunk():
        if last is None or c["date"] > last:
            points.append((c["date"], "NSS trunk " + c["commit"][:12], c["blob"]))
    return points


def root_history(nss, points, h):
    """Intervals [from, until) of one root over the points, and the
    distrust-after value in force at its last point with (since, release)."""
    ivs, distrust, inside = [], None, False
    for date, name, blob in points:
        r = nss.roots(blob).get(h)
        if (r is not None) != inside:
            inside = not inside
            if inside:
                ivs.append({"from": date, "from_release": name,
                            "until": None, "until_release": None})
            else:
                ivs[-1]["until"], ivs[-1]["until_release"] = date, name
        if r is not None:
            da = r["distrust_after"]
            if da is None:
                distrust = None
            elif distrust is None or distrust["after"] != da:
                distrust = {"after": da, "since": date, "since_release": name}
    return ivs, distrust


def build(nss_repo):
    nss = Nss(nss_repo)
    points = store_points(nss)
    if not points:
        die(nss_repo + ": no certdata.txt history")
    info = {}
    for _, _, blob in points:
        info.update(nss.roots(blob))        # the latest certificate object wins
    roots = []
    for h in info:
        ivs, distrust = root_history(nss, points, h)
        der = info[h]["der"]
        subject, spki, _ = cert_fields(der)
        not_before, not_after = cert_validity(der)
        roots.append({
            "label": info[h]["label"],
            "subject": rfc4514(der),
            "cert_sha256": h,
            "spki_sha256": hashlib.sha256(spki).hexdigest(),
            "intervals": ivs,
            "server_distrust_after": distrust,
            "not_before": not_before,
            "not_after": not_after,
            "spki": base64.b64encode(spki).decode(),
            "subject_der": base64.b64encode(subject).decode(),
        })
    roots.sort(key=lambda e: (e["intervals"][0]["from"], e["label"], e["cert_sha256"]))
    trunk = nss.trunk()
    prov = {
        "repository": "https://github.com/nss-dev/nss (mirror of hg.mozilla.org/projects/nss)",
        "file": "lib/ckfw/builtins/certdata.txt (security/nss/lib/ckfw/builtins/certdata.txt"
                " before 2013)",
        "first_commit": trunk[0]["commit"], "first_commit_date": trunk[0]["date"],
        "last_commit": trunk[-1]["commit"], "last_commit_date": trunk[-1]["date"],
        "trunk_commits": len(trunk),
        "store_points": len(points),
        "first_release": points[0][1], "last_point": "%s (%s)" % (points[-1][1], points[-1][0]),
    }
    return roots, prov


# ---- cross-checks -------------------------------------------------------------------

PEM = re.compile(rb"-----BEGIN CERTIFICATE-----(.*?)-----END CERTIFICATE-----", re.S)


def pem_hashes(data):
    return {hashlib.sha256(base64.b64decode(b"".join(m.split()))).hexdigest()
            for m in PEM.findall(data)}


def certifi_history(repo, path):
    """[(date, commit, set of sha256)] for path over the first-parent history."""
    out = git(repo, "rev-list", "--first-parent", "--reverse", "--format=%H %cI", "HEAD",
              "--", path)
    hist = []
    for line in out.splitlines():
        if line.startswith("commit "):
            continue
        h, d = line.split()
        r = subprocess.run(["git", "-C", repo, "show", "%s:%s" % (h, path)], capture_output=True)
        hist.append((day(d), h, pem_hashes(r.stdout) if r.returncode == 0 else set()))
    return hist


def spans(hist, h):
    """[(from, until or None)] of a hash over a [(date, commit, set)] history."""
    out, inside = [], False
    for d, _, s in hist:
        if (h in s) != inside:
            inside = not inside
            if inside:
                out.append([d, None])
            else:
                out[-1][1] = d
    return [tuple(x) for x in out]


def debian_changes(path):
    """{label: [(date, '+' or '-', version)]} from '+ "Label"' / '- "Label"' lines."""
    raw = open(path, "rb").read()
    if raw[:2] == b"\x1f\x8b":
        raw = gzip.decompress(raw)
    changes, pending, version = {}, [], None
    for line in raw.decode("utf-8", errors="replace").splitlines():
        m = re.match(r"^ca-certificates \(([^)]+)\)", line)
        if m:
            version, pending = m.group(1), []
            continue
        # '+ "Label"', '- "Label" (expired)', '+ Label' (before 2012), and
        # 'Blacklist expired root certificate "Label"' (DST Root CA X3, 2021)
        m = re.match(r'^\s+([+-])\s+"([^"]+)"(\s*\(.*\))?\s*$', line) or \
            re.match(r'^\s+([+-])\s+([^"\s].*?)\s*$', line) or \
            re.match(r'^\s+\*\s+Blacklist\b.*"([^"]+)"', line)
        if m:
            pending.append(("-", m.group(1)) if len(m.groups()) == 1 else
                           (m.group(1), m.group(2)))
            continue
        m = re.match(r"^ -- .*>\s+(.*)$", line)
        if m:
            d = datetime.datetime.strptime(m.group(1).strip(), "%a, %d %b %Y %H:%M:%S %z")
            for sign, label in pending:
                changes.setdefault(label, []).append((day(d.isoformat()), sign, version))
            pending = []
    return changes


def fmt_iv(ivs):
    return ", ".join("%s (%s) .. %s" % (iv["from"], iv["from_release"],
                                         "%s (%s)" % (iv["until"], iv["until_release"])
                                         if iv["until"] else "in store") for iv in ivs)


def days(a, b):
    return (datetime.date.fromisoformat(b) - datetime.date.fromisoformat(a)).days


def nearest_lag(d, cands):
    """Days from d to the nearest of cands (positive: later), None if none."""
    lags = [days(d, c) for c in cands if c is not None]
    return min(lags, key=abs) if lags else None


def report_certifi(roots, certifi, weak, p):
    start = certifi[0][0]
    p("## certifi")
    p()
    p("cacert.pem: %d versions from %s; weak.pem: %d versions.  Each timeline boundary"
      " after %s is compared with the nearest boundary of the same kind in cacert.pem"
      " (certifi takes Mozilla's bundle a release or so late).  Boundaries further than"
      " 183 days or absent:" % (len(certifi), start, len(weak), start))
    p()
    lags = []
    for r in roots:
        cs, ws = spans(certifi, r["cert_sha256"]), spans(weak, r["cert_sha256"])
        for iv in r["intervals"]:
            for key, pos in (("from", 0), ("until", 1)):
                d = iv[key]
                if d is None or d <= start:
                    continue
                lag = nearest_lag(d, [c[pos] for c in cs])
                if lag is not None and abs(lag) <= 183:
                    lags.append(lag)
                    continue
                p("- %s [%s]: timeline %s %s; cacert.pem %s%s" %
                  (r["label"], r["cert_sha256"][:16], key, d,
                   "; ".join("%s..%s" % (a, b or "") for a, b in cs) or "never",
                   "; weak.pem " + "; ".join("%s..%s" % (a, b or "") for a, b in ws)
                   if ws else ""))
    lags.sort()
    if lags:
        p()
        p("Boundaries within 183 days: %d; certifi's lag: median %d days, from %d to %d." %
          (len(lags), lags[len(lags) // 2], lags[0], lags[-1]))


def report_debian(roots, debian, p):
    p("## Debian ca-certificates")
    p()
    p("The changelog's '+ \"label\"' / '- \"label\"' lines, each with the nearest timeline"
      " boundary of the same kind among the roots of that label (Debian takes Mozilla's"
      " bundle months or years late, and sometimes took an unreleased trunk change):")
    p()
    by_label, lags = {}, []
    for r in roots:
        by_label.setdefault(r["label"], []).append(r)
    for label in sorted(debian):
        for d, sign, version in sorted(debian[label]):
            want = [iv["from" if sign == "+" else "until"]
                    for r in by_label.get(label, []) for iv in r["intervals"]]
            lag = nearest_lag(d, want)
            if lag is None and not by_label.get(label):
                continue        # a root without the server-auth bit (email, code signing)
            if lag is not None:
                lags.append(-lag)
            p("- %s: Debian %s %s on %s; %s" %
              (label, version, "added" if sign == "+" else "removed", d,
               "no such boundary in the timeline" if lag is None else
               "%+d days after the timeline's" % -lag))
    lags.sort()
    if lags:
        p()
        p("Lines matched: %d; Debian after the timeline by a median of %d days"
          " (from %d to %d)." % (len(lags), lags[len(lags) // 2], lags[0], lags[-1]))


def report(roots, prov, certifi, weak, debian, f):
    p = lambda *a: print(*a, file=f)
    p("# Root-store timeline: build report and cross-checks")
    p()
    p("NSS certdata.txt: trunk %s (%s) .. %s (%s), %d trunk commits; %d store points"
      " (main-line releases %s .. %s)." %
      (prov["first_commit"][:12], prov["first_commit_date"], prov["last_commit"][:12],
       prov["last_commit_date"], prov["trunk_commits"], prov["store_points"],
       prov["first_release"], prov["last_point"]))
    p("Roots listed (server-auth trust bit in some release): %d; in the store at"
      " the end: %d; re-added after a removal: %d; with a distrust-after date: %d." %
      (len(roots), sum(1 for r in roots if r["intervals"][-1]["until"] is None),
       sum(1 for r in roots if len(r["intervals"]) > 1),
       sum(1 for r in roots if r["server_distrust_after"])))
    p()
    if certifi:
        report_certifi(roots, certifi, weak, p)
        p()
    if debian:
        report_debian(roots, debian, p)
        p()
    p("## Every root")
    p()
    for r in roots:
        p("- %s [cert %s, spki %s]: %s%s" %
          (r["label"], r["cert_sha256"][:16], r["spki_sha256"][:16], fmt_iv(r["intervals"]),
           "; distrust for server certificates issued after %s (set from %s)" %
           (r["server_distrust_after"]["after"], r["server_distrust_after"]["since"])
           if r["server_distrust_after"] else ""))


def write_json(roots, prov, cross, out):
    doc_head = {
        "format": "chainsniff-root-timeline",
        "version": 1,
        "generated_by": "scripts/mkroot-timeline.py",
        "description": ("Every root Mozilla's store (NSS) has shipped with the server-auth trust"
                        " bit since NSS 3.1 (2000): intervals [from, until) in the store (UTC"
                        " dates; until null:"
                        " still in), dated by the first NSS release that shipped each change"
                        " (accurate to about one release), and CKA_NSS_SERVER_DISTRUST_AFTER."),
        "provenance": {"nss": prov, "cross_checks": cross},
        "licence": MPL_NOTICE,
    }
    with open(out, "w", encoding="ascii") as f:
        f.write("{\n")
        for k, v in doc_head.items():
            f.write("%s: %s,\n" % (json.dumps(k), json.dumps(v, sort_keys=False)))
        f.write('"roots": [\n')
        for i, r in enumerate(roots):
            f.write(json.dumps(r, separators=(",", ":")) + (",\n" if i + 1 < len(roots) else "\n"))
        f.write("]\n}\n")


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--nss", required=True, help="NSS git repository (clone or bare mirror)")
    ap.add_argument("--certifi", help="certifi/python-certifi git repository")
    ap.add_argument("--debian-changelog", help="ca-certificates debian/changelog (or .gz)")
    ap.add_argument("--out", default="data/root-timeline.json")
    ap.add_argument("--report", help="write the cross-check report here (Markdown)")
    a = ap.parse_args()
    roots, prov = build(a.nss)
    certifi = weak = debian = None
    cross = {}
    if a.certifi:
        certifi = certifi_history(a.certifi, "certifi/cacert.pem")
        weak = certifi_history(a.certifi, "certifi/weak.pem")
        head = git(a.certifi, "log", "-1", "--format=%H %cI").split()
        cross["certifi"] = {"repository": "https://github.com/certifi/python-certifi",
                            "files": "certifi/cacert.pem, certifi/weak.pem",
                            "first_version": certifi[0][0], "last_commit": head[0],
                            "last_commit_date": day(head[1]), "versions_read": len(certifi)}
    if a.debian_changelog:
        debian = debian_changes(a.debian_changelog)
        raw = open(a.debian_changelog, "rb").read()
        text = (gzip.decompress(raw) if raw[:2] == b"\x1f\x8b" else raw).decode(errors="replace")
        top = re.search(r"^ca-certificates \(([^)]+)\)", text, re.M)
        cross["debian"] = {"file": "debian/changelog of the ca-certificates source package",
                           "version": top.group(1) if top else None,
                           "sha256": hashlib.sha256(raw).hexdigest(),
                           "labels_changed": len(debian)}
    write_json(roots, prov, cross, a.out)
    if a.report:
        with open(a.report, "w", encoding="utf-8") as f:
            report(roots, prov, certifi, weak, debian, f)
    print("mkroot-timeline: %d roots, NSS %s..%s -> %s" %
          (len(roots), prov["first_commit"][:12], prov["last_commit"][:12], a.out),
          file=sys.stderr)


if __name__ == "__main__":
    main()
