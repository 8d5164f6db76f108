// Step 10: HTTP caching. A todo's ETag is a strong validator derived from
// its content (a hash of its JSON), so it changes whenever the todo does and
// survives restarts without being stored.
package main

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"strings"
)

var errPrecondition = errors.New("the todo has changed: If-Match does not match its current ETag")

func etagOf(t Todo) string {
	data, _ := json.Marshal(t)
	sum := sha256.Sum256(data)
	return `"` + hex.EncodeToString(sum[:12]) + `"`
}

// etagMatches reports whether an If-Match or If-None-Match list names etag
// (or is "*"). If-None-Match compares weakly (W/ ignored); If-Match strongly
// (weak tags never match).
func etagMatches(list, etag string, weak bool) bool {
	for _, tag := range strings.Split(list, ",") {
		tag = strings.TrimSpace(tag)
		if tag == "*" {
			return true
		}
		if strings.HasPrefix(tag, "W/") {
			if !weak {
				continue
			}
			tag = tag[2:]
		}
		if tag == etag {
			return true
		}
	}
	return false
}
