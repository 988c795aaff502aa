#!/bin/sh
# run.sh -- sockbind under valgrind's memcheck, from start to a clean stop.
#
# The session service on 127.0.0.1 (ports 23090-23099) gets requests of
# every kind from the real client (echo, mirror, upload, register, login,
# resume, identify, status, logout) and from a raw Python client (a bad
# verb, invalid UTF-8, a NUL, an oversized frame, a cut frame), then
# SIGTERM. Every process, master and workers, writes its own valgrind log;
# the run fails on any error in any of them, a "definitely lost" leak
# included ("still reachable" memory of libsodium or SQLite is fine), or on
# an exit status other than 0. Usage: run.sh SOCKBIND SOCKBIN
set -eu

top=$(cd "$(dirname "$0")/../.." && pwd)
sockbind=${1:-$top/build/sockbind}
sockbin=${2:-$top/build/sockbin}
python=${PYTHON:-python3}
work=$(mktemp -d /tmp/sockbind-valgrind.XXXXXX)
daemon=
cleanup() {
	[ -n "$daemon" ] && kill -KILL "$daemon" 2>/dev/null
	[ -n "${KEEP_TEST_DIRS:-}" ] || rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 1' INT TERM

fail() {
	echo "valgrind: $*" >&2
	exit 1
}

# wait_for FILE TEXT SECONDS: until FILE holds TEXT.
wait_for() {
	i=0
	until grep -q -- "$2" "$1" 2>/dev/null; do
		i=$((i + 1))
		[ "$i" -le $(($3 * 20)) ] || fail "no '$2' in $1 after $3 s"
		sleep 0.05
	done
}

mkdir -p "$work/home"
cat > "$work/sockbind.ini" <<EOT
[server]
listen = 127.0.0.1
port_min = 23090
port_max = 23099
service = session
port_file = $work/port
pidfile = $work/pid
[pool]
start = 2
min_spare = 1
max_spare = 2
max_workers = 4
; A worker hashing a password under valgrind beats no heart for a while.
worker_timeout = 0
graceful_timeout = 20
[limits]
max_frame = 65536
[mirror]
signature = . Сервер написан Титов Ю.П. М3О-3ХХБ-ХХ
keep_case = true
[upload]
dir = $work/uploads
[store]
path = $work/sockbind.db
[auth]
failure_delay_ms = 0
[log]
path = $work/sockbind.log
EOT

valgrind --leak-check=full --errors-for-leak-kinds=definite \
    --show-leak-kinds=definite --error-exitcode=99 --trace-children=yes \
    --log-file="$work/vg.%p.log" \
    "$sockbind" -c "$work/sockbind.ini" >"$work/stdout" 2>"$work/stderr" &
daemon=$!
wait_for "$work/stdout" "listening on" 60
port=$(cat "$work/port")
wait_for "$work/sockbind.log" "worker_start" 30

client() {
	HOME=$work/home "$sockbin" -H 127.0.0.1 -p "$port" "$@" \
	    >>"$work/client.out" 2>&1 || fail "sockbin $*: $(tail -n 3 \
	    "$work/client.out")"
}
printf 'line one\nline two\n' > "$work/notes.txt"
client echo 'Привет, мир'
client mirror 'Титов Юрий Павлович'
client upload "$work/notes.txt"
printf 'correct horse battery\ncorrect horse battery\n' |
    client --password-stdin register ivan
printf 'correct horse battery\n' | client --password-stdin login ivan
client resume
client status
client logout
grep -q 'Чиволвап Йирю Вотит. Сервер написан' "$work/client.out" ||
    fail "no mirror reply: $(cat "$work/client.out")"

# What the client never sends: each gets its ERR, the last ends the link.
"$python" - "$port" >>"$work/client.out" 2>&1 <<'EOT' || fail "raw client"
import socket, struct, sys
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=60)
def send(b): s.sendall(struct.pack(">I", len(b)) + b)
def recv():
    n = struct.unpack(">I", s.recv(4, socket.MSG_WAITALL))[0]
    return s.recv(n, socket.MSG_WAITALL).decode()
print(recv())
for req in [b"FOO", b"", b"ECHO \xd0", b"ECHO a\x00b", b"IDENTIFY",
            b"IDENTIFY Ivan", b"WHOAMI", b"LOGIN ivan wrong password",
            b"UPLOAD x 5 " + b"0" * 64]:
    send(req)
    print(recv())
send(b"hello")                      # not the SHA-256 announced
print(recv())                       # ERR 422
send(b"\x00" * 70000)               # past max_frame
print(recv())                       # ERR 413
s.close()
t = socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=60)
t.recv(4096)
t.sendall(struct.pack(">I", 100) + b"cut")   # a frame cut by the close
t.close()
EOT

kill -TERM "$daemon"
i=0
while kill -0 "$daemon" 2>/dev/null; do
	i=$((i + 1))
	[ "$i" -le 1200 ] || fail "still running 60 s after SIGTERM"
	sleep 0.05
done
status=0
wait "$daemon" || status=$?
daemon=

# Each log ends with its process's error summary: leaks were counted in.
procs=0
errors=0
for log in "$work"/vg.*.log; do
	procs=$((procs + 1))
	if ! grep -q 'ERROR SUMMARY: 0 errors' "$log"; then
		errors=$((errors + 1))
		echo "valgrind: $log:" >&2
		cat "$log" >&2
	fi
done
[ "$procs" -ge 3 ] || fail "only $procs processes ran under valgrind"
[ "$errors" -eq 0 ] || fail "errors or leaks in $errors of $procs processes"
[ "$status" -eq 0 ] || fail "sockbind exited with status $status: $(cat \
    "$work/stderr")"
grep -q ' exit status=0' "$work/sockbind.log" || fail "no clean exit record"
echo "valgrind: $procs processes (master and workers), 0 errors, 0 bytes" \
    "definitely lost, exit status 0"
