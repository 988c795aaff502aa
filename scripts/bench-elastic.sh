#!/usr/bin/env bash
# bench-elastic.sh -- the elastic pool's section of make bench.
#
# In a private network namespace (only loopback exists): the scenarios of
# tests/bench/elastic.py (a burst of 200 held clients, the lab's five mirror
# clients, an address hoarding 300 connections, eight addresses holding 320
# idle ones), then steady-state throughput A/B against another commit
# (BENCH_BASE, default HEAD~1), in the same run: persistent and reconnect
# echo round trips at 50 clients, the two daemons taking turns, median of
# BENCH_REPEATS (3). Writes docs/bench/elastic.md and elastic.json.
#
#   bash scripts/bench-elastic.sh         (make bench runs it)
#
# Environment: BENCH_BASE, BENCH_REPEATS, BENCH_SECS (3), BENCH_OUT
# (docs/bench), BENCH_AB_ONLY (1: only the A/B, over the last scenarios'
# figures), LOAD and SOCKBIND (the binaries).
set -euo pipefail

cd "$(dirname "$0")/.."
ROOT=$(pwd)
BASE=${BENCH_BASE:-HEAD~1}
REPEATS=${BENCH_REPEATS:-3}
SECS=${BENCH_SECS:-3}
OUT=${BENCH_OUT:-docs/bench}
LOAD=${LOAD:-build/bench/load}
SOCKBIND=${SOCKBIND:-build/sockbind}

say() { printf 'bench-elastic: %s\n' "$*" >&2; }

if [ -z "${BENCH_IN_NS:-}" ]; then
	base_rev=$(git rev-parse --short "$BASE")
	work=$(mktemp -d "${TMPDIR:-/tmp}/sockbind-bench-base.XXXXXX")
	trap 'git worktree remove --force "$work" 2>/dev/null; rm -rf "$work"' EXIT
	say "building $base_rev for the A/B"
	git worktree add -q --detach "$work" "$base_rev"
	make -C "$work" -s build/sockbind >/dev/null
	BENCH_IN_NS=1 BASE_BIN="$work/build/sockbind" BASE_REV="$base_rev" \
	    unshare -n bash "$0" "$@"
	exit
fi

ip link set lo up
ulimit -n 8192
mkdir -p "$OUT"
if [ -z "${BENCH_AB_ONLY:-}" ]; then
	say "scenarios"
	python3 tests/bench/elastic.py "$ROOT/$SOCKBIND" > "$OUT/elastic.json"
fi

# Steady state, A/B: each daemon on the benchmark's configuration.
ab_dir=$(mktemp -d "${TMPDIR:-/tmp}/sockbind-ab.XXXXXX")
start() {	# name binary port -> pid
	mkdir -p "$ab_dir/$1"
	sed -e "s/^port_min = .*/port_min = $3/" \
	    -e "s/^port_max = .*/port_max = $3/" tests/bench/sockbind.ini \
	    > "$ab_dir/$1/sockbind.ini"
	(cd "$ab_dir/$1" && exec "$2" -c sockbind.ini >/dev/null 2>&1) &
	echo $!
}
new_pid=$(start new "$ROOT/$SOCKBIND" 17400)
base_pid=$(start base "$BASE_BIN" 17401)
trap 'kill -QUIT $new_pid $base_pid 2>/dev/null; rm -rf "$ab_dir"' EXIT
for p in 17400 17401; do
	for _ in $(seq 100); do
		"$LOAD" -p $p -c 1 -d 0.1 -w 0 -k >/dev/null 2>&1 && break
		sleep 0.1
	done
done
: > "$ab_dir/runs"
for r in $(seq "$REPEATS"); do
	for mode in persistent reconnect; do
		order="17400 17401"
		[ $((r % 2)) -eq 0 ] && order="17401 17400"
		for p in $order; do
			name=new; [ "$p" = 17401 ] && name=base
			"$LOAD" -p "$p" -m "$mode" -c 50 -d "$SECS" -w 1:10 -k |
			    sed "s/^/daemon=$name /" >> "$ab_dir/runs"
		done
	done
done
python3 - "$ab_dir/runs" "$OUT" "${BASE_REV}" <<'PY'
import json, statistics, sys
runs, out, base = sys.argv[1], sys.argv[2], sys.argv[3]
rows = [dict(kv.split("=", 1) for kv in l.split()) for l in open(runs)]
ab = {}
for mode in ("persistent", "reconnect"):
    for d in ("new", "base"):
        ab["%s_%s" % (mode, d)] = statistics.median(
            float(r["rps"]) for r in rows if r["mode"] == mode and
            r["daemon"] == d)
    ab["%s_ratio" % mode] = round(ab["%s_new" % mode] /
                                  ab["%s_base" % mode], 3)
sc = json.load(open(out + "/elastic.json"))
sc["ab"] = dict(ab, base=base, ok=all(ab[m + "_ratio"] >= 0.95 for m in
                                      ("persistent", "reconnect")))
json.dump(sc, open(out + "/elastic.json", "w"), indent=1)
b, l, h, s = sc["burst"], sc["lab"], sc["hoarder"], sc["stress"]
def v(ok):
    return "met" if ok else "**missed**"
with open(out + "/elastic.md", "w") as f:
    f.write("""# The elastic pool (make bench, scripts/bench-elastic.sh)

Defaults everywhere but what a scenario names; every client a 127.x address
in a private network namespace. Figures of one run on this machine
(2 cores); `elastic.json` has them all.

| scenario | target | measured | |
|---|---|---|---|
| burst: 200 clients connect at once and hold | every first reply < 1 s | median %.3f s, slowest %.3f s, %d workers forked | %s |
| after the burst | back to the resting pool within a minute | %.1f s | %s |
| lab: five mirror clients at once, delay 2 s | all answered < 2.2 s | %s s | %s |
| one address hoards 300 connections | another address's round trips p99 < 50 ms | p50 %.3f ms, p99 %.3f ms (%d refusal records for %d connections) | %s |
| eight addresses hold 320 idle connections | another address served < stress_idle_timeout + 1 s, every time; only hoarders let go | %d attempts, %d failed, slowest %.3f s; %d hoarder connections let go, %d of the newcomer's | %s |
| steady state vs %s, persistent, 50 clients | no worse (ratio >= 0.95) | %.0f vs %.0f round trips/s (%.3f) | %s |
| steady state vs %s, reconnect, 50 clients | no worse (ratio >= 0.95) | %.0f vs %.0f round trips/s (%.3f) | %s |
""" % (b["median_s"], b["max_s"], b["workers_started"], v(b["max_s"] < 1),
       b["shrink_s"], v(b["shrink_s"] < 60),
       ", ".join(str(x) for x in l["answers_s"]), v(l["ok"]),
       h["p50_ms"], h["p99_ms"], h["refusal_records"],
       h["hoarder_connections"], v(h["ok"]),
       s["attempts"], s["failures"], s["max_wait_s"] or 0,
       s["hoarders_let_go"], s["victim_let_go"], v(s["ok"]),
       base, ab["persistent_new"], ab["persistent_base"],
       ab["persistent_ratio"], v(ab["persistent_ratio"] >= 0.95),
       base, ab["reconnect_new"], ab["reconnect_base"],
       ab["reconnect_ratio"], v(ab["reconnect_ratio"] >= 0.95)))
print(open(out + "/elastic.md").read())
PY
