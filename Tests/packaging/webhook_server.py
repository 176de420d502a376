"""A loopback webhook receiver for the packaging tests.

Usage: webhook_server.py DIR. Listens on 127.0.0.1 (a free port, written to DIR/port),
answers every POST/PUT/PATCH with 204 and appends {method, path, headers, body} to
DIR/requests.jsonl. Exits after 120 s at most, or on SIGTERM.
"""
import json
import os
import signal
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

out = sys.argv[1]
lock = threading.Lock()


class Handler(BaseHTTPRequestHandler):
    def record(self):
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length).decode("utf-8", "replace")
        with lock, open(os.path.join(out, "requests.jsonl"), "a") as f:
            f.write(json.dumps({"method": self.command, "path": self.path,
                                "headers": dict(self.headers), "body": body}) + "\n")
        self.send_response(204)
        self.end_headers()

    do_POST = do_PUT = do_PATCH = record

    def log_message(self, *args):
        pass


server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
deadline = threading.Timer(120, lambda: os._exit(0))
deadline.daemon = True
deadline.start()
tmp = os.path.join(out, "port.tmp")
with open(tmp, "w") as f:
    f.write(str(server.server_address[1]))
os.rename(tmp, os.path.join(out, "port"))
server.serve_forever()
