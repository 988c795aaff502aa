"""A server that accepts every client and then neither reads nor speaks."""
import threading
import labserver

labserver.serve(lambda conn: threading.Event().wait())
