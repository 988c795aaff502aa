"""Interop: the lab services, written from docs/PROTOCOL.md alone.

Every class starts the real sockbind ($SOCKBIND_BIN) on 127.0.0.1 with a
port range of its own inside 22100-22499 and a configuration in a temporary
directory, waits for its "sockbind: listening on 127.0.0.1:PORT" line, talks
to it the way the protocol document says a client may, and stops it with
SIGTERM (exit status 0 within 10 s).

Nothing here waits on a clock for synchronization: every wait is bounded
and ends on a condition (a line, a reply, EOF, a log record).
"""
import hashlib
import os
import re
import select
import shutil
import signal
import socket
import struct
import subprocess
import tempfile
import time
import unittest

HOST = "127.0.0.1"
SOCK_TIMEOUT = 5.0
SIGNATURE = ". Сервер написан Титов Ю.П. М3О-3ХХБ-ХХ"


def sha256(data):
    return hashlib.sha256(data).hexdigest()


# --------------------------------------------------------------------------
# Daemon harness


class DaemonCase(unittest.TestCase):
    """Starts sockbind for each test; subclasses set PORTS, SERVICE, EXTRA."""

    PORTS = None            # (port_min, port_max), distinct per class
    SERVICE = "session"
    LIMITS = ""             # lines for [limits]
    EXTRA = ""              # more sections (may use {dir})
    SERVER = ""             # more lines for [server]
    POOL_START = 2

    def config_text(self):
        return (
            "[server]\n"
            "listen = 127.0.0.1\n"
            "port_min = {pmin}\n"
            "port_max = {pmax}\n"
            "service = {service}\n"
            "port_file = {dir}/sockbind.port\n"
            "pidfile = {dir}/sockbind.pid\n"
            + self.SERVER +
            "[pool]\n"
            "start = {start}\n"
            "graceful_timeout = 1\n"
            "[limits]\n"
            + self.LIMITS +
            "[pingpong]\n"
            "file = {dir}/pingpong.txt\n"
            "[upload]\n"
            "dir = {dir}/uploads\n"
            + self.EXTRA +
            "[log]\n"
            "path = {dir}/sockbind.log\n"
            # The identity store: sockbind does not start unless it can
            # open it (default /var/lib/sockbind/sockbind.db).
            "[store]\n"
            "path = {dir}/sockbind.db\n"
        ).format(pmin=self.PORTS[0], pmax=self.PORTS[1],
                 service=self.SERVICE, dir=self.dir, start=self.POOL_START)

    def setUp(self):
        self.dir = tempfile.mkdtemp(prefix="sockbind-services.")
        self.addCleanup(shutil.rmtree, self.dir, True)
        self.upload_dir = os.path.join(self.dir, "uploads")
        # The protocol document does not say whether sockbind creates
        # [upload] dir; an operator would, so the test does.
        os.mkdir(self.upload_dir)
        self.pingpong_file = os.path.join(self.dir, "pingpong.txt")
        self.config = os.path.join(self.dir, "sockbind.ini")
        with open(self.config, "w", encoding="utf-8") as f:
            f.write(self.config_text())
        self.socks = []
        self.stderr = open(os.path.join(self.dir, "stderr"), "wb")
        self.addCleanup(self.stderr.close)
        self.daemon = subprocess.Popen(
            [os.environ["SOCKBIND_BIN"], "-c", self.config],
            stdout=subprocess.PIPE, stderr=self.stderr, cwd=self.dir)
        self.addCleanup(self._reap)
        line = self._read_stdout_line(10.0)
        m = re.fullmatch(r"sockbind: listening on 127\.0\.0\.1:(\d+)\n", line)
        self.assertIsNotNone(m, "daemon said %r; stderr: %r"
                             % (line, self._stderr_text()))
        self.port = int(m.group(1))
        self.assertTrue(self.PORTS[0] <= self.port <= self.PORTS[1])
        with open(os.path.join(self.dir, "sockbind.port")) as f:
            self.assertEqual(int(f.read()), self.port)

    def _stderr_text(self):
        try:
            with open(os.path.join(self.dir, "stderr"), "rb") as f:
                return f.read().decode("utf-8", "replace")
        except OSError:
            return ""

    def _read_stdout_line(self, timeout):
        fd = self.daemon.stdout.fileno()
        buf = b""
        deadline = time.monotonic() + timeout
        while b"\n" not in buf:
            left = deadline - time.monotonic()
            if left <= 0:
                break
            ready, _, _ = select.select([fd], [], [], left)
            if not ready:
                break
            chunk = os.read(fd, 1)       # one byte: never read past the line
            if not chunk:
                break
            buf += chunk
        return buf.decode("utf-8", "replace")

    def tearDown(self):
        for s in self.socks:
            try:
                s.close()
            except OSError:
                pass
        self.daemon.send_signal(signal.SIGTERM)
        try:
            status = self.daemon.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.daemon.kill()
            self.daemon.wait()
            self.fail("sockbind did not exit within 10 s of SIGTERM")
        self.assertEqual(status, 0, self._stderr_text())

    def _reap(self):
        if self.daemon.poll() is None:
            self.daemon.kill()
            self.daemon.wait()
        self.daemon.stdout.close()

    # -- helpers -----------------------------------------------------------

    def connect(self):
        s = socket.create_connection((HOST, self.port), timeout=SOCK_TIMEOUT)
        s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.socks.append(s)
        return s

    def log(self):
        try:
            with open(os.path.join(self.dir, "sockbind.log"),
                      encoding="utf-8", errors="replace") as f:
                return f.read()
        except FileNotFoundError:
            return ""

    def wait_log(self, needle, timeout=5.0):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if needle in self.log():
                return
            time.sleep(0.01)
        self.fail("log never showed %r" % needle)

    def uploads(self):
        return sorted(os.listdir(self.upload_dir))


