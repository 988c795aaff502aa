"""The systemd units: the settings the daemon relies on, systemd-analyze
verify and security (1.0 at most) on the installed units, and a system-call
filter that allows every call the daemon really makes (traced with strace
while it serves every kind of request, reloads, reopens its log and stops)."""
import os
import pwd
import re
import select
import shutil
import signal
import socket
import subprocess
import time
import unittest
import urllib.request

from opslib import (BUILD, ROOT, SOCKBIN, SOCKBIND, TempDir, config_defaults,
                    copy_for, make, read_unit, unit_values)

SYSTEMD = os.path.join(ROOT, "systemd")
ANALYZE = shutil.which("systemd-analyze")
# 1.0, in systemd-analyze's tenths.
THRESHOLD = "10"


def unit(name):
    return os.path.join(SYSTEMD, name)


def seconds(value):
    m = re.fullmatch(r"(\d+)(s|min)?", value)
    return int(m.group(1)) * (60 if m.group(2) == "min" else 1)


def analyze(*args, env=None):
    p = subprocess.run([ANALYZE] + list(args), stdout=subprocess.PIPE,
                       stderr=subprocess.STDOUT, text=True, env=env)
    return p.returncode, p.stdout


def filter_set(*groups):
    """The system calls of systemd's named groups, expanded."""
    calls = set()
    for g in groups:
        status, out = analyze("syscall-filter", g)
        words = [ln.strip() for ln in out.splitlines()
                 if ln.strip() and not ln.strip().startswith("#")]
        for word in words:
            if word.startswith("@"):
                if word != g:
                    calls |= filter_set(word)
            elif re.fullmatch(r"[a-z_0-9]+", word):
                calls.add(word)
    return calls


def allowed_calls(path):
    """What the unit's SystemCallFilter= lines let through."""
    allow, deny = set(), set()
    for value in unit_values(path, "SystemCallFilter"):
        neg = value.startswith("~")
        names = value.lstrip("~").split()
        calls = set()
        for n in names:
            calls |= filter_set(n) if n.startswith("@") else {n}
        (deny if neg else allow).update(calls)
    return allow - deny


class Settings(unittest.TestCase):

    def test_both_units(self):
        graceful = int(config_defaults()[("pool", "graceful_timeout")])
        for name in ("sockbind.service", "sockbind@.service"):
            u = unit(name)
            conf = "%i.ini" if "@" in name else "sockbind.ini"
            with self.subTest(unit=name):
                v = lambda k, s="Service": unit_values(u, k, s)
                self.assertEqual(v("Type"), ["notify"])
                self.assertEqual(v("ExecStart"), [
                    "/usr/local/sbin/sockbind -c /usr/local/etc/sockbind/"
                    + conf])
                self.assertIn("/bin/kill -HUP $MAINPID", v("ExecReload"))
                self.assertEqual(v("Restart"), ["on-failure"])
                self.assertTrue(v("StartLimitIntervalSec", "Unit"))
                self.assertTrue(v("StartLimitBurst", "Unit"))
                self.assertEqual(v("RestartPreventExitStatus"), ["2"])
                # The pool's default policy, which the filter keeps the
                # daemon from setting itself.
                self.assertEqual(v("CPUSchedulingPolicy"), ["batch"])
                self.assertGreater(seconds(v("TimeoutStopSec")[0]), graceful)
                self.assertEqual(v("DynamicUser"), ["yes"])
                self.assertEqual(v("CapabilityBoundingSet"), [""])
                self.assertEqual(v("NoNewPrivileges"), ["yes"])
                self.assertEqual(v("ProtectSystem"), ["strict"])
                self.assertEqual(v("PrivateTmp"), ["yes"])
                self.assertEqual(v("PrivateDevices"), ["yes"])
                self.assertEqual(v("RestrictAddressFamilies"),
                                 ["AF_INET AF_INET6 AF_UNIX"])
                self.assertIn("@system-service", v("SystemCallFilter"))
                self.assertEqual(v("WantedBy", "Install"),
                                 ["multi-user.target"])

    def test_directories_are_the_daemon_defaults(self):
        """sockbind.service's directories hold the daemon's default paths
        (the installed config uses them too); the template's hold what
        the instance configurations name."""
        d = config_defaults()
        u = unit("sockbind.service")
        want = {"RuntimeDirectory": [d[("server", "port_file")],
                                     d[("server", "pidfile")]],
                "StateDirectory": [d[("store", "path")],
                                   d[("upload", "dir")],
                                   d[("pingpong", "file")]],
                "LogsDirectory": [d[("log", "path")]]}
        top = {"RuntimeDirectory": "/run", "StateDirectory": "/var/lib",
               "LogsDirectory": "/var/log"}
        for key, paths in want.items():
            with self.subTest(key=key):
                self.assertEqual(unit_values(u, key), ["sockbind"])
                for p in paths:
                    self.assertEqual(os.path.dirname(p),
                                     top[key] + "/sockbind")
                self.assertEqual(
                    unit_values(unit("sockbind@.service"), key),
                    ["sockbind-%i"])


