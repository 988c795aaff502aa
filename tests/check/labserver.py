"""What the deliberately faulty lab servers share: a listening socket on
127.0.0.1 (port 0: the kernel picks one, printed as "port N" on stdout),
and a loop that hands each client to handle(conn), in a thread of its own
(threaded) or one after the other. Python 3, standard library only.
"""
import select
import socket
import sys
import threading
import time


def serve(handle, threaded=True, clients=None):
    """Serve until killed, or until `clients` clients have been served."""
    srv = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    srv.bind(("127.0.0.1", int(sys.argv[1]) if len(sys.argv) > 1 else 0))
    srv.listen(16)
    print("port %d" % srv.getsockname()[1], flush=True)
    served = 0
    while clients is None or served < clients:
        conn, _ = srv.accept()
        served += 1
        if threaded:
            threading.Thread(target=run, args=(handle, conn),
                             daemon=True).start()
        else:
            run(handle, conn)
    srv.close()


def run(handle, conn):
    try:
        handle(conn)
    except OSError:
        pass            # a client that reset: the next one is served
    finally:
        conn.close()


def utf8_cut(data):
    """True when data ends inside a UTF-8 sequence."""
    try:
        data.decode("utf-8")
        return False
    except UnicodeDecodeError as e:
        return e.start >= len(data) - 3 and e.reason.startswith(
            "unexpected end")


def mirror(conn, signature, delay):
    """A correct mirror: a line, or a burst without LF (100 ms of quiet),
    reversed by code point and signed, after `delay` seconds of work."""
    buf = b""
    while True:
        while b"\n" in buf:
            line, buf = buf.split(b"\n", 1)
            reply(conn, line.rstrip(b"\r"), signature, delay)
        ready, _, _ = select.select([conn], [], [], 0.1 if buf else None)
        if not ready:
            if not utf8_cut(buf):
                reply(conn, buf, signature, delay)
                buf = b""
            continue
        data = conn.recv(65536)
        if not data:
            if buf:
                reply(conn, buf, signature, delay)
            return
        buf += data


def reply(conn, msg, signature, delay):
    time.sleep(delay)
    try:
        text = msg.decode("utf-8")[::-1] + signature
    except UnicodeDecodeError:
        text = "ERR invalid UTF-8"
    conn.sendall(text.encode("utf-8") + b"\n")
