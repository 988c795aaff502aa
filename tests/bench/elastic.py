#!/usr/bin/env python3
"""elastic.py -- how the pool meets bursts and idle hoarders (make bench).

Runs inside a private network namespace (scripts/bench-elastic.sh): every
client address is a 127.x address of its own loopback. Each scenario starts
the daemon on a configuration of defaults (only what the scenario names is
set), measures, and stops it:

  burst     200 clients connect at once and keep their connection; the time
            from the burst to each client's first reply (target: all < 1 s);
            then how long until the pool is back to its resting size;
  lab       five mirror clients at the same moment, delay_ms 2000 (target:
            every answer within 2.2 s);
  hoarder   one address keeps 300 connections open, re-opening what closes
            (per_source refuses most); another address's round trips
            (target: p99 < 50 ms);
  stress    eight addresses hold 40 idle connections each (a byte every
            3 s, re-opened when cut); another address connects again and
            again (target: served within stress_idle_timeout + 1 s, every
            time; the connections let go are the hoarders').

Prints one JSON object with every figure and target verdict.
"""
import json
import os
import selectors
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time

PORT_MIN = 17300


class Daemon:
    def __init__(self, binary, service, extra):
        self.dir = tempfile.mkdtemp(prefix="sockbind-elastic.")
        self.log = os.path.join(self.dir, "log")
        ini = os.path.join(self.dir, "sockbind.ini")
        keys = {"server": {"listen": "127.0.0.1", "port_min": PORT_MIN,
                           "port_max": PORT_MIN + 9, "service": service,
                           "port_file": self.dir + "/port",
                           "pidfile": self.dir + "/pid"},
                "log": {"path": self.log}}
        for k, v in extra.items():
            sec, key = k.split(".")
            keys.setdefault(sec, {})[key] = v
        with open(ini, "w") as f:
            for sec, kv in keys.items():
                f.write("[%s]\n" % sec)
                for k, v in kv.items():
                    f.write("%s = %s\n" % (k, v))
        self.proc = subprocess.Popen([binary, "-c", ini],
                                     stdout=subprocess.PIPE,
                                     stderr=subprocess.DEVNULL)
        line = self.proc.stdout.readline().decode()
        if "listening on" not in line:
            raise SystemExit("elastic: sockbind did not start: %r" % line)
        self.port = int(open(self.dir + "/port").read())
        deadline = time.monotonic() + 5
        while self.workers() < 4 and time.monotonic() < deadline:
            time.sleep(0.01)

    def workers(self):
        try:
            with open("/proc/%d/task/%d/children" % (self.proc.pid,
                                                     self.proc.pid)) as f:
                return len(f.read().split())
        except OSError:
            return 0

    def log_count(self, needle):
        with open(self.log, errors="replace") as f:
            return sum(needle in line for line in f)

    def stop(self):
        self.proc.send_signal(signal.SIGQUIT)
        self.proc.wait(10)


def connect(src, port, timeout=10):
    s = socket.socket()
    s.bind((src, 0))
    s.settimeout(timeout)
    s.connect(("127.0.0.1", port))
    return s


def burst(binary):
    d = Daemon(binary, "echo", {"limits.per_source": 0})
    n = 200
    socks = [socket.socket() for _ in range(n)]
    t0 = time.monotonic()
    for s in socks:
        s.setblocking(False)
        s.connect_ex(("127.0.0.1", d.port))
    sel = selectors.DefaultSelector()
    for s in socks:
        sel.register(s, selectors.EVENT_WRITE)
    pending = set(socks)
    firsts = []
    while pending and time.monotonic() - t0 < 30:
        for key, ev in sel.select(1):
            s = key.fileobj
            if ev & selectors.EVENT_WRITE:
                s.send(b"hi\n")
                sel.modify(s, selectors.EVENT_READ)
            elif s.recv(16):
                firsts.append(time.monotonic() - t0)
                sel.unregister(s)
                pending.discard(s)
    started = d.log_count(" worker_start ")
    for s in socks:
        s.close()
    t1 = time.monotonic()
    while d.workers() > 12 and time.monotonic() - t1 < 90:
        time.sleep(0.1)
    shrink = time.monotonic() - t1
    d.stop()
    firsts.sort()
    return {"clients": n, "served": len(firsts),
            "median_s": round(statistics.median(firsts), 3),
            "max_s": round(firsts[-1], 3), "workers_started": started,
            "shrink_s": round(shrink, 1),
            "ok": len(firsts) == n and firsts[-1] < 1.0 and shrink < 60}