@unittest.skipUnless(ANALYZE, "systemd-analyze not installed")
class Analyze(unittest.TestCase):

    @classmethod
    def setUpClass(cls):
        # Installed under a temporary PREFIX, so that the units name a
        # sockbind and man pages that exist.
        cls.tmp = TempDir()
        cls.prefix = cls.tmp.__enter__()
        status, out = make("install-data", "PREFIX=" + cls.prefix,
                           "SYSCONFDIR=" + cls.prefix + "/etc",
                           "FIREWALLDDIR=" + cls.prefix + "/firewalld",
                           "LOGROTATEDIR=" + cls.prefix + "/logrotate.d")
        assert status == 0, out
        shutil.copy(SOCKBIND, os.path.join(cls.prefix, "sbin", "sockbind"))
        cls.units = os.path.join(cls.prefix, "lib", "systemd", "system")

    @classmethod
    def tearDownClass(cls):
        cls.tmp.__exit__(None, None, None)

    def test_verify(self):
        env = dict(os.environ, MANPATH=os.path.join(self.prefix, "share",
                                                    "man"))
        # Documentation= is checked with man(1), where there is one.
        man = [] if shutil.which("man") else ["--man=no"]
        for name in ("sockbind.service", "sockbind@mirror.service"):
            with self.subTest(unit=name):
                status, out = analyze("verify", *man,
                                      os.path.join(self.units, name), env=env)
                self.assertEqual((status, out), (0, ""))

    def test_security(self):
        for name in ("sockbind.service", "sockbind@mirror.service"):
            with self.subTest(unit=name):
                status, out = analyze("security", "--offline=yes",
                                      "--threshold=" + THRESHOLD,
                                      os.path.join(self.units, name))
                level = re.search(r"Overall exposure level for \S+: "
                                  r"(\d+\.\d)", out)
                self.assertIsNotNone(level, out)
                print("\n    %s: exposure %s" % (name, level.group(1)),
                      end=" ")
                self.assertLessEqual(float(level.group(1)), 1.0, out)
                self.assertEqual(status, 0, out)

    def test_syscall_filter_allows_what_the_daemon_needs(self):
        allowed = allowed_calls(unit("sockbind.service"))
        # fork, prctl(PR_SET_PDEATHSIG), shared anonymous mmap, robust
        # mutexes, setsockopt, renameat2, flock, fsync, getrandom, and
        # sd_notify's sendmsg.
        need = {"clone", "clone3", "fork", "wait4", "kill", "prctl", "mmap",
                "munmap", "set_robust_list", "futex", "socket", "setsockopt",
                "bind", "listen", "accept", "accept4", "poll", "pipe2",
                "renameat2", "rename", "flock", "fsync", "fdatasync",
                "getrandom", "sendmsg", "rt_sigaction", "rt_sigprocmask",
                "openat", "unlink", "mkdir", "fcntl", "pread64", "pwrite64",
                "ftruncate", "prlimit64", "execve"}
        self.assertEqual(need - allowed, set())
        for unit_name in ("sockbind.service", "sockbind@.service"):
            self.assertEqual(allowed_calls(unit(unit_name)), allowed)

    @unittest.skipUnless(shutil.which("strace"), "strace not installed")
    def test_traced_daemon_stays_inside_the_filter(self):
        if b"__asan_init" in open(SOCKBIND, "rb").read():
            self.skipTest("sanitizer build: the service runs the plain one")
        allowed = allowed_calls(unit("sockbind.service"))
        with TempDir() as tmp:
            used = trace_daemon(tmp)
        self.assertIn("accept4" if "accept4" in used else "accept", used)
        self.assertIn("renameat2" if "renameat2" in used else "rename", used)
        outside = sorted(used - allowed)
        self.assertEqual(outside, [], "calls the unit's filter refuses")


