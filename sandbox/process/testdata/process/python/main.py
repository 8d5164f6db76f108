"""A tiny server for the process backend's tests: GET / answers "hi";
PUT /note stores the body in $DATA_DIR/note and GET /note reads it back."""

import os
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

PORT = int(os.environ.get("PORT", "8080"))
NOTE = os.path.join(os.environ.get("DATA_DIR", "."), "note")


class Handler(BaseHTTPRequestHandler):
    def reply(self, status, body):
        self.send_response(status)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self):
        if self.path == "/":
            self.reply(200, b"hi")
        elif self.path == "/note":
            try:
                with open(NOTE, "rb") as f:
                    self.reply(200, f.read())
            except FileNotFoundError:
                self.reply(404, b"no note")
        else:
            self.reply(404, b"not found")

    def do_PUT(self):
        if self.path != "/note":
            self.reply(404, b"not found")
            return
        body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
        with open(NOTE, "wb") as f:
            f.write(body)
        self.reply(200, b"stored")


print(f"python server listening on {PORT}")
ThreadingHTTPServer(("", PORT), Handler).serve_forever()
