"""The client's questions on a terminal, driven through a pseudo-terminal.

sockbin asks for the server's host and port when stdin is a terminal and
neither the command line nor the config gave them, and reads passwords
without echo. Ports 22450-22459; only 127.0.0.1 and localhost.
"""
import os
import pty
import select
import shutil
import signal
import subprocess
import tempfile
import time
import unittest

DAEMON_CONFIG = """\
[server]
listen = 127.0.0.1
port_min = 22450
port_max = 22459
service = session
port_file = {dir}/port
pidfile = {dir}/pid
[log]
path = {dir}/sockbind.log
[store]
path = {dir}/sockbind.db
[auth]
failure_delay_ms = 0
"""


class Terminal:
    """sockbin on a pseudo-terminal: expect() what it writes, send() keys;
    env: more environment variables for it."""

    def __init__(self, args, home, env=None):
        self.pid, self.fd = pty.fork()
        if self.pid == 0:
            os.environ["HOME"] = home
            os.environ.update(env or {})
            os.execv(os.environ["SOCKBIN_BIN"], ["sockbin"] + args)
        self.seen = b""
        self.all = b""      # everything it wrote, kept by expect()

    def expect(self, text, timeout=10.0):
        want = text.encode()
        deadline = time.monotonic() + timeout
        while want not in self.seen:
            left = deadline - time.monotonic()
            if left <= 0 or not select.select([self.fd], [], [], left)[0]:
                raise AssertionError("never saw %r; saw %r" % (text, self.seen))
            try:
                chunk = os.read(self.fd, 4096)
            except OSError:         # the child is gone: EIO on Linux
                chunk = b""
            if not chunk:
                raise AssertionError("ended before %r; saw %r" % (text, self.seen))
            self.seen += chunk
            self.all += chunk
        cut = self.seen.index(want) + len(want)
        self.seen = self.seen[cut:]

    def send(self, keys):
        os.write(self.fd, keys.encode())

    def status(self, timeout=10.0):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            pid, status = os.waitpid(self.pid, os.WNOHANG)
            if pid:
                # Drain what is left so the child never blocks on us.
                try:
                    while select.select([self.fd], [], [], 0)[0]:
                        if not os.read(self.fd, 4096):
                            break
                except OSError:
                    pass
                os.close(self.fd)
                return os.waitstatus_to_exitcode(status)
            time.sleep(0.01)
        os.kill(self.pid, signal.SIGKILL)
        raise AssertionError("sockbin did not end")


