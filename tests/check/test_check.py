"""sockbin check, graded against sockbind itself and against deliberately
faulty lab servers (the other scripts in this directory).

Every case must pass against sockbind, each service started with the
options the case needs. Each faulty server must fail exactly the cases
its fault explains and pass the rest: the sets of case ids are asserted
from the JSON report, which is itself checked against docs/check-json.md's
fields; the JUnit report is parsed and counted. sockbind runs on 127.0.0.1
with ports in 24600-24639; the Python servers take a port the kernel
picks and print it. Every wait is bounded and ends on a condition.
"""
import json
import os
import re
import select
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import unittest
import xml.etree.ElementTree as ET

HERE = os.path.dirname(os.path.abspath(__file__))
SOCKBIN = os.environ.get("SOCKBIN_BIN", os.path.join(HERE, "../../build/sockbin"))
SOCKBIND = os.environ.get("SOCKBIND_BIN",
                          os.path.join(HERE, "../../build/sockbind"))
SIGNATURE = ". Сервер написан Титов Ю.П. М3О-3ХХБ-ХХ"
DELAY_MS = 300          # sockbind's mirror
FAULTY_DELAY_MS = 200   # the Python mirrors
TIMEOUT_MS = "1500"

CASE_FIELDS = {"id", "title", "verdict", "duration_ms", "reason", "expected",
               "received", "bytes_sent", "bytes_received", "exchange"}
EVENT_FIELDS = {"conn", "dir", "at_ms", "bytes", "pieces", "text"}


def read_line(proc, timeout):
    """One line of proc's stdout within timeout seconds, or ''."""
    fd = proc.stdout.fileno()
    buf = b""
    deadline = time.monotonic() + timeout
    while not buf.endswith(b"\n"):
        left = deadline - time.monotonic()
        if left <= 0 or not select.select([fd], [], [], left)[0]:
            break
        byte = os.read(fd, 1)
        if not byte:
            break
        buf += byte
    return buf.decode("utf-8", "replace")


def stop(proc):
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
    proc.stdout.close()


class CheckCase(unittest.TestCase):
    def setUp(self):
        self.dir = tempfile.mkdtemp(prefix="sockbin-check.")
        self.addCleanup(shutil.rmtree, self.dir, True)

    def check(self, service, port, *args):
        """Run sockbin check with a JSON and a JUnit report: (status,
        stdout, the JSON report, the JUnit root)."""
        js = os.path.join(self.dir, "report.json")
        xml = os.path.join(self.dir, "report.xml")
        for f in (js, xml):
            if os.path.exists(f):
                os.unlink(f)
        cmd = [SOCKBIN, "check", service, "-p", str(port), "--timeout-ms",
               TIMEOUT_MS, "--json", js, "--junit", xml] + list(args)
        p = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                           timeout=120)
        out = p.stdout.decode("utf-8")
        with open(js, encoding="utf-8") as f:
            report = json.load(f)
        self.validate(report, out)
        junit = ET.parse(xml).getroot()
        suite = junit.find("testsuite")
        self.assertEqual(int(suite.get("tests")), len(report["cases"]))
        self.assertEqual(int(suite.get("failures")),
                         report["summary"]["failed"])
        self.assertEqual(int(suite.get("skipped")),
                         report["summary"]["skipped"])
        self.assertEqual(len(suite.findall("testcase/failure")),
                         report["summary"]["failed"])
        self.assertEqual(len(suite.findall("testcase/skipped")),
                         report["summary"]["skipped"])
        self.assertEqual(p.returncode,
                         1 if report["summary"]["failed"] else 0, out)
        return p.returncode, out, report, junit

    def validate(self, report, out):
        """The documented fields, and the summary agrees with the cases
        and with the last line printed."""
        for key in ("tool", "version", "service", "server", "duration_ms",
                    "summary", "concurrency", "timing", "cases"):
            self.assertIn(key, report)
        counts = {"passed": 0, "failed": 0, "skipped": 0}
        for case in report["cases"]:
            self.assertEqual(set(case), CASE_FIELDS)
            counts[case["verdict"]] += 1
            if case["verdict"] == "passed":
                self.assertIsNone(case["reason"])
            else:
                self.assertTrue(case["reason"])
            for ev in case["exchange"]:
                self.assertEqual(set(ev), EVENT_FIELDS)
                self.assertIn(ev["dir"], ("sent", "received", "note"))
        self.assertEqual(report["summary"], counts)
        self.assertIn(report["concurrency"], (None, "concurrent",
                                              "sequential"))
        self.assertEqual(out.rstrip("\n").split("\n")[-1],
                         "%(passed)d passed, %(failed)d failed, "
                         "%(skipped)d skipped" % counts)

    def serve(self, script, *args):
        """Start a faulty server (a script here): its port."""
        env = dict(os.environ, MIRROR_DELAY_MS=str(FAULTY_DELAY_MS))
        proc = subprocess.Popen([sys.executable, os.path.join(HERE, script)]
                                + list(args), stdout=subprocess.PIPE, env=env)
        self.addCleanup(stop, proc)
        m = re.match(r"port (\d+)", read_line(proc, 10))
        self.assertIsNotNone(m, "%s did not start" % script)
        return int(m.group(1))

    def listed(self, service):
        p = subprocess.run([SOCKBIN, "check", service, "--list"],
                           stdout=subprocess.PIPE, timeout=10, check=True)
        return [line.split()[0] for line in
                p.stdout.decode().strip().split("\n")]

    def failed(self, report):
        return {c["id"] for c in report["cases"] if c["verdict"] == "failed"}


