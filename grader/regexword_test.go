package grader

import (
	"regexp"
	"testing"

	"github.com/stretchr/testify/assert"
)

func TestRegexExpectation(t *testing.T) {
	t.Parallel()
	tests := []struct{ re, want string }{
		{`^(https?://[^/]+)?/todos/[^/?#]+$`, `a string matching /^(https?://[^/]+)?/todos/[^/?#]+$/ (for example /todos/abc)`},
		{`^\d+$`, `a string matching /^\d+$/ (for example 7)`},
		{`^[0-9a-f]{8}-[0-9a-f]{4}$`, `a string matching /^[0-9a-f]{8}-[0-9a-f]{4}$/ (for example aaaaaaaa-aaaa)`},
		{`^Bearer [A-Za-z0-9._-]+$`, `a string matching /^Bearer [A-Za-z0-9._-]+$/ (for example Bearer abc)`},
		{`(?i)^max-age=\d+`, `a string matching /(?i)^max-age=\d+/ (for example max-age=7)`},
	}
	for _, tt := range tests {
		t.Run(tt.re, func(t *testing.T) {
			t.Parallel()
			assert.Equal(t, tt.want, regexExpectation("a string", regexp.MustCompile(tt.re)))
		})
	}
}
