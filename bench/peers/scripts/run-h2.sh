#!/usr/bin/env bash
# run-h2.sh measures what carrying WebSockets over HTTP/2 (RFC 8441) costs against RFC 6455's
# own TCP connections: it builds cmd/echo and wsload, starts one cmd/echo on loopback, which
# serves both ways on the same port (-h2c: HTTP/2 with prior knowledge; with -tls, TLS with ALPN
# h2 and http/1.1 and a throwaway self-signed certificate, as a browser meets it), and runs each
# scenario both ways in turn (wsload, and wsload -h2: every connection a stream, streams
# sharing HTTP/2 connections as a browser's do), reps times, the order alternating. It prints every run, then wstable -compare h2/http1.1:
# per scenario the medians of throughput and of cmd/echo's CPU time per message, and HTTP/2's
# ratios to HTTP/1.1 (also in DIR/table.md; DIR/results.jsonl keeps the runs).
#
# Usage: scripts/run-h2.sh [-tls] [-reps N] [-out DIR] [-- cmd/echo flags...]
#
# Environment: SCENARIOS (wsload flag sets, ';'-separated; default: 1 KiB binary messages on
# 1, 16 and 256 connections with 1 and 16 in flight, and 16 B and 64 KiB on one), DURATION
# (default 2s), WARMUP (default 500ms).
set -euo pipefail
cd "$(dirname "$0")/.."

reps=3 out="" tls=""
while [ $# -gt 0 ]; do
	case "$1" in
	-tls) tls=1 ;;
	-reps) reps="$2"; shift ;;
	-out) out="$2"; shift ;;
	--) shift; break ;;
	*) echo "usage: $0 [-tls] [-reps N] [-out DIR] [-- cmd/echo flags...]" >&2; exit 2 ;;
	esac
	shift
done
: "${DURATION:=2s}" "${WARMUP:=500ms}"
: "${SCENARIOS:=-size 1KiB -conns 1 -inflight 1;-size 1KiB -conns 1 -inflight 16;-size 1KiB -conns 16 -inflight 1;-size 1KiB -conns 16 -inflight 16;-size 1KiB -conns 256 -inflight 1;-size 16B -conns 1 -inflight 1;-size 64KiB -conns 1 -inflight 1}"
out="${out:-$(mktemp -d /tmp/peers-h2.XXXXXX)}"
mkdir -p "$out/bin"
results="$out/results.jsonl"
: > "$results"

echo "# building into $out/bin"
go build -o "$out/bin/" github.com/rfc6455/ws/cmd/echo ./cmd/wsload ./cmd/wstable
ulimit -n "$(ulimit -Hn)" 2>/dev/null || true

server_flags=(-h2c) client_flags=()
if [ -n "$tls" ]; then
	openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 1 -subj /CN=127.0.0.1 \
		-addext subjectAltName=IP:127.0.0.1 -keyout "$out/key.pem" -out "$out/cert.pem" 2> /dev/null
	server_flags=(-tls-cert "$out/cert.pem" -tls-key "$out/key.pem")
	client_flags=(-ca "$out/cert.pem")
fi
"$out/bin/echo" -addr 127.0.0.1:0 "${server_flags[@]}" "$@" 2> "$out/echo.log" &
echo_pid=$!
trap 'kill $echo_pid 2>/dev/null || true; wait $echo_pid 2>/dev/null || true' EXIT
url=""
for _ in $(seq 50); do
	url=$(sed -n 's/^echo: .* listening on //p' "$out/echo.log" | head -1)
	[ -n "$url" ] && break
	sleep 0.1
done
[ -n "$url" ] || { echo "cmd/echo did not start:"; cat "$out/echo.log"; exit 1; }
echo "# cmd/echo ${server_flags[*]} $*: pid $echo_pid, $url"

IFS=';' read -r -a scenarios <<< "$SCENARIOS"
for rep in $(seq "$reps"); do
	for s in "${scenarios[@]}"; do
		# shellcheck disable=SC2206 # the scenario's flags are words
		flags=($s)
		order="http1.1 h2"
		if [ $((rep % 2)) -eq 0 ]; then order="h2 http1.1"; fi
		for proto in $order; do
			extra=()
			if [ "$proto" = h2 ]; then extra=(-h2); fi
			"$out/bin/wsload" -url "$url" "${flags[@]}" "${client_flags[@]}" "${extra[@]}" \
				-duration "$DURATION" -warmup "$WARMUP" -pid "$echo_pid" \
				-label "$proto" -json "$results" | grep -v '^#' | sed "s/^/$proto  /"
		done
	done
done

echo
"$out/bin/wstable" -compare h2/http1.1 "$results" | tee "$out/table.md"
