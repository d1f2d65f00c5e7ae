#!/usr/bin/python3
"""timeline-captures.py - which server chains in captures are judged differently
with Mozilla's store as it stood on the capture's day than with today's bundle.

A developer's tool for writing e2e expectations (not run by `make check`).
For each capture: chainsniff's JSON report with --ca-file BUNDLE ("now") and
its --dump-chains; then the store "then" of each chain's first-seen time: the
roots data/root-timeline.json says were in Mozilla's store on that day, plus the
roots of BUNDLE the timeline does not know; chainsniff runs again with that
store as --ca-file, which is what --trust-at capture should give.  Printed
per chain whose error codes differ (or every chain, --all): capture, server,
time, both verdicts, what `openssl verify -attime` says with the store of that
day (the independent check of --trust-at capture), the anchor OpenSSL's path
ends at with that store, and what the timeline says about that root.

Root certificates come from the NSS clone scripts/mkroot-timeline.py read
(the timeline keeps only their key and name).  Local files only.

Usage: /usr/bin/python3 scripts/timeline-captures.py --nss NSS_GIT_DIR \\
         [--chainsniff build/chainsniff] [--bundle tests/trust/....crt] [--all] PCAP...
"""

import argparse
import base64
import datetime
import hashlib
import importlib.util
import json
import os
import subprocess
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
spec = importlib.util.spec_from_file_location("mkroot", os.path.join(HERE, "mkroot-timeline.py"))
mkroot = importlib.util.module_from_spec(spec)
spec.loader.exec_module(mkroot)


def epoch(iso):
    return int(datetime.datetime.fromisoformat(iso.replace("Z", "+00:00")).timestamp())


def pem(der):
    b = base64.b64encode(der).decode()
    return "-----BEGIN CERTIFICATE-----\n%s\n-----END CERTIFICATE-----\n" % "\n".join(
        b[i:i + 64] for i in range(0, len(b), 64))


def pem_ders(text):
    out, cur = [], None
    for line in text.splitlines():
        if line.startswith("-----BEGIN CERTIFICATE"):
            cur = []
        elif line.startswith("-----END CERTIFICATE") and cur is not None:
            out.append(base64.b64decode("".join(cur)))
            cur = None
        elif cur is not None:
            cur.append(line.strip())
    return out


def in_store(root, t):
    for iv in root["intervals"]:
        if epoch(iv["from"] + "T00:00:00Z") <= t and (
                iv["until"] is None or t < epoch(iv["until"] + "T00:00:00Z")):
            return True
    return False


def left(root):
    last = root["intervals"][-1]
    return "%s (%s)" % (last["until"], last["until_release"]) if last["until"] else None


def anchor_of(store, chain_pem):
    """Subject of the anchor OpenSSL's path from the leaf ends at, or None.
    Time is not checked: an expired leaf still has a path to a root."""
    r = subprocess.run(["openssl", "verify", "-auth_level", "0", "-purpose", "sslserver",
                        "-no_check_time", "-show_chain", "-nameopt", "RFC2253,-esc_msb",
                        "-CAfile", store, "-untrusted", chain_pem, chain_pem],
                       capture_output=True, text=True)
    chain = [l.split(": ", 1)[1] for l in r.stdout.splitlines() if l.startswith("depth=")]
    return chain[-1] if chain and "(untrusted)" not in chain[-1] else None


