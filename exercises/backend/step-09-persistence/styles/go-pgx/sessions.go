// Step 6: accounts and server-side sessions.
//
// Passwords are hashed with PBKDF2-HMAC-SHA256 and a random 16-byte salt per
// user; users are rows of the users table (step 9, pgstore.go). Session ids are 256
// random bits, kept in memory with the username they belong to, and sent in
// an HttpOnly, SameSite=Strict cookie.
package main

import (
	"crypto/pbkdf2"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"net/http"
	"regexp"
	"sync"
	"time"
	"unicode/utf8"
)

const (
	hashIterations = 100_000
	minPassword    = 8
	sessionTTL     = 24 * time.Hour
	sessionCookie  = "session"
)

var validUsername = regexp.MustCompile(`^[A-Za-z0-9_]{3,32}$`)

type user struct {
	Username   string `json:"username"`
	Salt       []byte `json:"salt"`
	Hash       []byte `json:"hash"`
	Iterations int    `json:"iterations"`
}

func hashPassword(password string, salt []byte, iterations int) []byte {
	key, err := pbkdf2.Key(sha256.New, password, salt, iterations, 32)
	if err != nil {
		panic(err) // only for parameters FIPS mode forbids
	}
	return key
}

func newUser(username, password string) *user {
	salt := make([]byte, 16)
	rand.Read(salt)
	return &user{Username: username, Salt: salt, Hash: hashPassword(password, salt, hashIterations), Iterations: hashIterations}
}

// dummy is hashed against when the username is unknown, so a wrong username
// takes as long as a wrong password.
var dummy = newUser("dummy", "not a real password")

func (u *user) check(password string) bool {
	return subtle.ConstantTimeCompare(hashPassword(password, u.Salt, u.Iterations), u.Hash) == 1
}

type session struct {
	username string
	expires  time.Time
}

type sessionStore struct {
	mu   sync.Mutex
	byID map[string]session
}

func newSessionStore() *sessionStore { return &sessionStore{byID: map[string]session{}} }

// randomToken returns n random bytes, base64url-encoded.
func randomToken(n int) string {
	b := make([]byte, n)
	rand.Read(b)
	return base64.RawURLEncoding.EncodeToString(b)
}

func (s *sessionStore) create(username string) (string, time.Time) {
	id := randomToken(32)
	expires := time.Now().Add(sessionTTL)
	s.mu.Lock()
	defer s.mu.Unlock()
	s.byID[id] = session{username: username, expires: expires}
	return id, expires
}

func (s *sessionStore) lookup(id string) (string, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	sess, ok := s.byID[id]
	if !ok {
		return "", false
	}
	if time.Now().After(sess.expires) {
		delete(s.byID, id)
		return "", false
	}
	return sess.username, true
}

func (s *sessionStore) end(id string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.byID, id)
}

// credentials reads {"username","password"} as strings; a body that is not a
// JSON object is an error.
func credentials(r *http.Request) (username, password string, err error) {
	body, err := readObject(r)
	if err != nil {
		return "", "", err
	}
	username, _ = body["username"].(string)
	password, _ = body["password"].(string)
	return username, password, nil
}

func (s *server) register(w http.ResponseWriter, r *http.Request) {
	username, password, err := credentials(r)
	if err != nil {
		writeBodyError(w, err)
		return
	}
	if !validUsername.MatchString(username) {
		writeError(w, http.StatusBadRequest, "username must be 3 to 32 letters, digits or underscores")
		return
	}
	if utf8.RuneCountInString(password) < minPassword {
		writeError(w, http.StatusBadRequest, "password must be at least 8 characters")
		return
	}
	if err := s.users.add(r.Context(), newUser(username, password)); errors.Is(err, errTaken) {
		writeError(w, http.StatusConflict, err.Error())
		return
	} else if err != nil {
		storeFailed(w, err, "")
		return
	}
	w.Header().Set("Location", "/profile")
	writeJSON(w, http.StatusCreated, map[string]string{"username": username})
}

func (s *server) login(w http.ResponseWriter, r *http.Request) {
	username, password, err := credentials(r)
	if err != nil {
		writeBodyError(w, err)
		return
	}
	if !s.authenticated(w, r, username, password) {
		return
	}
	id, expires := s.sessions.create(username)
	http.SetCookie(w, &http.Cookie{
		Name:     sessionCookie,
		Value:    id,
		Path:     "/",
		Expires:  expires,
		MaxAge:   int(sessionTTL / time.Second),
		HttpOnly: true,
		SameSite: http.SameSiteStrictMode,
	})
	writeJSON(w, http.StatusOK, map[string]string{"username": username})
}

// authenticated checks a username and password; when they do not match it
// answers 401 (500 when the database failed) and returns false.
func (s *server) authenticated(w http.ResponseWriter, r *http.Request, username, password string) bool {
	ok, err := s.users.authenticate(r.Context(), username, password)
	if err != nil {
		storeFailed(w, err, "")
		return false
	}
	if !ok {
		writeError(w, http.StatusUnauthorized, "invalid username or password")
	}
	return ok
}

// currentUser is the username of the request's session cookie, if valid.
func (s *server) currentUser(r *http.Request) (string, bool) {
	c, err := r.Cookie(sessionCookie)
	if err != nil || c.Value == "" {
		return "", false
	}
	return s.sessions.lookup(c.Value)
}

func (s *server) profile(w http.ResponseWriter, r *http.Request) {
	username, ok := s.currentUser(r)
	if !ok {
		writeError(w, http.StatusUnauthorized, "not logged in")
		return
	}
	writeJSON(w, http.StatusOK, map[string]string{"username": username})
}

func (s *server) logout(w http.ResponseWriter, r *http.Request) {
	if c, err := r.Cookie(sessionCookie); err == nil {
		s.sessions.end(c.Value)
	}
	http.SetCookie(w, &http.Cookie{
		Name:     sessionCookie,
		Value:    "",
		Path:     "/",
		Expires:  time.Unix(0, 0),
		MaxAge:   -1,
		HttpOnly: true,
		SameSite: http.SameSiteStrictMode,
	})
	w.WriteHeader(http.StatusNoContent)
}
