"""sockbin.py, the Python client (client/python/sockbin.py), against the
real sockbind: every command, on every service it serves or refuses, its
exit statuses, and its log, record by record.

Each class starts sockbind (test_services.DaemonCase) with its service and
a port range of its own inside 24602-24689; the tests that need nobody to
answer bind 24600-24601 without listening. The client runs as a process of
its own, with HOME and its log in the test's directory. Every wait ends on
a condition (an exit, a line).
"""
import hashlib
import os
import re
import signal
import socket
import subprocess
import sys
import unittest
from datetime import datetime

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
from test_client_prompts import Terminal  # noqa: E402
from test_services import DaemonCase  # noqa: E402

CLIENT = os.path.normpath(os.path.join(HERE, "..", "..", "client", "python",
                                      "sockbin.py"))
SIGNATURE = ". Сервер написан Титов Ю.П. М3О-3ХХБ-ХХ"
LAB_NAME = "Титов Юрий Павлович"
LAB_REPLY = "Чиволвап Йирю Вотит" + SIGNATURE
MIRROR = ("[mirror]\nsignature = %s\nkeep_case = true\n" % SIGNATURE)
STAMP = r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}[+-]\d\d:\d\d"
RECORD = re.compile(r"(%s) sockbin\.py\[(\d+)\] (\w+) (.*)" % STAMP)


class ClientCase(DaemonCase):
    """sockbind with SERVICE, and sockbin.py with a configuration of its
    own: [client] log in the test's directory, MESSAGE, INTERVAL,
    DURATION."""

    MESSAGE = LAB_NAME
    INTERVAL = 1
    DURATION = 2
    EXTRA = MIRROR

    def setUp(self):
        super().setUp()
        self.client_log = os.path.join(self.dir, "client.log")
        self.client_conf = os.path.join(self.dir, "sockbin.ini")
        self.write_client_conf()

    def write_client_conf(self, server=""):
        with open(self.client_conf, "w", encoding="utf-8") as f:
            f.write(server + "[client]\nmessage = %s\ninterval = %d\n"
                    "duration = %d\nlog = %s\n"
                    % (self.MESSAGE, self.INTERVAL, self.DURATION,
                       self.client_log))

    def client(self, *args, stdin=b"", port=None):
        """Run sockbin.py -c CONF -p PORT ARGS: (status, stdout, stderr).
        port=False: no -p (the configuration says)."""
        ports = [] if port is False else ["-p", str(port or self.port)]
        p = subprocess.run(
            [sys.executable, CLIENT, "-c", self.client_conf] + ports +
            list(args), input=stdin, stdout=subprocess.PIPE,
            stderr=subprocess.PIPE, timeout=60, cwd=self.dir,
            env=dict(os.environ, HOME=self.dir))
        return (p.returncode, p.stdout.decode("utf-8", "replace"),
                p.stderr.decode("utf-8", "replace"))

    def client_log_text(self):
        with open(self.client_log, encoding="utf-8") as f:
            return f.read()

    def records(self):
        """The client's log: [(time, pid, event, fields)], every line a
        record."""
        if not os.path.exists(self.client_log):
            return []
        out = []
        with open(self.client_log, encoding="utf-8") as f:
            for line in f:
                m = RECORD.fullmatch(line.rstrip("\n"))
                self.assertIsNotNone(m, "not a record: %r" % line)
                out.append((datetime.fromisoformat(m.group(1)),
                            int(m.group(2)), m.group(3), m.group(4)))
        return out

    def assertRecords(self, expected):
        """The log, line by line: each "event fields" matches its regular
        expression ({server} is the daemon's address), one process, in
        time order."""
        recs = self.records()
        got = ["%s %s" % (r[2], r[3]) for r in recs]
        self.assertEqual(len(got), len(expected), "\n".join(got))
        server = "server=127\\.0\\.0\\.1:%d" % self.port
        for line, want in zip(got, expected):
            self.assertRegex(line, "^" + want.replace("{server}", server)
                             + "$")
        self.assertEqual(len({r[1] for r in recs}), 1)
        self.assertEqual([r[0] for r in recs], sorted(r[0] for r in recs))
        return recs

    def greeting(self):
        return r'recv {server} bytes=\d+ text="OK sockbind \S+ session"'


