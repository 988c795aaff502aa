#!/usr/bin/env bash
# bench.sh -- sockbind against the servers a user would otherwise pick.
#
# Runs every server and every load inside a private network namespace
# (unshare -n, then lo up): only loopback exists there, so nothing a server
# does -- not even xinetd's look-up of a client's name -- can leave the
# machine. In one run it measures, at each concurrency and for both workloads
# (persistent: a 64-byte line echoed again and again on one connection;
# reconnect: connect, send, read, close), sockbind's echo service with its log
# on, Python's socketserver.ForkingTCPServer echo, xinetd's internal echo,
# socat fork PIPE and redis-server answering PING. The servers take turns
# (A/B alternated, a different order each repeat) and each number is the
# median of the repeats, reported as a ratio to sockbind's from the same run.
# Then it profiles sockbind (scripts/bench-profile.sh), checks the targets
# docs/bench/README.md lists, and writes docs/bench/: results.md, results.csv, raw.txt,
# throughput.png, profile.md.
#
#   make bench                    (or: bash scripts/bench.sh)
#
# At 50 clients and more the load generator runs with one thread and with
# two, taking turns like the servers, and each server is reported at its
# better figure: one thread of the generator can be the limit (it saturates
# a CPU at 50 reconnecting clients), and two take CPU time from a
# single-threaded server; neither shape should decide a comparison.
#
# Environment: BENCH_SECS (measured seconds per run, 2), BENCH_REPEATS (3),
# BENCH_CONC ("1 5 50 200"), BENCH_THREADS (generator threads tried from 50
# clients on, "1 2"), BENCH_SERVERS (all five), BENCH_OUT
# (docs/bench), BENCH_PROFILE (1; 0 skips the profile), BENCH_HAPROXY (1;
# 0 skips the runs through HAProxy), BENCH_KEEP (1 keeps
# the work directory and its logs), BENCH_STRICT (1: exit 1 when a target
# fails), LOAD and SOCKBIND (the binaries; built by make bench).
#
# Needs root for unshare and to install its packages (listed here, not in
# scripts/deps.sh: make test does not need them).
set -euo pipefail

cd "$(dirname "$0")/.."
ROOT=$(pwd)

BENCH_PACKAGES="xinetd socat redis-server gnuplot-nox iproute2 util-linux
procps python3 strace linux-perf haproxy"

SECS=${BENCH_SECS:-2}
REPEATS=${BENCH_REPEATS:-3}
CONC=${BENCH_CONC:-"1 5 50 200"}
THREADS=${BENCH_THREADS:-"1 2"}
SERVERS=${BENCH_SERVERS:-"sockbind python xinetd socat redis"}
OUT=${BENCH_OUT:-docs/bench}
LOAD=${LOAD:-build/bench/load}
SOCKBIND=${SOCKBIND:-build/sockbind}
PY=/usr/bin/python3
[ -x "$PY" ] || PY=python3

# Ports inside the namespace (on plain loopback too, if they are free);
# sockbind's range, 17100-17110, is in tests/bench/sockbind.ini.
PORT_PY=17201
PORT_XINETD=17202
PORT_SOCAT=17203
PORT_REDIS=17204
# HAProxy, and the two sockbind instances behind it (proxy_protocol = v2).
PORT_HAPROXY=17205
PORT_PROXIED=17111

say() { printf 'bench: %s\n' "$*" >&2; }
die() { say "$*"; exit 1; }

bench_deps() {
	local p status missing=""

	for p in $BENCH_PACKAGES; do
		status=$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null || true)
		case "$status" in
		*" installed") ;;
		*) missing="$missing $p" ;;
		esac
	done
	[ -z "$missing" ] && return 0
	if [ "$(id -u)" -ne 0 ]; then
		die "missing packages; run: sudo apt-get install$missing"
	fi
	say "installing$missing"
	export DEBIAN_FRONTEND=noninteractive
	apt-get update -qq
	# shellcheck disable=SC2086
	apt-get install -y -qq --no-install-recommends $missing >/dev/null
}

