#!/usr/bin/env python3
"""sockbin.py -- a client of sockbind in Python 3.10 or later, standard
library only.

Two things in one file:

1. FramedSocket, a socket.socket that sends and receives the frames of
   sockbind's session protocol (docs/PROTOCOL.md, section 1): a 4-byte
   unsigned big-endian payload length, then the payload, UTF-8 text for
   every request and reply. Import it, or copy it into your own program:

       from sockbin import FramedSocket
       with FramedSocket.create_connection(("127.0.0.1", 65430)) as s:
           print(s.recv_text())            # OK sockbind 0.1.0 session
           s.send_text("MIRROR hello")
           print(s.recv_text())            # OK olleh

2. A command line with the lab commands of the C client sockbin(1): echo,
   mirror, chat, send (the periodic mode), upload and pingpong, the same
   configuration file, the same kind of log and the same exit statuses.
   Like sockbin, it learns from the server's first words which protocol it
   speaks (a session server greets with a frame, an auth server with a
   line, an ident server asks a question, the raw services say nothing)
   and talks to each in its own way. Run it with --help.
"""
from __future__ import annotations

import errno
import getopt
import hashlib
import ipaddress
import math
import os
import re
import select
import signal
import socket
import stat
import struct
import sys
import time
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Callable, NoReturn, Optional

VERSION = "0.1.0"

# ---------------------------------------------------------------------------
# Part 1: the framing helpers


class FrameError(Exception):
    """Something is wrong with a frame: the base of the errors below."""


class ConnectionClosed(FrameError, EOFError):
    """The peer closed the connection cleanly, between two frames."""


class ConnectionCut(FrameError, ConnectionError):
    """The connection ended inside a frame: what arrived is no message.

    received and expected count the bytes of the part being read (the
    4-byte header or the payload)."""

    def __init__(self, part: str, received: int, expected: int) -> None:
        super().__init__("the connection ended inside a frame: %d of the "
                         "%d bytes of its %s" % (received, expected, part))
        self.received = received
        self.expected = expected


class FrameTooLarge(FrameError):
    """A frame longer than the limit. On receiving, its payload is left
    unread: the stream is out of step, and the socket must be closed."""

    def __init__(self, length: int, limit: int) -> None:
        super().__init__("a frame of %d bytes exceeds the limit of %d bytes"
                         % (length, limit))
        self.length = length
        self.limit = limit


class InvalidText(FrameError, ValueError):
    """A text frame that is not valid UTF-8, or that holds a NUL byte;
    offset is the first bad byte, counted from 0 (the frame was read
    whole, so the stream stays in step)."""

    def __init__(self, why: str, offset: int, payload: bytes) -> None:
        super().__init__("%s at byte %d" % (why, offset))
        self.offset = offset
        self.payload = payload


class FramedSocket(socket.socket):
    """A TCP socket that speaks in frames: a 4-byte unsigned big-endian
    length, then that many bytes of payload.

    TCP is a byte stream: one send() may arrive in pieces and several in
    one recv(). These helpers read and write until a frame is whole, so a
    frame split anywhere, even inside its header, comes out in one piece.
    They work on blocking sockets, with or without a timeout: a timeout
    raises TimeoutError, and one inside a frame leaves the stream out of
    step (close the socket then).

    max_frame is the longest payload recv_frame() accepts (16 MiB unless
    set on the class, the instance or the call): a bigger announced length
    raises FrameTooLarge before a byte of payload is read, so a broken or
    hostile peer cannot make us allocate gigabytes.
    """

    HEADER = struct.Struct(">I")        # unsigned 32 bits, big-endian
    max_frame: int = 16 * 1024 * 1024

    @classmethod
    def create_connection(cls, address: tuple[str, int],
                          timeout: Any = socket._GLOBAL_DEFAULT_TIMEOUT,
                          source_address: Optional[tuple[str, int]] = None
                          ) -> "FramedSocket":
        """Connect like socket.create_connection() (every address of the
        host in turn) and return the connection as a FramedSocket."""
        return cls.from_socket(socket.create_connection(
            address, timeout, source_address))

    @classmethod
    def from_socket(cls, sock: socket.socket) -> "FramedSocket":
        """Take over sock's connection (sock is detached and unusable
        afterwards): a socketpair() end, an accepted socket..."""
        timeout = sock.gettimeout()
        framed = cls(sock.family, sock.type, sock.proto, fileno=sock.detach())
        framed.settimeout(timeout)
        return framed

    def accept(self) -> tuple["FramedSocket", Any]:
        """Accept a connection on a listening FramedSocket: the new
        connection is a FramedSocket too."""
        conn, address = super().accept()
        return type(self).from_socket(conn), address

    def send_frame(self, payload: bytes) -> None:
        """Send payload (any bytes-like object) as one frame."""
        length = len(payload)
        if length > 0xFFFFFFFF:
            raise FrameTooLarge(length, 0xFFFFFFFF)
        # Header and payload in one buffer: one segment on the wire for a
        # small frame, instead of a 4-byte one that waits for an ACK.
        self._send_all(self.HEADER.pack(length) + bytes(payload))

    def recv_frame(self, max_frame: Optional[int] = None) -> bytes:
        """Receive one frame and return its payload.

        Raises ConnectionClosed when the peer closed before a new frame,
        ConnectionCut when it closed inside one, FrameTooLarge when the
        announced length is over max_frame (default: self.max_frame)."""
        limit = self.max_frame if max_frame is None else max_frame
        header = self._recv_exact(self.HEADER.size)
        if not header:
            raise ConnectionClosed("the peer closed the connection")
        if len(header) < self.HEADER.size:
            raise ConnectionCut("header", len(header), self.HEADER.size)
        (length,) = self.HEADER.unpack(header)
        if length > limit:
            raise FrameTooLarge(length, limit)
        payload = self._recv_exact(length)
        if len(payload) < length:
            raise ConnectionCut("payload", len(payload), length)
        return payload

    def send_text(self, text: str) -> None:
        """Send text as a UTF-8 frame. Text that cannot be UTF-8 (a lone
        surrogate) or holds a NUL character raises InvalidText, and
        nothing is sent: the protocol's text frames have neither."""
        try:
            payload = text.encode("utf-8")
        except UnicodeEncodeError as e:
            raise InvalidText("text cannot be encoded as UTF-8",
                              len(text[:e.start].encode("utf-8")),
                              b"") from e
        if b"\0" in payload:
            raise InvalidText("NUL byte", payload.index(b"\0"), payload)
        self.send_frame(payload)

    def recv_text(self, max_frame: Optional[int] = None) -> str:
        """Receive one frame and return it decoded from UTF-8; InvalidText
        when it is not UTF-8 or holds a NUL byte (and the errors of
        recv_frame())."""
        payload = self.recv_frame(max_frame)
        try:
            text = payload.decode("utf-8")
        except UnicodeDecodeError as e:
            raise InvalidText("not valid UTF-8", e.start, payload) from e
        if "\0" in text:
            raise InvalidText("NUL byte", payload.index(b"\0"), payload)
        return text

    def _send_all(self, data: bytes) -> None:
        """send() until all of data is gone: send() may take only part."""
        view = memoryview(data)
        while view:
            sent = self.send(view)
            view = view[sent:]

    def _recv_exact(self, n: int) -> bytes:
        """n bytes, however the kernel hands them over; fewer only when
        the peer closed the connection first."""
        buf = bytearray(n)
        view = memoryview(buf)
        got = 0
        while got < n:
            k = self.recv_into(view[got:], n - got)
            if k == 0:
                break
            got += k
        return bytes(buf[:got])


