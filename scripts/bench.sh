#!/usr/bin/env bash
# bench.sh - chainsniff's throughput, memory and correctness on synthetic
# workloads shaped like real traffic, against reference tools run by the same
# script on the same files, reported as ratios.  `make bench` runs it
# (BENCH_ARGS="..." passes options); `scripts/deps.sh --bench` installs the
# reference tools (tshark, editcap, tcpreplay, GNU time).
#
#   scripts/bench.sh [--bin BIN] [--profiles a,b] [--runs N] [--quick]
#                    [--scale F] [--seed N] [--bench-dir DIR] [--timeout S]
#                    [--live [--live-capture FILE [--live-roots PEM]]
#                           [--live-buffer MIB] [--live-workers "1 2"]]
#                    [--check-workloads] [--generate]
#
# Workloads (build/bench/benchgen, from scripts/benchgen.c and
# scripts/benchgen/) are generated under BENCH_DIR (default
# /var/tmp/chainsniff-bench, outside the repository: the full set is ~4 GB)
# and reused while the generator's source, the seed and the scale are
# unchanged (PROFILE.stamp).  Each comes with PROFILE.roots.pem
# (its trust anchors) and PROFILE.truth.json (its ground truth).  Shapes are
# deterministic from the seed; keys and ECDSA signatures come from libcrypto's
# RNG (kept in BENCH_DIR/keys), so chain hashes may differ between
# generations, counts and verdicts do not.
#  handshake   300,000 TLS connections to 2,000 Zipf-popular servers, 312
#              distinct chains (RSA-2048/4096, P-256/P-384 at every level),
#              resumed and TLS 1.3 connections mixed in, 5 kinds of broken
#              chains on 20 servers (~1.4 GB, ~4.0 M packets).
#  gateway     50,000 flows (~2.2 GB, ~2.4 M packets): 20,000 TLS, ~80% of the
#              bytes bulk application data in full-MSS segments, ~10% non-TLS
#              noise (HTTP, SSH-like TCP, DNS over UDP).
#  manychains  60,000 handshakes, each with its own P-256 chain, to 60,000
#              servers.
#  hostile     200 handshakes with 32-certificate cyclic chains (150 sharing
#              their CA certificates, 50 with fresh ones under a fresh key
#              each) and then one leaf-only handshake (missing_intermediate).
#
# For each profile the tools run alternately (one run of each, then the next
# round), --runs rounds (default 3), and the median is reported:
#  - bare loop: build/bench/pcaploop F (pcap_open_offline + pcap_next_ex,
#    counting packets and bytes): the floor of any pcap reader;
#  - tcpdump -r F -w /dev/null;
#  - tshark on the first 100 MiB of F (cut with editcap -r), the pinned
#    command line `tshark -r SLICE -Y 'tls.handshake.type == 11' -T fields
#    -e tls.handshake.certificate`, default preferences (HOME and
#    XDG_CONFIG_HOME point at a fresh empty directory, no -o);
#  - chainsniff --format json -r F --ca-file PROFILE.roots.pem.
# Printed: seconds, MB/s (10^6 bytes of file per second), handshakes/s
# (chainsniff's totals.tls_handshakes, the same count for the bare loop and
# tcpdump; the slice's for tshark), peak RSS (/usr/bin/time %M), the ratios
# chainsniff/bare loop and chainsniff/tshark (MB/s), chainsniff's `diagnosis`
# and `caps` objects, and every difference between chainsniff's report and
# the ground truth (handshake counts, distinct chains and servers, the broken
# servers' error codes; hostile servers must be broken or unknown, never ok)
# and between the runs' reports (a -r report must be identical every time).
# A mismatch is printed with "!!! MISMATCH" and makes the exit status 1.
# The output ends with a Markdown table for README.md's Performance section.
#
# --live: as root, creates a network namespace with a veth pair (deleted on
# exit, also on failure), and replays a capture (default: the first 100 MiB
# of the handshake profile) with `tcpreplay --topspeed` into one end while
# tcpdump (-w /dev/null) or chainsniff (-i, JSON report at SIGTERM) captures
# on the other, alternately, with the same libpcap settings (snaplen 262144,
# promiscuous, kernel buffer --live-buffer MiB, default chainsniff's 64);
# chainsniff judges at the workload's capture date (--at), as live packets
# carry today's time.  chainsniff runs once per --live-workers count in each
# round (default "1 2": --workers 1, then --workers 2, each socket with
# --live-buffer MiB), and says each worker's packets and handshakes.
# Reported: replay rate, packets received, kernel drops (tcpdump's summary,
# chainsniff's inputs[].drops) and chains seen against the ground truth (for
# a capture of your own, --live-roots gives its trust anchors; there is no
# ground truth then).
#
# --quick: scaled-down workloads (handshake 1,500 connections, gateway ~21 MB,
# manychains 1,200, hostile 11+1 handshakes) and one run (unless --runs): a
# smoke test.
# --check-workloads: checks the workloads themselves and exits: tshark's
# expert info on each profile's first 20 MiB shows no warning or error;
# tshark extracts exactly the ground truth's Certificate messages from the
# slice; `openssl verify` agrees with the intended verdict of up to 3 chains
# of each kind (of a small generation with benchgen --dump-chains).
#
# --generate: only generate (or reuse) the workloads and their slices.
#
# The machine is shared during development: figures are only meaningful on
# an otherwise idle machine.
set -uo pipefail
cd "$(dirname "$0")/.." || exit 2