def trace_daemon(tmp):
    """Run sockbind under strace -f through a session's every kind of
    request, a reload, a log reopen and a stop; return the calls made."""
    port_min, port_max = 65520, 65529
    conf = os.path.join(tmp, "sockbind.ini")
    with open(conf, "w") as f:
        f.write(f"""[server]
listen = 127.0.0.1
port_min = {port_min}
port_max = {port_max}
service = session
port_file = {tmp}/sockbind.port
pidfile = {tmp}/sockbind.pid
[pool]
start = 2
[pingpong]
file = {tmp}/pingpong.txt
[upload]
dir = {tmp}/uploads
[store]
path = {tmp}/sockbind.db
[status]
listen = 127.0.0.1:{port_min - 1}
[log]
path = {tmp}/sockbind.log
""")
    trace = os.path.join(tmp, "trace")
    # As the service does: not as root (SQLite, for one, calls fchown as
    # root only).
    user, daemon = [], SOCKBIND
    if os.geteuid() == 0:
        user = ["-u", "nobody"]
        os.chown(tmp, pwd.getpwnam("nobody").pw_uid, -1)
        daemon = copy_for("nobody", tmp, SOCKBIND)
    # Play systemd's notification socket, so that sd_notify() is traced.
    notify = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    notify.bind(os.path.join(tmp, "notify"))
    os.chmod(os.path.join(tmp, "notify"), 0o777)
    # And under the scheduling policy its unit sets (CPUSchedulingPolicy=
    # batch), which the daemon then has no call to make for.
    proc = subprocess.Popen(["chrt", "--batch", "0",
                             "strace", "-f", "-qq", "-o", trace] + user +
                            [daemon, "-c", conf], stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, text=True, cwd=tmp,
                            env=dict(os.environ, NOTIFY_SOCKET=os.path.join(
                                tmp, "notify")))
    try:
        line = ""
        ready, _, _ = select.select([proc.stdout], [], [], 30)
        if ready:
            line = proc.stdout.readline()
        m = re.search(r"listening on \S+:(\d+)", line)
        assert m, "sockbind did not start: " + line
        port = m.group(1)
        upload = os.path.join(tmp, "notes.txt")
        with open(upload, "w") as f:
            f.write("traced upload\n")

        def client(*args, stdin=None):
            p = subprocess.run([SOCKBIN, "-H", "127.0.0.1", "-p", port]
                               + list(args), input=stdin,
                               stdout=subprocess.PIPE,
                               stderr=subprocess.STDOUT, text=True, cwd=tmp,
                               env=dict(os.environ, HOME=tmp), timeout=60)
            assert p.returncode == 0, (args, p.stdout)
        client("echo", "hello")
        client("mirror", "Привет")
        client("upload", upload)
        client("--password-stdin", "register", "tracer",
               stdin="correct horse battery\n")
        client("--password-stdin", "login", "tracer",
               stdin="correct horse battery\n")
        client("status")
        # The status listener, as a browser, Prometheus and top ask it.
        for path in ("/", "/status.json", "/metrics", "/healthz"):
            with urllib.request.urlopen("http://127.0.0.1:%d%s" % (
                    port_min - 1, path), timeout=10) as r:
                assert r.status == 200, path
        client("--status", "127.0.0.1:%d" % (port_min - 1), "top", "-n", "1")
        log = os.path.join(tmp, "sockbind.log")
        for sig, record in ((signal.SIGHUP, " reload "),
                            (signal.SIGUSR1, " log_reopen "),
                            (signal.SIGTTIN, " pool_resize ")):
            before = open(log, encoding="utf-8").read().count(record)
            os.kill(int(open(os.path.join(tmp, "sockbind.pid")).read()), sig)
            deadline = time.monotonic() + 20
            while open(log, encoding="utf-8").read().count(record) == before:
                assert time.monotonic() < deadline, "no%srecord" % record
                time.sleep(0.05)
        client("echo", "after reload")
        os.kill(int(open(os.path.join(tmp, "sockbind.pid")).read()),
                signal.SIGTERM)
        assert proc.wait(timeout=60) == 0
        notify.setblocking(False)
        said = []
        while True:
            try:
                said.append(notify.recv(4096).decode())
            except BlockingIOError:
                break
        for word in ("READY=1", "RELOADING=1", "STOPPING=1", "STATUS="):
            assert any(word in m for m in said), (word, said)
    finally:
        notify.close()
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    used = set()
    # "PID name(args) = result", "PID <... name resumed>".
    for line in open(trace, encoding="utf-8", errors="replace"):
        m = re.match(r"\d+\s+(?:<\.\.\. )?([a-z_0-9]+)[( ]", line)
        if m and m.group(1) not in ("exited", "killed"):
            used.add(m.group(1))
    return used


if __name__ == "__main__":
    unittest.main()