# --------------------------------------------------------------------------
# Session client (section 1)


class Session:
    """A framed session client written from PROTOCOL.md section 1."""

    def __init__(self, sock):
        self.sock = sock
        self.greeting = self.recv_text()

    def send_frame(self, payload):
        if isinstance(payload, str):
            payload = payload.encode("utf-8")
        self.sock.sendall(struct.pack(">I", len(payload)) + payload)

    def _recv_exact(self, n):
        """n bytes, however the kernel splits them; None on a clean EOF at
        the first byte, EOFError on EOF in the middle."""
        buf = bytearray()
        while len(buf) < n:
            chunk = self.sock.recv(n - len(buf))
            if not chunk:
                if not buf:
                    return None
                raise EOFError("connection ended inside a frame "
                               "(%d of %d bytes)" % (len(buf), n))
            buf += chunk
        return bytes(buf)

    def recv_frame(self):
        """The next frame's payload (bytes), or None on EOF between frames."""
        header = self._recv_exact(4)
        if header is None:
            return None
        (n,) = struct.unpack(">I", header)
        if n == 0:
            return b""
        payload = self._recv_exact(n)
        if payload is None:
            raise EOFError("connection ended after a frame header")
        return payload

    def recv_text(self):
        payload = self.recv_frame()
        if payload is None:
            raise EOFError("connection closed, a reply frame was expected")
        text = payload.decode("utf-8")          # replies are UTF-8 text
        assert "\0" not in text and not text.endswith("\n"), repr(text)
        return text

    def request(self, payload):
        self.send_frame(payload)
        return self.recv_text()

    def at_eof(self):
        """True when the server has closed (a clean EOF, nothing more)."""
        try:
            return self.sock.recv(1) == b""
        except ConnectionResetError:
            return True


def parse_reply(text):
    """('OK', text) or ('ERR', code, text) as the Conversation section says."""
    if text == "OK":
        return ("OK", None)
    if text.startswith("OK "):
        return ("OK", text[3:])
    m = re.fullmatch(r"ERR (\d{3}) (.+)", text, re.S)
    if m:
        return ("ERR", int(m.group(1)), m.group(2))
    raise AssertionError("reply is neither OK nor ERR: %r" % text)


class SessionBase(DaemonCase):
    SERVICE = "session"
    MAX_FRAME = 4096
    MAX_SIZE = 65536

    @property
    def LIMITS(self):
        return "max_frame = %d\n" % self.MAX_FRAME

    def config_text(self):
        text = super().config_text()
        # [upload] max_size and the [mirror] section go in the same sections
        text = text.replace("[upload]\n", "[upload]\nmax_size = %d\n"
                            % self.MAX_SIZE)
        return text + self.mirror_section()

    def mirror_section(self):
        return "[mirror]\ndelay_ms = 5\n"

    def session(self):
        return Session(self.connect())

    def assertOK(self, reply, text=None):
        parsed = parse_reply(reply)
        self.assertEqual(parsed[0], "OK", reply)
        if text is not None:
            self.assertEqual(parsed[1], text, reply)
        return parsed[1]

    def assertERR(self, reply, code):
        parsed = parse_reply(reply)
        self.assertEqual(parsed[:2], ("ERR", code), reply)
        self.assertTrue(parsed[2].strip(), "ERR without text: %r" % reply)
        return parsed[2]

    def status(self, s, with_clients):
        """STATUS, parsed: its first line's fields and the worker lines."""
        reply = s.request("STATUS")
        lines = reply.split("\n")
        m = re.fullmatch(r"OK (.*)", lines[0])
        self.assertIsNotNone(m, reply)
        fields = dict(kv.split("=", 1) for kv in m.group(1).split(" "))
        self.assertEqual(set(fields),
                         {"uptime", "port", "service", "stress", "workers",
                          "busy", "idle"}, reply)
        workers = []
        for line in lines[1:]:
            w = re.fullmatch(r"worker slot=(\d+) pid=(\d+) state=(\w+) "
                             r"requests=(\d+)" +
                             (r" client=(\S+)" if with_clients else ""),
                             line)
            self.assertIsNotNone(w, "bad worker line %r" % line)
            workers.append(dict(slot=int(w.group(1)), pid=int(w.group(2)),
                                state=w.group(3), requests=int(w.group(4)),
                                client=w.group(5) if with_clients else None))
        self.assertEqual(int(fields["workers"]), len(workers), reply)
        return reply, fields, workers

    def assertStillUsable(self, s, tag="still here"):
        self.assertEqual(s.request("ECHO " + tag), "OK " + tag)

    def upload(self, s, name, data, chunk=1000, announce_sha=None,
               announce_size=None):
        size = len(data) if announce_size is None else announce_size
        digest = sha256(data) if announce_sha is None else announce_sha
        reply = s.request("UPLOAD %s %d %s" % (name, size, digest))
        self.assertEqual(reply, "OK ready")
        for i in range(0, len(data), chunk):
            s.send_frame(data[i:i + chunk])
        return s.recv_text()

    def assertStored(self, reply, data):
        m = re.fullmatch(r"OK stored (\S+) (\d+) ([0-9a-f]{64})", reply)
        self.assertIsNotNone(m, reply)
        name, size, digest = m.group(1), int(m.group(2)), m.group(3)
        self.assertEqual(size, len(data))
        self.assertEqual(digest, sha256(data))
        path = os.path.join(self.upload_dir, name)
        self.assertEqual(os.path.dirname(os.path.realpath(path)),
                         os.path.realpath(self.upload_dir))
        with open(path, "rb") as f:
            self.assertEqual(f.read(), data)
        return name


