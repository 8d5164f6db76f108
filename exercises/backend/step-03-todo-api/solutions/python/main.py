"""Reference solution for steps 1-3 (hello server, routes and params, todo API).

Standard library only: http.server with a small route table.
"""

import json
import os
import re
import sys
import threading
from datetime import datetime, timezone
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, unquote, urlsplit

MAX_TITLE = 200
DEFAULT_LIMIT = 10
MAX_LIMIT = 100

HOME_PAGE = """<!doctype html>
<html>
  <head><meta charset="utf-8"><title>Hello</title></head>
  <body><h1>Hello Backend World!</h1></body>
</html>
"""


class BadRequest(Exception):
    """A problem with the request that the client must fix (answered with 400)."""


class Store:
    """Todos in memory; a dict keeps insertion (creation) order."""

    def __init__(self):
        self.lock = threading.Lock()
        self.next_id = 1
        self.todos = {}

    def create(self, title, completed):
        with self.lock:
            todo = {
                "id": self.next_id,
                "title": title,
                "completed": completed,
                "created_at": datetime.now(timezone.utc).isoformat(),
            }
            self.next_id += 1
            self.todos[todo["id"]] = todo
            return dict(todo)

    def find(self, raw):
        if not re.fullmatch(r"[1-9][0-9]*", raw):
            return None
        with self.lock:
            todo = self.todos.get(int(raw))
            return dict(todo) if todo else None

    def update(self, todo_id, changes):
        with self.lock:
            todo = self.todos.get(todo_id)
            if todo is None:
                return None
            todo.update(changes)
            return dict(todo)

    def delete(self, todo_id):
        with self.lock:
            return self.todos.pop(todo_id, None) is not None

    def page(self, page, limit):
        with self.lock:
            items = list(self.todos.values())
        start = (page - 1) * limit
        return [dict(t) for t in items[start:start + limit]], len(items)


STORE = Store()


def check_title(value):
    if not isinstance(value, str) or not value.strip():
        raise BadRequest("title is required")
    if len(value) > MAX_TITLE:  # len counts code points
        raise BadRequest(f"title must be at most {MAX_TITLE} characters")
    return value


def check_completed(body):
    value = body.get("completed", False)
    if not isinstance(value, bool):
        raise BadRequest("completed must be a boolean")
    return value


def positive(query, key, default):
    values = query.get(key)
    if values is None:
        return default
    if not re.fullmatch(r"[0-9]+", values[0]) or int(values[0]) < 1:
        raise BadRequest(f"{key} must be a positive integer")
    return int(values[0])


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

    # ---- step 3 ----

    def list_todos(self, match, query):
        page = positive(query, "page", 1)
        limit = min(positive(query, "limit", DEFAULT_LIMIT), MAX_LIMIT)
        data, total = STORE.page(page, limit)
        self.send_json(200, {"page": page, "limit": limit, "total": total, "data": data})

    def create_todo(self, match, query):
        body = self.read_object()
        title = check_title(body.get("title"))
        completed = check_completed(body)
        todo = STORE.create(title, completed)
        self.send_json(201, todo, {"location": f"/todos/{todo['id']}"})

    def get_todo(self, match, query):
        todo = STORE.find(match.group(1))
        if todo is None:
            return self.send_error_json(404, "todo not found")
        self.send_json(200, todo)

    def replace_todo(self, match, query):
        todo = STORE.find(match.group(1))
        if todo is None:
            return self.send_error_json(404, "todo not found")
        body = self.read_object()
        changes = {"title": check_title(body.get("title")), "completed": check_completed(body)}
        updated = STORE.update(todo["id"], changes)
        if updated is None:
            return self.send_error_json(404, "todo not found")
        self.send_json(200, updated)

    def patch_todo(self, match, query):
        todo = STORE.find(match.group(1))
        if todo is None:
            return self.send_error_json(404, "todo not found")
        body = self.read_object()
        changes = {}
        if "title" in body:
            changes["title"] = check_title(body["title"])
        if "completed" in body:
            changes["completed"] = check_completed(body)
        updated = STORE.update(todo["id"], changes)
        if updated is None:
            return self.send_error_json(404, "todo not found")
        self.send_json(200, updated)

    def delete_todo(self, match, query):
        todo = STORE.find(match.group(1))
        if todo is None or not STORE.delete(todo["id"]):
            return self.send_error_json(404, "todo not found")
        self.send_response(204)
        self.end_headers()

    # ---- routing ----

    ROUTES = [
        (re.compile(r"/"), {"GET": "home"}),
        (re.compile(r"/health"), {"GET": "health"}),
        (re.compile(r"/greet"), {"GET": "greet_query", "POST": "greet_post"}),
        (re.compile(r"/greet/([^/]+)"), {"GET": "greet_path"}),
        (re.compile(r"/todos"), {"GET": "list_todos", "POST": "create_todo"}),
        (re.compile(r"/todos/([^/]+)"),
         {"GET": "get_todo", "PUT": "replace_todo", "PATCH": "patch_todo", "DELETE": "delete_todo"}),
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