def openssl_then(store, chain_pem, t):
    """What `openssl verify -attime` says of the chain with the store of that
    day: "OK", or the first error ("20 at depth 2")."""
    r = subprocess.run(["openssl", "verify", "-attime", str(t), "-purpose", "sslserver",
                        "-partial_chain", "-CAfile", store, "-untrusted", chain_pem, chain_pem],
                       capture_output=True, text=True)
    if r.returncode == 0:
        return "OK"
    for line in (r.stdout + r.stderr).splitlines():
        if line.startswith("error "):
            # "error 20 at 2 depth lookup: unable to get local issuer certificate"
            w = line.split()
            return "%s at depth %s" % (w[1], w[3])
    return "error"


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--nss", required=True)
    ap.add_argument("--chainsniff", default="build/chainsniff")
    ap.add_argument("--bundle", default="tests/trust/debian-ca-certificates-20230311+deb12u1.crt")
    ap.add_argument("--timeline", default="data/root-timeline.json")
    ap.add_argument("--all", action="store_true")
    ap.add_argument("pcaps", nargs="+")
    a = ap.parse_args()

    timeline = json.load(open(a.timeline))["roots"]
    by_sha = {r["cert_sha256"]: r for r in timeline}
    by_subject = {}
    for r in timeline:
        by_subject.setdefault(r["subject"], []).append(r)
    nss = mkroot.Nss(a.nss)
    ders = {}
    for _, _, blob in mkroot.store_points(nss):
        for h, info in nss.roots(blob).items():
            ders[h] = info["der"]
    bundle = pem_ders(open(a.bundle).read())
    bundle_shas = {hashlib.sha256(d).hexdigest() for d in bundle}
    unknown_to_timeline = [d for d in bundle if hashlib.sha256(d).hexdigest() not in by_sha]
    tmp = tempfile.mkdtemp(prefix="timeline-captures.")
    stores = {}

    def store_then(t):
        key = tuple(sorted(h for h, r in by_sha.items() if in_store(r, t)))
        if key not in stores:
            path = os.path.join(tmp, "store-%d.pem" % len(stores))
            with open(path, "w") as f:
                for h in key:
                    f.write(pem(ders[h]))
                for d in unknown_to_timeline:
                    f.write(pem(d))
            stores[key] = path
        return stores[key]

    def report(p, ca):
        r = subprocess.run([a.chainsniff, "-r", p, "--ca-file", ca, "--format", "json",
                            "--dump-chains", dump], capture_output=True, text=True)
        try:
            rep = json.loads(r.stdout)
        except ValueError:
            return None, r.stderr.strip()
        return {(s["server_ip"], s["server_port"], s.get("sni"), c["sha256"]): c
                for s in rep.get("servers", []) for c in s.get("chains", [])}, None

    def errors(c):
        return ",".join(sorted({pr["code"] for pr in c.get("problems", [])
                                if pr["severity"] == "error"})) or "ok"

    print("| capture | server | first seen | now: today's bundle | then: store of that day "
          "| openssl verify -attime, store of that day | the path then ends at | timeline |")
    print("|---|---|---|---|---|---|---|---|")
    for p in a.pcaps:
        dump = os.path.join(tmp, os.path.basename(p))
        os.makedirs(dump, exist_ok=True)
        now, err = report(p, a.bundle)
        if now is None:
            print("| %s | (no report: %s) |" % (os.path.basename(p), err))
            continue
        then = {}
        for store in sorted({store_then(epoch(c["first_seen"]["time"])) for c in now.values()}):
            rep, err = report(p, store)
            for k, c in (rep or {}).items():
                if store_then(epoch(c["first_seen"]["time"])) == store:
                    then[k] = c
        for k, c in sorted(now.items(), key=lambda kv: (kv[0][0], kv[0][1], kv[0][3])):
            ct = then.get(k)
            if ct is None:
                continue
            if errors(c) == errors(ct) and not a.all:
                continue
            t = epoch(c["first_seen"]["time"])
            anchor = anchor_of(store_then(t), os.path.join(dump, c["sha256"] + ".pem"))
            notes = []
            for root in by_subject.get(anchor or "", []):
                notes.append("%s [%s]: in BUNDLE: %s; in store then: %s; left: %s%s" % (
                    root["label"], root["cert_sha256"][:12],
                    "yes" if root["cert_sha256"] in bundle_shas else "no",
                    "yes" if in_store(root, t) else "no", left(root) or "still in",
                    "; distrust after %s" % root["server_distrust_after"]["after"][:10]
                    if root["server_distrust_after"] else ""))
            chain_pem = os.path.join(dump, c["sha256"] + ".pem")
            print("| %s | %s:%s %s | %s | %s | %s | %s | %s | %s |" % (
                os.path.basename(p), k[0], k[1], k[2] or "-", c["first_seen"]["time"][:10],
                errors(c), errors(ct), openssl_then(store_then(t), chain_pem, t),
                anchor or "-", "; ".join(notes) or "-"))


if __name__ == "__main__":
    main()