class SockbindPasses(CheckCase):
    """Every case against sockbind, each service with its options."""

    PORT = 24600

    def start(self, service, index):
        cfg = os.path.join(self.dir, "sockbind.ini")
        os.mkdir(os.path.join(self.dir, "uploads"))
        with open(os.path.join(self.dir, "pingpong.txt"), "w"):
            pass
        port = self.PORT + 5 * index
        with open(cfg, "w", encoding="utf-8") as f:
            f.write(
                "[server]\nlisten = 127.0.0.1\nport_min = {p}\n"
                "port_max = {q}\nservice = {s}\nport_file = {d}/port\n"
                "pidfile = {d}/pid\n"
                "[pool]\ngraceful_timeout = 1\n"
                "[mirror]\ndelay_ms = {delay}\nsignature = {sig}\n"
                "keep_case = true\n"
                "[pingpong]\nfile = {d}/pingpong.txt\n"
                "[upload]\ndir = {d}/uploads\n"
                "[auth]\nfailure_delay_ms = 50\n"
                "[store]\npath = {d}/sockbind.db\n"
                "[log]\npath = {d}/sockbind.log\n".format(
                    p=port, q=port + 4, s=service, d=self.dir,
                    delay=DELAY_MS, sig=SIGNATURE))
        proc = subprocess.Popen([SOCKBIND, "-c", cfg], stdout=subprocess.PIPE,
                                stderr=subprocess.DEVNULL, cwd=self.dir)
        self.addCleanup(stop, proc)
        m = re.match(r"sockbind: listening on 127\.0\.0\.1:(\d+)",
                     read_line(proc, 10))
        self.assertIsNotNone(m, "sockbind did not start")
        return int(m.group(1))

    def all_pass(self, service, index, *args):
        port = self.start(service, index)
        _, out, report, _ = self.check(service, port, *args)
        self.assertEqual([c["id"] for c in report["cases"]],
                         self.listed(service))
        self.assertEqual(self.failed(report), set(), out)
        self.assertEqual(report["summary"]["skipped"], 0, out)
        self.assertEqual(report["concurrency"], "concurrent")
        return report

    def test_echo(self):
        self.all_pass("echo", 0)

    def test_mirror(self):
        report = self.all_pass("mirror", 1, "--signature", SIGNATURE,
                               "--keep-case", "--delay-ms", str(DELAY_MS))
        self.assertRegex(report["timing"], r"replies after \d+, \d+, \d+, "
                         r"\d+, \d+ ms \(simulated work 300 ms\)")

    def test_pingpong(self):
        self.all_pass("pingpong", 2, "--exchange-file",
                      os.path.join(self.dir, "pingpong.txt"))

    def test_upload(self):
        self.all_pass("upload", 3, "--upload-dir",
                      os.path.join(self.dir, "uploads"))

    def test_ident(self):
        self.all_pass("ident", 4, "--name", "Иван Проверкин")

    def test_auth(self):
        # Each REGISTER and LOGIN hashes a password (argon2id, 64 MiB):
        # seconds on a busy machine.
        self.all_pass("auth", 5, "--timeout-ms", "10000")

    def test_session(self):
        self.all_pass("session", 6, "--signature", SIGNATURE, "--keep-case")

    def test_skipped_without_options(self):
        """Cases that need an option say so and count as skipped; a run
        with nothing failed exits 0."""
        port = self.start("pingpong", 7)
        status, out, report, _ = self.check("pingpong", port)
        self.assertEqual(status, 0)
        self.assertEqual(report["summary"],
                         {"passed": 0, "failed": 0, "skipped": 9})
        self.assertIn("needs --exchange-file", report["cases"][0]["reason"])


