package grader

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"sync"

	"go.yaml.in/yaml/v3"

	"github.com/coachcli/coach/exercises"
)

// Burst sends Count copies of a request at once.
type Burst struct {
	Count   int
	Request *Request
	Expect  *Expect
	Counts  map[int]int
	Capture []Capture
}

func (b *Burst) UnmarshalYAML(node *yaml.Node) error {
	var raw struct {
		Count   int         `yaml:"count"`
		Request *Request    `yaml:"request"`
		Expect  *Expect     `yaml:"expect"`
		Counts  map[int]int `yaml:"counts"`
		Capture captureList `yaml:"capture"`
	}
	if node.Kind != yaml.MappingNode {
		return exercises.Errorf(node, "burst is a map with count, request, expect, counts")
	}
	if err := exercises.DecodeNode(node, &raw); err != nil {
		return err
	}
	switch {
	case raw.Count < 1 || raw.Count > 1000:
		return exercises.Errorf(node, "burst count must be 1..1000, got %d", raw.Count)
	case raw.Request == nil:
		return exercises.Errorf(node, "burst has no request")
	}
	sum := 0
	for code, n := range raw.Counts {
		if code < 100 || code > 599 || n < 0 {
			_, c := valueOf(node, "counts")
			return exercises.Errorf(c, "bad counts entry %d: %d", code, n)
		}
		sum += n
	}
	if sum > raw.Count {
		_, c := valueOf(node, "counts")
		return exercises.Errorf(c, "counts add up to %d, more than the %d requests sent", sum, raw.Count)
	}
	*b = Burst{Count: raw.Count, Request: raw.Request, Expect: raw.Expect, Counts: raw.Counts, Capture: raw.Capture}
	return nil
}

var burstKind = kindDef{name: "burst", alias: "parallel", make: func() stepKind { return &Burst{} }}

func (b *Burst) decode(v, _ *yaml.Node) error { return exercises.DecodeNode(v, b) }

func (*Burst) schema(r *exercises.Reflector) schema { return r.Ref(Burst{}) }

func (b *Burst) asserts() bool { return b.Expect != nil || len(b.Counts) > 0 }

func (b *Burst) sends() (*Request, *Step) { return b.Request, nil }

// lint: {{ .i }} is defined in the request, each capture is the list of
// every response's value.
func (b *Burst) lint(tmpl func(*Template, bool)) (declared, sets []Capture) {
	b.Request.templates(func(t *Template) { tmpl(t, true) })
	b.Expect.templates(func(t *Template) { tmpl(t, false) })
	return b.Capture, b.Capture
}

// JSONSchema of a burst (or parallel).
func (Burst) JSONSchema(r *exercises.Reflector) schema {
	return object(schema{
		"count":   schema{"type": "integer", "minimum": 1, "maximum": 1000},
		"request": described(r.Ref(Request{}), "{{ .i }} is the request's index 0..count-1"),
		"expect":  described(r.Ref(Expect{}), "checked on every response"),
		"counts": described(mapOf(schema{"type": "integer", "minimum": 0}, exercises.Pattern("^[1-5][0-9][0-9]$")),
			"exact number of responses per status"),
		"capture": r.Ref(captureList{}),
	}, "count", "request")
}

func (b *Burst) run(ctx context.Context, x *testRun) error {
	outs := make([]*outgoing, b.Count)
	for i := range outs {
		data := make(map[string]any, len(x.data)+1)
		for k, v := range x.data {
			data[k] = v
		}
		data["i"] = i
		o, err := build(x.r, data, x.target.BaseURL(), b.Request, x.jar)
		if err != nil {
			return err
		}
		outs[i] = o
	}
	mark := x.target.LogMark()
	resps := make([]*response, b.Count)
	errs := make([]error, b.Count)
	start := make(chan struct{})
	var wg sync.WaitGroup
	for i := range outs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start // released together, so the requests really overlap
			resps[i], errs[i] = send(ctx, x.client, outs[i])
		}()
	}
	close(start)
	wg.Wait()
	for i := range outs {
		x.record(outs[i], resps[i], errs[i])
	}
	x.sent = append(x.sent, sentRequest{num: x.plan.num[x.stepIdx-1], mark: mark,
		label: fmt.Sprintf("%d × %s %s at once", b.Count, outs[0].method, pathOf(outs[0].url)),
		route: outs[0].method + " " + pathOf(outs[0].url), curl: outs[0].curl()})
	for i, err := range errs {
		if err != nil {
			return burstFailure(i, b.Count, transportFailure(outs[i], err))
		}
	}
	if err := checkCounts(b, outs, resps); err != nil {
		return err
	}
	return x.burstChecks(b, outs, resps)
}

func (x *testRun) burstChecks(b *Burst, outs []*outgoing, resps []*response) error {
	collected := map[string][]any{}
	for i, resp := range resps {
		if b.Expect != nil {
			if err := x.check(outs[i], resp, b.Expect); err != nil {
				return burstFailure(i, b.Count, err)
			}
		}
		vals, err := x.capture(outs[i], resp, b.Capture)
		if err != nil {
			return burstFailure(i, b.Count, err)
		}
		for _, c := range b.Capture {
			collected[c.Name] = append(collected[c.Name], vals[c.Name])
		}
	}
	for k, v := range collected {
		x.data[k] = v
	}
	return nil
}

// burstFailure names which of the requests failed.
func burstFailure(i, n int, err error) error {
	if cf, ok := err.(*checkFailure); ok {
		cf.f.Check = fmt.Sprintf("answer %d of %d to the burst: %s", i+1, n, cf.f.Check)
	}
	return err
}

func checkCounts(b *Burst, outs []*outgoing, resps []*response) error {
	if len(b.Counts) == 0 {
		return nil
	}
	got := map[int]int{}
	for _, r := range resps {
		got[r.status]++
	}
	codes := make([]int, 0, len(b.Counts))
	for c := range b.Counts {
		codes = append(codes, c)
	}
	sort.Ints(codes)
	for _, c := range codes {
		if got[c] != b.Counts[c] {
			return &checkFailure{f: Failure{
				Check:    "counts",
				Curl:     outs[0].curl(),
				Expected: fmt.Sprintf("exactly %d of %d responses with status %d (%s)", b.Counts[c], b.Count, c, tally(b.Counts)),
				Actual:   fmt.Sprintf("%d with status %d (%s)", got[c], c, tally(got)),
			}}
		}
	}
	return nil
}

func tally(m map[int]int) string {
	codes := make([]int, 0, len(m))
	for c := range m {
		codes = append(codes, c)
	}
	sort.Ints(codes)
	parts := make([]string, len(codes))
	for i, c := range codes {
		parts[i] = fmt.Sprintf("%d×%d", m[c], c)
	}
	return strings.Join(parts, ", ")
}
