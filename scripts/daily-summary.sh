#!/usr/bin/env bash
# daily-summary.sh - an example: a daily chain report from the day's rotated
# captures, and a fleet-wide one from the daily states of several sensors.
# See docs/operations.md ("Daily summaries").
#
#   daily-summary.sh captures [DAY]        one sensor: the captures of DAY
#   daily-summary.sh merge [DAY] [STATE...]  several sensors: their DAY states
#   daily-summary.sh windows [DAY] [REPORT_DIR...]  running sensors: the
#                                          periodic windows of DAY (DAYS=7: a week)
#
# DAY is YYYY-MM-DD (UTC), yesterday by default.  Run from cron or a systemd
# timer shortly after midnight UTC, e.g.
#   15 0 * * *  root  /usr/local/bin/daily-summary.sh captures
#   45 0 * * *  root  /usr/local/bin/daily-summary.sh merge
#   5 1 * * *   root  /usr/local/bin/daily-summary.sh windows
#   10 1 * * 1  root  DAYS=7 /usr/local/bin/daily-summary.sh windows
#
# captures: reads the files that PCAP_PATTERN names for DAY, in name order
# (time order for names made from strftime), as ONE stream so that
# connections crossing a rotation join up: the first file whole, the others
# without their 24-byte pcap header (classic pcap only, all with the same
# header: same link type, snaplen and precision, as one tcpdump -G writes
# them; otherwise each file is read as its own -r input).  Writes into
# OUT_DIR, atomically:
#   chainsniff-daily-SENSOR-YYYYmmdd.state.json  counts, chains and client
#                                                sketches: what merge reads
#   chainsniff-daily-SENSOR-YYYYmmdd.json        the report (report-format.md)
#   chainsniff-daily-SENSOR-YYYYmmdd.txt         the text summary (--top TOP)
#   chainsniff-daily-SENSOR-YYYYmmdd.html        the same as one self-contained
#                                                HTML page (trend chart, details)
# Only frames captured on DAY (UTC) count (--since DAY --until DAY+1): a
# capture named for DAY that holds another day's traffic (a wrong clock, a
# file copied under the wrong name) is refused when none of its frames is
# from DAY, and frames outside DAY are left out with a warning.
# merge: `chainsniff merge` of the given state files, by default every
#   MERGE_DIR/chainsniff-daily-*-YYYYmmdd.state.json (copy each sensor's
#   state file there, e.g. with rsync), into
#   OUT_DIR/chainsniff-daily-merged-YYYYmmdd.{json,txt,html}.  Merge counts each
#   distinct client once across sensors and refuses (exit 6) two files of
#   the same sensor over overlapping windows.
# windows: `chainsniff merge` of the periodic window files (--report-dir) of
#   DAY, or of the DAYS days ending with DAY, from each REPORT_DIR
#   [/var/lib/chainsniff/reports]: every chainsniff-*.json whose name (the
#   window's end time) is after 00:00:00 of the first day and at or before
#   00:00:00 of the day after the last.  The sensors keep running; the
#   windows add up to exactly what they saw in the period.  Writes
#   OUT_DIR/chainsniff-windows-YYYYmmdd[-Ndays].{json,txt,html}; its HTML
#   draws the trend of broken servers and handshakes per window.
# With MAIL_TO set, each mode then mails its summary: the text report as
# the body, the HTML page attached (mail clients strip inline SVG and
# styles: open the attachment in a browser), handed to sendmail -t, e.g.
#   5 1 * * *   root  MAIL_TO=tls-team@example.org /usr/local/bin/daily-summary.sh windows
#
# Settings (environment; defaults in brackets):
#   CHAINSNIFF     the binary [/usr/local/bin/chainsniff]
#   PCAP_PATTERN   strftime pattern of the day's captures
#                  [/var/log/pcap/*-%Y%m%d-*.pcap.gz], e.g. for
#                  tcpdump -G 3600 -z gzip -w /var/log/pcap/gw-%Y%m%d-%H%M%S.pcap
#   OUT_DIR        where the summaries go [/var/lib/chainsniff/daily]
#   MERGE_DIR      where the sensors' daily states are collected [$OUT_DIR/incoming]
#   SENSOR         the sensor name in the report [the host name]
#   CLIENT_KEY     the client key file, shared by every sensor whose daily
#                  states are merged (docs/operations.md, "The client key")
#                  [/var/lib/chainsniff/client.key]
#   TOP            servers listed in the text summary [20]
#   DAYS           windows: how many days, ending with DAY [1]
#   MAIL_TO        mail the summary to these addresses (comma-separated) [none]
#   MAIL_FROM      its From: [chainsniff@<host name>]
#   SENDMAIL       the sendmail program (Postfix, Exim, msmtp, ...) [/usr/sbin/sendmail]
#   CHAINSNIFF_ARGS  more options for the capture run, split at white space
#                  (e.g. "--ca-file /etc/chainsniff/roots.pem --server-net 192.0.2.0/24")
# Exit status: chainsniff's (docs/exit-codes.md; 3 when a capture was
# truncated or damaged: the summary covers what was read), 1 when there is
# nothing to read or the mail could not be handed to sendmail (the files
# are written), 2 on a usage error.
set -euo pipefail

