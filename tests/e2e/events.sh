#!/usr/bin/env bash
# events.sh - --events end to end (docs/report-format.md, "--events"), each
# value checked against a reference that is not chainsniff:
#
#   events-fields-*        every line parses alone (jq, and Python's strict
#                          json), has every documented member, event_type
#                          "tls_chain", the --sensor name
#   events-community-id-*  community_id equals tshark's Community ID
#                          (--enable-protocol communityid) of the connection
#   events-time-*          for a handshake with a chain: "time" is the frame
#                          that completed the server's Certificate message and
#                          "start" the connection's first frame (tshark), to the
#                          microsecond -- also on captures whose clock runs for
#                          months after the handshake (issue 17 item 4)
#   events-ja3-*           ja3 equals tshark's tls.handshake.ja3
#   events-leaf-*          leaf subject/issuer/serial/validity equal the JSON
#                          report's first certificate of that chain; san_dns
#                          equals `openssl x509 -ext subjectAltName` of the DER
#   events-alert-name      alert 48 from the client is named unknown_ca
#   events-status          status/problems of each chain event equal the report's
#   events-unknown-reason  an analysis that ran out of budget: status unknown,
#                          unknown_reason as the report's chain says
#   events-seed            --community-id-seed 1 gives tshark's seed-1 value
#   events-mode-0640, events-appended, events-mode-kept
#
# usage: tests/e2e/events.sh BINARY   (needs jq, tshark, openssl, /usr/bin/python3)
. "$(dirname "$0")/lib.sh" events "$1"
need jq tshark openssl

CAPS=(pcaps/real/zeek__tls__missing-intermediate.pcap pcaps/real/ndpi__whois.pcapng
	pcaps/real/arkime__arkime_synthetic.pcap pcaps/real/ndpi__gaijin_mobile_mixed.pcap
	pcaps/real/zeek__tls__ecdsa-cert.pcap pcaps/real/arkime__tls-alpn-h2.pcap
	pcaps/real/ndpi__smtp-starttls.pcap pcaps/lab/diag-client-rejects.pcap
	pcaps/lab/freq-three-servers.pcap)

# tshark's view of a capture: per frame, time, endpoints, community id,
# handshake types, ja3 (fields separated by tabs, one frame per line)
tshark_frames() { # file, extra tshark args...
	local f=$1
	shift
	tshark -n -r "$f" -o tcp.reassemble_out_of_order:TRUE --enable-protocol communityid "$@" \
		-T fields -E occurrence=a -E aggregator=, -e frame.time_epoch -e tcp.stream \
		-e ip.src -e ipv6.src -e tcp.srcport -e ip.dst -e ipv6.dst -e tcp.dstport \
		-e communityid -e tls.handshake.type -e tls.handshake.ja3 2>/dev/null
}

for f in "${CAPS[@]}"; do
	n=$(basename "$f")
	n=${n%.*}
	"$BIN" -r "$f" "${TRUST[@]}" --sensor e2e-events --format json -o "$T/$n.json" \
		--dump-chains "$T/$n.pem" --events "$T/$n.ndjson" 2>"$T/$n.err"
	tshark_frames "$f" >"$T/$n.tshark"
	$PY - "$T/$n.ndjson" "$T/$n.tshark" "$T/$n.json" "$T/$n.pem" "$n" "$T" <<'EOF'
import json, subprocess, sys
ndjson, tsv, report_path, pemdir, name, tmp = sys.argv[1:7]
KEYS = ["event_type", "time", "start", "sensor", "input", "community_id", "client_ip",
        "client_port", "server_ip", "server_port", "sni", "version", "outcome",
        "incomplete_reason", "chain_sha256", "status", "unknown_reason", "problems",
        "starttls", "alert", "ja3", "ja4", "leaf"]
LEAF = ["sha256", "parsed", "subject", "issuer", "serial", "not_before", "not_after",
        "san_dns", "san_dns_count"]