class PyTerminal(Terminal):
    """sockbin.py on a pseudo-terminal: Terminal runs $SOCKBIN_BIN, here
    the script itself (executable, #!/usr/bin/env python3)."""

    def __init__(self, args, home):
        saved = os.environ.get("SOCKBIN_BIN")
        os.environ["SOCKBIN_BIN"] = CLIENT
        try:
            super().__init__(args, home)
        finally:
            if saved is None:
                del os.environ["SOCKBIN_BIN"]
            else:
                os.environ["SOCKBIN_BIN"] = saved


def text(event, s):
    """A log record's pattern for a message: its byte count and text."""
    return r'%s {server} bytes=%d text="%s"' % (event, len(s.encode()),
                                                re.escape(s))


class Session(ClientCase):
    PORTS = (24602, 24609)
    SERVICE = "session"

    def config_text(self):
        return super().config_text().replace(
            "[upload]\n", "[upload]\nmax_size = 150000\n")

    def hold(self, low, high):
        """Bind low..high without listening, so that nobody answers there:
        a connection is refused. Skips the test when another program has
        one of them."""
        for port in range(low, high + 1):
            s = socket.socket()
            self.addCleanup(s.close)
            try:
                s.bind(("127.0.0.1", port))
            except OSError as e:
                self.skipTest("port %d: %s" % (port, e.strerror))

    def test_echo(self):
        self.assertEqual(self.client("echo", "hi"), (0, "hi\n", ""))
        self.assertRecords([
            r"connect {server}", self.greeting(), text("send", "ECHO hi"),
            text("recv", "OK hi"),
            r'disconnect {server} reason="done" duration_ms=\d+'])

    def test_text_that_starts_with_a_dash(self):
        self.assertEqual(self.client("echo", "-5 degrees")[:2],
                         (0, "-5 degrees\n"))
        self.assertEqual(self.client("echo", "--", "-5")[:2], (0, "-5\n"))

    def test_mirror_lab_example(self):
        self.assertEqual(self.client("mirror", LAB_NAME),
                         (0, LAB_REPLY + "\n", ""))

    def test_server_and_port_range_from_the_config(self):
        # Nobody on 24600-24601: the client goes on to the daemon.
        self.hold(24600, 24601)
        if self.port != 24602:
            self.skipTest("24602 is taken: %d is not after 24601" % self.port)
        self.write_client_conf("[server]\nhost = 127.0.0.1\n"
                               "port = 24600-24609 ; the lab's range\n")
        self.assertEqual(self.client("echo", "x", port=False), (0, "x\n", ""))

    def test_refused_request_is_status_1(self):
        big = os.path.join(self.dir, "big.txt")
        with open(big, "wb") as f:
            f.write(b"x" * 150001)
        status, out, err = self.client("upload", big)
        self.assertEqual((status, out), (1, ""))
        self.assertRegex(err, r"^sockbin\.py: 127\.0\.0\.1:\d+: ERR 414 ")
        self.assertEqual(self.uploads(), [])

    def test_upload(self):
        data = "Привет, мир\n".encode() * 7000      # three 64 KiB frames
        path = os.path.join(self.dir, "my notes.txt")
        with open(path, "wb") as f:
            f.write(data)
        digest = hashlib.sha256(data).hexdigest()
        self.assertEqual(self.client("upload", path), (
            0, "stored as my_notes.txt: %d bytes, SHA-256 %s verified\n"
            % (len(data), digest), ""))
        with open(os.path.join(self.upload_dir, "my_notes.txt"), "rb") as f:
            self.assertEqual(f.read(), data)
        self.assertRecords([
            r"connect {server}", self.greeting(),
            text("send", "UPLOAD my_notes.txt %d %s" % (len(data), digest)),
            text("recv", "OK ready"),
            r'send {server} bytes=%d text="\[file data\]"' % len(data),
            text("recv", "OK stored my_notes.txt %d %s" % (len(data),
                                                           digest)),
            r'disconnect {server} reason="done" duration_ms=\d+'])

    def test_chat(self):
        status, out, err = self.client(
            "chat", stdin="ECHO a b\n\nFOO\nHELP\nQUIT\nECHO never\n".encode())
        self.assertEqual((status, err), (0, ""))
        lines = out.splitlines()
        self.assertEqual(lines[:2], ["OK a b", "ERR 401 unknown verb FOO"])
        self.assertRegex(lines[2], r"^OK .*\bMIRROR\b")
        self.assertEqual(lines[3:], ["OK"])
        self.assertRegex(self.records()[-1][3], 'reason="quit"')

    def test_periodic_send(self):
        status, out, err = self.client("send")
        self.assertEqual((status, err), (0, "sockbin.py: 2 messages sent\n"))
        self.assertRegex(out, r"^%s %s\n%s %s\n$" % (
            STAMP, re.escape(LAB_REPLY), STAMP, re.escape(LAB_REPLY)))
        recs = self.assertRecords([
            r"connect {server}", self.greeting(),
            text("send", "MIRROR " + LAB_NAME), text("recv", "OK " + LAB_REPLY),
            text("send", "MIRROR " + LAB_NAME), text("recv", "OK " + LAB_REPLY),
            text("send", "QUIT"), text("recv", "OK"),
            r'disconnect {server} reason="done" duration_ms=\d+'])
        # One interval between the two messages.
        gap = (recs[4][0] - recs[2][0]).total_seconds()
        self.assertTrue(0.95 <= gap < 1.5, gap)

    def test_pingpong_needs_a_raw_server(self):
        status, out, err = self.client("pingpong", "f", "1")
        self.assertEqual((status, out), (2, ""))
        self.assertEqual(err, "sockbin.py: pingpong: the server at "
                         "127.0.0.1:%d runs the session service; pingpong "
                         "needs a raw service\n" % self.port)
        self.assertRegex(self.records()[-1][3], 'reason="wrong service"')

    def test_no_server(self):
        self.hold(24600, 24601)
        self.assertEqual(self.client("echo", "x", port="24600-24601"), (
            3, "", "sockbin.py: no server on 127.0.0.1 ports 24600-24601: "
            "Connection refused\n"))
        self.assertRecords([r'connect_failed host=127\.0\.0\.1 '
                            r'ports=24600-24601 reason="Connection refused"'])
        self.assertEqual(self.client("echo", "x", port="24601"), (
            3, "", "sockbin.py: no server on 127.0.0.1 port 24601: "
            "Connection refused\n"))

    def test_usage_errors_before_any_connection(self):
        cases = [
            ((), "usage: sockbin.py "),
            (("ident",), "unknown command 'ident'"),
            (("echo",), "usage: sockbin.py echo TEXT"),
            (("echo", "a", "b"), "usage: sockbin.py echo TEXT"),
            (("echo", "x" * 4097), "echo: TEXT is 4097 bytes, at most 4096"),
            (("pingpong", "f", "0"), "ROUNDS must be 1-1000000, not '0'"),
            (("upload", "/nonexistent"), "/nonexistent: No such file"),
            (("-p", "0", "echo", "x"), "-p 0: not a port (1-65535) or a "
             "range MIN-MAX"),
            (("-x", "echo", "x"), "option -x not recognized"),
        ]
        for args, message in cases:
            with self.subTest(args=args):
                status, out, err = self.client(*args)
                self.assertEqual((status, out), (2, ""))
                self.assertIn(message, err)
        self.assertEqual(self.records(), [])

    def test_configuration_errors(self):
        cases = [
            ("[client]\ncolour = red\n",
             "[client] colour: unknown key"),
            ("[client]\ninterval = 0\n",
             "[client] interval: 0 is out of range 1..3600"),
            ("[client]\nduration = ten\n",
             "[client] duration: 'ten' is not a whole number"),
            ("[server]\nport = 70000\n",
             "[server] port: '70000' is not a port (1-65535) or a range "
             "MIN-MAX"),
            ("[client]\ninterval = 1\ninterval = 2\n",
             "line 3: [client] interval: given twice (first on line 2)"),
            ("[colours]\n", "[colours]: unknown section"),
            ("message = x\n", "message: key outside any section"),
        ]
        for conf, message in cases:
            with self.subTest(conf=conf):
                with open(self.client_conf, "w") as f:
                    f.write(conf)
                status, out, err = self.client("echo", "x")
                self.assertEqual((status, out), (2, ""))
                self.assertEqual(err, "sockbin.py: %s: %s\n"
                                 % (self.client_conf, message))
        os.unlink(self.client_conf)
        status, _, err = self.client("echo", "x")
        self.assertEqual(status, 2)
        self.assertIn("No such file or directory", err)

    def test_questions_on_a_terminal(self):
        # Neither -H/-p nor [server] keys: asked, with the defaults.
        t = PyTerminal(["-c", self.client_conf, "echo", "hi there"],
                       self.dir)
        t.expect("Server host [127.0.0.1]: ")
        t.send("bad_host!\n")
        t.expect("'bad_host!' will not do: a host name has only letters, "
                 "digits, '-' and '.'.")
        t.expect("Server host [127.0.0.1]: ")
        t.send("\n")                              # the default
        t.expect("Server port or range [65430-65440]: ")
        t.send("99999\n")
        t.expect("'99999' will not do: a port is 1-65535, or a range "
                 "MIN-MAX.")
        t.expect("Server port or range [65430-65440]: ")
        t.send("  %d \n" % self.port)
        t.expect("hi there")
        self.assertEqual(t.status(), 0)
        # The end of input ends the run: status 2, nobody bothered.
        t = PyTerminal(["-c", self.client_conf, "echo", "x"], self.dir)
        t.expect("Server host [127.0.0.1]: ")
        t.send("\x04")
        t.expect("no server given")
        self.assertEqual(t.status(), 2)
        # Ctrl-C at a question: the program dies of it, no traceback.
        t = PyTerminal(["-c", self.client_conf, "echo", "x"], self.dir)
        t.expect("Server host [127.0.0.1]: ")
        t.send("\x03")
        with self.assertRaises(AssertionError) as cm:
            t.expect("never said")          # all it says, up to its end
        self.assertNotIn("Traceback", str(cm.exception))
        self.assertEqual(t.status(), -signal.SIGINT)

    def test_help_and_version(self):
        commands = ("echo TEXT", "mirror TEXT", "chat", "send",
                    "upload FILE", "pingpong FILE ROUNDS")
        status, out, err = self.client("--help")
        self.assertEqual((status, err), (0, ""))
        self.assertTrue(out.startswith("usage: sockbin.py [-hV] "), out)
        for command in commands:
            self.assertRegex(out, r"(?m)^  %s(  +\S|\n {21}\S)" % command)
        self.assertIn("4 connection lost", out)
        # A usage error: the commands, on stderr.
        status, out, err = self.client("nothing")
        self.assertEqual((status, out), (2, ""))
        self.assertIn("".join("\n  " + c for c in commands) + "\n", err)
        self.assertEqual(self.client("-V"), (0, "sockbin.py 0.1.0\n", ""))


