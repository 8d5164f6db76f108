package grader

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"sort"
	"strings"
	"sync"
)

// step performs one step; a *checkFailure means the server failed it.
func (x *testRun) step(ctx context.Context, s *Step) error {
	if s.do != nil {
		return s.do.run(ctx, x)
	}
	switch s.kind {
	case "request":
		return x.request(ctx, s)
	case "await":
		return x.await(ctx, s)
	case "burst":
		return x.burst(ctx, s.Burst)
	case "logs":
		return x.logs(ctx, s.Logs)
	case "restart":
		return x.restart(ctx)
	case "signal":
		return x.signal(ctx, s)
	case "sse_open":
		return x.sseOpen(ctx, s.SSEOpen)
	case "sse_expect":
		return x.sseExpect(ctx, s.SSEExpect)
	case "sse_close":
		return x.sseClose(s.SSEClose)
	case "image":
		return x.image(ctx, s.Image)
	}
	return fmt.Errorf("unknown step kind %q", s.kind)
}

type asyncResult struct {
	out  *outgoing
	resp *response
	err  error
	mark int64 // server output before it was sent
}

// exchangeOnce sends o, records it and stores the cookies it set.
func (x *testRun) exchangeOnce(ctx context.Context, o *outgoing) (*response, error) {
	resp, err := send(ctx, x.client, o)
	if err == nil {
		if u, perr := url.Parse(o.url); perr == nil {
			x.jar.SetCookies(u, readSetCookies(resp.header))
		}
	}
	return resp, err
}

func (x *testRun) record(o *outgoing, resp *response, err error) {
	if x.opts.Transcript {
		x.exchs = append(x.exchs, exchange(o, resp, err))
	}
}

func (x *testRun) request(ctx context.Context, s *Step) error {
	o, err := build(x.r, x.data, x.target.BaseURL(), s.Request, x.jar)
	if err != nil {
		return err
	}
	mark := x.target.LogMark()
	if s.Async != "" {
		ch := make(chan asyncResult, 1)
		x.async[s.Async] = ch
		go func() {
			resp, err := send(ctx, x.client, o)
			ch <- asyncResult{o, resp, err, mark}
		}()
		return nil
	}
	if s.Expect != nil && s.Expect.Refused {
		return x.refused(ctx, o)
	}
	resp, err := x.exchangeOnce(ctx, o)
	x.record(o, resp, err)
	x.noteSent(x.plan.num[x.stepIdx-1], mark, o, resp, err)
	return x.verify(o, resp, err, s.Expect, s.Capture)
}

func (x *testRun) await(ctx context.Context, s *Step) error {
	var res asyncResult
	select {
	case res = <-x.async[s.Await]:
	case <-ctx.Done():
		return ctx.Err()
	}
	if res.err == nil {
		if u, perr := url.Parse(res.out.url); perr == nil {
			x.jar.SetCookies(u, readSetCookies(res.resp.header))
		}
	}
	x.record(res.out, res.resp, res.err)
	x.noteSent(x.plan.num[x.stepIdx-1], res.mark, res.out, res.resp, res.err)
	return x.verify(res.out, res.resp, res.err, s.awaited.Expect, s.awaited.Capture)
}

// verify turns a transport error into a failure, then checks the
// response and takes the captures.
func (x *testRun) verify(o *outgoing, resp *response, err error, e *Expect, caps []Capture) error {
	if err != nil {
		return transportFailure(o, err)
	}
	if e != nil {
		if err := x.check(o, resp, e); err != nil {
			return err
		}
	}
	vals, err := x.capture(o, resp, caps)
	if err != nil {
		return err
	}
	for k, v := range vals {
		x.data[k] = v
	}
	return nil
}

func transportFailure(o *outgoing, err error) error {
	te, ok := err.(*transportError)
	if !ok {
		return err // context errors and suite errors
	}
	return &checkFailure{f: Failure{Check: "response", Curl: o.curl(), Expected: "an HTTP response to " + o.method + " " + pathOf(o.url), Actual: te.msg}}
}

func pathOf(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return raw
	}
	return u.RequestURI()
}

func (x *testRun) burst(ctx context.Context, b *Burst) error {
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

func (x *testRun) restart(ctx context.Context) error {
	rs, ok := x.target.(Restarter)
	if !ok {
		return notCheckable("restart")
	}
	if err := rs.Restart(ctx); err != nil {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		return &checkFailure{f: Failure{Check: "restart", Expected: "the server to start again and listen", Actual: err.Error()}}
	}
	// Connections to the old process are dead; do not reuse them.
	x.transport.CloseIdleConnections()
	return nil
}

func (x *testRun) signal(ctx context.Context, s *Step) error {
	sg, ok := x.target.(Signaler)
	if !ok {
		return notCheckable("signal")
	}
	if err := sg.Signal(ctx, s.Signal); err != nil {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		if errors.Is(err, errors.ErrUnsupported) {
			// The backend cannot deliver this signal (Windows): not the learner's fault.
			return &skipError{msg: "not checkable here: " + err.Error()}
		}
		return &checkFailure{f: Failure{Check: "signal", Expected: "to deliver " + signalName(s) + " to the server", Actual: err.Error()}}
	}
	return nil
}

func signalName(s *Step) string {
	for name, sig := range signals {
		if sig == s.Signal {
			return name
		}
	}
	return fmt.Sprintf("signal %d", int(s.Signal))
}

// exitText explains codes above 128, which mean "killed by a signal".
func exitText(code int) string {
	if code > 128 {
		for name, sig := range signals {
			if int(sig) == code-128 {
				return fmt.Sprintf("%d (killed by %s)", code, name)
			}
		}
	}
	return fmt.Sprint(code)
}