class ClientPrompts(unittest.TestCase):
    def setUp(self):
        self.dir = tempfile.mkdtemp(prefix="sockbin-prompts.")
        config = os.path.join(self.dir, "sockbind.ini")
        with open(config, "w") as f:
            f.write(DAEMON_CONFIG.format(dir=self.dir))
        self.daemon = subprocess.Popen(
            [os.environ["SOCKBIND_BIN"], "-c", config],
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        line = self.daemon.stdout.readline()
        self.assertIn("listening on 127.0.0.1:", line)
        self.port = int(line.rsplit(":", 1)[1])
        # A client config without host or port: they must be asked for.
        self.client_config = os.path.join(self.dir, "sockbin.ini")
        with open(self.client_config, "w") as f:
            f.write("[client]\nmessage = test\n")

    def tearDown(self):
        self.daemon.send_signal(signal.SIGTERM)
        self.assertEqual(self.daemon.wait(timeout=10), 0)
        self.daemon.stdout.close()
        self.daemon.stderr.close()
        shutil.rmtree(self.dir)

    def client(self, *args):
        return Terminal(["-c", self.client_config] + list(args), self.dir)

    def test_defaults_and_a_bad_port_asked_again(self):
        t = self.client("echo", "hi there")
        t.expect("Server host [127.0.0.1]: ")
        t.send("\n")                              # the default
        t.expect("Server port or range [65430-65440]: ")
        t.send("99999\n")
        t.expect("'99999' will not do: a port is 1-65535, or a range MIN-MAX.")
        t.expect("Server port or range [65430-65440]: ")
        t.send("22459-22450\n")                   # backwards: asked again
        t.expect("will not do")
        t.expect("Server port or range [65430-65440]: ")
        t.send("  %d \n" % self.port)           # spaces around: not part of it
        t.expect("hi there")
        self.assertEqual(t.status(), 0)

    def test_bad_host_asked_again_then_localhost(self):
        t = self.client("echo", "via localhost")
        t.expect("Server host [127.0.0.1]: ")
        t.send("bad_host!\n")
        t.expect("'bad_host!' will not do: a host name has only letters, "
                 "digits, '-' and '.'.")
        t.expect("Server host [127.0.0.1]: ")
        t.send("-lead.example\n")
        t.expect("cannot start with '-'")
        t.expect("Server host [127.0.0.1]: ")
        t.send(" localhost\t\n")
        t.expect("Server port or range [65430-65440]: ")
        t.send("22450-22459\n")
        t.expect("via localhost")
        self.assertEqual(t.status(), 0)

    def test_end_of_input_ends_cleanly(self):
        t = self.client("echo", "never sent")
        t.expect("Server host [127.0.0.1]: ")
        t.send("\x04")                            # ^D: end of input
        t.expect("sockbin: no server given")
        self.assertEqual(t.status(), 2)

    def test_end_of_input_at_the_port(self):
        t = self.client("status")
        t.expect("Server host [127.0.0.1]: ")
        t.send("127.0.0.1\n")
        t.expect("Server port or range [65430-65440]: ")
        t.send("\x04")
        t.expect("sockbin: no server given")
        self.assertEqual(t.status(), 2)

    def test_password_without_echo(self):
        t = self.client("-H", "127.0.0.1", "-p", str(self.port), "register", "pat")
        t.expect("Password: ")
        t.send("s3cret-pass\n")
        t.expect("Password again: ")
        t.send("s3cret-pass\n")
        t.expect("registered pat")
        self.assertEqual(t.status(), 0)
        # The terminal never showed the password.
        t = self.client("-H", "127.0.0.1", "-p", str(self.port), "login", "pat")
        t.expect("Password: ")
        t.send("s3cret-pass\n")
        t.expect("logged in as pat")
        self.assertNotIn(b"s3cret", t.seen)
        self.assertEqual(t.status(), 0)

    def test_end_of_input_at_the_password(self):
        t = self.client("-H", "127.0.0.1", "-p", str(self.port), "login", "frank")
        t.expect("Password: ")
        t.send("\x04")                            # ^D: no password
        t.expect("sockbin: no password given")
        self.assertEqual(t.status(), 2)

    def test_chat_lost_when_the_server_stops(self):
        t = self.client("-H", "127.0.0.1", "-p", str(self.port), "chat")
        t.expect("> ")
        t.send("ECHO one\n")
        t.expect("OK one")
        self.daemon.send_signal(signal.SIGQUIT)     # immediate stop
        self.assertEqual(self.daemon.wait(timeout=10), 0)
        t.send("ECHO two\n")
        t.expect("(the server closed the connection)")
        self.assertEqual(t.status(), 4)

    def test_ident_prompt_ends_when_the_server_does(self):
        # The user is asked for a name; the server goes away meanwhile:
        # the client says so at once instead of waiting for the answer.
        t = self.client("-H", "127.0.0.1", "-p", str(self.port), "ident")
        t.expect("Your name: ")
        self.daemon.send_signal(signal.SIGQUIT)     # immediate stop
        self.assertEqual(self.daemon.wait(timeout=10), 0)
        t.expect("closed the connection")
        self.assertEqual(t.status(), 4)

    def test_chat_quit_is_a_clean_end(self):
        t = self.client("-H", "127.0.0.1", "-p", str(self.port), "chat")
        t.expect("> ")
        t.send("quit\n")
        t.expect("OK")
        self.assertEqual(t.status(), 0)

    def test_host_answer_with_its_port(self):
        # Typed as the daemon prints an address: the port is not asked.
        t = self.client("echo", "typed address")
        t.expect("Server host [127.0.0.1]: ")
        t.send("[::1\n")
        t.expect("'[::1': no ']' after the address.")
        t.expect("Server host [127.0.0.1]: ")
        t.send("127.0.0.1:99999\n")
        t.expect("'99999' will not do: a port is 1-65535, or a range MIN-MAX.")
        t.expect("Server host [127.0.0.1]: ")
        t.send("127.0.0.1:%d\n" % self.port)
        t.expect("typed address")
        self.assertNotIn(b"Server port", t.all)
        self.assertEqual(t.status(), 0)

    def test_port_given_host_not_asked(self):
        # -p alone: the host is the default, not a question.
        t = self.client("-p", str(self.port), "echo", "no question")
        t.expect("no question")
        self.assertNotIn(b"Server", t.all)
        self.assertEqual(t.status(), 0)

    def test_host_with_port_given_nothing_asked(self):
        t = self.client("-H", "127.0.0.1:%d" % self.port, "echo", "both")
        t.expect("both")
        self.assertNotIn(b"Server", t.all)
        self.assertEqual(t.status(), 0)

    def test_options_after_the_command_on_a_terminal(self):
        # The password still asked without echo, the options after the
        # command taken as options.
        t = self.client("register", "quinn", "-p", str(self.port))
        t.expect("Password: ")
        t.send("s3cret-pass\n")
        t.expect("Password again: ")
        t.send("s3cret-pass\n")
        t.expect("registered quinn")
        self.assertNotIn(b"Server", t.all)
        self.assertEqual(t.status(), 0)

    def test_no_questions_with_host_and_port_given(self):
        t = self.client("-H", "127.0.0.1", "-p", str(self.port), "echo", "quiet")
        t.expect("quiet")
        self.assertNotIn(b"Server host", t.all)
        self.assertEqual(t.status(), 0)


if __name__ == "__main__":
    unittest.main()
