#!/usr/bin/env bash
# bench-profile.sh -- where sockbind's time goes under the benchmark's load.
#
# For three loads (persistent c=1, persistent c=50, reconnect c=50 over four
# source addresses) against sockbind's echo service:
#  - system calls per round trip and per log record, counted at full speed by
#    kernel tracepoints (perf stat) for the processes of sockbind's own cgroup:
#    all calls, futex (the log lock's slow path), getpid, write(2) on the log
#    file;
#  - the CPU time of the sockbind process tree per round trip (/proc/PID/stat);
#  - strace -c -f over the whole tree (slower, but names every call);
#  - perf record: the hottest functions, and for c=1 the inclusive cost of
#    writing the two log records of a round trip (DWARF call graphs);
#  - the same loads against a second sockbind whose log is /dev/null, and a
#    third with batch_scheduling = false, each taking turns with the first:
#    what writing the log file costs, and what SCHED_BATCH gains.
# Writes OUT/profile.md and prints one key=value line per finding.
#
# Run by scripts/bench.sh inside its namespace, with its sockbind running
# (SB_PID, PORT_SB, SB_LOG, SB_CGROUP set); alone (bash
# scripts/bench-profile.sh) it enters a namespace of its own and starts one.
# sockbind runs in a cgroup (v2) of its own so that perf counts its processes,
# workers spawned mid-run included, and nothing else (other sockbind
# instances on the machine, the load); without cgroup v2 it falls back to the
# command name, which counts every sockbind on the machine.
set -euo pipefail

cd "$(dirname "$0")/.."
ROOT=$(pwd)
LOAD=${LOAD:-build/bench/load}
SOCKBIND=${SOCKBIND:-build/sockbind}
OUT=${OUT:-docs/bench}
PSECS=${PROFILE_SECS:-2}
REPEATS=${PROFILE_REPEATS:-3}

say() { printf 'bench-profile: %s\n' "$*" >&2; }
die() { say "$*"; exit 1; }

PIDS=()
cleanup() {
	local p
	for p in "${PIDS[@]}"; do
		kill -TERM "$p" 2>/dev/null || true
	done
	for p in "${PIDS[@]}"; do
		wait "$p" 2>/dev/null || true
	done
	[ -n "${OWN_WORK:-}" ] && rm -rf "$OWN_WORK"
	[ -n "${OWN_CGROUP:-}" ] && cgroup_remove "$OWN_CGROUP"
	return 0
}

# A cgroup v2 directory for sockbind (empty when there is no cgroup2).
cgroup_make() {
	local root
	root=$(awk '$3 == "cgroup2" { print $2; exit }' /proc/mounts)
	[ -n "$root" ] && mkdir "$root/$1" 2>/dev/null && echo "$root/$1"
	return 0
}