class SessionService(SessionBase):
    PORTS = (22100, 22139)
    POOL_START = 3

    # -- frames and the conversation ---------------------------------------

    def test_greeting(self):
        s = self.session()
        m = re.fullmatch(r"OK sockbind (\S+) session", s.greeting)
        self.assertIsNotNone(m, s.greeting)

    def test_hex_example(self):
        sock = self.connect()
        s = Session.__new__(Session)
        s.sock = sock
        greeting = s.recv_frame()
        # "The greeting carries the server's version; its length changes".
        self.assertTrue(greeting.startswith(b"OK sockbind "), greeting)
        self.assertTrue(greeting.endswith(b" session"), greeting)
        if greeting == b"OK sockbind 0.1.0 session":
            self.assertEqual(
                struct.pack(">I", len(greeting)) + greeting,
                bytes.fromhex("00 00 00 19 4f 4b 20 73 6f 63 6b 62 69 6e 64 "
                              "20 30 2e 31 2e 30 20 73 65 73 73 69 6f 6e"))

        def exchange(client_hex, server_hex):
            sock.sendall(bytes.fromhex(client_hex))
            want = bytes.fromhex(server_hex)
            got = b""
            while len(got) < len(want):
                chunk = sock.recv(len(want) - len(got))
                self.assertTrue(chunk, "EOF after %r" % got)
                got += chunk
            self.assertEqual(got.hex(" "), want.hex(" "))

        exchange("00 00 00 07 45 43 48 4f 20 68 69",
                 "00 00 00 05 4f 4b 20 68 69")
        exchange("00 00 00 03 46 4f 4f",
                 "00 00 00 18 45 52 52 20 34 30 31 20 75 6e 6b 6e 6f 77 6e "
                 "20 76 65 72 62 20 46 4f 4f")
        exchange("00 00 00 04 51 55 49 54", "00 00 00 02 4f 4b")
        self.assertEqual(sock.recv(1), b"")

    def test_frame_sent_byte_by_byte(self):
        s = self.session()
        frame = struct.pack(">I", 10) + b"ECHO split"
        for i in range(len(frame)):
            s.sock.send(frame[i:i + 1])
        self.assertEqual(s.recv_text(), "OK split")

    def test_pipelined_requests(self):
        # "Repeat, as many times as wanted, on the same connection": three
        # request frames in one segment get three replies, in order.
        s = self.session()
        s.sock.sendall(b"".join(struct.pack(">I", len(p)) + p for p in
                                (b"ECHO one", b"ECHO two", b"ECHO three")))
        self.assertEqual([s.recv_text() for _ in range(3)],
                         ["OK one", "OK two", "OK three"])

    def test_pipelined_past_quit(self):
        # QUIT then more: every reply up to QUIT's OK arrives, then EOF;
        # what came after QUIT is read and dropped, not answered, and the
        # close is no reset that would destroy the replies in flight.
        for _ in range(3):
            s = self.session()
            s.sock.sendall(b"".join(struct.pack(">I", len(p)) + p for p in
                                    (b"ECHO 1", b"MIRROR abc", b"ECHO 2",
                                     b"QUIT", b"ECHO 3")))
            self.assertEqual([s.recv_text() for _ in range(4)],
                             ["OK 1", "OK cba", "OK 2", "OK"])
            self.assertEqual(s.sock.recv(1), b"")   # EOF, not a reset

    def test_frame_of_exactly_max_frame(self):
        # "A frame longer than max_frame is refused": max_frame itself is not.
        s = self.session()
        text = "x" * (self.MAX_FRAME - 5)
        self.assertEqual(s.request("ECHO " + text), "OK " + text)

    # -- verbs ---------------------------------------------------------------

    def test_echo(self):
        s = self.session()
        self.assertEqual(s.request("ECHO hello world"), "OK hello world")
        self.assertEqual(s.request("ECHO "), "OK ")
        text = "Привет, мир — 日本語 ✓ 😀 e\u0301"
        self.assertEqual(s.request("ECHO " + text), "OK " + text)
        self.assertEqual(s.request("ECHO  two  spaces "), "OK  two  spaces ")

    def test_lower_and_mixed_case_verbs(self):
        s = self.session()
        self.assertEqual(s.request("echo hi"), "OK hi")
        self.assertEqual(s.request("Echo hi"), "OK hi")
        self.assertEqual(s.request("mirror abc"), "OK cba")
        self.assertTrue(s.request("status").startswith("OK uptime="))
        self.assertTrue(s.request("help").startswith("OK "))
        self.assertEqual(s.request("quit"), "OK")
        self.assertTrue(s.at_eof())

    def test_mirror_plain(self):
        # No signature, keep_case off (the defaults).
        s = self.session()
        self.assertEqual(s.request("MIRROR Hello, world"), "OK dlrow ,olleH")
        self.assertEqual(s.request("MIRROR Привет, мир 😀"),
                         "OK 😀 рим ,тевирП")
        # Combining marks are code points too: they move with the reversal.
        self.assertEqual(s.request("MIRROR e\u0301a"), "OK a\u0301e")
        self.assertEqual(s.request("MIRROR "), "OK ")

    def test_status(self):
        s = self.session()
        me = "%s:%d" % s.sock.getsockname()
        reply, fields, workers = self.status(s, with_clients=False)
        self.assertEqual(fields["stress"], "off")
        self.assertGreaterEqual(int(fields["uptime"]), 0)
        self.assertEqual(int(fields["port"]), self.port)
        self.assertEqual(fields["service"], "session")
        busy = [w for w in workers if w["state"] == "busy"]
        self.assertEqual(int(fields["busy"]), len(busy), reply)
        self.assertGreaterEqual(len(busy), 1, reply)
        # The document shows only busy and idle; the server also reports
        # workers in state=starting and counts them in idle=.
        self.assertEqual(int(fields["busy"]) + int(fields["idle"]),
                         len(workers), reply)
        self.assertEqual(len({w["slot"] for w in workers}), len(workers))
        self.assertEqual(len({w["pid"] for w in workers}), len(workers))
        # [server] status_clients is false by default: no address at all.
        self.assertNotIn("client=", reply)
        self.assertNotIn(me, reply)
        self.assertNotIn("127.0.0.1", reply)

    DOCUMENTED_VERBS = {"ECHO", "MIRROR", "STATUS", "UPLOAD", "HELP", "QUIT",
                        "IDENTIFY", "REGISTER", "LOGIN", "RESUME", "LOGOUT",
                        "WHOAMI"}

    def test_help(self):
        s = self.session()
        text = self.assertOK(s.request("HELP"))
        verbs = text.split(" ")
        self.assertEqual(len(verbs), len(set(verbs)), text)
        self.assertLessEqual(self.DOCUMENTED_VERBS, set(verbs), text)

    def test_help_lists_only_documented_verbs(self):
        # "HELP | OK + the verbs": every verb the server offers should be
        # specified in the document's verb table.
        s = self.session()
        verbs = set(self.assertOK(s.request("HELP")).split(" "))
        self.assertEqual(verbs - self.DOCUMENTED_VERBS, set(),
                         "verbs the server offers that PROTOCOL.md does not "
                         "specify")

    def test_quit(self):
        s = self.session()
        self.assertEqual(s.request("QUIT"), "OK")
        self.assertIsNone(s.recv_frame())

    # -- errors a client can provoke ------------------------------------------

    def test_400_empty_request(self):
        s = self.session()
        self.assertERR(s.request(b""), 400)
        self.assertStillUsable(s)

    def test_401_unknown_verb(self):
        s = self.session()
        self.assertEqual(s.request("FOO"), "ERR 401 unknown verb FOO")
        self.assertERR(s.request("FROBNICATE a b c"), 401)
        self.assertStillUsable(s)

    def test_402_missing_argument(self):
        s = self.session()
        self.assertERR(s.request("ECHO"), 402)
        self.assertStillUsable(s)

    def test_402_malformed_upload(self):
        s = self.session()
        good = sha256(b"abc")
        for request in ("UPLOAD",
                        "UPLOAD a.txt",
                        "UPLOAD a.txt 3",
                        "UPLOAD a.txt three " + good,
                        "UPLOAD a.txt -3 " + good,
                        "UPLOAD a.txt 3 " + good[:63],
                        "UPLOAD a.txt 3 " + good[:63] + "g",
                        "UPLOAD a.txt 3 " + good + " extra"):
            with self.subTest(request=request):
                self.assertERR(s.request(request), 402)
                self.assertStillUsable(s)
        self.assertEqual(self.uploads(), [])

    def test_403_invalid_utf8(self):
        s = self.session()
        for payload in (b"ECHO \xff",
                        b"ECHO abc\xc3",               # truncated sequence
                        b"ECHO \xc0\xaf",              # overlong "/"
                        b"ECHO \xed\xa0\x80",          # UTF-16 surrogate
                        b"ECHO \xf4\x90\x80\x80"):     # above U+10FFFF
            with self.subTest(payload=payload):
                self.assertERR(s.request(payload), 403)
                self.assertStillUsable(s)

    def test_403_nul_byte(self):
        s = self.session()
        self.assertERR(s.request(b"ECHO a\x00b"), 403)
        self.assertStillUsable(s)

    def test_413_oversized_frame(self):
        s = self.session()
        self.assertStillUsable(s)
        # Only the header: the server refuses "before its payload is read".
        s.sock.sendall(struct.pack(">I", self.MAX_FRAME + 1))
        self.assertERR(s.recv_text(), 413)
        self.assertIsNone(s.recv_frame())       # the last thing it sends

    def test_413_oversized_frame_with_payload(self):
        # What an ordinary client does: header and payload in one write.
        s = self.session()
        s.sock.sendall(struct.pack(">I", self.MAX_FRAME + 1)
                       + b"ECHO " + b"x" * (self.MAX_FRAME - 4))
        self.assertERR(s.recv_text(), 413)
        # "closes the connection"; with our payload unread the close may
        # reach us as a reset rather than a FIN.
        self.assertTrue(s.at_eof())

    def test_414_upload_too_large(self):
        s = self.session()
        self.assertERR(s.request("UPLOAD big.bin %d %s"
                                 % (self.MAX_SIZE + 1, "0" * 64)), 414)
        # "no data frames are expected": the next frame is a request again.
        self.assertStillUsable(s)
        self.assertEqual(self.uploads(), [])

    def test_422_checksum_mismatch(self):
        s = self.session()
        data = b"hello world"
        reply = self.upload(s, "bad.txt", data, chunk=4,
                            announce_sha=sha256(b"something else"))
        self.assertERR(reply, 422)
        self.assertStillUsable(s)
        self.assertNotIn("bad.txt", self.uploads())

    def test_422_more_data_than_announced_closes(self):
        s = self.session()
        self.assertEqual(s.request("UPLOAD over.txt 5 %s" % sha256(b"hello")),
                         "OK ready")
        s.send_frame(b"hello world")            # 11 bytes for 5 announced
        self.assertERR(s.recv_text(), 422)
        self.assertIsNone(s.recv_frame())
        self.assertNotIn("over.txt", self.uploads())

    # -- uploads ---------------------------------------------------------------

    def test_upload_document_example(self):
        s = self.session()
        self.assertEqual(
            s.request("UPLOAD notes.txt 11 b94d27b9934d3e08a52e52d7da7dabfac4"
                      "84efe37a5380ee9088f7ace2efcde9"), "OK ready")
        s.send_frame(b"hello ")
        s.send_frame(b"world")
        self.assertEqual(
            s.recv_text(),
            "OK stored notes.txt 11 b94d27b9934d3e08a52e52d7da7dabfac484efe37"
            "a5380ee9088f7ace2efcde9")
        with open(os.path.join(self.upload_dir, "notes.txt"), "rb") as f:
            self.assertEqual(f.read(), b"hello world")

    def test_upload_many_frames(self):
        s = self.session()
        data = os.urandom(20000) + bytes(range(256)) * 10
        name = self.assertStored(
            self.upload(s, "data.bin", data, chunk=3000), data)
        self.assertEqual(name, "data.bin")
        self.assertEqual(self.uploads(), ["data.bin"])  # no temporary left
        self.assertStillUsable(s)

    def test_upload_size_zero(self):
        # "size 0 means no data frames": OK ready, then OK stored at once.
        s = self.session()
        reply = self.upload(s, "empty.txt", b"")
        self.assertEqual(self.assertStored(reply, b""), "empty.txt")
        self.assertStillUsable(s)

    def test_upload_escape_stays_inside(self):
        s = self.session()
        data = b"should not escape\n"
        name = self.assertStored(self.upload(s, "../escape.txt", data), data)
        self.assertNotIn("/", name)
        self.assertNotIn("..", name)
        self.assertFalse(name.startswith("."), name)
        self.assertFalse(os.path.exists(os.path.join(self.dir, "escape.txt")))
        self.assertEqual(self.uploads(), [name])

    def test_upload_unsafe_names(self):
        s = self.session()
        for i, raw in enumerate((".hidden", "a/b/c.txt", "ctl\x01\x7fx.txt",
                                 "n" * 200 + ".txt")):
            with self.subTest(name=raw):
                data = ("file %d\n" % i).encode()
                name = self.assertStored(self.upload(s, raw, data), data)
                self.assertNotIn("/", name)
                self.assertNotIn("..", name)
                self.assertFalse(name.startswith("."), name)
                self.assertFalse(any(ord(c) < 32 or ord(c) == 127
                                     for c in name), repr(name))
                self.assertLessEqual(len(name.encode()), 128)

    def test_upload_same_name_twice(self):
        s = self.session()
        first, second = b"first version\n", b"second version\n"
        name1 = self.assertStored(self.upload(s, "same.txt", first), first)
        name2 = self.assertStored(self.upload(s, "same.txt", second), second)
        self.assertEqual(name1, "same.txt")
        self.assertNotEqual(name2, name1)
        # "adds -1, -2... before the extension".
        self.assertEqual(name2, "same-1.txt")
        with open(os.path.join(self.upload_dir, "same.txt"), "rb") as f:
            self.assertEqual(f.read(), first)
        name3 = self.assertStored(self.upload(s, "same.txt", b"3"), b"3")
        self.assertEqual(name3, "same-2.txt")

    def test_upload_cut_connection_leaves_no_file(self):
        s = self.session()
        data = b"0123456789"
        self.assertEqual(s.request("UPLOAD cut.txt 10 %s" % sha256(data)),
                         "OK ready")
        s.send_frame(data[:4])
        me = "%s:%d" % s.sock.getsockname()
        s.sock.close()
        self.wait_log("disconnect client=%s" % me)
        self.assertNotIn("cut.txt", self.uploads())


