#!/usr/bin/env bash
# html.sh - the HTML report (--format html, merge --format html, the .html
# of each --report-dir window) read by a strict parser and by a real
# browser (issue 15, "Tests").  Checks, named html-*:
#
#   run-*       one run over lab captures: freq-three-servers (3 clients),
#               diag-missing-seen, diag-client-rejects (a client rejects),
#               freq-hostile-sni (controls, formulas, not UTF-8) and
#               html-hostile (an SNI and certificate names with <script>,
#               "onerror=, </style>, a bidi override; pcaps/README.md)
#   merged-*    `chainsniff merge --format html` of the window files the same
#               captures give with --interval 1m (one per minute with traffic,
#               over two weeks of capture time)
#   *-strict    htmlcheck.py strict: known elements and attributes only, every
#               element closed in order, only the five references, the CSP
#   *-dom       headless Chromium's --dump-dom holds as many elements as the
#               page wrote and no element or attribute it did not write (no
#               script ran, no markup came from the capture)
#   *-numbers   the headline and the table equal the JSON report of the same
#               input (and the distinct clients of the text report); servers
#               and problem codes in the JSON's order
#   run-hostile-text  the hostile SNI and subjects are shown as text, whole
#   *-pixels    Chromium's screenshot is not blank
#   merged-trend      windows table, one bar per window span, became broken and
#               fixed equal the merged JSON report
#   windows-html      every window JSON of --report-dir has its .html, strict
#   mail-*      scripts/daily-summary.sh windows with MAIL_TO and a SENDMAIL
#               that keeps the message: one MIME message whose body is the
#               text summary and whose attachment is the HTML page, byte for
#               byte (Python's email parser reads it)
#
# Chromium starts 4 times (2 DOM dumps, 2 screenshots).  Needs chromium,
# fonts-dejavu-core, python3-pil (scripts/deps.sh): never skipped.
#   tests/e2e/html.sh BINARY
. "$(dirname "$0")/lib.sh" html "$1"
export TZ=UTC
CHECK=tests/e2e/htmlcheck.py
# check ARGS...: htmlcheck.py's "ok NAME" / "FAIL NAME" lines, counted
check() {
	local line
	while IFS= read -r line; do
		case $line in
		"ok "*) echo "ok html-${line#ok }"; pass=$((pass + 1)) ;;
		"FAIL "*) echo "FAIL html-${line#FAIL }"; fail=$((fail + 1)) ;;
		*) echo "$line" ;;
		esac
	done < <("$PY" "$CHECK" "$@" 2>&1 || true)
}
# chrome ARGS... URL: headless, its own profile, nothing from the network
chrome() {
	timeout -k 5 120 chromium --headless --no-sandbox --disable-gpu --no-first-run \
		--disable-background-networking --disable-extensions --user-data-dir="$T/profile" \
		--hide-scrollbars "$@" 2>>"$T/chrome.err"
}
for t in chromium "$PY"; do
	command -v "$t" >/dev/null || { echo "html.sh: $t not found (scripts/deps.sh installs it)" >&2; exit 2; }
done

CAPS=(-r pcaps/lab/freq-three-servers.pcap -r pcaps/lab/diag-missing-seen.pcap
	-r pcaps/lab/diag-client-rejects.pcap -r pcaps/lab/freq-hostile-sni.pcap
	-r pcaps/lab/html-hostile.pcap)
cat pcaps/lab/pki/trust.pem pcaps/lab/pki/hostile-root.pem > "$T/trust.pem"
TRUST=(--ca-file "$T/trust.pem")

