"""Step 1 starter: a server that listens on $PORT and answers 404 to everything.

Add the routes from the README:
  GET /        -> 200, Content-Type: text/html, <h1>Hello Backend World!</h1>
  GET /health  -> 200, Content-Type: application/json, {"status":"ok"}
  anything else -> 404
"""

import os
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import urlsplit


class Handler(BaseHTTPRequestHandler):
    def do_GET(self):
        # self.path includes the query string; this is just the path.
        path = urlsplit(self.path).path

        # TODO: answer GET / and GET /health here, before the 404 below.

        body = f"Not Found: {path}\n".encode("utf-8")
        self.send_response(404)
        self.send_header("Content-Type", "text/plain; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format, *args):
        # http.server logs to stderr by default; print to stdout instead.
        print(f"{self.address_string()} {format % args}", flush=True)


def main():
    port = int(os.environ.get("PORT") or 8080)
    server = ThreadingHTTPServer(("0.0.0.0", port), Handler)
    print(f"listening on http://0.0.0.0:{port}", flush=True)
    server.serve_forever()


if __name__ == "__main__":
    main()
