#!/usr/bin/env bash
# formats.sh - read chainsniff's report formats back with real parsers
# (issue 4, "Tests").  Check names end with the capture they ran on:
#
#   json-jq-*, json-python-*   the JSON report parses with `jq -e .` (exactly
#             one document) and with `python3 -m json.tool` (strict UTF-8)
#   csv-parse-*, -header-*, -rows-*, -order-*, -formula-*, -controls-*
#             --format csv read with Python's csv module: the exact header;
#             one row (and one line) per server of the JSON report; rank,
#             address, port, SNI, status and counts equal to the JSON's, in
#             its order; no field a spreadsheet would run as a formula (one
#             that starts with = + - @ TAB CR), and an SNI '=cmd|calc' written
#             as "'=cmd|calc"; no control character (C0, DEL, C1)
#   text-controls-MODE-*       no raw control character in the text report
#             (grep -P '[\x00-\x08\x0b-\x1f\x7f]'), MODE top1 (--top 1),
#             all (--all) or default
#   text-c1-utf8-MODE-*        valid UTF-8 and no C1 control (U+0080-U+009F)
#   text-width-MODE-*          no line longer than 100 characters (code points)
#   text-uncut-singular-MODE-* no ellipsis (nothing is cut: long names wrap in
#             their column), and no "1 clients", "1 handshakes", ...
#   text-filtered-shown        the packets -f removed are in the header
#   text-list-MODE-*           the table lists exactly one server with --top 1,
#             the JSON's first 20 servers in its order with --all, the broken
#             ones by default
#   text-summary-freq-three-servers  "broken 2 (7 handshakes, 3 clients)":
#             distinct clients, not a sum over servers (pcaps/README.md)
#   events-parse-*, events-count-*   --events - (report to -o): every line
#             parses alone with jq as an event object; one line per TLS
#             handshake (= totals.tls_handshakes of the report)
#   events-clients-freq-three-servers  3 events for each of the 3 clients
#   color-*   escape sequences only on a terminal (script(1) from bsdutils
#             provides one) and NO_COLOR unset; never in a pipe, with
#             NO_COLOR=1, in an -o file, in JSON or CSV
#
# usage: tests/e2e/formats.sh BINARY
# Runs from the top of the tree with TZ=UTC and standard input /dev/null.
# Prints "ok NAME" or "FAIL NAME" with indented details per check, "skip NAME"
# when a tool is missing, then a last line "N passed, N failed"; exits 1 when
# a check failed, 2 on a usage error.  Needs bash, jq, /usr/bin/python3
# (standard library only) and, for the terminal checks, script(1).
# The captures and their ground truth: pcaps/README.md ("Frequency captures").
set -u

here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
PY=/usr/bin/python3

if [ $# -ne 1 ]; then
	echo "usage: $0 BINARY" >&2
	exit 2
fi
bin=$1
case $bin in
*/*) bin=$(cd "$(dirname "$bin")" 2>/dev/null && pwd)/$(basename "$bin") ;;
esac
command -v "$bin" >/dev/null 2>&1 || { echo "formats.sh: $1: not an executable" >&2; exit 2; }
command -v jq >/dev/null 2>&1 || { echo "formats.sh: jq is required (scripts/deps.sh installs it)" >&2; exit 2; }
[ -x "$PY" ] || { echo "formats.sh: $PY is required" >&2; exit 2; }

tmp=$(mktemp -d "${TMPDIR:-/tmp}/chainsniff-formats.XXXXXX") || exit 2
trap 'rm -rf "$tmp"' EXIT
cd "$root" || exit 2

passed=0
failed=0
skipped=0

ok() { echo "ok $1"; passed=$((passed + 1)); }
skip() { echo "skip $1: $2"; skipped=$((skipped + 1)); }
bad() { # bad NAME DETAIL...
	local d
	echo "FAIL $1"
	shift
	for d in "$@"; do echo "    $d"; done
	failed=$((failed + 1))
}
# verdict NAME DETAIL-FILE: ok when the file is empty, else FAIL with (at most
# 10 of) its lines as details.
verdict() {
	if [ ! -s "$2" ]; then
		ok "$1"
	else
		local -a d=()
		mapfile -t d < <(head -n 10 "$2")
		bad "$1" "${d[@]}"
	fi
}
# tally: print the "ok"/"FAIL" lines of the Python checks and count them.
tally() {
	local line
	while IFS= read -r line; do
		echo "$line"
		case $line in
		"ok "*) passed=$((passed + 1)) ;;
		"FAIL "*) failed=$((failed + 1)) ;;
		esac
	done
}

# cs ARGS...: the binary with a bounded run time; status 0 and 3 (damaged
# input, still reported) are fine for these checks, anything else is noted.
cs() {
	TZ=UTC timeout 120 "$bin" "$@" </dev/null
}
TRUST=(--ca-file pcaps/lab/pki/trust.pem)

# name CAPTURE: a check name from a capture path
name() {
	local n=${1##*/}
	n=${n%.pcap}
	n=${n%.pcapng}
	echo "${n//__/-}"
}