class SessionSmallFrames(ClientCase):
    """A server whose max_frame is under the client's 64 KiB frames."""
    PORTS = (24640, 24649)
    SERVICE = "session"
    LIMITS = "max_frame = 1024\n"

    def test_upload_again_in_smaller_frames(self):
        data = os.urandom(5000)
        path = os.path.join(self.dir, "data.bin")
        with open(path, "wb") as f:
            f.write(data)
        status, out, err = self.client("upload", path)
        self.assertEqual(status, 0, err)
        self.assertIn("takes frames of at most 1024 bytes: sending again",
                      err)
        self.assertRegex(out, r"^stored as data(-1)?\.bin: 5000 bytes, ")
        with open(os.path.join(self.upload_dir, "data.bin"), "rb") as f:
            self.assertEqual(f.read(), data)
        events = [(r[2], r[3]) for r in self.records()]
        self.assertEqual([e for e, _ in events].count("connect"), 2)
        self.assertIn('reason="frame too big"', events[6][1])


class TimeLimit:
    """send outlived by the server's session_timeout (a mixin): the
    server's last words printed, status 4, the log line by line."""
    LIMITS = "session_timeout = 1\n"
    INTERVAL = 2
    DURATION = 4
    LAST = None             # the server's last words, a regular expression

    def exchange(self):
        """The log records of the one message sent before the end."""
        raise NotImplementedError

    def test_send_ended_by_the_server(self):
        status, out, err = self.client("send")
        self.assertEqual((status, err), (4, ""))
        self.assertRegex(out, r"^%s %s\nthe server ended the session: %s\n$"
                         % (STAMP, re.escape(LAB_REPLY), self.LAST))
        self.assertRecords(
            [r"connect {server}"] + self.exchange() +
            [r'recv {server} bytes=\d+ text="%s"' % self.LAST,
             r'disconnect {server} reason="server ended the session" '
             r'duration_ms=\d+'])