# ---------------------------------------------------------------------------
# Part 2: the command line

PROG = "sockbin.py"
# Rewritten by `make install` to its SYSCONFDIR, as for sockbin.
DEFAULT_CONFIG = "/usr/local/etc/sockbind/sockbin.ini"
FALLBACK_HOST = "127.0.0.1"
FALLBACK_PORTS = "65430-65440"

# Exit statuses: the same as sockbin(1).
EXIT_REFUSED = 1        # the server said no, or a check failed
EXIT_USAGE = 2          # bad option, configuration or answer
EXIT_NOSERVER = 3       # nobody to talk to
EXIT_LOST = 4           # a timeout, or the connection was lost

CONNECT_TIMEOUT = 5.0
GREETING_TIMEOUT = 0.3  # servers that greet do so at once
REPLY_TIMEOUT = 30.0    # how long a reply may take
TEXT_MAX = 4096         # echo and mirror TEXT, in bytes
LINE_MAX = 65536        # a longer raw line is taken in pieces
LOG_TEXT_MAX = 1024     # message text in the log, then "...[cut N]"
UPLOAD_CHUNK = 65536

COMMANDS = [("echo", "TEXT"), ("mirror", "TEXT"), ("chat", ""),
            ("send", ""), ("upload", "FILE"), ("pingpong", "FILE ROUNDS")]

USAGE = "usage: %s [-hV] [-c file] [-H host] [-p port|min-max] command [args]"
HELP = """\
A client of sockbind in Python. It connects to the first port of the range
where a server accepts and speaks that server's protocol: request frames to
a session server, lines to the raw echo and mirror services, code words to
pingpong, bytes to upload.

commands:
  echo TEXT          send TEXT, print the echo; fails unless it is the same
  mirror TEXT        send TEXT, print the mirrored reply
  chat               send each line typed, print the replies
  send               every [client] interval seconds for [client] duration,
                     send [client] message and print the reply with its time
  upload FILE        upload FILE, check the size and SHA-256 the server says
  pingpong FILE ROUNDS
                     ROUNDS code-word exchanges through the server's FILE

options:
  -c file            the configuration, with sockbin's keys: [server] host,
                     port; [client] message, interval, duration, log
                     (default {config})
  -H host            the server (default 127.0.0.1)
  -p port|min-max    its port, or a range to try (default 65430-65440)
  -h, --help         this text
  -V, --version      the version

The client's log (default ~/.sockbin.log) gets every connect, message and
disconnect. Exit status: 0 done, 1 refused (an ERR reply or a failed check),
2 usage or configuration error, 3 no server, 4 connection lost or no reply
within 30 s. See sockbin(1) and docs/PROTOCOL.md.
"""


class ReplyTimeout(Exception):
    """No reply within REPLY_TIMEOUT."""


def die(status: int, message: str) -> NoReturn:
    """One line on stderr, then exit with status (the link's disconnect is
    logged on the way out)."""
    print("%s: %s" % (PROG, message), file=sys.stderr, flush=True)
    raise SystemExit(status)


def to_bytes(text: str) -> bytes:
    """Command-line and file text back to the bytes it came from."""
    return text.encode("utf-8", "surrogateescape")


def to_text(data: bytes) -> str:
    """Bytes from the server as text, invalid UTF-8 kept as it is."""
    return data.decode("utf-8", "surrogateescape")


def out(text: str) -> None:
    """A line on stdout, with exactly the bytes the server sent."""
    sys.stdout.buffer.write(to_bytes(text) + b"\n")
    sys.stdout.flush()


# -- configuration ----------------------------------------------------------


@dataclass
class Config:
    """The client's settings: sockbin's keys, with its defaults."""
    host: str = ""                      # "": not given
    port: str = ""                      # "N", "MIN-MAX" or ""
    message: str = "hello from sockbin"
    interval: int = 1
    duration: int = 10
    log: str = ""                       # "": ~/.sockbin.log
    token_file: str = ""                # sockbin's; read, not used here


# (section, key) -> (field, kind, limit): a number's range, a text's bytes
CONFIG_KEYS: dict[tuple[str, str], tuple[str, str, Any]] = {
    ("server", "host"): ("host", "text", 255),
    ("server", "port"): ("port", "ports", 31),
    ("client", "message"): ("message", "text", 1023),
    ("client", "interval"): ("interval", "number", (1, 3600)),
    ("client", "duration"): ("duration", "number", (1, 86400)),
    ("client", "log"): ("log", "path", 4095),
    ("client", "token_file"): ("token_file", "path", 4095),
}


class ConfigError(Exception):
    """A configuration file that will not do: one line saying why."""


def parse_ports(text: str) -> Optional[tuple[int, int]]:
    """"N" or "MIN-MAX" as (min, max), or None when it is neither."""
    m = re.fullmatch(r"([0-9]+)(?:-([0-9]+))?", text)
    if m is None:
        return None
    low = int(m.group(1))
    high = int(m.group(2) or low)
    return (low, high) if 1 <= low <= high <= 65535 else None


def ini_value(rest: str) -> str:
    """The value after "key =", read as iniparser reads it: inside its
    quotes if it is quoted, else up to a ';' or '#' comment."""
    m = re.match(r'"([^"]*)"|\'([^\']*)\'', rest)
    if m is not None:
        return m.group(1) if m.group(1) is not None else m.group(2)
    return re.match(r"[^;#]*", rest).group().strip()