# The Python checks: csv, text.  Output: "ok NAME" / "FAIL NAME" + details.
read -r -d '' CHECKS <<'EOF'
import csv, io, json, re, sys

HEADER = ("rank,server_ip,server_port,sni,status,broken_handshakes,handshakes,tls_handshakes,"
          "clients,clients_total,problems,client_rejections,first_seen,last_seen,fix,"
          "broken_then_handshakes").split(",")
FORMULA = ("=", "+", "-", "@", "\t", "\r")
C0_C1 = re.compile("[\x00-\x08\x0b-\x1f\x7f\x80-\x9f]")
C1 = re.compile("[\x80-\x9f]")


def result(name, problems):
    if problems:
        print("FAIL " + name)
        for p in problems[:10]:
            print("    " + p)
        if len(problems) > 10:
            print("    ... (%d more)" % (len(problems) - 10))
    else:
        print("ok " + name)


def load_json(path):
    with open(path, "rb") as f:
        return json.loads(f.read().decode("utf-8"))


def plain(s):
    return s is not None and all(" " < c < "\x7f" for c in s)


def server_label(s):
    ip = s["server_ip"]
    return ("[%s]:%d" if ":" in ip else "%s:%d") % (ip, s["server_port"])


def check_csv(name, json_path, csv_path):
    servers = load_json(json_path)["servers"]
    raw = open(csv_path, "rb").read()
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as e:
        result("csv-parse-" + name, ["not UTF-8: %s" % e])
        return
    try:
        rows = list(csv.reader(io.StringIO(text, newline=""), strict=True))
    except csv.Error as e:
        result("csv-parse-" + name, ["csv module: %s" % e])
        return
    result("csv-parse-" + name, [] if rows else ["empty output"])
    if not rows:
        return
    result("csv-header-" + name, [] if rows[0] == HEADER else
           ["header %r" % ",".join(rows[0]), "wanted %r" % ",".join(HEADER)])
    data = rows[1:]
    p = []
    if len(data) != len(servers):
        p.append("%d rows, the JSON report has %d servers" % (len(data), len(servers)))
    for i, r in enumerate(data):
        if len(r) != len(HEADER):
            p.append("row %d: %d fields, wanted %d" % (i + 1, len(r), len(HEADER)))
    lines = text.count("\n")
    if lines != len(rows):
        p.append("%d lines for %d records (a field spans lines)" % (lines, len(rows)))
    result("csv-rows-" + name, p)
    p = []
    for i, (r, s) in enumerate(zip(data, servers)):
        if len(r) != len(HEADER):
            continue
        row = dict(zip(HEADER, r))
        want = {"rank": str(i + 1), "server_ip": s["server_ip"], "server_port": str(s["server_port"]),
                "status": s["status"]}
        for k in ("broken_handshakes", "handshakes", "tls_handshakes", "clients", "clients_total"):
            want[k] = str(s[k])
        if s["sni"] is None:
            want["sni"] = ""
        elif plain(s["sni"]):
            want["sni"] = ("'" if s["sni"].startswith(FORMULA) else "") + s["sni"]
        for k, v in want.items():
            if row[k] != v:
                p.append("row %d %s: %r, the JSON's servers[%d] wants %r" % (i + 1, k, row[k], i, v))
    result("csv-order-" + name, p)
    p = []
    for i, r in enumerate(data):
        for k, v in zip(HEADER, r):
            if v.startswith(FORMULA):
                p.append("row %d %s starts with %r: %r" % (i + 1, k, v[:1], v[:40]))
    for i, s in enumerate(servers):
        sni = s["sni"]
        if sni and sni[:1] in "=+-@" and i < len(data) and len(data[i]) == len(HEADER):
            got = data[i][HEADER.index("sni")]
            if got != "'" + sni:
                p.append("row %d sni %r: wanted %r" % (i + 1, got, "'" + sni))
    result("csv-formula-" + name, p)
    p = ["line %d: control character %r" % (text[:m.start()].count("\n") + 1, m.group())
         for m in C0_C1.finditer(text)]
    result("csv-controls-" + name, p)


