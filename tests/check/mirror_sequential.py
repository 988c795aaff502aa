"""A correct mirror server (signature "SIG", 300 ms of simulated work by
default), but sequential: one client at a time."""
import os
import labserver

DELAY = int(os.environ.get("MIRROR_DELAY_MS", "300")) / 1000

labserver.serve(lambda conn: labserver.mirror(conn, "SIG", DELAY),
                threaded=False)
