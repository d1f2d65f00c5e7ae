#!/usr/bin/env bash
# rsyslog.sh - --events shipped by rsyslog with scripts/rsyslog-chainsniff.conf
# (docs/operations.md, "Shipping events to a pipeline"): the shipped file,
# with its two paths rewritten into a temporary directory, run by a real
# rsyslogd in the foreground (its own pid file and work directory, no
# network module, no /dev/log: it cannot meet a system rsyslog), its active
# omfile action compared with what chainsniff wrote.
#
#   rsyslog-conf-*      the file passes rsyslogd -N1 as shipped, as a drop-in
#                       included by Debian's /etc/rsyslog.conf, and with its
#                       omkafka and omelasticsearch blocks uncommented; the
#                       check refuses a misspelt parameter (it can fail)
#   rsyslog-private     rsyslogd listens on no socket
#   rsyslog-files-*     the events of committed captures (every diag-*
#                       chain problem, the hostile strings of html-hostile,
#                       freq-hostile-sni and hostile-chains, the longest line
#                       of the real captures): the output file is the
#                       events file, byte for byte and in order; every line
#                       is one JSON object (jq, Python's strict json); the
#                       hostile SNIs and subjects are there
#   rsyslog-long-line   a synthetic event line of 7 MiB (the bound of
#                       rsyslog-chainsniff.conf's maxMessageSize comment)
#                       arrives whole
#   rsyslog-rotate-*    chainsniff reading a capture fed through a FIFO keeps
#                       writing while its file is rotated twice: a rename
#                       followed by lines into the renamed file before the
#                       SIGHUP (the window of every rename rotation, made
#                       wide), then the real logrotate with the shipped
#                       scripts/chainsniff.logrotate in its "nocreate"
#                       form (see the doc); no event lost, none twice
#
# Waits poll for what rsyslog wrote (at most 30 s each), never for a time.
# Needs jq and logrotate; rsyslogd too, except that without root (where
# scripts/deps.sh cannot have installed it) a missing rsyslogd is skipped.
#   tests/e2e/rsyslog.sh BINARY
. "$(dirname "$0")/lib.sh" rsyslog "$1"
need jq logrotate
RSYSLOGD=$(command -v rsyslogd || echo /usr/sbin/rsyslogd)
if [ ! -x "$RSYSLOGD" ]; then
	if [ "$(id -u)" -ne 0 ]; then
		echo "skipped rsyslog: rsyslogd is not installed (scripts/deps.sh installs it as root)"
		echo "0 passed, 0 failed, 1 skipped"
		exit 0
	fi
	echo "rsyslog.sh: rsyslogd is required (scripts/deps.sh)" >&2
	exit 2
fi
pids=()
trap 'kill "${pids[@]}" 2>/dev/null; wait 2>/dev/null; rm -rf "$T"' EXIT
expect() {
	local name=$1
	shift
	if "$@"; then ok "$name"; else bad "$name" "$*"; fi
}
# wait_for COMMAND...: until it succeeds, at most 30 s (an event, not a time)
wait_for() {
	for _ in $(seq 300); do "$@" && return 0; sleep 0.1; done
	return 1
}
lines() { if [ -f "$1" ]; then wc -l < "$1"; else echo 0; fi; }
has_lines() { [ "$(lines "$1")" -eq "$2" ]; }

LOG=$T/log EV=$T/log/events.ndjson OUT=$T/shipped.ndjson
mkdir -p "$LOG" "$T/work"
install -m 0640 /dev/null "$EV"

########## the configuration ##########
CONF=scripts/rsyslog-chainsniff.conf
sed -e "s#\"/var/log/chainsniff/events.ndjson\"#\"$EV\"#" \
	-e "s#\"/var/log/chainsniff-shipped.ndjson\"#\"$OUT\"#" "$CONF" > "$T/chainsniff.conf"