def table(text):
    """(rows of the server table, numbered entries under Fixes)"""
    lines = text.split("\n")
    rows, fixes = [], []
    for i, l in enumerate(lines):
        if re.match(r"^\s*#\s+SERVER\s+SNI", l):
            for r in lines[i + 1:]:
                if not r.strip():
                    break
                if re.match(r"^\s*\d+\s\s", r):  # not a long SNI's next lines
                    rows.append(r)
        if l == "Fixes":
            fixes = [f for f in lines[i + 1:] if re.match(r"^\s*\d+\s\s", f)]
    return rows, fixes


def apart_list(text):
    """The server lines of the section of servers fine on their capture day."""
    lines = text.split("\n")
    for i, l in enumerate(lines):
        if l.startswith("Fine on their capture day"):
            return [r for r in lines[i + 1:] if re.match(r"^ {5}\S", r)]
    return []


def cut(label, width):
    return label if len(label) <= width else label[:width - 3] + "\u2026"


def check_text(name, path, mode, json_path):
    raw = open(path, "rb").read()
    p = []
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as e:
        p.append("not UTF-8: %s" % e)
        text = raw.decode("utf-8", "replace")
    for n, l in enumerate(text.split("\n")):
        m = C1.search(l)
        if m:
            p.append("line %d: control character %r: %r" % (n + 1, m.group(), l[:80]))
    result("text-c1-utf8-%s-%s" % (mode, name), p)
    p = ["line %d: %d characters: %r" % (n + 1, len(l), l[:60] + "...")
         for n, l in enumerate(text.split("\n")) if len(l) > 100]
    result("text-width-%s-%s" % (mode, name), p)
    # nothing cut with an ellipsis in a file, and "1 client", not "1 clients"
    p = ["line %d: %r" % (n + 1, l[:80]) for n, l in enumerate(text.split("\n"))
         if "\u2026" in l or re.search(r"(?<![\d,])1 (clients|handshakes|servers|files|certs|"
                                         r"anchors|packets|inputs|interfaces|TLS handshakes)\b", l)]
    result("text-uncut-singular-%s-%s" % (mode, name), p)
    if json_path is None:
        return
    doc = load_json(json_path)
    servers = doc["servers"]
    # the table lists the servers broken on their capture day; those broken
    # only with today's store (ok_at_capture_time) are listed apart
    broken = [s for s in servers if s["broken_then_handshakes"] > 0]
    apart = [s for s in servers if s["broken_handshakes"] > 0 and s["ok_at_capture_time"]]
    rows, fixes = table(text)
    p = []
    listed_apart = apart_list(text)
    want_apart = apart[:1] if mode == "top1" else apart[:20]
    if [l.split()[0] for l in listed_apart] != [server_label(s) for s in want_apart]:
        p.append("listed apart (ok_at_capture_time): %s, wanted %s"
                 % ([l.split()[0] for l in listed_apart], [server_label(s) for s in want_apart]))
    if mode == "top1":
        want = servers[:1] if broken else []
        if len(rows) != len(want):
            p.append("%d servers listed with --top 1, wanted %d" % (len(rows), len(want)))
        if len(fixes) > 1:
            p.append("%d fixes listed with --top 1" % len(fixes))
    elif mode == "all":
        want = servers[:20]
        if len(rows) != len(want):
            p.append("%d servers listed with --all, wanted %d (of %d, --top 20)"
                     % (len(rows), len(want), len(servers)))
    else:
        want = broken[:20]
        if len(rows) != len(want):
            p.append("%d servers listed by default, wanted the %d broken ones"
                     % (len(rows), len(want)))
    for i, (r, s) in enumerate(zip(rows, want)):
        m = re.match(r"^\s*(\d+)\s+(\S+)", r)
        label = server_label(s)
        if not m or m.group(1) != str(i + 1):
            p.append("row %d: no rank %d: %r" % (i + 1, i + 1, r[:60]))
        elif not (m.group(2) == label or (m.group(2).endswith("\u2026")
                                          and label.startswith(m.group(2)[:-1]))):
            p.append("row %d: server %s, the JSON ranks %s there" % (i + 1, m.group(2), label))
    result("text-list-%s-%s" % (mode, name), p)