errs = {k: [] for k in ("fields", "community-id", "time", "ja3", "leaf", "status")}
events = []
for i, line in enumerate(open(ndjson, encoding="utf-8")):
    try:
        ev = json.loads(line)
    except ValueError as e:
        errs["fields"].append("line %d: %s" % (i + 1, e))
        continue
    events.append(ev)
    missing = [k for k in KEYS if k not in ev]
    if missing or ev["event_type"] != "tls_chain" or ev["sensor"] != "e2e-events":
        errs["fields"].append("line %d: missing %s or wrong event_type/sensor" % (i + 1, missing))
    if ev.get("leaf") is not None and [k for k in LEAF if k not in ev["leaf"]]:
        errs["fields"].append("line %d: leaf lacks members" % (i + 1))
report = json.load(open(report_path))
if len(events) != report["totals"]["tls_handshakes"]:
    errs["fields"].append("%d lines for %d handshakes" % (len(events), report["totals"]["tls_handshakes"]))

# tshark: per connection (sorted endpoints) its community id, first frame time,
# Certificate frame times, ja3
conns = {}
for row in open(tsv):
    c = row.rstrip("\n").split("\t")
    if len(c) < 11 or not c[4]:
        continue
    t, stream = c[0], c[1]
    src, dst = c[2] or c[3], c[5] or c[6]
    key = tuple(sorted([(src, int(c[4])), (dst, int(c[7]))]))
    k = conns.setdefault((key, stream), {"cid": c[8], "first": t, "certs": [], "ja3": set()})
    types = c[9].split(",") if c[9] else []
    if "11" in types:
        k["certs"].append((t, (src, int(c[4]))))
    if c[10]:
        k["ja3"].update(c[10].split(","))

def us(t):  # tshark epoch "1604305198.690105000" -> microseconds
    s, _, frac = t.partition(".")
    return int(s) * 1000000 + int((frac + "000000")[:6])

