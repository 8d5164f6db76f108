"""Reference solution for steps 1-2 (hello server, routes and params).

Standard library only: http.server with a small route table.
"""

import json
import os
import re
import sys
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, unquote, urlsplit

HOME_PAGE = """<!doctype html>
<html>
  <head><meta charset="utf-8"><title>Hello</title></head>
  <body><h1>Hello Backend World!</h1></body>
</html>
"""


class BadRequest(Exception):
    """A problem with the request that the client must fix (answered with 400)."""


class Handler(BaseHTTPRequestHandler):
    server_version = "coach-python/1.0"

    # ---- helpers ----

    def send_json(self, status, value, headers=None):
        body = json.dumps(value).encode("utf-8")
        self.send_response(status)
        self.send_header("content-type", "application/json; charset=utf-8")
        self.send_header("content-length", str(len(body)))
        for name, val in (headers or {}).items():
            self.send_header(name, val)
        self.end_headers()
        self.wfile.write(body)

    def send_error_json(self, status, message):
        self.send_json(status, {"error": message, "status": status})

    def read_object(self):
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length) if length > 0 else b""
        try:
            value = json.loads(raw)
        except ValueError:
            raise BadRequest("request body is not valid JSON")
        if not isinstance(value, dict):
            raise BadRequest("body must be a JSON object")
        return value

    def log_message(self, format, *args):
        print(f"{self.address_string()} {format % args}", flush=True)

    # ---- step 1 ----

    def home(self, match, query):
        body = HOME_PAGE.encode("utf-8")
        self.send_response(200)
        self.send_header("content-type", "text/html; charset=utf-8")
        self.send_header("content-length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def health(self, match, query):
        self.send_json(200, {"status": "ok"})

    # ---- step 2 ----

    @staticmethod
    def greeting(name):
        return {"message": f"Hello, {name or 'World'}!"}

    def greet_query(self, match, query):
        self.send_json(200, self.greeting(query.get("name", [""])[0]))

    def greet_path(self, match, query):
        self.send_json(200, self.greeting(unquote(match.group(1))))

    def greet_post(self, match, query):
        body = self.read_object()
        name = body.get("name")
        if not isinstance(name, str) or name == "":
            raise BadRequest("name must be a non-empty string")
        self.send_json(200, self.greeting(name))

    # ---- routing ----

    ROUTES = [
        (re.compile(r"/"), {"GET": "home"}),
        (re.compile(r"/health"), {"GET": "health"}),
        (re.compile(r"/greet"), {"GET": "greet_query", "POST": "greet_post"}),
        (re.compile(r"/greet/([^/]+)"), {"GET": "greet_path"}),
    ]

    def dispatch(self, method):
        url = urlsplit(self.path)
        query = parse_qs(url.query, keep_blank_values=True)
        for pattern, methods in self.ROUTES:
            match = pattern.fullmatch(url.path)
            if match is None:
                continue
            allow = ",".join(["OPTIONS", *methods])
            if method == "OPTIONS":
                self.send_response(204)
                self.send_header("allow", allow)
                self.end_headers()
                return
            name = methods.get(method)
            if name is None:
                return self.send_json(405, {"error": "method not allowed"}, {"allow": allow})
            try:
                getattr(self, name)(match, query)
            except BadRequest as err:
                self.send_error_json(400, str(err))
            return
        self.send_error_json(404, "not found")

    def do_GET(self):
        self.dispatch("GET")

    def do_POST(self):
        self.dispatch("POST")

    def do_PUT(self):
        self.dispatch("PUT")

    def do_PATCH(self):
        self.dispatch("PATCH")

    def do_DELETE(self):
        self.dispatch("DELETE")

    def do_OPTIONS(self):
        self.dispatch("OPTIONS")


def main():
    port = int(os.environ.get("PORT") or 8080)
    server = ThreadingHTTPServer(("0.0.0.0", port), Handler)
    print(f"listening on http://0.0.0.0:{port}", flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()
    sys.stdout.flush()


if __name__ == "__main__":
    main()