BIN=build/release/chainsniff
BENCH_DIR=${BENCH_DIR:-/var/tmp/chainsniff-bench}
PROFILES=handshake,gateway,manychains,hostile
RUNS=
QUICK=0
SCALE=
SEED=1
TIMEOUT=${BENCH_TIMEOUT:-3600}
LIVE=0
LIVE_CAPTURE=
LIVE_ROOTS=
LIVE_BUF_MIB=64
LIVE_WORKERS="1 2"
CHECK_WORKLOADS=0
GENERATE_ONLY=0
SLICE_MIB=100
GEN=build/bench/benchgen
LOOP=build/bench/pcaploop
MISMATCHES=0

usage() {
	sed -n '2,/^set -uo/p' "$0" | sed '$d; s/^# \{0,1\}//' >&2
	exit 2
}

while [ $# -gt 0 ]; do
	case $1 in
	--bin) BIN=$2; shift ;;
	--profiles) PROFILES=$2; shift ;;
	--runs) RUNS=$2; shift ;;
	--quick) QUICK=1 ;;
	--scale) SCALE=$2; shift ;;
	--seed) SEED=$2; shift ;;
	--bench-dir) BENCH_DIR=$2; shift ;;
	--timeout) TIMEOUT=$2; shift ;;
	--live) LIVE=1 ;;
	--live-capture) LIVE_CAPTURE=$2; shift ;;
	--live-roots) LIVE_ROOTS=$2; shift ;;
	--live-buffer) LIVE_BUF_MIB=$2; shift ;;
	--live-workers) LIVE_WORKERS=$2; shift ;;
	--check-workloads) CHECK_WORKLOADS=1 ;;
	--generate) GENERATE_ONLY=1 ;;
	-h | --help) usage ;;
	*) echo "bench: unknown option $1" >&2; usage ;;
	esac
	shift
done
[ -n "$RUNS" ] || { [ "$QUICK" -eq 1 ] && RUNS=1 || RUNS=3; }
case $RUNS in '' | *[!0-9]* | 0) echo "bench: --runs needs a positive number" >&2; exit 2 ;; esac

die() { echo "bench: $*" >&2; exit 1; }
mismatch() { echo "!!! MISMATCH $*"; MISMATCHES=$((MISMATCHES + 1)); }

for t in tcpdump tshark editcap jq openssl /usr/bin/time timeout; do
	command -v "$t" > /dev/null || die "$t missing: run scripts/deps.sh --bench (as root)"
done
[ "$LIVE" -eq 0 ] || command -v tcpreplay > /dev/null || die "tcpreplay missing: run scripts/deps.sh --bench"
[ -x "$BIN" ] || die "$BIN: not built (make)"
make --no-print-directory bench-tools > /dev/null || die "make bench-tools failed"
mkdir -p "$BENCH_DIR/keys" "$BENCH_DIR/results" || die "cannot create $BENCH_DIR"
RES=$BENCH_DIR/results
TMP=$(mktemp -d) || die "mktemp failed"
NS=
PIDS=()
cleanup() {
	local p
	for p in "${PIDS[@]}"; do kill -TERM "$p" 2> /dev/null; done
	[ -n "$NS" ] && ip netns del "$NS" 2> /dev/null
	rm -rf "$TMP"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# scale of a profile: --scale, else 1, or the --quick size
scale_of() {
	if [ -n "$SCALE" ]; then echo "$SCALE"; return; fi
	if [ "$QUICK" -eq 0 ]; then echo 1; return; fi
	case $1 in
	handshake) echo 0.005 ;;
	gateway) echo 0.01 ;;
	manychains) echo 0.02 ;;
	hostile) echo 0.05 ;;
	esac
}

