package exercises

import (
	"bytes"
	"errors"
	"fmt"
	"reflect"
	"regexp"
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"
)

// PosError is a problem at a place in a file. Its message reads
// "file:line:column: message", as compilers and editors expect.
type PosError struct {
	File string
	Line int
	Col  int
	Msg  string
}

func (e *PosError) Error() string {
	switch {
	case e.Line > 0 && e.Col > 0:
		return fmt.Sprintf("%s:%d:%d: %s", e.File, e.Line, e.Col, e.Msg)
	case e.Line > 0:
		return fmt.Sprintf("%s:%d: %s", e.File, e.Line, e.Msg)
	}
	return fmt.Sprintf("%s: %s", e.File, e.Msg)
}

// Errorf returns a PosError at node's position. File is left for the caller
// (ParseYAML fills it in), so decoders of nested values need not know it.
func Errorf(node *yaml.Node, format string, a ...any) *PosError {
	e := &PosError{Msg: fmt.Sprintf(format, a...)}
	if node != nil {
		e.Line, e.Col = node.Line, node.Column
	}
	return e
}

// ErrorList is several PosErrors from one load, reported together.
type ErrorList []*PosError

func (l ErrorList) Error() string {
	msgs := make([]string, len(l))
	for i, e := range l {
		msgs[i] = e.Error()
	}
	return strings.Join(msgs, "\n")
}

// ParseYAML decodes data (read from file) strictly into v: unknown keys,
// wrong types and several documents are errors with file:line:column.
// Types with their own UnmarshalYAML must call DecodeNode for their parts
// to stay strict.
func ParseYAML(file string, data []byte, v any) error {
	var doc yaml.Node
	dec := yaml.NewDecoder(bytes.NewReader(data))
	if err := dec.Decode(&doc); err != nil {
		if err.Error() == "EOF" {
			return &PosError{File: file, Msg: "the file is empty"}
		}
		return withFile(file, syntaxError(err))
	}
	var extra yaml.Node
	if err := dec.Decode(&extra); err == nil {
		return &PosError{File: file, Line: extra.Line, Col: extra.Column, Msg: "a second YAML document is not allowed here"}
	}
	root := &doc
	if root.Kind == yaml.DocumentNode && len(root.Content) == 1 {
		root = root.Content[0]
	}
	return withFile(file, DecodeNode(root, v))
}

// DecodeNode decodes node into v after checking that every mapping key
// names a field of v's type (recursively, down to types that decode
// themselves).
func DecodeNode(node *yaml.Node, v any) error {
	if err := checkKeys(node, reflect.TypeOf(v)); err != nil {
		return err
	}
	if err := node.Decode(v); err != nil {
		var pe *PosError
		if errors.As(err, &pe) {
			return pe
		}
		return typeError(node, err)
	}
	return nil
}

func withFile(file string, err error) error {
	if err == nil {
		return nil
	}
	var pe *PosError
	if errors.As(err, &pe) {
		if pe.File == "" {
			pe.File = file
		}
		return pe
	}
	return fmt.Errorf("%s: %w", file, err)
}

var unmarshalerType = reflect.TypeOf((*yaml.Unmarshaler)(nil)).Elem()

