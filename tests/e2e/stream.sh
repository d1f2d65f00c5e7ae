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

# the whole capture, then silence
feed ""
"$BIN" -r "$T/fifo" "${TRUST[@]}" --format json -o "$T/fifo.json" --events "$T/fifo.ndjson" \
	2> "$T/fifo.err" &
CS=$!
pids+=("$CS")
if wait_for has_lines "$T/fifo.ndjson" "$want_events"; then
	ok quiet-events
else
	bad quiet-events "$(lines "$T/fifo.ndjson") of $want_events events while the pipe was open"
fi
kill -USR1 "$CS"
if wait_for bash -c "[ -s '$T/fifo.json' ] && jq -e '.totals.tls_handshakes > 0' '$T/fifo.json' >/dev/null 2>&1"; then
	ok quiet-usr1-report
else
	bad quiet-usr1-report "no report after SIGUSR1"
fi
expect quiet-still-reading running "$CS"
kill -TERM "$CS"
ends "$CS" quiet-term-exit-0 "still running after SIGTERM, the writer still open"
expect quiet-report-equals-file [ "$(summary "$T/fifo.json")" = "$(summary "$T/file.json")" ]
expect quiet-events-equal-file [ "$(lines "$T/fifo.ndjson")" -eq "$want_events" ]
expect quiet-no-stderr [ ! -s "$T/fifo.err" ]
kill "$WRITER" 2>/dev/null

# SIGTERM before the file header is whole: a report of nothing, exit 0
feed 10
"$BIN" -r "$T/fifo" "${TRUST[@]}" --format json -o "$T/early.json" 2> "$T/early.err" &
CS=$!
pids+=("$CS")
wait_for test -e "$T/sent"
kill -TERM "$CS"
ends "$CS" header-term-exit-0 "still running after SIGTERM inside the file header"
jqt header-term-report '.totals.packets == 0 and (.inputs | length) == 1' "$T/early.json"
kill "$WRITER" 2>/dev/null

# SIGTERM inside a record: what came before it is counted
bytes=$(( $(stat -c %s "$CAP") / 2 ))
feed "$bytes"
"$BIN" -r "$T/fifo" "${TRUST[@]}" --format json -o "$T/half.json" 2> "$T/half.err" &
CS=$!
pids+=("$CS")
wait_for test -e "$T/sent"
kill -TERM "$CS"
ends "$CS" record-term-exit-0 "still running after SIGTERM inside a record"
jqt record-term-counted '.totals.packets > 0 and .inputs[0].status == "ok"' "$T/half.json"
kill "$WRITER" 2>/dev/null

# standard input: the same as a named FIFO
{ cat "$CAP"; sleep 300; } | "$BIN" -r - "${TRUST[@]}" --format json -o "$T/stdin.json" \
	--events "$T/stdin.ndjson" 2> "$T/stdin.err" &
CS=$!
pids+=("$CS")
if wait_for has_lines "$T/stdin.ndjson" "$want_events"; then
	ok stdin-events
else
	bad stdin-events "$(lines "$T/stdin.ndjson") of $want_events events while standard input was open"
fi
kill -TERM "$CS"
ends "$CS" stdin-term-exit-0 "still running after SIGTERM, standard input still open"
expect stdin-report-equals-file [ "$(summary "$T/stdin.json")" = "$(summary "$T/file.json")" ]

echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