class SessionTimeLimit(TimeLimit, ClientCase):
    PORTS = (24680, 24684)
    SERVICE = "session"
    LAST = "ERR 408 [^\n]*"

    def exchange(self):
        return [self.greeting(), text("send", "MIRROR " + LAB_NAME),
                text("recv", "OK " + LAB_REPLY)]


class SessionLost(ClientCase):
    """The worker serving the client killed while the client waits."""
    PORTS = (24685, 24689)
    SERVICE = "session"
    EXTRA = MIRROR.replace("[mirror]\n", "[mirror]\ndelay_ms = 30000\n")

    def test_connection_lost_is_status_4(self):
        client = subprocess.Popen(
            [sys.executable, CLIENT, "-c", self.client_conf, "-p",
             str(self.port), "mirror", "abc"], stdout=subprocess.PIPE,
            stderr=subprocess.PIPE, cwd=self.dir,
            env=dict(os.environ, HOME=self.dir))
        self.addCleanup(client.wait)
        self.addCleanup(client.kill)
        # The request is in; the worker's 30 s of work have begun.
        self.wait_log('recv client=127.0.0.1:')
        worker = int(re.search(r"sockbind\[(\d+)\] recv client=",
                               self.log()).group(1))
        os.kill(worker, signal.SIGKILL)
        out, err = client.communicate(timeout=10)
        self.assertEqual((client.returncode, out, err), (
            4, b"", ("sockbin.py: 127.0.0.1:%d closed the connection\n"
                     % self.port).encode()))
        self.assertRegex(self.records()[-1][3], 'reason="client exit"')


