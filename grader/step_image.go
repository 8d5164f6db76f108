package grader

import (
	"context"
	"fmt"
	"strings"

	"go.yaml.in/yaml/v3"

	"github.com/coachcli/coach/exercises"
)

// ImageInspector is a Target built from the learner's Dockerfile that can
// describe the image it runs.
type ImageInspector interface {
	InspectImage(ctx context.Context) (ImageInfo, error)
}

// ImageInfo is what the image step checks. It is an alias of an unnamed
// struct type, so a backend can return the identical struct (declared on
// its side) and satisfy ImageInspector without importing the grader.
type ImageInfo = struct {
	User         string // the image's USER; "" means root
	ExposedPorts []int
	Healthcheck  bool
	SizeBytes    int64
	Language     string // node, go or python: the workspace behind the Dockerfile
}

// ImageStep checks the image built from the learner's Dockerfile.
type ImageStep struct {
	NonRoot     bool
	Exposes     bool
	ExposesPort int // a port that must be exposed, 0 for any
	Healthcheck bool
	MaxSize     map[string]int64 // by language, with "default"
}

var imageKind = kindDef{name: "image", bare: true, make: func() stepKind { return &ImageStep{} }}

func (s *ImageStep) decode(v, _ *yaml.Node) error {
	if v.Tag == "!!null" {
		return nil
	}
	return exercises.DecodeNode(v, s)
}

func (*ImageStep) schema(r *exercises.Reflector) schema { return nullOr(r.Ref(ImageStep{})) }

func (*ImageStep) asserts() bool { return true }

// JSONSchema of an image step.
func (ImageStep) JSONSchema(*exercises.Reflector) schema {
	return object(schema{
		"non_root":    schema{"type": "boolean"},
		"exposes":     schema{"type": "boolean"},
		"port":        schema{"type": "integer", "minimum": 1, "maximum": 65535},
		"healthcheck": schema{"type": "boolean"},
		"max_size": described(mapOf(exercises.Pattern(`^ *[0-9.]+ *([KkMmGg]?[Bb]) *$`), nil),
			"by language (node, go, python) and default: 400MB, 1.5GB"),
	})
}

func (s *ImageStep) UnmarshalYAML(node *yaml.Node) error {
	var raw struct {
		NonRoot     bool              `yaml:"non_root"`
		Exposes     bool              `yaml:"exposes"`
		Port        int               `yaml:"port"`
		Healthcheck bool              `yaml:"healthcheck"`
		MaxSize     map[string]string `yaml:"max_size"`
	}
	if err := exercises.DecodeNode(node, &raw); err != nil {
		return err
	}
	*s = ImageStep{NonRoot: raw.NonRoot, Exposes: raw.Exposes || raw.Port > 0, ExposesPort: raw.Port, Healthcheck: raw.Healthcheck}
	if len(raw.MaxSize) > 0 {
		s.MaxSize = map[string]int64{}
		_, ms := valueOf(node, "max_size")
		for lang, v := range raw.MaxSize {
			n, err := parseSize(v)
			if err != nil {
				return exercises.Errorf(ms, "max_size %s: %v", lang, err)
			}
			s.MaxSize[lang] = n
		}
	}
	return nil
}

// parseSize reads sizes like 400MB or 1.5GB (decimal units, as docker shows).
func parseSize(s string) (int64, error) {
	units := []struct {
		suffix string
		mult   float64
	}{{"GB", 1e9}, {"MB", 1e6}, {"KB", 1e3}, {"B", 1}}
	t := strings.ToUpper(strings.TrimSpace(s))
	for _, u := range units {
		if num, ok := strings.CutSuffix(t, u.suffix); ok {
			var f float64
			if _, err := fmt.Sscanf(strings.TrimSpace(num), "%g", &f); err != nil || f <= 0 {
				break
			}
			return int64(f * u.mult), nil
		}
	}
	return 0, fmt.Errorf("bad size %q: use a number with B, KB, MB or GB", s)
}

func (s *ImageStep) run(ctx context.Context, x *testRun) error {
	ii, ok := x.target.(ImageInspector)
	if !ok {
		return notCheckable("the image built from your Dockerfile")
	}
	info, err := ii.InspectImage(ctx)
	if err != nil {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		return &checkFailure{f: Failure{Check: "image", Expected: "an image to inspect", Actual: err.Error()}}
	}
	x.note = fmt.Sprintf("image size %s", humanSize(info.SizeBytes))
	fail := func(check, exp, act string) error {
		return &checkFailure{f: Failure{Check: "image " + check, Expected: exp, Actual: act}}
	}
	if s.NonRoot && (info.User == "" || info.User == "root" || info.User == "0" || strings.HasPrefix(info.User, "0:") || strings.HasPrefix(info.User, "root:")) {
		return fail("user", "a USER that is not root", fmt.Sprintf("USER %q", info.User))
	}
	if s.Exposes && len(info.ExposedPorts) == 0 {
		return fail("expose", "an EXPOSE line", "no port exposed")
	}
	if s.ExposesPort > 0 && !containsInt(info.ExposedPorts, s.ExposesPort) {
		return fail("expose", fmt.Sprintf("EXPOSE %d", s.ExposesPort), fmt.Sprintf("EXPOSE %v", info.ExposedPorts))
	}
	if s.Healthcheck && !info.Healthcheck {
		return fail("healthcheck", "a HEALTHCHECK", "none")
	}
	if limit, ok := sizeLimit(s.MaxSize, info.Language); ok && info.SizeBytes > limit {
		return fail("size", "at most "+humanSize(limit), humanSize(info.SizeBytes))
	}
	return nil
}

func sizeLimit(m map[string]int64, lang string) (int64, bool) {
	if n, ok := m[lang]; ok {
		return n, true
	}
	n, ok := m["default"]
	return n, ok
}

func humanSize(n int64) string {
	return fmt.Sprintf("%.0f MB", float64(n)/1e6)
}