expect conf-paths-rewritten [ "$(grep -cF -e "File=\"$EV\"" -e "file=\"$OUT\"" "$T/chainsniff.conf")" -eq 2 ]
# what Debian's /etc/rsyslog.conf provides before its include: a work directory
main_conf() { # included-file -> a master configuration
	printf 'global(workDirectory="%s")\ninclude(file="%s")\n' "$T/work" "$1"
}
main_conf "$T/chainsniff.conf" > "$T/main.conf"
# the pipeline blocks uncommented, as an operator enables them
sed -e 's/^#module(load="om/module(load="om/' -e 's/^\t#\(action(\|       \)/\t\1/' \
	"$T/chainsniff.conf" > "$T/pipeline.conf"
main_conf "$T/pipeline.conf" > "$T/main-pipeline.conf"
sed 's/topic="chainsniff-events"/topic="chainsniff-events" tpoic="x"/' "$T/pipeline.conf" > "$T/typo.conf"
main_conf "$T/typo.conf" > "$T/main-typo.conf"
check() { "$RSYSLOGD" -N1 -f "$1" > "$T/n1.out" 2>&1; }
expect conf-valid check "$T/main.conf"
# as installed: Debian's /etc/rsyslog.conf (imuxsock, imklog, its work
# directory) including the file from a directory of ours
mkdir -p "$T/rsyslog.d"
cp "$CONF" "$T/rsyslog.d/chainsniff.conf"
sed "s#^\$IncludeConfig /etc/rsyslog.d/\*.conf#\$IncludeConfig $T/rsyslog.d/*.conf#" /etc/rsyslog.conf > "$T/debian.conf"
expect conf-debian-dropin-included grep -q "^\$IncludeConfig $T/rsyslog.d/" "$T/debian.conf"
expect conf-debian-dropin check "$T/debian.conf"
expect conf-pipeline-blocks-enabled [ "$(grep -cE '^(module\(load="om|'$'\t''action\(type="om(kafka|elasticsearch))' "$T/pipeline.conf")" -eq 4 ]
expect conf-pipeline-valid check "$T/main-pipeline.conf"
if check "$T/main-typo.conf"; then
	bad conf-check-can-fail "rsyslogd -N1 accepted a parameter tpoic"
elif grep -q "parameter 'tpoic' not known" "$T/n1.out"; then
	ok conf-check-can-fail
else
	bad conf-check-can-fail "$(head -3 "$T/n1.out")"
fi

########## rsyslogd in the foreground ##########
"$RSYSLOGD" -n -f "$T/main.conf" -i "$T/rsyslogd.pid" > "$T/rsyslogd.out" 2> "$T/rsyslogd.err" &
RS=$!
pids+=("$RS")
wait_for [ -s "$T/rsyslogd.pid" ]
expect private bash -c "! ss -Hlxtunp 2>/dev/null | grep -q 'pid=$RS,'"

########## events of committed captures ##########
CAPS=(pcaps/lab/diag-*.pcap pcaps/lab/html-hostile.pcap pcaps/lab/freq-hostile-sni.pcap
	pcaps/lab/hostile-chains.pcap pcaps/real/suricata-verify__tcp-empty-sack__tcp-opt.pcap
	pcaps/real/zeek__tls__tls-fragmented-handshake.pcap pcaps/real/ndpi__tls_verylong_certificate.pcap)
for f in "${CAPS[@]}"; do
	"$BIN" -r "$f" "${TRUST[@]}" --sensor rsyslog-e2e --events "$EV" -o /dev/null 2>> "$T/cs.err" ||
		bad "files-run-$(basename "$f")" "exit $?"
done
n=$(lines "$EV")
expect files-events-written [ "$n" -ge "${#CAPS[@]}" ]
wait_for has_lines "$OUT" "$n"
expect files-all-shipped has_lines "$OUT" "$n"
expect files-identical cmp -s "$EV" "$OUT"
expect files-json-jq [ "$(jq -c . "$OUT" 2>/dev/null | wc -l)" -eq "$n" ]
expect files-json-strict "$PY" -c '
import json, sys
for line in open(sys.argv[1], encoding="utf-8"):
    assert type(json.loads(line)) is dict and line.endswith("}\n"), line[:80]
' "$OUT"
# hostile strings as the wire had them (decoded from JSON: the characters
# themselves, bidi overrides and C1 controls included)
hostile() { # name, member (sni or subject), the string as a JSON literal
	if "$PY" -c '
import json, sys
path, member, want = sys.argv[1], sys.argv[2], json.loads(sys.argv[3])
for line in open(path, encoding="utf-8"):
    ev = json.loads(line)
    got = ev["sni"] if member == "sni" else (ev["leaf"] or {}).get("subject")
    if got and want in got:
        sys.exit(0)
sys.exit(1)
' "$OUT" "$2" "$3"; then ok "$1"; else bad "$1" "no $2 holding $3"; fi
}
hostile files-hostile-sni-script sni '"<script>alert(5)</script>\"onerror=alert(6) x='"'"'"'
hostile files-hostile-sni-bidi sni '"\u202e<b>bad\u00ff\u00fe.test"'
hostile files-hostile-subject subject '"L=\\07\\1B[2J\u0085,OU=\u202egnp.exe\u202c,"'
longest=$(LC_ALL=C awk '{ if (length($0) > m) m = length($0) } END { print m }' "$OUT")
expect files-longest-line [ "$longest" -ge 2000 ]

########## one line as long as the bound ##########
# A real event with its leaf subject made 7 MiB of escaped text (a hostile
# certificate can make chainsniff write about 6 MiB; rsyslog's default limit
# is 8 KiB), appended as chainsniff appends.
head -1 "$EV" | "$PY" -c '
import json, sys
ev = json.loads(sys.stdin.readline())
ev["input"] = "synthetic-long-line"
ev["leaf"]["subject"] = "CN=" + "\u202e\u0085" * (7 * 1024 * 1024 // 12)
sys.stdout.write(json.dumps(ev, separators=(",", ": ")) + "\n")
' > "$T/long.ndjson"
cat "$T/long.ndjson" >> "$EV"
n=$((n + 1))
wait_for has_lines "$OUT" "$n"
tail -1 "$OUT" > "$T/long.out"
expect long-line-size [ "$(stat -c %s "$T/long.ndjson")" -ge $((7 * 1024 * 1024)) ]
expect long-line-whole cmp -s "$T/long.ndjson" "$T/long.out"
expect long-line-identical cmp -s "$EV" "$OUT"

########## rotation while chainsniff writes ##########
# The lab session of one-intermediate.pcap replayed on demand into a FIFO
# that chainsniff reads: each "N" on the control FIFO sends N more
# sessions (a new client port each), "end" closes the capture.  While no
# command waits, an ARP frame every 50 ms: a file run takes a verdict the
# analysis thread finished when it reads its next frame, so a pipe that
# pauses would hold the last events back until more input came.
mkfifo "$T/feed.pcap" "$T/control"
"$PY" - pcaps/lab/one-intermediate.pcap "$T/feed.pcap" "$T/control" <<'PY' &
import os, select, struct, sys
src, feed, control = sys.argv[1:4]
d = open(src, "rb").read()
frames, o = [], 24
while o + 16 <= len(d):
    s, us, cl, wl = struct.unpack("<IIII", d[o:o + 16])
    frames.append((s, us, wl, d[o + 16:o + 16 + cl]))
    o += 16 + cl
ARP = bytes(12) + b"\x08\x06" + bytes(28)
sent, last = 0, frames[0][:2]
with open(feed, "wb") as out:
    out.write(d[:24])
    out.flush()
    ctl, pending = os.open(control, os.O_RDONLY), b""
    while True:
        if not select.select([ctl], [], [], 0.05)[0]:
            if sent:
                out.write(struct.pack("<IIII", last[0], last[1], len(ARP), len(ARP)) + ARP)
                out.flush()
            continue
        chunk = os.read(ctl, 4096)
        pending += chunk
        if not chunk or b"end" in pending:
            break
        while b"\n" in pending:
            cmd, pending = pending.split(b"\n", 1)
            for _ in range(int(cmd)):
                for s, us, wl, b in frames:
                    b = bytearray(b)
                    tcp = 14 + (b[14] & 15) * 4
                    at = tcp if struct.unpack(">H", b[tcp + 2:tcp + 4])[0] == 443 else tcp + 2
                    b[at:at + 2] = struct.pack(">H", 30000 + sent)  # the client's port
                    last = (s + 10 * sent, us)
                    out.write(struct.pack("<IIII", *last, len(b), wl) + bytes(b))
                sent += 1
            out.flush()
PY
pids+=($!)
exec 7<> "$T/control" # read-write: the open does not wait for the feeder
"$BIN" -r "$T/feed.pcap" --ca-file pcaps/lab/pki/root.pem --sensor rsyslog-e2e --events "$EV" \
	--format json -o "$T/feed.json" 2> "$T/feed.err" &
CS=$!
pids+=("$CS")
send() { echo "$1" >&7; }
base=$n
send 3
wait_for has_lines "$EV" $((base + 3))
wait_for has_lines "$OUT" $((base + 3))
expect rotate-before has_lines "$OUT" $((base + 3))

# 1: renamed (as logrotate does), three more sessions before the SIGHUP:
# chainsniff appends them to the renamed file, which rsyslog must read to
# its end although no new file exists yet
mv "$EV" "$EV.1"
send 3
wait_for has_lines "$EV.1" $((base + 6))
expect rotate-window-used has_lines "$EV.1" $((base + 6))
kill -HUP "$CS"
send 3
wait_for has_lines "$EV" 3
expect rotate-reopened has_lines "$EV" 3

# 2: the shipped logrotate file, in its nocreate form, run by logrotate
sed -e "s#/var/log/chainsniff#$LOG#" -e 's#^\tcreate .*#\tnocreate#' \
	-e "s#systemctl reload chainsniff.service >/dev/null 2>\&1 || true#kill -HUP $CS#" \
	scripts/chainsniff.logrotate > "$T/logrotate.conf"
expect rotate-logrotate-conf bash -c "grep -q '^$LOG/\\*.ndjson {' '$T/logrotate.conf' &&
	grep -qx $'\\tnocreate' '$T/logrotate.conf' && grep -q 'kill -HUP $CS' '$T/logrotate.conf'"
logrotate -f -s "$T/logrotate.state" "$T/logrotate.conf" 2> "$T/logrotate.err"
# (nocreate: no new file but the one chainsniff opens on the SIGHUP, empty
# until the next event; a quiet input takes the SIGHUP at once)
expect rotate-logrotate-ran bash -c "[ -f '$EV.1' ] && [ -f '$EV.2.gz' ] && [ ! -s '$EV' ] && [ ! -s '$T/logrotate.err' ]"
send 3
wait_for has_lines "$EV" 3
send end
exec 7>&-
wait "$CS"
expect rotate-chainsniff-exit-0 [ $? -eq 0 ]
expect rotate-handshakes [ "$(jq '.totals.tls_handshakes' "$T/feed.json")" -eq 12 ]
cat "$EV.1" <(zcat "$EV.2.gz") "$EV" | sort > "$T/all.sorted"
total=$(lines "$T/all.sorted")
expect rotate-all-in-files [ "$total" -eq $((base + 12)) ]
wait_for has_lines "$OUT" "$total"
sort "$OUT" > "$T/out.sorted"
expect rotate-none-lost has_lines "$OUT" "$total"
expect rotate-same-lines cmp -s "$T/all.sorted" "$T/out.sorted"
expect rotate-none-twice [ -z "$(uniq -d "$T/out.sorted")" ]

kill -TERM "$RS"
wait "$RS"
expect rsyslogd-exit-0 [ $? -eq 0 ]
# nothing said: no line cut ("truncated"), no imfile error
expect rsyslogd-quiet [ ! -s "$T/rsyslogd.err" ]
[ -s "$T/rsyslogd.err" ] && head -5 "$T/rsyslogd.err"

echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