class SessionStatusClients(SessionBase):
    """[server] status_clients = true: STATUS shows who each worker serves."""
    PORTS = (22300, 22319)
    POOL_START = 3
    SERVER = "status_clients = true\n"

    def test_status(self):
        s = self.session()
        me = "%s:%d" % s.sock.getsockname()
        reply, fields, workers = self.status(s, with_clients=True)
        for w in workers:
            if w["state"] == "idle":
                self.assertEqual(w["client"], "-", reply)
        mine = [w for w in workers if w["client"] == me]
        self.assertEqual(len(mine), 1, "%s not in\n%s" % (me, reply))
        self.assertEqual(mine[0]["state"], "busy", reply)
        self.assertNotEqual(mine[0]["pid"], self.daemon.pid)

    def test_status_two_clients(self):
        a, b = self.session(), self.session()
        me_a = "%s:%d" % a.sock.getsockname()
        me_b = "%s:%d" % b.sock.getsockname()
        reply, fields, workers = self.status(a, with_clients=True)
        clients = {w["client"] for w in workers if w["state"] == "busy"}
        self.assertIn(me_a, clients, reply)
        self.assertIn(me_b, clients, reply)
        self.assertEqual(b.request("ECHO b"), "OK b")


class SessionMirrorStyled(SessionBase):
    """MIRROR with keep_case and the document's signature."""
    PORTS = (22140, 22159)

    def mirror_section(self):
        return ("[mirror]\ndelay_ms = 5\nkeep_case = true\n"
                "signature = %s\n" % SIGNATURE)

    def test_document_example(self):
        s = self.session()
        self.assertEqual(
            s.request("MIRROR Титов Юрий Павлович"),
            "OK Чиволвап Йирю Вотит. Сервер написан Титов Ю.П. М3О-3ХХБ-ХХ")

    def test_keep_case_per_word(self):
        # "the j-th letter of a reversed word takes the case the j-th letter
        # of that word had": DLROW came from WORLD, olleH from Hello.
        s = self.session()
        self.assertEqual(s.request("MIRROR Hello WORLD"),
                         "OK DLROW Olleh" + SIGNATURE)
        self.assertEqual(s.request("MIRROR "), "OK " + SIGNATURE)