cgroup_remove() {
	local i
	for i in $(seq 50); do
		rmdir "$1" 2>/dev/null && return 0
		sleep 0.1
	done
	say "could not remove cgroup $1"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# Start sockbind with the bench's config in directory $1; sets STARTED_PID
# and STARTED_PORT. $2: a cgroup directory to start it in; $3: a sed
# expression that changes the config.
start_sockbind() {
	local dir=$1 ini=$ROOT/tests/bench/sockbind.ini i

	mkdir -p "$dir"
	if [ -n "${3:-}" ]; then
		sed "$3" "$ini" >"$dir/sockbind.ini"
		ini=$dir/sockbind.ini
	fi
	(
		[ -n "${2:-}" ] && echo "$BASHPID" >"$2/cgroup.procs"
		cd "$dir" && exec "$ROOT/$SOCKBIND" -c "$ini"
	) >"$dir/out" 2>&1 &
	STARTED_PID=$!
	PIDS+=($!)
	for i in $(seq 100); do
		[ -s "$dir/sockbind.port" ] && break
		sleep 0.1
	done
	[ -s "$dir/sockbind.port" ] || die "sockbind did not start: $(cat "$dir/out")"
	STARTED_PORT=$(cat "$dir/sockbind.port")
	for i in $(seq 100); do
		ss -Hltn "sport = :$STARTED_PORT" | grep -q . && return 0
		sleep 0.1
	done
	die "sockbind: port $STARTED_PORT not listening"
}

if [ -z "${SB_PID:-}" ]; then
	if [ -z "${SOCKBIND_BENCH_NS:-}" ]; then
		if unshare -n true 2>/dev/null; then
			export SOCKBIND_BENCH_NS=private
			exec unshare -n bash "$0" "$@"
		fi
		say "########################################################"
		say "# unshare -n does not work here: plain loopback only   #"
		say "########################################################"
		export SOCKBIND_BENCH_NS=none
	fi
	[ "$SOCKBIND_BENCH_NS" = private ] && ip link set lo up
	[ -x "$LOAD" ] && [ -x "$SOCKBIND" ] || die "run make bench first"
	mkdir -p var "$OUT"
	OWN_WORK=$(mktemp -d "$ROOT/var/bench-profile.XXXXXX")
	WORK_PROFILE=$OWN_WORK
	OWN_CGROUP=$(cgroup_make "sockbind-profile-$$")
	SB_CGROUP=$OWN_CGROUP
	start_sockbind "$WORK_PROFILE/sockbind" "$SB_CGROUP"
	SB_PID=$STARTED_PID
	PORT_SB=$STARTED_PORT
	SB_LOG=$WORK_PROFILE/sockbind/sockbind.log
fi
mkdir -p "$WORK_PROFILE"
W=$WORK_PROFILE
MD=$OUT/profile.md

# The pids of a process and its children (workers are the master's).
tree_pids() {
	echo "$1"
	ps -o pid= --ppid "$1" | tr -d ' '
}

# User+system CPU time of a master and its workers, in clock ticks: the
# live workers' own, and the master's own plus that of its reaped children.
tree_ticks() {
	local p t v
	t=$(sed 's/^.*) //' "/proc/$1/stat" | awk '{ print $12 + $13 + $14 + $15 }')
	for p in $(ps -o pid= --ppid "$1"); do
		v=$(sed 's/^.*) //' "/proc/$p/stat" 2>/dev/null |
		    awk '{ print $12 + $13 }') || continue
		[ -n "$v" ] && t=$((t + v))
	done
	echo "$t"
}

kv() { sed -n "s/.* $1=\([^ ]*\).*/\1/p" <<<" $2"; }

LOGFD=""
for f in /proc/"$SB_PID"/fd/*; do
	if [ "$(readlink "$f")" = "$(readlink -f "$SB_LOG")" ]; then
		LOGFD=${f##*/}
	fi
done
[ -n "$LOGFD" ] || die "cannot find the log's descriptor in $SB_PID"
HZ=$(getconf CLK_TCK)

