"""Reference solution for steps 1-10 (hello server, routes and params, todo API,
middleware, rate limiter, sessions, JWT auth, role-based access control,
persistence, HTTP caching).

Standard library only: http.server with a small route table. The "middleware"
of step 4 lives in Handler.handle_request, which wraps every route: request id,
CORS, security headers, rate limiting, the global error handler and the audit log.
"""

import base64
import hashlib
import hmac
import json
import math
import os
import re
import secrets
import sys
import threading
import time
import traceback
import uuid
from collections import deque
from datetime import datetime, timezone
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, unquote, urlsplit

import jwt_hs256
from storage import Database, NoteStore, TodoStore, UserStore

MAX_TITLE = 200
DEFAULT_LIMIT = 10
MAX_LIMIT = 100
USERNAME = re.compile(r"[A-Za-z0-9_]{3,32}")
MIN_PASSWORD = 8
SESSION_TTL = 24 * 3600  # seconds
REFRESH_TTL = 7 * 24 * 3600  # seconds
MAX_BODY = 1024 * 1024  # 1 MiB
DRAIN_LIMIT = 16 * MAX_BODY  # read (and drop) at most this much of a refused body

SECURITY_HEADERS = {
    "x-content-type-options": "nosniff",
    "x-frame-options": "DENY",
    "referrer-policy": "no-referrer",
}
EXPOSED_HEADERS = "etag,x-request-id,ratelimit-limit,ratelimit-remaining,ratelimit-reset,retry-after"
CORS_DEFAULT_HEADERS = "content-type,authorization,x-request-id,x-api-key"
REQUEST_ID = re.compile(r"[\x20-\x7e]{1,512}")  # printable ASCII: safe to echo

HOME_PAGE = """<!doctype html>
<html>
  <head><meta charset="utf-8"><title>Hello</title></head>
  <body><h1>Hello Backend World!</h1></body>
</html>
"""

OUTPUT_LOCK = threading.Lock()


def env_number(name, default, kind=int):
    """A positive number from the environment, or the default."""
    try:
        value = kind(os.environ.get(name, ""))
    except ValueError:
        return default
    return value if value > 0 else default


def log_line(record):
    """Write one JSON object as one line of stdout (whole lines, even across threads)."""
    line = json.dumps(record, ensure_ascii=False) + "\n"
    with OUTPUT_LOCK:
        sys.stdout.write(line)
        sys.stdout.flush()


class BadRequest(Exception):
    """A problem with the request that the client must fix (answered with 400)."""


class PayloadTooLarge(Exception):
    """The request body is over MAX_BODY (answered with 413)."""


def open_database():
    """The database file under $DATA_DIR (created if missing)."""
    data_dir = os.environ.get("DATA_DIR") or "data"
    os.makedirs(data_dir, exist_ok=True)
    return Database(os.path.join(data_dir, "coach.sqlite3"))


DB = open_database()


def parse_id(raw):
    """A path segment as a row id, or None when it cannot name one."""
    if not re.fullmatch(r"[1-9][0-9]{0,17}", raw):
        return None
    return int(raw)


class Store:
    """Todos, stored in SQLite (see storage.py)."""

    def __init__(self, db):
        self.todos = TodoStore(db)

    def create(self, title, completed):
        return self.todos.create(title, completed)

    def find(self, raw):
        todo_id = parse_id(raw)
        return None if todo_id is None else self.todos.get(todo_id)

    def update(self, todo_id, changes, check=None):
        return self.todos.update(todo_id, changes, check)

    def delete(self, todo_id, check=None):
        return self.todos.delete(todo_id, check)

    def page(self, page, limit):
        return self.todos.page(page, limit)


STORE = Store(DB)


