"""An echo server that reads once with recv(1024), echoes that, and
closes: a message in several pieces, or longer than 1024 bytes, is cut;
a second message never gets an answer. It serves clients at once."""
import labserver


def handle(conn):
    conn.sendall(conn.recv(1024))


labserver.serve(handle)
