// Step 9: persistence in PostgreSQL. coach.yaml declares `services:
// [postgres]`, so coach runs a database beside the server and sets
// DATABASE_URL. Todos, users and notes are tables, created at start if they
// are missing. Every change is one SQL statement that has committed before
// the client gets its answer, and ids come from identity columns, whose
// sequences Postgres never winds back: an id is never handed out twice,
// across restarts too. Concurrent requests each take a connection from the
// pool; the database keeps their statements apart, so no lock is needed here.
package main

import (
	"context"
	"errors"
	"fmt"
	"log"
	"net/http"
	"os"
	"strconv"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
)

var errNotFound = errors.New("not found")

// schema creates the tables the first time and leaves them alone after.
const schema = `
CREATE TABLE IF NOT EXISTS todos (
	id        integer GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
	title     text    NOT NULL,
	completed boolean NOT NULL DEFAULT false
);
CREATE TABLE IF NOT EXISTS users (
	seq        integer GENERATED ALWAYS AS IDENTITY,
	username   text PRIMARY KEY,
	salt       bytea   NOT NULL,
	hash       bytea   NOT NULL,
	iterations integer NOT NULL
);
CREATE TABLE IF NOT EXISTS notes (
	id    integer GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
	owner text NOT NULL REFERENCES users (username),
	text  text NOT NULL
);`

// openDatabase connects to $DATABASE_URL and creates the tables. It waits a
// little for a database that is still starting.
func openDatabase(ctx context.Context) (*pgxpool.Pool, error) {
	url := os.Getenv("DATABASE_URL")
	if url == "" {
		return nil, errors.New("DATABASE_URL is not set: declare `services: [postgres]` in coach.yaml")
	}
	pool, err := pgxpool.New(ctx, url)
	if err != nil {
		return nil, fmt.Errorf("parse DATABASE_URL: %w", err)
	}
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	for {
		_, err = pool.Exec(ctx, schema)
		if err == nil {
			return pool, nil
		}
		select {
		case <-ctx.Done():
			pool.Close()
			return nil, fmt.Errorf("create the tables: %w", err)
		case <-time.After(200 * time.Millisecond):
		}
	}
}

// rowID parses an id from a path; false for one no row can have (ids are
// positive 32-bit integers, written without leading zeros).
func rowID(s string) (int32, bool) {
	n, err := strconv.ParseInt(s, 10, 32)
	if err != nil || n < 1 || strconv.FormatInt(n, 10) != s {
		return 0, false
	}
	return int32(n), true
}

// one turns "no rows" into errNotFound.
func one(err error) error {
	if errors.Is(err, pgx.ErrNoRows) {
		return errNotFound
	}
	return err
}

// ---- todos ----

// store keeps todos in the todos table; their order is the id order, which
// is creation order.
type store struct {
	db *pgxpool.Pool
}

// A todo is read as it is answered; its id is text, as in the other steps.
// The output column id::text is named id, and a bare ORDER BY id would sort
// that text ("10" before "9"): order by todos.id, the integer.
const todoColumns = "id::text, title, completed"

func scanTodo(row pgx.Row) (Todo, error) {
	var t Todo
	err := row.Scan(&t.ID, &t.Title, &t.Completed)
	return t, one(err)
}

func (s *store) create(ctx context.Context, title string, completed bool) (Todo, error) {
	return scanTodo(s.db.QueryRow(ctx,
		"INSERT INTO todos (title, completed) VALUES ($1, $2) RETURNING "+todoColumns, title, completed))
}

func (s *store) get(ctx context.Context, id string) (Todo, error) {
	n, ok := rowID(id)
	if !ok {
		return Todo{}, errNotFound
	}
	return scanTodo(s.db.QueryRow(ctx, "SELECT "+todoColumns+" FROM todos WHERE id = $1", n))
}

// update sets the fields that are not nil, reading and writing in one
// statement, so a concurrent update of the other field is not undone.
func (s *store) update(ctx context.Context, id string, title *string, completed *bool) (Todo, error) {
	n, ok := rowID(id)
	if !ok {
		return Todo{}, errNotFound
	}
	return scanTodo(s.db.QueryRow(ctx,
		"UPDATE todos SET title = coalesce($2, title), completed = coalesce($3, completed) WHERE id = $1 RETURNING "+todoColumns,
		n, title, completed))
}

func (s *store) delete(ctx context.Context, id string) error {
	n, ok := rowID(id)
	if !ok {
		return errNotFound
	}
	tag, err := s.db.Exec(ctx, "DELETE FROM todos WHERE id = $1", n)
	if err == nil && tag.RowsAffected() == 0 {
		err = errNotFound
	}
	return err
}