def read_ini(path: str) -> tuple[list[str], dict[tuple[str, str], str]]:
    """The sections of an INI file, and {(section, key): value}, names in
    lower case; ConfigError for what sockbin refuses too: an unreadable
    file, a syntax error, a key outside any section or given twice, a byte
    order mark."""
    try:
        with open(path, "rb") as f:
            data = f.read()
    except IsADirectoryError:
        raise ConfigError("%s: is a directory, not a file" % path)
    except OSError as e:
        raise ConfigError("%s: %s" % (path, e.strerror))
    if data.startswith(b"\xef\xbb\xbf"):
        raise ConfigError("%s: line 1: starts with a byte order mark: save "
                          "the file as UTF-8 without one" % path)
    sections: list[str] = []
    values: dict[tuple[str, str], str] = {}
    where: dict[tuple[str, str], int] = {}
    section = None
    lines = to_text(data).split("\n")
    number = 0
    while number < len(lines):
        line = lines[number].strip()
        number += 1
        first = number
        while line.endswith("\\") and number < len(lines):
            line = line[:-1].rstrip() + lines[number].strip()
            number += 1
        if not line or line[0] in ";#":
            continue
        if line.startswith("[") and line.endswith("]"):
            section = line[1:-1].strip().lower()
            sections.append(section)
            continue
        key, eq, rest = line.partition("=")
        key = key.strip().lower()
        if not eq or not key:
            raise ConfigError("%s: line %d: syntax error: %s"
                              % (path, first, line))
        if section is None:
            raise ConfigError("%s: %s: key outside any section"
                              % (path, key))
        if (section, key) in values:
            raise ConfigError("%s: line %d: [%s] %s: given twice (first on "
                              "line %d)" % (path, first, section, key,
                                            where[(section, key)]))
        values[(section, key)] = ini_value(rest.strip())
        where[(section, key)] = first
    return sections, values


def config_value(kind: str, limit: Any, value: str) -> Any:
    """A configuration value as its kind wants it; ValueError saying why
    it will not do."""
    if re.search("[\udc80-\udcff]", value):
        raise ValueError("not valid UTF-8")
    if kind == "number":
        if not re.fullmatch(r"[-+]?[0-9]+", value):
            raise ValueError("'%s' is not a whole number" % value)
        if not limit[0] <= int(value) <= limit[1]:
            raise ValueError("%d is out of range %d..%d"
                             % ((int(value),) + limit))
        return int(value)
    if kind == "ports" and value and parse_ports(value) is None:
        raise ValueError("'%s' is not a port (1-65535) or a range MIN-MAX"
                         % value)
    if kind == "path" and value:
        value = os.path.abspath(value)      # as sockbin: from here
    if len(to_bytes(value)) > limit:
        raise ValueError("longer than %d bytes" % limit)
    return value


def load_config(path: str, explicit: bool) -> Config:
    """The configuration: defaults, then the file's values, checked as
    sockbin checks them. A missing default file means the defaults; a
    missing file named with -c is an error."""
    cfg = Config()
    if explicit or os.path.exists(path):
        sections, values = read_ini(path)
        for section in sections:
            if section not in ("server", "client"):
                raise ConfigError("%s: [%s]: unknown section"
                                  % (path, section))
        for (section, key), value in values.items():
            if (section, key) not in CONFIG_KEYS:
                raise ConfigError("%s: [%s] %s: unknown key"
                                  % (path, section, key))
            field, kind, limit = CONFIG_KEYS[(section, key)]
            try:
                setattr(cfg, field, config_value(kind, limit, value))
            except ValueError as e:
                raise ConfigError("%s: [%s] %s: %s" % (path, section, key,
                                                       e))
    home = os.environ.get("HOME") or "."
    cfg.log = cfg.log or os.path.join(home, ".sockbin.log")
    cfg.token_file = cfg.token_file or os.path.join(home, ".sockbin-token")
    return cfg


# -- questions on a terminal ------------------------------------------------


def ask(question: str) -> Optional[str]:
    """One answer from the terminal, trimmed; None at the end of input."""
    sys.stderr.write(question)
    sys.stderr.flush()
    line = sys.stdin.readline()
    if not line:
        sys.stderr.write("\n")
        return None
    return line.strip(" \t\r\n")


def host_problem(host: str) -> Optional[str]:
    """Why host is no host name (RFC 1123) or IP address, or None."""
    try:
        ipaddress.ip_address(host)
        return None
    except ValueError:
        pass
    if not 1 <= len(host) <= 253:
        return "a host name is 1-253 characters"
    for label in host.split("."):
        if not 1 <= len(label) <= 63:
            return "each part of a host name is 1-63 characters"
        if not re.fullmatch(r"[A-Za-z0-9-]+", label):
            return "a host name has only letters, digits, '-' and '.'"
        if label.startswith("-"):
            return "a part of a host name cannot start with '-'"
        if label.endswith("-"):
            return "a part of a host name cannot end with '-'"
    return None


def ask_server(cfg: Config) -> bool:
    """Ask for the host and port nobody gave; False at the end of input.
    An empty answer takes the default; a bad one is asked again."""
    while not cfg.host:
        answer = ask("Server host [%s]: " % FALLBACK_HOST)
        if answer is None:
            return False
        answer = answer or FALLBACK_HOST
        why = host_problem(answer)
        if why is None:
            try:
                socket.getaddrinfo(answer, None, type=socket.SOCK_STREAM)
            except socket.gaierror as e:
                why = e.strerror
        if why is None:
            cfg.host = answer
        else:
            print("'%s' will not do: %s." % (answer, why), file=sys.stderr)
    while not cfg.port:
        answer = ask("Server port or range [%s]: " % FALLBACK_PORTS)
        if answer is None:
            return False
        answer = answer or FALLBACK_PORTS
        if parse_ports(answer) is not None:
            cfg.port = answer
        else:
            print("'%s' will not do: a port is 1-65535, or a range MIN-MAX."
                  % answer, file=sys.stderr)
    return True


# -- the client's log -------------------------------------------------------


def is_invisible(cp: int) -> bool:
    """Format characters that show nothing but could disguise a record:
    bidirectional overrides, zero-width characters, the soft hyphen..."""
    return (cp in (0xad, 0x61c, 0x180e, 0xfeff, 0xe0001)
            or 0x200b <= cp <= 0x200f or 0x202a <= cp <= 0x202e
            or 0x2060 <= cp <= 0x206f or 0xfff9 <= cp <= 0xfffb
            or 0xe0020 <= cp <= 0xe007f)