class FaultyServers(CheckCase):
    """Each faulty server fails exactly the cases of its fault."""

    def expect(self, script, service, failing, *args):
        status, out, report, junit = self.check(service, self.serve(script),
                                                *args)
        self.assertEqual(self.failed(report),
                         {service + "/" + c for c in failing}, out)
        self.assertEqual(report["summary"]["skipped"], 0, out)
        return out, report, junit

    def test_echo_recv_once(self):
        out, report, junit = self.expect("echo_recv_once.py", "echo",
                                         {"1.2", "1.4", "1.6", "1.8"})
        # Failures say what was expected and what came, escaped.
        # The 1 MiB message: the server's close may come while it is
        # still being sent (a reset) or after (the echo is short).
        case = {c["id"]: c for c in report["cases"]}["echo/1.8"]
        self.assertRegex(case["reason"], r"1024 of 1048576 bytes came|"
                         r"closed the connection after \d+ of the 1048576 "
                         r"bytes sent")
        if case["expected"] is not None:
            self.assertTrue(case["expected"].startswith("abcdef"))
            self.assertIn("\\n", case["expected"])
            self.assertIn("(1024 bytes)", case["received"])
        failure = [tc for tc in junit.iter("testcase")
                   if tc.get("name").startswith("echo/1.2 ")][0]
        self.assertIn("the server closed the connection",
                      failure.find("failure").get("message"))
        self.assertEqual(report["concurrency"], "concurrent")

    def test_echo_one_client(self):
        ids = self.listed("echo")
        out, report, _ = self.expect(
            "echo_one_client.py", "echo",
            {i.split("/")[1] for i in ids if i != "echo/1.1"})
        self.assertIn("Connection refused", out)

    def test_mirror_sequential(self):
        out, report, _ = self.expect(
            "mirror_sequential.py", "mirror", {"2.1", "2.2"},
            "--signature", "SIG", "--delay-ms", str(FAULTY_DELAY_MS))
        self.assertEqual(report["concurrency"], "sequential")
        self.assertIn("concurrency: sequential", out)
        times = [int(t) for t in re.search(r"replies after ([\d, ]+) ms",
                                           report["timing"]).group(1)
                 .split(", ")]
        self.assertEqual(len(times), 5)
        self.assertGreaterEqual(max(times), 5 * FAULTY_DELAY_MS)

    def test_mirror_no_signature(self):
        _, report, _ = self.expect(
            "mirror_no_signature.py", "mirror",
            {"1.%d" % i for i in range(1, 12)},
            "--signature", "SIG", "--delay-ms", str(FAULTY_DELAY_MS))
        case = report["cases"][0]
        self.assertEqual(case["expected"], "!dlrow ,olleHSIG\\n")
        self.assertEqual(case["received"], "!dlrow ,olleH\\n")
        self.assertEqual(report["concurrency"], "concurrent")

    def test_upload_recv_once(self):
        uploads = os.path.join(self.dir, "stored")
        os.mkdir(uploads)
        port = self.serve("upload_recv_once.py", "0", uploads)
        _, out, report, _ = self.check("upload", port, "--upload-dir",
                                       uploads)
        self.assertEqual(self.failed(report),
                         {"upload/1.3", "upload/1.4", "upload/1.5"}, out)

    def test_ident_per_read(self):
        self.expect("ident_per_read.py", "ident", {"1.4", "1.5"})

    def test_session_split_header(self):
        self.expect("session_split_header.py", "session", {"1.3"})

    def test_silent_server_is_bounded(self):
        """A server that accepts and says nothing: every case fails on its
        own time limit, none is taken for sequential, the run ends."""
        port = self.serve("silent.py")
        t0 = time.monotonic()
        p = subprocess.run([SOCKBIN, "check", "session", "-p", str(port),
                            "--timeout-ms", "200", "--json",
                            os.path.join(self.dir, "r.json")],
                           stdout=subprocess.PIPE, timeout=60)
        elapsed = time.monotonic() - t0
        self.assertEqual(p.returncode, 1)
        with open(os.path.join(self.dir, "r.json")) as f:
            report = json.load(f)
        self.assertEqual(report["summary"]["failed"], len(report["cases"]))
        self.assertIsNone(report["concurrency"])
        for case in report["cases"]:
            self.assertLess(case["duration_ms"], 3 * 200 + 2000)
            self.assertIn("within 200 ms", case["reason"])
        self.assertLess(elapsed, 15)


