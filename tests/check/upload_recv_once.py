"""An upload server that stores what one recv(65536) brings and answers
OK NAME SIZE SHA256 for it: a file sent in pieces, or larger than one
read, is stored cut. Files go to the directory given as the second
argument (default: the current one), under names of their own."""
import hashlib
import itertools
import os
import sys
import labserver

DIR = sys.argv[2] if len(sys.argv) > 2 else "."
numbers = itertools.count(1)


def handle(conn):
    data = conn.recv(65536)
    if not data:
        conn.sendall(b"ERR empty upload\n")
        return
    name = "upload-%d" % next(numbers)
    with open(os.path.join(DIR, name), "wb") as f:
        f.write(data)
    conn.sendall(("OK %s %d %s\n" % (name, len(data),
                                     hashlib.sha256(data).hexdigest()))
                 .encode())


labserver.serve(handle)