def escape(data: bytes, limit: int) -> tuple[str, int]:
    """data as one safe line of log text, as sockbind escapes it: \\\\ \\"
    \\t \\r \\n; other control, separator and invisible characters as
    \\uXXXX; bytes that are not UTF-8 as \\xHH. At most limit bytes of data
    are shown, never half a character: returns (text, bytes shown)."""
    parts = []
    used = 0
    for ch in to_text(data):
        cp = ord(ch)
        size = 1 if 0xdc80 <= cp <= 0xdcff else len(ch.encode("utf-8"))
        if used + size > limit:
            break
        used += size
        if 0xdc80 <= cp <= 0xdcff:              # a byte that is not UTF-8
            parts.append("\\x%02x" % (cp - 0xdc00))
        elif ch in '\\"':
            parts.append("\\" + ch)
        elif ch in "\n\r\t":
            parts.append({"\n": "\\n", "\r": "\\r", "\t": "\\t"}[ch])
        elif (cp < 0x20 or 0x7f <= cp <= 0x9f or cp in (0x2028, 0x2029)
              or is_invisible(cp)):
            parts.append(("\\U%08x" if cp > 0xffff else "\\u%04x") % cp)
        else:
            parts.append(ch)
    return "".join(parts), used


def redact(data: bytes) -> bytes:
    """data with its password or token hidden, as sockbin logs requests
    and replies: "LOGIN alice [secret]", "RESUME [secret]", "OK token
    [secret] expires N"; anything else unchanged."""
    if data.startswith(b"OK token "):
        space = data.find(b" ", 9)
        return b"OK token [secret]" + (data[space:] if space >= 0 else b"")
    m = re.search(rb"[A-Za-z]+", data)
    verb = next((v for v in (b"LOGIN", b"REGISTER", b"RESUME")
                 if m and m.group().upper().startswith(v)), None)
    if verb is None:
        return data
    word = m.group().upper()
    if word in (b"LOGIN", b"REGISTER"):
        user = re.match(rb" [A-Za-z0-9._-]{1,32} .", data[m.end():])
        if user is not None:
            return data[:m.end() + user.end() - 1] + b"[secret]"
    keep = m.start() + len(verb)
    if keep == len(data):
        return data
    return (utf8_cut(data[:keep], 64) +
            (b" " if data[keep:keep + 1] == b" " else b"") + b"[secret]")


def utf8_cut(data: bytes, limit: int) -> bytes:
    """data[:limit], without a UTF-8 sequence that the cut would split."""
    cut = data[:limit]
    for back in range(1, min(3, len(cut)) + 1):
        if cut[-back] & 0xc0 != 0x80:       # the sequence's first byte
            try:
                cut[-back:].decode("utf-8")
            except UnicodeDecodeError as e:
                if e.reason == "unexpected end of data":
                    return cut[:-back]
            break
    return cut


class ClientLog:
    """The client's own append-only log, one record a line, in sockbin's
    format: "TIME sockbin.py[PID] EVENT key=value ...". Every record is
    one write() to a file opened O_APPEND, so records of several clients
    sharing the file never interleave."""

    def __init__(self, path: str) -> None:
        self.fd: Optional[int] = None
        try:
            self.fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT |
                              os.O_CLOEXEC, 0o640)
        except OSError as e:
            print("%s: no client log: %s: %s" % (PROG, path, e.strerror),
                  file=sys.stderr)

    def record(self, event: str, fields: str,
               text: Optional[bytes] = None) -> None:
        """Append one record; text (a message) is escaped and cut."""
        if self.fd is None:
            return
        stamp = datetime.now().astimezone().isoformat(timespec="milliseconds")
        line = "%s %s[%d] %s %s" % (stamp, PROG, os.getpid(), event, fields)
        if text is not None:
            shown, used = escape(text, LOG_TEXT_MAX)
            line += ' bytes=%d text="%s"' % (len(text), shown)
            if used < len(text):
                line += "...[cut %d]" % (len(text) - used)
        try:
            os.write(self.fd, to_bytes(line + "\n"))
        except OSError:
            pass        # a full disk must not end the conversation


# -- the link: the connection and its protocol ------------------------------


