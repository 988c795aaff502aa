"""Interop: the echo service from Python's standard library and from nc.

Starts the real sockbind ($SOCKBIND_BIN) on 127.0.0.1 with a port range of
its own (22000-22009) and talks to it the way a student would.
"""
import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time
import unittest

CONFIG = """\
[server]
listen = 127.0.0.1
port_min = 22000
port_max = 22009
service = echo
port_file = {dir}/port
pidfile = {dir}/pid
[pool]
start = 2
[log]
path = {dir}/sockbind.log
"""


class EchoInterop(unittest.TestCase):
    def setUp(self):
        self.dir = tempfile.mkdtemp(prefix="sockbind-interop.")
        self.config = os.path.join(self.dir, "sockbind.ini")
        with open(self.config, "w") as f:
            f.write(CONFIG.format(dir=self.dir))
        self.daemon = subprocess.Popen(
            [os.environ["SOCKBIND_BIN"], "-c", self.config],
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        # Wait on the daemon's own word that it listens, not on a clock.
        line = self.daemon.stdout.readline()
        self.assertIn("listening on 127.0.0.1:", line, self.daemon.stderr)
        self.port = int(line.rsplit(":", 1)[1])
        with open(os.path.join(self.dir, "port")) as f:
            self.assertEqual(int(f.read()), self.port)

    def tearDown(self):
        self.daemon.send_signal(signal.SIGTERM)
        self.assertEqual(self.daemon.wait(timeout=10), 0)
        self.daemon.stdout.close()
        self.daemon.stderr.close()
        shutil.rmtree(self.dir)

    def log(self):
        with open(os.path.join(self.dir, "sockbind.log"),
                  encoding="utf-8") as f:
            return f.read()

    def wait_log(self, needle, timeout=5.0):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if needle in self.log():
                return
            time.sleep(0.01)
        self.fail("log never showed %r" % needle)

    def test_python_documentation_client(self):
        # The "Echo client program" of the socket module's documentation,
        # pointed at sockbind.
        HOST = "127.0.0.1"
        PORT = self.port
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
            s.connect((HOST, PORT))
            s.sendall(b"Hello, world")
            data = s.recv(1024)
        self.assertEqual(data, b"Hello, world")
        self.wait_log('recv client=127.0.0.1:')
        self.wait_log('bytes=12 text="Hello, world"')
        self.wait_log('reason="client closed"')

    def test_every_byte_value_comes_back(self):
        payload = bytes(range(256)) * 64
        with socket.create_connection(("127.0.0.1", self.port),
                                      timeout=5) as s:
            s.sendall(payload)
            s.shutdown(socket.SHUT_WR)
            got = b""
            while True:
                chunk = s.recv(65536)
                if not chunk:
                    break
                got += chunk
        self.assertEqual(got, payload)
        self.wait_log("bytes_in=16384 bytes_out=16384")

    @unittest.skipUnless(shutil.which("nc"), "nc is not installed")
    def test_netcat(self):
        # -N: shut down the write side at end of input, as RFC 862 allows.
        out = subprocess.run(["nc", "-N", "127.0.0.1", str(self.port)],
                             input="hello from nc\nsecond line\n",
                             capture_output=True, text=True, timeout=10)
        self.assertEqual(out.returncode, 0, out.stderr)
        self.assertEqual(out.stdout, "hello from nc\nsecond line\n")


if __name__ == "__main__":
    unittest.main()