# ---- outside the namespace: packages, binaries, then re-enter ----------
if [ -z "${SOCKBIND_BENCH_NS:-}" ]; then
	command -v dpkg-query >/dev/null && bench_deps
	[ -x "$LOAD" ] && [ -x "$SOCKBIND" ] ||
	    die "$LOAD or $SOCKBIND missing: run make bench"
	if unshare -n true 2>/dev/null; then
		export SOCKBIND_BENCH_NS=private
		exec unshare -n bash "$0" "$@"
	fi
	say "##########################################################"
	say "# unshare -n does not work here (not root, or no user     #"
	say "# namespaces): running on the machine's own loopback.    #"
	say "# Peers can reach the network (xinetd's name look-ups).  #"
	say "##########################################################"
	export SOCKBIND_BENCH_NS=none
fi

# ---- inside ---------------------------------------------------------------
if [ "$SOCKBIND_BENCH_NS" = private ]; then
	ip link set lo up
fi
T_START=$(date +%s)
LOAD_START=$(cut -d' ' -f1-3 /proc/loadavg)
mkdir -p "$OUT" var
WORK=$(mktemp -d "$ROOT/var/bench.XXXXXX")
RAW=$WORK/raw.txt
: >"$RAW"
PIDS=()
declare -A ROOTPID CGROUP
TREE="commit=$(git rev-parse --short HEAD 2>/dev/null || echo none) changed=\"$(git status --porcelain -- daemon shared 2>/dev/null | awk '{ print $2 }' | paste -sd' ')\""

cleanup() {
	local p i
	for p in "${PIDS[@]}"; do
		kill -TERM "$p" 2>/dev/null || true
	done
	for p in "${PIDS[@]}"; do
		wait "$p" 2>/dev/null || true
	done
	for p in "${CGROUP[@]}"; do
		[ -n "$p" ] || continue
		for i in $(seq 50); do
			rmdir "$p" 2>/dev/null && break
			sleep 0.1
		done
		[ -d "$p" ] && say "could not remove cgroup $p"
	done
	if [ "${BENCH_KEEP:-0}" = 1 ]; then
		say "work directory kept: $WORK"
	else
		rm -rf "$WORK"
	fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# Wait (at most 10 s) until something listens on 127.0.0.1:port.
wait_listen() {
	local i
	for i in $(seq 100); do
		if ss -Hltn "sport = :$1" 2>/dev/null | grep -q .; then
			return 0
		fi
		sleep 0.1
	done
	die "$2: nothing listens on port $1 after 10 s (see $WORK)"
}

# Start server $1: the command that follows, in the background, output to
# WORK/$1.out, in a cgroup (v2) of its own when there is one so that perf
# can count its processes and no others (CGROUP[$1]; empty without).
# Sets ROOTPID[$1].
CGROOT=$(awk '$3 == "cgroup2" { print $2; exit }' /proc/mounts)
spawn() {
	local name=$1 cg=""
	shift
	if [ -n "$CGROOT" ] && mkdir "$CGROOT/bench-$$-$name" 2>/dev/null; then
		cg=$CGROOT/bench-$$-$name
	fi
	CGROUP[$name]=$cg
	(
		[ -n "$cg" ] && echo "$BASHPID" >"$cg/cgroup.procs"
		exec "$@"
	) >"$WORK/$name.out" 2>&1 &
	PIDS+=($!)
	ROOTPID[$name]=$!
}

# sockbind with tests/bench/sockbind.ini (the pool sizes are explained there),
# in the work directory, where its relative paths land.
start_sockbind() {
	local i
	spawn sockbind sh -c 'cd "$1" && exec "$2" -c "$3"' sh "$WORK" \
	    "$ROOT/$SOCKBIND" "$ROOT/tests/bench/sockbind.ini"
	SB_PID=${ROOTPID[sockbind]}
	SB_CGROUP=${CGROUP[sockbind]}
	for i in $(seq 100); do
		[ -s "$WORK/sockbind.port" ] && break
		sleep 0.1
	done
	[ -s "$WORK/sockbind.port" ] ||
	    die "sockbind did not start: $(cat "$WORK/sockbind.out")"
	PORT_SB=$(cat "$WORK/sockbind.port")
	wait_listen "$PORT_SB" sockbind
}

start_python() {
	spawn python "$PY" tests/bench/forking_echo.py "$PORT_PY"
	wait_listen "$PORT_PY" python
}

# xinetd's own configuration: only the internal echo, on our port, no
# limits that would stop it mid-run (cps defaults to 50 connections a
# second, then 10 s off), no log (none is configured: it logs nothing).
start_xinetd() {
	cat >"$WORK/xinetd.conf" <<EOF
defaults
{
	instances	= UNLIMITED
	per_source	= UNLIMITED
	cps		= 1000000 1
}
service echo
{
	type		= INTERNAL UNLISTED
	id		= echo-stream
	socket_type	= stream
	protocol	= tcp
	port		= $PORT_XINETD
	bind		= 127.0.0.1
	user		= root
	wait		= no
}
EOF
	spawn xinetd xinetd -f "$WORK/xinetd.conf" -dontfork \
	    -pidfile "$WORK/xinetd.pid"
	wait_listen "$PORT_XINETD" xinetd
}

# socat's listen backlog is 5 by default, which drops SYNs at 50 clients;
# 511 like the others.
start_socat() {
	spawn socat socat \
	    "TCP-LISTEN:$PORT_SOCAT,bind=127.0.0.1,fork,reuseaddr,backlog=511" PIPE
	wait_listen "$PORT_SOCAT" socat
}

# redis answers PING. protected-mode off: it would refuse clients from
# 127.0.0.2..4 (only 127.0.0.1 counts as local for it); the namespace has
# nothing but loopback anyway.
start_redis() {
	cat >"$WORK/redis.conf" <<EOF
port $PORT_REDIS
bind 127.0.0.1
protected-mode no
save ""
appendonly no
daemonize no
logfile ""
dir $WORK
EOF
	spawn redis redis-server "$WORK/redis.conf"
	wait_listen "$PORT_REDIS" redis
}

# PSS (kB) and process count of a process and all its descendants.
tree_pss() {
	local pid pss total=0 n=0
	for pid in $(ps -e -o pid=,ppid= | awk -v root="$1" '
	    { parent[$1] = $2 }
	    END {
		in_tree[root] = 1; grew = 1
		while (grew) {
			grew = 0
			for (p in parent)
				if (!(p in in_tree) && (parent[p] in in_tree)) {
					in_tree[p] = 1; grew = 1
				}
		}
		for (p in in_tree) print p
	    }'); do
		pss=$(awk '/^Pss:/ { print $2 }' "/proc/$pid/smaps_rollup" \
		    2>/dev/null || true)
		[ -n "$pss" ] || continue
		total=$((total + pss))
		n=$((n + 1))
	done
	echo "$total $n"
}

port_of() {
	case $1 in
	sockbind) echo "$PORT_SB" ;;
	python) echo "$PORT_PY" ;;
	xinetd) echo "$PORT_XINETD" ;;
	socat) echo "$PORT_SOCAT" ;;
	redis) echo "$PORT_REDIS" ;;
	esac
}

