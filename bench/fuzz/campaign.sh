#!/usr/bin/env bash
# Runs every fuzz target of the module for a while each, one after the other, and prints a
# Markdown table: the executions, the inputs the fuzzer found that reach new code ("new
# interesting", Go's own measure of coverage gained), and the share of the package's statements
# its corpus covers — with the checked-in seeds alone, and with the seeds and everything the
# fuzzer generated (its cache under $(go env GOCACHE)/fuzz). A target that finds a failure
# writes it to its testdata/fuzz folder, as go test does, and its row says FAIL.
#
#	bash bench/fuzz/campaign.sh                     # 10 minutes a target, one worker
#	FUZZTIME=1m PARALLEL=2 bash bench/fuzz/campaign.sh
#	bash bench/fuzz/campaign.sh FuzzConnRead FuzzParseRequest   # only these
#
# The whole module takes FUZZTIME times the number of targets (grep -rn '^func Fuzz').
set -uo pipefail
cd "$(dirname "$0")/../.."
: "${FUZZTIME:=10m}" "${PARALLEL:=1}"
cache="$(go env GOCACHE)/fuzz/$(go list -m)"
logs=$(mktemp -d)
echo "fuzz campaign: ${FUZZTIME} a target, ${PARALLEL} worker(s), $(go version | cut -d' ' -f3), logs in ${logs}"
echo
echo "| target | package | time | execs | execs/s | new interesting | corpus | coverage, seeds | coverage, seeds + generated | result |"
echo "|---|---|---|---:|---:|---:|---:|---:|---:|---|"

# coverage prints the share of pkg's statements that running target on its testdata corpus
# covers.
coverage() {
	local out share
	out=$(go test -count=1 -run="^$2\$" -cover "$1" 2>&1)
	share=$(grep -oE 'coverage: [0-9.]+%' <<<"$out" | head -n 1 | grep -oE '[0-9.]+%')
	echo "${share:-?}"
}

# seconds turns go test's elapsed time ("10m0s", "1h0m3s", "45s") into seconds.
seconds() {
	local s=0
	[[ $1 =~ ([0-9]+)h ]] && s=$((s + BASH_REMATCH[1] * 3600))
	[[ $1 =~ ([0-9]+)m ]] && s=$((s + BASH_REMATCH[1] * 60))
	[[ $1 =~ ([0-9]+)s ]] && s=$((s + BASH_REMATCH[1]))
	echo "$s"
}

grep -rlE '^func Fuzz[A-Za-z0-9_]+\(f \*testing\.F\)' --include='*_test.go' . | grep -v '^./bench/peers/' | sort | while read -r file; do
	dir=$(dirname "${file#./}")
	pkg="./$dir"
	for target in $(grep -oE '^func (Fuzz[A-Za-z0-9_]+)\(f \*testing\.F\)' "$file" | sed -E 's/^func (Fuzz[A-Za-z0-9_]+).*/\1/'); do
		if [ $# -gt 0 ] && [[ " $* " != *" $target "* ]]; then
			continue
		fi
		before=$(coverage "$pkg" "$target")
		log="$logs/$target.log"
		result=ok
		if ! go test -run='^$' -fuzz="^${target}\$" -fuzztime="$FUZZTIME" -parallel="$PARALLEL" "$pkg" > "$log" 2>&1; then
			result="FAIL (see $log)"
		fi
		# The last progress line: "fuzz: elapsed: 10m0s, execs: 123 (0/sec), new interesting: 4 (total: 9)".
		last=$(grep -E '^fuzz: elapsed: .*execs: [0-9]+' "$log" | tail -n 1)
		elapsed=$(sed -E 's/^fuzz: elapsed: ([^,]+),.*/\1/' <<<"$last")
		execs=$(sed -E 's/.*execs: ([0-9]+).*/\1/' <<<"$last")
		interesting=$(sed -nE 's/.*new interesting: ([0-9]+) \(total: ([0-9]+)\).*/\1/p' <<<"$last")
		total=$(sed -nE 's/.*new interesting: ([0-9]+) \(total: ([0-9]+)\).*/\2/p' <<<"$last")
		secs=$(seconds "$elapsed")
		rate="?"
		if [ "${secs:-0}" -gt 0 ] && [ -n "$execs" ]; then
			rate=$((execs / secs))
		fi
		# Coverage with what the fuzzer generated: copy its cache into the target's testdata
		# folder for one plain run, then take the copies away again.
		after="?"
		if [ -d "$cache/$dir/$target" ]; then
			seeds="$dir/testdata/fuzz/$target"
			mkdir -p "$seeds"
			copied=()
			for f in "$cache/$dir/$target"/*; do
				dst="$seeds/campaign-$(basename "$f")"
				[ -e "$dst" ] || { cp "$f" "$dst"; copied+=("$dst"); }
			done
			after=$(coverage "$pkg" "$target")
			rm -f "${copied[@]}"
			rmdir "$seeds" 2>/dev/null || true
		fi
		echo "| $target | $dir | $elapsed | ${execs:-?} | $rate | ${interesting:-?} | ${total:-?} | $before | $after | $result |"
	done
done
