package grader

import (
	"regexp"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.yaml.in/yaml/v3"

	"github.com/coachcli/coach/exercises"
)

// TestSchemaKeysMatchDecoders holds the suite schema to the decoders: for
// each type, the keys the schema allows are exactly the keys its decoder
// lists as known when it meets an unknown one.
func TestSchemaKeysMatchDecoders(t *testing.T) {
	t.Parallel()
	doc := exercises.NewReflector().Document("urn:x", "", "", Suite{})
	defs := doc["definitions"].(exercises.Schema)
	props := func(s exercises.Schema) []string {
		var out []string
		for k := range s["properties"].(exercises.Schema) {
			out = append(out, k)
		}
		return out
	}
	def := func(name string) []string { return props(defs[name].(exercises.Schema)) }
	var stepKeys []string
	for _, v := range defs["Step"].(exercises.Schema)["oneOf"].([]any) {
		for _, k := range props(v.(exercises.Schema)) {
			if !slices.Contains(stepKeys, k) {
				stepKeys = append(stepKeys, k)
			}
		}
	}
	matcher := defs["Matcher"].(exercises.Schema)["anyOf"].([]any)[1].(exercises.Schema)

	unknown := func(src string) *yaml.Node {
		var n yaml.Node
		require.NoError(t, yaml.Unmarshal([]byte(src), &n))
		return n.Content[0]
	}
	u := func() *yaml.Node { return unknown("{zz_unknown: 1}") }
	tests := []struct {
		name   string
		decode func() error
		want   []string
	}{
		{"suite", func() error { return (&Suite{}).UnmarshalYAML(u()) }, props(doc)},
		{"test", func() error { return (&Test{}).UnmarshalYAML(u()) }, def("Test")},
		{"step", func() error { return (&Step{}).UnmarshalYAML(u()) }, stepKeys},
		{"request", func() error { return (&Request{}).UnmarshalYAML(u()) }, def("Request")},
		{"expect", func() error { return (&Expect{}).UnmarshalYAML(u()) }, def("Expect")},
		{"matcher", func() error { return (&Matcher{}).UnmarshalYAML(u()) }, props(matcher)},
		{"cookie", func() error { return (&cookieChecks{}).UnmarshalYAML(unknown("{c: {zz_unknown: 1}}")) }, def("CookieCheck")},
		{"capture", func() error { _, err := decodeCapture("x", u()); return err }, def("Capture")},
		{"burst", func() error { return (&Burst{}).UnmarshalYAML(u()) }, def("Burst")},
		{"logs", func() error { return (&LogsStep{}).UnmarshalYAML(u()) }, def("LogsStep")},
		{"json_lines", func() error { return (&JSONLines{}).decode(u()) }, def("JSONLines")},
		{"exit", func() error { return (&ExitStep{}).UnmarshalYAML(u()) }, def("ExitStep")},
		{"sse_open", func() error { return (&SSEOpen{}).UnmarshalYAML(u()) }, def("SSEOpen")},
		{"sse_expect", func() error { return (&SSEExpect{}).UnmarshalYAML(u()) }, def("SSEExpect")},
		{"image", func() error { return (&ImageStep{}).UnmarshalYAML(u()) }, def("ImageStep")},
	}
	knownRE := regexp.MustCompile(`known: ([^)]*)\)`)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			err := tt.decode()
			require.Error(t, err)
			m := knownRE.FindStringSubmatch(err.Error())
			require.NotNil(t, m, err.Error())
			known := strings.Split(m[1], ", ")
			sort.Strings(known)
			sort.Strings(tt.want)
			assert.Equal(t, known, tt.want)
		})
	}
}