def rfc_us(s):  # "2020-11-02T08:19:58.690105Z" -> microseconds
    import datetime
    d = datetime.datetime.strptime(s, "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=datetime.timezone.utc)
    return int(d.timestamp()) * 1000000 + d.microsecond

by_sha = {}
for s in report["servers"]:
    for ch in s["chains"]:
        by_sha[ch["sha256"]] = (s, ch)
for ev in events:
    if ev["client_ip"] is None:
        errs["fields"].append("an event without sides: no reference for it here")
        continue
    key = tuple(sorted([(ev["client_ip"], ev["client_port"]), (ev["server_ip"], ev["server_port"])]))
    cands = [v for (k, st), v in conns.items() if k == key]
    cands = [v for v in cands if v["cid"] == ev["community_id"]] or cands
    if not cands:
        errs["community-id"].append("no tshark connection %s" % (key,))
        continue
    # a 5-tuple reused: the connection whose first frame is the event's start
    c = min(cands, key=lambda v: abs(us(v["first"]) - rfc_us(ev["start"])))
    if c["cid"] != ev["community_id"]:
        errs["community-id"].append("%s: %s, tshark %s" % (key, ev["community_id"], c["cid"]))
    if ev["outcome"] == "chain":
        server = (ev["server_ip"], ev["server_port"])
        certs = [t for t, who in c["certs"] if who == server]
        if rfc_us(ev["start"]) != us(c["first"]):
            errs["time"].append("%s start %s, tshark %s" % (key, ev["start"], c["first"]))
        if not certs or rfc_us(ev["time"]) != us(certs[0]):
            errs["time"].append("%s time %s, tshark Certificate %s" % (key, ev["time"], certs))
    if c["ja3"] and ev["ja3"] not in c["ja3"]:
        errs["ja3"].append("%s: %s, tshark %s" % (key, ev["ja3"], sorted(c["ja3"])))
    if ev["chain_sha256"]:
        s, ch = by_sha[ev["chain_sha256"]]
        cert, leaf = ch["certs"][0], ev["leaf"]
        for k in ("subject", "issuer", "serial", "not_before", "not_after", "sha256", "parsed"):
            if cert[k] != leaf[k]:
                errs["leaf"].append("%s: leaf.%s %r, report %r" % (key, k, leaf[k], cert[k]))
        pem = "%s/%s.pem" % (pemdir, ev["chain_sha256"])
        der = subprocess.run(["openssl", "x509", "-outform", "DER"], stdin=open(pem, "rb"),
                             capture_output=True).stdout
        txt = subprocess.run(["openssl", "x509", "-inform", "DER", "-noout", "-ext",
                              "subjectAltName"], input=der, capture_output=True).stdout.decode()
        want = [p.strip()[4:] for l in txt.splitlines()[1:] for p in l.split(",")
                if p.strip().startswith("DNS:")]
        if leaf["san_dns"] != want[:32] or leaf["san_dns_count"] != len(want):
            errs["leaf"].append("%s: san_dns %s (%d), openssl %s" % (key, leaf["san_dns"],
                                leaf["san_dns_count"], want))
        if ev["status"] != ch["status"] or sorted(ev["problems"]) != sorted(
                {p["code"] for p in ch["problems"]}):
            errs["status"].append("%s: %s %s, report %s %s" % (key, ev["status"], ev["problems"],
                                  ch["status"], [p["code"] for p in ch["problems"]]))
for k, v in errs.items():
    open("%s/%s.%s" % (tmp, name, k), "w").write("\n".join(v[:5]))
EOF
	for k in fields community-id time ja3 leaf status; do
		if [ -s "$T/$n.$k" ]; then bad "$k-$n" "$(cat "$T/$n.$k")"; else ok "$k-$n"; fi
	done
done

# -- the alert by name and number (RFC 8446 6.2: 48 unknown_ca)
got=$(jq -c 'select(.alert) | .alert' "$T/diag-client-rejects.ndjson")
[ "$got" = '{"level":2,"description":48,"name":"unknown_ca","from":"client"}' ] &&
	ok alert-name || bad alert-name "$got"

# -- unknown verdicts: status unknown with the report's unknown_reason
# (pcaps/README.md, "Analysis budget capture": eight chains exhaust the
# analysis budget, the ninth is judged)
H=pcaps/lab/hostile-chains.pcap
"$BIN" -r "$H" --ca-file pcaps/lab/hostile-chains.roots.pem --events "$T/h.ndjson" --format json \
	-o "$T/h.json" 2>/dev/null
want=$(jq -r '.servers[] | .chains[] | [.sha256, .status, (.unknown_reason // "-")] | @tsv' \
	"$T/h.json" | sort -u)
got=$(jq -r '[.chain_sha256, .status, (.unknown_reason // "-")] | @tsv' "$T/h.ndjson" | sort -u)
if [ -n "$got" ] && [ "$got" = "$want" ] && grep -q "unknown	analysis_budget" <<<"$got"; then
	ok unknown-reason
else
	bad unknown-reason "$(diff <(echo "$want") <(echo "$got") | head -4)"
fi

# -- --community-id-seed: tshark's communityid.seed
A=pcaps/real/zeek__tls__missing-intermediate.pcap
"$BIN" -r "$A" "${TRUST[@]}" --community-id-seed 1 --events - -o /dev/null >"$T/seed.ndjson"
want=$(tshark -n -r "$A" --enable-protocol communityid -o communityid.seed:1 -T fields \
	-e communityid 2>/dev/null | sort -u)
got=$(jq -r .community_id "$T/seed.ndjson" | sort -u)
[ -n "$got" ] && [ "$got" = "$want" ] && ok seed || bad seed "$got vs tshark $want"

# -- the file: created 0640 (it holds client addresses), appended, mode kept
(umask 022 && "$BIN" -r "$A" "${TRUST[@]}" --events "$T/m.ndjson" -o /dev/null)
[ "$(stat -c %a "$T/m.ndjson")" = 640 ] && ok mode-0640 || bad mode-0640 "$(stat -c %a "$T/m.ndjson")"
n1=$(wc -l <"$T/m.ndjson")
"$BIN" -r "$A" "${TRUST[@]}" --events "$T/m.ndjson" -o /dev/null
n2=$(wc -l <"$T/m.ndjson")
[ "$n1" -gt 0 ] && [ "$n2" = $((2 * n1)) ] && ok appended || bad appended "$n1 then $n2 lines"
chmod 600 "$T/m.ndjson"
"$BIN" -r "$A" "${TRUST[@]}" --events "$T/m.ndjson" -o /dev/null
[ "$(stat -c %a "$T/m.ndjson")" = 600 ] && ok mode-kept || bad mode-kept "$(stat -c %a "$T/m.ndjson")"

echo "$pass passed, $fail failed"
[ "$fail" = 0 ]