class Link:
    """The connection to the server: found on the port range, its protocol
    learnt from its first words, every send and receive logged.

    proto is "session" (frames), "auth" (the session protocol in lines),
    "ident" (a line dialogue) or "raw" (echo, mirror, pingpong, upload:
    the server says nothing first)."""

    def __init__(self, host: str, ports: tuple[int, int],
                 log: ClientLog) -> None:
        self.host = host
        self.ports = ports
        self.log = log
        self.sock: Optional[FramedSocket] = None
        self.proto = "raw"
        self.server = ""
        self.greeting = ""
        self.inbuf = b""            # received, not taken yet
        self.opened = 0.0

    def open(self) -> None:
        """Connect to the first port of the range where a server accepts,
        then learn its protocol; exit EXIT_NOSERVER when none does."""
        low, high = self.ports
        reason = os.strerror(errno.ECONNREFUSED)
        for port in range(low, high + 1):
            try:
                addresses = socket.getaddrinfo(self.host, port,
                                               type=socket.SOCK_STREAM)
            except socket.gaierror as e:
                self.log.record("connect_failed", 'host=%s reason="%s"'
                                % (self.host, e.strerror))
                die(EXIT_NOSERVER, "%s: %s" % (self.host, e.strerror))
            for family, kind, proto, _, address in addresses:
                sock = FramedSocket(family, kind, proto)
                sock.settimeout(CONNECT_TIMEOUT)
                try:
                    sock.connect(address)
                except TimeoutError:
                    reason = os.strerror(errno.ETIMEDOUT)
                except OSError as e:
                    reason = e.strerror or str(e)
                else:
                    self.sock = sock
                    break
                sock.close()
            if self.sock is not None:
                break
        if self.sock is None:
            ports = "%d" % low if low == high else "%d-%d" % (low, high)
            self.log.record("connect_failed", 'host=%s ports=%s reason="%s"'
                            % (self.host, ports, reason))
            die(EXIT_NOSERVER, "no server on %s port%s %s: %s"
                % (self.host, "" if low == high else "s", ports, reason))
        self.sock.settimeout(REPLY_TIMEOUT)
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        address = self.sock.getpeername()
        self.server = ("[%s]:%d" if self.sock.family == socket.AF_INET6
                       else "%s:%d") % address[:2]
        self.inbuf = b""
        self.opened = time.monotonic()
        self.log.record("connect", "server=" + self.server)
        self.learn_protocol()

    def learn_protocol(self) -> None:
        """A session server greets with a frame (its first byte is 0: no
        text line starts with a NUL), auth with "OK sockbind ...", ident
        with a question; the raw services say nothing."""
        self.proto = "raw"
        if not self.readable(GREETING_TIMEOUT):
            return
        first = self.sock.recv(1, socket.MSG_PEEK)
        if not first:
            die(EXIT_LOST, "%s closed the connection at once" % self.server)
        if first == b"\0":
            self.greeting = self.sock.recv_text()
            self.proto = "session"
        else:
            line = self.recv_line()
            if line is None:
                die(EXIT_LOST, "%s: no greeting" % self.server)
            self.greeting = line
            self.proto = "auth" if line.startswith("OK sockbind ") \
                else "ident"
        self.log_recv(to_bytes(self.greeting))

    def readable(self, timeout: float) -> bool:
        """Whether something (data or the end) is there to read within
        timeout seconds."""
        if self.inbuf:
            return True
        return bool(select.select([self.sock], [], [], timeout)[0])

    def close(self, reason: str) -> None:
        """Close and log the disconnect once (later calls do nothing)."""
        if self.sock is None:
            return
        self.log.record("disconnect", 'server=%s reason="%s" duration_ms=%d'
                        % (self.server, reason,
                           (time.monotonic() - self.opened) * 1000))
        self.sock.close()
        self.sock = None

    def require(self, command: str, *protos: str) -> None:
        """End the run (EXIT_USAGE) unless the server speaks one of protos."""
        if self.proto in protos:
            return
        names = {"raw": "a raw service", "ident": "the ident service",
                 "auth": "the auth service", "session": "the session service"}
        need = " or ".join(names[p] for p in names if p in protos)
        self.close("wrong service")
        die(EXIT_USAGE, "%s: the server at %s runs the %s service; %s needs "
            "%s" % (command, self.server, self.proto, command, need))

    # Logging: what was sent and received, secrets hidden.
    def log_send(self, data: bytes) -> None:
        self.log.record("send", "server=" + self.server, redact(data))

    def log_recv(self, data: bytes) -> None:
        self.log.record("recv", "server=" + self.server, redact(data))

    def send(self, data: bytes, logged: Optional[bytes] = None) -> None:
        """Send raw bytes; log them, or logged instead when given."""
        try:
            self.sock.sendall(data)
        except TimeoutError:
            die(EXIT_LOST, "%s: cannot send: timed out" % self.server)
        except OSError as e:
            die(EXIT_LOST, "%s: cannot send: %s" % (self.server, e.strerror))
        self.log_send(data if logged is None else logged)

    def send_line(self, text: str) -> None:
        """text and a newline, to a line-speaking server."""
        self.send(to_bytes(text) + b"\n", to_bytes(text))

    def recv_some(self, size: int, timeout: float) -> Optional[bytes]:
        """Up to size bytes; b"" at the end of the stream, None when
        nothing came within timeout."""
        if not self.inbuf:
            if not self.readable(timeout):
                return None
            return self.sock.recv(size)
        data, self.inbuf = self.inbuf[:size], self.inbuf[size:]
        return data

    def recv_line(self, timeout: float = REPLY_TIMEOUT) -> Optional[str]:
        """A line without its LF (or CR LF); a last line may lack its LF.
        None at the end of the stream; ReplyTimeout when no whole line
        came within timeout seconds."""
        deadline = time.monotonic() + timeout
        while b"\n" not in self.inbuf and len(self.inbuf) < LINE_MAX:
            if not select.select([self.sock], [], [],
                                 max(0.0, deadline - time.monotonic()))[0]:
                raise ReplyTimeout()
            chunk = self.sock.recv(LINE_MAX - len(self.inbuf))
            if not chunk:
                if not self.inbuf:
                    return None
                self.inbuf += b"\n"     # the last line, without its LF
            self.inbuf += chunk
        line, _, self.inbuf = self.inbuf.partition(b"\n")
        return to_text(line[:-1] if line.endswith(b"\r") else line)

    def request(self, text: str) -> Optional[str]:
        """Send one request and return its reply: a frame to a session
        server, a line to the others. None when the server closed."""
        if self.proto != "session":
            self.send_line(text)
            reply = self.recv_line()
            if reply is not None:
                self.log_recv(to_bytes(reply))
            return reply
        # The bytes as given: text that is not UTF-8 is the server's to
        # refuse (ERR 403), as it would be from any client.
        self.sock.send_frame(to_bytes(text))
        self.log_send(to_bytes(text))
        return self.recv_reply()

    def recv_reply(self) -> Optional[str]:
        """One reply frame from a session server; None when it closed."""
        try:
            reply = self.sock.recv_text()
        except (ConnectionClosed, ConnectionCut):
            return None
        self.log_recv(to_bytes(reply))
        return reply

    def reply_text(self, reply: str) -> Optional[str]:
        """A session reply without its "OK ", None for an ERR reply; a raw
        server's line as it is."""
        if self.proto != "session":
            return reply
        if reply.startswith("OK "):
            return reply[3:]
        return "" if reply == "OK" else None

    def refused(self, reply: str) -> int:
        """Say the server's ERR reply; EXIT_REFUSED."""
        print("%s: %s: %s" % (PROG, self.server, reply), file=sys.stderr)
        return EXIT_REFUSED


# -- Ctrl-C -----------------------------------------------------------------


class Interrupted(Exception):
    """Ctrl-C (or SIGTERM) while a command waits: it ends the command's
    loop cleanly, not the program."""


class InterruptFlag:
    """SIGINT and SIGTERM set interrupted; they break into a wait (raise
    Interrupted) only while waiting is set, so that a reply on its way
    is still read."""

    def __init__(self) -> None:
        self.interrupted = False
        self.waiting = False
        signal.signal(signal.SIGINT, self.on_signal)
        signal.signal(signal.SIGTERM, self.on_signal)

    def on_signal(self, signum: int, frame: Any) -> None:
        self.interrupted = True
        if self.waiting:
            raise Interrupted()

    def wait(self, what: Callable[[], Any]) -> Any:
        """what(), which waits; Interrupted if a signal came before or
        during the wait."""
        self.waiting = True
        try:
            if self.interrupted:
                raise Interrupted()
            return what()
        finally:
            self.waiting = False


# -- the commands -----------------------------------------------------------


