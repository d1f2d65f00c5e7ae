#!/usr/bin/env bash
# install.sh - what an operator installs and runs first: `make install`
# with PREFIX and DESTDIR, the man page generated from the option table
# (renders without groff warnings, names every option of --help, equals
# --help-man), --version with the run-time library versions, the progress
# line naming the file, and daily-summary.sh refusing captures of another
# day.  No root needed.
#   tests/e2e/install.sh BINARY
. "$(dirname "$0")/lib.sh" install "$1"
case $BIN in */build/asan/*) SAN=1 ;; *) SAN= ;; esac

########## make install ##########
D=$T/inst
make --no-print-directory SANITIZE=$SAN install DESTDIR="$D" PREFIX=/usr > "$T/make.out" 2>&1
expect make-install [ $? -eq 0 ]
mode() { stat -c %a "$1" 2>/dev/null; }
expect bin [ "$(mode "$D/usr/bin/chainsniff")" = 755 ]
expect man [ "$(mode "$D/usr/share/man/man8/chainsniff.8")" = 644 ]
for f in README.md operations.md report-format.md metrics.md problems.md exit-codes.md; do
	expect "doc-$f" [ "$(mode "$D/usr/share/doc/chainsniff/$f")" = 644 ]
done
expect example [ "$(mode "$D/usr/share/doc/chainsniff/examples/daily-summary.sh")" = 755 ]
expect logrotate [ "$(mode "$D/etc/logrotate.d/chainsniff")" = 644 ]
U=$D/usr/lib/systemd/system/chainsniff.service
expect unit [ "$(mode "$U")" = 644 ]
expect unit-execstart grep -q '^ExecStart=/usr/bin/chainsniff ' "$U"
expect unit-no-local [ "$(grep -v '^#' "$U" | grep -c /usr/local)" -eq 0 ]
expect installed-binary-runs bash -c "'$D/usr/bin/chainsniff' --version | head -1 | grep -qx 'chainsniff [0-9.]*'"
make --no-print-directory SANITIZE=$SAN uninstall DESTDIR="$D" PREFIX=/usr > "$T/make.out" 2>&1
expect uninstall [ -z "$(find "$D" -type f)" ]

########## the man page ##########
"$BIN" --help-man > "$T/chainsniff.8"
expect man-is-generated cmp -s "$T/chainsniff.8" "build/$( [ -n "$SAN" ] && echo asan || echo release)/chainsniff.8"
groff -man -Tascii -ww -z "$T/chainsniff.8" 2> "$T/groff.err"
expect man-no-groff-warnings [ ! -s "$T/groff.err" ]
groff -man -Tascii -rLL=200n -P-cbou "$T/chainsniff.8" > "$T/man.txt" 2>/dev/null
missing=""
for opt in $("$BIN" --help | grep -oE '^  (-[a-zA-Z], )?--?[a-zA-Z][a-z-]*' | grep -oE -- '--?[a-zA-Z][a-z-]*'); do
	grep -qF -- "$opt" "$T/man.txt" || missing="$missing $opt"
done
expect man-every-option [ -z "$missing" ]
for s in SYNOPSIS OPTIONS MERGE SIGNALS "EXIT STATUS" FILES "SEE ALSO"; do
	expect "man-section-${s// /-}" grep -q "^$s" "$T/man.txt"
done

########## --version: the libraries it runs with ##########
"$BIN" --version > "$T/version"
expect version-lines [ "$(wc -l < "$T/version")" -eq 4 ]
expect version-libpcap [ "$(sed -n 2p "$T/version")" = "$(tcpdump --version 2>&1 | grep '^libpcap version')" ]
expect version-openssl bash -c "openssl version | grep -qF \"(Library: $(sed -n 3p "$T/version"))\" ||
	[ \"\$(openssl version)\" = \"$(sed -n 3p "$T/version")\" ]"
jv=$(dpkg-query -W -f='${Version}' libjansson4 2>/dev/null | sed 's/-.*//')
expect version-jansson [ "$(sed -n 4p "$T/version")" = "jansson $jv" ]

########## the progress line names the file ##########
script -qfec "'$BIN' -r pcaps/lab/leaf-only.pcap -r pcaps/lab/one-intermediate.pcap -o /dev/null" \
	/dev/null > "$T/tty.out" 2>&1
expect progress-file-1 grep -q 'file 1/2 pcaps/lab/leaf-only.pcap: 0 of 0 MB (' "$T/tty.out"
expect progress-file-2 grep -q 'file 2/2 pcaps/lab/one-intermediate.pcap: ' "$T/tty.out"
"$BIN" -r pcaps/lab/leaf-only.pcap -o /dev/null 2> "$T/notty.err"
expect progress-not-without-tty [ ! -s "$T/notty.err" ]

########## daily-summary.sh: only the day asked for ##########
mkdir -p "$T/pcap"
cp pcaps/lab/leaf-only.pcap "$T/pcap/gw-20261205-000000.pcap" # holds 2026-11-23 traffic
run_daily() {
	CHAINSNIFF=$BIN PCAP_PATTERN="$T/pcap/gw-%Y%m%d-*.pcap" OUT_DIR=$T/daily SENSOR=gw1 \
		CLIENT_KEY=$T/client.key \
		scripts/daily-summary.sh captures "$1" > "$T/daily.out" 2> "$T/daily.err"
}
run_daily 2026-12-05
expect daily-wrong-day-refused [ $? -eq 1 ]
expect daily-wrong-day-says-why grep -q 'no frame of the 1 capture(s) for 2026-12-05 is from 2026-12-05' "$T/daily.err"
expect daily-wrong-day-nothing-written [ -z "$(ls "$T/daily" 2>/dev/null | grep -v '^\.')" ]
cp pcaps/lab/leaf-only.pcap "$T/pcap/gw-20261123-020000.pcap"
run_daily 2026-11-23
expect daily-right-day [ $? -eq 0 ]
expect daily-right-day-written [ -s "$T/daily/chainsniff-daily-gw1-20261123.state.json" ]
expect daily-right-day-counts bash -c "[ \"\$(jq -c '[.totals.packets, .totals.tls_handshakes]' '$T/daily/chainsniff-daily-gw1-20261123.json')\" = '[17,1]' ]"

echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