class SessionShutdown(SessionBase):
    PORTS = (22260, 22279)

    def test_503_on_stop(self):
        s = self.session()
        self.assertStillUsable(s)
        self.daemon.send_signal(signal.SIGTERM)
        s.sock.settimeout(10)
        self.assertERR(s.recv_text(), 503)
        self.assertIsNone(s.recv_frame())        # the last thing it sends
        self.assertEqual(self.daemon.wait(timeout=10), 0)


class SessionTimeLimit(SessionBase):
    PORTS = (22160, 22179)
    LIMITS = "idle_timeout = 1\n"

    def test_idle_timeout_408(self):
        s = self.session()
        # Stay silent; the server ends it with ERR 408 as its last frame.
        self.assertERR(s.recv_text(), 408)
        self.assertIsNone(s.recv_frame())


class SessionLifetimeLimit(SessionBase):
    PORTS = (22180, 22199)
    LIMITS = "idle_timeout = 1\nsession_timeout = 2\n"

    def test_session_timeout_408(self):
        s = self.session()
        deadline = time.monotonic() + 5
        n = 0
        while time.monotonic() < deadline:
            # Busy, never idle for a second: only session_timeout can end it.
            s.send_frame("ECHO %d" % n)
            reply = s.recv_text()
            if reply.startswith("ERR"):
                self.assertERR(reply, 408)
                break
            self.assertEqual(reply, "OK %d" % n)
            n += 1
            # Give the server 0.2 s to say something on its own.
            ready, _, _ = select.select([s.sock], [], [], 0.2)
            if ready:
                self.assertERR(s.recv_text(), 408)
                break
        else:
            self.fail("no ERR 408 within 5 s")
        self.assertGreater(n, 4)      # it was the session limit, not idle
        self.assertIsNone(s.recv_frame())


