"""FramedSocket (client/python/sockbin.py) over real sockets: socketpair()
for the framing, a listener on 127.0.0.1 (a port the kernel picks) for
create_connection() and accept().

The split tests hand the reader a frame in every possible chunking of its
bytes: the writer sends the next chunk only once the reader has taken
everything the kernel held (FIONREAD is 0), so each recv() sees one chunk
boundary at a time, header or payload, whatever the chunking.
"""
import fcntl
import os
import socket
import struct
import sys
import termios
import threading
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                "..", "..", "client", "python"))
import sockbin  # noqa: E402
from sockbin import (ConnectionClosed, ConnectionCut, FramedSocket,  # noqa
                     FrameTooLarge, InvalidText)

WAIT = 5.0


def frame(payload):
    if isinstance(payload, str):
        payload = payload.encode()
    return struct.pack(">I", len(payload)) + payload


def splits(data):
    """Every chunking of data into non-empty pieces, in order."""
    n = len(data)
    for mask in range(1 << (n - 1)):
        cuts = [0] + [i + 1 for i in range(n - 1) if mask >> i & 1] + [n]
        yield [data[a:b] for a, b in zip(cuts, cuts[1:])]


def queued(sock):
    """Bytes the kernel holds for sock, not read yet."""
    buf = fcntl.ioctl(sock.fileno(), termios.FIONREAD, b"\0\0\0\0")
    return struct.unpack("i", buf)[0]


class CountingSocket(FramedSocket):
    """A FramedSocket that tells a condition after every recv_into() and
    counts them."""

    def setup(self):
        self.reads = 0
        self.failed = False         # the reader gave up: stop feeding it
        self.cond = threading.Condition()

    def give_up(self):
        with self.cond:
            self.failed = True
            self.cond.notify_all()

    def recv_into(self, *args):
        n = super().recv_into(*args)
        with self.cond:
            self.reads += 1
            self.cond.notify_all()
        return n


class ShortSendSocket(FramedSocket):
    """A FramedSocket whose send() takes at most `most` bytes a call, as a
    kernel with a full buffer does."""

    most = 1
    calls = 0

    def send(self, data, *args):
        self.calls += 1
        return super().send(bytes(data[:self.most]), *args)


def pair(cls=FramedSocket):
    a, b = socket.socketpair()
    return a, cls.from_socket(b)


class Splits(unittest.TestCase):

    def feed(self, writer, reader, chunks, errors):
        """Send each chunk once the reader has drained the one before."""
        try:
            for chunk in chunks:
                writer.sendall(chunk)
                with reader.cond:
                    if not reader.cond.wait_for(
                            lambda: reader.failed or queued(reader) == 0,
                            WAIT):
                        raise AssertionError("the reader never took %r"
                                             % chunk)
                    if reader.failed:
                        return
        except Exception as e:          # reported by the main thread
            errors.append(e)

    def check_every_split(self, frames, receive):
        data = b"".join(frame(p) for p in frames)
        count = 0
        for chunks in splits(data):
            with self.subTest(chunks=chunks):
                writer, reader = pair(CountingSocket)
                reader.setup()
                reader.settimeout(WAIT)
                errors = []
                t = threading.Thread(target=self.feed,
                                     args=(writer, reader, chunks, errors))
                t.start()
                try:
                    got = [receive(reader) for _ in frames]
                except Exception:
                    reader.give_up()
                    raise
                finally:
                    t.join(WAIT)
                    writer.close()
                    reader.close()
                self.assertEqual(errors, [])
                self.assertEqual(got, frames)
                # Each chunk came in a recv() of its own at least.
                self.assertGreaterEqual(reader.reads, len(chunks))
                count += 1
        self.assertEqual(count, 1 << (len(data) - 1))

    def test_text_frame_every_split(self):
        # "hé": 3 bytes of payload, é split too; 7 bytes, 64 chunkings.
        self.check_every_split(["hé"], lambda s: s.recv_text())

    def test_two_frames_every_split(self):
        # An empty frame after a 1-byte one: 9 bytes, 256 chunkings,
        # among them the second header arriving with the first payload.
        self.check_every_split([b"a", b""], lambda s: s.recv_frame())