def text_exchange(link: Link, verb: str, text: str) -> str:
    """Send text as a request (session) or as lines (raw); the reply: from
    a raw server, as many lines as were sent, joined by newlines."""
    if link.proto == "session":
        reply = link.request("%s %s" % (verb, text))
        if reply is None:
            die(EXIT_LOST, "%s closed the connection" % link.server)
        return reply
    link.send_line(text)
    lines = []
    for _ in range(text.count("\n") + 1):
        line = link.recv_line()
        if line is None:
            die(EXIT_LOST, "%s closed the connection" % link.server)
        link.log_recv(to_bytes(line))
        lines.append(line)
    return "\n".join(lines)


def text_command(link: Link, command: str, text: str, must_match: bool) -> int:
    """echo and mirror: one text, one reply."""
    link.require(command, "session", "raw")
    reply = text_exchange(link, command.upper(), text)
    link.close("done")
    shown = link.reply_text(reply)
    # A raw server's error is a line "ERR ...", unless it echoes one.
    if shown is None or (link.proto == "raw" and reply.startswith("ERR ")
                         and reply != text):
        return link.refused(reply)
    out(shown)
    if must_match and shown != text:
        print("%s: the reply differs from what was sent" % PROG,
              file=sys.stderr)
        return EXIT_REFUSED
    return 0


def cmd_echo(link: Link, cfg: Config, args: list[str]) -> int:
    return text_command(link, "echo", args[0], True)


def cmd_mirror(link: Link, cfg: Config, args: list[str]) -> int:
    return text_command(link, "mirror", args[0], False)


def chat_requests(link: Link) -> int:
    """Requests and replies, one at a time: session and auth servers."""
    tty = sys.stdin.isatty()
    while True:
        if tty:
            sys.stderr.write("> ")
            sys.stderr.flush()
        line = to_text(sys.stdin.buffer.readline())
        if not line:
            break
        line = line.rstrip("\r\n")
        if not line:
            continue
        reply = link.request(line)
        if reply is None:
            link.close("server closed")
            out("(the server closed the connection)")
            return EXIT_LOST
        out(reply)
        if line.upper() == "QUIT" and reply == "OK":
            link.close("quit")
            break
    link.close("end of input")
    return 0


def chat_stream(link: Link) -> int:
    """Both ways at once: raw and ident servers speak when they like. At
    the end of our input we shut down our side and wait for the server
    to finish (30 s at most)."""
    flag = InterruptFlag()
    if link.greeting:
        out(link.greeting)
    stdin = sys.stdin.fileno()
    pending = b""
    in_open = True
    lost = False
    try:
        while True:
            watch = [link.sock] + ([stdin] if in_open else [])
            ready = [link.sock] if link.inbuf else flag.wait(
                lambda: select.select(watch, [], [], None if in_open
                                      else REPLY_TIMEOUT)[0])
            if not ready:
                break                   # nothing more after our end
            if stdin in ready:
                data = os.read(stdin, 65536)
                pending += data
                *lines, pending = pending.split(b"\n")
                if not data:            # our end: a last line without LF
                    lines += [pending] if pending else []
                for line in lines:
                    link.send_line(to_text(line.rstrip(b"\r")))
                if not data:
                    link.sock.shutdown(socket.SHUT_WR)
                    in_open = False
            if link.sock in ready:
                data = link.recv_some(65536, 0)
                if not data:
                    # Closed before our end: lost, except by ident, which
                    # ends its dialogue itself.
                    lost = in_open and link.proto != "ident"
                    break
                link.log_recv(data)
                sys.stdout.buffer.write(data)
                sys.stdout.flush()
    except Interrupted:
        pass
    link.close("interrupted" if flag.interrupted else "server closed")
    if lost:
        print("%s: %s closed the connection" % (PROG, link.server),
              file=sys.stderr)
        return EXIT_LOST
    return 0


def cmd_chat(link: Link, cfg: Config, args: list[str]) -> int:
    if link.proto in ("session", "auth"):
        return chat_requests(link)
    return chat_stream(link)


def send_report_end(link: Link, last: Optional[str]) -> int:
    """The server ended the session before its time: EXIT_LOST."""
    out("the server ended the session" + (": " + last if last else ""))
    link.close("server ended the session")
    return EXIT_LOST


def cmd_send(link: Link, cfg: Config, args: list[str]) -> int:
    """The periodic mode: [client] message every interval seconds for
    duration seconds (session: MIRROR requests; raw: lines), each reply
    printed with its time. Ctrl-C ends it cleanly."""
    link.require("send", "session", "raw")
    flag = InterruptFlag()
    start = time.monotonic()
    sent = 0
    for i in range(math.ceil(cfg.duration / cfg.interval)):
        # Until it is time, watching for the server speaking unasked:
        # its last word (a time limit, a stop) before it closes.
        until = start + i * cfg.interval
        try:
            spoke = flag.wait(lambda: link.readable(
                max(0.0, until - time.monotonic())))
        except Interrupted:
            break
        if spoke:
            if link.proto == "session":
                last = link.recv_reply()
            else:
                last = link.recv_line()
                if last is not None:
                    link.log_recv(to_bytes(last))
            return send_report_end(link, last)
        if link.proto == "session":
            reply = link.request("MIRROR " + cfg.message)
        else:
            link.send_line(cfg.message)
            reply = link.recv_line()
            if reply is not None:
                link.log_recv(to_bytes(reply))
        if reply is None:
            return send_report_end(link, None)
        sent += 1
        stamp = datetime.now().astimezone().isoformat(timespec="milliseconds")
        shown = link.reply_text(reply)
        out("%s %s" % (stamp, reply if shown is None else shown))
        if reply.startswith(("ERR 408", "ERR timeout", "ERR 503")):
            return send_report_end(link, reply)
    # Cleanly, Ctrl-C or not: say goodbye where the protocol has it.
    if link.proto == "session":
        link.request("QUIT")
    link.close("interrupted" if flag.interrupted else "done")
    print("%s: %d message%s sent%s" % (PROG, sent, "" if sent == 1 else "s",
                                        ", interrupted" if flag.interrupted
                                        else ""), file=sys.stderr)
    return 0