# --------------------------------------------------------------------------
# Raw services (section 2)


class RawConn:
    def __init__(self, sock):
        self.sock = sock
        self.buf = b""

    def readline(self):
        while b"\n" not in self.buf:
            chunk = self.sock.recv(4096)
            if not chunk:
                raise EOFError("EOF before a line; have %r" % self.buf)
            self.buf += chunk
        line, self.buf = self.buf.split(b"\n", 1)
        return line + b"\n"

    def read_all(self):
        while True:
            chunk = self.sock.recv(65536)
            if not chunk:
                data, self.buf = self.buf, b""
                return data
            self.buf += chunk


class MirrorService(DaemonCase):
    PORTS = (22200, 22219)
    SERVICE = "mirror"
    EXTRA = ("[mirror]\ndelay_ms = 5\nkeep_case = true\n"
             "signature = %s\n" % SIGNATURE)

    def expected(self, text):
        return ("%s%s\n" % (text, SIGNATURE)).encode("utf-8")

    def test_lines_lf_and_crlf(self):
        c = RawConn(self.connect())
        c.sock.sendall("Титов Юрий Павлович\n".encode())
        self.assertEqual(c.readline(), self.expected("Чиволвап Йирю Вотит"))
        c.sock.sendall("Титов Юрий Павлович\r\n".encode())
        self.assertEqual(c.readline(), self.expected("Чиволвап Йирю Вотит"))
        c.sock.sendall(b"abc\ndef\r\n\n")
        self.assertEqual(c.readline(), self.expected("cba"))
        self.assertEqual(c.readline(), self.expected("fed"))
        self.assertEqual(c.readline(), self.expected(""))

    def test_burst_without_newline(self):
        c = RawConn(self.connect())
        c.sock.sendall("no newline here ✓".encode())
        self.assertEqual(c.readline(), self.expected("✓ ereh enilwen on"))

    def test_burst_does_not_split_utf8(self):
        c = RawConn(self.connect())
        data = "ab Ж".encode()
        c.sock.sendall(data[:-1])               # ends inside "Ж"
        # Not synchronization: a gap longer than the 100 ms burst window.
        time.sleep(0.3)
        c.sock.sendall(data[-1:])
        self.assertEqual(c.readline(), self.expected("Ж ba"))

    def test_invalid_utf8(self):
        c = RawConn(self.connect())
        c.sock.sendall(b"hello\n")
        self.assertEqual(c.readline(), self.expected("olleh"))
        c.sock.sendall(b"ab\xffcd\n")
        # "N counted from 0 within the message".
        self.assertEqual(c.readline(), b"ERR invalid UTF-8 at byte 2\n")
        c.sock.sendall(b"still open\n")        # the connection stays open
        self.assertEqual(c.readline(), self.expected("nepo llits"))

    def test_nul_byte_is_refused(self):
        # "a NUL byte gets ERR NUL byte at byte N"; the connection stays.
        c = RawConn(self.connect())
        c.sock.sendall(b"x\x00y\n")
        self.assertEqual(c.readline(), b"ERR NUL byte at byte 1\n")
        c.sock.sendall(b"ok\n")
        self.assertEqual(c.readline(), self.expected("ko"))

    def test_python_documentation_client(self):
        # The socket module documentation's echo client, against mirror.
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
            s.settimeout(SOCK_TIMEOUT)
            s.connect((HOST, self.port))
            s.sendall(b"Hello, world")
            data = s.recv(1024)
        self.assertEqual(data, self.expected("dlrow ,Olleh"))