class RawMirror(ClientCase):
    """The lab: a mirror server, a client in another language."""
    PORTS = (24610, 24619)
    SERVICE = "mirror"

    def test_mirror_lab_example(self):
        self.assertEqual(self.client("mirror", LAB_NAME),
                         (0, LAB_REPLY + "\n", ""))
        self.assertRecords([
            r"connect {server}", text("send", LAB_NAME),
            text("recv", LAB_REPLY),
            r'disconnect {server} reason="done" duration_ms=\d+'])

    def test_periodic_send_log_line_by_line(self):
        status, out, err = self.client("send")
        self.assertEqual((status, err), (0, "sockbin.py: 2 messages sent\n"))
        self.assertEqual(out.count(LAB_REPLY + "\n"), 2)
        recs = self.assertRecords([
            r"connect {server}",
            text("send", LAB_NAME), text("recv", LAB_REPLY),
            text("send", LAB_NAME), text("recv", LAB_REPLY),
            r'disconnect {server} reason="done" duration_ms=\d+'])
        gap = (recs[3][0] - recs[1][0]).total_seconds()
        self.assertTrue(0.95 <= gap < 1.5, gap)
        # What the server logged of it: the same two messages.
        self.wait_log('reason="client closed"')
        self.assertEqual(len(re.findall(r'(?m) recv client=\S+ bytes=\d+ '
                                        r'text="%s"$' % LAB_NAME,
                                        self.log())), 2)

    def test_periodic_send_interrupted(self):
        # Ctrl-C after the first reply: the loop ends, the client says how
        # many it sent and closes cleanly (status 0).
        self.INTERVAL, self.DURATION = 60, 3600
        self.write_client_conf()
        client = subprocess.Popen(
            [sys.executable, CLIENT, "-c", self.client_conf, "-p",
             str(self.port), "send"], stdout=subprocess.PIPE,
            stderr=subprocess.PIPE, cwd=self.dir,
            env=dict(os.environ, HOME=self.dir))
        self.addCleanup(client.wait)
        self.addCleanup(client.kill)
        first = client.stdout.readline().decode()
        self.assertTrue(first.endswith(LAB_REPLY + "\n"), first)
        client.send_signal(signal.SIGINT)
        out, err = client.communicate(timeout=10)
        self.assertEqual((client.returncode, out, err),
                         (0, b"", "sockbin.py: 1 message sent, interrupted\n"
                          .encode()))
        self.assertRecords([
            r"connect {server}", text("send", LAB_NAME),
            text("recv", LAB_REPLY),
            r'disconnect {server} reason="interrupted" duration_ms=\d+'])

    def test_chat_both_ways(self):
        status, out, err = self.client(
            "chat", stdin="abc\nпривет".encode())   # the last line, no LF
        self.assertEqual((status, err), (0, ""))
        self.assertEqual(out, "cba%s\nтевирп%s\n" % (SIGNATURE, SIGNATURE))
        self.assertRegex(self.records()[-1][3], 'reason="server closed"')

    def test_error_line_is_a_refusal(self):
        status, out, err = self.client("mirror", b"\xffabc")
        self.assertEqual((status, out), (1, ""))
        self.assertEqual(err, "sockbin.py: 127.0.0.1:%d: ERR invalid UTF-8 "
                         "at byte 0\n" % self.port)
        # The bytes that are not UTF-8 are shown escaped in the log.
        self.assertIn(r'text="\xffabc"', self.client_log_text())

    def test_echo_that_differs(self):
        status, out, err = self.client("echo", "abc")
        self.assertEqual((status, out), (1, "cba%s\n" % SIGNATURE))
        self.assertEqual(err, "sockbin.py: the reply differs from what was "
                         "sent\n")


