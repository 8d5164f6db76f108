// Step 8: roles. ADMIN_USERNAMES names the admins; every access token says
// which role its user had when it was issued, and authorization decisions
// read that claim.
package main

import (
	"net/http"
	"os"
	"strings"
)

const (
	roleAdmin = "admin"
	roleUser  = "user"
)

// adminSet parses ADMIN_USERNAMES (comma-separated, spaces ignored).
func adminSet() map[string]bool {
	admins := map[string]bool{}
	for _, name := range strings.Split(os.Getenv("ADMIN_USERNAMES"), ",") {
		if name = strings.TrimSpace(name); name != "" {
			admins[name] = true
		}
	}
	return admins
}

func (s *server) roleOf(username string) string {
	if s.admins[username] {
		return roleAdmin
	}
	return roleUser
}

type userView struct {
	Username string `json:"username"`
	Role     string `json:"role"`
}

func (s *server) adminUsers(w http.ResponseWriter, r *http.Request) {
	c, ok := s.bearer(w, r)
	if !ok {
		return
	}
	if c.Role != roleAdmin {
		writeError(w, http.StatusForbidden, "admin role required")
		return
	}
	names, err := s.users.names(r.Context())
	if err != nil {
		storeFailed(w, err, "")
		return
	}
	out := []userView{}
	for _, name := range names {
		out = append(out, userView{Username: name, Role: s.roleOf(name)})
	}
	writeJSON(w, http.StatusOK, out)
}
