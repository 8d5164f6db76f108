package grader

import (
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/golang-jwt/jwt/v5"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func render(t *testing.T, r *renderer, src string, data map[string]any) string {
	t.Helper()
	tmpl, err := newTemplate("test", src)
	require.NoError(t, err)
	out, err := tmpl.text(r, data)
	require.NoError(t, err)
	return out
}

const randomSrc = `{{ randInt 1 1000000 }} {{ randString 16 }} {{ randWord }} {{ randWords 4 }} {{ uuid }}`

func TestTemplateSeed(t *testing.T) {
	t.Parallel()
	a := render(t, newRenderer(7), randomSrc, nil)
	b := render(t, newRenderer(7), randomSrc, nil)
	c := render(t, newRenderer(8), randomSrc, nil)
	assert.Equal(t, a, b, "same seed, same values")
	assert.NotEqual(t, a, c, "different seed, different values")
	// A second draw from the same renderer moves on.
	r := newRenderer(7)
	assert.NotEqual(t, render(t, r, randomSrc, nil), render(t, r, randomSrc, nil))
}

func TestTemplateFunctions(t *testing.T) {
	t.Parallel()
	r := newRenderer(1)
	data := map[string]any{"n": normalize(5), "env": map[string]string{"JWT_SECRET": "k"}, "port": 8080}

	n, err := strconv.Atoi(render(t, r, `{{ randInt 3 5 }}`, nil))
	require.NoError(t, err)
	assert.True(t, n >= 3 && n <= 5)
	assert.Regexp(t, `^[a-zA-Z0-9]{12}$`, render(t, r, `{{ randString 12 }}`, nil))
	assert.Regexp(t, `^[a-z]+$`, render(t, r, `{{ randWord }}`, nil))
	assert.Len(t, strings.Fields(render(t, r, `{{ randWords 3 }}`, nil)), 3)
	assert.Regexp(t, `^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$`, render(t, r, `{{ uuid }}`, nil))
	assert.Equal(t, "ababab", render(t, r, `{{ repeat "ab" 3 }}`, nil))
	assert.Regexp(t, `^1[0-9]{9}$`, render(t, r, `{{ now }}`, nil))
	assert.Equal(t, "7 3", render(t, r, `{{ add .n 2 }} {{ sub .n 2 }}`, data))
	assert.Equal(t, `{"a":1,"b":"x"}`, render(t, r, `{{ toJSON (dict "a" 1 "b" "x") }}`, nil))
	assert.Equal(t, "8080 k", render(t, r, `{{ .port }} {{ .env.JWT_SECRET }}`, data))

	tok := render(t, r, `{{ jwt .env.JWT_SECRET (dict "sub" "ada" "exp" (add now 60)) }}`, data)
	parsed, err := jwt.Parse(tok, func(*jwt.Token) (any, error) { return []byte("k"), nil }, jwt.WithValidMethods([]string{"HS256"}))
	require.NoError(t, err)
	sub, _ := parsed.Claims.GetSubject()
	assert.Equal(t, "ada", sub)

	none := render(t, r, `{{ jwtNone (dict "sub" "root") }}`, nil)
	assert.Regexp(t, regexp.MustCompile(`^eyJ[^.]+\.eyJ[^.]+\.$`), none)
	assert.Equal(t, "root", render(t, r, `{{ (jwtDecode "`+none+`").sub }}`, nil))
}

func TestTemplateErrors(t *testing.T) {
	t.Parallel()
	r := newRenderer(1)
	for src, want := range map[string]string{
		`{{ randInt 5 1 }}`:       "randInt: max 1 is below min 5",
		`{{ repeat "a" -1 }}`:     "repeat: bad count -1",
		`{{ dict "a" }}`:          "dict: needs key value pairs",
		`{{ jwtDecode "nope" }}`:  "jwtDecode:",
		`{{ .missing }}`:          `map has no entry for key "missing"`,
		`{{ jwt "k" "notamap" }}`: "claims must be a map",
	} {
		tmpl, err := newTemplate("test", src)
		require.NoError(t, err, src)
		_, err = tmpl.text(r, map[string]any{})
		require.Error(t, err, src)
		assert.Contains(t, err.Error(), want, src)
	}
	_, err := newTemplate("test", `{{ nope }}`)
	assert.EqualError(t, err, `bad template "{{ nope }}": 1: function "nope" not defined`)
}

// A lone variable keeps its JSON type; anything else is text.
func TestTemplateValueKeepsType(t *testing.T) {
	t.Parallel()
	r := newRenderer(1)
	data := map[string]any{"id": normalize(42), "ok": true, "obj": map[string]any{"a": normalize(1)}}
	for src, want := range map[string]any{
		`{{ .id }}`:        normalize(42),
		`{{.ok}}`:          true,
		`{{ .obj }}`:       map[string]any{"a": normalize(1)},
		`{{ .obj.a }}`:     normalize(1),
		`id {{ .id }}`:     "id 42",
		`{{ .id }}{{ 1 }}`: "421",
	} {
		tmpl, err := newTemplate("test", src)
		require.NoError(t, err)
		got, err := tmpl.value(r, data)
		require.NoError(t, err)
		assert.Equal(t, want, got, src)
	}
}