class MirrorTimeLimit(DaemonCase):
    PORTS = (22280, 22299)
    SERVICE = "mirror"
    LIMITS = "idle_timeout = 1\n"
    EXTRA = "[mirror]\ndelay_ms = 5\n"

    def test_idle_timeout(self):
        c = RawConn(self.connect())
        c.sock.sendall(b"abc\n")
        self.assertEqual(c.readline(), b"cba\n")
        line = c.readline()                     # then silence
        self.assertEqual(line, b"ERR timeout: idle timeout\n")
        self.assertEqual(c.read_all(), b"")


class PingpongService(DaemonCase):
    PORTS = (22220, 22239)
    SERVICE = "pingpong"

    def setUp(self):
        super().setUp()
        self.c = RawConn(self.connect())

    def write_file(self, text):
        with open(self.pingpong_file, "w", encoding="utf-8") as f:
            f.write(text)

    def read_file(self):
        with open(self.pingpong_file, "rb") as f:
            return f.read()

    def reply(self):
        """The next reply: b"_code3g" or an ERR line (whitespace skipped)."""
        while True:
            self.c.buf = self.c.buf.lstrip()
            if self.c.buf.startswith(b"_code3g"):
                self.c.buf = self.c.buf[7:]
                return b"_code3g"
            if self.c.buf.startswith(b"ERR") and b"\n" in self.c.buf:
                return self.c.readline()
            if (len(self.c.buf) >= 7 and not self.c.buf.startswith(b"ERR")):
                self.fail("unexpected reply %r" % self.c.buf)
            chunk = self.c.sock.recv(4096)
            if not chunk:
                self.fail("EOF; have %r" % self.c.buf)
            self.c.buf += chunk

    def round(self, data):
        self.c.sock.sendall(b"_code1g")
        self.write_file(data)
        self.c.sock.sendall(b"_code2g")
        self.assertEqual(self.reply(), b"_code3g")
        self.assertEqual(self.read_file(), b"pong")

    def test_fifty_rounds(self):
        for i in range(50):
            self.round("ping %d from the client\n" % i)

    def test_text_goes_to_log(self):
        self.round("marker-7f3a2b")
        self.wait_log("marker-7f3a2b")

    def test_code_words_in_one_send(self):
        self.write_file("ping together\n")
        self.c.sock.sendall(b"_code1g\n_code2g\n")
        self.assertEqual(self.reply(), b"_code3g")
        self.assertEqual(self.read_file(), b"pong")
        # Two whole rounds in one segment: the second reads the first's pong.
        self.c.sock.sendall(b"_code1g _code2g\t_code1g\r\n_code2g ")
        self.assertEqual(self.reply(), b"_code3g")
        self.assertEqual(self.reply(), b"_code3g")
        self.assertEqual(self.read_file(), b"pong")

    def test_code_words_byte_by_byte(self):
        for b in b"_code1g":
            self.c.sock.send(bytes([b]))
        self.write_file("ping split\n")
        for b in b"_code2g":
            self.c.sock.send(bytes([b]))
        self.assertEqual(self.reply(), b"_code3g")
        self.assertEqual(self.read_file(), b"pong")
        self.round("after the split round\n")

    def test_code2g_followed_by_junk(self):
        self.c.sock.sendall(b"_code1g")
        self.write_file("ping junk\n")
        self.c.sock.sendall(b"_code2g junk\n")
        self.assertEqual(self.reply(), b"_code3g")
        self.assertEqual(self.read_file(), b"pong")
        self.assertEqual(self.reply(), b"ERR unexpected input: expected "
                         b"_code1g or _code2g\n")
        self.round("after the junk\n")          # the connection stays open

    def test_code2g_without_code1g(self):
        self.write_file("never held\n")
        self.c.sock.sendall(b"_code2g\n")
        line = self.reply()
        self.assertTrue(line.startswith(b"ERR "), line)
        self.assertEqual(self.read_file(), b"never held\n")
        self.round("a proper round afterwards\n")


