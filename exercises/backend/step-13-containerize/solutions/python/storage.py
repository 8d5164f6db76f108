"""Persistence with the standard library's sqlite3: todos, users and notes in
one database file under $DATA_DIR.

One connection guarded by one lock serializes every statement, so concurrent
requests never interleave a read-modify-write. The connection runs in
autocommit mode: each write is its own transaction, committed (and synced,
synchronous=FULL) before the method returns, so a write the server has
acknowledged survives a restart. AUTOINCREMENT ids are never reused, not even
after the newest row was deleted and the server restarted.
"""

import sqlite3
import threading
from datetime import datetime, timezone

SCHEMA = """
CREATE TABLE IF NOT EXISTS todos (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    title      TEXT    NOT NULL,
    completed  INTEGER NOT NULL DEFAULT 0,
    created_at TEXT    NOT NULL
);
CREATE TABLE IF NOT EXISTS users (
    seq        INTEGER PRIMARY KEY AUTOINCREMENT,
    username   TEXT    NOT NULL UNIQUE,
    password   TEXT    NOT NULL,
    created_at TEXT    NOT NULL
);
CREATE TABLE IF NOT EXISTS notes (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    owner      TEXT    NOT NULL REFERENCES users(username),
    text       TEXT    NOT NULL,
    created_at TEXT    NOT NULL
);
CREATE INDEX IF NOT EXISTS notes_owner ON notes(owner, id);
"""


def now_iso():
    return datetime.now(timezone.utc).isoformat()


class Database:
    def __init__(self, path):
        self.lock = threading.Lock()
        self.conn = sqlite3.connect(path, check_same_thread=False, isolation_level=None)
        self.conn.row_factory = sqlite3.Row
        with self.lock:
            self.conn.execute("PRAGMA journal_mode=WAL")
            self.conn.execute("PRAGMA synchronous=FULL")
            self.conn.execute("PRAGMA busy_timeout=5000")
            self.conn.executescript(SCHEMA)

    def close(self):
        with self.lock:
            self.conn.close()


def todo_of(row):
    return {"id": row["id"], "title": row["title"], "completed": bool(row["completed"]),
            "created_at": row["created_at"]}


class TodoStore:
    def __init__(self, db):
        self.db = db

    def create(self, title, completed):
        with self.db.lock:
            cur = self.db.conn.execute(
                "INSERT INTO todos (title, completed, created_at) VALUES (?, ?, ?)",
                (title, int(completed), now_iso()))
            return self._get(cur.lastrowid)

    def _get(self, todo_id):
        row = self.db.conn.execute("SELECT * FROM todos WHERE id = ?", (todo_id,)).fetchone()
        return todo_of(row) if row else None

    def get(self, todo_id):
        with self.db.lock:
            return self._get(todo_id)

    def update(self, todo_id, changes, check=None):
        """Applies changes (title and/or completed); None when the todo is gone.

        check(todo), if given, runs under the lock before the write and may
        raise to refuse it: a precondition can never see a stale version.
        """
        with self.db.lock:
            todo = self._get(todo_id)
            if todo is None:
                return None
            if check:
                check(todo)
            todo.update(changes)
            self.db.conn.execute("UPDATE todos SET title = ?, completed = ? WHERE id = ?",
                                 (todo["title"], int(todo["completed"]), todo_id))
            return todo

    def delete(self, todo_id, check=None):
        """The deleted todo, or None when it was not there."""
        with self.db.lock:
            todo = self._get(todo_id)
            if todo is None:
                return None
            if check:
                check(todo)
            self.db.conn.execute("DELETE FROM todos WHERE id = ?", (todo_id,))
            return todo

    def page(self, page, limit):
        with self.db.lock:
            rows = self.db.conn.execute("SELECT * FROM todos ORDER BY id LIMIT ? OFFSET ?",
                                        (limit, (page - 1) * limit)).fetchall()
            total = self.db.conn.execute("SELECT COUNT(*) FROM todos").fetchone()[0]
        return [todo_of(r) for r in rows], total


class UserStore:
    def __init__(self, db):
        self.db = db

    def add(self, username, password_hash):
        """False when the username is taken."""
        with self.db.lock:
            try:
                self.db.conn.execute("INSERT INTO users (username, password, created_at) VALUES (?, ?, ?)",
                                     (username, password_hash, now_iso()))
            except sqlite3.IntegrityError:
                return False
            return True

    def password_hash(self, username):
        with self.db.lock:
            row = self.db.conn.execute("SELECT password FROM users WHERE username = ?", (username,)).fetchone()
        return row["password"] if row else None

    def all(self):
        with self.db.lock:
            rows = self.db.conn.execute("SELECT username, created_at FROM users ORDER BY seq").fetchall()
        return [{"username": r["username"], "created_at": r["created_at"]} for r in rows]


def note_of(row):
    return {"id": row["id"], "text": row["text"], "owner": row["owner"], "created_at": row["created_at"]}


class NoteStore:
    def __init__(self, db):
        self.db = db

    def create(self, owner, text):
        with self.db.lock:
            cur = self.db.conn.execute("INSERT INTO notes (owner, text, created_at) VALUES (?, ?, ?)",
                                       (owner, text, now_iso()))
            row = self.db.conn.execute("SELECT * FROM notes WHERE id = ?", (cur.lastrowid,)).fetchone()
        return note_of(row)

    def of(self, owner):
        with self.db.lock:
            rows = self.db.conn.execute("SELECT * FROM notes WHERE owner = ? ORDER BY id", (owner,)).fetchall()
        return [note_of(r) for r in rows]

    def get(self, note_id):
        with self.db.lock:
            row = self.db.conn.execute("SELECT * FROM notes WHERE id = ?", (note_id,)).fetchone()
        return note_of(row) if row else None

    def delete(self, note_id):
        with self.db.lock:
            return self.db.conn.execute("DELETE FROM notes WHERE id = ?", (note_id,)).rowcount == 1