# perf's selection of sockbind's processes: its cgroup, or its name.
if [ -n "${SB_CGROUP:-}" ]; then
	CGN=${SB_CGROUP##*/}
	SEL_NOTE="the processes of sockbind's cgroup"
	stat_sel() { local n=$1 g=$CGN i; for i in $(seq 2 "$n"); do g="$g,$CGN"; done; echo "-G $g"; }
	FILTER_AND=""
	REC_SEL=(-e cpu-clock -G "$CGN")
	REP_SEL=()
else
	SEL_NOTE="every process named sockbind on the machine (no cgroup v2 here)"
	stat_sel() { echo ""; }
	FILTER_AND='comm == "sockbind" && '
	REC_SEL=()
	REP_SEL=(--comms sockbind)
fi

{
	echo "# Where sockbind's time goes"
	echo
	echo "Measured by \`scripts/bench-profile.sh\` (run by \`make bench\`) on $(nproc) CPUs,"
	echo "$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | sed -n '1,1p'), Linux $(uname -r),"
	echo "$(date -Iseconds). sockbind's echo service with the log on, config"
	echo "\`tests/bench/sockbind.ini\`; the load is \`build/bench/load\`, ${PSECS} s per measurement."
	echo "System calls are counted by kernel tracepoints for $SEL_NOTE;"
	echo "percentages of perf profiles are of sockbind's samples only."
	echo
} >"$MD"

scenario() {
	local name=$1; shift
	local args=("$@") out rt recs l0 l1 t0 t1 sys futex lw gp cpu_us
	local pids spid

	say "$name: warm-up"
	"$LOAD" -k -p "$PORT_SB" "${args[@]}" -d 1 -w 0.2:30 >/dev/null

	# 1. Tracepoint counts at full speed.
	l0=$(wc -l <"$SB_LOG")
	t0=$(tree_ticks "$SB_PID")
	# shellcheck disable=SC2046
	out=$(perf stat -a -x, -o "$W/$name.stat" \
	    -e raw_syscalls:sys_enter --filter "${FILTER_AND}common_pid != 0" \
	    -e syscalls:sys_enter_futex --filter "${FILTER_AND}common_pid != 0" \
	    -e syscalls:sys_enter_getpid --filter "${FILTER_AND}common_pid != 0" \
	    -e syscalls:sys_enter_write --filter "${FILTER_AND}fd == $LOGFD" \
	    -e syscalls:sys_enter_read --filter "${FILTER_AND}common_pid != 0" \
	    -e syscalls:sys_enter_poll --filter "${FILTER_AND}common_pid != 0" \
	    -e syscalls:sys_enter_sendto --filter "${FILTER_AND}common_pid != 0" \
	    -e syscalls:sys_enter_accept4 --filter "${FILTER_AND}common_pid != 0" \
	    -e syscalls:sys_enter_close --filter "${FILTER_AND}common_pid != 0" \
	    $(stat_sel 9) \
	    -- "$LOAD" -k -p "$PORT_SB" "${args[@]}" -d "$PSECS" -w 0)
	t1=$(tree_ticks "$SB_PID")
	l1=$(wc -l <"$SB_LOG")
	rt=$(kv rt_all "$out")
	recs=$((l1 - l0))
	sys=$(awk -F, '$3 == "raw_syscalls:sys_enter" { print $1 }' "$W/$name.stat")
	futex=$(awk -F, '$3 == "syscalls:sys_enter_futex" { print $1 }' "$W/$name.stat")
	lw=$(awk -F, '$3 == "syscalls:sys_enter_write" { print $1 }' "$W/$name.stat")
	gp=$(awk -F, '$3 == "syscalls:sys_enter_getpid" { print $1 }' "$W/$name.stat")
	cpu_us=$(awk -v t=$((t1 - t0)) -v hz="$HZ" -v rt="$rt" \
	    'BEGIN { printf "%.2f", rt ? t / hz * 1e6 / rt : 0 }')
	echo "profile scenario=$name rt=$rt rps=$(kv rps "$out") records=$recs syscalls=$sys futex=$futex getpid=$gp log_writes=$lw cpu_us_per_rt=$cpu_us" \
	    "sys_per_rt=$(awk -v a="$sys" -v b="$rt" 'BEGIN { printf "%.2f", b ? a / b : 0 }')" \
	    "records_per_rt=$(awk -v a="$recs" -v b="$rt" 'BEGIN { printf "%.2f", b ? a / b : 0 }')" \
	    "log_writes_per_record=$(awk -v a="$lw" -v b="$recs" 'BEGIN { printf "%.3f", b ? a / b : 0 }')" \
	    "futex_per_record=$(awk -v a="$futex" -v b="$recs" 'BEGIN { printf "%.4f", b ? a / b : 0 }')" \
	    "getpid_per_record=$(awk -v a="$gp" -v b="$recs" 'BEGIN { printf "%.3f", b ? a / b : 0 }')" \
	    "mix=$(awk -F, -v rt="$rt" '$3 ~ /^syscalls:sys_enter_/ {
		n = $3; sub(/^syscalls:sys_enter_/, "", n)
		if (n == "write") n = "write(log)"
		printf "%s%s:%.2f", sep, n, rt ? $1 / rt : 0; sep = ","
	    }' "$W/$name.stat")"

	# 2. strace -c over the whole tree (new workers followed with -f).
	pids=$(tree_pids "$SB_PID" | sed 's/^/-p /')
	# shellcheck disable=SC2086
	strace -c -f -o "$W/$name.strace" $pids 2>/dev/null &
	spid=$!
	sleep 0.5
	out=$("$LOAD" -k -p "$PORT_SB" "${args[@]}" -d "$PSECS" -w 0)
	kill -INT "$spid" 2>/dev/null || true
	wait "$spid" || true
	rt=$(kv rt_all "$out")
	{
		echo "### $name: strace -c -f (the whole sockbind tree)"
		echo
		echo "Under strace the load did $rt round trips ($(kv rps "$out")/s); calls per round trip in the last column."
		echo
		echo '```'
		awk -v rt="$rt" '
		    /^% time/ { print $0 "   per rt"; next }
		    /^------/ { print; next }
		    NF >= 5 { n = ($4 ~ /^[0-9]+$/) ? $4 : 0
			printf "%s   %7.2f\n", $0, rt ? n / rt : 0 }' \
		    "$W/$name.strace" | sed -n '1,16p'
		echo '```'
		echo
	} >>"$MD"

	# 3. The hottest functions (flat profile of every sockbind process).
	perf record -q -a "${REC_SEL[@]}" -F 1999 -o "$W/$name.perf" -- \
	    "$LOAD" -k -p "$PORT_SB" "${args[@]}" -d "$PSECS" -w 0 >/dev/null 2>&1
	{
		echo "### $name: perf record, the sockbind processes (self time)"
		echo
		echo '```'
		perf report -i "$W/$name.perf" "${REP_SEL[@]}" --percentage relative \
		    --no-children --sort dso --stdio 2>/dev/null |
		    grep -v '^#' | grep -v '^$' | sed -n '1,6p'
		echo
		perf report -i "$W/$name.perf" "${REP_SEL[@]}" --percentage relative \
		    --no-children --sort sym --stdio 2>/dev/null |
		    grep -v '^#' | grep -v '^$' | sed -n '1,25p'
		echo '```'
		echo
	} >>"$MD"
}

