package grader

import (
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"strconv"
	"strings"
	"sync"
	"text/template"
	"text/template/parse"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"go.yaml.in/yaml/v3"

	"github.com/coachcli/coach/exercises"
)

// Template is a string from a suite, parsed as a text/template at load
// time so a typo fails the load, not the run.
type Template struct {
	src   string
	tmpl  *template.Template // nil when src has no actions
	field []string           // set when src is exactly {{ .a.b }}
	node  *yaml.Node         // where it was written, for lint
}

// parseFuncs has the names of every template function; parsing only
// needs the names, the run binds seeded implementations.
var parseFuncs = newRenderer(0).funcs

// UnmarshalYAML accepts any scalar; `page: 1` is the text "1".
func (t *Template) UnmarshalYAML(node *yaml.Node) error {
	p, err := parseTemplate(node)
	if err != nil {
		return err
	}
	*t = *p
	return nil
}

func parseTemplate(node *yaml.Node) (*Template, error) {
	for node.Kind == yaml.AliasNode && node.Alias != nil {
		node = node.Alias
	}
	if node.Kind != yaml.ScalarNode {
		return nil, exercises.Errorf(node, "expected a string, got a %s", kindName(node))
	}
	t, err := newTemplate(fmt.Sprintf("line %d", node.Line), node.Value)
	if err != nil {
		return nil, exercises.Errorf(node, "%v", err)
	}
	t.node = node
	return t, nil
}

func newTemplate(name, src string) (*Template, error) {
	t := &Template{src: src}
	if !strings.Contains(src, "{{") {
		return t, nil
	}
	tmpl, err := template.New(name).Option("missingkey=error").Funcs(parseFuncs).Parse(src)
	if err != nil {
		msg := strings.TrimPrefix(err.Error(), "template: "+name+":")
		return nil, fmt.Errorf("bad template %q: %s", src, msg)
	}
	t.tmpl = tmpl
	t.field = singleField(tmpl.Tree)
	return t, nil
}

// singleField returns the variable path when the whole template is one
// {{ .a.b }} action: such a string keeps the variable's JSON type.
func singleField(tree *parse.Tree) []string {
	if tree == nil || tree.Root == nil || len(tree.Root.Nodes) != 1 {
		return nil
	}
	act, ok := tree.Root.Nodes[0].(*parse.ActionNode)
	if !ok || len(act.Pipe.Decl) > 0 || len(act.Pipe.Cmds) != 1 || len(act.Pipe.Cmds[0].Args) != 1 {
		return nil
	}
	f, ok := act.Pipe.Cmds[0].Args[0].(*parse.FieldNode)
	if !ok {
		return nil
	}
	return f.Ident
}

// String returns the template source.
func (t *Template) String() string { return t.src }

func (t *Template) isConst() bool { return t.tmpl == nil }

// text renders the template to a string.
func (t *Template) text(r *renderer, data map[string]any) (string, error) {
	if t.tmpl == nil {
		return t.src, nil
	}
	return r.exec(t, data)
}

// value renders the template, keeping the type of a lone variable.
func (t *Template) value(r *renderer, data map[string]any) (any, error) {
	if t.field != nil {
		if v, ok := lookup(data, t.field); ok {
			return normalize(v), nil
		}
	}
	return t.text(r, data)
}

func lookup(data any, path []string) (any, bool) {
	cur := data
	for _, name := range path {
		switch m := cur.(type) {
		case map[string]any:
			v, ok := m[name]
			if !ok {
				return nil, false
			}
			cur = v
		case map[string]string:
			v, ok := m[name]
			if !ok {
				return nil, false
			}
			cur = v
		default:
			return nil, false
		}
	}
	return cur, true
}

// renderer executes templates for one run with that run's seeded
// randomness, so the same seed gives the same requests.
type renderer struct {
	mu    sync.Mutex
	rng   *rand.Rand
	funcs template.FuncMap
	bound map[*Template]*template.Template
}

func newRenderer(seed int64) *renderer {
	r := &renderer{
		rng:   rand.New(rand.NewPCG(uint64(seed), uint64(seed)^0x9e3779b97f4a7c15)),
		bound: map[*Template]*template.Template{},
	}
	r.funcs = template.FuncMap{
		"randInt":    r.randInt,
		"randString": r.randString,
		"randWord":   r.randWord,
		"randWords":  r.randWords,
		"uuid":       r.uuid,
		"repeat":     repeat,
		"now":        func() int64 { return time.Now().Unix() },
		"add":        func(a, b any) (int64, error) { return arith(a, b, 1) },
		"sub":        func(a, b any) (int64, error) { return arith(a, b, -1) },
		"dict":       dict,
		"toJSON":     toJSON,
		"jwt":        signJWT,
		"jwtNone":    noneJWT,
		"jwtDecode":  decodeJWT,
	}
	return r
}

func (r *renderer) exec(t *Template, data map[string]any) (string, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	bound, ok := r.bound[t]
	if !ok {
		var err error
		if bound, err = t.tmpl.Clone(); err != nil {
			return "", fmt.Errorf("template %q: %w", t.src, err)
		}
		bound.Funcs(r.funcs)
		r.bound[t] = bound
	}
	var sb strings.Builder
	if err := bound.Execute(&sb, data); err != nil {
		return "", fmt.Errorf("template %q: %w", t.src, cleanExecError(err))
	}
	return sb.String(), nil
}

// cleanExecError drops text/template's position prefix, which names an
// internal template, keeping the part a suite author can use.
func cleanExecError(err error) error {
	msg := err.Error()
	if i := strings.LastIndex(msg, ">: "); i >= 0 {
		msg = msg[i+3:]
	}
	return fmt.Errorf("%s", msg)
}