class Progress:
    """A progress bar on stderr, on a terminal only."""

    def __init__(self, total: int) -> None:
        self.shown = sys.stderr.isatty()
        self.total = total
        self.started = self.last = time.monotonic()

    def show(self, done: int, final: bool = False) -> None:
        now = time.monotonic()
        if not self.shown or (not final and now - self.last < 0.1):
            return
        self.last = now
        rate = done / max(now - self.started, 0.001)
        pct = done * 100 // self.total if self.total else 100
        fill = pct * 30 // 100
        sys.stderr.write("\r[%s%s] %3d%% %d/%d bytes %.1f KiB/s%s"
                         % ("#" * fill, " " * (30 - fill), pct, done,
                            self.total, rate / 1024, "\n" if final else ""))
        sys.stderr.flush()


def read_file(path: str, follow: bool = True) -> bytes:
    """A regular file's bytes (EXIT_USAGE when it will not do); never
    through a symbolic link unless follow."""
    flags = os.O_RDONLY | os.O_CLOEXEC | (0 if follow else os.O_NOFOLLOW)
    try:
        fd = os.open(path, flags)
    except OSError as e:
        die(EXIT_USAGE, "%s: %s" % (path, e.strerror))
    if not stat.S_ISREG(os.fstat(fd).st_mode):
        os.close(fd)
        die(EXIT_USAGE, "%s: not a regular file" % path)
    with os.fdopen(fd, "rb") as f:
        return f.read()


def upload_session(link: Link, name: str, data: bytes, digest: str,
                   chunk: int, progress: Progress) -> tuple[bool, str]:
    """UPLOAD, then the file as frames of chunk bytes. Returns (whether
    the server took the request, its last reply)."""
    reply = link.request("UPLOAD %s %d %s" % (name, len(data), digest))
    if reply is None:
        die(EXIT_LOST, "%s closed the connection" % link.server)
    if reply != "OK ready":
        return False, reply
    done = 0
    try:
        while done < len(data):
            link.sock.send_frame(data[done:done + chunk])
            done = min(done + chunk, len(data))
            progress.show(done)
    except OSError:
        pass                    # what the server said comes next
    if done == len(data):
        progress.show(done, True)
    link.log.record("send", 'server=%s bytes=%d text="[file data]"'
                    % (link.server, done))
    reply = link.recv_reply()
    if reply is None:
        die(EXIT_LOST, "%s closed the connection" % link.server
            if done == len(data) else "%s: upload cut" % link.server)
    return True, reply


def upload_raw(link: Link, data: bytes, progress: Progress) -> str:
    """The bytes, then our side shut down; the server's one-line reply."""
    done = 0
    problem = None
    try:
        while done < len(data):
            link.sock.sendall(data[done:done + UPLOAD_CHUNK])
            done = min(done + UPLOAD_CHUNK, len(data))
            progress.show(done)
    except OSError as e:
        problem = e.strerror or "timed out"  # the server may have said why
    link.log.record("send", 'server=%s bytes=%d text="[file data]"'
                    % (link.server, done))
    if done == len(data):
        progress.show(done, True)
    link.sock.shutdown(socket.SHUT_WR)
    reply = link.recv_line()
    if reply is None and problem is not None:
        die(EXIT_LOST, "%s: cannot send: %s" % (link.server, problem))
    if reply is None:
        die(EXIT_LOST, "%s: no reply to the upload" % link.server)
    link.log_recv(to_bytes(reply))
    return reply


def cmd_upload(link: Link, cfg: Config, args: list[str]) -> int:
    """Upload a file and check the size and SHA-256 the server reports."""
    link.require("upload", "session", "raw")
    data = read_file(args[0])
    digest = hashlib.sha256(data).hexdigest()
    progress = Progress(len(data))
    # A space would end the name in the request; the server turns spaces
    # into '_' anyway (PROTOCOL.md 1.4).
    name = os.path.basename(args[0]).replace(" ", "_")
    if link.proto == "raw":
        reply = upload_raw(link, data, progress)
    else:
        took, reply = upload_session(link, name, data, digest, UPLOAD_CHUNK,
                                     progress)
        # A server whose max_frame is under our frames: once more, on a new
        # connection, in frames of its size.
        m = re.match(r"ERR 413 frame of (\d+) bytes exceeds max_frame (\d+)",
                     reply)
        if took and m and 0 < int(m.group(2)) < int(m.group(1)):
            print("%s: %s takes frames of at most %s bytes: sending again in "
                  "frames of that size" % (PROG, link.server, m.group(2)),
                  file=sys.stderr)
            link.close("frame too big")
            link.open()
            progress = Progress(len(data))
            took, reply = upload_session(link, name, data, digest,
                                         int(m.group(2)), progress)
    link.close("done")
    m = re.match(r"OK %s(\S+) (\d+) (\S+)" % ("stored " if link.proto ==
                                             "session" else ""), reply)
    if m is None:
        return link.refused(reply)
    if int(m.group(2)) != len(data) or m.group(3).lower() != digest:
        print("%s: the server stored %s bytes with SHA-256 %s; we sent %d "
              "bytes with SHA-256 %s" % (PROG, m.group(2), m.group(3),
                                         len(data), digest), file=sys.stderr)
        return EXIT_REFUSED
    out("stored as %s: %s bytes, SHA-256 %s verified" % m.groups())
    return 0


def write_exchange_file(path: str, text: str) -> None:
    """Write the pingpong file: never through a symbolic link, never
    anything but a regular file (truncated only once that is known): it
    often lives in a directory others can write."""
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_NOFOLLOW |
                     os.O_CLOEXEC, 0o644)
    except OSError as e:
        if e.errno == errno.ELOOP:
            die(EXIT_USAGE, "%s: is a symbolic link: refused" % path)
        die(EXIT_USAGE, "%s: %s" % (path, e.strerror))
    try:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            die(EXIT_USAGE, "%s: not a regular file" % path)
        os.ftruncate(fd, 0)
        os.write(fd, to_bytes(text))
    except OSError as e:
        die(EXIT_USAGE, "%s: %s" % (path, e.strerror))
    finally:
        os.close(fd)


def pingpong_answer(link: Link) -> tuple[bool, str]:
    """The server's answer to _code2g: (True, "_code3g"), or (False, its
    ERR line)."""
    answer = b""
    while len(answer) < 7:
        data = link.recv_some(7 - len(answer), REPLY_TIMEOUT)
        if data is None:
            die(EXIT_LOST, "%s: no _code3g within %d s"
                % (link.server, REPLY_TIMEOUT))
        if not data:
            die(EXIT_LOST, "%s closed the connection" % link.server)
        answer += data
    if answer == b"_code3g":
        link.log_recv(answer)
        return True, to_text(answer)
    # An error line: take the rest of it.
    link.inbuf = answer + link.inbuf
    line = link.recv_line() or to_text(answer)
    link.log_recv(to_bytes(line))
    return False, line


