// Step 7: stateless auth with HS256 JSON Web Tokens, written by hand.
//
// Access tokens are JWTs signed with JWT_SECRET (claims sub, role, iat, exp,
// jti);
// refresh tokens are opaque random strings kept in memory, each usable once.
package main

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"log"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"
)

const refreshTTL = 30 * 24 * time.Hour

type claims struct {
	Sub  string `json:"sub"`
	Role string `json:"role"`
	Iat  int64  `json:"iat"`
	Exp  int64  `json:"exp"`
	Jti  string `json:"jti,omitempty"`
}

// jwtHeader is the only header this server issues or accepts.
var jwtHeader = base64.RawURLEncoding.EncodeToString([]byte(`{"alg":"HS256","typ":"JWT"}`))

func sign(secret []byte, input string) []byte {
	mac := hmac.New(sha256.New, secret)
	mac.Write([]byte(input))
	return mac.Sum(nil)
}

func issueJWT(secret []byte, c claims) string {
	payload, _ := json.Marshal(c)
	input := jwtHeader + "." + base64.RawURLEncoding.EncodeToString(payload)
	return input + "." + base64.RawURLEncoding.EncodeToString(sign(secret, input))
}

var errBadToken = errors.New("invalid or expired token")

// verifyJWT checks the header (alg must be HS256: "none" and every other
// algorithm are refused), the signature in constant time, and exp.
func verifyJWT(secret []byte, token string, now time.Time) (claims, error) {
	parts := strings.Split(token, ".")
	if len(parts) != 3 {
		return claims{}, errBadToken
	}
	rawHeader, err := base64.RawURLEncoding.DecodeString(parts[0])
	if err != nil {
		return claims{}, errBadToken
	}
	var header struct {
		Alg string `json:"alg"`
	}
	if json.Unmarshal(rawHeader, &header) != nil || header.Alg != "HS256" {
		return claims{}, errBadToken
	}
	sig, err := base64.RawURLEncoding.DecodeString(parts[2])
	if err != nil || !hmac.Equal(sig, sign(secret, parts[0]+"."+parts[1])) {
		return claims{}, errBadToken
	}
	rawPayload, err := base64.RawURLEncoding.DecodeString(parts[1])
	if err != nil {
		return claims{}, errBadToken
	}
	var payload struct {
		Sub  string   `json:"sub"`
		Role string   `json:"role"`
		Iat  float64  `json:"iat"`
		Exp  *float64 `json:"exp"`
		Nbf  *float64 `json:"nbf"`
		Jti  string   `json:"jti"`
	}
	if json.Unmarshal(rawPayload, &payload) != nil || payload.Sub == "" || payload.Exp == nil {
		return claims{}, errBadToken
	}
	if float64(now.Unix()) >= *payload.Exp {
		return claims{}, errBadToken
	}
	if payload.Nbf != nil && float64(now.Unix()) < *payload.Nbf {
		return claims{}, errBadToken
	}
	if payload.Role != roleAdmin {
		payload.Role = roleUser // tokens without a role claim are users'
	}
	return claims{Sub: payload.Sub, Role: payload.Role, Iat: int64(payload.Iat), Exp: int64(*payload.Exp), Jti: payload.Jti}, nil
}

// jwtSecret is JWT_SECRET or, when it is unset, a random key kept in
// dir/jwt-secret so that tokens survive a restart.
func jwtSecret(dir string) []byte {
	if s := os.Getenv("JWT_SECRET"); s != "" {
		return []byte(s)
	}
	file := filepath.Join(dir, "jwt-secret")
	if key, err := os.ReadFile(file); err == nil && len(key) >= 32 {
		return key
	}
	log.Printf("JWT_SECRET is not set: using a random key saved in %s", file)
	key := []byte(randomToken(32))
	if err := os.WriteFile(file, key, 0o600); err != nil {
		log.Printf("could not save the key (tokens will not survive a restart): %v", err)
	}
	return key
}

type refreshToken struct {
	username string
	expires  time.Time
}

// refreshStore keeps the refresh tokens not yet used.
type refreshStore struct {
	mu     sync.Mutex
	tokens map[string]refreshToken
}

func newRefreshStore() *refreshStore { return &refreshStore{tokens: map[string]refreshToken{}} }

func (s *refreshStore) issue(username string) string {
	token := randomToken(32)
	s.mu.Lock()
	defer s.mu.Unlock()
	s.tokens[token] = refreshToken{username: username, expires: time.Now().Add(refreshTTL)}
	return token
}

// use spends a refresh token: it works once.
func (s *refreshStore) use(token string) (string, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	rt, ok := s.tokens[token]
	delete(s.tokens, token)
	if !ok || time.Now().After(rt.expires) {
		return "", false
	}
	return rt.username, true
}

// tokenPair answers a new access and refresh token for username.
func (s *server) tokenPair(w http.ResponseWriter, username string) {
	now := time.Now()
	access := issueJWT(s.secret, claims{
		Sub:  username,
		Role: s.roleOf(username),
		Iat:  now.Unix(),
		Exp:  now.Add(s.accessTTL).Unix(),
		Jti:  randomToken(12),
	})
	w.Header().Set("Cache-Control", "no-store")
	writeJSON(w, http.StatusOK, map[string]any{
		"access_token":  access,
		"refresh_token": s.refresh.issue(username),
		"token_type":    "Bearer",
		"expires_in":    int(s.accessTTL / time.Second),
	})
}

func (s *server) token(w http.ResponseWriter, r *http.Request) {
	username, password, err := credentials(r)
	if err != nil {
		writeBodyError(w, err)
		return
	}
	if !s.authenticated(w, r, username, password) {
		return
	}
	s.tokenPair(w, username)
}

func (s *server) refreshPair(w http.ResponseWriter, r *http.Request) {
	body, err := readObject(r)
	if err != nil {
		writeBodyError(w, err)
		return
	}
	token, _ := body["refresh_token"].(string)
	username, ok := s.refresh.use(token)
	if !ok {
		writeError(w, http.StatusUnauthorized, "invalid or already used refresh token")
		return
	}
	s.tokenPair(w, username)
}

// bearer checks the request's access token; on failure it answers 401.
func (s *server) bearer(w http.ResponseWriter, r *http.Request) (claims, bool) {
	scheme, token, found := strings.Cut(r.Header.Get("Authorization"), " ")
	if !found || !strings.EqualFold(scheme, "Bearer") {
		w.Header().Set("WWW-Authenticate", `Bearer realm="notes"`)
		writeError(w, http.StatusUnauthorized, "missing bearer token")
		return claims{}, false
	}
	c, err := verifyJWT(s.secret, strings.TrimSpace(token), time.Now())
	if err != nil {
		w.Header().Set("WWW-Authenticate", `Bearer realm="notes", error="invalid_token"`)
		writeError(w, http.StatusUnauthorized, err.Error())
		return claims{}, false
	}
	return c, true
}
