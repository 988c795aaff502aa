"""A framed (session) server that reads each frame's 4-byte header with one
recv(4) and gives up on the connection when fewer bytes come, as if a
header could not be split across reads. The rest is right: greeting,
ECHO, MIRROR (no signature), QUIT, ERR 400 and 401."""
import struct
import labserver


def send(conn, text):
    data = text.encode("utf-8")
    conn.sendall(struct.pack(">I", len(data)) + data)


def recv_exact(conn, n):
    buf = b""
    while len(buf) < n:
        data = conn.recv(n - len(buf))
        if not data:
            return None
        buf += data
    return buf


def handle(conn):
    send(conn, "OK lab 1.0 session")
    while True:
        header = conn.recv(4)
        if len(header) < 4:
            return          # the fault: a short read is taken for an end
        payload = recv_exact(conn, struct.unpack(">I", header)[0])
        if payload is None:
            return
        text = payload.decode("utf-8", "replace")
        verb, _, arg = text.partition(" ")
        if text == "":
            send(conn, "ERR 400 empty request")
        elif verb.upper() == "ECHO":
            send(conn, "OK " + arg)
        elif verb.upper() == "MIRROR":
            send(conn, "OK " + arg[::-1])
        elif verb.upper() == "QUIT":
            send(conn, "OK")
            return
        else:
            send(conn, "ERR 401 unknown verb " + verb[:32])


labserver.serve(handle)