scenario persistent_c1 -m persistent -c 1
scenario persistent_c50 -m persistent -c 50
scenario reconnect_c50 -m reconnect -c 50 -s 4

# 4. The inclusive cost of the log at c=1: DWARF call graphs of the workers.
say "log cost: call graphs"
if [ -n "${SB_CGROUP:-}" ]; then
	GRAPH_SEL=(-a -e cpu-clock -G "$CGN")
else
	# Fails if a worker retires between the listing and perf's start.
	GRAPH_SEL=(-p "$(tree_pids "$SB_PID" | paste -sd,)")
fi
perf record -q "${GRAPH_SEL[@]}" --call-graph dwarf,16384 -F 999 \
    -o "$W/graph.perf" -- \
    "$LOAD" -k -p "$PORT_SB" -m persistent -c 1 -d "$PSECS" -w 0 \
    >/dev/null 2>"$W/graph.err" ||
    say "perf record (call graphs) failed: $(cat "$W/graph.err")"
perf report -i "$W/graph.perf" --children --sort sym --stdio 2>/dev/null |
    grep -E '^ +[0-9.]+% +[0-9.]+% ' >"$W/graph.txt" || true
incl() {
	awk -v s="$1" '$4 == s { gsub(/%/, "", $1); v = $1; exit }
	    END { print v == "" ? 0 : v }' "$W/graph.txt"
}
echo "profile scenario=log_graph echo_serve_pct=$(incl echo_serve) log_text_pct=$(incl log_text) log_head_pct=$(incl log_head) timefmt_pct=$(incl timefmt_now) write_pct=$(incl log_write_all) escape_pct=$(incl escape_text) conn_write_pct=$(incl conn_write) conn_read_pct=$(incl conn_read)"
{
	echo "### persistent_c1: inclusive time (DWARF call graphs, sockbind's processes)"
	echo
	echo '```'
	grep -E ' (echo_serve|conn_[a-z_]+|log_[a-z_]+|timefmt_[a-z0-9_]+|escape_[a-z_]+|utf8_[a-z_]+|__localtime_r|__tz_convert|__vsnprintf_internal|__vfprintf_internal|__GI___libc_write|__libc_send|__GI___libc_read|__GI___poll|__GI___getpid|__getpid|do_syscall_64|__schedule|tcp_sendmsg|tcp_recvmsg|ext4_buffered_write_iter|pthread_mutex_[a-z_]+)( \(inlined\))?$' \
	    "$W/graph.txt" | sed -n '1,40p'
	echo '```'
	echo
} >>"$MD"