# One measurement: a load run against one server, its key=value line kept.
# Persistent runs warm up until every connection has had a reply (at most
# 30 s: a pre-fork pool has to grow to one worker per client).
run_one() {
	local srv=$1 wl=$2 c=$3 t=$4 rep=$5 order=$6 warm src=1 extra=() line

	if [ "$wl" = persistent ]; then
		warm=0.5:30
	else
		warm=0.5
		src=4
	fi
	[ "$srv" = redis ] && extra+=(-r)
	if ! "$LOAD" -k -l "$srv" -p "$(port_of "$srv")" -m "$wl" -c "$c" \
	    -t "$t" -d "$SECS" -w "$warm" -s "$src" "${extra[@]}" \
	    >"$WORK/load.out" 2>"$WORK/load.err"; then
		die "load failed against $srv: $(cat "$WORK/load.err")"
	fi
	line="$(cat "$WORK/load.out") gen_threads=$t rep=$rep order=$order"
	echo "$line" >>"$RAW"
	printf '  %-8s %-10s c=%-3s t=%s rep %s: %s rt/s, p99 %s us, errors %s, never %s\n' \
	    "$srv" "$wl" "$c" "$t" "$rep" \
	    "$(sed 's/.* rps=\([^ ]*\).*/\1/' <<<"$line")" \
	    "$(sed 's/.* p99_us=\([^ ]*\).*/\1/' <<<"$line")" \
	    "$(sed 's/.* errors=\([^ ]*\).*/\1/' <<<"$line")" \
	    "$(sed 's/.* never=\([^ ]*\).*/\1/' <<<"$line")" >&2
}

