#!/usr/bin/env bash
# run-matrix.sh measures every library's echo server side by side on loopback: it builds peerecho,
# wsload and wstable, starts one server per library on a free 127.0.0.1 port (all at once, so that
# they share the machine's state), runs the idle-memory test on each, then restarts them and runs
# the matrix scenario by scenario, each scenario against every library in turn (the order rotates from one
# scenario to the next), and prints the tables of issue 5 with wstable.
#
# Usage: scripts/run-matrix.sh [-deflate] [-quick] [-reps N] [-out DIR]
#
#   (default)  the 53-scenario matrix, 1 s measured after 0.25 s of warm-up per scenario and
#              library, idle test at 10 000 connections: about 11 minutes per repetition plus 3 for the
#              idle test.
#   -quick     8 scenarios, 0.5 s each after 0.2 s, idle test at 2 000: about 2 minutes.
#   -deflate   permessage-deflate instead: the 51-scenario deflate matrix (-quick: its 8) against
#              the five compressing servers, each driven with wsload -deflate or, for the servers
#              that keep their context (*-deflate-takeover), -deflate-takeover; the idle test at
#              5 000 connections (-quick: 1 000) echoes one compressed 1 KiB text on each. About 7
#              minutes per repetition plus 2 for the idle test; -quick about 2.
#   -reps N    run the matrix N times (interleaved); the tables show medians.
#   -out DIR   keep binaries, logs, results.jsonl and table.md there (default: a new /tmp dir).
#
# Environment: LIBS (default "ours ours-http ours-simple gorilla gorilla-stream gobwas gws gws-noutf8 coder tcp", with
# -deflate "ours-deflate ours-deflate-takeover gorilla-deflate gws-deflate gws-deflate-takeover"),
# DURATION, WARMUP, IDLE (connections; 0 skips the idle test), SETTLE, RUN (a regexp: only the
# scenarios whose names match, e.g. RUN=/k1/ for the cells with one message in flight).
# Everything stays on loopback. The servers and the generator raise their own open-file limits to
# the hard limit; the idle test needs a hard limit above IDLE (+ a few) for both.
set -euo pipefail
cd "$(dirname "$0")/.."

mode=full reps=1 out="" deflate=""
while [ $# -gt 0 ]; do
	case "$1" in
	-quick) mode=quick ;;
	-deflate) deflate=1 ;;
	-reps) reps="$2"; shift ;;
	-out) out="$2"; shift ;;
	*) echo "usage: $0 [-deflate] [-quick] [-reps N] [-out DIR]" >&2; exit 2 ;;
	esac
	shift
done
if [ -n "$deflate" ]; then
	LIBS="${LIBS:-ours-deflate ours-deflate-takeover gorilla-deflate gws-deflate gws-deflate-takeover}"
	# A server that keeps a compressor per connection holds about 0.7 MiB each after an echo.
	if [ "$mode" = quick ]; then
		: "${IDLE:=1000}"
		matrix=deflate-quick
	else
		: "${IDLE:=5000}"
		matrix=deflate
	fi
	table_flags=-deflate
else
	LIBS="${LIBS:-ours ours-http ours-simple gorilla gorilla-stream gobwas gws gws-noutf8 coder tcp}"
	matrix=$mode
	table_flags=""
fi
if [ "$mode" = quick ]; then
	: "${DURATION:=500ms}" "${WARMUP:=200ms}" "${IDLE:=2000}" "${SETTLE:=1s}"
else
	: "${DURATION:=1s}" "${WARMUP:=250ms}" "${IDLE:=10000}" "${SETTLE:=2s}"
fi
out="${out:-$(mktemp -d /tmp/peers-matrix.XXXXXX)}"
mkdir -p "$out/bin"
results="$out/results.jsonl"
: > "$results"

echo "# building into $out/bin"
go build -o "$out/bin/" ./cmd/peerecho ./cmd/wsload ./cmd/wstable
ulimit -n "$(ulimit -Hn)" 2>/dev/null || true

declare -A pid addr
stop_servers() {
	for lib in "${!pid[@]}"; do
		kill "${pid[$lib]}" 2>/dev/null || true
		wait "${pid[$lib]}" 2>/dev/null || true
		unset "pid[$lib]"
	done
}
trap stop_servers EXIT

# start_servers: one fresh server per library, so that each phase starts from a clean heap.
start_servers() {
	for lib in $LIBS; do
		"$out/bin/peerecho" -lib "$lib" -addr 127.0.0.1:0 > "$out/$lib.addr" 2>> "$out/$lib.log" &
		pid[$lib]=$!
	done
	for lib in $LIBS; do
		for _ in $(seq 100); do
			grep -q '^listening on ' "$out/$lib.addr" 2>/dev/null && break
			sleep 0.05
		done
		addr[$lib]=$(sed -n 's/^listening on //p' "$out/$lib.addr")
		[ -n "${addr[$lib]}" ] || { echo "$lib did not start:"; cat "$out/$lib.log"; exit 1; }
		echo "# $lib: pid ${pid[$lib]} on ${addr[$lib]}"
	done
}

# wsload_for LIB ARGS...: run wsload against LIB's server, in the client mode that server needs:
# -raw for the TCP echo, -deflate-takeover for a compressing server that keeps its context,
# -deflate for the other compressing servers.
wsload_for() {
	local lib="$1"; shift
	local how=""
	case "$lib" in
	tcp) how=-raw ;;
	*-deflate-takeover) how=-deflate-takeover ;;
	*-deflate) how=-deflate ;;
	esac
	"$out/bin/wsload" -url "ws://${addr[$lib]}/" $how -pid "${pid[$lib]}" -label "$lib" -json "$results" "$@" |
		grep -v '^#' | sed "s|^|$(printf '%-15s' "$lib") |" || true
}

echo "# $(date -u +%FT%TZ)  $(nproc) CPUs  load average $(cut -d' ' -f1-3 /proc/loadavg)  $(go version)"
if [ "$IDLE" -gt 0 ]; then
	echo "# idle test: $IDLE connections per server, fresh servers"
	start_servers
	for lib in $LIBS; do
		wsload_for "$lib" -idle "$IDLE" -settle "$SETTLE"
	done
	stop_servers
fi

mapfile -t scenarios < <("$out/bin/wsload" -list -matrix "$matrix" -run "${RUN:-}")
read -r -a libs <<< "$LIBS"
echo "# matrix $matrix: ${#scenarios[@]} scenarios × ${#libs[@]} servers × $reps, $DURATION each after $WARMUP, fresh servers"
start_servers
for rep in $(seq "$reps"); do
	for i in "${!scenarios[@]}"; do
		for j in "${!libs[@]}"; do
			lib="${libs[$(((i + j + rep) % ${#libs[@]}))]}"
			wsload_for "$lib" -matrix "$matrix" -run "^${scenarios[$i]}\$" -duration "$DURATION" -warmup "$WARMUP"
		done
	done
done
echo "# done $(date -u +%FT%TZ)  load average $(cut -d' ' -f1-3 /proc/loadavg)"
echo

"$out/bin/wstable" $table_flags "$results" | tee "$out/table.md"
echo "# results: $results, table: $out/table.md"