def lab(binary):
    d = Daemon(binary, "mirror", {"mirror.delay_ms": 2000,
                                  "mirror.signature": ""})
    socks = [connect("127.0.0.1", d.port) for _ in range(5)]
    t0 = time.monotonic()
    for s in socks:
        s.sendall("Титов Юрий\n".encode())
    took = []
    for s in socks:
        s.recv(256)
        took.append(round(time.monotonic() - t0, 3))
        s.close()
    d.stop()
    return {"answers_s": took, "ok": max(took) < 2.2}


def hold(src, port, n, stop, ping=None):
    """Keep n connections from src open until stop is set; a byte every
    ping seconds on each; re-open what closes. Returns counters."""
    socks, stats = [], {"opened": 0, "cut": 0}

    def fill():
        while len(socks) < n and not stop.is_set():
            try:
                socks.append(connect(src, port, 1))
                stats["opened"] += 1
            except OSError:
                time.sleep(0.01)

    def run():
        last = 0.0
        fill()
        while not stop.is_set():
            sel = selectors.DefaultSelector()
            for s in socks:
                sel.register(s, selectors.EVENT_READ)
            for key, _ in sel.select(0.2):
                s = key.fileobj
                try:
                    data = s.recv(4096)
                except OSError:
                    data = b""
                if not data or data.startswith(b"ERR"):
                    stats["cut"] += 1
                    s.close()
                    socks.remove(s)
            sel.close()
            if ping and time.monotonic() - last >= ping:
                last = time.monotonic()
                for s in list(socks):
                    try:
                        s.send(b"x")
                    except OSError:
                        s.close()
                        socks.remove(s)
            fill()
        for s in socks:
            s.close()

    t = threading.Thread(target=run, daemon=True)
    t.start()
    return t, stats


def hoarder(binary):
    d = Daemon(binary, "echo", {})
    stop = threading.Event()
    t, stats = hold("127.0.0.2", d.port, 300, stop)
    time.sleep(1)
    rtts = []
    s = connect("127.0.0.3", d.port)
    until = time.monotonic() + 5
    while time.monotonic() < until:
        t0 = time.monotonic()
        s.sendall(b"ping\n")
        s.recv(16)
        rtts.append((time.monotonic() - t0) * 1000)
    s.close()
    stop.set()
    t.join()
    records = d.log_count(" refused")
    d.stop()
    rtts.sort()
    p99 = rtts[int(len(rtts) * 0.99)]
    return {"round_trips": len(rtts), "p50_ms": round(rtts[len(rtts) // 2],
            3), "p99_ms": round(p99, 3), "max_ms": round(rtts[-1], 1),
            "hoarder_connections": stats["opened"],
            "refusal_records": records, "ok": p99 < 50}


def stress(binary):
    idle_timeout = 5
    d = Daemon(binary, "echo", {"limits.stress_idle_timeout": idle_timeout})
    stop = threading.Event()
    holders = [hold("127.0.0.%d" % (10 + i), d.port, 40, stop, ping=3)
               for i in range(8)]
    time.sleep(3)
    waits, failures = [], 0
    until = time.monotonic() + 20
    while time.monotonic() < until:
        t0 = time.monotonic()
        try:
            s = connect("127.0.0.3", d.port, idle_timeout + 1)
            s.sendall(b"hello\n")
            if s.recv(16) != b"hello\n":
                failures += 1
            s.close()
            waits.append(time.monotonic() - t0)
        except OSError:
            failures += 1
        time.sleep(0.5)
    stop.set()
    for t, _ in holders:
        t.join()
    let_go = d.log_count("let go: server under stress")
    victim_cut = d.log_count("client=127.0.0.3:") and \
        sum(1 for line in open(d.log, errors="replace")
            if "client=127.0.0.3:" in line and "let go" in line)
    episodes = d.log_count(" stress_begin ")
    d.stop()
    return {"attempts": len(waits) + failures, "failures": failures,
            "max_wait_s": round(max(waits), 3) if waits else None,
            "median_wait_s": round(statistics.median(waits), 3)
            if waits else None, "hoarders_let_go": let_go - victim_cut,
            "victim_let_go": victim_cut, "stress_episodes": episodes,
            "ok": failures == 0 and waits and
            max(waits) < idle_timeout + 1 and victim_cut == 0}


def main():
    binary = sys.argv[1]
    which = sys.argv[2:] or ["burst", "lab", "hoarder", "stress"]
    out = {}
    for name in which:
        out[name] = globals()[name](binary)
        print("elastic: %s %s" % (name, json.dumps(out[name])),
              file=sys.stderr)
    print(json.dumps(out))


if __name__ == "__main__":
    main()