func checkKeys(node *yaml.Node, t reflect.Type) error {
	if node == nil || t == nil {
		return nil
	}
	for node.Kind == yaml.AliasNode && node.Alias != nil {
		node = node.Alias
	}
	if t.Implements(unmarshalerType) || reflect.PointerTo(t).Implements(unmarshalerType) {
		return nil
	}
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
		if t.Implements(unmarshalerType) || reflect.PointerTo(t).Implements(unmarshalerType) {
			return nil
		}
	}
	switch t.Kind() {
	case reflect.Struct:
		if node.Kind != yaml.MappingNode {
			return nil // node.Decode reports the type error
		}
		fields := yamlFields(t)
		seen := map[string]bool{}
		for i := 0; i+1 < len(node.Content); i += 2 {
			k, val := node.Content[i], node.Content[i+1]
			if seen[k.Value] {
				return Errorf(k, "%q is given twice", k.Value)
			}
			seen[k.Value] = true
			ft, ok := fields[k.Value]
			if !ok {
				return Errorf(k, "unknown field %q (known: %s)", k.Value, strings.Join(sortedKeys(fields), ", "))
			}
			if err := checkKeys(val, ft); err != nil {
				return err
			}
		}
	case reflect.Map:
		if node.Kind != yaml.MappingNode {
			return nil
		}
		seen := map[string]bool{}
		for i := 0; i+1 < len(node.Content); i += 2 {
			k := node.Content[i]
			if seen[k.Value] {
				return Errorf(k, "%q is given twice", k.Value)
			}
			seen[k.Value] = true
			if err := checkKeys(node.Content[i+1], t.Elem()); err != nil {
				return err
			}
		}
	case reflect.Slice, reflect.Array:
		if node.Kind != yaml.SequenceNode {
			return nil
		}
		for _, c := range node.Content {
			if err := checkKeys(c, t.Elem()); err != nil {
				return err
			}
		}
	}
	return nil
}

func yamlFields(t reflect.Type) map[string]reflect.Type {
	out := map[string]reflect.Type{}
	for i := 0; i < t.NumField(); i++ {
		f := t.Field(i)
		if !f.IsExported() {
			continue
		}
		tag := f.Tag.Get("yaml")
		name, opts, _ := strings.Cut(tag, ",")
		if name == "-" {
			continue
		}
		if strings.Contains(opts, "inline") {
			ft := f.Type
			for ft.Kind() == reflect.Pointer {
				ft = ft.Elem()
			}
			if ft.Kind() == reflect.Struct {
				for k, v := range yamlFields(ft) {
					out[k] = v
				}
			}
			continue
		}
		if name == "" {
			name = strings.ToLower(f.Name)
		}
		out[name] = f.Type
	}
	return out
}

func sortedKeys(m map[string]reflect.Type) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	for i := 1; i < len(keys); i++ {
		for j := i; j > 0 && keys[j] < keys[j-1]; j-- {
			keys[j], keys[j-1] = keys[j-1], keys[j]
		}
	}
	return keys
}

var lineRE = regexp.MustCompile(`^(?:yaml: )?line (\d+): (.*)$`)

// syntaxError turns the YAML parser's "yaml: line N: msg" into a PosError.
func syntaxError(err error) error {
	if m := lineRE.FindStringSubmatch(err.Error()); m != nil {
		n, _ := strconv.Atoi(m[1])
		return &PosError{Line: n, Msg: "invalid YAML: " + m[2]}
	}
	return &PosError{Msg: "invalid YAML: " + strings.TrimPrefix(err.Error(), "yaml: ")}
}

// typeError turns yaml.v3's TypeError ("line N: cannot unmarshal ...") into
// a PosError, finding the column of the offending node.
func typeError(root *yaml.Node, err error) error {
	var te *yaml.TypeError
	if !errors.As(err, &te) || len(te.Errors) == 0 {
		return Errorf(root, "%v", err)
	}
	m := lineRE.FindStringSubmatch(te.Errors[0])
	if m == nil {
		return Errorf(root, "%s", te.Errors[0])
	}
	n, _ := strconv.Atoi(m[1])
	msg := m[2]
	col := 0
	if node := findLine(root, n); node != nil {
		col = node.Column
	}
	msg = strings.Replace(msg, "cannot unmarshal !!", "wrong type: got !!", 1)
	return &PosError{Line: n, Col: col, Msg: msg}
}

// findLine returns the last scalar on line n (the value, not the key).
func findLine(node *yaml.Node, n int) *yaml.Node {
	var found *yaml.Node
	var walk func(*yaml.Node)
	walk = func(x *yaml.Node) {
		if x.Line == n && (found == nil || x.Column > found.Column) {
			found = x
		}
		for _, c := range x.Content {
			walk(c)
		}
	}
	walk(node)
	return found
}
