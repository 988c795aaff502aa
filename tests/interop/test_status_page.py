"""Interop: the status page as a browser shows it, and `sockbin top`.

Starts the real sockbind ($SOCKBIND_BIN) on 127.0.0.1 with a port range of
its own (24800-24804) and its status listener on 24809, connects five
clients, then renders the page in headless Chromium (Debian's chromium
package; the test is skipped, saying so, when it is not installed) after
the page's script has run, and runs `sockbin top -n 1` ($SOCKBIN_BIN).
"""
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import tempfile
import time
import unittest
import urllib.request

STATUS = "127.0.0.1:24809"
CONFIG = """\
[server]
listen = 127.0.0.1
port_min = 24800
port_max = 24804
service = echo
port_file = {dir}/port
pidfile = {dir}/pid
status_clients = true
[pool]
start = 2
[status]
listen = {status}
[log]
path = {dir}/sockbind.log
"""
CLIENTS = 5


def chromium():
    for name in ("chromium", "chromium-browser", "google-chrome"):
        path = shutil.which(name)
        if path:
            return path
    return None


class StatusPage(unittest.TestCase):
    def setUp(self):
        self.dir = tempfile.mkdtemp(prefix="sockbind-interop.")
        config = os.path.join(self.dir, "sockbind.ini")
        with open(config, "w") as f:
            f.write(CONFIG.format(dir=self.dir, status=STATUS))
        self.daemon = subprocess.Popen(
            [os.environ["SOCKBIND_BIN"], "-c", config],
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        line = self.daemon.stdout.readline()
        self.assertIn("listening on 127.0.0.1:", line, self.daemon.stderr)
        self.port = int(line.rsplit(":", 1)[1])
        self.clients = []
        self.wait_log("status_start")

    def tearDown(self):
        for s in self.clients:
            s.close()
        self.daemon.send_signal(signal.SIGTERM)
        self.assertEqual(self.daemon.wait(timeout=10), 0)
        self.daemon.stdout.close()
        self.daemon.stderr.close()
        shutil.rmtree(self.dir)

    def wait_log(self, needle, timeout=5.0):
        deadline = time.monotonic() + timeout
        path = os.path.join(self.dir, "sockbind.log")
        while time.monotonic() < deadline:
            with open(path, encoding="utf-8") as f:
                if needle in f.read():
                    return
            time.sleep(0.01)
        self.fail("log never showed %r" % needle)

    def status(self):
        with urllib.request.urlopen("http://%s/status.json" % STATUS,
                                    timeout=5) as r:
            return json.load(r)

    def connect_five(self):
        """Five clients, each served (its echo came back); returns their
        addresses as the server sees them."""
        for i in range(CLIENTS):
            s = socket.create_connection(("127.0.0.1", self.port), timeout=5)
            s.sendall(b"hi\n")
            self.assertEqual(s.recv(3), b"hi\n")
            self.clients.append(s)
        deadline = time.monotonic() + 5
        while self.status()["workers"]["busy"] != CLIENTS:
            self.assertLess(time.monotonic(), deadline, self.status())
            time.sleep(0.02)
        return ["127.0.0.1:%d" % s.getsockname()[1] for s in self.clients]

    def test_page_shows_five_busy_slots(self):
        browser = chromium()
        if browser is None:
            self.skipTest("chromium is not installed (Debian's chromium "
                          "package): the page is not rendered")
        addresses = self.connect_five()
        profile = os.path.join(self.dir, "chromium")
        # --virtual-time-budget: the page's script runs (fetch, render)
        # before the DOM is dumped.
        out = subprocess.run(
            [browser, "--headless", "--disable-gpu", "--no-sandbox",
             "--user-data-dir=" + profile, "--virtual-time-budget=3000",
             "--dump-dom", "http://%s/" % STATUS],
            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True,
            timeout=60)
        self.assertEqual(out.returncode, 0)
        dom = out.stdout
        slots = re.findall(r'<div class="slot (\w+)" data-state="\w+">', dom)
        self.assertEqual(slots.count("busy"), CLIENTS, dom)
        for a in addresses:
            self.assertIn(a, dom)
        self.assertRegex(dom, r'<b id="busy">%d</b>' % CLIENTS)
        self.assertIn('<b id="stressv">off</b>', dom)
        self.assertIn("echo on port %d" % self.port, dom)
        # The script reached the server: no error banner.
        self.assertRegex(dom, r'<span id="err"></span>')

    def test_top_once(self):
        addresses = self.connect_five()
        out = subprocess.run(
            [os.environ["SOCKBIN_BIN"], "--status", STATUS, "top", "-n",
             "1"], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
            text=True, timeout=10, stdin=subprocess.DEVNULL)
        self.assertEqual(out.returncode, 0, out.stderr)
        self.assertIn("echo on port %d" % self.port, out.stdout)
        self.assertIn("%d busy" % CLIENTS, out.stdout)
        rows = [l for l in out.stdout.splitlines() if " busy " in l]
        self.assertEqual(len(rows), CLIENTS, out.stdout)
        for a in addresses:
            self.assertIn(a, out.stdout)
        # Not a terminal: no screen clearing.
        self.assertNotIn("\033[", out.stdout)

    def test_top_without_a_listener(self):
        out = subprocess.run(
            [os.environ["SOCKBIN_BIN"], "--status", "127.0.0.1:24808",
             "top", "-n", "1"], stdout=subprocess.PIPE,
            stderr=subprocess.PIPE, text=True, timeout=10,
            stdin=subprocess.DEVNULL)
        self.assertEqual(out.returncode, 3)
        self.assertEqual(out.stderr, "sockbin: top: status listener "
                         "127.0.0.1:24808: Connection refused\n")


if __name__ == "__main__":
    unittest.main()