# Memory at 50 persistent clients, in runs of its own so that reading
# /proc/*/smaps_rollup (a walk of every process's page tables) slows no
# measured run: PSS sampled every half second while the load runs, the last
# sample taken with the load still running kept (a fork-per-connection
# server's children exit as it ends).
mem_one() {
	local srv=$1 rep=$2 extra=() lp sample="" pss

	[ "$srv" = redis ] && extra+=(-r)
	"$LOAD" -k -l "$srv" -p "$(port_of "$srv")" -m persistent -c 50 \
	    -d "$SECS" -w 0.5:30 "${extra[@]}" >"$WORK/mem.out" \
	    2>"$WORK/load.err" &
	lp=$!
	while sleep 0.5 && kill -0 "$lp" 2>/dev/null; do
		pss=$(tree_pss "${ROOTPID[$srv]}")
		kill -0 "$lp" 2>/dev/null && sample=$pss
	done
	wait "$lp" || die "load failed against $srv: $(cat "$WORK/load.err")"
	[ -n "$sample" ] || sample="0 0"
	# bytes_out: what the clients sent, for the log check.
	echo "mem server=$srv rep=$rep pss_kb=${sample% *} nproc=${sample#* } $(grep -o 'bytes_out=[0-9]*' "$WORK/mem.out")" >>"$RAW"
	printf '  %-8s memory at c=50, rep %s: PSS %s kB in %s processes\n' \
	    "$srv" "$rep" "${sample% *}" "${sample#* }" >&2
}

read -r -a SRV <<<"$SERVERS"
for s in "${SRV[@]}"; do
	"start_$s"
done
say "namespace: $SOCKBIND_BENCH_NS; sockbind on port $PORT_SB; ${SECS}s x $REPEATS repeats; concurrency $CONC; generator threads $THREADS from 50 clients"

