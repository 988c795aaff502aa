"""An ident server that takes the answer from one recv(1024), decoded on
its own: a name in pieces, or a letter cut between reads, is stored
wrong."""
import labserver

names = {}


def handle(conn):
    addr = conn.getpeername()[0]
    if addr in names:
        conn.sendall(("Hello again, %s!\n" % names[addr]).encode("utf-8"))
        return
    conn.sendall(("Hello, %s! What is your name?\n" % addr).encode())
    name = conn.recv(1024).decode("utf-8", "replace").strip()
    names[addr] = name
    conn.sendall(("Nice to meet you, %s!\n" % name).encode("utf-8"))


labserver.serve(handle)