class CommandLine(CheckCase):
    def run_check(self, *args):
        return subprocess.run([SOCKBIN, "check"] + list(args),
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                              timeout=30)

    def test_usage_errors(self):
        p = self.run_check("gopher")
        self.assertEqual(p.returncode, 2)
        self.assertIn(b"unknown service 'gopher'", p.stderr)
        p = self.run_check("echo", "-p", "24640", "9.9")
        self.assertEqual(p.returncode, 2)
        self.assertIn(b"9.9: no such case of echo", p.stderr)
        p = self.run_check("echo", "--delay-ms", "-1")
        self.assertEqual(p.returncode, 2)

    def test_list_and_selection(self):
        self.assertEqual(self.listed("echo")[:2], ["echo/1.1", "echo/1.2"])
        p = self.run_check("session", "--list", "2", "session/1.1")
        self.assertEqual([line.split()[0] for line in
                          p.stdout.decode().strip().split("\n")],
                         ["session/1.1", "session/2.1"])

    def test_no_server_on_a_range(self):
        p = self.run_check("echo", "-p", "24636-24639")
        self.assertEqual(p.returncode, 3)
        self.assertIn(b"no server on 127.0.0.1 ports 24636-24639", p.stderr)

    def test_html_report(self):
        """One self-contained page: the grid and a transcript per case."""
        port = self.serve("echo_recv_once.py")
        html = os.path.join(self.dir, "r.html")
        p = self.run_check("echo", "-p", str(port), "--timeout-ms", TIMEOUT_MS,
                           "--html", html)
        self.assertEqual(p.returncode, 1)
        with open(html, encoding="utf-8") as f:
            page = f.read()
        self.assertTrue(page.startswith("<!DOCTYPE html>"))
        self.assertNotRegex(page, r"(src|href)=\"(https?:|//)")
        self.assertEqual(page.count('<tr class="failed">'), 4)
        self.assertEqual(page.count('<tr class="passed">'), 8)
        for case in self.listed("echo"):
            self.assertIn('">%s ' % case, page)
        self.assertIn("Hello, world!\\n", page)


if __name__ == "__main__":
    unittest.main()
