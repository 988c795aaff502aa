"""A correct echo server that exits after its first client."""
import labserver


def handle(conn):
    while True:
        data = conn.recv(65536)
        if not data:
            return
        conn.sendall(data)


labserver.serve(handle, threaded=False, clients=1)