class UploadService(DaemonCase):
    PORTS = (22240, 22259)
    SERVICE = "upload"
    MAX_SIZE = 100000

    def config_text(self):
        return super().config_text().replace(
            "[upload]\n", "[upload]\nmax_size = %d\n" % self.MAX_SIZE)

    def send_file(self, data):
        c = RawConn(self.connect())
        c.sock.sendall(data)
        c.sock.shutdown(socket.SHUT_WR)
        line = c.readline()
        self.assertEqual(c.read_all(), b"")
        return line

    def test_upload(self):
        data = os.urandom(50000) + "ünïcödé\n".encode()
        line = self.send_file(data)
        m = re.fullmatch(rb"OK (\S+) (\d+) ([0-9a-f]{64})\n", line)
        self.assertIsNotNone(m, line)
        name = m.group(1).decode()
        self.assertRegex(name, r"^upload-\d{8}-\d{6}-[0-9a-f]+$")
        self.assertEqual(int(m.group(2)), len(data))
        self.assertEqual(m.group(3).decode(), sha256(data))
        with open(os.path.join(self.upload_dir, name), "rb") as f:
            stored = f.read()
        self.assertEqual(stored, data)
        self.assertEqual(sha256(stored), sha256(data))

    def test_document_example_hash(self):
        line = self.send_file(b"hello world")
        m = re.fullmatch(rb"OK (\S+) 11 b94d27b9934d3e08a52e52d7da7dabfac484"
                         rb"efe37a5380ee9088f7ace2efcde9\n", line)
        self.assertIsNotNone(m, line)

    def test_two_uploads_get_two_names(self):
        a = self.send_file(b"first")
        b = self.send_file(b"second")
        self.assertNotEqual(a.split()[1], b.split()[1])
        self.assertEqual(len(self.uploads()), 2)

    def test_too_large(self):
        c = RawConn(self.connect())
        try:
            c.sock.sendall(b"x" * (self.MAX_SIZE + 1))
            c.sock.shutdown(socket.SHUT_WR)
        except (BrokenPipeError, ConnectionResetError):
            pass            # it may answer and close before we are done
        line = c.readline()
        self.assertTrue(line.startswith(b"ERR too large: "), line)
        self.assertEqual(self.uploads(), [])


if __name__ == "__main__":
    unittest.main()