# 5. Variants of the same sockbind, each taking turns with the first: the
# log on /dev/null (what writing the file costs), and the normal scheduling
# policy (what SCHED_BATCH gains). Prints "profile scenario=NAME_LOAD
# base_rps= variant_rps= ratio=" and a table row per load.
ab() {
	local name=$1 port=$2; shift 2
	local args=("$@") r a=() b=() ma mb
	for r in $(seq "$REPEATS"); do
		if [ $((r % 2)) = 1 ]; then
			a+=("$(kv rps "$("$LOAD" -k -p "$PORT_SB" "${args[@]}" -d "$PSECS" -w 0.3:30)")")
			b+=("$(kv rps "$("$LOAD" -k -p "$port" "${args[@]}" -d "$PSECS" -w 0.3:30)")")
		else
			b+=("$(kv rps "$("$LOAD" -k -p "$port" "${args[@]}" -d "$PSECS" -w 0.3:30)")")
			a+=("$(kv rps "$("$LOAD" -k -p "$PORT_SB" "${args[@]}" -d "$PSECS" -w 0.3:30)")")
		fi
	done
	ma=$(printf '%s\n' "${a[@]}" | sort -g | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }')
	mb=$(printf '%s\n' "${b[@]}" | sort -g | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }')
	echo "profile scenario=$name base_rps=$ma variant_rps=$mb ratio=$(awk -v a="$ma" -v b="$mb" 'BEGIN { printf "%.3f", b ? a / b : 0 }')"
	printf '| %s | %.0f | %.0f | %.2f |\n' "${name#*_}" "$ma" "$mb" \
	    "$(awk -v a="$ma" -v b="$mb" 'BEGIN { printf "%.3f", b ? a / b : 0 }')" >>"$MD"
}
ab_all() {
	ab "$1_persistent_c1" "$2" -m persistent -c 1
	ab "$1_persistent_c50" "$2" -m persistent -c 50
	ab "$1_reconnect_c50" "$2" -m reconnect -c 50 -s 4
	echo >>"$MD"
}

say "log cost: sockbind with the log on /dev/null, A/B"
start_sockbind "$W/nolog" "" "s|^path = .*|path = /dev/null|"
{
	echo "### The log file's cost: sockbind logging to a file vs to /dev/null"
	echo
	echo "Same binary and config; records are formatted either way, only the write goes to /dev/null."
	echo "Medians of $REPEATS runs of ${PSECS} s, the two daemons taking turns."
	echo
	echo "| load | log file rt/s | /dev/null rt/s | file / null |"
	echo "|---|---:|---:|---:|"
} >>"$MD"
ab_all nolog "$STARTED_PORT"

say "scheduling: sockbind with batch_scheduling = false, A/B"
start_sockbind "$W/nobatch" "" "s|^\\[pool\\]|[pool]\\nbatch_scheduling = false|"
{
	echo "### SCHED_BATCH: sockbind as shipped vs batch_scheduling = false"
	echo
	echo "Same binary and config but for the pool's CPU scheduling policy. Medians of $REPEATS"
	echo "runs of ${PSECS} s, the two daemons taking turns."
	echo
	echo "| load | SCHED_BATCH rt/s | SCHED_OTHER rt/s | batch / other |"
	echo "|---|---:|---:|---:|"
} >>"$MD"
ab_all nobatch "$STARTED_PORT"
say "wrote $MD"