def cmd_pingpong(link: Link, cfg: Config, args: list[str]) -> int:
    """The code-word exchange: _code1g (we hold the file), our data into
    the file, _code2g (released); _code3g back, and the file says pong."""
    path, rounds = args[0], int(args[1])
    link.require("pingpong", "raw")
    for i in range(1, rounds + 1):
        link.send(b"_code1g")
        data = "ping %d %s" % (i, cfg.message)
        write_exchange_file(path, data)
        link.send(b"_code2g")
        ok, answer = pingpong_answer(link)
        if not ok:
            link.close("refused")
            return link.refused(answer)
        text = to_text(read_file(path, follow=False))
        out("round %d: wrote '%s', got _code3g, the file says '%s'"
            % (i, data, text))
        if text != "pong":
            # The server answered, but not through this file.
            link.close("check failed")
            print("%s: %s does not say 'pong': is it the server's [pingpong] "
                  "file, and is another client using it at the same time?"
                  % (PROG, path), file=sys.stderr)
            return EXIT_REFUSED
    link.close("done")
    return 0


RUN = {"echo": cmd_echo, "mirror": cmd_mirror, "chat": cmd_chat,
       "send": cmd_send, "upload": cmd_upload, "pingpong": cmd_pingpong}


# -- main -------------------------------------------------------------------


def usage(status: int) -> NoReturn:
    """The usage and the commands on stderr and exit with status; with
    status 0 (--help), the whole help on stdout."""
    if status == 0:
        print(USAGE % PROG + "\n\n" + HELP.format(config=DEFAULT_CONFIG),
              end="")
        raise SystemExit(0)
    print(USAGE % PROG + "\ncommands:", file=sys.stderr)
    for name, args in COMMANDS:
        print("  " + (name + " " + args).strip(), file=sys.stderr)
    raise SystemExit(status)


def check_args(command: str, args: list[str]) -> None:
    """What can be told wrong before bothering a server: the number of
    arguments, a TEXT too long, ROUNDS, an upload's file."""
    spec = dict(COMMANDS)[command]
    if len(args) != len(spec.split()):
        die(EXIT_USAGE, "usage: %s %s%s" % (PROG, command,
                                            " " + spec if spec else ""))
    if spec == "TEXT" and len(to_bytes(args[0])) > TEXT_MAX:
        die(EXIT_USAGE, "%s: TEXT is %d bytes, at most %d"
            % (command, len(to_bytes(args[0])), TEXT_MAX))
    if command == "upload":
        try:
            os.stat(args[0])
        except OSError as e:
            die(EXIT_USAGE, "%s: %s" % (args[0], e.strerror))
        if not os.access(args[0], os.R_OK):
            die(EXIT_USAGE, "%s: %s" % (args[0], os.strerror(errno.EACCES)))
    if command == "pingpong" and not (re.fullmatch(r"[0-9]+", args[1]) and
                                      1 <= int(args[1]) <= 1000000):
        die(EXIT_USAGE, "pingpong: ROUNDS must be 1-1000000, not '%s'"
            % args[1])


def main(argv: list[str]) -> int:
    """sockbin.py [-c file] [-H host] [-p port|min-max] command [args]"""
    try:
        # POSIX getopt: options end at the command, so its text may start
        # with '-' ("echo -5 degrees").
        opts, args = getopt.getopt(argv, "c:hH:p:V", ["help", "version"])
    except getopt.GetoptError as e:
        print("%s: %s" % (PROG, e), file=sys.stderr)
        usage(EXIT_USAGE)
    config_path, explicit, host, port = DEFAULT_CONFIG, False, None, None
    for opt, value in opts:
        if opt in ("-h", "--help"):
            usage(0)
        if opt in ("-V", "--version"):
            print("%s %s" % (PROG, VERSION))
            return 0
        if opt == "-c":
            config_path, explicit = value, True
        elif opt == "-H":
            host = value
        elif opt == "-p":
            port = value
    if not args:
        usage(EXIT_USAGE)
    command, args = args[0], args[1:]
    if command not in RUN:
        print("%s: unknown command '%s'" % (PROG, command), file=sys.stderr)
        usage(EXIT_USAGE)
    if args[:1] == ["--"]:          # "echo -- -5": the end of options
        args = args[1:]

    try:
        cfg = load_config(config_path, explicit)
    except ConfigError as e:
        die(EXIT_USAGE, re.sub(r"[\x00-\x1f\x7f]", "?", str(e)))
    if host is not None:            # the command line wins
        cfg.host = host
    if port is not None:
        if parse_ports(port) is None:
            die(EXIT_USAGE, "-p %s: not a port (1-65535) or a range MIN-MAX"
                % port)
        cfg.port = port
    # Ask on a terminal for what nobody said; never without one.
    if (not cfg.host or not cfg.port) and sys.stdin.isatty() and \
            not ask_server(cfg):
        die(EXIT_USAGE, "no server given")
    cfg.host = cfg.host or FALLBACK_HOST
    cfg.port = cfg.port or FALLBACK_PORTS

    log = ClientLog(cfg.log)
    check_args(command, args)
    link = Link(cfg.host, parse_ports(cfg.port), log)
    try:
        link.open()
        return RUN[command](link, cfg, args)
    except ReplyTimeout:
        die(EXIT_LOST, "%s: no reply within %d s" % (link.server,
                                                     REPLY_TIMEOUT))
    except TimeoutError:
        die(EXIT_LOST, "%s: no reply within %d s" % (link.server,
                                                     REPLY_TIMEOUT))
    except FrameTooLarge as e:
        die(EXIT_LOST, "%s: a reply of %d bytes, more than %d"
            % (link.server, e.length, e.limit))
    except InvalidText as e:
        die(EXIT_LOST, "%s: a reply that is no text: %s" % (link.server, e))
    except (FrameError, OSError) as e:
        die(EXIT_LOST, "%s: connection lost: %s"
            % (link.server, getattr(e, "strerror", None) or e))
    except KeyboardInterrupt:
        link.close("interrupted")
        raise
    finally:
        link.close("client exit")


if __name__ == "__main__":
    try:
        sys.exit(main(sys.argv[1:]))
    except KeyboardInterrupt:
        # Ctrl-C outside a command's own loop (a question, a reply): die
        # of the signal, as a program should, without a traceback.
        signal.signal(signal.SIGINT, signal.SIG_DFL)
        os.kill(os.getpid(), signal.SIGINT)