def check_summary(name, path, broken, handshakes, clients):
    text = open(path, "rb").read().decode("utf-8", "replace")
    m = re.search(r"broken (\d+) \((\d+) handshakes?, (\d+) clients?\)", text)
    got = tuple(map(int, m.groups())) if m else None
    want = (broken, handshakes, clients)
    result("text-summary-" + name, [] if got == want else
           ["summary line says broken %s: wanted %d servers, %d handshakes, %d distinct clients"
            % (got and "%d (%d handshakes, %d clients)" % got, *want)])


cmd = sys.argv[1]
if cmd == "csv":
    check_csv(*sys.argv[2:5])
elif cmd == "text":
    check_text(sys.argv[2], sys.argv[3], sys.argv[4], sys.argv[5] if len(sys.argv) > 5 else None)
elif cmd == "summary":
    check_summary(sys.argv[2], sys.argv[3], *map(int, sys.argv[4:7]))
EOF

# ---- JSON -------------------------------------------------------------------------
JSON_CAPS="pcaps/lab/freq-three-servers.pcap pcaps/lab/freq-hostile-sni.pcap
pcaps/lab/multi-server.pcap pcaps/lab/diag-client-rejects.pcap pcaps/lab/resumption.pcap
pcaps/real/suricata-verify__tls-issuer-zero.pcap pcaps/real/ndpi__sites.pcapng
pcaps/real/suricata-verify__bug-1450-04__tls_DER-incomplete-header.pcap"
for f in $JSON_CAPS; do
	n=$(name "$f")
	cs -r "$f" --format json "${TRUST[@]}" >"$tmp/$n.json" 2>"$tmp/$n.err"
	rc=$?
	: >"$tmp/d"
	case $rc in 0 | 3) ;; *) echo "exit status $rc: $(head -n 1 "$tmp/$n.err")" >>"$tmp/d" ;; esac
	jq -e . "$tmp/$n.json" >/dev/null 2>>"$tmp/d" || echo "jq -e . failed" >>"$tmp/d"
	docs=$(jq -s length "$tmp/$n.json" 2>/dev/null)
	[ "$docs" = 1 ] || echo "${docs:-no} JSON documents, wanted 1" >>"$tmp/d"
	verdict "json-jq-$n" "$tmp/d"
	: >"$tmp/d"
	PYTHONUTF8=1 "$PY" -m json.tool "$tmp/$n.json" >/dev/null 2>>"$tmp/d" ||
		echo "python3 -m json.tool failed" >>"$tmp/d"
	verdict "json-python-$n" "$tmp/d"
done

# ---- CSV --------------------------------------------------------------------------
CSV_CAPS="pcaps/lab/freq-three-servers.pcap pcaps/lab/freq-hostile-sni.pcap
pcaps/lab/multi-server.pcap pcaps/real/ndpi__sites.pcapng"
for f in $CSV_CAPS; do
	n=$(name "$f")
	cs -r "$f" --format csv "${TRUST[@]}" >"$tmp/$n.csv" 2>/dev/null
	[ -s "$tmp/$n.json" ] || cs -r "$f" --format json "${TRUST[@]}" >"$tmp/$n.json" 2>/dev/null
	tally < <("$PY" -c "$CHECKS" csv "$n" "$tmp/$n.json" "$tmp/$n.csv" 2>&1)