class RawMirrorTimeLimit(TimeLimit, ClientCase):
    PORTS = (24675, 24679)
    SERVICE = "mirror"
    LAST = "ERR timeout: session timeout"

    def exchange(self):
        return [text("send", LAB_NAME), text("recv", LAB_REPLY)]


class RawEcho(ClientCase):
    PORTS = (24620, 24629)
    SERVICE = "echo"

    def test_echo_lines(self):
        self.assertEqual(self.client("echo", "one\nдва"),
                         (0, "one\nдва\n", ""))
        self.assertRecords([
            r"connect {server}", r'send {server} bytes=10 text="one\\nдва"',
            text("recv", "one"), text("recv", "два"),
            r'disconnect {server} reason="done" duration_ms=\d+'])

    def test_chat(self):
        status, out, err = self.client("chat", stdin=b"a\r\nb\n")
        self.assertEqual((status, out, err), (0, "a\nb\n", ""))


class RawUpload(ClientCase):
    PORTS = (24630, 24639)
    SERVICE = "upload"

    def test_upload(self):
        data = b"hello world\n" * 20000
        path = os.path.join(self.dir, "notes.txt")
        with open(path, "wb") as f:
            f.write(data)
        status, out, err = self.client("upload", path)
        self.assertEqual((status, err), (0, ""))
        m = re.fullmatch(r"stored as (upload-\S+): %d bytes, SHA-256 %s "
                         r"verified\n" % (len(data),
                                          hashlib.sha256(data).hexdigest()),
                         out)
        self.assertIsNotNone(m, out)
        self.assertEqual(self.uploads(), [m.group(1)])
        with open(os.path.join(self.upload_dir, m.group(1)), "rb") as f:
            self.assertEqual(f.read(), data)

    def test_not_a_regular_file(self):
        status, out, err = self.client("upload", self.dir)
        self.assertEqual((status, out), (2, ""))
        self.assertIn("not a regular file", err)
        self.assertEqual(self.uploads(), [])