// page returns one page of todos and the total, read in one transaction so
// both see the same todos.
func (s *store) page(ctx context.Context, page, limit int) ([]Todo, int, error) {
	out := []Todo{}
	total := 0
	err := pgx.BeginTxFunc(ctx, s.db, pgx.TxOptions{IsoLevel: pgx.RepeatableRead, AccessMode: pgx.ReadOnly}, func(tx pgx.Tx) error {
		if err := tx.QueryRow(ctx, "SELECT count(*) FROM todos").Scan(&total); err != nil {
			return err
		}
		rows, err := tx.Query(ctx, "SELECT "+todoColumns+" FROM todos ORDER BY todos.id LIMIT $1 OFFSET $2", limit, (page-1)*limit)
		if err != nil {
			return err
		}
		out, err = pgx.CollectRows(rows, func(r pgx.CollectableRow) (Todo, error) { return scanTodo(r) })
		return err
	})
	return out, total, err
}

// ---- users ----

// userStore keeps users in the users table.
type userStore struct {
	db *pgxpool.Pool
}

var errTaken = errors.New("username is already taken")

// add stores u unless its username is taken; the primary key decides
// between two registrations of one name at once.
func (s *userStore) add(ctx context.Context, u *user) error {
	tag, err := s.db.Exec(ctx,
		"INSERT INTO users (username, salt, hash, iterations) VALUES ($1, $2, $3, $4) ON CONFLICT (username) DO NOTHING",
		u.Username, u.Salt, u.Hash, u.Iterations)
	if err == nil && tag.RowsAffected() == 0 {
		err = errTaken
	}
	return err
}

// authenticate checks a username and password in about the same time
// whether or not the user exists.
func (s *userStore) authenticate(ctx context.Context, username, password string) (bool, error) {
	var u user
	err := s.db.QueryRow(ctx, "SELECT username, salt, hash, iterations FROM users WHERE username = $1", username).
		Scan(&u.Username, &u.Salt, &u.Hash, &u.Iterations)
	if errors.Is(err, pgx.ErrNoRows) {
		dummy.check(password)
		return false, nil
	}
	if err != nil {
		return false, err
	}
	return u.check(password), nil
}

// names lists usernames in registration order.
func (s *userStore) names(ctx context.Context) ([]string, error) {
	rows, err := s.db.Query(ctx, "SELECT username FROM users ORDER BY seq")
	if err != nil {
		return nil, err
	}
	return pgx.CollectRows(rows, pgx.RowTo[string])
}

// ---- notes ----

// noteStore keeps notes in the notes table.
type noteStore struct {
	db *pgxpool.Pool
}

const noteColumns = "id::text, text, owner"

func scanNote(row pgx.Row) (note, error) {
	var n note
	err := row.Scan(&n.ID, &n.Text, &n.Owner)
	return n, one(err)
}

func (s *noteStore) create(ctx context.Context, owner, text string) (note, error) {
	return scanNote(s.db.QueryRow(ctx, "INSERT INTO notes (owner, text) VALUES ($1, $2) RETURNING "+noteColumns, owner, text))
}

func (s *noteStore) list(ctx context.Context, owner string) ([]note, error) {
	rows, err := s.db.Query(ctx, "SELECT "+noteColumns+" FROM notes WHERE owner = $1 ORDER BY notes.id", owner)
	if err != nil {
		return nil, err
	}
	return pgx.CollectRows(rows, func(r pgx.CollectableRow) (note, error) { return scanNote(r) })
}

// get finds a note of owner; other users' notes do not exist for them.
func (s *noteStore) get(ctx context.Context, owner, id string) (note, error) {
	n, ok := rowID(id)
	if !ok {
		return note{}, errNotFound
	}
	return scanNote(s.db.QueryRow(ctx, "SELECT "+noteColumns+" FROM notes WHERE id = $1 AND owner = $2", n, owner))
}

// delete removes a note of owner, or any note when asAdmin.
func (s *noteStore) delete(ctx context.Context, owner, id string, asAdmin bool) error {
	n, ok := rowID(id)
	if !ok {
		return errNotFound
	}
	tag, err := s.db.Exec(ctx, "DELETE FROM notes WHERE id = $1 AND (owner = $2 OR $3)", n, owner, asAdmin)
	if err == nil && tag.RowsAffected() == 0 {
		err = errNotFound
	}
	return err
}

// storeFailed answers an error from a store: 404 with notFound, or 500 when
// the database failed (nothing was changed then).
func storeFailed(w http.ResponseWriter, err error, notFound string) {
	if errors.Is(err, errNotFound) {
		writeError(w, http.StatusNotFound, notFound)
		return
	}
	log.Printf("database error: %v", err)
	writeError(w, http.StatusInternalServerError, "could not reach the database")
}

// dataDir is $DATA_DIR (./data when unset), created if needed; only the
// generated JWT key lives there.
func dataDir() string {
	dir := os.Getenv("DATA_DIR")
	if dir == "" {
		dir = "data"
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		log.Fatalf("data directory: %v", err)
	}
	return dir
}