# gen_profile NAME: sets PCAP ROOTS TRUTH SLICE, generating what is missing
gen_profile() {
	local name=$1 scale prefix stamp want n
	scale=$(scale_of "$name")
	prefix=$BENCH_DIR/$name
	[ "$scale" = 1 ] || prefix=$prefix-x$scale
	[ "$SEED" = 1 ] || prefix=$prefix-s$SEED
	PCAP=$prefix.pcap ROOTS=$prefix.roots.pem TRUTH=$prefix.truth.json SLICE=$prefix.slice.pcap
	want="benchgen $(cat scripts/benchgen.c scripts/benchgen/* | sha256sum | cut -c1-16) profile $name seed $SEED scale $scale slice $SLICE_MIB"
	stamp=$prefix.stamp
	if [ -s "$PCAP" ] && [ -s "$ROOTS" ] && [ -s "$TRUTH" ] && [ "$(cat "$stamp" 2> /dev/null)" = "$want" ]; then
		echo "workload $name: reusing $PCAP"
	else
		echo "workload $name: generating $PCAP (scale $scale, seed $SEED)"
		rm -f "$stamp" "$SLICE"
		"$GEN" -p "$name" -o "$prefix" -s "$SEED" --scale "$scale" --key-dir "$BENCH_DIR/keys" \
			--slice-mib "$SLICE_MIB" || die "benchgen $name failed"
		echo "$want" > "$stamp"
	fi
	if [ ! -s "$SLICE" ] || [ "$PCAP" -nt "$SLICE" ]; then
		n=$(jq .slice.packets "$TRUTH")
		editcap -F pcap -r "$PCAP" "$SLICE" "1-$n" || die "editcap could not cut $PCAP"
	fi
	[ "$(stat -c %s "$SLICE")" -eq "$(jq .slice.file_bytes "$TRUTH")" ] ||
		die "$SLICE: $(stat -c %s "$SLICE") bytes, the ground truth's slice has $(jq .slice.file_bytes "$TRUTH")"
}

machine() {
	local cpu cores commit
	cpu=$(lscpu 2> /dev/null | sed -n 's/^Model name: *//p' | head -1)
	cores=$(nproc)
	commit=$(git rev-parse --short HEAD 2> /dev/null || echo unknown)
	git diff --quiet HEAD 2> /dev/null || commit="$commit+dirty"
	MACHINE="${cpu:-unknown CPU}, $cores cores, Linux $(uname -r), $(openssl version | cut -d' ' -f1-2)"
	echo "machine:    $MACHINE"
	echo "chainsniff: $("$BIN" --version 2>&1 | head -1), commit $commit ($BIN)"
	echo "tools:      $(tcpdump --version 2>&1 | head -1), $(tcpdump --version 2>&1 | sed -n 's/^libpcap version/libpcap/p'), $(tshark --version 2>/dev/null | head -1)"
	COMMIT=$commit
}

# run_one TAG OUT cmd...: runs once; appends "seconds peak_kib exit_code" to
# $RES/TAG.runs.  Wall time from bash's microsecond clock, peak RSS from GNU time.
run_one() {
	local tag=$1 out=$2 t0 t1 rc kib
	shift 2
	t0=$EPOCHREALTIME
	timeout "$TIMEOUT" /usr/bin/time -f %M -o "$TMP/rss" "$@" > "$out" 2> "$RES/$tag.err"
	rc=$?
	t1=$EPOCHREALTIME
	kib=$(tail -n 1 "$TMP/rss" 2> /dev/null)
	case $kib in '' | *[!0-9]*) kib=0 ;; esac
	echo "$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.4f", b - a }') $kib $rc" >> "$RES/$tag.runs"
}

# stats TAG: "median_seconds max_peak_kib worst_exit_code"
stats() {
	sort -n "$RES/$1.runs" | awk '{ t[NR] = $1; if ($2 > m) m = $2; if ($3 != 0) rc = $3 }
		END { med = NR % 2 ? t[(NR + 1) / 2] : (t[NR / 2] + t[NR / 2 + 1]) / 2;
		      printf "%.4f %d %d\n", med, m, rc }'
}

# the pinned tshark command line, with default preferences: a fresh empty
# HOME and XDG_CONFIG_HOME, so no user profile or preference applies
TSHARK_HOME=
tshark_cmd() {
	TSHARK_HOME=$TMP/tshark-home
	rm -rf "$TSHARK_HOME" && mkdir -p "$TSHARK_HOME/.config"
	TSHARK=(env -u WIRESHARK_CONFIG_DIR HOME="$TSHARK_HOME" XDG_CONFIG_HOME="$TSHARK_HOME/.config"
		tshark -r "$1" -Y 'tls.handshake.type == 11' -T fields -e tls.handshake.certificate)
}