CHAINSNIFF=${CHAINSNIFF:-/usr/local/bin/chainsniff}
PCAP_PATTERN=${PCAP_PATTERN:-/var/log/pcap/*-%Y%m%d-*.pcap.gz}
OUT_DIR=${OUT_DIR:-/var/lib/chainsniff/daily}
MERGE_DIR=${MERGE_DIR:-$OUT_DIR/incoming}
SENSOR=${SENSOR:-$(hostname)}
CLIENT_KEY=${CLIENT_KEY:-/var/lib/chainsniff/client.key}
TOP=${TOP:-20}
MAIL_TO=${MAIL_TO:-}
MAIL_FROM=${MAIL_FROM:-chainsniff@$(hostname)}
SENDMAIL=${SENDMAIL:-/usr/sbin/sendmail}
read -r -a EXTRA <<<"${CHAINSNIFF_ARGS:-}"

usage() {
	sed -n "6,9p" "$0" | sed 's/^# *//' >&2
	exit 2
}
die() {
	echo "daily-summary: $*" >&2
	exit "${2:-1}"
}

mode=${1:-}
[ $# -gt 0 ] && shift
DAY=$(date -u -d yesterday +%F)
if [ $# -gt 0 ] && [[ $1 =~ ^[0-9]{4}-[0-9]{2}-[0-9]{2}$ ]]; then
	DAY=$1
	shift
fi
STAMP=$(date -u -d "$DAY" +%Y%m%d) || die "bad day: $DAY" 2
NEXT=$(date -u -d "$DAY + 1 day" +%F)
# The sensor name goes into a file name: keep it tame (as chainsniff does).
TAME=$(printf '%s' "$SENSOR" | tr -c 'A-Za-z0-9._-' '_')

mkdir -p "$OUT_DIR"
TMP=$(mktemp -d "$OUT_DIR/.daily.XXXXXX")
trap 'rm -rf "$TMP"' EXIT

# publish FILE: move TMP/FILE into OUT_DIR (rename within one file system).
publish() {
	chmod 0640 "$TMP/$1"
	mv -f "$TMP/$1" "$OUT_DIR/$1"
}

# header FILE: the first 24 bytes of a (compressed) capture, as hex.
header() {
	local h
	h=$(zcat -f -- "$1" 2>/dev/null | head -c 24 | od -An -tx1 | tr -d ' \n') || true
	echo "$h"
}

# stream FILE...: one pcap stream: the first file whole, the others without
# their global header.
stream() {
	zcat -f -- "$1"
	shift
	local f
	for f in "$@"; do
		zcat -f -- "$f" | tail -c +25
	done
}

# mail BASE: OUT_DIR/BASE.txt as the body, OUT_DIR/BASE.html attached
# (RFC 2045/2046 multipart/mixed, the page in base64), to MAIL_TO.
mail_summary() {
	local base=$1 boundary
	boundary="chainsniff-$(od -An -N12 -tx1 /dev/urandom | tr -d ' \n')"
	{
		printf 'From: %s\nTo: %s\nSubject: chainsniff: %s\n' "$MAIL_FROM" "$MAIL_TO" "$base"
		printf 'MIME-Version: 1.0\nContent-Type: multipart/mixed; boundary="%s"\n\n' "$boundary"
		printf -- '--%s\nContent-Type: text/plain; charset=utf-8\nContent-Transfer-Encoding: 8bit\n\n' "$boundary"
		cat "$OUT_DIR/$base.txt"
		printf -- '\n--%s\nContent-Type: text/html; charset=utf-8; name="%s.html"\n' "$boundary" "$base"
		printf 'Content-Disposition: attachment; filename="%s.html"\n' "$base"
		printf 'Content-Transfer-Encoding: base64\n\n'
		base64 -w 76 "$OUT_DIR/$base.html"
		printf -- '--%s--\n' "$boundary"
	} | "$SENDMAIL" -t -oi || { echo "daily-summary: $base: mail to $MAIL_TO failed" >&2; return 1; }
}

# The JSON, text and HTML reports of state files (a merge of one input is
# that input's report), published together or not at all; then mailed.
reports() { # reports BASE STATE...
	local base=$1
	shift
	"$CHAINSNIFF" merge --format json -o "$TMP/$base.json" "$@" || return $?
	"$CHAINSNIFF" merge --format text --top "$TOP" -o "$TMP/$base.txt" "$@" || return $?
	"$CHAINSNIFF" merge --format html --top "$TOP" -o "$TMP/$base.html" "$@" || return $?
	publish "$base.json"
	publish "$base.txt"
	publish "$base.html"
	[ -z "$MAIL_TO" ] || mail_summary "$base" || mail_rc=1
	return 0
}
mail_rc=0

case $mode in
captures)
	glob=$(date -u -d "$DAY" +"$PCAP_PATTERN")
	# the pattern is expanded here: pathname expansion on, word splitting off
	files=()
	IFS=
	# shellcheck disable=SC2086
	for f in $glob; do
		[ -f "$f" ] && files+=("$f")
	done
	unset IFS
	[ ${#files[@]} -gt 0 ] || die "no captures for $DAY ($glob)"
	base=chainsniff-daily-$TAME-$STAMP
	common=(--sensor "$SENSOR" --client-key "$CLIENT_KEY" --format state
		-o "$TMP/$base.state.json" --since "$DAY" --until "$NEXT" "${EXTRA[@]}")
	first=$(header "${files[0]}")
	same=yes
	case $first in a1b2c3d4* | d4c3b2a1* | a1b23c4d* | 4d3cb2a1*) ;; *) same=no ;; esac
	for f in "${files[@]:1}"; do
		[ "$(header "$f")" = "$first" ] || same=no
	done
	rc=0
	if [ $same = yes ]; then
		stream "${files[@]}" | "$CHAINSNIFF" -r - "${common[@]}" || rc=$?
	else
		# pcapng or mixed headers: each file is its own input (chainsniff
		# still joins flows across inputs); process substitution keeps
		# them compressed on disk
		inputs=()
		for f in "${files[@]}"; do
			exec {fd}< <(zcat -f -- "$f")
			inputs+=(-r "/dev/fd/$fd")
		done
		"$CHAINSNIFF" "${inputs[@]}" "${common[@]}" || rc=$?
	fi
	[ -s "$TMP/$base.state.json" ] || die "chainsniff wrote no report (exit $rc)" "$((rc ? rc : 1))"
	# frames of the day read, frames of other days left out
	read -r inday outside < <(jq -r '"\(.totals.packets) \([.inputs[].filtered] | add // 0)"' \
		"$TMP/$base.state.json") || die "unreadable report $TMP/$base.state.json"
	if [ "$inday" -eq 0 ] && [ "$outside" -gt 0 ]; then
		die "no frame of the ${#files[@]} capture(s) for $DAY is from $DAY ($outside frames left out: other days, or a -f filter): wrong clock or wrong file names? nothing written"
	fi
	[ "$outside" -eq 0 ] || echo "daily-summary: $DAY: $outside frame(s) left out (other days, or a -f filter)" >&2
	publish "$base.state.json"
	reports "$base" "$OUT_DIR/$base.state.json" || rc=$?
	echo "daily-summary: $DAY: ${#files[@]} capture(s) -> $OUT_DIR/$base.{txt,html,json,state.json}" \
		"(exit $rc)" >&2
	exit "$((rc ? rc : mail_rc))"
	;;
windows)
	days=${DAYS:-1}
	[[ $days =~ ^[1-9][0-9]*$ ]] || die "DAYS=$days: not a number of days" 2
	first=$(date -u -d "$DAY - $((days - 1)) days" +%Y%m%d)
	after=$(date -u -d "$DAY + 1 day" +%Y%m%d)
	dirs=("$@")
	[ ${#dirs[@]} -gt 0 ] || dirs=(/var/lib/chainsniff/reports)
	files=()
	for d in "${dirs[@]}"; do
		for f in "$d"/chainsniff-*.json; do
			[ -f "$f" ] || continue
			# the end time in the name: after the first midnight, at or before the last
			stamp=$(basename "$f" .json | sed -n 's/.*-\([0-9]\{8\}T[0-9]\{6\}Z\)\(_[0-9]*\)\{0,1\}$/\1/p')
			[ -n "$stamp" ] && [[ $stamp > ${first}T000000Z && ! $stamp > ${after}T000000Z ]] &&
				files+=("$f")
		done
	done
	[ ${#files[@]} -gt 0 ] || die "no window files for $DAY in ${dirs[*]}"
	base=chainsniff-windows-$STAMP
	[ "$days" = 1 ] || base=$base-${days}days
	rc=0
	reports "$base" "${files[@]}" || rc=$?
	echo "daily-summary: $DAY: ${#files[@]} window file(s) -> $OUT_DIR/$base.{txt,html,json}" \
		"(exit $rc)" >&2
	exit "$((rc ? rc : mail_rc))"
	;;
merge)
	states=("$@")
	if [ ${#states[@]} -eq 0 ]; then
		for f in "$MERGE_DIR"/chainsniff-daily-*-"$STAMP".state.json; do
			[ -f "$f" ] && states+=("$f")
		done
	fi
	[ ${#states[@]} -gt 0 ] || die "no state files for $DAY in $MERGE_DIR"
	rc=0
	reports "chainsniff-daily-merged-$STAMP" "${states[@]}" || rc=$?
	if [ $rc -eq 0 ]; then
		echo "daily-summary: $DAY: ${#states[@]} sensor state(s) ->" \
			"$OUT_DIR/chainsniff-daily-merged-$STAMP.{txt,html,json}" >&2
	else
		echo "daily-summary: $DAY: merge failed (exit $rc); nothing replaced" >&2
	fi
	exit "$((rc ? rc : mail_rc))"
	;;
*)
	usage
	;;
esac
