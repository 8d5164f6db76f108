"""Reference solution for step 1: a first HTTP server with http.server."""

import json
import os
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import urlsplit

HOME_PAGE = """<!doctype html>
<html>
  <head><meta charset="utf-8"><title>Hello</title></head>
  <body><h1>Hello Backend World!</h1></body>
</html>
"""


class Handler(BaseHTTPRequestHandler):
    def send_body(self, status, content_type, body):
        data = body.encode("utf-8")
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def do_GET(self):
        path = urlsplit(self.path).path
        if path == "/":
            self.send_body(200, "text/html; charset=utf-8", HOME_PAGE)
        elif path == "/health":
            self.send_body(200, "application/json", json.dumps({"status": "ok"}))
        else:
            self.send_body(404, "text/plain; charset=utf-8", "Not Found\n")

    def log_message(self, format, *args):
        # http.server logs to stderr by default; coach shows both, stdout is tidier.
        print(f"{self.address_string()} {format % args}", flush=True)


def main():
    port = int(os.environ.get("PORT") or 8080)
    server = ThreadingHTTPServer(("0.0.0.0", port), Handler)
    print(f"listening on http://0.0.0.0:{port}", flush=True)
    server.serve_forever()


if __name__ == "__main__":
    main()