class SlidingWindowLimiter:
    """At most `limit` requests per key in any `window` seconds (a sliding log).

    Each key keeps the times of its accepted requests; a request is accepted
    when fewer than `limit` of them are younger than `window`. Refused requests
    are not recorded. One lock makes check-and-record atomic, so a concurrent
    burst never gets more than `limit` through.
    """

    def __init__(self, limit, window):
        self.limit = limit
        self.window = window
        self.lock = threading.Lock()
        self.log = {}  # key -> deque of monotonic times, oldest first
        self.last_sweep = time.monotonic()

    def hit(self, key, consume=True):
        """Returns (allowed, remaining, seconds until a slot frees up)."""
        now = time.monotonic()
        with self.lock:
            self.sweep(now)
            times = self.log.setdefault(key, deque())
            while times and times[0] <= now - self.window:
                times.popleft()
            allowed = len(times) < self.limit
            if allowed and consume:
                times.append(now)
            remaining = self.limit - len(times)
            wait = times[0] + self.window - now if times else 0.0
        reset = min(max(1, math.ceil(wait)), math.ceil(self.window))
        return allowed, remaining, reset

    def sweep(self, now):
        # Forget keys that have been quiet for a whole window, once a window.
        if now - self.last_sweep < self.window:
            return
        self.last_sweep = now
        for key in [k for k, t in self.log.items() if not t or t[-1] <= now - self.window]:
            del self.log[key]


class Unauthorized(Exception):
    """The caller is not (or no longer) authenticated (answered with 401)."""


class PreconditionFailed(Exception):
    """If-Match named a version that is no longer current (answered with 412)."""


class Forbidden(Exception):
    """The caller is known but its role may not do this (answered with 403)."""


class Conflict(Exception):
    """The resource already exists (answered with 409)."""


# scrypt with a random 16-byte salt per password; the parameters are stored
# with the hash so they can be raised later without breaking old accounts.
SCRYPT_N, SCRYPT_R, SCRYPT_P = 2 ** 14, 8, 1


def hash_password(password, salt=None, n=SCRYPT_N, r=SCRYPT_R, p=SCRYPT_P):
    salt = salt or secrets.token_bytes(16)
    digest = hashlib.scrypt(password.encode("utf-8"), salt=salt, n=n, r=r, p=p, dklen=32)
    b64 = lambda raw: base64.b64encode(raw).decode("ascii")
    return f"scrypt${n}${r}${p}${b64(salt)}${b64(digest)}"


def verify_password(password, stored):
    _, n, r, p, salt, _ = stored.split("$")
    again = hash_password(password, base64.b64decode(salt), int(n), int(r), int(p))
    return hmac.compare_digest(again, stored)


# Checked against when the username is unknown, so both failures take as long.
DUMMY_HASH = hash_password(secrets.token_urlsafe(16))


class Users:
    """Registered users, stored in SQLite with their scrypt hashes."""

    def __init__(self, db):
        self.users = UserStore(db)

    def register(self, username, password):
        if not self.users.add(username, hash_password(password)):
            raise Conflict("username is already taken")

    def all(self):
        return self.users.all()

    def authenticate(self, username, password):
        stored = self.users.password_hash(username)
        ok = verify_password(password, stored or DUMMY_HASH)
        return username if ok and stored else None


class Sessions:
    """Server-side sessions: an opaque random id (256 bits) -> username."""

    def __init__(self, ttl):
        self.ttl = ttl
        self.lock = threading.Lock()
        self.sessions = {}

    def create(self, username):
        sid = secrets.token_urlsafe(32)
        with self.lock:
            self.sessions[sid] = (username, time.time() + self.ttl)
        return sid

    def lookup(self, sid):
        with self.lock:
            entry = self.sessions.get(sid or "")
            if entry is None:
                return None
            if entry[1] <= time.time():
                del self.sessions[sid]
                return None
            return entry[0]

    def destroy(self, sid):
        with self.lock:
            self.sessions.pop(sid or "", None)


USERS = Users(DB)
SESSIONS = Sessions(SESSION_TTL)


def jwt_secret():
    secret = os.environ.get("JWT_SECRET")
    if secret:
        return secret.encode("utf-8")
    sys.stderr.write("JWT_SECRET is not set: using a random key (tokens die with the process)\n")
    return secrets.token_bytes(32)


JWT_SECRET = jwt_secret()
ACCESS_TOKEN_TTL = env_number("ACCESS_TOKEN_TTL_SECONDS", 900)
ADMINS = frozenset(name.strip() for name in os.environ.get("ADMIN_USERNAMES", "").split(",") if name.strip())