class RawPingpong(ClientCase):
    PORTS = (24650, 24659)
    SERVICE = "pingpong"
    MESSAGE = "Ivanov"

    def setUp(self):
        super().setUp()
        open(self.pingpong_file, "w").close()   # it must exist

    def test_rounds(self):
        status, out, err = self.client("pingpong", self.pingpong_file, "3")
        self.assertEqual((status, err), (0, ""))
        self.assertEqual(out, "".join(
            "round %d: wrote 'ping %d Ivanov', got _code3g, the file says "
            "'pong'\n" % (i, i) for i in (1, 2, 3)))
        self.assertRecords(
            [r"connect {server}"] +
            [text("send", "_code1g"), text("send", "_code2g"),
             text("recv", "_code3g")] * 3 +
            [r'disconnect {server} reason="done" duration_ms=\d+'])
        self.wait_log("ping 3 Ivanov")

    def test_not_the_servers_file(self):
        other = os.path.join(self.dir, "other.txt")
        status, out, err = self.client("pingpong", other, "1")
        self.assertEqual(status, 1)
        self.assertIn("the file says 'ping 1 Ivanov'", out)
        self.assertIn("does not say 'pong'", err)

    def test_symbolic_link_refused(self):
        link = os.path.join(self.dir, "link.txt")
        os.symlink(self.pingpong_file, link)
        status, out, err = self.client("pingpong", link, "1")
        self.assertEqual(status, 2)
        self.assertIn("is a symbolic link: refused", err)


class Ident(ClientCase):
    PORTS = (24660, 24669)
    SERVICE = "ident"

    def test_echo_needs_another_service(self):
        status, out, err = self.client("echo", "x")
        self.assertEqual((status, out), (2, ""))
        self.assertIn("runs the ident service; echo needs a raw service or "
                      "the session service", err)

    def test_chat_dialogue(self):
        status, out, err = self.client("chat", stdin=b"Ivan\n")
        self.assertEqual((status, err), (0, ""))
        self.assertEqual(out, "Hello, 127.0.0.1! What is your name?\n"
                         "Nice to meet you, Ivan!\n")
        status, out, err = self.client("chat")
        self.assertEqual((status, out), (0, "Hello again, Ivan!\n"))


class Auth(ClientCase):
    PORTS = (24670, 24674)
    SERVICE = "auth"
    EXTRA = "[auth]\nfailure_delay_ms = 0\n"

    def test_chat_keeps_secrets_out_of_the_log(self):
        status, out, err = self.client("chat", stdin=(
            "REGISTER ivan correct horse battery\n"
            "LOGIN ivan correct horse battery\nWHOAMI\nQUIT\n").encode())
        self.assertEqual((status, err), (0, ""))
        lines = out.splitlines()
        self.assertEqual(lines[0], "OK registered ivan")
        token = re.fullmatch(r"OK token ([0-9a-f]{64}) expires (\d+)",
                             lines[1])
        self.assertIsNotNone(token, out)
        self.assertEqual(lines[2:], ["OK ivan", "OK"])
        log = self.client_log_text()
        self.assertNotIn("horse", log)
        self.assertNotIn(token.group(1), log)
        self.assertRecords([
            r"connect {server}",
            r'recv {server} bytes=\d+ text="OK sockbind \S+ auth"',
            r'send {server} bytes=22 text="REGISTER ivan \[secret\]"',
            text("recv", "OK registered ivan"),
            r'send {server} bytes=19 text="LOGIN ivan \[secret\]"',
            r'recv {server} bytes=\d+ text="OK token \[secret\] expires %s"'
            % token.group(2),
            text("send", "WHOAMI"), text("recv", "OK ivan"),
            text("send", "QUIT"), text("recv", "OK"),
            r'disconnect {server} reason="quit" duration_ms=\d+'])


if __name__ == "__main__":
    unittest.main()