done

# ---- text -------------------------------------------------------------------------
TEXT_CAPS="pcaps/lab/freq-three-servers.pcap pcaps/lab/freq-hostile-sni.pcap
pcaps/lab/multi-server.pcap pcaps/lab/diag-client-rejects.pcap pcaps/real/ndpi__sites.pcapng
pcaps/real/suricata-verify__bug-1450-04__tls_DER-incomplete-header.pcap"
for f in $TEXT_CAPS; do
	n=$(name "$f")
	[ -s "$tmp/$n.json" ] || cs -r "$f" --format json "${TRUST[@]}" >"$tmp/$n.json" 2>/dev/null
	for mode in top1 all default; do
		case $mode in
		top1) opts=(--top 1) ;;
		all) opts=(--all) ;;
		default) opts=() ;;
		esac
		cs -r "$f" "${TRUST[@]}" "${opts[@]}" >"$tmp/$n.$mode.txt" 2>/dev/null
		# raw C0 controls and DEL, byte by byte (the Python check adds C1 and UTF-8)
		: >"$tmp/d"
		LC_ALL=C grep -naP '[\x00-\x08\x0b-\x1f\x7f]' "$tmp/$n.$mode.txt" | head -n 3 | cat -v |
			sed 's/^/raw control character on line /' >"$tmp/d"
		verdict "text-controls-$mode-$n" "$tmp/d"
		tally < <("$PY" -c "$CHECKS" text "$n" "$tmp/$n.$mode.txt" "$mode" "$tmp/$n.json" 2>&1)
	done
done
# The summary line counts distinct clients sent a broken chain: 192.0.2.1-3
# (192.0.2.3 got both broken servers' chains), not the sum over servers.
tally < <("$PY" -c "$CHECKS" summary freq-three-servers "$tmp/freq-three-servers.default.txt" 2 7 3 2>&1)
# The packets the BPF filter removed are said (not only in the JSON).
cs -r pcaps/lab/diag-missing-seen.pcap "${TRUST[@]}" -f "tcp port 443" >"$tmp/filtered.txt" 2>/dev/null
want=$(cs -r pcaps/lab/diag-missing-seen.pcap "${TRUST[@]}" -f "tcp port 443" --format json 2>/dev/null |
	jq '.inputs[0].filtered')
: >"$tmp/d"
[ "${want:-0}" -gt 0 ] || echo "the filter removed nothing: pick another capture" >>"$tmp/d"
grep -q "($want removed by the filter -f)" "$tmp/filtered.txt" ||
	echo "no \"($want removed by the filter -f)\" in: $(head -1 "$tmp/filtered.txt")" >>"$tmp/d"
verdict text-filtered-shown "$tmp/d"
# The default trust store (the system one) names its file and directory.
cs -r pcaps/lab/one-intermediate.pcap >"$tmp/system-store.txt" 2>/dev/null
tally < <("$PY" -c "$CHECKS" text system-store "$tmp/system-store.txt" default 2>&1)

# ---- NDJSON events -------------------------------------------------------------------
EV_CAPS="pcaps/lab/freq-three-servers.pcap pcaps/lab/freq-hostile-sni.pcap
pcaps/lab/resumption.pcap pcaps/lab/tls13.pcap pcaps/real/ndpi__KakaoTalk_chat.pcap
pcaps/real/mercury__faketls_potatovpn.pcap pcaps/real/ndpi__sites.pcapng"
for f in $EV_CAPS; do
	n=$(name "$f")
	cs -r "$f" "${TRUST[@]}" --format json -o "$tmp/$n.ev.json" --events - >"$tmp/$n.ndjson" 2>/dev/null
	: >"$tmp/d"
	lines=0
	while IFS= read -r line || [ -n "$line" ]; do
		lines=$((lines + 1))
		jq -e 'type == "object" and has("time") and has("client_ip") and has("server_ip")
			and has("sni") and has("outcome")' <<<"$line" >/dev/null 2>&1 ||
			echo "line $lines is not an event object: ${line:0:80}" >>"$tmp/d"
	done <"$tmp/$n.ndjson"
	verdict "events-parse-$n" "$tmp/d"
	: >"$tmp/d"
	want=$(jq -e '.totals.tls_handshakes' "$tmp/$n.ev.json" 2>/dev/null)
	[ "$lines" = "${want:-none}" ] ||
		echo "$lines event lines, totals.tls_handshakes is ${want:-missing (no report in -o)}" >"$tmp/d"
	verdict "events-count-$n" "$tmp/d"
