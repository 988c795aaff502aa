#!/bin/sh
# run.sh -- run every libFuzzer target built in DIR for SECONDS each.
#
# Each target starts from its seeds in tests/fuzz/corpus/<name>/ (read only)
# and keeps what it finds in DIR/corpus/<name>/; a crash, leak or failed
# check leaves its input in DIR/artifacts/ and fails the run. One line per
# target: its name, executions, their rate and the inputs it added.
set -eu

dir=$1
seconds=$2
found=0
total=0

mkdir -p "$dir/artifacts"
for bin in "$dir"/fuzz_*; do
	[ -x "$bin" ] || continue
	name=${bin##*/fuzz_}
	seeds=tests/fuzz/corpus/$name
	work=$dir/corpus/$name
	log=$dir/$name.log
	mkdir -p "$work"
	set -- -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 \
	    -print_final_stats=1 -artifact_prefix="$dir/artifacts/$name-"
	[ -f "tests/fuzz/$name.dict" ] && set -- "$@" -dict="tests/fuzz/$name.dict"
	if ! "$bin" "$@" "$work" "$seeds" >"$log" 2>&1; then
		tail -n 40 "$log" >&2
		echo "fuzz: $name: FAILED, input kept in $dir/artifacts/$name-*" >&2
		found=1
		continue
	fi
	execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log")
	rate=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log")
	units=$(sed -n 's/^stat::new_units_added: *//p' "$log")
	printf 'fuzz: %-13s %10s executions in %ss (%s/s), %s new inputs\n' \
	    "$name" "$execs" "$seconds" "$rate" "$units"
	total=$((total + execs))
done
echo "fuzz: $total executions in all"
exit $found