# check_truth NAME REPORT TRUTH: every difference, one line each
check_truth() {
	local name=$1 report=$2 truth=$3 line
	jq -r --slurpfile t "$truth" '
	def errs(s): [s.problems[] | select(.severity == "error") | .code] | unique;
	. as $r | $t[0] as $T |
	def cmp(f; a; b): if a != b then "\(f) = \(a), ground truth \(b)" else empty end;
	($T.hostile_servers_list | map({(.sni): .kind}) | add // {}) as $H |
	($T.broken_servers | map({(.sni): .}) | add // {}) as $B |
	cmp("totals.tls_handshakes"; $r.totals.tls_handshakes; $T.tls_handshakes),
	cmp("totals.handshakes_with_chain"; $r.totals.handshakes_with_chain; $T.handshakes_with_chain),
	cmp("totals.tls13"; $r.totals.tls13; $T.tls13),
	cmp("totals.resumed"; $r.totals.resumed; $T.resumed),
	cmp("totals.incomplete"; $r.totals.incomplete; 0),
	cmp("totals.tcp_flows"; $r.totals.tcp_flows; $T.flows.tcp),
	cmp("totals.distinct_chains"; $r.totals.distinct_chains; $T.distinct_chains),
	cmp("totals.servers"; $r.totals.servers; $T.distinct_servers),
	cmp("totals.broken_handshakes - hostile"; $r.totals.broken_handshakes -
		([$r.servers[] | select($H[.sni] != null) | .broken_handshakes] | add // 0); $T.broken_handshakes),
	($T.broken_servers[] as $b |
		([$r.servers[] | select(.server_ip == $b.server_ip and .server_port == $b.server_port and .sni == $b.sni)][0]) as $s |
		if $s == null then "broken server \($b.sni) (\($b.kind)) is missing from the report"
		elif $s.status != "broken" then "\($b.sni) (\($b.kind)): status \($s.status), ground truth broken"
		elif errs($s) != ($b.codes | sort) then "\($b.sni) (\($b.kind)): error codes \(errs($s) | join(",")), ground truth \($b.codes | join(","))"
		elif $s.broken_handshakes != $b.handshakes then "\($b.sni) (\($b.kind)): \($s.broken_handshakes) broken handshakes, ground truth \($b.handshakes)"
		else empty end),
	($r.servers[] | select(.status == "broken" and $B[.sni] == null and $H[.sni] == null) |
		"unexpected broken server \(.server_ip):\(.server_port) \(.sni): \(errs(.) | join(","))"),
	($r.servers[] | select($H[.sni] != null and .status != "broken" and .status != "unknown") |
		"hostile server \(.sni): status \(.status), must be broken or unknown")
	' "$report" | while IFS= read -r line; do echo "$name: $line"; done
}

# hostile_summary REPORT TRUTH: verdicts of the hostile servers, grouped
hostile_summary() {
	jq -r --slurpfile t "$2" '
	($t[0].hostile_servers_list | map({(.sni): .kind}) | add // {}) as $H |
	[.servers[] | select($H[.sni] != null) |
		{kind: $H[.sni], status, codes: ([.problems[] | select(.severity == "error") | .code] | unique | join(","))}] |
	group_by([.kind, .status, .codes])[] |
	"  hostile: \(length) x \(.[0].kind) -> \(.[0].status) [\(.[0].codes)]"' "$1"
}

declare -A ROW
bench_profile() {
	local name=$1 size slice_size r tool hs slice_hs lines stats_cs stats_bare stats_td stats_ts
	gen_profile "$name"
	size=$(stat -c %s "$PCAP")
	slice_size=$(stat -c %s "$SLICE")
	echo
	echo "== $name: $(jq -r '"\(.file_bytes / 1e6 | floor) MB, \(.packets) packets, \(.flows.total) flows, \(.tls_handshakes) TLS handshakes (\(.handshakes_with_chain) with a chain, \(.tls13) TLS 1.3, \(.resumed) resumed), \(.distinct_chains) distinct chains, \(.distinct_servers) servers, \(.servers_broken) deliberately broken"' "$TRUTH")"
	echo "   tshark slice: $((slice_size / 1000000)) MB, $(jq -r '"\(.slice.packets) packets, \(.slice.certificate_messages) Certificate messages"' "$TRUTH")"
	for tool in bare tcpdump tshark chainsniff; do rm -f "$RES/$name-$tool.runs"; done
	for r in $(seq 1 "$RUNS"); do
		run_one "$name-bare" "$RES/$name-bare.out" "$LOOP" "$PCAP"
		run_one "$name-tcpdump" /dev/null tcpdump -r "$PCAP" -w /dev/null
		tshark_cmd "$SLICE"
		run_one "$name-tshark" "$RES/$name-tshark.out" "${TSHARK[@]}"
		run_one "$name-chainsniff" "$RES/$name-chainsniff-$r.json" "$BIN" --format json -r "$PCAP" --ca-file "$ROOTS"
		echo "   round $r/$RUNS: $(for tool in bare tcpdump tshark chainsniff; do printf '%s %ss  ' "$tool" "$(tail -n 1 "$RES/$name-$tool.runs" | cut -d' ' -f1)"; done)"
	done
	read -r -a stats_bare <<< "$(stats "$name-bare")"
	read -r -a stats_td <<< "$(stats "$name-tcpdump")"
	read -r -a stats_ts <<< "$(stats "$name-tshark")"
	read -r -a stats_cs <<< "$(stats "$name-chainsniff")"
	local report=$RES/$name-chainsniff-1.json
	hs=$(jq '.totals.tls_handshakes // empty' "$report" 2> /dev/null)
	[ -n "$hs" ] || hs=$(jq .tls_handshakes "$TRUTH")
	slice_hs=$(jq .slice.tls_handshakes "$TRUTH")
	# correctness first: a benchmark of wrong answers is worthless
	[ "${stats_cs[2]}" -eq 0 ] || mismatch "$name: chainsniff exited with ${stats_cs[2]} ($(head -c 300 "$RES/$name-chainsniff.err"))"
	if [ -s "$report" ]; then
		while IFS= read -r line; do mismatch "$line"; done < <(check_truth "$name" "$report" "$TRUTH")
		for r in $(seq 2 "$RUNS"); do
			cmp -s "$report" "$RES/$name-chainsniff-$r.json" ||
				mismatch "$name: the report of run $r differs from run 1 (-r reports must be identical)"
			rm -f "$RES/$name-chainsniff-$r.json"
		done
	else
		mismatch "$name: chainsniff wrote no report"
	fi
	lines=$(wc -l < "$RES/$name-tshark.out")
	[ "$lines" -eq "$(jq .slice.certificate_messages "$TRUTH")" ] ||
		mismatch "$name: tshark extracted $lines Certificate messages from the slice, ground truth $(jq .slice.certificate_messages "$TRUTH")"
	[ "$(cut -d' ' -f2 "$RES/$name-bare.out")" -eq "$(jq .packets "$TRUTH")" ] ||
		mismatch "$name: the bare loop read $(cut -d' ' -f2 "$RES/$name-bare.out") packets, ground truth $(jq .packets "$TRUTH")"
	rm -f "$RES/$name-tshark.out"
	if [ -s "$report" ]; then
		echo "   diagnosis: $(jq -c .diagnosis "$report")"
		echo "   caps:      $(jq -c .caps "$report")"
		[ "$(jq '.hostile_servers' "$TRUTH")" -eq 0 ] || hostile_summary "$report" "$TRUTH"
	fi
	awk -v name="$name" -v size="$size" -v ssize="$slice_size" -v hs="$hs" -v shs="$slice_hs" \
		-v b="${stats_bare[0]}" -v bm="${stats_bare[1]}" -v d="${stats_td[0]}" -v dm="${stats_td[1]}" \
		-v s="${stats_ts[0]}" -v sm="${stats_ts[1]}" -v c="${stats_cs[0]}" -v cm="${stats_cs[1]}" 'BEGIN {
		printf "   %-34s %9s %9s %12s %12s\n", "median of runs", "seconds", "MB/s", "handshakes/s", "peak RSS MB"
		printf "   %-34s %9.3f %9.1f %12.0f %12.1f\n", "bare libpcap loop", b, size / 1e6 / b, hs / b, bm / 1024
		printf "   %-34s %9.3f %9.1f %12.0f %12.1f\n", "tcpdump -r F -w /dev/null", d, size / 1e6 / d, hs / d, dm / 1024
		printf "   %-34s %9.3f %9.1f %12.0f %12.1f\n", "tshark -Y Certificate (slice)", s, ssize / 1e6 / s, shs / s, sm / 1024
		printf "   %-34s %9.3f %9.1f %12.0f %12.1f\n", "chainsniff --format json", c, size / 1e6 / c, hs / c, cm / 1024
		printf "   chainsniff / bare loop: %.3fx   chainsniff / tshark (MB/s): %.1fx\n", b / c, (size / c) / (ssize / s)
	}'
	ROW[$name]=$(awk -v size="$size" -v ssize="$slice_size" -v hs="$hs" -v b="${stats_bare[0]}" \
		-v d="${stats_td[0]}" -v s="${stats_ts[0]}" -v c="${stats_cs[0]}" -v cm="${stats_cs[1]}" \
		-v pk="$(jq .packets "$TRUTH")" -v ch="$(jq .distinct_chains "$TRUTH")" \
		-v name="$name" 'function cell(t, bytes) { return sprintf("%.2f s, %.0f MB/s", t, bytes / 1e6 / t) }
		BEGIN { printf "| %s | %.0f MB, %.2f M packets, %d handshakes, %d chains | %s | %s | %s | %s | %.3fx | %.1fx | %.0f MB |\n",
			name, size / 1e6, pk / 1e6, hs, ch, cell(c, size), cell(b, size), cell(d, size), cell(s, ssize),
			b / c, (size / c) / (ssize / s), cm / 1024 }')
}

# --live ------------------------------------------------------------------------

live_setup() {
	[ "$(id -u)" -eq 0 ] || die "--live needs root (network namespace, veth pair)"
	NS=chainsniff-bench-$$
	ip netns add "$NS" || { NS=; die "ip netns add failed"; }
	ip -n "$NS" link add csb-replay type veth peer name csb-capture || die "cannot create the veth pair"
	ip netns exec "$NS" sysctl -qw net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1
	ip -n "$NS" link set csb-replay up && ip -n "$NS" link set csb-capture up || die "cannot bring the veth pair up"
}

# sets REPLAY to (rate_mbps pps packets_sent)
tcpreplay_run() {
	ip netns exec "$NS" tcpreplay --topspeed -i csb-replay "$1" > "$TMP/replay.out" 2>&1 ||
		{ cat "$TMP/replay.out" >&2; die "tcpreplay failed"; }
	read -r -a REPLAY <<< "$(awk '/Actual:/ { sent = $2 }
		/Rated:/ { for (i = 1; i <= NF; i++) { if ($i ~ /^Mbps/) mbps = $(i - 1); if ($i ~ /^pps/) pps = $(i - 1) } }
		END { gsub(",", "", mbps); gsub(",", "", pps); printf "%s %s %s\n", mbps, pps, sent }' "$TMP/replay.out")"
	[ -n "${REPLAY[2]:-}" ] || { cat "$TMP/replay.out" >&2; die "tcpreplay sent nothing from $1"; }
}

# replay_to PID ERRFILE SIGNAL CAPTURE: once the capturing process PID says
# "listening on" in ERRFILE, CAPTURE is replayed, then PID stopped by SIGNAL
replay_to() {
	PIDS=("$1")
	for i in $(seq 100); do grep -q "listening on" "$2" && break; sleep 0.1; done
	tcpreplay_run "$4"
	sleep 1
	kill "-$3" "$1"; wait "$1" 2> /dev/null
}

# one round of chainsniff -i with --workers $3
live_chainsniff() {
	local cap=$1 r=$2 w=$3 out=$RES/live-chainsniff-$2-w$3.json
	ip netns exec "$NS" "$BIN" -i csb-capture --workers "$w" -B "$LIVE_BUF_MIB" --format json \
		${roots:+--ca-file "$roots"} "${at[@]}" -o "$out" 2> "$TMP/cs.err" &
	replay_to $! "$TMP/cs.err" TERM "$cap"
	rep=$(jq -r '"\(.inputs[0].drops.received) \(.inputs[0].drops.dropped) \(.inputs[0].drops.if_dropped) \(.totals.handshakes_with_chain) \(.totals.distinct_chains) \(.totals.servers_broken)"' \
		"$out" 2> /dev/null) || rep="? ? ? ? ? ?"
	read -r rcv drop ifdrop chains distinct broken <<< "$rep"
	echo "   round $r chainsniff --workers $w: replay ${REPLAY[0]} Mbit/s ${REPLAY[1]} pps, ${REPLAY[2]} sent; received $rcv, kernel drops $drop (interface $ifdrop); chains seen $chains${truth_chains:+ of $truth_chains}, distinct $distinct${truth_distinct:+ of $truth_distinct}; broken servers $broken"
	sed -n 's/^chainsniff: csb-capture: \(worker .*\)/      \1/p' "$TMP/cs.err"
	echo "   diagnosis: $(jq -c .diagnosis "$out" 2> /dev/null)  caps: $(jq -c .caps "$out" 2> /dev/null)"
	if [ -n "$truth_chains" ] && { [ "$chains" != "$truth_chains" ] || [ "$distinct" != "$truth_distinct" ]; }; then
		echo "   !!! chainsniff saw $chains of the $truth_chains Certificate messages sent ($distinct of $truth_distinct distinct chains)"
	fi
	LIVE_ROWS+=("| chainsniff -i --workers $w | ${REPLAY[0]} Mbit/s, ${REPLAY[1]} pps | ${REPLAY[2]} | $rcv | $drop | $chains${truth_chains:+ of $truth_chains} |")
	PIDS=()
}

live_mode() {
	local cap=$LIVE_CAPTURE roots truth_chains="" truth_distinct="" r rep i
	local -a at=()
	if [ -z "$cap" ]; then
		gen_profile handshake
		cap=$SLICE roots=$ROOTS
		truth_chains=$(jq .slice.certificate_messages "$TRUTH")
		truth_distinct=$(jq .slice.distinct_chains "$TRUTH")
		# live packets carry today's time: judge at the workload's capture
		# date, as the file benchmark does, or every chain would be expired
		at=(--at "@$(date -d "$(jq -r .capture_start "$TRUTH")" +%s)")
	else
		roots=$LIVE_ROOTS
	fi
	[ -s "$cap" ] || die "$cap: no such capture"
	live_setup
	echo
	echo "== live: tcpreplay --topspeed of $cap ($(($(stat -c %s "$cap") / 1000000)) MB) into a veth pair in netns $NS"
	LIVE_ROWS=()
	for r in $(seq 1 "$RUNS"); do
		# tcpdump, same libpcap settings as chainsniff
		ip netns exec "$NS" tcpdump -i csb-capture -s 262144 -B $((LIVE_BUF_MIB * 1024)) -w /dev/null tcp \
			2> "$TMP/tcpdump.err" &
		replay_to $! "$TMP/tcpdump.err" INT "$cap"
		rep=$(awk '/packets received by filter/ { r = $1 } /packets dropped by kernel/ { d = $1 } END { printf "%s %s", r, d }' "$TMP/tcpdump.err")
		read -r rcv drop <<< "$rep"
		echo "   round $r tcpdump:    replay ${REPLAY[0]} Mbit/s ${REPLAY[1]} pps, ${REPLAY[2]} sent; received $rcv, kernel drops $drop"
		LIVE_ROWS+=("| tcpdump -w /dev/null | ${REPLAY[0]} Mbit/s, ${REPLAY[1]} pps | ${REPLAY[2]} | $rcv | $drop | - |")
		for w in $LIVE_WORKERS; do
			live_chainsniff "$cap" "$r" "$w"
		done
		PIDS=()
	done
	ip netns del "$NS"
	NS=
}

# --check-workloads --------------------------------------------------------------

check_workloads() {
	local name dir prefix f kind sni at out want n bad
	for name in ${PROFILES//,/ }; do
		gen_profile "$name"
		echo
		echo "== check $name"
		# tshark's expert info on the first 20 MiB
		n=$(awk -v lim=$((20 << 20)) -v fb="$(jq .file_bytes "$TRUTH")" -v p="$(jq .packets "$TRUTH")" \
			'BEGIN { x = p * lim / fb; if (x > p) x = p; printf "%d", x < 1 ? 1 : x }')
		editcap -F pcap -r "$PCAP" "$TMP/sample.pcap" "1-$n"
		tshark -r "$TMP/sample.pcap" -q -z expert 2> /dev/null > "$TMP/expert"
		if grep -q -E '^(Errors|Warnings) \(' "$TMP/expert"; then
			mismatch "$name: tshark expert info on the first $n packets:"
			sed -n '/^Errors\|^Warnings/,/^$/p' "$TMP/expert"
		else
			echo "   tshark expert info, first $n packets: no errors or warnings ($(grep -E '^(Notes|Chats) \(' "$TMP/expert" | tr '\n' ' '))"
		fi
		tshark_cmd "$SLICE"
		n=$("${TSHARK[@]}" 2> /dev/null | wc -l)
		if [ "$n" -eq "$(jq .slice.certificate_messages "$TRUTH")" ]; then
			echo "   tshark extracted $n Certificate messages from the slice, as the ground truth says"
		else
			mismatch "$name: tshark extracted $n Certificate messages from the slice, ground truth $(jq .slice.certificate_messages "$TRUTH")"
		fi
		# openssl verify on up to 3 chains of each kind (a small generation with --dump-chains)
		dir=$TMP/chains-$name
		prefix=$TMP/$name-small
		mkdir -p "$dir"
		"$GEN" -p "$name" -o "$prefix" -s "$SEED" -n "$( [ "$name" = hostile ] && echo 8 || echo 1500)" \
			--key-dir "$BENCH_DIR/keys" --dump-chains "$dir" 2> /dev/null || die "benchgen --dump-chains failed"
		at=$(($(date -d "$(jq -r .capture_start "$prefix.truth.json")" +%s) + 60))
		bad=0
		for kind in ok ok_deep ok_root_included wrong_order leaf_only expired_leaf untrusted_root hostname_mismatch hostile_shared hostile_fresh; do
			for f in $(ls "$dir"/*-"$kind"-*.pem 2> /dev/null | head -3); do
				sni=$(basename "$f" .pem)
				sni=${sni#*-"$kind"-}
				awk -v d="$TMP" '/BEGIN CERT/ { n++ } { print > (d "/vc" (n == 1 ? "leaf" : "rest") ".pem") }' "$f"
				[ -s "$TMP/vcrest.pem" ] || : > "$TMP/vcrest.pem"
				out=$(openssl verify -CAfile "$prefix.roots.pem" $( [ -s "$TMP/vcrest.pem" ] && echo -untrusted "$TMP/vcrest.pem") \
					-purpose sslserver -verify_hostname "$sni" -attime "$at" "$TMP/vcleaf.pem" 2>&1 | tr '\n' ' ')
				rm -f "$TMP/vcleaf.pem" "$TMP/vcrest.pem"
				case $kind in
				ok | ok_deep | ok_root_included | wrong_order) want="OK" ;;
				leaf_only) want="error 20 " ;;
				expired_leaf) want="error 10 " ;;
				untrusted_root) want="error 19 " ;;
				hostname_mismatch) want="error 62 " ;;
				hostile_*) want="error " ;;
				esac
				if [[ $out == *"$want"* ]]; then
					echo "   openssl verify $kind ($sni): ${out:0:110}"
				else
					mismatch "$name: openssl verify of a $kind chain ($f): $out (expected '$want')"
					bad=1
				fi
			done
		done
	done
}

# main ---------------------------------------------------------------------------

machine
if [ "$GENERATE_ONLY" -eq 1 ]; then
	for p in ${PROFILES//,/ }; do
		gen_profile "$p"
		echo "   $(jq -c '{file_bytes, packets, tls_handshakes, handshakes_with_chain, distinct_chains, distinct_servers, generation_seconds}' "$TRUTH")"
	done
	exit 0
fi
if [ "$CHECK_WORKLOADS" -eq 1 ]; then
	check_workloads
	echo
	[ "$MISMATCHES" -eq 0 ] && echo "workloads check: ok" || echo "!!! workloads check: $MISMATCHES mismatches"
	[ "$MISMATCHES" -eq 0 ]
	exit
fi
if [ "$LIVE" -eq 1 ]; then
	live_mode
else
	for p in ${PROFILES//,/ }; do
		case $p in
		handshake | gateway | manychains | hostile) bench_profile "$p" ;;
		*) die "unknown profile $p (handshake, gateway, manychains, hostile)" ;;
		esac
	done
fi

echo
echo "Machine: $MACHINE; chainsniff commit $COMMIT; $RUNS run(s), median$([ "$QUICK" -eq 1 ] && echo "; QUICK (scaled-down) workloads")."
echo
if [ "$LIVE" -eq 1 ]; then
	echo "| tool | tcpreplay --topspeed | packets sent | received | kernel drops | chains seen |"
	echo "|---|---|---|---|---|---|"
	printf '%s\n' "${LIVE_ROWS[@]}"
else
	echo "| workload | capture | chainsniff | bare libpcap loop | tcpdump -w /dev/null | tshark, 100 MiB slice | chainsniff / bare loop | chainsniff / tshark (MB/s) | chainsniff peak RSS |"
	echo "|---|---|---|---|---|---|---|---|---|"
	for p in ${PROFILES//,/ }; do echo "${ROW[$p]}"; done
fi
echo
if [ "$MISMATCHES" -ne 0 ]; then
	echo "!!! $MISMATCHES MISMATCH(ES) against the ground truth or between runs: the figures above measure wrong answers"
	exit 1
fi
[ "$LIVE" -eq 1 ] || echo "All reports match the ground truth."
