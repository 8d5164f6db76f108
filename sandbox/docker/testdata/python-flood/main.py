import os
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


def flood():
    line = "spam " * 40 + "\n"
    while True:
        sys.stdout.write(line)


class Handler(BaseHTTPRequestHandler):
    def log_message(self, *args):
        pass

    def do_GET(self):
        self.send_response(200)
        self.send_header("content-length", "2")
        self.end_headers()
        self.wfile.write(b"ok")


server = ThreadingHTTPServer(("0.0.0.0", int(os.environ["PORT"])), Handler)
threading.Thread(target=flood, daemon=True).start()
server.serve_forever()