def role_of(username):
    return "admin" if username in ADMINS else "user"


class RefreshTokens:
    """Opaque, single-use refresh tokens: token -> (username, expiry)."""

    def __init__(self, ttl):
        self.ttl = ttl
        self.lock = threading.Lock()
        self.tokens = {}

    def issue(self, username):
        token = secrets.token_urlsafe(32)
        with self.lock:
            self.tokens[token] = (username, time.time() + self.ttl)
        return token

    def redeem(self, token):
        """The token's username, once: it is gone afterwards (rotation)."""
        with self.lock:
            entry = self.tokens.pop(token, None)
        if entry is None or entry[1] <= time.time():
            return None
        return entry[0]


REFRESH_TOKENS = RefreshTokens(REFRESH_TTL)


def token_pair(username):
    now = int(time.time())
    claims = {"sub": username, "role": role_of(username), "iat": now, "exp": now + ACCESS_TOKEN_TTL,
              "jti": uuid.uuid4().hex}
    return {
        "access_token": jwt_hs256.sign(claims, JWT_SECRET),
        "token_type": "Bearer",
        "expires_in": ACCESS_TOKEN_TTL,
        "refresh_token": REFRESH_TOKENS.issue(username),
        "refresh_expires_in": REFRESH_TTL,
    }


class Notes:
    """Notes, each owned by one user, stored in SQLite."""

    def __init__(self, db):
        self.notes = NoteStore(db)

    def create(self, owner, text):
        return self.notes.create(owner, text)

    def of(self, owner):
        return self.notes.of(owner)

    def find(self, raw, owner):
        """The note with id `raw` if `owner` may see it (None: see everything)."""
        note_id = parse_id(raw)
        note = None if note_id is None else self.notes.get(note_id)
        if note is None or (owner is not None and note["owner"] != owner):
            return None
        return note

    def delete(self, note_id):
        return self.notes.delete(note_id)


NOTES = Notes(DB)


def credentials(body):
    username, password = body.get("username"), body.get("password")
    if not isinstance(username, str) or not isinstance(password, str):
        raise BadRequest("username and password are required strings")
    return username, password


LIMITER = SlidingWindowLimiter(env_number("RATE_LIMIT", 100), env_number("RATE_WINDOW_SECONDS", 60, float))
LIMITED = re.compile(r"/(todos|greet)(/.*)?")


def etag_of(todo):
    """A strong validator: a hash of every field of the representation."""
    canonical = json.dumps(todo, sort_keys=True, separators=(",", ":")).encode("utf-8")
    return '"' + hashlib.sha256(canonical).hexdigest()[:32] + '"'


