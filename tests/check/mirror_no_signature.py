"""A concurrent mirror server that forgets its signature."""
import os
import labserver

DELAY = int(os.environ.get("MIRROR_DELAY_MS", "300")) / 1000

labserver.serve(lambda conn: labserver.mirror(conn, "", DELAY))