# Persistent first, in rising concurrency: the memory runs, right after the
# persistent runs at 50 clients, see the pool grown for 50 clients.
for wl in persistent reconnect; do
	for c in $CONC; do
		ts=1
		[ "$c" -ge 50 ] && ts=$THREADS
		# Every (server, generator threads) pair, in a rotated order
		# each repeat.
		pairs=()
		for t in $ts; do
			for s in "${SRV[@]}"; do
				pairs+=("$s $t")
			done
		done
		n=${#pairs[@]}
		for rep in $(seq "$REPEATS"); do
			for k in $(seq 0 $((n - 1))); do
				read -r s t <<<"${pairs[$(((k + rep - 1) % n))]}"
				run_one "$s" "$wl" "$c" "$t" "$rep" "$k"
			done
		done
		# Memory right after the persistent runs at 50 clients, while
		# sockbind's pool is the size they grew it to.
		if [ "$wl" = persistent ] && [ "$c" = 50 ]; then
			for rep in $(seq "$REPEATS"); do
				for s in "${SRV[@]}"; do
					mem_one "$s" "$rep"
				done
			done
		fi
	done
done

# The log must hold every message, whole: no torn record, every byte the
# clients sent to sockbind logged as received.
check_log() {
	local sent logged torn lines
	sent=$(awk '/label=sockbind |^mem server=sockbind /{ for (i = 1; i <= NF; i++)
	    if ($i ~ /^bytes_out=/) { sub(/bytes_out=/, "", $i); s += $i } }
	    END { printf "%d", s }' "$RAW")
	logged=$(awk '$3 == "recv" { for (i = 4; i <= NF; i++)
	    if ($i ~ /^bytes=/) { sub(/bytes=/, "", $i); s += $i } }
	    END { printf "%d", s }' "$WORK/sockbind.log")
	torn=$(grep -cvE '^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9:.]+[+-][0-9]{2}:[0-9]{2} sockbind\[[0-9]+\] [a-z_]+( |$)' \
	    "$WORK/sockbind.log" || true)
	lines=$(wc -l <"$WORK/sockbind.log")
	echo "log_lines=$lines log_torn=$torn log_recv_bytes=$logged client_sent_bytes=$sent" >>"$RAW"
	say "log: $lines records, $torn malformed, $logged bytes logged as received of $sent sent"
}
if [[ " $SERVERS " == *" sockbind "* ]]; then
	check_log
fi

# Beyond one host: HAProxy (send-proxy-v2) in front of two more sockbind
# instances (the bench's configuration with proxy_protocol = v2), against
# the one instance direct, at 50 clients, taking turns. Each proxied
# instance keeps its own log in its own directory.
start_proxied() {
	local i n dir

	for n in 1 2; do
		dir=$WORK/proxied$n
		mkdir -p "$dir"
		awk -v port=$((PORT_PROXIED + n - 1)) '
		    /^port_(min|max) =/ { print $1 " = " port; next }
		    { print }
		    /^\[server\]/ { print "proxy_protocol = v2"
			print "proxy_from = 127.0.0.1" }' \
		    tests/bench/sockbind.ini >"$dir/sockbind.ini"
		spawn "proxied$n" sh -c 'cd "$1" && exec "$2" -c "$3"' sh \
		    "$dir" "$ROOT/$SOCKBIND" "$dir/sockbind.ini"
		wait_listen $((PORT_PROXIED + n - 1)) "proxied$n"
	done
	cat >"$WORK/haproxy.cfg" <<EOF
global
	maxconn 4096
defaults
	mode tcp
	timeout connect 5s
	timeout client 1h
	timeout server 1h
	timeout check 3s
frontend sockbind_in
	bind 127.0.0.1:$PORT_HAPROXY
	default_backend sockbind
backend sockbind
	balance leastconn
	option tcp-check
	tcp-check send "haproxy check\\n"
	tcp-check expect string "haproxy check"
	default-server send-proxy-v2 check check-send-proxy inter 2s
	server proxied1 127.0.0.1:$PORT_PROXIED
	server proxied2 127.0.0.1:$((PORT_PROXIED + 1))
EOF
	spawn haproxy haproxy -db -f "$WORK/haproxy.cfg"
	wait_listen "$PORT_HAPROXY" haproxy
	# Started with its servers up; wait for a first check of each.
	for i in $(seq 100); do
		grep -qs 'command=LOCAL' "$WORK/proxied1/sockbind.log" &&
		    grep -qs 'command=LOCAL' "$WORK/proxied2/sockbind.log" &&
		    return 0
		sleep 0.1
	done
	die "haproxy: no health check reached both instances in 10 s"
}

# One run at 50 clients against port $2, labelled $1, as a "proxy" line.
proxy_one() {
	local label=$1 port=$2 wl=$3 rep=$4 warm=0.5 src=1 line

	if [ "$wl" = persistent ]; then
		warm=0.5:30
	else
		src=4
	fi
	"$LOAD" -k -l "$label" -p "$port" -m "$wl" -c 50 -t 1 -d "$SECS" \
	    -w "$warm" -s "$src" >"$WORK/load.out" 2>"$WORK/load.err" ||
	    die "load failed against $label: $(cat "$WORK/load.err")"
	line="proxy $(cat "$WORK/load.out") rep=$rep"
	echo "$line" >>"$RAW"
	printf '  %-8s %-10s c=50 rep %s: %s rt/s, errors %s\n' "$label" "$wl" \
	    "$rep" "$(sed 's/.* rps=\([^ ]*\).*/\1/' <<<"$line")" \
	    "$(sed 's/.* errors=\([^ ]*\).*/\1/' <<<"$line")" >&2
}

if [ "${BENCH_HAPROXY:-1}" = 1 ] && [[ " $SERVERS " == *" sockbind "* ]] &&
    command -v haproxy >/dev/null; then
	say "through HAProxy to two instances against one instance direct"
	start_proxied
	for wl in persistent reconnect; do
		for rep in $(seq "$REPEATS"); do
			if [ $((rep % 2)) = 1 ]; then
				proxy_one direct "$PORT_SB" "$wl" "$rep"
				proxy_one haproxy "$PORT_HAPROXY" "$wl" "$rep"
			else
				proxy_one haproxy "$PORT_HAPROXY" "$wl" "$rep"
				proxy_one direct "$PORT_SB" "$wl" "$rep"
			fi
		done
	done
	# Every client seen with its own address: connections logged with the
	# header's client (command=PROXY), and anything refused.
	{
		printf 'proxy_check clients=%s refused=%s haproxy="%s"\n' \
		    "$(cat "$WORK"/proxied?/sockbind.log | grep -c ' proxy client=.* command=PROXY' || true)" \
		    "$(cat "$WORK"/proxied?/sockbind.log | grep -c ' refused ' || true)" \
		    "$(haproxy -v | sed -n '1s/ - .*//p')"
	} >>"$RAW"
fi

# What a round trip costs each server at 50 clients: system calls, CPU time
# and context switches of its processes (its cgroup), counted by perf stat.
cost_one() {
	local srv=$1 wl=$2 cg=${CGROUP[$1]##*/} src=1 extra=() out
	[ "$srv" = redis ] && extra+=(-r)
	[ "$wl" = reconnect ] && src=4
	"$LOAD" -k -p "$(port_of "$srv")" -m "$wl" -c 50 -s "$src" "${extra[@]}" \
	    -d 0.5 -w 0.2:30 >/dev/null
	out=$(perf stat -a -x, -o "$WORK/cost.stat" \
	    -e raw_syscalls:sys_enter,task-clock,context-switches -G "$cg,$cg,$cg" \
	    -- "$LOAD" -k -p "$(port_of "$srv")" -m "$wl" -c 50 -s "$src" \
	    "${extra[@]}" -d "$SECS" -w 0)
	awk -F, -v srv="$srv" -v wl="$wl" -v line=" $out" '
	    $3 == "raw_syscalls:sys_enter" { sys = $1 }
	    $3 == "task-clock" { ms = $1 }
	    $3 == "context-switches" { cs = $1 }
	    END {
		match(line, / rt_all=[0-9]+/)
		rt = substr(line, RSTART + 8, RLENGTH - 8)
		match(line, / rps=[0-9.]+/)
		rps = substr(line, RSTART + 5, RLENGTH - 5)
		if (rt == 0) rt = 1
		printf "cost server=%s mode=%s conns=50 rt=%d rps=%s " \
		    "sys_per_rt=%.2f cpu_us_per_rt=%.2f cs_per_rt=%.2f\n",
		    srv, wl, rt, rps, sys / rt, ms * 1000 / rt, cs / rt
	    }' "$WORK/cost.stat" >>"$RAW"
}
if [ -n "$CGROOT" ] && command -v perf >/dev/null; then
	say "cost per round trip at 50 clients (perf stat per server)"
	for wl in persistent reconnect; do
		for s in "${SRV[@]}"; do
			[ -n "${CGROUP[$s]}" ] && cost_one "$s" "$wl"
		done
	done
	grep '^cost ' "$RAW" | sed 's/^/  /' >&2
fi

if [ "${BENCH_PROFILE:-1}" = 1 ] && [[ " $SERVERS " == *" sockbind "* ]]; then
	say "profiling sockbind (scripts/bench-profile.sh)"
	WORK_PROFILE=$WORK/profile PORT_SB=$PORT_SB SB_PID=$SB_PID \
	    SB_LOG=$WORK/sockbind.log SB_CGROUP=$SB_CGROUP LOAD=$LOAD OUT=$OUT \
	    bash scripts/bench-profile.sh >>"$RAW"
fi

# The machine and the peers' versions, for the report.
{
	echo "machine cpus=$(nproc) cpu=\"$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | sed -n '1,1p')\" kernel=$(uname -r) mem_mb=$(free -m | awk '/^Mem:/{print $2}') cpuidle=$(cat /sys/devices/system/cpu/cpuidle/current_driver 2>/dev/null || echo none) halt_poll_ns=$(cat /sys/module/haltpoll/parameters/guest_halt_poll_ns 2>/dev/null || echo none)"
	echo "tree $TREE"
	echo "versions sockbind=\"$("$SOCKBIND" -V 2>&1 | sed -n '1,1p')\" python=\"$("$PY" --version 2>&1)\" xinetd=\"$(xinetd -version 2>&1 | sed -n '1,1p')\" socat=\"$(socat -V 2>/dev/null | sed -n 's/^socat version \([^ ]*\).*/\1/p')\" redis=\"$(redis-server --version | sed 's/ sha=.*//')\""
	echo "run namespace=$SOCKBIND_BENCH_NS secs=$SECS repeats=$REPEATS conc=\"$CONC\" date=\"$(date -Iseconds)\" elapsed_s=$(($(date +%s) - T_START)) loadavg_start=\"$LOAD_START\" loadavg_end=\"$(cut -d' ' -f1-3 /proc/loadavg)\""
} >>"$RAW"

cp "$RAW" "$OUT/raw.txt"
status=0
"$PY" tests/bench/report.py "$OUT/raw.txt" "$OUT" || status=$?
if [ "$status" -eq 3 ] && [ "${BENCH_STRICT:-0}" != 1 ]; then
	status=0	# targets failed: reported, not an error of the bench
fi
exit "$status"