########## one run ##########
"$BIN" "${CAPS[@]}" "${TRUST[@]}" --format html -o "$T/run.html" 2>"$T/err"
expect run-exit [ $? -eq 0 ]
"$BIN" "${CAPS[@]}" "${TRUST[@]}" --format json -o "$T/run.json" 2>>"$T/err"
"$BIN" "${CAPS[@]}" "${TRUST[@]}" -o "$T/run.txt" 2>>"$T/err"
check strict run-strict "$T/run.html"
chrome --dump-dom "file://$T/run.html" > "$T/run.dom"
expect run-dom-dumped [ -s "$T/run.dom" ]
check dom run-dom "$T/run.html" "$T/run.dom"
check numbers run-numbers "$T/run.dom" "$T/run.json" "$T/run.txt"
# as the terminal escaping shows them (esc_term), whole, as text
check text run-hostile-text "$T/run.dom" \
	"<script>alert(5)</script>\"onerror=alert(6) x='" \
	'\u{202E}<b>bad\xff\xfe.test' \
	"L=\\07\\1B[2J\\xc2\\x85,OU=\\u{202E}gnp.exe\\u{202C},O=\\\"onerror=alert(2) x=',CN=\\<script\\>alert(1)\\</script\\>" \
	'O=\</style\>\<script\>alert(4)\</script\>,CN=\<img src=x onerror=alert(3)\>' \
	'\x1b[31mred\x1b[0m.test' '\x0d\x0anewline.test'
chrome --screenshot="$T/run.png" --window-size=1000,1400 "file://$T/run.html" >/dev/null
check pixels run-pixels "$T/run.png"

########## the windows of a sensor, merged ##########
"$BIN" "${CAPS[@]}" "${TRUST[@]}" --sensor w --interval 1m --report-dir "$T/d" -o /dev/null 2>>"$T/err"
expect windows-exit [ $? -eq 0 ]
n_json=$(ls "$T"/d/*.json | wc -l)
n_html=$(ls "$T"/d/*.html | wc -l)
expect windows-html-each [ "$n_json" -ge 2 ] && [ "$n_json" -eq "$n_html" ]
missing=""
for j in "$T"/d/*.json; do [ -s "${j%.json}.html" ] || missing="$missing $j"; done
expect windows-html-beside [ -z "$missing" ]
check strict windows-html-strict "$(ls "$T"/d/*.html | tail -1)"
"$BIN" merge --format html -o "$T/merged.html" "$T"/d/*.json 2>>"$T/err"
expect merged-exit [ $? -eq 0 ]
"$BIN" merge --format json -o "$T/merged.json" "$T"/d/*.json 2>>"$T/err"
"$BIN" merge --format text -o "$T/merged.txt" "$T"/d/*.json 2>>"$T/err"
check strict merged-strict "$T/merged.html"
chrome --dump-dom "file://$T/merged.html" > "$T/merged.dom"
check dom merged-dom "$T/merged.html" "$T/merged.dom"
check numbers merged-numbers "$T/merged.dom" "$T/merged.json" "$T/merged.txt"
check merged merged-trend "$T/merged.dom" "$T/merged.json"
chrome --screenshot="$T/merged.png" --window-size=1000,1400 "file://$T/merged.html" >/dev/null
check pixels merged-pixels "$T/merged.png"

########## daily-summary.sh mails the text with the page attached ##########
printf '#!/bin/sh\ncat > "%s/mail.eml"\n' "$T" > "$T/sendmail"
chmod +x "$T/sendmail"
CHAINSNIFF=$BIN OUT_DIR="$T/daily" MAIL_TO=tls@example.org SENDMAIL="$T/sendmail" DAYS=14 \
	scripts/daily-summary.sh windows 2026-12-06 "$T/d" 2>>"$T/err"
expect mail-exit [ $? -eq 0 ]
base=$(ls "$T"/daily/*.html 2>/dev/null | head -1)
base=${base%.html}
"$PY" - "$T/mail.eml" "$base.txt" "$base.html" > "$T/mail.out" 2>&1 <<'PYEOF'
import email, email.policy, sys
msg = email.message_from_binary_file(open(sys.argv[1], "rb"), policy=email.policy.default)
parts = list(msg.iter_parts())
assert msg["To"] == "tls@example.org" and msg.get_content_type() == "multipart/mixed", msg["To"]
assert [p.get_content_type() for p in parts] == ["text/plain", "text/html"], parts
assert parts[0].get_content().rstrip("\n") == open(sys.argv[2], encoding="utf-8").read().rstrip("\n")
assert parts[1].get_content_disposition() == "attachment"
assert parts[1].get_payload(decode=True) == open(sys.argv[3], "rb").read()
PYEOF
expect mail-mime [ $? -eq 0 ]
[ -s "$T/mail.out" ] && sed 's/^/    /' "$T/mail.out"

if [ "$fail" -gt 0 ] && [ -s "$T/err" ]; then sed 's/^/    stderr: /' "$T/err" | head -20; fi
echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