done
# freq-three-servers: every client made 3 connections (pcaps/README.md)
: >"$tmp/d"
got=$(jq -sc 'group_by(.client_ip) | map({(.[0].client_ip): length}) | add' \
	"$tmp/freq-three-servers.ndjson" 2>/dev/null)
want='{"192.0.2.1":3,"192.0.2.2":3,"192.0.2.3":3}'
[ "$got" = "$want" ] || echo "handshakes per client $got, wanted $want" >"$tmp/d"
verdict events-clients-freq-three-servers "$tmp/d"

# ---- colour -----------------------------------------------------------------------
F=pcaps/lab/freq-three-servers.pcap
esc() { LC_ALL=C grep -c $'\x1b' "$1"; } # lines with an escape character
# not a terminal: never
cs -r "$F" "${TRUST[@]}" --all --details >"$tmp/pipe.txt" 2>/dev/null
: >"$tmp/d"
[ "$(esc "$tmp/pipe.txt")" = 0 ] || echo "escape sequences in piped output" >"$tmp/d"
verdict color-pipe "$tmp/d"
if command -v script >/dev/null 2>&1 && script -qec true /dev/null </dev/null >/dev/null 2>&1; then
	# on_tty NAME ENV... -- ARGS...: run the binary on a terminal (stdout and
	# stderr; stderr is dropped so progress output cannot interfere)
	on_tty() {
		local out=$1 cmd
		shift
		local -a envs=()
		while [ "$1" != -- ]; do envs+=("$1"); shift; done
		shift
		cmd=$(printf '%q ' "$bin" "$@")
		env "${envs[@]}" TZ=UTC script -qec "$cmd 2>/dev/null" /dev/null </dev/null >"$out" 2>&1
	}
	on_tty "$tmp/tty.txt" -u NO_COLOR -- -r "$F" "${TRUST[@]}" --all --details
	: >"$tmp/d"
	[ "$(esc "$tmp/tty.txt")" -gt 0 ] || echo "no escape sequence on a terminal (NO_COLOR unset)" >"$tmp/d"
	verdict color-tty "$tmp/d"
	on_tty "$tmp/tty-nc.txt" NO_COLOR=1 -- -r "$F" "${TRUST[@]}" --all --details
	: >"$tmp/d"
	[ -s "$tmp/tty-nc.txt" ] || echo "no output on the terminal" >"$tmp/d"
	[ "$(esc "$tmp/tty-nc.txt")" = 0 ] || echo "escape sequences with NO_COLOR=1" >>"$tmp/d"
	verdict color-tty-no-color "$tmp/d"
	on_tty "$tmp/tty-o.txt" -u NO_COLOR -- -r "$F" "${TRUST[@]}" --all --details -o "$tmp/tty-file.txt"
	: >"$tmp/d"
	[ -s "$tmp/tty-file.txt" ] || echo "-o wrote nothing" >"$tmp/d"
	[ "$(esc "$tmp/tty-file.txt")" = 0 ] || echo "escape sequences in the -o file" >>"$tmp/d"
	verdict color-tty-output-file "$tmp/d"
	for fmt in json csv; do
		on_tty "$tmp/tty.$fmt" -u NO_COLOR -- -r "$F" "${TRUST[@]}" --format "$fmt"
		: >"$tmp/d"
		[ -s "$tmp/tty.$fmt" ] || echo "no output on the terminal" >"$tmp/d"
		[ "$(esc "$tmp/tty.$fmt")" = 0 ] || echo "escape sequences in $fmt on a terminal" >>"$tmp/d"
		verdict "color-tty-$fmt" "$tmp/d"
	done
else
	for c in color-tty color-tty-no-color color-tty-output-file color-tty-json color-tty-csv; do
		skip "$c" "script(1) from bsdutils is not available"
	done
fi

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
