#!/bin/sh
# demo.sh -- the lab's concurrency test, shown on the real programs.
#
# One sockbind runs the mirror service with one second of simulated work.
# Five clients come at once: the second to fifth while the first waits for
# its answer. The timeline, from the clients' and the server's logs, shows
# a pre-fork pool answering all five in about a second, then an iterative
# server (max_workers = 1) answering them one after another in about five.
# Everything stays on 127.0.0.1; ports 23500-23510.
set -eu

top=$(cd "$(dirname "$0")/.." && pwd)
sockbind=${SOCKBIND_BIN:-$top/build/sockbind}
sockbin=${SOCKBIN_BIN:-$top/build/sockbin}
work=$(mktemp -d /tmp/sockbin-demo.XXXXXX)
daemon=
trap '[ -n "$daemon" ] && kill "$daemon" 2>/dev/null; rm -rf "$work"' EXIT INT TERM

# wait_for FILE TEXT: until FILE holds TEXT (at most 10 s).
wait_for() {
	i=0
	until grep -q -- "$2" "$1" 2>/dev/null; do
		i=$((i + 1))
		[ "$i" -le 1000 ] || { echo "demo: gave up waiting for $2" >&2; exit 1; }
		sleep 0.01
	done
}

run() {
	title=$1 max_workers=$2 dir=$work/$3
	mkdir -p "$dir"
	cat > "$dir/sockbind.ini" <<EOT
[server]
listen = 127.0.0.1
port_min = 23500
port_max = 23510
service = mirror
port_file = $dir/port
pidfile = $dir/pid
[pool]
start = $max_workers
max_workers = $max_workers
min_spare = 1
[mirror]
delay_ms = 1000
signature = . Сервер написан Титов Ю.П. М3О-3ХХБ-ХХ
keep_case = true
[log]
path = $dir/server.log
EOT
	"$sockbind" -c "$dir/sockbind.ini" > "$dir/stdout" &
	daemon=$!
	wait_for "$dir/stdout" "listening on"
	port=$(cat "$dir/port")
	clients=""
	for n in 1 2 3 4 5; do
		cat > "$dir/client$n.ini" <<EOT
[server]
host = 127.0.0.1
port = $port
[client]
log = $dir/client.log
EOT
		"$sockbin" -c "$dir/client$n.ini" mirror "Клиент номер $n" \
		    > "$dir/reply$n" &
		clients="$clients $!"
		# The others come while the first waits for its answer.
		[ "$n" -eq 1 ] && wait_for "$dir/server.log" " recv client="
	done
	for pid in $clients; do wait "$pid"; done
	kill -TERM "$daemon"; wait "$daemon" || true; daemon=

	echo "== $title =="
	# One timeline: the client log and the server log, merged by time
	# (stable: records of one process keep their order within a ms).
	cat "$dir/client.log" "$dir/server.log" | sort -s -k1,1 |
	    grep -E ' (connect|send|recv|sent|disconnect) ' |
	    grep -v 'text="OK sockbind' |
	    sed -E 's/^[0-9-]+T([0-9:.]+)[+-][0-9:]+ /\1 /;
	        s/ (bytes|duration_ms|bytes_in|bytes_out)=[0-9]+//g'
	first=$(sort "$dir/client.log" | grep -m1 ' send ' | cut -c12-23)
	last=$(sort "$dir/client.log" | grep ' recv ' | tail -n 1 | cut -c12-23)
	echo "-- first question $first, last answer $last"
	echo
}

run "pre-fork pool: five workers, five answers in about one second" 5 pool
run "iterative server (max_workers = 1): one answer after another" 1 iterative
