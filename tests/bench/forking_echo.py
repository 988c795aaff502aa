#!/usr/bin/env python3
"""forking_echo.py -- the student's server: socketserver.ForkingTCPServer echo.

A peer in sockbind's benchmark (scripts/bench.sh), standard library only.
Two class attributes are raised from their defaults so that the comparison
measures fork-per-connection, not a small queue: request_queue_size (5 by
default, which drops SYNs at 50 clients) and max_children (40 by default,
past which the server stops accepting until a child exits: 200 persistent
connections could never all be served).

usage: forking_echo.py PORT [ADDRESS]
"""
import socketserver
import sys


class EchoHandler(socketserver.BaseRequestHandler):
    def handle(self):
        while True:
            data = self.request.recv(65536)
            if not data:
                return
            self.request.sendall(data)


class Server(socketserver.ForkingTCPServer):
    allow_reuse_address = True
    request_queue_size = 511
    max_children = 256


def main():
    port = int(sys.argv[1])
    address = sys.argv[2] if len(sys.argv) > 2 else "127.0.0.1"
    with Server((address, port), EchoHandler) as server:
        print("forking_echo: listening on %s:%d" % (address, port), flush=True)
        server.serve_forever()


if __name__ == "__main__":
    main()
