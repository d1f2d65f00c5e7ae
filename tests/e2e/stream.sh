#!/usr/bin/env bash
# stream.sh - -r on a pipe that goes quiet (ssh host tcpdump -w - |
# chainsniff -r -): while the writer keeps the pipe open and sends nothing,
# the answers already made go out as --events lines, SIGUSR1 writes the
# report, SIGTERM ends the run at once with the report of what came, and
# the report equals the file run's.  Also before the file header has come,
# and on standard input.
#   tests/e2e/stream.sh BINARY
. "$(dirname "$0")/lib.sh" stream "$1"
need jq
CAP=pcaps/lab/freq-three-servers.pcap
pids=()
trap 'kill "${pids[@]}" 2>/dev/null; rm -rf "$T"' EXIT
lines() { [ -f "$1" ] && wc -l < "$1" || echo 0; }
running() { kill -0 "$1" 2>/dev/null; }
# what the report says of a run: totals and each server, ordered
summary() { jq -c '[.totals.tls_handshakes, .totals.handshakes_with_chain,
	([.servers[] | [.server_ip, .server_port, .sni, .handshakes, .status, .clients]] | sort)]' "$1"; }

"$BIN" -r "$CAP" "${TRUST[@]}" --format json -o "$T/file.json" --events "$T/file.ndjson"
want_events=$(lines "$T/file.ndjson")
expect file-has-events [ "$want_events" -ge 3 ]

# feed BYTES: the capture's first BYTES bytes (all when empty) into the
# FIFO $T/fifo, which the writer then holds open, sending nothing; $T/sent
# appears once they are in the pipe (the reader opened it, so its signal
# handlers are in place)
feed() {
	rm -f "$T/fifo" "$T/sent" && mkfifo "$T/fifo"
	{ head -c "${1:-100000000}" "$CAP"; touch "$T/sent"; sleep 300; } > "$T/fifo" &
	WRITER=$!
	pids+=("$WRITER")
}
# has_lines FILE N: FILE has N lines or more
has_lines() { [ -f "$1" ] && [ "$(wc -l < "$1")" -ge "$2" ]; }
# ends PID CASE WHY: PID ends by itself with exit 0 (the writer still open)
ends() {
	if wait_for bash -c "! kill -0 $1 2>/dev/null"; then
		wait "$1"
		expect "$2" [ $? -eq 0 ]
	else
		bad "$2" "$3"
	fi
}

# quiet_whole CASE INPUT: the whole capture, then silence, read as -r
# INPUT with the FIFO behind INPUT ("-": on standard input); events, a
# SIGUSR1 report and SIGTERM while the writer is still there
quiet_whole() {
	local c=$1
	feed ""
	"$BIN" -r "$2" "${TRUST[@]}" --format json -o "$T/$c.json" --events "$T/$c.ndjson" \
		< "$T/fifo" 2> "$T/$c.err" &
	CS=$!
	pids+=("$CS")
	if wait_for has_lines "$T/$c.ndjson" "$want_events"; then
		ok "$c-events"
	else
		bad "$c-events" "$(lines "$T/$c.ndjson") of $want_events events while the pipe was open"
	fi
	kill -USR1 "$CS"
	if wait_for bash -c "jq -e '.totals.tls_handshakes > 0' '$T/$c.json' >/dev/null 2>&1"; then
		ok "$c-usr1-report"
	else
		bad "$c-usr1-report" "no report after SIGUSR1"
	fi
	expect "$c-still-reading" running "$CS"
	kill -TERM "$CS"
	ends "$CS" "$c-term-exit-0" "still running after SIGTERM, the writer still open"
	expect "$c-report-equals-file" [ "$(summary "$T/$c.json")" = "$(summary "$T/file.json")" ]
	expect "$c-events-equal-file" [ "$(lines "$T/$c.ndjson")" -eq "$want_events" ]
	expect "$c-no-stderr" [ ! -s "$T/$c.err" ]
	kill "$WRITER" 2>/dev/null
}
quiet_whole quiet "$T/fifo"
quiet_whole stdin -

# term_quiet CASE BYTES FILTER: SIGTERM while the writer, having sent the
# capture's first BYTES, is quiet: exit 0 at once, the report as FILTER says
term_quiet() {
	feed "$2"
	"$BIN" -r "$T/fifo" "${TRUST[@]}" --format json -o "$T/$1.json" 2> "$T/$1.err" &
	CS=$!
	pids+=("$CS")
	wait_for test -e "$T/sent"
	kill -TERM "$CS"
	ends "$CS" "$1-exit-0" "still running after SIGTERM, the writer still open"
	jqt "$1-report" "$3" "$T/$1.json"
	kill "$WRITER" 2>/dev/null
}
# inside the file header: a report of nothing; inside a record: what came
# before it is counted
term_quiet header-term 10 '.totals.packets == 0 and (.inputs | length) == 1'
term_quiet record-term $(( $(stat -c %s "$CAP") / 2 )) '.totals.packets > 0 and .inputs[0].status == "ok"'

echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