class Sending(unittest.TestCase):

    def test_every_short_send(self):
        payload = "Титов Юрий".encode()
        for most in range(1, len(payload) + 5):
            with self.subTest(most=most):
                peer, s = pair(ShortSendSocket)
                s.most = most
                s.send_frame(payload)
                s.close()
                with peer, peer.makefile("rb") as f:
                    got = f.read()                  # up to the end
                self.assertEqual(got, frame(payload))
                self.assertEqual(s.calls, -(-(len(payload) + 4) // most))

    def test_large_frame_through_a_small_buffer(self):
        # 4 MiB through 4 KiB socket buffers: send() takes a little at a
        # time while the reader, in another thread, takes it away.
        a, b = socket.socketpair()
        a.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, 4096)
        b.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
        sender, receiver = FramedSocket.from_socket(a), \
            FramedSocket.from_socket(b)
        receiver.settimeout(WAIT)
        sender.settimeout(WAIT)
        payload = os.urandom(4 << 20)
        got = []

        def receive():
            try:
                got.append(receiver.recv_frame())
            except Exception as e:
                got.append(e)
                receiver.shutdown(socket.SHUT_RDWR)     # the sender stops
        t = threading.Thread(target=receive)
        t.start()
        try:
            sender.send_frame(payload)
        except OSError:
            pass                        # the receiver says why
        t.join(WAIT)
        sender.close()
        receiver.close()
        self.assertEqual(got, [payload])

    def test_protocol_hex_example(self):
        # docs/PROTOCOL.md, "Example in hex": client ECHO hi.
        peer, s = pair()
        s.send_text("ECHO hi")
        self.assertEqual(peer.recv(64), bytes.fromhex(
            "00000007 45 43 48 4f 20 68 69".replace(" ", "")))
        peer.sendall(bytes.fromhex("00000005" "4f4b206869"))
        self.assertEqual(s.recv_text(), "OK hi")
        peer.close()
        s.close()

    def test_round_trip_both_ways(self):
        a, b = socket.socketpair()
        x, y = FramedSocket.from_socket(a), FramedSocket.from_socket(b)
        for text in ["", "Титов Юрий Павлович", "a" * 70000, "😀 emoji"]:
            x.send_text(text)
            self.assertEqual(y.recv_text(), text)
            y.send_frame(text.encode())
            self.assertEqual(x.recv_frame(), text.encode())
        x.close()
        y.close()

    def test_text_that_cannot_be_sent(self):
        peer, s = pair()
        with self.assertRaises(InvalidText) as cm:
            s.send_text("ab\udcff")      # a lone surrogate is no UTF-8
        self.assertEqual(cm.exception.offset, 2)
        with self.assertRaises(InvalidText) as cm:
            s.send_text("ECHO a\0b")
        self.assertEqual(cm.exception.offset, 6)
        self.assertIn("NUL byte at byte 6", str(cm.exception))
        s.close()
        self.assertEqual(peer.recv(64), b"")        # nothing was sent
        peer.close()

    def test_frame_over_four_gigabytes(self):
        class Huge(bytes):
            def __len__(self):
                return 1 << 32
        peer, s = pair()
        with self.assertRaises(FrameTooLarge) as cm:
            s.send_frame(Huge())
        self.assertEqual(cm.exception.length, 1 << 32)
        s.close()
        self.assertEqual(peer.recv(64), b"")
        peer.close()


class Receiving(unittest.TestCase):

    def setUp(self):
        self.peer, self.s = pair()
        self.s.settimeout(WAIT)
        self.addCleanup(self.peer.close)
        self.addCleanup(self.s.close)

    def test_clean_end_between_frames(self):
        self.peer.sendall(frame(b"last"))
        self.peer.close()
        self.assertEqual(self.s.recv_frame(), b"last")
        with self.assertRaises(ConnectionClosed):
            self.s.recv_frame()
        with self.assertRaises(EOFError):           # what it also is
            self.s.recv_frame()

    def test_cut_anywhere_inside_a_frame(self):
        data = frame("Привет".encode())
        for cut in range(1, len(data)):
            with self.subTest(cut=cut):
                peer, s = pair()
                s.settimeout(WAIT)
                peer.sendall(data[:cut])
                peer.close()
                with self.assertRaises(ConnectionCut) as cm:
                    s.recv_frame()
                s.close()
                e = cm.exception
                self.assertIsInstance(e, ConnectionError)
                if cut < 4:
                    self.assertEqual((e.received, e.expected), (cut, 4))
                else:
                    self.assertEqual((e.received, e.expected),
                                     (cut - 4, len(data) - 4))
                self.assertIn("ended inside a frame", str(e))

    def test_limit(self):
        self.s.max_frame = 10
        self.peer.sendall(frame(b"x" * 10))         # exactly the limit
        self.assertEqual(self.s.recv_frame(), b"x" * 10)
        self.peer.sendall(frame(b"y" * 11))
        with self.assertRaises(FrameTooLarge) as cm:
            self.s.recv_frame()
        self.assertEqual((cm.exception.length, cm.exception.limit), (11, 10))
        # Refused before its payload was read: the 11 bytes are still there.
        self.assertEqual(queued(self.s), 11)
        # The limit of one call.
        self.peer.sendall(frame(b"z" * 20))
        self.s.recv(11)
        self.assertEqual(self.s.recv_frame(max_frame=20), b"z" * 20)

    def test_default_limit_refuses_a_huge_header(self):
        self.peer.sendall(b"\xff\xff\xff\xff")
        with self.assertRaises(FrameTooLarge) as cm:
            self.s.recv_text()
        self.assertEqual(cm.exception.length, 0xFFFFFFFF)
        self.assertEqual(cm.exception.limit, 16 << 20)

    def test_invalid_utf8_keeps_the_stream_in_step(self):
        self.peer.sendall(frame(b"ab\xc3(") + frame(b"\xff") +
                          frame(b"nul\0") + frame("ок".encode()))
        for offset, why in ((2, "not valid UTF-8"), (0, "not valid UTF-8"),
                            (3, "NUL byte")):
            with self.assertRaises(InvalidText) as cm:
                self.s.recv_text()
            self.assertEqual(cm.exception.offset, offset)
            self.assertIsInstance(cm.exception, ValueError)
            self.assertIn("%s at byte %d" % (why, offset), str(cm.exception))
        self.assertEqual(self.s.recv_text(), "ок")

    def test_timeout(self):
        self.s.settimeout(0.05)
        self.peer.sendall(b"\0\0")
        with self.assertRaises(TimeoutError):
            self.s.recv_frame()


class Connecting(unittest.TestCase):

    def test_create_connection_and_accept(self):
        listener = FramedSocket(socket.AF_INET, socket.SOCK_STREAM)
        self.addCleanup(listener.close)
        listener.bind(("127.0.0.1", 0))
        listener.listen(1)
        client = FramedSocket.create_connection(listener.getsockname(),
                                                timeout=WAIT)
        self.addCleanup(client.close)
        self.assertIsInstance(client, FramedSocket)
        self.assertEqual(client.gettimeout(), WAIT)
        conn, address = listener.accept()
        self.addCleanup(conn.close)
        self.assertIsInstance(conn, FramedSocket)
        self.assertEqual(address, client.getsockname())
        conn.settimeout(WAIT)
        client.send_text("MIRROR Привет")
        self.assertEqual(conn.recv_text(), "MIRROR Привет")
        conn.send_text("OK тевирП")
        self.assertEqual(client.recv_text(), "OK тевирП")
        self.assertTrue(issubclass(FramedSocket, socket.socket))
        self.assertIs(sockbin.FramedSocket, FramedSocket)

    def test_create_connection_refused(self):
        s = socket.socket()
        s.bind(("127.0.0.1", 0))
        address = s.getsockname()
        s.close()                       # nobody listens there now
        with self.assertRaises(ConnectionRefusedError):
            FramedSocket.create_connection(address, timeout=WAIT)


if __name__ == "__main__":
    unittest.main()