def etag_matches(header, etag, weak):
    """Whether an If-Match / If-None-Match header names etag.

    If-None-Match compares weakly (a W/ prefix is ignored); If-Match strongly
    (a weak tag never matches).
    """
    if header.strip() == "*":
        return True
    for tag in header.split(","):
        tag = tag.strip()
        if tag.startswith("W/"):
            if not weak:
                continue
            tag = tag[2:]
        if tag == etag:
            return True
    return False


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

    # ---- plumbing shared by every response ----

    def send_response(self, code, message=None):
        self.status = code
        super().send_response(code, message)

    def end_headers(self):
        # Added here, not per route, so 404s, 405s, 413s, 500s and even the
        # errors http.server answers by itself carry them.
        for name, value in SECURITY_HEADERS.items():
            self.send_header(name, value)
        for name, value in getattr(self, "extra_headers", {}).items():
            self.send_header(name, value)
        request_id = getattr(self, "request_id", None)
        if request_id:
            self.send_header("x-request-id", request_id)
        origin = self.headers.get("Origin") if getattr(self, "headers", None) else None
        if origin:
            self.send_header("access-control-allow-origin", origin)
            self.send_header("access-control-expose-headers", EXPOSED_HEADERS)
            self.send_header("vary", "Origin")
        self.headers_sent = True
        super().end_headers()

    def log_request(self, code="-", size="-"):
        pass  # replaced by the JSON audit line written in handle_request

    def log_message(self, format, *args):
        sys.stderr.write(f"{self.address_string()} {format % args}\n")

    def __getattr__(self, name):
        # http.server looks up do_<METHOD>; every method goes through the same
        # pipeline, so an unknown method on a known route is a 405, not a 501.
        if name.startswith("do_"):
            return lambda: self.handle_request(name[3:])
        raise AttributeError(name)

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

    def send_error_json(self, status, message, headers=None):
        self.send_json(status, {"error": message, "status": status}, headers)

    def send_empty(self, status, headers=None):
        self.send_response(status)
        for name, val in (headers or {}).items():
            self.send_header(name, val)
        self.end_headers()

    def content_length(self):
        try:
            return max(0, int(self.headers.get("Content-Length") or 0))
        except ValueError:
            return 0

    def read_body(self):
        length = self.content_length()
        if length > MAX_BODY:
            raise PayloadTooLarge()
        self.body_read = True
        return self.rfile.read(length) if length > 0 else b""

    def read_object(self):
        raw = self.read_body()
        try:
            value = json.loads(raw)
        except ValueError:
            raise BadRequest("request body is not valid JSON")
        if not isinstance(value, dict):
            raise BadRequest("body must be a JSON object")
        return value

    def drain_body(self):
        """Drop a body no handler read, so the client can read our answer."""
        remaining = self.content_length()
        if self.body_read or remaining == 0:
            return
        self.body_read = True
        if remaining > DRAIN_LIMIT:
            self.close_connection = True
            return
        while remaining > 0:
            chunk = self.rfile.read(min(remaining, 65536))
            if not chunk:
                break
            remaining -= len(chunk)

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
        self.send_json(201, todo, {"location": f"/todos/{todo['id']}", "etag": etag_of(todo)})

    def get_todo(self, match, query):
        todo = STORE.find(match.group(1))
        if todo is None:
            return self.send_error_json(404, "todo not found")
        headers = {"etag": etag_of(todo), "cache-control": "no-cache"}
        if_none_match = self.headers.get("If-None-Match")
        if if_none_match is not None and etag_matches(if_none_match, headers["etag"], weak=True):
            return self.send_empty(304, headers)
        self.send_json(200, todo, headers)

    def if_match(self):
        """A check for STORE.update/delete enforcing If-Match, or None without one."""
        header = self.headers.get("If-Match")
        if header is None:
            return None

        def check(todo):
            if not etag_matches(header, etag_of(todo), weak=False):
                raise PreconditionFailed("the todo has changed since you read it (If-Match)")
        return check

    def send_todo(self, todo):
        self.send_json(200, todo, {"etag": etag_of(todo), "cache-control": "no-cache"})

    def replace_todo(self, match, query):
        todo = STORE.find(match.group(1))
        if todo is None:
            return self.send_error_json(404, "todo not found")
        body = self.read_object()
        changes = {"title": check_title(body.get("title")), "completed": check_completed(body)}
        updated = STORE.update(todo["id"], changes, self.if_match())
        if updated is None:
            return self.send_error_json(404, "todo not found")
        self.send_todo(updated)

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
        updated = STORE.update(todo["id"], changes, self.if_match())
        if updated is None:
            return self.send_error_json(404, "todo not found")
        self.send_todo(updated)

    def delete_todo(self, match, query):
        todo = STORE.find(match.group(1))
        if todo is None or not STORE.delete(todo["id"], self.if_match()):
            return self.send_error_json(404, "todo not found")
        self.send_empty(204)

    # ---- step 4 ----

    def boom(self, match, query):
        raise RuntimeError("boom: this handler always fails")

    def preflight(self, methods):
        allow = ",".join(["OPTIONS", *methods])
        origin = self.headers.get("Origin")
        wanted = self.headers.get("Access-Control-Request-Method")
        if not (origin and wanted):
            return self.send_empty(204, {"allow": allow})
        self.send_empty(204, {
            "allow": allow,
            "access-control-allow-methods": allow,
            "access-control-allow-headers":
                self.headers.get("Access-Control-Request-Headers") or CORS_DEFAULT_HEADERS,
            "access-control-max-age": "600",
        })

    # ---- step 5 ----

    def rate_limited(self, method, path):
        """Applies the limiter to /todos and /greet; True when the request was refused."""
        if not LIMITED.fullmatch(path):
            return False
        key = self.headers.get("X-API-Key") or "anonymous"
        # A CORS preflight carries no API key in a browser: it is told the
        # quota but does not spend it.
        allowed, remaining, reset = LIMITER.hit(key, consume=method != "OPTIONS")
        self.extra_headers.update({
            "ratelimit-limit": str(LIMITER.limit),
            "ratelimit-remaining": str(remaining),
            "ratelimit-reset": str(reset),
        })
        if allowed:
            return False
        self.send_error_json(429, "too many requests, slow down", {"retry-after": str(reset)})
        return True

    # ---- step 6 ----

    def cookie(self, name):
        for part in self.headers.get("Cookie", "").split(";"):
            key, sep, value = part.strip().partition("=")
            if sep and key == name:
                return value.strip().strip('"')
        return None

    def register(self, match, query):
        username, password = credentials(self.read_object())
        if not USERNAME.fullmatch(username):
            raise BadRequest("username must be 3 to 32 letters, digits or underscores")
        if len(password) < MIN_PASSWORD:
            raise BadRequest(f"password must be at least {MIN_PASSWORD} characters")
        USERS.register(username, password)
        self.send_json(201, {"username": username})

    def login(self, match, query):
        username = USERS.authenticate(*credentials(self.read_object()))
        if username is None:
            raise Unauthorized("invalid username or password")
        sid = SESSIONS.create(username)
        cookie = f"session={sid}; HttpOnly; Path=/; SameSite=Strict; Max-Age={SESSION_TTL}"
        self.send_json(200, {"username": username}, {"set-cookie": cookie, "cache-control": "no-store"})

    def logout(self, match, query):
        SESSIONS.destroy(self.cookie("session"))
        expired = "session=; HttpOnly; Path=/; SameSite=Strict; Max-Age=0; Expires=Thu, 01 Jan 1970 00:00:00 GMT"
        self.send_empty(204, {"set-cookie": expired})

    def profile(self, match, query):
        username = SESSIONS.lookup(self.cookie("session"))
        if username is None:
            raise Unauthorized("not logged in")
        self.send_json(200, {"username": username}, {"cache-control": "no-store"})

    # ---- step 7 ----

    def bearer_claims(self):
        """The verified claims of the request's access token, else Unauthorized."""
        scheme, _, token = self.headers.get("Authorization", "").strip().partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            raise Unauthorized("a bearer access token is required")
        try:
            return jwt_hs256.verify(token.strip(), JWT_SECRET)
        except jwt_hs256.InvalidToken:
            raise Unauthorized("invalid or expired access token")

    def issue_token(self, match, query):
        username = USERS.authenticate(*credentials(self.read_object()))
        if username is None:
            raise Unauthorized("invalid username or password")
        self.send_json(200, token_pair(username), {"cache-control": "no-store"})

    def refresh_token(self, match, query):
        token = self.read_object().get("refresh_token")
        if not isinstance(token, str) or not token:
            raise BadRequest("refresh_token is required")
        username = REFRESH_TOKENS.redeem(token)
        if username is None:
            raise Unauthorized("invalid, expired or already used refresh token")
        self.send_json(200, token_pair(username), {"cache-control": "no-store"})

    def list_notes(self, match, query):
        claims = self.bearer_claims()
        self.send_json(200, NOTES.of(claims["sub"]))

    def create_note(self, match, query):
        claims = self.bearer_claims()
        text = self.read_object().get("text")
        if not isinstance(text, str) or not text.strip():
            raise BadRequest("text is required")
        note = NOTES.create(claims["sub"], text)
        self.send_json(201, note, {"location": f"/notes/{note['id']}"})

    def get_note(self, match, query):
        claims = self.bearer_claims()
        note = NOTES.find(match.group(1), claims["sub"])
        if note is None:
            return self.send_error_json(404, "note not found")
        self.send_json(200, note)

    def delete_note(self, match, query):
        claims = self.bearer_claims()
        # An admin may delete anyone's note; a user only their own.
        owner = None if claims.get("role") == "admin" else claims["sub"]
        note = NOTES.find(match.group(1), owner)
        if note is None or not NOTES.delete(note["id"]):
            return self.send_error_json(404, "note not found")
        self.send_empty(204)

    # ---- step 8 ----

    def admin_users(self, match, query):
        claims = self.bearer_claims()
        if claims.get("role") != "admin":
            raise Forbidden("admin role required")
        users = [{**user, "role": role_of(user["username"])} for user in USERS.all()]
        self.send_json(200, users)

    # ---- routing ----

    ROUTES = [
        (re.compile(r"/"), {"GET": "home"}),
        (re.compile(r"/health"), {"GET": "health"}),
        (re.compile(r"/greet"), {"GET": "greet_query", "POST": "greet_post"}),
        (re.compile(r"/greet/([^/]+)"), {"GET": "greet_path"}),
        (re.compile(r"/todos"), {"GET": "list_todos", "POST": "create_todo"}),
        (re.compile(r"/todos/([^/]+)"),
         {"GET": "get_todo", "PUT": "replace_todo", "PATCH": "patch_todo", "DELETE": "delete_todo"}),
        (re.compile(r"/boom"), {"GET": "boom"}),
        (re.compile(r"/register"), {"POST": "register"}),
        (re.compile(r"/login"), {"POST": "login"}),
        (re.compile(r"/logout"), {"POST": "logout"}),
        (re.compile(r"/profile"), {"GET": "profile"}),
        (re.compile(r"/auth/token"), {"POST": "issue_token"}),
        (re.compile(r"/auth/refresh"), {"POST": "refresh_token"}),
        (re.compile(r"/notes"), {"GET": "list_notes", "POST": "create_note"}),
        (re.compile(r"/notes/([^/]+)"), {"GET": "get_note", "DELETE": "delete_note"}),
        (re.compile(r"/admin/users"), {"GET": "admin_users"}),
    ]

    def route(self, method, path, query):
        for pattern, methods in self.ROUTES:
            match = pattern.fullmatch(path)
            if match is None:
                continue
            if method == "OPTIONS":
                return self.preflight(methods)
            name = methods.get(method)
            if name is None:
                allow = ",".join(["OPTIONS", *methods])
                return self.send_json(405, {"error": "method not allowed"}, {"allow": allow})
            return getattr(self, name)(match, query)
        self.send_error_json(404, "not found")

    def handle_request(self, method):
        started = time.monotonic()
        self.status = None
        self.headers_sent = False
        self.body_read = False
        self.extra_headers = {}
        given = self.headers.get("X-Request-ID", "").strip()
        self.request_id = given if REQUEST_ID.fullmatch(given) else str(uuid.uuid4())
        url = urlsplit(self.path)
        try:
            if not self.rate_limited(method, url.path):
                self.route(method, url.path, parse_qs(url.query, keep_blank_values=True))
        except BadRequest as err:
            self.send_error_json(400, str(err))
        except Unauthorized as err:
            self.send_error_json(401, str(err), {"www-authenticate": 'Bearer realm="coach"'})
        except PreconditionFailed as err:
            self.send_error_json(412, str(err))
        except Forbidden as err:
            self.send_error_json(403, str(err))
        except Conflict as err:
            self.send_error_json(409, str(err))
        except PayloadTooLarge:
            self.close_connection = True
            self.send_error_json(413, f"request body must be at most {MAX_BODY} bytes")
        except Exception:
            # The global error handler: details go to the log, never to the client.
            sys.stderr.write(f"request {self.request_id} failed:\n{traceback.format_exc()}")
            sys.stderr.flush()
            if self.headers_sent:
                self.close_connection = True
            else:
                self.send_error_json(500, "internal server error")
        finally:
            try:
                self.drain_body()
            except OSError:
                self.close_connection = True
            log_line({
                "time": datetime.now(timezone.utc).isoformat(timespec="milliseconds"),
                "request_id": self.request_id,
                "method": method,
                "path": url.path,
                "status": self.status,
                "duration_ms": round((time.monotonic() - started) * 1000, 3),
                "remote": self.client_address[0],
            })


class Server(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 128  # the default of 5 drops connections of a burst


def main():
    port = int(os.environ.get("PORT") or 8080)
    server = Server(("0.0.0.0", port), Handler)
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