func toInt(x any) (int64, error) {
	switch x := x.(type) {
	case int:
		return int64(x), nil
	case int64:
		return x, nil
	case float64:
		if x == float64(int64(x)) {
			return int64(x), nil
		}
	case json.Number:
		return x.Int64()
	case string:
		return strconv.ParseInt(strings.TrimSpace(x), 10, 64)
	}
	return 0, fmt.Errorf("%v is not an integer", x)
}

func (r *renderer) randInt(lo, hi any) (int64, error) {
	a, err := toInt(lo)
	if err != nil {
		return 0, err
	}
	b, err := toInt(hi)
	if err != nil {
		return 0, err
	}
	if b < a {
		return 0, fmt.Errorf("randInt: max %d is below min %d", b, a)
	}
	return a + r.rng.Int64N(b-a+1), nil
}

const alnum = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"

func (r *renderer) randString(n any) (string, error) {
	k, err := toInt(n)
	if err != nil || k < 0 || k > 1<<20 {
		return "", fmt.Errorf("randString: bad length %v", n)
	}
	b := make([]byte, k)
	for i := range b {
		b[i] = alnum[r.rng.IntN(len(alnum))]
	}
	return string(b), nil
}

var words = strings.Fields(`apple river stone cloud maple tiger ocean pencil garden rocket
	silver candle forest window planet coffee violet meadow harbor lantern
	falcon puzzle copper shadow breeze canyon marble willow thunder orbit
	basket cactus dragon ember frost glacier honey island jungle kettle
	lemon mirror nectar olive pepper quartz raven saddle tulip umbrella
	velvet walnut yonder zephyr anchor beacon cobalt dune echo fable`)

func (r *renderer) randWord() string { return words[r.rng.IntN(len(words))] }

func (r *renderer) randWords(n any) (string, error) {
	k, err := toInt(n)
	if err != nil || k < 1 || k > 10000 {
		return "", fmt.Errorf("randWords: bad count %v", n)
	}
	out := make([]string, k)
	for i := range out {
		out[i] = r.randWord()
	}
	return strings.Join(out, " "), nil
}

// uuid is a version 4 UUID drawn from the seeded generator, so it is
// reproducible with --seed.
func (r *renderer) uuid() string {
	var b [16]byte
	for i := 0; i < 16; i += 8 {
		v := r.rng.Uint64()
		for j := range 8 {
			b[i+j] = byte(v >> (8 * j))
		}
	}
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:16])
}

// maxRepeat bounds repeat so a typo cannot exhaust memory.
const maxRepeat = 64 << 20

func repeat(s string, n any) (string, error) {
	k, err := toInt(n)
	if err != nil || k < 0 || int64(len(s))*k > maxRepeat {
		return "", fmt.Errorf("repeat: bad count %v (at most %d bytes in total)", n, maxRepeat)
	}
	return strings.Repeat(s, int(k)), nil
}

func arith(a, b any, sign int64) (int64, error) {
	x, err := toInt(a)
	if err != nil {
		return 0, err
	}
	y, err := toInt(b)
	if err != nil {
		return 0, err
	}
	return x + sign*y, nil
}

func dict(kv ...any) (map[string]any, error) {
	if len(kv)%2 != 0 {
		return nil, fmt.Errorf("dict: needs key value pairs, got %d arguments", len(kv))
	}
	m := make(map[string]any, len(kv)/2)
	for i := 0; i < len(kv); i += 2 {
		k, ok := kv[i].(string)
		if !ok {
			return nil, fmt.Errorf("dict: key %v is not a string", kv[i])
		}
		m[k] = kv[i+1]
	}
	return m, nil
}

func toJSON(v any) (string, error) {
	b, err := json.Marshal(v)
	if err != nil {
		return "", fmt.Errorf("toJSON: %w", err)
	}
	return string(b), nil
}

func claimsOf(v any) (jwt.MapClaims, error) {
	switch c := v.(type) {
	case map[string]any:
		return jwt.MapClaims(c), nil
	case nil:
		return jwt.MapClaims{}, nil
	}
	return nil, fmt.Errorf("claims must be a map (use dict), got %T", v)
}

func signJWT(secret string, claims any) (string, error) {
	c, err := claimsOf(claims)
	if err != nil {
		return "", fmt.Errorf("jwt: %w", err)
	}
	s, err := jwt.NewWithClaims(jwt.SigningMethodHS256, c).SignedString([]byte(secret))
	if err != nil {
		return "", fmt.Errorf("jwt: %w", err)
	}
	return s, nil
}

func noneJWT(claims any) (string, error) {
	c, err := claimsOf(claims)
	if err != nil {
		return "", fmt.Errorf("jwtNone: %w", err)
	}
	s, err := jwt.NewWithClaims(jwt.SigningMethodNone, c).SignedString(jwt.UnsafeAllowNoneSignatureType)
	if err != nil {
		return "", fmt.Errorf("jwtNone: %w", err)
	}
	return s, nil
}

func decodeJWT(token string) (map[string]any, error) {
	claims := jwt.MapClaims{}
	if _, _, err := jwt.NewParser().ParseUnverified(token, claims); err != nil {
		return nil, fmt.Errorf("jwtDecode: %w", err)
	}
	return map[string]any(claims), nil
}

func kindName(n *yaml.Node) string {
	switch n.Kind {
	case yaml.MappingNode:
		return "map"
	case yaml.SequenceNode:
		return "list"
	case yaml.ScalarNode:
		return "scalar"
	}
	return "node"
}
